"""Bulk import of whole histories: replay, hash, then executemany or PostgreSQL COPY."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, Date, DateTime, Table

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import arguments
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.entries import log_rows
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.refusals import check_fits, refuse_other_authority
from reintegration_fsm.stores.rows import (
    Row,
    case_row,
    changed_columns,
    ledger_rows,
    open_item_rows,
    succeeded_in,
)
from reintegration_fsm.stores.schema import (
    BINARY_COLUMNS,
    as_bytes,
    cases,
    open_items,
    transitions,
    weightings,
)


@attrs.frozen
class Prepared:
    """One imported history's rows, ready to insert."""

    case: Reintegration
    case_row: Row
    entries: list[Row]
    items: list[Row]
    ledger: list[Row]

    @property
    def case_id(self) -> str:
        """The case's id."""
        return self.case.case_id

    @property
    def authority(self) -> str:
        """The local authority the history names."""
        return self.case.local_authority

    def tables(self) -> tuple[tuple[Table, list[Row]], ...]:
        """Each table with this history's rows for it, in the order they are written."""
        return (
            (cases, [self.case_row]),
            (transitions, self.entries),
            (open_items, self.items),
            (weightings, self.ledger),
        )


def batch_action(batch: Sequence[Prepared]) -> tuple[str, str | None]:
    """What importing `batch` is called in an error's message, and its one case's id (None for
    a batch of several: the database does not say which of its rows failed, and naming the
    first would blame a case that may be sound)."""
    if len(batch) == 1:
        return f"import case {batch[0].case_id!r}", batch[0].case_id
    ids = sorted(prepared.case_id for prepared in batch)
    return f"import the batch of {len(ids)} cases {ids[0]!r} to {ids[-1]!r}", None


def prepare(
    authority: str,
    history: Sequence[Transition],
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any] = (),
) -> Prepared:
    """Replay and hash one history, and check that its rows fit the store's columns.

    Raises:
        FormInvalid, IllegalTransition, NotPermitted, GuardFailed, UnknownProtocol: the
            history does not replay, names another authority than `authority`, or holds a
            value the store cannot keep.
    """
    case = Reintegration.replay(history, calendar, protocols)
    if case.local_authority != authority:
        raise FormInvalid(
            "history", "local_authority", f"{case.local_authority!r} is not {authority!r}"
        )
    return rows(case, authority, case.history, GENESIS, utc_now())


def prepared_batches(
    histories: Iterable[tuple[str, Sequence[Transition]]],
    batch_size: int,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any],
    scope: str | None,
) -> Iterator[list[Prepared]]:
    """The histories replayed and hashed (`prepare`), `batch_size` at a time, each id once,
    each of the authority `scope` when the store is confined to one; a batch is yielded before
    the next history is read, so that an import writes it before a bad history later stops it.

    Raises:
        FormInvalid, IllegalTransition, NotPermitted, GuardFailed, UnknownProtocol: a history
            does not replay, is another authority's than `scope`, or repeats an id.
    """
    batch: list[Prepared] = []
    ids: set[str] = set()
    for authority, history in arguments.histories(histories):
        prepared = prepare(authority, history, calendar, protocols)
        refuse_other_authority(scope, prepared.case_id, prepared.authority)
        if prepared.case_id in ids:
            raise FormInvalid("history", "case_id", f"{prepared.case_id!r} appears twice")
        ids.add(prepared.case_id)
        batch.append(prepared)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


UNREDACTED = {"redactions": 0}
"""The count of redaction records a new case's row starts with (the records' trigger counts on)."""


def rows(
    case: Reintegration,
    authority: str,
    new: Sequence[Transition],
    prev_hash: str,
    recorded_at: datetime,
    *,
    whole: bool = True,
) -> Prepared:
    """The rows a save of `case` writes to append `new`, checked to fit the columns.

    `items` are the case's whole open items. With `whole` (a case the store does not hold
    yet), `case_row` is the whole row and `ledger` the case's whole ledger; without it (an
    append to a case the store holds), `case_row` holds the `CHANGING` columns only and
    `ledger` is empty unless one of `new` made the case successful.
    """
    entries = log_rows(case.case_id, new, prev_hash, recorded_at)
    items = open_item_rows(case, authority)
    last_hash = entries[-1]["hash"]
    prepared = Prepared(
        case,
        case_row(case, authority, last_hash, items) | UNREDACTED
        if whole
        else changed_columns(case, last_hash, items),
        entries,
        items,
        ledger_rows(case, authority) if whole or succeeded_in(new) else [],
    )
    for table, table_rows in prepared.tables():
        check_fits(table, table_rows)
    return prepared


