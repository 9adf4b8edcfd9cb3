"""The hash chain's encoding: the entry hash written out for speed is the hash of the entry's
fields as canonical JSON, for whatever a row holds, the store's own values or others."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import hypothesis.strategies as st
from hypothesis import given

from reintegration_fsm.stores.hashing import (
    HASHED_FIELDS,
    LEGACY_HASHED_FIELDS,
    entry_hash,
    timestamp_text,
)


def _reference_timestamp(moment: Any) -> str:
    """`timestamp_text` as it was first written: the moment made naive, to the second."""
    return str(moment.replace(tzinfo=None, microsecond=0).isoformat()) + "Z"


def _reference_day(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _reference_hash(row: dict[str, Any], prev_hash: str) -> str:
    """The entry hash as the chain defines it: the SHA-256 of the hashed fields' canonical JSON
    (sorted keys, no spaces, UTF-8)."""
    salted = row.get("payload_salt") is not None
    names = HASHED_FIELDS if salted else LEGACY_HASHED_FIELDS
    fields = {name: prev_hash if name == "prev_hash" else row[name] for name in names}
    fields["on_date"] = _reference_day(fields["on_date"])
    fields["recorded_at"] = _reference_timestamp(fields["recorded_at"])
    if salted:
        # Scheme 3 (since 0011) for an entry holding a payload key or leaf keys, else 2.
        keyed = row.get("payload_key") is not None or row.get("leaf_keys") is not None
        fields["scheme"] = 3 if keyed else 2
    text = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _outcome(compute: Any, *args: Any) -> Any:
    """What `compute(*args)` gives: its value, or the type of error it raises."""
    try:
        return compute(*args)
    except (ValueError, TypeError, AttributeError) as error:
        return type(error)


any_text = st.text(st.characters(blacklist_categories=()), max_size=8)
"""Any text, lone surrogates too (which UTF-8 cannot encode)."""
moments = st.datetimes(timezones=st.none() | st.timezones())
field_values = st.one_of(
    any_text,
    st.integers(-(10**20), 10**20),
    st.none(),
    st.booleans(),
    st.floats(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
)
"""What a field altered behind the store may hold: the store's own kinds, and others."""
days = st.one_of(st.dates(), moments, any_text, st.integers())


@given(moment=moments)
def test_a_timestamp_is_its_naive_moment_to_the_second(moment: dt.datetime) -> None:
    assert timestamp_text(moment) == _reference_timestamp(moment)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    """A log row as the store writes it (text, a whole number, a null source, a date and a
    moment), or, half the time, with any field holding anything."""
    altered = draw(st.booleans())
    text = st.one_of(any_text, field_values) if altered else any_text
    names = set(HASHED_FIELDS + LEGACY_HASHED_FIELDS) - {"seq", "source", "prev_hash"}
    row: dict[str, Any] = {name: draw(text) for name in sorted(names)}
    row["seq"] = draw(st.integers(1, 10**6) | field_values if altered else st.integers(1, 10**6))
    row["source"] = draw(st.none() | text)
    row["on_date"] = draw(days if altered else st.dates())
    row["recorded_at"] = draw(moments | field_values if altered else moments)
    row["payload_salt"] = draw(st.none() | st.just("00" * 16))
    keys = draw(st.sampled_from(["none", "payload_key", "leaf_keys"]))
    if keys == "payload_key":
        row["payload_key"] = "11" * 16
    elif keys == "leaf_keys":
        row["leaf_keys"] = draw(st.binary(max_size=32))
    return row


@given(row=rows(), prev_hash=any_text)
def test_the_entry_hash_is_that_of_its_fields_canonical_json(
    row: dict[str, Any], prev_hash: str
) -> None:
    """Salted or not, for the values the store writes and any other (the same error where
    there is no hash: a float that JSON cannot hold, text UTF-8 cannot encode, no timestamp)."""
    assert _outcome(entry_hash, row, prev_hash) == _outcome(_reference_hash, row, prev_hash)
