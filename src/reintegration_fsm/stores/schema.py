"""The store's tables (SQLAlchemy Core) and the triggers that keep the log append-only.

- `rfsm_cases`: one current-state row per case, with what `cases()` lists and searches, the
  case's encoded state (revision 0005), from which a load rebuilds it without replaying, and
  its number of redaction records (revision 0012), which a trigger on `rfsm_redactions` counts.
- `rfsm_transitions`: the append-only, hash-chained log, UNIQUE (case_id, seq). Its digests,
  hashes and salt are kept as bytes (`HexBytes`: hex text to every Python caller), its data at
  rest (`stores.stored`).
- `rfsm_open_items`: what still binds (pending deadlines, open obligations), which `due()` finds
  by its due date.
- `rfsm_weightings`: the Fair Access ledger, one row per school a successful move adjusted.
- `rfsm_redactions`: one row for each redaction of a log entry (who, when, why, which paths),
  its hash bound to the entry's, so that the log's own rows carry no field outside the hash chain.
- `rfsm_redacting`: empty but inside a redaction's transaction, where it names the entries the
  log's UPDATE trigger lets that transaction redact.
- `rfsm_rechained`: each case the 0003 upgrade re-digested, with its last hash before and after,
  so that an anchor published earlier can still be checked.
- `rfsm_protocols`: each authority's protocol `(id, version)` the authority's cases were opened
  under, with the rules' fingerprint its first case recorded (revision 0015), so that a file
  edited in place cannot open new cases under other rules beside the old ones, nor another
  authority's file open cases under the same id and version with other rules.

On SQLite the open items and the weightings are `WITHOUT ROWID` tables (since 0007), kept in their
primary key's order with no second copy of the key; the log keeps its rowid, as its rows are large
(SQLite packs appended rowid pages full, and splits a keyed table's pages in half).

Everything but the log and the redactions is a projection that `verify()` recomputes by replay.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.mysql import BINARY, LONGBLOB, LONGTEXT
from sqlalchemy.types import TypeEngine

from reintegration_fsm.errors import StoreError
from reintegration_fsm.fields import ID_LENGTH, NAME_LENGTH

ID = ID_LENGTH
NAME = NAME_LENGTH
WORD = 40
HASH = 64
"""A SHA-256 as hex text (the case row's `last_hash`, the redaction records)."""
HASH_BYTES = 32
SALT_BYTES = 16
KEY_BYTES = 16
FOLDED = 3
"""`str.casefold` makes at most three characters of one ("ﬃ" -> "ffi")."""

PAYLOAD = Text().with_variant(LONGTEXT(), "mysql", "mariadb")
"""JSON text with no limit short of the engine's own: MariaDB's TEXT stops at 64 KiB."""


class HexBytes(TypeDecorator[str]):
    """A digest, hash or salt kept as bytes (BLOB on SQLite, BYTEA on PostgreSQL, BINARY(n) on
    MariaDB), and handed to and from Python as its lower-case hex text: every row dict, hash
    computation, checkpoint and message sees the hex text it always saw, at half the bytes."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        """The value's length in bytes."""

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(BINARY(self.size))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):  # a column left as revision 0003 made it
            raise StoreError(
                "rfsm_transitions keeps its digests as hex text: the database predates schema "
                "revision 0006 (run upgrade(), reintegration-fsm db upgrade, once), or a row "
                "was altered behind the store",
                retryable=False,
            )
        return bytes(value).hex()


BINARY_COLUMNS = ("payload_digest", "hash", "payload_salt", "payload_key")
"""The log's columns kept as bytes (`HexBytes`); a raw-SQL path binds them with `as_bytes`."""


class TextDigest(str):
    """A `BINARY_COLUMNS` value SQLite kept as text, as `verify()` reads it: in a database at
    the newest revision (verify refuses an older one first), a row altered behind the store,
    which it names (other reads refuse the text, `HexBytes`)."""

    __slots__ = ()


