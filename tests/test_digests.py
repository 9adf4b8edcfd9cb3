"""The salted hash tree behind each log entry's payload digest: a removal keeps the root, any
other change moves it, and the fast encoding is the canonical JSON the migration writes out."""

from __future__ import annotations

import copy
import enum
import hashlib
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import given

from reintegration_fsm.records import freeze_json
from reintegration_fsm.stores import digests, personal
from reintegration_fsm.stores.hashing import canonical_json

MIGRATION = (
    Path(__file__).resolve().parent.parent
    / "src/reintegration_fsm/stores/migrations/versions/0003_evidence.py"
)


def _frozen_migration() -> Any:
    spec = importlib.util.spec_from_file_location("rfsm_migration_0003", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FROZEN = _frozen_migration()
SALT = "00112233445566778899aabbccddeeff"

scalars = st.one_of(st.text(max_size=12), st.integers(-(10**20), 10**20), st.booleans(), st.none())
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.text(min_size=1, max_size=6).filter(lambda k: k != "$redacted"), inner, max_size=4
        ),
    ),
    max_leaves=20,
)


@given(data=json_values, actor=st.text(min_size=1, max_size=10))
def test_the_fast_digest_is_the_migrations_canonical_one(data: Any, actor: str) -> None:
    row = {"actor_id": actor, "actor_name": actor + "!", "data": canonical_json(data)}
    assert digests.payload_digest(SALT, actor, actor + "!", data) == FROZEN._payload_digest(
        SALT, row
    )


def _leaves(data: Any) -> list[tuple[Any, ...]]:
    return [path for path, _ in personal.leaves(data, ())]


@given(data=json_values, choice=st.randoms())
def test_removing_any_value_keeps_the_root(data: Any, choice: Any) -> None:
    root = digests.payload_digest(SALT, "a", "b", data)
    paths = [path for path in _leaves(data) if path]
    if not paths:
        return
    path = choice.choice(paths)
    redacted = copy.deepcopy(data)
    value = personal.get(data, path)
    leaf = digests.leaf(bytes.fromhex(SALT), ("data", *path), value)
    personal.put(redacted, path, digests.marker(leaf))
    assert digests.payload_digest(SALT, "a", "b", redacted, markers=True) == root


@given(data=json_values, choice=st.randoms(), other=scalars)
def test_changing_any_value_moves_the_root(data: Any, choice: Any, other: Any) -> None:
    paths = [path for path in _leaves(data) if path]
    if not paths:
        return
    path = choice.choice(paths)
    if personal.get(data, path) == other and type(personal.get(data, path)) is type(other):
        return
    changed = copy.deepcopy(data)
    personal.put(changed, path, other)
    assert digests.payload_digest(SALT, "a", "b", changed, markers=True) != (
        digests.payload_digest(SALT, "a", "b", data)
    )


def test_adding_a_key_or_renaming_the_actor_moves_the_root() -> None:
    data = {"form": {"parent_name": "Dana Example"}}
    root = digests.payload_digest(SALT, "parent-1", "Dana Example", data)
    assert digests.payload_digest(SALT, "parent-1", "Dana Example", {**data, "x": 1}) != root
    assert digests.payload_digest(SALT, "parent-1", "Someone Else", data) != root
    marked = digests.column_marker(
        digests.leaf(bytes.fromhex(SALT), ("actor", "name"), "Dana Example")
    )
    assert digests.payload_digest(SALT, "parent-1", marked, data, markers=True) == root


def test_a_removed_date_of_birth_cannot_be_found_by_hashing_candidates() -> None:
    """Without the entry's salt, every date hashes to something else than the stored leaf."""
    born = "2012-05-14"
    path = ("data", "pupil", "date_of_birth")
    stored = digests.leaf(bytes.fromhex(digests.new_salt()), path, born)
    assert stored != digests.leaf(b"", path, born)
    assert stored != digests.leaf(bytes.fromhex(SALT), path, born)
    assert digests.new_salt() != digests.new_salt()


def test_equal_values_at_two_paths_have_different_leaves() -> None:
    salt = bytes.fromhex(SALT)
    assert digests.leaf(salt, ("data", "a"), "Dana") != digests.leaf(salt, ("data", "b"), "Dana")


def test_a_marker_is_a_single_key_object_holding_a_digest() -> None:
    assert digests.is_marker({"$redacted": "a" * 64})
    assert not digests.is_marker({"$redacted": "a" * 63})
    assert not digests.is_marker({"$redacted": "a" * 64, "x": 1})
    assert digests.column_digest("$redacted:" + "b" * 64) == "b" * 64
    assert digests.column_digest("Dana Example") is None


