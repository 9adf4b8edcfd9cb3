"""Hypothesis strategies for the protocol's forms, actors and whole protocol runs.

Importers use these to property-test their MIS integration, as `structlog.testing` serves
structlog's users. Hypothesis is only a test extra: importing `reintegration_fsm` never imports
this module, and this module is the only one that imports hypothesis.

Every name these strategies generate is invented (small fixed lists of made-up names, or random
text). A strategy that takes a case fact (a pupil, a date, a start date) builds forms that pass the
rules for a case with that fact; the `invalid_*` strategies build `(form, respect)` pairs in which
exactly one condition, named by `respect`, is broken, so the rule refuses the form with exactly one
reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st
from stdnum.gb import upn as upn_check

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CalendarError
from reintegration_fsm.forms import (
    Attendee,
    ChildViews,
    ConsentForm,
    InitialMeeting,
    Measure,
    PastoralSupportPlan,
    Professional,
    Pupil,
    ReintegrationInformation,
    ReintegrationTimetable,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.letter import FailureLetter
from reintegration_fsm.vocabulary import (
    OBLIGATION_OWNER,
    Actor,
    Evidence,
    ObligationKind,
    Party,
    Rating,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
    Role,
    Session,
    Stage,
)

__all__ = [
    "AP_SETTINGS",
    "AUTHORITIES",
    "CONSENT_RESPECTS",
    "EARLIEST",
    "EMERGENCY_REVIEW_RESPECTS",
    "FAILURE_LETTER_RESPECTS",
    "HOST_SCHOOLS",
    "INFORMATION_RESPECTS",
    "INITIAL_MEETING_RESPECTS",
    "LATEST",
    "PSP_RESPECTS",
    "REVIEW_RESPECTS",
    "SUCCESSFUL_OUTCOME_RESPECTS",
    "UNSUCCESSFUL_OUTCOME_RESPECTS",
    "ProtocolRun",
    "RunStep",
    "actors",
    "attendees",
    "blank_texts",
    "child_views",
    "consent_forms",
    "failure_letters",
    "initial_meetings",
    "invalid_consent_forms",
    "invalid_emergency_reviews",
    "invalid_failure_letters",
    "invalid_initial_meetings",
    "invalid_pastoral_support_plans",
    "invalid_reintegration_information",
    "invalid_review_meetings",
    "invalid_successful_outcomes",
    "invalid_unsuccessful_outcomes",
    "pastoral_support_plans",
    "play",
    "protocol_runs",
    "pupils",
    "reintegration_information",
    "review_meetings",
    "successful_outcomes",
    "texts",
    "timetables",
    "unsuccessful_outcomes",
]

# -- invented names -------------------------------------------------------------------------------
FIRST_NAMES = ("Alex", "Sam", "Robin", "Jesse", "Kit", "Rowan", "Ellis", "Noor", "Tamsin", "Idris")
FAMILY_NAMES = ("Example", "Sample", "Testwood", "Mockridge", "Fakeham", "Demoford", "Specimen")
AP_SETTINGS = ("Testwood Learning Centre", "Mockridge Pupil Referral Unit", "Sampleton AP Hub")
HOST_SCHOOLS = ("Fakeham Academy", "Demoford High School", "Specimen Park School")
AUTHORITIES = ("Example County Council", "Sample Borough Council")
_PHRASES = (
    "Settled and attending well.",
    "Bus pass on route 44; parent drives on Fridays.",
    "Attend every day and use the time-out card.",
    "Provide a key worker and a quiet space.",
    "Keep in touch weekly and attend reviews.",
    "Daily mentoring with a key worker",
    "Adapted timetable",
    "Left the site without permission three times in one week.",
)

EARLIEST = dt.date(2025, 9, 1)
"""The first day of the shipped sample calendar; default lower bound of generated dates."""
LATEST = dt.date(2027, 7, 21)
"""The last day of the shipped sample calendar; default upper bound of generated dates."""
_DAY = dt.timedelta(days=1)
_RUN_SPAN = dt.timedelta(days=260)
"""Room a protocol run needs between its first step and the calendar's last day."""

_REQUIRED_EVIDENCE = (
    Evidence.PSP,
    Evidence.BEHAVIOUR_LOG,
    Evidence.ATTENDANCE_RECORD,
    Evidence.EXCLUSION_DATA,
    Evidence.ASSESSMENT_DATA,
)
_AP_ROLES = (Role.AP_HEAD, Role.AP_STAFF)
_HOST_ROLES = (Role.HOST_HEAD, Role.HOST_STAFF)


def _days(low: dt.date, high: dt.date) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=low, max_value=max(low, high))


def _between(draw: st.DrawFn, low: dt.date, most: int) -> dt.date:
    return low + draw(st.integers(0, most)) * _DAY


# -- text and names -------------------------------------------------------------------------------
@functools.cache
def texts() -> st.SearchStrategy[str]:
    """Non-blank text: a plain sentence or arbitrary Unicode (no lone surrogates)."""
    return st.one_of(
        st.sampled_from(_PHRASES),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(
            lambda text: bool(text.strip())
        ),
    )


@functools.cache
def blank_texts() -> st.SearchStrategy[str]:
    """Text a rule treats as missing: empty or whitespace only."""
    return st.sampled_from(("", " ", "\t", "  \n "))


@functools.cache
def _names() -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, family: f"{first} {family}",
        st.sampled_from(FIRST_NAMES),
        st.sampled_from(FAMILY_NAMES),
    )


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@functools.cache
def _maybe_texts() -> st.SearchStrategy[str]:
    return st.just("") | texts()


@functools.cache
def _maybe_names() -> st.SearchStrategy[str]:
    return st.just("") | _names()


