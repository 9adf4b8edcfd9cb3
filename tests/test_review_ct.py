"""Review CT: an acceptance tester holding only PROTOCOL.md (revision 2) and the installed package,
checking black-box every name, signature, value and behaviour it fixes that tests/test_contract.py
does not already check: the whole role and stage matrices (each refusal changing nothing), every
condition of R1-R17 at its boundary, departures, forms, the calendar, obligations, replay, and
the stores' methods on the in-memory store, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

import reintegration_fsm as rf
from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    Attendee,
    CalendarError,
    CaseNotFound,
    Checkpoint,
    ChildViews,
    ConcurrentUpdate,
    DeadlineKind,
    Evidence,
    FailureLetter,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    InMemoryStore,
    NotPermitted,
    ObligationKind,
    Party,
    PastoralSupportPlan,
    Protocol,
    ProtocolError,
    Pupil,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Role,
    SchoolCalendar,
    SqlAlchemyStore,
    Stage,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    EVERYONE,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_FOUND,
    HOST_HEAD,
    HOST_SCHOOL,
    HOST_STAFF,
    MEETING,
    OPENED,
    PARENT,
    PSP,
    PUPIL,
    REFERRED,
    RETURN,
    SECOND_REVIEW,
    START,
    WITH_LA,
    D,
    consent,
    information,
    initial_meeting,
    letter,
    prepare,
    review,
    snapshot,
    views,
)
from stages import (
    CALENDAR,
    EMERGENCY_CALLED,
    EMERGENCY_HELD,
    consented,
    emergency,
    emergency_meeting,
    ending,
    host_identified,
    in_placement,
    made_permanent,
    opened,
    planned,
    referred,
    reviewed,
)

DAY = dt.timedelta(days=1)


def _full(case: Reintegration) -> tuple[object, ...]:
    """Everything a refused trigger must leave as it was, obligations and departures included."""
    return (*snapshot(case), case.obligations, case.departures, case.dual_registered)


_ORGANISATION = {
    Role.AP_HEAD: AP_SETTING,
    Role.AP_STAFF: AP_SETTING,
    Role.HOST_HEAD: HOST_SCHOOL,
    Role.HOST_STAFF: HOST_SCHOOL,
    Role.LA_ADMISSIONS: AUTHORITY,
    Role.PARENT: "",
    Role.CHILD: "",
}


def _actor(role: Role) -> Actor:
    """Someone of `role` belonging to the organisation R15 asks of that role."""
    return Actor(f"ct-{role.value}", "Robin Tester", role, _ORGANISATION[role])


def _permanent() -> Reintegration:
    return made_permanent(permanent_from=FINAL_REVIEW)


def _successful() -> Reintegration:
    case = _permanent()
    case.record_successful_outcome(SuccessfulOutcome(START, True), by=HOST_HEAD, on=FINAL_REVIEW)
    return case


def _unsuccessful() -> Reintegration:
    case = ending()
    case.record_unsuccessful_outcome(RETURN, by=AP_HEAD, on=EMERGENCY_HELD)
    return case


def _withdrawn() -> Reintegration:
    case = planned()
    case.withdraw("The family moved away.", by=PARENT, on=MEETING)
    return case


Fire = Callable[[Reintegration, Actor], object]

# The trigger table: the stage each trigger is fired from here, and a valid firing.
TRIGGERS: dict[str, tuple[Callable[[], Reintegration], Fire]] = {
    "record_consent": (opened, lambda c, a: c.record_consent(consent(), by=a, on=CONSENTED)),
    "refer_to_fair_access": (
        consented,
        lambda c, a: c.refer_to_fair_access(
            ReferralRoute.PANEL, information(), PSP, by=a, on=REFERRED
        ),
    ),
    "identify_host": (
        referred,
        lambda c, a: c.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=a, on=HOST_FOUND),
    ),
    "note_at_panel": (
        lambda: referred(route=ReferralRoute.VIRTUAL),
        lambda c, a: c.note_at_panel(by=a, on=REFERRED),
    ),
    "hold_initial_meeting": (
        host_identified,
        lambda c, a: c.hold_initial_meeting(initial_meeting(), views(), by=a, on=MEETING),
    ),
    "start_placement": (lambda: prepare(planned()), lambda c, a: c.start_placement(by=a, on=START)),
    "hold_review": (
        in_placement,
        lambda c, a: c.hold_review(review(FIRST_REVIEW), by=a, on=FIRST_REVIEW),
    ),
    "call_emergency_review": (
        in_placement,
        lambda c, a: c.call_emergency_review("Left the site.", by=a, on=EMERGENCY_CALLED),
    ),
    "hold_emergency_review": (
        emergency,
        lambda c, a: c.hold_emergency_review(
            emergency_meeting(), letter(), by=a, on=EMERGENCY_HELD
        ),
    ),
    "record_successful_outcome": (
        _permanent,
        lambda c, a: c.record_successful_outcome(
            SuccessfulOutcome(START, True), by=a, on=FINAL_REVIEW
        ),
    ),
    "record_unsuccessful_outcome": (
        ending,
        lambda c, a: c.record_unsuccessful_outcome(RETURN, by=a, on=EMERGENCY_HELD),
    ),
    "withdraw": (opened, lambda c, a: c.withdraw("The family moved away.", by=a, on=CONSENTED)),
}

ALLOWED = {
    "record_consent": {Role.AP_HEAD},
    "refer_to_fair_access": {Role.AP_HEAD},
    "identify_host": {Role.LA_ADMISSIONS},
    "note_at_panel": {Role.LA_ADMISSIONS},
    "hold_initial_meeting": {Role.AP_HEAD, Role.AP_STAFF},
    "start_placement": {Role.HOST_HEAD, Role.HOST_STAFF},
    "hold_review": {Role.HOST_HEAD, Role.HOST_STAFF, Role.AP_HEAD, Role.AP_STAFF},
    "call_emergency_review": {Role.HOST_HEAD, Role.HOST_STAFF},
    "hold_emergency_review": {Role.HOST_HEAD, Role.HOST_STAFF},
    "record_successful_outcome": {Role.HOST_HEAD, Role.HOST_STAFF},
    "record_unsuccessful_outcome": {Role.AP_HEAD, Role.AP_STAFF},
    "withdraw": {Role.AP_HEAD, Role.PARENT},
}

STAGE_CASES: dict[Stage, Callable[[], Reintegration]] = {
    Stage.PROPOSED: opened,
    Stage.CONSENTED: consented,
    Stage.REFERRED: referred,
    Stage.HOST_IDENTIFIED: host_identified,
    Stage.PLANNED: lambda: prepare(planned()),
    Stage.IN_PLACEMENT: in_placement,
    Stage.EMERGENCY_REVIEW: emergency,
    Stage.ENDING: ending,
    Stage.SUCCESSFUL: _successful,
    Stage.UNSUCCESSFUL: _unsuccessful,
    Stage.WITHDRAWN: _withdrawn,
}

BEFORE_PLACEMENT = {
    Stage.PROPOSED,
    Stage.CONSENTED,
    Stage.REFERRED,
    Stage.HOST_IDENTIFIED,
    Stage.PLANNED,
}
FINAL = {Stage.SUCCESSFUL, Stage.UNSUCCESSFUL, Stage.WITHDRAWN}
SOURCES = {
    "record_consent": {Stage.PROPOSED},
    "refer_to_fair_access": {Stage.CONSENTED},
    "identify_host": {Stage.REFERRED},
    "note_at_panel": set(Stage) - FINAL - {Stage.PROPOSED, Stage.CONSENTED},
    "hold_initial_meeting": {Stage.HOST_IDENTIFIED},
    "start_placement": {Stage.PLANNED},
    "hold_review": {Stage.IN_PLACEMENT},
    "call_emergency_review": {Stage.IN_PLACEMENT},
    "hold_emergency_review": {Stage.EMERGENCY_REVIEW},
    "record_successful_outcome": {Stage.IN_PLACEMENT},
    "record_unsuccessful_outcome": {Stage.ENDING},
    "withdraw": BEFORE_PLACEMENT,
}


# == Triggers: roles and stages ==================================================================
def test_ct_protocol_roles_are_the_trigger_table() -> None:
    for trigger, roles in ALLOWED.items():
        assert WORCESTERSHIRE.roles[trigger] == roles, trigger
    assert WORCESTERSHIRE.roles["open"] == {Role.AP_HEAD}


@pytest.mark.parametrize(("trigger", "role"), [(t, r) for t in TRIGGERS for r in Role])
def test_ct_every_role_of_every_trigger(trigger: str, role: Role) -> None:
    """Each allowed role fires the trigger; every other role is refused with NotPermitted,
    carrying the trigger and the actor, and nothing changes."""
    make, fire = TRIGGERS[trigger]
    case = make()
    before = _full(case)
    actor = _actor(role)
    if role in ALLOWED[trigger]:
        fire(case, actor)
        assert case.history[-1].trigger == trigger
        assert case.history[-1].actor == actor
        return
    with pytest.raises(NotPermitted) as refused:
        fire(case, actor)
    assert (refused.value.trigger, refused.value.actor) == (trigger, actor)
    assert _full(case) == before


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.AP_HEAD])
def test_ct_open_refuses_every_other_role(role: Role) -> None:
    with pytest.raises(NotPermitted) as refused:
        Reintegration.open("c", PUPIL, AP_SETTING, AUTHORITY, CALENDAR, by=_actor(role), on=OPENED)
    assert refused.value.trigger == "open"


@pytest.mark.parametrize(("trigger", "stage"), [(t, s) for t in TRIGGERS for s in Stage])
def test_ct_every_trigger_from_every_stage(trigger: str, stage: Stage) -> None:
    """A trigger fired from a stage it does not leave is IllegalTransition (carrying the trigger
    and stage) and changes nothing; nothing leaves a final stage."""
    _, fire = TRIGGERS[trigger]
    case = STAGE_CASES[stage]()
    assert case.stage is stage
    actor = _actor(sorted(ALLOWED[trigger])[0])
    if stage in SOURCES[trigger]:
        try:
            fire(case, actor)
        except IllegalTransition:  # pragma: no cover - the failure being tested
            pytest.fail(f"{trigger} is available in {stage}")
        except ProtocolError:
            pass  # a rule of this stage's data may refuse it: not the stage
        return
    before = _full(case)
    with pytest.raises(IllegalTransition) as refused:
        fire(case, actor)
    assert (refused.value.trigger, refused.value.stage) == (trigger, stage)
    assert _full(case) == before


@pytest.mark.parametrize("stage", list(Stage))
def test_ct_available_triggers_are_ones_the_actor_may_fire(stage: Stage) -> None:
    """`available_triggers(actor)` names trigger names (method names), only from this stage and
    only the actor's role's."""
    case = STAGE_CASES[stage]()
    for role in Role:
        names = case.available_triggers(_actor(role))
        for name in names:
            if name == "discharge":
                continue
            assert stage in SOURCES[name], (name, stage)
            assert role in ALLOWED[name], (name, role)
    if stage in FINAL:
        assert all(set(case.available_triggers(_actor(role))) <= {"discharge"} for role in Role)


@pytest.mark.parametrize("stage", sorted(BEFORE_PLACEMENT))
def test_ct_withdraw_from_each_stage_before_placement(stage: Stage) -> None:
    case = STAGE_CASES[stage]()
    case.withdraw("The family moved away.", by=AP_HEAD, on=START)
    assert case.stage is Stage.WITHDRAWN
    assert case.history[-1].source is stage


def test_ct_wrong_organisation_for_each_party_role() -> None:
    """R15 for every school and authority role, on a trigger that role may fire."""
    stranger = "Somewhere Else"
    for trigger, role in [
        ("hold_initial_meeting", Role.AP_STAFF),
        ("start_placement", Role.HOST_HEAD),
        ("start_placement", Role.HOST_STAFF),
        ("identify_host", Role.LA_ADMISSIONS),
        ("withdraw", Role.AP_HEAD),
    ]:
        make, fire = TRIGGERS[trigger]
        case = make()
        before = _full(case)
        with pytest.raises(NotPermitted):
            fire(case, Actor("s", "Sol Stranger", role, stranger))
        assert _full(case) == before
    with pytest.raises(NotPermitted):
        Reintegration.open(
            "c",
            PUPIL,
            AP_SETTING,
            AUTHORITY,
            CALENDAR,
            by=Actor("s", "S", Role.AP_HEAD, "X"),
            on=OPENED,
        )


def test_ct_trigger_names_in_history() -> None:
    case = _successful()
    assert [t.trigger for t in case.history if t.trigger != "discharge"] == [
        "open",
        "record_consent",
        "refer_to_fair_access",
        "identify_host",
        "hold_initial_meeting",
        "start_placement",
        "hold_review",
        "hold_review",
        "hold_review",
        "record_successful_outcome",
    ]
    assert [t.seq for t in case.history] == sorted({t.seq for t in case.history})
    first = case.history[0]
    assert (first.source, first.dest) == (None, Stage.PROPOSED) or first.dest is Stage.PROPOSED


# == Rules, each condition at its boundary =======================================================
def _refused(
    case: Reintegration, fire: Callable[[], object], count: int | None = None
) -> list[str]:
    """Fire, expect GuardFailed, and check nothing changed; the reasons given."""
    before = _full(case)
    with pytest.raises(GuardFailed) as refused:
        fire()
    assert _full(case) == before
    reasons = list(refused.value.reasons)
    assert reasons
    assert all(isinstance(r, str) and r.strip() for r in reasons)
    if count is not None:
        assert len(reasons) == count, reasons
    return reasons


def test_ct_r1_mainstream_roll_refused() -> None:
    pupil = attrs.evolve(PUPIL, on_mainstream_roll=True)
    with pytest.raises(GuardFailed) as refused:
        Reintegration.open("c", pupil, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED)
    assert refused.value.trigger == "open"
    case = Reintegration.open("c", PUPIL, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED)
    assert (case.stage, case.host_school, case.protocol) == (Stage.PROPOSED, None, WORCESTERSHIRE)
    data = case.history[0].data
    assert (data["protocol"]["id"], data["protocol"]["version"]) == (
        WORCESTERSHIRE.id,
        WORCESTERSHIRE.version,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"child_name": "Someone Else"},
        {"child_dob": PUPIL.date_of_birth + DAY},
        {"has_parental_responsibility": False},
        {"other_parent_has_responsibility": True, "other_parent_agrees": False},
        {"other_parent_has_responsibility": True, "other_parent_agrees": None},
        {"understands_reasons": False},
        {"agrees": False},
        {"consent_to_share": False},
        {"preferred_schools": ()},
        {"signed_by": ""},
        {"signed_on": CONSENTED + DAY},
        {"child_agrees": False},
    ],
)
def test_ct_r2_each_condition(changes: dict[str, object]) -> None:
    case = opened()
    _refused(case, lambda: case.record_consent(consent(**changes), by=AP_HEAD, on=CONSENTED), 1)


def test_ct_r2_other_parent_agreeing_and_every_reason_at_once() -> None:
    opened().record_consent(
        consent(other_parent_has_responsibility=True, other_parent_agrees=True),
        by=AP_HEAD,
        on=CONSENTED,
    )
    case = opened()
    everything = dict(
        has_parental_responsibility=False,
        understands_reasons=False,
        agrees=False,
        consent_to_share=False,
        preferred_schools=(),
        signed_by="",
    )
    _refused(case, lambda: case.record_consent(consent(**everything), by=AP_HEAD, on=CONSENTED), 6)


@pytest.mark.parametrize(
    "changes",
    [
        {"attainment": None},
        {"effort": None},
        {"attitude_to_staff": None},
        {"attitude_to_peers": None},
        {"homework": None},
        {"reasons_for_success": ""},
        {"transport_plan": ""},
        *(
            {"evidence": information().evidence - {missing}}
            for missing in sorted(WORCESTERSHIRE.required_evidence)
        ),
    ],
)
def test_ct_r4_each_condition(changes: dict[str, object]) -> None:
    case = consented()
    fire = lambda: case.refer_to_fair_access(  # noqa: E731
        ReferralRoute.PANEL, information(**changes), PSP, by=AP_HEAD, on=REFERRED
    )
    _refused(case, fire, 1)


def test_ct_r3_no_psp_active_is_refused_with_r4_reasons_together() -> None:
    case = consented()
    late = PastoralSupportPlan(REFERRED + DAY)
    fire = lambda: case.refer_to_fair_access(  # noqa: E731
        ReferralRoute.PANEL, information(homework=None), late, by=AP_HEAD, on=REFERRED
    )
    _refused(case, fire, 2)


def test_ct_r4_extra_evidence_for_looked_after_and_key_stage_4_suffices() -> None:
    pupil = Pupil(PUPIL.name, PUPIL.date_of_birth, key_stage=4, looked_after=True)
    case = consented(pupil=pupil)
    extra = information().evidence | {Evidence.PERSONAL_EDUCATION_PLAN, Evidence.KS4_OPTIONS}
    case.refer_to_fair_access(
        ReferralRoute.PANEL, information(evidence=extra), PSP, by=AP_HEAD, on=REFERRED
    )
    assert case.stage is Stage.REFERRED


def _school_days_after(day: dt.date, n: int) -> dt.date:
    """The n-th school day after `day`, counted one day at a time."""
    while n:
        day += DAY
        n -= CALENDAR.is_school_day(day)
    return day


def test_ct_r5_deadline_and_preferred_host() -> None:
    case = referred()
    (deadline,) = case.deadlines
    assert deadline == rf.Deadline(DeadlineKind.PLACE_OFFER, _school_days_after(REFERRED, 20))
    assert deadline.met_on is None
    case.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=deadline.due)
    assert case.deadlines[0].met_on == deadline.due
    assert case.host_school == HOST_SCHOOL
    assert case.departures == ()  # the preferred school: nothing departed from
    owed = {(o.kind, o.owner) for o in case.obligations}
    assert owed == {
        (ObligationKind.SHARE_INFORMATION_WITH_HOST, Party.AP),
        (ObligationKind.OFFER_VISIT, Party.AP),
    }


def test_ct_r5_other_protocol_place_offer_days() -> None:
    shire = attrs.evolve(WORCESTERSHIRE, id="ct-shire", version="1", place_offer_school_days=7)
    case = referred(shire)
    assert case.deadlines[0].due == _school_days_after(REFERRED, 7)


def test_ct_r6_panel_route_opens_no_note() -> None:
    case = referred()
    assert case.obligations == ()
    _refused(case, lambda: case.note_at_panel(by=ADMISSIONS, on=REFERRED))


def test_ct_r6_note_at_panel_in_a_later_stage_keeps_the_stage() -> None:
    case = referred(route=ReferralRoute.VIRTUAL)
    case.identify_host(HOST_SCHOOL, ReferralRoute.VIRTUAL, by=ADMISSIONS, on=HOST_FOUND)
    case.hold_initial_meeting(initial_meeting(), views(), by=AP_STAFF, on=MEETING)
    case.note_at_panel(by=ADMISSIONS, on=MEETING)
    assert case.stage is Stage.PLANNED
    assert ObligationKind.NOTE_AT_PANEL not in {o.kind for o in case.obligations}
    assert case.history[-1].trigger == "note_at_panel"
    assert case.history[-1].source is case.history[-1].dest is Stage.PLANNED


@pytest.mark.parametrize(
    ("changes", "the_views"),
    [
        ({}, ChildViews(gathered_on=MEETING + DAY)),
        ({"parent_present": False}, None),
        ({"signatures": frozenset({Party.CHILD, Party.AP, Party.HOST})}, None),
        ({"signatures": frozenset({Party.PARENT, Party.AP, Party.HOST})}, None),
        ({"signatures": frozenset({Party.PARENT, Party.CHILD, Party.HOST})}, None),
        ({"start_date": MEETING - DAY, "final_review": MEETING + 41 * DAY}, None),
        ({"transport_arrangements": ""}, None),
        ({"child_will": ""}, None),
        ({"school_will": ""}, None),
        ({"parent_will": ""}, None),
        ({"host_contact": ""}, None),
        ({"second_review": FIRST_REVIEW}, None),
        ({"final_review": SECOND_REVIEW}, None),
    ],
)
def test_ct_r7_each_condition(changes: dict[str, object], the_views: ChildViews | None) -> None:
    case = host_identified()
    meeting = initial_meeting(**changes)
    fire = lambda: case.hold_initial_meeting(  # noqa: E731
        meeting, the_views or views(), by=AP_HEAD, on=MEETING
    )
    _refused(case, fire, 1)


def test_ct_r7_start_on_the_meeting_day_and_deadlines_at_the_agreed_dates() -> None:
    case = host_identified()
    start = MEETING
    meeting = initial_meeting(
        start_date=start,
        first_review=start + DAY,
        second_review=start + 2 * DAY,
        final_review=start + 42 * DAY,
    )
    case.hold_initial_meeting(meeting, views(), by=AP_HEAD, on=MEETING)
    assert [(d.kind, d.due) for d in case.deadlines[1:]] == [
        (DeadlineKind.FIRST_REVIEW, start + DAY),
        (DeadlineKind.SECOND_REVIEW, start + 2 * DAY),
        (DeadlineKind.FINAL_REVIEW, start + 42 * DAY),
    ]
    assert ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS in {o.kind for o in case.obligations}
    assert case.stage is Stage.PLANNED
    assert not case.dual_registered


def test_ct_r8_not_before_the_agreed_start() -> None:
    case = prepare(planned(), on=MEETING)
    _refused(case, lambda: case.start_placement(by=HOST_HEAD, on=START - DAY))
    case.start_placement(by=HOST_HEAD, on=START + DAY)
    assert case.dual_registered
    owed = {(o.kind, o.owner) for o in case.obligations}
    assert {
        (ObligationKind.COMPLETE_JOINERS_FORM, Party.HOST),
        (ObligationKind.MARK_DUAL_REGISTRATION, Party.AP),
    } <= owed


def _fires(case: Reintegration, fire: Callable[[], object]) -> tuple[str, ...]:
    """Fire, accepted; the rules of the departures it recorded."""
    departed = len(case.departures)
    fire()
    return tuple(d.rule for d in case.departures[departed:])


def _without(party: Party, attendees: tuple[Attendee, ...] = WITH_LA) -> tuple[Attendee, ...]:
    return tuple(a for a in attendees if a.party is not party)


@pytest.mark.parametrize(
    "changes",
    [
        {"child_views": ChildViews(gathered_on=FIRST_REVIEW + DAY, aspirations="GCSEs.")},
        {"child_views": None},
        *({"attendees": _without(p, EVERYONE)} for p in (Party.AP, Party.HOST, Party.PARENT)),
        {"decision": ReviewDecision.MAKE_PERMANENT},
        {"decision": ReviewDecision.END},
        {"kind": ReviewKind.EMERGENCY},
    ],
)
def test_ct_r9_each_refusal(changes: dict[str, object]) -> None:
    case = in_placement()
    meeting = review(FIRST_REVIEW, **changes)
    _refused(case, lambda: case.hold_review(meeting, by=AP_HEAD, on=FIRST_REVIEW), 1)


@pytest.mark.parametrize(
    ("the_views", "departures"),
    [
        (ChildViews(gathered_on=FIRST_REVIEW, aspirations="GCSEs."), ()),
        (ChildViews(gathered_on=MEETING, aspirations="GCSEs."), ()),
        (ChildViews(gathered_on=MEETING - DAY, aspirations="GCSEs."), ("R9",)),
        (ChildViews(gathered_on=FIRST_REVIEW), ("R9",)),
    ],
)
def test_ct_r9_views_departures(the_views: ChildViews, departures: tuple[str, ...]) -> None:
    """Views on the meeting day are in time; views from before the previous meeting (the
    initial meeting here), or with none of the five questions answered, are departures."""
    case = in_placement()
    meeting = review(FIRST_REVIEW, child_views=the_views)
    assert _fires(case, lambda: case.hold_review(meeting, by=AP_HEAD, on=FIRST_REVIEW)) == (
        departures
    )
    assert all(d.text.strip() and d.seq == case.history[-1].seq for d in case.departures)


def test_ct_r9_interim_reviews_meet_the_earliest_unmet_deadline() -> None:
    case = in_placement()
    case.hold_review(review(FIRST_REVIEW + DAY), by=HOST_STAFF, on=FIRST_REVIEW + DAY)
    met = {d.kind: d.met_on for d in case.deadlines}
    assert met[DeadlineKind.FIRST_REVIEW] == FIRST_REVIEW + DAY
    assert met[DeadlineKind.SECOND_REVIEW] is None
    case.hold_review(review(SECOND_REVIEW), by=HOST_STAFF, on=SECOND_REVIEW)
    met = {d.kind: d.met_on for d in case.deadlines}
    assert met[DeadlineKind.SECOND_REVIEW] == SECOND_REVIEW
    assert met[DeadlineKind.FINAL_REVIEW] is None
    paperwork = [
        o for o in case.obligations if o.kind is ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS
    ]
    assert len(paperwork) == 3
    assert {o.owner for o in paperwork} == {Party.AP}


def test_ct_r9_final_continue_needs_a_later_next_meeting() -> None:
    case = reviewed()
    for next_meeting in (None, FINAL_REVIEW):
        meeting = review(FINAL_REVIEW, ReviewKind.FINAL, next_meeting=next_meeting)
        _refused(case, lambda m=meeting: case.hold_review(m, by=HOST_HEAD, on=FINAL_REVIEW), 1)
    later = FINAL_REVIEW + DAY
    case.hold_review(
        review(FINAL_REVIEW, ReviewKind.FINAL, next_meeting=later), by=HOST_HEAD, on=FINAL_REVIEW
    )
    finals = [d for d in case.deadlines if d.kind is DeadlineKind.FINAL_REVIEW]
    assert [(d.due, d.met_on) for d in finals] == [
        (FINAL_REVIEW, FINAL_REVIEW),
        (later, None),
    ]
    assert case.stage is Stage.IN_PLACEMENT
    assert case.final_decision is ReviewDecision.CONTINUE


def test_ct_r9_make_permanent_needs_permanent_from_on_or_after_the_meeting() -> None:
    for permanent_from in (None, FINAL_REVIEW - DAY):
        case = reviewed()
        meeting = review(
            FINAL_REVIEW,
            ReviewKind.FINAL,
            decision=ReviewDecision.MAKE_PERMANENT,
            permanent_from=permanent_from,
        )
        _refused(case, lambda c=case, m=meeting: c.hold_review(m, by=HOST_HEAD, on=FINAL_REVIEW), 1)
    case = reviewed()
    meeting = review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
    assert _fires(case, lambda: case.hold_review(meeting, by=HOST_HEAD, on=FINAL_REVIEW)) == ()
    assert case.final_decision is ReviewDecision.MAKE_PERMANENT
    assert case.permanent_from == FINAL_REVIEW
    assert {d.kind: d.met_on for d in case.deadlines}[DeadlineKind.FINAL_REVIEW] == FINAL_REVIEW


def test_ct_r9_make_permanent_with_an_interim_unmet_is_a_departure() -> None:
    case = in_placement()
    meeting = review(FIRST_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
    assert _fires(case, lambda: case.hold_review(meeting, by=HOST_HEAD, on=FIRST_REVIEW)) == ("R9",)


@pytest.mark.parametrize("party", [Party.AP, Party.HOST, Party.PARENT, Party.LA])
def test_ct_r10_every_party_must_attend(party: Party) -> None:
    case = emergency()
    meeting = emergency_meeting(attendees=_without(party))
    fire = lambda: case.hold_emergency_review(  # noqa: E731
        meeting, letter(), by=HOST_HEAD, on=EMERGENCY_HELD
    )
    _refused(case, fire, 1)


def test_ct_r10_continue_needs_support_and_returns_to_placement() -> None:
    case = emergency()
    bare = emergency_meeting(decision=ReviewDecision.CONTINUE)
    fire = lambda: case.hold_emergency_review(bare, by=HOST_STAFF, on=EMERGENCY_HELD)  # noqa: E731
    _refused(case, fire, 1)
    supported = emergency_meeting(
        decision=ReviewDecision.CONTINUE,
        additional_support="A key worker every morning.",
        child_views=None,
        attendees=_without(Party.CHILD),
    )
    rules = _fires(
        case, lambda: case.hold_emergency_review(supported, by=HOST_STAFF, on=EMERGENCY_HELD)
    )
    assert rules == ("R10", "R10")  # no views, no child
    assert case.stage is Stage.IN_PLACEMENT
    assert case.dual_registered


def test_ct_r10_an_interim_meeting_is_not_an_emergency_review() -> None:
    case = emergency()
    meeting = emergency_meeting(kind=ReviewKind.INTERIM)
    fire = lambda: case.hold_emergency_review(  # noqa: E731
        meeting, letter(), by=HOST_HEAD, on=EMERGENCY_HELD
    )
    _refused(case, fire)


@pytest.mark.parametrize(
    ("meeting_changes", "letter_changes"),
    [
        ({"concerns": ""}, {}),
        ({}, {"reasons": ()}),
        ({}, {"incident_investigated": False}),
        ({}, {"harassment_checked": False}),
        ({}, {"child_version_heard": False}),
        ({}, {"support_provided": ()}),
        ({}, {"head_teacher": ""}),
        ({}, {"effective_date": EMERGENCY_HELD - DAY}),
        ({}, None),
    ],
)
def test_ct_r11_each_condition(
    meeting_changes: dict[str, object], letter_changes: dict[str, object] | None
) -> None:
    case = emergency()
    meeting = emergency_meeting(**meeting_changes)
    the_letter = None if letter_changes is None else letter(**letter_changes)
    fire = lambda: case.hold_emergency_review(  # noqa: E731
        meeting, the_letter, by=HOST_HEAD, on=EMERGENCY_HELD
    )
    _refused(case, fire, 1)


def test_ct_r11_letter_render() -> None:
    case = ending()
    one = letter().render(case)
    assert one.startswith("12 March 2026\n")  # the day of the emergency review
    assert "and yourself at" in one
    assert "yourselves" not in one
    assert "Morgan Reed" in one
    assert "Priya Anand" in one
    assert "Morgan Reed" in letter(home_head_teacher="").render(case)  # the AP head on record
    two = letter(second_parent_name="Chris Example").render(case)
    assert "yourselves" in two
    dated = letter(written_on=D(2026, 3, 13)).render(case)
    assert dated.startswith("13 March 2026\n")
    for text in (one, two, dated):
        assert not any(mark in text for mark in ("[", "{", "<", "yourself yourself"))


@pytest.mark.parametrize(
    "outcome",
    [
        attrs.evolve(RETURN, provision_for_return=""),
        attrs.evolve(RETURN, return_date=None),
        attrs.evolve(RETURN, completed_by=""),
    ],
)
def test_ct_r12_each_condition(outcome: UnsuccessfulOutcome) -> None:
    case = ending()
    fire = lambda: case.record_unsuccessful_outcome(  # noqa: E731
        outcome, by=AP_STAFF, on=EMERGENCY_HELD
    )
    _refused(case, fire, 1)


def test_ct_r12_outcome_goes_to_admissions_too() -> None:
    case = ending()
    before = [o for o in case.obligations if o.kind is ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS]
    case.record_unsuccessful_outcome(RETURN, by=AP_STAFF, on=EMERGENCY_HELD)
    after = [o for o in case.obligations if o.kind is ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS]
    assert len(after) == len(before) + 1
    assert after[-1].owner is Party.AP
    assert case.stage is Stage.UNSUCCESSFUL
    assert not case.dual_registered
    assert case.weighting_adjustments == {}


@pytest.mark.parametrize(
    ("make", "outcome"),
    [
        (reviewed, SuccessfulOutcome(START, True)),  # no final review deciding a permanent move
        (_permanent, SuccessfulOutcome(START, False)),
        (_permanent, SuccessfulOutcome(START - DAY, True)),
    ],
)
def test_ct_r13_each_condition(
    make: Callable[[], Reintegration], outcome: SuccessfulOutcome
) -> None:
    case = make()
    fire = lambda: case.record_successful_outcome(  # noqa: E731
        outcome, by=HOST_STAFF, on=FINAL_REVIEW
    )
    _refused(case, fire, 1)


def test_ct_r13_obligations_and_protocol_weighting() -> None:
    shire = attrs.evolve(WORCESTERSHIRE, id="ct-weights", version="1", weighting_points=5)
    case = made_permanent(shire, permanent_from=FINAL_REVIEW)
    case.record_successful_outcome(SuccessfulOutcome(START, True), by=HOST_STAFF, on=FINAL_REVIEW)
    assert case.weighting_adjustments == {HOST_SCHOOL: 5, AP_SETTING: -5}
    owed = {(o.kind, o.owner) for o in case.obligations}
    assert {
        (ObligationKind.COMPLETE_LEAVERS_FORM, Party.AP),
        (ObligationKind.TRANSFER_RECORDS, Party.AP),
        (ObligationKind.RETURN_OUTCOME_FORM, Party.HOST),
        (ObligationKind.ADJUST_WEIGHTINGS, Party.LA),
        (ObligationKind.REDESIGNATE_TRANSPORT, Party.LA),
        (ObligationKind.CONSENT_TO_DELETION, Party.HOST),
        (ObligationKind.DELETE_FROM_ROLL, Party.AP),
    } <= owed
    (delete,) = [o for o in case.obligations if o.kind is ObligationKind.DELETE_FROM_ROLL]
    assert delete.due == FINAL_REVIEW  # permanent_from
    assert delete.basis


@pytest.mark.parametrize("stage", [s for s in Stage if s is not Stage.SUCCESSFUL])
def test_ct_r13_weightings_empty_in_every_other_stage(stage: Stage) -> None:
    assert STAGE_CASES[stage]().weighting_adjustments == {}


def test_ct_r16_bounds(clock: Callable[[dt.date], None]) -> None:
    clock(D(2026, 6, 1))
    case = opened()
    _refused(case, lambda: case.withdraw("Moved away.", by=PARENT, on=OPENED - DAY))
    _refused(case, lambda: case.withdraw("Moved away.", by=PARENT, on=D(2027, 6, 3)))
    case.withdraw("Moved away.", by=PARENT, on=D(2026, 6, 1) + 366 * DAY)
    assert case.stage is Stage.WITHDRAWN
    with pytest.raises(GuardFailed):
        Reintegration.open("c", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=D(9999, 12, 31))


def test_ct_r17_on_end_the_host_deletes_only_after_the_ap_consents() -> None:
    case = ending()
    fire = lambda: case.discharge(  # noqa: E731
        ObligationKind.DELETE_FROM_ROLL, by=HOST_HEAD, on=EMERGENCY_HELD
    )
    reasons = _refused(case, fire)
    assert any("9(1)(c)(ii)" in r for r in reasons)
    with pytest.raises(NotPermitted):  # the AP's consent is the AP's to give
        case.discharge(ObligationKind.CONSENT_TO_DELETION, by=HOST_HEAD, on=EMERGENCY_HELD)
    case.discharge(ObligationKind.CONSENT_TO_DELETION, by=AP_STAFF, on=EMERGENCY_HELD)
    case.discharge(ObligationKind.DELETE_FROM_ROLL, by=HOST_STAFF, on=EMERGENCY_HELD)
    assert ObligationKind.DELETE_FROM_ROLL not in {o.kind for o in case.obligations}
    assert case.stage is Stage.ENDING


# == Obligations and discharge ===================================================================
def test_ct_discharge_refusals_and_the_oldest_first() -> None:
    case = reviewed()
    _refused(case, lambda: case.discharge(ObligationKind.NOTE_AT_PANEL, by=ADMISSIONS, on=START))
    for outsider in (HOST_HEAD, ADMISSIONS, PARENT, _actor(Role.CHILD)):
        before = _full(case)
        with pytest.raises(NotPermitted):
            case.discharge(
                ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=outsider, on=SECOND_REVIEW
            )
        assert _full(case) == before
    paperwork = [
        o for o in case.obligations if o.kind is ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS
    ]
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=AP_STAFF, on=SECOND_REVIEW)
    left = [o for o in case.obligations if o.kind is ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS]
    assert left == paperwork[1:]
    last = case.history[-1]
    assert (last.trigger, last.source, last.dest) == (
        "discharge",
        Stage.IN_PLACEMENT,
        Stage.IN_PLACEMENT,
    )


def test_ct_end_obligations_owners() -> None:
    owed = {(o.kind, o.owner) for o in ending().obligations}
    assert {
        (ObligationKind.SEND_FAILURE_LETTER, Party.HOST),
        (ObligationKind.DELETE_FROM_ROLL, Party.HOST),
        (ObligationKind.NOTIFY_PORTAL, Party.HOST),
        (ObligationKind.ARRANGE_HOME_SCHOOL_MEETING, Party.AP),
        (ObligationKind.CONSENT_TO_DELETION, Party.AP),
    } <= owed


def test_ct_obligation_value() -> None:
    assert [a.name for a in attrs.fields(rf.Obligation)][:3] == ["kind", "owner", "due"]
    assert rf.Obligation(ObligationKind.OFFER_VISIT, Party.AP).due is None


# == Forms =======================================================================================
def _today() -> dt.date:
    return dt.date.today()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Pupil("A", _today() + DAY, 3),
        lambda: Pupil("A", D(2012, 1, 1), "3"),
        lambda: Pupil("A", D(2012, 1, 1), 3, upn="A12345678901X"),
        lambda: Pupil("A", "2012-01-01", 3),
        lambda: information(attendance_percent=101),
        lambda: information(attendance_percent=-1),
        lambda: information(exclusions_this_year=-1),
        lambda: information(attainment="good"),
        lambda: consent(agrees="yes"),
        lambda: consent(preferred_schools="Elmstead High School"),
        lambda: PastoralSupportPlan("2026-01-01"),
        lambda: ChildViews("2026-01-01"),
        lambda: Attendee("Sam", "ap"),
        lambda: review(FIRST_REVIEW, kind="interim"),
        lambda: letter(reasons="It went badly."),
        lambda: SuccessfulOutcome(START, "yes"),
        lambda: UnsuccessfulOutcome("A place", "2026-03-17", "Morgan Reed"),
        lambda: Actor("a", "Morgan Reed", "ap_head", AP_SETTING),
    ],
)
def test_ct_bad_data_is_form_invalid_at_construction(build: Callable[[], object]) -> None:
    with pytest.raises(FormInvalid) as refused:
        build()
    assert isinstance(refused.value, ValueError)
    assert isinstance(refused.value, ProtocolError)


def test_ct_empty_false_and_out_of_order_content_builds() -> None:
    """Only wrong types and impossible values raise; the rule that needs the rest reports it."""
    Pupil("A", _today(), 0)
    information(attendance_percent=0, exclusions_this_year=0)
    information(attendance_percent=100)
    initial_meeting(first_review=FINAL_REVIEW, final_review=FIRST_REVIEW, signatures=frozenset())
    review(FIRST_REVIEW, attendees=(), child_views=None, next_meeting=D(2020, 1, 1))
    letter(reasons=(), support_provided=(), head_teacher="", effective_date=D(2020, 1, 1))


def test_ct_forms_build_from_the_named_fields_alone_positionally() -> None:
    """PROTOCOL.md's signatures, in their order, build each form; the named defaults hold."""
    form = rf.ConsentForm(
        "A",
        D(2012, 1, 1),
        "P",
        "Mother",
        True,
        False,
        None,
        True,
        True,
        True,
        ("S",),
        "P",
        CONSENTED,
    )
    assert form.child_agrees is None
    assert PastoralSupportPlan(START).end is None
    info = rf.ReintegrationInformation(None, None, None, None, None, "", "", frozenset())
    assert info.evidence == frozenset()
    assert ChildViews(MEETING).gathered_on == MEETING
    meeting = rf.InitialMeeting(
        MEETING,
        True,
        True,
        frozenset(),
        START,
        "t",
        "c",
        "s",
        "p",
        "h",
        FIRST_REVIEW,
        SECOND_REVIEW,
        FINAL_REVIEW,
        "Outreach visits twice a week.",
    )
    assert meeting.ap_support == "Outreach visits twice a week."
    assert (
        rf.InitialMeeting(
            MEETING,
            True,
            True,
            frozenset(),
            START,
            "",
            "",
            "",
            "",
            "",
            FIRST_REVIEW,
            SECOND_REVIEW,
            FINAL_REVIEW,
        ).ap_support
        == ""
    )
    meeting2 = rf.ReviewMeeting(MEETING, ReviewKind.INTERIM, (), None)
    assert (meeting2.concerns, meeting2.additional_support, meeting2.decision) == (
        "",
        "",
        ReviewDecision.CONTINUE,
    )
    assert (meeting2.next_meeting, meeting2.permanent_from) == (None, None)
    built = FailureLetter("P", (), False, False, False, (), MEETING, "")
    assert (built.home_head_teacher, built.written_on) == ("", None)
    assert rf.UnsuccessfulOutcome("x", START, "y").completed_by == "y"
    pupil = Pupil("A", D(2012, 1, 1), 3)
    assert (pupil.on_mainstream_roll, pupil.looked_after, pupil.upn) == (False, False, None)
    actor = Actor("i", "n", Role.CHILD, "o")
    assert (actor.id, actor.name, actor.role, actor.organisation) == ("i", "n", Role.CHILD, "o")


