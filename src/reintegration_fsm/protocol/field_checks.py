"""The checks and conversions of a `Protocol`'s fields, and the bounds a new case opens under."""

from __future__ import annotations

import datetime as dt
import difflib
import types
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.errors import cut_short, describe
from reintegration_fsm.protocol.duties import (
    ADMISSIONS_CODE,
    JOINERS_RETURN_DAYS,
    PLACE_OFFER_SCHOOL_DAYS,
    REGULATIONS,
)
from reintegration_fsm.protocol.toml_file import DIGITS_MOST, toml_value
from reintegration_fsm.term_dates.terms import date_advice
from reintegration_fsm.validation import fail_definition
from reintegration_fsm.vocabulary import Evidence, Party, Role, Trigger


def quoted(value: Any) -> str:
    """A protocol's value as a problem quotes it: as its file's author wrote it in TOML
    (`true`, `[3, 3, 8]`, `2025-09-01`, `"text"`), cut short (review AV, AV1); a value no TOML
    holds (None, an object given in code) by its repr; a long whole number by its first
    digits and how many it has (Python writes out none over 4,300 digits)."""
    if type(value) is not int:
        try:
            # Text is cut before it is written: the message quotes its start alone.
            written = toml_value(value[: _SHOWN_MOST + 1] if isinstance(value, str) else value)
        except (TypeError, ValueError):
            pass  # no TOML value, or one holding a number too long to write out
        else:
            return cut_short(written, most=_SHOWN_MOST, cut="…")
    return describe(value, most=_SHOWN_MOST, cut="…")


def quoted_argument(value: Any) -> str:
    """A method's argument as a problem quotes it, as Python writes it (`evidence_for`'s
    `looked_after`): a caller's code, not a protocol file, gave it."""
    return describe(value, most=_SHOWN_MOST, cut="…")


_SHOWN_MOST = 80
"""The most characters of a value a problem quotes."""


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail_definition(
            instance, attribute, f"must be a whole number above 0, not {quoted(value)}"
        )


_TOO_LONG = 10**DIGITS_MOST


def check_count(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole number above 0, however large, that a file can hold: a count past what a new
    case may run under still loads for the cases opened under it (`opening_problems`)."""
    _positive(instance, attribute, value)
    _writable(instance, attribute, value)


def _writable(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value >= _TOO_LONG:
        raise fail_definition(
            instance,
            attribute,
            f"must be at most {DIGITS_MOST:,} digits long (no protocol file holds a longer "
            f"number), not {quoted(value)}",
        )


DAYS_MOST = 3660
"""The most days a new case's final review may count: ten years (the place offer has the law's
20 school days, the joiners return its 5: `COUNTS_MOST`). A count beyond it is no protocol's (a date
that far on runs past any school calendar, and, far enough, past the last date there is); a
protocol an earlier version took with more still loads for its cases, and opens no new one
(`Protocol.opening_problems`). Any whole count above 0 loads: R7 only compares days with it, so
a case ran whole under `final_review_within_days = 99999999`."""
RETENTION_YEARS_LEAST = 18
"""The fewest years after a child's date of birth that a case's personal data may be kept: a
child of school age, whose case may still be running, is younger."""
RETENTION_TOO_SHORT = (
    f"must be at least {RETENTION_YEARS_LEAST}: it counts from the child's date of birth, and "
    "fewer years would remove the personal data of a child still of school age, whose case may "
    "be running"
)
POINTS_MOST = fields.INTEGER_MOST
"""The most weighting points a new case's move may count: what every engine's INTEGER column
holds. A protocol an earlier version took with more still loads for its cases, and opens no new
one (`Protocol.opening_problems`)."""
_SOONER = "a protocol may ask for it sooner, not later"
COUNTS_MOST = (
    (
        "place_offer_school_days",
        PLACE_OFFER_SCHOOL_DAYS,
        f": the {ADMISSIONS_CODE} (Fair Access) requires an offer of a school place within "
        f"{PLACE_OFFER_SCHOOL_DAYS} school days; {_SOONER}",
    ),
    (
        "final_review_within_days",
        DAYS_MOST,
        " (ten years of days: a deadline further off runs past any school calendar)",
    ),
    (
        "joiners_return_days",
        JOINERS_RETURN_DAYS,
        f": the {REGULATIONS} (regulation 13(1)) make the new pupil return by the end of the "
        f"fifth day after the start; {_SOONER}",
    ),
    (
        "weighting_points",
        POINTS_MOST,
        " (what every store's INTEGER column holds: no store could record the move's weighting)",
    ),
)
"""The most each count may be for a new case to open under the protocol, in field order, and
why: the law's deadlines (a protocol may set a shorter one, never a longer) and what a calendar
and a store can hold. A protocol an earlier version took with more still loads, and the cases
opened under it replay and finish (`Protocol.opening_problems`)."""


def check_years(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole number of years above 0 that a date can be counted by (at most `dt.MAXYEAR`)."""
    _positive(instance, attribute, value)
    if value > dt.MAXYEAR:
        raise fail_definition(
            instance,
            attribute,
            f"must be at most {dt.MAXYEAR} (no date is further off), not {quoted(value)}",
        )


