"""Review ST: stores under concurrency and failure, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from reintegration_fsm import ConcurrentUpdate, StoreError
from reintegration_fsm.stores import SqlAlchemyStore
from reintegration_fsm.stores.migrate import VERSION_TABLE
from scenario import ADMISSIONS, AUTHORITY
from store_contract import (
    CALENDAR,
    _listening,
    built,
    ended,
    reachable_engine,
    reset_database,
)

FAR = dt.date(2100, 1, 1)
"""A day past every test case's retention."""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store schema on each engine, by URL (each store opens its own engine)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'st.db'}"
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


def test_ST1_a_retention_run_meeting_another_run_passes_over_nothing(
    database_url: str, clock: Callable[[dt.date], None]
) -> None:
    """ST1: two hosts run the nightly retention at once: one lists the cases, the other
    redacts them all, then the first redacts. Each case was done; none was refused (the later
    run named each as passed over, "nothing to remove")."""
    clock(FAR)
    first = SqlAlchemyStore(database_url, calendar=CALENDAR)
    second = SqlAlchemyStore(database_url, calendar=CALENDAR)
    for number in range(3):
        first.save(ended(built(f"case-0{number}", 3)))
    listed = first.past_retention

    def listing_then_the_other_run(on: dt.date) -> Any:
        found = listed(on)
        assert len(second.apply_retention(on, by=ADMISSIONS)) == 3
        return found

    first.past_retention = listing_then_the_other_run  # type: ignore[method-assign]
    try:
        run = first.apply_retention(FAR, by=ADMISSIONS)
        assert run.passed_over == [], [held.reason for held in run.passed_over]
        assert not any(due.personal_data_left for due in second.past_retention(FAR))
        assert second.verify() == []
    finally:
        first.close()
        second.close()


def _kill_at_second_batch(store: SqlAlchemyStore, url: str) -> Callable[..., None]:
    """A hook ending the store's connection from outside as it writes the second batch's log."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    seen: list[str] = []

    def kill(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith("INSERT INTO rfsm_transitions"):
            return
        seen.append(statement)
        if len(seen) != 2:
            return
        dbapi = conn.connection.dbapi_connection
        with admin.connect() as outside:
            if store.engine.dialect.name == "postgresql":
                outside.exec_driver_sql(f"SELECT pg_terminate_backend({dbapi.info.backend_pid})")
            else:
                outside.exec_driver_sql(f"KILL {dbapi.thread_id()}")

    return kill


@pytest.mark.parametrize("engine_name", ["postgres", "mariadb"])
def test_ST3_an_import_failing_retryably_may_simply_be_tried_again(
    engine_name: str, request: pytest.FixtureRequest
) -> None:
    """ST3: an import whose second batch lost its connection, tried again as `retryable`
    says: the retry skips the first batch, committed with the same history, and writes the
    second (it was refused as "already stored")."""
    url = request.getfixturevalue(f"{engine_name}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    SqlAlchemyStore(engine).create_schema()
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    histories = [(AUTHORITY, built(f"case-0{n}", 3).history) for n in (1, 2)]
    options: dict[str, Any] = {"batch_size": 1}
    if engine_name == "postgres":
        options["use_copy"] = False
    try:
        with (
            _listening(
                store.engine, [("before_cursor_execute", _kill_at_second_batch(store, url))]
            ),
            pytest.raises(StoreError) as failed,
        ):
            store.import_histories(histories, **options)
        assert failed.value.retryable
        try:
            written = store.import_histories(histories, **options)  # what `retryable` promises
        except ConcurrentUpdate as refused:
            pytest.fail(f"the retry was refused: {refused}")
        assert written == 3  # the second case's; the first's are held
        assert sorted(summary.case_id for summary in store.cases()) == ["case-01", "case-02"]
        assert store.verify() == []
    finally:
        store.close()
        reset_database(engine)
        engine.dispose()


@pytest.mark.xfail(
    strict=True,
    reason="ST4: a store writes into a database a newer version of the library upgraded, "
    "which verify() and the CLI refuse",
)
def test_ST4_a_store_refuses_to_write_into_a_database_a_newer_version_made(
    database_url: str,
) -> None:
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    store.save(built("case-01", 2))
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_future'"))
    store.close()
    later = SqlAlchemyStore(database_url, calendar=CALENDAR)
    try:
        with pytest.raises(StoreError, match="newer version"):
            later.save(built("case-02", 3))
        with sa.create_engine(database_url, poolclass=sa.NullPool).connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM rfsm_cases")).scalar_one() == 1
    finally:
        later.close()
