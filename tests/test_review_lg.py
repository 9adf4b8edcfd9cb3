"""Review LG: personal data leaking into logs, exceptions and their chains (LG1-LG3)."""

from __future__ import annotations

import datetime as dt
import logging
import pickle

import attrs
import pytest
import sqlalchemy as sa

from reintegration_fsm import Pupil, StoreError
from reintegration_fsm.stores import SqlAlchemyStore
from store_contract import CALENDAR, opened

SECRETS = ("Zebedee Secretname", "2013-07-01", "12 Secret Lane")
"""What a child's record holds that no log line or chained error may show."""


def _secret_pupil() -> Pupil:
    return Pupil(SECRETS[0], dt.date(2013, 7, 1), key_stage=3, address="12 Secret Lane, Exton")


def test_a_callers_engine_logs_no_parameters(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """LG1: an integrator passes their own engine, made without `hide_parameters`, and turns
    SQLAlchemy's statement log on (`echo=True` does the same): the statements are logged, the
    child's name, date of birth and address, which were their parameters, are not."""
    engine = sa.create_engine(database_url)
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            store = SqlAlchemyStore(engine, calendar=CALENDAR)
            store.save(opened("pii-01", pupil=_secret_pupil()))
            assert store.load("pii-01").pupil.name == SECRETS[0]
        logged = caplog.text
        assert "INSERT INTO rfsm_transitions" in logged  # the log was on
        for secret in SECRETS:
            assert secret not in logged
    finally:
        engine.dispose()


def _refuse_opening(engine: sa.Engine) -> None:
    """Make the database refuse the log row of an `open` (a constraint an administrator
    added, say), so that a save fails on the row that holds the child's details."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER rfsm_test_refuse BEFORE INSERT ON rfsm_transitions "
                "WHEN NEW.trigger_name = 'open' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "ALTER TABLE rfsm_transitions ADD CONSTRAINT rfsm_test_refuse "
                "CHECK (trigger_name <> 'open')"
            )


def test_a_refused_save_chains_no_parameters_even_pickled(database_url: str) -> None:
    """LG2, LG3: the `StoreError` chains SQLAlchemy's error, whose message hid the parameters
    but whose `params` kept them, and PostgreSQL's, whose `diag` kept the DETAIL quoting the
    refused row: what a job queue or a worker process pickles, or a debugger shows, held the
    child's name. Neither keeps them now, and the cause still says where it failed."""
    engine = sa.create_engine(database_url)
    try:
        _refuse_opening(engine)
        store = SqlAlchemyStore(engine, calendar=CALENDAR)
        with pytest.raises(StoreError) as refused:
            store.save(opened("pii-02", pupil=_secret_pupil()))
        cause = refused.value.__cause__
        assert isinstance(cause, sa.exc.DBAPIError)
        if engine.dialect.name != "sqlite":  # LG5: which rule refused it (SQLite: a trigger)
            assert 'constraint "rfsm_test_refuse" of table "rfsm_transitions"' in str(refused.value)
        assert cause.params is None
        assert "rfsm_transitions" in str(cause)  # the statement, which names no value
        diag = getattr(cause.orig, "diag", None)
        if diag is not None:  # psycopg
            assert diag.message_detail is None
            assert diag.constraint_name == "rfsm_test_refuse"  # what names the failure stays
        pickled = pickle.dumps(cause)
        for secret in SECRETS:
            assert secret.encode() not in pickled
            assert secret not in repr(vars(cause))
        copy = pickle.loads(pickled)
        assert type(copy) is type(cause)
        assert str(copy) == str(cause)
    finally:
        engine.dispose()


def test_LG9_a_pupils_repr_leaves_out_its_special_category_data() -> None:
    """A `Pupil`'s repr, which logs and error trackers print, named its ethnicity and SEND
    level; it names neither now, and the pupil keeps both (equality reads them still)."""
    pupil = Pupil(
        "Ada Invented",
        dt.date(2012, 5, 14),
        key_stage=3,
        send_level="SEN support: speech and language",
        ethnicity="White and Black Caribbean",
    )
    shown = repr(pupil)
    assert "Ada Invented" in shown  # the repr is still the pupil's
    for hidden in ("speech and language", "Caribbean", "send_level", "ethnicity"):
        assert hidden not in shown
    assert pupil.ethnicity == "White and Black Caribbean"
    assert pupil != attrs.evolve(pupil, ethnicity="")
