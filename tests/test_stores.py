"""The store contract on every backend: memory, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import inspect
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

import store_contract as sql_store_contract
from raw_sqlite import raw_sqlite
from reintegration_fsm import (
    WORCESTERSHIRE,
    CaseSummary,
    FormInvalid,
    LedgerEntry,
    ReferralRoute,
    StoreError,
)
from reintegration_fsm.errors import ChangedProtocol
from reintegration_fsm.stores import (
    InMemoryStore,
    SqlAlchemyStore,
    bulk,
    parallel,
    schema,
    sql_verifying,
    upgrade,
)
from reintegration_fsm.stores import Store as StoreInterface
from reintegration_fsm.stores import opened as kept_names
from reintegration_fsm.stores import sqlite as sqlite_settings
from reintegration_fsm.stores.rows import Row
from scenario import AP_HEAD, AUTHORITY, PSP, REFERRED, information
from store_contract import (
    ADMISSIONS,
    CALENDAR,
    OTHER_AUTHORITY,
    REDACTED_ON,
    SqlStoreContract,
    Store,
    StoreContract,
    advanced,
    built,
    dying_worker,
    empty_store,
    opened,
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

    def tamper_redaction(
        self, store: Store, case_id: str, seq: int, column: str, value: Any
    ) -> None:
        assert isinstance(store, InMemoryStore)
        for row in store._redactions[case_id][seq]:
            row[column] = value

    def tamper_case(self, store: Store, case_id: str, column: str, value: Any) -> None:
        assert isinstance(store, InMemoryStore)
        store._cases[case_id][column] = value

    def write_items(self, store: Store, case_id: str, rows: list[Row]) -> None:
        assert isinstance(store, InMemoryStore)
        store._items[case_id] = [dict(row) for row in rows]

    def tamper_items(self, store: Store, case_id: str, column: str, value: Any) -> None:
        assert isinstance(store, InMemoryStore)
        for item in store._items[case_id]:
            item[column] = value

    def tamper_ledger(self, store: Store, case_id: str, column: str, value: Any) -> None:
        assert isinstance(store, InMemoryStore)
        for entry in store._ledger[case_id]:
            entry[column] = value

    def remove_case_row(self, store: Store, case_id: str) -> None:
        assert isinstance(store, InMemoryStore)
        del store._cases[case_id]


class TestSqliteStore(SqlStoreContract):
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

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("on_date", "garbage"),
            ("on_date", "2026-1-12"),
            ("on_date", 20260112),  # what SQLite makes of the text '20260112' in a DATE column
            ("recorded_at", "yesterday"),
        ],
    )
    def test_a_date_rewritten_as_other_text_is_reported_not_raised(
        self, store: Store, column: str, value: Any
    ) -> None:
        """SQLite keeps whatever it is given in a DATE column: `verify()` reports such a row
        (serially and in processes alike), and `load` and `load_all` refuse the case with a
        `FormInvalid`, never a bare Python error or a date that is not a date."""
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 4))
        store.save(built("case-02", 3))
        sql_store_contract.drop_triggers(store.engine)
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                f"UPDATE rfsm_transitions SET {column} = ? WHERE case_id = 'case-01' AND seq = 2",
                (value,),
            )
        problems = store.verify()
        assert {problem.case_id for problem in problems} == {"case-01"}
        assert store.verify(workers=2) == problems
        if column == "on_date":
            with pytest.raises(FormInvalid, match="on_date"):
                store.load("case-01")
            with pytest.raises(FormInvalid, match="on_date"):
                list(store.load_all())
        assert store.load("case-02") == built("case-02", 3)

    @pytest.mark.parametrize(
        ("table", "column", "value"),
        [
            ("rfsm_transitions", "seq", "2a"),
            ("rfsm_transitions", "hash", -1),
            ("rfsm_weightings", "points", "x"),
            ("rfsm_redactions", "redacted_on", "2027-13-45"),
        ],
    )
    def test_a_value_of_a_kind_the_store_never_writes_is_reported_not_raised(
        self, store: Store, table: str, column: str, value: Any
    ) -> None:
        """SQLite keeps any value in any column: `verify()` reports the case whose row holds
        one the store never writes, and checks the others."""
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 11))
        store.save(built("case-02", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        sql_store_contract.drop_triggers(store.engine)
        where = "case_id = 'case-01'" + (" AND seq = 2" if table == "rfsm_transitions" else "")
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE {table} SET {column} = ? WHERE {where}", (value,))
        problems = store.verify()
        assert {problem.case_id for problem in problems} == {"case-01"}
        assert store.verify(workers=2) == problems

    def test_a_store_that_opts_out_of_durability_syncs_normally(self, tmp_path: Path) -> None:
        store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'fast.db'}", durable=False)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        store.close()

    def test_a_write_transaction_begins_immediate(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        store.cases()  # the store's first call reads the schema's stamp, on a reading connection
        statements: list[str] = []
        from sqlalchemy import event

        @event.listens_for(store.engine, "before_cursor_execute")
        def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        store.save(built("case-01", 1))
        assert statements[0] == "BEGIN IMMEDIATE"


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of every file in `folder`."""
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems run with (files 0644 unless made otherwise)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


