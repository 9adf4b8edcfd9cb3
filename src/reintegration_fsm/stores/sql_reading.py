"""`SqlAlchemyStore`'s reads of cases: one case (`load`, `history`, `entered`), the ids taken,
and every case streamed (`load_all`)."""

from __future__ import annotations

import contextlib
import inspect
import itertools
import sys
import weakref
from collections.abc import Generator, Iterable, Iterator
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CaseNotFound, StoreError
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import arguments, sqlite, streaming
from reintegration_fsm.stores.as_of import check_as_of
from reintegration_fsm.stores.clocks import entered_at, latest_stamp
from reintegration_fsm.stores.entries import rebuilt, transitions_from_rows
from reintegration_fsm.stores.failures import converted, read_back
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.holding import Held
from reintegration_fsm.stores.refusals import could_be_stored
from reintegration_fsm.stores.rows import holds_ended_reviews, open_item_rows
from reintegration_fsm.stores.schema import cases, transitions
from reintegration_fsm.stores.sql_shared import (
    _CHUNK,
    _LOAD_CASE,
    _LOAD_CASES,
    _LOOK_UP_IDS,
    _READ_CASE,
    SqlShared,
    _item_keys,
    _retire_all,
    _stamps,
)

_streams: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[Generator[Reintegration, None, None]]]
_streams = weakref.WeakKeyDictionary()
"""The `load_all()` streams not yet finished on each engine (their reading half, which holds a
connection while it runs), for the store that disposes the engine to end first (`close`)."""