@pytest.mark.parametrize(
    ("form", "names"),
    [
        ("Pupil", "name date_of_birth key_stage on_mainstream_roll looked_after upn"),
        (
            "ConsentForm",
            "child_name child_dob parent_name relationship has_parental_responsibility "
            "other_parent_has_responsibility other_parent_agrees understands_reasons agrees "
            "consent_to_share preferred_schools signed_by signed_on child_agrees",
        ),
        ("PastoralSupportPlan", "start end"),
        (
            "ReintegrationInformation",
            "attainment effort attitude_to_staff attitude_to_peers homework reasons_for_success "
            "transport_plan evidence",
        ),
        ("Attendee", "name party"),
        (
            "InitialMeeting",
            "held_on parent_present child_present signatures start_date transport_arrangements "
            "child_will school_will parent_will host_contact first_review second_review "
            "final_review ap_support",
        ),
        (
            "ReviewMeeting",
            "held_on kind attendees child_views concerns additional_support decision "
            "next_meeting permanent_from",
        ),
        (
            "FailureLetter",
            "parent_name reasons incident_investigated harassment_checked child_version_heard "
            "support_provided effective_date head_teacher home_head_teacher written_on",
        ),
        ("SuccessfulOutcome", "date_on_roll joiner_form_completed"),
        ("UnsuccessfulOutcome", "provision_for_return return_date completed_by"),
        ("Obligation", "kind owner due"),
        ("Deadline", "kind due met_on"),
        ("Departure", "seq rule text"),
        ("Actor", "id name role organisation"),
        (
            "Protocol",
            "id version title source effective_from place_offer_school_days review_weeks "
            "final_review_within_days joiners_return_days weighting_points roles review_parties "
            "emergency_review_parties required_evidence",
        ),
    ],
)
def test_ct_field_names_in_their_order(form: str, names: str) -> None:
    """The named fields lead each frozen attrs class in PROTOCOL.md's order."""
    cls = getattr(rf, form)
    fields = [a.name for a in attrs.fields(cls)]
    assert fields[: len(names.split())] == names.split()
    if form not in ("Protocol",):
        assert attrs.has(cls)


