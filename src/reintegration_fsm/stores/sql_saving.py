"""`SqlAlchemyStore.save`: one short transaction per save, its hot statements run as the
driver's own text (on SQLite and PostgreSQL past SQLAlchemy's Connection), a case the store has
seen saved without reading its stored history."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.exc import DBAPIError

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import ConcurrentUpdate, StoreError
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import arguments, at_once, bulk, mariadb, opened
from reintegration_fsm.stores.clocks import latest_stamp, refuse_saving_behind, utc_now
from reintegration_fsm.stores.failures import converted, unique_violation
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.holding import BEHIND, Held, held, refuse_unchained, saving_now
from reintegration_fsm.stores.refusals import (
    filed_under,
    refuse_other_authority,
    refuse_unknown_protocol,
)
from reintegration_fsm.stores.rows import CHANGING, Row, item_key
from reintegration_fsm.stores.schema import cases, open_items, protocols, transitions, weightings
from reintegration_fsm.stores.sql_shared import (
    _KEPT,
    _SAVE_CASE,
    Run,
    SqlShared,
    _item_keys,
    _stamps,
)

_NAMING_LOCK = int.from_bytes(
    hashlib.sha256(b"reintegration_fsm rfsm_protocols").digest()[:8], "big", signed=True
)
"""The PostgreSQL advisory lock a transaction keeping a new protocol for an authority holds
until it ends, so that two authorities' first cases under one name are compared in turn."""


class SqlSaving(SqlShared):
    """`save` of `SqlAlchemyStore`, and the checks and writes `import_histories` shares."""

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
