"""attrs validators that raise `FormInvalid`, naming the form, the field and the problem.

Each raises `validation.fail(...)`, so that a value with several bad fields names them all.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
from collections.abc import Callable, Collection, Mapping
from typing import Any

import attrs

from reintegration_fsm.errors import a_or_an, describe
from reintegration_fsm.fields.days import is_day
from reintegration_fsm.fields.limits import INTEGER_MOST, NAME_LENGTH
from reintegration_fsm.fields.problems import text_problem
from reintegration_fsm.validation import fail

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


ADDRESS: Mapping[str, bool] = types.MappingProxyType({"address": True})
"""The `metadata` of a form's field that holds an address (the child's, a parent's): a
redaction's reason may not quote one the case holds (`stores.erasure`). Read by `holds_address`."""


def holds_address(field: attrs.Attribute[Any] | None) -> bool:
    """`field` is marked as holding an address (`ADDRESS`)."""
    return field is not None and bool(field.metadata.get("address", False))


def text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Free text: possibly empty (the rule that needs it reports emptiness), printable."""
    if not isinstance(value, str):
        raise fail(instance, attribute, f"must be text, not {describe(value)}")
    if not value.isprintable():  # fast path: most text is printable, and then needs no scan
        problem = text_problem(value)
        if problem is not None:
            raise fail(instance, attribute, problem)


def name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A name (a person, a school, an authority): one line of at most `NAME_LENGTH` characters,
    possibly empty (the rule that needs it reports emptiness)."""
    if not isinstance(value, str):
        raise fail(instance, attribute, f"must be text, not {describe(value)}")
    if len(value) > NAME_LENGTH or not value.isprintable():
        problem = text_problem(value, single_line=True, most=NAME_LENGTH)
        if problem is not None:
            raise fail(instance, attribute, problem)


def given_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A name that must be given: not blank."""
    name(instance, attribute, value)
    if not value.strip():
        raise fail(instance, attribute, "must not be blank")


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A string or None."""
    if value is not None:
        text(instance, attribute, value)


def flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A yes/no answer: exactly True or False."""
    if not isinstance(value, bool):
        raise fail(instance, attribute, f"must be True or False, not {describe(value)}")


def optional_flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """True, False or None (no answer)."""
    if value is not None:
        flag(instance, attribute, value)


def day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A calendar date (a datetime is refused: the protocol counts days)."""
    if not is_day(value):
        raise fail(instance, attribute, f"must be a date, not {describe(value)}")


def optional_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A date or None."""
    if value is not None:
        day(instance, attribute, value)


def past_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A date that is not in the future."""
    day(instance, attribute, value)
    if value > dt.date.today():
        raise fail(instance, attribute, f"{value.isoformat()} is in the future")


def member(enum_type: type[enum.Enum], *, optional: bool = False) -> Validator:
    """A member of `enum_type` (or None when `optional`)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, enum_type):
            raise fail(
                instance, attribute, f"must be {a_or_an(enum_type.__name__)}, not {describe(value)}"
            )

    return check


def count(most: int = INTEGER_MOST, what: str = "what every store's column holds") -> Validator:
    """A whole number from 0 to `most`, or None; `what` says why no more (a count no store
    can hold would let a trigger take a case that can then never be saved)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(instance, attribute, f"must be a whole number, not {describe(value)}")
        if value < 0:
            raise fail(instance, attribute, f"must be 0 or more, not {describe(value)}")
        if value > most:
            raise fail(
                instance, attribute, f"must be at most {most:,} ({what}), not {describe(value)}"
            )

    return check


def percentage(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole-number percentage from 0 to 100, or None."""
    if value is not None:
        _PERCENT(instance, attribute, value)


def within(low: int, high: int) -> Validator:
    """A whole number from `low` to `high` inclusive."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(instance, attribute, f"must be a whole number, not {describe(value)}")
        if not low <= value <= high:
            raise fail(
                instance, attribute, f"must be between {low} and {high}, not {describe(value)}"
            )

    return check


_PERCENT = within(0, 100)


def each(item: Validator, container: type[Collection[Any]] = tuple) -> Validator:
    """A `container` (tuple or frozenset) whose every item passes `item`."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, container):
            raise fail(
                instance, attribute, f"must be {a_or_an(container.__name__)}, not {describe(value)}"
            )
        for element in value:
            item(instance, attribute, element)

    return check


def instance(kind: type[Any], *, optional: bool = False) -> Validator:
    """An instance of `kind` (or None when `optional`)."""

    def check(instance_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, kind):
            raise fail(
                instance_, attribute, f"must be {a_or_an(kind.__name__)}, not {describe(value)}"
            )

    return check
