"""Tests for reintegration_fsm.calendar: school days, review dates, term-date files and feeds."""

from __future__ import annotations

import copy
import itertools
import pickle
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reintegration_fsm.calendar import CalendarFileError, SchoolCalendar, plausible_school_days
from reintegration_fsm.errors import CalendarError, FormInvalid, ProtocolError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

SAMPLE = SchoolCalendar.sample()
SAMPLE_TEXT = (resources.files("reintegration_fsm") / "data" / "sample_calendar.toml").read_text(
    encoding="utf-8"
)
KNOWN = (date(2025, 9, 1), date(2027, 7, 21))


# ---- an independent oracle: the sample file read directly, `holidays` asked day by day ----------

_RAW = tomllib.loads(SAMPLE_TEXT)
_TERMS = [(t["first_day"], t["last_day"]) for t in _RAW["term"]]
_CLOSURES = {c["date"] for c in _RAW["closure"]}
_BANK = holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2028))


def oracle_is_school_day(d: date) -> bool:
    """A school day by the definition, checked the slow way."""
    return (
        d.weekday() < 5
        and any(first <= d <= last for first, last in _TERMS)
        and d not in _CLOSURES
        and d not in _BANK
    )


def oracle_school_days_after(d: date, until: date) -> list[date]:
    """Every school day after `d` up to and including `until`, the slow way."""
    out = []
    day = d + timedelta(days=1)
    while day <= until:
        if oracle_is_school_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


ALL_KNOWN_DAYS = [KNOWN[0] + timedelta(days=i) for i in range((KNOWN[1] - KNOWN[0]).days + 1)]
ALL_SCHOOL_DAYS = [d for d in ALL_KNOWN_DAYS if oracle_is_school_day(d)]

known_dates = st.dates(min_value=KNOWN[0], max_value=KNOWN[1])
counts = st.integers(min_value=1, max_value=120)


# ---- the sample file --------------------------------------------------------------------------


def test_sample_is_marked_as_sample_data_in_its_source_and_comments() -> None:
    """The shipped calendar says, in its source field and in comments, that it is sample data."""
    assert SAMPLE.source.startswith("SAMPLE DATA")
    assert "not any authority's published calendar" in SAMPLE.source
    assert "replace with your authority's published term dates" in SAMPLE.source
    assert "# " in SAMPLE_TEXT
    assert "SAMPLE DATA - NOT ANY LOCAL AUTHORITY" in SAMPLE_TEXT
    assert SAMPLE.retrieved == date(2025, 6, 1)


def test_sample_covers_two_school_years_with_190_pupil_days_and_5_inset_days_each() -> None:
    """2025/26 and 2026/27: 190 school days and 5 INSET closures in each year."""
    assert (SAMPLE.first_day, SAMPLE.last_day) == KNOWN
    for year in (2025, 2026):
        first, last = date(year, 9, 1), date(year + 1, 8, 31)
        assert sum(first <= d <= last for d in ALL_SCHOOL_DAYS) == 190
        assert sum(first <= d <= last for d in SAMPLE.closures) == 5
    assert set(SAMPLE.closure_reasons.values()) == {"INSET"}


def test_is_school_day_agrees_with_the_definition_on_every_known_day() -> None:
    """Every day of the sample, checked against terms, weekends, closures and bank holidays."""
    assert [d for d in ALL_KNOWN_DAYS if SAMPLE.is_school_day(d)] == ALL_SCHOOL_DAYS


# ---- worked examples (expected values counted by hand from the sample file) -------------------


def test_twenty_school_days_across_a_half_term_and_an_inset_day() -> None:
    """From Mon 20 Oct 2025: 21-24 Oct (4), half term 27-31 Oct, INSET Mon 3 Nov,
    4-7 Nov (8), 10-14 Nov (13), 17-21 Nov (18), 24 Nov (19), 25 Nov (20)."""
    assert SAMPLE.add_school_days(date(2025, 10, 20), 20) == date(2025, 11, 25)
    assert SAMPLE.add_school_days(date(2025, 10, 24), 1) == date(2025, 11, 4)
    assert SAMPLE.school_days_between(date(2025, 10, 20), date(2025, 11, 25)) == 20
    assert not SAMPLE.is_school_day(date(2025, 11, 3))
    assert SAMPLE.closure_reasons[date(2025, 11, 3)] == "INSET"


def test_twenty_school_days_across_easter_and_the_may_day_bank_holiday() -> None:
    """From Mon 23 Mar 2026: 24-27 Mar (4); Easter holiday 30 Mar-10 Apr (Good Friday 3 Apr,
    Easter Monday 6 Apr); 13-17 Apr (9), 20-24 Apr (14), 27 Apr-1 May (19); Mon 4 May is the
    May Day bank holiday; Tue 5 May (20)."""
    assert SAMPLE.add_school_days(date(2026, 3, 23), 20) == date(2026, 5, 5)
    assert SAMPLE.school_days_between(date(2026, 3, 27), date(2026, 4, 13)) == 1


def test_a_bank_holiday_monday_inside_a_term_is_not_a_school_day() -> None:
    """Mon 4 May 2026 is in the summer term but is a bank holiday: Fri 1 May + 1 is Tue 5 May.
    From Fri 1 May: 5-8 May (4), 11-15 (9), 18-22 (14), half term 25-29 May (Spring bank
    holiday 25 May), 1-5 Jun (19), Mon 8 Jun (20)."""
    assert not SAMPLE.is_school_day(date(2026, 5, 4))
    assert SAMPLE.add_school_days(date(2026, 5, 1), 1) == date(2026, 5, 5)
    assert SAMPLE.add_school_days(date(2026, 5, 1), 20) == date(2026, 6, 8)


