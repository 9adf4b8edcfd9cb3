"""Revision 2's rules: where the seed says *must* a rule refuses, where it says *should* the step
is accepted and records a departure. Each change has a test that refuses (or records) and one
that allows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

import scenario as sc
from reintegration_fsm import (
    Attendee,
    ChildViews,
    Departure,
    GuardFailed,
    ObligationKind,
    Party,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    SchoolCalendar,
    Stage,
)
from reintegration_fsm.cli import views
from reintegration_fsm.documents import render_text

CALENDAR = SchoolCalendar.sample()
D = dt.date
K = ObligationKind
REGULATIONS = "School Attendance (Pupil Registration) (England) Regulations 2024"


def opened() -> Reintegration:
    return Reintegration.open(
        "V2-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )


def referred(**consent: Any) -> Reintegration:
    case = opened()
    case.record_consent(sc.consent(**consent), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    return case


def host_found(host: str = sc.HOST_SCHOOL) -> Reintegration:
    case = referred()
    case.identify_host(host, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    return case


def placed() -> Reintegration:
    case = host_found()
    case.hold_initial_meeting(sc.initial_meeting(), sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    sc.prepare(case)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    return case


def reviewed_twice() -> Reintegration:
    case = placed()
    case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)
    case.hold_review(sc.review(sc.SECOND_REVIEW), by=sc.HOST_STAFF, on=sc.SECOND_REVIEW)
    return case


def made_permanent(permanent_from: dt.date = sc.FINAL_REVIEW) -> Reintegration:
    case = reviewed_twice()
    final = sc.review(
        sc.FINAL_REVIEW,
        ReviewKind.FINAL,
        decision=ReviewDecision.MAKE_PERMANENT,
        permanent_from=permanent_from,
    )
    case.hold_review(final, by=sc.HOST_HEAD, on=sc.FINAL_REVIEW)
    return case


EMERGENCY_ON = D(2026, 3, 13)


def in_emergency() -> Reintegration:
    case = placed()
    case.call_emergency_review("Absconding.", by=sc.HOST_STAFF, on=EMERGENCY_ON)
    return case


def ending() -> Reintegration:
    case = in_emergency()
    meeting = sc.review(
        EMERGENCY_ON,
        ReviewKind.EMERGENCY,
        attendees=sc.WITH_LA,
        decision=ReviewDecision.END,
        concerns="Left the site three times.",
    )
    case.hold_emergency_review(meeting, sc.letter(), by=sc.HOST_HEAD, on=EMERGENCY_ON)
    return case


def departures(case: Reintegration) -> list[tuple[str, str]]:
    return [(d.rule, d.text) for d in case.departures]


# -- R2: the child's own agreement ---------------------------------------------------------------
def test_consent_with_the_child_disagreeing_is_refused() -> None:
    with pytest.raises(GuardFailed, match="The child does not agree to a reintegration"):
        opened().record_consent(sc.consent(child_agrees=False), by=sc.AP_HEAD, on=sc.CONSENTED)


def test_consent_without_the_childs_agreement_recorded_is_a_departure() -> None:
    case = opened()
    case.record_consent(sc.consent(child_agrees=None), by=sc.AP_HEAD, on=sc.CONSENTED)
    assert case.stage is Stage.CONSENTED
    assert case.departures == (
        Departure(2, "R2", "The child's own agreement to the reintegration is not recorded."),
    )
    assert case.history[-1].data["departures"] == [
        {"rule": "R2", "text": "The child's own agreement to the reintegration is not recorded."}
    ]


def test_consent_with_the_child_agreeing_records_no_departure() -> None:
    case = opened()
    case.record_consent(sc.consent(child_agrees=True), by=sc.AP_HEAD, on=sc.CONSENTED)
    assert case.departures == ()
    assert "departures" not in case.history[-1].data


# -- R5: the family's preference -----------------------------------------------------------------
def test_a_host_the_family_did_not_ask_for_is_accepted_as_a_departure() -> None:
    case = host_found("Oakfield Academy")
    assert case.stage is Stage.HOST_IDENTIFIED
    assert departures(case) == [
        (
            "R5",
            "Oakfield Academy is not among the schools the family asked to be considered "
            f"({sc.HOST_SCHOOL}); the law requires the parents' views to be considered "
            "(process step 1).",
        )
    ]


@pytest.mark.parametrize(
    "host", [sc.HOST_SCHOOL, sc.HOST_SCHOOL.upper(), sc.HOST_SCHOOL.replace(" ", "  ")]
)
def test_a_host_the_family_asked_for_records_no_departure(host: str) -> None:
    """R5 compares the host with the family's preferences past letters' case and runs of
    spaces (a space at an end is refused where the host is given: `identify_host`)."""
    assert host_found(host).departures == ()


def test_the_ap_setting_itself_cannot_be_the_host() -> None:
    with pytest.raises(GuardFailed, match="cannot be Brookfield Learning Centre"):
        referred().identify_host(
            sc.AP_SETTING, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND
        )


# -- R7: the AP setting's support ----------------------------------------------------------------
@pytest.mark.parametrize("support", ["", "   "])
def test_an_initial_meeting_without_the_ap_settings_support_is_refused(support: str) -> None:
    meeting = sc.initial_meeting(ap_support=support)
    with pytest.raises(GuardFailed) as refused:
        host_found().hold_initial_meeting(meeting, sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    assert refused.value.reasons == (
        "The support the Alternative Provision setting will give throughout the reintegration "
        "is not recorded.",
    )


def test_an_initial_meeting_with_the_ap_settings_support_is_allowed() -> None:
    case = host_found()
    case.hold_initial_meeting(sc.initial_meeting(), sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    assert case.stage is Stage.PLANNED


# -- R9: reviews ---------------------------------------------------------------------------------
WITHOUT_CHILD = tuple(a for a in sc.EVERYONE if a.party is not Party.CHILD)


def test_a_review_the_child_did_not_attend_is_a_departure() -> None:
    case = placed()
    case.hold_review(
        sc.review(sc.FIRST_REVIEW, attendees=WITHOUT_CHILD), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW
    )
    assert departures(case) == [("R9", "The child did not attend the review (process step 6).")]


def test_a_review_with_the_child_present_records_no_departure() -> None:
    case = placed()
    case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)
    assert case.departures == ()


def test_views_gathered_before_the_previous_meeting_are_a_departure() -> None:
    """A year-old form is not views gathered "prior to each review"."""
    case = placed()
    stale = ChildViews(gathered_on=D(2025, 3, 1), aspirations="To do my GCSEs.")
    case.hold_review(
        sc.review(sc.FIRST_REVIEW, child_views=stale), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW
    )
    assert departures(case) == [
        (
            "R9",
            "The child's views were gathered on 2025-03-01, before the previous meeting on "
            "2026-02-09, not for this one (process step 6).",
        )
    ]


def test_views_gathered_on_the_previous_meetings_day_or_later_are_fresh() -> None:
    case = placed()
    same_day = ChildViews(gathered_on=sc.MEETING, aspirations="To do my GCSEs.")
    case.hold_review(
        sc.review(sc.FIRST_REVIEW, child_views=same_day), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW
    )
    assert case.departures == ()


def test_views_answering_none_of_the_questions_are_a_departure() -> None:
    case = placed()
    blank = ChildViews(gathered_on=sc.FIRST_REVIEW, signed_by="Alex Example")
    case.hold_review(
        sc.review(sc.FIRST_REVIEW, child_views=blank), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW
    )
    assert departures(case) == [
        ("R9", "The child's views form answers none of its five questions.")
    ]


@pytest.mark.parametrize("answered", ["background", "good_at", "aspirations"])
def test_views_answering_one_question_records_no_departure(answered: str) -> None:
    case = placed()
    views_ = ChildViews(gathered_on=sc.FIRST_REVIEW, **{answered: "Something true."})
    case.hold_review(
        sc.review(sc.FIRST_REVIEW, child_views=views_), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW
    )
    assert case.departures == ()


def test_making_the_move_permanent_needs_the_agreed_date_of_admission() -> None:
    final = sc.review(
        sc.FINAL_REVIEW,
        ReviewKind.FINAL,
        decision=ReviewDecision.MAKE_PERMANENT,
        permanent_from=None,
    )
    with pytest.raises(GuardFailed, match="needs the agreed date of permanent admission"):
        reviewed_twice().hold_review(final, by=sc.HOST_HEAD, on=sc.FINAL_REVIEW)


def test_an_agreed_date_before_the_final_review_is_refused() -> None:
    final = sc.review(
        sc.FINAL_REVIEW,
        ReviewKind.FINAL,
        decision=ReviewDecision.MAKE_PERMANENT,
        permanent_from=sc.FINAL_REVIEW - dt.timedelta(days=1),
    )
    with pytest.raises(GuardFailed, match="cannot be before the final review"):
        reviewed_twice().hold_review(final, by=sc.HOST_HEAD, on=sc.FINAL_REVIEW)


def test_an_agreed_date_on_the_day_of_the_final_review_is_allowed() -> None:
    case = made_permanent(sc.FINAL_REVIEW)
    assert case.permanent_from == sc.FINAL_REVIEW
    assert case.final_decision is ReviewDecision.MAKE_PERMANENT
    assert case.departures == ()


def test_making_the_move_permanent_with_an_interim_review_unheld_is_a_departure() -> None:
    """A move made permanent the day after the start, with no interim review held."""
    case = placed()
    final = sc.review(
        sc.START + dt.timedelta(days=1),
        ReviewKind.FINAL,
        decision=ReviewDecision.MAKE_PERMANENT,
    )
    case.hold_review(final, by=sc.HOST_HEAD, on=sc.START + dt.timedelta(days=1))
    assert departures(case) == [
        ("R9", "The move was made permanent with the first review and the second review not held.")
    ]


def test_only_a_final_review_may_make_the_move_permanent() -> None:
    interim = sc.review(sc.FIRST_REVIEW, decision=ReviewDecision.MAKE_PERMANENT)
    with pytest.raises(GuardFailed, match="Only the final review can decide on a permanent move"):
        placed().hold_review(interim, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)


def test_an_emergency_meeting_is_not_recorded_as_a_review() -> None:
    emergency = sc.review(sc.FIRST_REVIEW, ReviewKind.EMERGENCY, attendees=sc.WITH_LA)
    with pytest.raises(GuardFailed, match="held with hold_emergency_review"):
        placed().hold_review(emergency, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)


@pytest.mark.parametrize("days_after", [0, -3])
def test_a_final_review_extending_the_placement_needs_a_later_next_meeting(
    days_after: int,
) -> None:
    final = sc.review(
        sc.FINAL_REVIEW,
        ReviewKind.FINAL,
        next_meeting=sc.FINAL_REVIEW + dt.timedelta(days=days_after),
    )
    with pytest.raises(GuardFailed, match="next meeting must be after this review"):
        reviewed_twice().hold_review(final, by=sc.HOST_HEAD, on=sc.FINAL_REVIEW)


def test_a_final_review_extending_the_placement_a_day_later_is_allowed() -> None:
    case = reviewed_twice()
    next_day = sc.FINAL_REVIEW + dt.timedelta(days=1)
    case.hold_review(
        sc.review(sc.FINAL_REVIEW, ReviewKind.FINAL, next_meeting=next_day),
        by=sc.HOST_HEAD,
        on=sc.FINAL_REVIEW,
    )
    assert case.deadlines[-1].due == next_day


# -- R10: the emergency review -------------------------------------------------------------------
def test_a_review_meeting_is_not_recorded_as_an_emergency_review() -> None:
    for kind in (ReviewKind.INTERIM, ReviewKind.FINAL):
        meeting = sc.review(
            EMERGENCY_ON, kind, attendees=sc.WITH_LA, additional_support="A key worker."
        )
        with pytest.raises(GuardFailed, match="not recorded as an emergency review"):
            in_emergency().hold_emergency_review(meeting, by=sc.HOST_HEAD, on=EMERGENCY_ON)


def test_an_emergency_review_without_the_childs_views_or_the_child_is_a_departure() -> None:
    case = in_emergency()
    without_child = tuple(a for a in sc.WITH_LA if a.party is not Party.CHILD)
    meeting = sc.review(
        EMERGENCY_ON,
        ReviewKind.EMERGENCY,
        attendees=without_child,
        child_views=None,
        additional_support="A key worker.",
    )
    case.hold_emergency_review(meeting, by=sc.HOST_STAFF, on=EMERGENCY_ON)
    assert case.stage is Stage.IN_PLACEMENT
    assert departures(case) == [
        ("R10", "The child's views were not gathered for the emergency review."),
        ("R10", "The child did not attend the emergency review."),
    ]


def test_an_emergency_review_with_the_child_and_their_views_records_no_departure() -> None:
    case = in_emergency()
    meeting = sc.review(
        EMERGENCY_ON, ReviewKind.EMERGENCY, attendees=sc.WITH_LA, additional_support="Mentor."
    )
    case.hold_emergency_review(meeting, by=sc.HOST_STAFF, on=EMERGENCY_ON)
    assert case.departures == ()


def test_a_letter_with_an_emergency_review_that_continues_is_refused() -> None:
    meeting = sc.review(
        EMERGENCY_ON, ReviewKind.EMERGENCY, attendees=sc.WITH_LA, additional_support="Mentor."
    )
    with pytest.raises(GuardFailed, match="only sent when the reintegration ends"):
        in_emergency().hold_emergency_review(meeting, sc.letter(), by=sc.HOST_HEAD, on=EMERGENCY_ON)


# -- R11: the letter, read whole -----------------------------------------------------------------
def _letter_case(home_head: str, second_parent: str) -> str:
    case = ending()
    letter = attrs.evolve(
        sc.letter(), home_head_teacher=home_head, second_parent_name=second_parent
    )
    return letter.render(case)


LETTER_BODY = """\
Alex Example, date of birth 14 May 2012

