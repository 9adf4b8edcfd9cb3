"""Benchmark the SQL store at scale: bulk reading, one load, due(), verify(), memory and disk.

Run: python benchmarks/bench_scale.py --cases 10000 [--postgres URL] [--mariadb URL] [--workers N]

Each engine gets `--cases` cases of 11 transitions (renamed copies of one scenario run, imported
with `import_histories`), then one run of each figure, printed beside its floor with PASS or FAIL:

- `load_all()`: cases per second (goal >= 20,000), beside its own query fetched raw on the
  driver's cursor with nothing built from the rows (a floor no `load_all()` can pass);
- `load()` of one case against a bare select of its log and a replay (goal <= 1.3x);
- `due()` against its two queries run on the bare DBAPI connection (goal <= 1.5x), and its
  time with 1% of the cases due (goal < 50 ms);
- `verify()`: transitions per second (goal >= 25,000), beside the payload digests alone,
  recomputed for a sample of the log's entries as `verify()` recomputes each (a floor no
  `verify()` in one process can pass), and its peak memory (tracemalloc) against the rows of
  one batch of cases held as dicts (goal <= 4x);
- `verify(workers=N)` (`--workers`, default the CPU count): its rate, and its speed-up against
  one process (goal >= 0.75 N);
- memory per case loaded (tracemalloc, goal <= 8 KB);
- SQLite only: bytes on disk per transition (goal <= 600).

The benchmark drops and recreates the store's tables in the PostgreSQL and MariaDB databases
it is given. SQLite files go in a temporary directory beside the working directory.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import _renamed, fill_due, fresh, report

from reintegration_fsm import Reintegration, Transition
from reintegration_fsm.stores import SqlAlchemyStore, bulk, digests, schema, streaming
from reintegration_fsm.stores.entries import transitions_from_rows
from reintegration_fsm.stores.stored import full_data
from store_contract import CALENDAR, built, reset_database

AUTHORITY = "Example County Council"


def histories(count: int) -> Iterable[tuple[str, list[Transition]]]:
    """`count` 11-transition runs, renamed copies of one scenario run."""
    template = built("scale-0", 11).history
    for n in range(count):
        yield AUTHORITY, _renamed(template, f"scale-{n:07}")


def timed(
    run: Callable[[], object], floor: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """The median seconds of `repeats` runs of `run` and of its `floor`, interleaved round by
    round, so that a shared machine's swings weigh on both alike."""
    ours, theirs = [], []
    for _ in range(repeats):
        for what, times in ((run, ours), (floor, theirs)):
            start = time.perf_counter()
            what()
            times.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def raw_statement(engine: sa.Engine, statement: Any, params: dict[str, Any]) -> tuple[str, Any]:
    """A Core statement as the driver's SQL text and parameters."""
    compiled = statement.compile(dialect=engine.dialect)
    values = compiled.construct_params(params)
    if compiled.positional:
        return str(compiled), tuple(values[name] for name in compiled.positiontup)
    return str(compiled), values


def bench_load_all(store: SqlAlchemyStore, cases: int) -> None:
    """Every case through load_all(), against its own query fetched on the driver's cursor with
    nothing built from the rows: the floor that bounds any load_all() on these tables."""
    statement, params = streaming.driver_statement(
        streaming.whole_log_query(), store.engine.dialect
    )

    def ours() -> None:
        assert sum(1 for _ in store.load_all()) == cases

    def fetched() -> None:
        with store.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            cursor = streaming.streaming_cursor(dbapi, store.engine.dialect)
            cursor.execute(statement, params)
            while cursor.fetchmany(streaming.FETCH):
                pass
            cursor.close()

    took, floor = timed(ours, fetched, 3)
    print(
        f"  load_all(): {cases:,} cases in {took:.2f} s; its query alone, fetched raw: "
        f"{floor:.2f} s, {cases / floor:,.0f} cases/s (medians of 3, interleaved)"
    )
    report("load_all() cases/s", cases / took, "/s", 20_000, "higher")
    print(
        f"    load_all() / the raw fetch of its query: {took / floor:.2f}x (no goal of its own: "
        f"20,000 cases/s needs the fetch alone faster than that)"
    )