@st.composite
def _upns(draw: st.DrawFn) -> str:
    local_authority = draw(st.sampled_from((201, 202, 330, 885, 936)))
    digits = draw(st.text("0123456789", min_size=8, max_size=8))
    last = draw(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUVWXYZ"))
    rest = f"{local_authority}{digits}{last}"
    return f"{upn_check.calc_check_digit(rest)}{rest}"


# -- values ---------------------------------------------------------------------------------------
@st.composite
def pupils(
    draw: st.DrawFn, key_stage: int | None = None, looked_after: bool | None = None
) -> Pupil:
    """A pupil eligible for the protocol (R1: not on a mainstream roll), maybe with a UPN."""
    return Pupil(
        name=draw(_names()),
        date_of_birth=draw(_days(dt.date(2008, 9, 1), dt.date(2021, 8, 31))),
        key_stage=draw(st.integers(0, 5)) if key_stage is None else key_stage,
        looked_after=draw(st.booleans()) if looked_after is None else looked_after,
        upn=draw(st.none() | _upns()),
        address=draw(_maybe_texts()),
    )


@functools.lru_cache(maxsize=256)
def actors(role: Role | None = None, organisation: str | None = None) -> st.SearchStrategy[Actor]:
    """An actor of `role` (any role when None) acting for `organisation`.

    Without `organisation`, AP, host and LA actors act for one of the invented `AP_SETTINGS`,
    `HOST_SCHOOLS` or `AUTHORITIES`; parents and children for no organisation.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Actor:
        chosen = draw(st.sampled_from(tuple(Role))) if role is None else role
        if organisation is not None:
            where = organisation
        elif chosen in _AP_ROLES:
            where = draw(st.sampled_from(AP_SETTINGS))
        elif chosen in _HOST_ROLES:
            where = draw(st.sampled_from(HOST_SCHOOLS))
        elif chosen is Role.LA_ADMISSIONS:
            where = draw(st.sampled_from(AUTHORITIES))
        else:
            where = ""
        number = draw(st.integers(1, 999))
        return Actor(f"{chosen.value}-{number}", draw(_names()), chosen, where)

    return build()


@functools.cache
def attendees(party: Party | None = None) -> st.SearchStrategy[Attendee]:
    """Someone at a meeting, for `party` (any party when None)."""
    return st.builds(
        Attendee, _names(), st.sampled_from(tuple(Party)) if party is None else st.just(party)
    )


@st.composite
def timetables(draw: st.DrawFn) -> ReintegrationTimetable:
    """A week of the Reintegration Timetable, beginning on a Monday."""
    day = draw(_days(EARLIEST, LATEST))
    sessions = st.sampled_from(tuple(Session))
    return ReintegrationTimetable(day - day.weekday() * _DAY, *(draw(sessions) for _ in range(10)))


# -- the forms before the placement ---------------------------------------------------------------
@st.composite
def consent_forms(
    draw: st.DrawFn, pupil: Pupil | None = None, on: dt.date | None = None
) -> ConsentForm:
    """A consent form that passes R2 for `pupil` on `on` (signed and dated on or before `on`)."""
    child = draw(pupils()) if pupil is None else pupil
    other_has = draw(st.booleans())
    high = LATEST if on is None else on
    return ConsentForm(
        child_name=draw(st.sampled_from((child.name, child.name.upper(), f" {child.name}  "))),
        child_dob=child.date_of_birth,
        parent_name=draw(_names()),
        relationship=draw(st.sampled_from(("Mother", "Father", "Carer", "Grandparent"))),
        has_parental_responsibility=True,
        other_parent_has_responsibility=other_has,
        other_parent_agrees=True if other_has else draw(st.sampled_from((None, True, False))),
        understands_reasons=True,
        agrees=True,
        consent_to_share=True,
        preferred_schools=tuple(
            draw(st.lists(st.sampled_from(HOST_SCHOOLS), min_size=1, max_size=3, unique=True))
        ),
        signed_by=draw(_names()),
        signed_on=draw(_days(high - 60 * _DAY, high)),
        ap_setting=draw(st.sampled_from(("", *AP_SETTINGS))),
    )


@st.composite
def pastoral_support_plans(
    draw: st.DrawFn, active_on: dt.date | None = None
) -> PastoralSupportPlan:
    """A Pastoral Support Plan, active on `active_on` when given (R3)."""
    if active_on is None:
        start = draw(_days(EARLIEST, LATEST))
        end = draw(st.none() | _days(start, start + 365 * _DAY))
    else:
        start = active_on - draw(st.integers(0, 365)) * _DAY
        end = draw(st.none() | _days(active_on, active_on + 365 * _DAY))
    return PastoralSupportPlan(start, end, draw(_maybe_texts()))


def _evidence_needed(pupil: Pupil | None) -> frozenset[Evidence]:
    needed = set(_REQUIRED_EVIDENCE)
    if pupil is None or pupil.looked_after:
        needed.add(Evidence.PERSONAL_EDUCATION_PLAN)
    if pupil is None or pupil.key_stage == 4:
        needed.add(Evidence.KS4_OPTIONS)
    return frozenset(needed)


@st.composite
def reintegration_information(
    draw: st.DrawFn, pupil: Pupil | None = None
) -> ReintegrationInformation:
    """A Reintegration Information form that passes R4 for `pupil` (for any pupil when None)."""
    ratings = st.sampled_from(tuple(Rating))
    extra = draw(st.frozensets(st.sampled_from(tuple(Evidence))))
    return ReintegrationInformation(
        attainment=draw(ratings),
        effort=draw(ratings),
        attitude_to_staff=draw(ratings),
        attitude_to_peers=draw(ratings),
        homework=draw(ratings),
        reasons_for_success=draw(texts()),
        transport_plan=draw(texts()),
        evidence=_evidence_needed(pupil) | extra,
        proposed_school=draw(st.sampled_from(("", *HOST_SCHOOLS))),
        attendance_percent=draw(st.none() | st.integers(0, 100)),
        exclusions_this_year=draw(st.none() | st.integers(0, 20)),
        professionals=tuple(
            draw(st.lists(st.builds(Professional, _names(), _maybe_texts()), max_size=2))
        ),
        measures_taken=tuple(
            draw(st.lists(st.builds(Measure, texts(), _maybe_texts()), max_size=2))
        ),
        parent_involved_in_transport=draw(st.none() | st.booleans()),
    )


@st.composite
def child_views(draw: st.DrawFn, before: dt.date | None = None) -> ChildViews:
    """The child's views, gathered on or before `before` when given."""
    high = LATEST if before is None else before
    return ChildViews(
        gathered_on=draw(_days(high - 30 * _DAY, high)),
        good_at=draw(_maybe_texts()),
        aspirations=draw(_maybe_texts()),
        signed_by=draw(_maybe_names()),
    )


def _review_dates_in_window(
    draw: st.DrawFn, start: dt.date, calendar: SchoolCalendar | None
) -> tuple[dt.date, dt.date, dt.date]:
    if calendar is not None:
        try:
            days = _school_days_within(calendar, start, 42)
        except CalendarError:
            days = []
        if len(days) >= 3:
            if draw(st.booleans()):
                try:
                    first, second, final = calendar.suggest_review_dates(start)
                except CalendarError:
                    pass  # near the calendar's end: pick from the school days it does know
                else:
                    return first, second, final
            picked = sorted(
                draw(st.lists(st.sampled_from(days), min_size=3, max_size=3, unique=True))
            )
            return picked[0], picked[1], picked[2]
    offsets = sorted(draw(st.lists(st.integers(1, 42), min_size=3, max_size=3, unique=True)))
    first, second, final = (start + offset * _DAY for offset in offsets)
    return first, second, final


def _school_days_within(calendar: SchoolCalendar, start: dt.date, days: int) -> list[dt.date]:
    limit = start + days * _DAY
    found: list[dt.date] = []
    day = start
    while True:
        try:
            day = calendar.add_school_days(day, 1)
        except CalendarError:
            return found
        if day > limit:
            return found
        found.append(day)


@st.composite
def initial_meetings(
    draw: st.DrawFn,
    held_on: dt.date | None = None,
    start_date: dt.date | None = None,
    calendar: SchoolCalendar | None = None,
) -> InitialMeeting:
    """An initial meeting that passes R7 (with views from `child_views(before=held_on)`).

    Args:
        held_on: the meeting's date (drawn when None); record it on or after this date.
        start_date: the agreed start (on or after `held_on`; drawn when None).
        calendar: when given, the review dates are school days of it where it can tell.
    """
    held = draw(_days(EARLIEST, LATEST)) if held_on is None else held_on
    start = _between(draw, held, 21) if start_date is None else start_date
    first, second, final = _review_dates_in_window(draw, start, calendar)
    return InitialMeeting(
        held_on=held,
        parent_present=True,
        child_present=True,
        signatures=frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST})
        | draw(st.frozensets(st.sampled_from(tuple(Party)))),
        start_date=start,
        transport_arrangements=draw(texts()),
        child_will=draw(texts()),
        school_will=draw(texts()),
        parent_will=draw(texts()),
        host_contact=draw(_names()),
        first_review=first,
        second_review=second,
        final_review=final,
        ap_representative=draw(_maybe_names()),
        start_time=draw(st.none() | st.times()),
        timetable=draw(st.none() | timetables()),
    )


