"""Hostile tries on school calendars: what an attacker, a careless integrator and a tired LA
officer would feed `SchoolCalendar`, its TOML and iCalendar readers and the CLI's calendar
commands. Each either shows a defect fixed (the docstring says what happened before) or a
refusal that held, kept so that it keeps holding."""

from __future__ import annotations

import contextlib
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import WORCESTERSHIRE, ReferralRoute, Reintegration, term_dates
from reintegration_fsm.calendar import CalendarFileError, SchoolCalendar, plausible_school_days
from reintegration_fsm.cli import cli
from reintegration_fsm.errors import CalendarError, FormInvalid, ProtocolError
from reintegration_fsm.files import MOST_BYTES
from reintegration_fsm.term_dates import event_days, read_ics

TERM = (date(2025, 9, 1), date(2025, 12, 19))
SMALL = SchoolCalendar([TERM], source="Invented test terms")


def run(*args: str) -> Result:
    """The CLI with no calendar in the environment."""
    return CliRunner().invoke(cli, list(args), env={"RFSM_CALENDAR": None})


def assert_refused_cleanly(result: Result, *fragments: str) -> None:
    """Exit 2 with the message on stderr: no traceback, and not reported as a bug."""
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") or "Error: " in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert "bug" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


# ---- iCalendar feeds --------------------------------------------------------------------------


def feed(*events: str) -> bytes:
    """An iCalendar feed (CRLF, as RFC 5545 writes it) holding these events' lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Invented School//Terms//EN"]
    for number, event in enumerate(events, start=1):
        lines += ["BEGIN:VEVENT", f"UID:{number}@test", "DTSTAMP:20250601T000000Z"]
        lines += event.strip("\n").split("\n")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


AUTUMN = "DTSTART;VALUE=DATE:20250901\nDTEND;VALUE=DATE:20251220\nSUMMARY:Autumn Term"


@pytest.mark.parametrize(
    "recurrence",
    ["RRULE:FREQ=WEEKLY;COUNT=4", "RDATE;VALUE=DATE:20251010"],
    ids=["rrule", "rdate"],
)
def test_a_recurring_closure_is_refused_not_read_as_its_first_day(recurrence: str) -> None:
    """A weekly INSET afternoon (RRULE) or an INSET event repeated on another day (RDATE) was
    read as its first occurrence only: the other days silently stayed school days."""
    inset = f"DTSTART;VALUE=DATE:20250905\n{recurrence}\nSUMMARY:INSET day"
    with pytest.raises(CalendarFileError, match=r"'INSET day'.*recurring") as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert refused.value.path == "<iCalendar feed>"


def test_a_recurring_term_is_refused_not_read_as_one_year() -> None:
    """An autumn term repeated every year (RRULE:FREQ=YEARLY) gave a calendar of one year."""
    yearly = AUTUMN + "\nRRULE:FREQ=YEARLY;COUNT=3"
    with pytest.raises(CalendarFileError, match="recurring"):
        SchoolCalendar.from_ics(feed(yearly))


def test_a_recurring_event_the_calendar_does_not_read_is_still_ignored() -> None:
    """A weekly timed club or an all-day event with no term word stays harmless."""
    club = "DTSTART:20250903T153000\nDTEND:20250903T163000\nRRULE:FREQ=WEEKLY\nSUMMARY:Chess"
    kit = "DTSTART;VALUE=DATE:20250905\nRRULE:FREQ=WEEKLY\nSUMMARY:PE kit day"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, club, kit))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("DTSTART;VALUE=DATE:20250901\nDTEND;VALUE=DATE:garbage\nSUMMARY:Autumn Term", "DTEND"),
        ("DTSTART;VALUE=DATE:20250901\nDURATION:garbage\nSUMMARY:Autumn Term", "DURATION"),
    ],
    ids=["dtend", "duration"],
)
def test_an_unreadable_end_is_refused_not_a_type_error(event: str, expected: str) -> None:
    """An event whose DTEND or DURATION cannot be read raised a bare TypeError."""
    with pytest.raises(CalendarFileError, match=rf"'Autumn Term'.*{expected}"):
        SchoolCalendar.from_ics(feed(event))


@pytest.mark.parametrize(
    "start",
    [
        "DTSTART;VALUE=DATE:2025",
        "DTSTART;VALUE=DATE:20251399",
        "DTSTART;VALUE=DATE:20250905\nDTSTART;VALUE=DATE:20250912",
    ],
    ids=["short", "no-such-day", "twice"],
)
def test_an_unreadable_start_is_refused_not_dropped(start: str) -> None:
    """An INSET event whose DTSTART could not be read (or was given twice) was skipped as if
    it were a timed event: the feed was read without the closure."""
    with pytest.raises(CalendarFileError, match=r"'INSET day'.*DTSTART"):
        SchoolCalendar.from_ics(feed(AUTUMN, f"{start}\nSUMMARY:INSET day"))


@pytest.mark.parametrize(
    "end",
    ["DTEND;VALUE=DATE:20250801", "DURATION:-P5D", "DURATION:PT1H", "DURATION:P1DT12H"],
    ids=["dtend-before", "negative-duration", "hours", "days-and-hours"],
)
def test_an_event_ending_before_it_starts_or_in_part_days_is_refused(end: str) -> None:
    """An all-day event ending before it starts was read as one day; a duration of hours on
    an all-day event was rounded down to whole days. Both were guesses."""
    with pytest.raises(CalendarFileError, match="'Autumn Term'"):
        SchoolCalendar.from_ics(feed(f"DTSTART;VALUE=DATE:20250901\n{end}\nSUMMARY:Autumn Term"))


def test_an_all_day_event_ending_at_a_time_in_a_time_zone_is_refused() -> None:
    """DTEND with a TZID on an all-day event: which day it ends on depends on the zone (and
    its clock changes); it was cut to its date, a guess."""
    mixed = "DTSTART;VALUE=DATE:20250901\nDTEND;TZID=Europe/London:20251220T090000\nSUMMARY:Term"
    with pytest.raises(CalendarFileError, match="DTEND"):
        SchoolCalendar.from_ics(feed(mixed))


def test_an_all_day_event_ending_on_its_first_day_is_one_day() -> None:
    """DTEND equal to DTSTART (some exporters write it for a one-day event) is that day."""
    same = "DTSTART;VALUE=DATE:20250902\nDTEND;VALUE=DATE:20250902\nSUMMARY:INSET day"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, same))
    assert calendar.closures == (date(2025, 9, 2),)


def test_an_event_running_past_the_last_day_python_has_is_refused_not_an_overflow() -> None:
    """An event lasting past 9999-12-31 raised a bare OverflowError."""
    long = "DTSTART;VALUE=DATE:99991201\nDURATION:P100D\nSUMMARY:Autumn Term"
    with pytest.raises(CalendarFileError, match="9999-12-31"):
        SchoolCalendar.from_ics(feed(long))


def test_the_last_day_python_has_can_be_a_one_day_event() -> None:
    """An all-day event on 9999-12-31 without DTEND is that one day (the day after it,
    where it would end, raised a bare OverflowError)."""
    term = "DTSTART;VALUE=DATE:99991226\nDURATION:P6D\nSUMMARY:Term"  # after Christmas (G5)
    inset = "DTSTART;VALUE=DATE:99991231\nSUMMARY:INSET day"
    read = read_ics(feed(term, inset))
    assert read.terms == ((date(9999, 12, 26), date(9999, 12, 31)),)
    assert dict(read.closures) == {date(9999, 12, 31): "INSET day"}
    with pytest.raises(CalendarError, match="bank holidays of 9999 are not known"):
        SchoolCalendar.from_ics(feed(term, inset))


def test_a_cancelled_closure_is_not_a_closure() -> None:
    """An INSET day marked STATUS:CANCELLED (RFC 5545: the event will not happen) still
    closed the school."""
    cancelled = "DTSTART;VALUE=DATE:20250905\nSTATUS:CANCELLED\nSUMMARY:INSET day"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, cancelled))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 9, 5))


@pytest.mark.parametrize(
    ("summary", "day"),
    [
        ("Breakfast club starts", "20251001"),  # held "break": a holiday in term
        ("School breaks up at 1.30pm", "20251219"),  # "breaks": its last day lost
        ("Disclosed results evening", "20251001"),  # held "closed": a closure
        ("Intermediate maths challenge", "20250816"),  # held "term": a summer Saturday a term
        ("Mastermind final", "20251228"),  # held "term": a term day in the holidays
    ],
)
def test_a_word_inside_another_word_does_not_decide(summary: str, day: str) -> None:
    """The summary was searched for substrings: "Breakfast club" held "break" and became a
    holiday, removing a school day; "Intermediate" held "term" and made a summer Saturday a
    term; "Disclosed" held "closed" and closed the school."""
    event = f"DTSTART;VALUE=DATE:{day}\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)
    assert calendar.closures == ()


@pytest.mark.parametrize(
    ("summary", "terms", "closures"),
    [
        ("Half-Term", 2, 0),
        ("Half term holidays", 2, 0),
        ("HalfTerm", 2, 0),
        ("October break", 2, 0),
        ("INSET Day", 1, 1),
        ("Training days", 1, 1),
        ("School closed (snow)", 1, 1),
    ],
)
def test_the_documented_words_still_decide(summary: str, terms: int, closures: int) -> None:
    """Whole words, any case, plurals too."""
    event = f"DTSTART;VALUE=DATE:20251027\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert (len(calendar.terms), len(calendar.closures)) == (terms, closures)


@pytest.mark.parametrize(
    ("summary", "terms", "closures"),
    [
        ("Half\u00a0Term", 2, 0),  # a no-break space, as Word and Outlook write one
        ("Half  Term", 2, 0),
        ("Half\tterm", 2, 0),
        ("Half\u2009term", 2, 0),  # a thin space
        ("Half \u2013 Term", 2, 0),  # an en dash, as Word makes of " - "
        ("Half\u2010term", 2, 0),  # a Unicode hyphen
        ("Training\u00a0day", 1, 5),
        ("Training  days", 1, 5),
    ],
    ids=[
        "no-break-space",
        "two-spaces",
        "tab",
        "thin-space",
        "en-dash",
        "hyphen",
        "nbsp-inset",
        "two-spaces-inset",
    ],
)
def test_words_apart_by_any_space_or_dash_still_decide(
    summary: str, terms: int, closures: int
) -> None:
    """ "Half\u00a0Term" was read as a *term* (only a plain space or hyphen joined "half" and
    "term"), so the half-term week was counted as school days and every deadline across it
    fell a week early; "Training\u00a0day" was no closure."""
    event = f"DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251101\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert (len(calendar.terms), len(calendar.closures)) == (terms, closures)


NBSP_HALF_TERM = "DTSTART;VALUE=DATE:20251027\nSUMMARY:Half\u00a0Term"
"""A half-term event whose summary holds a no-break space (two bytes in UTF-8, one in 1252)."""


@pytest.mark.parametrize(
    ("event", "utf8", "latin"),
    [
        (NBSP_HALF_TERM, b"\xc2\xa0", b"\xa0"),
        ("DTSTART;VALUE=DATE:20251027\nSUMMARY:Caf\u00e9 closed", b"\xc3\xa9", b"\xe9"),
    ],
    ids=["nbsp", "e-acute"],
)
def test_a_feed_that_is_not_utf_8_is_refused_naming_the_line(
    event: str, utf8: bytes, latin: bytes
) -> None:
    """A feed saved as Windows-1252 was read with its bad bytes replaced: "Half<0xa0>Term"
    became "Half\ufffdTerm", a term. RFC 5545's text is UTF-8; the TOML reader already refuses
    other bytes."""
    encoded = feed(AUTUMN, event).replace(utf8, latin)
    offset = encoded.index(latin)
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(encoded)
    assert refused.value.line == encoded.count(b"\n", 0, offset) + 1
    assert f"not UTF-8 text (byte 0x{latin[0]:02x} at offset {offset} cannot" in str(refused.value)


def test_a_feed_file_that_is_not_utf_8_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "terms.ics"
    path.write_bytes(feed(AUTUMN, NBSP_HALF_TERM).replace(b"\xc2\xa0", b"\xa0"))
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(path)
    assert (refused.value.path, refused.value.line) == (str(path), 15)  # the SUMMARY line
    assert "not UTF-8 text" in str(refused.value)


def test_the_same_feed_in_utf_8_is_read_with_its_half_term() -> None:
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, NBSP_HALF_TERM))
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 10, 26)),
        (date(2025, 10, 28), date(2025, 12, 19)),
    )


def test_two_summaries_are_refused_not_read_as_their_repr() -> None:
    """An event with SUMMARY twice was classified, and its closure reason kept, as
    "[vText(b'INSET'), vText(b'Term')]"."""
    double = "DTSTART;VALUE=DATE:20250902\nSUMMARY:INSET\nSUMMARY:Term"
    with pytest.raises(CalendarFileError, match="SUMMARY"):
        SchoolCalendar.from_ics(feed(AUTUMN, double))


@pytest.mark.parametrize("property_", ["STATUS:CONFIRMED\nSTATUS:CANCELLED", "UID:again@test"])
def test_a_status_or_uid_given_twice_is_refused(property_: str) -> None:
    """An "INSET Day" with STATUS:CONFIRMED and STATUS:CANCELLED was read as not cancelled (the
    two made a list, not "CANCELLED"), and one with two UIDs escaped the shared-UID check (found
    by review C): which one holds would be a guess."""
    double = f"DTSTART;VALUE=DATE:20251015\nSUMMARY:INSET Day\n{property_}"
    key = property_.split(":", 1)[0]
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, double))
    assert refused.value.line == 11
    assert "event 'INSET Day'" in str(refused.value)
    assert f": {key} is given 2 times; an event has one" in str(refused.value)


def test_a_status_given_once_is_read() -> None:
    once = "DTSTART;VALUE=DATE:20251015\nSUMMARY:INSET Day\nSTATUS:{}"
    confirmed = SchoolCalendar.from_ics(feed(AUTUMN, once.format("CONFIRMED")))
    assert confirmed.closures == (date(2025, 10, 15),)
    assert SchoolCalendar.from_ics(feed(AUTUMN, once.format("CANCELLED"))).closures == ()


@pytest.mark.parametrize(
    "event",
    [
        "DTSTART;VALUE=DATE:20251003\nSTATUS:CONFIRMED\nSTATUS:CONFIRMED\nSUMMARY:Sports day",
        "DTSTART;VALUE=DATE:20251003\nUID:again@test\nSUMMARY:Chess club",
        "DTSTART;VALUE=DATE:20251003\nSTATUS:CANCELLED\nUID:again@test\nSUMMARY:INSET Day",
    ],
    ids=["status-twice", "uid-twice", "cancelled-uid-twice"],
)
def test_F3_a_status_or_uid_twice_in_an_event_read_as_nothing_is_passed_over(event: str) -> None:
    """A sports day given STATUS twice, or a chess club given two UIDs, made a school's whole
    feed unreadable, though neither event decides anything, as a recurring one does not
    (review F, F3); it is passed over, as it was before STATUS and UID were refused twice."""
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)
    assert calendar.closures == ()


def test_F3_an_event_read_as_nothing_gives_no_uid_an_event_read_may_share() -> None:
    """An event passed over with two UIDs, one of them an INSET day's, is two versions of the
    INSET day as far as the feed says: refused as any shared UID is (review F, F3)."""
    inset = "DTSTART;VALUE=DATE:20251015\nSUMMARY:INSET Day"
    club = "DTSTART;VALUE=DATE:20251003\nUID:2@test\nSUMMARY:Chess club"
    with pytest.raises(CalendarFileError, match="UID '2@test' is given to 2 events"):
        SchoolCalendar.from_ics(feed(AUTUMN, inset, club))


@pytest.mark.parametrize(
    ("half_term", "bad"),
    [
        (
            'SUMMARY:Half Term\nDTSTART;VALUE=DATE:20251027\nDTEND;VALUE="DATE:20251101',
            'DTEND;VALUE="DATE:20251101',
        ),
        (
            'SUMMARY;LANGUAGE="en:Half Term\nDTSTART;VALUE=DATE:20251027\nDURATION:P5D',
            'SUMMARY;LANGUAGE="en:Half Term',
        ),
        (
            'SUMMARY:INSET day\nDTSTART;VALUE=DATE:20251015\nX-NOTE;X="a:b',
            'X-NOTE;X="a:b',
        ),
        (
            "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:20251015\nsummary;x=\"a:Half Term",
            'summary;x="a:Half Term',
        ),
        (
            "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:20251015\nSTATUS;X=\"a:CONFIRMED",
            'STATUS;X="a:CONFIRMED',
        ),
        (
            "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:20251015\nDTEND;VALUE=\"DATE:20251020",
            'DTEND;VALUE="DATE:20251020',
        ),
        ('DTSTART;VALUE=DATE:20251015\nX-NOTE;X="a:b', 'X-NOTE;X="a:b'),
        (
            "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:20251015\nNOTE ON;X=\"a:b",
            'NOTE ON;X="a:b',
        ),
        (
            "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:20251015\nX-APPLE-RADIUS=49.9",
            "X-APPLE-RADIUS=49.9",
        ),
    ],
    ids=[
        "dtend",
        "summary",
        "note-of-an-event-that-decides",
        "second-summary-of-an-event-read-as-nothing",
        "status-of-an-event-read-as-nothing",
        "dtend-of-an-event-read-as-nothing",
        "note-of-an-event-without-summary",
        "line-of-no-known-property",
        "line-of-no-property-and-no-separator",
    ],
)
def test_a_line_that_cannot_be_parsed_is_refused_naming_it(half_term: str, bad: str) -> None:
    """`icalendar` drops a line it cannot parse (an unclosed quote) and reads the rest of the
    event: a half term without its DTEND lasted a day, one without its SUMMARY decided nothing,
    and its days were counted as school days (found by review C). Such a line refuses the feed
    in an event that decides or has no summary, and in any event when it is (or may be) a
    line that decides what the event is or which days it covers (review F, F6)."""
    text = feed(AUTUMN, half_term)
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(text)
    lines = text.decode().split("\r\n")
    assert refused.value.line == lines.index(bad) + 1
    assert f"a line of it cannot be read (Content line could not be parsed into parts: '{bad}'" in (
        str(refused.value)
    )


@pytest.mark.parametrize(
    "event",
    [
        "SUMMARY:Parents evening\nDTSTART:20251003T160000\nDTEND:20251003T190000\n"
        'ATTENDEE;CN="Mrs Invented:mailto:a@example.invalid',
        "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:20251015\nX-NOTE;X=\"a:b",
        'SUMMARY:INSET day\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20251015\nlocation;x="a:Hall',
        'SUMMARY:Early closure - 1.30pm finish\nDTSTART;VALUE=DATE:20251015\nORGANIZER;CN="a:b',
    ],
    ids=["attendee", "x-note", "cancelled-closure", "part-day-closure"],
)
def test_a_line_that_cannot_be_parsed_in_an_event_that_decides_nothing_is_passed_over(
    event: str,
) -> None:
    """A parents' evening whose ATTENDEE line has an unclosed quote (the usual slip) made the
    school's whole feed unreadable, though the event decides nothing (review F, F6): a line
    that is none of those deciding what an event is or which days it covers (SUMMARY, STATUS,
    its dates, recurrences, UID) in an event that decides nothing is passed over with it."""
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)
    assert calendar.closures == ()


def test_a_line_that_cannot_be_parsed_and_cannot_be_found_names_its_event() -> None:
    """A bad line folded over two lines of the feed is quoted unfolded: its event's line is
    named, and its summary."""
    folded = 'SUMMARY:Half Term\nDTSTART;VALUE=DATE:20251027\nDTEND;VALUE="DA\n TE:20251101'
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, folded))
    assert refused.value.line == 11
    assert "event 'Half Term' (UID 2@test): a line of it cannot be read" in str(refused.value)


def test_a_value_that_cannot_be_read_in_an_event_read_as_nothing_is_still_ignored() -> None:
    """A value `icalendar` cannot read it keeps, marked broken: an event whose summary decides
    nothing is still ignored with one, and one whose summary decides is refused, as before."""
    evening = "SUMMARY:Parents' evening\nDTSTART;VALUE=DATE:2025101"
    assert SchoolCalendar.from_ics(feed(AUTUMN, evening)).terms == (TERM,)
    with pytest.raises(CalendarFileError, match=r"'INSET day'.*DTSTART must be one date"):
        SchoolCalendar.from_ics(feed(AUTUMN, evening.replace("Parents' evening", "INSET day")))


@pytest.mark.parametrize("zone", ["America/New_Yrok", "Mars/Olympus", "BST"])
@pytest.mark.parametrize("key", ["DTSTART", "DTEND"])
def test_a_time_in_a_zone_nobody_knows_is_refused_naming_it(zone: str, key: str) -> None:
    """A TZID neither the feed (VTIMEZONE) nor the zone data knows was read as a time on no
    clock: "INSET Day" at 08:00-15:30 "America/New_Yrok" closed the day, where New York's
    08:00-15:30 is 13:00-20:30 in London and closes nothing (found by review C)."""
    times = {"DTSTART": "20251015T080000", "DTEND": "20251015T153000"}
    given = "\n".join(
        f"{k};TZID={zone if k == key else 'Europe/London'}:{v}" for k, v in times.items()
    )
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, f"SUMMARY:INSET Day\n{given}"))
    assert refused.value.line == 11
    assert f"event 'INSET Day' (UID 2@test): {key} is a time in the time zone {zone!r} (TZID)" in (
        str(refused.value)
    )


@pytest.mark.parametrize(
    ("zone", "closed"),
    [
        ("TZID=America/New_York:", False),
        ("TZID=GMT Standard Time:", True),
        (":", True),
    ],
    ids=["known-zone", "windows-zone", "floating"],
)
def test_a_time_in_a_known_zone_or_on_no_clock_is_read(zone: str, closed: bool) -> None:
    """The nearest legal feeds: a zone the data knows is read in London (New York's 08:00 to
    15:30 is 13:00 to 20:30 there); a time with no TZID (floating) by its own clock."""
    times = f"DTSTART;{zone}20251015T080000\nDTEND;{zone}20251015T153000".replace(";:", ":")
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, f"SUMMARY:INSET Day\n{times}"))
    assert calendar.is_school_day(date(2025, 10, 15)) is not closed


@pytest.mark.parametrize(
    ("end", "closed"),
    [
        ("", [date(2025, 10, 15)]),
        (
            "\nDTEND;VALUE=DATE;TZID=Europe/London:20251017",
            [date(2025, 10, 15), date(2025, 10, 16)],
        ),
        ("\nDTEND;VALUE=DATE:20251016", [date(2025, 10, 15)]),
    ],
    ids=["no-end", "dtend-with-a-zone", "dtend-without"],
)
def test_a_date_given_with_a_zone_is_a_date(end: str, closed: list[date]) -> None:
    """ "INSET Day" `DTSTART;VALUE=DATE;TZID=Europe/London:20251015` with no DTEND was read as
    a moment (midnight in London) and dropped, the closed day counted a school day (found by
    review C). A date has no zone (RFC 5545): it is that date, lasting one day."""
    inset = f"SUMMARY:INSET Day\nDTSTART;VALUE=DATE;TZID=Europe/London:20251015{end}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert list(calendar.closures) == closed


def test_a_midnight_with_a_zone_and_no_end_is_still_a_moment() -> None:
    """Written as a time (no VALUE=DATE), midnight with no DTEND is a moment, as before."""
    inset = "SUMMARY:INSET Day\nDTSTART;TZID=Europe/London:20251015T000000"
    assert SchoolCalendar.from_ics(feed(AUTUMN, inset)).closures == ()


@pytest.mark.parametrize(
    "given",
    [None, 5, bytearray(b"BEGIN:VCALENDAR"), b"x".decode, ["terms.ics"]],
    ids=["none", "int", "bytearray", "method", "list"],
)
def test_from_ics_refuses_what_is_neither_a_path_nor_bytes(given: object) -> None:
    """These raised a bare TypeError from pathlib."""
    with pytest.raises(FormInvalid, match=r"^from_ics\.feed: must be a path or the feed's"):
        SchoolCalendar.from_ics(given)  # type: ignore[arg-type]


def test_from_ics_given_the_feeds_text_says_to_pass_bytes() -> None:
    """The feed's text given as a str was taken for a path: FileNotFoundError, with the
    whole feed as the file's name."""
    with pytest.raises(FormInvalid, match="pass its bytes") as refused:
        SchoolCalendar.from_ics(feed(AUTUMN).decode())
    assert "VEVENT" not in str(refused.value)


