"""The initial schema: cases, the append-only transition log, open items, redactions, triggers.

Revision ID: 0001
Revises:
Create Date: 2026-01-12

Frozen: later schema changes go in new revisions, never here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.stores.migrations import resumable

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

REFUSAL = "rfsm_transitions is append-only"


def _triggers(dialect: str) -> list[str]:
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


def upgrade() -> None:
    """Create the four tables, their indexes and the log's append-only triggers (on MariaDB,
    what a run cut off part way made is kept, and the rest made, when run again)."""
    resumable.create_table(
        "rfsm_cases",
        sa.Column("case_id", sa.String(100), primary_key=True),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("next_due", sa.Date, nullable=True),
        sa.Column("last_hash", sa.String(64), nullable=False),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.create_index("ix_rfsm_cases_authority", "rfsm_cases", ["authority"])
    resumable.create_index("ix_rfsm_cases_next_due", "rfsm_cases", ["next_due"])
    resumable.create_table(
        "rfsm_transitions",
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("trigger_name", sa.String(40), nullable=False),
        sa.Column("source", sa.String(40), nullable=True),
        sa.Column("dest", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=False),
        sa.Column("actor_organisation", sa.String(200), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_transitions"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.create_table(
        "rfsm_open_items",
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("item_no", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("item_type", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(16), nullable=True),
        sa.Column("due", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("case_id", "item_no", name="pk_rfsm_open_items"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.create_index(
        "ix_rfsm_open_items_due",
        "rfsm_open_items",
        ["due", "case_id", "item_no", "kind", "item_type", "owner"],
    )
    resumable.create_index(
        "ix_rfsm_open_items_authority_due",
        "rfsm_open_items",
        ["authority", "due", "case_id", "item_no", "kind", "item_type", "owner"],
    )
    resumable.create_table(
        "rfsm_redactions",
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("redacted_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_rfsm_redactions"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    """Drop everything `upgrade` created."""
    resumable.drop_table("rfsm_redactions")
    resumable.drop_table("rfsm_open_items")
    resumable.drop_table("rfsm_transitions")
    resumable.drop_table("rfsm_cases")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS rfsm_refuse_change()")
