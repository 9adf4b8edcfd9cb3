"""Dates and times are read in the one form every supported Python reads alike.

From Python 3.11 `date.fromisoformat` also takes `20130621` and `2026-W10-1`, which 3.10
refuses: a history imported under 3.11 kept `"date_of_birth": "20130621"` as given, and the same
store failed `verify` under 3.10 ("Pupil.date_of_birth: invalid value for type"). A form, a
transition's date, an imported history and the command line's DATE now take `2026-03-02`
only (and a time `09:30`, or as `time.isoformat()` writes it), on every version.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reintegration_fsm import FormInvalid, Pupil, SqlAlchemyStore
from reintegration_fsm.cli import cli
from reintegration_fsm.fields import iso_day, iso_time
from reintegration_fsm.forms import InitialMeeting
from reintegration_fsm.serialisation import structure, transition_from_json, unstructure

OTHER_DAYS = ["20130621", "2013-W25-5", "2013W255", "2013-172", "2013-6-21", " 2013-06-21"]
"""Days written otherwise than `2013-06-21` (the second and third are ISO week dates)."""
OTHER_TIMES = ["0930", "T09:30", "09:30Z", "9:30", "09:30:00.5"]

ENV: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=ENV)


@pytest.mark.parametrize("text", OTHER_DAYS)
def test_a_day_written_otherwise_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a date written like 2026-03-02"):
        iso_day(text)


def test_a_day_written_so_is_read() -> None:
    assert iso_day("2013-06-21") == dt.date(2013, 6, 21)
    with pytest.raises(ValueError, match="day is out of range"):
        iso_day("2013-02-30")


@pytest.mark.parametrize("text", OTHER_TIMES)
def test_a_time_written_otherwise_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a time written like 09:30"):
        iso_time(text)


@pytest.mark.parametrize(
    "value",
    [
        dt.time(9, 30),
        dt.time(23, 59, 59, 1),
        dt.time(9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.time(0, 0, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30, seconds=15))),
    ],
)
def test_a_time_as_the_library_writes_it_is_read(value: dt.time) -> None:
    assert iso_time(value.isoformat()) == value
    assert iso_time("09:30") == dt.time(9, 30)


@pytest.mark.parametrize("text", OTHER_DAYS)
def test_a_form_refuses_a_day_written_otherwise_naming_the_field(text: str) -> None:
    with pytest.raises(FormInvalid) as refused:
        structure({"name": "Ari Example", "date_of_birth": text, "key_stage": 3}, Pupil)
    assert "date_of_birth" in str(refused.value)
    assert structure(
        {"name": "Ari Example", "date_of_birth": "2013-06-21", "key_stage": 3}, Pupil
    ) == Pupil("Ari Example", dt.date(2013, 6, 21), 3)


def test_a_meeting_refuses_a_time_written_otherwise(demo_db: str) -> None:
    with SqlAlchemyStore(demo_db) as store:
        history = store.load("DEMO-0001").history
    meeting = next(t for t in history if t.trigger == "hold_initial_meeting")
    form = unstructure(meeting.data["meeting"])
    written = structure(form, InitialMeeting)
    for text in OTHER_TIMES:
        with pytest.raises(FormInvalid) as refused:
            structure({**form, "start_time": text}, InitialMeeting)
        assert "start_time" in str(refused.value)
    assert structure({**form, "start_time": "09:30"}, InitialMeeting).start_time == dt.time(9, 30)
    assert written == structure(unstructure(written), InitialMeeting)


@pytest.mark.parametrize("text", OTHER_DAYS[:3])
def test_a_transition_refuses_its_day_written_otherwise(demo_db: str, text: str) -> None:
    entry = unstructure_first(demo_db)
    with pytest.raises(FormInvalid) as refused:
        transition_from_json({**entry, "on": text})
    assert [problem[0] for problem in refused.value.problems] == ["on"]


def unstructure_first(url: str) -> dict[str, Any]:
    history = invoke(url, "history", "DEMO-0003", "--format", "json")
    assert history.exit_code == 0, history.output
    first: dict[str, Any] = json.loads(history.stdout)[0]
    assert transition_from_json(first).on == dt.date(2026, 2, 2)
    return first


@pytest.mark.parametrize("text", ["20130621", "2013-W25-5"])
def test_an_import_refuses_a_form_day_written_otherwise_and_keeps_nothing(
    demo_db: str, tmp_path: Path, text: str
) -> None:
    """The history that a 3.11 import kept as given, and that 3.10 then could not verify."""
    history = invoke(demo_db, "history", "DEMO-0003", "--format", "json").stdout
    assert '"date_of_birth": "2013-06-21"' in history
    renamed = history.replace('"DEMO-0003"', '"WEEK-1"')
    (tmp_path / "week.json").write_text(renamed.replace('"2013-06-21"', f'"{text}"'), "utf-8")
    refused = invoke(demo_db, "import", str(tmp_path / "week.json"))
    assert refused.exit_code == 2, refused.output
    assert "date_of_birth" in refused.output
    assert "Traceback" not in refused.output
    assert "WEEK-1" not in invoke(demo_db, "cases").stdout
    (tmp_path / "plain.json").write_text(renamed, "utf-8")
    assert invoke(demo_db, "import", str(tmp_path / "plain.json")).exit_code == 0
    assert "WEEK-1" in invoke(demo_db, "cases").stdout


@pytest.mark.parametrize(
    "args",
    [
        ("due", "--on", "20260302"),
        ("due", "--on", "2026-W10-1"),
        ("--calendar", "sample", "calendar", "add-school-days", "2026W101", "5"),
    ],
)
def test_the_command_line_refuses_a_day_written_otherwise(demo_db: str, args: Any) -> None:
    before, after = (args[:2], args[2:]) if args[0] == "--calendar" else ((), args)
    result = CliRunner().invoke(cli, [*before, "--db", demo_db, *after], env=ENV)
    assert result.exit_code == 2, result.output
    assert "is not a date written like 2026-03-02" in result.output
    good = [part.replace("W10-1", "03-02").replace("20260302", "2026-03-02") for part in after]
    good = [part.replace("2026W101", "2026-03-02") for part in good]
    assert CliRunner().invoke(cli, [*before, "--db", demo_db, *good], env=ENV).exit_code == 0
