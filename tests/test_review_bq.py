"""Review BQ (BK3 fixed): a PostgreSQL store restored from a data-only dump.

`pg_restore --data-only`, and a `pg_dump --data-only` file replayed with psql, set `search_path`
to '' while they load the rows, with the log's triggers in place (as the tables' owner, who may
not disable them). The trigger functions named the store's tables without a schema, so the first
COPY into `rfsm_transitions` failed (`relation "rfsm_redacting" does not exist`). They now carry
their own `search_path`, the store's schema then `pg_temp` (`schema.pinned`).

These tests run on RFSM_TEST_POSTGRES_URL (skipped when it is unset) and need the PostgreSQL
client tools: with the URL set and pg_dump missing, they fail.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from conftest import database_beside
from reintegration_fsm.cli import cli
from reintegration_fsm.demo import ADMISSIONS
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, schema, upgrade
from store_contract import CALENDAR, built, log_refuses_updates, reachable_engine, reset_database

OTHER_SCHEMA = "rfsm_bq"
"""A schema of the authority's own choosing, not `public`, that a store may live in."""


def _tool(name: str) -> str:
    """The path of a PostgreSQL client tool: a test that needs one fails without it (the URL
    is set, so the database was meant to be tested)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not on PATH: install the PostgreSQL client tools (postgresql-client)"
        )
    return found


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as the `--dbname` of pg_dump, pg_restore and psql."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _in(url: str, home: str) -> str:
    """`url`, its sessions finding their tables in `home`."""
    if home == "public":
        return url
    return (
        sa.make_url(url)
        .update_query_dict({"options": f"-csearch_path={home}"})
        .render_as_string(hide_password=False)
    )


def _emptied(url: str, home: str) -> None:
    """Drop the store's tables (and their functions) from `url`'s database, in `home`."""
    engine = reachable_engine(url)
    try:
        if home == "public":
            reset_database(engine)
            with engine.begin() as conn:
                for function in _functions(conn, home):
                    conn.exec_driver_sql(f"DROP FUNCTION {function}()")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {home} CASCADE")
                conn.exec_driver_sql(f"CREATE SCHEMA {home}")
    finally:
        engine.dispose()


def _functions(conn: sa.Connection, home: str) -> list[str]:
    return list(
        conn.exec_driver_sql(
            "SELECT proname FROM pg_proc WHERE pronamespace = %(home)s::regnamespace "
            "AND proname LIKE 'rfsm%%'",
            {"home": home},
        ).scalars()
    )


@pytest.fixture(params=["public", OTHER_SCHEMA])
def home(request: pytest.FixtureRequest) -> str:
    """The schema the store lives in."""
    return str(request.param)


def _made(postgres_url: str, home: str, *, redacted: bool) -> str:
    """A store in `home` holding the demo's cases, `redacted` with a redaction of one (so that
    the redaction counter's trigger fires on a restore)."""
    _emptied(postgres_url, home)
    url = _in(postgres_url, home)
    made = CliRunner().invoke(cli, ["--db", url, "demo"])
    assert made.exit_code == 0, made.output
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        if redacted:
            store.redact(
                "DEMO-0001", 2, ["form.parent_name"], "Erasure request", by=ADMISSIONS, on=_today()
            )
        assert store.verify() == []
    return url


@pytest.fixture
def source(postgres_url: str, home: str) -> Iterator[str]:
    """A store holding the demo's cases."""
    yield _made(postgres_url, home, redacted=False)
    _emptied(postgres_url, home)


@pytest.fixture
def redacted_source(postgres_url: str, home: str) -> Iterator[str]:
    """A store holding the demo's cases and a redaction of one of them."""
    yield _made(postgres_url, home, redacted=True)
    _emptied(postgres_url, home)


@pytest.fixture
def target(postgres_url: str, home: str) -> Iterator[str]:
    """A second database, empty but for a store made at the newest revision (`db upgrade`)."""
    beside = database_beside(postgres_url, "restored")
    _emptied(beside, home)
    url = _in(beside, home)
    upgrade(url)
    yield url
    _emptied(beside, home)


def _today() -> dt.date:
    return dt.date.today()


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _data_dump(source: str, folder: Path) -> Path:
    """A data-only dump of `source` in pg_dump's custom format, without the version table's row
    (the store made at head has its own)."""
    dump = folder / "data.dump"
    done = _run(
        _tool("pg_dump"),
        "--data-only",
        "--format=custom",
        "--exclude-table-data=rfsm_alembic_version",
        f"--file={dump}",
        f"--dbname={_libpq(source)}",
    )
    assert done.returncode == 0, done.stderr
    return dump


def _restore(dump: Path, target: str, *options: str) -> subprocess.CompletedProcess[str]:
    return _run(
        _tool("pg_restore"),
        "--data-only",
        "--single-transaction",
        "--exit-on-error",
        *options,
        f"--dbname={_libpq(target)}",
        str(dump),
    )


def _restored_soundly(source: str, target: str) -> None:
    """The store at `target` holds what the one at `source` holds (its redaction records too),
    verifies sound, and its log is guarded."""
    with (
        SqlAlchemyStore(source, calendar=CALENDAR) as before,
        SqlAlchemyStore(target, calendar=CALENDAR) as after,
    ):
        assert [c.case_id for c in after.cases()] == [c.case_id for c in before.cases()]
        assert after.verify() == []
        assert after.verify(before.checkpoint()) == []  # every case, its hashes and redactions
        assert after.unguarded() == []
        for case in before.cases():
            assert after.redactions(case.case_id) == before.redactions(case.case_id)
    engine = sa.create_engine(target)
    try:
        assert log_refuses_updates(engine)
    finally:
        engine.dispose()