# -- reviews and endings --------------------------------------------------------------------------
_DECISIONS: Mapping[ReviewKind, tuple[ReviewDecision, ...]] = {
    ReviewKind.INTERIM: (ReviewDecision.CONTINUE,),
    ReviewKind.FINAL: (ReviewDecision.CONTINUE, ReviewDecision.MAKE_PERMANENT),
    ReviewKind.EMERGENCY: (ReviewDecision.CONTINUE, ReviewDecision.END),
}
_NEEDED_AT: Mapping[ReviewKind, tuple[Party, ...]] = {
    ReviewKind.INTERIM: (Party.AP, Party.HOST, Party.PARENT),
    ReviewKind.FINAL: (Party.AP, Party.HOST, Party.PARENT),
    ReviewKind.EMERGENCY: (Party.AP, Party.HOST, Party.PARENT, Party.LA),
}


@st.composite
def _meeting_attendees(draw: st.DrawFn, needed: Sequence[Party]) -> tuple[Attendee, ...]:
    required = [draw(attendees(party)) for party in needed]
    extra = draw(st.lists(attendees(), max_size=3))
    return tuple(draw(st.permutations(required + extra)))


@st.composite
def review_meetings(
    draw: st.DrawFn,
    kind: ReviewKind = ReviewKind.INTERIM,
    held_on: dt.date | None = None,
    started_on: dt.date | None = None,
    decision: ReviewDecision | None = None,
) -> ReviewMeeting:
    """A review meeting of `kind` that passes R9 (INTERIM, FINAL) or R10 (EMERGENCY).

    An EMERGENCY review deciding END also needs a letter from `failure_letters(effective_from=on)`
    to pass R11. Record the meeting on or after `held_on`, for a placement started on `started_on`.

    Args:
        kind: INTERIM, FINAL or EMERGENCY.
        held_on: the meeting's date (drawn on or after `started_on` when None).
        started_on: the day the placement started, if known.
        decision: the decision (drawn from those `kind` may take when None).
    """
    if decision is not None and decision not in _DECISIONS[kind]:
        raise ValueError(f"a valid {kind.value} review cannot decide {decision.value}")
    if held_on is None:
        held = _between(draw, EARLIEST if started_on is None else started_on, 60)
    else:
        held = held_on
    chosen = draw(st.sampled_from(_DECISIONS[kind])) if decision is None else decision
    views = draw(child_views(before=held))
    next_meeting = None
    if kind is ReviewKind.FINAL and chosen is ReviewDecision.CONTINUE:
        next_meeting = held + draw(st.integers(1, 42)) * _DAY
    return ReviewMeeting(
        held_on=held,
        kind=kind,
        attendees=draw(_meeting_attendees(_NEEDED_AT[kind])),
        child_views=draw(st.none() | st.just(views)) if kind is ReviewKind.EMERGENCY else views,
        concerns=draw(texts()) if chosen is ReviewDecision.END else draw(_maybe_texts()),
        additional_support=draw(texts())
        if kind is ReviewKind.EMERGENCY and chosen is ReviewDecision.CONTINUE
        else draw(_maybe_texts()),
        decision=chosen,
        next_meeting=next_meeting,
        progress=draw(_maybe_texts()),
        timetable=draw(st.none() | timetables()),
    )


