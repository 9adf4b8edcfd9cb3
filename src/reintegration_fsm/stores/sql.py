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
import functools
import hashlib
import inspect
import itertools
import operator
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import (
    URL,
    BindParameter,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Result,
    Select,
    String,
    Table,
    TypeDecorator,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import (
    AlteredRow,
    CaseNotFound,
    ConcurrentUpdate,
    FormInvalid,
    GuessableRedaction,
    StoreError,
)
from reintegration_fsm.fields import NAME_LENGTH, folded_name, searched_stretch, text_problem
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import (
    arguments,
    at_once,
    audit,
    bulk,
    engines,
    erasure,
    mariadb,
    migrate,
    opened,
    parallel,
    sqlite,
    streaming,
)
from reintegration_fsm.stores import retention as retention_module
from reintegration_fsm.stores.as_of import check_as_of
from reintegration_fsm.stores.checkpoints import Checkpoint, CheckpointRefused, redaction_heads
from reintegration_fsm.stores.failures import ALTERED, converted, read_back, unique_violation
from reintegration_fsm.stores.guard import Action, Guard, guarded
from reintegration_fsm.stores.hashing import GENESIS, SCHEME, scheme
from reintegration_fsm.stores.holding import (
    BEHIND,
    Held,
    Seen,
    already_stored,
    held,
    imported_before,
    refuse_unchained,
    saving_now,
)
from reintegration_fsm.stores.model import (
    KINDS,
    PARTIES,
    CaseSummary,
    DueItem,
    LedgerEntry,
    Problem,
)
from reintegration_fsm.stores.redaction import (
    RedactionNote,
    by_seq,
    is_redacted,
    note_from_row,
)
from reintegration_fsm.stores.retention import (
    RetentionDue,
    RetentionHeld,
    RetentionPolicy,
    RetentionRun,
)
from reintegration_fsm.stores.rows import (
    CHANGING,
    Row,
    as_date,
    as_stage,
    check_scope,
    check_view,
    could_be_stored,
    entered_at,
    filed_under,
    found_by,
    holds_ended_reviews,
    item_key,
    latest_stamp,
    ledger_entry,
    open_item_rows,
    rebuilt,
    refuse_other_authority,
    refuse_saving_behind,
    refuse_unknown_protocol,
    summary,
    transitions_from_rows,
    utc_now,
    weighting_totals,
)
from reintegration_fsm.stores.schema import (
    HexBytes,
    TextDigest,
    cases,
    missing_guards,
    open_items,
    pinned_elsewhere,
    protocols,
    redacting,
    redactions,
    transitions,
    weightings,
)
from reintegration_fsm.vocabulary import Actor, Stage

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
_NAMING_LOCK = int.from_bytes(
    hashlib.sha256(b"reintegration_fsm rfsm_protocols").digest()[:8], "big", signed=True
)
"""The PostgreSQL advisory lock a transaction keeping a new protocol for an authority holds
until it ends, so that two authorities' first cases under one name are compared in turn."""

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

_VERIFY_BATCH = 500
"""Cases `verify()` checks per range of case ids."""

_streams: weakref.WeakKeyDictionary[Engine, weakref.WeakSet[Generator[Reintegration, None, None]]]
_streams = weakref.WeakKeyDictionary()
"""The `load_all()` streams not yet finished on each engine (their reading half, which holds a
connection while it runs), for the store that disposes the engine to end first (`close`)."""


class SqlAlchemyStore:
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
        self.engine: Engine = engine
        check_scope(authority)
        self._authority = authority
        self.calendar = calendar
        self.protocols: tuple[Protocol, ...] = given
        self._durable = durable
        self._busy_timeout = busy_timeout
        self._owns_engine = made
        self._guard = Guard(engine)
        self._dialect = engine.dialect.name
        self._write_options: dict[str, Any] = {}
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
        self._opened: dict[opened.Key, opened.Opened] = {}
        """The store's `rfsm_protocols` rows read so far: each, once written, never changes."""
        self._build_statements()

    @property
    def authority(self) -> str | None:
        """The local authority whose cases alone this store reads and writes (None: every one's).

        Read-only: a store's queries are scoped when it is made, so a reassigned authority would
        have scoped some answers and not others. `for_authority` makes a view of one authority.
        """
        return self._authority

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
        self._quick_append: QuickAppend | None = {
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

    # -- writing ----------------------------------------------------------------------------------
    @guarded(lambda case: _SAVE_CASE(getattr(case, "case_id", None)), writes=True)
    def save(self, case: Reintegration) -> None:
        """Append the transitions of `case` the store does not hold yet, atomically.

        A case it holds whole is a no-op (so is a retry whose first attempt committed); one it
        does not hold at all is written whole, whichever store it came from.

        Raises:
            NotPermitted: the case, or the stored case of that id, is another authority's.
            ConcurrentUpdate: the stored history differs from the case's (the message says
                whether another writer appended first or another case has the id); nothing
                was written.
            FormInvalid: `case` is not a case, or a value does not fit the store (too long, not
                valid Unicode); nothing was written.
            IllegalTransition: a transition the store does not hold yet does not leave the
                stage the one before it reached, or leaves a final stage; nothing was written.
            StoreError: the database failed; nothing was written unless the commit's reply
                was lost, and `.retryable` says whether to simply try again. Or this machine's
                clock reads before the case's last entry by more than CLOCK_SLACK, or the
                database's schema is at another revision than the library's (not retryable);
                nothing was written.
        """
        case_id = arguments.case("save", case).case_id
        seen = self._seen.get(case)
        # A case this store holds is its row's authority's; any other, its history's.
        filed = filed_under(case) if seen is None else seen.authority
        refuse_other_authority(self.authority, case_id, filed)
        refuse_unknown_protocol(self.protocols, case)
        if seen is not None and seen.version == len(case.history):
            return  # nothing new since this store last held it whole (nor half applied yet)
        # A trigger of this case in another thread is applied whole before the case is read
        # (history, stage, items), never half: see `Reintegration._trigger_lock`.
        with case._trigger_lock():
            history = case.history
            if seen is not None and seen.version == len(history):
                return
            if seen is None and case._unchecked:
                # Resumed by another store object without replaying: a history from outside is
                # re-checked before it is written (the trust rule).
                Reintegration.replay(history, self.calendar, self.protocols)
            try:
                with converted(*_SAVE_CASE(case_id)):
                    try:
                        holding = self._save(case, history, seen, filed)
                    except DBAPIError as error:
                        if not unique_violation(error):
                            raise
                        # Another writer created the case in the meantime: compare with it.
                        holding = self._save(case, history, None, filed)
            except StoreError as error:
                new = history[0 if seen is None else seen.version :]
                self._refuse_oversized(
                    error, lambda: [bulk.rows(case, filed, new, GENESIS, utc_now())]
                )
                raise
            self._seen.put(case, holding)

    def _refuse_oversized(
        self, error: StoreError, written: Callable[[], Iterable[bulk.Prepared]]
    ) -> None:
        """On MariaDB a connection lost while sending `written` rows may be the server's packet
        limit, which retrying meets again: then refuse them.

        Raises:
            FormInvalid: a row is larger than the server takes in one statement.
        """
        if not error.retryable or self._dialect not in ("mysql", "mariadb"):
            return
        rows = (
            (prepared.case_id, row)
            for prepared in written()
            for _, table_rows in prepared.tables()
            for row in table_rows
        )
        refused = mariadb.oversized(self.engine, rows)
        if refused is not None:
            raise refused from error

    def _save(
        self, case: Reintegration, history: Sequence[Transition], seen: Held | None, filed: str
    ) -> Held:
        """Write what the store lacks of `case`, a new case under the authority `filed`."""
        case_id = case.case_id
        fast = None
        if seen is not None:
            refuse_unchained(history, seen.version)
            new = history[seen.version :]
            now = utc_now()
            # The latest stamp as this store read or wrote it: no read of the log here.
            refuse_saving_behind(case_id, now, seen.latest_recorded)
            fast = bulk.appended(case, seen.authority, new, seen.last_hash, now)
            if self._quick_append is not None and seen.items is not None:
                done = self._quick_append(fast, seen, seen.items)
                if done:
                    return _held(
                        len(history), fast, seen.authority, seen.redactions, seen.latest_recorded
                    )
                if done is not None:
                    fast = None  # the case row is not as this store saw it: compare below
        with self._writing() as conn:
            head = None
            if seen is not None and fast is not None and self._update_first(conn, fast, seen):
                self._append(conn.exec_driver_sql, fast, seen.items)
                return _held(
                    len(history), fast, seen.authority, seen.redactions, seen.latest_recorded
                )
            if self._dialect != "sqlite":  # SQLite's BEGIN IMMEDIATE already serialises
                elsewhere = self._elsewhere(conn, case_id)
                if elsewhere is not None:
                    refuse_other_authority(self.authority, case_id, elsewhere)
                # For a case object it has not seen, the copy's own version: never 0, which
                # says the id is another case's (it may be; the refusal says to save again).
                expected = len(history) if seen is None else seen.version
                head = self._lock_or_fail(conn, case_id, expected, unseen=seen is None)
            if head is None:
                head = conn.execute(self._select_head, {"b_case_id": case_id}).first()
            if head is None:
                return self._insert_new(conn, case, history, filed)
            return self._append_compared(conn, case, history, seen, head)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write's transaction, on a pooled connection set up for writing (SQLite's BEGIN
        IMMEDIATE, READ COMMITTED on MariaDB and PostgreSQL). A connection that fails as it is
        set up (ended by the server, its isolation level cannot be set) is retired and closed,
        with the pool's older ones when it was lost, not left to the garbage collector, whose
        reset of it SQLAlchemy logged with a traceback (review B, B4)."""
        with self.engine.connect() as conn:
            try:
                conn.execution_options(**self._write_options)
            except BaseException as error:
                dialect = self.engine.dialect
                if isinstance(error, dialect.loaded_dbapi.Error) and dialect.is_disconnect(
                    error, conn.connection.dbapi_connection, None
                ):
                    _retire_all(self.engine, conn.connection, error, checkin=False)
                conn.invalidate(error)
                raise
            with conn.begin():
                yield conn

    def _know_mariadb(self) -> None:
        """On MariaDB, the save's UPDATE takes the row lock itself, under a lock wait timeout
        of 0 (its NOWAIT for it). The dialect tells MariaDB from MySQL once the engine has
        connected: a store made from a URL learns it on its first save."""
        dialect: Any = self.engine.dialect
        if not self._mariadb_unknown or dialect.server_version_info is None:
            return
        if getattr(dialect, "is_mariadb", False):
            # From the plain text, so that two threads learning it at once write the same.
            self._driver_update = (
                f"SET STATEMENT innodb_lock_wait_timeout = 0 FOR {self._plain_update}"
            )
            self._update_locks = True
        self._mariadb_unknown = False

    def _update_first(self, conn: Connection, prepared: bulk.Prepared, seen: Held) -> bool:
        """The optimistic UPDATE of a case this store has seen: True when the row was still at
        the version and hash it saw (and is now updated and locked).

        On SQLite the transaction's BEGIN IMMEDIATE already serialises the writers. On
        PostgreSQL and MariaDB the UPDATE takes the row lock itself, without waiting: a writer
        that meets another one mid-save of the same case gets `ConcurrentUpdate` at once. Other
        engines lock the row with `SELECT ... FOR UPDATE NOWAIT` first (two round trips).

        Raises:
            ConcurrentUpdate: another writer holds the case row.
        """
        args = (conn.exec_driver_sql, prepared, seen)
        if self._mariadb_unknown:
            self._know_mariadb()
        if self._update_locks:
            with _not_waiting(prepared.case_id, seen.version):
                return self._update(*args)
        head = self._lock_or_fail(conn, prepared.case_id, seen.version)
        return (
            head is not None and (head.version, head.last_hash) == seen[:2] and self._update(*args)
        )

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

    def _lock_or_fail(
        self, conn: Connection, case_id: str, expected: int, *, unseen: bool = False
    ) -> Any:
        """Lock the case row and read its head, or raise `ConcurrentUpdate` (with `expected`;
        `unseen`: for a copy this store has not loaded or saved) at once if another writer
        holds it.

        The holder is saving the same case right now and will have appended first; waiting for
        its commit only to learn that costs the loser the winner's whole commit time.
        """
        with _not_waiting(case_id, expected, unseen):
            return conn.execute(self._lock_case, {"b_case_id": case_id}).first()

    def _update(self, run: Run, prepared: bulk.Prepared, seen: Held) -> bool:
        """The optimistic UPDATE of the case row: True when it was still as `seen`."""
        params = self._driver(_update_parameters(prepared, seen), _UPDATE_DATED)
        return bool(run(self._driver_update, params).rowcount == 1)

    def _append_on_driver(
        self,
        prepared: bulk.Prepared,
        seen: Held,
        before: Mapping[int, tuple[Any, ...]],
    ) -> bool:
        """SQLite: `_update_first` and `_append` on the pool's connection itself, in its own
        BEGIN IMMEDIATE ... COMMIT, given the open items the store holds (`before`). True when
        the case row was still as `seen` (and the save is committed); False when it was not,
        and nothing was written.

        SQLAlchemy's Connection around these few statements (its begin event, its statement and
        result handling) was a sixth of a save. The connection goes back to the pool with no
        transaction open, whatever happens.
        """
        ran: list[str] = ["BEGIN IMMEDIATE"]
        with self._lent(ran) as dbapi, contextlib.closing(dbapi.cursor()) as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                run = _on_cursor(cursor, ran)
                updated = self._update(run, prepared, seen)
                if updated:
                    self._append(run, prepared, before)
                    ran.append("COMMIT")
                    cursor.execute("COMMIT")
            finally:
                if dbapi.in_transaction:  # refused, or failed: nothing is kept
                    with contextlib.suppress(Exception):  # the first error is the news
                        cursor.execute("ROLLBACK")
        return updated

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

    def _append_at_once(
        self,
        prepared: bulk.Prepared,
        seen: Held,
        before: Mapping[int, tuple[Any, ...]],
    ) -> bool | None:
        """PostgreSQL: `_update_first` and `_append` as one statement, run as its own
        transaction (see `at_once`), given the open items the store holds (`before`). True when
        the case row was still as `seen` (and the save is committed); False when it was not,
        and nothing was written; None, having done nothing, when the save is too large for
        one statement (`at_once.MOST_PARAMETERS`).

        Raises:
            ConcurrentUpdate: another writer holds the case row.
        """
        items, gone = _changed_items(prepared.items, before)
        renumbered = {item["item_no"] for item in items}
        gone = [number for number in gone if number not in renumbered]
        entries = [bulk.binary(entry) for entry in prepared.entries]
        update = _update_parameters(prepared, seen)
        params = at_once.parameters(update, entries, gone, items, prepared.ledger)
        if len(params) > at_once.MOST_PARAMETERS:
            return None
        text = at_once.statement(
            self._driver_update, len(entries), len(gone), len(items), len(prepared.ledger)
        )
        with (
            _not_waiting(prepared.case_id, seen.version),
            self._lent([text], autocommit=True) as dbapi,
            contextlib.closing(dbapi.cursor()) as cursor,
        ):
            cursor.execute(text, params)
            row = cursor.fetchone()
            return row is not None and row[0] == 1

    def _driver(self, row: Row, dated: Sequence[str]) -> Row:
        """A row's values as the driver takes them (SQLite: its `dated` columns' dates as
        SQLAlchemy's text)."""
        return bulk.sqlite_row(row, dated) if self._dialect == "sqlite" else row

    def _append(
        self,
        run: Run,
        prepared: bulk.Prepared,
        before: Mapping[int, tuple[Any, ...]] | None = None,
    ) -> None:
        """Append the log entries and any ledger rows of `prepared` (`bulk.appended`: only
        when one of its transitions made the case successful), and bring the open items up to
        date: only the rows that changed when the store knows the rows the case had (`before`),
        else all of them."""
        items = prepared.items
        if before is None:
            run(self._driver_delete_items, {"b_case_id": prepared.case_id})
        else:
            items, gone = _changed_items(items, before)
            if gone:
                dialect = self._dialect
                numbers = {f"b_item_{n}": number for n, number in enumerate(gone)}
                in_list = ", ".join(bulk.parameter(name, dialect) for name in numbers)
                case = bulk.parameter("b_case_id", dialect)
                run(
                    f"DELETE FROM {open_items.name} WHERE case_id = {case} "
                    f"AND item_no IN ({in_list})",
                    {"b_case_id": prepared.case_id, **numbers},
                )
        driver, dated = self._driver, bulk.DATED
        entries = [
            driver(bulk.binary(entry), dated[transitions.name]) for entry in prepared.entries
        ]
        run(self._driver_insert_log, entries if len(entries) > 1 else entries[0])
        if items:
            rows = [driver(item, dated[open_items.name]) for item in items]
            self._insert_values(run, open_items, rows)
        if prepared.ledger:
            rows = [driver(row, dated[weightings.name]) for row in prepared.ledger]
            self._insert_values(run, weightings, rows)

    def _insert_values(self, run: Run, table: Table, rows: list[Row]) -> None:
        """Insert `rows` into `table` with one statement: one round trip on every engine."""
        text = bulk.insert_values_text(table, self._dialect, len(rows))
        run(text, bulk.values_parameters(rows))

    def _insert_new(
        self, conn: Connection, case: Reintegration, history: Sequence[Transition], filed: str
    ) -> Held:
        refuse_unchained(history, 0)
        self._keep_protocols(conn, [case])
        prepared = bulk.rows(case, filed, history, GENESIS, utc_now())
        conn.execute(self._insert_case, prepared.case_row)
        entries = prepared.entries
        conn.execute(self._insert_log, entries if len(entries) > 1 else entries[0])
        if prepared.items:
            conn.execute(self._insert_items, prepared.items)
        if prepared.ledger:
            conn.execute(self._insert_ledger, prepared.ledger)
        return _held(len(history), prepared, filed, 0, None)

    def _keep_protocols(self, conn: Connection, new: Sequence[Reintegration]) -> None:
        """Refuse cases `new` to the store opened under other rules than its earlier cases
        of their authority under their protocol's `(id, version)`, or than another authority's
        under it, or under a name it keeps or was given in other letters' case, and keep the
        protocol of the first case under each it does not keep yet (`opened`).

        The store's `rfsm_protocols` is read whole (a row for each authority's protocol
        version: a few dozen), once for each authority and `(id, version)` not read yet: the
        names alike read aloud are compared by `read_aloud`, which no engine's collation is.
        A protocol kept for an authority is compared again once written, in the same
        transaction, with every one kept: two first cases saved at once are not both kept under
        other rules, or names alike. SQLite's BEGIN IMMEDIATE serialises the writers; on
        PostgreSQL the writer first takes a transaction's advisory lock, and on MariaDB the
        comparison's locking read waits for a writer that has written its row and not
        committed.

        Raises:
            ChangedProtocol: a case of `new` was opened under other rules, or a name alike
                (`opening` True).
        """
        opened.refuse_given_alike(new, self.protocols)
        if opened.keys(new) - self._opened.keys():
            self._opened.update((protocol.key, protocol) for protocol in self._kept(conn))
        added = opened.first_opened(new, self._opened)
        if not added:
            return
        if self._dialect == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_NAMING_LOCK)))
        # Kept in `_opened` once committed, when read again.
        conn.execute(insert(protocols), [protocol.row() for protocol in added])
        written = self._kept(conn, locking=True)
        opened.first_opened(new, {protocol.key: protocol for protocol in written})

    def _kept(self, conn: Connection, *, locking: bool = False) -> list[opened.Opened]:
        """The `rfsm_protocols` rows (a locking read, on engines that have one, with
        `locking`)."""
        query = select(*_KEPT)
        if locking:
            query = query.with_for_update()
        return [opened.Opened(*row) for row in conn.execute(query)]

    def _append_compared(
        self,
        conn: Connection,
        case: Reintegration,
        history: Sequence[Transition],
        seen: Held | None,
        head: Any,
    ) -> Held:
        """Compare the stored history with the case's, and append what the store lacks."""
        case_id = case.case_id
        version, last_hash, authority = int(head.version), str(head.last_hash), head.authority
        refuse_other_authority(self.authority, case_id, authority)
        noted = int(head.redactions)
        start = 0
        stored: Sequence[Mapping[Any, Any]] = ()
        latest = None  # the latest stamp of the entries read (and, reading on, seen before)
        if seen is not None and 0 < seen.version <= version and seen.redactions == noted:
            # Read only what came after the version this store saw, if the chain still
            # passes through the hash it saw there (and no redaction came since).
            params = {"b_case_id": case_id, "b_from": seen.version}
            after = conn.execute(self._select_log_from, params).mappings().all()
            if after and after[0]["seq"] == seen.version and after[0]["hash"] == seen.last_hash:
                start, stored = seen.version, after[1:]
                latest = latest_stamp(seen.latest_recorded, _stamps(after))
        if not start:
            stored = conn.execute(self._select_log, {"b_case_id": case_id}).mappings().all()
            latest = latest_stamp(None, _stamps(stored))
        compared = held(case_id, stored, history, self._notes(conn, case_id, stored), start)
        holds = compared.version
        new = history[holds:]
        if not new:
            # Nothing to write. Note what the case itself holds, which may be less than the
            # store (a copy behind it), and whether it was loaded before a redaction: a step it
            # records next is then compared with the store's, never appended after
            # transitions the case does not hold, or resting on a value the store removed.
            mine = len(history)
            counted = BEHIND if compared.redacted_since else noted
            if mine == version:
                return Held(version, last_hash, authority, None, counted, latest)
            if seen is not None and mine == start:
                return Held(mine, seen.last_hash, authority, None, counted, seen.latest_recorded)
            then = stored[mine - start - 1]
            earlier = seen.latest_recorded if seen is not None and start else None
            stamp = latest_stamp(earlier, _stamps(stored[: mine - start]))
            return Held(mine, str(then["hash"]), authority, None, counted, stamp)
        if seen is None or holds != seen.version:
            refuse_unchained(history, holds)  # checked in `_save` from the version it saw
        clock = utc_now()
        refuse_saving_behind(case_id, clock, latest)
        prepared = bulk.appended(case, authority, new, last_hash, clock)
        now = Held(version, last_hash, authority, redactions=noted)
        if not self._update(conn.exec_driver_sql, prepared, now):
            raise ConcurrentUpdate(case_id, holds, None)  # cannot happen while we hold the lock
        self._append(conn.exec_driver_sql, prepared)
        return _held(len(history), prepared, authority, noted, latest)

    @guarded(_IMPORT, looks=False)  # each batch looks
    def import_histories(
        self,
        histories: Iterable[tuple[str, Sequence[Transition]]],
        *,
        batch_size: int = 2000,
        all_or_nothing: bool = False,
        use_copy: bool | None = None,
    ) -> int:
        """Add whole histories of new cases from another system, in batched transactions.

        Each history is replayed (so a bad one is refused before anything of its batch is
        written) and hashed like a save. PostgreSQL uses COPY unless `use_copy` is False;
        other engines use executemany (`use_copy=True` is refused there). A history whose
        case the store holds with the same transitions, compared by content as `save` compares
        them, is skipped, so that an import that failed retryably part way (or whose COMMIT's
        reply was lost) may be tried again; only a batch meeting stored ids reads their logs.
        Returns the number of transitions written (none of a skipped history's).

        `all_or_nothing`: every batch in one transaction, so that nothing is written unless
        everything is (an error, or an exception raised by `histories` as it is read, writes
        none); memory still holds one batch, not the import.

        Raises:
            NotPermitted: a history, or a stored case of one of its ids, is another
                authority's than the store's; that batch is not written.
            ConcurrentUpdate: one of a batch's ids is stored with another history (part of
                this one, more, or other transitions); that batch is not written (earlier
                batches are, unless `all_or_nothing`).
            FormInvalid, IllegalTransition, GuardFailed, UnknownProtocol: a history does not
                replay, names another authority than its own, repeats an id, or holds a value
                the store cannot keep.
            StoreError: the database failed; that batch is not written (nor any, with
                `all_or_nothing`). Or the database's schema is at another revision than the
                library's (not retryable); nothing is written.
        """
        arguments.batch_size(batch_size)
        arguments.flag("import_histories", "use_copy", use_copy)
        arguments.all_or_nothing(all_or_nothing)
        if use_copy and self._dialect != "postgresql":
            raise FormInvalid(
                "import_histories",
                "use_copy",
                f"COPY is PostgreSQL's; this store is on {self._dialect} (leave use_copy out)",
            )
        copy = self._dialect == "postgresql" if use_copy is None else use_copy
        batches = self._prepared_batches(histories, batch_size)
        if all_or_nothing:
            return self._import_at_once(batches, copy)
        return sum(self._import_batch(batch, copy) for batch in batches)

    def _prepared_batches(
        self, histories: Iterable[tuple[str, Sequence[Transition]]], batch_size: int
    ) -> Iterator[list[bulk.Prepared]]:
        """The histories replayed and hashed, `batch_size` at a time, each id once."""
        batch: list[bulk.Prepared] = []
        ids: set[str] = set()
        for authority, history in arguments.histories(histories):
            prepared = bulk.prepare(authority, history, self.calendar, self.protocols)
            refuse_other_authority(self.authority, prepared.case_id, prepared.authority)
            if prepared.case_id in ids:
                raise FormInvalid("history", "case_id", f"{prepared.case_id!r} appears twice")
            ids.add(prepared.case_id)
            batch.append(prepared)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _import_batch(self, batch: Sequence[bulk.Prepared], copy: bool) -> int:
        action = bulk.batch_action(batch)
        self._guard.look(*action, writes=True)  # named as the batch's failure would be
        with self._oversized_refused(batch), converted(*action), self._writing() as conn:
            return self._insert_batch(conn, batch, copy)

    def _import_at_once(self, batches: Iterator[list[bulk.Prepared]], copy: bool) -> int:
        """Every batch of `batches` in one transaction (`all_or_nothing`)."""
        first = next(batches, None)
        if first is None:
            return 0
        self._guard.look(_IMPORT, None, writes=True)
        count = 0
        with converted(_IMPORT), self._writing() as conn:
            for batch in itertools.chain([first], batches):
                with self._oversized_refused(batch), converted(*bulk.batch_action(batch)):
                    count += self._insert_batch(conn, batch, copy)
        return count

    @contextlib.contextmanager
    def _oversized_refused(self, batch: Sequence[bulk.Prepared]) -> Iterator[None]:
        """A batch's writing, whose failure on MariaDB may be a row over the packet limit."""
        try:
            yield
        except StoreError as error:
            self._refuse_oversized(error, lambda: batch)
            raise

    def _insert_batch(self, conn: Connection, batch: Sequence[bulk.Prepared], copy: bool) -> int:
        """Write the histories of `batch` the store does not hold yet, in `conn`'s transaction."""
        wanted = [prepared.case_id for prepared in batch]
        stored: dict[str, Any] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(cases.c.case_id, cases.c.authority, cases.c.version).where(
                cases.c.case_id.in_(wanted[start : start + _CHUNK])
            )
            stored.update((row.case_id, row) for row in conn.execute(query))
        new = [prepared for prepared in batch if prepared.case_id not in stored]
        if stored:
            self._refuse_stored(conn, [p for p in batch if p.case_id in stored], stored)
        self._keep_protocols(conn, [prepared.case for prepared in new])
        if new:
            if copy:
                bulk.copy_rows(conn, new)
            else:
                bulk.insert_rows(conn, new)
        return sum(len(prepared.entries) for prepared in new)

    def _refuse_stored(
        self, conn: Connection, found: Sequence[bulk.Prepared], stored: Mapping[str, Any]
    ) -> None:
        """Refuse the histories of `found` whose ids the store holds (`stored`: their case rows)
        with another history (`holding.imported_before`): each stored with its whole history is
        skipped. Their logs are read in one query per `_CHUNK` cases, and only those of cases
        as long as the history: an import of new cases reads none.

        Raises:
            NotPermitted: a stored case is another authority's than the store's.
            ConcurrentUpdate: a stored case is not the history's (`already_stored`).
        """
        for prepared in found:
            case_id = prepared.case_id
            refuse_other_authority(self.authority, case_id, stored[case_id].authority)
        alike = [
            prepared
            for prepared in found
            if stored[prepared.case_id].authority == prepared.authority
            and int(stored[prepared.case_id].version) == len(prepared.entries)
        ]
        logs: dict[str, list[Row]] = {prepared.case_id: [] for prepared in alike}
        ids = list(logs)
        for start in range(0, len(ids), _CHUNK):
            params = {"b_case_ids": ids[start : start + _CHUNK]}
            for entry in conn.execute(self._select_logs, params).mappings():
                logs[entry["case_id"]].append(dict(entry))
        for prepared in found:
            case_id = prepared.case_id
            log = logs.get(case_id)
            if log is None or not imported_before(
                log, prepared.case.history, self._notes(conn, case_id, log)
            ):
                raise already_stored(case_id, int(stored[case_id].version))

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

    def _streams_past_commits(self) -> bool:
        """False when a stream's cursor would not outlive another call's commit: an in-memory
        SQLite database has one connection, which every call shares, and before Python 3.11
        `sqlite3` resets a connection's cursors when it commits or rolls back."""
        return not (
            sys.version_info < (3, 11)
            and self._dialect == "sqlite"
            and sqlite.in_memory(self.engine.url)
        )

    def _visible(self, authority: str) -> bool:
        return self.authority is None or authority == self.authority

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

    @guarded(_LIST_DUE)
    def due(self, on: date, *, school: str | None = None) -> list[DueItem]:
        """What still binds on `on`, soonest first: pending deadlines and open obligations due
        by then, an undated obligation from the day it was opened; undated ones last.

        Read from the open-items index.

        Args:
            school: only for the cases with this AP setting or host school.
        """
        arguments.day("due", "on", on)
        arguments.text_or_none("due", "school", school)
        if self._no_such_school(school):
            return []
        statements = self._due_sql if school is None else self._due_at_school(school)
        # SQLite keeps a DATE as its ISO text (SQLAlchemy's format), and compares it as text.
        value: Any = on.isoformat() if self._dialect == "sqlite" else on
        found: list[Any] = []
        ran = [_LIST_DUE]
        # PostgreSQL: each statement reads its own snapshot under READ COMMITTED either way, so
        # read in autocommit: no BEGIN before and no ROLLBACK after (two round trips for a read).
        with read_back(_LIST_DUE):
            with (
                self._lent(ran, autocommit=self._dialect == "postgresql") as dbapi,
                contextlib.closing(dbapi.cursor()) as cursor,
            ):
                for text, names, bound in statements:
                    ran.append(text)
                    params = bound | {"b_on": value}
                    cursor.execute(text, params if names is None else [params[n] for n in names])
                    found.extend(cursor.fetchall())
            # Per row: a tuple built in C (a named tuple's own constructor is a Python
            # function), each day parsed once (rows share a few), kinds and parties by lookup.
            days: dict[Any, date | None] = {None: None}
            parse = date.fromisoformat
            for due in {row[2] for row in found}.difference(days):
                days[due] = parse(due) if type(due) is str else due
            make, kinds, parties = tuple.__new__, KINDS, PARTIES
            return [
                make(DueItem, (case_id, kinds[kind], days[due], item, parties[owner]))
                for case_id, kind, due, item, owner in found
            ]

    @guarded(_LIST_CASES)
    def authorities(self) -> list[str]:
        """The local authorities whose cases this store may show, each as its cases name it,
        sorted (read from the case rows' index)."""
        if self.authority is not None:
            query = select(cases.c.authority).where(cases.c.authority == self.authority).limit(1)
        else:
            query = select(cases.c.authority).distinct()
        with read_back(_LIST_CASES), self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    @guarded(_LIST_CASES)
    def cases(
        self, stage: Stage | None = None, school: str | None = None, text: str | None = None
    ) -> list[CaseSummary]:
        """The cases this store may show, ordered by case id (read from the case rows).

        Args:
            stage: only cases in this stage.
            school: only cases with this AP setting or host school.
            text: only cases whose id or child's name contains it, ignoring case.
        """
        arguments.text_or_none("cases", "school", school)
        arguments.text_or_none("cases", "text", text)
        if self._no_such_school(school) or (
            isinstance(text, str) and text_problem(text) is not None
        ):
            return []  # no stored id or name holds such text
        query = select(
            cases.c.case_id,
            cases.c.pupil_name,
            cases.c.stage,
            cases.c.ap_setting,
            cases.c.host_school,
            cases.c.authority,
            cases.c.opened_on,
            cases.c.last_on,
        )
        if self.authority is not None:
            query = query.where(cases.c.authority == self.authority)
        if stage is not None:
            query = query.where(cases.c.stage == as_stage(stage).value)
        if school is not None:
            query = query.where(self._at_school(school))
        needle = None if text is None else searched_stretch(text)
        if needle:  # narrowed by the folded columns, then each case compared whole below
            query = query.where(
                or_(
                    self._holds(cases.c.case_id_folded, needle),
                    self._holds(cases.c.pupil_name_folded, needle),
                )
            )
        with read_back(_LIST_CASES):
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(cases.c.case_id)).mappings().all()
            listed = [summary(row) for row in rows]
        return listed if text is None else found_by(text, listed)

    @staticmethod
    def _no_such_school(school: str | None) -> bool:
        """`school` is text no stored school's name can be (a lone surrogate, say, which
        PostgreSQL would refuse to compare)."""
        return school is not None and (
            text_problem(school, single_line=True, most=NAME_LENGTH) is not None
        )

    @staticmethod
    def _at_school(school: str) -> Any:
        """The condition on a case row that its AP setting or host school is `school`, as the
        rules read a school's name (`rules.at_school`), by the folded columns' indexes."""
        folded = folded_name(school)
        return or_(cases.c.ap_setting_folded == folded, cases.c.host_school_folded == folded)

    def _due_at_school(self, school: str) -> list[tuple[str, list[str] | None, dict[str, Any]]]:
        """`due()`'s two statements, as the driver's text, for the cases of `school` only."""
        of_school = open_items.c.case_id.in_(select(cases.c.case_id).where(self._at_school(school)))
        return [
            self._driver_sql(query.where(of_school))
            for query in (self._select_dated, self._select_undated)
        ]

    def _holds(self, column: Any, needle: str) -> Any:
        """`column` contains `needle`, character for character: on SQLite by `instr`, as its
        LIKE reads the noncharacters U+FFFE and U+FFFF as one (both columns are folded, so
        LIKE's ignoring of ASCII case is not wanted either)."""
        if self._dialect == "sqlite":
            return func.instr(column, needle) > 0
        return column.contains(needle, autoescape=True)

    def _ledger_entries(self, start: date, end: date, action: str) -> list[LedgerEntry]:
        """The ledger's entries dated `start` to `end` inclusive, by date, then case id, then
        school; `action` names the call in its errors."""
        where = [weightings.c.on_date >= start, weightings.c.on_date <= end]
        if self.authority is not None:
            where.append(weightings.c.authority == self.authority)
        query = (
            select(weightings)
            .where(*where)
            .order_by(weightings.c.on_date, weightings.c.case_id, weightings.c.school)
        )
        with read_back(action), self.engine.connect() as conn:
            return [ledger_entry(row) for row in conn.execute(query).mappings()]

    @guarded(_SUM_WEIGHTINGS)
    def weightings(self, start: date, end: date) -> dict[str, int]:
        """The Fair Access weightings from `start` to `end` inclusive: school -> net points.

        Summed from the ledger table by index, never by replaying histories; a school named
        in several ways is one school, under the spelling of its first entry
        (`rows.weighting_totals`).
        """
        arguments.period("weightings", start, end)
        return weighting_totals(self._ledger_entries(start, end, _SUM_WEIGHTINGS))

    @guarded(_READ_LEDGER)
    def ledger(self, start: date, end: date) -> list[LedgerEntry]:
        """Each school's weighting change from each success dated `start` to `end` inclusive,
        by date, then case id, then school."""
        arguments.period("ledger", start, end)
        return self._ledger_entries(start, end, _READ_LEDGER)

    # -- evidence ------------------------------------------------------------------------------
    @guarded(_REDACT_CASE, writes=True)
    def redact(
        self,
        case_id: str,
        seq: int | None,
        paths: Iterable[str],
        reason: str,
        *,
        by: Actor,
        on: date,
    ) -> list[RedactionNote]:
        """Remove personal data from a stored transition, keeping the chain verifiable.

        Each value `paths` names (`form.parent_name`, `pupil.address`, `actor.name`,
        `meeting.attendees.*.name`; a form's path names every personal value in it) is replaced
        by its leaf digest (which, on an entry written since schema revision 0011, no guess can
        be tested against), and a note records who removed it, when and why, in one
        transaction. `seq` None removes the paths from every transition holding them. A
        person's name removed takes every other copy of that name in the case with it (each
        note's `copies`). Returns the notes made. On SQLite it then copies the `-wal` file into
        the database and empties it, waiting up to `busy_timeout` for a reader still holding an
        older snapshot.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` not text, `seq` neither a whole number nor None, no reason
                or one quoting a value it removes, `paths` not a collection of texts, a path
                naming nothing or no personal data, nothing left to remove, a case that would no
                longer load, or `on` before the day an entry it removes values from was
                recorded, or after today; nothing was changed.
            StoreError: the database failed; nothing was changed. Or this machine's clock
                reads before an entry it redacts, or a redaction record of it, by more than
                CLOCK_SLACK, or the database's schema is at another revision than the
                library's (not retryable).

        Warns:
            GuessableRedaction: values were removed from entries written before schema
                revision 0011, whose digests can still be tested against guesses (the
                redaction is made).
        """
        arguments.case_id("redact", case_id)
        targets = {arguments.seq("redact", seq): arguments.paths("redact", paths)}
        notes, guessable = self._redact(case_id, targets, reason, by=by, on=on)
        self._flush_wal()  # a retention run flushes once, at its end
        _warn_guessable(case_id, guessable)  # last: a caller may make it an error
        return notes

    def _flush_wal(self, *, patient: bool = True) -> None:
        """On SQLite, copy the WAL into the database file and empty it: until then the -wal
        file still holds the pages a redaction rewrote, removed values and payload keys with
        them. Best effort, tried at least three times, each try waiting briefly, until the
        store's busy timeout has passed (not `patient`: the three tries only): a reader
        holding an older snapshot (or a writer) for longer keeps its pages there, and the
        redaction itself is already committed."""
        if self._dialect != "sqlite":
            return
        until = time.monotonic() + (self._busy_timeout if patient else 0)
        for attempt in itertools.count():
            if attempt >= 3 and time.monotonic() >= until:
                return
            if attempt:
                time.sleep(0.1)
            try:
                with self.engine.connect() as conn:
                    if sqlite.checkpoint(conn):
                        return
            except DBAPIError:
                continue

    def _redact(
        self,
        case_id: str,
        targets: erasure.Targets,
        reason: str,
        *,
        by: Actor,
        on: date,
        every_case: bool = False,
    ) -> tuple[list[RedactionNote], list[int]]:
        """Redact `targets` in one transaction: the notes made, and the seqs of the entries
        written before schema revision 0011 it removed values from (`GuessableRedaction`)."""
        erasure.check_request(reason, by, on)
        if not could_be_stored(case_id):
            raise CaseNotFound(case_id)
        with read_back(*_REDACT_CASE(case_id)), self._writing() as conn:
            # PostgreSQL and MariaDB: hold the case row while redacting (SQLite's BEGIN
            # IMMEDIATE already does), so two redactions of one entry queue.
            if self._dialect != "sqlite":
                if self._elsewhere(conn, case_id) is not None:
                    raise CaseNotFound(case_id)
                conn.execute(self._select_head.with_for_update(), {"b_case_id": case_id})
            authority, entries, _ = self._read(conn, case_id)
            rows = [
                dict(r) for r in conn.execute(self._select_notes, {"b_case_id": case_id}).mappings()
            ]
            plan = erasure.plan(
                entries,
                by_seq(rows),
                targets,
                reason,
                by=by,
                on=on,
                now=utc_now(),
                authority=authority,
                calendar=self.calendar,
                protocols=self.protocols,
                every_case=every_case,
            )
            left = conn.execute(self._select_redacting, {"b_case_id": case_id}).scalars().all()
            if left:
                raise AlteredRow(
                    f"could not redact case {case_id!r}: {ALTERED}: "
                    f"{audit.left_redacting(f'entry {left[0]}')}; run verify",
                    case_id=case_id,
                )
            seqs = [{"case_id": case_id, "seq": update["seq"]} for update in plan.updates]
            conn.execute(insert(redacting), seqs)
            conn.execute(
                update(transitions)
                .where(transitions.c.case_id == case_id, transitions.c.seq == bindparam("b_seq"))
                .values(
                    data=bindparam("b_data"),
                    actor_id=bindparam("b_actor_id"),
                    actor_name=bindparam("b_actor_name"),
                    payload_key=bindparam("b_payload_key"),
                    leaf_keys=bindparam("b_leaf_keys"),
                ),
                [
                    {
                        "b_seq": u["seq"],
                        "b_data": u["data"],
                        "b_actor_id": u["actor_id"],
                        "b_actor_name": u["actor_name"],
                        "b_payload_key": u["payload_key"],
                        "b_leaf_keys": u["leaf_keys"],
                    }
                    for u in plan.updates
                ],
            )
            conn.execute(delete(redacting).where(redacting.c.case_id == case_id))
            conn.execute(insert(redactions), plan.records)
            conn.execute(update(cases).where(cases.c.case_id == case_id).values(plan.case_changes))
        logged = {int(entry["seq"]): entry for entry in entries}
        guessable = [u["seq"] for u in plan.updates if scheme(logged[u["seq"]]) < SCHEME]
        return plan.notes, guessable

    @guarded(_READ_CASE)
    def redactions(self, case_id: str) -> list[RedactionNote]:
        """Every redaction of the case's transitions, by seq, then in the order made.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        if not could_be_stored(arguments.case_id("redactions", case_id)):
            raise CaseNotFound(case_id)
        with read_back(*_READ_CASE(case_id)), self.engine.connect() as conn:
            head = conn.execute(self._select_head, {"b_case_id": case_id}).first()
            if head is None or not self._visible(head.authority):
                raise CaseNotFound(case_id)
            rows = conn.execute(self._select_notes, {"b_case_id": case_id}).mappings().all()
            return [note_from_row(dict(row)) for row in rows]

    @guarded(_TAKE_CHECKPOINT)
    def checkpoint(
        self, *, extends: Checkpoint | None = None, public_key: bytes | str | None = None
    ) -> Checkpoint:
        """Every case this store may show, with its version and the hash of its last log entry
        (as the log holds them), under one root; see `Checkpoint`.

        With `extends` (an earlier checkpoint), it is taken only if the store still extends
        that one, checked as `verify(checkpoint=extends, public_key=public_key)` checks it, in
        the same read of one moment of the database as the new checkpoint: no case of it gone,
        truncated or rewritten, no redaction record of it removed or rewritten, no entry or
        record written after it and dated back, and (given the public key) its signature good.
        A row removed between a `verify()` and this call is then never anchored. It does not
        check the rest of what `verify()` does (chains, digests, replays): run that first.

        Raises:
            CheckpointRefused: the store does not extend `extends`; `problems` names each.
            AlteredRow: a hash or number to anchor does not read as the store writes it.
            FormInvalid: `extends` is not a `Checkpoint`, or `public_key` is given without it
                (`MalformedCheckpoint`: it is not an Ed25519 public key in PEM).
        """
        arguments.extending(extends, public_key)
        last = (
            select(transitions.c.case_id, func.max(transitions.c.seq).label("seq"))
            .group_by(transitions.c.case_id)
            .subquery()
        )
        query = (
            select(transitions.c.case_id, transitions.c.seq, transitions.c.hash)
            .join(
                last,
                (transitions.c.case_id == last.c.case_id) & (transitions.c.seq == last.c.seq),
            )
            .join(cases, cases.c.case_id == transitions.c.case_id)
        )
        records = (
            select(redactions.c.case_id, redactions.c.seq, redactions.c.hash)
            .join(cases, cases.c.case_id == redactions.c.case_id)
            .order_by(redactions.c.case_id, redactions.c.seq, redactions.c.number)
        )
        if self.authority is not None:
            query = query.where(cases.c.authority == self.authority)
            records = records.where(cases.c.authority == self.authority)
        found: list[Problem] = []
        with read_back(_TAKE_CHECKPOINT), self.engine.connect() as conn:
            if self._dialect != "sqlite":  # (SQLite: one BEGIN holds one snapshot)
                conn.execution_options(isolation_level="REPEATABLE READ")
            heads = [(row[0], int(row[1]), str(row[2])) for row in conn.execute(query)]
            notes = redaction_heads(
                (row[0], int(row[1]), str(row[2])) for row in conn.execute(records)
            )
            if extends is not None:
                found = audit.extension_problems(
                    extends,
                    self.authority,
                    self._anchored_logs(conn),
                    self._anchored_notes(conn),
                    public_key,
                )
        if extends is not None and found:
            raise CheckpointRefused(extends, found)
        return Checkpoint.of(heads, self.authority, utc_now(), notes)

    def _anchored_logs(self, conn: Connection) -> Iterator[tuple[str, list[Row]]]:
        """The log of each case a checkpoint holds (a case row of the store's scope), its
        entries' seq, hash and stamp, by case id: streamed by one query or, where a connection
        streaming a result can run nothing else (MariaDB's), a batch of cases a query."""
        log = transitions.c
        wanted = ("case_id", "seq", "hash", "recorded_at")
        columns = [c for c in self._as_stored(transitions, verifying=True) if c.name in wanted]
        entries = (
            select(*columns)
            .join(cases, cases.c.case_id == log.case_id)
            .order_by(log.case_id, log.seq)
        )
        ids = select(cases.c.case_id).order_by(cases.c.case_id)
        if self.authority is not None:
            entries = entries.where(cases.c.authority == self.authority)
            ids = ids.where(cases.c.authority == self.authority)
        if not self._streams_alone():
            yield from _by_case(conn.execution_options(yield_per=streaming.FETCH).execute(entries))
            return
        low: str | None = None
        next_ids = ids.limit(_VERIFY_BATCH)
        while batch := conn.execute(next_ids.where(*_within(cases, low, None))).scalars().all():
            yield from _by_case(conn.execute(entries.where(*_within(transitions, low, batch[-1]))))
            low = batch[-1]

    def _anchored_notes(self, conn: Connection) -> dict[str, list[Row]]:
        """The redaction records of the cases a checkpoint holds, by case, each entry's in
        order."""
        query = (
            select(*self._as_stored(redactions, verifying=True))
            .join(cases, cases.c.case_id == redactions.c.case_id)
            .order_by(redactions.c.case_id, redactions.c.seq, redactions.c.number)
        )
        if self.authority is not None:
            query = query.where(cases.c.authority == self.authority)
        return _grouped(_dicts(conn.execute(query)))

    @guarded(_LIST_PAST_RETENTION)
    def past_retention(self, on: date) -> list[RetentionDue]:
        """The cases this store may show whose retention ended before `on`, by case id (not
        those `held_retention` names)."""
        arguments.day("past_retention", "on", on)
        with read_back(_LIST_PAST_RETENTION), self.engine.connect() as conn:
            return [
                RetentionDue(case_id, keep_until, self._data_left(conn, case_id))
                for case_id, keep_until in retention_module.past(
                    on, self.retention, self._heads(conn), self.protocols
                )
            ]

    @guarded(_LIST_UNDATED)
    def undated_retention(self) -> list[str]:
        """The cases this store may show whose retention cannot be dated (the date of birth,
        or what the policy's basis reads, was removed; or a case row has no `open` entry, its
        case id changed behind the store) and that still hold personal data."""
        with read_back(_LIST_UNDATED), self.engine.connect() as conn:
            return [
                case_id
                for case_id in retention_module.undated(
                    self.retention, self._heads(conn), self.protocols
                )
                if self._data_left(conn, case_id)
            ]

    @guarded(_LIST_HELD)
    def held_retention(self, on: date) -> list[RetentionHeld]:
        """The cases this store may show whose keep-until date is before `on` but that no
        retention run removes, and that still hold personal data, by case id, each with why:
        still running (not in a final stage), or kept until a day before it was opened (a
        mistyped date of birth). A person checks them."""
        arguments.day("held_retention", "on", on)
        with read_back(_LIST_HELD), self.engine.connect() as conn:
            return [
                held
                for held in retention_module.held(
                    on, self.retention, self._heads(conn), self.protocols
                )
                if self._data_left(conn, held.case_id)
            ]

    def _data_left(self, conn: Connection, case_id: str) -> bool:
        """Whether the case still holds personal data a retention run would remove (True for
        a row written behind the store, its case id too, or a case row and a log that do not
        pair: verify names it)."""
        try:
            entries = self._listed_entries(conn, case_id)
            with read_back(*_READ_CASE(case_id)):
                return bool(erasure.retention_targets(entries))
        except AlteredRow:
            return True

    def _listed_entries(self, conn: Connection, case_id: str) -> list[Row]:
        """The log of a case a retention listing found.

        Raises:
            AlteredRow: its case id is none the store writes (`retention.check_listed`), or its
                case row has no log or its log no case row (`retention.unpaired`).
        """
        retention_module.check_listed(case_id)
        with read_back(*_READ_CASE(case_id)):
            try:
                _, entries, _ = self._read(conn, case_id)
            except CaseNotFound:
                raise retention_module.unpaired(case_id) from None
        return entries

    def _heads(self, conn: Connection) -> list[retention_module.Head]:
        """Each case's id, its `open` entry, its last entry's date, its opening day and its
        stage; and each case row without an `open` entry, and each `open` entry without a case
        row (dated by its log), as unpaired (`Head.paired`): one outer join each way, and the
        last entries' dates of the unpaired `open` entries (none, but for rows written behind
        the store)."""
        query = select(
            transitions, cases.c.case_id.label("row_id"), cases.c.last_on, cases.c.opened_on
        )
        query = query.add_columns(cases.c.stage).outerjoin(
            cases, cases.c.case_id == transitions.c.case_id
        )
        query = query.where(transitions.c.seq == 1)
        no_open = (
            select(cases.c.case_id, cases.c.last_on, cases.c.opened_on, cases.c.stage)
            .outerjoin(
                transitions,
                (transitions.c.case_id == cases.c.case_id) & (transitions.c.seq == 1),
            )
            .where(transitions.c.case_id.is_(None))
        )
        if self.authority is not None:
            query = query.where((cases.c.authority == self.authority) | cases.c.case_id.is_(None))
            no_open = no_open.where(cases.c.authority == self.authority)
        heads = []
        lone: dict[str, dict[str, Any]] = {}
        for row in conn.execute(query).mappings():
            first = {key: value for key, value in row.items() if key in transitions.c}
            if row["row_id"] is None:
                lone[row["case_id"]] = first
                continue
            heads.append(
                retention_module.Head(
                    row["case_id"],
                    first,
                    as_date(row["last_on"]),
                    as_date(row["opened_on"]),
                    str(row["stage"]),
                )
            )
        heads.extend(
            retention_module.Head(
                row["case_id"],
                {},
                as_date(row["last_on"]),
                as_date(row["opened_on"]),
                str(row["stage"]),
                paired=False,
            )
            for row in conn.execute(no_open).mappings()
        )
        return heads + self._lone_heads(conn, lone)

    def _lone_heads(
        self, conn: Connection, lone: Mapping[str, Mapping[str, Any]]
    ) -> list[retention_module.Head]:
        """The `open` entries in `lone` (case id -> entry) that have no case row, this store's
        authority's by their history, dated by their log's first and last entries."""
        if not lone:
            return []
        last = select(transitions.c.case_id, func.max(transitions.c.on_date)).where(
            transitions.c.case_id.in_(sorted(lone))
        )
        last_on = {row[0]: row[1] for row in conn.execute(last.group_by(transitions.c.case_id))}
        return retention_module.unpaired_heads(
            [
                (case_id, first, last_on.get(case_id, first["on_date"]))
                for case_id, first in lone.items()
            ],
            self.authority,
            self.calendar,
            self.protocols,
        )

    @guarded(_LIST_PAST_RETENTION)  # its first read
    def apply_retention(self, on: date, *, by: Actor) -> RetentionRun:
        """Remove the personal data of every case past retention on `on` (see `redact`).

        Each case is one redaction of all its personal values, in its own transaction (so the
        values a rule compares go together, and a run stopped half way is simply run again);
        the chain, the stages, dates, deadlines, obligations, departures and the ledger stay.
        Returns the cases it redacted (a list), and in its `passed_over` each case listed whose
        redaction was refused (a row written behind the store, its case id too, an entry
        without a salt, a protocol not given), with why: the run does the rest. A case
        `held_retention` names is not listed, so never touched; a case another run (on
        another host, at the same time) finished after this one listed it is neither returned
        nor passed over. On SQLite the `-wal` file is
        then flushed as after `redact` (on the way out of a run an error or Ctrl-C stopped,
        without waiting long).

        Raises:
            FormInvalid: `on` is not a date, or after today: a run dated ahead would
                remove data still to be kept; or `by` is not an
                Actor (even with no case due); nothing was changed.
            UnknownProtocol: the policy keeps the protocol's years and a case's protocol was
                not given; names the case; nothing was changed. Under a policy of its own
                years such a case is listed by `past_retention` and passed over here (its
                redaction replays it): the rest are done, and it is once its protocol is given.
            StoreError: the database's schema is at another revision than the library's (not
                retryable); nothing was changed. Or the database failed.

        Warns:
            GuessableRedaction: for each case with entries written before schema revision 0011
                (as `redact`), once the whole run is done.
        """
        arguments.business_day("apply_retention", "on", on)
        arguments.actor("apply_retention", by)
        self._guard.look(_APPLY_RETENTION, writes=True)  # its guard looked as its first read
        done = RetentionRun()
        guessable: list[tuple[str, list[int]]] = []
        try:
            for due in self.past_retention(on):
                if not due.personal_data_left:
                    continue
                try:
                    with self.engine.connect() as conn:
                        entries = self._listed_entries(conn, due.case_id)
                    with read_back(*_READ_CASE(due.case_id)):
                        targets = erasure.retention_targets(entries)
                    _, seqs = self._redact(
                        due.case_id,
                        targets,
                        retention_module.REASON,
                        by=by,
                        on=on,
                        every_case=True,
                    )
                except retention_module.PASSED_OVER as error:
                    if isinstance(error, FormInvalid) and self._done_meanwhile(due.case_id):
                        continue  # another run (another host's) removed it all since listing
                    retention_module.pass_over(done, due, error)
                    continue
                done.append(due)
                if seqs:
                    guessable.append((due.case_id, seqs))
        except BaseException:
            if done:  # a run stopped half way flushes what it removed, too, but briefly
                self._flush_wal(patient=False)
            raise
        if done:
            self._flush_wal()
        for case_id, seqs in guessable:  # last: a caller may make them errors
            _warn_guessable(case_id, seqs)
        return done

    def _done_meanwhile(self, case_id: str) -> bool:
        """Whether a case a retention run listed, whose redaction was refused as bad input,
        holds no personal data any more: another run, started at the same time (the nightly
        routine on two hosts), removed it since the listing, and this run neither redacted it
        nor may name it as refused."""
        with read_back(*_READ_CASE(case_id)), self.engine.connect() as conn:
            return not self._data_left(conn, case_id)

    @guarded(_VERIFY)
    def verify(
        self,
        checkpoint: Checkpoint | None = None,
        public_key: bytes | str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        workers: int = 1,
    ) -> list[Problem]:
        """Check every chain, digest, redaction, case row (its state too), open item and ledger
        entry, and replay every case; with a checkpoint, also that every case it holds still
        extends it (and, with `public_key`, the checkpoint's signature).

        Returns the problems found, empty when the store is sound. A scoped store checks its
        authority's cases: those whose case row or history names it.

        The log is read by one ordered, streaming query (on MariaDB, one query a batch), and
        the other rows a range of case ids at a time (500 cases' worth), so memory holds a batch
        of cases, not the store. After each batch, `progress` (if given) is called with the
        cases and the log entries checked so far. Writers may save meanwhile: every row is read
        in one transaction that sees one moment of the database, so a case saved while it runs
        is checked as it stood before.

        `workers` > 1 checks ranges of whole batches side by side in that many processes, each
        opening the database again by the engine's URL (password included) on its own
        connection, and holding a batch in memory; the problems are the same, in the same order,
        and `progress` is called as each range finishes. An in-memory SQLite database, which no
        other process can open, a store of one batch, and a store on an engine the caller made
        (which may need more than its URL to reach the same database: `connect_args`, a
        `creator`) are checked in this process.

        Raises:
            FormInvalid: `workers` is not a whole number of 1 or more, `checkpoint` is not a
                `Checkpoint`, `progress` cannot be called, or a `public_key` is given without a
                checkpoint.
            StoreError: the database failed, here or in a worker; or its schema is at an older
                revision than the library's (`upgrade()` first: its rows would all differ).
        """
        parallel.check_workers(workers)
        arguments.verifying(checkpoint, progress, public_key)
        with converted(_VERIFY), self.engine.connect() as conn:
            migrate.refuse_behind(conn, _VERIFY)
        checking = self._audit(checkpoint)
        batch = _VERIFY_BATCH
        spans = self._verify_spans(workers, batch) if workers > 1 else [(None, None)]
        if len(spans) == 1:
            with converted(_VERIFY):
                found = self._verify_span(checking, (None, None), batch, progress)
            return found + self._left_redacting() + checking.finish(public_key)

        def done(tally: audit.Tally) -> None:
            checking.add(tally)
            if progress is not None:
                progress(checking.cases, checking.transitions)

        work = functools.partial(_verify_part, self._reopening(), checkpoint, batch)
        tallies = parallel.spread(work, spans, workers, done, _VERIFY)
        found = [problem for tally in tallies for problem in tally.problems]
        if progress is not None:
            progress(checking.cases, checking.transitions)
        return found + self._left_redacting() + checking.finish(public_key)

    @guarded(_VERIFY)
    def unguarded(self) -> list[Problem]:
        """The problems of a log whose guards are not as the store made them, with the case id
        `(store)`: a trigger that keeps it append-only missing or disabled (restored from a
        dump taken without triggers, or one dropped behind the store), or, on PostgreSQL, their
        functions looking for its tables in another schema (the store's renamed since); empty
        when every guard is there and finds its tables.

        `verify()` checks what the log holds; this, that nothing can change it unseen from now
        on, and that saves can guard it. `upgrade()` (`db upgrade`) makes the guards again.

        Raises:
            StoreError: the database failed.
        """
        with converted(_VERIFY), self.engine.connect() as conn:
            missing = missing_guards(conn)
            elsewhere = pinned_elsewhere(conn)
        problems = []
        if missing:
            problems.append(
                Problem(
                    STORE,
                    None,
                    f"the log is not guarded: the database lacks, or has disabled, "
                    f"{', '.join(missing)} (dropped, or left out of a restore), so its entries "
                    "can be changed or removed unseen from now on; `db upgrade` makes them again",
                )
            )
        if elsewhere:
            problems.append(
                Problem(
                    STORE,
                    None,
                    f"the log's guards look for its tables in another schema: "
                    f"{', '.join(elsewhere)} (the store's schema renamed since they were made), "
                    "so every save fails; `db upgrade` makes them again",
                )
            )
        return problems

    def _left_redacting(self) -> list[Problem]:
        """The entries `rfsm_redacting` names outside a redaction (a write behind the store:
        it lifts the guard on their data and actor columns), of the cases the store may show."""
        query = select(redacting.c.case_id, redacting.c.seq).order_by(
            redacting.c.case_id, redacting.c.seq
        )
        if self.authority is not None:
            query = query.join(cases, cases.c.case_id == redacting.c.case_id).where(
                cases.c.authority == self.authority
            )
        with converted(_VERIFY), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Problem(case_id, seq, audit.left_redacting("the entry")) for case_id, seq in rows]

    def _audit(self, checkpoint: Checkpoint | None) -> audit.Audit:
        return audit.Audit(
            scope=self.authority,
            calendar=self.calendar,
            protocols=self.protocols,
            checkpoint=checkpoint,
        )

    def _verify_span(
        self,
        checking: audit.Audit,
        span: parallel.Span,
        batch: int,
        progress: Callable[[int, int], None] | None,
    ) -> list[Problem]:
        """Check the cases of `span`, `batch` logged cases at a time.

        Every row is read in one transaction that sees one moment of the database (on
        PostgreSQL and MariaDB, at REPEATABLE READ; SQLite's streaming read holds its snapshot
        for the connection's other reads), so that a case saved meanwhile is checked as it
        stood before that save, its log and its case row alike, never half of each.
        """
        low, high = span
        found: list[Problem] = []
        with self.engine.connect() as conn:
            if self._dialect != "sqlite":
                conn.execution_options(isolation_level="REPEATABLE READ")
            logs = self._log_batches(conn, low, high, batch)
            while part := list(itertools.islice(logs, batch)):
                last = part[-1][0]
                found += self._verify_range(conn, checking, low, last, part)
                low = last
                if progress is not None:
                    progress(checking.cases, checking.transitions)
            found += self._verify_range(conn, checking, low, high, [])
            if progress is not None:
                progress(checking.cases, checking.transitions)
        return found

    def _log_batches(
        self, conn: Connection, low: str | None, high: str | None, batch: int
    ) -> Iterator[tuple[str, list[Row]]]:
        """Each logged case's id and log entries, ordered by case id, after `low` up to `high`:
        streamed by one query, or, where a connection streaming a result can run nothing else
        (MariaDB's), `batch` cases at a time, each batch by a query of its own on `conn`."""
        log = transitions.c
        entries = select(*self._as_stored(transitions, verifying=True)).order_by(
            log.case_id, log.seq
        )
        if not self._streams_alone():
            streamed = conn.execution_options(yield_per=streaming.FETCH)
            yield from _by_case(streamed.execute(entries.where(*_within(transitions, low, high))))
            return
        ids = select(log.case_id).distinct().order_by(log.case_id).limit(batch)
        while found := conn.execute(ids.where(*_within(transitions, low, high))).scalars().all():
            last = found[-1]
            yield from _by_case(conn.execute(entries.where(*_within(transitions, low, last))))
            low = last

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

    def _verify_spans(self, workers: int, batch: int) -> list[parallel.Span]:
        """Ranges of whole batches of logged cases (so that each range's batches are the serial
        run's, and its problems come in the same order), about as many batches each, at most
        `SPANS_PER_WORKER` per worker; one range when the store cannot be opened again: an
        in-memory SQLite database, or an engine the caller made, which may need more than its
        URL to reach the same database (`connect_args`, a `creator`, a `search_path`)."""
        if not self._owns_engine or (
            self._dialect == "sqlite" and sqlite.in_memory(self.engine.url)
        ):
            return [(None, None)]
        query = select(transitions.c.case_id).distinct().order_by(transitions.c.case_id)
        ends: list[str] = []  # the last case id of each batch but the last
        last = None
        with converted(_VERIFY), self.engine.connect() as conn:
            ids = conn.execution_options(yield_per=streaming.FETCH).execute(query).scalars()
            for number, last in enumerate(ids, start=1):
                if number % batch == 0:
                    ends.append(last)
        if ends and ends[-1] == last:
            ends.pop()
        batches = len(ends) + 1
        parts = min(batches, workers * parallel.SPANS_PER_WORKER)
        bounds: list[str | None] = [ends[batches * n // parts - 1] for n in range(1, parts)]
        return list(zip([None, *bounds], [*bounds, None], strict=True))

    def _reopening(self) -> _Reopening:
        return _Reopening(
            self.engine.url.render_as_string(hide_password=False),
            self.authority,
            self.calendar,
            self.protocols,
            self._durable,
            self._busy_timeout,
        )

    def _verify_range(
        self,
        conn: Connection,
        checking: audit.Audit,
        low: str | None,
        high: str | None,
        logs: list[tuple[str, list[Row]]],
    ) -> list[Problem]:
        """Check the cases with ids after `low` up to `high` (None: no bound)."""

        def within(table: Table) -> list[Any]:
            return _within(table, low, high)

        def read(table: Table) -> Select[Any]:
            return select(*self._as_stored(table, verifying=True)).where(*within(table))

        if checking.kept is None:  # (in the snapshot the log is read in: once begun)
            kept = (opened.Opened(*row) for row in conn.execute(select(*_KEPT)))
            checking.kept = {protocol.key: protocol for protocol in kept}
        case_rows = {row["case_id"]: row for row in _dicts(conn.execute(read(cases)))}
        items = _grouped(_dicts(conn.execute(read(open_items))))
        ledger = _grouped(_dicts(conn.execute(read(weightings))))
        notes: dict[str, list[Row]] = _grouped(
            _dicts(
                conn.execute(
                    read(redactions).order_by(
                        redactions.c.case_id, redactions.c.seq, redactions.c.number
                    )
                )
            )
        )
        return checking.batch(case_rows, logs, items, ledger, notes)


@attrs.frozen
class _Reopening:
    """What a worker process needs to open the store again (the URL holds the password: kept
    out of the repr)."""

    url: str = attrs.field(repr=False)
    authority: str | None
    calendar: SchoolCalendar | None
    protocols: tuple[Protocol, ...]
    durable: bool
    busy_timeout: float

    def store(self) -> SqlAlchemyStore:
        return SqlAlchemyStore(
            self.url,
            authority=self.authority,
            calendar=self.calendar,
            protocols=self.protocols,
            durable=self.durable,
            busy_timeout=self.busy_timeout,
        )


def _verify_part(
    reopening: _Reopening, checkpoint: Checkpoint | None, batch: int, span: parallel.Span
) -> audit.Tally | parallel.Failed:
    """`verify()` of one range of case ids, in a worker process."""
    try:
        with converted(_VERIFY):
            store = reopening.store()
            try:
                checking = store._audit(checkpoint)
                return checking.tally(store._verify_span(checking, span, batch, None))
            finally:
                store.close()
    except StoreError as error:
        return parallel.Failed.of(error)


def _within(table: Table, low: str | None, high: str | None) -> list[Any]:
    """The conditions on `table`'s case ids after `low` up to `high` (None: no bound)."""
    bounds = []
    if low is not None:
        bounds.append(table.c.case_id > low)
    if high is not None:
        bounds.append(table.c.case_id <= high)
    return bounds


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

    def __init__(self, store: SqlAlchemyStore, streaming: Connection) -> None:
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


def _on_cursor(cursor: Any, ran: list[str]) -> Run:
    """`Run` on a driver's cursor, noting each statement's text in `ran`."""

    def run(text: str, params: Any) -> Any:
        ran.append(text)
        if isinstance(params, list):
            return cursor.executemany(text, params)
        return cursor.execute(text, params)

    return run


_UPDATE_DATED = tuple(f"b_{name}" for name in CHANGING if name in bulk.DATED[cases.name])
"""The optimistic UPDATE's date parameters."""


def _update_parameters(prepared: bulk.Prepared, seen: Held) -> Row:
    """The optimistic UPDATE's parameters: the changing columns, and the version, hash,
    authority and count of redaction records the case must still have (as `seen`)."""
    row = prepared.case_row
    params = {f"b_{name}": row[name] for name in CHANGING}
    params |= {
        "b_case_id": row["case_id"],
        "b_expected": seen.version,
        "b_expected_hash": seen.last_hash,
        "b_authority": seen.authority,
        "b_redactions": seen.redactions,
    }
    return params


def _changed_items(
    items: Sequence[Row], before: Mapping[int, tuple[Any, ...]]
) -> tuple[list[Row], list[int]]:
    """Of a case's open items now, those to insert, and the numbers of those to delete, given
    the item keys the store held (`before`, by number)."""
    keys = [item_key(item) for item in items]
    now, was = set(keys), set(before.values())
    gone = [number for number, key in before.items() if key not in now]
    return [item for item, key in zip(items, keys, strict=True) if key not in was], gone


def _warn_guessable(case_id: str, seqs: Sequence[int]) -> None:
    """Warn the caller of `redact()` or `apply_retention()` (whose line the warning names)
    that values were removed from `seqs`, entries written before schema revision 0011."""
    if seqs:
        warnings.warn(GuessableRedaction(case_id, seqs), stacklevel=4)


def _held(
    version: int, prepared: bulk.Prepared, authority: str, redactions: int, latest: Any
) -> Held:
    """What the store holds once `prepared` is written after entries stamped at the `latest`:
    its last hash, open items and latest stamp."""
    return Held(
        version,
        prepared.case_row["last_hash"],
        authority,
        _item_keys(prepared.items),
        redactions,
        latest_stamp(latest, _stamps(prepared.entries)),
    )


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


def _dicts(result: Result[Any]) -> Iterator[Row]:
    """Each row of `result` as a dict of its columns (`verify()` reads every row of the store:
    zipping each with the column names, read once, is several times faster than `dict()` of
    a `RowMapping`)."""
    keys = list(result.keys())
    return (dict(zip(keys, row, strict=True)) for row in result)


def _by_case(result: Result[Any]) -> Iterator[tuple[str, list[Row]]]:
    """Each case id of `result` (ordered by case id) with its rows, as dicts."""
    for case_id, group in itertools.groupby(_dicts(result), key=operator.itemgetter("case_id")):
        yield case_id, list(group)


def _grouped(rows: Iterator[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["case_id"], []).append(row)
    return grouped


@contextlib.contextmanager
def _not_waiting(case_id: str, version: int, unseen: bool = False) -> Iterator[None]:
    """Turn the database's refusal of a row lock taken without waiting into `ConcurrentUpdate`:
    another writer is saving the case right now (`version`: what this store saw of it)."""
    try:
        yield
    except DBAPIError as error:
        if _lock_not_available(error):
            raise saving_now(case_id, version, unseen) from error
        raise


def _lock_not_available(error: DBAPIError) -> bool:
    """True when the driver refused a NOWAIT lock (PostgreSQL 55P03, MariaDB 1205/3572)."""
    original = error.orig
    if getattr(original, "sqlstate", None) == "55P03":
        return True
    args: tuple[object, ...] = tuple(getattr(original, "args", ()))
    return bool(args) and args[0] in (1205, 3572)
