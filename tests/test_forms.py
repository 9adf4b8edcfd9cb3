"""Tests for the forms: validation at construction, JSON round trips, and the timetable's counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from stdnum.gb import upn as upn_check

from reintegration_fsm import (
    Actor,
    Attendee,
    ChildViews,
    ConsentForm,
    Evidence,
    FailureLetter,
    FormInvalid,
    InitialMeeting,
    Measure,
    Party,
    PastoralSupportPlan,
    Professional,
    ProtocolError,
    Pupil,
    Rating,
    Reintegration,
    ReintegrationInformation,
    ReintegrationTimetable,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    Role,
    Session,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.serialisation import (
    structure,
    transition_from_json,
    transition_to_json,
    unstructure,
)
from scenario import (
    AP_HEAD,
    AP_SETTING,
    AUTHORITY,
    EVERYONE,
    FINAL_REVIEW,
    FIRST_REVIEW,
    MEETING,
    OPENED,
    PSP,
    PUPIL,
    RETURN,
    START,
    SUCCESS,
    WITH_LA,
    D,
    consent,
    information,
    initial_meeting,
    letter,
    review,
    tomorrow,
    views,
)

VALID_UPN = "B801200005001"
A_DATETIME = dt.datetime(2026, 2, 9, 9, 30)


def invalid(build: Any, field: str) -> FormInvalid:
    """Building raises FormInvalid naming `field`; it is also a ValueError and a ProtocolError."""
    with pytest.raises(FormInvalid) as excinfo:
        build()
    error = excinfo.value
    assert error.field == field
    assert isinstance(error, ValueError)
    assert isinstance(error, ProtocolError)
    assert field in str(error)
    return error


# ---- construction: impossible values ---------------------------------------------------------


def test_a_date_of_birth_in_the_future_is_invalid() -> None:
    error = invalid(lambda: attrs.evolve(PUPIL, date_of_birth=tomorrow()), "date_of_birth")
    assert error.form == "Pupil"
    assert "future" in error.problem


def test_a_date_of_birth_of_today_builds() -> None:
    assert attrs.evolve(PUPIL, date_of_birth=dt.date.today()).date_of_birth == dt.date.today()


def test_a_consent_form_for_a_child_born_in_the_future_is_invalid() -> None:
    invalid(lambda: consent(child_dob=tomorrow()), "child_dob")


@pytest.mark.parametrize("value", [-1, -30])
def test_negative_exclusions_are_invalid(value: int) -> None:
    error = invalid(lambda: information(exclusions_this_year=value), "exclusions_this_year")
    assert error.problem == f"must be 0 or more, not {value}"


@pytest.mark.parametrize("value", [-1, 101, 1000])
def test_attendance_outside_0_to_100_is_invalid(value: int) -> None:
    invalid(lambda: information(attendance_percent=value), "attendance_percent")


@pytest.mark.parametrize("value", [0, 1, 87, 100, None])
def test_attendance_from_0_to_100_builds(value: int | None) -> None:
    assert information(attendance_percent=value).attendance_percent == value


@pytest.mark.parametrize("value", [0, 3, None])
def test_zero_or_more_exclusions_build(value: int | None) -> None:
    assert information(exclusions_this_year=value).exclusions_this_year == value


@pytest.mark.parametrize("value", [-1, 6, True, "3", 3.0])
def test_an_impossible_key_stage_is_invalid(value: Any) -> None:
    invalid(lambda: attrs.evolve(PUPIL, key_stage=value), "key_stage")


def test_more_exclusions_in_a_year_than_it_has_days_are_invalid() -> None:
    """A count no store could save (10**5000) built, and a trigger took it (found by a
    review)."""
    assert information(exclusions_this_year=366).exclusions_this_year == 366
    error = invalid(lambda: information(exclusions_this_year=367), "exclusions_this_year")
    assert error.problem == "must be at most 366 (the days of a year), not 367"


BIG = 10**5000
"""A whole number of 5,001 digits: Python writes out none over 4,300 (a ValueError)."""


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: attrs.evolve(PUPIL, key_stage=BIG), "key_stage"),
        (lambda: attrs.evolve(PUPIL, key_stage=-BIG), "key_stage"),
        (lambda: information(attendance_percent=BIG), "attendance_percent"),
        (lambda: information(attendance_percent=-BIG), "attendance_percent"),
        (lambda: information(exclusions_this_year=BIG), "exclusions_this_year"),
        (lambda: information(exclusions_this_year=-BIG), "exclusions_this_year"),
    ],
    ids=[
        "key stage",
        "negative key stage",
        "attendance",
        "negative attendance",
        "exclusions",
        "negative exclusions",
    ],
)
def test_a_whole_number_too_long_to_write_out_is_invalid_and_shown_short(
    build: Any, field: str
) -> None:
    """Building the problem's text raised Python's own ValueError (found by a review)."""
    error = invalid(build, field)
    assert error.problem.endswith("100000000000… (5,001 digits)"), error.problem


# ---- construction: the UPN check letter ----------------------------------------------------


def test_a_valid_upn_builds() -> None:
    assert upn_check.is_valid(VALID_UPN)
    assert attrs.evolve(PUPIL, upn=VALID_UPN).upn == VALID_UPN


def test_a_upn_with_a_computed_check_letter_builds() -> None:
    body = "801200006001"
    number = upn_check.calc_check_digit(body) + body
    assert attrs.evolve(PUPIL, upn=number).upn == number


@pytest.mark.parametrize(
    "value",
    [
        "B801200005002",  # wrong check letter
        "Z801200005001",  # wrong check letter
        "B80120000500",  # too short
        "not a upn",
        "",
    ],
)
def test_an_invalid_upn_is_invalid(value: str) -> None:
    error = invalid(lambda: attrs.evolve(PUPIL, upn=value), "upn")
    assert "UPN" in error.problem


def test_a_upn_that_is_not_text_is_invalid() -> None:
    invalid(lambda: attrs.evolve(PUPIL, upn=801200005001), "upn")


@pytest.mark.parametrize(
    "typed",
    ["b801200005001", "B8012 00005001", "B\uff1801200005001", " B801200005001", "B801200005001 "],
)
def test_FM6_a_new_case_refuses_a_upn_written_otherwise_than_as_one(typed: str) -> None:
    """A UPN lower-cased, spaced or with a full-width digit passes the check letter, but the MIS
    and the DfE match it as written: a new case refuses it, naming how to type it (review FM,
    FM6)."""
    pupil = attrs.evolve(PUPIL, upn=typed)  # the form takes it: a stored history may hold one
    with pytest.raises(FormInvalid) as refused:
        Reintegration.open("c-1", pupil, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    assert str(refused.value) == (
        "open.pupil.upn: is not written as a UPN is (capital letters and digits, no spaces): "
        f"type {VALID_UPN}"
    )


def test_FM6_a_upn_written_as_one_opens_and_one_recorded_otherwise_before_replays() -> None:
    case = Reintegration.open(
        "c-1", attrs.evolve(PUPIL, upn=VALID_UPN), AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED
    )
    assert case.pupil.upn == VALID_UPN
    written = transition_to_json(case.history[0])
    written["data"]["pupil"]["upn"] = "b8012 00005001"  # recorded before the refusal
    again = Reintegration.replay([transition_from_json(written)])
    assert again.pupil.upn == "b8012 00005001"  # as recorded


# ---- construction: wrong types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: PastoralSupportPlan(start=A_DATETIME), "start"),
        (lambda: PastoralSupportPlan(start=D(2025, 11, 3), end=A_DATETIME), "end"),
        (lambda: attrs.evolve(PUPIL, date_of_birth=dt.datetime(2012, 5, 14)), "date_of_birth"),
        (lambda: consent(signed_on=A_DATETIME), "signed_on"),
        (lambda: initial_meeting(held_on=A_DATETIME), "held_on"),
        (lambda: initial_meeting(start_date=A_DATETIME), "start_date"),
        (lambda: initial_meeting(final_review=A_DATETIME), "final_review"),
        (lambda: ChildViews(gathered_on=A_DATETIME), "gathered_on"),
        (
            lambda: ReviewMeeting(A_DATETIME, ReviewKind.INTERIM, EVERYONE, views()),
            "held_on",
        ),
        (lambda: letter(effective_date=A_DATETIME), "effective_date"),
        (
            lambda: SuccessfulOutcome(date_on_roll=A_DATETIME, joiner_form_completed=True),
            "date_on_roll",
        ),
        (lambda: attrs.evolve(RETURN, return_date=A_DATETIME), "return_date"),
        (lambda: ReintegrationTimetable(week_beginning=dt.datetime(2026, 2, 23)), "week_beginning"),
        (lambda: PastoralSupportPlan(start="2025-11-03"), "start"),
    ],
)
def test_a_datetime_or_text_where_a_date_is_meant_is_invalid(build: Any, field: str) -> None:
    invalid(build, field)


@pytest.mark.parametrize(
    "field",
    [
        "has_parental_responsibility",
        "other_parent_has_responsibility",
        "understands_reasons",
        "agrees",
        "consent_to_share",
    ],
)
@pytest.mark.parametrize("value", ["yes", 1, 0, None])
def test_a_yes_no_answer_that_is_not_a_bool_is_invalid(field: str, value: Any) -> None:
    invalid(lambda: consent(**{field: value}), field)


@pytest.mark.parametrize("value", ["no", 0, 1])
def test_the_other_parents_agreement_is_a_bool_or_none(value: Any) -> None:
    invalid(lambda: consent(other_parent_agrees=value), "other_parent_agrees")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: attrs.evolve(PUPIL, on_mainstream_roll="no"), "on_mainstream_roll"),
        (lambda: attrs.evolve(PUPIL, looked_after=1), "looked_after"),
        (lambda: initial_meeting(parent_present="yes"), "parent_present"),
        (lambda: initial_meeting(child_present=None), "child_present"),
        (lambda: letter(incident_investigated="true"), "incident_investigated"),
        (lambda: letter(harassment_checked=1), "harassment_checked"),
        (lambda: letter(child_version_heard=None), "child_version_heard"),
        (
            lambda: SuccessfulOutcome(date_on_roll=D(2026, 4, 13), joiner_form_completed="yes"),
            "joiner_form_completed",
        ),
        (lambda: information(parent_involved_in_transport="yes"), "parent_involved_in_transport"),
    ],
)
def test_other_yes_no_answers_must_be_bools(build: Any, field: str) -> None:
    invalid(build, field)


@pytest.mark.parametrize(
    ("week_beginning", "weekday"),
    [(D(2026, 2, 24), "Tuesday"), (D(2026, 2, 27), "Friday"), (D(2026, 3, 1), "Sunday")],
)
def test_a_timetable_week_not_beginning_on_a_monday_is_invalid(
    week_beginning: dt.date, weekday: str
) -> None:
    assert week_beginning.strftime("%A") == weekday
    error = invalid(lambda: ReintegrationTimetable(week_beginning=week_beginning), "week_beginning")
    assert "Monday" in error.problem


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: attrs.evolve(PUPIL, name=None), "name"),
        (lambda: attrs.evolve(PUPIL, name=42), "name"),
        (lambda: consent(preferred_schools="Elmstead High School"), "preferred_schools"),
        (lambda: consent(preferred_schools=(1, 2)), "preferred_schools"),
        (lambda: information(attainment="good"), "attainment"),
        (lambda: information(evidence=frozenset({"psp"})), "evidence"),
        (lambda: information(evidence="psp"), "evidence"),
        (lambda: information(exclusions_this_year=1.5), "exclusions_this_year"),
        (lambda: information(attendance_percent="90"), "attendance_percent"),
        (lambda: information(attendance_percent=True), "attendance_percent"),
        (lambda: information(professionals=("Dr Smith",)), "professionals"),
        (lambda: initial_meeting(signatures=frozenset({"parent"})), "signatures"),
        (lambda: initial_meeting(transport_arrangements=None), "transport_arrangements"),
        (lambda: initial_meeting(start_time="09:00"), "start_time"),
        (lambda: initial_meeting(timetable="mornings"), "timetable"),
        (lambda: Attendee("Dana Example", "parent"), "party"),
        (lambda: review(FIRST_REVIEW, kind="interim"), "kind"),
        (lambda: review(FIRST_REVIEW, attendees=("Dana Example",)), "attendees"),
        (lambda: review(FIRST_REVIEW, child_views="happy"), "child_views"),
        (lambda: review(FIRST_REVIEW, decision="continue"), "decision"),
        (lambda: letter(reasons="Absconding"), "reasons"),
        (lambda: letter(support_provided=(None,)), "support_provided"),
        (lambda: ReintegrationTimetable(week_beginning=START, monday_am="host"), "monday_am"),
    ],
)
def test_a_value_of_the_wrong_type_is_invalid(build: Any, field: str) -> None:
    invalid(build, field)


def test_lists_and_sets_are_accepted_where_tuples_and_frozensets_are_meant() -> None:
    form = consent(preferred_schools=["Elmstead High School", "Oakfield Academy"])
    assert form.preferred_schools == ("Elmstead High School", "Oakfield Academy")
    meeting = initial_meeting(signatures={Party.PARENT, Party.CHILD})
    assert meeting.signatures == frozenset({Party.PARENT, Party.CHILD})
    assert review(FIRST_REVIEW, attendees=list(EVERYONE)).attendees == EVERYONE


# ---- construction: impossible values are refused (issues 8 and 10) ---------------------------


def test_a_plan_that_ends_before_it_starts_is_invalid() -> None:
    with pytest.raises(FormInvalid, match=r"PastoralSupportPlan\.end: the plan ends on 2026-01-01"):
        PastoralSupportPlan(start=D(2026, 5, 1), end=D(2026, 1, 1))


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_pupil_name_is_invalid(name: str) -> None:
    with pytest.raises(FormInvalid, match=r"Pupil\.name: must not be blank"):
        attrs.evolve(PUPIL, name=name)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Alex\ud800", "lone surrogate"),
        ("Alex\x1b[31m", "control character"),
        ("Alex\x00", "control character"),
        ("Alex\x85", "control character"),
        ("Alex\nExample", "must be on one line"),
        ("A" * 201, "at most 200 are kept"),
    ],
)
def test_a_name_with_bad_characters_or_too_long_is_invalid(value: str, problem: str) -> None:
    """Names are one line of printable text within the stores' column length."""
    with pytest.raises(FormInvalid, match=problem):
        attrs.evolve(PUPIL, name=value)
    with pytest.raises(FormInvalid, match=problem):
        Actor("id-1", value, Role.AP_HEAD, AP_SETTING)
    with pytest.raises(FormInvalid, match=problem):
        consent(parent_name=value)


