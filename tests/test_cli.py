"""The `reintegration-fsm` command, driven as a user or a script would drive it."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import importlib.abc
import importlib.metadata
import io
import json
import os
import re
import shlex
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.exc import OperationalError

import scenario
import stages
from raw_sqlite import raw_sqlite, tamper
from reintegration_fsm import (
    CalendarError,
    CaseNotFound,
    ConcurrentUpdate,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    InMemoryStore,
    NotPermitted,
    ProtocolDefinitionError,
    Reintegration,
    Role,
    SchoolCalendar,
    Stage,
    StoreError,
    UnknownProtocol,
    demo,
)
from reintegration_fsm import __main__ as entry
from reintegration_fsm.cli import cli, importing, once
from reintegration_fsm.cli.errors import failure_from
from reintegration_fsm.protocol import diagrams
from reintegration_fsm.serialisation import unstructure
from reintegration_fsm.stores import SqlAlchemyStore, bulk, parallel, sql_verifying

IDS = ("DEMO-0001", "DEMO-0002", "DEMO-0003", "DEMO-0004")


HANG = 300
"""The seconds after which a command run in a subprocess that may wait for ever (on a named
pipe) fails its test rather than hang the suite: a hang's bound, never a measure of speed."""


def run(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    pass_fds: tuple[int, ...] = (),
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess, as a shell script would."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reintegration_fsm", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        pass_fds=pass_fds,
        timeout=timeout,
        check=False,
    )


def invoke(url: str, *args: str, input: str | None = None) -> Result:
    """Run the command in-process (fast) against the database at `url`."""
    return CliRunner().invoke(cli, ["--db", url, *args], input=input, env={"RFSM_CALENDAR": None})


@pytest.fixture
def empty_db(tmp_path: Path) -> str:
    """A database URL where nothing exists yet."""
    return f"sqlite:///{tmp_path / 'empty.sqlite'}"


def json_out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def csv_rows(result: Result) -> list[dict[str, str]]:
    """CSV output read as a script or Excel reads it: UTF-8, its byte order mark dropped."""
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))


def history_length(url: str, case_id: str) -> int:
    return len(json_out(invoke(url, "history", case_id, "--format", "json")))


def no_store_made(url: str) -> bool:
    """True when a SQLite URL's file, and every file SQLite keeps beside it, is absent."""
    path = url.removeprefix("sqlite:///")
    return not any(Path(path + end).exists() for end in ("", "-wal", "-shm", "-journal"))


def case_count(url: str) -> int:
    with raw_sqlite(url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute("SELECT count(*) FROM rfsm_cases").fetchone()[0])


# -- the demo, as a user runs it -----------------------------------------------------------------
def section(output: str, case_id: str) -> str:
    start = output.index(f"== {case_id}")
    end = output.find("\n== ", start + 1)
    return output[start : end if end != -1 else len(output)]