PRIVATE = 0o600


@pytest.mark.usefixtures("usual_umask")
@pytest.mark.parametrize("where", ["memory", "file"])
@pytest.mark.parametrize("call", ["load", "save a loaded case", "save a new case", "verify"])
def test_the_store_serves_other_calls_while_load_all_is_half_way(
    tmp_path: Path, where: str, call: str
) -> None:
    """A stream paused after a case it re-read as `load` reads it (a redacted one) holds no
    transaction open: an in-memory database has one connection per thread, which every other
    call of that thread shares."""
    url = "sqlite://" if where == "memory" else f"sqlite:///{tmp_path / 'cases.db'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    for number in range(3):
        store.save(built(f"case-{number:02}", 3 + number))
    store.redact("case-00", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
    stream = store.load_all()
    assert next(stream).case_id == "case-00"
    {
        "load": lambda: store.load("case-02"),
        "save a loaded case": lambda: store.save(advanced(store.load("case-02"), 1)),
        "save a new case": lambda: store.save(built("case-09", 2)),
        "verify": lambda: store.verify(),
    }[call]()
    rest = [case.case_id for case in stream]  # a case saved meanwhile may or may not show
    assert rest[:2] == ["case-01", "case-02"]
    assert store.verify() == []
    store.close()


@pytest.mark.usefixtures("usual_umask")
@pytest.mark.parametrize("options", ["uri=true&mode=ro", "mode=rwc&uri=true", "uri=1&cache=shared"])
def test_uri_true_on_a_plain_path_with_options_is_refused_making_no_file(
    tmp_path: Path, options: str
) -> None:
    """SQLite opened a file named `cases.db?mode=ro` (made with the umask's mode, 0644: the
    children's data readable by every user), not the database named, honouring no option;
    the store also made an empty `cases.db`. It is refused, and nothing is made."""
    with pytest.raises(StoreError, match="file: URI") as refused:
        SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}?{options}", calendar=CALENDAR)
    assert not refused.value.retryable
    assert "cases.db?" in str(refused.value)
    assert list(tmp_path.iterdir()) == []
    store = SqlAlchemyStore(f"sqlite:///file:{tmp_path / 'cases.db'}?{options}", calendar=CALENDAR)
    if "mode=ro" not in options:  # the file: URI names the same file, with its options
        store.create_schema()
        store.save(built("case-01", 3))
        assert modes(tmp_path)["cases.db"] == PRIVATE
    store.close()


def test_a_database_the_store_creates_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    with store.engine.connect():  # the -wal and -shm files live while a connection is open
        assert modes(tmp_path) == {
            "cases.db": PRIVATE,
            "cases.db-wal": PRIVATE,
            "cases.db-shm": PRIVATE,
        }
    store.close()


@pytest.mark.usefixtures("usual_umask")
@pytest.mark.parametrize(
    "template",
    [
        "sqlite:///file:{path}?uri=true",
        "sqlite+pysqlite:///file:{path}?uri=true",
        "sqlite:///file://localhost{path}?mode=rwc&uri=true",
        # `immutable` that SQLite reads as false: it creates the file (the check read only
        # `0` and an empty value so, and left these 0644).
        "sqlite:///file:{path}?immutable=false&uri=true",
        "sqlite:///file:{path}?immutable=00&uri=true",
    ],
)
def test_a_database_the_store_creates_through_a_file_uri_is_its_owners_only(
    tmp_path: Path, template: str
) -> None:
    """A `file:` URI (`?uri=true`) names a file as a path does: created 0600, not 0644."""
    url = template.format(path=tmp_path / "my cases.db")
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 2))
    with store.engine.connect():
        assert modes(tmp_path) == {
            "my cases.db": PRIVATE,
            "my cases.db-wal": PRIVATE,
            "my cases.db-shm": PRIVATE,
        }
    store.close()


