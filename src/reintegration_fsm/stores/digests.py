"""Payload digests that a redaction cannot forge: a salted hash tree over a log entry's JSON.

Since schema revision 0003 a log entry's `payload_digest` is the root of a hash tree over what
the entry says about people: its actor's id and name, and its data. Every leaf value is hashed
with the entry's own random salt and its path, every object and array hashes its children's
digests:

    leaf(path, value) = SHA-256(0x00 || salt || canonical_json([path, value]))
    object            = SHA-256(0x01 || canonical_json({key: child digest, ...}))
    array             = SHA-256(0x02 || canonical_json([child digest, ...]))
    payload_digest    = object({"actor": object({"id": .., "name": ..}), "data": <the data>})

(docs/evidence.md gives the same, for checking without this library.) A redaction replaces a
leaf by its own digest, marked (`{"$redacted": "<hex>"}` in the data, `"$redacted:<hex>"` in an
actor column). The root computed from the redacted entry is then the same, so `verify()` checks
from the stored row alone, with no key, that a redaction only removed values: a value changed
or added changes the root. The salt (16 random bytes per entry, stored in `payload_salt`) and
the path keep a digest from being looked up in a table made in advance or matched with the same
value elsewhere; they do not keep whoever reads the row from testing guesses against a removed
value's digest (a date of birth is found so: docs/evidence.md, "What a redaction leaves to
guess").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring
from typing import Any

SALT_BYTES = 16
REDACTED = "$redacted"
"""The key of a redaction marker in the data: `{"$redacted": "<64 hex digits>"}`."""
COLUMN_MARK = "$redacted:"
"""The prefix of a redacted actor column's value: `$redacted:<64 hex digits>`."""
ACTOR_FIELDS = ("id", "name")
"""The actor's fields the tree covers (and a redaction may remove); its role and organisation
are hashed in the entry itself."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_string: Callable[[str], str] = encode_basestring
"""A JSON string as the canonical encoder (ensure_ascii=False) writes it: the same function."""
_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)

Path = tuple[str | int, ...]


def new_salt() -> str:
    """A fresh random salt, as the hex text stored in `payload_salt`."""
    return os.urandom(SALT_BYTES).hex()


def is_marker(value: Any) -> bool:
    """True for a redaction marker in the data (a one-key object holding a digest)."""
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(value.get(REDACTED), str)
        and _HEX64.fullmatch(value[REDACTED]) is not None
    )


def marker(leaf_digest: str) -> dict[str, str]:
    """The marker that stands in the data for a redacted value."""
    return {REDACTED: leaf_digest}


def column_marker(leaf_digest: str) -> str:
    """What a redacted actor column holds."""
    return COLUMN_MARK + leaf_digest


def column_digest(value: str) -> str | None:
    """The digest a redacted actor column holds; None when the column holds a value."""
    if value.startswith(COLUMN_MARK):
        found = value[len(COLUMN_MARK) :]
        if _HEX64.fullmatch(found):
            return found
    return None


def _scalar(value: Any) -> str:
    """`value` as the canonical encoder writes it (a string, integer, boolean or null)."""
    if type(value) is str:
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        raise ValueError(f"floats are not allowed in hashed data ({value!r})")
    return str(_encoder.encode(value))  # raises TypeError for what JSON cannot hold


def _segment(segment: str | int) -> str:
    return _string(segment) if type(segment) is str else int.__repr__(segment)


def leaf(salt: bytes, path: Path, value: Any) -> str:
    """The digest of one leaf value (a string, number, boolean or null) at `path`.

    Hashes `canonical_json([path, value])`, written out here without the encoder's overhead
    (a save hashes every leaf of every new transition).
    """
    return _leaf(salt, ",".join(_segment(s) for s in path), value)


def _leaf(salt: bytes, path_text: str, value: Any) -> str:
    text = f"[[{path_text}],{_scalar(value)}]"
    return hashlib.sha256(b"\x00" + salt + text.encode("utf-8")).hexdigest()


def _object(children: Mapping[str, str]) -> str:
    text = ",".join(f'{_string(key)}:"{children[key]}"' for key in sorted(children))
    return hashlib.sha256(b"\x01{" + text.encode("utf-8") + b"}").hexdigest()


def tree(salt: bytes, path: Path, value: Any, *, markers: bool) -> str:
    """The digest of `value` at `path`.

    With `markers`, a redaction marker counts as the digest it holds (reading a stored entry);
    without, every object is data (hashing a transition as it was made, which may never hold
    a marker: see `holds_marker`).
    """
    return _tree(salt, ",".join(_segment(s) for s in path), value, markers)


# The tree is hashed for every entry a save writes and every entry `verify()` reads, some 35
# SHA-256 calls an entry: the functions below are its inner loop, written for speed. They
# dispatch on the exact type of what `json.loads` gives (str, dict, list, int, bool, None) and
# hash a leaf in the loop over its container; anything else (a dict or list subclass, another
# mapping, a float) takes `_other`, which treats it as the plain definition above says.
_sha256 = hashlib.sha256
_EMPTY_ARRAY = hashlib.sha256(b"\x02[]").hexdigest()


def _tree(salt: bytes, path_text: str, value: Any, markers: bool) -> str:
    head = b"\x00" + salt + b"[["
    kind = type(value)
    if kind is dict:
        return _dict(head, path_text, value, markers)
    if kind is list:
        return _list(head, path_text, value, markers)
    if kind is str:
        return _sha256(head + f"{path_text}],{_string(value)}]".encode()).hexdigest()
    return _other(head, path_text, value, markers)


def _dict(head: bytes, path_text: str, value: Mapping[str, Any], markers: bool) -> str:
    """An object's digest (`head`: the leaves' salted prefix, `0x00 || salt || "[["`)."""
    if markers and len(value) == 1 and is_marker(value):
        return str(value[REDACTED])
    sha256, string = _sha256, _string
    prefix = f"{path_text}," if path_text else ""
    children = []
    for key, item in value.items():
        name = string(key)
        kind = type(item)
        if kind is str:
            text = f"{prefix}{name}],{string(item)}]"
        elif item is None:
            text = f"{prefix}{name}],null]"
        elif item is True:
            text = f"{prefix}{name}],true]"
        elif item is False:
            text = f"{prefix}{name}],false]"
        elif kind is int:
            text = f"{prefix}{name}],{int.__repr__(item)}]"
        else:
            if kind is dict:
                child = _dict(head, prefix + name, item, markers)
            elif kind is list:
                child = _list(head, prefix + name, item, markers)
            else:
                child = _other(head, prefix + name, item, markers)
            children.append((key, f'{name}:"{child}"'))
            continue
        children.append((key, f'{name}:"{sha256(head + text.encode()).hexdigest()}"'))
    children.sort()  # by key: a dict's keys are unique, so no two pairs compare their text
    text = ",".join([pair for _, pair in children])
    return sha256(f"\x01{{{text}}}".encode()).hexdigest()


def _list(head: bytes, path_text: str, value: list[Any] | tuple[Any, ...], markers: bool) -> str:
    """An array's digest (`head` as for `_dict`)."""
    if not value:
        return _EMPTY_ARRAY
    sha256, string = _sha256, _string
    prefix = f"{path_text}," if path_text else ""
    children = []
    for index, item in enumerate(value):
        kind = type(item)
        if kind is str:
            text = f"{prefix}{index}],{string(item)}]"
            children.append(sha256(head + text.encode()).hexdigest())
        elif kind is dict:
            children.append(_dict(head, f"{prefix}{index}", item, markers))
        elif kind is list:
            children.append(_list(head, f"{prefix}{index}", item, markers))
        else:
            children.append(_other(head, f"{prefix}{index}", item, markers))
    text = '","'.join(children)
    return sha256(f'\x02["{text}"]'.encode()).hexdigest()


