"""`Reintegration`: one child's case, moved through the protocol one typed trigger at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from reintegration_fsm import effects
from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import (
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    NotPermitted,
    ProtocolError,
)
from reintegration_fsm.forms import (
    ChildViews,
    ConsentForm,
    InitialMeeting,
    PastoralSupportPlan,
    Pupil,
    ReintegrationInformation,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.letter import FailureLetter
from reintegration_fsm.records import Deadline, Obligation, Transition
from reintegration_fsm.rules import EmergencyReview, HostOffer, InitialMeetingRecord, Referral
from reintegration_fsm.serialisation import structure, unstructure
from reintegration_fsm.table import DISPATCH, OPEN, ROUTES, TRIGGERS, TRIGGERS_IN, Route
from reintegration_fsm.vocabulary import (
    DUAL_REGISTERED_STAGES,
    OBLIGATION_OWNER,
    Actor,
    DeadlineKind,
    ObligationKind,
    Party,
    ReferralRoute,
    ReviewDecision,
    Role,
    Stage,
)

ORGANISATION_OF_ROLE: Mapping[Role, str] = {
    Role.AP_HEAD: "ap_setting",
    Role.AP_STAFF: "ap_setting",
    Role.HOST_HEAD: "host_school",
    Role.HOST_STAFF: "host_school",
    Role.LA_ADMISSIONS: "local_authority",
}
"""R15: the case attribute naming the organisation each role must act for."""

WEIGHTING = 3
"""Seed, step 10: a permanent move counts +3 to the host and -3 to the AP on the weightings grid."""


def _expect(value: Any, kind: type[Any] | tuple[type[Any], ...], trigger: str, name: str) -> None:
    if not isinstance(value, kind) or (kind is dt.date and isinstance(value, dt.datetime)):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        raise FormInvalid(trigger, name, f"must be a {expected}, not {type(value).__name__}")


@attrs.define(slots=True, eq=True)
class Reintegration:
    """One child's reintegration case.

    Build one with `Reintegration.open` (or `Reintegration.replay` from a history), then move it
    through the protocol with its triggers. A refused trigger raises a `ProtocolError` and
    changes nothing.
    """

    case_id: str
    pupil: Pupil
    ap_setting: str
    local_authority: str
    stage: Stage = Stage.PROPOSED
    host_school: str | None = None
    initial_meeting_on: dt.date | None = None
    agreed_start: dt.date | None = None
    placement_started_on: dt.date | None = None
    final_decision: ReviewDecision | None = None
    _history: list[Transition] = attrs.field(factory=list, alias="history")
    _deadlines: list[Deadline] = attrs.field(factory=list, alias="deadlines")
    _obligations: list[Obligation] = attrs.field(factory=list, alias="obligations")
    calendar: SchoolCalendar | None = attrs.field(default=None, eq=False, repr=False)
    saved_version: int = attrs.field(default=0, eq=False, repr=False)
    """How many of the history's transitions a store already holds (set by stores)."""

    # -- reading -------------------------------------------------------------------------------
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
        """The unmet deadlines that still bind: none once the case is in a final stage."""
        if self.stage.is_final:
            return ()
        return tuple(deadline for deadline in self._deadlines if deadline.met_on is None)

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        """The obligations still open, oldest first."""
        return tuple(self._obligations)

    @property
    def last_on(self) -> dt.date | None:
        """The business date of the last transition (None before `open` records one)."""
        return self._history[-1].on if self._history else None

    @property
    def dual_registered(self) -> bool:
        """True while the pupil is on both registers (R8): AP code D, host marks attendance."""
        return self.stage in DUAL_REGISTERED_STAGES

    @property
    def weighting_adjustments(self) -> dict[str, int]:
        """The Fair Access weightings grid changes of a successful move (R13); else empty."""
        if self.stage is not Stage.SUCCESSFUL or self.host_school is None:
            return {}
        return {self.host_school: WEIGHTING, self.ap_setting: -WEIGHTING}

    def available_triggers(self, actor: Actor) -> tuple[str, ...]:
        """The triggers this actor's role and organisation may fire in the current stage.

        Rules are not evaluated, except that the triggers which only close an obligation are
        listed while there is one to close: `discharge` while the actor's party owes something,
        `note_at_panel` while a virtual approach awaits the panel.
        """
        if self._organisation_problem(actor) is not None:
            return ()
        available = []
        for trigger in TRIGGERS_IN[self.stage]:
            if actor.role not in ROUTES[self.stage, trigger].roles:
                continue
            if trigger == "discharge" and not any(
                o.owner is actor.party for o in self._obligations
            ):
                continue
            if trigger == "note_at_panel" and not any(
                o.kind is ObligationKind.NOTE_AT_PANEL for o in self._obligations
            ):
                continue
            available.append(trigger)
        return tuple(available)

    # -- opening and replay --------------------------------------------------------------------
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
    ) -> Reintegration:
        """Propose a reintegration for `pupil` from `ap_setting` (R1).

        The case keeps `calendar` for its school-day deadlines.

        Raises:
            NotPermitted: `by` is not the head teacher of `ap_setting`.
            GuardFailed: the pupil is already on a mainstream roll.
        """
        _expect(case_id, str, "open", "case_id")
        _expect(pupil, Pupil, "open", "pupil")
        _expect(ap_setting, str, "open", "ap_setting")
        _expect(local_authority, str, "open", "local_authority")
        _expect(by, Actor, "open", "by")
        _expect(on, dt.date, "open", "on")
        if calendar is not None:
            _expect(calendar, SchoolCalendar, "open", "calendar")
        if not case_id.strip():
            raise FormInvalid("open", "case_id", "must not be empty")
        if by.role not in OPEN.roles:
            raise NotPermitted("open", by, f"a {by.role.value} may not open a reintegration")
        if by.organisation != ap_setting:  # R15, before a case exists to check against
            raise NotPermitted(
                "open", by, f"{by.name} acts for {by.organisation!r}, not {ap_setting!r}"
            )
        reasons = [reason for guard in OPEN.guards for reason in guard(None, pupil, on)]
        if reasons:
            raise GuardFailed("open", reasons)
        data = {
            "case_id": case_id,
            "pupil": unstructure(pupil),
            "ap_setting": ap_setting,
            "local_authority": local_authority,
        }
        case = cls(case_id, pupil, ap_setting, local_authority, calendar=calendar)
        case._history.append(Transition(1, "open", None, Stage.PROPOSED, by, on, data))
        return case

    @classmethod
    def replay(
        cls,
        history: Iterable[Transition],
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Any] = (),
    ) -> Reintegration:
        """Rebuild a case from its history, without re-running rules or recomputing deadlines.

        Raises:
            IllegalTransition: a transition does not follow from the stage before it.
            NotPermitted: a transition's actor could not have fired it (role or organisation).
            FormInvalid: a transition's data is malformed.
        """
        transitions = iter(history)
        first = next(transitions, None)
        if first is None or first.trigger != "open" or first.seq != 1:
            raise FormInvalid("history", "0", "a history starts with the 'open' transition")
        data = first.data
        try:
            case = cls(
                str(data["case_id"]),
                structure(data["pupil"], Pupil),
                str(data["ap_setting"]),
                str(data["local_authority"]),
                history=[first],
                calendar=calendar,
            )
        except (KeyError, TypeError) as error:
            raise FormInvalid("history", "1", f"malformed 'open' data: {error}") from None
        if first.source is not None or first.dest is not Stage.PROPOSED:
            raise IllegalTransition("open", first.dest)
        case._check_actor(OPEN, first.actor)
        for transition in transitions:
            case._replay_one(transition)
        return case

    def _replay_one(self, transition: Transition) -> None:
        where = str(transition.seq)
        route = ROUTES.get((self.stage, transition.trigger))
        if route is None or transition.source is not self.stage:
            raise IllegalTransition(transition.trigger, self.stage)
        if transition.seq != len(self._history) + 1:
            raise FormInvalid("history", where, f"expected seq {len(self._history) + 1}")
        last_on = self.last_on
        if last_on is not None and transition.on < last_on:
            raise FormInvalid("history", where, "its date is earlier than the step before (R16)")
        try:
            if transition.dest is not route.dest(self.stage, transition.data):
                raise IllegalTransition(transition.trigger, self.stage)
            discharged = transition.data.get("discharged")
            owner = None if discharged is None else OBLIGATION_OWNER[ObligationKind(discharged)]
            self._check_actor(route, transition.actor, owner)
            if discharged is not None and all(o.kind != discharged for o in self._obligations):
                raise FormInvalid("history", where, f"no {discharged} obligation was open")
            self._apply(transition)
        except (KeyError, TypeError, ValueError, IndexError) as error:
            if isinstance(error, ProtocolError):
                raise
            raise FormInvalid(
                "history", str(transition.seq), f"malformed {transition.trigger!r} data: {error}"
            ) from None

    # -- the machinery -------------------------------------------------------------------------
    def _organisation_problem(self, actor: Actor) -> str | None:
        field = ORGANISATION_OF_ROLE.get(actor.role)
        if field is None:
            return None  # parents and children act for themselves, not for an organisation
        expected = getattr(self, field)
        if actor.organisation == expected:
            return None
        if expected is None:
            return f"no host school has been identified for {actor.name} to act for"
        return f"{actor.name} acts for {actor.organisation!r}, not {expected!r}"

    def _route(self, trigger: str, by: Actor, on: dt.date) -> Route:
        if type(on) is not dt.date or not isinstance(by, Actor):  # a datetime is not a day
            _expect(by, Actor, trigger, "by")
            _expect(on, dt.date, trigger, "on")
        route = DISPATCH[self.stage].get(trigger)
        if route is None:
            raise IllegalTransition(trigger, self.stage)
        field = ORGANISATION_OF_ROLE.get(by.role)
        if by.role not in route.roles or (
            field is not None and getattr(self, field) != by.organisation
        ):
            self._check_actor(route, by)  # raises NotPermitted, saying why
        return route

    def _check_actor(self, route: Route, actor: Actor, owner: Party | None = None) -> None:
        """R15: the actor's role may fire the route, for the right organisation (and, for an
        obligation, for the party that owes it).

        Raises:
            NotPermitted: it may not.
        """
        if actor.role not in route.roles:
            action = route.trigger.replace("_", " ")
            raise NotPermitted(route.trigger, actor, f"a {actor.role.value} may not {action}")
        problem = self._organisation_problem(actor)
        if problem is not None:
            raise NotPermitted(route.trigger, actor, problem)
        if owner is not None and actor.party is not owner:
            why = f"it is owed by the {owner.value} party, not {actor.party.value}"
            raise NotPermitted(route.trigger, actor, why)

    def _fire(
        self,
        route: Route,
        by: Actor,
        on: dt.date,
        payload: Any,
        record: Callable[[], dict[str, Any]],
    ) -> Transition:
        reasons: list[str] = []
        for guard in route.guards:
            reasons += guard(self, payload, on)
        if reasons:
            raise GuardFailed(route.trigger, reasons)
        source = self.stage
        data = record()  # may raise (no calendar): nothing has changed yet
        transition = Transition(
            len(self._history) + 1, route.trigger, source, route.dest(source, data), by, on, data
        )
        self._apply(transition)
        return transition

    def _apply(self, transition: Transition) -> None:
        data = transition.data
        for item in data.get("deadlines", ()):
            self._deadlines.append(
                Deadline(DeadlineKind(item["kind"]), dt.date.fromisoformat(item["due"]))
            )
        for index in data.get("met", ()):
            met = self._deadlines[index]
            self._deadlines[index] = Deadline(met.kind, met.due, transition.on)
        for item in data.get("opened", ()):
            self._obligations.append(_obligation(item, transition.on))
        discharged = data.get("discharged")
        if discharged is not None:
            kind = ObligationKind(discharged)
            for index, item in enumerate(self._obligations):
                if item.kind is kind:
                    del self._obligations[index]
                    break
        _APPLY.get(transition.trigger, _apply_nothing)(self, transition)
        self.stage = transition.dest
        self._history.append(transition)

    # -- the protocol's steps ------------------------------------------------------------------
    def record_consent(self, form: ConsentForm, *, by: Actor, on: dt.date) -> Transition:
        """Record the parent's written consent (R2): PROPOSED -> CONSENTED."""
        route = self._route("record_consent", by, on)
        _expect(form, ConsentForm, "record_consent", "form")
        return self._fire(route, by, on, form, lambda: {"form": unstructure(form)})

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

        Sets the PLACE_OFFER deadline 20 school days on; a VIRTUAL approach also opens a
        NOTE_AT_PANEL obligation for the local authority.
        """
        step = self._route("refer_to_fair_access", by, on)
        _expect(route, ReferralRoute, "refer_to_fair_access", "route")
        _expect(information, ReintegrationInformation, "refer_to_fair_access", "information")
        _expect(psp, PastoralSupportPlan, "refer_to_fair_access", "psp")
        referral = Referral(route, information, psp)
        return self._fire(
            step, by, on, referral, lambda: effects.referral(referral, on, self.calendar)
        )

    def identify_host(
        self, host_school: str, via: ReferralRoute, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the host school the panel or a virtual approach identified (R5)."""
        route = self._route("identify_host", by, on)
        _expect(host_school, str, "identify_host", "host_school")
        _expect(via, ReferralRoute, "identify_host", "via")
        offer = HostOffer(host_school, via)
        return self._fire(
            route, by, on, offer, lambda: effects.host_offer(host_school, via, self._deadlines)
        )

    def note_at_panel(self, *, by: Actor, on: dt.date) -> Transition:
        """Record that the virtual approach was noted at the panel (R6)."""
        route = self._route("note_at_panel", by, on)
        return self._fire(
            route, by, on, None, lambda: {"discharged": ObligationKind.NOTE_AT_PANEL.value}
        )

    def hold_initial_meeting(
        self, meeting: InitialMeeting, views: ChildViews, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the initial meeting and its agreed reviews (R7): HOST_IDENTIFIED -> PLANNED."""
        route = self._route("hold_initial_meeting", by, on)
        _expect(meeting, InitialMeeting, "hold_initial_meeting", "meeting")
        _expect(views, ChildViews, "hold_initial_meeting", "views")
        record = InitialMeetingRecord(meeting, views)
        return self._fire(route, by, on, record, lambda: effects.initial_meeting(record))

    def start_placement(self, *, by: Actor, on: dt.date) -> Transition:
        """Start the placement on or after the agreed date (R8): dual registration begins."""
        route = self._route("start_placement", by, on)
        return self._fire(route, by, on, None, lambda: effects.placement_start(on))

    def hold_review(self, meeting: ReviewMeeting, *, by: Actor, on: dt.date) -> Transition:
        """Record an interim or final review (R9)."""
        route = self._route("hold_review", by, on)
        _expect(meeting, ReviewMeeting, "hold_review", "meeting")
        return self._fire(route, by, on, meeting, lambda: effects.review(meeting, self._deadlines))

    def call_emergency_review(self, reason: str, *, by: Actor, on: dt.date) -> Transition:
        """The host head calls an emergency review (R10): IN_PLACEMENT -> EMERGENCY_REVIEW."""
        route = self._route("call_emergency_review", by, on)
        _expect(reason, str, "call_emergency_review", "reason")
        return self._fire(route, by, on, reason, lambda: {"reason": reason})

    def hold_emergency_review(
        self,
        meeting: ReviewMeeting,
        letter: FailureLetter | None = None,
        *,
        by: Actor,
        on: dt.date,
    ) -> Transition:
        """Record the emergency review (R10, R11): back to IN_PLACEMENT, or ENDING with a letter."""
        route = self._route("hold_emergency_review", by, on)
        _expect(meeting, ReviewMeeting, "hold_emergency_review", "meeting")
        if letter is not None:
            _expect(letter, FailureLetter, "hold_emergency_review", "letter")
        review = EmergencyReview(meeting, letter)
        return self._fire(route, by, on, review, lambda: effects.emergency_review(review))

    def record_successful_outcome(
        self, form: SuccessfulOutcome, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the permanent move (R13): IN_PLACEMENT -> SUCCESSFUL."""
        route = self._route("record_successful_outcome", by, on)
        _expect(form, SuccessfulOutcome, "record_successful_outcome", "form")
        return self._fire(route, by, on, form, lambda: effects.successful_outcome(form))

    def record_unsuccessful_outcome(
        self, form: UnsuccessfulOutcome, *, by: Actor, on: dt.date
    ) -> Transition:
        """Record the child's return to the AP setting (R12): ENDING -> UNSUCCESSFUL."""
        route = self._route("record_unsuccessful_outcome", by, on)
        _expect(form, UnsuccessfulOutcome, "record_unsuccessful_outcome", "form")
        return self._fire(route, by, on, form, lambda: {"form": unstructure(form)})

    def withdraw(self, reason: str, *, by: Actor, on: dt.date) -> Transition:
        """Withdraw the reintegration before the placement starts (R14)."""
        route = self._route("withdraw", by, on)
        _expect(reason, str, "withdraw", "reason")
        return self._fire(route, by, on, reason, lambda: {"reason": reason})

    def discharge(self, kind: ObligationKind, *, by: Actor, on: dt.date) -> Transition:
        """Close the oldest open obligation of `kind`; only its owner party may."""
        route = self._route("discharge", by, on)
        _expect(kind, ObligationKind, "discharge", "kind")
        self._check_actor(route, by, OBLIGATION_OWNER[kind])
        return self._fire(route, by, on, kind, lambda: {"discharged": kind.value})

    def letter(self) -> str:
        """The failure letter of an ended case, rendered.

        Raises:
            IllegalTransition: the case did not end with a failure letter.
        """
        for transition in reversed(self._history):
            if transition.trigger == "hold_emergency_review" and "letter" in transition.data:
                return structure(transition.data["letter"], FailureLetter).render(self)
        raise IllegalTransition("letter", self.stage)


_OBLIGATIONS: dict[tuple[str, str, str | None, str, dt.date], Obligation] = {}


def _obligation(item: Mapping[str, Any], opened_on: dt.date) -> Obligation:
    # Obligations are frozen values and few distinct ones exist: share them across cases.
    key = (item["kind"], item["owner"], item["due"], item.get("basis", ""), opened_on)
    found = _OBLIGATIONS.get(key)
    if found is None:
        due = key[2]
        found = Obligation(
            ObligationKind(key[0]),
            Party(key[1]),
            None if due is None else dt.date.fromisoformat(due),
            key[3],
            opened_on,
        )
        if len(_OBLIGATIONS) < 4096:
            _OBLIGATIONS[key] = found
    return found


def _apply_nothing(case: Reintegration, transition: Transition) -> None:
    pass


def _apply_host(case: Reintegration, transition: Transition) -> None:
    case.host_school = transition.data["host_school"]


def _apply_initial_meeting(case: Reintegration, transition: Transition) -> None:
    meeting = transition.data["meeting"]
    case.initial_meeting_on = dt.date.fromisoformat(meeting["held_on"])
    case.agreed_start = dt.date.fromisoformat(meeting["start_date"])


def _apply_start(case: Reintegration, transition: Transition) -> None:
    case.placement_started_on = transition.on


def _apply_review(case: Reintegration, transition: Transition) -> None:
    meeting = transition.data["meeting"]
    if meeting["kind"] == "final":
        case.final_decision = ReviewDecision(meeting["decision"])


_APPLY: Mapping[str, Callable[[Reintegration, Transition], None]] = {
    "identify_host": _apply_host,
    "hold_initial_meeting": _apply_initial_meeting,
    "start_placement": _apply_start,
    "hold_review": _apply_review,
}


def _check_methods() -> None:
    missing = [t for t in TRIGGERS if not callable(getattr(Reintegration, t, None))]
    if missing:
        raise AssertionError(f"protocol triggers without a Reintegration method: {missing}")


_check_methods()