@pytest.mark.parametrize(
    "value", ["Line one\nline two", "Tab\tseparated", "Siân Ó Briain", "x" * 100_000, "\u00a0"]
)
def test_free_text_keeps_newlines_tabs_and_any_printable_character(value: str) -> None:
    form = ChildViews(gathered_on=D(2026, 2, 6), background=value)
    assert form.background == value


@pytest.mark.parametrize("value", ["\ud83d", "bell\x07", "\x7f", "form\x0cfeed", "\r"])
def test_free_text_refuses_control_characters_and_lone_surrogates(value: str) -> None:
    with pytest.raises(FormInvalid, match=r"ChildViews\.background: holds a"):
        ChildViews(gathered_on=D(2026, 2, 6), background=value)


# ---- construction: empty, false or out-of-order content builds ----------------------------


def test_empty_and_false_content_builds() -> None:
    """The rules, not the forms, report what is missing."""
    forms = [
        consent(
            child_name="",
            parent_name="",
            relationship="",
            has_parental_responsibility=False,
            other_parent_has_responsibility=True,
            other_parent_agrees=False,
            understands_reasons=False,
            agrees=False,
            consent_to_share=False,
            preferred_schools=(),
            signed_by="",
            signed_on=None,
        ),
        ReintegrationInformation(
            attainment=None,
            effort=None,
            attitude_to_staff=None,
            attitude_to_peers=None,
            homework=None,
            reasons_for_success="",
            transport_plan="",
            evidence=frozenset(),
        ),
        PastoralSupportPlan(start=D(2026, 5, 1), end=D(2026, 5, 1)),
        ChildViews(gathered_on=D(2030, 1, 1)),
        InitialMeeting(
            held_on=MEETING,
            parent_present=False,
            child_present=False,
            signatures=frozenset(),
            start_date=MEETING - dt.timedelta(days=30),
            transport_arrangements="",
            child_will="",
            school_will="",
            parent_will="",
            host_contact="",
            first_review=FINAL_REVIEW,
            second_review=FIRST_REVIEW,
            final_review=D(2027, 1, 1),
        ),
        ReviewMeeting(held_on=FIRST_REVIEW, kind=ReviewKind.FINAL, attendees=(), child_views=None),
        FailureLetter(
            parent_name="",
            reasons=(),
            incident_investigated=False,
            harassment_checked=False,
            child_version_heard=False,
            support_provided=(),
            effective_date=D(2020, 1, 1),
            head_teacher="",
        ),
        SuccessfulOutcome(date_on_roll=D(2020, 1, 1), joiner_form_completed=False),
        UnsuccessfulOutcome(provision_for_return="", return_date=None, completed_by=""),
        ReintegrationTimetable(week_beginning=START),
        Pupil("Alex Example", D(2012, 5, 14), key_stage=0),
    ]
    assert all(attrs.has(type(form)) for form in forms)


