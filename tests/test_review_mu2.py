"""Review MU2: mutation testing of the rules changed since the last whole-file run (daa9fba):
R9's limit on a final review's next meeting and date of permanent admission (TM2) and R16's
year counted from the first time zone on replay (TM1). A test here for each mutant that
survived them and changes what a rule decides (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

import datetime as dt

import pytest

from reintegration_fsm import (
    GuardFailed,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    rules,
)
from scenario import AP_HEAD, FINAL_REVIEW, HOST_STAFF, OPENED, consent, review
from store_contract import CALENDAR, built, opened

LIMIT = dt.date(2027, 4, 5)
"""R16's latest date for a step, pinned (`rules.dates._LIMIT`): no test here reads the clock."""
DAY = dt.timedelta(days=1)


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """R16's latest date pinned to LIMIT until the test ends, as if today were a year before."""
    monkeypatch.setattr(rules.dates, "_LIMIT", [float("inf"), LIMIT])
    return LIMIT


def test_mu2_1_r16_with_no_case_judges_the_year_ahead_alone(limit: dt.date) -> None:
    """R16 (`time_runs_forward`) takes no case (`CaseState | None`, a guard's first argument):
    with no last step a date however early is allowed, and only the year ahead is judged, up
    to its last day and not a day beyond. (Mutant `time_runs_forward__mutmut_2`: reading the
    case's last step when there is no case.)"""
    assert rules.time_runs_forward(None, None, dt.date(2001, 1, 1)) == []
    assert rules.time_runs_forward(None, None, limit) == []
    refused = rules.time_runs_forward(None, None, limit + DAY)
    assert refused == [rules.more_than_a_year_ahead(limit + DAY, limit)]
    assert refused[0].startswith(f"The date {(limit + DAY).isoformat()} ")


def final_review(next_meeting: dt.date) -> ReviewMeeting:
    """A final review on the case's FINAL_REVIEW date extending the placement to `next_meeting`."""
    return review(
        FINAL_REVIEW,
        ReviewKind.FINAL,
        decision=ReviewDecision.CONTINUE,
        next_meeting=next_meeting,
    )


def test_mu2_2_a_replay_that_fails_leaves_new_steps_judged_as_new(limit: dt.date) -> None:
    """`judging_recorded` lifts R9's year and widens R16's for a replay's recorded steps only:
    a replay refused part way (a step dated beyond any time zone's year ahead) must not leave
    them lifted for the new steps recorded after it in the same thread. (Hand-made mutants of
    `judging_recorded`, which mutmut does not mutate, being decorated: the reset dropped, or
    done only when the replay succeeds.)"""
    far = opened("mu2-far", on=OPENED)
    written = limit + 3 * DAY  # by a clock three days ahead: beyond any zone's 0 to 2 days
    rules.dates._LIMIT[:] = [float("inf"), written]
    far.record_consent(consent(), by=AP_HEAD, on=written)
    rules.dates._LIMIT[:] = [float("inf"), limit]
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay(far.history, calendar=CALENDAR)
    assert refused.value.seq == 2
    assert list(refused.value.reasons) == [rules.more_than_a_year_ahead(written, limit)]

    # A new final review after it: R9's year is back, refused a day beyond, taken on its last day.
    year = dt.timedelta(days=366)
    late = built("mu2-late", 9)
    with pytest.raises(GuardFailed) as refused:
        late.hold_review(final_review(FINAL_REVIEW + year + DAY), by=HOST_STAFF, on=FINAL_REVIEW)
    assert [r for r in refused.value.reasons if "more than a year" in r] == [
        f"The next meeting on {(FINAL_REVIEW + year + DAY).isoformat()} is more than a year "
        "after this review; a meeting agreed so far ahead would keep the case off the due list "
        "until then."
    ]
    assert late.final_decision is None
    late.hold_review(final_review(FINAL_REVIEW + year), by=HOST_STAFF, on=FINAL_REVIEW)
    assert late.final_decision is ReviewDecision.CONTINUE

    # And R16's: a new step a day past the year ahead is refused, with no zone's allowance.
    ahead = opened("mu2-ahead", on=OPENED)
    with pytest.raises(GuardFailed) as refused:
        ahead.record_consent(consent(), by=AP_HEAD, on=limit + DAY)
    assert list(refused.value.reasons) == [rules.more_than_a_year_ahead(limit + DAY, limit)]
    ahead.record_consent(consent(), by=AP_HEAD, on=limit)
    assert ahead.history[-1].on == limit
