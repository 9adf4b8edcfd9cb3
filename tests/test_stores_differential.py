"""Differential stateful test: the in-memory and SQLite stores, driven alike, agree.

They agree on what they accept and refuse (and say why in the same words), on histories, on
what is due, on the cases they list, on the weightings ledger and on a case as of a date.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from reintegration_fsm import (
    CaseNotFound,
    ConcurrentUpdate,
    ObligationKind,
    ProtocolError,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
)
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_FOUND,
    HOST_HEAD,
    HOST_SCHOOL,
    HOST_STAFF,
    MEETING,
    PARENT,
    PSP,
    REFERRED,
    RETURN,
    START,
    SUCCESS,
    WITH_LA,
    consent,
    information,
    initial_meeting,
    letter,
    review,
)
from scenario import views as child_views
from store_contract import CALENDAR, opened

D = dt.date


def _on(case: Reintegration, nominal: dt.date) -> dt.date:
    last = case.last_on
    return nominal if last is None or last < nominal else last


def _emergency(case: Reintegration, decision: ReviewDecision) -> None:
    on = _on(case, D(2026, 3, 10))
    meeting = review(
        on,
        ReviewKind.EMERGENCY,
        attendees=WITH_LA,
        decision=decision,
        concerns="Left the site without permission three times.",
        additional_support="Daily mentoring with a key worker.",
    )
    ending = letter(effective_date=on + dt.timedelta(days=7))
    case.hold_emergency_review(
        meeting, ending if decision is ReviewDecision.END else None, by=HOST_HEAD, on=on
    )


ACTIONS: dict[str, Callable[[Reintegration], object]] = {
    "consent": lambda c: c.record_consent(consent(), by=AP_HEAD, on=_on(c, CONSENTED)),
    "refer virtually": lambda c: c.refer_to_fair_access(
        ReferralRoute.VIRTUAL, information(), PSP, by=AP_HEAD, on=_on(c, REFERRED)
    ),
    "refer to the panel": lambda c: c.refer_to_fair_access(
        ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=_on(c, REFERRED)
    ),
    "identify host": lambda c: c.identify_host(
        HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=_on(c, HOST_FOUND)
    ),
    "note at panel": lambda c: c.note_at_panel(by=ADMISSIONS, on=_on(c, HOST_FOUND)),
    "initial meeting": lambda c: c.hold_initial_meeting(
        initial_meeting(), child_views(), by=AP_STAFF, on=_on(c, MEETING)
    ),
    "start": lambda c: c.start_placement(by=HOST_HEAD, on=_on(c, START)),
    "interim review": lambda c: c.hold_review(
        review(_on(c, FIRST_REVIEW)), by=HOST_STAFF, on=_on(c, FIRST_REVIEW)
    ),
    "final review": lambda c: c.hold_review(
        review(_on(c, FINAL_REVIEW), ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        by=HOST_STAFF,
        on=_on(c, FINAL_REVIEW),
    ),
    "success": lambda c: c.record_successful_outcome(
        SUCCESS, by=HOST_HEAD, on=_on(c, D(2026, 4, 13))
    ),
    "call emergency review": lambda c: c.call_emergency_review(
        "Repeated incidents.", by=HOST_HEAD, on=_on(c, D(2026, 3, 10))
    ),
    "emergency review continues": lambda c: _emergency(c, ReviewDecision.CONTINUE),
    "emergency review ends": lambda c: _emergency(c, ReviewDecision.END),
    "return to AP": lambda c: c.record_unsuccessful_outcome(
        RETURN, by=AP_HEAD, on=_on(c, D(2026, 3, 17))
    ),
    "withdraw": lambda c: c.withdraw("The family moved away.", by=PARENT, on=_on(c, START)),
    "offer visit": lambda c: c.discharge(
        ObligationKind.OFFER_VISIT, by=AP_STAFF, on=_on(c, HOST_FOUND)
    ),
    "joiners form": lambda c: c.discharge(
        ObligationKind.COMPLETE_JOINERS_FORM, by=HOST_STAFF, on=_on(c, START)
    ),
}


class StoresAgree(RuleBasedStateMachine):
    """Open, advance, save and reload cases in both stores; they must always agree."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="rfsm-differential-"))
        self.memory = InMemoryStore(calendar=CALENDAR)
        self.sql = SqlAlchemyStore(
            f"sqlite:///{self.directory / 'cases.db'}", calendar=CALENDAR, durable=False
        )
        self.sql.create_schema()
        # Each store's caller works on its own copy of every case.
        self.working: dict[str, tuple[Reintegration, Reintegration]] = {}
        self.saved: set[str] = set()

    @rule()
    def open_case(self) -> None:
        case_id = f"case-{len(self.working):02}"
        self.working[case_id] = (opened(case_id), opened(case_id))

    @precondition(lambda self: self.working)
    @rule(data=st.data(), action=st.sampled_from(sorted(ACTIONS)))
    def act(self, data: st.DataObject, action: str) -> None:
        case_id = data.draw(st.sampled_from(sorted(self.working)))
        outcomes = []
        for case in self.working[case_id]:
            try:
                ACTIONS[action](case)
                outcomes.append("accepted")
            except ProtocolError as error:
                outcomes.append(type(error).__name__)
        assert outcomes[0] == outcomes[1]
        first, second = self.working[case_id]
        assert first.history == second.history

    @precondition(lambda self: self.working)
    @rule(data=st.data())
    def save(self, data: st.DataObject) -> None:
        case_id = data.draw(st.sampled_from(sorted(self.working)))
        outcomes = []
        for store, case in zip((self.memory, self.sql), self.working[case_id], strict=True):
            try:
                store.save(case)
                outcomes.append(("saved", case.version, ""))
            except ConcurrentUpdate as error:
                outcomes.append(("refused", error.found, str(error)))
        assert outcomes[0] == outcomes[1]
        if outcomes[0][0] == "saved":
            self.saved.add(case_id)

    @precondition(lambda self: self.working)
    @rule(data=st.data())
    def reload(self, data: st.DataObject) -> None:
        """Drop unsaved work: continue from what each store holds."""
        case_id = data.draw(st.sampled_from(sorted(self.working)))
        if case_id not in self.saved:
            return
        self.working[case_id] = (self.memory.load(case_id), self.sql.load(case_id))
        assert self.working[case_id][0] == self.working[case_id][1]

    @precondition(lambda self: self.saved)
    @rule(data=st.data())
    def retry_through_a_store_that_has_not_seen_the_case(self, data: st.DataObject) -> None:
        """A save retried by another store object (a new process) finds what it holds."""
        case_id = data.draw(st.sampled_from(sorted(self.saved)))
        memory_view = self.memory.for_authority(AUTHORITY)
        memory_view._authority = None  # no public way to an unscoped view of the same dicts
        stores = (memory_view, SqlAlchemyStore(self.sql.engine, calendar=CALENDAR))
        outcomes = []
        for store, case in zip(stores, self.working[case_id], strict=True):
            try:
                store.save(case)
                outcomes.append(("saved", case.version, ""))
            except ConcurrentUpdate as error:
                outcomes.append(("refused", error.found, str(error)))
        assert outcomes[0] == outcomes[1]

    @precondition(lambda self: self.saved)
    @rule(data=st.data())
    def carry_a_case_across(self, data: st.DataObject) -> None:
        """Each store saves the other's copy: it holds every transition, so nothing changes."""
        case_id = data.draw(st.sampled_from(sorted(self.saved)))
        before = self.memory.history(case_id)
        self.memory.save(self.sql.load(case_id))
        self.sql.save(self.memory.load(case_id))
        assert self.memory.history(case_id) == self.sql.history(case_id) == before

    @precondition(lambda self: self.working)
    @rule(data=st.data())
    def save_a_stale_copy(self, data: st.DataObject) -> None:
        """A second caller who loaded earlier and fires a trigger is refused by both."""
        case_id = data.draw(st.sampled_from(sorted(self.working)))
        if case_id not in self.saved:
            return
        stale = (self.memory.load(case_id), self.sql.load(case_id))
        for case in self.working[case_id]:
            if case.history == self.memory.history(case_id):
                return  # no unsaved work: the stale copy would not be stale
        outcomes = []
        pairs = zip((self.memory, self.sql), stale, self.working[case_id], strict=True)
        for store, case, original in pairs:
            store.save(original)
            try:
                case.withdraw("A stale copy's withdrawal.", by=PARENT, on=_on(case, START))
            except ProtocolError:
                outcomes.append("refused by the protocol")
                continue
            try:
                store.save(case)
                outcomes.append("saved")
            except ConcurrentUpdate as error:
                outcomes.append(f"refused by the store: {error}")
        assert outcomes[0] == outcomes[1] != "saved"

    @invariant()
    def histories_and_listings_agree(self) -> None:
        for case_id in self.saved:
            assert self.memory.history(case_id) == self.sql.history(case_id)
            for as_of in (D(2026, 1, 19), D(2026, 3, 6)):
                try:
                    expected = self.memory.load(case_id, as_of=as_of)
                except CaseNotFound:
                    with pytest.raises(CaseNotFound):
                        self.sql.load(case_id, as_of=as_of)
                else:
                    assert self.sql.load(case_id, as_of=as_of) == expected
        for on in (D(2026, 1, 13), D(2026, 2, 1), D(2026, 3, 1), D(2026, 6, 1)):
            assert self.memory.due(on) == self.sql.due(on)
        assert self.memory.cases() == self.sql.cases()
        assert self.memory.cases(school=HOST_SCHOOL) == self.sql.cases(school=HOST_SCHOOL)
        year = (D(2026, 1, 1), D(2026, 12, 31))
        assert self.memory.weightings(*year) == self.sql.weightings(*year)
        assert self.memory.ledger(*year) == self.sql.ledger(*year)

    def teardown(self) -> None:
        try:
            assert self.memory.verify() == []
            assert self.sql.verify() == []
        finally:
            self.sql.close()
            shutil.rmtree(self.directory, ignore_errors=True)


StoresAgree.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStoresAgree = StoresAgree.TestCase
