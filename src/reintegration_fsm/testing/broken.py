"""Strategies for forms broken in exactly one named respect, so the rule gives exactly one reason.

Each `invalid_*` strategy builds a `(form, respect)` pair: a valid form from
`reintegration_fsm.testing.forms` with the one condition named by `respect` (from the matching
tuple in `reintegration_fsm.testing.respects`) broken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st

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
)
from reintegration_fsm.protocol.definition import WORCESTERSHIRE, Protocol
from reintegration_fsm.rules import FURTHEST_AHEAD, IN_ORDER_EDITION, same_name
from reintegration_fsm.testing.arguments import (
    Rule,
    checked,
    day,
    day_with_room,
    instance,
    not_before,
    optional,
)
from reintegration_fsm.testing.arguments import respect as respect_in
from reintegration_fsm.testing.forms import (
    START_AFTER_MEETING_DAYS,
    child_views,
    consent_forms,
    evidence_needed,
    failure_letters,
    initial_meetings,
    reintegration_information,
    review_dates_in_window,
    review_meetings,
    successful_outcomes,
    unsuccessful_outcomes,
)
from reintegration_fsm.testing.respects import (
    CONSENT_RESPECTS,
    EMERGENCY_REVIEW_RESPECTS,
    FAILURE_LETTER_RESPECTS,
    INFORMATION_RESPECTS,
    INITIAL_MEETING_RESPECTS,
    PSP_RESPECTS,
    REVIEW_RESPECTS,
    SUCCESSFUL_OUTCOME_RESPECTS,
    UNSUCCESSFUL_OUTCOME_RESPECTS,
)
from reintegration_fsm.testing.values import (
    ONE_DAY,
    blank_names,
    blank_texts,
    days_between,
    days_left,
    person_names,
)
from reintegration_fsm.vocabulary import Party, ReviewDecision, ReviewKind

_NEAR = 14
"""The most days a broken meeting or review is dated before or after the day it is recorded
(`on`), or before the day the placement started (`started_on`); and its views after it."""
_ON = day_with_room(before=_NEAR, after=_NEAR)
"""`on` of a broken meeting or review, with room for the dates drawn around it."""
_STARTED_ON = optional(day_with_room(before=_NEAR))
"""`started_on` of a broken review, with room for a review drawn before it."""


def _earliest_held(on: dt.date, started_on: dt.date | None) -> dt.date:
    """The earliest day a review recorded on `on` is dated, unless its respect says otherwise:
    up to `_NEAR` days before, not before the placement started; without `started_on`, `on`
    itself, since any earlier day may come before the placement and give a second reason."""
    return on if started_on is None else max(started_on, on - _NEAR * ONE_DAY)


def _pick(draw: st.DrawFn, respects: Sequence[str], respect: str | None) -> str:
    """The respect asked for (checked when the strategy was called), or one drawn from
    `respects`."""
    return draw(st.sampled_from(tuple(respects))) if respect is None else respect


def _all(respects: Sequence[str]) -> Rule:
    """`respect` is None or one of `respects`."""
    return respect_in(lambda _: respects)


__all__ = [
    "invalid_consent_forms",
    "invalid_emergency_reviews",
    "invalid_failure_letters",
    "invalid_initial_meetings",
    "invalid_pastoral_support_plans",
    "invalid_reintegration_information",
    "invalid_review_meetings",
    "invalid_successful_outcomes",
    "invalid_unsuccessful_outcomes",
]


@checked(_all(CONSENT_RESPECTS), pupil=instance(Pupil), on=day)
@st.composite
def invalid_consent_forms(
    draw: st.DrawFn, pupil: Pupil, on: dt.date, respect: str | None = None
) -> tuple[ConsentForm, str]:
    """`(form, respect)`: a consent form for `pupil` on `on` broken in one of `CONSENT_RESPECTS`
    (`respect` when given, else drawn)."""
    form = draw(consent_forms(pupil, on))
    respect = _pick(draw, CONSENT_RESPECTS, respect)
    changes: dict[str, Any]
    if respect == "wrong_child":
        other = draw(person_names().filter(lambda name: not same_name(name, pupil.name)))
        changes = {"child_name": other}
    elif respect == "wrong_date_of_birth":
        born = draw(
            days_between(dt.date(2005, 1, 1), dt.date(2021, 8, 31)).filter(
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
    elif respect == "child_disagrees":
        changes = {"child_agrees": False}
    elif respect == "no_consent_to_share":
        changes = {"consent_to_share": False}
    elif respect == "no_preferred_school":
        changes = {"preferred_schools": tuple(draw(st.lists(blank_names(), max_size=2)))}
    elif respect == "not_signed":
        changes = {"signed_by": draw(blank_names())}
    elif respect == "not_dated":
        changes = {"signed_on": None}
    else:
        changes = {"signed_on": on + draw(st.integers(1, 30)) * ONE_DAY}
    return attrs.evolve(form, **changes), respect


@checked(_all(PSP_RESPECTS), on=day)
@st.composite
def invalid_pastoral_support_plans(
    draw: st.DrawFn, on: dt.date, respect: str | None = None
) -> tuple[PastoralSupportPlan, str]:
    """`(plan, respect)`: a PSP not active on `on` (R3), in one of `PSP_RESPECTS` (`respect`
    when given, else drawn)."""
    respect = _pick(draw, PSP_RESPECTS, respect)
    if respect == "not_started":
        start = on + draw(st.integers(1, 60)) * ONE_DAY
        return PastoralSupportPlan(
            start, draw(st.none() | days_between(start, start + 90 * ONE_DAY))
        ), respect
    end = on - draw(st.integers(1, 60)) * ONE_DAY
    return PastoralSupportPlan(end - draw(st.integers(0, 200)) * ONE_DAY, end), respect


def _information_respects(given: Mapping[str, Any]) -> list[str]:
    """The respects information can be broken in: no evidence to leave out when `protocol`
    asks none of this pupil."""
    asked = evidence_needed(given["pupil"], given["protocol"])
    return [r for r in INFORMATION_RESPECTS if asked or r != "missing_evidence"]


@checked(respect_in(_information_respects), pupil=instance(Pupil), protocol=instance(Protocol))
@st.composite
def invalid_reintegration_information(
    draw: st.DrawFn,
    pupil: Pupil,
    respect: str | None = None,
    protocol: Protocol = WORCESTERSHIRE,
) -> tuple[ReintegrationInformation, str]:
    """`(form, respect)`: information for `pupil` broken in one of `INFORMATION_RESPECTS` (R4).

    Args:
        pupil: the child the information is about (the evidence R4 asks depends on them).
        respect: the respect to break (drawn when None); not `missing_evidence` where
            `protocol` asks no evidence of this pupil.
        protocol: the protocol whose evidence the form holds, all but one piece of it for
            `missing_evidence`.
    """
    form = draw(reintegration_information(pupil, protocol))
    respect = _pick(draw, _information_respects({"pupil": pupil, "protocol": protocol}), respect)
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
        missing = draw(st.sampled_from(sorted(evidence_needed(pupil, protocol))))
        changes = {"evidence": form.evidence - {missing}}
    return attrs.evolve(form, **changes), respect


def _latest_start(on: dt.date) -> dt.date:
    """The latest start `invalid_initial_meetings` draws for a meeting recorded on `on` and held
    on or before it (every respect but `held_after`)."""
    return on + START_AFTER_MEETING_DAYS * ONE_DAY


def _too_late_can_be_dated(given: Mapping[str, Any]) -> bool:
    """A final review past the protocol's limit is a date there is, whatever the start drawn."""
    limit: int = given["protocol"].final_review_within_days
    return days_left(_latest_start(given["on"]), limit + 1) > limit


