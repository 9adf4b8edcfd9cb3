"""The case row counts the case's redaction records, so that a save sees a redaction on the row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

`rfsm_cases` gains `redactions`, the number of the case's `rfsm_redactions` rows, filled from
them, and a trigger on `rfsm_redactions` adds one for each record inserted, whoever inserts it (a
process of an earlier version too). The save's optimistic UPDATE compares this column where it
compared a count of the records: on PostgreSQL under READ COMMITTED, a redaction committed after
a save's statement began was not seen by that count (read as of the statement's start), while a
column of the row the statement locks is read again once the lock is taken.

A store of this version trusts the count it reads, so on MariaDB, which commits each step at
once, the column never stands without the trigger, whichever step a run is cut off after: the
upgrade makes the trigger before the column (a record written meanwhile then fails on the
missing column, and is not lost uncounted), then fills the column; the downgrade drops the
column before the trigger. The downgrade loses nothing: revision 0011 counts the records
themselves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.stores.migrations import resumable

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COUNTED = "UPDATE rfsm_cases SET redactions = redactions + 1 WHERE case_id = NEW.case_id"

cases = sa.table("rfsm_cases", sa.column("case_id", sa.String), sa.column("redactions", sa.Integer))
records = sa.table("rfsm_redactions", sa.column("case_id", sa.String))


def _trigger(dialect: str) -> list[str]:
    """The counting trigger (as `schema.counting_statements` wrote it at this revision)."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER IF NOT EXISTS rfsm_redactions_counted "
            f"AFTER INSERT ON rfsm_redactions BEGIN {COUNTED}; END"
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION rfsm_count_redaction() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {COUNTED}; RETURN NULL; END $$",
            "CREATE OR REPLACE TRIGGER rfsm_redactions_counted "
            "AFTER INSERT ON rfsm_redactions "
            "FOR EACH ROW EXECUTE FUNCTION rfsm_count_redaction()",
        ]
    return [
        "CREATE TRIGGER IF NOT EXISTS rfsm_redactions_counted "
        f"AFTER INSERT ON rfsm_redactions FOR EACH ROW {COUNTED}"
    ]


def upgrade() -> None:
    for statement in _trigger(op.get_bind().dialect.name):
        op.execute(statement)
    resumable.add_column(
        "rfsm_cases", sa.Column("redactions", sa.Integer, nullable=False, server_default="0")
    )
    counted = (
        sa.select(sa.func.count())
        .select_from(records)
        .where(records.c.case_id == cases.c.case_id)
        .scalar_subquery()
    )
    op.execute(
        sa.update(cases)
        .where(cases.c.case_id.in_(sa.select(records.c.case_id)))
        .values(redactions=counted)
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":  # it refuses to drop a column a trigger names (one transaction here)
        op.execute("DROP TRIGGER IF EXISTS rfsm_redactions_counted")
    # ALTER TABLE ... DROP COLUMN on every engine (SQLite since 3.35): SQLite's batch mode
    # would rebuild the table.
    if "redactions" in resumable.columns("rfsm_cases"):
        op.execute("ALTER TABLE rfsm_cases DROP COLUMN redactions")
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS rfsm_redactions_counted ON rfsm_redactions")
        op.execute("DROP FUNCTION IF EXISTS rfsm_count_redaction()")
    else:
        op.execute("DROP TRIGGER IF EXISTS rfsm_redactions_counted")
