"""Review HY: the Hypothesis strategies (`reintegration_fsm.testing`) and the library's own
stateful test, as a vendor testing its MIS adapter would use and trust them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import Phase, given, settings
from hypothesis.stateful import run_state_machine_as_test

from reintegration_fsm import Reintegration, SchoolCalendar
from reintegration_fsm import testing as rt
from reintegration_fsm.protocol.steps import STEP
from test_stateful import SETTINGS, ProtocolMachine

TESTING_PAGE = Path(__file__).parent.parent / "docs" / "testing.md"
QUICK = settings(SETTINGS, phases=[Phase.explicit, Phase.generate], database=None)
"""The stateful test's own runs, stopping at the first failure (no shrinking)."""


def test_HY1_the_stateful_test_notices_a_should_no_longer_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A library that stops recording R5's departure (a host the family did not ask for) is
    wrong; the stateful test must fail on it."""
    found = Reintegration._departures_found

    def without_r5(self: Reintegration, step: Any, payload: Any, on: dt.date) -> Any:
        return [d for d in found(self, step, payload, on) if d["rule"] != "R5"]

    monkeypatch.setattr(Reintegration, "_departures_found", without_r5)
    with pytest.raises(AssertionError, match="R5 was owed"):
        run_state_machine_as_test(ProtocolMachine, settings=QUICK)


def test_HY2_the_stateful_test_notices_r13_not_waiting_for_permanent_admission() -> None:
    """A library whose R13 takes a successful outcome before `permanent_from` is wrong; the
    stateful test must fail on it."""
    step = STEP["record_successful_outcome"]
    kept = step.checks

    def no_wait(case: Any, form: Any, on: dt.date) -> list[str]:
        waiting = case.permanent_from is not None and on < case.permanent_from
        reasons = [r for check in kept for r in check(case, form, on)]
        return [r for r in reasons if not (waiting and "date of permanent admission" in r)]

    object.__setattr__(step, "checks", (no_wait,))
    try:
        with pytest.raises(AssertionError):
            run_state_machine_as_test(ProtocolMachine, settings=QUICK)
    finally:
        object.__setattr__(step, "checks", kept)


def _row(strategy: str) -> str:
    page = TESTING_PAGE.read_text(encoding="utf-8")
    (row,) = [line for line in page.splitlines() if line.startswith(f"| `{strategy}(")]
    return row


@settings(max_examples=40, deadline=None)
@given(rt.protocol_runs())
def test_HY3_a_runs_steps_and_meetings_are_on_school_days(run: rt.ProtocolRun) -> None:
    """What the docs promise of a run's dates holds: every step, meeting and agreed review
    date is a school day."""
    calendar = SchoolCalendar.sample()
    for step in run.steps:
        assert calendar.is_school_day(step.kwargs["on"]), step
        meeting = step.kwargs.get("meeting")
        if meeting is not None:
            assert calendar.is_school_day(meeting.held_on), meeting
        for name in ("start_date", "first_review", "second_review", "final_review"):
            if meeting is not None and hasattr(meeting, name):
                assert calendar.is_school_day(getattr(meeting, name)), (name, meeting)


def test_HY3_the_docs_do_not_promise_every_date_of_a_run_is_a_school_day() -> None:
    """A run's forms hold dates on any day (a date on roll, a return date, a letter's
    effective date, a signature): the docs must not say every date is a school day."""
    row = _row("protocol_runs")
    assert not re.search(r"every date a school day", row), row


def test_HY3_a_run_holds_form_dates_off_school_days() -> None:
    """The dates the docs leave out are drawn on any day (so the narrower wording is needed)."""
    calendar = SchoolCalendar.sample()
    off: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None, phases=[Phase.generate])
    @given(rt.protocol_runs())
    def collect(run: rt.ProtocolRun) -> None:
        for step in run.steps:
            for value in step.kwargs.values():
                if attrs.has(type(value)):
                    for field in attrs.fields(type(value)):
                        day = getattr(value, field.name)
                        if (
                            type(day) is dt.date
                            and calendar.first_day <= day <= calendar.last_day
                            and not calendar.is_school_day(day)
                        ):
                            off.add(field.name)

    collect()
    assert "signed_on" in off
