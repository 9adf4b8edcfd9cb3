"""The audit log as evidence: salted payload digests, redaction notes, the redaction trigger.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-20

- `rfsm_transitions` gains `payload_salt`. Every case whose log verifies as revision 2 defined
  it (its chain, its digests or revision 2's redaction records, its case row's version and last
  hash) is **re-digested**: each entry gets a random salt, its `payload_digest` becomes the root
  of the salted hash tree over its actor's id and name and its data, and its hash is recomputed
  over the revision-3 fields, chained as before. The case row's `last_hash` follows, and
  `rfsm_rechained` keeps each case's last hash before and after (an anchor published under
  revision 2 can still be checked: the old hash is the one revision 2's rules give for the same
  rows). A case whose log does not verify is left as it is, for `verify()` to report.
- `rfsm_redactions` is rebuilt for notes (who, when, why, which paths; several per entry): a
  revision-2 redaction record becomes a note without paths, bound to the entry's new hash.
- `rfsm_redacting` is created, and the log's UPDATE trigger now lets a redaction's own
  transaction change `data`, `actor_id` and `actor_name` of the entries it names, and nothing else.

Frozen, like the earlier revisions: the hashing is written out here, so that this migration runs
the same for ever, whatever the library later does. Its downgrade gives back revision 2's hashes
(a function of the rows: exactly the old ones for every entry not redacted), and is refused once
a revision-3 redaction has removed a value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.stores.migrations import resumable

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = 100
NAME = 200
WORD = 40
HASH = 64
SALT = 32
CHUNK = 200
GENESIS = "0" * 64
REFUSAL = "rfsm_transitions is append-only"

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)

LEGACY_FIELDS = (
    "case_id",
    "seq",
    "trigger_name",
    "source",
    "dest",
    "actor_id",
    "actor_role",
    "actor_organisation",
    "actor_name",
    "on_date",
    "recorded_at",
    "payload_digest",
    "prev_hash",
)
FIELDS = (
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
)
NOTE_FIELDS = (
    "case_id",
    "seq",
    "number",
    "redacted_at",
    "redacted_on",
    "reason",
    "paths",
    "actor_id",
    "actor_name",
    "actor_role",
    "actor_organisation",
    "payload_digest",
)
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


def _log_columns() -> list[sa.ColumnClause[Any]]:
    return [
        sa.column("case_id", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("trigger_name", sa.String),
        sa.column("source", sa.String),
        sa.column("dest", sa.String),
        sa.column("actor_id", sa.String),
        sa.column("actor_role", sa.String),
        sa.column("actor_organisation", sa.String),
        sa.column("actor_name", sa.String),
        sa.column("on_date", sa.Date),
        sa.column("recorded_at", sa.DateTime),
        sa.column("data", sa.Text),
        sa.column("payload_digest", sa.String),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    ]


log = sa.table("rfsm_transitions", *_log_columns())
salted_log = sa.table("rfsm_transitions", *_log_columns(), sa.column("payload_salt", sa.String))
case_rows = sa.table(
    "rfsm_cases",
    sa.column("case_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("last_hash", sa.String),
)


def _old_note_columns() -> list[sa.ColumnClause[Any]]:
    return [
        sa.column("case_id", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("redacted_at", sa.DateTime),
        sa.column("reason", sa.Text),
        sa.column("payload_digest", sa.String),
        sa.column("hash", sa.String),
    ]


old_notes = sa.table("rfsm_redactions", *_old_note_columns())
new_notes = sa.table(
    "rfsm_redactions",
    *_old_note_columns(),
    sa.column("number", sa.Integer),
    sa.column("redacted_on", sa.Date),
    sa.column("paths", sa.Text),
    sa.column("actor_id", sa.String),
    sa.column("actor_name", sa.String),
    sa.column("actor_role", sa.String),
    sa.column("actor_organisation", sa.String),
)
rechained = sa.table(
    "rfsm_rechained",
    sa.column("case_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("old_last_hash", sa.String),
    sa.column("new_last_hash", sa.String),
    sa.column("rechained_at", sa.DateTime),
)


# -- hashing, as revisions 2 and 3 define it ---------------------------------------------------
def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _day(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _entry_hash(row: Mapping[str, Any], salted: bool) -> str:
    fields = {name: row[name] for name in (FIELDS if salted else LEGACY_FIELDS)}
    fields["on_date"] = _day(fields["on_date"])
    fields["recorded_at"] = _stamp(row["recorded_at"])
    if salted:
        fields["scheme"] = 2
    return _sha(_encoder.encode(fields))


def _legacy_note_hash(row: Mapping[str, Any], entry_hash: str) -> str:
    fields = {name: row[name] for name in ("case_id", "seq", "reason", "payload_digest")}
    fields["redacted_at"] = _stamp(row["redacted_at"])
    fields["entry_hash"] = entry_hash
    return _sha(_encoder.encode(fields))


def _note_hash(row: Mapping[str, Any], previous: str) -> str:
    fields = {name: row.get(name) for name in NOTE_FIELDS}
    fields["redacted_at"] = _stamp(row["redacted_at"])
    fields["redacted_on"] = _day(fields["redacted_on"])
    fields["previous"] = previous
    return _sha(_encoder.encode(fields))


def _node(tag: bytes, children: Any) -> str:
    return hashlib.sha256(tag + _encoder.encode(children).encode("utf-8")).hexdigest()


def _tree(salt: bytes, path: tuple[Any, ...], value: Any) -> str:
    if isinstance(value, dict):
        return _node(b"\x01", {k: _tree(salt, (*path, k), v) for k, v in value.items()})
    if isinstance(value, list):
        return _node(b"\x02", [_tree(salt, (*path, i), v) for i, v in enumerate(value)])
    text = _encoder.encode([list(path), value])
    return hashlib.sha256(b"\x00" + salt + text.encode("utf-8")).hexdigest()


def _payload_digest(salt_hex: str, row: Mapping[str, Any]) -> str:
    salt = bytes.fromhex(salt_hex)
    actor = {
        "id": _tree(salt, ("actor", "id"), row["actor_id"]),
        "name": _tree(salt, ("actor", "name"), row["actor_name"]),
    }
    data = json.loads(row["data"])
    return _node(b"\x01", {"actor": _node(b"\x01", actor), "data": _tree(salt, ("data",), data)})


def _sound(
    case: Mapping[str, Any] | None, entries: Sequence[Any], notes: Mapping[int, Any]
) -> bool:
    """True when a case's revision-2 rows verify: chain, digests (or redactions), case row."""
    if case is None or not entries:
        return False
    prev = GENESIS
    for number, entry in enumerate(entries, start=1):
        if entry["seq"] != number or entry["prev_hash"] != prev:
            return False
        if _entry_hash(entry, salted=False) != entry["hash"]:
            return False
        digest = _sha(entry["data"])
        if digest != entry["payload_digest"]:
            note = notes.get(number)
            if note is None or note["hash"] != _legacy_note_hash(note, entry["hash"]):
                return False
            if digest != note["payload_digest"]:
                return False
        prev = entry["hash"]
    return bool(case["version"] == entries[-1]["seq"] and case["last_hash"] == prev)


