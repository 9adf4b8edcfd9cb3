"""A case's state after its last transition, as the compact JSON a store keeps beside the log.

The state is what the steps left on the case: its stage, the facts they projected, its deadlines,
open obligations and departures. A store that keeps this text with each case loads the case
without replaying its history (`Reintegration._resume`); `verify()` replays every history and
compares. The text is derived, never evidence: the log is.

Layout 2 (one JSON object, keys in this order, no spaces)::

    {"format": 2, "version": 11, "stage": "successful",
     "facts": {"host_school": "...", "consent_signed_on": "2026-01-12", ...},
     "deadlines": [["place_offer", "2026-02-23", "2026-02-02"], ["final_review", "2026-04-02"]],
     "obligations": [["2026-02-02", ["share_information_with_host", "ap"], ["offer_visit", "ap"]],
                     ["2026-04-13", ["complete_leavers_form", "ap", "2026-04-02", "13(4)"]], ...],
     "departures": [[8, "R9", "..."], ...]}

A fact is left out while it holds its starting value (None, or no schools). A deadline is
`[kind, due]`, or `[kind, due, met_on]` once met. The obligations come in runs opened the same
day, in the case's order: `[opened_on, obligation, ...]`, an obligation being `[kind, owner]`,
`[kind, owner, due]` or `[kind, owner, due, basis]` (a statutory basis named by the regulation it
cites, "13(4)", as `protocol.duties.BASES` lists them; a basis without a due date after `null`).
A departure is `[seq, rule, text]`.

Layout 1, which stores wrote before, is read too: each deadline `[kind, due, met_on]` and each
obligation `[kind, owner, due, basis, opened_on]` in full, in one list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.protocol.duties import BASES
from reintegration_fsm.records import Deadline, Departure, Obligation
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party, ReviewDecision, Stage

FORMAT = 2
"""The layout this library writes; it reads layout 1 too (`LAYOUTS`)."""
LAYOUTS = (1, 2)
"""The layouts `decode` reads and `encode` writes."""


class Facts:
    """What the steps project onto a case: its own mutable state, never handed out."""

    __slots__ = (
        "agreed_start",
        "ap_head",
        "consent_signed_on",
        "ended_on",
        "final_decision",
        "host_school",
        "initial_meeting_on",
        "last_meeting_on",
        "permanent_from",
        "placement_started_on",
        "preferred_schools",
    )

    def __init__(self) -> None:
        self.host_school: str | None = None
        self.preferred_schools: tuple[str, ...] = ()
        self.consent_signed_on: dt.date | None = None
        self.initial_meeting_on: dt.date | None = None
        self.agreed_start: dt.date | None = None
        self.placement_started_on: dt.date | None = None
        self.last_meeting_on: dt.date | None = None
        self.final_decision: ReviewDecision | None = None
        self.permanent_from: dt.date | None = None
        self.ended_on: dt.date | None = None
        self.ap_head: str | None = None

    def copy(self) -> Facts:
        """An independent copy (every value is immutable)."""
        facts = Facts()
        for name in Facts.__slots__:
            setattr(facts, name, getattr(self, name))
        return facts


# -- values, shared --------------------------------------------------------------------------------
_SHARED_MOST = 8192
_DAYS: dict[str, dt.date] = {}
_Value = TypeVar("_Value", bound=Hashable)
_Key = TypeVar("_Key", bound=Hashable)
_Held = TypeVar("_Held")
_SETTINGS: dict[str, str] = {}
_SCHOOL_LISTS: dict[tuple[str, ...], tuple[str, ...]] = {}
_DEADLINES: dict[tuple[Any, ...], Deadline] = {}
_OBLIGATIONS: dict[tuple[Any, ...], Obligation] = {}
_DEADLINE_KINDS: Mapping[str, DeadlineKind] = {kind._value_: kind for kind in DeadlineKind}
_OBLIGATION_KINDS: Mapping[str, ObligationKind] = {kind._value_: kind for kind in ObligationKind}
_PARTIES: Mapping[str, Party] = {party._value_: party for party in Party}
_STAGES: Mapping[str, Stage] = {stage._value_: stage for stage in Stage}
_DECISIONS: Mapping[str, ReviewDecision] = {item._value_: item for item in ReviewDecision}
_BASIS_KEYS: Mapping[str, str] = {basis: key for key, basis in BASES.items()}


def shared_day(value: Any) -> dt.date:
    """A date recorded as ISO text, one object per distinct date (cases share them).

    Raises:
        TypeError, ValueError: not ISO date text.
    """
    found = _DAYS.get(value) if type(value) is str else None
    if found is None:
        if type(value) is not str:
            raise TypeError(f"expected an ISO date, not {value!r}")
        found = _keep(_DAYS, value, dt.date.fromisoformat(value))
    return found


def _kept(table: dict[_Value, _Value], value: _Value) -> _Value:
    """The object `table` keeps equal to `value`, or `value`, kept while the table has room."""
    found = table.get(value)
    return _keep(table, value, value) if found is None else found


def _keep(table: dict[_Key, _Held], key: _Key, value: _Held) -> _Held:
    """`value`, remembered in `table` under `key` while the table has room (a shared table is
    bounded, so that a process reading many distinct values does not grow without end)."""
    if len(table) < _SHARED_MOST:
        table[key] = value
    return value


def shared_setting(value: str) -> str:
    """The name of a school, setting or authority, one object per distinct name (cases share
    them: an authority has a few hundred). Never a person's name, which would outlive its case's
    erasure here."""
    return _kept(_SETTINGS, value)


def _optional_day(value: Any) -> dt.date | None:
    return None if value is None else shared_day(value)


def shared_deadline(kind: DeadlineKind, due: dt.date, met_on: dt.date | None) -> Deadline:
    """A deadline from checked values, shared across cases (a frozen value)."""
    key = (kind, due, met_on)
    found = _DEADLINES.get(key)
    if found is None:
        found = _keep(_DEADLINES, key, Deadline._made(kind, due, met_on))
    return found


def shared_obligation(
    kind: Any, owner: Any, due: Any, basis: Any, opened_on: dt.date | None
) -> Obligation:
    """An obligation from its recorded JSON values, shared across cases (a frozen value).

    Raises:
        KeyError, TypeError, ValueError: a value is not what an obligation records.
    """
    key = (kind, owner, due, basis, opened_on)
    found = _OBLIGATIONS.get(key)
    if found is None:
        if type(basis) is not str:
            raise TypeError(f"an obligation's basis is text, not {basis!r}")
        found = Obligation(
            _OBLIGATION_KINDS[kind], _PARTIES[owner], _optional_day(due), basis, opened_on
        )
        _keep(_OBLIGATIONS, key, found)
    return found


_RECORDED_DEADLINES: dict[tuple[Any, ...], Deadline] = {}
_RECORDED_OBLIGATIONS: dict[tuple[Any, ...], Obligation] = {}


def _deadline(item: Any) -> Deadline:
    """A state's deadline `[kind, due, met_on]`, remembered by its JSON values."""
    kind, due, met_on = item
    found = shared_deadline(_DEADLINE_KINDS[kind], shared_day(due), _optional_day(met_on))
    return _keep(_RECORDED_DEADLINES, (kind, due, met_on), found)


