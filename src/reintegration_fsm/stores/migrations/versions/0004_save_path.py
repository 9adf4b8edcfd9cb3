"""A save path that does the durable work and nothing more: open items numbered by what they are.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-04

- `rfsm_open_items.item_no` no longer counts an item's place in the case's list (which moved
  every later item when one closed, so each save rewrote them all) but names it: its group
  (a deadline's kind; an obligation's kind and owner) times 1,000,000, plus its place among the
  open items of that group, oldest first. A save then deletes and inserts only the items that
  changed. The upgrade renumbers every row from the row itself, keeping the order within each
  group; nothing else changes, and `verify()` passes after it.
- `ix_rfsm_cases_next_due` goes: no query reads `rfsm_cases` by `next_due`, and every save
  that changes a case's next due date paid for it. Each other index is used by a query on
  SQLite, PostgreSQL and MariaDB (`rfsm_open_items`' two covering indexes: `due()` unscoped and
  scoped to an authority), and stays.

Frozen, like the earlier revisions: the groups are written out here (the vocabulary's order on
the day of this revision). The downgrade numbers each case's items 0, 1, 2... deadlines first
by due date, then obligations by the day they were opened (items of different kinds opened the
same day may then stand in another order than revision 3's own, which its `verify()` reports
until the case's next save rewrites them; downgrading past 0002 rebuilds them from the log).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.stores.migrations import resumable

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STRIDE = 1_000_000
DEADLINE_KINDS = ("place_offer", "first_review", "second_review", "final_review")
OBLIGATION_KINDS = (
    "note_at_panel",
    "share_information_with_host",
    "offer_visit",
    "send_paperwork_to_admissions",
    "complete_joiners_form",
    "mark_dual_registration",
    "complete_leavers_form",
    "transfer_records",
    "return_outcome_form",
    "adjust_weightings",
    "redesignate_transport",
    "send_failure_letter",
    "delete_from_roll",
    "consent_to_deletion",
    "notify_portal",
    "arrange_home_school_meeting",
)
PARTIES = ("ap", "host", "parent", "child", "la", "other")
GROUPS: dict[tuple[str, str | None], int] = {
    **{(kind, None): n for n, kind in enumerate(DEADLINE_KINDS)},
    **{
        (kind, owner): 8 + 8 * k + o
        for k, kind in enumerate(OBLIGATION_KINDS)
        for o, owner in enumerate(PARTIES)
    },
}

items = sa.table(
    "rfsm_open_items",
    sa.column("case_id", sa.String),
    sa.column("item_no", sa.Integer),
    sa.column("authority", sa.String),
    sa.column("item_type", sa.String),
    sa.column("kind", sa.String),
    sa.column("owner", sa.String),
    sa.column("due", sa.Date),
    sa.column("opened_on", sa.Date),
)


def _day(value: Any) -> dt.date:
    if value is None:
        return dt.date.min
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _renumber(number: Any) -> None:
    """Rewrite every case's items with the numbers `number(case_rows)` gives, in order."""
    bind = op.get_bind()
    rows = [
        dict(row)
        for row in bind.execute(
            sa.select(items).order_by(items.c.case_id, items.c.item_no)
        ).mappings()
    ]
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    renumbered = [row for case_rows in by_case.values() for row in number(case_rows)]
    bind.execute(sa.delete(items))
    for start in range(0, len(renumbered), 1000):
        bind.execute(sa.insert(items), renumbered[start : start + 1000])


def _by_identity(case_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    taken: dict[int, int] = {}
    for row in case_rows:  # in revision 3's order: oldest first within each group
        owner = None if row["item_type"] == "deadline" else row["owner"]
        group = GROUPS.get((row["kind"], owner))
        if group is None:  # not a kind this revision knows: verify() reports it
            group = 1 + max(GROUPS.values())
        place = taken.get(group, 0)
        taken[group] = place + 1
        row["item_no"] = group * STRIDE + place
    return case_rows


def _by_place(case_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def order(row: dict[str, Any]) -> tuple[bool, dt.date, int]:
        obligation = row["item_type"] != "deadline"
        day = row["opened_on"] if obligation else row["due"]
        return (obligation, _day(day), int(row["item_no"]))

    ordered = sorted(case_rows, key=order)
    for number, row in enumerate(ordered):
        row["item_no"] = number
    return ordered


def upgrade() -> None:
    """Number every open item by its group and its place in it; drop the unused index."""
    _renumber(_by_identity)
    resumable.drop_index("ix_rfsm_cases_next_due", "rfsm_cases")


def downgrade() -> None:
    """Number every case's open items by their place in the case's list (see above); index
    `next_due` again."""
    resumable.create_index("ix_rfsm_cases_next_due", "rfsm_cases", ["next_due"])
    _renumber(_by_place)