def as_bytes(value: str | None) -> bytes | None:
    """A hex value as a `BINARY_COLUMNS` column keeps it."""
    return None if value is None else bytes.fromhex(value)


def varchar(length: int) -> TypeEngine[str]:
    """Text of at most `length` characters that sorts and compares as Python's `str` does, by
    code point: on PostgreSQL the column takes the C collation (since 0010), whatever the
    database's own (under `en_GB.UTF-8`, `"a-2"` sorts before `"B-1"`); SQLite's BINARY and the
    tables' `utf8mb4_bin` on MariaDB already sort so."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


metadata = MetaData()

cases = Table(
    "rfsm_cases",
    metadata,
    Column("case_id", varchar(ID), primary_key=True),
    Column("authority", varchar(NAME), nullable=False),
    Column("stage", varchar(WORD), nullable=False),
    Column("version", Integer, nullable=False),
    # Not indexed (since 0004): no query looks a case up by it, and every save changes it.
    Column("next_due", Date, nullable=True),
    Column("last_hash", varchar(HASH), nullable=False),
    Column("pupil_name", varchar(NAME), nullable=False),
    Column("ap_setting", varchar(NAME), nullable=False),
    Column("host_school", varchar(NAME), nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("last_on", Date, nullable=False),
    # Case-insensitive search in Python's terms on every engine (SQLite's lower() is ASCII only).
    Column("case_id_folded", varchar(ID * FOLDED), nullable=False),
    Column("pupil_name_folded", varchar(NAME * FOLDED), nullable=False),
    # Each school's name as the rules compare names (`fields.folded_name`, since 0014): what
    # `cases(school=)` and `due(school=)` look up. NULL for no host yet (and, for either, in a
    # row written behind the store, which `verify()` reports).
    Column("ap_setting_folded", varchar(NAME * FOLDED), nullable=True, index=True),
    Column("host_school_folded", varchar(NAME * FOLDED), nullable=True, index=True),
    # The case's state as `state.encode` writes it (`Reintegration._state()`), so that a load
    # need not replay; NULL when unknown (a load then replays). `verify()` replays and compares.
    Column("state", PAYLOAD, nullable=True),
    # How many `rfsm_redactions` rows the case has (since 0012), counted by a trigger
    # (`counting_statements`), so that the save's UPDATE, which compares it, sees on the row it
    # locks a redaction committed while it ran. `verify()` counts the records and compares.
    Column("redactions", Integer, nullable=False, server_default="0"),
    Index("ix_rfsm_cases_stage", "stage", "case_id"),
    # An authority's cases in case id order (since 0017): a scoped store's stream of the log
    # (`load_all`, `verify`) and its `cases()` read them so, with no sort of its whole log.
    Index("ix_rfsm_cases_authority", "authority", "case_id"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

transitions = Table(
    "rfsm_transitions",
    metadata,
    Column("case_id", varchar(ID), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("trigger_name", varchar(WORD), nullable=False),
    Column("source", varchar(WORD), nullable=True),
    Column("dest", varchar(WORD), nullable=False),
    Column("actor_id", varchar(NAME), nullable=False),
    Column("actor_role", varchar(WORD), nullable=False),
    Column("actor_organisation", varchar(NAME), nullable=False),
    Column("actor_name", varchar(NAME), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=False), nullable=False),
    Column("data", PAYLOAD, nullable=False),
    Column("payload_digest", HexBytes(HASH_BYTES), nullable=False),
    # No prev_hash (since 0008): the previous entry's `hash` is it (`hashing.entry_hash`).
    Column("hash", HexBytes(HASH_BYTES), nullable=False),
    # NULL only on an entry written before 0003 that the upgrade could not re-digest.
    Column("payload_salt", HexBytes(SALT_BYTES), nullable=True),
    # Scheme 3 (since 0011): the key each leaf's is made from, until the entry's first
    # redaction replaces it by the leaf keys of the values left (`digests`). A redaction may
    # change both; NULL on an entry of an earlier scheme.
    Column("payload_key", HexBytes(KEY_BYTES), nullable=True),
    Column("leaf_keys", LargeBinary().with_variant(LONGBLOB(), "mysql", "mariadb"), nullable=True),
    PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_transitions"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

open_items = Table(
    "rfsm_open_items",
    metadata,
    Column("case_id", varchar(ID), nullable=False),
    Column("item_no", Integer, nullable=False, autoincrement=False),
    Column("authority", varchar(NAME), nullable=False),
    Column("item_type", varchar(16), nullable=False),
    Column("kind", varchar(WORD), nullable=False),
    Column("owner", varchar(16), nullable=True),
    Column("due", Date, nullable=True),
    Column("opened_on", Date, nullable=True),
    PrimaryKeyConstraint("case_id", "item_no", name="pk_rfsm_open_items"),
    # due() finds its items by this index; on SQLite and MariaDB the table is kept in its primary
    # key's order, so each item the index finds is read from the table by that key.
    Index("ix_rfsm_open_items_due", "due", "case_id", "item_no"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
    sqlite_with_rowid=False,
)

weightings = Table(
    "rfsm_weightings",
    metadata,
    Column("case_id", varchar(ID), nullable=False),
    Column("school", varchar(NAME), nullable=False),
    Column("authority", varchar(NAME), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("points", Integer, nullable=False),
    PrimaryKeyConstraint("case_id", "school", name="pk_rfsm_weightings"),
    # weightings() and ledger() find a date range by this index (scoped to an authority, they
    # read each row's authority from the table).
    Index("ix_rfsm_weightings_on", "on_date", "case_id", "school"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
    sqlite_with_rowid=False,
)

redactions = Table(
    "rfsm_redactions",
    metadata,
    Column("case_id", varchar(ID), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("number", Integer, nullable=False, autoincrement=False),
    Column("redacted_at", DateTime(timezone=False), nullable=False),
    # NULL on a note of a redaction made by revision 2's manual procedure (see docs/stores.md).
    Column("redacted_on", Date, nullable=True),
    Column("reason", Text, nullable=False),
    Column("paths", Text, nullable=True),
    Column("actor_id", varchar(NAME), nullable=True),
    Column("actor_name", varchar(NAME), nullable=True),
    Column("actor_role", varchar(WORD), nullable=True),
    Column("actor_organisation", varchar(NAME), nullable=True),
    Column("payload_digest", varchar(HASH), nullable=False),
    Column("hash", varchar(HASH), nullable=False),
    PrimaryKeyConstraint("case_id", "seq", "number", name="pk_rfsm_redactions"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

redacting = Table(
    "rfsm_redacting",
    metadata,
    Column("case_id", varchar(ID), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_redacting"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

rechained = Table(
    "rfsm_rechained",
    metadata,
    Column("case_id", varchar(ID), nullable=False),
    Column("version", Integer, nullable=False, autoincrement=False),
    Column("old_last_hash", varchar(HASH), nullable=False),
    Column("new_last_hash", varchar(HASH), nullable=False),
    Column("rechained_at", DateTime(timezone=False), nullable=False),
    PrimaryKeyConstraint("case_id", name="pk_rfsm_rechained"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

protocols = Table(
    "rfsm_protocols",
    metadata,
    Column("authority", varchar(NAME), nullable=False),
    Column("protocol_id", varchar(NAME), nullable=False),
    Column("version", varchar(NAME), nullable=False),
    # The rules' fingerprint the authority's first case opened under this id and version
    # recorded; every later case of the authority, and every new case of another authority
    # under this id and version, must record the same rules (under any edition), or its save
    # is refused.
    Column("fingerprint", varchar(HASH), nullable=False),
    Column("first_case_id", varchar(ID), nullable=False),
    PrimaryKeyConstraint("authority", "protocol_id", "version", name="pk_rfsm_protocols"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

TABLES = (cases, transitions, open_items, weightings, redactions, redacting, rechained, protocols)
TABLE_NAMES = frozenset(table.name for table in TABLES)

REFUSAL = "rfsm_transitions is append-only"


SQLITE_NO_REPLACE = (
    "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_replace "
    "BEFORE INSERT ON rfsm_transitions "
    "WHEN EXISTS (SELECT 1 FROM rfsm_transitions "
    "WHERE case_id = NEW.case_id AND seq = NEW.seq) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
)
"""SQLite's `INSERT OR REPLACE` deletes the old row without firing DELETE triggers (unless
`recursive_triggers` is on): refuse any insert that would meet an existing entry."""


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
    "hash",
    "payload_salt",
)
"""The log columns no UPDATE may change; a redaction changes only `data`, `actor_id`,
`actor_name`, `payload_key` and `leaf_keys`, and only of an entry `rfsm_redacting` names."""

REDACTABLE = ("data", "actor_id", "actor_name")
"""The log columns that hold what a redaction removes."""

_FLAGGED = (
    "EXISTS (SELECT 1 FROM rfsm_redacting "
    "WHERE rfsm_redacting.case_id = OLD.case_id AND rfsm_redacting.seq = OLD.seq)"
)


def _sqlite_update_guard() -> str:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED_COLUMNS)
    return (
        "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
        f"BEFORE UPDATE ON rfsm_transitions WHEN NOT {_FLAGGED} OR {changed} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )


def _postgresql_update_guard(home: str | None) -> str:
    new = ", ".join(f"NEW.{c}" for c in FIXED_COLUMNS)
    old = ", ".join(f"OLD.{c}" for c in FIXED_COLUMNS)
    return (
        "CREATE OR REPLACE FUNCTION rfsm_guard_update() RETURNS trigger "
        f"LANGUAGE plpgsql {pinned(home)} AS $$ BEGIN "
        f"IF NOT {_FLAGGED} OR ({new}) IS DISTINCT FROM ({old}) THEN "
        f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
        "END IF; RETURN NEW; END $$"
    )


def _mariadb_update_guard() -> str:
    same = " AND ".join(f"NEW.{c} <=> OLD.{c}" for c in FIXED_COLUMNS)
    return (
        "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_update "
        "BEFORE UPDATE ON rfsm_transitions FOR EACH ROW BEGIN "
        f"IF NOT {_FLAGGED} OR NOT ({same}) THEN "
        f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'; "
        "END IF; END"
    )


KEYED_REFUSAL = "rfsm_transitions is at schema revision 0011: stop every older version"
"""What the keyed guards answer a writer of an earlier version (`keyed_guard_statements`)."""

_UNKEYED_INSERT = "NEW.payload_salt IS NOT NULL AND NEW.payload_key IS NULL"


def keyed_guard_statements(dialect: str, home: str | None = None) -> list[str]:
    """The DDL that refuses what a version before revision 0011 would write (since 0011): a
    salted entry without a payload key (digest scheme 2), and a redaction that keeps the
    payload key beside the values it removed (whose digests could then be guessed). `home`:
    on PostgreSQL, the store's schema (`pinned`)."""
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in REDACTABLE)
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed "
            f"BEFORE INSERT ON rfsm_transitions WHEN {_UNKEYED_INSERT} "
            f"BEGIN SELECT RAISE(ABORT, '{KEYED_REFUSAL}'); END",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed_redaction "
            "BEFORE UPDATE ON rfsm_transitions "
            f"WHEN NEW.payload_key IS NOT NULL AND ({changed}) AND {_FLAGGED} "
            f"BEGIN SELECT RAISE(ABORT, '{KEYED_REFUSAL}'); END",
        ]
    if dialect == "postgresql":
        new = ", ".join(f"NEW.{c}" for c in REDACTABLE)
        old = ", ".join(f"OLD.{c}" for c in REDACTABLE)
        return [
            "CREATE OR REPLACE FUNCTION rfsm_guard_keyed() RETURNS trigger "
            f"LANGUAGE plpgsql {pinned(home)} AS $$ BEGIN "
            f"IF (TG_OP = 'INSERT' AND {_UNKEYED_INSERT}) OR (TG_OP = 'UPDATE' "
            f"AND NEW.payload_key IS NOT NULL AND ({new}) IS DISTINCT FROM ({old}) "
            f"AND {_FLAGGED}) THEN "
            f"RAISE EXCEPTION '{KEYED_REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END IF; RETURN NEW; END $$",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_keyed "
            "BEFORE INSERT OR UPDATE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_guard_keyed()",
        ]
    if dialect in ("mysql", "mariadb"):
        same = " AND ".join(f"NEW.{c} <=> OLD.{c}" for c in REDACTABLE)
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed "
            "BEFORE INSERT ON rfsm_transitions FOR EACH ROW "
            f"IF {_UNKEYED_INSERT} THEN "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{KEYED_REFUSAL}'; END IF",
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_keyed_redaction "
            "BEFORE UPDATE ON rfsm_transitions FOR EACH ROW "
            f"IF NEW.payload_key IS NOT NULL AND NOT ({same}) AND {_FLAGGED} THEN "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{KEYED_REFUSAL}'; END IF",
        ]
    raise NotImplementedError(f"no keyed guards for the {dialect!r} dialect")


