"""What an iCalendar event's summary says: a holiday, a closure or a term, and whether a
closure is for part of a day (times of day, hours, half days) and leaves the pupils at school.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import NoReturn

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
never a closing time. Which it is, `_CORE_SCHOOL_DAY` decides (`open_part_of_day`)."""
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


def covers_school_day(start: datetime, end: datetime) -> bool:
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
    """Whether the hours a summary's words (`summary_words`) give (`_TIME_RANGE`) cover the school
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


def open_part_of_day(words: str, refuse: Callable[[str], NoReturn]) -> bool:
    """Whether a summary's words (`summary_words`) mark the school open for part of the day:
    hours it gives that leave part of the school day (`_hours_close_the_day`), a closing time or
    an early finish (`_ICS_PART_DAY`), or one half of the day named alone, as the closure's own
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


_DASHES = re.compile("[\u2010-\u2015\u2212]")
"""Hyphens and dashes a word processor puts for "-" (U+2010 to U+2015, the minus sign)."""


def summary_words(summary: str) -> str:
    """A summary as its words are compared: lower case, one space between words (an underscore
    is one too), "-" for any dash."""
    return " ".join(_DASHES.sub("-", summary.lower()).replace("_", " ").split())


def summary_kind(summary: str, refuse: Callable[[str], NoReturn]) -> str | None:
    """What an event's summary makes it: "gap", "closure", "term", or None (not read).

    Words are compared with any run of spaces (a no-break or thin space, a tab) read as one
    space, and any dash as "-": "Half\u00a0Term" is half term, not a term.

    Raises:
        CalendarFileError (by `refuse`): a closure's summary gives hours that cannot be read
            (`open_part_of_day`).
    """
    lowered = summary_words(summary)
    for kind, words in (
        ("gap", _ICS_HOLIDAY_WORDS),
        ("closure", _ICS_CLOSURE_WORDS),
        ("term", _ICS_TERM_WORDS),
    ):
        if words.search(lowered):
            if kind == "closure" and open_part_of_day(lowered, refuse):
                return None  # closed for part of a day: the pupils attend
            return kind
    return None