@pytest.mark.parametrize(
    "given",
    [None, 3, b"/tmp/terms.toml", "terms\x00.toml"],
    ids=["none", "int", "bytes", "nul"],
)
def test_from_file_refuses_what_is_not_a_path(given: object) -> None:
    """These raised a bare TypeError or ValueError from pathlib."""
    with pytest.raises(FormInvalid, match=r"^from_file\.path: "):
        SchoolCalendar.from_file(given)  # type: ignore[arg-type]


def test_a_missing_or_folder_path_is_still_the_systems_error(tmp_path: Path) -> None:
    """As documented: OSError for a file that cannot be read (the CLI names it, exit 2)."""
    with pytest.raises(FileNotFoundError):
        SchoolCalendar.from_file(tmp_path / "missing.toml")
    with pytest.raises(IsADirectoryError):
        SchoolCalendar.from_ics(tmp_path)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEV",
        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".encode("utf-16"),
    ],
    ids=["empty", "binary", "truncated", "utf-16"],
)
def test_a_feed_that_is_no_feed_is_refused(body: bytes) -> None:
    """Held: the parser's ValueError becomes a CalendarFileError; bytes that are not UTF-8 are
    refused before they are parsed."""
    with pytest.raises(CalendarFileError, match=r"not a valid iCalendar feed|not UTF-8 text"):
        SchoolCalendar.from_ics(body)


def test_a_feed_with_a_byte_order_mark_and_bare_newlines_is_read() -> None:
    """Held: a BOM and LF line ends (not RFC 5545's CRLF) are read."""
    calendar = SchoolCalendar.from_ics(b"\xef\xbb\xbf" + feed(AUTUMN).replace(b"\r\n", b"\n"))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)


def test_a_closure_at_times_on_a_sunday_changes_no_school_day() -> None:
    """Held: a closure at times within one day (with a TZID, across a clock change) in the
    night covers no school day's sessions, so closes nothing; a Sunday was no school day
    anyway."""
    night = (
        "DTSTART;TZID=Europe/London:20251026T003000\n"
        "DTEND;TZID=Europe/London:20251026T030000\nSUMMARY:Closed for the clock change"
    )
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, night))
    plain = SchoolCalendar.from_ics(feed(AUTUMN))
    assert calendar.terms == plain.terms
    assert calendar.school_days_between(TERM[0], TERM[1]) == plain.school_days_between(*TERM)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("DTSTART;TZID=Europe/London:20251027T000000", "DTEND;TZID=Europe/London:20251101T000000"),
        ("DTSTART:20251027T000000", "DTEND:20251101T000000"),
        ("DTSTART:20251027T000000Z", "DTEND:20251101T000000Z"),
        ("DTSTART:20251027T000000", "DURATION:P5D"),
    ],
    ids=["zone", "floating", "utc", "duration"],
)
def test_a_half_term_from_midnight_to_midnight_is_whole_days(start: str, end: str) -> None:
    """Exchange exports an all-day event as a timed one from midnight to midnight (with
    X-MICROSOFT-CDO-ALLDAYEVENT): such a half term was ignored as a timed event, and its week
    counted as school days."""
    event = f"{start}\n{end}\nX-MICROSOFT-CDO-ALLDAYEVENT:TRUE\nSUMMARY:Half Term"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 10, 26)),
        (date(2025, 11, 1), date(2025, 12, 19)),
    )


def test_an_inset_day_from_midnight_to_midnight_is_a_closure() -> None:
    event = "DTSTART:20251010T000000\nDTEND:20251011T000000\nSUMMARY:INSET Day"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert calendar.closures == (date(2025, 10, 10),)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("DTSTART:20251010T000000", "DTEND:20251010T153000"),  # midnight to half past three
        ("DTSTART:20251010T083000", "DTEND:20251011T000000"),
        ("DTSTART;TZID=Europe/London:20251010T153000", "DTEND:20251010T170000Z"),
        ("DTSTART:20251010T000000", "DURATION:PT8H"),
        ("DTSTART:20251010T000000", "DTEND:20251010T000000"),
        ("DTSTART:20251010T000000", ""),
    ],
    ids=["ends-in-the-day", "starts-in-the-day", "two-clocks", "hours", "no-length", "a-moment"],
)
def test_a_twilight_session_at_times_of_day_is_still_ignored(start: str, end: str) -> None:
    """As documented: a closure the part-day words mark partial (a twilight INSET session)
    closes no day, whatever its times; nor does an event of no length."""
    event = f"{start}\n{end}\nSUMMARY:INSET twilight session".replace("\n\n", "\n")
    assert SchoolCalendar.from_ics(feed(AUTUMN, event)).closures == ()


