"""`InMemoryStore`'s retention: the cases past, undated or held from retention, and the run
that redacts the personal data of those past it."""

from __future__ import annotations

from datetime import date

from reintegration_fsm.errors import AlteredRow, CaseNotFound
from reintegration_fsm.stores import arguments, erasure
from reintegration_fsm.stores import retention as retention_module
from reintegration_fsm.stores.memory_redacting import MemoryRedacting
from reintegration_fsm.stores.retention import RetentionDue, RetentionHeld, RetentionRun
from reintegration_fsm.stores.rows import Row, as_date
from reintegration_fsm.vocabulary import Actor


class MemoryRetention(MemoryRedacting):
    """`past_retention`, `undated_retention`, `held_retention` and `apply_retention` of
    `InMemoryStore`: a retention run is one redaction of each case due (`MemoryRedacting`)."""

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
