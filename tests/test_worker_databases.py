"""The databases the suite makes beside the URLs' for each pytest-xdist worker (tests/conftest.py):
`pytest -n 3` runs each worker's store tests in a database of its own."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

import conftest
from reintegration_fsm.stores import SqlAlchemyStore
from scenario import ADMISSIONS
from store_contract import (
    CALENDAR,
    built,
    drop_triggers,
    empty_store,
    log_refuses_updates,
    reset_database,
)


def test_a_worker_database_beside_a_mixed_case_database_name_is_the_one_returned() -> None:
    """tests/conftest.py created `test_Y1_gw0` unquoted, so PostgreSQL folded it to
    `test_y1_gw0`, looked for `test_Y1_gw0` (never found) and returned a URL to a database
    that does not exist: every store test failed 'unreachable' under `pytest -n` (review Y,
    Y1)."""
    url = os.environ.get("RFSM_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("RFSM_TEST_POSTGRES_URL is not set")
    given = sa.make_url(url)
    mixed = f"{given.database}_Mixed"
    admin = sa.create_engine(given, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{mixed}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{mixed}"')
    try:
        worker_url = conftest.database_beside(
            given.set(database=mixed).render_as_string(hide_password=False), "gwY"
        )
        assert sa.make_url(worker_url).database == f"{mixed}_gwY"
        engine = sa.create_engine(worker_url, poolclass=sa.NullPool)
        with engine.connect():
            pass
        engine.dispose()
    finally:
        with admin.connect() as conn:
            for name in (f"{mixed}_gwY", f"{mixed}_gwy".lower(), mixed):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


@pytest.fixture(params=["postgres", "mariadb"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The database kept for `empty_store()` on each server."""
    url: str = request.getfixturevalue(f"{request.param}_store_url")
    return url


def test_an_empty_store_keeps_no_rows_and_none_of_a_tests_changes_to_its_schema(
    store_url: str,
) -> None:
    """`empty_store()` reuses the tables a test left whole, emptied; tables whose triggers a
    test dropped, or to which it added a constraint, are made again as `create_schema()` makes
    them, as are tables another test dropped."""
    engine = empty_store(store_url)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.save(built("kept-01", 4))
    store.redact("kept-01", 2, ["form.parent_name"], "asked", by=ADMISSIONS, on=dt.date.today())
    engine.dispose()

    engine = empty_store(store_url)  # left whole: emptied
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    assert store.cases() == []
    with engine.connect() as conn:
        for table in ("rfsm_transitions", "rfsm_redactions", "rfsm_open_items"):
            assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() == 0, table
    store.save(built("kept-02", 3))
    assert log_refuses_updates(engine)
    drop_triggers(engine)
    assert not log_refuses_updates(engine)
    engine.dispose()

    engine = empty_store(store_url)  # its triggers dropped: made again
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    assert store.cases() == []
    store.save(built("kept-03", 3))
    assert log_refuses_updates(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE rfsm_cases ADD CONSTRAINT rfsm_test_added CHECK (case_id <> 'kept-04')"
        )
    engine.dispose()

    engine = empty_store(store_url)  # a constraint added: made again
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.save(built("kept-04", 5))  # would break the added constraint
    assert store.verify() == []
    reset_database(engine)
    engine.dispose()

    engine = empty_store(store_url)  # its tables dropped, the version table with them: made
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    assert store.cases() == []
    store.save(built("kept-05", 2))
    assert store.verify() == []
    engine.dispose()
