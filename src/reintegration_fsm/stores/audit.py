"""`verify()`: every stored row checked against the hash chain and against a replay.

Both stores hand their rows to `problems`, so they find the same problems in the same words.
"""

from __future__ import annotations

import datetime as dt
import re
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import checkpoints, opened
from reintegration_fsm.stores.checkpoints import Checkpoint
from reintegration_fsm.stores.clocks import CLOCK_SLACK
from reintegration_fsm.stores.entries import transition_from_row, transitions_read
from reintegration_fsm.stores.hashing import GENESIS, entry_hash
from reintegration_fsm.stores.model import Problem
from reintegration_fsm.stores.payload_checks import hash_of, payload_problems
from reintegration_fsm.stores.redaction import by_seq, numbered
from reintegration_fsm.stores.replay_failures import UNREADABLE, failure_kind, unreadable
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
from reintegration_fsm.stores.stored import stored_data

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


def problems(
    case_rows: Mapping[str, Mapping[str, Any]],
    logs: Iterable[tuple[str, Rows]],
    items: Mapping[str, Rows],
    ledger: Mapping[str, Rows],
    redactions: Mapping[str, Rows],
    *,
    scope: str | None,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any] = (),
    checkpoint: Checkpoint | None = None,
    public_key: bytes | str | None = None,
) -> list[Problem]:
    """Every problem in a store's rows, case by case.

    Args:
        case_rows: every case row, of every authority.
        logs: every case's log entries, grouped by case, each group oldest first.
        items, ledger, redactions: every open item, ledger row and redaction record, by case
            (each case's records in order of entry and number).
        scope: the store's authority: only the cases whose row or history is that authority's
            are checked (so an orphaned log, or a case row moved to another authority, of one
            of its cases is still reported).
        checkpoint: also report every case it holds whose log no longer extends it, and what
            is wrong with the checkpoint itself (its root; its signature, with `public_key`).
    """
    audit = Audit(scope=scope, calendar=calendar, protocols=protocols, checkpoint=checkpoint)
    found = audit.batch(case_rows, logs, items, ledger, redactions)
    return found + audit.finish(public_key)


