"""Which days an iCalendar event covers: all-day, at times within one day, or from midnight to
midnight (by its own clock or in London); refused when its days are not certain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reintegration_fsm.errors import CalendarFileError
from reintegration_fsm.fields import is_day
from reintegration_fsm.term_dates.summaries import covers_school_day
from reintegration_fsm.term_dates.terms import as_written

ICS_RECURRENCE = ("RRULE", "RDATE")
"""The properties that make an event recur, which `all_day_span` refuses."""
ICS_EXCEPTIONS = ("EXDATE", "EXRULE", "RECURRENCE-ID")
"""The properties of a recurring event's exceptions, which `all_day_span` refuses."""
_LONGEST_EVENT_DAYS = 366
"""No term or holiday is longer than a year (a leap year's 366 days): an event longer is
refused before its days are counted, so a feed of a few bytes cannot take seconds and a
gigabyte to read."""


def _at_midnight(value: Any) -> bool:
    """Whether `value` is a datetime at midnight on its own clock (floating, UTC or a zone's)."""
    return (
        isinstance(value, datetime)
        and (value.hour, value.minute, value.second) == (0, 0, 0)
        and not value.microsecond
    )


def event_name(event: Any, summary: str) -> str:
    """An event as a reader of the feed would find it: its summary, and its UID when given."""
    uid = event.get("UID")
    named = f"event {summary!r}" if summary else "an event"
    return named + (f" (UID {uid})" if isinstance(uid, str) else "")


def refuser(event: Any, summary: str, where: str, line: int | None) -> Callable[[str], NoReturn]:
    """What refuses an event, naming it (`event_name`) and its line."""
    name = event_name(event, summary)

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


def all_day_span(
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
    name = event_name(event, summary)
    refuse = refuser(event, summary, where, line)
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
        if hours is not None and not (closes_its_day and covers_school_day(*hours)):
            return None
    elif not is_day(start):
        refuse(f"DTSTART must be one date like 20250901, not {as_written(start)}")
    recurs = [key for key in ICS_RECURRENCE if key in event]
    if recurs:
        refuse(
            f"a recurring event ({'/'.join(recurs)}) is not read, or its other days would be "
            "missed: list each occurrence as an event of its own"
        )
    excepts = [key for key in ICS_EXCEPTIONS if key in event]
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
                refuse(f"DTEND must be one date, as DTSTART is, not {as_written(end)}")
            last = end.toordinal() - 1
        elif "DURATION" in event:
            duration = _decoded(event, "DURATION", name, where, line)
            whole = isinstance(duration, timedelta) and not (
                duration.seconds or duration.microseconds
            )
            if not whole:
                refuse(f"DURATION must be whole days (P3D, P2W), not {as_written(duration)}")
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
            refuse(f"DTEND must be a date and time, as DTSTART is, not {as_written(end)}")
    elif "DURATION" in event:
        duration = _decoded(event, "DURATION", name, where, line)
        if not isinstance(duration, timedelta):
            refuse(f"DURATION must be a length of time (P5D, PT2H), not {as_written(duration)}")
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
