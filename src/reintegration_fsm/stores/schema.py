"""The store's tables (SQLAlchemy Core) and the triggers that keep the log append-only.

- `rfsm_cases`: one current-state row per case, with what `cases()` lists and searches.
- `rfsm_transitions`: the append-only, hash-chained log, UNIQUE (case_id, seq).
- `rfsm_open_items`: what still binds (pending deadlines, open obligations), which `due()` reads
  by index.
- `rfsm_weightings`: the Fair Access ledger, one row per school a successful move adjusted.
- `rfsm_redactions`: one row for each log entry whose payload was later redacted, its hash bound
  to the entry's, so that the log's own rows carry no field outside the hash chain.

Everything but the log and the redactions is a projection that `verify()` recomputes by replay.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.mysql import LONGTEXT

from reintegration_fsm.fields import ID_LENGTH, NAME_LENGTH

ID = ID_LENGTH
NAME = NAME_LENGTH
WORD = 40
HASH = 64
FOLDED = 3
"""`str.casefold` makes at most three characters of one ("ﬃ" -> "ffi")."""

PAYLOAD = Text().with_variant(LONGTEXT(), "mysql", "mariadb")
"""JSON text with no limit short of the engine's own: MariaDB's TEXT stops at 64 KiB."""

# MariaDB/MySQL: full Unicode and a binary collation, so that case ids compare and sort
# exactly as on PostgreSQL (C collation), SQLite and in Python ("A-1" and "a-1" differ).

metadata = MetaData()

cases = Table(
    "rfsm_cases",
    metadata,
    Column("case_id", String(ID), primary_key=True),
    Column("authority", String(NAME), nullable=False, index=True),
    Column("stage", String(WORD), nullable=False),
    Column("version", Integer, nullable=False),
    Column("next_due", Date, nullable=True, index=True),
    Column("last_hash", String(HASH), nullable=False),
    Column("pupil_name", String(NAME), nullable=False),
    Column("ap_setting", String(NAME), nullable=False, index=True),
    Column("host_school", String(NAME), nullable=True, index=True),
    Column("opened_on", Date, nullable=False),
    Column("last_on", Date, nullable=False),
    # Case-insensitive search in Python's terms on every engine (SQLite's lower() is ASCII only).
    Column("case_id_folded", String(ID * FOLDED), nullable=False),
    Column("pupil_name_folded", String(NAME * FOLDED), nullable=False),
    Index("ix_rfsm_cases_stage", "stage", "case_id"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

transitions = Table(
    "rfsm_transitions",
    metadata,
    Column("case_id", String(ID), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("trigger_name", String(WORD), nullable=False),
    Column("source", String(WORD), nullable=True),
    Column("dest", String(WORD), nullable=False),
    Column("actor_id", String(NAME), nullable=False),
    Column("actor_role", String(WORD), nullable=False),
    Column("actor_organisation", String(NAME), nullable=False),
    Column("actor_name", String(NAME), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=False), nullable=False),
    Column("data", PAYLOAD, nullable=False),
    Column("payload_digest", String(HASH), nullable=False),
    Column("prev_hash", String(HASH), nullable=False),
    Column("hash", String(HASH), nullable=False),
    PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_transitions"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

open_items = Table(
    "rfsm_open_items",
    metadata,
    Column("case_id", String(ID), nullable=False),
    Column("item_no", Integer, nullable=False, autoincrement=False),
    Column("authority", String(NAME), nullable=False),
    Column("item_type", String(16), nullable=False),
    Column("kind", String(WORD), nullable=False),
    Column("owner", String(16), nullable=True),
    Column("due", Date, nullable=True),
    Column("opened_on", Date, nullable=True),
    PrimaryKeyConstraint("case_id", "item_no", name="pk_rfsm_open_items"),
    # Covering indexes: due() reads every column it reads or returns from the index alone.
    Index(
        "ix_rfsm_open_items_due",
        "due",
        "case_id",
        "item_no",
        "kind",
        "item_type",
        "owner",
        "opened_on",
    ),
    Index(
        "ix_rfsm_open_items_authority_due",
        "authority",
        "due",
        "case_id",
        "item_no",
        "kind",
        "item_type",
        "owner",
        "opened_on",
    ),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

weightings = Table(
    "rfsm_weightings",
    metadata,
    Column("case_id", String(ID), nullable=False),
    Column("school", String(NAME), nullable=False),
    Column("authority", String(NAME), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("points", Integer, nullable=False),
    PrimaryKeyConstraint("case_id", "school", name="pk_rfsm_weightings"),
    # Covering indexes: weightings() and ledger() read a date range from the index alone.
    Index("ix_rfsm_weightings_on", "on_date", "case_id", "school", "points"),
    Index("ix_rfsm_weightings_authority_on", "authority", "on_date", "case_id", "school", "points"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

redactions = Table(
    "rfsm_redactions",
    metadata,
    Column("case_id", String(ID), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("redacted_at", DateTime(timezone=False), nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload_digest", String(HASH), nullable=False),
    Column("hash", String(HASH), nullable=False),
    PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_redactions"),
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_bin",
)

TABLES = (cases, transitions, open_items, weightings, redactions)
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


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that makes `rfsm_transitions` refuse UPDATE, DELETE and REPLACE (idempotent).

    PostgreSQL's `ON CONFLICT DO UPDATE` fires the UPDATE trigger, and MariaDB's `REPLACE` and
    `ON DUPLICATE KEY UPDATE` the DELETE or UPDATE one; SQLite's REPLACE needs its own.
    """
    if dialect == "sqlite":
        return [
            *(
                f"CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_{event.lower()} "
                f"BEFORE {event} ON rfsm_transitions "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
                for event in ("UPDATE", "DELETE")
            ),
            SQLITE_NO_REPLACE,
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION rfsm_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; "
            "END $$",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_append_only "
            "BEFORE UPDATE OR DELETE ON rfsm_transitions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_refuse_change()",
            "CREATE OR REPLACE TRIGGER rfsm_transitions_no_truncate "
            "BEFORE TRUNCATE ON rfsm_transitions "
            "FOR EACH STATEMENT EXECUTE FUNCTION rfsm_refuse_change()",
        ]
    if dialect in ("mysql", "mariadb"):
        return [
            f"CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_{event.lower()} "
            f"BEFORE {event} ON rfsm_transitions FOR EACH ROW "
            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{REFUSAL}'"
            for event in ("UPDATE", "DELETE")
        ]
    raise NotImplementedError(f"no append-only triggers for the {dialect!r} dialect")


def drop_trigger_statements(dialect: str) -> list[str]:
    """The DDL that removes those triggers (tests and controlled maintenance only)."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS rfsm_transitions_append_only ON rfsm_transitions",
            "DROP TRIGGER IF EXISTS rfsm_transitions_no_truncate ON rfsm_transitions",
        ]
    events = ("update", "delete", "replace") if dialect == "sqlite" else ("update", "delete")
    return [f"DROP TRIGGER IF EXISTS rfsm_transitions_no_{e}" for e in events]
