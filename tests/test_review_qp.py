"""Review QP: the store's query plans and statement counts at an authority's scale (issue #13).

The findings (QP1-QP8) were measured on 10,000 cases; these tests hold them on a small store:
statement counts that must not grow with the cases, and plan lines that are stable across
engine versions (SQLite's `EXPLAIN QUERY PLAN`, MariaDB's `EXPLAIN` of a hinted query).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import caseload
from reintegration_fsm.cli import cli, reporting
from reintegration_fsm.stores import SqlAlchemyStore, streaming
from store_contract import (
    AUTHORITY,
    CALENDAR,
    OTHER_AUTHORITY,
    built,
    reachable_engine,
    reset_database,
    succeeded,
)


def _histories() -> Iterator[tuple[str, list[Any]]]:
    """Cases along the scenario at every stage, successes on several days, and the invented
    caseload (a third authority), in two authorities besides."""
    for n in range(24):
        authority = AUTHORITY if n % 3 else OTHER_AUTHORITY
        yield authority, list(built(f"qp-{n:03}", 1 + n % 11, authority).history)
    for n in range(6):
        case = succeeded(f"won-{n:03}", dt.date(2026, 4, 13) + dt.timedelta(days=n))
        yield AUTHORITY, list(case.history)
    for case in caseload.build():
        yield case.local_authority, list(case.history)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store of the cases above (read-only for the tests)."""
    path: Path = tmp_path_factory.mktemp("qp") / "store.db"
    made = f"sqlite:///{path}"
    with SqlAlchemyStore(made, calendar=CALENDAR) as store:
        store.create_schema()
        store.import_histories(_histories())
    return made


@contextlib.contextmanager
def traced() -> Iterator[list[str]]:
    """Every statement SQLite runs in the block, on any engine's connection (the CLI makes its
    own), as sqlite3 traces it (its values written in)."""
    seen: list[str] = []

    def lent(dbapi: Any, *_: Any) -> None:
        if hasattr(dbapi, "set_trace_callback"):
            dbapi.set_trace_callback(lambda text: seen.append(" ".join(text.split())))

    sa.event.listen(sa.pool.Pool, "checkout", lent)
    try:
        yield seen
    finally:
        sa.event.remove(sa.pool.Pool, "checkout", lent)


def invoke(url: str, *args: str) -> Any:
    result = CliRunner().invoke(
        cli,
        ["--db", url, "--calendar", "sample", *args, "--format", "json"],
        env={"RFSM_AUTHORITY": None, "RFSM_CALENDAR": None},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and f"FROM {table}" in s]


def plan(url: str, statement: Any) -> list[str]:
    """SQLite's query plan of a Core statement, its values bound."""
    engine = sa.create_engine(url)
    try:
        text, params = streaming.driver_statement(statement, engine.dialect)
        with engine.connect() as conn:
            rows = conn.connection.dbapi_connection.execute(f"EXPLAIN QUERY PLAN {text}", params)
            return [str(row[3]) for row in rows]
    finally:
        engine.dispose()


# -- QP1: the report loaded each case alone ----------------------------------------------------
REPORTS = [
    ("--year", "2025/26"),  # every case's steps dated by its end: one stream
    ("--from", "2026-01-01", "--to", "2026-02-28"),  # steps after its end: as they stood then
]


@pytest.mark.parametrize("period", REPORTS)
def test_the_report_reads_its_cases_in_a_stream_not_one_by_one(url: str, period: Any) -> None:
    """QP1: `report` read each case by two queries and replayed it (41,060 statements and 35 s
    for 10,000 cases on SQLite); a case with no step after the period's end now comes from one
    stream, and only a case with a later step is loaded as it stood."""
    authority = ["--authority", AUTHORITY]
    with traced() as seen:
        invoke(url, "report", *period, *authority)
    per_case = [s for s in reads_of(seen, "rfsm_transitions") if "case_id = '" in s]
    later = {
        summary.case_id
        for summary in SqlAlchemyStore(url).for_authority(AUTHORITY).cases()
        if summary.last_on
        > dt.date.fromisoformat(period[-1] if period[0] == "--from" else "2026-08-31")
    }
    assert len(per_case) == len(later)  # one log read each for those alone
    if period[0] == "--year":
        assert per_case == []


