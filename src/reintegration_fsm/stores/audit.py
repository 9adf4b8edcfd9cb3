"""`verify()`: every stored row checked against the hash chain and against a replay.

Both stores hand their rows to `problems`, so they find the same problems in the same words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import ProtocolError
from reintegration_fsm.stores.hashing import GENESIS, digest, entry_hash, redaction_hash
from reintegration_fsm.stores.model import Problem
from reintegration_fsm.stores.rows import (
    as_date,
    case_row,
    ledger_rows,
    open_item_rows,
    transition_from_row,
)

Rows = Sequence[Mapping[str, Any]]

SUMMARY_COLUMNS = (
    "next_due",
    "pupil_name",
    "ap_setting",
    "host_school",
    "opened_on",
    "last_on",
    "case_id_folded",
    "pupil_name_folded",
)
"""Case-row columns derived from the history, besides the version, hash, stage and authority."""


def problems(
    case_rows: Mapping[str, Mapping[str, Any]],
    logs: Iterable[tuple[str, Rows]],
    items: Mapping[str, Rows],
    ledger: Mapping[str, Rows],
    redactions: Mapping[str, Mapping[int, Mapping[str, Any]]],
    *,
    scope: str | None,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any] = (),
) -> list[Problem]:
    """Every problem in a store's rows, case by case.

    Args:
        case_rows: every case row, of every authority.
        logs: every case's log entries, grouped by case, each group oldest first.
        items, ledger, redactions: every open item, ledger row and redaction, by case.
        scope: the store's authority: only the cases whose row or history is that authority's
            are checked (so an orphaned log, or a case row moved to another authority, of one
            of its cases is still reported).
    """
    found: list[Problem] = []
    checked: set[str] = set()
    for case_id, entries in logs:
        checked.add(case_id)
        row = case_rows.get(case_id)
        if not _visible(scope, row, entries, calendar, protocols):
            continue
        found += check_case(
            case_id,
            row,
            entries,
            calendar,
            items.get(case_id, ()),
            ledger.get(case_id, ()),
            redactions.get(case_id, {}),
            protocols,
        )
    for case_id in sorted(case_rows.keys() - checked):
        row = case_rows[case_id]
        if scope is None or row["authority"] == scope:
            found += check_case(case_id, row, [], calendar, protocols=protocols)
    checked |= case_rows.keys()
    for what, rows_by_case in (("open items", items), ("ledger entries", ledger)):
        for case_id in sorted(rows_by_case.keys() - checked):
            if scope is None or any(r["authority"] == scope for r in rows_by_case[case_id]):
                found.append(Problem(case_id, None, f"{what} for a case with no log"))
    return found


def _visible(
    scope: str | None,
    row: Mapping[str, Any] | None,
    entries: Rows,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any],
) -> bool:
    if scope is None or (row is not None and row["authority"] == scope):
        return True
    return history_authority(entries, calendar, protocols) == scope


def history_authority(
    entries: Rows, calendar: SchoolCalendar | None, protocols: Sequence[Any] = ()
) -> str | None:
    """The local authority a log's own history names (None when it cannot be read)."""
    if not entries:
        return None
    try:
        named = json.loads(entries[0]["data"]).get("local_authority")
    except (ValueError, AttributeError, TypeError):
        named = None
    if isinstance(named, str):
        return named
    try:
        replayed = Reintegration.replay([transition_from_row(entries[0])], calendar, protocols)
    except (ProtocolError, ValueError, KeyError, TypeError):
        return None
    return replayed.local_authority


