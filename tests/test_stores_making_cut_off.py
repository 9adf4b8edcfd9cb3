"""A store's making cut off after any statement that commits by itself is refused, by the CLI's
read commands and by `verify()`, until `create_schema()`, `upgrade()`, `db upgrade` or a command
that creates finishes it; then the schema is the one a fresh making builds, and the store works.

The making is `create_schema()`, `upgrade()` or the CLI's first use of an empty database (which
runs `upgrade()`). MariaDB commits each CREATE, ALTER and DROP at once: cut off, the making left
tables that read as a store. SQLite and PostgreSQL make a store in one transaction: cut off, it
leaves nothing, and a read command finds no store there. A cut-off is raised right after the
making's n-th such statement (`test_stores_migrations_resumable`'s `CutOff`): on MariaDB for
every n of `create_schema()` and every third of `upgrade()` (whose migrations that module cuts
after each statement), for the first, a middle and the last on the others. The CLI's first use
makes the store with `upgrade()`'s own statements (checked), so on MariaDB it is cut at a few of
them only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.command import stamp
from click.testing import CliRunner, Result

from reintegration_fsm.cli import cli, views
from reintegration_fsm.cli.errors import BAD_INPUT, UNAVAILABLE
from reintegration_fsm.cli.text import to_json
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, upgrade
from reintegration_fsm.stores.migrate import CREATING, VERSION_TABLE, config, head
from scenario import ADMISSIONS, AUTHORITY
from store_contract import CALENDAR, built, log_refuses_updates, reachable_engine, reset_database
from test_stores_migrations import differences, triggers
from test_stores_migrations_resumable import CutOff, _stamp, cutting

MAKINGS = ("create_schema()", "upgrade()", "import")
"""The ways a store is made on an empty database (`import`: the CLI's first use)."""
FINISHINGS = ("create_schema()", "upgrade()", "db upgrade", "import")
"""The ways a cut-off making is finished, taken in turn as n grows."""


class CommandFailed(Exception):
    """The CLI command making the store exited with an error (the cut-off, reported)."""


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cases.sqlite'}"
        return
    found: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    engine = reachable_engine(found)
    reset_database(engine)
    yield found
    reset_database(engine)
    engine.dispose()


def invoke(url: str, *args: str) -> Result:
    """Run the command in-process against the database at `url`."""
    environment = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    return CliRunner().invoke(cli, ["--db", url, *args], env=environment)


def no_traceback(result: Result) -> None:
    """The run ended through an exit code, with no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def _run(url: str, way: str, given: Path) -> None:
    """Make (or finish making) the store at `url` one way."""
    if way == "create_schema()":
        store = SqlAlchemyStore(url, calendar=CALENDAR)
        try:
            store.create_schema()
        finally:
            store.close()
    elif way == "upgrade()":
        upgrade(url)
    else:
        command = ("db", "upgrade") if way == "db upgrade" else ("import", str(given))
        result = invoke(url, *command)
        if result.exit_code:
            raise CommandFailed(result.output)


def _tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def _refused(url: str, *, every_call: bool = True) -> None:
    """Every read is refused, saying the making was cut off and how to finish it; or, not
    `every_call`, `verify()` alone is (the calls all ask the one marker the making lays first,
    so the cuts between a few checked whole need only show the marker is still found)."""
    if not every_call:
        _verify_refused(url)
        return
    for command in (("cases",), ("verify",)):
        result = invoke(url, *command)
        no_traceback(result)
        assert result.exit_code == UNAVAILABLE, result.output
        assert "making was cut off" in result.stderr, result.output
        assert "reintegration-fsm db upgrade" in result.stderr, result.output
    _verify_refused(url)
    # Every other call of a store that did not make it is refused too, before it reads or
    # writes the half-made tables (a save there might find no append-only triggers).
    calls: dict[str, Callable[[SqlAlchemyStore], object]] = {
        "save case 'case-01'": lambda store: store.save(built("case-01", 3)),
        "load case 'case-01'": lambda store: store.load("case-01"),
        "list cases": lambda store: store.cases(),
        "list what is due": lambda store: store.due(dt.date(2026, 3, 1)),
        "import case 'case-02'": lambda store: store.import_histories(
            [(AUTHORITY, built("case-02", 3).history)]
        ),
    }
    for name, call in calls.items():
        store = SqlAlchemyStore(url, calendar=CALENDAR)
        try:
            with pytest.raises(StoreError) as refused:
                call(store)
        finally:
            store.close()
        assert not refused.value.retryable, name
        assert f"could not {name}: the store's making was cut off" in str(refused.value), name


def _verify_refused(url: str) -> None:
    """`verify()` is refused, not to be retried, saying the making was cut off and how to
    finish it."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    try:
        with pytest.raises(StoreError) as refused:
            store.verify()
    finally:
        store.close()
    assert not refused.value.retryable
    assert "making was cut off" in str(refused.value)
    assert "db upgrade" in str(refused.value)


SPACING = 3
"""`upgrade()` on MariaDB is cut after every third statement (three and four being coprime,
each of the four finishings follows cuts all through the making)."""


def _cuts(url: str, making: str, made: list[str], given: Path) -> list[int]:
    """After which of the making's committing statements (`made`) it is cut off: a
    transactional engine leaves nothing wherever the cut falls, so its first, middle and last
    stand for the rest; MariaDB leaves more after each, so `create_schema()` is cut after each.
    `upgrade()` runs every migration's statements, each of which the migration's own test
    (`test_stores_migrations_resumable`) cuts and resumes, so it is cut after every
    `SPACING`-th, its first four and its last two. The CLI's first use runs `upgrade()`'s
    statements: its first four (each finished one of the four ways), a middle one and its last
    two are cut."""
    last = len(made)
    if not url.startswith("mysql"):
        return sorted({1, last // 2, last})
    if making == "create_schema()":
        return list(range(1, last + 1))
    if making == "upgrade()":  # every migration's statements; each resumes in its own test
        return sorted({1, 2, 3, 4, *range(1, last + 1, SPACING), last - 1, last})
    engine = sa.create_engine(url)
    reset_database(engine)
    engine.dispose()
    with cutting(None) as upgrading:
        _run(url, "upgrade()", given)
    assert upgrading == made  # if they part, cut the import's at every statement too
    return sorted({1, 2, 3, 4, last // 2, last - 1, last})


@pytest.mark.parametrize("making", MAKINGS)
def test_a_making_cut_off_after_any_committed_statement_is_refused_until_finished(
    url: str, making: str, tmp_path: Path
) -> None:
    given = tmp_path / "one.json"  # what `import` reads: one case, not the one saved below
    given.write_text(to_json(views.export(built("imported", 3), dt.date(2026, 7, 1))), "utf-8")
    engine = sa.create_engine(url)
    mariadb = engine.dialect.name == "mysql"
    with cutting(None) as made:
        _run(url, making, given)
    statements = len(made)
    assert statements > 1
    guards = triggers(engine)  # the append-only triggers of a whole making
    assert guards

    for cut_at in _cuts(url, making, made, given):
        reset_database(engine)
        with cutting(cut_at), pytest.raises((CutOff, StoreError, CommandFailed)):
            _run(url, making, given)
        left = _tables(engine)
        if not mariadb:  # one transaction: nothing is left
            assert left == set(), cut_at
            result = invoke(url, "cases")
            no_traceback(result)
            assert result.exit_code == BAD_INPUT, result.output
            assert "no case store there" in result.stderr
        elif cut_at < statements:
            # Every call is checked after the first few cuts, a middle one and the last two;
            # `verify()` after each (every call after each cost a third of this test's time).
            _refused(url, every_call=cut_at in {1, 2, 3, 4, statements // 2, statements - 1})
            assert CREATING in left, cut_at
        else:  # cut off after the last statement, the marker's DROP: the store is whole
            assert CREATING not in left
            assert _stamp(engine) == head()

        finishing = FINISHINGS[cut_at % len(FINISHINGS)]
        try:
            _run(url, finishing, given)
        except Exception as error:
            raise AssertionError(f"{finishing} after a cut-off at statement {cut_at}") from error

        assert CREATING not in _tables(engine), (cut_at, finishing)
        assert _stamp(engine) == head(), (cut_at, finishing)
        assert differences(engine) == [], (cut_at, finishing)
        assert triggers(engine) == guards, (cut_at, finishing)
        store = SqlAlchemyStore(url, calendar=CALENDAR)
        store.save(built("case-01", 5))
        assert store.verify() == [], (cut_at, finishing)
        store.close()
        assert invoke(url, "cases").exit_code == 0, (cut_at, finishing)
    engine.dispose()


def _restore_the_version_table(engine: sa.Engine, revision: str) -> None:
    """Put back the version table the tables were copied without, at their `revision`."""
    with engine.begin() as conn:
        cfg = config()
        cfg.attributes["connection"] = conn
        stamp(cfg, revision)


def _everything(engine: sa.Engine) -> dict[str, Any]:
    """The database's tables, each one's columns, indexes and rows, and the triggers."""
    found: dict[str, Any] = {"triggers": triggers(engine)}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for name in sorted(inspector.get_table_names()):
            found[name] = (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)],
                sorted(str(index["name"]) for index in inspector.get_indexes(name)),
                sorted(map(repr, conn.execute(sa.text(f"SELECT * FROM {name}")))),
            )
    return found


def test_a_store_made_before_stamping_is_not_taken_for_a_cut_off_making(url: str) -> None:
    """A store holding the library's tables under no stamp and no marker (as `create_schema()`
    made them before it stamped, revision 1's shape) is not finished as a cut-off making: no
    marker is laid, and nothing of it refused as cut off. `upgrade()` cannot know its revision
    and refuses it, changing nothing; with its version table back, it brings it forward."""
    engine = sa.create_engine(url)
    upgrade(engine, revision="0001")
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {VERSION_TABLE}"))
    before = _everything(engine)
    laid: list[str] = []

    def seen(*args: Any) -> None:
        if f"CREATE TABLE {CREATING}" in " ".join(args[2].split()):
            laid.append(args[2])

    listener: Callable[..., None] = seen
    sa.event.listen(sa.Engine, "after_cursor_execute", listener)
    try:
        assert "making was cut off" not in invoke(url, "cases").output
        with pytest.raises(StoreError, match=f"version table {VERSION_TABLE} is missing"):
            upgrade(url)
    finally:
        sa.event.remove(sa.Engine, "after_cursor_execute", listener)
    assert laid == []
    assert _everything(engine) == before
    _restore_the_version_table(engine, "0001")
    upgrade(url)
    assert _stamp(engine) == head()
    assert differences(engine) == []
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.save(built("case-01", 5))
    assert store.verify() == []
    store.close()
    engine.dispose()


def test_upgrade_of_a_store_whose_version_table_is_missing_leaves_it_as_it_was(url: str) -> None:
    """A sound store of this version whose `rfsm_alembic_version` table is gone (its tables
    copied or restored without it) loads, saves and verifies. `upgrade()` (the documented step
    after every package upgrade) took it for revision 1 and ran every migration over it: on
    MariaDB 0003 dropped the log's UPDATE guard and the run stopped with the stamp at 0002,
    after which every command refused the database and `db upgrade` said to run `db upgrade`
    (found by a review). Now it is refused, saying why and how to recover, changing nothing;
    with the version table restored, the upgrade finds it at head."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 5))
    store.close()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")
        before = _everything(engine)
        with SqlAlchemyStore(url, calendar=CALENDAR) as usable:
            assert usable.verify() == []  # usable as it stands

        with pytest.raises(StoreError) as refused:
            upgrade(url)
        message = str(refused.value)
        assert not refused.value.retryable
        assert f"its version table {VERSION_TABLE} is missing" in message, message
        assert "revision they are at cannot be known" in message, message
        assert "nothing was changed" in message, message
        assert f"Restore {VERSION_TABLE} together with the other tables" in message, message
        assert "run upgrade" not in message, message
        assert _everything(engine) == before
        assert log_refuses_updates(engine)
        result = invoke(url, "db", "upgrade")
        no_traceback(result)
        assert result.exit_code == UNAVAILABLE, result.output
        assert f"version table {VERSION_TABLE} is missing" in result.output, result.output
        assert _everything(engine) == before

        _restore_the_version_table(engine, head())
        upgrade(url)
        assert _stamp(engine) == head()
        assert _everything(engine)["triggers"] == before["triggers"]
        with SqlAlchemyStore(url, calendar=CALENDAR) as after:
            after.save(built("case-02", 3))
            assert after.verify() == []
    finally:
        engine.dispose()


def _cut_off_by_an_earlier_version(engine: sa.Engine) -> None:
    """What an earlier version's `create_schema()` cut off on MariaDB left: its marker, its case
    table (without the column revision 0012 adds) and no stamp."""
    from reintegration_fsm.stores import schema

    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {CREATING} (made_by VARCHAR(16) PRIMARY KEY)")
        conn.exec_driver_sql(f"INSERT INTO {CREATING} VALUES ('create_schema')")
        schema.cases.create(conn)
        conn.exec_driver_sql("ALTER TABLE rfsm_cases DROP COLUMN redactions")


@pytest.mark.parametrize("way", ["create_schema()", "upgrade()"])
def test_a_making_an_earlier_version_cut_off_is_finished_with_this_versions_tables(
    mariadb_url: str, way: str
) -> None:
    """No store could use its tables while the marker stood, so they hold nothing: they are
    made again as this version makes them (found by a review: the table kept its earlier
    layout, the database was stamped with the newest revision, and no upgrade could mend it)."""
    engine = reachable_engine(mariadb_url)
    reset_database(engine)
    _cut_off_by_an_earlier_version(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    if way == "create_schema()":
        store.create_schema()
    else:
        upgrade(engine)
    assert _stamp(engine) == head()
    assert differences(engine) == []
    assert CREATING not in _tables(engine)
    store.save(built("case-01", 3))
    store.redact("case-01", 2, ["form.parent_name"], "asked", by=ADMISSIONS, on=dt.date.today())
    assert store.verify() == []
    store.close()
    reset_database(engine)
    engine.dispose()


def test_a_cut_off_making_whose_tables_hold_rows_is_refused_changing_nothing(
    mariadb_url: str,
) -> None:
    """Rows written past the store while the marker stood: not dropped, and not taken for
    a store either."""
    engine = reachable_engine(mariadb_url)
    reset_database(engine)
    _cut_off_by_an_earlier_version(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO rfsm_cases (case_id, authority, stage, version, last_hash, pupil_name, "
            "ap_setting, opened_on, last_on, case_id_folded, pupil_name_folded) VALUES "
            "('x', 'a', 'proposed', 1, 'h', 'n', 's', '2026-01-05', '2026-01-05', 'x', 'n')"
        )
    with pytest.raises(StoreError, match="rfsm_cases holds rows"):
        SqlAlchemyStore(engine, calendar=CALENDAR).create_schema()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT case_id FROM rfsm_cases").scalars().all() == ["x"]
    assert CREATING in _tables(engine)
    reset_database(engine)
    engine.dispose()
