"""Strategies for valid forms: each builds a form that passes its rule for the case facts given.

A strategy that takes a case fact (a pupil, a date, a start date) builds forms that pass the rules
for a case with that fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import CalendarError
from reintegration_fsm.fields import NAME_LENGTH
from reintegration_fsm.forms import (
    Attendee,
    ChildViews,
    ConsentForm,
    FailureLetter,
    InitialMeeting,
    Measure,
    PastoralSupportPlan,
    Professional,
    Pupil,
    ReintegrationInformation,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.protocol.definition import WORCESTERSHIRE, Protocol
from reintegration_fsm.rules import FURTHEST_AHEAD
from reintegration_fsm.testing.arguments import (
    checked,
    day,
    day_with_room,
    field,
    instance,
    not_before,
    optional,
)
from reintegration_fsm.testing.values import (
    AP_SETTINGS,
    EARLIEST,
    HOST_SCHOOLS,
    LATEST,
    ONE_DAY,
    attendees,
    day_within,
    days_between,
    days_left,
    maybe_person_names,
    maybe_texts,
    person_names,
    pupils,
    texts,
    timetables,
)
from reintegration_fsm.vocabulary import Evidence, Party, Rating, ReviewDecision, ReviewKind

__all__ = [
    "child_views",
    "consent_forms",
    "failure_letters",
    "initial_meetings",
    "pastoral_support_plans",
    "reintegration_information",
    "review_meetings",
    "successful_outcomes",
    "unsuccessful_outcomes",
]


# -- the forms before the placement --------------------------------------------------------------
@checked(pupil=optional(instance(Pupil)), on=optional(day))
@st.composite
def consent_forms(
    draw: st.DrawFn, pupil: Pupil | None = None, on: dt.date | None = None
) -> ConsentForm:
    """A consent form that passes R2 for `pupil` on `on` (signed and dated on or before `on`)."""
    child = draw(pupils(on=on)) if pupil is None else pupil
    other_has = draw(st.booleans())
    high = LATEST if on is None else on
    # The same name as R2 reads it, written as a parent may; a spelling that would not fit the
    # form (a pupil's name near the limit, or one that grows in capitals, as "ß" does) is left.
    spellings = (child.name, child.name.upper(), f" {child.name}  ")
    parent = draw(person_names())
    return ConsentForm(
        child_name=draw(st.sampled_from([s for s in spellings if len(s) <= NAME_LENGTH])),
        child_dob=child.date_of_birth,
        parent_name=parent,
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
        signed_by=parent,  # the parent named signs, as a form is signed (no rule asks it yet)
        signed_on=draw(days_between(high - 60 * ONE_DAY, high)),
        child_agrees=draw(st.sampled_from((True, True, None))),
        ap_setting=draw(st.sampled_from(("", *AP_SETTINGS))),
    )


@checked(active_on=optional(day))
@st.composite
def pastoral_support_plans(
    draw: st.DrawFn, active_on: dt.date | None = None
) -> PastoralSupportPlan:
    """A Pastoral Support Plan, active on `active_on` when given (R3)."""
    if active_on is None:
        start = draw(days_between(EARLIEST, LATEST))
        end = draw(st.none() | days_between(start, start + 365 * ONE_DAY))
    else:
        start = active_on - draw(st.integers(0, 365)) * ONE_DAY
        end = draw(st.none() | days_between(active_on, active_on + 365 * ONE_DAY))
    return PastoralSupportPlan(start, end, draw(maybe_texts()))


def evidence_needed(pupil: Pupil | None, protocol: Protocol) -> frozenset[Evidence]:
    """The evidence a referral of `pupil` needs under `protocol`; for no pupil, all any may."""
    if pupil is None:  # whatever the pupil: everything any pupil may need
        return frozenset(
            protocol.required_evidence
            | protocol.looked_after_evidence
            | protocol.key_stage_4_evidence
        )
    return frozenset(
        protocol.evidence_for(looked_after=pupil.looked_after, key_stage=pupil.key_stage)
    )


@checked(pupil=optional(instance(Pupil)), protocol=instance(Protocol))
@st.composite
def reintegration_information(
    draw: st.DrawFn, pupil: Pupil | None = None, protocol: Protocol = WORCESTERSHIRE
) -> ReintegrationInformation:
    """A Reintegration Information form that passes R4 for `pupil` under `protocol` (for any
    pupil when None)."""
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
        evidence=evidence_needed(pupil, protocol) | extra,
        attendance_percent=draw(st.none() | st.integers(0, 100)),
        exclusions_this_year=draw(st.none() | st.integers(0, 20)),
        professionals=tuple(
            draw(st.lists(st.builds(Professional, person_names(), maybe_texts()), max_size=2))
        ),
        measures_taken=tuple(
            draw(st.lists(st.builds(Measure, texts(), maybe_texts()), max_size=2))
        ),
        parent_involved_in_transport=draw(st.none() | st.booleans()),
    )


@checked(before=optional(day))
@st.composite
def child_views(draw: st.DrawFn, before: dt.date | None = None) -> ChildViews:
    """The child's views, gathered on or before `before` when given."""
    high = LATEST if before is None else before
    return ChildViews(
        gathered_on=draw(days_between(high - 30 * ONE_DAY, high)),
        good_at=draw(maybe_texts()),
        aspirations=draw(maybe_texts()),
        signed_by=draw(maybe_person_names()),
    )


