"""`Protocol`: what one authority's reintegration protocol sets, as versioned data.

Authorities publish their own reintegration and managed-move protocols and revise them; what
varies is bounded (deadlines, the review schedule, who attends, who may act, the evidence
required, the weighting), and a `Protocol` holds exactly that. The engine, the stages and the
triggers are the same for every protocol. `WORCESTERSHIRE` is the seed's protocol, read from
`worcestershire.toml` beside this module: the one place its numbers are written.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import sys
import types
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from importlib import resources
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.errors import (
    ALIKE,
    ALIKE_ADVICE,
    ChangedProtocol,
    FormInvalid,
    ProtocolDefinitionError,
    UnknownProtocol,
    UnpublishedProtocol,
    describe,
)
from reintegration_fsm.files import file_name, utf8_text
from reintegration_fsm.forms.pupil import KEY_STAGES
from reintegration_fsm.protocol.duties import (
    ADMISSIONS_CODE,
    JOINERS_RETURN_DAYS,
    PLACE_OFFER_SCHOOL_DAYS,
    REGULATIONS,
)
from reintegration_fsm.validation import fail_definition, reads
from reintegration_fsm.vocabulary import Evidence, Party, Role, Trigger, Word

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "EDITIONS",
    "KNOWN",
    "WORCESTERSHIRE",
    "WORCESTERSHIRE_1",
    "WORCESTERSHIRE_2",
    "Protocol",
    "edition_problem",
    "protocol_registry",
]

EDITIONS = (1, 2, 3)
"""Editions of the library's rules a protocol may run under: 1, the rules of the first contract
(no departures, no R17); 2, the rules of revision 2; 3, revision 2 with meetings dated in order,
named attendees, dated letters and outcomes, and a review met on the day it was held
(`EDITION_3_ADDS`). Only the last opens new cases. Cases recorded before protocols were data run
under edition 1 for life."""

EDITION_3_ADDS = (
    "a review is on time when held by its date, whenever it is recorded; a party attends a "
    "review only through a named representative; meetings, the failure letter and the outcome "
    "forms are dated in order; and a placement started with the host's information or the "
    "family's visit still owed, or ended with no measures documented, is a departure"
)
"""What edition 3 adds to edition 2, in a few plain words (a refusal of an edition-2 protocol
says it)."""

_SEED_FILE = "worcestershire.toml"
WHOLE_FILE = "(file)"
"""The field a problem of a protocol file as a whole is named for (text that is not TOML)."""
_NAME = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_DOTTED = rf"{_NAME}(?:\s*\.\s*{_NAME})*"
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=\s*")
"""A key at the start of a line (`open`, `roles.open`, `"open"`), and where its value starts."""
_INLINE_KEY = re.compile(rf"[{{,]\s*({_DOTTED})\s*=")
"""A key inside an inline table on the line (`roles = {{ open = [...], ... }}`)."""
_TABLE = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
"""A table's header (`[roles]`, `["roles"] # who may act`, an array's `[[roles]]`), and its name."""
_PART = re.compile(_NAME)


def _read_toml(text: str, where: str) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """The TOML's values, and where each key is, (line, column) (`roles.open` for a key of
    `[roles]`)."""
    if not isinstance(text, str):
        raise ProtocolDefinitionError(
            WHOLE_FILE, f"must be TOML text, not {type(text).__name__}", path=where
        )
    if len(text) > TEXT_MOST:
        raise ProtocolDefinitionError(
            WHOLE_FILE,
            f"{len(text):,} characters long, where no protocol is more than {TEXT_MOST:,}",
            path=where,
        )
    if text.count(".") > DOTS_MOST:
        raise ProtocolDefinitionError(
            WHOLE_FILE,
            f"more than {DOTS_MOST:,} dots, which no protocol holds (dotted keys of that many "
            "parts would take minutes and gigabytes to read)",
            path=where,
        )
    for number, line in enumerate(text.split("\n"), start=1):
        if line.count(".") > LINE_DOTS_MOST:
            raise ProtocolDefinitionError(
                WHOLE_FILE,
                f"more than {LINE_DOTS_MOST} dots on one line, which no protocol's line holds "
                "(a key of that many parts would take minutes to read)",
                path=where,
                line=number,
            )
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ProtocolDefinitionError(
            WHOLE_FILE, "not valid TOML: nested too deeply to read", path=where
        ) from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        where_line = int(found.group(1)) if found else None
        # A key given again ("Cannot overwrite a value"), or a table's header written again
        # ("Cannot declare ('roles',) twice": `[roles]` appended to a copy that has one).
        again = "Cannot overwrite a value" in str(error) or "Cannot declare" in str(error)
        twice = _given_twice(text, where_line) if again else None
        if twice is not None:
            key, first = twice
            advice = (
                f"write its keys under one [{key}] header"
                if "Cannot declare" in str(error)
                else "which was meant would be a guess; give it once"
            )
            raise ProtocolDefinitionError(
                key,
                f"is given twice (lines {first} and {where_line}): {advice}",
                path=where,
                line=where_line,
            ) from None
        raise ProtocolDefinitionError(
            WHOLE_FILE,
            f"not valid TOML: {error}{_pasted(text, str(error))}",
            path=where,
            line=where_line,
        ) from None
    except ValueError:  # Python's limit on a whole number's digits (4,300)
        raise ProtocolDefinitionError(
            WHOLE_FILE, f"a number too long to read (over {DIGITS_MOST:,} digits)", path=where
        ) from None
    return data, _key_lines(text)


_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
"""Where `tomllib` says it stopped reading."""


def _pasted(text: str, error: str) -> str:
    """`; column N holds “ (U+201C, left double quotation mark): ...` where `tomllib` stopped at
    a character that is not ASCII, outside a string: one a word processor pasted (curly
    quotes, a non-breaking space, an en dash) or a letter of another alphabet in a bare key,
    which the officer reads as the right one; "" otherwise."""
    found = _AT.search(error)
    if found is None:
        return ""
    line, column = int(found.group(1)), int(found.group(2))
    lines = text.split("\n")
    if not 0 < line <= len(lines) or not 0 < column <= len(lines[line - 1]):
        return ""
    character = lines[line - 1][column - 1]
    if character.isascii():
        return ""
    name = unicodedata.name(character, "a character").lower()
    kind = unicodedata.category(character)
    if kind in ("Pi", "Pf") or character in "\u201a\u201e\u2032\u2033":
        advice = "write text between straight quotes, \" or '"
    elif kind == "Zs":
        advice = "type the space again as a plain one"
    elif kind == "Cf":
        advice = "delete it: it prints nothing"
    elif kind == "Pd" or character == "\u2212":
        advice = "write a date or a number with a plain hyphen, -"
    else:
        advice = "a key outside quotes is written in a-z, 0-9, _ and - alone: type it again"
    # A space or a character nobody sees is named by its code point alone.
    shown = "" if kind in ("Zs", "Cf") or not character.isprintable() else f"{character} "
    return f"; column {column} holds {shown}(U+{ord(character):04X}, {name}): {advice}"


TEXT_MOST = 2**20
"""The most a protocol's text may hold (bytes in a file, characters given as text): the seed's
is 3 KB."""
LINE_DOTS_MOST = 100
DOTS_MOST = 10_000
"""The most dots a line, and a whole protocol's text, may hold (the seed's holds 20). A key of n
dotted parts costs `tomllib` n² (one of 20,000 parts, 40 KB, took 1.5 GB), and 5,000 table
headers of 100 parts each (1 MB) took 477 MB."""


def _given_twice(text: str, line: int | None) -> tuple[str, int] | None:
    """The key (or the table header) written on `line` (where `tomllib` found a value or a
    table given again) and the line it was first given on, when it was given on an earlier
    one; else None."""
    if line is None:
        return None
    keys = [(name, at) for name, at, _ in _key_places(text) if at[0] == line]
    if len(keys) != 1:
        return None
    name, _ = keys[0]
    first = _key_lines(text).get(name)
    return None if first is None or first[0] >= line else (name, first[0])


def _key_lines(text: str) -> dict[str, tuple[int, int]]:
    """Where each key is, (line, column), by its dotted name (`roles.open`), in a table,
    written dotted or in an inline table; a guide for messages, not a TOML parser (`tomllib`
    read the file)."""
    lines: dict[str, tuple[int, int]] = {}
    for name, place, _ in _key_places(text):
        _place(lines, name, place)
    return lines


def _key_places(text: str) -> list[tuple[str, tuple[int, int], bool]]:
    """Each table header and key in `text`, in order: its dotted name, where it is (line,
    column), and whether it is a key (a header is not). A key of an inline table is at the
    column it starts on."""
    found: list[tuple[str, tuple[int, int], bool]] = []
    table = ""
    quotes: str | None = None
    depth = 0
    # By "\n" alone, as TOML counts lines: str.splitlines() also splits at U+2028, U+0085
    # and others, which TOML allows in comments and strings.
    for number, line in enumerate(text.split("\n"), start=1):
        inside = quotes is not None or depth > 0
        quotes, depth = _open_after(line, quotes, depth)
        # A multi-line string's text (`source`'s) or an array's written over lines, where no
        # key or table is (`["iep"]` there is an item).
        if inside:
            continue
        header = _TABLE.match(line)
        if header is not None:
            table = _dotted("", header.group(1))
            found.append((table, (number, 0), False))
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        name = _dotted(table, key.group(1))
        found.append((name, (number, key.start(1)), True))
        value = line[key.end() :]
        if value.startswith("{"):
            for inner in _INLINE_KEY.finditer(value):
                inner_name = _dotted(name, inner.group(1))
                found.append((inner_name, (number, key.end() + inner.start(1)), True))
    return found


def _open_after(line: str, quotes: str | None, depth: int) -> tuple[str | None, int]:
    """The quotes of a multi-line string (three `"` or three `'`) still open at the end of
    `line`, and how many arrays and inline tables are, given those open at its start (None,
    0: none is open)."""
    at = 0
    while at < len(line):
        if quotes is not None:
            at = _closed(line, at, quotes)
            if at < 0:
                return quotes, depth
            quotes = None
        elif line.startswith(('"""', "'''"), at):
            quotes, at = line[at : at + 3], at + 3
        elif line[at] == "#":
            break
        elif line[at] in "\"'":
            at = _closed(line, at + 1, line[at])
            if at < 0:
                break  # not TOML: tomllib said so
        else:
            depth += (line[at] in "[{") - (line[at] in "]}")
            at += 1
    return quotes, depth


