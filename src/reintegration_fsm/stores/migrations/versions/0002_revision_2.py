"""Revision 2: payloads without a size limit, case listing and search, the Fair Access ledger,
due items that know when they were opened, and a log SQLite's REPLACE cannot overwrite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

- `rfsm_transitions.data` is LONGTEXT on MariaDB/MySQL (TEXT stops at 64 KiB).
- `rfsm_cases` gains what `cases()` lists and searches: `pupil_name`, `ap_setting`,
  `host_school`, `opened_on`, `last_on`, and the case-folded id and name.
- `rfsm_open_items` gains `opened_on` (an undated obligation is due from that day), and holds
  only what still binds: an ended case's deadlines go (its obligations stay).
- `rfsm_weightings`: one row per school a successful move adjusted (seed step 10).
- SQLite: a trigger refuses an insert that meets an existing log entry (`INSERT OR REPLACE`).

Every new value is filled from the log itself, so no row is lost and `verify()` passes after
the upgrade. The log's JSON is read here as revision 1 wrote it, without importing the library,
so that this migration runs the same for ever. Frozen: later changes go in new revisions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.mysql import LONGTEXT

from reintegration_fsm.stores.migrations import resumable

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = 100
NAME = 200
FOLDED = 3
FINAL_STAGES = frozenset({"successful", "unsuccessful", "withdrawn"})
WEIGHTING = 3
"""Every revision-1 case ran under the seed's protocol: +3 to the host, -3 to the AP setting."""
CHUNK = 200
"""Cases read and rewritten at a time."""
NO_LOG = date(1970, 1, 1)
"""The dates given to a case row that has no log entries to take them from."""

REFUSAL = "rfsm_transitions is append-only"
SQLITE_NO_REPLACE = (
    "CREATE TRIGGER IF NOT EXISTS rfsm_transitions_no_replace "
    "BEFORE INSERT ON rfsm_transitions "
    "WHEN EXISTS (SELECT 1 FROM rfsm_transitions "
    "WHERE case_id = NEW.case_id AND seq = NEW.seq) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
)

NEW_CASE_COLUMNS = (
    ("pupil_name", sa.String(NAME)),
    ("ap_setting", sa.String(NAME)),
    ("host_school", sa.String(NAME)),
    ("opened_on", sa.Date()),
    ("last_on", sa.Date()),
    ("case_id_folded", sa.String(ID * FOLDED)),
    ("pupil_name_folded", sa.String(NAME * FOLDED)),
)
REQUIRED = (
    "pupil_name",
    "ap_setting",
    "opened_on",
    "last_on",
    "case_id_folded",
    "pupil_name_folded",
)
ITEM_INDEX_COLUMNS = ["due", "case_id", "item_no", "kind", "item_type", "owner"]

