"""What stores hand back besides cases: due items and the problems `verify` finds."""

from __future__ import annotations

from datetime import date

import attrs

from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party

DEADLINE = "deadline"
OBLIGATION = "obligation"

_KINDS: dict[str, DeadlineKind | ObligationKind] = {
    kind.value: kind for kind in (*DeadlineKind, *ObligationKind)
}


def _kind(value: str | DeadlineKind | ObligationKind) -> DeadlineKind | ObligationKind:
    return value if isinstance(value, (DeadlineKind, ObligationKind)) else _KINDS[value]


def _owner(value: str | Party | None) -> Party | None:
    return None if value is None else Party(value)


@attrs.frozen(order=False)
class DueItem:
    """An unmet deadline or an open obligation of one case, as `due()` lists it."""

    case_id: str
    kind: DeadlineKind | ObligationKind = attrs.field(converter=_kind)
    """A `DeadlineKind` or an `ObligationKind` (both `str` enums: `kind == "place_offer"` holds)."""
    due: date | None
    item: str
    """`"deadline"` or `"obligation"`."""
    owner: Party | None = attrs.field(default=None, converter=_owner)
    """The party that owes an obligation; None for a deadline."""


@attrs.frozen
class Problem:
    """Something `verify()` found wrong with one case (at one transition when `seq` is set)."""

    case_id: str
    seq: int | None
    what: str
