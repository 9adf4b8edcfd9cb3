"""What a store holds of a case, and what it remembers of the case objects it has seen.

A store appends the transitions of a case it does not hold yet. It compares the case's history
with the stored one by content (`how_held`), never by a version the caller could set, so a
case loaded from another store saves whole, and a save retried after a lost reply records
nothing twice. Comparing costs a read of the stored history; a store skips it for the case
objects it loaded or saved itself, remembering (by identity, for as long as the object lives)
the version and last hash it saw, which the save then checks in its UPDATE.
"""

from __future__ import annotations

import enum
import json
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from reintegration_fsm.case import stage_name
from reintegration_fsm.errors import ConcurrentUpdate, IllegalTransition
from reintegration_fsm.protocol.machine import DISPATCH
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import personal
from reintegration_fsm.stores.digests import LeafKeys, column_digest, entry_keys, is_marker
from reintegration_fsm.stores.digests import payload_digest as tree_digest
from reintegration_fsm.stores.entries import transition_from_row
from reintegration_fsm.stores.failures import conflict
from reintegration_fsm.stores.hashing import canonical_json
from reintegration_fsm.stores.redaction import is_redacted
from reintegration_fsm.stores.rows import as_date
from reintegration_fsm.stores.stored import stored_data, stored_text
from reintegration_fsm.vocabulary import Stage, Trigger

_OPEN = Trigger.OPEN.value


class Held(NamedTuple):
    """What a store last saw of one case object: how much it holds, under which authority,
    (when it knows them) the case's open-items rows by item number, as `rows.item_key`, how
    many redaction records the case had (a redaction since makes the object behind the store),
    and the latest `recorded_at` of its entries (as read, or None when not read): a save that
    does not read the log checks its clock against it (`clocks.refuse_saving_behind`)."""

    version: int
    last_hash: str
    authority: str
    items: Mapping[int, tuple[Any, ...]] | None = None
    redactions: int = 0
    latest_recorded: Any = None


class _Entry(weakref.ref):  # type: ignore[type-arg]
    """A weak reference to a case, carrying its identity key and what the store holds of it."""

    __slots__ = ("held", "key")

    key: int
    held: Held


class Seen:
    """`Held` per case object, keyed by identity and forgotten when the object is collected.

    Identity, not equality: two equal copies of a case in two callers' hands are two objects,
    and a case is not hashable.
    """

    def __init__(self) -> None:
        entries: dict[int, _Entry] = {}

        def forget(entry: _Entry) -> None:
            if entries.get(entry.key) is entry:
                del entries[entry.key]

        self._entries = entries
        self._forget = forget

    def get(self, case: object) -> Held | None:
        """What was remembered of `case`, if anything."""
        found = self._entries.get(id(case))
        if found is None or found() is not case:
            return None
        return found.held

    def put(self, case: object, held: Held) -> None:
        """Remember `held` for `case` (nothing, for an object that takes no weak reference)."""
        try:
            entry = _Entry(case, self._forget)
        except TypeError:
            return
        entry.key = key = id(case)
        entry.held = held
        self._entries[key] = entry


class Compared(NamedTuple):
    """What comparing a case object's history with the stored one found."""

    version: int
    """The stored version: the case holds every stored transition, and those of its history
    after it are new."""
    redacted_since: bool
    """The object shows a value a redaction removed after it was loaded: it is behind the store
    (a save of anything new is refused), though it holds every stored transition."""


BEHIND = -1
"""A count of redaction records no case has: a store remembers it for a case object loaded
before a redaction, so that its next save is compared, never taken on trust."""


