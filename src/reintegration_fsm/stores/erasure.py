"""Planning a redaction: the log columns it changes, the records it adds, the case row's new
summary; checked, before anything is written, to leave a case that still loads.

Both stores run the same plan inside their own transaction (see `redact` on each store). What
it refuses of the request is in `redaction_requests` (who asks, on what day, which paths); the
values it removes, and the copies of a name it takes with them, in `redacted_values`; what its
reason may not quote in `redaction_reasons`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid, ProtocolError, UnknownProtocol
from reintegration_fsm.fields import plain_day
from reintegration_fsm.stores import arguments, personal
from reintegration_fsm.stores.digests import ACTOR_FIELDS, column_digest
from reintegration_fsm.stores.entries import transitions_from_rows
from reintegration_fsm.stores.redacted_values import copied_values, name_copies, removed_values
from reintegration_fsm.stores.redaction import RedactionNote, Removal, note_row, remove
from reintegration_fsm.stores.redaction_reasons import FAMILY_PARTIES as FAMILY_PARTIES
from reintegration_fsm.stores.redaction_reasons import kept_values, refuse_quoting
from reintegration_fsm.stores.redaction_requests import (
    acting_for,
    refuse_earlier,
    refuse_redacting_behind,
    refuse_unmatched,
)
from reintegration_fsm.stores.redaction_requests import check_request as check_request
from reintegration_fsm.stores.rows import Row, case_row
from reintegration_fsm.stores.stored import stored_data
from reintegration_fsm.vocabulary import FAMILY_ROLES, Actor, Role

Targets = Mapping[int | None, Sequence[str]]
"""Paths to remove, by the seq of the entry (None: every entry holding them)."""


CASE_COLUMNS = ("pupil_name", "pupil_name_folded", "state")
"""The case row's columns a redaction can change: the child's name, shown by `cases()`, and the
case's state (which may hold a removed value)."""


@attrs.frozen
class Plan:
    """What one redaction writes."""

    updates: list[Row]
    """For each entry it changes: `seq`, and its new `data`, `actor_id` and `actor_name`."""
    records: list[Row]
    """The `rfsm_redactions` rows it adds."""
    case_changes: Row
    """The case row's columns it changes."""
    notes: list[RedactionNote]


