"""Calendar dates and times as the library reads them: a date that is not a datetime, and
dates and times written in the one ISO form every supported Python reads alike."""

from __future__ import annotations

import datetime as dt
import re
from typing import TypeGuard

from reintegration_fsm.errors import describe


def is_day(value: object) -> TypeGuard[dt.date]:
    """True for a calendar date, a subclass of `date` too; False for a datetime (the protocol
    counts days, and which day a datetime falls on depends on a time zone) or anything else."""
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def plain_day(value: dt.date) -> dt.date:
    """`value` as a plain `date`: a subclass's day, as JSON and every engine read it back."""
    return value if type(value) is dt.date else dt.date(value.year, value.month, value.day)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECONDS = r"(?::[0-9]{2}(?:\.[0-9]{6})?)?"
_ISO_TIME = re.compile(rf"[0-9]{{2}}:[0-9]{{2}}{_SECONDS}(?:[+-][0-9]{{2}}:[0-9]{{2}}{_SECONDS})?")


def iso_day(text: str) -> dt.date:
    """The day `text` writes as `2026-03-02`: the one form every supported Python reads alike
    (from 3.11 `date.fromisoformat` also takes `20260302` and `2026-W10-1`, which 3.10 refuses,
    so a store holding them would not load there).

    Raises:
        ValueError: any other text, or a day no calendar has.
    """
    if _ISO_DAY.fullmatch(text) is None:
        raise ValueError(f"{describe(text)} is not a date written like 2026-03-02")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:  # "day is out of range for month", naming no day
        raise ValueError(f"{describe(text)} is no such day: {error}") from None


def iso_time(text: str) -> dt.time:
    """The time `text` writes as `09:30` or as `time.isoformat()` does (`09:30:00`, with an
    offset `+01:00`), which every supported Python reads alike.

    Raises:
        ValueError: any other text (`0930`, `T09:30`, `09:30Z`), or no such time.
    """
    if _ISO_TIME.fullmatch(text) is None:
        raise ValueError(f"{describe(text)} is not a time written like 09:30")
    try:
        return dt.time.fromisoformat(text)
    except ValueError as error:  # "hour must be in 0..23", naming no time
        raise ValueError(f"{describe(text)} is no such time: {error}") from None