log = sa.table(
    "rfsm_transitions",
    sa.column("case_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("trigger_name", sa.String),
    sa.column("dest", sa.String),
    sa.column("on_date", sa.Date),
    sa.column("data", sa.Text),
)
case_rows = sa.table(
    "rfsm_cases",
    sa.column("case_id", sa.String),
    sa.column("authority", sa.String),
    sa.column("next_due", sa.Date),
    *(sa.column(name, type_) for name, type_ in NEW_CASE_COLUMNS),
)


def _items_table(revision: int) -> sa.TableClause:
    """`rfsm_open_items` as `revision` has it."""
    columns: list[sa.ColumnClause[Any]] = [
        sa.column("case_id", sa.String),
        sa.column("item_no", sa.Integer),
        sa.column("authority", sa.String),
        sa.column("item_type", sa.String),
        sa.column("kind", sa.String),
        sa.column("owner", sa.String),
        sa.column("due", sa.Date),
    ]
    if revision == 2:
        columns.append(sa.column("opened_on", sa.Date))
    return sa.table("rfsm_open_items", *columns)


def upgrade() -> None:
    """Add the columns, table, indexes and trigger, then fill them from the log."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect in ("mysql", "mariadb"):
        op.alter_column(
            "rfsm_transitions",
            "data",
            type_=LONGTEXT(),
            existing_type=sa.Text(),
            existing_nullable=False,
        )
    present = resumable.columns("rfsm_cases")
    with op.batch_alter_table("rfsm_cases") as batch:
        for name, type_ in NEW_CASE_COLUMNS:
            if name not in present:
                batch.add_column(sa.Column(name, type_, nullable=True))
    new_item_indexes = {
        "ix_rfsm_open_items_due": [*ITEM_INDEX_COLUMNS, "opened_on"],
        "ix_rfsm_open_items_authority_due": ["authority", *ITEM_INDEX_COLUMNS, "opened_on"],
    }
    resumable.add_column("rfsm_open_items", sa.Column("opened_on", sa.Date, nullable=True))
    for index, on in new_item_indexes.items():  # (each replaces revision 1's of its name)
        resumable.create_index(index, "rfsm_open_items", on)
    resumable.create_table(
        "rfsm_weightings",
        sa.Column("case_id", sa.String(ID), nullable=False),
        sa.Column("school", sa.String(NAME), nullable=False),
        sa.Column("authority", sa.String(NAME), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("case_id", "school", name="pk_rfsm_weightings"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    resumable.create_index(
        "ix_rfsm_weightings_on", "rfsm_weightings", ["on_date", "case_id", "school", "points"]
    )
    resumable.create_index(
        "ix_rfsm_weightings_authority_on",
        "rfsm_weightings",
        ["authority", "on_date", "case_id", "school", "points"],
    )
    _rebuild(bind, revision=2)
    with op.batch_alter_table("rfsm_cases") as batch:
        for name, type_ in NEW_CASE_COLUMNS:
            if name in REQUIRED:
                batch.alter_column(name, existing_type=type_, nullable=False)
    resumable.create_index("ix_rfsm_cases_ap_setting", "rfsm_cases", ["ap_setting"])
    resumable.create_index("ix_rfsm_cases_host_school", "rfsm_cases", ["host_school"])
    resumable.create_index("ix_rfsm_cases_stage", "rfsm_cases", ["stage", "case_id"])
    if dialect == "sqlite":
        op.execute(SQLITE_NO_REPLACE)


def downgrade() -> None:
    """Back to revision 1 (MariaDB refuses it while a payload is over 64 KiB)."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS rfsm_transitions_no_replace")
    for index in ("ix_rfsm_cases_stage", "ix_rfsm_cases_host_school", "ix_rfsm_cases_ap_setting"):
        resumable.drop_index(index, "rfsm_cases")
    present = resumable.columns("rfsm_cases")
    with op.batch_alter_table("rfsm_cases") as batch:
        for name, _ in NEW_CASE_COLUMNS:
            if name in present:
                batch.drop_column(name)
    resumable.drop_table("rfsm_weightings")
    old_item_indexes = {
        "ix_rfsm_open_items_due": ITEM_INDEX_COLUMNS,
        "ix_rfsm_open_items_authority_due": ["authority", *ITEM_INDEX_COLUMNS],
    }
    for index, on in old_item_indexes.items():
        resumable.drop_index(index, "rfsm_open_items", unless_on=on)
    if "opened_on" in resumable.columns("rfsm_open_items"):
        with op.batch_alter_table("rfsm_open_items") as batch:
            batch.drop_column("opened_on")
    for index, on in old_item_indexes.items():
        resumable.create_index(index, "rfsm_open_items", on)
    _rebuild(bind, revision=1)
    if dialect in ("mysql", "mariadb"):
        op.alter_column(
            "rfsm_transitions",
            "data",
            type_=sa.Text(),
            existing_type=LONGTEXT(),
            existing_nullable=False,
        )


