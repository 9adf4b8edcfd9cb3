"""On PostgreSQL every text column of the store takes the C collation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Until now a PostgreSQL column took the database's own collation. Under a language's collation
(`en_GB.UTF-8`, or ICU's `en`) the cases still compared as equal text, but `cases()`,
`load_all()`, `due()` and the ranges `verify(workers=...)` hands its processes were in that
language's order (`"a-2"` before `"B-1"`), not in Python's, SQLite's and MariaDB's. Each text
column of a case id, name or word now takes `COLLATE "C"`, which orders by code point as they
do. PostgreSQL rebuilds each index on such a column; the rows are not rewritten. SQLite and
MariaDB sort so already (BINARY, `utf8mb4_bin`): there the revision changes nothing.

PostgreSQL cannot change a column that a view or rule reads: if one of the database's views
reads the store's tables (a reporting view, say), the revision stops before changing anything,
naming the views, to be dropped for the upgrade and created again after it.

The downgrade gives each column the database's collation again (`COLLATE "default"`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.errors import StoreError

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = {
    "rfsm_cases": (
        ("case_id", 100),
        ("authority", 200),
        ("stage", 40),
        ("last_hash", 64),
        ("pupil_name", 200),
        ("ap_setting", 200),
        ("host_school", 200),
        ("case_id_folded", 300),
        ("pupil_name_folded", 600),
    ),
    "rfsm_transitions": (
        ("case_id", 100),
        ("trigger_name", 40),
        ("source", 40),
        ("dest", 40),
        ("actor_id", 200),
        ("actor_role", 40),
        ("actor_organisation", 200),
        ("actor_name", 200),
    ),
    "rfsm_open_items": (
        ("case_id", 100),
        ("authority", 200),
        ("item_type", 16),
        ("kind", 40),
        ("owner", 16),
    ),
    "rfsm_weightings": (("case_id", 100), ("school", 200), ("authority", 200)),
    "rfsm_redactions": (
        ("case_id", 100),
        ("actor_id", 200),
        ("actor_name", 200),
        ("actor_role", 40),
        ("actor_organisation", 200),
        ("payload_digest", 64),
        ("hash", 64),
    ),
    "rfsm_redacting": (("case_id", 100),),
    "rfsm_rechained": (("case_id", 100), ("old_last_hash", 64), ("new_last_hash", 64)),
}
"""Each table's VARCHAR columns, with their lengths, as revision 0009 left them."""


READERS = sa.text(
    "SELECT DISTINCT reader.oid::regclass::text FROM pg_depend "
    "JOIN pg_rewrite ON pg_depend.objid = pg_rewrite.oid "
    "JOIN pg_class AS reader ON pg_rewrite.ev_class = reader.oid "
    "WHERE pg_depend.classid = 'pg_rewrite'::regclass "
    "AND pg_depend.refobjid = ANY(:tables) AND reader.oid <> ALL(:tables) ORDER BY 1"
)
"""The views (plain or materialized) that read any of the store's tables."""


def _refuse_readers(action: str) -> None:
    bind = op.get_bind()
    tables = [
        bind.execute(sa.text("SELECT to_regclass(:name)::oid"), {"name": name}).scalar()
        for name in COLUMNS
    ]
    readers = list(bind.execute(READERS, {"tables": [t for t in tables if t]}).scalars())
    if readers:
        raise StoreError(
            f"cannot {action}: PostgreSQL cannot change the collation of "
            f"columns a view reads, and {', '.join(readers)} "
            f"{'reads' if len(readers) == 1 else 'read'} the store's tables; drop "
            f"{'it' if len(readers) == 1 else 'them'}, {action.split()[0]}, and create "
            f"{'it' if len(readers) == 1 else 'them'} again (nothing was changed)",
            retryable=False,
        )


def _collate(collation: str, action: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _refuse_readers(action)
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN {name} TYPE VARCHAR({length}) COLLATE "{collation}"'
            for name, length in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    """Every text column in the C collation, on PostgreSQL."""
    _collate("C", f"upgrade to revision {revision}")


def downgrade() -> None:
    """Every text column in the database's collation, on PostgreSQL."""
    _collate("default", f"downgrade to revision {down_revision}")
