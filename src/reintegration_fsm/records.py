"""What a case remembers: deadlines, obligations and the transitions of its history."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.vocabulary import Actor, DeadlineKind, ObligationKind, Party, Stage


@attrs.frozen
class Deadline:
    """A dated promise: due on `due`, met on `met_on` (None while unmet)."""

    kind: DeadlineKind = attrs.field(validator=fields.member(DeadlineKind))
    due: date = attrs.field(validator=fields.day)
    met_on: date | None = attrs.field(default=None, validator=fields.optional_day)

    @property
    def met(self) -> bool:
        """True once the promise has been kept (on time or late)."""
        return self.met_on is not None

    @property
    def breached(self) -> bool:
        """True when it was met after its due date."""
        return self.met_on is not None and self.met_on > self.due

    def overdue_on(self, on: date) -> bool:
        """True when, on `on`, it is unmet and past due, or was met late."""
        return self.breached if self.met_on is not None else on > self.due


@attrs.frozen
class Obligation:
    """Follow-up work a transition left for `owner` to do, by `due` where the law sets a date."""

    kind: ObligationKind = attrs.field(validator=fields.member(ObligationKind))
    owner: Party = attrs.field(validator=fields.member(Party))
    due: date | None = attrs.field(default=None, validator=fields.optional_day)
    basis: str = attrs.field(default="", eq=False, validator=fields.text)
    """The statutory source of the duty, where one sets its date; not part of its identity."""
    opened_on: date | None = attrs.field(default=None, validator=fields.optional_day)
    """The business date of the transition that opened it (None when built by hand)."""


@attrs.frozen
class Transition:
    """One accepted trigger: the audit record a case's history is made of.

    `data` is plain JSON: the forms given to the trigger, and whatever the trigger computed at
    the time (deadlines opened or met, obligations opened or discharged), so that replay never
    recomputes anything.
    """

    seq: int
    trigger: str
    source: Stage | None
    dest: Stage
    actor: Actor
    on: date
    data: dict[str, Any] = attrs.field(factory=dict, eq=True, hash=False)
