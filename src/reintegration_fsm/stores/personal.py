"""Which values of a transition's data are personal data a redaction may remove, and what a
loaded case shows in their place.

The answer comes from the steps' declarations: a path names an argument of the trigger and then
fields of its forms, so each value has a declared type. A redaction may remove text (names,
addresses, free text about the child and the family) and a date of birth; never what the
protocol's rules, its statistics or the Fair Access ledger read (stages, other dates, deadlines,
obligations, departures, choices, counts, the schools and the authority).

A loaded case needs every form to build, so a redacted value is shown as a placeholder the form
accepts: text becomes "(redacted on 2027-01-05: reason)", a date of birth `REDACTED_DATE`
(0001-01-01), and text a form cannot hold as such (a UPN, which must pass its check letter)
becomes null where the form allows none.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.fields import NAME_LENGTH, holds_address, prints_nothing
from reintegration_fsm.forms import Pupil
from reintegration_fsm.forms.letter import REMOVED_DAY
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.digests import ACTOR_FIELDS, is_marker

REDACTED_DATE = REMOVED_DAY
"""The date a loaded case shows for a redacted date of birth (0001-01-01; the forms print it
"(removed)", the CLI's renderings the redaction's note)."""
REASON_LENGTH = 160
"""The longest reason a redaction may give: its placeholder must fit a name's column."""
assert len(f"(redacted on 9999-12-31: {'x' * REASON_LENGTH})") <= NAME_LENGTH

PROTECTED = frozenset(
    {"case_id", "local_authority", "ap_setting", "host_school", "preferred_schools"}
)
"""Fields that hold text but are no personal data: the case, the authority and the schools,
which the ledger, the listings and R5 (the family's preferences against the host) read."""
PERSONAL_DATES = frozenset({"date_of_birth", "child_dob"})
"""The only dates that are personal data; every other date is a fact the rules read."""
PERSON_NAMES = frozenset(
    {
        "name",
        "child_name",
        "parent_name",
        "second_parent_name",
        "signed_by",
        "completed_by",
        "head_teacher",
        "home_head_teacher",
        "ap_representative",
    }
)
"""The fields that hold a person's name (the child's, a parent's, an attendee's, a signatory's):
a redaction removing one removes every other copy of that name in the case (`erasure`)."""
ACTOR = "actor"
"""A path's first segment naming the entry's actor (`actor.name`, `actor.id`), not its data."""

Segment = str | int
Path = tuple[Segment, ...]


def dotted(path: Path) -> str:
    """A path as people write it: `form.parent_name`, `meeting.attendees.0.name`."""
    return ".".join(str(segment) for segment in path)


def concrete(text: str) -> Path:
    """A dotted path of a value as a path: its numbers are items of a list (no key of a
    transition's data is a number)."""
    return tuple(int(part) if part.isdigit() else part for part in text.split("."))


def parse(text: str) -> tuple[str, ...]:
    """A path pattern's segments (`*` stands for every key or item).

    Raises:
        FormInvalid: the pattern is empty or has an empty segment.
    """
    segments = tuple(text.split("."))
    if not text or any(not segment.strip() for segment in segments):
        raise FormInvalid("redact", "paths", f"{text!r} is not a path like form.parent_name")
    return segments


# -- declared types ----------------------------------------------------------------------------
@attrs.frozen
class Leaf:
    """What the steps declare about one value: its type, and the attrs field that holds it."""

    type: Any
    optional: bool
    field: attrs.Attribute[Any] | None
    """The attrs field holding the value (None for a trigger's own argument)."""
    item: bool
    """True when the value is an item of that field's tuple."""
    names: tuple[str, ...]
    """The field names along the path (for the protected and personal names)."""


def _optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(members) == 1:
            return members[0], len(members) < len(typing.get_args(hint))
    return hint, False


