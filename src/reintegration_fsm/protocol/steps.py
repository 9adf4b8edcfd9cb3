"""The protocol's steps, each declared once: the one place a reader holds against the seed.

A `Step` gives, for one trigger: the stages it leaves from and where it leads (`ways`), the
arguments it takes (`arguments`, bundled into the payload its rules read), its rules (`guards`,
the seed's *musts*, and `departures`, its *shoulds*), what it records (`effects`: deadlines
opened and met, obligations opened and closed), what it projects onto the case (`project`), how
it reads on a timeline (`wording`) and which forms it prints (`documents`). The `transitions`
machine, the dispatch table, `available_triggers`, the diagrams, the docs' table, the CLI's
`apply`, the printed forms and `reintegration_fsm.testing` are all derived from `STEPS`.

Who may fire each step is not here: it is protocol data (`Protocol.roles`), as are the numbers
and parties the rules read.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from typing import Protocol as Interface

import attrs

from reintegration_fsm import rules
from reintegration_fsm.calendar import SchoolCalendar, plausible_school_days
from reintegration_fsm.errors import CalendarError, FormInvalid, ProtocolDefinitionError
from reintegration_fsm.fields import (
    ID_LENGTH,
    NAME_LENGTH,
    blank,
    identifier,
    iso_day,
    text_problem,
    unseen,
)
from reintegration_fsm.forms import (
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
    english_date,
)
from reintegration_fsm.protocol.duties import (
    CONSENT_TO_DELETION_BASIS,
    DELETION_BASIS,
    DELETION_RETURN_BASIS,
    JOINERS_BASIS,
)
from reintegration_fsm.protocol.field_checks import add_opening_check, add_role_check
from reintegration_fsm.protocol.payloads import (
    EmergencyReview,
    HostOffer,
    InitialMeetingRecord,
    OpenCase,
    Referral,
    closed_json,
    deadline_json,
    obligation_json,
)
from reintegration_fsm.records import Deadline, Obligation, Transition
from reintegration_fsm.rules.reading import revised
from reintegration_fsm.vocabulary import (
    PARTY_OF_ROLE,
    ROLES_OF_PARTY,
    Actor,
    DeadlineKind,
    ObligationKind,
    Party,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
    Role,
    Stage,
    Trigger,
)

S = Stage
K = ObligationKind
D = DeadlineKind
# Members read on every review, bound once (as in `rules.reviews`: a slow read before 3.12).
_FINAL, _CONTINUE, _END = ReviewKind.FINAL, ReviewDecision.CONTINUE, ReviewDecision.END
_FIRST_REVIEW, _SECOND_REVIEW = DeadlineKind.FIRST_REVIEW, DeadlineKind.SECOND_REVIEW
_FINAL_REVIEW = DeadlineKind.FINAL_REVIEW

Guard = Callable[[Any, Any, dt.date], list[str]]
Data = Mapping[str, Any]
Effects = dict[str, list[dict[str, Any]]]


class StepCase(rules.CaseState, Interface):
    """What a step reads from a case besides what its rules read."""

    @property
    def calendar(self) -> SchoolCalendar | None: ...


class Facts(Interface):
    """The case's projections a step writes (the case's own, private, state)."""

    host_school: str | None
    preferred_schools: tuple[str, ...]
    consent_signed_on: dt.date | None
    initial_meeting_on: dt.date | None
    agreed_start: dt.date | None
    placement_started_on: dt.date | None
    last_meeting_on: dt.date | None
    final_decision: ReviewDecision | None
    permanent_from: dt.date | None
    ended_on: dt.date | None


ALWAYS: tuple[Guard, ...] = (rules.time_runs_forward,)
"""Guards every trigger runs before its own (R16)."""


@attrs.frozen
class Argument:
    """One argument a trigger takes, recorded in its data under the same name."""

    name: str
    type: Any
    optional: bool = False
    """True when None is allowed (and then the default)."""
    most: int | None = None
    """For text: the most characters it may have (a stored column's length)."""
    single_line: bool = False
    """For text: a name or an id, on one line."""
    needed: bool = False
    """For text: refused when blank (an id); other blank text is for the rules to report."""

    def text_problem(self, value: str) -> str | None:
        """Why the text `value` will not do for this argument (too long, blank where needed, a
        control character), or None."""
        if self.needed:
            return identifier(value, self.name, self.most or NAME_LENGTH)
        return text_problem(value, single_line=self.single_line, most=self.most)

    def new_name_problem(self, value: str) -> str | None:
        """Why a name given now (not read back from a history) would read as another: a
        character nobody sees (a joiner joining no letters of a script written with them), or
        a blank one other than the space; None for other text. (Another letters' case is a
        slip the rules compare names past, kept as written; a space at an end is refused apart,
        by `fields.end_space`.)"""
        if not self.single_line:
            return None
        hidden = unseen(value) or blank(value)
        return None if hidden is None else f"holds {hidden}; type it again"


@attrs.frozen
class Way:
    """Where a step leads: `dest` (None: the same stage) when `when` holds of its payload."""

    dest: Stage | None
    when: Callable[[Any], bool] | None = None


@attrs.frozen
class Printable:
    """A form a step prints, with the occasion it was made for ("For the review on ...")."""

    form: Any
    occasion: str = ""


def _no_effects(
    case: StepCase, payload: Any, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    return {}


def _no_projection(facts: Facts, payload: Any, on: dt.date) -> None:
    pass


def _no_documents(payload: Any) -> tuple[Printable, ...]:
    return ()


def _on_the_day(case: StepCase, payload: Any, on: dt.date) -> dt.date:
    return on


@attrs.frozen
class Step:
    """One step of the protocol, declared once (see the module docstring)."""

    trigger: Trigger
    action: str
    """What firing it does, as "may not ..." completes it: "hold a review"."""
    sources: tuple[Stage, ...]
    """The stages it may be fired in (none for `open`, which makes a case)."""
    ways: tuple[Way, ...]
    rules: tuple[str, ...]
    seed: str
    """The passage of the seed protocol the step comes from."""
    wording: Callable[[Data], str]
    """What the step did, in a few plain words, from its recorded data."""
    arguments: tuple[Argument, ...] = ()
    bundle: Callable[..., Any] | None = None
    """Builds the payload from the arguments; None: the payload is the one argument (or None)."""
    guards: tuple[Guard, ...] = ()
    departures: tuple[tuple[str, Guard], ...] = ()
    """The *shoulds*: (rule, check) pairs whose sentences the transition records, accepted."""
    effects: Callable[[StepCase, Any, dt.date, Actor, Data | None], Effects] = _no_effects
    project: Callable[[Facts, Any, dt.date], None] = _no_projection
    """Writes what the step changes onto the case's facts, from its payload (typed, or a typed
    view over recorded JSON)."""
    documents: Callable[[Any], tuple[Printable, ...]] = _no_documents
    listed: Callable[[Any, Actor], bool] | None = None
    """For a step that only closes an obligation: whether `available_triggers` lists it now."""
    met_on: Callable[[StepCase, Any, dt.date], dt.date] = _on_the_day
    """The day the deadlines the step meets are met on (from its payload, typed or a view)."""

    name: str = attrs.field(init=False)
    """The trigger's name, as transitions record it."""
    checks: tuple[Guard, ...] = attrs.field(init=False)
    """Every guard the step runs, in order: R16, then its own."""
    types: tuple[type, ...] = attrs.field(init=False)
    """The arguments' types, in order."""
    plain: bool = attrs.field(init=False)
    """True when every argument is a form or an enum, never None and never text: a value of the
    right type needs no other check."""

    def __attrs_post_init__(self) -> None:
        put = object.__setattr__
        put(self, "name", self.trigger._value_)
        put(self, "checks", (*ALWAYS, *self.guards))
        put(self, "types", tuple(argument.type for argument in self.arguments))
        put(
            self,
            "plain",
            all(
                not argument.optional and argument.type not in (str, dt.date)
                for argument in self.arguments
            ),
        )

    @property
    def moves(self) -> bool:
        """True when the step changes the case's stage."""
        return any(way.dest is not None for way in self.ways)

    def payload(self, values: Sequence[Any]) -> Any:
        """The payload the rules read, from the arguments' values (in `arguments` order)."""
        if self.bundle is not None:
            return self.bundle(*values)
        return values[0] if values else None

    def dest(self, source: Stage, payload: Any) -> Stage:
        """The stage the step leads to from `source` with `payload`."""
        for way in self.ways:
            if way.when is None or way.when(payload):
                return source if way.dest is None else way.dest
        raise FormInvalid(self.name, "data", "its data matches none of the step's outcomes")


# -- reading recorded data -----------------------------------------------------------------------
def day(value: Any) -> dt.date:
    """A date recorded as ISO text."""
    if type(value) is not str:
        raise TypeError(f"expected an ISO date, not {value!r}")
    return iso_day(value)


def optional_day(value: Any) -> dt.date | None:
    """A date recorded as ISO text, or None."""
    return None if value is None else day(value)


# -- effects helpers -----------------------------------------------------------------------------
def _earliest_unmet(
    deadlines: Sequence[Deadline], kinds: Sequence[DeadlineKind]
) -> Deadline | None:
    best: Deadline | None = None
    for item in deadlines:
        if item.met_on is None and item.kind in kinds and (best is None or item.due < best.due):
            best = item
    return best


def _meet(deadlines: Sequence[Deadline], *kinds: DeadlineKind) -> list[dict[str, Any]]:
    found = _earliest_unmet(deadlines, kinds)
    return [] if found is None else [deadline_json(found.kind, found.due)]


def _owes(obligations: Sequence[Obligation], kind: ObligationKind, owner: Party) -> bool:
    return any(o.kind is kind and o.owner is owner for o in obligations)


def _effects(**lists: list[dict[str, Any]]) -> Effects:
    found = {}
    for key, value in lists.items():
        if value:
            found[key] = value
    return found


_PAPERWORK = obligation_json(K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP)


def _paperwork() -> dict[str, Any]:
    return dict(_PAPERWORK)  # each transition its own


# -- open ----------------------------------------------------------------------------------------
def _open_wording(data: Data) -> str:
    return f"proposed a reintegration for {data['pupil']['name']}"


# -- record_consent ------------------------------------------------------------------------------
def _consent_project(facts: Facts, form: ConsentForm, on: dt.date) -> None:
    facts.preferred_schools = tuple(form.preferred_schools)
    facts.consent_signed_on = form.signed_on


def _consent_wording(data: Data) -> str:
    form = data["form"]
    return f"recorded written consent from {form['parent_name']} (signed {form['signed_on']})"


# -- refer_to_fair_access ------------------------------------------------------------------------
def _referral_effects(
    case: StepCase, referral: Referral, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    days = case.protocol.place_offer_school_days
    if recorded is None:
        if case.calendar is None:
            raise CalendarError(
                "refer_to_fair_access needs a school calendar to set the offer deadline"
            )
        due = case.calendar.add_school_days(on, days)
        # The rule replay checks the recorded deadline by: what it would refuse, never record.
        problem = plausible_school_days(on, due, days, case.calendar)
        if problem is not None:
            raise CalendarError(
                f"refer_to_fair_access: the calendar ({case.calendar.source or 'unnamed'}) "
                f"gives the place offer {problem}: is a term missing from it? A closure as "
                "long is refused too; give the term dates in full"
            )
    else:
        # Replay reads the deadline the calendar gave at the time, if a calendar could give it:
        # whatever bank holidays the `holidays` installed now knows (plausible_school_days), and
        # whatever terms the case's calendar gives now, since term dates corrected after the
        # referral must not make a case no one changed unreadable (review C, C1).
        try:
            due = day(recorded["deadlines"][0]["due"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise FormInvalid(
                "refer_to_fair_access", "deadlines", "no place offer deadline"
            ) from None
        problem = plausible_school_days(on, due, days)
        if problem is not None:
            raise FormInvalid("refer_to_fair_access", "deadlines", f"the place offer {problem}")
    opened = (
        [obligation_json(K.NOTE_AT_PANEL, Party.LA)]
        if referral.route is ReferralRoute.VIRTUAL
        else []
    )
    return _effects(deadlines=[deadline_json(D.PLACE_OFFER, due)], opened=opened)


def _referral_documents(referral: Referral) -> tuple[Printable, ...]:
    return (Printable(referral),)


# -- identify_host -------------------------------------------------------------------------------
def _host_effects(
    case: StepCase, offer: HostOffer, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    return _effects(
        met=_meet(case.deadlines, D.PLACE_OFFER),
        opened=[
            obligation_json(K.SHARE_INFORMATION_WITH_HOST, Party.AP),
            obligation_json(K.OFFER_VISIT, Party.AP),
        ],
    )


def _host_project(facts: Facts, offer: HostOffer, on: dt.date) -> None:
    facts.host_school = offer.host_school


# -- note_at_panel -------------------------------------------------------------------------------
def _note_effects(
    case: StepCase, _: None, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    return _effects(closed=[closed_json(K.NOTE_AT_PANEL, Party.LA)])


def _note_listed(case: Any, actor: Actor) -> bool:
    return any(o.kind is K.NOTE_AT_PANEL for o in case.obligations)


# -- hold_initial_meeting ------------------------------------------------------------------------
def _initial_effects(
    case: StepCase, record: InitialMeetingRecord, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    meeting = record.meeting
    return _effects(
        deadlines=[
            deadline_json(_FIRST_REVIEW, meeting.first_review),
            deadline_json(_SECOND_REVIEW, meeting.second_review),
            deadline_json(_FINAL_REVIEW, meeting.final_review),
        ],
        opened=[_paperwork()],
    )


def _initial_project(facts: Facts, record: InitialMeetingRecord, on: dt.date) -> None:
    meeting = record.meeting
    facts.initial_meeting_on = facts.last_meeting_on = meeting.held_on
    facts.agreed_start = meeting.start_date


def _initial_wording(data: Data) -> str:
    return f"held the initial meeting; the placement starts {data['meeting']['start_date']}"


def _initial_documents(record: InitialMeetingRecord) -> tuple[Printable, ...]:
    meeting = record.meeting
    found = [
        Printable(record.views, f"For the initial meeting on {english_date(meeting.held_on)}"),
        Printable(meeting),
    ]
    if meeting.timetable is not None:
        found.append(Printable(meeting.timetable, "Agreed at the initial meeting"))
    return tuple(found)


# -- start_placement -----------------------------------------------------------------------------
def _start_effects(
    case: StepCase, _: None, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    joiners_due = on + dt.timedelta(days=case.protocol.joiners_return_days)
    return _effects(
        opened=[
            obligation_json(K.COMPLETE_JOINERS_FORM, Party.HOST, joiners_due, JOINERS_BASIS),
            obligation_json(K.MARK_DUAL_REGISTRATION, Party.AP),
        ]
    )


def _start_project(facts: Facts, _: None, on: dt.date) -> None:
    facts.placement_started_on = on


# -- reviews -------------------------------------------------------------------------------------
def _review_effects(
    case: StepCase, meeting: ReviewMeeting, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    final = meeting.kind is _FINAL
    met = (
        _meet(case.deadlines, _FINAL_REVIEW)
        if final
        else _meet(case.deadlines, _FIRST_REVIEW, _SECOND_REVIEW)
    )
    # `_effects(met=..., deadlines=..., opened=...)` spelt out: every review runs it.
    effects: Effects = {"met": met} if met else {}
    if final and meeting.decision is _CONTINUE and meeting.next_meeting is not None:
        effects["deadlines"] = [deadline_json(_FINAL_REVIEW, meeting.next_meeting)]
    effects["opened"] = [dict(_PAPERWORK)]
    return effects


def _review_met_on(case: StepCase, meeting: ReviewMeeting, on: dt.date) -> dt.date:
    """R9: under edition 3 a review's deadline is met on the day it was held (recorded later,
    it is still on time); before, on the day it was recorded."""
    return meeting.held_on if rules.in_order(case) else on


def _review_project(facts: Facts, meeting: ReviewMeeting, on: dt.date) -> None:
    facts.last_meeting_on = meeting.held_on
    if meeting.kind is _FINAL:
        facts.final_decision = meeting.decision
        facts.permanent_from = meeting.permanent_from


def _review_wording(data: Data) -> str:
    meeting = data["meeting"]
    decision = str(meeting["decision"]).replace("_", " ")
    permanent = meeting.get("permanent_from")
    suffix = f", permanent from {permanent}" if permanent else ""
    return f"held the {meeting['kind']} review: decision {decision}{suffix}"


def _meeting_documents(meeting: ReviewMeeting) -> list[Printable]:
    found = []
    if meeting.child_views is not None:
        occasion = f"For the review on {english_date(meeting.held_on)}"
        found.append(Printable(meeting.child_views, occasion))
    found.append(Printable(meeting))
    if meeting.timetable is not None:
        found.append(
            Printable(meeting.timetable, f"From the review on {english_date(meeting.held_on)}")
        )
    return found


def _review_documents(meeting: ReviewMeeting) -> tuple[Printable, ...]:
    return tuple(_meeting_documents(meeting))


# -- call_emergency_review -----------------------------------------------------------------------
def _call_wording(data: Data) -> str:
    return f"called an emergency review: {data['reason']}"


# -- hold_emergency_review -----------------------------------------------------------------------
def _decides(decision: ReviewDecision) -> Callable[[EmergencyReview], bool]:
    def when(review: EmergencyReview) -> bool:
        return review.meeting.decision is decision

    when.__name__ = f"decides_{decision.value}"
    return when


def _emergency_effects(
    case: StepCase, review: EmergencyReview, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    opened = [_paperwork()]
    letter = review.letter
    if review.meeting.decision is _END and letter is not None:
        effective = letter.effective_date
        opened += [
            obligation_json(K.SEND_FAILURE_LETTER, Party.HOST),
            obligation_json(K.DELETE_FROM_ROLL, Party.HOST, effective, DELETION_BASIS),
            obligation_json(K.NOTIFY_PORTAL, Party.HOST, effective, DELETION_RETURN_BASIS),
            obligation_json(K.ARRANGE_HOME_SCHOOL_MEETING, Party.AP),
        ]
        if revised(case):
            opened.append(
                obligation_json(
                    K.CONSENT_TO_DELETION, Party.AP, effective, CONSENT_TO_DELETION_BASIS
                )
            )
    return _effects(opened=opened)


def _emergency_project(facts: Facts, review: EmergencyReview, on: dt.date) -> None:
    meeting = review.meeting
    facts.last_meeting_on = meeting.held_on
    if meeting.decision is _END:
        facts.ended_on = on


def _emergency_documents(review: EmergencyReview) -> tuple[Printable, ...]:
    found = _meeting_documents(review.meeting)
    if review.letter is not None:
        found.append(Printable(review.letter))
    return tuple(found)


# -- outcomes ------------------------------------------------------------------------------------
def _success_effects(
    case: StepCase, form: SuccessfulOutcome, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    if not revised(case):
        return _effects(
            opened=[
                obligation_json(K.COMPLETE_LEAVERS_FORM, Party.AP),
                obligation_json(K.TRANSFER_RECORDS, Party.AP),
                obligation_json(K.RETURN_OUTCOME_FORM, Party.HOST),
                obligation_json(K.ADJUST_WEIGHTINGS, Party.LA),
                obligation_json(K.REDESIGNATE_TRANSPORT, Party.LA),
            ]
        )
    deleted_on = case.permanent_from
    closed = []
    if form.joiner_form_completed and _owes(case.obligations, K.COMPLETE_JOINERS_FORM, Party.HOST):
        closed.append(closed_json(K.COMPLETE_JOINERS_FORM, Party.HOST))
    return _effects(
        opened=[
            obligation_json(K.COMPLETE_LEAVERS_FORM, Party.AP, deleted_on, DELETION_RETURN_BASIS),
            obligation_json(K.TRANSFER_RECORDS, Party.AP),
            obligation_json(K.DELETE_FROM_ROLL, Party.AP, deleted_on, DELETION_BASIS),
            obligation_json(
                K.CONSENT_TO_DELETION, Party.HOST, deleted_on, CONSENT_TO_DELETION_BASIS
            ),
            obligation_json(K.RETURN_OUTCOME_FORM, Party.HOST),
            obligation_json(K.ADJUST_WEIGHTINGS, Party.LA),
            obligation_json(K.REDESIGNATE_TRANSPORT, Party.LA),
        ],
        closed=closed,
    )


def _success_wording(data: Data) -> str:
    return f"recorded the successful outcome (on roll from {data['form']['date_on_roll']})"


def _failure_effects(
    case: StepCase, form: UnsuccessfulOutcome, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    return _effects(opened=[_paperwork()] if revised(case) else [])


def _failure_wording(data: Data) -> str:
    return f"recorded the unsuccessful outcome (return on {data['form']['return_date']})"


def _form_documents(form: Any) -> tuple[Printable, ...]:
    return (Printable(form),)


# -- withdraw, discharge -------------------------------------------------------------------------
def _withdraw_wording(data: Data) -> str:
    return f"withdrew the reintegration: {data['reason']}"


def _discharge_effects(
    case: StepCase, kind: ObligationKind, on: dt.date, by: Actor, recorded: Data | None
) -> Effects:
    return _effects(closed=[closed_json(kind, by.party)])


def _discharge_listed(case: Any, actor: Actor) -> bool:
    return any(o.owner is actor.party for o in case.obligations)


def _discharge_wording(data: Data) -> str:
    return f"discharged: {str(data['kind']).replace('_', ' ')}"


# -- the protocol --------------------------------------------------------------------------------
_BEFORE_PLACEMENT = (S.PROPOSED, S.CONSENTED, S.REFERRED, S.HOST_IDENTIFIED, S.PLANNED)
_AFTER_REFERRAL = (
    S.REFERRED,
    S.HOST_IDENTIFIED,
    S.PLANNED,
    S.IN_PLACEMENT,
    S.EMERGENCY_REVIEW,
    S.ENDING,
)

STEPS: tuple[Step, ...] = (
    Step(
        Trigger.OPEN,
        "open a reintegration",
        (),
        (Way(S.PROPOSED),),
        ("R1",),
        "NB this form is only to be used for those children/young people to be reintegrated "
        "from alternative provision, who are not already also on the roll of a mainstream school.",
        _open_wording,
        arguments=(
            Argument("case_id", str, most=ID_LENGTH, single_line=True, needed=True),
            Argument("pupil", Pupil),
            Argument("ap_setting", str, most=NAME_LENGTH, single_line=True, needed=True),
            Argument("local_authority", str, most=NAME_LENGTH, single_line=True, needed=True),
        ),
        bundle=OpenCase,
        guards=(rules.pupil_is_eligible, rules.protocol_in_effect),
    ),
    Step(
        Trigger.RECORD_CONSENT,
        "record the parent's consent",
        (S.PROPOSED,),
        (Way(S.CONSENTED),),
        ("R2",),
        "Process 1: they must first discuss this with the parents and gain their written consent "
        "using the Parental Consent Form. Procedures: If parents and the child/young person "
        "agree that a reintegration is appropriate ...",
        _consent_wording,
        arguments=(Argument("form", ConsentForm),),
        guards=(rules.consent_is_complete,),
        departures=(("R2", rules.child_agreement_recorded),),
        project=_consent_project,
        documents=_form_documents,
    ),
    Step(
        Trigger.REFER_TO_FAIR_ACCESS,
        "refer the child to Fair Access",
        (S.CONSENTED,),
        (Way(S.REFERRED),),
        ("R3", "R4", "R5", "R6"),
        "Process 1-2: there should be an active Pastoral Support Plan (PSP) ... raise the matter "
        "for discussion at a Fair Access Area Panel meeting. Procedures: the law requires an "
        "offer of a school place to be made within 20 school days.",
        lambda data: f"referred the child to Fair Access ({data['route']} route)",
        arguments=(
            Argument("route", ReferralRoute),
            Argument("information", ReintegrationInformation),
            Argument("psp", PastoralSupportPlan),
        ),
        bundle=Referral,
        guards=(rules.psp_is_active, rules.information_is_gathered),
        effects=_referral_effects,
        documents=_referral_documents,
    ),
    Step(
        Trigger.IDENTIFY_HOST,
        "identify the host school",
        (S.REFERRED,),
        (Way(S.HOST_IDENTIFIED),),
        ("R5",),
        "Process 3: Once a receiving school has been identified either at FAAP or by virtual "
        "approach. Process 1: the law requires the parents views to be considered.",
        lambda data: f"identified the host school: {data['host_school']} (via {data['via']})",
        arguments=(
            Argument("host_school", str, most=NAME_LENGTH, single_line=True),
            Argument("via", ReferralRoute),
        ),
        bundle=HostOffer,
        guards=(rules.host_is_named,),
        departures=(("R5", rules.host_was_preferred),),
        effects=_host_effects,
        project=_host_project,
    ),
    Step(
        Trigger.NOTE_AT_PANEL,
        "note the virtual approach at the panel",
        _AFTER_REFERRAL,
        (Way(None),),
        ("R6",),
        "Process 2: a virtual approach can be made, which will be noted at the next meeting.",
        lambda data: "noted the virtual approach at the panel",
        guards=(rules.panel_note_is_open,),
        effects=_note_effects,
        listed=_note_listed,
    ),
    Step(
        Trigger.HOLD_INITIAL_MEETING,
        "record the initial meeting",
        (S.HOST_IDENTIFIED,),
        (Way(S.PLANNED),),
        ("R7",),
        "Process 4: The Reintegration Initial Meeting Form should be completed and signed by all "
        "parties at this meeting. Review dates including the final placement review will also "
        "be agreed. The final placement review should be within 6 weeks of the start date.",
        _initial_wording,
        arguments=(Argument("meeting", InitialMeeting), Argument("views", ChildViews)),
        bundle=InitialMeetingRecord,
        guards=(rules.initial_meeting_is_complete,),
        effects=_initial_effects,
        project=_initial_project,
        documents=_initial_documents,
    ),
    Step(
        Trigger.START_PLACEMENT,
        "start the placement",
        (S.PLANNED,),
        (Way(S.IN_PLACEMENT),),
        ("R8",),
        "Process 5: For registration purposes, the pupil should appear on both registers - the "
        "receiving school must complete a Joiners Form; the AP setting should mark code D.",
        lambda data: "started the placement (dual registration begins)",
        guards=(rules.start_date_reached, rules.joiners_return_can_be_dated),
        departures=(("R8", rules.placement_prepared),),
        effects=_start_effects,
        project=_start_project,
    ),
    Step(
        Trigger.HOLD_REVIEW,
        "record a review",
        (S.IN_PLACEMENT,),
        (Way(None),),
        ("R9",),
        "Process 6: Reviews should be planned at the outset, and attended by representatives of "
        "both schools, the student, parents/carers. The views of the child/young person should "
        "be gathered prior to each review. Process 8: the agreed date for permanent admission.",
        _review_wording,
        arguments=(Argument("meeting", ReviewMeeting),),
        guards=(rules.review_is_complete,),
        departures=(("R9", rules.review_practice),),
        effects=_review_effects,
        met_on=_review_met_on,
        project=_review_project,
        documents=_review_documents,
    ),
    Step(
        Trigger.CALL_EMERGENCY_REVIEW,
        "call an emergency review",
        (S.IN_PLACEMENT,),
        (Way(S.EMERGENCY_REVIEW),),
        ("R10",),
        "Process 7: If the receiving school is considering ending the reintegration, the head "
        "teacher or their representative should hold an emergency review meeting.",
        _call_wording,
        arguments=(Argument("reason", str),),
        guards=(rules.emergency_reason_given,),
    ),
    Step(
        Trigger.HOLD_EMERGENCY_REVIEW,
        "record the emergency review",
        (S.EMERGENCY_REVIEW,),
        (
            Way(S.IN_PLACEMENT, _decides(ReviewDecision.CONTINUE)),
            Way(S.ENDING, _decides(ReviewDecision.END)),
        ),
        ("R10", "R11"),
        "Process 7: this must include representatives of the Alternative Provision setting, "
        "family and Local Authority. All parties should agree on whether the reintegration can "
        "continue, and relevant support required should be documented. Sample Letter in the "
        "case of a failed Reintegration.",
        _review_wording,
        arguments=(
            Argument("meeting", ReviewMeeting),
            Argument("letter", FailureLetter, optional=True),
        ),
        bundle=EmergencyReview,
        guards=(rules.emergency_review_is_complete, rules.ending_is_justified),
        departures=(
            ("R10", rules.emergency_review_practice),
            ("R11", rules.ending_practice),
        ),
        effects=_emergency_effects,
        project=_emergency_project,
        documents=_emergency_documents,
    ),
    Step(
        Trigger.RECORD_SUCCESSFUL_OUTCOME,
        "record the successful outcome",
        (S.IN_PLACEMENT,),
        (Way(S.SUCCESSFUL),),
        ("R13", "R17"),
        "Process 8-10: On the agreed date for permanent admission ... a transfer in (+3 point) "
        "and transfer out (-3 point) in relation to the weightings grid.",
        _success_wording,
        arguments=(Argument("form", SuccessfulOutcome),),
        guards=(rules.permanent_move_is_agreed, rules.weighting_can_be_recorded),
        effects=_success_effects,
        documents=_form_documents,
    ),
    Step(
        Trigger.RECORD_UNSUCCESSFUL_OUTCOME,
        "record the unsuccessful outcome",
        (S.ENDING,),
        (Way(S.UNSUCCESSFUL),),
        ("R12",),
        "UNSUCCESSFUL Reintegration Outcome Form to be completed by Home School. Process 5: "
        "Please ensure that School Admissions receive copies of the reintegration paperwork.",
        _failure_wording,
        arguments=(Argument("form", UnsuccessfulOutcome),),
        guards=(rules.return_is_provided_for,),
        effects=_failure_effects,
        documents=_form_documents,
    ),
    Step(
        Trigger.WITHDRAW,
        "withdraw the reintegration",
        _BEFORE_PLACEMENT,
        (Way(S.WITHDRAWN),),
        ("R14",),
        "Procedures: If parents and the child/young person agree that a reintegration is "
        "appropriate (and so may withdraw that agreement before the placement starts).",
        _withdraw_wording,
        arguments=(Argument("reason", str),),
        guards=(rules.withdrawal_reason_given,),
    ),
    Step(
        Trigger.DISCHARGE,
        "discharge an obligation",
        tuple(Stage),
        (Way(None),),
        ("R17",),
        "Process 5, 8, 9 and the outcome forms: the follow-up work each party owes.",
        _discharge_wording,
        arguments=(Argument("kind", ObligationKind),),
        guards=(rules.obligation_is_open, rules.deletion_is_consented),
        effects=_discharge_effects,
        listed=_discharge_listed,
    ),
)
"""The whole protocol, one declaration per trigger, in the seed's order."""

STEP: Mapping[str, Step] = {step.name: step for step in STEPS}
"""Each step by its trigger's name."""


def described(transition: Transition) -> str:
    """What a transition did, in a few plain words (its step's own wording, as the timeline
    prints it): "recorded consent", "withdrew the reintegration: ...". Holds text the users
    typed (a reason), as given: escape it for a page. A record its step cannot read is named
    by its trigger, "(its record cannot be read)" (review UI, UI5)."""
    step = STEP.get(transition.trigger)
    words = transition.trigger.replace("_", " ")
    if step is None:
        return words
    try:
        return step.wording(transition.data)
    except (KeyError, TypeError, AttributeError):
        return f"{words} (its record cannot be read)"


def _reached(start: set[Stage], steps: Sequence[Step]) -> set[Stage]:
    """The stages `steps` lead to from `start`, `start` included."""
    reached, changed = set(start), True
    while changed:
        changed = False
        for step in steps:
            if any(source in reached for source in step.sources):
                for way in step.ways:
                    if way.dest is not None and way.dest not in reached:
                        reached.add(way.dest)
                        changed = True
    return reached


def check_steps(steps: Sequence[Step]) -> None:
    """Refuse an inconsistent declaration: a trigger declared twice or never, a way out of a final
    stage, a stage nothing reaches, or a step with several outcomes and one without a condition.

    Raises:
        ProtocolDefinitionError: the declaration is inconsistent; names the trigger.
    """
    names = [step.name for step in steps]
    for trigger in Trigger:
        count = names.count(trigger.value)
        if count != 1:
            raise ProtocolDefinitionError(
                trigger.value, f"is declared {count} times; every trigger is declared once"
            )
    for step in steps:
        if len(step.ways) > 1 and any(way.when is None for way in step.ways):
            raise ProtocolDefinitionError(step.name, "has several outcomes, one unconditional")
        if not step.ways:
            raise ProtocolDefinitionError(step.name, "leads nowhere")
        for source in step.sources:
            if source.is_final and step.moves:
                raise ProtocolDefinitionError(step.name, f"leaves the final stage {source.value}")
        if not step.sources and step.trigger is not Trigger.OPEN:
            raise ProtocolDefinitionError(step.name, "can be fired in no stage")
    unreachable = sorted(stage.value for stage in set(Stage) - _reached({S.PROPOSED}, steps))
    if unreachable:
        raise ProtocolDefinitionError("stages", f"nothing reaches {', '.join(unreachable)}")


check_steps(STEPS)


def hostless_stages(steps: Sequence[Step] = STEPS) -> frozenset[Stage]:
    """The stages a case is in only before its host school is known (`identify_host` names it):
    there a host school's staff, whose organisation R15 checks against it, cannot act."""
    identify = [step for step in steps if step.trigger is Trigger.IDENTIFY_HOST]
    before = _reached({S.PROPOSED}, [step for step in steps if step not in identify])
    named = {way.dest for step in identify for way in step.ways if way.dest is not None}
    return frozenset(before - _reached(named, steps))


_HOSTLESS = hostless_stages()


def host_roles_before_a_host(
    roles: Mapping[str, frozenset[Role]], *, anywhere: bool = False
) -> list[tuple[str, str]]:
    """The triggers a protocol lets only a host school's roles fire where no host school is
    known yet, in every stage they are fired in (no one could ever fire them), or, `anywhere`,
    in any (a case stopped in such a stage, with no other way on or out, stays there: a new case
    may not open under it): each `(roles.<trigger>, problem)`."""
    problems = []
    for step in STEPS:
        allowed = roles[step.name]  # every trigger's, or the roles were refused before this
        if not allowed or any(PARTY_OF_ROLE[role] is not Party.HOST for role in allowed):
            continue
        hostless = [stage.value for stage in step.sources if stage in _HOSTLESS]
        if len(hostless) == len(step.sources) or (anywhere and hostless):
            stages = ", ".join(hostless) or "none: it opens the case"
            problems.append(
                (
                    f"roles.{step.name}",
                    f"only a host school's roles may fire it, and no host school is known yet "
                    f"in the stages it is fired in ({stages}): no one could fire it there",
                )
            )
    return problems


add_role_check(host_roles_before_a_host)
add_opening_check(functools.partial(host_roles_before_a_host, anywhere=True))


OWING_PARTIES = (Party.AP, Party.HOST, Party.LA)
"""The parties the steps open obligations for (each obligation is owed by one of them)."""


def owers_who_cannot_discharge(roles: Mapping[str, frozenset[Role]]) -> list[tuple[str, str]]:
    """The parties owing obligations none of whose roles a protocol lets discharge one (their
    obligations, R17's consent to a deletion among them, could never be closed: a new case may
    not open under it): each `(roles.discharge, problem)`. An obligation is discharged by a role
    of its owner's party."""
    allowed = roles[Trigger.DISCHARGE.value]
    problems = []
    for party in OWING_PARTIES:
        if allowed.isdisjoint(ROLES_OF_PARTY[party]):
            choices = " or ".join(sorted(role.value for role in ROLES_OF_PARTY[party]))
            problems.append(
                (
                    f"roles.{Trigger.DISCHARGE.value}",
                    f"no role of the {party.value} party may discharge, and it owes obligations, "
                    f"which no one else may discharge: they could never be closed (add {choices})",
                )
            )
    return problems


# An opening check, not a role check: an earlier version took such a protocol, and the cases
# opened under it still replay and finish under it (their other obligations close).
add_opening_check(owers_who_cannot_discharge)