def _initial_meeting_respects(given: Mapping[str, Any]) -> list[str]:
    """The respects an initial meeting can be broken in: not `final_review_too_late` where no
    date lies past the protocol's limit (a limit an earlier version took, of millions of days)."""
    late = _too_late_can_be_dated(given)
    return [r for r in INITIAL_MEETING_RESPECTS if late or r != "final_review_too_late"]


def _room_past_the_limit(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """`final_review_too_late`, when asked for, can be dated."""
    if given["respect"] != "final_review_too_late" or _too_late_can_be_dated(given):
        return None
    limit = given["protocol"].final_review_within_days
    return "respect", (
        f"cannot be broken under this protocol: its final_review_within_days ({limit}) runs "
        f"past the last date there is ({dt.date.max.isoformat()}) from a start on "
        f"{_latest_start(given['on']).isoformat()}, so no final review can be dated past it"
    )


@checked(
    not_before("identified_on", "on"),
    _all(INITIAL_MEETING_RESPECTS),
    _room_past_the_limit,
    on=_ON,
    protocol=instance(Protocol),
    identified_on=optional(day),
)
@st.composite
def invalid_initial_meetings(
    draw: st.DrawFn,
    on: dt.date,
    respect: str | None = None,
    protocol: Protocol = WORCESTERSHIRE,
    identified_on: dt.date | None = None,
) -> tuple[tuple[InitialMeeting, ChildViews], str]:
    """`((meeting, views), respect)`: an initial meeting and the child's views, recorded on
    `on`, broken in one of `INITIAL_MEETING_RESPECTS` (R7).

    Args:
        on: the day the meeting is recorded, from 0021-01-30 to 9979-12-02: it is held up to 14
            days before it (or, for `held_after`, after it).
        respect: the respect to break (drawn when None); not `final_review_too_late` where no
            date lies past the protocol's limit (a limit of millions of days, which an earlier
            version took, counted from a start up to 21 days after `on`); `start_too_late`
            agrees a start more than a year (366 days) after the meeting, and reviews after it.
        protocol: the protocol whose final-review limit and review weeks the review dates
            follow, within Python's dates (`final_review_too_late` dates the final review past
            its limit).
        identified_on: the day the case's host school was identified, if known: the meeting
            is held on or after it (edition 3 refuses one held before).
    """
    respects = _initial_meeting_respects({"on": on, "protocol": protocol})
    respect = _pick(draw, respects, respect)
    if respect == "held_after":
        held = on + draw(st.integers(1, _NEAR)) * ONE_DAY
    else:
        low = (
            on - _NEAR * ONE_DAY
            if identified_on is None
            else max(identified_on, on - _NEAR * ONE_DAY)
        )
        held = draw(days_between(low, on))
    meeting = draw(initial_meetings(held_on=held, protocol=protocol))
    views = draw(child_views(before=held))
    start = meeting.start_date
    changes: dict[str, Any] = {}
    if respect == "views_after_meeting":
        views = attrs.evolve(views, gathered_on=held + draw(st.integers(1, 14)) * ONE_DAY)
    elif respect == "parent_absent":
        changes = {"parent_present": False}
    elif respect == "child_absent":
        changes = {"child_present": False}
    elif respect == "missing_signature":
        party = draw(st.sampled_from((Party.PARENT, Party.CHILD, Party.AP, Party.HOST)))
        changes = {"signatures": meeting.signatures - {party}}
    elif respect in ("start_before_meeting", "start_too_late"):
        if respect == "start_before_meeting":
            start = held - draw(st.integers(1, 14)) * ONE_DAY
        else:
            start = _beyond_a_year(draw, held)
        first, second, final = review_dates_in_window(draw, start, None, protocol)
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
        "no_ap_support",
        "no_host_contact",
    ):
        name = {
            "no_transport": "transport_arrangements",
            "no_child_expectations": "child_will",
            "no_school_expectations": "school_will",
            "no_parent_expectations": "parent_will",
            "no_ap_support": "ap_support",
            "no_host_contact": "host_contact",
        }[respect]
        changes = {name: draw(blank_texts())}
    elif respect == "first_review_too_early":
        changes = {"first_review": start - draw(st.integers(0, 5)) * ONE_DAY}
    elif respect == "second_review_too_early":
        changes = {"second_review": meeting.first_review - draw(st.integers(0, 5)) * ONE_DAY}
    elif respect == "final_review_too_early":
        changes = {"final_review": meeting.second_review - draw(st.integers(0, 5)) * ONE_DAY}
    elif respect == "final_review_too_late":
        limit = protocol.final_review_within_days  # a day past it is one there is (checked)
        late = draw(st.integers(limit + 1, days_left(start, limit + 40)))
        changes = {"final_review": start + late * ONE_DAY}
    return (attrs.evolve(meeting, **changes), views), respect