@pytest.mark.parametrize("period", REPORTS)
def test_the_report_counts_as_it_did_case_by_case(
    url: str, period: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QP1: the figures are those of every case loaded alone as of the period's end."""
    authority = ["--authority", AUTHORITY]
    streamed = invoke(url, "report", *period, *authority)
    monkeypatch.setattr(reporting, "_unchanged_since", lambda *_: {})
    assert invoke(url, "report", *period, *authority) == streamed


# -- QP4: the weightings command read the ledger twice ---------------------------------------
def test_the_weightings_command_reads_the_ledger_once(url: str) -> None:
    """QP4: `store.weightings` and `store.ledger` read the same rows; the command now sums the
    ledger it reads (one read, and no save between two reads to make them disagree)."""
    with traced() as seen:
        shown = invoke(url, "weightings", "--year", "2025/26", "--authority", AUTHORITY)
    assert len(reads_of(seen, "rfsm_weightings")) == 1
    store = SqlAlchemyStore(url, authority=AUTHORITY)
    totals = store.weightings(dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    assert {row["school"]: row["net_points"] for row in shown["schools"]} == totals
    assert len(shown["ledger"]) == len(store.ledger(dt.date(2025, 9, 1), dt.date(2026, 8, 31)))


# -- plans that hold (regression guards) -----------------------------------------------------
def test_the_whole_log_streams_in_key_order_on_sqlite(url: str) -> None:
    """load_all() reads the log by its key: no sort of the whole log before the first case."""
    found = plan(url, streaming.whole_log_query())
    assert not any("TEMP B-TREE" in line for line in found), found
    assert any("rfsm_transitions" in line and "SCAN" in line for line in found), found


def test_one_case_is_read_by_its_keys(url: str) -> None:
    """load(), history() and entered() find one case's rows by the keys alone."""
    store = SqlAlchemyStore(url)
    for statement in (store._select_head_state, store._select_log, store._select_stamps):
        found = plan(url, statement.params(b_case_id="qp-005"))
        assert all("SEARCH" in line for line in found if "rfsm_" in line), found


def test_due_finds_dated_items_by_its_index(url: str) -> None:
    found = plan(url, SqlAlchemyStore(url)._select_dated.params(b_on="2026-03-01"))
    assert any("ix_rfsm_open_items_due" in line for line in found), found


# -- QP2: MariaDB sorted the whole log before the first case ---------------------------------
def test_mariadb_streams_the_whole_log_without_a_temporary_table(mariadb_url: str) -> None:
    """QP2: MariaDB read the case rows first and sorted the joined log in a temporary table
    (`Using temporary; Using filesort`); the whole log's query now reads it in key order."""
    engine = reachable_engine(mariadb_url)
    reset_database(engine)
    try:
        with SqlAlchemyStore(engine, calendar=CALENDAR) as store:
            store.create_schema()
            # (20 cases: on a handful MariaDB joins by a buffer and sorts, hint or none)
            ids = [f"m-{n:02}" for n in range(20)]
            store.import_histories((AUTHORITY, list(built(i, 3).history)) for i in ids)
            assert [case.case_id for case in store.load_all()] == ids
        text, params = streaming.driver_statement(streaming.whole_log_query(), engine.dialect)
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            cursor.execute(f"EXPLAIN {text}", params)
            rows = cursor.fetchall()
            cursor.close()
        assert [(row[2], row[5]) for row in rows] == [
            ("rfsm_transitions", "PRIMARY"),
            ("rfsm_cases", "PRIMARY"),
        ], rows
        assert not any("temporary" in str(row[9]).lower() for row in rows), rows
    finally:
        reset_database(engine)
        engine.dispose()


def test_a_scoped_stream_needs_no_sort(url: str) -> None:
    """QP3: a scoped stream of the log read the authority's cases by an index of the authority
    alone and sorted its whole log, data included, before its first case; by the index on
    `(authority, case_id)` (0017) it sorts only each case's few entries."""
    found = plan(url, streaming.authority_log_query(AUTHORITY))
    assert any("ix_rfsm_cases_authority" in line for line in found), found
    # (a sort of each case's few entries, "FOR RIGHT PART OF ORDER BY", streams)
    assert "USE TEMP B-TREE FOR ORDER BY" not in found, found
