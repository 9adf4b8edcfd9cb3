"""Review RW: a hostile review of the fixes merged before it (TM1, TM2, DK1, DK2/DK3): see
FINDINGS.md."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest

from reintegration_fsm import (
    GuardFailed,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    rules,
)
from reintegration_fsm.stores import SqlAlchemyStore, postgresql
from reintegration_fsm.testing import respects
from scenario import AP_HEAD, FINAL_REVIEW, HOST_STAFF, consent, review
from store_contract import CALENDAR, built, opened
from test_review_dk import _configured_postgres

BEHIND = "Etc/GMT+12"
"""UTC-12 all year: its date is always one or two days behind the date in UTC+14."""


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], dt.date]]:
    """Set the process's time zone (TZ) and read today again."""

    def set_zone(name: str) -> dt.date:
        monkeypatch.setenv("TZ", name)
        time.tzset()
        monkeypatch.setattr(rules, "_LIMIT", [0.0, dt.date.min])
        return dt.date.today()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def non_conforming_postgres_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database whose DBA set `standard_conforming_strings = off`."""
    yield from _configured_postgres(postgres_url, "rw_scs", "standard_conforming_strings = off")


def test_RW1_verify_names_the_escaped_text_an_import_stored_before_DK1s_fix(
    non_conforming_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RW1: a case imported under `standard_conforming_strings = off` before DK1's fix keeps
    each hash, digest and key as the bytes of its `\\x...` text. `verify()` called every entry
    "altered after saving", as for tampering: it must say what it is, and what to do."""
    with monkeypatch.context() as before_the_fix:
        before_the_fix.setattr(postgresql, "_conform_strings", lambda _connection: None)
        store = SqlAlchemyStore(non_conforming_postgres_url, calendar=CALENDAR)
        try:
            store.create_schema()
            case = built("rw1-imported", 3)
            assert store.import_histories([(case.local_authority, case.history)]) == 3
        finally:
            store.close()
    store = SqlAlchemyStore(non_conforming_postgres_url, calendar=CALENDAR)
    try:
        problems = store.verify()
    finally:
        store.close()
    assert {problem.case_id for problem in problems} == {"rw1-imported"}
    named = [p.what for p in problems if "standard_conforming_strings" in p.what]
    assert len(named) == 1, [p.what for p in problems]
    assert "not a sign of tampering" in named[0]
    assert "import" in named[0]


@pytest.mark.xfail(
    strict=True,
    reason="RW2: a replay's R16 refusal quotes this machine's limit, not the one it applied",
)
def test_RW2_a_replays_R16_refusal_quotes_the_limit_it_applied(
    zone: Callable[[str], dt.date],
) -> None:
    """RW2: on replay R16 allows a step up to a year after the date in UTC+14 (TM1), a day or
    two later than this machine's year; its refusal of a step past that quotes "after" this
    machine's limit, so a step dated the day after the quoted one, which replays, looks as if
    it should have been refused."""
    today = zone(BEHIND)
    past = dt.datetime.now(rules.FIRST_ZONE).date() + rules.FURTHEST_AHEAD + dt.timedelta(days=1)
    case = opened("rw2", on=today)
    rules._LIMIT[:] = [float("inf"), past]  # a clock ahead wrote it
    case.record_consent(consent(), by=AP_HEAD, on=past)
    rules._LIMIT[:] = [0.0, dt.date.min]
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay(case.history, CALENDAR)
    (reason,) = refused.value.reasons
    quoted = dt.date.fromisoformat(reason.split("(after ")[1][:10])
    assert quoted == past - dt.timedelta(days=1), reason


@pytest.mark.xfail(
    strict=True,
    reason="RW3: TM2's limit is a new step's: any replay, an import of a file written today "
    "too, takes a next meeting thousands of years ahead (design: the log cannot tell when it "
    "was written)",
)
def test_RW3_an_import_of_a_next_meeting_thousands_of_years_ahead_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RW3: the hole TM2 closed for `hold_review` stays open for a history written today and
    imported (a hand-edited export): the case's FINAL_REVIEW deadline becomes 9999-12-31 and it
    is off the due list for ever."""
    case = built("rw3", 9)
    with monkeypatch.context() as edited:
        edited.setattr(rules, "_more_than_a_year", lambda *_: False)
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
    with pytest.raises(GuardFailed):
        Reintegration.replay(case.history, CALENDAR)


@pytest.mark.xfail(
    strict=True,
    reason="RW4: invalid_review_meetings draws no review broken by TM2's year (R7 has "
    "start_too_late)",
)
def test_RW4_a_review_respect_breaks_TM2s_year() -> None:
    """RW4: `invalid_review_meetings` breaks each of R9's clauses but TM2's new one: a caller
    testing that their system shows that refusal has no strategy for it, as R7's year has
    (`start_too_late`)."""
    assert {"next_meeting_too_late", "permanent_too_late"} <= set(respects.REVIEW_RESPECTS)
