"""Review BK: a store backed up and restored as an authority's IT team does it (a dump taken
without triggers, a data-only restore, a copy of a live SQLite file)."""

from __future__ import annotations

import shutil
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
    store.create_schema()
    store.save(built("case-01", 3))
    drop_triggers(store.engine)
    return store


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store's database on each engine (the servers' when their URLs are
    set; skipped otherwise)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.sqlite'}"
    url = request.getfixturevalue(
        f"{'postgres' if request.param == 'postgresql' else 'mariadb'}_url"
    )
    empty_store(url).dispose()
    return url


def test_BK1_db_upgrade_puts_back_the_log_guards_a_restore_lost(engine_url: str) -> None:
    """A store restored without its triggers took saves and verified sound, and `upgrade()`
    (`db upgrade`) said "migrated to head" leaving the log unguarded: a DELETE of an entry
    passed. At head, `upgrade()` makes again each guard the database lacks."""
    store = _restored_without_guards(engine_url)
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


@pytest.mark.xfail(
    strict=True,
    reason="BK2: verify() says sound on a store whose log has no append-only guard",
)
def test_BK2_verify_reports_a_log_left_without_its_guards(tmp_path: Path) -> None:
    """A restore that lost the triggers (or a trigger dropped, or disabled on PostgreSQL)
    leaves a log any writer can rewrite; `verify()`, which the nightly routine runs, should
    name each guard missing and say that `db upgrade` puts it back."""
    store = _restored_without_guards(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    try:
        problems = store.verify()
        assert any("rfsm_transitions_no_delete" in problem.what for problem in problems)
    finally:
        store.close()


_COLUMNS = (
    "case_id, seq, trigger_name, source, dest, actor_id, actor_role, actor_organisation, "
    "actor_name, on_date, recorded_at, data, payload_digest, hash, payload_salt, payload_key, "
    "leaf_keys"
)
_COPIED = _COLUMNS.replace("case_id", "case_id || '-copy'", 1)


@pytest.mark.xfail(
    strict=True,
    reason="BK3: the PostgreSQL guard functions name the store's tables unqualified",
)
def test_BK3_the_log_takes_an_insert_under_an_empty_search_path(postgres_url: str) -> None:
    """`pg_restore --data-only` into a store `db upgrade` made sets `search_path` to '' and
    copies the rows with the triggers in place: `rfsm_guard_keyed()` (and
    `rfsm_count_redaction()`) name `rfsm_redacting` (`rfsm_cases`) unqualified, so every entry's
    COPY failed ("relation rfsm_redacting does not exist") and the restore left case rows
    without their log."""
    engine = empty_store(postgres_url)
    try:
        store = SqlAlchemyStore(engine, calendar=CALENDAR)
        store.save(built("case-01", 2))
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL search_path = ''")
            conn.exec_driver_sql(
                f"INSERT INTO public.rfsm_transitions ({_COLUMNS}) "
                f"SELECT {_COPIED} "
                "FROM public.rfsm_transitions WHERE seq = 1"
            )
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


@pytest.mark.xfail(
    strict=True,
    reason="BK5: a trigger whose definer is gone makes every save 'the database failed'",
)
def test_BK5_a_save_refused_by_a_trigger_definer_that_is_gone_says_so(mariadb_url: str) -> None:
    """A `mariadb-dump` restored on a server without the user who made the triggers: every
    save failed with "the database failed (... error 1449)", exit 3 and "Ask your database
    administrator", never saying that the log's triggers name a user that does not exist."""
    engine = empty_store(mariadb_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER rfsm_transitions_keyed")
            conn.exec_driver_sql(
                "CREATE DEFINER = `rfsm_bk_gone`@`localhost` TRIGGER rfsm_transitions_keyed "
                "BEFORE INSERT ON rfsm_transitions FOR EACH ROW SET @rfsm_bk = 1"
            )
        store = SqlAlchemyStore(engine, calendar=CALENDAR)
        with pytest.raises(StoreError) as refused:
            store.save(built("case-01", 1))
        assert "definer" in str(refused.value).lower()
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS rfsm_transitions_keyed")
            for statement in schema.keyed_guard_statements("mariadb"):
                conn.exec_driver_sql(statement)
        engine.dispose()


@pytest.mark.xfail(
    strict=True,
    reason="BK6: a SQLite copy without its -wal reads as 'no case store there'",
)
def test_BK6_a_copy_of_a_live_sqlite_file_without_its_wal_says_why_it_is_empty(
    tmp_path: Path,
) -> None:
    """Copied beside a service holding it open, the database file alone held none of the
    store's tables (all in `-wal`): the CLI said "no case store there ... Check the path",
    not that the copy left the `-wal` behind."""
    live = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.sqlite'}", calendar=CALENDAR)
    try:
        live.create_schema()
        live.save(built("case-01", 1))
        shutil.copyfile(tmp_path / "cases.sqlite", tmp_path / "copy.sqlite")
    finally:
        live.close()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "copy.sqlite"), "verify"])
    assert result.exit_code == 2
    assert "-wal" in result.output
