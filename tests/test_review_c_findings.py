"""Review C (calendars as users supply them, and the deadlines computed from them).

Each test reproduces one finding of FINDINGS.md (same number). Each fails on the code as
reviewed and should pass once the finding is fixed; where more than one fix is reasonable
(refuse, or read correctly), the test accepts either.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import WORCESTERSHIRE, ReferralRoute, Reintegration
from reintegration_fsm.calendar import CalendarFileError, SchoolCalendar
from reintegration_fsm.cli import cli
from reintegration_fsm.errors import CalendarError, ProtocolDefinitionError

DOCS = Path(__file__).resolve().parent.parent / "docs"


def run(*args: str) -> Result:
    """The CLI with no calendar or protocol in the environment."""
    return CliRunner().invoke(cli, list(args), env={"RFSM_CALENDAR": None, "RFSM_PROTOCOLS": None})


def feed(*events: tuple[str, str]) -> bytes:
    """An iCalendar feed (CRLF) of (uid, lines) events."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Review C//Terms//EN"]
    for uid, event in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250601T000000Z"]
        lines += event.strip("\n").split("\n")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


AUTUMN = (
    "autumn@school",
    "SUMMARY:Autumn Term\nDTSTART;VALUE=DATE:20250901\nDTEND;VALUE=DATE:20251220",
)


def _without_spring_second_half() -> SchoolCalendar:
    sample = SchoolCalendar.sample()
    terms = [t for t in sample.terms if t[0] != date(2026, 2, 23)]
    return SchoolCalendar(terms, sample.closure_reasons, source="LA file, one [[term]] left out")


# ---- F1 ------------------------------------------------------------------------------------------


def test_f1_a_missing_term_is_not_silently_read_as_a_holiday_in_a_recorded_deadline() -> None:
    """A term-dates file missing one half term (a forgotten [[term]] block) makes a 2026-02-10
    referral's 20-school-day offer deadline 2026-05-06 instead of 2026-03-17: the gap is taken
    as a 58-day holiday, longer than any English school holiday, and nothing is said."""
    with pytest.raises(CalendarError):
        _refer_on_a_gapped_calendar()


def _refer_on_a_gapped_calendar() -> None:
    gapped = _without_spring_second_half()
    case = Reintegration.open(
        "C-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, gapped, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=date(2026, 2, 10)
    )


def test_f1_the_cli_does_not_count_across_a_missing_school_year(tmp_path: Path) -> None:
    """`calendar add-school-days 2026-07-10 20` on a file without 2026/27's autumn and spring
    terms answers 2027-04-30, nine months on, exit 0."""
    sample = (
        Path(__file__).resolve().parent.parent / "src/reintegration_fsm/data/sample_calendar.toml"
    ).read_text(encoding="utf-8")
    blocks = sample.split("[[")
    kept = [blocks[0]] + [
        b
        for b in blocks[1:]
        if not any(f"= 2026-{m}-" in b for m in ("09", "10", "11", "12"))
        and not any(f"= 2027-{m}-" in b for m in ("01", "02", "03"))
    ]
    gapped = tmp_path / "terms.toml"
    gapped.write_text("[[".join(kept), encoding="utf-8")
    result = run("--calendar", str(gapped), "calendar", "add-school-days", "2026-07-10", "20")
    assert result.exit_code == 2, result.output


# ---- F2 ------------------------------------------------------------------------------------------


def test_f2_a_moved_inset_day_is_not_read_as_two_closures() -> None:
    """Two versions of one event (same UID, SEQUENCE 0 then 1: the INSET day moved from 3 to 14
    November, as Outlook and Google exports keep them) are both read: both days closed."""
    moved = feed(
        AUTUMN,
        (
            "inset@school",
            "SEQUENCE:0\nSUMMARY:INSET day\nDTSTART;VALUE=DATE:20251103\nDTEND;VALUE=DATE:20251104",
        ),
        (
            "inset@school",
            "SEQUENCE:1\nSUMMARY:INSET day\nDTSTART;VALUE=DATE:20251114\nDTEND;VALUE=DATE:20251115",
        ),
    )
    try:
        calendar = SchoolCalendar.from_ics(moved)
    except CalendarFileError:
        return  # refused, naming the UID: acceptable
    assert date(2025, 11, 3) not in calendar.closure_reasons
    assert calendar.is_school_day(date(2025, 11, 3))


def test_f2_an_event_whose_only_date_is_excluded_is_not_a_closure() -> None:
    """EXDATE removing an event's DTSTART (RFC 5545 3.8.5.1) leaves no occurrence, yet the
    INSET day is read as a closure: EXDATE is neither honoured nor refused as RRULE/RDATE are."""
    excluded = feed(
        AUTUMN,
        (
            "inset@school",
            "SUMMARY:INSET day\nDTSTART;VALUE=DATE:20251103\nEXDATE;VALUE=DATE:20251103",
        ),
    )
    try:
        calendar = SchoolCalendar.from_ics(excluded)
    except CalendarFileError:
        return
    assert date(2025, 11, 3) not in calendar.closure_reasons


