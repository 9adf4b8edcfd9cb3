"""Replay re-checks every transition: a history the protocol would have refused does not replay,
an older data layout still does, and anything that replays also loads, renders and verifies."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
import pickle
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import holidays
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import reintegration_fsm.calendar as calendar_module
import reintegration_fsm.rules as rules
import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    WORCESTERSHIRE_2,
    Attendee,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    InMemoryStore,
    NotPermitted,
    ObligationKind,
    Party,
    PastoralSupportPlan,
    Protocol,
    ProtocolDefinitionError,
    ProtocolError,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    SchoolCalendar,
    Stage,
    SuccessfulOutcome,
    Transition,
    UnsuccessfulOutcome,
)
from reintegration_fsm import testing as rt
from reintegration_fsm.demo import CASES
from reintegration_fsm.documents import render_html, render_text
from reintegration_fsm.forms.views import QUESTIONS as VIEWS_QUESTIONS
from reintegration_fsm.protocol.reading import read_values
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from reintegration_fsm.stores import SqlAlchemyStore
from stages import recorded_under, referred

CALENDAR = SchoolCalendar.sample()
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_export_v1.json"
D = dt.date


def successful() -> Reintegration:
    case = Reintegration.open(
        "R-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    case.hold_initial_meeting(sc.initial_meeting(), sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)
    case.hold_review(sc.review(sc.SECOND_REVIEW), by=sc.HOST_STAFF, on=sc.SECOND_REVIEW)
    final = sc.review(sc.FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
    case.hold_review(final, by=sc.HOST_HEAD, on=sc.FINAL_REVIEW)
    case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=sc.SUCCESS.date_on_roll)
    return case


def ended() -> Reintegration:
    case = Reintegration.open(
        "R-2", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    case.hold_initial_meeting(sc.initial_meeting(), sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    held = D(2026, 3, 13)
    case.call_emergency_review("Absconding.", by=sc.HOST_HEAD, on=held)
    meeting = sc.review(
        held,
        ReviewKind.EMERGENCY,
        attendees=sc.WITH_LA,
        decision=ReviewDecision.END,
        concerns="Left the site three times.",
    )
    case.hold_emergency_review(meeting, sc.letter(), by=sc.HOST_HEAD, on=held)
    return case


def as_json(case: Reintegration) -> list[dict[str, Any]]:
    """The history as `export` and `import` carry it: plain, mutable JSON."""
    return json.loads(json.dumps([transition_to_json(t) for t in case.history]))


def replay_json(history: list[dict[str, Any]]) -> Reintegration:
    return Reintegration.replay([transition_from_json(t) for t in history], CALENDAR)


def step(history: list[dict[str, Any]], trigger: str) -> dict[str, Any]:
    return next(t for t in history if t["trigger"] == trigger)


# -- the forged histories an attacker tried: each is refused, naming the transition --------------
def test_the_true_histories_replay() -> None:
    for case in (successful(), ended()):
        assert replay_json(as_json(case)) == case


@pytest.mark.parametrize(
    ("forge", "error", "fragment"),
    [
        (lambda f: f.update(agrees=False), GuardFailed, "does not agree to a reintegration"),
        (lambda f: f.update(signed_by=""), GuardFailed, "is not signed"),
        (lambda f: f.update(child_name="Robin Stranger"), GuardFailed, "not for 'Alex Example'"),
        (lambda f: f.update(child_dob="2011-01-01"), GuardFailed, "gives the date of birth"),
    ],
    ids=["refused", "unsigned", "another child", "another birthday"],
)
def test_a_forged_consent_is_refused(forge: Any, error: type, fragment: str) -> None:
    history = as_json(successful())
    forge(step(history, "record_consent")["data"]["form"])
    with pytest.raises(error, match=fragment) as refused:
        replay_json(history)
    assert refused.value.seq == 2  # type: ignore[attr-defined]
    assert str(refused.value).startswith("transition 2: ")


def test_a_referral_without_an_active_plan_or_evidence_is_refused() -> None:
    history = as_json(successful())
    data = step(history, "refer_to_fair_access")["data"]
    data["psp"]["start"] = "2026-06-01"
    data["information"]["evidence"] = []
    with pytest.raises(GuardFailed) as refused:
        replay_json(history)
    assert any("only starts on 2026-06-01" in r for r in refused.value.reasons)
    assert sum("The evidence does not include" in r for r in refused.value.reasons) == 5


def test_a_place_offer_deadline_no_calendar_could_give_is_refused() -> None:
    """Due 2099: a breach hidden by a far deadline."""
    history = as_json(successful())
    referral = step(history, "refer_to_fair_access")["data"]
    referral["deadlines"][0]["due"] = "2099-06-01"
    step(history, "identify_host")["data"]["met"][0]["due"] = "2099-06-01"
    with pytest.raises(FormInvalid, match="later than 20 school days after"):
        replay_json(history)


@pytest.mark.parametrize("due", ["2026-02-21", "2026-01-20", "2026-02-24"])
def test_a_place_offer_deadline_on_a_weekend_too_soon_or_moved_is_refused(due: str) -> None:
    """A Saturday is never a school day; one day after the referral is too soon; a weekday the
    calendar could give but the recorded meeting of it no longer matches is refused too."""
    history = as_json(successful())
    step(history, "refer_to_fair_access")["data"]["deadlines"][0]["due"] = due
    with pytest.raises(FormInvalid):
        replay_json(history)


def test_a_plausible_place_offer_deadline_from_another_calendar_replays() -> None:
    """Replay never recomputes with today's calendar: a date some calendar could give is kept."""
    history = as_json(successful())
    other = "2026-02-24"  # a Tuesday: 20 school days on without the February half term
    step(history, "refer_to_fair_access")["data"]["deadlines"][0]["due"] = other
    step(history, "identify_host")["data"]["met"][0]["due"] = other
    replayed = replay_json(history)
    assert replayed.deadlines[0].due == D(2026, 2, 24)


