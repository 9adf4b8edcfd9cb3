"""Call-time checks of the strategies' arguments.

A strategy given an argument it cannot use (a text for a date, a role's value for a `Role`, an
unknown respect, a start before the meeting) raises hypothesis' `InvalidArgument`, naming the
strategy and the argument, when it is called: as hypothesis' own strategies do, and not as a bare
`AttributeError` or `OverflowError` from deep inside a draw. Not part of the public API.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any, ParamSpec, TypeVar, cast

import attrs
from hypothesis.errors import InvalidArgument

from reintegration_fsm.errors import FormInvalid, a_or_an, describe
from reintegration_fsm.fields import is_day
from reintegration_fsm.protocol.definition import DAYS_MOST

P = ParamSpec("P")
T = TypeVar("T")

Check = Callable[[Any], "str | None"]
"""What is wrong with one argument's value, or None."""
Rule = Callable[[Mapping[str, Any]], "tuple[str, str] | None"]
"""What is wrong among the arguments: the argument to blame and the problem, or None."""


class InvalidValue(InvalidArgument, ValueError):
    """An argument the strategy cannot use; also a `ValueError`, as an unknown respect, a decision
    a review's kind cannot take and a run not starting with `open` were before these checks."""


_ROOM = dt.timedelta(days=2 * DAYS_MOST)
FIRST_DAY = dt.date.min + _ROOM
"""The earliest date a strategy takes: it draws dates around the one given (up to a protocol's
longest deadline, ten years, on either side), and none may fall outside Python's dates."""
LAST_DAY = dt.date.max - _ROOM
"""The latest date a strategy takes (see `FIRST_DAY`)."""


def cached(strategy: Callable[P, T]) -> Callable[P, T]:
    """`functools.cache`, keeping the strategy's signature for type checkers: the cache's
    wrapper is typed `(*args: Hashable, **kwargs: Hashable)`, so `texts(3)` passed mypy and
    pyright (review TY, TY2)."""
    return cast("Callable[P, T]", functools.cache(strategy))


def checked(*rules: Rule, **checks: Check) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Check a strategy's arguments when it is called: each named one by its `checks`, then
    all of them by `rules`.

    Raises (from the strategy):
        InvalidArgument: an argument the strategy does not take, or one that fails a check;
            `InvalidValue` (also a ValueError) for one that fails a rule.
    """

    def decorate(strategy: Callable[P, T]) -> Callable[P, T]:
        signature = inspect.signature(strategy)
        name = strategy.__name__
        missing = set(checks) - set(signature.parameters)
        assert not missing, f"{name} takes no {missing}"

        @functools.wraps(strategy)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as wrong:
                raise InvalidArgument(f"{name}: {wrong}") from None
            bound.apply_defaults()
            given = bound.arguments
            for argument, check in checks.items():
                problem = check(given[argument])
                if problem is not None:
                    raise InvalidArgument(
                        f"{name}({argument}={describe(given[argument])}): {problem}"
                    )
            for rule in rules:
                found = rule(given)
                if found is not None:
                    argument, problem = found
                    raise InvalidValue(f"{name}({argument}={describe(given[argument])}): {problem}")
            return strategy(*args, **kwargs)

        return call

    return decorate


# -- checks of one argument ----------------------------------------------------------------------
def day_with_room(before: int = 0, after: int = 0) -> Check:
    """A date (not a datetime) from `before` days after `FIRST_DAY` to `after` days before
    `LAST_DAY`: a strategy that dates a form up to `before` days before the date given, or up to
    `after` days after it, draws that form from a strategy taking `FIRST_DAY` to `LAST_DAY`."""
    first = FIRST_DAY + dt.timedelta(days=before)
    last = LAST_DAY - dt.timedelta(days=after)
    if before == after:
        reach = "twenty years" + (f" and {before} days" if before else "") + " either side of it"
    else:
        sides = ((before, "before"), (after, "after"))
        further = " and ".join(f"{n} days further {side} it" for n, side in sides if n)
        reach = f"twenty years either side of it, and {further}"

    def check(value: Any) -> str | None:
        if not is_day(value):
            return f"must be a date, not {type(value).__name__}"
        if not first <= value <= last:
            return (
                f"must be from {first.isoformat()} to {last.isoformat()}: the strategy draws "
                f"dates up to {reach}"
            )
        return None

    return check


day = day_with_room()
"""A date (not a datetime) from `FIRST_DAY` to `LAST_DAY`."""


def instance(kind: type[Any]) -> Check:
    """An instance of `kind`."""

    def check(value: Any) -> str | None:
        if isinstance(value, kind):
            return None
        return f"must be {a_or_an(kind.__name__)}, not {type(value).__name__}"

    return check


def optional(check: Check) -> Check:
    """None, or a value passing `check`."""

    def either(value: Any) -> str | None:
        return None if value is None else check(value)

    return either


def field(form: type[Any], name: str) -> Check:
    """A value the form's field `name` takes: the form's own validator is asked."""
    attribute = attrs.fields_dict(form)[name]
    validator = attribute.validator
    assert validator is not None, f"{form.__name__}.{name} has no validator"

    def check(value: Any) -> str | None:
        try:
            validator(None, attribute, value)
        except FormInvalid as refused:
            return f"{form.__name__}.{name} {refused.problem}"
        return None

    return check


# -- rules among the arguments -------------------------------------------------------------------
def not_before(earlier: str, later: str) -> Rule:
    """`later` is not before `earlier`, when both are given."""

    def rule(given: Mapping[str, Any]) -> tuple[str, str] | None:
        first, second = given[earlier], given[later]
        if first is not None and second is not None and second < first:
            return later, f"is before {earlier} ({first.isoformat()})"
        return None

    return rule


def respect(respects: Callable[[Mapping[str, Any]], Collection[str]]) -> Rule:
    """`respect` is None or one of the `respects` the other arguments allow."""

    def rule(given: Mapping[str, Any]) -> tuple[str, str] | None:
        value, allowed = given["respect"], respects(given)
        if value is None or (isinstance(value, str) and value in allowed):
            return None
        return "respect", f"must be None or one of {', '.join(allowed)}"

    return rule