def test_christmas_new_year_and_an_inset_day_are_all_skipped() -> None:
    """From Fri 19 Dec 2025: holiday to Fri 2 Jan (New Year's Day inside), INSET Mon 5 Jan,
    so the first school day after is Tue 6 Jan 2026."""
    assert SAMPLE.add_school_days(date(2025, 12, 19), 1) == date(2026, 1, 6)
    assert SAMPLE.school_days_between(date(2025, 12, 19), date(2026, 1, 5)) == 0


def test_the_starting_day_never_counts_even_when_it_is_a_holiday() -> None:
    """Counting from a Saturday or a holiday day starts with the next school day."""
    assert SAMPLE.add_school_days(date(2025, 10, 25), 1) == date(2025, 11, 4)
    assert SAMPLE.add_school_days(date(2025, 10, 31), 1) == date(2025, 11, 4)
    assert SAMPLE.add_school_days(date(2025, 11, 4), 1) == date(2025, 11, 5)


def test_adding_zero_school_days_returns_the_date_itself() -> None:
    """n == 0 gives `d` back, even when `d` is not a school day, so the inverse law holds."""
    assert SAMPLE.add_school_days(date(2025, 10, 25), 0) == date(2025, 10, 25)
    assert SAMPLE.school_days_between(date(2025, 10, 25), date(2025, 10, 25)) == 0


def test_a_negative_count_is_a_value_error() -> None:
    """Counting backwards is refused with ValueError."""
    with pytest.raises(ValueError, match="-1"):
        SAMPLE.add_school_days(date(2025, 10, 20), -1)


BIG = 10**5000
"""A whole number of 5,001 digits: Python writes out none over 4,300 (a ValueError)."""


def test_a_count_too_long_to_write_out_is_refused_as_any_other() -> None:
    """Building the message raised Python's own ValueError (found by a review)."""
    with pytest.raises(CalendarError, match=r"^100000000000… \(5,001 digits\) school days after"):
        SAMPLE.add_school_days(date(2025, 10, 20), BIG)
    with pytest.raises(FormInvalid, match=r"not -100000000000… \(5,001 digits\)$"):
        SAMPLE.add_school_days(date(2025, 10, 20), -BIG)
    with pytest.raises(FormInvalid, match="holding a number too long to write out"):
        SAMPLE.suggest_review_dates(date(2026, 1, 5), weeks=(BIG, 2, 4))
    with pytest.raises(CalendarError, match=r"the 100000000000… \(5,001 digits\) weeks to"):
        SAMPLE.suggest_review_dates(date(2026, 1, 5), weeks=(2, 4, BIG))


def test_school_days_between_is_zero_when_b_is_not_after_a() -> None:
    """No school days lie after `a` up to an earlier or equal `b`."""
    assert SAMPLE.school_days_between(date(2025, 11, 25), date(2025, 10, 20)) == 0


def test_weekend_bank_holiday_dates_and_their_monday_substitutes() -> None:
    """Christmas 2026: Fri 25 Dec and Mon 28 Dec (Boxing Day observed) are not school days;
    `holidays` also lists Sat 26 Dec, which is a weekend anyway. 21-24 and 29-31 Dec: 7 days."""
    calendar = SchoolCalendar([(date(2026, 12, 14), date(2026, 12, 31))])
    assert calendar.school_days_between(date(2026, 12, 20), date(2026, 12, 31)) == 7
    assert not calendar.is_school_day(date(2026, 12, 28))


def test_review_dates_across_a_half_term_and_an_inset_day() -> None:
    """Start Mon 20 Oct 2025: two weeks on is Mon 3 Nov, the INSET day after half term, so the
    first review moves to Tue 4 Nov; four weeks on, Mon 17 Nov, and six weeks on, Mon 1 Dec,
    are school days."""
    assert SAMPLE.suggest_review_dates(date(2025, 10, 20)) == (
        date(2025, 11, 4),
        date(2025, 11, 17),
        date(2025, 12, 1),
    )


def test_review_dates_in_a_plain_run_of_term_are_two_four_and_six_weeks_on() -> None:
    """Start Mon 8 Sep 2025, no holiday within six weeks: Mon 22 Sep, Mon 6 Oct, Mon 20 Oct."""
    assert SAMPLE.suggest_review_dates(date(2025, 9, 8)) == (
        date(2025, 9, 22),
        date(2025, 10, 6),
        date(2025, 10, 20),
    )


def test_review_dates_across_easter_and_a_bank_holiday() -> None:
    """Start Mon 23 Mar 2026: two weeks on is Easter Monday in the holiday, so the first review
    moves on to Mon 13 Apr, the first day of term; four weeks on is Mon 20 Apr; six weeks on is
    the May Day bank holiday, Mon 4 May, so the final review moves earlier, to Fri 1 May."""
    assert SAMPLE.suggest_review_dates(date(2026, 3, 23)) == (
        date(2026, 4, 13),
        date(2026, 4, 20),
        date(2026, 5, 1),
    )


def test_review_dates_are_pulled_in_when_a_holiday_makes_them_collide() -> None:
    """A term of Mon 29 Jun - Fri 17 Jul, then the summer to September: from Mon 6 Jul, two and
    four weeks on both land after the six weeks, so the reviews are spread over the 9 school
    days left (7-10 and 13-17 Jul): the 3rd, 6th and 9th, Thu 9, Tue 14 and Fri 17 Jul."""
    calendar = SchoolCalendar(
        [(date(2026, 6, 29), date(2026, 7, 17)), (date(2026, 9, 1), date(2026, 12, 18))]
    )
    assert calendar.suggest_review_dates(date(2026, 7, 6)) == (
        date(2026, 7, 9),
        date(2026, 7, 14),
        date(2026, 7, 17),
    )