def drop_keyed_guard_statements(dialect: str) -> list[str]:
    """The DDL that removes the keyed guards."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS rfsm_transitions_keyed ON rfsm_transitions",
            "DROP FUNCTION IF EXISTS rfsm_guard_keyed()",
        ]
    return [
        "DROP TRIGGER IF EXISTS rfsm_transitions_keyed",
        "DROP TRIGGER IF EXISTS rfsm_transitions_keyed_redaction",
    ]


COUNTED = "UPDATE rfsm_cases SET redactions = redactions + 1 WHERE case_id = NEW.case_id"
"""What the counting trigger does for each redaction record inserted."""


def counting_statements(dialect: str, home: str | None = None) -> list[str]:
    """The DDL that counts each redaction record on its case row (since 0012; idempotent):
    whoever writes the record, a process of an earlier version too, the count follows. `home`:
    on PostgreSQL, the store's schema (`pinned`)."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_redactions_counted "
            f"AFTER INSERT ON rfsm_redactions BEGIN {COUNTED}; END"
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION rfsm_count_redaction() RETURNS trigger "
            f"LANGUAGE plpgsql {pinned(home)} AS $$ BEGIN {COUNTED}; RETURN NULL; END $$",
            "CREATE OR REPLACE TRIGGER rfsm_redactions_counted "
            "AFTER INSERT ON rfsm_redactions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_count_redaction()",
        ]
    if dialect in ("mysql", "mariadb"):
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_redactions_counted "
            f"AFTER INSERT ON rfsm_redactions FOR EACH ROW {COUNTED}"
        ]
    raise NotImplementedError(f"no counting trigger for the {dialect!r} dialect")


