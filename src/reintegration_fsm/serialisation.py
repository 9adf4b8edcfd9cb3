"""Forms and records to plain JSON and back, with cattrs.

Every form round-trips: `structure(unstructure(form), type(form)) == form`. Bad JSON raises
`FormInvalid` naming the form and the path of the bad value.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import operator
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import cattrs
from cattrs.errors import BaseValidationError, IterableValidationError, IterableValidationNote

from reintegration_fsm import vocabulary
from reintegration_fsm.errors import FormInvalid, describe
from reintegration_fsm.fields import iso_day, iso_time
from reintegration_fsm.records import Deadline, Obligation, Transition, thaw_json
from reintegration_fsm.structuring import every_problem, form_of
from reintegration_fsm.vocabulary import Actor, Stage

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True)
"""The one converter every form and record goes through."""


def _structure_date(value: Any, _: type[Any]) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"must be a date written like 2026-03-02, not {describe(value)}")
    return iso_day(value)


def _structure_time(value: Any, _: type[Any]) -> dt.time:
    if not isinstance(value, str):
        raise TypeError(f"must be a time written like 09:30, not {describe(value)}")
    return iso_time(value)


def _unstructure_frozenset(value: frozenset[Any]) -> list[Any]:
    # Sets have no order; a sorted list keeps the JSON (and so the audit hash) stable.
    return sorted((converter.unstructure(item) for item in value), key=json.dumps)


converter.register_unstructure_hook(dt.date, dt.date.isoformat)
converter.register_structure_hook(dt.date, _structure_date)
converter.register_unstructure_hook(dt.time, dt.time.isoformat)
converter.register_structure_hook(dt.time, _structure_time)


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or typing.get_origin(cls) is frozenset


converter.register_unstructure_hook_func(_is_frozenset, _unstructure_frozenset)

# Our enums are `str` enums, which cattrs would pass through as enum members: register each one
# so that the JSON holds plain values. `_value_` is the plain attribute behind `.value`.
_enum_value = operator.attrgetter("_value_")
for _enum in vocabulary.ENUMS:
    converter.register_unstructure_hook(_enum, _enum_value)


def _is_optional(cls: Any) -> bool:
    args = typing.get_args(cls)
    return (
        typing.get_origin(cls) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _optional_hook(cls: Any) -> Callable[[Any], Any]:
    # cattrs dispatches `X | None` on the runtime type at every call; resolving `X` once is
    # several times faster on the trigger path.
    inner_type = next(arg for arg in typing.get_args(cls) if arg is not type(None))
    inner = converter.get_unstructure_hook(inner_type)

    def unstructure_optional(value: Any) -> Any:
        return None if value is None else inner(value)

    return unstructure_optional


converter.register_unstructure_hook_factory(_is_optional, _optional_hook)


_KIND_WORDS = {str: "text", int: "a whole number", bool: "True or False"}
"""What each plain kind must be, in the words the forms' validators use (`fields.text`...)."""


def _exactly(kind: type[Any]) -> Callable[[Any, type[Any]], Any]:
    # cattrs would coerce (`bool("false")` is True, `int(3.7)` is 3): JSON of the wrong type is
    # bad data, not something to convert.
    def structure_exactly(value: Any, _: type[Any]) -> Any:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"must be {_KIND_WORDS[kind]}, not {describe(value)}")
        return value

    return structure_exactly


for _kind in (str, int, bool):
    converter.register_structure_hook(_kind, _exactly(_kind))


def _enum_hook(cls: type[vocabulary.Word]) -> Callable[[Any, Any], enum.Enum]:
    # A dict lookup: calling the enum class is several times slower, and replay reads many.
    members = {member._value_: member for member in cls}

    def structure_enum(value: Any, _: Any) -> enum.Enum:
        try:
            return members[value]
        except (KeyError, TypeError):
            raise ValueError(cls.refusal(value)) from None

    return structure_enum


# Our enums subclass `str`: registered one by one so the strict `str` hook does not take them.
for _enum in vocabulary.ENUMS:
    converter.register_structure_hook(_enum, _enum_hook(_enum))


def _is_array(cls: Any) -> bool:
    return typing.get_origin(cls) is frozenset or _is_homogeneous_tuple(cls)


def _array_hook(cls: Any) -> Callable[[Any, type[Any]], Any]:
    item_type = typing.get_args(cls)[0]
    build: Callable[[Any], Any] = frozenset if typing.get_origin(cls) is frozenset else tuple

    def structure_array(value: Any, _: type[Any]) -> Any:
        if not isinstance(value, (list, tuple)):  # a string is iterable, but not a JSON array
            raise TypeError(f"expected a JSON array, not {describe(value)}")
        inner = converter.get_structure_hook(item_type)
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(inner(item, item_type))
            except Exception as error:  # gathered and re-raised below, with its index
                where = f"Structuring {cls} @ index {index}"
                note = IterableValidationNote(where, index, item_type)
                # cattrs reads the index from the notes; add_note() only exists from 3.11.
                setattr(error, "__notes__", [*getattr(error, "__notes__", []), note])  # noqa: B010
                errors.append(error)
        if errors:
            raise IterableValidationError(f"While structuring {cls}", errors, cls)
        return build(items)

    return structure_array


