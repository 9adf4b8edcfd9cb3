"""Review CY: `db copy` attacked as an attacker, a careless integrator and a tired officer would.

A password given as a URL option (`?password=`, which libpq and PyMySQL take as the login's) is
never printed; a refusal of TARGET_URL's form names TARGET_URL, not `--db` (the source's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import database_beside
from keys import key_files
from reintegration_fsm.cli import cli
from reintegration_fsm.cli.database_urls import shown_url
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import CopyRefused, SqlAlchemyStore, copy_store, copying
from store_contract import CALENDAR, reachable_engine, reset_database

SECRET = "s3cret-CY"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://postgres@db.example/cases?password={SECRET}",
        f"postgresql+psycopg://postgres@db.example/cases?sslmode=require&sslpassword={SECRET}",
        f"mysql+pymysql://root@db.example/cases?passwd={SECRET}&charset=utf8mb4",
        f"mysql+pymysql://root:{SECRET}@db.example/cases?PASSWORD={SECRET}",
    ],
)
def test_a_password_given_as_a_url_option_is_shown_hidden(url: str) -> None:
    """A URL shown (`Database:`, `db copy`'s source and target, `db upgrade`) hides a password
    given after `?` as it hides the one before `@`, and keeps the other options."""
    shown = shown_url(url)
    assert SECRET not in shown
    assert "***" in shown
    assert shown.split("?")[0].endswith("/cases")


@pytest.fixture
def target_server_url(postgres_url: str) -> Iterator[str]:
    """An emptied PostgreSQL database beside the test's, emptied again after."""
    url = database_beside(postgres_url, "cy")
    engine = reachable_engine(url)
    reset_database(engine)
    try:
        yield url
    finally:
        reset_database(engine)
        engine.dispose()


def test_db_copy_never_prints_a_password_given_as_an_option(
    demo_db: str, target_server_url: str
) -> None:
    """`db copy`'s report names its target without the `?password=` the URL carries (the
    server admits the user without one, so the option is read and ignored)."""
    target = f"{target_server_url}?password={SECRET}"
    result = CliRunner().invoke(cli, ["--db", demo_db, "db", "copy", target, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert json.loads(result.stdout)["target"].endswith("?password=***")


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("sqlite://", "a database in memory"),
        ("postgresql+psycopg://postgres@db.example:port/cases", "port is not a number"),
        (
            "mysql+pymysql://root@db.example/cases?charset=latin1",
            "charset",
        ),
    ],
)
def test_a_refused_target_url_is_named_target_url_not_db(
    demo_db: str, tmp_path: Path, target: str, words: str
) -> None:
    """A TARGET_URL refused for its form says so of TARGET_URL: `--db` names the source,
    which the officer then edits in vain."""
    result = CliRunner().invoke(cli, ["--db", demo_db, "db", "copy", target, "--format", "json"])
    assert result.exit_code == 2, result.output
    shown = json.loads(result.stdout)
    assert words in shown["error"]
    assert shown["error"].startswith("TARGET_URL")
    assert "--db" not in result.stdout
    assert "RFSM_DATABASE_URL" not in result.stdout


@pytest.mark.parametrize(
    "target", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:copied?mode=memory&uri=true"]
)
def test_an_in_memory_target_given_as_a_url_is_refused(demo_db: str, target: str) -> None:
    """`copy_store` refuses a URL naming an in-memory SQLite database: its own engine would
    hold the only connection, so the copy ended "sound" with every row gone."""
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, target, calendar=CALENDAR)
    assert refused.value.reason == copying.TARGET_IN_MEMORY


@pytest.mark.parametrize("journal", ["-wal", "-journal", "-shm"])
def test_a_target_naming_one_of_the_sources_journals_is_refused(demo_db: str, journal: str) -> None:
    """A SQLite target named as one of the source's journals is one database given twice: into
    `-wal` (an empty file while nothing is saved) the copy was written, reported sound, and
    removed with the journal as the source closed."""
    target = demo_db + journal
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, target, calendar=CALENDAR)
    assert refused.value.reason == copying.SAME_DATABASE
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as source:
        assert source.verify() == []


# -- left by CY, done after: a kept checkpoint (--checkpoint), CY3, CY4 -------------------------


