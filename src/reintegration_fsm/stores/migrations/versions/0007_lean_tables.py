"""Fewer bytes on disk: one narrow index each for the open items and the weightings, and (SQLite)
tables kept in their primary key's order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- `rfsm_open_items` kept every item four times: the table, its primary key's index and two
  covering indexes (`due()` unscoped, and scoped to an authority). It keeps one index,
  `ix_rfsm_open_items_due` (due, case_id, item_no): `due()` finds its items by it, scoped or
  not, and reads the rest of each item from the table.
- `rfsm_weightings` likewise keeps one index, `ix_rfsm_weightings_on` (on_date, case_id,
  school), for `weightings()` and `ledger()`, scoped or not.
- On SQLite both tables become `WITHOUT ROWID` tables, kept in their primary key's order, so
  that the key is not stored a second time in an index of its own. The log keeps its rowid: its
  rows are large, and SQLite fills appended rowid pages full but splits a keyed table's in half.
  PostgreSQL and MariaDB (InnoDB already keeps a table in its primary key's order) only change
  indexes.

No row changes. The downgrade restores the indexes and (SQLite) the rowid tables. On MariaDB,
which commits each index change at once, a run of either cut off part way finishes when run again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.stores.migrations import resumable

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = 100
NAME = 200
WORD = 40

ITEM_COLUMNS = ("case_id", "item_no", "authority", "item_type", "kind", "owner", "due", "opened_on")
LEDGER_COLUMNS = ("case_id", "school", "authority", "on_date", "points")

OLD_INDEXES = {
    "rfsm_open_items": {
        "ix_rfsm_open_items_due": [
            "due",
            "case_id",
            "item_no",
            "kind",
            "item_type",
            "owner",
            "opened_on",
        ],
        "ix_rfsm_open_items_authority_due": [
            "authority",
            "due",
            "case_id",
            "item_no",
            "kind",
            "item_type",
            "owner",
            "opened_on",
        ],
    },
    "rfsm_weightings": {
        "ix_rfsm_weightings_on": ["on_date", "case_id", "school", "points"],
        "ix_rfsm_weightings_authority_on": ["authority", "on_date", "case_id", "school", "points"],
    },
}
NEW_INDEXES = {
    "rfsm_open_items": {"ix_rfsm_open_items_due": ["due", "case_id", "item_no"]},
    "rfsm_weightings": {"ix_rfsm_weightings_on": ["on_date", "case_id", "school"]},
}


def _tables(with_rowid: bool) -> dict[str, sa.Table]:
    """The two tables as this revision (or, `with_rowid`, the one before it) defines them."""
    metadata = sa.MetaData()
    options: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
    if not with_rowid:
        options["sqlite_with_rowid"] = False
    items = sa.Table(
        "rfsm_open_items",
        metadata,
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("item_no", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("authority", sa.String(NAME), nullable=False),
        sa.Column("item_type", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(WORD), nullable=False),
        sa.Column("owner", sa.String(16), nullable=True),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("opened_on", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("case_id", "item_no", name="pk_rfsm_open_items"),
        **options,
    )
    ledger = sa.Table(
        "rfsm_weightings",
        metadata,
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("school", sa.String(NAME), nullable=False),
        sa.Column("authority", sa.String(NAME), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("case_id", "school", name="pk_rfsm_weightings"),
        **options,
    )
    return {items.name: items, ledger.name: ledger}


def _rebuild(table: sa.Table) -> None:
    """Build `table` anew as defined, with every row of the one it replaces (SQLite)."""
    bind = op.get_bind()
    names = ", ".join(ITEM_COLUMNS if table.name == "rfsm_open_items" else LEDGER_COLUMNS)
    op.execute(f"ALTER TABLE {table.name} RENAME TO {table.name}_old")
    table.create(bind)
    op.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {table.name}_old")
    op.execute(f"DROP TABLE {table.name}_old")


def _change(drop: dict[str, dict[str, list[str]]], create: dict[str, dict[str, list[str]]]) -> None:
    """Drop the `drop` indexes and create the `create` ones, table by table (`resumable`: on
    MariaDB a run cut off part way finishes when run again)."""
    dialect = op.get_bind().dialect.name
    tables = _tables(with_rowid=drop is NEW_INDEXES)
    for table_name, indexes in drop.items():
        wanted = create[table_name]
        for index in indexes:
            resumable.drop_index(index, table_name, unless_on=wanted.get(index))
        if dialect == "sqlite":
            _rebuild(tables[table_name])
        for index, columns in wanted.items():
            resumable.create_index(index, table_name, columns)


def upgrade() -> None:
    """One narrow index a table; SQLite's tables without rowid."""
    _change(OLD_INDEXES, NEW_INDEXES)


def downgrade() -> None:
    """The covering indexes and (SQLite) the rowid tables again."""
    _change(NEW_INDEXES, OLD_INDEXES)
