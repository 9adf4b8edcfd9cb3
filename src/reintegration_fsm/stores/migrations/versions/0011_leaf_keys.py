"""Digest scheme 3: a key for each value, so that a removed value cannot be guessed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

`rfsm_transitions` gains two columns, NULL on every entry written before: `payload_key`, the
16-byte key each new entry's leaf keys are made from, and `leaf_keys`, the leaf keys of the values
an entry keeps once a redaction removed one (`stores.digests`). A scheme-2 entry (every entry
already in the database) is left as it is, hashed and checked as before: a value a redaction
removes from it can still be tested against guesses (docs/evidence.md). No row is rewritten, and
the log's triggers are unchanged: a redaction's own transaction may change both columns, like
`data`, `actor_id` and `actor_name`.

The downgrade drops both columns, and is refused once an entry has been written under scheme 3:
revision 0010's library would read it as a scheme-2 entry and report every one as altered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import BINARY, LONGBLOB

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores.migrations import resumable

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KEY_BYTES = 16

log = sa.table(
    "rfsm_transitions",
    sa.column("payload_key", sa.LargeBinary),
    sa.column("leaf_keys", sa.LargeBinary),
)


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "payload_key",
            sa.LargeBinary().with_variant(BINARY(KEY_BYTES), "mysql", "mariadb"),
            nullable=True,
        ),
        sa.Column(
            "leaf_keys",
            sa.LargeBinary().with_variant(LONGBLOB(), "mysql", "mariadb"),
            nullable=True,
        ),
    ]


def upgrade() -> None:
    for column in _columns():
        resumable.add_column("rfsm_transitions", column)


def downgrade() -> None:
    held = resumable.columns("rfsm_transitions")
    if {"payload_key", "leaf_keys"} <= held:
        keyed = op.get_bind().execute(
            sa.select(sa.func.count()).where(
                sa.or_(log.c.payload_key.is_not(None), log.c.leaf_keys.is_not(None))
            )
        )
        found = int(keyed.scalar_one())
        if found:
            raise StoreError(
                f"cannot downgrade to revision {down_revision}: {found} log entries were "
                "written under digest scheme 3 (a key for each value), which revision "
                f"{down_revision} cannot check; keep revision {revision}",
                retryable=False,
            )
    # ALTER TABLE ... DROP COLUMN on every engine (SQLite since 3.35): SQLite's batch mode
    # would rebuild the table and lose its triggers, which name neither column.
    for name in ("leaf_keys", "payload_key"):
        if name in held:
            op.execute(f"ALTER TABLE rfsm_transitions DROP COLUMN {name}")