def test_ct_forms_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        consent().agrees = False  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        WORCESTERSHIRE.weighting_points = 1  # type: ignore[misc]


# == Protocol ====================================================================================
def test_ct_worcestershire_numbers_and_parties() -> None:
    w = WORCESTERSHIRE
    assert (w.place_offer_school_days, w.review_weeks, w.final_review_within_days) == (
        20,
        (2, 4, 6),
        42,
    )
    assert (w.joiners_return_days, w.weighting_points) == (5, 3)
    assert w.review_parties == {Party.AP, Party.HOST, Party.PARENT}
    assert w.emergency_review_parties == {Party.AP, Party.HOST, Party.PARENT, Party.LA}
    assert w.required_evidence == {
        Evidence.PSP,
        Evidence.BEHAVIOUR_LOG,
        Evidence.ATTENDANCE_RECORD,
        Evidence.EXCLUSION_DATA,
        Evidence.ASSESSMENT_DATA,
    }
    built = Protocol("x", "1", "T", "S", D(2025, 9, 1))
    assert (
        attrs.evolve(
            built,
            id=w.id,
            version=w.version,
            title=w.title,
            source=w.source,
            effective_from=w.effective_from,
        )
        == w
    )


def test_ct_protocol_definition_errors_name_the_field() -> None:
    for changes, field in [
        ({"final_review_within_days": 0}, "final_review_within_days"),
        ({"review_weeks": (2, 4, 7)}, None),
        ({"weighting_points": -1}, "weighting_points"),
    ]:
        with pytest.raises(rf.ProtocolDefinitionError) as refused:
            attrs.evolve(WORCESTERSHIRE, version="ct", **changes)
        assert isinstance(refused.value, ValueError)
        if field is not None:
            assert field in str(refused.value)


