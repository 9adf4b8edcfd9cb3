"""The protocol drawn: the stage diagram (Mermaid, Graphviz DOT) and the transition table."""

from __future__ import annotations

from reintegration_fsm.protocol.machine import edges
from reintegration_fsm.protocol.protocols import WORCESTERSHIRE, Protocol
from reintegration_fsm.protocol.steps import STEPS
from reintegration_fsm.vocabulary import Role, Stage, Trigger


def mermaid() -> str:
    """The protocol's stage diagram as Mermaid source (the same for every protocol)."""
    lines = ["stateDiagram-v2", f"    [*] --> {Stage.PROPOSED.value}: open"]
    for source, dest, trigger in edges():
        lines.append(f"    {source.value} --> {dest.value}: {trigger}")
    lines.extend(f"    {stage.value} --> [*]" for stage in Stage if stage.is_final)
    return "\n".join(lines) + "\n"


def dot() -> str:
    """The protocol's stage diagram as Graphviz DOT source."""
    lines = ["digraph reintegration {", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    lines.extend(
        f"    {stage.value} [shape=box, peripheries=2];" for stage in Stage if stage.is_final
    )
    for source, dest, trigger in edges():
        lines.append(f'    {source.value} -> {dest.value} [label="{trigger}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def markdown(protocol: Protocol = WORCESTERSHIRE) -> str:
    """The transition table as Markdown, with the roles `protocol` allows for each trigger."""
    lines = [
        "| trigger | from | to | roles | rules |",
        "|---|---|---|---|---|",
    ]
    for step in STEPS:
        if step.trigger is Trigger.DISCHARGE:
            sources = "any stage"
        elif step.sources:
            sources = ", ".join(source.value for source in step.sources)
        else:
            sources = "(a new case)"
        dests = [way.dest for way in step.ways]
        to = " or ".join("same stage" if dest is None else dest.value for dest in dests)
        allowed = protocol.roles_for(step.name)
        roles = ", ".join(role.name for role in Role if role in allowed)
        lines.append(f"| `{step.name}` | {sources} | {to} | {roles} | {' '.join(step.rules)} |")
    return "\n".join(lines) + "\n"
