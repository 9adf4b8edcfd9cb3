"""Reading term dates: TOML term-dates files (errors name the line) and iCalendar feeds.

This module turns files into plain data (`TermDates`: terms, closures, source, retrieved) and
checks it; `reintegration_fsm.calendar` builds a `SchoolCalendar` from that data and does the
school-day arithmetic. It knows nothing of bank holidays and imports only the library's errors.
"""

from __future__ import annotations

import os
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any, NamedTuple, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reintegration_fsm.errors import CalendarError, CalendarFileError, FormInvalid, describe
from reintegration_fsm.fields import is_day
from reintegration_fsm.files import file_name, utf8_decoded, utf8_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "LONGEST_HOLIDAY_DAYS",
    "LONGEST_OTHER_HOLIDAY_DAYS",
    "Closure",
    "Term",
    "TermDates",
    "as_date",
    "check_terms",
    "read_ics",
    "read_sample",
    "read_toml",
    "read_toml_file",
]

_SAMPLE_DIR, _SAMPLE_FILE = "data", "sample_calendar.toml"
_TOP_KEYS = frozenset({"source", "retrieved", "term", "closure"})
_TERM_KEYS = frozenset({"name", "first_day", "last_day"})
_CLOSURE_KEYS = frozenset({"date", "reason"})

# iCalendar summaries, lower-cased, matched as whole words (so "Breakfast club" is no break, nor
# "Intermediate" a term) and checked in this order: holiday words win over closure words, so
# "Christmas holiday - school closed" is a gap between terms, not a closure. A school that "breaks
# up" is on the last day of its term, not on holiday. "Mid-term" decides nothing: in England it
# names what falls in the middle of a term ("Mid-term assessments"), not a holiday.
_ICS_HOLIDAY_WORDS = re.compile(
    r"\b(?:half(?: ?- ?| )?terms?|holidays?|hols|vacations?|breaks?(?!(?: ?- ?| )up\b))\b"
)
_ICS_CLOSURE_WORDS = re.compile(r"\b(?:inset|training days?|closed|closures?)\b")
_ICS_TERM_WORDS = re.compile(r"(?<!mid-)(?<!mid )(?<!mid - )\bterms?\b")
_TIME = (
    r"(?:(?<![.:\d])(?:\d{1,2}:\d{2}(?![:\d])(?: ?[ap]\.?m\b\.?)?"
    r"|\d{1,2}(?:\.\d{2})? ?[ap]\.?m\b\.?)|\b(?:12 )?noon\b|\bmidday\b)"
)
"""A clock time as a summary writes it: 1.30pm, 13:30, 2 p.m., 12 noon. A date is none, with
dots or without a year ("19.12.25", "17.11"): a time with dots says am or pm. Nor is the end
of "afternoon"."""
_RANGE_WORD = r" ?(?:-|to|until|till) ?"
_TIME_RANGE = re.compile(rf"({_TIME}){_RANGE_WORD}({_TIME})")
"""Hours of a day ("7am-10pm", "8.45am to 3.15pm", "08:30-15:30"), both ends read as times:
a whole day's (a polling station's), the staff's, or a part of the day's ("1.30pm-3.30pm"),
never a closing time. Which it is, `_CORE_SCHOOL_DAY` decides (`_part_day`)."""
_NUMBER = r"(?<![.:\d])\d{1,2}(?:[.:]\d{2})?(?![.:]?\d)"
_HALF_RANGE = re.compile(rf"{_NUMBER}{_RANGE_WORD}{_TIME}|{_TIME}{_RANGE_WORD}{_NUMBER}")
"""Hours of which one end is a time and the other a bare number ("1.30-3.30pm", "9-3pm",
"9am-3"): am or pm left to be guessed."""
_CLOCK = re.compile(r"(\d{1,2})(?:[.:](\d{2}))? ?(?:([ap])\.?m\.?)?|(?:12 )?(?:noon|midday)")
_CLOSING_TIME = rf"(?:{_TIME}|\blunch ?time\b|\blunch\b)"
"""When a school closes part way through a day: at a clock time, or at lunchtime ("School closes
at lunchtime (INSET)", review G, G2)."""
_ICS_PART_DAY = re.compile(
    r"\bearly (?:closure|closing|finish)"
    r"|\b(?:closes|closing|closed|finish(?:es|ing)?|ends?) early\b"
    rf"|\b(?:closes|closing|finish(?:es|ing)?|ends) (?:to pupils )?(?:at |from )?{_CLOSING_TIME}"
    rf"|\b(?:closed?|closure)(?: to pupils)? (?:at|from) {_CLOSING_TIME}"
    rf"|{_CLOSING_TIME} (?:finish|closure|closing)\b"
    r"|\btwilight\b"
)
"""A closure the school makes for part of a day, which the pupils attend: it closes early or
at a time ("Early closure - 1.30pm finish", "School closed to pupils at 1pm", "closes 1.30pm",
"School closes at lunchtime"), or is a twilight session after school ("INSET twilight"). A time
alone or hours of the day say nothing of the kind ("INSET day - staff 8.45am-3.15pm", "School
closed 7am-10pm - polling station")."""
_HALF_DAY = re.compile(r"\bhalf(?: ?- ?| )?days?\b")
_MORNING = re.compile(r"\bmornings?\b|(?<![\w.])a\.?m\b\.?")
_AFTERNOON = re.compile(r"\bafternoons?\b|(?<![\w.])p\.?m\b\.?")
"""Half of a school day named in words, a time of day aside: "half day", "morning", "in the
afternoon", "AM", "(pm only)". Named alone and qualifying the closure (`_qualifies`), the
school is closed for that half and the pupils attend the other ("INSET half day", "School
closed in the afternoon", "Training day (pm only)"); both halves named are the whole day
("INSET Day - half day safeguarding, half day curriculum", "INSET - morning: first aid,
afternoon: curriculum")."""
_DECIDING = (
    r"(?:inset(?: days?)?|training days?"
    r"|closed(?: (?:to|for)(?: all)? (?:pupils|students|children))?"
    r"|closures?"
    r"|half(?: ?- ?| )?terms?|holidays?|hols|vacations?)"
)
"""The words that make an event a closure or a holiday (`_ICS_CLOSURE_WORDS`,
`_ICS_HOLIDAY_WORDS`, less "break": a "morning break" is no closure's), with what a summary
writes next to them ("INSET day", "closed to pupils", "closed for children", "closed to all
pupils"), for a half of the day named beside them."""
_WEEKDAY = (
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?|this|today|tomorrow)"
)
"""A day named between a closure's word and the half of it ("School closed Friday afternoon",
"INSET - Thursday PM", "closed this Friday afternoon", "INSET Friday (pm)"): the closure's
half still (review D, D1; review Y, Y3)."""


def _qualifies(half: re.Pattern[str]) -> re.Pattern[str]:
    """Where a summary's words name the `half` of the day (`_MORNING`, `_AFTERNOON`) as the
    closure's own: right beside the closure's word ("INSET morning", "INSET (am)", "closed in
    the afternoon", "closed pm", "Morning closure", "INSET, afternoon"), or after a day named
    there ("School closed Friday afternoon"), or followed by "only" ("(pm only)",
    "morning only"). Elsewhere ("INSET day - pupils not in school; staff training AM") it is
    some other part of the day's (the staff's)."""
    named = f"(?:{half.pattern})"
    return re.compile(
        rf"\b{_DECIDING}(?: ?[(:,-])? ?(?:(?:on |this |next )?{_WEEKDAY} ?[(]? ?)?"
        rf"(?:(?:in|for|during|on) the )?"
        rf"{named}"
        rf"|{named} ?[):-]? ?{_DECIDING}\b"
        rf"|{named} ?only\b"
    )