def held(
    case_id: str,
    stored: Sequence[Mapping[Any, Any]],
    history: Sequence[Transition],
    notes: Mapping[int, Sequence[Mapping[str, Any]]] | None = None,
    start: int = 0,
) -> Compared:
    """How many of `history`'s transitions the store holds, when it may append the rest.

    Args:
        stored: the stored log entries after the first `start`, oldest first.
        history: the case's transitions.
        notes: the case's redaction rows by seq (a redacted entry holds the transition a case
            loaded since carries, with its placeholders).
        start: how many leading transitions are already known to be held.

    Returns:
        The stored version (the transitions of `history` after it are new; none: the save is a
        no-op, as for a case behind the store with nothing of its own, such as a retry whose
        first attempt did commit), and whether the case was loaded before a redaction.

    Raises:
        ConcurrentUpdate: the histories differ, or the case was loaded before a redaction and
            has something new; the message says which, or whether another case has the id.
    """
    found = start + len(stored)
    common = start
    before_redaction = None  # the first entry redacted since the case object was loaded
    for entry, transition in zip(stored, history[start:], strict=False):
        how = how_held(entry, transition, (notes or {}).get(int(entry["seq"])))
        if how is Holds.NOT:
            break
        if before_redaction is None and how is Holds.BEFORE_REDACTION:
            before_redaction = common + 1
        common += 1
    if common == min(found, len(history)):
        if before_redaction is not None and len(history) > found:
            raise redacted_after_loading(case_id, before_redaction, found)
        return Compared(found, before_redaction is not None)
    if common == 0:
        raise different_case(case_id, found)
    raise appended_first(case_id, common, found)


def refuse_unchained(history: Sequence[Transition], start: int) -> None:
    """Refuse to write the transitions of `history` after the first `start` (those the store
    does not hold) unless each leaves the stage the one before it reached, by a trigger that
    stage allows (so none leaves a final stage, where only `discharge` is allowed, staying
    there): a case built by its triggers always chains so, and a history that does not would
    never replay. A loop over the new transitions only, not a replay: a save is the hot path,
    and a case from outside (`_unchecked`) is replayed before it is written anyway.

    Raises:
        IllegalTransition: the first new transition that does not chain (its `seq`, and the
            stage the case was in), nothing written.
    """
    before: Stage | None = history[start - 1].dest if start else None
    for transition in history[start:]:
        source, trigger = transition.source, transition.trigger
        if source is not before:
            why = (
                f"{trigger} records that it left {stage_name(source)}, but the case was in "
                f"{stage_name(before)}"
            )
        elif source is None:
            if trigger == _OPEN:
                before = transition.dest
                continue
            why = f"{trigger} is the case's first step, which only 'open' can be"
        elif trigger in DISPATCH[source]:
            before = transition.dest
            continue
        else:
            why = None  # the trigger is not available in that stage, as a live one says
        # The stage the case was in; a first transition that is no `open` left none.
        stage = before or source or Stage.PROPOSED
        raise IllegalTransition(trigger, stage, seq=transition.seq, why=why)


def redacted_after_loading(case_id: str, seq: int, found: int) -> ConcurrentUpdate:
    """The case was redacted after this copy of it was loaded, and the copy records a step:
    the step may rest on a value the store no longer holds (the log would not replay)."""
    return conflict(
        case_id,
        found,
        found,
        f"case {case_id!r} was redacted after this copy was loaded (its transition {seq} "
        f"no longer holds every value this copy shows), so this copy is behind the store; "
        f"load it again and redo the step",
    )


def different_case(case_id: str, found: int) -> ConcurrentUpdate:
    """The id is taken by a case whose first transition differs."""
    return conflict(
        case_id,
        0,
        found,
        f"case id {case_id!r} is taken by a different case (its first transition differs "
        f"from this one's); choose another id",
    )


def appended_first(case_id: str, common: int, found: int) -> ConcurrentUpdate:
    """Another writer appended to the case after the transitions this copy shares."""
    return conflict(
        case_id,
        common,
        found,
        f"case {case_id!r}: another writer appended to it first, so this copy is behind the "
        f"store (it shares the first {common} of the store's {found} transitions and then "
        f"differs); load it again and redo the step",
    )


def saving_now(case_id: str, expected: int, unseen: bool = False) -> ConcurrentUpdate:
    """Another writer holds the case's row lock in the middle of its own save; `unseen`: the
    store never loaded or saved the copy, which may be this case or another of its id."""
    if unseen:
        what = (
            "another writer is saving a case of this id at this moment; save again once it "
            "has, to learn whether it is this case (then load it and redo the step) or another"
        )
    else:
        what = (
            "another writer is saving it at this moment and will have appended first; load it "
            "again and redo the step"
        )
    return conflict(case_id, expected, None, f"case {case_id!r}: {what}")


