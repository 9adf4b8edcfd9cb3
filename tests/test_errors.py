"""Tests for the errors: `FormInvalid` names every problem, and keeps its first as before."""

from __future__ import annotations

import enum
import pickle

import pytest

from reintegration_fsm import FormInvalid, ProtocolError, Stage, vocabulary
from reintegration_fsm.errors import (
    AlteredRow,
    CaseNotFound,
    ChangedProtocol,
    ConcurrentUpdate,
    GuardFailed,
    IllegalTransition,
    NotPermitted,
    ProtocolDefinitionError,
    StoreError,
    UnknownProtocol,
    a_or_an,
    describe,
)


def test_one_problem_reads_as_before() -> None:
    """form, field and problem, and the message "Form.field: problem"."""
    error = FormInvalid("ConsentForm", "agrees", "must be True or False, not 'yes'")
    assert (error.form, error.field, error.problem) == (
        "ConsentForm",
        "agrees",
        "must be True or False, not 'yes'",
    )
    assert error.problems == (("agrees", "must be True or False, not 'yes'"),)
    assert str(error) == "ConsentForm.agrees: must be True or False, not 'yes'"
    assert isinstance(error, ValueError)
    assert isinstance(error, ProtocolError)


def test_several_problems_are_all_named_the_first_being_field_and_problem() -> None:
    error = FormInvalid.of("Pupil", [("name", "must not be blank"), ("key_stage", "is 9")])
    assert error.problems == (("name", "must not be blank"), ("key_stage", "is 9"))
    assert (error.field, error.problem) == ("name", "must not be blank")
    assert str(error) == "Pupil.name: must not be blank; Pupil.key_stage: is 9"


def test_an_error_of_no_problem_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="not enough values"):
        FormInvalid.of("Pupil", [])


def test_an_error_within_a_larger_whole_keeps_every_problem() -> None:
    """A form's problems, read in a history's transition, stay one each."""
    inner = FormInvalid.of("Pupil", [("name", "must not be blank"), ("key_stage", "is 9")])
    outer = inner.within("history", "1", "open: ")
    assert outer.form == "history"
    assert outer.problems == (
        ("1", "open: Pupil.name: must not be blank"),
        ("1", "open: Pupil.key_stage: is 9"),
    )
    one = FormInvalid("Pupil", "name", "must not be blank").within("history", "1", "open: ")
    assert str(one) == "history.1: open: Pupil.name: must not be blank"


def test_a_wrong_kind_is_named_with_its_article() -> None:
    """An integrator read "must be a ObligationKind"."""
    from reintegration_fsm.records import Obligation

    with pytest.raises(FormInvalid) as refused:
        Obligation("x", "ap", None, "", None)  # type: ignore[arg-type]
    assert refused.value.problems == (
        ("kind", "must be an ObligationKind, not 'x'"),
        ("owner", "must be a Party, not 'ap'"),
    )


@pytest.mark.parametrize("word", vocabulary.ENUMS, ids=lambda word: word.__name__)
@pytest.mark.parametrize("value", ["head", "", "AP_HEAD ", 5, None, ["ap"]], ids=repr)
def test_a_value_that_is_none_of_the_protocols_words_is_form_invalid(
    word: type[enum.Enum], value: object
) -> None:
    """`Role("head")` names the words it could have been, as a form's field would (it was
    Python's bare "is not a valid Role"); a wrong kind of value too."""
    with pytest.raises(FormInvalid) as refused:
        word(value)
    assert (refused.value.form, refused.value.field) == (word.__name__, "value")
    expected = f"{value!r} is not {a_or_an(word.__name__)} (one of: "
    assert refused.value.problem.startswith(expected)
    assert all(f"{member.value}" in refused.value.problem for member in word)


@pytest.mark.parametrize("word", vocabulary.ENUMS, ids=lambda word: word.__name__)
def test_each_word_is_found_by_its_value(word: type[enum.Enum]) -> None:
    for member in word:
        assert word(member.value) is member
        assert member == member.value  # still a str


def test_an_unknown_id_too_long_to_be_any_cases_is_not_echoed_whole() -> None:
    """`history` given a 100,000-character id printed it all back, as a screen of C's."""
    refused = CaseNotFound("C" * 100_000)
    assert str(refused) == f"no case '{'C' * 40}'... (100,000 characters long)"
    assert refused.case_id == "C" * 100_000  # what was asked for is kept whole


def test_an_unknown_id_of_any_length_an_id_has_is_named_whole() -> None:
    """Held: an id up to 100 characters (the longest a store keeps) is quoted as it is."""
    assert str(CaseNotFound("DEMO-002")) == "no case 'DEMO-002'"
    assert str(CaseNotFound("C" * 100)) == f"no case '{'C' * 100}'"


@pytest.mark.parametrize(
    "error",
    [
        GuardFailed("hold_review", ["The review is incomplete."], seq=3),
        NotPermitted("record_consent", None, "only a parent or carer may."),
        IllegalTransition("withdraw", Stage.WITHDRAWN),
        ConcurrentUpdate("C-1", 2, 3),
        CaseNotFound("C-1"),
        StoreError("could not save", retryable=True, case_id="C-1"),
        AlteredRow("could not load case 'C-1': a stored row does not read", case_id="C-1"),
        FormInvalid("open", "case_id", "must not be blank"),
        ProtocolDefinitionError("roles.discharge", "no role may fire it", line=4),
        UnknownProtocol("exampleshire", "1", [("worcestershire", "2")]),
        UnknownProtocol("exampleshire", "1", [("worcestershire", "2")], case_id="C-1"),
        ChangedProtocol("exampleshire", "1"),
        ChangedProtocol("exampleshire", "1", case_id="C-1"),
        ChangedProtocol("exampleshire", "1", case_id="C-1", taken=True),
        ChangedProtocol("Exampleshire", "1", case_id="C-1", alike=("exampleshire", "1")),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_error_pickles_as_it_was(error: ProtocolError) -> None:
    """Each was made again by its constructor from its message alone, and failed: an error met
    in another process (a worker) could not come back (found by a review)."""
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.__dict__ == error.__dict__


def test_a_row_altered_behind_the_store_is_a_store_error_that_no_retry_mends() -> None:
    error = AlteredRow("could not load case 'C-1': a stored row does not read", case_id="C-1")
    assert isinstance(error, StoreError)
    assert error.retryable is False
    assert error.case_id == "C-1"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**5000, "100000000000… (5,001 digits)"),
        (-(10**5000) - 7, "-100000000000… (5,001 digits)"),
        (2**100, "126765060022… (31 digits)"),  # the most `describe` writes out is 24 digits
        (10**24 - 1, "9" * 24),
        (-12, "-12"),
        (True, "True"),
        ((2, 10**5000), "a tuple holding a number too long to write out"),
        ("x" * 100, "'" + "x" * 56 + "..."),
    ],
    ids=["huge", "huge and negative", "long", "24 digits", "short", "bool", "tuple", "text"],
)
def test_a_bad_value_is_described_briefly_whatever_its_size(value: object, shown: str) -> None:
    """A whole number of more than 4,300 digits made Python's own ValueError, raised while a
    message naming it was built (found by a review)."""
    assert describe(value) == shown
