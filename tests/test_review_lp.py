"""Review LP: leap days, British Summer Time and midnight in the calendar, deadlines and stamps."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import stages
from raw_sqlite import tamper
from reintegration_fsm import CalendarFileError, SchoolCalendar, Transition
from reintegration_fsm.cli import cli, subject_access, views
from reintegration_fsm.reports.periods import academic_year
from reintegration_fsm.stores import SqlAlchemyStore

ENV = {"RFSM_AUTHORITY": None, "RFSM_CALENDAR": None, "RFSM_PROTOCOLS": None}
UTC = dt.timezone.utc

LEAP_SPRING = SchoolCalendar(
    [
        (date(2028, 1, 4), date(2028, 2, 11)),
        (date(2028, 2, 21), date(2028, 3, 31)),
        (date(2028, 4, 18), date(2028, 5, 26)),
    ]
)
"""Spring 2028 (a leap year: 29 February is a Tuesday, in term) and the summer half term."""


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=ENV)


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this machine's time zone (TZ) for the test, restored after."""

    def set_zone(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


# -- leap days ------------------------------------------------------------------------------------
def test_29_february_is_a_school_day_counted_once_and_only_in_a_leap_year() -> None:
    """Guard: 20 school days from Monday 21 February fall a day sooner in 2028, when 29
    February is a school day, than in 2027, which has none."""
    assert LEAP_SPRING.is_school_day(date(2028, 2, 29))
    assert LEAP_SPRING.add_school_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert LEAP_SPRING.add_school_days(date(2028, 2, 21), 20) == date(2028, 3, 20)
    assert LEAP_SPRING.school_days_between(date(2028, 2, 25), date(2028, 3, 1)) == 3
    plain = SchoolCalendar(
        [(date(2027, 1, 4), date(2027, 2, 12)), (date(2027, 2, 22), date(2027, 5, 28))]
    )
    assert plain.add_school_days(date(2027, 2, 22), 20) == date(2027, 3, 22)


def test_reviews_two_four_and_six_weeks_on_count_29_february_as_a_day() -> None:
    """Guard: two weeks from 15 February 2028 is 29 February (14 days, the leap day among
    them); six weeks from 29 February is 11 April, in the Easter holiday, so the final review
    moves earlier, to the last day of term, never later."""
    assert LEAP_SPRING.suggest_review_dates(date(2028, 2, 15)) == (
        date(2028, 2, 29),
        date(2028, 3, 14),
        date(2028, 3, 28),
    )
    assert LEAP_SPRING.suggest_review_dates(date(2028, 2, 29)) == (
        date(2028, 3, 14),
        date(2028, 3, 28),
        date(2028, 3, 31),
    )


def test_an_inset_day_on_29_february_closes_it(tmp_path: Path) -> None:
    """Guard: a closure on the leap day, in a term-dates file, is read and closes that day."""
    path = tmp_path / "leap.toml"
    path.write_text(
        'source = "invented"\n'
        "[[term]]\nfirst_day = 2028-02-21\nlast_day = 2028-03-31\n"
        '[[closure]]\ndate = 2028-02-29\nreason = "INSET"\n',
        encoding="utf-8",
    )
    calendar = SchoolCalendar.from_file(path)
    assert calendar.closure_reasons == {date(2028, 2, 29): "INSET"}
    assert not calendar.is_school_day(date(2028, 2, 29))
    assert calendar.add_school_days(date(2028, 2, 28), 1) == date(2028, 3, 1)


@pytest.mark.parametrize(
    ("summary", "start", "end"),
    [("INSET day", "20270301", "20270302"), ("Spring term", "20270104", "20270229")],
)
def test_29_february_of_a_year_that_has_none_in_a_feed_is_refused_naming_its_event(
    summary: str, start: str, end: str
) -> None:
    """Guard: a feed's DTSTART or DTEND on 29 February 2027 is a typed error naming the
    event, not a ValueError, nor 1 March."""
    closure = start if summary.startswith("INSET") else None
    events = [("Spring term", "20270104", "20270326")] if closure else []
    events.append((summary, "20270229" if closure else start, end))
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{i}@lp\r\nSUMMARY:{s}\r\nDTSTART;VALUE=DATE:{a}\r\n"
        f"DTEND;VALUE=DATE:{b}\r\nEND:VEVENT\r\n"
        for i, (s, a, b) in enumerate(events)
    )
    feed = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//lp//lp//EN\r\n{body}END:VCALENDAR\r\n"
    with pytest.raises(CalendarFileError, match="20270229") as refused:
        SchoolCalendar.from_ics(feed.encode())
    assert f"event {summary!r}" in str(refused.value)