_HALVES = (("am", _MORNING, _qualifies(_MORNING)), ("pm", _AFTERNOON, _qualifies(_AFTERNOON)))


_CORE_SCHOOL_DAY = (time(9, 0), time(15, 0))
"""The hours taken as within every school day's compulsory sessions, 09:00 to 15:00: a school day
in England is a morning and an afternoon session, which its pupils must attend, and these hours
hold part of both, whenever a school begins and ends its day. An event at times within one day
closes that day only when it covers these hours (local time: in London for UTC and TZID times,
by its own clock for floating ones), so that the pupils can attend no session, and so does an
all-day event whose summary gives its hours ("School closed 1.30pm-3.30pm"). A shorter one
("School office closed 12:00-13:00", a 15-minute "Holiday club sign-up deadline") or one after
school ("INSET day" 16:00 to 18:00) leaves them the school day, whatever its words."""


def _covers_school_day(start: datetime, end: datetime) -> bool:
    """Whether an event within one day, from `start` to `end` (its local times, no zone; `end`
    exclusive, so it may be the next midnight), covers `_CORE_SCHOOL_DAY`."""
    day = start.date()
    opens, closes = _CORE_SCHOOL_DAY
    return start <= datetime.combine(day, opens) and end >= datetime.combine(day, closes)


def _clock(text: str) -> time | None:
    """A time of day as `_TIME` matched it ("1.30pm", "13:30", "12 noon"), or None when it
    names none ("13pm", "25:00", "9:75")."""
    found = _CLOCK.fullmatch(text)
    if found is None:  # pragma: no cover - `_TIME` matches only what `_CLOCK` does
        return None
    hour_text, minute, meridiem = found.groups()
    if hour_text is None:
        return time(12, 0)
    hour = int(hour_text)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or int(minute or 0) > 59:
        return None
    return time(hour, int(minute or 0))


_WRITE_HOURS = (
    "Write both ends as times, with am or pm or on the 24-hour clock ('1.30pm-3.30pm', "
    "'13:30-15:30'), or give the event at its times (DTSTART and DTEND with times)"
)


_LONGEST_BREAK = timedelta(minutes=90)
"""The longest gap within the school day (`_CORE_SCHOOL_DAY`) between two ranges of hours a
summary gives that is still a break in one day's hours, a lunch break ("INSET day: staff
8.30am-12pm and 1pm-4pm"): ranges with a longer gap between them ("School closed to pupils
8.45am-10am and 2pm-3.20pm") leave the pupils the middle of the day, a part-day closure (review
D, D2)."""


def _longest_gap_in_school_day(spans: list[tuple[time, time]]) -> timedelta:
    """The longest stretch of `_CORE_SCHOOL_DAY` between consecutive ranges of hours `spans`
    (in any order, overlapping or not) that none of them covers."""
    opens, closes = _CORE_SCHOOL_DAY
    day = date.min
    longest = timedelta(0)
    covered_to: time | None = None
    for start, end in sorted(spans):
        if covered_to is not None:
            gap_from, gap_to = max(covered_to, opens), min(start, closes)
            if gap_to > gap_from:
                gap = datetime.combine(day, gap_to) - datetime.combine(day, gap_from)
                longest = max(longest, gap)
        covered_to = end if covered_to is None else max(covered_to, end)
    return longest


def _hours_close_the_day(words: str, refuse: Callable[[str], NoReturn]) -> bool | None:
    """Whether the hours a summary's words (`_words`) give (`_TIME_RANGE`) cover the school
    day's compulsory sessions (`_CORE_SCHOOL_DAY`), as an event at those times would; None
    when it gives none. Two or more ranges, none covering them, are a day's hours with a break
    ("INSET day: staff 8.30am-12pm and 1pm-4pm"), and cover the day, when the first begins by
    09:00, the last ends by 15:00 or later and no gap between them within 09:00 to 15:00 is
    longer than `_LONGEST_BREAK`; ranges all within part of the day (review Z, Z2), or leaving
    the pupils a longer part of it between them (review D, D2), do not.

    Raises:
        CalendarFileError (by `refuse`): hours that cannot be read as a time and a later one
            ("1.30-3.30pm", "8:30-3:30", "13pm-15pm"), or some that cover the school day and
            some that do not: whether they close it would be a guess.
    """
    verdicts: dict[bool, str] = {}
    ranges = list(_TIME_RANGE.finditer(words))
    spans: list[tuple[time, time]] = []
    for found in ranges:
        start, end = _clock(found.group(1)), _clock(found.group(2))
        if start is None or end is None or end <= start:
            refuse(
                f"its summary gives the hours {found.group(0)!r}, which cannot be read as a "
                "time of day and a later one: whether they close the school day (09:00 to "
                f"15:00) would be a guess. {_WRITE_HOURS}"
            )
        opens, closes = _CORE_SCHOOL_DAY
        verdicts.setdefault(start <= opens and end >= closes, found.group(0))
        spans.append((start, end))
    half = _HALF_RANGE.search(_TIME_RANGE.sub(" ", words))
    if half is not None:
        refuse(
            f"its summary gives the hours {half.group(0)!r}, one end without am or pm: whether "
            f"they close the school day (09:00 to 15:00) would be a guess. {_WRITE_HOURS}"
        )
    if len(verdicts) > 1:
        refuse(
            f"its summary gives the hours {verdicts[True]!r}, which cover the school day (09:00 "
            f"to 15:00), and {verdicts[False]!r}, which do not: whether the pupils attend that "
            "day would be a guess. Give one closure event for the hours the pupils are away"
        )
    opens, closes = _CORE_SCHOOL_DAY
    # A day's hours with a break begin by the school day's start and end after its end; hours
    # all within part of it ("closed to pupils 12:00-15:20 (staff 13:00-16:00)") do not, nor
    # do a late start and an early finish ("8.45am-10am and 2pm-3.20pm").
    if (
        len(spans) > 1
        and min(s for s, _ in spans) <= opens
        and max(e for _, e in spans) >= closes
        and _longest_gap_in_school_day(spans) <= _LONGEST_BREAK
    ):
        return True
    return next(iter(verdicts), None)


def _part_day(words: str, refuse: Callable[[str], NoReturn]) -> bool:
    """Whether a summary's words (`_words`) mark the school open for part of the day: hours it
    gives that leave part of the school day (`_hours_close_the_day`), a closing time or an early
    finish (`_ICS_PART_DAY`), or one half of the day named alone, as the closure's own
    (`_qualifies`), or a half day (`_HALF_DAY`).

    Raises:
        CalendarFileError (by `refuse`): hours that cannot be read (`_hours_close_the_day`).
    """
    if _hours_close_the_day(words, refuse) is False:
        return True
    untimed = _TIME_RANGE.sub(" ", words)
    if _ICS_PART_DAY.search(untimed):
        return True
    # A time of day is no half of one: "from 9 am" names no morning.
    untimed = re.sub(_TIME, " ", untimed)
    halves = {name for name, said, _ in _HALVES if said.search(untimed)}
    if len(halves) > 1:
        return False  # both halves named: the whole day
    half_days = len(_HALF_DAY.findall(untimed))
    return half_days == 1 or any(own.search(untimed) for _, _, own in _HALVES)