@pytest.mark.parametrize(
    ("summary", "start", "end"),
    [
        # all day but its last minute, as some exporters write an all-day event
        ("INSET Day", "DTSTART:20251010T000000", "DTEND:20251010T235900"),
        # the school day, in London, the summary saying the school is closed to pupils
        (
            "INSET Day - school closed to pupils",
            "DTSTART;TZID=Europe/London:20251010T080000",
            "DTEND;TZID=Europe/London:20251010T170000",
        ),
        ("School closed - polling station", "DTSTART:20251010T070000Z", "DURATION:PT15H"),
        ("INSET day", "DTSTART:20251010T083000", "DTEND:20251010T153000"),
        ("School closed (snow)", "DTSTART:20251010T000000", "DTEND:20251010T235900"),
        ("School closed (snow)", "DTSTART:20251010T080000", "DTEND:20251010T160000"),
        # exactly the core day, and to midnight
        ("INSET day", "DTSTART:20251010T090000", "DTEND:20251010T150000"),
        ("School closed (snow)", "DTSTART:20251010T083000", "DTEND:20251011T000000"),
        # 08:45 to 15:15 in London (British Summer Time), 07:45 to 14:15 in UTC
        ("INSET day", "DTSTART:20251010T074500Z", "DTEND:20251010T141500Z"),
    ],
    ids=[
        "all-but-a-minute",
        "school-hours",
        "utc-duration",
        "inset-school-hours",
        "snow-all-but-a-minute",
        "snow-eight-to-four",
        "exactly-the-core-day",
        "to-midnight",
        "school-hours-in-london-written-in-utc",
    ],
)
def test_a_closure_at_times_within_one_day_closes_that_day(
    summary: str, start: str, end: str
) -> None:
    """An INSET day given at times within one day (00:00 to 23:59, or 08:00 to 17:00) was
    ignored, so the closed day counted as a school day and a place-offer deadline across it
    fell a school day early (review C2). It closes the day, as an all-day event would."""
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, f"SUMMARY:{summary}\n{start}\n{end}"))
    assert calendar.closure_reasons == {date(2025, 10, 10): summary}
    assert not calendar.is_school_day(date(2025, 10, 10))
    assert calendar.add_school_days(date(2025, 10, 9), 1) == date(2025, 10, 13)


@pytest.mark.parametrize(
    ("summary", "start", "end"),
    [
        ("School office closed 12:00-13:00", "DTSTART:20251010T120000", "DTEND:20251010T130000"),
        ("Swimming pool closed", "DTSTART:20251010T090000", "DTEND:20251010T120000"),
        ("INSET day", "DTSTART:20251010T160000", "DTEND:20251010T180000"),
        (
            "Christmas holiday begins after school",
            "DTSTART:20251010T153000",
            "DTEND:20251010T154500",
        ),
        ("Holiday club sign-up deadline", "DTSTART:20251010T090000", "DTEND:20251010T091500"),
        # a minute short of the core day at either end
        ("INSET day", "DTSTART:20251010T090100", "DTEND:20251010T153000"),
        ("School closed (snow)", "DTSTART:20251010T083000", "DTEND:20251010T145900"),
        # 08:30 to 14:30 by UTC's clock, 09:30 to 15:30 in London
        ("INSET day", "DTSTART:20251010T083000Z", "DTEND:20251010T143000Z"),
    ],
    ids=[
        "office-lunch-hour",
        "pool-morning",
        "inset-after-school",
        "holiday-begins-after-school",
        "sign-up-deadline",
        "starts-after-nine",
        "ends-before-three",
        "starts-after-nine-in-london",
    ],
)
def test_a_timed_closure_short_of_the_school_day_leaves_it_a_school_day(
    summary: str, start: str, end: str
) -> None:
    """Since the C2 fix any closure or holiday at times within one day closed it: an hour's
    office closure, a pool closed for a morning, an INSET session after school or a 15-minute
    sign-up deadline silently took a school day, and each 20-school-day deadline counted across
    it fell a day late (review F2). Only one covering 09:00 to 15:00 in London closes the day."""
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, f"SUMMARY:{summary}\n{start}\n{end}"))
    assert calendar.closures == ()
    assert calendar.terms == (TERM,)
    assert calendar.add_school_days(date(2025, 10, 9), 1) == date(2025, 10, 10)


def test_a_holiday_at_times_within_one_day_is_no_school_day() -> None:
    """A holiday of one day given at times closes that day, as an all-day one would."""
    day_off = "SUMMARY:Local holiday\nDTSTART:20251010T000000\nDTEND:20251010T235900"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, day_off))
    assert not calendar.is_school_day(date(2025, 10, 10))
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 10, 9)),
        (date(2025, 10, 11), date(2025, 12, 19)),
    )


@pytest.mark.parametrize(
    ("summary", "start", "end"),
    [
        ("INSET afternoon", "DTSTART:20251010T130000", "DTEND:20251010T153000"),
        ("School closes 1.30pm", "DTSTART:20251010T133000", "DTEND:20251010T153000"),
        ("Early closure - staff training", "DTSTART:20251010T120000", "DTEND:20251010T153000"),
        ("INSET twilight", "DTSTART:20251010T153000Z", "DTEND:20251010T173000Z"),
        (
            "Half term begins - school closes 1.30pm",
            "DTSTART:20251010T133000",
            "DTEND:20251010T153000",
        ),
    ],
    ids=["afternoon", "closes-at", "early-closure", "twilight", "holiday-begins-at"],
)
def test_a_part_day_closure_at_times_is_still_ignored(summary: str, start: str, end: str) -> None:
    """A closure or holiday the part-day words mark partial closes no day: the pupils attend."""
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, f"SUMMARY:{summary}\n{start}\n{end}"))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 10, 10))


def test_a_term_event_at_times_within_one_day_is_still_ignored() -> None:
    """Only a closure or a holiday closes the day it is given at times in: a term event of one
    day at times ("Term photographs") decides nothing."""
    photos = "SUMMARY:Term photographs\nDTSTART:20260110T090000\nDTEND:20260110T120000"
    assert SchoolCalendar.from_ics(feed(AUTUMN, photos)).terms == (TERM,)


def test_a_recurring_closure_at_times_is_refused_not_read_for_its_first_day() -> None:
    """A closure at times closes its day, so a weekly one is refused as a recurring all-day one
    is: its other days would be missed."""
    weekly = (
        "SUMMARY:School closed\nDTSTART:20251010T080000\nDTEND:20251010T170000\nRRULE:FREQ=WEEKLY"
    )
    with pytest.raises(CalendarFileError, match="recurring"):
        SchoolCalendar.from_ics(feed(AUTUMN, weekly))


SPRING = "SUMMARY:Spring Term\nDTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:20260328"


@pytest.mark.parametrize(
    ("event", "summary"),
    [
        ("SUMMARY:Spring Term\nDTSTART:20260104T230000Z\nDTEND:20260327T230000Z", "Spring Term"),
        (
            "SUMMARY:Spring Term\nDTSTART;TZID=Europe/London:20260105T000000\n"
            "DTEND;TZID=America/New_York:20260328T000000",
            "Spring Term",
        ),
        ("SUMMARY:Half Term\nDTSTART:20251026T230000Z\nDTEND:20251031T230000Z", "Half Term"),
        ("SUMMARY:Half Term\nDTSTART:20251027T083000\nDTEND:20251031T153000", "Half Term"),
        ("SUMMARY:Half Term\nDTSTART:20251027T000000Z\nDURATION:P4DT12H", "Half Term"),
        ("SUMMARY:Half Term\nDTSTART:20251027T000000\nDTEND:20251101T000000Z", "Half Term"),
        ("SUMMARY:INSET day\nDTSTART:20251102T230000Z\nDTEND:20251103T230000Z", "INSET day"),
        (
            "SUMMARY:INSET day\nDTSTART;TZID=Europe/London:20251010T000000\nDTEND:20251011T000000Z",
            "INSET day",
        ),
    ],
    ids=[
        "term-an-hour-early-in-utc",
        "term-ends-in-two-zones",
        "half-term-an-hour-early-in-utc",
        "half-term-in-school-hours",
        "half-term-for-days-and-hours",
        "half-term-floating-to-utc",
        "inset-an-hour-early-in-utc",
        "inset-midnight-in-london-to-midnight-in-utc",
    ],
)
def test_an_event_over_days_at_times_not_midnight_is_refused_naming_it(
    event: str, summary: str
) -> None:
    """A spring term from 23:00 UTC was ignored as a timed event: the whole term became a
    holiday, and 20 school days after 15 December 2025 fell on 5 May 2026."""
    with pytest.raises(CalendarFileError, match="which days it covers") as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert f"event {summary!r}" in str(refused.value)
    assert refused.value.line == 11  # its BEGIN:VEVENT, after the calendar's and Autumn's
    assert "line 11" in str(refused.value)


def test_a_term_from_midnight_to_midnight_in_london_written_in_utc_is_whole_days() -> None:
    """Midnight in London in the summer is 23:00 UTC the day before; in the winter, in New
    York, 19:00 the day before."""
    summer = "SUMMARY:Summer Term\nDTSTART:20260412T230000Z\nDTEND:20260720T230000Z"
    half = (
        "SUMMARY:Half Term\nDTSTART;TZID=America/New_York:20260215T190000\n"
        "DTEND;TZID=America/New_York:20260220T190000"
    )
    weeks = "SUMMARY:INSET day\nDTSTART:20260504T230000Z\nDURATION:P1D"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, SPRING, half, summer, weeks))
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 12, 19)),
        (date(2026, 1, 5), date(2026, 2, 15)),
        (date(2026, 2, 21), date(2026, 3, 27)),
        (date(2026, 4, 13), date(2026, 7, 20)),
    )
    assert calendar.closures == (date(2026, 5, 5),)


def test_without_the_time_zone_data_a_term_at_london_midnight_in_utc_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which day 23:00 UTC starts in London is known only from the zone data: never guessed."""
    monkeypatch.setattr(event_days, "_london", lambda: None)
    summer = "SUMMARY:Summer Term\nDTSTART:20260412T230000Z\nDTEND:20260720T230000Z"
    with pytest.raises(CalendarFileError, match="Europe/London"):
        SchoolCalendar.from_ics(feed(AUTUMN, summer))


def test_a_timed_event_the_reader_would_not_read_is_still_ignored() -> None:
    """A parents' evening decides nothing; a cancelled term changes no day."""
    evening = "SUMMARY:Parents' evening\nDTSTART:20251104T230000Z\nDTEND:20251105T230000Z"
    cancelled = (
        "SUMMARY:Spring Term\nSTATUS:CANCELLED\nDTSTART:20260104T230000Z\nDTEND:20260327T230000Z"
    )
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, evening, cancelled))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)


BEGINS = "DTSTART;VALUE=DATE:20250901\nSUMMARY:Autumn term begins"
ENDS = "DTSTART;VALUE=DATE:20251219\nSUMMARY:Last day of term"


@pytest.mark.parametrize(
    "events",
    [
        (BEGINS, ENDS),
        (ENDS,),
        (AUTUMN, BEGINS.replace("0901", "1220")),
        (AUTUMN, "DTSTART;VALUE=DATE:20250805\nSUMMARY:Term dates for 2026 published"),
    ],
    ids=["begins-and-ends", "ends", "a-marker-in-the-holidays", "a-note-in-the-holidays"],
)
def test_a_one_day_term_event_no_term_covers_is_refused(events: tuple[str, ...]) -> None:
    """Many schools' feeds mark "Autumn term begins" and "Last day of term" as one-day events:
    each was read as a one-day term, so 10 September was no school day and a count of 20 school
    days from 1 September ran to the next marker; a note in August naming the term made an
    August day a school day."""
    with pytest.raises(CalendarFileError, match="is a term event of one day") as refused:
        SchoolCalendar.from_ics(feed(*events))
    assert "UID" in str(refused.value)


def test_first_and_last_day_markers_inside_a_term_event_are_read() -> None:
    calendar = SchoolCalendar.from_ics(feed(BEGINS, AUTUMN, ENDS))
    assert calendar.terms == ((date(2025, 9, 1), date(2025, 12, 19)),)


@pytest.mark.parametrize(
    "event",
    [
        AUTUMN.replace("Autumn Term", "Autumn term (starts 1 Sept)"),
        "DTSTART;VALUE=DATE:20251010\nSUMMARY:Term photographs",
    ],
    ids=["a-whole-term-saying-when-it-starts", "a-one-day-event-naming-no-boundary"],
)
def test_a_term_event_that_marks_no_boundary_is_read_as_documented(event: str) -> None:
    assert len(SchoolCalendar.from_ics(feed(AUTUMN, event)).terms) == 1


# ---- TOML term-dates files --------------------------------------------------------------------


def write(tmp_path: Path, data: str | bytes, name: str = "terms.toml") -> Path:
    """A term-dates file holding `data` (text is written as UTF-8)."""
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


BACKWARDS = (
    'source = "Invented test terms"{comment}\n'
    "\n"
    "[[term]]\n"
    "first_day = 2025-09-01\n"
    "last_day = 2025-08-19\n"
)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"], ids=["ls", "ps", "nel"])
def test_a_unicode_line_separator_in_a_comment_does_not_shift_the_line(
    tmp_path: Path, separator: str
) -> None:
    """TOML counts lines by "\\n" alone, but the line finder split on every Unicode line
    break: a U+2028 in a comment moved every error one line down."""
    text = BACKWARDS.format(comment=f"  # Anyshire{separator}term dates")
    with pytest.raises(CalendarFileError, match="ends before it starts") as refused:
        SchoolCalendar.from_file(write(tmp_path, text))
    assert refused.value.line == 5


def test_crlf_and_a_byte_order_mark_keep_the_line(tmp_path: Path) -> None:
    """Held: Windows line ends and Notepad's BOM count lines as any editor does."""
    text = BACKWARDS.format(comment="").replace("\n", "\r\n")
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_file(write(tmp_path, b"\xef\xbb\xbf" + text.encode()))
    assert refused.value.line == 5


