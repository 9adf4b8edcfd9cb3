"""Every migration, cut off on MariaDB after any statement that commits by itself, finishes when
run again: nothing lost, the schema as `create_schema()` builds it, the log guarded and sound.

MariaDB commits each CREATE, ALTER, DROP and RENAME at once, with the rows changed before it: a
migration cut off part way (a lost connection, a killed server or client) leaves its first
changes in place under the previous revision's stamp. Here a cut-off is an error raised right
after the migration's n-th such statement, for every n, in both directions; the migration's
rows changed since that statement are rolled back, as the server does with a lost connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, schema, upgrade
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


class CutOff(Exception):
    """The connection lost right after a statement MariaDB committed."""


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


def _migrating(engine: sa.Engine, direction: str, end: str) -> Callable[[], None]:
    """The migration of `engine` to `end`, up or down."""

    def migrate() -> None:
        if direction == "upgrade":
            upgrade(engine, revision=end)
        else:
            _downgrade_to(engine, end)

    return migrate


def _each_cut_off(
    engine: sa.Engine, start: str, migrate: Callable[[], None]
) -> Iterator[tuple[int, tuple[set[str], int]]]:
    """For every n: the database filled at `start` (what `_filled` expects of it) and `migrate`
    cut off right after its n-th committing statement; n and that expectation."""
    _filled(engine, start)
    with cutting(None, engine) as made:
        migrate()
    for cut_at in range(1, len(made) + 1):
        expected = _filled(engine, start)
        with cutting(cut_at, engine), pytest.raises((CutOff, StoreError)):
            migrate()
        yield cut_at, expected


def _stamp(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        return conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
@pytest.mark.parametrize("revision", REVISIONS)
def test_a_migration_cut_off_after_any_committed_statement_finishes_when_run_again(
    mariadb_engine: sa.Engine, revision: str, direction: str
) -> None:
    engine = mariadb_engine
    index = REVISIONS.index(revision)
    before = REVISIONS[index - 1] if index else "base"
    start, end = (before, revision) if direction == "upgrade" else (revision, before)
    migrate = _migrating(engine, direction, end)

    for cut_at, (problems, notes) in _each_cut_off(engine, start, migrate):
        assert _stamp(engine) == (None if start == "base" else start), cut_at

        try:
            migrate()  # run again
        except Exception as error:
            raise AssertionError(f"run again after a cut-off at statement {cut_at}") from error

        assert _stamp(engine) == (None if end == "base" else end), cut_at
        upgrade(engine)
        assert differences(engine) == [], cut_at
        assert {"rfsm_transitions_no_update", "rfsm_transitions_no_delete"} <= triggers(engine)
        store = SqlAlchemyStore(engine, calendar=CALENDAR)
        assert {problem.case_id for problem in store.verify()} == problems, cut_at
        if notes:
            assert len(store.redactions("redacted")) == notes, cut_at


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

    for cut_at in range(1, statements + 1):
        reset_database(engine)
        with cutting(cut_at, engine), pytest.raises((CutOff, StoreError)):
            SqlAlchemyStore(engine, calendar=CALENDAR).create_schema()

        store = SqlAlchemyStore(engine, calendar=CALENDAR)
        store.create_schema()  # run again

        assert _stamp(engine) == REVISIONS[-1], cut_at
        assert differences(engine) == [], cut_at
        assert {"rfsm_transitions_no_update", "rfsm_transitions_no_delete"} <= triggers(engine)
        store.save(built("case-01", 5))
        assert store.verify() == [], cut_at


@pytest.mark.parametrize("direction", ["upgrade", "downgrade"])
def test_0012_cut_off_anywhere_never_leaves_the_count_without_its_trigger(
    mariadb_engine: sa.Engine, direction: str
) -> None:
    """A store of this version trusts the count of redaction records it reads on the case row:
    a count no trigger keeps would let a copy loaded before a redaction save over it (found by
    a review, after a downgrade cut off between dropping the trigger and the column). So the
    column never stands without its trigger; without the column, the store fails loudly."""
    engine = mariadb_engine
    start, end = ("0011", "0012") if direction == "upgrade" else ("0012", "0011")
    cuts = 0
    for cut_at, _ in _each_cut_off(engine, start, _migrating(engine, direction, end)):
        cuts += 1
        counted = "redactions" in {c["name"] for c in sa.inspect(engine).get_columns("rfsm_cases")}
        assert not counted or "rfsm_redactions_counted" in triggers(engine), cut_at
    assert cuts >= 2  # the trigger and the column each commit by itself
