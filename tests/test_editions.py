"""Edition 3 of the rules beside the cases recorded before it, and the deadlines a case no longer
needs: what a review of the day's fixes found (each test failed on ca166d1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    WORCESTERSHIRE_2,
    Attendee,
    DeadlineKind,
    GuardFailed,
    Party,
    Protocol,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    SchoolCalendar,
    SqlAlchemyStore,
)
from reintegration_fsm.cli import cli
from reintegration_fsm.cli.views import _status_word
from reintegration_fsm.reports import Period, figures
from reintegration_fsm.serialisation import transition_from_json
from reintegration_fsm.stores import InMemoryStore
from stages import recorded_under

D = dt.date
CAL = SchoolCalendar.sample()
EXAMPLESHIRE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"

# The `open` of a case recorded by the library at 139d593 (yesterday's release) under
# docs/examples/exampleshire.toml, unchanged: a file without `edition`, as the docs show it.
RECORDED_UNDER_FILE_WITHOUT_EDITION = {
    "seq": 1,
    "trigger": "open",
    "source": None,
    "dest": "proposed",
    "actor": {
        "id": "ap-1",
        "name": "Morgan Reed",
        "role": "ap_head",
        "organisation": "Brookfield Learning Centre",
    },
    "on": "2026-01-12",
    "data": {
        "schema": 2,
        "case_id": "EX-1",
        "pupil": {
            "name": "Alex Example",
            "date_of_birth": "2012-05-14",
            "key_stage": 3,
            "on_mainstream_roll": False,
            "looked_after": False,
            "upn": None,
            "address": "",
            "send_level": "",
            "ethnicity": "",
        },
        "ap_setting": "Brookfield Learning Centre",
        "local_authority": "Example County Council",
        "protocol": {
            "id": "exampleshire",
            "version": "2027.1",
            "fingerprint": "5a276e60bf84ba24914dd44cfcb4cda2532160d2eb995d3763564bcd57ba3ae3",
        },
    },
}


def placed(case_id: str = "F-1", *, edition_2: bool = False) -> Reintegration:
    case = Reintegration.open(
        case_id, sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CAL, by=sc.AP_HEAD, on=sc.OPENED
    )
    if edition_2:
        case = recorded_under(case, WORCESTERSHIRE_2)
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    case.hold_initial_meeting(sc.initial_meeting(), sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    sc.prepare(case)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    return case


def ended(
    held: dt.date,
    recorded: dt.date,
    called: dt.date,
    *,
    support: str = "A key worker every day.",
    edition_2: bool = False,
) -> Reintegration:
    """A placement ended by an emergency review held, recorded and called on those days (its
    first review held), with `support` documented."""
    case = placed("F-2" if edition_2 else "F-1", edition_2=edition_2)
    case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    case.call_emergency_review("Left the site three times.", by=sc.HOST_HEAD, on=called)
    meeting = sc.review(
        held,
        ReviewKind.EMERGENCY,
        attendees=sc.WITH_LA,
        concerns="Absconding.",
        decision=ReviewDecision.END,
        additional_support=support,
    )
    case.hold_emergency_review(
        meeting, sc.letter(effective_date=D(2026, 3, 27)), by=sc.HOST_HEAD, on=recorded
    )
    return case


def test_a_case_recorded_under_a_file_without_edition_loads_under_edition_2() -> None:
    """A case recorded yesterday under docs/examples/exampleshire.toml (no `edition` line)
    replays today under the same, unedited file: the default edition moved from 2 to 3, which
    changed the file's fingerprint, and every such case raised ChangedProtocol ("changed since
    without a new version") though nobody touched the file (found by a review). The history's
    fingerprint is the file's under edition 2, and the case finishes under edition 2."""
    history = [transition_from_json(RECORDED_UNDER_FILE_WITHOUT_EDITION)]
    protocol = Protocol.from_file(EXAMPLESHIRE)
    case = Reintegration.replay(history, CAL, [protocol])
    assert case.case_id == "EX-1"
    # ... and under the rules it was recorded under (edition 2), not the new ones
    assert case.protocol.edition == 2