@st.composite
def failure_letters(draw: st.DrawFn, effective_from: dt.date | None = None) -> FailureLetter:
    """A failure letter that passes R11 for an ending recorded on `effective_from`."""
    low = EARLIEST if effective_from is None else effective_from
    return FailureLetter(
        parent_name=draw(_names()),
        reasons=tuple(draw(st.lists(texts(), min_size=1, max_size=3))),
        incident_investigated=True,
        harassment_checked=True,
        child_version_heard=True,
        support_provided=tuple(draw(st.lists(texts(), min_size=1, max_size=3))),
        effective_date=_between(draw, low, 30),
        head_teacher=draw(_names()),
        home_head_teacher=draw(_maybe_names()),
    )


@st.composite
def successful_outcomes(draw: st.DrawFn, on_roll_from: dt.date | None = None) -> SuccessfulOutcome:
    """A successful outcome form that passes R13 for a placement started on `on_roll_from`.

    R13 also needs the case's final review to have decided MAKE_PERMANENT.
    """
    low = EARLIEST if on_roll_from is None else on_roll_from
    return SuccessfulOutcome(
        date_on_roll=_between(draw, low, 60),
        joiner_form_completed=True,
        parent_name=draw(_maybe_names()),
    )


@st.composite
def unsuccessful_outcomes(draw: st.DrawFn) -> UnsuccessfulOutcome:
    """An unsuccessful outcome form that passes R12."""
    return UnsuccessfulOutcome(
        provision_for_return=draw(texts()),
        return_date=draw(_days(EARLIEST, LATEST)),
        completed_by=draw(_names()),
        reasons_for_failure=draw(_maybe_texts()),
    )


# -- forms broken in one named respect ------------------------------------------------------------
CONSENT_RESPECTS = (
    "wrong_child",
    "wrong_date_of_birth",
    "no_parental_responsibility",
    "other_parent_disagrees",
    "does_not_understand",
    "does_not_agree",
    "no_consent_to_share",
    "no_preferred_school",
    "not_signed",
    "not_dated",
    "dated_after",
)
PSP_RESPECTS = ("not_started", "ended")
INFORMATION_RESPECTS = (
    "missing_rating",
    "no_reasons_for_success",
    "no_transport_plan",
    "missing_evidence",
)
INITIAL_MEETING_RESPECTS = (
    "held_after",
    "views_after_meeting",
    "parent_absent",
    "child_absent",
    "missing_signature",
    "start_before_meeting",
    "no_transport",
    "no_child_expectations",
    "no_school_expectations",
    "no_parent_expectations",
    "no_host_contact",
    "first_review_too_early",
    "second_review_too_early",
    "final_review_too_early",
    "final_review_too_late",
)
REVIEW_RESPECTS = (
    "held_after",
    "before_placement",
    "emergency_kind",
    "no_child_views",
    "views_after_review",
    "missing_attendee",
    "decides_end",
    "interim_makes_permanent",
    "final_continue_without_next_meeting",
    "next_meeting_not_after",
)
FAILURE_LETTER_RESPECTS = (
    "no_reasons",
    "incident_not_investigated",
    "harassment_not_checked",
    "child_not_heard",
    "no_support_listed",
    "backdated",
)
EMERGENCY_REVIEW_RESPECTS = (
    "held_after",
    "before_placement",
    "not_emergency_kind",
    "missing_party",
    "makes_permanent",
    "continue_without_support",
    "end_without_concerns",
    "end_without_letter",
    *(f"letter_{respect}" for respect in FAILURE_LETTER_RESPECTS),
)
SUCCESSFUL_OUTCOME_RESPECTS = ("joiner_form_not_completed", "on_roll_before_start")
UNSUCCESSFUL_OUTCOME_RESPECTS = ("no_provision", "no_return_date", "not_completed_by")


@st.composite
def invalid_consent_forms(draw: st.DrawFn, pupil: Pupil, on: dt.date) -> tuple[ConsentForm, str]:
    """`(form, respect)`: a consent form for `pupil` on `on` broken in one of `CONSENT_RESPECTS`."""
    form = draw(consent_forms(pupil, on))
    respect = draw(st.sampled_from(CONSENT_RESPECTS))
    changes: dict[str, Any]
    if respect == "wrong_child":
        other = draw(_names().filter(lambda name: not _same_name(name, pupil.name)))
        changes = {"child_name": other}
    elif respect == "wrong_date_of_birth":
        born = draw(
            _days(dt.date(2005, 1, 1), dt.date(2021, 8, 31)).filter(
                lambda day: day != pupil.date_of_birth
            )
        )
        changes = {"child_dob": born}
    elif respect == "no_parental_responsibility":
        changes = {"has_parental_responsibility": False}
    elif respect == "other_parent_disagrees":
        changes = {
            "other_parent_has_responsibility": True,
            "other_parent_agrees": draw(st.sampled_from((None, False))),
        }
    elif respect == "does_not_understand":
        changes = {"understands_reasons": False}
    elif respect == "does_not_agree":
        changes = {"agrees": False}
    elif respect == "no_consent_to_share":
        changes = {"consent_to_share": False}
    elif respect == "no_preferred_school":
        changes = {"preferred_schools": tuple(draw(st.lists(blank_texts(), max_size=2)))}
    elif respect == "not_signed":
        changes = {"signed_by": draw(blank_texts())}
    elif respect == "not_dated":
        changes = {"signed_on": None}
    else:
        changes = {"signed_on": on + draw(st.integers(1, 30)) * _DAY}
    return attrs.evolve(form, **changes), respect