# -- the fast tree against the plain definition --------------------------------------------------
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _reference(
    salt: bytes, path: tuple[Any, ...], value: Any, markers: bool, key: bytes | None = None
) -> str:
    """The tree as the module's docstring defines it, written plainly (the implementation
    before it was tuned for speed); with a payload `key`, scheme 3's."""
    if isinstance(value, Mapping):
        if markers and digests.is_marker(value):
            return str(value[digests.REDACTED])
        children = {
            name: _reference(salt, (*path, name), item, markers, key)
            for name, item in value.items()
        }
        text = _ENCODER.encode(children)
        return hashlib.sha256(b"\x01" + text.encode("utf-8")).hexdigest()
    if isinstance(value, list | tuple):
        items = [
            _reference(salt, (*path, index), item, markers, key) for index, item in enumerate(value)
        ]
        return hashlib.sha256(b"\x02" + _ENCODER.encode(items).encode("ascii")).hexdigest()
    if isinstance(value, float):
        raise ValueError(f"floats are not allowed in hashed data ({value!r})")
    text = _ENCODER.encode([list(path), value])
    leaf_key = b""
    if key is not None:  # BLAKE2b-128 of the path's JSON without its brackets, keyed
        path_text = _ENCODER.encode(list(path))[1:-1]
        leaf_key = hashlib.blake2b(path_text.encode(), key=key, digest_size=16).digest()
    return hashlib.sha256(b"\x00" + salt + leaf_key + text.encode("utf-8")).hexdigest()


def _reference_payload(
    salt_hex: str,
    actor_id: str,
    actor_name: str,
    data: Any,
    markers: bool,
    key: bytes | None = None,
) -> str:
    salt = bytes.fromhex(salt_hex)

    def column(field: str, value: str) -> str:
        found = digests.column_digest(value) if markers else None
        if found is not None:
            return found
        return _reference(salt, ("actor", field), value, False, key)

    actor = {"id": column("id", actor_id), "name": column("name", actor_name)}
    root = {
        "actor": hashlib.sha256(b"\x01" + _ENCODER.encode(actor).encode()).hexdigest(),
        "data": _reference(salt, ("data",), data, markers, key),
    }
    return hashlib.sha256(b"\x01" + _ENCODER.encode(root).encode()).hexdigest()


class _Kind(enum.Enum):
    NAME = "name"


class _Text(str, enum.Enum):
    NAME = "name"


class _Number(enum.IntEnum):
    ONE = 1


_HEX = "0123456789abcdef"
any_text = st.text(st.characters(blacklist_categories=()), max_size=8)
"""Any text, lone surrogates too (which UTF-8 cannot encode)."""
odd_scalars = st.one_of(
    any_text,
    st.integers(-(10**30), 10**30),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.sampled_from([_Text.NAME, _Number.ONE, _Kind.NAME]),
    st.text(_HEX, min_size=64, max_size=64).map(digests.marker),
)
odd_values = st.recursive(
    odd_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(any_text, st.just(digests.REDACTED)), inner, max_size=4),
        st.dictionaries(any_text, inner, max_size=3).map(freeze_json),
        st.dictionaries(any_text, inner, max_size=3).map(MappingProxyType),
    ),
    max_leaves=24,
)
"""JSON and what is not quite JSON: markers, subclasses, other mappings, floats, enums."""


def _outcome(compute: Any, *args: Any, **keywords: Any) -> Any:
    """What `compute(*args, **keywords)` gives: its value, or the type of error it raises."""
    try:
        return compute(*args, **keywords)
    except (ValueError, TypeError) as error:
        return type(error)


@given(data=odd_values, actor=any_text, markers=st.booleans(), salt=st.binary(max_size=16))
def test_the_fast_tree_is_the_plain_definition(
    data: Any, actor: str, markers: bool, salt: bytes
) -> None:
    """Same root for any value, and the same error where there is none (a float, a value JSON
    cannot hold, text UTF-8 cannot encode)."""
    fast = _outcome(digests.payload_digest, salt.hex(), actor, "x" + actor, data, markers=markers)
    plain = _outcome(_reference_payload, salt.hex(), actor, "x" + actor, data, markers)
    assert fast == plain
    for value in (data, [data], {"k": data}):
        fast = _outcome(digests.tree, salt, ("data", 0), value, markers=markers)
        assert fast == _outcome(_reference, salt, ("data", 0), value, markers)


_MARKED = {
    "form": {
        "parent_name": {
            "$redacted": "c4b210bb33180ce8040331110fb368742a64a47eeaf3365bcaa02709457f0637"
        }
    }
}