def check_not_negative(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole number, 0 or more, that a file can hold."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise fail_definition(
            instance, attribute, f"must be a whole number, 0 or more, not {quoted(value)}"
        )
    _writable(instance, attribute, value)


def check_label(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An id or version: a short name on one line that reads as itself (`fields.unclear`)."""
    if not isinstance(value, str):  # quoted as the file wrote it (`identifier` quotes repr)
        raise fail_definition(instance, attribute, f"must be text, not {quoted(value)}")
    problem = fields.identifier(value, attribute.name, fields.NAME_LENGTH)
    if problem is None:
        # As a new case id: a direction control would print the name reversed, a zero-width
        # space or a Cyrillic о make two names that read alike.
        problem = fields.unclear(value)
    if problem is not None:
        raise fail_definition(instance, attribute, problem)


TITLE_LENGTH = 200
"""The most characters a protocol's `title` may have: a heading's line."""
SOURCE_LENGTH = 1000
"""The most characters a protocol's `source` may have: a paragraph citing a document."""


def check_prose(
    instance: Any,
    attribute: attrs.Attribute[Any],
    value: Any,
    *,
    single_line: bool = False,
    most: int = SOURCE_LENGTH,
) -> None:
    """Non-empty text of at most `most` characters (on one line with `single_line`)."""
    if not isinstance(value, str) or not value.strip():
        raise fail_definition(instance, attribute, f"must be non-empty text, not {quoted(value)}")
    problem = fields.text_problem(value, single_line=single_line, most=most)
    if problem is not None:
        raise fail_definition(instance, attribute, problem)


def check_heading(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """What a protocol is called: prose on one line, as a heading prints it."""
    check_prose(instance, attribute, value, single_line=True, most=TITLE_LENGTH)


def check_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A date."""
    if not fields.is_day(value):
        # `effective_from = "2025-09-01"` quoted back reads as the date asked for: say what to
        # write instead, as a term-dates file's refusal does (review AV, AV4).
        advice = date_advice(value)
        problem = f"must be a date, not {quoted(value)}" + (f": {advice}" if advice else "")
        raise fail_definition(instance, attribute, problem)


def _members(enum_type: type[Any], value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        try:
            return frozenset(
                item if isinstance(item, enum_type) else enum_type(item) for item in value
            )
        except ValueError:
            pass  # the validator names the bad value (`_stranger`)
    return value


def _stranger(enum_type: type[Any], value: Any) -> str:
    """`, not ITEM`: the first item of the list `value` that is none of `enum_type`'s values,
    as a refusal names it, with the code point of a look-alike or unseen character that makes
    it read as one (`fields.unclear`); "" when every item is one, or `value` is no list."""
    if not isinstance(value, (list, tuple, set, frozenset)):
        return ""
    for item in value:
        try:
            enum_type(item)
        except ValueError:
            return f", not {quoted(item)}{_unclear(item)}"
    return ""


def _unclear(name: Any) -> str:
    """`: it holds ...` where `name`, a key or an item a file gives, holds a character nobody
    sees or letters drawn as another alphabet's (`fields.unclear`): it reads as the name it is
    not. "" otherwise."""
    why = fields.unclear(name) if isinstance(name, str) else None
    return "" if why is None else f": it {why}"


def unknown_hint(name: Any, known: Sequence[str]) -> str:
    """What follows "is not a ..." of a key no field or trigger has: `_unclear`'s reason where
    it holds a character that makes it read as another, else `; did you mean NAME?` where one
    of the `known` names is close to it (`reveiw_weeks`, `role`), else "" (review AU, AU2)."""
    if not isinstance(name, str):
        return ""
    unclear = _unclear(name)
    if unclear:
        return unclear
    near = difflib.get_close_matches(name.lower(), known, n=1)
    return f"; did you mean {near[0]}?" if near else ""


def _text_for_list(value: Any) -> str:
    """`, not the text ...: write ...` where `value`, given where a list is wanted, is text
    (`hold_review = "ap_head"`, `review_parties = "ap, host"`): quoting the text alone read as
    if the name in it were no role or party (review AU, AU3). "" for anything else."""
    if not isinstance(value, str):
        return ""
    advice = f", not the text {quoted(value)}: write a list in square brackets"
    items = value.replace(",", " ").split()
    if not items or len(items) > len(Role) or not all(item.isidentifier() for item in items):
        return advice  # no names to quote back, or what is no name
    return f"{advice}, as {toml_value(items)}"


PartiesGiven = AbstractSet[Party | str] | Sequence[Party | str]
"""Parties as a `Protocol` takes them: a set, list or tuple of parties or their values."""
EvidenceGiven = AbstractSet[Evidence | str] | Sequence[Evidence | str]
"""Evidence as a `Protocol` takes it (as `PartiesGiven`)."""
RolesGiven = AbstractSet[Role | str] | Sequence[Role | str]
"""The roles of one trigger as a `Protocol` takes them (as `PartiesGiven`)."""

# The converters below are typed as what a `Protocol` is given: a type checker gives the
# constructor each converter's argument type (review TY, TY5). At run time they take anything,
# and leave what they cannot convert for the validators to name.


def to_parties(value: PartiesGiven) -> frozenset[Party]:
    """Parties given as a list of parties or their values, as a set (see `check_set_of`)."""
    parties: frozenset[Party] = _members(Party, value)
    return parties


def to_evidence(value: EvidenceGiven) -> frozenset[Evidence]:
    """Evidence given as a list, as a set (as `to_parties`)."""
    evidence: frozenset[Evidence] = _members(Evidence, value)
    return evidence


def check_set_of(enum_type: type[Any], *, needed: bool) -> Any:
    """The validator of a set of `enum_type`'s members, not empty when `needed`."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, frozenset) or not all(isinstance(v, enum_type) for v in value):
            choices = ", ".join(member.value for member in enum_type)
            raise fail_definition(
                instance,
                attribute,
                f"must be a list of {enum_type.__name__} values ({choices})"
                f"{_stranger(enum_type, value) or _text_for_list(value)}",
            )
        if needed and not value:
            raise fail_definition(instance, attribute, "must name at least one")

    return check


def to_weeks(value: tuple[int, int, int] | Sequence[int]) -> tuple[int, int, int]:
    """The review weeks given as a list, as a tuple (`check_increasing` checks them)."""
    # Three, or `check_increasing` says what is wrong.
    weeks: Any = tuple(value) if isinstance(value, list) else value
    return weeks  # type: ignore[no-any-return]


def check_increasing(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Three whole numbers of weeks, increasing from above 0."""
    if (
        not isinstance(value, tuple)
        or len(value) != 3
        or not all(isinstance(week, int) and not isinstance(week, bool) for week in value)
    ):
        raise fail_definition(
            instance,
            attribute,
            f"must be three whole numbers of weeks (two interim reviews and the final one), "
            f"not {quoted(value)}",
        )
    if not 0 < value[0] < value[1] < value[2]:
        raise fail_definition(
            instance, attribute, f"must increase from above 0, not {quoted(value)}"
        )


def to_roles(
    value: Mapping[str, RolesGiven] | Mapping[Trigger, RolesGiven],
) -> Mapping[str, frozenset[Role]]:
    """The roles given by trigger, as a read-only mapping of sets, sorted by trigger name."""
    if not isinstance(value, Mapping):
        return value
    converted: dict[Any, Any] = {}
    for trigger, roles in value.items():
        key = trigger.value if isinstance(trigger, Trigger) else trigger
        converted[key] = _members(Role, roles)
    if all(isinstance(key, str) for key in converted):
        converted = dict(sorted(converted.items()))
    # (Else as given: the validator names each key that is no trigger's name.)
    return types.MappingProxyType(converted)


RoleCheck = Callable[[Mapping[str, frozenset[Role]]], list[tuple[str, str]]]
_ROLE_CHECKS: list[RoleCheck] = []
"""Checks of well-formed roles against the steps (`roles.<trigger>`, problem), which the steps'
module adds when it is imported (it is above this one, and every case runs on it)."""


def add_role_check(check: RoleCheck) -> None:
    """Check every protocol built from now on with `check` too, once its roles are well formed."""
    _ROLE_CHECKS.append(check)


OPENING_CHECKS: list[RoleCheck] = []
"""Checks of a protocol's roles that keep a new case from opening under it, not a case opened
before from finishing (`Protocol.opening_problems`), which the steps' module adds."""


def add_opening_check(check: RoleCheck) -> None:
    """Check the roles of every protocol a new case would open under with `check` too."""
    OPENING_CHECKS.append(check)


def check_roles(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Every trigger mapped to a set of roles, and the steps' checks of them (`add_role_check`)."""
    if not isinstance(value, Mapping):
        raise fail_definition(
            instance, attribute, "must map each trigger to the roles that fire it"
        )
    triggers = {trigger.value for trigger in Trigger}
    problems = []
    for trigger, roles in value.items():
        if not isinstance(trigger, str) or trigger not in triggers:
            listed = ", ".join(sorted(triggers))
            # A trigger that is no text was given by code, not by a file.
            named = trigger if isinstance(trigger, str) else quoted_argument(trigger)
            hint = unknown_hint(trigger, sorted(triggers))
            then = " The" if hint.endswith("?") else "; the"  # after a question, a sentence
            problems.append(
                (f"roles.{named}", f"is not a trigger{hint}{then} triggers are {listed}")
            )
        elif not isinstance(roles, frozenset) or not all(isinstance(r, Role) for r in roles):
            choices = ", ".join(role.value for role in Role)
            stranger = _stranger(Role, roles) or _text_for_list(roles) or f", not {quoted(roles)}"
            problems.append((f"roles.{trigger}", f"must be a list of roles ({choices}){stranger}"))
        elif not roles:
            problems.append((f"roles.{trigger}", "no role may fire it"))
    problems += [
        (f"roles.{trigger}", "is missing: no role may fire it")
        for trigger in sorted(triggers - set(value))
    ]
    if not problems:
        problems = [found for check in _ROLE_CHECKS for found in check(value)]
    if problems:
        (field, problem), *more = problems
        raise fail_definition(instance, attribute, problem, field=field, more=more)


FIELD_UNDER_ROLES = (
    "is a protocol field, not a trigger: a key written below the [roles] header belongs to "
    "that table; write it above [roles]"
)
"""Said of a protocol field found among the roles (`edition = 3` appended to a file that ends
with its `[roles]` table), which would otherwise read as a trigger's name mistyped."""
