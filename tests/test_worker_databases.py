"""The databases the suite makes beside the URLs' for each pytest-xdist worker (tests/conftest.py):
`pytest -n 3` runs each worker's store tests in a database of its own."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

import conftest


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
        worker_url = conftest._worker_database(
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
