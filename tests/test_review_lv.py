"""Review LV: what a server running for weeks (gunicorn threads, a job queue worker) keeps of the
stores it made per request, and of one store used for a long time: memory, file descriptors,
server-side connections, open transactions."""

from __future__ import annotations

import datetime as dt
import gc
import os
import weakref
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from reintegration_fsm.errors import CaseNotFound, ConcurrentUpdate
from reintegration_fsm.stores import (
    SqlAlchemyStore,
    engines,
    guard,
    mariadb,
    postgresql,
    sql_reading,
)
from reintegration_fsm.stores import sqlite as store_sqlite
from store_contract import CALENDAR, HAPPY_PATH, built, ended

EVERY_ENGINE = pytest.mark.parametrize(
    "database_url", ["sqlite", "postgresql", "mariadb"], indirect=True
)

STORES = 20
"""Stores made per test: each one left behind would be counted."""


@pytest.fixture
def admin(database_url: str) -> Iterator[sa.Engine | None]:
    """An engine without a pool on a server's database, to read its own view of the
    connections (None on SQLite)."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield None
        return
    engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _connections(database_url: str, admin: sa.Engine | None) -> int:
    """The connections open on the database: the server's count of the sessions on it but the
    asking one; on SQLite, this process's descriptors open on the database's files."""
    if admin is None:
        path = os.path.realpath(sa.make_url(database_url).database or "")
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                found += os.readlink(f"/proc/self/fd/{fd}").startswith(path)
            except OSError:  # closed since it was listed (the listing's own)
                continue
        return found
    with admin.connect() as conn:
        if admin.dialect.name == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        else:
            query = (
                "SELECT count(*) FROM information_schema.processlist "
                "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            )
        return int(conn.exec_driver_sql(query).scalar_one())


def _open_transactions(admin: sa.Engine) -> int:
    """The transactions the server holds open on the database for other sessions."""
    with admin.connect() as conn:
        if admin.dialect.name == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
        else:
            query = (
                "SELECT count(*) FROM information_schema.innodb_trx t "
                "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                "WHERE p.db = DATABASE() AND p.id <> CONNECTION_ID()"
            )
        return int(conn.exec_driver_sql(query).scalar_one())


def _registries() -> dict[str, int]:
    """The size of each module-level registry of the stores' engines."""
    return {
        "forked": len(engines._forked),
        "watched": len(engines._watched),
        "sqlite": len(store_sqlite._configured),
        "postgresql": len(postgresql._configured),
        "mariadb": len(mariadb._configured),
        "streams": len(sql_reading._streams),
        "turns": len(guard._turns),
    }


def _serve_one_request(url: str, case_id: str) -> SqlAlchemyStore:
    """What a web request does with a store made for it: reads, and a stream left half way."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.load(case_id)
    store.cases()
    store.due(dt.date(2026, 3, 1))
    stream = store.load_all()
    next(stream)
    return store


# SQLite only for now: under pytest some dropped engines outlive gc.collect() on MariaDB, and on
# PostgreSQL after other tests (review LV, LV3, left open; not seen outside pytest).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_stores_made_per_request_and_dropped_are_collected_with_their_connections(
    database_url: str, admin: sa.Engine | None
) -> None:
    """A store made from a URL for each request and never closed is garbage-collected once
    dropped, with its engine, and its connections (and its abandoned stream's) are closed: the
    server's count of sessions, and the module registries, come back to where they were."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as first:
        first.save(built("lv-1", 3))
    gc.collect()
    connections, registries = _connections(database_url, admin), _registries()
    dropped: list[weakref.ref[SqlAlchemyStore]] = []
    engines_made: list[weakref.ref[sa.Engine]] = []
    for _ in range(STORES):
        store = _serve_one_request(database_url, "lv-1")
        dropped.append(weakref.ref(store))
        engines_made.append(weakref.ref(store.engine))
        del store
    gc.collect()
    assert [ref for ref in dropped if ref() is not None] == []
    assert [ref for ref in engines_made if ref() is not None] == []
    assert _connections(database_url, admin) == connections
    assert _registries() == registries


@EVERY_ENGINE
def test_stores_made_per_request_and_closed_give_everything_back(
    database_url: str, admin: sa.Engine | None
) -> None:
    """Stores closed by `with` after each request leave no connection open on the server and
    no entry in the module registries, even before the garbage collector runs."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as first:
        first.save(built("lv-1", 3))
    gc.collect()
    connections, registries = _connections(database_url, admin), _registries()
    kept = []  # held, so that only `close()` can have given their connections back
    for _ in range(STORES):
        with _serve_one_request(database_url, "lv-1") as store:
            kept.append(store)
    del store
    assert _connections(database_url, admin) == connections
    del kept
    gc.collect()
    assert _registries() == registries


@EVERY_ENGINE
def test_streams_left_half_way_hold_no_transaction_or_connection(
    database_url: str, admin: sa.Engine | None
) -> None:
    """A long-lived store whose `load_all()` streams are left half way, closed or dropped, over
    and over, holds no connection out of its pool and no transaction open on the server (on
    PostgreSQL no session `idle in transaction`); on SQLite no read keeps a checkpoint from
    emptying the WAL."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        for number in range(3):
            store.save(built(f"lv-{number}", 2 + number))
        for round_ in range(STORES):
            stream = store.load_all()
            next(stream)
            if round_ % 2:
                stream.close()  # type: ignore[attr-defined]
            del stream
            store.save(built(f"lv-new-{round_}", 1))  # a write after each, as a server makes
        gc.collect()
        pool = store.engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert pool.checkedout() == 0
        if admin is not None:
            assert _open_transactions(admin) == 0
        else:
            # A checkpoint that must wait for no reader: busy (1) if a read stayed open.
            with sa.create_engine(database_url, poolclass=sa.NullPool).connect() as conn:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            assert busy == 0


@EVERY_ENGINE
def test_a_long_lived_store_remembers_nothing_of_the_cases_and_errors_it_dropped(
    database_url: str, admin: sa.Engine | None
) -> None:
    """One store used for many calls, with refusals raised over and over (`ConcurrentUpdate`,
    `CaseNotFound`), remembers no case object its caller dropped and keeps no exception: what
    it holds per case is forgotten with the case, and its connections stay within its pool."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        refused = []
        for number in range(STORES):
            case_id = f"lv-{number}"
            store.save(built(case_id, 2))
            first, second = store.load(case_id), store.load(case_id)
            ended(second)
            HAPPY_PATH[1](first)
            store.save(first)
            with pytest.raises(ConcurrentUpdate):
                store.save(second)
            refused.append(weakref.ref(second))
            with pytest.raises(CaseNotFound):
                store.load(f"lv-missing-{number}")
            store.history(case_id)
        del first, second
        gc.collect()
        assert [ref for ref in refused if ref() is not None] == []
        assert len(store._seen._entries) == 0
        pool = store.engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert pool.checkedout() == 0
        if admin is not None:
            assert _open_transactions(admin) == 0
