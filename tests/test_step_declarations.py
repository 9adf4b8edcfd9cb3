"""The step declarations' own parts: how each step reads on a timeline, which forms it prints,
where its outcomes lead, and the checks that refuse an inconsistent declaration, each refusal
naming what is wrong.

Complements tests/test_steps.py; written to kill what mutation testing of `protocol/steps.py`
left alive (docs/testing.md, "Mutation testing").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from reintegration_fsm import (
    CalendarError,
    ChildViews,
    FormInvalid,
    ObligationKind,
    ProtocolDefinitionError,
    ReferralRoute,
    Reintegration,
    ReintegrationTimetable,
    ReviewDecision,
    Stage,
    Transition,
)
from reintegration_fsm.protocol import steps
from reintegration_fsm.protocol.payloads import EmergencyReview, InitialMeetingRecord, Referral
from reintegration_fsm.protocol.reading import payload_view
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_HEAD,
    HOST_SCHOOL,
    MEETING,
    PSP,
    PUPIL,
    RETURN,
    SUCCESS,
    D,
    consent,
    information,
    initial_meeting,
    letter,
    review,
    views,
)
from stages import (
    EMERGENCY_HELD,
    emergency_meeting,
    ending,
    in_placement,
    made_permanent,
    referred,
)

STEP = steps.STEP


def timeline(case: Reintegration) -> list[str]:
    return [STEP[t.trigger].wording(t.data) for t in case.history]


# -- wording ------------------------------------------------------------------------------------


def test_a_successful_case_reads_step_by_step_on_its_timeline() -> None:
    case = made_permanent()
    case.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=SUCCESS.date_on_roll)
    case.discharge(ObligationKind.TRANSFER_RECORDS, by=AP_STAFF, on=SUCCESS.date_on_roll)
    assert timeline(case) == [
        "proposed a reintegration for Alex Example",
        "recorded written consent from Dana Example (signed 2026-01-14)",
        "referred the child to Fair Access (panel route)",
        "identified the host school: Elmstead High School (via panel)",
        "held the initial meeting; the placement starts 2026-02-23",
        "discharged: share information with host",
        "discharged: offer visit",
        "started the placement (dual registration begins)",
        "held the interim review: decision continue",
        "held the interim review: decision continue",
        "held the final review: decision make permanent, permanent from 2026-04-02",
        "recorded the successful outcome (on roll from 2026-04-13)",
        "discharged: transfer records",
    ]


def test_an_ended_case_reads_step_by_step_on_its_timeline() -> None:
    case = ending()
    case.record_unsuccessful_outcome(RETURN, by=AP_STAFF, on=D(2026, 3, 17))
    assert timeline(case)[-3:] == [
        "called an emergency review: Left the site three times.",
        "held the emergency review: decision end",
        "recorded the unsuccessful outcome (return on 2026-03-17)",
    ]


def test_a_virtual_approach_and_a_withdrawal_read_on_the_timeline() -> None:
    case = referred(route=ReferralRoute.VIRTUAL)
    case.note_at_panel(by=ADMISSIONS, on=D(2026, 1, 20))
    case.withdraw("The family moved away.", by=AP_HEAD, on=D(2026, 1, 21))
    assert timeline(case)[-3:] == [
        "referred the child to Fair Access (virtual route)",
        "noted the virtual approach at the panel",
        "withdrew the reintegration: The family moved away.",
    ]


# -- documents ---------------------------------------------------------------------------------


WEEK = ReintegrationTimetable(week_beginning=D(2026, 2, 23))


def test_the_initial_meeting_prints_the_views_the_form_and_any_timetable() -> None:
    meeting = initial_meeting()
    seen = views()
    printed = STEP["hold_initial_meeting"].documents(InitialMeetingRecord(meeting, seen))
    assert [(p.form, p.occasion) for p in printed] == [
        (seen, "For the initial meeting on 9 February 2026"),
        (meeting, ""),
    ]
    with_week = attrs.evolve(meeting, timetable=WEEK)
    printed = STEP["hold_initial_meeting"].documents(InitialMeetingRecord(with_week, seen))
    assert [(p.form, p.occasion) for p in printed][2:] == [(WEEK, "Agreed at the initial meeting")]


def test_a_review_prints_the_views_it_heard_the_form_and_any_timetable() -> None:
    meeting = review(FIRST_REVIEW, timetable=WEEK)
    printed = STEP["hold_review"].documents(meeting)
    assert [(p.form, p.occasion) for p in printed] == [
        (meeting.child_views, "For the review on 6 March 2026"),
        (meeting, ""),
        (WEEK, "From the review on 6 March 2026"),
    ]
    unheard = review(FIRST_REVIEW, child_views=None)
    assert [p.form for p in STEP["hold_review"].documents(unheard)] == [unheard]


def test_an_emergency_review_prints_its_letter_when_it_ends() -> None:
    meeting = emergency_meeting(child_views=None)
    sent = letter()
    printed = STEP["hold_emergency_review"].documents(EmergencyReview(meeting, sent))
    assert [p.form for p in printed] == [meeting, sent]
    kept_on = emergency_meeting(decision=ReviewDecision.CONTINUE, child_views=None)
    assert [
        p.form for p in STEP["hold_emergency_review"].documents(EmergencyReview(kept_on, None))
    ] == [kept_on]


def test_the_forms_of_consent_referral_and_outcomes_print_as_given() -> None:
    referral = Referral(ReferralRoute.PANEL, information(), PSP)
    assert [p.form for p in STEP["refer_to_fair_access"].documents(referral)] == [referral]
    assert [p.form for p in STEP["record_successful_outcome"].documents(SUCCESS)] == [SUCCESS]
    assert [p.form for p in STEP["record_unsuccessful_outcome"].documents(RETURN)] == [RETURN]
    assert STEP["start_placement"].documents(None) == ()


# -- outcomes, payloads, recorded dates ----------------------------------------------------------


def _emergency(decision: str) -> Any:
    """An emergency review's payload as the engine reads it from recorded JSON."""
    return payload_view(STEP["hold_emergency_review"], {"meeting": {"decision": decision}})


