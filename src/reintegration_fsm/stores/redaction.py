"""Redactions: who removed which values of a log entry, when and why, and what a reader sees.

A redaction replaces each removed value by its leaf digest (`digests`), so the entry's
payload digest, and with it the hash chain, is unchanged, and records a `RedactionNote` in
`rfsm_redactions` whose hash is bound to the entry's. Reading the entry back, each marker becomes
the placeholder its note gives ("(redacted on 2027-01-05: reason)", see `personal`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import digests, personal
from reintegration_fsm.stores.hashing import canonical_json, digest, redaction_hash
from reintegration_fsm.stores.stored import stored_data, stored_text
from reintegration_fsm.vocabulary import Actor, Role

Row = dict[str, Any]


@attrs.frozen
class RedactionNote:
    """One redaction of one log entry: which values it removed, who removed them, when, why.

    A note of a redaction made by revision 2's manual procedure (kept by the 0003 upgrade) has
    no paths, date or actor: what it removed cannot be shown.
    """

    case_id: str
    seq: int
    number: int
    """The entry's redactions are numbered from 1, in the order they were made."""
    paths: tuple[str, ...]
    """The values removed: `form.parent_name`, `actor.name`, `meeting.attendees.0.name`."""
    reason: str
    on: dt.date | None
    """The business date of the redaction (None on a revision-2 note)."""
    redacted_at: dt.datetime
    """When it was recorded (naive UTC)."""
    by: Actor | None
    copies: tuple[str, ...] = attrs.field(default=(), eq=False)
    """Of `paths`, those the redaction removed as further copies of a person's name it was
    asked to remove (`erasure.plan`): told by the redaction that made the note, not kept
    (a note read back has none; its record names every path alike)."""

    @property
    def legacy(self) -> bool:
        """True for a note of a redaction made by revision 2's manual procedure."""
        return self.on is None

    @property
    def text(self) -> str:
        """What a reader sees in place of each value it removed."""
        if self.on is None:
            return f"(redacted: {self.reason})"
        return personal.note_text(self.on, self.reason)


def _day(text: str) -> dt.date | None:
    """A redaction's day as SQLite keeps it (`YYYY-MM-DD`); None for text written behind the
    store that is no day, as a note with no day reads (its values shown "(redacted: ...)").
    The record's hash, which covers the day, tells it was changed; left as text, the day
    stopped the case's replay, and `verify()` said the history "does not replay:
    AttributeError" beside it."""
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def note_row(note: RedactionNote, payload: str, previous: str) -> Row:
    """The `rfsm_redactions` row of `note`, hashed after `previous` (see `redaction_hash`)."""
    by = note.by
    row: Row = {
        "case_id": note.case_id,
        "seq": note.seq,
        "number": note.number,
        "redacted_at": note.redacted_at,
        "redacted_on": note.on,
        "reason": note.reason,
        "paths": None if note.on is None else canonical_json(list(note.paths)),
        "actor_id": None if by is None else by.id,
        "actor_name": None if by is None else by.name,
        "actor_role": None if by is None else by.role.value,
        "actor_organisation": None if by is None else by.organisation,
        "payload_digest": digest(payload),
    }
    row["hash"] = redaction_hash(row, previous)
    return row


def note_from_row(row: Mapping[str, Any]) -> RedactionNote:
    """A stored redaction row as a note (a row that does not read gives what it can)."""
    paths: tuple[str, ...] = ()
    if row.get("paths"):
        try:
            found = json.loads(row["paths"])
        except ValueError:
            found = []
        paths = tuple(str(p) for p in found) if isinstance(found, list) else ()
    by = None
    if row.get("actor_role"):
        try:
            by = Actor(
                row["actor_id"],
                row["actor_name"],
                Role(row["actor_role"]),
                row["actor_organisation"] or "",
            )
        except (FormInvalid, ValueError):
            by = None
    on = row.get("redacted_on")
    if isinstance(on, str):  # SQLite: a day written behind the store that does not read as one
        on = _day(on)
    return RedactionNote(
        row["case_id"],
        int(row["seq"]),
        int(row.get("number") or 1),
        paths,
        row["reason"],
        on.date() if isinstance(on, dt.datetime) else on,
        row["redacted_at"],
        by,
    )


