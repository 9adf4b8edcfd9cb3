"""The audit log's hash chain: a canonical encoding of each transition and its SHA-256.

A log entry's hash covers its stored fields and `prev_hash`, the hash of the case's previous
entry (`GENESIS` for the first), which the log reads from that entry rather than keeping it again
in each row (since schema revision 0008). What it says about people reaches the hash through
`payload_digest`:

- an entry written since schema revision 0003 (it has a `payload_salt`) is hashed over
  `HASHED_FIELDS` and its payload digest, the root of a salted hash tree over its actor's id and
  name and its data (`digests`), so a redaction can remove any of them and leave the chain intact,
  and its digest scheme: 3 since revision 0011 (a key for each value), else 2;
- an entry written before (no salt; one the 0003 upgrade could not re-digest) is hashed over
  `LEGACY_HASHED_FIELDS`, its payload digest being the SHA-256 of the data's canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any, NoReturn

GENESIS = "0" * 64
"""The `prev_hash` of a case's first log entry."""

LEGACY_HASHED_FIELDS = (
    "case_id",
    "seq",
    "trigger_name",
    "source",
    "dest",
    "actor_id",
    "actor_role",
    "actor_organisation",
    "actor_name",
    "on_date",
    "recorded_at",
    "payload_digest",
    "prev_hash",
)
"""The log columns an unsalted (pre-0003) entry's hash covers; its data through its digest."""

HASHED_FIELDS = (
    "case_id",
    "seq",
    "trigger_name",
    "source",
    "dest",
    "actor_role",
    "actor_organisation",
    "on_date",
    "recorded_at",
    "payload_digest",
    "prev_hash",
)
"""The log columns a salted entry's hash covers directly; its actor's id and name and its data
reach it through `payload_digest` (the tree's root)."""

SCHEME = 3
"""The digest scheme of the entries a save writes: 3 since schema revision 0011 (a key per
leaf, see `digests`), 2 before (the salt alone). Hashed with a salted entry's fields (as
`scheme`), so that no unsalted entry's encoding can equal it."""


def scheme(row: Mapping[str, Any]) -> int:
    """A salted entry's digest scheme: 3 when it holds a payload key or the leaf keys a
    redaction kept, else 2. The entry's hash covers it: a row moved to the other changes it."""
    if row.get("payload_key") is not None or row.get("leaf_keys") is not None:
        return SCHEME
    return 2


_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _reject_float(text: str) -> NoReturn:
    raise ValueError(f"floats are not allowed in hashed data ({text})")


def canonical_json(value: Any) -> str:
    """The canonical JSON text of `value`: sorted keys, no spaces, UTF-8, no floats.

    Raises:
        ValueError: `value` holds a float (whose text form is not portable) or a non-JSON type.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        elif kind is float:
            _reject_float(repr(item))
    return _encoder.encode(value)


def digest(text: str) -> str:
    """The hex SHA-256 of `text` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def timestamp_text(moment: datetime) -> str:
    """A naive-UTC timestamp as the chain encodes it (`2026-01-12T09:30:00Z`)."""
    if type(moment) is datetime and moment.tzinfo is None:
        # The same text without building a new datetime (verify() hashes every entry).
        return moment.isoformat(timespec="seconds") + "Z"
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


REDACTION_FIELDS = (
    "case_id",
    "seq",
    "number",
    "redacted_at",
    "redacted_on",
    "reason",
    "paths",
    "actor_id",
    "actor_name",
    "actor_role",
    "actor_organisation",
    "payload_digest",
)
"""The redaction columns its hash covers, besides the hash it follows (see `redaction_hash`)."""


def _day_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def redaction_hash(row: Mapping[str, Any], previous: str) -> str:
    """The hash of a redaction record, bound to `previous`: the hash of the entry it redacts for
    an entry's first redaction, else the hash of that entry's previous redaction record.

    Moved to another entry, reordered, or with a field changed, a record no longer matches.
    """
    fields = {name: row.get(name) for name in REDACTION_FIELDS}
    fields["redacted_at"] = timestamp_text(row["redacted_at"])
    fields["redacted_on"] = _day_text(fields["redacted_on"])
    fields["previous"] = previous
    return digest(_encoder.encode(fields))


def entry_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of one log entry, from its stored fields (`HASHED_FIELDS` with its salt, else
    `LEGACY_HASHED_FIELDS`) and `prev_hash`, the hash of the case's previous entry (`GENESIS`
    for the first): the log does not keep it twice (since schema revision 0008)."""
    salted = row.get("payload_salt") is not None
    fields: dict[str, Any] = {
        name: prev_hash if name == "prev_hash" else row[name]
        for name in (HASHED_FIELDS if salted else LEGACY_HASHED_FIELDS)
    }
    fields["on_date"] = _day_text(fields["on_date"])
    fields["recorded_at"] = timestamp_text(fields["recorded_at"])
    if salted:
        fields["scheme"] = scheme(row)
    return digest(_fields_text(fields, _SALTED_KEYS if salted else _LEGACY_KEYS))


def _keys(names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple((name, f"{encode_basestring(name)}:") for name in sorted(names))


_SALTED_KEYS = _keys((*HASHED_FIELDS, "scheme"))
_LEGACY_KEYS = _keys(LEGACY_HASHED_FIELDS)
"""An entry's hashed fields in the encoder's (sorted) order, each with its key as JSON."""


def _fields_text(fields: Mapping[str, Any], keys: tuple[tuple[str, str], ...]) -> str:
    """`_encoder.encode(fields)` (`keys`: its keys), written out for the strings, whole numbers
    and nulls the store writes, as verify() hashes every entry; a field holding anything else
    (a row altered behind the store) leaves the whole text to the encoder."""
    parts = []
    for name, key in keys:
        value = fields[name]
        kind = type(value)
        if kind is str:
            parts.append(key + encode_basestring(value))
        elif value is None:
            parts.append(key + "null")
        elif kind is int:
            parts.append(key + int.__repr__(value))
        else:
            return str(_encoder.encode(fields))
    return "{" + ",".join(parts) + "}"
