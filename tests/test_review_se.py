"""Review SE: the seed protocol's rules as the state machine enforces them (its findings left
for a decision are described in the closing note)."""

from __future__ import annotations

import pytest

import stages
from reintegration_fsm import (
    NotPermitted,
    ObligationKind,
)
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_STAFF,
    HOST_HEAD,
    SECOND_REVIEW,
    D,
    initial_meeting,
    prepare,
    snapshot,
    views,
)


def test_SE4_a_placement_agreed_and_started_on_a_non_school_day_is_taken_as_docs_say() -> None:
    """docs/protocol.md (R7): the rule does not ask the calendar; a start agreed and fired on a
    Saturday is taken as agreed, with no departure."""
    saturday = D(2026, 2, 21)
    assert not stages.CALENDAR.is_school_day(saturday)
    case = stages.host_identified()
    case.hold_initial_meeting(
        initial_meeting(start_date=saturday), views(), by=AP_STAFF, on=stages.MEETING
    )
    prepare(case, on=saturday)
    case.start_placement(by=HOST_HEAD, on=saturday)
    assert case.history[-1].trigger == "start_placement"
    assert case.departures == ()


def test_SE5_a_discharge_by_the_wrong_party_says_who_owes_it_in_plain_english() -> None:
    """The refusal named the parties by their code values ("owed by the host party, not ap"),
    which no officer reads as English; every other message names them in words."""
    case = stages.in_placement()
    before = snapshot(case)
    with pytest.raises(NotPermitted) as refused:
        case.discharge(ObligationKind.COMPLETE_JOINERS_FORM, by=AP_HEAD, on=SECOND_REVIEW)
    why = refused.value.why
    assert "the host school" in why
    assert "the Alternative Provision setting" in why
    assert " ap" not in why
    assert "host party" not in why
    assert snapshot(case) == before
    with pytest.raises(NotPermitted) as by_la:
        case.discharge(ObligationKind.MARK_DUAL_REGISTRATION, by=ADMISSIONS, on=SECOND_REVIEW)
    assert "the local authority" in by_la.value.why
    assert snapshot(case) == before
