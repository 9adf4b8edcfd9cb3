"""The store contract: tests every store must pass, subclassed per backend in test_stores.py.

Also the helpers the store tests share: protocol runs from tests/scenario.py, fresh SQL
databases, and the worker processes of the race and crash tests.
"""

from __future__ import annotations

import contextlib
import copy as copy_module
import datetime as dt
import importlib
import itertools
import json
import os
import re
import signal
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import attrs
import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    CaseNotFound,
    CaseSummary,
    ChangedProtocol,
    ConcurrentUpdate,
    DeadlineKind,
    FailureLetter,
    FormInvalid,
    IllegalTransition,
    LedgerEntry,
    NotPermitted,
    ObligationKind,
    Party,
    Protocol,
    ProtocolDefinitionError,
    ProtocolError,
    Pupil,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    Role,
    SchoolCalendar,
    Stage,
    StoreError,
    Transition,
    UnknownProtocol,
    UnsuccessfulOutcome,
)
from reintegration_fsm.demo import CASES as DEMO_CASES
from reintegration_fsm.serialisation import structure, transition_from_json, transition_to_json
from reintegration_fsm.stores import (
    Checkpoint,
    DueItem,
    InMemoryStore,
    SqlAlchemyStore,
    at_once,
    schema,
    sql_verifying,
)
from reintegration_fsm.stores import opened as kept_names
from reintegration_fsm.stores.migrate import CREATING, VERSION_TABLE
from reintegration_fsm.stores.rows import Row, item_key, next_due, open_item_rows
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_FOUND,
    HOST_HEAD,
    HOST_SCHOOL,
    HOST_STAFF,
    MEETING,
    OPENED,
    PARENT,
    PSP,
    PUPIL,
    REFERRED,
    SECOND_REVIEW,
    START,
    SUCCESS,
    consent,
    information,
    initial_meeting,
    review,
    views,
)

Store = InMemoryStore | SqlAlchemyStore
OTHER_AUTHORITY = "Other Borough Council"
CALENDAR = SchoolCalendar.sample()


def _admissions(case: Reintegration) -> Actor:
    if case.local_authority == AUTHORITY:
        return ADMISSIONS
    return Actor("la-9", "Kit Marlow", Role.LA_ADMISSIONS, case.local_authority)


Step = Callable[[Reintegration], object]

HAPPY_PATH: tuple[Step, ...] = (
    lambda c: c.record_consent(consent(), by=AP_HEAD, on=CONSENTED),
    lambda c: c.refer_to_fair_access(
        ReferralRoute.VIRTUAL, information(), PSP, by=AP_HEAD, on=REFERRED
    ),
    lambda c: c.identify_host(HOST_SCHOOL, ReferralRoute.VIRTUAL, by=_admissions(c), on=HOST_FOUND),
    lambda c: c.note_at_panel(by=_admissions(c), on=HOST_FOUND),
    lambda c: c.hold_initial_meeting(initial_meeting(), views(), by=AP_STAFF, on=MEETING),
    lambda c: c.start_placement(by=HOST_HEAD, on=START),
    lambda c: c.hold_review(review(FIRST_REVIEW), by=HOST_STAFF, on=FIRST_REVIEW),
    lambda c: c.hold_review(review(SECOND_REVIEW), by=HOST_STAFF, on=SECOND_REVIEW),
    lambda c: c.hold_review(
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        by=HOST_STAFF,
        on=FINAL_REVIEW,
    ),
    lambda c: c.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=SUCCEEDED),
)
"""The scenario's successful run after `open`: 11 transitions in all."""


SUCCEEDED = dt.date(2026, 4, 13)
"""The date of the happy path's successful outcome."""
REDACTED_ON = dt.date.today()
"""The business date of the tests' redactions: today, the day they are done (a redaction may
not be dated before the day the entries it removes values from were recorded, nor after
today).
"""


def opened(
    case_id: str,
    authority: str = AUTHORITY,
    pupil: Pupil = PUPIL,
    on: dt.date = OPENED,
    protocol: Protocol = WORCESTERSHIRE,
) -> Reintegration:
    """A newly proposed case (under `protocol`)."""
    return Reintegration.open(
        case_id,
        pupil,
        AP_SETTING,
        authority,
        by=AP_HEAD,
        on=on,
        calendar=CALENDAR,
        protocol=protocol,
    )


def advanced(case: Reintegration, steps: int) -> Reintegration:
    """The case moved on by the next `steps` steps of the happy path."""
    done = case.version - 1
    for step in HAPPY_PATH[done : done + steps]:
        step(case)
    return case


def built(case_id: str, transitions: int, authority: str = AUTHORITY) -> Reintegration:
    """A case with its first `transitions` transitions of the happy path (at least 1)."""
    return advanced(opened(case_id, authority), transitions - 1)


def ended(case: Reintegration, on: dt.date | None = None) -> Reintegration:
    """The case withdrawn by the parent `on` a day (the day of its last step): a retention run
    removes the personal data of an ended case only."""
    case.withdraw("We are moving away.", by=PARENT, on=on or case.history[-1].on)
    return case


REVIEWS = {DeadlineKind.FIRST_REVIEW, DeadlineKind.SECOND_REVIEW, DeadlineKind.FINAL_REVIEW}
"""The deadlines a placement's ending leaves unneeded (`Reintegration.needed_until`)."""


def demo_ended(case_id: str) -> list[Transition]:
    """The demo's placement an emergency review ended (DEMO-0002) under `case_id`: its
    emergency review is transition 15 (EMERGENCY_REVIEW to ENDING), 16 a discharge in ENDING,
    17 the unsuccessful outcome; its second and final reviews are unmet."""
    return list(DEMO_CASES[1].run(case_id, CALENDAR).history)


def reviews_due(store: InMemoryStore | SqlAlchemyStore) -> list[DeadlineKind]:
    """The review deadlines `due()` lists, whenever due."""
    due = store.due(dt.date(2027, 1, 1))
    return [item.kind for item in due if item.kind in REVIEWS]  # type: ignore[comparison-overlap]


def with_forged_step(case: Reintegration, source: Stage) -> Reintegration:
    """`case` (just withdrawn) with a second `withdraw` out of `source` appended as if a
    trigger had recorded it: what two threads withdrawing one case object at once recorded
    before a case's triggers took a lock (review M, M1). No trigger can record it now."""
    last = case.history[-1]
    forged = Transition(
        last.seq + 1, last.trigger, source, Stage.WITHDRAWN, last.actor, last.on, last.data
    )
    case._history.append(forged)
    return case


def hosted_by(case_id: str, school: str) -> Reintegration:
    """The happy path's successful case, with `school` as its host (and its staff's). A name
    with a space at an end, which `identify_host` now refuses, is in a history recorded
    before it did, which still replays."""
    if school != school.strip():
        written = json.dumps([transition_to_json(t) for t in _hosted(case_id, HOST_SCHOOL).history])
        written = written.replace(json.dumps(HOST_SCHOOL), json.dumps(school))
        history = [transition_from_json(item) for item in json.loads(written)]
        return Reintegration.replay(history, CALENDAR)
    return _hosted(case_id, school)


def _hosted(case_id: str, school: str) -> Reintegration:
    head = attrs.evolve(HOST_HEAD, organisation=school)
    staff = attrs.evolve(HOST_STAFF, organisation=school)
    final = review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
    case = built(case_id, 2)
    admissions = _admissions(case)
    case.refer_to_fair_access(ReferralRoute.VIRTUAL, information(), PSP, by=AP_HEAD, on=REFERRED)
    case.identify_host(school, ReferralRoute.VIRTUAL, by=admissions, on=HOST_FOUND)
    case.note_at_panel(by=admissions, on=HOST_FOUND)
    case.hold_initial_meeting(initial_meeting(), views(), by=AP_STAFF, on=MEETING)
    case.start_placement(by=head, on=START)
    for day in (FIRST_REVIEW, SECOND_REVIEW):
        case.hold_review(review(day), by=staff, on=day)
    case.hold_review(final, by=staff, on=FINAL_REVIEW)
    case.record_successful_outcome(SUCCESS, by=head, on=SUCCEEDED)
    return case


def succeeded(case_id: str, on: dt.date, authority: str = AUTHORITY) -> Reintegration:
    """A case that became SUCCESSFUL on `on` (on or after the happy path's date)."""
    case = built(case_id, 10, authority)
    case.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=on)
    return case


@contextlib.contextmanager
def statements_run(store: SqlAlchemyStore) -> Iterator[list[tuple[str, Any]]]:
    """Each statement the store runs in the block, whitespace folded, with its parameters (a
    list of rows for an executemany). SQLite's common save runs on the driver's own
    connection: there sqlite3 traces each statement (the values written into the text, the
    parameters None). Elsewhere, `before_statements` watches them."""
    found: list[tuple[str, Any]] = []

    def noted(dbapi_connection: Any, statement: str, params: Any) -> None:
        found.append((" ".join(statement.split()), params))

    if store.engine.dialect.name != "sqlite":
        with before_statements(store, noted):
            yield found
        return

    def traced(statement: str) -> None:
        noted(None, statement, None)

    with _while_lent(
        store.engine,
        lambda dbapi: dbapi.set_trace_callback(traced),
        lambda dbapi: dbapi.set_trace_callback(None),
    ):
        yield found


@contextlib.contextmanager
def before_statements(
    store: SqlAlchemyStore, hook: Callable[[Any, str, Any], None]
) -> Iterator[None]:
    """Call `hook(dbapi_connection, statement, params)` before each statement the store runs
    on a server in the block (params: a list of rows for an executemany). PostgreSQL's common
    save runs on the driver's own connection, so there psycopg's cursors call it; MariaDB's
    statements go through SQLAlchemy's `before_cursor_execute`."""
    if store.engine.dialect.name != "postgresql":

        def seen(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
            hook(conn.connection.dbapi_connection, statement, params)

        with _listening(store.engine, [("before_cursor_execute", seen)]):
            yield
        return
    import psycopg

    class Watched(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            hook(self.connection, str(query), params)
            return super().execute(query, params, **kwargs)

        def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
            rows = list(params_seq)
            hook(self.connection, str(query), rows)
            super().executemany(query, rows, **kwargs)

    def watched(dbapi: Any) -> None:
        dbapi.cursor_factory = Watched

    def plain(dbapi: Any) -> None:
        dbapi.cursor_factory = psycopg.Cursor

    with _while_lent(store.engine, watched, plain):
        yield


@contextlib.contextmanager
def _while_lent(
    engine: sa.Engine, lend: Callable[[Any], None], take_back: Callable[[Any], None]
) -> Iterator[None]:
    """`lend(dbapi_connection)` as the pool lends each connection in the block, and
    `take_back(dbapi_connection)` as it comes back (not for a lost one, which is closed)."""

    def lent(dbapi_connection: Any, *args: Any) -> None:
        lend(dbapi_connection)

    def returned(dbapi_connection: Any, *args: Any) -> None:
        if dbapi_connection is not None:  # None: a lost connection, not lent again
            take_back(dbapi_connection)

    with _listening(engine, [("checkout", lent), ("checkin", returned)]):
        yield


@contextlib.contextmanager
def _listening(engine: sa.Engine, hooks: list[tuple[str, Any]]) -> Iterator[None]:
    for name, hook in hooks:
        sa.event.listen(engine, name, hook)
    try:
        yield
    finally:
        for name, hook in hooks:
            sa.event.remove(engine, name, hook)


def item_rows_written(statement: str, params: Any) -> list[tuple[str, int]]:
    """The open-items rows a statement deletes and inserts, as (verb, rows): PostgreSQL's
    one-statement save names its closed and new items' parameters; an INSERT of several rows
    names each row's item_no once (or, traced by sqlite3, lists each row's values); an
    executemany runs once per row; a DELETE lists the item numbers it deletes."""
    if statement.startswith("WITH checked AS"):
        parts = (("DELETE", r"%\(gone_\d+\)s"), ("INSERT", r"\bitem_item_no_\d+"))
        return [(verb, n) for verb, pattern in parts if (n := len(re.findall(pattern, statement)))]
    if "rfsm_open_items" not in statement or statement.startswith("SELECT"):
        return []
    verb = statement.split()[0]
    if verb == "DELETE":
        listed = re.search(r"item_no IN \(([^)]*)\)", statement)
        return [(verb, 1 if listed is None else listed.group(1).count(",") + 1)]
    if verb != "INSERT":
        return []
    named = len(re.findall(r"\bitem_no_\d+", statement))
    rows = named or statement.partition(" VALUES ")[2].count("), (") + 1
    return [(verb, rows * (len(params) if isinstance(params, list) else 1))]


class Claiming:
    """A case object that claims another local authority than its own history's.

    Today's case lets `local_authority` be assigned; a sealed one does not. Either way the store
    must go by the stored row, so the tests use this stand-in for any such claim.
    """

    def __init__(self, case: Reintegration, authority: str) -> None:
        self._case = case
        self.local_authority = authority

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


def as_case(value: object) -> Reintegration:
    """`value`, passed where a case is expected (the stand-ins above duck-type one)."""
    return value  # type: ignore[return-value]


# -- SQL databases -------------------------------------------------------------------------------
def reset_database(engine: sa.Engine) -> None:
    """Drop the store's tables (their triggers go with them), the migration version table, the
    tables a migration cut off part way holds aside (`0003_evidence.HELD`), and the table that
    marks a store's making cut off part way (`migrate.CREATING`)."""
    held = importlib.import_module("reintegration_fsm.stores.migrations.versions.0003_evidence")
    with engine.begin() as conn:
        schema.metadata.drop_all(conn)
        for table in (VERSION_TABLE, CREATING, *held.HELD.values()):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))


_SHAPE = {
    "postgresql": """
        SELECT item FROM (
            SELECT 'column ' || c.relname || ' ' || a.attnum || ' ' || a.attname || ' '
                || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' '
                || coalesce(co.collname, '') || ' '
                || coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS item
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0
                AND NOT a.attisdropped
            UNION ALL SELECT 'relation ' || relname || ' ' || relkind::text || ' '
                || coalesce(relacl::text, '') || ' ' || coalesce(reloptions::text, '')
            FROM pg_class WHERE relnamespace = current_schema()::regnamespace
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes
            WHERE schemaname = current_schema()
            UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' '
                || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            UNION ALL SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
            UNION ALL SELECT 'function ' || proname || ' ' || md5(pg_get_functiondef(oid))
            FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
        ) AS shape ORDER BY item
    """,
    "mysql": """
        SELECT item FROM (
            SELECT CONCAT_WS(' ', 'column', table_name, ordinal_position, column_name,
                column_type, is_nullable, column_default, collation_name, extra) AS item
            FROM information_schema.columns WHERE table_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'table', table_name, table_type, engine,
                table_collation, create_options)
            FROM information_schema.tables WHERE table_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'index', table_name, index_name, seq_in_index,
                column_name, non_unique, sub_part, index_type)
            FROM information_schema.statistics WHERE table_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'key', table_name, constraint_name, column_name,
                referenced_table_name, referenced_column_name)
            FROM information_schema.key_column_usage WHERE table_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'constraint', table_name, constraint_name,
                constraint_type)
            FROM information_schema.table_constraints WHERE constraint_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'check', table_name, constraint_name, check_clause)
            FROM information_schema.check_constraints WHERE constraint_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'trigger', trigger_name, event_manipulation,
                event_object_table, action_timing, action_order, MD5(action_statement), sql_mode)
            FROM information_schema.triggers WHERE trigger_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'routine', routine_name, MD5(routine_definition))
            FROM information_schema.routines WHERE routine_schema = DATABASE()
            UNION ALL SELECT CONCAT_WS(' ', 'grant', table_name, grantee, privilege_type)
            FROM information_schema.table_privileges WHERE table_schema = DATABASE()
        ) AS shape ORDER BY item
    """,
}
"""Every object of the database's schema that a test could add, drop or change, one line each."""


def _shape(engine: sa.Engine) -> tuple[str, ...] | None:
    """The database's schema (`_SHAPE`) and the migration version it is stamped with; None
    when it has no version table."""
    with engine.connect() as conn:
        shape = tuple(conn.exec_driver_sql(_SHAPE[engine.dialect.name]).scalars())
        if not any(item.startswith(f"column {VERSION_TABLE} ") for item in shape):
            return None
        stamps = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars()
        return (*shape, *(f"stamp {stamp}" for stamp in stamps))


_MADE: dict[str, tuple[str, ...] | None] = {}
"""The shape of the schema `create_schema()` made last, by database URL, in this process."""


def empty_store(url: str) -> sa.Engine:
    """An engine on the database at `url` holding a store with no rows, as `create_schema()`
    makes one. Made once a process: after that a store whose schema is exactly as made (its
    tables, columns, indexes, constraints, triggers, functions, grants and stamp) has its rows
    removed, and any other is dropped and made again. Making it every test took most of a
    store test's time on the database servers."""
    engine = reachable_engine(url)
    made = _MADE.pop(url, None)
    if made is not None and _shape(engine) == made:  # None: never made, or its stamp gone
        names = [table.name for table in schema.metadata.sorted_tables]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":  # its log refuses TRUNCATE by a trigger
                conn.exec_driver_sql("ALTER TABLE rfsm_transitions DISABLE TRIGGER USER")
                conn.exec_driver_sql(f"TRUNCATE {', '.join(names)}")
                conn.exec_driver_sql("ALTER TABLE rfsm_transitions ENABLE TRIGGER USER")
            else:  # MariaDB's TRUNCATE fires no trigger
                for name in names:
                    conn.exec_driver_sql(f"TRUNCATE TABLE {name}")
    else:
        reset_database(engine)
        SqlAlchemyStore(engine, calendar=CALENDAR).create_schema()
        made = _shape(engine)
    _MADE[url] = made
    return engine


def reachable_engine(url: str) -> sa.Engine:
    """An engine on `url`, failing the test (never skipping it) when the server is down."""
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        pytest.fail(f"{url} is set but unreachable: {error}")
    return engine


def log_refuses_updates(engine: sa.Engine) -> bool:
    """Whether the append-only guard refuses an UPDATE of a log entry's data (the log holds
    one at least)."""
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE rfsm_transitions SET data = data")
    except sa.exc.DBAPIError:
        return True
    return False


def drop_triggers(engine: sa.Engine) -> None:
    """What an attacker with file or superuser access can do first."""
    with engine.begin() as conn:
        for statement in schema.drop_trigger_statements(engine.dialect.name):
            conn.execute(sa.text(statement))


