"""Review MG: the schema over time (migrations, `db upgrade`, the stamp a store reads)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, migrate, upgrade
from store_contract import reachable_engine, reset_database

LIMITED = f"rfsm_mg_{os.getpid()}"
"""A database user of the test's own, granted reads and writes of rows only."""
PASSWORD = "not-a-secret-mg"


@pytest.fixture(params=["postgresql", "mariadb"])
def limited(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, str]]:
    """An engine (the test server's own user) on a store at revision 0013, and the URL of a
    user granted SELECT, INSERT, UPDATE and DELETE on its tables, not the right to alter them."""
    url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    upgrade(engine, "0013")
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.exec_driver_sql(f"CREATE ROLE {LIMITED} LOGIN PASSWORD '{PASSWORD}'")
            conn.exec_driver_sql(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {LIMITED}"
            )
        else:
            database = conn.execute(sa.text("SELECT DATABASE()")).scalar()
            conn.exec_driver_sql(
                f"CREATE USER '{LIMITED}'@'%' IDENTIFIED BY '{PASSWORD}'".replace("%", "%%")
            )
            conn.exec_driver_sql(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{database}`.* TO '{LIMITED}'@'%%'"
            )
    user_url = sa.make_url(url).set(username=LIMITED, password=PASSWORD)
    try:
        yield engine, user_url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            if postgres:
                conn.exec_driver_sql(f"DROP OWNED BY {LIMITED}")
                conn.exec_driver_sql(f"DROP ROLE {LIMITED}")
            else:
                conn.exec_driver_sql(f"DROP USER '{LIMITED}'@'%%'")
        reset_database(engine)
        engine.dispose()


def test_MG1_an_upgrade_by_a_user_without_ddl_rights_says_so(
    limited: tuple[sa.Engine, str],
) -> None:
    """MG1: an operator running `db upgrade` as the application's user (rows only) was told
    "the database failed (psycopg.errors.InsufficientPrivilege, SQLSTATE 42501)", or MariaDB's
    "error 1142", and to ask the database administrator, who was the one running it."""
    engine, user_url = limited
    with pytest.raises(StoreError) as refused:
        upgrade(user_url)
    message = str(refused.value)
    assert "may not change the store's tables" in message
    assert "permission denied" in message
    assert not refused.value.retryable
    result = CliRunner().invoke(cli, ["--db", user_url, "db", "upgrade"])
    assert result.exit_code == 3
    assert "may not change the store's tables" in result.output
    with engine.connect() as conn:
        assert migrate.stamped(conn) in ("0013", "0014")  # MariaDB commits 0014 by itself


def test_MG2_a_drivers_logged_warning_does_not_reach_the_cli_user(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """MG2: a PostgreSQL connection ended by the server mid-upgrade printed psycopg's own
    logged warning, 'error ignored terminating <psycopg.Pipeline [BAD] at 0x7f...>: the
    connection is lost', above the CLI's message: Python's last-resort handler writes any
    library's warning to stderr when the application configures no logging."""

    def lost(*_: object, **__: object) -> None:
        logging.getLogger("psycopg").warning("error ignored terminating %r: %s", object(), "lost")
        raise StoreError("could not upgrade the database: the connection was lost", retryable=True)

    monkeypatch.setattr("reintegration_fsm.stores.upgrade", lost)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as run from a shell: no pytest
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cases.sqlite"), "db", "upgrade"])
    assert result.exit_code == 3
    assert "error ignored terminating" not in result.output


@pytest.mark.parametrize("stamp", ["", "head", "0014@head", "0015 "])
def test_MG3_a_stamp_that_names_no_revision_is_refused_in_plain_words(
    tmp_path: Path, stamp: str
) -> None:
    """MG3: a version table altered to hold '' (a copy that lost the value), or a symbol Alembic
    reads ('head', '0014@head'), made every store call raise a bare AssertionError or let it
    through as an older revision, and `db upgrade` a ValueError: exit 70, 'this is a bug'."""
    path = tmp_path / "cases.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{path}")
    store.create_schema()
    store.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {migrate.VERSION_TABLE} SET version_num = ?", (stamp,))
    before = path.read_bytes()
    reader = SqlAlchemyStore(f"sqlite:///{path}")
    with pytest.raises(StoreError) as refused:
        reader.load("C-1")
    assert "names no revision" in str(refused.value)
    reader.engine.dispose()
    for command in (["cases"], ["db", "upgrade"]):
        result = CliRunner().invoke(cli, ["--db", str(path), *command])
        assert result.exit_code == 3, result.output
        assert "names no revision" in result.output
    assert path.read_bytes() == before
