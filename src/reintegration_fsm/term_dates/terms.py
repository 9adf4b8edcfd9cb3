"""Term dates as read: terms, closures and their checks, for both readers.

The limits a file or feed is held to (`LONGEST_HOLIDAY_DAYS`, `LONGEST_OTHER_HOLIDAY_DAYS`,
`LONGEST_TERM_DAYS`), the checks (`check_terms`), the dates read (`as_date`) and a bad value
as the file writes it (`as_written`), and what the TOML and iCalendar readers share.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import NamedTuple, NoReturn

from reintegration_fsm.errors import CalendarError, CalendarFileError, describe
from reintegration_fsm.fields import is_day

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


def fail_calendar(message: str, line: int | None, where: str | None) -> NoReturn:
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
        fail_calendar("a calendar needs at least one term", None, where)
    for term in terms:
        if term.last < term.first:
            fail_calendar(
                f"{term.describe()} ends before it starts", term.last_line or term.line, where
            )
    ordered = sorted(terms, key=lambda t: (t.first, t.last))
    for earlier, later in pairwise(ordered):
        if later.first <= earlier.last:
            # Name the entry that comes second in the file: the one a reader would have just added.
            if (later.line or 0) < (earlier.line or 0):
                earlier, later = later, earlier
            other = f" on line {earlier.line}" if earlier.line is not None else ""
            fail_calendar(
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
            fail_calendar(
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
                    fail_calendar(
                        f"{term.describe()} cannot be counted in school days: {unknown}",
                        line or term.line,
                        where,
                    )
    if where is not None:
        for term in terms:
            days = term.last.toordinal() - term.first.toordinal() + 1
            if days > LONGEST_TERM_DAYS:
                fail_calendar(
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
                fail_calendar(
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
            fail_calendar(
                f"closure on {closure.day.isoformat()}{reason} is outside every term: a closure "
                "is a day of a term the pupils do not attend (INSET days at the start of "
                "September are term days), so give the term's days in full, or leave out "
                "closures in the holidays",
                closure.line,
                where,
            )


def as_written(value: object) -> str:
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
        text = inner.join(as_written(item) for item in value)
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
        fail_calendar(problem, line, where)
    advice = date_advice(value)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value) and _real_day(value):
        # Quoted back, the text would read as the date asked for: say what is wrong with it.
        problem = (
            f"{what} is written in quotes ({describe(value)}), which makes it text, not a date: "
            f"{advice}"
        )
    elif isinstance(value, str):
        problem = (
            f"{what} must be a date like 2025-09-01, not text in quotes ({describe(value)}): "
            f"{advice}"
        )
    elif isinstance(value, datetime):
        problem = (
            f"{what} must be a date like 2025-09-01, not a date and time "
            f"({value.isoformat()}): {advice}"
        )
    elif isinstance(value, time):
        problem = f"{what} must be a date like 2025-09-01, not a time of day ({value.isoformat()})"
    else:
        problem = f"{what} must be a date like 2025-09-01, not {as_written(value)}"
    fail_calendar(problem, line, where)


def date_advice(value: object) -> str | None:
    """What to write instead of `value`, found in a TOML file where a date is wanted, for the
    slips TOML invites: a date in quotes (text, not a date), other text in quotes, a date and
    time; None for anything else. Said by a term-dates file's and a protocol file's refusals
    (review AV, AV4)."""
    if isinstance(value, str) and _ISO_DAY.fullmatch(value) and _real_day(value):
        return f"remove the quotes, as TOML dates are bare ({value})"
    if isinstance(value, str):
        return "write the date bare, year-month-day, without quotes"
    if isinstance(value, datetime):
        return f"give the date alone ({value.date().isoformat()})"
    return None


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _real_day(text: str) -> bool:
    """Whether `text`, written YYYY-MM-DD, is a day of the calendar (not 2025-02-30)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def unreadable(where: str) -> Callable[[str, int | None], CalendarFileError]:
    """The error for a file `where` that cannot be text (at a line, for bytes not UTF-8)."""
    return lambda problem, line: CalendarFileError(problem, path=where, line=line)


def is_icalendar(text: str) -> bool:
    """Whether `text` is an iCalendar feed (RFC 5545: it begins BEGIN:VCALENDAR)."""
    return text.lstrip().upper().startswith("BEGIN:VCALENDAR")