def check_case(
    case_id: str,
    row: Mapping[str, Any] | None,
    entries: Rows,
    calendar: SchoolCalendar | None,
    items: Rows = (),
    ledger: Rows = (),
    redactions: Mapping[int, Mapping[str, Any]] | None = None,
    protocols: Sequence[Any] = (),
) -> list[Problem]:
    """Everything wrong with one case's rows: its chain, digests (or the redactions that
    replaced them), case row, replay, open items and ledger entries."""
    found: list[Problem] = []

    def problem(seq: int | None, what: str) -> None:
        found.append(Problem(case_id, seq, what))

    if row is None:
        problem(None, "log entries without a case row")
    if not entries:
        problem(None, "a case row without log entries")
        return found
    redactions = redactions or {}
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        seq = int(entry["seq"])
        if seq != expected_seq:
            problem(seq, f"sequence gap: expected seq {expected_seq}")
        if entry["prev_hash"] != prev:
            problem(seq, "prev_hash does not match the previous entry's hash")
        if entry_hash(entry) != entry["hash"]:
            problem(seq, "entry hash does not match its fields (altered after saving)")
        payload = _payload_problem(entry, redactions.get(seq))
        if payload is not None:
            problem(seq, payload)
        prev = entry["hash"]
    for seq in sorted(redactions.keys() - {int(entry["seq"]) for entry in entries}):
        problem(seq, "a redaction record for no log entry")
    last = entries[-1]
    if row is not None:
        if row["version"] != last["seq"]:
            ends = f"the log ends at seq {last['seq']}"
            problem(None, f"case row version {row['version']} but {ends}")
        if row["last_hash"] != last["hash"]:
            problem(None, "case row last_hash differs from the log's last hash")
        if row["stage"] != last["dest"]:
            problem(None, f"case row stage {row['stage']!r} but the log ends in {last['dest']!r}")
    try:
        case = Reintegration.replay((transition_from_row(e) for e in entries), calendar, protocols)
    except (ProtocolError, ValueError, KeyError, TypeError) as error:
        problem(None, f"history does not replay: {error}")
        return found
    authority = case.local_authority
    expected_items = open_item_rows(case, authority)
    if row is not None:
        if case.stage.value != row["stage"]:
            problem(None, f"replay ends in {case.stage.value!r}, case row says {row['stage']!r}")
        if authority != row["authority"]:
            problem(None, "case row authority differs from the history's")
        expected = case_row(case, authority, str(last["hash"]), expected_items)
        for column in SUMMARY_COLUMNS:
            if as_date(row[column]) != expected[column]:
                problem(None, f"case row {column} differs from the replayed case's")
    if _item_keys(items, authority=False) != _item_keys(expected_items, authority=False):
        problem(None, "open items differ from the replayed case's deadlines and obligations")
    elif _item_keys(items) != _item_keys(expected_items):
        problem(None, "an open item names another authority than the case's")
    if _ledger_keys(ledger) != _ledger_keys(ledger_rows(case, authority)):
        problem(None, "ledger entries differ from the replayed case's successful outcome")
    return found


def _payload_problem(entry: Mapping[str, Any], redaction: Mapping[str, Any] | None) -> str | None:
    if redaction is not None and redaction["hash"] != redaction_hash(redaction, entry["hash"]):
        return "the redaction record does not match its hash"
    try:
        text_digest = digest(entry["data"])
    except UnicodeEncodeError:
        text_digest = ""
    if text_digest == entry["payload_digest"]:
        return None
    if redaction is None:
        return "payload does not match its digest (altered, and no redaction is recorded)"
    if text_digest != redaction["payload_digest"]:
        return "payload matches neither its digest nor its redaction's"
    return None


def _item_keys(items: Rows, *, authority: bool = True) -> list[tuple[Any, ...]]:
    # Sorted by item number alone: the other fields mix None and dates, which do not compare.
    keys = [
        (
            int(i["item_no"]),
            i["item_type"],
            i["kind"],
            i["owner"],
            as_date(i["due"]),
            as_date(i["opened_on"]),
            i["authority"] if authority else "",
        )
        for i in items
    ]
    return sorted(keys, key=lambda key: key[0])


def _ledger_keys(rows: Rows) -> list[tuple[Any, ...]]:
    return sorted(
        ((r["school"], as_date(r["on_date"]), int(r["points"]), r["authority"]) for r in rows),
        key=lambda key: str(key[0]),
    )
