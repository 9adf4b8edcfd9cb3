"""`SqlAlchemyStore`'s checks of its evidence: `verify` (in worker processes too), `unguarded`,
and `checkpoint`, which anchors what `verify` checks and checks an earlier checkpoint as it does."""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, Result, Select, Table, func, select

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import StoreError
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.stores import arguments, audit, migrate, opened, parallel, sqlite, streaming
from reintegration_fsm.stores.checkpoints import Checkpoint, CheckpointRefused, redaction_heads
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.failures import converted, read_back
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.model import Problem
from reintegration_fsm.stores.rows import Row
from reintegration_fsm.stores.schema import (
    cases,
    missing_guards,
    open_items,
    pinned_elsewhere,
    redacting,
    redactions,
    transitions,
    weightings,
)
from reintegration_fsm.stores.sql_shared import (
    _KEPT,
    _TAKE_CHECKPOINT,
    _VERIFY,
    STORE,
    SqlShared,
    set_up,
)

if TYPE_CHECKING:
    from reintegration_fsm.stores.sql import SqlAlchemyStore

_VERIFY_BATCH = 500
"""Cases `verify()` checks per range of case ids."""


class SqlVerifying(SqlShared):
    """`checkpoint`, `verify` and `unguarded` of `SqlAlchemyStore`."""

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
                set_up(conn, isolation_level="REPEATABLE READ")
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
            FormInvalid: `workers` is not a whole number from 1 to 32 (`parallel.MAX_WORKERS`),
                `checkpoint` is not a `Checkpoint`, `progress` cannot be called, or a
                `public_key` is given without a checkpoint.
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
                set_up(conn, isolation_level="REPEATABLE READ")
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
        from reintegration_fsm.stores.sql import SqlAlchemyStore  # (made of SqlVerifying)

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
