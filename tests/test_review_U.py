"""Review U: the audit log as evidence (verify, checkpoints, the standalone checker, redaction
and retention), as an officer, an auditor, a court and an attacker see it. One test per finding
of FINDINGS.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reintegration_fsm import Actor, Pupil, Reintegration, Role
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from store_contract import CALENDAR

HEAD = Actor("ap-1", "Robin Ashdown", Role.AP_HEAD, "Larkspur Learning Centre")
OFFICER = Actor("la-9", "Jo Whitfield", Role.LA_ADMISSIONS, "Exampleshire County Council")


def _opened(case_id: str, on: dt.date) -> Reintegration:
    return Reintegration.open(
        case_id,
        Pupil("Rowan Testwell", dt.date(2012, 3, 9), key_stage=3, address="1 Example Row"),
        "Larkspur Learning Centre",
        "Exampleshire County Council",
        by=HEAD,
        on=on,
        calendar=CALENDAR,
    )


def _sqlite(tmp_path: Path) -> SqlAlchemyStore:
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'kept.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    return store


@pytest.mark.xfail(
    strict=True,
    reason="U2: an erasure request cannot be honoured while the case holds an entry dated "
    "ahead (R16 allows a year): redact refuses any day before it, and any day after today",
)
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_u2_personal_data_of_an_entry_dated_ahead_can_be_removed_today(
    tmp_path: Path, kind: str
) -> None:
    store = InMemoryStore(calendar=CALENDAR) if kind == "memory" else _sqlite(tmp_path)
    today = dt.date.today()
    store.save(_opened("case-01", today + dt.timedelta(days=20)))
    notes = store.redact("case-01", 1, ["pupil.address"], "Erasure request", by=OFFICER, on=today)
    assert [note.paths for note in notes] == [("pupil.address",)]
    assert store.verify() == []
