"""Review TM (time): time zones, midnight and far dates as they reach the library's users."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reintegration_fsm import (
    GuardFailed,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    rules,
)
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
        monkeypatch.setattr(rules.dates, "_LIMIT", [0.0, dt.date.min])
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


@pytest.mark.parametrize("days_ahead", [1, 2])
def test_tm1_a_date_further_ahead_than_any_zone_allows_is_still_reported(
    zone: object, days_ahead: int
) -> None:
    """TM1's fix keeps R16's bound: a step dated more than a year after today anywhere on Earth
    (a clock ahead, or 9999-12-31 forged into the log) still fails to replay, by a day where
    this machine's date is already Kiritimati's."""
    set_zone = zone
    today_there = set_zone(AHEAD)  # type: ignore[operator]
    store = InMemoryStore(calendar=CALENDAR)
    store.save(opened("tm1-ok", on=today_there + rules.FURTHEST_AHEAD))
    assert store.verify() == []
    # As if written by a clock a day or two ahead of Kiritimati's: no time zone's doing.
    beyond = today_there + dt.timedelta(days=days_ahead) + rules.FURTHEST_AHEAD
    far = opened("tm1-far", on=today_there)
    rules.dates._LIMIT[:] = [float("inf"), beyond]
    far.record_consent(consent(), by=AP_HEAD, on=beyond)
    store.save(far)
    set_zone(AHEAD)  # type: ignore[operator]  (today read again, by a right clock)
    problems = store.verify()
    assert [(problem.case_id, problem.seq) for problem in problems] == [("tm1-far", 2)]
    assert "R16" in problems[0].what


YEAR = dt.timedelta(days=366)
"""The furthest a date a meeting agrees may be after the meeting (R7, R9), as R16's year."""


def final_review(**agreed: object) -> ReviewMeeting:
    """A final review held on the case's FINAL_REVIEW date with `agreed` as decided."""
    return review(FINAL_REVIEW, ReviewKind.FINAL, **agreed)


@pytest.mark.parametrize(
    ("decision", "field", "words"),
    [
        (ReviewDecision.CONTINUE, "next_meeting", "The next meeting on {} is more than a year"),
        (
            ReviewDecision.MAKE_PERMANENT,
            "permanent_from",
            "The date of permanent admission {} is more than a year",
        ),
    ],
)
@pytest.mark.parametrize("beyond", [YEAR + dt.timedelta(days=1), dt.date(9999, 12, 31)])
def test_tm2_a_final_review_agreeing_a_date_more_than_a_year_ahead_is_refused(
    decision: ReviewDecision, field: str, words: str, beyond: object
) -> None:
    """TM2: a final review agreeing its next meeting or a permanent admission more than a year
    ahead (9999-12-31 typed) is refused, naming the date: the case would leave `due`, or its
    successful outcome wait, for as long."""
    case = built("tm2", 9)
    agreed = FINAL_REVIEW + beyond if isinstance(beyond, dt.timedelta) else beyond
    with pytest.raises(GuardFailed) as refused:
        case.hold_review(
            final_review(decision=decision, **{field: agreed}), by=HOST_STAFF, on=FINAL_REVIEW
        )
    assert [r for r in refused.value.reasons if "more than a year" in r] == [
        next(r for r in refused.value.reasons if r.startswith(words.format(agreed)))
    ]
    assert case.final_decision is None


@pytest.mark.parametrize(
    ("decision", "field"),
    [(ReviewDecision.CONTINUE, "next_meeting"), (ReviewDecision.MAKE_PERMANENT, "permanent_from")],
)
def test_tm2_a_final_review_agreeing_a_date_a_year_ahead_is_taken(
    decision: ReviewDecision, field: str
) -> None:
    """TM2: a year (366 days) after the final review is still allowed, as for R7's start."""
    case = built("tm2", 9)
    agreed = FINAL_REVIEW + YEAR
    case.hold_review(
        final_review(decision=decision, **{field: agreed}), by=HOST_STAFF, on=FINAL_REVIEW
    )
    assert case.final_decision is decision
    if field == "permanent_from":
        assert case.permanent_from == agreed
    else:
        assert [d.due for d in case.deadlines if d.met_on is None] == [agreed]


@pytest.mark.parametrize(
    ("decision", "field"),
    [(ReviewDecision.CONTINUE, "next_meeting"), (ReviewDecision.MAKE_PERMANENT, "permanent_from")],
)
def test_tm2_a_history_recorded_before_the_limit_still_replays_and_verifies(
    decision: ReviewDecision, field: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """TM2: the limit is on a new step: a final review recorded before it, agreeing 9999-12-31,
    replays and verifies, as a store holding one must still read and check it."""
    case = built("tm2-old", 9)
    agreed = dt.date(9999, 12, 31)
    with monkeypatch.context() as before_the_limit:
        before_the_limit.setattr(rules.reviews, "more_than_a_year_after", lambda *_: False)
        case.hold_review(
            final_review(decision=decision, **{field: agreed}), by=HOST_STAFF, on=FINAL_REVIEW
        )
    with pytest.raises(GuardFailed):  # the limit is back for a new step
        built("tm2-new", 9).hold_review(
            final_review(decision=decision, **{field: agreed}), by=HOST_STAFF, on=FINAL_REVIEW
        )
    replayed = Reintegration.replay(case.history, calendar=CALENDAR)
    assert replayed.final_decision is decision
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'old.db'}", calendar=CALENDAR)
    store.create_schema()
    store.save(case)
    assert store.verify() == []
    store.close()
