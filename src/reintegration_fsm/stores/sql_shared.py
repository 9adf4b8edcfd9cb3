"""What the parts of `SqlAlchemyStore` share: its settings and the statements it builds once
(declared in `SqlShared`), the names of its calls in their errors, the reads of one case and the
connections and transactions its saves, reads, redactions and checks all use."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Insert,
    Select,
    String,
    Table,
    TypeDecorator,
    select,
    type_coerce,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import AlteredRow, CaseNotFound
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.stores import bulk, opened
from reintegration_fsm.stores.failures import ALTERED
from reintegration_fsm.stores.guard import Action, Guard
from reintegration_fsm.stores.holding import Held, Seen
from reintegration_fsm.stores.redaction import by_seq, is_redacted
from reintegration_fsm.stores.refusals import could_be_stored
from reintegration_fsm.stores.retention import RetentionPolicy
from reintegration_fsm.stores.rows import Row, item_key
from reintegration_fsm.stores.schema import HexBytes, TextDigest, cases, protocols

if TYPE_CHECKING:
    from typing_extensions import Unpack

    Query = Select[Unpack[tuple[Any, ...]]]
    """A SELECT of any columns (SQLAlchemy types a SELECT by its columns' types)."""

_CHUNK = 500
"""Ids per IN list."""

_KEPT = (
    protocols.c.authority,
    protocols.c.protocol_id,
    protocols.c.version,
    protocols.c.fingerprint,
    protocols.c.first_case_id,
)
"""An `rfsm_protocols` row's columns, in `opened.Opened`'s order."""

# What each call is called in its errors' messages ("could not list cases: ..."), written once
# for its guard (the first call's look at the database may fail first) and its body.
_CREATE_SCHEMA = "create the schema"

_LOOK_UP_IDS = "look up case ids"

_IMPORT = "import the histories"

_LOAD_CASES = "load the cases"

_LIST_DUE = "list what is due"

_LIST_CASES = "list cases"

_SUM_WEIGHTINGS = "sum the weightings"

_READ_LEDGER = "read the weightings ledger"

_TAKE_CHECKPOINT = "take a checkpoint"

_LIST_PAST_RETENTION = "list the cases past retention"

_LIST_UNDATED = "list the cases whose retention cannot be dated"

_LIST_HELD = "list the cases held from retention"

_APPLY_RETENTION = "apply retention"

_VERIFY = "verify the store"

STORE = "(store)"
"""The `case_id` of a problem with the store itself, not one case (`unguarded`)."""


def _of_case(verb: str) -> Callable[..., Action]:
    """The `Action` of a call on one case, given as its first argument: "<verb> case 'c-1'"."""

    def action(case_id: object, *_: object, **__: object) -> Action:
        if not isinstance(case_id, str):  # refused by the call itself, unless closed first
            return f"{verb} the case", None
        return f"{verb} case {case_id!r}", case_id

    return action


_SAVE_CASE = _of_case("save")

_LOAD_CASE = _of_case("load")

_READ_CASE = _of_case("read")

_REDACT_CASE = _of_case("redact")


class SqlShared:
    """The attributes `SqlAlchemyStore` sets (its construction, in `sql`) and the helpers every
    part of it uses: the base of each part (`SqlSaving`, `SqlReading`, ...)."""

    engine: Engine
    retention: RetentionPolicy
    calendar: SchoolCalendar | None
    protocols: tuple[Protocol, ...]
    _authority: str | None
    _durable: bool
    _busy_timeout: float
    _owns_engine: bool
    _guard: Guard
    _dialect: str
    _write_options: dict[str, Any]
    _seen: Seen
    _opened: dict[opened.Key, opened.Opened]
    # The statements `_build_statements` and `_build_driver_statements` build once.
    _insert_case: Insert
    _insert_log: Insert
    _insert_items: Insert
    _insert_ledger: Insert
    _select_head: Query
    _select_head_state: Query
    _lock_case: Query
    _select_log_from: Query
    _select_log: Query
    _select_stamps: Query
    _select_logs: Query
    _select_log_as_of: Query
    _select_notes: Query
    _select_redacting: Query
    _select_dated: Query
    _select_undated: Query
    _driver_update: str
    _plain_update: str
    _update_locks: bool
    _quick_append: QuickAppend | None
    _driver_delete_items: str
    _mariadb_unknown: bool
    _driver_insert_log: str
    _due_sql: list[tuple[str, list[str] | None, dict[str, Any]]]

    @property
    def authority(self) -> str | None:
        """The local authority whose cases alone this store reads and writes (None: every one's).

        Read-only: a store's queries are scoped when it is made, so a reassigned authority would
        have scoped some answers and not others. `for_authority` makes a view of one authority.
        """
        return self._authority

    def _driver_sql(self, statement: Any) -> tuple[str, list[str] | None, dict[str, Any]]:
        """A statement as the driver's SQL text, its parameters' order (None: by name) and
        their bound values."""
        compiled = statement.compile(dialect=self.engine.dialect)
        names = list(compiled.positiontup or ()) if compiled.positional else None
        bound = {
            name: param.value
            for name, param in compiled.binds.items()
            if not name.startswith("b_")  # the call's own (`b_on`); the rest are literals
        }
        return str(compiled), names, bound

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write's transaction, on a pooled connection set up for writing (SQLite's BEGIN
        IMMEDIATE, READ COMMITTED on MariaDB and PostgreSQL); one that fails as it is set up is
        retired (`set_up`)."""
        with self.engine.connect() as conn:
            set_up(conn, **self._write_options)
            with conn.begin():
                yield conn

    def _elsewhere(self, conn: Connection, case_id: str) -> str | None:
        """The other authority a scoped store's `case_id` is stored under (None: no such case,
        this store's own, or a store of every authority), read without a lock: a scoped writer
        never locks, nor waits on, another authority's case row, which would tell it when that
        authority is writing and make that authority's saves fail meanwhile. A case row never
        changes authority, so what this read finds holds."""
        if self.authority is None:
            return None
        query = select(cases.c.authority).where(cases.c.case_id == case_id)
        stored = conn.execute(query).scalar()
        return None if stored is None or stored == self.authority else str(stored)

    @contextlib.contextmanager
    def _lent(self, ran: list[str], *, autocommit: bool = False) -> Iterator[Any]:
        """The pool's connection itself (the driver's), for a few statements without
        SQLAlchemy's Connection around them (the common save, `due()`), whose begin event,
        statement and result handling cost a sixth of a save on SQLite and 90 us on
        PostgreSQL; with `autocommit`, in the driver's autocommit mode (PostgreSQL), each
        statement its own transaction.

        A driver error is raised as SQLAlchemy raises it on its own path (its parameters
        hidden: personal data), naming the last statement in `ran`. The connection goes back
        to the pool as it was lent; one the error shows lost, or whose autocommit mode cannot
        be turned off again, is not lent again.
        """
        dialect = self.engine.dialect
        driver_error: Any = dialect.loaded_dbapi.Error
        pooled = self.engine.raw_connection()
        dbapi: Any = pooled.dbapi_connection
        # Only a connection lent transactional is switched: one already in autocommit (as a
        # caller's pool event might leave it; an engine made so is refused) goes back as is.
        switched = autocommit and getattr(dbapi, "autocommit", None) is False
        try:
            if switched:
                dbapi.autocommit = True
            try:
                yield dbapi
            finally:
                if switched:
                    try:
                        dbapi.autocommit = False
                    except BaseException as failed:
                        pooled.invalidate()
                        if not isinstance(failed, Exception):
                            raise  # an interrupt is never swallowed
                        # Otherwise the first error, if any, is the news.
        except driver_error as error:
            lost = bool(dialect.is_disconnect(error, dbapi, None))
            if lost:  # (the connection may be retired already, if autocommit could not be reset)
                _retire_all(self.engine, pooled, error)
            raise DBAPIError.instance(
                ran[-1],
                None,
                error,
                driver_error,
                hide_parameters=True,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error
        finally:
            pooled.close()

    # -- reading ----------------------------------------------------------------------------------
    def _read(
        self, conn: Connection, case_id: str, as_of: date | None = None
    ) -> tuple[str, list[Row], dict[int, list[Any]]]:
        row, entries, notes = self._read_rows(conn, case_id, as_of, self._select_head)
        return str(row.authority), entries, notes

    def _read_rows(
        self, conn: Connection, case_id: str, as_of: date | None, head: Any
    ) -> tuple[Any, list[Row], dict[int, list[Any]]]:
        if not could_be_stored(case_id):
            raise CaseNotFound(case_id)
        row = conn.execute(head, {"b_case_id": case_id}).first()
        if row is None or not self._visible(row.authority):
            raise CaseNotFound(case_id)
        if as_of is None:
            result = conn.execute(self._select_log, {"b_case_id": case_id})
        else:
            result = conn.execute(self._select_log_as_of, {"b_case_id": case_id, "b_as_of": as_of})
        entries = [dict(entry) for entry in result.mappings()]
        if not entries:
            raise CaseNotFound(case_id)
        if as_of is not None and int(entries[-1]["seq"]) != len(entries):
            # An entry dated after a later one: only a date changed behind the store does that.
            missing = next(n for n, e in enumerate(entries, start=1) if int(e["seq"]) != n)
            raise AlteredRow(
                f"could not load case {case_id!r} as of {as_of.isoformat()}: {ALTERED}: "
                f"entry {missing} is dated after the entries that follow it; run verify",
                case_id=case_id,
            )
        return row, entries, self._notes(conn, case_id, entries)

    def _notes(
        self, conn: Connection, case_id: str, entries: Sequence[Mapping[str, Any]]
    ) -> dict[int, list[Any]]:
        """The case's redaction rows by seq; read only when an entry holds a removed value."""
        if not any(is_redacted(entry) for entry in entries):
            return {}
        rows = [
            dict(r) for r in conn.execute(self._select_notes, {"b_case_id": case_id}).mappings()
        ]
        return {seq: list(group) for seq, group in by_seq(rows).items()}

    def _streams_alone(self) -> bool:
        """True when a connection streaming a result can run nothing else (PyMySQL's)."""
        return self._dialect in ("mysql", "mariadb")

    def _visible(self, authority: str) -> bool:
        return self.authority is None or authority == self.authority

    def _as_stored(self, table: Table, *, verifying: bool = False) -> list[Any]:
        """The columns of `table` as the store reads rows to check or load them. SQLite keeps
        whatever it is given in any column: there a date or digest that does not convert is
        read as it is stored, for the checks to report, rather than failing the read (other
        engines keep each column's type). A digest kept as text is refused (the database may
        predate revision 0006), but `verifying`: `verify()` has refused such a database
        first, and reads it as a `TextDigest`, to name its row."""
        if self._dialect != "sqlite":
            return list(table.columns)
        return [
            type_coerce(column, _AsStored(column.type, verifying)).label(column.name)
            if isinstance(column.type, Date | DateTime | HexBytes)
            else column
            for column in table.columns
        ]