def _without_party(meeting: ReviewMeeting, party: Party) -> ReviewMeeting:
    kept = tuple(attendee for attendee in meeting.attendees if attendee.party is not party)
    return attrs.evolve(meeting, attendees=kept)


def _party_unnamed(draw: st.DrawFn, meeting: ReviewMeeting, party: Party) -> ReviewMeeting:
    """`meeting` with every attendee of `party` kept, under a blank name."""
    attendees = tuple(
        attrs.evolve(attendee, name=draw(blank_names())) if attendee.party is party else attendee
        for attendee in meeting.attendees
    )
    return attrs.evolve(meeting, attendees=attendees)


def _names_counted(protocol: Protocol) -> bool:
    """Whether `protocol`'s edition of the rules counts a party at a review only through an
    attendee with a name (edition 3, R9 and R10: `rules.attending`); before it, a party there
    under a blank name attends, and no meeting can be broken `unnamed_attendee` or
    `unnamed_party`."""
    return protocol.edition >= IN_ORDER_EDITION


_FINAL_ONLY = (
    "final_continue_without_next_meeting",
    "next_meeting_not_after",
    "permanent_without_date",
    "permanent_before_review",
    "next_meeting_too_far",
    "permanent_too_far",
)


def _review_respects(given: Mapping[str, Any]) -> list[str]:
    """The respects a review of the `kind` given (either, when None) can be broken in under
    the `protocol` given."""
    kind = given["kind"]
    alone = given["started_on"] is not None and given.get("previous_on") is None
    named = _names_counted(given["protocol"])
    return [
        r
        for r in REVIEW_RESPECTS
        if not (r == "before_placement" and not alone)
        and not (r == "interim_makes_permanent" and kind is ReviewKind.FINAL)
        and not (r in _FINAL_ONLY and kind is ReviewKind.INTERIM)
        and not (r == "unnamed_attendee" and not named)
    ]


