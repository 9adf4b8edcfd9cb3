"""How the CLI shows a redacted value: "(redacted on 2027-01-05: reason)".

A loaded case holds removed text as that placeholder already. A removed date of birth cannot be
text inside a form, so a loaded case holds the placeholder date 0001-01-01 (see
`stores.personal`); every rendering shows, in its place, the note of the redaction whose record
names it (`pupil.date_of_birth` of the `open` entry, `form.child_dob` of a consent form), and
"(removed)" where no record of it came with the case (an import without its records). Only
those places are looked at: a case id, another value or text that reads like a placeholder
("0001-01-01", "(removed)") is shown as it is. JSON meant for `import` (a history) keeps the
date, so that it still reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents import RemovedDates, pupil_born
from reintegration_fsm.stores import RedactionNote
from reintegration_fsm.stores.personal import PERSONAL_DATES, REDACTED_DATE


def removed_dates(notes: Sequence[RedactionNote]) -> RemovedDates:
    """The note of each date of birth the redaction records `notes` name, by the entry and path
    it was removed from."""
    found: dict[tuple[int, str], str] = {}
    for note in notes:
        for path in note.paths:
            if path.rsplit(".", 1)[-1] in PERSONAL_DATES:
                found.setdefault((note.seq, path), note.text)
    return found


def born(case: Reintegration, notes: Sequence[RedactionNote]) -> str:
    """The child's date of birth as a timeline or JSON shows it: ISO, or, removed, the note of
    the redaction that removed it ("(removed)" where no record of it came with the case)."""
    day = case.pupil.date_of_birth
    if day != REDACTED_DATE:
        return day.isoformat()
    return pupil_born(case, removed_dates(notes))


def letter(case: Reintegration, notes: Sequence[RedactionNote]) -> str | None:
    """The case's failure letter (None when it has none), a removed date of birth shown as the
    note of the redaction that removed it."""
    written = case.failure_letter
    if written is None:
        return None
    return written.render(case, born=pupil_born(case, removed_dates(notes)))


def note_json(note: RedactionNote) -> dict[str, Any]:
    """A redaction note as JSON: which values, who, when, why."""
    by = note.by
    return {
        "seq": note.seq,
        "number": note.number,
        "paths": list(note.paths),
        "reason": note.reason,
        "on": None if note.on is None else note.on.isoformat(),
        "recorded_at": note.redacted_at.isoformat() + "Z",
        "by": None
        if by is None
        else {"id": by.id, "name": by.name, "role": by.role.value, "organisation": by.organisation},
        "shown_as": note.text,
        "legacy": note.legacy,
    }