class Audit:
    """`problems`, a batch of cases at a time: a store that streams its log hands each batch
    the rows of one range of case ids (every case row, open item, ledger row and redaction in
    it, with or without a log), so that memory holds a batch, not the store."""

    def __init__(
        self,
        *,
        scope: str | None,
        calendar: SchoolCalendar | None,
        protocols: Sequence[Any] = (),
        checkpoint: Checkpoint | None = None,
        kept: Mapping[opened.Key, opened.Opened] | None = None,
    ) -> None:
        self.scope = scope
        self.calendar = calendar
        self.protocols = protocols
        self.checkpoint = checkpoint
        self.kept = kept
        """The store's `rfsm_protocols` rows, read in the same snapshot as the cases checked
        (each case is checked against them); None until read."""
        self.cases = 0
        """The cases checked so far."""
        self.transitions = 0
        """The log entries of those cases."""
        self._wanted = {} if checkpoint is None else {c.case_id: c for c in checkpoint.cases}
        self._anchors: dict[str, checkpoints.Anchor] = {}

    def batch(
        self,
        case_rows: Mapping[str, Mapping[str, Any]],
        logs: Iterable[tuple[str, Rows]],
        items: Mapping[str, Rows],
        ledger: Mapping[str, Rows],
        redactions: Mapping[str, Rows],
    ) -> list[Problem]:
        """The problems of one range of case ids: `logs` its logs, the rest its other rows
        (`redactions`: each case's records in order of entry and number)."""
        scope, calendar, protocols = self.scope, self.calendar, self.protocols
        found: list[Problem] = []
        checked: set[str] = set()
        for case_id, entries in logs:
            checked.add(case_id)
            row = case_rows.get(case_id)
            case_items, case_ledger = items.get(case_id, ()), ledger.get(case_id, ())
            try:
                if not _visible(scope, row, entries, calendar, protocols) and not any(
                    shown["authority"] == scope for shown in (*case_items, *case_ledger)
                ):
                    # (Rows relabelled with the scope's authority show in its due(),
                    # ledger() and weightings(): its audit checks their case.)
                    continue
                readable, unnumbered = numbered(redactions.get(case_id, ()))
                found += [_unnumbered(case_id, note) for note in unnumbered]
                notes = by_seq(readable)
                found += self.anchored(case_id, entries, notes)
                found += check_case(
                    case_id,
                    row,
                    entries,
                    calendar,
                    case_items,
                    case_ledger,
                    notes,
                    protocols,
                    self.kept,
                )
            except UNREADABLE as error:
                found.append(unreadable(case_id, error))
            self.cases += 1
            self.transitions += len(entries)
        for case_id in sorted(case_rows.keys() - checked):
            row = case_rows[case_id]
            if scope is None or row["authority"] == scope:
                try:
                    found += check_case(case_id, row, [], calendar, protocols=protocols)
                except UNREADABLE as error:
                    found.append(unreadable(case_id, error))
                self.cases += 1
        checked |= case_rows.keys()
        for what, rows_by_case in (("open items", items), ("ledger entries", ledger)):
            for case_id in sorted(rows_by_case.keys() - checked):
                if scope is None or any(r["authority"] == scope for r in rows_by_case[case_id]):
                    found.append(Problem(case_id, None, f"{what} for a case with no log"))
        if scope is None:  # a record names no authority: only an unscoped audit sees them all
            for case_id in sorted(redactions.keys() - checked):
                found.append(Problem(case_id, None, "redaction records for a case with no log"))
        return found

    def anchored(self, case_id: str, entries: Rows, notes: Notes) -> list[Problem]:
        """Keep how a case's log (`entries`, in order) and redaction records (`notes`) stand
        against the checkpoint, for `finish`; and return its entries and records the
        checkpoint does not hold that are dated before it was taken (none without one)."""
        wanted = self._wanted.get(case_id)
        if wanted is not None:
            self._anchors[case_id] = checkpoints.anchor(wanted, entries, notes)
        return self._after_checkpoint(case_id, entries, notes, wanted)

    def _after_checkpoint(
        self,
        case_id: str,
        entries: Rows,
        notes: Notes,
        wanted: checkpoints.CheckpointCase | None,
    ) -> list[Problem]:
        """The entries and redaction records the checkpoint does not hold of the case (`wanted`:
        what it holds), stamped before it was taken: written after it, and dated back (a
        checkpoint of the store's own scope; redaction records from format 2, which holds
        them)."""
        checkpoint = self.checkpoint
        if checkpoint is None or checkpoint.authority != self.scope:
            return []
        latest = checkpoint.taken_at - CLOCK_SLACK
        taken = f"the checkpoint of {checkpoint.taken_at:%Y-%m-%d %H:%M}"
        held = 0 if wanted is None else wanted.version
        found = [
            Problem(
                case_id,
                int(entry["seq"]),
                f"recorded at {stamp:%Y-%m-%d %H:%M}, before {taken}, which held the case at "
                f"{f'entry {held}' if held else 'no entry'}: written after it and dated back",
            )
            for entry in entries[held:]
            if type(stamp := entry.get("recorded_at")) is dt.datetime and stamp < latest
        ]
        if checkpoint.format_version < 2:
            return found
        heads = {} if wanted is None else {head.seq: head.count for head in wanted.redactions}
        for seq, records in sorted(notes.items()):
            kept = heads.get(seq, 0)
            found += [
                Problem(
                    case_id,
                    seq,
                    f"redaction {note['number']} recorded at {stamp:%Y-%m-%d %H:%M}, before "
                    f"{taken}, which held {kept} of the entry's: written after it and dated "
                    "back",
                )
                for note in records[kept:]
                if (stamp := _stamp(note)) is not None and stamp < latest
            ]
        return found

    def tally(self, found: list[Problem]) -> Tally:
        """What this audit checked and gathered, with the problems it `found`, to `add` to
        another (the audit of one range of case ids, checked in another process)."""
        return Tally(found, self.cases, self.transitions, dict(self._anchors))

    def add(self, tally: Tally) -> None:
        """Count another audit's cases and keep its checkpoint anchors."""
        self.cases += tally.cases
        self.transitions += tally.transitions
        self._anchors.update(tally.anchors)

    def finish(self, public_key: bytes | str | None = None) -> list[Problem]:
        """What is wrong with the checkpoint, once every batch is checked (none without one)."""
        if self.checkpoint is None:
            return []
        return checkpoints.problems(self.checkpoint, self.scope, self._anchors, public_key)