def _interim_or_final(value: Any) -> str | None:
    # By identity: ReviewKind is a str enum, so "interim" == ReviewKind.INTERIM.
    if value is ReviewKind.INTERIM or value is ReviewKind.FINAL:
        return None
    return (
        "must be ReviewKind.INTERIM, ReviewKind.FINAL or None (invalid_emergency_reviews breaks "
        "an emergency review)"
    )


@checked(
    not_before("started_on", "on"),
    not_before("previous_on", "on"),
    respect_in(_review_respects),
    on=_ON,
    started_on=_STARTED_ON,
    kind=optional(_interim_or_final),
    protocol=instance(Protocol),
    previous_on=optional(day),
)
@st.composite
def invalid_review_meetings(
    draw: st.DrawFn,
    on: dt.date,
    started_on: dt.date | None = None,
    kind: ReviewKind | None = None,
    respect: str | None = None,
    protocol: Protocol = WORCESTERSHIRE,
    previous_on: dt.date | None = None,
) -> tuple[ReviewMeeting, str]:
    """`(meeting, respect)`: a review recorded on `on` for a placement started on `started_on`
    (on or before `on`), broken in one of `REVIEW_RESPECTS` (R9).

    Args:
        on: the day the review is recorded, from 0021-01-30 to 9979-12-02: it is held up to 14
            days before it (or, for `held_after`, after it), not before `started_on`; on `on`
            itself when `started_on` is None.
        started_on: the day the placement started, if known (from 0021-01-30: a review
            `before_placement`, which needs it, is held up to 14 days before it).
        kind: INTERIM or FINAL (drawn when None, or to suit `respect`); some respects change it.
        respect: the respect to break (drawn when None, among those `kind`, `started_on` and
            `protocol` allow): not `unnamed_attendee` under a protocol of an edition of the
            rules before 3, which counts a party attending under a blank name.
        protocol: the protocol whose review parties attend (`missing_attendee` leaves one out;
            `unnamed_attendee` keeps every attendee of one but blanks their names).
        previous_on: the day of the case's previous meeting, if known: the review is held on or
            after it (edition 3 refuses one held before), and is not broken `before_placement`.
    """
    if kind is None:
        if respect in _FINAL_ONLY:
            kind = ReviewKind.FINAL
        elif respect == "interim_makes_permanent":
            kind = ReviewKind.INTERIM
    chosen = draw(st.sampled_from((ReviewKind.INTERIM, ReviewKind.FINAL))) if kind is None else kind
    respects = _review_respects(
        {"kind": chosen, "started_on": started_on, "previous_on": previous_on, "protocol": protocol}
    )
    respect = _pick(draw, respects, respect)
    low = _earliest_held(on, started_on)
    if previous_on is not None:
        low = max(low, previous_on)
    if respect == "held_after":
        held = on + draw(st.integers(1, _NEAR)) * ONE_DAY
    elif respect == "before_placement" and started_on is not None:
        held = started_on - draw(st.integers(1, _NEAR)) * ONE_DAY
    else:
        held = draw(days_between(low, on))
    meeting = draw(
        review_meetings(
            chosen,
            held_on=held,
            decision=ReviewDecision.CONTINUE if chosen is ReviewKind.INTERIM else None,
            protocol=protocol,
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
                child_views(before=held + _NEAR * ONE_DAY).filter(
                    lambda views: views.gathered_on > held
                )
            )
        }
    elif respect == "missing_attendee":
        party = draw(st.sampled_from(sorted(protocol.review_parties)))
        meeting = _without_party(meeting, party)
    elif respect == "unnamed_attendee":
        party = draw(st.sampled_from(sorted(protocol.review_parties)))
        meeting = _party_unnamed(draw, meeting, party)
    elif respect == "decides_end":
        changes = {"decision": ReviewDecision.END}
    elif respect == "interim_makes_permanent":
        changes = {"decision": ReviewDecision.MAKE_PERMANENT}
    elif respect == "final_continue_without_next_meeting":
        changes = {"decision": ReviewDecision.CONTINUE, "next_meeting": None}
    elif respect == "next_meeting_not_after":
        changes = {
            "decision": ReviewDecision.CONTINUE,
            "next_meeting": held - draw(st.integers(0, 10)) * ONE_DAY,
        }
    elif respect == "permanent_without_date":
        changes = {"decision": ReviewDecision.MAKE_PERMANENT, "permanent_from": None}
    elif respect == "permanent_before_review":
        changes = {
            "decision": ReviewDecision.MAKE_PERMANENT,
            "permanent_from": held - draw(st.integers(1, 10)) * ONE_DAY,
            "next_meeting": None,
        }
    elif respect == "next_meeting_too_far":
        changes = {"decision": ReviewDecision.CONTINUE, "next_meeting": _beyond_a_year(draw, held)}
    elif respect == "permanent_too_far":
        changes = {
            "decision": ReviewDecision.MAKE_PERMANENT,
            "permanent_from": _beyond_a_year(draw, held),
            "next_meeting": None,
        }
    return attrs.evolve(meeting, **changes), respect