def _other(head: bytes, path_text: str, value: Any, markers: bool) -> str:
    """The digest of a value of any other type: a subclass of dict, list or tuple as its base,
    another mapping as a dict, else a leaf (`_scalar` refuses a float or a non-JSON value)."""
    if isinstance(value, dict):
        return _dict(head, path_text, value, markers)
    if isinstance(value, list | tuple):
        return _list(head, path_text, value, markers)
    if isinstance(value, Mapping):
        return _dict(head, path_text, dict(value), markers)
    return _sha256(head + f"{path_text}],{_scalar(value)}]".encode()).hexdigest()


_ACTOR_PATHS = {field: f"{_string('actor')},{_string(field)}" for field in ACTOR_FIELDS}
"""The actor columns' paths as `leaf` writes them (every save and check hashes both)."""


def actor_digest(salt: bytes, field: str, value: str, *, markers: bool) -> str:
    """The digest of an actor column (`id` or `name`), or the one a redacted column holds."""
    if markers:
        found = column_digest(value)
        if found is not None:
            return found
    path_text = _ACTOR_PATHS.get(field)
    if path_text is None:
        return leaf(salt, ("actor", field), value)
    return _leaf(salt, path_text, value)


def payload_digest(
    salt_hex: str, actor_id: str, actor_name: str, data: Any, *, markers: bool = False
) -> str:
    """The root of an entry's tree: its actor's id and name, and its data.

    Raises:
        ValueError: the data holds a float, or the salt is not hex.
        UnicodeEncodeError: a text is not valid Unicode.
    """
    salt = bytes.fromhex(salt_hex)
    actor_id = actor_digest(salt, "id", actor_id, markers=markers)
    actor_name = actor_digest(salt, "name", actor_name, markers=markers)
    data_digest = _tree(salt, _DATA_PATH, data, markers)
    # The two objects as `_object` writes them: their keys are fixed, and sorted here.
    actor = _sha256(f'\x01{{"id":"{actor_id}","name":"{actor_name}"}}'.encode()).hexdigest()
    return _sha256(f'\x01{{"actor":"{actor}","data":"{data_digest}"}}'.encode()).hexdigest()


_DATA_PATH = _segment("data")
"""The data's path as `tree` writes it."""


def holds_marker(value: Any) -> bool:
    """True when `value` holds a redaction marker anywhere (an object shaped like one)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            if REDACTED in item:
                return True
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def text_holds_marker(text: str) -> bool:
    """A fast first look at stored JSON text: can it hold a marker at all?"""
    return f'"{REDACTED}"' in text
