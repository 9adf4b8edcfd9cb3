"""Review SPD: `fields` and `documents` split into packages of modules by job, and the rules'
modules reading no private name of one another (RU3)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import reintegration_fsm

PACKAGE = Path(reintegration_fsm.__file__).parent

# The public names `fields.py` and `documents.py` defined before the split (review SPD).
FIELDS_NAMES = [
    "ADDRESS",
    "DAYS_IN_A_YEAR",
    "ID_LENGTH",
    "INTEGER_MOST",
    "NAME_LENGTH",
    "TOO_LONG",
    "Validator",
    "as_day",
    "as_optional_day",
    "blank",
    "count",
    "day",
    "differing_only_in",
    "direction_control",
    "each",
    "encodes",
    "end_space",
    "flag",
    "fold_case",
    "folded_name",
    "folded_name_before_unicode",
    "folded_text",
    "given_name",
    "holds_address",
    "holds_folded",
    "identifier",
    "instance",
    "invisible",
    "is_day",
    "iso_day",
    "iso_time",
    "loosely_folded_name",
    "member",
    "mixed_scripts",
    "name",
    "name_differing_only_in",
    "new_id_problem",
    "noncharacter",
    "noncharacters",
    "not_composed",
    "optional_day",
    "optional_flag",
    "optional_text",
    "past_day",
    "percentage",
    "plain_day",
    "prints_nothing",
    "reads_as_latin",
    "searched_stretch",
    "seen",
    "spellings",
    "stray_joiner",
    "text",
    "text_problem",
    "to_frozenset",
    "to_texts",
    "to_tuple",
    "unclear",
    "unseen",
    "visible",
    "within",
]
DOCUMENTS_NAMES = [
    "DAYS",
    "DELETION_NOTE",
    "Document",
    "EVIDENCE_NAMES",
    "Field",
    "LEAVERS_NOTE",
    "LetterBlock",
    "NOT_RECORDED",
    "NO_SESSION",
    "RemovedDates",
    "SESSION_NAMES",
    "TimetableWeek",
    "Value",
    "consent_form",
    "departures_document",
    "documents",
    "information_form",
    "initial_meeting_form",
    "letter_document",
    "pupil_born",
    "render_html",
    "render_text",
    "review_form",
    "shown_born",
    "successful_form",
    "timetable_form",
    "unsuccessful_form",
    "views_form",
]


@pytest.mark.parametrize(
    ("module", "names"),
    [("reintegration_fsm.fields", FIELDS_NAMES), ("reintegration_fsm.documents", DOCUMENTS_NAMES)],
)
def test_every_public_name_of_the_split_module_is_importable_where_it_was(
    module: str, names: list[str]
) -> None:
    """Each name the one module defined is still an attribute of the package, and listed in its
    `__all__`, so `from reintegration_fsm.fields import text` and `fields.text` still work."""
    imported = importlib.import_module(module)
    assert [name for name in names if not hasattr(imported, name)] == []
    assert sorted(imported.__all__) == sorted(names)


def private_imports(package: str) -> list[str]:
    """Each `from reintegration_fsm.<package>.<module> import _name` in the package's modules."""
    found = []
    for path in sorted((PACKAGE / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module is not None
                and node.module.startswith(f"reintegration_fsm.{package}.")
            ):
                found += [
                    f"{path.name}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
    return found


@pytest.mark.parametrize("package", ["rules", "fields", "documents"])
def test_no_module_of_the_package_imports_a_private_name_of_another(package: str) -> None:
    """What one module shares with another has a public name in the module that owns it."""
    assert private_imports(package) == []


def test_the_private_import_check_finds_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above would see a private import (the one RU3 removed from `rules.reviews`)."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "reviews.py").write_text(
        "from reintegration_fsm.rules.dates import _RECORDED, furthest_date\n"
    )
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path)
    assert private_imports("rules") == ["reviews.py: reintegration_fsm.rules.dates._RECORDED"]