def by_seq(rows: Iterable[Mapping[str, Any]]) -> dict[int, list[Mapping[str, Any]]]:
    """Redaction rows grouped by the entry they redact, each group in order."""
    grouped: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row["seq"]), []).append(row)
    for group in grouped.values():
        group.sort(key=lambda row: int(row.get("number") or 1))
    return grouped


def numbered(rows: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], list[Any]]:
    """Of redaction rows, those whose `seq` and `number` read as whole numbers, which `by_seq`
    groups, and the others (SQLite keeps a database writer's text in an INTEGER column)."""
    kept: list[Mapping[str, Any]] = []
    others: list[Any] = []
    for row in rows:
        try:
            int(row["seq"])
            int(row.get("number") or 1)
        except (ValueError, TypeError):
            others.append(row)
        else:
            kept.append(row)
    return kept, others


# -- removing values ---------------------------------------------------------------------------
@attrs.frozen
class Removal:
    """An entry's columns once a redaction removed values, and the paths it removed."""

    data: str
    """The text the `data` column keeps (at rest, see `stored`)."""
    actor_id: str
    actor_name: str
    paths: tuple[str, ...]
    payload_key: str | None = None
    """A scheme-3 entry's payload key: None once a redaction removed a value (see `digests`)."""
    leaf_keys: bytes | None = None
    """The leaf keys of the values a scheme-3 entry keeps; None before its first redaction."""

    @property
    def columns(self) -> Row:
        """The log columns the redaction writes, by name."""
        return {
            "data": self.data,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "payload_key": self.payload_key,
            "leaf_keys": self.leaf_keys,
        }


def remove(entry: Mapping[str, Any], patterns: Sequence[str], *, strict: bool) -> Removal:
    """Replace the values `patterns` name in a stored entry by their leaf digests (scheme 3:
    and keep the keys of the values left in place of the payload key).

    A pattern naming a form removes every personal value in it; empty text, nulls and values
    already removed are left. With `strict`, a pattern that names nothing in this entry, or a
    value that is no personal data, is refused (one named entry); without, such patterns are
    skipped (the same paths across a case's entries).

    Raises:
        FormInvalid: as above, or the entry predates salted digests.
    """
    seq = int(entry["seq"])
    salt_hex = entry.get("payload_salt")
    if salt_hex is None:
        raise FormInvalid(
            "redact",
            "seq",
            f"entry {seq} was written before schema revision 0003 and was not re-digested by "
            "its upgrade (its log did not verify then): it cannot be redacted so that verify() "
            "can check it; see docs/evidence.md",
        )
    salt = bytes.fromhex(salt_hex)
    data = stored_data(entry)
    trigger = entry["trigger_name"]
    keys = _keys(entry, data)
    columns = {"id": entry["actor_id"], "name": entry["actor_name"]}
    removed: list[str] = []
    for text in patterns:
        pattern = personal.parse(text)
        if pattern[0] == personal.ACTOR:
            fields = personal.actor_paths(pattern)
            if not fields:
                raise FormInvalid("redact", "paths", f"{text!r}: an actor has only id and name")
            for field in fields:
                value = columns[field]
                if digests.column_digest(value) is None:
                    columns[field] = digests.column_marker(
                        _leaf(salt, ("actor", field), value, keys, seq)
                    )
                    removed.append(f"actor.{field}")
            continue
        found = list(personal.expand(data, pattern))
        if not found and strict:
            raise FormInvalid("redact", "paths", f"{text!r} names no value of entry {seq}")
        for path in found:
            held = False
            for where, value in personal.leaves(personal.get(data, path), path):
                if not personal.personal(personal.declared(trigger, where)):
                    continue
                held = True
                if not isinstance(value, str) or not value.strip():
                    continue  # nothing to remove: empty, null, or removed already
                personal.put(
                    data, where, digests.marker(_leaf(salt, ("data", *where), value, keys, seq))
                )
                removed.append(personal.dotted(where))
            if strict and not held:
                raise FormInvalid(
                    "redact",
                    "paths",
                    f"{personal.dotted(path)!r} of entry {seq} holds no personal data a "
                    "redaction may remove (the protocol's rules, statistics or ledger read it)",
                )
    paths = tuple(dict.fromkeys(removed))
    if keys is None or not paths:
        return Removal(
            stored_text(trigger, data),
            columns["id"],
            columns["name"],
            paths,
            entry.get("payload_key"),
            entry.get("leaf_keys"),
        )
    # Scheme 3: keep the keys of the values left, and with the payload key drop every key
    # of a value removed (`digests`).
    kept = digests.keys_kept(keys, digests.leaf_paths(columns["id"], columns["name"], data))
    if kept is None:
        raise _unkeyed(seq)
    return Removal(stored_text(trigger, data), columns["id"], columns["name"], paths, None, kept)


