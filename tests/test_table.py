"""The declarative protocol table, the `transitions` machine built from it, and the compiled
dispatch routes the cases run on: they must agree, and the table must be consistent."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from transitions import MachineError

import scenario as sc
from reintegration_fsm import Reintegration, ReviewDecision, Stage, table

EMERGENCY_PAYLOADS = {
    decision: {"meeting": {"decision": decision.value}} for decision in ReviewDecision
}
"""The transition data of an emergency review, which the branch conditions read."""
PAYLOADS: list[Any] = [None, *EMERGENCY_PAYLOADS.values()]
TRIGGERS = [t for t in table.TRIGGERS if t != "open"]


class Model:
    """A bare model for the reference machine."""

    state: str


def fire_machine(stage: Stage, trigger: str, guards_pass: bool, payload: Any) -> Stage | None:
    """Where the `transitions` machine goes; None when the trigger is not available."""
    machine = table.build_machine()
    model = Model()
    machine.add_model(model, initial=stage.value)
    try:
        model.trigger(trigger, guards_pass=guards_pass, data=payload)  # type: ignore[attr-defined]
    except MachineError:
        return None
    return Stage(model.state)


def fire_compiled(stage: Stage, trigger: str, guards_pass: bool, payload: Any) -> Stage | None:
    """Where the compiled routes go; None when the trigger is not available."""
    route = table.ROUTES.get((stage, trigger))
    if route is None:
        return None
    if not guards_pass:
        return stage
    return route.dest(stage, payload)


@pytest.mark.parametrize(
    ("stage", "trigger", "guards_pass", "payload"),
    [
        combination
        for combination in itertools.product(Stage, TRIGGERS, (True, False), PAYLOADS)
        # Branch conditions read an emergency review; other triggers take no such payload.
        if combination[3] is None or combination[1] == "hold_emergency_review"
    ],
)
def test_compiled_routes_agree_with_the_transitions_machine(
    stage: Stage, trigger: str, guards_pass: bool, payload: Any
) -> None:
    """Every (stage, trigger, guard outcome, branch) leads where the transitions machine leads."""
    if trigger == "hold_emergency_review" and payload is None:
        payload = EMERGENCY_PAYLOADS[ReviewDecision.CONTINUE]
    assert fire_compiled(stage, trigger, guards_pass, payload) == fire_machine(
        stage, trigger, guards_pass, payload
    )


def test_the_emergency_review_branches_by_decision() -> None:
    """CONTINUE returns to the placement, END goes to ENDING, anything else stays."""
    route = table.ROUTES[Stage.EMERGENCY_REVIEW, "hold_emergency_review"]
    payload = EMERGENCY_PAYLOADS
    assert (
        route.dest(Stage.EMERGENCY_REVIEW, payload[ReviewDecision.CONTINUE]) is Stage.IN_PLACEMENT
    )
    assert route.dest(Stage.EMERGENCY_REVIEW, payload[ReviewDecision.END]) is Stage.ENDING
    assert (
        route.dest(Stage.EMERGENCY_REVIEW, payload[ReviewDecision.MAKE_PERMANENT])
        is Stage.EMERGENCY_REVIEW
    )


def test_every_stage_is_reachable_and_final_stages_have_no_way_out() -> None:
    """The protocol check passes, every stage is a destination, and final stages lead nowhere."""
    table.check_protocol()
    destinations = {dest for _, dest, _ in table.edges()}
    assert destinations | {Stage.PROPOSED} == set(Stage)
    for source, _, trigger in table.edges():
        assert not source.is_final, trigger


def test_only_discharge_is_available_in_final_stages() -> None:
    """Nothing leaves a final stage; obligations can still be discharged there."""
    for stage in Stage:
        if stage.is_final:
            assert table.TRIGGERS_IN[stage] == ("discharge",)


def test_every_trigger_is_a_typed_method_of_the_case() -> None:
    """The table and `Reintegration` name the same protocol steps."""
    for trigger in table.TRIGGERS:
        assert callable(getattr(Reintegration, trigger))


def test_an_inconsistent_table_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A step leaving a final stage is caught by the import-time check."""
    escape = table.Step(
        "reopen", (Stage.WITHDRAWN,), Stage.PROPOSED, table.AP, (), (), "not in the seed"
    )
    monkeypatch.setattr(table, "PROTOCOL", (*table.PROTOCOL, escape))
    with pytest.raises(AssertionError, match="leaves final stage"):
        table.check_protocol()


def test_an_unreachable_stage_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping the only way into ENDING makes ENDING and UNSUCCESSFUL unreachable."""
    kept = tuple(step for step in table.PROTOCOL if step.dest is not Stage.ENDING)
    monkeypatch.setattr(table, "PROTOCOL", kept)
    with pytest.raises(AssertionError, match="unreachable stages"):
        table.check_protocol()


def test_the_diagrams_are_derived_from_the_table() -> None:
    """Mermaid and DOT list every stage-changing edge of the table."""
    mermaid, dot = table.mermaid(), table.dot()
    for source, dest, trigger in table.edges():
        assert f"{source.value} --> {dest.value}: {trigger}" in mermaid
        assert f'{source.value} -> {dest.value} [label="{trigger}"]' in dot


def test_no_machine_or_binding_is_created_per_case() -> None:
    """Cases are plain objects: opening one adds no model to the module's machine."""
    models_before = list(table.MACHINE.models)
    sc_case = Reintegration.open(
        "T-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, by=sc.AP_HEAD, on=sc.OPENED
    )
    assert list(table.MACHINE.models) == models_before
    assert not hasattr(sc_case, "trigger")
    assert not hasattr(sc_case, "__dict__")  # slotted: nothing can be bound to it


def test_the_dispatch_table_is_the_routes_by_stage() -> None:
    """DISPATCH holds exactly ROUTES, grouped by stage, so the hot path cannot drift from it."""
    regrouped = {
        (stage, trigger): route
        for stage, routes in table.DISPATCH.items()
        for trigger, route in routes.items()
    }
    assert regrouped == table.ROUTES