I have today made the decision to end the reintegration arrangement that was set up with \
Brookfield Learning Centre and {yourself} at our original meeting on 9 February 2026.

The reasons for my decision are as follows:

- Alex left the site without permission three times in one week.

The key incident has been investigated fully.
I have checked whether the incident was provoked by racial or sexual harassment.
Alex Example was given the opportunity to give their version of events.

The decision to end the reintegration takes place with effect from 16 March 2026. I enclose \
details of the review meetings, previous warnings, fixed term exclusions and other disciplinary \
measures that have taken place during the period of the reintegration, that support my decision.

I have also included details of the support that was put in place to support the reintegration:

- Daily mentoring with a key worker
- Adapted timetable

The head teacher of Brookfield Learning Centre, {home_head}, has been notified of my decision \
and would like to meet with you to discuss what will happen next. I would ask you to contact \
them urgently.

Yours sincerely

Priya Anand
Head Teacher, Elmstead High School

Copy sent to: {home_head}, Head Teacher of Brookfield Learning Centre
School Admissions
"""


@pytest.mark.parametrize(
    ("home_head", "second_parent", "salutation", "yourself", "named_head"),
    [
        ("Morgan Reed", "", "Dana Example", "yourself", "Morgan Reed"),
        ("", "", "Dana Example", "yourself", "Morgan Reed"),
        (
            "Morgan Reed",
            "Chris Example",
            "Dana Example and Chris Example",
            "yourselves",
            "Morgan Reed",
        ),
        ("", "Chris Example", "Dana Example and Chris Example", "yourselves", "Morgan Reed"),
    ],
    ids=[
        "one parent, home head named",
        "one parent, AP head on record",
        "two parents, home head named",
        "two parents, AP head on record",
    ],
)
def test_the_letter_reads_as_a_head_teacher_would_sign_it(
    home_head: str, second_parent: str, salutation: str, yourself: str, named_head: str
) -> None:
    """Dated the day of the emergency review, addressed to one parent or two, naming the home
    school's head teacher (the AP head on record when the letter names none), with no
    placeholder or doubled phrase."""
    expected = f"13 March 2026\n\nDear {salutation}\n\n" + LETTER_BODY.format(
        yourself=yourself, home_head=named_head
    )
    text = _letter_case(home_head, second_parent)
    assert text == expected
    for placeholder in ("(", "yourself/ves", "the head teacher,", "Head Teacher, Head Teacher"):
        assert placeholder not in text.replace("(process", "")


def test_a_letter_to_two_parents_named_together_says_yourselves() -> None:
    case = ending()
    letter = attrs.evolve(sc.letter(), parent_name="Mr and Mrs Example")
    assert " and yourselves at our original meeting" in letter.render(case)
    assert letter.to_both_parents


def test_a_letter_says_when_it_was_written() -> None:
    case = ending()
    letter = attrs.evolve(sc.letter(), written_on=D(2026, 3, 16))
    assert letter.render(case).startswith("16 March 2026\n\nDear Dana Example\n")


def test_the_letter_names_the_head_teacher_signing_it() -> None:
    meeting = sc.review(
        EMERGENCY_ON,
        ReviewKind.EMERGENCY,
        attendees=sc.WITH_LA,
        decision=ReviewDecision.END,
        concerns="Left the site.",
    )
    with pytest.raises(GuardFailed, match="head teacher signing the letter is not named"):
        in_emergency().hold_emergency_review(
            meeting, sc.letter(head_teacher="  "), by=sc.HOST_HEAD, on=EMERGENCY_ON
        )


# -- R12: the unsuccessful outcome goes to admissions too ----------------------------------------
def test_the_unsuccessful_outcome_sends_its_paperwork_to_admissions() -> None:
    case = ending()
    before = [o.kind for o in case.obligations].count(K.SEND_PAPERWORK_TO_ADMISSIONS)
    case.record_unsuccessful_outcome(sc.RETURN, by=sc.AP_STAFF, on=D(2026, 3, 17))
    after = [o for o in case.obligations if o.kind is K.SEND_PAPERWORK_TO_ADMISSIONS]
    assert len(after) == before + 1
    assert after[-1].owner is Party.AP
    assert after[-1].opened_on == D(2026, 3, 17)


# -- R13: success on the agreed date, the joiners form closed ------------------------------------
def test_success_before_the_agreed_date_of_permanent_admission_is_refused() -> None:
    agreed = D(2026, 4, 20)
    case = made_permanent(agreed)
    with pytest.raises(GuardFailed, match="agreed date of permanent admission is 2026-04-20"):
        case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=D(2026, 4, 17))


def test_success_on_the_agreed_date_is_allowed() -> None:
    agreed = D(2026, 4, 20)
    case = made_permanent(agreed)
    case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=agreed)
    assert case.stage is Stage.SUCCESSFUL


def test_a_completed_joiners_form_closes_the_joiners_obligation() -> None:
    case = made_permanent()
    assert K.COMPLETE_JOINERS_FORM in {o.kind for o in case.obligations}
    case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=sc.SUCCESS.date_on_roll)
    assert K.COMPLETE_JOINERS_FORM not in {o.kind for o in case.obligations}
    assert case.history[-1].data["closed"] == [{"kind": "complete_joiners_form", "owner": "host"}]


def test_a_joiners_form_already_discharged_is_not_closed_twice() -> None:
    case = made_permanent()
    case.discharge(K.COMPLETE_JOINERS_FORM, by=sc.HOST_STAFF, on=sc.FINAL_REVIEW)
    case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=sc.SUCCESS.date_on_roll)
    assert "closed" not in case.history[-1].data


# -- R17: deletion needs the other school's consent ----------------------------------------------
def obligation(case: Reintegration, kind: ObligationKind) -> Any:
    (found,) = [o for o in case.obligations if o.kind is kind]
    return found


def test_success_owes_the_aps_deletion_and_the_hosts_consent_on_the_agreed_date() -> None:
    case = made_permanent(D(2026, 4, 13))
    case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=D(2026, 4, 13))
    deletion = obligation(case, K.DELETE_FROM_ROLL)
    consent = obligation(case, K.CONSENT_TO_DELETION)
    leavers = obligation(case, K.COMPLETE_LEAVERS_FORM)
    assert (deletion.owner, deletion.due) == (Party.AP, D(2026, 4, 13))
    assert (consent.owner, consent.due) == (Party.HOST, D(2026, 4, 13))
    assert (leavers.owner, leavers.due) == (Party.AP, D(2026, 4, 13))
    assert deletion.basis.startswith(f"{REGULATIONS}, regulation 9(1)(c)")
    assert "regulation 9(1)(c)(ii)" in consent.basis
    assert "has consented to the deletion" in consent.basis
    assert "regulation 13(4)" in leavers.basis


def test_an_ending_owes_the_hosts_deletion_and_the_aps_consent_on_the_effective_date() -> None:
    case = ending()
    effective = sc.letter().effective_date
    deletion = obligation(case, K.DELETE_FROM_ROLL)
    consent = obligation(case, K.CONSENT_TO_DELETION)
    portal = obligation(case, K.NOTIFY_PORTAL)
    assert (deletion.owner, deletion.due) == (Party.HOST, effective)
    assert (consent.owner, consent.due) == (Party.AP, effective)
    assert (portal.owner, portal.due) == (Party.HOST, effective)
    assert "regulation 13(4)" in portal.basis


def test_deleting_before_the_other_school_consents_is_refused_citing_the_regulation() -> None:
    case = ending()
    with pytest.raises(GuardFailed) as refused:
        case.discharge(K.DELETE_FROM_ROLL, by=sc.HOST_STAFF, on=EMERGENCY_ON)
    (reason,) = refused.value.reasons
    assert "before the Alternative Provision setting has consented to the deletion" in reason
    assert "regulation 9(1)(c)(ii)" in reason


def test_deleting_after_the_other_school_consents_is_allowed() -> None:
    case = ending()
    case.discharge(K.CONSENT_TO_DELETION, by=sc.AP_HEAD, on=EMERGENCY_ON)
    case.discharge(K.DELETE_FROM_ROLL, by=sc.HOST_STAFF, on=EMERGENCY_ON)
    assert K.DELETE_FROM_ROLL not in {o.kind for o in case.obligations}


def test_the_hosts_joiners_return_is_due_five_days_after_the_start() -> None:
    joiners = obligation(placed(), K.COMPLETE_JOINERS_FORM)
    assert (joiners.owner, joiners.due) == (Party.HOST, sc.START + dt.timedelta(days=5))
    assert "regulation 13(1)" in joiners.basis
    assert "fifth day" in joiners.basis


# -- R16: dates ----------------------------------------------------------------------------------
def test_a_step_dated_more_than_a_year_ahead_is_refused() -> None:
    far = dt.date.today() + dt.timedelta(days=367)
    with pytest.raises(GuardFailed, match="more than a year ahead"):
        opened().withdraw("x", by=sc.PARENT, on=far)
    with pytest.raises(GuardFailed, match="more than a year ahead"):
        opened().withdraw("x", by=sc.PARENT, on=dt.date(9999, 12, 31))


def test_a_step_dated_a_year_ahead_is_allowed() -> None:
    case = opened()
    case.withdraw("x", by=sc.PARENT, on=dt.date.today() + dt.timedelta(days=366))
    assert case.stage is Stage.WITHDRAWN


# -- departures are seen wherever the case is ----------------------------------------------------
def test_departures_show_on_the_timeline_the_forms_and_the_export() -> None:
    case = host_found("Oakfield Academy")
    (departure,) = case.departures
    assert f"departure (R5): {departure.text}" in views.timeline(case, sc.HOST_FOUND)
    assert "DEPARTURES FROM THE PROTOCOL" in render_text(case)
    assert departure.text in " ".join(render_text(case).split())  # the text wraps lines
    exported = views.export(case, sc.HOST_FOUND)
    assert exported["departures"] == [{"seq": 4, "rule": "R5", "text": departure.text}]


def test_a_replayed_case_has_the_same_departures() -> None:
    case = host_found("Oakfield Academy")
    assert Reintegration.replay(case.history, CALENDAR).departures == case.departures


def test_an_attendee_list_naming_the_child_as_other_is_not_the_child() -> None:
    """The child counts as attending only as the CHILD party."""
    case = placed()
    attendees = (*WITHOUT_CHILD, Attendee("Alex Example", Party.OTHER))
    case.hold_review(
        sc.review(sc.FIRST_REVIEW, attendees=attendees), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW
    )
    assert [rule for rule, _ in departures(case)] == ["R9"]
