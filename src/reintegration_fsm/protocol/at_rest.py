"""A transition's data as a store keeps it: the same JSON, less what a reader can restore.

At rest, a form's field that holds its default value is left out, and so are an opened
obligation's empty `basis` and absent `due`; a statutory basis is named by the regulation it
cites ("13(4)", as `duties.BASES` lists them). `in_full` restores all of it:
`in_full(trigger, at_rest(trigger, data)) == data` for every data this library records, so
digests, replay and `Transition.data` see the data as recorded. Data in another layout, and
values a redaction replaced (`{"$redacted": ...}`), pass through unchanged. Data that would not
read back exactly (a history from another system may lack a field that now has a default) is
kept in full, wrapped as `{"$full": data}`, which `in_full` unwraps.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, TypeGuard

import attrs

from reintegration_fsm.protocol.duties import BASES
from reintegration_fsm.protocol.payloads import SCHEMA
from reintegration_fsm.protocol.steps import STEPS
from reintegration_fsm.records import Transition
from reintegration_fsm.serialisation import converter
from reintegration_fsm.vocabulary import REDACTED

FULL = "$full"
"""The one key of the object that holds data kept in full: `{"$full": data}`."""


def wrapped(data: Any) -> bool:
    """True when `data` is data kept in full, wrapped (`{"$full": data}`)."""
    return isinstance(data, Mapping) and len(data) == 1 and FULL in data


class _Shape:
    """How one form's JSON object is kept at rest: its fields' defaults, and its nested forms."""

    __slots__ = ("defaults", "nested")

    def __init__(self) -> None:
        self.defaults: dict[str, Any] = {}
        """Each field with a default: that default as JSON."""
        self.nested: dict[str, tuple[_Shape, bool]] = {}
        """Each field holding forms: their shape, and True for a sequence of them."""


_SHAPES: dict[type, _Shape] = {}


def _form_of(hint: Any) -> tuple[type | None, bool]:
    """The form class a field's type holds (None: none), and whether it holds a sequence."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _form_of(inner[0]) if len(inner) == 1 else (None, False)
    if origin in (tuple, list):
        args = [arg for arg in typing.get_args(hint) if arg is not Ellipsis]
        if len(args) == 1 and attrs.has(args[0]):
            return args[0], True
        return None, False
    return (hint, False) if isinstance(hint, type) and attrs.has(hint) else (None, False)


def _shape(cls: type) -> _Shape:
    """The shape of a form class, worked out once."""
    found = _SHAPES.get(cls)
    if found is not None:
        return found
    shape = _SHAPES[cls] = _Shape()
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        default = field.default
        if default is not attrs.NOTHING:
            value = default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
            shape.defaults[field.name] = converter.unstructure(value, hints[field.name])
        form, many = _form_of(hints[field.name])
        if form is not None:
            shape.nested[field.name] = (_shape(form), many)
    return shape


_ARGUMENTS: Mapping[str, Mapping[str, _Shape]] = {
    step.name: {
        argument.name: _shape(form)
        for argument in step.arguments
        if (form := _form_of(argument.type)[0]) is not None
    }
    for step in STEPS
}
"""Each step's arguments that are forms, by name, with their shapes."""

_BASIS_KEYS: Mapping[str, str] = {basis: key for key, basis in BASES.items()}