def test_an_icalendar_feed_given_as_a_term_dates_file_says_so(tmp_path: Path) -> None:
    """A school's .ics given where a TOML file is read was "not valid TOML: Expected '='
    after a key in a key/value pair": the officer could not tell what was wrong."""
    path = write(tmp_path, feed(AUTUMN), "terms.ics")
    with pytest.raises(CalendarFileError, match="an iCalendar feed, not a TOML") as refused:
        SchoolCalendar.from_file(path)
    assert "from_ics" in str(refused.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "'source'"),
        (b"\x00" * 8, "not valid TOML"),
        (b"\xef\xbb\xbf\xef\xbb\xbfsource = 'x'\n", "not valid TOML"),
        ('source = "x"\n[[term]]\nfirst_day = 2025-09-01\nlast_day = 2025-', "not valid TOML"),
        ('source = "x"\n[[term]]\nfirst_day = 2025-09-01\n', "missing 'last_day'"),
        ('source = "x"\n[[term]]\nfirst_day = 2025-02-29\nlast_day = 2025-03-01\n', "TOML"),
        ('source = "x"\n[term]\nfirst_day = 2025-09-01\nlast_day = 2025-12-19\n', "[[term]]"),
    ],
    ids=["empty", "nul", "two-boms", "truncated", "half-a-term", "no-such-day", "one-table"],
)
def test_broken_term_dates_files_are_refused(
    tmp_path: Path, data: str | bytes, expected: str
) -> None:
    """Held: empty, binary, truncated and half-written files are CalendarFileErrors."""
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_file(write(tmp_path, data))
    assert expected in str(refused.value)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (
            '"2025-09-01"',
            "first_day is written in quotes ('2025-09-01'), which makes it text, not a date: "
            "remove the quotes, as TOML dates are bare (2025-09-01)",
        ),
        (
            '"1/9/2025"',
            "first_day must be a date like 2025-09-01, not text in quotes ('1/9/2025'): write "
            "the date bare, year-month-day, without quotes",
        ),
        (
            '"2025-02-30"',
            "first_day must be a date like 2025-09-01, not text in quotes ('2025-02-30'): write "
            "the date bare, year-month-day, without quotes",
        ),
        (
            "2025-09-01T08:45:00",
            "first_day must be a date like 2025-09-01, not a date and time (2025-09-01T08:45:00): "
            "give the date alone (2025-09-01)",
        ),
        (
            "2025-09-01T08:45:00+01:00",
            "first_day must be a date like 2025-09-01, not a date and time "
            "(2025-09-01T08:45:00+01:00): give the date alone (2025-09-01)",
        ),
        ("08:45:00", "first_day must be a date like 2025-09-01, not a time of day (08:45:00)"),
        ("20250901", "first_day must be a date like 2025-09-01, not 20250901"),
    ],
    ids=["quoted", "quoted-not-iso", "quoted-no-such-day", "date-time", "aware", "time", "int"],
)
def test_a_date_quoted_or_with_a_time_in_a_term_dates_file_says_what_to_write(
    tmp_path: Path, value: str, said: str
) -> None:
    """`first_day = "2025-09-01"`, the usual TOML slip, was refused as "must be a date like
    2025-09-01, not '2025-09-01'": the same text twice; a date-time was shown as Python's
    `datetime.datetime(2025, 9, 1, 8, 45)` (review N5)."""
    text = f'source = "x"\n[[term]]\nfirst_day = {value}\nlast_day = 2025-10-24\n'
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_file(write(tmp_path, text))
    assert refused.value.line == 3
    assert str(refused.value).endswith(f"line 3: {said}"), str(refused.value)
    assert_refused_cleanly(run("--calendar", str(write(tmp_path, text)), *COUNT), said)


def test_a_quoted_date_in_a_term_dates_file_says_to_remove_the_quotes(tmp_path: Path) -> None:
    terms = write(
        tmp_path,
        'source = "Anyshire County Council, term dates"\n'
        "[[term]]\n"
        'first_day = "2025-09-01"\n'
        "last_day = 2025-10-24\n",
    )
    result = run("--calendar", str(terms), "calendar", "add-school-days", "2025-09-08", "5")
    assert result.exit_code == 2
    message = result.output.split("line 3:", 1)[-1]  # the file's path may hold any word
    assert "quot" in message.lower(), result.output


def test_a_date_time_in_a_term_dates_file_is_not_shown_as_python(tmp_path: Path) -> None:
    terms = write(
        tmp_path,
        'source = "Anyshire County Council, term dates"\n'
        "[[term]]\n"
        "first_day = 2025-09-01T08:45:00\n"
        "last_day = 2025-10-24\n",
    )
    result = run("--calendar", str(terms), "calendar", "add-school-days", "2025-09-08", "5")
    assert result.exit_code == 2
    assert "datetime.datetime(" not in result.output, result.output


def test_terms_to_the_last_day_python_has_are_refused_not_counted_without_bank_holidays(
    tmp_path: Path,
) -> None:
    """A term to 9999-12-31 was counted with no bank holiday in it: `holidays` knows none."""
    text = 'source = "x"\n[[term]]\nfirst_day = 9999-12-01\nlast_day = 9999-12-31\n'
    with pytest.raises(CalendarError, match="bank holidays of 9999 are not known"):
        SchoolCalendar.from_file(write(tmp_path, text))


def test_a_symbolic_link_to_a_term_dates_file_is_read(tmp_path: Path) -> None:
    """Held: a link is followed like any path."""
    text = 'source = "x"\n[[term]]\nfirst_day = 2025-09-01\nlast_day = 2025-12-19\n'
    link = tmp_path / "current.toml"
    link.symlink_to(write(tmp_path, text))
    assert SchoolCalendar.from_file(link).terms == (TERM,)


# ---- building a calendar in code --------------------------------------------------------------


@pytest.mark.parametrize("source", [None, 5, b"bytes"], ids=["none", "int", "bytes"])
def test_a_source_that_is_not_text_is_refused(source: object) -> None:
    """`source=None` or a number was kept, and messages said "source: 5"."""
    with pytest.raises(CalendarError, match="source must be text"):
        SchoolCalendar([TERM], source=source)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", [None, 5, ["INSET"]], ids=["none", "int", "list"])
def test_a_closure_reason_that_is_not_text_is_refused(reason: object) -> None:
    """A reason of None was kept as the text "None"."""
    with pytest.raises(CalendarError, match="reason must be text"):
        SchoolCalendar([TERM], {date(2025, 9, 2): reason})  # type: ignore[dict-item]


def test_terms_from_a_generator_and_duplicate_closures_are_read_once() -> None:
    """Held: any iterable of pairs; a closure listed twice is one closure."""
    calendar = SchoolCalendar((t for t in [TERM]), [date(2025, 9, 2), date(2025, 9, 2)])
    assert calendar.terms == (TERM,)
    assert calendar.closures == (date(2025, 9, 2),)


def test_a_term_listed_twice_is_refused_as_overlapping() -> None:
    """Held: the same term twice overlaps itself."""
    with pytest.raises(CalendarError, match="overlaps"):
        SchoolCalendar([TERM, TERM])


def test_a_calendar_whose_every_day_is_closed_counts_nothing_and_refuses_to_guess() -> None:
    """Held: no school day to count to is the calendar's refusal."""
    closed = SchoolCalendar([(date(2025, 9, 1), date(2025, 9, 1))], [date(2025, 9, 1)])
    assert closed.school_days_between(date(2025, 9, 1), date(2025, 9, 1)) == 0
    with pytest.raises(CalendarError, match="0 school day"):
        closed.add_school_days(date(2025, 9, 1), 1)


# ---- counting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10**30, 2**63, 347])
def test_a_count_far_past_the_calendar_is_the_calendars_refusal(n: int) -> None:
    """Held: a count larger than any calendar raises CalendarError, not an IndexError."""
    with pytest.raises(CalendarError, match="runs past the end") as refused:
        SchoolCalendar.sample().add_school_days(date(2025, 10, 20), n)
    assert refused.value.known == (date(2025, 9, 1), date(2027, 7, 21))


def test_a_count_that_subclasses_int_is_a_count() -> None:
    """Held: an int subclass (a numpy-like integer) counts; a bool does not."""

    class Count(int):
        pass

    assert SMALL.add_school_days(date(2025, 10, 20), Count(3)) == date(2025, 10, 23)
    with pytest.raises(FormInvalid):
        SMALL.add_school_days(date(2025, 10, 20), False)


@pytest.mark.parametrize(
    "ask",
    [
        lambda c: c.add_school_days(date(2030, 1, 1), 0),
        lambda c: c.add_school_days(date(2030, 1, 1), -1),
        lambda c: c.school_days_between(date(2030, 1, 1), date(2025, 10, 1)),
        lambda c: c.suggest_review_dates(date(2025, 12, 1)),
        lambda c: c.is_school_day(date.max),
        lambda c: c.is_school_day(date.min),
    ],
    ids=["zero", "negative", "between-backwards", "reviews-past-end", "max", "min"],
)
def test_every_question_off_the_calendar_raises_calendar_error(ask: Any) -> None:
    """Held: whatever the count, a date the calendar does not know is refused, typed."""
    with pytest.raises(CalendarError) as refused:
        ask(SMALL)
    assert refused.value.known == TERM


@pytest.mark.parametrize(
    "weeks",
    [(2, 4), (2, 4, 6, 8), (6, 4, 2), (0, 2, 4), (2, 2, 4), (2.0, 4, 6), "246", None],
)
def test_bad_review_weeks_are_refused_naming_the_argument(weeks: object) -> None:
    """Held: weeks that are not three increasing whole numbers are FormInvalid."""
    with pytest.raises(FormInvalid, match=r"^suggest_review_dates\.weeks: "):
        SMALL.suggest_review_dates(date(2025, 9, 8), weeks)  # type: ignore[arg-type]


def test_plausibility_near_the_last_day_python_has_is_an_answer_not_a_value_error() -> None:
    """A deadline recorded in late 9999 made the message ask for a day after 9999-12-31."""
    problem = plausible_school_days(date(9999, 12, 20), date(9999, 12, 21), 30)
    assert problem is not None
    assert "deadline 9999-12-21 cannot be checked" in problem
    assert "bank holidays of 9999 are not known" in problem


def test_plausibility_of_a_count_past_the_last_date_there_is_is_answered_at_once() -> None:
    """A protocol an earlier version took may count millions of school days to the place offer
    (it loads for its cases, review f4): replay counted them one day at a time, for ever."""
    start, due = date(2026, 3, 2), date(2026, 4, 13)
    room = date.max.toordinal() - start.toordinal()
    for n, shown in ((room, str(room)), (room + 1, str(room + 1)), (10**4299, None)):
        problem = plausible_school_days(start, due, n)
        assert problem is not None
        assert problem.endswith(
            "school days after 2026-03-02 could fall (at the soonest a day after 9999-12-31)"
        )
        if shown is not None:
            assert f" earlier than {shown} school days" in problem
    assert "(4,300 digits) school days" in (plausible_school_days(start, due, 10**4299) or "")


# ---- the CLI ----------------------------------------------------------------------------------

COUNT = ("calendar", "add-school-days", "2025-10-20", "3")


def test_the_cli_given_an_icalendar_feed_says_what_it_is(tmp_path: Path) -> None:
    """The officer's .ics was "not valid TOML: Expected '=' after a key"."""
    path = write(tmp_path, feed(AUTUMN), "terms.ics")
    result = run("--calendar", str(path), *COUNT)
    assert_refused_cleanly(result, "an iCalendar feed, not a TOML term-dates file")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: tmp, "Is a directory"),
        (lambda tmp: tmp / "missing.toml", "No such file or directory"),
        (lambda tmp: write(tmp, b""), "'source'"),
        (lambda tmp: write(tmp, b"\xff\xfe\x00"), "not UTF-8 text"),
        (lambda tmp: write(tmp, BACKWARDS.format(comment="")), "line 5: term"),
        (lambda tmp: huge(tmp / "terms.toml", MOST_BYTES + 1), "larger than 64 MiB"),
    ],
    ids=["folder", "missing", "empty", "utf-16", "backwards", "huge"],
)
def test_the_cli_refuses_a_bad_calendar_file_with_exit_2(
    tmp_path: Path, make: Any, expected: str
) -> None:
    """Held: every bad file is one line of error and exit 2."""
    assert_refused_cleanly(run("--calendar", str(make(tmp_path)), *COUNT), expected)


def huge(path: Path, size: int) -> Path:
    """A file of `size` zero bytes, taking no room on disk (the name of a disk image or a
    database given where a calendar belongs)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize("read", [SchoolCalendar.from_file, SchoolCalendar.from_ics])
def test_a_file_larger_than_any_calendar_is_refused_unread(tmp_path: Path, read: Any) -> None:
    """It was read whole into memory first: /dev/zero, or a disk image, used it all up."""
    path = huge(tmp_path / "terms", MOST_BYTES + 1)
    with pytest.raises(CalendarFileError) as refused:
        read(path)
    assert str(refused.value) == (
        f"{path}: larger than 64 MiB, which no calendar or protocol file is: is it the right file?"
    )


def test_a_file_of_the_largest_size_is_read(tmp_path: Path) -> None:
    """Held: the limit refuses only what is over it (the zero bytes are then not TOML)."""
    path = huge(tmp_path / "terms.toml", MOST_BYTES)
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_file(path)
    assert "larger than" not in str(refused.value)
    assert refused.value.line is not None


def test_the_cli_names_a_link_that_loops(tmp_path: Path) -> None:
    """Held: a symbolic link to itself is the system's refusal, exit 2."""
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    assert_refused_cleanly(run("--calendar", str(loop), *COUNT), "symbolic links")


def test_the_cli_shows_a_path_with_control_characters_harmlessly(tmp_path: Path) -> None:
    """Held: a newline and an escape sequence in the file's name are shown escaped."""
    path = write(tmp_path, BACKWARDS.format(comment=""), "we\u0301ird \n name\x1b[31m.toml")
    result = run("--calendar", str(path), *COUNT)
    assert_refused_cleanly(result, "\\x0a name\\x1b[31m.toml, line 5")
    assert "\x1b" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("add-school-days", "2025-10-20", "99999999999999999999999"), "runs past the end"),
        (("add-school-days", "2025-10-20", "-1"), "must be 0 or more"),
        (("add-school-days", "2025-10-20", "2.5"), "whole number"),
        (("add-school-days", "10000-01-01", "1"), "is not a date"),
        (("add-school-days", "9999-12-31", "1"), "outside the school calendar"),
        (("add-school-days", "2027-07-20", "5"), "runs past the end"),
        (("school-days-between", "2027-07-20", "2025-01-01"), "outside the school calendar"),
        # It printed 0, as if none fell between (found by a review).
        (("school-days-between", "2026-05-01", "2026-01-05"), "is before FIRST (2026-05-01)"),
        (("suggest-reviews", "2027-07-01"), "run past the calendar's last day"),
        (("suggest-reviews", "2026-07-15"), "three reviews need three"),
    ],
)
def test_the_cli_refuses_what_the_calendar_cannot_answer(
    args: tuple[str, ...], expected: str
) -> None:
    """Held: counts off the end, dates outside it and bad numbers are exit 2, one line."""
    assert_refused_cleanly(run("calendar", *args, "--calendar", "sample"), expected)


