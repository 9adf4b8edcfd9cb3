"""Everything `verify()` finds wrong with one case's rows (`check_case`): its hash chain and
stamps, its case row, its replay, its open items and its ledger entries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import opened
from reintegration_fsm.stores.clocks import CLOCK_SLACK, to_the_minute
from reintegration_fsm.stores.entries import transitions_read
from reintegration_fsm.stores.hashing import GENESIS, entry_hash
from reintegration_fsm.stores.model import Problem
from reintegration_fsm.stores.payload_checks import hash_of, payload_problems
from reintegration_fsm.stores.replay_failures import UNREADABLE, failure_kind
from reintegration_fsm.stores.rows import (
    Notes,
    Rows,
    as_date,
    case_row,
    holds_ended_reviews,
    ledger_rows,
    open_item_rows,
)
from reintegration_fsm.stores.schema import BINARY_COLUMNS, TextDigest

SUMMARY_COLUMNS = (
    "next_due",
    "pupil_name",
    "ap_setting",
    "host_school",
    "opened_on",
    "last_on",
    "case_id_folded",
    "pupil_name_folded",
    "ap_setting_folded",
    "host_school_folded",
)
"""Case-row columns derived from the history, besides the version, hash, stage and authority."""


def _dated_back(stamp: dt.datetime, before: str, then: dt.datetime) -> str:
    return (
        f"recorded at {to_the_minute(stamp)}, before {before} ({to_the_minute(then)}) by more "
        "than two machines' clocks differ: dated back behind the store"
    )


def note_stamp(note: Mapping[str, Any]) -> dt.datetime | None:
    """When a redaction record says it was made, a note the 0003 upgrade kept of revision 2's
    manual procedure too (None for a stamp that is no time: its hash reports it)."""
    stamp = note.get("redacted_at")
    return stamp if type(stamp) is dt.datetime else None


def _notes_dated_back(entry: Mapping[str, Any], notes: Rows) -> list[str]:
    """How the redaction records of `entry` are dated back: before the entry, or before the
    record they follow."""
    found = []
    latest = ("the entry", entry.get("recorded_at"))
    for note in notes:
        stamp, (before, then) = note_stamp(note), latest
        if stamp is None:
            continue
        if type(then) is dt.datetime:
            if stamp < then - CLOCK_SLACK:
                found.append(f"redaction {note['number']} {_dated_back(stamp, before, then)}")
            if stamp <= then:
                continue
        latest = (f"redaction {note['number']}", stamp)
    return found


def _replay_seq(error: BaseException) -> int | None:
    """The transition a replay error names, if it names one."""
    seq = getattr(error, "seq", None)
    if isinstance(seq, int):
        return seq
    if isinstance(error, FormInvalid) and error.form == "history" and error.field.isdigit():
        return int(error.field)
    return None


def _trigger_at(entries: Rows, seq: int | None) -> str:
    if seq is not None:
        for entry in entries:
            if entry["seq"] == seq:
                return f" at its {entry['trigger_name']!r} transition"
    return ""


def check_case(
    case_id: str,
    row: Mapping[str, Any] | None,
    entries: Rows,
    calendar: SchoolCalendar | None,
    items: Rows = (),
    ledger: Rows = (),
    redactions: Notes | None = None,
    protocols: Sequence[Any] = (),
    kept: Mapping[opened.Key, opened.Opened] | None = None,
) -> list[Problem]:
    """Everything wrong with one case's rows: its chain, digests (or the redactions that
    replaced them), case row, replay, open items and ledger entries, and (given `kept`, the
    store's `rfsm_protocols`) the rules the store keeps for its protocol."""
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
    parsed: list[Any] = []
    latest: tuple[int, dt.datetime] | None = None  # the latest stamp so far, and its entry
    escaped: list[bool] = []  # for each entry kept as escaped text: whether its hash holds so
    prev_read = GENESIS  # the previous entry's hash, read back from escaped text where so kept
    for expected_seq, entry in enumerate(entries, start=1):
        read = _unescaped(entry)
        if read is not None:
            escaped.append(hash_of(entry_hash, read, prev_read) == read["hash"])
        prev_read = (read or entry)["hash"]
        seq = int(entry["seq"])
        if seq != expected_seq:
            problem(seq, f"sequence gap: expected seq {expected_seq}")
        stamp = entry.get("recorded_at")
        if type(stamp) is dt.datetime:  # (else a stamp that is no time: the hash reports it)
            if latest is not None and stamp < latest[1] - CLOCK_SLACK:
                problem(seq, _dated_back(stamp, f"entry {latest[0]}", latest[1]))
            if latest is None or stamp >= latest[1]:
                latest = (seq, stamp)
        for column in BINARY_COLUMNS:
            if isinstance(entry.get(column), TextDigest):
                problem(seq, f"its {column} holds text where the store keeps bytes (altered)")
        if hash_of(entry_hash, entry, prev) != entry["hash"]:
            # Its hash covers the previous entry's: a change there shows here too.
            problem(
                seq,
                "entry hash does not match its fields and the previous entry's hash "
                "(altered after saving)",
            )
        payload, data = payload_problems(entry, redactions.get(seq, ()))
        for what in payload:
            problem(seq, what)
        parsed.append(data)
        prev = entry["hash"]
    if escaped:
        problem(None, _escaped_problem(len(escaped), all(escaped)))
    for seq in sorted(redactions.keys() - {int(entry["seq"]) for entry in entries}):
        problem(seq, "a redaction record for no log entry")
    for entry in entries:
        for what in _notes_dated_back(entry, redactions.get(int(entry["seq"]), ())):
            problem(int(entry["seq"]), what)
    last = entries[-1]
    if row is not None:
        if row["version"] != last["seq"]:
            ends = f"the log ends at seq {last['seq']}"
            problem(None, f"case row version {row['version']} but {ends}")
        if row["last_hash"] != last["hash"]:
            problem(None, "case row last_hash differs from the log's last hash")
        if row["stage"] != last["dest"]:
            problem(None, f"case row stage {row['stage']!r} but the log ends in {last['dest']!r}")
        counted = sum(len(notes) for notes in redactions.values())
        if row["redactions"] != counted:
            problem(
                None,
                f"case row counts {row['redactions']} redaction records but the case has {counted}",
            )
    try:
        history = transitions_read(entries, redactions, parsed)
        case = Reintegration.replay(history, calendar, protocols)
    except UNREADABLE as error:
        at = _replay_seq(error)
        problem(at, f"history does not replay{_trigger_at(entries, at)}: {failure_kind(error)}")
        return found
    authority = case.local_authority
    if kept is not None and (other_rules := opened.kept_problem(case, kept)) is not None:
        problem(None, other_rules)
    expected_items = open_item_rows(case, authority)
    if holds_ended_reviews(case) and _unowned(_item_keys(items)) != _unowned(
        _item_keys(expected_items)
    ):
        # Saved in `ending` before its ended reviews were left out: sound until its next save.
        before = open_item_rows(case, authority, with_ended_reviews=True)
        if _unowned(_item_keys(items)) == _unowned(_item_keys(before)):
            expected_items = before
    if row is not None:
        if case.stage.value != row["stage"]:
            problem(None, f"replay ends in {case.stage.value!r}, case row says {row['stage']!r}")
        if authority != row["authority"]:
            problem(None, "case row authority differs from the history's")
        expected = case_row(case, authority, str(last["hash"]), expected_items)
        for column in SUMMARY_COLUMNS:
            if as_date(row[column]) != expected[column]:
                problem(None, f"case row {column} differs from the replayed case's")
        stored_state = row.get("state")
        if stored_state is not None and stored_state != expected["state"]:
            problem(None, "case row state differs from the replayed case's")
    stored_items, replayed_items = _item_keys(items), _item_keys(expected_items)
    if _unowned(stored_items) != _unowned(replayed_items):
        problem(None, "open items differ from the replayed case's deadlines and obligations")
    elif stored_items != replayed_items:
        problem(None, "an open item names another authority than the case's")
    if _ledger_keys(ledger) != _ledger_keys(ledger_rows(case, authority)):
        problem(None, "ledger entries differ from the replayed case's successful outcome")
    return found


_ESCAPED_HEX = re.compile(r"5c78(?:3[0-9]|6[1-6])+")
"""The hex of the bytes of a `\\x...` text: a backslash, `x`, then lower-case hex digits."""


def _unescaped(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The entry with each `BINARY_COLUMNS` value that holds the bytes of its own escaped text
    (`\\x` and its hex, as psycopg's COPY wrote it into a PostgreSQL database with
    `standard_conforming_strings` off before the store set it on: review DK1) read back as the
    value it stands for; None when no value is kept so."""
    found: dict[str, Any] = {}
    for column in BINARY_COLUMNS:
        value = entry.get(column)
        if type(value) is str and _ESCAPED_HEX.fullmatch(value) and len(value) % 4 == 0:
            found[column] = bytes.fromhex(value[4:]).decode("ascii")
    return {**entry, **found} if found else None


def _escaped_problem(count: int, sound: bool) -> str:
    """What `verify()` says of a case whose log keeps hashes as the bytes of their escaped
    text (`_unescaped`), beside the "altered" problems those bytes give."""
    kept = (
        f"{count} of its log entries keep their hashes, digests or keys as the bytes of their "
        "escaped text (\\x...), as an import into PostgreSQL with standard_conforming_strings "
        "off stored them before the store set it on"
    )
    if sound:
        return (
            f"{kept}; read back so, their hashes match: not a sign of tampering by itself. "
            "Import the case again from its source (an export) into a new store"
        )
    return f"{kept}; read back so, their hashes still do not match (altered)"


def _item_keys(items: Rows) -> list[tuple[Any, ...]]:
    # Sorted by item number alone: the other fields mix None and dates, which do not compare.
    keys = [
        (
            int(i["item_no"]),
            i["item_type"],
            i["kind"],
            i["owner"],
            as_date(i["due"]),
            as_date(i["opened_on"]),
            i["authority"],
        )
        for i in items
    ]
    return sorted(keys, key=lambda key: key[0])


def _unowned(keys: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Item keys without the authority (their last field)."""
    return [key[:-1] for key in keys]


def _ledger_keys(rows: Rows) -> list[tuple[Any, ...]]:
    return sorted(
        ((r["school"], as_date(r["on_date"]), int(r["points"]), r["authority"]) for r in rows),
        key=lambda key: str(key[0]),
    )