def test_forms_build_from_the_named_fields_alone() -> None:
    """Every field the contract does not name has a default."""
    assert Pupil("Alex Example", D(2012, 5, 14), 3).upn is None
    assert ChildViews(D(2026, 2, 6)).aspirations == ""
    assert PastoralSupportPlan(D(2025, 11, 3)).end is None
    review_meeting = ReviewMeeting(FIRST_REVIEW, ReviewKind.INTERIM, EVERYONE, views(FIRST_REVIEW))
    assert review_meeting.decision is ReviewDecision.CONTINUE
    assert review_meeting.concerns == ""
    assert review_meeting.next_meeting is None
    assert letter().home_head_teacher == "Morgan Reed"


def test_forms_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        PUPIL.name = "Someone Else"  # type: ignore[misc]


# ---- JSON round trips ----------------------------------------------------------------------

TIMETABLE = ReintegrationTimetable(
    week_beginning=START,
    monday_am=Session.HOST,
    monday_pm=Session.HOST,
    tuesday_am=Session.AP,
    wednesday_pm=Session.AP,
    friday_pm=Session.HOST,
)

SCENARIO_FORMS: list[Any] = [
    PUPIL,
    attrs.evolve(PUPIL, upn=VALID_UPN, looked_after=True, key_stage=4, address="1 High St"),
    consent(),
    consent(other_parent_has_responsibility=True, other_parent_agrees=True),
    consent(signed_on=None, preferred_schools=("Elmstead High School", "Oakfield Academy")),
    information(),
    information(
        attendance_percent=87,
        exclusions_this_year=2,
        professionals=(Professional("Dr Patel", "Educational psychologist, monthly"),),
        measures_taken=(Measure("Reduced timetable", "Some success"),),
        parent_involved_in_transport=True,
        attainment=None,
    ),
    PSP,
    PastoralSupportPlan(start=D(2025, 11, 3), end=D(2026, 7, 20), summary="Weekly mentoring."),
    views(),
    ChildViews(
        gathered_on=D(2026, 2, 6),
        background="Moved schools twice.",
        good_at="Art and design.",
        challenges_and_support="Large classes.",
        new_school_could_support_by="A quiet space.",
        aspirations="To do my GCSEs.",
        signed_by="Alex Example",
    ),
    Attendee("Dana Example", Party.PARENT),
    initial_meeting(),
    initial_meeting(start_time=dt.time(8, 45), timetable=TIMETABLE, uniform_arrangements="Grant"),
    TIMETABLE,
    ReintegrationTimetable(week_beginning=START),
    review(FIRST_REVIEW),
    review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
    review(
        FINAL_REVIEW,
        ReviewKind.FINAL,
        decision=ReviewDecision.CONTINUE,
        next_meeting=D(2026, 4, 20),
    ),
    review(
        D(2026, 3, 12),
        ReviewKind.EMERGENCY,
        attendees=WITH_LA,
        concerns="Left the site.",
        decision=ReviewDecision.END,
        timetable=TIMETABLE,
    ),
    review(FIRST_REVIEW, child_views=None, attendees=()),
    letter(),
    letter(reasons=(), support_provided=(), home_head_teacher=""),
    SUCCESS,
    RETURN,
    attrs.evolve(RETURN, return_date=None, reasons_for_failure="Absconding."),
]


