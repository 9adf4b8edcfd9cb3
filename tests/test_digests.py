"""The salted hash tree behind each log entry's payload digest: a removal keeps the root, any
other change moves it, and the fast encoding is the canonical JSON the migration writes out."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import given

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