def test_ct_protocol_from_file_roles_and_review_weeks(tmp_path: Path) -> None:
    file = tmp_path / "shire.toml"
    file.write_text(
        'id = "ct-shire"\nversion = "2"\ntitle = "T"\nsource = "S"\n'
        "effective_from = 2025-09-01\nreview_weeks = [1, 2, 3]\nfinal_review_within_days = 21\n"
        '[roles]\nwithdraw = ["ap_head", "ap_staff", "parent"]\n'
    )
    shire = Protocol.from_file(file)
    assert shire.review_weeks == (1, 2, 3)
    assert shire.roles["withdraw"] == {Role.AP_HEAD, Role.AP_STAFF, Role.PARENT}
    assert shire.roles["record_consent"] == {Role.AP_HEAD}  # the rest as the table
    case = Reintegration.open(
        "s", PUPIL, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED, protocol=shire
    )
    assert "withdraw" in case.available_triggers(AP_STAFF)
    case.withdraw("Moved away.", by=AP_STAFF, on=CONSENTED)
    assert Reintegration.replay(case.history, CALENDAR, [shire]) == case
    with pytest.raises(NotPermitted):  # Worcestershire's roles for a Worcestershire case
        opened().withdraw("Moved away.", by=AP_STAFF, on=CONSENTED)


