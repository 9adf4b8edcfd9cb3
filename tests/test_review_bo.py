"""Review BO: the officer's back office at the command line, scripted in pipelines and cron
jobs (its findings left for a decision are in the closing note)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from test_cli_evidence import many_histories


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"RFSM_CALENDAR": None})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("cases",), "caseload.csv"),
        (("cases",), "caseload.xlsx"),
        (("due", "--on", "2026-03-31"), "due.csv"),
        (("report", "--year", "2025/26"), "panel.xlsx"),
        (("report", "--year", "2025/26"), "panel.json"),
        (("history", "DEMO-0001"), "history.json"),
        (("export", "DEMO-0001"), "response.HTML"),
    ],
)
def test_BO1_an_output_file_named_for_another_format_is_refused(
    demo_db: str, tmp_path: Path, command: tuple[str, ...], name: str
) -> None:
    """`cases -o caseload.xlsx` (the docs' own example less its `--format xlsx`) wrote a text
    table into a file Excel then refuses to open; `report -o panel.xlsx` wrote the HTML page,
    and `due -o due.csv` in a cron job a fixed-width table its next step cannot read as CSV.
    A name ending in one of the command's formats, with another format chosen, is refused."""
    target = tmp_path / name
    code, out, err = invoke("--db", demo_db, *command, "-o", str(target))
    assert code == 2, err
    extension = name.rsplit(".", 1)[1].lower()
    assert f"give --format {extension}" in err + out  # as JSON on stdout where it is the format
    assert not target.exists()


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("cases", "--format", "csv"), "caseload.csv"),
        (("cases", "--format", "xlsx"), "caseload.XLSX"),
        (("cases",), "caseload.txt"),
        (("cases",), "caseload"),
        (("timeline", "DEMO-0001"), "timeline.csv"),  # no CSV to give: not a choice mistaken
        (("export", "DEMO-0001", "--format", "html"), "response.htm"),
    ],
)
def test_BO1_an_output_file_named_for_its_format_or_for_none_is_written(
    demo_db: str, tmp_path: Path, command: tuple[str, ...], name: str
) -> None:
    target = tmp_path / name
    code, _, err = invoke("--db", demo_db, *command, "-o", str(target))
    assert code == 0, err
    assert target.stat().st_size > 0


def test_BO2_an_import_stopped_by_sigterm_leaves_no_empty_store_behind(
    demo_db: str, tmp_path: Path
) -> None:
    """`timeout 10m reintegration-fsm import ...` in a cron job, or `systemctl stop`, ends the
    command with SIGTERM. An import into a new SQLite file so stopped imported nothing (its one
    transaction), but left the store it had made: `cases` then says "no cases match" and
    `verify` calls it sound, where the docs promise no empty store is left behind."""
    source = tmp_path / "many.json"
    count = 600
    source.write_text(json.dumps(many_histories(demo_db, count)), encoding="utf-8")
    store = tmp_path / "new.sqlite"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "reintegration_fsm", "--db", str(store), "import", str(source)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    while not store.exists() and process.poll() is None:
        time.sleep(0.002)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=300)
    if store.exists():  # the signal came once the import was done: it holds every case
        code, out, err = invoke("--db", str(store), "cases", "--format", "json")
        assert code == 0, err
        assert len(json.loads(out)) == count
    else:
        assert not list(tmp_path.glob("new.sqlite*"))
        assert process.returncode == 128 + signal.SIGTERM