def _beyond_a_year(draw: st.DrawFn, held: dt.date) -> dt.date:
    """A date a meeting held on `held` agrees more than a year after it (R7's start, R9's next
    meeting and date of permanent admission refuse it)."""
    return held + FURTHEST_AHEAD + draw(st.integers(1, 30)) * ONE_DAY


@checked(_all(FAILURE_LETTER_RESPECTS), on=day)
@st.composite
def invalid_failure_letters(
    draw: st.DrawFn, on: dt.date, respect: str | None = None
) -> tuple[FailureLetter, str]:
    """`(letter, respect)`: a letter for an ending on `on`, broken in one of
    `FAILURE_LETTER_RESPECTS` (R11; `respect` when given, else drawn)."""
    letter = draw(failure_letters(effective_from=on))
    respect = _pick(draw, FAILURE_LETTER_RESPECTS, respect)
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
    elif respect == "no_head_teacher":
        changes = {"head_teacher": draw(blank_names())}
    elif respect == "no_parent_named":
        changes = {"parent_name": draw(blank_names())}
    else:
        changes = {"effective_date": on - draw(st.integers(1, 30)) * ONE_DAY}
    return attrs.evolve(letter, **changes), respect


def _emergency_respects(given: Mapping[str, Any]) -> list[str]:
    """The respects an emergency review can be broken in: before the placement when its start
    is known, and the review's call is not (a review before the placement is before its call
    too, which edition 3 refuses as well); `unnamed_party` under edition 3 alone."""
    alone = given["started_on"] is not None and given.get("called_on") is None
    named = _names_counted(given["protocol"])
    return [
        r
        for r in EMERGENCY_REVIEW_RESPECTS
        if (alone or r != "before_placement") and (named or r != "unnamed_party")
    ]