_ICS_RECURRENCE = ("RRULE", "RDATE")
_ICS_EXCEPTIONS = ("EXDATE", "EXRULE", "RECURRENCE-ID")
_LONGEST_EVENT_DAYS = 366
"""No term or holiday is longer than a year (a leap year's 366 days): an event longer is
refused before its days are counted, so a feed of a few bytes cannot take seconds and a
gigabyte to read."""

LONGEST_HOLIDAY_DAYS = 56
"""The most days the summer holiday (a gap between two terms holding a day of August) may
last: eight weeks. England's longest school holiday, the summer's, is about six weeks (42 days
between terms, a few more where INSET days or a late start fall next to it); eight leaves room
for any English authority's. (The library counts England's school days, with England's bank
holidays: a Northern Irish summer of nine weeks is refused so too.) A longer gap between two
terms is a hole in the data, a term or a school year left out, not knowledge of a holiday:
read as one, it would stretch every deadline counted across it by months without a word."""

LONGEST_OTHER_HOLIDAY_DAYS = 28
"""The most days any other holiday between two terms (one holding no day of August) may last:
four weeks. No English school holiday outside the summer is longer than about two and a half
weeks (Christmas and Easter are 16 to 18 days between terms, a two-week October half term 16);
four leave room for a two-week half term and a Christmas falling badly, with INSET days beside
them. A longer gap outside the summer is a term left out (a half-term block missing from a
file, or an event whose summary lacks the word "term"), which read as a holiday would put a
deadline counted across it weeks late."""


LONGEST_TERM_DAYS = 126
"""The most days a term read from a file or feed may last, both ends included: eighteen weeks.
No English term is longer: an autumn term from late August to Christmas, written without its
half term, is about 17 (119 days). A longer one holds a holiday, a year mistyped
(`last_day = 2027-07-20` for 2026) or a holiday left out (in a feed, one whose summary names no
holiday: "Christmas"), and read as a term it counts that holiday's weekdays as school days: a
deadline counted across a summer would fall in August (review G, G1). The mirror of
`LONGEST_HOLIDAY_DAYS`. A calendar built in code is not held to it: tests and integrators build
whole-year terms on purpose."""


def _no_school_day_held(first: date, last: date) -> date | None:
    """The first day from `first` to `last` (both included) on which no English school is open
    (1 to 21 August, the summer holiday's heart; 25 December), or None."""
    for year in range(first.year, last.year + 1):
        summer = (date(year, 8, 1), date(year, 8, 21))
        if summer[0] <= last and first <= summer[1]:
            return max(first, summer[0])
        if first <= date(year, 12, 25) <= last:
            return date(year, 12, 25)
    return None


def _holds_august(first: date, last: date) -> bool:
    """Whether any day from `first` to `last` (both included) is in August."""
    return any(
        date(year, 8, 1) <= last and first <= date(year, 8, 31)
        for year in range(first.year, last.year + 1)
    )


class Term(NamedTuple):
    """A term as read, with the lines it came from (None when not from a file)."""

    first: date
    last: date
    name: str = ""
    line: int | None = None
    first_line: int | None = None
    last_line: int | None = None

    def describe(self) -> str:
        """The term as a reader would name it in a message."""
        label = f"term {self.name!r}" if self.name else "term"
        return f"{label} ({self.first.isoformat()} to {self.last.isoformat()})"


class Closure(NamedTuple):
    """A closure as read, with its line (None when not from a file)."""

    day: date
    reason: str = ""
    line: int | None = None


class TermDates(NamedTuple):
    """Checked term dates as read from a file or feed, ready to build a `SchoolCalendar`."""

    terms: tuple[tuple[date, date], ...]
    closures: Mapping[date, str]
    source: str
    retrieved: date | None


_DAY = timedelta(days=1)


def _fail(message: str, line: int | None, where: str | None) -> NoReturn:
    """Raise the error for bad term data: located when it came from a file."""
    if where is None:
        raise CalendarError(message)
    raise CalendarFileError(message, path=where, line=line)


def check_terms(
    terms: Sequence[Term],
    closures: Sequence[Closure],
    where: str | None,
    unknown_years: Callable[[int, int], str | None] | None = None,
) -> None:
    """Refuse empty calendars, backwards or overlapping terms, two terms further apart than
    any school holiday (`LONGEST_HOLIDAY_DAYS` across August, `LONGEST_OTHER_HOLIDAY_DAYS`
    otherwise), a term from a file or feed (`where`) longer than any school term
    (`LONGEST_TERM_DAYS`) or holding a day no English school is open (1 to 21 August, 25
    December), closures outside every term and, given
    `unknown_years` (why the bank holidays of the years from one to another are not known, or
    None), a term in such a year.

    Raises:
        CalendarFileError: the data came from the file `where`; names the line when known.
        CalendarError: `where` is None (the data did not come from a file).
    """
    if not terms:
        _fail("a calendar needs at least one term", None, where)
    for term in terms:
        if term.last < term.first:
            _fail(f"{term.describe()} ends before it starts", term.last_line or term.line, where)
    ordered = sorted(terms, key=lambda t: (t.first, t.last))
    for earlier, later in pairwise(ordered):
        if later.first <= earlier.last:
            # Name the entry that comes second in the file: the one a reader would have just added.
            if (later.line or 0) < (earlier.line or 0):
                earlier, later = later, earlier
            other = f" on line {earlier.line}" if earlier.line is not None else ""
            _fail(
                f"{later.describe()} overlaps {earlier.describe()}{other}",
                later.first_line or later.line,
                where,
            )
        holiday = later.first.toordinal() - earlier.last.toordinal() - 1
        if holiday > LONGEST_OTHER_HOLIDAY_DAYS:
            summer = _holds_august(earlier.last + _DAY, later.first - _DAY)
            if summer and holiday <= LONGEST_HOLIDAY_DAYS:
                continue
            longest = (
                f"no school holiday is longer than eight weeks ({LONGEST_HOLIDAY_DAYS} days)"
                if summer
                else "no school holiday outside the summer (a holiday holding no day of "
                f"August) is longer than four weeks ({LONGEST_OTHER_HOLIDAY_DAYS} days)"
            )
            _fail(
                f"{later.describe()} starts {holiday} days after {earlier.describe()} ends: "
                f"{longest}: is a term missing between them? Give every term of the years the "
                "calendar covers",
                later.first_line or later.line,
                where,
            )
    if unknown_years is not None:
        for term in ordered:
            for day, line in ((term.first, term.first_line), (term.last, term.last_line)):
                unknown = unknown_years(day.year, day.year)
                if unknown is not None:
                    _fail(
                        f"{term.describe()} cannot be counted in school days: {unknown}",
                        line or term.line,
                        where,
                    )
    if where is not None:
        for term in terms:
            days = term.last.toordinal() - term.first.toordinal() + 1
            if days > LONGEST_TERM_DAYS:
                _fail(
                    f"{term.describe()} lasts {days} days: no school term is longer than "
                    f"eighteen weeks ({LONGEST_TERM_DAYS} days), and its holidays would be "
                    "counted as school days: is a holiday missing from it (a half term, "
                    "Christmas, Easter, the summer; in a feed, an event whose summary names no "
                    "holiday), or a year mistyped? Give each block of school weeks as a term",
                    term.last_line or term.line,
                    where,
                )
            closed = _no_school_day_held(term.first, term.last)
            if closed is not None:
                _fail(
                    f"{term.describe()} holds {closed.isoformat()}, when no English school is "
                    "open (1 to 21 August are the summer holiday's, 25 December Christmas's), "
                    "and its holiday would be counted as school days: is a date mistyped, or a "
                    "holiday missing from it? Give each block of school weeks as a term",
                    term.last_line or term.line,
                    where,
                )
    firsts = [t.first for t in ordered]
    for closure in closures:
        index = bisect_right(firsts, closure.day) - 1
        if index < 0 or closure.day > ordered[index].last:
            reason = f" ({closure.reason})" if closure.reason else ""
            _fail(
                f"closure on {closure.day.isoformat()}{reason} is outside every term: a closure "
                "is a day of a term the pupils do not attend (INSET days at the start of "
                "September are term days), so give the term's days in full, or leave out "
                "closures in the holidays",
                closure.line,
                where,
            )


