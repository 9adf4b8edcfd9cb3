"""Review FK: a store made, and used, before the process forks (gunicorn `--preload`,
Celery's prefork pool, `multiprocessing`'s fork start method, uWSGI)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from typing import Any

import pytest
import sqlalchemy as sa

from reintegration_fsm.stores import SqlAlchemyStore
from store_contract import CALENDAR, built

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no os.fork"),
    # Python 3.12+ warns of forking a process with threads (pytest-xdist's, here); the children
    # below start no thread and take no lock another thread may hold.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

CHILDREN = 4
ROUNDS = 8
JOIN = 60.0
"""Seconds to wait for the children to finish: generous, never a measure of speed."""


def _work(store: SqlAlchemyStore, tag: str) -> list[str]:
    """Save, load back and list `ROUNDS` cases of its own; what went wrong, in words."""
    wrong = []
    for number in range(ROUNDS):
        case_id, version = f"{tag}-{number}", 2 + number % 3
        try:
            store.save(built(case_id, version))
            loaded = store.load(case_id)
            if (loaded.case_id, loaded.version) != (case_id, version):
                wrong.append(f"{case_id} v{version} loaded as {loaded.case_id} v{loaded.version}")
            if case_id not in {summary.case_id for summary in store.cases()}:
                wrong.append(f"cases() lacks {case_id}")
        except Exception as error:  # every failure is a finding: report it, go on
            wrong.append(f"{case_id}: {type(error).__name__}: {error}")
    return wrong


def _child(store: SqlAlchemyStore, tag: str, answer: Connection) -> None:
    try:
        wrong = _work(store, tag)
        wrong += [f"verify: {problem}" for problem in store.verify()]
        gc.collect()  # the parent's connections this child let go of are finalised here
        answer.send(wrong)
    except BaseException as error:
        answer.send([f"{type(error).__name__}: {error}"])
    finally:
        answer.close()


def _forked(store: SqlAlchemyStore) -> list[str]:
    """Fork `CHILDREN` children working on `store` while this process works on it too; what
    went wrong anywhere. A child that never ends fails the test."""
    context = multiprocessing.get_context("fork")
    children: list[tuple[Any, Connection]] = []
    for number in range(CHILDREN):
        reading, writing = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(store, f"C{number}", writing))
        child.start()
        writing.close()
        children.append((child, reading))
    wrong = _work(store, "PARENT")
    # One bound for all the children, not one each: a child stuck on a shared socket (as
    # before FK1's fix) fails the test within it, however many children are stuck.
    until = time.monotonic() + JOIN
    stuck = 0
    for child, reading in children:
        if reading.poll(max(0.0, until - time.monotonic())):
            wrong += reading.recv()
        child.join(max(0.0, until - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join()
            stuck += 1
        else:
            assert child.exitcode == 0
    if stuck:
        pytest.fail(f"{stuck} forked child(ren) never finished; wrong besides: {wrong}")
    return wrong


def test_forked_children_use_connections_of_their_own(database_url: str) -> None:
    """FK1: the store's pool held a connection when the process forked; each child used it.
    On PostgreSQL the children and the parent failed on the shared socket (prepared statements
    of another process, "received 4 results from command 'ROLLBACK'"), and a child's save
    returned without error yet left log entries without a case row (`verify()`); on MariaDB
    the first call of each lost its connection. Now each child opens its own."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    for number in range(3):
        store.save(built(f"BEFORE-{number}", 3))
    assert store.engine.pool.checkedin() >= 1  # a connection carried across the fork

    assert _forked(store) == []
    # The parent's own pooled connection survived its children.
    assert len(list(store.cases())) == 3 + (CHILDREN + 1) * ROUNDS
    assert store.verify() == []
    store.close()
    with SqlAlchemyStore(database_url) as fresh:
        assert fresh.verify() == []
        if fresh.engine.dialect.name == "sqlite":
            with fresh.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_forked_children_on_a_callers_engine(database_url: str) -> None:
    """FK1, for a store on an engine the integrator made: its children, too, open their own
    connections (disposing a pool with `close=False` leaves the parent's untouched)."""
    engine = sa.create_engine(database_url)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.save(built("BEFORE-0", 3))
    assert _forked(store) == []
    assert store.verify() == []
    store.close()
    engine.dispose()


def test_store_first_used_in_forked_children(database_url: str) -> None:
    """Not a finding: a store made in the parent and first used in the children (gunicorn
    `--preload` making the app's store at import) works in each."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    assert _forked(store) == []
    assert store.verify() == []
    store.close()