@pytest.fixture
def newer_holidays(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A newer `holidays` release, installed after the referral: it knows a one-off bank holiday
    on Wednesday 17 September 2025 (as the 2022 state funeral was announced nine days ahead).
    The library's cache of bank holidays is cleared before and after."""
    real = holidays.country_holidays

    def newer_release(*args: Any, **kwargs: Any) -> holidays.HolidayBase:
        found = real(*args, **kwargs)
        if 2025 in found.years:
            found[D(2025, 9, 17)] = "One-off bank holiday"
        return found

    monkeypatch.setattr(holidays, "country_holidays", newer_release)
    calendar_module._bank_holidays.cache_clear()
    yield
    calendar_module._bank_holidays.cache_clear()


def _referred_on(on: dt.date, case_id: str, calendar: SchoolCalendar) -> Reintegration:
    """A case opened, consented to and referred on `on`, on `calendar`."""
    case = Reintegration.open(
        case_id, sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, calendar, by=sc.AP_HEAD, on=on
    )
    case.record_consent(sc.consent(signed_on=on), by=sc.AP_HEAD, on=on)
    plan = PastoralSupportPlan(start=on - dt.timedelta(days=30))
    case.refer_to_fair_access(ReferralRoute.PANEL, sc.information(), plan, by=sc.AP_HEAD, on=on)
    return case


def _referred_on_8_september_2025() -> Reintegration:
    """A case referred on Monday 8 September 2025, with no holiday or closure of the sample's
    in the next 20 school days: the place offer is due on Monday 6 October (by hand: 9-12,
    15-19, 22-26 September, 29 September-3 October, 6 October)."""
    case = _referred_on(D(2025, 9, 8), "R-C1", CALENDAR)
    assert [d.due for d in case.deadlines] == [D(2025, 10, 6)]
    return case


def test_a_history_recorded_before_holidays_knew_a_bank_holiday_still_replays(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Review C1: upgrading `holidays` to a release that knows a one-off bank holiday inside a
    recorded place-offer span made the case impossible to replay, load, import or verify (its
    deadline "earlier than 20 school days ... could fall"). The recorded deadline is read back,
    never recomputed, whatever bank holidays the installed release knows."""
    case = _referred_on_8_september_2025()
    memory = InMemoryStore(calendar=CALENDAR)
    memory.save(case)
    url = f"sqlite:///{tmp_path / 'c1.db'}"
    with SqlAlchemyStore(url, calendar=CALENDAR) as sql:
        sql.create_schema()
        sql.save(case)
    request.getfixturevalue("newer_holidays")
    assert CALENDAR.add_school_days(D(2025, 9, 8), 20) == D(2025, 10, 6)  # cached calendar
    assert SchoolCalendar.sample().add_school_days(D(2025, 9, 8), 20) == D(2025, 10, 7)
    replayed = Reintegration.replay(case.history, SchoolCalendar.sample())
    assert replayed.deadlines == case.deadlines
    assert replay_json(as_json(case)).deadlines == case.deadlines  # as `import` reads it
    assert memory.load("R-C1").deadlines == case.deadlines
    assert memory.verify() == []
    with SqlAlchemyStore(url, calendar=SchoolCalendar.sample()) as sql:
        assert sql.load("R-C1", as_of=D(2025, 9, 20)).deadlines == case.deadlines
        assert sql.verify() == []


def _with_half_term_a_week_later() -> SchoolCalendar:
    """The sample as its authority corrected it after a referral: the spring half term of 2026
    is 23-27 February, not 16-20 February (spring 1 to 20 February, spring 2 from 2 March)."""
    sample = SchoolCalendar.sample()
    terms = [t for t in sample.terms if t[0] not in (D(2026, 1, 5), D(2026, 2, 23))]
    terms += [(D(2026, 1, 5), D(2026, 2, 20)), (D(2026, 3, 2), D(2026, 3, 27))]
    return SchoolCalendar(terms, dict(sample.closure_reasons), source="corrected term dates")


def test_a_history_recorded_before_its_term_dates_were_corrected_still_replays(
    tmp_path: Path,
) -> None:
    """Review C, C1: a case referred on 19 January 2026 has its place offer due on Monday 23
    February, the first day after the sample's half term. The authority then moves the half
    term a week later: replay held the recorded deadline to the corrected calendar's terms,
    so the in-memory store could no longer load the case and `verify()` said the untouched
    history "does not replay", the alarm for tampering. The deadline counted on the dates
    known at the time is read back whatever terms the calendar gives now."""
    case = referred()
    assert [d.due for d in case.deadlines] == [D(2026, 2, 23)]
    corrected = _with_half_term_a_week_later()
    assert not corrected.is_school_day(D(2026, 2, 23))
    memory = InMemoryStore(calendar=corrected)
    memory.save(case)
    assert memory.load(case.case_id).deadlines == case.deadlines
    assert memory.verify() == []
    assert Reintegration.replay(case.history, corrected).deadlines == case.deadlines
    url = f"sqlite:///{tmp_path / 'corrected.db'}"
    with SqlAlchemyStore(url, calendar=CALENDAR) as sql:
        sql.create_schema()
        sql.save(case)
    with SqlAlchemyStore(url, calendar=corrected) as sql:
        assert sql.verify() == []
        assert sql.load(case.case_id).deadlines == case.deadlines
    # A referral made now counts on the corrected dates: 20-23 January, 26-30, 2-6 February,
    # 9-13, and Monday 16 February, no half term on the way now.
    again = _referred_on(D(2026, 1, 19), "R-C1b", corrected)
    assert [d.due for d in again.deadlines] == [D(2026, 2, 16)]


@pytest.mark.parametrize(
    ("due", "refused"),
    [("2025-09-29", "earlier than 20 school days"), ("2025-10-04", "weekend")],
    ids=["a-week-short", "weekend"],
)
def test_a_tampered_deadline_is_refused_after_holidays_learns_a_bank_holiday(
    newer_holidays: None, due: str, refused: str
) -> None:
    """The allowance for bank holidays a release did not know lets through no forgery a week
    short, nor one on a weekend."""
    history = as_json(_referred_on_8_september_2025())
    step(history, "refer_to_fair_access")["data"]["deadlines"][0]["due"] = due
    with pytest.raises(FormInvalid, match=refused):
        replay_json(history)


def test_an_ending_without_a_valid_letter_is_refused() -> None:
    history = as_json(ended())
    letter = step(history, "hold_emergency_review")["data"]["letter"]
    letter["incident_investigated"] = False
    letter["reasons"] = []
    with pytest.raises(GuardFailed) as refused:
        replay_json(history)
    assert len(refused.value.reasons) == 2


def test_an_ending_with_no_letter_is_refused() -> None:
    history = as_json(ended())
    data = step(history, "hold_emergency_review")["data"]
    del data["letter"]
    with pytest.raises(GuardFailed, match="needs a failure letter"):
        replay_json(history)


def test_success_without_a_final_review_making_the_move_permanent_is_refused() -> None:
    history = as_json(successful())
    final = [t for t in history if t["trigger"] == "hold_review"][-1]
    final["data"]["meeting"]["decision"] = "continue"
    final["data"]["meeting"]["next_meeting"] = "2026-04-10"
    final["data"]["meeting"]["permanent_from"] = None
    final["data"]["deadlines"] = [{"kind": "final_review", "due": "2026-04-10"}]
    with pytest.raises(GuardFailed, match="No final review has decided on a permanent move"):
        replay_json(history)


def test_an_empty_withdrawal_reason_is_refused() -> None:
    case = Reintegration.open(
        "R-3", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.withdraw("The family moved away.", by=sc.PARENT, on=sc.CONSENTED)
    history = as_json(case)
    history[-1]["data"]["reason"] = "   "
    with pytest.raises(GuardFailed, match="reason for withdrawing is not given"):
        replay_json(history)


def test_a_withdrawal_that_claims_to_meet_a_deadline_is_refused() -> None:
    """`"met": [...]` on a withdraw: the step records no such thing."""
    case = Reintegration.open(
        "R-4", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.withdraw("The family moved away.", by=sc.PARENT, on=sc.HOST_FOUND)
    history = as_json(case)
    history[-1]["data"]["met"] = [history[2]["data"]["deadlines"][0]]
    with pytest.raises(FormInvalid, match="withdraw records no 'met'"):
        replay_json(history)
    history[-1]["data"]["met"] = [0]  # the first layout's form of the same forgery
    with pytest.raises(FormInvalid):
        replay_json(history)


def test_a_departure_removed_from_the_record_is_refused() -> None:
    """A should the practice fell short of cannot be erased from the log."""
    case = Reintegration.open(
        "R-5", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(child_agrees=None), by=sc.AP_HEAD, on=sc.CONSENTED)
    history = as_json(case)
    assert history[1]["data"]["departures"]
    del history[1]["data"]["departures"]
    with pytest.raises(FormInvalid, match="recorded 'departures'"):
        replay_json(history)


def test_an_obligation_left_out_of_the_record_is_refused() -> None:
    history = as_json(ended())
    data = step(history, "hold_emergency_review")["data"]
    data["opened"] = [o for o in data["opened"] if o["kind"] != "consent_to_deletion"]
    with pytest.raises(FormInvalid, match="recorded 'opened'"):
        replay_json(history)


def test_a_key_the_step_does_not_record_is_refused() -> None:
    history = as_json(successful())
    step(history, "start_placement")["data"]["note"] = "nothing to see"
    with pytest.raises(FormInvalid, match="records no 'note'"):
        replay_json(history)


@pytest.mark.parametrize("garbage", ["garbage", 7, None, [], {"agrees": "yes"}])
def test_a_consent_form_that_is_not_a_form_is_refused(garbage: Any) -> None:
    history = as_json(successful())
    step(history, "record_consent")["data"]["form"] = garbage
    with pytest.raises(FormInvalid) as refused:
        replay_json(history)
    assert refused.value.form == "history"
    assert refused.value.field == "2"


def test_every_problem_of_a_recorded_form_is_named_with_its_transition() -> None:
    """A consent form with two bad answers in an imported history: both, each naming seq 2."""
    history = as_json(successful())
    form = step(history, "record_consent")["data"]["form"]
    form["agrees"] = "yes"
    form["signed_by"] = "Dana\nExample"
    with pytest.raises(FormInvalid) as refused:
        replay_json(history)
    assert refused.value.form == "history"
    assert refused.value.problems == (
        ("2", "record_consent: ConsentForm.agrees: must be True or False, not 'yes'"),
        ("2", "record_consent: ConsentForm.signed_by: must be on one line"),
    )


def test_every_problem_of_the_recorded_child_is_named() -> None:
    """The pupil in the `open` record, with three bad fields: all three, as transition 1's."""
    history = as_json(successful())
    pupil = history[0]["data"]["pupil"]
    pupil.update(name=" ", key_stage=9, upn="not a UPN")
    with pytest.raises(FormInvalid) as refused:
        replay_json(history)
    assert [(field, problem.split(":")[0]) for field, problem in refused.value.problems] == [
        ("1", "open"),
        ("1", "open"),
        ("1", "open"),
    ]
    assert [problem.split(": ")[1] for _, problem in refused.value.problems] == [
        "Pupil.name",
        "Pupil.key_stage",
        "Pupil.upn",
    ]


def test_an_actor_who_could_not_fire_the_step_is_refused() -> None:
    history = as_json(successful())
    step(history, "identify_host")["actor"] = json.loads(
        json.dumps(transition_to_json(successful().history[0])["actor"])
    )
    with pytest.raises(NotPermitted, match="only a local authority admissions officer may"):
        replay_json(history)


def test_a_step_in_the_wrong_stage_is_refused() -> None:
    history = as_json(successful())
    history[1], history[2] = history[2], history[1]
    history[1]["seq"], history[2]["seq"] = 2, 3
    with pytest.raises(IllegalTransition):
        replay_json(history)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "dest",
            "referred",
            "transition 2: record_consent from stage 'proposed' goes to stage 'consented', "
            "but the history records stage 'referred'",
        ),
        (
            "source",
            "planned",
            "transition 2: record_consent records that it left stage 'planned', but the case "
            "was in stage 'proposed'",
        ),
    ],
)
def test_a_wrong_recorded_stage_is_named_not_blamed_on_the_trigger(
    field: str, value: str, message: str
) -> None:
    """An MIS that mapped one of its stages wrongly was told "'record_consent' is not available
    in stage 'proposed'", which is false, and the wrong value went unnamed (review T)."""
    history = as_json(successful())
    assert replay_json(history[:2]).stage is Stage.CONSENTED  # as recorded: replays
    step(history, "record_consent")[field] = value
    with pytest.raises(IllegalTransition) as refused:
        replay_json(history[:2])
    assert str(refused.value) == message
    assert (refused.value.trigger, refused.value.stage, refused.value.seq) == (
        "record_consent",
        Stage.PROPOSED,
        2,
    )


