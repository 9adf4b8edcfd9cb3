"""`Store`: what every store offers, for integrators to type against.

`InMemoryStore` and `SqlAlchemyStore` both satisfy it (mypy checks an assignment of each);
docs/stores.md states the semantics every implementation keeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from reintegration_fsm.case import Reintegration
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.model import CaseSummary, DueItem, LedgerEntry, Problem
from reintegration_fsm.vocabulary import Stage


class Store(Protocol):
    """A store of cases: append-only histories, scoped to one local authority when asked."""

    @property
    def authority(self) -> str | None:
        """The local authority whose cases alone it reads and writes; None for every one."""
        ...

    def save(self, case: Reintegration) -> None:
        """Append the transitions of `case` the store does not hold yet, atomically.

        Raises:
            NotPermitted: the case, or the stored case of that id, is another authority's.
            ConcurrentUpdate: the stored history differs (the message says how).
            FormInvalid: a value does not fit the store (too long, not valid Unicode).
            StoreError: the database failed; `.retryable` says whether to try again.
        """
        ...

    def load(self, case_id: str, as_of: date | None = None) -> Reintegration:
        """The case, replayed; with `as_of`, as it stood at the end of that day.

        Raises:
            CaseNotFound: no such case (or not yet opened on `as_of`), or another authority's.
        """
        ...

    def history(self, case_id: str) -> tuple[Transition, ...]:
        """The case's transitions, oldest first."""
        ...

    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` in use by a case of any authority (ids are store-wide)."""
        ...

    def import_histories(
        self, histories: Iterable[tuple[str, Sequence[Transition]]], *, batch_size: int = 2000
    ) -> int:
        """Add whole histories of new cases, a batch per transaction; the transitions written."""
        ...

    def due(self, on: date) -> list[DueItem]:
        """What still binds on `on`, soonest first."""
        ...

    def cases(
        self, stage: Stage | None = None, school: str | None = None, text: str | None = None
    ) -> list[CaseSummary]:
        """The cases it may show, filtered, ordered by case id."""
        ...

    def weightings(self, start: date, end: date) -> dict[str, int]:
        """School -> the sum of its weighting changes from successes dated `start` to `end`."""
        ...

    def ledger(self, start: date, end: date) -> list[LedgerEntry]:
        """The weighting changes from successes dated `start` to `end`, one per school and case."""
        ...

    def verify(self) -> list[Problem]:
        """Every problem found in the chains, the projections and the replays; empty when sound."""
        ...
