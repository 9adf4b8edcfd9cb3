"""Review RQ: a regression review of `db copy --checkpoint`, the deferred imports and the URL
password options hidden in what is printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, copy_store
from store_contract import CALENDAR

AUTHORITY = "Exampleshire County Council"
"""The demo's cases' authority."""


def test_a_kept_checkpoint_of_one_authority_is_checked_against_its_cases(
    demo_db: str, tmp_path: Path
) -> None:
    """RQ1: `--authority A checkpoint -o FILE` (an authority's nightly checkpoint) given to
    `db copy --checkpoint FILE` is checked against A's cases of the copy, as `--authority A
    verify --checkpoint FILE` checks it; it was one problem, "another scope", exit 1, for a
    sound copy (and `db copy` takes no --authority to make it pass)."""
    kept = tmp_path / "kept.json"
    runner = CliRunner()
    taken = runner.invoke(
        cli, ["--db", demo_db, "--authority", AUTHORITY, "checkpoint", "-o", str(kept)]
    )
    assert taken.exit_code == 0, taken.output
    target = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    copied = runner.invoke(
        cli, ["--db", demo_db, "db", "copy", target, "--checkpoint", str(kept), "--format", "json"]
    )
    assert copied.exit_code == 0, copied.output
    assert json.loads(copied.stdout)["problems"] == []


def test_a_kept_checkpoint_of_one_authority_still_names_each_case_the_copy_does_not_extend(
    demo_db: str, tmp_path: Path
) -> None:
    """RQ1: scoped, the check still bites: another demo's checkpoint of the same authority
    (the same case ids, other salts) names each of its cases as rewritten."""
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert CliRunner().invoke(cli, ["--db", other, "demo"]).exit_code == 0
    with SqlAlchemyStore(other, calendar=CALENDAR, authority=AUTHORITY) as store:
        foreign = store.checkpoint()
    assert foreign.authority == AUTHORITY
    assert foreign.cases
    report = copy_store(
        demo_db, f"sqlite:///{tmp_path / 'b.sqlite'}", calendar=CALENDAR, checkpoint=foreign
    )
    assert len(report.problems) == len(foreign.cases)
    assert all("rewritten" in problem.what for problem in report.problems)


def test_a_copy_whose_check_fails_says_its_rows_are_written(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RQ2: the connection lost as the copy checks itself, after its rows were committed: the
    error alone ("the database is unavailable ... Try again in a moment", exit 3) read as if
    nothing was written, and trying again is refused, the target holding the cases."""

    def lost(*_: object, **__: object) -> list[Any]:
        raise StoreError("the connection was lost", retryable=True)

    target = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    monkeypatch.setattr(SqlAlchemyStore, "verify", lost)
    result = CliRunner().invoke(cli, ["--db", demo_db, "db", "copy", target, "--format", "json"])
    assert result.exit_code == 3, result.output
    assert "written whole" in result.stderr
    assert "stopped" not in result.stderr
    assert json.loads(result.stdout)["exit_code"] == 3
    with SqlAlchemyStore(target, calendar=CALENDAR) as moved:
        assert len(moved.cases()) == 4


SECRET = "Pw-RQ3-secret"


@pytest.mark.parametrize(
    "arguments",
    [
        # --db given twice with two values: both are quoted in the refusal
        [
            "--db",
            f"postgresql+psycopg://u@db.example/a?password={SECRET}",
            "--db",
            f"postgresql+psycopg://u@db.example/b?sslpassword={SECRET}",
            "cases",
        ],
        # --db given after the command: the line to run instead is printed
        ["cases", "--db", f"mysql+pymysql://u@db.example/a?passwd={SECRET}"],
        ["cases", f"--db=postgresql+psycopg://u:x@db.example/a?password={SECRET}"],
    ],
)
def test_a_password_option_is_hidden_in_usage_errors_quoting_the_url(
    arguments: list[str],
) -> None:
    """RQ3: CY1 hid `?password=` where a URL is shown once it is read (`shown_url`), but the
    usage errors quoting --db before any URL is read (given twice, given after the command)
    printed it as given; they hide it now, as they hide the password before the `@`."""
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert "***" in result.output
    assert SECRET not in result.output


@pytest.mark.parametrize(
    "arguments",
    [
        # a second URL for db copy: click's "Got unexpected extra argument (URL)"
        ["db", "copy", "moved.sqlite", f"postgresql+psycopg://u:{SECRET}@db.example/b"],
        ["db", "copy", "moved.sqlite", f"mysql+pymysql://u@db.example/b?passwd={SECRET}"],
        # --db forgotten: click's "No such command 'URL'"
        [f"postgresql+psycopg://u@db.example/a?password={SECRET}", "cases"],
        ["cases", "--format", "json", f"postgresql+psycopg://u:{SECRET}@db.example/b"],
    ],
)
def test_click_usage_errors_quoting_a_url_hide_its_passwords(arguments: list[str]) -> None:
    """RQ4: click's own usage errors quote an argument as given, a URL's passwords included
    (before the `@` as well as `?password=`): they are shown as *** there too."""
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert "***" in result.output
    assert SECRET not in result.output
