"""The declared steps, the `transitions` machine built from them and the dispatch table the cases
run on, held against the trigger table transcribed by hand from PROTOCOL.md (tests/oracle.py)."""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import pytest
from transitions import MachineError

import scenario as sc
from oracle import EDGES, MOVES, WORCESTERSHIRE_ROLES
from reintegration_fsm import (
    WORCESTERSHIRE,
    ProtocolDefinitionError,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Stage,
    Trigger,
)
from reintegration_fsm.protocol import diagrams, machine, steps
from reintegration_fsm.protocol.payloads import EmergencyReview

EMERGENCY_DATA = {
    decision: EmergencyReview(
        sc.review(sc.FIRST_REVIEW, ReviewKind.EMERGENCY, decision=decision), None
    )
    for decision in ReviewDecision
}
"""The payload of an emergency review by its decision, which the step's ways read."""


class Model:
    """A bare model for the machine."""

    state: str


def fire_machine(stage: Stage, trigger: str, data: Any) -> Stage | None:
    """Where the `transitions` machine goes with passing guards; None when not available."""
    built = machine.build_machine()
    model = Model()
    built.add_model(model, initial=stage.value)
    try:
        model.trigger(trigger, guards_pass=True, data=data)  # type: ignore[attr-defined]
    except MachineError:
        return None
    return Stage(model.state)


@pytest.mark.parametrize(("stage", "trigger"), list(itertools.product(Stage, MOVES)))
def test_the_machine_and_the_dispatch_table_follow_the_contracts_trigger_table(
    stage: Stage, trigger: str
) -> None:
    """Each (stage, trigger) is available exactly where PROTOCOL.md says, leading where it says."""
    expected = MOVES[trigger].get(stage)
    step = machine.DISPATCH[stage].get(trigger)
    if expected is None:
        assert step is None
        assert fire_machine(stage, trigger, EMERGENCY_DATA[ReviewDecision.CONTINUE]) is None
        return
    assert step is not None
    reached = set()
    for data in EMERGENCY_DATA.values() if trigger == "hold_emergency_review" else [None]:
        try:
            reached.add(step.dest(stage, data))
        except Exception:
            continue
        assert fire_machine(stage, trigger, data) == step.dest(stage, data)
    assert reached == set(expected)


def test_the_emergency_review_leads_by_its_decision() -> None:
    """CONTINUE returns to the placement, END goes to ENDING; no way takes MAKE_PERMANENT."""
    step = steps.STEP["hold_emergency_review"]
    here = Stage.EMERGENCY_REVIEW
    assert step.dest(here, EMERGENCY_DATA[ReviewDecision.CONTINUE]) is Stage.IN_PLACEMENT
    assert step.dest(here, EMERGENCY_DATA[ReviewDecision.END]) is Stage.ENDING
    with pytest.raises(Exception, match="matches none of the step's outcomes"):
        step.dest(here, EMERGENCY_DATA[ReviewDecision.MAKE_PERMANENT])


def test_the_edges_are_the_contracts() -> None:
    """Every stage change the machine makes is one the contract lists, and every one is made."""
    assert set(machine.edges()) == EDGES


def test_worcestershire_gives_each_trigger_the_contracts_roles() -> None:
    """The roles column of PROTOCOL.md's table is what WORCESTERSHIRE holds."""
    assert dict(WORCESTERSHIRE.roles) == WORCESTERSHIRE_ROLES


def test_every_trigger_is_declared_once() -> None:
    assert sorted(step.name for step in steps.STEPS) == sorted(t.value for t in Trigger)


def test_a_trigger_declared_twice_is_refused() -> None:
    with pytest.raises(ProtocolDefinitionError, match="declared 2 times"):
        steps.check_steps((*steps.STEPS, steps.STEP["withdraw"]))


def test_a_step_leaving_a_final_stage_is_refused() -> None:
    escape = attrs.evolve(steps.STEP["withdraw"], sources=(Stage.WITHDRAWN,))
    declared = tuple(escape if s.name == "withdraw" else s for s in steps.STEPS)
    with pytest.raises(ProtocolDefinitionError, match="leaves the final stage withdrawn"):
        steps.check_steps(declared)


def test_an_unreachable_stage_is_refused() -> None:
    """Without the emergency review's END way, ENDING and UNSUCCESSFUL cannot be reached."""
    emergency = steps.STEP["hold_emergency_review"]
    only_continue = attrs.evolve(emergency, ways=emergency.ways[:1])
    declared = tuple(only_continue if s is emergency else s for s in steps.STEPS)
    with pytest.raises(ProtocolDefinitionError, match="nothing reaches ending, unsuccessful"):
        steps.check_steps(declared)


def test_a_step_with_two_outcomes_one_unconditional_is_refused() -> None:
    emergency = steps.STEP["hold_emergency_review"]
    loose = attrs.evolve(emergency, ways=(steps.Way(Stage.ENDING), *emergency.ways))
    declared = tuple(loose if s is emergency else s for s in steps.STEPS)
    with pytest.raises(ProtocolDefinitionError, match="several outcomes, one unconditional"):
        steps.check_steps(declared)


def test_the_diagrams_draw_every_edge() -> None:
    """Mermaid and DOT list every stage change of the contract."""
    mermaid, dot = diagrams.mermaid(), diagrams.dot()
    for source, dest, trigger in EDGES:
        assert f"{source.value} --> {dest.value}: {trigger}" in mermaid
        assert f'{source.value} -> {dest.value} [label="{trigger}"]' in dot


def test_the_markdown_table_follows_the_protocols_roles() -> None:
    """A variant protocol's table shows its own roles."""
    only_head = attrs.evolve(
        WORCESTERSHIRE,
        version="9",
        roles={**WORCESTERSHIRE.roles, "hold_review": frozenset({sc.HOST_HEAD.role})},
    )
    assert "| `hold_review` | in_placement | same stage | HOST_HEAD | R9 |" in diagrams.markdown(
        only_head
    )
    assert "AP_HEAD, AP_STAFF, HOST_HEAD, HOST_STAFF | R9 |" in diagrams.markdown()


def test_no_machine_or_binding_is_created_per_case() -> None:
    """Cases are plain objects: opening one adds no model to the module's machine."""
    models_before = list(machine.MACHINE.models)
    case = Reintegration.open(
        "T-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, by=sc.AP_HEAD, on=sc.OPENED
    )
    assert list(machine.MACHINE.models) == models_before
    assert not hasattr(case, "trigger")
    assert not hasattr(case, "__dict__")  # slotted: nothing can be bound to it
