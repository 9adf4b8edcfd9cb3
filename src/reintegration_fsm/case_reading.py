"""`Reintegration`'s reads: its attributes, dates and projections, its deadlines, obligations and
departures, and its failure letter."""

from __future__ import annotations

import datetime as dt

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case_shared import AP_HEAD, CaseShared
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.forms import FailureLetter, Pupil
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.records import Deadline, Departure, Obligation, Transition
from reintegration_fsm.serialisation import structure
from reintegration_fsm.vocabulary import (
    DUAL_REGISTERED_STAGES,
    DeadlineKind,
    ObligationKind,
    ReviewDecision,
    Stage,
    Trigger,
)

_ENDING = Stage.ENDING


class CaseReading(CaseShared):
    """`Reintegration`'s read-only properties, and what its deadlines mean for it."""

    __slots__ = ()

    @property
    def case_id(self) -> str:
        """The case's id (unique in a store)."""
        return self._case_id

    @property
    def pupil(self) -> Pupil:
        """The child or young person."""
        pupil = self._pupil
        if pupil is None:  # a resumed case: read from its `open` record when first asked
            try:
                pupil = structure(self._history[0]._peek()["pupil"], Pupil)
            except FormInvalid as error:
                raise error.within("history", "1", "open: ") from None
            except (KeyError, TypeError, ValueError) as error:
                raise FormInvalid("history", "1", f"malformed 'open' data: {error!r}") from None
            object.__setattr__(self, "_pupil", pupil)
        return pupil

    @property
    def ap_setting(self) -> str:
        """The Alternative Provision setting the child is leaving (the home school)."""
        return self._ap_setting

    @property
    def local_authority(self) -> str:
        """The local authority whose Fair Access panel the case goes through."""
        return self._local_authority

    @property
    def host_school(self) -> str | None:
        """The host school, once identified (R5)."""
        return self._facts.host_school

    @property
    def protocol(self) -> Protocol:
        """The protocol the case was opened under, and runs under for life."""
        return self._protocol

    @property
    def calendar(self) -> SchoolCalendar | None:
        """The school calendar the case counts school days with (None: none given)."""
        return self._calendar

    @property
    def stage(self) -> Stage:
        """Where the case stands in the protocol."""
        return self._stage

    @property
    def history(self) -> tuple[Transition, ...]:
        """Every accepted trigger, oldest first."""
        return tuple(self._history)

    @property
    def version(self) -> int:
        """The sequence number of the last transition."""
        return len(self._history)

    @property
    def deadlines(self) -> tuple[Deadline, ...]:
        """Every deadline the case has set, met or not, in the order set."""
        return tuple(self._deadlines)

    @property
    def pending_deadlines(self) -> tuple[Deadline, ...]:
        """The unmet deadlines that still bind: none once the case is in a final stage, and no
        review once an emergency review has ended the placement (stage `ending`: no step can
        hold one, and `needed_until` says the case stopped needing it that day)."""
        if self._stage.is_final:
            return ()
        if self._stage is _ENDING:
            return tuple(
                deadline
                for deadline in self._deadlines
                if deadline.met_on is None and deadline.kind is DeadlineKind.PLACE_OFFER
            )
        return tuple(deadline for deadline in self._deadlines if deadline.met_on is None)

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        """The obligations still open, oldest first."""
        return tuple(self._obligations)

    @property
    def departures(self) -> tuple[Departure, ...]:
        """Where practice fell short of what the seed says should happen, oldest first."""
        return tuple(self._departures)

    @property
    def last_on(self) -> dt.date | None:
        """The business date of the last transition."""
        return self._history[-1]._on if self._history else None

    @property
    def opened_on(self) -> dt.date:
        """The business date the case was opened."""
        return self._history[0].on

    @property
    def dual_registered(self) -> bool:
        """True while the pupil is on both registers (R8): AP code D, host marks attendance."""
        return self._stage in DUAL_REGISTERED_STAGES

    @property
    def on_both_registers(self) -> bool:
        """True while the pupil's name is on both schools' admission registers: dual registered
        (R8), and after the placement until the school owing `DELETE_FROM_ROLL` has deleted it
        (R17). `dual_registered` follows the stage; this follows the registers, as far as the
        case records them: a case of edition 1 owes no deletion after a successful move, and is
        false from its outcome."""
        return self._stage in DUAL_REGISTERED_STAGES or any(
            obligation.kind is ObligationKind.DELETE_FROM_ROLL for obligation in self._obligations
        )

    @property
    def weighting_adjustments(self) -> dict[str, int]:
        """The Fair Access weightings grid changes of a successful move (R13); else empty."""
        host = self._facts.host_school
        if self._stage is not Stage.SUCCESSFUL or host is None:
            return {}
        points = self._protocol.weighting_points
        return {host: points, self._ap_setting: -points}

    @property
    def preferred_schools(self) -> tuple[str, ...]:
        """The schools the family asked to be considered (from the consent form)."""
        return self._facts.preferred_schools

    @property
    def consent_signed_on(self) -> dt.date | None:
        """The day the parent signed the consent form."""
        return self._facts.consent_signed_on

    @property
    def initial_meeting_on(self) -> dt.date | None:
        """The day of the initial meeting."""
        return self._facts.initial_meeting_on

    @property
    def agreed_start(self) -> dt.date | None:
        """The placement's start date agreed at the initial meeting."""
        return self._facts.agreed_start

    @property
    def placement_started_on(self) -> dt.date | None:
        """The day the placement actually started (R8)."""
        return self._facts.placement_started_on

    @property
    def last_meeting_on(self) -> dt.date | None:
        """The day of the case's latest meeting (initial, review or emergency review)."""
        return self._facts.last_meeting_on

    @property
    def host_identified_on(self) -> dt.date | None:
        """The day the host school was identified (R5), if it has been."""
        return self._last_day_of(Trigger.IDENTIFY_HOST)

    @property
    def emergency_called_on(self) -> dt.date | None:
        """The day the latest emergency review was called (R10), if one has been."""
        return self._last_day_of(Trigger.CALL_EMERGENCY_REVIEW)

    def _last_day_of(self, trigger: Trigger) -> dt.date | None:
        name = trigger.value
        for transition in reversed(self._history):
            if transition._trigger == name:
                return transition._on
        return None

    @property
    def final_decision(self) -> ReviewDecision | None:
        """The decision of the latest final review."""
        return self._facts.final_decision

    @property
    def permanent_from(self) -> dt.date | None:
        """The agreed date of permanent admission, set by a final review (R9, R13)."""
        return self._facts.permanent_from

    @property
    def ended_on(self) -> dt.date | None:
        """The day the emergency review's ending was recorded (R11), the `on` of
        `hold_emergency_review`; the meeting may have been held earlier (`ending_review_on`)."""
        return self._facts.ended_on

    def _ending(self) -> tuple[int, Transition] | None:
        """The emergency review that ended the placement, and its place in the history."""
        for index, transition in enumerate(self._history):
            if transition._dest is Stage.ENDING:
                return index, transition
        return None

    @property
    def ending_review_on(self) -> dt.date | None:
        """The day the emergency review that ended the placement was held (its form's
        `held_on`), which dates the failure letter (R11); None unless one ended it."""
        found = self._ending()
        if found is None:
            return None
        ending = found[1]
        held = ending._raw().get("meeting", {}).get("held_on")
        return dt.date.fromisoformat(held) if isinstance(held, str) else ending.on

    @property
    def ap_head_at_ending(self) -> str | None:
        """The AP head teacher on record at the emergency review that ended the placement (as
        `ap_head` read then), whom a failure letter naming no home head teacher names: an AP
        head acting later does not change a letter already sent. `ap_head` until one ends it."""
        found = self._ending()
        if found is None:
            return self.ap_head
        index = found[0]
        return next(
            (
                t._actor.name
                for t in reversed(self._history[: index + 1])
                if t._actor.role is AP_HEAD
            ),
            None,
        )

    def needed_until(self, deadline: Deadline) -> dt.date | None:
        """The day the case stopped needing `deadline` (None while it still does): for the place
        offer, the day the case reached a final stage; for a review, the day of the emergency
        review meeting that ended the placement, or else the day the case reached a final stage.
        A deadline never met and due before that day was missed; one due on or after it was not
        needed."""
        if deadline.kind is not DeadlineKind.PLACE_OFFER:
            held = self.ending_review_on
            if held is not None:
                return held
        return self.closed_on

    @property
    def closed_on(self) -> dt.date | None:
        """The day the case reached a final stage (successful, unsuccessful or withdrawn); None
        while it runs."""
        return next((t.on for t in self._history if t.dest.is_final), None)

    def missed(self, deadline: Deadline, on: dt.date) -> bool:
        """Whether `deadline` was unmet at the end of `on` though due before it, on a day the
        case still needed it (`needed_until`)."""
        if deadline.met_on is not None or deadline.due >= on:
            return False
        until = self.needed_until(deadline)
        return until is None or deadline.due < until

    @property
    def ap_head(self) -> str | None:
        """The AP head teacher on record: the latest to act on the case as AP head."""
        return self._facts.ap_head

    @property
    def failure_letter(self) -> FailureLetter | None:
        """The failure letter of a case ended by an emergency review, if any."""
        for transition in reversed(self._history):
            letter = transition._raw().get("letter")
            if transition.trigger == Trigger.HOLD_EMERGENCY_REVIEW.value and letter is not None:
                return structure(letter, FailureLetter)
        return None

    def letter(self) -> str | None:
        """The failure letter of an ended case, rendered (None when the case has none)."""
        letter = self.failure_letter
        return None if letter is None else letter.render(self)
