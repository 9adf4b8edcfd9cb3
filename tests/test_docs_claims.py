"""Prose claims of the docs checked against behaviour.

The docs' code blocks run as tests (tests/test_docs.py); their sentences, tables and lists do
not. A new user read README.md, docs/quickstart.md, cli.md, integrating.md, stores.md,
reports.md and calendar.md and tried each claim they would act on: an option, an exit code, a
default, a message. Where the docs and the code disagreed, one was fixed, and its test is here;
a few claims that held are kept here too, so that they keep holding.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import sqlalchemy as sa

from raw_sqlite import tamper
from reintegration_fsm import FormInvalid, SchoolCalendar, Stage
from reintegration_fsm.demo import CASES
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from scenario import ADMISSIONS
from store_contract import CALENDAR, REDACTED_ON, built
from test_cli import AP, invoke, run, write

DOCS = Path(__file__).resolve().parent.parent / "docs"


def prose(name: str) -> str:
    """A doc's text with its line breaks and runs of spaces read as one space."""
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())


def raise_from_the_database(monkeypatch: pytest.MonkeyPatch, driver: Exception) -> None:
    """Make `due` meet `driver`'s error as SQLAlchemy raises it when the server answers so."""

    def failing(self: SqlAlchemyStore, on: Any, **_: Any) -> Any:
        raise sa.exc.OperationalError(None, None, driver)

    monkeypatch.setattr(SqlAlchemyStore, "due", failing)


# -- where the docs and the code disagreed -------------------------------------------------------
def test_due_lists_no_deadline_of_an_ended_case_as_integrating_md_now_says() -> None:
    """docs/integrating.md said `due()` "lists an ended case's unmet deadlines too", and told
    integrators to filter them out by stage. Since revision 2 it lists only what still binds:
    an ended case's unmet deadlines are left out (its obligations stay), as stores.md says."""
    calendar = SchoolCalendar.sample()
    store = InMemoryStore(calendar=calendar)
    for example in CASES:
        store.save(example.run(example.case_id, calendar))
    ended = [
        case
        for case in store.load_all()
        if case.stage in (Stage.SUCCESSFUL, Stage.UNSUCCESSFUL, Stage.WITHDRAWN)
        and any(deadline.met_on is None for deadline in case.deadlines)
    ]
    assert ended, "the demo has an ended case with an unmet deadline"
    items = store.due(dt.date(2027, 7, 1))
    for case in ended:
        assert case.pending_deadlines == ()
        listed = [item for item in items if item.case_id == case.case_id]
        assert all(item.item == "obligation" for item in listed)
        assert {item.kind for item in listed} == {o.kind for o in case.obligations}
    text = prose("integrating.md")
    assert "lists an ended case's unmet deadlines too" not in text
    assert "an ended case's unmet deadlines are not listed" in text


@pytest.mark.parametrize(
    "driver",
    [
        psycopg.OperationalError(
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            'FATAL:  database "rfsm_nosuch" does not exist'
        ),
        psycopg.OperationalError(
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            'FATAL:  password authentication failed for user "officer"'
        ),
        pymysql.err.OperationalError(1049, "Unknown database 'rfsm_nosuch'"),
        pymysql.err.OperationalError(
            1045, "Access denied for user 'officer'@'127.0.0.1' (using password: YES)"
        ),
    ],
)
def test_a_server_refusing_the_url_is_not_told_to_retry(
    demo_db: str, monkeypatch: pytest.MonkeyPatch, driver: Exception
) -> None:
    """docs/cli.md: on exit 3 "the message says whether simply trying again may work". A
    database the server does not know, or a wrong user or password, said "Check --db ... and
    that the database is running, then retry", as a server that was down does: trying the same
    URL again fails for ever. It now says to check the URL, and that retrying will not work."""
    raise_from_the_database(monkeypatch, driver)
    result = invoke(demo_db, "due")
    assert result.exit_code == 3, result.output
    assert "the database is unavailable" in result.stderr
    assert "then retry" not in result.stderr
    assert "check its database name, user and password" in result.stderr
    assert "pg_hba.conf" in result.stderr  # an access rule refuses as surely as a password
    assert "will not work" in result.stderr