def _is_form(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and REDACTED not in value


def _same(value: Any, default: Any) -> bool:
    """Equal as JSON: `0 == False` in Python, not in JSON."""
    if isinstance(default, list):
        return isinstance(value, list) and value == default
    return type(value) is type(default) and value == default


def _compact(form: Mapping[str, Any], shape: _Shape) -> dict[str, Any]:
    out: dict[str, Any] = {}
    defaults, nested = shape.defaults, shape.nested
    for key, value in form.items():
        if key in defaults and _same(value, defaults[key]):
            continue
        inner = nested.get(key)
        if inner is not None:
            value = _each(value, inner, _compact)
        out[key] = value
    return out


def _expand(form: Mapping[str, Any], shape: _Shape) -> dict[str, Any]:
    out = dict(form)
    for key, default in shape.defaults.items():
        if key not in out:
            out[key] = list(default) if type(default) is list else default
    for key, inner in shape.nested.items():
        value = out.get(key)
        if value is not None:
            out[key] = _each(value, inner, _expand)
    return out


def _each(value: Any, inner: tuple[_Shape, bool], change: Any) -> Any:
    shape, many = inner
    if many:
        if not isinstance(value, list):
            return value
        return [change(item, shape) if _is_form(item) else item for item in value]
    return change(value, shape) if _is_form(value) else value


def _obligation_at_rest(item: Any) -> Any:
    if not _is_form(item):
        return item
    out = dict(item)
    if out.get("due", 0) is None:
        del out["due"]
    basis = out.get("basis")
    if basis == "":
        del out["basis"]
    elif type(basis) is str and basis in _BASIS_KEYS:
        out["basis"] = _BASIS_KEYS[basis]
    return out


def _obligation_in_full(item: Any) -> Any:
    if not _is_form(item):
        return item
    out = dict(item)
    out.setdefault("due", None)
    basis = out.get("basis", "")
    out["basis"] = BASES.get(basis, basis) if type(basis) is str else basis
    return out


def layout() -> dict[str, Any]:
    """What `in_full` puts back, as JSON: for the data of each step (`"forms"`, by trigger) whose
    `"schema"` is `SCHEMA`, its form arguments with each field's default and the forms nested
    in it, and each statutory basis by the key data at rest names it by (`"bases"`).

    docs/examples/at_rest.json holds it, for checking the log without this library.
    """

    def shape(form: _Shape) -> dict[str, Any]:
        return {
            "defaults": dict(form.defaults),
            "nested": {
                name: {"many": many, "shape": shape(inner)}
                for name, (inner, many) in form.nested.items()
            },
        }

    return {
        "schema": SCHEMA,
        "forms": {
            trigger: {name: shape(form) for name, form in forms.items()}
            for trigger, forms in _ARGUMENTS.items()
        },
        "bases": dict(BASES),
    }


def at_rest(trigger: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data as a store keeps it (a new dict; `data` is not changed)."""
    forms = _ARGUMENTS.get(trigger)
    if forms is None or data.get("schema") != SCHEMA:
        return dict(data)
    out: dict[str, Any] = {}
    for key, value in data.items():
        shape = forms.get(key)
        if shape is not None and _is_form(value):
            value = _compact(value, shape)
        elif key == "opened" and isinstance(value, list):
            value = [_obligation_at_rest(item) for item in value]
        out[key] = value
    return out


def in_full(trigger: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data as recorded, from the data as a store keeps it (a new dict)."""
    if wrapped(data):
        inner = data[FULL]
        if not isinstance(inner, Mapping):
            raise ValueError(f"data kept in full must be a JSON object, not {inner!r}")
        return dict(inner)
    forms = _ARGUMENTS.get(trigger)
    if forms is None or data.get("schema") != SCHEMA:
        return dict(data)
    out = dict(data)
    for key, shape in forms.items():
        value = out.get(key)
        if _is_form(value):
            out[key] = _expand(value, shape)
    opened = out.get("opened")
    if isinstance(opened, list):
        out["opened"] = [_obligation_in_full(item) for item in opened]
    return out


class StoredTransition(Transition):
    """A transition read from a store's row: its data kept at rest, as text, until read, and
    then read in full (`in_full`)."""

    __slots__ = ()

    def _peek(self) -> Mapping[str, Any]:
        held = self._held()
        if held is not None:
            return held
        return in_full(self._trigger, super()._peek())

    def _top(self) -> Mapping[str, Any]:
        held = self._held()
        if held is not None:
            return held
        kept = super()._peek()
        # At rest, only forms and opened obligations differ from the data in full, unless the
        # whole data is kept wrapped.
        return in_full(self._trigger, kept) if wrapped(kept) else kept