def test_BQ1_a_data_only_dump_restores_into_a_store_made_at_head(
    source: str, target: str, tmp_path: Path
) -> None:
    """`pg_restore --data-only` failed on the first log entry (`relation "rfsm_redacting" does
    not exist`): the trigger functions looked the tables up on the restore's empty
    `search_path`. They carry their own now, whichever schema the store lives in."""
    done = _restore(_data_dump(source, tmp_path), target)
    assert done.returncode == 0, done.stderr
    _restored_soundly(source, target)


def test_BQ1_a_plain_data_only_dump_replays_with_psql(
    source: str, target: str, tmp_path: Path
) -> None:
    """The same restore from a plain SQL dump replayed with psql (which failed alike)."""
    script = tmp_path / "data.sql"
    dumped = _run(
        _tool("pg_dump"),
        "--data-only",
        "--exclude-table-data=rfsm_alembic_version",
        f"--file={script}",
        f"--dbname={_libpq(source)}",
    )
    assert dumped.returncode == 0, dumped.stderr
    assert "set_config('search_path', '', false)" in script.read_text()
    done = _run(
        _tool("psql"),
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        f"--file={script}",
        f"--dbname={_libpq(target)}",
    )
    assert done.returncode == 0, done.stderr
    _restored_soundly(source, target)


def _superuser(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.exec_driver_sql(
                    "SELECT usesuper FROM pg_user WHERE usename = current_user"
                ).scalar()
            )
    finally:
        engine.dispose()


def test_BQ1_a_redacted_store_restores_data_only_with_its_triggers_disabled(
    redacted_source: str, target: str, tmp_path: Path
) -> None:
    """What docs/stores.md gives for a store holding redactions (BQ2): `--disable-triggers`, as
    a superuser, so that neither the keyed guard refuses a redacted entry nor the counter
    counts each record again on its restored case row."""
    if not _superuser(target):
        pytest.skip("--disable-triggers needs a superuser: RFSM_TEST_POSTGRES_URL's user is not")
    done = _restore(_data_dump(redacted_source, tmp_path), target, "--disable-triggers")
    assert done.returncode == 0, done.stderr
    _restored_soundly(redacted_source, target)


def test_BQ1_the_whole_dump_still_restores(
    redacted_source: str, postgres_url: str, home: str, tmp_path: Path
) -> None:
    """The way docs/stores.md gives first, a whole dump into an empty database, keeps working:
    the functions come with their `search_path`."""
    dump = tmp_path / "whole.dump"
    dumped = _run(
        _tool("pg_dump"), "--format=custom", f"--file={dump}", f"--dbname={_libpq(redacted_source)}"
    )
    assert dumped.returncode == 0, dumped.stderr
    beside = _new_database(postgres_url, "whole")
    try:
        done = _run(
            _tool("pg_restore"),
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={_libpq(beside)}",
            str(dump),
        )
        assert done.returncode == 0, done.stderr
        _restored_soundly(redacted_source, _in(beside, home))
    finally:
        _new_database(postgres_url, "whole", make=False)


def _new_database(url: str, suffix: str, *, make: bool = True) -> str:
    """A new, empty database beside `url`'s (dropped first if there), or none (`make` false)."""
    given = sa.make_url(url)
    name = f"{given.database}_{suffix}"
    admin = sa.create_engine(given, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
    return database_beside(url, suffix) if make else ""


def test_BQ1_the_functions_carry_the_stores_schema(source: str, home: str) -> None:
    """Each function the guards run is pinned to the store's schema, `pg_temp` last (so that a
    session's temporary table cannot stand in for `rfsm_redacting`)."""
    engine = sa.create_engine(source)
    try:
        with engine.connect() as conn:
            configs = dict(
                conn.exec_driver_sql(
                    "SELECT proname, proconfig FROM pg_proc "
                    "WHERE pronamespace = %(home)s::regnamespace AND proname LIKE 'rfsm%%'",
                    {"home": home},
                ).all()
            )
            assert set(configs) == set(schema.guard_functions())
            for config in configs.values():
                assert config == [f"search_path={home}, pg_temp"]
    finally:
        engine.dispose()


def test_BQ1_a_store_whose_schema_was_renamed_is_mended_by_db_upgrade(
    postgres_url: str,
) -> None:
    """Pinned to its schema by name, a store moved to another (`ALTER SCHEMA ... RENAME`) had
    functions looking in one that is gone, and every save failed; `upgrade()` (`db upgrade`)
    makes them again where the store is, as it does a missing guard."""
    moved = f"{OTHER_SCHEMA}_moved"
    _emptied(postgres_url, moved)
    _made(postgres_url, OTHER_SCHEMA, redacted=False)
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {moved}")
            conn.exec_driver_sql(f"ALTER SCHEMA {OTHER_SCHEMA} RENAME TO {moved}")
        url = _in(postgres_url, moved)
        with SqlAlchemyStore(url, calendar=CALENDAR) as store, store.engine.connect() as conn:
            assert schema.mispinned_functions(conn) == sorted(schema.guard_functions())
            with pytest.raises(StoreError):
                store.save(built("case-01", 2))
            # The nightly `verify` says why every save fails, and what mends it.
            (problem,) = store.unguarded()
            assert problem.case_id == "(store)"
            assert "look for its tables in another schema" in problem.what
            assert "rfsm_guard_keyed" in problem.what
            assert "`db upgrade`" in problem.what
        upgrade(url)
        with SqlAlchemyStore(url, calendar=CALENDAR) as store, store.engine.connect() as conn:
            assert schema.mispinned_functions(conn) == []
            assert store.unguarded() == []
            store.save(built("case-01", 2))
            assert store.verify() == []
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {moved} CASCADE")
        engine.dispose()
        _emptied(postgres_url, OTHER_SCHEMA)