@checked(
    not_before("started_on", "on"),
    not_before("started_on", "called_on"),
    not_before("called_on", "on"),
    respect_in(_emergency_respects),
    on=_ON,
    started_on=_STARTED_ON,
    protocol=instance(Protocol),
    called_on=optional(day),
)
@st.composite
def invalid_emergency_reviews(
    draw: st.DrawFn,
    on: dt.date,
    started_on: dt.date | None = None,
    respect: str | None = None,
    protocol: Protocol = WORCESTERSHIRE,
    called_on: dt.date | None = None,
) -> tuple[tuple[ReviewMeeting, FailureLetter | None], str]:
    """`((meeting, letter), respect)`: an emergency review recorded on `on`, and its failure
    letter when it ends the placement, broken in one of `EMERGENCY_REVIEW_RESPECTS` (R10, R11).

    Args:
        on: the day the review is recorded, from 0021-01-30 to 9979-12-02: it is held up to 14
            days before it (or, for `held_after`, after it), not before `started_on`; on `on`
            itself when `started_on` is None.
        started_on: the day the placement started, if known (from 0021-01-30: a review
            `before_placement`, which needs it, is held up to 14 days before it).
        respect: the respect to break (drawn when None); a `letter_*` respect breaks the letter
            in one of `FAILURE_LETTER_RESPECTS`; not `unnamed_party` under a protocol of an
            edition of the rules before 3, which counts a party attending under a blank name.
        protocol: the protocol whose emergency review parties attend (`missing_party` leaves
            one out; `unnamed_party` keeps every attendee of one but blanks their names).
        called_on: the day the review was called, if known: it is held on or after it
            (edition 3 refuses one held before), and is not broken `before_placement`.
    """
    given = {"started_on": started_on, "called_on": called_on, "protocol": protocol}
    respect = _pick(draw, _emergency_respects(given), respect)
    if respect in ("end_without_concerns", "end_without_letter") or respect.startswith("letter_"):
        decision = ReviewDecision.END
    elif respect in ("continue_without_support", "makes_permanent", "continue_with_letter"):
        decision = ReviewDecision.CONTINUE
    else:
        decision = draw(st.sampled_from((ReviewDecision.CONTINUE, ReviewDecision.END)))
    if respect == "held_after":
        held = on + draw(st.integers(1, _NEAR)) * ONE_DAY
    elif respect == "before_placement" and started_on is not None:
        held = started_on - draw(st.integers(1, _NEAR)) * ONE_DAY
    else:
        low = _earliest_held(on, started_on)
        held = draw(days_between(low if called_on is None else max(low, called_on), on))
    meeting = draw(
        review_meetings(ReviewKind.EMERGENCY, held_on=held, decision=decision, protocol=protocol)
    )
    letter: FailureLetter | None = (
        draw(failure_letters(effective_from=on)) if decision is ReviewDecision.END else None
    )
    if respect == "not_emergency_kind":
        meeting = attrs.evolve(
            meeting, kind=draw(st.sampled_from((ReviewKind.INTERIM, ReviewKind.FINAL)))
        )
    elif respect == "missing_party":
        party = draw(st.sampled_from(sorted(protocol.emergency_review_parties)))
        meeting = _without_party(meeting, party)
    elif respect == "unnamed_party":
        party = draw(st.sampled_from(sorted(protocol.emergency_review_parties)))
        meeting = _party_unnamed(draw, meeting, party)
    elif respect == "makes_permanent":
        meeting = attrs.evolve(meeting, decision=ReviewDecision.MAKE_PERMANENT)
    elif respect == "continue_without_support":
        meeting = attrs.evolve(meeting, additional_support=draw(blank_texts()))
    elif respect == "end_without_concerns":
        meeting = attrs.evolve(meeting, concerns=draw(blank_texts()))
    elif respect == "continue_with_letter":
        letter = draw(failure_letters(effective_from=on))
    elif respect == "end_without_letter":
        letter = None
    elif respect.startswith("letter_"):
        letter, letter_respect = draw(invalid_failure_letters(on, respect.removeprefix("letter_")))
        respect = f"letter_{letter_respect}"
    return (meeting, letter), respect


