"""Review CY: `db copy` attacked as an attacker, a careless integrator and a tired officer would.

A password given as a URL option (`?password=`, which libpq and PyMySQL take as the login's) is
never printed; a refusal of TARGET_URL's form names TARGET_URL, not `--db` (the source's).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import database_beside
from reintegration_fsm.cli import cli
from reintegration_fsm.cli.common import shown_url
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
