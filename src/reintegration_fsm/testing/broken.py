"""Strategies for forms broken in exactly one named respect, so the rule gives exactly one reason.

Each `invalid_*` strategy builds a `(form, respect)` pair: a valid form from
`reintegration_fsm.testing.forms` with the one condition named by `respect` (from the matching
tuple in `reintegration_fsm.testing.respects`) broken.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import strategies as st

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
from reintegration_fsm.rules import same_name
from reintegration_fsm.testing.forms import (
    _evidence_needed,
    _review_dates_in_window,
    child_views,
    consent_forms,
    failure_letters,
    initial_meetings,
    reintegration_information,
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
from reintegration_fsm.testing.values import _DAY, _days, _names, blank_texts
from reintegration_fsm.vocabulary import Party, ReviewDecision, ReviewKind

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


@st.composite
def invalid_consent_forms(draw: st.DrawFn, pupil: Pupil, on: dt.date) -> tuple[ConsentForm, str]:
    """`(form, respect)`: a consent form for `pupil` on `on` broken in one of `CONSENT_RESPECTS`."""
    form = draw(consent_forms(pupil, on))
    respect = draw(st.sampled_from(CONSENT_RESPECTS))
    changes: dict[str, Any]
    if respect == "wrong_child":
        other = draw(_names().filter(lambda name: not same_name(name, pupil.name)))
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
