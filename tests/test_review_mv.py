"""Review MV: a whole store copied verbatim into another database (`copy_store`, `db copy`).

An import writes each entry afresh, with new salts and hashes, so no checkpoint of the source
verifies on what it writes, and no redaction record goes with it; the engines' own dump tools do
not cross engines. `copy_store` copies every row as stored, on any engine to any other: the copy
verifies, and so does the source's checkpoint taken before it.

The copies between engines run when RFSM_TEST_POSTGRES_URL and RFSM_TEST_MARIADB_URL are set
(skipped when unset; a URL set but unreachable fails).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reintegration_fsm import demo
from reintegration_fsm.cli import cli
from reintegration_fsm.demo import ADMISSIONS
from reintegration_fsm.stores import (
    CopyRefused,
    SqlAlchemyStore,
    copy_store,
    copying,
    schema,
    upgrade,
)
from reintegration_fsm.stores.migrate import head, revisions, stamped
from store_contract import CALENDAR, built

REDACTED = ("DEMO-0001", 2, ["form.parent_name"])
"""The demo's redaction: the parent's name on the consent form (a redacted entry keeps a salt
and no payload key, which the log's keyed guard refuses to insert as it is)."""

DAYS = (dt.date(2025, 9, 1), dt.date(2026, 1, 5), dt.date(2026, 4, 20), dt.date(2026, 12, 31))


def _made(url: str) -> str:
    """`url`, holding the demo's cases and one redaction; its verify() is empty."""
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()
        demo.run(store, CALENDAR)
        case_id, seq, paths = REDACTED
        store.redact(case_id, seq, paths, "Erasure request", by=ADMISSIONS, on=dt.date.today())
        assert store.verify() == []
    return url


def _stamp(url: str) -> str | None:
    """The revision the database at `url` is stamped with (its engine closed after)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return stamped(conn)
    finally:
        engine.dispose()


def _sequences(url: str) -> list[str]:
    """The PostgreSQL sequences in the database at `url` (none elsewhere): a store whose ids
    came from one would need it set past the copied ids (`setval`) for its next save."""
    engine = sa.create_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return []
        with engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT relname FROM pg_class WHERE relkind = 'S'")
            return [str(name) for name in found.scalars()]
    finally:
        engine.dispose()


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the store, as the store reads them, in key order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for table in schema.TABLES
            }
    finally:
        engine.dispose()


def _answers(store: SqlAlchemyStore) -> tuple[Any, ...]:
    """What the store answers about its cases."""
    return (
        store.cases(),
        [store.due(day) for day in DAYS],
        store.weightings(DAYS[0], DAYS[-1]),
        store.ledger(DAYS[0], DAYS[-1]),
        [store.history(summary.case_id) for summary in store.cases()],
        store.redactions(REDACTED[0]),
    )


@pytest.mark.parametrize(
    ("source_kind", "target_kind"),
    [
        ("sqlite", "postgres"),
        ("postgres", "mariadb"),
        ("mariadb", "sqlite"),
        ("sqlite", "sqlite"),
        ("postgres", "postgres"),
    ],
)
def test_a_copy_verifies_and_so_does_the_sources_checkpoint(
    database: Callable[[str, str], str], source_kind: str, target_kind: str
) -> None:
    """The copy holds every row as stored: it verifies, the source's checkpoint taken before
    the copy verifies on it, its redaction records are there, it answers as the source does,
    and it takes a new case."""
    source = _made(database(source_kind, "source"))
    target = database(target_kind, "target")
    with SqlAlchemyStore(source, calendar=CALENDAR) as original:
        anchor = original.checkpoint()
        report = copy_store(source, target, calendar=CALENDAR)
        assert (report.cases, report.redactions) == (4, 5)
        assert report.entries == sum(len(original.history(c.case_id)) for c in original.cases())
        assert report.problems == ()
        with SqlAlchemyStore(target, calendar=CALENDAR) as copy:
            assert copy.verify() == []
            assert copy.verify(anchor) == []
            assert copy.unguarded() == []
            assert copy.redactions(REDACTED[0])  # the record and its removal came along
            assert _answers(copy) == _answers(original)
            assert _rows(target) == _rows(source)
            copy.save(built("NEW-0001", 3))  # the next save works
            assert copy.verify(anchor) == []
            assert len(copy.history("NEW-0001")) == 3
    assert _stamp(target) == head()
    assert _sequences(target) == []  # no id a database hands out: none to set after the copy


def test_a_target_holding_a_case_is_refused_with_nothing_written(
    database_url: str, demo_db: str
) -> None:
    """A copy never merges two stores: a target holding a case is refused before a row is
    written, whatever its engine."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as target:
        target.save(built("OWN-0001", 2))
    before = _rows(database_url)
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, database_url, calendar=CALENDAR)
    assert refused.value.reason == copying.TARGET_HOLDS_CASES
    assert "never merges" in str(refused.value)
    assert _rows(database_url) == before


