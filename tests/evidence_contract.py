"""The evidence contract: redaction, checkpoints, the five attacks of issue 12 and retention,
run on every backend by tests/test_stores_evidence.py.

The attacks are made as an administrator of the database would make them: every row of a case
read, rewritten with the library's own public helpers (hashes recomputed, the chain re-linked,
the case row and projections made to agree), and written back past the triggers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import ClassVar
from unittest import mock

import attrs
import pytest
import sqlalchemy as sa

from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    AlteredRow,
    Attendee,
    ChangedProtocol,
    Checkpoint,
    CheckpointRefused,
    ConcurrentUpdate,
    FormInvalid,
    MalformedCheckpoint,
    NotPermitted,
    Party,
    ReferralRoute,
    Reintegration,
    RetentionPolicy,
    Stage,
    Transition,
    UnknownProtocol,
    rules,
)
from reintegration_fsm.documents import render_text
from reintegration_fsm.errors import StoreError
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from reintegration_fsm.stores import (
    InMemoryStore,
    SqlAlchemyStore,
    bulk,
    due_as_of,
    erasure,
    memory_redacting,
    memory_saving,
    memory_verifying,
    schema,
    sql_redacting,
    sql_saving,
    sql_verifying,
)
from reintegration_fsm.stores.checkpoints import CHECKPOINT
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.entries import log_rows, transitions_from_rows
from reintegration_fsm.stores.hashing import redaction_hash
from reintegration_fsm.stores.personal import holds_placeholder
from reintegration_fsm.stores.redaction import RedactionNote, note_row
from reintegration_fsm.stores.retention import RetentionHeld
from reintegration_fsm.stores.rows import Row, case_row, ledger_rows, open_item_rows
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AUTHORITY,
    CONSENTED,
    EVERYONE,
    FIRST_REVIEW,
    HOST_HEAD,
    HOST_SCHOOL,
    HOST_STAFF,
    OPENED,
    PARENT,
    PSP,
    PUPIL,
    REFERRED,
    SUCCESS,
    consent,
    information,
    review,
)
from store_contract import (
    CALENDAR,
    OTHER_AUTHORITY,
    REDACTED_ON,
    SUCCEEDED,
    Store,
    advanced,
    built,
    drop_triggers,
    ended,
    opened,
)

Rows = tuple[Row | None, list[Row], list[Row], list[Row], list[Row]]
"""A case's rows: its case row, log entries, redaction records, open items, ledger entries."""

LATE = dt.date(2026, 3, 2)
"""A place offer well after the 20 school days of a referral on REFERRED."""
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
RETENTION_ENDS = dt.date(2037, 5, 14)
"""PUPIL's date of birth (2012-05-14) + 25 years: the last day its data is kept."""


def late_offer(case_id: str) -> Reintegration:
    """A case whose PLACE_OFFER deadline was breached: the host named after the due date."""
    case = opened(case_id)
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    case.refer_to_fair_access(ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=REFERRED)
    case.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=LATE)
    return case


def withdrawn_by_parent(case_id: str) -> Reintegration:
    """A case the parent withdrew, giving the family's reasons in their own words."""
    case = built(case_id, 2)
    case.withdraw(
        "We are moving to Dorset; Alex has been unhappy since the autumn.", by=PARENT, on=CONSENTED
    )
    return case


def addressed(case_id: str) -> Reintegration:
    """A case through its successful outcome holding an address in every address field: the
    child's (entry 1), the consent form's child's and parent's (2), a review's change of
    address (8) and the outcome's (11); the parent's holds a zero-width space, which nobody
    sees and a reason quoting it cannot type."""
    case = opened(case_id, pupil=attrs.evolve(PUPIL, address="4 Model Close, Exampletown EX1 2YZ"))
    form = consent(
        child_address="Flat 2, 9 Sample Road, Exampletown EX2 3AB",
        parent_address="11 Test Street,\u200b Otherton OT1 1AA",  # a space pasted from Word
    )
    case.record_consent(form, by=AP_HEAD, on=CONSENTED)
    advanced(case, 5)
    meeting = review(FIRST_REVIEW, address_change="27 Mock Lane, Exampletown EX3 4CD")
    case.hold_review(meeting, by=HOST_STAFF, on=FIRST_REVIEW)
    advanced(case, 2)
    success = attrs.evolve(SUCCESS, address="5 Trial Gardens, Exampletown EX4 5EF")
    case.record_successful_outcome(success, by=HOST_HEAD, on=SUCCEEDED)
    return case


@attrs.frozen
class Attack:
    """One row of the tamper table in docs/evidence.md and docs/stores.md."""

    name: str
    test: str
    without_checkpoint: bool
    with_checkpoint: bool


ATTACKS = (
    Attack(
        "Deleting the last transition and fixing the case row",
        "test_attack_deleting_the_last_transition_and_fixing_the_case_row",
        False,
        True,
    ),
    Attack("Deleting a whole case", "test_attack_deleting_a_whole_case", False, True),
    Attack("Forging a tail transition", "test_attack_forging_a_tail_transition", False, True),
    Attack(
        "Rewriting the middle of a history and re-chaining it",
        "test_attack_rewriting_the_middle_of_a_history_and_rechaining_it",
        False,
        True,
    ),
    Attack(
        "Forging a redaction record (a PLACE_OFFER breach shown as met on time, the child renamed)",
        "test_attack_forging_a_redaction_record",
        True,
        True,
    ),
    Attack(
        "Rewriting who made a redaction, when and why, its records re-hashed",
        "test_attack_rewriting_who_made_a_redaction_when_and_why",
        False,
        True,
    ),
)
"""Every attack of issue 12, and where it is detected; each test below asserts its row."""


