"""The store's tables (SQLAlchemy Core) and the triggers that keep the log append-only.

- `rfsm_cases`: one current-state row per case.
- `rfsm_transitions`: the append-only, hash-chained log, UNIQUE (case_id, seq).
- `rfsm_open_items`: unmet deadlines and open obligations, which `due()` reads by index.
- `rfsm_redactions`: one row for each log entry whose payload was later redacted, its hash bound
  to the entry's, so that the log's own rows carry no field outside the hash chain.
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

ID = 100
NAME = 200
WORD = 40
HASH = 64

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
    Column("data", Text, nullable=False),
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
    PrimaryKeyConstraint("case_id", "item_no", name="pk_rfsm_open_items"),
    # Covering indexes: due() reads every column it returns from the index alone.
    Index("ix_rfsm_open_items_due", "due", "case_id", "item_no", "kind", "item_type", "owner"),
    Index(
        "ix_rfsm_open_items_authority_due",
        "authority",
        "due",
        "case_id",
        "item_no",
        "kind",
        "item_type",
        "owner",
    ),
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

TABLES = (cases, transitions, open_items, redactions)
TABLE_NAMES = frozenset(table.name for table in TABLES)

REFUSAL = "rfsm_transitions is append-only"


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that makes `rfsm_transitions` refuse UPDATE and DELETE (idempotent)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_{event.lower()} "
            f"BEFORE {event} ON rfsm_transitions "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            for event in ("UPDATE", "DELETE")
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
    return [f"DROP TRIGGER IF EXISTS rfsm_transitions_no_{e}" for e in ("update", "delete")]
