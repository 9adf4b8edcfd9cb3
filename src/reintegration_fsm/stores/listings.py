"""A store's rows read back as what its listings return: the due items, the case summaries and
the ledger, in their order, and a search's cases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.fields import holds_folded, spellings
from reintegration_fsm.stores.model import KINDS, PARTIES, CaseSummary, DueItem, LedgerEntry
from reintegration_fsm.stores.rows import as_date
from reintegration_fsm.vocabulary import Stage


def found_by(text: str, summaries: Iterable[CaseSummary]) -> list[CaseSummary]:
    """The cases of `summaries` that a search for `text` finds: those whose id or child's name
    holds it, whatever the letters' case, Unicode form or invisible characters
    (`fields.holds_folded`)."""
    return [
        found
        for found in summaries
        if holds_folded(found.case_id, text) or holds_folded(found.pupil_name, text)
    ]


def due_item(row: Mapping[str, Any]) -> DueItem:
    """An open-items row as a `DueItem`."""
    return DueItem(
        row["case_id"],
        KINDS[row["kind"]],
        as_date(row["due"]),
        row["item_type"],
        PARTIES[row["owner"]],
    )


def binds_on(row: Mapping[str, Any], on: date) -> bool:
    """True when an open item is due on `on`: its date has come, or, undated, it is open."""
    due = as_date(row["due"])
    if due is not None:
        return bool(due <= on)
    opened = as_date(row["opened_on"])
    return opened is not None and bool(opened <= on)


def due_order(row: Mapping[str, Any]) -> tuple[bool, date, str, int]:
    """Soonest first; undated obligations last; ties by case id and the case's own order."""
    due = as_date(row["due"])
    return (due is None, date.min if due is None else due, row["case_id"], row["item_no"])


def summary(row: Mapping[Any, Any]) -> CaseSummary:
    """A case row as a `CaseSummary`."""
    return CaseSummary(
        row["case_id"],
        row["pupil_name"],
        Stage(row["stage"]),
        row["ap_setting"],
        row["host_school"],
        row["authority"],
        as_date(row["opened_on"]),
        as_date(row["last_on"]),
    )


def as_stage(stage: Stage | str) -> Stage:
    """A stage given as a `Stage` or its value.

    Raises:
        FormInvalid: it names no stage.
    """
    try:
        return Stage(stage)
    except ValueError:
        raise FormInvalid("cases", "stage", f"{stage!r} is not a stage") from None


def ledger_entry(row: Mapping[Any, Any]) -> LedgerEntry:
    """A weightings row as a `LedgerEntry`."""
    return LedgerEntry(row["case_id"], as_date(row["on_date"]), row["school"], int(row["points"]))


def weighting_totals(entries: Iterable[LedgerEntry]) -> dict[str, int]:
    """Each school's net points from `entries` (in `ledger_order`), by name: a school named in
    several ways (`fields.folded_name`) is one school, under the spelling of its first entry
    (`fields.spellings`)."""
    entries = list(entries)
    shown = spellings(entry.school for entry in entries)
    totals: dict[str, int] = {}
    for entry in entries:
        school = shown[entry.school]
        totals[school] = totals.get(school, 0) + entry.points
    return dict(sorted(totals.items()))


def ledger_order(entry: LedgerEntry) -> tuple[date, str, str]:
    """By date, then case id, then school."""
    return (entry.on, entry.case_id, entry.school)
