"""`InMemoryStore`: the reference store, keeping the same rows as the SQL store in dicts."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from datetime import date

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CaseNotFound, ConcurrentUpdate
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.model import DueItem, Problem
from reintegration_fsm.stores.rows import (
    Row,
    check_case,
    due_item,
    due_order,
    log_rows,
    next_due,
    open_item_rows,
    refuse_other_authority,
    transition_from_row,
    utc_now,
)


class InMemoryStore:
    """Cases kept in memory, with the same semantics as `SqlAlchemyStore`.

    The store holds JSON text, not the caller's objects: changing a case after saving it
    changes nothing here until it is saved again.
    """

    def __init__(
        self, calendar: SchoolCalendar | None = None, authority: str | None = None
    ) -> None:
        self.authority = authority
        self.calendar = calendar
        self._cases: dict[str, Row] = {}
        self._log: dict[str, list[Row]] = {}
        self._redactions: dict[str, dict[int, Row]] = {}
        self._items: dict[str, list[Row]] = {}
        self._lock = threading.Lock()
        self._saved: weakref.WeakKeyDictionary[Reintegration, int] = weakref.WeakKeyDictionary()

    def for_authority(self, authority: str) -> InMemoryStore:
        """A view of the same cases confined to one local authority's."""
        view = InMemoryStore(self.calendar, authority)
        view._cases, view._log, view._items, view._redactions, view._lock = (
            self._cases,
            self._log,
            self._items,
            self._redactions,
            self._lock,
        )
        return view

    def _visible(self, case_id: str) -> Row | None:
        row = self._cases.get(case_id)
        if row is None or (self.authority is not None and row["authority"] != self.authority):
            return None
        return row

    def save(self, case: Reintegration) -> None:
        """Append the case's unsaved transitions and update its projections, atomically.

        Raises:
            NotPermitted: the case belongs to another authority than the store's.
            ConcurrentUpdate: another writer saved the case first (or a new case's id is taken).
        """
        start = self._saved.get(case, 0)
        new = case.history[start:]
        if not new:
            return
        refuse_other_authority(self.authority, case)
        case_id = case.case_id
        items = open_item_rows(case)
        with self._lock:
            row = self._cases.get(case_id)
            found = None if row is None else int(row["version"])
            if found != (start or None):
                visible = self._visible(case_id) is not None
                raise ConcurrentUpdate(case_id, start, found if visible else None)
            prev = GENESIS if row is None else str(row["last_hash"])
            entries = log_rows(case_id, new, prev, utc_now())
            self._log.setdefault(case_id, []).extend(entries)
            self._items[case_id] = items
            self._cases[case_id] = {
                "case_id": case_id,
                "authority": case.local_authority,
                "stage": case.stage.value,
                "version": case.version,
                "next_due": next_due(items),
                "last_hash": entries[-1]["hash"],
            }
        self._saved[case] = case.version

    def _entries(self, case_id: str) -> list[Row]:
        with self._lock:
            if self._visible(case_id) is None:
                raise CaseNotFound(case_id)
            return list(self._log[case_id])

    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` already used by a case of any authority (ids are store-wide)."""
        with self._lock:
            return {case_id for case_id in case_ids if case_id in self._cases}

    def history(self, case_id: str) -> tuple[Transition, ...]:
        """The case's transitions, oldest first.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
        """
        return tuple(transition_from_row(entry) for entry in self._entries(case_id))

    def load(self, case_id: str) -> Reintegration:
        """The case, rebuilt by replaying its history with the store's calendar.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
        """
        case = Reintegration.replay(self.history(case_id), self.calendar)
        self._saved[case] = case.version
        return case

    def due(self, on: date) -> list[DueItem]:
        """Every unmet deadline and open obligation due on or before `on`, soonest first.

        Open obligations without a due date come last.
        """
        with self._lock:
            rows = [
                item
                for case_id, items in self._items.items()
                if self._visible(case_id) is not None
                for item in items
                if item["due"] is None or item["due"] <= on
            ]
        return [due_item(row) for row in sorted(rows, key=due_order)]

    def verify(self) -> list[Problem]:
        """Check every chain, digest and case row, and replay every case.

        Returns the problems found, empty when the store is sound.
        """
        with self._lock:
            case_ids = sorted(c for c in self._cases if self._visible(c) is not None)
            snapshot = [
                (
                    c,
                    self._cases[c],
                    list(self._log.get(c, ())),
                    list(self._items.get(c, ())),
                    dict(self._redactions.get(c, {})),
                )
                for c in case_ids
            ]
        problems: list[Problem] = []
        for case_id, case_row, entries, items, redactions in snapshot:
            problems += check_case(case_id, case_row, entries, self.calendar, items, redactions)
        return problems
