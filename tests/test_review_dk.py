"""Review DK: the stores on database servers configured by another authority's DBA, not as this
machine's are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from reintegration_fsm.demo import CASES as DEMO_CASES
from reintegration_fsm.stores import SqlAlchemyStore
from store_contract import CALENDAR, built


def _configured_postgres(url: str, suffix: str, *settings: str) -> Iterator[str]:
    """A database beside `url`'s, in UTF8, with `settings` (`name = 'value'`) as its defaults,
    as a DBA's `ALTER DATABASE ... SET` leaves them; dropped afterwards. Fails (never skips)
    when the server cannot be reached."""
    given = sa.make_url(url)
    name = f"{given.database}_{suffix}"
    admin = sa.create_engine(given, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    quoted = admin.dialect.identifier_preparer.quote_identifier(name)
    try:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
                conn.exec_driver_sql(
                    f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"
                )
                for setting in settings:
                    conn.exec_driver_sql(f"ALTER DATABASE {quoted} SET {setting}")
        except sa.exc.OperationalError as error:
            pytest.fail(f"{url} is set but unreachable: {error}")
        yield given.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        admin.dispose()


@pytest.fixture
def non_conforming_postgres_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database whose DBA set `standard_conforming_strings = off`."""
    yield from _configured_postgres(postgres_url, "dk_scs", "standard_conforming_strings = off")


def test_DK1_an_import_under_standard_conforming_strings_off_verifies_sound(
    non_conforming_postgres_url: str,
) -> None:
    """With `standard_conforming_strings = off` psycopg's COPY wrote each hash and digest as
    the 66 bytes of its `\\x...` text: the import succeeded, and `verify()` then called every
    imported entry altered."""
    store = SqlAlchemyStore(non_conforming_postgres_url, calendar=CALENDAR)
    try:
        store.create_schema()
        case = built("dk1-copy", 5)
        assert store.import_histories([(case.local_authority, case.history)]) == 5
        saved = built("dk1-saved", 3)
        store.save(saved)
        assert store.verify() == []
        assert store.load("dk1-copy").version == case.version
        with store.engine.connect() as conn:
            lengths = conn.exec_driver_sql(
                "SELECT DISTINCT length(hash) FROM rfsm_transitions"
            ).scalars()
            assert list(lengths) == [32]
    finally:
        store.close()


def _configured_mariadb(url: str, suffix: str, sql_mode: str) -> Iterator[str]:
    """A database beside `url`'s, in utf8mb4, and a URL whose connections start in
    `sql_mode` (a DBA's `init_command`); dropped afterwards. Fails (never skips) when the
    server cannot be reached."""
    given = sa.make_url(url)
    name = f"{given.database}_{suffix}"
    admin = sa.create_engine(given, poolclass=sa.NullPool)
    quoted = admin.dialect.identifier_preparer.quote_identifier(name)
    try:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
                conn.exec_driver_sql(f"CREATE DATABASE {quoted} CHARACTER SET utf8mb4")
        except sa.exc.OperationalError as error:
            pytest.fail(f"{url} is set but unreachable: {error}")
        configured = given.set(database=name).update_query_dict(
            {"init_command": f"SET SESSION sql_mode = '{sql_mode}'"}
        )
        yield configured.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
    finally:
        admin.dispose()


@pytest.fixture
def empty_is_null_mariadb_url(mariadb_url: str) -> Iterator[str]:
    yield from _configured_mariadb(mariadb_url, "dk_empty", "EMPTY_STRING_IS_NULL")


@pytest.fixture
def oracle_mariadb_url(mariadb_url: str) -> Iterator[str]:
    yield from _configured_mariadb(mariadb_url, "dk_oracle", "ORACLE")


def test_DK2_a_case_a_parent_withdrew_saves_under_empty_string_is_null(
    empty_is_null_mariadb_url: str,
) -> None:
    """The parent's step has an empty organisation: MariaDB made it NULL and refused it."""
    store = SqlAlchemyStore(empty_is_null_mariadb_url, calendar=CALENDAR)
    try:
        store.create_schema()
        case = DEMO_CASES[2].run("dk2-withdrawn", CALENDAR)
        assert case.history[-1].actor.organisation == ""
        store.save(case)
        assert store.load("dk2-withdrawn").history == case.history
        assert store.verify() == []
    finally:
        store.close()


def test_DK3_due_gives_dates_under_sql_mode_oracle(oracle_mariadb_url: str) -> None:
    """In ORACLE mode MariaDB made the store's DATE columns DATETIME: `due()` gave datetimes,
    which the CLI's `due` compared with a date and crashed on."""
    store = SqlAlchemyStore(oracle_mariadb_url, calendar=CALENDAR)
    try:
        store.create_schema()
        store.save(built("dk3-due", 3))
        items = store.due(dt.date(2030, 1, 1))
        assert items
        assert all(type(item.due) is dt.date for item in items if item.due is not None)
        assert all(type(summary.opened_on) is dt.date for summary in store.cases())
        assert store.verify() == []
    finally:
        store.close()