converter.register_structure_hook_factory(_is_array, _array_hook)


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = typing.get_args(cls)
    return typing.get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(cls: Any) -> Callable[[Any], Any]:
    inner = converter.get_unstructure_hook(typing.get_args(cls)[0])

    def unstructure_tuple(value: Any) -> list[Any]:
        return [inner(item) for item in value]

    return unstructure_tuple


converter.register_unstructure_hook_factory(_is_homogeneous_tuple, _tuple_hook)


def unstructure(value: Any) -> Any:
    """A form, record or value as plain JSON-ready data."""
    return converter.unstructure(value)


def type_name(hint: Any) -> str:
    """A type hint as a reader would name it (`FailureLetter`, `FailureLetter | None`)."""
    return getattr(hint, "__name__", None) or str(hint).replace("reintegration_fsm.", "")


def structure(data: Any, cls: type[T], hook: Callable[[Any, Any], Any] | None = None) -> T:
    """Build a `cls` from plain JSON-ready data (with `hook`, cls's cattrs structure hook, when
    the caller has it already).

    Raises:
        FormInvalid: the data does not describe a valid `cls`; for a form, naming every
            problem, each at its path in the form ("attendees[1].party").
    """
    try:
        if hook is not None:
            return hook(data, cls)  # type: ignore[no-any-return]
        return converter.structure(data, cls)
    except (
        BaseValidationError,
        FormInvalid,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as error:
        form = form_of(cls)
        found = every_problem(converter, data, cls) if form is not None else []
        if found:
            named = [(path or "?", problem) for path, problem in found]
            raise FormInvalid.of(form.__name__ if form else type_name(cls), named) from None
        if isinstance(error, FormInvalid):
            raise
        raise FormInvalid(type_name(cls), "?", str(error)) from None


def transition_to_json(transition: Transition) -> dict[str, Any]:
    """A transition as plain JSON-ready data (the form stores and exports use): dicts and
    lists of the caller's own, to change at will (the case's record stays frozen)."""
    return {
        "seq": transition.seq,
        "trigger": transition.trigger,
        "source": None if transition.source is None else transition.source.value,
        "dest": transition.dest.value,
        "actor": unstructure(transition.actor),
        "on": transition.on.isoformat(),
        "data": thaw_json(transition.data),
    }


def transition_from_json(data: Any) -> Transition:
    """A transition from `transition_to_json`'s output.

    Raises:
        FormInvalid: the data is not a transition; naming every bad field, the actor's at
            `actor.<field>` (a field missing, a value of the wrong type or unknown to the
            vocabulary; the data's values are never quoted: they hold the child's personal data).
    """
    if not isinstance(data, dict):
        raise FormInvalid("Transition", "?", f"expected a JSON object, not {type(data).__name__}")
    problems: list[tuple[str, str]] = []
    read: dict[str, Any] = {}
    for name, reader in _TRANSITION_FIELDS.items():
        if name not in data:
            problems.append((name, "required field missing"))
            continue
        try:
            read[name] = reader(data[name])
        except FormInvalid as error:  # the actor: each of its problems at its own path
            problems += [
                (name if field == "?" else f"{name}.{field}", what)
                for field, what in error.problems
            ]
        except (KeyError, TypeError, ValueError) as error:
            problems.append((name, str(error)))
    if problems:
        raise FormInvalid.of("Transition", problems)
    return Transition(**read)


def _stage_or_none(value: Any) -> Stage | None:
    return None if value is None else _stage(value)


def _stage(value: Any) -> Stage:
    if not isinstance(value, str):
        raise TypeError(f"expected a stage name, not {type(value).__name__}")
    try:
        return Stage(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a stage") from None


def _payload(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):  # a transition's own (frozen) data is one too
        # Its type, not its text: the data holds the child's personal data.
        raise TypeError(f"must be a JSON object, not {type(value).__name__}")
    _refuse_floats(value)
    return value


_TRANSITION_FIELDS: dict[str, Callable[[Any], Any]] = {
    "seq": lambda value: converter.structure(value, int),
    "trigger": lambda value: converter.structure(value, str),
    "source": _stage_or_none,
    "dest": _stage,
    "actor": lambda value: structure(value, Actor),
    "on": lambda value: _structure_date(value, dt.date),
    "data": _payload,
}
"""How each field of `transition_to_json`'s output is read back, in its order."""


def _refuse_floats(value: Any) -> None:
    # The forms hold no floats, and a float's text is not portable across engines, so the audit
    # log's canonical encoding refuses them: refuse them here, before anything is stored.
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is float:
            raise ValueError(f"numbers with a fraction are not transition data ({item!r})")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def deadline_from_json(data: Any) -> Deadline:
    """A deadline from plain data."""
    return structure(data, Deadline)


def obligation_from_json(data: Any) -> Obligation:
    """An obligation from plain data."""
    return structure(data, Obligation)
