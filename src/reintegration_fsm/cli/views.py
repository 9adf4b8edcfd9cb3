"""How the CLI shows cases: timelines for people, rows and JSON documents for scripts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli.output import Cell
from reintegration_fsm.cli.protocols import named
from reintegration_fsm.cli.text import neutralise
from reintegration_fsm.errors import CalendarError
from reintegration_fsm.protocol.reading import Reading, read
from reintegration_fsm.protocol.steps import described
from reintegration_fsm.records import Deadline, Transition
from reintegration_fsm.serialisation import transition_to_json, unstructure
from reintegration_fsm.stores import DueItem, Problem
from reintegration_fsm.stores.clocks import to_the_minute
from reintegration_fsm.version import __version__
from reintegration_fsm.vocabulary import DeadlineKind

EXPORT_FORMAT = "reintegration-fsm/case"
EXPORT_VERSION = 1


def _kind(value: str) -> str:
    return value.upper()


def _school_days_after(due: dt.date, on: dt.date, calendar: SchoolCalendar | None) -> int | None:
    """School days after `due` up to `on`; None when no calendar knows both days."""
    if calendar is None:
        return None
    try:
        return calendar.school_days_between(due, on)
    except CalendarError:
        return None


def late_by(due: dt.date, on: dt.date, calendar: SchoolCalendar | None) -> tuple[int, str]:
    """How late something due on `due` is, or was met, on `on`: in school days when the
    calendar knows both days and one has passed, else in calendar days ("days"), never a
    guess. The due list, the timeline and the export all count lateness here."""
    counted = _school_days_after(due, on, calendar)
    # None yet (a holiday): "0 school days" late would read as on time.
    if counted:
        return counted, "school days"
    return (on - due).days, "days"


def lateness(deadline: Deadline, calendar: SchoolCalendar | None) -> str:
    """How late a breached deadline was met, in school days when the calendar knows; met after
    its due day but before the next school day (in a holiday), in those words."""
    assert deadline.met_on is not None
    if _school_days_after(deadline.due, deadline.met_on, calendar) == 0:
        return "after its due day, before the next school day"
    days, unit = late_by(deadline.due, deadline.met_on, calendar)
    return f"{days} {unit if days != 1 else unit.removesuffix('s')} late"


def deadline_status(
    deadline: Deadline, case: Reintegration, on: dt.date, calendar: SchoolCalendar | None
) -> str:
    """Met on time, BREACHED, OVERDUE, MISSED (never met, though due while the case needed
    it), open, or no longer needed (the case, or for a review the placement, ended first)."""
    if deadline.met_on is not None:
        if deadline.breached:
            return f"BREACHED: met {deadline.met_on}, {lateness(deadline, calendar)}"
        return f"met on time ({deadline.met_on})"
    until = case.needed_until(deadline)
    if case.missed(deadline, on):
        return "OVERDUE" if until is None else "MISSED: not met by its due day"
    if until is None:
        return "open"
    if case.stage.is_final:
        return f"not met: the case ended ({case.stage.value})"
    return f"not met: the placement ended ({until})"


MetIndex = Mapping[tuple[DeadlineKind, dt.date], Sequence[Deadline]]
"""A case's met deadlines by kind and due day, in the case's order (`met_index`)."""


def met_index(case: Reintegration) -> MetIndex:
    """The case's met deadlines by kind and due day, in the order the case holds them: built
    once for a whole timeline, so that each step's `met_deadlines` looks up its own instead of
    scanning every deadline (which made a long case's timeline quadratic: review QH, QH1)."""
    index: dict[tuple[DeadlineKind, dt.date], list[Deadline]] = {}
    for deadline in case.deadlines:
        if deadline.met_on:
            index.setdefault((deadline.kind, deadline.due), []).append(deadline)
    return index


def met_deadlines(reading: Reading, index: MetIndex) -> list[Deadline]:
    """The deadlines a transition met, as the case holds them (with the day they were met).

    A deadline is met on the day the step was recorded, or (a review under edition 3) on the
    day its meeting was held, which may be earlier (review O, O1): of the deadlines of the
    kind and due day named, the one met that day, else the last met by then. `index`: the
    case's `met_index`, built once for all its steps."""
    on = reading.transition.on
    found = []
    for kind, due in reading.met:
        named = index.get((kind, due), ())
        # From the latest back: the first met that day ends the search; else the first met
        # by then; else the latest of the kind and day.
        chosen = None
        for deadline in reversed(named):
            if deadline.met_on == on:
                chosen = deadline
                break
            if chosen is None and deadline.met_on is not None and deadline.met_on <= on:
                chosen = deadline
        if chosen is None and named:
            chosen = named[-1]
        if chosen is not None:
            found.append(chosen)
    return found


def _line(text: str) -> str:
    """A field inside a line of the timeline: no newline or escape sequence can break out."""
    return neutralise(text, single_line=True)


Entered = Sequence[dt.datetime | None]
"""When each step of a case was saved, by position (`store.entered`): () when not known."""


def _entered_at(entered: Entered, transition: Transition) -> dt.datetime | None:
    """When `transition` was saved, if known."""
    return entered[transition.seq - 1] if 0 < transition.seq <= len(entered) else None


def entered_otherwise(transition: Transition, stamp: dt.datetime | None) -> str | None:
    """How a step entered on another day than the one it is dated reads (brought in later from
    paper, or recorded ahead), in this machine's time, as `--on` reads today: "entered
    2026-12-07 09:14 GMT, after the day it is dated"; None for one entered on its day, or
    whose stamp is not known."""
    if stamp is None:
        return None
    local = local_time(stamp)
    if local.date() == transition.on:
        return None
    when = "after" if local.date() > transition.on else "before"
    return f"entered {to_the_minute(local)} {local.tzname()}, {when} the day it is dated"


def local_time(stamp: dt.datetime) -> dt.datetime:
    """A save's stamp (UTC) in this machine's time; in UTC where this machine's time has no
    such day (within hours of 0001-01-01 or 9999-12-31: a stamp changed behind the store)."""
    try:
        return stamp.astimezone()
    except (OverflowError, ValueError, OSError):
        return stamp.astimezone(dt.timezone.utc)


def _stamp_text(stamp: dt.datetime | None) -> str | None:
    """A save's stamp as ISO 8601 in UTC (`2026-12-07T09:14:03Z`; year 1 as 0001), or None."""
    if stamp is None:
        return None
    return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def timeline(
    case: Reintegration,
    on: dt.date,
    calendar: SchoolCalendar | None = None,
    *,
    born: str | None = None,
    entered: Entered = (),
) -> str:
    """A case's story for people: who did what when, its deadlines, what is still owed.

    `born` is the child's date of birth as shown (by default the one recorded; see
    `redacted.born` for one a redaction removed); `entered`, when each step was saved: a step
    entered on another day than it is dated says so.
    """
    pupil = case.pupil
    host = case.host_school or "not yet identified"
    lines = [
        f"Case {_line(case.case_id)}: {_line(pupil.name)} "
        f"(born {_line(born or pupil.date_of_birth.isoformat())}), "
        f"stage {case.stage.value}",
        f"  AP setting: {_line(case.ap_setting)}; host school: {_line(host)}; "
        f"authority: {_line(case.local_authority)}; protocol: {named(case.protocol)}",
        "",
    ]
    index = met_index(case)
    for transition in case.history:
        actor = transition.actor
        who = f"{_line(actor.name)} ({actor.role.value}" + (
            f", {_line(actor.organisation)})" if actor.organisation else ")"
        )
        lines.append(f"  {transition.on}  {who} {_line(described(transition))}")
        otherwise = entered_otherwise(transition, _entered_at(entered, transition))
        if otherwise is not None:
            lines.append(f"              {otherwise}")
        reading = read(transition)
        for deadline in reading.deadlines:
            lines.append(
                f"              deadline set: {_kind(deadline.kind.value)} due {deadline.due}"
            )
        for met in met_deadlines(reading, index):
            if met.breached:
                lines.append(
                    f"              deadline missed: {_kind(met.kind.value)} (due {met.due}) met "
                    f"{lateness(met, calendar)}"
                )
            else:
                lines.append(
                    f"              deadline met: {_kind(met.kind.value)} (due {met.due}) on time"
                )
        for obligation in reading.opened:
            due = f", due {obligation.due}" if obligation.due is not None else ""
            lines.append(
                f"              obligation opened: {_kind(obligation.kind.value)} "
                f"({obligation.owner.value}{due})"
            )
        if transition.trigger != "discharge":
            for kind, owner in reading.closed:
                lines.append(
                    f"              obligation closed: {_kind(kind.value)} ({owner.value})"
                )
        for departure in reading.departures:
            lines.append(f"              departure ({departure.rule}): {_line(departure.text)}")
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
        # Opened when: two open obligations of one kind (paperwork after each meeting) differ
        # by it, and `discharge` closes the oldest.
        opened = f", opened {obligation.opened_on}" if obligation.opened_on is not None else ""
        due = f", due {obligation.due}" if obligation.due is not None else ""
        lines.append(f"    {_kind(obligation.kind.value)} ({obligation.owner.value}{opened}{due})")
    return "\n".join(lines)


def _status_word(deadline: Deadline, case: Reintegration, on: dt.date) -> str:
    if deadline.met_on is not None:
        return "breached" if deadline.breached else "met"
    if case.missed(deadline, on):
        return "overdue"
    return "open" if case.needed_until(deadline) is None else "not_needed"


def _late(deadline: Deadline, calendar: SchoolCalendar | None) -> dict[str, Any] | None:
    if not deadline.breached:
        return None
    assert deadline.met_on is not None
    days, unit = late_by(deadline.due, deadline.met_on, calendar)
    return {"days": days, "unit": unit}


def _deadline_json(
    deadline: Deadline, case: Reintegration, on: dt.date, calendar: SchoolCalendar | None
) -> dict[str, Any]:
    return {
        "kind": deadline.kind.value,
        "due": deadline.due.isoformat(),
        "met_on": _iso(deadline.met_on),
        "status": _status_word(deadline, case, on),
        "late": _late(deadline, calendar),
    }


def timeline_json(
    case: Reintegration,
    on: dt.date,
    calendar: SchoolCalendar | None = None,
    *,
    born: str | None = None,
    entered: Entered = (),
) -> dict[str, Any]:
    """A case's timeline as one JSON document: the same story as `timeline`, for scripts.

    Each step says who did what when (`entered_at`: when it was saved, null when `entered`
    does not say), the deadlines it set and met (met ones with how late), and the obligations
    it opened or discharged; then every deadline's status as of `on` (`met`, `breached`,
    `overdue`, `open` or `not_needed`) and the obligations still open; `born` as `timeline`
    takes it.
    """
    steps = []
    index = met_index(case)
    for transition in case.history:
        actor = transition.actor
        reading = read(transition)
        steps.append(
            {
                "seq": transition.seq,
                "on": transition.on.isoformat(),
                "entered_at": _stamp_text(_entered_at(entered, transition)),
                "trigger": transition.trigger,
                "source": None if transition.source is None else transition.source.value,
                "dest": transition.dest.value,
                "by": {
                    "id": actor.id,
                    "name": actor.name,
                    "role": actor.role.value,
                    "organisation": actor.organisation,
                },
                "what": described(transition),
                "deadlines_set": [
                    {"kind": d.kind.value, "due": d.due.isoformat()} for d in reading.deadlines
                ],
                "deadlines_met": [
                    _deadline_json(met, case, on, calendar) for met in met_deadlines(reading, index)
                ],
                "obligations_opened": [
                    {"kind": o.kind.value, "owner": o.owner.value, "due": _iso(o.due)}
                    for o in reading.opened
                ],
                "obligations_closed": [
                    {"kind": kind.value, "owner": owner.value} for kind, owner in reading.closed
                ],
                "departures": [{"rule": d.rule, "text": d.text} for d in reading.departures],
            }
        )
    return {
        "case_id": case.case_id,
        "pupil": {
            "name": case.pupil.name,
            "date_of_birth": born or case.pupil.date_of_birth.isoformat(),
        },
        "stage": case.stage.value,
        "ap_setting": case.ap_setting,
        "host_school": case.host_school,
        "local_authority": case.local_authority,
        "as_of": on.isoformat(),
        "steps": steps,
        "deadlines": [_deadline_json(d, case, on, calendar) for d in case.deadlines],
        "obligations_open": [
            {
                "kind": o.kind.value,
                "owner": o.owner.value,
                "opened_on": _iso(o.opened_on),
                "due": _iso(o.due),
            }
            for o in case.obligations
        ],
    }


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
    "entered_at",
)
"""The history's columns; `entered_at` (when the step was saved) came last, after the first
release's, which scripts read by position."""


