"""Review OB: a local authority bringing in cases already under way, run until now on paper."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import scenario
import stages
from reintegration_fsm import CalendarError, ObligationKind, SchoolCalendar, Transition
from reintegration_fsm.cli import cli, subject_access, views
from reintegration_fsm.stores import SqlAlchemyStore

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

THIS_YEAR = SchoolCalendar(
    [(date(2026, 9, 1), date(2026, 10, 23)), (date(2026, 11, 2), date(2026, 12, 18))]
)
"""An authority's first calendar file: this school year's autumn terms only."""
ENV = {"RFSM_AUTHORITY": None, "RFSM_CALENDAR": None, "RFSM_PROTOCOLS": None}


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=ENV)


def test_a_date_before_the_first_term_says_to_add_that_years_terms() -> None:
    """OB8: last term's referral, counted on a calendar of this year alone, is refused with a
    message saying what to add, not only the range the calendar knows."""
    with pytest.raises(CalendarError) as refused:
        THIS_YEAR.add_school_days(date(2026, 6, 22), 20)
    message = str(refused.value)
    assert "which knows 2026-09-01 to 2026-12-18" in message
    assert "add the terms of the school year holding 2026-06-22" in message
    assert refused.value.known == (date(2026, 9, 1), date(2026, 12, 18))
    with pytest.raises(CalendarError) as ahead:
        THIS_YEAR.add_school_days(date(2027, 1, 11), 20)
    assert "add the terms" not in str(ahead.value)


def test_the_onboarding_page_is_in_the_nav_and_linked_from_apply_and_the_calendar() -> None:
    """OB8: bringing in cases already under way has a page, reachable from where an officer
    starts (the command line's apply, the calendar's coverage) and in the site's nav."""
    page = DOCS / "onboarding.md"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Bringing in cases already under way\n")
    for topic in ("## Who took the step", "## What the paper does not say", "```python"):
        assert topic in text
    assert "onboarding.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "(onboarding.md)" in (DOCS / "cli.md").read_text(encoding="utf-8")
    assert "(onboarding.md)" in (DOCS / "calendar.md").read_text(encoding="utf-8")


# -- OB1: when each step was entered, beside the day it is dated ---------------------------------
def _stamped(on: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(on.year, on.month, on.day, hour, 14, 3, tzinfo=dt.timezone.utc)


@pytest.fixture
def in_london(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's time is London's (as an authority's server keeps it)."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("in_london")
def test_a_step_entered_on_another_day_than_it_is_dated_says_so_and_which_way() -> None:
    """OB1: a step keyed in days after its date reads "after"; one recorded ahead, "before";
    one entered on its day, or whose stamp is not known, says nothing. The day is the
    machine's (DR10): in summer, 23:30 UTC is half past midnight the next day in London."""
    opening = stages.opened().history[0]
    step = Transition(
        opening.seq, opening.trigger, None, opening.dest, opening.actor, dt.date(2026, 6, 11)
    )
    assert views.entered_otherwise(step, _stamped(step.on, 12)) is None
    assert views.entered_otherwise(step, None) is None
    later = views.entered_otherwise(step, _stamped(step.on + dt.timedelta(days=90)))
    assert later == "entered 2026-09-09 10:14 BST, after the day it is dated"
    winter = views.entered_otherwise(step, _stamped(dt.date(2026, 12, 7)))
    assert winter == "entered 2026-12-07 09:14 GMT, after the day it is dated"
    ahead = views.entered_otherwise(step, _stamped(step.on - dt.timedelta(days=2)))
    assert ahead is not None
    assert ahead.endswith("BST, before the day it is dated")
    half_past_midnight = dt.datetime(2026, 6, 10, 23, 30, tzinfo=dt.timezone.utc)
    assert views.entered_otherwise(step, half_past_midnight) is None  # 00:30 BST on the 11th
    late_evening = dt.datetime(2026, 6, 11, 23, 30, tzinfo=dt.timezone.utc)
    assert views.entered_otherwise(step, late_evening) == (
        "entered 2026-06-12 00:30 BST, after the day it is dated"
    )


def test_the_views_show_when_each_step_was_entered(tmp_path: Path) -> None:
    """OB1: a case's steps dated back show their entry on the timeline (text and JSON), in
    `history`'s table and in the subject access response (JSON and page); a step dated today
    shows no entry line, and every stamp shown is the store's."""
    today = dt.datetime.now(dt.timezone.utc).date()
    case = stages.in_placement()
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    with SqlAlchemyStore(url, calendar=stages.CALENDAR) as store:
        store.create_schema()
        store.save(case)
        case.discharge(ObligationKind.MARK_DUAL_REGISTRATION, by=scenario.AP_HEAD, on=today)
        store.save(case)
        stamps = store.entered(case.case_id)
    assert len(stamps) == len(case.history)
    shown = [s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in stamps if s is not None]
    assert len(shown) == len(stamps)

    text = invoke(url, "timeline", case.case_id)
    assert text.exit_code == 0, text.output
    entered_lines = [
        line for line in text.stdout.splitlines() if line.strip().startswith("entered ")
    ]
    assert len(entered_lines) == len(case.history) - 1  # all but today's discharge
    assert all(line.endswith(", after the day it is dated") for line in entered_lines)

    steps = json.loads(invoke(url, "timeline", case.case_id, "--format", "json").stdout)["steps"]
    assert [step["entered_at"] for step in steps] == shown

    table = invoke(url, "history", case.case_id, "--format", "csv").stdout.splitlines()
    assert table[0].lstrip("\ufeff").split(",")[-1] == "entered_at"
    assert [row.split(",")[-1] for row in table[1:]] == shown

    exported = json.loads(invoke(url, "export", case.case_id).stdout)
    assert [step["entered_at"] for step in exported["timeline"]] == shown
    page = invoke(url, "export", case.case_id, "--format", "html").stdout
    entered_on = (
        f'entered on <span class="date">{shown[0][:10]}</span>, another day than it is dated'
    )
    assert page.count(entered_on) == len(case.history) - 1


@pytest.mark.usefixtures("in_london")
def test_the_subject_access_page_marks_a_step_entered_on_a_later_day_in_the_machines_time() -> None:
    """DR10 on the page: its Date column marks a step entered on a later day than it is dated,
    that day read in the machine's time as the timeline reads it."""
    step = {"on": "2026-06-11", "entered_at": "2026-06-10T23:30:00Z"}  # 00:30 BST on the 11th
    assert subject_access._entered_later(step) is None
    assert subject_access._entered_later(step | {"entered_at": "2026-06-11T23:30:00Z"}) == (
        "2026-06-12"
    )
    assert subject_access._entered_later(step | {"entered_at": None}) is None
