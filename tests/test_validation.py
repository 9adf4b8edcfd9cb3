"""Tests for gathering: a form or value built with several bad fields names every one of them."""

from __future__ import annotations

import ast
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from examples import EXAMPLES, classes
from reintegration_fsm import (
    Actor,
    FormInvalid,
    PastoralSupportPlan,
    ProtocolDefinitionError,
    ProtocolError,
    ReintegrationTimetable,
    fields,
)
from reintegration_fsm.protocol.definition import WORCESTERSHIRE
from reintegration_fsm.stores.retention import RetentionPolicy
from scenario import (
    PUPIL,
    START,
    D,
    consent,
    information,
    tomorrow,
)

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "reintegration_fsm"


class Spoilt:
    """A value no field takes."""

    def __repr__(self) -> str:
        return "<spoilt>"


WRONG_TYPES = st.sampled_from([Spoilt(), 1j, b"bytes"])
"""Values of a type no field of any form takes."""

IMPOSSIBLE_FOR: dict[Callable[..., None], Any] = {
    fields.text: "a bell \x07",
    fields.name: "two\nlines",
    fields.given_name: "   ",
    fields.past_day: st.builds(tomorrow),
    fields.percentage: 101,
}
"""Values of the right type that a field's validator refuses (a strategy where the value
depends on the day it is drawn)."""

IMPOSSIBLE: dict[tuple[type[Any], str], Any] = {
    (type(PUPIL), "key_stage"): 9,
    (type(PUPIL), "upn"): "B80120000500X",
    (ReintegrationTimetable, "week_beginning"): START + dt.timedelta(days=1),
    (type(information()), "evidence"): [["psp"]],  # no set holds a list: the converter leaves it
    (type(information()), "exclusions_this_year"): 367,
    (type(consent()), "preferred_schools"): ["Elmstead High School", "two\nlines"],
    (RetentionPolicy, "years"): 0,
}


def spoilers(cls: type[Any], field: attrs.Attribute[Any]) -> st.SearchStrategy[Any]:
    """Bad values for `field` of `cls`: of a wrong type, or impossible."""
    found = (IMPOSSIBLE_FOR.get(field.validator), IMPOSSIBLE.get((cls, field.name)))
    impossible = [
        value if isinstance(value, st.SearchStrategy) else st.just(value)
        for value in found
        if value is not None
    ]
    return WRONG_TYPES | st.one_of(impossible) if impossible else WRONG_TYPES


@st.composite
def spoilt(draw: st.DrawFn, cls: type[Any], least: int) -> dict[str, Any]:
    """Some of the fields of `cls` (at least `least`), each with a bad value."""
    every = attrs.fields(cls)
    chosen = draw(st.sets(st.sampled_from(every), min_size=min(least, len(every))))
    return {field.name: draw(spoilers(cls, field)) for field in chosen}


def build_with(cls: type[Any], changes: dict[str, Any]) -> FormInvalid:
    with pytest.raises(FormInvalid) as caught:
        attrs.evolve(EXAMPLES[cls], **changes)
    return caught.value