def plan(
    entries: Sequence[Mapping[str, Any]],
    notes: Mapping[int, Sequence[Mapping[str, Any]]],
    targets: Targets,
    reason: str,
    *,
    by: Actor,
    on: dt.date,
    now: dt.datetime,
    authority: str,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any],
    every_case: bool = False,
) -> Plan:
    """The redaction of `targets` in a case whose log is `entries` (its redactions `notes`),
    by staff of a party to the case, or, for a retention run (`every_case`), of the store's.

    A person's name it removes takes every other copy of that name in the case with it
    (`name_copies`), each recorded as a path named is, and listed in its note's `copies`.

    Raises:
        StoreError: this machine's clock reads before the entry it redacts, or a redaction
            record of it, by more than CLOCK_SLACK (not retryable).
        FormInvalid: a path names nothing, or no personal data; nothing is left to remove;
            `on` is before the day an entry it removes values from was recorded; or the
            redacted history would no longer load (a rule compares a removed value with one
            that is still there: remove both in one redaction); or `by` does not act for the
            case's AP setting, host school or authority; or the reason quotes a value it
            removes, or a name, date of birth or address of the child or the family the case
            holds (not a retention run's).
    """
    check_request(reason, by, on)
    if not every_case:  # before any path is looked at: no answer tells another what is there
        problem = acting_for(by, entries)
        if problem is not None:
            raise FormInvalid("redact", "by", problem)
    on = plain_day(on)  # kept as a plain date, as every engine reads it
    by_seq = {int(entry["seq"]): entry for entry in entries}
    removals: dict[int, Removal] = {}
    for seq, patterns in targets.items():
        arguments.seq("redact", seq)
        if not patterns:
            continue
        if seq is None:
            if not every_case:  # (a retention run's paths need not name a value in every case)
                refuse_unmatched(entries, patterns)
            for number, entry in by_seq.items():
                removal = remove(entry, patterns, strict=False)
                if removal.paths:
                    removals[number] = _merged(removals.get(number), removal)
            continue
        if seq not in by_seq:
            raise FormInvalid("redact", "seq", f"the case has no entry {seq}")
        entry = by_seq[seq]
        current = entry if seq not in removals else _applied(entry, removals[seq])
        removal = remove(current, patterns, strict=True)
        if removal.paths:
            removals[seq] = _merged(removals.get(seq), removal)
    if not removals:
        refuse_unmatched(entries, targets.get(None, ()))
        raise FormInvalid(
            "redact", "paths", "nothing to remove: the values named are empty or removed already"
        )
    removed = removed_values(by_seq, removals)
    copies = name_copies(by_seq, removed)
    for seq, paths in copies.items():
        entry = by_seq[seq]
        current = entry if seq not in removals else _applied(entry, removals[seq])
        removals[seq] = _merged(removals.get(seq), remove(current, paths, strict=False))
    if not every_case:  # (a retention run's reason is the store's own fixed words)
        refuse_quoting(reason, [*removed, *copied_values(by_seq, copies), *kept_values(by_seq)])
    # The clock first: a clock behind across midnight puts today before the day an entry was
    # recorded, and U2's refusal ("date it the day it is done") would blame the date typed.
    for seq in removals:
        refuse_redacting_behind(now, by_seq[seq], notes.get(seq, ()))
    refuse_earlier(on, by_seq, removals)
    text = personal.note_text(on, reason)
    changed = [
        _applied(entry, removals[seq]) if seq in removals else dict(entry)
        for seq, entry in sorted(by_seq.items())
    ]
    for seq, removal in removals.items():
        for path in removal.paths:
            leaf = personal.declared(by_seq[seq]["trigger_name"], personal.concrete(path))
            if leaf is not None and not personal.accepts_placeholder(leaf, text):
                raise FormInvalid("redact", "paths", f"{path!r} cannot hold a placeholder")
    all_notes = {seq: list(rows) for seq, rows in notes.items()}
    records: list[Row] = []
    made: list[RedactionNote] = []
    for seq, removal in sorted(removals.items()):
        earlier = all_notes.setdefault(seq, [])
        note = RedactionNote(
            by_seq[seq]["case_id"],
            seq,
            len(earlier) + 1,
            removal.paths,
            reason,
            on,
            now,
            by,
            tuple(copies.get(seq, ())),
        )
        previous = str(earlier[-1]["hash"]) if earlier else str(by_seq[seq]["hash"])
        record = note_row(note, removal.data, previous)
        earlier.append(record)
        records.append(record)
        made.append(note)
    try:
        case = Reintegration.replay(transitions_from_rows(changed, all_notes), calendar, protocols)
    except UnknownProtocol:
        raise  # no rule refused: the store was not given the case's protocol (no value quoted)
    except ProtocolError as error:
        # Not the refusal's own words: they quote the values compared, which are being erased.
        raise FormInvalid(
            "redact",
            "paths",
            f"the redacted history would no longer load: {_refusing(error)} compares a "
            "removed value with one left in place; remove the values a rule compares in one "
            "redaction of every entry (seq=None, or `all` on the command line), e.g. the "
            "child's name and date of birth in the open record and on the consent form",
        ) from None
    summary = case_row(case, authority, "", [])
    return Plan(
        [{"seq": seq, **removal.columns} for seq, removal in sorted(removals.items())],
        records,
        {column: summary[column] for column in CASE_COLUMNS},
        made,
    )


def _refusing(error: ProtocolError) -> str:
    """The rule that refused a redacted history, as a redaction's refusal names it: its step
    and entry where the error holds them."""
    trigger = getattr(error, "trigger", None)
    seq = getattr(error, "seq", None)
    rule = "a rule" if trigger is None else f"the {trigger} step's rule"
    return rule if seq is None else f"{rule} at entry {seq}"


def _applied(entry: Mapping[str, Any], removal: Removal) -> Row:
    return dict(entry) | removal.columns


def _merged(before: Removal | None, after: Removal) -> Removal:
    """Two removals from one entry, the second made on the first's result."""
    if before is None:
        return after
    paths = tuple(dict.fromkeys((*before.paths, *after.paths)))
    return attrs.evolve(after, paths=paths)


def retention_targets(entries: Sequence[Mapping[str, Any]]) -> dict[int | None, list[str]]:
    """Every personal value of a case still there: what a retention run removes.

    Names, dates of birth, addresses, free text about the child and the family, and the names
    of the family's own actors (a parent's, a child's); the staff who acted stay named, as do
    the schools, the stages, dates, deadlines, obligations and departures.
    """
    targets: dict[int | None, list[str]] = {}
    for entry in entries:
        data = stored_data(entry)
        found = [
            personal.dotted(path) for path in personal.personal_paths(entry["trigger_name"], data)
        ]
        if Role(entry["actor_role"]) in FAMILY_ROLES:
            found += [
                f"{personal.ACTOR}.{field}"
                for field in ACTOR_FIELDS
                if column_digest(entry[f"actor_{field}"]) is None
            ]
        if found:
            targets[int(entry["seq"])] = found
    return targets
