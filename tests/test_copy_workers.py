"""`copy_store(workers=N)` and `db copy --workers N`: the copy's check, a `verify()` of the copy
that takes most of the copy's time, in N processes, finding what one process finds.

The targets on PostgreSQL and MariaDB run when RFSM_TEST_POSTGRES_URL and RFSM_TEST_MARIADB_URL
are set (skipped when unset; a URL set but unreachable fails).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from conftest import database_beside
from reintegration_fsm.cli import cli
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import SqlAlchemyStore, copy_store, parallel, schema, sql_verifying
from store_contract import CALENDAR, built, reachable_engine, reset_database

CASES = 7


@pytest.fixture
def spread_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The workers each `parallel.spread` call was given (the real one runs), with a batch of
    two cases to a range, so that a small store has several ranges to hand out."""
    monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 2)
    calls: list[int] = []
    real = parallel.spread

    def spread(work: Any, spans: Any, workers: int, done: Any, action: str) -> Any:
        calls.append(workers)
        return real(work, spans, workers, done, action)

    monkeypatch.setattr(parallel, "spread", spread)
    return calls


@pytest.fixture
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty target by engine: a SQLite file not made yet, or an emptied database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'target.sqlite'}"
        return
    url = database_beside(request.getfixturevalue(f"{request.param}_url"), "cw")
    engine = reachable_engine(url)
    reset_database(engine)
    yield url
    reset_database(engine)
    engine.dispose()


def _source(tmp_path: Path, tampered: bool) -> str:
    """A SQLite store of `CASES` cases; `tampered`, one case row's version set back."""
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()
        for number in range(CASES):
            store.save(built(f"case-{number:02}", 2 + number))
        if tampered:
            with store.engine.begin() as conn:
                conn.execute(
                    sa.update(schema.cases)
                    .where(schema.cases.c.case_id == "case-05")
                    .values(version=2)
                )
    return url


@pytest.mark.parametrize("target", ["sqlite", "postgres", "mariadb"], indirect=True)
def test_a_copy_checked_in_workers_is_sound(
    tmp_path: Path, target: str, spread_calls: list[int]
) -> None:
    """A sound source's copy, checked in two processes: sound, every case counted."""
    report = copy_store(_source(tmp_path, False), target, calendar=CALENDAR, workers=2)
    assert spread_calls == [2]
    assert report.problems == ()
    assert report.cases == CASES


def test_a_copy_checked_in_workers_finds_what_one_process_finds(
    tmp_path: Path, spread_calls: list[int]
) -> None:
    """A tampered source's copy names the same problems, in the same order, in two processes
    as in one (the copy does not launder a tampered store whatever its workers)."""
    source = _source(tmp_path, True)
    one = copy_store(source, f"sqlite:///{tmp_path / 'one.sqlite'}", calendar=CALENDAR)
    assert spread_calls == []
    two = copy_store(source, f"sqlite:///{tmp_path / 'two.sqlite'}", calendar=CALENDAR, workers=2)
    assert spread_calls == [2]
    assert [p.case_id for p in one.problems] == ["case-05"]
    assert two.problems == one.problems


def test_a_target_engine_given_is_checked_in_this_process(
    tmp_path: Path, spread_calls: list[int]
) -> None:
    """An engine the caller made may need more than its URL to reach its database: the copy
    into it is checked here, whatever the workers, and is sound."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'target.sqlite'}")
    try:
        report = copy_store(_source(tmp_path, False), engine, calendar=CALENDAR, workers=2)
    finally:
        engine.dispose()
    assert spread_calls == []
    assert report.problems == ()


@pytest.mark.parametrize("workers", [0, -1, True, 1.5, "2"])
def test_workers_not_a_whole_number_of_one_or_more_are_refused_before_a_write(
    tmp_path: Path, workers: Any
) -> None:
    """A wrong count is the caller's form error, named as the copy's, and no target file is
    made."""
    made = tmp_path / "target.sqlite"
    with pytest.raises(FormInvalid, match="workers") as refused:
        copy_store(_source(tmp_path, False), f"sqlite:///{made}", workers=workers)
    assert refused.value.form == "copy"
    assert not made.exists()


def test_the_command_checks_the_copy_in_workers(tmp_path: Path, spread_calls: list[int]) -> None:
    """`db copy --workers 2` checks the copy in two processes and says it is sound; `--workers
    0` is a usage error that writes nothing."""
    source = _source(tmp_path, False)
    run: Callable[..., Any] = CliRunner().invoke
    refused = run(
        cli, ["--db", source, "db", "copy", str(tmp_path / "no.sqlite"), "--workers", "0"]
    )
    assert refused.exit_code == 2
    assert "--workers" in refused.output
    assert not (tmp_path / "no.sqlite").exists()
    moved = tmp_path / "moved.sqlite"
    result = run(cli, ["--db", source, "db", "copy", str(moved), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert spread_calls == [2]
    assert f"copied {CASES} cases, " in result.output
    assert "sound: " in result.output