def trigger_statements(dialect: str, home: str | None = None) -> list[str]:
    """The DDL that makes `rfsm_transitions` refuse DELETE and REPLACE, and UPDATE but a
    redaction's (idempotent).

    An UPDATE passes only for an entry that `rfsm_redacting` names (a row a redaction writes and
    deletes in its own transaction) and only if it leaves every column of `FIXED_COLUMNS` as it
    was: `verify()` then checks, from the row alone, that it only removed values. PostgreSQL's
    `ON CONFLICT DO UPDATE` fires the UPDATE trigger, and MariaDB's `REPLACE` and
    `ON DUPLICATE KEY UPDATE` the DELETE or UPDATE one; SQLite's REPLACE needs its own.
    `home`: on PostgreSQL, the store's schema (`pinned`).
    """
    if dialect == "sqlite":
        return [
            _sqlite_update_guard(),
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_delete "
            "BEFORE DELETE ON rfsm_transitions "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
            SQLITE_NO_REPLACE,
            *keyed_guard_statements(dialect),
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION rfsm_refuse_change() RETURNS trigger "
            f"LANGUAGE plpgsql {pinned(home)} AS $$ BEGIN "
            f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END $$",
            _postgresql_update_guard(home),
            "CREATE OR REPLACE TRIGGER rfsm_transitions_append_only "
            "BEFORE DELETE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_refuse_change()",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_redact_only "
            "BEFORE UPDATE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_guard_update()",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_no_truncate "
            "BEFORE TRUNCATE ON rfsm_transitions "
            "FOR EACH STATEMENT EXECUTE FUNCTION rfsm_refuse_change()",
            *keyed_guard_statements(dialect, home),
        ]
    if dialect in ("mysql", "mariadb"):
        return [
            _mariadb_update_guard(),
            "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_delete "
            "BEFORE DELETE ON rfsm_transitions FOR EACH ROW "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'",
            *keyed_guard_statements(dialect),
        ]
    raise NotImplementedError(f"no append-only triggers for the {dialect!r} dialect")