def _as_written(value: object) -> str:
    """A bad value read from a file or feed, as the file would write it, for a message: a date,
    time or date and time in ISO 8601, a length of time as an iCalendar DURATION (`P5DT1H`), a
    period or TOML array item by item; anything else as `describe` renders it. An officer
    reads these messages: `datetime.timedelta(days=5, seconds=3600)` is Python, not their file
    (review G, G3)."""
    if isinstance(value, bool):  # TOML's true and false
        return str(value).lower()
    if isinstance(value, date | time):
        text = value.isoformat()
    elif isinstance(value, timedelta):
        text = _duration_text(value)
    elif isinstance(value, tuple | list):
        inner = ", " if isinstance(value, list) else "/"
        text = inner.join(_as_written(item) for item in value)
        text = f"[{text}]" if isinstance(value, list) else text
    elif isinstance(value, dict):
        return "a table"
    else:
        return describe(value)
    return text if len(text) <= 60 else text[:57] + "..."  # as `describe` cuts


def _duration_text(length: timedelta) -> str:
    """`length` as an iCalendar (ISO 8601) DURATION: P5D, PT2H, P5DT1H30M, -P1D."""
    sign, length = ("-", -length) if length < timedelta(0) else ("", length)
    hours, rest = divmod(length.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    days = f"{length.days}D" if length.days or not clock else ""
    return f"{sign}P{days}" + (f"T{clock}" if clock else "")


def as_date(value: object, what: str, line: int | None, where: str | None) -> date:
    """Accept a date (not a date-time) or refuse it, naming what it was meant to be; from a
    file (`where`), saying what to write instead of the slips TOML invites: a date in quotes,
    which is text, and a date and time."""
    if is_day(value):
        return value
    problem = f"{what} must be a date like 2025-09-01, not {describe(value)}"
    if where is None:  # given in Python, where a repr is what the caller wrote
        _fail(problem, line, where)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value) and _real_day(value):
        # Quoted back, the text would read as the date asked for: say what is wrong with it.
        problem = (
            f"{what} is written in quotes ({describe(value)}), which makes it text, not a date: "
            f"remove the quotes, as TOML dates are bare ({value})"
        )
    elif isinstance(value, str):
        problem = (
            f"{what} must be a date like 2025-09-01, not text in quotes ({describe(value)}): "
            "write the date bare, year-month-day, without quotes"
        )
    elif isinstance(value, datetime):
        problem = (
            f"{what} must be a date like 2025-09-01, not a date and time "
            f"({value.isoformat()}): give the date alone ({value.date().isoformat()})"
        )
    elif isinstance(value, time):
        problem = f"{what} must be a date like 2025-09-01, not a time of day ({value.isoformat()})"
    else:
        problem = f"{what} must be a date like 2025-09-01, not {_as_written(value)}"
    _fail(problem, line, where)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _real_day(text: str) -> bool:
    """Whether `text`, written YYYY-MM-DD, is a day of the calendar (not 2025-02-30)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# ---- TOML term-dates files -----------------------------------------------------------------


def read_toml_file(
    path: str | os.PathLike[str], unknown_years: Callable[[int, int], str | None] | None = None
) -> TermDates:
    """Read and check a TOML term-dates file (format in docs/calendar.md); `unknown_years` as
    for `check_terms`.

    Raises:
        CalendarFileError: the file is not UTF-8 text, not valid TOML (an iCalendar feed says
            so), or breaks a rule; names the line.
        FormInvalid: `path` is not a path.
        OSError: the file cannot be read.
    """
    where = file_name(path, "from_file", "path", "must be a path to a TOML term-dates file")
    text = utf8_text(where, _unreadable(where))
    if _is_icalendar(text):
        raise CalendarFileError(
            "an iCalendar feed, not a TOML term-dates file: write its term dates as TOML "
            "(docs/calendar.md), or read the feed in Python with SchoolCalendar.from_ics",
            path=where,
        )
    return read_toml(text, where, unknown_years)


def _unreadable(where: str) -> Callable[[str, int | None], CalendarFileError]:
    """The error for a file `where` that cannot be text (at a line, for bytes not UTF-8)."""
    return lambda problem, line: CalendarFileError(problem, path=where, line=line)


def _is_icalendar(text: str) -> bool:
    """Whether `text` is an iCalendar feed (RFC 5545: it begins BEGIN:VCALENDAR)."""
    return text.lstrip().upper().startswith("BEGIN:VCALENDAR")


def read_sample() -> TermDates:
    """The shipped SAMPLE term dates (2025/26 and 2026/27): typical dates, no authority's."""
    resource = resources.files("reintegration_fsm") / _SAMPLE_DIR / _SAMPLE_FILE
    return read_toml(resource.read_text(encoding="utf-8"), f"{_SAMPLE_DIR}/{_SAMPLE_FILE}")