def extension_problems(
    checkpoint: Checkpoint,
    scope: str | None,
    logs: Iterable[tuple[str, Rows]],
    redactions: Mapping[str, Rows],
    public_key: bytes | str | None = None,
) -> list[Problem]:
    """What `verify(checkpoint=..., public_key=...)` reports of a checkpoint, and nothing else:
    the store's cases that no longer extend it (gone, truncated, rewritten, a redaction record
    removed or rewritten), entries and records written after it and dated back, and what is
    wrong with the checkpoint itself. A new checkpoint may extend it only when there are none.

    Args:
        scope: the store's authority.
        logs: each case the new checkpoint would hold, with its log entries in order (their
            `seq`, `hash` and `recorded_at` are read).
        redactions: by case, its redaction records (in order of entry and number).
    """
    checking = Audit(scope=scope, calendar=None, checkpoint=checkpoint)
    found: list[Problem] = []
    for case_id, entries in logs:
        readable, _ = numbered(redactions.get(case_id, ()))  # (verify reports the others)
        found += checking.anchored(case_id, entries, by_seq(readable))
    return found + checking.finish(public_key)


@attrs.frozen
class Tally:
    """What an `Audit` of one range of case ids found: its problems, the cases and log entries
    it checked, and the checkpoint's cases as their logs stand (see `Audit.add`)."""

    problems: list[Problem]
    cases: int
    transitions: int
    anchors: dict[str, checkpoints.Anchor]


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
    """The local authority a log's own history names (None when it cannot be read, whatever
    stops it: a scoped audit must not report another authority's unreadable case)."""
    if not entries:
        return None
    try:
        named = stored_data(entries[0]).get("local_authority")
    except UNREADABLE:
        named = None
    if isinstance(named, str):
        return named
    try:
        replayed = Reintegration.replay([transition_from_row(entries[0])], calendar, protocols)
    except UNREADABLE:
        return None
    return replayed.local_authority


def _unnumbered(case_id: str, note: Mapping[str, Any]) -> Problem:
    """The problem of a redaction record whose entry or number is no whole number."""
    seq, number = note.get("seq"), note.get("number")
    return Problem(
        case_id,
        seq if type(seq) is int else None,
        f"the redaction record numbered {reprlib.repr(number)} of entry {reprlib.repr(seq)}: "
        "its entry or number is no whole number (altered; the other checks leave it out)",
    )


def _dated_back(stamp: dt.datetime, before: str, then: dt.datetime) -> str:
    return (
        f"recorded at {stamp:%Y-%m-%d %H:%M}, before {before} ({then:%Y-%m-%d %H:%M}) by more "
        "than two machines' clocks differ: dated back behind the store"
    )


def _stamp(note: Mapping[str, Any]) -> dt.datetime | None:
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
        stamp, (before, then) = _stamp(note), latest
        if stamp is None:
            continue
        if type(then) is dt.datetime:
            if stamp < then - CLOCK_SLACK:
                found.append(f"redaction {note['number']} {_dated_back(stamp, before, then)}")
            if stamp <= then:
                continue
        latest = (f"redaction {note['number']}", stamp)
    return found


def left_redacting(entry: str) -> str:
    """What a row naming a log `entry` in `rfsm_redacting` outside a redaction means."""
    return (
        f"rfsm_redacting names {entry} outside a redaction, which lifts the guard on its data "
        "and actor columns: the database was written behind the store (delete the row once "
        "the entry is shown sound)"
    )


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
