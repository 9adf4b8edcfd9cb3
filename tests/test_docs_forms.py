"""docs/forms.md's field lists are generated from the form classes, so they cannot drift.

Run `python tests/test_docs_forms.py` to rewrite the generated blocks after changing a form.
"""

from __future__ import annotations

import ast
import enum
import inspect
import itertools
import re
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

import attrs

from reintegration_fsm import forms

PAGE = Path(__file__).resolve().parent.parent / "docs" / "forms.md"

FORMS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        forms.Pupil,
        forms.ConsentForm,
        forms.PastoralSupportPlan,
        forms.ReintegrationInformation,
        forms.Professional,
        forms.Measure,
        forms.ChildViews,
        forms.InitialMeeting,
        forms.ReintegrationTimetable,
        forms.Attendee,
        forms.ReviewMeeting,
        forms.FailureLetter,
        forms.SuccessfulOutcome,
        forms.UnsuccessfulOutcome,
    )
}
"""Every form whose fields docs/forms.md lists, by the name its block's marker gives."""

_BLOCK = re.compile(
    r"(<!-- generated: fields \((?P<name>\w+)\) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S
)


def _attribute_docs(cls: type[Any]) -> dict[str, str]:
    """The docstrings written under a class's fields (`name: T = ...` then `\"\"\"...\"\"\"`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    found: dict[str, str] = {}
    for before, after in itertools.pairwise(body):
        if (
            isinstance(before, ast.AnnAssign)
            and isinstance(before.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            found[before.target.id] = " ".join(after.value.value.split())
    return found


def type_name(hint: Any) -> str:
    """A type as the docs write it: `date`, `ReviewKind`, `tuple[Attendee, ...]`, `str or None`
    (no `|`, which would split a Markdown table's cell)."""
    if isinstance(hint, str):
        return hint
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(arg) for arg in typing.get_args(hint))
    if origin is not None:
        args = [("..." if arg is Ellipsis else type_name(arg)) for arg in typing.get_args(hint)]
        return f"{origin.__name__}[{', '.join(args)}]"
    if hint is type(None):
        return "None"
    return str(getattr(hint, "__name__", hint))


def _enums(hint: Any) -> list[type[enum.Enum]]:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return [hint]
    return [found for arg in typing.get_args(hint) for found in _enums(arg)]


def _default(field: attrs.Attribute[Any]) -> str:
    default = field.default
    if default is attrs.NOTHING:
        return "**required**"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return "empty"
    if isinstance(default, enum.Enum):
        return f'`"{default.value}"`'
    if default == "":
        return '`""`'
    if default is None:
        return "`null`"
    return f"`{str(default).lower() if isinstance(default, bool) else default}`"


def field_table(cls: type[Any]) -> str:
    """The Markdown table of a form's fields: name, type, default, and what it holds."""
    notes = _attribute_docs(cls)
    hints = typing.get_type_hints(cls)
    lines = ["| field | type | default | notes |", "|---|---|---|---|"]
    for field in attrs.fields(cls):
        hint = hints.get(field.name, field.type)
        note = notes.get(field.name, "")
        values = [f"`{member.value}`" for kind in _enums(hint) for member in kind]
        if values:
            note = (note + " " if note else "") + "One of " + ", ".join(values) + "."
        lines.append(f"| `{field.name}` | `{type_name(hint)}` | {_default(field)} | {note} |")
    return "\n".join(lines) + "\n"


def regenerate(text: str) -> str:
    """`text` with every generated block written afresh."""
    return _BLOCK.sub(lambda m: m.group(1) + field_table(FORMS[m.group("name")]) + m.group(4), text)


def test_every_form_has_a_current_field_list() -> None:
    """docs/forms.md lists every form's fields as the classes declare them."""
    text = PAGE.read_text(encoding="utf-8")
    names = [m.group("name") for m in _BLOCK.finditer(text)]
    assert sorted(names) == sorted(FORMS)
    assert regenerate(text) == text


def test_a_stale_field_list_is_noticed() -> None:
    text = PAGE.read_text(encoding="utf-8")
    stale = text.replace("| `permanent_from` |", "| `permanent_on` |", 1)
    assert stale != text
    assert regenerate(stale) == text


def test_the_tables_name_each_field_once_in_declaration_order() -> None:
    table = field_table(forms.ReviewMeeting)
    names = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert names == [field.name for field in attrs.fields(forms.ReviewMeeting)]
    assert "| `kind` | `ReviewKind` | **required** |" in table
    assert "`interim`, `final`, `emergency`" in table
    assert "| `next_meeting` | `date or None` | `null` |" in table


def test_the_review_forms_missing_signatures_are_explained() -> None:
    """The seed's Review (or Emergency Review) Meeting form ends with "Attendees Signatures", as
    the Initial Meeting form does (which `InitialMeeting.signatures` records). `ReviewMeeting`
    records attendees only, so docs/forms.md says why and where the signed paper is kept (found
    by a review)."""
    assert not any("signature" in field.name for field in attrs.fields(forms.ReviewMeeting))
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Reintegration Review (or Emergency Review) Meeting", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert "Attendees Signatures" in section
    assert "no signatures" in section
    assert "SEND_PAPERWORK_TO_ADMISSIONS" in section


if __name__ == "__main__":
    PAGE.write_text(regenerate(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
