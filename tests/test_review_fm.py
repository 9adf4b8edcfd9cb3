"""Review FM: the forms as attrs classes and the documents rendered from them."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.gb import upn as upn_check

import scenario
from reintegration_fsm import (
    FormInvalid,
    Pupil,
    Reintegration,
    documents,
)

ON = dt.date(2026, 3, 20)
YEAR_ONE = dt.date(1, 1, 1)
"""A year typed as 0001: what a redaction leaves for a removed date of birth, and nothing else."""


def _text(case: Reintegration) -> str:
    return documents.render_text(case, ON)


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
