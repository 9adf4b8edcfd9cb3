"""Benchmark the SQL store against its targets; prints each figure beside its floor.

Run: python benchmarks/bench_store.py [--postgres URL] [--import-transitions N] ...
PostgreSQL figures need --postgres or RFSM_TEST_POSTGRES_URL (they are skipped otherwise);
the benchmark drops and recreates the store's tables in that database. SQLite files go in a
temporary directory on the same disk as the working directory (fsync is real).

A save is also timed against a peer, in the same run and interleaved round by round:
eventsourcing's aggregate recorder inserting one event into an existing aggregate (its SQLite
recorder with the same WAL + synchronous=FULL durability, and its PostgreSQL recorder on the
same database), goal ours/peer <= 1.0; and on SQLite against the floor, raw sqlite3 doing the
version UPDATE and one ~600-byte log INSERT in one BEGIN IMMEDIATE ... COMMIT, goal <= 2x.
The peer figures need eventsourcing: pip install '.[bench]'. Every figure prints PASS or FAIL;
the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from reintegration_fsm import ReferralRoute, Reintegration, Transition
from reintegration_fsm.fields import folded_name
from reintegration_fsm.stores import SqlAlchemyStore, bulk, schema
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.digests import payload_digest
from reintegration_fsm.stores.entries import log_rows
from reintegration_fsm.stores.hashing import entry_hash
from reintegration_fsm.stores.rows import item_key, next_due, open_item_rows
from store_contract import (
    ADMISSIONS,
    CALENDAR,
    HOST_FOUND,
    HOST_SCHOOL,
    built,
    race_worker,
    reset_database,
)

LOG_COLUMNS = [c.name for c in schema.transitions.columns]
ITEM_COLUMNS = [c.name for c in schema.open_items.columns]
CASE_COLUMNS = [c.name for c in schema.cases.columns]
LEDGER_COLUMNS = [c.name for c in schema.weightings.columns]


def report(name: str, value: float, unit: str, floor: float, better: str) -> None:
    """One line: the figure, its floor, the ratio, PASS or FAIL."""
    ok = value <= floor if better == "lower" else value >= floor
    sign = "<=" if better == "lower" else ">="
    print(
        f"  {name:<58} {value:10.3f} {unit:<4} target {sign} {floor:<8g} "
        f"ratio {value / floor:6.2f}  {'PASS' if ok else 'FAIL'}"
    )


def fresh(url: str) -> SqlAlchemyStore:
    """A store on an empty schema."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    reset_database(store.engine)
    store.create_schema()
    return store


# -- the raw driver ------------------------------------------------------------------------------
CASE_ID = 8
"""Where the case id stands in `Raw.update`'s parameters."""