def imported_before(
    stored: Sequence[Mapping[Any, Any]],
    history: Sequence[Transition],
    notes: Mapping[int, Sequence[Mapping[str, Any]]] | None = None,
) -> bool:
    """Whether the stored log entries `stored` (`notes`: the case's redaction rows by seq) hold
    `history` whole and nothing more, compared as a save compares (`held`): an import skips
    such a history, as a save of a case the store holds whole writes nothing, so that an import
    tried again after a failure, or a lost reply to its COMMIT, succeeds. A stored case holding
    part of it, more, or other transitions is not this history's (`already_stored`)."""
    if len(stored) != len(history):
        return False
    try:
        return held("", stored, history, notes).version == len(history)
    except ConcurrentUpdate:
        return False


def already_stored(case_id: str, found: int) -> ConcurrentUpdate:
    """An import met an id the store holds with another history than the import's."""
    return conflict(
        case_id,
        0,
        found,
        f"case id {case_id!r} is already stored, with another history than this one: an "
        f"import adds new cases only (save() appends to a case the store holds)",
    )


class Holds(enum.Enum):
    """Whether, and how, a stored entry records a transition (`how_held`)."""

    NOT = "not"
    """Another transition."""
    AS_STORED = "as stored"
    """The same content, whenever recorded; for a redacted entry, with its placeholders."""
    BEFORE_REDACTION = "before a redaction"
    """The transition as it was saved, showing a value a redaction removed since: a case
    object loaded before that redaction."""


def how_held(
    entry: Mapping[Any, Any],
    transition: Transition,
    notes: Sequence[Mapping[str, Any]] | None = None,
) -> Holds:
    """Whether, and how, the stored `entry` records `transition` (`notes`: its redaction rows).

    A redacted entry holds the redacted transition a case loaded since carries (its
    placeholders), and still the transition it was saved from (its payload digest says so).
    """
    actor = transition.actor
    source = None if transition.source is None else transition.source.value
    if (
        int(entry["seq"]) != transition.seq
        or entry["trigger_name"] != transition.trigger
        or entry["source"] != source
        or entry["dest"] != transition.dest.value
        or entry["actor_role"] != actor.role.value
        or entry["actor_organisation"] != actor.organisation
        or as_date(entry["on_date"]) != transition.on
    ):
        return Holds.NOT
    if (
        entry["actor_id"] == actor.id
        and entry["actor_name"] == actor.name
        and _same_data(entry, transition)
    ):
        return Holds.AS_STORED
    if entry.get("payload_salt") is None or not is_redacted(entry):
        return Holds.NOT
    if transition_from_row(entry, notes) == transition:
        return Holds.AS_STORED
    try:
        stored = stored_data(entry)
        keys = entry_keys(entry, stored)
        if keys is None:  # scheme 2: the digest says whether the removed values were these
            original = tree_digest(entry["payload_salt"], actor.id, actor.name, transition.data)
        else:  # scheme 3: nothing can say what a removed value was; compare those left
            original = _kept_root(entry, stored, transition, keys)
    except (UnicodeEncodeError, ValueError, TypeError, KeyError, IndexError):
        return Holds.NOT
    return Holds.BEFORE_REDACTION if original == entry["payload_digest"] else Holds.NOT


def _kept_root(
    entry: Mapping[Any, Any], stored: Any, transition: Transition, keys: LeafKeys
) -> str:
    """The root of `transition` with the values `entry` removed as it holds them (markers):
    the entry's root when the transition agrees with every value the entry keeps.

    Raises:
        KeyError, IndexError, TypeError: the transition has no value where the entry removed one.
    """
    data = json.loads(canonical_json(transition.data))
    for path, value in personal.leaves(stored, ()):
        if is_marker(value):
            personal.put(data, path, value)
    actor = transition.actor
    actor_id = entry["actor_id"] if column_digest(entry["actor_id"]) else actor.id
    actor_name = entry["actor_name"] if column_digest(entry["actor_name"]) else actor.name
    return tree_digest(entry["payload_salt"], actor_id, actor_name, data, markers=True, keys=keys)


def _same_data(entry: Mapping[Any, Any], transition: Transition) -> bool:
    """True when the stored entry's data is the transition's, compared as data when the text
    differs (an entry written before 0003, or by an earlier version)."""
    data = transition.data
    text = entry["data"]
    if text == stored_text(transition.trigger, data):
        return True
    try:
        return canonical_json(stored_data(entry)) == canonical_json(data)
    except (ValueError, TypeError, AttributeError):
        return False