def test_an_import_shows_its_progress_bar_on_a_terminal_unless_rfsm_no_progress(
    demo_db: str, tmp_path: Path
) -> None:
    """docs/cli.md said a long import "stays quiet when its output is piped"; it showed its bar
    whenever stderr was a terminal, stdout piped or not, and `RFSM_NO_PROGRESS` (which turns it
    off) was named nowhere. The docs now say both."""
    exported = invoke(demo_db, "export", "--all")
    assert exported.exit_code == 0, exported.output
    histories = write(tmp_path / "all.json", json.loads(exported.stdout))

    def import_with_stderr_on_a_terminal(database: str, env: dict[str, str]) -> bytes:
        leader, follower = pty.openpty()
        try:
            environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
            done = subprocess.run(
                [sys.executable, "-m", "reintegration_fsm", "--db", database, "import", histories],
                cwd=tmp_path,
                env={**environment, **env},
                stdout=subprocess.PIPE,
                stderr=follower,
                check=False,
            )
            assert done.returncode == 0
            assert done.stdout.startswith(b"imported 4 case(s)")
            os.set_blocking(leader, False)
            try:
                return os.read(leader, 1 << 16)
            except BlockingIOError:
                return b""
        finally:
            os.close(leader)
            os.close(follower)

    assert b"Importing histories" in import_with_stderr_on_a_terminal("bar.sqlite", {})
    quiet = import_with_stderr_on_a_terminal("quiet.sqlite", {"RFSM_NO_PROGRESS": "1"})
    assert b"Importing histories" not in quiet
    assert "`RFSM_NO_PROGRESS=1`" in prose("cli.md")


def test_verify_as_json_tells_stderr_what_it_checked_and_how_many_problems(
    demo_db: str,
) -> None:
    """docs/cli.md said `verify --format json` says "only" "N problem(s) found" on stderr; it
    also prints the line saying how much it checked (as the docs say of `verify` elsewhere)."""
    tamper(
        demo_db,
        "UPDATE rfsm_transitions SET actor_name = 'Mallory Forger' "
        "WHERE case_id = 'DEMO-0001' AND seq = 2",
    )
    result = invoke(demo_db, "verify", "--format", "json")
    assert result.exit_code == 1
    assert [problem["case_id"] for problem in json.loads(result.stdout)] == ["DEMO-0001"]
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert re.fullmatch(r"checked 4 cases, \d+ transitions in .*", lines[0])
    assert lines[1] == "error: 1 problem(s) found"
    assert 'stderr says only how much it checked and "N problem(s) found"' in prose("cli.md")


# -- claims that held, kept so that they keep holding --------------------------------------------
def test_the_demo_writes_reintegration_sqlite_here_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    """README.md and docs/cli.md: with no `--db`, the database is `sqlite:///reintegration.sqlite`,
    a file in the current folder, made readable and writable by its owner only."""
    done = run("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Database: sqlite:///reintegration.sqlite\n")
    made = tmp_path / "reintegration.sqlite"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert run("cases", "--search", "DEMO-0001", cwd=tmp_path).stdout.startswith("CASE_ID")