def test_a_protocol_built_in_code_before_edition_3_still_loads_its_cases() -> None:
    """The same through docs/protocols.md's `attrs.evolve(WORCESTERSHIRE, version=...)`: the
    same line of code built an edition-2 protocol yesterday and builds an edition-3 one today,
    so a case recorded under it yesterday (its fingerprint below, computed at 139d593) no
    longer replays."""
    variant = attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="2027.1", place_offer_school_days=15
    )
    recorded = RECORDED_UNDER_FILE_WITHOUT_EDITION | {
        "data": RECORDED_UNDER_FILE_WITHOUT_EDITION["data"]
        | {
            "protocol": {
                "id": "exampleshire",
                "version": "2027.1",
                "fingerprint": "e2b800de194512f80924d21a7ce8d78af8ffc50702a74ce3c7867ab909f0cb69",
            }
        }
    }
    case = Reintegration.replay([transition_from_json(recorded)], CAL, [variant])
    assert case.case_id == "EX-1"


def test_a_review_due_after_the_placement_ended_is_not_needed_in_timeline_and_report() -> None:
    """In the ENDING stage (END decided, outcome not yet recorded) a review due after the
    emergency review is not needed: the timeline says so and the report's reviews do not count
    it (a review found the listings disagreeing), and neither does the due list (review M,
    M6: it listed it until the outcome was recorded)."""
    case = ended(D(2026, 3, 10), D(2026, 3, 10), D(2026, 3, 10))
    on = D(2026, 3, 25)
    by_kind = {d.kind: d for d in case.deadlines}
    second = by_kind[DeadlineKind.SECOND_REVIEW]
    assert second.due > D(2026, 3, 10)
    assert _status_word(second, case, on) == "not_needed"
    counted = figures([case], Period(D(2026, 3, 1), D(2026, 3, 31)), on=on)
    assert {c.key: c.count for c in counted.reviews}.get("overdue", 0) == 0
    store = SqlAlchemyStore("sqlite://", calendar=CAL)
    store.create_schema()
    store.save(case)
    assert DeadlineKind.SECOND_REVIEW not in {item.kind for item in store.due(on)}
    assert DeadlineKind.SECOND_REVIEW not in {d.kind for d in case.pending_deadlines}


def test_an_attendee_named_only_with_characters_that_print_nothing_is_no_representative() -> None:
    """Edition 3: a party attends only through an attendee whose name is not blank. A name of
    the blank Braille pattern (U+2800), a Hangul filler or a zero-width space prints as nothing,
    and fields.blank / fields.invisible already call such text blank; it still counted (found by
    a review): `fields.prints_nothing`."""
    for name in ("\u2800", "\u3164", "\u200b"):
        case = placed()
        attendees = tuple(
            Attendee(name, a.party) if a.party is Party.HOST else a for a in sc.EVERYONE
        )
        with pytest.raises(GuardFailed):
            case.hold_review(
                sc.review(sc.FIRST_REVIEW, attendees=attendees),
                by=sc.HOST_HEAD,
                on=sc.FIRST_REVIEW,
            )


def test_the_documented_redaction_of_a_parents_name_is_taken(tmp_path: Path) -> None:
    """docs/evidence.md: `redact DEMO-0001 2 form.parent_name ...` (a family's request). Under
    edition 3 R2 compares signed_by with parent_name, so removing the name alone is refused, and
    the refusal's advice names only the child's name and date of birth."""
    db = str(tmp_path / "demo.sqlite")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "demo"]).exit_code == 0
    result = runner.invoke(
        cli,
        [
            "--db", db, "redact", "DEMO-0001", "2", "form.parent_name",
            "--reason", "Family's request", "--on", dt.date.today().isoformat(),
            "--actor-id", "la-9", "--actor-name", "Jo Whitfield", "--role", "la_admissions",
            "--organisation", "Exampleshire County Council",
        ],
    )  # fmt: skip
    assert result.exit_code == 0 or "signed_by" in result.output, result.output


def test_an_ending_typed_in_later_does_not_turn_a_review_into_a_missed_one() -> None:
    """Edition 3 dates a review by the day it was held, whenever recorded; the ending's day
    (`needed_until` of a review) is still the day the emergency review was typed in. The same
    meeting (held 20 March, the second review's due day, ending the placement) recorded that day
    leaves the second review not needed; recorded on Monday 23 March it is MISSED, and the
    report counts it "overdue, not held"."""
    on = D(2026, 4, 30)
    words = []
    for recorded in (D(2026, 3, 20), D(2026, 3, 23)):
        case = ended(D(2026, 3, 20), recorded, D(2026, 3, 18))
        (second,) = [d for d in case.deadlines if d.kind is DeadlineKind.SECOND_REVIEW]
        words.append(_status_word(second, case, on))
    assert words[0] == words[1]


