"""School calendars: term dates, closures and England bank holidays, counted in school days.

A school day is a Monday to Friday inside a term that is neither an England bank holiday (from the
`holidays` package, the only module of the library that imports it) nor a closure (an INSET day, an
emergency closure). Term dates are data: `SchoolCalendar.from_file` reads them from a TOML file
that names its source, `SchoolCalendar.from_ics` from a school's iCalendar feed (the reading and
its line-numbered errors live in `reintegration_fsm.term_dates`). The calendar never guesses: a
date before its first term or after its last raises `CalendarError`.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NoReturn

from reintegration_fsm.errors import CalendarError, CalendarFileError, FormInvalid, describe
from reintegration_fsm.fields import is_day
from reintegration_fsm.term_dates import (
    Closure,
    Term,
    TermDates,
    as_date,
    check_terms,
    read_ics,
    read_sample,
    read_toml_file,
)

__all__ = [
    "CalendarFileError",
    "SchoolCalendar",
    "bank_holiday_years",
    "plausible_school_days",
]

SAMPLE_SOURCE = "SAMPLE DATA"
"""How the `source` of the shipped sample calendar begins (and of a file copied from it, its
source line kept): its dates are invented, typical ones, no authority's."""

_LONGEST_HOLIDAYS = 150
"""Calendar days of holidays allowed for each 100 school days begun (`_holiday_allowance`)."""