@pytest.mark.parametrize(
    ("protocol", "given"),
    [
        (None, "names no protocol"),
        ("worcestershire", "names its protocol as a str"),
        ({"id": "worcestershire"}, "names its protocol without an id and a version"),
    ],
)
def test_an_open_record_without_a_protocol_object_is_told_plainly(
    protocol: object, given: str
) -> None:
    """It was "malformed 'open' data: KeyError('protocol')" (review T)."""
    history = as_json(successful())
    if protocol is None:
        del history[0]["data"]["protocol"]
    else:
        history[0]["data"]["protocol"] = protocol
    for replayed in (
        replay_json,
        lambda h: Reintegration._resume(
            [transition_from_json(t) for t in h], successful()._state(), CALENDAR
        ),
    ):
        with pytest.raises(FormInvalid) as refused:
            replayed(history)
        assert str(refused.value) == (
            f'history.1: open: the record {given}: give it as {{"id": ..., "version": ...}}, '
            "the protocol's id and version as `protocol list` shows them"
        )


@pytest.mark.parametrize(
    ("trigger", "key", "value", "named"),
    [
        ("open", "case_id", 5, "open: case_id: must be text, not 5"),
        ("open", "ap_setting", ["a"], "open: ap_setting: must be text, not ['a']"),
        ("identify_host", "host_school", 5, "identify_host: host_school: must be text, not 5"),
        ("refer_to_fair_access", "route", "sideways", "refer_to_fair_access: route: 'sideways'"),
    ],
)
def test_a_recorded_value_of_the_wrong_type_names_its_field(
    trigger: str, key: str, value: object, named: str
) -> None:
    """It named the type: "open: str: expected str, not 5" (review T)."""
    history = as_json(successful())
    step(history, trigger)["data"][key] = value
    with pytest.raises(FormInvalid, match=re.escape(named)):
        replay_json(history)


def test_a_step_dated_far_ahead_is_refused() -> None:
    """R16: 9999-12-31 would lock the case for ever."""
    history = as_json(successful())
    history[-1]["on"] = "9999-12-31"
    with pytest.raises(GuardFailed, match="more than a year ahead"):
        replay_json(history)


# -- the first data layout: the demo export made before this layout ------------------------------
def fixture_cases() -> list[dict[str, Any]]:
    exported: list[dict[str, Any]] = json.loads(FIXTURE.read_text())
    return exported


@pytest.mark.parametrize("export", fixture_cases(), ids=lambda e: e["case_id"])
def test_the_first_layouts_demo_export_replays_renders_and_verifies(export: dict[str, Any]) -> None:
    """A history written by the first release loads under the protocol it was made under."""
    history = [transition_from_json(t) for t in export["history"]]
    case = Reintegration.replay(history, CALENDAR)
    assert case.stage.value == export["stage"]
    assert case.protocol.version == "1"  # the rules it was recorded under, for life
    assert [d.due.isoformat() for d in case.deadlines] == [d["due"] for d in export["deadlines"]]
    assert [d.met_on.isoformat() if d.met_on else None for d in case.deadlines] == [
        d["met_on"] for d in export["deadlines"]
    ]
    assert [(o.kind.value, o.owner.value) for o in case.obligations] == [
        (o["kind"], o["owner"]) for o in export["obligations"]
    ]
    assert case.departures == ()  # the first rules recorded none
    assert export["pupil"]["name"] in render_html(case)
    assert export["pupil"]["name"] in render_text(case)
    store = InMemoryStore(calendar=CALENDAR)
    store.import_histories([(case.local_authority, history)])
    assert store.load(case.case_id) == case
    assert store.verify() == []


def test_a_first_layout_case_continues_under_its_first_rules() -> None:
    """The withdrawn-before-placement and late-offer cases: DEMO-0004 carries on today, under
    edition 1 (no departures), its new step written in the current layout."""
    export = next(e for e in fixture_cases() if e["case_id"] == "DEMO-0004")
    case = Reintegration.replay([transition_from_json(t) for t in export["history"]], CALENDAR)
    meeting = sc.initial_meeting(ap_support="")  # edition 1 did not ask for it
    ap_head = case.history[0].actor
    case.hold_initial_meeting(meeting, sc.views(), by=ap_head, on=D(2026, 5, 6))
    assert case.stage is Stage.PLANNED
    assert case.history[-1].data["schema"] == 2
    assert case.departures == ()


