"""Bulk import of whole histories: replay, hash, then executemany or PostgreSQL COPY."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import Connection, Table
from sqlalchemy.exc import IntegrityError

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.rows import Row, log_rows, next_due, open_item_rows, utc_now
from reintegration_fsm.stores.schema import cases, open_items, transitions


@attrs.frozen
class Prepared:
    """One imported history's rows, ready to insert."""

    case: Reintegration
    case_row: Row
    entries: list[Row]
    items: list[Row]

    @property
    def last_hash(self) -> str:
        """The hash of the history's last entry."""
        return str(self.entries[-1]["hash"])


def prepare(
    authority: str, history: Sequence[Transition], calendar: SchoolCalendar | None
) -> Prepared:
    """Replay and hash one history.

    Raises:
        FormInvalid, IllegalTransition: the history does not replay, or names another
            authority than `authority`.
    """
    case = Reintegration.replay(history, calendar)
    if case.local_authority != authority:
        raise FormInvalid(
            "history", "local_authority", f"{case.local_authority!r} is not {authority!r}"
        )
    entries = log_rows(case.case_id, history, GENESIS, utc_now())
    items = open_item_rows(case)
    case_row = {
        "case_id": case.case_id,
        "authority": authority,
        "stage": case.stage.value,
        "version": case.version,
        "next_due": next_due(items),
        "last_hash": entries[-1]["hash"],
    }
    return Prepared(case, case_row, entries, items)


def _insert_text(table: Table, dialect: str) -> str:
    names = [column.name for column in table.columns]
    marks = [f":{n}" if dialect == "sqlite" else f"%({n})s" for n in names]
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(marks)})"


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy's SQLite storage formats for DATE and DATETIME, so that reads agree.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert_rows(conn: Connection, batch: Sequence[Prepared]) -> None:
    """Insert a batch with one driver-level executemany per table.

    The rows are already plain values, so they go to the driver as they are
    (`exec_driver_sql`): SQLAlchemy still owns the transaction and wraps the errors.
    """
    dialect = conn.dialect.name
    for table, rows in (
        (cases, [p.case_row for p in batch]),
        (transitions, [e for p in batch for e in p.entries]),
        (open_items, [i for p in batch for i in p.items]),
    ):
        if not rows:
            continue
        if dialect == "sqlite":
            rows = [{k: _sqlite_value(v) for k, v in row.items()} for row in rows]
        conn.exec_driver_sql(_insert_text(table, dialect), rows)


def copy_rows(conn: Connection, batch: Sequence[Prepared]) -> None:
    """Insert a batch with PostgreSQL COPY (psycopg 3), one COPY per table."""
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor:
        for table, rows in (
            (cases, [p.case_row for p in batch]),
            (transitions, [e for p in batch for e in p.entries]),
            (open_items, [i for p in batch for i in p.items]),
        ):
            if not rows:
                continue
            names = [column.name for column in table.columns]
            statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            try:
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in names])
            except Exception as error:
                # COPY runs on the driver's cursor, outside SQLAlchemy's error wrapping.
                if str(getattr(error, "sqlstate", "")).startswith("23"):
                    raise IntegrityError(statement, None, error) from error
                raise
