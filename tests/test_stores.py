"""The store contract on every backend: memory, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from reintegration_fsm.stores.rows import Row
from store_contract import (
    CALENDAR,
    Store,
    StoreContract,
    built,
    reachable_engine,
    reset_database,
)


class TestInMemoryStore(StoreContract):
    """The reference store."""

    @pytest.fixture
    def store(self) -> Store:
        return InMemoryStore(calendar=CALENDAR)

    def tamper(self, store: Store, case_id: str, seq: int, column: str, value: Any) -> None:
        assert isinstance(store, InMemoryStore)
        store._log[case_id][seq - 1][column] = value

    def stored_entry(self, store: Store, case_id: str, seq: int) -> Row:
        assert isinstance(store, InMemoryStore)
        return dict(store._log[case_id][seq - 1])

    def record_redaction(self, store: Store, row: Row) -> None:
        assert isinstance(store, InMemoryStore)
        store._redactions.setdefault(row["case_id"], {})[row["seq"]] = row

    def tamper_case(self, store: Store, case_id: str, column: str, value: Any) -> None:
        assert isinstance(store, InMemoryStore)
        store._cases[case_id][column] = value

    def tamper_items(self, store: Store, case_id: str, column: str, value: Any) -> None:
        assert isinstance(store, InMemoryStore)
        for item in store._items[case_id]:
            item[column] = value

    def remove_case_row(self, store: Store, case_id: str) -> None:
        assert isinstance(store, InMemoryStore)
        del store._cases[case_id]


class TestSqliteStore(StoreContract):
    """SQLite in a temporary file, WAL and synchronous=FULL."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", calendar=CALENDAR)
        store.create_schema()
        yield store
        store.close()

    def test_the_database_is_in_wal_mode_with_full_sync(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL

    def test_a_store_that_opts_out_of_durability_syncs_normally(self, tmp_path: Path) -> None:
        store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'fast.db'}", durable=False)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        store.close()

    def test_a_write_transaction_begins_immediate(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        statements: list[str] = []
        from sqlalchemy import event

        @event.listens_for(store.engine, "before_cursor_execute")
        def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        store.save(built("case-01", 1))
        assert statements[0] == "BEGIN IMMEDIATE"


def server_store(url: str) -> Iterator[SqlAlchemyStore]:
    """A store on a database server, its tables dropped before and after the test."""
    engine = reachable_engine(url)
    reset_database(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    yield store
    reset_database(engine)
    engine.dispose()


class TestPostgresStore(StoreContract):
    """PostgreSQL at RFSM_TEST_POSTGRES_URL (READ COMMITTED)."""

    @pytest.fixture
    def store(self, postgres_url: str) -> Iterator[Store]:
        yield from server_store(postgres_url)

    def test_copy_and_executemany_imports_agree(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        cases = [built(f"case-{n:02}", 1 + n % 11) for n in range(12)]
        store.import_histories(((c.local_authority, c.history) for c in cases[:6]), use_copy=True)
        store.import_histories(((c.local_authority, c.history) for c in cases[6:]), use_copy=False)
        assert [store.load(c.case_id) for c in cases] == cases
        assert store.verify() == []


class TestMariaDBStore(StoreContract):
    """MariaDB at RFSM_TEST_MARIADB_URL."""

    @pytest.fixture
    def store(self, mariadb_url: str) -> Iterator[Store]:
        yield from server_store(mariadb_url)
