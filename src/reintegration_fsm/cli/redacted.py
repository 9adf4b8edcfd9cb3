"""How the CLI shows a redacted value: "(redacted on 2027-01-05: reason)".

A loaded case holds removed text as that placeholder already. A removed date of birth cannot be
text inside a form, so a loaded case holds the placeholder date 0001-01-01 (see
`stores.personal`); every rendering replaces it (as ISO, and as a letter writes it) by the note
of the redaction that removed it. JSON meant for `import` (a history) keeps the date, so that it
still reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import escape

from reintegration_fsm.forms import long_date
from reintegration_fsm.stores import RedactionNote
from reintegration_fsm.stores.personal import PERSONAL_DATES, REDACTED_DATE

_SHOWN = (REDACTED_DATE.isoformat(), long_date(REDACTED_DATE))
_SPACE = r"\s+"
"""A plain-text form wraps its lines, so a date may be split where it has a space."""
_PATTERN = re.compile(
    "|".join(
        r"(?<![\d-])" + _SPACE.join(map(re.escape, text.split())) + r"(?![\d-])" for text in _SHOWN
    )
)


def date_note(notes: Sequence[RedactionNote]) -> str:
    """The note to show for a removed date of birth (the first redaction that removed one)."""
    for note in notes:
        if any(path.rsplit(".", 1)[-1] in PERSONAL_DATES for path in note.paths):
            return note.text
    return "(redacted)"


def shown_text(text: str, notes: Sequence[RedactionNote], *, html: bool = False) -> str:
    """`text` with the placeholder date of a removed date of birth shown as its note."""
    if not _PATTERN.search(text):
        return text
    note = date_note(notes)
    shown = str(escape(note)) if html else note
    # A function, not a template: a reason's backslashes (`C:\Requests`, `\1`) stay as typed.
    return _PATTERN.sub(lambda _: shown, text)


def shown_json(value: Any, notes: Sequence[RedactionNote], *, keep: str = "history") -> Any:
    """A JSON value with each placeholder date shown as its note, except under `keep` (the
    history, which `import` reads back)."""
    if isinstance(value, Mapping):
        return {
            key: item if key == keep else shown_json(item, notes, keep=keep)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [shown_json(item, notes, keep=keep) for item in value]
    if value == _SHOWN[0]:
        return date_note(notes)
    return value


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