def _obligation(item: Any) -> Obligation:
    """A state's obligation `[kind, owner, due, basis, opened_on]`, remembered by its values."""
    kind, owner, due, basis, opened_on = item
    found = shared_obligation(kind, owner, due, BASES.get(basis, basis), _optional_day(opened_on))
    return _keep(_RECORDED_OBLIGATIONS, (kind, owner, due, basis, opened_on), found)


_RUN_OBLIGATIONS: dict[tuple[Any, ...], Obligation] = {}
_DEPARTURES: dict[tuple[int, str, str], Departure] = {}


def _departure(seq: int, rule: str, text: str) -> Departure:
    """A recorded departure, one object per distinct one (the same step's departure reads
    alike in every case that took it so)."""
    key = (seq, rule, text)
    found = _DEPARTURES.get(key)
    if found is None:
        found = _keep(_DEPARTURES, key, Departure(seq, rule, text))
    return found


def _deadline_2(item: Any) -> Deadline:
    """A layout-2 deadline, `[kind, due]` or `[kind, due, met_on]`."""
    if type(item) is not list or not 2 <= len(item) <= 3:
        raise TypeError(f"a deadline is [kind, due] or [kind, due, met_on], not {item!r}")
    key = tuple(item) if len(item) == 3 else (*item, None)
    return _RECORDED_DEADLINES.get(key) or _deadline(key)


