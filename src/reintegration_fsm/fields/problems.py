"""Why a text will not do: a control character, a line break in a single-line value, too many
characters, a space at an id's end, a noncharacter; and the one rule a new case id is held to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from reintegration_fsm.errors import describe
from reintegration_fsm.fields.characters import blank, unclear
from reintegration_fsm.fields.limits import ID_LENGTH
from reintegration_fsm.shown import CONTROLS, LONE_SURROGATES, NONCHARACTER

_UNPRINTABLE = re.compile(f"[{CONTROLS}{LONE_SURROGATES}]")
"""Control characters but tab and newline, and lone surrogates (which no encoding can store)."""
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


TOO_LONG = re.compile(r"is [0-9]+ characters long; at most [0-9]+ are kept")
"""What `text_problem` says of a value longer than its most (it quotes no part of the value)."""


def text_problem(value: str, *, single_line: bool = False, most: int | None = None) -> str | None:
    """Why `value` is not acceptable text, or None: the one check every path uses.

    Text may hold any printable character, tab and newline; a single-line value (a name, an id)
    no line break; and no value more than `most` characters.
    """
    found = _UNPRINTABLE.search(value)
    if found is not None:
        character = found.group()
        kind = "a lone surrogate" if "\ud800" <= character <= "\udfff" else "a control character"
        return f"holds {kind} (U+{ord(character):04X} at position {found.start()})"
    if single_line and _LINE_BREAKS.search(value) is not None:
        return "must be on one line"
    if most is not None and len(value) > most:
        return f"is {len(value)} characters long; at most {most} are kept"
    return None


def identifier(value: Any, what: str, most: int = ID_LENGTH) -> str | None:
    """Why `value` is not an acceptable id (a case id), or None."""
    if not isinstance(value, str):
        return f"must be text, not {describe(value)}"
    # Printable text holds no control character, lone surrogate or line break, and no space
    # but " ": most ids need neither the scans below nor a stripped copy.
    printable = 0 < len(value) <= most and value.isprintable()
    if printable and value[0] != " " and value[-1] != " ":
        return None
    if not value.strip():
        return "must not be blank"
    return end_space(value) or text_problem(value, single_line=True, most=most)


def end_space(value: str) -> str | None:
    """Why `value`, an id or a name given now, will not do: a space at either end (a slip of
    the paste, which would make it another id or school); or None."""
    return "must not start or end with a space" if value != value.strip() else None


def new_id_problem(value: Any) -> str | None:
    """Why `value` will not do as a new case's id, or None: what `identifier` refuses, a
    character that would make it read as another id (`unclear`), a blank one other than the
    space (`blank`), or a noncharacter. The one rule a new id is held to, by
    `Reintegration.open` and by whatever adds a case it did not open (the CLI's `import`); a
    history recorded before still replays."""
    problem = identifier(value, "case_id") or unclear(value, "the id")
    if problem is not None:
        return problem
    spaced = blank(value)
    if spaced is not None:
        return f"holds {spaced}; type the id again"
    return noncharacter(value)


def encodes(value: str) -> bool:
    """Whether `value` encodes as UTF-8: it holds no lone surrogate, which JSON's escapes can
    spell and no file or database can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def noncharacter(value: str) -> str | None:
    """Why `value`, new text, holds a Unicode noncharacter (U+FFFE, U+FFFF, U+FDD0...), which
    no workbook can hold, naming the first; or None.

    Not part of `text_problem`, which replay runs too: a history recorded before new text
    was refused them still loads.
    """
    if value.isprintable():  # no noncharacter is printable
        return None
    found = NONCHARACTER.search(value)
    if found is None:
        return None
    return (
        f"holds a noncharacter (U+{ord(found.group()):04X} at position {found.start()}), "
        "which no workbook can hold"
    )


def noncharacters(value: Any, field: str) -> list[tuple[str, str]]:
    """Each `(field, problem)` of the text in `value` (text, a form or value object, or a
    tuple, set or mapping of them) that holds a noncharacter; a form's fields are named
    `field.name`."""
    if isinstance(value, str):  # a `str` enum's value too, which never holds one
        problem = noncharacter(value)
        return [] if problem is None else [(field, problem)]
    if attrs.has(type(value)):
        return [
            found
            for attribute in attrs.fields(type(value))
            for found in noncharacters(getattr(value, attribute.name), f"{field}.{attribute.name}")
        ]
    if isinstance(value, Mapping):
        value = tuple(value.items())
    if isinstance(value, (tuple, list, frozenset, set)):
        return [found for item in value for found in noncharacters(item, field)]
    return []
