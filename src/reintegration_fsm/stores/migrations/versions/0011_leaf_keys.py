"""Digest scheme 3: a key for each value, so that a removed value cannot be guessed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

`rfsm_transitions` gains two columns, NULL on every entry written before: `payload_key`, the
16-byte key each new entry's leaf keys are made from, and `leaf_keys`, the leaf keys of the values
an entry keeps once a redaction removed one (`stores.digests`). A scheme-2 entry (every entry
already in the database) is left as it is, hashed and checked as before: a value a redaction
removes from it can still be tested against guesses (docs/evidence.md). No row is rewritten. A
redaction's own transaction may change both columns, like `data`, `actor_id` and `actor_name`.

Two guards refuse what a process still running an earlier version would write: a salted entry
without a payload key (scheme 2), and a redaction that leaves an entry's payload key beside the
values it removed (their digests could be guessed with it). Such a process fails, saying the
table is at revision 0011, rather than reopening what this revision closes.

The downgrade drops the guards and both columns, and is refused once an entry has been written
under scheme 3: revision 0010's library would read it as a scheme-2 entry and report every one
as altered.
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


REFUSAL = "rfsm_transitions is at schema revision 0011: stop every older version"
UNKEYED_INSERT = "NEW.payload_salt IS NOT NULL AND NEW.payload_key IS NULL"
REDACTABLE = ("data", "actor_id", "actor_name")
FLAGGED = (
    "EXISTS (SELECT 1 FROM rfsm_redacting "
    "WHERE rfsm_redacting.case_id = OLD.case_id AND rfsm_redacting.seq = OLD.seq)"
)
"""Inside a redaction's transaction (an UPDATE outside one meets the append-only guard)."""


def _guards(dialect: str) -> list[str]:
    """The keyed guards (as `schema.keyed_guard_statements` wrote them at this revision)."""
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in REDACTABLE)
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed "
            f"BEFORE INSERT ON rfsm_transitions WHEN {UNKEYED_INSERT} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed_redaction "
            "BEFORE UPDATE ON rfsm_transitions "
            f"WHEN NEW.payload_key IS NOT NULL AND ({changed}) AND {FLAGGED} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
        ]
    if dialect == "postgresql":
        new = ", ".join(f"NEW.{c}" for c in REDACTABLE)
        old = ", ".join(f"OLD.{c}" for c in REDACTABLE)
        return [
            "CREATE OR REPLACE FUNCTION rfsm_guard_keyed() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF (TG_OP = 'INSERT' AND {UNKEYED_INSERT}) OR (TG_OP = 'UPDATE' "
            f"AND NEW.payload_key IS NOT NULL AND ({new}) IS DISTINCT FROM ({old}) "
            f"AND {FLAGGED}) THEN "
            f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END IF; RETURN NEW; END $$",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_keyed "
            "BEFORE INSERT OR UPDATE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_guard_keyed()",
        ]
    same = " AND ".join(f"NEW.{c} <=> OLD.{c}" for c in REDACTABLE)
    return [
        "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed "
        "BEFORE INSERT ON rfsm_transitions FOR EACH ROW "
        f"IF {UNKEYED_INSERT} THEN "
        f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'; END IF",
        "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed_redaction "
        "BEFORE UPDATE ON rfsm_transitions FOR EACH ROW "
        f"IF NEW.payload_key IS NOT NULL AND NOT ({same}) AND {FLAGGED} THEN "
        f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'; END IF",
    ]


def _drop_guards(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_keyed ON rfsm_transitions")
        op.execute("DROP FUNCTION IF EXISTS rfsm_guard_keyed()")
        return
    op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_keyed")
    op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_keyed_redaction")


def upgrade() -> None:
    for column in _columns():
        resumable.add_column("rfsm_transitions", column)
    for statement in _guards(op.get_bind().dialect.name):
        op.execute(statement)


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
    _drop_guards(op.get_bind().dialect.name)
    # ALTER TABLE ... DROP COLUMN on every engine (SQLite since 3.35): SQLite's batch mode
    # would rebuild the table and lose its triggers, which name neither column.
    for name in ("leaf_keys", "payload_key"):
        if name in held:
            op.execute(f"ALTER TABLE rfsm_transitions DROP COLUMN {name}")