@pytest.mark.parametrize("options", ["mode=ro&uri=true", "mode=rw&uri=true"])
def test_a_file_uri_that_may_not_create_the_file_is_not_given_one(
    tmp_path: Path, options: str
) -> None:
    """`mode=ro` or `mode=rw`: SQLite refuses a missing file, so none is made for it."""
    store = SqlAlchemyStore(f"sqlite:///file:{tmp_path / 'absent.db'}?{options}")
    with pytest.raises(StoreError):
        store.create_schema()
    store.close()
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.usefixtures("usual_umask")
def test_a_database_upgrade_creates_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Both ways in: a URL, and an engine the caller made (as the CLI does)."""
    upgrade(f"sqlite:///{tmp_path / 'by-url.db'}")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'by-engine.db'}")
    assert not sa.inspect(engine).has_table("rfsm_cases")  # connecting leaves an empty 0644 file
    upgrade(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.save(built("case-01", 2))
    with engine.connect():
        found = modes(tmp_path)
    assert found["by-url.db"] == PRIVATE
    assert {name: mode for name, mode in found.items() if name.startswith("by-engine")} == {
        "by-engine.db": PRIVATE,
        "by-engine.db-wal": PRIVATE,
        "by-engine.db-shm": PRIVATE,
    }
    engine.dispose()


@pytest.mark.skipif(os.name != "posix", reason="symbolic links and file modes as on POSIX")
@pytest.mark.usefixtures("usual_umask")
def test_a_database_made_through_a_link_to_a_missing_file_is_its_owners_only(
    tmp_path: Path,
) -> None:
    """A path that is a link to a file not made yet (`cases.db -> /srv/rfsm/cases.db`, as
    deployments lay it out): the store's own exclusive create failed on the link, and SQLite
    then made the target with the umask's mode, 0644, every child's record readable by every
    local user. The file the link names is made 0600, and the -wal and -shm beside it follow."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "cases.db"
    link.symlink_to(real / "cases.db")
    store = SqlAlchemyStore(f"sqlite:///{link}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 2))
    with store.engine.connect():
        assert modes(real) == {
            "cases.db": PRIVATE,
            "cases.db-wal": PRIVATE,
            "cases.db-shm": PRIVATE,
        }
    store.close()
    assert link.is_symlink()  # the link is the deployment's own: left as it was


def test_a_database_that_exists_keeps_its_mode(tmp_path: Path) -> None:
    """A database someone made shared on purpose stays so; the store changes no one's file."""
    path = tmp_path / "shared.db"
    with raw_sqlite(path) as conn:
        conn.execute("CREATE TABLE their_own (x INTEGER)")
    path.chmod(0o640)
    with SqlAlchemyStore(f"sqlite:///{path}") as store:
        store.create_schema()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_store_constructors_take_everything_after_the_url_by_keyword() -> None:
    """Revision 2: `SqlAlchemyStore(url, calendar)` took the calendar for an authority."""
    with pytest.raises(TypeError):
        InMemoryStore(CALENDAR)  # type: ignore[misc]
    with pytest.raises(TypeError):
        SqlAlchemyStore("sqlite://", CALENDAR)  # type: ignore[misc]
    memory = InMemoryStore(authority=AUTHORITY, calendar=CALENDAR, protocols=())
    sql = SqlAlchemyStore(
        "sqlite://",
        authority=AUTHORITY,
        calendar=CALENDAR,
        protocols=(),
        durable=False,
        busy_timeout=1.0,
    )
    assert (
        (memory.authority, memory.calendar)
        == (sql.authority, sql.calendar)
        == (
            AUTHORITY,
            CALENDAR,
        )
    )
    assert sql.for_authority(AUTHORITY).calendar is CALENDAR
    sql.close()


def test_both_stores_offer_the_declared_interface_with_its_signatures() -> None:
    """mypy checks the same in `reintegration_fsm.stores` (a typed assignment of each)."""
    declared = {
        name: member
        for name, member in vars(StoreInterface).items()
        if not name.startswith("_") and callable(member)
    }
    assert set(declared) == {
        "save",
        "load",
        "load_all",
        "history",
        "entered",
        "taken",
        "import_histories",
        "due",
        "cases",
        "authorities",
        "weightings",
        "ledger",
        "verify",
        "checkpoint",
        "redact",
        "redactions",
        "past_retention",
        "apply_retention",
        "undated_retention",
        "held_retention",
    }
    for store_type in (InMemoryStore, SqlAlchemyStore):
        for name, member in declared.items():
            wanted = list(inspect.signature(member).parameters)
            offered = list(inspect.signature(getattr(store_type, name)).parameters)
            assert offered[: len(wanted)] == wanted, (store_type.__name__, name)


def test_case_summaries_and_ledger_entries_are_importable_from_the_top_level() -> None:
    from reintegration_fsm.stores import model

    assert (CaseSummary, LedgerEntry) == (model.CaseSummary, model.LedgerEntry)


def server_store(url: str) -> Iterator[SqlAlchemyStore]:
    """An empty store on a database server (`empty_store`), in a database kept for these
    tests."""
    engine = empty_store(url)
    yield SqlAlchemyStore(engine, calendar=CALENDAR)
    engine.dispose()


class TestPostgresStore(SqlStoreContract):
    """PostgreSQL at RFSM_TEST_POSTGRES_URL (READ COMMITTED)."""

    @pytest.fixture
    def store(self, postgres_store_url: str) -> Iterator[Store]:
        yield from server_store(postgres_store_url)

    def test_copy_and_executemany_imports_agree(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        cases = [built(f"case-{n:02}", 1 + n % 11) for n in range(12)]
        store.import_histories(((c.local_authority, c.history) for c in cases[:6]), use_copy=True)
        store.import_histories(((c.local_authority, c.history) for c in cases[6:]), use_copy=False)
        assert [store.load(c.case_id) for c in cases] == cases
        assert store.verify() == []


class TestCollatedPostgresStore(SqlStoreContract):
    """PostgreSQL in a database created under English collation (where `"a-2" < "B-1"`): the
    store's columns take the C collation, so it lists and ranges as every other store does."""

    @pytest.fixture
    def store(self, collated_postgres_url: str) -> Iterator[Store]:
        yield from server_store(collated_postgres_url)

    def test_cases_list_in_code_point_order_under_the_databases_collation(
        self, store: Store
    ) -> None:
        assert isinstance(store, SqlAlchemyStore)
        with store.engine.connect() as conn:  # the database orders otherwise
            assert conn.exec_driver_sql("SELECT 'a-2' < 'B-1'").scalar() is True
        ids = ["a-2", "B-1", "b-0", "A-3", "Z-1", "\u00c4-1", "_-1", "a_1"]
        memory = InMemoryStore(calendar=CALENDAR)
        for n, case_id in enumerate(ids):
            case = built(case_id, 2 + n % 3)
            store.save(case)
            memory.save(case)
        python = sorted(ids)
        assert python[:3] == ["A-3", "B-1", "Z-1"]
        assert [c.case_id for c in store.cases()] == python
        assert [c.case_id for c in store.load_all()] == python
        due = store.due(date(2027, 12, 31))
        assert len({d.due for d in due}) < len(due)  # ties on a day, ordered by case id
        assert due == memory.due(date(2027, 12, 31))
        assert store.verify(workers=2) == []


class TestMariaDBStore(SqlStoreContract):
    """MariaDB at RFSM_TEST_MARIADB_URL."""

    @pytest.fixture
    def store(self, mariadb_store_url: str) -> Iterator[Store]:
        yield from server_store(mariadb_store_url)

    def test_the_stores_sessions_are_strict_on_a_lenient_connection(
        self, store: Store, mariadb_store_url: str
    ) -> None:
        """Without a strict mode MariaDB cuts an over-long value and stores it."""
        lenient = sa.create_engine(
            mariadb_store_url, connect_args={"init_command": "SET sql_mode=''"}
        )
        with lenient.connect() as conn:
            assert "STRICT" not in conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
        strict = SqlAlchemyStore(lenient, calendar=CALENDAR)
        with strict.engine.connect() as conn:
            mode = conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
        assert {"STRICT_ALL_TABLES", "STRICT_TRANS_TABLES"} <= set(mode.split(","))
        with pytest.raises(sa.exc.DataError), strict.engine.begin() as conn:
            conn.execute(sa.insert(schema.open_items), _item(kind="k" * 41))
        lenient.dispose()

    def test_a_row_larger_than_the_servers_packet_limit_is_refused_not_retried(
        self, store: Store
    ) -> None:
        """A form's text larger than `max_allowed_packet` made the server drop the connection,
        read as a lost connection to retry, for ever: a save and an import of it are refused
        (`FormInvalid`, naming the limit), write nothing, and the store saves on."""
        assert isinstance(store, SqlAlchemyStore)
        with store.engine.connect() as conn:
            limit = int(conn.exec_driver_sql("SELECT @@max_allowed_packet").scalar_one())
        if limit > 64 * 2**20:
            pytest.skip(f"this server takes {limit} bytes a statement: too large to exceed here")
        case = built("case-01", 2)
        huge = information(reasons_for_success="x" * (limit + 1024))
        case.refer_to_fair_access(ReferralRoute.VIRTUAL, huge, PSP, by=AP_HEAD, on=REFERRED)
        with pytest.raises(FormInvalid, match="max_allowed_packet") as refused:
            store.save(case)
        assert "may be tried again" not in str(refused.value)
        with pytest.raises(FormInvalid, match="max_allowed_packet"):
            store.import_histories([(AUTHORITY, case.history)])
        assert store.taken(["case-01"]) == set()
        store.save(built("case-02", 3))
        assert store.verify() == []


def _item(**changes: Any) -> Row:
    row: Row = {
        "case_id": "case-01",
        "item_no": 0,
        "authority": AUTHORITY,
        "item_type": "obligation",
        "kind": "offer_visit",
        "owner": "ap",
        "due": None,
        "opened_on": None,
    }
    return row | changes


def test_a_store_on_one_connection_streams_and_verifies(tmp_path: Path) -> None:
    """In-memory SQLite has one connection: load_all() and verify() read the redaction notes
    and the other rows on the connection that streams the log."""
    store = SqlAlchemyStore("sqlite://", calendar=CALENDAR)
    store.create_schema()
    for number in range(5):
        store.save(built(f"case-{number:02}", 2 + number))
    store.redact("case-02", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
    assert [c.case_id for c in store.load_all()] == [f"case-{n:02}" for n in range(5)]
    assert store.verify() == []
    halfway = store.load_all()
    next(halfway)
    del halfway  # a stream left half way gives its connection back
    assert store.verify() == []
    store.close()


def test_an_in_memory_store_verifies_in_this_process_whatever_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No other process can open an in-memory SQLite database: verify(workers=2) checks it
    here, finding what the serial run finds."""
    monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 2)

    def spread(*args: Any) -> None:
        raise AssertionError("an in-memory store was handed to worker processes")

    monkeypatch.setattr(parallel, "spread", spread)
    store = SqlAlchemyStore("sqlite://", calendar=CALENDAR)
    store.create_schema()
    for number in range(7):
        store.save(built(f"case-{number:02}", 2 + number))
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(schema.cases).where(schema.cases.c.case_id == "case-05").values(version=2)
        )
    found = store.verify()
    assert [p.case_id for p in found] == ["case-05"]
    assert store.verify(workers=2) == found
    store.close()


def test_a_store_on_the_callers_engine_verifies_in_this_process_whatever_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine the caller made may reach its database by more than its URL (here a `creator`;
    `connect_args` or a `search_path` alike): workers reopening the URL would check another
    database (here a sound decoy) and call a tampered store sound. It is checked here."""
    monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 2)

    def spread(*args: Any) -> None:
        raise AssertionError("a store on the caller's engine was handed to worker processes")

    monkeypatch.setattr(parallel, "spread", spread)
    real, decoy = tmp_path / "cases.db", tmp_path / "decoy.db"
    sound = SqlAlchemyStore(f"sqlite:///{decoy}", calendar=CALENDAR)
    sound.create_schema()
    sound.close()
    engine = sa.create_engine(f"sqlite:///{decoy}", creator=lambda: sqlite3.connect(real))
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    for number in range(6):
        store.save(built(f"case-{number:02}", 2 + number))
    with engine.begin() as conn:
        conn.execute(
            sa.update(schema.cases).where(schema.cases.c.case_id == "case-04").values(version=3)
        )
    found = store.verify()
    assert [p.case_id for p in found] == ["case-04"]
    assert store.verify(workers=2) == found
    engine.dispose()


def test_a_worker_that_meets_a_database_error_raises_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table gone under the workers (only they read the redactions): the library's error,
    not the driver's nor a broken process pool's."""
    monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 2)
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", calendar=CALENDAR)
    store.create_schema()
    for number in range(6):
        store.save(built(f"case-{number:02}", 2))
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE rfsm_redactions"))
    with pytest.raises(StoreError, match="could not verify the store") as failed:
        store.verify(workers=2)
    assert not failed.value.retryable
    store.close()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:threads?mode=memory&uri=true"]
)
def test_an_in_memory_store_is_one_database_for_every_thread(url: str) -> None:
    """SQLAlchemy's default pool gave each thread an in-memory database of its own: another
    thread's `load` and `save` failed ("the database failed"). The store shares one connection
    among threads and takes their calls in turns: saves, loads and a stream paused half way,
    from four threads at once, make one sound database."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    for number in range(3):
        store.save(built(f"case-0{number}", 4))
    stream = store.load_all()
    assert next(stream).case_id == "case-00"
    failures: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for number in range(5):
                case = built(f"case-{thread}{number}", 1 + number)
                store.save(case)
                assert store.load(case.case_id) == case
                assert store.history(case.case_id) == case.history
            assert len(list(store.load_all())) >= 5
        except BaseException as error:  # reported below, from the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    rest = [case.case_id for case in stream]
    for thread in threads:
        thread.join()
    assert failures == []
    assert rest[:2] == ["case-01", "case-02"]
    assert len(store.cases()) == 23
    assert store.verify() == []
    store.close()


def test_a_callers_in_memory_engine_of_a_database_per_thread_serves_its_own_thread_only() -> None:
    """A caller's engine on an in-memory database with SQLAlchemy's default pool (one
    connection, and so one database, per thread) cannot be shared: another thread is refused,
    saying why, instead of finding an empty database."""
    engine = sa.create_engine("sqlite://")
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    found: list[BaseException] = []

    def other() -> None:
        try:
            store.load("case-01")
        except BaseException as error:
            found.append(error)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    [refused] = found
    assert isinstance(refused, StoreError)
    assert "belongs to the thread that made the store" in str(refused)
    assert not refused.retryable
    assert store.load("case-01").version == 3
    store.close()
    engine.dispose()  # the caller's: the store leaves it open


@pytest.mark.parametrize(
    ("url", "memory"),
    [
        ("sqlite://", True),
        ("sqlite:///:memory:", True),
        ("sqlite:///file::memory:?cache=shared&uri=true", True),
        ("sqlite:///file:cases?mode=memory&uri=true", True),
        ("sqlite:///cases.db", False),
        ("sqlite:///file:cases.db?mode=ro&uri=true", False),
    ],
)
def test_an_in_memory_sqlite_database_is_told_from_a_file(url: str, memory: bool) -> None:
    assert sqlite_settings.in_memory(sa.make_url(url)) is memory


def test_a_worker_process_that_dies_is_a_store_error() -> None:
    """Not a `BrokenProcessPool`: the library's error, saying what may have happened."""
    with pytest.raises(StoreError, match="could not verify the store: a worker process ended"):
        parallel.spread(dying_worker, [(None, "m"), ("m", None)], 2, print, "verify the store")


def test_the_workers_url_keeps_its_password_out_of_sight() -> None:
    """Workers open the database by its URL, password included; its repr does not show it."""
    store = SqlAlchemyStore("postgresql+psycopg://clerk:s3cret@db.invalid/cases")
    reopening = store._reopening()
    assert "s3cret" in reopening.url
    assert "s3cret" not in repr(reopening)
    store.close()


def test_due_on_postgresql_hands_its_connection_back_as_it_found_it(postgres_url: str) -> None:
    """due() reads without BEGIN and ROLLBACK on PostgreSQL (autocommit): the pooled connection
    it borrowed goes back at the engine's own isolation level, not in autocommit, so the next
    save through it is a transaction again."""
    engine = sa.create_engine(
        postgres_url, pool_size=1, max_overflow=0, isolation_level="REPEATABLE READ"
    )
    reset_database(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    store.save(built("due-pg-1", 3))
    assert {item.case_id for item in store.due(date(2030, 1, 1))} == {"due-pg-1"}
    with engine.connect() as conn:
        assert conn.get_isolation_level() == "REPEATABLE READ"
        assert conn.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
    engine.dispose()


def test_another_authoritys_name_committed_mid_save_is_compared_under_repeatable_read(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T2 compares a new case's protocol with every authority's once its own row is written,
    after PostgreSQL's advisory lock: under READ COMMITTED that read sees what a writer that
    held the lock committed. An engine made with isolation_level="REPEATABLE READ" (which the
    store supports: test_due_on_postgresql_hands_its_connection_back_as_it_found_it) reads
    the snapshot taken before the lock, so another authority's first case under the name with
    other rules, committed meanwhile, is not seen, and both are kept: the state T2 was to
    prevent (no unscoped verify or report can then run) (review Z, Z5)."""
    engine = sa.create_engine(postgres_url, isolation_level="REPEATABLE READ")
    reset_database(engine)
    own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
    theirs = attrs.evolve(own, weighting_points=7)
    store = SqlAlchemyStore(engine, calendar=CALENDAR, protocols=(own,))
    store.create_schema()
    first_opened = kept_names.first_opened
    calls: list[int] = []

    def after_another_writer(new: object, known: dict[object, object]) -> object:
        if not calls:  # between this save's read of the table and its insert
            with engine.begin() as other:
                other.execute(
                    sa.insert(schema.protocols),
                    {
                        "authority": OTHER_AUTHORITY,
                        "protocol_id": "otherborough",
                        "version": "3",
                        "fingerprint": theirs.fingerprint,
                        "first_case_id": "case-09",
                    },
                )
        calls.append(len(known))
        return first_opened(new, known)  # type: ignore[arg-type]

    monkeypatch.setattr(kept_names, "first_opened", after_another_writer)
    try:
        with pytest.raises(ChangedProtocol) as refused:
            store.save(opened("case-01", protocol=own))
        assert refused.value.taken
        assert store.taken(["case-01"]) == set()
    finally:
        reset_database(engine)
        engine.dispose()


def _respelled(text: str) -> str:
    """Another spelling Python reads as the same day (or moment) as `text`."""
    if len(text) == 10:
        year, week, weekday = date.fromisoformat(text).isocalendar()
        return f"{year}-W{week:02}-{weekday}"
    return text.replace(" ", "T").removesuffix(".000000")


@pytest.mark.parametrize(
    ("table", "column"),
    [(table, column) for table, columns in bulk.DATED.items() for column in columns],
)
def test_a_date_respelled_in_sqlite_does_not_verify(
    tmp_path: Path, table: str, column: str
) -> None:
    """SQLite keeps any text in a DATE column. `2026-W09-1` is the day `2026-02-23` to Python,
    but not to SQL comparing the text (`due()`, `ledger()`, as of a day), so such a row lists or
    hides what the log says: verify reports it."""
    url = f"sqlite:///{tmp_path / 'dates.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    for number, length in enumerate((6, 11)):
        store.save(built(f"case-{number:02}", length))
    assert store.verify() == []
    with raw_sqlite(tmp_path / "dates.sqlite") as conn:
        for trigger in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f"DROP TRIGGER {trigger[0]}")
        keys = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[5]]
        *key, text = conn.execute(
            f"SELECT {', '.join(keys)}, {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1"
        ).fetchone()
        spelled = _respelled(text)
        assert spelled != text
        if len(text) == 10:  # a week date, which Python 3.11's date.fromisoformat reads too
            year, week, weekday = spelled.split("-")
            same = date.fromisocalendar(int(year), int(week[1:]), int(weekday))
            assert same == date.fromisoformat(text)
        else:
            assert datetime.fromisoformat(spelled) == datetime.fromisoformat(text)
        where = " AND ".join(f"{name} = ?" for name in keys)
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (spelled, *key))
    problems = store.verify()
    assert problems
    assert {problem.case_id for problem in problems} == {
        dict(zip(keys, key, strict=True))["case_id"]
    }
    store.close()