def guard_statements(dialect: str, home: str | None = None) -> list[str]:
    """The DDL that makes every trigger guarding the log and counting its redactions
    (`trigger_statements`, then `counting_statements`; idempotent). On PostgreSQL, `home` is
    the schema the store's tables are in (`home_of`), which the trigger functions find them
    in (`pinned`)."""
    return [*trigger_statements(dialect, home), *counting_statements(dialect, home)]


def pinned(home: str | None) -> str:
    """The clause that gives a PostgreSQL trigger function its own `search_path`: the store's
    schema `home`, then `pg_temp` (since 0016).

    The functions name the store's tables without a schema. Taking the caller's `search_path`,
    they found nothing when it was empty, as `pg_restore --data-only` (and a `pg_dump
    --data-only` file replayed with psql) sets it while loading rows, so a data-only restore
    failed on the first log entry. The schema is named, not captured (`SET search_path FROM
    CURRENT` would keep `"$user", public`, which reads as another schema for each role that
    calls), and `pg_temp` is named last so that a session's temporary table (searched first
    when not named) cannot stand in for `rfsm_redacting`.

    Raises:
        ValueError: no `home` (the PostgreSQL functions cannot be written without it).
    """
    if home is None:
        raise ValueError("the PostgreSQL trigger functions need the store's schema (home_of)")
    return f"SET search_path = {_identifier(home)}, pg_temp"