# -- filling the projections from the log --------------------------------------------------------
def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class _Case:
    """One case's projections, walked from its log as revision 1 recorded it."""

    def __init__(self, case_id: str, authority: str, entries: Sequence[Any]) -> None:
        self.case_id = case_id
        self.authority = authority
        # A case row without a log (which verify() reports) still needs its dates filled.
        self.opened_on = _day(entries[0].on_date) if entries else NO_LOG
        self.last_on = _day(entries[-1].on_date) if entries else NO_LOG
        self.stage = entries[-1].dest if entries else ""
        self.pupil_name = ""
        self.ap_setting = ""
        self.host_school: str | None = None
        self.deadlines: list[list[Any]] = []  # [kind, due, met]
        self.obligations: list[tuple[str, str, date | None, date | None]] = []
        self.succeeded_on: date | None = None
        self.protocol = "worcestershire"
        try:
            if entries:
                self._walk(entries)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            pass  # a history that does not read: verify() will report it
        # Revision 1 kept a name of any length, this revision's columns NAME characters: one
        # longer is left out of the case row, and a school's out of the ledger (the log keeps
        # it whole), alike on every engine; verify() reports the case, whose history no longer
        # replays (a name is kept to NAME characters since).
        if len(self.pupil_name) > NAME:
            self.pupil_name = ""
        if len(self.ap_setting) > NAME:
            self.ap_setting = ""
        if self.host_school is not None and len(self.host_school) > NAME:
            self.host_school = None

    def _walk(self, entries: Sequence[Any]) -> None:
        opened = json.loads(entries[0].data)
        self.protocol = str((opened.get("protocol") or {}).get("id", "worcestershire"))
        self.pupil_name = str(opened["pupil"]["name"])
        self.ap_setting = str(opened["ap_setting"])
        for entry in entries:
            data = json.loads(entry.data)
            on = _day(entry.on_date)
            if entry.trigger_name == "identify_host":
                self.host_school = str(data["host_school"])
            for item in data.get("deadlines", ()):
                self.deadlines.append([item["kind"], date.fromisoformat(item["due"]), False])
            for ref in data.get("met", ()):
                self._meet(ref)
            for item in data.get("opened", ()):
                due = item.get("due")
                self.obligations.append(
                    (item["kind"], item["owner"], None if due is None else _day(due), on)
                )
            # Layout 1 names a discharged kind; layout 2 (a "schema" key) the closed items.
            discharged = data.get("discharged")
            closed = [(kind, None) for kind in ([discharged] if discharged else [])]
            closed += [(item["kind"], item["owner"]) for item in data.get("closed", ())]
            for kind, owner in closed:
                for index, obligation in enumerate(self.obligations):
                    if obligation[0] == kind and owner in (None, obligation[1]):
                        del self.obligations[index]
                        break
            if entry.dest == "successful" and self.succeeded_on is None:
                self.succeeded_on = on

    def _meet(self, ref: Any) -> None:
        """Layout 1 names a met deadline by its position; layout 2 by its kind and due date."""
        if isinstance(ref, int):
            self.deadlines[ref][2] = True
            return
        due = date.fromisoformat(ref["due"])
        for deadline in self.deadlines:
            if not deadline[2] and deadline[0] == ref["kind"] and deadline[1] == due:
                deadline[2] = True
                return

    def items(self, revision: int) -> list[dict[str, Any]]:
        """Revision 2: what still binds; revision 1: every unmet deadline and open obligation."""
        rows: list[dict[str, Any]] = []
        if revision == 1 or self.stage not in FINAL_STAGES:
            for kind, due, met in self.deadlines:
                if not met:
                    rows.append({"item_type": "deadline", "kind": kind, "owner": None, "due": due})
                    if revision == 2:
                        rows[-1]["opened_on"] = None
        for kind, owner, due, opened_on in self.obligations:
            rows.append({"item_type": "obligation", "kind": kind, "owner": owner, "due": due})
            if revision == 2:
                rows[-1]["opened_on"] = opened_on
        for number, row in enumerate(rows):
            row.update(case_id=self.case_id, authority=self.authority, item_no=number)
        return rows

    def ledger(self) -> list[dict[str, Any]]:
        """The weighting changes of a successful move."""
        if self.stage != "successful" or self.host_school is None or self.succeeded_on is None:
            return []
        if not self.ap_setting:
            return []  # (a name too long for the ledger's column, left out above)
        if self.protocol != "worcestershire":
            # Only a Worcestershire case's points (3) are known here without the library: a
            # database downgraded and upgraded again keeps other protocols' moves out of the
            # ledger until `verify()` reports them and a save writes them again.
            return []
        changes = {self.host_school: WEIGHTING, self.ap_setting: -WEIGHTING}
        return [
            {
                "case_id": self.case_id,
                "school": school,
                "authority": self.authority,
                "on_date": self.succeeded_on,
                "points": points,
            }
            for school, points in sorted(changes.items())
        ]

    def case_values(self, next_due: date | None) -> dict[str, Any]:
        """The case row's columns this revision adds, and its next due date."""
        return {
            "b_case_id": self.case_id,
            "next_due": next_due,
            "pupil_name": self.pupil_name,
            "ap_setting": self.ap_setting,
            "host_school": self.host_school,
            "opened_on": self.opened_on,
            "last_on": self.last_on,
            "case_id_folded": self.case_id.casefold(),
            "pupil_name_folded": self.pupil_name.casefold(),
        }


