"""Review G: school calendars and deadline counting (term dates, iCalendar feeds, the CLI's
calendar commands). Each test shows a finding of FINDINGS.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reintegration_fsm.calendar import CalendarFileError, SchoolCalendar
from reintegration_fsm.cli import cli


def run(*args: str) -> Result:
    """The CLI with no calendar in the environment."""
    return CliRunner().invoke(cli, list(args), env={"RFSM_CALENDAR": None})


def feed(*events: str) -> bytes:
    """An iCalendar feed (CRLF, as RFC 5545 writes it) holding these events' lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Invented School//Terms//EN"]
    for number, event in enumerate(events, start=1):
        lines += ["BEGIN:VEVENT", f"UID:{number}@test", "DTSTAMP:20250601T000000Z"]
        lines += event.strip("\n").split("\n")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def all_day(summary: str, first: str, after: str | None = None) -> str:
    """An all-day event's lines, from `first` to the day before `after` (one day without)."""
    end = f"\nDTEND;VALUE=DATE:{after}" if after else ""
    return f"DTSTART;VALUE=DATE:{first}{end}\nSUMMARY:{summary}"


AUTUMN = all_day("Autumn Term", "20250901", "20251220")


@pytest.mark.xfail(
    strict=True,
    reason="G3: file errors show Python reprs (datetime.date(...), timedelta(...)) to officers",
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


@pytest.mark.xfail(strict=True, reason="G3: a TOML date in a list is shown as Python")
def test_G3_a_term_dates_file_error_shows_the_value_as_written(tmp_path: Path) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(
        'source = "x"\n[[term]]\nfirst_day = [2025-09-01]\nlast_day = 2025-10-01\n',
        encoding="utf-8",
    )
    result = run("calendar", "add-school-days", "2025-09-01", "5", "--calendar", str(path))
    assert result.exit_code == 2
    assert "datetime" not in result.stderr, result.stderr