class SqlReading(SqlShared):
    """`taken`, `entered`, `history`, `load` and `load_all` of `SqlAlchemyStore`."""

    def _streams_past_commits(self) -> bool:
        """False when a stream's cursor would not outlive another call's commit: an in-memory
        SQLite database has one connection, which every call shares, and before Python 3.11
        `sqlite3` resets a connection's cursors when it commits or rolls back."""
        return not (
            sys.version_info < (3, 11)
            and self._dialect == "sqlite"
            and sqlite.in_memory(self.engine.url)
        )

    @guarded(_LOOK_UP_IDS)
    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` already used by a case of any authority (ids are store-wide).

        A new case with a taken id cannot be saved, whichever authority the store serves.
        """
        given = arguments.case_ids("taken", case_ids)
        wanted = [case_id for case_id in given if could_be_stored(case_id)]
        found: set[str] = set()
        with converted(_LOOK_UP_IDS), self.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = select(cases.c.case_id).where(cases.c.case_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    @guarded(_READ_CASE)
    def entered(self, case_id: str) -> tuple[datetime | None, ...]:
        """When each of the case's transitions was saved (UTC, whole seconds), oldest first:
        `entered(case_id)[n]` is `history(case_id)[n]`'s. A step dated days before it was
        entered was brought in afterwards (from paper, say); None is a stamp that is no time
        (`verify()` reports it).

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        arguments.case_id("entered", case_id)
        if not could_be_stored(case_id):
            raise CaseNotFound(case_id)
        with read_back(*_READ_CASE(case_id)), self.engine.connect() as conn:
            rows = conn.execute(self._select_stamps, {"b_case_id": case_id}).all()
        if not rows or not self._visible(rows[0].authority):
            raise CaseNotFound(case_id)
        return tuple(entered_at(row.recorded_at) for row in rows)

    @guarded(_READ_CASE)
    def history(self, case_id: str) -> tuple[Transition, ...]:
        """The case's transitions, oldest first.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        arguments.case_id("history", case_id)
        with read_back(*_READ_CASE(case_id)):
            with self.engine.connect() as conn:
                _, entries, notes = self._read(conn, case_id)
            return tuple(transitions_from_rows(entries, notes))

    @guarded(_LOAD_CASE)
    def load(self, case_id: str, as_of: date | None = None) -> Reintegration:
        """The case, rebuilt from its log with the store's calendar.

        The log and the state the store kept beside it give the case without replaying its
        guards (the store checked each transition as it wrote it; `verify()` replays every case
        and compares); a case with no stored state, or with `as_of`, is replayed.

        With `as_of`, the case as it stood at the end of that day: its transitions dated on
        or before it.

        Raises:
            CaseNotFound: no such case (or none opened by `as_of`), or not this store's
                authority's.
            FormInvalid: `case_id` is not text, or `as_of` not a date.
        """
        arguments.case_id("load", case_id)
        check_as_of(as_of)
        if as_of is None:
            with read_back(*_LOAD_CASE(case_id)), self.engine.connect() as conn:
                case, held = self._load(conn, case_id)
            self._seen.put(case, held)
            return case
        with read_back(*_LOAD_CASE(case_id)):
            with self.engine.connect() as conn:
                row, entries, notes = self._read_rows(conn, case_id, as_of, self._select_head)
            case = rebuilt(entries, notes, None, self.calendar, self.protocols)
        # No count read with it: a save of it is compared if the case was ever redacted.
        held = Held(
            case.version,
            str(entries[-1]["hash"]),
            str(row.authority),
            latest_recorded=latest_stamp(None, _stamps(entries)),
        )
        self._seen.put(case, held)
        return case

    def _load(self, conn: Connection, case_id: str) -> tuple[Reintegration, Held]:
        """The case as it stands, read on `conn`, and what the store holds of it."""
        row, entries, notes = self._read_rows(conn, case_id, None, self._select_head_state)
        case = rebuilt(entries, notes, row.state, self.calendar, self.protocols)
        authority = str(row.authority)
        # A case in `ending` saved before its ended reviews were left out holds their rows: its
        # next save rewrites its items whole rather than trusting the rows it would write now.
        items = None if holds_ended_reviews(case) else _item_keys(open_item_rows(case, authority))
        last = entries[-1]
        held = Held(
            case.version,
            str(last["hash"]),
            authority,
            items,
            int(row.redactions),
            latest_stamp(None, _stamps(entries)),
        )
        return case, held

    @guarded(lambda case_ids=None: (_LOAD_CASES if case_ids is None else _LOOK_UP_IDS, None))
    def load_all(self, case_ids: Iterable[str] | None = None) -> Iterator[Reintegration]:
        """Every case this store may show (with `case_ids`, those), ordered by case id.

        The log is read by one ordered, streaming query (with `case_ids`, one per 500 ids) and
        each case is rebuilt as its rows arrive, as `load` rebuilds it: memory holds a batch of
        rows, never the store. Each case saves afterwards as a loaded one does.

        The ids are looked up when this is called, before anything is read or yielded; a case
        saved or changed while the cases stream may be read before or after that write.

        Raises:
            CaseNotFound: one of `case_ids` names no case, or another authority's (the first
                such id, in the order given); raised by this call, not by the iteration.
            StoreError: the database failed.
        """
        if case_ids is None:
            return self._stream(None)
        given = arguments.case_ids("load_all", case_ids)
        wanted = [case_id for case_id in given if could_be_stored(case_id)]
        found: set[str] = set()
        with converted(_LOOK_UP_IDS), self.engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                query = select(cases.c.case_id, cases.c.authority).where(
                    cases.c.case_id.in_(wanted[start : start + _CHUNK])
                )
                found.update(
                    row.case_id for row in conn.execute(query) if self._visible(row.authority)
                )
        for case_id in given:
            if case_id not in found:
                raise CaseNotFound(case_id)
        return self._stream(sorted(given))

    def _stream(self, wanted: list[str] | None) -> Iterator[Reintegration]:
        reading = self._read_stream(wanted)
        _streams.setdefault(self.engine, weakref.WeakSet()).add(reading)
        return _until_ended(reading)

    def _read_stream(self, wanted: list[str] | None) -> Generator[Reintegration, None, None]:
        log = transitions.c
        if self.authority is not None:
            query = streaming.authority_log_query(self.authority)
        elif wanted is None:
            query = streaming.whole_log_query()
        else:
            query = streaming.log_query()
        if wanted is None:
            queries = [query]
        else:
            queries = [
                query.where(log.case_id.in_(wanted[start : start + _CHUNK]))
                for start in range(0, len(wanted), _CHUNK)
            ]
        dialect = self.engine.dialect
        with (
            read_back(_LOAD_CASES),
            self.engine.connect().execution_options(**{sqlite.READ_ALONE: True}) as conn,
            _Rereading(self, conn) as rereading,
        ):
            reading = streaming.Reading(self.calendar, self.protocols, rereading.case)
            # In memory, the rows are no more than the database already holds there.
            streams = self._streams_past_commits()
            for statement in queries:
                text, params = streaming.driver_statement(statement, dialect)
                dbapi = conn.connection.dbapi_connection
                cursor = streaming.streaming_cursor(dbapi, dialect)
                try:
                    cursor.execute(text, params)
                    rows = streaming.fetched(cursor) if streams else cursor.fetchall()
                    for case_id, group in itertools.groupby(rows, key=streaming.case_id_of):
                        case, held = reading.case(case_id, list(group))
                        self._seen.put(case, held)
                        yield case
                except dialect.loaded_dbapi.Error as error:
                    if dialect.is_disconnect(error, dbapi, cursor):
                        with contextlib.suppress(Exception):  # its connection is gone
                            cursor.close()
                        _retire_all(self.engine, conn.connection, error, checkin=False)
                        conn.invalidate(error)
                    raise
                finally:
                    if not conn.invalidated:
                        cursor.close()


def _until_ended(reading: Generator[Reintegration, None, None]) -> Iterator[Reintegration]:
    """The cases `reading` yields; once the store that disposes its engine has ended it half
    way (`SqlAlchemyStore.close`), the closed store's `StoreError`, not a stream cut short
    without a word."""
    with contextlib.closing(reading):
        while True:
            if inspect.getgeneratorstate(reading) == inspect.GEN_CLOSED:
                raise StoreError(
                    "could not load_all: the store was closed (close() was called) before the "
                    "stream ended; open a new store to use the database again",
                    retryable=False,
                )
            try:
                case = next(reading)
            except StopIteration:
                return
            yield case


class _Rereading:
    """Cases a streaming read meets that it does not rebuild from their rows, read as `load`
    reads them: on the streaming connection, or (MariaDB, which runs nothing else on a
    connection that streams) on a second one, opened only if a case needs it."""

    def __init__(self, store: SqlReading, streaming: Connection) -> None:
        self._store = store
        self._conn: Connection | None = None if store._streams_alone() else streaming
        self._own = False

    def __enter__(self) -> _Rereading:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own and self._conn is not None:
            self._conn.close()

    def case(self, case_id: str) -> tuple[Reintegration, Held]:
        """The case and what the store holds of it (`SqlAlchemyStore.load`)."""
        if self._conn is None:
            self._conn, self._own = self._store.engine.connect(), True
        return self._store._load(self._conn, case_id)
