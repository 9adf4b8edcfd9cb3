"""`verify()`: every stored row checked against the hash chain and against a replay.

Both stores hand their rows to `problems`, so they find the same problems in the same words.
"""

from __future__ import annotations

import datetime as dt
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.stores import checkpoints, opened
from reintegration_fsm.stores.case_checks import check_case, note_stamp
from reintegration_fsm.stores.checkpoints import Checkpoint
from reintegration_fsm.stores.clocks import CLOCK_SLACK, to_the_minute
from reintegration_fsm.stores.entries import transition_from_row
from reintegration_fsm.stores.model import Problem
from reintegration_fsm.stores.redaction import by_seq, numbered
from reintegration_fsm.stores.replay_failures import UNREADABLE, unreadable
from reintegration_fsm.stores.rows import Notes, Rows
from reintegration_fsm.stores.stored import stored_data


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
        taken = f"the checkpoint of {to_the_minute(checkpoint.taken_at)}"
        held = 0 if wanted is None else wanted.version
        found = [
            Problem(
                case_id,
                int(entry["seq"]),
                f"recorded at {to_the_minute(stamp)}, before {taken}, which held the case at "
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
                    f"redaction {note['number']} recorded at {to_the_minute(stamp)}, before "
                    f"{taken}, which held {kept} of the entry's: written after it and dated "
                    "back",
                )
                for note in records[kept:]
                if (stamp := note_stamp(note)) is not None and stamp < latest
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


def left_redacting(entry: str) -> str:
    """What a row naming a log `entry` in `rfsm_redacting` outside a redaction means."""
    return (
        f"rfsm_redacting names {entry} outside a redaction, which lifts the guard on its data "
        "and actor columns: the database was written behind the store (delete the row once "
        "the entry is shown sound)"
    )