class Raw:
    """The same statements as `SqlAlchemyStore.save`, on the bare DBAPI connection."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(
                sa.make_url(url).set(drivername="postgresql").render_as_string(False)
            )
            mark = "%s"
        names = ", ".join
        # The store's optimistic UPDATE: the version and hash it saw, the authority, and the
        # count of redaction records the case row keeps; on PostgreSQL it takes the row lock in
        # a NOWAIT sub-select (one round trip).
        case = (
            f"(SELECT locked.case_id FROM rfsm_cases AS locked WHERE locked.case_id = {mark} "
            "FOR UPDATE NOWAIT)"
            if not self.sqlite
            else mark
        )
        self.update = (
            f"UPDATE rfsm_cases SET stage={mark}, version={mark}, next_due={mark}, "
            f"last_hash={mark}, host_school={mark}, host_school_folded={mark}, last_on={mark}, "
            f"state={mark} "
            f"WHERE case_id = {case} AND version = {mark} AND last_hash = {mark} "
            f"AND authority = {mark} AND redactions = {mark}"
        )
        self.mark = mark
        # Only the open items that closed go, only those that opened are inserted.
        self.delete = f"DELETE FROM rfsm_open_items WHERE case_id = {mark} AND item_no IN "
        self.insert_log = (
            f"INSERT INTO rfsm_transitions ({names(LOG_COLUMNS)}) "
            f"VALUES ({names([mark] * len(LOG_COLUMNS))})"
        )
        self.insert_items = (
            f"INSERT INTO rfsm_open_items ({names(ITEM_COLUMNS)}) "
            f"VALUES ({names([mark] * len(ITEM_COLUMNS))})"
        )
        self.insert_cases = (
            f"INSERT INTO rfsm_cases ({names(CASE_COLUMNS)}) "
            f"VALUES ({names([mark] * len(CASE_COLUMNS))})"
        )
        self.insert_ledger = (
            f"INSERT INTO rfsm_weightings ({names(LEDGER_COLUMNS)}) "
            f"VALUES ({names([mark] * len(LEDGER_COLUMNS))})"
        )

    def value(self, v: Any) -> Any:
        # SQLite keeps dates as text: the store's own text, or verify reports the row.
        return bulk.sqlite_value(v) if self.sqlite else v

    def tuple_of(self, row: dict[str, Any], columns: Sequence[str]) -> tuple[Any, ...]:
        # The log keeps its digests and hashes as bytes (`schema.HexBytes`).
        return tuple(
            self.value(schema.as_bytes(row[c]) if c in schema.BINARY_COLUMNS else row[c])
            for c in columns
        )

    def save(
        self, update: tuple[Any, ...], entry: tuple[Any, ...], gone: list[int], items: list[Any]
    ) -> None:
        delete = self.delete + f"({', '.join([self.mark] * len(gone))})"
        if self.sqlite:
            cursor = self.conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(self.update, update)
            assert cursor.rowcount == 1
            if gone:
                cursor.execute(delete, (update[CASE_ID], *gone))
            cursor.execute(self.insert_log, entry)
            if items:
                cursor.executemany(self.insert_items, items)
            cursor.execute("COMMIT")
        else:
            with self.conn.transaction(), self.conn.cursor() as cursor:
                cursor.execute(self.update, update)
                assert cursor.rowcount == 1
                if gone:
                    cursor.execute(delete, (update[CASE_ID], *gone))
                cursor.execute(self.insert_log, entry)
                if items:
                    cursor.executemany(self.insert_items, items)

    def insert_many(self, batch: Sequence[bulk.Prepared]) -> None:
        rows = (
            (self.insert_cases, [self.tuple_of(p.case_row, CASE_COLUMNS) for p in batch]),
            (self.insert_log, [self.tuple_of(e, LOG_COLUMNS) for p in batch for e in p.entries]),
            (self.insert_items, [self.tuple_of(i, ITEM_COLUMNS) for p in batch for i in p.items]),
            (
                self.insert_ledger,
                [self.tuple_of(r, LEDGER_COLUMNS) for p in batch for r in p.ledger],
            ),
        )
        if self.sqlite:
            cursor = self.conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            for statement, params in rows:
                if params:
                    cursor.executemany(statement, params)
            cursor.execute("COMMIT")
        else:
            with self.conn.transaction(), self.conn.cursor() as cursor:
                for statement, params in rows:
                    if params:
                        cursor.executemany(statement, params)


# -- the peer and the floor ---------------------------------------------------------------------
PAYLOAD = b"x" * 600
"""About the size of one of our log entries (the row with its JSON text and hashes)."""


class Floor:
    """Raw sqlite3: the version UPDATE and one ~600-byte log INSERT, one BEGIN IMMEDIATE."""

    def __init__(self, path: Path, count: int) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("CREATE TABLE heads (id TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        self.conn.execute(
            "CREATE TABLE log (id TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, "
            "PRIMARY KEY (id, seq))"
        )
        self.conn.executemany(
            "INSERT INTO heads VALUES (?, 3)", [(f"floor-{n}",) for n in range(count)]
        )

    def save(self, n: int) -> None:
        cursor = self.conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("UPDATE heads SET version = 4 WHERE id = ? AND version = 3", (f"floor-{n}",))
        assert cursor.rowcount == 1
        cursor.execute("INSERT INTO log VALUES (?, 4, ?)", (f"floor-{n}", PAYLOAD))
        cursor.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


PEER_TABLE = "rfsm_bench_peer_events"


class Peer:
    """eventsourcing's aggregate recorder: one event appended to an existing aggregate."""

    def __init__(self, url: str, directory: Path, count: int) -> None:
        from eventsourcing.persistence import StoredEvent

        self.stored_event = StoredEvent
        self.postgres = not url.startswith("sqlite")
        self.datastore: Any
        if self.postgres:
            from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore

            parsed = sa.make_url(url)
            self.datastore = PostgresDatastore(
                dbname=str(parsed.database),
                host=parsed.host or "localhost",
                port=parsed.port or 5432,
                user=parsed.username or "postgres",
                password=parsed.password or "",
            )
            self._drop()
            self.recorder: Any = PostgresAggregateRecorder(
                self.datastore, events_table_name=PEER_TABLE
            )
        else:
            from eventsourcing.sqlite import (
                SQLiteAggregateRecorder,
                SQLiteConnection,
                SQLiteConnectionPool,
                SQLiteDatastore,
            )

            class FullSync(SQLiteConnectionPool):
                def _create_connection(self) -> SQLiteConnection:
                    conn = super()._create_connection()
                    conn.cursor().execute("PRAGMA synchronous = FULL")
                    return conn

            path = str(directory / "peer.db")
            self.datastore = SQLiteDatastore(path)
            self.datastore.pool = FullSync(db_name=path)
            self.recorder = SQLiteAggregateRecorder(self.datastore, PEER_TABLE)
        self.recorder.create_table()
        self.ids = [uuid.uuid4() for _ in range(count)]
        # Each aggregate already holds three events, like a case in REFERRED.
        self.recorder.insert_events(
            [self.event(i, version) for i in self.ids for version in (1, 2, 3)]
        )
        if not self.postgres:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute("PRAGMA journal_mode")
                journal = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous")
                assert (journal, cursor.fetchone()[0]) == ("wal", 2), "not WAL + FULL"

    def event(self, originator: uuid.UUID, version: int) -> Any:
        return self.stored_event(originator, version, "bench:HostIdentified", PAYLOAD)

    def save(self, n: int) -> None:
        self.recorder.insert_events([self.event(self.ids[n], 4)])

    def _drop(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {PEER_TABLE}")

    def close(self) -> None:
        if self.postgres:
            self._drop()
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(f"DROP TYPE IF EXISTS {self.recorder.stored_event_type_name}")
        self.datastore.close()


def peer_or_none(url: str, directory: Path, count: int) -> Peer | None:
    """The peer, or None (saying why) when eventsourcing is not installed."""
    try:
        return Peer(url, directory, count)
    except ImportError as error:
        print(
            f"  peer (eventsourcing) skipped ({error}): the peer figure needs "
            "pip install '.[bench]'"
        )
        return None


# -- figures -------------------------------------------------------------------------------------
def referred_cases(prefix: str, count: int) -> list[Reintegration]:
    """`count` cases in REFERRED, each ready for `identify_host`."""
    template = built(f"{prefix}-0", 3)
    return [
        Reintegration.replay(_renamed(template.history, f"{prefix}-{n}"), CALENDAR)
        for n in range(count)
    ]


def _renamed(history: Sequence[Transition], case_id: str) -> list[Transition]:
    first = history[0]
    opened = Transition(
        first.seq,
        first.trigger,
        first.source,
        first.dest,
        first.actor,
        first.on,
        first.data | {"case_id": case_id},
    )
    return [opened, *history[1:]]


def bench_save(url: str, saves: int, directory: Path) -> None:
    """Save one transition (identify_host) vs the raw driver doing the same statements, vs
    the peer appending one event, and (SQLite) vs the floor; rounds interleaved."""
    store = fresh(url)
    ours = referred_cases("ours", saves)
    raw_cases = referred_cases("raw", saves)
    store.import_histories(
        ((c.local_authority, c.history) for c in ours + raw_cases), use_copy=False
    )
    # As a caller would: load, fire one trigger, save (the store remembers what it loaded).
    ours = [store.load(case.case_id) for case in ours]
    before = {c.case_id: open_item_rows(c, c.local_authority) for c in raw_cases}
    for case in ours + raw_cases:
        case.identify_host(HOST_SCHOOL, ReferralRoute.VIRTUAL, by=ADMISSIONS, on=HOST_FOUND)
    hashes = {c.case_id: c.history[-1] for c in raw_cases}
    with store.engine.connect() as conn:
        last = dict(conn.execute(sa.select(schema.cases.c.case_id, schema.cases.c.last_hash)).all())
    raw = Raw(url)
    raw_params = []
    for case in raw_cases:
        entry = log_rows(case.case_id, [hashes[case.case_id]], last[case.case_id], utc_now())[0]
        items = open_item_rows(case, case.local_authority)
        now, was = {item_key(i) for i in items}, {item_key(i) for i in before[case.case_id]}
        gone = [key[0] for key in was - now]
        update = (
            case.stage.value,
            case.version,
            raw.value(next_due(items)),
            entry["hash"],
            case.host_school,
            None if case.host_school is None else folded_name(case.host_school),
            raw.value(case.last_on),
            case._state(),
            case.case_id,
            case.version - 1,
            last[case.case_id],
            case.local_authority,
            0,  # no redaction records
        )
        raw_params.append(
            (
                update,
                raw.tuple_of(entry, LOG_COLUMNS),
                gone,
                [raw.tuple_of(i, ITEM_COLUMNS) for i in items if item_key(i) not in was],
            )
        )
    peer = peer_or_none(url, directory, saves)
    floor = None if peer is None or peer.postgres else Floor(directory / "floor.db", saves)
    ours_times, raw_times, hash_times, encode_times = [], [], [], []
    peer_times, floor_times = [], []
    for n, (case, params) in enumerate(zip(ours, raw_params, strict=True)):
        start = time.perf_counter()
        store.save(case)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw.save(*params)
        raw_times.append(time.perf_counter() - start)
        if peer is not None:
            start = time.perf_counter()
            peer.save(n)
            peer_times.append(time.perf_counter() - start)
        if floor is not None:
            start = time.perf_counter()
            floor.save(n)
            floor_times.append(time.perf_counter() - start)
        # Encoding the payload as canonical JSON text is storage (the log keeps that text);
        # hashing is the payload digest (the salted tree) and the entry hash over the row.
        start = time.perf_counter()
        row = log_rows(case.case_id, case.history[-1:], "0" * 64, utc_now())[0]
        encode_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        transition = case.history[-1]
        payload_digest(
            row["payload_salt"], transition.actor.id, transition.actor.name, transition._raw()
        )
        entry_hash(row, "0" * 64)
        hash_times.append(time.perf_counter() - start)
    ours_ms, raw_ms = statistics.median(ours_times) * 1e3, statistics.median(raw_times) * 1e3
    hash_ms = statistics.median(hash_times) * 1e3
    encode_ms = statistics.median(encode_times) * 1e3 - hash_ms
    print(
        f"  save one transition: store {ours_ms:.3f} ms, raw driver {raw_ms:.3f} ms "
        f"(medians of {saves})"
    )
    report("save / raw driver (same statements)", ours_ms / raw_ms, "x", 2.5, "lower")
    if peer is not None:
        peer_ms = statistics.median(peer_times) * 1e3
        print(f"    eventsourcing recorder, one event: {peer_ms:.3f} ms (median of {saves})")
        report(
            "save / eventsourcing aggregate recorder (one event)",
            ours_ms / peer_ms,
            "x",
            1.0,
            "lower",
        )
        peer.close()
    if floor is not None:
        floor_ms = statistics.median(floor_times) * 1e3
        print(f"    raw sqlite3 UPDATE + ~600-byte INSERT: {floor_ms:.3f} ms (median of {saves})")
        report(
            "save / raw sqlite3 floor (UPDATE + one INSERT)", ours_ms / floor_ms, "x", 2.0, "lower"
        )
        floor.close()
    report(
        "hashing share of a save (payload digest + entry hash)",
        100 * hash_ms / ours_ms,
        "%",
        2.0,
        "lower",
    )
    print(
        f"    (building the row and its canonical JSON text, stored either way: "
        f"{100 * encode_ms / ours_ms:.1f}% of a save)"
    )
    problems = store.verify()
    assert problems == [], problems[:3]
    raw.conn.close()
    store.close()


def histories(count: int) -> Iterable[tuple[str, list[Transition]]]:
    """`count` transitions as full 11-transition runs, renamed copies of one scenario run."""
    template = built("bulk-0", 11).history
    for n in range(count // len(template)):
        yield "Example County Council", _renamed(template, f"bulk-{n:07}")


def bench_import(url: str, transitions: int, batch: int, copy: bool | None) -> None:
    """Bulk import vs raw executemany of the same prepared rows."""
    store = fresh(url)
    start = time.perf_counter()
    count = store.import_histories(histories(transitions), batch_size=batch, use_copy=copy)
    ours = time.perf_counter() - start
    store.close()
    store = fresh(url)
    raw = Raw(url)
    prepare_time = insert_time = 0.0
    pending: list[bulk.Prepared] = []
    for authority, history in histories(transitions):
        start = time.perf_counter()
        pending.append(bulk.prepare(authority, history, CALENDAR))
        prepare_time += time.perf_counter() - start
        if len(pending) >= batch:
            start = time.perf_counter()
            raw.insert_many(pending)
            insert_time += time.perf_counter() - start
            pending = []
    if pending:
        start = time.perf_counter()
        raw.insert_many(pending)
        insert_time += time.perf_counter() - start
    raw.conn.close()
    store.close()
    label = "COPY" if copy else "executemany"
    print(
        f"  import {count} transitions ({label}): store {count / ours:,.0f}/s; raw executemany "
        f"{count / (prepare_time + insert_time):,.0f}/s with the same replay+hashing, "
        f"{count / insert_time:,.0f}/s inserting prepared rows only"
    )
    report(
        f"import throughput / raw executemany ({label}, same prep)",
        (prepare_time + insert_time) / ours,
        "x",
        0.9,
        "higher",
    )
    print(
        f"    (vs raw insert of already-prepared rows: {insert_time / ours:.2f}x; replay and "
        f"hashing take {prepare_time / (prepare_time + insert_time):.0%} of the raw run)"
    )


def fill_due(store: SqlAlchemyStore, cases: int, on: date) -> None:
    """Open items for `cases` more cases, 1% of them due on `on` (written directly)."""
    rows = []
    for n in range(cases):
        due = on - timedelta(days=n % 20) if n % 100 == 0 else on + timedelta(days=1 + n % 300)
        rows.append(
            {
                "case_id": f"due-{n:07}",
                "item_no": 0,
                "authority": "Example County Council",
                "item_type": "deadline",
                "kind": "place_offer",
                "owner": None,
                "due": due,
                "opened_on": None,
            }
        )
    with store.engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(sa.insert(schema.open_items), rows[start : start + 20_000])
    # As autovacuum would: statistics, and PostgreSQL's visibility map for index-only scans.
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if store.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE rfsm_open_items")
        else:
            conn.exec_driver_sql(
                "ANALYZE"
                if store.engine.dialect.name == "sqlite"
                else "ANALYZE TABLE rfsm_open_items"
            )


def bench_due(url: str, cases: int) -> None:
    """due() over `cases` cases, ~1% due, open items written directly (a read benchmark)."""
    store = fresh(url)
    on = date(2026, 3, 1)
    fill_due(store, cases, on)
    found = store.due(on)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        store.due(on)
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings) * 1e3
    print(f"  due(): {cases:,} cases, {len(found)} due; median {median:.3f} ms of 50")
    report(f"due() with {cases:,} cases, ~1% due", median, "ms", 2.0, "lower")
    scoped = store.for_authority("Example County Council")
    scoped.due(on)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        scoped.due(on)
        timings.append(time.perf_counter() - start)
    print(f"    authority-scoped due(): median {statistics.median(timings) * 1e3:.3f} ms of 50")
    store.close()


def bench_race(url: str, rounds: int, target_ms: float) -> None:
    """8 processes saving the same version: how fast do the losers hear ConcurrentUpdate?"""
    store = fresh(url)
    store.save(built("race-01", 7))
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [
        context.Process(target=race_worker, args=(url, "race-01", rounds, barrier, results))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(8 * rounds)]
    for worker in workers:
        worker.join()
    losers = sorted(seconds for _, _, outcome, seconds in outcomes if outcome == "lost")
    winners = sum(1 for _, _, outcome, _ in outcomes if outcome == "won")
    p99 = losers[int(0.99 * (len(losers) - 1))] * 1e3
    print(
        f"  race: {rounds} rounds x 8 writers: {winners} winners, {len(losers)} losers; "
        f"loser latency median {statistics.median(losers) * 1e3:.2f} ms, p99 {p99:.2f} ms"
    )
    report("loser gets ConcurrentUpdate, p99", p99, "ms", target_ms, "lower")
    store.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Run every figure on SQLite, and on PostgreSQL when a URL is given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("RFSM_TEST_POSTGRES_URL"))
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument(
        "--import-transitions",
        type=int,
        default=200_000,
        help="the issue's size is 1000000 (takes several minutes per engine)",
    )
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--due-cases", type=int, default=100_000)
    parser.add_argument("--race-rounds", type=int, default=50)
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="rfsm-bench-", dir=Path.cwd()))
    engines: list[tuple[str, Callable[[str], str], float]] = [
        ("SQLite (WAL, synchronous=FULL)", lambda name: f"sqlite:///{directory / name}.db", 50.0)
    ]
    if args.postgres:
        engines.append(("PostgreSQL", lambda name: str(args.postgres), 5.0))
    else:
        print("PostgreSQL: skipped (no --postgres and no RFSM_TEST_POSTGRES_URL)")
    for title, url, race_target in engines:
        print(f"\n{title}")
        bench_save(url("save"), args.saves, directory)
        bench_import(url("import"), args.import_transitions, args.batch, False)
        if title == "PostgreSQL":
            bench_import(url("import"), args.import_transitions, args.batch, True)
        bench_due(url("due"), args.due_cases)
        bench_race(url("race"), args.race_rounds, race_target)
        if title == "PostgreSQL":
            reset_database(sa.create_engine(url("")))
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()


if __name__ == "__main__":
    main()
