"""The store contract: tests every store must pass, subclassed per backend in test_stores.py.

Also the helpers the store tests share: protocol runs from tests/scenario.py, fresh SQL
databases, and the worker processes of the race and crash tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa

from reintegration_fsm import (
    Actor,
    CaseNotFound,
    ConcurrentUpdate,
    DeadlineKind,
    IllegalTransition,
    NotPermitted,
    ObligationKind,
    Party,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Role,
    SchoolCalendar,
    Stage,
)
from reintegration_fsm.stores import DueItem, InMemoryStore, SqlAlchemyStore, schema
from reintegration_fsm.stores.migrate import VERSION_TABLE
from reintegration_fsm.stores.rows import Row, redaction_row, utc_now
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
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
    OPENED,
    PSP,
    PUPIL,
    REFERRED,
    SECOND_REVIEW,
    START,
    SUCCESS,
    consent,
    information,
    initial_meeting,
    review,
    views,
)

Store = InMemoryStore | SqlAlchemyStore
OTHER_AUTHORITY = "Other Borough Council"
CALENDAR = SchoolCalendar.sample()


def _admissions(case: Reintegration) -> Actor:
    if case.local_authority == AUTHORITY:
        return ADMISSIONS
    return Actor("la-9", "Kit Marlow", Role.LA_ADMISSIONS, case.local_authority)


Step = Callable[[Reintegration], object]

HAPPY_PATH: tuple[Step, ...] = (
    lambda c: c.record_consent(consent(), by=AP_HEAD, on=CONSENTED),
    lambda c: c.refer_to_fair_access(
        ReferralRoute.VIRTUAL, information(), PSP, by=AP_HEAD, on=REFERRED
    ),
    lambda c: c.identify_host(HOST_SCHOOL, ReferralRoute.VIRTUAL, by=_admissions(c), on=HOST_FOUND),
    lambda c: c.note_at_panel(by=_admissions(c), on=HOST_FOUND),
    lambda c: c.hold_initial_meeting(initial_meeting(), views(), by=AP_STAFF, on=MEETING),
    lambda c: c.start_placement(by=HOST_HEAD, on=START),
    lambda c: c.hold_review(review(FIRST_REVIEW), by=HOST_STAFF, on=FIRST_REVIEW),
    lambda c: c.hold_review(review(SECOND_REVIEW), by=HOST_STAFF, on=SECOND_REVIEW),
    lambda c: c.hold_review(
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        by=HOST_STAFF,
        on=FINAL_REVIEW,
    ),
    lambda c: c.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=dt.date(2026, 4, 13)),
)
"""The scenario's successful run after `open`: 11 transitions in all."""


def opened(case_id: str, authority: str = AUTHORITY) -> Reintegration:
    """A newly proposed case."""
    return Reintegration.open(
        case_id, PUPIL, AP_SETTING, authority, by=AP_HEAD, on=OPENED, calendar=CALENDAR
    )


def advanced(case: Reintegration, steps: int) -> Reintegration:
    """The case moved on by the next `steps` steps of the happy path."""
    done = case.version - 1
    for step in HAPPY_PATH[done : done + steps]:
        step(case)
    return case


def built(case_id: str, transitions: int, authority: str = AUTHORITY) -> Reintegration:
    """A case with its first `transitions` transitions of the happy path (at least 1)."""
    return advanced(opened(case_id, authority), transitions - 1)


# -- SQL databases ---------------------------------------------------------------------------
def reset_database(engine: sa.Engine) -> None:
    """Drop the store's tables (their triggers go with them) and the migration version table."""
    with engine.begin() as conn:
        schema.metadata.drop_all(conn)
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))


def reachable_engine(url: str) -> sa.Engine:
    """An engine on `url`, failing the test (never skipping it) when the server is down."""
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        pytest.fail(f"{url} is set but unreachable: {error}")
    return engine


def drop_triggers(engine: sa.Engine) -> None:
    """What an attacker with file or superuser access can do first."""
    with engine.begin() as conn:
        for statement in schema.drop_trigger_statements(engine.dialect.name):
            conn.execute(sa.text(statement))