def _closed(line: str, at: int, quotes: str) -> int:
    """Where on `line`, from `at`, the string that `quotes` opened has closed (-1: it goes on
    past the line); in a basic string (`"`), a quote after a backslash closes none."""
    while at < len(line):
        if quotes[0] == '"' and line[at] == "\\":
            at += 2
        elif line.startswith(quotes, at):
            at += len(quotes)
            # A multi-line string may end in one or two quotes of its own (`'''it's''''`).
            while len(quotes) == 3 and line.startswith(quotes[0], at):
                at += 1
            return at
        else:
            at += 1
    return -1


def _place(lines: dict[str, tuple[int, int]], name: str, place: tuple[int, int]) -> None:
    """Where `name` is, and each table it is in, unless found before (`[extra.sub]` and
    `role.open = ...` are where the unknown `extra` and `role` are first written)."""
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        lines.setdefault(".".join(parts[:end]), place)


def _dotted(table: str, key: str) -> str:
    parts = [part.strip("\"'") for part in _PART.findall(key)]
    return ".".join([table, *parts] if table else parts)


_LAST = (sys.maxsize, 0)
"""Where a problem with no key in the file (a missing field) sorts: after every other."""


def _place_of(places: Mapping[str, tuple[int, int]], field: str) -> tuple[int, int] | None:
    """Where `field` is; else the line of the nearest key it is part of (`roles` for
    `roles.open`), after the keys found on that line."""
    if field in places:
        return places[field]
    while field := field.rpartition(".")[0]:
        if field in places:
            return places[field][0], sys.maxsize
    return None