# -- a case recorded under edition 2 goes on under edition 2's rules -------------------------------
def test_an_edition_2_review_counts_each_attendees_party_whatever_the_name() -> None:
    """Edition 2 counted an attendee's party whatever their name was: an edition-2 case goes on
    so, where edition 3 needs a named representative (mutmut found the edition-2 reading
    unpinned)."""
    blank = {Party.HOST, Party.CHILD}
    attendees = tuple(Attendee("\u200b", a.party) if a.party in blank else a for a in sc.EVERYONE)
    review = sc.review(sc.FIRST_REVIEW, attendees=attendees)
    case = placed("E2-5", edition_2=True)
    case.hold_review(review, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    (first,) = [d for d in case.deadlines if d.kind is DeadlineKind.FIRST_REVIEW]
    assert first.met_on == sc.FIRST_REVIEW
    assert not [d for d in case.departures if "child did not attend" in d.text]
    with pytest.raises(GuardFailed, match="among the attendees only with a blank name"):
        placed("E3-5").hold_review(review, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)


def _edition_2(case: Reintegration) -> Reintegration:
    """`case` as recorded under worcestershire 2, before edition 3 (it replays so)."""
    return recorded_under(case, WORCESTERSHIRE_2)


def test_an_edition_2_case_keeps_edition_2s_consent_rule() -> None:
    """Edition 2 refuses a consent form saying the child does not agree (R2), as edition 3 does:
    the rules of revision 2 hold from edition 2 on."""
    opened = Reintegration.open(
        "E2-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CAL, by=sc.AP_HEAD, on=sc.OPENED
    )
    case = _edition_2(opened)
    assert case.protocol.edition == 2
    with pytest.raises(GuardFailed, match="The child does not agree"):
        case.record_consent(sc.consent(child_agrees=False), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    assert case.consent_signed_on == sc.CONSENTED


def test_an_edition_2_review_recorded_late_is_met_on_the_day_recorded() -> None:
    """Edition 3 meets a review on the day it was held; an edition-2 case goes on meeting it on
    the day it is recorded, as its earlier reviews were."""
    case = placed("E2-2", edition_2=True)
    recorded = sc.FIRST_REVIEW + dt.timedelta(days=3)
    case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_HEAD, on=recorded)
    (first,) = [d for d in case.deadlines if d.kind is DeadlineKind.FIRST_REVIEW]
    assert (first.met_on, first.breached) == (recorded, True)
    today = placed("E3-2")
    today.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_HEAD, on=recorded)
    (first,) = [d for d in today.deadlines if d.kind is DeadlineKind.FIRST_REVIEW]
    assert (first.met_on, first.breached) == (sc.FIRST_REVIEW, False)


def test_an_edition_2_ending_without_measures_records_no_departure() -> None:
    """Edition 3's departure for an ending with no measures documented (R11) is not edition 2's."""
    day = D(2026, 3, 10)
    for edition_2, expected in ((True, []), (False, ["R11"])):
        case = ended(day, day, day, support="", edition_2=edition_2)
        ended_by = [d.rule for d in case.departures if d.seq == len(case.history)]
        assert [rule for rule in ended_by if rule == "R11"] == expected


@pytest.mark.parametrize("engine", ["memory", "sqlite"])
def test_a_case_recorded_under_a_file_without_edition_saves_and_goes_on(engine: str) -> None:
    """Loaded under edition 2, such a case was refused on save: the store compared its rules'
    fingerprint with the file's under edition 3 ("they differ in edition"), so no officer could
    take its next step."""
    protocol = Protocol.from_file(EXAMPLESHIRE)
    history = [transition_from_json(RECORDED_UNDER_FILE_WITHOUT_EDITION)]
    store = (
        InMemoryStore(calendar=CAL, protocols=[protocol])
        if engine == "memory"
        else SqlAlchemyStore("sqlite://", calendar=CAL, protocols=[protocol])
    )
    if isinstance(store, SqlAlchemyStore):
        store.create_schema()
    store.import_histories([(sc.AUTHORITY, history)])
    case = store.load("EX-1")
    assert case.protocol.edition == 2
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    store.save(case)
    again = store.load("EX-1")
    assert (again.protocol.edition, len(again.history)) == (2, 2)
    assert store.verify() == []