# -- the case is sealed --------------------------------------------------------------------------
def test_a_case_changes_only_through_its_triggers() -> None:
    case = successful()
    for name in ("stage", "host_school", "local_authority", "case_id", "pupil", "protocol"):
        with pytest.raises(AttributeError):
            setattr(case, name, None)
    with pytest.raises(AttributeError):
        case.saved_version = 3  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=r"Reintegration\.open"):
        Reintegration()  # type: ignore[call-arg]
    assert not hasattr(case, "__dict__")


def test_a_transitions_data_cannot_be_changed_in_place() -> None:
    case = successful()
    transition = case.history[4]
    with pytest.raises(TypeError, match="cannot be changed"):
        transition.data["opened"][0]["owner"] = "host"  # type: ignore[index]
    with pytest.raises(TypeError):
        transition.data["opened"].append({})  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        transition.data.update(x=1)  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        transition.seq = 9  # type: ignore[misc]


def test_no_two_cases_share_a_mutable_object() -> None:
    """Changing one case's (thawed) data changes nothing in a case built later."""
    first = successful()
    data = json.loads(json.dumps(first.history[4].data))
    data["opened"][0]["owner"] = "host"
    second = successful()
    assert second.history[4].data["opened"][0]["owner"] == "ap"
    assert first.history[4].data["opened"][0]["owner"] == "ap"


def test_data_given_by_a_caller_is_copied_and_frozen() -> None:
    mine = {"reason": "x", "nested": {"a": [1]}}
    transition = Transition(1, "open", None, Stage.PROPOSED, sc.AP_HEAD, sc.OPENED, mine)
    mine["nested"]["a"].append(2)  # type: ignore[index]
    assert transition.data["nested"]["a"] == [1]


def test_a_copied_case_moves_on_alone() -> None:
    case = successful()
    twin = copy.deepcopy(case)
    assert twin == case
    twin.discharge(ObligationKind.TRANSFER_RECORDS, by=sc.AP_STAFF, on=sc.SUCCESS.date_on_roll)
    assert twin.version == case.version + 1


# -- any history that replays also loads, renders, prints and verifies ---------------------------
def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _set(target: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.text(max_size=12),
    st.sampled_from(["", "2026-02-29", "2030-01-01", "continue", "end", "ap", "host", "x" * 250]),
    st.just([]),
    st.just({}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(["successful", "ended"]), choice=st.data(), value=REPLACEMENTS)
def test_a_history_with_one_value_changed_either_is_refused_or_works_everywhere(
    which: str, choice: st.DataObject, value: Any
) -> None:
    """Import refuses it with a ProtocolError, or it loads, renders, prints its timeline and
    verifies: nothing in between, and never another exception."""
    from reintegration_fsm.cli import views

    case = successful() if which == "successful" else ended()
    history = as_json(case)
    paths = _paths(history)
    path = choice.draw(st.sampled_from(paths))
    _set(history, path, value)
    try:
        transitions = [transition_from_json(t) for t in history]
        replayed = Reintegration.replay(transitions, CALENDAR)
    except ProtocolError as error:
        event(f"refused: {type(error).__name__}")
        return
    event("accepted")
    store = InMemoryStore(calendar=CALENDAR)
    store.import_histories([(replayed.local_authority, transitions)])
    loaded = store.load(replayed.case_id)
    assert loaded == replayed
    render_html(loaded)
    render_text(loaded)
    views.timeline(loaded, D(2026, 12, 31), CALENDAR)
    views.timeline_json(loaded, D(2026, 12, 31), CALENDAR)
    assert store.verify() == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rt.protocol_runs())
def test_every_generated_run_replays_through_json(run: rt.ProtocolRun) -> None:
    case = rt.play(run)
    assert replay_json(as_json(case)) == case


@pytest.mark.parametrize("history", [None, 5], ids=["none", "a-number"])
def test_a_history_that_is_not_a_sequence_is_invalid_not_a_type_error(history: Any) -> None:
    """`replay(None)` raised a bare TypeError from `list(None)`."""
    with pytest.raises(FormInvalid, match="must be a sequence of transitions"):
        Reintegration.replay(history)


def test_protocols_of_none_are_a_definition_error_not_a_type_error() -> None:
    """`replay(history, calendar, None)` raised a bare TypeError from iterating None."""
    case = Reintegration.open(
        "case-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, by=sc.AP_HEAD, on=sc.OPENED
    )
    with pytest.raises(ProtocolDefinitionError, match="must be a collection of Protocols"):
        Reintegration.replay(case.history, None, None)  # type: ignore[arg-type]


# -- edition 2's cases replay as they were recorded ----------------------------------------------
EDITION_2 = Path(__file__).resolve().parent / "fixtures" / "edition_2_review_s.json"
"""Two cases under worcestershire 2 recorded by the library before edition 3, taking every step
edition 3 refuses or records otherwise (review S): an initial meeting before the host was
identified, a placement started with the information and the visit owed, a review held on its
day with the host only a blank name and recorded three days later, a review dated before the
previous one, an emergency review before it was called ending with no measures documented and a
letter dated before it, a return before the ending, and a date on roll after the day recorded."""

Step = Callable[[Reintegration], object]