@pytest.mark.parametrize("cls", classes(), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_every_bad_field_is_named_in_field_order(cls: type[Any], data: st.DataObject) -> None:
    """Spoil any two or more fields: exactly those are named, in the form's order."""
    changes = data.draw(spoilt(cls, least=2))
    error = build_with(cls, changes)
    order = [field.name for field in attrs.fields(cls) if field.name in changes]
    assert [field for field, _ in error.problems] == order
    assert (error.field, error.problem) == error.problems[0]
    assert error.form == cls.__name__
    for field, problem in error.problems:
        assert f"{cls.__name__}.{field}: {problem}" in str(error)
    assert isinstance(error, ValueError)
    assert isinstance(error, ProtocolError)


@pytest.mark.parametrize("cls", classes(), ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_one_bad_field_is_named_as_before(cls: type[Any], data: st.DataObject) -> None:
    """One bad field: `.field` and `.problem` name it, and it is the only problem."""
    field = data.draw(st.sampled_from(attrs.fields(cls)))
    error = build_with(cls, {field.name: data.draw(spoilers(cls, field))})
    assert error.problems == ((field.name, error.problem),)
    assert error.field == field.name
    assert str(error) == f"{cls.__name__}.{field.name}: {error.problem}"


def test_a_consent_form_with_three_bad_answers_names_all_three() -> None:
    """What an MIS learns from one try, not three."""
    born = tomorrow()
    with pytest.raises(FormInvalid) as caught:
        consent(child_dob=born, agrees="yes", signed_by="Dana\nExample")
    assert caught.value.problems == (
        ("child_dob", f"{born.isoformat()} is in the future"),
        ("agrees", "must be True or False, not 'yes'"),
        ("signed_by", "must be on one line"),
    )


def test_one_bad_answer_reads_exactly_as_before() -> None:
    with pytest.raises(FormInvalid) as caught:
        consent(agrees="yes")
    error = caught.value
    assert (error.form, error.field, error.problem) == (
        "ConsentForm",
        "agrees",
        "must be True or False, not 'yes'",
    )
    assert str(error) == "ConsentForm.agrees: must be True or False, not 'yes'"
    assert error.problems == (("agrees", "must be True or False, not 'yes'"),)


def test_a_cross_field_check_waits_for_the_fields_it_reads() -> None:
    """A plan whose start is no date: its end is not compared with it (no TypeError)."""
    with pytest.raises(FormInvalid) as caught:
        PastoralSupportPlan(start="2025-11-03", end=D(2025, 11, 1), summary=3)  # type: ignore[arg-type]
    assert [field for field, _ in caught.value.problems] == ["start", "summary"]


def test_a_cross_field_check_is_named_with_the_others() -> None:
    with pytest.raises(FormInvalid) as caught:
        PastoralSupportPlan(start=D(2025, 11, 3), end=D(2025, 11, 1), summary=3)  # type: ignore[arg-type]
    assert caught.value.problems == (
        ("end", "the plan ends on 2025-11-01, before it starts on 2025-11-03"),
        ("summary", "must be text, not 3"),
    )


def test_a_set_no_converter_can_make_is_named_with_the_others() -> None:
    """Evidence given as a list holding a list: a problem of the form, not a bare TypeError."""
    with pytest.raises(FormInvalid) as caught:
        information(evidence=[["psp"]], attendance_percent=140)
    assert [field for field, _ in caught.value.problems] == ["evidence", "attendance_percent"]


def test_each_thread_gathers_its_own_problems() -> None:
    """Two threads building bad actors at once each learn of every problem of their own."""
    found: list[tuple[tuple[str, str], ...]] = []

    def build() -> None:
        for _ in range(200):
            try:
                Actor(" ", "", "boss")  # type: ignore[arg-type]
            except FormInvalid as error:
                found.append(error.problems)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 800
    assert {tuple(field for field, _ in problems) for problems in found} == {("id", "name", "role")}


def test_a_validator_asked_outside_a_form_names_its_one_problem() -> None:
    """As the stores ask a field's validator of a placeholder, with no form to gather from."""
    field = attrs.fields(type(PUPIL)).name
    with pytest.raises(FormInvalid) as caught:
        fields.given_name(None, field, " ")
    assert caught.value.problems == (("name", "must not be blank"),)


def test_a_validator_asked_of_another_forms_field_names_its_one_problem() -> None:
    """A form's validator tried on another form's field: no fields to gather, no ValueError."""
    field = attrs.fields(type(consent())).parent_address
    with pytest.raises(FormInvalid) as caught:
        fields.text(PUPIL, field, 3)
    assert caught.value.problems == (("parent_address", "must be text, not 3"),)


def test_no_validator_raises_a_form_invalid_of_its_own_making() -> None:
    """Each raises `validation.fail(...)`, which gathers the other fields' problems."""
    for path in [*(PACKAGE / "fields").glob("*.py"), *(PACKAGE / "forms").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "FormInvalid", path.name


# -- a protocol: `fail_definition` ---------------------------------------------------------------


def protocol_problems(**changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolDefinitionError) as caught:
        attrs.evolve(WORCESTERSHIRE, **changes)
    assert all(line is None for _, _, line in caught.value.problems)
    return [(field, problem) for field, problem, _ in caught.value.problems]


def test_a_protocols_cross_field_check_waits_when_the_first_bad_field_is_one_it_reads() -> None:
    """Weeks that do not increase are not also past a 20-day limit; weeks that are no
    numbers are not compared with it (no TypeError)."""
    assert protocol_problems(review_weeks=(9, 4, 2), final_review_within_days=20) == [
        ("review_weeks", "must increase from above 0, not [9, 4, 2]"),
    ]
    assert protocol_problems(review_weeks="2, 4, 6", final_review_within_days=20) == [
        (
            "review_weeks",
            "must be three whole numbers of weeks (two interim reviews and the final one), "
            'not "2, 4, 6"',
        ),
    ]


def test_a_protocols_cross_field_check_is_not_made_on_a_limit_with_a_problem_of_its_own() -> None:
    assert protocol_problems(place_offer_school_days=0, final_review_within_days=0) == [
        ("place_offer_school_days", "must be a whole number above 0, not 0"),
        ("final_review_within_days", "must be a whole number above 0, not 0"),
    ]


def test_a_protocols_cross_field_problem_met_first_names_the_later_problems() -> None:
    """The limit's check fails before any later field's: it is named for the review weeks."""
    assert protocol_problems(review_weeks=(2, 4, 9), weighting_points=-1) == [
        (
            "review_weeks",
            "the final review at 9 weeks (63 days) is past final_review_within_days (42)",
        ),
        ("weighting_points", "must be a whole number, 0 or more, not -1"),
    ]


def test_every_roles_problem_gathered_after_another_is_named_for_its_trigger() -> None:
    """Each trigger's problem, in trigger order: the validator stopped at the first."""
    roles = dict(WORCESTERSHIRE.roles) | {"withdraw": frozenset(), "open": frozenset()}
    assert protocol_problems(place_offer_school_days=0, roles=roles, retention_years=0) == [
        ("place_offer_school_days", "must be a whole number above 0, not 0"),
        ("roles.open", "no role may fire it"),
        ("roles.withdraw", "no role may fire it"),
        ("retention_years", "must be a whole number above 0, not 0"),
    ]


def test_every_roles_problem_met_first_is_named_then_the_later_fields() -> None:
    """The roles' own validator failing first names each trigger's problem, then the rest."""
    roles = {key: value for key, value in WORCESTERSHIRE.roles.items() if key != "discharge"} | {
        "brew_tea": frozenset(),
        "withdraw": frozenset({"governor"}),
    }
    found = protocol_problems(roles=roles, retention_years=0)
    assert [field for field, _ in found] == [
        "roles.brew_tea",
        "roles.withdraw",
        "roles.discharge",
        "retention_years",
    ]
    assert found[0][1].startswith("is not a trigger")
    assert found[1][1].startswith("must be a list of roles")
    assert found[2][1] == "is missing: no role may fire it"


def test_a_store_policy_from_the_date_of_birth_keeps_at_least_18_years() -> None:
    """As a protocol's `retention_years`: fewer would remove a school-age child's data (found by
    a review). Counted from the last entry, any number of years is a policy of its own."""
    assert RetentionPolicy(years=18).years == 18
    assert RetentionPolicy(years=1, basis="last_entry").years == 1
    with pytest.raises(FormInvalid) as refused:
        RetentionPolicy(years=6)
    assert (refused.value.field, refused.value.problem) == (
        "years",
        "must be at least 18: it counts from the child's date of birth, and fewer years would "
        "remove the personal data of a child still of school age, whose case may be running, "
        "not 6",
    )
    with pytest.raises(FormInvalid):
        attrs.evolve(RetentionPolicy(years=6, basis="last_entry"), basis="date_of_birth")
