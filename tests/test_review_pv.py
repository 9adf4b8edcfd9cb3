"""Review PV: the modules of `protocol/`, `term_dates/` and `testing/`, and `Reintegration`'s
parts (`case*.py`), import no private name of one another (SPD1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reintegration_fsm

PACKAGE = Path(reintegration_fsm.__file__).parent


def module_name(path: Path, root: Path) -> str:
    """The dotted name of the module at `path`, a file of the package at `root`."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def private_imports(paths: list[Path], root: Path) -> list[str]:
    """Each `from <one of paths' modules> import _name` in another of them, as `file: name`."""
    names = {module_name(path, root) for path in paths}
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in names:
                found += [
                    f"{path.name}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    return found


def modules_of(group: str, root: Path) -> list[Path]:
    """The files of a package of `root` (`protocol`), or its top-level modules named `case*`."""
    if group == "case":
        return sorted(root.glob("case*.py"))
    return sorted((root / group).glob("*.py"))


@pytest.mark.parametrize("group", ["protocol", "term_dates", "testing", "case"])
def test_no_module_of_the_group_imports_a_private_name_of_another(group: str) -> None:
    """What one module shares with another has a public name in the module that owns it."""
    paths = modules_of(group, PACKAGE)
    assert len(paths) > 3  # (the group is found where it is)
    assert private_imports(paths, PACKAGE) == []


def test_the_check_finds_a_private_import_of_a_sibling(tmp_path: Path) -> None:
    """A private name one module takes from another (as `protocols` took `_shown` from
    `field_checks`, and `case` took `_OPEN` from `case_shared`) is found, however imported."""
    root = tmp_path / "reintegration_fsm"
    (root / "protocol").mkdir(parents=True)
    (root / "protocol" / "protocols.py").write_text(
        "from reintegration_fsm.protocol.field_checks import (\n    POINTS_MOST,\n    _shown,\n)\n"
    )
    (root / "protocol" / "field_checks.py").write_text("POINTS_MOST = 1\n_shown = str\n")
    (root / "case.py").write_text("from reintegration_fsm.case_shared import _OPEN as OPEN\n")
    (root / "case_shared.py").write_text("_OPEN = 1\n")
    assert private_imports(modules_of("protocol", root), root) == [
        "protocols.py: reintegration_fsm.protocol.field_checks._shown"
    ]
    assert private_imports(modules_of("case", root), root) == [
        "case.py: reintegration_fsm.case_shared._OPEN"
    ]


def test_the_check_allows_public_names_and_the_modules_own_private_ones(tmp_path: Path) -> None:
    """Public names, a module's own private names, another package's, and a dunder pass."""
    root = tmp_path / "reintegration_fsm"
    (root / "term_dates").mkdir(parents=True)
    (root / "term_dates" / "ics.py").write_text(
        "from __future__ import annotations\n"
        "from reintegration_fsm.term_dates.terms import as_written\n"
        "from reintegration_fsm.fields.days import _elsewhere\n"
        "_kept = as_written\n"
    )
    (root / "term_dates" / "terms.py").write_text("def as_written(value): ...\n")
    assert private_imports(modules_of("term_dates", root), root) == []
