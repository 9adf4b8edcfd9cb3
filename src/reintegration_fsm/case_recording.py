"""What a transition records: its data, built from a step's values and effects when first read,
and what it records besides its arguments, which replay compares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reintegration_fsm.case_shared import OPEN_STEP
from reintegration_fsm.protocol.definition import FINGERPRINT, Protocol
from reintegration_fsm.protocol.payloads import SCHEMA
from reintegration_fsm.protocol.steps import STEPS, Step
from reintegration_fsm.serialisation import converter

_DUMP: dict[str, tuple[Callable[[Any], Any], ...]] = {
    step.name: tuple(converter.get_unstructure_hook(a.type) for a in step.arguments)
    for step in STEPS
}
"""Each step's arguments' cattrs unstructure hooks, resolved once."""


def _transition_data(
    step: Step, values: Sequence[Any], effects: Mapping[str, Any], protocol: Protocol
) -> dict[str, Any]:
    """A transition's whole data: the layout, the arguments as JSON, and its effects."""
    data: dict[str, Any] = {"schema": SCHEMA}
    for argument, dump, value in zip(step.arguments, _DUMP[step.name], values, strict=True):
        data[argument.name] = None if value is None else dump(value)
    data.update(recorded_extras(step, effects, protocol))
    return data


def recorded_extras(
    step: Step, effects: Mapping[str, Any], protocol: Protocol, named: object = None
) -> dict[str, Any]:
    """What a transition records besides its arguments (which replay reads typed, and checks by
    the step's rules; `_compare` skips them, so they are not written out again): the layout,
    the protocol an `open` names, and its effects.

    An `open` under an authority's protocol names its rules' fingerprint too, but for a history
    whose `open` recorded its protocol (`named`) without one, written before fingerprints were.
    """
    data: dict[str, Any] = {"schema": SCHEMA}
    if step is OPEN_STEP:
        data["protocol"] = {"id": protocol.id, "version": protocol.version}
        earlier = isinstance(named, Mapping) and FINGERPRINT not in named
        if not protocol.built_in and not earlier:
            data["protocol"][FINGERPRINT] = protocol.fingerprint
    data.update(effects)
    return data


class Recipe:
    """How a transition's data is built when first read, from the step's values and effects
    (immutable values, and effects the library built for this transition alone)."""

    __slots__ = ("_effects", "_protocol", "_step", "_values")

    def __init__(
        self,
        step: Step,
        values: tuple[Any, ...],
        effects: Mapping[str, Any],
        protocol: Protocol,
    ) -> None:
        self._step = step
        self._values = values
        self._effects = effects
        self._protocol = protocol

    def __call__(self) -> dict[str, Any]:
        return _transition_data(self._step, self._values, self._effects, self._protocol)