def _seed_values() -> dict[str, Any]:
    text = (resources.files("reintegration_fsm.protocol") / _SEED_FILE).read_text("utf-8")
    data, _ = _read_toml(text, _SEED_FILE)
    return data


_SEED = _seed_values()


def _shown(value: Any) -> str:
    """`value` as a problem quotes it: its repr, cut short; a long whole number by its first
    digits and how many it has (Python writes out none over 4,300 digits)."""
    return describe(value, most=_SHOWN_MOST, cut="…")


_SHOWN_MOST = 80
"""The most characters of a value a problem quotes."""


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail_definition(
            instance, attribute, f"must be a whole number above 0, not {_shown(value)}"
        )


DIGITS_MOST = 4300
"""The most digits of a whole number a protocol file can hold: Python reads and writes out none
longer (`tomllib` refuses the file), so no fingerprint or TOML could be made of it."""
_TOO_LONG = 10**DIGITS_MOST


def _count(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
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
            f"number), not {_shown(value)}",
        )


DAYS_MOST = 3660
"""The most days a new case's final review may count: ten years (the place offer has the law's
20 school days, the joiners return its 5: `_MOST`). A count beyond it is no protocol's (a date
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
_MOST = (
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


def _years(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _positive(instance, attribute, value)
    if value > dt.MAXYEAR:
        raise fail_definition(
            instance,
            attribute,
            f"must be at most {dt.MAXYEAR} (no date is further off), not {_shown(value)}",
        )


def _not_negative(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise fail_definition(
            instance, attribute, f"must be a whole number, 0 or more, not {_shown(value)}"
        )
    _writable(instance, attribute, value)


def _label(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
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


def _prose(
    instance: Any,
    attribute: attrs.Attribute[Any],
    value: Any,
    *,
    single_line: bool = False,
    most: int = SOURCE_LENGTH,
) -> None:
    """Non-empty text of at most `most` characters (on one line with `single_line`)."""
    if not isinstance(value, str) or not value.strip():
        raise fail_definition(instance, attribute, f"must be non-empty text, not {_shown(value)}")
    problem = fields.text_problem(value, single_line=single_line, most=most)
    if problem is not None:
        raise fail_definition(instance, attribute, problem)


def _heading(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """What a protocol is called: prose on one line, as a heading prints it."""
    _prose(instance, attribute, value, single_line=True, most=TITLE_LENGTH)


def _a_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not fields.is_day(value):
        raise fail_definition(instance, attribute, f"must be a date, not {_shown(value)}")


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
            return f", not {_shown(item)}{_unclear(item)}"
    return ""


def _unclear(name: Any) -> str:
    """`: it holds ...` where `name`, a key or an item a file gives, holds a character nobody
    sees or letters drawn as another alphabet's (`fields.unclear`): it reads as the name it is
    not. "" otherwise."""
    why = fields.unclear(name) if isinstance(name, str) else None
    return "" if why is None else f": it {why}"


PartiesGiven = AbstractSet[Party | str] | Sequence[Party | str]
"""Parties as a `Protocol` takes them: a set, list or tuple of parties or their values."""
EvidenceGiven = AbstractSet[Evidence | str] | Sequence[Evidence | str]
"""Evidence as a `Protocol` takes it (as `PartiesGiven`)."""
RolesGiven = AbstractSet[Role | str] | Sequence[Role | str]
"""The roles of one trigger as a `Protocol` takes them (as `PartiesGiven`)."""

# The converters below are typed as what a `Protocol` is given: a type checker gives the
# constructor each converter's argument type (review TY, TY5). At run time they take anything,
# and leave what they cannot convert for the validators to name.


def _parties(value: PartiesGiven) -> frozenset[Party]:
    parties: frozenset[Party] = _members(Party, value)
    return parties


def _evidence(value: EvidenceGiven) -> frozenset[Evidence]:
    evidence: frozenset[Evidence] = _members(Evidence, value)
    return evidence


def _set_of(enum_type: type[Any], *, needed: bool) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, frozenset) or not all(isinstance(v, enum_type) for v in value):
            choices = ", ".join(member.value for member in enum_type)
            raise fail_definition(
                instance,
                attribute,
                f"must be a list of {enum_type.__name__} values ({choices})"
                f"{_stranger(enum_type, value)}",
            )
        if needed and not value:
            raise fail_definition(instance, attribute, "must name at least one")

    return check


def _weeks(value: tuple[int, int, int] | Sequence[int]) -> tuple[int, int, int]:
    weeks: Any = tuple(value) if isinstance(value, list) else value  # three, or `_increasing` says
    return weeks  # type: ignore[no-any-return]


def _increasing(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if (
        not isinstance(value, tuple)
        or len(value) != 3
        or not all(isinstance(week, int) and not isinstance(week, bool) for week in value)
    ):
        raise fail_definition(
            instance,
            attribute,
            f"must be three whole numbers of weeks (two interim reviews and the final one), "
            f"not {_shown(value)}",
        )
    if not 0 < value[0] < value[1] < value[2]:
        raise fail_definition(
            instance, attribute, f"must increase from above 0, not {_shown(value)}"
        )


def _roles(
    value: Mapping[str, RolesGiven] | Mapping[Trigger, RolesGiven],
) -> Mapping[str, frozenset[Role]]:
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


_OPENING_CHECKS: list[RoleCheck] = []
"""Checks of a protocol's roles that keep a new case from opening under it, not a case opened
before from finishing (`Protocol.opening_problems`), which the steps' module adds."""


def add_opening_check(check: RoleCheck) -> None:
    """Check the roles of every protocol a new case would open under with `check` too."""
    _OPENING_CHECKS.append(check)


