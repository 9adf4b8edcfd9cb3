"""`SqlAlchemyStore`: cases in SQLite, PostgreSQL or MariaDB through SQLAlchemy Core.

The write path runs on Core statements built once per store: one short transaction per save
that bumps the case row's version only if it is still the one the case was loaded at.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    String,
    bindparam,
    create_engine,
    delete,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CaseNotFound, ConcurrentUpdate
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import bulk, migrate, schema, sqlite
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.model import KINDS, PARTIES, DueItem, Problem
from reintegration_fsm.stores.rows import (
    Row,
    check_case,
    log_rows,
    next_due,
    open_item_rows,
    refuse_other_authority,
    transition_from_row,
    utc_now,
)
from reintegration_fsm.stores.schema import cases, open_items, redactions, transitions

_HASH_CACHE_LIMIT = 100_000


class SqlAlchemyStore:
    """Cases in a SQL database (SQLite, PostgreSQL or MariaDB/MySQL).

    Args:
        url_or_engine: a database URL or an `Engine`.
        authority: confine every read and write to this local authority's cases.
        calendar: the school calendar given to loaded cases.
        durable: on SQLite, fsync every commit (`synchronous=FULL`); False trades the last
            commits on power loss for speed (`synchronous=NORMAL`). WAL mode either way.
        busy_timeout: on SQLite, seconds a writer waits for the write lock.
    """

    def __init__(
        self,
        url_or_engine: str | Engine,
        authority: str | None = None,
        calendar: SchoolCalendar | None = None,
        *,
        durable: bool = True,
        busy_timeout: float = 5.0,
    ) -> None:
        owned = not isinstance(url_or_engine, Engine)
        engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self.engine: Engine = engine
        self.authority = authority
        self.calendar = calendar
        self._owns_engine = owned
        self._dialect = engine.dialect.name
        self._writer: Engine = engine
        if self._dialect == "sqlite":
            sqlite.configure(engine, durable=durable, busy_timeout=busy_timeout)
            self._writer = engine.execution_options(**{sqlite.WRITE: "IMMEDIATE"})
        self._hashes: dict[str, tuple[int, str]] = {}
        self._saved: weakref.WeakKeyDictionary[Reintegration, int] = weakref.WeakKeyDictionary()
        self._build_statements()

    def _build_statements(self) -> None:
        case_id: BindParameter[str] = bindparam("b_case_id")
        self._insert_case = insert(cases)
        self._update_case = (
            update(cases)
            .where(cases.c.case_id == case_id, cases.c.version == bindparam("b_expected"))
            .values(
                version=bindparam("b_version"),
                stage=bindparam("b_stage"),
                next_due=bindparam("b_next_due"),
                last_hash=bindparam("b_last_hash"),
            )
        )
        self._insert_log = insert(transitions)
        self._delete_items = delete(open_items).where(open_items.c.case_id == case_id)
        self._insert_items = insert(open_items)
        self._select_case = select(cases).where(cases.c.case_id == case_id)
        # PostgreSQL and MariaDB: a writer that meets another one mid-save of the same case
        # fails at once instead of queueing behind its commit (see `save`).
        self._lock_case = (
            select(cases.c.version).where(cases.c.case_id == case_id).with_for_update(nowait=True)
        )
        self._select_log = (
            select(transitions).where(transitions.c.case_id == case_id).order_by(transitions.c.seq)
        )
        self._select_hash = select(transitions.c.hash).where(
            transitions.c.case_id == case_id, transitions.c.seq == bindparam("b_seq")
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
        dated = select(*columns).where(open_items.c.due <= bindparam("b_on"))
        undated = select(*columns).where(open_items.c.due.is_(None))
        if self.authority is not None:
            scope = open_items.c.authority == self.authority
            dated, undated = dated.where(scope), undated.where(scope)
        self._select_dated = dated.order_by(
            open_items.c.due, open_items.c.case_id, open_items.c.item_no
        )
        self._select_undated = undated.order_by(open_items.c.case_id, open_items.c.item_no)

    def for_authority(self, authority: str) -> SqlAlchemyStore:
        """A store on the same engine confined to one local authority's cases."""
        return SqlAlchemyStore(self.engine, authority, self.calendar)

    # -- schema --------------------------------------------------------------------------------
    def create_schema(self) -> None:
        """Create the tables, indexes and append-only triggers that are missing (idempotent).

        A database built this way is stamped with the newest migration, so `upgrade()` applies
        only the migrations that come later.
        """
        with self.engine.begin() as conn:
            schema.metadata.create_all(conn)
            for statement in schema.trigger_statements(self._dialect):
                conn.exec_driver_sql(statement)
            migrate.stamp_if_unversioned(conn)

    def close(self) -> None:
        """Release the store's connections (disposes the engine only if the store made it)."""
        if self._owns_engine:
            self.engine.dispose()

    # -- writing -------------------------------------------------------------------------------
    def _prev_hash(self, case_id: str, version: int) -> str:
        cached = self._hashes.get(case_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self.engine.connect() as conn:
            found = conn.execute(self._select_hash, {"b_case_id": case_id, "b_seq": version})
            value = found.scalar()
        # No such entry: the case row cannot be at `version` either, so the save will fail.
        return GENESIS if value is None else str(value)

    def _remember(self, case_id: str, version: int, last_hash: str) -> None:
        if len(self._hashes) >= _HASH_CACHE_LIMIT:
            self._hashes.clear()
        self._hashes[case_id] = (version, last_hash)

    def save(self, case: Reintegration) -> None:
        """Append the case's unsaved transitions and update its projections, atomically.

        Raises:
            NotPermitted: the case belongs to another authority than the store's.
            ConcurrentUpdate: another writer saved the case first (or a new case's id is
                taken); nothing was written.
        """
        start = self._saved.get(case, 0)
        new = case.history[start:]
        if not new:
            return
        refuse_other_authority(self.authority, case)
        case_id = case.case_id
        prev = self._prev_hash(case_id, start) if start else GENESIS
        entries = log_rows(case_id, new, prev, utc_now())
        items = open_item_rows(case)
        last_hash = entries[-1]["hash"]
        try:
            with self._writer.begin() as conn:
                if start == 0:
                    conn.execute(
                        self._insert_case,
                        {
                            "case_id": case_id,
                            "authority": case.local_authority,
                            "stage": case.stage.value,
                            "version": case.version,
                            "next_due": next_due(items),
                            "last_hash": last_hash,
                        },
                    )
                else:
                    if self._dialect != "sqlite":  # SQLite's BEGIN IMMEDIATE already serialises
                        self._lock_or_fail(conn, case_id, start)
                    result = conn.execute(
                        self._update_case,
                        {
                            "b_case_id": case_id,
                            "b_expected": start,
                            "b_version": case.version,
                            "b_stage": case.stage.value,
                            "b_next_due": next_due(items),
                            "b_last_hash": last_hash,
                        },
                    )
                    if result.rowcount != 1:
                        found = conn.execute(self._select_case, {"b_case_id": case_id}).first()
                        visible = found is not None and self._visible(found.authority)
                        raise ConcurrentUpdate(
                            case_id, start, int(found.version) if visible and found else None
                        )
                    conn.execute(self._delete_items, {"b_case_id": case_id})
                conn.execute(self._insert_log, entries if len(entries) > 1 else entries[0])
                if items:
                    conn.execute(self._insert_items, items)
        except IntegrityError as error:
            raise ConcurrentUpdate(case_id, start, self._found_version(case_id)) from error
        self._remember(case_id, case.version, last_hash)
        self._saved[case] = case.version

    def _lock_or_fail(self, conn: Connection, case_id: str, expected: int) -> None:
        """Lock the case row, or raise `ConcurrentUpdate` at once if another writer holds it.

        The holder is saving the same case right now and will have appended first; waiting for
        its commit only to learn that costs the loser the winner's whole commit time.
        """
        try:
            conn.execute(self._lock_case, {"b_case_id": case_id})
        except DBAPIError as error:
            if _lock_not_available(error):
                raise ConcurrentUpdate(case_id, expected, None) from error
            raise

    def _found_version(self, case_id: str) -> int | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._select_case, {"b_case_id": case_id}).first()
        if row is None or not self._visible(row.authority):
            return None
        return int(row.version)

    def _visible(self, authority: str) -> bool:
        return self.authority is None or authority == self.authority

    def import_histories(
        self,
        histories: Iterable[tuple[str, Sequence[Transition]]],
        *,
        batch_size: int = 2000,
        use_copy: bool | None = None,
    ) -> int:
        """Import whole case histories from another system, in batched transactions.

        Each history is replayed (so a bad one is refused before anything of its batch is
        written) and hashed like a save. PostgreSQL uses COPY unless `use_copy` is False;
        other engines use executemany. Returns the number of transitions imported.

        Raises:
            NotPermitted: a history belongs to another authority than the store's.
            FormInvalid, IllegalTransition: a history does not replay, or its authority differs.
            ConcurrentUpdate: one of a batch's case ids is already stored; that batch is not
                written (earlier batches are).
        """
        copy = self._dialect == "postgresql" if use_copy is None else use_copy
        count = 0
        batch: list[bulk.Prepared] = []
        for authority, history in histories:
            prepared = bulk.prepare(authority, history, self.calendar)
            refuse_other_authority(self.authority, prepared.case)
            batch.append(prepared)
            count += len(history)
            if len(batch) >= batch_size:
                self._import_batch(batch, copy)
                batch = []
        if batch:
            self._import_batch(batch, copy)
        return count

    def _import_batch(self, batch: Sequence[bulk.Prepared], copy: bool) -> None:
        try:
            with self._writer.begin() as conn:
                if copy:
                    bulk.copy_rows(conn, batch)
                else:
                    bulk.insert_rows(conn, batch)
        except IntegrityError as error:
            raise ConcurrentUpdate(batch[0].case.case_id, 0, None) from error
        for prepared in batch:
            self._remember(prepared.case.case_id, prepared.case.version, prepared.last_hash)

    # -- reading -------------------------------------------------------------------------------
    def _read(self, conn: Connection, case_id: str) -> list[Row]:
        row = conn.execute(self._select_case, {"b_case_id": case_id}).first()
        if row is None or not self._visible(row.authority):
            raise CaseNotFound(case_id)
        entries = conn.execute(self._select_log, {"b_case_id": case_id}).mappings().all()
        if not entries:
            raise CaseNotFound(case_id)
        return [dict(entry) for entry in entries]

    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` already used by a case of any authority (ids are store-wide).

        A new case with a taken id cannot be saved, whichever authority the store serves.
        """
        wanted = list(dict.fromkeys(case_ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(cases.c.case_id).where(cases.c.case_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def history(self, case_id: str) -> tuple[Transition, ...]:
        """The case's transitions, oldest first.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
        """
        with self.engine.connect() as conn:
            entries = self._read(conn, case_id)
        return tuple(transition_from_row(entry) for entry in entries)

    def load(self, case_id: str) -> Reintegration:
        """The case, rebuilt by replaying its log with the store's calendar.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
        """
        with self.engine.connect() as conn:
            entries = self._read(conn, case_id)
        case = Reintegration.replay(
            (transition_from_row(entry) for entry in entries), self.calendar
        )
        self._saved[case] = case.version
        self._remember(case_id, case.version, entries[-1]["hash"])
        return case

    def due(self, on: date) -> list[DueItem]:
        """Every unmet deadline and open obligation due on or before `on`, soonest first.

        Open obligations without a due date come last. Read from the open-items index.
        """
        with self.engine.connect() as conn:
            dated = conn.execute(self._select_dated, {"b_on": on}).all()
            undated = conn.execute(self._select_undated).all()
        parse = date.fromisoformat
        return [
            DueItem(
                case_id, KINDS[kind], parse(due) if type(due) is str else due, item, PARTIES[owner]
            )
            for case_id, kind, due, item, owner in itertools.chain(dated, undated)
        ]

    def verify(self) -> list[Problem]:
        """Check every chain, digest, case row and open item, and replay every case.

        Returns the problems found, empty when the store is sound.
        """
        case_query = select(cases)
        item_query = select(open_items)
        log_query = select(transitions).order_by(transitions.c.case_id, transitions.c.seq)
        if self.authority is not None:
            case_query = case_query.where(cases.c.authority == self.authority)
            item_query = item_query.where(open_items.c.authority == self.authority)
        problems: list[Problem] = []
        with self.engine.connect() as conn:
            case_rows = {row["case_id"]: dict(row) for row in conn.execute(case_query).mappings()}
            items: dict[str, list[Row]] = {}
            for item in conn.execute(item_query).mappings():
                items.setdefault(item["case_id"], []).append(dict(item))
            redacted: dict[str, dict[int, Row]] = {}
            for redaction in conn.execute(select(redactions)).mappings():
                redacted.setdefault(redaction["case_id"], {})[redaction["seq"]] = dict(redaction)
            log = conn.execution_options(yield_per=1000).execute(log_query).mappings()
            seen = set()
            for case_id, group in itertools.groupby(log, key=lambda row: row["case_id"]):
                case_row = case_rows.get(case_id)
                if case_row is None and self.authority is not None:
                    continue  # another authority's case, or an orphan this store may not see
                seen.add(case_id)
                entries = [dict(entry) for entry in group]
                problems += check_case(
                    case_id,
                    case_row,
                    entries,
                    self.calendar,
                    items.get(case_id, []),
                    redacted.get(case_id, {}),
                )
        for case_id in case_rows.keys() - seen:
            problems += check_case(case_id, case_rows[case_id], [], self.calendar)
        return problems


def _lock_not_available(error: DBAPIError) -> bool:
    """True when the driver refused a NOWAIT lock (PostgreSQL 55P03, MariaDB 1205/3572)."""
    original = error.orig
    if getattr(original, "sqlstate", None) == "55P03":
        return True
    args: tuple[object, ...] = tuple(getattr(original, "args", ()))
    return bool(args) and args[0] in (1205, 3572)