# -- triggers ----------------------------------------------------------------------------------
_FLAGGED = (
    "EXISTS (SELECT 1 FROM rfsm_redacting "
    "WHERE rfsm_redacting.case_id = OLD.case_id AND rfsm_redacting.seq = OLD.seq)"
)


def _guard(dialect: str) -> list[str]:
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED_COLUMNS)
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
            f"BEFORE UPDATE ON rfsm_transitions WHEN NOT {_FLAGGED} OR {changed} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        ]
    if dialect == "postgresql":
        new = ", ".join(f"NEW.{c}" for c in FIXED_COLUMNS)
        old = ", ".join(f"OLD.{c}" for c in FIXED_COLUMNS)
        return [
            "CREATE OR REPLACE FUNCTION rfsm_guard_update() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NOT {_FLAGGED} OR ({new}) IS DISTINCT FROM ({old}) THEN "
            f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END IF; RETURN NEW; END $$",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_append_only "
            "BEFORE DELETE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_refuse_change()",
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


def _drop_update_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_append_only ON rfsm_transitions")
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_redact_only ON rfsm_transitions")
    else:
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_no_update")


def _revision_2_triggers(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
            f"BEFORE UPDATE ON rfsm_transitions BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_delete "
            f"BEFORE DELETE ON rfsm_transitions BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_replace "
            "BEFORE INSERT ON rfsm_transitions "
            "WHEN EXISTS (SELECT 1 FROM rfsm_transitions "
            "WHERE case_id = NEW.case_id AND seq = NEW.seq) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE TRIGGER rfsm_transitions_append_only "
            "BEFORE UPDATE OR DELETE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_refuse_change()",
        ]
    return [
        "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
        "BEFORE UPDATE ON rfsm_transitions FOR EACH ROW "
        f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'"
    ]


# -- upgrade -----------------------------------------------------------------------------------
def _note_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("number", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("redacted_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("redacted_on", sa.Date, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("paths", sa.Text, nullable=True),
        sa.Column("actor_id", sa.String(NAME), nullable=True),
        sa.Column("actor_name", sa.String(NAME), nullable=True),
        sa.Column("actor_role", sa.String(WORD), nullable=True),
        sa.Column("actor_organisation", sa.String(NAME), nullable=True),
        sa.Column("payload_digest", sa.String(HASH), nullable=False),
        sa.Column("hash", sa.String(HASH), nullable=False),
    ]


HELD = {"upgrade": "rfsm_redactions_revision_2", "downgrade": "rfsm_redactions_revision_3"}
"""Where each direction keeps the redaction table it replaces until it is done (MariaDB)."""


def _hold_notes(direction: str, dialect: str, notes: sa.TableClause) -> sa.TableClause:
    """The redaction table this direction replaces (`notes`, as it reads it). On MariaDB, whose
    DROP TABLE commits at once, it is renamed aside rather than dropped, so that a run cut off
    before writing the notes anew loses none of them and finishes when run again."""
    if dialect not in ("mysql", "mariadb"):
        return notes
    held = HELD[direction]
    if (
        not resumable.has_table(held)
        and resumable.has_table(notes.name)
        and resumable.columns(notes.name) == set(notes.c.keys())
    ):
        op.rename_table(notes.name, held)
    return sa.table(held, *(sa.column(column.name, column.type) for column in notes.c))


def _notes_in(table: sa.TableClause) -> list[dict[str, Any]]:
    """Every note `table` holds (none if a run cut off after its end dropped it)."""
    if not resumable.has_table(table.name):
        return []
    return [dict(row) for row in op.get_bind().execute(sa.select(table)).mappings()]


def _done_with(held: sa.TableClause) -> None:
    """Drop the redaction table this direction replaced, held aside (`_hold_notes`)."""
    if held.name in HELD.values():
        resumable.drop_table(held.name)


def upgrade() -> None:
    """Add the salt and the tables, re-digest every sound case, and guard UPDATEs anew. On
    MariaDB a run cut off part way finishes when run again."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    held = _hold_notes("upgrade", dialect, old_notes)
    legacy = _notes_in(held)
    if held is old_notes:
        op.drop_table("rfsm_redactions")
    resumable.create_table(
        "rfsm_redactions",
        *_note_columns(),
        sa.PrimaryKeyConstraint("case_id", "seq", "number", name="pk_rfsm_redactions"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.create_table(
        "rfsm_redacting",
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_redacting"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.create_table(
        "rfsm_rechained",
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("old_last_hash", sa.String(HASH), nullable=False),
        sa.Column("new_last_hash", sa.String(HASH), nullable=False),
        sa.Column("rechained_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_rfsm_rechained"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.add_column(
        "rfsm_transitions", sa.Column("payload_salt", sa.String(SALT), nullable=True)
    )
    _drop_update_triggers(dialect)
    if not _redigested(bind):
        _redigest(bind, legacy)
    for statement in _guard(dialect):
        op.execute(statement)
    _done_with(held)


def _redigested(bind: sa.Connection) -> bool:
    """Whether `_redigest` has run and been committed (MariaDB: by the next statement's implicit
    commit, before a cut-off): only it writes notes and re-chained cases, in one transaction."""
    written = (
        bind.execute(sa.select(table.c.case_id).limit(1)).first() is not None
        for table in (new_notes, rechained)
    )
    return any(written)


def _redigest(bind: sa.Connection, legacy: Sequence[Mapping[str, Any]]) -> None:
    """Re-digest every case whose revision-2 rows verify, a chunk of cases at a time."""
    notes: dict[str, dict[int, Mapping[str, Any]]] = {}
    for row in legacy:
        notes.setdefault(row["case_id"], {})[int(row["seq"])] = row
    case_ids = sorted(set(bind.execute(sa.select(log.c.case_id).distinct()).scalars()) | set(notes))
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    update_entry = (
        sa.update(salted_log)
        .where(
            salted_log.c.case_id == sa.bindparam("b_case_id"),
            salted_log.c.seq == sa.bindparam("b_seq"),
        )
        .values(
            payload_salt=sa.bindparam("b_salt"),
            payload_digest=sa.bindparam("b_digest"),
            prev_hash=sa.bindparam("b_prev"),
            hash=sa.bindparam("b_hash"),
        )
    )
    update_case = (
        sa.update(case_rows)
        .where(case_rows.c.case_id == sa.bindparam("b_case_id"))
        .values(last_hash=sa.bindparam("b_last_hash"))
    )
    for start in range(0, len(case_ids), CHUNK):
        chunk = case_ids[start : start + CHUNK]
        entries: dict[str, list[dict[str, Any]]] = {}
        query = sa.select(log).where(log.c.case_id.in_(chunk)).order_by(log.c.case_id, log.c.seq)
        for found in bind.execute(query).mappings():
            entries.setdefault(found["case_id"], []).append(dict(found))
        heads = {
            row["case_id"]: dict(row)
            for row in bind.execute(
                sa.select(case_rows).where(case_rows.c.case_id.in_(chunk))
            ).mappings()
        }
        rewrites, cases, records, rechains = [], [], [], []
        for case_id in chunk:
            log_rows = entries.get(case_id, [])
            case_notes = notes.get(case_id, {})
            hashes = {int(e["seq"]): str(e["hash"]) for e in log_rows}
            if _sound(heads.get(case_id), log_rows, case_notes):
                prev = GENESIS
                for entry in log_rows:
                    salt = os.urandom(16).hex()
                    entry["payload_digest"] = _payload_digest(salt, entry)
                    entry["prev_hash"] = prev
                    prev = entry["hash"] = _entry_hash(entry, salted=True)
                    hashes[int(entry["seq"])] = prev
                    rewrites.append(
                        {
                            "b_case_id": case_id,
                            "b_seq": entry["seq"],
                            "b_salt": salt,
                            "b_digest": entry["payload_digest"],
                            "b_prev": entry["prev_hash"],
                            "b_hash": prev,
                        }
                    )
                old = str(heads[case_id]["last_hash"])
                cases.append({"b_case_id": case_id, "b_last_hash": prev})
                rechains.append(
                    {
                        "case_id": case_id,
                        "version": log_rows[-1]["seq"],
                        "old_last_hash": old,
                        "new_last_hash": prev,
                        "rechained_at": now,
                    }
                )
            for seq, note in sorted(case_notes.items()):
                record = dict(note) | {
                    "number": 1,
                    "redacted_on": None,
                    "paths": None,
                    "actor_id": None,
                    "actor_name": None,
                    "actor_role": None,
                    "actor_organisation": None,
                }
                record["hash"] = _note_hash(record, hashes.get(seq, GENESIS))
                records.append(record)
        if rewrites:
            bind.execute(update_entry, rewrites)
        if cases:
            bind.execute(update_case, cases)
        if records:
            bind.execute(sa.insert(new_notes), records)
        if rechains:
            bind.execute(sa.insert(rechained), rechains)


# -- downgrade ---------------------------------------------------------------------------------
def downgrade() -> None:
    """Back to revision 2's hashes and tables; refused once a revision-3 redaction removed a
    value (revision 2 could not show such an entry's payload). On MariaDB a run cut off part way
    finishes when run again."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if "paths" in resumable.columns("rfsm_redactions"):  # (not yet held aside or rewritten)
        made = bind.execute(
            sa.select(sa.func.count()).select_from(new_notes).where(new_notes.c.paths.is_not(None))
        ).scalar()
        if made:
            raise RuntimeError(
                f"cannot downgrade below 0003: {made} redaction(s) made under revision 3 removed "
                "values that revision 2's digests cannot account for"
            )
    _drop_update_triggers(dialect)
    hashes = _undigest(bind)
    held = _hold_notes("downgrade", dialect, new_notes)
    notes = _notes_in(held)
    if held is new_notes:
        op.drop_table("rfsm_redactions")
    resumable.create_table(
        "rfsm_redactions",
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("redacted_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("payload_digest", sa.String(HASH), nullable=False),
        sa.Column("hash", sa.String(HASH), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_redactions"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    records = []
    for note in notes:
        record = {name: note[name] for name in ("case_id", "seq", "redacted_at", "reason")}
        record["payload_digest"] = note["payload_digest"]
        entry = hashes.get((note["case_id"], int(note["seq"])), GENESIS)
        record["hash"] = _legacy_note_hash(record, entry)
        records.append(record)
    if held is new_notes or resumable.has_table(held.name):  # (MariaDB: else written before)
        bind.execute(sa.delete(old_notes))  # (MariaDB: written by a run cut off after it)
        if records:
            bind.execute(sa.insert(old_notes), records)
    resumable.drop_table("rfsm_rechained")
    resumable.drop_table("rfsm_redacting")
    if "payload_salt" in resumable.columns("rfsm_transitions"):
        with op.batch_alter_table("rfsm_transitions") as batch:
            batch.drop_column("payload_salt")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS rfsm_guard_update()")
    for statement in _revision_2_triggers(dialect):
        op.execute(statement)
    _done_with(held)


def _undigest(bind: sa.Connection) -> dict[tuple[str, int], str]:
    """Revision 2's digests and hashes for every salted case; every entry's hash after."""
    hashes: dict[tuple[str, int], str] = {}
    for row in bind.execute(sa.select(log.c.case_id, log.c.seq, log.c.hash)).mappings():
        hashes[(row["case_id"], int(row["seq"]))] = str(row["hash"])
    if "payload_salt" not in resumable.columns("rfsm_transitions"):
        return hashes  # (MariaDB: a run cut off after dropping it, every entry undigested)
    salted = sorted(
        set(
            bind.execute(
                sa.select(salted_log.c.case_id).where(salted_log.c.payload_salt.is_not(None))
            ).scalars()
        )
    )
    update_entry = (
        sa.update(salted_log)
        .where(
            salted_log.c.case_id == sa.bindparam("b_case_id"),
            salted_log.c.seq == sa.bindparam("b_seq"),
        )
        .values(
            payload_salt=None,
            payload_digest=sa.bindparam("b_digest"),
            prev_hash=sa.bindparam("b_prev"),
            hash=sa.bindparam("b_hash"),
        )
    )
    update_case = (
        sa.update(case_rows)
        .where(case_rows.c.case_id == sa.bindparam("b_case_id"))
        .values(last_hash=sa.bindparam("b_last_hash"))
    )
    for start in range(0, len(salted), CHUNK):
        chunk = salted[start : start + CHUNK]
        query = sa.select(log).where(log.c.case_id.in_(chunk)).order_by(log.c.case_id, log.c.seq)
        grouped: dict[str, list[dict[str, Any]]] = {}
        for found in bind.execute(query).mappings():
            grouped.setdefault(found["case_id"], []).append(dict(found))
        rewrites, cases = [], []
        for case_id, entries in grouped.items():
            prev = GENESIS
            for entry in entries:
                entry["payload_digest"] = _sha(entry["data"])
                entry["prev_hash"] = prev
                prev = entry["hash"] = _entry_hash(entry, salted=False)
                hashes[(case_id, int(entry["seq"]))] = prev
                rewrites.append(
                    {
                        "b_case_id": case_id,
                        "b_seq": entry["seq"],
                        "b_digest": entry["payload_digest"],
                        "b_prev": entry["prev_hash"],
                        "b_hash": prev,
                    }
                )
            cases.append({"b_case_id": case_id, "b_last_hash": prev})
        if rewrites:
            bind.execute(update_entry, rewrites)
        if cases:
            bind.execute(update_case, cases)
    return hashes
