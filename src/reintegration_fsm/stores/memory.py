"""`InMemoryStore`: the reference store, keeping the same rows as the SQL store in dicts."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import AlteredRow, CaseNotFound
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.records import Transition
from reintegration_fsm.rules import at_school
from reintegration_fsm.stores import arguments, audit, bulk, erasure, opened
from reintegration_fsm.stores import retention as retention_module
from reintegration_fsm.stores.as_of import check_as_of
from reintegration_fsm.stores.checkpoints import Checkpoint, CheckpointRefused, redaction_heads
from reintegration_fsm.stores.clocks import entered_at, latest_stamp, refuse_saving_behind, utc_now
from reintegration_fsm.stores.entries import transitions_from_rows
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.holding import (
    already_stored,
    held,
    imported_before,
    refuse_unchained,
)
from reintegration_fsm.stores.listings import (
    as_stage,
    binds_on,
    due_item,
    due_order,
    found_by,
    ledger_entry,
    ledger_order,
    summary,
    weighting_totals,
)
from reintegration_fsm.stores.model import CaseSummary, DueItem, LedgerEntry, Problem
from reintegration_fsm.stores.redaction import RedactionNote, note_from_row
from reintegration_fsm.stores.refusals import (
    check_scope,
    check_view,
    filed_under,
    refuse_other_authority,
    refuse_unknown_protocol,
)
from reintegration_fsm.stores.retention import (
    RetentionDue,
    RetentionHeld,
    RetentionPolicy,
    RetentionRun,
)
from reintegration_fsm.stores.rows import CHANGING, Row, as_date, succeeded_in
from reintegration_fsm.vocabulary import Actor, Stage


class InMemoryStore:
    """Cases kept in memory, with the same semantics as `SqlAlchemyStore`.

    The store holds JSON text, not the caller's objects: changing a case after saving it
    changes nothing here until it is saved again.

    Args:
        authority: confine every read and write to this local authority's cases.
        calendar: the school calendar given to loaded cases.
        protocols: the protocols a stored history may name besides `WORCESTERSHIRE`.
        retention: how long personal data is kept: a `RetentionPolicy`, a number of years
            after the child's date of birth, or None for the protocol's `retention_years`.
    """

    def __init__(
        self,
        *,
        authority: str | None = None,
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Protocol] = (),
        retention: RetentionPolicy | int | None = None,
    ) -> None:
        check_scope(authority)
        arguments.calendar(calendar)
        self._authority = authority
        self.calendar = calendar
        self.protocols: tuple[Protocol, ...] = arguments.protocols(protocols)
        self.retention = retention_module.as_policy(retention)
        self._cases: dict[str, Row] = {}
        self._log: dict[str, list[Row]] = {}
        self._redactions: dict[str, dict[int, list[Row]]] = {}
        self._items: dict[str, list[Row]] = {}
        self._ledger: dict[str, list[Row]] = {}
        self._lock = threading.Lock()
        self._opened: dict[opened.Key, opened.Opened] = {}
        """What `rfsm_protocols` keeps in a SQL store: the first case's rules under each
        protocol `(id, version)`."""

    @property
    def authority(self) -> str | None:
        """The local authority whose cases alone this store reads and writes (None: every one's).

        Read-only: a store's queries are scoped when it is made, so a reassigned authority would
        have scoped some answers and not others. `for_authority` makes a view of one authority.
        """
        return self._authority

    def for_authority(self, authority: str) -> InMemoryStore:
        """A view of the same cases confined to one local authority's.

        Raises:
            FormInvalid: `authority` is None or no authority's name (blank, say).
            NotPermitted: this store is scoped to another authority (a scope only narrows).
        """
        check_view(self._authority, authority)
        view = InMemoryStore(
            authority=authority,
            calendar=self.calendar,
            protocols=self.protocols,
            retention=self.retention,
        )
        view._cases, view._log, view._items, view._ledger = (
            self._cases,
            self._log,
            self._items,
            self._ledger,
        )
        view._redactions, view._lock, view._opened = self._redactions, self._lock, self._opened
        return view

    def _visible(self, case_id: str) -> Row | None:
        row = self._cases.get(case_id)
        if row is None or (self.authority is not None and row["authority"] != self.authority):
            return None
        return row

    # -- writing ----------------------------------------------------------------------------------
    def save(self, case: Reintegration) -> None:
        """Append the transitions of `case` the store does not hold yet, atomically.

        A case it holds whole is a no-op; one it does not hold at all is written whole.

        Raises:
            NotPermitted: the case, or the stored case of that id, is another authority's.
            ConcurrentUpdate: the stored history differs from the case's (the message says
                whether another writer appended first or another case has the id).
            FormInvalid: `case` is not a case, or a value does not fit the store (too long, not
                valid Unicode).
            IllegalTransition: a transition the store does not hold yet does not leave the
                stage the one before it reached, or leaves a final stage; nothing was written.
            StoreError: this machine's clock reads before the case's last entry by more than
                CLOCK_SLACK (not retryable); nothing was written.
        """
        case_id = arguments.case("save", case).case_id
        filed = filed_under(case)
        refuse_other_authority(self.authority, case_id, filed)
        refuse_unknown_protocol(self.protocols, case)
        # A trigger of this case in another thread is applied whole before the case is read
        # (history, stage, items), never half: see `Reintegration._trigger_lock`.
        with case._trigger_lock():
            history = case.history
            if case._unchecked:
                # Resumed by a store without replaying: re-checked before it is written here.
                Reintegration.replay(history, self.calendar, self.protocols)
            now = utc_now()
            with self._lock:
                row = self._cases.get(case_id)
                if row is None:
                    refuse_unchained(history, 0)
                    self._keep_protocols([case])
                    prepared = bulk.rows(case, filed, history, GENESIS, now)
                    self._cases[case_id] = prepared.case_row
                    self._log[case_id] = prepared.entries
                    self._items[case_id] = prepared.items
                    self._ledger[case_id] = prepared.ledger
                    return
                authority = row["authority"]
                refuse_other_authority(self.authority, case_id, authority)
                start = held(
                    case_id, self._log[case_id], history, self._redactions.get(case_id)
                ).version
                new = history[start:]
                if not new:
                    return
                refuse_unchained(history, start)
                stamps = (entry["recorded_at"] for entry in self._log[case_id])
                refuse_saving_behind(case_id, now, latest_stamp(None, stamps))
                prepared = bulk.appended(case, authority, new, row["last_hash"], now)
                self._log[case_id].extend(prepared.entries)
                self._items[case_id] = prepared.items
                self._cases[case_id] = row | {name: prepared.case_row[name] for name in CHANGING}
                if succeeded_in(new):
                    self._ledger[case_id] = prepared.ledger

    def import_histories(
        self,
        histories: Iterable[tuple[str, Sequence[Transition]]],
        *,
        batch_size: int = 2000,
        all_or_nothing: bool = False,
    ) -> int:
        """Add whole histories of new cases, `batch_size` at a time, each batch all or nothing
        (with `all_or_nothing`, the whole import: nothing is added unless everything is).

        Each history is replayed first (a bad one is refused before anything of its batch is
        written). A history whose case the store holds with the same transitions, compared by
        content as `save` compares them, is skipped, so that an import may be tried again.
        Returns the number of transitions written (none of a skipped history's).

        Raises:
            NotPermitted: a history, or a stored case of one of its ids, is another
                authority's than the store's.
            ConcurrentUpdate: one of a batch's ids is stored with another history (part of
                this one, more, or other transitions); that batch is not written (earlier
                batches are, unless `all_or_nothing`).
            FormInvalid, IllegalTransition, GuardFailed, UnknownProtocol: a history does not
                replay, names another authority than its own, or repeats an id.
        """
        arguments.batch_size(batch_size)
        if arguments.all_or_nothing(all_or_nothing):
            batch_size = sys.maxsize  # held here whole anyway: one batch, written at once
        batches = bulk.prepared_batches(
            histories, batch_size, self.calendar, self.protocols, self.authority
        )
        return sum(self._import_batch(batch) for batch in batches)

    def _keep_protocols(self, new: Sequence[Reintegration]) -> None:
        """As a SQL store's: refuse cases `new` to the store opened under other rules than its
        earlier cases of their authority, or another authority's, under their protocol's
        `(id, version)`, or under a name it keeps or was given in other letters' case; keep the
        first's (`opened`).

        Raises:
            ChangedProtocol: a case of `new` was opened under other rules, or a name alike
                (`opening` True).
        """
        opened.refuse_given_alike(new, self.protocols)
        for protocol in opened.first_opened(new, self._opened):
            self._opened[protocol.key] = protocol

    def _import_batch(self, batch: Sequence[bulk.Prepared]) -> int:
        with self._lock:
            new = []
            for prepared in batch:
                case_id = prepared.case_id
                row = self._cases.get(case_id)
                if row is None:
                    new.append(prepared)
                    continue
                refuse_other_authority(self.authority, case_id, row["authority"])
                if row["authority"] != prepared.authority or not imported_before(
                    self._log[case_id], prepared.case.history, self._redactions.get(case_id)
                ):
                    raise already_stored(case_id, int(row["version"]))
            self._keep_protocols([prepared.case for prepared in new])
            for prepared in new:
                case_id = prepared.case_id
                self._cases[case_id] = prepared.case_row
                self._log[case_id] = prepared.entries
                self._items[case_id] = prepared.items
                self._ledger[case_id] = prepared.ledger
        return sum(len(prepared.entries) for prepared in new)

    # -- reading ----------------------------------------------------------------------------------
    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` already used by a case of any authority (ids are store-wide)."""
        with self._lock:
            return {
                case_id
                for case_id in arguments.case_ids("taken", case_ids)
                if case_id in self._cases
            }

    def _entries(
        self, case_id: str, as_of: date | None = None
    ) -> tuple[list[Row], dict[int, list[Row]]]:
        with self._lock:
            if self._visible(case_id) is None:
                raise CaseNotFound(case_id)
            entries = self._log.get(case_id, [])
            if as_of is not None:
                entries = [entry for entry in entries if entry["on_date"] <= as_of]
            if not entries:
                raise CaseNotFound(case_id)
            notes = {seq: list(rows) for seq, rows in self._redactions.get(case_id, {}).items()}
            return [dict(entry) for entry in entries], notes

    def entered(self, case_id: str) -> tuple[datetime | None, ...]:
        """When each of the case's transitions was saved (UTC, whole seconds), oldest first:
        `entered(case_id)[n]` is `history(case_id)[n]`'s.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        entries, _ = self._entries(arguments.case_id("entered", case_id))
        return tuple(entered_at(entry["recorded_at"]) for entry in entries)

    def history(self, case_id: str) -> tuple[Transition, ...]:
        """The case's transitions, oldest first (a removed value shows its redaction note).

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        return tuple(transitions_from_rows(*self._entries(arguments.case_id("history", case_id))))

    def load(self, case_id: str, as_of: date | None = None) -> Reintegration:
        """The case, rebuilt by replaying its history with the store's calendar.

        With `as_of`, the case as it stood at the end of that day: its transitions dated on
        or before it.

        Raises:
            CaseNotFound: no such case (or none opened by `as_of`), or not this store's
                authority's.
            FormInvalid: `case_id` is not text, or `as_of` not a date.
        """
        arguments.case_id("load", case_id)
        check_as_of(as_of)
        return Reintegration.replay(
            transitions_from_rows(*self._entries(case_id, as_of)), self.calendar, self.protocols
        )

    def load_all(self, case_ids: Iterable[str] | None = None) -> Iterator[Reintegration]:
        """Every case this store may show (with `case_ids`, those), ordered by case id, each
        replayed as `load` replays it when the iteration reaches it.

        Raises:
            CaseNotFound: one of `case_ids` names no case, or another authority's (the first
                such id, in the order given); raised by this call, not by the iteration.
        """
        with self._lock:
            if case_ids is None:
                wanted = sorted(c for c in self._cases if self._visible(c) is not None)
            else:
                given = arguments.case_ids("load_all", case_ids)
                for case_id in given:
                    if self._visible(case_id) is None:
                        raise CaseNotFound(case_id)
                wanted = sorted(given)
        return (self.load(case_id) for case_id in wanted)

    def due(self, on: date, *, school: str | None = None) -> list[DueItem]:
        """What still binds on `on`, soonest first: pending deadlines and open obligations due
        by then, an undated obligation from the day it was opened; undated ones last.

        Args:
            school: only for the cases with this AP setting or host school.
        """
        arguments.day("due", "on", on)
        arguments.text_or_none("due", "school", school)
        with self._lock:
            rows = [
                item
                for case_id, items in self._items.items()
                if (row := self._visible(case_id)) is not None and _at_school(row, school)
                for item in items
                if binds_on(item, on)
            ]
        return [due_item(row) for row in sorted(rows, key=due_order)]

    def authorities(self) -> list[str]:
        """The local authorities whose cases this store may show, each as its cases name it,
        sorted."""
        with self._lock:
            return sorted(
                {row["authority"] for case_id in self._cases if (row := self._visible(case_id))}
            )

    def cases(
        self, stage: Stage | None = None, school: str | None = None, text: str | None = None
    ) -> list[CaseSummary]:
        """The cases this store may show, ordered by case id.

        Args:
            stage: only cases in this stage.
            school: only cases with this AP setting or host school.
            text: only cases whose id or child's name contains it, ignoring case.
        """
        arguments.text_or_none("cases", "school", school)
        arguments.text_or_none("cases", "text", text)
        wanted = None if stage is None else as_stage(stage).value
        with self._lock:
            rows = [
                row
                for case_id in self._cases
                if (row := self._visible(case_id)) is not None
                and (wanted is None or row["stage"] == wanted)
                and _at_school(row, school)
            ]
        listed = [summary(row) for row in sorted(rows, key=lambda row: row["case_id"])]
        return listed if text is None else found_by(text, listed)

    def _ledger_entries(self, start: date, end: date) -> list[LedgerEntry]:
        """The ledger's entries dated `start` to `end` inclusive, in `ledger_order`."""
        with self._lock:
            rows = [
                row
                for rows in self._ledger.values()
                for row in rows
                if start <= row["on_date"] <= end
                and (self.authority is None or row["authority"] == self.authority)
            ]
        return sorted((ledger_entry(row) for row in rows), key=ledger_order)

    def weightings(self, start: date, end: date) -> dict[str, int]:
        """The Fair Access weightings from `start` to `end` inclusive: school -> net points."""
        arguments.period("weightings", start, end)
        return weighting_totals(self._ledger_entries(start, end))

    def ledger(self, start: date, end: date) -> list[LedgerEntry]:
        """Each school's weighting change from each success dated `start` to `end` inclusive,
        by date, then case id, then school."""
        arguments.period("ledger", start, end)
        return self._ledger_entries(start, end)

    # -- evidence ------------------------------------------------------------------------------
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
        be tested against), and a note records who removed it, when and why. `seq` None
        removes the paths from every transition holding them. A person's name removed takes
        every other copy of that name in the case with it (each note's `copies`). Returns the
        notes made.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` not text, `seq` neither a whole number nor None, no reason
                or one quoting a value it removes, `paths` not a collection of texts, a path
                naming nothing or no personal data, nothing left to remove, a case that would no
                longer load, or `on` before the day an entry it removes values from was
                recorded, or after today; nothing was changed.
            StoreError: this machine's clock reads before an entry it redacts, or a
                redaction record of it, by more than CLOCK_SLACK (not retryable); nothing was
                changed.
        """
        arguments.case_id("redact", case_id)
        targets = {arguments.seq("redact", seq): arguments.paths("redact", paths)}
        return self._redact(case_id, targets, reason, by=by, on=on)

    def _redact(
        self,
        case_id: str,
        targets: erasure.Targets,
        reason: str,
        *,
        by: Actor,
        on: date,
        every_case: bool = False,
    ) -> list[RedactionNote]:
        erasure.check_request(reason, by, on)
        with self._lock:
            row = self._visible(case_id)
            if row is None:
                raise CaseNotFound(case_id)
            log = self._log[case_id]
            notes = self._redactions.setdefault(case_id, {})
            plan = erasure.plan(
                log,
                notes,
                targets,
                reason,
                by=by,
                on=on,
                now=utc_now(),
                authority=row["authority"],
                calendar=self.calendar,
                protocols=self.protocols,
                every_case=every_case,
            )
            for update in plan.updates:
                log[update["seq"] - 1].update(update)
            for record in plan.records:
                notes.setdefault(record["seq"], []).append(record)
            row.update(plan.case_changes)
            row["redactions"] += len(plan.records)  # as the SQL stores' trigger counts them
        return plan.notes

    def redactions(self, case_id: str) -> list[RedactionNote]:
        """Every redaction of the case's transitions, by seq, then in the order made.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        _, notes = self._entries(arguments.case_id("redactions", case_id))
        return [note_from_row(row) for seq in sorted(notes) for row in notes[seq]]

    def checkpoint(
        self, *, extends: Checkpoint | None = None, public_key: bytes | str | None = None
    ) -> Checkpoint:
        """Every case this store may show, with its version and last log hash, under one root;
        with `extends`, only if the store still extends that checkpoint, checked as
        `verify(checkpoint=extends, public_key=public_key)` checks it, under the same lock.

        Raises:
            CheckpointRefused: the store does not extend `extends`; `problems` names each.
            AlteredRow: a hash or number to anchor does not read as the store writes it.
            FormInvalid: `extends` is not a `Checkpoint`, or `public_key` is given without it.
        """
        arguments.extending(extends, public_key)
        found: list[Problem] = []
        with self._lock:
            logs = [
                (case_id, list(log))
                for case_id, log in sorted(self._log.items())
                if log and self._visible(case_id) is not None
            ]
            heads = [(case_id, int(log[-1]["seq"]), str(log[-1]["hash"])) for case_id, log in logs]
            notes = redaction_heads(
                (case_id, seq, str(row["hash"]))
                for case_id, _, _ in heads
                for seq, rows in sorted(self._redactions.get(case_id, {}).items())
                for row in rows
            )
            if extends is not None:
                records = {
                    case_id: [note for seq in sorted(rows) for note in rows[seq]]
                    for case_id, rows in self._redactions.items()
                }
                found = audit.extension_problems(extends, self.authority, logs, records, public_key)
        if extends is not None and found:
            raise CheckpointRefused(extends, found)
        return Checkpoint.of(heads, self.authority, utc_now(), notes)

    def past_retention(self, on: date) -> list[RetentionDue]:
        """The cases this store may show whose retention ended before `on`, by case id (not
        those `held_retention` names)."""
        arguments.day("past_retention", "on", on)
        return [
            RetentionDue(case_id, keep_until, self._data_left(case_id))
            for case_id, keep_until in retention_module.past(
                on, self.retention, self._heads(), self.protocols
            )
        ]

    def undated_retention(self) -> list[str]:
        """The cases this store may show whose retention cannot be dated (the date of birth,
        or what the policy's basis reads, was removed; or a case row has no `open` entry, its
        case id changed behind the store) and that still hold personal data."""
        return [
            case_id
            for case_id in retention_module.undated(self.retention, self._heads(), self.protocols)
            if self._data_left(case_id)
        ]

    def held_retention(self, on: date) -> list[RetentionHeld]:
        """The cases this store may show whose keep-until date is before `on` but that no
        retention run removes, and that still hold personal data, by case id, each with why:
        still running (not in a final stage), or kept until a day before it was opened (a
        mistyped date of birth). A person checks them."""
        arguments.day("held_retention", "on", on)
        return [
            held
            for held in retention_module.held(on, self.retention, self._heads(), self.protocols)
            if self._data_left(held.case_id)
        ]

    def _data_left(self, case_id: str) -> bool:
        """Whether the case still holds personal data a retention run would remove (True for
        a case id changed behind the store, or a case row and a log that do not pair, as the
        SQL stores read it)."""
        try:
            return bool(erasure.retention_targets(self._listed_entries(case_id)))
        except AlteredRow:
            return True

    def _listed_entries(self, case_id: str) -> list[Row]:
        """The log of a case a retention listing found.

        Raises:
            AlteredRow: its case id is none the store writes (`retention.check_listed`), or its
                case row has no log or its log no case row (`retention.unpaired`).
        """
        retention_module.check_listed(case_id)
        try:
            return self._entries(case_id)[0]
        except CaseNotFound:
            raise retention_module.unpaired(case_id) from None

    def _heads(self) -> list[retention_module.Head]:
        """Each case's id, its `open` entry, its last entry's date, its opening day and its
        stage; and each case row without an `open` entry, and each `open` entry without a case
        row (dated by its log), as unpaired (`Head.paired`)."""
        with self._lock:
            heads = [
                retention_module.Head(
                    case_id,
                    dict(log[0]) if log else {},
                    as_date(row["last_on"]),
                    as_date(row["opened_on"]),
                    str(row["stage"]),
                    paired=bool(log),
                )
                for case_id, row in self._cases.items()
                if self._visible(case_id) is not None
                for log in [self._log.get(case_id)]
            ]
            lone = [
                (case_id, log[0], log[-1]["on_date"])
                for case_id, log in self._log.items()
                if log and case_id not in self._cases
            ]
        return heads + retention_module.unpaired_heads(
            lone, self.authority, self.calendar, self.protocols
        )

    def apply_retention(self, on: date, *, by: Actor) -> RetentionRun:
        """Remove the personal data of every case past retention on `on` (see `redact`).

        Each case is one redaction of all its personal values (so the values a rule compares go
        together); the chain, the stages, dates, deadlines, obligations, departures and the
        ledger stay. Returns the cases it redacted (a list), and in its `passed_over` each case
        listed whose redaction was refused (a case id changed behind the store, an entry
        without a salt, a protocol not given), with why: the run does the rest. A case
        `held_retention` names is not listed, so never touched.

        Raises:
            FormInvalid: `on` is not a date, or after today: a run dated ahead would
                remove data still to be kept; or `by` is not an
                Actor (even with no case due); nothing was changed.
            UnknownProtocol: the policy keeps the protocol's years and a case's protocol was
                not given; names the case; nothing was changed. Under a policy of its own
                years such a case is listed by `past_retention` and passed over here (its
                redaction replays it): the rest are done, and it is once its protocol is given.
        """
        arguments.business_day("apply_retention", "on", on)
        arguments.actor("apply_retention", by)
        done = RetentionRun()
        for due in self.past_retention(on):
            if not due.personal_data_left:
                continue
            try:
                targets = erasure.retention_targets(self._listed_entries(due.case_id))
                self._redact(
                    due.case_id, targets, retention_module.REASON, by=by, on=on, every_case=True
                )
            except retention_module.PASSED_OVER as error:
                retention_module.pass_over(done, due, error)
                continue
            done.append(due)
        return done

    def verify(
        self,
        checkpoint: Checkpoint | None = None,
        public_key: bytes | str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Problem]:
        """Check every chain, digest, redaction, case row, open item and ledger entry, and replay
        every case; with a checkpoint, also that every case it holds still extends it.

        Returns the problems found, empty when the store is sound. `progress` (if given) is
        called once at the end with the cases and the log entries checked.

        Raises:
            FormInvalid: `checkpoint` is not a `Checkpoint`, `progress` cannot be called, or a
                `public_key` is given without a checkpoint.
        """
        arguments.verifying(checkpoint, progress, public_key)
        with self._lock:
            case_rows = {case_id: dict(row) for case_id, row in self._cases.items()}
            logs = [(case_id, list(self._log[case_id])) for case_id in sorted(self._log)]
            items = {case_id: list(rows) for case_id, rows in self._items.items() if rows}
            ledger = {case_id: list(rows) for case_id, rows in self._ledger.items() if rows}
            redactions = {
                case_id: [note for seq in sorted(rows) for note in rows[seq]]
                for case_id, rows in self._redactions.items()
            }
            kept = dict(self._opened)
        checking = audit.Audit(
            scope=self.authority,
            calendar=self.calendar,
            protocols=self.protocols,
            checkpoint=checkpoint,
            kept=kept,
        )
        found = checking.batch(case_rows, logs, items, ledger, redactions)
        if progress is not None:
            progress(checking.cases, checking.transitions)
        return found + checking.finish(public_key)


def _at_school(row: Row, school: str | None) -> bool:
    """The case row's AP setting or host school is `school` (`rules.at_school`; any, when
    None)."""
    return school is None or at_school(school, row["ap_setting"], row["host_school"])
