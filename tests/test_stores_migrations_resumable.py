"""Every migration, cut off on MariaDB after any statement that commits by itself, finishes when
run again: nothing lost, the schema as `create_schema()` builds it, the log guarded and sound.

MariaDB commits each CREATE, ALTER, DROP and RENAME at once, with the rows changed before it: a
migration cut off part way (a lost connection, a killed server or client) leaves its first
changes in place under the previous revision's stamp. Here a cut-off is an error raised right
after the migration's n-th such statement, for every n, in both directions; the migration's
rows changed since that statement are rolled back, as the server does with a lost connection.

Each migration is checked in full once, uncut: run from a filled database, then upgraded to head,
its schema compared with `create_schema()`'s and its cases verified. A run cut off at n and run
again must then leave the database exactly as the uncut run left it (`snapshot`: the stamp, each
table's definition and rows, the triggers); from the same database the rest of the chain does
what it did after the uncut run, so that check need not be paid again for every n on MariaDB,
where each schema change is slow. For the same reason each cut-off run starts from a copy of the
filled database (`restore`), held to the filled database's snapshot, rather than from a fill
through every earlier revision's migration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import types
from collections.abc import Callable, Iterator
from typing import Any

import alembic.util
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

import test_stores_migrations
import test_stores_redigest
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, digests, schema, upgrade
from reintegration_fsm.stores.migrate import VERSION_TABLE, config
from store_contract import CALENDAR, built, reset_database
from test_stores_migrations import (
    _downgrade_to,
    _fill_revision_1,
    _fill_revision_5,
    differences,
    triggers,
)
from test_stores_redigest import _fill_revision_2

REVISIONS = [script.revision for script in ScriptDirectory.from_config(config()).walk_revisions()][
    ::-1
]
"""Every shipped revision, oldest first."""
COMMITTING = ("CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE")
"""How the statements MariaDB commits by themselves begin."""


PINNED_AT = dt.datetime(2026, 12, 1, 9, 30)
"""The moment the fills and migrations read from the clock here."""


class CutOff(Exception):
    """The connection lost right after a statement MariaDB committed."""


class _PinnedMoment(type):
    def __instancecheck__(cls, value: object) -> bool:
        return isinstance(value, dt.datetime)


class _PinnedDatetime(metaclass=_PinnedMoment):
    """`datetime` to 0003, whose clock reads `PINNED_AT`."""

    @staticmethod
    def now(tz: dt.tzinfo | None = None) -> dt.datetime:
        return PINNED_AT.replace(tzinfo=tz)


@pytest.fixture
def repeatable(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """The salts, keys and times that the fills and the migrations draw, made repeatable:
    the clock reads `PINNED_AT`, and the returned `restart()` begins the same random bytes
    again. So two runs from equal databases write equal rows, and a run cut off and run again
    can be held to the uncut run's rows byte for byte."""
    draws = itertools.count()

    def urandom(size: int) -> bytes:
        return hashlib.sha512(str(next(draws)).encode()).digest()[:size]

    def restart() -> None:
        nonlocal draws
        draws = itertools.count()

    chance = types.SimpleNamespace(urandom=urandom)
    clock = types.SimpleNamespace(**vars(dt) | {"datetime": _PinnedDatetime})
    load = alembic.util.load_python_file

    def loading(directory: str, filename: str) -> types.ModuleType:
        # Alembic loads each revision's file afresh for each command, as a module of its own.
        module = load(directory, filename)
        if filename.startswith("0003_"):
            monkeypatch.setattr(module, "os", chance)
            monkeypatch.setattr(module, "dt", clock)
        return module

    monkeypatch.setattr(alembic.util, "load_python_file", loading)
    monkeypatch.setattr(digests, "os", chance)
    for module in (test_stores_migrations, test_stores_redigest):
        monkeypatch.setattr(module, "utc_now", lambda: PINNED_AT)
    return restart


