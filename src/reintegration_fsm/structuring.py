"""Why plain JSON does not make a form: every problem, each at its path ("attendees[1].party").

cattrs stops short of that: when a field's JSON is of the wrong type it never builds the form,
so the validators of the other fields never run. `serialisation.structure` asks cattrs first,
and only when cattrs fails does it ask `every_problem`, which reads the JSON again, field by
field and form inside form, and gathers both kinds of problem: the fields that cannot be read,
and what the form's validators say of the fields that can (`validation` gathers those).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote, ClassValidationError, IterableValidationError
from cattrs.v import format_exception

from reintegration_fsm.errors import FormInvalid, describe
from reintegration_fsm.vocabulary import Word

Problems = list[tuple[str, str]]


class _Unread:
    """What a form is built with, to run its validators, in place of a field whose JSON could
    not be read: every validator refuses it, and the reader's problem stands for the field."""

    def __repr__(self) -> str:
        return "<unread>"


_UNREAD = _Unread()


def form_of(hint: Any) -> type[Any] | None:
    """The attrs class `hint` names (`ConsentForm`, or `FailureLetter | None`), or None."""
    if isinstance(hint, type):
        return hint if attrs.has(hint) else None
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 2:
        inner = [arg for arg in args if arg is not type(None)]
        return form_of(inner[0]) if len(inner) == 1 else None
    return None


def every_problem(converter: cattrs.Converter, data: Any, hint: Any) -> Problems:
    """Every problem of `data` as a `hint`, each `(path, problem)`, in field order; the path is
    empty for the whole value. Empty when `data` makes one."""
    return _read(converter, data, hint, "")[1]


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _read(converter: cattrs.Converter, data: Any, hint: Any, path: str) -> tuple[Any, Problems]:
    """The value `data` makes as a `hint`, and every problem found reading it."""
    form = form_of(hint)
    if form is not None:
        return (
            (None, []) if data is None and form is not hint else _form(converter, data, form, path)
        )
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = form_of(args[0])
        if item is not None and item is args[0]:
            return _forms(converter, data, item, path)
    try:
        return converter.structure(data, hint), []
    except Exception as error:  # each is a problem of the data, named below
        return _UNREAD, list(_leaves(error, hint, path))


def _forms(
    converter: cattrs.Converter, data: Any, form: type[Any], path: str
) -> tuple[Any, Problems]:
    if not isinstance(data, list | tuple):
        return _UNREAD, [(path, f"expected a JSON array, not {describe(data)}")]
    items, found = [], []
    for index, item in enumerate(data):
        value, problems = _read(converter, item, form, f"{path}[{index}]")
        items.append(value)
        found += problems
    return tuple(items), found


def _form(
    converter: cattrs.Converter, data: Any, form: type[Any], path: str
) -> tuple[Any, Problems]:
    if not isinstance(data, Mapping):
        return _UNREAD, [(path, f"expected a JSON object, not {describe(data)}")]
    fields = [field for field in attrs.fields(attrs.resolve_types(form)) if field.init]
    arguments: dict[str, Any] = {}
    found: dict[str, Problems] = {}
    for field in fields:
        where = _join(path, field.name)
        if field.name in data:
            value, problems = _read(converter, data[field.name], field.type, where)
        elif field.default is attrs.NOTHING:
            value, problems = _UNREAD, [(where, "required field missing")]
        else:
            continue
        if problems:
            found[field.name] = problems
        arguments[field.alias] = _UNREAD if problems else value
    built, checked = _build(form, arguments)
    for name, problem in checked:
        found.setdefault(name, [(_join(path, name), problem)])  # an unread field's stand
    names = {field.name for field in fields}
    ordered = [problem for field in fields for problem in found.get(field.name, ())]
    ordered += [
        (_join(path, str(key)), f"is not a field of {form.__name__}")
        for key in data
        if key not in names
    ]
    return (_UNREAD, ordered) if ordered else (built, [])


def _build(form: type[Any], arguments: Mapping[str, Any]) -> tuple[Any, Problems]:
    """The form, or what its validators say of the arguments."""
    try:
        return form(**arguments), []
    except FormInvalid as error:
        return _UNREAD, list(error.problems)
    except Exception:  # a converter that could not take an unread field: its problem stands
        return _UNREAD, []


def _leaves(error: BaseException, hint: Any, path: str) -> Iterator[tuple[str, str]]:
    """Each problem cattrs met, at its path, in the words of cattrs' `transform_error`."""
    if isinstance(error, FormInvalid):
        for name, problem in error.problems:
            yield _join(path, name) if name != "?" else path, problem
    elif isinstance(error, ClassValidationError | IterableValidationError):
        with_notes, without = error.group_exceptions()
        for inner, note in with_notes:
            where = (
                _join(path, note.name)
                if isinstance(note, AttributeValidationNote)
                else f"{path}[{note.index!r}]"
            )
            yield from _leaves(inner, note.type, where)
        for inner in without:
            yield from _leaves(inner, None, path)
    elif isinstance(error, ValueError | TypeError) and _in_own_words(hint):
        # cattrs would say "invalid value for type, expected datetime.date | None" (or
        # "expected Party", "expected int | None"): the reader's own words name the value and
        # what to write ("'13/01/2026' is not a date written like 2026-03-02", "'boss' is not a
        # Party (one of: ap, host, ...)", "must be a whole number, not 87.5").
        yield path, str(error)
    else:
        yield path, format_exception(error, hint)


def _in_own_words(hint: Any) -> bool:
    """True for the types whose readers' errors say what to write: `date`, `time`, text, whole
    numbers, yes/no, arrays and the protocol's words, each or `| None` (not `datetime`, which
    no form holds). cattrs would say "invalid value for type, expected int | None", naming
    neither the value nor, in words, what it must be."""
    if typing.get_origin(hint) in (tuple, frozenset):  # "expected a JSON array, not 'Elm'"
        return True
    inner = [arg for arg in typing.get_args(hint) if arg is not type(None)] or [hint]
    if len(inner) != 1:
        return False
    read = inner[0]
    return read in (dt.date, dt.time, str, int, bool) or (
        isinstance(read, type) and issubclass(read, Word)
    )
