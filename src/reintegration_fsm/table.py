"""The protocol as one declarative table, the `transitions` machine built from it, and the
dispatch table compiled from that machine's events for the hot path.

This is the only module that imports `transitions`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
from transitions import Machine

from reintegration_fsm import rules
from reintegration_fsm.vocabulary import ReviewDecision, Role, Stage

Guard = Callable[[Any, Any, Any], list[str]]
Branch = Callable[[Mapping[str, Any]], bool]

S = Stage
AP = frozenset({Role.AP_HEAD, Role.AP_STAFF})
HOST = frozenset({Role.HOST_HEAD, Role.HOST_STAFF})
OBLIGATION_OWNERS = frozenset(
    {Role.AP_HEAD, Role.AP_STAFF, Role.HOST_HEAD, Role.HOST_STAFF, Role.LA_ADMISSIONS}
)
NON_FINAL = tuple(stage for stage in Stage if not stage.is_final)


def decides_continue(data: Mapping[str, Any]) -> bool:
    """The emergency review recorded in `data` decided the reintegration continues."""
    return bool(data["meeting"]["decision"] == ReviewDecision.CONTINUE.value)


def decides_end(data: Mapping[str, Any]) -> bool:
    """The emergency review recorded in `data` decided to end the reintegration."""
    return bool(data["meeting"]["decision"] == ReviewDecision.END.value)


@attrs.frozen
class Step:
    """One row of the protocol: a trigger, its sources and destination, its roles and rules."""

    trigger: str
    sources: tuple[Stage, ...]
    dest: Stage | None
    """None: the case stays in the stage it is in."""
    roles: frozenset[Role]
    rules: tuple[str, ...]
    guards: tuple[Guard, ...]
    seed: str
    """The passage of the seed protocol the step comes from."""
    when: Branch | None = None
    """For a trigger with several destinations: the condition on the transition's recorded
    data that chooses this one (data, not the live forms, so that replay can check it too)."""


PROTOCOL: tuple[Step, ...] = (
    Step(
        "open",
        (),
        S.PROPOSED,
        frozenset({Role.AP_HEAD}),
        ("R1",),
        (rules.pupil_is_eligible,),
        "NB this form is only to be used for those children/young people to be reintegrated "
        "from alternative provision, who are not already also on the roll of a mainstream school.",
    ),
    Step(
        "record_consent",
        (S.PROPOSED,),
        S.CONSENTED,
        frozenset({Role.AP_HEAD}),
        ("R2",),
        (rules.consent_is_complete,),
        "Process 1: they must first discuss this with the parents and gain their written consent "
        "using the Parental Consent Form.",
    ),
    Step(
        "refer_to_fair_access",
        (S.CONSENTED,),
        S.REFERRED,
        frozenset({Role.AP_HEAD}),
        ("R3", "R4", "R5", "R6"),
        (rules.psp_is_active, rules.information_is_gathered),
        "Process 1-2: there should be an active Pastoral Support Plan (PSP) ... raise the matter "
        "for discussion at a Fair Access Area Panel meeting.",
    ),
    Step(
        "identify_host",
        (S.REFERRED,),
        S.HOST_IDENTIFIED,
        frozenset({Role.LA_ADMISSIONS}),
        ("R5",),
        (rules.host_is_named,),
        "Process 3: Once a receiving school has been identified either at FAAP or by virtual "
        "approach.",
    ),
    Step(
        "note_at_panel",
        tuple(s for s in NON_FINAL if s is not S.PROPOSED and s is not S.CONSENTED),
        None,
        frozenset({Role.LA_ADMISSIONS}),
        ("R6",),
        (rules.panel_note_is_open,),
        "Process 2: a virtual approach can be made, which will be noted at the next meeting.",
    ),
    Step(
        "hold_initial_meeting",
        (S.HOST_IDENTIFIED,),
        S.PLANNED,
        AP,
        ("R7",),
        (rules.initial_meeting_is_complete,),
        "Process 4: The Reintegration Initial Meeting Form should be completed and signed by all "
        "parties at this meeting. Review dates including the final placement review will also "
        "be agreed.",
    ),
    Step(
        "start_placement",
        (S.PLANNED,),
        S.IN_PLACEMENT,
        HOST,
        ("R8",),
        (rules.start_date_reached,),
        "Process 5: For registration purposes, the pupil should appear on both registers.",
    ),
    Step(
        "hold_review",
        (S.IN_PLACEMENT,),
        None,
        HOST | AP,
        ("R9",),
        (rules.review_is_complete,),
        "Process 6: Reviews should be planned at the outset, and attended by representatives of "
        "both schools, the student, parents/carers. The views of the child/young person should "
        "be gathered prior to each review.",
    ),
    Step(
        "call_emergency_review",
        (S.IN_PLACEMENT,),
        S.EMERGENCY_REVIEW,
        frozenset({Role.HOST_HEAD}),
        ("R10",),
        (rules.emergency_reason_given,),
        "Process 7: If the receiving school is considering ending the reintegration, the head "
        "teacher or their representative should hold an emergency review meeting.",
    ),
    Step(
        "hold_emergency_review",
        (S.EMERGENCY_REVIEW,),
        S.IN_PLACEMENT,
        frozenset({Role.HOST_HEAD}),
        ("R10", "R11"),
        (rules.emergency_review_is_complete, rules.ending_is_justified),
        "Process 7: All parties should agree on whether the reintegration can continue, and "
        "relevant support required for this to happen should be documented.",
        when=decides_continue,
    ),
    Step(
        "hold_emergency_review",
        (S.EMERGENCY_REVIEW,),
        S.ENDING,
        frozenset({Role.HOST_HEAD}),
        ("R10", "R11"),
        (rules.emergency_review_is_complete, rules.ending_is_justified),
        "Sample Letter in the case of a failed Reintegration.",
        when=decides_end,
    ),
    Step(
        "record_successful_outcome",
        (S.IN_PLACEMENT,),
        S.SUCCESSFUL,
        HOST,
        ("R13",),
        (rules.permanent_move_is_agreed,),
        "Process 8-10: On the agreed date for permanent admission ... a transfer in (+3 point) "
        "and transfer out (-3 point) in relation to the weightings grid.",
    ),
    Step(
        "record_unsuccessful_outcome",
        (S.ENDING,),
        S.UNSUCCESSFUL,
        AP,
        ("R12",),
        (rules.return_is_provided_for,),
        "UNSUCCESSFUL Reintegration Outcome Form to be completed by Home School.",
    ),
    Step(
        "withdraw",
        (S.PROPOSED, S.CONSENTED, S.REFERRED, S.HOST_IDENTIFIED, S.PLANNED),
        S.WITHDRAWN,
        frozenset({Role.AP_HEAD, Role.PARENT}),
        ("R14",),
        (rules.withdrawal_reason_given,),
        "Procedures: If parents and the child/young person agree that a reintegration is "
        "appropriate (and so may withdraw that agreement before the placement starts).",
    ),
    Step(
        "discharge",
        tuple(Stage),
        None,
        OBLIGATION_OWNERS,
        (),
        (rules.obligation_is_open,),
        "Process 5, 8, 9 and the outcome forms: the follow-up work each party owes.",
    ),
)
"""The whole protocol, one row per (trigger, destination), in the seed's order."""