def _obligations_2(runs: Any) -> list[Obligation]:
    """Layout 2's obligations, from their runs `[opened_on, [kind, owner, due?, basis?], ...]`."""
    if type(runs) is not list:
        raise TypeError(f"the obligations are a list of runs, not {runs!r}")
    obligations = []
    for run in runs:
        if type(run) is not list or len(run) < 2:
            raise TypeError(f"a run of obligations is [opened_on, obligation, ...], not {run!r}")
        opened = run[0]
        for item in run[1:]:
            if type(item) is not list or not 2 <= len(item) <= 4:
                raise TypeError(f"an obligation is [kind, owner, due?, basis?], not {item!r}")
            key = (opened, *item)
            found = _RUN_OBLIGATIONS.get(key)
            if found is None:
                # Left out: a due date and basis both absent, or only the basis.
                kind, owner, due, basis = item + [None, ""][len(item) - 2 :]
                found = _keep(_RUN_OBLIGATIONS, key, _obligation([kind, owner, due, basis, opened]))
            obligations.append(found)
    return obligations


# -- facts as JSON ---------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected text, not {value!r}")
    return value


def _school(value: Any) -> str:
    return shared_setting(_text(value))


def _schools(value: Any) -> tuple[str, ...]:
    if type(value) is not list:
        raise TypeError(f"expected a list of schools, not {value!r}")
    return _kept(_SCHOOL_LISTS, tuple(_school(item) for item in value))


def _decision(value: Any) -> ReviewDecision:
    return _DECISIONS[value]


def _iso(value: dt.date) -> str:
    return value.isoformat()


_FACTS: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "host_school": (str, _school),
    "preferred_schools": (list, _schools),
    "consent_signed_on": (_iso, shared_day),
    "initial_meeting_on": (_iso, shared_day),
    "agreed_start": (_iso, shared_day),
    "placement_started_on": (_iso, shared_day),
    "last_meeting_on": (_iso, shared_day),
    "final_decision": (lambda decision: decision.value, _decision),
    "permanent_from": (_iso, shared_day),
    "ended_on": (_iso, shared_day),
    "ap_head": (str, _text),
}
"""Each fact: how it is written as JSON, and how it is read back (raising on a wrong value)."""


# -- the state -------------------------------------------------------------------------------------
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""What `json.dumps` would build on every call with these arguments, built once (a save
encodes the state each time)."""


def encode(
    *,
    version: int,
    stage: Stage,
    facts: Facts,
    deadlines: Sequence[Deadline],
    obligations: Sequence[Obligation],
    departures: Sequence[Departure],
    layout: int = FORMAT,
) -> str:
    """The state as compact JSON text in `layout` (the same values always give the same text).

    Raises:
        ValueError: `layout` is not one of `LAYOUTS`.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"no state layout {layout!r}; there are {LAYOUTS}")
    written: dict[str, Any] = {}
    for name, (write, _) in _FACTS.items():
        value = getattr(facts, name)
        if value is not None and value != ():
            written[name] = write(value)
    if layout == 1:
        dated: list[Any] = [
            [d.kind.value, d.due.isoformat(), None if d.met_on is None else _iso(d.met_on)]
            for d in deadlines
        ]
        listed: list[Any] = [
            [
                o.kind.value,
                o.owner.value,
                None if o.due is None else o.due.isoformat(),
                _BASIS_KEYS.get(o.basis, o.basis),
                None if o.opened_on is None else o.opened_on.isoformat(),
            ]
            for o in obligations
        ]
    else:
        dated = [
            [d.kind.value, d.due.isoformat()]
            if d.met_on is None
            else [d.kind.value, d.due.isoformat(), d.met_on.isoformat()]
            for d in deadlines
        ]
        listed = _runs(obligations)
    return _encoder.encode(
        {
            "format": layout,
            "version": version,
            "stage": stage.value,
            "facts": written,
            "deadlines": dated,
            "obligations": listed,
            "departures": [[d.seq, d.rule, d.text] for d in departures],
        },
    )


