"""What triggers take and what transitions record: payloads, and the versioned JSON of `data`.

A trigger's arguments are bundled into one payload value (`Referral`, `HostOffer`, ...) for its
guards. A transition's `data` is plain JSON in one layout, versioned by its `schema` key:

- the payload's values under their own keys (`form`, `meeting`, `reason`, ...), forms as cattrs
  unstructures them;
- what the transition recorded, each key present only when it holds something: `deadlines`
  (opened: `{kind, due}`), `met` (deadlines met, by identity: `{kind, due}`), `opened`
  (obligations: `{kind, owner, due, basis}`), `closed` (obligations closed: `{kind, owner}`),
  `departures` (`{rule, text}`).

`upcast` reads a history written in an older layout into this one, so that a stored history
never stops loading when the layout grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.forms import (
    ChildViews,
    FailureLetter,
    InitialMeeting,
    PastoralSupportPlan,
    Pupil,
    ReintegrationInformation,
    ReviewMeeting,
)
from reintegration_fsm.records import Transition
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party, ReferralRoute

SCHEMA = 2
"""The layout of transition data the library writes."""

LEGACY_PROTOCOL = {"id": "worcestershire", "version": "1"}
"""The protocol a history written before protocols were data names once upcast."""


@attrs.frozen
class OpenCase:
    """The payload of `open`."""

    case_id: str
    pupil: Pupil
    ap_setting: str
    local_authority: str


@attrs.frozen
class Referral:
    """The payload of `refer_to_fair_access`."""

    route: ReferralRoute
    information: ReintegrationInformation
    psp: PastoralSupportPlan


@attrs.frozen
class HostOffer:
    """The payload of `identify_host`."""

    host_school: str
    via: ReferralRoute


@attrs.frozen
class InitialMeetingRecord:
    """The payload of `hold_initial_meeting`."""

    meeting: InitialMeeting
    views: ChildViews


@attrs.frozen
class EmergencyReview:
    """The payload of `hold_emergency_review`."""

    meeting: ReviewMeeting
    letter: FailureLetter | None


# -- effects as JSON -----------------------------------------------------------------------------
# (enum values are read through `_value_`: `.value` is a slow descriptor on Python 3.11)
def deadline_json(kind: DeadlineKind, due: dt.date) -> dict[str, Any]:
    """A deadline opened or met, as transition data (its identity: kind and due date)."""
    return {"kind": kind._value_, "due": due.isoformat()}


def obligation_json(
    kind: ObligationKind, owner: Party, due: dt.date | None = None, basis: str = ""
) -> dict[str, Any]:
    """An obligation opened, as transition data."""
    return {
        "kind": kind._value_,
        "owner": owner._value_,
        "due": None if due is None else due.isoformat(),
        "basis": basis,
    }


def closed_json(kind: ObligationKind, owner: Party) -> dict[str, Any]:
    """An obligation closed, as transition data (the oldest open one of that kind and owner)."""
    return {"kind": kind._value_, "owner": owner._value_}


# -- upcasting -----------------------------------------------------------------------------------
def schema_of(data: Mapping[str, Any]) -> int:
    """The layout version of one transition's data (1 before the `schema` key existed)."""
    found = data.get("schema", 1)
    if type(found) is not int or found < 1:
        raise FormInvalid("history", "schema", f"unknown data layout {found!r}")
    return found


_V1_INFORMATION_FIELDS = ("consent_date", "proposed_school", "looked_after_status")
"""Reintegration Information fields of layout 1 that the case now holds instead (issue 10)."""


def _v1_to_v2(
    transition: Transition,
    data: dict[str, Any],
    deadlines: list[dict[str, Any]],
    obligations: list[dict[str, Any]],
) -> dict[str, Any]:
    """One transition's layout-1 data in layout 2, given the case's deadlines and obligations so
    far (layout 1 named met deadlines by their position in the case's list)."""
    where = str(transition.seq)
    out: dict[str, Any] = {"schema": 2}
    for key, value in data.items():
        if key in ("met", "opened", "deadlines", "discharged"):
            continue
        out[key] = value
    trigger = transition.trigger
    if trigger == "open":
        out["protocol"] = dict(LEGACY_PROTOCOL)
    if trigger == "refer_to_fair_access" and isinstance(out.get("information"), dict):
        out["information"] = {
            k: v for k, v in out["information"].items() if k not in _V1_INFORMATION_FIELDS
        }
    if data.get("deadlines"):
        out["deadlines"] = list(data["deadlines"])
    met = []
    for index in data.get("met", ()):
        if type(index) is not int or not 0 <= index < len(deadlines):
            raise FormInvalid("history", where, f"'met' names no deadline of the case ({index!r})")
        met.append({"kind": deadlines[index]["kind"], "due": deadlines[index]["due"]})
    if met:
        out["met"] = met
    if data.get("opened"):
        out["opened"] = list(data["opened"])
    discharged = data.get("discharged")
    if discharged is not None:
        owner = next((o["owner"] for o in obligations if o.get("kind") == discharged), None)
        if owner is None:
            raise FormInvalid("history", where, f"no {discharged!r} obligation was open")
        out["closed"] = [{"kind": discharged, "owner": owner}]
        if trigger == "discharge":
            out["kind"] = discharged
    deadlines.extend(d for d in out.get("deadlines", ()) if isinstance(d, dict))
    obligations.extend(o for o in out.get("opened", ()) if isinstance(o, dict))
    for closed in out.get("closed", ()):
        for index, item in enumerate(obligations):
            if item.get("kind") == closed["kind"] and item.get("owner") == closed["owner"]:
                del obligations[index]
                break
    return out


def upcast(history: Iterable[Transition]) -> list[Transition]:
    """A history with every transition's data in the current layout (`SCHEMA`).

    Transitions already in the current layout are returned as they are.

    Raises:
        FormInvalid: a transition's data cannot be read in any known layout.
    """
    return [transition for transition, _ in upcast_read(history)]


def upcast_read(history: Iterable[Transition]) -> list[tuple[Transition, Mapping[str, Any]]]:
    """Each transition of a history with its data, read once, in the current layout.

    Raises:
        FormInvalid: a transition's data cannot be read in any known layout.
    """
    out: list[tuple[Transition, Mapping[str, Any]]] = []
    deadlines: list[dict[str, Any]] = []
    obligations: list[dict[str, Any]] = []
    for transition in history:
        try:
            data = transition._peek()
        except ValueError as error:
            raise FormInvalid("history", str(transition.seq), str(error)) from None
        version = schema_of(data)
        if version == SCHEMA:
            out.append((transition, data))
            continue
        if version != 1:
            raise FormInvalid(
                "history", str(transition.seq), f"data layout {version} is newer than this library"
            )
        try:
            upcast_data = _v1_to_v2(transition, dict(data), deadlines, obligations)
        except (KeyError, TypeError, AttributeError) as error:
            raise FormInvalid(
                "history", str(transition.seq), f"malformed layout-1 data: {error}"
            ) from None
        upcast_transition = Transition(
            transition.seq,
            transition.trigger,
            transition.source,
            transition.dest,
            transition.actor,
            transition.on,
            upcast_data,
        )
        out.append((upcast_transition, upcast_transition._raw()))
    return out