def test_a_source_not_at_head_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    """A source at an older revision is refused, naming `db upgrade`, and never upgraded."""
    source = f"sqlite:///{tmp_path / 'old.sqlite'}"
    older = revisions()[-2]
    upgrade(source, older)
    target = tmp_path / "target.sqlite"
    result = CliRunner().invoke(cli, ["--db", source, "db", "copy", str(target)])
    assert result.exit_code == 3, result.output
    assert "db upgrade" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(CopyRefused) as refused:
        copy_store(source, f"sqlite:///{target}")
    assert refused.value.reason == copying.SOURCE_BEHIND
    assert _stamp(source) == older
    assert sqlite3.connect(target).execute("SELECT * FROM sqlite_master").fetchall() == []


def test_a_copy_stopped_part_way_leaves_no_row(
    database_url: str, demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy interrupted (Ctrl-C) after the log's rows were written, as the case rows are,
    leaves no row of any table in the target: it writes in one transaction."""
    written = copying.write_rows

    def interrupted(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if table is schema.cases:
            raise KeyboardInterrupt
        written(conn, table, rows)

    monkeypatch.setattr(copying, "write_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        copy_store(demo_db, database_url, calendar=CALENDAR, batch=7)
    assert all(rows == [] for rows in _rows(database_url).values())
    monkeypatch.setattr(copying, "write_rows", written)
    assert copy_store(demo_db, database_url, calendar=CALENDAR).problems == ()


def _empty_store(url: str) -> str:
    """`url`, holding an empty store (a copy of it into itself would write nothing at all)."""
    with SqlAlchemyStore(url) as store:
        store.create_schema()
    return url


def test_one_database_given_twice_is_refused(
    database: Callable[[str, str], str], tmp_path: Path
) -> None:
    """The source and the target spelt two ways but one database are refused, on each engine,
    even where the copy would write nothing (the store is empty)."""
    (tmp_path / "sub").mkdir()
    spellings = [
        (
            _empty_store(database("sqlite", "source")),
            f"sqlite:///{tmp_path / 'sub' / '..' / 'source.sqlite'}",
        )
    ]
    for kind in ("postgres", "mariadb"):
        try:
            url = _empty_store(database(kind, "source"))
        except pytest.skip.Exception:
            continue
        spellings.append((url, sa.make_url(url).set(host="localhost").render_as_string(False)))
    for source, target in spellings:
        with pytest.raises(CopyRefused) as refused:
            copy_store(source, target, calendar=CALENDAR)
        assert refused.value.reason == copying.SAME_DATABASE


def test_the_command_copies_into_a_new_file_its_owner_alone_reads(
    demo_db: str, tmp_path: Path
) -> None:
    """`db copy` makes a new SQLite target 0600 under any umask, says what it copied and that
    the copy verifies (in JSON too); a refused copy leaves no file it made."""
    target = tmp_path / "moved.sqlite"
    old = os.umask(0o022)
    try:
        result = CliRunner().invoke(cli, ["--db", demo_db, "db", "copy", str(target)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert result.output.startswith("copied 4 cases, ")
    assert "sound: " in result.output
    again = CliRunner().invoke(
        cli, ["--db", demo_db, "db", "copy", str(target), "--format", "json"]
    )
    assert again.exit_code == 2
    assert "never merges two stores" in again.output
    fresh = tmp_path / "fresh.sqlite"
    result = CliRunner().invoke(
        cli, ["--db", demo_db, "db", "copy", str(fresh), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"problems": []' in result.output
    assert '"cases": 4' in result.output
    scoped = CliRunner().invoke(
        cli,
        [
            "--db",
            demo_db,
            "--authority",
            "Exampleshire County Council",
            "db",
            "copy",
            str(tmp_path / "scoped.sqlite"),
        ],
    )
    assert scoped.exit_code == 2
    assert "--authority" in scoped.output
    assert not (tmp_path / "scoped.sqlite").exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    result = CliRunner().invoke(cli, ["--db", str(empty), "db", "copy", str(tmp_path / "e.sqlite")])
    assert result.exit_code == 2, result.output
    assert "no case store there" in result.output
    assert empty.stat().st_size == 0  # not opened, so not made a WAL file (review KX, KX3)
    assert not (tmp_path / "e.sqlite").exists()
    assert _stamp(f"sqlite:///{target}") == head()