def read_toml(
    text: str, where: str, unknown_years: Callable[[int, int], str | None] | None = None
) -> TermDates:
    """Parse and check TOML term dates; `where` names the file in errors; `unknown_years` as
    for `check_terms`.

    Raises:
        CalendarFileError: the text is not valid TOML or breaks a rule; names the line.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise CalendarFileError("not valid TOML: nested too deeply to read", path=where) from None
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+)", str(e))
        raise CalendarFileError(
            f"not valid TOML: {e}", path=where, line=int(found.group(1)) if found else None
        ) from e
    top, blocks = _toml_lines(text)
    for key in data:
        if key not in _TOP_KEYS:
            _fail(
                f"unknown key {key!r} (expected one of: {', '.join(sorted(_TOP_KEYS))})",
                top.get(key) or _first_line(blocks.get(key)),
                where,
            )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        _fail(
            "'source' must say where the dates come from (a non-empty string)",
            top.get("source"),
            where,
        )
    retrieved = data.get("retrieved")
    if retrieved is not None:
        retrieved = as_date(retrieved, "'retrieved'", top.get("retrieved"), where)

    terms = [
        Term(
            as_date(entry["first_day"], "first_day", lines.get("first_day", line), where),
            as_date(entry["last_day"], "last_day", lines.get("last_day", line), where),
            str(entry.get("name", "")),
            line,
            lines.get("first_day", line),
            lines.get("last_day", line),
        )
        for entry, line, lines in _entries(data, "term", _TERM_KEYS, blocks, where)
    ]
    closures = [
        Closure(
            as_date(entry["date"], "a closure's date", lines.get("date", line), where),
            str(entry.get("reason", "")),
            lines.get("date", line),
        )
        for entry, line, lines in _entries(data, "closure", _CLOSURE_KEYS, blocks, where)
    ]
    check_terms(terms, closures, where, unknown_years)
    return TermDates(
        tuple((t.first, t.last) for t in terms),
        {c.day: c.reason for c in closures},
        source,
        retrieved,
    )


_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")

_Block = tuple[int, dict[str, int]]


def _toml_lines(text: str) -> tuple[dict[str, int], dict[str, list[_Block]]]:
    """Line numbers of top-level keys, and of each `[[name]]` entry's header and keys."""
    top: dict[str, int] = {}
    blocks: dict[str, list[_Block]] = {}
    current: dict[str, int] | None = top
    # Lines as TOML counts them, by "\n" alone: str.splitlines() also splits at U+2028, U+0085
    # and others, which TOML allows in comments and strings, and would put errors lines too low.
    for number, line in enumerate(text.split("\n"), start=1):
        header = _HEADER.match(line)
        if header:
            current = {}
            blocks.setdefault(header.group(1), []).append((number, current))
        elif _TABLE.match(line):
            current = None  # a plain [table]: its keys are not ours to locate
        elif current is not None:
            key = _KEY.match(line)
            if key:
                current.setdefault(key.group(1), number)
    return top, blocks


def _first_line(found: list[_Block] | None) -> int | None:
    """The header line of the first entry of an array of tables, if any."""
    return found[0][0] if found else None


def _entries(
    data: dict[str, Any],
    name: str,
    allowed: frozenset[str],
    blocks: dict[str, list[_Block]],
    where: str,
) -> list[tuple[dict[str, Any], int | None, dict[str, int]]]:
    """Each `[[name]]` entry with its header line and key lines, its keys checked."""
    raw = data.get(name, [])
    located = blocks.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        _fail(f"{name!r} must be written as [[{name}]] tables", _first_line(located), where)
    # Inline arrays of tables have no headers to count: their lines stay unknown.
    exact = len(located) == len(raw)
    out: list[tuple[dict[str, Any], int | None, dict[str, int]]] = []
    for index, entry in enumerate(raw):
        line, lines = located[index] if exact else (None, {})
        unknown = sorted(set(entry) - allowed)
        if unknown:
            _fail(
                f"[[{name}]] has unknown key {unknown[0]!r} (expected: "
                f"{', '.join(sorted(allowed))})",
                lines.get(unknown[0], line),
                where,
            )
        required = sorted(k for k in allowed if k not in ("name", "reason"))
        missing = [k for k in required if k not in entry]
        if missing:
            _fail(f"[[{name}]] is missing {missing[0]!r}", line, where)
        for text_key in ("name", "reason"):
            if text_key in entry and not isinstance(entry[text_key], str):
                _fail(f"[[{name}]] {text_key} must be a string", lines.get(text_key, line), where)
        out.append((entry, line, lines))
    return out


# ---- iCalendar feeds -----------------------------------------------------------------------


def read_ics(
    feed: str | os.PathLike[str] | bytes,
    *,
    source: str | None = None,
    retrieved: date | None = None,
    unknown_years: Callable[[int, int], str | None] | None = None,
) -> TermDates:
    """Read term dates from a school's iCalendar feed (a path, or the feed's bytes);
    `unknown_years` as for `check_terms`.

    All-day events only (from midnight to midnight too, by their own clock or in London), less
    those cancelled; a closure or a holiday at times within one day closes that day, as an
    all-day one would, when it covers the school day's compulsory sessions (from 09:00 or
    earlier to 15:00 or later, `_CORE_SCHOOL_DAY`), and a term event so is not read. Their
    summary decides by whole words: "half term", "holiday", "vacation" or "break" a gap;
    "INSET", "training day", "closed" or "closure" a closure; "term" a term ("mid-term" decides
    nothing). A closure or a holiday of one day that the school is open for part of ("Early
    closure - 1.30pm finish", "school closes 1.30pm", "INSET half day", "School closed in the
    afternoon", hours short of the school day: `_part_day`) decides nothing: the pupils
    attend. Term days covered by a gap are removed, so one "Autumn Term" event with a "Half
    Term" event works. An event so decided is read only when its days are certain.

    Raises:
        CalendarError: `icalendar` is not installed, the feed is malformed or has no term
            events, or a closure falls outside every term.
        CalendarFileError: an event decided on recurs (RRULE, RDATE) or has exceptions
            (EXDATE, EXRULE, RECURRENCE-ID), has both DTEND and DURATION, lasts more than 366
            days, or its dates cannot be read, are given twice, are times in a zone (TZID) not
            known, end at a time, before they start, in part of a day or after 9999-12-31, or
            run over days at times not at midnight in London (or in London without the
            time-zone data to tell); a closure's summary (or a one-day holiday's) gives hours
            that cannot be read; an event has two summaries, or a line `icalendar` cannot
            parse that may decide (`_may_decide`), or one decided on or without a summary has
            such a line of any kind, or two statuses or UIDs; two events share a UID and
            either is decided on; two terms are further apart than a holiday can be. Names
            the line.
        FormInvalid: `feed` is neither a path nor bytes (the feed's text says to pass bytes).
        OSError: the file cannot be read.
    """
    try:
        import icalendar
    except ImportError as e:  # pragma: no cover - depends on the installed extras
        raise CalendarError(
            "reading an iCalendar feed needs the optional 'icalendar' package: "
            "pip install 'reintegration-fsm[ics]'"
        ) from e
    if isinstance(feed, bytes):
        where = "<iCalendar feed>"
        # RFC 5545's text is UTF-8: other bytes are refused, not replaced ("Half<0xa0>Term" in
        # Windows-1252 would have been read as a term).
        text = utf8_decoded(feed, _unreadable(where))
    elif isinstance(feed, str) and _is_icalendar(feed.removeprefix("\ufeff")):
        raise FormInvalid(
            "from_ics", "feed", "is the feed's text, not a path: pass its bytes (text.encode())"
        )
    else:
        expected = "must be a path or the feed's bytes"
        where = file_name(feed, "from_ics", "feed", expected)
        text = utf8_text(where, _unreadable(where))
    try:
        parsed: Any = icalendar.Calendar.from_ical(text)
    except ValueError as e:
        raise CalendarFileError(f"not a valid iCalendar feed: {e}", path=where) from e

    term_days: set[int] = set()
    gap_days: set[int] = set()
    closed: dict[int, Closure] = {}  # one to a day, the first event's: as bounded as the sets
    single: list[tuple[int, str, int | None]] = []  # one-day term events: a marker or a note
    events = parsed.walk("VEVENT")
    lines = text.split("\n")
    read = [
        _read_event(event, line, lines, where)
        for event, line in zip(events, _event_lines(lines, len(events)), strict=True)
    ]
    spans = [
        None
        if kind is None
        else _all_day_span(event, summary, where, line, closes_its_day=kind != "term")
        for event, line, summary, kind in read
    ]
    _refuse_shared_uids(read, spans, where)
    for (event, line, summary, kind), span in zip(read, spans, strict=True):
        if span is None or kind is None:
            continue
        if (
            kind == "gap"
            and span[0] == span[1]
            and _part_day(_words(summary), _refuser(event, summary, where, line))
        ):
            continue  # a holiday beginning part way through a day the pupils attend
        ordinals = range(span[0], span[1] + 1)
        if kind == "gap":
            gap_days.update(ordinals)
        elif kind == "closure":
            for o in ordinals:
                if o not in closed:
                    closed[o] = Closure(date.fromordinal(o), summary, line)
        elif span[0] == span[1]:
            single.append((span[0], _event_name(event, summary), line))
        else:
            term_days.update(ordinals)
    for day, name, line in single:
        if day not in term_days:
            raise CalendarFileError(
                f"{name} is a term event of one day, {date.fromordinal(day).isoformat()}, that "
                "no longer term event covers (a term's first or last day marked on its own, "
                "or a note in the holidays): read as a term, the days around it would not be "
                "school days, or it would be one. Give each term as one all-day event from its "
                "first day to its last (DTEND the day after), or write the term dates as a "
                "TOML file",
                path=where,
                line=line,
            )
    open_set = term_days - gap_days
    open_days = sorted(open_set)
    if not open_days:
        raise CalendarFileError(
            "no term events: a term is an all-day event whose summary contains 'term'",
            path=where,
        )
    runs: list[tuple[date, date]] = []
    run_start = previous = open_days[0]
    for o in open_days[1:]:
        if o != previous + 1:
            runs.append((date.fromordinal(run_start), date.fromordinal(previous)))
            run_start = o
        previous = o
    runs.append((date.fromordinal(run_start), date.fromordinal(previous)))
    # A closure's days on a weekend outside every term ("School closed (Christmas)" from the
    # last Friday of term to the Sunday) change nothing: no school day is there to close. The
    # runs are the open days' (`open_set`): a day is in one when it is one of them (a lookup;
    # a scan of the runs for each day was quadratic in a feed of many: review QH, QH2).
    closures = [
        closure for o, closure in closed.items() if closure.day.weekday() < 5 or o in open_set
    ]
    check_terms([Term(a, b) for a, b in runs], closures, where, unknown_years)
    if source is None:
        name = parsed.get("X-WR-CALNAME")
        source = f"iCalendar feed {where}" + (f" ({name})" if name else "")
    reasons = {closure.day: closure.reason for closure in closures}
    # `retrieved` is passed through unchecked: the calendar checks it as for any caller.
    return TermDates(tuple(runs), reasons, source, retrieved)


