"""Review SU: the command line's start-up loads only what the command runs.

Each check runs in a new interpreter (this one has imported everything already) and reads its
`sys.modules`; none times anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

DEFERRED = (
    *("sqlalchemy", "jinja2", "markupsafe", "alembic", "mako", "pygments", "holidays", "stdnum"),
)
"""Loaded when a command opens a store, renders a template, counts school days or checks a
UPN, not before (SQLAlchemy since review SU7)."""
NEVER_AT_START = ("matplotlib", "openpyxl", "cryptography", "icalendar", "hypothesis")
"""The extras' and the tests' modules, which no start-up loads."""


def loaded_after(code: str) -> set[str]:
    """The top-level modules a new interpreter holds after running `code`."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    listed = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    script = f"{code}\nimport json, sys\n{listed}"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_command_line_loads_no_template_engine_migrations_or_bank_holidays() -> None:
    """`import reintegration_fsm.cli` leaves SQLAlchemy, Jinja2, Alembic (Mako, Pygments) and
    `holidays` unloaded, and every optional extra."""
    loaded = loaded_after("import reintegration_fsm.cli")
    assert "reintegration_fsm" in loaded
    assert loaded.isdisjoint(DEFERRED + NEVER_AT_START), loaded & {*DEFERRED, *NEVER_AT_START}


def test_help_loads_none_of_them_either() -> None:
    """`reintegration-fsm --help` prints its help without loading them."""
    code = (
        "import contextlib, io, sys\n"
        "from reintegration_fsm.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        "        cli.main(['--help'], prog_name='reintegration-fsm')\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, done.code\n"
        "assert 'Usage: reintegration-fsm' in out.getvalue()"
    )
    loaded = loaded_after(code)
    assert loaded.isdisjoint(DEFERRED + NEVER_AT_START), loaded & {*DEFERRED, *NEVER_AT_START}


def test_the_package_still_gives_every_public_name() -> None:
    """`from reintegration_fsm import X` works for every name of `__all__`, the stores' too,
    and `dir()` lists them all."""
    code = (
        "import reintegration_fsm as r\n"
        "missing = [n for n in r.__all__ if getattr(r, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert set(r.__all__) <= set(dir(r))\n"
        "from reintegration_fsm import SqlAlchemyStore, SchoolCalendar, Reintegration\n"
        "import datetime\n"
        "assert SchoolCalendar.sample().add_school_days(datetime.date(2026, 1, 12), 1)"
    )
    assert "reintegration_fsm" in loaded_after(code)


def test_the_deferred_modules_are_loaded_when_used() -> None:
    """A sample calendar counts with `holidays`, a form renders with Jinja2 and a UPN is
    checked with python-stdnum, once asked."""
    code = (
        "import datetime, sys\n"
        "from reintegration_fsm import SchoolCalendar\n"
        "from reintegration_fsm.documents import rendering\n"
        "SchoolCalendar.sample().add_school_days(datetime.date(2026, 1, 12), 5)\n"
        "assert 'holidays' in sys.modules\n"
        "assert rendering._environment().autoescape('case.html')\n"
        "from reintegration_fsm.forms.pupil import written_upn\n"
        "assert written_upn('not a UPN') is None\n"
    )
    loaded = loaded_after(code)
    assert {"holidays", "jinja2", "stdnum"} <= loaded
