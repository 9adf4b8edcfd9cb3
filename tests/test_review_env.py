"""Review ENV: the library under a hostile runtime environment (`python -O`/`-OO`, warnings as
errors, time zones, umasks, closed streams, hash seeds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOURCE = str(Path(__file__).resolve().parents[1] / "src")


def _python(*arguments: str, environment: dict[str, str] | None = None) -> str:
    """Run `python arguments...` on this checkout's source; its stdout (it must succeed)."""
    run = subprocess.run(
        [sys.executable, *arguments],
        env={**os.environ, "PYTHONPATH": SOURCE, **(environment or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_ENV1_help_under_OO_still_describes_every_command_and_the_exit_codes() -> None:
    """`python -OO` strips docstrings, which click takes each command's help from: `--help`
    listed the commands with no word of what they do, nor the exit codes."""
    shown = _python("-OO", "-m", "reintegration_fsm", "--help")
    assert "Exit codes: 0 done" in shown
    assert "List the caseload" in shown
    assert "Fire one TRIGGER on a case" in _python("-OO", "-m", "reintegration_fsm", "apply", "-h")


def test_ENV1_the_report_describes_each_rules_departures_under_OO() -> None:
    """The report's departures table took each rule's words from its check's docstring: under
    `-OO` every row read just `R2`, `R5`..."""
    shown = _python(
        "-OO",
        "-c",
        "from reintegration_fsm.reports.figures import RULES; print(RULES['R2'])",
    )
    assert shown.strip() == "the child's own agreement is recorded."


def test_ENV1_docstring_reads_the_docstring_as_given_without_OO() -> None:
    """Without `-OO` the docstring is the function's own, its indentation removed."""
    from reintegration_fsm.docstrings import docstring

    def described() -> None:
        """First line.

        More."""

    assert docstring(described) == "First line.\n\nMore."
    assert docstring(lambda: None) == ""