def test_db_copy_checks_a_signed_checkpoint_kept_from_before(demo_db: str, tmp_path: Path) -> None:
    """`--checkpoint FILE --public-key KEY`: the copy is checked against the checkpoint the
    officer kept (signature included), which a rewritten and re-chained source fails though
    the copy equals it; a key of another pair is a problem, exit 1."""
    private, public = key_files(tmp_path)
    kept = tmp_path / "kept.json"
    runner = CliRunner()
    taken = runner.invoke(
        cli, ["--db", demo_db, "checkpoint", "--sign", str(private), "-o", str(kept)]
    )
    assert taken.exit_code == 0, taken.output
    first = f"sqlite:///{tmp_path / 'first.sqlite'}"
    copied = runner.invoke(
        cli,
        [
            "--db",
            demo_db,
            "db",
            "copy",
            first,
            "--checkpoint",
            str(kept),
            "--public-key",
            str(public),
        ],
    )
    assert copied.exit_code == 0, copied.output
    assert "and of the checkpoint taken" in copied.stdout
    (tmp_path / "other").mkdir()
    _, other = key_files(tmp_path / "other")
    second = f"sqlite:///{tmp_path / 'second.sqlite'}"
    refused = runner.invoke(
        cli,
        [
            "--db",
            demo_db,
            "db",
            "copy",
            second,
            "--checkpoint",
            str(kept),
            "--public-key",
            str(other),
        ],
    )
    assert refused.exit_code == 1, refused.output
    assert "signed with another key" in refused.stdout


def test_a_kept_checkpoint_the_copy_does_not_extend_is_a_problem_of_the_copy(
    demo_db: str, tmp_path: Path
) -> None:
    """A checkpoint of another store holding the same case ids (a demo made again: other salts)
    is not extended by the copy: each case is named, though the copy equals its source."""
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert CliRunner().invoke(cli, ["--db", other, "demo"]).exit_code == 0
    with SqlAlchemyStore(other, calendar=CALENDAR) as store:
        foreign = store.checkpoint()
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as store:
        own = store.checkpoint()
    sound = copy_store(
        demo_db, f"sqlite:///{tmp_path / 'a.sqlite'}", calendar=CALENDAR, checkpoint=own
    )
    assert sound.problems == ()
    report = copy_store(
        demo_db, f"sqlite:///{tmp_path / 'b.sqlite'}", calendar=CALENDAR, checkpoint=foreign
    )
    assert len(report.problems) == len(foreign.cases)
    assert all("rewritten" in problem.what for problem in report.problems)


def test_a_wrong_checkpoint_argument_is_refused_before_anything_is_written(
    demo_db: str, tmp_path: Path
) -> None:
    target = tmp_path / "never.sqlite"
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as store:
        text = store.checkpoint().to_json()
    with pytest.raises(FormInvalid):
        copy_store(demo_db, f"sqlite:///{target}", checkpoint=text)  # type: ignore[arg-type]
    assert not target.exists()


def test_a_copy_stopped_as_it_checks_itself_says_it_is_written_but_unchecked(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CY3: Ctrl-C after the rows were committed, in the check: the officer is told the copy
    is whole but unchecked and how to check it (the next copy there is refused); stopped
    before the commit, nothing is said of a copy, none being there."""

    def stopped(*_: object, **__: object) -> list[Any]:
        raise KeyboardInterrupt

    target = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    monkeypatch.setattr(SqlAlchemyStore, "verify", stopped)
    result = CliRunner().invoke(cli, ["--db", demo_db, "db", "copy", target])
    assert result.exit_code != 0
    assert "written whole" in result.stderr
    assert "verify" in result.stderr
    with SqlAlchemyStore(target, calendar=CALENDAR) as moved:
        assert len(moved.cases()) == 4
    monkeypatch.setattr(copying, "_write", stopped)
    early = CliRunner().invoke(
        cli, ["--db", demo_db, "db", "copy", f"sqlite:///{tmp_path / 'other.sqlite'}"]
    )
    assert early.exit_code != 0
    assert "written whole" not in early.stderr
    assert not (tmp_path / "other.sqlite").exists()


def test_a_target_at_an_older_revision_is_told_to_upgrade_it_and_then_copies(
    demo_db: str, tmp_path: Path
) -> None:
    """CY4: a target whose tables stand at an older revision (or whose making was cut off) is
    refused, exit 3, naming `db upgrade` on TARGET_URL; done, the copy goes through."""
    target = f"sqlite:///{tmp_path / 'older.sqlite'}"
    runner = CliRunner()
    made = runner.invoke(cli, ["--db", target, "db", "upgrade", "--revision", "0001"])
    assert made.exit_code == 0, made.output
    refused = runner.invoke(cli, ["--db", demo_db, "db", "copy", target])
    assert refused.exit_code == 3, refused.output
    assert "--db TARGET_URL db upgrade" in refused.stderr
    assert "then copy again" in refused.stderr
    assert runner.invoke(cli, ["--db", target, "db", "upgrade"]).exit_code == 0
    copied = runner.invoke(cli, ["--db", demo_db, "db", "copy", target])
    assert copied.exit_code == 0, copied.output
