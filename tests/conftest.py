"""Shared fixtures: the store tests' database URLs (see tests/store_contract.py), and the
hypothesis profiles."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import Phase, settings

from reintegration_fsm import SchoolCalendar, rules

# No wall-clock limits: these machines are shared and noisy, so hypothesis' per-example deadline
# is off everywhere. CI also derandomizes, so that a run is reproducible from its commit.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
# For a quick look while changing code: few examples and no shrinking (RFSM_HYPOTHESIS=quick).
settings.register_profile(
    "quick", deadline=None, max_examples=10, phases=[Phase.explicit, Phase.reuse, Phase.generate]
)
# For CI's leg under the oldest Python: a check that every test runs there, not a second deep
# search (the default Python's leg makes that one): each property and stateful test, its own
# settings included, draws at most COMPAT_EXAMPLES examples, derandomized; a failure still
# shrinks (RFSM_HYPOTHESIS=compat).
COMPAT_EXAMPLES = 10
settings.register_profile("compat", deadline=None, derandomize=True, max_examples=COMPAT_EXAMPLES)
PROFILE = os.environ.get("RFSM_HYPOTHESIS") or ("ci" if os.environ.get("CI") else "local")
settings.load_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under the compat profile, cap the examples of the tests that set their own."""
    if PROFILE != "compat":
        return
    for item in items:
        test = getattr(item, "obj", None)
        _cap_examples(getattr(test, "__func__", test))
        _cap_examples(getattr(item, "cls", None))


DATED_TODAY = ("store_contract", "evidence_contract")
"""The helper modules whose `REDACTED_ON` the store tests date their redactions with."""


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Date the tests' redactions (`store_contract.REDACTED_ON`, and the name imported into the
    test's module) the day the test runs, not the day the modules were imported: the library
    refuses a redaction dated before the day its entries were recorded, so a run crossing
    midnight failed every redaction test after it."""
    today = dt.date.today()
    for module in (*map(sys.modules.get, DATED_TODAY), getattr(item, "module", None)):
        if isinstance(getattr(module, "REDACTED_ON", None), dt.date):
            module.REDACTED_ON = today  # type: ignore[union-attr]


def _cap_examples(holder: object) -> None:
    """Cap the settings a property test function, or a stateful test's case class, holds."""
    if isinstance(holder, type):  # a stateful test's TestCase: `settings` is read per run
        own = getattr(holder, "settings", None)
        if isinstance(own, settings) and own.max_examples > COMPAT_EXAMPLES:
            holder.settings = settings(own, max_examples=COMPAT_EXAMPLES)  # type: ignore[attr-defined]
        return
    own = getattr(holder, "_hypothesis_internal_use_settings", None)
    if isinstance(own, settings) and own.max_examples > COMPAT_EXAMPLES:
        holder._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
            own, max_examples=COMPAT_EXAMPLES
        )


def _database_url(variable: str) -> str:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} is not set: no database to run these store tests against")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return url if worker is None else database_beside(url, worker)