def _identifier(name: str) -> str:
    """`name` as a quoted PostgreSQL identifier (PostgreSQL keeps a function's `search_path`
    quoted only where it must be: `search_path=public, pg_temp`)."""
    return '"' + name.replace('"', '""') + '"'


HOME = (
    "SELECT coalesce((SELECT n.nspname FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.oid = to_regclass('rfsm_transitions')), current_schema())"
)
"""The schema of the log table the session finds, or where it would make one (PostgreSQL)."""


def home_of(conn: Connection) -> str | None:
    """The schema the store's tables are in, to write the guards' DDL with (`guard_statements`):
    on PostgreSQL, the schema of the `rfsm_transitions` the session finds (or, none found, the
    one it would make it in); None on the other engines.

    Raises:
        StoreError: PostgreSQL finds no schema (none on the session's `search_path` exists).
    """
    if conn.dialect.name != "postgresql":
        return None
    found = conn.exec_driver_sql(HOME).scalar()
    if found is None:
        raise StoreError(
            "cannot make the log's guards: no schema on the session's search_path exists",
            retryable=False,
        )
    return str(found)


_MADE_FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(\)")


def made_function(statement: str) -> str | None:
    """The name of the PostgreSQL function `statement` (of `guard_statements`) makes, if any."""
    found = _MADE_FUNCTION.match(statement)
    return None if found is None else found.group(1)