@st.composite
def invalid_pastoral_support_plans(draw: st.DrawFn, on: dt.date) -> tuple[PastoralSupportPlan, str]:
    """`(plan, respect)`: a PSP not active on `on` (R3), in one of `PSP_RESPECTS`."""
    respect = draw(st.sampled_from(PSP_RESPECTS))
    if respect == "not_started":
        start = on + draw(st.integers(1, 60)) * _DAY
        return PastoralSupportPlan(
            start, draw(st.none() | _days(start, start + 90 * _DAY))
        ), respect
    end = on - draw(st.integers(1, 60)) * _DAY
    return PastoralSupportPlan(end - draw(st.integers(0, 200)) * _DAY, end), respect


@st.composite
def invalid_reintegration_information(
    draw: st.DrawFn, pupil: Pupil
) -> tuple[ReintegrationInformation, str]:
    """`(form, respect)`: information for `pupil` broken in one of `INFORMATION_RESPECTS` (R4)."""
    form = draw(reintegration_information(pupil))
    respect = draw(st.sampled_from(INFORMATION_RESPECTS))
    changes: dict[str, Any]
    if respect == "missing_rating":
        name = draw(
            st.sampled_from(
                ("attainment", "effort", "attitude_to_staff", "attitude_to_peers", "homework")
            )
        )
        changes = {name: None}
    elif respect == "no_reasons_for_success":
        changes = {"reasons_for_success": draw(blank_texts())}
    elif respect == "no_transport_plan":
        changes = {"transport_plan": draw(blank_texts())}
    else:
        missing = draw(st.sampled_from(sorted(_evidence_needed(pupil))))
        changes = {"evidence": form.evidence - {missing}}
    return attrs.evolve(form, **changes), respect


@st.composite
def invalid_initial_meetings(
    draw: st.DrawFn, on: dt.date
) -> tuple[tuple[InitialMeeting, ChildViews], str]:
    """`((meeting, views), respect)` recorded on `on`, broken in one `INITIAL_MEETING_RESPECTS`."""
    respect = draw(st.sampled_from(INITIAL_MEETING_RESPECTS))
    if respect == "held_after":
        held = on + draw(st.integers(1, 14)) * _DAY
    else:
        held = on - draw(st.integers(0, 14)) * _DAY
    meeting = draw(initial_meetings(held_on=held))
    views = draw(child_views(before=held))
    start = meeting.start_date
    changes: dict[str, Any] = {}
    if respect == "views_after_meeting":
        views = attrs.evolve(views, gathered_on=held + draw(st.integers(1, 14)) * _DAY)
    elif respect == "parent_absent":
        changes = {"parent_present": False}
    elif respect == "child_absent":
        changes = {"child_present": False}
    elif respect == "missing_signature":
        party = draw(st.sampled_from((Party.PARENT, Party.CHILD, Party.AP, Party.HOST)))
        changes = {"signatures": meeting.signatures - {party}}
    elif respect == "start_before_meeting":
        start = held - draw(st.integers(1, 14)) * _DAY
        first, second, final = _review_dates_in_window(draw, start, None)
        changes = {
            "start_date": start,
            "first_review": first,
            "second_review": second,
            "final_review": final,
        }
    elif respect in (
        "no_transport",
        "no_child_expectations",
        "no_school_expectations",
        "no_parent_expectations",
        "no_host_contact",
    ):
        name = {
            "no_transport": "transport_arrangements",
            "no_child_expectations": "child_will",
            "no_school_expectations": "school_will",
            "no_parent_expectations": "parent_will",
            "no_host_contact": "host_contact",
        }[respect]
        changes = {name: draw(blank_texts())}
    elif respect == "first_review_too_early":
        changes = {"first_review": start - draw(st.integers(0, 5)) * _DAY}
    elif respect == "second_review_too_early":
        changes = {"second_review": meeting.first_review - draw(st.integers(0, 5)) * _DAY}
    elif respect == "final_review_too_early":
        changes = {"final_review": meeting.second_review - draw(st.integers(0, 5)) * _DAY}
    elif respect == "final_review_too_late":
        changes = {"final_review": start + draw(st.integers(43, 80)) * _DAY}
    return (attrs.evolve(meeting, **changes), views), respect


def _without_party(meeting: ReviewMeeting, party: Party) -> ReviewMeeting:
    kept = tuple(attendee for attendee in meeting.attendees if attendee.party is not party)
    return attrs.evolve(meeting, attendees=kept)


@st.composite
def invalid_review_meetings(
    draw: st.DrawFn,
    on: dt.date,
    started_on: dt.date | None = None,
    kind: ReviewKind | None = None,
) -> tuple[ReviewMeeting, str]:
    """`(meeting, respect)`: a review recorded on `on` for a placement started on `started_on`
    (on or before `on`), broken in one of `REVIEW_RESPECTS` (R9).

    `kind` is INTERIM or FINAL (drawn when None); some respects change it.
    """
    chosen = draw(st.sampled_from((ReviewKind.INTERIM, ReviewKind.FINAL))) if kind is None else kind
    respects = [
        respect
        for respect in REVIEW_RESPECTS
        if not (respect == "before_placement" and started_on is None)
        and not (respect == "interim_makes_permanent" and chosen is not ReviewKind.INTERIM)
        and not (
            respect in ("final_continue_without_next_meeting", "next_meeting_not_after")
            and chosen is not ReviewKind.FINAL
        )
    ]
    respect = draw(st.sampled_from(respects))
    low = on - 14 * _DAY if started_on is None else max(started_on, on - 14 * _DAY)
    if respect == "held_after":
        held = on + draw(st.integers(1, 14)) * _DAY
    elif respect == "before_placement" and started_on is not None:
        held = started_on - draw(st.integers(1, 14)) * _DAY
    else:
        held = draw(_days(low, on))
    meeting = draw(
        review_meetings(
            chosen,
            held_on=held,
            decision=ReviewDecision.CONTINUE if chosen is ReviewKind.INTERIM else None,
        )
    )
    changes: dict[str, Any] = {}
    if respect == "emergency_kind":
        changes = {"kind": ReviewKind.EMERGENCY, "decision": ReviewDecision.CONTINUE}
    elif respect == "no_child_views":
        changes = {"child_views": None}
    elif respect == "views_after_review":
        changes = {
            "child_views": draw(
                child_views(before=held + 14 * _DAY).filter(lambda views: views.gathered_on > held)
            )
        }
    elif respect == "missing_attendee":
        party = draw(st.sampled_from((Party.AP, Party.HOST, Party.PARENT)))
        meeting = _without_party(meeting, party)
    elif respect == "decides_end":
        changes = {"decision": ReviewDecision.END}
    elif respect == "interim_makes_permanent":
        changes = {"decision": ReviewDecision.MAKE_PERMANENT}
    elif respect == "final_continue_without_next_meeting":
        changes = {"decision": ReviewDecision.CONTINUE, "next_meeting": None}
    elif respect == "next_meeting_not_after":
        changes = {
            "decision": ReviewDecision.CONTINUE,
            "next_meeting": held - draw(st.integers(0, 10)) * _DAY,
        }
    return attrs.evolve(meeting, **changes), respect


