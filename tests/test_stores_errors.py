"""No database error reaches a caller raw, and none carries a child's personal data.

Every store method turns SQLAlchemy's and the drivers' errors into `StoreError` (with
`.retryable`), `ConcurrentUpdate` or `FormInvalid`, the driver's error chained as `__cause__`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import logging
import os
import socket
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reintegration_fsm import (
    ConcurrentUpdate,
    FormInvalid,
    Pupil,
    StoreError,
)
from reintegration_fsm.cli import cli
from reintegration_fsm.stores import SqlAlchemyStore, failures, postgresql, upgrade
from scenario import AUTHORITY, FIRST_REVIEW, HOST_STAFF, review
from store_contract import (
    CALENDAR,
    advanced,
    before_statements,
    built,
    opened,
    reachable_engine,
    reset_database,
    statements_run,
)

WRITERS = 64
ROUNDS = 6
CASES = 8


def rendered(error: BaseException) -> str:
    """What printing the error prints: its message and every chained cause, with tracebacks."""
    return "".join(traceback.format_exception(error))


def messages(error: BaseException) -> str:
    """The messages of the error and of every error it chains (no source lines)."""
    found: list[str] = []
    current: BaseException | None = error
    while current is not None:
        found += traceback.format_exception_only(current)
        current = current.__cause__ or current.__context__
    return "".join(found)


# -- SQLite under load ---------------------------------------------------------------------------
def test_sixty_four_writers_on_sqlite_see_only_the_librarys_errors(tmp_path: Path) -> None:
    """Half the writers wait 1 ms for the lock, half 50 ms: many saves time out, some lose a
    race, some win; every failure is the library's, none raw."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    setup = SqlAlchemyStore(url, calendar=CALENDAR)
    setup.create_schema()
    for number in range(CASES):
        setup.save(built(f"busy-{number}", 7))  # in placement: reviews may repeat
    outcomes: list[BaseException | None] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        store = SqlAlchemyStore(url, calendar=CALENDAR, busy_timeout=0.001 if number % 2 else 0.05)
        start.wait()
        for round_ in range(ROUNDS):
            outcome: BaseException | None = None
            try:
                case = store.load(f"busy-{(number + round_) % CASES}")
                on = case.last_on or FIRST_REVIEW
                meeting = review(on, concerns=f"Writer {number}, round {round_}.")
                case.hold_review(meeting, by=HOST_STAFF, on=on)
                store.save(case)
            except BaseException as error:  # every kind is recorded; the test sorts them
                outcome = error
            with lock:
                outcomes.append(outcome)
        store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [o for o in outcomes if o is not None]
    raw = [o for o in failures if not isinstance(o, (ConcurrentUpdate, StoreError))]
    assert raw == [], [f"{type(o).__module__}.{type(o).__name__}" for o in raw]
    busy = [o for o in failures if isinstance(o, StoreError)]
    assert busy, "no writer met the lock: the busy path went untested"
    assert all(error.retryable for error in busy)
    assert all(isinstance(error.__cause__, sa.exc.DBAPIError) for error in busy)
    assert len(outcomes) == WRITERS * ROUNDS
    saved = len(outcomes) - len(failures)
    stored = sum(len(setup.history(f"busy-{number}")) for number in range(CASES))
    assert stored == CASES * 7 + saved
    assert setup.verify() == []
    setup.close()


def test_a_database_that_cannot_be_opened_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as no_driver:
        SqlAlchemyStore("nosuchdialect://somewhere/db")
    assert not no_driver.value.retryable
    with pytest.raises(StoreError) as bad_port:
        SqlAlchemyStore("postgresql+psycopg://user:s3cret@localhost:port/db")
    assert "s3cret" not in messages(bad_port.value)
    assert not bad_port.value.retryable
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")
    with pytest.raises(StoreError) as cannot_open:
        store.load("case-01")
    assert isinstance(cannot_open.value.__cause__, sa.exc.DBAPIError)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://user:s3cret@localhost/db", "pip install 'reintegration-fsm[mysql]' and write"),
        ("mariadb://user:s3cret@localhost/db", "write the URL as mariadb+pymysql://"),
        ("postgresql+psycopg2://user:s3cret@localhost/db", "write the URL as postgresql+psycopg"),
        ("postgresql+nosuch://user:s3cret@localhost/db", "[postgresql]' and write"),
        ("nosuchdialect://user:s3cret@somewhere/db", "no database is named 'nosuchdialect'"),
        ("not a url", "the database URL cannot be read: write it as dialect+driver://"),
        ("", "the database URL cannot be read"),
    ],
    ids=[
        "mysql-default-driver",
        "mariadb",
        "psycopg2",
        "no-such-driver",
        "no-such-dialect",
        "words",
        "empty",
    ],
)
def test_a_url_naming_no_installed_driver_says_what_to_install_and_write(
    url: str, said: str
) -> None:
    """`mysql://` (mysqlclient's MySQLdb, which no extra installs) raised a bare
    ModuleNotFoundError from SQLAlchemy; a URL of words or no such dialect said only "the
    database failed (sqlalchemy.exc.ArgumentError)"."""
    with pytest.raises(StoreError) as refused:
        SqlAlchemyStore(url)
    assert said in str(refused.value)
    assert not refused.value.retryable
    assert "s3cret" not in messages(refused.value)


@pytest.mark.parametrize("given", [None, 5, Path("reintegration.sqlite"), b"sqlite://"])
def test_a_database_that_is_no_url_nor_engine_is_form_invalid(given: object) -> None:
    with pytest.raises(FormInvalid, match=r"^store\.url_or_engine: must be a database URL"):
        SqlAlchemyStore(given)  # type: ignore[arg-type]


def test_a_sqlite_file_in_a_missing_folder_says_so(tmp_path: Path) -> None:
    with (
        SqlAlchemyStore(f"sqlite:///{tmp_path / 'no' / 'such.db'}") as store,
        pytest.raises(StoreError, match=r"file cannot be opened .* its folder must exist"),
    ):
        store.load("case-01")