def _rebuild(bind: sa.Connection, *, revision: int) -> None:
    """Rewrite every case's derived rows as `revision` defines them, a chunk of cases at a time."""
    open_items = _items_table(revision)
    ledger = sa.table(
        "rfsm_weightings",
        sa.column("case_id", sa.String),
        sa.column("school", sa.String),
        sa.column("authority", sa.String),
        sa.column("on_date", sa.Date),
        sa.column("points", sa.Integer),
    )
    authorities = dict(bind.execute(sa.select(case_rows.c.case_id, case_rows.c.authority)).all())
    bind.execute(sa.delete(open_items))
    if revision == 2:  # (MariaDB: a run cut off after filling it, run again)
        bind.execute(sa.delete(ledger))
    values = ["next_due"] if revision == 1 else ["next_due", *(n for n, _ in NEW_CASE_COLUMNS)]
    update = (
        sa.update(case_rows)
        .where(case_rows.c.case_id == sa.bindparam("b_case_id"))
        .values({name: sa.bindparam(name) for name in values})
    )
    case_ids = sorted(authorities)
    for start in range(0, len(case_ids), CHUNK):
        chunk = case_ids[start : start + CHUNK]
        query = (
            sa.select(log.c.case_id, log.c.seq, log.c.trigger_name, log.c.dest, log.c.on_date)
            .add_columns(log.c.data)
            .where(log.c.case_id.in_(chunk))
            .order_by(log.c.case_id, log.c.seq)
        )
        grouped: dict[str, list[Any]] = {}
        for entry in bind.execute(query):
            grouped.setdefault(entry.case_id, []).append(entry)
        updates, item_rows, ledger_rows = [], [], []
        for case_id in chunk:
            case = _Case(case_id, authorities[case_id], grouped.get(case_id, []))
            case_items = case.items(revision)
            next_due = min((i["due"] for i in case_items if i["due"] is not None), default=None)
            row = case.case_values(next_due)
            updates.append({name: row[name] for name in ["b_case_id", *values]})
            item_rows += case_items
            if revision == 2:
                ledger_rows += case.ledger()
        if updates:
            bind.execute(update, updates)
        if item_rows:
            bind.execute(sa.insert(open_items), item_rows)
        if ledger_rows:
            bind.execute(sa.insert(ledger), ledger_rows)