def test_library_errors_on_calendars_are_protocol_errors() -> None:
    """The typed errors the tries above expect all share the library's root."""
    assert issubclass(CalendarFileError, CalendarError)
    assert issubclass(CalendarError, ProtocolError)
    assert issubclass(FormInvalid, ValueError)


def test_a_referral_whose_deadline_runs_past_the_calendar_is_refused_and_changes_nothing() -> None:
    """Held: twenty school days from a referral near the calendar's end are not guessed; the
    case stays as it was, so the referral can be made again with a longer calendar."""
    short = SchoolCalendar([(date(2026, 1, 5), date(2026, 1, 30))], source="Invented")
    case = Reintegration.open(
        "C-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, short, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    before = sc.snapshot(case)
    with pytest.raises(CalendarError, match=r"runs past the end .*9 school day\(s\) left"):
        case.refer_to_fair_access(
            ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
        )
    assert sc.snapshot(case) == before
    assert len(case.history) == 2


# ---- a calendar built in Python: what each refusal names ----------------------------------------


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            {"terms": [("2025-09-01", TERM[1])]},
            "a term's first day must be a date like 2025-09-01, not '2025-09-01'",
        ),
        (
            {"terms": [(TERM[0], None)]},
            "a term's last day must be a date like 2025-09-01, not None",
        ),
        (
            {"closures": ["2025-10-03"]},
            "a closure must be a date like 2025-09-01, not '2025-10-03'",
        ),
        (
            {"closures": {"2025-10-03": "INSET day"}},
            "a closure must be a date like 2025-09-01, not '2025-10-03'",
        ),
        ({"closures": {date(2025, 10, 3): 5}}, "a closure's reason must be text, not 5"),
        ({"closures": 5}, "closures must be dates, not int"),
        ({"terms": 5}, "terms must be (first_day, last_day) pairs of dates, not int"),
        ({"source": 5}, "source must be text saying where the dates come from, not 5"),
        ({"retrieved": "2025-06-01"}, "retrieved must be a date like 2025-09-01, not '2025-06-01'"),
    ],
    ids=["first", "last", "closure", "closure-key", "reason", "closures", "terms", "source", "got"],
)
def test_a_calendar_built_in_python_names_the_value_it_refuses(
    arguments: dict[str, Any], said: str
) -> None:
    """An integrator passing ISO text where a date belongs is told which value, as it was given."""
    given: dict[str, Any] = {"terms": [TERM], **arguments}
    with pytest.raises(CalendarError) as refused:
        SchoolCalendar(**given)
    assert said in str(refused.value)


def test_terms_in_a_year_of_unknown_bank_holidays_are_refused_naming_that_year() -> None:
    with pytest.raises(CalendarError) as refused:
        SchoolCalendar([(date(2101, 1, 4), date(2101, 3, 26))])
    assert str(refused.value).startswith(
        "the terms from 2101-01-04 to 2101-03-26 cannot be counted in school days: the bank "
        "holidays of 2101 are not known"
    )


@pytest.mark.parametrize(
    ("start", "due", "year"),
    [
        (date(2100, 12, 20), date(2101, 1, 18), 2101),
        (date(1871, 12, 20), date(1872, 1, 18), 1871),
    ],
)
def test_a_deadline_across_the_known_years_names_the_year_not_known(
    start: date, due: date, year: int
) -> None:
    problem = plausible_school_days(start, due, 20)
    assert problem is not None
    assert f"the bank holidays of {year} are not known" in problem


def test_a_day_outside_an_unnamed_calendar_says_its_source_is_not_given() -> None:
    unnamed = SchoolCalendar([TERM])
    with pytest.raises(CalendarError) as refused:
        unnamed.add_school_days(date(2026, 1, 5), 1)
    assert str(refused.value).endswith("(source: not given)")
    assert refused.value.known == TERM


def test_review_weeks_of_one_two_and_three_are_increasing_whole_numbers_above_0() -> None:
    """The least weeks the check allows; equal final weeks are refused (below)."""
    assert SMALL.suggest_review_dates(date(2025, 9, 8), (1, 2, 3)) == (
        date(2025, 9, 15),
        date(2025, 9, 22),
        date(2025, 9, 29),
    )
    with pytest.raises(FormInvalid, match=r"^suggest_review_dates\.weeks: "):
        SMALL.suggest_review_dates(date(2025, 9, 8), (2, 4, 4))


def test_review_weeks_past_the_calendars_end_name_what_it_knows() -> None:
    with pytest.raises(CalendarError) as refused:
        SMALL.suggest_review_dates(TERM[1])
    assert "run past the calendar's last day" in str(refused.value)
    assert refused.value.known == TERM


@pytest.mark.parametrize("count", [-1, True, 2.0, "3"])
def test_a_count_of_school_days_that_is_not_0_or_more_is_refused_naming_it(count: object) -> None:
    with pytest.raises(FormInvalid) as refused:
        SMALL.add_school_days(TERM[0], count)  # type: ignore[arg-type]
    assert (refused.value.form, refused.value.field) == ("add_school_days", "n")


def test_an_icalendar_feed_keeps_the_day_it_was_retrieved() -> None:
    calendar = SchoolCalendar.from_ics(
        feed(AUTUMN), source="Invented school feed", retrieved=date(2025, 6, 1)
    )
    assert calendar.retrieved == date(2025, 6, 1)
    assert calendar.source == "Invented school feed"


def test_a_term_across_the_new_year_keeps_both_years_bank_holidays() -> None:
    """A term built in Python may run over the new year (an AP setting open in the holidays):
    Christmas Day, Boxing Day and New Year's Day are no school days in it."""
    calendar = SchoolCalendar([(date(2025, 12, 22), date(2026, 1, 9))])
    assert [calendar.is_school_day(date(2025, 12, day)) for day in (24, 25, 26, 29)] == [
        True,
        False,
        False,
        True,
    ]
    assert calendar.is_school_day(date(2026, 1, 1)) is False
    assert calendar.school_days_between(date(2025, 12, 22), date(2026, 1, 9)) == 11


def test_terms_from_the_first_known_year_past_the_last_name_the_year_not_known() -> None:
    with pytest.raises(CalendarError) as refused:
        SchoolCalendar([(date(1872, 1, 1), date(2101, 1, 5))])
    assert "the bank holidays of 2101 are not known" in str(refused.value)


def test_too_few_school_days_for_three_reviews_name_what_the_calendar_knows() -> None:
    """A start two days before the summer holiday leaves one school day in six weeks."""
    gapped = SchoolCalendar([(date(2025, 7, 14), date(2025, 7, 18)), TERM])
    with pytest.raises(CalendarError) as refused:
        gapped.suggest_review_dates(date(2025, 7, 17))
    assert "only 1 school day(s) fall by 2025-08-28" in str(refused.value)
    assert refused.value.known == (date(2025, 7, 14), TERM[1])


class _Day(date):
    """A date of a subclass, as a library's own date type may be."""


def test_a_date_of_a_subclass_is_counted_as_a_date() -> None:
    monday = _Day(2025, 9, 8)
    assert SMALL.is_school_day(monday) is True
    assert SMALL.add_school_days(monday, 5) == date(2025, 9, 15)
    assert SMALL.school_days_between(monday, _Day(2025, 9, 15)) == 5
    assert SMALL.suggest_review_dates(monday) == SMALL.suggest_review_dates(date(2025, 9, 8))


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (-1, "must be 0 or more school days, not -1"),
        (2.0, "must be a whole number, not 2.0"),
        (True, "must be a whole number, not True"),
    ],
)
def test_a_count_of_school_days_refused_says_why(count: object, said: str) -> None:
    with pytest.raises(FormInvalid) as refused:
        SMALL.add_school_days(TERM[0], count)  # type: ignore[arg-type]
    assert refused.value.problem == said


@pytest.mark.parametrize("method", ["is_school_day", "add_school_days", "suggest_review_dates"])
def test_a_day_given_as_text_is_refused_naming_its_type(method: str) -> None:
    arguments: tuple[object, ...] = (
        ("2025-09-08",) if method != "add_school_days" else ("2025-09-08", 1)
    )
    with pytest.raises(FormInvalid) as refused:
        getattr(SMALL, method)(*arguments)
    assert refused.value.problem == "must be a date, not str"


def test_a_calendar_cannot_lose_an_attribute() -> None:
    with pytest.raises(AttributeError, match="SchoolCalendar is immutable: cannot delete"):
        del SMALL.source  # type: ignore[misc]


def test_the_latest_day_a_refusal_names_is_itself_not_too_late() -> None:
    """The bound replay keeps to is the one it names: "by 2026-07-18 at the latest"."""
    start = date(2026, 1, 19)
    named = plausible_school_days(start, date(2026, 9, 1), 20)
    assert named is not None
    latest = date.fromisoformat(named.rsplit("by ", 1)[1].split(" ")[0])
    assert latest == date(2026, 7, 18)
    assert "later than" not in (plausible_school_days(start, latest, 20) or "")
    assert plausible_school_days(start, latest - timedelta(days=1), 20) is None
    assert "later than" in (plausible_school_days(start, latest + timedelta(days=3), 20) or "")


# ---- a term missing: a gap longer than any holiday ----------------------------------------------

SAMPLE_FILE = Path(term_dates.__file__).parent.parent / "data" / "sample_calendar.toml"


def _sample_without(*months: str) -> str:
    """The sample term-dates file without the [[term]] blocks starting in `months` (YYYY-MM)."""
    blocks = SAMPLE_FILE.read_text(encoding="utf-8").split("[[")
    return "[[".join(
        [blocks[0]] + [b for b in blocks[1:] if not any(f"= {m}-" in b for m in months)]
    )


def test_a_half_term_left_out_is_refused_not_read_as_a_holiday() -> None:
    """The sample without "Spring 2026, second half" (23 February to 27 March) read the 58 days
    between the terms as a holiday: a referral on 10 February recorded its 20-school-day offer
    deadline on 6 May, seven weeks late, and replay accepted it (found by a review)."""
    sample = SchoolCalendar.sample()
    with pytest.raises(CalendarError) as refused:
        SchoolCalendar([t for t in sample.terms if t[0] != date(2026, 2, 23)])
    assert str(refused.value) == (
        "term (2026-04-13 to 2026-05-22) starts 58 days after term (2026-01-05 to 2026-02-13) "
        "ends: no school holiday outside the summer (a holiday holding no day of August) is "
        "longer than four weeks (28 days): is a term missing between them? Give every term of "
        "the years the calendar covers"
    )
    assert not isinstance(refused.value, CalendarFileError)


SUMMER_TERM = (date(2025, 4, 22), date(2025, 7, 18))


@pytest.mark.parametrize(("gap", "refused"), [(56, False), (57, True)])
def test_a_summer_of_eight_weeks_is_read_and_a_day_more_refused(gap: int, refused: bool) -> None:
    """Eight weeks (56 days) between two terms across August may be the summer holiday; 57
    days cannot be."""
    later = SUMMER_TERM[1] + timedelta(days=gap + 1)
    terms = [SUMMER_TERM, (later, later + timedelta(days=30))]
    if refused:
        with pytest.raises(CalendarError) as refusal:
            SchoolCalendar(terms)
        assert f"starts {gap} days after" in str(refusal.value)
        assert "no school holiday is longer than eight weeks (56 days): is a term missing" in str(
            refusal.value
        )
    else:
        assert SchoolCalendar(terms).terms == tuple(terms)
    assert term_dates.LONGEST_HOLIDAY_DAYS == 56


@pytest.mark.parametrize(("gap", "refused"), [(28, False), (29, True)])
def test_a_holiday_outside_the_summer_of_four_weeks_is_read_and_a_day_more_refused(
    gap: int, refused: bool
) -> None:
    """A gap of 29 to 56 days outside the summer was read as a holiday, a half-term block left
    out: 2026/27 without 1-25 Mar 2027 put a 20-school-day offer from 15 Feb on 4 May, six
    weeks late (found by review C). No English holiday outside the summer is longer than
    about two and a half weeks; four weeks (28 days) are read, 29 refused."""
    later = TERM[1] + timedelta(days=gap + 1)
    terms = [TERM, (later, later + timedelta(days=30))]
    if refused:
        with pytest.raises(CalendarError) as refusal:
            SchoolCalendar(terms)
        assert str(refusal.value).startswith(
            f"term ({later.isoformat()} to {(later + timedelta(days=30)).isoformat()}) starts "
            f"{gap} days after term (2025-09-01 to 2025-12-19) ends: no school holiday outside "
            "the summer (a holiday holding no day of August) is longer than four weeks (28 days): "
            "is a term missing between them?"
        )
    else:
        assert SchoolCalendar(terms).terms == tuple(terms)
    assert term_dates.LONGEST_OTHER_HOLIDAY_DAYS == 28


@pytest.mark.parametrize(
    ("earlier_last", "later_first", "summer"),
    [
        (date(2025, 6, 30), date(2025, 8, 1), False),  # the gap's last day is 31 July
        (date(2025, 6, 30), date(2025, 8, 2), True),  # its last day is 1 August
        (date(2025, 8, 31), date(2025, 10, 6), False),  # its first day is 1 September
        (date(2025, 8, 30), date(2025, 10, 6), True),  # its first day is 31 August
    ],
)
def test_a_holiday_holding_a_day_of_august_is_the_summer(
    earlier_last: date, later_first: date, summer: bool
) -> None:
    """Only a gap holding a day of August may be longer than four weeks."""
    terms = [(earlier_last - timedelta(days=30), earlier_last), (later_first, date(2025, 12, 19))]
    if summer:
        assert SchoolCalendar(terms).terms == tuple(terms)
    else:
        with pytest.raises(CalendarError, match="outside the summer"):
            SchoolCalendar(terms)