def test_a_damaged_sqlite_file_is_a_store_error_not_worth_retrying(tmp_path: Path) -> None:
    """A file cut short (a copy interrupted, a full disk) said "the database was busy ... may be
    tried again" to the library's callers, and "retry" to an officer (found by a review)."""
    whole = tmp_path / "whole.db"
    with SqlAlchemyStore(f"sqlite:///{whole}", calendar=CALENDAR) as store:
        store.create_schema()
        for n in range(40):
            store.save(built(f"case-{n:02}", 11))
    with sqlite3.connect(whole) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cut = tmp_path / "cut.db"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with SqlAlchemyStore(f"sqlite:///{cut}") as store, pytest.raises(StoreError) as refused:
        list(store.load_all())
    assert "the SQLite database file is damaged" in str(refused.value)
    assert "restore it from a backup" in str(refused.value)
    assert not refused.value.retryable
    with SqlAlchemyStore(f"sqlite:///{whole}") as store:
        assert len(list(store.load_all())) == 40  # the whole file reads


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"busy_timeout": "5"}, "store.busy_timeout"),  # a ValueError quoting "5555..."
        ({"busy_timeout": -1.0}, "store.busy_timeout"),
        ({"busy_timeout": float("nan")}, "store.busy_timeout"),
        ({"busy_timeout": -(10**5000)}, "store.busy_timeout"),  # too long to write out
        ({"durable": "no"}, "store.durable"),  # a non-empty text: durable after all
    ],
)
def test_engine_options_of_the_wrong_kind_are_refused_naming_them(
    tmp_path: Path, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(FormInvalid) as refused:
        SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", **options)
    assert str(refused.value).startswith(f"{named}: ")
    assert not (tmp_path / "cases.db").exists()  # refused before the database was opened


@pytest.mark.parametrize(
    "change",
    [
        {"database": "rfsm_no_such_database"},
        {"username": "rfsm_no_such_user", "password": "s3cret"},
    ],
    ids=["database", "user"],
)
def test_a_server_refusing_the_url_is_not_worth_retrying(
    server: tuple[str, sa.Engine], change: dict[str, str]
) -> None:
    """A database or user the server does not know: a script retrying a `retryable` error
    would retry for ever (PostgreSQL's refusal carries no SQLSTATE, and read as a lost
    connection). It says to check the URL, and never prints the password."""
    url = sa.make_url(server[0]).set(**change)
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    with pytest.raises(StoreError) as refused:
        store.cases()
    assert not refused.value.retryable
    assert "check the URL's database name, user and password" in str(refused.value)
    assert "pg_hba.conf" in str(refused.value)
    assert "will not work" in str(refused.value)
    assert "s3cret" not in messages(refused.value)
    store.close()


def test_a_missing_schema_is_a_store_error_not_a_driver_error(tmp_path: Path) -> None:
    with (
        SqlAlchemyStore(f"sqlite:///{tmp_path / 'empty.db'}", calendar=CALENDAR) as store,
        pytest.raises(StoreError) as refused,
    ):
        store.save(built("case-01", 1))
    assert not refused.value.retryable
    assert "save case 'case-01'" in str(refused.value)


def _autocommit_engines(url: str) -> list[sa.Engine]:
    return [
        sa.create_engine(url, isolation_level="AUTOCOMMIT"),
        sa.create_engine(url).execution_options(isolation_level="AUTOCOMMIT"),
    ]


def test_an_engine_in_autocommit_is_refused_before_anything_is_written(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A careless integrator's engine in AUTOCOMMIT would commit a save statement by
    statement, and leave half of one the database refused midway: the store and `upgrade()`
    refuse it, saying why, on SQLite always and on PostgreSQL when it is set."""
    urls = [f"sqlite:///{tmp_path / 'cases.db'}"]
    if os.environ.get("RFSM_TEST_POSTGRES_URL"):
        urls.append(request.getfixturevalue("postgres_url"))
    for url in urls:
        for engine in _autocommit_engines(url):
            for make in (SqlAlchemyStore, upgrade):
                with pytest.raises(StoreError) as refused:
                    make(engine)
                assert "AUTOCOMMIT" in str(refused.value)
                assert not refused.value.retryable
            engine.dispose()
    assert (
        not (tmp_path / "cases.db").exists()
        or sa.inspect(sa.create_engine(urls[0])).get_table_names() == []
    )
    with SqlAlchemyStore(urls[0], calendar=CALENDAR) as store:  # the same database, as it should be
        store.create_schema()
        store.save(built("ac-01", 2))
        assert store.verify() == []


def test_a_driver_opening_connections_in_autocommit_is_refused(
    server: tuple[str, sa.Engine],
) -> None:
    """The driver, not the engine, told to commit each statement alone (`autocommit=True` in
    `connect_args`, or in a PostgreSQL URL's query): every connection is refused as it is
    made, so nothing is written and nothing is read through one."""
    url, engine = server
    careless = sa.create_engine(url, connect_args={"autocommit": True})
    stores = [SqlAlchemyStore(careless, calendar=CALENDAR)]
    if url.startswith("postgresql"):
        stores.append(SqlAlchemyStore(f"{url}?autocommit=true", calendar=CALENDAR))
    for store in stores:
        for use in (
            functools.partial(store.save, built("ac-02", 2)),
            lambda s=store: list(s.load_all()),
            functools.partial(store.due, dt.date(2030, 1, 1)),
            store.verify,
        ):
            with pytest.raises(StoreError) as refused:
                use()
            assert "autocommit" in str(refused.value)
            assert not refused.value.retryable
        store.close()
    careless.dispose()
    assert SqlAlchemyStore(engine).taken(["ac-02"]) == set()
    store = SqlAlchemyStore(engine, calendar=CALENDAR)  # the same database, as it should be
    store.save(built("ac-02", 2))
    assert store.verify() == []


def test_upgrading_to_a_revision_that_does_not_exist_is_a_store_error(tmp_path: Path) -> None:
    for revision in ("9999", "0001@@x"):
        with pytest.raises(StoreError) as refused:
            upgrade(f"sqlite:///{tmp_path / 'cases.db'}", revision=revision)
        assert not refused.value.retryable


# -- the servers ---------------------------------------------------------------------------------
def _kill(admin: sa.Engine, raw: Any) -> None:
    """End the server session of `raw` (a driver's connection) from another connection, as an
    administrator would."""
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if admin.dialect.name == "postgresql":
            pid = raw.info.backend_pid
            # Waits (up to 60 s) for the backend to be gone: the kill is done when this returns.
            ended = conn.execute(sa.text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": pid})
            assert ended.scalar() is True
        else:
            conn.execute(sa.text(f"KILL CONNECTION {int(raw.thread_id())}"))


def test_a_connection_killed_mid_save_is_retryable_and_leaves_nothing_half_written(
    server: tuple[str, sa.Engine],
) -> None:
    url, admin = server
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("kill-01", 3))
    case = store.load("kill-01")
    advanced(case, 2)
    killed: list[bool] = []

    def kill_before_the_log_is_written(raw: Any, statement: str, params: Any) -> None:
        # PostgreSQL writes the log in the save's one statement, MariaDB in its own.
        if "INSERT INTO rfsm_transitions" in statement and not killed:
            killed.append(True)
            _kill(admin, raw)

    with (
        before_statements(store, kill_before_the_log_is_written),
        pytest.raises(StoreError) as lost,
    ):
        store.save(case)
    assert killed
    assert lost.value.retryable
    assert isinstance(lost.value.__cause__, sa.exc.DBAPIError)
    # As SQLAlchemy says of a lost connection on its own path, the driver's included.
    assert lost.value.__cause__.connection_invalidated
    assert store.history("kill-01") == built("kill-01", 3).history  # the UPDATE rolled back
    assert store.verify() == []
    store.save(case)  # retryable indeed
    store.save(case)  # and once saved, saving again is a no-op
    assert store.history("kill-01") == built("kill-01", 5).history
    assert store.verify() == []
    store.close()


def _slow_log_inserts(admin: sa.Engine) -> None:
    """Every log insert sleeps 4 seconds in a trigger, for a statement to be cancelled."""
    with admin.begin() as conn:
        if admin.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION test_slow() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN PERFORM pg_sleep(4); RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER test_slow BEFORE INSERT ON rfsm_transitions "
                "FOR EACH ROW EXECUTE FUNCTION test_slow()"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER test_slow BEFORE INSERT ON rfsm_transitions "
                "FOR EACH ROW SET @test_slow = SLEEP(4)"
            )


def _cancel_the_running_statement(admin: sa.Engine) -> None:
    """Cancel the statement (not the connection) another session is running, once it has run
    a second: PostgreSQL's `pg_cancel_backend`, MariaDB's `KILL QUERY`."""
    pg = admin.dialect.name == "postgresql"
    running = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND wait_event = 'PgSleep'"
        if pg
        else "SELECT id FROM information_schema.processlist WHERE db = database() "
        "AND id <> connection_id() AND command = 'Query' AND time >= 1"
    )
    with admin.connect() as conn:
        for _ in range(400):
            found = [int(row[0]) for row in conn.exec_driver_sql(running)]
            for session in found:
                conn.exec_driver_sql(
                    f"SELECT pg_cancel_backend({session})" if pg else f"KILL QUERY {session}"
                )
            if found:
                return
            time.sleep(0.02)
    raise AssertionError("the save never reached the slow trigger")


def test_B2_a_statement_cancelled_mid_save_is_retryable_on_both_servers(
    server: tuple[str, sa.Engine],
) -> None:
    """An administrator cancelling a save's statement (or a statement timeout) writes nothing,
    and the same save tried again succeeds: retryable on PostgreSQL as on MariaDB, where it
    was MariaDB's `KILL QUERY` only (review B, B2)."""
    url, admin = server
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("cancel-01", 2))
    case = advanced(store.load("cancel-01"), 1)
    _slow_log_inserts(admin)
    failed: list[StoreError] = []

    def save() -> None:
        try:
            store.save(case)
        except StoreError as error:
            failed.append(error)

    saving = threading.Thread(target=save)
    saving.start()
    _cancel_the_running_statement(admin)
    saving.join()
    with admin.begin() as conn:
        conn.exec_driver_sql(
            "DROP TRIGGER test_slow ON rfsm_transitions"
            if admin.dialect.name == "postgresql"
            else "DROP TRIGGER test_slow"
        )
    [cancelled] = failed
    assert cancelled.retryable, str(cancelled)
    assert "may be tried again" in str(cancelled)
    assert store.history("cancel-01") == built("cancel-01", 2).history  # nothing written
    store.save(case)
    assert store.history("cancel-01") == built("cancel-01", 3).history
    assert store.verify() == []
    store.close()


def _end_every_other_session(engine: sa.Engine) -> int:
    """End every session on the engine's database but this one, as a restart or a failover
    does; the number ended."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            ids = conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ).scalars()
            ended = [
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": p}) for p in ids
            ]
        else:
            ids = conn.exec_driver_sql(
                "SELECT id FROM information_schema.processlist WHERE db = DATABASE() "
                "AND id <> CONNECTION_ID()"
            ).scalars()
            ended = [conn.exec_driver_sql(f"KILL CONNECTION {int(i)}") for i in ids]
    return len(ended)


@pytest.mark.parametrize("call", ["due", "load_all", "load"])
def test_after_a_restart_a_retry_gets_a_new_connection(
    server: tuple[str, sa.Engine], call: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every pooled connection is lost at once: the first call fails, retryable, and the same
    call tried again works, whether it ran on the driver's connection (`due()`, `load_all()`)
    or through SQLAlchemy (`load()`): a lost connection retires the pool's others too."""
    url, engine = server
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("restart-01", 4))
    pooled = [store.engine.connect() for _ in range(3)]
    for conn in pooled:
        conn.exec_driver_sql("SELECT 1")
        conn.close()
    assert _end_every_other_session(store.engine) >= 3
    engine.dispose()  # the test's own engine lost its connection too
    use = {
        "due": functools.partial(store.due, dt.date(2030, 1, 1)),
        "load_all": lambda: list(store.load_all()),
        "load": functools.partial(store.load, "restart-01"),
    }[call]
    lost: list[StoreError] = []
    for _ in range(50):  # until the server has ended them all (it does so asynchronously)
        try:
            use()
        except StoreError as error:
            lost.append(error)
            break
    assert [error.retryable for error in lost] == [True]
    use()  # tried again at once, on a new connection
    assert not [r for r in caplog.records if r.name.startswith("sqlalchemy.pool")]
    store.close()


def test_B4_a_save_after_a_restart_fails_cleanly_and_the_retry_saves(
    server: tuple[str, sa.Engine], caplog: pytest.LogCaptureFixture
) -> None:
    """Every pooled connection is ended by the server (a restart, a failover, an administrator's
    KILL) and the next call is a save: it fails, retryable, and the same save tried again
    saves. On MariaDB the failed save's writer connection died while its isolation level was
    set, was left to the garbage collector, and SQLAlchemy logged "Exception during reset or
    similar" with a traceback (review B, B4); now nothing is logged, on either server."""
    url, engine = server
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("restart-01", 2))
    case = advanced(store.load("restart-01"), 1)
    assert _end_every_other_session(engine) >= 1  # the store's pooled connections
    engine.dispose()
    time.sleep(0.5)  # the server ends them asynchronously
    caplog.clear()
    with pytest.raises(StoreError) as lost:
        store.save(case)
    assert lost.value.retryable, str(lost.value)
    del lost  # its traceback would keep a connection left behind from the collector
    store.save(case)  # tried again at once, on a new connection
    gc.collect()  # a connection left behind would be reset (and its failure logged) here
    assert store.load("restart-01").version == 3
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("sqlalchemy.pool")]
    assert store.engine.pool.checkedout() == 0
    store.close()