class StoreContract:
    """Behaviour every store must show. Subclasses provide the `store` fixture and hooks."""

    sql: ClassVar[bool] = True

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError

    def tamper(self, store: Store, case_id: str, seq: int, column: str, value: Any) -> None:
        """Overwrite one stored log field, bypassing the store (triggers dropped first)."""
        assert isinstance(store, SqlAlchemyStore)
        drop_triggers(store.engine)
        table = schema.transitions
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(table)
                .where(table.c.case_id == case_id, table.c.seq == seq)
                .values({column: value})
            )

    def stored_entry(self, store: Store, case_id: str, seq: int) -> Row:
        """One log row as stored."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.transitions
        with store.engine.connect() as conn:
            query = sa.select(table).where(table.c.case_id == case_id, table.c.seq == seq)
            return dict(conn.execute(query).mappings().one())

    def tamper_redaction(
        self, store: Store, case_id: str, seq: int, column: str, value: Any
    ) -> None:
        """Overwrite one column of an entry's redaction records, bypassing the store."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.redactions
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(table)
                .where(table.c.case_id == case_id, table.c.seq == seq)
                .values({column: value})
            )

    def tamper_case(self, store: Store, case_id: str, column: str, value: Any) -> None:
        """Overwrite one column of a case row, bypassing the store."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.cases
        with store.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.case_id == case_id).values({column: value}))

    def tamper_items(self, store: Store, case_id: str, column: str, value: Any) -> None:
        """Overwrite one column of every open item of a case, bypassing the store."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.open_items
        with store.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.case_id == case_id).values({column: value}))

    def tamper_ledger(self, store: Store, case_id: str, column: str, value: Any) -> None:
        """Overwrite one column of every ledger entry of a case, bypassing the store."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.weightings
        with store.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.case_id == case_id).values({column: value}))

    def write_items(self, store: Store, case_id: str, rows: list[Row]) -> None:
        """Replace a case's open-items rows, bypassing the store (as an earlier release
        wrote them)."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.open_items
        with store.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.case_id == case_id))
            conn.execute(sa.insert(table), rows)

    def remove_case_row(self, store: Store, case_id: str) -> None:
        """Delete a case row, leaving its log: an orphaned log."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.cases
        with store.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.case_id == case_id))

    def fresh_view(self, store: Store) -> Store:
        """Another store object on the same data, which has seen none of the caller's cases."""
        if isinstance(store, SqlAlchemyStore):
            return SqlAlchemyStore(store.engine, calendar=CALENDAR)
        view = store.for_authority(AUTHORITY)
        view._authority = None  # no public way to an unscoped view of the same dicts
        return view

    # -- round trips ------------------------------------------------------------------------------
    def test_a_saved_case_loads_equal_with_the_same_history(self, store: Store) -> None:
        case = built("case-01", 11)
        store.save(case)
        loaded = store.load("case-01")
        assert loaded == case
        assert store.history("case-01") == case.history
        assert loaded.stage is Stage.SUCCESSFUL
        store.save(case)  # the store holds both whole: nothing to write, nothing refused
        store.save(loaded)
        assert store.history("case-01") == case.history

    def test_saving_after_each_trigger_keeps_one_history(self, store: Store) -> None:
        case = opened("case-01")
        store.save(case)
        for step in HAPPY_PATH:
            step(case)
            store.save(case)
            assert store.history("case-01") == case.history
        assert store.load("case-01") == case

    def test_a_loaded_case_continues_and_saves(self, store: Store) -> None:
        store.save(built("case-01", 3))
        case = store.load("case-01")
        advanced(case, 4)
        store.save(case)
        assert store.load("case-01") == built("case-01", 7)

    def test_saving_with_nothing_new_changes_nothing(self, store: Store) -> None:
        case = built("case-01", 2)
        store.save(case)
        store.save(case)
        assert store.history("case-01") == case.history

    def test_a_refused_trigger_saves_nothing(self, store: Store) -> None:
        store.save(built("case-01", 2))
        case = store.load("case-01")
        with pytest.raises(IllegalTransition):
            case.start_placement(by=HOST_HEAD, on=START)
        store.save(case)
        assert store.history("case-01") == built("case-01", 2).history

    @pytest.mark.parametrize("source", [Stage.WITHDRAWN, Stage.CONSENTED])
    def test_a_history_whose_new_steps_do_not_chain_by_stage_is_not_saved(
        self, store: Store, source: Stage
    ) -> None:
        """A second 'withdraw' out of the final stage the first reached, or out of the stage
        the case left before it (the two histories M1's race left), is refused by the save,
        as a new case, appended to a case the store loaded, and appended to a case it has not
        seen: IllegalTransition naming the step, and nothing written (both stores wrote it:
        the memory store then refused every load, the SQL store's verify() reported it)."""
        with pytest.raises(IllegalTransition) as refused:
            store.save(with_forged_step(ended(built("case-01", 2)), source))
        assert (refused.value.trigger, refused.value.stage, refused.value.seq) == (
            "withdraw",
            Stage.WITHDRAWN,
            4,
        )
        assert store.cases() == []
        store.save(built("case-02", 2))
        loaded = store.load("case-02")
        with pytest.raises(IllegalTransition):
            store.save(with_forged_step(ended(loaded), source))
        unseen = with_forged_step(ended(built("case-02", 2)), source)
        with pytest.raises(IllegalTransition):
            self.fresh_view(store).save(unseen)
        with pytest.raises(IllegalTransition):
            store.save(unseen)
        assert store.history("case-02") == built("case-02", 2).history
        assert [summary.case_id for summary in store.cases()] == ["case-02"]
        assert store.verify() == []
        store.save(ended(store.load("case-02")))  # the step itself, chained, saves
        assert store.load("case-02").stage is Stage.WITHDRAWN

    def test_a_later_change_to_the_callers_case_does_not_reach_the_store(
        self, store: Store
    ) -> None:
        case = built("case-01", 2)
        store.save(case)
        with pytest.raises(TypeError, match="cannot be changed"):
            case.history[1].data["form"]["parent_name"] = "Someone Else"  # type: ignore[index]
        assert store.history("case-01") == built("case-01", 2).history

    def test_loading_an_unknown_case_raises_case_not_found(self, store: Store) -> None:
        with pytest.raises(CaseNotFound):
            store.load("no-such-case")
        with pytest.raises(KeyError):
            store.history("no-such-case")

    # -- concurrency ------------------------------------------------------------------------------
    def test_a_stale_case_is_refused_and_nothing_is_written(self, store: Store) -> None:
        store.save(built("case-01", 2))
        first, second = store.load("case-01"), store.load("case-01")
        advanced(first, 1)
        store.save(first)
        # A step of its own: an identical one would be the same transition, held already.
        second.withdraw("The family moved away.", by=PARENT, on=CONSENTED)
        with pytest.raises(ConcurrentUpdate) as refused:
            store.save(second)
        assert (refused.value.case_id, refused.value.expected, refused.value.found) == (
            "case-01",
            2,
            3,
        )
        assert "another writer appended to it first" in str(refused.value)
        assert "changed since it was loaded" not in str(refused.value)
        assert second.version == 3
        assert store.history("case-01") == first.history
        assert store.verify() == []

    def test_a_second_new_case_with_a_taken_id_is_refused(self, store: Store) -> None:
        store.save(built("case-01", 3))
        another = opened("case-01", on=CONSENTED)  # the same id, a different case
        with pytest.raises(ConcurrentUpdate) as refused:
            store.save(another)
        assert refused.value.expected == 0
        assert refused.value.found == 3
        assert "taken by a different case" in str(refused.value)
        assert len(store.history("case-01")) == 3

    # -- authority --------------------------------------------------------------------------------
    def test_an_authority_store_sees_and_writes_only_its_own_cases(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        with pytest.raises(NotPermitted) as refused:
            scoped.save(built("case-03", 1, OTHER_AUTHORITY))
        assert refused.value.trigger == "save"
        # Not "is not 'Example Council''s": a quoted name's possessive (found by a review).
        assert f"'case-03' is not a case of {AUTHORITY!r}: " in str(refused.value)
        with pytest.raises(CaseNotFound):
            scoped.load("case-02")
        with pytest.raises(CaseNotFound):
            scoped.history("case-02")
        assert scoped.load("case-01") == built("case-01", 3)
        far = dt.date(2027, 1, 1)
        assert {item.case_id for item in scoped.due(far)} == {"case-01"}
        assert {item.case_id for item in store.due(far)} == {"case-01", "case-02"}
        with pytest.raises(CaseNotFound):
            store.load("case-03")
        assert scoped.verify() == []

    # -- due --------------------------------------------------------------------------------------
    def test_due_lists_unmet_deadlines_and_open_obligations_soonest_first(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 1))  # proposed: nothing due
        store.save(built("case-02", 3))  # referred: place offer, panel note
        store.save(built("case-03", 7))  # in placement: reviews, joiners form, ...
        store.save(built("case-04", 11))  # successful: its form closed the joiners return
        referred = built("case-02", 3).deadlines[0].due
        items = store.due(dt.date(2026, 3, 1))
        dated = [item for item in items if item.due is not None]
        assert dated == [
            DueItem("case-02", "place_offer", referred, "deadline", None),
            DueItem("case-03", "complete_joiners_form", dt.date(2026, 2, 28), "obligation", "host"),
        ]
        assert referred <= dt.date(2026, 2, 28)
        undated = items[len(dated) :]
        assert all(item.due is None and item.item == "obligation" for item in undated)
        assert [item.case_id for item in undated] == sorted(item.case_id for item in undated)
        assert ("case-02", "note_at_panel") in {(i.case_id, i.kind) for i in undated}
        assert "case-01" not in {item.case_id for item in items}
        later = store.due(FIRST_REVIEW)
        assert DueItem("case-03", "first_review", FIRST_REVIEW, "deadline", None) in later
        assert ("case-03", "second_review") not in {(i.case_id, i.kind) for i in later}

    def test_due_leaves_out_the_reviews_of_a_placement_an_emergency_review_ended(
        self, store: Store
    ) -> None:
        """Review M, M6: once an emergency review has ended the placement (stage ENDING), no
        step can hold its second or final review and the case no longer needs them
        (`needed_until`); `due()` listed them until the outcome was recorded. The save of the
        emergency review, of a case the store loaded, now removes their rows."""
        history = demo_ended("case-01")
        store.save(Reintegration.replay(history[:14], CALENDAR))
        case = store.load("case-01")
        assert case.stage is Stage.EMERGENCY_REVIEW
        assert reviews_due(store) == [DeadlineKind.SECOND_REVIEW, DeadlineKind.FINAL_REVIEW]
        ending = history[14]
        case.hold_emergency_review(
            structure(ending.data["meeting"], ReviewMeeting),
            structure(ending.data["letter"], FailureLetter),
            by=ending.actor,
            on=ending.on,
        )
        assert [d.kind for d in case.pending_deadlines if d.kind in REVIEWS] == []
        store.save(case)
        assert reviews_due(store) == []
        assert store.load("case-01").stage is Stage.ENDING
        store.save(Reintegration.replay(history, CALENDAR))  # a copy it has not seen
        assert reviews_due(store) == []
        assert store.verify() == []

    def test_a_case_saved_in_ending_with_its_reviews_listed_keeps_them_until_its_next_save(
        self, store: Store
    ) -> None:
        """A case a store saved in ENDING before `due()` left out its ended reviews keeps their
        rows: `due()` lists them and `verify()` finds nothing wrong, until the case's next
        save (its outcome) rewrites its open items whole."""
        history = demo_ended("case-01")
        saved = Reintegration.replay(history[:16], CALENDAR)
        store.save(saved)
        before = open_item_rows(saved, saved.local_authority, with_ended_reviews=True)
        assert len(before) > len(open_item_rows(saved, saved.local_authority))
        self.write_items(store, "case-01", before)
        self.tamper_case(store, "case-01", "next_due", next_due(before))
        assert reviews_due(store) == [DeadlineKind.SECOND_REVIEW, DeadlineKind.FINAL_REVIEW]
        assert store.verify() == []
        case = store.load("case-01")
        outcome = history[16]
        case.record_unsuccessful_outcome(
            structure(outcome.data["form"], UnsuccessfulOutcome), by=outcome.actor, on=outcome.on
        )
        store.save(case)
        assert reviews_due(store) == []
        assert store.verify() == []

    def test_a_met_deadline_is_no_longer_due(self, store: Store) -> None:
        case = built("case-01", 3)
        store.save(case)
        assert any(item.kind == "place_offer" for item in store.due(dt.date(2026, 6, 1)))
        advanced(case, 1)
        store.save(case)
        assert all(item.kind != "place_offer" for item in store.due(dt.date(2026, 6, 1)))

    def test_a_withdrawn_cases_deadlines_stop_binding_but_its_obligations_stay_listed(
        self, store: Store
    ) -> None:
        """Revision 2: `due()` lists only what still binds (it listed the deadline for ever)."""
        case = built("case-01", 3)  # referred by a virtual approach: an offer and a panel note
        store.save(case)
        assert "place_offer" in {item.kind for item in store.due(dt.date(2026, 6, 1))}
        case.withdraw("The family moved out of the area.", by=AP_HEAD, on=REFERRED)
        store.save(case)
        items = store.due(dt.date(2026, 6, 1))
        assert "place_offer" not in {item.kind for item in items}
        note = next(item for item in items if item.kind == "note_at_panel")
        assert note.kind is ObligationKind.NOTE_AT_PANEL
        assert note.owner is Party.LA
        assert store.verify() == []

    def test_due_for_a_school_lists_only_the_cases_with_that_ap_setting_or_host(
        self, store: Store
    ) -> None:
        """`due(on, school=)`: what binds for one school's cases, as `cases(school=)` finds
        them; a scoped store's list leaves another authority's cases out."""
        store.save(built("case-01", 7))  # in placement at HOST_SCHOOL
        store.save(hosted_by("case-02", "Oakhurst Academy"))
        store.save(built("case-03", 3))  # referred: no host yet
        store.save(built("case-04", 7, OTHER_AUTHORITY))
        far = dt.date(2027, 1, 1)
        everything = store.due(far)

        def of(school: str) -> list[DueItem]:
            ids = {summary.case_id for summary in store.cases(school=school)}
            return [item for item in everything if item.case_id in ids]

        host = store.due(far, school=HOST_SCHOOL)
        assert {item.case_id for item in host} == {"case-01", "case-04"}
        assert host == of(HOST_SCHOOL)
        assert any(item.due is not None for item in host)  # dated ones first, as ever
        assert any(item.due is None for item in host)
        oakhurst = store.due(far, school="Oakhurst Academy")
        assert {item.case_id for item in oakhurst} == {"case-02"}
        assert oakhurst == of("Oakhurst Academy")
        assert store.due(far, school=AP_SETTING) == everything
        assert store.due(far, school="Nowhere Academy") == []
        # A school is matched as the rules read its name (R5, R15): in any letters' case or
        # spacing, an accent typed apart from its letter, invisible characters aside.
        assert store.due(far, school=HOST_SCHOOL.upper()) == host
        assert store.due(far, school="  " + HOST_SCHOOL.lower().replace(" ", "  ")) == host
        assert store.due(far, school=HOST_SCHOOL + "\u200b") == host
        assert store.due(far, school=HOST_SCHOOL[:-1]) == []  # a name is a whole name
        assert store.due(far, school=HOST_SCHOOL + " Annexe") == []
        assert store.due(REFERRED, school="Oakhurst Academy") == []  # opened after it
        opened = store.due(HOST_FOUND, school="Oakhurst Academy")
        assert opened == [item for item in store.due(HOST_FOUND) if item.case_id == "case-02"]
        assert opened != []
        scoped = store.for_authority(AUTHORITY)
        assert {item.case_id for item in scoped.due(far, school=HOST_SCHOOL)} == {"case-01"}

    def test_taken_names_the_ids_in_use_by_any_authority(self, store: Store) -> None:
        store.save(built("case-01", 1))
        store.save(built("case-02", 1, authority=OTHER_AUTHORITY))
        assert store.taken(["case-01", "case-02", "case-03"]) == {"case-01", "case-02"}
        scoped = store.for_authority(AUTHORITY)
        assert scoped.taken(["case-02", "case-03"]) == {"case-02"}  # ids are store-wide

    # -- audit ------------------------------------------------------------------------------------
    @pytest.mark.parametrize("spaced", [HOST_SCHOOL + " ", " " + HOST_SCHOOL])
    def test_a_school_named_with_a_space_at_an_end_keeps_its_name_on_every_engine(
        self, store: Store, spaced: str
    ) -> None:
        """A school's name recorded with a space at an end (before `identify_host` refused
        it) keeps its name in the case and the ledger, apart from the name without the space,
        on every engine (MariaDB's PAD SPACE collation compares them equal; the id rules
        refused such text outright); `cases(school=)` and `due(school=)` find both under
        either, as one school to the rules (R5, R15) and to `weightings()`."""
        store.save(built("case-01", 11))
        store.save(hosted_by("case-02", spaced))
        both = ["case-01", "case-02"]
        assert [c.case_id for c in store.cases(school=spaced)] == both
        assert [c.case_id for c in store.cases(school=HOST_SCHOOL)] == both
        assert {c.host_school for c in store.cases(school=HOST_SCHOOL)} == {HOST_SCHOOL, spaced}
        later = dt.date(2026, 12, 31)
        assert {item.case_id for item in store.due(later, school=spaced)} == set(both)
        assert {item.case_id for item in store.due(later, school=HOST_SCHOOL)} == set(both)
        # One school to the rules (R5, R15) is one line of weightings, under its first entry's
        # spelling; the ledger keeps each entry as recorded.
        assert store.weightings(SUCCEEDED, later) == {AP_SETTING: -6, HOST_SCHOOL: 6}
        assert sorted((e.case_id, e.school) for e in store.ledger(SUCCEEDED, later)) == sorted(
            [
                ("case-01", AP_SETTING),
                ("case-01", HOST_SCHOOL),
                ("case-02", AP_SETTING),
                ("case-02", spaced),
            ]
        )

    def test_a_school_is_found_however_its_accents_and_capitals_were_typed(
        self, store: Store
    ) -> None:
        """`cases(school=)` and `due(school=)` find a school recorded with an accent typed apart
        from its letter (as macOS writes it) under the name typed whole, in capitals or with a
        zero-width space pasted in, and the other way round; each case keeps its spelling, and a
        scoped store finds no other authority's cases by any spelling."""
        whole = "\u00c9cole Sainte-H\u00e9l\u00e8ne"
        apart = unicodedata.normalize("NFD", whole)
        assert apart != whole
        store.save(hosted_by("case-01", whole))
        store.save(hosted_by("case-02", apart))
        store.save(built("case-03", 7))
        later = dt.date(2026, 12, 31)
        for asked in (whole, apart, whole.upper(), "\u00e9cole  sainte-h\u00e9l\u00e8ne\u200b"):
            assert [c.case_id for c in store.cases(school=asked)] == ["case-01", "case-02"]
            assert {i.case_id for i in store.due(later, school=asked)} == {"case-01", "case-02"}
        assert [c.host_school for c in store.cases(school=whole)] == [whole, apart]
        assert store.cases(school="Ecole Sainte-Helene") == []  # an accent is a letter
        assert store.for_authority(OTHER_AUTHORITY).cases(school=whole) == []
        assert store.for_authority(OTHER_AUTHORITY).due(later, school=apart) == []

    # -- what the methods take ------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("call", "named"),
        [
            (lambda s: s.due("2026-05-01"), "due.on"),  # compared as text by SQLite
            (lambda s: s.due(dt.datetime(2026, 5, 1, 9)), "due.on"),
            (lambda s: s.due(None), "due.on"),  # an empty list on PostgreSQL
            (lambda s: s.weightings("2026-01-01", SUCCEEDED), "weightings.start"),
            (lambda s: s.weightings(SUCCEEDED, 2027), "weightings.end"),
            (lambda s: s.ledger(2026, 2027), "ledger.start"),
            (lambda s: s.cases(school=5), "cases.school"),
            (lambda s: s.due(SUCCEEDED, school=5), "due.school"),
            (lambda s: s.cases(text=b"case"), "cases.text"),
            (lambda s: s.past_retention("2040-01-01"), "past_retention.on"),
            (lambda s: s.apply_retention("2040-01-01", by=ADMISSIONS), "apply_retention.on"),
            (lambda s: s.held_retention("2040-01-01"), "held_retention.on"),
            (lambda s: list(s.load_all("case-01")), "load_all.case_ids"),  # its letters
            (lambda s: list(s.load_all(["case-01", 1])), "load_all.case_ids"),
            (lambda s: s.taken("case-01"), "taken.case_ids"),
            (lambda s: s.import_histories([], batch_size=0), "import_histories.batch_size"),
            (lambda s: s.import_histories([], batch_size=True), "import_histories.batch_size"),
            (lambda s: s.import_histories([], batch_size="9"), "import_histories.batch_size"),
            (  # too long to write out
                lambda s: s.import_histories([], batch_size=-(10**5000)),
                "import_histories.batch_size",
            ),
            (lambda s: s.import_histories([built("case-05", 2).history]), "import_histories.1"),
            (lambda s: s.import_histories([(None, ())]), "import_histories.1"),
            (lambda s: s.import_histories([(AUTHORITY, "open")]), "import_histories.1"),
            (lambda s: s.verify(checkpoint=s.checkpoint().to_json()), "verify.checkpoint"),
            (lambda s: s.verify(checkpoint={}), "verify.checkpoint"),
            (lambda s: s.verify(progress=True), "verify.progress"),  # once the work is done
            (lambda s: s.verify(public_key=b"a key"), "verify.public_key"),  # no checkpoint
            (lambda s: s.load(["case-01"]), "load.case_id"),  # a bare TypeError, or "the
            (lambda s: s.load(1), "load.case_id"),  # database failed" (found by a review)
            (lambda s: s.load(None), "load.case_id"),
            (lambda s: s.load(["case-01"], as_of=REDACTED_ON), "load.case_id"),
            (lambda s: s.history(["case-01"]), "history.case_id"),
            (lambda s: s.history(1), "history.case_id"),
            (lambda s: s.redactions(["case-01"]), "redactions.case_id"),
            (
                lambda s: s.redact(
                    ["case-01"], 2, ["form.parent_name"], "asked", by=ADMISSIONS, on=REDACTED_ON
                ),
                "redact.case_id",
            ),
            (
                lambda s: s.redact(
                    "case-01", [2], ["form.parent_name"], "asked", by=ADMISSIONS, on=REDACTED_ON
                ),
                "redact.seq",
            ),
            (
                lambda s: s.redact(
                    "case-01", "2", ["form.parent_name"], "asked", by=ADMISSIONS, on=REDACTED_ON
                ),
                "redact.seq",
            ),
            (
                lambda s: s.redact(
                    "case-01", True, ["form.parent_name"], "asked", by=ADMISSIONS, on=REDACTED_ON
                ),
                "redact.seq",
            ),
            (lambda s: s.save(None), "save.case"),
            (lambda s: s.save("case-05"), "save.case"),  # an id for the case
            (lambda s: s.save(built("case-05", 2).history), "save.case"),
            (
                lambda s: s.redact("case-01", 2, None, "asked", by=ADMISSIONS, on=REDACTED_ON),
                "redact.paths",
            ),
            (
                lambda s: s.redact("case-01", 2, [2], "asked", by=ADMISSIONS, on=REDACTED_ON),
                "redact.paths",
            ),
            (
                lambda s: s.redact(
                    "case-01", 2, "form.parent_name", "asked", by=ADMISSIONS, on=REDACTED_ON
                ),
                "redact.paths",
            ),
        ],
    )
    def test_an_argument_of_the_wrong_kind_is_refused_alike_on_every_engine(
        self, store: Store, call: Callable[[Store], object], named: str
    ) -> None:
        """A careless integrator's call (a text for a date, one id for a list of them) is
        refused with `FormInvalid` naming the argument, on every engine, and writes nothing:
        before, engines compared it as text, answered nothing, or crashed."""
        store.save(built("case-01", 11))
        with pytest.raises(FormInvalid) as refused:
            call(store)
        assert str(refused.value).startswith(f"{named}: ")
        assert store.taken(["case-01", "case-05"]) == {"case-01"}
        assert store.verify() == []

    def test_a_case_id_or_seq_of_the_wrong_kind_is_refused_saying_what_it_must_be(
        self, store: Store
    ) -> None:
        """As every other argument is, on every engine alike (found by a review)."""
        store.save(built("case-01", 11))
        with pytest.raises(FormInvalid) as refused:
            store.load(["case-01"])  # type: ignore[arg-type]
        assert str(refused.value) == "load.case_id: must be text, not list"
        with pytest.raises(FormInvalid) as refused:
            store.redact(
                "case-01",
                [2],  # type: ignore[arg-type]
                ["form.parent_name"],
                "asked",
                by=ADMISSIONS,
                on=REDACTED_ON,
            )
        assert str(refused.value) == (
            "redact.seq: must be an entry's number (a whole number) or None, not list"
        )

    def test_the_arguments_of_the_right_kind_are_taken(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """Any iterable of ids (a generator, a set), a date subclass, and batches of 1."""

        class Day(dt.date):
            pass

        store.save(built("case-01", 11))
        assert [c.case_id for c in store.load_all(i for i in ["case-01"])] == ["case-01"]
        assert store.taken({"case-01", "case-02"}) == {"case-01"}
        assert store.due(Day(2027, 1, 1)) == store.due(dt.date(2027, 1, 1))
        stood = store.load("case-01", as_of=Day(2026, 3, 6))
        assert stood == store.load("case-01", as_of=dt.date(2026, 3, 6))
        assert 1 < stood.version < 11
        histories = [(AUTHORITY, built(f"case-0{n}", 3).history) for n in (2, 3)]
        assert store.import_histories(histories, batch_size=1) == 6
        [note] = store.redact(
            "case-01", 2, ["form.relationship"], "asked", by=ADMISSIONS, on=Day.today()
        )
        assert type(note.on) is dt.date
        assert note.on == dt.date.today()
        clock(dt.date(2100, 1, 1))
        assert len(store.apply_retention(Day(2100, 1, 1), by=ADMISSIONS)) == 1
        held = store.held_retention(Day(2100, 1, 1))  # still running: left alone
        assert [case.case_id for case in held] == ["case-02", "case-03"]
        assert store.verify() == []

    def test_a_redaction_or_retention_run_dated_after_today_is_refused_alike_on_every_engine(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """`redact(on=9999-12-31)` was taken ("redacted on 9999-12-31"), and a retention run
        dated up to a year ahead removed, that day, personal data still to be kept, its record
        dated ahead (found by a review). A redaction or a run is dated no later than today;
        listing what will be past retention on any day, however far, is still answered."""
        store.save(built("case-01", 11))
        today = dt.date.today()  # the day the entries were recorded: a redaction can be dated it
        clock(today)
        calls: list[tuple[Callable[[dt.date], object], str]] = [
            (
                lambda on: store.redact(
                    "case-01", 2, ["form.relationship"], "asked", by=ADMISSIONS, on=on
                ),
                "redact.on",
            ),
            (lambda on: store.apply_retention(on, by=ADMISSIONS), "apply_retention.on"),
        ]
        for call, named in calls:
            for on in (dt.date.max, today + dt.timedelta(days=1)):
                with pytest.raises(FormInvalid) as refused:
                    call(on)
                assert str(refused.value) == (
                    f"{named}: {on.isoformat()} is after today ({today}): personal data "
                    "still to be kept would be removed, and the record dated ahead; date it the "
                    "day it is done"
                )
        assert store.redactions("case-01") == []
        assert store.load("case-01") == built("case-01", 11)
        assert [due.case_id for due in store.past_retention(dt.date.max)] == ["case-01"]
        assert store.apply_retention(today, by=ADMISSIONS) == []  # today: taken, none due
        [note] = store.redact("case-01", 2, ["form.relationship"], "asked", by=ADMISSIONS, on=today)
        assert note.on == today
        assert store.verify() == []

    def test_verify_finds_nothing_wrong_in_a_sound_store(self, store: Store) -> None:
        for number, length in enumerate((1, 3, 6, 11)):
            store.save(built(f"case-{number:02}", length))
        assert store.verify() == []

    def test_verify_reports_a_changed_payload(self, store: Store) -> None:
        store.save(built("case-01", 4))
        entry = store.history("case-01")[1]
        forged = entry.data | {"form": entry.data["form"] | {"agrees": False}}
        self.tamper(store, "case-01", 2, "data", _json(forged))
        problems = store.verify()
        assert problems
        # The changed entry, and the replay that now refuses what the protocol never accepted
        # (its reasons unquoted: they may name the child).
        assert [(p.case_id, p.seq) for p in problems] == [("case-01", 2), ("case-01", 2)]
        assert "digest" in problems[0].what
        assert "does not replay at its 'record_consent' transition: GuardFailed" in (
            problems[1].what
        )

    @pytest.mark.parametrize(
        "text", ["[]", '"text"', "1", "[" * 100_000 + "]" * 100_000], ids=lambda t: t[:6]
    )
    def test_verify_reports_a_payload_that_is_no_json_object(self, store: Store, text: str) -> None:
        """Valid JSON the store never writes there (not an object; nested past Python's
        recursion limit) is reported at its entry, and the replay that fails with it; no
        error escapes `verify()`."""
        store.save(built("case-01", 4))
        store.save(built("case-02", 3))
        self.tamper(store, "case-01", 2, "data", text)
        problems = store.verify()
        assert {(p.case_id, p.seq) for p in problems} == {("case-01", 2), ("case-01", None)}
        assert "payload is not JSON the store wrote" in problems[0].what

    def test_load_as_of_something_other_than_a_date_is_refused(self, store: Store) -> None:
        store.save(built("case-01", 3))
        for day in ("2026-02-01", dt.datetime(2026, 2, 1, 12, 0)):
            with pytest.raises(FormInvalid, match="as_of"):
                store.load("case-01", as_of=day)  # type: ignore[arg-type]

    def test_verify_reports_a_changed_hashed_field(self, store: Store) -> None:
        store.save(built("case-01", 4))
        self.tamper(store, "case-01", 3, "actor_name", "Someone Else")
        problems = store.verify()
        assert ("case-01", 3) in {(p.case_id, p.seq) for p in problems}

    def test_verify_reports_a_changed_hash_at_its_entry_and_the_next(self, store: Store) -> None:
        """The log keeps no prev_hash: the next entry's hash, which covers this one's, shows it."""
        store.save(built("case-01", 4))
        self.tamper(store, "case-01", 2, "hash", "ab" * 32)
        problems = [(p.case_id, p.seq) for p in store.verify()]
        assert ("case-01", 2) in problems
        assert ("case-01", 3) in problems
        assert ("case-01", 4) not in problems

    def _redact(self, store: Store, reason: str = "Erasure request") -> None:
        """Remove the parent's name from case-01's consent through the store's API."""
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], reason, by=ADMISSIONS, on=REDACTED_ON)

    def test_a_redacted_payload_keeps_the_chain_verifiable(self, store: Store) -> None:
        self._redact(store)
        assert store.verify() == []
        shown = store.load("case-01").history[1].data["form"]["parent_name"]
        assert shown == f"(redacted on {REDACTED_ON}: Erasure request)"
        stored = json.loads(self.stored_entry(store, "case-01", 2)["data"])["form"]
        assert set(stored["parent_name"]) == {"$redacted"}  # the name is gone, its digest kept
        assert stored["relationship"] == "Mother"  # what was not named stays

    # A redaction changes the case: a copy loaded before it is behind the store.
    @pytest.mark.parametrize("where", ["this store", "another store object"])
    def test_a_copy_loaded_before_a_redaction_cannot_append(self, store: Store, where: str) -> None:
        """The copy still holds the removed values, and a step it records may rest on them
        (here a consent form naming the child, whose name the store no longer holds): appended,
        the log would not replay and the case would not load. It is refused, nothing written."""
        store.save(built("case-01", 1))
        copy = (store if where == "this store" else self.fresh_view(store)).load("case-01")
        store.redact("case-01", 1, ["pupil.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        advanced(copy, 1)
        with pytest.raises(ConcurrentUpdate, match="redacted after this copy was loaded") as no:
            store.save(copy)
        assert "load it again" in str(no.value)
        assert (no.value.expected, no.value.found) == (1, 1)
        assert len(store.history("case-01")) == 1
        assert store.verify() == []
        assert store.load("case-01").version == 1

    def test_a_copy_loaded_before_a_redaction_with_nothing_new_is_a_no_op(
        self, store: Store
    ) -> None:
        """A save retried after a lost reply, from before the redaction: nothing to write."""
        store.save(built("case-01", 2))
        copy = store.load("case-01")
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        store.save(copy)
        self.fresh_view(store).save(built("case-01", 2))
        assert len(store.history("case-01")) == 2
        assert store.verify() == []

    @pytest.mark.parametrize("how", ["another store object", "a copy of the object"])
    def test_a_no_op_save_does_not_make_a_copy_from_before_a_redaction_current(
        self, store: Store, how: str
    ) -> None:
        """A store that had not seen the copy compares it, finds nothing new, and must not then
        remember it as current: its next step would pass the quick check (found by a review)."""
        store.save(built("case-01", 1))
        copy = store.load("case-01")
        store.redact("case-01", 1, ["pupil.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        saving = self.fresh_view(store) if how == "another store object" else store
        if how == "a copy of the object":
            copy = copy_module.deepcopy(copy)  # unpickled, or restored from a session cache
        saving.save(copy)  # nothing new: a no-op
        advanced(copy, 1)
        with pytest.raises(ConcurrentUpdate, match="redacted after this copy was loaded"):
            saving.save(copy)
        assert len(store.history("case-01")) == 1
        assert store.verify() == []

    @pytest.mark.parametrize("where", ["this store", "another store object"])
    def test_a_copy_loaded_after_a_redaction_appends(self, store: Store, where: str) -> None:
        store.save(built("case-01", 2))
        copy = store.load("case-01")  # seen by the store before the redaction
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        copy = (store if where == "this store" else self.fresh_view(store)).load("case-01")
        advanced(copy, 1)
        store.save(copy)
        again = store.load("case-01")
        advanced(again, 1)
        store.save(again)  # and the store's memory of its own save is right
        assert store.history("case-01")[2:] == built("case-01", 4).history[2:]
        assert store.verify() == []

    def test_verify_reports_a_case_row_miscounting_its_redaction_records(
        self, store: Store
    ) -> None:
        """The count is what the save compares to put a copy from before a redaction behind
        the store: set back by hand, such a copy would pass, so `verify()` compares it."""
        self._redact(store)
        store.redact("case-01", 3, ["actor.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        assert store.verify() == []
        self.tamper_case(store, "case-01", "redactions", 1)
        assert [(p.case_id, p.seq, p.what) for p in store.verify()] == [
            ("case-01", None, "case row counts 1 redaction records but the case has 2")
        ]

    def test_a_forged_redaction_record_is_reported(self, store: Store) -> None:
        self._redact(store)
        self.tamper_redaction(store, "case-01", 2, "reason", "A reason written later")
        assert [(p.seq, p.what) for p in store.verify()] == [
            (2, "the redaction record 1 does not match its hash")
        ]

    def test_a_payload_changed_after_its_redaction_is_reported(self, store: Store) -> None:
        self._redact(store)
        text = self.stored_entry(store, "case-01", 2)["data"]
        self.tamper(store, "case-01", 2, "data", text.replace('"Mother"', '"Aunt"'))
        assert [(p.seq, p.what) for p in store.verify()] == [
            (
                2,
                "payload does not match its digest: a value was changed or added after saving "
                "(a redaction may only remove values)",
            )
        ]

    def test_the_log_refuses_update_and_delete(self, store: Store) -> None:
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("the in-memory store has no database triggers")
        store.save(built("case-01", 2))
        table = schema.transitions
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.update(table).values(actor_name="Someone Else"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.seq == 2))
        assert store.history("case-01") == built("case-01", 2).history
        store.create_schema()  # idempotent: the triggers are still there, once
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.delete(table))

    def test_the_log_refuses_to_be_overwritten_by_an_upsert(self, store: Store) -> None:
        """SQLite's INSERT OR REPLACE skipped the DELETE trigger: no engine's upsert may pass."""
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("the in-memory store has no database triggers")
        store.save(built("case-01", 2))
        names = [column.name for column in schema.transitions.columns]
        forged = self.stored_entry(store, "case-01", 2) | {"actor_name": "Someone Else"}
        # The attacker's raw SQL writes the row as stored: its digests and hashes as bytes.
        forged |= {name: schema.as_bytes(forged[name]) for name in schema.BINARY_COLUMNS}
        if store.engine.dialect.name == "sqlite":  # as SQLAlchemy stores dates there
            forged = {key: _sqlite_text(value) for key, value in forged.items()}
        values = f"({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"
        attacks = {
            "sqlite": [
                f"INSERT OR REPLACE INTO rfsm_transitions {values}",
                f"REPLACE INTO rfsm_transitions {values}",
                f"INSERT INTO rfsm_transitions {values} "
                "ON CONFLICT (case_id, seq) DO UPDATE SET actor_name = excluded.actor_name",
            ],
            "postgresql": [
                f"INSERT INTO rfsm_transitions {values} "
                "ON CONFLICT (case_id, seq) DO UPDATE SET actor_name = EXCLUDED.actor_name",
            ],
            "mysql": [
                f"REPLACE INTO rfsm_transitions {values}",
                f"INSERT INTO rfsm_transitions {values} "
                "ON DUPLICATE KEY UPDATE actor_name = VALUES(actor_name)",
            ],
        }[store.engine.dialect.name]
        for attack in attacks:
            with (
                pytest.raises(sa.exc.DBAPIError, match="append-only"),
                store.engine.begin() as conn,
            ):
                conn.execute(sa.text(attack), forged)
        assert store.history("case-01") == built("case-01", 2).history
        assert store.verify() == []

    def test_saving_a_case_this_store_loaded_reads_no_stored_history(self, store: Store) -> None:
        """The common save checks the version and hash in its UPDATE; only an unknown case object
        costs a read of the stored log."""
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("the in-memory store runs no statements")
        store.save(built("case-01", 3))

        def log_reads(found: list[tuple[str, Any]]) -> list[str]:
            return [s for s, _ in found if s.startswith("SELECT") and "FROM rfsm_transitions" in s]

        case = store.load("case-01")
        advanced(case, 1)
        with statements_run(store) as common:
            store.save(case)
        assert log_reads(common) == []
        # MariaDB prefixes it: SET STATEMENT innodb_lock_wait_timeout = 0 FOR UPDATE ...
        assert any("UPDATE rfsm_cases" in s for s, _ in common)
        stranger = built("case-01", 5)  # an object this store has not seen
        with statements_run(store) as compared:
            store.save(stranger)
        assert log_reads(compared)
        assert store.history("case-01") == built("case-01", 5).history

    def test_the_common_save_checks_locks_and_updates_the_case_row_in_one_statement(
        self, store: Store
    ) -> None:
        """A case this store loaded: one round trip for the version check, the row lock and the
        update (PostgreSQL: a NOWAIT sub-select; MariaDB: a lock wait timeout of 0)."""
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("the in-memory store runs no statements")
        store.save(built("case-01", 3))
        case = store.load("case-01")
        advanced(case, 1)
        with statements_run(store) as found:
            store.save(case)
        on_cases = [s for s, _ in found if "rfsm_cases" in s]
        assert len(on_cases) == 1, on_cases
        if store.engine.dialect.name == "sqlite":
            assert found[0][0] == "BEGIN IMMEDIATE"  # on the driver's connection, as any write
        assert "UPDATE rfsm_cases" in on_cases[0]
        assert store.load("case-01") == built("case-01", 4)

    def test_a_writer_meeting_another_mid_save_is_refused_at_once(self, store: Store) -> None:
        """PostgreSQL and MariaDB: the one-statement UPDATE does not queue behind a transaction
        holding the case row; the save is refused (`found` None) and writes nothing.

        The saving store's connections would wait an hour for a lock (PostgreSQL waits for
        ever anyway): a save that queued is still waiting when the test gives up on it, where
        it used to be timed against a second, which a busy machine could pass by."""
        if not isinstance(store, SqlAlchemyStore) or store.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE and its busy timeout")
        store.save(built("case-01", 3))
        saving = SqlAlchemyStore(store.engine.url, calendar=CALENDAR)
        if saving.engine.dialect.name != "postgresql":

            def patient(dbapi_connection: Any, _record: Any) -> None:
                with contextlib.closing(dbapi_connection.cursor()) as cursor:
                    cursor.execute("SET SESSION innodb_lock_wait_timeout = 3600")

            sa.event.listen(saving.engine, "connect", patient)
            saving.engine.dispose()
        case = saving.load("case-01")
        advanced(case, 1)
        raised: list[BaseException] = []

        def save() -> None:
            try:
                saving.save(case)
            except BaseException as error:
                raised.append(error)

        with store.engine.connect() as other:
            other.execute(
                sa.select(schema.cases.c.version)
                .where(schema.cases.c.case_id == "case-01")
                .with_for_update()
            )
            thread = threading.Thread(target=save, daemon=True)
            thread.start()
            thread.join(60)
            assert not thread.is_alive(), "the save queued behind the row's holder"
            [refused] = raised
            assert isinstance(refused, ConcurrentUpdate), repr(refused)
            assert refused.found is None
            other.rollback()
        saving.close()
        assert store.load("case-01") == built("case-01", 3)
        store.save(case)  # the holder is gone: the same case object saves
        assert store.load("case-01") == built("case-01", 4)
        assert store.verify() == []

    @pytest.mark.parametrize("kept", ["the same rules", "other rules"])
    @pytest.mark.parametrize("whose", ["its own", "another authority's"])
    def test_a_protocol_kept_by_another_writer_mid_save_is_compared_with(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, kept: str, whose: str
    ) -> None:
        """PostgreSQL and MariaDB: two first cases under one protocol `(id, version)` saved at
        once each find it not kept; the second to keep it meets the first's row (a duplicate
        key), and the save, tried again, compares with it: saved under the same rules, refused
        under others. Another authority's first case under the name, committed between this
        save's read of `rfsm_protocols` and its write, is compared with in the same transaction
        alike, and its name refused as taken, nothing written (review T, T2)."""
        if not isinstance(store, SqlAlchemyStore) or store.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE and its busy timeout")
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        theirs = own if kept == "the same rules" else attrs.evolve(own, weighting_points=7)
        store.protocols = (own,)
        first_opened = kept_names.first_opened
        calls: list[int] = []

        def after_another_writer(new: Any, known: Any) -> Any:
            if not calls:  # between this save's read of the table and its insert
                with store.engine.begin() as other:
                    other.execute(
                        sa.insert(schema.protocols),
                        {
                            "authority": AUTHORITY if whose == "its own" else OTHER_AUTHORITY,
                            "protocol_id": "otherborough",
                            "version": "3",
                            "fingerprint": theirs.fingerprint,
                            "first_case_id": "case-09",
                        },
                    )
            calls.append(len(known))
            return first_opened(new, known)

        monkeypatch.setattr(kept_names, "first_opened", after_another_writer)
        case = opened("case-01", protocol=own)
        if kept == "the same rules":
            store.save(case)
            assert store.load("case-01") == case
        else:
            with pytest.raises(ChangedProtocol) as refused:
                store.save(case)
            assert refused.value.taken is (whose != "its own")
            assert store.taken(["case-01"]) == set()
        # Not kept; then kept by the other writer (its own authority's row), or the other's
        # and its own, written, compared.
        assert calls == ([0, 1] if whose == "its own" else [0, 2])

    def test_two_authorities_first_cases_under_one_name_at_once_are_not_both_saved(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every SQL engine: two authorities' first cases under one protocol name with other
        rules, saved at once: the second writer waits for the first (SQLite: BEGIN IMMEDIATE;
        PostgreSQL: a transaction's advisory lock; MariaDB: the locking read of the kept
        rows), then is refused, and writes nothing (review T, T2)."""
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("InMemoryStore keeps the name under the lock its saves hold")
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        theirs = attrs.evolve(own, weighting_points=7)
        store.protocols = (own, theirs)
        racing = SqlAlchemyStore(store.engine.url, calendar=CALENDAR, protocols=(theirs,))
        first_opened = kept_names.first_opened
        raised: list[BaseException] = []
        waited: list[bool] = []

        def race() -> None:
            try:
                racing.save(opened("case-02", OTHER_AUTHORITY, protocol=theirs))
            except BaseException as error:
                raised.append(error)

        racer = threading.Thread(target=race, daemon=True)

        def compared_after_writing(new: Any, known: Any) -> Any:
            if threading.current_thread() is not racer and len(known) and not waited:
                # This writer has written its row and not committed: the other starts now.
                racer.start()
                racer.join(2)
                waited.append(racer.is_alive())
            return first_opened(new, known)

        monkeypatch.setattr(kept_names, "first_opened", compared_after_writing)
        store.save(opened("case-01", protocol=own))
        racer.join(120)
        racing.close()
        assert waited == [True], "the second writer did not wait for the first"
        assert not racer.is_alive()
        [refused] = raised
        assert isinstance(refused, ChangedProtocol), repr(refused)
        assert refused.taken
        assert store.taken(["case-01", "case-02"]) == {"case-01"}
        store.protocols = (own,)
        assert store.verify() == []

    def test_a_scoped_write_never_waits_on_or_locks_another_authoritys_case(
        self, store: Store
    ) -> None:
        """PostgreSQL and MariaDB: a scoped store saving or redacting a case id another authority
        holds locked that authority's case row before finding it was not its own. While the
        other authority was saving it, the save was refused as `ConcurrentUpdate` instead of
        `NotPermitted` (telling a caller at one authority that another was writing that case
        right now), the redaction waited for the other's commit, and each made the other's own
        saves meanwhile fail. Another authority's case is refused without touching its row."""
        if not isinstance(store, SqlAlchemyStore) or store.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE and its busy timeout")
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        outcome: list[BaseException] = []

        def redact() -> None:
            try:
                scoped.redact(
                    "case-02", 1, ["pupil.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON
                )
            except BaseException as error:  # reported below, whatever it is
                outcome.append(error)

        with store.engine.connect() as other:  # the other authority, mid-save of its case
            other.execute(
                sa.select(schema.cases.c.version)
                .where(schema.cases.c.case_id == "case-02")
                .with_for_update()
            )
            with pytest.raises(NotPermitted):
                scoped.save(built("case-02", 4))
            worker = threading.Thread(target=redact)
            worker.start()
            worker.join(timeout=10)
            waited = worker.is_alive()
            other.rollback()
        worker.join()
        assert not waited, "the redaction waited for the other authority's lock"
        assert [type(error) for error in outcome] == [CaseNotFound]
        assert store.history("case-02") == built("case-02", 3, OTHER_AUTHORITY).history

    def test_a_save_writes_only_the_open_items_that_changed(self, store: Store) -> None:
        """Items that stay open keep their rows: a save deletes the closed ones and inserts the
        new ones (start_placement opens two obligations and closes nothing)."""
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("the in-memory store runs no statements")
        store.save(built("case-01", 6))

        def written(found: list[tuple[str, Any]]) -> list[tuple[str, int]]:
            return [write for s, params in found for write in item_rows_written(s, params)]

        def item_rows() -> list[dict[str, Any]]:
            with store.engine.connect() as conn:
                query = sa.select(schema.open_items).order_by(schema.open_items.c.item_no)
                return [dict(row) for row in conn.execute(query).mappings()]

        case = store.load("case-01")
        before = item_rows()
        advanced(case, 1)
        with statements_run(store) as found:
            store.save(case)
        after = item_rows()
        assert len(after) == len(before) + 2
        assert all(row in after for row in before)  # unchanged rows kept their numbers
        assert written(found) == [("INSERT", 2)]
        assert store.verify() == []
        advanced(case, 1)  # hold_review meets the first review deadline and opens a duty
        with statements_run(store) as found:
            store.save(case)
        assert written(found) == [("DELETE", 1), ("INSERT", 1)]
        assert store.load("case-01") == built("case-01", 8)
        assert store.verify() == []

    def test_an_item_renumbered_by_a_closed_older_one_is_rewritten_in_place(
        self, store: Store
    ) -> None:
        """Closing the oldest of three open paperwork duties moves the other two down a number:
        a save rewrites those numbers (PostgreSQL's one statement overwrites the rows in place)
        and the stored items are the replayed case's."""
        store.save(built("case-01", 9))  # the initial meeting and two reviews: three duties
        case = store.load("case-01")
        before = {r["item_no"]: item_key(r) for r in open_item_rows(case, AUTHORITY)}
        case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=AP_STAFF, on=SECOND_REVIEW)
        after = {r["item_no"]: item_key(r) for r in open_item_rows(case, AUTHORITY)}
        assert any(before[n] != after[n] for n in before.keys() & after.keys())  # renumbered
        if not isinstance(store, SqlAlchemyStore):
            store.save(case)
        else:
            with statements_run(store) as found:
                store.save(case)
            if store.engine.dialect.name == "postgresql":
                assert len(found) == 1, found  # not a retry after a conflict
            with store.engine.connect() as conn:
                stored = {
                    r["item_no"]: item_key(r)
                    for r in conn.execute(sa.select(schema.open_items)).mappings()
                }
            assert stored == after
        assert store.load("case-01") == case
        assert store.verify() == []

    # -- bulk import ------------------------------------------------------------------------------
    def test_imported_histories_load_and_verify(self, store: Store) -> None:
        cases = [built(f"case-{n:02}", 1 + n % 11) for n in range(25)]
        count = store.import_histories(
            ((c.local_authority, c.history) for c in cases), batch_size=7
        )
        assert count == sum(c.version for c in cases)
        for case in cases:
            assert store.load(case.case_id) == case
        assert store.verify() == []
        reference = InMemoryStore()
        for case in cases:
            reference.save(built(case.case_id, case.version))
        assert store.due(dt.date(2026, 6, 1)) == reference.due(dt.date(2026, 6, 1))
        assert store.import_histories([(AUTHORITY, cases[0].history)]) == 0  # held: skipped

    # -- stores that know what they hold ----------------------------------------------------------
    def test_a_case_loaded_from_another_store_saves_whole(self, store: Store) -> None:
        source = InMemoryStore(calendar=CALENDAR)
        source.save(built("case-01", 6))
        store.save(source.load("case-01"))
        assert store.history("case-01") == source.history("case-01")
        assert store.load("case-01") == built("case-01", 6)
        moved = store.load("case-01")
        advanced(moved, 2)
        store.save(moved)
        assert store.load("case-01") == built("case-01", 8)
        assert store.verify() == []

    def test_a_save_retried_after_its_commit_records_nothing_twice(self, store: Store) -> None:
        """The reply to a committed save was lost: the caller saves the same case again."""
        store.save(built("case-01", 2))
        case = store.load("case-01")
        advanced(case, 1)
        store.save(case)  # committed; the caller never heard
        retry = self.fresh_view(store)  # e.g. a new process, which has not seen `case`
        retry.save(case)
        store.save(case)
        assert store.history("case-01") == built("case-01", 3).history
        assert store.verify() == []

    def test_a_copy_behind_the_store_with_nothing_new_is_a_no_op(self, store: Store) -> None:
        store.save(built("case-01", 4))
        store.save(built("case-01", 2))  # every transition it has, the store holds
        assert store.history("case-01") == built("case-01", 4).history

    @pytest.mark.parametrize("behind", [1, 2], ids=["one-behind", "two-behind"])
    def test_a_copy_behind_the_store_that_moves_on_is_refused_not_spliced(
        self, store: Store, behind: int
    ) -> None:
        """A copy behind the store is saved (nothing to write), then records a step of its
        own: that step is compared with the store's, never dropped or appended after
        transitions the copy does not hold."""
        store.save(built("case-01", 3 + behind))
        copy = built("case-01", 3)
        store.save(copy)  # nothing to write: the store holds all of it
        copy.withdraw("The family moved away.", by=PARENT, on=REFERRED)
        with pytest.raises(ConcurrentUpdate) as refused:
            store.save(copy)
        assert (refused.value.expected, refused.value.found) == (3, 3 + behind)
        assert store.history("case-01") == built("case-01", 3 + behind).history
        assert store.verify() == []

    def test_a_loaded_case_that_records_anothers_step_then_its_own_is_refused(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 2))
        first, second = store.load("case-01"), store.load("case-01")
        store.save(advanced(first, 2))
        store.save(advanced(second, 1))  # the very step `first` recorded: nothing to write
        second.withdraw("The family moved away.", by=PARENT, on=REFERRED)
        with pytest.raises(ConcurrentUpdate):
            store.save(second)
        assert store.history("case-01") == built("case-01", 4).history
        assert store.verify() == []

    def test_a_copy_behind_the_store_saves_again_once_it_catches_up(self, store: Store) -> None:
        store.save(built("case-01", 4))
        copy = built("case-01", 2)
        store.save(copy)
        advanced(copy, 3)  # the store's third and fourth steps, and a fifth of its own
        store.save(copy)
        assert store.history("case-01") == built("case-01", 5).history
        assert store.verify() == []

    def test_a_copy_that_diverged_after_another_writer_is_refused(self, store: Store) -> None:
        store.save(built("case-01", 4))
        copy = built("case-01", 3)
        copy.withdraw("The family moved away.", by=PARENT, on=REFERRED)
        with pytest.raises(ConcurrentUpdate) as refused:
            self.fresh_view(store).save(copy)
        assert (refused.value.expected, refused.value.found) == (3, 4)
        assert "another writer appended to it first" in str(refused.value)
        assert store.history("case-01") == built("case-01", 4).history

    def test_transitions_are_compared_by_content_not_by_when_they_were_saved(
        self, store: Store
    ) -> None:
        first = built("case-01", 3)
        store.save(first)
        recorded = store.history("case-01")
        twin = built("case-01", 3)  # built separately: equal content, another object
        advanced(twin, 1)
        self.fresh_view(store).save(twin)
        assert store.history("case-01")[:3] == recorded
        assert store.load("case-01") == built("case-01", 4)

    # -- scoping on every write -------------------------------------------------------------------
    def test_a_scoped_store_refuses_to_write_into_another_authoritys_stored_case(
        self, store: Store
    ) -> None:
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        forged = built("case-02", 3)  # the other authority's id, this authority's name on it
        forged.withdraw("Forged withdrawal.", by=AP_HEAD, on=REFERRED)
        scoped = store.for_authority(AUTHORITY)
        with pytest.raises(NotPermitted) as refused:
            scoped.save(forged)
        assert refused.value.trigger == "save"
        assert store.history("case-02") == built("case-02", 3, OTHER_AUTHORITY).history
        assert store.verify() == []

    def test_a_relabelled_case_cannot_be_saved_into_another_authoritys_case(
        self, store: Store
    ) -> None:
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        loaded = store.load("case-02")
        loaded.withdraw("Forged withdrawal.", by=AP_HEAD, on=REFERRED)
        relabelled = Claiming(loaded, AUTHORITY)
        with pytest.raises(NotPermitted):
            store.for_authority(AUTHORITY).save(as_case(relabelled))
        with pytest.raises(NotPermitted):
            store.for_authority(OTHER_AUTHORITY).save(as_case(relabelled))
        assert store.load("case-02").stage is Stage.REFERRED
        assert store.verify() == []

    def test_a_relabelled_new_case_is_refused_whatever_it_claims(self, store: Store) -> None:
        """A case object claiming this authority whose history is another's (a relabelled copy)
        was written by a scoped store as a new case under the claim: its row said one
        authority, its log another, and that other authority's `verify()` then reported a case
        it never wrote. A store goes by the history, and refuses a claim that differs from it."""
        stranger = as_case(Claiming(built("case-09", 3, OTHER_AUTHORITY), AUTHORITY))
        for writer in (store.for_authority(AUTHORITY), store, store.for_authority(OTHER_AUTHORITY)):
            with pytest.raises(NotPermitted) as refused:
                writer.save(stranger)
            assert refused.value.trigger == "save"
        assert store.taken(["case-09"]) == set()
        assert store.for_authority(OTHER_AUTHORITY).verify() == []

    def test_a_refused_write_never_names_the_authority_holding_the_id(self, store: Store) -> None:
        """R15: a store scoped to one authority refused to write into another's stored case with
        "case 'case-02' belongs to 'Other Borough Council'", telling a caller at one authority
        which other one holds the id. The refusal names only the caller's own authority."""
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        for write in (
            lambda: scoped.save(built("case-02", 4)),
            lambda: scoped.import_histories([(AUTHORITY, built("case-02", 2).history)]),
        ):
            with pytest.raises(NotPermitted) as refused:
                write()
            assert OTHER_AUTHORITY not in str(refused.value)
            assert AUTHORITY in refused.value.why
        assert store.history("case-02") == built("case-02", 3, OTHER_AUTHORITY).history

    def test_a_scoped_import_refuses_another_authoritys_stored_id(self, store: Store) -> None:
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        forged = built("case-02", 4)
        scoped = store.for_authority(AUTHORITY)
        with pytest.raises(NotPermitted):
            scoped.import_histories(
                [(AUTHORITY, forged.history), (AUTHORITY, opened("c-9").history)]
            )
        with pytest.raises(NotPermitted):
            scoped.import_histories(
                [(OTHER_AUTHORITY, built("case-03", 2, OTHER_AUTHORITY).history)]
            )
        assert store.taken(["c-9", "case-03"]) == set()
        assert store.history("case-02") == built("case-02", 3, OTHER_AUTHORITY).history

    def test_an_import_returns_what_it_wrote_and_refuses_a_stored_id(self, store: Store) -> None:
        cases = [built(f"case-{n:02}", 1 + n % 11) for n in range(5)]
        count = store.import_histories((c.local_authority, c.history) for c in cases)
        assert count == sum(c.version for c in cases)
        other = opened("case-00", pupil=Pupil("Another Child", PUPIL.date_of_birth, 3))
        with pytest.raises(ConcurrentUpdate) as refused:
            store.import_histories(
                [(AUTHORITY, built("new-01", 2).history), (AUTHORITY, other.history)]
            )
        assert "already stored" in str(refused.value)
        assert store.taken(["new-01"]) == set()
        with pytest.raises(FormInvalid):
            store.import_histories([(AUTHORITY, opened("twice").history)] * 2)
        assert store.taken(["twice"]) == set()

    def test_an_import_all_or_nothing_writes_no_batch_when_a_later_one_is_refused(
        self, store: Store
    ) -> None:
        """Batches of two: by default a third batch meeting a stored id leaves the first two
        written; `all_or_nothing` leaves none. The same import without the refused id then
        writes every batch, in one transaction."""
        store.save(built("case-09", 3))
        histories = [(AUTHORITY, built(f"new-0{n}", 2).history) for n in range(1, 5)]
        refused = [*histories, (AUTHORITY, built("case-09", 5).history)]
        with pytest.raises(ConcurrentUpdate):
            store.import_histories(refused, batch_size=2, all_or_nothing=True)
        assert store.taken([f"new-0{n}" for n in range(1, 5)]) == set()
        with pytest.raises(ConcurrentUpdate):
            store.import_histories(refused, batch_size=2)
        assert store.taken([f"new-0{n}" for n in range(1, 5)]) == {f"new-0{n}" for n in range(1, 5)}
        fresh = [(AUTHORITY, built(f"more-0{n}", 1 + n).history) for n in range(1, 6)]
        assert store.import_histories(fresh, batch_size=2, all_or_nothing=True) == 2 + 3 + 4 + 5 + 6
        assert [store.load(f"more-0{n}") for n in range(1, 6)] == [
            built(f"more-0{n}", 1 + n) for n in range(1, 6)
        ]
        assert store.verify() == []

    def test_an_import_all_or_nothing_writes_nothing_when_its_histories_fail(
        self, store: Store
    ) -> None:
        """An exception raised by the histories as they are read (a file found changed, say),
        after batches were written in the transaction, or a history that does not replay:
        nothing written; and `all_or_nothing` is True or False, nothing else."""

        class Changed(Exception):
            pass

        def histories() -> Iterator[tuple[str, list[Transition]]]:
            for n in range(1, 6):
                yield AUTHORITY, list(built(f"new-0{n}", 2).history)
            raise Changed

        with pytest.raises(Changed):
            store.import_histories(histories(), batch_size=2, all_or_nothing=True)
        first, second, third = built("new-06", 3).history
        broken = [first, third, second]  # out of order: it does not replay
        with pytest.raises(ProtocolError):
            store.import_histories(
                [(AUTHORITY, built("new-07", 2).history)] * 1 + [(AUTHORITY, broken)],
                batch_size=1,
                all_or_nothing=True,
            )
        assert store.taken([f"new-0{n}" for n in range(1, 8)]) == set()
        for wrong in (1, "yes", None):
            with pytest.raises(FormInvalid, match="all_or_nothing"):
                store.import_histories([], all_or_nothing=wrong)  # type: ignore[arg-type]
        assert store.import_histories([], all_or_nothing=True) == 0

    def test_an_import_skips_a_case_stored_with_the_same_history(self, store: Store) -> None:
        """ST3: an import is idempotent per history, as a save is: one stored with the same
        transitions (by content; the store's stamps differ) is neither written nor counted,
        so an import tried again after a batch failed, or a lost reply, succeeds."""
        first = [built(f"case-0{n}", 3) for n in (1, 2)]
        assert store.import_histories([(AUTHORITY, first[0].history)]) == 3
        store.save(built("case-03", 2))  # saved, not imported: the same all the same
        again = [*first, built("case-03", 2), built("case-04", 4)]
        histories = [(AUTHORITY, case.history) for case in again]
        assert store.import_histories(histories, batch_size=2) == 3 + 4
        assert store.import_histories(histories, batch_size=3) == 0
        assert store.history("case-01") == first[0].history
        assert [store.load(case.case_id) for case in again] == again
        assert store.verify() == []

    def test_an_import_refuses_a_stored_case_holding_a_prefix_of_its_history(
        self, store: Store
    ) -> None:
        """An import adds new cases only: a stored case holding the history's first steps
        (or more steps than it) is refused as ever, nothing of its batch written; `save`
        appends."""
        store.save(built("case-01", 3))
        for longer_or_shorter in (5, 2):
            with pytest.raises(ConcurrentUpdate) as refused:
                store.import_histories(
                    [
                        (AUTHORITY, built("new-01", 2).history),
                        (AUTHORITY, built("case-01", longer_or_shorter).history),
                    ]
                )
            assert "already stored" in str(refused.value)
            assert store.taken(["new-01"]) == set()
        assert store.history("case-01") == built("case-01", 3).history

    def test_an_import_refuses_a_stored_case_whose_history_differs(self, store: Store) -> None:
        """Another case of the id, or the case with one step's data changed: refused."""
        store.save(built("case-01", 3))
        changed = list(built("case-01", 3).history)
        last = changed[-1]
        changed[-1] = Transition(
            last.seq,
            last.trigger,
            last.source,
            last.dest,
            attrs.evolve(last.actor, name="Another Officer"),
            last.on,
            last.data,
        )
        for history in (changed, opened("case-01", on=OPENED + dt.timedelta(days=1)).history):
            with pytest.raises(ConcurrentUpdate) as refused:
                store.import_histories([(AUTHORITY, history)])
            assert "already stored" in str(refused.value)
        assert store.history("case-01") == built("case-01", 3).history

    # -- due: what still binds --------------------------------------------------------------------
    def test_an_undated_obligation_is_due_from_the_day_it_was_opened(self, store: Store) -> None:
        store.save(built("case-01", 3))  # a virtual referral on REFERRED opens a panel note

        def panel_notes(on: dt.date) -> list[DueItem]:
            return [item for item in store.due(on) if item.kind == "note_at_panel"]

        assert panel_notes(dt.date(2025, 12, 1)) == []
        assert panel_notes(REFERRED - dt.timedelta(days=1)) == []
        assert panel_notes(REFERRED) == [
            DueItem("case-01", ObligationKind.NOTE_AT_PANEL, None, "obligation", Party.LA)
        ]

    def test_an_ended_cases_obligations_are_still_work(self, store: Store) -> None:
        store.save(built("case-01", 11))
        kinds = {item.kind for item in store.due(dt.date(2026, 6, 1))}
        assert {"complete_leavers_form", "adjust_weightings"} <= kinds
        assert not kinds & {"place_offer", "first_review", "second_review", "final_review"}

    # -- cases: listing and search ----------------------------------------------------------------
    def test_cases_lists_the_cases_it_may_show_by_id_filtered(self, store: Store) -> None:
        elodie = Pupil("Élodie Straße", dt.date(2012, 1, 30), key_stage=3)
        store.save(built("case-03", 7))
        store.save(opened("case-01", pupil=elodie))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        store.save(built("CASE-10%", 11))
        everything = store.cases()
        assert [c.case_id for c in everything] == ["CASE-10%", "case-01", "case-02", "case-03"]
        assert everything[3] == CaseSummary(
            "case-03",
            PUPIL.name,
            Stage.IN_PLACEMENT,
            AP_SETTING,
            HOST_SCHOOL,
            AUTHORITY,
            OPENED,
            START,
        )
        assert everything[1].host_school is None
        assert [c.case_id for c in store.cases(stage=Stage.PROPOSED)] == ["case-01"]
        assert [c.case_id for c in store.cases(stage="successful")] == ["CASE-10%"]
        assert [c.case_id for c in store.cases(school=HOST_SCHOOL)] == ["CASE-10%", "case-03"]
        assert len(store.cases(school=AP_SETTING)) == 4
        assert store.cases(school="Nowhere Academy") == []
        assert [c.case_id for c in store.cases(text="STRASSE")] == ["case-01"]  # casefolded
        assert [c.case_id for c in store.cases(text="élodie")] == ["case-01"]
        assert [c.case_id for c in store.cases(text="case-1")] == ["CASE-10%"]
        assert [c.case_id for c in store.cases(text="10%")] == ["CASE-10%"]
        assert store.cases(text="_") == []  # LIKE's wildcards are plain text here
        assert [c.case_id for c in store.for_authority(OTHER_AUTHORITY).cases()] == ["case-02"]
        scoped = store.for_authority(AUTHORITY)
        assert "case-02" not in {c.case_id for c in scoped.cases(text="case")}
        with pytest.raises(FormInvalid):
            store.cases(stage="nowhere")

    def test_entered_gives_when_each_step_was_saved_beside_the_day_it_is_dated(
        self, store: Store
    ) -> None:
        """`entered()` (review OB, OB1): a step dated weeks back (brought in from paper)
        reads as entered when it was saved, in UTC, one stamp per transition in `history`'s
        order; a later save's steps are stamped no earlier; a scoped store shows no stamp of
        another authority's case."""
        before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        case = built("case-01", 5)
        store.save(case)
        after = dt.datetime.now(dt.timezone.utc)
        first = store.entered("case-01")
        assert len(first) == len(store.history("case-01")) == 5
        for stamp in first:
            assert stamp is not None
            assert stamp.utcoffset() == dt.timedelta(0)  # aware, in UTC
            assert before <= stamp <= after
            assert stamp.microsecond == 0
        assert all(t.on < before.date() for t in store.history("case-01"))  # dated back
        whole = built("case-01", 7)
        store.save(whole)
        again = store.entered("case-01")
        assert again[:5] == first
        assert len(again) == 7
        assert all(later is not None and later >= first[-1] for later in again[5:])
        store.save(built("case-02", 2, OTHER_AUTHORITY))
        with pytest.raises(CaseNotFound):
            store.for_authority(AUTHORITY).entered("case-02")
        with pytest.raises(CaseNotFound):
            store.entered("case-99")
        with pytest.raises(FormInvalid):
            store.entered(7)  # type: ignore[arg-type]

    def test_authorities_names_each_authority_its_cases_name_once_sorted(
        self, store: Store
    ) -> None:
        """`authorities()` (review MA): each authority as its cases spell it (an authority
        named in other capitals is another, as a scope compares names), once, sorted by code
        point; a scoped store names its own authority alone, and only once it has a case."""
        assert store.authorities() == []
        shouted = AUTHORITY.upper()
        store.save(built("case-01", 2))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        store.save(built("case-03", 2))
        store.save(built("case-04", 2, shouted))
        assert store.authorities() == sorted({AUTHORITY, OTHER_AUTHORITY, shouted})
        assert store.for_authority(AUTHORITY).authorities() == [AUTHORITY]
        assert store.for_authority(shouted).authorities() == [shouted]
        assert store.for_authority("Nobody's Council").authorities() == []

    def test_authorities_are_sorted_by_code_point_however_the_database_reads_them(
        self, store: Store
    ) -> None:
        """Review MU3: a dozen authorities, saved in reverse order, come back sorted; PostgreSQL
        reads a `DISTINCT` of that many through a hash, in no order, and a command's message
        listing them (`check_one_authority`) would have named them so."""
        names = [f"Council {number:02d}" for number in range(12, 0, -1)]
        for number, name in enumerate(names):
            store.save(built(f"case-{number:02d}", 1, name))
        assert store.authorities() == sorted(names)

    def test_search_text_is_matched_character_for_character(self, store: Store) -> None:
        """SQLite's LIKE reads the noncharacters U+FFFE and U+FFFF as one: a search for either
        found both children. Every store matches the text exactly (after case folding). New
        forms refuse noncharacters: these children were recorded before they did."""
        for number, name in enumerate(("Ana\ufffeBell", "Ana\uffffBell", "Ana_Bell")):
            written = json.loads(
                json.dumps(transition_to_json(opened(f"case-0{number}").history[0]))
            )
            written["data"]["pupil"]["name"] = name
            store.save(Reintegration.replay([transition_from_json(written)]))
        assert [c.case_id for c in store.cases(text="\ufffe")] == ["case-00"]
        assert [c.case_id for c in store.cases(text="ANA\uffffB")] == ["case-01"]
        assert [c.case_id for c in store.cases(text="a_b")] == ["case-02"]
        assert [c.case_id for c in store.cases(text="bell")] == ["case-00", "case-01", "case-02"]

    def test_search_text_folds_the_turkish_letters_as_the_rules_do(self, store: Store) -> None:
        """Searching the case list for `kız` did not find KIZ, nor `dilek` DİLEK: the stored
        search columns fold with `str.casefold`, which keeps ı apart from i and makes İ an i
        with a dot above. The search now folds as `fields.fold_case` does, as the rules compare
        a child's name, with no change to the stored rows."""
        for case_id, name in (
            ("KIZ-1", "Ayşe Yılmaz"),
            ("dilek-2", "DİLEK KAYA"),
            ("kaz-3", "Kaz"),
        ):
            store.save(opened(case_id, pupil=Pupil(name, PUPIL.date_of_birth, 3)))
        assert [c.case_id for c in store.cases(text="kız")] == ["KIZ-1"]
        assert [c.case_id for c in store.cases(text="Kiz-1")] == ["KIZ-1"]
        assert [c.case_id for c in store.cases(text="DİLEK-2")] == ["dilek-2"]
        assert [c.case_id for c in store.cases(text="dilek kaya")] == ["dilek-2"]
        assert [c.case_id for c in store.cases(text="YILMAZ")] == ["KIZ-1"]
        assert [c.case_id for c in store.cases(text="ayse yilmaz")] == []  # ş is not s
        assert [c.case_id for c in store.cases(text="i")] == ["KIZ-1", "dilek-2"]
        assert store.cases(text="kiz-3") == []
        assert [c.case_id for c in store.cases(text="k")] == ["KIZ-1", "dilek-2", "kaz-3"]

    @pytest.mark.parametrize(
        ("recorded", "asked"),
        [
            ("Zoe\u0308 Quill", "Zo\u00eb"),
            ("Zo\u00eb Quill", "zoe\u0308 q"),
            ("Ro\u200bwan Zed", "ROWAN"),
            ("Rowan Zed", "ro\u200bwan z"),
        ],
    )
    def test_search_text_finds_a_name_whatever_its_unicode_form_or_invisible_characters(
        self, store: Store, recorded: str, asked: str
    ) -> None:
        """A child recorded with an accent typed apart from its letter (as macOS and some MIS
        exports write it) or a zero-width space pasted from Word was not found by a search
        for the name as a keyboard types it (review W, W2): the search columns now hold the
        fold the rules compare names by (`fields.folded_text`)."""
        store.save(opened("case-01", pupil=attrs.evolve(PUPIL, name=recorded)))
        store.save(opened("case-02"))
        assert [c.case_id for c in store.cases(text=asked)] == ["case-01"]
        assert [c.pupil_name for c in store.cases(text=asked)] == [recorded]  # as recorded
        assert store.cases(text="Zoe Q") == store.cases(text="Rowen") == []

    # -- the Fair Access ledger -------------------------------------------------------------------
    def test_weightings_sum_the_successful_moves_of_the_period(self, store: Store) -> None:
        later = dt.date(2026, 4, 20)
        store.save(built("case-01", 11))  # successful on SUCCEEDED
        store.save(succeeded("case-02", later))
        store.save(succeeded("case-03", later, OTHER_AUTHORITY))
        store.save(built("case-04", 9))  # not yet successful
        assert store.weightings(SUCCEEDED, later) == {AP_SETTING: -9, HOST_SCHOOL: 9}
        assert store.weightings(SUCCEEDED, SUCCEEDED) == {AP_SETTING: -3, HOST_SCHOOL: 3}
        assert store.weightings(later + dt.timedelta(days=1), dt.date(2027, 1, 1)) == {}
        scoped = store.for_authority(AUTHORITY)
        assert scoped.weightings(SUCCEEDED, later) == {AP_SETTING: -6, HOST_SCHOOL: 6}
        assert scoped.ledger(SUCCEEDED, later) == [
            LedgerEntry("case-01", SUCCEEDED, AP_SETTING, -3),
            LedgerEntry("case-01", SUCCEEDED, HOST_SCHOOL, 3),
            LedgerEntry("case-02", later, AP_SETTING, -3),
            LedgerEntry("case-02", later, HOST_SCHOOL, 3),
        ]
        assert store.ledger(later, later)[-1] == LedgerEntry("case-03", later, HOST_SCHOOL, 3)

    def test_weightings_total_a_school_named_in_several_ways_as_one(self, store: Store) -> None:
        """A host school typed in other letters' case or spacing, or with an accent typed apart
        from its letter, is the family's preferred school to R5 and its staff's to R15: the
        ledger gave it a line for each spelling, neither with its whole points (review K, K1).
        `weightings()` totals it as one school, under the spelling of its first entry (by date,
        then case id); `ledger()` keeps each entry as its case records it."""
        later = dt.date(2026, 4, 20)
        store.save(hosted_by("case-01", "ELMSTEAD  HIGH SCHOOL"))  # successful on SUCCEEDED
        store.save(succeeded("case-02", later))  # HOST_SCHOOL
        store.save(hosted_by("case-03", "Be\u0300rrow Academy"))
        store.save(hosted_by("case-04", "B\u00e8rrow Academy"))
        assert store.weightings(SUCCEEDED, later) == {
            "ELMSTEAD  HIGH SCHOOL": 6,
            "Be\u0300rrow Academy": 6,
            AP_SETTING: -12,
        }
        assert store.weightings(later, later) == {HOST_SCHOOL: 3, AP_SETTING: -3}
        assert [(e.case_id, e.school) for e in store.ledger(SUCCEEDED, later) if e.points > 0] == [
            ("case-01", "ELMSTEAD  HIGH SCHOOL"),
            ("case-03", "Be\u0300rrow Academy"),
            ("case-04", "B\u00e8rrow Academy"),
            ("case-02", HOST_SCHOOL),
        ]

    def test_the_ledger_is_written_once_when_a_case_succeeds(self, store: Store) -> None:
        case = built("case-01", 10)
        store.save(case)
        assert store.ledger(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []
        advanced(case, 1)
        store.save(case)
        case.discharge(ObligationKind.COMPLETE_LEAVERS_FORM, by=AP_STAFF, on=SUCCEEDED)
        store.save(case)
        assert len(store.ledger(dt.date(2026, 1, 1), dt.date(2026, 12, 31))) == 2
        assert store.verify() == []

    # -- load as of a date ------------------------------------------------------------------------
    def test_load_as_of_a_date_gives_the_case_as_it_stood_that_evening(self, store: Store) -> None:
        store.save(built("case-01", 11))
        with pytest.raises(CaseNotFound):
            store.load("case-01", as_of=OPENED - dt.timedelta(days=1))
        assert store.load("case-01", as_of=OPENED).version == 1
        assert store.load("case-01", as_of=HOST_FOUND) == built("case-01", 5)  # two that day
        assert store.load("case-01", as_of=dt.date(2030, 1, 1)) == built("case-01", 11)
        with pytest.raises(CaseNotFound):
            store.for_authority(OTHER_AUTHORITY).load("case-01", as_of=HOST_FOUND)

    # The store fixture is filled idempotently and only read, so one store serves every example;
    # each backend's subclass runs the same property on its own store.
    @settings(
        max_examples=40,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        length=st.integers(1, 11),
        as_of=st.dates(OPENED - dt.timedelta(days=3), SUCCEEDED + dt.timedelta(days=3)),
    )
    def test_load_as_of_equals_replaying_the_historys_prefix(
        self, store: Store, length: int, as_of: dt.date
    ) -> None:
        case = built(f"case-{length:02}", length)
        store.save(case)  # the same content every example: a no-op after the first
        prefix = [t for t in case.history if t.on <= as_of]
        if not prefix:
            with pytest.raises(CaseNotFound):
                store.load(case.case_id, as_of=as_of)
            return
        assert store.load(case.case_id, as_of=as_of) == Reintegration.replay(prefix, CALENDAR)

    # -- values that fit, and large ones ----------------------------------------------------------
    def test_an_over_long_name_is_refused_before_anything_is_written(self, store: Store) -> None:
        """SQLite and memory would keep what PostgreSQL and MariaDB refuse: every store refuses.

        (Whichever layer refuses it, the case or the store, nothing reaches the database.)
        """

        def save_pupil_named(name: str) -> None:
            store.save(opened("long-01", pupil=Pupil(name, PUPIL.date_of_birth, 3)))

        def import_actor_named(name: str) -> None:
            head = Actor("ap-1", name, Role.AP_HEAD, AP_SETTING)
            case = Reintegration.open(
                "long-02", PUPIL, AP_SETTING, AUTHORITY, by=head, on=OPENED, calendar=CALENDAR
            )
            store.import_histories([(AUTHORITY, case.history)])

        with pytest.raises(FormInvalid) as refused:
            save_pupil_named("A" * 201)
        assert "A" * 201 not in str(refused.value)
        with pytest.raises(FormInvalid):
            store.save(opened("x" * 101))
        with pytest.raises(FormInvalid):
            import_actor_named("B" * 201)
        assert store.taken(["long-01", "long-02", "x" * 101]) == set()
        save_pupil_named("A" * 200)  # the longest that fits
        assert store.load("long-01").pupil.name == "A" * 200

    def test_text_that_is_not_valid_unicode_is_refused_before_anything_is_written(
        self, store: Store
    ) -> None:
        def save_withdrawn_because(reason: str) -> None:
            case = built("bad-02", 2)
            case.withdraw(reason, by=PARENT, on=CONSENTED)
            store.save(case)

        with pytest.raises(FormInvalid):
            store.save(opened("bad-01", pupil=Pupil("Alex \ud800", PUPIL.date_of_birth, 3)))
        with pytest.raises(FormInvalid):
            save_withdrawn_because("Moved \udfff away.")
        assert store.taken(["bad-01", "bad-02"]) == set()

    def test_a_one_mebibyte_payload_round_trips(self, store: Store) -> None:
        reason = ("Familles déménagées 🏠 " * 50_000)[: 2**20]
        case = built("big-01", 2)
        case.withdraw(reason, by=PARENT, on=CONSENTED)
        store.save(case)
        loaded = store.load("big-01")
        assert loaded.history[-1].data == case.history[-1].data
        assert len(loaded.history[-1].data["reason"]) == 2**20
        assert store.verify() == []

    # -- verify -----------------------------------------------------------------------------------
    def test_verify_reports_a_changed_next_due(self, store: Store) -> None:
        store.save(built("case-01", 3))
        self.tamper_case(store, "case-01", "next_due", dt.date(2099, 1, 1))
        assert [(p.case_id, p.what) for p in store.verify()] == [
            ("case-01", "case row next_due differs from the replayed case's")
        ]

    def test_verify_reports_a_changed_case_summary(self, store: Store) -> None:
        store.save(built("case-01", 5))
        self.tamper_case(store, "case-01", "host_school", "Elsewhere School")
        assert [p.what for p in store.verify()] == [
            "case row host_school differs from the replayed case's"
        ]

    def test_verify_reports_an_open_items_changed_authority(self, store: Store) -> None:
        store.save(built("case-01", 3))
        self.tamper_items(store, "case-01", "authority", OTHER_AUTHORITY)
        assert [(p.case_id, p.what) for p in store.verify()] == [
            ("case-01", "an open item names another authority than the case's")
        ]

    def test_a_scoped_verify_reports_an_orphaned_log_of_its_authority(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        self.remove_case_row(store, "case-01")
        found = [(p.case_id, p.what) for p in store.for_authority(AUTHORITY).verify()]
        assert found == [("case-01", "log entries without a case row")]
        assert store.for_authority(OTHER_AUTHORITY).verify() == []

    @pytest.mark.parametrize("rows", ["items", "ledger"])
    def test_a_scoped_verify_reports_another_authoritys_rows_relabelled_to_it(
        self, store: Store, rows: str
    ) -> None:
        """Open items or ledger entries of another authority's case, relabelled with this
        authority, show in its `due()` or `weightings()`: its verify reports them."""
        store.save(built("case-01", 11))
        store.save(built("case-02", 11, OTHER_AUTHORITY))
        tamper = self.tamper_items if rows == "items" else self.tamper_ledger
        tamper(store, "case-02", "authority", AUTHORITY)
        found = {p.case_id for p in store.for_authority(AUTHORITY).verify()}
        assert found == {"case-02"}
        assert {p.case_id for p in store.verify()} == {"case-02"}

    def test_a_scoped_verify_never_reports_another_authoritys_unreadable_case(
        self, store: Store
    ) -> None:
        """Another authority's case whose `open` entry was altered so that it cannot be read
        (JSON nested past Python's limit) was reported by this authority's `verify()`, naming
        the other's case and that it was altered, even with its case row naming the other
        authority. A scoped verify checks the cases its row or history names as its own; a
        history that cannot be read names none (every authority's `verify()` reports it)."""
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        self.tamper(store, "case-02", 1, "data", "[" * 100_000 + "]" * 100_000)
        scoped = store.for_authority(AUTHORITY)
        assert scoped.verify() == []
        assert "case-02" in {p.case_id for p in store.verify()}
        self.remove_case_row(store, "case-02")  # an orphaned log: only its history could tell
        assert scoped.verify() == []
        assert "case-02" in {p.case_id for p in store.verify()}

    def test_a_scoped_verify_reports_a_case_row_moved_to_another_authority(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 3))
        self.tamper_case(store, "case-01", "authority", OTHER_AUTHORITY)
        moved = ("case-01", "case row authority differs from the history's")
        assert moved in {(p.case_id, p.what) for p in store.for_authority(AUTHORITY).verify()}
        assert moved in {(p.case_id, p.what) for p in store.for_authority(OTHER_AUTHORITY).verify()}

    # -- bulk reading and the stored state ----------------------------------------------------
    def test_load_all_streams_the_cases_it_may_show_by_id(self, store: Store) -> None:
        lengths = {"case-03": 11, "case-01": 1, "case-02": 5, "case-10": 7}
        for case_id, length in lengths.items():
            store.save(built(case_id, length))
        store.save(built("case-05", 4, OTHER_AUTHORITY))
        everything = list(store.load_all())
        assert [c.case_id for c in everything] == [
            "case-01",
            "case-02",
            "case-03",
            "case-05",
            "case-10",
        ]
        assert everything == [store.load(c.case_id) for c in everything]
        assert everything[2] == built("case-03", 11)
        scoped = list(store.for_authority(AUTHORITY).load_all())
        assert [c.case_id for c in scoped] == ["case-01", "case-02", "case-03", "case-10"]
        assert list(store.for_authority("Nobody's Council").load_all()) == []

    @pytest.mark.parametrize("odd", ["\ud800", "case-01 ", "case-01\x00", " case-01"], ids=repr)
    def test_an_id_no_case_can_have_names_no_case(self, store: Store, odd: str) -> None:
        """A lone surrogate (which no database can hold), a NUL (PostgreSQL refuses it), a
        space at either end (MariaDB's collation ignores a trailing one): no case, whichever
        way it is asked for, never a driver's error or another case."""
        store.save(built("case-01", 2))
        for read in (
            lambda: store.load(odd),
            lambda: store.history(odd),
            lambda: store.redactions(odd),
            lambda: store.load_all(["case-01", odd]),
            lambda: store.redact(odd, 1, ["pupil.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON),
        ):
            with pytest.raises(CaseNotFound) as missing:
                read()
            assert missing.value.case_id == odd
        assert store.taken(["case-01", odd]) == {"case-01"}
        assert store.cases(text=odd) == []
        assert store.cases(school=f"{AP_SETTING}{odd}") == []
        assert store.due(dt.date(2027, 1, 1), school=f"{AP_SETTING}{odd}") == []
        assert store.verify() == []

    @pytest.mark.parametrize("odd", ["\ud800", f"{AUTHORITY} ", "", "A\x00B"], ids=repr)
    def test_a_store_cannot_be_scoped_to_what_no_authority_is_called(
        self, store: Store, odd: str
    ) -> None:
        store.save(built("case-01", 2))
        with pytest.raises(FormInvalid) as refused:
            store.for_authority(odd)
        assert refused.value.field == "authority"

    def test_a_scoped_store_makes_no_view_of_another_authority(self, store: Store) -> None:
        """`store.for_authority(A).for_authority(B)` was a view of B's cases: code handed a
        scoped store (a request's) could step out of its scope. A scoped store makes views of
        its own authority only."""
        store.save(built("case-01", 2))
        store.save(built("case-02", 2, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        for other in (OTHER_AUTHORITY, AUTHORITY.lower(), "Nobody's Council"):
            with pytest.raises(NotPermitted) as refused:
                scoped.for_authority(other)
            assert refused.value.trigger == "for_authority"
        assert [c.case_id for c in scoped.for_authority(AUTHORITY).cases()] == ["case-01"]
        assert [c.case_id for c in store.for_authority(OTHER_AUTHORITY).cases()] == ["case-02"]

    def test_a_stores_authority_cannot_be_reassigned(self, store: Store) -> None:
        """`store.authority = ...` switched `cases()` and `load()` to another authority while
        `due()`, whose statements the store builds when it is made, kept the first: a store
        reused across requests, its authority reassigned, mixed two authorities' cases. It is
        read-only, as the `Store` interface declares."""
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        for target, value in ((scoped, OTHER_AUTHORITY), (scoped, None), (store, AUTHORITY)):
            with pytest.raises(AttributeError):
                target.authority = value  # type: ignore[misc]
        assert (store.authority, scoped.authority) == (None, AUTHORITY)
        far = dt.date(2027, 1, 1)
        assert [c.case_id for c in scoped.cases()] == ["case-01"]
        assert {item.case_id for item in scoped.due(far)} == {"case-01"}
        with pytest.raises(CaseNotFound):
            scoped.load("case-02")

    def test_a_view_of_no_authority_is_refused_not_widened_to_every_one(self, store: Store) -> None:
        """`for_authority(None)` (an unset setting, say) made a view of every authority's cases,
        even from a scoped store: a view is refused unless it names one authority."""
        store.save(built("case-01", 2))
        store.save(built("case-02", 2, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        with pytest.raises(FormInvalid) as refused:
            scoped.for_authority(None)  # type: ignore[arg-type]
        assert refused.value.field == "authority"
        assert [c.case_id for c in scoped.cases()] == ["case-01"]

    def test_load_all_of_given_ids_checks_every_id_before_streaming(self, store: Store) -> None:
        for number in range(4):
            store.save(built(f"case-{number:02}", 2 + number))
        store.save(built("case-09", 3, OTHER_AUTHORITY))
        picked = store.load_all(["case-02", "case-00", "case-02"])
        assert [c.case_id for c in picked] == ["case-00", "case-02"]
        with pytest.raises(CaseNotFound) as missing:
            store.load_all(["case-01", "case-77", "case-78"])
        assert missing.value.case_id == "case-77"
        with pytest.raises(CaseNotFound):
            store.for_authority(AUTHORITY).load_all(["case-01", "case-09"])
        assert [c.case_id for c in store.for_authority(OTHER_AUTHORITY).load_all(["case-09"])] == [
            "case-09"
        ]
        assert list(store.load_all([])) == []

    def test_a_case_from_load_all_continues_and_saves(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.save(built("case-02", 11))
        case = next(iter(store.load_all(["case-01"])))
        advanced(case, 4)
        store.save(case)
        assert store.load("case-01") == built("case-01", 7)
        assert store.verify() == []
        elsewhere = InMemoryStore(calendar=CALENDAR)
        for loaded in store.load_all():
            elsewhere.save(loaded)  # a resumed case is replayed before another store takes it
        assert [c.case_id for c in elsewhere.load_all()] == ["case-01", "case-02"]
        assert elsewhere.verify() == []

    def test_load_all_shows_a_redacted_value_as_load_does(self, store: Store) -> None:
        self._redact(store)
        store.save(built("case-02", 4))
        loaded = {case.case_id: case for case in store.load_all()}
        assert loaded["case-01"] == store.load("case-01")
        shown = loaded["case-01"].history[1].data["form"]["parent_name"]
        assert shown == f"(redacted on {REDACTED_ON}: Erasure request)"
        assert loaded["case-02"] == built("case-02", 4)
        withdrawn = built("case-03", 2)
        withdrawn.withdraw("Moving away", by=PARENT, on=CONSENTED)
        store.save(withdrawn)
        store.redact("case-03", 3, ["actor.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        [case] = store.load_all(["case-03"])
        assert case == store.load("case-03")
        assert case.history[2].actor.name != PARENT.name

    def test_a_case_without_a_stored_state_is_replayed(self, store: Store) -> None:
        store.save(built("case-01", 6))
        self.tamper_case(store, "case-01", "state", None)
        assert store.load("case-01") == built("case-01", 6)
        assert list(store.load_all()) == [built("case-01", 6)]
        assert store.verify() == []

    def test_load_all_reads_a_case_row_that_does_not_fit_its_log_as_load_does(
        self, store: Store
    ) -> None:
        """A case row whose version is not its log's length (a store broken outside the
        library): load_all() gives the case load() gives, and the case saves on from there."""
        store.save(built("case-01", 6))
        store.save(built("case-02", 3))
        self.tamper_case(store, "case-01", "version", 9)
        everything = list(store.load_all())
        assert everything == [store.load("case-01"), store.load("case-02")]
        assert everything[0] == built("case-01", 6)
        advanced(everything[0], 2)
        store.save(everything[0])
        assert store.load("case-01") == built("case-01", 8)
        assert store.verify() == []

    def test_verify_reports_a_forged_state(self, store: Store) -> None:
        store.save(built("case-01", 11))
        case = store.load("case-01")
        forged = json.loads(case._state())
        forged["facts"] = {}
        self.tamper_case(store, "case-01", "state", _json(forged))
        assert [(p.case_id, p.what) for p in store.verify()] == [
            ("case-01", "case row state differs from the replayed case's")
        ]
        forged = json.loads(case._state()) | {"stage": "withdrawn"}
        self.tamper_case(store, "case-01", "state", _json(forged))
        assert [(p.case_id, p.what) for p in store.verify()] == [
            ("case-01", "case row state differs from the replayed case's")
        ]
        # A state that does not fit the log is not believed: the load replays.
        assert store.load("case-01").stage is Stage.SUCCESSFUL
        assert [c.stage for c in store.load_all()] == [Stage.SUCCESSFUL]

    def test_the_stored_state_follows_saves_imports_and_redactions(self, store: Store) -> None:
        store.import_histories([(AUTHORITY, built("case-02", 4).history)])
        self._redact(store)
        case = store.load("case-01")
        advanced(case, 2)
        store.save(case)
        assert store.verify() == []
        for loaded in store.load_all():
            assert loaded._state() == Reintegration.replay(loaded.history, CALENDAR)._state()

    def test_verify_checks_batch_by_batch_and_reports_its_progress(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 2)  # five cases: three ranges of ids
        for number, length in enumerate((1, 3, 6, 2, 4)):
            store.save(built(f"case-{number:02}", length))
        calls: list[tuple[int, int]] = []
        assert store.verify(progress=lambda cases, entries: calls.append((cases, entries))) == []
        assert calls[-1] == (5, 16)
        assert calls == sorted(calls)
        self.remove_case_row(store, "case-02")
        self.tamper_case(store, "case-03", "stage", "withdrawn")
        assert {(p.case_id, p.what) for p in store.verify()} >= {
            ("case-02", "log entries without a case row"),
            ("case-03", "case row stage 'withdrawn' but the log ends in 'consented'"),
        }

    # -- the store's protocols --------------------------------------------------------------------
    def test_the_stores_protocols_reach_every_replay(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        marker = attrs.evolve(WORCESTERSHIRE, id="marker", version="1")
        scoped = store.for_authority(AUTHORITY)
        scoped.protocols = (marker,)
        given_protocols: list[object] = []
        replay = Reintegration.replay.__func__

        def spy(
            cls: type[Reintegration], history: Any, calendar: Any = None, protocols: Any = ()
        ) -> Reintegration:
            given_protocols.append(tuple(protocols))
            return replay(cls, history, calendar, protocols)  # type: ignore[no-any-return]

        monkeypatch.setattr(Reintegration, "replay", classmethod(spy))
        scoped.import_histories([(AUTHORITY, built("case-01", 3).history)])
        scoped.load("case-01")
        scoped.load("case-01", as_of=CONSENTED)
        assert scoped.verify() == []
        assert given_protocols
        assert all(protocols == (marker,) for protocols in given_protocols)

    @pytest.mark.parametrize(
        ("settings", "error"),
        [
            ({"protocols": None}, ProtocolDefinitionError),  # a TypeError from tuple(None)
            ({"protocols": [1]}, ProtocolDefinitionError),  # refused only by each load
            ({"calendar": "sample"}, FormInvalid),  # refused only by each load
        ],
        ids=["protocols-none", "protocols-not-protocols", "calendar-text"],
    )
    def test_a_store_is_not_made_with_protocols_or_a_calendar_it_cannot_use(
        self, store: Store, settings: dict[str, Any], error: type[Exception]
    ) -> None:
        store.save(built("case-01", 3))
        engine = [store.engine] if isinstance(store, SqlAlchemyStore) else []
        kind = type(store)
        with pytest.raises(error):
            kind(*engine, **settings)

    def test_a_case_under_its_protocol_changed_since_is_not_read_under_the_change(
        self, store: Store
    ) -> None:
        """A protocol file edited without a new version changed the rules of the cases opened
        under it, silently: `load`, `load_all` and the command line read them under the new
        rules, and only `verify` given the original file noticed (found by a review)."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        opening = store.for_authority(AUTHORITY)
        opening.protocols = (own,)
        case = opened("case-02", protocol=own)
        opening.save(case)
        advanced(case, 2)
        opening.save(case)
        edited = store.for_authority(AUTHORITY)
        edited.protocols = (attrs.evolve(own, weighting_points=7),)
        with pytest.raises(ChangedProtocol) as refused:
            edited.load("case-02")
        assert (refused.value.protocol_id, refused.value.version) == ("otherborough", "3")
        with pytest.raises(ChangedProtocol):
            list(edited.load_all())
        [problem] = edited.verify()
        assert problem.case_id == "case-02"
        assert "changed since without a new version" in problem.what
        reopened = store.for_authority(AUTHORITY)
        reopened.protocols = (own,)
        assert reopened.load("case-02") == case  # as it was: read as it was
        assert reopened.verify() == []

    def test_a_case_under_a_protocol_the_store_does_not_know_is_not_saved(
        self, store: Store
    ) -> None:
        """`save` wrote such a case, which the store then could not load: `load_all()`,
        `past_retention()` and `apply_retention()` stopped at it for every case. It is refused
        as `import_histories` refuses it, writing nothing, and saved once the store is given
        the protocol."""
        other = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        store.save(built("case-01", 3))
        case = opened("case-02", protocol=other)
        with pytest.raises(UnknownProtocol):
            store.save(case)
        differing = attrs.evolve(other, weighting_points=5)
        knowing = store.for_authority(AUTHORITY)
        knowing.protocols = (differing,)
        with pytest.raises(ProtocolDefinitionError) as differs:
            knowing.save(case)  # the store's otherborough 3 is not the case's
        assert differs.value.problem == (
            "case 'case-02' runs under otherborough 3 with other rules than the store's "
            f"otherborough 3 (rules {other.fingerprint[:12]}, the store's "
            f"{differing.fingerprint[:12]}): they differ in weighting_points; give the store "
            "the protocol as the case was opened under it, and publish a change as a new version"
        )
        assert store.taken(["case-01", "case-02"]) == {"case-01"}
        assert [c.case_id for c in store.load_all()] == ["case-01"]
        assert store.held_retention(dt.date(2100, 1, 1)) != []  # case-01 is still running
        knowing.protocols = (other,)
        knowing.save(case)
        assert knowing.load("case-02") == case
        with pytest.raises(UnknownProtocol):  # not "a rule compares a removed value"
            store.redact("case-02", 1, ["pupil.name"], "asked", by=ADMISSIONS, on=REDACTED_ON)
        assert store.redactions("case-02") == []

    def test_a_case_saves_into_a_store_given_its_protocol_with_a_corrected_title(
        self, store: Store
    ) -> None:
        """docs/protocols.md: "Correcting the title or the source changes no fingerprint". A
        store given the corrected file imported and loaded the case's history, but refused
        `save` of the case itself: "runs under otherborough 3, which differs from the store's
        otherborough 3" (review P, P5). The rules decide, not the name."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        retitled = attrs.evolve(own, title="Otherborough Protocol (corrected)", source="fixed")
        assert retitled.fingerprint == own.fingerprint
        case = opened("case-01", protocol=own)
        advanced(case, 2)
        store.protocols = (retitled,)
        store.save(case)
        assert store.load("case-01").history == case.history
        assert store.load("case-01").protocol == retitled

    # -- a protocol edited in place (review T, T1) -------------------------------------------------
    def test_a_new_case_under_a_protocol_edited_in_place_is_not_saved(self, store: Store) -> None:
        """A protocol file edited without a new version: the cases opened before the edit were
        refused under it, but a new case opened under the edited rules was saved, so the store
        held `otherborough 3` under two sets of rules, and part of its caseload failed to load
        whichever file was registered. The store keeps the rules its first case under each
        `(id, version)` recorded, and refuses a new case under others, writing nothing."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        edited = attrs.evolve(own, weighting_points=7)
        store.protocols = (own,)
        store.save(advanced(opened("case-01", protocol=own), 2))
        editing = store.for_authority(AUTHORITY)  # another store object on the same cases
        editing.protocols = (edited,)

        with pytest.raises(ChangedProtocol) as refused:
            editing.save(opened("case-02", protocol=edited))
        with pytest.raises(ChangedProtocol) as imported:
            editing.import_histories([(AUTHORITY, opened("case-03", protocol=edited).history)])

        for error, case_id in ((refused.value, "case-02"), (imported.value, "case-03")):
            assert error.opening
            assert (error.protocol_id, error.version, error.case_id) == (
                "otherborough",
                "3",
                case_id,
            )
            assert str(error) == (
                f"case {case_id!r} was opened under protocol 'otherborough' version '3' with "
                "other rules than its authority's earlier cases in the store under that name "
                "were (the protocol changed since without a new version): give the store the "
                "protocol as those cases were opened under it, and publish a change as a new "
                "version"
            )
        assert store.taken(["case-01", "case-02", "case-03"]) == {"case-01"}
        # The file as it was opens new cases; so does the edit published as a new version, and
        # the edited rules under a version of their own.
        store.save(opened("case-04", protocol=own))
        published = attrs.evolve(edited, version="4")
        editing.protocols = (own, published)
        editing.save(opened("case-05", protocol=published))
        assert store.taken(["case-04", "case-05"]) == {"case-04", "case-05"}
        assert editing.verify() == []

    def test_another_authoritys_cases_neither_decide_nor_learn_an_authoritys_rules(
        self, store: Store
    ) -> None:
        """The rules were kept by protocol `(id, version)` alone: one authority's first case
        decided them for every authority in the database, and another authority's scoped store
        was refused its own file under that name, told of "the store's earlier cases" it may
        not see (review S, S1). Each authority keeps its own rules under its own names; a name
        another authority holds is refused only with other rules, and the refusal tells of no
        case (review T, T2)."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        edited = attrs.evolve(own, weighting_points=7)
        ours = store.for_authority(AUTHORITY)
        ours.protocols = (own,)
        ours.save(opened("case-01", protocol=own))
        other = store.for_authority(OTHER_AUTHORITY)
        other.protocols = (own,)

        other.save(opened("case-02", OTHER_AUTHORITY, protocol=own))
        other.import_histories(
            [(OTHER_AUTHORITY, opened("case-03", OTHER_AUTHORITY, protocol=own).history)]
        )

        assert store.taken(["case-01", "case-02", "case-03"]) == {"case-01", "case-02", "case-03"}
        ours.protocols = (edited,)
        with pytest.raises(ChangedProtocol) as refused:
            ours.save(opened("case-04", protocol=edited))
        assert not refused.value.taken  # its own earlier cases' rules decide first
        other.protocols = (edited,)
        with pytest.raises(ChangedProtocol):
            other.save(opened("case-04", OTHER_AUTHORITY, protocol=edited))
        assert store.taken(["case-04"]) == set()
        ours.protocols = (own,)
        assert ours.verify() == []
        other.protocols = (own,)
        assert other.verify() == []

    # -- one protocol name, one set of rules in a store (review T, T2) ----------------------------
    def test_a_new_case_under_a_name_another_authority_holds_with_other_rules_is_not_saved(
        self, store: Store
    ) -> None:
        """Two authorities in one store each wrote their file from the docs' example, kept its
        id and version, and one changed a number: both opened cases under `otherborough 3`, and
        no command replaying every authority's cases could run again, whichever files were
        registered (review T, T2). A new case, saved or imported, under a name another
        authority's cases hold with other rules is refused, naming neither those cases, nor
        that authority, nor its rules; nothing is written."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        theirs = attrs.evolve(own, place_offer_school_days=12)
        ours = store.for_authority(AUTHORITY)
        ours.protocols = (own,)
        ours.save(advanced(opened("case-01", protocol=own), 2))
        other = store.for_authority(OTHER_AUTHORITY)
        other.protocols = (theirs,)

        with pytest.raises(ChangedProtocol) as refused:
            other.save(opened("case-02", OTHER_AUTHORITY, protocol=theirs))
        with pytest.raises(ChangedProtocol) as imported:
            other.import_histories(
                [(OTHER_AUTHORITY, opened("case-03", OTHER_AUTHORITY, protocol=theirs).history)]
            )
        store.protocols = (theirs,)  # an unscoped store, too
        with pytest.raises(ChangedProtocol) as unscoped:
            store.save(opened("case-04", OTHER_AUTHORITY, protocol=theirs))

        for error, case_id in (
            (refused.value, "case-02"),
            (imported.value, "case-03"),
            (unscoped.value, "case-04"),
        ):
            assert (error.opening, error.taken) == (True, True)
            assert (error.protocol_id, error.version, error.case_id) == (
                "otherborough",
                "3",
                case_id,
            )
            assert str(error) == (
                f"case {case_id!r} was opened under protocol 'otherborough' version '3', a "
                "name another authority's protocol with other rules already holds in this "
                "store (in one store a protocol's id and version name one set of rules): give "
                "the protocol file another id or version"
            )
            said = str(error)
            assert "case-01" not in said
            assert AUTHORITY not in said
            assert own.fingerprint[:12] not in said
            assert theirs.fingerprint[:12] not in said
        assert store.taken(["case-01", "case-02", "case-03", "case-04"]) == {"case-01"}
        # Under a name of its own, the same rules open cases.
        renamed = attrs.evolve(theirs, version="3-northmoor")
        other.protocols = (theirs, renamed)
        other.save(opened("case-05", OTHER_AUTHORITY, protocol=renamed))
        store.protocols = (own, renamed)
        assert store.verify() == []

    def test_authorities_under_one_name_and_the_same_rules_each_open_and_resave_cases(
        self, store: Store
    ) -> None:
        """The other side of review T, T2: two authorities registering the same file (the
        same rules, retitled or not) each open, import and go on saving cases under its name,
        and every authority's cases are then checked under one registration."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        retitled = attrs.evolve(own, title="Other Borough's copy")
        ours = store.for_authority(AUTHORITY)
        ours.protocols = (own,)
        mine = opened("case-01", protocol=own)
        ours.save(mine)
        other = store.for_authority(OTHER_AUTHORITY)
        other.protocols = (retitled,)

        other.save(opened("case-02", OTHER_AUTHORITY, protocol=retitled))
        other.import_histories(
            [(OTHER_AUTHORITY, opened("case-03", OTHER_AUTHORITY, protocol=retitled).history)]
        )
        ours.save(advanced(mine, 2))
        theirs = other.load("case-02")
        other.save(advanced(theirs, 2))
        ours.save(opened("case-04", protocol=own))

        assert store.taken([f"case-0{n}" for n in range(1, 5)]) == {
            f"case-0{n}" for n in range(1, 5)
        }
        store.protocols = (own,)
        assert store.verify() == []
        assert [case.case_id for case in store.load_all()] == [f"case-0{n}" for n in range(1, 5)]

    # -- one name read aloud, one protocol in a store (review RX, RX1) ---------------------------
    def test_a_new_case_under_a_name_kept_in_other_letters_case_is_not_saved(
        self, store: Store
    ) -> None:
        """AP3 refused an open only while both protocols named alike were registered: one
        registered on Monday and the other on Tuesday opened cases side by side in one store,
        which every report and letter names alike (review RX, RX1). A new case, saved or
        imported, of any authority, under a name the store keeps in other letters' case (id or
        version), or with a protocol so named also given to the store, is refused naming both;
        nothing is written, and the kept name's cases go on."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3a")
        ours = store.for_authority(AUTHORITY)
        ours.protocols = (own,)
        mine = opened("case-01", protocol=own)
        ours.save(mine)
        other = store.for_authority(OTHER_AUTHORITY)
        for alike in (
            attrs.evolve(own, id="Otherborough"),  # the same rules, too
            attrs.evolve(own, version="3A", weighting_points=7),
        ):
            other.protocols = ours.protocols = (alike,)
            refused = []
            with pytest.raises(ChangedProtocol) as saved:
                ours.save(opened("case-02", protocol=alike))
            refused.append(saved.value)
            with pytest.raises(ChangedProtocol) as imported:
                other.import_histories(
                    [(OTHER_AUTHORITY, opened("case-03", OTHER_AUTHORITY, protocol=alike).history)]
                )
            refused.append(imported.value)
            for error, case_id in zip(refused, ("case-02", "case-03"), strict=True):
                assert (error.opening, error.taken, error.case_id) == (True, True, case_id)
                assert error.alike == own.key
                said = str(error)
                assert f"{alike.id!r} version {alike.version!r}" in said
                assert "'otherborough' version '3a'" in said
                assert "keep one id and publish a revision as a new version of it" in said
                assert "case-01" not in said
        northmoor = attrs.evolve(own, id="northmoor")
        both = (northmoor, attrs.evolve(northmoor, id="Northmoor"))
        ours.protocols = both  # given both, and keeping neither's name
        for protocol, other_one in (both, both[::-1]):
            with pytest.raises(ChangedProtocol) as given:
                ours.save(opened("case-04", protocol=protocol))
            assert (given.value.taken, given.value.alike) == (True, other_one.key)
        assert store.taken([f"case-0{n}" for n in range(1, 5)]) == {"case-01"}
        ours.protocols = (own,)
        ours.save(advanced(mine, 2))  # the kept name's case saves its later steps
        ours.save(opened("case-05", protocol=own))  # and new ones open under it
        assert ours.load("case-01") == mine
        store.protocols = (own,)
        assert store.verify() == []

    def test_a_new_case_under_an_id_of_its_own_beside_a_kept_name_is_saved(
        self, store: Store
    ) -> None:
        """The other side of RX1: a name that differs from a kept one by more than letters'
        case (another id, another version) is a name of its own, given or kept together."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        north = attrs.evolve(own, id="otherborough-north", weighting_points=7)
        revised = attrs.evolve(own, version="4", weighting_points=7)
        store.protocols = (own, north, revised)
        store.save(opened("case-01", protocol=own))
        store.save(opened("case-02", protocol=north))
        store.import_histories([(AUTHORITY, opened("case-03", protocol=revised).history)])
        store.save(opened("case-04", OTHER_AUTHORITY, protocol=own))
        assert store.taken([f"case-0{n}" for n in range(1, 5)]) == {
            f"case-0{n}" for n in range(1, 5)
        }
        assert store.verify() == []

    def test_cases_kept_under_names_alike_before_go_on_and_no_new_one_opens_under_either(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A store may keep both names from before RX1's refusal: the cases under either go
        on saving their later steps, loading and verifying; a new case under either is
        refused, whichever was kept first."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        alike = attrs.evolve(own, id="Otherborough", weighting_points=7)
        store.protocols = (own, alike)
        with monkeypatch.context() as before:  # as a library before RX1 kept them
            before.setattr(kept_names, "named_alike", lambda *_: None)
            first = opened("case-01", protocol=own)
            store.save(first)
            second = opened("case-02", protocol=alike)
            store.save(second)
        later = self.fresh_view(store)  # a later run
        later.protocols = (own, alike)
        for case in (first, second):
            later.save(advanced(case, 2))
            assert later.load(case.case_id) == case
        for protocol, registered in ((own, (own,)), (alike, (alike,)), (own, (own, alike))):
            later.protocols = registered
            with pytest.raises(ChangedProtocol) as refused:
                later.save(opened("case-03", protocol=protocol))
            assert refused.value.taken
            assert refused.value.alike in {own.key, alike.key} - {protocol.key}
        later.protocols = (own, alike)
        assert later.taken(["case-01", "case-02", "case-03"]) == {"case-01", "case-02"}
        assert later.verify() == []

    def test_a_new_case_under_its_protocol_in_another_edition_is_saved(self, store: Store) -> None:
        """The same file read by a library whose current edition of the rules was another has
        another fingerprint, and is the same protocol: a store whose first case under it was
        recorded so opens new cases under it, and one whose first was opened today takes a
        history recorded so."""

        def recorded_under_edition_2(case_id: str, protocol: Protocol) -> list[Transition]:
            written = transition_to_json(opened(case_id, protocol=protocol).history[0])
            earlier = attrs.evolve(protocol, edition=2)
            written["data"]["protocol"]["fingerprint"] = earlier.fingerprint
            return [transition_from_json(written)]

        first_earlier = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        first_today = attrs.evolve(first_earlier, version="4")
        store.protocols = (first_earlier, first_today)
        store.import_histories([(AUTHORITY, recorded_under_edition_2("case-01", first_earlier))])
        store.save(opened("case-02", protocol=first_today))
        later = store.for_authority(AUTHORITY)  # another store object on the same cases

        later.save(opened("case-03", protocol=first_earlier))
        later.import_histories([(AUTHORITY, recorded_under_edition_2("case-04", first_today))])

        assert store.taken([f"case-0{n}" for n in range(1, 5)]) == {
            f"case-0{n}" for n in range(1, 5)
        }
        assert [later.load(f"case-0{n}").protocol.edition for n in range(1, 5)] == [2, 3, 3, 2]
        assert later.verify() == []


def _every_call(
    case: Reintegration, checkpoint: Checkpoint
) -> list[Callable[[SqlAlchemyStore], object]]:
    """Every public call of a SQL store (but `close()`), each with arguments that would
    answer on an open store holding `case` (and from which `checkpoint` was taken)."""
    return [
        lambda s: s.save(case),
        lambda s: s.load("case-01"),
        lambda s: s.load("case-01", as_of=dt.date(2026, 3, 2)),
        lambda s: s.load_all(),
        lambda s: s.history("case-01"),
        lambda s: s.taken(["case-01"]),
        lambda s: s.import_histories([]),
        lambda s: s.due(dt.date(2026, 3, 2)),
        lambda s: s.cases(),
        lambda s: s.weightings(dt.date(2025, 9, 1), dt.date(2026, 8, 31)),
        lambda s: s.ledger(dt.date(2025, 9, 1), dt.date(2026, 8, 31)),
        lambda s: s.verify(),
        lambda s: s.verify(checkpoint=checkpoint),
        lambda s: s.checkpoint(),
        lambda s: s.redact("case-01", 2, ["form.parent_name"], "R", by=ADMISSIONS, on=REDACTED_ON),
        lambda s: s.redactions("case-01"),
        lambda s: s.past_retention(dt.date(2026, 3, 2)),
        lambda s: s.undated_retention(),
        lambda s: s.apply_retention(dt.date(2026, 3, 2), by=ADMISSIONS),
        lambda s: s.held_retention(dt.date(2026, 3, 2)),
        lambda s: s.create_schema(),
        lambda s: s.for_authority(AUTHORITY),
    ]


class SqlStoreContract(StoreContract):
    """What a SQL store adds: `verify(workers=...)`, checking ranges of cases in processes.

    Each test shrinks the batch to a few cases, so that a few dozen cases make several ranges
    (the batch size reaches the workers as an argument).
    """

    @pytest.fixture(autouse=True)
    def small_batches(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 3)

    def test_entered_reads_each_stamp_as_stored_and_none_for_one_that_is_no_time(
        self, store: Store
    ) -> None:
        """A stamp changed behind the store reads as what it now says (`verify()` is what
        judges it); on SQLite, which keeps any text in any column, one that is no time reads
        as None rather than failing the read."""
        store.save(built("case-01", 3))
        moved = dt.datetime(2026, 1, 2, 3, 4, 5)
        self.tamper(store, "case-01", 2, "recorded_at", moved)
        stamps = store.entered("case-01")
        assert stamps[1] == moved.replace(tzinfo=dt.timezone.utc)
        assert stamps[0] is not None
        assert stamps[0] != stamps[1]
        assert isinstance(store, SqlAlchemyStore)
        if store.engine.dialect.name == "sqlite":
            with store.engine.begin() as conn:  # text in the column, past SQLAlchemy's type
                conn.exec_driver_sql(
                    "UPDATE rfsm_transitions SET recorded_at = 'not a time' "
                    "WHERE case_id = 'case-01' AND seq = 3"
                )
            assert store.entered("case-01")[2] is None

    @pytest.mark.parametrize("behind", ["altered", "removed"])
    def test_verify_reports_the_kept_rules_changed_behind_the_store(
        self, store: Store, behind: str
    ) -> None:
        """`rfsm_protocols` altered behind the store refused every new case under the protocol
        as "changed without a new version", removed it let any rules in, and `verify()` said
        nothing either way (review S, S2). Each case under the protocol is reported, in
        processes too; a case under the library's own protocol is not."""
        assert isinstance(store, SqlAlchemyStore)
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        store.protocols = (own,)
        for number in range(1, 5):
            store.save(advanced(opened(f"case-0{number}", protocol=own), number))
        store.save(built("case-05", 3))
        kept = schema.protocols
        with store.engine.begin() as conn:
            if behind == "altered":
                conn.execute(sa.update(kept).values(fingerprint="0" * 64))
            else:
                conn.execute(sa.delete(kept))
        said = {
            "altered": "opened under protocol otherborough 3 with other rules than the store "
            "keeps for the case's authority under that name (rfsm_protocols: a file edited in "
            "place before schema revision 0015, or a row altered behind the store)",
            "removed": "opened under protocol otherborough 3, whose rules the store does not "
            "keep for the case's authority (rfsm_protocols: a row removed behind the store)",
        }[behind]

        found = store.verify()

        assert [(p.case_id, p.seq, p.what) for p in found] == [
            (f"case-0{number}", None, said) for number in range(1, 5)
        ]
        assert store.verify(workers=2) == found

    @pytest.mark.parametrize("before", ["its log", "its redaction records"])
    def test_a_redaction_committed_while_a_case_loads_puts_the_copy_behind(
        self, store: Store, before: str
    ) -> None:
        """`load()` reads the case row, its log and its redaction records in separate
        statements, each its own snapshot on PostgreSQL: a redaction committed between them
        must not leave a copy showing the removed value remembered as current (found by a
        review: it then appended a step resting on that value)."""
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 3))
        store.redact("case-01", 1, ["actor.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        loader = SqlAlchemyStore(store.engine.url, calendar=CALENDAR)  # an engine of its own
        table = {"its log": "rfsm_transitions", "its redaction records": "rfsm_redactions"}[before]
        fired: list[str] = []

        def redact_now(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if not fired and statement.lstrip().startswith(f"SELECT {table}."):
                fired.append(statement)
                done = threading.Thread(
                    target=store.redact,
                    args=("case-01", 2, ["form.parent_name"], "Erasure"),
                    kwargs={"by": ADMISSIONS, "on": REDACTED_ON},
                )
                done.start()
                done.join()

        sa.event.listen(loader.engine, "before_cursor_execute", redact_now)
        try:
            copy = loader.load("case-01")
        finally:
            sa.event.remove(loader.engine, "before_cursor_execute", redact_now)
        assert fired
        assert len(store.redactions("case-01")) == 2
        advanced(copy, 1)
        if copy.history[1].data["form"]["parent_name"] == "Dana Example":  # read before it
            with pytest.raises(ConcurrentUpdate, match="redacted after this copy was loaded"):
                loader.save(copy)
            assert len(store.history("case-01")) == 3
        else:  # read after it: the copy is current, and saves
            loader.save(copy)
            assert len(store.history("case-01")) == 4
        assert store.verify() == []
        loader.close()

    def test_the_case_row_counts_each_redaction_record_as_it_is_made(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 3))
        store.save(built("case-02", 3))

        def counted() -> dict[str, int]:
            table = schema.cases
            with store.engine.connect() as conn:
                return dict(conn.execute(sa.select(table.c.case_id, table.c.redactions)).all())

        assert counted() == {"case-01": 0, "case-02": 0}
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        assert counted() == {"case-01": 1, "case-02": 0}
        store.redact(
            "case-01",
            None,
            ["pupil.name", "form.child_name"],
            "Erasure",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        records = len(store.redactions("case-01"))  # read from the records themselves
        assert records > 2
        assert counted() == {"case-01": records, "case-02": 0}
        assert store.verify() == []

    def test_a_store_closes_when_its_with_block_ends_however_it_ends(self, store: Store) -> None:
        """`with store:` closes it at the block's end, and on an error, which goes on up."""
        assert isinstance(store, SqlAlchemyStore)
        with store as same:
            assert same is store
            store.save(built("case-01", 2))
            assert not store.closed
        assert store.closed
        reopened = SqlAlchemyStore(store.engine, calendar=CALENDAR)
        assert [case.case_id for case in reopened.load_all()] == ["case-01"]

        def fails_inside() -> None:
            with reopened:
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fails_inside()
        assert reopened.closed

    def test_a_closed_store_refuses_every_call_alike_on_every_engine(self, store: Store) -> None:
        """After `close()` a store answered with whatever SQLAlchemy did: a file reopened unasked,
        an in-memory database found empty. Every call now raises a `StoreError` saying the store
        was closed (not retryable), whoever made the engine; `close()` again is harmless."""
        assert isinstance(store, SqlAlchemyStore)
        case = built("case-01", 11)
        store.save(case)
        checkpoint = store.checkpoint()
        store.close()
        assert store.closed
        calls = _every_call(case, checkpoint)
        for call in calls:
            with pytest.raises(StoreError, match="the store was closed") as refused:
                call(store)
            assert not refused.value.retryable
            assert refused.value.__cause__ is None
        store.close()

    def test_a_view_is_closed_with_its_store(self, store: Store) -> None:
        """A view (`for_authority`) had a guard of its own: once its store was closed it went
        on using the disposed engine, on an in-memory database finding the tables gone and
        advising create_schema() (into a new, empty database), on a file opening connections
        unasked (review M, M2). Closing the store closes its views, and each call of a view
        raises the closed store's `StoreError`, word for word."""
        assert isinstance(store, SqlAlchemyStore)
        case = built("case-01", 11)
        store.save(case)
        checkpoint = store.checkpoint()
        view = store.for_authority(AUTHORITY)
        narrower = view.for_authority(AUTHORITY)
        assert [summary.case_id for summary in narrower.cases()] == ["case-01"]
        store.close()
        assert store.closed
        assert view.closed
        assert narrower.closed
        for call in _every_call(case, checkpoint):
            with pytest.raises(StoreError, match="the store was closed") as by_store:
                call(store)
            for each in (view, narrower):
                with pytest.raises(StoreError) as by_view:
                    call(each)
                assert str(by_view.value) == str(by_store.value)
                assert "create_schema" not in str(by_view.value)
                assert not by_view.value.retryable
                assert by_view.value.case_id == by_store.value.case_id
                assert by_view.value.__cause__ is None
        view.close()
        store.close()

    def test_a_view_closed_alone_leaves_its_store_open(self, store: Store) -> None:
        """A view per request, closed at the request's end (`with store.for_authority(name)
        as view:`), closes that view and the views made from it, never the store serving the
        next request, nor its engine."""
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 3))
        with store.for_authority(AUTHORITY) as view:
            narrower = view.for_authority(AUTHORITY)
            assert [summary.case_id for summary in view.cases()] == ["case-01"]
        assert view.closed
        assert narrower.closed
        with pytest.raises(StoreError, match="the store was closed"):
            narrower.cases()
        assert not store.closed
        assert [summary.case_id for summary in store.cases()] == ["case-01"]
        again = store.for_authority(AUTHORITY)
        assert again.load("case-01").history == built("case-01", 3).history

    def test_a_stream_left_half_read_is_ended_when_its_engine_is_disposed(
        self, store: Store
    ) -> None:
        """A `load_all()` stream still open when the store that made its engine closes (its
        own or a view's): `close()` ends it first, so that its connection is closed with the
        others, not left for the collector (where from Python 3.13 a SQLite connection warns),
        and going on with it raises the closed store's `StoreError` instead of reading on."""
        assert isinstance(store, SqlAlchemyStore)
        for number in range(1, 4):
            store.save(built(f"case-0{number}", 2))
        url = store.engine.url.render_as_string(hide_password=False)
        owner = SqlAlchemyStore(url, calendar=CALENDAR)  # made from a URL: it owns the engine
        made: list[Any] = []
        closed: list[Any] = []
        sa.event.listen(owner.engine, "connect", lambda dbapi, _record: made.append(dbapi))
        sa.event.listen(owner.engine, "close", lambda dbapi, _record: closed.append(dbapi))
        streams = [owner.load_all(), owner.for_authority(AUTHORITY).load_all()]
        for stream in streams:
            assert next(stream).case_id == "case-01"
        owner.close()
        assert made
        assert sorted(map(id, made)) == sorted(map(id, closed))
        for stream in streams:
            with pytest.raises(StoreError, match="the store was closed") as refused:
                next(stream)
            assert not refused.value.retryable

    def stock(self, store: Store, count: int, other_every: int = 0) -> None:
        """`count` cases of different lengths; with `other_every`, every such case another
        authority's."""
        for number in range(count):
            other = other_every and number % other_every == 0
            authority = OTHER_AUTHORITY if other else AUTHORITY
            store.save(built(f"case-{number:02}", 1 + number % 11, authority))

    def test_verify_in_workers_finds_a_sound_store_sound_and_counts_as_serially(
        self, store: Store
    ) -> None:
        assert isinstance(store, SqlAlchemyStore)
        self.stock(store, 30)
        serial: list[tuple[int, int]] = []
        parallel: list[tuple[int, int]] = []
        assert store.verify(progress=lambda *counts: serial.append(counts)) == []
        assert store.verify(workers=2, progress=lambda *counts: parallel.append(counts)) == []
        assert parallel[-1] == serial[-1] == (30, sum(1 + n % 11 for n in range(30)))
        assert parallel == sorted(parallel)
        assert len(parallel) > 2  # told as ranges finish, not only at the end

    def test_verify_in_workers_reports_the_serial_runs_problems_in_its_order(
        self, store: Store
    ) -> None:
        assert isinstance(store, SqlAlchemyStore)
        self.stock(store, 24)
        entry = store.history("case-02")[1]
        forged = entry.data | {"form": entry.data["form"] | {"agrees": False}}
        self.tamper(store, "case-02", 2, "data", _json(forged))
        self.tamper_case(store, "case-09", "stage", "withdrawn")
        self.remove_case_row(store, "case-20")
        self.tamper_case(store, "case-14", "stage", "withdrawn")
        # An open item of no case, between case-12 and case-13 (a batch is case-12 to case-14):
        # reported after the cases of its batch that have a log, so after case-14's problem.
        items = schema.open_items
        with store.engine.begin() as conn:
            item = conn.execute(sa.select(items).order_by(items.c.case_id)).mappings().first()
            assert item is not None
            conn.execute(sa.insert(items).values(dict(item) | {"case_id": "case-12-orphan"}))
        serial = store.verify()
        assert [case_id for case_id, _ in itertools.groupby(p.case_id for p in serial)] == [
            "case-02",
            "case-09",
            "case-14",
            "case-12-orphan",
            "case-20",
        ]
        assert store.verify(workers=2) == serial
        assert store.verify(workers=3) == serial

    def test_verify_in_workers_checks_a_checkpoint_as_serially(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        self.stock(store, 12)
        for case_id in ("case-05", "case-09"):
            store.redact(case_id, 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        taken = store.checkpoint()
        store.save(advanced(store.load("case-01"), 2))  # extends the checkpoint
        self.tamper(store, "case-07", 8, "hash", "ab" * 32)  # its last entry then: rewritten
        drop_triggers(store.engine)
        with store.engine.begin() as conn:  # a redaction record removed
            conn.execute(
                sa.delete(schema.redactions).where(schema.redactions.c.case_id == "case-09")
            )
        serial = store.verify(checkpoint=taken)
        assert ("case-07", 8) in {(p.case_id, p.seq) for p in serial if "rewritten" in p.what}
        assert ("case-09", 2) in {(p.case_id, p.seq) for p in serial if "removed" in p.what}
        assert {"case-01", "case-05"}.isdisjoint(p.case_id for p in serial)
        assert store.verify(checkpoint=taken, workers=2) == serial

    def test_a_scoped_store_verifies_its_authoritys_cases_in_workers(self, store: Store) -> None:
        assert isinstance(store, SqlAlchemyStore)
        self.stock(store, 18, other_every=3)
        self.tamper_case(store, "case-03", "stage", "withdrawn")  # another authority's
        self.tamper_case(store, "case-04", "stage", "withdrawn")
        scoped = store.for_authority(AUTHORITY)
        serial: list[tuple[int, int]] = []
        parallel: list[tuple[int, int]] = []
        found = scoped.verify(progress=lambda *counts: serial.append(counts))
        assert {p.case_id for p in found} == {"case-04"}
        assert scoped.verify(workers=2, progress=lambda *counts: parallel.append(counts)) == found
        assert parallel[-1] == serial[-1]
        assert serial[-1][0] == 12

    def test_a_save_too_large_for_one_statement_is_written_in_a_transaction(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PostgreSQL writes the common save in one statement up to a number of parameters;
        past it (many transitions appended at once), the save runs as a transaction, whole."""
        assert isinstance(store, SqlAlchemyStore)
        monkeypatch.setattr(at_once, "MOST_PARAMETERS", 40)  # less than one log entry's row
        store.save(built("case-01", 3))
        case = advanced(store.load("case-01"), 5)
        with statements_run(store) as found:
            store.save(case)
        assert not any(s.startswith("WITH checked") for s, _ in found)
        # ... and as a save of a case the store has seen: no read of the stored log.
        assert not any(s.startswith("SELECT") and "FROM rfsm_transitions" in s for s, _ in found)
        assert store.load("case-01") == built("case-01", 8)
        assert store.verify() == []

    def test_a_save_the_database_refuses_midway_writes_nothing_and_leaves_the_store_working(
        self, store: Store
    ) -> None:
        """The database refuses the open item a loaded case's next step opens, after the case
        row's UPDATE and the log's INSERT: the save (PostgreSQL's one statement, SQLite's on
        the driver's connection, MariaDB's transaction) keeps none of it, and the connection
        goes back to the pool usable, with no transaction left open."""
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 5))
        store.save(built("case-02", 3))
        case = store.load("case-01")
        advanced(case, 1)  # hold_initial_meeting: opens a paperwork duty
        refused = ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS.value
        with store.engine.begin() as conn:
            if store.engine.dialect.name == "sqlite":
                conn.exec_driver_sql(
                    "CREATE TRIGGER rfsm_test_refuse BEFORE INSERT ON rfsm_open_items "
                    f"WHEN NEW.kind = '{refused}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            else:
                conn.exec_driver_sql(
                    "ALTER TABLE rfsm_open_items ADD CONSTRAINT rfsm_test_refuse "
                    f"CHECK (kind <> '{refused}')"
                )
        with pytest.raises((StoreError, FormInvalid)) as failed:
            store.save(case)
        cause = failed.value.__cause__
        assert isinstance(cause, sa.exc.DBAPIError)  # the driver's error, as SQLAlchemy's
        for said in (str(failed.value), str(cause)):
            assert PUPIL.name not in said  # no personal data: the child's name,
            assert AP_STAFF.name not in said  # nor the actor's
        assert store.load("case-01") == built("case-01", 5)
        assert store.engine.pool.checkedout() == 0
        other = advanced(store.load("case-02"), 1)  # the connection is lent again and works
        store.save(other)
        assert store.load("case-02") == built("case-02", 4)
        assert store.verify() == []

    @pytest.mark.parametrize("workers", [0, -1, 1.5, "2", True, None])
    def test_verify_refuses_a_count_of_workers_that_is_not_one_or_more(
        self, store: Store, workers: Any
    ) -> None:
        assert isinstance(store, SqlAlchemyStore)
        with pytest.raises(FormInvalid, match="workers") as refused:
            store.verify(workers=workers)
        assert isinstance(refused.value, ValueError)

    def test_verify_reports_redaction_records_of_a_case_with_no_log(self, store: Store) -> None:
        """A redaction record moved to an id no case uses is reported there (as open items and
        ledger entries with no log are)."""
        assert isinstance(store, SqlAlchemyStore)
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE rfsm_redactions SET case_id = 'case-99'")
        found = {(problem.case_id, problem.seq): problem.what for problem in store.verify()}
        assert found[("case-99", None)] == "redaction records for a case with no log"
        assert ("case-01", 2) in found  # a value removed that no record names

    def test_a_log_entry_naming_no_stage_is_refused_by_load_and_load_all(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 4))
        self.tamper(store, "case-01", 3, "dest", "nowhere")
        for read in (lambda: store.load("case-01"), lambda: list(store.load_all())):
            with pytest.raises(FormInvalid, match="'nowhere' is not a stage"):
                read()
        assert {problem.case_id for problem in store.verify()} == {"case-01"}


def _sqlite_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, dt.date) else value


def _json(value: Any) -> str:
    from reintegration_fsm.stores.hashing import canonical_json

    return canonical_json(value)


# -- worker processes (spawned: module-level and importable) -------------------------------------
def dying_worker(span: Any) -> None:
    """A worker process that ends without an answer, as one killed does."""
    os._exit(3)


def race_worker(url: str, case_id: str, rounds: int, barrier: Any, results: Any) -> None:
    """Each round: load the case, wait for every rival, fire one review, try to save."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    for number in range(rounds):
        case = store.load(case_id)
        review_on = case.last_on or FIRST_REVIEW
        # Each writer's own words: identical reviews would be one transition, held once.
        meeting = review(review_on, concerns=f"Noted by writer {os.getpid()}.")
        case.hold_review(meeting, by=HOST_STAFF, on=review_on)
        barrier.wait()
        started = time.perf_counter()
        try:
            store.save(case)
            outcome = "won"
        except ConcurrentUpdate:
            outcome = "lost"
        results.put((number, os.getpid(), outcome, time.perf_counter() - started))
        barrier.wait()
    store.close()


def crash_writer(url: str, ready: Any) -> None:
    """Save a stream of cases, one transition per save, until killed."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    number = 0
    while True:
        case = opened(f"stream-{number:06}")
        store.save(case)
        for step in HAPPY_PATH:
            step(case)
            store.save(case)
            if number == 2:
                ready.set()
        number += 1


def kill(pid: int) -> None:
    """SIGKILL: no cleanup, no atexit, no rollback by Python."""
    os.kill(pid, signal.SIGKILL)
