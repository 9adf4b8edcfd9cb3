"""attrs converters: a date library's date as a plain date, a list as a tuple, a set or list as a
frozenset; anything else left for the validator to judge."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reintegration_fsm.fields.days import is_day


def as_day(value: dt.date) -> dt.date:
    """A form's converter: a subclass of `date` (a date library's own) as the plain date it
    holds, which the record, the case's state and every engine then read alike; any other value
    as given, for the validator to judge.

    Typed as the field is: mypy and pyright give a form's constructor the type of its
    converter's argument, and an `Any` there let a typed importer pass a text where a date is
    due (review TY, TY3). At run time it takes anything, as before.
    """
    if type(value) is not dt.date and is_day(value):
        return dt.date(value.year, value.month, value.day)
    return value


def as_optional_day(value: dt.date | None) -> dt.date | None:
    """`as_day` for a field that may be None."""
    return None if value is None else as_day(value)


def to_tuple(value: Any) -> Any:
    """Accept a list where a tuple is meant; leave anything else for the validator.

    A field's converter is a typed one that calls it (`to_texts`, `forms.meetings._attendees`):
    a form's constructor takes the type of its converter's argument (review TY, TY3), and mypy
    reads no generic converter.
    """
    return tuple(value) if isinstance(value, list) else value


def to_texts(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """`to_tuple` for a field of texts or names."""
    converted: tuple[str, ...] = to_tuple(value)
    return converted


def to_frozenset(value: Any) -> Any:
    """Accept a set, list or tuple where a frozenset is meant; leave anything else (a list
    holding a list, which no set can hold) for the validator."""
    if isinstance(value, (set, list, tuple)):
        try:
            return frozenset(value)
        except TypeError:
            return value
    return value