def test_a_save_hands_its_connection_back_in_transactions(server: tuple[str, sa.Engine]) -> None:
    """PostgreSQL saves a loaded case as one statement in autocommit: the connection goes back
    to the pool transactional again, so a write of several statements (a new case here) is
    still all or nothing."""
    url, engine = server
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("pool-01", 3))
    case = store.load("pool-01")
    advanced(case, 1)
    store.save(case)
    with store.engine.connect() as conn:
        assert conn.get_isolation_level() != "AUTOCOMMIT"
    assert store.engine.pool.checkedout() == 0
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE rfsm_open_items ADD CONSTRAINT rfsm_test_refuse "
            "CHECK (kind <> 'send_paperwork_to_admissions')"
        )
    with pytest.raises(StoreError):  # its open item is refused after its case row and log
        store.save(built("pool-02", 6))
    assert store.taken(["pool-02"]) == set()
    assert store.verify() == []
    store.close()


@pytest.mark.parametrize("interrupted", [False, True], ids=["driver-error", "interrupt"])
def test_a_connection_left_in_autocommit_is_not_lent_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, interrupted: bool
) -> None:
    """PostgreSQL's one-statement save turns the driver's autocommit on and off again. Should
    turning it off fail (a driver error, or Ctrl-C at that moment), that connection must never
    serve another save: a transactional save on it would commit statement by statement. The
    pool here holds one connection, so the next save would get the same one."""
    import psycopg

    engine = sa.create_engine(postgres_url, pool_size=1, max_overflow=0)
    reset_database(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    store.save(built("pool-01", 3))
    case = advanced(store.load("pool-01"), 1)
    original = psycopg.Connection.autocommit
    refusing: list[bool] = [True]

    def set_autocommit(connection: Any, value: bool) -> None:
        if not value and refusing:
            refusing.clear()
            if interrupted:
                raise KeyboardInterrupt
            raise psycopg.OperationalError("cannot leave autocommit (as the test has it)")
        original.fset(connection, value)  # type: ignore[misc]

    monkeypatch.setattr(psycopg.Connection, "autocommit", property(original.fget, set_autocommit))
    with statements_run(store) as found:
        if interrupted:  # the save itself committed; the interrupt is not swallowed
            with pytest.raises(KeyboardInterrupt):
                store.save(case)
        else:
            store.save(case)
    assert [s for s, _ in found if s.startswith("WITH checked")]  # the one-statement save
    assert not refusing  # turning autocommit off was refused once
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
    refusing.append(True)  # due() reads in autocommit too
    if interrupted:
        with pytest.raises(KeyboardInterrupt):
            store.due(dt.date(2030, 1, 1))
    else:
        assert [item.case_id for item in store.due(dt.date(2030, 1, 1))]
    assert not refusing
    with engine.connect() as conn:
        assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
    assert store.load("pool-01") == built("pool-01", 4)
    assert store.verify() == []
    reset_database(engine)
    engine.dispose()


def test_a_rejected_save_prints_no_personal_data(server: tuple[str, sa.Engine]) -> None:
    """The database refuses the log row that holds the child's details (a constraint added for
    the test); neither the error nor any cause it chains shows them. The store runs on the
    caller's engine, which does not hide parameters itself."""
    _, engine = server
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE rfsm_transitions ADD CONSTRAINT rfsm_test_refuse "
            "CHECK (trigger_name <> 'open')"
        )
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    secrets = ("Alex Example", "2012-05-14", "12 Secret Lane")
    pupil = Pupil(secrets[0], dt.date(2012, 5, 14), key_stage=3, address="12 Secret Lane, Exton")
    with pytest.raises(StoreError) as refused:
        store.save(opened("pii-01", pupil=pupil))
    assert not refused.value.retryable
    cause = refused.value.__cause__
    assert isinstance(cause, sa.exc.DBAPIError)
    assert "rfsm_transitions" in str(cause)  # the cause is there, saying where
    for secret in secrets:
        assert secret not in str(refused.value)
        assert secret not in str(cause)
        assert secret not in str(cause.orig)
        assert secret not in rendered(refused.value)
        assert secret not in messages(refused.value)
    assert store.taken(["pii-01"]) == set()