def _filled(engine: sa.Engine, at: str) -> tuple[set[str], int]:
    """An emptied database filled as an older revision's store wrote it, then brought to revision
    `at`; the cases `verify()` reports once upgraded, and the redaction notes it holds."""
    reset_database(engine)
    if at == "base":
        return set(), 0
    number = int(at)
    if number == 1:
        upgrade(engine, revision="0001")
        return set(), 0
    expected: tuple[set[str], int]
    if number == 2:
        _fill_revision_1(engine)
        expected = set(), 0
    elif number <= 5:
        upgrade(engine, revision="0002")
        _fill_revision_2(engine)  # a broken log, and a revision-2 redaction note
        expected = {"broken"}, 1
    else:
        upgrade(engine, revision="0005")
        _fill_revision_5(engine)
        expected = set(), 0
    upgrade(engine, revision=at)
    return expected


@contextlib.contextmanager
def cutting(cut_at: int | None, target: Any = sa.Engine) -> Iterator[list[str]]:
    """Collect the committing statements `target` (an engine; by default every engine, as the
    CLI makes its own) runs in the block, raising `CutOff` right after the `cut_at`-th."""
    seen: list[str] = []

    def after(*args: Any) -> None:
        if args[2].lstrip().upper().startswith(COMMITTING):
            seen.append(args[2])
            if len(seen) == cut_at:
                raise CutOff(args[2])

    sa.event.listen(target, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        sa.event.remove(target, "after_cursor_execute", after)


def _migrating(
    engine: sa.Engine, direction: str, end: str, restart: Callable[[], None]
) -> Callable[[], None]:
    """The migration of `engine` to `end`, up or down, drawing the same random bytes each run."""

    def migrate() -> None:
        restart()
        if direction == "upgrade":
            upgrade(engine, revision=end)
        else:
            _downgrade_to(engine, end)

    return migrate


def _run_whole(
    engine: sa.Engine, start: str, migrate: Callable[[], None], restart: Callable[[], None]
) -> tuple[int, tuple[set[str], int], dict[str, Any]]:
    """`migrate` run uncut from the database filled at `start`: how many statements it ran that
    MariaDB commits by themselves, what `_filled` expects of the database, and a copy of the
    database as filled (for `restore`)."""
    restart()
    expected = _filled(engine, start)
    filled = copied(engine)
    with cutting(None, engine) as made:
        migrate()
    return len(made), expected, filled


def _each_cut_off(
    engine: sa.Engine, filled: dict[str, Any], migrate: Callable[[], None], statements: int
) -> Iterator[int]:
    """For every n up to `statements`: the database restored as `filled` and `migrate` cut off
    right after its n-th committing statement; n."""
    for cut_at in range(1, statements + 1):
        restore(engine, filled)
        with cutting(cut_at, engine), pytest.raises((CutOff, StoreError)):
            migrate()
        yield cut_at


def copied(engine: sa.Engine) -> dict[str, Any]:
    """What `restore` needs to build the (MariaDB) database again as it stands: each table's
    CREATE TABLE statement and rows, each trigger's CREATE TRIGGER statement and SQL mode."""
    with engine.connect() as conn:
        tables = conn.exec_driver_sql(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = DATABASE() ORDER BY table_name"
        ).all()
        assert {kind for _, kind in tables} <= {"BASE TABLE"}  # no view or sequence to copy
        guards = conn.exec_driver_sql(
            "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = "
            "DATABASE() ORDER BY event_object_table, event_manipulation, action_timing, "
            "action_order"
        ).scalars()
        return {
            "snapshot": snapshot(engine),
            "tables": [
                conn.exec_driver_sql(f"SHOW CREATE TABLE `{name}`").one()[1] for name, _ in tables
            ],
            "rows": {
                name: [
                    dict(row) for row in conn.exec_driver_sql(f"SELECT * FROM `{name}`").mappings()
                ]
                for name, _ in tables
            },
            "triggers": [
                (made["sql_mode"], made["SQL Original Statement"])
                for made in (
                    conn.exec_driver_sql(f"SHOW CREATE TRIGGER `{name}`").mappings().one()
                    for name in list(guards)
                )
            ],
        }


def restore(engine: sa.Engine, copy: dict[str, Any]) -> None:
    """The database emptied and built again as `copy` holds it: cheaper on MariaDB than filling
    it through every earlier revision's migration, and held to the copied database's snapshot,
    so that a run from it is a run from the database copied."""
    verbatim = {"no_parameters": True}
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        for name in conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        ).scalars():
            conn.exec_driver_sql(f"DROP TABLE `{name}`")
        for statement in copy["tables"]:
            conn.exec_driver_sql(statement, execution_options=verbatim)
        for name, rows in copy["rows"].items():
            if rows:  # before the triggers, which would count or refuse them
                conn.execute(sa.insert(sa.table(name, *map(sa.column, rows[0]))), rows)
        conn.commit()
        for trigger_mode, statement in copy["triggers"]:
            conn.exec_driver_sql("SET SESSION sql_mode = %s", (trigger_mode,))
            conn.exec_driver_sql(statement, execution_options=verbatim)
        conn.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 1")
        conn.commit()
    found = snapshot(engine)
    assert found == copy["snapshot"], (
        f"restored otherwise at {first_difference(copy['snapshot'], found)}"
    )