def test_review_c_spring_half_term_block_left_out_is_refused() -> None:
    """Review C's case: 2026/27 without the spring term's second half, 51 days between spring 1
    and summer 1, was read as a holiday; a day-by-day count with the block gives 2027-03-22."""
    terms = [
        (date(2026, 9, 1), date(2026, 10, 23)),
        (date(2026, 11, 2), date(2026, 12, 18)),
        (date(2027, 1, 4), date(2027, 2, 19)),
        (date(2027, 4, 12), date(2027, 5, 28)),
        (date(2027, 6, 7), date(2027, 7, 21)),
    ]
    with pytest.raises(CalendarError, match=r"starts 51 days after .* is a term missing"):
        SchoolCalendar(terms)
    whole = SchoolCalendar([*terms[:3], (date(2027, 3, 1), date(2027, 3, 25)), *terms[3:]])
    assert whole.add_school_days(date(2027, 2, 15), 20) == date(2027, 3, 22)


def test_a_term_dates_file_missing_a_school_year_is_refused_naming_the_later_terms_line(
    tmp_path: Path,
) -> None:
    """Without 2026/27's autumn and spring terms, `add-school-days 2026-07-10 20` answered
    2027-04-30, nine months on, exit 0 (found by a review)."""
    text = _sample_without("2026-09", "2026-10", "2026-11", "2027-01", "2027-02")
    path = write(tmp_path, text)
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_file(path)
    later = text.split("\n").index("first_day = 2027-04-12") + 1
    assert refused.value.path == str(path)
    assert refused.value.line == later
    assert str(refused.value).endswith(
        "term 'Summer 2027, first half' (2027-04-12 to 2027-05-28) starts 265 days after term "
        "'Summer 2026, second half' (2026-06-01 to 2026-07-20) ends: no school holiday is longer "
        "than eight weeks (56 days): is a term missing between them? Give every term of the "
        "years the calendar covers"
    )
    result = run("--calendar", str(path), "calendar", "add-school-days", "2026-07-10", "20")
    assert_refused_cleanly(result, f"{path}, line {later}", "is a term missing between them?")


def test_a_term_dates_file_missing_a_half_term_block_is_refused_by_the_cli(tmp_path: Path) -> None:
    """A file without the autumn term's second half block but its last fortnight (37 days
    between the blocks, under eight weeks) was read as a holiday from 25 October to 30 November
    (found by review C). The command line refuses it, exit 2, naming the file and line."""
    path = write(
        tmp_path,
        'source = "x"\n[[term]]\nfirst_day = 2025-09-01\nlast_day = 2025-10-24\n'
        "[[term]]\nfirst_day = 2025-12-01\nlast_day = 2025-12-19\n",
    )
    result = run("--calendar", str(path), "calendar", "add-school-days", "2025-10-20", "20")
    assert_refused_cleanly(
        result,
        f"{path}, line 6: term (2025-12-01 to 2025-12-19) starts 37 days after term "
        "(2025-09-01 to 2025-10-24) ends: no school holiday outside the summer (a holiday holding "
        "no day of August) is longer than four weeks (28 days): is a term missing between them?",
    )


def test_a_feed_missing_a_term_is_refused_naming_the_feed() -> None:
    """A feed's terms are checked as a file's: a spring term left out is no holiday."""
    summer = "DTSTART;VALUE=DATE:20260413\nDTEND;VALUE=DATE:20260721\nSUMMARY:Summer Term"
    with pytest.raises(CalendarFileError, match="is a term missing between them") as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, summer))
    assert refused.value.path == "<iCalendar feed>"


# ---- iCalendar: one event per UID, no exceptions, one end, at most a year ----------------------


def uid_feed(*events: tuple[str, str]) -> bytes:
    """An iCalendar feed of (UID, lines) events: two may share a UID, as exports do."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Invented School//Terms//EN"]
    for uid, event in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250601T000000Z"]
        lines += event.strip("\n").split("\n")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _inset(day: str, sequence: int | None = None, summary: str = "INSET day") -> str:
    version = "" if sequence is None else f"SEQUENCE:{sequence}\n"
    return f"{version}SUMMARY:{summary}\nDTSTART;VALUE=DATE:{day}"


def test_two_versions_of_one_event_are_refused_naming_the_uid_and_both() -> None:
    """An INSET day moved from 3 to 14 November (the same UID, SEQUENCE 0 then 1, as Outlook
    and Google exports keep them) closed both days (found by a review)."""
    moved = uid_feed(
        ("autumn@school", AUTUMN),
        ("inset@school", _inset("20251103", 0)),
        ("inset@school", _inset("20251114", 1)),
    )
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(moved)
    assert refused.value.line == 18  # the second event's BEGIN:VEVENT
    assert str(refused.value) == (
        "<iCalendar feed>, line 18: UID 'inset@school' is given to 2 events: 'INSET day' from "
        "20251103 (line 11) and 'INSET day' from 20251114 (line 18): versions of one event (a "
        "later SEQUENCE replacing an earlier) or one event exported twice, and which holds would "
        "be a guess. Keep one event for each UID, the one in force, or write the term dates as a "
        "TOML file"
    )


def test_a_version_that_decides_nothing_still_makes_its_uid_refused() -> None:
    """An INSET day renamed "Parents' evening" in its later version would close its old day."""
    renamed = uid_feed(
        ("autumn@school", AUTUMN),
        ("x@school", _inset("20251103")),
        ("x@school", _inset("20251103", summary="Parents' evening")),
    )
    with pytest.raises(CalendarFileError, match="UID 'x@school' is given to 2 events"):
        SchoolCalendar.from_ics(renamed)


def test_events_of_their_own_uids_are_read_and_shared_uids_that_decide_nothing_ignored() -> None:
    """The nearest legal feed: the two INSET days under UIDs of their own close both days; two
    versions of an event whose summary decides nothing stay harmless."""
    calendar = SchoolCalendar.from_ics(
        uid_feed(
            ("autumn@school", AUTUMN),
            ("inset-1@school", _inset("20251103")),
            ("inset-2@school", _inset("20251114")),
            ("club@school", _inset("20251105", 0, "Chess club")),
            ("club@school", _inset("20251112", 1, "Chess club")),
        )
    )
    assert list(calendar.closure_reasons) == [date(2025, 11, 3), date(2025, 11, 14)]


@pytest.mark.parametrize(
    "exception",
    [
        "EXDATE;VALUE=DATE:20251103",
        "EXRULE:FREQ=WEEKLY;COUNT=2",
        "RECURRENCE-ID;VALUE=DATE:20251103",
    ],
    ids=["exdate", "exrule", "recurrence-id"],
)
def test_days_taken_out_of_an_event_or_an_occurrence_replaced_are_refused(exception: str) -> None:
    """An INSET day whose only date is excluded (EXDATE) still closed it; EXRULE and a
    RECURRENCE-ID override were read as free-standing events (found by a review)."""
    inset = _inset("20251103") + "\n" + exception
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(uid_feed(("autumn@school", AUTUMN), ("i@school", inset)))
    key = exception.split(";")[0].split(":")[0]
    assert f"event 'INSET day' (UID i@school): {key} is not read" in str(refused.value)
    assert "which days the event covers would be a guess" in str(refused.value)


def test_an_exception_on_an_event_that_decides_nothing_is_ignored() -> None:
    club = _inset("20251105", summary="Chess club") + "\nRRULE:FREQ=WEEKLY\nEXDATE:20251112"
    calendar = SchoolCalendar.from_ics(uid_feed(("autumn@school", AUTUMN), ("c@school", club)))
    assert calendar.is_school_day(date(2025, 11, 5))


@pytest.mark.parametrize(
    "times",
    [
        "DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251028\nDURATION:P5D",
        "DTSTART:20251027T000000\nDTEND:20251028T000000\nDURATION:P5D",
    ],
    ids=["all-day", "floating"],
)
def test_an_event_with_both_dtend_and_duration_is_refused(times: str) -> None:
    """RFC 5545 (3.6.1) forbids DTEND and DURATION in one event; the reader took DTEND (one day
    of half term) and dropped DURATION (five), found by a review."""
    both = uid_feed(("autumn@school", AUTUMN), ("ht@school", "SUMMARY:Half term\n" + times))
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(both)
    assert "event 'Half term' (UID ht@school): it has both DTEND and DURATION" in str(refused.value)


@pytest.mark.parametrize(
    "times",
    ["DTSTART;VALUE=DATE:20251027\nDURATION:P5D", "DTSTART:20251027T000000\nDURATION:P5D"],
    ids=["all-day", "floating"],
)
def test_an_event_with_duration_alone_is_read(times: str) -> None:
    one = uid_feed(("autumn@school", AUTUMN), ("ht@school", "SUMMARY:Half term\n" + times))
    assert SchoolCalendar.from_ics(one).terms == (
        (date(2025, 9, 1), date(2025, 10, 26)),
        (date(2025, 11, 1), date(2025, 12, 19)),
    )


def test_a_tiny_feed_of_events_over_thousands_of_years_is_refused_before_they_are_read() -> None:
    """266 bytes (a term and a closure from 0001 to 9999) took ~27 s and ~1 GB of memory to
    be refused: every day was expanded first (found by a review)."""
    huge = uid_feed(
        ("t@x", "SUMMARY:Term\nDTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231"),
        ("c@x", "SUMMARY:Closure\nDTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231"),
    )
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(huge)
    assert str(refused.value) == (
        "<iCalendar feed>, line 4: event 'Term' (UID t@x): it lasts 3652058 days, from "
        "0001-01-01 to 9999-12-30: no term or holiday is longer than a year (366 days); give "
        "each term and holiday as an event of its own"
    )


@pytest.mark.parametrize(("days", "refused"), [(366, False), (367, True)])
def test_an_event_of_a_leap_year_is_read_and_a_day_longer_refused(days: int, refused: bool) -> None:
    """The year's term event holds its holidays (no term is longer than eighteen weeks, G1)."""
    end = (date(2025, 9, 1) + timedelta(days=days)).strftime("%Y%m%d")
    holidays = [
        (
            "h1@x",
            "SUMMARY:Christmas holiday\nDTSTART;VALUE=DATE:20251220\nDTEND;VALUE=DATE:20260105",
        ),
        ("h2@x", "SUMMARY:Easter holiday\nDTSTART;VALUE=DATE:20260328\nDTEND;VALUE=DATE:20260413"),
        ("h3@x", "SUMMARY:Summer holiday\nDTSTART;VALUE=DATE:20260721\nDTEND;VALUE=DATE:20260902"),
    ]
    term = uid_feed(
        ("t@x", f"SUMMARY:Term\nDTSTART;VALUE=DATE:20250901\nDTEND;VALUE=DATE:{end}"), *holidays
    )
    if refused:
        with pytest.raises(CalendarFileError, match=f"it lasts {days} days"):
            SchoolCalendar.from_ics(term)
    else:
        assert SchoolCalendar.from_ics(term).terms == (
            (date(2025, 9, 1), date(2025, 12, 19)),
            (date(2026, 1, 5), date(2026, 3, 27)),
            (date(2026, 4, 13), date(2026, 7, 20)),
        )


def _peak_bytes_reading(one: bytes) -> int:
    """The most memory (traced by tracemalloc) that reading the feed `one` takes, refused or
    not."""
    tracemalloc.start()
    try:
        with contextlib.suppress(CalendarError):
            SchoolCalendar.from_ics(one)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def _year_long_events(summary: str, count: int) -> bytes:
    return feed(*(f"SUMMARY:{summary}\nDTSTART;VALUE=DATE:20250901\nDURATION:P366D",) * count)


def test_closure_events_cost_no_more_memory_than_terms_over_the_same_days() -> None:
    """A 2.9 MB feed of 30,000 year-long "INSET" events took 1.4 GB and 30 s (review C3): each
    closure event was expanded into a record per day before anything was checked, where term
    and holiday events are kept by distinct day. Closures are kept one to a day now, the
    first event's reason, so 1,000 such events (about 100 KB) cost what terms over the same
    days cost."""
    count = 1000
    _peak_bytes_reading(_year_long_events("Autumn Term", 10))  # imports and caches first
    terms = _peak_bytes_reading(_year_long_events("Autumn Term", count))
    closures = _peak_bytes_reading(_year_long_events("INSET", count))
    assert closures <= 2 * terms, (closures, terms)


def test_closures_given_twice_keep_the_first_events_reason() -> None:
    """One closure a day: where two events close a day, its reason is the first's."""
    calendar = SchoolCalendar.from_ics(
        feed(
            AUTUMN,
            "SUMMARY:INSET day\nDTSTART;VALUE=DATE:20251006\nDURATION:P2D",
            "SUMMARY:School closed - boiler\nDTSTART;VALUE=DATE:20251007\nDURATION:P2D",
        )
    )
    assert dict(calendar.closure_reasons) == {
        date(2025, 10, 6): "INSET day",
        date(2025, 10, 7): "INSET day",
        date(2025, 10, 8): "School closed - boiler",
    }


# ---- a term-dates file in years whose bank holidays are unknown names the file -----------------


def test_a_term_dates_file_in_unknown_years_is_refused_naming_the_file_and_line(
    tmp_path: Path,
) -> None:
    """docs/cli.md: a file that is "not valid term dates is bad input (exit 2), and the message
    names the file". Terms in 2101 exited 2 without naming it (found by a review)."""
    path = write(
        tmp_path, 'source = "x"\n[[term]]\nfirst_day = 2100-09-01\nlast_day = 2101-07-20\n'
    )
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_file(path)
    assert (refused.value.path, refused.value.line) == (str(path), 4)
    assert str(refused.value).endswith(
        "line 4: term (2100-09-01 to 2101-07-20) cannot be counted in school days: the bank "
        "holidays of 2101 are not known: the installed holidays package has England's bank "
        "holidays for 1872 to 2100 only (check the year; a newer holidays package may know it: "
        "pip install -U holidays)"
    )
    result = run("--calendar", str(path), "calendar", "add-school-days", "2100-10-01", "5")
    assert_refused_cleanly(result, f"{path}, line 4: term (2100-09-01")


def test_a_term_before_the_known_years_names_its_first_day_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'source = "x"\n[[term]]\nfirst_day = 1871-09-01\nlast_day = 1872-07-19\n'
    )
    with pytest.raises(CalendarFileError, match="bank holidays of 1871 are not known") as refused:
        SchoolCalendar.from_file(path)
    assert refused.value.line == 3