def _project(name: str, facts: Any, data: Any, on: D) -> None:
    """Project recorded JSON through the step, read as the engine reads it."""
    STEP[name].project(facts, payload_view(STEP[name], data), on)


@pytest.mark.parametrize(
    ("decision", "dest"),
    [(ReviewDecision.CONTINUE, Stage.IN_PLACEMENT), (ReviewDecision.END, Stage.ENDING)],
)
def test_the_emergency_reviews_outcome_follows_its_recorded_decision(
    decision: ReviewDecision, dest: Stage
) -> None:
    step = STEP["hold_emergency_review"]
    recorded, other = _emergency(decision.value), _emergency("make_permanent")
    assert step.dest(Stage.EMERGENCY_REVIEW, recorded) is dest
    condition = steps._decides(decision)
    assert condition(recorded) is True
    assert condition(other) is False
    assert condition.__name__ == f"decides_{decision.value}"


def test_data_matching_no_outcome_is_refused_naming_the_step() -> None:
    with pytest.raises(FormInvalid) as caught:
        STEP["hold_emergency_review"].dest(Stage.EMERGENCY_REVIEW, _emergency("make_permanent"))
    assert (caught.value.form, caught.value.field) == ("hold_emergency_review", "data")


def test_a_step_that_stays_leads_back_to_its_source_stage() -> None:
    assert STEP["discharge"].dest(Stage.ENDING, {}) is Stage.ENDING
    assert STEP["hold_review"].dest(Stage.IN_PLACEMENT, {}) is Stage.IN_PLACEMENT
    assert STEP["withdraw"].dest(Stage.PLANNED, {}) is Stage.WITHDRAWN


def test_a_payload_bundles_the_arguments_or_is_the_one_argument() -> None:
    meeting, seen = initial_meeting(), views()
    assert STEP["hold_initial_meeting"].payload((meeting, seen)) == InitialMeetingRecord(
        meeting, seen
    )
    assert STEP["record_successful_outcome"].payload((SUCCESS,)) is SUCCESS
    assert STEP["start_placement"].payload(()) is None


def test_a_recorded_date_is_iso_text() -> None:
    assert steps.day("2026-02-23") == D(2026, 2, 23)
    assert steps.optional_day(None) is None
    assert steps.optional_day("2026-02-23") == D(2026, 2, 23)
    with pytest.raises(TypeError, match="expected an ISO date"):
        steps.day(D(2026, 2, 23))
    with pytest.raises(TypeError):
        steps.optional_day(20260223)