# == School calendar ============================================================================
TERM = (D(2026, 4, 13), D(2026, 7, 22))
SMALL = SchoolCalendar([TERM], closures=[D(2026, 4, 20)])


def test_ct_calendar_bank_holidays_weekends_and_closures() -> None:
    assert SMALL.is_school_day(D(2026, 4, 13))
    assert not SMALL.is_school_day(D(2026, 4, 18))  # a Saturday
    assert not SMALL.is_school_day(D(2026, 4, 20))  # a closure
    assert not SMALL.is_school_day(D(2026, 5, 4))  # Early May bank holiday
    assert not SMALL.is_school_day(D(2026, 5, 25))  # Spring bank holiday
    assert SMALL.add_school_days(D(2026, 4, 13), 0) == D(2026, 4, 13)
    assert SMALL.add_school_days(D(2026, 4, 17), 1) == D(2026, 4, 21)
    assert SMALL.school_days_between(D(2026, 4, 17), D(2026, 4, 17)) == 0
    assert SMALL.school_days_between(D(2026, 4, 17), D(2026, 4, 21)) == 1


@pytest.mark.parametrize(
    "ask",
    [
        lambda: SMALL.is_school_day(D(2026, 4, 12)),
        lambda: SMALL.is_school_day(D(2026, 7, 23)),
        lambda: SMALL.add_school_days(D(2026, 7, 20), 5),
        lambda: SMALL.school_days_between(D(2026, 4, 1), D(2026, 4, 20)),
        lambda: SMALL.school_days_between(D(2026, 4, 14), D(2026, 8, 1)),
        lambda: SMALL.suggest_review_dates(D(2026, 7, 1)),
    ],
)
def test_ct_calendar_never_guesses(ask: Callable[[], object]) -> None:
    with pytest.raises(CalendarError):
        ask()