@pytest.mark.parametrize("form", SCENARIO_FORMS, ids=lambda form: type(form).__name__)
def test_a_form_round_trips_through_json_unchanged(form: Any) -> None:
    data = unstructure(form)
    text = json.dumps(data)  # plain JSON: no default= hook needed
    rebuilt = structure(json.loads(text), type(form))
    assert rebuilt == form
    assert type(rebuilt) is type(form)
    assert unstructure(rebuilt) == data


def test_unstructured_forms_hold_plain_values() -> None:
    data = unstructure(initial_meeting(start_time=dt.time(8, 45), timetable=TIMETABLE))
    assert data["held_on"] == MEETING.isoformat()
    assert data["start_time"] == "08:45:00"
    assert data["signatures"] == sorted(data["signatures"])
    assert set(data["signatures"]) == {"parent", "child", "ap", "host"}
    assert data["timetable"]["monday_am"] == "host"
    info = unstructure(information())
    assert info["attainment"] == Rating.SATISFACTORY.value
    assert set(info["evidence"]) == {
        e.value
        for e in (
            Evidence.PSP,
            Evidence.BEHAVIOUR_LOG,
            Evidence.ATTENDANCE_RECORD,
            Evidence.EXCLUSION_DATA,
            Evidence.ASSESSMENT_DATA,
        )
    }


