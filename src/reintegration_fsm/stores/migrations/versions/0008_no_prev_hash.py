"""The log keeps each hash once: `rfsm_transitions.prev_hash` goes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A log entry's `prev_hash` was a second copy of the previous entry's `hash` (`GENESIS`, 32 zero
bytes, for a case's first entry): 32 bytes a row that `verify()` only compared with the entry
before it. The library now reads it from that entry (`hashing.entry_hash(row, prev_hash)`), so
every hash stays what it was: a change to an entry's `hash` still shows in the entry after it,
whose hash covers it.

Before dropping the column the upgrade checks that every entry's `prev_hash` is the hash of the
entry before it; if one is not (a log altered by hand, or damaged), it stops before changing
anything and names the entry, so that nothing `verify()` would report is lost: run `verify()`
and restore the log from a backup first. The append-only guard on UPDATE is rebuilt without the
column (on SQLite, whose batch mode rebuilds the table, the DELETE and REPLACE guards too).

The downgrade adds the column back and fills it from the chain, so the rows are again exactly as
revision 0007 kept them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import BINARY

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores.migrations import resumable

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHUNK = 200
GENESIS = bytes(32)
REFUSAL = "rfsm_transitions is append-only"
KEPT = (
    "case_id",
    "seq",
    "trigger_name",
    "source",
    "dest",
    "actor_role",
    "actor_organisation",
    "on_date",
    "recorded_at",
    "payload_digest",
)
"""The log columns no UPDATE may change, besides `prev_hash` (until this revision) and the
hash and salt."""
FIXED_BEFORE = (*KEPT, "prev_hash", "hash", "payload_salt")
FIXED_AFTER = (*KEPT, "hash", "payload_salt")
_FLAGGED = (
    "EXISTS (SELECT 1 FROM rfsm_redacting "
    "WHERE rfsm_redacting.case_id = OLD.case_id AND rfsm_redacting.seq = OLD.seq)"
)

log = sa.table(
    "rfsm_transitions",
    sa.column("case_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("prev_hash"),  # untyped: bytes go to and from the driver as they are
    sa.column("hash"),
)


def _guard(dialect: str, fixed: Sequence[str]) -> list[str]:
    """The UPDATE guard over `fixed` (on SQLite, the DELETE and REPLACE guards too)."""
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in fixed)
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
            f"BEFORE UPDATE ON rfsm_transitions WHEN NOT {_FLAGGED} OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_delete "
            "BEFORE DELETE ON rfsm_transitions "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_replace "
            "BEFORE INSERT ON rfsm_transitions "
            "WHEN EXISTS (SELECT 1 FROM rfsm_transitions "
            "WHERE case_id = NEW.case_id AND seq = NEW.seq) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
        ]
    if dialect == "postgresql":
        new = ", ".join(f"NEW.{c}" for c in fixed)
        old = ", ".join(f"OLD.{c}" for c in fixed)
        return [
            "CREATE OR REPLACE FUNCTION rfsm_guard_update() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NOT {_FLAGGED} OR ({new}) IS DISTINCT FROM ({old}) THEN "
            f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END IF; RETURN NEW; END $$",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_redact_only "
            "BEFORE UPDATE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_guard_update()",
        ]
    same = " AND ".join(f"NEW.{c} <=> OLD.{c}" for c in fixed)
    return [
        "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
        "BEFORE UPDATE ON rfsm_transitions FOR EACH ROW BEGIN "
        f"IF NOT {_FLAGGED} OR NOT ({same}) THEN "
        f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'; "
        "END IF; END"
    ]


def _drop_guard(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_redact_only ON rfsm_transitions")
    else:
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_no_update")


def _chunks(bind: sa.Connection) -> Iterator[list[str]]:
    case_ids = sorted(bind.execute(sa.select(log.c.case_id).distinct()).scalars().all())
    for start in range(0, len(case_ids), CHUNK):
        yield case_ids[start : start + CHUNK]


def _chained(bind: sa.Connection, chunk: list[str], *, with_prev: bool) -> Iterator[Any]:
    """The chunk's entries in order: case id, seq, hash (and the prev_hash kept)."""
    columns = [log.c.case_id, log.c.seq, log.c.hash]
    if with_prev:
        columns.append(log.c.prev_hash)
    query = sa.select(*columns).where(log.c.case_id.in_(chunk)).order_by(log.c.case_id, log.c.seq)
    yield from bind.execute(query)


def _check_chain(bind: sa.Connection) -> None:
    """Stop, changing nothing, at an entry whose prev_hash is not its previous entry's hash."""
    for chunk in _chunks(bind):
        case, prev = None, GENESIS
        for case_id, seq, hash_, prev_hash in _chained(bind, chunk, with_prev=True):
            if case_id != case:
                case, prev = case_id, GENESIS
            if bytes(prev_hash) != prev:
                raise StoreError(
                    f"cannot upgrade to revision 0008: the prev_hash of case {case_id!r}, "
                    f"seq {seq} is not the previous entry's hash; run verify() and restore the "
                    "log from a backup first",
                    retryable=False,
                )
            prev = bytes(hash_)


def upgrade() -> None:
    """Check the chain, then drop the column. On MariaDB, which commits the DROP COLUMN at once,
    a run cut off after it (the append-only guard not yet back) finishes when run again."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if "prev_hash" in resumable.columns(log.name):  # (MariaDB: a run cut off after the drop)
        _drop_prev_hash(bind, dialect)
    else:
        _drop_guard(dialect)
    for statement in _guard(dialect, FIXED_AFTER):
        op.execute(statement)


def _drop_prev_hash(bind: sa.Connection, dialect: str) -> None:
    """Check the chain, then drop the column (and the guards that name it)."""
    _check_chain(bind)
    _drop_guard(dialect)
    if dialect == "sqlite":
        for event in ("delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS rfsm_transitions_no_{event}")
    with op.batch_alter_table("rfsm_transitions") as batch:
        batch.drop_column("prev_hash")


def downgrade() -> None:
    """Add the column back, filled from the chain. On MariaDB a run cut off part way finishes
    when run again."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    _drop_guard(dialect)
    binary = BINARY(32) if dialect in ("mysql", "mariadb") else sa.LargeBinary()
    resumable.add_column(log.name, sa.Column("prev_hash", binary, nullable=True))
    update = (
        sa.update(log)
        .where(log.c.case_id == sa.bindparam("b_case_id"), log.c.seq == sa.bindparam("b_seq"))
        .values(prev_hash=sa.bindparam("b_prev"))
    )
    for chunk in _chunks(bind):
        changes = []
        case, prev = None, GENESIS
        for case_id, seq, hash_ in _chained(bind, chunk, with_prev=False):
            if case_id != case:
                case, prev = case_id, GENESIS
            changes.append({"b_case_id": case_id, "b_seq": seq, "b_prev": prev})
            prev = bytes(hash_)
        if changes:
            bind.execute(update, changes)
    if dialect == "sqlite":
        for event in ("delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS rfsm_transitions_no_{event}")
    with op.batch_alter_table("rfsm_transitions") as batch:
        batch.alter_column("prev_hash", existing_type=binary, nullable=False)
    for statement in _guard(dialect, FIXED_BEFORE):
        op.execute(statement)