# ---- F3 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "times",
    [
        "DTSTART;VALUE=DATE:20251027\nDTEND;VALUE=DATE:20251028\nDURATION:P5D",
        "DTSTART:20251027T000000\nDTEND:20251028T000000\nDURATION:P5D",
    ],
    ids=["all-day", "floating"],
)
def test_f3_an_event_with_both_dtend_and_duration_is_refused(times: str) -> None:
    """RFC 5545 forbids DTEND and DURATION together; the reader silently takes DTEND (one day)
    and drops DURATION (five), making four days of half term school days."""
    both = feed(AUTUMN, ("ht@school", "SUMMARY:Half term\n" + times))
    with pytest.raises(CalendarFileError):
        SchoolCalendar.from_ics(both)


# ---- F4 ------------------------------------------------------------------------------------------


def test_f4_cli_suggest_reviews_follows_a_registered_protocols_review_weeks() -> None:
    """With Exampleshire's protocol (review_weeks 3, 5, 8) the only one registered, the CLI still
    proposes 2, 4 and 6 weeks (2025-09-22, 10-06, 10-20), saying nothing; there is no option to
    ask for a protocol's weeks."""
    result = run(
        "--protocol",
        str(DOCS / "examples/exampleshire.toml"),
        "--calendar",
        "sample",
        "calendar",
        "suggest-reviews",
        "2025-09-08",
    )
    assert result.exit_code == 0, result.output
    follows = result.stdout.split() == ["2025-09-29", "2025-10-13", "2025-10-24"]
    says_which = "weeks" in result.stderr or "weeks" in result.stdout
    assert follows or says_which, result.output


# ---- F5 ------------------------------------------------------------------------------------------


def test_f5_a_tiny_feed_cannot_take_seconds_and_a_gigabyte_before_its_refusal() -> None:
    """266 bytes (a term and a closure from 0001 to 9999) take ~27 s and ~1 GB of memory to be
    refused for years whose bank holidays are not known: every day is expanded first."""
    huge = feed(
        ("t@x", "SUMMARY:Term\nDTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231"),
        ("c@x", "SUMMARY:Closure\nDTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231"),
    )
    began = time.perf_counter()
    with pytest.raises(CalendarError):
        SchoolCalendar.from_ics(huge)
    assert time.perf_counter() - began < 5


# ---- F6 ------------------------------------------------------------------------------------------


def test_f6_a_term_dates_file_in_unknown_years_is_named_in_the_cli_error(tmp_path: Path) -> None:
    """docs/cli.md: a calendar file that is "not valid term dates is bad input (exit 2), and the
    message names the file". Terms in 2101 give exit 2 without the file's name."""
    terms = tmp_path / "terms-2101.toml"
    terms.write_text(
        'source = "x"\n[[term]]\nfirst_day = 2100-09-01\nlast_day = 2101-07-20\n',
        encoding="utf-8",
    )
    result = run("--calendar", str(terms), "calendar", "add-school-days", "2100-10-01", "5")
    assert result.exit_code == 2, result.output
    assert str(terms) in result.stderr, result.stderr


# ---- F7 ------------------------------------------------------------------------------------------


def test_f7_a_protocol_the_definition_accepts_runs_on_a_complete_calendar() -> None:
    """place_offer_school_days may be up to 3660, but from 159 a referral on a complete calendar
    (the sample, 2026-07-17) is refused: "is a term missing from it?". Either the protocol is
    refused when defined, or the referral records the calendar's 2027-06-07."""
    try:
        protocol = attrs.evolve(WORCESTERSHIRE, version="long-1", place_offer_school_days=159)
    except ProtocolDefinitionError:
        return
    calendar = SchoolCalendar.sample()
    on = date(2026, 7, 17)
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
    assert case.deadlines[0].due == calendar.add_school_days(on, 159) == date(2027, 6, 7)


# ---- F8 ------------------------------------------------------------------------------------------


def test_f8_an_early_closure_is_not_a_whole_day_closure() -> None:
    """An "Early closure - 1.30pm finish" on the last day of term, an all-day event as school
    calendars write it, is read as a closure: a day the pupils attend stops being a school day
    (the reader already knows "breaks up" is not a break, for the same reason)."""
    early = feed(
        AUTUMN,
        (
            "early@school",
            "SUMMARY:Early closure - 1.30pm finish\nDTSTART;VALUE=DATE:20251219\n"
            "DTEND;VALUE=DATE:20251220",
        ),
    )
    try:
        calendar = SchoolCalendar.from_ics(early)
    except CalendarFileError:
        return
    assert calendar.is_school_day(date(2025, 12, 19))


# ---- F9 ------------------------------------------------------------------------------------------


def test_f9_a_two_week_review_is_not_proposed_three_days_after_the_start() -> None:
    """PROTOCOL.md: suggest_review_dates proposes the reviews "that many weeks on ... each moved
    to a school day (the final one earlier, never later)". For a 2026-07-06 start (sample) it
    proposes 07-09, 07-14 and 07-17: the "2 weeks" review 3 days in. The contract allows a
    CalendarError where no proposal fits; a two-week review three days in is not one."""
    calendar = SchoolCalendar.sample()
    start = date(2026, 7, 6)
    try:
        first, _, _ = calendar.suggest_review_dates(start)
    except CalendarError:
        return
    assert (first - start).days >= 14