def _keys(entry: Mapping[str, Any], data: Any) -> digests.LeafKeys | None:
    """A scheme-3 entry's leaf keys (None for an earlier scheme's).

    Raises:
        FormInvalid: its keys do not read, or it holds both a payload key and leaf keys (the
            row was altered: a redaction would rewrite both, and `verify()` would no longer
            report it).
    """
    if entry.get("payload_key") is not None and entry.get("leaf_keys") is not None:
        raise FormInvalid(
            "redact",
            "seq",
            f"entry {int(entry['seq'])} holds both a payload key and leaf keys: the row was "
            "altered (verify() reports it); it cannot be redacted",
        )
    try:
        return digests.entry_keys(entry, data)
    except ValueError:
        raise _unkeyed(int(entry["seq"])) from None


def _leaf(
    salt: bytes, path: digests.Path, value: Any, keys: digests.LeafKeys | None, seq: int
) -> str:
    """A value's leaf digest, which its marker keeps.

    Raises:
        FormInvalid: the entry holds no key for it (the row was altered).
    """
    found = digests.leaf(salt, path, value, keys)
    if found == digests.NO_KEY:
        raise _unkeyed(seq)
    return found


def _unkeyed(seq: int) -> FormInvalid:
    return FormInvalid(
        "redact",
        "seq",
        f"entry {seq} does not hold a key for each of its values: the row was altered "
        "(verify() reports it); it cannot be redacted",
    )


# -- reading redacted entries back -------------------------------------------------------------
def shown(
    entry: Mapping[str, Any], notes: Sequence[Mapping[str, Any]] | None
) -> tuple[str, str, Any]:
    """A stored entry's actor id, actor name and data as a loaded case holds them: each removed
    value replaced by the placeholder its redaction note gives."""
    data = stored_data(entry)
    actor_id, actor_name = entry["actor_id"], entry["actor_name"]
    if not notes and not (
        digests.text_holds_marker(entry["data"])
        or digests.column_digest(actor_id) is not None
        or digests.column_digest(actor_name) is not None
    ):
        return actor_id, actor_name, data
    texts = _texts(notes or ())
    if digests.column_digest(actor_id) is not None:
        actor_id = texts.get("actor.id", "(redacted)")
    if digests.column_digest(actor_name) is not None:
        actor_name = texts.get("actor.name", "(redacted)")
    trigger = entry["trigger_name"]
    for path, value in list(personal.leaves(data, ())):
        if digests.is_marker(value):
            text = texts.get(personal.dotted(path), "(redacted)")
            personal.put(data, path, personal.placeholder(personal.declared(trigger, path), text))
    return actor_id, actor_name, data


def _texts(notes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for row in notes:
        note = note_from_row(row)
        for path in note.paths:
            texts[path] = note.text
    return texts


def is_redacted(entry: Mapping[str, Any]) -> bool:
    """True when a stored entry holds a removed value (in its data or its actor columns)."""
    return (
        digests.text_holds_marker(entry["data"])
        or digests.column_digest(entry["actor_id"]) is not None
        or digests.column_digest(entry["actor_name"]) is not None
    )
