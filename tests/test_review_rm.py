"""Review RM: the fixes merged this session, before they land (AP6, FM6, SE5, SE6, SX1, SX2,
BO1, BO2, MG1-MG3, HY)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import scenario as sc
import stages
from reintegration_fsm import Pupil, Reintegration
from reintegration_fsm.cli import cli
from reintegration_fsm.stores import SqlAlchemyStore, parallel


def _slow(span: parallel.Span) -> str:
    """A worker's range that takes a minute: it writes its process id as it starts and a
    marker when done (a spawned worker imports this module to run it)."""
    first, folder = span
    if first == "quick":
        return "quick"
    assert folder is not None
    # Written whole, then named: a worker ended between creating the file and writing it
    # would otherwise leave an empty "started" (CI saw that once, under load).
    writing = Path(folder, "started.part")
    writing.write_text(str(os.getpid()), encoding="utf-8")
    writing.replace(Path(folder, "started"))
    time.sleep(60)
    Path(folder, "finished").write_text("finished", encoding="utf-8")
    return "slow"


def _stopped(outcome: str) -> None:
    """SIGTERM's handler in the command line (`cli._terminated`) raises SystemExit wherever the
    parent is: here, as the first range is told done."""
    raise SystemExit(143)


def test_RM1_sigterm_ends_verify_workers_rather_than_waiting_for_their_ranges(
    tmp_path: Path,
) -> None:
    """BO2 made SIGTERM raise SystemExit so the clean-up runs; `parallel.spread` ends its
    workers on Ctrl-C (KeyboardInterrupt) but on SystemExit waited for the ranges handed out:
    `verify --workers 2` sent SIGTERM 2.5 s into an 11 s run ended 9.8 s later, as if unsent
    (the single-process verify ends in 0.3 s). A worker is ended, not waited for: the slow
    range (a minute) never finishes, and its process is gone when `spread` raises."""
    spans: list[parallel.Span] = [("quick", None), ("slow", str(tmp_path))]
    with pytest.raises(SystemExit):
        parallel.spread(_slow, spans, 2, _stopped, "verify the store")
    assert not (tmp_path / "finished").exists()
    started = tmp_path / "started"
    if started.exists():  # the range had begun: its worker was ended, not left running
        with pytest.raises(ProcessLookupError):
            os.kill(int(started.read_text(encoding="utf-8")), 0)


def _case(case_id: str, upn: str) -> Reintegration:
    pupil = Pupil("Alex Example", dt.date(2012, 5, 14), key_stage=3, upn=upn)
    return Reintegration.open(
        case_id, pupil, sc.AP_SETTING, sc.AUTHORITY, stages.CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )


def test_RM2_one_childs_upn_recorded_otherwise_before_is_not_another_child(
    tmp_path: Path,
) -> None:
    """SX2 refuses a response whose cases hold different UPNs, comparing them stripped and in
    capitals only. A history recorded before FM6 holds a UPN as typed ("B80120 0005001"), which
    still replays: the same child's two cases were refused as "2 different children"."""
    scratch = f"sqlite:///{tmp_path / 'scratch.sqlite'}"
    with SqlAlchemyStore(scratch, calendar=stages.CALENDAR) as store:
        store.create_schema()
        store.save(_case("case-1", "B801200005001"))
        store.save(_case("case-2", "B801200005001"))
    runner = CliRunner()
    env = {"RFSM_CALENDAR": None}
    histories = []
    for case_id in ("case-1", "case-2"):
        shown = runner.invoke(
            cli, ["--db", scratch, "history", case_id, "--format", "json"], env=env
        )
        assert shown.exit_code == 0, shown.output
        histories.append(json.loads(shown.stdout))
    histories[1][0]["data"]["pupil"]["upn"] = "B80120 0005001"  # as typed before FM6
    source = tmp_path / "old.json"
    source.write_text(json.dumps(histories), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    imported = runner.invoke(cli, ["--db", url, "import", str(source)], env=env)
    assert imported.exit_code == 0, imported.output
    target = tmp_path / "response.json"
    args = ["--db", url, "export", "--pupil", "Alex Example", "--dob", "2012-05-14"]
    result = runner.invoke(cli, [*args, "--format", "json", "-o", str(target)], env=env)
    assert result.exit_code == 0, result.output
    assert {case["case_id"] for case in json.loads(target.read_text())["cases"]} == {
        "case-1",
        "case-2",
    }