def _check_roles(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Mapping):
        raise fail_definition(
            instance, attribute, "must map each trigger to the roles that fire it"
        )
    triggers = {trigger.value for trigger in Trigger}
    problems = []
    for trigger, roles in value.items():
        if not isinstance(trigger, str) or trigger not in triggers:
            listed = ", ".join(sorted(triggers))
            named = trigger if isinstance(trigger, str) else _shown(trigger)
            problems.append(
                (
                    f"roles.{named}",
                    f"is not a trigger{_unclear(trigger)}; the triggers are {listed}",
                )
            )
        elif not isinstance(roles, frozenset) or not all(isinstance(r, Role) for r in roles):
            choices = ", ".join(role.value for role in Role)
            stranger = _stranger(Role, roles) or f", not {_shown(roles)}"
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


_UNDER_ROLES = (
    "is a protocol field, not a trigger: a key written below the [roles] header belongs to "
    "that table; write it above [roles]"
)
"""Said of a protocol field found among the roles (`edition = 3` appended to a file that ends
with its `[roles]` table), which would otherwise read as a trigger's name mistyped."""


def _seed(name: str) -> Any:
    value = _SEED[name]
    if name == "roles":
        return _roles(value)
    return value


@attrs.frozen
class Protocol:
    """One authority's reintegration protocol, at one version: the numbers and parties it sets.

    Build one in code (`attrs.evolve(WORCESTERSHIRE, ...)`) or read one from TOML with
    `Protocol.from_file`; a field not given takes the seed's (Worcestershire's) value. A case
    runs under the protocol it was opened with for its whole life.

    Raises:
        ProtocolDefinitionError: a protocol that cannot be run; names the field.
    """

    id: str = attrs.field(validator=_label)
    version: str = attrs.field(validator=_label)
    title: str = attrs.field(validator=_heading)
    source: str = attrs.field(validator=_prose)
    effective_from: dt.date = attrs.field(validator=_a_day)
    place_offer_school_days: int = attrs.field(
        default=_seed("place_offer_school_days"), validator=_count
    )
    """R5: school days from the referral to the place offer."""
    review_weeks: tuple[int, int, int] = attrs.field(
        default=tuple(_seed("review_weeks")), converter=_weeks, validator=_increasing
    )
    """R7: weeks from the start to the first, second and final reviews, as proposed."""
    final_review_within_days: int = attrs.field(
        default=_seed("final_review_within_days"), validator=_count
    )
    """R7: the final review is at most this many days after the start."""
    joiners_return_days: int = attrs.field(default=_seed("joiners_return_days"), validator=_count)
    """Days from the start of the placement to the host's joiners return (a new case opens
    under at most the law's 5: `opening_problems`)."""
    weighting_points: int = attrs.field(default=_seed("weighting_points"), validator=_not_negative)
    """R13: points a permanent move adds to the host and takes from the AP setting."""
    roles: Mapping[str, frozenset[Role]] = attrs.field(
        default=_seed("roles"), converter=_roles, validator=_check_roles, hash=False
    )
    """Who may fire each trigger, by trigger name."""
    review_parties: frozenset[Party] = attrs.field(
        default=_seed("review_parties"),
        converter=_parties,
        validator=_set_of(Party, needed=True),
    )
    """R9: the parties every review must have among its attendees."""
    emergency_review_parties: frozenset[Party] = attrs.field(
        default=_seed("emergency_review_parties"),
        converter=_parties,
        validator=_set_of(Party, needed=True),
    )
    """R10: the parties every emergency review must have among its attendees."""
    required_evidence: frozenset[Evidence] = attrs.field(
        default=_seed("required_evidence"),
        converter=_evidence,
        validator=_set_of(Evidence, needed=False),
    )
    """R4: evidence every referral includes."""
    looked_after_evidence: frozenset[Evidence] = attrs.field(
        default=_seed("looked_after_evidence"),
        converter=_evidence,
        validator=_set_of(Evidence, needed=False),
    )
    """R4: evidence a referral of a looked-after child also includes."""
    key_stage_4_evidence: frozenset[Evidence] = attrs.field(
        default=_seed("key_stage_4_evidence"),
        converter=_evidence,
        validator=_set_of(Evidence, needed=False),
    )
    """R4: evidence a referral of a child in key stage 4 also includes."""
    retention_years: int = attrs.field(default=_seed("retention_years"), validator=_years)
    """Years after the pupil's date of birth that a case's personal data is kept (a new case
    opens under 18 or more: `opening_problems`)."""
    edition: int = attrs.field(default=_seed("edition"))
    """The edition of the library's rules the protocol runs under (`EDITIONS`)."""

    @final_review_within_days.validator
    @reads("review_weeks")
    def _after_the_final_review(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        final_days = self.review_weeks[-1] * 7
        if final_days > value:
            raise fail_definition(
                self,
                attribute,
                f"the final review at {_shown(self.review_weeks[-1])} weeks ({_shown(final_days)} "
                f"days) is past final_review_within_days ({_shown(value)})",
                field="review_weeks",
            )

    @edition.validator
    def _known_edition(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        # True equals 1 and 2.0 equals 2: neither is an edition (a bool or a float is no
        # number of the library's rules, and `to_toml` cannot write the float back).
        if not isinstance(value, int) or isinstance(value, bool) or value not in EDITIONS:
            raise fail_definition(
                self, attribute, f"must be one of {EDITIONS}, not {_shown(value)}"
            )

    def __reduce__(self) -> tuple[Any, ...]:
        # Its roles are a read-only mapping, which does not pickle: rebuilt from a dict (so a
        # protocol reaches the processes of `verify(workers=...)`).
        fields = {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}
        return (_rebuilt, (type(self), fields | {"roles": dict(self.roles)}))

    @property
    def key(self) -> tuple[str, str]:
        """`(id, version)`: how a history names the protocol."""
        return (self.id, self.version)

    @property
    def opens_cases(self) -> bool:
        """Whether a new case may open under the protocol: it runs under the current edition
        of the rules (under an earlier one, the cases recorded so only finish), and has no
        `opening_problems`."""
        return self.edition == EDITIONS[-1] and not self.opening_problems

    @functools.cached_property
    def opening_problems(self) -> tuple[tuple[str, str], ...]:
        """What keeps a new case from opening under the protocol, each `(field, problem)`, in
        field order: bounds an earlier version of the library did not set. A protocol it took
        still loads, and the cases opened under it replay and finish under its rules. Among
        them a name that is a shipped protocol's in other letters' case (`Worcestershire 3`,
        whatever its rules), whose cases would read as run under the shipped one (review T,
        T3; review D, D7), and any version the library does not ship of a shipped id, in any
        letters' case (`worcestershire 4`), which the library's own next version would strand
        (review AP, AP8). Two registered protocols named alike are `opening_refusal`'s."""
        found = []
        alike = _shipped_alike(self)
        if alike is not None:
            found.append(
                (
                    "id" if self.id != alike.id else "version",
                    f"{self.id} {self.version} differs from {alike.id} {alike.version}, a "
                    "protocol the library ships, only in letters' case, and its cases would "
                    "read as run under it; give yours an id of your own (as exampleshire)",
                )
            )
        elif self.key not in _KNOWN_KEYS and _read_aloud(self)[0] in _SHIPPED_IDS:
            # The library's next version of its own would strand the cases (review AP, AP8).
            found.append(
                (
                    "id",
                    f"{self.id} is the id of the protocol the library ships, whose versions are "
                    f"its own: a case opened under {self.id} {self.version} would read as run "
                    "under one of them, and stop replaying when the library ships a version "
                    "of that name; copy the file under your authority's own id (as "
                    "exampleshire) with a version of your own",
                )
            )
        if fields.prints_nothing(self.title):  # (blank, it was refused: "   " never loaded)
            held = fields.unseen(self.title) or fields.blank(self.title) or "spaces alone"
            found.append(
                (
                    "title",
                    f"must be non-empty text: it prints nothing, holding {held}; give the "
                    "protocol's name",
                )
            )
        found += [
            (name, f"must be at most {most}{why}, not {_shown(value)}")
            for name, most, why in _MOST
            if (value := getattr(self, name)) > most
        ]
        if self.retention_years < RETENTION_YEARS_LEAST:
            found.append(("retention_years", f"{RETENTION_TOO_SHORT}, not {self.retention_years}"))
        found += [problem for check in _OPENING_CHECKS for problem in check(self.roles)]
        return tuple(found)

    @property
    def built_in(self) -> bool:
        """Whether the protocol is named as one of the library's own (`KNOWN`), which a
        registry holds under no other: named without a fingerprint."""
        return self.key in _KNOWN_KEYS

    @functools.cached_property  # read on every load of a case under the protocol
    def fingerprint(self) -> str:
        """A digest of the rules the protocol sets (every field but its `id`, `version`,
        `title` and `source`): what a case opened under an authority's protocol records beside
        its name, so that a file changed under the same id and version is told apart."""
        return _fingerprint(self)

    def roles_for(self, trigger: str) -> frozenset[Role]:
        """The roles that may fire `trigger` (a trigger's name, or a `Trigger`) under this
        protocol.

        Raises:
            FormInvalid: `trigger` is no trigger's name; lists the triggers.
        """
        if not isinstance(trigger, str) or trigger not in self.roles:
            raise FormInvalid("roles_for", "trigger", Trigger.refusal(trigger))
        return self.roles[trigger]

    def evidence_for(self, *, looked_after: bool, key_stage: int) -> tuple[Evidence, ...]:
        """R4: the evidence a referral of this child includes, in the `Evidence` order.

        Raises:
            FormInvalid: `looked_after` is not True or False, or `key_stage` is not a key
                stage (a whole number from 0 to 5, as a `Pupil`'s): text read from a file
                would otherwise ask for the wrong evidence without a word.
        """
        if not isinstance(looked_after, bool):
            raise FormInvalid(
                "evidence_for", "looked_after", f"must be True or False, not {_shown(looked_after)}"
            )
        if (
            not isinstance(key_stage, int)
            or isinstance(key_stage, bool)
            or key_stage not in KEY_STAGES
        ):
            raise FormInvalid(
                "evidence_for",
                "key_stage",
                f"must be a key stage, a whole number from {KEY_STAGES[0]} to {KEY_STAGES[-1]}, "
                f"not {_shown(key_stage)}",
            )
        needed = set(self.required_evidence)
        if looked_after:
            needed |= self.looked_after_evidence
        if key_stage == 4:
            needed |= self.key_stage_4_evidence
        return tuple(evidence for evidence in Evidence if evidence in needed)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Protocol:
        """Read a protocol from a TOML file whose keys are the field names.

        Raises:
            ProtocolDefinitionError: not UTF-8 text, not valid TOML, an unknown key, or a value
                the protocol cannot run with; names the field and the line.
            FormInvalid: `path` is not a path.
            OSError: the file cannot be read.
        """
        where = file_name(path, "from_file", "path", "must be a path to a TOML protocol file")
        return cls.from_toml(protocol_text(where), where)

    @classmethod
    def from_toml(cls, text: str, where: str = "<protocol>") -> Protocol:
        """Read a protocol from TOML text (as `from_file` does); `where` names it in errors.

        Raises:
            ProtocolDefinitionError: as `from_file`.
            FormInvalid: `where` is not text.
        """
        if not isinstance(where, str):
            raise FormInvalid("from_toml", "where", f"must be text, not {_shown(where)}")
        data, places = _read_toml(text, where)
        known = {field.name for field in attrs.fields(cls)}
        problems = [
            (key, f"is not a protocol field{_unclear(key)}") for key in data if key not in known
        ]
        values = {key: value for key, value in data.items() if key in known}
        roles = data.get("roles")
        if isinstance(roles, dict):
            # A list of other things than names is reported here, and read as the seed's.
            named = {}
            for key, value in roles.items():
                if key in known:  # appended to a file that ends with its [roles] table
                    problems.append((f"roles.{key}", _UNDER_ROLES))
                elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
                    problems.append((f"roles.{key}", "must be a list of role names"))
                else:
                    named[key] = value
            values["roles"] = {**_SEED["roles"], **named}
        # A required field the file lacks is named, and the seed's value stands in for it, so
        # that the fields the file gives are checked too.
        for field in attrs.fields(cls):
            if field.default is attrs.NOTHING and field.name not in values:
                problems.append((field.name, "is missing"))
                values[field.name] = _SEED[field.name]
        try:
            protocol = cls(**values)
        except ProtocolDefinitionError as error:  # every field is given: no TypeError
            problems += [(field, problem) for field, problem, _ in error.problems]
        if not problems:
            return protocol
        # Every problem, in the file's order (a missing key, which has no line, last); a key
        # inside an inline table or a multi-line value at the line it starts on.
        at = {field: place for field, _ in problems if (place := _place_of(places, field))}
        problems.sort(key=lambda found: at.get(found[0], _LAST))
        (field, problem), *rest = problems
        found = ProtocolDefinitionError(field, problem, also=[(f, p, None) for f, p in rest])
        raise found.located(where, {field: line for field, (line, _) in at.items()}) from None

    def to_toml(self) -> str:
        """The protocol as a TOML file `from_file` reads back."""

        def value(item: Any) -> str:
            if isinstance(item, str):
                escaped = item.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                return '"' + escaped + '"'
            if isinstance(item, bool):
                return "true" if item else "false"
            if isinstance(item, (int, dt.date)):
                return str(item) if isinstance(item, int) else item.isoformat()
            if isinstance(item, (tuple, list)):
                return "[" + ", ".join(value(v) for v in item) + "]"
            if isinstance(item, frozenset):
                ordered = [v for v in type(next(iter(item))) if v in item] if item else []
                return "[" + ", ".join(value(v.value) for v in ordered) + "]"
            raise TypeError(item)

        lines = []
        for field in attrs.fields(type(self)):
            if field.name == "roles":
                continue
            lines.append(f"{field.name} = {value(getattr(self, field.name))}")
        lines += ["", "[roles]"]
        for trigger in Trigger:
            lines.append(f"{trigger.value} = {value(self.roles[trigger.value])}")
        return "\n".join(lines) + "\n"


WORCESTERSHIRE = Protocol(**_SEED)
"""The seed's protocol: the Reintegration Protocol for Worcestershire Schools, under edition 3 of
the rules. The default wherever no protocol is given."""

WORCESTERSHIRE_2 = attrs.evolve(WORCESTERSHIRE, version="2", edition=2)
"""The same protocol under edition 2 of the rules: the cases recorded under it replay and
finish under those rules; no new case opens under it."""

WORCESTERSHIRE_1 = attrs.evolve(
    WORCESTERSHIRE,
    version="1",
    effective_from=dt.date(2006, 9, 1),
    edition=1,
    roles={
        **WORCESTERSHIRE.roles,
        Trigger.CALL_EMERGENCY_REVIEW.value: frozenset({Role.HOST_HEAD}),
        Trigger.HOLD_EMERGENCY_REVIEW.value: frozenset({Role.HOST_HEAD}),
    },
)
"""The same protocol as the first contract read it (edition 1): the rules every case recorded
before protocols were data runs under for life."""


def edition_problem(protocol: Protocol) -> str | None:
    """Why no new case opens under the edition of the rules `protocol` runs under, as a
    sentence's end ("runs under edition 2 of the rules, ..."); None under the current one."""
    current = EDITIONS[-1]
    if protocol.edition == current:
        return None
    if protocol.edition == 1:
        return (
            "runs under edition 1 of the rules, under which only cases recorded before protocols "
            f"were data finish; open a new case under a protocol of edition {current}"
        )
    return (
        f"runs under edition {protocol.edition} of the rules, under which the cases recorded "
        "replay and finish but no new case opens; publish a new version of the protocol with "
        f"edition = {current} (edition {current} adds: {EDITION_3_ADDS})"
    )


KNOWN: tuple[Protocol, ...] = (WORCESTERSHIRE, WORCESTERSHIRE_2, WORCESTERSHIRE_1)
"""The protocols every replay and store knows without being told."""
_KNOWN_KEYS = frozenset(protocol.key for protocol in KNOWN)


def read_aloud(key: tuple[str, str]) -> tuple[str, str]:
    """A protocol's `(id, version)` as an officer reads them, in no letters' case: two names
    equal so are one name to whoever reads a history, a report or a letter (a name in another
    alphabet drawn alike, or not composed, is refused by `id` and `version` themselves)."""
    return (key[0].casefold(), key[1].casefold())


def _read_aloud(protocol: Protocol) -> tuple[str, str]:
    """`protocol`'s id and version as an officer reads them (`read_aloud`)."""
    return read_aloud(protocol.key)


_KNOWN_READ = {_read_aloud(p): p for p in KNOWN}
"""The library's own protocols by their names as read aloud: `Worcestershire 3` is named as
the seed's protocol by any officer, in any history or report."""
_SHIPPED_IDS = frozenset(_read_aloud(p)[0] for p in KNOWN)
"""The shipped protocols' ids as read aloud: the library's, for every version (review AP,
AP8)."""


def shipped_id(protocol: Protocol) -> bool:
    """Whether `protocol`'s id is the shipped protocols' as read aloud: every version of it is
    the library's (review AP, AP8), so a protocol so named is given an id of its own, never
    another version (review RX, RX3)."""
    return _read_aloud(protocol)[0] in _SHIPPED_IDS


OWN_ID_EXAMPLE = "as exampleshire"
"""How the advice to a protocol named as the shipped one names an id of an authority's own."""


def _shipped_alike(protocol: Protocol) -> Protocol | None:
    """The shipped protocol (`KNOWN`) whose id and version `protocol`'s equal in other letters'
    case, not as written; None when there is none (its own name is a shipped one's, or no
    shipped one's at all)."""
    alike = _KNOWN_READ.get(_read_aloud(protocol))
    return None if alike is None or alike.key == protocol.key else alike


def registered_alike(
    protocol: Protocol,
    registered: Iterable[Protocol],
    files: Mapping[tuple[str, str], str],
) -> tuple[str, str] | None:
    """`(field, problem)` when another of the `registered` protocols is named as `protocol`
    is when read aloud (`_read_aloud`), not as written: one name for two protocols, under
    neither of which a new case opens (review AP, AP3); each named with its file, given in
    `files`. None otherwise."""
    alike = [
        p for p in registered if p.key != protocol.key and _read_aloud(p) == _read_aloud(protocol)
    ]
    if not alike:
        return None

    def name(found: Protocol) -> str:
        where = files.get(found.key)
        return f"{found.id} {found.version}" + ("" if where is None else f" ({where})")

    others = " and ".join(dict.fromkeys(name(p) for p in alike))
    return (
        "id" if alike[0].id != protocol.id else "version",
        f"{name(protocol)} and {others}, both registered, {ALIKE}; {ALIKE_ADVICE}",
    )


def protocol_text(where: str) -> str:
    """The text of the protocol file `where`, read as `Protocol.from_file` reads it.

    Raises:
        ProtocolDefinitionError: not UTF-8 text, or longer than any protocol's.
        OSError: the file cannot be read.
    """
    return utf8_text(
        where,
        lambda problem, line: ProtocolDefinitionError(WHOLE_FILE, problem, path=where, line=line),
        most=TEXT_MOST,
        kind="protocol",
    )


def opening_refusal(
    protocol: Protocol,
    text: str | None = None,
    where: str | None = None,
    *,
    registered: Iterable[Protocol] = (),
    files: Mapping[tuple[str, str], str] | None = None,
) -> ProtocolDefinitionError | None:
    """Why no new case may open under `protocol` (`Protocol.opening_problems`, and another of
    the `registered` protocols named as it is when read aloud: `_read_aloud`), as an error
    naming each field, and, given the file's `text` and name (`where`), its line; None when
    one may. `files`: the registered protocols' files by `(id, version)`, named beside them."""
    problems = list(protocol.opening_problems)
    alike = registered_alike(protocol, registered, files or {})
    if alike is not None:
        problems.insert(0, alike)
    if not problems:
        return None
    (field, problem), *rest = problems
    found = ProtocolDefinitionError(field, problem, also=[(f, p, None) for f, p in rest])
    if text is None or where is None:
        return found
    return located_in(found, text, where)


def located_in(error: ProtocolDefinitionError, text: str, where: str) -> ProtocolDefinitionError:
    """`error` as met reading the protocol file `where`, whose text is `text`: each problem at
    its key's line, where the file has the key."""
    places = _key_lines(text)
    at = {name: place[0] for name, _, _ in error.problems if (place := _place_of(places, name))}
    return error.located(where, at)


def protocol_registry(protocols: Iterable[Protocol]) -> Mapping[tuple[str, str], Protocol]:
    """`(id, version)` -> protocol, for the given protocols and the built-in ones.

    Raises:
        ProtocolDefinitionError: two different protocols share an `(id, version)`, or an item
            is not a `Protocol`.
    """
    if isinstance(protocols, str | bytes) or not isinstance(protocols, Iterable):
        raise ProtocolDefinitionError(
            "protocols", f"must be a collection of Protocols, not {type(protocols).__name__}"
        )
    found: dict[tuple[str, str], Protocol] = {p.key: p for p in KNOWN}
    for protocol in protocols:
        if not isinstance(protocol, Protocol):
            raise ProtocolDefinitionError("protocols", f"{protocol!r} is not a Protocol")
        already = found.get(protocol.key)
        if already is not None and already != protocol and already not in KNOWN:
            raise ProtocolDefinitionError(
                "protocols", f"two different protocols are both {protocol.id} {protocol.version}"
            )
        if already is not None and already in KNOWN and already != protocol:
            raise ProtocolDefinitionError(
                "protocols",
                f"{protocol.id} {protocol.version} is a protocol the library ships; give yours "
                f"an id of your own ({OWN_ID_EXAMPLE})",
            )
        found[protocol.key] = protocol
    return types.MappingProxyType(found)


FINGERPRINT = "fingerprint"
"""The key of an `open`'s record of its protocol that holds the rules' fingerprint (an
authority's protocol: the library's own are named by their id and version alone)."""
_NAMES = frozenset({"id", "version", "title", "source"})
"""A protocol's fields that name or describe it, which its fingerprint leaves out."""
_FINGERPRINTED = (
    "effective_from",
    "place_offer_school_days",
    "review_weeks",
    "final_review_within_days",
    "joiners_return_days",
    "weighting_points",
    "roles",
    "review_parties",
    "emergency_review_parties",
    "required_evidence",
    "looked_after_evidence",
    "key_stage_4_evidence",
    "retention_years",
    "edition",
)
"""The fields every fingerprint covers. A field added in a later version counts only where it
differs from its default, so that a protocol's fingerprint holds across versions."""


def _plain(value: Any) -> Any:
    """A field's value as JSON, in one order: sets and role lists sorted, words as their text."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(item) for item in value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Word):
        return value.value
    return value


def _default(field: attrs.Attribute[Any]) -> Any:
    """What a field holds when it is not given: its default (or its factory's), converted
    (`attrs.NOTHING` when that needs the instance)."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = attrs.NOTHING if default.takes_self else default.factory()
    converter: Any = field.converter
    if isinstance(converter, attrs.Converter):
        plain = not (converter.takes_self or converter.takes_field)  # type: ignore[attr-defined]
        converter = converter.converter if plain else None  # type: ignore[attr-defined]
        default = default if plain else attrs.NOTHING
    if converter is not None and default is not attrs.NOTHING:
        default = converter(default)
    return default


def _fingerprint(protocol: Protocol) -> str:
    values = {
        field.name: _plain(getattr(protocol, field.name))
        for field in attrs.fields(type(protocol))
        if field.name not in _NAMES
        and (field.name in _FINGERPRINTED or getattr(protocol, field.name) != _default(field))
    }
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differing_rules(one: Protocol, other: Protocol) -> tuple[str, ...]:
    """The fields in which two protocols set other rules (every field but those naming them),
    in field order: why their fingerprints differ."""
    return tuple(
        field.name
        for field in attrs.fields(Protocol)
        if field.name not in _NAMES and getattr(one, field.name) != getattr(other, field.name)
    )


def find_protocol(
    registry: Mapping[tuple[str, str], Protocol],
    protocol_id: str,
    version: str,
    fingerprint: object = None,
) -> Protocol:
    """The protocol a history names (`fingerprint`: what its `open` recorded of its rules, from
    this version on, for an authority's protocol).

    Raises:
        UnknownProtocol: the registry does not hold it.
        ChangedProtocol: it holds a protocol of that name whose rules are not the ones the
            history recorded.
        UnpublishedProtocol: it is one of the library's own, whose rules are not those it
            was published with (`check_shipped`).
    """
    found = registry.get((protocol_id, version))
    if found is None:
        raise UnknownProtocol(protocol_id, version, sorted(registry))
    refuse_unpublished(found)
    # The library's own are named without one (what replay then says of one recorded).
    if fingerprint is not None and not found.built_in and fingerprint != found.fingerprint:
        earlier = _under_earlier_edition(found, fingerprint)
        if earlier is None:
            raise ChangedProtocol(protocol_id, version)
        return earlier
    return found


def under_earlier_edition(registered: Protocol, recorded: Protocol) -> bool:
    """Whether `recorded`, a case's protocol, is `registered` under an earlier edition of the
    rules and otherwise the same (as `find_protocol` reads a case recorded so)."""
    return _under_earlier_edition(registered, recorded.fingerprint) is not None


def in_some_edition(protocol: Protocol, fingerprint: object) -> bool:
    """Whether `fingerprint` is `protocol`'s rules under its own edition or another one, the
    rest the same: the same file, read by a library whose current edition was another (a
    store's first case under it recorded so)."""
    others = [edition for edition in EDITIONS if edition != protocol.edition]
    if fingerprint == protocol.fingerprint:
        return True
    return _as_edition(protocol, fingerprint, others) is not None


def _under_earlier_edition(protocol: Protocol, fingerprint: object) -> Protocol | None:
    """`protocol` under the earlier edition of the rules whose fingerprint a history recorded,
    if it differs from it only so; else None. A file without an `edition` line, or a protocol
    built in code from `WORCESTERSHIRE`, takes the current edition: the same file or line of
    code gave the edition before when its older cases were recorded, and they finish under it."""
    earlier = [edition for edition in reversed(EDITIONS) if edition < protocol.edition]
    return _as_edition(protocol, fingerprint, earlier)


def _as_edition(protocol: Protocol, fingerprint: object, editions: list[int]) -> Protocol | None:
    """`protocol` under the first of `editions` whose rules have `fingerprint`, or None."""
    for edition in editions:
        try:
            other = attrs.evolve(protocol, edition=edition)
        except ProtocolDefinitionError:  # (a bound one edition has and the other lacks)
            continue
        if other.fingerprint == fingerprint:
            return other
    return None


def _rebuilt(kind: type[Protocol], fields: dict[str, Any]) -> Protocol:
    """A pickled protocol, made again (checked again)."""
    return kind(**fields)


SHIPPED_RULES: Mapping[tuple[str, str], str] = types.MappingProxyType(
    {
        ("worcestershire", "3"): "23163847694a3518fa77a42b03a86fb34e64d1af7994545f5eefc9cb02257a1e",
        ("worcestershire", "2"): "13581be52b7000e59c90627c64ff2586be90565a0a3f76df1da49bdba672d6ea",
        ("worcestershire", "1"): "c1254cd904730ba93c6ab5bb81dc269fec00566f903ecc48df57546a3cd7e8ed",
    }
)
"""The fingerprint of the rules each of the library's own protocols was published with. Their
cases record no fingerprint (`built_in`), so these hold them still: `worcestershire.toml`
edited in place, or changed for a new version while the earlier ones (derived from it) kept
their names, would replay every stored case under rules it was not recorded under (review MA,
MA2). A new version of the seed's protocol is a new entry here; an entry never changes."""


def check_shipped(known: Iterable[Protocol]) -> None:
    """Refuse library protocols whose rules are not those they were published with.

    Raises:
        UnpublishedProtocol: a protocol of `known` is not in `SHIPPED_RULES` under its id
            and version, or sets other rules than it says; names it (field `id`).
    """
    for protocol in known:
        if SHIPPED_RULES.get(protocol.key) == protocol.fingerprint:
            continue
        raise UnpublishedProtocol(
            "id",
            f"the library's protocol {protocol.id} {protocol.version} sets other rules than it "
            f"was published with (fingerprint {protocol.fingerprint[:12]}, published "
            f"{SHIPPED_RULES.get(protocol.key, 'never')[:12]}): its cases, which name it by id "
            f"and version alone, would replay under them. {_SEED_FILE} was changed in place: "
            "reinstall the library, and publish a change to the seed's protocol as a new version",
            path=_SEED_FILE,
        )


def _unpublished(known: Iterable[Protocol]) -> UnpublishedProtocol | None:
    """What `check_shipped` raises of `known`, or None."""
    try:
        check_shipped(known)
    except UnpublishedProtocol as error:
        return error
    return None


def refuse_unpublished(protocol: Protocol) -> None:
    """Refuse `protocol` when it is one of the library's own and the library's seed file was
    changed in place (`check_shipped`): a case opened under it would record rules it was not
    published with under its name, and one replayed under it would run under them (review RG,
    RG3: `open` and `demo` wrote such cases, which a reinstalled library replayed under other
    rules without a word).

    Raises:
        UnpublishedProtocol: saying which file was changed.
    """
    if _UNPUBLISHED is not None and protocol.built_in:
        raise UnpublishedProtocol(_UNPUBLISHED.field, _UNPUBLISHED.problem, path=_UNPUBLISHED.path)


_UNPUBLISHED = _unpublished(KNOWN)
"""Why the library's own protocols cannot be trusted (its seed file edited in place), found
once when the library is imported; raised when a case opens or replays under one
(`refuse_unpublished`), so that the command line says it as it says any refusal, and importing
still works."""