class EvidenceContract:
    """What every store must show about redaction, checkpoints, attacks and retention."""

    engine_name: ClassVar[str] = ""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError

    # -- the administrator's access ----------------------------------------------------------
    def rows_of(self, store: Store, case_id: str) -> Rows:
        """Every row of a case, read past the store."""
        assert isinstance(store, SqlAlchemyStore)
        found: list[list[Row]] = []
        with store.engine.connect() as conn:
            head = conn.execute(
                sa.select(schema.cases).where(schema.cases.c.case_id == case_id)
            ).mappings()
            case = next((dict(row) for row in head), None)
            for table, order in (
                (schema.transitions, ("seq",)),
                (schema.redactions, ("seq", "number")),
                (schema.open_items, ("item_no",)),
                (schema.weightings, ("school",)),
            ):
                query = (
                    sa.select(table)
                    .where(table.c.case_id == case_id)
                    .order_by(*(table.c[name] for name in order))
                )
                found.append([dict(row) for row in conn.execute(query).mappings()])
        return case, found[0], found[1], found[2], found[3]

    def write_rows(self, store: Store, case_id: str, rows: Rows) -> None:
        """Replace every row of a case, past the store and its triggers (None: no case row)."""
        assert isinstance(store, SqlAlchemyStore)
        drop_triggers(store.engine)
        case, entries, notes, items, ledger = rows
        tables = (
            (schema.cases, [case] if case is not None else []),
            (schema.transitions, entries),
            (schema.redactions, notes),
            (schema.open_items, items),
            (schema.weightings, ledger),
        )
        with store.engine.begin() as conn:
            for table, _ in tables:
                conn.execute(sa.delete(table).where(table.c.case_id == case_id))
            # The case row last: it comes with its count, which the trigger counting each
            # redaction record (kept) would otherwise add to.
            for table, table_rows in (*tables[1:], tables[0]):
                if table_rows:
                    conn.execute(sa.insert(table), table_rows)

    def stored_data(self, store: Store) -> str:
        """Every stored text of the log, the case rows and the redaction records, joined."""
        assert isinstance(store, SqlAlchemyStore)
        texts: list[str] = []
        with store.engine.connect() as conn:
            for table in (schema.transitions, schema.cases, schema.redactions):
                for row in conn.execute(sa.select(table)).mappings():
                    texts += [str(value) for value in row.values() if value is not None]
        return "\n".join(texts)

    # -- helpers -------------------------------------------------------------------------------
    def forge(
        self,
        store: Store,
        case_id: str,
        history: Sequence[Transition],
        keep: int,
        recorded_at: dt.datetime | None = None,
    ) -> list[Row]:
        """Rewrite a case's log from entry `keep` + 1 on with `history`'s transitions, re-chained
        with the library's own helpers (stamped `recorded_at`, by default as the last entry
        was), and its case row and projections made to agree."""
        case_before, entries, notes, _, _ = self.rows_of(store, case_id)
        assert case_before is not None
        kept = entries[:keep]
        prev = kept[-1]["hash"] if kept else "0" * 64
        stamp = entries[-1]["recorded_at"] if recorded_at is None else recorded_at
        forged = kept + log_rows(case_id, history[keep:], prev, stamp)
        forged_notes = [note for note in notes if note["seq"] <= keep]
        case = Reintegration.replay(history, CALENDAR)
        items = open_item_rows(case, AUTHORITY)
        self.write_rows(
            store,
            case_id,
            (
                case_row(case, AUTHORITY, forged[-1]["hash"], items)
                | {"redactions": len(forged_notes)},
                forged,
                forged_notes,
                items,
                ledger_rows(case, AUTHORITY),
            ),
        )
        return forged

    # -- redaction -----------------------------------------------------------------------------
    def test_a_redaction_removes_the_value_records_who_when_why_and_verify_stays_clean(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 11))
        made = store.redact(
            "case-01",
            2,
            ["form.parent_name", "form.signed_by"],
            "Erasure request",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        assert made == store.redactions("case-01")
        note, *later = made  # the meetings' attendees name the parent too: removed with it
        assert later
        assert all(n.paths == n.copies == ("meeting.attendees.2.name",) for n in later)
        assert (note.seq, note.number, note.paths, note.reason, note.on, note.by) == (
            2,
            1,
            ("form.parent_name", "form.signed_by"),
            "Erasure request",
            REDACTED_ON,
            ADMISSIONS,
        )
        assert store.verify() == []
        form = store.load("case-01").history[1].data["form"]
        assert (
            form["parent_name"]
            == form["signed_by"]
            == f"(redacted on {REDACTED_ON}: Erasure request)"
        )
        assert form["relationship"] == "Mother"
        assert "Dana Example" not in self.rows_of(store, "case-01")[1][1]["data"]

    # -- the day a redaction is dated (review U, U2) -------------------------------------------
    def test_an_entry_dated_ahead_is_redacted_the_day_it_was_recorded(self, store: Store) -> None:
        """A case opened for next term (R16 lets a step be dated up to a year ahead) kept its
        personal data until the date typed on the step: a redaction was refused before the
        entry's date, and after today, so an erasure request could not be honoured (review U,
        U2). A redaction is compared with the day the entry was recorded: done today, one
        entry or every entry holding the paths."""
        today = dt.date.today()
        ahead = today + dt.timedelta(days=20)
        store.save(opened("case-01", on=ahead))
        store.save(opened("case-02", on=ahead))
        [note] = store.redact(
            "case-01", 1, ["pupil.name"], "Erasure request", by=ADMISSIONS, on=today
        )
        assert (note.seq, note.paths, note.on) == (1, ("pupil.name",), today)
        assert store.load("case-01").pupil.name == f"(redacted on {today}: Erasure request)"
        [every] = store.redact(
            "case-02",
            None,
            ["pupil.name", "pupil.date_of_birth"],
            "Erasure request",
            by=ADMISSIONS,
            on=today,
        )
        assert (every.seq, every.paths) == (1, ("pupil.name", "pupil.date_of_birth"))
        assert store.load("case-02").history[0].on == ahead
        assert store.verify() == []

    def test_a_redaction_dated_before_an_entry_was_recorded_or_after_today_is_refused(
        self, store: Store
    ) -> None:
        """A year typed wrong (1926), or any day before the one an entry it removes values
        from was recorded, would show a value removed before it was recorded: refused, naming
        the entry and that day, whatever the entry's own date (here long before, or ahead of,
        the redaction's); a day after today is refused as ever. Nothing is changed, and an
        ordinary entry is redacted the day it is done."""
        today = dt.date.today()
        ahead = today + dt.timedelta(days=20)
        store.save(opened("case-01"))  # dated OPENED, months ago: recorded today
        store.save(opened("case-02", on=ahead))
        before = {case_id: store.load(case_id) for case_id in ("case-01", "case-02")}
        yesterday = today - dt.timedelta(days=1)
        assert yesterday > OPENED
        for case_id in ("case-01", "case-02"):
            for on in (yesterday, dt.date(1926, 12, 1)):
                with pytest.raises(FormInvalid) as refused:
                    store.redact(
                        case_id, 1, ["pupil.name"], "Erasure request", by=ADMISSIONS, on=on
                    )
                assert str(refused.value) == (
                    f"redact.on: {on} is before entry 1 (recorded on {today}), whose values it "
                    "removes; date it the day it is done"
                )
        with pytest.raises(FormInvalid, match=rf"redact\.on: {ahead} is after today \({today}\)"):
            store.redact(
                "case-02", None, ["pupil.name"], "Erasure request", by=ADMISSIONS, on=ahead
            )
        for case_id, case in before.items():
            assert store.redactions(case_id) == []
            assert store.load(case_id) == case
        [note] = store.redact(
            "case-01", 1, ["pupil.name"], "Erasure request", by=ADMISSIONS, on=today
        )
        assert note.on == today
        assert store.verify() == []

    def test_the_day_compared_is_the_one_the_store_recorded_the_entry(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The day read is the entry's `recorded_at`, as the store stamped it (here three days
        ago), in this machine's local time as today is: not today, nor the entry's date."""
        stamp = utc_now() - dt.timedelta(days=3)
        with monkeypatch.context() as patched:
            for module in (
                memory_saving,
                memory_redacting,
                memory_verifying,
                sql_saving,
                sql_redacting,
                sql_verifying,
                bulk,
            ):
                patched.setattr(module, "utc_now", lambda: stamp)
            store.save(opened("case-01", on=dt.date.today() + dt.timedelta(days=7)))
        recorded = stamp.replace(tzinfo=dt.timezone.utc).astimezone().date()
        early = recorded - dt.timedelta(days=1)
        with pytest.raises(FormInvalid) as refused:
            store.redact("case-01", 1, ["pupil.name"], "Erasure request", by=ADMISSIONS, on=early)
        assert f"before entry 1 (recorded on {recorded})" in str(refused.value)
        [note] = store.redact(
            "case-01", 1, ["pupil.name"], "Erasure request", by=ADMISSIONS, on=recorded
        )
        assert note.on == recorded
        assert store.verify() == []

    def test_the_childs_name_and_date_of_birth_are_removed_together_and_the_case_loads(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 11))
        store.redact(
            "case-01",
            None,
            ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"],
            "Subject's erasure request",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        case = store.load("case-01")
        assert case.pupil.name == f"(redacted on {REDACTED_ON}: Subject's erasure request)"
        assert case.pupil.date_of_birth == dt.date(1, 1, 1)
        printed = render_text(case)
        assert "born (removed)" in printed
        assert "0001" not in printed
        assert case.stage is Stage.SUCCESSFUL
        assert [s.pupil_name for s in store.cases()] == [case.pupil.name]
        assert store.cases(text="alex") == []
        assert store.verify() == []
        assert store.load("case-01", as_of=CONSENTED).version == 2

    def test_removing_the_childs_name_removes_every_copy_of_it_in_the_log(
        self, store: Store
    ) -> None:
        """The documented erasure request (the child's name and date of birth, in the opening
        and on the consent form) left the name in the meetings' attendees and the child's
        signed views, while the case list no longer found it (found by a review): every other
        text of the case's log that is the same name is removed with it, and recorded as a
        named path is."""
        store.save(built("case-01", 11))
        store.save(built("case-02", 3))
        made = store.redact(
            "case-01",
            None,
            ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"],
            "Erasure request",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        assert made == store.redactions("case-01")
        copies = [(note.seq, path) for note in made for path in note.copies]
        assert copies, "the meetings name the child"
        assert all(path in note.paths for note in made for path in note.copies)
        assert {path.split(".")[-1] for _, path in copies} <= {"name", "signed_by"}
        assert store.verify() == []
        case = store.load("case-01")
        for transition in case.history:
            assert PUPIL.name not in str(transition.data)
            assert PUPIL.name not in (transition.actor.name, transition.actor.id)
        case_row, entries, notes, _, _ = self.rows_of(store, "case-01")
        assert PUPIL.name not in json.dumps([case_row, entries, notes], default=str)
        assert "Dana Example" in json.dumps(
            entries, default=str
        )  # the parent's name was not asked for
        assert store.load("case-02").pupil.name == PUPIL.name  # another case keeps its own

    def test_a_name_removed_takes_a_copy_written_with_another_apostrophe(
        self, store: Store
    ) -> None:
        """An erasure removes every copy of a name that a subject access request reads as the
        same person's (`fields.loosely_folded_name`): an attendee typed "Aoife O'Brien" stayed
        when "Aoife O’Brien" was erased, though subject access finds both (found by a
        review). A name that is not the same is kept."""
        case = opened("case-01")
        case.record_consent(
            consent(parent_name="Aoife O\u2019Brien", signed_by="Aoife O\u2019Brien"),
            by=AP_HEAD,
            on=CONSENTED,
        )
        advanced(case, 5)
        typed = ("Aoife O'Brien", "AOIFE O\u2018BRIEN", "Aoife OBrien")
        attendees = (*EVERYONE, *(Attendee(name, Party.PARENT) for name in typed))
        case.hold_review(review(FIRST_REVIEW, attendees=attendees), by=HOST_STAFF, on=FIRST_REVIEW)
        store.save(case)
        made = store.redact(
            "case-01",
            2,
            ["form.parent_name", "form.signed_by"],
            "Erasure request",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        [review_note] = [note for note in made if note.seq == case.version]
        assert review_note.copies == ("meeting.attendees.4.name", "meeting.attendees.5.name")
        names = [
            item["name"] for item in store.load("case-01").history[-1].data["meeting"]["attendees"]
        ]
        assert names[-1] == "Aoife OBrien"  # no apostrophe: another spelling subject access
        assert all(name.startswith("(redacted on") for name in names[4:6])
        assert store.verify() == []

    def test_a_reason_quoting_a_value_it_removes_is_refused_and_changes_nothing(
        self, store: Store
    ) -> None:
        """The reason is shown in place of every value removed, in the case row's name and its
        search column: a reason quoting what it removes ("Alex Example's erasure request")
        put it back everywhere (found by a review). Compared as names are: whatever the case,
        spacing or accents typed apart."""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        paths = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]
        for reason in (
            f"{PUPIL.name}'s erasure request",
            f"Erasure request of {PUPIL.name.upper().replace(' ', '  ')}",
            f"Erasure request, born {PUPIL.date_of_birth.isoformat()}",
        ):
            with pytest.raises(FormInvalid) as refused:
                store.redact("case-01", None, paths, reason, by=ADMISSIONS, on=REDACTED_ON)
            [(field, problem)] = refused.value.problems
            assert field == "reason"
            assert "without quoting what it removes" in problem
            assert PUPIL.name not in problem
        with pytest.raises(FormInvalid, match="without quoting"):
            store.redact(
                "case-01",
                2,
                ["form.parent_name"],
                "Dana Example asked",
                by=ADMISSIONS,
                on=REDACTED_ON,
            )
        assert self.rows_of(store, "case-01") == before
        assert store.cases(text="Example")[0].pupil_name == PUPIL.name
        store.redact(
            "case-01", 2, ["form.parent_name"], "Mother's request", by=ADMISSIONS, on=REDACTED_ON
        )
        assert store.verify() == []

    @pytest.mark.parametrize(
        "reason",
        [
            "Example family erasure request",
            "Erasure request from Alex's mother",
            "ALEX asked",
            "Request (alex-example)",
        ],
        ids=["surname", "first-name", "case", "dash"],
    )
    def test_a_reason_quoting_a_word_of_a_name_it_removes_is_refused(
        self, store: Store, reason: str
    ) -> None:
        """A reason quoting the surname alone, or the first name, put it back in every
        placeholder and the search column, so the erased child was still found by it (found by
        a review): any word of a person's name removed, of two letters or more, is refused."""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        paths = ["pupil.name", "form.child_name"]
        with pytest.raises(FormInvalid) as refused:
            store.redact("case-01", None, paths, reason, by=ADMISSIONS, on=REDACTED_ON)
        [(field, problem)] = refused.value.problems
        assert field == "reason"
        assert problem.startswith("the reason quotes a word of the name removed at pupil.name")
        assert "without quoting what it removes" in problem
        assert not {"Alex", "Example"} & set(problem.replace("'", " ").split())
        assert self.rows_of(store, "case-01") == before

    def test_a_reason_is_refused_for_a_name_written_with_another_apostrophe(
        self, store: Store
    ) -> None:
        """Names are compared as a subject access request compares them: a reason quoting
        "O'Brien" for a parent recorded as "O’Brien" is refused (found by a review); a word
        of one letter ("O") is not."""
        case = opened("case-01")
        case.record_consent(consent(parent_name="Aoife O\u2019Brien"), by=AP_HEAD, on=CONSENTED)
        store.save(case)
        with pytest.raises(FormInvalid, match=r"a word of the name removed at form\.parent_name"):
            store.redact(
                "case-01",
                2,
                ["form.parent_name"],
                "Request of Mrs O'Brien",
                by=ADMISSIONS,
                on=REDACTED_ON,
            )
        store.redact(
            "case-01", 2, ["form.parent_name"], "Request O/2026", by=ADMISSIONS, on=REDACTED_ON
        )
        assert "Brien" not in json.dumps(self.rows_of(store, "case-01"), default=str)

    @pytest.mark.parametrize(
        ("name", "reason", "quoted"),
        [
            ("J S", "J S erasure request", "the name removed"),
            ("A B", "Erasure request for a  b", "the name removed"),
            ("J O\u2019B", "Request of J O'B", "the name removed"),
            ("\u738b \u4f1f", "\u738b \u4f1f erasure request", "the name removed"),
            ("\u738b\u4f1f", "Request of \u4f1f's family", "a word of the name removed"),
        ],
        ids=["initials", "case-and-spacing", "apostrophe", "han-spaced", "han-given-name"],
    )
    def test_a_reason_quoting_a_name_of_one_letter_words_whole_is_refused(
        self, store: Store, name: str, reason: str, quoted: str
    ) -> None:
        """A name whose words are all of one letter (initials "J S") was quoted by no word, so
        a reason quoting it whole put it back in every placeholder and the search column (found
        by a review): the whole name is refused, compared as a subject access request reads
        names. A Han character is a word of its own ("\u4f1f", a given name)."""
        store.save(opened("case-01", pupil=attrs.evolve(PUPIL, name=name)))
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid) as refused:
            store.redact("case-01", None, ["pupil.name"], reason, by=ADMISSIONS, on=REDACTED_ON)
        [(field, problem)] = refused.value.problems
        assert field == "reason"
        assert problem.startswith(f"the reason quotes {quoted} at pupil.name of entry 1")
        assert self.rows_of(store, "case-01") == before

    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("J S", "Request J/2026 of the S team"),
            ("\u738b \u4f1f", "Erasure request"),
        ],
        ids=["initials-apart", "han"],
    )
    def test_a_reason_may_hold_a_one_letter_word_of_a_name_alone(
        self, store: Store, name: str, reason: str
    ) -> None:
        """A word of one letter is refused only with the rest of the name ("J" is no name)."""
        store.save(opened("case-01", pupil=attrs.evolve(PUPIL, name=name)))
        [note] = store.redact(
            "case-01", None, ["pupil.name"], reason, by=ADMISSIONS, on=REDACTED_ON
        )
        assert note.paths == ("pupil.name",)
        assert store.cases(text=name) == []

    @pytest.mark.parametrize(
        "reason",
        [
            "Wrong DoB 14/05/2012",
            "DoB 14.5.2012 typed wrongly",
            "Born 14th May 2012: wrong",
            "Wrong DoB 14/05/12",
            "DoB 14.5.12 typed wrongly",
            "Born 14-May-2012",
            "Born 14 May, 2012",
        ],
        ids=["slashes", "dots", "words", "short-year", "short-dots", "dashes", "comma"],
    )
    def test_P2_a_redactions_reason_may_quote_the_date_of_birth_it_removes_as_people_write_it(
        self, store: Store, reason: str
    ) -> None:
        """A date of birth was refused in a reason only as stored (2012-05-14): written as an
        office writes it ("Wrong DoB 14/05/2012") it was taken, and shown in place of every
        value removed (review P, P2)."""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        paths = ["pupil.date_of_birth", "form.child_dob"]
        with pytest.raises(FormInvalid) as refused:
            store.redact("case-01", None, paths, reason, by=ADMISSIONS, on=REDACTED_ON)
        [(field, problem)] = refused.value.problems
        assert field == "reason"
        assert problem.startswith("the reason quotes the value removed at pupil.date_of_birth")
        assert self.rows_of(store, "case-01") == before

    def reason_refused(self, store: Store, reason: str) -> str:
        """The one problem refusing a redaction of case-01's transport plan (entry 3) for its
        `reason`, which changes nothing."""
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid) as refused:
            store.redact(
                "case-01", 3, ["information.transport_plan"], reason, by=ADMISSIONS, on=REDACTED_ON
            )
        [(field, problem)] = refused.value.problems
        assert field == "reason"
        assert self.rows_of(store, "case-01") == before
        return problem

    @pytest.mark.parametrize(
        ("reason", "where"),
        [
            ("Alex no longer needs it", "a word of the name the case holds at pupil.name"),
            ("Request of Dana", "a word of the name the case holds at form.parent_name"),
            ("Born 14/05/2012: not needed", "the value the case holds at pupil.date_of_birth"),
        ],
        ids=["child", "parent", "date-of-birth"],
    )
    def test_P1_an_erased_childs_name_survives_in_an_earlier_redactions_reason(
        self, store: Store, reason: str, where: str
    ) -> None:
        """A reason was checked only against the values its redaction removed: one removing the
        transport plan "Alex no longer needs it" was taken, bound into the chain and shown in
        the plan's place, and no later erasure of the child's name (nor a retention run) could
        take the name from it (review P, P1). A reason may quote no name or date of birth the
        case holds; the erasure then leaves the name nowhere."""
        store.save(built("case-01", 3))
        problem = self.reason_refused(store, reason)
        assert problem.startswith(f"the reason quotes {where}")
        assert "no later erasure of that value could remove it" in problem
        assert not {"Alex", "Dana", "Example"} & set(problem.replace("'", " ").split())
        store.redact(
            "case-01",
            3,
            ["information.transport_plan"],
            "No longer needed",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        paths = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]
        store.redact("case-01", None, paths, "Erasure request", by=ADMISSIONS, on=REDACTED_ON)
        assert "Alex" not in repr(store.redactions("case-01"))
        assert "Alex" not in json.dumps([t.data for t in store.load("case-01").history])
        assert store.verify() == []

    @pytest.mark.parametrize(
        ("reason", "where"),
        [
            ("Family left 4 Model Close, Exampletown EX1 2YZ", "pupil.address of entry 1"),
            ("FAMILY LEFT 4  model close, exampletown  ex1 2yz", "pupil.address of entry 1"),
            ("Not at Flat 2, 9 Sample Road, Exampletown EX2 3AB", "form.child_address of entry 2"),
            ("Mother at 11 Test Street, Otherton OT1 1AA", "form.parent_address of entry 2"),
            ("Moved to 27 Mock Lane, Exampletown EX3 4CD", "meeting.address_change of entry 8"),
            ("Joiner form: 5 Trial Gardens, Exampletown EX4 5EF", "form.address of entry 11"),
        ],
        ids=["pupil", "folded", "child-consent", "parent-consent", "review", "outcome"],
    )
    def test_D11_a_reason_may_not_quote_an_address_the_case_holds_whole(
        self, store: Store, reason: str, where: str
    ) -> None:
        """A reason was read for the names and dates of birth the case holds, not its
        addresses: removing the transport plan "Family left 4 Model Close, Exampletown EX1 2YZ"
        was taken, and after the address's own erasure the reason kept it in the chain, shown
        in the plan's place (review D, D11). Every address field of the forms (marked
        `fields.ADDRESS`) the case holds is refused when quoted whole, folded as a removed
        value is (case, spaces, invisible characters)."""
        store.save(addressed("case-01"))
        problem = self.reason_refused(store, reason)
        assert problem.startswith(f"the reason quotes the value the case holds at {where};")
        assert "no later erasure of that value could remove it" in problem
        assert not {"Model", "Sample", "Test", "Mock", "Trial"} & set(problem.split())

    @pytest.mark.parametrize(
        "reason",
        [
            "Postcode EX1 2YZ mistyped",
            "Model Close was misspelt",
            "Not at 4 Model Close any more",
            "Exampletown EX3 4CD no longer needed",
        ],
        ids=["postcode", "street", "part", "town-and-postcode"],
    )
    def test_D11_a_reason_may_quote_part_of_an_address(self, store: Store, reason: str) -> None:
        """Only an address quoted whole is refused, as a removed value is: a postcode or a
        street alone names no home on its own."""
        store.save(addressed("case-01"))
        [note] = store.redact(
            "case-01", 3, ["information.transport_plan"], reason, by=ADMISSIONS, on=REDACTED_ON
        )
        assert note.reason == reason
        assert store.verify() == []

    @pytest.mark.parametrize(
        ("answer", "quoting"),
        [
            ("No", "No plan needed"),
            ("None", "None of this is needed now"),
            ("No change", "No change of plan: not needed"),
            ("as above", "Noted as above, not needed"),
            ("n/a", "Plan was n/a"),
        ],
    )
    def test_Y2_a_non_answer_to_a_change_of_address_refuses_no_reason(
        self, store: Store, answer: str, quoting: str
    ) -> None:
        """D11 read a review's change of address as an address whatever it held, and most
        often it holds "No" or "None": the reason the docs give, "No longer needed", was then
        refused as quoting 'the value the case holds at meeting.address_change' (review Y, Y2).
        An address is read only when it could locate a home (a digit, or three words)."""
        case = opened("case-01")
        case.record_consent(consent(parent_address=answer), by=AP_HEAD, on=CONSENTED)
        advanced(case, 5)
        meeting = review(FIRST_REVIEW, address_change=answer)
        case.hold_review(meeting, by=HOST_STAFF, on=FIRST_REVIEW)
        store.save(case)
        for reason, path in [
            ("No longer needed", "transport_plan"),
            (quoting, "reasons_for_success"),
        ]:
            [note] = store.redact(
                "case-01", 3, [f"information.{path}"], reason, by=ADMISSIONS, on=REDACTED_ON
            )
            assert note.reason == reason
        assert store.verify() == []

    @pytest.mark.parametrize(
        ("address", "reason"),
        [
            ("4 Model Close", "Family left 4 Model Close"),
            ("Flat 2", "Not at flat 2 now"),
            ("Rose Cottage, Exton", "Left Rose Cottage, Exton in May"),
            ("Rose Cottage, Little Exton", "Moved from ROSE COTTAGE,  little EXTON"),
        ],
        ids=["number", "flat-number", "three-words", "four-words-folded"],
    )
    def test_Y2_an_address_that_could_locate_a_home_is_still_refused(
        self, store: Store, address: str, reason: str
    ) -> None:
        """A held address holding a digit, or three words of two letters or more (an address
        without a house number), is still refused when a reason quotes it whole, as D11 was
        (review Y, Y2)."""
        case = opened("case-01")
        case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
        advanced(case, 5)
        case.hold_review(
            review(FIRST_REVIEW, address_change=address), by=HOST_STAFF, on=FIRST_REVIEW
        )
        store.save(case)
        problem = self.reason_refused(store, reason)
        assert problem.startswith(
            "the reason quotes the value the case holds at meeting.address_change of entry 8;"
        )

    def test_P3_the_childs_name_leaves_every_name_field_and_free_text_by_its_own_path(
        self, store: Store
    ) -> None:
        """docs/cli.md said removing the child's name and date of birth together "erases the
        child's name from the whole case", yet a withdrawal's reason, review notes or a failure
        letter naming the child kept it (review P, P3). What the page now says holds: the
        erasure removes the name from every place it is stored as a name; free text that
        mentions the child stays until its own path is redacted (`redact CASE SEQ PATH`)."""
        case = built("case-01", 3)
        case.withdraw("Alex has moved to live with an aunt.", by=PARENT, on=REFERRED)
        store.save(case)
        erasure_paths = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]
        store.redact(
            "case-01", None, erasure_paths, "Erasure request", by=ADMISSIONS, on=REDACTED_ON
        )
        loaded = store.load("case-01")
        assert "Alex" not in loaded.pupil.name
        assert "Alex" not in loaded.history[1].data["form"]["child_name"]
        assert loaded.history[-1].data["reason"] == "Alex has moved to live with an aunt."
        store.redact("case-01", 4, ["reason"], "Erasure request", by=ADMISSIONS, on=REDACTED_ON)
        assert "Alex" not in json.dumps([t.data for t in store.history("case-01")], default=str)
        assert store.verify() == []

    def test_P4_a_parents_organisation_is_refused_before_the_store_keeps_it(
        self, store: Store
    ) -> None:
        """A parent's "organisation" (a family name, an address) was kept in the log's actor,
        where no redaction or retention run can reach it (review P, P4). The step is refused
        and nothing is kept; the parent giving none withdraws, and the erasure of the actor's
        name and id then leaves nothing of the family in any actor."""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        case = store.load("case-01")
        given = attrs.evolve(PARENT, organisation="Example family, 4 Model Close")
        with pytest.raises(NotPermitted, match="acts for themselves and gives no organisation"):
            case.withdraw("We are moving away.", by=given, on=REFERRED)
        store.save(case)
        assert self.rows_of(store, "case-01") == before
        case.withdraw("We are moving away.", by=PARENT, on=REFERRED)
        store.save(case)
        store.redact(
            "case-01",
            4,
            ["actor.name", "actor.id"],
            "Erasure request",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        actor = store.history("case-01")[-1].actor
        assert not {"Dana", "Example", "Model"} & set(
            f"{actor.id} {actor.name} {actor.organisation}".split()
        )
        assert store.verify() == []

    def test_a_reason_may_quote_part_of_a_value_that_is_no_name(self, store: Store) -> None:
        """Only a person's name is refused by its words; other text is refused when the reason
        quotes it whole."""
        store.save(built("case-01", 3))
        with pytest.raises(FormInvalid, match="quotes the value removed"):
            store.redact(
                "case-01",
                3,
                ["information.transport_plan"],
                f"Asked to remove '{information().transport_plan}'",
                by=ADMISSIONS,
                on=REDACTED_ON,
            )
        [note] = store.redact(
            "case-01",
            3,
            ["information.transport_plan"],
            "Bus pass details asked to be removed",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        assert note.paths == ("information.transport_plan",)

    def test_a_history_holds_a_placeholder_only_where_a_redaction_removed_a_value(
        self, store: Store
    ) -> None:
        """Import refuses a bare history holding a removed value (`holds_placeholder`): it
        read any text equal to the placeholder date as one, a case id "0001-01-01" or a reason
        typed so (found by a review). Only a value a redaction may remove, holding what a
        redaction leaves, counts; the case id and such text are loaded as they are."""
        case = built("0001-01-01", 2)
        case.withdraw("0001-01-01", by=PARENT, on=CONSENTED)
        store.save(case)
        assert not holds_placeholder(store.history("0001-01-01"))
        store.redact(
            "0001-01-01",
            None,
            ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"],
            "Erasure request",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        assert holds_placeholder(store.history("0001-01-01"))
        loaded = store.load("0001-01-01")
        assert loaded.case_id == "0001-01-01"
        assert loaded.history[-1].data["reason"] == "0001-01-01"
        assert loaded.pupil.date_of_birth == dt.date(1, 1, 1)
        store.save(built("case-02", 3))
        store.redact("case-02", 2, ["form.parent_name"], "Request", by=ADMISSIONS, on=REDACTED_ON)
        assert holds_placeholder(store.history("case-02"))

    def test_a_redaction_a_rule_would_refuse_is_refused_and_changes_nothing(
        self, store: Store
    ) -> None:
        """R2 compares the child's date of birth on the consent form with the pupil's: remove
        both. (A name removed takes its copies with it, the consent form's too.)"""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid, match="would no longer load"):
            store.redact(
                "case-01", 1, ["pupil.date_of_birth"], "Erasure", by=ADMISSIONS, on=REDACTED_ON
            )
        assert self.rows_of(store, "case-01") == before
        assert store.redactions("case-01") == []

    @pytest.mark.parametrize(
        ("by", "problem"),
        [
            (PARENT, "a parent or carer asks for a redaction, and staff of the case's AP setting"),
            (
                attrs.evolve(ADMISSIONS, organisation="Another Council"),
                f"Jo Whitfield acts for 'Another Council', not for the case's local authority "
                f"{AUTHORITY!r}",
            ),
            (
                attrs.evolve(AP_HEAD, organisation=AUTHORITY),
                f"{AP_HEAD.name} acts for {AUTHORITY!r}, not for the case's AP setting "
                f"{AP_SETTING!r}",
            ),
        ],
        ids=["a parent", "another authority's officer", "the AP's head for the authority"],
    )
    def test_a_redaction_by_someone_not_acting_for_the_case_is_refused(
        self, store: Store, by: Actor, problem: str
    ) -> None:
        """Anyone claimed in any role or organisation removed evidence for good (found by a
        review): a redaction is made by staff of a party to the case."""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid) as refused:
            store.redact("case-01", 2, ["form.parent_name"], "Request", by=by, on=REDACTED_ON)
        assert refused.value.problems[0][0] == "by"
        assert refused.value.problems[0][1].startswith(problem)
        assert self.rows_of(store, "case-01") == before
        store.redact("case-01", 2, ["form.parent_name"], "Request", by=AP_HEAD, on=REDACTED_ON)
        assert [note.by for note in store.redactions("case-01")] == [AP_HEAD]

    def test_a_refused_redaction_does_not_quote_the_values_it_was_to_remove(
        self, store: Store
    ) -> None:
        """R2's refusal names the child and the date of birth it compares: the redaction's own
        refusal says which entry and rule, not their words."""
        store.save(built("case-01", 3))
        for path in ("pupil.date_of_birth",):
            with pytest.raises(FormInvalid, match="would no longer load") as refused:
                store.redact("case-01", 1, [path], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
            shown = str(refused.value)
            assert PUPIL.name not in shown
            assert PUPIL.date_of_birth.isoformat() not in shown
            assert "the record_consent step's rule at entry 2" in shown
            # In the library's words, not its internals': no class name, no `seq None`.
            assert "GuardFailed" not in shown
            assert "seq None" not in shown
            assert "seq=None" in shown

    @pytest.mark.parametrize("seq", [True, 2.0, "2"], ids=repr)
    def test_a_redaction_of_an_entry_named_by_other_than_its_number_is_refused(
        self, store: Store, seq: object
    ) -> None:
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid, match="entry's number"):
            store.redact(
                "case-01",
                seq,  # type: ignore[arg-type]
                ["form.parent_name"],
                "Erasure",
                by=ADMISSIONS,
                on=REDACTED_ON,
            )
        assert self.rows_of(store, "case-01") == before
        assert store.verify() == []

    @pytest.mark.parametrize(
        ("seq", "paths", "reason", "message"),
        [
            (2, ["form.signed_on"], "Erasure", "no personal data"),
            (3, ["deadlines"], "Erasure", "no personal data"),
            (2, ["form.ap_setting"], "Erasure", "no personal data"),
            (2, ["form.no_such_field"], "Erasure", "names no value"),
            (9, ["form.parent_name"], "Erasure", "no entry 9"),
            (2, ["form.parent_name"], "", "needs a reason"),
            # Printable text that prints nothing (the blank Braille pattern, the Hangul
            # filler) is no reason either (review S, S3); a zero-width space is not printable.
            (2, ["form.parent_name"], "\u2800", "needs a reason"),
            (2, ["form.parent_name"], " \u3164 ", "needs a reason"),
            (2, ["form.parent_name"], "\u200b", "needs a reason"),
            (2, ["form.parent_name"], "line one\nline two", "one line"),
            (2, ["form.parent_name"], "x" * 161, "at most 160"),
            (2, ["actor.role"], "Erasure", "only id and name"),
            (2, ["form..name"], "Erasure", "not a path"),
            (None, ["pupil.nmae"], "Erasure", "names no value of any transition"),
            # Of every entry, as one: refused as no personal data, not as "nothing to remove".
            (None, ["form.signed_on"], "Erasure", "'form.signed_on' holds no personal data"),
            (None, ["pupil.key_stage", "case_id"], "Erasure", "'pupil.key_stage' holds no"),
        ],
    )
    def test_a_redaction_that_is_not_a_removal_of_personal_data_is_refused(
        self, store: Store, seq: int | None, paths: list[str], reason: str, message: str
    ) -> None:
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid, match=message):
            store.redact("case-01", seq, paths, reason, by=ADMISSIONS, on=REDACTED_ON)
        assert self.rows_of(store, "case-01") == before

    def test_a_note_made_with_a_reason_that_prints_nothing_still_reads_and_verifies(
        self, store: Store
    ) -> None:
        """A redaction made before a reason that prints nothing was refused (its reason the
        blank Braille pattern) is read back and verifies: only a redaction being made is
        refused such a reason."""
        store.save(built("case-01", 3))
        with mock.patch(
            "reintegration_fsm.stores.personal.fits",
            lambda reason: None if reason.strip() else "needs a reason",
        ):
            store.redact(
                "case-01", 2, ["form.parent_name"], "\u2800", by=ADMISSIONS, on=REDACTED_ON
            )
        assert [note.reason for note in store.redactions("case-01")] == ["\u2800"]
        assert store.verify() == []
        assert store.load("case-01").version == 3

    def test_of_every_entry_a_path_naming_nothing_beside_a_good_one_is_refused(
        self, store: Store
    ) -> None:
        """Of every entry (`all`), a misspelt path or one of no personal data beside a path
        that removes a value was left without a word, and the erasure reported done while the
        value it meant stayed (found by a review): refused, each named, nothing changed."""
        store.save(built("case-01", 3))
        before = self.rows_of(store, "case-01")
        with pytest.raises(FormInvalid) as refused:
            store.redact(
                "case-01",
                None,
                ["form.parent_name", "form.parent_nmae", "form.signed_on"],
                "Erasure",
                by=ADMISSIONS,
                on=REDACTED_ON,
            )
        assert str(refused.value) == (
            "redact.paths: 'form.parent_nmae' names no value of any transition; "
            "'form.signed_on' holds no personal data a redaction may remove (the protocol's "
            "rules, statistics or ledger read it)"
        )
        assert self.rows_of(store, "case-01") == before

    def test_of_every_entry_a_path_already_removed_beside_a_good_one_is_allowed(
        self, store: Store
    ) -> None:
        """A path whose values are removed already still names personal data: the request
        goes on with the others."""
        store.save(built("case-01", 3))
        store.redact(
            "case-01", None, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON
        )
        [note] = store.redact(
            "case-01",
            None,
            ["form.parent_name", "form.relationship"],
            "Erasure",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        assert (note.seq, note.paths) == (2, ("form.relationship",))

    def test_nothing_left_to_remove_is_refused(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        with pytest.raises(FormInvalid, match="nothing to remove"):
            store.redact("case-01", 2, ["form.parent_name"], "Again", by=ADMISSIONS, on=REDACTED_ON)

    def test_a_second_redaction_of_an_entry_is_numbered_and_chained(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "First", by=ADMISSIONS, on=REDACTED_ON)
        later = REDACTED_ON + dt.timedelta(days=20)
        clock(later)  # the second made 20 days on
        store.redact("case-01", 2, ["form.relationship"], "Second", by=ADMISSIONS, on=later)
        notes = store.redactions("case-01")
        assert [(n.number, n.paths, n.reason) for n in notes] == [
            (1, ("form.parent_name", "form.signed_by"), "First"),  # the parent signed
            (2, ("form.relationship",), "Second"),
        ]
        form = store.load("case-01").history[1].data["form"]
        assert form["parent_name"] == f"(redacted on {REDACTED_ON}: First)"
        assert form["relationship"] == f"(redacted on {later}: Second)"
        assert store.verify() == []

    def test_a_parents_name_as_actor_and_their_words_can_be_removed(self, store: Store) -> None:
        store.save(withdrawn_by_parent("case-01"))
        store.redact(
            "case-01",
            3,
            ["actor.name", "actor.id", "reason"],
            "Erasure",
            by=ADMISSIONS,
            on=REDACTED_ON,
        )
        last = store.load("case-01").history[-1]
        assert last.actor.name == last.actor.id == last.data["reason"]
        assert last.actor.name == f"(redacted on {REDACTED_ON}: Erasure)"
        assert store.verify() == []
        stored = self.rows_of(store, "case-01")[1][2]
        assert "Dana" not in stored["actor_name"]
        assert "Dorset" not in stored["data"]

    def test_cases_saved_before_and_loaded_after_a_redaction_save_on(self, store: Store) -> None:
        before = built("case-01", 3)
        store.save(before)
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        store.save(before)  # the store still holds it: a no-op
        after = store.load("case-01")
        store.save(after)  # and the redacted copy: a no-op too
        fresh = self.fresh_view(store)
        with pytest.raises(ConcurrentUpdate, match="redacted after this copy was loaded"):
            fresh.save(built("case-01", 4))  # an unredacted copy that goes on: behind
        assert store.load("case-01").version == 3
        fresh.save(advanced(fresh.load("case-01"), 1))  # loaded again, it goes on
        assert store.load("case-01").version == 4
        assert store.verify() == []

    def fresh_view(self, store: Store) -> Store:
        """Another store object on the same data, which has seen none of the caller's cases."""
        if isinstance(store, SqlAlchemyStore):
            return SqlAlchemyStore(store.engine, calendar=CALENDAR)
        view = store.for_authority(AUTHORITY)
        view._authority = None  # no public way to an unscoped view of the same dicts
        return view

    def test_a_redaction_of_an_entry_holding_both_kinds_of_key_is_refused(
        self, store: Store
    ) -> None:
        """Leaf keys written beside the payload key of an entry no redaction touched: verify()
        reports it altered, and a redaction rewrote both columns and left verify() calling the
        store sound (found by a review). It is refused, as an entry without a salt is, and
        verify() still reports it."""
        store.save(built("case-01", 3))
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        assert entries[1]["payload_key"] is not None
        entries[1] = entries[1] | {"leaf_keys": bytes(range(16))}
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        [reported] = store.verify()
        assert (reported.seq, reported.what) == (
            2,
            "it holds both a payload key and leaf keys (altered)",
        )
        for seq in (2, None):
            with pytest.raises(FormInvalid, match="entry 2 holds both a payload key and leaf keys"):
                store.redact(
                    "case-01", seq, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON
                )
        assert store.verify() == [reported]
        assert store.redactions("case-01") == []

    def test_a_redaction_that_changed_a_value_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        data = json.loads(entries[1]["data"])
        data["form"]["agrees"] = False  # "redacted" into a refusal
        entries[1]["data"] = json.dumps(data)
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        assert (
            2,
            "payload does not match its digest: a value was changed or added after "
            "saving (a redaction may only remove values)",
        ) in [(p.seq, p.what) for p in store.verify()]

    def test_a_value_added_under_a_redaction_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        data = json.loads(entries[1]["data"])
        data["form"]["note"] = "Added later"
        entries[1]["data"] = json.dumps(data)
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        assert 2 in {p.seq for p in store.verify() if "digest" in p.what}

    def test_a_removal_no_record_names_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.relationship"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        case, entries, _, items, ledger = self.rows_of(store, "case-01")
        self.write_rows(store, "case-01", (case, entries, [], items, ledger))
        assert [(p.seq, p.what) for p in store.verify()] == [
            (2, "a value removed that no redaction record names (form.relationship)"),
            (None, "case row counts 1 redaction records but the case has 0"),
        ]

    def test_a_value_put_back_under_its_record_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        original = self.rows_of(store, "case-01")[1][1]["data"]
        store.redact("case-01", 2, ["form.relationship"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        entries[1]["data"] = original
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        # The entry keeps no key for the value put back (scheme 3): its root cannot be made.
        assert [(p.seq, p.what) for p in store.verify()] == [
            (
                2,
                "payload does not match its digest: a value was changed or added after "
                "saving (a redaction may only remove values)",
            ),
            (2, "a redaction record names form.relationship, which holds a value again"),
        ]

    def test_a_redaction_record_moved_to_another_entry_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        moved = [note | {"seq": 3} for note in notes]
        self.write_rows(store, "case-01", (case, entries, notes + moved, items, ledger))
        assert (3, "the redaction record 1 does not match its hash") in [
            (p.seq, p.what) for p in store.verify()
        ]

    # -- checkpoints ---------------------------------------------------------------------------
    def test_a_checkpoint_holds_every_case_and_a_sound_store_extends_it(self, store: Store) -> None:
        for number, length in enumerate((1, 3, 11)):
            store.save(built(f"case-{number:02}", length))
        checkpoint = store.checkpoint()
        assert [(c.case_id, c.version) for c in checkpoint.cases] == [
            ("case-00", 1),
            ("case-01", 3),
            ("case-02", 11),
        ]
        assert checkpoint.root == checkpoint.computed_root
        again = Checkpoint.from_json(checkpoint.to_json())
        assert again == checkpoint
        store.save(built("case-01", 5))  # a history that goes on still extends it
        store.save(built("case-03", 2))  # and a new case is no problem
        store.redact("case-02", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        assert store.verify(checkpoint=again) == []

    def test_an_entry_dated_back_and_chained_again_is_reported(self, store: Store) -> None:
        """Re-dated to before the entries it follows, its hash and the case row recomputed:
        verify() called the store sound (found by a review)."""
        store.save(built("case-01", 3))
        first = self.rows_of(store, "case-01")[1][0]["recorded_at"]
        back = first - dt.timedelta(days=200)
        self.forge(store, "case-01", built("case-01", 3).history, keep=2, recorded_at=back)
        [problem] = store.verify()
        assert (problem.case_id, problem.seq) == ("case-01", 3)
        assert problem.what.startswith(f"recorded at {back:%Y-%m-%d %H:%M}, before entry 2")

    def test_a_redaction_record_dated_back_and_chained_again_is_reported(
        self, store: Store
    ) -> None:
        """Re-dated to years before the entry it redacts, its hash recomputed: verify() called
        the store sound (found by a review)."""
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        back = entries[1]["recorded_at"] - dt.timedelta(days=2000)
        note = dict(notes[0], redacted_at=back)
        note["hash"] = redaction_hash(note, entries[1]["hash"])
        self.write_rows(store, "case-01", (case, entries, [note], items, ledger))
        [problem] = store.verify()
        assert (problem.case_id, problem.seq) == ("case-01", 2)
        assert problem.what.startswith(
            f"redaction 1 recorded at {back:%Y-%m-%d %H:%M}, before the entry"
        )

    def test_an_entry_a_minute_behind_the_one_before_is_a_clock_not_a_forgery(
        self, store: Store
    ) -> None:
        """Each entry is stamped by the clock of the process that saved it."""
        store.save(built("case-01", 3))
        first = self.rows_of(store, "case-01")[1][0]["recorded_at"]
        self.forge(
            store,
            "case-01",
            built("case-01", 3).history,
            keep=2,
            recorded_at=first - dt.timedelta(minutes=1),
        )
        assert store.verify() == []

    def test_a_sound_log_verified_where_the_clock_is_behind_names_r16_and_the_clock(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Verified where the clock reads 1 January 2025 (an examiner's copy in a machine whose
        clock was set back, or reset), R16 refuses every step more than a year after that day:
        the report quotes R16's dates and names the clock, where it said "GuardFailed (not
        quoted: ...)", the words a forged history gets (review U1)."""
        store.save(built("case-01", 4))
        assert store.verify() == []
        monkeypatch.setattr(
            rules.dates, "furthest_date", lambda: dt.date(2025, 1, 1) + rules.FURTHEST_AHEAD
        )
        assert [(p.case_id, p.seq, p.what) for p in store.verify()] == [
            (
                "case-01",
                1,
                "history does not replay at its 'open' transition: GuardFailed: R16 refuses its "
                "date (The date 2026-01-12 is more than a year ahead (after 2026-01-02); a step "
                "dated so far ahead would lock the case.), counting the year from this "
                "machine's today, 2025-01-01 by its clock: if that clock is behind the one that "
                "wrote the log, the log may be sound; verify on a machine whose date is right",
            )
        ]

    @staticmethod
    def clock_back(monkeypatch: pytest.MonkeyPatch, minutes: int) -> dt.datetime:
        """Every store's clock `minutes` behind: what it now reads."""
        back = utc_now() - dt.timedelta(minutes=minutes)
        for module in (
            memory_saving,
            memory_redacting,
            memory_verifying,
            sql_saving,
            sql_redacting,
            sql_verifying,
        ):
            monkeypatch.setattr(module, "utc_now", lambda: back)
        return back

    @staticmethod
    def got_again(store: Store, case: Reintegration, got: str) -> Reintegration:
        """`case` (saved as 'case-01') as a caller may hold it next: the object `saved`, or
        `loaded`, `streamed` by `load_all()`, or an equal copy the store never saw (`unseen`)."""
        if got == "loaded":
            return store.load("case-01")
        if got == "streamed":
            [streamed] = store.load_all()
            return streamed
        if got == "unseen":
            return built("case-01", case.version)
        return case

    @pytest.mark.parametrize("got", ["saved", "loaded", "streamed", "unseen"])
    def test_a_save_by_a_clock_behind_the_last_entry_by_more_than_the_slack_is_refused(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, got: str
    ) -> None:
        """A clock stepped back 20 minutes (NTP correcting a drifted host, a VM resumed from a
        snapshot): the store wrote the entry, which its own verify() then reported as "dated
        back behind the store", a forgery's words (review U3). However the case object was
        got: each save path checks the stamp it already holds, no extra read."""
        case = built("case-01", 2)
        store.save(case)
        last = self.rows_of(store, "case-01")[1][-1]["recorded_at"]
        case = self.got_again(store, case, got)
        back = self.clock_back(monkeypatch, 20)
        with pytest.raises(StoreError) as refused:
            store.save(ended(case))
        assert (refused.value.retryable, refused.value.case_id) == (False, "case-01")
        assert str(refused.value) == (
            f"could not save case 'case-01': this machine's clock reads {back:%Y-%m-%d %H:%M} "
            f"(UTC), before the case's latest entry, recorded at {last:%Y-%m-%d %H:%M}, by more "
            "than the 10 minutes two machines' clocks may differ; nothing was written. Correct "
            "this machine's clock (NTP) and try again"
        )
        assert len(store.history("case-01")) == 2
        assert store.verify() == []

    @pytest.mark.parametrize("got", ["saved", "loaded", "streamed", "unseen"])
    def test_a_save_by_a_clock_behind_an_earlier_entry_by_more_than_the_slack_is_refused(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, got: str
    ) -> None:
        """Three machines' clocks nine minutes apart each (review RV1): the third's entry is
        within ten minutes of the case's last entry, the second's, but eighteen behind the
        first's, and verify() compares an entry with the latest stamp before it. The save
        compares its clock with the latest stamp too, however the case object was got."""
        case = built("case-01", 2)
        store.save(case)
        latest = self.rows_of(store, "case-01")[1][-1]["recorded_at"]
        self.clock_back(monkeypatch, 9)
        store.save(advanced(case, 1))
        case = self.got_again(store, case, got)
        back = self.clock_back(monkeypatch, 18)
        with pytest.raises(StoreError) as refused:
            store.save(advanced(case, 1))
        assert str(refused.value).startswith(
            f"could not save case 'case-01': this machine's clock reads {back:%Y-%m-%d %H:%M} "
            f"(UTC), before the case's latest entry, recorded at {latest:%Y-%m-%d %H:%M}, by "
        )
        assert len(store.history("case-01")) == 3
        assert store.verify() == []
        self.clock_back(monkeypatch, 1)  # within ten minutes of the latest: written, sound
        store.save(case)
        assert len(store.history("case-01")) == 4
        assert store.verify() == []

    @pytest.mark.parametrize("got", ["saved", "loaded", "streamed", "unseen"])
    def test_the_latest_stamp_a_save_is_checked_against_may_be_any_entrys(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, got: str
    ) -> None:
        """The case's first entries written by a clock nine minutes behind, its third by one
        in time: a save by a clock eighteen minutes behind is refused for the third, the latest,
        which is neither the first entry nor (once saved after it) always the last."""
        self.clock_back(monkeypatch, 9)
        case = built("case-01", 2)
        store.save(case)
        now = self.clock_back(monkeypatch, 0)
        store.save(advanced(case, 1))
        case = self.got_again(store, case, got)
        back = self.clock_back(monkeypatch, 18)
        with pytest.raises(StoreError) as refused:
            store.save(advanced(case, 1))
        assert f"before the case's latest entry, recorded at {now:%Y-%m-%d %H:%M}" in str(
            refused.value
        )
        assert back < now
        assert len(store.history("case-01")) == 3
        assert store.verify() == []

    def test_a_save_by_a_clock_behind_within_the_slack_is_written_and_sound(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Five minutes behind is two machines' clocks differing, as verify() takes it."""
        case = built("case-01", 2)
        store.save(case)
        self.clock_back(monkeypatch, 5)
        store.save(ended(case))
        assert len(store.history("case-01")) == 3
        assert store.verify() == []

    def test_a_redaction_by_a_clock_behind_its_entry_by_more_than_the_slack_is_refused(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Its record would be reported as dated back before the entry it redacts (U3)."""
        store.save(built("case-01", 3))
        recorded = self.rows_of(store, "case-01")[1][1]["recorded_at"]
        back = self.clock_back(monkeypatch, 20)
        with pytest.raises(StoreError) as refused:
            store.redact(
                "case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON
            )
        assert refused.value.retryable is False
        assert str(refused.value).startswith(
            f"could not redact case 'case-01': this machine's clock reads {back:%Y-%m-%d %H:%M} "
            f"(UTC), before entry 2, which it redacts, recorded at {recorded:%Y-%m-%d %H:%M}, "
        )
        assert store.redactions("case-01") == []
        assert store.verify() == []
        self.clock_back(monkeypatch, 5)
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        assert len(store.redactions("case-01")) == 1
        assert store.verify() == []

    def test_an_entry_added_after_a_checkpoint_and_dated_before_it_is_reported(
        self, store: Store
    ) -> None:
        """The checkpoint shows the case had two entries when it was taken: a third dated
        before then was written later, whatever its date says."""
        store.save(built("case-01", 2))
        long_ago = self.rows_of(store, "case-01")[1][0]["recorded_at"] - dt.timedelta(days=2)
        self.forge(store, "case-01", built("case-01", 2).history, keep=0, recorded_at=long_ago)
        checkpoint = store.checkpoint()
        before = checkpoint.taken_at - dt.timedelta(days=1)
        self.forge(store, "case-01", built("case-01", 3).history, keep=2, recorded_at=before)
        assert store.verify() == []  # a step appended since: sound, by itself
        [problem] = store.verify(checkpoint=checkpoint)
        assert (problem.case_id, problem.seq) == ("case-01", 3)
        assert problem.what.startswith(
            f"recorded at {before:%Y-%m-%d %H:%M}, before the checkpoint of "
            f"{checkpoint.taken_at:%Y-%m-%d %H:%M}, which held the case at entry 2"
        )

    def test_a_redaction_made_after_a_checkpoint_and_dated_before_it_is_reported(
        self, store: Store
    ) -> None:
        """The checkpoint holds no redaction record of the entry: one stamped before it was
        taken was written after it (found by a review)."""
        store.save(built("case-01", 3))
        long_ago = self.rows_of(store, "case-01")[1][0]["recorded_at"] - dt.timedelta(days=2)
        self.forge(store, "case-01", built("case-01", 3).history, keep=0, recorded_at=long_ago)
        checkpoint = store.checkpoint()
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        assert store.verify(checkpoint=checkpoint) == []  # made after it: sound
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        before = checkpoint.taken_at - dt.timedelta(days=1)
        note = dict(notes[0], redacted_at=before)
        note["hash"] = redaction_hash(note, entries[1]["hash"])
        self.write_rows(store, "case-01", (case, entries, [note], items, ledger))
        assert store.verify() == []  # by itself, a redaction a day after its entry
        [problem] = store.verify(checkpoint=checkpoint)
        assert (problem.case_id, problem.seq) == ("case-01", 2)
        assert problem.what.startswith(
            f"redaction 1 recorded at {before:%Y-%m-%d %H:%M}, before the checkpoint of "
            f"{checkpoint.taken_at:%Y-%m-%d %H:%M}, which held 0 of the entry's"
        )

    def legacy_note(self, entry: Row, number: int, previous: str, at: dt.datetime) -> Row:
        """A note without paths, as the 0003 upgrade kept revision 2's manual redaction,
        following the hash `previous` and hashed with the library's own helper."""
        note: Row = {
            "case_id": entry["case_id"],
            "seq": entry["seq"],
            "number": number,
            "redacted_at": at,
            "redacted_on": None,
            "reason": "Removed at the family's request",
            "paths": None,
            "actor_id": AP_HEAD.id,
            "actor_name": AP_HEAD.name,
            "actor_role": AP_HEAD.role.value,
            "actor_organisation": AP_HEAD.organisation,
            "payload_digest": entry["payload_digest"],
        }
        note["hash"] = redaction_hash(note, previous)
        return note

    def test_a_note_without_paths_dated_back_on_a_new_entry_is_reported(self, store: Store) -> None:
        """A note without paths (what the 0003 upgrade kept of revision 2's manual redaction),
        written by hand on an entry written since revision 0011 and dated years before it and
        before the checkpoint: verify() passed it, on every engine, as a redaction made in 2020
        by a named member of staff (found by a review)."""
        store.save(built("case-01", 3))
        checkpoint = store.checkpoint()
        case, entries, _notes, items, ledger = self.rows_of(store, "case-01")
        back = dt.datetime(2020, 1, 1)
        note = self.legacy_note(entries[1], 1, entries[1]["hash"], back)
        case = case | {"redactions": 1} if case is not None and "redactions" in case else case
        self.write_rows(store, "case-01", (case, entries, [note], items, ledger))
        found = [(p.seq, p.what) for p in store.verify(checkpoint=checkpoint)]
        assert (
            2,
            "redaction record 1 is a note without paths on an entry written since revision "
            "0011: only the 0003 upgrade left such notes, each the first record of an entry "
            "written before it (altered)",
        ) in found
        assert any(
            what.startswith("redaction 1 recorded at 2020-01-01 00:00, before the entry")
            for _, what in found
        )
        assert any(
            what.startswith("redaction 1 recorded at 2020-01-01 00:00, before the checkpoint")
            for _, what in found
        )

    def test_a_note_without_paths_after_a_redaction_record_is_reported(self, store: Store) -> None:
        """The 0003 upgrade kept revision 2's one note of an entry as its first record: one
        after a record with paths, dated after it, was written by hand (found by a review)."""
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        assert store.verify() == []
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        later = notes[0]["redacted_at"] + dt.timedelta(minutes=1)
        note = self.legacy_note(entries[1], 2, notes[0]["hash"], later)
        case = case | {"redactions": 2} if case is not None and "redactions" in case else case
        self.write_rows(store, "case-01", (case, entries, [notes[0], note], items, ledger))
        assert [(p.seq, p.what) for p in store.verify()] == [
            (
                2,
                "redaction record 2 is a note without paths after another record: only the "
                "0003 upgrade left such notes, each the first record of an entry written "
                "before it (altered)",
            )
        ]

    def test_a_checkpoint_is_of_the_cases_the_store_may_show(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        scoped = store.for_authority(AUTHORITY)
        checkpoint = scoped.checkpoint()
        assert [c.case_id for c in checkpoint.cases] == ["case-01"]
        assert checkpoint.authority == AUTHORITY
        assert scoped.verify(checkpoint=checkpoint) == []
        [problem] = store.verify(checkpoint=checkpoint)
        assert problem.case_id == CHECKPOINT
        assert "the checkpoint was taken of the cases of 'Example County Council', " in (
            problem.what
        )

    def test_an_altered_checkpoint_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        checkpoint = store.checkpoint()
        altered = attrs.evolve(checkpoint, cases=(attrs.evolve(checkpoint.cases[0], version=2),))
        assert [(p.case_id, p.seq) for p in store.verify(checkpoint=altered)] == [
            (CHECKPOINT, None),  # its root no longer matches
            ("case-01", 2),  # and the history does not pass through what it now claims
        ]
        assert "root does not match" in store.verify(checkpoint=altered)[0].what

    def test_a_checkpoint_extending_the_last_is_taken_from_a_store_that_extends_it(
        self, store: Store
    ) -> None:
        private, public = _key_pair()
        store.save(built("case-01", 3))
        store.save(built("case-02", 11))
        last = store.checkpoint().sign(private)
        store.save(built("case-01", 5))  # a history goes on
        store.save(built("case-03", 2))  # a case opens
        store.redact("case-02", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        tonight = store.checkpoint(extends=last, public_key=public)
        assert [(c.case_id, c.version) for c in tonight.cases] == [
            ("case-01", 5),
            ("case-02", 11),
            ("case-03", 2),
        ]
        assert store.verify(checkpoint=tonight) == []

    def test_a_checkpoint_is_not_taken_from_a_store_that_no_longer_extends_the_last(
        self, store: Store
    ) -> None:
        """The nightly routine signed tonight's checkpoint over a store that had failed
        verify (found by a review): taken with `extends`, it is refused, naming each problem as
        verify() names it, and never anchors the truncation or the deletion."""
        store.save(built("case-01", 11))
        store.save(built("case-02", 3))
        store.save(built("case-03", 3))
        last = store.checkpoint()
        self.forge(store, "case-01", built("case-01", 10).history, keep=10)
        self.write_rows(store, "case-02", (None, [], [], [], []))
        with pytest.raises(CheckpointRefused) as refused:
            store.checkpoint(extends=last)
        assert [(p.case_id, p.what) for p in refused.value.problems] == [
            ("case-01", "truncated: the checkpoint holds version 11, the log ends at seq 10"),
            ("case-02", "gone: the checkpoint holds it at version 3, the store holds no such case"),
        ]
        assert list(refused.value.problems) == store.verify(checkpoint=last)
        assert refused.value.extends == last
        assert "nothing was written" in str(refused.value)

    def test_a_checkpoint_extending_one_of_another_key_or_scope_is_refused(
        self, store: Store
    ) -> None:
        private, _ = _key_pair()
        _, stranger = _key_pair()
        store.save(built("case-01", 3))
        store.save(built("case-02", 3, OTHER_AUTHORITY))
        last = store.checkpoint().sign(private)
        with pytest.raises(CheckpointRefused) as refused:
            store.checkpoint(extends=last, public_key=stranger)
        assert [(p.case_id, p.what) for p in refused.value.problems] == [
            (CHECKPOINT, "the checkpoint was signed with another key than the public key given")
        ]
        with pytest.raises(CheckpointRefused) as scoped:
            store.for_authority(AUTHORITY).checkpoint(extends=last)
        assert [p.case_id for p in scoped.value.problems] == [CHECKPOINT]
        with pytest.raises(FormInvalid, match="public_key"):
            store.checkpoint(public_key=stranger)
        with pytest.raises(FormInvalid, match=r"Checkpoint\.from_json"):
            store.checkpoint(extends=last.to_json())  # type: ignore[arg-type]
        with pytest.raises(MalformedCheckpoint):
            store.checkpoint(extends=last, public_key=b"not a key")

    def test_a_case_moved_out_of_a_scoped_store_is_not_left_out_of_its_next_checkpoint(
        self, store: Store
    ) -> None:
        """A case row relabelled with another authority leaves a scoped store's checkpoint
        (found by a review: between verify and checkpoint): extending the last, it is refused."""
        store.save(built("case-01", 3))
        store.save(built("case-02", 3))
        scoped = store.for_authority(AUTHORITY)
        last = scoped.checkpoint()
        case, entries, notes, items, ledger = self.rows_of(store, "case-02")
        assert case is not None
        self.write_rows(
            store, "case-02", (case | {"authority": OTHER_AUTHORITY}, entries, notes, items, ledger)
        )
        with pytest.raises(CheckpointRefused) as refused:
            scoped.checkpoint(extends=last)
        assert [(p.case_id, p.what.split(":")[0]) for p in refused.value.problems] == [
            ("case-02", "gone")
        ]

    def test_a_checkpoint_is_not_taken_over_an_entry_dated_back_behind_the_last(
        self, store: Store
    ) -> None:
        """An entry written after the last checkpoint and stamped before it (which verify
        reports against that checkpoint) would pass against tonight's, which holds it."""
        store.save(built("case-01", 2))
        long_ago = self.rows_of(store, "case-01")[1][0]["recorded_at"] - dt.timedelta(days=2)
        self.forge(store, "case-01", built("case-01", 2).history, keep=0, recorded_at=long_ago)
        last = store.checkpoint()
        before = last.taken_at - dt.timedelta(days=1)
        self.forge(store, "case-01", built("case-01", 3).history, keep=2, recorded_at=before)
        with pytest.raises(CheckpointRefused) as refused:
            store.checkpoint(extends=last)
        assert list(refused.value.problems) == store.verify(checkpoint=last)
        assert [(p.case_id, p.seq) for p in refused.value.problems] == [("case-01", 3)]

    def test_a_checkpoint_is_refused_over_a_hash_no_checkpoint_can_hold(self, store: Store) -> None:
        """`SET hash = X'00'` on a case's last entry: the checkpoint was written and signed,
        and `from_json` then refused the whole file, every other case's anchor with it (found
        by a review). It is refused as an altered row; MariaDB's BINARY(32) pads the byte to a
        digest, which is anchored, reads back, and verify reports."""
        store.save(built("case-01", 3))
        store.save(built("case-02", 3))
        case, entries, notes, items, ledger = self.rows_of(store, "case-02")
        entries[-1] = entries[-1] | {"hash": "00"}
        self.write_rows(store, "case-02", (case, entries, notes, items, ledger))
        if self.engine_name == "mariadb":
            taken = store.checkpoint()
            assert Checkpoint.from_json(taken.to_json()) == taken
            assert taken.cases[1].last_hash == "0" * 64
            assert any(p.case_id == "case-02" for p in store.verify(checkpoint=taken))
            return
        with pytest.raises(AlteredRow, match="run verify") as refused:
            store.checkpoint()
        assert refused.value.case_id == "case-02"
        assert "case 'case-02': the hash of its entry 3 is not a 32-byte digest" in str(
            refused.value
        )

    # -- the five attacks ----------------------------------------------------------------------
    def test_attack_deleting_the_last_transition_and_fixing_the_case_row(
        self, store: Store
    ) -> None:
        store.save(built("case-01", 11))
        checkpoint = store.checkpoint()
        self.forge(store, "case-01", built("case-01", 10).history, keep=10)
        assert store.verify() == []  # the chain alone cannot tell
        assert [(p.case_id, p.what) for p in store.verify(checkpoint=checkpoint)] == [
            ("case-01", "truncated: the checkpoint holds version 11, the log ends at seq 10")
        ]
        assert store.load("case-01").stage is Stage.IN_PLACEMENT  # the success is gone

    def test_attack_deleting_a_whole_case(self, store: Store) -> None:
        store.save(built("case-01", 11))
        store.save(built("case-02", 3))
        checkpoint = store.checkpoint()
        self.write_rows(store, "case-01", (None, [], [], [], []))
        assert store.verify() == []
        assert [(p.case_id, p.what) for p in store.verify(checkpoint=checkpoint)] == [
            ("case-01", "gone: the checkpoint holds it at version 11, the store holds no such case")
        ]

    def test_attack_forging_a_tail_transition(self, store: Store) -> None:
        store.save(built("case-01", 11))
        checkpoint = store.checkpoint()
        forged = built("case-01", 10)
        later = SUCCEEDED + dt.timedelta(days=59)  # the success moved to another term
        success = attrs.evolve(SUCCESS, date_on_roll=later)
        forged.record_successful_outcome(success, by=HOST_HEAD, on=later)
        self.forge(store, "case-01", forged.history, keep=10)
        assert store.verify() == []
        assert {entry.on for entry in store.ledger(*YEAR)} == {later}  # and the ledger with it
        assert [(p.case_id, p.seq, p.what) for p in store.verify(checkpoint=checkpoint)] == [
            (
                "case-01",
                11,
                "rewritten: entry 11's hash differs from the checkpoint's, so the stored history "
                "no longer extends it",
            )
        ]

    def test_attack_rewriting_the_middle_of_a_history_and_rechaining_it(self, store: Store) -> None:
        store.save(built("case-01", 11))
        checkpoint = store.checkpoint()
        history = list(built("case-01", 11).history)
        third = history[2]
        reasons = "Forged: the panel was told the move was the family's idea."
        data = json.loads(json.dumps(dict(third.data)))
        data["information"]["reasons_for_success"] = reasons
        history[2] = Transition(
            third.seq, third.trigger, third.source, third.dest, third.actor, third.on, data
        )
        self.forge(store, "case-01", history, keep=2)
        assert store.verify() == []
        assert store.load("case-01").history[2].data["information"]["reasons_for_success"] == (
            reasons
        )
        assert [(p.case_id, p.seq) for p in store.verify(checkpoint=checkpoint)] == [
            ("case-01", 11)
        ]
        assert "rewritten" in store.verify(checkpoint=checkpoint)[0].what

    @pytest.mark.parametrize(
        ("seq", "before", "after"),
        [
            (1, '"2012-05-14"', '"2099-05-14"'),  # the child's date of birth, in the future
            (2, '"Alex Example"', '"Alex Exampel \\u0007"'),  # a name on the consent form
        ],
        ids=["date-of-birth", "name"],
    )
    def test_a_history_that_does_not_replay_is_reported_without_its_values(
        self, store: Store, seq: int, before: str, after: str
    ) -> None:
        """Verify reports are read by those who may not see the child's data (an auditor, IT): a
        logged value altered so that the history no longer replays is reported at its transition
        without quoting the value (the replay error's own message does)."""
        store.save(built("case-01", 4))
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        assert before in entries[seq - 1]["data"]
        entries[seq - 1]["data"] = entries[seq - 1]["data"].replace(before, after)
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        problems = store.verify()
        replayed = [p for p in problems if "does not replay" in p.what]
        assert [(p.case_id, p.seq) for p in replayed] == [("case-01", seq)]
        assert entries[seq - 1]["trigger_name"] in replayed[0].what
        for problem in problems:
            for value in ("2099", "Exampel", PUPIL.name, "05-14"):
                assert value not in problem.what

    def test_attack_forging_a_redaction_record(self, store: Store) -> None:
        """Issue 12's fifth attack: a PLACE_OFFER breach shown as met on time and the child
        renamed, each change covered by a redaction record hashed with the library's helpers."""
        store.save(late_offer("case-01"))
        checkpoint = store.checkpoint()
        case, entries, _notes, items, ledger = self.rows_of(store, "case-01")
        renamed = "Jordan Sample"
        on_time = (LATE + dt.timedelta(days=7)).isoformat()
        changes = {
            1: [("pupil", "name", renamed)],
            2: [("form", "child_name", renamed)],
        }
        forged_notes: list[Row] = []
        for entry in entries:
            seq = entry["seq"]
            data = json.loads(entry["data"])
            for outer, inner, value in changes.get(seq, []):
                data[outer][inner] = value
            if seq == 3:
                data["deadlines"][0]["due"] = on_time
            if seq == 4:
                data["met"][0]["due"] = on_time
            entry["data"] = json.dumps(data, sort_keys=True, separators=(",", ":"))
            note = RedactionNote(
                "case-01",
                seq,
                1,
                ("pupil.name",),
                "Erasure request",
                REDACTED_ON,
                utc_now(),
                ADMISSIONS,
            )
            forged_notes.append(note_row(note, entry["data"], entry["hash"]))
        case = case | {"pupil_name": renamed, "pupil_name_folded": renamed.casefold()}
        self.write_rows(store, "case-01", (case, entries, forged_notes, items, ledger))
        shown = Reintegration.replay(transitions_from_rows(entries, {}), CALENDAR)
        assert not any(d.breached for d in shown.deadlines)  # what the forgery would show
        digest = (
            "payload does not match its digest: a value was changed or added after saving "
            "(a redaction may only remove values)"
        )
        without = [(p.seq, p.what) for p in store.verify()]
        assert {seq for seq, what in without if what == digest} == {1, 2, 3, 4}
        with_checkpoint = [(p.seq, p.what) for p in store.verify(checkpoint=checkpoint)]
        assert {seq for seq, what in with_checkpoint if what == digest} == {1, 2, 3, 4}

    def test_attack_rewriting_who_made_a_redaction_when_and_why(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """Both records of an entry's two redactions given another author, day and reason,
        their hashes recomputed with the library's helper so that each still binds the next."""
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
        later = REDACTED_ON + dt.timedelta(days=20)
        clock(later)  # the second made 20 days on
        store.redact("case-01", 2, ["form.relationship"], "Erasure", by=ADMISSIONS, on=later)
        checkpoint = store.checkpoint()
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        previous = entries[1]["hash"]
        for note in notes:
            note["actor_id"], note["actor_name"] = "la-7", "Lee Forger"
            note["reason"] = "Requested by the parent"
            note["redacted_on"] = REDACTED_ON - dt.timedelta(days=90)
            note["hash"] = previous = redaction_hash(note, previous)
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        assert store.verify() == []
        assert {n.by.name for n in store.redactions("case-01") if n.by} == {"Lee Forger"}
        assert [(p.case_id, p.seq, p.what) for p in store.verify(checkpoint=checkpoint)] == [
            (
                "case-01",
                2,
                "redaction record 2 rewritten: its hash differs from the checkpoint's, so who "
                "removed what, when or why was changed after it was taken",
            )
        ]

    def test_a_redaction_record_removed_after_a_checkpoint_is_reported(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.redact("case-01", 2, ["form.parent_name"], "First", by=ADMISSIONS, on=REDACTED_ON)
        store.redact("case-01", 2, ["form.relationship"], "Second", by=ADMISSIONS, on=REDACTED_ON)
        checkpoint = store.checkpoint()
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        self.write_rows(store, "case-01", (case, entries, notes[:1], items, ledger))
        assert (
            "case-01",
            2,
            "redaction records removed: the checkpoint holds 2 for this entry, the store 1",
        ) in [(p.case_id, p.seq, p.what) for p in store.verify(checkpoint=checkpoint)]

    def test_a_checkpoint_anchors_redactions_and_allows_later_ones(self, store: Store) -> None:
        store.save(built("case-01", 3))
        store.save(built("case-02", 3))
        store.redact("case-01", 2, ["form.parent_name"], "First", by=ADMISSIONS, on=REDACTED_ON)
        checkpoint = store.checkpoint()
        [first, second] = checkpoint.cases
        assert [(h.seq, h.count) for h in first.redactions] == [(2, 1)]
        assert second.redactions == ()
        assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
        assert store.verify(checkpoint=checkpoint) == []
        # Redactions made after it extend it, as new steps do.
        store.redact("case-01", 2, ["form.relationship"], "Second", by=ADMISSIONS, on=REDACTED_ON)
        store.redact("case-02", 2, ["form.parent_name"], "Third", by=ADMISSIONS, on=REDACTED_ON)
        assert store.verify(checkpoint=checkpoint) == []
        taken = store.checkpoint()
        assert [[(h.seq, h.count) for h in c.redactions] for c in taken.cases] == [
            [(2, 2)],
            [(2, 1)],
        ]
        assert store.verify(checkpoint=taken) == []

    # -- a case as it stood -----------------------------------------------------------------------
    def test_what_was_due_on_a_day_is_from_the_cases_as_they_stood(self, store: Store) -> None:
        """Against a reference store holding each case's history up to that day."""
        cases = [built("case-01", 11), built("case-02", 3), late_offer("case-03")]
        for case in cases:
            store.save(case)
        for day in (OPENED, REFERRED, dt.date(2026, 2, 20), dt.date(2026, 3, 1), SUCCEEDED):
            reference = InMemoryStore(calendar=CALENDAR)
            for case in cases:
                prefix = [t for t in case.history if t.on <= day]
                if prefix:
                    reference.save(Reintegration.replay(prefix, CALENDAR))
            assert due_as_of(store, day) == reference.due(day), day
            # A school's list, from the schools as they stood (no host before it was found).
            for school in (HOST_SCHOOL, AP_SETTING):
                expected = reference.due(day, school=school)
                assert due_as_of(store, day, school=school) == expected, (day, school)
        assert due_as_of(store, dt.date(2026, 3, 1)) != store.due(dt.date(2026, 3, 1))
        assert due_as_of(store, REFERRED, school=HOST_SCHOOL) == []  # no host yet
        assert due_as_of(store, SUCCEEDED, school=HOST_SCHOOL) != []
        with pytest.raises(FormInvalid, match=r"due_as_of\.school"):
            due_as_of(store, SUCCEEDED, school=b"a school")  # type: ignore[arg-type]

    # -- retention -----------------------------------------------------------------------------
    def test_retention_lists_only_the_cases_past_it(self, store: Store) -> None:
        store.save(built("case-01", 11))
        younger = attrs.evolve(PUPIL, date_of_birth=dt.date(2014, 9, 1))
        store.save(opened("case-02", pupil=younger))
        assert store.past_retention(RETENTION_ENDS) == []
        [due] = store.past_retention(RETENTION_ENDS + dt.timedelta(days=1))
        assert (due.case_id, due.keep_until, due.personal_data_left) == (
            "case-01",
            RETENTION_ENDS,
            True,
        )

    def test_a_case_whose_date_of_birth_was_removed_is_listed_as_undated_while_data_is_left(
        self, store: Store
    ) -> None:
        """A case whose date of birth was erased on request was never listed by any retention
        listing, with any date, though it kept the address and the parent's name: kept for
        ever, unseen (found by a review). `undated_retention()` names it, to be finished by
        hand, until no personal data is left; a case that can be dated is never named."""
        store.save(built("case-01", 3))
        store.save(built("case-02", 3))
        assert store.undated_retention() == []
        identity = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]
        store.redact("case-01", None, identity, "Erasure request", by=ADMISSIONS, on=REDACTED_ON)
        assert "case-01" not in {due.case_id for due in store.past_retention(dt.date.max)}
        assert store.undated_retention() == ["case-01"]
        entries = self.rows_of(store, "case-01")[1]
        for seq, paths in erasure.retention_targets(entries).items():  # the rest, by hand
            store.redact("case-01", seq, paths, "Erasure request", by=ADMISSIONS, on=REDACTED_ON)
        assert store.undated_retention() == []

    def test_a_retention_run_removes_personal_data_and_keeps_the_evidence(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        store.save(built("case-01", 11))
        store.save(withdrawn_by_parent("case-02"))
        younger = attrs.evolve(PUPIL, name="Robin Younger", date_of_birth=dt.date(2014, 9, 1))
        store.save(opened("case-03", pupil=younger))
        checkpoint = store.checkpoint()
        before = {c: store.load(c) for c in ("case-01", "case-02", "case-03")}
        ledger, weights = store.ledger(*YEAR), store.weightings(*YEAR)
        due = store.due(dt.date(2027, 1, 1))
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)  # the run is dated the day it is done
        done = store.apply_retention(on, by=ADMISSIONS)
        assert [d.case_id for d in done] == ["case-01", "case-02"]
        assert store.verify(checkpoint=checkpoint) == []
        assert (store.ledger(*YEAR), store.weightings(*YEAR)) == (ledger, weights)
        assert store.due(dt.date(2027, 1, 1)) == due
        for case_id in ("case-01", "case-02"):
            after, was = store.load(case_id), before[case_id]
            assert (after.stage, after.deadlines, after.obligations, after.departures) == (
                was.stage,
                was.deadlines,
                was.obligations,
                was.departures,
            )
            assert [(t.trigger, t.on, t.actor.role) for t in after.history] == [
                (t.trigger, t.on, t.actor.role) for t in was.history
            ]
            # The reason names no day: under a date-of-birth policy its end is the birthday.
            assert after.pupil.name == "(redacted on 2037-05-15: retention period ended)"
            assert {note.reason for note in store.redactions(case_id)} == {"retention period ended"}
        assert store.load("case-03") == before["case-03"]  # not past retention: untouched
        stored = self.stored_data(store)
        for personal in ("Alex Example", "2012-05-14", "Dana Example", "Dorset", "Bus pass"):
            assert personal not in stored
        assert "Robin Younger" in stored
        assert "Morgan Reed" in stored  # staff who acted stay named
        assert store.apply_retention(on, by=ADMISSIONS) == []  # nothing left to do

    def test_a_retention_run_records_nothing_the_date_of_birth_can_be_read_from(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """The reason gave the last day kept, the date of birth plus 25 years: the removed
        date of birth could be read back from every placeholder (found by a review)."""
        store.save(ended(built("case-01", 3)))
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        store.apply_retention(on, by=ADMISSIONS)
        stored = self.stored_data(store) + repr(store.redactions("case-01"))
        stored += repr(store.cases()) + repr(store.load("case-01").history)
        for day in (RETENTION_ENDS, PUPIL.date_of_birth):
            for shown in (day.isoformat(), f"{day:%d %B %Y}", f"{day.day} {day:%B %Y}"):
                assert shown not in stored

    def test_a_case_with_a_step_dated_after_the_run_waits_and_the_rest_are_done(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """A step dated ahead (as R16 allows) stopped the whole run, naming no case: a redaction
        may not be dated before a value it removes (found by a review)."""
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        ahead = on + dt.timedelta(days=20)
        for case_id, day in (("case-a", OPENED), ("case-b", ahead), ("case-c", OPENED)):
            store.save(ended(opened(case_id), on=day))
        assert [due.case_id for due in store.past_retention(on)] == ["case-a", "case-c"]
        done = store.apply_retention(on, by=ADMISSIONS)
        assert [due.case_id for due in done] == ["case-a", "case-c"]
        assert store.load("case-b").pupil == PUPIL
        clock(ahead)
        assert [due.case_id for due in store.apply_retention(ahead, by=ADMISSIONS)] == ["case-b"]

    def test_a_retention_run_dated_before_a_case_was_recorded_passes_it_over_saying_why(
        self, store: Store
    ) -> None:
        """A redaction is compared with the day each entry was recorded (review U, U2), and a
        retention run's is one: dated before the day a case past retention was recorded (a
        history typed in late), the run passes it over, naming the entry and that day, and
        does the rest; the run dated the day it is done removes it."""
        store.retention = RetentionPolicy(years=18)
        today = dt.date.today()
        born = today - dt.timedelta(days=18 * 366 + 30)  # 18 a month ago: past retention
        store.save(ended(opened("case-01", pupil=attrs.evolve(PUPIL, date_of_birth=born))))
        back = today - dt.timedelta(days=1)
        [due] = store.past_retention(back)
        run = store.apply_retention(back, by=ADMISSIONS)
        assert list(run) == []
        assert run.passed_over == [
            RetentionHeld(
                "case-01",
                due.keep_until,
                f"its redaction was refused: redact.on: {back} is before entry 1 (recorded on "
                f"{today}), whose values it removes; date it the day it is done",
            )
        ]
        assert [done.case_id for done in store.apply_retention(today, by=ADMISSIONS)] == ["case-01"]
        assert store.verify() == []

    def test_a_retention_run_leaves_a_running_case_alone_and_names_it_with_why(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """A retention run erased cases still being worked, with no warning (review P, P2):
        one opened days before under a date of birth typed with the wrong decade ("past
        retention" since years before it was opened), and, under a policy counted from the
        last entry, one idle for longer than the policy keeps. Neither a case not in a final
        stage nor one kept until a day before it was opened is listed or touched:
        `held_retention` names each, with why, for a person to check."""
        mistyped = attrs.evolve(
            PUPIL, name="Robin Mistyped", date_of_birth=PUPIL.date_of_birth.replace(year=1986)
        )
        store.save(built("case-01", 3))  # referred: still running
        store.save(withdrawn_by_parent("case-02"))  # ended: its run removes it
        store.save(opened("case-03", pupil=mistyped))  # proposed, dated before it opened
        ended_mistyped = opened("case-04", pupil=mistyped)
        ended_mistyped.withdraw("We are moving away.", by=PARENT, on=CONSENTED)
        store.save(ended_mistyped)
        before = {c: store.load(c) for c in ("case-01", "case-03", "case-04")}
        mistyped_until = mistyped.date_of_birth.replace(year=1986 + 25)
        wrong = (
            f"keep-until date {mistyped_until.isoformat()} is before it was opened on "
            f"{OPENED.isoformat()}: check the date of birth"
        )
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        assert [due.case_id for due in store.past_retention(on)] == ["case-02"]
        assert store.held_retention(on) == [
            RetentionHeld("case-01", RETENTION_ENDS, "still running: in stage referred"),
            RetentionHeld("case-03", mistyped_until, f"still running: in stage proposed; {wrong}"),
            RetentionHeld("case-04", mistyped_until, wrong),
        ]
        done = store.apply_retention(on, by=ADMISSIONS)
        assert ([d.case_id for d in done], done.passed_over) == (["case-02"], [])
        assert {c: store.load(c) for c in before} == before
        # Days before any keep-until date: nothing held. Only what still holds personal data.
        assert store.held_retention(mistyped_until) == []
        [(seq, paths)] = erasure.retention_targets(self.rows_of(store, "case-03")[1]).items()
        store.redact("case-03", seq, paths, "Erasure request", by=ADMISSIONS, on=on)
        assert [held.case_id for held in store.held_retention(on)] == ["case-01", "case-04"]
        # Counted from the last entry: a running case idle for longer than the policy keeps.
        store.save(built("case-05", 3))
        store.retention = RetentionPolicy(years=1, basis="last_entry")
        idle_until = REFERRED.replace(year=REFERRED.year + 1)
        assert RetentionHeld("case-05", idle_until, "still running: in stage referred") in (
            store.held_retention(on)
        )
        assert "case-05" not in {due.case_id for due in store.past_retention(on)}
        store.apply_retention(on, by=ADMISSIONS)
        assert store.load("case-05").pupil == PUPIL

    def test_a_case_whose_redaction_is_refused_is_passed_over_named_and_the_rest_done(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """An entry without a salt (what migration 0003 leaves of a log that did not verify)
        cannot be redacted: its FormInvalid stopped every retention run at that case, naming
        none, and every case after it kept its personal data for ever (review P, P3). The
        run passes over it, does the rest, and names it in `passed_over` with why;
        `past_retention` still lists it with personal data left."""
        store.save(withdrawn_by_parent("case-01"))
        store.save(withdrawn_by_parent("case-02"))
        case, entries, notes, items, ledger = self.rows_of(store, "case-01")
        for entry in entries:
            entry.update(payload_salt=None, payload_key=None)
        self.write_rows(store, "case-01", (case, entries, notes, items, ledger))
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        done = store.apply_retention(on, by=ADMISSIONS)
        assert [due.case_id for due in done] == ["case-02"]
        [passed] = done.passed_over
        assert (passed.case_id, passed.keep_until) == ("case-01", RETENTION_ENDS)
        assert passed.reason.startswith(
            "its redaction was refused: redact.seq: entry 1 was written before schema revision 0003"
        )
        assert store.load("case-01").pupil == PUPIL
        assert store.load("case-02").pupil.name.endswith(": retention period ended)")
        assert [(d.case_id, d.personal_data_left) for d in store.past_retention(on)] == [
            ("case-01", True)  # case-02's date of birth is gone: no longer dated
        ]

    def test_a_case_whose_id_was_changed_behind_the_store_is_passed_over_by_retention(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """One case id changed behind the store (a space added at its end, which no stored
        case can have) made every retention listing and run raise CaseNotFound, so no case
        was redacted, and the command line blamed a space the officer never typed (review F,
        F5). Listed as holding personal data, passed over by a run and named, the rest done."""
        for case_id in ("case-01", "case-02", "case-03"):
            store.save(withdrawn_by_parent(case_id))
        case, entries, notes, items, ledger = self.rows_of(store, "case-02")
        assert case is not None
        self.write_rows(store, "case-02", (None, [], [], [], []))
        entries, notes, items, ledger = (
            [{**row, "case_id": "case-02 "} for row in table]
            for table in (entries, notes, items, ledger)
        )
        case = {**case, "case_id": "case-02 "}
        self.write_rows(store, "case-02 ", (case, entries, notes, items, ledger))
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        assert [(d.case_id, d.personal_data_left) for d in store.past_retention(on)] == [
            ("case-01", True),
            ("case-02 ", True),
            ("case-03", True),
        ]
        assert store.held_retention(on) == []
        done = store.apply_retention(on, by=ADMISSIONS)
        assert [due.case_id for due in done] == ["case-01", "case-03"]
        assert done.passed_over == [
            RetentionHeld(
                "case-02 ", RETENTION_ENDS, "the store holds a row written behind it: run verify"
            )
        ]
        assert store.load("case-03").pupil.name.endswith(": retention period ended)")

    @pytest.mark.parametrize("changed", ["log", "case row"])
    def test_a_case_whose_id_was_changed_in_one_table_is_named_by_retention(
        self, store: Store, clock: Callable[[dt.date], None], changed: str
    ) -> None:
        """A case id changed behind the store in the log only (or in the case row only): the
        case row no longer joined its `open` entry, so no retention listing or run named
        either, and its personal data stayed unnoticed (review S, S5). The `open` entry
        without a case row is listed as holding personal data and passed over by a run, the
        case row without an `open` entry is named as undated; the rest is done."""
        for case_id in ("case-01", "case-02", "case-03"):
            store.save(withdrawn_by_parent(case_id))
        case, entries, notes, items, ledger = self.rows_of(store, "case-02")
        assert case is not None
        entries = (
            [{**row, "case_id": "case-02\t"} for row in entries] if changed == "log" else entries
        )
        if changed == "case row":
            case = {**case, "case_id": "case-02\t"}
        self.write_rows(store, "case-02", (None, [], [], [], []))
        self.write_rows(store, case["case_id"], (case, [], [], items, ledger))
        self.write_rows(store, entries[0]["case_id"], (None, entries, notes, [], []))
        lone_log, lone_row = entries[0]["case_id"], case["case_id"]
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        assert [(d.case_id, d.personal_data_left) for d in store.past_retention(on)] == [
            ("case-01", True),
            (lone_log, True),
            ("case-03", True),
        ]
        assert store.held_retention(on) == []
        assert store.undated_retention() == [lone_row]
        done = store.apply_retention(on, by=ADMISSIONS)
        assert [due.case_id for due in done] == ["case-01", "case-03"]
        assert done.passed_over == [
            RetentionHeld(
                lone_log, RETENTION_ENDS, "the store holds a row written behind it: run verify"
            )
        ]
        assert store.load("case-03").pupil.name.endswith(": retention period ended)")

    def test_a_scoped_store_names_its_own_authority_s_case_changed_in_one_table_alone(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """An `open` entry without a case row belongs to the authority its history names: a
        store scoped to that authority lists it and passes it over, a store scoped to another
        never names it (the case row that said whose it was is gone)."""
        for case_id, authority in (("case-01", AUTHORITY), ("case-02", OTHER_AUTHORITY)):
            store.save(ended(built(case_id, 2, authority)))
        for case_id in ("case-01", "case-02"):
            case, entries, notes, items, ledger = self.rows_of(store, case_id)
            self.write_rows(store, case_id, (None, [], [], [], []))
            self.write_rows(store, case_id, (case, [], [], items, ledger))
            lone = [{**row, "case_id": f"{case_id}\t"} for row in entries]
            self.write_rows(store, f"{case_id}\t", (None, lone, notes, [], []))
        on = RETENTION_ENDS + dt.timedelta(days=1)
        clock(on)
        for authority, own in ((AUTHORITY, "case-01"), (OTHER_AUTHORITY, "case-02")):
            scoped = store.for_authority(authority)
            assert [d.case_id for d in scoped.past_retention(on)] == [f"{own}\t"]
            assert scoped.undated_retention() == [own]
            done = scoped.apply_retention(on, by=ADMISSIONS)
            assert list(done) == []
            assert [held.case_id for held in done.passed_over] == [f"{own}\t"]
        assert sorted(d.case_id for d in store.past_retention(on)) == ["case-01\t", "case-02\t"]

    def test_retention_is_a_policy_of_the_store(self, store: Store) -> None:
        store.save(built("case-01", 11))
        store.retention = RetentionPolicy(years=7, basis="last_entry")
        last = SUCCEEDED.replace(year=SUCCEEDED.year + 7)
        assert store.past_retention(last) == []
        assert [d.keep_until for d in store.past_retention(last + dt.timedelta(days=1))] == [last]
        store.retention = RetentionPolicy(years=30)
        assert store.past_retention(RETENTION_ENDS + dt.timedelta(days=1)) == []
        store.retention = RetentionPolicy(years=10_000)  # beyond Python's dates: never due
        assert store.past_retention(dt.date(9999, 12, 30)) == []

    def test_a_policy_of_its_own_years_lists_every_case_whatever_protocols_are_registered(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """`RetentionPolicy(years=7, basis="last_entry")` reads nothing of a protocol, yet one
        case opened under a protocol no longer registered made `past_retention` and
        `apply_retention` raise UnknownProtocol for every case (review P, P1). The run lists
        every case; the other cases are redacted, and that one once its protocol is given
        (its redaction replays it)."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        store.protocols = (own,)
        store.save(ended(opened("case-01", protocol=own)))
        store.save(ended(opened("case-02")))
        store.protocols = ()
        store.retention = RetentionPolicy(years=7, basis="last_entry")
        on = OPENED.replace(year=OPENED.year + 7) + dt.timedelta(days=1)
        assert [due.case_id for due in store.past_retention(on)] == ["case-01", "case-02"]
        store.retention = RetentionPolicy(years=30)  # from the date of birth, its own years
        later = PUPIL.date_of_birth.replace(year=PUPIL.date_of_birth.year + 30)
        assert [due.case_id for due in store.past_retention(later)] == []
        later += dt.timedelta(days=1)
        assert [due.case_id for due in store.past_retention(later)] == ["case-01", "case-02"]
        store.retention = RetentionPolicy(years=7, basis="last_entry")
        clock(on)
        assert [due.case_id for due in store.apply_retention(on, by=ADMISSIONS)] == ["case-02"]
        assert [(d.case_id, d.personal_data_left) for d in store.past_retention(on)] == [
            ("case-01", True),
            ("case-02", False),
        ]
        store.protocols = (own,)
        assert [due.case_id for due in store.apply_retention(on, by=ADMISSIONS)] == ["case-01"]
        assert store.load("case-01").pupil.name == (
            "(redacted on " + on.isoformat() + ": retention period ended)"
        )

    def test_a_policy_keeping_the_protocols_years_refuses_a_case_whose_protocol_is_not_given(
        self, store: Store, clock: Callable[[dt.date], None]
    ) -> None:
        """What to delete is not guessed: the default policy needs the case's protocol's
        `retention_years`, and its error names the case and how to give the protocol."""
        own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
        store.protocols = (own,)
        store.save(ended(opened("case-01", protocol=own)))
        store.save(ended(opened("case-02")))
        on = RETENTION_ENDS + dt.timedelta(days=1)
        assert [due.case_id for due in store.past_retention(on)] == ["case-01", "case-02"]
        store.protocols = ()
        clock(on)
        for run in (store.past_retention, lambda day: store.apply_retention(day, by=ADMISSIONS)):
            with pytest.raises(UnknownProtocol) as refused:
                run(on)
            assert type(refused.value) is UnknownProtocol
            assert (refused.value.case_id, refused.value.protocol_id) == ("case-01", "otherborough")
            assert str(refused.value).startswith(
                "case 'case-01' runs under protocol 'otherborough' version '3', which was not "
                "given (known: worcestershire 1, worcestershire 2, worcestershire 3); pass it in "
                "protocols= "
            )
        assert store.load("case-02").pupil == PUPIL  # nothing was changed
        store.protocols = (attrs.evolve(own, weighting_points=9),)  # changed in place
        with pytest.raises(ChangedProtocol, match=r"^case 'case-01' was opened under protocol"):
            store.past_retention(on)

    def test_an_imported_case_whose_date_of_birth_was_removed_is_never_due(
        self, store: Store
    ) -> None:
        """A case redacted in another store exports its removed date of birth as 0001-01-01,
        which was read after an import as a birth in the year 1: due for deletion at once
        (found by a review). A removed date of birth cannot date a case."""
        written = json.loads(json.dumps(transition_to_json(opened("case-01").history[0])))
        written["data"]["pupil"]["date_of_birth"] = "0001-01-01"
        store.import_histories([(AUTHORITY, [transition_from_json(written)])])
        assert store.load("case-01").pupil.date_of_birth == dt.date.min
        assert store.past_retention(dt.date(9999, 12, 30)) == []

    def test_a_malformed_checkpoint_is_refused_with_a_typed_error(self, store: Store) -> None:
        store.save(built("case-01", 3))
        text = store.checkpoint().to_json()
        for bad in ("{", "[]", text.replace('"version": 3', '"version": "3"')):
            with pytest.raises(MalformedCheckpoint):
                Checkpoint.from_json(bad)


def _key_pair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair, PEM: private, public."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def memory_rows(store: InMemoryStore, case_id: str) -> Rows:
    """Every row of a case in an in-memory store (copies)."""
    case = store._cases.get(case_id)
    notes = [
        dict(row)
        for seq in sorted(store._redactions.get(case_id, {}))
        for row in store._redactions[case_id][seq]
    ]
    return (
        None if case is None else dict(case),
        [dict(row) for row in store._log.get(case_id, [])],
        notes,
        [dict(row) for row in store._items.get(case_id, [])],
        [dict(row) for row in store._ledger.get(case_id, [])],
    )


def write_memory_rows(store: InMemoryStore, case_id: str, rows: Rows) -> None:
    """Replace every row of a case in an in-memory store."""
    case, entries, notes, items, ledger = rows
    for table in (store._cases, store._log, store._redactions, store._items, store._ledger):
        table.pop(case_id, None)
    if case is not None:
        store._cases[case_id] = case
    if entries:
        store._log[case_id] = entries
    grouped: dict[int, list[Row]] = {}
    for note in notes:
        grouped.setdefault(note["seq"], []).append(note)
    if grouped:
        store._redactions[case_id] = grouped
    store._items[case_id] = items
    store._ledger[case_id] = ledger
    if not entries and case is None:
        store._items.pop(case_id)
        store._ledger.pop(case_id)
