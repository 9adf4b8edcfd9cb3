"""Who may ask for a redaction, on what day and of which paths: the requests a redaction
refuses, whatever its plan (`erasure.plan`) removes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from reintegration_fsm.errors import AlteredRow, FormInvalid
from reintegration_fsm.rules import same_name
from reintegration_fsm.stores import arguments, personal
from reintegration_fsm.stores.clocks import refuse_clock_behind
from reintegration_fsm.stores.failures import ALTERED
from reintegration_fsm.stores.redaction import Removal
from reintegration_fsm.stores.stored import stored_data
from reintegration_fsm.vocabulary import ORGANISATION_OF_PARTY, ROLE_WORDS, Actor, Party


def check_request(reason: Any, by: Any, on: Any) -> None:
    """Refuse a redaction without a reason, an actor or a business date.

    Raises:
        FormInvalid: saying which.
    """
    problem = personal.fits(reason)
    if problem is not None:
        raise FormInvalid("redact", "reason", problem)
    if not isinstance(by, Actor):
        raise FormInvalid("redact", "by", f"must be an Actor, not {type(by).__name__}")
    if by.party not in _REDACTING:
        raise FormInvalid(
            "redact",
            "by",
            f"{ROLE_WORDS[by.role]} asks for a redaction, and staff of the case's AP "
            "setting, host school or local authority make it: give theirs, and the request "
            "as its reason",
        )
    arguments.business_day("redact", "on", on)  # a subclass of date is a date, as everywhere


_REDACTING = frozenset({Party.AP, Party.HOST, Party.LA})
"""The parties whose staff redact: those who hold the record, not the family it is about."""


_HOLDERS = {
    "ap_setting": "AP setting",
    "host_school": "host school",
    "local_authority": "local authority",
}
"""Each organisation that holds a case's record, as a sentence names it."""


def acting_for(by: Actor, entries: Sequence[Mapping[str, Any]]) -> str | None:
    """Why `by` does not act for the organisation of its party in the case whose log is
    `entries` (its AP setting, host school or authority, which hold its record), or None."""
    field = ORGANISATION_OF_PARTY[by.party]
    named = [
        data[field]
        for entry in entries
        if entry["trigger_name"] in ("open", "identify_host")
        and isinstance(data := stored_data(entry), Mapping)
        and isinstance(data.get(field), str)
    ]
    if named and same_name(by.organisation, named[-1]):  # as R15 compares them
        return None
    holder = named[-1] if named else None
    return (
        f"{by.name} acts for {by.organisation!r}, not for the case's {_HOLDERS[field]}"
        + ("" if holder is None else f" {holder!r}")
        + ", which holds its record with the other parties"
    )


def refuse_redacting_behind(
    now: dt.datetime, entry: Mapping[str, Any], notes: Sequence[Mapping[str, Any]]
) -> None:
    """Refuse a redaction record stamped `now` that `verify()` would report dated back: before
    the entry it redacts, or a record of it made before, by more than CLOCK_SLACK.

    Raises:
        StoreError: this machine's clock is behind (not retryable); nothing written.
    """
    seq = int(entry["seq"])
    then, follows = entry.get("recorded_at"), f"entry {seq}, which it redacts"
    for note in notes:
        stamp = note.get("redacted_at")
        if type(stamp) is dt.datetime and (type(then) is not dt.datetime or stamp > then):
            then, follows = stamp, f"redaction {note['number']} of entry {seq}"
    case_id = str(entry["case_id"])
    refuse_clock_behind(case_id, now, then, follows, f"redact case {case_id!r}")


def refuse_earlier(
    on: dt.date, by_seq: Mapping[int, Mapping[str, Any]], removals: Mapping[int, Removal]
) -> None:
    """Refuse a redaction dated before the day an entry whose values it removes was recorded
    (`_recorded_day`): a year typed wrong (1926, last year) would show a value removed before
    it was recorded.

    The entry's business date is not compared: R16 lets a step be dated up to a year ahead (a
    step recorded in advance, a case opened for next term), and its values can be removed
    from the day it was written, an erasure request not kept waiting for the date typed on the
    step (review U, U2).

    Raises:
        FormInvalid: naming the first such entry and the day it was recorded.
        AlteredRow: an entry's `recorded_at` holds no time (`_recorded_day`).
    """
    for seq in sorted(removals):
        day = _recorded_day(by_seq[seq])
        if on < day:
            raise FormInvalid(
                "redact",
                "on",
                f"{on.isoformat()} is before entry {seq} (recorded on {day.isoformat()}), whose "
                "values it removes; date it the day it is done",
            )


def _recorded_day(entry: Mapping[str, Any]) -> dt.date:
    """The day a log entry was recorded: its `recorded_at` (naive UTC, as the store stamps it)
    as a date in this machine's local time, as a redaction's "today" is read (its `on` may not
    lie after today).

    Raises:
        AlteredRow: it holds no time: the row was changed behind the store (SQLite keeps any
            text or number in a DATETIME column), which `verify` names.
    """
    stamp = entry["recorded_at"]
    if not isinstance(stamp, dt.datetime):
        raise AlteredRow(
            f"could not redact case {entry['case_id']!r}: {ALTERED}: entry {entry['seq']} is "
            f"recorded at {stamp!r}, which is no time; run verify",
            case_id=entry["case_id"],
        )
    try:
        return stamp.replace(tzinfo=dt.timezone.utc).astimezone().date()
    except (OverflowError, ValueError, OSError):  # at the calendar's ends: no local time
        return stamp.date()


def refuse_unmatched(entries: Sequence[Mapping[str, Any]], patterns: Sequence[str]) -> None:
    """Refuse a path that names no value of any transition (a typo, most likely), or only
    values that are no personal data (as a path of one entry is refused).

    Raises:
        FormInvalid: naming each such path.
    """
    datas = [(entry["trigger_name"], stored_data(entry)) for entry in entries]
    wrong = []
    for text in patterns:
        pattern = personal.parse(text)
        if pattern[0] == personal.ACTOR:
            continue
        found = [
            (trigger, path, data)
            for trigger, data in datas
            for path in personal.expand(data, pattern)
        ]
        if not found:
            wrong.append(f"{text!r} names no value of any transition")
        elif not any(
            personal.personal(personal.declared(trigger, where))
            for trigger, path, data in found
            for where, _ in personal.leaves(personal.get(data, path), path)
        ):
            wrong.append(
                f"{text!r} holds no personal data a redaction may remove (the protocol's "
                "rules, statistics or ledger read it)"
            )
    if wrong:
        raise FormInvalid("redact", "paths", "; ".join(wrong))