def test_equal_forms_unstructure_to_identical_json() -> None:
    """Set order never changes the JSON (the audit hash depends on it)."""
    a = initial_meeting(signatures=[Party.HOST, Party.AP, Party.CHILD, Party.PARENT])
    b = initial_meeting(signatures=[Party.PARENT, Party.CHILD, Party.AP, Party.HOST])
    assert json.dumps(unstructure(a)) == json.dumps(unstructure(b))


# ---- structure of bad JSON -----------------------------------------------------------------

PUPIL_JSON = unstructure(PUPIL)
CONSENT_JSON = unstructure(consent())
INFORMATION_JSON = unstructure(information())
REVIEW_JSON = unstructure(review(FIRST_REVIEW))


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


TOMORROW = "tomorrow"
"""Stands for the day after the test runs, in a parametrized JSON (collected earlier)."""


@pytest.mark.parametrize(
    ("data", "cls", "field"),
    [
        (_without(PUPIL_JSON, "name"), Pupil, "name"),
        ({**PUPIL_JSON, "date_of_birth": "2012-13-01"}, Pupil, "date_of_birth"),
        ({**PUPIL_JSON, "date_of_birth": 20120514}, Pupil, "date_of_birth"),
        ({**PUPIL_JSON, "date_of_birth": TOMORROW}, Pupil, "date_of_birth"),
        ({**PUPIL_JSON, "upn": "B801200005002"}, Pupil, "upn"),
        ({**PUPIL_JSON, "key_stage": 9}, Pupil, "key_stage"),
        ({**REVIEW_JSON, "kind": "weekly"}, ReviewMeeting, "kind"),
        (
            {**REVIEW_JSON, "attendees": [{"name": "Dana", "party": "boss"}]},
            ReviewMeeting,
            "attendees[0].party",
        ),
        ({**INFORMATION_JSON, "evidence": ["a hunch"]}, ReintegrationInformation, "evidence[0]"),
        (
            {**INFORMATION_JSON, "attendance_percent": 140},
            ReintegrationInformation,
            "attendance_percent",
        ),
        (
            {**INFORMATION_JSON, "exclusions_this_year": -2},
            ReintegrationInformation,
            "exclusions_this_year",
        ),
        (
            {**unstructure(TIMETABLE), "week_beginning": "2026-02-24"},
            ReintegrationTimetable,
            "week_beginning",
        ),
    ],
)
def test_structuring_bad_json_is_invalid_and_names_the_field(
    data: Any, cls: type[Any], field: str
) -> None:
    if data.get("date_of_birth") == TOMORROW:  # the day after the test runs, not after collection
        data = {**data, "date_of_birth": tomorrow().isoformat()}
    with pytest.raises(FormInvalid) as excinfo:
        structure(data, cls)
    assert excinfo.value.field == field


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({**PUPIL_JSON, "nickname": "Al"}, Pupil),
        ([PUPIL_JSON], Pupil),
        ("Alex Example", Pupil),
        (None, Pupil),
        ({}, ConsentForm),
        ({**CONSENT_JSON, "signed_on": "yesterday"}, ConsentForm),
        ({**REVIEW_JSON, "attendees": "everyone"}, ReviewMeeting),
    ],
)
def test_structuring_malformed_json_is_invalid(data: Any, cls: type[Any]) -> None:
    with pytest.raises(FormInvalid):
        structure(data, cls)


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        pytest.param({**CONSENT_JSON, "agrees": "false"}, ConsentForm, id="agrees-string-false"),
        pytest.param({**CONSENT_JSON, "agrees": "no"}, ConsentForm, id="agrees-string-no"),
        pytest.param({**CONSENT_JSON, "consent_to_share": 1}, ConsentForm, id="consent_to_share-1"),
        pytest.param(
            {**CONSENT_JSON, "other_parent_agrees": "no"},
            ConsentForm,
            id="other_parent_agrees-string-no",
        ),
        pytest.param({**PUPIL_JSON, "name": 42}, Pupil, id="name-number"),
        pytest.param({**PUPIL_JSON, "key_stage": "3"}, Pupil, id="key_stage-string"),
        pytest.param({**PUPIL_JSON, "key_stage": 3.7}, Pupil, id="key_stage-float"),
        pytest.param(
            {**PUPIL_JSON, "on_mainstream_roll": "false"},
            Pupil,
            id="on_mainstream_roll-string-false",
        ),
        pytest.param(
            {**CONSENT_JSON, "preferred_schools": "Elmstead High School"},
            ConsentForm,
            id="preferred_schools-string",
        ),
        pytest.param(
            {**CONSENT_JSON, "preferred_schools": [1]}, ConsentForm, id="preferred_schools-numbers"
        ),
        pytest.param(
            {**INFORMATION_JSON, "exclusions_this_year": "2"},
            ReintegrationInformation,
            id="exclusions-string",
        ),
    ],
)
def test_structuring_json_of_the_wrong_type_is_invalid_not_coerced(
    data: Any, cls: type[Any]
) -> None:
    """A JSON "false" must never become a parent's agreement."""
    with pytest.raises(FormInvalid):
        structure(data, cls)