def _edition_2_steps(
    case: Reintegration, take: Callable[[Step, Step | None], None], *, succeed: bool
) -> Reintegration:
    """The fixture's steps after identify_host, each `take(step, instead)`: `instead` is the
    step as edition 3 allows it, where edition 3 refuses `step`."""
    blank_host = tuple(Attendee("  ", a.party) if a.party is Party.HOST else a for a in sc.EVERYONE)
    early = D(2026, 1, 26)
    take(
        lambda c: c.hold_initial_meeting(
            sc.initial_meeting(held_on=early), sc.views(early), by=sc.AP_HEAD, on=sc.MEETING
        ),
        lambda c: c.hold_initial_meeting(
            sc.initial_meeting(held_on=sc.HOST_FOUND),
            sc.views(sc.HOST_FOUND),
            by=sc.AP_HEAD,
            on=sc.MEETING,
        ),
    )
    take(lambda c: c.start_placement(by=sc.HOST_HEAD, on=sc.START), None)
    take(
        lambda c: c.hold_review(
            sc.review(sc.FIRST_REVIEW, attendees=blank_host), by=sc.HOST_HEAD, on=D(2026, 3, 9)
        ),
        lambda c: c.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_HEAD, on=D(2026, 3, 9)),
    )
    take(
        lambda c: c.hold_review(sc.review(D(2026, 3, 5)), by=sc.HOST_HEAD, on=sc.SECOND_REVIEW),
        lambda c: c.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_HEAD, on=sc.SECOND_REVIEW),
    )
    if succeed:
        final = sc.review(sc.FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
        take(lambda c: c.hold_review(final, by=sc.HOST_HEAD, on=sc.FINAL_REVIEW), None)
        later = SuccessfulOutcome(date_on_roll=D(2026, 11, 2), joiner_form_completed=True)
        on_the_day = SuccessfulOutcome(date_on_roll=D(2026, 4, 13), joiner_form_completed=True)
        take(
            lambda c: c.record_successful_outcome(later, by=sc.HOST_HEAD, on=D(2026, 4, 13)),
            lambda c: c.record_successful_outcome(on_the_day, by=sc.HOST_HEAD, on=D(2026, 4, 13)),
        )
        return case
    called = D(2026, 3, 23)
    take(
        lambda c: c.call_emergency_review("Left the site three times.", by=sc.HOST_HEAD, on=called),
        None,
    )

    def end(held: dt.date, written: dt.date) -> Step:
        meeting = sc.review(
            held,
            ReviewKind.EMERGENCY,
            attendees=sc.WITH_LA,
            concerns="Absconding.",
            decision=ReviewDecision.END,
            additional_support="",
        )
        the_letter = sc.letter(written_on=written, effective_date=D(2026, 3, 27))
        return lambda c: c.hold_emergency_review(meeting, the_letter, by=sc.HOST_HEAD, on=called)

    take(end(D(2026, 3, 20), D(2026, 3, 2)), end(called, called))

    def back(on: dt.date) -> Step:
        form = UnsuccessfulOutcome(
            provision_for_return="Full-time place at Brookfield.",
            return_date=on,
            completed_by="Morgan Reed",
        )
        return lambda c: c.record_unsuccessful_outcome(form, by=sc.AP_HEAD, on=D(2026, 3, 24))

    take(back(D(2026, 1, 5)), back(called))
    return case


def _host_found(protocol: Protocol) -> Reintegration:
    case = Reintegration.open(
        "ED2-S", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    if protocol is not WORCESTERSHIRE:  # no case opens under edition 2: one recorded before
        case = recorded_under(case, protocol)
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    return case


@pytest.mark.parametrize("outcome", ["ended", "succeeded"])
def test_an_edition_2_history_replays_and_runs_exactly_as_it_was_recorded(outcome: str) -> None:
    """Edition 3 changed the rules for new cases only: a case recorded under worcestershire 2
    before it replays to the same data, departures, deadlines (met on the day recorded) and
    state, and the same steps taken today on such a case are accepted and recorded the same."""
    recorded = json.loads(EDITION_2.read_text(encoding="utf-8"))[outcome]
    history = [transition_from_json(t) for t in recorded["history"]]
    case = Reintegration.replay(history, CALENDAR)
    assert case.protocol is WORCESTERSHIRE_2
    assert case._state() == recorded["state"]
    assert [
        [d.kind.value, d.due.isoformat(), d.met_on and d.met_on.isoformat()] for d in case.deadlines
    ] == recorded["deadlines"]
    assert [[d.seq, d.rule, d.text] for d in case.departures] == recorded["departures"]

    today = _host_found(WORCESTERSHIRE_2)

    def accepted(step: Step, instead: Step | None) -> None:
        step(today)

    _edition_2_steps(today, accepted, succeed=outcome == "succeeded")
    assert [transition_to_json(t) for t in today.history] == recorded["history"]
    assert today._state() == recorded["state"]


def test_the_same_steps_under_edition_3_are_refused_or_recorded_otherwise() -> None:
    """Each step of the edition-2 fixture that edition 3 tightened: refused, naming why, or
    (the review recorded late, the placement started unprepared, the ending without measures)
    recorded otherwise."""
    refused: list[str] = []

    def strictly(case: Reintegration) -> Callable[[Step, Step | None], None]:
        def take(step: Step, instead: Step | None) -> None:
            if instead is None:
                step(case)
                return
            with pytest.raises(GuardFailed) as caught:
                step(case)
            refused.extend(caught.value.reasons)
            instead(case)

        return take

    ended = _host_found(WORCESTERSHIRE)
    _edition_2_steps(ended, strictly(ended), succeed=False)
    succeeded = _host_found(WORCESTERSHIRE)
    _edition_2_steps(succeeded, strictly(succeeded), succeed=True)
    assert refused == [
        "The initial meeting on 2026-01-26 is dated before the host school was identified on "
        "2026-02-02.",
        "The host school is among the attendees only with a blank name: each party needs a "
        "named representative.",
        "The review on 2026-03-05 is dated before the case's previous meeting on 2026-03-06.",
        "The emergency review on 2026-03-20 is dated before it was called on 2026-03-23.",
        "The letter is dated 2026-03-02, before the emergency review that decided the ending on "
        "2026-03-20.",
        "The date of return to the Alternative Provision setting, 2026-01-05, is before the "
        "placement was ended on 2026-03-23.",
        "The initial meeting on 2026-01-26 is dated before the host school was identified on "
        "2026-02-02.",
        "The host school is among the attendees only with a blank name: each party needs a "
        "named representative.",
        "The review on 2026-03-05 is dated before the case's previous meeting on 2026-03-06.",
        "The date on roll 2026-11-02 is after 2026-04-13, the day the outcome is recorded: "
        "record it once the child is on the roll.",
    ]
    (first, *_) = [d for d in ended.deadlines if d.kind.value == "first_review"]
    assert (first.met_on, first.breached) == (sc.FIRST_REVIEW, False)  # recorded 2026-03-09
    assert [(d.rule, d.text) for d in ended.departures if d.rule in ("R8", "R11")] == [
        (
            "R8",
            "The placement started before the Alternative Provision setting gave the host "
            "school detailed information about the child (process step 3).",
        ),
        (
            "R8",
            "The placement started before the child and their parents were offered a visit to "
            "the host school (process step 4).",
        ),
        (
            "R11",
            "The emergency review ended the placement without documenting what measures could "
            "be put in place to avoid failure (the review form: additional support).",
        ),
    ]


# -- histories recorded before the name fold read Unicode forms still replay ---------------------
PREFERRED_NFC = "Sainte-Th\u00e9r\u00e8se School"  # as the parent typed it (precomposed)
HOST_NFD = "Sainte-The\u0301re\u0300se School"  # as an MIS export wrote it (accents apart)


def _recorded_before_unicode(
    ap_setting: str, preferred: str, host: str, departures: list[dict[str, str]] | None
) -> list[Transition]:
    """A history as a version before the Unicode-aware fold wrote it, byte for byte: a case at
    `ap_setting` whose family preferred `preferred` and whose host is `host`, its
    `identify_host` recording `departures` (what that version's R5 found). It is recorded
    today with stand-in schools the two folds read alike, which are then written as it was."""
    ap_head = attrs.evolve(sc.AP_HEAD, organisation=ap_setting)
    case = Reintegration.open(
        "fold-r5", sc.PUPIL, ap_setting, sc.AUTHORITY, CALENDAR, by=ap_head, on=sc.OPENED
    )
    case.record_consent(sc.consent(preferred_schools=("Stand-in",)), by=ap_head, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.VIRTUAL, sc.information(), sc.PSP, by=ap_head, on=sc.REFERRED
    )
    case.identify_host("Stand-in", ReferralRoute.VIRTUAL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    written = [transition_to_json(t) for t in case.history]
    written[1]["data"]["form"]["preferred_schools"] = [preferred]
    assert written[3]["trigger"] == "identify_host"
    written[3]["data"]["host_school"] = host
    if departures is not None:
        written[3]["data"]["departures"] = departures
    return [transition_from_json(json.loads(json.dumps(t))) for t in written]


OLD_DEPARTURE = {
    "rule": "R5",
    "text": f"{HOST_NFD} is not among the schools the family asked to be considered "
    f"({PREFERRED_NFC}); the law requires the parents' views to be considered (process step 1).",
}
"""What the version before the Unicode-aware fold (96c1a40) recorded on `identify_host` for the
family's school with its accents typed apart: its fold (the words, case folded) read the two
spellings as two schools (review g, g1)."""


def test_a_departure_the_fold_before_unicode_recorded_still_replays_loads_and_verifies(
    tmp_path: Path,
) -> None:
    """A case recorded and verified before the fold read Unicode forms: today's fold reads its
    host as the family's school and finds no departure, but the departure it recorded is what
    the fold of its day found, so the history replays, loads and verifies (review g, g1: replay
    said 'identify_host records no departures, but the history does', `verify()` reported the
    sound case and `import` refused its export)."""
    history = _recorded_before_unicode(sc.AP_SETTING, PREFERRED_NFC, HOST_NFD, [OLD_DEPARTURE])

    case = Reintegration.replay(history, CALENDAR)

    assert [(d.rule, d.text) for d in case.departures] == [("R5", OLD_DEPARTURE["text"])]
    memory = InMemoryStore(calendar=CALENDAR)
    memory.import_histories([(case.local_authority, history)])
    assert memory.load(case.case_id) == case
    assert memory.verify() == []
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'before.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.import_histories([(case.local_authority, history)])
    assert store.load(case.case_id) == case
    assert store.verify() == []
    store.engine.dispose()


def test_a_history_without_the_departure_today_s_fold_gives_replays_too() -> None:
    """The same host recorded without a departure (as a history recorded today is) replays: a
    recorded departure, or its absence, is accepted when either fold gives it."""
    history = _recorded_before_unicode(sc.AP_SETTING, PREFERRED_NFC, HOST_NFD, None)
    assert Reintegration.replay(history, CALENDAR).departures == ()


def test_a_host_offer_made_now_reads_names_by_today_s_fold_alone() -> None:
    """Only a replay reads names as before: the same host identified now is the family's
    school, and no departure is recorded."""
    case = Reintegration.replay(
        _recorded_before_unicode(sc.AP_SETTING, PREFERRED_NFC, HOST_NFD, [OLD_DEPARTURE])[:3],
        CALENDAR,
    )
    case.identify_host(HOST_NFD, ReferralRoute.VIRTUAL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    assert case.departures == ()
    assert "departures" not in case.history[-1].data


def test_a_departure_neither_fold_gives_is_still_refused() -> None:
    """A host spelt exactly as the family's school, with a departure recorded: neither fold
    gives it, so replay refuses the history as it did."""
    host = PREFERRED_NFC
    departure = {**OLD_DEPARTURE, "text": OLD_DEPARTURE["text"].replace(HOST_NFD, host, 1)}
    history = _recorded_before_unicode(sc.AP_SETTING, PREFERRED_NFC, host, [departure])
    with pytest.raises(FormInvalid, match="records no 'departures', but the history does"):
        Reintegration.replay(history, CALENDAR)


SETTING_NFC = "\u00c9cole Brookfield"
SETTING_NFD = "E\u0301cole Brookfield"


def test_a_host_the_fold_before_unicode_read_as_another_school_than_the_setting_replays() -> None:
    """R5's guard: a host spelt as the AP setting with its accent typed apart was another school
    to the fold before it read Unicode forms, and its history replays; named now, the same host
    is refused as the setting the child is leaving (review g, g1)."""
    history = _recorded_before_unicode(SETTING_NFC, SETTING_NFD, SETTING_NFD, None)

    case = Reintegration.replay(history, CALENDAR)

    assert case.stage is Stage.HOST_IDENTIFIED
    assert case.host_school == SETTING_NFD
    again = Reintegration.replay(history[:3], CALENDAR)
    with pytest.raises(GuardFailed) as refused:
        again.identify_host(SETTING_NFD, ReferralRoute.VIRTUAL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    assert refused.value.reasons == (
        f"The host school cannot be {SETTING_NFC}, the setting the child is leaving.",
    )


def test_a_host_both_folds_read_as_the_setting_does_not_replay() -> None:
    """The guard refuses on replay when both folds read the host as the AP setting."""
    history = _recorded_before_unicode(
        SETTING_NFC, "\u00c9COLE  BROOKFIELD", "\u00c9COLE  BROOKFIELD", None
    )
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay(history, CALENDAR)
    assert refused.value.seq == 4


# -- and so do names the fold before Unicode read alike beside a joiner --------------------------
# `fields.seen` keeps a zero-width joiner between two letters of a script written with joiners
# (Devanagari's ka and the Kelvin sign, which is no Latin letter) and drops it before a Latin K:
# the fold before Unicode read 'क\u200d\u212a' and 'क\u200dK' alike (both case fold to
# 'क\u200dk'), today's fold reads them as two names.
CHILD_KELVIN = "Anika \u0915\u200d\u212a"
CHILD_LATIN_K = "Anika \u0915\u200dK"
SETTING_KELVIN = "Oak \u0915\u200d\u212a Centre"
SETTING_LATIN_K = "Oak \u0915\u200dK Centre"


def _joined_before_unicode(child_name: str, organisation: str) -> list[Transition]:
    """A history as a version before the Unicode-aware fold wrote it: a child `CHILD_KELVIN`
    at `SETTING_KELVIN`, whose consent form names the child `child_name` and whose AP head acts
    for `organisation`. It is recorded today with the names spelt alike, then written as it
    was."""
    ap_head = attrs.evolve(sc.AP_HEAD, organisation=SETTING_KELVIN)
    pupil = attrs.evolve(sc.PUPIL, name=CHILD_KELVIN)
    case = Reintegration.open(
        "fold-joiner", pupil, SETTING_KELVIN, sc.AUTHORITY, CALENDAR, by=ap_head, on=sc.OPENED
    )
    case.record_consent(sc.consent(child_name=CHILD_KELVIN), by=ap_head, on=sc.CONSENTED)
    written = [transition_to_json(t) for t in case.history]
    written[1]["data"]["form"]["child_name"] = child_name
    for transition in written:
        transition["actor"]["organisation"] = organisation
    return [transition_from_json(json.loads(json.dumps(t))) for t in written]


def _loads_and_verifies(history: list[Transition], tmp_path: Path) -> Reintegration:
    """The case `history` replays to, shown to be imported into each store, to load from it
    as it replayed, and to verify."""
    case = Reintegration.replay(history, CALENDAR)
    memory = InMemoryStore(calendar=CALENDAR)
    memory.import_histories([(case.local_authority, history)])
    assert memory.load(case.case_id) == case
    assert memory.verify() == []
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'joined.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.import_histories([(case.local_authority, history)])
    assert store.load(case.case_id) == case
    assert store.verify() == []
    store.engine.dispose()
    return case


def test_a_consent_form_the_fold_before_unicode_read_as_for_the_child_replays(
    tmp_path: Path,
) -> None:
    """R2: a consent form naming the child with a Latin K where the child's name has the
    Kelvin sign beside a joiner was for the child to the fold of its day; today's fold reads
    two names, yet the history replays, loads and verifies (it reported 'history does not
    replay')."""
    history = _joined_before_unicode(CHILD_LATIN_K, SETTING_KELVIN)

    case = _loads_and_verifies(history, tmp_path)

    assert case.stage is Stage.CONSENTED
    assert case.history[1].data["form"]["child_name"] == CHILD_LATIN_K


def test_a_consent_form_neither_fold_reads_as_for_the_child_does_not_replay() -> None:
    """Without the joiner the form names another child to both folds: replay refuses it with
    today's reason."""
    history = _joined_before_unicode("Anika \u0915K", SETTING_KELVIN)
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay(history, CALENDAR)
    assert refused.value.seq == 2
    assert refused.value.reasons == (
        f"The consent form is for 'Anika \u0915K', not for {CHILD_KELVIN!r}.",
    )


def test_a_consent_form_recorded_now_reads_the_child_s_name_by_today_s_fold_alone() -> None:
    """Only a replay reads names as before: the same form recorded now is for another child,
    and the form spelt as the child's name is accepted."""
    case = Reintegration.replay(_joined_before_unicode(CHILD_LATIN_K, SETTING_KELVIN)[:1])
    ap_head = attrs.evolve(sc.AP_HEAD, organisation=SETTING_KELVIN)
    with pytest.raises(GuardFailed) as refused:
        case.record_consent(sc.consent(child_name=CHILD_LATIN_K), by=ap_head, on=sc.CONSENTED)
    assert refused.value.reasons == (
        f"The consent form is for {CHILD_LATIN_K!r}, not for {CHILD_KELVIN!r}.",
    )
    assert case.stage is Stage.PROPOSED
    case.record_consent(
        sc.consent(child_name="ANIKA \u0915\u200d\u212a"), by=ap_head, on=sc.CONSENTED
    )
    assert case.stage is Stage.CONSENTED


def test_an_actor_the_fold_before_unicode_read_as_acting_for_the_setting_replays(
    tmp_path: Path,
) -> None:
    """R15: an AP head acting for the setting spelt with a Latin K beside the joiner acted for
    it to the fold of its day; the history replays, and loads from each store, whose own
    reading of a log checks R15 too (it reported 'history does not replay')."""
    history = _joined_before_unicode(CHILD_KELVIN, SETTING_LATIN_K)

    case = _loads_and_verifies(history, tmp_path)

    assert case.stage is Stage.CONSENTED
    assert {t.actor.organisation for t in case.history} == {SETTING_LATIN_K}
    assert pickle.loads(pickle.dumps(case)) == case  # read again unchecked, but for R15


def test_an_actor_neither_fold_reads_as_acting_for_the_setting_does_not_replay() -> None:
    history = _joined_before_unicode(CHILD_KELVIN, "Oak \u0915K Centre")
    with pytest.raises(NotPermitted, match="acts for 'Oak \u0915K Centre'") as refused:
        Reintegration.replay(history, CALENDAR)
    assert refused.value.seq == 1


def test_an_actor_acting_now_is_read_by_today_s_fold_alone() -> None:
    """The replayed case's AP head, spelling the setting as recorded, may not act now: today's
    fold reads another organisation; the setting as the case names it may."""
    case = Reintegration.replay(_joined_before_unicode(CHILD_KELVIN, SETTING_LATIN_K), CALENDAR)
    recorded = case.history[0].actor
    route, information = ReferralRoute.PANEL, sc.information()
    with pytest.raises(NotPermitted, match="acts for"):
        case.refer_to_fair_access(route, information, sc.PSP, by=recorded, on=sc.REFERRED)
    assert case.available_triggers(recorded) == ()
    assert case.stage is Stage.CONSENTED
    ap_head = attrs.evolve(recorded, organisation=SETTING_KELVIN)
    case.refer_to_fair_access(route, information, sc.PSP, by=ap_head, on=sc.REFERRED)
    assert case.stage is Stage.REFERRED


# -- and so does text that prints nothing, which the rules took as given -----------------------
# A step taken now reads text holding only characters nobody sees (a zero-width space pasted
# from Word, a byte order mark, the blank Braille pattern) as not given (`rules.blank_as_read`,
# `fields.prints_nothing`); the rules read only empty text and whitespace so before, and a
# history recorded then replays as it was recorded.
def _set(*path: str) -> Callable[[dict[str, Any], str], None]:
    """An edit of a step's data (as JSON holds it) putting the value at `path`."""

    def edit(data: dict[str, Any], value: str) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return edit


def _one_of(*path: str) -> Callable[[dict[str, Any], str], None]:
    """An edit putting the value as the only item of the list at `path`."""
    put = _set(*path)
    return lambda data, value: put(data, [value])  # type: ignore[arg-type]


def _continued(data: dict[str, Any], value: str) -> None:
    """The emergency review continues the placement, with `value` as the support documented."""
    data["meeting"].update(decision=ReviewDecision.CONTINUE.value, additional_support=value)
    data["letter"] = None


def _views_answered_by(data: dict[str, Any], value: str) -> None:
    """The review's child's views answer each of their five questions with `value`."""
    data["meeting"]["child_views"].update(dict.fromkeys(VIEWS_QUESTIONS, value))


_ENDED = 1  # the demo's case ended after an emergency review
_GIVEN_TEXT: dict[str, tuple[int, str, Callable[[dict[str, Any], str], None], str]] = {
    # rule and field: (the demo case, the step, the edit of its data, today's reason)
    "R2 signed_by": (
        0,
        "record_consent",
        _set("form", "signed_by"),
        "The consent form is not signed.",
    ),
    "R2 preferred_schools": (
        0,
        "record_consent",
        _one_of("form", "preferred_schools"),
        "The consent form names no school the family wish to be considered.",
    ),
    "R4 reasons_for_success": (
        0,
        "refer_to_fair_access",
        _set("information", "reasons_for_success"),
        "The form does not say why a reintegration might be successful.",
    ),
    "R4 transport_plan": (
        0,
        "refer_to_fair_access",
        _set("information", "transport_plan"),
        "The form does not say how the child will get to the proposed school.",
    ),
    **{
        f"R7 {field}": (0, "hold_initial_meeting", _set("meeting", field), words)
        for field, words in (
            ("transport_arrangements", "Transport arrangements are not recorded."),
            ("child_will", "The expectations of the child are not recorded."),
            ("school_will", "The expectations of the host school are not recorded."),
            ("parent_will", "The expectations of the parent/carer are not recorded."),
            ("ap_support", "The support the Alternative Provision setting will give"),
            ("host_contact", "No named contact at the host school is given."),
        )
    },
    "R9 child_views (a departure)": (
        0,
        "hold_review",
        _views_answered_by,
        "The child's views form answers none of its five questions.",
    ),
    "R10 reason": (
        _ENDED,
        "call_emergency_review",
        _set("reason"),
        "The reason for the emergency review is not given.",
    ),
    "R10 additional_support": (
        _ENDED,
        "hold_emergency_review",
        _continued,
        "The additional support needed to continue is not documented.",
    ),
    "R11 concerns": (
        _ENDED,
        "hold_emergency_review",
        _set("meeting", "concerns"),
        "The concerns that led to the ending are not recorded.",
    ),
    "R11 letter.reasons": (
        _ENDED,
        "hold_emergency_review",
        _one_of("letter", "reasons"),
        "The letter does not give the reasons for ending in plain English.",
    ),
    "R11 letter.support_provided": (
        _ENDED,
        "hold_emergency_review",
        _one_of("letter", "support_provided"),
        "The letter does not list the support that was put in place.",
    ),
    "R11 letter.head_teacher": (
        _ENDED,
        "hold_emergency_review",
        _set("letter", "head_teacher"),
        "The head teacher signing the letter is not named.",
    ),
    "R11 letter.parent_name": (
        _ENDED,
        "hold_emergency_review",
        _set("letter", "parent_name"),
        "The letter does not name the parent/carer it is written to.",
    ),
    "R11 additional_support (a departure)": (
        _ENDED,
        "hold_emergency_review",
        _set("meeting", "additional_support"),
        "without documenting what measures could be put in place to avoid failure",
    ),
    "R12 provision_for_return": (
        _ENDED,
        "record_unsuccessful_outcome",
        _set("form", "provision_for_return"),
        "The provision made for the child's return is not recorded.",
    ),
    "R12 completed_by": (
        _ENDED,
        "record_unsuccessful_outcome",
        _set("form", "completed_by"),
        "The name of the person completing the form is missing.",
    ),
    "R14 reason": (2, "withdraw", _set("reason"), "The reason for withdrawing is not given."),
}
"""Every text a rule needs given, but R5's host school (a school's name given to a step is
refused with a character nobody sees before the rules read it: see below)."""


_NAMES = frozenset(
    {
        "R2 signed_by",
        "R2 preferred_schools",
        "R11 letter.head_teacher",
        "R11 letter.parent_name",
        "R12 completed_by",
    }
)
"""The fields of `_GIVEN_TEXT` holding a name, on one line."""


def _printing_nothing(given: str) -> st.SearchStrategy[str]:
    """Text the rules read as not given today and as given before: what `blank_names` (for a
    name) or `blank_texts` draw that is not empty or whitespace."""
    drawn = rt.blank_names() if given in _NAMES else rt.blank_texts()
    return drawn.filter(lambda text: bool(text.strip()))


@functools.cache
def _demo_history(which: int) -> tuple[Transition, ...]:
    return tuple(CASES[which].run(f"PN-{which}", CALENDAR).history)


def _before_step(which: int, trigger: str) -> tuple[Reintegration, Transition, dict[str, Any]]:
    """The demo case as it stood before its first `trigger` step, the step, and its data as
    JSON holds it."""
    history = _demo_history(which)
    index = next(i for i, t in enumerate(history) if t.trigger == trigger)
    recorded = history[index]
    data = copy.deepcopy(transition_to_json(recorded)["data"])
    return Reintegration.replay(history[:index], CALENDAR), recorded, data


def _take(case: Reintegration, recorded: Transition, data: dict[str, Any]) -> Transition:
    """The step `recorded` taken now on `case`, with its arguments read from `data`."""
    values = read_values(STEP[recorded.trigger], data, recorded.seq)
    taken: Transition = getattr(case, recorded.trigger)(*values, by=recorded.actor, on=recorded.on)
    return taken


def _blank_as_stripped(case: object, value: str) -> bool:
    """The rules' blank test before text that prints nothing was read as blank."""
    return not value.strip()


@contextlib.contextmanager
def _blanks_as_stripped() -> Iterator[None]:
    """Every rule reads blank text as before text that prints nothing was read as blank
    (`_blank_as_stripped`), patched in each module of `rules` that looks `blank_as_read` up."""
    with contextlib.ExitStack() as patches:
        for module in (rules.referral, rules.placement, rules.reviews, rules.outcomes):
            patches.enter_context(mock.patch.object(module, "blank_as_read", _blank_as_stripped))
        yield


@pytest.mark.parametrize("given", sorted(_GIVEN_TEXT))
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(drawn=st.data())
def test_text_that_prints_nothing_is_refused_now_and_replays_as_recorded_before(
    given: str, drawn: st.DataObject
) -> None:
    """Every rule needing text given refuses, on a step taken now, text that prints nothing
    with its usual reason (R11's ending without measures documented records its departure);
    the same step recorded by a version whose rules took such text as given replays, loads
    and verifies as recorded."""
    which, trigger, edit, reason = _GIVEN_TEXT[given]
    value = drawn.draw(_printing_nothing(given), label="value")
    case, recorded, data = _before_step(which, trigger)
    edit(data, value)
    departure = given.endswith("(a departure)")

    if departure:
        taken = _take(case, recorded, data)
        assert [d.text for d in case.departures if d.seq == taken.seq and reason in d.text]
    else:
        with pytest.raises(GuardFailed) as refused:
            _take(case, recorded, data)
        assert refused.value.seq is None
        assert [r for r in refused.value.reasons if reason in r], refused.value.reasons
        assert case.history[-1].seq == recorded.seq - 1  # nothing changed

    earlier, _, _ = _before_step(which, trigger)
    with _blanks_as_stripped():
        _take(earlier, recorded, data)  # as the version before recorded it
    history = [
        transition_from_json(json.loads(json.dumps(transition_to_json(t)))) for t in earlier.history
    ]
    event(given)

    replayed = Reintegration.replay(history, CALENDAR)

    assert replayed == earlier
    assert replayed.departures == earlier.departures
    store = InMemoryStore(calendar=CALENDAR)
    store.import_histories([(replayed.local_authority, history)])
    assert store.load(replayed.case_id) == replayed
    assert store.verify() == []


def test_a_host_school_that_prints_nothing_is_refused_now_and_replays_as_recorded_before() -> None:
    """R5: a school's name given to a step is refused with a character nobody sees before the
    rules read it (`FormInvalid`); a history recorded when neither refused a host named by a
    zero-width space, one of the schools the family asked for, replays and verifies."""
    case, recorded, data = _before_step(0, "identify_host")
    data["host_school"] = ZWSP
    with pytest.raises(FormInvalid, match="U\\+200B"):
        _take(case, recorded, data)

    history = [transition_to_json(t) for t in _demo_history(0)[: recorded.seq]]
    history[1]["data"]["form"]["preferred_schools"].append(ZWSP)
    history[-1]["data"]["host_school"] = ZWSP
    written = [transition_from_json(json.loads(json.dumps(t))) for t in history]

    replayed = Reintegration.replay(written, CALENDAR)

    assert replayed.stage is Stage.HOST_IDENTIFIED
    assert replayed.host_school == ZWSP
    store = InMemoryStore(calendar=CALENDAR)
    store.import_histories([(replayed.local_authority, written)])
    assert store.verify() == []
    history[-1]["data"]["host_school"] = " "  # blank to both readings
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay([transition_from_json(t) for t in history], CALENDAR)
    assert refused.value.reasons == ("The host school is not named.",)


ZWSP = "\u200b"


def test_a_recorded_step_blank_to_both_readings_does_not_replay() -> None:
    """A replay accepts text that prints nothing, which the rules took as given, but not empty
    text, which no version took: it is refused with today's reason, naming the step."""
    case, recorded, _ = _before_step(2, "withdraw")
    history = [transition_to_json(t) for t in case.history]
    withdrawal = transition_to_json(recorded)
    withdrawal["data"]["reason"] = " \t"
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay([transition_from_json(t) for t in [*history, withdrawal]], CALENDAR)
    assert refused.value.seq == recorded.seq
    assert refused.value.reasons == ("The reason for withdrawing is not given.",)


def test_a_step_recorded_with_today_s_fold_and_text_that_prints_nothing_replays() -> None:
    """A consent form recorded after names were read with their Unicode forms (for the child
    only to today's fold: an accent typed apart) and before text that prints nothing was read
    as blank (signed by a zero-width space) replays: each reading of the rules a history was
    recorded under is tried (`case_checking.EARLIER_READINGS`), not only the earliest."""
    apart = "Rowan Cle\u0301ment"
    pupil = attrs.evolve(sc.PUPIL, name="Rowan Cl\u00e9ment")
    case = Reintegration.open(
        "both-ways", pupil, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    form = sc.consent(child_name=apart, signed_by=ZWSP)
    with pytest.raises(GuardFailed) as refused:
        case.record_consent(form, by=sc.AP_HEAD, on=sc.CONSENTED)
    assert refused.value.reasons == ("The consent form is not signed.",)
    with _blanks_as_stripped():
        case.record_consent(form, by=sc.AP_HEAD, on=sc.CONSENTED)
    history = [
        transition_from_json(json.loads(json.dumps(transition_to_json(t)))) for t in case.history
    ]

    assert Reintegration.replay(history, CALENDAR) == case


# -- a family actor's organisation, recorded before it was refused, still replays ---------------


def test_a_parents_organisation_recorded_before_replays_loads_and_verifies(
    tmp_path: Path,
) -> None:
    """A step is refused now when a parent or child gives an organisation (review P, P4); a
    history recorded before, holding one, still replays, imports into each store, loads and
    verifies, and keeps the text as recorded. The same parent acting now is refused."""
    case = Reintegration.open(
        "R-4", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    history = as_json(case)
    parent = attrs.evolve(sc.PARENT, organisation="Example family")
    recorded = Reintegration.replay([transition_from_json(t) for t in history], CALENDAR)
    with pytest.raises(NotPermitted, match="acts for themselves and gives no organisation"):
        recorded.withdraw("We are moving away.", by=parent, on=sc.CONSENTED)
    case.withdraw("We are moving away.", by=sc.PARENT, on=sc.CONSENTED)
    history = as_json(case)
    history[-1]["actor"]["organisation"] = "Example family"

    replayed = _loads_and_verifies([transition_from_json(t) for t in history], tmp_path)

    assert replayed.stage is Stage.WITHDRAWN
    assert replayed.history[-1].actor == parent