START_AFTER_MEETING_DAYS = 21
"""The most days between the initial meeting and the start that `initial_meetings` draws."""


def review_dates_in_window(
    draw: st.DrawFn, start: dt.date, calendar: SchoolCalendar | None, protocol: Protocol
) -> tuple[dt.date, dt.date, dt.date]:
    """Three review dates from `start` within the protocol's final review limit."""
    limit = protocol.final_review_within_days
    if calendar is not None:
        try:
            days = school_days_within(calendar, start, limit)
        except CalendarError:
            days = []
        if len(days) >= 3:
            if draw(st.booleans()):
                try:
                    first, second, final = calendar.suggest_review_dates(
                        start, protocol.review_weeks
                    )
                except CalendarError:
                    pass  # near the calendar's end: pick from the school days it does know
                else:
                    return first, second, final
            picked = sorted(
                draw(st.lists(st.sampled_from(days), min_size=3, max_size=3, unique=True))
            )
            return picked[0], picked[1], picked[2]
    most = days_left(start, limit)
    offsets = sorted(draw(st.lists(st.integers(1, most), min_size=3, max_size=3, unique=True)))
    first, second, final = (start + offset * ONE_DAY for offset in offsets)
    return first, second, final


def school_days_within(calendar: SchoolCalendar, start: dt.date, days: int) -> list[dt.date]:
    """The school days after `start`, up to `days` days on (fewer where the calendar ends)."""
    limit = start + days_left(start, days) * ONE_DAY
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


@checked(
    not_before("held_on", "start_date"),
    held_on=optional(day),
    start_date=optional(day),
    calendar=optional(instance(SchoolCalendar)),
    protocol=instance(Protocol),
)
@st.composite
def initial_meetings(
    draw: st.DrawFn,
    held_on: dt.date | None = None,
    start_date: dt.date | None = None,
    calendar: SchoolCalendar | None = None,
    protocol: Protocol = WORCESTERSHIRE,
) -> InitialMeeting:
    """An initial meeting that passes R7 under `protocol` (with views from
    `child_views(before=held_on)`).

    Args:
        held_on: the meeting's date (drawn when None); record it on or after this date.
        start_date: the agreed start (on or after `held_on`; drawn when None).
        calendar: when given, the review dates are school days of it where it can tell.
        protocol: the protocol whose final-review limit and review weeks the dates follow.
    """
    if held_on is not None:
        held = held_on
    elif start_date is not None:  # the meeting comes first
        held = start_date - draw(st.integers(0, START_AFTER_MEETING_DAYS)) * ONE_DAY
    else:
        held = draw(days_between(EARLIEST, LATEST))
    start = day_within(draw, held, START_AFTER_MEETING_DAYS) if start_date is None else start_date
    first, second, final = review_dates_in_window(draw, start, calendar, protocol)
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
        host_contact=draw(person_names()),
        ap_support=draw(texts()),
        first_review=first,
        second_review=second,
        final_review=final,
        ap_representative=draw(maybe_person_names()),
        start_time=draw(st.none() | st.times()),
        timetable=draw(st.none() | timetables()),
    )


