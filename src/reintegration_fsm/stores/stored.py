"""A log entry's data as its row keeps it: canonical JSON at rest, read back in full.

Since schema revision 0006 the `data` column of a salted entry holds
`canonical_json(at_rest(trigger, data))`: the same readable JSON less each form field at its
default and each obligation's basis text (named by its key), which `in_full` restores (see
`protocol.at_rest`). Data that would not read back exactly so (a history imported from another
system may lack a field that now has a default) is kept in full, wrapped as `{"$full": data}`.

Digests are never taken over this text for a salted entry: its payload digest is the root of a
salted tree over the full data (`digests`). An unsalted entry (written before 0003) keeps its
text in full and byte for byte: its digest is the SHA-256 of that text, which is read as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reintegration_fsm.protocol.at_rest import FULL, at_rest, in_full, wrapped
from reintegration_fsm.stores.hashing import canonical_json


def stored_text(trigger: str, data: Mapping[str, Any]) -> str:
    """The text a salted log entry's `data` column keeps for the full `data` of a `trigger`
    transition: at rest when it reads back in full as it is, else in full, wrapped.

    Raises:
        ValueError: the data holds a float or a value JSON cannot hold.
    """
    rest = at_rest(trigger, data)
    if not wrapped(data) and in_full(trigger, rest) == data:
        return canonical_json(rest)
    return canonical_json({FULL: data})


def stored_data(entry: Mapping[str, Any]) -> Any:
    """A stored log entry's data in full, from its `data` column.

    Raises:
        ValueError: the column does not hold JSON.
    """
    return full_data(
        entry["trigger_name"],
        json.loads(entry["data"]),
        salted=entry.get("payload_salt") is not None,
    )


def full_data(trigger: str, kept: Any, *, salted: bool = True) -> Any:
    """The full data of what a `data` column holds, parsed (`kept`); an unsalted entry's as it
    is."""
    if not salted or not isinstance(kept, dict):
        return kept
    return in_full(trigger, kept)
