"""What stores hand back besides cases: due items and the problems `verify` finds."""

from __future__ import annotations

from datetime import date

import attrs

DEADLINE = "deadline"
OBLIGATION = "obligation"


@attrs.frozen(order=False)
class DueItem:
    """An unmet deadline or an open obligation of one case, as `due()` lists it."""

    case_id: str
    kind: str
    due: date | None
    item: str
    """`"deadline"` or `"obligation"`."""
    owner: str | None = None
    """The party that owes an obligation (`Party` value); None for a deadline."""


@attrs.frozen
class Problem:
    """Something `verify()` found wrong with one case (at one transition when `seq` is set)."""

    case_id: str
    seq: int | None
    what: str
