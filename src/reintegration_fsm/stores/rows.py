"""A case as store rows and back: the log entries, the case row, the open items and the ledger.

Both stores keep the same rows, so they agree on hashes, on every listing and on `verify()`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.fields import (
    folded_name,
    folded_text,
)
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
from reintegration_fsm.stores.model import (
    DEADLINE,
    OBLIGATION,
)
from reintegration_fsm.stores.redaction import is_redacted, shown
from reintegration_fsm.stores.stored import stored_text
from reintegration_fsm.vocabulary import (
    REDACTED,
    Actor,
    DeadlineKind,
    ObligationKind,
    Party,
    Role,
    Stage,
)

Row = dict[str, Any]


def as_date(value: Any) -> Any:
    """A DATE column's value as a `date` (some drivers hand one back as a datetime)."""
    return value.date() if isinstance(value, datetime) else value


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


# -- the log -------------------------------------------------------------------------------------
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


# -- projections ---------------------------------------------------------------------------------
ITEM_STRIDE = 1_000_000
"""Item numbers per group: an item's number is its group's base plus its place in the group."""

_DEADLINE_GROUPS = {kind.value: n for n, kind in enumerate(DeadlineKind)}
_OBLIGATION_GROUPS = {
    (kind.value, owner.value): 8 + 8 * k + o
    for k, kind in enumerate(ObligationKind)
    for o, owner in enumerate(Party)
}
"""Deadlines by kind, then obligations by kind and owner, in the vocabulary's order (new kinds
and parties are added at the end, so no group moves)."""


def holds_ended_reviews(case: Reintegration) -> bool:
    """Whether a store's open items of `case` may hold the unmet reviews of a placement an
    emergency review ended (stage `ending`), as it wrote them before `pending_deadlines` left
    them out: a save then rewrites its items whole, and `verify()` takes either."""
    return case.stage is Stage.ENDING


def item_group(item_type: str, kind: str, owner: str | None) -> int:
    """The group an open item is numbered in: its kind (a deadline), or kind and owner."""
    if item_type == DEADLINE:
        return _DEADLINE_GROUPS[kind]
    return _OBLIGATION_GROUPS[kind, str(owner)]


def open_item_rows(
    case: Reintegration, authority: str, *, with_ended_reviews: bool = False
) -> list[Row]:
    """What still binds: the case's pending deadlines (none once it has ended, no review once
    an emergency review has ended its placement) and its open obligations (an ended case's too).
    With `with_ended_reviews`, also the unmet reviews of a placement ended so: the rows a store
    wrote for a case in `ending` before reviews were left out, which it keeps until the case's
    next save (`holds_ended_reviews`).

    Each is numbered by what it is, not by where it stands: its group's base (`item_group`)
    plus its place among the open items of that group, oldest first. An item keeps its number
    until it or an older item of its group closes (an obligation closes oldest first in its
    group), so a save rewrites only the items that opened or closed and those after a closed
    one in its group.
    """
    rows: list[Row] = [
        {
            "item_type": DEADLINE,
            "kind": deadline.kind.value,
            "owner": None,
            "due": deadline.due,
            "opened_on": None,
        }
        for deadline in (
            [d for d in case.deadlines if d.met_on is None]
            if with_ended_reviews and holds_ended_reviews(case)
            else case.pending_deadlines
        )
    ]
    # Every obligation a transition opened knows its day; one built by hand counts from the
    # case's opening (so the undated query's `opened_on <= :on` stays an index condition).
    opened = case.history[0].on
    rows.extend(
        {
            "item_type": OBLIGATION,
            "kind": obligation.kind.value,
            "owner": obligation.owner.value,
            "due": obligation.due,
            "opened_on": obligation.opened_on or opened,
        }
        for obligation in case.obligations
    )
    case_id = case.case_id
    taken: dict[int, int] = {}
    for row in rows:
        group = item_group(row["item_type"], row["kind"], row["owner"])
        place = taken.get(group, 0)
        if place >= ITEM_STRIDE:
            raise FormInvalid("case", "open items", f"more than {ITEM_STRIDE} of one kind")
        taken[group] = place + 1
        row["case_id"] = case_id
        row["authority"] = authority
        row["item_no"] = group * ITEM_STRIDE + place
    return rows


def item_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an open-items row holds besides its case: equal keys, the same row."""
    return (
        int(row["item_no"]),
        row["item_type"],
        row["kind"],
        row["owner"],
        as_date(row["due"]),
        as_date(row["opened_on"]),
        row["authority"],
    )


def next_due(items: Iterable[Mapping[str, Any]]) -> date | None:
    """The earliest due date among open items, if any has one."""
    return min((item["due"] for item in items if item["due"] is not None), default=None)


def folded(text: str) -> str:
    """`text` as the search columns hold it (`fields.folded_text`, since revision 0013):
    `fields.searched_stretch` narrows by them."""
    return folded_text(text)


def case_row(
    case: Reintegration, authority: str, last_hash: str, items: Sequence[Mapping[str, Any]]
) -> Row:
    """The case row of `case`: its current state and what `cases()` lists and searches."""
    name = case.pupil.name
    return {
        "case_id": case.case_id,
        "authority": authority,
        "pupil_name": name,
        "ap_setting": case.ap_setting,
        "ap_setting_folded": folded_name(case.ap_setting),
        "opened_on": case.history[0].on,
        "case_id_folded": folded(case.case_id),
        "pupil_name_folded": folded(name),
    } | changed_columns(case, last_hash, items)


def changed_columns(case: Reintegration, last_hash: str, items: Sequence[Mapping[str, Any]]) -> Row:
    """The case row's `CHANGING` columns for `case` as it now stands, with its id."""
    return {
        "case_id": case.case_id,
        "stage": case.stage.value,
        "version": case.version,
        "next_due": next_due(items),
        "last_hash": last_hash,
        "host_school": case.host_school,
        "host_school_folded": None if case.host_school is None else folded_name(case.host_school),
        "last_on": case.history[-1].on,
        "state": case._state(),
    }


CHANGING = (
    "stage",
    "version",
    "next_due",
    "last_hash",
    "host_school",
    "host_school_folded",
    "last_on",
    "state",
)
"""The case row's columns a save after the first may change."""


def success_on(history: Sequence[Transition]) -> date | None:
    """The business date of the transition that made the case SUCCESSFUL, if one did."""
    for transition in history:
        if transition.dest is Stage.SUCCESSFUL:
            return transition.on
    return None


def ledger_rows(case: Reintegration, authority: str) -> list[Row]:
    """The case's Fair Access weighting changes, dated by its successful outcome."""
    adjustments = case.weighting_adjustments
    on = success_on(case.history) if adjustments else None
    if on is None:
        return []
    return [
        {
            "case_id": case.case_id,
            "school": school,
            "authority": authority,
            "on_date": on,
            "points": points,
        }
        for school, points in sorted(adjustments.items())
    ]


def succeeded_in(new: Sequence[Transition]) -> bool:
    """True when one of `new` made the case SUCCESSFUL (its ledger rows are due then)."""
    return any(t.dest is Stage.SUCCESSFUL and t.source is not Stage.SUCCESSFUL for t in new)
