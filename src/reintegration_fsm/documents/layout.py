"""A filled-in form as the templates lay it out: its labelled boxes, timetable weeks and
letter blocks."""

from __future__ import annotations

import attrs

Value = str | tuple[str, ...]


@attrs.frozen
class Field:
    """One labelled box of a form: a single value or a list."""

    label: str
    value: Value

    @property
    def is_list(self) -> bool:
        """True when the box holds a list of items."""
        return isinstance(self.value, tuple)


@attrs.frozen
class TimetableWeek:
    """A week of the Reintegration Timetable, ready to lay out."""

    week_beginning: str
    sessions: tuple[str, ...]
    """Ten cells, Monday morning to Friday afternoon."""
    time_in_education: str


@attrs.frozen
class LetterBlock:
    """A paragraph of the letter, or a bulleted list (`items`)."""

    text: str = ""
    items: tuple[str, ...] = ()


@attrs.frozen
class Document:
    """One filled-in form of the seed protocol."""

    slug: str
    title: str
    subtitle: str = ""
    fields: tuple[Field, ...] = ()
    note: str = ""
    weeks: tuple[TimetableWeek, ...] = ()
    letter: tuple[LetterBlock, ...] = ()
