"""Random protocol runs through the stores: a case as it stood on any date is the replay of its
history's prefix, and a retention run over any case keeps it loading, verifying and counting
the same; on the in-memory store and on SQLite."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from reintegration_fsm import CaseNotFound, Reintegration
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore, erasure
from reintegration_fsm.testing import ProtocolRun, RunStep, play, protocol_runs
from scenario import ADMISSIONS
from store_contract import CALENDAR, Store

NUMBERS = itertools.count()


def _renamed(run: ProtocolRun) -> ProtocolRun:
    """The run under a case id no earlier example used (the stores here live across examples)."""
    first = run.steps[0]
    kwargs = dict(first.kwargs) | {"case_id": f"run-{next(NUMBERS):06}"}
    return attrs.evolve(run, steps=(RunStep(first.trigger, kwargs), *run.steps[1:]))


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """A store of each kind, one per test (examples add their own cases to it)."""
    if request.param == "memory":
        memory = InMemoryStore(calendar=CALENDAR)
        yield lambda: memory
        return
    with SqlAlchemyStore(f"sqlite:///{tmp_path / 'runs.db'}", calendar=CALENDAR) as sql:
        sql.create_schema()
        yield lambda: sql


SETTINGS = settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(run=protocol_runs(), offset=st.integers(-5, 400))
def test_a_case_as_it_stood_is_the_replay_of_its_historys_prefix(
    make_store: Callable[[], Store], run: ProtocolRun, offset: int
) -> None:
    store = make_store()
    case = play(_renamed(run))
    store.save(case)
    as_of = case.history[0].on + dt.timedelta(days=offset)
    prefix = [t for t in case.history if t.on <= as_of]
    if not prefix:
        with pytest.raises(CaseNotFound):
            store.load(case.case_id, as_of=as_of)
        return
    assert store.load(case.case_id, as_of=as_of) == Reintegration.replay(prefix, CALENDAR)


@SETTINGS
@given(run=protocol_runs(), offset=st.integers(0, 400))
def test_retention_over_any_case_keeps_it_loading_verifying_and_counting(
    make_store: Callable[[], Store],
    clock: Callable[[dt.date], None],
    run: ProtocolRun,
    offset: int,
) -> None:
    store = make_store()
    case = play(_renamed(run))
    store.save(case)
    born = case.pupil.date_of_birth
    on = born + dt.timedelta(
        days=366 * 30
    )  # thirty years on, whatever the birthday (29 February too)
    clock(on)  # the run is dated the day it is done
    run_done = store.apply_retention(on, by=ADMISSIONS)
    if not case.stage.is_final:  # still running: left alone, and named for a person to check
        assert case.case_id not in {d.case_id for d in run_done}
        assert case.case_id in {held.case_id for held in store.held_retention(on)}
        assert store.load(case.case_id) == case
        return
    [done] = [d for d in run_done if d.case_id == case.case_id]
    assert done.personal_data_left
    after = store.load(case.case_id)
    assert (after.stage, after.deadlines, after.obligations, after.departures) == (
        case.stage,
        case.deadlines,
        case.obligations,
        case.departures,
    )
    assert after.weighting_adjustments == case.weighting_adjustments
    assert after.pupil.name.startswith("(redacted on ")
    assert [p for p in store.verify() if p.case_id == case.case_id] == []
    history = store.history(case.case_id)
    assert len(history) == case.version
    assert not any(erasure.retention_targets([row]) for row in _stored_entries(store, case.case_id))
    as_of = case.history[0].on + dt.timedelta(days=offset)
    prefix = [t for t in history if t.on <= as_of]
    if prefix:
        assert store.load(case.case_id, as_of=as_of) == Reintegration.replay(prefix, CALENDAR)


def _stored_entries(store: Store, case_id: str) -> list[dict[str, object]]:
    if isinstance(store, InMemoryStore):
        return [dict(row) for row in store._log[case_id]]
    import sqlalchemy as sa

    from reintegration_fsm.stores import schema

    with store.engine.connect() as conn:
        query = sa.select(schema.transitions).where(schema.transitions.c.case_id == case_id)
        return [dict(row) for row in conn.execute(query).mappings()]