@st.composite
def invalid_failure_letters(draw: st.DrawFn, on: dt.date) -> tuple[FailureLetter, str]:
    """`(letter, respect)`: a letter for an ending on `on`, broken in one of
    `FAILURE_LETTER_RESPECTS` (R11)."""
    letter = draw(failure_letters(effective_from=on))
    respect = draw(st.sampled_from(FAILURE_LETTER_RESPECTS))
    changes: dict[str, Any]
    if respect == "no_reasons":
        changes = {"reasons": tuple(draw(st.lists(blank_texts(), max_size=2)))}
    elif respect == "incident_not_investigated":
        changes = {"incident_investigated": False}
    elif respect == "harassment_not_checked":
        changes = {"harassment_checked": False}
    elif respect == "child_not_heard":
        changes = {"child_version_heard": False}
    elif respect == "no_support_listed":
        changes = {"support_provided": tuple(draw(st.lists(blank_texts(), max_size=2)))}
    else:
        changes = {"effective_date": on - draw(st.integers(1, 30)) * _DAY}
    return attrs.evolve(letter, **changes), respect


@st.composite
def invalid_emergency_reviews(
    draw: st.DrawFn, on: dt.date, started_on: dt.date | None = None
) -> tuple[tuple[ReviewMeeting, FailureLetter | None], str]:
    """`((meeting, letter), respect)`: an emergency review recorded on `on` broken in one of
    `EMERGENCY_REVIEW_RESPECTS` (R10, R11); `letter_*` respects break the letter."""
    respects = [
        r for r in EMERGENCY_REVIEW_RESPECTS if not (r == "before_placement" and started_on is None)
    ]
    respect = draw(st.sampled_from(respects))
    if respect in ("end_without_concerns", "end_without_letter") or respect.startswith("letter_"):
        decision = ReviewDecision.END
    elif respect in ("continue_without_support", "makes_permanent"):
        decision = ReviewDecision.CONTINUE
    else:
        decision = draw(st.sampled_from((ReviewDecision.CONTINUE, ReviewDecision.END)))
    if respect == "held_after":
        held = on + draw(st.integers(1, 14)) * _DAY
    elif respect == "before_placement" and started_on is not None:
        held = started_on - draw(st.integers(1, 14)) * _DAY
    else:
        low = on - 14 * _DAY if started_on is None else max(started_on, on - 14 * _DAY)
        held = draw(_days(low, on))
    meeting = draw(review_meetings(ReviewKind.EMERGENCY, held_on=held, decision=decision))
    letter: FailureLetter | None = (
        draw(failure_letters(effective_from=on)) if decision is ReviewDecision.END else None
    )
    if respect == "not_emergency_kind":
        meeting = attrs.evolve(
            meeting, kind=draw(st.sampled_from((ReviewKind.INTERIM, ReviewKind.FINAL)))
        )
    elif respect == "missing_party":
        party = draw(st.sampled_from((Party.AP, Party.HOST, Party.PARENT, Party.LA)))
        meeting = _without_party(meeting, party)
    elif respect == "makes_permanent":
        meeting = attrs.evolve(meeting, decision=ReviewDecision.MAKE_PERMANENT)
    elif respect == "continue_without_support":
        meeting = attrs.evolve(meeting, additional_support=draw(blank_texts()))
    elif respect == "end_without_concerns":
        meeting = attrs.evolve(meeting, concerns=draw(blank_texts()))
    elif respect == "end_without_letter":
        letter = None
    elif respect.startswith("letter_"):
        letter, letter_respect = draw(invalid_failure_letters(on))
        respect = f"letter_{letter_respect}"
    return (meeting, letter), respect


@st.composite
def invalid_successful_outcomes(
    draw: st.DrawFn, started_on: dt.date
) -> tuple[SuccessfulOutcome, str]:
    """`(form, respect)` for a placement started on `started_on`, broken in one of
    `SUCCESSFUL_OUTCOME_RESPECTS` (R13; the final review having decided MAKE_PERMANENT)."""
    form = draw(successful_outcomes(on_roll_from=started_on))
    respect = draw(st.sampled_from(SUCCESSFUL_OUTCOME_RESPECTS))
    if respect == "joiner_form_not_completed":
        return attrs.evolve(form, joiner_form_completed=False), respect
    early = started_on - draw(st.integers(1, 30)) * _DAY
    return attrs.evolve(form, date_on_roll=early), respect