class StoreContract:
    """Behaviour every store must show. Subclasses provide the `store` fixture and hooks."""

    sql: ClassVar[bool] = True

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError

    def tamper(self, store: Store, case_id: str, seq: int, column: str, value: Any) -> None:
        """Overwrite one stored log field, bypassing the store (triggers dropped first)."""
        assert isinstance(store, SqlAlchemyStore)
        drop_triggers(store.engine)
        table = schema.transitions
        with store.engine.begin() as conn:
            conn.execute(
                sa.update(table)
                .where(table.c.case_id == case_id, table.c.seq == seq)
                .values({column: value})
            )

    def stored_entry(self, store: Store, case_id: str, seq: int) -> Row:
        """One log row as stored."""
        assert isinstance(store, SqlAlchemyStore)
        table = schema.transitions
        with store.engine.connect() as conn:
            query = sa.select(table).where(table.c.case_id == case_id, table.c.seq == seq)
            return dict(conn.execute(query).mappings().one())

    def record_redaction(self, store: Store, row: Row) -> None:
        """Insert a redaction record, as the documented procedure does."""
        assert isinstance(store, SqlAlchemyStore)
        with store.engine.begin() as conn:
            conn.execute(sa.insert(schema.redactions), row)

    # -- round trips -------------------------------------------------------------------------
    def test_a_saved_case_loads_equal_with_the_same_history(self, store: Store) -> None:
        case = built("case-01", 11)
        store.save(case)
        assert case.saved_version == 11
        loaded = store.load("case-01")
        assert loaded == case
        assert loaded.saved_version == 11
        assert store.history("case-01") == case.history
        assert loaded.stage is Stage.SUCCESSFUL

    def test_saving_after_each_trigger_keeps_one_history(self, store: Store) -> None:
        case = opened("case-01")
        store.save(case)
        for step in HAPPY_PATH:
            step(case)
            store.save(case)
            assert store.history("case-01") == case.history
        assert store.load("case-01") == case

    def test_a_loaded_case_continues_and_saves(self, store: Store) -> None:
        store.save(built("case-01", 3))
        case = store.load("case-01")
        advanced(case, 4)
        store.save(case)
        assert store.load("case-01") == built("case-01", 7)

    def test_saving_with_nothing_new_changes_nothing(self, store: Store) -> None:
        case = built("case-01", 2)
        store.save(case)
        store.save(case)
        assert store.history("case-01") == case.history

    def test_a_refused_trigger_saves_nothing(self, store: Store) -> None:
        store.save(built("case-01", 2))
        case = store.load("case-01")
        with pytest.raises(IllegalTransition):
            case.start_placement(by=HOST_HEAD, on=START)
        store.save(case)
        assert store.history("case-01") == built("case-01", 2).history

    def test_a_later_change_to_the_callers_case_does_not_reach_the_store(
        self, store: Store
    ) -> None:
        case = built("case-01", 2)
        store.save(case)
        case.history[1].data["form"]["parent_name"] = "Someone Else"
        assert store.history("case-01") == built("case-01", 2).history

    def test_loading_an_unknown_case_raises_case_not_found(self, store: Store) -> None:
        with pytest.raises(CaseNotFound):
            store.load("no-such-case")
        with pytest.raises(KeyError):
            store.history("no-such-case")

    # -- concurrency -------------------------------------------------------------------------
    def test_a_stale_case_is_refused_and_nothing_is_written(self, store: Store) -> None:
        store.save(built("case-01", 2))
        first, second = store.load("case-01"), store.load("case-01")
        advanced(first, 1)
        store.save(first)
        advanced(second, 2)
        with pytest.raises(ConcurrentUpdate) as refused:
            store.save(second)
        assert (refused.value.case_id, refused.value.expected, refused.value.found) == (
            "case-01",
            2,
            3,
        )
        assert second.saved_version == 2
        assert store.history("case-01") == first.history
        assert store.verify() == []

    def test_a_second_new_case_with_a_taken_id_is_refused(self, store: Store) -> None:
        store.save(built("case-01", 3))
        with pytest.raises(ConcurrentUpdate) as refused:
            store.save(built("case-01", 1))
        assert refused.value.expected == 0
        assert refused.value.found == 3
        assert len(store.history("case-01")) == 3

    # -- authority -----------------------------------------------------------------------------
    def test_an_authority_store_sees_and_writes_only_its_own_cases(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        with pytest.raises(NotPermitted) as refused:
            scoped.save(built("case-03", 1, OTHER_AUTHORITY))
        assert refused.value.trigger == "save"
        with pytest.raises(CaseNotFound):
            scoped.load("case-02")
        with pytest.raises(CaseNotFound):
            scoped.history("case-02")
        assert scoped.load("case-01") == built("case-01", 3)
        far = dt.date(2027, 1, 1)
        assert {item.case_id for item in scoped.due(far)} == {"case-01"}
        assert {item.case_id for item in store.due(far)} == {"case-01", "case-02"}
        with pytest.raises(CaseNotFound):
            store.load("case-03")
        assert scoped.verify() == []

    # -- due -----------------------------------------------------------------------------------
    def test_due_lists_unmet_deadlines_and_open_obligations_soonest_first(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 1))  # proposed: nothing due
        store.save(built("case-02", 3))  # referred: place offer, panel note
        store.save(built("case-03", 7))  # in placement: reviews, joiners form, ...
        store.save(built("case-04", 11))  # successful: the joiners form is still owed
        referred = built("case-02", 3).deadlines[0].due
        items = store.due(dt.date(2026, 3, 1))
        dated = [item for item in items if item.due is not None]
        assert dated == [
            DueItem("case-02", "place_offer", referred, "deadline", None),
            DueItem("case-03", "complete_joiners_form", dt.date(2026, 2, 28), "obligation", "host"),
            DueItem("case-04", "complete_joiners_form", dt.date(2026, 2, 28), "obligation", "host"),
        ]
        assert referred <= dt.date(2026, 2, 28)
        undated = items[len(dated) :]
        assert all(item.due is None and item.item == "obligation" for item in undated)
        assert [item.case_id for item in undated] == sorted(item.case_id for item in undated)
        assert ("case-02", "note_at_panel") in {(i.case_id, i.kind) for i in undated}
        assert "case-01" not in {item.case_id for item in items}
        later = store.due(FIRST_REVIEW)
        assert DueItem("case-03", "first_review", FIRST_REVIEW, "deadline", None) in later
        assert ("case-03", "second_review") not in {(i.case_id, i.kind) for i in later}

    def test_a_met_deadline_is_no_longer_due(self, store: Store) -> None:
        case = built("case-01", 3)
        store.save(case)
        assert any(item.kind == "place_offer" for item in store.due(dt.date(2026, 6, 1)))
        advanced(case, 1)
        store.save(case)
        assert all(item.kind != "place_offer" for item in store.due(dt.date(2026, 6, 1)))

    def test_a_withdrawn_case_keeps_its_unmet_deadlines_and_obligations_listed(
        self, store: Store
    ) -> None:
        case = built("case-01", 3)  # referred by a virtual approach: an offer and a panel note
        case.withdraw("The family moved out of the area.", by=AP_HEAD, on=REFERRED)
        store.save(case)
        items = store.due(dt.date(2026, 6, 1))
        assert {"place_offer", "note_at_panel"} <= {item.kind for item in items}
        offer = next(item for item in items if item.kind == "place_offer")
        note = next(item for item in items if item.kind == "note_at_panel")
        assert offer.kind is DeadlineKind.PLACE_OFFER
        assert offer.owner is None
        assert note.kind is ObligationKind.NOTE_AT_PANEL
        assert note.owner is Party.LA

    def test_taken_names_the_ids_in_use_by_any_authority(self, store: Store) -> None:
        store.save(built("case-01", 1))
        store.save(built("case-02", 1, authority=OTHER_AUTHORITY))
        assert store.taken(["case-01", "case-02", "case-03"]) == {"case-01", "case-02"}
        scoped = store.for_authority(AUTHORITY)
        assert scoped.taken(["case-02", "case-03"]) == {"case-02"}  # ids are store-wide

    # -- audit ---------------------------------------------------------------------------------
    def test_verify_finds_nothing_wrong_in_a_sound_store(self, store: Store) -> None:
        for number, length in enumerate((1, 3, 6, 11)):
            store.save(built(f"case-{number:02}", length))
        assert store.verify() == []

    def test_verify_reports_a_changed_payload(self, store: Store) -> None:
        store.save(built("case-01", 4))
        entry = store.history("case-01")[1]
        forged = entry.data | {"form": entry.data["form"] | {"agrees": False}}
        self.tamper(store, "case-01", 2, "data", _json(forged))
        problems = store.verify()
        assert problems
        assert {(p.case_id, p.seq) for p in problems} == {("case-01", 2)}
        assert "digest" in problems[0].what

    def test_verify_reports_a_changed_hashed_field(self, store: Store) -> None:
        store.save(built("case-01", 4))
        self.tamper(store, "case-01", 3, "actor_name", "Someone Else")
        problems = store.verify()
        assert ("case-01", 3) in {(p.case_id, p.seq) for p in problems}

    def _redact(self, store: Store, reason: str = "Erasure request") -> tuple[Row, str]:
        """Blank the parent's name in case-01's consent, as the documented procedure does."""
        store.save(built("case-01", 3))
        entry = self.stored_entry(store, "case-01", 2)
        data = json.loads(entry["data"])
        blanked = data | {"form": data["form"] | {"parent_name": "[redacted]"}}
        redaction, text = redaction_row(entry, blanked, reason, utc_now())
        self.tamper(store, "case-01", 2, "data", text)
        return redaction, text

    def test_a_redacted_payload_keeps_the_chain_verifiable(self, store: Store) -> None:
        redaction, _ = self._redact(store)
        problems = store.verify()
        assert [(p.seq, p.what) for p in problems] == [
            (2, "payload does not match its digest (altered, and no redaction is recorded)")
        ]
        self.record_redaction(store, redaction)
        assert store.verify() == []
        assert store.load("case-01").history[1].data["form"]["parent_name"] == "[redacted]"

    def test_a_forged_redaction_record_is_reported(self, store: Store) -> None:
        redaction, _ = self._redact(store)
        self.record_redaction(store, redaction | {"reason": "A reason written later"})
        assert [(p.seq, p.what) for p in store.verify()] == [
            (2, "the redaction record does not match its hash")
        ]

    def test_a_payload_changed_after_its_redaction_is_reported(self, store: Store) -> None:
        redaction, text = self._redact(store)
        self.record_redaction(store, redaction)
        self.tamper(store, "case-01", 2, "data", text.replace("[redacted]", "Someone Else"))
        assert [(p.seq, p.what) for p in store.verify()] == [
            (2, "payload matches neither its digest nor its redaction's")
        ]

    def test_the_log_refuses_update_and_delete(self, store: Store) -> None:
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("the in-memory store has no database triggers")
        store.save(built("case-01", 2))
        table = schema.transitions
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.update(table).values(actor_name="Someone Else"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.seq == 2))
        assert store.history("case-01") == built("case-01", 2).history
        store.create_schema()  # idempotent: the triggers are still there, once
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.delete(table))

    # -- bulk import ---------------------------------------------------------------------------
    def test_imported_histories_load_and_verify(self, store: Store) -> None:
        if not isinstance(store, SqlAlchemyStore):
            pytest.skip("bulk import is a SQL store feature")
        cases = [built(f"case-{n:02}", 1 + n % 11) for n in range(25)]
        count = store.import_histories(
            ((c.local_authority, c.history) for c in cases), batch_size=7
        )
        assert count == sum(c.version for c in cases)
        for case in cases:
            assert store.load(case.case_id) == case
        assert store.verify() == []
        reference = InMemoryStore()
        for case in cases:
            reference.save(built(case.case_id, case.version))
        assert store.due(dt.date(2026, 6, 1)) == reference.due(dt.date(2026, 6, 1))
        with pytest.raises(ConcurrentUpdate):
            store.import_histories([(AUTHORITY, cases[0].history)])