_Read = tuple[Any, int | None, str, str | None]
"""An event as read: itself, the line of its BEGIN:VEVENT, its summary and what that decides
(None for a cancelled one)."""


def _read_event(event: Any, line: int | None, lines: Sequence[str], where: str) -> _Read:
    """An event, its line (its BEGIN:VEVENT), its summary and what that decides (`_kind`;
    None when it is cancelled).

    A STATUS or UID given twice refuses only an event that decides (a sports day, a parents'
    evening, is passed over as a recurring one is: review F, F3). So does a line that cannot be
    parsed, unless it may be one that decides (`_may_decide`) or the event has no summary
    (review F, F6).

    Raises:
        CalendarFileError: a line of it could not be parsed (`_refuse_dropped_line`); it
            gives SUMMARY, STATUS or UID more than once; its summary gives hours that
            cannot be read (`_part_day`).
    """
    summary = _one(event, "SUMMARY", _event_name(event, ""), where, line)
    name = _event_name(event, summary)
    dropped = [str(problem) for key, problem in getattr(event, "errors", ()) if key is None]
    for problem in dropped:
        if not summary or _may_decide(problem):
            _refuse_dropped_line(problem, name, line, lines, where)
    status = event.get("STATUS", "")
    cancelled = not isinstance(status, list) and str(status).strip().upper() == "CANCELLED"
    kind = None if cancelled else _kind(summary, _refuser(event, summary, where, line))
    if kind is None:
        return event, line, summary, None
    if dropped:
        _refuse_dropped_line(dropped[0], name, line, lines, where)
    _one(event, "UID", name, where, line)
    _one(event, "STATUS", name, where, line)
    return event, line, summary, kind


_ICS_DECIDING_PROPERTIES = frozenset(
    {"SUMMARY", "STATUS", "DTSTART", "DTEND", "DURATION", "UID"}
    | set(_ICS_RECURRENCE)
    | set(_ICS_EXCEPTIONS)
)
"""The properties of an event that decide what it is and which days it covers, or which events
share its UID: lost, even an event read as nothing might have been read."""
_ICS_OTHER_PROPERTIES = frozenset(
    {
        "ACTION", "ATTACH", "ATTENDEE", "CALSCALE", "CATEGORIES", "CLASS", "COLOR", "COMMENT",
        "COMPLETED", "CONFERENCE", "CONTACT", "CREATED", "DESCRIPTION", "DTSTAMP", "DUE",
        "FREEBUSY", "GEO", "IMAGE", "LAST-MODIFIED", "LOCATION", "METHOD", "NAME", "ORGANIZER",
        "PERCENT-COMPLETE", "PRIORITY", "PRODID", "REFRESH-INTERVAL", "RELATED-TO", "REPEAT",
        "REQUEST-STATUS", "RESOURCES", "SEQUENCE", "SOURCE", "TRANSP", "TRIGGER", "TZID",
        "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "TZURL", "URL", "VERSION",
    }
)  # fmt: skip
"""The other properties RFC 5545 and RFC 7986 name, none of which the reader reads."""
_DROPPED_LINE = re.compile(r"Content line could not be parsed into parts: '([A-Za-z0-9-]+)[;:]")
"""`icalendar`'s message for a line it dropped, quoting the line: its property's name."""


def _may_decide(problem: str) -> bool:
    """Whether the line `icalendar` dropped, as its message (`problem`) quotes it, is (or cannot
    be told not to be) one of `_ICS_DECIDING_PROPERTIES`: it is, or begins with no property
    RFC 5545 or RFC 7986 names (nor an experimental "X-" one) followed by ":" or ";"."""
    found = _DROPPED_LINE.match(problem)
    if found is None:
        return True
    key = found.group(1).upper()
    if key in _ICS_DECIDING_PROPERTIES:
        return True
    return key not in _ICS_OTHER_PROPERTIES and not (key.startswith("X-") and len(key) > 2)


def _refuse_dropped_line(
    problem: str, name: str, line: int | None, lines: Sequence[str], where: str
) -> NoReturn:
    """Refuse an event with a line `icalendar` could not parse (`problem`, its message), which
    it drops, reading the rest of the event: a half term read without its DTEND lasts a day,
    one read without its SUMMARY decides nothing, and its days become school days. (A value it
    cannot read, it keeps as broken, and the event's reading refuses it where it is needed.)

    Raises:
        CalendarFileError: naming the line, or the event's line when it cannot be found.
    """
    raise CalendarFileError(
        f"{name}: a line of it cannot be read ({problem}), and the event "
        "would be read without it (a holiday without its end, or without its summary): a "
        "guess. Correct the line (a double quote opened in a parameter and not closed is "
        "the usual slip), or write the term dates as a TOML file",
        path=where,
        line=_quoted_line(problem, line, lines),
    )


