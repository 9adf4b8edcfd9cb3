"""What stores hand back besides cases: due items, case summaries, the weightings ledger and
the problems `verify` finds."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import attrs

from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party, Stage

DEADLINE = "deadline"
OBLIGATION = "obligation"

KINDS: dict[str, DeadlineKind | ObligationKind] = {
    kind.value: kind for kind in (*DeadlineKind, *ObligationKind)
}
"""Stored kind values back to their enums."""
PARTIES: dict[str | None, Party | None] = {None: None, **{party.value: party for party in Party}}
"""Stored owner values back to their enums (None for a deadline)."""


class DueItem(NamedTuple):
    """An unmet deadline or an open obligation of one case, as `due()` lists it.

    A named tuple rather than an attrs class: `due()` builds one per row, and a tuple is built
    in C, about three times faster.
    """

    case_id: str
    kind: DeadlineKind | ObligationKind
    """A `DeadlineKind` or an `ObligationKind` (both `str` enums: `kind == "place_offer"` holds)."""
    due: date | None
    item: str
    """`"deadline"` or `"obligation"`."""
    owner: Party | None = None
    """The party that owes an obligation; None for a deadline."""


class CaseSummary(NamedTuple):
    """One case as `cases()` lists it, read from the case row (no replay)."""

    case_id: str
    pupil_name: str
    stage: Stage
    ap_setting: str
    host_school: str | None
    """None until a host school is identified."""
    local_authority: str
    opened_on: date
    """The business date of the case's `open`."""
    last_on: date
    """The business date of its last transition."""


class LedgerEntry(NamedTuple):
    """One school's Fair Access weighting change from one successful move (seed step 10)."""

    case_id: str
    on: date
    """The business date of the successful outcome."""
    school: str
    points: int
    """Positive for the host school the child joined, negative for the AP setting left."""


@attrs.frozen
class Problem:
    """Something `verify()` found wrong with one case (at one transition when `seq` is set)."""

    case_id: str
    seq: int | None
    what: str
