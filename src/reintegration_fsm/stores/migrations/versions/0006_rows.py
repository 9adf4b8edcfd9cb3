"""Smaller log rows: digests and hashes as bytes, each salted entry's data kept at rest.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- `rfsm_transitions.data` of every salted entry (written since 0003, or re-digested by it) is
  rewritten as the library now writes it (`stores.stored.stored_text`): canonical JSON less each
  form field at its default and each obligation's basis text (`protocol.at_rest`), or, for data
  that would not read back exactly (a field missing that now has a default), in full as
  `{"$full": data}`. Nothing the chain covers changes: a salted entry's payload digest is the
  root of a tree over its data in full, which readers restore (`stored.full_data`).
- An unsalted entry (one the 0003 upgrade could not re-digest) keeps its text byte for byte: its
  digest is the SHA-256 of that text.
- `payload_digest`, `prev_hash`, `hash` (32 bytes) and `payload_salt` (16 bytes) of
  `rfsm_transitions` become binary (BLOB on SQLite, BYTEA on PostgreSQL, BINARY(n) on MariaDB),
  each hex value converted to its bytes; the library reads them back as the same hex text
  (`schema.HexBytes`). A value that is not hex text of its length, or a salted entry's data
  nested too deep to read or holding a lone surrogate (a row altered by hand), stops the upgrade
  with a `StoreError` naming the entry, before anything changes.

On MariaDB, which commits each ALTER (and what ran before it) as it goes, a run cut off part way
can simply be run again: its UPDATE converts only the values still as long as their hex text,
and the data are rewritten last, through the restored guard, committed with the revision's stamp.

The downgrade converts the four columns back to hex text and writes each salted entry's data
back in full, as revision 0003 wrote it (the earlier migrations read the data as they find it);
on MariaDB it too can be run again after a cut-off.
Unlike 0001-0003 this migration uses the library's own reading and writing of the column: it
changes no digest and no hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores.stored import full_data, stored_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CHUNK = 200
REFUSAL = "rfsm_transitions is append-only"
FIXED_COLUMNS = (
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
    "prev_hash",
    "hash",
    "payload_salt",
)
_FLAGGED = (
    "EXISTS (SELECT 1 FROM rfsm_redacting "
    "WHERE rfsm_redacting.case_id = OLD.case_id AND rfsm_redacting.seq = OLD.seq)"
)

BINARY = {"payload_digest": 32, "prev_hash": 32, "hash": 32, "payload_salt": 16}
"""The columns kept as bytes, with their length in bytes."""
NULLABLE = {"payload_salt"}

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)

log = sa.table(
    "rfsm_transitions",
    sa.column("case_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("trigger_name", sa.String),
    sa.column("data", sa.Text),
    *(sa.column(name) for name in BINARY),  # untyped: values go to the driver as they are
)

redacting = sa.table(
    "rfsm_redacting", sa.column("case_id", sa.String), sa.column("seq", sa.Integer)
)

_HEX = re.compile(r"[0-9a-fA-F]*")
_HEX_BYTES = re.compile(rb"[0-9a-fA-F]*")

Change = Callable[[str, str], str | None]
"""A salted entry's new data text from its trigger and text (None: leave it)."""


def _guard(dialect: str) -> list[str]:
    """The UPDATE guard of revision 0003, unchanged (on SQLite, whose batch mode rebuilt the
    table, its DELETE and REPLACE guards too)."""
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED_COLUMNS)
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
        return [
            "CREATE OR REPLACE TRIGGER rfsm_transitions_redact_only "
            "BEFORE UPDATE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_guard_update()",
        ]
    same = " AND ".join(f"NEW.{c} <=> OLD.{c}" for c in FIXED_COLUMNS)
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