def bench_load(store: SqlAlchemyStore, case_id: str) -> None:
    """One load() against a bare select of the case's log and a replay, on an open connection."""
    log = (
        sa.select(schema.transitions)
        .where(schema.transitions.c.case_id == case_id)
        .order_by(schema.transitions.c.seq)
    )
    with store.engine.connect() as conn:

        def raw() -> Reintegration:
            entries = [dict(row) for row in conn.execute(log).mappings()]
            return Reintegration.replay(transitions_from_rows(entries, {}), CALENDAR)

        assert raw() == store.load(case_id)
        ours, raw_time = timed(lambda: store.load(case_id), raw, 200)
    print(f"  load() one case: {ours * 1e3:.3f} ms; select + replay {raw_time * 1e3:.3f} ms")
    report("load() / raw select + replay", ours / raw_time, "x", 1.3, "lower")


def bench_due(url: str, cases: int) -> None:
    """due() with 1% of `cases` cases due, against its two queries on the bare connection."""
    store = fresh(url)
    on = date(2026, 3, 1)
    fill_due(store, cases, on)
    found = store.due(on)
    sqlite = store.engine.dialect.name == "sqlite"
    statements = [
        # A date as SQLAlchemy passes it to each driver (SQLite: its text; Python 3.12
        # deprecates sqlite3's own date adapter).
        raw_statement(store.engine, query, {"b_on": bulk.sqlite_value(on) if sqlite else on})
        for query in (store._select_dated, store._select_undated)
    ]
    raw_connection = store.engine.raw_connection()
    try:

        def raw() -> int:
            cursor = raw_connection.cursor()
            count = 0
            for text, params in statements:
                cursor.execute(text, params)
                count += len(cursor.fetchall())
            cursor.close()
            return count

        assert raw() == len(found)
        ours, raw_time = timed(lambda: store.due(on), raw, 100)
    finally:
        raw_connection.close()
    print(
        f"  due(): {cases:,} cases, {len(found)} due: {ours * 1e3:.3f} ms; "
        f"its two queries {raw_time * 1e3:.3f} ms"
    )
    report("due() / its two raw queries", ours / raw_time, "x", 1.5, "lower")
    report(f"due() with {cases:,} cases, 1% due", ours * 1e3, "ms", 50, "lower")
    store.close()


def batch_bytes(store: SqlAlchemyStore, batch: int) -> int:
    """The memory the log rows of `batch` cases take held as dicts (as verify() holds them)."""
    query = (
        sa.select(schema.transitions)
        .order_by(schema.transitions.c.case_id, schema.transitions.c.seq)
        .limit(batch * 11)
    )
    with store.engine.connect() as conn:
        gc.collect()
        tracemalloc.start()
        rows = [dict(row) for row in conn.execute(query).mappings()]
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    del rows
    return held


TRACED_BATCHES = 4
"""The batches of verify() run under tracemalloc (it is slow there): enough to pass the first."""


class _Enough(Exception):
    """Stops the traced verify() once it has shown its peak."""


def timed_verify(store: SqlAlchemyStore, cases: int, workers: int) -> tuple[int, float]:
    """verify(workers=...) of a sound store: the transitions it checked and the seconds."""
    counted: list[tuple[int, int]] = []
    start = time.perf_counter()
    problems = store.verify(progress=lambda c, t: counted.append((c, t)), workers=workers)
    took = time.perf_counter() - start
    assert problems == [], problems[:3]
    checked_cases, transitions = counted[-1]
    assert checked_cases == cases, counted[-1]
    return transitions, took


DIGEST_SAMPLE = 50_000
"""How many of the log's entries the payload digests' floor recomputes."""


def digests_alone(store: SqlAlchemyStore) -> tuple[int, float]:
    """The payload digests of the log's first `DIGEST_SAMPLE` entries, recomputed as `verify()`
    recomputes each one's (parsed, read in full, every leaf hashed with its key): how many, and
    the seconds that took, the rows already read."""
    log = schema.transitions.c
    query = sa.select(
        log.trigger_name,
        log.data,
        log.payload_salt,
        log.payload_key,
        log.leaf_keys,
        log.actor_id,
        log.actor_name,
        log.payload_digest,
    ).limit(DIGEST_SAMPLE)
    with store.engine.connect() as conn:
        entries = [row._asdict() for row in conn.execute(query)]
    start = time.perf_counter()
    for entry in entries:
        data = full_data(entry["trigger_name"], json.loads(entry["data"]))
        root = digests.payload_digest(
            entry["payload_salt"],
            entry["actor_id"],
            entry["actor_name"],
            data,
            markers=True,
            keys=digests.entry_keys(entry, data),
        )
        assert root == entry["payload_digest"]
    return len(entries), time.perf_counter() - start