def test_demo_runs_twice_in_a_fresh_folder_without_duplicating_cases(tmp_path: Path) -> None:
    """`demo` creates the default SQLite file, prints every timeline, and a rerun adds nothing."""
    first = run("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "reintegration.sqlite").exists()
    second = run("demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    url = f"sqlite:///{tmp_path / 'reintegration.sqlite'}"
    assert case_count(url) == 4
    for case_id in IDS:
        assert f"== {case_id} (added)" in first.stdout
        assert f"== {case_id} (already there)" in second.stdout
        assert section(first.stdout, case_id) == section(second.stdout, case_id).replace(
            "(already there)", "(added)"
        )
    assert "stage successful" in section(first.stdout, "DEMO-0001")
    assert "stage unsuccessful" in section(first.stdout, "DEMO-0002")
    assert "stage withdrawn" in section(first.stdout, "DEMO-0003")
    late = section(first.stdout, "DEMO-0004")
    assert "PLACE_OFFER" in late
    assert "BREACHED" in late
    assert "school days late" in late
    assert "Obligations still open:" in late
    assert "Robin Ashdown (ap_head, Larkspur Learning Centre)" in first.stdout


def test_the_database_can_come_from_the_environment(tmp_path: Path) -> None:
    """RFSM_DATABASE_URL names the database when --db is not given; JSON output parses."""
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    assert run("demo", cwd=tmp_path, env={"RFSM_DATABASE_URL": url}).returncode == 0
    assert not (tmp_path / "reintegration.sqlite").exists()
    listed = run(
        "due",
        "--on",
        "2026-12-31",
        "--format",
        "json",
        cwd=tmp_path,
        env={"RFSM_DATABASE_URL": url},
    )
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    # DEMO-0003 was withdrawn: its place offer no longer binds and it owes nothing else.
    assert {item["case_id"] for item in items} == {"DEMO-0001", "DEMO-0002", "DEMO-0004"}


def test_exit_codes_in_a_subprocess(tmp_path: Path) -> None:
    """0 done, 1 refused (every reason on stderr), 2 bad usage or an unknown case."""
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert run("--db", db, "demo", "--format", "json", cwd=tmp_path).returncode == 0
    unknown = run("--db", db, "history", "NO-SUCH-CASE", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "no case 'NO-SUCH-CASE'" in unknown.stderr
    usage = run("--db", db, "due", "--on", "someday", cwd=tmp_path)
    assert usage.returncode == 2
    assert "someday" in usage.stderr
    refused = run("--db", db, "letter", "DEMO-0001", cwd=tmp_path)
    assert refused.returncode == 1
    assert "no failure letter" in refused.stderr
    assert run("--help", cwd=tmp_path).returncode == 0


# -- help on every command -----------------------------------------------------------------------
def commands(group: click.Group, prefix: Sequence[str] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


@pytest.mark.parametrize("command", list(commands(cli)), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    """`--help` works on every command and says what it does."""
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert len(result.stdout.splitlines()) > 3


def test_the_help_says_which_commands_create_the_schema() -> None:
    """The top-level help said "The schema is created on first use", but only the commands that
    add cases (and `db upgrade`) create it; every other command refuses a database without
    one (review N, N6)."""
    result = CliRunner().invoke(cli, ["--help"], env={"RFSM_DATABASE_URL": None})
    assert result.exit_code == 0
    said = " ".join(result.stdout.split())
    assert "created on first use" not in said
    assert "`apply ... open`, `import`, `demo` and `db upgrade` create the schema" in said


# -- the group's options, given after the command ------------------------------------------------
def as_officer(*args: str) -> Result:
    """Run the command in-process under its own name, as an officer's shell runs it."""
    return CliRunner().invoke(
        cli,
        list(args),
        prog_name="reintegration-fsm",
        env=dict.fromkeys(("RFSM_DATABASE_URL", "RFSM_CALENDAR", "RFSM_AUTHORITY")),
    )


def line_shown(result: Result) -> list[str]:
    """The command line a message says to run instead, as the shell would split it."""
    said = " ".join(result.stderr.split())
    assert "put it before the command: " in said or "before the command: " in said, said
    return shlex.split(said.rsplit("before the command: ", 1)[1])


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        (
            ["timeline", "DEMO-0001", "--calendar", "sample"],
            ["--calendar", "sample", "timeline", "DEMO-0001"],
        ),
        (
            ["report", "--calendar", "sample", "--format", "json"],
            ["--calendar", "sample", "report", "--format", "json"],
        ),
        (
            ["apply", "DEMO-0004", "discharge", "--calendar=sample", "--role", "ap_staff"],
            ["--calendar=sample", "apply", "DEMO-0004", "discharge", "--role", "ap_staff"],
        ),
        (
            ["db", "upgrade", "--protocol", "exampleshire.toml"],
            ["--protocol", "exampleshire.toml", "db", "upgrade"],
        ),
        (
            ["verify", "--authority", "Exampleshire County Council"],
            ["--authority", "Exampleshire County Council", "verify"],
        ),
        (["history", "DEMO-0001", "--protocol"], ["--protocol", "FILE", "history", "DEMO-0001"]),
    ],
    ids=["timeline", "report", "apply", "db-upgrade", "authority", "no-value"],
)
def test_a_group_option_after_the_command_says_to_put_it_before(
    demo_db: str, given: list[str], meant: list[str]
) -> None:
    """`timeline DEMO-0001 --calendar sample`, the slip every newcomer makes, got click's bare
    "No such option" (for `report`, "Did you mean '--year'?"): it now says the option goes
    before the command, with the command line that does that (review N, N3)."""
    result = as_officer("--db", demo_db, *given)
    assert result.exit_code == 2
    name = meant[0].split("=")[0]
    said = " ".join(result.stderr.split())
    assert f"{name} is an option of reintegration-fsm itself" in said, said
    assert "Did you mean" not in said
    assert line_shown(result) == ["reintegration-fsm", "--db", demo_db, *meant]


def test_the_command_line_shown_runs(demo_db: str) -> None:
    """The line shown is the command the user meant: run as shown, it works."""
    refused = as_officer("--db", demo_db, "timeline", "DEMO-0001", "--calendar", "sample")
    shown = line_shown(refused)
    assert shown[0] == "reintegration-fsm"
    result = CliRunner().invoke(cli, shown[1:], env={"RFSM_CALENDAR": None})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Case DEMO-0001: ")


def test_a_group_option_given_on_both_sides_of_the_command_is_shown_once(demo_db: str) -> None:
    """`--db A due --db B`: the line shown names the database once, the one given after the
    command, and the message says it was given before the command too."""
    result = as_officer("--db", demo_db, "due", "--db", "other.sqlite")
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "given before the command too" in said, said
    assert line_shown(result) == ["reintegration-fsm", "--db", "other.sqlite", "due"]
    again = as_officer("--db", demo_db, "due", "--db", demo_db)
    assert line_shown(again) == ["reintegration-fsm", "--db", demo_db, "due"]


def test_the_command_line_shown_hides_a_database_password() -> None:
    """A database URL's password is never printed, here as everywhere (`***`)."""
    url = "postgresql+psycopg://officer:hunter2@db.example.invalid/cases"
    result = as_officer("due", "--db", url)
    assert result.exit_code == 2
    assert "hunter2" not in result.output
    assert line_shown(result) == [
        "reintegration-fsm",
        "--db",
        "postgresql+psycopg://officer:***@db.example.invalid/cases",
        "due",
    ]


def test_a_commands_own_option_of_a_group_options_name_is_its_own(demo_db: str) -> None:
    """`due --authority` and `calendar add-school-days ... --calendar` are the commands' own
    options, taken as ever."""
    due = as_officer(
        "--db", demo_db, "due", "--authority", "Exampleshire County Council", "--on", "2026-03-31"
    )
    assert due.exit_code == 0, due.output
    days = as_officer(
        "--db", demo_db, "calendar", "add-school-days", "2026-03-02", "5", "--calendar", "sample"
    )
    assert days.exit_code == 0, days.output


def test_timeline_help_says_where_the_calendar_goes() -> None:
    """`timeline --help` read "when a calendar is given (--calendar)", as if an option of
    `timeline`; it says, as `due --help` does, that it goes before the command."""
    result = CliRunner().invoke(cli, ["timeline", "--help"])
    assert result.exit_code == 0
    assert "--calendar before the command, or RFSM_CALENDAR" in " ".join(result.stdout.split())


# -- due, history, verify ------------------------------------------------------------------------
def test_due_lists_the_soonest_first_and_undated_obligations_last(demo_db: str) -> None:
    """`due --format json` is soonest first, with obligations without a date at the end."""
    items = json_out(invoke(demo_db, "due", "--on", "2026-12-31", "--format", "json"))
    dated = [item["due"] for item in items if item["due"] is not None]
    assert dated == sorted(dated)
    assert dated
    first_undated = next(i for i, item in enumerate(items) if item["due"] is None)
    assert all(item["due"] is None for item in items[first_undated:])
    assert {"case_id", "kind", "due", "item", "owner", "status"} <= set(items[0])
    assert items[0]["status"] == "overdue"


def test_due_as_csv_parses_and_can_be_scoped_to_an_authority(demo_db: str) -> None:
    """CSV output reads back with the csv module; an authority holding no case is told so (an
    empty list would read as nothing to do)."""
    result = invoke(demo_db, "due", "--on", "2026-12-31", "--format", "csv")
    assert result.exit_code == 0
    rows = csv_rows(result)
    assert rows
    assert {"due", "status", "case_id", "item", "kind", "owner"} <= set(rows[0])
    other = invoke(demo_db, "due", "--authority", "Nowhere Borough Council", "--format", "json")
    assert other.exit_code == 2
    assert json.loads(other.stdout)["error"] == "no cases for authority 'Nowhere Borough Council'"
    table_out = invoke(demo_db, "due", "--authority", "Nowhere Borough Council")
    assert table_out.exit_code == 2
    assert "no cases for authority 'Nowhere Borough Council'" in table_out.stderr


def test_history_as_table_json_and_csv(demo_db: str) -> None:
    """`history` shows every transition; JSON holds the forms; CSV parses."""
    transitions = json_out(invoke(demo_db, "history", "DEMO-0003", "--format", "json"))
    assert [t["trigger"] for t in transitions] == [
        "open",
        "record_consent",
        "refer_to_fair_access",
        "note_at_panel",
        "withdraw",
    ]
    assert transitions[1]["data"]["form"]["parent_name"] == "Pat Sampleton"
    human = invoke(demo_db, "history", "DEMO-0003")
    assert "refer_to_fair_access" in human.stdout
    assert "Pat Sampleton" in human.stdout
    rows = csv_rows(invoke(demo_db, "history", "DEMO-0003", "--format", "csv"))
    assert [row["seq"] for row in rows] == ["1", "2", "3", "4", "5"]


def test_timeline_of_one_case(demo_db: str) -> None:
    """`timeline` tells a case's story and its open obligations."""
    result = invoke(demo_db, "timeline", "DEMO-0002")
    assert result.exit_code == 0
    assert "called an emergency review" in result.stdout
    assert "DELETE_FROM_ROLL (host, opened 2026-03-04, due 2026-03-05)" in result.stdout


def test_a_review_recorded_after_the_day_it_was_held_is_told_and_exported(
    tmp_path: Path,
) -> None:
    """A review held on Friday 6 March and typed in on Monday 9 March meets its deadline on the
    day it was held (edition 3), and the timeline looked for a deadline met on the day of the
    step: `timeline`, `export` and `export --all` failed with "unexpected StopIteration", exit
    70, for that case and the whole database (review O, O1)."""
    case = stages.in_placement()
    case.hold_review(
        scenario.review(scenario.FIRST_REVIEW),
        by=scenario.HOST_HEAD,
        on=scenario.FIRST_REVIEW + dt.timedelta(days=3),
    )
    url = f"sqlite:///{tmp_path / 'late.sqlite'}"
    with SqlAlchemyStore(url, calendar=stages.CALENDAR) as store:
        store.create_schema()
        store.save(case)
    due = case.deadlines[1]
    assert (due.kind.value, due.met_on) == ("first_review", scenario.FIRST_REVIEW)
    told = invoke(url, "timeline", case.case_id)
    assert told.exit_code == 0, told.output
    assert re.search(
        f"2026-03-09  {scenario.HOST_HEAD.name} \\(host_head, {scenario.HOST_SCHOOL}\\) held the "
        "interim review: decision continue\n"
        "              entered [0-9-]{10} [0-9:]{5} [^,]+, after the day it is dated\n"
        f"              deadline met: FIRST_REVIEW \\(due {due.due}\\) on time\n",
        told.stdout,
    )
    found = json_out(invoke(url, "timeline", case.case_id, "--format", "json"))
    review = next(t for t in found["steps"] if t["trigger"] == "hold_review")
    assert [(m["kind"], m["met_on"]) for m in review["deadlines_met"]] == [
        ("first_review", "2026-03-06")
    ]
    for args in (("export", case.case_id), ("export", "--all")):
        exported = invoke(url, *args)
        assert exported.exit_code == 0, exported.output


def test_two_open_obligations_of_one_kind_are_told_apart_by_when_they_were_opened(
    demo_db: str, tmp_path: Path
) -> None:
    """DEMO-0002 owes the paperwork twice (after the emergency review and after the outcome):
    the timeline dates each, and a discharge closes the older one."""
    paperwork = "SEND_PAPERWORK_TO_ADMISSIONS (ap, opened"

    def open_paperwork() -> tuple[list[str], list[str | None]]:
        text = invoke(demo_db, "timeline", "DEMO-0002").stdout
        still_open = text[text.index("Obligations still open:") :]
        lines = [line.strip() for line in still_open.splitlines() if paperwork in line]
        found = json_out(invoke(demo_db, "timeline", "DEMO-0002", "--format", "json"))
        days = [
            o["opened_on"]
            for o in found["obligations_open"]
            if o["kind"] == "send_paperwork_to_admissions"
        ]
        return lines, days

    lines, days = open_paperwork()
    assert lines == [
        "SEND_PAPERWORK_TO_ADMISSIONS (ap, opened 2026-03-04)",
        "SEND_PAPERWORK_TO_ADMISSIONS (ap, opened 2026-03-05)",
    ]
    assert days == ["2026-03-04", "2026-03-05"]
    data = write(tmp_path / "discharge.json", {"kind": "send_paperwork_to_admissions"})
    done = invoke(
        demo_db,
        "apply",
        "DEMO-0002",
        "discharge",
        "--data",
        data,
        *AP[:-1],
        "Larkspur Learning Centre",
        "--on",
        "2026-03-06",
    )
    assert done.exit_code == 0, done.output
    assert open_paperwork() == (
        ["SEND_PAPERWORK_TO_ADMISSIONS (ap, opened 2026-03-05)"],
        ["2026-03-05"],
    )


def test_verify_is_quiet_when_sound_and_exits_1_after_tampering(demo_db: str) -> None:
    """Editing a stored transition behind the store's back is found, listed, and exits 1."""
    sound = invoke(demo_db, "verify")
    assert sound.exit_code == 0, sound.output
    assert "sound" in sound.stdout
    assert json_out(invoke(demo_db, "verify", "--format", "json")) == []
    tamper(
        demo_db,
        "UPDATE rfsm_transitions SET data = replace(data, 'Mina', 'Nina') "
        "WHERE case_id = 'DEMO-0001' AND seq = 2",
    )
    tampered = invoke(demo_db, "verify", "--format", "json")
    assert tampered.exit_code == 1
    problems = json.loads(tampered.stdout)
    assert {p["case_id"] for p in problems} == {"DEMO-0001"}
    assert any(p["seq"] == 2 for p in problems)
    assert "problem(s) found" in tampered.stderr
    human = invoke(demo_db, "verify")
    assert human.exit_code == 1
    assert "DEMO-0001" in human.stdout


def test_verify_says_on_stderr_how_much_it_checked_and_how_fast(demo_db: str) -> None:
    """One line at the end, on stderr: stdout stays the verdict (or the problems)."""
    sound = invoke(demo_db, "verify")
    assert sound.exit_code == 0, sound.output
    with SqlAlchemyStore(demo_db) as store:
        cases = len(store.cases())
        transitions = sum(len(c.history) for c in store.load_all())
    assert re.fullmatch(
        rf"checked {cases:,} cases, {transitions:,} transitions in \d+\.\d s "
        r"\([\d,]+ transitions/s\)\n",
        sound.stderr,
    )
    assert "checked" not in sound.stdout
    assert "checked" not in invoke(demo_db, "verify", "--format", "json").stdout


def test_verify_in_workers_prints_what_verify_alone_prints(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--workers 2` (a batch per case here, so the four cases make ranges for two processes)
    lists the same problems and counts the same cases and transitions."""
    monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 1)
    spread = parallel.spread
    spans: list[int] = []

    def counted_spread(work: Any, given: Sequence[Any], *args: Any) -> Any:
        spans.append(len(given))
        return spread(work, given, *args)

    monkeypatch.setattr(parallel, "spread", counted_spread)
    with raw_sqlite(demo_db.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE rfsm_cases SET stage = 'withdrawn' WHERE case_id = 'DEMO-0002'")
    alone = invoke(demo_db, "verify")
    side_by_side = invoke(demo_db, "verify", "--workers", "2")
    assert alone.exit_code == side_by_side.exit_code == 1
    assert "DEMO-0002" in alone.stdout
    assert side_by_side.stdout == alone.stdout
    assert spans == [4]  # the second run only, a range per case

    def counted(result: Result) -> str:
        return result.stderr.partition(" in ")[0]

    assert counted(side_by_side) == counted(alone)
    assert counted(alone).startswith("checked 4 cases, ")


# -- diagram and calendar ------------------------------------------------------------------------
def test_diagram_is_the_tables_own() -> None:
    """`diagram` prints the Mermaid or DOT derived from the transition table."""
    assert CliRunner().invoke(cli, ["diagram"]).stdout == diagrams.mermaid()
    assert CliRunner().invoke(cli, ["diagram", "--format", "dot"]).stdout == diagrams.dot()
    assert CliRunner().invoke(cli, ["diagram", "--format", "png"]).exit_code == 2


def test_calendar_add_school_days_on_the_sample_and_on_a_file(tmp_path: Path) -> None:
    """Twenty school days across a half term and an INSET day; a user's own TOML file."""
    runner = CliRunner()
    sample = runner.invoke(
        cli, ["calendar", "add-school-days", "2025-10-20", "20", "--calendar", "sample"]
    )
    assert sample.stdout.strip() == "2025-11-25"
    toml = tmp_path / "terms.toml"
    toml.write_text(
        'source = "Invented test terms"\n[[term]]\nfirst_day = 2026-01-05\nlast_day = 2026-01-30\n',
        encoding="utf-8",
    )
    own = runner.invoke(
        cli, ["calendar", "add-school-days", "2026-01-09", "5", "--calendar", str(toml)]
    )
    assert own.stdout.strip() == "2026-01-16"
    between = runner.invoke(
        cli,
        ["calendar", "school-days-between", "2026-01-09", "2026-01-16", "--calendar", str(toml)],
    )
    assert between.stdout.strip() == "5"


@pytest.mark.parametrize(
    "args",
    [
        ["calendar", "add-school-days", "2030-01-01", "3", "--calendar", "sample"],
        ["calendar", "add-school-days", "2026-01-05", "3", "--calendar", "missing.toml"],
        ["calendar", "add-school-days", "2026-01-05", "-3", "--calendar", "sample"],
        ["calendar", "add-school-days", "2026-01-05", "3"],
    ],
    ids=["outside-the-calendar", "no-such-file", "negative", "no-calendar"],
)
def test_calendar_bad_input_exits_2(args: list[str], tmp_path: Path) -> None:
    """A date the calendar does not know, a missing file or bad usage exit 2."""
    result = CliRunner().invoke(cli, args, env={"RFSM_CALENDAR": None})
    assert result.exit_code == 2, result.output


def test_suggesting_reviews_past_the_last_date_python_has_is_bad_input(tmp_path: Path) -> None:
    """A term running to 9999-12-31: six weeks from its last days fall past `date.max`, which
    the message once tried to print (exit 70); it is the calendar's refusal, exit 2, and now
    the calendar's refusal to count a year whose bank holidays are not known."""
    toml = tmp_path / "terms.toml"
    toml.write_text(
        'source = "Invented test terms"\n[[term]]\nfirst_day = 9999-09-01\nlast_day = 9999-12-31\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["--calendar", str(toml), "calendar", "suggest-reviews", "9999-12-20"]
    )
    assert result.exit_code == 2, result.output
    assert "bank holidays of 9999 are not known" in result.stderr
    assert "bug" not in result.stderr


def test_a_bad_term_dates_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    """A malformed calendar file is bad input, and the message says where."""
    toml = tmp_path / "bad.toml"
    toml.write_text('source = "x"\n[[terms]]\nfirst_day = 2026-01-05\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["calendar", "add-school-days", "2026-01-05", "3", "--calendar", str(toml)]
    )
    assert result.exit_code == 2
    assert "bad.toml" in result.stderr


def test_inputs_saved_with_a_byte_order_mark_are_read(opened: str, tmp_path: Path) -> None:
    """Notepad's "UTF-8 with BOM": a term-dates file was "not valid TOML: Invalid statement
    (at line 1, column 1)" and a data file "not valid JSON"; the mark is not part of the text."""
    terms = tmp_path / "terms.toml"
    terms.write_bytes(
        b"\xef\xbb\xbfsource = 'Invented test terms'\n"
        b"[[term]]\nfirst_day = 2026-01-05\nlast_day = 2026-01-30\n"
    )
    counted = CliRunner().invoke(
        cli, ["--calendar", str(terms), "calendar", "add-school-days", "2026-01-09", "5"]
    )
    assert counted.exit_code == 0, counted.output
    assert counted.stdout.strip() == "2026-01-16"
    reason = tmp_path / "withdraw.json"
    reason.write_bytes(b"\xef\xbb\xbf" + json.dumps({"reason": "moving away"}).encode())
    parent = ["--actor-id", "p-1", "--actor-name", "Pat Invented", "--role", "parent"]
    withdrawn = invoke(opened, "apply", "C-1", "withdraw", "--data", str(reason), *parent)
    assert withdrawn.exit_code == 0, withdrawn.output


NOT_UTF8 = 'source = "Ecole Sainte-Th\xe9r\xe8se"\n'.encode("latin-1")
"""A term-dates file saved as Latin-1, as an old Windows editor would: not UTF-8."""


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_a_term_dates_file_that_is_not_utf8_is_bad_input(tmp_path: Path, given_by: str) -> None:
    """Not UTF-8 (by --calendar or RFSM_CALENDAR): exit 2 naming the file and why, no bug."""
    latin = tmp_path / "latin.toml"
    latin.write_bytes(NOT_UTF8)
    command = ["calendar", "add-school-days", "2026-01-05", "3"]
    if given_by == "option":
        result = CliRunner().invoke(cli, ["--calendar", str(latin), *command])
    else:
        result = CliRunner().invoke(cli, command, env={"RFSM_CALENDAR": str(latin)})
    assert result.exit_code == 2, result.output
    assert f"{latin}, line 1: not UTF-8 text" in result.stderr
    assert "bug" not in result.stderr


def test_a_calendar_path_that_is_a_folder_is_bad_input(tmp_path: Path) -> None:
    """A folder given as the calendar: exit 2 naming it."""
    result = CliRunner().invoke(
        cli, ["--calendar", str(tmp_path), "calendar", "add-school-days", "2026-01-05", "3"]
    )
    assert result.exit_code == 2, result.output
    assert f"calendar file {str(tmp_path)!r}: Is a directory" in result.stderr


def test_a_calendar_file_that_cannot_be_read_is_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A term-dates file its reader may not open: exit 2 naming it and saying why. (Mode 000
    stops any user but root, who runs CI: its reading is refused as the system refuses it.)"""
    hidden = tmp_path / "hidden.toml"
    hidden.write_text('source = "x"\n', encoding="utf-8")
    opened = os.open

    def refused(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(path) == str(hidden):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    result = CliRunner().invoke(
        cli, ["--calendar", str(hidden), "calendar", "add-school-days", "2026-01-05", "3"]
    )
    assert result.exit_code == 2, result.output
    assert f"calendar file {str(hidden)!r}: Permission denied" in result.stderr


# -- letter, export, render ----------------------------------------------------------------------
def test_letter_of_the_ended_case(demo_db: str) -> None:
    """`letter` prints the failure letter, every placeholder filled."""
    result = invoke(demo_db, "letter", "DEMO-0002")
    assert result.exit_code == 0
    # Dated the day of the emergency review that ended the placement, then addressed.
    assert result.stdout.startswith("4 March 2026\n\nDear Bea Placeholder\n")
    assert "(Name of" not in result.stdout
    assert "(date)" not in result.stdout


def test_a_letter_for_a_case_with_no_placement_to_end_exits_2_with_the_reason(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure letter a successful case somehow holds (an MIS's mix-up, review M, M3) is not
    printed: the refusal (`FormInvalid`) is the message, exit 2, no traceback."""
    with SqlAlchemyStore(demo_db, calendar=SchoolCalendar.sample()) as store:
        written = store.load("DEMO-0002").failure_letter
    assert written is not None
    monkeypatch.setattr(Reintegration, "failure_letter", property(lambda _: written))
    result = invoke(demo_db, "letter", "DEMO-0001")
    assert result.exit_code == 2, result.output
    assert "render.case: the reintegration ended successfully" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_export_holds_every_record_about_the_child(demo_db: str) -> None:
    """`export` gives state, deadlines, obligations and the full history with its forms."""
    exported = json_out(invoke(demo_db, "export", "DEMO-0004"))
    assert exported["case_id"] == "DEMO-0004"
    assert exported["stage"] == Stage.HOST_IDENTIFIED.value
    assert exported["pupil"]["name"] == "Morgan Exemplar"
    (offer,) = exported["deadlines"]
    assert offer["kind"] == "place_offer"
    assert offer["breached"] is True
    assert {o["kind"] for o in exported["obligations"]} == {
        "share_information_with_host",
        "offer_visit",
    }
    assert len(exported["history"]) == history_length(demo_db, "DEMO-0004")
    assert exported["history"][1]["data"]["form"]["parent_name"] == "Sky Exemplar"


def test_render_prints_the_forms(demo_db: str, tmp_path: Path) -> None:
    """`render` gives HTML by default, text with --text, and can write a file."""
    html = invoke(demo_db, "render", "DEMO-0002")
    assert html.stdout.startswith("<!DOCTYPE html>")
    assert "Reintegration Emergency Review Meeting" in html.stdout
    text = invoke(demo_db, "render", "DEMO-0002", "--text")
    assert "UNSUCCESSFUL REINTEGRATION OUTCOME FORM" in text.stdout
    assert "<" not in text.stdout
    out = tmp_path / "forms.html"
    assert invoke(demo_db, "render", "DEMO-0001", "-o", str(out)).exit_code == 0
    assert "SUCCESSFUL Reintegration Outcome Form" in out.read_text(encoding="utf-8")


# -- import --------------------------------------------------------------------------------------
def test_exported_cases_import_into_another_database(
    demo_db: str, empty_db: str, tmp_path: Path
) -> None:
    """What `export` writes, `import` reads: the same histories, in one go."""
    exports = [json_out(invoke(demo_db, "export", case_id)) for case_id in IDS]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(exports), encoding="utf-8")
    result = invoke(empty_db, "import", str(bundle))
    assert result.exit_code == 0, result.output
    assert "imported 4 case(s)" in result.stdout
    for case_id in IDS:
        assert json_out(invoke(empty_db, "history", case_id, "--format", "json")) == json_out(
            invoke(demo_db, "history", case_id, "--format", "json")
        )
    assert invoke(empty_db, "verify").exit_code == 0
    again = invoke(empty_db, "import", str(bundle))  # as after a lost reply: nothing to add
    assert again.exit_code == 0, again.output
    assert "imported 0 case(s), 0 transition(s); 4 already stored" in again.stdout
    assert invoke(empty_db, "verify").exit_code == 0


def test_a_history_imports_from_stdin(demo_db: str, empty_db: str) -> None:
    """`history --format json` output is importable too."""
    history = invoke(demo_db, "history", "DEMO-0003", "--format", "json").stdout
    result = invoke(empty_db, "import", "-", input=history)
    assert result.exit_code == 0, result.output
    assert history_length(empty_db, "DEMO-0003") == 5


def test_stdin_is_read_as_utf8_whatever_its_encoding(demo_db: str, empty_db: str) -> None:
    """`import -` where stdin decodes as cp1252 (a Windows pipe, or PYTHONIOENCODING): the
    export's UTF-8 "Siân" was imported as "SiÃ¢n", silently. Stdin is UTF-8, as a file is."""
    exported = json_out(invoke(demo_db, "export", "DEMO-0003"))
    for transition in exported["history"]:
        data = transition["data"]
        if "pupil" in data:
            data["pupil"]["name"] = "Siân Invented"
        if "child_name" in data.get("form", {}):
            data["form"]["child_name"] = "Siân Invented"
    piped = json.dumps(exported, ensure_ascii=False).encode("utf-8")
    result = CliRunner(charset="cp1252").invoke(
        cli, ["--db", empty_db, "import", "-"], input=piped, env={"RFSM_CALENDAR": None}
    )
    assert result.exit_code == 0, result.output
    listed = json_out(invoke(empty_db, "cases", "--format", "json"))
    assert [row["child"] for row in listed] == ["Siân Invented"]


def test_output_is_utf8_whatever_the_locales_encoding(empty_db: str, tmp_path: Path) -> None:
    """Run as on a Windows pipe (stdout cp1252): the CSV's byte order mark and a name cp1252
    cannot write ("Łukasz") made every `cases --format csv` and that case's export exit 70. The
    output is UTF-8, as documented, and the export imports back."""
    data = write(
        tmp_path / "open.json",
        {
            "pupil": {**unstructure(scenario.PUPIL), "name": "Łukasz Invented"},
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    opened = invoke(empty_db, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    assert opened.exit_code == 0, opened.output
    cp1252 = {"PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}
    listed = run("--db", empty_db, "cases", "--format", "csv", cwd=tmp_path, env=cp1252)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("\ufeffcase_id,")
    assert "C-1,Łukasz Invented," in listed.stdout
    exported = run("--db", empty_db, "export", "C-1", cwd=tmp_path, env=cp1252)
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "c1.json").write_text(exported.stdout, encoding="utf-8")
    again = f"sqlite:///{tmp_path / 'again.sqlite'}"
    assert invoke(again, "import", str(tmp_path / "c1.json")).exit_code == 0


def test_an_invalid_import_changes_nothing_and_lists_every_reason(
    demo_db: str, empty_db: str, tmp_path: Path
) -> None:
    """One bad history among good ones: exit 2, every problem printed, nothing imported."""
    good = json_out(invoke(demo_db, "export", "DEMO-0001"))
    skipped = json_out(invoke(demo_db, "export", "DEMO-0002"))
    del skipped["history"][3]
    bad_role = json_out(invoke(demo_db, "export", "DEMO-0003"))
    bad_role["history"][1]["actor"]["role"] = "wizard"
    file = tmp_path / "mixed.json"
    file.write_text(json.dumps([good, skipped, bad_role]), encoding="utf-8")
    result = invoke(empty_db, "import", str(file))
    assert result.exit_code == 2
    assert "DEMO-0002" in result.stderr
    assert "does not replay" in result.stderr
    assert "transition 2: Transition.actor.role: 'wizard' is not a Role (one of: ap_head" in (
        result.stderr
    )
    assert no_store_made(empty_db)


@pytest.mark.parametrize(
    "content",
    ['{"history": ', "[]", '{"cases": 3}', '"just text"', "[1, 2]"],
    ids=["truncated", "empty", "no-history", "text", "numbers"],
)
def test_import_refuses_what_is_not_a_history(content: str, empty_db: str, tmp_path: Path) -> None:
    """Bad JSON, or JSON that holds no history, exits 2."""
    file = tmp_path / "bad.json"
    file.write_text(content, encoding="utf-8")
    result = invoke(empty_db, "import", str(file))
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")


def test_a_failed_import_leaves_no_store_it_made(
    demo_db: str, empty_db: str, tmp_path: Path
) -> None:
    """An import refused into a new SQLite file removed the file it made: an empty store was
    left behind, passing for one the user meant to keep."""
    bad = json_out(invoke(demo_db, "export", "DEMO-0002"))
    del bad["history"][3]
    file = write(tmp_path / "bad.json", bad)
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 2, result.output
    assert "does not replay" in result.stderr
    assert no_store_made(empty_db)


def test_an_import_failing_as_it_writes_leaves_no_store_it_made(
    demo_db: str, empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database failing part way through an import into a new file: exit 3, and no file."""
    file = write(tmp_path / "one.json", json_out(invoke(demo_db, "export", "DEMO-0001")))

    def fail(*_: Any, **__: Any) -> int:
        raise StoreError("the disk is full", retryable=False)

    monkeypatch.setattr(SqlAlchemyStore, "import_histories", fail)
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 3, result.output
    assert no_store_made(empty_db)


def test_an_import_is_all_or_nothing_whatever_its_size(
    demo_db: str, empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`import` promises all or nothing, but wrote histories in batches of 2,000 cases, each
    its own transaction: a failure in a later batch left the earlier ones written. (Batches of
    one here, and the second case's refused by the database.) It is one transaction now, of
    as many batches as it takes."""
    exports = [json_out(invoke(demo_db, "export", case_id)) for case_id in IDS[:2]]
    file = write(tmp_path / "two.json", exports)
    monkeypatch.setattr(importing, "IMPORT_BATCH", 1)
    insert_rows = bulk.insert_rows

    def failing(conn: Any, batch: Any) -> None:
        if any(prepared.case_id == IDS[1] for prepared in batch):
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
        insert_rows(conn, batch)

    monkeypatch.setattr(bulk, "insert_rows", failing)
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 3, result.output
    assert "nothing imported" in result.stderr
    assert f"The case that failed: {IDS[1]}." in result.stderr
    assert no_store_made(empty_db)


def test_an_import_of_one_case_the_database_refuses_names_it(
    demo_db: str, empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error of a failed import names the case, when the store knows which (one case)."""
    file = write(tmp_path / "one.json", json_out(invoke(demo_db, "export", IDS[2])))

    def failing(conn: Any, batch: Any) -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(bulk, "insert_rows", failing)
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 3, result.output
    assert f"The case that failed: {IDS[2]}." in result.stderr
    assert f"could not import case {IDS[2]!r}" in result.stderr


def test_an_import_losing_a_race_to_another_writer_says_nothing_was_imported(
    demo_db: str, empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer storing one of the file's cases between the import's check and its write
    (two imports of one file at once): the import said the store's words for `save()`, and
    to load the case and retry, which an import cannot do (its id is taken now). It says that
    nothing was imported from the file and which case the other writer stored, exit 1."""
    file = write(tmp_path / "one.json", json_out(invoke(demo_db, "export", IDS[2])))
    history = json_out(invoke(demo_db, "history", IDS[2], "--format", "json"))
    other = write(tmp_path / "other.json", history[:3])  # another history of the id
    assert invoke(empty_db, "import", other).exit_code == 0  # the other writer
    monkeypatch.setattr(SqlAlchemyStore, "taken", lambda self, ids: set())  # checked before it
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"error: nothing imported from {file}: another writer stored case {IDS[2]!r} meanwhile"
    )
    assert "retry" not in result.stderr
    assert "save()" not in result.stderr
    assert case_count(empty_db) == 1


def test_an_import_losing_a_race_the_database_caught_says_nothing_was_imported(
    demo_db: str, empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the database refuses a duplicate row of a batch (as MariaDB does in a race), the
    import does not know which case: it says nothing was imported and that another writer
    stored one of its cases, not to load "it" again and retry."""
    file = write(
        tmp_path / "two.json", [json_out(invoke(demo_db, "export", case)) for case in IDS[:2]]
    )

    def race(*_: Any, **__: Any) -> int:
        raise ConcurrentUpdate("", 0, None)

    monkeypatch.setattr(SqlAlchemyStore, "import_histories", race)
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"error: nothing imported from {file}: another writer stored one of its cases meanwhile"
    )
    assert "retry" not in result.stderr


def test_a_failed_import_keeps_a_store_that_was_there(demo_db: str, tmp_path: Path) -> None:
    """The file is removed only when the command made it: an existing store and its cases stay."""
    before = case_count(demo_db)
    bad = json_out(invoke(demo_db, "export", "DEMO-0002"))
    del bad["history"][3]
    bad["case_id"] = "NEW-1"
    result = invoke(demo_db, "import", write(tmp_path / "bad.json", bad))
    assert result.exit_code == 2, result.output
    assert case_count(demo_db) == before
    empty = f"sqlite:///{tmp_path / 'made-before.sqlite'}"
    assert invoke(empty, "db", "upgrade").exit_code == 0
    assert invoke(empty, "import", write(tmp_path / "bad2.json", bad)).exit_code == 2
    assert case_count(empty) == 0


def test_a_store_another_writer_filled_meanwhile_is_kept(
    demo_db: str, empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new file that holds a case when the import fails (another writer's) is not removed."""
    file = write(tmp_path / "one.json", json_out(invoke(demo_db, "export", "DEMO-0001")))
    with SqlAlchemyStore(demo_db) as store:
        other = store.load("DEMO-0003")

    def fail(self: SqlAlchemyStore, *_: Any, **__: Any) -> int:
        with SqlAlchemyStore(empty_db) as another_writer:
            another_writer.save(other)
        raise StoreError("the connection was lost", retryable=True)

    monkeypatch.setattr(SqlAlchemyStore, "import_histories", fail)
    assert invoke(empty_db, "import", file).exit_code == 3
    assert case_count(empty_db) == 1


def test_a_refused_open_leaves_no_store_it_made(empty_db: str, tmp_path: Path) -> None:
    """`apply ... open` refused by R1 on a new database: exit 1, and no empty store left."""
    data = write(
        tmp_path / "open.json",
        {
            "pupil": {**unstructure(scenario.PUPIL), "on_mainstream_roll": True},
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    result = invoke(empty_db, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    assert result.exit_code == 1, result.output
    assert no_store_made(empty_db)


@pytest.mark.skipif(os.name != "posix", reason="symbolic links and file modes as on POSIX")
def test_a_store_made_through_a_link_to_a_missing_file_is_private_and_removed_on_failure(
    tmp_path: Path,
) -> None:
    """`--db link.db` naming a file not made yet: `demo` made the link's target with the
    umask's mode (0644), and a refused `apply ... open` removed only the link, leaving the
    empty store it had made at the target. The target is made 0600; after a failure it is
    removed and the link, which was there before, stays."""
    real = tmp_path / "real"
    real.mkdir()
    shown = tmp_path / "shown.db"
    shown.symlink_to(real / "shown.db")
    previous = os.umask(0o022)
    try:
        assert invoke(f"sqlite:///{shown}", "demo").exit_code == 0
    finally:
        os.umask(previous)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in real.iterdir()} == {"shown.db": 0o600}
    refused = tmp_path / "refused.db"
    refused.symlink_to(real / "refused.db")
    data = write(
        tmp_path / "open.json",
        {
            "pupil": {**unstructure(scenario.PUPIL), "on_mainstream_roll": True},
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    result = invoke(
        f"sqlite:///{refused}", "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12"
    )
    assert result.exit_code == 1, result.output
    assert no_store_made(f"sqlite:///{real / 'refused.db'}")
    assert refused.is_symlink()


def test_import_stays_quiet_in_a_pipe(demo_db: str, tmp_path: Path) -> None:
    """No progress bar when stderr is not a terminal."""
    file = tmp_path / "all.json"
    file.write_text(
        json.dumps([json_out(invoke(demo_db, "export", i)) for i in IDS]), encoding="utf-8"
    )
    result = run(
        "--db", f"sqlite:///{tmp_path / 'piped.sqlite'}", "import", str(file), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("imported 4 case(s), ")


# -- apply ---------------------------------------------------------------------------------------
AP = [
    "--actor-id",
    "ap-1",
    "--actor-name",
    "Morgan Reed",
    "--role",
    "ap_head",
    "--organisation",
    scenario.AP_SETTING,
]


def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


@pytest.fixture
def opened(empty_db: str, tmp_path: Path) -> str:
    """A database with case C-1 opened through `apply open`."""
    data = write(
        tmp_path / "open.json",
        {
            "pupil": unstructure(scenario.PUPIL),
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    result = invoke(empty_db, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    assert result.exit_code == 0, result.output
    return empty_db


def test_apply_drives_a_case_from_json(opened: str, tmp_path: Path) -> None:
    """Consent then referral from JSON files; the referral's deadline uses --calendar."""
    consent = write(tmp_path / "consent.json", {"form": unstructure(scenario.consent())})
    result = invoke(
        opened,
        "apply",
        "C-1",
        "record_consent",
        "--data",
        consent,
        *AP,
        "--on",
        "2026-01-14",
        "--format",
        "json",
    )
    transition = json_out(result)
    assert (transition["seq"], transition["dest"]) == (2, "consented")
    refer = write(
        tmp_path / "refer.json",
        {
            "route": "panel",
            "information": unstructure(scenario.information()),
            "psp": unstructure(scenario.PSP),
        },
    )
    no_calendar = invoke(
        opened, "apply", "C-1", "refer_to_fair_access", "--data", refer, *AP, "--on", "2026-01-19"
    )
    assert no_calendar.exit_code == 2
    assert "--calendar" in no_calendar.stderr
    referred = CliRunner().invoke(
        cli,
        [
            "--db",
            opened,
            "--calendar",
            "sample",
            "apply",
            "C-1",
            "refer_to_fair_access",
            "--data",
            refer,
            *AP,
            "--on",
            "2026-01-19",
        ],
    )
    assert referred.exit_code == 0, referred.output
    assert "consented -> referred" in referred.stdout
    exported = json_out(invoke(opened, "export", "C-1"))
    assert exported["deadlines"][0] == {
        "kind": "place_offer",
        "due": "2026-02-23",
        "met_on": None,
        "breached": False,
    }


def test_apply_says_the_date_it_recorded_the_step_on(opened: str, tmp_path: Path) -> None:
    """The line after a step names its date; a step dated today because --on was left out
    says so on stderr, since the case's later steps cannot be dated before it (R16): typing
    in last month's steps, one without --on locked the case's clock without a word (review N,
    N4)."""
    consent = write(tmp_path / "consent.json", {"form": unstructure(scenario.consent())})
    dated = invoke(
        opened, "apply", "C-1", "record_consent", "--data", consent, *AP, "--on", "2026-01-14"
    )
    assert dated.exit_code == 0, dated.output
    assert (
        dated.stdout
        == "C-1: record_consent accepted, dated 2026-01-14, proposed -> consented (seq 2)\n"
    )
    assert dated.stderr == ""
    today = dt.date.today().isoformat()
    opening = invoke(opened, "apply", "C-2", "open", "--data", str(tmp_path / "open.json"), *AP)
    assert opening.exit_code == 0, opening.output
    assert opening.stdout == f"C-2: open accepted, dated {today}, (new) -> proposed (seq 1)\n"
    said = " ".join(opening.stderr.split())
    assert said.startswith(f"note: dated today, {today}, as no --on was given: the case's later")
    reason = write(tmp_path / "withdraw.json", {"reason": "The family moved away."})
    as_json = invoke(opened, "apply", "C-1", "withdraw", "--data", reason, *AP, "--format", "json")
    assert json_out(as_json)["on"] == today
    assert as_json.stderr == ""  # a script reads the date from the JSON


def _versions(url: str, case_id: str = "C-1") -> int:
    """How many steps the SQLite database at `url` holds for `case_id`."""
    with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM rfsm_transitions WHERE case_id = ?", (case_id,)
            ).fetchone()[0]
        )


@pytest.mark.parametrize(
    ("option", "first", "second"),
    [
        ("--on", "2026-01-14", "2026-01-15"),
        ("--role", "ap_head", "ap_staff"),
        ("--actor-name", "Morgan Reed", "Morgan Reid"),
        ("--organisation", scenario.AP_SETTING, "Another Centre"),
        ("--data", "consent.json", "other.json"),
    ],
)
def test_an_apply_option_given_twice_with_two_values_is_refused(
    opened: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    first: str,
    second: str,
) -> None:
    """`apply ... --on 2026-01-14 ... --on 2026-01-15` (a command line recalled from the
    shell's history, corrected by appending) recorded the step on the last date without a
    word, and a step's date can never be corrected: which was meant is not guessed, as a JSON
    key given twice is not (review O, O3). Exit 2, both values named, nothing written."""
    consent = {"form": unstructure(scenario.consent())}
    for name in ("consent.json", "other.json"):
        write(tmp_path / name, consent)
    given = {
        "--data": "consent.json",
        "--on": "2026-01-14",
        **dict(zip(AP[::2], AP[1::2], strict=True)),
    }
    given[option] = first
    args = [word for pair in given.items() for word in pair]
    monkeypatch.chdir(tmp_path)
    result = invoke(opened, "apply", "C-1", "record_consent", *args, option, second)
    assert result.exit_code == 2, result.output
    shown = " and ".join(shlex.quote(value) for value in (first, second))
    assert (
        f"{option} given twice, {shown}: which was meant would be a guess; give it once"
        in result.stderr
    ), result.stderr
    assert _versions(opened) == 1


def test_an_option_given_twice_with_one_value_is_accepted(opened: str, tmp_path: Path) -> None:
    """The same value given twice is no ambiguity (review O, O3)."""
    consent = write(tmp_path / "consent.json", {"form": unstructure(scenario.consent())})
    result = invoke(
        opened,
        "apply",
        "C-1",
        "record_consent",
        "--data",
        consent,
        *AP,
        "--on",
        "2026-01-14",
        "--on",
        "2026-01-14",
    )
    assert result.exit_code == 0, result.output
    assert _versions(opened) == 2


def test_opening_under_two_protocols_is_refused(empty_db: str, tmp_path: Path) -> None:
    """`apply C-6 open ... --under worcestershire@2 --under worcestershire@3` opened the case
    under the last, for life (review O, O3): refused, and no case (nor store) is made."""
    data = write(
        tmp_path / "open.json",
        {
            "pupil": unstructure(scenario.PUPIL),
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    result = invoke(
        empty_db,
        *("apply", "C-6", "open", "--data", data, *AP, "--on", "2026-01-12"),
        *("--under", "worcestershire@2", "--under", "worcestershire@3"),
    )
    assert result.exit_code == 2, result.output
    assert (
        "--under given twice, worcestershire@2 and worcestershire@3: which was meant would be "
        "a guess; give it once" in result.stderr
    )
    assert not Path(empty_db.removeprefix("sqlite:///")).exists()


def test_the_database_given_twice_before_the_command_is_refused(
    opened: str, tmp_path: Path
) -> None:
    """`--db A --db B cases` read B without a word (review O, O3); a URL's password is not
    shown. The same database twice is accepted."""
    other = "postgresql+psycopg://officer:hunter2@db.example/cases"
    result = CliRunner().invoke(cli, ["--db", other, "--db", opened, "cases"])
    assert result.exit_code == 2, result.output
    assert "--db given twice, " in result.stderr
    assert "hunter2" not in result.output
    assert "officer:***@db.example" in result.stderr
    assert invoke(opened, "--db", opened, "cases").exit_code == 0


def _every_command(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            found = command.get_command(click.Context(command), name)
            assert found is not None
            yield from _every_command(found)


def test_every_option_taking_one_value_refuses_two() -> None:
    """One mechanism for every command (review O, O3): every option is made by `once.option`,
    so that none keeps the last of two values without a word; options that may repeat, flags
    and counts are click's own behaviour."""
    plain = [
        f"{command.name} {'/'.join(param.opts)}"
        for command in _every_command(cli)
        for param in command.params
        if isinstance(param, click.Option)
        and not isinstance(param, once.Once)
        and not (param.is_flag or param.multiple or param.count)
    ]
    assert plain == []


def _sample_calendar_text() -> str:
    """The shipped sample term-dates file's text."""
    path = resources.files("reintegration_fsm") / "data" / "sample_calendar.toml"
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("named", "output_format"),
    [("flag", "text"), ("environment", "text"), ("flag", "json"), ("copied-file", "text")],
)
def test_a_deadline_counted_on_the_sample_calendar_says_so(
    opened: str, tmp_path: Path, named: str, output_format: str
) -> None:
    """`--calendar sample` (or RFSM_CALENDAR=sample, left from trying the examples) set a real
    case's statutory place-offer deadline from the SAMPLE's invented dates without a word
    (review C4). The step is recorded as before, and one line on stderr names the sample; a
    step that counts no school days on it says nothing."""
    consent = write(tmp_path / "consent.json", {"form": unstructure(scenario.consent())})
    consented = CliRunner().invoke(
        cli,
        [
            "--db",
            opened,
            "--calendar",
            "sample",
            "apply",
            "C-1",
            "record_consent",
            "--data",
            consent,
            *AP,
            "--on",
            "2026-01-14",
        ],
        env={"RFSM_CALENDAR": None},
    )
    assert consented.exit_code == 0, consented.output
    assert consented.stderr == ""  # counted nothing on it
    refer = write(
        tmp_path / "refer.json",
        {
            "route": "panel",
            "information": unstructure(scenario.information()),
            "psp": unstructure(scenario.PSP),
        },
    )
    sample_text = _sample_calendar_text()
    copied = tmp_path / "our-terms.toml"
    copied.write_text(sample_text, encoding="utf-8")  # its source still says SAMPLE DATA
    group = {
        "flag": ["--calendar", "sample"],
        "environment": [],
        "copied-file": ["--calendar", str(copied)],
    }[named]
    referred = CliRunner().invoke(
        cli,
        [
            "--db",
            opened,
            *group,
            "apply",
            "C-1",
            "refer_to_fair_access",
            "--data",
            refer,
            *AP,
            "--on",
            "2026-01-19",
            "--format",
            output_format,
        ],
        env={"RFSM_CALENDAR": "sample" if named == "environment" else None},
    )
    assert referred.exit_code == 0, referred.output
    if output_format == "json":
        assert json.loads(referred.stdout)["data"]["deadlines"] == [
            {"kind": "place_offer", "due": "2026-02-23"}
        ]
    else:
        assert referred.stdout == (
            "C-1: refer_to_fair_access accepted, dated 2026-01-19, consented -> referred (seq 3)\n"
        )
    assert referred.stderr.count("\n") == 1
    said = referred.stderr
    assert said.startswith("note: the place_offer deadline 2026-02-23 was counted on the SAMPLE")
    assert "invented" in said
    assert "not for a real child's deadlines" in said


def test_a_deadline_counted_on_an_authoritys_calendar_says_nothing_of_the_sample(
    opened: str, tmp_path: Path
) -> None:
    """The note is the sample's alone: a term-dates file of the authority's own says nothing."""
    sample_text = _sample_calendar_text()
    ours = tmp_path / "anyshire.toml"
    ours.write_text(
        re.sub(r'(?m)^source = ".*"$', 'source = "Anyshire County Council"', sample_text),
        encoding="utf-8",
    )
    consent = write(tmp_path / "consent.json", {"form": unstructure(scenario.consent())})
    refer = write(
        tmp_path / "refer.json",
        {
            "route": "panel",
            "information": unstructure(scenario.information()),
            "psp": unstructure(scenario.PSP),
        },
    )
    for trigger, data, on in (
        ("record_consent", consent, "2026-01-14"),
        ("refer_to_fair_access", refer, "2026-01-19"),
    ):
        result = CliRunner().invoke(
            cli,
            [
                "--db",
                opened,
                "--calendar",
                str(ours),
                "apply",
                "C-1",
                trigger,
                "--data",
                data,
                *AP,
                "--on",
                on,
            ],
            env={"RFSM_CALENDAR": None},
        )
        assert result.exit_code == 0, result.output
        assert result.stderr == ""


def test_a_step_dated_before_the_last_points_to_the_way_on(opened: str, tmp_path: Path) -> None:
    """R16's refusal of a step dated on its true day, after one recorded too late, ends by
    pointing to what can be done (docs/cli.md, "A step recorded with the wrong date"); another
    refusal does not."""
    consent = write(tmp_path / "consent.json", {"form": unstructure(scenario.consent())})
    late = invoke(
        opened, "apply", "C-1", "record_consent", "--data", consent, *AP, "--on", "2026-03-02"
    )
    assert late.exit_code == 0, late.output
    reason = write(tmp_path / "withdraw.json", {"reason": "The family moved away."})
    refused = invoke(
        opened, "apply", "C-1", "withdraw", "--data", reason, *AP, "--on", "2026-01-20"
    )
    assert refused.exit_code == 1, refused.output
    lines = refused.stderr.splitlines()
    assert lines[0] == "error: withdraw refused by the protocol's rules"
    assert lines[1].endswith("time runs forward.")
    said = " ".join(" ".join(lines[2:]).split())
    assert said == (
        "- If the case's last step was recorded with a later date than the day it was taken, "
        'see "A step recorded with the wrong date" in the command line\'s docs (docs/cli.md).'
    )
    docs = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    assert "#### A step recorded with the wrong date" in docs.read_text(encoding="utf-8")
    blank = write(tmp_path / "blank.json", {"reason": " "})
    other = invoke(opened, "apply", "C-1", "withdraw", "--data", blank, *AP, "--on", "2026-03-03")
    assert other.exit_code == 1, other.output
    assert "withdraw refused by the protocol's rules" in other.stderr
    assert "wrong date" not in other.stderr


PARENT_ARGS = ["--actor-id", "parent-1", "--actor-name", "Dana Example", "--role", "parent"]


def test_apply_by_a_parent_with_an_organisation_is_refused_naming_the_option(
    opened: str, tmp_path: Path
) -> None:
    """`apply ... --role parent --organisation "Example family, 4 Model Close"` was accepted,
    and the text kept where no redaction or retention run can remove it (review P, P4). It is
    refused now (NotPermitted's exit 1), the message naming --organisation, never the text;
    the same step without the option is accepted."""
    reason = write(tmp_path / "withdraw.json", {"reason": "We are moving away."})
    before = history_length(opened, "C-1")
    step = ["apply", "C-1", "withdraw", "--data", reason, *PARENT_ARGS, "--on", "2026-01-14"]
    refused = invoke(opened, *step, "--organisation", "Example family, 4 Model Close")
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.stderr.split())
    assert "acts for themselves and gives no organisation" in said
    assert "Leave out --organisation." in said
    assert "Model Close" not in refused.output
    assert history_length(opened, "C-1") == before
    accepted = invoke(opened, *step)
    assert accepted.exit_code == 0, accepted.output
    assert history_length(opened, "C-1") == before + 1


def test_a_refused_trigger_prints_every_reason_and_changes_nothing(
    opened: str, tmp_path: Path
) -> None:
    """Exit 1, each unmet condition on stderr, the history as it was."""
    form = scenario.consent(agrees=False, consent_to_share=False, signed_on=None)
    data = write(tmp_path / "consent.json", {"form": unstructure(form)})
    before = history_length(opened, "C-1")
    result = invoke(
        opened, "apply", "C-1", "record_consent", "--data", data, *AP, "--on", "2026-01-14"
    )
    assert result.exit_code == 1
    assert "record_consent refused" in result.stderr
    assert result.stderr.count("\n  - ") == 3
    assert history_length(opened, "C-1") == before


@pytest.mark.parametrize(
    ("trigger", "role", "code", "message"),
    [
        ("start_placement", "ap_head", 1, "not available in stage 'proposed'"),
        ("withdraw", "host_head", 1, "not permitted"),
    ],
)
def test_apply_refusals_exit_1(
    opened: str, tmp_path: Path, trigger: str, role: str, code: int, message: str
) -> None:
    """A trigger in the wrong stage, or by the wrong role, is refused with exit 1."""
    data = write(
        tmp_path / "d.json", {"reason": "Family moving away."} if trigger == "withdraw" else {}
    )
    args = [a if a != "ap_head" else role for a in AP]
    result = invoke(opened, "apply", "C-1", trigger, "--data", data, *args, "--on", "2026-01-14")
    assert result.exit_code == code
    assert message in result.stderr
    assert history_length(opened, "C-1") == 1


@pytest.mark.parametrize(
    ("trigger", "data", "expected"),
    [
        ("withdraw", {}, "missing 'reason'"),
        ("withdraw", {"reason": 3, "why": "x"}, "takes no argument 'why'"),
        ("record_consent", {"form": {"child_name": "Alex"}}, "ConsentForm"),
        ("discharge", {"kind": "make_tea"}, "'kind'"),
        ("teleport", {}, "unknown trigger 'teleport'"),
    ],
)
def test_apply_bad_data_exits_2(
    opened: str, tmp_path: Path, trigger: str, data: dict[str, Any], expected: str
) -> None:
    """Missing, unknown or malformed arguments are bad input: exit 2, nothing changed."""
    file = write(tmp_path / "d.json", data)
    result = invoke(opened, "apply", "C-1", trigger, "--data", file, *AP, "--on", "2026-01-14")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert history_length(opened, "C-1") == 1


def test_apply_to_an_unknown_case_or_with_bad_json_exits_2(opened: str, tmp_path: Path) -> None:
    """No such case, and a data file that is not JSON, are bad input."""
    data = write(tmp_path / "d.json", {"reason": "Family moving away."})
    assert invoke(opened, "apply", "C-404", "withdraw", "--data", data, *AP).exit_code == 2
    (tmp_path / "bad.json").write_text("{reason", encoding="utf-8")
    bad = invoke(opened, "apply", "C-1", "withdraw", "--data", str(tmp_path / "bad.json"), *AP)
    assert bad.exit_code == 2
    assert "not valid JSON" in bad.stderr


def test_roles_are_the_protocols() -> None:
    """`--role` accepts exactly the protocol's roles."""
    option = next(p for p in cli.commands["apply"].params if p.name == "role")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == [role.value for role in Role]


# -- the exit-code table -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "code"),
    [
        (GuardFailed("record_consent", ["a", "b"]), 1),
        (NotPermitted("withdraw", None, "nope"), 1),
        (IllegalTransition("start_placement", Stage.PROPOSED), 1),
        (ConcurrentUpdate("C-1", 2, 3), 1),
        (FormInvalid("ConsentForm", "agrees", "must be True or False"), 2),
        (CaseNotFound("C-1"), 2),
        (CalendarError("outside"), 2),
        (ProtocolDefinitionError("review_weeks", "must increase"), 2),
        (UnknownProtocol("herefordshire", "2027"), 2),
        (click.UsageError("no such option"), 2),
        (StoreError("the database is locked", retryable=True), 3),
        (OperationalError("SELECT 1", {}, Exception("connection refused")), 3),
        (ZeroDivisionError("anything else"), 70),
    ],
)
def test_errors_map_to_exit_codes(error: Exception, code: int) -> None:
    """Rules refused: 1; bad input: 2; database unavailable: 3; a bug: 70; reasons all kept."""
    failure = failure_from(error)
    assert failure.exit_code == code
    if isinstance(error, GuardFailed):
        assert failure.reasons == ("a", "b")


def test_db_upgrade_before_or_after_first_use(empty_db: str, demo_db: str) -> None:
    """Migrating an empty database, and a database the CLI already created, both work."""
    fresh = invoke(empty_db, "db", "upgrade")
    assert fresh.exit_code == 0, fresh.output
    assert "migrated to head" in fresh.stdout
    assert invoke(empty_db, "due", "--format", "json").exit_code == 0
    assert invoke(demo_db, "db", "upgrade").exit_code == 0
    assert invoke(demo_db, "verify").exit_code == 0


READERS = [
    ("due",),
    ("verify",),
    ("cases",),
    ("history", "DEMO-0001"),
    ("weightings",),
    ("checkpoint",),
    ("report",),
    ("retention", "--on", "2026-01-12"),
    ("timeline", "DEMO-0001"),
    ("export", "DEMO-0001"),
]


@pytest.mark.parametrize("command", READERS, ids=lambda command: command[0])
@pytest.mark.parametrize("form", ["sqlite:///{}", "sqlite:///file:{}?uri=true"])
def test_a_reading_command_on_a_mistyped_path_makes_no_database(
    tmp_path: Path, command: tuple[str, ...], form: str
) -> None:
    """A tired officer's typo: `verify` on a path that holds nothing must not say "sound" (and
    make an empty store there); it names the path and exits 2, and no file appears (named by
    a `file:` URI either)."""
    typo = tmp_path / "reintegraton.sqlite"
    result = invoke(form.format(typo), *command)
    assert result.exit_code == 2, result.output
    assert "no case store there" in result.output  # JSON on stdout for `export`
    assert str(typo) in result.output
    assert not typo.exists()


def test_a_reading_command_on_another_applications_database_leaves_it_alone(
    tmp_path: Path,
) -> None:
    """A database that exists but holds no store (another application's) is not given our
    tables by a read: `verify` exits 2 and the database keeps only its own table."""
    other = tmp_path / "payroll.sqlite"
    with raw_sqlite(other) as conn:
        conn.execute("CREATE TABLE staff (name TEXT)")
    for command in READERS:
        result = invoke(f"sqlite:///{other}", *command)
        assert result.exit_code == 2, (command, result.output)
        assert "no case store there" in result.output  # JSON on stdout for `export`
    with raw_sqlite(other) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"staff"}


def test_commands_that_add_cases_make_the_store_on_a_new_database(
    tmp_path: Path, demo_db: str
) -> None:
    """`import` and `demo` still make the store where there is none (and `apply ... open`: the
    `opened` fixture); another trigger on a new database does not."""
    first = tmp_path / "first.sqlite"
    data = write(tmp_path / "why.json", {"reason": "the placement broke down"})
    refused = invoke(
        f"sqlite:///{first}", "apply", "C-1", "call_emergency_review", "--data", data, *AP
    )
    assert refused.exit_code == 2, refused.output
    assert "no case store there" in refused.stderr
    assert not first.exists()
    bundle = tmp_path / "bundle.json"
    bundle.write_text(invoke(demo_db, "export", "DEMO-0001").stdout, encoding="utf-8")
    imported = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    assert invoke(imported, "import", str(bundle)).exit_code == 0
    assert invoke(imported, "verify").exit_code == 0
    shown = f"sqlite:///{tmp_path / 'shown.sqlite'}"
    assert invoke(shown, "demo").exit_code == 0
    assert invoke(shown, "history", "DEMO-0002").exit_code == 0


@pytest.mark.parametrize("command", [("demo",), ("db", "upgrade"), ("cases",)])
@pytest.mark.parametrize("where", ["folder", "missing-folder"])
def test_a_sqlite_path_that_is_a_folder_or_in_no_folder_is_bad_input(
    tmp_path: Path, command: tuple[str, ...], where: str
) -> None:
    """`--db` naming a folder, or a file in a folder that does not exist: bad input (exit 2)
    naming the path, not "the database is unavailable ... is it running?" (exit 3)."""
    path = tmp_path if where == "folder" else tmp_path / "nowhere" / "cases.sqlite"
    result = invoke(str(path), *command)
    assert result.exit_code == 2, result.output
    assert str(path if where == "folder" else path.parent) in result.stderr
    assert "unavailable" not in result.stderr
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", [("demo",), ("db", "upgrade"), ("cases",), ("verify",)])
def test_a_file_that_is_not_a_sqlite_database_is_bad_input(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`--db` naming yesterday's CSV export instead of the store: bad input (exit 2) naming
    it, not "the database is unavailable ... is it running? retry" (exit 3); the file kept."""
    export = tmp_path / "caseload.csv"
    export.write_text("\ufeffcase_id,child\nC-1,Ada Invented\n", encoding="utf-8")
    before = export.read_bytes()
    result = invoke(str(export), *command)
    assert result.exit_code == 2, result.output
    assert f"{export} is not a SQLite database" in result.stderr
    assert "unavailable" not in result.stderr
    assert export.read_bytes() == before


def test_a_bad_database_url_exits_2() -> None:
    """A URL SQLAlchemy cannot read is bad input."""
    result = CliRunner().invoke(cli, ["--db", "nosuchdriver://x/y", "due"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")


def test_an_import_with_a_fraction_in_its_data_changes_nothing(
    demo_db: str, empty_db: str, tmp_path: Path
) -> None:
    """A float cannot enter the audit log: exit 2 before anything is written."""
    good = json_out(invoke(demo_db, "export", "DEMO-0001"))
    bad = json_out(invoke(demo_db, "export", "DEMO-0003"))
    bad["history"][1]["data"]["score"] = 0.5
    file = write(tmp_path / "floats.json", [good, bad])
    result = invoke(empty_db, "import", file)
    assert result.exit_code == 2, result.output
    assert "fraction" in result.stderr
    assert no_store_made(empty_db)


def test_importing_a_taken_case_id_is_bad_input(demo_db: str, tmp_path: Path) -> None:
    """A case id already in the database with another history (its first steps, or another
    authority's case) is refused with exit 2, each such case named, nothing imported."""
    mine = json_out(invoke(demo_db, "export", "DEMO-0003"))
    file = write(tmp_path / "again.json", mine)
    result = invoke(demo_db, "--authority", "Otherborough Council", "import", file)
    assert result.exit_code == 2, result.output
    assert "already taken" in result.stderr or "belongs to" in result.stderr
    history = json_out(invoke(demo_db, "history", "DEMO-0002", "--format", "json"))
    new = json_out(invoke(demo_db, "history", "DEMO-0001", "--format", "json"))
    for step in new:
        step["data"] = {**step["data"], "case_id": "NEW-1"} if step["seq"] == 1 else step["data"]
    before = case_count(demo_db)
    taken = write(tmp_path / "taken.json", [history[:3], new, mine])
    result = invoke(demo_db, "import", taken)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("is already taken") == 1
    assert "'DEMO-0002' is already taken, by another history than this one" in result.stderr
    assert case_count(demo_db) == before


def test_importing_a_case_stored_with_the_same_history_skips_it(
    demo_db: str, tmp_path: Path
) -> None:
    """ST3: a case the database holds with the file's history is skipped, and counted as
    already stored, so an import whose reply was lost may be run again; the rest import."""
    mine = json_out(invoke(demo_db, "export", "DEMO-0003"))
    new = json_out(invoke(demo_db, "history", "DEMO-0001", "--format", "json"))
    for step in new:
        step["data"] = {**step["data"], "case_id": "NEW-1"} if step["seq"] == 1 else step["data"]
    before = case_count(demo_db)
    result = invoke(demo_db, "import", write(tmp_path / "again.json", [mine, new]))
    assert result.exit_code == 0, result.output
    assert f"imported 1 case(s), {len(new)} transition(s); 1 already stored" in result.stdout
    assert case_count(demo_db) == before + 1
    assert invoke(demo_db, "verify").exit_code == 0


@pytest.mark.parametrize(
    ("claim", "value", "said"),
    [
        ("case_id", "TOP-ID", "the export says case_id 'TOP-ID', its history 'DEMO-0003'"),
        ("stage", "successful", "the export says stage 'successful', its history 'withdrawn'"),
    ],
)
def test_an_export_saying_other_than_its_history_is_not_imported(
    demo_db: str, empty_db: str, tmp_path: Path, claim: str, value: str, said: str
) -> None:
    """An export edited to name another case was imported, silently, under its history's id
    (found by a review)."""
    export = json_out(invoke(demo_db, "export", "DEMO-0003"))
    assert (export["case_id"], export["stage"]) == ("DEMO-0003", "withdrawn")
    edited = write(tmp_path / "edited.json", {**export, claim: value})
    result = invoke(empty_db, "import", edited)
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert no_store_made(empty_db) or case_count(empty_db) == 0
    assert invoke(empty_db, "import", write(tmp_path / "as.json", export)).exit_code == 0


def test_opening_a_taken_case_id_is_bad_input(opened: str, tmp_path: Path) -> None:
    """`apply ... open` on an id that exists exits 2 and changes nothing."""
    data = write(
        tmp_path / "open.json",
        {
            "pupil": unstructure(scenario.PUPIL),
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    result = invoke(opened, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    assert result.exit_code == 2, result.output
    assert "already taken" in result.stderr
    assert history_length(opened, "C-1") == 1


def test_a_letter_that_is_not_a_letter_is_bad_input(demo_db: str, tmp_path: Path) -> None:
    """An optional form argument of the wrong type exits 2 with its type named, no traceback."""
    data = write(tmp_path / "le.json", {"meeting": {}, "letter": 1})
    host = ["--actor-id", "h", "--actor-name", "Head", "--role", "host_head"]
    result = invoke(demo_db, "apply", "DEMO-0002", "hold_emergency_review", "--data", data, *host)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_render_to_a_path_that_cannot_be_written_is_bad_input(demo_db: str) -> None:
    """`render -o` into a missing folder exits 2 with the reason."""
    result = invoke(demo_db, "render", "DEMO-0001", "-o", "/nonexistent/folder/forms.html")
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.stderr


def test_demo_in_a_scoped_store_writes_nothing_when_another_authority_holds_a_demo_id() -> None:
    """A scoped store cannot load another authority's case, and the check took DEMO-0003 for
    free: DEMO-0001 and DEMO-0002 were written before the save was refused (found by a
    review)."""
    store = InMemoryStore(calendar=SchoolCalendar.sample())
    other = Reintegration.open(
        "DEMO-0003",
        scenario.PUPIL,
        scenario.AP_SETTING,
        "Elsewhere Council",
        by=scenario.AP_HEAD,
        on=scenario.OPENED,
    )
    store.save(other)
    scoped = store.for_authority(demo.AUTHORITY)
    with pytest.raises(NotPermitted, match="'DEMO-0003' is not a case of"):
        demo.run(scoped)
    assert store.taken(d.case_id for d in demo.CASES) == {"DEMO-0003"}


@pytest.mark.parametrize("taken", ["DEMO-0001", "DEMO-0003"])
def test_demo_refuses_to_show_a_case_of_its_id_that_is_not_the_demos(
    empty_db: str, tmp_path: Path, taken: str
) -> None:
    """`demo` showed a real case named DEMO-0001 under the demo's banner, "(already there)";
    with DEMO-0003 taken, it wrote DEMO-0001 and DEMO-0002 and showed neither (found by
    reviews)."""
    data = {
        "pupil": unstructure(scenario.PUPIL),
        "ap_setting": scenario.AP_SETTING,
        "local_authority": scenario.AUTHORITY,
    }
    opening = ["apply", taken, "open", "--data", write(tmp_path / "open.json", data)]
    assert invoke(empty_db, *opening, *AP, "--on", "2026-01-12").exit_code == 0
    shown = invoke(empty_db, "demo")
    assert shown.exit_code == 1, shown.output
    assert f"'{taken}' is taken by a different case" in shown.stderr
    assert "== DEMO-" not in shown.stdout
    assert case_count(empty_db) == 1  # nothing of the demo written beside it
    assert "stage proposed" in invoke(empty_db, "timeline", taken).stdout


def test_importing_from_a_closed_stdin_is_bad_input(tmp_path: Path) -> None:
    """`import - <&-`: "unexpected AttributeError: this is a bug" (found by a review)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    url = f"sqlite:///{tmp_path / 'none.sqlite'}"
    result = subprocess.run(
        [sys.executable, "-m", "reintegration_fsm", "--db", url, "import", "-"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.close(0),  # as the shell's <&- starts it
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: - reads stdin, which is closed")
    assert "bug" not in result.stderr


class _Interrupted(importlib.abc.MetaPathFinder):
    """Ctrl-C arriving while the command line's modules load."""

    def find_spec(self, name: str, *_: Any) -> None:
        if name == "reintegration_fsm.cli":
            raise KeyboardInterrupt


def test_ctrl_c_while_the_command_line_loads_aborts_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python printed the traceback of the modules being imported, and exit 130, where the
    docs promise "Aborted!" and exit 1 (found by a review: in the first 0.7 s)."""
    monkeypatch.delitem(sys.modules, "reintegration_fsm.cli")
    monkeypatch.setattr(sys, "meta_path", [_Interrupted(), *sys.meta_path])
    with pytest.raises(SystemExit) as ended:
        entry.main()
    assert ended.value.code == 1
    assert capsys.readouterr().err == "Aborted!\n"


def test_the_command_is_the_entry_point_that_guards_its_loading() -> None:
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="reintegration-fsm")
    assert script.value == "reintegration_fsm.__main__:main"