@functools.cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def declared(trigger: str, path: Path) -> Leaf | None:
    """What the steps declare about the value at `path` of a `trigger` transition's data;
    None where they declare nothing (a key the trigger records itself, such as `deadlines`)."""
    step = STEP.get(trigger)
    if step is None or not path:
        return None
    argument = next((a for a in step.arguments if a.name == path[0]), None)
    if argument is None:
        return None
    hint, optional = _optional(argument.type)
    optional = optional or argument.optional
    field: attrs.Attribute[Any] | None = None
    item = False
    names = [argument.name]
    for segment in path[1:]:
        if isinstance(segment, str) and attrs.has(hint):
            found = attrs.fields_dict(hint).get(segment)
            if found is None:
                return None
            field, item = found, False
            hint, optional = _optional(_hints(hint)[segment])
            names.append(segment)
        elif isinstance(segment, int) and typing.get_origin(hint) in (tuple, frozenset, list):
            hint, optional = _optional(typing.get_args(hint)[0])
            item = True
        else:
            return None
    return Leaf(hint, optional, field, item, tuple(names))


def personal(leaf: Leaf | None) -> bool:
    """True when a value of this declaration is personal data a redaction may remove."""
    if leaf is None or PROTECTED.intersection(leaf.names):
        return False
    if leaf.type is str:
        return True
    return leaf.type is dt.date and leaf.names[-1] in PERSONAL_DATES


def person_name(leaf: Leaf | None) -> bool:
    """True when a value of this declaration is a person's name a redaction may remove."""
    if leaf is None or leaf.type is not str:
        return False
    return personal(leaf) and leaf.names[-1] in PERSON_NAMES


def address(leaf: Leaf | None) -> bool:
    """True when a value of this declaration is an address a redaction may remove: a form's
    field marked `fields.ADDRESS` (`pupil.address`, a consent form's `child_address`)."""
    return personal(leaf) and leaf is not None and not leaf.item and holds_address(leaf.field)


def note_text(on: dt.date, reason: str) -> str:
    """What a loaded case and every rendering show for a redacted value."""
    return f"(redacted on {on.isoformat()}: {reason})"


_NOTE_TEXT = re.compile(r"\(redacted on \d{4}-\d{2}-\d{2}: .*\)", re.DOTALL)


def is_note_text(value: str) -> bool:
    """True when `value` reads as `note_text` writes a redacted value: text an import took
    in as a value where a redaction had removed one."""
    return _NOTE_TEXT.fullmatch(value) is not None


def identity_placeholder(pupil: Pupil) -> bool:
    """True when the child's name or date of birth is what a redaction leaves in its place:
    removed in the store the case came from, whatever records came with it."""
    return pupil.date_of_birth == REMOVED_DAY or is_note_text(pupil.name)


def holds_placeholder(history: Iterable[Transition]) -> bool:
    """True when a value of `history` a redaction may remove (in an entry's data, or its
    actor's id or name) is what a redaction leaves in its place: removed in the store it came
    from, whatever records came with it.

    Only such values count: a case id, a school or a date the rules read may read
    "0001-01-01", and text typed "0001-01-01" is text, not a removed date of birth.
    """
    for transition in history:
        actor = transition.actor
        if is_note_text(actor.id) or is_note_text(actor.name):
            return True
        for path, value in leaves(transition.data, ()):
            if isinstance(value, str) and _placeholder_at(transition.trigger, path, value):
                return True
    return False


def _placeholder_at(trigger: str, path: Path, value: str) -> bool:
    """True when `value`, at `path` of a `trigger` transition's data, is a placeholder: a
    personal date holding `REDACTED_DATE`, personal text holding a redaction's note."""
    leaf = declared(trigger, path)
    if leaf is None or not personal(leaf):
        return False
    if leaf.type is dt.date:
        return value == REDACTED_DATE.isoformat()
    return is_note_text(value)