def _rested(trigger: str, text: str) -> str | None:
    """The entry's data (written in full) as the store now keeps it."""
    try:
        data = json.loads(text)
        return stored_text(trigger, data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def _expanded(trigger: str, text: str) -> str | None:
    """The entry's data in full, as revision 0003 kept it."""
    try:
        data = full_data(trigger, json.loads(text))
        return str(_encoder.encode(data)) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def _chunks(bind: sa.Connection) -> list[list[str]]:
    case_ids: Sequence[str] = sorted(
        bind.execute(sa.select(log.c.case_id).distinct()).scalars().all()
    )
    return [list(case_ids[start : start + CHUNK]) for start in range(0, len(case_ids), CHUNK)]


def _damaged(what: str, case_id: str, seq: int, problem: str) -> StoreError:
    return StoreError(
        f"cannot upgrade to revision 0006: the {what} of case {case_id!r}, seq {seq} {problem}; "
        "restore the log from a backup first",
        retryable=False,
    )


def _convertible(value: Any, size: int, nullable: bool, dialect: str) -> bool:
    """True for a digest, hash or salt this revision converts: hex text of `size` bytes (bytes
    on MariaDB, once the column is binary), or bytes a run cut off part way left on MariaDB."""
    if value is None:
        return nullable
    if isinstance(value, str):
        return len(value) == 2 * size and _HEX.fullmatch(value) is not None
    if dialect in ("mysql", "mariadb") and isinstance(value, (bytes, bytearray)):
        return len(value) == size or (
            len(value) == 2 * size and _HEX_BYTES.fullmatch(value) is not None
        )
    return False


def _unwritable(trigger: str, text: str) -> str | None:
    """What stops a salted entry's data being written at rest (None: nothing)."""
    try:
        new = _rested(trigger, text)
    except RecursionError:
        return "is JSON nested too deep to read"
    if new is not None:
        try:
            new.encode("utf-8")
        except UnicodeEncodeError:
            return "holds a lone surrogate (text no database can store)"
    return None


def _check(bind: sa.Connection, dialect: str) -> None:
    """Stop, changing nothing, at an entry this revision cannot convert (a row altered behind
    the store): MariaDB could not undo the ALTERs that come first."""
    names = list(BINARY)
    for chunk in _chunks(bind):
        rows = bind.execute(
            sa.select(
                log.c.case_id,
                log.c.seq,
                log.c.trigger_name,
                log.c.data,
                *(log.c[name] for name in names),
            ).where(log.c.case_id.in_(chunk))
        ).all()
        for case_id, seq, trigger, text, *values in rows:
            found = dict(zip(names, values, strict=True))
            for name, value in found.items():
                if not _convertible(value, BINARY[name], name in NULLABLE, dialect):
                    raise _damaged(name, case_id, seq, f"is not {BINARY[name]} bytes as hex text")
            problem = None if found["payload_salt"] is None else _unwritable(trigger, text)
            if problem is not None:
                raise _damaged("data", case_id, seq, problem)


def _hex(value: Any) -> Any:
    return None if value is None else bytes(value).hex()


def _unhex(value: Any) -> Any:
    return None if value is None else bytes.fromhex(value)


def _sqlite_convert(bind: sa.Connection, convert: Callable[[Any], Any]) -> None:
    """Convert the binary columns' values of every entry in place (SQLite keeps a value of
    either kind in a column of either type)."""
    names = list(BINARY)
    update = (
        sa.update(log)
        .where(log.c.case_id == sa.bindparam("b_case_id"), log.c.seq == sa.bindparam("b_seq"))
        .values({name: sa.bindparam(f"b_{name}") for name in names})
    )
    for chunk in _chunks(bind):
        rows = bind.execute(
            sa.select(log.c.case_id, log.c.seq, *(log.c[name] for name in names)).where(
                log.c.case_id.in_(chunk)
            )
        ).all()
        changes = [
            {"b_case_id": row[0], "b_seq": row[1]}
            | {f"b_{name}": convert(value) for name, value in zip(names, row[2:], strict=True)}
            for row in rows
        ]
        if changes:
            bind.execute(update, changes)


def _sqlite_types(binary: bool) -> None:
    with op.batch_alter_table("rfsm_transitions") as batch:
        for name, size in BINARY.items():
            text = sa.String(size * 2)
            batch.alter_column(
                name,
                type_=sa.LargeBinary() if binary else text,
                existing_type=text if binary else sa.LargeBinary(),
                existing_nullable=name in NULLABLE,
            )


def _to_binary(bind: sa.Connection, dialect: str) -> None:
    if dialect == "sqlite":
        _sqlite_convert(bind, _unhex)
        _sqlite_types(binary=True)
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE rfsm_transitions "
            + ", ".join(f"ALTER COLUMN {n} TYPE BYTEA USING decode({n}, 'hex')" for n in BINARY)
        )
    else:
        null = {name: "NULL" if name in NULLABLE else "NOT NULL" for name in BINARY}
        op.execute(
            "ALTER TABLE rfsm_transitions "
            + ", ".join(f"MODIFY {n} VARBINARY({2 * s}) {null[n]}" for n, s in BINARY.items())
        )
        # MariaDB commits each ALTER (and the UPDATE before it) as it runs, so a run cut off
        # part way leaves some digests as bytes: the ALTER keeps bytes as they are, and only a
        # value still as long as its hex text is converted (bytes are never that long).
        op.execute(
            "UPDATE rfsm_transitions SET "
            + ", ".join(
                f"{n} = CASE WHEN LENGTH({n}) = {2 * s} THEN UNHEX({n}) ELSE {n} END"
                for n, s in BINARY.items()
            )
        )
        op.execute(
            "ALTER TABLE rfsm_transitions "
            + ", ".join(f"MODIFY {n} BINARY({s}) {null[n]}" for n, s in BINARY.items())
        )


