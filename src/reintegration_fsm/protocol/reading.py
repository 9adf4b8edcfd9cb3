"""The typed reading of a transition's data: its arguments as forms, its effects as records."""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from reintegration_fsm.errors import FormInvalid, ProtocolError
from reintegration_fsm.protocol.payloads import SCHEMA, schema_of, upcast
from reintegration_fsm.protocol.steps import STEP, STEPS, Step, day
from reintegration_fsm.records import Deadline, Departure, Obligation, Transition
from reintegration_fsm.serialisation import converter, structure
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party

_HINTS: dict[type, dict[str, tuple[Any, Any]]] = {}


def _hints(cls: type) -> dict[str, tuple[Any, Any]]:
    """An attrs class's fields: name -> (type hint, default), resolved once per class."""
    found = _HINTS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = {
            field.name: (
                hints[field.name],
                None if field.default is attrs.NOTHING else field.default,
            )
            for field in attrs.fields(cls)
        }
        _HINTS[cls] = found
    return found


_CONVERTERS: dict[Any, Any] = {}


def _converter(hint: Any) -> Any:
    """A function turning a recorded JSON value into the type `hint` names, built once per hint
    (converting only as far as a reader reads: a form becomes a `FormView`)."""
    found = _CONVERTERS.get(hint)
    if found is not None:
        return found
    origin = typing.get_origin(hint)
    convert: Any
    if origin in (typing.Union, types.UnionType):
        (inner_hint,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        inner = _converter(inner_hint)

        def convert(raw: Any) -> Any:
            return None if raw is None else inner(raw)

    elif hint is dt.date:
        convert = day
    elif isinstance(hint, type) and issubclass(hint, enum.Enum):
        members = {member._value_: member for member in hint}

        def convert(raw: Any) -> Any:
            return members[raw]

    elif attrs.has(hint):

        def convert(raw: Any) -> Any:
            if not isinstance(raw, dict):  # a dict, or the frozen one a caller's data becomes
                raise TypeError(f"expected a JSON object for {hint.__name__}, not {raw!r}")
            return FormView(raw, hint)

    elif origin in (tuple, frozenset):
        item = _converter(typing.get_args(hint)[0])
        build = tuple if origin is tuple else frozenset

        def convert(raw: Any) -> Any:
            if not isinstance(raw, list):
                raise TypeError(f"expected a JSON array, not {raw!r}")
            return build(item(value) for value in raw)

    elif hint in (str, int, bool):

        def convert(raw: Any) -> Any:
            if type(raw) is not hint:
                raise TypeError(f"expected {hint.__name__}, not {raw!r}")
            return raw

    else:

        def convert(raw: Any) -> Any:
            return raw

    _CONVERTERS[hint] = convert
    return convert


def _as(raw: Any, hint: Any) -> Any:
    """A recorded JSON value as the type `hint` names, converted only as far as it is read."""
    return _converter(hint)(raw)


class FormView:
    """A recorded form read as its class reads, field by field, from the stored JSON: what a
    store's fast load projects from, without building (and keeping) the whole form."""

    __slots__ = ("_cls", "_data")

    def __init__(self, data: Mapping[str, Any], cls: type) -> None:
        self._data = data
        self._cls = cls

    def __getattr__(self, name: str) -> Any:
        try:
            hint, default = _hints(self._cls)[name]
        except KeyError:
            raise AttributeError(name) from None
        raw = self._data.get(name, default)
        return raw if raw is default and default is not None else _as(raw, hint)


def payload_view(step: Step, data: Mapping[str, Any]) -> Any:
    """The step's payload read from a transition's recorded JSON, as `FormView`s.

    Raises:
        KeyError, TypeError, ValueError: the data does not hold what the step records.
    """
    values: list[Any] = []
    for argument in step.arguments:
        raw = data.get(argument.name)
        if raw is None and argument.optional:
            values.append(None)
            continue
        if raw is None:
            raise KeyError(argument.name)
        values.append(_as(raw, argument.type))
    return step.payload(values)


def read_values(step: Step, data: Mapping[str, Any], seq: int) -> tuple[Any, ...]:
    """The step's arguments, typed, from a transition's data (None for an absent optional one).

    Raises:
        FormInvalid: an argument is missing or malformed; names the transition.
    """
    values: list[Any] = []
    for argument, hook in zip(step.arguments, _LOAD[step.name], strict=True):
        raw = data.get(argument.name)
        if raw is None:
            if argument.optional:
                values.append(None)
                continue
            raise FormInvalid("history", str(seq), f"{step.name}: no {argument.name!r} recorded")
        try:
            values.append(structure(raw, argument.type, hook))
        except FormInvalid as error:
            if attrs.has(argument.type):
                raise  # a form names itself and its fields
            raise FormInvalid.of(argument.name, error.problems) from None
    return tuple(values)


_LOAD = {
    step.name: tuple(converter.get_structure_hook(a.type) for a in step.arguments) for step in STEPS
}
"""Each step's arguments' cattrs structure hooks, resolved once."""


def read_payload(step: Step, transition: Transition) -> Any:
    """The payload the step's rules read, typed, from a transition of that step.

    Raises:
        FormInvalid: the data is malformed; names the transition.
    """
    return step.payload(read_values(step, transition._raw(), transition.seq))


@attrs.frozen
class Reading:
    """A transition's data, typed: what was given to the trigger and what it recorded."""

    transition: Transition
    arguments: Mapping[str, Any]
    """The trigger's arguments by name: forms, enums and text."""
    deadlines: tuple[Deadline, ...]
    """Deadlines it opened."""
    met: tuple[tuple[DeadlineKind, dt.date], ...]
    """Deadlines it met, by kind and due date."""
    opened: tuple[Obligation, ...]
    closed: tuple[tuple[ObligationKind, Party], ...]
    """Obligations it closed, by kind and owner."""
    departures: tuple[Departure, ...]


def read(transition: Transition) -> Reading:
    """A transition's typed reading (upcast first, when its data is in an older layout).

    Raises:
        FormInvalid: the data is malformed; names the transition.
    """
    if schema_of(transition._raw()) != SCHEMA:
        raise FormInvalid(
            "history",
            str(transition.seq),
            "an older data layout is read with its whole history: use read_history",
        )
    step = STEP.get(transition.trigger)
    if step is None:
        raise FormInvalid("history", str(transition.seq), f"unknown trigger {transition.trigger!r}")
    data = transition.data
    try:
        values = read_values(step, data, transition.seq)
        return Reading(
            transition,
            {argument.name: value for argument, value in zip(step.arguments, values, strict=True)},
            _deadlines(data),
            tuple((DeadlineKind(d["kind"]), day(d["due"])) for d in data.get("met", ())),
            tuple(
                Obligation(
                    ObligationKind(o["kind"]),
                    Party(o["owner"]),
                    None if o["due"] is None else day(o["due"]),
                    o.get("basis", ""),
                    transition.on,
                )
                for o in data.get("opened", ())
            ),
            tuple((ObligationKind(c["kind"]), Party(c["owner"])) for c in data.get("closed", ())),
            tuple(
                Departure(transition.seq, d["rule"], d["text"]) for d in data.get("departures", ())
            ),
        )
    except ProtocolError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise FormInvalid(
            "history", str(transition.seq), f"malformed {transition.trigger!r} data: {error!r}"
        ) from None


def read_history(history: list[Transition]) -> list[Reading]:
    """Every transition of a history, typed (upcast to the current layout first)."""
    return [read(transition) for transition in upcast(history)]


def check_recorded(history: Iterable[Transition]) -> None:
    """Refuse a history a step of which holds data that is not a JSON object (a row changed
    behind its store): each step's top level read, no form, nothing kept.

    Raises:
        FormInvalid: naming the first such step.
    """
    for transition in history:
        transition._top()


def _deadlines(data: Mapping[str, Any]) -> tuple[Deadline, ...]:
    """The deadlines a transition's data says it opened."""
    return tuple(
        Deadline(DeadlineKind(d["kind"]), day(d["due"])) for d in data.get("deadlines", ())
    )


def deadlines_set(history: list[Transition]) -> list[tuple[Transition, tuple[Deadline, ...]]]:
    """Each transition of a history with the deadlines it opened, as `read_history` reads
    them; a history in the current layout is read from its data's top level alone, no form
    read (a report reads every case's: review QP, QP6).

    Raises:
        FormInvalid: a transition's deadlines (or, in an older layout, its data) do not read.
    """
    tops = [transition._top() for transition in history]  # (a stored step's: parsed anew)
    if any(schema_of(top) != SCHEMA for top in tops):
        return [(reading.transition, reading.deadlines) for reading in read_history(history)]
    found = []
    for transition, top in zip(history, tops, strict=True):
        try:
            found.append((transition, _deadlines(top)))
        except (KeyError, TypeError, ValueError) as error:
            raise FormInvalid(
                "history",
                str(transition.seq),
                f"malformed {transition.trigger!r} deadlines: {error!r}",
            ) from None
    return found
