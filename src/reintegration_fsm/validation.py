"""Every problem of a value at once: the first validator to fail gathers the other fields'.

attrs stops at the first validator that raises. Building a value stays as fast as attrs makes
it, for nothing here runs until a validator fails: then `fail` checks the fields after the bad
one on the same instance (attrs sets every field before it runs any validator) and the
validator raises one `FormInvalid` listing every problem, in field order.

A validator raises `fail(...)` (a protocol's, `fail_definition(...)`) for its problem, never an
error of its own making, and a converter never raises (it leaves what it cannot convert for the
validator to refuse), so that no problem stops the others being found. A validator that reads
other fields (a cross-field check: a plan's end not before its start) is marked with `reads`: it
runs only when the fields it reads have no problem of their own, and it belongs on the last of
the fields it reads, as attrs runs a class's validators in field order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import attrs

from reintegration_fsm.errors import FormInvalid, ProtocolDefinitionError

Check = TypeVar("Check", bound=Callable[..., None])

_AND: type[Any] = type(attrs.validators.and_())
"""The class attrs combines a field's validators into (`@field.validator`, a list)."""
_READS = "__reintegration_reads__"


class _Gathering(threading.local):
    active = False


_GATHERING = _Gathering()
"""Whether this thread is running the other fields' validators for `fail`: their problems are
collected there, one each, not gathered again."""


def reads(*names: str) -> Callable[[Check], Check]:
    """Mark a validator as reading the fields `names` too (a cross-field check)."""

    def mark(check: Check) -> Check:
        setattr(check, _READS, frozenset(names))
        return check

    return mark


def fail(instance: Any, attribute: attrs.Attribute[Any], problem: str) -> FormInvalid:
    """The error a validator of `instance` raises for `problem` in `attribute`.

    When `instance` is being built, it names every other problem too: each later field's own
    problem (a field's validators stop at its first), then the cross-field checks whose fields
    have none.
    """
    form = type(instance).__name__
    later = _gathered(instance, attribute.name)
    return FormInvalid(form, attribute.name, problem, also=later)


def fail_definition(
    instance: Any,
    attribute: attrs.Attribute[Any],
    problem: str,
    field: str | None = None,
    *,
    more: Iterable[tuple[str, str]] = (),
) -> ProtocolDefinitionError:
    """`fail` for a protocol's field: the error names `field` (default: the attribute's name,
    or a part of it, as `roles.open`), then the field's `more` problems (`(part, problem)`:
    another trigger's roles), then every later problem of the protocol being built."""
    later = _gathered(instance, attribute.name)
    return ProtocolDefinitionError(
        field or attribute.name,
        problem,
        also=[(name, what, None) for name, what in (*more, *later)],
    )


def _gathered(instance: Any, bad: str) -> list[tuple[str, str]]:
    """The problems of `instance`'s fields after `bad` (none when it is not an attrs instance,
    or when this thread is gathering already)."""
    if _GATHERING.active or not attrs.has(type(instance)):
        return []
    _GATHERING.active = True
    try:
        return _later_problems(instance, bad)
    finally:
        _GATHERING.active = False


def _parts(validator: Any) -> tuple[Any, ...]:
    # attrs keeps the validators it combined, in order, in `_validators`.
    return tuple(validator._validators) if isinstance(validator, _AND) else (validator,)


def _reads(check: Any) -> frozenset[str]:
    found: frozenset[str] = getattr(check, _READS, frozenset())
    return found


def _problem(
    checks: Iterable[Any], instance: Any, field: attrs.Attribute[Any]
) -> list[tuple[str, str]]:
    """What the first check to fail finds in `field`, each `(field named, problem)`: one
    problem, or a protocol's for each part of the field (`roles.open`, `roles.withdraw`)."""
    value = getattr(instance, field.name)
    for check in checks:
        try:
            check(instance, field, value)
        except FormInvalid as error:
            return [(field.name, error.problem)]
        except ProtocolDefinitionError as error:  # its fields may be parts (`roles.open`)
            return [(name, what) for name, what, _ in error.problems]
    return []


def _later_problems(instance: Any, bad: str) -> list[tuple[str, str]]:
    """The problems of the fields after `bad`, in field order."""
    fields = attrs.fields(type(instance))
    names = [field.name for field in fields]
    if bad not in names:  # a validator asked of another class's field: nothing to gather
        return []
    later = fields[names.index(bad) + 1 :]
    found: dict[str, list[tuple[str, str]]] = {}
    crossing: list[tuple[attrs.Attribute[Any], list[Any]]] = []
    for field in later:
        if field.validator is None:
            continue
        parts = _parts(field.validator)
        problems = _problem([c for c in parts if not _reads(c)], instance, field)
        if problems:
            found[field.name] = problems
        else:
            crossing.append((field, [c for c in parts if _reads(c)]))
    for field, checks in crossing:
        unsound = {bad, *found}
        problems = _problem([c for c in checks if not _reads(c) & unsound], instance, field)
        if problems:
            found[field.name] = problems
    return [problem for name in names for problem in found.get(name, ())]