def test_ct_a_trigger_needing_a_calendar_on_a_case_without_one() -> None:
    case = Reintegration.open("n", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    before = _full(case)
    with pytest.raises(CalendarError):
        case.refer_to_fair_access(ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=REFERRED)
    assert _full(case) == before
    again = Reintegration.replay(case.history, CALENDAR)
    again.refer_to_fair_access(ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=REFERRED)
    assert again.deadlines[0].due == _school_days_after(REFERRED, 20)


def test_ct_calendar_from_file(tmp_path: Path) -> None:
    file = tmp_path / "terms.toml"
    file.write_text(
        'source = "Invented for a test"\n'
        "[[term]]\nfirst_day = 2026-04-13\nlast_day = 2026-07-22\n"
        '[[closure]]\ndate = 2026-04-20\nreason = "INSET"\n'
    )
    read = SchoolCalendar.from_file(file)
    assert not read.is_school_day(D(2026, 4, 20))
    assert read.add_school_days(D(2026, 4, 17), 1) == D(2026, 4, 21)


SAMPLE_DAYS = st.dates(D(2025, 9, 1), D(2026, 5, 1))


@settings(max_examples=60)
@given(SAMPLE_DAYS, st.integers(0, 40))
def test_ct_add_school_days_is_the_nth_school_day_after(day: dt.date, n: int) -> None:
    found = CALENDAR.add_school_days(day, n)
    if n == 0:
        assert found == day
        return
    assert found == _school_days_after(day, n)
    assert CALENDAR.is_school_day(found)
    assert CALENDAR.school_days_between(day, found) == n


@settings(max_examples=60)
@given(SAMPLE_DAYS)
def test_ct_suggested_reviews_are_school_days_in_order(start: dt.date) -> None:
    first, second, final = CALENDAR.suggest_review_dates(start)
    assert start < first < second < final <= start + 42 * DAY
    assert all(CALENDAR.is_school_day(d) for d in (first, second, final))
    # the final one moved earlier, never later: no school day between it and the six weeks
    assert all(
        not CALENDAR.is_school_day(final + k * DAY)
        for k in range(1, (start + 42 * DAY - final).days + 1)
    )


# == History and replay ==========================================================================
@pytest.mark.parametrize("stage", list(Stage))
def test_ct_history_is_plain_json_and_replays_equal(stage: Stage) -> None:
    import json

    case = STAGE_CASES[stage]()
    for transition in case.history:
        assert json.loads(json.dumps(transition.data)) == transition.data
        assert transition.actor.role in Role
    again = Reintegration.replay(case.history, CALENDAR)
    assert again == case
    assert (again.stage, again.deadlines, again.obligations, again.departures) == (
        case.stage,
        case.deadlines,
        case.obligations,
        case.departures,
    )
    assert again.dual_registered == (
        stage in {Stage.IN_PLACEMENT, Stage.EMERGENCY_REVIEW, Stage.ENDING}
    )


def test_ct_replay_never_recomputes_deadlines_with_another_calendar() -> None:
    case = referred()
    other = SchoolCalendar([(D(2025, 9, 1), D(2026, 7, 22))], closures=[D(2026, 1, 20)])
    assert Reintegration.replay(case.history, other).deadlines == case.deadlines


def test_ct_no_two_cases_share_a_mutable_object() -> None:
    one, two = opened(), opened()
    assert one.history[0].data == two.history[0].data
    with pytest.raises(TypeError):
        one.history[0].data["pupil"] = {}  # type: ignore[index]
    with pytest.raises(AttributeError):
        one.local_authority = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        one.ap_setting = "x"  # type: ignore[misc]


STAGE_LIST = list(Stage)


@settings(max_examples=40)
@given(st.sampled_from(STAGE_LIST), st.sampled_from(list(TRIGGERS)), st.sampled_from(list(Role)))
def test_ct_a_refused_trigger_changes_nothing_and_replay_agrees(
    stage: Stage, trigger: str, role: Role
) -> None:
    """Property: any trigger fired by anyone from any stage is either accepted (and the case
    then replays equal) or refused with a ProtocolError leaving state, history and obligations
    as they were."""
    case = STAGE_CASES[stage]()
    before = _full(case)
    _, fire = TRIGGERS[trigger]
    try:
        fire(case, _actor(role))
    except (IllegalTransition, NotPermitted, GuardFailed):
        assert _full(case) == before
    else:
        assert len(case.history) == len(before[0]) + 1  # type: ignore[arg-type]
    assert Reintegration.replay(case.history, CALENDAR) == case


# == Stores ======================================================================================
@pytest.fixture(params=["memory", "sqlite", "postgresql", "mariadb"])
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for the in-memory store, else the URL of an empty store schema on each engine."""
    if request.param == "memory":
        yield None
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ct.sqlite'}"
        with SqlAlchemyStore(url) as store:
            store.create_schema()
        yield url
        return
    from store_contract import empty_store

    url = request.getfixturevalue(
        "postgres_store_url" if request.param == "postgresql" else "mariadb_store_url"
    )
    engine = empty_store(url)  # emptied, not made again: making one takes a second
    yield url
    engine.dispose()


_STORES: list[SqlAlchemyStore] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _STORES:
        _STORES.pop().close()


def _open(url: str | None, **options: Any) -> InMemoryStore | SqlAlchemyStore:
    if url is None:
        return InMemoryStore(calendar=CALENDAR, **options)
    store = SqlAlchemyStore(url, calendar=CALENDAR, **options)
    _STORES.append(store)
    return store


def _other(case_id: str, on: dt.date = OPENED, pupil: Pupil = PUPIL) -> Reintegration:
    return Reintegration.open(case_id, pupil, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=on)


def test_ct_store_retry_conflict_messages_and_history(any_store_url: str | None) -> None:
    store = _open(any_store_url)
    case = planned()
    store.save(case)
    store.save(store.load("case-b"))  # a loaded copy: a no-op too
    assert store.history("case-b") == case.history
    with pytest.raises(ConcurrentUpdate) as taken:
        store.save(_other("case-b", CONSENTED))
    assert "case-b" in str(taken.value)
    assert len(store.history("case-b")) == len(case.history)
    ahead = store.load("case-b")
    ahead.withdraw("The family moved away.", by=AP_HEAD, on=START)
    behind = store.load("case-b")
    store.save(ahead)
    prepare(behind).start_placement(by=HOST_HEAD, on=START)
    with pytest.raises(ConcurrentUpdate) as raced:
        store.save(behind)
    assert str(raced.value) != str(taken.value)  # the message says which
    assert store.load("case-b").stage is Stage.WITHDRAWN
    assert store.verify() == []
    with pytest.raises(CaseNotFound):
        store.history("nobody")
    with pytest.raises(CaseNotFound):
        store.load("nobody")


def test_ct_store_as_of_each_day(any_store_url: str | None) -> None:
    store = _open(any_store_url)
    case = in_placement()
    store.save(case)
    for transition in case.history:
        loaded = store.load("case-b", transition.on)
        expected = [t for t in case.history if t.on <= transition.on]
        assert loaded.history == tuple(expected)
        assert loaded.stage is expected[-1].dest
    assert store.load("case-b", D(2030, 1, 1)) == case


def test_ct_store_lists_and_searches(any_store_url: str | None) -> None:
    store = _open(any_store_url)
    store.save(in_placement())
    other = Pupil("Jamie Sample", D(2013, 2, 1), key_stage=3)
    store.save(_other("case-a", pupil=other))
    summaries = store.cases()
    assert [s.case_id for s in summaries] == ["case-a", "case-b"]
    b = summaries[1]
    assert (b.pupil_name, b.stage, b.ap_setting, b.host_school, b.local_authority) == (
        PUPIL.name,
        Stage.IN_PLACEMENT,
        AP_SETTING,
        HOST_SCHOOL,
        AUTHORITY,
    )
    assert (b.opened_on, b.last_on) == (OPENED, START)
    assert [s.case_id for s in store.cases(stage=Stage.PROPOSED)] == ["case-a"]
    assert [s.case_id for s in store.cases(school=HOST_SCHOOL)] == ["case-b"]
    assert [s.case_id for s in store.cases(school=AP_SETTING)] == ["case-a", "case-b"]
    assert [s.case_id for s in store.cases(text="jamie")] == ["case-a"]
    assert [s.case_id for s in store.cases(text="SE-B")] == ["case-b"]
    assert store.cases(text="nobody") == []
    assert store.cases(stage=Stage.PROPOSED, school=HOST_SCHOOL) == []
    assert store.taken(["case-a", "case-b", "case-c"]) == {"case-a", "case-b"}


def test_ct_store_due(any_store_url: str | None) -> None:
    """What still binds, soonest first: deadlines of cases not final, obligations of every
    case, an undated obligation from the day it opened and after the dated items."""
    store = _open(any_store_url)
    virtual = referred(route=ReferralRoute.VIRTUAL)
    store.save(virtual)
    assert store.due(REFERRED - DAY) == []
    on_the_day = store.due(REFERRED)
    assert [(i.case_id, i.kind, i.due, i.owner) for i in on_the_day] == [
        ("case-b", ObligationKind.NOTE_AT_PANEL, None, Party.LA)
    ]
    place_offer = virtual.deadlines[0].due
    assert [i.kind for i in store.due(place_offer)] == [
        DeadlineKind.PLACE_OFFER,
        ObligationKind.NOTE_AT_PANEL,
    ]
    assert store.due(place_offer)[0].item is not None
    ended = _unsuccessful()
    ended_store = _open(None)
    ended_store.save(ended)
    listed = ended_store.due(D(2026, 7, 1))
    assert listed
    assert all(isinstance(i.kind, ObligationKind) for i in listed)  # no deadlines
    dated = [i for i in listed if i.due is not None]
    assert listed[: len(dated)] == dated
    assert [i.due for i in dated] == sorted(i.due for i in dated)  # type: ignore[type-var]


def test_ct_store_weightings_ledger(any_store_url: str | None) -> None:
    store = _open(any_store_url)
    store.save(_successful())  # successful outcome dated FINAL_REVIEW
    assert store.weightings(FINAL_REVIEW, FINAL_REVIEW) == {HOST_SCHOOL: 3, AP_SETTING: -3}
    assert store.weightings(FINAL_REVIEW - DAY, FINAL_REVIEW - DAY) == {}
    assert store.weightings(FINAL_REVIEW + DAY, D(2027, 1, 1)) == {}
    assert store.weightings(D(2025, 1, 1), D(2027, 1, 1)) == {HOST_SCHOOL: 3, AP_SETTING: -3}


def test_ct_store_checkpoint_round_trip_and_redaction(any_store_url: str | None) -> None:
    store = _open(any_store_url)
    store.save(planned())
    checkpoint = store.checkpoint()
    again = Checkpoint.from_json(checkpoint.to_json())
    assert again == checkpoint
    assert store.verify(again) == []
    consent_seq = next(t.seq for t in store.history("case-b") if t.trigger == "record_consent")
    redactor = Actor("dpo-1", "Ash Data", Role.LA_ADMISSIONS, AUTHORITY)
    today = _today()
    store.redact(
        "case-b", consent_seq, ["form.parent_name"], "Subject access erasure", by=redactor, on=today
    )
    redacted = next(t for t in store.history("case-b") if t.seq == consent_seq)
    assert "Dana Example" not in str(redacted.data.get("form", {}).get("parent_name"))
    assert store.verify() == []
    assert store.verify(again) == []  # the chain is kept
    loaded = store.load("case-b")
    assert loaded.stage is Stage.PLANNED
    loaded.withdraw("The family moved away.", by=AP_HEAD, on=START)
    store.save(loaded)  # a redacted case still takes new steps
    assert store.verify(store.checkpoint()) == []


def test_ct_store_authority_scope_on_every_method(any_store_url: str | None) -> None:
    url = any_store_url
    if url is None:
        scoped = _open(None, authority="Other Council")
        with pytest.raises(NotPermitted):
            scoped.save(opened())
        assert scoped.cases() == []
        return
    store = _open(url)
    store.save(_successful())
    scoped = _open(url, authority="Other Council")
    claim = Reintegration.open(
        "case-b", PUPIL, AP_SETTING, "Other Council", CALENDAR, by=AP_HEAD, on=OPENED
    )
    before = store.history("case-b")
    with pytest.raises(NotPermitted):  # whatever the case object claims
        scoped.save(claim)
    for call in (
        lambda: scoped.load("case-b"),
        lambda: scoped.load("case-b", START),
        lambda: scoped.history("case-b"),
        lambda: scoped.redact("case-b", 1, ["pupil.name"], "erasure", by=ADMISSIONS, on=_today()),
    ):
        with pytest.raises(CaseNotFound):
            call()
    assert scoped.cases() == []
    assert scoped.due(D(2027, 1, 1)) == []
    assert scoped.weightings(D(2025, 1, 1), D(2027, 1, 1)) == {}
    assert scoped.verify() == []
    assert store.history("case-b") == before


def test_ct_checkpoint_reports_truncated_and_gone_cases() -> None:
    held = InMemoryStore(calendar=CALENDAR)
    case = planned()
    held.save(case)
    held.save(_other("case-z"))
    checkpoint = Checkpoint.from_json(held.checkpoint().to_json())
    assert held.verify(checkpoint) == []
    shorter = InMemoryStore(calendar=CALENDAR)
    shorter.save(Reintegration.replay(case.history[:3], CALENDAR))
    problems = shorter.verify(checkpoint)
    assert {p.case_id for p in problems} == {"case-b", "case-z"}


def test_ct_store_error_for_an_unreachable_database() -> None:
    store = SqlAlchemyStore("postgresql+psycopg://postgres@127.0.0.1:1/nothere")
    try:
        with pytest.raises(rf.StoreError) as failed:
            store.load("x")
    finally:
        store.close()
    assert isinstance(failed.value, ProtocolError)
    assert failed.value.retryable is True
    assert failed.value.__cause__ is not None


def test_ct_unknown_protocol_in_stores(tmp_path: Path) -> None:
    other = attrs.evolve(WORCESTERSHIRE, id="ct-other", version="1")
    case = Reintegration.open(
        "p", PUPIL, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED, protocol=other
    )
    with pytest.raises(rf.UnknownProtocol):
        InMemoryStore(calendar=CALENDAR).save(case)
    knowing = InMemoryStore(calendar=CALENDAR, protocols=[other])
    knowing.save(case)
    assert knowing.load("p").protocol == other
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    writer = _open(url, protocols=[other])
    assert isinstance(writer, SqlAlchemyStore)
    writer.create_schema()
    writer.save(case)
    with pytest.raises(rf.UnknownProtocol):
        _open(url).load("p")


def test_ct_replay_rechecks_each_transition_and_names_it() -> None:
    import json

    history = list(planned().history)
    consent_step = history[1]
    data = json.loads(json.dumps(consent_step.data))
    data["form"]["agrees"] = False
    forged = rf.Transition(
        consent_step.seq,
        consent_step.trigger,
        consent_step.source,
        consent_step.dest,
        consent_step.actor,
        consent_step.on,
        data,
    )
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay([history[0], forged, *history[2:]], CALENDAR)
    assert refused.value.trigger == "record_consent"
    assert str(consent_step.seq) in str(refused.value)
    by_host = (
        attrs.evolve(forged, actor=HOST_HEAD, data=consent_step.data)
        if attrs.has(rf.Transition)
        else rf.Transition(
            consent_step.seq,
            consent_step.trigger,
            consent_step.source,
            consent_step.dest,
            HOST_HEAD,
            consent_step.on,
            consent_step.data,
        )
    )
    with pytest.raises(NotPermitted):
        Reintegration.replay([history[0], by_host, *history[2:]], CALENDAR)


# == Rules in sequence ===========================================================================
def test_ct_r13_date_on_roll_against_the_day_the_placement_actually_started() -> None:
    case = prepare(planned())
    case.start_placement(by=HOST_HEAD, on=START + DAY)  # a day after the agreed start
    case.hold_review(review(FIRST_REVIEW), by=HOST_HEAD, on=FIRST_REVIEW)
    case.hold_review(review(SECOND_REVIEW), by=HOST_HEAD, on=SECOND_REVIEW)
    case.hold_review(
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        by=HOST_HEAD,
        on=FINAL_REVIEW,
    )
    fire = lambda: case.record_successful_outcome(  # noqa: E731
        SuccessfulOutcome(START, True), by=HOST_HEAD, on=FINAL_REVIEW
    )
    _refused(case, fire, 1)
    case.record_successful_outcome(
        SuccessfulOutcome(START + DAY, True), by=HOST_HEAD, on=FINAL_REVIEW
    )
    assert case.stage is Stage.SUCCESSFUL


def test_ct_r9_a_later_final_continue_undoes_the_permanent_decision() -> None:
    case = _permanent()
    later = FINAL_REVIEW + DAY
    case.hold_review(
        review(later, ReviewKind.FINAL, next_meeting=later + 7 * DAY), by=HOST_HEAD, on=later
    )
    fire = lambda: case.record_successful_outcome(  # noqa: E731
        SuccessfulOutcome(START, True), by=HOST_HEAD, on=later
    )
    _refused(case, fire, 1)


def test_ct_r9_views_before_the_previous_review_are_a_departure() -> None:
    case = in_placement()
    case.hold_review(review(FIRST_REVIEW), by=HOST_HEAD, on=FIRST_REVIEW)
    stale = review(SECOND_REVIEW, child_views=ChildViews(FIRST_REVIEW - DAY, aspirations="GCSEs."))
    assert _fires(case, lambda: case.hold_review(stale, by=HOST_HEAD, on=SECOND_REVIEW)) == ("R9",)


def test_ct_r10_r11_continue_takes_no_letter_and_may_be_called_again() -> None:
    case = emergency()
    supported = emergency_meeting(
        decision=ReviewDecision.CONTINUE, additional_support="A key worker every morning."
    )
    fire = lambda: case.hold_emergency_review(  # noqa: E731
        supported, letter(), by=HOST_HEAD, on=EMERGENCY_HELD
    )
    _refused(case, fire)
    permanent = emergency_meeting(
        decision=ReviewDecision.MAKE_PERMANENT, permanent_from=EMERGENCY_HELD
    )
    fire = lambda: case.hold_emergency_review(  # noqa: E731
        permanent, by=HOST_HEAD, on=EMERGENCY_HELD
    )
    _refused(case, fire)
    case.hold_emergency_review(supported, by=HOST_HEAD, on=EMERGENCY_HELD)
    case.call_emergency_review("Again.", by=HOST_STAFF, on=EMERGENCY_HELD + DAY)
    assert case.stage is Stage.EMERGENCY_REVIEW


@pytest.mark.parametrize(
    ("make", "fire"),
    [
        (
            opened,
            lambda c: c.record_consent(
                consent(preferred_schools=("  ",)), by=AP_HEAD, on=CONSENTED
            ),
        ),
        (opened, lambda c: c.record_consent(consent(signed_by="  "), by=AP_HEAD, on=CONSENTED)),
        (
            referred,
            lambda c: c.identify_host("  ", ReferralRoute.PANEL, by=ADMISSIONS, on=HOST_FOUND),
        ),
        (in_placement, lambda c: c.call_emergency_review(" ", by=HOST_HEAD, on=EMERGENCY_CALLED)),
        (
            emergency,
            lambda c: c.hold_emergency_review(
                emergency_meeting(), letter(reasons=(" ",)), by=HOST_HEAD, on=EMERGENCY_HELD
            ),
        ),
        (planned, lambda c: c.discharge(ObligationKind.OFFER_VISIT, by=AP_HEAD, on=MEETING - DAY)),
    ],
)
def test_ct_blank_text_counts_as_missing(
    make: Callable[[], Reintegration], fire: Callable[[Reintegration], object]
) -> None:
    case = make()
    _refused(case, lambda: fire(case), 1)


def test_ct_due_leaves_out_the_deadlines_of_a_final_case() -> None:
    case = referred()
    case.withdraw("The family moved away.", by=AP_HEAD, on=REFERRED)
    store = InMemoryStore(calendar=CALENDAR)
    store.save(case)
    assert store.due(D(2026, 7, 1)) == []


def test_ct_store_appends_what_it_lacks_and_keeps_long_text(any_store_url: str | None) -> None:
    """A store holding a prefix of a case appends the rest; a long free-text answer (200,000
    characters) comes back whole on every engine."""
    store = _open(any_store_url)
    long_text = "Settled and attending well. " * 7200
    case = consented()
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        information(reasons_for_success=long_text),
        PSP,
        by=AP_HEAD,
        on=REFERRED,
    )
    case.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=HOST_FOUND)
    for length in (1, 3):
        store.save(Reintegration.replay(case.history[:length], CALENDAR))
        assert len(store.history("case-b")) == length
    store.save(case)
    assert store.history("case-b") == case.history
    loaded = store.load("case-b")
    referral = next(t for t in loaded.history if t.trigger == "refer_to_fair_access")
    assert referral.data["information"]["reasons_for_success"] == long_text
    assert store.verify() == []
