"""Reporting periods: an academic year ("2025/26", 1 September to 31 August) or two dates."""

from __future__ import annotations

import datetime as dt
import re

import attrs

from reintegration_fsm.forms import english_date

_YEAR = re.compile(r"(?P<first>\d{4})\s*[/-]\s*(?P<second>\d{2}|\d{4})")


@attrs.frozen
class Period:
    """A reporting period, both days included, with the name it was asked for by."""

    start: dt.date
    end: dt.date
    name: str = ""

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        """How a heading names it: "2025/26 (1 September 2025 to 31 August 2026)"."""
        span = f"{english_date(self.start)} to {english_date(self.end)}"
        return f"{self.name} ({span})" if self.name else span


def academic_year(text: str) -> Period:
    """The academic year `text` names ("2025/26", "2025-26" or "2025/2026"): 1 September of
    the first year to 31 August of the next.

    Raises:
        ValueError: `text` is not such a year, or its second year does not follow the first.
    """
    match = _YEAR.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an academic year like 2025/26")
    first = int(match.group("first"))
    second = match.group("second")
    following = int(second) if len(second) == 4 else (first + 1) // 100 * 100 + int(second)
    if following != first + 1:
        raise ValueError(f"{text!r}: an academic year runs into the next year ({_named(first)})")
    if not dt.MINYEAR <= first < dt.MAXYEAR:
        raise ValueError(
            f"{text!r}: no such academic year: the years there are run from 0001/02 to 9998/99 "
            "(1 September 9998 to 31 August 9999)"
        )
    return Period(dt.date(first, 9, 1), dt.date(first + 1, 8, 31), _named(first))


def _named(first: int) -> str:
    """The academic year from `first` as it is written: 2025/26 (0001/02, not 1/2)."""
    return f"{first:04}/{(first + 1) % 100:02}"


def current_academic_year(on: dt.date) -> Period:
    """The academic year that `on` falls in."""
    first = on.year if on.month >= 9 else on.year - 1
    return academic_year(_named(first))
