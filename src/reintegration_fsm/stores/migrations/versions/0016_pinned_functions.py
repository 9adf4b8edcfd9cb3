"""The log's trigger functions find the store's tables whatever the caller's `search_path`.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

On PostgreSQL the functions the log's triggers run (`rfsm_refuse_change`, `rfsm_guard_update`,
`rfsm_guard_keyed`, `rfsm_count_redaction`) name the store's tables without a schema, and took the
caller's `search_path`. `pg_restore --data-only` (and a `pg_dump --data-only` file replayed with
psql) empties it while loading rows, so a data-only restore into a store failed on its first log
entry (`relation "rfsm_redacting" does not exist`). Each function now carries its own: the
schema the store's tables are in, then `pg_temp` (`schema.pinned`).

The upgrade makes again, with `schema.guard_statements` (the one text of the guards' DDL), each
of these functions the database has, in the schema of its `rfsm_transitions`; one dropped behind
the store is left to `upgrade()`'s restoring of missing guards at head. The triggers keep
running them (CREATE OR REPLACE keeps a function's identity). The downgrade takes the
`search_path` off them again, leaving them as revision 0015 wrote them. SQLite and MariaDB have no
such functions: there the revision changes nothing.

(A later revision that changes a function's body writes this revision's body here, so that 0016
keeps making what it made.)
"""

from __future__ import annotations

from alembic import op

from reintegration_fsm.stores import schema

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FUNCTIONS = ("rfsm_refuse_change", "rfsm_guard_update", "rfsm_guard_keyed", "rfsm_count_redaction")
"""The trigger functions of revision 0015."""


def _present(home: str) -> set[str]:
    """Which of `FUNCTIONS` the schema `home` has."""
    found = op.get_bind().exec_driver_sql(
        "SELECT proname FROM pg_proc WHERE pronargs = 0 AND proname = ANY(%(names)s) "
        "AND pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(home)s)",
        {"home": home, "names": list(FUNCTIONS)},
    )
    return {str(name) for name in found.scalars()}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    home = schema.home_of(bind)
    assert home is not None  # (PostgreSQL)
    present = _present(home)
    for statement in schema.guard_statements("postgresql", home):
        made = schema.made_function(statement)
        if made is not None and made in present:
            bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    home = schema.home_of(bind)
    assert home is not None
    for name in sorted(_present(home)):
        quoted = bind.dialect.identifier_preparer.quote_identifier(home)
        bind.exec_driver_sql(f"ALTER FUNCTION {quoted}.{name}() RESET search_path")
