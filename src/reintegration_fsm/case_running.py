"""How a step runs on a `Reintegration`: one trigger at a time, checked, then recorded and
applied to the case (its deadlines, obligations, departures, facts and stage)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from reintegration_fsm.case_checking import EARLIER_READINGS, CaseChecking
from reintegration_fsm.case_recording import Recipe
from reintegration_fsm.case_shared import AP_HEAD, DISCHARGE, OPEN_STEP
from reintegration_fsm.errors import IllegalTransition, NotPermitted
from reintegration_fsm.protocol.machine import DISPATCH
from reintegration_fsm.protocol.steps import Step
from reintegration_fsm.records import Departure, Transition
from reintegration_fsm.state import shared_day, shared_deadline, shared_obligation
from reintegration_fsm.vocabulary import ROLE_WORDS, Actor, DeadlineKind, ObligationKind, Party

_DEADLINE_KINDS: Mapping[str, DeadlineKind] = {kind._value_: kind for kind in DeadlineKind}
_MAKING_LOCK = threading.Lock()
"""Held only while a case makes its trigger lock (`Reintegration._trigger_lock`), so that two
threads firing a case's first trigger at once make one lock between them."""


class CaseRunning(CaseChecking):
    """`Reintegration`'s running of a step: what it records, and how it changes the case."""

    __slots__ = ()

    def _effects(
        self,
        step: Step,
        payload: Any,
        on: dt.date,
        by: Actor,
        recorded: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """What a step records besides its arguments: its effects and its departures (the same,
        live or on replay; `recorded` is the replayed transition's data). On replay, departures
        today's reading does not give are accepted when a reading of histories recorded before
        gives them (`EARLIER_READINGS`), as is their absence."""
        effects = step.effects(self, payload, on, by, recorded)
        if step.departures and self._protocol.edition >= 2:
            found = self._departures_found(step, payload, on)
            if recorded is not None and (found or None) != recorded.get("departures"):
                for names, blanks in EARLIER_READINGS:
                    before = self._as_before(
                        lambda: self._departures_found(step, payload, on),
                        names=names,
                        blanks=blanks,
                    )
                    if (before or None) == recorded.get("departures"):
                        found = before
                        break
            if found:
                effects["departures"] = found
        return effects

    def _departures_found(self, step: Step, payload: Any, on: dt.date) -> list[dict[str, str]]:
        found = []  # a loop, not a comprehension: no frame of its own on every trigger
        for rule, check in step.departures:
            for text in check(self, payload, on):
                found.append({"rule": rule, "text": text})
        return found

    def _run(self, step: Step, values: tuple[Any, ...], by: Actor, on: dt.date) -> Transition:
        self._check_actor(step, by, values[0] if step.name == DISCHARGE else None)
        if by.family_with_organisation:  # a step taken now: a history recorded before replays
            raise NotPermitted(
                step.name,
                by,
                f"{by.name} is {ROLE_WORDS[by.role]}, who acts for themselves and gives no "
                "organisation: leave it empty. What is given there would be kept in the case's "
                "log for good, where no redaction or retention run could remove it.",
            )
        self._check_values(step, values)
        values = self._check_new_text(step, values, by)
        payload = values[0] if step.bundle is None and values else step.payload(values)
        self._check_rules(step, payload, on)
        effects = self._effects(step, payload, on, by, None)  # may raise: nothing changed yet
        stage = self._stage
        source = None if step is OPEN_STEP else stage
        ways = step.ways
        if len(ways) == 1 and ways[0].when is None:
            dest = ways[0].dest or stage
        else:
            dest = step.dest(stage, payload)
        transition = Transition._owned(
            len(self._history) + 1,
            step.name,
            source,
            dest,
            by,
            on,
            Recipe(step, values, effects, self._protocol),
        )
        self._apply(step, transition, payload, effects)
        return transition

    def _fire(self, name: str, values: tuple[Any, ...], by: Actor, on: dt.date) -> Transition:
        # One trigger at a time per case, from the stage check to the append: a second thread's
        # trigger waits, then reads the stage the first left (refused from a final stage).
        with self._lock or self._trigger_lock():
            step = DISPATCH[self._stage].get(name)
            if step is None:
                raise IllegalTransition(name, self._stage)
            on = self._check_when(step, by, on)
            return self._run(step, values, by, on)

    def _trigger_lock(self) -> threading.RLock:
        """The lock each trigger holds, made on the case's first trigger (or save): a store's
        save holds it too while it reads the case, so that it never reads a step half
        applied."""
        lock = self._lock
        if lock is None:
            with _MAKING_LOCK:
                lock = self._lock
                if lock is None:
                    lock = threading.RLock()
                    object.__setattr__(self, "_lock", lock)
        return lock

    def _apply(
        self, step: Step, transition: Transition, payload: Any, effects: Mapping[str, Any]
    ) -> None:
        on = transition._on
        for key, items in effects.items():
            if key == "met":
                met_on = step.met_on(self, payload, on)
                for ref in items:
                    self._meet(ref, met_on)
            elif key == "opened":
                for item in items:
                    self._obligations.append(
                        shared_obligation(
                            item["kind"], item["owner"], item["due"], item.get("basis", ""), on
                        )
                    )
            elif key == "deadlines":
                for item in items:
                    kind = _DEADLINE_KINDS[item["kind"]]
                    self._deadlines.append(shared_deadline(kind, shared_day(item["due"]), None))
            elif key == "closed":
                for ref in items:
                    self._close(ref)
            elif key == "departures":
                for item in items:
                    rule, text = item["rule"], item["text"]
                    if type(rule) is not str or type(text) is not str:
                        raise TypeError(f"a departure is a rule and a sentence, not {item!r}")
                    self._departures.append(Departure(transition._seq, rule, text))
        step.project(self._facts, payload, on)
        actor = transition._actor
        if actor.role is AP_HEAD:
            self._facts.ap_head = actor.name
        object.__setattr__(self, "_stage", transition._dest)
        self._history.append(transition)

    def _meet(self, ref: Mapping[str, Any], on: dt.date) -> None:
        kind, due = _DEADLINE_KINDS[ref["kind"]], shared_day(ref["due"])
        for index, item in enumerate(self._deadlines):
            if item.met_on is None and item.kind is kind and item.due == due:
                self._deadlines[index] = shared_deadline(kind, due, on)
                return
        raise ValueError(f"no unmet {kind.value} deadline due {due.isoformat()} to meet")

    def _close(self, ref: Mapping[str, Any]) -> None:
        kind, owner = ObligationKind(ref["kind"]), Party(ref["owner"])
        for index, item in enumerate(self._obligations):
            if item.kind is kind and item.owner is owner:
                del self._obligations[index]
                return
        raise ValueError(f"no open {kind.value} obligation of the {owner.value} party to close")