def guard_functions() -> list[str]:
    """The names of the PostgreSQL functions `guard_statements` make (the triggers run them)."""
    return [
        made
        for statement in guard_statements("postgresql", "public")  # (any home: names only)
        if (made := made_function(statement)) is not None
    ]


_MADE_TRIGGER = re.compile(r"CREATE (?:OR REPLACE )?TRIGGER (?:IF NOT EXISTS )?(\w+) .*? ON (\w+)")


def guards(dialect: str) -> dict[str, str]:
    """The triggers `guard_statements` make, each with its table: a store whose database lacks
    one (restored from a dump taken without triggers, or one dropped or disabled) no longer
    refuses what it guards against."""
    return {
        found.group(1): found.group(2)
        for statement in guard_statements(dialect, "public")  # (any home: names only)
        if (found := _MADE_TRIGGER.search(statement)) is not None
    }


_PRESENT_GUARDS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    # A disabled trigger (ALTER TABLE ... DISABLE TRIGGER, as a dump of a database so altered
    # restores it) guards nothing: it counts as missing.
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
    "AND tgrelid IN (to_regclass('rfsm_transitions'), to_regclass('rfsm_redactions'))",
    "mysql": "SELECT trigger_name FROM information_schema.triggers "
    "WHERE trigger_schema = DATABASE()",
}


def missing_guards(conn: Connection) -> list[str]:
    """The names of the store's triggers (`guards`) that its database lacks or has disabled."""
    dialect = "mysql" if conn.dialect.name == "mariadb" else conn.dialect.name
    present = {str(name) for name in conn.exec_driver_sql(_PRESENT_GUARDS[dialect]).scalars()}
    return [name for name in guards(dialect) if name not in present]


_MISPINNED = (
    "SELECT proname FROM pg_proc WHERE proname = ANY(%(names)s) AND pronargs = 0 "
    "AND pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(home)s) "
    "AND proconfig IS DISTINCT FROM ARRAY['search_path=' || quote_ident(%(home)s) || ', pg_temp']"
)
"""The guards' functions in the store's schema `home` not pinned to it."""


def mispinned_functions(conn: Connection) -> list[str]:
    """The names of the guards' PostgreSQL functions that do not find the store's tables in its
    schema (`pinned`): made before revision 0016, or the schema renamed since (a function that
    looks in another schema fails every save). None elsewhere."""
    return _not_pinned_home(conn, _MISPINNED)


def pinned_elsewhere(conn: Connection) -> list[str]:
    """The names of the guards' PostgreSQL functions pinned to a schema other than the store's:
    the store's schema renamed since they were made, so that they look for its tables where
    they are not and every save fails until `upgrade()` makes them again. (A function not
    pinned at all, made before revision 0016, still finds them.) None elsewhere."""
    return _not_pinned_home(conn, _MISPINNED + " AND proconfig IS NOT NULL")


def _not_pinned_home(conn: Connection, query: str) -> list[str]:
    """The names `query` (`_MISPINNED`, maybe narrowed) finds on PostgreSQL, sorted; none
    elsewhere."""
    if conn.dialect.name != "postgresql":
        return []
    found = conn.exec_driver_sql(query, {"names": guard_functions(), "home": home_of(conn)})
    return sorted(str(name) for name in found.scalars())


def drop_trigger_statements(dialect: str) -> list[str]:
    """The DDL that removes those triggers (tests and controlled maintenance only)."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS rfsm_transitions_append_only ON rfsm_transitions",
            "DROP TRIGGER IF EXISTS rfsm_transitions_redact_only ON rfsm_transitions",
            "DROP TRIGGER IF EXISTS rfsm_transitions_no_truncate ON rfsm_transitions",
            *drop_keyed_guard_statements(dialect),
        ]
    events = ("update", "delete", "replace") if dialect == "sqlite" else ("update", "delete")
    return [
        *(f"DROP TRIGGER IF EXISTS rfsm_transitions_no_{e}" for e in events),
        *drop_keyed_guard_statements(dialect),
    ]
