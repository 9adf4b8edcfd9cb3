"""Review RH: a hostile review of the second batch of fixes merged this session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli

ANOTHER_USER = 65534
"""`nobody`: the user who plants a file (the tests that need one run as root)."""

as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="planting a file of another user's takes root (CI runs as root)",
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"RFSM_CALENDAR": None})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def removed_folder(tmp_path: Path) -> Iterator[None]:
    """The working folder removed under the command (a cron job's, a script's temporary)."""
    here = os.getcwd()
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()
    try:
        yield
    finally:
        os.chdir(here)


@pytest.mark.usefixtures("removed_folder")
def test_RH2_an_absolute_output_is_written_with_the_working_folder_removed(
    demo_db: str, tmp_path: Path
) -> None:
    """`-o /abs/path` from a working folder removed since the command started (review DF,
    DF1's link check asked for the working folder first): it failed with "cannot write
    /abs/path: No such file or directory" and said the database was saved; it was written
    before DF1, and is again."""
    target = tmp_path / "timeline.txt"
    code, out, err = invoke("--db", demo_db, "timeline", "DEMO-0001", "-o", str(target))
    assert code == 0, out + err
    assert target.read_text().startswith("Case DEMO-0001")