def _to_hex(bind: sa.Connection, dialect: str) -> None:
    if dialect == "sqlite":
        _sqlite_convert(bind, _hex)
        _sqlite_types(binary=False)
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE rfsm_transitions "
            + ", ".join(
                f"ALTER COLUMN {n} TYPE VARCHAR({2 * s}) USING encode({n}, 'hex')"
                for n, s in BINARY.items()
            )
        )
    else:
        null = {name: "NULL" if name in NULLABLE else "NOT NULL" for name in BINARY}
        op.execute(
            "ALTER TABLE rfsm_transitions "
            + ", ".join(f"MODIFY {n} VARBINARY({2 * s}) {null[n]}" for n, s in BINARY.items())
        )
        # As in _to_binary: a run cut off part way left some values hex text already.
        op.execute(
            "UPDATE rfsm_transitions SET "
            + ", ".join(
                f"{n} = CASE WHEN LENGTH({n}) = {s} THEN LOWER(HEX({n})) ELSE {n} END"
                for n, s in BINARY.items()
            )
        )
        op.execute(
            "ALTER TABLE rfsm_transitions "
            + ", ".join(f"MODIFY {n} VARCHAR({2 * s}) {null[n]}" for n, s in BINARY.items())
        )


def _rewrite(bind: sa.Connection, change: Change) -> None:
    """Rewrite each salted entry's data that `change` changes, a chunk of cases at a time, each
    entry named in `rfsm_redacting` while it is, as the log's guard asks.

    Run last: MariaDB commits what ran before each DDL statement, so data rewritten before the
    guard was back could be committed without the revision's stamp, and a second run would read
    data at rest as data in full (or the reverse). After the last DDL it commits with the stamp.
    """
    update = (
        sa.update(log)
        .where(log.c.case_id == sa.bindparam("b_case_id"), log.c.seq == sa.bindparam("b_seq"))
        .values(data=sa.bindparam("b_data"))
    )
    for chunk in _chunks(bind):
        rows = bind.execute(
            sa.select(log.c.case_id, log.c.seq, log.c.trigger_name, log.c.data).where(
                log.c.case_id.in_(chunk), log.c.payload_salt.is_not(None)
            )
        ).all()
        changes = []
        for case_id, seq, trigger, text in rows:
            new = change(trigger, text)
            if new is not None and new != text:
                changes.append({"b_case_id": case_id, "b_seq": seq, "b_data": new})
        if changes:
            bind.execute(
                sa.insert(redacting),
                [{"case_id": c["b_case_id"], "seq": c["b_seq"]} for c in changes],
            )
            bind.execute(update, changes)
            bind.execute(sa.delete(redacting).where(redacting.c.case_id.in_(chunk)))


def upgrade() -> None:
    """Keep the digests as bytes and each salted entry's data at rest."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    _check(bind, dialect)
    _drop_guard(dialect)
    _to_binary(bind, dialect)
    for statement in _guard(dialect):
        op.execute(statement)
    _rewrite(bind, _rested)


def downgrade() -> None:
    """Write each salted entry's data back in full, and the digests as hex text."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    _drop_guard(dialect)
    _to_hex(bind, dialect)
    for statement in _guard(dialect):
        op.execute(statement)
    _rewrite(bind, _expanded)
