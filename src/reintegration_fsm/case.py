"""`Reintegration`: one child's case, moved through the protocol one typed trigger at a time.

Every method runs a step declared in `reintegration_fsm.protocol.steps`: the case knows how to
run a step (its stage, who may fire it, its rules, what it records and projects), not what any
one step is. A case is sealed: its state changes only through its triggers.

The class is built from parts, each a base of the next: `case_shared` (its attributes),
`case_reading` (its reads), `case_checking` (whether a step may run), `case_running` (running
one, with `case_recording`'s record of it) and `case_loading` (its rebuilding from a history).
This module holds its making, copying and typed steps.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterable
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case_checking import plain_text
from reintegration_fsm.case_loading import BUILT_IN, CaseLoading
from reintegration_fsm.case_loading import stage_name as stage_name
from reintegration_fsm.case_shared import OPEN_STEP
from reintegration_fsm.errors import FormInvalid, ProtocolDefinitionError
from reintegration_fsm.fields import new_id_problem
from reintegration_fsm.forms import (
    REMOVED_DAY,
    ChildViews,
    ConsentForm,
    FailureLetter,
    InitialMeeting,
    PastoralSupportPlan,
    Pupil,
    ReintegrationInformation,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.protocol.definition import (
    OWN_ID_EXAMPLE,
    WORCESTERSHIRE,
    Protocol,
    edition_problem,
    refuse_unpublished,
    shipped_id,
)
from reintegration_fsm.protocol.steps import STEPS
from reintegration_fsm.records import Transition
from reintegration_fsm.vocabulary import Actor, ObligationKind, ReferralRoute


class Reintegration(CaseLoading):
    """One child's reintegration case.

    Build one with `Reintegration.open` (or `Reintegration.replay` from a history), then move it
    through the protocol with its triggers. A refused trigger raises a `ProtocolError` and
    changes nothing. Every attribute is read-only.
    """

    __slots__ = (
        "__weakref__",
        "_ap_setting",
        "_blanks_as_stripped",
        "_calendar",
        "_case_id",
        "_deadlines",
        "_departures",
        "_facts",
        "_history",
        "_local_authority",
        "_lock",
        "_names_as_before_unicode",
        "_obligations",
        "_protocol",
        "_pupil",
        "_stage",
        "_unchecked",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "build a case with Reintegration.open(...) or Reintegration.replay(history)"
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a case changes only through its triggers: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a case changes only through its triggers: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reintegration):
            return NotImplemented
        return self._protocol == other._protocol and self._history == other._history

    def __hash__(self) -> int:
        # The id never changes while the history grows, and equal cases share it.
        return hash(self._case_id)

    def __repr__(self) -> str:
        protocol = f"{self._protocol.id}@{self._protocol.version}"  # as `--under` names it
        return (
            f"Reintegration(case_id={self._case_id!r}, stage={self._stage.value!r}, "
            f"version={len(self._history)}, protocol={protocol!r})"
        )

    def __copy__(self) -> Reintegration:
        return self._copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Reintegration:
        return self._copy()

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (a cache, a worker process) as a store keeps a case, by its history: rebuilt
        # as a store loads one, so that the copy is checked as a loaded case is (its slots
        # cannot be set one by one: a case changes only through its triggers).
        return (_unpickled, (self.history, self._calendar, self._protocol))

    def _copy(self) -> Reintegration:
        # An independent case with the same history: transitions and values are immutable.
        case = Reintegration._new(
            self._case_id,
            self._pupil,
            self._ap_setting,
            self._local_authority,
            self._protocol,
            self._calendar,
        )
        put = object.__setattr__
        put(case, "_stage", self._stage)
        put(case, "_history", list(self._history))
        put(case, "_deadlines", list(self._deadlines))
        put(case, "_obligations", list(self._obligations))
        put(case, "_departures", list(self._departures))
        put(case, "_facts", self._facts.copy())
        put(case, "_unchecked", self._unchecked)
        return case

    # -- opening, replay --------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        case_id: str,
        pupil: Pupil,
        ap_setting: str,
        local_authority: str,
        calendar: SchoolCalendar | None = None,
        *,
        by: Actor,
        on: dt.date,
        protocol: Protocol = WORCESTERSHIRE,
    ) -> Reintegration:
        """Propose a reintegration for `pupil` from `ap_setting` (R1), under `protocol`.

        The case keeps `calendar` for its school-day deadlines, and runs under `protocol` for
        its whole life.

        Raises:
            FormInvalid: a value of the wrong type, or a case id, setting or authority that is
                blank, too long, or holds control characters, or a case id holding a character
                nobody sees (a zero-width space pasted with it).
            NotPermitted: `by` may not open a case for `ap_setting` under the protocol.
            GuardFailed: the pupil is already on a mainstream roll, or the protocol is not yet
                in effect, or `on` breaks R16.
            ProtocolDefinitionError: `protocol` has the id and version of a protocol the
                library ships (`WORCESTERSHIRE`) but differs from it, runs under an earlier
                edition of the rules (`WORCESTERSHIRE_1`, `WORCESTERSHIRE_2`: replay only), or has
                `opening_problems` (bounds a protocol an earlier version took may break, and a
                name that is a shipped protocol's in other letters' case); `UnpublishedProtocol`
                when it is the library's own and the library's seed file was changed in place.
        """
        if not isinstance(protocol, Protocol):
            raise FormInvalid(
                "open", "protocol", f"must be a Protocol, not {type(protocol).__name__}"
            )
        shipped = BUILT_IN.get(protocol.key)
        if shipped is not None and shipped is not protocol and shipped != protocol:
            # Its history would name the shipped protocol, and replay run the shipped rules.
            raise ProtocolDefinitionError(
                "protocol",
                f"{protocol.id} {protocol.version} is a protocol the library ships; give yours "
                f"an id of your own ({OWN_ID_EXAMPLE})",
            )
        refuse_unpublished(protocol)  # the library's own, its seed file changed in place
        # A name that is a shipped protocol's in other letters' case is among them.
        if protocol.opening_problems:  # its cases opened before still replay and finish
            (field, problem), *rest = protocol.opening_problems
            # Every version of the shipped id is the library's (AP8): not a new version, then.
            instead = "a copy with an id of your own" if shipped_id(protocol) else "a new version"
            raise ProtocolDefinitionError(
                field,
                f"{problem}; a new case may not open under {protocol.id} {protocol.version}, "
                f"whose cases opened before finish under it: open it under {instead}",
                also=[(more, what, None) for more, what in rest],
            )
        if not protocol.opens_cases:
            # Replay still reads it: the cases recorded before protocols were data finish so.
            raise ProtocolDefinitionError(
                "protocol", f"{protocol.id} {protocol.version} {edition_problem(protocol)}"
            )
        if calendar is not None and not isinstance(calendar, SchoolCalendar):
            raise FormInvalid(
                "open", "calendar", f"must be a SchoolCalendar, not {type(calendar).__name__}"
            )
        case_id, ap_setting, local_authority = map(
            plain_text, (case_id, ap_setting, local_authority)
        )
        values = (case_id, pupil, ap_setting, local_authority)
        on = cls._check_when(OPEN_STEP, by, on)
        # Before R15 reads the setting and authority: a None one is not a missing host school.
        cls._check_values(OPEN_STEP, values)
        unread = new_id_problem(case_id)
        if unread is not None:  # a new id only: a history written before still replays
            raise FormInvalid("open", "case_id", unread)
        if pupil.date_of_birth == REMOVED_DAY:  # a redacted history's only
            raise FormInvalid(
                "open",
                "pupil.date_of_birth",
                f"{REMOVED_DAY.isoformat()} is what a redaction leaves for a removed date, and "
                "would be shown as removed: give the child's date of birth",
            )
        case = cls._new(case_id, pupil, ap_setting, local_authority, protocol, calendar)
        case._run(OPEN_STEP, values, by, on)
        return case

    @classmethod
    def replay(
        cls,
        history: Iterable[Transition],
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Protocol] = (),
    ) -> Reintegration:
        """Rebuild a case from its history, re-checking every transition against the protocol.

        Each transition must be one the protocol would have accepted from the data it records:
        the stage allows it, its actor could fire it, its guards pass on its recorded forms,
        and what it recorded (deadlines, obligations, departures) is what the protocol records.
        Deadlines computed from a calendar at the time are read back, never recomputed, once
        shown to be dates a school calendar could give. Histories in an older data layout are
        upcast first. `protocols` are the protocols the history may name besides the built-in
        ones (`WORCESTERSHIRE`).

        Raises:
            UnknownProtocol: the history names a protocol not given.
            IllegalTransition, NotPermitted, GuardFailed: the error the trigger would have
                raised, its `seq` naming the transition.
            FormInvalid: a transition's data is malformed, or differs from what the protocol
                records.
        """
        return cls._rebuild(history, calendar, protocols, checked=True)

    # -- the protocol's steps ---------------------------------------------------------------------
    def record_consent(self, form: ConsentForm, *, by: Actor, on: dt.date) -> Transition:
        """Record the parent's written consent (R2): PROPOSED -> CONSENTED."""
        return self._fire("record_consent", (form,), by, on)

    def refer_to_fair_access(
        self,
        route: ReferralRoute,
        information: ReintegrationInformation,
        psp: PastoralSupportPlan,
        *,
        by: Actor,
        on: dt.date,
    ) -> Transition:
        """Refer the child to the Fair Access panel (R3-R6): CONSENTED -> REFERRED.

        Sets the PLACE_OFFER deadline the protocol's school days on; a VIRTUAL approach also
        opens a NOTE_AT_PANEL obligation for the local authority.
        """
        return self._fire("refer_to_fair_access", (route, information, psp), by, on)

    def identify_host(
        self, host_school: str, via: ReferralRoute, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the host school the panel or a virtual approach identified (R5)."""
        return self._fire("identify_host", (host_school, via), by, on)

    def note_at_panel(self, *, by: Actor, on: dt.date) -> Transition:
        """Record that the virtual approach was noted at the panel (R6)."""
        return self._fire("note_at_panel", (), by, on)

    def hold_initial_meeting(
        self, meeting: InitialMeeting, views: ChildViews, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the initial meeting and its agreed reviews (R7): HOST_IDENTIFIED -> PLANNED."""
        return self._fire("hold_initial_meeting", (meeting, views), by, on)

    def start_placement(self, *, by: Actor, on: dt.date) -> Transition:
        """Start the placement on or after the agreed date (R8): dual registration begins."""
        return self._fire("start_placement", (), by, on)

    def hold_review(self, meeting: ReviewMeeting, *, by: Actor, on: dt.date) -> Transition:
        """Record an interim or final review (R9)."""
        return self._fire("hold_review", (meeting,), by, on)

    def call_emergency_review(self, reason: str, *, by: Actor, on: dt.date) -> Transition:
        """The host school calls an emergency review (R10): IN_PLACEMENT -> EMERGENCY_REVIEW."""
        return self._fire("call_emergency_review", (reason,), by, on)

    def hold_emergency_review(
        self,
        meeting: ReviewMeeting,
        letter: FailureLetter | None = None,
        *,
        by: Actor,
        on: dt.date,
    ) -> Transition:
        """Record the emergency review (R10, R11): back to IN_PLACEMENT, or ENDING with a letter."""
        return self._fire("hold_emergency_review", (meeting, letter), by, on)

    def record_successful_outcome(
        self, form: SuccessfulOutcome, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the permanent move (R13): IN_PLACEMENT -> SUCCESSFUL."""
        return self._fire("record_successful_outcome", (form,), by, on)

    def record_unsuccessful_outcome(
        self, form: UnsuccessfulOutcome, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the child's return to the AP setting (R12): ENDING -> UNSUCCESSFUL."""
        return self._fire("record_unsuccessful_outcome", (form,), by, on)

    def withdraw(self, reason: str, *, by: Actor, on: dt.date) -> Transition:
        """Withdraw the reintegration before the placement starts (R14)."""
        return self._fire("withdraw", (reason,), by, on)

    def discharge(self, kind: ObligationKind, *, by: Actor, on: dt.date) -> Transition:
        """Close the oldest open obligation of `kind` owed by the actor's party (R17 applies)."""
        return self._fire("discharge", (kind,), by, on)


def _unpickled(
    history: tuple[Transition, ...], calendar: SchoolCalendar | None, protocol: Protocol
) -> Reintegration:
    """A pickled case, made again from its history (`Reintegration.__reduce__`)."""
    return Reintegration._restore(history, calendar, (protocol,))


def _check_methods() -> None:
    """Every declared step has a typed method whose parameters are its arguments.

    Raises:
        ProtocolDefinitionError: a step without its method, or with other parameters.
    """
    for step in STEPS:
        method = getattr(Reintegration, step.name, None)
        if not callable(method):
            raise ProtocolDefinitionError(step.name, "has no Reintegration method")
        parameters = [
            name
            for name, parameter in inspect.signature(method).parameters.items()
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY
            and name not in ("self", "cls", "calendar")
        ]
        declared = [argument.name for argument in step.arguments]
        if parameters != declared:
            raise ProtocolDefinitionError(
                step.name, f"its method takes {parameters}, the step declares {declared}"
            )


_check_methods()
