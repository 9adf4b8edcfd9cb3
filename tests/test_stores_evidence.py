"""The evidence contract on every backend: memory, SQLite, PostgreSQL and MariaDB; and the
tamper table in the docs, held against the attacks the contract runs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from evidence_contract import (
    ATTACKS,
    EvidenceContract,
    Rows,
    memory_rows,
    write_memory_rows,
)
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore, payload_checks
from store_contract import CALENDAR, Store
from test_stores import server_store

DOCS = Path(__file__).resolve().parent.parent / "docs"


class TestInMemoryEvidence(EvidenceContract):
    """The reference store: the attacker rewrites its dictionaries."""

    engine_name: ClassVar[str] = "memory"

    @pytest.fixture
    def store(self) -> Store:
        return InMemoryStore(calendar=CALENDAR)

    def rows_of(self, store: Store, case_id: str) -> Rows:
        assert isinstance(store, InMemoryStore)
        return memory_rows(store, case_id)

    def write_rows(self, store: Store, case_id: str, rows: Rows) -> None:
        assert isinstance(store, InMemoryStore)
        write_memory_rows(store, case_id, rows)

    def stored_data(self, store: Store) -> str:
        assert isinstance(store, InMemoryStore)
        return json.dumps(
            [store._cases, store._log, store._redactions], default=str, ensure_ascii=False
        )


class TestSqliteEvidence(EvidenceContract):
    """SQLite in a temporary file."""

    engine_name: ClassVar[str] = "sqlite"

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", calendar=CALENDAR)
        store.create_schema()
        yield store
        store.close()


class TestPostgresEvidence(EvidenceContract):
    """PostgreSQL at RFSM_TEST_POSTGRES_URL."""

    engine_name: ClassVar[str] = "postgresql"

    @pytest.fixture
    def store(self, postgres_store_url: str) -> Iterator[Store]:
        yield from server_store(postgres_store_url)


class TestMariaDBEvidence(EvidenceContract):
    """MariaDB at RFSM_TEST_MARIADB_URL."""

    engine_name: ClassVar[str] = "mariadb"

    @pytest.fixture
    def store(self, mariadb_store_url: str) -> Iterator[Store]:
        yield from server_store(mariadb_store_url)


BACKENDS = (TestInMemoryEvidence, TestSqliteEvidence, TestPostgresEvidence, TestMariaDBEvidence)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@pytest.mark.parametrize("page", ["evidence.md", "stores.md"])
def test_the_tamper_table_in_the_docs_is_the_one_the_tests_run(page: str) -> None:
    """Each attack the contract runs, where it is detected, and the engines it runs on."""
    text = (DOCS / page).read_text(encoding="utf-8")
    engines = ", ".join(backend.engine_name for backend in BACKENDS)
    rows = [
        f"| {attack.name} | {_yes(attack.without_checkpoint)} | {_yes(attack.with_checkpoint)} "
        f"| {engines} | `{attack.test}` |"
        for attack in ATTACKS
    ]
    table = [line for line in text.splitlines() if line.startswith("| ")]
    for row in rows:
        assert row in table, row
    for attack in ATTACKS:
        assert hasattr(EvidenceContract, attack.test)
        assert attack.with_checkpoint, "every attack must be detected with a checkpoint"
    assert re.search(r"\| attack \| detected without a checkpoint \|", text)


@pytest.mark.parametrize(
    "text",
    [
        '{"form":{"parent_name":{"$redacted":"' + "ab" * 32 + '"}}}',
        # The same marker with its key spelt by an escape: JSON reads the same object.
        '{"form":{"parent_name":{"\\u0024redacted":"' + "ab" * 32 + '"}}}',
    ],
)
def test_verify_finds_a_removed_value_however_its_marker_is_spelt(text: str) -> None:
    """verify() skips the walk for markers only in text that cannot hold one."""
    entry = {"actor_id": "ap-1", "actor_name": "Robin Ashdown", "data": text}
    assert payload_checks._removed(entry, json.loads(text)) == {
        "form.parent_name": ("form", "parent_name")
    }
    plain = '{"form":{"parent_name":"Sam"}}'
    assert payload_checks._removed(entry | {"data": plain}, json.loads(plain)) == {}
