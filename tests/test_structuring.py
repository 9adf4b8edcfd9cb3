"""Tests for reading forms from JSON: every problem of a form's JSON is named, each at its path."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from examples import EXAMPLES, classes
from reintegration_fsm import (
    ConsentForm,
    FailureLetter,
    FormInvalid,
    Pupil,
    Reintegration,
    ReintegrationInformation,
    ReintegrationTimetable,
    ReviewMeeting,
)
from reintegration_fsm.serialisation import (
    structure,
    transition_from_json,
    transition_to_json,
    unstructure,
)
from reintegration_fsm.stores.retention import RetentionPolicy
from scenario import (
    AP_HEAD,
    FIRST_REVIEW,
    OPENED,
    PUPIL,
    START,
    consent,
    information,
    review,
    tomorrow,
)
from test_validation import IMPOSSIBLE_FOR

WRONG_JSON = st.sampled_from([{"not": "this"}, 1.5, [True]])
"""JSON no field of any form reads."""

IMPOSSIBLE_JSON: dict[Any, Any] = {
    # What each field validator refuses (test_validation's table), as JSON writes it.
    **{
        check: value.isoformat() if isinstance(value, dt.date) else value
        for check, value in IMPOSSIBLE_FOR.items()
    },
    (Pupil, "key_stage"): 9,
    (ReintegrationTimetable, "week_beginning"): (START + dt.timedelta(days=1)).isoformat(),
}
"""JSON of the right type that a form's validators refuse."""

MISSING = object()
"""Leave the field out of the JSON."""


def json_spoilers(cls: type[Any], field: attrs.Attribute[Any]) -> st.SearchStrategy[Any]:
    found = [IMPOSSIBLE_JSON.get(field.validator), IMPOSSIBLE_JSON.get((cls, field.name))]
    if field.default is attrs.NOTHING:
        found.append(MISSING)
    choices = [value for value in found if value is not None]
    return WRONG_JSON | st.sampled_from(choices) if choices else WRONG_JSON


def json_classes() -> list[type[Any]]:
    return [cls for cls in classes() if cls is not RetentionPolicy]


def top(path: str) -> str:
    """The form's own field a problem's path starts with: "attendees" of "attendees[1].party"."""
    return path.split(".")[0].split("[")[0]


