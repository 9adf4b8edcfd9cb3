"""Racing writers and a killed writer: optimistic concurrency and crash safety, per engine."""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reintegration_fsm.stores import SqlAlchemyStore, schema
from store_contract import (
    CALENDAR,
    built,
    crash_writer,
    kill,
    race_worker,
    reachable_engine,
    reset_database,
)

WRITERS = 8
ROUNDS = 100


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store schema on each engine, by URL (worker processes open their own)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
        SqlAlchemyStore(url).create_schema()
        yield url
        return
    url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    SqlAlchemyStore(engine).create_schema()
    yield url
    reset_database(engine)
    engine.dispose()


def test_of_eight_writers_saving_the_same_version_exactly_one_wins_each_round(
    database_url: str,
) -> None:
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    store.save(built("race-01", 7))  # in placement: reviews may repeat
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    workers = [
        context.Process(
            target=race_worker, args=(database_url, "race-01", ROUNDS, barrier, results)
        )
        for _ in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    outcomes = []
    try:
        for _ in range(WRITERS * ROUNDS):
            outcomes.append(results.get(timeout=60))
    except queue.Empty:
        pytest.fail(f"the writers stalled after {len(outcomes)} saves")
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers)
    winners = Counter(number for number, _, outcome, _ in outcomes if outcome == "won")
    assert winners == Counter(range(ROUNDS))
    history = store.history("race-01")
    assert [t.seq for t in history] == list(range(1, 8 + ROUNDS))
    assert store.load("race-01").version == 7 + ROUNDS
    assert store.verify() == []
    store.close()


def test_a_writer_killed_mid_stream_leaves_every_case_loadable_and_sound(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    writer = context.Process(target=crash_writer, args=(url, ready))
    writer.start()
    try:
        assert ready.wait(timeout=60), "the writer never got going"
        time.sleep(0.2)
    finally:
        assert writer.pid is not None
        kill(writer.pid)
        writer.join(timeout=30)
    assert writer.exitcode == -9
    with store.engine.connect() as conn:
        case_ids = conn.execute(schema.cases.select().with_only_columns(schema.cases.c.case_id))
        ids = sorted(row[0] for row in case_ids)
    assert len(ids) >= 3
    for case_id in ids:
        case = store.load(case_id)
        assert case.history == store.history(case_id)
    assert store.verify() == []
    store.close()