ALWAYS: tuple[Guard, ...] = (rules.time_runs_forward,)
"""Guards every trigger runs before its own (R16)."""

TRIGGERS: tuple[str, ...] = tuple(dict.fromkeys(step.trigger for step in PROTOCOL))


@attrs.frozen
class Route:
    """A compiled (stage, trigger) entry: who may fire it, its guards, and where it leads."""

    trigger: str
    roles: frozenset[Role]
    guards: tuple[Guard, ...]
    branches: tuple[tuple[Stage, Branch | None], ...]

    def dest(self, source: Stage, data: Mapping[str, Any]) -> Stage:
        """The destination for a transition recording `data` (its guards having passed)."""
        for dest, when in self.branches:
            if when is None or when(data):
                return dest
        return source


def _guards_pass(*_: Any, guards_pass: bool = True, **__: Any) -> bool:
    return guards_pass


def _branch_condition(when: Branch) -> Callable[..., bool]:
    def condition(*_: Any, data: Any = None, **__: Any) -> bool:
        return when(data)

    condition.__name__ = when.__name__
    return condition


def build_machine() -> Machine:
    """A `transitions` machine of the protocol (no model bound; `auto_transitions` off).

    Triggers fired on a model of this machine take the keyword arguments `guards_pass` (the
    outcome of the step's guards) and `data` (the transition data branch conditions read).
    """
    machine = Machine(
        model=None,
        states=[stage.value for stage in Stage],
        initial=Stage.PROPOSED.value,
        auto_transitions=False,
        send_event=False,
    )
    for step in PROTOCOL:
        conditions: list[str | Callable[..., bool | None]] = [_guards_pass]
        if step.when is not None:
            conditions.append(_branch_condition(step.when))
        for source in step.sources:
            machine.add_transition(
                step.trigger,
                source.value,
                None if step.dest is None else step.dest.value,
                conditions=conditions,
            )
    return machine


MACHINE = build_machine()
"""The one `transitions` machine of the protocol; cases are never bound to it."""


def _step_for(trigger: str, dest: Stage | None) -> Step:
    for step in PROTOCOL:
        if step.trigger == trigger and step.dest is dest:
            return step
    raise LookupError(f"no protocol step {trigger!r} -> {dest}")


