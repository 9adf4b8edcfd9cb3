"""What the tests of files another user placed share: that user, the root the tests that plant
a file need, a sticky folder anyone may write (as /tmp is), and the command line run in-process
or as that user (reviews DF, RH, RI and LF), and a command prefix under which a folder's mode
binds root too (reviews NU and DU)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli

ANOTHER_USER = 65534
"""`nobody`: the user who plants a file, a link or a pipe, or owns a file of another's."""

as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="acting as another user, or making a file of theirs, takes root (CI runs as root)",
)


def invoke(*args: str) -> tuple[int, str, str]:
    """The command line run with `args`, no calendar set: its exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, list(args), env={"RFSM_CALENDAR": None})
    return result.exit_code, result.stdout, result.stderr


def shared_folder(tmp_path: Path) -> Path:
    """A folder anyone may write, sticky, as /tmp is."""
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


AS_ANOTHER_USER = """
import importlib, os, pkgutil, sqlite3, sys
import click._textwrap, reintegration_fsm, sqlalchemy.dialects.sqlite.pysqlite, alembic.command
for found in pkgutil.walk_packages(reintegration_fsm.__path__, "reintegration_fsm."):
    try:
        importlib.import_module(found.name)
    except Exception:
        pass
# What the library imports at its first use, not with its modules.
import alembic.config, alembic.migration, alembic.script, alembic.util, holidays, jinja2
import markupsafe, stdnum.exceptions, stdnum.gb.upn
from reintegration_fsm.stores import migrate
migrate.head()
from reintegration_fsm.cli import cli
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
sys.exit(cli(sys.argv[1:], prog_name="reintegration-fsm"))
"""
"""The command run as `nobody`, its modules (and the interpreter's, and those the library
imports at their first use) loaded first as root, who may read where they are installed."""


def without_file_access() -> list[str] | None:
    """A command prefix under which a folder's mode bits bind this user (root drops the
    capabilities that pass them by), or None where that cannot be arranged."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]