def test_a_host_school_recorded_as_other_than_text_is_refused_on_replay() -> None:
    case = referred()
    case.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=D(2026, 2, 2))
    facts: Any = type("Facts", (), {})()
    with pytest.raises(TypeError, match="expected str, not 7"):
        _project("identify_host", facts, {"host_school": 7}, D(2026, 2, 2))
    _project("identify_host", facts, case.history[-1].data, D(2026, 2, 2))
    assert facts.host_school == HOST_SCHOOL


def test_a_review_projects_its_day_and_only_a_final_one_its_decision() -> None:
    facts: Any = type("Facts", (), {"final_decision": None, "permanent_from": None})()
    _project(
        "hold_review",
        facts,
        {"meeting": {"held_on": "2026-03-06", "kind": "interim", "decision": "continue"}},
        MEETING,
    )
    assert (facts.last_meeting_on, facts.final_decision) == (D(2026, 3, 6), None)
    _project(
        "hold_review",
        facts,
        {
            "meeting": {
                "held_on": "2026-04-02",
                "kind": "final",
                "decision": "make_permanent",
                "permanent_from": "2026-04-13",
            }
        },
        FINAL_REVIEW,
    )
    assert (facts.last_meeting_on, facts.final_decision, facts.permanent_from) == (
        D(2026, 4, 2),
        ReviewDecision.MAKE_PERMANENT,
        D(2026, 4, 13),
    )


def test_an_emergency_review_projects_its_day_and_the_end_only_when_it_ends() -> None:
    facts: Any = type("Facts", (), {"ended_on": None})()
    held = {"held_on": "2026-03-12", "decision": "continue"}
    _project("hold_emergency_review", facts, {"meeting": held, "letter": None}, EMERGENCY_HELD)
    assert (facts.last_meeting_on, facts.ended_on) == (D(2026, 3, 12), None)
    ended = {"meeting": {**held, "decision": "end"}, "letter": None}
    _project("hold_emergency_review", facts, ended, D(2026, 3, 13))
    assert facts.ended_on == D(2026, 3, 13)


def test_a_review_after_the_first_takes_that_review_as_the_previous_meeting() -> None:
    """R9's departure for stale views is measured from the latest meeting, the first review."""
    case = in_placement()
    case.hold_review(review(FIRST_REVIEW), by=HOST_HEAD, on=FIRST_REVIEW)
    stale = ChildViews(gathered_on=FIRST_REVIEW - dt.timedelta(days=1), good_at="Art")
    second = review(D(2026, 3, 20), child_views=stale)
    case.hold_review(second, by=HOST_HEAD, on=second.held_on)
    (departure,) = case.departures
    assert "before the previous meeting on 2026-03-06" in departure.text


# -- refusing an inconsistent declaration ------------------------------------------------------


def _replace(name: str, **changes: Any) -> tuple[steps.Step, ...]:
    changed = attrs.evolve(STEP[name], **changes)
    return tuple(changed if s.name == name else s for s in steps.STEPS)


def _refusal(declared: tuple[steps.Step, ...]) -> tuple[str, str]:
    with pytest.raises(ProtocolDefinitionError) as caught:
        steps.check_steps(declared)
    return caught.value.field, caught.value.problem


def test_the_declaration_in_any_order_is_accepted() -> None:
    steps.check_steps(steps.STEPS)
    steps.check_steps(tuple(reversed(steps.STEPS)))


def test_a_trigger_declared_twice_or_never_is_refused_naming_it() -> None:
    assert _refusal((*steps.STEPS, STEP["withdraw"])) == (
        "withdraw",
        "is declared 2 times; every trigger is declared once",
    )
    assert _refusal(tuple(s for s in steps.STEPS if s.name != "note_at_panel")) == (
        "note_at_panel",
        "is declared 0 times; every trigger is declared once",
    )


def test_two_outcomes_one_unconditional_are_refused_naming_the_step() -> None:
    emergency = STEP["hold_emergency_review"]
    loose = (steps.Way(Stage.ENDING), emergency.ways[0])
    assert _refusal(_replace("hold_emergency_review", ways=loose)) == (
        "hold_emergency_review",
        "has several outcomes, one unconditional",
    )


def test_a_step_leading_nowhere_is_refused_naming_it() -> None:
    assert _refusal(_replace("withdraw", ways=())) == ("withdraw", "leads nowhere")


