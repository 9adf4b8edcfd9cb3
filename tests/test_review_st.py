"""Review ST: stores under concurrency and failure, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from reintegration_fsm import ConcurrentUpdate, StoreError
from reintegration_fsm.stores import SqlAlchemyStore, migrate
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


def _stamp_with(url: str, revision: str) -> None:
    """Stamp the database with `revision`, as another version of the library would."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = :r"), {"r": revision})
    engine.dispose()


def _downgrade_to(url: str, revision: str) -> None:
    """Take the database back to `revision` by its migrations' downgrades: a database an older
    version of the library made and wrote, holding no table or column of the later ones."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    engine.dispose()


def _logged(url: str) -> int:
    with sa.create_engine(url, poolclass=sa.NullPool).connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM rfsm_transitions")).scalar_one())


def test_ST4_a_store_refuses_every_call_on_a_database_a_newer_version_made(
    database_url: str,
) -> None:
    """ST4: one server upgraded the database with a newer version of the library; a store of
    this older version refuses to write into tables whose rules it does not know, and to read
    them, saying to upgrade the library. Nothing is written."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    store.save(built("case-01", 2))
    store.close()
    _stamp_with(database_url, "0099_future")
    later = SqlAlchemyStore(database_url, calendar=CALENDAR)
    try:
        with pytest.raises(StoreError, match="newer version") as refused:
            later.save(built("case-02", 3))
        message = str(refused.value)
        assert "revision 0099_future" in message
        assert f"(at {migrate.head()})" in message
        assert "upgrade the library" in message, message
        assert not refused.value.retryable
        assert refused.value.case_id == "case-02"
        for read in (later.cases, lambda: later.load("case-01"), later.checkpoint):
            with pytest.raises(StoreError, match="newer version") as also:
                read()
            assert not also.value.retryable
        with sa.create_engine(database_url, poolclass=sa.NullPool).connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM rfsm_cases")).scalar_one() == 1
    finally:
        later.close()


def test_ST4_a_store_refuses_to_write_into_an_older_revision_and_still_reads_it(
    database_url: str, clock: Callable[[dt.date], None]
) -> None:
    """ST4: a database still at the revision before this library's (another server runs the
    older version): every write is refused, naming both revisions and the upgrade command,
    nothing written; reads work. Once the database is upgraded, the same store writes."""
    clock(FAR)
    older = migrate.revisions()[-2]
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    kept = ended(built("case-01", 3))
    store.save(kept)
    store.close()
    _downgrade_to(database_url, older)
    logged = _logged(database_url)
    later = SqlAlchemyStore(database_url, calendar=CALENDAR)
    try:
        writes: list[Callable[[], object]] = [
            lambda: later.save(built("case-02", 3)),
            lambda: later.redact(
                "case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=FAR
            ),
            lambda: later.apply_retention(FAR, by=ADMISSIONS),
            lambda: later.import_histories([(AUTHORITY, built("case-03", 2).history)]),
        ]
        for write in writes:
            with pytest.raises(StoreError) as refused:
                write()
            message = str(refused.value)
            assert f"at revision {older}, this library's at {migrate.head()}" in message
            assert "reintegration-fsm db upgrade" in message, message
            assert not refused.value.retryable
        assert _logged(database_url) == logged
        assert [summary.case_id for summary in later.cases()] == ["case-01"]
        assert later.load("case-01").history == kept.history
        assert len(later.history("case-01")) == len(kept.history)
        assert [due.case_id for due in later.past_retention(FAR)] == ["case-01"]
        migrate.upgrade(database_url)
        later.save(built("case-02", 3))  # the store looks again at a refused write
        assert later.verify() == []
    finally:
        later.close()


def test_ST4_a_store_looks_at_the_stamp_once_not_at_each_call(database_url: str) -> None:
    """ST4's cost: the store's first call reads the stamp; its later saves and loads do not.
    A database at this library's revision (made by `create_schema()`) is written."""
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append(f"{statement} {parameters}")

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.save(built("case-01", 2))
        assert any(VERSION_TABLE in statement for statement in statements)
        statements.clear()
        for number in range(2, 5):
            store.save(built(f"case-0{number}", 3))
            store.load(f"case-0{number}")
        store.cases()
        assert [statement for statement in statements if VERSION_TABLE in statement] == []
    finally:
        store.close()


def test_ST4_a_store_on_a_new_database_makes_it_at_its_own_revision_and_writes(
    tmp_path: Path,
) -> None:
    """A store's first call on an empty database (no tables, no stamp) refuses nothing; the
    schema it then makes is at its revision, which it writes into."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'new.db'}", calendar=CALENDAR)
    try:
        with pytest.raises(StoreError, match="create_schema"):
            store.cases()  # its first call, before the tables are made
        store.create_schema()
        store.save(built("case-01", 2))
        assert [summary.case_id for summary in store.cases()] == ["case-01"]
    finally:
        store.close()