def test_a_row_lock_refused_chains_no_parameters(server: tuple[str, sa.Engine]) -> None:
    """Another session holds the case row while a save takes the transactional way (a case
    loaded as of a day): the `ConcurrentUpdate` chains the refused statement's error with its
    parameters (the case's state) hidden, on the caller's engine, which does not hide them."""
    _, engine = server
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.save(built("lock-01", 6))
    case = advanced(store.load("lock-01", as_of=dt.date(2026, 12, 31)), 1)
    with engine.connect() as holder, holder.begin():
        holder.exec_driver_sql("SELECT 1 FROM rfsm_cases WHERE case_id = 'lock-01' FOR UPDATE")
        with pytest.raises(ConcurrentUpdate) as refused:
            store.save(case)
    assert refused.value.__cause__ is not None
    printed = rendered(refused.value)
    assert "[parameters:" not in printed
    assert '"format"' not in printed  # the state's text


def test_the_loser_of_a_race_to_create_a_case_prints_no_personal_data(
    server: tuple[str, sa.Engine],
) -> None:
    """Two writers create the same case id for two children at once: the second is refused
    (PostgreSQL: its INSERT waits for the first's commit and fails on the key, and the save
    reports the id taken; MariaDB: its lock is refused at once). What it prints holds nothing
    of the refused row (its parameters, the driver's DETAIL)."""
    url, engine = server
    slow = sa.create_engine(url)
    first = SqlAlchemyStore(slow, calendar=CALENDAR)

    inserted = threading.Event()

    @sa.event.listens_for(slow, "after_cursor_execute")
    def linger(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO rfsm_cases"):
            inserted.set()
            time.sleep(1.0)  # holds the new key, uncommitted, while the second writer tries

    secret = Pupil("Zebedee Secretname", dt.date(2013, 7, 1), key_stage=3)
    writer = threading.Thread(target=first.save, args=(advanced(opened("race-01"), 1),))
    writer.start()
    try:
        # The second writer goes once the first has inserted (a fixed wait of 0.3 s was
        # the first writer's head start, which a loaded machine could outlast).
        assert inserted.wait(120), "the first writer never inserted its case"
        with pytest.raises(ConcurrentUpdate) as refused:
            SqlAlchemyStore(engine, calendar=CALENDAR).save(opened("race-01", pupil=secret))
    finally:
        writer.join()
        slow.dispose()
    if url.startswith("postgresql"):
        assert "taken by a different case" in str(refused.value)
    printed = rendered(refused.value)
    for shown in ("Zebedee", "Secretname", "2013-07-01", "[parameters:", "DETAIL"):
        assert shown not in printed


def test_a_value_too_long_for_copy_is_a_typed_error(postgres_url: str) -> None:
    """COPY runs on psycopg's cursor, outside SQLAlchemy: its errors are converted too. (A
    column narrowed behind the store's back, since the store checks lengths before writing.)"""
    engine = reachable_engine(postgres_url)
    reset_database(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "ALTER TABLE rfsm_transitions ALTER COLUMN actor_organisation TYPE varchar(10)"
        )
    history = built("copy-01", 3).history
    try:
        with pytest.raises(FormInvalid) as refused:
            store.import_histories([(AUTHORITY, history)], use_copy=True)
        assert type(refused.value.__cause__).__module__.startswith("psycopg")
        assert store.taken(["copy-01"]) == set()
    finally:
        reset_database(engine)
        engine.dispose()


# -- the classification, error by error ----------------------------------------------------------
def _psycopg(name: str) -> BaseException:
    import psycopg

    error: BaseException = getattr(psycopg.errors, name)("(message)")
    return error


def _pymysql(number: int) -> BaseException:
    import pymysql

    return pymysql.err.OperationalError(number, "(message)")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: _psycopg("DeadlockDetected"), True),
        (lambda: _psycopg("SerializationFailure"), True),
        (lambda: _psycopg("LockNotAvailable"), True),
        (lambda: _psycopg("AdminShutdown"), True),
        (lambda: _psycopg("UndefinedTable"), False),
        (lambda: _psycopg("DiskFull"), False),
        (lambda: _pymysql(1205), True),  # lock wait timeout
        (lambda: _pymysql(1213), True),  # deadlock
        (lambda: _pymysql(2006), True),  # server gone away
        (lambda: _pymysql(2013), True),  # lost connection during a query
        (lambda: _pymysql(1146), False),  # no such table
        (lambda: sqlite3.OperationalError("database is locked"), True),
        (lambda: sqlite3.OperationalError("no such table: rfsm_cases"), False),
    ],
)
def test_retryable_says_whether_the_same_call_may_simply_be_tried_again(
    make: Any, expected: bool
) -> None:
    driver = make()
    wrapped = sa.exc.OperationalError("SELECT 1", {"name": "Alex Example"}, driver)
    error = failures.translated(wrapped, "test")
    assert isinstance(error, StoreError)
    assert error.retryable is expected
    assert "Alex Example" not in str(wrapped)  # the boundary hid the parameters


@pytest.mark.parametrize(
    "make",
    [
        lambda: _psycopg("UndefinedTable"),
        lambda: _pymysql(1146),
        lambda: sqlite3.OperationalError("no such table: rfsm_cases"),
    ],
)
def test_a_missing_table_says_to_make_the_schema(make: Any) -> None:
    """A new integrator's first load on a fresh database was told only "the database failed"."""
    wrapped = sa.exc.OperationalError("SELECT 1", {}, make())
    error = failures.translated(wrapped, "load case 'c-1'")
    assert isinstance(error, StoreError)
    assert not error.retryable
    assert "a table of the store is missing" in str(error)
    assert "create_schema()" in str(error)
    assert "upgrade(url)" in str(error)


