"""Review DU: follow-ups from the day's reviews (NS5, NS4, LI5, CM2, CM1)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import reintegration_fsm
from narrow import measured_at_320
from planting import without_file_access
from reintegration_fsm.cli import cli

invoke: Callable[..., Any] = CliRunner().invoke
SOURCE = str(Path(reintegration_fsm.__file__).resolve().parent.parent)

POSIX_FDS = pytest.mark.skipif(
    not os.path.isdir("/proc/self/fd"), reason="reads descriptors' paths from /proc/self/fd"
)


def _recording_fsync(monkeypatch: pytest.MonkeyPatch, refusal: int | None = None) -> list[str]:
    """Record the path of each descriptor `os.fsync` is given (a folder's refused with
    `refusal`, if given, as a file system that cannot sync one refuses it)."""
    synced: list[str] = []
    real = os.fsync

    def fsync(descriptor: int) -> None:
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        synced.append(path)
        if refusal is not None and os.path.isdir(path):
            raise OSError(refusal, os.strerror(refusal))
        real(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


# NS5: a file written with -o is renamed into place, and its folder synced after the rename.


@POSIX_FDS
def test_the_folder_is_synced_after_an_output_is_renamed_into_it(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export -o FILE`: the new file is synced, renamed to FILE, then FILE's folder synced,
    so a power cut just after cannot bring the old file back."""
    out = tmp_path / "out" / "response.json"
    out.parent.mkdir()
    out.write_text("old", encoding="utf-8")
    synced = _recording_fsync(monkeypatch)
    result = invoke(cli, ["--db", demo_db, "export", "DEMO-0002", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("{")
    folder = str(out.parent.resolve())
    assert folder in synced, synced
    parts = [path for path in synced if os.path.basename(path).startswith(".rfsm-")]
    assert parts, synced
    assert synced.index(parts[-1]) < synced.index(folder), synced


@POSIX_FDS
@pytest.mark.parametrize("refusal", [errno.EINVAL, errno.EOPNOTSUPP])
def test_a_folder_that_cannot_be_synced_is_skipped_quietly(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    """A file system that cannot sync a folder (EINVAL) still gets the file, no error."""
    out = tmp_path / "response.json"
    synced = _recording_fsync(monkeypatch, refusal)
    result = invoke(cli, ["--db", demo_db, "export", "DEMO-0002", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("{")
    assert str(tmp_path.resolve()) in synced


@POSIX_FDS
def test_a_disk_failing_to_sync_the_folder_is_reported(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O error syncing the folder is the output's failure (exit 2), not a silent one:
    the file may not outlast a power cut."""
    out = tmp_path / "response.json"
    _recording_fsync(monkeypatch, errno.EIO)
    result = invoke(cli, ["--db", demo_db, "export", "DEMO-0002", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert f"cannot write {out}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(sys.platform == "win32", reason="a folder's mode bits are POSIX")
def test_a_folder_this_user_may_write_but_not_read_still_gets_the_file(
    demo_db: str, tmp_path: Path
) -> None:
    """A drop folder (mode 0333: written, not read) cannot be opened to sync: the file is
    written all the same. Root, who reads every folder, runs the command without the
    capabilities that let it."""
    prefix = without_file_access()
    if prefix is None:
        pytest.skip("setpriv is needed to keep root from reading a folder of mode 0333")
    drop = tmp_path / "drop"
    drop.mkdir()
    drop.chmod(0o333)
    command = ["--db", demo_db, "export", "DEMO-0002", "-o", str(drop / "r.json")]
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "reintegration_fsm", *command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": SOURCE},
            check=False,
        )
        listed = subprocess.run(
            [*prefix, sys.executable, "-c", f"import os; os.listdir({str(drop)!r})"],
            capture_output=True,
            check=False,
        )
    finally:
        drop.chmod(0o700)
    assert listed.returncode != 0, "the command could read the folder: nothing was tested"
    assert result.returncode == 0, result.stderr
    assert (drop / "r.json").read_text(encoding="utf-8").startswith("{")


# NS4: exit 3 does not promise that nothing was saved when the failure came at the commit.

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_exit_3_says_a_failed_commit_may_have_saved_the_change() -> None:
    """docs/cli.md's exit-code table: "nothing was saved" is qualified wherever it is claimed
    for exit 3, since a commit whose sync (or reply) failed may be found committed after."""
    rows = [
        line
        for line in (DOCS / "cli.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| 3 |")
    ]
    assert len(rows) == 1
    claims = rows[0].split("nothing was saved")[1:]
    assert claims, rows[0]
    for after in claims:
        assert after.startswith(", unless the database reports the failure after the commit")
        assert "check with `history CASE_ID`" in after.split(". ")[0]


def test_the_store_docs_say_a_sqlite_sync_failure_may_have_committed() -> None:
    """docs/stores.md: SQLite's disk refusing the commit's sync is told as a lost connection
    is, the transaction perhaps committed."""
    text = " ".join((DOCS / "stores.md").read_text(encoding="utf-8").split())
    assert "refused as it syncs the commit, the transaction may be found committed" in text


# LI5: the subject access response's deadlines table, at 320 px, keeps its words whole.

WORDS_MEASURED = """{
  cut: cutWords(document.querySelectorAll(
    'table[aria-labelledby$="-deadlines"] td, table[aria-labelledby$="-obligations"] td')),
  scrolls: [...document.querySelectorAll('table[aria-labelledby$="-deadlines"]')].map(
    (table) => table.parentElement.classList.contains("scroll")),
  cells: document.querySelectorAll('table[aria-labelledby$="-deadlines"] td').length}"""


def test_the_responses_deadlines_keep_their_words_whole_at_320_pixels(
    demo_db: str, tmp_path: Path
) -> None:
    """At 320 CSS pixels, "not applicable" (and every other word of the deadlines' and
    obligations' tables) stays on one line: the table scrolls in its own region, which the
    keyboard reaches, and the page does not scroll sideways."""
    result = invoke(cli, ["--db", demo_db, "export", "DEMO-0002", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert "<td>not applicable</td>" in result.output
    value = measured_at_320(result.output, WORDS_MEASURED, tmp_path)
    assert value["cells"] >= 8, value
    assert value["cut"] == [], value
    assert value["scrolls"], value
    assert all(value["scrolls"]), value
    assert value["window"] <= 320, value
    assert value["page"] <= value["window"], value


# CM2: every command reads today as `options.today()`, so that one patch reaches them all.

PATCHED_DAY = "2026-03-06"


@pytest.mark.parametrize(
    ("command", "seen"),
    [
        (["export", "DEMO-0002"], f'"exported_on": "{PATCHED_DAY}"'),  # access
        (["timeline", "DEMO-0002", "--format", "json"], f'"as_of": "{PATCHED_DAY}"'),  # cases
        (["due", "--case", "DEMO-0002", "--format", "json"], '"late": 1,'),  # admin
    ],
)
def test_a_patched_today_reaches_every_command(
    demo_db: str, monkeypatch: pytest.MonkeyPatch, command: list[str], seen: str
) -> None:
    """Patching `cli.options.today` dates a command given no --on: `export`, `timeline` and
    `due` too, which imported it by name and kept the real one (an obligation due
    2026-03-05 is a day late on the patched day)."""
    import datetime as dt

    from reintegration_fsm.cli import options

    monkeypatch.setattr(options, "today", lambda: dt.date.fromisoformat(PATCHED_DAY))
    result = invoke(cli, ["--db", demo_db, *command])
    assert result.exit_code == 0, result.output
    assert seen in result.output


def test_no_command_module_imports_today_by_name() -> None:
    """A name imported from `options` is the function as it was at import: a test's patch of
    `options.today` would miss that module (review CM2)."""
    import ast

    import reintegration_fsm.cli as package

    folder = Path(package.__file__).parent
    importers = [
        path.name
        for path in sorted(folder.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("cli.options")
        and any(alias.name == "today" for alias in node.names)
    ]
    assert importers == []
