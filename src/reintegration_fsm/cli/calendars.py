"""The calendar `--calendar` names, and the note said when deadlines were counted on the
SAMPLE calendar."""

from __future__ import annotations

from collections.abc import Iterable

from reintegration_fsm.calendar import SAMPLE_SOURCE, SchoolCalendar
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.records import Deadline
from reintegration_fsm.vocabulary import SCHOOL_DAY_DEADLINES

CALENDAR_ENV = "RFSM_CALENDAR"


def sample_note(calendar: SchoolCalendar | None, counted: Iterable[Deadline]) -> str | None:
    """The one line said on stderr when deadlines counted in school days (`counted`, any of
    them) came from the SAMPLE calendar, whose dates are invented; None otherwise."""
    if calendar is None or not calendar.source.startswith(SAMPLE_SOURCE):
        return None
    named = [d for d in counted if d.kind in SCHOOL_DAY_DEADLINES]
    if not named:
        return None
    each = ", ".join(f"the {d.kind.value} deadline {d.due.isoformat()}" for d in named)
    return (
        f"note: {each} was counted on the SAMPLE calendar (--calendar sample, {CALENDAR_ENV}="
        "sample, or a copy of its file), whose term dates are invented: it is not for a real "
        "child's deadlines. Name your authority's term dates with --calendar FILE."
    )


def load_calendar(name: str) -> SchoolCalendar:
    """`sample` for the shipped sample calendar, else a TOML term-dates file."""
    if name == "sample":
        return SchoolCalendar.sample()
    try:
        return SchoolCalendar.from_file(name)
    except OSError as error:
        raise Failure(f"calendar file {name!r}: {error.strerror or error}") from None