def bench_verify(store: SqlAlchemyStore, cases: int, workers: int) -> None:
    """verify(): its rate, in this process and in `workers` processes (the speed-up against one
    at most `workers`), then (another run) its peak memory under tracemalloc."""
    transitions, took = timed_verify(store, cases, 1)
    print(f"  verify(): {cases:,} cases, {transitions:,} transitions in {took:.2f} s")
    report("verify() transitions/s", transitions / took, "/s", 25_000, "higher")
    sampled, alone = digests_alone(store)
    print(
        f"    its payload digests alone ({sampled:,} entries): {sampled / alone:,.0f} "
        f"transitions/s; verify() / them: {took / transitions / (alone / sampled):.2f}x (no goal "
        "of its own: 25,000 transitions/s in one process needs them alone faster than that)"
    )
    _, spread = timed_verify(store, cases, workers)
    print(f"  verify(workers={workers}): the same in {spread:.2f} s")
    report(f"verify(workers={workers}) transitions/s", transitions / spread, "/s", 25_000, "higher")
    report(
        f"verify(workers={workers}) speed-up over one", took / spread, "x", 0.75 * workers, "higher"
    )
    batch = batch_bytes(store, 500)
    batches = 0

    def enough(cases: int, transitions: int) -> None:
        nonlocal batches
        batches += 1
        if batches >= TRACED_BATCHES:
            raise _Enough

    gc.collect()
    tracemalloc.start()
    with contextlib.suppress(_Enough), warnings.catch_warnings():
        # PyMySQL warns of the streaming read this stops half way.
        warnings.filterwarnings("ignore", "Previous unbuffered result")
        store.verify(progress=enough)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"    verify() peak {peak / 2**20:.1f} MiB over its first {batches} batches (traced; "
        f"the peak of a batch does not grow with the store); one batch of 500 cases' log rows "
        f"{batch / 2**20:.1f} MiB"
    )
    report("verify() peak memory / one batch of rows", peak / batch, "x", 4.0, "lower")


def bench_memory(store: SqlAlchemyStore, count: int) -> None:
    """The memory a loaded case holds (its history, state and the store's note of it)."""
    ids = [f"scale-{n:07}" for n in range(count)]
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    loaded = list(store.load_all(ids))
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(loaded) == count
    per_case = (after - before) / count / 1024
    print(f"  memory: {count:,} cases from load_all() hold {(after - before) / 2**20:.1f} MiB")
    report("memory per loaded case", per_case, "KB", 8, "lower")
    del loaded


def bench_disk(path: Path, transitions: int) -> None:
    """The SQLite file's bytes per transition, after a WAL checkpoint."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    size += wal.stat().st_size if wal.exists() else 0
    print(f"  disk: {size / 2**20:.1f} MiB for {transitions:,} transitions (every table, index)")
    report("SQLite bytes on disk per transition", size / transitions, "B", 600, "lower")


def run(title: str, url: str, cases: int, sqlite_file: Path | None, workers: int) -> None:
    """Every figure on one engine."""
    print(f"\n{title}")
    store = fresh(url)
    start = time.perf_counter()
    written = store.import_histories(histories(cases))
    took = time.perf_counter() - start
    print(f"  import: {cases:,} cases, {written:,} transitions in {took:.1f} s")
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if store.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
        elif store.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
    store.close()
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    bench_load_all(store, cases)
    bench_load(store, f"scale-{cases // 2:07}")
    bench_verify(store, cases, workers)
    bench_memory(store, min(cases, 2000))
    if sqlite_file is not None:
        bench_disk(sqlite_file, written)
    store.close()
    bench_due(url if sqlite_file is None else f"sqlite:///{sqlite_file}.due", cases)
    if sqlite_file is None:
        engine = sa.create_engine(url)
        reset_database(engine)
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """Run every figure on SQLite, and on PostgreSQL and MariaDB when given their URLs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (tables are dropped)")
    parser.add_argument("--mariadb", default=None, help="a MariaDB URL (tables are dropped)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="verify()'s processes"
    )
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="rfsm-scale-", dir=Path.cwd()))
    try:
        sqlite_file = directory / "scale.db"
        sqlite_url = f"sqlite:///{sqlite_file}"
        run("SQLite (WAL, synchronous=FULL)", sqlite_url, args.cases, sqlite_file, args.workers)
        if args.postgres:
            run("PostgreSQL", args.postgres, args.cases, None, args.workers)
        if args.mariadb:
            run("MariaDB", args.mariadb, args.cases, None, args.workers)
    finally:
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