def test_a_feed_in_unknown_years_is_refused_naming_the_feed() -> None:
    term = "DTSTART;VALUE=DATE:21010104\nDTEND;VALUE=DATE:21010327\nSUMMARY:Spring Term"
    with pytest.raises(CalendarFileError, match="bank holidays of 2101") as refused:
        SchoolCalendar.from_ics(feed(term))
    assert refused.value.path == "<iCalendar feed>"


def test_a_term_dates_file_in_the_last_known_year_is_read(tmp_path: Path) -> None:
    """The nearest legal file: terms to the end of 2100 are counted."""
    path = write(
        tmp_path, 'source = "x"\n[[term]]\nfirst_day = 2100-09-01\nlast_day = 2100-12-17\n'
    )
    result = run("--calendar", str(path), "calendar", "add-school-days", "2100-10-01", "5")
    assert (result.exit_code, result.stdout) == (0, "2100-10-08\n")


def test_a_protocol_of_many_school_days_runs_on_a_complete_calendar() -> None:
    """A place offer of 159 school days (the definition took up to 3660) was refused on the
    complete sample calendar as "is a term missing from it?" (found by a review). A case opens
    under at most the law's 20 school days (AP4): counted from the summer term's end, across
    the longest holiday, they run; and a count of 159 across a whole year is still a deadline
    the calendar could give, as the replay of a case an earlier version opened needs."""
    calendar, on = SchoolCalendar.sample(), date(2026, 7, 17)
    protocol = attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="long-1", place_offer_school_days=20
    )
    case = Reintegration.open(
        "C-1",
        sc.PUPIL,
        sc.AP_SETTING,
        sc.AUTHORITY,
        calendar,
        by=sc.AP_HEAD,
        on=date(2026, 7, 1),
        protocol=protocol,
    )
    case.record_consent(sc.consent(signed_on=date(2026, 7, 1)), by=sc.AP_HEAD, on=date(2026, 7, 1))
    case.refer_to_fair_access(ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=on)
    due = case.deadlines[0].due
    assert due == calendar.add_school_days(on, 20)
    assert (due - on).days > 60  # the summer holiday lies between
    assert Reintegration.replay(case.history, protocols=[protocol]).deadlines == case.deadlines
    assert calendar.add_school_days(on, 159) == date(2027, 6, 7)
    for known in (None, calendar):
        assert plausible_school_days(on, date(2027, 6, 7), 159, known) is None


# ---- iCalendar words: part-day closures, mid-term, vacation, underscores ----------------------


@pytest.mark.parametrize(
    "summary",
    [
        "Early closure - 1.30pm finish",
        "School closes early",
        "Early finish",
        "Closed at 1.30pm",
        "School closed from 2 p.m.",
        "Closure at 13:30",
        "Closed at noon for staff training",
        "INSET afternoon - closed 12.15pm",
        "Last day of term - school closes 1.30pm",
        "2pm finish for pupils",
        "School closed at 12 noon",
        "School closed to pupils at 1pm - staff training",
        "School closed to pupils from 1.30pm",
        "INSET Day - school closes to pupils at 12.30pm",
    ],
)
def test_a_part_day_closure_decides_nothing(summary: str) -> None:
    """An all-day "Early closure - 1.30pm finish" on the last day of term, as school feeds
    write it, closed the whole day: a day the pupils attend stopped being a school day (found
    by a review). A closure at a time, or early, decides nothing, as "breaks up" does not."""
    early = f"DTSTART;VALUE=DATE:20251219\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, early))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 12, 19))


@pytest.mark.parametrize(
    "summary",
    [
        "School closed (snow)",
        "Closed 19.12.25",
        "INSET day",
        "Closure: heating failure",
        "INSET day - staff 8.45am-3.15pm",
        "School closed to pupils (INSET) 08:45-15:15",
        "Snow closure - check website after 7am",
        "School closed - polling station 7am to 10pm",
        "School closed - remote learning from 9am",
        "Early Years INSET day",
        "School closed 7am-10pm - polling station",
        "Polling Day - school closed 7am-10pm",
        "School closed from 7am to 10pm (polling station)",
        "School Closed 8.45am-3.15pm (INSET)",
        "School closed 17.11 - INSET",
        "Closed 19.12",
        "INSET Day - half day safeguarding, half day curriculum",
        "INSET - morning: first aid, afternoon: curriculum",
        "School closed AM and PM",
        "School closed - remote learning from 9 am",
        "INSET 08:30-15:30",
        "INSET day (9am-3pm)",
        "School closed 8.30am to 3pm - staff training",
        "INSET days 1-2 September",
        "Training day - pupils return tomorrow",
    ],
)
def test_a_whole_day_closure_still_closes_the_day(summary: str) -> None:
    """The nearest legal summaries: no closing early or at a time (a date with dots is no
    time). A time alone, of the staff's day or the closure's reason, closed nothing once part-
    day closures were read as such, nor did "Early Years" (found by a review); nor, after that,
    hours of the day after "closed", a date without its year, or "half day" (found by the next
    review)."""
    closed = f"DTSTART;VALUE=DATE:20251219\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, closed))
    assert calendar.closure_reasons == {date(2025, 12, 19): summary}


@pytest.mark.parametrize(
    "summary",
    [
        "INSET half day",
        "Half-day closure",
        "INSET halfday",
        "School closed in the afternoon",
        "School closed in the morning",
        "Staff training day (pm only)",
        "Training day - a.m. only",
        "INSET AM",
        "INSET (pm)",
        "INSET morning",
        "Training afternoon",
        "School closed 1.30pm-3.30pm",
        "School closed 9am-noon",
        "School office closed 12:00-13:00",
        "INSET 09:01-15:00",
        "INSET 09:00-14:59",
    ],
)
def test_a_closure_for_half_a_day_or_hours_short_of_it_decides_nothing(summary: str) -> None:
    """An all-day "INSET half day", "School closed in the afternoon", "Training day (pm only)"
    or "INSET AM" closed the whole day, and so did "School closed 1.30pm-3.30pm", which at
    those times closes nothing (09:00 to 15:00 not covered): the pupils attend that day, and a
    20-school-day deadline counted across it fell a day late (found by review C)."""
    inset = f"DTSTART;VALUE=DATE:20251015\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closures == ()
    assert calendar.add_school_days(date(2025, 10, 14), 1) == date(2025, 10, 15)


@pytest.mark.parametrize(
    "summary",
    [
        "INSET day - pupils not in school; staff training AM",
        "INSET Day (no pupils) - safeguarding training in the morning",
        "School closed - staff meeting in the afternoon",
        "INSET day: staff first aid (am), pupils at home",
        "INSET day: staff 8.30am-12pm and 1pm-4pm",
        "School closed: staff 8am-12pm, 12.30pm-3.30pm",
    ],
)
def test_a_whole_day_closure_naming_a_half_of_the_day_elsewhere_still_closes_the_day(
    summary: str,
) -> None:
    """An all-day "INSET day - pupils not in school; staff training AM" became a school day, the
    staff's morning read as the half of the day the school is closed for, and so did "INSET
    day: staff 8.30am-12pm and 1pm-4pm", two ranges of staff hours neither covering 09:00 to
    15:00: counted as a school day, a deadline fell a day early without a word (review F, F2).
    Only a half that qualifies the closure itself makes it a part day; two or more ranges of
    hours close the whole day."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closure_reasons == {date(2025, 10, 3): summary}
    assert not calendar.is_school_day(date(2025, 10, 3))


@pytest.mark.parametrize(
    "summary",
    [
        "School closed Friday afternoon",
        "School Closed Thursday PM",
        "INSET - Friday afternoon",
        "School closed for pupils in the afternoon",
        "School closed to children in the afternoon",
        "INSET, afternoon",
    ],
)
def test_D1_a_part_day_closure_naming_its_weekday_or_its_pupils_otherwise_decides_nothing(
    summary: str,
) -> None:
    """Before F2's fix each of these was a part day (the pupils attend the morning); F2's
    `_qualifies` reads a half only right beside the closure's word, so a weekday, "for pupils"
    or "to children" between them, or a comma, makes the whole day a closure: a day the pupils
    attend was taken out of the school days, and a deadline counted across it fell a day
    late, without a word (review D, D1). A day named between the closure and its half, the
    pupils named after "closed" and a comma are read beside it."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 10, 3))


@pytest.mark.parametrize(
    "summary",
    [
        "School closed to pupils 12:00-15:20 (staff training 13:00-16:00)",
        "INSET 1pm-3.30pm; parents' meetings 4pm-7pm",
    ],
)
def test_two_ranges_of_hours_within_part_of_the_day_do_not_close_the_whole_day(
    summary: str,
) -> None:
    """F2 read any two ranges of hours none covering 09:00 to 15:00 as a day's hours with a
    break, closing the day: a closure to pupils from noon, with the staff's hours beside it,
    took the whole day out of the school days, though the pupils attend the morning (review
    Z, Z2). Two ranges close the day only when they begin by 09:00 and end by 15:00 or later."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 10, 3))


@pytest.mark.parametrize(
    "summary",
    [
        "School closed to pupils 8.45am-10am (staff briefing) and 2pm-3.20pm (INSET)",
        "Closed to pupils 08:45-10:00 and 14:00-15:30 (exams)",
        "INSET day: staff 8.30am-11am and 12.31pm-3.30pm",
        "Closed to pupils 08:00-10:00, 11:00-12:00 and 13:40-15:30",
    ],
)
def test_D2_two_ranges_leaving_the_middle_of_the_day_to_the_pupils_do_not_close_it(
    summary: str,
) -> None:
    """Z2's rule closed the day whenever two or more ranges began by 09:00 and ended by 15:00,
    whatever lay between them: a late start and an early finish on one day (the pupils in
    school from 10am to 2pm) took the day out of the school days, as staff hours with a lunch
    break do (review D, D2). A gap within 09:00 to 15:00 longer than 90 minutes leaves the
    pupils part of the day: a part-day closure, deciding nothing."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 10, 3))


@pytest.mark.parametrize(
    "summary",
    [
        "INSET day: staff 8.30am-11am and 12.30pm-3.30pm",
        "INSET day: staff 7am-9.30am, 10am-12pm and 1.30pm-4pm",
        "Closed to pupils 12:00-15:30 and 08:30-12:15 (exams)",
        "INSET day: staff 8am-10am, 9.30am-11.30am and 1pm-3pm",
    ],
)
def test_ranges_with_breaks_of_at_most_90_minutes_within_the_school_day_close_it(
    summary: str,
) -> None:
    """A break of up to 90 minutes (a lunch break) between ranges that begin by 09:00 and end
    by 15:00 or later leaves the pupils no session: the day is closed, whatever order or
    overlap the ranges are written in (review D, D2)."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closure_reasons == {date(2025, 10, 3): summary}
    assert not calendar.is_school_day(date(2025, 10, 3))


@pytest.mark.parametrize(
    "summary",
    [
        "INSET (am)",
        "INSET Day (PM)",
        "School closed pm",
        "School closed for the morning",
        "School closed to pupils in the afternoon",
        "Morning closure",
        "Afternoon INSET - staff training",
        "INSET - morning",
        "INSET day (am only)",
        "Training day: afternoon only",
        "School closed to pupils - morning only",
        "INSET half-day - staff training AM",
        "Half day closure: staff safeguarding training in the afternoon",
    ],
)
def test_a_closure_whose_summary_qualifies_it_as_half_a_day_decides_nothing(summary: str) -> None:
    """A half of the day named beside the closure word ("INSET (am)", "closed pm", "Morning
    closure"), "only" after a half, or "half day" still makes a closure a part day, whatever
    else the summary names (review F, F2): the pupils attend that day."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 10, 3))


@pytest.mark.parametrize(
    ("summary", "said"),
    [
        ("School closed 1.30-3.30pm", "'1.30-3.30pm', one end without am or pm"),
        ("Closed 9am-3", "'9am-3', one end without am or pm"),
        ("INSET 8:30-3:30", "'8:30-3:30', which cannot be read as a time of day and a later one"),
        ("School closed 13pm-15pm", "'13pm-15pm', which cannot be read"),
        ("INSET 25:00-26:00", "'25:00-26:00', which cannot be read"),
        (
            "INSET: staff 8am-4pm, pupils closed 9am-12pm",
            "'8am-4pm', which cover the school day (09:00 to 15:00), and '9am-12pm', which do not",
        ),
    ],
)
def test_a_closure_whose_hours_cannot_be_read_is_refused_naming_its_line(
    summary: str, said: str
) -> None:
    """Hours with am or pm on one end only, or an end no later than the start, were read as no
    hours at all, and the day closed: whether they cover the school day would be a guess."""
    inset = f"DTSTART;VALUE=DATE:20251015\nSUMMARY:{summary}"
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert refused.value.line == 11  # the closure's BEGIN:VEVENT
    assert f"event {summary!r} (UID 2@test): its summary gives the hours {said}" in str(
        refused.value
    )
    assert "Write both ends as times" in str(refused.value) or "Give one closure" in str(
        refused.value
    )


def test_hours_a_cancelled_closure_or_a_holiday_of_days_gives_are_not_read() -> None:
    """Only a closure or a holiday of one day has its hours read: a cancelled closure and a
    half term of a week are read as before, whatever hours their summaries give."""
    cancelled = "DTSTART;VALUE=DATE:20251015\nSTATUS:CANCELLED\nSUMMARY:Closed 1.30-3.30pm"
    week = "DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251101\nSUMMARY:Half term 1-3pm"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, cancelled, week))
    assert calendar.closures == ()
    assert len(calendar.terms) == 2


@pytest.mark.parametrize(
    ("summary", "holiday"),
    [("Local holiday 8am-4pm", True), ("Local holiday 1.30pm-3.30pm", False)],
)
def test_a_holiday_of_one_day_giving_its_hours_is_read_by_them(summary: str, holiday: bool) -> None:
    """A holiday of one day is no school day when the hours it gives cover the school day."""
    event = f"DTSTART;VALUE=DATE:20251015\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert calendar.is_school_day(date(2025, 10, 15)) is not holiday
    with pytest.raises(CalendarFileError, match="one end without am or pm"):
        SchoolCalendar.from_ics(feed(AUTUMN, event.replace("pm-", "-").replace("am-", "-")))


