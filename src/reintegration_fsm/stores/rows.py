"""A case as store rows and back: the log entries, the case row and the open items.

Both stores keep the same rows, so they agree on hashes, on `due()` and on `verify()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import NotPermitted, ProtocolError
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.hashing import (
    GENESIS,
    canonical_json,
    digest,
    entry_hash,
    redaction_hash,
)
from reintegration_fsm.stores.model import DEADLINE, KINDS, OBLIGATION, PARTIES, DueItem, Problem
from reintegration_fsm.vocabulary import Actor, Role, Stage

Row = dict[str, Any]


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp (whole seconds) every engine stores unchanged."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def log_rows(
    case_id: str, transitions: Sequence[Transition], prev_hash: str, recorded_at: datetime
) -> list[Row]:
    """The log entries of `transitions`, chained on from `prev_hash`."""
    rows = []
    for transition in transitions:
        payload = canonical_json(transition.data)
        actor = transition.actor
        row: Row = {
            "case_id": case_id,
            "seq": transition.seq,
            "trigger_name": transition.trigger,
            "source": None if transition.source is None else transition.source.value,
            "dest": transition.dest.value,
            "actor_id": actor.id,
            "actor_role": actor.role.value,
            "actor_organisation": actor.organisation,
            "actor_name": actor.name,
            "on_date": transition.on,
            "recorded_at": recorded_at,
            "data": payload,
            "payload_digest": digest(payload),
            "prev_hash": prev_hash,
        }
        prev_hash = row["hash"] = entry_hash(row)
        rows.append(row)
    return rows


def transition_from_row(row: Mapping[str, Any]) -> Transition:
    """The transition a log entry records."""
    source = row["source"]
    on = row["on_date"]
    if isinstance(on, datetime):  # some drivers hand a DATE back as a datetime
        on = on.date()
    return Transition(
        seq=int(row["seq"]),
        trigger=row["trigger_name"],
        source=None if source is None else Stage(source),
        dest=Stage(row["dest"]),
        actor=Actor(
            row["actor_id"], row["actor_name"], Role(row["actor_role"]), row["actor_organisation"]
        ),
        on=on,
        data=json.loads(row["data"]),
    )


def refuse_other_authority(authority: str | None, case: Reintegration) -> None:
    """Refuse to save a case of another local authority than a scoped store's.

    Raises:
        NotPermitted: `authority` is set and the case belongs to another one.
    """
    if authority is not None and case.local_authority != authority:
        raise NotPermitted(
            "save",
            None,
            f"case {case.case_id!r} belongs to {case.local_authority!r}, not {authority!r}",
        )


def open_item_rows(case: Reintegration) -> list[Row]:
    """The case's unmet deadlines and open obligations, numbered in the case's own order.

    An ended case's unmet deadlines stay listed: the contract's `due()` is "every unmet
    deadline" (`Reintegration.pending_deadlines` leaves them out, for a reader who wants that).
    """
    rows: list[Row] = []
    for deadline in case.deadlines:
        if deadline.met_on is None:
            rows.append(
                {
                    "item_type": DEADLINE,
                    "kind": deadline.kind.value,
                    "owner": None,
                    "due": deadline.due,
                }
            )
    for obligation in case.obligations:
        rows.append(
            {
                "item_type": OBLIGATION,
                "kind": obligation.kind.value,
                "owner": obligation.owner.value,
                "due": obligation.due,
            }
        )
    for number, row in enumerate(rows):
        row["case_id"] = case.case_id
        row["authority"] = case.local_authority
        row["item_no"] = number
    return rows


def next_due(items: Iterable[Mapping[str, Any]]) -> date | None:
    """The earliest due date among open items, if any has one."""
    return min((item["due"] for item in items if item["due"] is not None), default=None)


def due_item(row: Mapping[str, Any]) -> DueItem:
    """An open-items row as a `DueItem`."""
    due = row["due"]
    if isinstance(due, datetime):
        due = due.date()
    return DueItem(row["case_id"], KINDS[row["kind"]], due, row["item_type"], PARTIES[row["owner"]])


def due_order(row: Mapping[str, Any]) -> tuple[bool, date, str, int]:
    """Soonest first; undated obligations last; ties by case id and the case's own order."""
    due = row["due"]
    return (due is None, date.min if due is None else due, row["case_id"], row["item_no"])