def history_rows(history: Sequence[Transition], entered: Entered = ()) -> list[dict[str, Cell]]:
    """A history as flat rows for a table or CSV (`entered`: when each step was saved)."""
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
            "entered_at": _stamp_text(_entered_at(entered, t)),
        }
        for t in history
    ]


DUE_STABLE = ("due", "status", "case_id", "item", "kind", "owner")
"""The due list's first columns, unchanged since the first release: scripts rely on them."""
DUE_COLUMNS = (
    *DUE_STABLE,
    "late",
    "late_unit",
    "child",
    "stage",
    "ap_setting",
    "host_school",
)
"""Every column of the due list: the stable ones, then how late and whose case (see
`caseload.describe_due`)."""


def due_rows(items: Sequence[DueItem], on: dt.date) -> list[dict[str, Cell]]:
    """Due items as flat rows, with whether each is overdue on `on` (dates kept as dates)."""
    rows: list[dict[str, Cell]] = []
    for item in items:
        if item.due is None:
            status = "no date"
        elif item.due < on:
            status = "overdue"
        else:
            status = "due today" if item.due == on else "due"
        rows.append(
            {
                "due": item.due,
                "status": status,
                "case_id": item.case_id,
                "item": item.item,
                "kind": item.kind.value,
                "owner": None if item.owner is None else item.owner.value,
            }
        )
    return rows


PROBLEM_COLUMNS = ("case_id", "seq", "what")


def problem_rows(problems: Sequence[Problem]) -> list[dict[str, Cell]]:
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
        "on_both_registers": case.on_both_registers,
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
        "departures": [{"seq": d.seq, "rule": d.rule, "text": d.text} for d in case.departures],
        "protocol": {"id": case.protocol.id, "version": case.protocol.version},
        "history": [transition_to_json(t) for t in case.history],
    }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