def test_the_words_that_decide_a_holiday_and_a_term_are_no_half_day() -> None:
    """ "Half Term" is a holiday and "Spring Term" a term, "half" and the times of day in them
    aside: only a closure is read for half a day."""
    term = "DTSTART;VALUE=DATE:20260105\nDTEND;VALUE=DATE:20260328\nSUMMARY:Spring Term (am)"
    half = "DTSTART;VALUE=DATE:20260216\nDTEND;VALUE=DATE:20260221\nSUMMARY:Half Term - pm"
    calendar = SchoolCalendar.from_ics(feed(term, half))
    assert calendar.terms == (
        (date(2026, 1, 5), date(2026, 2, 15)),
        (date(2026, 2, 21), date(2026, 3, 27)),
    )


def test_a_holiday_naming_a_time_is_still_a_holiday() -> None:
    """A time marks a part-day closure only: holiday words still decide."""
    event = "DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251101\nSUMMARY:Half term (3pm)"
    assert len(SchoolCalendar.from_ics(feed(AUTUMN, event)).terms) == 2


@pytest.mark.parametrize(
    ("summary", "terms", "closures"),
    [
        ("Mid-term", 1, 0),
        ("Mid term break", 2, 0),
        ("Midterm", 1, 0),
        ("Mid - Term Holiday", 2, 0),
        ("Mid-term assessments", 1, 0),
        ("Christmas Vacation", 2, 0),
        ("Vacations", 2, 0),
        ("Half_Term", 2, 0),
        ("INSET_day", 1, 5),
        ("Autumn_term photographs", 1, 0),
    ],
)
def test_mid_term_vacation_and_words_joined_by_underscores_decide(
    summary: str, terms: int, closures: int
) -> None:
    """ "Half_Term" and "Christmas Vacation" decided nothing (found by a review). "Mid-term"
    decides nothing: read as a holiday (the Irish half term) it took the school days of
    "Mid-term assessments" out of an English term (found by a review of that change); "Mid
    term break" is a break."""
    event = f"DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251101\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert (len(calendar.terms), len(calendar.closures)) == (terms, closures)


def test_a_holiday_beginning_part_way_through_a_school_day_leaves_the_day_a_school_day() -> None:
    """ "Half term begins - school closes 1.30pm" on the Friday before half term took the day
    out, which the pupils attend (found by a review); a holiday of days is still a holiday."""
    friday = "DTSTART;VALUE=DATE:20251024\nSUMMARY:Half term begins - school closes 1.30pm"
    week = "DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251101\nSUMMARY:Half term"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, friday, week))
    assert calendar.is_school_day(date(2025, 10, 24))
    assert not calendar.is_school_day(date(2025, 10, 27))


def test_a_series_at_times_and_an_occurrence_moved_are_passed_over() -> None:
    """A weekly "INSET twilight (staff only)" session (15:30 to 17:30, RRULE) and one occurrence
    moved (its UID, RECURRENCE-ID) refused the feed as one UID given to two events (found by a
    review): neither is read, covering no whole day."""
    timed = "SUMMARY:INSET twilight (staff only)\r\nDTSTART:{}T153000\r\nDTEND:{}T173000\r\n"
    series = (
        "UID:twilight@school\r\n" + timed.format(20251007, 20251007) + "RRULE:FREQ=WEEKLY;COUNT=6"
    )
    moved = "UID:twilight@school\r\nRECURRENCE-ID:20251014T153000\r\n" + timed.format(
        20251016, 20251016
    )
    lines = feed(AUTUMN).decode().replace("END:VCALENDAR\r\n", "")
    for event in (series, moved):
        lines += "BEGIN:VEVENT\r\n" + event.strip() + "\r\nEND:VEVENT\r\n"
    calendar = SchoolCalendar.from_ics((lines + "END:VCALENDAR\r\n").encode())
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 10, 16))


def test_inset_days_before_the_term_event_are_refused_at_their_line_saying_what_to_do() -> None:
    """The commonest school feed: "INSET Day" on 1 September, "Autumn Term" from the pupils'
    first day. Refused with no line and nothing to do about it (found by a review)."""
    inset = "DTSTART;VALUE=DATE:20250901\nSUMMARY:INSET Day"
    term = "DTSTART;VALUE=DATE:20250903\nDTEND;VALUE=DATE:20251220\nSUMMARY:Autumn Term"
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(feed(inset, term))
    assert refused.value.line == 4  # its BEGIN:VEVENT, after the feed's three lines
    assert "closure on 2025-09-01 (INSET Day) is outside every term" in str(refused.value)
    assert "give the term's days in full" in str(refused.value)
    begun = "DTSTART;VALUE=DATE:20250901\nDTEND;VALUE=DATE:20251220\nSUMMARY:Autumn Term"
    calendar = SchoolCalendar.from_ics(feed(inset, begun))
    assert calendar.closure_reasons == {date(2025, 9, 1): "INSET Day"}
    assert calendar.is_school_day(date(2025, 9, 3))


def test_a_weekly_early_closure_and_versions_of_one_are_passed_over() -> None:
    """A weekly all-day "Friday early closure - 2pm finish" (RRULE), or two SEQUENCE versions of
    one "Early closure", refused the whole feed, as a recurring event or one UID given to two
    events (found by a review): such an event decides nothing, and is not read."""
    weekly = (
        "DTSTART;VALUE=DATE:20250905\nSUMMARY:Friday early closure - 2pm finish\nRRULE:FREQ=WEEKLY"
    )
    assert SchoolCalendar.from_ics(feed(AUTUMN, weekly)).closures == ()
    version = "UID:early@school\r\nSUMMARY:Early closure - 1.30pm finish\r\nDTSTART;VALUE=DATE:{}"
    lines = feed(AUTUMN).decode().replace("END:VCALENDAR\r\n", "")
    for day in (20251218, 20251219):
        lines += "BEGIN:VEVENT\r\n" + version.format(day) + "\r\nEND:VEVENT\r\n"
    calendar = SchoolCalendar.from_ics((lines + "END:VCALENDAR\r\n").encode())
    assert calendar.closures == ()


def test_a_closure_running_into_the_weekend_after_term_is_read() -> None:
    """ "School closed (Christmas)" from the last Friday of term to the Sunday was refused as a
    closure outside every term (found by a review): its weekend days close no school day."""
    closed = (
        "DTSTART;VALUE=DATE:20251219\nDTEND;VALUE=DATE:20251222\nSUMMARY:School closed (Christmas)"
    )
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, closed))
    assert calendar.closure_reasons == {date(2025, 12, 19): "School closed (Christmas)"}


@pytest.mark.parametrize(
    "summary",
    [
        "School closed this Friday afternoon",
        "Closed to all pupils Friday afternoon",
        "Closed to all pupils in the afternoon",
        "Closed to pupils Friday (pm)",
        "INSET Friday (pm)",
    ],
)
def test_Y3_a_part_day_closure_worded_beside_D1s_forms_leaves_a_school_day(summary: str) -> None:
    """D1 reads "School closed Friday afternoon" and "Closed to pupils, Friday afternoon" as
    the afternoon's closure; "this Friday", "to all pupils" or "Friday (pm)" still took the
    whole day out of the school days, a deadline counted across it falling a day late."""
    inset = f"DTSTART;VALUE=DATE:20251003\nSUMMARY:{summary}"
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, inset))
    assert calendar.is_school_day(date(2025, 10, 3))


# ---- review G, G1: a term longer than any school term -------------------------------------


def all_day(summary: str, first: str, after: str | None = None) -> str:
    """An all-day event's lines, from `first` to the day before `after` (one day without)."""
    end = f"\nDTEND;VALUE=DATE:{after}" if after else ""
    return f"DTSTART;VALUE=DATE:{first}{end}\nSUMMARY:{summary}"


# The sample's 2025/26 terms, the last one's year mistyped (2027 for 2026): one entry that runs
# through the summer holiday of 2026 and the whole of 2026/27.
YEAR_TYPO = """\
source = "Anyshire term dates 2025/26"
[[term]]
first_day = 2025-09-01
last_day = 2025-10-24
[[term]]
first_day = 2025-11-03
last_day = 2025-12-19
[[term]]
first_day = 2026-01-05
last_day = 2026-02-13
[[term]]
first_day = 2026-02-23
last_day = 2026-03-27
[[term]]
first_day = 2026-04-13
last_day = 2026-05-22
[[term]]
first_day = 2026-06-01
last_day = 2027-07-20
"""


def test_G1_a_term_longer_than_any_school_term_is_refused_naming_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(YEAR_TYPO, encoding="utf-8")
    with pytest.raises(CalendarFileError, match="is a holiday missing") as refused:
        SchoolCalendar.from_file(path)
    assert refused.value.line == 19  # the long term's last_day
    result = run("calendar", "add-school-days", "2026-07-20", "20", "--calendar", str(path))
    assert result.exit_code == 2, result.output  # was 0, printing 2026-08-17
    assert "Traceback" not in result.output
    assert "2027-07-20" in result.stderr


def test_G1_a_feed_term_longer_than_any_school_term_is_refused() -> None:
    """A year's term event whose Christmas and February holidays are named in words the reader
    does not know: read as one term from November to Easter, 147 days, the holidays were
    counted as school days."""
    year = feed(
        all_day("Term time 2025/26", "20250901", "20260721"),
        all_day("Half term", "20251027", "20251101"),
        all_day("Christmas", "20251220", "20260105"),
        all_day("Winter recess", "20260216", "20260221"),
        all_day("Easter holidays", "20260328", "20260413"),
        all_day("Half term", "20260525", "20260530"),
    )
    with pytest.raises(CalendarFileError, match="is a holiday missing"):
        SchoolCalendar.from_ics(year)


def test_G1_the_longest_real_terms_are_still_read(tmp_path: Path) -> None:
    """An autumn term from late August to Christmas, written without its half term: 119 days."""
    path = tmp_path / "terms.toml"
    path.write_text(
        'source = "x"\n[[term]]\nfirst_day = 2025-08-27\nlast_day = 2025-12-23\n',
        encoding="utf-8",
    )
    assert SchoolCalendar.from_file(path).terms == ((date(2025, 8, 27), date(2025, 12, 23)),)


@pytest.mark.parametrize(
    "summary",
    [
        "School closes at lunchtime (INSET)",
        "INSET - school closed to pupils at lunchtime",
        "Closed from lunchtime - staff training",
    ],
)
def test_G2_a_closure_at_lunchtime_leaves_a_school_day(summary: str) -> None:
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, all_day(summary, "20250912")))
    assert calendar.closures == ()
    assert calendar.is_school_day(date(2025, 9, 12))


@pytest.mark.parametrize("summary", ["October hols", "Easter hols", "Summer Hols"])
def test_G4_hols_inside_a_term_event_is_a_holiday(summary: str) -> None:
    calendar = SchoolCalendar.from_ics(feed(AUTUMN, all_day(summary, "20251027", "20251101")))
    assert calendar.terms == (
        (date(2025, 9, 1), date(2025, 10, 26)),
        (date(2025, 11, 1), date(2025, 12, 19)),
    )


@pytest.mark.parametrize(
    ("event", "shown"),
    [
        ("DTSTART;VALUE=DATE:20251027\nDTEND:20251101T000000\nSUMMARY:Half term", "2025-11-01"),
        ("DTSTART;VALUE=DATE:20251027\nDURATION:P5DT1H\nSUMMARY:Half term", "P5DT1H"),
        (
            "DTSTART;VALUE=PERIOD:20250910T000000Z/20250911T000000Z\nSUMMARY:INSET day",
            "2025-09-10",
        ),
    ],
    ids=["dtend", "duration", "period"],
)
def test_G3_a_feed_error_shows_the_value_as_written_not_python(event: str, shown: str) -> None:
    with pytest.raises(CalendarFileError) as refused:
        SchoolCalendar.from_ics(feed(AUTUMN, event))
    assert "datetime" not in str(refused.value)
    assert shown in str(refused.value)


def test_G3_a_term_dates_file_error_shows_the_value_as_written(tmp_path: Path) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(
        'source = "x"\n[[term]]\nfirst_day = [2025-09-01]\nlast_day = 2025-10-01\n',
        encoding="utf-8",
    )
    result = run("calendar", "add-school-days", "2025-09-01", "5", "--calendar", str(path))
    assert result.exit_code == 2
    assert "datetime" not in result.stderr, result.stderr
    assert "not [2025-09-01]" in result.stderr
    path.write_text(
        'source = "x"\nretrieved = true\n[[term]]\nfirst_day = 2025-09-01\nlast_day = 2025-10-01\n',
        encoding="utf-8",
    )
    result = run("calendar", "add-school-days", "2025-09-01", "5", "--calendar", str(path))
    assert "not true" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("before", "first", "last"),
    [
        (("2026-04-13", "2026-05-22"), "2026-06-01", "2026-09-20"),
        (("2025-09-01", "2025-10-24"), "2025-11-03", "2026-01-19"),
    ],
    ids=["august", "christmas"],
)
def test_G5_a_term_holding_august_or_christmas_is_refused(
    tmp_path: Path, before: tuple[str, str], first: str, last: str
) -> None:
    """A month mistyped on a file's last term (09 for 07, 01 for 12) counted the summer, or
    Christmas week, as school days: 10 school days after 17 July 2026 fell on 31 July."""
    path = tmp_path / "terms.toml"
    path.write_text(
        f'source = "x"\n[[term]]\nfirst_day = {before[0]}\nlast_day = {before[1]}\n'
        f"[[term]]\nfirst_day = {first}\nlast_day = {last}\n",
        encoding="utf-8",
    )
    line = 7
    with pytest.raises(CalendarFileError, match="no English school is open") as refused:
        SchoolCalendar.from_file(path)
    assert refused.value.line == line


def test_RX2_a_long_bad_value_in_a_calendar_file_is_cut_with_an_ellipsis(
    tmp_path: Path,
) -> None:
    """G3 shows a bad value as the file writes it, cut at 60 characters: the cut ended in two
    dots (`2025-09..`), the quote `describe` adds stripped with the ellipsis's last dot."""
    path = tmp_path / "terms.toml"
    days = ", ".join(f"2025-09-0{day}" for day in range(1, 7))
    path.write_text(
        f'source = "x"\n[[term]]\nfirst_day = [{days}]\nlast_day = 2025-10-24\n',
        encoding="utf-8",
    )
    with pytest.raises(CalendarFileError) as caught:
        SchoolCalendar.from_file(path)
    shown = str(caught.value).split(", not ", 1)[1]
    assert shown.endswith("...")
    assert not shown.endswith("....")
    assert shown.startswith("[2025-09-01, 2025-09-02")
    assert len(shown) == 60