def test_review_dates_are_refused_when_fewer_than_three_school_days_fit_in_six_weeks() -> None:
    """A one-week term then the summer: from Wed 15 Jul only 16 and 17 Jul are left."""
    calendar = SchoolCalendar(
        [(date(2026, 7, 13), date(2026, 7, 17)), (date(2026, 9, 1), date(2026, 12, 18))]
    )
    with pytest.raises(CalendarError, match="only 2 school day"):
        calendar.suggest_review_dates(date(2026, 7, 15))
    assert calendar.suggest_review_dates(date(2026, 7, 14)) == (
        date(2026, 7, 15),
        date(2026, 7, 16),
        date(2026, 7, 17),
    )


def test_review_dates_are_refused_when_the_six_weeks_run_past_the_calendar() -> None:
    """Late in the last summer term the end of the six weeks is unknown: no guess."""
    with pytest.raises(CalendarError, match="2025-09-01 to 2027-07-21") as caught:
        SAMPLE.suggest_review_dates(date(2027, 7, 1))
    assert caught.value.known == KNOWN


# ---- the never-guess rule ---------------------------------------------------------------------


@pytest.mark.parametrize("outside", [date(2025, 8, 31), date(2027, 7, 22), date(2030, 1, 1)])
def test_every_question_outside_the_known_range_raises_and_names_the_range(outside: date) -> None:
    """Before the first term or after the last: CalendarError naming the range, with `known`."""
    inside = date(2026, 1, 6)
    questions: list[Callable[[], object]] = [
        lambda: SAMPLE.is_school_day(outside),
        lambda: SAMPLE.add_school_days(outside, 1),
        lambda: SAMPLE.add_school_days(outside, 0),
        lambda: SAMPLE.school_days_between(outside, inside),
        lambda: SAMPLE.school_days_between(inside, outside),
        lambda: SAMPLE.suggest_review_dates(outside),
    ]
    for question in questions:
        with pytest.raises(CalendarError, match="knows 2025-09-01 to 2027-07-21") as caught:
            question()
        assert caught.value.known == KNOWN
        assert isinstance(caught.value, ProtocolError)


@pytest.mark.parametrize("weeks", [(2, 4, 10**9), (2, 4, 10**18)])
def test_review_weeks_past_the_year_9999_run_past_the_calendar(weeks: tuple[int, ...]) -> None:
    """Such weeks raised a bare OverflowError while naming the date they reach."""
    with pytest.raises(CalendarError, match="run past the calendar's last day"):
        SAMPLE.suggest_review_dates(date(2026, 1, 5), weeks=weeks)  # type: ignore[arg-type]


def test_adding_past_the_last_term_raises() -> None:
    """Mon 19 Jul 2027 has 1 school day left (Tue 20 Jul; 21 Jul is INSET): 2 runs past."""
    assert SAMPLE.add_school_days(date(2027, 7, 19), 1) == date(2027, 7, 20)
    with pytest.raises(CalendarError, match="runs past the end") as caught:
        SAMPLE.add_school_days(date(2027, 7, 19), 2)
    assert caught.value.known == KNOWN


def test_holidays_between_terms_are_known_days() -> None:
    """A day in a holiday is answered (not a school day), not refused."""
    assert SAMPLE.is_school_day(date(2026, 8, 14)) is False
    assert SAMPLE.is_school_day(date(2025, 12, 25)) is False


BANK_HOLIDAY_YEARS = (
    holidays.country_holidays("GB", subdiv="ENG").start_year,
    holidays.country_holidays("GB", subdiv="ENG").end_year,
)
"""The years the installed `holidays` knows England's bank holidays for (1872 to 2100)."""


@pytest.mark.parametrize(
    "term",
    [
        (date(BANK_HOLIDAY_YEARS[1], 9, 1), date(BANK_HOLIDAY_YEARS[1] + 1, 12, 31)),
        (date(BANK_HOLIDAY_YEARS[0] - 1, 9, 1), date(BANK_HOLIDAY_YEARS[0], 7, 20)),
    ],
    ids=["after", "before"],
)
def test_terms_in_years_without_known_bank_holidays_are_refused(
    term: tuple[date, date],
) -> None:
    """Terms in 2101 counted Easter Monday (18 April) and Boxing Day as school days: the
    bank holidays `holidays` knows end in 2100."""
    first, last = BANK_HOLIDAY_YEARS
    with pytest.raises(CalendarError, match=f"bank holidays for {first} to {last} only"):
        SchoolCalendar([term], source="A long-range plan")


def test_a_term_dates_file_past_the_known_bank_holidays_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(
        'source = "x"\n[[term]]\nfirst_day = 2100-09-01\nlast_day = 2101-12-31\n',
        encoding="utf-8",
    )
    with pytest.raises(CalendarError, match="2101") as refused:
        SchoolCalendar.from_file(path)
    assert f"{BANK_HOLIDAY_YEARS[0]} to {BANK_HOLIDAY_YEARS[1]}" in str(refused.value)


def test_terms_in_the_last_and_first_years_with_known_bank_holidays_are_counted() -> None:
    """2100's Easter Monday (29 March) is known, and no school day."""
    first, last = BANK_HOLIDAY_YEARS
    late = SchoolCalendar([(date(last, 1, 4), date(last, 12, 31))])
    assert late.is_school_day(date(last, 3, 29)) is False
    assert late.is_school_day(date(last, 3, 30)) is True
    early = SchoolCalendar([(date(first, 1, 1), date(first, 12, 31))])
    assert early.is_school_day(date(first, 4, 1)) is False  # Easter Monday 1872


