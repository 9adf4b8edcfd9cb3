"""`SqlAlchemyStore`'s retention: the cases past, undated or held from retention, and the run
that redacts the personal data of those past it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from reintegration_fsm.errors import AlteredRow, CaseNotFound, FormInvalid
from reintegration_fsm.stores import arguments, erasure
from reintegration_fsm.stores import retention as retention_module
from reintegration_fsm.stores.failures import read_back
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.retention import RetentionDue, RetentionHeld, RetentionRun
from reintegration_fsm.stores.rows import Row, as_date
from reintegration_fsm.stores.schema import cases, transitions
from reintegration_fsm.stores.sql_redacting import SqlRedacting, _warn_guessable
from reintegration_fsm.stores.sql_shared import (
    _APPLY_RETENTION,
    _LIST_HELD,
    _LIST_PAST_RETENTION,
    _LIST_UNDATED,
    _READ_CASE,
)
from reintegration_fsm.vocabulary import Actor


class SqlRetention(SqlRedacting):
    """`past_retention`, `undated_retention`, `held_retention` and `apply_retention` of
    `SqlAlchemyStore`: a retention run is one redaction of each case due (`SqlRedacting`)."""

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
