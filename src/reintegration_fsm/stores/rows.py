"""A case as store rows: the case row, the open items and the ledger (its log entries are
`entries`').

Both stores keep the same rows, so they agree on hashes, on every listing and on `verify()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.fields import folded_name, folded_text
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.model import DEADLINE, OBLIGATION
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party, Stage

Row = dict[str, Any]
Rows = Sequence[Mapping[str, Any]]
"""A table's rows as read back."""
Notes = Mapping[int, Rows]
"""A case's redaction rows, by the seq of the entry they redact, each entry's in order."""


def as_date(value: Any) -> Any:
    """A DATE column's value as a `date` (some drivers hand one back as a datetime)."""
    return value.date() if isinstance(value, datetime) else value


ITEM_STRIDE = 1_000_000
"""Item numbers per group: an item's number is its group's base plus its place in the group."""

_DEADLINE_GROUPS = {kind.value: n for n, kind in enumerate(DeadlineKind)}
_OBLIGATION_GROUPS = {
    (kind.value, owner.value): 8 + 8 * k + o
    for k, kind in enumerate(ObligationKind)
    for o, owner in enumerate(Party)
}
"""Deadlines by kind, then obligations by kind and owner, in the vocabulary's order (new kinds
and parties are added at the end, so no group moves)."""


def holds_ended_reviews(case: Reintegration) -> bool:
    """Whether a store's open items of `case` may hold the unmet reviews of a placement an
    emergency review ended (stage `ending`), as it wrote them before `pending_deadlines` left
    them out: a save then rewrites its items whole, and `verify()` takes either."""
    return case.stage is Stage.ENDING


def item_group(item_type: str, kind: str, owner: str | None) -> int:
    """The group an open item is numbered in: its kind (a deadline), or kind and owner."""
    if item_type == DEADLINE:
        return _DEADLINE_GROUPS[kind]
    return _OBLIGATION_GROUPS[kind, str(owner)]


def open_item_rows(
    case: Reintegration, authority: str, *, with_ended_reviews: bool = False
) -> list[Row]:
    """What still binds: the case's pending deadlines (none once it has ended, no review once
    an emergency review has ended its placement) and its open obligations (an ended case's too).
    With `with_ended_reviews`, also the unmet reviews of a placement ended so: the rows a store
    wrote for a case in `ending` before reviews were left out, which it keeps until the case's
    next save (`holds_ended_reviews`).

    Each is numbered by what it is, not by where it stands: its group's base (`item_group`)
    plus its place among the open items of that group, oldest first. An item keeps its number
    until it or an older item of its group closes (an obligation closes oldest first in its
    group), so a save rewrites only the items that opened or closed and those after a closed
    one in its group.
    """
    rows: list[Row] = [
        {
            "item_type": DEADLINE,
            "kind": deadline.kind.value,
            "owner": None,
            "due": deadline.due,
            "opened_on": None,
        }
        for deadline in (
            [d for d in case.deadlines if d.met_on is None]
            if with_ended_reviews and holds_ended_reviews(case)
            else case.pending_deadlines
        )
    ]
    # Every obligation a transition opened knows its day; one built by hand counts from the
    # case's opening (so the undated query's `opened_on <= :on` stays an index condition).
    opened = case.history[0].on
    rows.extend(
        {
            "item_type": OBLIGATION,
            "kind": obligation.kind.value,
            "owner": obligation.owner.value,
            "due": obligation.due,
            "opened_on": obligation.opened_on or opened,
        }
        for obligation in case.obligations
    )
    case_id = case.case_id
    taken: dict[int, int] = {}
    for row in rows:
        group = item_group(row["item_type"], row["kind"], row["owner"])
        place = taken.get(group, 0)
        if place >= ITEM_STRIDE:
            raise FormInvalid("case", "open items", f"more than {ITEM_STRIDE} of one kind")
        taken[group] = place + 1
        row["case_id"] = case_id
        row["authority"] = authority
        row["item_no"] = group * ITEM_STRIDE + place
    return rows


def item_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an open-items row holds besides its case: equal keys, the same row."""
    return (
        int(row["item_no"]),
        row["item_type"],
        row["kind"],
        row["owner"],
        as_date(row["due"]),
        as_date(row["opened_on"]),
        row["authority"],
    )


def next_due(items: Iterable[Mapping[str, Any]]) -> date | None:
    """The earliest due date among open items, if any has one."""
    return min((item["due"] for item in items if item["due"] is not None), default=None)


def folded(text: str) -> str:
    """`text` as the search columns hold it (`fields.folded_text`, since revision 0013):
    `fields.searched_stretch` narrows by them."""
    return folded_text(text)


def case_row(
    case: Reintegration, authority: str, last_hash: str, items: Sequence[Mapping[str, Any]]
) -> Row:
    """The case row of `case`: its current state and what `cases()` lists and searches."""
    name = case.pupil.name
    return {
        "case_id": case.case_id,
        "authority": authority,
        "pupil_name": name,
        "ap_setting": case.ap_setting,
        "ap_setting_folded": folded_name(case.ap_setting),
        "opened_on": case.history[0].on,
        "case_id_folded": folded(case.case_id),
        "pupil_name_folded": folded(name),
    } | changed_columns(case, last_hash, items)


def changed_columns(case: Reintegration, last_hash: str, items: Sequence[Mapping[str, Any]]) -> Row:
    """The case row's `CHANGING` columns for `case` as it now stands, with its id."""
    return {
        "case_id": case.case_id,
        "stage": case.stage.value,
        "version": case.version,
        "next_due": next_due(items),
        "last_hash": last_hash,
        "host_school": case.host_school,
        "host_school_folded": None if case.host_school is None else folded_name(case.host_school),
        "last_on": case.history[-1].on,
        "state": case._state(),
    }


CHANGING = (
    "stage",
    "version",
    "next_due",
    "last_hash",
    "host_school",
    "host_school_folded",
    "last_on",
    "state",
)
"""The case row's columns a save after the first may change."""


def success_on(history: Sequence[Transition]) -> date | None:
    """The business date of the transition that made the case SUCCESSFUL, if one did."""
    for transition in history:
        if transition.dest is Stage.SUCCESSFUL:
            return transition.on
    return None


def ledger_rows(case: Reintegration, authority: str) -> list[Row]:
    """The case's Fair Access weighting changes, dated by its successful outcome."""
    adjustments = case.weighting_adjustments
    on = success_on(case.history) if adjustments else None
    if on is None:
        return []
    return [
        {
            "case_id": case.case_id,
            "school": school,
            "authority": authority,
            "on_date": on,
            "points": points,
        }
        for school, points in sorted(adjustments.items())
    ]


def succeeded_in(new: Sequence[Transition]) -> bool:
    """True when one of `new` made the case SUCCESSFUL (its ledger rows are due then)."""
    return any(t.dest is Stage.SUCCESSFUL and t.source is not Stage.SUCCESSFUL for t in new)