def _quoted_line(problem: str, line: int | None, lines: Sequence[str]) -> int | None:
    """The line of the event beginning at `line` that `problem` quotes, else `line`."""
    if line is None:
        return None
    for number in range(line, len(lines)):
        text = lines[number].rstrip("\r")
        if text.upper() == "END:VEVENT":
            break
        if text and f"'{text}'" in problem:
            return number + 1
    return line


def _refuse_shared_uids(
    read: Sequence[_Read], spans: Sequence[tuple[int, int] | None], where: str
) -> None:
    """Refuse two events of one UID when either is read (its summary decides and its days are
    whole, `spans`): versions of one event (a later SEQUENCE replacing an earlier, a cancelled
    one) or one event exported twice, of which the feed does not say which holds. A series of
    timed events and an occurrence moved (RECURRENCE-ID), none of them read, is passed over.

    Raises:
        CalendarFileError: naming the UID, each event's summary and DTSTART, and the line of
            the second.
    """
    shared: dict[str, list[_Read]] = {}
    taken: set[str] = set()
    for found, span in zip(read, spans, strict=True):
        uids = found[0].get("UID")
        # (An event passed over may give its UID twice: each is one an event read may share.)
        for uid in uids if isinstance(uids, list) else [uids]:
            if isinstance(uid, str):
                shared.setdefault(str(uid), []).append(found)
                if span is not None:
                    taken.add(str(uid))
    for uid, versions in shared.items():
        if len(versions) < 2 or uid not in taken:
            continue
        each = [
            f"{summary!r} from {_start_text(event)}" + (f" (line {line})" if line else "")
            for event, line, summary, _ in versions
        ]
        raise CalendarFileError(
            f"UID {uid!r} is given to {len(versions)} events: {', '.join(each[:-1])} and "
            f"{each[-1]}: versions of one event (a later SEQUENCE replacing an earlier) or one "
            "event exported twice, and which holds would be a guess. Keep one event for each "
            "UID, the one in force, or write the term dates as a TOML file",
            path=where,
            line=versions[1][1],
        )


def _start_text(event: Any) -> str:
    """An event's DTSTART as the feed writes it, for a message."""
    start = event.get("DTSTART")
    try:
        return str(start.to_ical().decode())
    except (AttributeError, TypeError, ValueError):
        return "no readable DTSTART"


_DASHES = re.compile("[\u2010-\u2015\u2212]")
"""Hyphens and dashes a word processor puts for "-" (U+2010 to U+2015, the minus sign)."""


def _words(summary: str) -> str:
    """A summary as its words are compared: lower case, one space between words (an underscore
    is one too), "-" for any dash."""
    return " ".join(_DASHES.sub("-", summary.lower()).replace("_", " ").split())


def _kind(summary: str, refuse: Callable[[str], NoReturn]) -> str | None:
    """What an event's summary makes it: "gap", "closure", "term", or None (not read).

    Words are compared with any run of spaces (a no-break or thin space, a tab) read as one
    space, and any dash as "-": "Half\u00a0Term" is half term, not a term.

    Raises:
        CalendarFileError (by `refuse`): a closure's summary gives hours that cannot be read
            (`_part_day`).
    """
    lowered = _words(summary)
    for kind, words in (
        ("gap", _ICS_HOLIDAY_WORDS),
        ("closure", _ICS_CLOSURE_WORDS),
        ("term", _ICS_TERM_WORDS),
    ):
        if words.search(lowered):
            if kind == "closure" and _part_day(lowered, refuse):
                return None  # closed for part of a day: the pupils attend
            return kind
    return None


def _at_midnight(value: Any) -> bool:
    """Whether `value` is a datetime at midnight on its own clock (floating, UTC or a zone's)."""
    return (
        isinstance(value, datetime)
        and (value.hour, value.minute, value.second) == (0, 0, 0)
        and not value.microsecond
    )


def _event_name(event: Any, summary: str) -> str:
    """An event as a reader of the feed would find it: its summary, and its UID when given."""
    uid = event.get("UID")
    named = f"event {summary!r}" if summary else "an event"
    return named + (f" (UID {uid})" if isinstance(uid, str) else "")


def _event_lines(lines: Sequence[str], count: int) -> list[int | None]:
    """The line of each event's BEGIN:VEVENT among the feed's `lines` (split at "\\n"), in the
    order `icalendar` walks them (the feed's); None for each when they cannot be told apart."""
    # A folded line's continuation starts with a space, so no BEGIN:VEVENT is one.
    found: list[int | None] = [
        number
        for number, line in enumerate(lines, start=1)
        if line.rstrip("\r").upper() == "BEGIN:VEVENT"
    ]
    return found if len(found) == count else [None] * count


def _one(event: Any, key: str, name: str, where: str, line: int | None) -> str:
    """The property `key` (SUMMARY, STATUS, UID) of the event `name` names, as text (empty
    when it has none), refused when given more than once: which one holds (whether the event
    is cancelled, which UID it shares) would be a guess."""
    value = event.get(key, "")
    if isinstance(value, list):
        raise CalendarFileError(
            f"{name}: {key} is given {len(value)} times; an event has one, and which holds "
            "would be a guess",
            path=where,
            line=line,
        )
    return str(value).strip()


def _refuser(event: Any, summary: str, where: str, line: int | None) -> Callable[[str], NoReturn]:
    """What refuses an event, naming it (`_event_name`) and its line."""
    name = _event_name(event, summary)

    def refuse(problem: str) -> NoReturn:
        raise CalendarFileError(f"{name}: {problem}", path=where, line=line)

    return refuse


def _decoded(event: Any, key: str, name: str, where: str, line: int | None) -> Any:
    """The value of the event's property `key`, as `icalendar` reads it; for DTSTART and DTEND
    written `VALUE=DATE` with a `TZID` (as some exporters write a date), which `icalendar`
    reads as midnight in that zone, the date (RFC 5545: a date has no zone).

    Raises:
        CalendarFileError: the value cannot be read, or is a time in a zone (`TZID`) neither
            the feed (a VTIMEZONE) nor the time-zone data knows, which `icalendar` reads as a
            time on no clock: which day and hours it is would be a guess.
    """
    try:
        value = event.decoded(key)
    except (ValueError, TypeError) as e:
        raise CalendarFileError(
            f"{name}: {key} cannot be read ({e})", path=where, line=line
        ) from None
    if key in ("DTSTART", "DTEND") and isinstance(value, datetime):
        params = getattr(event.get(key), "params", {})
        if str(params.get("VALUE", "")).upper() == "DATE" and _at_midnight(value):
            return value.date()
        zone = params.get("TZID")
        if zone is not None and value.tzinfo is None:
            raise CalendarFileError(
                f"{name}: {key} is a time in the time zone {str(zone)!r} (TZID), which neither "
                "the feed (a VTIMEZONE) nor the time-zone data knows: which day and hours that "
                "is would be a guess. Correct the zone's name (Europe/London), give the event "
                "as an all-day event (DTSTART;VALUE=DATE), or write the term dates as a TOML "
                "file",
                path=where,
                line=line,
            )
    return value


