"""Protocols as versioned data: building, reading TOML, refusing what cannot run, and one engine
running Worcestershire and an invented authority's variant (docs/examples/exampleshire.toml)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any

import attrs
import pytest

import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    Attendee,
    ChangedProtocol,
    DeadlineKind,
    Evidence,
    FormInvalid,
    GuardFailed,
    NotPermitted,
    ObligationKind,
    Party,
    Protocol,
    ProtocolDefinitionError,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Role,
    SchoolCalendar,
    Stage,
    UnknownProtocol,
)
from reintegration_fsm.protocol import definition
from reintegration_fsm.protocol.definition import WORCESTERSHIRE_1, WORCESTERSHIRE_2
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from reintegration_fsm.stores import SqlAlchemyStore

EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"
EXAMPLESHIRE = Protocol.from_file(EXAMPLE_FILE)
CALENDAR = SchoolCalendar.sample()
D = dt.date


# -- the seed's protocol as data -----------------------------------------------------------------
def test_worcestershire_holds_every_number_of_the_rules() -> None:
    """PROTOCOL.md: 20 school days, reviews at 2, 4 and 6 weeks, 42 days, 5 days, 3 points."""
    p = WORCESTERSHIRE
    assert (p.id, p.version, p.edition) == ("worcestershire", "3", 3)
    assert p.place_offer_school_days == 20
    assert p.review_weeks == (2, 4, 6)
    assert p.final_review_within_days == 42
    assert p.joiners_return_days == 5
    assert p.weighting_points == 3
    assert p.review_parties == {Party.AP, Party.HOST, Party.PARENT}
    assert p.emergency_review_parties == {Party.AP, Party.HOST, Party.PARENT, Party.LA}
    assert p.required_evidence == {
        Evidence.PSP,
        Evidence.BEHAVIOUR_LOG,
        Evidence.ATTENDANCE_RECORD,
        Evidence.EXCLUSION_DATA,
        Evidence.ASSESSMENT_DATA,
    }
    assert p.looked_after_evidence == {Evidence.PERSONAL_EDUCATION_PLAN}
    assert p.key_stage_4_evidence == {Evidence.KS4_OPTIONS}


def test_a_protocol_given_only_its_names_takes_the_seeds_numbers() -> None:
    bare = Protocol("x", "1", "X protocol", "invented", D(2025, 9, 1))
    assert bare.place_offer_school_days == 20
    assert dict(bare.roles) == dict(WORCESTERSHIRE.roles)


def test_a_protocol_round_trips_through_its_toml() -> None:
    assert Protocol.from_toml(EXAMPLESHIRE.to_toml()) == EXAMPLESHIRE
    assert Protocol.from_toml(WORCESTERSHIRE.to_toml()) == WORCESTERSHIRE


def test_a_toml_file_overriding_some_roles_keeps_the_seeds_for_the_rest() -> None:
    assert EXAMPLESHIRE.roles["hold_review"] == {Role.AP_HEAD, Role.HOST_HEAD}
    assert EXAMPLESHIRE.roles["withdraw"] == WORCESTERSHIRE.roles["withdraw"]


# -- what cannot run is refused, naming the field (and the line) ---------------------------------
@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"place_offer_school_days": 0}, "place_offer_school_days", "above 0"),
        ({"place_offer_school_days": -5}, "place_offer_school_days", "above 0"),
        ({"joiners_return_days": 0}, "joiners_return_days", "above 0"),
        ({"final_review_within_days": 0}, "final_review_within_days", "above 0"),
        ({"review_weeks": (2, 2, 6)}, "review_weeks", "must increase"),
        ({"review_weeks": (4, 2, 6)}, "review_weeks", "must increase"),
        ({"review_weeks": (0, 2, 6)}, "review_weeks", "must increase"),
        ({"review_weeks": (2, 4)}, "review_weeks", "three whole numbers"),
        ({"review_weeks": (2, 4, 8)}, "review_weeks", "past final_review_within_days"),
        ({"weighting_points": -1}, "weighting_points", "0 or more"),
        ({"review_parties": frozenset()}, "review_parties", "at least one"),
        ({"review_parties": ["ap", "headmaster"]}, "review_parties", "list of Party values"),
        ({"required_evidence": ["psp", "tea"]}, "required_evidence", "list of Evidence values"),
        ({"edition": 4}, "edition", "must be one of"),
        ({"id": " "}, "id", "blank"),
        ({"version": "1\n2"}, "version", "one line"),
        ({"title": ""}, "title", "non-empty"),
        ({"effective_from": "2025-09-01"}, "effective_from", "must be a date"),
    ],
)
def test_a_protocol_that_cannot_run_is_refused(
    changes: dict[str, Any], field: str, problem: str
) -> None:
    with pytest.raises(ProtocolDefinitionError, match=problem) as refused:
        attrs.evolve(WORCESTERSHIRE, **changes)
    assert refused.value.field == field
    assert isinstance(refused.value, ValueError)


def test_a_trigger_no_role_may_fire_is_refused() -> None:
    with pytest.raises(ProtocolDefinitionError, match="no role may fire it") as refused:
        attrs.evolve(WORCESTERSHIRE, roles={**WORCESTERSHIRE.roles, "withdraw": frozenset()})
    assert refused.value.field == "roles.withdraw"


def test_roles_for_an_unknown_trigger_are_refused() -> None:
    with pytest.raises(ProtocolDefinitionError, match="is not a trigger"):
        attrs.evolve(WORCESTERSHIRE, roles={**WORCESTERSHIRE.roles, "reopen": frozenset()})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "protocol.toml"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = (
    'id = "testshire"\nversion = "1"\ntitle = "Testshire"\nsource = "invented"\n'
    "effective_from = 2025-09-01\n"
)


def test_an_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "place_offer_days = 15\n")
    with pytest.raises(ProtocolDefinitionError, match="line 6: place_offer_days") as refused:
        Protocol.from_file(path)
    assert refused.value.line == 6
    assert refused.value.path == str(path)


def test_T4_a_protocol_field_written_below_roles_is_said_to_belong_above_it() -> None:
    """docs/protocols.md moves a file to edition 3 by "copy it, set `edition = 3`"; appended to
    the docs' own example, which ends with its `[roles]` table, the line was refused as
    `roles.edition: is not a trigger; the triggers are ...` (review T, T4)."""
    text = EXAMPLE_FILE.read_text() + "edition = 3\n"
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml(text, "exampleshire.toml")
    (problem,) = caught.value.problems
    field, what, line = problem
    assert (field, line) == ("roles.edition", len(text.split("\n")) - 1)
    assert "is a protocol field" in what
    assert "above [roles]" in what


def test_T5_a_key_given_twice_in_a_protocol_file_is_named_with_both_lines() -> None:
    """A number changed by writing its line again is told only `(file)`: "not valid TOML:
    Cannot overwrite a value (at line 12, column 29)", naming no key, where every other problem
    names its field (docs/protocols.md: "refused with the field and the line") (review T,
    T5)."""
    text = EXAMPLE_FILE.read_text().replace(
        "weighting_points = 1\n", "weighting_points = 1\nplace_offer_school_days = 12\n"
    )
    lines = text.split("\n")
    first = next(n for n, row in enumerate(lines, 1) if row.startswith("place_offer_school_days"))
    again = next(n for n, row in enumerate(lines, 1) if row == "place_offer_school_days = 12")
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml(text, "exampleshire.toml")
    assert caught.value.field == "place_offer_school_days"
    assert caught.value.line == again
    assert f"given twice (lines {first} and {again})" in str(caught.value)


def test_a_bad_value_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\nreview_weeks = [4, 8, 8]\n")
    with pytest.raises(ProtocolDefinitionError, match="line 7: review_weeks") as refused:
        Protocol.from_file(path)
    assert refused.value.line == 7


def test_a_bad_role_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '[roles]\nwithdraw = ["ap_head", "janitor"]\n')
    with pytest.raises(ProtocolDefinitionError, match=r"line 7: roles\.withdraw"):
        Protocol.from_file(path)


def test_a_file_that_is_not_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "review_weeks = = [4, 8]\n")
    with pytest.raises(ProtocolDefinitionError, match="not valid TOML") as refused:
        Protocol.from_file(path)
    assert refused.value.line is not None


def test_a_file_missing_a_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, 'id = "testshire"\nversion = "1"\n')
    with pytest.raises(ProtocolDefinitionError, match="is missing"):
        Protocol.from_file(path)


# -- a case runs under the protocol it was opened with -------------------------------------------
def opened(protocol: Protocol = WORCESTERSHIRE, on: dt.date = sc.OPENED) -> Reintegration:
    return Reintegration.open(
        "P-1",
        sc.PUPIL,
        sc.AP_SETTING,
        sc.AUTHORITY,
        CALENDAR,
        by=sc.AP_HEAD,
        on=on,
        protocol=protocol,
    )


def test_open_records_the_protocol_and_the_case_keeps_it() -> None:
    case = opened(EXAMPLESHIRE)
    assert case.protocol is EXAMPLESHIRE
    assert case.history[0].data["protocol"] == {
        "id": "exampleshire",
        "version": "2027.1",
        "fingerprint": EXAMPLESHIRE.fingerprint,
    }
    assert opened(WORCESTERSHIRE).history[0].data["protocol"] == {
        "id": "worcestershire",
        "version": "3",
    }


def test_a_case_cannot_open_before_its_protocol_takes_effect() -> None:
    later = attrs.evolve(EXAMPLESHIRE, version="2030", effective_from=D(2030, 1, 1))
    with pytest.raises(GuardFailed, match="takes effect on 2030-01-01"):
        opened(later)


def test_replay_needs_the_protocols_a_history_names() -> None:
    case = opened(EXAMPLESHIRE)
    with pytest.raises(UnknownProtocol, match="exampleshire") as refused:
        Reintegration.replay(case.history, CALENDAR)
    assert (refused.value.protocol_id, refused.value.version) == ("exampleshire", "2027.1")
    assert Reintegration.replay(case.history, CALENDAR, protocols=[EXAMPLESHIRE]) == case


def test_publishing_a_new_version_leaves_an_open_case_under_its_old_rules() -> None:
    """The 2027.2 version shortens the offer to 5 days; a 2027.1 case keeps its 10."""
    newer = attrs.evolve(EXAMPLESHIRE, version="2027.2", place_offer_school_days=5)
    case = opened(EXAMPLESHIRE)
    replayed = Reintegration.replay(case.history, CALENDAR, protocols=[EXAMPLESHIRE, newer])
    replayed.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    replayed.refer_to_fair_access(
        ReferralRoute.PANEL, example_information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    (offer,) = replayed.deadlines
    assert offer.due == CALENDAR.add_school_days(sc.REFERRED, 10)


def test_a_history_is_not_replayed_under_its_protocol_changed_since() -> None:
    """Its `open` records the rules' fingerprint: a protocol of the same id and version setting
    other rules is not the one the case opened under."""
    case = opened(EXAMPLESHIRE)
    changed = attrs.evolve(EXAMPLESHIRE, place_offer_school_days=5)
    assert changed.fingerprint != EXAMPLESHIRE.fingerprint
    with pytest.raises(ChangedProtocol) as refused:
        Reintegration.replay(case.history, CALENDAR, protocols=[changed])
    assert isinstance(refused.value, UnknownProtocol)  # what callers catch already
    assert "changed since without a new version" in str(refused.value)
    retitled = attrs.evolve(EXAMPLESHIRE, title="Exampleshire: Managed Returns", source="v2")
    assert retitled.fingerprint == EXAMPLESHIRE.fingerprint  # its words are not its rules
    assert Reintegration.replay(case.history, CALENDAR, protocols=[retitled]).stage is case.stage


def test_a_history_written_before_fingerprints_still_replays() -> None:
    """An `open` that recorded its protocol's id and version alone is read as before (nothing
    to tell a change by), and its own record is not found wanting."""
    case = opened(EXAMPLESHIRE)
    written = json.loads(json.dumps(transition_to_json(case.history[0])))
    written["data"]["protocol"] = {"id": "exampleshire", "version": "2027.1"}
    earlier = [transition_from_json(written)]
    assert Reintegration.replay(earlier, CALENDAR, protocols=[EXAMPLESHIRE]).case_id == "P-1"
    forged = json.loads(json.dumps(transition_to_json(case.history[0])))
    forged["data"]["protocol"]["fingerprint"] = "0" * 64
    with pytest.raises(ChangedProtocol):
        Reintegration.replay([transition_from_json(forged)], CALENDAR, protocols=[EXAMPLESHIRE])


def test_every_field_of_a_protocol_but_its_words_is_in_its_fingerprint() -> None:
    """A field added later must be weighed: in `_FINGERPRINTED`, or counted only off its
    default."""
    names = {field.name for field in attrs.fields(Protocol)}
    assert set(definition.FINGERPRINTED) == names - definition.NAMING_FIELDS
    for name in definition.FINGERPRINTED:
        field = attrs.fields_dict(Protocol)[name]
        value = getattr(EXAMPLESHIRE, name)
        other = {
            "effective_from": dt.date(2025, 9, 2),
            "review_weeks": (2, 4, 7),
            "roles": {**EXAMPLESHIRE.roles, "withdraw": frozenset({Role.AP_HEAD})},
            "review_parties": frozenset({Party.AP, Party.HOST, Party.PARENT}),
            "emergency_review_parties": frozenset({Party.AP, Party.HOST, Party.LA}),
            "required_evidence": frozenset(),
            "looked_after_evidence": frozenset(),
            "key_stage_4_evidence": frozenset(),
            "edition": 2,
        }.get(name, value + 1 if isinstance(value, int) else value)
        if other == value:
            continue
        changed = attrs.evolve(EXAMPLESHIRE, **{field.name: other})
        assert changed.fingerprint != EXAMPLESHIRE.fingerprint, name


def test_two_different_protocols_under_one_name_are_refused() -> None:
    clash = attrs.evolve(EXAMPLESHIRE, weighting_points=2)
    case = opened(EXAMPLESHIRE)
    with pytest.raises(ProtocolDefinitionError, match="two different protocols"):
        Reintegration.replay(case.history, CALENDAR, protocols=[EXAMPLESHIRE, clash])


def test_a_protocol_may_not_reuse_a_built_in_name() -> None:
    fake = attrs.evolve(WORCESTERSHIRE, weighting_points=9)
    case = opened()
    with pytest.raises(ProtocolDefinitionError, match="a protocol the library ships"):
        Reintegration.replay(case.history, CALENDAR, protocols=[fake])


def test_T3_a_new_case_may_not_open_under_a_protocol_named_as_the_shipped_one_in_other_case() -> (
    None
):
    """`worcestershire 3` with other rules was refused ("a protocol the library ships"), but
    `Worcestershire 3` (as an officer capitalises the county) with 10 school days opened cases
    whose histories read as the seed's protocol (review T, T3). A case opened so before still
    replays under its file."""
    impostor = attrs.evolve(EXAMPLESHIRE, id="Worcestershire", version="3")
    with pytest.raises(ProtocolDefinitionError, match="only in letters' case"):
        opened(impostor)
    with pytest.raises(ProtocolDefinitionError, match="only in letters' case"):
        opened(attrs.evolve(WORCESTERSHIRE, id="WORCESTERSHIRE"))
    case = opened(EXAMPLESHIRE)
    recorded = transition_to_json(case.history[0])
    recorded["data"]["protocol"].update(id="Worcestershire", version="3")
    again = Reintegration.replay([transition_from_json(recorded)], CALENDAR, protocols=[impostor])
    assert again.protocol == impostor


def test_the_first_contracts_protocol_is_always_known() -> None:
    assert (WORCESTERSHIRE_1.id, WORCESTERSHIRE_1.version, WORCESTERSHIRE_1.edition) == (
        "worcestershire",
        "1",
        1,
    )


def test_the_second_editions_protocol_is_always_known_and_opens_no_case() -> None:
    """worcestershire 2 (edition 2) stays known, so its cases replay; edition 3 superseded it."""
    assert (WORCESTERSHIRE_2.id, WORCESTERSHIRE_2.version, WORCESTERSHIRE_2.edition) == (
        "worcestershire",
        "2",
        2,
    )
    assert attrs.evolve(WORCESTERSHIRE_2, version="3", edition=3) == WORCESTERSHIRE
    assert not WORCESTERSHIRE_2.opens_cases
    assert WORCESTERSHIRE.opens_cases


# -- one engine, two protocols, whole cases ------------------------------------------------------
def example_information() -> Any:
    return sc.information(
        evidence=frozenset(EXAMPLESHIRE.required_evidence | sc.information().evidence)
    )


EVERYONE_WITH_CHILD = sc.EVERYONE


def run_to_success(protocol: Protocol) -> Reintegration:
    """A whole successful case under `protocol`, with the dates its numbers ask for."""
    case = opened(protocol)
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, example_information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    first, second, final = CALENDAR.suggest_review_dates(sc.START, protocol.review_weeks)
    meeting = sc.initial_meeting(first_review=first, second_review=second, final_review=final)
    case.hold_initial_meeting(meeting, sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    for day in (first, second):
        case.hold_review(sc.review(day), by=sc.HOST_HEAD, on=day)
    decided = sc.review(final, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
    case.hold_review(decided, by=sc.HOST_HEAD, on=final)
    success = attrs.evolve(sc.SUCCESS, date_on_roll=final)
    case.record_successful_outcome(success, by=sc.HOST_HEAD, on=final)
    return case


@pytest.mark.parametrize("protocol", [WORCESTERSHIRE, EXAMPLESHIRE], ids=lambda p: p.id)
def test_a_whole_case_runs_under_each_protocol_with_its_own_numbers(protocol: Protocol) -> None:
    case = run_to_success(protocol)
    assert case.stage is Stage.SUCCESSFUL
    offer = next(d for d in case.deadlines if d.kind is DeadlineKind.PLACE_OFFER)
    assert offer.due == CALENDAR.add_school_days(sc.REFERRED, protocol.place_offer_school_days)
    reviews = [d.due for d in case.deadlines if d.kind is not DeadlineKind.PLACE_OFFER]
    assert tuple(reviews) == CALENDAR.suggest_review_dates(sc.START, protocol.review_weeks)
    assert case.weighting_adjustments == {
        sc.HOST_SCHOOL: protocol.weighting_points,
        sc.AP_SETTING: -protocol.weighting_points,
    }
    (started,) = [t for t in case.history if t.trigger == "start_placement"]
    (joiners,) = [o for o in started.data["opened"] if o["kind"] == "complete_joiners_form"]
    assert (
        joiners["due"] == (sc.START + dt.timedelta(days=protocol.joiners_return_days)).isoformat()
    )
    assert Reintegration.replay(case.history, CALENDAR, protocols=[EXAMPLESHIRE]) == case


def test_the_variants_numbers_differ_from_worcestershires_everywhere() -> None:
    for name in (
        "place_offer_school_days",
        "review_weeks",
        "final_review_within_days",
        "joiners_return_days",
        "weighting_points",
        "retention_years",
        "review_parties",
        "required_evidence",
    ):
        assert getattr(EXAMPLESHIRE, name) != getattr(WORCESTERSHIRE, name), name
    assert EXAMPLESHIRE.place_offer_school_days == 10
    assert EXAMPLESHIRE.review_weeks == (3, 5, 8)
    assert EXAMPLESHIRE.final_review_within_days == 60
    assert EXAMPLESHIRE.weighting_points == 1


def placed(protocol: Protocol) -> Reintegration:
    case = opened(protocol)
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, example_information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    return case


def test_the_final_review_limit_comes_from_the_protocol() -> None:
    """56 days after the start: too late for Worcestershire (42), fine for Exampleshire (60)."""
    late = sc.initial_meeting(final_review=sc.START + dt.timedelta(days=56))
    with pytest.raises(GuardFailed, match="within 42 days"):
        placed(WORCESTERSHIRE).hold_initial_meeting(late, sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    case = placed(EXAMPLESHIRE)
    case.hold_initial_meeting(late, sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    too_late = sc.initial_meeting(final_review=sc.START + dt.timedelta(days=61))
    with pytest.raises(GuardFailed, match="within 60 days"):
        placed(EXAMPLESHIRE).hold_initial_meeting(
            too_late, sc.views(), by=sc.AP_HEAD, on=sc.MEETING
        )


def test_the_required_evidence_comes_from_the_protocol() -> None:
    """Exampleshire asks for the IEP, which Worcestershire does not."""
    without_iep = sc.information()
    assert Evidence.IEP not in without_iep.evidence
    case = opened(EXAMPLESHIRE)
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    with pytest.raises(GuardFailed, match="Individual Education Plan"):
        case.refer_to_fair_access(
            ReferralRoute.PANEL, without_iep, sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
        )
    worcester = opened()
    worcester.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    worcester.refer_to_fair_access(
        ReferralRoute.PANEL, without_iep, sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )


def in_placement(protocol: Protocol) -> Reintegration:
    case = placed(protocol)
    first, second, final = CALENDAR.suggest_review_dates(sc.START, protocol.review_weeks)
    meeting = sc.initial_meeting(first_review=first, second_review=second, final_review=final)
    case.hold_initial_meeting(meeting, sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    sc.prepare(case)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    return case


def test_the_parties_at_a_review_come_from_the_protocol() -> None:
    """Exampleshire needs the child at every review; Worcestershire records a departure."""
    without_child = sc.review(
        sc.FIRST_REVIEW, attendees=tuple(a for a in sc.EVERYONE if a.party is not Party.CHILD)
    )
    with pytest.raises(GuardFailed, match="not attended by the child"):
        in_placement(EXAMPLESHIRE).hold_review(without_child, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    case = in_placement(WORCESTERSHIRE)
    case.hold_review(without_child, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    assert [d.rule for d in case.departures] == ["R9"]


def test_the_roles_come_from_the_protocol() -> None:
    """Exampleshire's reviews are recorded by head teachers only."""
    case = in_placement(EXAMPLESHIRE)
    with pytest.raises(NotPermitted, match="only the AP head teacher or the host head teacher"):
        case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)
    assert "hold_review" not in case.available_triggers(sc.HOST_STAFF)
    assert "hold_review" in case.available_triggers(sc.HOST_HEAD)
    assert "hold_review" in in_placement(WORCESTERSHIRE).available_triggers(sc.HOST_STAFF)