def test_a_server_that_cannot_be_reached_exits_3_and_says_to_retry(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/cli.md: exit 3 for a database that cannot be reached, and the message says that
    trying again may work."""
    raise_from_the_database(
        monkeypatch,
        psycopg.OperationalError(
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            "Connection refused"
        ),
    )
    result = invoke(demo_db, "due")
    assert result.exit_code == 3, result.output
    assert "then retry" in result.stderr


@pytest.mark.parametrize(
    "named",
    [[], ["DEMO-0001", "--all"], ["DEMO-0001", "--pupil", "Rowan Testwell", "--dob", "2012-03-09"]],
)
def test_export_takes_exactly_one_of_a_case_a_child_or_all(demo_db: str, named: list[str]) -> None:
    """docs/cli.md: `export` names the child by CASE_ID, by --pupil and --dob, or gives --all:
    "Exactly one of the three (exit 2 otherwise)"."""
    result = invoke(demo_db, "export", *named)
    assert result.exit_code == 2, result.output
    assert "Give exactly one of them." in result.stdout


def test_export_of_a_child_the_store_does_not_hold_exits_2(demo_db: str) -> None:
    """docs/cli.md: `export --pupil NAME --dob DATE` exits 2 "when no case of that child is
    found"; the name ignores case and spacing."""
    found = invoke(demo_db, "export", "--pupil", " rowan   TESTWELL", "--dob", "2012-03-09")
    assert found.exit_code == 0, found.output
    assert [case["case_id"] for case in json.loads(found.stdout)["cases"]] == ["DEMO-0001"]
    missing = invoke(demo_db, "export", "--pupil", "Nobody Invented", "--dob", "2012-03-09")
    assert missing.exit_code == 2


def test_retention_lists_its_documented_columns_and_applies_no_more_than_a_year_ahead(
    demo_db: str,
) -> None:
    """docs/cli.md: `retention --on DATE` lists `case_id`, `keep_until`, `personal_data_left`
    and `action`; `--apply` takes a date no later than today (exit 2 otherwise)."""
    listed = invoke(demo_db, "retention", "--on", "2040-01-01", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert rows
    assert all(
        list(row) == ["case_id", "keep_until", "personal_data_left", "action"] for row in rows
    )
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    applied = invoke(demo_db, "retention", "--on", tomorrow, "--apply", *AP)
    assert applied.exit_code == 2, applied.output
    assert f"{tomorrow} is after today" in applied.stderr


def test_public_key_without_a_checkpoint_is_bad_input(demo_db: str, tmp_path: Path) -> None:
    """docs/cli.md: "`--public-key` without `--checkpoint`, is bad input (exit 2)"."""
    key = tmp_path / "key.pub.pem"
    key.write_text("not a key", encoding="utf-8")
    result = invoke(demo_db, "verify", "--public-key", str(key))
    assert result.exit_code == 2
    assert "give --checkpoint FILE too" in result.stderr


def test_under_is_refused_for_any_step_but_open(demo_db: str, tmp_path: Path) -> None:
    """docs/cli.md: "`--under ID@VERSION`, for `open` only"; on another step it exits 2 and the
    case is left as it was."""
    data = write(tmp_path / "withdraw.json", {"reason": "The family moved away."})
    result = invoke(
        demo_db,
        "apply",
        "DEMO-0004",
        "withdraw",
        "--data",
        data,
        "--under",
        "worcestershire@2",
        *AP,
        "--on",
        "2026-05-06",
    )
    assert result.exit_code == 2, result.output
    assert "only with `open`" in result.stderr
    with SqlAlchemyStore(demo_db) as store:
        assert store.load("DEMO-0004").stage is Stage.HOST_IDENTIFIED


def test_a_reason_after_the_familys_erasure_is_no_longer_checked_against_their_names() -> None:
    """docs/evidence.md and docs/cli.md: a reason is checked against what the case holds when
    the redaction is made, so after the child's names are erased a later reason naming the
    child can no longer be refused ("Alex asked for this too" is accepted); write a plain
    description, never a name (review D, D10: documented, the case keeps nothing to check
    against). Before the erasure the same reason is refused."""
    for page in ("evidence.md", "cli.md"):
        text = prose(page)
        assert "a later redaction's reason can no longer be checked against them" in text, page
        assert '"Erasure request" or "Correction", never a name' in text, page
    store = InMemoryStore(calendar=CALENDAR)
    store.save(built("case-01", 3))
    plan = ["information.transport_plan"]
    named = "Alex asked for this too"
    with pytest.raises(FormInvalid):
        store.redact("case-01", 3, plan, named, by=ADMISSIONS, on=REDACTED_ON)
    paths = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]
    store.redact("case-01", None, paths, "Erasure request", by=ADMISSIONS, on=REDACTED_ON)
    assert "Alex" not in json.dumps([t.data for t in store.load("case-01").history], default=str)
    [note] = store.redact("case-01", 3, plan, named, by=ADMISSIONS, on=REDACTED_ON)
    assert note.reason == named
