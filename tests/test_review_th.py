"""Review TH: one process, many threads sharing one store (an MIS web server's thread pool)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from reintegration_fsm import ConcurrentUpdate, Reintegration, StoreError
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from scenario import HOST_STAFF, review
from store_contract import CALENDAR, built

THREADS = 8
ROUNDS = 10
JOIN = 120.0
"""Seconds to wait for a thread to finish: generous, never a measure of speed."""


def _joined(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(JOIN)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"


def test_threads_sharing_one_sql_store_each_version_has_one_winner(database_url: str) -> None:
    """Not a finding: request threads of one process save the same cases through one store
    object, listing and verifying beside them: one save wins each version, the others are
    refused with `ConcurrentUpdate`, nothing else escapes, and the store verifies clean."""
    _shared_by_threads(SqlAlchemyStore(database_url, calendar=CALENDAR))


def test_threads_sharing_one_in_memory_store_each_version_has_one_winner() -> None:
    """Not a finding: as above, for `InMemoryStore` (no dict changed size while listed)."""
    _shared_by_threads(InMemoryStore(calendar=CALENDAR))


def _shared_by_threads(store: InMemoryStore | SqlAlchemyStore) -> None:
    ids = ["c-00", "c-01"]
    for case_id in ids:
        store.save(built(case_id, 7))  # in placement: reviews may repeat
    won: Counter[str] = Counter()
    failures: list[BaseException] = []

    def request_thread(number: int) -> None:
        try:
            for round_ in range(ROUNDS):
                case_id = ids[number % len(ids)]
                case = store.load(case_id)
                on = case.last_on
                assert on is not None
                case.hold_review(review(on, concerns=f"{number}/{round_}"), by=HOST_STAFF, on=on)
                try:
                    store.save(case)
                    won[case_id] += 1
                except ConcurrentUpdate:
                    pass
                store.due(dt.date(2027, 1, 1))
                store.cases()
        except BaseException as error:
            failures.append(error)

    def verifier() -> None:
        try:
            for _ in range(ROUNDS):
                assert store.verify() == []
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=request_thread, args=(n,)) for n in range(THREADS)]
    threads.append(threading.Thread(target=verifier))
    for thread in threads:
        thread.start()
    _joined(threads)
    assert failures == []
    for case_id in ids:
        assert store.load(case_id).version == 7 + won[case_id]
    assert store.verify() == []
    if isinstance(store, SqlAlchemyStore):
        store.close()


def _paused_in_first_checkout(
    engine: sa.Engine, thread_name: str
) -> tuple[threading.Event, threading.Event]:
    """Two events: `paused` set when the thread named `thread_name` first checks out a
    connection, which then waits for `resume` (a call under way, holding a connection)."""
    paused, resume = threading.Event(), threading.Event()

    def checkout(*_: Any) -> None:
        if threading.current_thread().name == thread_name and not paused.is_set():
            paused.set()
            resume.wait(JOIN)

    event.listen(engine, "checkout", checkout)
    return paused, resume


def _calling(name: str, call: Any, outcome: list[Any]) -> threading.Thread:
    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:
            outcome.append(error)

    return threading.Thread(target=run, name=name)


def test_closing_an_in_memory_store_waits_for_the_call_under_way() -> None:
    """TH1: a web server's in-memory store (`sqlite://`, one connection all threads share in
    turns) closed at shutdown while a request thread loads a case: the load finishes (or is
    refused as closed), never told that the store's tables are missing or the connection lost."""
    store = SqlAlchemyStore("sqlite://", calendar=CALENDAR)
    store.create_schema()
    store.save(built("c-01", 7))
    paused, resume = _paused_in_first_checkout(store.engine, "request")
    outcome: list[Any] = []
    loading = _calling("request", lambda: store.load("c-01"), outcome)
    loading.start()
    assert paused.wait(JOIN)
    closing = threading.Thread(target=store.close, name="shutdown")
    closing.start()
    closing.join(0.5)  # a fixed close() waits for the load's turn: let the load go on anyway
    waiting = _calling("another request", lambda: store.load("c-01"), outcome)
    waiting.start()  # waits for its turn, before or after the close
    waiting.join(0.5)
    resume.set()
    _joined([loading, closing, waiting])
    assert len(outcome) == 2
    for result in outcome:
        if isinstance(result, StoreError):
            assert "the store was closed" in str(result), result
        else:
            assert isinstance(result, Reintegration)
            assert result.version == 7
    with pytest.raises(StoreError, match="the store was closed"):
        store.load("c-01")


def test_a_call_under_way_when_the_store_is_closed_leaves_no_connection_open(
    database_url: str,
) -> None:
    """TH2: a background `verify()` (three connections, one after another) is under way when
    the server shuts down and closes the store: once the verify ends, the closed store holds
    no connection (it opened two in the pool `dispose()` re-created, and kept one for ever)."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    store.save(built("c-01", 7))
    store.cases()  # the store has looked at its database
    paused, resume = _paused_in_first_checkout(store.engine, "verifier")
    outcome: list[Any] = []
    verifying = _calling("verifier", store.verify, outcome)
    verifying.start()
    assert paused.wait(JOIN)
    store.close()
    resume.set()
    _joined([verifying])
    [result] = outcome
    assert result == [] or (isinstance(result, StoreError) and "closed" in str(result)), result
    pool: Any = store.engine.pool
    assert pool.checkedin() == 0, pool.status()
    assert pool.checkedout() == 0, pool.status()
