"""Ids pasted from Word, Outlook or a web page, and what they bring with them.

A copied id often carries a character nobody sees: a space or a no-break space at an end, a
zero-width space, a byte order mark, a soft hyphen, or Word's curly quotes around it. The id
then names no case, or, given to `open`, a new case that looks like another and is not.
"""

from __future__ import annotations

from reintegration_fsm.fields import new_id_problem, seen, unseen

__all__ = ["refusal", "stray", "stray_note", "without_stray"]

_QUOTES = "\"'\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a`"
"""Quotation marks, straight and curly, that an id is pasted between."""


def stray(case_id: str) -> str | None:
    """What `case_id` holds that no typed id would, in words (None when nothing)."""
    found = unseen(case_id)
    if found is not None:
        return found
    if case_id != case_id.strip():
        return "a space at the start or the end"
    if len(case_id) > 1 and (case_id[0] in _QUOTES or case_id[-1] in _QUOTES):
        return "a quotation mark at the start or the end"
    return None


def without_stray(case_id: str) -> str:
    """`case_id` without what `stray` finds: the id that was probably meant."""
    return seen(case_id).strip().strip(_QUOTES).strip()


def stray_note(case_id: str) -> str | None:
    """What `case_id` holds that no typed id would, and where from, as one sentence's start
    ("the id holds ..., as text pasted ... does"), or None."""
    found = stray(case_id)
    if found is None:
        return None
    return f"{case_id!r} holds {found}, as text pasted from Word or an email often does"


def refusal(case_id: str) -> str | None:
    """Why `case_id` may not be the id of a case added now (by `apply ... open`, or in an
    `import` file), as a sentence naming it and saying what to do; or None. What a pasted id
    brings with it (`stray_note`), and what `Reintegration.open` refuses in a new id
    (`fields.new_id_problem`): one rule, so that no import adds a case `open` would refuse."""
    note = stray_note(case_id)
    if note is not None:
        return f"{note}; type the id again (without it, it reads {without_stray(case_id)!r})"
    problem = new_id_problem(case_id)
    return None if problem is None else f"{case_id!r} {problem}"