def compile_routes(machine: Machine) -> dict[tuple[Stage, str], Route]:
    """The dispatch table the cases run on, compiled from the machine's events."""
    routes: dict[tuple[Stage, str], Route] = {}
    for trigger, event in machine.events.items():
        for source_name, transitions in event.transitions.items():
            source = Stage(source_name)
            branches = []
            roles: frozenset[Role] = frozenset()
            guards: tuple[Guard, ...] = ()
            for transition in transitions:
                dest = None if transition.dest is None else Stage(transition.dest)
                step = _step_for(trigger, dest)
                roles, guards = step.roles, ALWAYS + step.guards
                branches.append((source if dest is None else dest, step.when))
            routes[source, trigger] = Route(trigger, roles, guards, tuple(branches))
    return routes


ROUTES: dict[tuple[Stage, str], Route] = compile_routes(MACHINE)
"""(stage, trigger) -> Route: the hot path's dispatch table."""

DISPATCH: dict[Stage, dict[str, Route]] = {
    stage: {trigger: route for (source, trigger), route in ROUTES.items() if source is stage}
    for stage in Stage
}
"""ROUTES again, by stage then trigger: one lookup per level, with no key tuple to build."""

OPEN = Route(
    "open",
    _step_for("open", Stage.PROPOSED).roles,
    ALWAYS + _step_for("open", Stage.PROPOSED).guards,
    ((Stage.PROPOSED, None),),
)

TRIGGERS_IN: dict[Stage, tuple[str, ...]] = {
    stage: tuple(t for t in TRIGGERS if (stage, t) in ROUTES) for stage in Stage
}
"""The triggers available in each stage, in the table's order."""


def edges() -> Iterator[tuple[Stage, Stage, str]]:
    """Every (source, destination, trigger) of the protocol that changes stage."""
    for step in PROTOCOL:
        if step.dest is not None:
            for source in step.sources:
                yield source, step.dest, step.trigger


def check_protocol() -> None:
    """Refuse an inconsistent protocol: unreachable stages, a way out of a final stage, or a
    destination the machine does not know.

    Raises:
        AssertionError: the table is inconsistent (a bug in this module, caught at import).
    """
    known = set(MACHINE.states)
    for step in PROTOCOL:
        if step.dest is not None and step.dest.value not in known:
            raise AssertionError(f"{step.trigger} leads to unknown stage {step.dest}")
        for source in step.sources:
            if source.is_final and step.dest is not None:
                raise AssertionError(f"{step.trigger} leaves final stage {source.value}")
    reached = {Stage.PROPOSED}
    queue = deque([Stage.PROPOSED])
    while queue:
        stage = queue.popleft()
        for source, dest, _ in edges():
            if source is stage and dest not in reached:
                reached.add(dest)
                queue.append(dest)
    unreachable = set(Stage) - reached
    if unreachable:
        raise AssertionError(f"unreachable stages: {sorted(s.value for s in unreachable)}")
    for (stage, trigger), route in ROUTES.items():
        if len(route.branches) > 1 and any(when is None for _, when in route.branches):
            raise AssertionError(f"{trigger} in {stage.value} has an unconditional branch")


check_protocol()


def mermaid() -> str:
    """The protocol's stage diagram as Mermaid source, derived from the table."""
    lines = ["stateDiagram-v2", f"    [*] --> {Stage.PROPOSED.value}: open"]
    for source, dest, trigger in edges():
        lines.append(f"    {source.value} --> {dest.value}: {trigger}")
    lines.extend(f"    {stage.value} --> [*]" for stage in Stage if stage.is_final)
    return "\n".join(lines) + "\n"


def dot() -> str:
    """The protocol's stage diagram as Graphviz DOT source, derived from the table."""
    lines = ["digraph reintegration {", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    lines.extend(
        f"    {stage.value} [shape=box, peripheries=2];" for stage in Stage if stage.is_final
    )
    for source, dest, trigger in edges():
        lines.append(f'    {source.value} -> {dest.value} [label="{trigger}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """The transition table as a Markdown table, derived from `PROTOCOL`."""
    lines = [
        "| trigger | from | to | roles | rules |",
        "|---|---|---|---|---|",
    ]
    for step in PROTOCOL:
        if step.trigger == "discharge":
            sources = "any stage"
        elif step.sources:
            sources = ", ".join(source.value for source in step.sources)
        else:
            sources = "(a new case)"
        dest = "same stage" if step.dest is None else step.dest.value
        roles = ", ".join(sorted(role.name for role in step.roles))
        rules_ = " ".join(step.rules) or "obligations"
        lines.append(f"| `{step.trigger}` | {sources} | {dest} | {roles} | {rules_} |")
    return "\n".join(lines) + "\n"