def redaction_row(
    entry: Mapping[str, Any], data: Mapping[str, Any], reason: str, redacted_at: datetime
) -> tuple[Row, str]:
    """The redaction record for replacing `entry`'s payload with `data`, and the new payload text.

    The record's hash is bound to the entry's hash, so that it cannot be moved to another entry.
    """
    text = canonical_json(data)
    row: Row = {
        "case_id": entry["case_id"],
        "seq": entry["seq"],
        "redacted_at": redacted_at,
        "reason": reason,
        "payload_digest": digest(text),
    }
    row["hash"] = redaction_hash(row, entry["hash"])
    return row, text


def _payload_problem(entry: Mapping[str, Any], redaction: Mapping[str, Any] | None) -> str | None:
    if redaction is not None and redaction["hash"] != redaction_hash(redaction, entry["hash"]):
        return "the redaction record does not match its hash"
    text_digest = digest(entry["data"])
    if text_digest == entry["payload_digest"]:
        return None
    if redaction is None:
        return "payload does not match its digest (altered, and no redaction is recorded)"
    if text_digest != redaction["payload_digest"]:
        return "payload matches neither its digest nor its redaction's"
    return None


def check_case(
    case_id: str,
    case_row: Mapping[str, Any] | None,
    entries: Sequence[Mapping[str, Any]],
    calendar: SchoolCalendar | None,
    items: Sequence[Mapping[str, Any]] | None = None,
    redactions: Mapping[int, Mapping[str, Any]] | None = None,
) -> list[Problem]:
    """Everything wrong with one case's rows: its chain, digests (or the redactions that replaced
    them), case row, replay and items."""
    problems: list[Problem] = []

    def problem(seq: int | None, what: str) -> None:
        problems.append(Problem(case_id, seq, what))

    if case_row is None:
        problem(None, "log entries without a case row")
    if not entries:
        problem(None, "a case row without log entries")
        return problems
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        seq = int(entry["seq"])
        if seq != expected_seq:
            problem(seq, f"sequence gap: expected seq {expected_seq}")
        if entry["prev_hash"] != prev:
            problem(seq, "prev_hash does not match the previous entry's hash")
        if entry_hash(entry) != entry["hash"]:
            problem(seq, "entry hash does not match its fields (altered after saving)")
        payload = _payload_problem(entry, (redactions or {}).get(seq))
        if payload is not None:
            problem(seq, payload)
        prev = entry["hash"]
    for seq in sorted((redactions or {}).keys() - {int(entry["seq"]) for entry in entries}):
        problem(seq, "a redaction record for no log entry")
    last = entries[-1]
    if case_row is not None:
        if case_row["version"] != last["seq"]:
            problem(
                None,
                f"case row version {case_row['version']} but the log ends at seq {last['seq']}",
            )
        if case_row["last_hash"] != last["hash"]:
            problem(None, "case row last_hash differs from the log's last hash")
        if case_row["stage"] != last["dest"]:
            problem(
                None, f"case row stage {case_row['stage']!r} but the log ends in {last['dest']!r}"
            )
    try:
        case = Reintegration.replay((transition_from_row(e) for e in entries), calendar)
    except (ProtocolError, ValueError, KeyError, TypeError) as error:
        problem(None, f"history does not replay: {error}")
        return problems
    if case_row is not None and case.stage.value != case_row["stage"]:
        problem(None, f"replay ends in {case.stage.value!r}, case row says {case_row['stage']!r}")
    if case_row is not None and case.local_authority != case_row["authority"]:
        problem(None, "case row authority differs from the history's")
    if items is not None and _item_keys(items) != _item_keys(open_item_rows(case)):
        problem(None, "open items differ from the replayed case's deadlines and obligations")
    return problems


def _item_keys(items: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (int(i["item_no"]), i["item_type"], i["kind"], i["owner"], due_item(i).due) for i in items
    )