def set_up(conn: Connection, **options: Any) -> None:
    """Set a lent connection's execution `options` (an isolation level: a statement on
    PostgreSQL and MariaDB). A connection that fails so (ended by the server, its isolation
    level cannot be set) is retired and closed, with the pool's older ones when it was lost,
    not left to the garbage collector, whose reset of it SQLAlchemy logged as an error with a
    traceback (review B, B4; review FO, FO1: `checkpoint()`, `verify()` and `copy_store`'s
    read of the source)."""
    try:
        conn.execution_options(**options)
    except BaseException as error:
        dialect = conn.engine.dialect
        if isinstance(error, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
            error, conn.connection.dbapi_connection, None
        ):
            _retire_all(conn.engine, conn.connection, error, checkin=False)
        conn.invalidate(error)
        raise


def _retire_all(engine: Engine, pooled: Any, error: BaseException, *, checkin: bool = True) -> None:
    """Retire a connection the driver lost, and every connection the pool made before it (a
    server restart or failover loses them all), as SQLAlchemy does on its own path: a retry then
    gets a new connection, not the next dead one. With `checkin`, `pooled` is invalidated too
    (without: its `Connection` does it)."""
    engine.pool._invalidate(pooled, error, _checkin=checkin)


def _item_keys(items: Iterable[Row]) -> dict[int, tuple[Any, ...]]:
    return {key[0]: key for key in map(item_key, items)}