# -- reviews and endings -------------------------------------------------------------------------
_DECISIONS: Mapping[ReviewKind, tuple[ReviewDecision, ...]] = {
    ReviewKind.INTERIM: (ReviewDecision.CONTINUE,),
    ReviewKind.FINAL: (ReviewDecision.CONTINUE, ReviewDecision.MAKE_PERMANENT),
    ReviewKind.EMERGENCY: (ReviewDecision.CONTINUE, ReviewDecision.END),
}


def _needed_at(kind: ReviewKind, protocol: Protocol) -> tuple[Party, ...]:
    needed = (
        protocol.emergency_review_parties
        if kind is ReviewKind.EMERGENCY
        else protocol.review_parties
    )
    return tuple(party for party in Party if party in needed)


@st.composite
def _meeting_attendees(draw: st.DrawFn, needed: Sequence[Party]) -> tuple[Attendee, ...]:
    required = [draw(attendees(party)) for party in needed]
    extra = draw(st.lists(attendees(), max_size=3))
    return tuple(draw(st.permutations(required + extra)))


_HELD_AFTER_START = 60
"""The most days after the placement started that `review_meetings` dates a review it draws the
date of."""


def _room_after_the_start(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """A review dated after `started_on` (no `held_on` given) has room for its date."""
    if given["held_on"] is not None or given["started_on"] is None:
        return None
    problem = day_with_room(after=_HELD_AFTER_START)(given["started_on"])
    return None if problem is None else ("started_on", f"{problem} (when no held_on is given)")


def _decision_suits_kind(given: Mapping[str, Any]) -> tuple[str, str] | None:
    kind, decision = given["kind"], given["decision"]
    if decision is None or decision in _DECISIONS[kind]:
        return None
    return "decision", f"a valid {kind.value} review cannot decide {decision.value}"


@checked(
    not_before("started_on", "held_on"),
    _decision_suits_kind,
    _room_after_the_start,
    kind=field(ReviewMeeting, "kind"),
    held_on=optional(day),
    started_on=optional(day),
    decision=optional(instance(ReviewDecision)),
    protocol=instance(Protocol),
)
@st.composite
def review_meetings(
    draw: st.DrawFn,
    kind: ReviewKind = ReviewKind.INTERIM,
    held_on: dt.date | None = None,
    started_on: dt.date | None = None,
    decision: ReviewDecision | None = None,
    protocol: Protocol = WORCESTERSHIRE,
) -> ReviewMeeting:
    """A review meeting of `kind` that passes R9 (INTERIM, FINAL) or R10 (EMERGENCY) under
    `protocol` (whose parties attend). A FINAL review deciding MAKE_PERMANENT agrees a date of
    permanent admission on or after the meeting.

    An EMERGENCY review deciding END also needs a letter from `failure_letters(effective_from=on)`
    to pass R11. Record the meeting on or after `held_on`, for a placement started on `started_on`.

    Args:
        kind: INTERIM, FINAL or EMERGENCY.
        held_on: the meeting's date (drawn on or after `started_on` when None).
        started_on: the day the placement started, if known.
        decision: the decision (drawn from those `kind` may take when None).
    """
    if held_on is None:
        held = day_within(draw, EARLIEST if started_on is None else started_on, _HELD_AFTER_START)
    else:
        held = held_on
    chosen = draw(st.sampled_from(_DECISIONS[kind])) if decision is None else decision
    views = draw(child_views(before=held))
    next_meeting = permanent_from = None
    if kind is ReviewKind.FINAL and chosen is ReviewDecision.CONTINUE:
        most = days_left(held, min(protocol.final_review_within_days, FURTHEST_AHEAD.days))
        next_meeting = held + draw(st.integers(1, most)) * ONE_DAY
    if chosen is ReviewDecision.MAKE_PERMANENT:
        permanent_from = held + draw(st.integers(0, 20)) * ONE_DAY
    return ReviewMeeting(
        held_on=held,
        kind=kind,
        attendees=draw(_meeting_attendees(_needed_at(kind, protocol))),
        child_views=draw(st.none() | st.just(views)) if kind is ReviewKind.EMERGENCY else views,
        concerns=draw(texts()) if chosen is ReviewDecision.END else draw(maybe_texts()),
        additional_support=draw(texts())
        if kind is ReviewKind.EMERGENCY and chosen is ReviewDecision.CONTINUE
        else draw(maybe_texts()),
        decision=chosen,
        next_meeting=next_meeting,
        permanent_from=permanent_from,
        progress=draw(maybe_texts()),
        timetable=draw(st.none() | timetables()),
    )


@checked(effective_from=optional(day))
@st.composite
def failure_letters(draw: st.DrawFn, effective_from: dt.date | None = None) -> FailureLetter:
    """A failure letter that passes R11 for an ending recorded on `effective_from`."""
    low = EARLIEST if effective_from is None else effective_from
    return FailureLetter(
        parent_name=draw(person_names()),
        reasons=tuple(draw(st.lists(texts(), min_size=1, max_size=3))),
        incident_investigated=True,
        harassment_checked=True,
        child_version_heard=True,
        support_provided=tuple(draw(st.lists(texts(), min_size=1, max_size=3))),
        effective_date=day_within(draw, low, 30),
        head_teacher=draw(person_names()),
        home_head_teacher=draw(maybe_person_names()),
    )


@checked(
    not_before("on_roll_from", "recorded_on"),
    on_roll_from=optional(day),
    recorded_on=optional(day),
)
@st.composite
def successful_outcomes(
    draw: st.DrawFn, on_roll_from: dt.date | None = None, recorded_on: dt.date | None = None
) -> SuccessfulOutcome:
    """A successful outcome form that passes R13 for a placement started on `on_roll_from`,
    recorded on `recorded_on`: its date on roll is between the two (R13 refuses a date on roll
    after the day the form is recorded). Without `recorded_on`, record it on or after its
    `date_on_roll`.

    R13 also needs the case's final review to have decided MAKE_PERMANENT.
    """
    if recorded_on is None:
        on_roll = day_within(draw, EARLIEST if on_roll_from is None else on_roll_from, 60)
    else:
        span = 60 if on_roll_from is None else min((recorded_on - on_roll_from).days, 60)
        on_roll = recorded_on - draw(st.integers(0, span)) * ONE_DAY
    return SuccessfulOutcome(
        date_on_roll=on_roll,
        joiner_form_completed=True,
        parent_name=draw(maybe_person_names()),
    )


@checked(ended_on=optional(day))
@st.composite
def unsuccessful_outcomes(draw: st.DrawFn, ended_on: dt.date | None = None) -> UnsuccessfulOutcome:
    """An unsuccessful outcome form that passes R12 for a placement ended on `ended_on` (the
    child returns on that day or within 60 days after it; R12 refuses a return before it)."""
    returned = (
        draw(days_between(EARLIEST, LATEST)) if ended_on is None else day_within(draw, ended_on, 60)
    )
    return UnsuccessfulOutcome(
        provision_for_return=draw(texts()),
        return_date=returned,
        completed_by=draw(person_names()),
        reasons_for_failure=draw(maybe_texts()),
    )
