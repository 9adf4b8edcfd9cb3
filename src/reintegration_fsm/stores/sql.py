"""`SqlAlchemyStore`: cases in SQLite, PostgreSQL or MariaDB through SQLAlchemy Core.

The write path runs on statements built once per store: one short transaction per save, its hot
statements (the case row's UPDATE, the log and open-items writes) compiled to the driver's own
text once and run through `exec_driver_sql`.
A case object this store loaded or saved needs no read of its stored history: the UPDATE of
its case row checks the version and last hash the store saw, and only when that fails (or the
case is one it has not seen) does the save compare the stored history with the case's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    URL,
    BindParameter,
    Engine,
    String,
    bindparam,
    insert,
    select,
    type_coerce,
    update,
)

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.stores import arguments, bulk, engines, migrate, sqlite
from reintegration_fsm.stores import retention as retention_module
from reintegration_fsm.stores.failures import converted
from reintegration_fsm.stores.guard import Guard, guarded
from reintegration_fsm.stores.holding import Seen
from reintegration_fsm.stores.refusals import check_scope, check_view
from reintegration_fsm.stores.retention import RetentionPolicy
from reintegration_fsm.stores.rows import CHANGING
from reintegration_fsm.stores.schema import (
    cases,
    open_items,
    redacting,
    redactions,
    transitions,
    weightings,
)
from reintegration_fsm.stores.sql_importing import SqlImporting
from reintegration_fsm.stores.sql_listing import SqlListing
from reintegration_fsm.stores.sql_reading import SqlReading, _streams
from reintegration_fsm.stores.sql_redacting import SqlRedacting
from reintegration_fsm.stores.sql_retention import SqlRetention
from reintegration_fsm.stores.sql_saving import SqlSaving
from reintegration_fsm.stores.sql_shared import _CREATE_SCHEMA
from reintegration_fsm.stores.sql_shared import STORE as STORE
from reintegration_fsm.stores.sql_verifying import SqlVerifying


class SqlAlchemyStore(
    SqlImporting, SqlSaving, SqlReading, SqlListing, SqlRetention, SqlRedacting, SqlVerifying
):
    """Cases in a SQL database (SQLite, PostgreSQL or MariaDB/MySQL).

    Args:
        url_or_engine: a database URL or an `Engine`. An engine the store makes hides SQL
            parameters from its errors; a SQLite file it creates is readable by its owner only.
        authority: confine every read and write to this local authority's cases.
        calendar: the school calendar given to loaded cases.
        protocols: the protocols a stored history may name besides `WORCESTERSHIRE`.
        durable: on SQLite, fsync every commit (`synchronous=FULL`); False trades the last
            commits on power loss for speed (`synchronous=NORMAL`). WAL mode either way.
        busy_timeout: seconds the store waits for the database: on SQLite, a writer for the
            write lock; on PostgreSQL and MariaDB (a store made from a URL), connecting, where
            the URL sets no `connect_timeout` (2 at least).
        retention: how long personal data is kept: a `RetentionPolicy`, a number of years
            after the child's date of birth, or None for the protocol's `retention_years`.

    The store's first call reads the database's schema revision (its stamp), once; from
    then on every call is refused (`StoreError`, not retryable) on a database a newer version
    of the library stamped, and every call that writes (`save`, `redact`, `apply_retention`,
    `import_histories`) on one at an older revision, until `upgrade()` (`reintegration-fsm db
    upgrade`) has run: a refused call reads the stamp again.

    Raises:
        FormInvalid: `url_or_engine` is not a URL or an Engine, or another argument is wrong.
        StoreError: the URL cannot be read, or names no installed database driver.
    """

    def __init__(
        self,
        url_or_engine: str | URL | Engine,
        *,
        authority: str | None = None,
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Protocol] = (),
        durable: bool = True,
        busy_timeout: float = 5.0,
        retention: RetentionPolicy | int | None = None,
    ) -> None:
        self.retention = retention_module.as_policy(retention)
        if not isinstance(url_or_engine, str | URL | Engine):
            raise FormInvalid(
                "store",
                "url_or_engine",
                "must be a database URL (text, or SQLAlchemy's URL) or an Engine, not "
                f"{type(url_or_engine).__name__}",
            )
        arguments.calendar(calendar)
        arguments.engine_options(durable, busy_timeout)
        given = arguments.protocols(protocols)
        with converted("open the database"):
            engine, made = engines.open_engine(
                url_or_engine, durable=durable, busy_timeout=busy_timeout
            )
        self.engine = engine
        check_scope(authority)
        self._authority = authority
        self.calendar = calendar
        self.protocols = given
        self._durable = durable
        self._busy_timeout = busy_timeout
        self._owns_engine = made
        self._guard = Guard(engine)
        self._dialect = engine.dialect.name
        self._write_options = {}
        """The execution options of a write's connection (see `_writing`)."""
        if self._dialect == "sqlite":
            self._write_options = {sqlite.WRITE: "IMMEDIATE"}
        elif self._dialect in ("mysql", "mariadb", "postgresql"):
            # Writes in READ COMMITTED whatever the engine's level. MariaDB: under InnoDB's
            # default REPEATABLE READ, the locking read of a case not stored yet takes a gap
            # lock, and two writers creating cases whose ids fall in one gap (the same id, or
            # neighbours) deadlocked on their INSERTs instead of one being refused or both
            # saved. PostgreSQL: `_keep_protocols` compares a new protocol with what another
            # writer committed while it waited for the advisory lock, which a REPEATABLE READ
            # snapshot taken before the lock does not show, and both writers kept one name
            # under two sets of rules (review Z, Z5). The version check and the comparison read
            # what is committed either way.
            self._write_options = {"isolation_level": "READ COMMITTED"}
        self._seen = Seen()
        self._opened = {}
        """The store's `rfsm_protocols` rows read so far: each, once written, never changes."""
        self._build_statements()

    def _build_statements(self) -> None:
        case_id: BindParameter[str] = bindparam("b_case_id")
        changes: dict[str, BindParameter[Any]] = {name: bindparam(f"b_{name}") for name in CHANGING}
        self._insert_case = insert(cases)

        def checked(row: Any) -> Any:
            """The optimistic UPDATE of the case row `row` picks: it is still at the version
            and hash this store saw, and of its authority, and no redaction came since (a
            redaction leaves the version and hash as they were, but counts itself on the row:
            PostgreSQL reads the row again once it is locked, so a redaction committed while
            the statement ran is seen)."""
            return (
                update(cases)
                .where(
                    row,
                    cases.c.version == bindparam("b_expected"),
                    cases.c.last_hash == bindparam("b_expected_hash"),
                    cases.c.authority == bindparam("b_authority"),
                    cases.c.redactions == bindparam("b_redactions"),
                )
                .values(changes)
            )

        self._update_case = checked(cases.c.case_id == case_id)
        # PostgreSQL: the same UPDATE, taking the row lock in a NOWAIT sub-select, so that one
        # round trip checks, locks and updates, and a writer that meets another one mid-save
        # of the same case fails at once (see `_update_first`).
        locked = cases.alias("locked")
        lock = (
            select(locked.c.case_id)
            .where(locked.c.case_id == case_id)
            .with_for_update(nowait=True)
            .scalar_subquery()
        )
        self._update_case_nowait = checked(cases.c.case_id == lock)
        self._insert_log = insert(transitions)
        self._insert_items = insert(open_items)
        self._insert_ledger = insert(weightings)
        head = (cases.c.version, cases.c.last_hash, cases.c.authority, cases.c.redactions)
        self._select_head = select(*head).where(cases.c.case_id == case_id)
        # A load reads the count with the case row, before the log: a redaction committed
        # between the two reads (each its own snapshot under READ COMMITTED) leaves the count
        # behind, and the copy's next save compared, never the other way round.
        self._select_head_state = select(*head, cases.c.state).where(cases.c.case_id == case_id)
        # PostgreSQL and MariaDB: a writer that meets another one mid-save of the same case
        # fails at once instead of queueing behind its commit (see `save`).
        self._lock_case = self._select_head.with_for_update(nowait=True)
        log = self._as_stored(transitions)  # a date altered behind the store: `rows` says so
        self._select_log_from = (
            select(*log)
            .where(transitions.c.case_id == case_id, transitions.c.seq >= bindparam("b_from"))
            .order_by(transitions.c.seq)
        )
        self._select_log = (
            select(*log).where(transitions.c.case_id == case_id).order_by(transitions.c.seq)
        )
        # One round trip for `entered()`, the case row's authority beside each stamp: `export
        # --all` asks it of every case it streams (review RH, RH4).
        stamp = next(column for column in log if column.name == "recorded_at")
        self._select_stamps = (
            select(cases.c.authority, stamp)
            .select_from(cases.join(transitions, transitions.c.case_id == cases.c.case_id))
            .where(cases.c.case_id == case_id)
            .order_by(transitions.c.seq)
        )
        self._select_logs = (  # the logs of the cases an import finds stored
            select(*log)
            .where(transitions.c.case_id.in_(bindparam("b_case_ids", expanding=True)))
            .order_by(transitions.c.case_id, transitions.c.seq)
        )
        self._select_log_as_of = (
            select(*log)
            .where(transitions.c.case_id == case_id, transitions.c.on_date <= bindparam("b_as_of"))
            .order_by(transitions.c.seq)
        )
        self._select_notes = (
            select(redactions)
            .where(redactions.c.case_id == case_id)
            .order_by(redactions.c.seq, redactions.c.number)
        )
        self._select_redacting = (
            select(redacting.c.seq).where(redacting.c.case_id == case_id).order_by(redacting.c.seq)
        )
        columns = (
            open_items.c.case_id,
            open_items.c.kind,
            # As the driver returns it: SQLite's text is parsed below in C, not per row
            # by SQLAlchemy's Python date processor.
            type_coerce(open_items.c.due, String),
            open_items.c.item_type,
            open_items.c.owner,
        )
        on: BindParameter[date] = bindparam("b_on")
        dated = select(*columns).where(open_items.c.due <= on)
        undated = select(*columns).where(open_items.c.due.is_(None), open_items.c.opened_on <= on)
        if self.authority is not None:
            scope = open_items.c.authority == self.authority
            dated, undated = dated.where(scope), undated.where(scope)
        self._select_dated = dated.order_by(
            open_items.c.due, open_items.c.case_id, open_items.c.item_no
        )
        self._select_undated = undated.order_by(open_items.c.case_id, open_items.c.item_no)
        self._build_driver_statements()

    def _build_driver_statements(self) -> None:
        """The save's hot statements as the driver's own text, compiled once: they run through
        `exec_driver_sql` (SQLAlchemy still owns the transaction, its events and its errors)
        without compiling and processing parameters on every call."""
        dialect: Any = self.engine.dialect
        if self._dialect == "sqlite":
            dialect = type(dialect)(paramstyle="named")
        self._driver_update = str(
            (
                self._update_case_nowait if self._dialect == "postgresql" else self._update_case
            ).compile(dialect=dialect)
        )
        self._plain_update = self._driver_update
        self._update_locks = self._dialect in ("sqlite", "postgresql")
        # The common save, past SQLAlchemy's Connection: PostgreSQL's in one statement, SQLite's
        # on the pool's connection itself (None: in a transaction of SQLAlchemy's, as any other).
        self._quick_append = {
            "postgresql": self._append_at_once,
            "sqlite": self._append_on_driver,
        }.get(self._dialect)
        self._driver_delete_items = (
            f"DELETE FROM {open_items.name} WHERE case_id = "
            f"{bulk.parameter('b_case_id', self._dialect)}"
        )
        self._mariadb_unknown = self._dialect == "mysql"
        self._know_mariadb()
        self._driver_insert_log = bulk.insert_text(transitions, self._dialect)
        # due() runs them on the driver's cursor: for a short answer SQLAlchemy's statement and
        # result handling would cost more than the queries themselves.
        self._due_sql = [
            self._driver_sql(query) for query in (self._select_dated, self._select_undated)
        ]

    @guarded("make a view of one authority's cases", looks=False)
    def for_authority(self, authority: str) -> SqlAlchemyStore:
        """A store on the same engine confined to one local authority's cases.

        The view is closed with this store (every later call of it raises the closed store's
        `StoreError`); closed alone, it leaves this store open and its engine undisposed.

        Raises:
            FormInvalid: `authority` is None or no authority's name (blank, say).
            NotPermitted: this store is scoped to another authority (a scope only narrows).
        """
        check_view(self._authority, authority)
        view = SqlAlchemyStore(
            self.engine,
            authority=authority,
            calendar=self.calendar,
            protocols=self.protocols,
            durable=self._durable,
            busy_timeout=self._busy_timeout,
            retention=self.retention,
        )
        # With a guard of its own, a view of a closed store went on using the engine its
        # parent disposed: an in-memory database found empty (and the advice to create the
        # tables anew), a file opened again unasked (review M, M2).
        view._guard = self._guard.view()
        return view

    # -- schema -----------------------------------------------------------------------------------
    @guarded(_CREATE_SCHEMA, looks=False)
    def create_schema(self) -> None:
        """Create the tables, indexes and append-only triggers that are missing (idempotent).

        A database built this way is stamped with the newest migration, so `upgrade()` applies
        only the migrations that come later. On a database holding none of the store's tables,
        the making is marked until it is whole (`migrate.CREATING`): cut off part way (on
        MariaDB, which commits each CREATE at once), the store is refused until this or
        `upgrade()` runs again and finishes it.

        Raises:
            StoreError: the database failed, or is stamped with another revision than this
                library's (`upgrade()` an older one; a newer one is a newer version's), or is
                a PostgreSQL database not in UTF8 holding no store yet (nothing is made).
        """
        with (
            converted(_CREATE_SCHEMA),
            migrate.one_upgrade_at_a_time(self.engine) as conn,
            conn.begin(),
        ):
            migrate.create_schema(conn)

    def close(self) -> None:
        """Release the store's connections (disposes the engine only if the store made it).

        The store is then closed: every later call but `close()` raises `StoreError`
        (`retryable` False) saying so, whoever made the engine, instead of opening new
        connections unasked (or, for an in-memory SQLite database, finding it gone). Its
        views (`for_authority`) are closed with it; a view closed alone leaves its store open.

        A `load_all()` stream on the engine it disposes (the store's own, or a view's) that is
        not finished is ended first, so that its connection is closed with the others rather
        than left for the garbage collector; going on with it raises that `StoreError` too.
        A call of another thread under way finishes, and the connections are released when the
        last such call ends (on an in-memory database, this waits for the call in turn).
        """
        turn = self._guard.turn
        # On an in-memory database, in its turn: a call of another thread under way finishes on
        # the one connection before it is closed, never meets it closed (review TH, TH1).
        with turn if turn is not None else contextlib.nullcontext():
            self._guard.closed = True
            if self._owns_engine:
                for reading in list(_streams.pop(self.engine, ())):
                    with contextlib.suppress(ValueError):  # being read in another thread now
                        reading.close()
                # Once the calls of other threads under way end: disposed under them, the pool
                # made anew lent them connections that stayed open for good (TH2).
                self._guard.calls.release(self.engine.dispose)

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._guard.closed

    def __enter__(self) -> SqlAlchemyStore:
        """The store, closed when the `with` block ends (`close()`), however it ends."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