def test_a_step_leaving_a_final_stage_is_refused_naming_it() -> None:
    assert _refusal(_replace("withdraw", sources=(Stage.WITHDRAWN,))) == (
        "withdraw",
        "leaves the final stage withdrawn",
    )


def test_a_step_fired_in_no_stage_is_refused_unless_it_is_open() -> None:
    assert _refusal(_replace("note_at_panel", sources=())) == (
        "note_at_panel",
        "can be fired in no stage",
    )


def test_a_stage_nothing_reaches_is_refused_naming_the_stages() -> None:
    assert _refusal(_replace("withdraw", ways=(steps.Way(None),))) == (
        "stages",
        "nothing reaches withdrawn",
    )


# -- replay reads the place offer deadline it recorded -------------------------------------------


def _with_referral_deadlines(case: Reintegration, deadlines: Any) -> list[Transition]:
    """The case's history with the referral's recorded deadlines replaced."""
    history = list(case.history)
    referral = history[2]
    assert referral.trigger == "refer_to_fair_access"
    data = {key: value for key, value in referral.data.items() if key != "deadlines"}
    if deadlines is not None:
        data["deadlines"] = deadlines
    history[2] = Transition(
        referral.seq,
        referral.trigger,
        referral.source,
        referral.dest,
        referral.actor,
        referral.on,
        data,
    )
    return history


def test_replay_reads_back_the_recorded_place_offer_deadline() -> None:
    case = referred()
    assert (
        Reintegration.replay(_with_referral_deadlines(case, case.history[2].data["deadlines"]))
        == case
    )


def test_replay_refuses_a_referral_that_recorded_no_place_offer_deadline() -> None:
    with pytest.raises(FormInvalid) as caught:
        Reintegration.replay(_with_referral_deadlines(referred(), None))
    assert (caught.value.form, caught.value.field) == ("history", "3")
    assert caught.value.problem == (
        "refer_to_fair_access: refer_to_fair_access.deadlines: no place offer deadline"
    )


def test_replay_refuses_a_place_offer_deadline_no_calendar_could_give() -> None:
    """Twenty school days after Monday 19 January 2026 cannot end on Saturday 21 February."""
    tampered = _with_referral_deadlines(referred(), [{"kind": "place_offer", "due": "2026-02-21"}])
    with pytest.raises(FormInvalid) as caught:
        Reintegration.replay(tampered)
    assert (caught.value.form, caught.value.field) == ("history", "3")
    assert caught.value.problem == (
        "refer_to_fair_access: refer_to_fair_access.deadlines: the place offer deadline "
        "2026-02-21 falls on a weekend, never a school day"
    )


def test_a_referral_without_a_calendar_says_what_it_needs() -> None:
    case = Reintegration.open(
        "case-nocal", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=D(2026, 1, 12)
    )
    case.record_consent(consent(), by=AP_HEAD, on=D(2026, 1, 14))
    with pytest.raises(CalendarError) as caught:
        case.refer_to_fair_access(
            ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=D(2026, 1, 19)
        )
    assert str(caught.value) == (
        "refer_to_fair_access needs a school calendar to set the offer deadline"
    )


TEXT_ARGUMENTS = [
    (step.name, argument)
    for step in steps.STEPS
    for argument in step.arguments
    if argument.type is str
]


@pytest.mark.parametrize(
    ("trigger", "argument"), TEXT_ARGUMENTS, ids=[f"{t}.{a.name}" for t, a in TEXT_ARGUMENTS]
)
def test_a_text_argument_takes_its_most_characters_and_one_line_where_it_is_a_name(
    trigger: str, argument: steps.Argument
) -> None:
    """Each text argument as its trigger checks it (the check the command line also runs beside
    a bad form's problems)."""
    if argument.most is not None:
        assert argument.text_problem("x" * argument.most) is None
        too_long = argument.text_problem("x" * (argument.most + 1))
        assert (
            too_long == f"is {argument.most + 1} characters long; at most {argument.most} are kept"
        )
    blank = argument.text_problem("   ")
    assert (blank == "must not be blank") is argument.needed, (trigger, blank)
    assert (argument.text_problem("a\nb") is not None) is argument.single_line
    assert argument.text_problem("Moved away, with the family's agreement.") is None
