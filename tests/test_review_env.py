"""Review ENV: the library under a hostile runtime environment (`python -O`/`-OO`, warnings as
errors, time zones, umasks, closed streams, hash seeds)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import migrate

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


def _versions_with(tmp_path: Path, extra: str, text: str) -> Path:
    """A copy of the shipped migrations with one more file, `extra`, holding `text`."""
    shipped = resources.files("reintegration_fsm.stores") / "migrations" / "versions"
    versions = tmp_path / "stores" / "migrations" / "versions"
    versions.mkdir(parents=True)
    for entry in shipped.iterdir():
        if entry.name.endswith(".py"):
            (versions / entry.name).write_text(entry.read_text(encoding="utf-8"))
    (versions / extra).write_text(text, encoding="utf-8")
    return tmp_path / "stores"


def _chain_read_from(monkeypatch: pytest.MonkeyPatch, package: Path) -> tuple[str, ...]:
    monkeypatch.setattr(migrate.resources, "files", lambda name: package)
    migrate._chain.cache_clear()
    try:
        return migrate._chain()
    finally:
        monkeypatch.undo()
        migrate._chain.cache_clear()


def test_ENV2_a_second_migration_following_the_same_revision_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped migrations were checked by `assert`, which `python -O` skips: a stray file
    (an old version's, left by an upgrade in place) branching the chain was taken silently,
    one revision hidden behind it. Now a `StoreError` saying to reinstall, under -O too."""
    first = migrate.revisions()[0]
    stray = f'"""A stray."""\nrevision = "stray"\ndown_revision = "{first}"\n'
    package = _versions_with(tmp_path, "9999_stray.py", stray)
    with pytest.raises(StoreError, match=r"migrations are damaged: revisions .* both follow"):
        _chain_read_from(monkeypatch, package)


def test_ENV2_the_shipped_migrations_read_as_one_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the shipped files with a file that is no migration (no `revision`) beside
    them is refused; the shipped files alone are one chain ending at the head."""
    package = _versions_with(tmp_path, "notes.py", '"""No migration."""\n')
    with pytest.raises(StoreError, match=r"notes\.py: no revision"):
        _chain_read_from(monkeypatch, package)
    assert migrate.revisions()[-1] == migrate.head()


def test_ENV2_the_check_holds_under_O(tmp_path: Path) -> None:
    """Under `python -O` the damaged chain is refused as without it."""
    first = migrate.revisions()[0]
    stray = f'"""A stray."""\nrevision = "stray"\ndown_revision = "{first}"\n'
    package = _versions_with(tmp_path, "9999_stray.py", stray)
    script = (
        "import pathlib\n"
        "from reintegration_fsm.errors import StoreError\n"
        "from reintegration_fsm.stores import migrate\n"
        f"migrate.resources.files = lambda name: pathlib.Path({str(package)!r})\n"
        "try:\n"
        "    migrate._chain()\n"
        "except StoreError as error:\n"
        "    print('refused:', error)\n"
    )
    assert _python("-O", "-c", script).startswith("refused: the installed database migrations")


def test_ENV3_today_is_this_machines_date_in_its_time_zone() -> None:
    """docs/cli.md says "today" (every `--on`'s default) is the date in this machine's zone, so
    a server outside London must run with `TZ=Europe/London`: 26 hours apart, the zones
    furthest ahead and behind never share a date."""
    script = "from reintegration_fsm.cli import options; print(options.today())"
    ahead = _python("-c", script, environment={"TZ": "Etc/GMT-14"}).strip()
    behind = _python("-c", script, environment={"TZ": "Etc/GMT+12"}).strip()
    assert ahead > behind