def _runs(obligations: Sequence[Obligation]) -> list[list[Any]]:
    """Layout 2's obligations: runs opened the same day, each `[opened_on, obligation, ...]`."""
    runs: list[list[Any]] = []
    for o in obligations:
        opened = None if o.opened_on is None else o.opened_on.isoformat()
        item: list[Any] = [o.kind.value, o.owner.value]
        basis = _BASIS_KEYS.get(o.basis, o.basis)
        if o.due is not None or basis:
            item.append(None if o.due is None else o.due.isoformat())
        if basis:
            item.append(basis)
        if runs and runs[-1][0] == opened:
            runs[-1].append(item)
        else:
            runs.append([opened, item])
    return runs


class State:
    """A state read back from its text."""

    __slots__ = ("deadlines", "departures", "facts", "obligations", "stage", "version")

    def __init__(
        self,
        version: int,
        stage: Stage,
        facts: Facts,
        deadlines: list[Deadline],
        obligations: list[Obligation],
        departures: list[Departure],
    ) -> None:
        self.version = version
        self.stage = stage
        self.facts = facts
        self.deadlines = deadlines
        self.obligations = obligations
        self.departures = departures


def decode(text: str) -> State:
    """The state written by `encode`.

    Raises:
        FormInvalid: the text is not such a state (form "state", naming the part at fault).
    """
    part = "text"
    try:
        found = json.loads(text)
        if type(found) is not dict:
            raise TypeError(f"a state is a JSON object, not {found!r}")
        part = "format"
        layout = found["format"]
        if type(layout) is not int or layout not in LAYOUTS:
            raise ValueError(f"format {layout!r}; this library reads {LAYOUTS}")
        part = "version"
        version = found["version"]
        if type(version) is not int or version < 1:
            raise TypeError(f"expected a positive whole number, not {version!r}")
        part = "stage"
        stage = _STAGES[found["stage"]]
        part = "facts"
        facts = Facts()
        recorded = found["facts"]
        for name, value in recorded.items():
            part = f"facts.{name}"
            setattr(facts, name, _FACTS[name][1](value))
        part = "deadlines"
        if layout == 1:
            deadlines = [
                _RECORDED_DEADLINES.get(tuple(item)) or _deadline(item)
                for item in found["deadlines"]
            ]
        else:
            deadlines = [_deadline_2(item) for item in found["deadlines"]]
        part = "obligations"
        if layout == 1:
            obligations = [
                _RECORDED_OBLIGATIONS.get(tuple(item)) or _obligation(item)
                for item in found["obligations"]
            ]
        else:
            obligations = _obligations_2(found["obligations"])
        part = "departures"
        departures = []
        for seq, rule, sentence in found["departures"]:
            if type(seq) is not int or type(rule) is not str or type(sentence) is not str:
                raise TypeError(f"a departure is [seq, rule, text], not {[seq, rule, sentence]!r}")
            departures.append(_departure(seq, rule, sentence))
    except FormInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise FormInvalid("state", part, f"not a case's recorded state: {error!r}") from None
    return State(version, stage, facts, deadlines, obligations, departures)


def relaid(text: str, layout: int) -> str:
    """The state `text` holds, written in `layout` (what upgrading or downgrading a stored
    state does).

    Raises:
        FormInvalid: the text is not a state `decode` reads.
        ValueError: `layout` is not one of `LAYOUTS`.
    """
    found = decode(text)
    return encode(
        version=found.version,
        stage=found.stage,
        facts=found.facts,
        deadlines=found.deadlines,
        obligations=found.obligations,
        departures=found.departures,
        layout=layout,
    )