@st.composite
def invalid_unsuccessful_outcomes(draw: st.DrawFn) -> tuple[UnsuccessfulOutcome, str]:
    """`(form, respect)` broken in one of `UNSUCCESSFUL_OUTCOME_RESPECTS` (R12)."""
    form = draw(unsuccessful_outcomes())
    respect = draw(st.sampled_from(UNSUCCESSFUL_OUTCOME_RESPECTS))
    if respect == "no_provision":
        return attrs.evolve(form, provision_for_return=draw(blank_texts())), respect
    if respect == "no_return_date":
        return attrs.evolve(form, return_date=None), respect
    return attrs.evolve(form, completed_by=draw(blank_texts())), respect


# -- whole protocol runs --------------------------------------------------------------------------
@attrs.frozen
class RunStep:
    """One step of a protocol run: a trigger's name and its keyword arguments (with `by`, `on`)."""

    trigger: str
    kwargs: Mapping[str, Any] = attrs.field(hash=False)


@attrs.frozen
class ProtocolRun:
    """A valid protocol run: steps that, played from `open`, leave the case in `stage`."""

    steps: tuple[RunStep, ...]
    stage: Stage

    @property
    def triggers(self) -> tuple[str, ...]:
        """The steps' trigger names, in order."""
        return tuple(step.trigger for step in self.steps)


@functools.cache
def _sample_calendar() -> SchoolCalendar:
    # The calendar is immutable, so one copy serves every run.
    return SchoolCalendar.sample()


def play(run: ProtocolRun, calendar: SchoolCalendar | None = None) -> Reintegration:
    """Apply `run` from `Reintegration.open`, with `calendar` (the sample calendar when None).

    Raises:
        ValueError: the run does not start with `open`.
        ProtocolError: a step is refused (the run is not valid for this calendar).
    """
    if not run.steps or run.steps[0].trigger != "open":
        raise ValueError("a protocol run starts with 'open'")
    used = _sample_calendar() if calendar is None else calendar
    case = Reintegration.open(**run.steps[0].kwargs, calendar=used)
    for step in run.steps[1:]:
        getattr(case, step.trigger)(**step.kwargs)
    return case


_PRE_PLACEMENT = (
    Stage.PROPOSED,
    Stage.CONSENTED,
    Stage.REFERRED,
    Stage.HOST_IDENTIFIED,
    Stage.PLANNED,
)
_NOTE_STAGES = frozenset(
    {
        Stage.REFERRED,
        Stage.HOST_IDENTIFIED,
        Stage.PLANNED,
        Stage.IN_PLACEMENT,
        Stage.EMERGENCY_REVIEW,
        Stage.ENDING,
    }
)


class _RunBuilder:
    """Draws one valid run step by step, keeping its own account of the open obligations."""

    def __init__(self, draw: st.DrawFn, calendar: SchoolCalendar, day: dt.date) -> None:
        self.draw = draw
        self.calendar = calendar
        self.day = day
        self.stage = Stage.PROPOSED
        self.steps: list[RunStep] = []
        self.open: list[ObligationKind] = []
        self.ap_setting = draw(st.sampled_from(AP_SETTINGS))
        self.host_school = draw(st.sampled_from(HOST_SCHOOLS))
        self.authority = draw(st.sampled_from(AUTHORITIES))
        self.cast: dict[Role, Actor] = {
            role: draw(actors(role, self._organisation(role))) for role in Role
        }

    def _organisation(self, role: Role) -> str | None:
        if role in _AP_ROLES:
            return self.ap_setting
        if role in _HOST_ROLES:
            return self.host_school
        if role is Role.LA_ADMISSIONS:
            return self.authority
        return None

    def actor(self, *roles: Role) -> Actor:
        return self.cast[self.draw(st.sampled_from(roles))]

    def later(self, most: int = 3) -> dt.date:
        self.day = self.calendar.add_school_days(self.day, self.draw(st.integers(0, most)))
        return self.day

    def at_least(self, day: dt.date) -> dt.date:
        self.day = max(self.day, day)
        return self.day

    def add(self, trigger: str, by: Actor, dest: Stage | None = None, **kwargs: Any) -> None:
        self.steps.append(RunStep(trigger, {**kwargs, "by": by, "on": self.day}))
        if dest is not None:
            self.stage = dest

    def opens(self, *kinds: ObligationKind) -> None:
        self.open.extend(kinds)

    def discharge_some(self) -> None:
        for _ in range(self.draw(st.integers(0, 2))):
            if not self.open:
                return
            kind = self.draw(st.sampled_from(self.open))
            self.open.remove(kind)
            owner = OBLIGATION_OWNER[kind]
            if kind is ObligationKind.NOTE_AT_PANEL and self.stage in _NOTE_STAGES:
                self.add("note_at_panel", self.cast[Role.LA_ADMISSIONS])
            elif owner is Party.AP:
                self.add("discharge", self.actor(*_AP_ROLES), kind=kind)
            elif owner is Party.HOST:
                self.add("discharge", self.actor(*_HOST_ROLES), kind=kind)
            else:
                self.add("discharge", self.cast[Role.LA_ADMISSIONS], kind=kind)


