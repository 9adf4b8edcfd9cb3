"""A case's log entries as store rows and back: each transition salted, digested and chained on,
and the transitions (or the case) a store's entries give."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.protocol.at_rest import StoredTransition
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.digests import (
    derived_keys,
    holds_marker,
    new_key,
    new_salt,
    text_holds_marker,
)
from reintegration_fsm.stores.digests import payload_digest as tree_digest
from reintegration_fsm.stores.hashing import entry_hash
from reintegration_fsm.stores.redaction import is_redacted, shown
from reintegration_fsm.stores.rows import Row
from reintegration_fsm.stores.stored import stored_text
from reintegration_fsm.vocabulary import REDACTED, Actor, Role, Stage


def logged_day(value: Any, seq: Any) -> date:
    """A log entry's `on_date` as a date (SQLite's as its text, or as SQLAlchemy read it).

    Raises:
        FormInvalid: it holds no date: the row was altered behind the store (SQLite keeps
            any text or number in a DATE column).
    """
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if type(value) is str:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise FormInvalid("history", str(seq), f"on_date {value!r} is not a date (the row was altered)")


def logged_stage(value: Any, seq: Any) -> Stage:
    """A log entry's `source` or `dest` as a stage.

    Raises:
        FormInvalid: it names no stage: the row was altered behind the store.
    """
    try:
        return Stage(value)
    except ValueError:
        raise FormInvalid(
            "history", str(seq), f"{value!r} is not a stage (the row was altered)"
        ) from None


def log_rows(
    case_id: str, transitions: Sequence[Transition], prev_hash: str, recorded_at: datetime
) -> list[Row]:
    """The log entries of `transitions`, chained on from `prev_hash`, each with a fresh salt and
    its payload digest (the root of its salted hash tree, see `digests`).

    Raises:
        FormInvalid: a transition's data holds text that is not valid Unicode, or an object
            shaped like a redaction marker (which would read as a removed value).
    """
    rows = []
    for transition in transitions:
        # As held: the library's own data is plain JSON, hashed on the tree's fast path without
        # a frozen copy (nothing here changes it); a caller's is frozen when given.
        data = transition._raw()
        payload = stored_text(transition.trigger, data)
        actor = transition.actor
        salt, key = new_salt(), new_key()
        if text_holds_marker(payload) and holds_marker(data):
            raise FormInvalid(
                "Transition", "data", f"seq {transition.seq} holds a {REDACTED!r} key"
            )
        try:
            payload_digest = tree_digest(salt, actor.id, actor.name, data, keys=derived_keys(key))
        except UnicodeEncodeError:
            raise FormInvalid(
                "Transition", "data", f"seq {transition.seq} holds text that is not valid Unicode"
            ) from None
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
            "payload_digest": payload_digest,
            "payload_salt": salt,
            "payload_key": key,
            "leaf_keys": None,
        }
        prev_hash = row["hash"] = entry_hash(row, prev_hash)
        rows.append(row)
    return rows


def transition_from_row(
    row: Mapping[str, Any], notes: Sequence[Mapping[str, Any]] | None = None
) -> Transition:
    """The transition a log entry records; a removed value shows the placeholder its
    redaction note gives (`notes`: the entry's redaction rows)."""
    source, seq = row["source"], row["seq"]
    actor_id, actor_name, data = shown(row, notes)
    return Transition(
        seq=int(seq),
        trigger=row["trigger_name"],
        source=None if source is None else logged_stage(source, seq),
        dest=logged_stage(row["dest"], seq),
        actor=Actor(actor_id, actor_name, Role(row["actor_role"]), row["actor_organisation"]),
        on=logged_day(row["on_date"], seq),
        data=data,
    )


def transitions_from_rows(
    entries: Iterable[Mapping[str, Any]], notes: Mapping[int, Sequence[Mapping[str, Any]]]
) -> list[Transition]:
    """The transitions of a case's log entries, `notes` being its redaction rows by seq."""
    return [transition_from_row(entry, notes.get(int(entry["seq"]))) for entry in entries]


def transitions_read(
    entries: Sequence[Mapping[str, Any]],
    notes: Mapping[int, Sequence[Mapping[str, Any]]],
    parsed: Sequence[Any],
) -> list[Transition]:
    """As `transitions_from_rows`, given each entry's data already read in full (`stored_data`;
    None where it was not): `verify()` reads each entry's JSON once, for its digest and its
    replay. An entry's data is then its transition's own, frozen only when read through
    `Transition.data`; an entry holding a removed value is read from its row, with its notes.
    """
    actors: dict[tuple[Any, ...], Actor] = {}
    found: list[Transition] = []
    for entry, data in zip(entries, parsed, strict=True):
        seq = int(entry["seq"])
        entry_notes = notes.get(seq)
        if type(data) is not dict or entry_notes or is_redacted(entry):
            found.append(transition_from_row(entry, entry_notes))
            continue
        source = entry["source"]
        source_stage = None if source is None else logged_stage(source, seq)
        dest = logged_stage(entry["dest"], seq)
        actor = shared_actor(actors, entry)
        found.append(
            Transition._owned(
                seq,
                entry["trigger_name"],
                source_stage,
                dest,
                actor,
                logged_day(entry["on_date"], seq),
                functools.partial(_given, data),
            )
        )
    return found


def shared_actor(actors: dict[tuple[Any, ...], Actor], entry: Mapping[str, Any]) -> Actor:
    """The actor of log entry `entry`, one object for every entry of `actors` with the same."""
    key = (
        entry["actor_id"],
        entry["actor_name"],
        entry["actor_role"],
        entry["actor_organisation"],
    )
    actor = actors.get(key)
    if actor is None:
        actor = actors[key] = Actor(key[0], key[1], Role(key[2]), key[3])
    return actor


def _given(data: dict[str, Any]) -> dict[str, Any]:
    return data


def stored_transitions(
    entries: Iterable[Mapping[str, Any]], notes: Mapping[int, Sequence[Mapping[str, Any]]]
) -> list[Transition]:
    """As `transitions_from_rows`, but each entry holding no removed value keeps its data as
    the stored JSON text, parsed only when read, and entries by the same actor share one."""
    actors: dict[tuple[Any, ...], Actor] = {}
    found: list[Transition] = []
    for entry in entries:
        seq = int(entry["seq"])
        entry_notes = notes.get(seq)
        if entry_notes or is_redacted(entry):
            found.append(transition_from_row(entry, entry_notes))
            continue
        actor = shared_actor(actors, entry)
        source = entry["source"]
        # A salted entry's data is at rest (read back in full); an unsalted one's as it is.
        kind = Transition if entry.get("payload_salt") is None else StoredTransition
        found.append(
            kind.from_text(
                seq,
                entry["trigger_name"],
                None if source is None else logged_stage(source, seq),
                logged_stage(entry["dest"], seq),
                actor,
                logged_day(entry["on_date"], seq),
                entry["data"],
            )
        )
    return found


def rebuilt(
    entries: Sequence[Mapping[str, Any]],
    notes: Mapping[int, Sequence[Mapping[str, Any]]],
    state: str | None,
    calendar: Any,
    protocols: Sequence[Any],
) -> Reintegration:
    """The case a store's own log entries and the state it kept beside them give (`resumed`).

    Raises:
        ProtocolError: the log does not replay (see `Reintegration.replay`).
    """
    return resumed(stored_transitions(entries, notes), state, calendar, protocols)


def resumed(
    history: list[Transition], state: str | None, calendar: Any, protocols: Sequence[Any]
) -> Reintegration:
    """The case a store's own history and the state it kept beside it give.

    With a state of the history's length and last stage, the case is resumed without replaying
    (`Reintegration._resume`: the store checked every transition when it wrote it, and
    `verify()` replays every case and compares its state); without one, or with one that does
    not decode or fit, the history is replayed in full.

    Raises:
        ProtocolError: the history does not replay (see `Reintegration.replay`).
    """
    if state is not None:
        try:
            return Reintegration._resume(history, state, calendar, protocols)
        except FormInvalid:
            pass
    return Reintegration.replay(history, calendar, protocols)