def appended(
    case: Reintegration,
    authority: str,
    new: Sequence[Transition],
    prev_hash: str,
    recorded_at: datetime,
) -> Prepared:
    """The rows a save writes to append `new` to a case the store already holds (`rows`
    without `whole`)."""
    return rows(case, authority, new, prev_hash, recorded_at, whole=False)


def parameter(name: str, dialect: str) -> str:
    """A named parameter in the driver's own style (sqlite3 `:name`, psycopg and PyMySQL
    `%(name)s`)."""
    return f":{name}" if dialect == "sqlite" else f"%({name})s"


def insert_text(table: Table, dialect: str) -> str:
    """The driver's INSERT of every column of `table`, with named parameters."""
    names = [column.name for column in table.columns]
    marks = [parameter(name, dialect) for name in names]
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(marks)})"


@functools.lru_cache(maxsize=128)
def insert_values_text(table: Table, dialect: str, count: int) -> str:
    """The driver's INSERT of `count` rows into every column of `table` as one statement (one
    round trip, where psycopg's executemany takes several), its parameters named as
    `values_parameters` names them."""
    names = [column.name for column in table.columns]
    rows = (
        "(" + ", ".join(parameter(f"{name}_{n}", dialect) for name in names) + ")"
        for n in range(count)
    )
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES {', '.join(rows)}"


def values_parameters(rows: Sequence[Row]) -> Row:
    """The parameters of `insert_values_text` for `rows`: each value as `{column}_{n}`."""
    return {f"{name}_{n}": value for n, row in enumerate(rows) for name, value in row.items()}


def sqlite_value(value: Any) -> Any:
    """`value` as SQLAlchemy stores it in SQLite (a date or datetime as its text)."""
    # SQLAlchemy's SQLite storage formats for DATE and DATETIME, so that reads agree.
    if isinstance(value, datetime):
        # "%Y-%m-%d %H:%M:%S.%f", without strftime's cost (and with a year below 1000 padded,
        # as SQLAlchemy pads it).
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


DATED = {
    table.name: tuple(
        column.name for column in table.columns if isinstance(column.type, Date | DateTime)
    )
    for table in (cases, transitions, open_items, weightings)
}
"""Each table's DATE and DATETIME columns: the values SQLite takes as text."""


def sqlite_row(row: Row, dated: Sequence[str]) -> Row:
    """`row` as the SQLite driver takes it: its `dated` columns' values as SQLAlchemy's text
    (only those are converted: a save passes a few dozen values, one call each was a twentieth
    of it)."""
    out = dict(row)
    for name in dated:
        if name in out:
            out[name] = sqlite_value(out[name])
    return out


def _by_table(batch: Sequence[Prepared]) -> list[tuple[Table, list[Row]]]:
    """Each table's rows, as the driver takes them: the log's digests as bytes (`HexBytes`
    converts them on every path through SQLAlchemy; these rows go to the driver directly)."""
    tables: dict[str, tuple[Table, list[Row]]] = {}
    for prepared in batch:
        for table, table_rows in prepared.tables():
            if table is transitions:
                table_rows = [binary(row) for row in table_rows]
            tables.setdefault(table.name, (table, []))[1].extend(table_rows)
    return [entry for entry in tables.values() if entry[1]]


def binary(row: Row) -> Row:
    """A log row as the driver takes it: its digests, hashes and salt as bytes."""
    out = dict(row)
    for name in BINARY_COLUMNS:
        out[name] = as_bytes(out[name])
    return out


def insert_rows(conn: Connection, batch: Sequence[Prepared]) -> None:
    """Insert a batch with one driver-level executemany per table.

    The rows are already plain values, so they go to the driver as they are
    (`exec_driver_sql`): SQLAlchemy still owns the transaction and wraps the errors.
    """
    dialect = conn.dialect.name
    for table, table_rows in _by_table(batch):
        if dialect == "sqlite":
            dated = DATED[table.name]
            table_rows = [sqlite_row(row, dated) for row in table_rows]
        conn.exec_driver_sql(insert_text(table, dialect), table_rows)


def copy_rows(conn: Connection, batch: Sequence[Prepared]) -> None:
    """Insert a batch with PostgreSQL COPY (psycopg 3), one COPY per table.

    COPY runs on the driver's cursor, outside SQLAlchemy's error wrapping: the store converts
    the driver's errors itself (`failures.converted`).
    """
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor:
        for table, table_rows in _by_table(batch):
            names = [column.name for column in table.columns]
            statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in table_rows:
                    copy.write_row([row[name] for name in names])