@st.composite
def protocol_runs(draw: st.DrawFn, calendar: SchoolCalendar | None = None) -> ProtocolRun:
    """A valid protocol run ending in SUCCESSFUL, UNSUCCESSFUL or WITHDRAWN, or stopping mid-way.

    Every step's date is a school day of `calendar` (the sample calendar when None), on or after
    the step before; the calendar must span some 260 days past its first day. Play it with
    `play(run, calendar)`; the case ends in `run.stage`.
    """
    used = _sample_calendar() if calendar is None else calendar
    low = used.first_day
    opened = draw(_days(low, max(low, used.last_day - _RUN_SPAN)))
    run = _RunBuilder(draw, used, used.add_school_days(opened, 1))
    target = draw(st.sampled_from(tuple(Stage)))
    if target is Stage.WITHDRAWN:
        stop: Stage | None = draw(st.sampled_from(_PRE_PLACEMENT))
    else:
        stop = target if target in _PRE_PLACEMENT else None
    ap_head, la = run.cast[Role.AP_HEAD], run.cast[Role.LA_ADMISSIONS]
    pupil = draw(pupils())
    run.add(
        "open",
        ap_head,
        Stage.PROPOSED,
        case_id=f"case-{draw(st.integers(1, 99999))}",
        pupil=pupil,
        ap_setting=run.ap_setting,
        local_authority=run.authority,
    )

    def finish() -> ProtocolRun:
        if target is Stage.WITHDRAWN:
            run.later()
            run.add(
                "withdraw",
                run.actor(Role.AP_HEAD, Role.PARENT),
                Stage.WITHDRAWN,
                reason=draw(texts()),
            )
        run.discharge_some()
        return ProtocolRun(tuple(run.steps), run.stage)

    if stop is Stage.PROPOSED:
        return finish()
    run.add(
        "record_consent", ap_head, Stage.CONSENTED, form=draw(consent_forms(pupil, run.later()))
    )
    if stop is Stage.CONSENTED:
        return finish()
    route = draw(st.sampled_from(tuple(ReferralRoute)))
    on = run.later()
    run.add(
        "refer_to_fair_access",
        ap_head,
        Stage.REFERRED,
        route=route,
        information=draw(reintegration_information(pupil)),
        psp=draw(pastoral_support_plans(active_on=on)),
    )
    if route is ReferralRoute.VIRTUAL:
        run.opens(ObligationKind.NOTE_AT_PANEL)
    run.discharge_some()
    if stop is Stage.REFERRED:
        return finish()
    run.later(25)
    run.add("identify_host", la, Stage.HOST_IDENTIFIED, host_school=run.host_school, via=route)
    run.opens(ObligationKind.SHARE_INFORMATION_WITH_HOST, ObligationKind.OFFER_VISIT)
    run.discharge_some()
    if stop is Stage.HOST_IDENTIFIED:
        return finish()
    held = run.later(10)
    start = used.add_school_days(held, draw(st.integers(0, 10)))
    while len(_school_days_within(used, start, 42)) < 3:
        start = used.add_school_days(start, 1)
    meeting = draw(initial_meetings(held_on=held, start_date=start, calendar=used))
    run.add(
        "hold_initial_meeting",
        run.actor(*_AP_ROLES),
        Stage.PLANNED,
        meeting=meeting,
        views=draw(child_views(before=held)),
    )
    run.opens(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS)
    run.discharge_some()
    if stop is not None:
        return finish()

    run.at_least(start)
    run.add("start_placement", run.actor(*_HOST_ROLES), Stage.IN_PLACEMENT)
    run.opens(ObligationKind.COMPLETE_JOINERS_FORM, ObligationKind.MARK_DUAL_REGISTRATION)
    run.discharge_some()

    def review(
        kind: ReviewKind, due: dt.date, decision: ReviewDecision | None = None
    ) -> ReviewMeeting:
        on = run.at_least(due)
        form = draw(review_meetings(kind, held_on=on, started_on=start, decision=decision))
        if form.next_meeting is not None:
            form = attrs.evolve(
                form, next_meeting=used.add_school_days(on, draw(st.integers(1, 10)))
            )
        run.add("hold_review", run.actor(*_AP_ROLES, *_HOST_ROLES), meeting=form)
        run.opens(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS)
        run.discharge_some()
        return form

    def emergency(decision: ReviewDecision) -> None:
        head = run.cast[Role.HOST_HEAD]
        run.later()
        run.add("call_emergency_review", head, Stage.EMERGENCY_REVIEW, reason=draw(texts()))
        if target is Stage.EMERGENCY_REVIEW:
            return
        on = run.later()
        form = draw(
            review_meetings(ReviewKind.EMERGENCY, held_on=on, started_on=start, decision=decision)
        )
        run.opens(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS)
        if decision is ReviewDecision.END:
            letter = draw(failure_letters(effective_from=on))
            run.add("hold_emergency_review", head, Stage.ENDING, meeting=form, letter=letter)
            run.opens(
                ObligationKind.SEND_FAILURE_LETTER,
                ObligationKind.DELETE_FROM_ROLL,
                ObligationKind.NOTIFY_PORTAL,
                ObligationKind.ARRANGE_HOME_SCHOOL_MEETING,
            )
        else:
            run.add("hold_emergency_review", head, Stage.IN_PLACEMENT, meeting=form)
        run.discharge_some()

    for due in (meeting.first_review, meeting.second_review)[: draw(st.integers(0, 2))]:
        review(ReviewKind.INTERIM, due)
    if draw(st.booleans()) and target is not Stage.EMERGENCY_REVIEW:
        emergency(ReviewDecision.CONTINUE)
    if target is Stage.IN_PLACEMENT:
        return finish()
    if target is Stage.SUCCESSFUL:
        final_due = meeting.final_review
        if draw(st.booleans()):
            extended = review(ReviewKind.FINAL, final_due, ReviewDecision.CONTINUE)
            assert extended.next_meeting is not None
            final_due = extended.next_meeting
        review(ReviewKind.FINAL, final_due, ReviewDecision.MAKE_PERMANENT)
        run.later()
        run.add(
            "record_successful_outcome",
            run.actor(*_HOST_ROLES),
            Stage.SUCCESSFUL,
            form=draw(successful_outcomes(on_roll_from=start)),
        )
        run.opens(
            ObligationKind.COMPLETE_LEAVERS_FORM,
            ObligationKind.TRANSFER_RECORDS,
            ObligationKind.RETURN_OUTCOME_FORM,
            ObligationKind.ADJUST_WEIGHTINGS,
            ObligationKind.REDESIGNATE_TRANSPORT,
        )
        return finish()
    emergency(ReviewDecision.END)
    if target in (Stage.EMERGENCY_REVIEW, Stage.ENDING):
        return finish()
    run.later()
    run.add(
        "record_unsuccessful_outcome",
        run.actor(*_AP_ROLES),
        Stage.UNSUCCESSFUL,
        form=draw(unsuccessful_outcomes()),
    )
    return finish()