@checked(
    not_before("started_on", "recorded_on"),
    _all(SUCCESSFUL_OUTCOME_RESPECTS),
    started_on=day,
    recorded_on=optional(day),
)
@st.composite
def invalid_successful_outcomes(
    draw: st.DrawFn,
    started_on: dt.date,
    respect: str | None = None,
    recorded_on: dt.date | None = None,
) -> tuple[SuccessfulOutcome, str]:
    """`(form, respect)` for a placement started on `started_on`, recorded on `recorded_on`
    (when given: its date on roll is not after it), broken in one of
    `SUCCESSFUL_OUTCOME_RESPECTS` (`respect` when given, else drawn; R13, the final review
    having decided MAKE_PERMANENT)."""
    form = draw(successful_outcomes(on_roll_from=started_on, recorded_on=recorded_on))
    respect = _pick(draw, SUCCESSFUL_OUTCOME_RESPECTS, respect)
    if respect == "joiner_form_not_completed":
        return attrs.evolve(form, joiner_form_completed=False), respect
    early = started_on - draw(st.integers(1, 30)) * ONE_DAY
    return attrs.evolve(form, date_on_roll=early), respect


@checked(_all(UNSUCCESSFUL_OUTCOME_RESPECTS), ended_on=optional(day))
@st.composite
def invalid_unsuccessful_outcomes(
    draw: st.DrawFn, respect: str | None = None, ended_on: dt.date | None = None
) -> tuple[UnsuccessfulOutcome, str]:
    """`(form, respect)` for a placement ended on `ended_on` (when given: the return is not
    before it), broken in one of `UNSUCCESSFUL_OUTCOME_RESPECTS` (R12; `respect` when given,
    else drawn)."""
    form = draw(unsuccessful_outcomes(ended_on=ended_on))
    respect = _pick(draw, UNSUCCESSFUL_OUTCOME_RESPECTS, respect)
    if respect == "no_provision":
        return attrs.evolve(form, provision_for_return=draw(blank_texts())), respect
    if respect == "no_return_date":
        return attrs.evolve(form, return_date=None), respect
    return attrs.evolve(form, completed_by=draw(blank_names())), respect