@lru_cache(maxsize=1)
def _london() -> tzinfo | None:
    """England's time zone from the zone data (the system's, or the `tzdata` package's), or
    None when neither has it."""
    try:
        return ZoneInfo("Europe/London")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _in_london(value: datetime) -> datetime | None:
    """`value`, a UTC or TZID time, as the time in London; None for a floating time (no zone)
    or without the zone data."""
    london = _london()
    if value.tzinfo is None or value.utcoffset() is None or london is None:
        return None
    try:
        return value.astimezone(london)
    except OverflowError:  # within hours of 0001-01-01 or 9999-12-31
        return None


def _all_day_span(
    event: Any, summary: str, where: str, line: int | None, *, closes_its_day: bool
) -> tuple[int, int] | None:
    """An all-day event's first and last day as ordinals (DTEND is exclusive). An event from
    midnight to midnight, by its own clock or in London, is all-day: Exchange exports all-day
    events so. An event at times within one day is that day when it `closes_its_day` (a
    closure or a holiday) and covers the school day's compulsory sessions
    (`_CORE_SCHOOL_DAY`: "INSET Day" from 00:00 to 23:59, or from 08:30 to 15:30), else None
    (an hour's "School office closed", an "INSET day" after school).

    Raises:
        CalendarFileError: DTSTART, DTEND or DURATION cannot be read or is given twice, or
            DTEND and DURATION are both given; the event recurs (its other days would be
            missed) or has exceptions (EXDATE, EXRULE, RECURRENCE-ID); it lasts more than 366
            days; it ends at a time (on which day
            depends on a time zone), before it starts, in part of a day, or after 9999-12-31;
            it runs over days at times not at midnight (which days it covers is not known).
    """
    name = _event_name(event, summary)
    refuse = _refuser(event, summary, where, line)
    if "DTSTART" not in event:
        refuse("it has no DTSTART")
    if "DTEND" in event and "DURATION" in event:
        refuse(
            "it has both DTEND and DURATION, which RFC 5545 forbids in one event: which end is "
            "meant would be a guess. Give one of them"
        )
    start = _decoded(event, "DTSTART", name, where, line)
    if isinstance(start, datetime):
        span = _timed_span(event, start, name, where, line, refuse)
        if span is None:
            return None
        first, last, hours = span
        if hours is not None and not (closes_its_day and _covers_school_day(*hours)):
            return None
    elif not is_day(start):
        refuse(f"DTSTART must be one date like 20250901, not {_as_written(start)}")
    recurs = [key for key in _ICS_RECURRENCE if key in event]
    if recurs:
        refuse(
            f"a recurring event ({'/'.join(recurs)}) is not read, or its other days would be "
            "missed: list each occurrence as an event of its own"
        )
    excepts = [key for key in _ICS_EXCEPTIONS if key in event]
    if excepts:
        refuse(
            f"{'/'.join(excepts)} is not read (days taken out of a recurring event, or one "
            "occurrence of it replaced): which days the event covers would be a guess. List "
            "each day it covers as an event of its own"
        )
    if not isinstance(start, datetime):
        first = start.toordinal()
        if "DTEND" in event:
            end = _decoded(event, "DTEND", name, where, line)
            if not is_day(end):
                refuse(f"DTEND must be one date, as DTSTART is, not {_as_written(end)}")
            last = end.toordinal() - 1
        elif "DURATION" in event:
            duration = _decoded(event, "DURATION", name, where, line)
            whole = isinstance(duration, timedelta) and not (
                duration.seconds or duration.microseconds
            )
            if not whole:
                refuse(f"DURATION must be whole days (P3D, P2W), not {_as_written(duration)}")
            last = first + duration.days - 1
        else:
            last = first
    if last < first - 1:  # DTEND on DTSTART (or P0D): some exporters' way to write one day
        refuse("it ends before it starts")
    if last > date.max.toordinal():
        refuse(f"it runs past {date.max.isoformat()}, the last day a calendar can hold")
    if last - first + 1 > _LONGEST_EVENT_DAYS:
        refuse(
            f"it lasts {last - first + 1} days, from {date.fromordinal(first).isoformat()} to "
            f"{date.fromordinal(last).isoformat()}: no term or holiday is longer than a year "
            f"({_LONGEST_EVENT_DAYS} days); give each term and holiday as an event of its own"
        )
    return first, max(first, last)


def _timed_span(
    event: Any,
    start: datetime,
    name: str,
    where: str,
    line: int | None,
    refuse: Callable[[str], NoReturn],
) -> tuple[int, int, tuple[datetime, datetime] | None] | None:
    """The first and last day of an event given at times, when it runs from midnight to
    midnight (by its own clock, or in London for UTC and TZID times), and None; its day twice
    and its start and end as local times without a zone (by its own clock, or in London for
    UTC and TZID times) when it lies within one day; None when it lasts no time.

    Raises:
        CalendarFileError: its end cannot be read or is not a time, it ends before it starts,
            or it runs over days at times that are not such midnights.
    """
    if "DTEND" in event:
        end = _decoded(event, "DTEND", name, where, line)
        if not isinstance(end, datetime):
            refuse(f"DTEND must be a date and time, as DTSTART is, not {_as_written(end)}")
    elif "DURATION" in event:
        duration = _decoded(event, "DURATION", name, where, line)
        if not isinstance(duration, timedelta):
            refuse(f"DURATION must be a length of time (P5D, PT2H), not {_as_written(duration)}")
        try:
            end = start + duration
        except OverflowError:
            refuse(f"it runs past {date.max.isoformat()}, the last day a calendar can hold")
    else:
        return None  # a moment: it lasts no time, so it covers no day
    floating = start.tzinfo is None, end.tzinfo is None
    if floating[0] != floating[1]:
        refuse(
            f"it runs from {start.isoformat()} to {end.isoformat()}, one end on no clock and "
            "the other in UTC or a time zone: which days it covers is not known. Give it as "
            "an all-day event (DTSTART;VALUE=DATE), or write the term dates as a TOML file"
        )
    if end < start:
        refuse("it ends before it starts")
    if end == start:
        return None
    if _at_midnight(start) and _at_midnight(end) and start.tzinfo == end.tzinfo:
        return start.toordinal(), end.toordinal() - 1, None
    if floating[0]:
        if start.date() == (end - _INSTANT).date():
            return start.toordinal(), start.toordinal(), (start, end)
    else:
        london = _in_london(start), _in_london(end)
        if london[0] is None or london[1] is None:
            refuse(
                f"it runs from {start.isoformat()} to {end.isoformat()}, and which days that "
                "is in Europe/London cannot be told without the time zone data: install the "
                "tzdata package, or give it as an all-day event (DTSTART;VALUE=DATE)"
            )
        if _at_midnight(london[0]) and _at_midnight(london[1]):
            return london[0].toordinal(), london[1].toordinal() - 1, None
        if london[0].date() == (london[1] - _INSTANT).date():
            hours = london[0].replace(tzinfo=None), london[1].replace(tzinfo=None)
            return london[0].toordinal(), london[0].toordinal(), hours
    refuse(
        f"it runs from {start.isoformat()} to {end.isoformat()}, over days at times not at "
        "midnight in Europe/London: which days it covers would be a guess (an export from "
        "another time zone, or a half day). Give it as an all-day event (DTSTART;VALUE=DATE, "
        "DTEND the day after its last), or write the term dates as a TOML file"
    )


_INSTANT = timedelta(microseconds=1)
"""The last instant before an event's end (its end is exclusive, as RFC 5545 says)."""
