"""What a case remembers: deadlines, obligations, departures and the transitions of its history.

Transitions are audit records: immutable and unshared. A transition's `data` is plain JSON
(a `dict` of `str`, `int`, `bool`, `None`, lists and dicts), frozen so that nobody can change it
in place: `FrozenDict` and `FrozenList` are `dict` and `list` subclasses that refuse every
change, and serialise as JSON like their bases.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, NoReturn

import attrs

from reintegration_fsm import fields
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.forms.information import ReintegrationInformation
from reintegration_fsm.forms.pupil import Pupil
from reintegration_fsm.vocabulary import Actor, DeadlineKind, ObligationKind, Party, Stage


@attrs.frozen
class Deadline:
    """A dated promise: due on `due`, met on `met_on` (None while unmet)."""

    kind: DeadlineKind = attrs.field(validator=fields.member(DeadlineKind))
    due: date = attrs.field(validator=fields.day)
    met_on: date | None = attrs.field(default=None, validator=fields.optional_day)

    @property
    def met(self) -> bool:
        """True once the promise has been kept (on time or late)."""
        return self.met_on is not None

    @property
    def breached(self) -> bool:
        """True when it was met after its due date."""
        return self.met_on is not None and self.met_on > self.due

    def overdue_on(self, on: date) -> bool:
        """True when, on `on`, it is unmet and past due, or was met late."""
        return self.breached if self.met_on is not None else on > self.due

    @classmethod
    def _made(cls, kind: DeadlineKind, due: date, met_on: date | None = None) -> Deadline:
        """A deadline from values the library has already checked: no validator runs again."""
        made = object.__new__(cls)
        put = object.__setattr__
        put(made, "kind", kind)
        put(made, "due", due)
        put(made, "met_on", met_on)
        return made


@attrs.frozen
class Obligation:
    """Follow-up work a transition left for `owner` to do, by `due` where the law sets a date."""

    kind: ObligationKind = attrs.field(validator=fields.member(ObligationKind))
    owner: Party = attrs.field(validator=fields.member(Party))
    due: date | None = attrs.field(default=None, validator=fields.optional_day)
    basis: str = attrs.field(default="", eq=False, validator=fields.text)
    """The statutory source of the duty, where one sets its date; not part of its identity."""
    opened_on: date | None = attrs.field(default=None, validator=fields.optional_day)
    """The business date of the transition that opened it (None when built by hand)."""


@attrs.frozen
class Departure:
    """Where practice fell short of what the seed says *should* happen: accepted, and recorded.

    `seq` is the transition that recorded it, `rule` the rule it belongs to ("R9"), `text` a
    plain-English sentence.
    """

    seq: int
    rule: str
    text: str


# -- frozen JSON ---------------------------------------------------------------------------------
def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise TypeError("a transition's data is part of the audit record and cannot be changed")


class FrozenDict(dict[str, Any]):
    """A JSON object that cannot be changed."""

    __slots__ = ()
    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (freeze_json, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda item: item[0])))


class FrozenList(list[Any]):
    """A JSON array that cannot be changed."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = clear = extend = insert = pop = remove = reverse = sort = _refuse

    def __copy__(self) -> FrozenList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenList:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (freeze_json, (list(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


def freeze_json(value: Any) -> Any:
    """A frozen copy of `value` (plain JSON); a frozen value is returned as is."""
    kind = type(value)
    if kind is FrozenDict or kind is FrozenList:
        return value
    if kind is dict or isinstance(value, Mapping):
        return FrozenDict({key: freeze_json(item) for key, item in value.items()})
    if kind is list or kind is tuple:
        return FrozenList([freeze_json(item) for item in value])
    return value


class _NotJson(Exception):
    def __init__(self, problem: str) -> None:
        self.problem = problem


def _checked_json(value: Any, path: str) -> Any:
    """A frozen copy of `value`, which must be plain JSON: no float (its text is not portable
    across engines, and the audit log's encoding refuses one), no bytes, set or other object,
    and text keys. Raises `_NotJson` naming where, never quoting the value (personal data)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is FrozenDict or kind is FrozenList:
        return value  # the library's own, or checked when it was made
    if isinstance(value, Mapping):
        frozen = {}
        for key, item in value.items():
            if not isinstance(key, str):
                where = f" in {path}" if path else ""
                raise _NotJson(
                    f"must be plain JSON: a key{where} is {type(key).__name__}, not text"
                )
            text = str.__str__(key)  # a subclass's key as the plain text JSON holds
            frozen[text] = _checked_json(item, f"{path}.{text}" if path else text)
        return FrozenDict(frozen)
    if kind is list or kind is tuple:
        return FrozenList([_checked_json(item, f"{path}[{n}]") for n, item in enumerate(value)])
    if isinstance(value, str):  # a subclass (a str enum): its plain text, as JSON holds it
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    raise _NotJson(f"must be plain JSON: {path or 'it'} is {kind.__name__}")


def _field_problems(
    seq: Any, trigger: Any, source: Any, dest: Any, actor: Any, on: Any
) -> list[tuple[str, str]]:
    """What is wrong with a transition's fields but its data, each `(field, problem)`."""
    if (
        type(seq) is int
        and seq >= 1
        and type(trigger) is str
        and (source is None or type(source) is Stage)
        and type(dest) is Stage
        and type(actor) is Actor
        and type(on) is date
    ):
        return []  # the common case, decided at once
    problems = []
    if not isinstance(seq, int) or isinstance(seq, bool):
        problems.append(("seq", f"must be a whole number, not {type(seq).__name__}"))
    elif seq < 1:
        problems.append(("seq", f"must be 1 or more, not {seq}"))
    if not isinstance(trigger, str):
        problems.append(("trigger", f"must be a trigger's name, not {type(trigger).__name__}"))
    if source is not None and not isinstance(source, Stage):
        problems.append(("source", f"must be a Stage or None, not {type(source).__name__}"))
    if not isinstance(dest, Stage):
        problems.append(("dest", f"must be a Stage, not {type(dest).__name__}"))
    if not isinstance(actor, Actor):
        problems.append(("actor", f"must be an Actor, not {type(actor).__name__}"))
    if not fields.is_day(on):
        problems.append(("on", f"must be a date, not {type(on).__name__}"))
    return problems


def thaw_json(value: Any) -> Any:
    """A mutable copy of frozen JSON (plain dicts and lists): what an export hands over
    (`serialisation.transition_to_json`), never the record itself."""
    if isinstance(value, dict):
        return {key: thaw_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [thaw_json(item) for item in value]
    return value


# -- transitions ---------------------------------------------------------------------------------
class Transition:
    """One accepted trigger: the audit record a case's history is made of.

    `data` is plain JSON: the forms given to the trigger, and whatever the trigger recorded at
    the time (deadlines opened or met, obligations opened or closed, departures), so that replay
    reads it back instead of recomputing it. Every field is read-only and `data` is frozen.

    The library builds `data` only when it is first read (a trigger records typed values; a
    store hands over the stored JSON text), so a trigger does not pay for JSON nobody reads and a
    loaded case keeps its forms as text until asked.
    """

    __slots__ = (
        "_actor",
        "_data",
        "_dest",
        "_on",
        "_seq",
        "_source",
        "_trigger",
    )

    _seq: int
    _trigger: str
    _source: Stage | None
    _dest: Stage
    _actor: Actor
    _on: date
    _data: Mapping[str, Any] | str | Callable[[], dict[str, Any]]
    """The data: until first read, its JSON text or how to build it; then the data, a plain
    `dict` (read by the library) or a `FrozenDict` (handed out; frozen data stays frozen). One
    slot for all three: a loaded case holds eleven transitions or more."""

    def __init__(
        self,
        seq: int,
        trigger: str,
        source: Stage | None,
        dest: Stage,
        actor: Actor,
        on: date,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        # A caller's data is copied and frozen now, so that nothing they keep can change it;
        # and a caller's values are checked now, so that a history built by hand (an MIS's own
        # records) fails here, naming each field, not as a bare error deep inside replay.
        problems = _field_problems(seq, trigger, source, dest, actor, on)
        frozen: Any = FrozenDict()
        if data is not None:
            try:
                frozen = _checked_json(data, "")
            except _NotJson as error:
                problems.append(("data", error.problem))
            except RecursionError:
                problems.append(("data", "is nested too deeply to be JSON"))
            else:
                if type(frozen) is not FrozenDict:
                    problems.append(("data", f"must be a JSON object, not {type(data).__name__}"))
        if problems:
            raise FormInvalid.of("Transition", problems)
        _SET_SEQ(self, seq)
        _SET_TRIGGER(self, trigger)
        _SET_SOURCE(self, source)
        _SET_DEST(self, dest)
        _SET_ACTOR(self, actor)
        _SET_ON(self, fields.plain_day(on))
        _SET_DATA(self, frozen)

    @classmethod
    def from_text(
        cls,
        seq: int,
        trigger: str,
        source: Stage | None,
        dest: Stage,
        actor: Actor,
        on: date,
        text: str,
    ) -> Transition:
        """A transition whose data is given as its JSON text (a store's row), parsed when read.

        Raises:
            ValueError: when the data is read, if the text is not a JSON object.
        """
        return cls._lazy(seq, trigger, source, dest, actor, on, text)

    @classmethod
    def _lazy(
        cls,
        seq: int,
        trigger: str,
        source: Stage | None,
        dest: Stage,
        actor: Actor,
        on: date,
        pending: str | Callable[[], dict[str, Any]],
    ) -> Transition:
        transition = _new(cls)
        _SET_SEQ(transition, seq)
        _SET_TRIGGER(transition, trigger)
        _SET_SOURCE(transition, source)
        _SET_DEST(transition, dest)
        _SET_ACTOR(transition, actor)
        _SET_ON(transition, on)
        _SET_DATA(transition, pending)
        return transition

    # A transition whose data the library builds, when first read, with a callable (every
    # trigger makes one): `_lazy` itself, no call of it between. The built data is the
    # library's own and no one else holds it: it is frozen when first read through `data`; the
    # library's own readers use `_raw()` and never change it.
    _owned = _lazy

    def _raw(self) -> Mapping[str, Any]:
        """The data as held (built or parsed once, then kept), for the library's own readers."""
        data = self._data
        kind = type(data)
        if kind is not dict and kind is not FrozenDict:
            data = self._peek()
            _SET_DATA(self, data)
        return data  # type: ignore[return-value]

    def _held(self) -> Mapping[str, Any] | None:
        """The data when it was read or built already, else None."""
        data = self._data
        kind = type(data)
        return data if kind is dict or kind is FrozenDict else None  # type: ignore[return-value]

    def _peek(self) -> Mapping[str, Any]:
        """The data, built or parsed afresh when only a recipe or text is held (not kept)."""
        pending = self._data
        kind = type(pending)
        if kind is dict or kind is FrozenDict:
            return pending  # type: ignore[return-value]
        if callable(pending):
            return pending()
        try:
            parsed = json.loads(pending or "null")  # type: ignore[arg-type]
        except (ValueError, RecursionError) as error:  # a row changed behind its store
            if isinstance(error, json.JSONDecodeError):
                error.doc = ""  # the whole row, kept as the refusal's context (review LF, LF3)
            raise FormInvalid(
                "transition",
                str(self._seq),
                f"its recorded data is not JSON ({error}): it was changed after it was recorded",
            ) from None
        if type(parsed) is not dict:
            raise FormInvalid(
                "transition",
                str(self._seq),
                f"its recorded data must be a JSON object, not {type(parsed).__name__}: it was "
                "changed after it was recorded",
            )
        return parsed

    def _top(self) -> Mapping[str, Any]:
        """The data's top-level values, as `_peek` gives them; a store's transition may give
        the forms among them as it keeps them (`protocol.at_rest`), which costs no expansion."""
        return self._peek()

    @property
    def seq(self) -> int:
        """The transition's position in its case's history, from 1."""
        return self._seq

    @property
    def trigger(self) -> str:
        """The trigger's name (`"record_consent"`; `"open"` for the first)."""
        return self._trigger

    @property
    def source(self) -> Stage | None:
        """The stage the case was in (None for `open`)."""
        return self._source

    @property
    def dest(self) -> Stage:
        """The stage the case moved to (the same stage for a trigger that does not move it)."""
        return self._dest

    @property
    def actor(self) -> Actor:
        """Who fired the trigger."""
        return self._actor

    @property
    def on(self) -> date:
        """The business date the trigger was fired on."""
        return self._on

    @property
    def data(self) -> Mapping[str, Any]:
        """What the transition recorded, as frozen plain JSON (a `dict` that refuses changes)."""
        data = self._data
        if type(data) is not FrozenDict:
            data = freeze_json(self._raw())
            _SET_DATA(self, data)
        return data

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Transition is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a Transition is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Transition):
            return NotImplemented
        return (
            self._seq == other._seq
            and self._trigger == other._trigger
            and self._source is other._source
            and self._dest is other._dest
            and self._on == other._on
            and self._actor == other._actor
            and self._peek() == other._peek()
        )

    def __hash__(self) -> int:
        return hash((self._seq, self._trigger, self._on, self._actor))

    def __repr__(self) -> str:
        source = None if self._source is None else self._source.value
        return (
            f"Transition(seq={self._seq}, trigger={self._trigger!r}, source={source!r}, "
            f"dest={self._dest.value!r}, actor={self._actor!r}, on={self._on!r}, "
            f"data={_without_special_category(dict(self._peek()))!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            Transition,
            (self._seq, self._trigger, self._source, self._dest, self._actor, self._on, self.data),
        )

    def __copy__(self) -> Transition:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Transition:
        return self


_SPECIAL_CATEGORY = frozenset(
    field.name
    for form in (Pupil, ReintegrationInformation)
    for field in attrs.fields(form)
    if not field.repr
)
"""The keys of a transition's data holding special category data (UK GDPR Art. 9): the fields
the `Pupil`'s and the `ReintegrationInformation`'s own reprs leave out (their SEND level and
ethnicity), which no repr shows."""


def _without_special_category(value: Any) -> Any:
    """`value` (a transition's JSON data) without its `_SPECIAL_CATEGORY`, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: _without_special_category(item)
            for key, item in value.items()
            if key not in _SPECIAL_CATEGORY
        }
    if isinstance(value, list):
        return [_without_special_category(item) for item in value]
    return value


_new = object.__new__
# The slots' own setters: a transition is built once per stored row, so its construction is
# a store load's inner loop (`__setattr__` refuses every other change).
(
    _SET_ACTOR,
    _SET_DATA,
    _SET_DEST,
    _SET_ON,
    _SET_SEQ,
    _SET_SOURCE,
    _SET_TRIGGER,
) = (getattr(Transition, name).__set__ for name in Transition.__slots__)