@pytest.mark.parametrize(
    ("start", "due"),
    [(date(2101, 4, 11), date(2101, 5, 9)), (date(2100, 12, 20), date(2101, 1, 18))],
    ids=["after", "across"],
)
def test_a_deadline_in_a_year_without_known_bank_holidays_is_not_plausible(
    start: date, due: date
) -> None:
    """Replay took a deadline counted over 2101's Easter as one a calendar could give."""
    problem = plausible_school_days(start, due, 20)
    assert problem is not None
    assert f"{BANK_HOLIDAY_YEARS[0]} to {BANK_HOLIDAY_YEARS[1]}" in problem


def oracle_soonest(start: date, n: int) -> date:
    """The n-th weekday after `start`: the soonest day any school calendar's n-th school day
    after `start` can be, whatever bank holidays a `holidays` release knew, the slow way."""
    day, counted = start, 0
    while counted < n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return day


plausible_starts = st.dates(min_value=date(2025, 9, 1), max_value=date(2026, 12, 31))


@given(plausible_starts, st.integers(min_value=1, max_value=40), st.integers(0, 60))
def test_a_deadline_from_the_soonest_day_on_is_plausible(start: date, n: int, later: int) -> None:
    """Replay takes any weekday from the n-th weekday after `start` on (for some weeks of
    holidays), as some calendar could give it: a bank holiday too, which the `holidays`
    release that counted it may not have known."""
    due = oracle_soonest(start, n) + timedelta(days=later)
    problem = plausible_school_days(start, due, n)
    if due.weekday() >= 5:
        assert problem == f"deadline {due.isoformat()} falls on a weekend, never a school day"
    else:
        assert problem is None


@given(plausible_starts, st.integers(min_value=1, max_value=40), st.integers(1, 30))
def test_a_deadline_before_the_soonest_day_is_refused_naming_it(
    start: date, n: int, sooner: int
) -> None:
    """A recorded deadline sooner than n school days could fall (a tampered history, or one
    counted in calendar days) is refused, naming the soonest day it could be."""
    soonest = oracle_soonest(start, n)
    due = soonest - timedelta(days=sooner)
    problem = plausible_school_days(start, due, n)
    assert problem is not None
    if due.weekday() >= 5:
        return
    assert problem.startswith(
        f"deadline {due.isoformat()} is earlier than {n} school days after {start.isoformat()}"
    )
    assert f"at the soonest {soonest.isoformat()}" in problem


@given(known_dates, counts)
def test_every_deadline_a_real_calendar_gives_is_plausible(d: date, n: int) -> None:
    """No false refusal: the sample calendar's own n-th school day replays."""
    try:
        due = SAMPLE.add_school_days(d, n)
    except CalendarError:
        return
    assert plausible_school_days(d, due, n) is None


def _and_again_two_years_on(calendar: SchoolCalendar) -> SchoolCalendar:
    """`calendar`'s terms and closures, then the same again 104 weeks (two years, on the same
    weekdays) later: four school years of the sample's shape, with their own bank holidays."""
    on = timedelta(weeks=104)
    return SchoolCalendar(
        [*calendar.terms, *((first + on, last + on) for first, last in calendar.terms)],
        [*calendar.closures, *(day + on for day in calendar.closures)],
        source="the sample, and again two years on",
    )


@pytest.mark.parametrize("longer", [False, True], ids=["sample", "four-years"])
def test_every_deadline_the_sample_gives_from_every_day_is_plausible(longer: bool) -> None:
    """From every day of the sample, every count it can answer, and on four years of its shape
    every further count up to 400 school days: the calendar's own n-th school day is one
    replay takes. From 159 school days a complete calendar's deadline was refused as "is a
    term missing from it?" (found by a review): the allowance for holidays did not grow with
    the count."""
    calendar = _and_again_two_years_on(SAMPLE) if longer else SAMPLE
    refused, counted = [], 0
    start = SAMPLE.first_day
    while start <= SAMPLE.last_day:
        in_sample = SAMPLE.school_days_between(start, SAMPLE.last_day)
        left = calendar.school_days_between(start, calendar.last_day)
        for n in range(in_sample + 1, min(left, 400) + 1) if longer else range(1, in_sample + 1):
            counted += 1
            problem = plausible_school_days(start, calendar.add_school_days(start, n), n)
            if problem is not None:
                refused.append(problem)
        start += timedelta(days=1)
    assert refused == []
    assert counted > 100_000  # every start, and most of its counts


@pytest.mark.parametrize(
    ("n", "latest"),
    [
        (20, date(2026, 7, 18)),
        (99, date(2026, 11, 4)),
        (100, date(2027, 4, 6)),
        (159, date(2027, 6, 26)),
        (199, date(2027, 8, 21)),
        (200, date(2028, 1, 21)),
        (401, date(2029, 8, 24)),
    ],
)
def test_the_latest_deadline_allows_150_days_of_holidays_for_every_started_100_school_days(
    n: int, latest: date
) -> None:
    """The n-th weekday after a Monday, two days for a weekend, and 150 calendar days for each
    100 school days begun: a deadline one day later is refused, naming the latest."""
    start = date(2026, 1, 19)
    assert "later than" not in (plausible_school_days(start, latest, n) or "")
    assert plausible_school_days(start, latest + timedelta(days=1), n) == (
        f"deadline {(latest + timedelta(days=1)).isoformat()} is later than {n} school days "
        f"after 2026-01-19 could fall under any school calendar (by {latest.isoformat()} at "
        "the latest)"
    )


