"""Review TM (time): time zones, midnight and far dates as they reach the library's users."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from reintegration_fsm import ReviewDecision, ReviewKind, rules
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from scenario import AP_HEAD, FINAL_REVIEW, HOST_STAFF, consent, review
from store_contract import CALENDAR, built, opened

AHEAD = "Pacific/Kiritimati"
"""UTC+14 all year: the first zone where a day begins."""
BEHIND = "Etc/GMT+12"
"""UTC-12 all year: 26 hours behind AHEAD, so its date is always at least a day earlier."""


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set the process's time zone (TZ) and read today again, as a process started there would."""

    def set_zone(name: str) -> dt.date:
        monkeypatch.setenv("TZ", name)
        time.tzset()
        monkeypatch.setattr(rules, "_LIMIT", [0.0, dt.date.min])
        return dt.date.today()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def test_tm1_a_log_written_ahead_of_the_verifiers_zone_verifies(
    zone: object, database_url: str
) -> None:
    """TM1: an officer's machine in a zone ahead (Kiritimati, or London in BST between midnight
    and one) dates a step its today + 366 days, which R16 accepts there; a server whose clock is
    just as right, in a zone behind (UTC-12 here, UTC for BST), verifies the log at the same
    moment. It is sound: `verify()` must not report it as failing to replay, nor blame a clock."""
    set_zone = zone
    today_there = set_zone(AHEAD)  # type: ignore[operator]
    ahead = today_there + rules.FURTHEST_AHEAD
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(opened("tm1-ahead", on=ahead))
    set_zone(BEHIND)  # type: ignore[operator]
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        assert store.verify() == []
        assert store.load("tm1-ahead").history[-1].on == ahead
        kept = InMemoryStore(calendar=CALENDAR)
        kept.save(store.load("tm1-ahead"))  # a save into another store replays it first
        assert kept.verify() == []


def test_tm1_a_date_further_ahead_than_any_zone_allows_is_still_reported(zone: object) -> None:
    """TM1's fix keeps R16's bound: a step dated more than a year after today anywhere on Earth
    (a clock ahead, or 9999-12-31 forged into the log) still fails to replay."""
    set_zone = zone
    today_there = set_zone(AHEAD)  # type: ignore[operator]
    store = InMemoryStore(calendar=CALENDAR)
    store.save(opened("tm1-ok", on=today_there + rules.FURTHEST_AHEAD))
    assert store.verify() == []
    # As if written by a clock two days ahead of Kiritimati's: no time zone's doing.
    beyond = today_there + dt.timedelta(days=2) + rules.FURTHEST_AHEAD
    far = opened("tm1-far", on=today_there)
    rules._LIMIT[:] = [float("inf"), beyond]
    far.record_consent(consent(), by=AP_HEAD, on=beyond)
    store.save(far)
    set_zone(AHEAD)  # type: ignore[operator]  (today read again, by a right clock)
    problems = store.verify()
    assert [(problem.case_id, problem.seq) for problem in problems] == [("tm1-far", 2)]
    assert "R16" in problems[0].what


@pytest.mark.xfail(strict=True, reason="TM2: a meeting's agreed dates are not bounded (low)")
def test_tm2_a_final_review_agreeing_a_date_thousands_of_years_ahead_is_refused() -> None:
    """TM2: a FINAL review deciding CONTINUE whose next meeting is typed 9999-12-31 makes that
    the case's FINAL_REVIEW deadline: the case leaves `due` for 8000 years. R16 refuses a step
    dated more than a year ahead; the meeting it agrees is not bounded."""
    case = built("tm2", 9)
    with pytest.raises(Exception):  # noqa: B017, PT011  (any refusal: GuardFailed or FormInvalid)
        case.hold_review(
            review(
                FINAL_REVIEW,
                ReviewKind.FINAL,
                decision=ReviewDecision.CONTINUE,
                next_meeting=dt.date(9999, 12, 31),
            ),
            by=HOST_STAFF,
            on=FINAL_REVIEW,
        )
