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
value elsewhere.

Scheme 3 (entries written since schema revision 0011) also keeps a removed value from being
guessed: each leaf is hashed with a key of its own,

    leaf key(path)   = BLAKE2b-128(message = path text, key = the entry's 16-byte payload key)
    leaf(path, value) = SHA-256(0x00 || salt || leaf key(path) || canonical_json([path, value]))

(the path text is `canonical_json(path)` without its brackets). The payload key is kept in
`payload_key` until the entry's first redaction, which replaces it with the leaf keys of the
values left (`leaf_keys`: their 16 bytes each, in the order of their path texts): the key of a
removed value is then nowhere, and its digest cannot be tested against guesses. A scheme-2
entry (written before 0011) is hashed with the salt alone, and whoever reads the row can test
guesses against a removed value's digest (a date of birth is found so: docs/evidence.md, "What a
redaction leaves to guess").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from reintegration_fsm.vocabulary import REDACTED

SALT_BYTES = 16
KEY_BYTES = 16
"""The length of a payload key and of each leaf key (scheme 3)."""
COLUMN_MARK = f"{REDACTED}:"
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


def new_key() -> str:
    """A fresh random payload key (scheme 3), as the hex text stored in `payload_key`."""
    return os.urandom(KEY_BYTES).hex()


LeafKeys = Callable[[str], bytes | None]
"""A leaf's key from its path text (scheme 3); None when no key is held for it."""


class _Derived:
    """The leaf keys a payload key gives (a callable `LeafKeys`)."""

    def __init__(self, payload_key: bytes) -> None:
        self.keyed = hashlib.blake2b(key=payload_key, digest_size=KEY_BYTES)
        """BLAKE2b with the key's block taken in: each leaf key copies it."""

    def __call__(self, path_text: str) -> bytes:
        hasher = self.keyed.copy()
        hasher.update(path_text.encode())
        return hasher.digest()


def derived_keys(payload_key_hex: str) -> LeafKeys:
    """The leaf keys an unredacted scheme-3 entry's payload key gives."""
    return _Derived(bytes.fromhex(payload_key_hex))


def kept_keys(kept: bytes, paths: Sequence[str]) -> LeafKeys:
    """The leaf keys a redacted scheme-3 entry keeps: `kept` (its `leaf_keys`) holds a key for
    each of `paths` (the path texts of its leaves holding a value, see `leaf_paths`), in order.

    Raises:
        ValueError: `kept` does not hold one key for each path.
    """
    if len(kept) != KEY_BYTES * len(paths):
        raise ValueError(
            f"the entry keeps {len(kept)} bytes of leaf keys for {len(paths)} values "
            f"({KEY_BYTES} bytes each)"
        )
    found = {path: kept[n * KEY_BYTES : (n + 1) * KEY_BYTES] for n, path in enumerate(paths)}
    return found.get


def keys_kept(keys: LeafKeys, paths: Sequence[str]) -> bytes | None:
    """What `leaf_keys` keeps for the leaves at `paths`: their keys, in order; None when a key
    is not held."""
    found = [keys(path) for path in paths]
    if any(key is None for key in found):
        return None
    return b"".join(key for key in found if key is not None)


def entry_keys(entry: Mapping[str, Any], data: Any) -> LeafKeys | None:
    """A stored entry's leaf keys (`data`: its data in full): None for an entry of scheme 2 or
    earlier.

    Raises:
        ValueError: its `payload_key` or `leaf_keys` does not read.
    """
    payload_key = entry.get("payload_key")
    if payload_key is not None:
        return derived_keys(payload_key)
    kept = entry.get("leaf_keys")
    if kept is not None:
        paths = leaf_paths(entry["actor_id"], entry["actor_name"], data)
        return kept_keys(bytes(kept), paths)
    return None


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


def path_text(path: Path) -> str:
    """A path as its leaf's hash reads it, and as `leaf_keys` names it: `"data","form",0`."""
    return ",".join(_segment(s) for s in path)


Prefix = Callable[[str], bytes | None]
"""A leaf's hashed prefix from its path text: `0x00 || salt || [leaf key] || "[["`; None when
its key is not held (scheme 3), which no stored digest matches."""

NO_KEY = "no key"
"""What stands for a leaf's digest when its key is not held: it matches no digest."""


def prefixes(salt: bytes, keys: LeafKeys | None) -> Prefix:
    """The leaves' prefixes of an entry with `salt` and, from scheme 3, its leaf `keys`."""
    if keys is None:
        head = b"\x00" + salt + b"[["
        return lambda _path_text: head
    start = b"\x00" + salt
    if isinstance(keys, _Derived):  # every save and most checks: one call a leaf, not two
        keyed = keys.keyed

        def derived(path_text: str) -> bytes:
            hasher = keyed.copy()
            hasher.update(path_text.encode())
            return start + hasher.digest() + b"[["

        return derived

    def prefix(path_text: str) -> bytes | None:
        key = keys(path_text)
        return None if key is None else start + key + b"[["

    return prefix


def leaf(salt: bytes, path: Path, value: Any, keys: LeafKeys | None = None) -> str:
    """The digest of one leaf value (a string, number, boolean or null) at `path`.

    Hashes `canonical_json([path, value])`, written out here without the encoder's overhead
    (a save hashes every leaf of every new transition).
    """
    return _leaf(prefixes(salt, keys), path_text(path), value)


def _leaf(prefix: Prefix, path_text: str, value: Any) -> str:
    return _hashed(prefix, path_text, _scalar(value))


def _object(children: Mapping[str, str]) -> str:
    text = ",".join(f'{_string(key)}:"{children[key]}"' for key in sorted(children))
    return hashlib.sha256(b"\x01{" + text.encode("utf-8") + b"}").hexdigest()


def tree(
    salt: bytes, path: Path, value: Any, *, markers: bool, keys: LeafKeys | None = None
) -> str:
    """The digest of `value` at `path`.

    With `markers`, a redaction marker counts as the digest it holds (reading a stored entry);
    without, every object is data (hashing a transition as it was made, which may never hold
    a marker: see `holds_marker`).
    """
    return _tree(prefixes(salt, keys), path_text(path), value, markers)


# The tree is hashed for every entry a save writes and every entry `verify()` reads, some 35
# SHA-256 calls an entry: the functions below are its inner loop, written for speed. They
# dispatch on the exact type of what `json.loads` gives (str, dict, list, int, bool, None) and
# hash a leaf in the loop over its container; anything else (a dict or list subclass, another
# mapping, a float) takes `_other`, which treats it as the plain definition above says.
_sha256 = hashlib.sha256
_EMPTY_ARRAY = hashlib.sha256(b"\x02[]").hexdigest()


def _hashed(prefix: Prefix, path_text: str, tail: str) -> str:
    """A leaf's digest, `tail` being its value's JSON."""
    head = prefix(path_text)
    if head is None:
        return NO_KEY
    return _sha256(head + f"{path_text}],{tail}]".encode()).hexdigest()


def _tree(prefix: Prefix, path_text: str, value: Any, markers: bool) -> str:
    kind = type(value)
    if kind is dict:
        return _dict(prefix, path_text, value, markers)
    if kind is list:
        return _list(prefix, path_text, value, markers)
    if kind is str:
        return _hashed(prefix, path_text, _string(value))
    return _other(prefix, path_text, value, markers)


def _dict(prefix: Prefix, path_text: str, value: Mapping[str, Any], markers: bool) -> str:
    """An object's digest (`prefix`: its leaves' hashed prefixes)."""
    if markers and len(value) == 1 and is_marker(value):
        return str(value[REDACTED])
    sha256, string = _sha256, _string
    start = f"{path_text}," if path_text else ""
    children = []
    for key, item in value.items():
        name = string(key)
        kind = type(item)
        if kind is str:
            tail = string(item)
        elif item is None:
            tail = "null"
        elif item is True:
            tail = "true"
        elif item is False:
            tail = "false"
        elif kind is int:
            tail = int.__repr__(item)
        else:
            if kind is dict:
                child = _dict(prefix, start + name, item, markers)
            elif kind is list:
                child = _list(prefix, start + name, item, markers)
            else:
                child = _other(prefix, start + name, item, markers)
            children.append((key, f'{name}:"{child}"'))
            continue
        children.append((key, f'{name}:"{_hashed(prefix, start + name, tail)}"'))
    children.sort()  # by key: a dict's keys are unique, so no two pairs compare their text
    text = ",".join([pair for _, pair in children])
    return sha256(f"\x01{{{text}}}".encode()).hexdigest()


def _list(prefix: Prefix, path_text: str, value: list[Any] | tuple[Any, ...], markers: bool) -> str:
    """An array's digest (`prefix` as for `_dict`)."""
    if not value:
        return _EMPTY_ARRAY
    sha256, string = _sha256, _string
    start = f"{path_text}," if path_text else ""
    children = []
    for index, item in enumerate(value):
        kind = type(item)
        if kind is str:
            children.append(_hashed(prefix, f"{start}{index}", string(item)))
        elif kind is dict:
            children.append(_dict(prefix, f"{start}{index}", item, markers))
        elif kind is list:
            children.append(_list(prefix, f"{start}{index}", item, markers))
        else:
            children.append(_other(prefix, f"{start}{index}", item, markers))
    text = '","'.join(children)
    return sha256(f'\x02["{text}"]'.encode()).hexdigest()


def _other(prefix: Prefix, path_text: str, value: Any, markers: bool) -> str:
    """The digest of a value of any other type: a subclass of dict, list or tuple as its base,
    another mapping as a dict, else a leaf (`_scalar` refuses a float or a non-JSON value)."""
    if isinstance(value, dict):
        return _dict(prefix, path_text, value, markers)
    if isinstance(value, list | tuple):
        return _list(prefix, path_text, value, markers)
    if isinstance(value, Mapping):
        return _dict(prefix, path_text, dict(value), markers)
    return _hashed(prefix, path_text, _scalar(value))


_ACTOR_PATHS = {field: f"{_string('actor')},{_string(field)}" for field in ACTOR_FIELDS}
"""The actor columns' paths as `leaf` writes them (every save and check hashes both)."""


def actor_digest(
    salt: bytes, field: str, value: str, *, markers: bool, keys: LeafKeys | None = None
) -> str:
    """The digest of an actor column (`id` or `name`), or the one a redacted column holds."""
    return _actor(prefixes(salt, keys), field, value, markers)


def _actor(prefix: Prefix, field: str, value: str, markers: bool) -> str:
    if markers:
        found = column_digest(value)
        if found is not None:
            return found
    where = _ACTOR_PATHS.get(field)
    if where is None:
        where = path_text(("actor", field))
    return _leaf(prefix, where, value)


def payload_digest(
    salt_hex: str,
    actor_id: str,
    actor_name: str,
    data: Any,
    *,
    markers: bool = False,
    keys: LeafKeys | None = None,
) -> str:
    """The root of an entry's tree: its actor's id and name, and its data (`keys`: its leaf
    keys, from scheme 3).

    Raises:
        ValueError: the data holds a float, or the salt is not hex.
        UnicodeEncodeError: a text is not valid Unicode.
    """
    prefix = prefixes(bytes.fromhex(salt_hex), keys)
    actor_id = _actor(prefix, "id", actor_id, markers)
    actor_name = _actor(prefix, "name", actor_name, markers)
    data_digest = _tree(prefix, _DATA_PATH, data, markers)
    # The two objects as `_object` writes them: their keys are fixed, and sorted here.
    actor = _sha256(f'\x01{{"id":"{actor_id}","name":"{actor_name}"}}'.encode()).hexdigest()
    return _sha256(f'\x01{{"actor":"{actor}","data":"{data_digest}"}}'.encode()).hexdigest()


def leaf_paths(actor_id: str, actor_name: str, data: Any) -> list[str]:
    """The path texts of an entry's leaves that hold a value: its actor columns but a redacted
    one, and its data's strings, numbers, booleans and nulls but a redaction marker's."""
    found = [
        _ACTOR_PATHS[field]
        for field, value in (("id", actor_id), ("name", actor_name))
        if column_digest(value) is None
    ]
    pending: list[tuple[str, Any]] = [(_DATA_PATH, data)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, Mapping):
            if is_marker(value):
                continue
            pending.extend((f"{where},{_string(key)}", item) for key, item in value.items())
        elif isinstance(value, list | tuple):
            pending.extend((f"{where},{index}", item) for index, item in enumerate(value))
        else:
            found.append(where)
    return sorted(found)


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