def _holiday_allowance(n: int) -> int:
    """The most calendar days that holidays (and closures) can add to a run of n school days.

    An English school year is 190 school days and 365 calendar days: its 38 school weeks span
    266 days, so its holidays, bank holidays and INSET days add about 99 (the summer's six
    weeks, two at Christmas, two at Easter, three half terms). The most any 100 school days
    (20 school weeks) can span is the summer, a half term and Christmas together: under 100
    days in a usual year, but a calendar may hold a summer of eight weeks
    (`term_dates.LONGEST_HOLIDAY_DAYS`), a half term of two and a long Christmas, with INSET
    days beside them, which come to over 100. So 150 calendar days for every 100 school days
    begun (`_LONGEST_HOLIDAYS * (n // 100 + 1)`) is more than any calendar a file may hold
    needs, from a count of 20 to one of years, and still refuses the months a missing term
    or a term's worth of closures adds to a count of 20.
    """
    return _LONGEST_HOLIDAYS * (n // 100 + 1)


@lru_cache(maxsize=1)
def bank_holiday_years() -> tuple[int, int]:
    """The first and last year the installed `holidays` knows England's bank holidays for."""
    # Outside them `holidays` answers with no holiday at all, which would make Easter Monday
    # and Christmas Day school days.
    import holidays  # when first asked (see _bank_holidays)

    england = holidays.country_holidays("GB", subdiv="ENG")
    return int(england.start_year), int(england.end_year)


def _unknown_years(first_year: int, last_year: int) -> str | None:
    """Why the bank holidays of the years given are not known, or None."""
    first, last = bank_holiday_years()
    if first <= first_year and last_year <= last:
        return None
    outside = first_year if first_year < first else last_year
    return (
        f"the bank holidays of {outside} are not known: the installed holidays package has "
        f"England's bank holidays for {first} to {last} only (check the year; a newer holidays "
        "package may know it: pip install -U holidays)"
    )


@lru_cache(maxsize=64)
def _bank_holidays(first_year: int, last_year: int) -> frozenset[int]:
    """Ordinals of the England bank holidays that fall on a weekday in the years given.

    Raises:
        CalendarError: `holidays` does not know the bank holidays of one of the years.
    """
    unknown = _unknown_years(first_year, last_year)
    if unknown is not None:
        raise CalendarError(f"cannot count school days in {first_year} to {last_year}: {unknown}")
    # Imported when a calendar first counts: loading `holidays` costs a command line that
    # counts no school day (`cases`, `history`, `--help`) a large share of its start-up.
    import holidays

    # `holidays` also lists the weekend date of a holiday whose substitute day is a Monday.
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return frozenset(day.toordinal() for day in found if day.weekday() < 5)


class SchoolCalendar:
    """Term dates, closures and England bank holidays; answers questions in school days.

    Args:
        terms: `(first_day, last_day)` pairs, both days included; holidays are the gaps between.
        closures: days inside a term when the school is closed to pupils (INSET days, emergency
            closures); a mapping from day to reason keeps the reasons.
        source: where the term dates come from.
        retrieved: the day they were taken from there.

    Raises:
        CalendarError: no term, a term ending before it starts, overlapping terms, two terms
            further apart than a holiday can be (eight weeks across August, four otherwise:
            a term missing between them), a closure
            outside every term, a term in a year whose bank holidays `holidays` does not know
            (`bank_holiday_years`), or a source or a closure's reason that is not text.
    """

    __slots__ = (
        "_count",
        "_dates",
        "_day_set",
        "_days",
        "_first_ord",
        "_last_ord",
        "_reasons",
        "_retrieved",
        "_source",
        "_terms",
    )

    _terms: tuple[tuple[date, date], ...]
    _reasons: Mapping[date, str]
    _source: str
    _retrieved: date | None
    _days: list[int]
    _dates: tuple[date, ...]
    _day_set: frozenset[int]
    _count: int
    _first_ord: int
    _last_ord: int

    def __init__(
        self,
        terms: Iterable[tuple[date, date]],
        closures: Iterable[date] | Mapping[date, str] = (),
        *,
        source: str = "",
        retrieved: date | None = None,
    ) -> None:
        if isinstance(terms, str | bytes) or not isinstance(terms, Iterable):
            raise CalendarError(
                f"terms must be (first_day, last_day) pairs of dates, not {type(terms).__name__}"
            )
        term_list = []
        for pair in terms:
            if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise CalendarError(
                    f"a term must be a (first_day, last_day) pair of dates, not {pair!r}"
                )
            first, last = pair
            term_list.append(
                Term(
                    as_date(first, "a term's first day", None, None),
                    as_date(last, "a term's last day", None, None),
                )
            )
        if isinstance(closures, str | bytes) or not isinstance(closures, Iterable):
            raise CalendarError(f"closures must be dates, not {type(closures).__name__}")
        if isinstance(closures, Mapping):
            closure_list = []
            for d, reason in closures.items():
                if not isinstance(reason, str):
                    raise CalendarError(f"a closure's reason must be text, not {describe(reason)}")
                closure_list.append(Closure(as_date(d, "a closure", None, None), reason))
        else:
            closure_list = [Closure(as_date(d, "a closure", None, None)) for d in closures]
        check_terms(term_list, closure_list, None)
        if not isinstance(source, str):
            raise CalendarError(
                f"source must be text saying where the dates come from, not {describe(source)}"
            )
        if retrieved is not None:
            retrieved = as_date(retrieved, "retrieved", None, None)

        ordered = sorted((t.first, t.last) for t in term_list)
        reasons: dict[date, str] = {}
        for closure in sorted(closure_list):
            reasons[closure.day] = reasons.get(closure.day) or closure.reason
        first_ord, last_ord = ordered[0][0].toordinal(), ordered[-1][1].toordinal()
        unknown = _unknown_years(ordered[0][0].year, ordered[-1][1].year)
        if unknown is not None:
            raise CalendarError(
                f"the terms from {ordered[0][0].isoformat()} to {ordered[-1][1].isoformat()} "
                f"cannot be counted in school days: {unknown}"
            )
        bank = _bank_holidays(ordered[0][0].year, ordered[-1][1].year)
        closed = {d.toordinal() for d in reasons}
        days = [
            o
            for first, last in ordered
            for o in range(first.toordinal(), last.toordinal() + 1)
            # date.fromordinal(1) is a Monday, so (o - 1) % 7 is the weekday, Monday = 0.
            if (o - 1) % 7 < 5 and o not in bank and o not in closed
        ]

        put = object.__setattr__
        put(self, "_terms", tuple(ordered))
        put(self, "_reasons", MappingProxyType(reasons))
        put(self, "_source", source)
        put(self, "_retrieved", retrieved)
        put(self, "_days", days)
        put(self, "_dates", tuple(map(date.fromordinal, days)))
        put(self, "_day_set", frozenset(days))
        put(self, "_count", len(days))
        put(self, "_first_ord", first_ord)
        put(self, "_last_ord", last_ord)

    # ---- construction from data ------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SchoolCalendar:
        """Read a calendar from a TOML term-dates file (format in docs/calendar.md).

        Raises:
            CalendarFileError: the file is not UTF-8 text, not valid TOML (an iCalendar feed
                says so), or breaks a rule (a term in a year whose bank holidays are not known
                too); names the line.
            FormInvalid: `path` is not a path.
            OSError: the file cannot be read.
        """
        return cls._from_term_dates(read_toml_file(path, _unknown_years))

    @classmethod
    def sample(cls) -> SchoolCalendar:
        """The shipped SAMPLE calendar (2025/26 and 2026/27): typical dates, no authority's."""
        return cls._from_term_dates(read_sample())

    @classmethod
    def from_ics(
        cls,
        feed: str | os.PathLike[str] | bytes,
        *,
        source: str | None = None,
        retrieved: date | None = None,
    ) -> SchoolCalendar:
        """Read a calendar from a school's iCalendar term-dates feed (a path, or the feed's bytes).

        Events map to terms, gaps and closures as `term_dates.read_ics` describes.

        Raises:
            CalendarError: `icalendar` is not installed, the feed is malformed or has no term
                events, or a closure falls outside every term.
            CalendarFileError: an event recurs or has exceptions, two events share a UID, a
                term is in a year whose bank holidays are not known (`bank_holiday_years`), an
                event lasts more than a year or gives both DTEND and DURATION, its dates
                cannot be read, are in a time zone not known or are not whole days (never
                guessed: an event over days at times not at midnight, in London too, is
                refused, not ignored), a closure's summary gives hours that cannot be read, or
                an event holds a line that cannot be parsed, or one decided on a STATUS or UID
                twice.
            FormInvalid: `feed` is neither a path nor bytes.
            OSError: the file cannot be read.
        """
        return cls._from_term_dates(
            read_ics(feed, source=source, retrieved=retrieved, unknown_years=_unknown_years)
        )

    @classmethod
    def _from_term_dates(cls, read: TermDates) -> SchoolCalendar:
        """A calendar from term dates read (and checked) by `reintegration_fsm.term_dates`."""
        return cls(read.terms, read.closures, source=read.source, retrieved=read.retrieved)

    # ---- what the calendar knows ----------------------------------------------------------

    @property
    def first_day(self) -> date:
        """The first day of the first term: the earliest date the calendar can answer for."""
        return self._terms[0][0]

    @property
    def last_day(self) -> date:
        """The last day of the last term: the latest date the calendar can answer for."""
        return self._terms[-1][1]

    @property
    def terms(self) -> tuple[tuple[date, date], ...]:
        """The terms as `(first_day, last_day)` pairs, in date order."""
        return self._terms

    @property
    def closures(self) -> tuple[date, ...]:
        """The closure days, in date order."""
        return tuple(self._reasons)

    @property
    def closure_reasons(self) -> Mapping[date, str]:
        """Each closure day with its reason ("" when none was given)."""
        return self._reasons

    @property
    def source(self) -> str:
        """Where the term dates come from."""
        return self._source

    @property
    def retrieved(self) -> date | None:
        """The day the term dates were taken from their source, if known."""
        return self._retrieved

    # ---- questions in school days ---------------------------------------------------------

    def is_school_day(self, d: date) -> bool:
        """Whether `d` is a school day.

        Raises:
            CalendarError: `d` is before the first term or after the last.
            FormInvalid: `d` is not a date (a datetime is not one).
        """
        o = d.toordinal() if type(d) is date else self._day("is_school_day", "d", d)
        if o < self._first_ord or o > self._last_ord:
            self._outside(d)
        return o in self._day_set

    def add_school_days(self, d: date, n: int) -> date:
        """The n-th school day after `d` (`d` itself never counts); `d` itself when `n` is 0.

        Raises:
            CalendarError: `d` is outside the calendar, or the n-th school day is past its end.
            FormInvalid: `d` is not a date, or `n` not a whole number of 0 or more (a
                `ValueError`).
        """
        o = d.toordinal() if type(d) is date else self._day("add_school_days", "d", d)
        if type(n) is not int and (isinstance(n, bool) or not isinstance(n, int)):
            raise FormInvalid("add_school_days", "n", f"must be a whole number, not {describe(n)}")
        if o < self._first_ord or o > self._last_ord:
            self._outside(d)
        if n < 1:
            if n == 0:
                return d
            raise FormInvalid(
                "add_school_days", "n", f"must be 0 or more school days, not {describe(n)}"
            )
        index = bisect_right(self._days, o) + n - 1
        if index >= self._count:
            self._past_end(d, n)
        return self._dates[index]

    def school_days_between(self, a: date, b: date) -> int:
        """The number of school days after `a` up to and including `b` (0 when `b <= a`).

        Raises:
            CalendarError: `a` or `b` is outside the calendar.
            FormInvalid: `a` or `b` is not a date.
        """
        oa = a.toordinal() if type(a) is date else self._day("school_days_between", "a", a)
        ob = b.toordinal() if type(b) is date else self._day("school_days_between", "b", b)
        if oa < self._first_ord or oa > self._last_ord:
            self._outside(a)
        if ob < self._first_ord or ob > self._last_ord:
            self._outside(b)
        if ob <= oa:
            return 0
        return bisect_right(self._days, ob) - bisect_right(self._days, oa)

    def suggest_review_dates(
        self, start: date, weeks: tuple[int, int, int] = (2, 4, 6)
    ) -> tuple[date, date, date]:
        """First, second and final review dates for a placement starting on `start` (R7).

        `weeks` on (for the seed's (2, 4, 6): `start` + 14, 28 and 42 days; a protocol passes its
        `review_weeks`), each moved to a school day: the interim reviews to the next school day,
        the final one earlier, never later, so that it stays within its weeks. Where holidays
        make those collide (`start < first < second < final` fails), the reviews are pulled in:
        with m school days in the final review's weeks, the `ceil(m/3)`-th, `ceil(2m/3)`-th and
        m-th.

        Raises:
            CalendarError: `start` is outside the calendar; the weeks run past its last day
                (the final review cannot be placed without guessing); or fewer than three school
                days fall in them.
            FormInvalid: `start` is not a date, or `weeks` are not three increasing whole
                numbers above 0 (a `ValueError`).
        """
        if (
            isinstance(weeks, str)
            or not isinstance(weeks, Sequence)
            or len(weeks) != 3
            or not all(isinstance(w, int) and not isinstance(w, bool) for w in weeks)
            or not 0 < weeks[0] < weeks[1] < weeks[2]
        ):
            raise FormInvalid(
                "suggest_review_dates",
                "weeks",
                f"must be three increasing whole numbers above 0, not {describe(weeks)}",
            )
        o = (
            start.toordinal()
            if type(start) is date
            else self._day("suggest_review_dates", "start", start)
        )
        if o < self._first_ord or o > self._last_ord:
            self._outside(start)
        span = weeks[2] * 7
        cap = o + span
        if cap > self._last_ord:
            raise CalendarError(
                f"cannot suggest review dates for a start on {start.isoformat()}: the "
                f"{describe(weeks[2])} weeks to {_ordinal_text(cap)} run past the "
                f"calendar's last day, and the calendar knows {self._range_text()}",
                known=(self.first_day, self.last_day),
            )
        days, dates = self._days, self._dates
        after = bisect_right(days, o)  # position of the first school day after `start`
        within = bisect_right(days, cap) - after  # school days in (start, start + 42]
        if within < 3:
            raise CalendarError(
                f"cannot suggest review dates for a start on {start.isoformat()}: only "
                f"{within} school day(s) fall by {date.fromordinal(cap).isoformat()} "
                f"(start + {span} days), and three reviews need three",
                known=(self.first_day, self.last_day),
            )
        final = after + within - 1  # the last school day on or before the cap
        first, second = (bisect_left(days, o + week * 7) for week in weeks[:2])
        if not first < second < final:
            first = after + -(-within // 3) - 1
            second = after + -(-2 * within // 3) - 1
        return dates[first], dates[second], dates[final]

    # ---- errors and value behaviour -------------------------------------------------------

    def _range_text(self) -> str:
        """The known range, for messages."""
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"

    @staticmethod
    def _day(method: str, name: str, value: object) -> int:
        """The ordinal of `value`, a date (a datetime is not a day: which day it is depends
        on a time zone the calendar does not know). The callers take a plain `date`'s ordinal
        themselves: every deadline counts through them.

        Raises:
            FormInvalid: it is not a date.
        """
        if not is_day(value):
            raise FormInvalid(method, name, f"must be a date, not {type(value).__name__}")
        return value.toordinal()

    def _outside(self, d: date) -> NoReturn:
        """Refuse a date the calendar does not cover, naming the range it knows; a date before
        it, as a case brought in from paper has, needs the earlier terms, and the message says
        so (review OB, OB8)."""
        earlier = (
            f": add the terms of the school year holding {d.isoformat()} to the calendar "
            "(a case brought in from before its first term needs them)"
            if d < self.first_day
            else ""
        )
        raise CalendarError(
            f"{d.isoformat()} is outside the school calendar, which knows {self._range_text()} "
            f"(source: {self._source or 'not given'}){earlier}",
            known=(self.first_day, self.last_day),
        )

    def _past_end(self, d: date, n: int) -> NoReturn:
        """Refuse a count that runs past the last term."""
        left = self._count - bisect_right(self._days, d.toordinal())
        raise CalendarError(
            f"{describe(n)} school days after {d.isoformat()} runs past the end of the school "
            f"calendar ({left} school day(s) left; it knows {self._range_text()})",
            known=(self.first_day, self.last_day),
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SchoolCalendar is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SchoolCalendar is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchoolCalendar):
            return NotImplemented
        return (
            self._terms == other._terms
            and self._reasons == other._reasons
            and self._source == other._source
            and self._retrieved == other._retrieved
        )

    def __hash__(self) -> int:
        return hash((self._terms, self.closures, self._source, self._retrieved))

    def __repr__(self) -> str:
        return (
            f"SchoolCalendar({self._range_text()}, {len(self._terms)} terms, "
            f"{len(self._reasons)} closures, source={self._source!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._terms, dict(self._reasons), self._source, self._retrieved))

    def __copy__(self) -> SchoolCalendar:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SchoolCalendar:
        return self


_LAST_ORDINAL = date.max.toordinal()


def _ordinal_text(o: int) -> str:
    """The date of ordinal `o` in ISO, or where it would fall past the last date Python has."""
    if o > _LAST_ORDINAL:
        return f"a day after {date.max.isoformat()}"
    return date.fromordinal(o).isoformat()


def _rebuild(
    terms: tuple[tuple[date, date], ...],
    closures: dict[date, str],
    source: str,
    retrieved: date | None,
) -> SchoolCalendar:
    """Unpickle a calendar."""
    return SchoolCalendar(terms, closures, source=source, retrieved=retrieved)


def plausible_school_days(
    start: date, due: date, n: int, calendar: SchoolCalendar | None = None
) -> str | None:
    """Why `due` cannot be the n-th school day after `start` under any school calendar, or None.

    Replay uses this to refuse a recorded deadline no calendar could have given, without
    recomputing it with today's calendar. A recorded deadline is plausible when it is a
    weekday, inside one of `calendar`'s terms when `calendar` is given and knows its date, no
    sooner than the n-th weekday after `start` (the soonest with no day closed at all) and no
    later than holidays could push it: 150 calendar days for every 100 school days begun past
    the n-th weekday (`_holiday_allowance` says why).

    Replay gives no `calendar`: term dates corrected after a referral (a half term a week
    later) must not make a recorded case unreadable, as a new bank holiday must not (below).
    A referral holds the deadline its own calendar counts to that calendar's terms.

    Bank holidays are not asked: the deadline was counted with the bank holidays of the
    `holidays` release installed then, and a later release may know a one-off bank holiday that
    one did not (the 2022 state funeral was announced nine days ahead), or move or remove one.
    A deadline the library itself recorded must still replay after an upgrade, so it is held
    only to what no release changes. No calendar counts in a year whose bank holidays are not
    known (`bank_holiday_years`), so a deadline counted in one is refused.
    """
    weekdays_after = start.toordinal() + (n // 5) * 7 + n % 5 + 2
    if due.toordinal() > weekdays_after + _holiday_allowance(n):
        latest = date.fromordinal(weekdays_after + _holiday_allowance(n))
        return (
            f"deadline {due.isoformat()} is later than {n} school days after {start.isoformat()} "
            f"could fall under any school calendar (by {latest.isoformat()} at the latest)"
        )
    if due.weekday() >= 5:
        return f"deadline {due.isoformat()} falls on a weekend, never a school day"
    unknown = _unknown_years(start.year, max(start.year, due.year))
    if unknown is not None:
        return f"deadline {due.isoformat()} cannot be checked, nor any calendar give it: {unknown}"
    if (
        calendar is not None
        and calendar.first_day <= due <= calendar.last_day
        and not any(first <= due <= last for first, last in calendar.terms)
    ):
        return (
            f"deadline {due.isoformat()} falls between the terms of the calendar "
            f"({calendar.source or 'unnamed'}), in a holiday, never a school day"
        )
    if start.toordinal() + n > _LAST_ORDINAL:
        # Past the last date there is whatever the calendar: not counted (a protocol an
        # earlier version took may count millions of school days, or more).
        return (
            f"deadline {due.isoformat()} is earlier than {describe(n)} school days after "
            f"{start.isoformat()} could fall (at the soonest {_ordinal_text(_LAST_ORDINAL + 1)})"
        )
    soonest = _nth_weekday_after(start.toordinal(), n)
    if due.toordinal() < soonest:
        return (
            f"deadline {due.isoformat()} is earlier than {n} school days after "
            f"{start.isoformat()} could fall (at the soonest {_ordinal_text(soonest)})"
        )
    return None


def _nth_weekday_after(o: int, n: int) -> int:
    """The ordinal of the n-th Monday to Friday after ordinal `o` (`o` itself never counts);
    `o` itself when `n` is 0 or less."""
    if n <= 0:
        return o
    weekday = (o - 1) % 7  # Monday 0, as `date.weekday` (ordinal 1 is a Monday)
    if weekday > 4:  # from a weekend, as from the Friday before it
        o -= weekday - 4
        weekday = 4
    weeks, rest = divmod(n, 5)
    return o + weeks * 7 + rest + (2 if weekday + rest > 4 else 0)
