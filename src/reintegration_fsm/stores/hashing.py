"""The audit log's hash chain: a canonical encoding of each transition and its SHA-256.

A log entry's hash covers every stored field except the payload, plus `payload_digest` (the
SHA-256 of the payload's canonical JSON) and `prev_hash` (the hash of the case's previous
entry; `GENESIS` for the first). Blanking a payload later (erasure) leaves the chain intact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

GENESIS = "0" * 64
"""The `prev_hash` of a case's first log entry."""

HASHED_FIELDS = (
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
"""The log columns the entry hash covers, besides the payload (through its digest)."""

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
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


REDACTION_FIELDS = ("case_id", "seq", "redacted_at", "reason", "payload_digest")
"""The redaction columns its hash covers, besides the hash of the entry it redacts."""


def redaction_hash(row: Mapping[str, Any], entry: str) -> str:
    """The hash of a redaction record, bound to the hash `entry` of the log entry it redacts."""
    fields = {name: row[name] for name in REDACTION_FIELDS}
    fields["redacted_at"] = timestamp_text(fields["redacted_at"])
    fields["entry_hash"] = entry
    return digest(_encoder.encode(fields))


def entry_hash(row: Mapping[str, Any]) -> str:
    """The hash of one log entry, from its stored fields (see `HASHED_FIELDS`)."""
    fields = {name: row[name] for name in HASHED_FIELDS}
    on = fields["on_date"]
    fields["on_date"] = (on.date() if isinstance(on, datetime) else on).isoformat()
    fields["recorded_at"] = timestamp_text(fields["recorded_at"])
    # Every hashed field is a string, an int or None (built by us): no float check needed.
    return digest(_encoder.encode(fields))
