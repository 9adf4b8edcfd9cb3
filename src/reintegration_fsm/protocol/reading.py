"""The typed reading of a transition's data: its arguments as forms, its effects as records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from reintegration_fsm.errors import FormInvalid, ProtocolError
from reintegration_fsm.protocol.payloads import upcast
from reintegration_fsm.protocol.steps import STEP, Step, day
from reintegration_fsm.records import Deadline, Departure, Obligation, Transition
from reintegration_fsm.serialisation import structure
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party


def read_values(step: Step, data: Mapping[str, Any], seq: int) -> tuple[Any, ...]:
    """The step's arguments, typed, from a transition's data (None for an absent optional one).

    Raises:
        FormInvalid: an argument is missing or malformed; names the transition.
    """
    values: list[Any] = []
    for argument in step.arguments:
        raw = data.get(argument.name)
        if raw is None:
            if argument.optional:
                values.append(None)
                continue
            raise FormInvalid("history", str(seq), f"{step.name}: no {argument.name!r} recorded")
        values.append(structure(raw, argument.type))
    return tuple(values)


def read_payload(step: Step, transition: Transition) -> Any:
    """The payload the step's rules read, typed, from a transition of that step.

    Raises:
        FormInvalid: the data is malformed; names the transition.
    """
    return step.payload(read_values(step, transition.data, transition.seq))


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
    if transition.trigger != "open" and "schema" not in transition.data:
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
            tuple(
                Deadline(DeadlineKind(d["kind"]), day(d["due"])) for d in data.get("deadlines", ())
            ),
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
