"""Review BK: a store backed up and restored as an authority's IT team does it (a dump taken
without triggers, a data-only restore, a copy of a live SQLite file). BK3, left, is in the session's
closing note."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, schema, upgrade
from store_contract import CALENDAR, built, drop_triggers, empty_store, log_refuses_updates


def _restored_without_guards(url: str) -> SqlAlchemyStore:
    """A store holding a case whose database lost the log's triggers, as a restore of
    `mysqldump --skip-triggers` (or a dump of a database whose triggers were dropped) leaves
    it."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("case-01", 3))
    drop_triggers(store.engine)
    return store


def test_BK1_db_upgrade_puts_back_the_log_guards_a_restore_lost(database_url: str) -> None:
    """A store restored without its triggers took saves and verified sound, and `upgrade()`
    (`db upgrade`) said "migrated to head" leaving the log unguarded: a DELETE of an entry
    passed. At head, `upgrade()` makes again each guard the database lacks."""
    store = _restored_without_guards(database_url)
    try:
        with store.engine.connect() as conn:
            assert schema.missing_guards(conn) != []
        assert not log_refuses_updates(store.engine)
        upgrade(store.engine)
        with store.engine.connect() as conn:
            assert schema.missing_guards(conn) == []
        assert log_refuses_updates(store.engine)
        with pytest.raises(sa.exc.DBAPIError), store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM rfsm_transitions")
        assert store.verify() == []
    finally:
        store.close()


def test_BK1_db_upgrade_enables_a_guard_a_restore_left_disabled(postgres_store_url: str) -> None:
    """PostgreSQL keeps a trigger disabled (`ALTER TABLE ... DISABLE TRIGGER`, and a dump of a
    database so altered restores it so), where it guards nothing: counted missing, and enabled
    again by `upgrade()`, by name (an authority's own triggers are left as they are)."""
    engine = empty_store(postgres_store_url)
    try:
        with SqlAlchemyStore(engine, calendar=CALENDAR) as store:
            store.save(built("case-01", 3))
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE rfsm_transitions DISABLE TRIGGER USER")
            assert schema.missing_guards(conn) == [
                name
                for name, table in schema.guards("postgresql").items()
                if table == "rfsm_transitions"
            ]
        upgrade(engine)
        with engine.connect() as conn:
            assert schema.missing_guards(conn) == []
        assert log_refuses_updates(engine)
    finally:
        engine.dispose()


def test_BK4_the_store_page_says_how_to_back_up_and_restore() -> None:
    """docs/ said nothing of backing a store up or restoring one: a copy of the file beside a
    writer (its `-wal` left behind), a world-readable `.backup`, a dump without triggers, a
    rollback the nightly routine then pages about every night. The section says each."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "stores.md").read_text()
    section = page.split("## Backups and restores\n", 1)[1].split("\n## ", 1)[0]
    for needed in ("umask 077", "-wal", "--skip-triggers", "DEFINER", "db upgrade", "--extends"):
        assert needed in section, needed


@pytest.mark.parametrize("database_url", ["mariadb"], indirect=True)
def test_BK5_a_save_refused_by_a_trigger_whose_definer_is_gone_says_so(database_url: str) -> None:
    """A MariaDB dump restored where the user who made the triggers (their DEFINER) does not
    exist: every save failed with "the database failed (... 1449) ... ask your database
    administrator". It says what is wrong, and that it will not pass by trying again."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    try:
        (statement,) = [
            made
            for made in schema.trigger_statements("mariadb")
            if "rfsm_transitions_keyed " in made
        ]
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER rfsm_transitions_keyed")
            conn.exec_driver_sql(
                statement.replace("CREATE TRIGGER", "CREATE DEFINER = 'gone'@'nowhere' TRIGGER")
            )
        with pytest.raises(StoreError) as refused:
            store.save(built("case-01", 2))
        assert "a database user this server does not have" in str(refused.value)
        assert "DEFINER" in str(refused.value)
        assert not refused.value.retryable
    finally:
        store.close()


def test_BK6_a_copy_of_a_live_sqlite_file_without_its_wal_says_why_it_holds_no_store(
    tmp_path: Path,
) -> None:
    """A store's file copied while a writer has it open, without its `-wal` file, holds none of
    what was written since the last checkpoint: "no case store there ... Check the path", with
    no word of the `-wal` left behind. It says so; a file in another journal mode does not."""
    live = SqlAlchemyStore(f"sqlite:///{tmp_path / 'live.sqlite'}", calendar=CALENDAR)
    try:
        live.create_schema()
        live.save(built("case-01", 3))
        shutil.copy(tmp_path / "live.sqlite", tmp_path / "copy.sqlite")  # the -wal left behind
    finally:
        live.close()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "copy.sqlite"), "cases"])
    assert result.exit_code == 2, result.output
    assert "no case store there" in result.stderr
    assert "in WAL mode and has no -wal file beside it" in result.stderr
    with sqlite3.connect(tmp_path / "other.sqlite") as conn:
        conn.execute("CREATE TABLE unrelated (x)")
    conn.close()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "other.sqlite"), "cases"])
    assert "no case store there" in result.stderr
    assert "-wal" not in result.stderr


def test_BK2_a_log_left_without_its_guards_is_named_and_verify_says_so(database_url: str) -> None:
    """`verify` said "sound" of a store whose log had lost its append-only triggers, so nothing
    ever reported the lost protection. `unguarded()` names each missing guard, as a problem of
    the store (`(store)`), and the command's `verify` reports it (exit 1) until `db upgrade`."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    try:
        store.save(built("case-01", 3))
        assert store.unguarded() == []
        drop_triggers(store.engine)
        (problem,) = store.unguarded()
        assert problem.case_id == "(store)"
        assert problem.seq is None
        for name, table in schema.guards(store.engine.dialect.name).items():
            assert (name in problem.what) == (table == "rfsm_transitions"), name  # (dropped)
        assert "db upgrade" in problem.what
        assert store.verify() == []  # what the log holds is as it was
        said = CliRunner().invoke(cli, ["--db", database_url, "verify"])
        assert said.exit_code == 1, said.output
        assert "the log is not guarded" in said.stdout
        assert CliRunner().invoke(cli, ["--db", database_url, "db", "upgrade"]).exit_code == 0
        assert store.unguarded() == []
        again = CliRunner().invoke(cli, ["--db", database_url, "verify"])
        assert again.exit_code == 0, again.output
        assert again.stdout.startswith("sound")
    finally:
        store.close()