def test_twenty_school_days_over_easter_may_fall_before_its_bank_holidays_are_counted() -> None:
    """From Monday 23 March 2026 the 20th weekday is Monday 20 April: the soonest a `holidays`
    release that did not know Good Friday and Easter Monday could have counted it (a release
    that knew them gives 22 April). The Friday before is refused, and Easter Monday, earlier."""
    start = date(2026, 3, 23)
    assert plausible_school_days(start, date(2026, 4, 22), 20) is None
    assert plausible_school_days(start, date(2026, 4, 20), 20) is None
    assert "at the soonest 2026-04-20" in (
        plausible_school_days(start, date(2026, 4, 17), 20) or ""
    )
    assert "earlier than 20 school days" in (
        plausible_school_days(start, date(2026, 4, 6), 20) or ""
    )


# ---- replay's check after `holidays` learns, moves or removes a bank holiday (review C1) -------


def test_a_deadline_on_a_bank_holiday_in_a_term_is_plausible() -> None:
    """Monday 4 May 2026 is the early May bank holiday, inside the sample's summer term: a
    `holidays` release that moved it (as 2020's moved to VE Day) counts it a school day, so a
    deadline recorded on it replays."""
    start = date(2026, 4, 6)
    assert oracle_soonest(start, 20) == date(2026, 5, 4)
    assert plausible_school_days(start, date(2026, 5, 4), 20, SAMPLE) is None
    assert plausible_school_days(start, date(2026, 5, 4), 20) is None


def test_a_deadline_short_of_the_bank_holidays_in_its_span_is_plausible() -> None:
    """From Monday 8 September 2025 the sample's 20th school day is Monday 6 October. Counted
    by a release that knew a one-off bank holiday on 17 September it is Tuesday 7 October;
    recorded as 6 October before that release, it still replays once it is installed."""
    start = date(2025, 9, 8)
    assert SAMPLE.add_school_days(start, 20) == date(2025, 10, 6)
    assert plausible_school_days(start, date(2025, 10, 6), 20, SAMPLE) is None


@pytest.mark.parametrize(
    ("due", "refused"),
    [
        (date(2025, 9, 29), "is earlier than 20 school days after 2025-09-08 could fall (at the "
         "soonest 2025-10-06)"),
        (date(2025, 10, 4), "falls on a weekend, never a school day"),
        (date(2025, 10, 5), "falls on a weekend, never a school day"),
        (date(2025, 10, 27), "falls between the terms of the calendar (SAMPLE DATA"),
    ],
    ids=["a-week-short", "saturday", "sunday", "half-term"],
)  # fmt: skip
def test_a_tampered_deadline_is_still_refused(due: date, refused: str) -> None:
    """A deadline shortened by a week, moved to a weekend, or into the half term of the
    calendar the case is replayed with: no release of `holidays` explains any of them."""
    problem = plausible_school_days(date(2025, 9, 8), due, 20, SAMPLE)
    assert problem is not None
    assert f"deadline {due.isoformat()} {refused}" in problem


def test_a_deadline_in_a_holiday_is_refused_only_by_a_calendar_that_knows_the_day() -> None:
    """Monday 25 May 2026 (the spring bank holiday) is in the sample's half term: refused with
    the sample, and taken with no calendar or one that does not reach the day."""
    start, due = date(2026, 4, 27), date(2026, 5, 25)
    assert "falls between the terms" in (plausible_school_days(start, due, 20, SAMPLE) or "")
    assert plausible_school_days(start, due, 20) is None
    earlier = SchoolCalendar([(date(2025, 9, 1), date(2025, 12, 19))])
    assert plausible_school_days(start, due, 20, earlier) is None


def test_a_deadline_past_every_holiday_a_run_could_hold_is_refused() -> None:
    """Twenty school days after 19 January 2026 fall by mid-May at the latest, holidays and all."""
    problem = plausible_school_days(date(2026, 1, 19), date(2026, 9, 1), 20)
    assert problem is not None
    assert problem.startswith("deadline 2026-09-01 is later than 20 school days after 2026-01-19")


# ---- properties -------------------------------------------------------------------------------


@given(known_dates, counts)
def test_add_then_count_is_the_identity(d: date, n: int) -> None:
    """school_days_between(d, add_school_days(d, n)) == n, and the result is a later school day;
    when the calendar refuses, fewer than n school days really remain."""
    try:
        result = SAMPLE.add_school_days(d, n)
    except CalendarError:
        assert len(oracle_school_days_after(d, KNOWN[1])) < n
        return
    assert SAMPLE.school_days_between(d, result) == n
    assert result > d
    assert SAMPLE.is_school_day(result)
    assert oracle_school_days_after(d, result)[-1:] == [result]
    assert len(oracle_school_days_after(d, result)) == n


@given(known_dates, known_dates, counts)
def test_adding_is_monotonic_in_the_date(a: date, b: date, n: int) -> None:
    """A later starting date never gives an earlier result."""
    a, b = min(a, b), max(a, b)
    try:
        later = SAMPLE.add_school_days(b, n)
    except CalendarError:
        return
    assert SAMPLE.add_school_days(a, n) <= later


@given(known_dates, counts, counts)
def test_adding_is_monotonic_in_the_count(d: date, m: int, n: int) -> None:
    """More school days never give an earlier date; different counts give different dates."""
    m, n = min(m, n), max(m, n)
    try:
        further = SAMPLE.add_school_days(d, n)
    except CalendarError:
        return
    nearer = SAMPLE.add_school_days(d, m)
    assert nearer <= further
    assert (nearer == further) == (m == n)


