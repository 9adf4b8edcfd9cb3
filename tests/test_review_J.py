"""Reviewer J: moving case histories between stores, and the officer's input at `apply`."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import AP
from test_cli_boundary import OPEN_DATA, invoke, no_traceback, write


def _export(url: str, case_id: str) -> dict[str, object]:
    exported = invoke(url, "export", case_id)
    assert exported.exit_code == 0, exported.output
    value: dict[str, object] = json.loads(exported.stdout)
    return value


def test_J3_import_names_every_bad_transition_at_once(demo_db: str, tmp_path: Path) -> None:
    """Every problem is printed, "if anything is wrong": a trigger misspelt in one transition
    and a stage misspelt in another are both named in one run."""
    case = _export(demo_db, "DEMO-0003")
    history = case["history"]
    assert isinstance(history, list)
    history[1]["trigger"] = "record_consnet"
    history[3]["dest"] = "refered"
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    result = invoke(target, "import", write(tmp_path / "case.json", json.dumps(case)))
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "refered" in result.output
    assert "record_consnet" in result.output


def test_J4_open_names_an_unknown_protocol_beside_bad_data(tmp_path: Path) -> None:
    """Every reason at once: `open --under nosuch` with a data file missing a field names the
    unknown protocol and the missing field in one run (as J2 does for a pasted id)."""
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    data = {key: value for key, value in OPEN_DATA.items() if key != "local_authority"}
    result = invoke(
        url,
        "apply",
        "C-1",
        "open",
        "--data",
        write(tmp_path / "open.json", json.dumps(data)),
        *AP,
        "--on",
        "2026-01-12",
        "--under",
        "nosuch",
    )
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "local_authority" in result.output
    assert "nosuch" in result.output