@pytest.mark.parametrize(
    "args",
    [("due", "--as-of", "2027-02-29"), ("calendar", "add-school-days", "2027-02-29", "3")],
)
def test_29_february_2027_on_the_command_line_is_a_usage_error(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Guard: no such day is exit 2 naming it, before any store or calendar is read."""
    result = invoke(f"sqlite:///{tmp_path / 'none.sqlite'}", "--calendar", "sample", *args)
    assert result.exit_code == 2, result.output
    assert "'2027-02-29' is no such day" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- the hour that repeats ------------------------------------------------------------------------
def _step(on: date) -> Transition:
    opening = stages.opened().history[0]
    return Transition(opening.seq, opening.trigger, None, opening.dest, opening.actor, on)


def test_the_hour_that_repeats_in_october_reads_as_bst_then_gmt(
    machine_zone: Callable[[str], None],
) -> None:
    """Guard: 00:30 and 01:30 UTC on Sunday 25 October 2026 are both 01:30 in London, the
    first in BST and the second in GMT; each is named with its own zone, never one for both."""
    machine_zone("Europe/London")
    step = _step(date(2026, 10, 23))
    first = views.entered_otherwise(step, dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    again = views.entered_otherwise(step, dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert first == "entered 2026-10-25 01:30 BST, after the day it is dated"
    assert again == "entered 2026-10-25 01:30 GMT, after the day it is dated"


# -- stamps at the ends of the calendar -----------------------------------------------------------
FIRST_SECONDS = dt.datetime(1, 1, 1, 0, 0, 30, tzinfo=UTC)
LAST_SECOND = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_lp1_a_stamp_before_the_year_1000_is_written_in_iso_8601() -> None:
    """LP1: `entered_at` (timeline and history JSON, CSV) wrote year 1 as "1-01-01T00:00:30Z"
    (strftime does not pad the year on Linux), which is no ISO 8601, and which the subject
    access page then failed to read (exit 70)."""
    case = stages.opened()
    steps = views.timeline_json(case, date(2026, 1, 12), entered=(FIRST_SECONDS,))["steps"]
    assert steps[0]["entered_at"] == "0001-01-01T00:00:30Z"
    rows = views.history_rows(case.history, (FIRST_SECONDS,))
    assert rows[0]["entered_at"] == "0001-01-01T00:00:30Z"


@pytest.mark.parametrize(
    ("zone", "stamp", "shown"),
    [
        ("Europe/London", FIRST_SECONDS, "entered 0001-01-01 00:00 UTC"),
        ("America/New_York", FIRST_SECONDS, "entered 0001-01-01 00:00 UTC"),
        ("Europe/Paris", LAST_SECOND, "entered 9999-12-31 23:59 UTC"),
    ],
)
def test_lp2_a_stamp_this_machines_time_cannot_hold_is_read_in_utc(
    machine_zone: Callable[[str], None], zone: str, stamp: dt.datetime, shown: str
) -> None:
    """LP2: in London (whose 0001 clock ran 75 seconds behind UTC), New York or Paris, a
    stamp within hours of 0001-01-01 or 9999-12-31 has no local time: the timeline and the
    subject access page raised OverflowError (exit 70). It is read in UTC, saying so."""
    machine_zone(zone)
    said = views.entered_otherwise(_step(date(2026, 1, 12)), stamp)
    assert said is not None
    assert said.startswith(shown)
    step = {"on": "2026-01-12", "entered_at": stamp.replace(tzinfo=None).isoformat() + "Z"}
    assert subject_access._entered_later(step) == stamp.date().isoformat()


def test_lp2_the_cli_shows_a_case_whose_stamp_was_altered_to_year_1(
    tmp_path: Path, machine_zone: Callable[[str], None]
) -> None:
    """LP1, LP2 end to end: a row's `recorded_at` changed behind the store to the first
    seconds of year 1 is reported by `verify`; the timeline, history and subject access page
    still show the case (exit 0), in London, not "a bug" (exit 70)."""
    machine_zone("Europe/London")
    case = stages.consented()
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    with SqlAlchemyStore(url, calendar=stages.CALENDAR) as store:
        store.create_schema()
        store.save(case)
    tamper(
        url,
        "UPDATE rfsm_transitions SET recorded_at = '0001-01-01 00:00:30.000000' "
        "WHERE case_id = ? AND seq = 2",
        (case.case_id,),
    )
    timeline = invoke(url, "timeline", case.case_id)
    assert timeline.exit_code == 0, timeline.output
    assert "entered 0001-01-01 00:00 UTC, before the day it is dated" in timeline.output
    steps = json.loads(invoke(url, "timeline", case.case_id, "--format", "json").stdout)["steps"]
    assert steps[1]["entered_at"] == "0001-01-01T00:00:30Z"
    history = invoke(url, "history", case.case_id)
    assert "0001-01-01T00:00:30Z" in history.output
    page = invoke(url, "export", case.case_id, "--format", "html")
    assert page.exit_code == 0, page.output
    assert 'entered on <span class="date">' in page.stdout


@pytest.mark.parametrize("year", ["9999/00", "0000/01"])
def test_lp3_an_academic_year_past_the_years_there_are_says_which_there_are(year: str) -> None:
    """LP3: `report --year 9999/00` said only "year 10000 is out of range" (Python's words,
    naming a year the officer did not write); it names the academic years there are."""
    with pytest.raises(ValueError, match="from 0001/02 to 9998/99"):
        academic_year(year)
    assert academic_year("9998/99").end == date(9999, 8, 31)
    assert academic_year("0001/02").start == date(1, 9, 1)


def test_lp4_a_clock_refusal_writes_a_year_before_1000_in_four_digits() -> None:
    """A refusal naming a stamp of year 999 (only an edited row holds one) wrote `999-12-31`,
    which no reader takes for a date; it writes `0999-12-31` as the log's own stamps do."""
    from reintegration_fsm.errors import StoreError
    from reintegration_fsm.stores.clocks import refuse_clock_behind

    with pytest.raises(StoreError) as refused:
        refuse_clock_behind(
            "c-1",
            dt.datetime(999, 12, 31, 23, 59),
            dt.datetime(2026, 1, 5, 9, 30),
            "the case's last entry",
            "save case 'c-1'",
        )
    assert "reads 0999-12-31 23:59 (UTC)" in str(refused.value)
    assert "recorded at 2026-01-05 09:30," in str(refused.value)