def test_an_emergency_review_needs_the_protocols_parties() -> None:
    case = in_placement(EXAMPLESHIRE)
    case.call_emergency_review("Absconding.", by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    only_schools = (Attendee("Sam Fielding", Party.AP), Attendee("Tom Okafor", Party.HOST))
    meeting = sc.review(
        sc.FIRST_REVIEW,
        ReviewKind.EMERGENCY,
        attendees=only_schools,
        additional_support="A key worker.",
    )
    with pytest.raises(GuardFailed) as refused:
        case.hold_emergency_review(meeting, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    assert [r for r in refused.value.reasons if "did not include" in r] == [
        "The emergency review did not include a parent/carer.",
        "The emergency review did not include the local authority.",
    ]


def test_the_calendar_suggests_reviews_at_the_protocols_weeks() -> None:
    start = D(2026, 1, 5)
    first, second, final = CALENDAR.suggest_review_dates(start, (3, 5, 8))
    assert first >= start + dt.timedelta(weeks=3)
    assert second >= start + dt.timedelta(weeks=5)
    assert final <= start + dt.timedelta(weeks=8)
    assert CALENDAR.suggest_review_dates(start) == CALENDAR.suggest_review_dates(start, (2, 4, 6))
    with pytest.raises(ValueError, match="three increasing"):
        CALENDAR.suggest_review_dates(start, (4, 2, 6))


def test_no_two_cases_share_a_protocol_change() -> None:
    """Obligations opened under one protocol never leak into a case of another."""
    worcester, example = in_placement(WORCESTERSHIRE), in_placement(EXAMPLESHIRE)
    due = {o.kind: o.due for o in worcester.obligations}
    other = {o.kind: o.due for o in example.obligations}
    assert due[ObligationKind.COMPLETE_JOINERS_FORM] == sc.START + dt.timedelta(days=5)
    assert other[ObligationKind.COMPLETE_JOINERS_FORM] == sc.START + dt.timedelta(days=3)


@attrs.frozen
class _Later(Protocol):
    """A protocol as a later version might define it: two fields more, left at their defaults."""

    notes: tuple[str, ...] = attrs.field(factory=tuple)
    windows: tuple[int, ...] = attrs.field(default=[5], converter=tuple)
    bands: tuple[int, ...] = attrs.field(default=[1, 2], converter=attrs.Converter(tuple))


def test_a_field_added_later_left_at_its_default_keeps_the_fingerprint() -> None:
    """A factory's or a converted default compared unequal to the value it makes, and every
    fingerprint would have changed with such a field (found by a review)."""
    values = {field.name: getattr(EXAMPLESHIRE, field.name) for field in attrs.fields(Protocol)}
    later = _Later(**values)
    assert later.fingerprint == EXAMPLESHIRE.fingerprint
    assert _Later(**values, notes=("a",)).fingerprint != EXAMPLESHIRE.fingerprint
    assert _Later(**values, windows=(6,)).fingerprint != EXAMPLESHIRE.fingerprint
    assert _Later(**values, bands=(3,)).fingerprint != EXAMPLESHIRE.fingerprint


@attrs.frozen
class _Derived(Protocol):
    """A later field whose default is made from the protocol itself: what it would be is not
    known without the instance, so it always counts."""

    twice: int = attrs.field(
        default=attrs.Factory(lambda self: 2 * self.weighting_points, takes_self=True)
    )
    halved: int = attrs.field(
        default=4, converter=attrs.Converter(lambda value, self: value, takes_self=True)
    )


def test_a_field_added_later_whose_default_needs_the_protocol_always_counts() -> None:
    values = {field.name: getattr(EXAMPLESHIRE, field.name) for field in attrs.fields(Protocol)}
    derived = _Derived(**values)
    assert derived.fingerprint != EXAMPLESHIRE.fingerprint
    assert derived.fingerprint == _Derived(**values).fingerprint  # and the same each time


@pytest.mark.parametrize(
    "given",
    [(), (pickle.loads(pickle.dumps(WORCESTERSHIRE)),)],  # an equal copy, as a worker gets
    ids=["built-in", "an-equal-copy"],
)
def test_a_fingerprint_recorded_for_the_librarys_own_protocol_is_malformed_data(
    given: tuple[Protocol, ...],
) -> None:
    """Not "the file registered under that name sets other rules": no file is involved (found
    by a review; a copy of the built-in protocol, registered or pickled, was told by identity)."""
    case = opened(WORCESTERSHIRE)
    written = json.loads(json.dumps(transition_to_json(case.history[0])))
    written["data"]["protocol"]["fingerprint"] = "0" * 64
    with pytest.raises(FormInvalid, match="the recorded 'protocol' is not what the protocol"):
        Reintegration.replay([transition_from_json(written)], CALENDAR, given)


def test_a_case_opened_under_a_protocol_an_earlier_version_took_still_loads_and_finishes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Refusing such a file made every case opened under it unreadable for good: `verify`
    called it not replaying, `export` could not find the child, `retention` stopped (found by
    a review). It loads, replays and takes its next step; no new case opens under it; and a
    retention run keeps its children's data until 18, whatever its `retention_years`."""
    old = attrs.evolve(EXAMPLESHIRE, version="2026.1", joiners_return_days=10, retention_years=6)
    with monkeypatch.context() as before:  # as the version before this one opened it
        before.setattr(Protocol, "opening_problems", ())
        case = in_placement(old)
    assert [o.due for o in case.obligations if o.kind is ObligationKind.COMPLETE_JOINERS_FORM] == [
        sc.START + dt.timedelta(days=10)
    ]
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR, protocols=[old])
    store.create_schema()
    store.save(case)
    again = store.load("P-1")
    assert again == case
    assert store.verify() == []
    again.discharge(ObligationKind.COMPLETE_JOINERS_FORM, by=sc.HOST_HEAD, on=sc.START)
    store.save(again)
    born = sc.PUPIL.date_of_birth
    assert store.past_retention(born.replace(year=born.year + 18)) == []
    after = born.replace(year=born.year + 18) + dt.timedelta(days=1)
    assert store.past_retention(after) == []  # still running: held for a person to check
    [held] = store.held_retention(after)
    assert held.keep_until == born.replace(year=born.year + 18)
    assert held.reason.startswith("still running")
    store.close()
    with pytest.raises(ProtocolDefinitionError, match=r"may not open under exampleshire 2026\.1"):
        opened(old)


def test_a_protocol_is_the_same_under_another_edition_of_the_rules_and_no_other_change() -> None:
    """`in_some_edition`: what a store compares a new case's rules with its first case's by
    (`stores.opened`): the same file read by a library whose current edition was another."""
    own = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
    earlier = attrs.evolve(own, edition=2)
    edited = attrs.evolve(own, weighting_points=7)

    assert definition.in_some_edition(own, own.fingerprint)
    assert definition.in_some_edition(own, earlier.fingerprint)
    assert definition.in_some_edition(own, attrs.evolve(own, edition=1).fingerprint)
    assert definition.in_some_edition(earlier, own.fingerprint)
    assert not definition.in_some_edition(own, edited.fingerprint)
    assert not definition.in_some_edition(own, attrs.evolve(edited, edition=2).fingerprint)
    assert not definition.in_some_edition(earlier, edited.fingerprint)
    assert not definition.in_some_edition(own, None)
