"""How a `Reintegration` is rebuilt: replayed from its history (every transition checked again,
or only its structure for a store's own log), or resumed from the state its store kept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case_recording import recorded_extras
from reintegration_fsm.case_running import CaseRunning
from reintegration_fsm.case_shared import DISCHARGE, OPEN_STEP
from reintegration_fsm.errors import (
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    ProtocolError,
    a_or_an,
)
from reintegration_fsm.fields import NAME_LENGTH, identifier, text_problem
from reintegration_fsm.protocol.definition import (
    FINGERPRINT,
    Protocol,
    find_protocol,
    protocol_registry,
)
from reintegration_fsm.protocol.machine import DISPATCH
from reintegration_fsm.protocol.payloads import SCHEMA, schema_of, upcast_read
from reintegration_fsm.protocol.reading import payload_view, read_values
from reintegration_fsm.protocol.steps import Step
from reintegration_fsm.records import Transition
from reintegration_fsm.rules import earlier_than_last, judging_recorded
from reintegration_fsm.state import decode, encode, shared_setting
from reintegration_fsm.vocabulary import ObligationKind, Stage

BUILT_IN = protocol_registry(())
"""The protocols every case may name: a store that knows no others resumes each with these."""
_C = TypeVar("_C", bound="CaseLoading")


class CaseLoading(CaseRunning):
    """`Reintegration`'s rebuilding from a history (`_rebuild`, which `replay` runs, and
    `_restore`) or from a history and the state kept beside it (`_resume`, `_state`)."""

    __slots__ = ()

    @classmethod
    def _restore(
        cls: type[_C],
        history: Iterable[Transition],
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Protocol] = (),
    ) -> _C:
        """Rebuild a case from a history this library checked when it was written (a store's
        own log): the structure is checked, the rules are not re-run and the forms are read
        only when asked for. `verify()` replays every case in full. A store that saves such a
        case elsewhere replays it first (see `unchecked`)."""
        return cls._rebuild(history, calendar, protocols, checked=False)

    @classmethod
    def _rebuild(
        cls: type[_C],
        history: Iterable[Transition],
        calendar: SchoolCalendar | None,
        protocols: Iterable[Protocol],
        *,
        checked: bool,
    ) -> _C:
        if calendar is not None and not isinstance(calendar, SchoolCalendar):
            raise FormInvalid(
                "replay", "calendar", f"must be a SchoolCalendar, not {type(calendar).__name__}"
            )
        registry = protocol_registry(protocols)
        if isinstance(history, str | bytes | Mapping) or not isinstance(history, Iterable):
            raise FormInvalid(
                "history", "1", f"must be a sequence of transitions, not {type(history).__name__}"
            )
        transitions = list(history)
        for position, transition in enumerate(transitions, start=1):
            if not isinstance(transition, Transition):
                raise FormInvalid(
                    "history", str(position), f"not a Transition: {type(transition).__name__}"
                )
        if not transitions or transitions[0].trigger != "open" or transitions[0].seq != 1:
            raise FormInvalid("history", "1", "a history starts with the 'open' transition, seq 1")
        read = upcast_read(transitions)
        data = read[0][1]
        try:
            case_id, pupil, ap_setting, local_authority = read_values(OPEN_STEP, data, 1)
            cls._check_values(OPEN_STEP, (case_id, pupil, ap_setting, local_authority))
            protocol = find_protocol(registry, *_named_protocol(data))
        except FormInvalid as error:
            if error.form == "history":
                raise
            raise error.within("history", "1", "open: ") from None
        except (KeyError, TypeError) as error:
            raise FormInvalid("history", "1", f"malformed 'open' data: {error!r}") from None
        case = cls._new(case_id, pupil, ap_setting, local_authority, protocol, calendar)
        with judging_recorded():  # (R16: written where the date may be later than here)
            for transition, recorded in read:
                case._replay_one(transition, recorded, checked=checked)
        if not checked:
            object.__setattr__(case, "_unchecked", len(case._history))
        return case

    @classmethod
    def _resume(
        cls: type[_C],
        history: Sequence[Transition],
        state: str,
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Protocol] = (),
    ) -> _C:
        """Rebuild a case from a history this library checked when it was written and the state
        its store kept beside it (`_state()`), without replaying: unchecked, as `_restore`, and
        the forms (the child's too) are read only when asked for. `verify()` replays every case
        and compares its state. A history in the first data layout is restored instead.

        Raises:
            FormInvalid: the history's first or last transition, or the state, is malformed,
                or the state is not of the history's length and last stage.
            UnknownProtocol: the history names a protocol not given.
        """
        if calendar is not None and not isinstance(calendar, SchoolCalendar):
            raise FormInvalid(
                "replay", "calendar", f"must be a SchoolCalendar, not {type(calendar).__name__}"
            )
        transitions = list(history)
        first, last = (transitions[0], transitions[-1]) if transitions else (None, None)
        if not isinstance(first, Transition) or first._trigger != "open" or first._seq != 1:
            raise FormInvalid("history", "1", "a history starts with the 'open' transition, seq 1")
        if not isinstance(last, Transition) or last._seq != len(transitions):
            raise FormInvalid(
                "history", str(len(transitions)), f"expected seq {len(transitions)} last"
            )
        try:
            data = first._top()  # the forms may be at rest: only top-level values are read
        except ValueError as error:
            raise FormInvalid("history", "1", str(error)) from None
        if schema_of(data) != SCHEMA:
            return cls._restore(transitions, calendar, protocols)
        recorded = decode(state)
        if recorded.version != len(transitions) or recorded.stage is not last._dest:
            raise FormInvalid(
                "state",
                "version",
                f"the state is of version {recorded.version} in stage "
                f"{recorded.stage.value!r}, the history of {len(transitions)} transitions "
                f"ending in {last._dest.value!r}",
            )
        try:
            registry = BUILT_IN if protocols == () else protocol_registry(protocols)
            protocol = find_protocol(registry, *_named_protocol(data))
            opened = [data[argument.name] for argument in OPEN_STEP.arguments]
            if type(opened[1]) is not dict:
                raise TypeError(f"the pupil is a JSON object, not {opened[1]!r}")
        except (KeyError, TypeError) as error:
            raise FormInvalid("history", "1", f"malformed 'open' data: {error!r}") from None
        for argument, value in zip(OPEN_STEP.arguments, opened, strict=True):
            if argument.type is not str:
                continue
            problem = (
                identifier(value, argument.name, argument.most or NAME_LENGTH)
                if argument.needed or type(value) is not str
                else text_problem(value, single_line=argument.single_line, most=argument.most)
            )
            if problem is not None:
                raise FormInvalid("history", "1", f"open: {argument.name} {problem}")
        case_id, _, ap_setting, local_authority = opened
        # The child is read from the `open` record when first asked for, so that a case loaded
        # in bulk does not hold it twice (parsed, and in the record's text).
        case = cls._new(
            case_id,
            None,
            shared_setting(ap_setting),
            shared_setting(local_authority),
            protocol,
            calendar,
        )
        put = object.__setattr__
        put(case, "_stage", recorded.stage)
        put(case, "_history", transitions)
        put(case, "_deadlines", recorded.deadlines)
        put(case, "_obligations", recorded.obligations)
        put(case, "_departures", recorded.departures)
        put(case, "_facts", recorded.facts)
        put(case, "_unchecked", len(transitions))
        return case

    def _state(self) -> str:
        """The case's state as the compact JSON a store keeps beside its log (`state.encode`):
        the same case always gives the same text."""
        return encode(
            version=len(self._history),
            stage=self._stage,
            facts=self._facts,
            deadlines=self._deadlines,
            obligations=self._obligations,
            departures=self._departures,
        )

    def _replay_one(
        self, transition: Transition, data: Mapping[str, Any], *, checked: bool
    ) -> None:
        seq = transition.seq
        trigger = transition.trigger
        if seq != len(self._history) + 1:
            raise FormInvalid("history", str(seq), f"expected seq {len(self._history) + 1}")
        if trigger == OPEN_STEP.name:
            step = OPEN_STEP if seq == 1 else None
            source: Stage | None = None
        else:
            step = DISPATCH[self._stage].get(trigger)
            source = self._stage
        if step is None:
            raise IllegalTransition(trigger, self._stage, seq=seq)
        if transition.source is not source:
            raise IllegalTransition(
                trigger,
                self._stage,
                seq=seq,
                why=f"{trigger} records that it left {stage_name(transition.source)}, but the "
                f"case was in {stage_name(source)}",
            )
        last = self.last_on
        if last is not None and transition.on < last:
            raise GuardFailed(
                trigger, [earlier_than_last(transition.on, last)], seq=seq, rules=["R16"]
            )
        try:
            if checked:
                values = read_values(step, data, seq)
                kind = values[0] if values else None
                self._check_recorded(partial(self._check_actor, step, transition.actor, kind, seq))
                self._check_values(step, values)
                payload = step.payload(values)
                self._check_recorded(partial(self._check_rules, step, payload, transition.on, seq))
                effects = self._effects(step, payload, transition.on, transition.actor, data)
                expected = recorded_extras(step, effects, self._protocol, data.get("protocol"))
                self._compare(step, expected, data, seq)
            else:
                payload = payload_view(step, data)
                kind = _recorded_kind(step, data)
                self._check_recorded(partial(self._check_actor, step, transition.actor, kind, seq))
            dest = step.dest(self._stage, payload)
            if transition.dest is not dest:
                raise IllegalTransition(
                    trigger,
                    self._stage,
                    seq=seq,
                    why=f"{trigger} from {stage_name(source)} goes to {stage_name(dest)}, but "
                    f"the history records {stage_name(transition.dest)}",
                )
            self._apply(step, transition, payload, data)
        except ProtocolError as error:
            if isinstance(error, FormInvalid) and error.form != "history":
                raise error.within("history", str(seq), f"{trigger}: ") from None
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            raise FormInvalid(
                "history", str(seq), f"malformed {trigger!r} data: {error!r}"
            ) from None

    def _compare(
        self, step: Step, expected: Mapping[str, Any], recorded: Mapping[str, Any], seq: int
    ) -> None:
        arguments = {argument.name for argument in step.arguments}
        for key in recorded.keys() | expected.keys():
            if key in arguments:
                continue  # read above, typed: the rules ran on what was recorded
            if key not in expected:
                raise FormInvalid(
                    "history", str(seq), f"{step.name} records no {key!r}, but the history does"
                )
            if key not in recorded or recorded[key] != expected[key]:
                raise FormInvalid(
                    "history",
                    str(seq),
                    f"{step.name}: the recorded {key!r} is not what the protocol records "
                    f"(recorded {recorded.get(key)!r}, expected {expected[key]!r})",
                )


def _recorded_kind(step: Step, data: Mapping[str, Any]) -> Any:
    """The payload an unchecked replay needs for the actor check: a discharge's kind."""
    if step.name == DISCHARGE:
        return ObligationKind(data["kind"])
    return None


def stage_name(stage: Stage | None) -> str:
    """A stage as a message names it: `stage 'consented'`, or `no stage` (before `open`)."""
    return "no stage" if stage is None else f"stage {stage.value!r}"


def _named_protocol(data: Mapping[str, Any]) -> tuple[str, str, object]:
    """The protocol an `open` record names: its id, version and recorded fingerprint.

    Raises:
        FormInvalid: the record names none, or not as `{"id": ..., "version": ...}`.
    """
    named = data.get("protocol")
    if not isinstance(named, Mapping) or "id" not in named or "version" not in named:
        if named is None:
            given = "names no protocol"
        elif isinstance(named, Mapping):
            given = "names its protocol without an id and a version"
        else:
            given = f"names its protocol as {a_or_an(type(named).__name__)}"
        raise FormInvalid(
            "history",
            "1",
            f'open: the record {given}: give it as {{"id": ..., "version": ...}}, the '
            "protocol's id and version as `protocol list` shows them",
        )
    return str(named["id"]), str(named["version"]), named.get(FINGERPRINT)
