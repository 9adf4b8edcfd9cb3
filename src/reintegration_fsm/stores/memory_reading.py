"""`InMemoryStore`'s reads: a case, its history and when it was entered, and the listings of
cases, what is due and the Fair Access ledger."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CaseNotFound
from reintegration_fsm.records import Transition
from reintegration_fsm.rules import at_school
from reintegration_fsm.stores import arguments
from reintegration_fsm.stores.as_of import check_as_of
from reintegration_fsm.stores.clocks import entered_at
from reintegration_fsm.stores.entries import transitions_from_rows
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
from reintegration_fsm.stores.memory_shared import MemoryShared
from reintegration_fsm.stores.model import CaseSummary, DueItem, LedgerEntry
from reintegration_fsm.stores.rows import Row
from reintegration_fsm.vocabulary import Stage


class MemoryReading(MemoryShared):
    """`taken`, `entered`, `history`, `load`, `load_all`, `due`, `authorities`, `cases`,
    `weightings` and `ledger` of `InMemoryStore`."""

    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` already used by a case of any authority (ids are store-wide)."""
        with self._lock:
            return {
                case_id
                for case_id in arguments.case_ids("taken", case_ids)
                if case_id in self._cases
            }

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


def _at_school(row: Row, school: str | None) -> bool:
    """The case row's AP setting or host school is `school` (`rules.at_school`; any, when
    None)."""
    return school is None or at_school(school, row["ap_setting"], row["host_school"])
