"""A protocol's fingerprint: a digest of the rules it sets, which a case records beside its
name."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from reintegration_fsm.vocabulary import Word

if TYPE_CHECKING:
    from reintegration_fsm.protocol.protocols import Protocol

FINGERPRINT = "fingerprint"
"""The key of an `open`'s record of its protocol that holds the rules' fingerprint (an
authority's protocol: the library's own are named by their id and version alone)."""
NAMING_FIELDS = frozenset({"id", "version", "title", "source"})
"""A protocol's fields that name or describe it, which its fingerprint leaves out."""
FINGERPRINTED = (
    "effective_from",
    "place_offer_school_days",
    "review_weeks",
    "final_review_within_days",
    "joiners_return_days",
    "weighting_points",
    "roles",
    "review_parties",
    "emergency_review_parties",
    "required_evidence",
    "looked_after_evidence",
    "key_stage_4_evidence",
    "retention_years",
    "edition",
)
"""The fields every fingerprint covers. A field added in a later version counts only where it
differs from its default, so that a protocol's fingerprint holds across versions."""


def _plain(value: Any) -> Any:
    """A field's value as JSON, in one order: sets and role lists sorted, words as their text."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(item) for item in value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Word):
        return value.value
    return value


def _default(field: attrs.Attribute[Any]) -> Any:
    """What a field holds when it is not given: its default (or its factory's), converted
    (`attrs.NOTHING` when that needs the instance)."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = attrs.NOTHING if default.takes_self else default.factory()
    converter: Any = field.converter
    if isinstance(converter, attrs.Converter):
        plain = not (converter.takes_self or converter.takes_field)  # type: ignore[attr-defined]
        converter = converter.converter if plain else None  # type: ignore[attr-defined]
        default = default if plain else attrs.NOTHING
    if converter is not None and default is not attrs.NOTHING:
        default = converter(default)
    return default


def fingerprint_of(protocol: Protocol) -> str:
    """`protocol`'s fingerprint (`Protocol.fingerprint`, which reads it once)."""
    values = {
        field.name: _plain(getattr(protocol, field.name))
        for field in attrs.fields(type(protocol))
        if field.name not in NAMING_FIELDS
        and (field.name in FINGERPRINTED or getattr(protocol, field.name) != _default(field))
    }
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