@pytest.mark.parametrize("cls", json_classes(), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_every_bad_field_of_a_forms_json_is_named(cls: type[Any], data: st.DataObject) -> None:
    """Spoil any two or more fields' JSON (a wrong type, a refused value, left out): each is
    named, in the form's order, whether cattrs or the form's validators refuse it."""
    every = attrs.fields(cls)
    chosen = data.draw(st.sets(st.sampled_from(range(len(every))), min_size=min(2, len(every))))
    json = unstructure(EXAMPLES[cls])
    for field in (every[index] for index in sorted(chosen)):
        value = data.draw(json_spoilers(cls, field))
        if value is MISSING:
            del json[field.name]
        else:
            json[field.name] = value
    with pytest.raises(FormInvalid) as caught:
        structure(json, cls)
    error = caught.value
    named = [top(path) for path, _ in error.problems]
    assert list(dict.fromkeys(named)) == [every[index].name for index in sorted(chosen)]
    assert error.form == cls.__name__
    assert (error.field, error.problem) == error.problems[0]


def test_a_wrong_type_and_a_refused_value_are_named_together() -> None:
    """cattrs never builds a form with a field of the wrong type; its validators still speak."""
    born = tomorrow().isoformat()
    json = {**unstructure(consent()), "child_dob": born, "agrees": "yes", "nickname": "Al"}
    del json["signed_by"]
    with pytest.raises(FormInvalid) as caught:
        structure(json, ConsentForm)
    assert caught.value.problems == (
        ("child_dob", f"{born} is in the future"),
        ("agrees", "must be True or False, not 'yes'"),
        ("signed_by", "required field missing"),
        ("nickname", "is not a field of ConsentForm"),
    )


def test_problems_inside_a_form_inside_a_form_are_named_at_their_paths() -> None:
    json = unstructure(review(FIRST_REVIEW))
    json["held_on"] = 6
    json["attendees"][1]["party"] = "boss"
    json["child_views"]["signed_by"] = "Alex\nExample"
    json["child_views"]["good_at"] = 3
    with pytest.raises(FormInvalid) as caught:
        structure(json, ReviewMeeting)
    assert caught.value.form == "ReviewMeeting"
    assert caught.value.problems == (
        ("held_on", "must be a date written like 2026-03-02, not 6"),
        (
            "attendees[1].party",
            "'boss' is not a Party (one of: ap, host, parent, child, la, other)",
        ),
        ("child_views.good_at", "must be text, not 3"),
        ("child_views.signed_by", "must be on one line"),
    )


def test_a_date_or_time_written_otherwise_says_how_to_write_it() -> None:
    """An HTML form's "13/01/2026" is named with the one way to write it, required or optional,
    never as cattrs' "invalid value for type, expected datetime.date | None"."""
    json = {**unstructure(consent()), "child_dob": "02/04/2012", "signed_on": "13/01/2026"}
    with pytest.raises(FormInvalid) as caught:
        structure(json, ConsentForm)
    assert caught.value.problems == (
        ("child_dob", "'02/04/2012' is not a date written like 2026-03-02"),
        ("signed_on", "'13/01/2026' is not a date written like 2026-03-02"),
    )
    meeting = {**unstructure(review(FIRST_REVIEW)), "held_on": "2026-02-30", "next_meeting": 5}
    meeting["timetable"] = None
    with pytest.raises(FormInvalid) as caught:
        structure(meeting, ReviewMeeting)
    assert caught.value.problems == (
        ("held_on", "'2026-02-30' is no such day: day is out of range for month"),
        ("next_meeting", "must be a date written like 2026-03-02, not 5"),
    )


def test_a_word_that_is_not_the_protocols_names_the_words_it_could_be() -> None:
    """A made-up rating, evidence or signature, alone, optional or in an array, names the
    protocol's words, never cattrs' "invalid value for type, expected Rating"."""
    json = {**unstructure(information()), "effort": "great", "evidence": ["psp", 7]}
    with pytest.raises(FormInvalid) as caught:
        structure(json, ReintegrationInformation)
    assert caught.value.problems == (
        ("effort", "'great' is not a Rating (one of: good, satisfactory, poor)"),
        (
            "evidence[1]",
            "7 is not an Evidence (one of: psp, iep, ihcp, behaviour_log, behaviour_analysis, "
            "graduated_response, attendance_record, personal_education_plan, exclusion_data, "
            "ks4_options, assessment_data)",
        ),
    )
    assert structure({**json, "effort": None, "evidence": []}, ReintegrationInformation) == (
        information(effort=None, evidence=frozenset())
    )


def test_an_optional_form_names_its_own_problems() -> None:
    """A trigger's optional letter: named as the letter, not as `FailureLetter | None`."""
    with pytest.raises(FormInvalid) as caught:
        structure({"parent_name": 3}, FailureLetter | None)  # type: ignore[arg-type]
    assert caught.value.form == "FailureLetter"
    assert caught.value.problems[0] == ("parent_name", "must be text, not 3")
    assert len(caught.value.problems) == 8  # the wrong name, and seven fields left out


def test_one_bad_field_of_json_is_named_alone() -> None:
    with pytest.raises(FormInvalid) as caught:
        structure({**unstructure(PUPIL), "key_stage": 9}, Pupil)
    assert caught.value.problems == (("key_stage", "must be between 0 and 5, not 9"),)
    assert str(caught.value) == "Pupil.key_stage: must be between 0 and 5, not 9"


def test_json_that_is_no_object_is_one_problem_of_the_whole_form() -> None:
    with pytest.raises(FormInvalid) as caught:
        structure("Alex Example", Pupil)
    assert caught.value.problems == (("?", "expected a JSON object, not 'Alex Example'"),)
    assert str(caught.value) == "Pupil: expected a JSON object, not 'Alex Example'"  # not "Pupil.?"
    within = caught.value.within("Transition", "form", prefix="record_consent: ")
    assert str(within) == (
        "Transition.form: record_consent: Pupil: expected a JSON object, not 'Alex Example'"
    )


def test_a_transitions_actor_keeps_every_problem() -> None:
    """`transition_from_json` passes the actor's error on whole: its name and its role."""
    case = Reintegration.open(
        "C-1", PUPIL, "Brookfield Learning Centre", "Example County Council", by=AP_HEAD, on=OPENED
    )
    json = transition_to_json(case.history[0])
    json["actor"] = {"id": "ap-1", "role": "boss", "organisation": ""}
    with pytest.raises(FormInvalid) as caught:
        transition_from_json(json)
    assert caught.value.form == "Transition"
    assert caught.value.problems == (
        ("actor.name", "required field missing"),
        (
            "actor.role",
            "'boss' is not a Role (one of: ap_head, ap_staff, host_head, host_staff, "
            "la_admissions, parent, child)",
        ),
    )


def test_a_transition_names_every_bad_field_at_once() -> None:
    """It stopped at the first bad key: an import file's author fixed one mistake per run."""
    case = Reintegration.open(
        "C-1", PUPIL, "Brookfield Learning Centre", "Example County Council", by=AP_HEAD, on=OPENED
    )
    json = transition_to_json(case.history[0])
    del json["trigger"]
    json |= {
        "seq": "1",
        "source": "nowhere",
        "dest": 3,
        "actor": {**json["actor"], "role": "boss"},
        "on": "yesterday",
        "data": [json["data"]],
    }
    with pytest.raises(FormInvalid) as caught:
        transition_from_json(json)
    assert [field for field, _ in caught.value.problems] == [
        "seq",
        "trigger",
        "source",
        "dest",
        "actor.role",
        "on",
        "data",
    ]
    assert dict(caught.value.problems)["trigger"] == "required field missing"
    assert dict(caught.value.problems)["source"] == "'nowhere' is not a stage"
    assert PUPIL.name not in str(caught.value)  # the data is never quoted
    good = transition_to_json(case.history[0])
    assert transition_from_json(good) == case.history[0]


def test_json_of_the_wrong_type_says_what_was_given_in_plain_words() -> None:
    """Text, a yes/no, a whole number or a list given as JSON of another type is named as the
    form's own validators name it, quoting what was given: never cattrs' "invalid value for
    type, expected int | None" (review FM2)."""
    data = {
        **unstructure(information()),
        "reasons_for_success": None,
        "attendance_percent": 87.5,
        "parent_involved_in_transport": "yes",
    }
    with pytest.raises(FormInvalid) as caught:
        structure(data, ReintegrationInformation)
    problems = dict(caught.value.problems)
    assert problems == {
        "reasons_for_success": "must be text, not None",
        "attendance_percent": "must be a whole number, not 87.5",
        "parent_involved_in_transport": "must be True or False, not 'yes'",
    }
    schools = {**unstructure(consent()), "preferred_schools": "Elmstead High School"}
    with pytest.raises(FormInvalid) as caught:
        structure(schools, ConsentForm)
    assert caught.value.problems == (
        ("preferred_schools", "expected a JSON array, not 'Elmstead High School'"),
    )
