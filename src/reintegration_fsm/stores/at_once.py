"""PostgreSQL: the common save (an append to a case the store has seen) as one statement.

The optimistic UPDATE of the case row, which takes its row lock without waiting, heads a `WITH`
query; the statements after it delete the open items that closed, and insert the log entries,
the new open items and the ledger rows, each only if the UPDATE updated the row. Run in
autocommit, the statement is its own transaction: one round trip where BEGIN, four statements
and COMMIT took six. It writes everything or nothing, as the transaction did.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, DateTime, Integer, LargeBinary, Table
from sqlalchemy.dialects import postgresql

from reintegration_fsm.stores.rows import Row
from reintegration_fsm.stores.schema import open_items, transitions, weightings

MOST_PARAMETERS = 10_000
"""The most parameters a statement takes here (PostgreSQL's protocol allows 65,535): a save
that would need more (some six hundred transitions appended at once) runs in a transaction."""

_UPDATED = "EXISTS (SELECT FROM checked)"
_POSTGRESQL: Any = postgresql.dialect


def parameters(
    update: Row,
    entries: Sequence[Row],
    gone: Sequence[int],
    items: Sequence[Row],
    ledger: Sequence[Row],
) -> Row:
    """The statement's parameters: the UPDATE's own, then each table's rows' values."""
    found = dict(update)
    found.update({f"gone_{n}": number for n, number in enumerate(gone)})
    for prefix, rows in (("log", entries), ("item", items), ("ledger", ledger)):
        for n, row in enumerate(rows):
            for name, value in row.items():
                found[f"{prefix}_{name}_{n}"] = value
    return found


@functools.lru_cache(maxsize=64)
def statement(update: str, entries: int, gone: int, items: int, ledger: int) -> str:
    """The statement for `entries` log entries, `gone` closed items, `items` new or renumbered
    items and `ledger` ledger rows, after `update` (the driver's text of the case row's
    optimistic UPDATE). It returns one row: 1 when the case row was updated and all written,
    0 when it was not at the version and hash the store saw, and nothing was written."""
    parts = [f"checked AS ({update} RETURNING 1)"]
    if gone:
        numbers = ", ".join(f"%(gone_{n})s" for n in range(gone))
        parts.append(
            f"gone AS (DELETE FROM {open_items.name} WHERE case_id = %(b_case_id)s "
            f"AND item_no IN ({numbers}) AND {_UPDATED})"
        )
    parts.append(f"logged AS ({_insert(transitions, 'log', entries)})")
    if items:
        # An item renumbered in place keeps its key: its row is overwritten, not deleted.
        changed = ", ".join(
            f"{column.name} = EXCLUDED.{column.name}"
            for column in open_items.columns
            if not column.primary_key
        )
        parts.append(
            f"opened AS ({_insert(open_items, 'item', items)} "
            f"ON CONFLICT (case_id, item_no) DO UPDATE SET {changed})"
        )
    if ledger:
        parts.append(f"ledger AS ({_insert(weightings, 'ledger', ledger)})")
    return f"WITH {', '.join(parts)} SELECT count(*) FROM checked"


def _insert(table: Table, prefix: str, count: int) -> str:
    names = [column.name for column in table.columns]
    rows = ", ".join(
        "("
        + ", ".join(_value(f"{prefix}_{name}_{n}", _CASTS[table.name][name]) for name in names)
        + ")"
        for n in range(count)
    )
    listed = ", ".join(names)
    return (
        f"INSERT INTO {table.name} ({listed}) "
        f"SELECT * FROM (VALUES {rows}) AS v ({listed}) WHERE {_UPDATED}"
    )


def _value(name: str, cast: str | None) -> str:
    # A text stays unknown to PostgreSQL until the INSERT assigns it to its column, which checks
    # its length (an explicit cast to VARCHAR(n) would cut it short); the others are cast, so
    # that a NULL among them has the column's type.
    return f"%({name})s" if cast is None else f"CAST(%({name})s AS {cast})"


def _cast(column: Any) -> str | None:
    """The SQL type a value of `column` is cast to (None: a text, left to the INSERT)."""
    kind = column.type
    base = getattr(kind, "impl_instance", kind)  # a TypeDecorator's own column type
    typed = isinstance(base, Date | DateTime | Integer | LargeBinary)
    return str(kind.compile(dialect=_POSTGRESQL())) if typed else None


_CASTS = {
    table.name: {column.name: _cast(column) for column in table.columns}
    for table in (transitions, open_items, weightings)
}