@pytest.mark.parametrize(
    "make", [lambda: _psycopg("StringDataRightTruncation"), lambda: _pymysql(1406)]
)
def test_a_value_refused_while_upgrading_is_a_store_error_and_elsewhere_bad_input(
    make: Any,
) -> None:
    """A migration's write the database refuses is no caller's bad input: `upgrade()` raised
    `FormInvalid` "case.values" for it (found by a review), where its docstring lists only
    `StoreError`. A save's refused value is still `FormInvalid`."""
    wrapped = sa.exc.DataError("UPDATE rfsm_cases", {}, make())
    error = failures.translated(wrapped, failures.UPGRADING)
    assert type(error) is StoreError
    assert not error.retryable
    assert "the database refused a value a migration wrote" in str(error)
    saving = failures.translated(sa.exc.DataError("INSERT", {}, make()), "save case 'c-1'")
    assert isinstance(saving, FormInvalid)


def test_a_store_never_made_says_to_make_it(tmp_path: Path) -> None:
    with (
        SqlAlchemyStore(f"sqlite:///{tmp_path / 'new.sqlite'}") as store,
        pytest.raises(StoreError, match=r"missing .* create_schema\(\)"),
    ):
        store.load("c-1")


def test_a_store_never_made_on_a_server_says_to_make_it(server: tuple[str, sa.Engine]) -> None:
    """The same on PostgreSQL (SQLSTATE 42P01) and MariaDB (error 1146), from the server itself."""
    url, engine = server
    reset_database(engine)
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        for attempt in (lambda: store.load("c-1"), lambda: store.save(built("c-1", 2))):
            with pytest.raises(StoreError, match=r"a table of the store is missing") as refused:
                attempt()
            assert not refused.value.retryable
            assert "create_schema()" in str(refused.value)


def test_a_duplicate_key_is_a_concurrent_update_on_every_driver() -> None:
    import psycopg
    import pymysql

    for driver in (
        psycopg.errors.UniqueViolation("duplicate key value violates unique constraint"),
        pymysql.err.IntegrityError(1062, "Duplicate entry 'Alex Example' for key 'PRIMARY'"),
        sqlite3.IntegrityError("UNIQUE constraint failed: rfsm_cases.case_id"),
    ):
        error = failures.translated(sa.exc.IntegrityError("INSERT", {}, driver), "save", "c-1")
        assert isinstance(error, ConcurrentUpdate)
        assert "Alex Example" not in rendered(driver)


def test_an_option_the_driver_cannot_use_is_a_store_error_not_the_drivers_own() -> None:
    """PyMySQL meets `?write_timeout=-1` with a ValueError, outside its DB-API errors (so
    SQLAlchemy leaves it unwrapped): the store raises a `StoreError`, not retryable, without the
    password, and with the driver's error as its cause."""
    pytest.importorskip("pymysql")
    store = SqlAlchemyStore("mysql+pymysql://root:s3cret-Pa55@127.0.0.1:1/x?write_timeout=-1")
    with pytest.raises(StoreError, match="refused the URL's connection options") as refused:
        store.load("C-1")
    store.close()
    assert not refused.value.retryable
    assert isinstance(refused.value.__cause__, ValueError)
    assert "s3cret-Pa55" not in str(refused.value)


UNREACHABLE = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/rfsm_nowhere",
    "mariadb": "mysql+pymysql://root@127.0.0.1:1/rfsm_nowhere",
}
"""A URL of each server whose port nothing listens on."""

FIRST_CALLS: dict[str, tuple[Callable[[SqlAlchemyStore], object], str, str | None]] = {
    "cases": (lambda store: store.cases(), "list cases", None),
    "save": (lambda store: store.save(opened("case-b")), "save case 'case-b'", "case-b"),
    "load": (lambda store: store.load("case-b"), "load case 'case-b'", "case-b"),
    "history": (lambda store: store.history("case-b"), "read case 'case-b'", "case-b"),
    "due": (lambda store: store.due(dt.date(2026, 3, 2)), "list what is due", None),
    "taken": (lambda store: store.taken(["case-b"]), "look up case ids", None),
    "weightings": (
        lambda store: store.weightings(dt.date(2026, 1, 5), dt.date(2026, 3, 2)),
        "sum the weightings",
        None,
    ),
    "verify": (lambda store: store.verify(), "verify the store", None),
}
"""Calls a store's first call may be: how it fails, and the case it names."""