@given(known_dates, known_dates)
def test_counting_matches_the_slow_count(a: date, b: date) -> None:
    """school_days_between agrees with counting day by day."""
    assert SAMPLE.school_days_between(a, b) == len(oracle_school_days_after(a, b))


def oracle_next_school_day(day: date) -> date | None:
    """The first school day on or after `day`, counted day by day (None past the known range)."""
    while day <= KNOWN[1]:
        if oracle_is_school_day(day):
            return day
        day += timedelta(days=1)
    return None


def check_review_dates(start: date) -> None:
    """Review dates are valid, or refused exactly when no valid answer is knowable."""
    cap = start + timedelta(days=42)
    within = oracle_school_days_after(start, min(cap, KNOWN[1]))
    if cap > KNOWN[1] or len(within) < 3:
        with pytest.raises(CalendarError):
            SAMPLE.suggest_review_dates(start)
        return
    first, second, final = SAMPLE.suggest_review_dates(start)
    assert start < first < second < final <= cap
    assert all(oracle_is_school_day(d) for d in (first, second, final))
    assert final == within[-1]  # six weeks on, moved earlier to a school day, no further
    two = oracle_next_school_day(start + timedelta(days=14))
    four = oracle_next_school_day(start + timedelta(days=28))
    if two is not None and four is not None and two < four < final:
        assert (first, second) == (two, four)  # two and four weeks on, moved to a school day
    else:  # pulled in: a third and two thirds of the way through the school days available
        m = len(within)
        assert (first, second) == (within[-(-m // 3) - 1], within[-(-2 * m // 3) - 1])


@given(known_dates)
def test_review_dates_hold_rule_r7_or_are_truly_impossible(start: date) -> None:
    """start < first < second < final <= start + 42, all school days, for any known start."""
    check_review_dates(start)


def test_review_dates_for_every_school_day_of_the_sample() -> None:
    """The same check, exhaustively, for every school day the sample knows."""
    for start in ALL_SCHOOL_DAYS:
        check_review_dates(start)


# ---- construction, value behaviour ------------------------------------------------------------


def test_calendars_are_equal_by_terms_closures_and_provenance_and_immutable() -> None:
    """Equal terms, closures (with reasons), source and retrieval date make equal calendars;
    attributes cannot be set; copies work."""
    rebuilt = SchoolCalendar(
        SAMPLE.terms, SAMPLE.closure_reasons, source=SAMPLE.source, retrieved=SAMPLE.retrieved
    )
    assert rebuilt == SAMPLE
    assert hash(rebuilt) == hash(SAMPLE)
    assert SchoolCalendar(SAMPLE.terms) != SAMPLE
    other_source = SchoolCalendar(SAMPLE.terms, SAMPLE.closure_reasons, source="elsewhere")
    assert other_source != SAMPLE
    other_day = SchoolCalendar(
        SAMPLE.terms, SAMPLE.closure_reasons, source=SAMPLE.source, retrieved=date(2020, 1, 1)
    )
    assert other_day != SAMPLE
    other_reasons = SchoolCalendar(
        SAMPLE.terms,
        dict.fromkeys(SAMPLE.closures, "another reason"),
        source=SAMPLE.source,
        retrieved=SAMPLE.retrieved,
    )
    assert other_reasons != SAMPLE
    with pytest.raises(AttributeError):
        SAMPLE._days = []
    assert pickle.loads(pickle.dumps(SAMPLE)) == SAMPLE
    assert copy.deepcopy(SAMPLE) is SAMPLE


def test_constructor_refuses_bad_terms() -> None:
    """Backwards, overlapping, empty terms and stray closures are refused in code too."""
    with pytest.raises(CalendarError, match="ends before it starts"):
        SchoolCalendar([(date(2026, 1, 9), date(2026, 1, 5))])
    with pytest.raises(CalendarError, match="overlaps"):
        SchoolCalendar(
            [(date(2026, 1, 5), date(2026, 2, 13)), (date(2026, 2, 13), date(2026, 3, 27))]
        )
    with pytest.raises(CalendarError, match="at least one term"):
        SchoolCalendar([])
    with pytest.raises(CalendarError, match="outside every term"):
        SchoolCalendar([(date(2026, 1, 5), date(2026, 2, 13))], [date(2026, 2, 16)])


@pytest.mark.parametrize(
    ("terms", "closures"),
    [
        (None, ()),
        ("2026-01-05", ()),
        ([date(2026, 1, 5)], ()),  # a day, not a (first_day, last_day) pair
        ([(date(2026, 1, 5), date(2026, 2, 13), date(2026, 3, 27))], ()),
        ([(date(2026, 1, 5), date(2026, 2, 13))], None),
    ],
    ids=["none", "text", "a-day", "a-triple", "no-closures"],
)
def test_constructor_refuses_terms_that_are_not_pairs_of_dates(
    terms: object, closures: object
) -> None:
    """These raised a bare TypeError or ValueError from unpacking."""
    with pytest.raises(CalendarError, match="must be"):
        SchoolCalendar(terms, closures)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ask", "named"),
    [
        (lambda c: c.is_school_day("2026-01-06"), "is_school_day.d"),
        (lambda c: c.is_school_day(None), "is_school_day.d"),
        (lambda c: c.is_school_day(datetime(2026, 1, 5, 23, 30)), "is_school_day.d"),
        (lambda c: c.add_school_days(date(2026, 1, 6), 1.5), "add_school_days.n"),
        (lambda c: c.add_school_days(date(2026, 1, 6), "3"), "add_school_days.n"),
        (lambda c: c.add_school_days(date(2026, 1, 6), True), "add_school_days.n"),
        (lambda c: c.add_school_days(datetime(2026, 1, 6, 9), 1), "add_school_days.d"),
        (lambda c: c.school_days_between("2026-01-06", date(2026, 1, 9)), "school_days_between.a"),
        (lambda c: c.school_days_between(date(2026, 1, 6), None), "school_days_between.b"),
        (lambda c: c.suggest_review_dates(datetime(2026, 1, 6, 9)), "suggest_review_dates.start"),
        (lambda c: c.suggest_review_dates(date(2026, 1, 6), weeks=6), "suggest_review_dates.weeks"),
    ],
)
def test_a_question_about_what_is_not_a_date_is_refused_naming_the_argument(
    ask: Any, named: str
) -> None:
    """A text or None raised a bare AttributeError or TypeError; a datetime was answered for
    its day in whatever time zone it was in, a guess; a bool counted as 1 day."""
    calendar = SchoolCalendar([(date(2026, 1, 5), date(2026, 3, 27))])
    with pytest.raises(FormInvalid) as refused:
        ask(calendar)
    assert str(refused.value).startswith(f"{named}: ")
    assert isinstance(refused.value, ValueError)


# ---- TOML files -------------------------------------------------------------------------------

GOOD_FILE = """\
source = "Test authority, term dates page"
retrieved = 2025-06-01

[[term]]
name = "Autumn 1"
first_day = 2025-09-01
last_day = 2025-10-24

[[term]]
name = "Autumn 2"
first_day = 2025-11-03
last_day = 2025-12-19

[[closure]]
date = 2025-09-01
reason = "INSET"
"""


def write(tmp_path: Path, text: str) -> Path:
    """Write a term-dates file and return its path."""
    path = tmp_path / "terms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line number of the n-th line containing `fragment`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def test_reading_a_good_file(tmp_path: Path) -> None:
    """Terms, closures with reasons, source and retrieved all come through."""
    calendar = SchoolCalendar.from_file(write(tmp_path, GOOD_FILE))
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 10, 24)),
        (date(2025, 11, 3), date(2025, 12, 19)),
    )
    assert calendar.closure_reasons == {date(2025, 9, 1): "INSET"}
    assert calendar.source == "Test authority, term dates page"
    assert calendar.retrieved == date(2025, 6, 1)