def _json(value: Any) -> str:
    from reintegration_fsm.stores.hashing import canonical_json

    return canonical_json(value)


# -- worker processes (spawned: module-level and importable) ---------------------------------
def race_worker(url: str, case_id: str, rounds: int, barrier: Any, results: Any) -> None:
    """Each round: load the case, wait for every rival, fire one review, try to save."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    for number in range(rounds):
        case = store.load(case_id)
        review_on = case.last_on or FIRST_REVIEW
        case.hold_review(review(review_on), by=HOST_STAFF, on=review_on)
        barrier.wait()
        started = time.perf_counter()
        try:
            store.save(case)
            outcome = "won"
        except ConcurrentUpdate:
            outcome = "lost"
        results.put((number, os.getpid(), outcome, time.perf_counter() - started))
        barrier.wait()
    store.close()


def crash_writer(url: str, ready: Any) -> None:
    """Save a stream of cases, one transition per save, until killed."""
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    number = 0
    while True:
        case = opened(f"stream-{number:06}")
        store.save(case)
        for step in HAPPY_PATH:
            step(case)
            store.save(case)
            if number == 2:
                ready.set()
        number += 1


def kill(pid: int) -> None:
    """SIGKILL: no cleanup, no atexit, no rollback by Python."""
    os.kill(pid, signal.SIGKILL)
