"""Review FM: the forms as attrs classes and the documents rendered from them."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.gb import upn as upn_check

import scenario
from reintegration_fsm import (
    ConsentForm,
    FormInvalid,
    Pupil,
    Reintegration,
    ReintegrationInformation,
    documents,
)
from reintegration_fsm.serialisation import structure, unstructure

ON = dt.date(2026, 3, 20)
YEAR_ONE = dt.date(1, 1, 1)
"""A year typed as 0001: what a redaction leaves for a removed date of birth, and nothing else."""


def _text(case: Reintegration) -> str:
    return documents.render_text(case, ON)


@pytest.mark.xfail(strict=True, reason="FM2: JSON of the wrong type named in cattrs' words")
def test_FM2_json_of_the_wrong_type_says_what_was_given_in_plain_words() -> None:
    """Text, a yes/no, a whole number or a list given as JSON of another type is named as the
    form's own validators name it, quoting what was given: never cattrs' "invalid value for
    type, expected int | None"."""
    data = {
        **unstructure(scenario.information()),
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
    consent = {**unstructure(scenario.consent()), "preferred_schools": "Elmstead High School"}
    with pytest.raises(FormInvalid) as caught:
        structure(consent, ConsentForm)
    assert caught.value.problems == (
        ("preferred_schools", "expected a JSON array, not 'Elmstead High School'"),
    )


@pytest.mark.xfail(strict=True, reason="FM6: a UPN is kept as typed, not as the DfE writes it")
@pytest.mark.parametrize("written", ["lower", "spaced", "full-width digit"])
def test_FM6_a_upn_is_kept_in_one_form(written: str) -> None:
    """A UPN typed in lower case, with spaces or with a full-width digit passes the check
    letter, and was kept as typed: another spelling of the same child's number (or, with a
    full-width digit, none the DfE issues)."""
    rest = "201000012345"[:-1] + "A"
    upn = upn_check.calc_check_digit(rest) + rest
    typed = {
        "lower": upn.lower(),
        "spaced": f"{upn[:4]} {upn[4:8]} {upn[8:]}",
        "full-width digit": upn[:-2] + chr(ord(upn[-2]) + 0xFEE0) + upn[-1],
    }[written]
    try:
        pupil = Pupil("Alex Example", scenario.PUPIL.date_of_birth, 3, upn=typed)
    except FormInvalid:
        return  # refused: fine
    assert pupil.upn == upn
