"""Reading term dates from a school's iCalendar feed (`read_ics`): its events, what each
decides, and the lines, statuses and UIDs that would make that a guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn

from reintegration_fsm.errors import CalendarError, CalendarFileError, FormInvalid
from reintegration_fsm.files import file_name, utf8_decoded, utf8_text
from reintegration_fsm.term_dates.event_days import (
    ICS_EXCEPTIONS,
    ICS_RECURRENCE,
    all_day_span,
    event_name,
    refuser,
)
from reintegration_fsm.term_dates.summaries import open_part_of_day, summary_kind, summary_words
from reintegration_fsm.term_dates.terms import (
    Closure,
    Term,
    TermDates,
    check_terms,
    is_icalendar,
    unreadable,
)


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
    afternoon", hours short of the school day: `open_part_of_day`) decides nothing: the pupils
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
        text = utf8_decoded(feed, unreadable(where))
    elif isinstance(feed, str) and is_icalendar(feed.removeprefix("\ufeff")):
        raise FormInvalid(
            "from_ics", "feed", "is the feed's text, not a path: pass its bytes (text.encode())"
        )
    else:
        expected = "must be a path or the feed's bytes"
        where = file_name(feed, "from_ics", "feed", expected)
        text = utf8_text(where, unreadable(where))
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
        else all_day_span(event, summary, where, line, closes_its_day=kind != "term")
        for event, line, summary, kind in read
    ]
    _refuse_shared_uids(read, spans, where)
    for (event, line, summary, kind), span in zip(read, spans, strict=True):
        if span is None or kind is None:
            continue
        if (
            kind == "gap"
            and span[0] == span[1]
            and open_part_of_day(summary_words(summary), refuser(event, summary, where, line))
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
            single.append((span[0], event_name(event, summary), line))
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
    """An event, its line (its BEGIN:VEVENT), its summary and what that decides (`summary_kind`;
    None when it is cancelled).

    A STATUS or UID given twice refuses only an event that decides (a sports day, a parents'
    evening, is passed over as a recurring one is: review F, F3). So does a line that cannot be
    parsed, unless it may be one that decides (`_may_decide`) or the event has no summary
    (review F, F6).

    Raises:
        CalendarFileError: a line of it could not be parsed (`_refuse_dropped_line`); it
            gives SUMMARY, STATUS or UID more than once; its summary gives hours that
            cannot be read (`open_part_of_day`).
    """
    summary = _one(event, "SUMMARY", event_name(event, ""), where, line)
    name = event_name(event, summary)
    dropped = [str(problem) for key, problem in getattr(event, "errors", ()) if key is None]
    for problem in dropped:
        if not summary or _may_decide(problem):
            _refuse_dropped_line(problem, name, line, lines, where)
    status = event.get("STATUS", "")
    cancelled = not isinstance(status, list) and str(status).strip().upper() == "CANCELLED"
    kind = None if cancelled else summary_kind(summary, refuser(event, summary, where, line))
    if kind is None:
        return event, line, summary, None
    if dropped:
        _refuse_dropped_line(dropped[0], name, line, lines, where)
    _one(event, "UID", name, where, line)
    _one(event, "STATUS", name, where, line)
    return event, line, summary, kind


_ICS_DECIDING_PROPERTIES = frozenset(
    {"SUMMARY", "STATUS", "DTSTART", "DTEND", "DURATION", "UID"}
    | set(ICS_RECURRENCE)
    | set(ICS_EXCEPTIONS)
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
