"""Schema changes that a migration run again finds already made, and does not make twice.

MariaDB (and MySQL) commit each CREATE, ALTER, DROP and RENAME at once, with any row changed
before it: a migration cut off part way (a lost connection, a killed server or client) leaves
its first changes in place under the previous revision's stamp. Run again, a migration that
makes its changes through these functions picks up where it stopped instead of failing on a
column, index or table it already made. On SQLite and PostgreSQL a migration is one transaction,
so these only ever find the schema as the previous revision left it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op


def has_table(name: str) -> bool:
    """Whether the table exists."""
    return bool(sa.inspect(op.get_bind()).has_table(name))


def columns(table: str) -> set[str]:
    """The names of the table's columns (none if there is no such table)."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(table):
        return set()
    return {str(column["name"]) for column in inspector.get_columns(table)}


def indexes(table: str) -> dict[str, list[str]]:
    """The table's indexes (not its primary key) and their columns, in order."""
    found = sa.inspect(op.get_bind()).get_indexes(table)
    return {str(index["name"]): [str(name) for name in index["column_names"]] for index in found}


def add_column(table: str, column: sa.Column[object]) -> None:
    """Add the column unless the table has it."""
    if column.name not in columns(table):
        op.add_column(table, column)


def create_index(name: str, table: str, on: Sequence[str]) -> None:
    """Index `on` as `name`, unless that index exists on those columns already; one of that name
    on other columns (the index a revision replaces) is dropped first."""
    present = indexes(table).get(name)
    if present == list(on):
        return
    if present is not None:
        op.drop_index(name, table_name=table)
    op.create_index(name, table, list(on))


def drop_index(name: str, table: str, unless_on: Sequence[str] | None = None) -> None:
    """Drop the index if it exists, unless it is on `unless_on` (the columns the index of that
    name has once the revision is made)."""
    present = indexes(table).get(name)
    if present is not None and (unless_on is None or present != list(unless_on)):
        op.drop_index(name, table_name=table)


def create_table(name: str, *parts: Any, **options: Any) -> None:
    """Create the table (`op.create_table`'s arguments) unless it exists."""
    if not has_table(name):
        op.create_table(name, *parts, **options)


def drop_table(name: str) -> None:
    """Drop the table if it exists."""
    if has_table(name):
        op.drop_table(name)
