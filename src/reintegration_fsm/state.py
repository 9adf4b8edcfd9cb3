"""A case's state after its last transition, as the compact JSON a store keeps beside the log.

The state is what the steps left on the case: its stage, the facts they projected, its deadlines,
open obligations and departures. A store that keeps this text with each case loads the case
without replaying its history (`Reintegration._resume`); `verify()` replays every history and
compares. The text is derived, never evidence: the log is.

Layout (one JSON object, keys in this order, no spaces)::

    {"format": 1, "version": 11, "stage": "successful",
     "facts": {"host_school": "...", "consent_signed_on": "2026-01-12", ...},
     "deadlines": [["place_offer", "2026-02-23", "2026-02-02"], ...],
     "obligations": [["update_weightings", "la", null, "", "2026-04-14"], ...],
     "departures": [[8, "R9", "..."], ...]}

A fact is left out while it holds its starting value (None, or no schools). A deadline is
`[kind, due, met_on]`, an obligation `[kind, owner, due, basis, opened_on]` (a statutory basis
named by the regulation it cites, "13(4)", as `protocol.duties.BASES` lists them), a departure
`[seq, rule, text]`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.protocol.duties import BASES
from reintegration_fsm.records import Deadline, Departure, Obligation
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party, ReviewDecision, Stage

FORMAT = 1
"""The layout's number; a store keeping another is told to recompute its states."""


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
        found = dt.date.fromisoformat(value)
        if len(_DAYS) < _SHARED_MOST:
            _DAYS[value] = found
    return found


def _optional_day(value: Any) -> dt.date | None:
    return None if value is None else shared_day(value)


def shared_deadline(kind: DeadlineKind, due: dt.date, met_on: dt.date | None) -> Deadline:
    """A deadline from checked values, shared across cases (a frozen value)."""
    key = (kind, due, met_on)
    found = _DEADLINES.get(key)
    if found is None:
        found = Deadline._made(kind, due, met_on)
        if len(_DEADLINES) < _SHARED_MOST:
            _DEADLINES[key] = found
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
        if len(_OBLIGATIONS) < _SHARED_MOST:
            _OBLIGATIONS[key] = found
    return found


_RECORDED_DEADLINES: dict[tuple[Any, ...], Deadline] = {}
_RECORDED_OBLIGATIONS: dict[tuple[Any, ...], Obligation] = {}


def _deadline(item: Any) -> Deadline:
    """A state's deadline `[kind, due, met_on]`, remembered by its JSON values."""
    kind, due, met_on = item
    found = shared_deadline(_DEADLINE_KINDS[kind], shared_day(due), _optional_day(met_on))
    if len(_RECORDED_DEADLINES) < _SHARED_MOST:
        _RECORDED_DEADLINES[(kind, due, met_on)] = found
    return found


def _obligation(item: Any) -> Obligation:
    """A state's obligation `[kind, owner, due, basis, opened_on]`, remembered by its values."""
    kind, owner, due, basis, opened_on = item
    found = shared_obligation(kind, owner, due, BASES.get(basis, basis), _optional_day(opened_on))
    if len(_RECORDED_OBLIGATIONS) < _SHARED_MOST:
        _RECORDED_OBLIGATIONS[(kind, owner, due, basis, opened_on)] = found
    return found


# -- facts as JSON ---------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected text, not {value!r}")
    return value


def _schools(value: Any) -> tuple[str, ...]:
    if type(value) is not list:
        raise TypeError(f"expected a list of schools, not {value!r}")
    return tuple(_text(item) for item in value)


def _decision(value: Any) -> ReviewDecision:
    return _DECISIONS[value]


def _iso(value: dt.date) -> str:
    return value.isoformat()


_FACTS: Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "host_school": (str, _text),
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
def encode(
    *,
    version: int,
    stage: Stage,
    facts: Facts,
    deadlines: Sequence[Deadline],
    obligations: Sequence[Obligation],
    departures: Sequence[Departure],
) -> str:
    """The state as compact JSON text (the same values always give the same text)."""
    written: dict[str, Any] = {}
    for name, (write, _) in _FACTS.items():
        value = getattr(facts, name)
        if value is not None and value != ():
            written[name] = write(value)
    return json.dumps(
        {
            "format": FORMAT,
            "version": version,
            "stage": stage.value,
            "facts": written,
            "deadlines": [
                [d.kind.value, d.due.isoformat(), None if d.met_on is None else _iso(d.met_on)]
                for d in deadlines
            ],
            "obligations": [
                [
                    o.kind.value,
                    o.owner.value,
                    None if o.due is None else o.due.isoformat(),
                    _BASIS_KEYS.get(o.basis, o.basis),
                    None if o.opened_on is None else o.opened_on.isoformat(),
                ]
                for o in obligations
            ],
            "departures": [[d.seq, d.rule, d.text] for d in departures],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


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
        if found["format"] != FORMAT:
            raise ValueError(f"format {found['format']!r}; this library writes {FORMAT}")
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
        deadlines = [
            _RECORDED_DEADLINES.get(tuple(item)) or _deadline(item) for item in found["deadlines"]
        ]
        part = "obligations"
        obligations = [
            _RECORDED_OBLIGATIONS.get(tuple(item)) or _obligation(item)
            for item in found["obligations"]
        ]
        part = "departures"
        departures = []
        for seq, rule, sentence in found["departures"]:
            if type(seq) is not int or type(rule) is not str or type(sentence) is not str:
                raise TypeError(f"a departure is [seq, rule, text], not {[seq, rule, sentence]!r}")
            departures.append(Departure(seq, rule, sentence))
    except FormInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise FormInvalid("state", part, f"not a case's recorded state: {error!r}") from None
    return State(version, stage, facts, deadlines, obligations, departures)
