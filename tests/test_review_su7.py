"""Review SU7: the command line loads SQLAlchemy (and the stores) only for a command that opens
a store; `--help`, `--version` and the commands that read files alone never do.

Each check runs the command in a new interpreter (`test_review_su.loaded_after`) and reads its
`sys.modules`; none times anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"

HEAVY = ("sqlalchemy", "alembic", "jinja2", "openpyxl", "matplotlib", "cryptography", "hypothesis")
"""What a command that opens no store, renders nothing and writes no workbook never needs."""


def _loaded_running(*args: str) -> set[str]:
    """The top-level modules a new interpreter holds after running the command `args`."""
    from test_review_su import loaded_after

    code = (
        "import contextlib, io\n"
        "from reintegration_fsm.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        f"        cli.main({list(args)!r}, prog_name='reintegration-fsm')\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, done.code\n"
        "assert out.getvalue(), 'nothing printed'"
    )
    return loaded_after(code)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["demo", "--help"],
        ["due", "--help"],
        ["db", "upgrade", "--help"],
        ["calendar", "--help"],
        ["calendar", "add-school-days", "--help"],
        ["protocol", "show", "--help"],
        ["diagram"],
        ["protocol", "show"],
        ["protocol", "check", str(EXAMPLE)],
        ["--calendar", "sample", "calendar", "add-school-days", "2026-01-12", "5"],
    ],
    ids=" ".join,
)
def test_a_command_that_opens_no_store_loads_no_sqlalchemy(args: list[str]) -> None:
    """Help, the version, the protocol's and the calendar's commands: SQLAlchemy (110 ms of the
    start-up's 280 ms), the migrations and every extra stay unloaded."""
    loaded = _loaded_running(*args)
    assert "reintegration_fsm" in loaded
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_a_command_that_opens_a_store_still_loads_it(tmp_path: Path) -> None:
    """`demo` makes and fills a SQLite store: SQLAlchemy is loaded as it opens it."""
    loaded = _loaded_running("--db", str(tmp_path / "cases.sqlite"), "demo")
    assert "sqlalchemy" in loaded


def test_the_stores_package_loads_sqlalchemy_only_for_what_needs_it() -> None:
    """`reintegration_fsm.stores` gives every name of its `__all__` as before, and `dir()`
    lists them; its model and checkpoints load without SQLAlchemy, its stores with it."""
    from test_review_su import loaded_after

    code = (
        "import sys\n"
        "import reintegration_fsm.stores as stores\n"
        "from reintegration_fsm.stores import Checkpoint, DueItem, Problem, RedactionNote\n"
        "assert 'sqlalchemy' not in sys.modules\n"
        "assert set(stores.__all__) <= set(dir(stores))\n"
        "missing = [n for n in stores.__all__ if getattr(stores, n, None) is None]\n"
        "assert not missing, missing\n"
        "from reintegration_fsm.stores import SqlAlchemyStore, migrate, schema\n"
        "assert stores.SqlAlchemyStore is SqlAlchemyStore\n"
        "assert not hasattr(stores, 'NoSuchName')\n"
    )
    assert "sqlalchemy" in loaded_after(code)
