"""The `transitions` machine built from the declared steps, and the dispatch table the cases run
on, compiled from that machine's events.

This is the only module that imports `transitions`. Cases are never bound to the machine: its
events are read once, here, into `DISPATCH` (stage -> trigger -> step), which the hot path uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from transitions import Machine

from reintegration_fsm.errors import ProtocolDefinitionError
from reintegration_fsm.protocol.steps import STEP, STEPS, Data, Step
from reintegration_fsm.vocabulary import Stage, Trigger


def _guards_pass(*_: Any, guards_pass: bool = True, **__: Any) -> bool:
    return guards_pass


def _way_condition(when: Callable[[Data], bool]) -> Callable[..., bool]:
    def condition(*_: Any, data: Any = None, **__: Any) -> bool:
        return when(data)

    condition.__name__ = when.__name__
    return condition


def build_machine(steps: Sequence[Step] = STEPS) -> Machine:
    """A `transitions` machine of the protocol (no model bound; `auto_transitions` off).

    Triggers fired on a model of this machine take the keyword arguments `guards_pass` (the
    outcome of the step's guards) and `data` (the step's payload, which its outcomes read).
    """
    machine = Machine(
        model=None,
        states=[stage.value for stage in Stage],
        initial=Stage.PROPOSED.value,
        auto_transitions=False,
        send_event=False,
    )
    for step in steps:
        for way in step.ways:
            conditions: list[str | Callable[..., bool | None]] = [_guards_pass]
            if way.when is not None:
                conditions.append(_way_condition(way.when))
            for source in step.sources:
                machine.add_transition(
                    step.name,
                    source.value,
                    None if way.dest is None else way.dest.value,
                    conditions=conditions,
                )
    return machine


MACHINE = build_machine()
"""The one `transitions` machine of the protocol."""


def compile_dispatch(machine: Machine) -> dict[Stage, dict[str, Step]]:
    """Stage -> trigger -> step, read from the machine's events.

    Raises:
        ProtocolDefinitionError: the machine and the declared steps disagree.
    """
    dispatch: dict[Stage, dict[str, Step]] = {stage: {} for stage in Stage}
    for trigger, event in machine.events.items():
        step = STEP.get(trigger)
        if step is None:
            raise ProtocolDefinitionError(trigger, "is an event of the machine but no step")
        for source_name, transitions in event.transitions.items():
            source = Stage(source_name)
            dests = {None if t.dest is None else Stage(t.dest) for t in transitions}
            declared = {way.dest for way in step.ways}
            if dests != declared or source not in step.sources:
                raise ProtocolDefinitionError(trigger, f"the machine disagrees from {source.value}")
            dispatch[source][trigger] = step
    return dispatch


DISPATCH: Mapping[Stage, Mapping[str, Step]] = compile_dispatch(MACHINE)
"""What each stage allows: the hot path's dispatch table."""

TRIGGERS_IN: Mapping[Stage, tuple[str, ...]] = {
    stage: tuple(t.value for t in Trigger if t.value in DISPATCH[stage]) for stage in Stage
}
"""The triggers available in each stage, in the declaration's order."""


def edges() -> Iterator[tuple[Stage, Stage, str]]:
    """Every (source, destination, trigger) of the protocol that changes stage."""
    for step in STEPS:
        for way in step.ways:
            if way.dest is not None:
                for source in step.sources:
                    yield source, way.dest, step.name