Run = Callable[[str, Any], Any]
"""Runs the driver's SQL text with its parameters (a list of rows: each in turn) and returns
what tells its `rowcount`: a Connection's `exec_driver_sql`, or `_on_cursor`'s."""


QuickAppend = Callable[[bulk.Prepared, Held, Mapping[int, tuple[Any, ...]]], bool | None]
"""An engine's own way of writing the common save (see `SqlAlchemyStore._save`)."""


def _stamps(entries: Iterable[Mapping[Any, Any]]) -> Iterator[Any]:
    """The `recorded_at` of each log entry."""
    return (entry["recorded_at"] for entry in entries)


class _AsStored(TypeDecorator[Any]):
    """A DATE, DATETIME or digest column read as SQLAlchemy reads it, or, when its stored value
    does not convert (SQLite keeps any text or number there), as that value. (Digests kept as
    text are still refused, as they may say the database predates revision 0006; but
    `verifying`, when they are read as `TextDigest`.)

    On SQLite a date's text is kept unless it is the text the store writes: Python reads other
    spellings of the same day (`2026-W09-1`, `20260223`) as that day, where SQL's comparisons
    of the text (`due()`, `ledger()`, as of a day) do not, so such a row must not verify."""

    impl = String
    cache_ok = True

    def __init__(self, kept: TypeEngine[Any], verifying: bool = False) -> None:
        super().__init__()
        self.kept = kept
        """The column's own type, whose conversion this tries first."""
        self.verifying = verifying

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        parse = self.kept.dialect_impl(dialect).result_processor(dialect, coltype)
        if parse is None:
            return None
        if self.verifying and isinstance(self.kept, HexBytes):
            convert = parse

            def digest(value: Any) -> Any:
                if isinstance(value, str):
                    return TextDigest(value)
                try:
                    return convert(value)
                except (ValueError, TypeError):  # a number there: reported as any other kind
                    return value

            return digest
        if dialect.name != "sqlite" or not isinstance(self.kept, Date | DateTime):

            def process(value: Any) -> Any:
                try:
                    return parse(value)
                except (ValueError, TypeError):
                    return value

            return process
        written = bulk.sqlite_value

        def canonical(value: Any) -> Any:
            try:
                read = parse(value)
            except (ValueError, TypeError):
                return value
            return read if written(read) == value else value

        return canonical