def placeholder(leaf: Leaf | None, text: str) -> Any:
    """The JSON value a loaded case holds for a redacted value declared `leaf`.

    Text the form cannot hold as a placeholder (its validator refuses it) is null where the
    form allows null; otherwise (an undeclared value) the placeholder text.
    """
    if leaf is None:
        return text
    if leaf.type is dt.date:
        return REDACTED_DATE.isoformat()
    if leaf.field is None or not _refused(leaf, text):
        return text
    return None if leaf.optional and not leaf.item else text


def accepts_placeholder(leaf: Leaf, text: str) -> bool:
    """True when the form can hold this leaf's placeholder (so a redacted case still loads)."""
    if leaf.type is dt.date:
        return True
    value = placeholder(leaf, text)
    return value is None or not _refused(leaf, value)


def _refused(leaf: Leaf, value: Any) -> bool:
    field = leaf.field
    if field is None or field.validator is None:
        return False
    try:
        field.validator(None, field, (value,) if leaf.item else value)
    except (FormInvalid, TypeError, ValueError):
        return True
    return False


# -- finding values in data --------------------------------------------------------------------
def expand(data: Any, pattern: Sequence[str]) -> Iterator[Path]:
    """Every concrete path of `data` that `pattern` names (`*` naming every key or item)."""
    stack: list[tuple[Any, Path, int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth == len(pattern):
            yield path
            continue
        segment = pattern[depth]
        if isinstance(value, Mapping) and not is_marker(value):
            keys: list[Segment] = list(value) if segment == "*" else [segment]
            for key in reversed(keys):
                if key in value:
                    stack.append((value[key], (*path, key), depth + 1))
        elif isinstance(value, list):
            if segment == "*":
                indices = range(len(value))
            elif segment.isdigit() and int(segment) < len(value):
                indices = range(int(segment), int(segment) + 1)
            else:
                continue
            for index in reversed(indices):
                stack.append((value[index], (*path, index), depth + 1))


def leaves(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    """Every leaf under `path` (itself, when it is one), markers counting as leaves."""
    stack: list[tuple[Any, Path]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, Mapping) and not is_marker(item):
            stack.extend((inner, (*where, key)) for key, inner in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend(
                (inner, (*where, index)) for index, inner in reversed(list(enumerate(item)))
            )
        else:
            yield where, item


def get(data: Any, path: Path) -> Any:
    """The value at a concrete path of `data`."""
    for segment in path:
        data = data[segment]
    return data


def put(data: Any, path: Path, value: Any) -> None:
    """Set the value at a concrete path of mutable `data`."""
    for segment in path[:-1]:
        data = data[segment]
    data[path[-1]] = value


def actor_paths(pattern: Sequence[str]) -> list[str]:
    """The actor fields an `actor.*` pattern names."""
    if len(pattern) != 2 or pattern[0] != ACTOR:
        return []
    return list(ACTOR_FIELDS) if pattern[1] == "*" else [f for f in ACTOR_FIELDS if f == pattern[1]]


def personal_paths(trigger: str, data: Any) -> list[Path]:
    """Every value of `data` that is personal data and still there (not empty, not redacted):
    what a retention run removes from one transition."""
    found = []
    for path, value in leaves(data, ()):
        if isinstance(value, str) and value.strip() and personal(declared(trigger, path)):
            found.append(path)
    return found


def fits(reason: str) -> str | None:
    """Why `reason` cannot be a redaction's reason, or None: asked of a redaction being made
    (`erasure.check_request`), never of the notes one made before (a reason that prints
    nothing, `fields.prints_nothing`, is no reason now; a note written with one still reads)."""
    if not isinstance(reason, str) or prints_nothing(reason):
        return "a redaction needs a reason"
    if len(reason) > REASON_LENGTH:
        return f"the reason is {len(reason)} characters long; at most {REASON_LENGTH}"
    if not reason.isprintable():
        return "the reason must be one line of printable text"
    return None