def test_overlapping_terms_are_refused_naming_the_line(tmp_path: Path) -> None:
    """The second term starts before the first ends: the error names its first_day line."""
    text = GOOD_FILE.replace("first_day = 2025-11-03", "first_day = 2025-10-20")
    with pytest.raises(CalendarFileError, match="overlaps") as caught:
        SchoolCalendar.from_file(write(tmp_path, text))
    assert caught.value.line == line_of(text, "first_day = 2025-10-20")
    assert f"line {caught.value.line}" in str(caught.value)
    assert "Autumn 2" in str(caught.value)


def test_a_term_ending_before_it_starts_is_refused_naming_the_line(tmp_path: Path) -> None:
    """last_day before first_day: the error names the last_day line."""
    text = GOOD_FILE.replace("last_day = 2025-12-19", "last_day = 2025-10-31")
    with pytest.raises(CalendarFileError, match="ends before it starts") as caught:
        SchoolCalendar.from_file(write(tmp_path, text))
    assert caught.value.line == line_of(text, "last_day = 2025-10-31")
    assert f"line {caught.value.line}:" in str(caught.value)


def test_a_closure_outside_every_term_is_refused_naming_the_line(tmp_path: Path) -> None:
    """A closure in the October half term: the error names its date line."""
    text = GOOD_FILE + '\n[[closure]]\ndate = 2025-10-29\nreason = "INSET"\n'
    with pytest.raises(CalendarFileError, match="outside every term") as caught:
        SchoolCalendar.from_file(write(tmp_path, text))
    assert caught.value.line == line_of(text, "date = 2025-10-29")
    assert str(tmp_path / "terms.toml") in str(caught.value)


@pytest.mark.parametrize(
    ("change", "expected", "fragment"),
    [
        (('source = "Test authority, term dates page"', 'source = ""'), "'source'", 'source = ""'),
        (("[[closure]]", "[[closures]]"), "unknown key 'closures'", "[[closures]]"),
        (('reason = "INSET"', 'why = "INSET"'), "unknown key 'why'", 'why = "INSET"'),
        (("last_day = 2025-10-24", "last_day = 2025-10-24T09:00:00"), "must be a date", "T09"),
        (("last_day = 2025-10-24", 'last_day = "24 October"'), "must be a date", "24 October"),
        (("last_day = 2025-10-24", "last_day = 2025-10-24 oops"), "not valid TOML", "oops"),
    ],
)
def test_malformed_files_are_refused_naming_the_line(
    tmp_path: Path, change: tuple[str, str], expected: str, fragment: str
) -> None:
    """Missing source, misspelt tables or keys, date-times, text dates, bad TOML."""
    text = GOOD_FILE.replace(*change)
    with pytest.raises(CalendarFileError, match=expected) as caught:
        SchoolCalendar.from_file(write(tmp_path, text))
    assert caught.value.line == line_of(text, fragment)


def test_a_file_nested_too_deeply_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    text = 'source = "x"\nx = ' + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(CalendarFileError, match="nested too deeply"):
        SchoolCalendar.from_file(write(tmp_path, text))


def test_a_file_without_terms_is_refused(tmp_path: Path) -> None:
    """A calendar with no term can answer nothing."""
    with pytest.raises(CalendarFileError, match="at least one term"):
        SchoolCalendar.from_file(write(tmp_path, 'source = "nowhere"\n'))