# ---- the Reintegration Timetable -----------------------------------------------------------


def test_an_empty_timetable_week_counts_nothing() -> None:
    week = ReintegrationTimetable(week_beginning=START)
    assert week.sessions == (Session.NONE,) * 10
    assert week.sessions_at_host == 0
    assert week.sessions_at_ap == 0
    assert week.time_in_education == 0


def test_a_timetable_counts_host_and_ap_sessions() -> None:
    assert TIMETABLE.sessions_at_host == 3
    assert TIMETABLE.sessions_at_ap == 2
    assert TIMETABLE.time_in_education == 5
    assert TIMETABLE.sessions[:3] == (Session.HOST, Session.HOST, Session.AP)
    assert TIMETABLE.sessions[-1] is Session.HOST


def test_a_full_week_at_the_host_is_ten_sessions_in_education() -> None:
    names = [f"{day}_{half}" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
             for half in ("am", "pm")]  # fmt: skip
    week = ReintegrationTimetable(START, **dict.fromkeys(names, Session.HOST))
    assert (week.sessions_at_host, week.sessions_at_ap, week.time_in_education) == (10, 0, 10)
    mixed = attrs.evolve(week, thursday_am=Session.AP, friday_pm=Session.NONE)
    assert (mixed.sessions_at_host, mixed.sessions_at_ap, mixed.time_in_education) == (8, 1, 9)
