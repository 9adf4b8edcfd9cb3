"""What `verify()` finds wrong with a log entry's payload and its redaction records: a value
changed, added or put back, a value removed that no record names or that is no personal data,
keys kept that should not be, a record out of order or not matching its hash."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from reintegration_fsm.stores import digests, personal
from reintegration_fsm.stores.hashing import SCHEME, digest, redaction_hash, scheme
from reintegration_fsm.stores.redaction import note_from_row
from reintegration_fsm.stores.rows import Rows
from reintegration_fsm.stores.stored import full_data

_ALTERED = (
    "payload does not match its digest: a value was changed or added after saving "
    "(a redaction may only remove values)"
)


def _again(path: str) -> str:
    return f"a redaction record names {path}, which holds a value again"


class _KeyTwice(ValueError):
    """An object of the data gives a key twice: the parser keeps the last, and the text may
    hold a value the digest does not cover (a removed one, put back before its marker)."""


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _KeyTwice
    return found


def _key_problems(entry: Mapping[str, Any], redacted: bool) -> list[str]:
    """What is wrong with a scheme-3 entry's keys: a payload key not 16 bytes, or kept beside
    the leaf keys a redaction left or beside a removed value (whose digest it would let be
    guessed); leaf keys on an entry no redaction removed a value from."""
    payload_key = entry.get("payload_key")
    if payload_key is None:
        if not redacted:
            return ["it keeps leaf keys but no removed value (altered)"]
        return []
    if len(payload_key) != 2 * digests.KEY_BYTES:
        return ["its payload key is not 16 bytes (altered)"]
    if entry.get("leaf_keys") is not None:
        return ["it holds both a payload key and leaf keys (altered)"]
    if redacted:
        return [
            "it keeps its payload key beside a removed value, whose digest can then be "
            "tested against guesses (altered)"
        ]
    return []


def payload_problems(entry: Mapping[str, Any], notes: Rows) -> tuple[list[str], Any]:
    """What is wrong with an entry's payload and its redaction records: a value changed or added
    (the salted tree's root differs), a value removed that no record names or that is no
    personal data, a record that does not match its hash.

    Also returns the data the tree was taken over, parsed and in full, for the replay to read
    (None for an unsalted entry, whose digest is taken over its text, or data that is not JSON).
    """
    found = _note_problems(entry, notes)
    salt = entry.get("payload_salt")
    if salt is None:
        try:
            sound = digest(entry["data"]) == entry["payload_digest"]
        except UnicodeEncodeError:
            sound = False
        if not sound:
            found.append(
                "payload does not match its digest (altered; an entry written before schema "
                "revision 0003 and not re-digested cannot be redacted)"
            )
        return found, None
    try:
        parsed = json.loads(entry["data"], object_pairs_hook=_once)
        if type(parsed) is not dict:
            return [*found, "payload is not JSON the store wrote (not an object)"], None
        data = full_data(entry["trigger_name"], parsed)
    except _KeyTwice:
        return [*found, "payload is not JSON the store wrote (a key given twice)"], None
    except (ValueError, TypeError, AttributeError, UnicodeEncodeError, RecursionError):
        return [*found, "payload is not JSON the store wrote"], None
    named = {path for row in notes for path in note_from_row(row).paths}
    removed = _removed(entry, data)
    try:
        # A redacted scheme-3 entry keeps a key for each value left: one more value (added,
        # or put back) leaves them one short, which is as much an alteration as a root that
        # differs; what the records name is still compared.
        keys = digests.entry_keys(entry, data)
    except (ValueError, TypeError):
        found.append(_ALTERED)
        found += [_again(path) for path in sorted(named - set(removed))]
        return found, data
    if keys is not None:
        found += _key_problems(entry, bool(removed))
    try:
        root = digests.payload_digest(
            salt, entry["actor_id"], entry["actor_name"], data, markers=True, keys=keys
        )
    except (ValueError, TypeError, AttributeError, UnicodeEncodeError, RecursionError):
        return [*found, "payload is not JSON the store wrote"], None
    if root != entry["payload_digest"]:
        found.append(_ALTERED)
        return found, data
    found += [_again(path) for path in sorted(named - set(removed))]
    for path, where in removed.items():
        if path not in named:
            found.append(f"a value removed that no redaction record names ({path})")
        elif where and not personal.personal(personal.declared(entry["trigger_name"], where)):
            found.append(f"a value removed that is no personal data ({path})")
    return found, data


def _removed(entry: Mapping[str, Any], data: Any) -> dict[str, personal.Path]:
    """The removed values' dotted paths, each with its path in the data (empty for an actor's)."""
    removed: dict[str, personal.Path] = {
        f"actor.{field}": ()
        for field in digests.ACTOR_FIELDS
        if digests.column_digest(entry[f"actor_{field}"]) is not None
    }
    text = entry["data"]
    if isinstance(text, str) and not digests.text_holds_marker(text) and "\\u" not in text:
        return removed  # no marker's key in the text, not even spelt with an escape
    for path, value in personal.leaves(data, ()):
        if digests.is_marker(value):
            removed[personal.dotted(path)] = path
    return removed


def hash_of(
    hashed: Callable[[Mapping[str, Any], str], str], row: Mapping[str, Any], previous: str
) -> str | None:
    """The hash of a row; None when a field holds what the store never writes there (a date
    rewritten as other text, which SQLite keeps as it is given): a hash that does not match."""
    try:
        return hashed(row, previous)
    except (ValueError, TypeError, AttributeError):
        return None


def _note_problems(entry: Mapping[str, Any], notes: Rows) -> list[str]:
    found = []
    previous = str(entry["hash"])
    for number, row in enumerate(notes, start=1):
        if int(row.get("number") or 0) != number:
            found.append(f"redaction record {row.get('number')} is out of order ({number} due)")
        if row["hash"] != hash_of(redaction_hash, row, previous):
            found.append(f"the redaction record {row.get('number')} does not match its hash")
        if row.get("paths") is None and (
            number > 1 or scheme(entry) == SCHEME or _names_anyone(row)
        ):
            found.append(_not_legacy(row, number, keyed=scheme(entry) == SCHEME))
        previous = str(row["hash"])
    return found


def _names_anyone(row: Mapping[str, Any]) -> bool:
    """Whether a note names who made it or the business date: the 0003 upgrade kept revision
    2's manual redactions with neither."""
    parts = ("actor_id", "actor_name", "actor_role", "actor_organisation", "redacted_on")
    return any(row.get(part) for part in parts)


def _not_legacy(row: Mapping[str, Any], number: int, *, keyed: bool) -> str:
    """What a note without paths is where revision 2's manual redaction never left one: the
    0003 upgrade kept such a note as its entry's first record, on an entry written before it
    (`keyed`: written since 0011), naming no one."""
    if number > 1:
        where = "after another record"
    elif keyed:
        where = "on an entry written since revision 0011"
    else:
        where = "naming who made it"
    return (
        f"redaction record {row.get('number')} is a note without paths {where}: only the 0003 "
        "upgrade left such notes, each the first record of an entry written before it "
        "(altered)"
    )
