"""Values as a form shows them: dates, text, yes/no answers, ratings and lists, the child's
date of birth (a removed one as a redaction's note gives it), and the seed's names for
evidence, sessions and days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents.layout import Value
from reintegration_fsm.fields import prints_nothing
from reintegration_fsm.forms import (
    REMOVED_DAY,
    Attendee,
    Pupil,
    english_date,
    long_date,
)
from reintegration_fsm.vocabulary import (
    Evidence,
    Party,
    Rating,
    Session,
)

NOT_RECORDED = "not recorded"


RemovedDates = Mapping[tuple[int, str], str]
"""What to show for each date of birth a redaction removed, by the log entry and path it was
removed from: `{(1, "pupil.date_of_birth"): "(redacted on 2027-01-05: Erasure request)"}`,
as the redaction records name them. A removed date no entry names shows "(removed)"."""


def shown_date(day: dt.date | None) -> str:
    """A date as a form writes it. Never "(removed)": only a date of birth is ever removed
    (`shown_born`), and 0001-01-01 anywhere else is a slip of the year, printed as typed."""
    return NOT_RECORDED if day is None else english_date(day)


def shown_text(*values: str, otherwise: str = NOT_RECORDED) -> str:
    """The first of `values` that prints something, without its end spaces; else `otherwise`.
    Text that prints nothing (a lone pasted zero-width space) reads as not recorded, as the
    rules read it (`fields.prints_nothing`)."""
    for value in values:
        if not prints_nothing(value):
            return value.strip()
    return otherwise


def shown_yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("YES" if value else "NO")


def shown_rating(value: Rating | None) -> str:
    return "not rated" if value is None else f"Overall {value.value.capitalize()}"


def shown_list(values: Sequence[str]) -> Value:
    cleaned = tuple(v for v in values if not prints_nothing(v))
    return cleaned or NOT_RECORDED


def shown_name_and_dob(pupil: Pupil, born: str | None) -> str:
    return f"{pupil.name}, born {born or long_date(pupil.date_of_birth)}"


def shown_born(day: dt.date, seq: int, path: str, removed: RemovedDates | None) -> str:
    """A date of birth as a form writes it; one a redaction removed (`REMOVED_DAY`) as the
    note `removed` gives for the entry and path it was removed from, else "(removed)".

    Only a date at a date of birth's place is looked up: no other value, and no text that
    happens to read "(removed)", is ever shown as removed.
    """
    if day == REMOVED_DAY and removed is not None:
        return removed.get((seq, path), long_date(day))
    return long_date(day)


def pupil_born(case: Reintegration, removed: RemovedDates | None) -> str:
    """The child's date of birth as the forms and the letter write it (see `shown_born`): it
    is recorded by the case's `open` entry, at `pupil.date_of_birth`."""
    return shown_born(case.pupil.date_of_birth, case.history[0].seq, "pupil.date_of_birth", removed)


def shown_people(attendees: Sequence[Attendee], party: Party) -> Value:
    return shown_list([a.name for a in attendees if a.party is party])


EVIDENCE_NAMES = {
    Evidence.PSP: "Copy of the PSP",
    Evidence.IEP: "Copy of the IEP",
    Evidence.IHCP: "Copy of the IHCP",
    Evidence.BEHAVIOUR_LOG: "Behaviour log and consequences",
    Evidence.BEHAVIOUR_ANALYSIS: "Behaviour analysis",
    Evidence.GRADUATED_RESPONSE: "Evaluation of strategies in the graduated response",
    Evidence.ATTENDANCE_RECORD: "Attendance record and support",
    Evidence.PERSONAL_EDUCATION_PLAN: "Child Looked After Personal Education Plan",
    Evidence.EXCLUSION_DATA: "Exclusion data",
    Evidence.KS4_OPTIONS: "KS4 record of options",
    Evidence.ASSESSMENT_DATA: "Most recent assessment and attainment data",
}

SESSION_NAMES = {Session.HOST: "Host", Session.AP: "AP", Session.NONE: "-"}
NO_SESSION = SESSION_NAMES[Session.NONE]
"""A session at neither place, as the timetable shows it; its HTML says "no session" to a
screen reader, which does not read a lone hyphen."""
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
"""The timetable's days, each a morning and an afternoon: its HTML tables' headers."""
