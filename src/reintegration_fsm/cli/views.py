"""How the CLI shows cases: timelines for people, rows and JSON documents for scripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CalendarError
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.records import Deadline, Transition
from reintegration_fsm.serialisation import transition_to_json, unstructure
from reintegration_fsm.stores import DueItem, Problem
from reintegration_fsm.version import __version__

EXPORT_FORMAT = "reintegration-fsm/case"
EXPORT_VERSION = 1


def _words(value: str) -> str:
    return value.replace("_", " ")


def _kind(value: str) -> str:
    return value.upper()


def action(transition: Transition) -> str:
    """What a transition did, in a few plain words (the step's own wording)."""
    step = STEP.get(transition.trigger)
    if step is None:
        return _words(transition.trigger)
    try:
        return step.wording(transition.data)
    except (KeyError, TypeError, AttributeError):
        return f"{_words(transition.trigger)} (its record cannot be read)"


def lateness(deadline: Deadline, calendar: SchoolCalendar | None) -> str:
    """How late a breached deadline was met, in school days when the calendar knows."""
    assert deadline.met_on is not None
    if calendar is not None:
        try:
            days = calendar.school_days_between(deadline.due, deadline.met_on)
            return f"{days} school day{'s' if days != 1 else ''} late"
        except CalendarError:
            pass
    days = (deadline.met_on - deadline.due).days
    return f"{days} day{'s' if days != 1 else ''} late"


def deadline_status(
    deadline: Deadline, case: Reintegration, on: dt.date, calendar: SchoolCalendar | None
) -> str:
    """Met on time, BREACHED, overdue, open, or no longer needed (the case has ended)."""
    if deadline.met_on is not None:
        if deadline.breached:
            return f"BREACHED: met {deadline.met_on}, {lateness(deadline, calendar)}"
        return f"met on time ({deadline.met_on})"
    if case.stage.is_final:
        return f"not met: the case ended ({case.stage.value})"
    if on > deadline.due:
        return "OVERDUE"
    return "open"


def timeline(case: Reintegration, on: dt.date, calendar: SchoolCalendar | None = None) -> str:
    """A case's story for people: who did what when, its deadlines, what is still owed."""
    pupil = case.pupil
    host = case.host_school or "not yet identified"
    lines = [
        f"Case {case.case_id}: {pupil.name} (born {pupil.date_of_birth}), stage {case.stage.value}",
        f"  AP setting: {case.ap_setting}; host school: {host}; authority: {case.local_authority}",
        "",
    ]
    for transition in case.history:
        actor = transition.actor
        who = f"{actor.name} ({actor.role.value}" + (
            f", {actor.organisation})" if actor.organisation else ")"
        )
        lines.append(f"  {transition.on}  {who} {action(transition)}")
        data = transition.data
        for item in data.get("deadlines", ()):
            lines.append(f"              deadline set: {_kind(item['kind'])} due {item['due']}")
        for ref in data.get("met", ()):
            met = next(
                d
                for d in case.deadlines
                if d.kind.value == ref["kind"]
                and d.due.isoformat() == ref["due"]
                and d.met_on == transition.on
            )
            verdict = f"BREACHED, {lateness(met, calendar)}" if met.breached else "on time"
            lines.append(
                f"              deadline met: {_kind(met.kind.value)} (due {met.due}): {verdict}"
            )
        for item in data.get("opened", ()):
            due = f", due {item['due']}" if item.get("due") else ""
            lines.append(
                f"              obligation opened: {_kind(item['kind'])} ({item['owner']}{due})"
            )
        for item in data.get("closed", ()):
            if transition.trigger != "discharge":
                lines.append(
                    f"              obligation closed: {_kind(item['kind'])} ({item['owner']})"
                )
        for item in data.get("departures", ()):
            lines.append(f"              departure ({item['rule']}): {item['text']}")
    lines += ["", "  Deadlines:"]
    if not case.deadlines:
        lines.append("    none set")
    for deadline in case.deadlines:
        status = deadline_status(deadline, case, on, calendar)
        lines.append(f"    {_kind(deadline.kind.value):<14} due {deadline.due}  {status}")
    lines.append("  Obligations still open:")
    if not case.obligations:
        lines.append("    none")
    for obligation in case.obligations:
        due = f", due {obligation.due}" if obligation.due is not None else ""
        lines.append(f"    {_kind(obligation.kind.value)} ({obligation.owner.value}{due})")
    return "\n".join(lines)


HISTORY_COLUMNS = (
    "seq",
    "on",
    "trigger",
    "source",
    "dest",
    "actor_id",
    "actor_name",
    "role",
    "organisation",
)


def history_rows(history: Sequence[Transition]) -> list[dict[str, str | int | None]]:
    """A history as flat rows for a table or CSV."""
    return [
        {
            "seq": t.seq,
            "on": t.on.isoformat(),
            "trigger": t.trigger,
            "source": None if t.source is None else t.source.value,
            "dest": t.dest.value,
            "actor_id": t.actor.id,
            "actor_name": t.actor.name,
            "role": t.actor.role.value,
            "organisation": t.actor.organisation,
        }
        for t in history
    ]


DUE_COLUMNS = ("due", "status", "case_id", "item", "kind", "owner")


def due_rows(items: Sequence[DueItem], on: dt.date) -> list[dict[str, str | int | None]]:
    """Due items as flat rows, with whether each is overdue on `on`."""
    rows: list[dict[str, str | int | None]] = []
    for item in items:
        if item.due is None:
            status = "no date"
        elif item.due < on:
            status = "overdue"
        else:
            status = "due today" if item.due == on else "due"
        rows.append(
            {
                "due": None if item.due is None else item.due.isoformat(),
                "status": status,
                "case_id": item.case_id,
                "item": item.item,
                "kind": item.kind.value,
                "owner": None if item.owner is None else item.owner.value,
            }
        )
    return rows


PROBLEM_COLUMNS = ("case_id", "seq", "what")


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, str | int | None]]:
    """Problems `verify` found, as flat rows."""
    return [{"case_id": p.case_id, "seq": p.seq, "what": p.what} for p in problems]


def export(case: Reintegration, on: dt.date) -> dict[str, Any]:
    """Every record held about one child's case, as JSON (for a subject access request).

    The `history` holds every transition with the forms given to it, in the shape
    `reintegration-fsm import` reads back.
    """
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "exported_on": on.isoformat(),
        "exported_by": f"reintegration-fsm {__version__}",
        "case_id": case.case_id,
        "stage": case.stage.value,
        "pupil": unstructure(case.pupil),
        "ap_setting": case.ap_setting,
        "local_authority": case.local_authority,
        "host_school": case.host_school,
        "initial_meeting_on": _iso(case.initial_meeting_on),
        "agreed_start": _iso(case.agreed_start),
        "placement_started_on": _iso(case.placement_started_on),
        "dual_registered": case.dual_registered,
        "weighting_adjustments": case.weighting_adjustments,
        "deadlines": [
            {
                "kind": d.kind.value,
                "due": d.due.isoformat(),
                "met_on": _iso(d.met_on),
                "breached": d.breached,
            }
            for d in case.deadlines
        ],
        "obligations": [unstructure(o) for o in case.obligations],
        "history": [transition_to_json(t) for t in case.history],
    }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