# ---- iCalendar feeds --------------------------------------------------------------------------

FEED = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test School//Term dates//EN
X-WR-CALNAME:Test School term dates
BEGIN:VEVENT
UID:1@test
DTSTAMP:20250601T000000Z
DTSTART;VALUE=DATE:20250901
DTEND;VALUE=DATE:20251220
SUMMARY:Autumn Term
END:VEVENT
BEGIN:VEVENT
UID:2@test
DTSTAMP:20250601T000000Z
DTSTART;VALUE=DATE:20251027
DTEND;VALUE=DATE:20251101
SUMMARY:October Half Term
END:VEVENT
BEGIN:VEVENT
UID:3@test
DTSTAMP:20250601T000000Z
DTSTART;VALUE=DATE:20250901
SUMMARY:INSET day - school closed to pupils
END:VEVENT
BEGIN:VEVENT
UID:4@test
DTSTAMP:20250601T000000Z
DTSTART:20251015T180000
DTEND:20251015T200000
SUMMARY:Parents' evening (autumn term)
END:VEVENT
BEGIN:VEVENT
UID:5@test
DTSTAMP:20250601T000000Z
DTSTART;VALUE=DATE:20260105
DTEND;VALUE=DATE:20260328
SUMMARY:Spring term
END:VEVENT
BEGIN:VEVENT
UID:6@test
DTSTAMP:20250601T000000Z
DTSTART;VALUE=DATE:20260216
DTEND;VALUE=DATE:20260221
SUMMARY:Half-term holiday
END:VEVENT
END:VCALENDAR
"""


def test_an_ics_feed_maps_terms_gaps_and_closures(tmp_path: Path) -> None:
    """Term events minus holiday events make the terms; INSET events are closures; timed
    events (the parents' evening) are ignored."""
    path = tmp_path / "terms.ics"
    path.write_bytes(FEED.replace("\n", "\r\n").encode())
    calendar = SchoolCalendar.from_ics(path)
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 10, 26)),
        (date(2025, 11, 1), date(2025, 12, 19)),
        (date(2026, 1, 5), date(2026, 2, 15)),
        (date(2026, 2, 21), date(2026, 3, 27)),
    )
    assert calendar.closure_reasons == {date(2025, 9, 1): "INSET day - school closed to pupils"}
    assert "Test School term dates" in calendar.source
    assert calendar.is_school_day(date(2025, 10, 15))  # a Wednesday in term
    assert calendar.add_school_days(date(2025, 10, 24), 1) == date(2025, 11, 3)
    from_bytes = SchoolCalendar.from_ics(FEED.encode(), source="given")
    assert (from_bytes.terms, from_bytes.closure_reasons) == (
        calendar.terms,
        calendar.closures and calendar.closure_reasons,
    )
    assert from_bytes.source == "given"


def test_an_ics_closure_outside_every_term_is_refused() -> None:
    """A closure event in the summer holiday cannot be placed in a term."""
    stray = (
        "BEGIN:VEVENT\nUID:7@test\nDTSTAMP:20250601T000000Z\nDTSTART;VALUE=DATE:20250801\n"
        "SUMMARY:Training day\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    with pytest.raises(CalendarError, match=r"2025-08-01.*outside every term"):
        SchoolCalendar.from_ics(FEED.replace("END:VCALENDAR\n", stray).encode())


def test_an_ics_feed_without_terms_is_refused() -> None:
    """A feed whose events are not recognisably terms gives no calendar."""
    with pytest.raises(CalendarError, match="no term events"):
        SchoolCalendar.from_ics(FEED.replace("term", "session").replace("Term", "Session").encode())


def test_ics_without_icalendar_installed_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the optional extra the error names the package to install."""
    monkeypatch.setitem(sys.modules, "icalendar", None)
    with pytest.raises(CalendarError, match=r"reintegration-fsm\[ics\]"):
        SchoolCalendar.from_ics(FEED.encode())


def test_every_deadline_of_a_calendar_of_the_longest_holidays_a_file_may_hold_is_plausible() -> (
    None
):
    """Summers of eight weeks (the most a calendar may hold), a fortnight's October half term, a
    Christmas of 20 days and INSET days beside them: replay refused the deadlines of 84 to 99
    school days such a calendar gives, under 100 days of holidays allowed for each 100 school
    days (found by a review). Every count from every day of it is plausible now."""
    terms, closures = [], []
    for year in (2025, 2026, 2027):
        autumn = date(year, 9, 8)
        terms += [
            (autumn, date(year, 10, 16)),
            (date(year, 11, 2), date(year, 12, 18)),
            (date(year + 1, 1, 8), date(year + 1, 2, 12)),
            (date(year + 1, 2, 23), date(year + 1, 3, 27)),
            (date(year + 1, 4, 13), date(year + 1, 5, 22)),
            (date(year + 1, 6, 1), date(year + 1, 7, 13)),
        ]
        closures += [autumn + timedelta(days=n) for n in range(3)]
        closures += [date(year + 1, 7, 9), date(year + 1, 7, 10)]
    calendar = SchoolCalendar(terms, dict.fromkeys(closures, "INSET day"))
    assert (
        max((later[0] - earlier[1]).days - 1 for earlier, later in itertools.pairwise(terms)) == 56
    )
    refused, start = [], calendar.first_day
    last = terms[5][1]  # counts from the first school year, run into the next two
    while start <= last:
        for n in range(1, 260):
            due = calendar.add_school_days(start, n)
            problem = plausible_school_days(start, due, n)
            if problem is not None:
                refused.append(problem)
        start += timedelta(days=7)
    assert refused == []