def database_beside(url: str, suffix: str) -> str:
    """The URL of a database beside `url`'s, named with `suffix` (`test_gw0` for one
    pytest-xdist worker), in the same encoding and collation, created when missing: the store
    tests drop and recreate the library's tables, so two workers must never share one. A server
    that cannot be reached fails the test."""
    given = sa.make_url(url)
    name = f"{given.database}_{suffix}"
    # No pool: the admin connection is closed before any test connects.
    admin = sa.create_engine(given, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        quoted = admin.dialect.identifier_preparer.quote_identifier(name)  # keeps its case
        with admin.connect() as conn:
            if admin.dialect.name == "postgresql":
                encoding, collate, ctype = conn.exec_driver_sql(
                    "SELECT pg_encoding_to_char(encoding), datcollate, datctype "
                    "FROM pg_database WHERE datname = current_database()"
                ).one()
                if not conn.exec_driver_sql(
                    "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}
                ).first():
                    conn.exec_driver_sql(
                        f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING '{encoding}' "
                        f"LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"
                    )
            else:
                charset, collation = conn.exec_driver_sql(
                    "SELECT default_character_set_name, default_collation_name "
                    "FROM information_schema.schemata WHERE schema_name = DATABASE()"
                ).one()
                conn.exec_driver_sql(
                    f"CREATE DATABASE IF NOT EXISTS {quoted} "
                    f"CHARACTER SET {charset} COLLATE {collation}"
                )
    except sa.exc.OperationalError as error:
        pytest.fail(f"{url} is set but unreachable: {error}")
    finally:
        admin.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """RFSM_TEST_POSTGRES_URL; the test skips when it is unset (and fails if unreachable)."""
    return _database_url("RFSM_TEST_POSTGRES_URL")


COLLATED = (
    "LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.UTF-8'",
    "LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8'",
    "LC_COLLATE 'en_GB.UTF-8' LC_CTYPE 'en_GB.UTF-8'",
)
"""Ways to create a PostgreSQL database under English collation, the first the server takes."""


@pytest.fixture(scope="session")
def collated_postgres_url(postgres_url: str) -> Iterator[str]:
    """A database beside RFSM_TEST_POSTGRES_URL's, created under English collation (where
    `"a-2" < "B-1"`), as an authority's administrator may create one; dropped afterwards."""
    url = sa.make_url(postgres_url)
    name = f"{url.database}_collated"
    # No pool: a test that ends every other session on RFSM_TEST_POSTGRES_URL's database (as a
    # failover does) would end a pooled connection kept for the teardown.
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    quoted = admin.dialect.identifier_preparer.quote_identifier(name)  # keeps its case
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            for collation in COLLATED:
                try:
                    conn.exec_driver_sql(
                        f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' {collation}"
                    )
                    break
                except sa.exc.DBAPIError:
                    continue
            else:
                pytest.skip("this PostgreSQL server has no English collation (ICU or libc)")
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    """RFSM_TEST_MARIADB_URL; the test skips when it is unset (and fails if unreachable)."""
    return _database_url("RFSM_TEST_MARIADB_URL")


@pytest.fixture(scope="session")
def postgres_store_url(postgres_url: str) -> str:
    """A database beside `postgres_url`'s kept for `store_contract.empty_store()`, whose tables
    outlive a test (the other store tests expect to find none of them in theirs)."""
    return database_beside(postgres_url, "store")


@pytest.fixture(scope="session")
def mariadb_store_url(mariadb_url: str) -> str:
    """A database beside `mariadb_url`'s kept for `store_contract.empty_store()`."""
    return database_beside(mariadb_url, "store")


@pytest.fixture
def mariadb_engine(mariadb_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty MariaDB database (the migration tests')."""
    from store_contract import reachable_engine, reset_database

    engine = reachable_engine(mariadb_url)
    reset_database(engine)
    yield engine
    reset_database(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store schema on each engine, by URL (each store, or worker process, opens its
    own engine)."""
    from reintegration_fsm.stores import SqlAlchemyStore
    from store_contract import reachable_engine, reset_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        with SqlAlchemyStore(url) as store:
            store.create_schema()
        yield url
        return
    url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    SqlAlchemyStore(engine).create_schema()
    yield url
    reset_database(engine)
    engine.dispose()


@pytest.fixture(params=["postgres", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, sa.Engine]]:
    """Each database server's URL, and an engine of the test's own on an empty store schema."""
    from reintegration_fsm.stores import SqlAlchemyStore
    from store_contract import reachable_engine, reset_database

    url = request.getfixturevalue(f"{request.param}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    SqlAlchemyStore(engine).create_schema()
    yield url, engine
    reset_database(engine)
    engine.dispose()


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Fresh databases by engine (`sqlite`, `postgres`, `mariadb`) and role (`source`, `target`,
    or any other name on SQLite): a SQLite file not made yet, or an emptied PostgreSQL or
    MariaDB database, a target's beside the source's (what a copy between stores needs)."""
    from store_contract import reachable_engine, reset_database

    engines: list[sa.Engine] = []

    def fresh(kind: str, role: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'{role}.sqlite'}"
        url = request.getfixturevalue(f"{kind}_url")
        if role == "target":
            url = database_beside(url, "target")
        engine = reachable_engine(url)
        engines.append(engine)
        reset_database(engine)
        return url

    yield fresh
    for engine in engines:
        reset_database(engine)
        engine.dispose()


@pytest.fixture(scope="session")
def calendar() -> SchoolCalendar:
    """The package's sample calendar."""
    return SchoolCalendar.sample()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.date], None]:
    """Set the day the library takes for today where it bounds dates ahead of it (R16, a
    redaction's or a retention run's date: `rules.furthest_date`), for a test that runs a
    retention period's end, years ahead, as that day comes."""

    def today_is(day: dt.date) -> None:
        monkeypatch.setattr(rules.dates, "_LIMIT", [math.inf, day + rules.FURTHEST_AHEAD])

    return today_is


# -- the demo database the CLI tests share ------------------------------------------------------
@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the four demo cases, made once (tests change private copies)."""
    from reintegration_fsm.cli import cli

    file = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    environment = {"RFSM_DATABASE_URL": None, "RFSM_AUTHORITY": None, "RFSM_CALENDAR": None}
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{file}", "demo"], env=environment)
    assert result.exit_code == 0, result.output
    return file


@pytest.fixture
def private_copy(tmp_path: Path) -> Callable[[Path], str]:
    """Copy a SQLite file into the test's own folder, for the test to change: its URL."""

    def copy(file: Path) -> str:
        made = tmp_path / "copy.sqlite"
        shutil.copy(file, made)
        return f"sqlite:///{made}"

    return copy


@pytest.fixture
def demo_db(demo_file: Path, private_copy: Callable[[Path], str]) -> str:
    """A private copy of the demo database, as a URL."""
    return private_copy(demo_file)