@pytest.mark.parametrize("engine_name", ["postgresql", "mariadb"])
@pytest.mark.parametrize("call", sorted(FIRST_CALLS))
def test_a_first_call_on_an_unreachable_server_names_the_call_and_its_case(
    engine_name: str, call: str
) -> None:
    """On MariaDB a store's first call looks at its making first, and that look failed as
    "could not cases: ..." or "could not save: ..." with no `case_id`, where PostgreSQL (and
    SQLite) say "could not list cases", "could not save case 'case-b'" and name the case."""
    pytest.importorskip("pymysql" if engine_name == "mariadb" else "psycopg")
    run, action, case_id = FIRST_CALLS[call]
    store = SqlAlchemyStore(UNREACHABLE[engine_name], calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as failed:
            run(store)
    finally:
        store.close()
    assert str(failed.value).startswith(f"could not {action}: "), str(failed.value)
    assert failed.value.case_id == case_id
    with pytest.raises(StoreError) as closed:
        run(store)
    assert str(closed.value).startswith(f"could not {action}: the store was closed")


@pytest.mark.parametrize("options", ["sslmode=bogus", "sslmode=require"])
def test_a_wrong_postgresql_connection_option_is_not_worth_retrying(
    postgres_url: str, options: str
) -> None:
    """`?sslmode=bogus`, or `sslmode=require` against a server without SSL, was a retryable
    "the connection was lost": a retry loop written to the contract spun for ever."""
    pytest.importorskip("psycopg")
    if options == "sslmode=require":
        engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
        with engine.connect() as conn:
            ssl = conn.exec_driver_sql("SHOW ssl").scalar()
        engine.dispose()
        if ssl == "on":
            pytest.skip("this server supports SSL")
    store = SqlAlchemyStore(f"{postgres_url}?{options}", calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as refused:
            store.cases()
    finally:
        store.close()
    assert refused.value.retryable is False
    assert "may be tried again" not in str(refused.value)
    assert "check the options after `?`" in str(refused.value)


@pytest.mark.parametrize(
    "option",
    [
        "client_encoding=nosuch",
        "options=-c%20work_mem%3Dlots",
        "options=-c%20nosuch%3D1",
        "options=-c%20work_mem%3D1",  # outside the valid range
        "options=-c%20enable_seqscan%3Dmaybe",  # requires a Boolean value
        "options=-c%20nosuch",  # -c nosuch requires a value
        "options=--bogus",  # --bogus requires a value
        "options=-Z",  # invalid command-line argument for server process
    ],
)
def test_a_startup_parameter_the_postgresql_server_refuses_is_not_worth_retrying(
    postgres_url: str, option: str
) -> None:
    """The server's FATAL refusal of a startup parameter the URL sets (a client encoding it
    does not know, a setting's value it cannot read, a setting it does not have) reaches
    psycopg without a SQLSTATE: the store called it a lost connection, retryable, so that a
    retry loop written to the contract spun for ever, and the command line "the database is
    unavailable" (exit 3), where it is bad input (review g, g4; a value out of range, one
    not a Boolean, and an option without its value were still so, review F, F3)."""
    pytest.importorskip("psycopg")
    url = f"{postgres_url}?{option}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as refused:
            store.cases()
    finally:
        store.close()
    assert refused.value.retryable is False
    assert "may be tried again" not in str(refused.value)
    assert "check the options after `?`" in str(refused.value)
    result = CliRunner().invoke(cli, ["--db", url, "cases"])
    assert result.exit_code == 2, result.output
    assert "Check the options after `?`" in result.output


@pytest.mark.parametrize(
    "said",
    [
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
        'invalid value for parameter "client_encoding": "nosuch"',
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
        'unrecognized configuration parameter "nosuch"',
        'connection to server at "db", port 5432 failed: FATAL:  parameter "shared_buffers" '
        "cannot be changed without restarting the server",
        'connection to server at "db", port 5432 failed: FATAL:  permission denied to set '
        'parameter "log_statement"',
        'connection to server at "db", port 5432 failed: FATAL:  1 kB is outside the valid '
        'range for parameter "work_mem" (64 .. 2147483647)',
        'connection to server at "db", port 5432 failed: FATAL:  parameter "enable_seqscan" '
        "requires a Boolean value",
        'connection to server at "db", port 5432 failed: FATAL:  -c nosuch requires a value',
        'connection to server at "db", port 5432 failed: FATAL:  --bogus requires a value',
        'connection to server at "db", port 5432 failed: FATAL:  invalid command-line argument '
        "for server process: -Z",
    ],
)
def test_a_refused_startup_parameter_is_told_from_a_lost_connection_by_its_words(
    said: str,
) -> None:
    """How the store tells the server's refusal of a URL's startup parameter (no SQLSTATE)
    from a lost connection, on every engine's test run: by the server's words."""
    psycopg = pytest.importorskip("psycopg")
    error = sa.exc.OperationalError(None, None, psycopg.OperationalError(said))
    assert failures.refused_options(error)
    assert not failures.retryable(error)
    store_error = failures.translated(error, "list cases", None)
    assert isinstance(store_error, StoreError)
    assert store_error.retryable is False
    assert "check the options after `?`" in str(store_error)
    for lost_words in (
        "server closed the connection unexpectedly",
        'connection to server at "db", port 5432 failed: FATAL:  sorry, too many clients already',
        'connection to server at "db", port 5432 failed: FATAL:  the database system is starting '
        "up",
        'connection to server at "db", port 5432 failed: FATAL:  remaining connection slots are '
        "reserved for roles with the SUPERUSER attribute",
    ):
        lost = sa.exc.OperationalError(None, None, psycopg.OperationalError(lost_words))
        assert not failures.refused_options(lost), lost_words
        assert failures.retryable(lost), lost_words


@pytest.mark.parametrize("option", ["require_auth=scram-sha-256", "channel_binding=require"])
def test_an_authentication_option_the_server_cannot_meet_is_not_worth_retrying(
    postgres_url: str, option: str
) -> None:
    """Against a server that does not authenticate by SCRAM (the test server trusts its
    clients), libpq refuses `require_auth=scram-sha-256` and `channel_binding=require` every
    time: the store called it a lost connection (retryable), and the command line "the
    database is unavailable" (exit 3), where it is bad input (exit 2)."""
    pytest.importorskip("psycopg")
    url = f"{postgres_url}?{option}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    try:
        store.cases()
    except StoreError as error:
        if "table of the store is missing" in str(error):
            pytest.skip("this server authenticates by SCRAM")
        refused = error
    else:
        pytest.skip("this server authenticates by SCRAM")
    finally:
        store.close()
    assert refused.retryable is False, str(refused)
    assert "check the options after `?`" in str(refused)
    result = CliRunner().invoke(cli, ["--db", url, "cases"])
    assert result.exit_code == 2, result.output


def test_a_mariadb_url_naming_a_missing_ssl_file_is_bad_input(
    mariadb_url: str, tmp_path: Path
) -> None:
    """`?ssl_ca=FILE` naming no file: PyMySQL's FileNotFoundError, raised before it connects,
    left the store bare, and the command line said "this is a bug" (exit 70)."""
    url = f"{mariadb_url}?ssl_ca={tmp_path / 'no-such-ca.pem'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as refused:
            store.cases()
    finally:
        store.close()
    assert refused.value.retryable is False
    assert "check the options after `?`" in str(refused.value)
    result = CliRunner().invoke(cli, ["--db", url, "cases"])
    assert result.exit_code == 2, result.output


def test_a_lost_postgresql_connection_is_still_worth_retrying() -> None:
    """Nothing listening on the port is no wrong option: the same call may work later."""
    pytest.importorskip("psycopg")
    store = SqlAlchemyStore(UNREACHABLE["postgresql"], calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as failed:
            store.cases()
    finally:
        store.close()
    assert failed.value.retryable


# -- the connection's character set -----------------------------------------------------------
EMOJI_NAME = "Ali \U0001f600 Khan"
"""An invented child's name holding a character outside the Basic Multilingual Plane."""


def _saved_with_an_emoji(url: str) -> None:
    """An empty store at `url` holding case-01, whose child's name holds an emoji, saved
    through a connection that holds every character."""
    engine = reachable_engine(url)
    reset_database(engine)
    engine.dispose()
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()
        store.save(opened("case-01", pupil=Pupil(EMOJI_NAME, dt.date(2012, 5, 14), key_stage=3)))


def _reads_and_writes_every_character(store: SqlAlchemyStore) -> None:
    """The store reads the emoji as saved, writes a name beyond Latin-1 and one within it,
    finds both by their text, and calls nothing altered."""
    assert store.load("case-01").pupil.name == EMOJI_NAME
    store.save(
        opened("case-02", pupil=Pupil("Zo\u00eb Bront\u00eb", dt.date(2012, 5, 14), key_stage=3))
    )
    store.save(
        opened("case-03", pupil=Pupil("Wei \u9f98 \U00020000", dt.date(2012, 5, 14), key_stage=3))
    )
    assert [found.case_id for found in store.cases(text="zo")] == ["case-02"]
    assert [found.case_id for found in store.cases(text="\U0001f600")] == ["case-01"]
    assert [found.case_id for found in store.cases(text="\U00020000")] == ["case-03"]
    assert store.load("case-03").pupil.name == "Wei \u9f98 \U00020000"
    assert store.verify() == []


@pytest.mark.parametrize("charset", ["utf8", "utf8mb3", "latin1", "UTF8", "ascii", "nosuch"])
def test_a_mariadb_url_whose_charset_cannot_hold_every_character_is_refused(
    mariadb_url: str, charset: str
) -> None:
    """`?charset=utf8` (common in MySQL guides) made the server send each 4-byte character as
    "?": `load()` and `export` gave "Ali ? Khan" without a word, and `verify()` called the
    sound entry tampered; `?charset=latin1` raised the driver's bare `UnicodeEncodeError` and
    `cases(text=...)` called sound rows altered. Such a URL is refused when the store is made,
    saying what to write, before anything is read or written."""
    _saved_with_an_emoji(mariadb_url)
    with pytest.raises(StoreError) as refused:
        SqlAlchemyStore(f"{mariadb_url}?charset={charset}", calendar=CALENDAR)
    assert not refused.value.retryable
    assert "charset=utf8mb4" in str(refused.value)
    assert "leave it out" in str(refused.value)
    with pytest.raises(StoreError, match="charset=utf8mb4"):
        upgrade(f"{mariadb_url}?charset={charset}")


@pytest.mark.parametrize("query", ["", "?charset=utf8mb4", "?charset=UTF8MB4"])
def test_a_mariadb_url_in_utf8mb4_reads_and_writes_every_character(
    mariadb_url: str, query: str
) -> None:
    """The driver's default (no `charset`) and `?charset=utf8mb4` hold every character, the
    name spelt in capitals too (which the driver reports as spelt: it was refused)."""
    _saved_with_an_emoji(mariadb_url)
    with SqlAlchemyStore(f"{mariadb_url}{query}", calendar=CALENDAR) as store:
        _reads_and_writes_every_character(store)


def test_a_mariadb_engine_whose_driver_is_in_another_charset_is_refused(
    mariadb_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An engine of the caller's, told by `connect_args` to talk in utf8mb3: each connection
    is refused as it is made, before anything is read or written, and nothing else is logged
    (closing the connection before the pool did logged two tracebacks as an error)."""
    _saved_with_an_emoji(mariadb_url)
    engine = sa.create_engine(mariadb_url, connect_args={"charset": "utf8mb3"})
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(StoreError) as refused:
            store.load("case-01")
    finally:
        engine.dispose()
    assert [record.getMessage() for record in caplog.records] == []
    assert not refused.value.retryable
    assert "charset=utf8mb4" in str(refused.value)


def test_a_mariadb_session_set_to_another_charset_is_set_back(mariadb_url: str) -> None:
    """An engine of the caller's whose session starts with `SET NAMES latin1`: SQLAlchemy sets
    each session back to its driver's character set, so the driver's is the one the store
    needs to check (this pins that)."""
    _saved_with_an_emoji(mariadb_url)
    engine = sa.create_engine(mariadb_url, connect_args={"init_command": "SET NAMES latin1"})
    try:
        with SqlAlchemyStore(engine, calendar=CALENDAR) as store:
            _reads_and_writes_every_character(store)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "narrowed",
    [
        "?client_encoding=WIN1252",
        "?client_encoding=SQL_ASCII",
        "?client_encoding=LATIN1",
        "?options=-c%20client_encoding%3DWIN1252",
        "PGCLIENTENCODING=WIN1252",
        "connect_args",
    ],
)
def test_a_postgresql_connection_in_a_narrow_encoding_is_set_to_utf8(
    postgres_url: str, narrowed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-byte client encoding (the URL's, `PGCLIENTENCODING` in the environment, as on a
    Windows server, or an engine's `connect_args`): saving an emoji raised the driver's bare
    `UnicodeEncodeError`, `cases(text=...)` called sound rows altered, and SQL_ASCII raised a
    bare `TypeError`. Each connection the store uses is in UTF8, whatever it was opened in."""
    url, options = postgres_url, {}
    if narrowed.startswith("?"):
        url = f"{postgres_url}{narrowed}"
    elif narrowed == "connect_args":
        options = {"client_encoding": "WIN1252"}
    else:
        monkeypatch.setenv(*narrowed.split("="))
    for own_engine in (False, True):
        _saved_with_an_emoji(postgres_url)
        engine = sa.create_engine(url, connect_args=options)
        if not own_engine:  # narrow as the driver opens it, without the store (or SQLAlchemy)
            cargs, cparams = engine.dialect.create_connect_args(engine.url)
            raw = engine.dialect.loaded_dbapi.connect(*cargs, **(cparams | options))
            assert raw.info.parameter_status("client_encoding") != "UTF8"
            raw.close()
        given = engine if own_engine else url if narrowed != "connect_args" else engine
        with SqlAlchemyStore(given, calendar=CALENDAR) as store:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW client_encoding").scalar() == "UTF8"
            _reads_and_writes_every_character(store)
        engine.dispose()


@pytest.fixture(params=["LATIN1", "SQL_ASCII", "UTF8"])
def encoded_postgres_url(postgres_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database beside RFSM_TEST_POSTGRES_URL's in another server encoding (as an older
    cluster's template1 or `createdb -E LATIN1` makes one), or in UTF8; dropped afterwards.
    Named after that database, or RFSM_TEST_POSTGRES_SPARE_PREFIX and the encoding."""
    url = sa.make_url(postgres_url)
    prefix = os.environ.get("RFSM_TEST_POSTGRES_SPARE_PREFIX") or f"{url.database}_"
    name = f"{prefix}{request.param.lower()}"
    # No pool: a test that ends every other session (as a failover does) would end it.
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    quoted = admin.dialect.identifier_preparer.quote_identifier(name)  # keeps its case
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            conn.exec_driver_sql(
                f"CREATE DATABASE {quoted} ENCODING '{request.param}' LC_COLLATE 'C' "
                "LC_CTYPE 'C' TEMPLATE template0"
            )
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        admin.dispose()


NO_DATABASE_URL: dict[str, str | None] = {"RFSM_DATABASE_URL": None}


def _tables(url: str) -> list[str]:
    """The tables of the database at `url` (its connection in UTF8, whatever the server's)."""
    engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args={"client_encoding": "UTF8"})
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_B3_a_store_is_made_only_in_a_postgresql_database_in_utf8(
    encoded_postgres_url: str,
) -> None:
    """A DBA created the database in LATIN1 (an older cluster's template1) or SQL_ASCII, then
    ran `db upgrade`: the store was made without a word, saved "Zoë", and months later refused
    "Łucja Nowak" as bad input (LATIN1) or a long name with emoji (SQL_ASCII counts bytes)
    (review B, B3). The store's making is refused there, however it is made, with what to do
    and nothing made, as MariaDB's narrower charset is; in UTF8 it is made and keeps every
    character."""
    url = encoded_postgres_url
    if url.endswith("_utf8"):
        made = CliRunner().invoke(cli, ["--db", url, "db", "upgrade"], env=NO_DATABASE_URL)
        assert made.exit_code == 0, made.output
        _saved_with_an_emoji(url)
        with SqlAlchemyStore(url, calendar=CALENDAR) as store:
            _reads_and_writes_every_character(store)
        return
    encoding = url.rsplit("_", 1)[-1].upper() if "ascii" not in url else "SQL_ASCII"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as refused:
            store.create_schema()
    finally:
        store.close()
    assert not refused.value.retryable
    assert f"its encoding is {encoding}" in str(refused.value)
    assert "ENCODING 'UTF8'" in str(refused.value)
    assert "dump" in str(refused.value)
    for revision in ("head", "0001"):
        with pytest.raises(StoreError, match=f"its encoding is {encoding}"):
            upgrade(url, revision)
    result = CliRunner().invoke(cli, ["--db", url, "db", "upgrade"], env=NO_DATABASE_URL)
    assert result.exit_code == 3, result.output
    assert "ENCODING 'UTF8'" in result.output
    assert "Traceback" not in result.output
    assert _tables(url) == []  # nothing made


@pytest.mark.parametrize("encoded_postgres_url", ["LATIN1", "SQL_ASCII"], indirect=True)
def test_B3_a_store_made_before_in_a_database_not_in_utf8_keeps_working(
    encoded_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store an earlier version made in a LATIN1 or SQL_ASCII database (it may hold cases)
    still opens, saves and loads what that encoding holds: only a new store's making is
    refused (review B, B3; docs/stores.md says how to move it to UTF8)."""
    url = encoded_postgres_url
    with monkeypatch.context() as earlier:  # made as an earlier version made it
        earlier.setattr(postgresql, "refuse_narrow_server", lambda conn: None)
        upgrade(url)
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()  # a store already made: nothing to refuse
        upgrade(url)
        store.save(
            opened(
                "case-01", pupil=Pupil("Zo\u00eb Bront\u00eb", dt.date(2012, 5, 14), key_stage=3)
            )
        )
        assert store.load("case-01").pupil.name == "Zo\u00eb Bront\u00eb"
        assert store.verify() == []


def test_a_drivers_unicode_error_is_a_store_error() -> None:
    """A `UnicodeError` raised in a driver's code (a connection that cannot carry a
    character) is a `StoreError`, not retryable, chaining it; one raised by the library's
    own reading of a row stays what it is (an altered row's, for `read_back`)."""
    in_driver: dict[str, Any] = {"__name__": "pymysql.converters"}
    exec("def escape(value):\n    return value.encode('latin-1')\n", in_driver)
    with pytest.raises(StoreError) as failed, failures.converted("save case 'c-1'", "c-1"):
        in_driver["escape"]("Ali \U0001f600 Khan")
    assert str(failed.value).startswith("could not save case 'c-1': ")
    assert "utf8mb4" in str(failed.value)
    assert not failed.value.retryable
    assert failed.value.case_id == "c-1"
    assert isinstance(failed.value.__cause__, UnicodeEncodeError)
    with pytest.raises(UnicodeEncodeError), failures.converted("list cases"):
        "Ali \U0001f600 Khan".encode("latin-1")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port whose server accepts connections and never says a word (as PostgreSQL does to a
    MariaDB client, each waiting for the other to speak first)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize("driver", ["postgresql+psycopg", "mysql+pymysql"])
def test_a_server_that_never_answers_times_out_as_a_retryable_store_error(
    silent_server: int, driver: str
) -> None:
    """`mysql+pymysql://` naming PostgreSQL's port waited for ever (PyMySQL's connect timeout
    covers the TCP connection only, and psycopg has none by default). Connecting now gives up
    after `busy_timeout` seconds (2 at least) with a `StoreError` worth retrying."""
    store = SqlAlchemyStore(f"{driver}://someone@127.0.0.1:{silent_server}/x", busy_timeout=2)
    raised: list[BaseException] = []

    def ask() -> None:
        try:
            store.cases()
        except BaseException as error:
            raised.append(error)

    started = time.monotonic()
    asking = threading.Thread(target=ask, daemon=True)  # a hang fails the test, not the run
    asking.start()
    asking.join(20)
    waited = time.monotonic() - started
    assert not asking.is_alive(), "still waiting for the server after 20 s"
    store.close()
    [failed] = raised
    assert isinstance(failed, StoreError)
    assert failed.retryable
    assert waited > 1.5, waited  # it waited for the server, then gave up (the join above)


def test_a_query_longer_than_the_connect_timeout_is_not_cut_on_mariadb(mariadb_url: str) -> None:
    """PyMySQL's read timeout bounds the server's greeting only: a query may then take longer
    than `busy_timeout`."""
    store = SqlAlchemyStore(mariadb_url, busy_timeout=2)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT SLEEP(3)").scalar() == 0
    store.close()


def test_a_store_error_names_the_case_the_store_was_writing(tmp_path: Path) -> None:
    """`StoreError.case_id`: the case a failed save or a failed import of one case was writing;
    None for a batch of several, whose message names the batch, not its first case (which may
    be sound). The constructor still takes a message and `retryable` alone."""
    assert StoreError("the disk is full", retryable=False).case_id is None
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE rfsm_open_items")
    with pytest.raises(StoreError) as saving:
        store.save(built("case-02", 3))
    assert saving.value.case_id == "case-02"
    assert "case 'case-02'" in str(saving.value)
    histories = [(AUTHORITY, built(f"case-1{n}", 3).history) for n in range(3)]
    with pytest.raises(StoreError) as one:
        store.import_histories(histories[:1])
    assert one.value.case_id == "case-10"
    assert "could not import case 'case-10'" in str(one.value)
    with pytest.raises(StoreError) as several:
        store.import_histories(histories)
    assert several.value.case_id is None
    assert "the batch of 3 cases 'case-10' to 'case-12'" in str(several.value)
    store.close()


# -- a database that refuses writes --------------------------------------------------------------
READ_ONLY = "the database refuses writes: it is read-only"


def test_a_read_only_sqlite_file_says_so(tmp_path: Path) -> None:
    """A file opened with mode=ro (or one its user may not write): "the database failed
    (sqlite3.OperationalError, SQLITE_READONLY)", which reads as a fault to report."""
    path = tmp_path / "cases.sqlite"
    SqlAlchemyStore(f"sqlite:///{path}").create_schema()
    store = SqlAlchemyStore(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreError) as refused:
        store.save(opened("ro-01"))
    assert str(refused.value).startswith(f"could not save case 'ro-01': {READ_ONLY}")
    assert not refused.value.retryable
    assert store.taken(["ro-01"]) == set()
    store.engine.dispose()


def test_a_read_only_server_says_so(server: tuple[str, sa.Engine]) -> None:
    """A read replica, or a session set read-only, named by mistake."""
    url, _ = server
    session = (
        {"options": "-c default_transaction_read_only=on"}
        if url.startswith("postgresql")
        else {"init_command": "SET SESSION TRANSACTION READ ONLY"}
    )
    engine = sa.create_engine(url, connect_args=session)
    store = SqlAlchemyStore(engine)
    with pytest.raises(StoreError) as refused:
        store.save(opened("ro-01"))
    assert str(refused.value).startswith(f"could not save case 'ro-01': {READ_ONLY}")
    assert not refused.value.retryable
    assert store.taken(["ro-01"]) == set()
    engine.dispose()


def test_ST2_a_load_all_stream_ended_by_the_servers_idle_timeout_is_worth_retrying(
    postgres_url: str,
) -> None:
    """ST2: `load_all()` on PostgreSQL holds a transaction across its yields (its server-side
    cursor's); a server's `idle_in_transaction_session_timeout` ends the session of a caller
    slower than it between two cases. The session is simply gone: calling again works."""
    engine = reachable_engine(postgres_url)
    reset_database(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    store.save(built("case-02", 3))
    timed = sa.make_url(postgres_url).update_query_dict(
        {"options": "-c idle_in_transaction_session_timeout=200"}
    )
    reader = SqlAlchemyStore(timed, calendar=CALENDAR)
    try:

        def slowly() -> None:
            for _ in reader.load_all():
                time.sleep(0.6)  # a caller's work on one case, longer than the server allows

        with pytest.raises(StoreError) as stopped:
            slowly()
        assert stopped.value.retryable, str(stopped.value)
        assert [case.case_id for case in reader.load_all()] == ["case-01", "case-02"]
    finally:
        reader.close()
        store.close()
        reset_database(engine)
        engine.dispose()