def _stamp(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


TRIGGER_FACTS = (
    "trigger_name, event_object_table, event_manipulation, action_timing, action_order, "
    "action_statement, sql_mode, definer, character_set_client, collation_connection, "
    "database_collation"
)


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """All a later migration, store or comparison can read of the MariaDB database: each table
    (or view or sequence) with its definition as the server states it (the text SQLAlchemy's
    inspector reads columns, keys, indexes and constraints from, with the table's options, its
    columns' order and collations) and its rows, sorted; each trigger with its body and the
    modes it runs under; each stored routine and event."""
    with engine.connect() as conn:

        def rows(query: str) -> list[tuple[Any, ...]]:
            return sorted((tuple(row) for row in conn.exec_driver_sql(query)), key=repr)

        tables = rows(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = DATABASE()"
        )
        return {
            "tables": {
                name: {
                    "type": kind,
                    "definition": [  # lines without commas: a change shows on its own line
                        line.rstrip(",")
                        for line in conn.exec_driver_sql(f"SHOW CREATE TABLE `{name}`")
                        .one()[1]
                        .splitlines()
                    ],
                    "rows": rows(f"SELECT * FROM `{name}`"),
                }
                for name, kind in tables
            },
            "triggers": rows(
                f"SELECT {TRIGGER_FACTS} FROM information_schema.triggers "
                "WHERE trigger_schema = DATABASE()"
            ),
            "routines": rows(
                "SELECT routine_name, routine_type, routine_definition "
                "FROM information_schema.routines WHERE routine_schema = DATABASE()"
            ),
            "events": rows(
                "SELECT event_name, event_definition FROM information_schema.events "
                "WHERE event_schema = DATABASE()"
            ),
        }


def first_difference(expected: Any, found: Any, at: str = "") -> str | None:
    """Where `found` first differs from `expected` (nested dicts, lists and tuples), and how."""
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in sorted(expected.keys() | found.keys(), key=repr):
            if key not in found:
                return f"{at}/{key}: missing"
            if key not in expected:
                return f"{at}/{key}: not expected, {found[key]!r}"
            difference = first_difference(expected[key], found[key], f"{at}/{key}")
            if difference:
                return difference
        return None
    if isinstance(expected, list | tuple) and isinstance(found, list | tuple):
        for number, (old, new) in enumerate(zip(expected, found, strict=False)):
            difference = first_difference(old, new, f"{at}[{number}]")
            if difference:
                return difference
        if len(expected) != len(found):
            return f"{at}: {len(expected)} items expected, {len(found)} found"
        return None
    return None if expected == found else f"{at}: expected {expected!r}, found {found!r}"


def assert_as_uncut(engine: sa.Engine, uncut: dict[str, Any], cut_at: int) -> None:
    """The database is as the uncut run left it."""
    found = snapshot(engine)
    assert found == uncut, (
        f"cut off after statement {cut_at} and run again, the database differs from the uncut "
        f"run's at {first_difference(uncut, found)}"
    )


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
@pytest.mark.parametrize("revision", REVISIONS)
def test_a_migration_cut_off_after_any_committed_statement_finishes_when_run_again(
    mariadb_engine: sa.Engine, repeatable: Callable[[], None], revision: str, direction: str
) -> None:
    engine = mariadb_engine
    index = REVISIONS.index(revision)
    before = REVISIONS[index - 1] if index else "base"
    start, end = (before, revision) if direction == "upgrade" else (revision, before)
    migrate = _migrating(engine, direction, end, repeatable)

    statements, (problems, notes), filled = _run_whole(engine, start, migrate, repeatable)
    assert _stamp(engine) == (None if end == "base" else end)
    uncut = snapshot(engine)
    upgrade(engine)
    assert differences(engine) == []
    assert {"rfsm_transitions_no_update", "rfsm_transitions_no_delete"} <= triggers(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    assert {problem.case_id for problem in store.verify()} == problems
    if notes:
        assert len(store.redactions("redacted")) == notes

    for cut_at in _each_cut_off(engine, filled, migrate, statements):
        assert _stamp(engine) == (None if start == "base" else start), cut_at
        try:
            migrate()  # run again
        except Exception as error:
            raise AssertionError(f"run again after a cut-off at statement {cut_at}") from error
        assert_as_uncut(engine, uncut, cut_at)


def test_create_schema_cut_off_after_any_committed_statement_finishes_when_run_again(
    mariadb_engine: sa.Engine,
) -> None:
    """`create_schema()` (the CLI's first use of a database) too: run again, it makes the
    indexes of a table a cut-off run made without them, and the store works."""
    engine = mariadb_engine
    with cutting(None, engine) as made:
        SqlAlchemyStore(engine, calendar=CALENDAR).create_schema()
    statements = len(made)
    assert statements > len(schema.TABLE_NAMES)  # tables, their indexes and the guards
    assert _stamp(engine) == REVISIONS[-1]
    uncut = snapshot(engine)
    assert differences(engine) == []
    assert {"rfsm_transitions_no_update", "rfsm_transitions_no_delete"} <= triggers(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.save(built("case-01", 5))
    assert store.verify() == []
    # The comparison can fail, and says where: a row more, an index less.
    saved = snapshot(engine)
    assert "/tables/rfsm_cases/rows" in str(first_difference(uncut, saved))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_rfsm_open_items_due ON rfsm_open_items"))
    assert "ix_rfsm_open_items_due" in str(first_difference(saved, snapshot(engine)))

    for cut_at in range(1, statements + 1):
        reset_database(engine)
        with cutting(cut_at, engine), pytest.raises((CutOff, StoreError)):
            SqlAlchemyStore(engine, calendar=CALENDAR).create_schema()
        SqlAlchemyStore(engine, calendar=CALENDAR).create_schema()  # run again
        assert_as_uncut(engine, uncut, cut_at)


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
def test_0012_cut_off_anywhere_never_leaves_the_count_without_its_trigger(
    mariadb_engine: sa.Engine, repeatable: Callable[[], None], direction: str
) -> None:
    """A store of this version trusts the count of redaction records it reads on the case row:
    a count no trigger keeps would let a copy loaded before a redaction save over it (found by
    a review, after a downgrade cut off between dropping the trigger and the column). So the
    column never stands without its trigger; without the column, the store fails loudly."""
    engine = mariadb_engine
    start, end = ("0011", "0012") if direction == "upgrade" else ("0012", "0011")
    migrate = _migrating(engine, direction, end, repeatable)
    statements, _, filled = _run_whole(engine, start, migrate, repeatable)
    cuts = 0
    for cut_at in _each_cut_off(engine, filled, migrate, statements):
        cuts += 1
        counted = "redactions" in {c["name"] for c in sa.inspect(engine).get_columns("rfsm_cases")}
        assert not counted or "rfsm_redactions_counted" in triggers(engine), cut_at
    assert cuts >= 2  # the trigger and the column each commit by itself
