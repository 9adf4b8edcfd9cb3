"""What every part of `Reintegration` holds: the case's attributes, how a bare case is made, and
the steps and role the parts name."""

from __future__ import annotations

import threading
from typing import TypeVar

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.forms import Pupil
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.records import Deadline, Departure, Obligation, Transition
from reintegration_fsm.state import Facts
from reintegration_fsm.vocabulary import Role, Stage, Trigger

OPEN_STEP = STEP[Trigger.OPEN.value]
"""The declared `open` step, which every part treats apart (the first of a history)."""
DISCHARGE = Trigger.DISCHARGE.value
"""The `discharge` trigger's name, which the parts compare a step's name with."""
AP_HEAD = Role.AP_HEAD  # read on every trigger: see `rules.reviews` on reading members before 3.12
_C = TypeVar("_C", bound="CaseShared")


class CaseShared:
    """The attributes `Reintegration` holds (its slots, in `case`) and how a bare case is made:
    the base of each part (`CaseReading`, ...)."""

    __slots__ = ()

    _case_id: str
    _pupil: Pupil | None
    """The child; None until first read on a resumed case (read from its `open` record)."""
    _ap_setting: str
    _local_authority: str
    _protocol: Protocol
    _calendar: SchoolCalendar | None
    _stage: Stage
    _history: list[Transition]
    _deadlines: list[Deadline]
    _obligations: list[Obligation]
    _departures: list[Departure]
    _facts: Facts
    _unchecked: int
    _names_as_before_unicode: bool
    """True only while a replay reads a step again as a history recorded before the
    Unicode-aware name fold (`_as_before`): see `rules.CaseState`."""
    _blanks_as_stripped: bool
    """True only while a replay reads a step again as a history recorded before text that
    prints nothing was read as blank (`_as_before`): see `rules.CaseState`."""
    _lock: threading.RLock | None
    """Held through each trigger (`_trigger_lock`), and by a store's save while it reads the
    case; None until the case's first trigger or save, so a loaded case
    only read carries none. Never pickled, copied or compared."""

    @classmethod
    def _new(
        cls: type[_C],
        case_id: str,
        pupil: Pupil | None,
        ap_setting: str,
        local_authority: str,
        protocol: Protocol,
        calendar: SchoolCalendar | None,
    ) -> _C:
        """A bare case with no history yet: its `open` (or the state its store kept) fills it."""
        case = object.__new__(cls)
        put = object.__setattr__
        put(case, "_case_id", case_id)
        put(case, "_pupil", pupil)
        put(case, "_ap_setting", ap_setting)
        put(case, "_local_authority", local_authority)
        put(case, "_protocol", protocol)
        put(case, "_calendar", calendar)
        put(case, "_stage", Stage.PROPOSED)
        put(case, "_history", [])
        put(case, "_deadlines", [])
        put(case, "_obligations", [])
        put(case, "_departures", [])
        put(case, "_facts", Facts())
        put(case, "_unchecked", 0)
        put(case, "_names_as_before_unicode", False)
        put(case, "_lock", None)
        put(case, "_blanks_as_stripped", False)
        return case