@pytest.mark.parametrize(
    ("data", "markers", "root"),
    [
        ({}, False, "f86263826effad9898a728879eee024ae42ced73e546e1ef1d3017dc1c7b42fd"),
        (
            {
                "form": {
                    "parent_name": "Dana Example",
                    "agrees": True,
                    "other": None,
                    "n": -12,
                    "no": False,
                },
                "list": [],
                "schema": 2,
            },
            False,
            "00c60370d1ff16558701a36084856984fa35ead7b0d5aaedae49901c2a52c595",
        ),
        (
            {"b": ["x", 1, [True, None], {'\u00e9"\\\n': "\u2603"}], "a": {}},
            False,
            "5c2139a5220fc845d604943911c67a5c42383d4f7ecd1b8957552c19b0a5649c",
        ),
        (_MARKED, True, "14f795edcce6655625f6f9cd435795d9ce2dd57460adb439382610906e03d5ed"),
        (_MARKED, False, "9b058730df1ec1be59fa8ebb320d5d4377b9b715f019d826ff0601881dfb77e2"),
        (
            {"z": 10**30, "": ""},
            False,
            "35cd102bc6017a871d7ecb06596562d317e43b4069ab2225e7e78705929e18a4",
        ),
    ],
)
def test_known_roots_are_unchanged(data: Any, markers: bool, root: str) -> None:
    """Roots written by earlier versions (stored entries must still verify)."""
    name = "$redacted:" + "a" * 64 if markers else "Name"
    assert digests.payload_digest(SALT, "actor-1", name, data, markers=markers) == root


# -- scheme 3: a key for each leaf -----------------------------------------------------------------
KEY = "ffeeddccbbaa99887766554433221100"


@given(
    data=odd_values, actor=any_text, markers=st.booleans(), key=st.binary(min_size=16, max_size=16)
)
def test_the_fast_keyed_tree_is_the_plain_definition(
    data: Any, actor: str, markers: bool, key: bytes
) -> None:
    keys = digests.derived_keys(key.hex())
    fast = _outcome(
        digests.payload_digest, SALT, actor, "x" + actor, data, markers=markers, keys=keys
    )
    plain = _outcome(_reference_payload, SALT, actor, "x" + actor, data, markers, key)
    assert fast == plain
    if isinstance(fast, str):  # a root, not an error: the salted one is another
        assert fast != digests.payload_digest(SALT, actor, "x" + actor, data, markers=markers)


@given(data=json_values, choice=st.randoms())
def test_a_removal_keeps_the_keyed_root_with_only_the_kept_values_keys(
    data: Any, choice: Any
) -> None:
    """What a redaction of a scheme-3 entry leaves: the marker and the keys of the values left
    give the same root, and the removed value's key is not among them."""
    derived = digests.derived_keys(KEY)
    root = digests.payload_digest(SALT, "a", "b", {"d": data}, keys=derived)
    paths = [path for path in _leaves({"d": data}) if path]
    if not paths:  # an empty object or array: no value to remove
        return
    path = choice.choice(paths)
    value = personal.get({"d": data}, path)
    redacted = copy.deepcopy({"d": data})
    leaf = digests.leaf(bytes.fromhex(SALT), ("data", *path), value, derived)
    personal.put(redacted, path, digests.marker(leaf))
    left = digests.leaf_paths("a", "b", redacted)
    kept = digests.keys_kept(derived, left)
    assert kept is not None
    assert len(kept) == 16 * len(left)
    removed_key = derived(digests.path_text(("data", *path)))
    assert removed_key is not None
    assert removed_key not in [kept[n : n + 16] for n in range(0, len(kept), 16)]
    keys = digests.kept_keys(kept, left)
    assert digests.payload_digest(SALT, "a", "b", redacted, markers=True, keys=keys) == root
    # Without a key for each value, no root: the value put back, or the keys cut short.
    assert digests.payload_digest(SALT, "a", "b", {"d": data}, markers=True, keys=keys) != root
    with pytest.raises(ValueError, match="bytes of leaf keys"):
        digests.kept_keys(kept[:-16], left)


def test_a_keyed_leaf_is_not_the_salted_one_and_needs_its_key() -> None:
    salt, path = bytes.fromhex(SALT), ("data", "pupil", "date_of_birth")
    keyed = digests.leaf(salt, path, "2012-05-14", digests.derived_keys(KEY))
    assert keyed != digests.leaf(salt, path, "2012-05-14")
    assert keyed != digests.leaf(salt, path, "2012-05-14", digests.derived_keys("00" * 16))
    assert digests.leaf(salt, path, "2012-05-14", digests.kept_keys(b"", [])) == digests.NO_KEY
    assert digests.new_key() != digests.new_key()
