"""`Store`: what every store offers, for integrators to type against.

`InMemoryStore` and `SqlAlchemyStore` both satisfy it (mypy checks an assignment of each);
docs/stores.md states the semantics every implementation keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Protocol

from reintegration_fsm.case import Reintegration
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.checkpoints import Checkpoint
from reintegration_fsm.stores.model import CaseSummary, DueItem, LedgerEntry, Problem
from reintegration_fsm.stores.redaction import RedactionNote
from reintegration_fsm.stores.retention import (
    RetentionDue,
    RetentionHeld,
    RetentionPolicy,
    RetentionRun,
)
from reintegration_fsm.vocabulary import Actor, Stage


class Store(Protocol):
    """A store of cases: append-only histories, scoped to one local authority when asked."""

    @property
    def authority(self) -> str | None:
        """The local authority whose cases alone it reads and writes; None for every one."""
        ...

    @property
    def retention(self) -> RetentionPolicy:
        """How long it keeps a case's personal data."""
        ...

    def save(self, case: Reintegration) -> None:
        """Append the transitions of `case` the store does not hold yet, atomically.

        Raises:
            NotPermitted: the case, or the stored case of that id, is another authority's.
            ConcurrentUpdate: the stored history differs (the message says how).
            FormInvalid: `case` is not a case, or a value does not fit the store (too long, not
                valid Unicode).
            StoreError: the database failed; `.retryable` says whether to try again. Or
                this machine's clock reads before the case's last entry by more than
                CLOCK_SLACK (not retryable); nothing was written.
        """
        ...

    def load(self, case_id: str, as_of: date | None = None) -> Reintegration:
        """The case, replayed; with `as_of`, as it stood at the end of that day.

        Raises:
            CaseNotFound: no such case (or not yet opened on `as_of`), or another authority's.
            FormInvalid: `case_id` is not text, or `as_of` not a date.
        """
        ...

    def load_all(self, case_ids: Iterable[str] | None = None) -> Iterator[Reintegration]:
        """The cases it may show (with `case_ids`, those), ordered by case id, streamed: each is
        rebuilt as `load` rebuilds it when the iteration reaches it.

        Raises:
            CaseNotFound: one of `case_ids` names no case, or another authority's (raised by
                the call, before anything is yielded).
        """
        ...

    def history(self, case_id: str) -> tuple[Transition, ...]:
        """The case's transitions, oldest first (`FormInvalid` for a `case_id` not text)."""
        ...

    def entered(self, case_id: str) -> tuple[datetime | None, ...]:
        """When each of the case's transitions was saved (UTC), oldest first, as `history`
        lists them (None: a stamp that is no time)."""
        ...

    def taken(self, case_ids: Iterable[str]) -> set[str]:
        """Those of `case_ids` in use by a case of any authority (ids are store-wide)."""
        ...

    def import_histories(
        self,
        histories: Iterable[tuple[str, Sequence[Transition]]],
        *,
        batch_size: int = 2000,
        all_or_nothing: bool = False,
    ) -> int:
        """Add whole histories of new cases, a batch per transaction (`all_or_nothing`: every
        batch in one), skipping each the store holds already with the same transitions (so a
        retry succeeds); the transitions written."""
        ...

    def due(self, on: date, *, school: str | None = None) -> list[DueItem]:
        """What still binds on `on`, soonest first; with `school`, only for the cases with
        that AP setting or host school."""
        ...

    def cases(
        self, stage: Stage | None = None, school: str | None = None, text: str | None = None
    ) -> list[CaseSummary]:
        """The cases it may show, filtered, ordered by case id."""
        ...

    def authorities(self) -> list[str]:
        """The local authorities whose cases it may show, each as its cases name it, sorted."""
        ...

    def weightings(self, start: date, end: date) -> dict[str, int]:
        """School -> the sum of its weighting changes from successes dated `start` to `end`."""
        ...

    def ledger(self, start: date, end: date) -> list[LedgerEntry]:
        """The weighting changes from successes dated `start` to `end`, one per school and case."""
        ...

    def verify(
        self,
        checkpoint: Checkpoint | None = None,
        public_key: bytes | str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Problem]:
        """Every problem found in the chains, the digests, the redactions, the projections, the
        stored states and the replays, and (given one) every case of the checkpoint its log no
        longer extends; `progress(cases, transitions)` is told what has been checked so far."""
        ...

    def checkpoint(
        self, *, extends: Checkpoint | None = None, public_key: bytes | str | None = None
    ) -> Checkpoint:
        """Every case it may show, with its version and last hash, under one Merkle root; with
        `extends`, only if the store still extends that checkpoint (`CheckpointRefused`)."""
        ...

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
        """Remove personal values from a stored transition (None: every one holding them),
        keeping the chain verifiable; the notes record who, when, why and what (`FormInvalid`
        for a `case_id` not text or a `seq` neither a whole number nor None, as for every
        argument of the wrong kind)."""
        ...

    def redactions(self, case_id: str) -> list[RedactionNote]:
        """Every redaction of the case's transitions (`FormInvalid` for a `case_id` not
        text)."""
        ...

    def past_retention(self, on: date) -> list[RetentionDue]:
        """The cases whose retention ended before `on`."""
        ...

    def apply_retention(self, on: date, *, by: Actor) -> RetentionRun:
        """Remove the personal data of every case past retention on `on`; the cases done (a
        list), and in `passed_over` those whose redaction was refused, with why."""
        ...

    def undated_retention(self) -> list[str]:
        """The cases whose retention cannot be dated that still hold personal data."""
        ...

    def held_retention(self, on: date) -> list[RetentionHeld]:
        """The cases past their keep-until date on `on` that no retention run removes (still
        running, or kept until before they were opened) and that still hold personal data,
        each with why."""
        ...
