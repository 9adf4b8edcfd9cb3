"""The file tree shows the architecture: third-party engines enter in exactly one place."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "reintegration_fsm"
CORE_PACKAGES = ("fields", "forms", "protocol", "rules", "term_dates")
CORE = {
    "errors",
    "vocabulary",
    "records",
    "calendar",
    "serialisation",
    "case",
    *(
        f"{package}/{path.stem}"
        for package in CORE_PACKAGES
        for path in (
            Path(__file__).resolve().parent.parent / "src" / "reintegration_fsm" / package
        ).glob("*.py")
    ),
}


def imported_roots(path: Path) -> set[str]:
    """The top-level names of every module `path` imports."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def importers_of(name: str) -> set[str]:
    """Modules of the package (relative dotted names) that import `name`."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if name in imported_roots(path):
            found.add(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    return found


def test_transitions_is_imported_in_exactly_one_module() -> None:
    """Only the protocol's machine talks to `transitions`."""
    assert importers_of("transitions") == {"protocol.machine"}


def test_holidays_is_imported_in_exactly_one_module() -> None:
    """Only the calendar talks to `holidays`."""
    assert importers_of("holidays") == {"calendar"}


def test_the_domain_core_imports_no_persistence() -> None:
    """Stages, rules, forms and the calendar never import SQLAlchemy, Alembic or the stores."""
    for module in CORE:
        roots = imported_roots(PACKAGE / f"{module}.py")
        assert not roots & {"sqlalchemy", "alembic", "psycopg", "pymysql"}, module
        source = (PACKAGE / f"{module}.py").read_text()
        assert "reintegration_fsm.stores" not in source, module
        assert "reintegration_fsm.cli" not in source, module


def test_importing_the_package_does_not_import_hypothesis() -> None:
    """hypothesis is a test extra: only `reintegration_fsm.testing` may need it."""
    assert "hypothesis" not in imported_roots(PACKAGE / "__init__.py")
    for module in CORE:
        assert "hypothesis" not in imported_roots(PACKAGE / f"{module}.py"), module


def test_the_stores_are_importable_from_the_top_level_without_loading_sqlalchemy_early() -> None:
    """`from reintegration_fsm import InMemoryStore` works; plain `import` leaves SQLAlchemy out."""
    import subprocess
    import sys

    script = (
        "import sys, reintegration_fsm\n"
        "assert 'sqlalchemy' not in sys.modules\n"
        "from reintegration_fsm import InMemoryStore, SqlAlchemyStore\n"
        "from reintegration_fsm.stores import InMemoryStore as M, SqlAlchemyStore as S\n"
        "assert (InMemoryStore, SqlAlchemyStore) == (M, S)\n"
        "assert 'SqlAlchemyStore' in reintegration_fsm.__all__\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
