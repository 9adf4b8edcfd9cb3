"""Acceptance checks of PROTOCOL.md (revision 2), section by section: its names, errors, rules
at their boundaries, departures, protocols, forms and stores, checked as the contract words them,
on the in-memory store, SQLite, and PostgreSQL and MariaDB when their URLs are set. An importer
can run this file against a new release:

    RFSM_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
    RFSM_TEST_MARIADB_URL=mysql+pymysql://root@127.0.0.1:3306/test \
    python -m pytest -q tests/test_contract.py
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import reintegration_fsm as rf
from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    CalendarError,
    CaseNotFound,
    ChildViews,
    ConcurrentUpdate,
    DeadlineKind,
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
    Pupil,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Role,
    SqlAlchemyStore,
    Stage,
    SuccessfulOutcome,
    UnknownProtocol,
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
    HOST_HEAD,
    HOST_SCHOOL,
    HOST_STAFF,
    MEETING,
    OPENED,
    PARENT,
    PSP,
    PUPIL,
    REFERRED,
    START,
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
    host_identified,
    in_placement,
    made_permanent,
    opened,
    planned,
    referred,
)

DAY = dt.timedelta(days=1)
PERMANENT_FROM = D(2026, 4, 13)


# == Names ========================================================================================
CONTRACT_NAMES = [
    "Stage",
    "Reintegration",
    "Actor",
    "Role",
    "IllegalTransition",
    "NotPermitted",
    "GuardFailed",
    "FormInvalid",
    "ConcurrentUpdate",
    "CalendarError",
    "CaseNotFound",
    "StoreError",
    "UnknownProtocol",
    "ProtocolDefinitionError",
    "ProtocolError",
    "ConsentForm",
    "ReferralRoute",
    "ReintegrationInformation",
    "PastoralSupportPlan",
    "InitialMeeting",
    "ChildViews",
    "ReviewMeeting",
    "FailureLetter",
    "SuccessfulOutcome",
    "UnsuccessfulOutcome",
    "ObligationKind",
    "Protocol",
    "WORCESTERSHIRE",
    "Pupil",
    "Rating",
    "Evidence",
    "Deadline",
    "Departure",
    "Party",
    "Attendee",
    "ReviewKind",
    "ReviewDecision",
    "DeadlineKind",
    "SchoolCalendar",
    "Obligation",
    "Transition",
    "InMemoryStore",
    "SqlAlchemyStore",
    "CaseSummary",
    "Checkpoint",
]


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_contract_name_importable(name: str) -> None:
    assert getattr(rf, name) is not None


@pytest.mark.parametrize(
    ("enum", "members"),
    [
        (
            "Stage",
            "PROPOSED CONSENTED REFERRED HOST_IDENTIFIED PLANNED IN_PLACEMENT "
            "EMERGENCY_REVIEW ENDING SUCCESSFUL UNSUCCESSFUL WITHDRAWN",
        ),
        ("Role", "AP_HEAD AP_STAFF HOST_HEAD HOST_STAFF LA_ADMISSIONS PARENT CHILD"),
        ("Party", "AP HOST PARENT CHILD LA OTHER"),
        ("Rating", "GOOD SATISFACTORY POOR"),
        (
            "Evidence",
            "PSP IEP IHCP BEHAVIOUR_LOG BEHAVIOUR_ANALYSIS GRADUATED_RESPONSE "
            "ATTENDANCE_RECORD PERSONAL_EDUCATION_PLAN EXCLUSION_DATA KS4_OPTIONS ASSESSMENT_DATA",
        ),
        ("ReviewKind", "INTERIM FINAL EMERGENCY"),
        ("ReviewDecision", "CONTINUE END MAKE_PERMANENT"),
        ("ReferralRoute", "PANEL VIRTUAL"),
        ("DeadlineKind", "PLACE_OFFER FIRST_REVIEW SECOND_REVIEW FINAL_REVIEW"),
    ],
)
def test_contract_enum_members(enum: str, members: str) -> None:
    assert [m.name for m in getattr(rf, enum)] == members.split()


def test_contract_stage_is_str_enum_of_lower_case_names() -> None:
    for stage in Stage:
        assert isinstance(stage, str)
        assert stage.value == stage.name.lower()


def test_contract_obligation_kinds_at_least() -> None:
    needed = [
        "NOTE_AT_PANEL",
        "SHARE_INFORMATION_WITH_HOST",
        "OFFER_VISIT",
        "SEND_PAPERWORK_TO_ADMISSIONS",
        "COMPLETE_JOINERS_FORM",
        "MARK_DUAL_REGISTRATION",
        "COMPLETE_LEAVERS_FORM",
        "TRANSFER_RECORDS",
        "RETURN_OUTCOME_FORM",
        "ADJUST_WEIGHTINGS",
        "REDESIGNATE_TRANSPORT",
        "SEND_FAILURE_LETTER",
        "DELETE_FROM_ROLL",
        "NOTIFY_PORTAL",
        "ARRANGE_HOME_SCHOOL_MEETING",
        "CONSENT_TO_DELETION",
    ]
    assert set(needed) <= {kind.name for kind in ObligationKind}


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        ("IllegalTransition", ()),
        ("NotPermitted", ()),
        ("GuardFailed", ()),
        ("FormInvalid", (ValueError,)),
        ("ConcurrentUpdate", ()),
        ("CalendarError", ()),
        ("CaseNotFound", (KeyError,)),
        ("StoreError", ()),
        ("UnknownProtocol", ()),
        ("ProtocolDefinitionError", (ValueError,)),
    ],
)
def test_contract_error_bases(error: str, bases: tuple[type, ...]) -> None:
    cls = getattr(rf, error)
    assert issubclass(cls, ProtocolError)
    for base in bases:
        assert issubclass(cls, base)


@pytest.mark.parametrize(
    ("method", "positional"),
    [
        ("record_consent", ["form"]),
        ("refer_to_fair_access", ["route", "information", "psp"]),
        ("identify_host", ["host_school", "via"]),
        ("note_at_panel", []),
        ("hold_initial_meeting", ["meeting", "views"]),
        ("start_placement", []),
        ("hold_review", ["meeting"]),
        ("call_emergency_review", ["reason"]),
        ("hold_emergency_review", ["meeting", "letter"]),
        ("record_successful_outcome", ["form"]),
        ("record_unsuccessful_outcome", ["form"]),
        ("withdraw", ["reason"]),
        ("discharge", ["kind"]),
    ],
)
def test_contract_trigger_signatures(method: str, positional: list[str]) -> None:
    parameters = inspect.signature(getattr(Reintegration, method)).parameters
    assert [p for p in parameters if p != "self"] == [*positional, "by", "on"]
    assert parameters["by"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["on"].kind is inspect.Parameter.KEYWORD_ONLY


def test_contract_open_signature() -> None:
    parameters = inspect.signature(Reintegration.open).parameters
    assert list(parameters) == [
        "case_id",
        "pupil",
        "ap_setting",
        "local_authority",
        "calendar",
        "by",
        "on",
        "protocol",
    ]
    assert parameters["calendar"].default is None
    assert parameters["protocol"].default is WORCESTERSHIRE


def test_contract_store_constructors_keyword_only() -> None:
    for store in (InMemoryStore, SqlAlchemyStore):
        parameters = inspect.signature(store).parameters
        for name in ("authority", "calendar", "protocols"):
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


# == Triggers: order of checks, roles, read-only case ============================================
def test_contract_checks_stage_then_actor_then_rules() -> None:
    case = opened()
    with pytest.raises(IllegalTransition) as stage:
        case.start_placement(by=ADMISSIONS, on=CONSENTED)
    assert (stage.value.trigger, stage.value.stage) == ("start_placement", Stage.PROPOSED)
    with pytest.raises(NotPermitted) as actor:
        case.record_consent(consent(agrees=False), by=AP_STAFF, on=CONSENTED)
    assert (actor.value.trigger, actor.value.actor) == ("record_consent", AP_STAFF)
    before = snapshot(case)
    with pytest.raises(GuardFailed) as rules:
        case.record_consent(consent(agrees=False, consent_to_share=False), by=AP_HEAD, on=CONSENTED)
    assert len(rules.value.reasons) == 2  # every unmet condition, not the first
    assert snapshot(case) == before


def test_contract_case_is_read_only() -> None:
    case = planned()
    for name in ("stage", "case_id", "pupil", "host_school", "protocol"):
        with pytest.raises(AttributeError):
            setattr(case, name, None)
    with pytest.raises(TypeError):
        case.history[-1].data["meeting"]["held_on"] = "2020-01-01"  # type: ignore[index]
    assert next(t.trigger for t in case.history) == "open"


def test_contract_emergency_review_by_host_staff_letter_names_head() -> None:
    case = in_placement()
    case.call_emergency_review("Left the site.", by=HOST_STAFF, on=EMERGENCY_CALLED)
    case.hold_emergency_review(emergency_meeting(), letter(), by=HOST_STAFF, on=EMERGENCY_HELD)
    assert case.stage is Stage.ENDING
    assert case.dual_registered


# == Rules at their boundaries ===================================================================
def test_contract_r2_signed_on_the_day_and_child_agreement() -> None:
    opened().record_consent(consent(signed_on=CONSENTED), by=AP_HEAD, on=CONSENTED)
    with pytest.raises(GuardFailed):
        opened().record_consent(consent(signed_on=CONSENTED + DAY), by=AP_HEAD, on=CONSENTED)
    with pytest.raises(GuardFailed):
        opened().record_consent(consent(child_agrees=False), by=AP_HEAD, on=CONSENTED)
    case = opened()
    case.record_consent(consent(child_agrees=None), by=AP_HEAD, on=CONSENTED)
    assert [d.rule for d in case.departures] == ["R2"]


@pytest.mark.parametrize(
    ("psp", "accepted"),
    [
        (PastoralSupportPlan(REFERRED), True),
        (PastoralSupportPlan(REFERRED + DAY), False),
        (PastoralSupportPlan(D(2025, 9, 1), REFERRED), True),
        (PastoralSupportPlan(D(2025, 9, 1), REFERRED - DAY), False),
    ],
)
def test_contract_r3_psp_inclusive_ends(psp: PastoralSupportPlan, accepted: bool) -> None:
    case = consented()
    if accepted:
        case.refer_to_fair_access(ReferralRoute.PANEL, information(), psp, by=AP_HEAD, on=REFERRED)
    else:
        with pytest.raises(GuardFailed):
            case.refer_to_fair_access(
                ReferralRoute.PANEL, information(), psp, by=AP_HEAD, on=REFERRED
            )


def test_contract_r4_looked_after_and_key_stage_4_evidence() -> None:
    pupil = Pupil(PUPIL.name, PUPIL.date_of_birth, key_stage=4, looked_after=True)
    case = consented(pupil=pupil)
    with pytest.raises(GuardFailed) as refused:
        case.refer_to_fair_access(ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=REFERRED)
    assert len(refused.value.reasons) == 2


def test_contract_r5_twenty_school_days_not_counting_the_referral_day() -> None:
    case = referred()
    (deadline,) = case.deadlines
    assert deadline.kind is DeadlineKind.PLACE_OFFER
    assert CALENDAR.school_days_between(REFERRED, deadline.due) == 20
    assert (
        not CALENDAR.is_school_day(deadline.due - DAY)
        or CALENDAR.school_days_between(REFERRED, deadline.due - DAY) == 19
    )
    late = deadline.due + 3 * DAY
    case.identify_host("Another High School", ReferralRoute.PANEL, by=ADMISSIONS, on=late)
    assert case.deadlines[0].met_on == late > case.deadlines[0].due  # breached, recorded
    assert [d.rule for d in case.departures] == ["R5"]  # not a preferred school


def test_contract_r6_virtual_note() -> None:
    case = referred(route=ReferralRoute.VIRTUAL)
    assert [(o.kind, o.owner) for o in case.obligations] == [
        (ObligationKind.NOTE_AT_PANEL, Party.LA)
    ]
    case.note_at_panel(by=ADMISSIONS, on=REFERRED)
    with pytest.raises(GuardFailed):
        case.note_at_panel(by=ADMISSIONS, on=REFERRED)
    with pytest.raises(IllegalTransition):
        consented().note_at_panel(by=ADMISSIONS, on=REFERRED)


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"final_review": START + 42 * DAY}, True),
        ({"final_review": START + 43 * DAY}, False),
        ({"first_review": START}, False),
        ({"ap_support": ""}, False),
        ({"signatures": frozenset({Party.PARENT, Party.CHILD, Party.AP})}, False),
        ({"child_present": False}, False),
    ],
)
def test_contract_r7_boundaries(changes: dict[str, object], accepted: bool) -> None:
    case = host_identified()
    meeting = initial_meeting(**changes)
    if accepted:
        case.hold_initial_meeting(meeting, views(), by=AP_STAFF, on=MEETING)
        kinds = [d.kind for d in case.deadlines][1:]
        assert kinds == [
            DeadlineKind.FIRST_REVIEW,
            DeadlineKind.SECOND_REVIEW,
            DeadlineKind.FINAL_REVIEW,
        ]
    else:
        with pytest.raises(GuardFailed):
            case.hold_initial_meeting(meeting, views(), by=AP_STAFF, on=MEETING)


def test_contract_r7_views_on_the_meeting_day() -> None:
    case = host_identified()
    case.hold_initial_meeting(
        initial_meeting(), ChildViews(gathered_on=MEETING), by=AP_STAFF, on=MEETING
    )


def test_contract_r8_dual_registration_by_stage() -> None:
    case = prepare(planned())
    assert not case.dual_registered
    case.start_placement(by=HOST_STAFF, on=START)
    assert case.dual_registered
    assert {o.kind for o in case.obligations} >= {
        ObligationKind.COMPLETE_JOINERS_FORM,
        ObligationKind.MARK_DUAL_REGISTRATION,
    }


def test_contract_r9_parties_and_departures() -> None:
    case = in_placement()
    with pytest.raises(GuardFailed):
        case.hold_review(review(FIRST_REVIEW, attendees=EVERYONE[:2]), by=AP_STAFF, on=FIRST_REVIEW)
    case.hold_review(review(FIRST_REVIEW, attendees=EVERYONE[:3]), by=AP_STAFF, on=FIRST_REVIEW)
    assert [d.rule for d in case.departures] == ["R9"]  # the child absent
    with pytest.raises(GuardFailed):
        case.hold_review(
            review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.END),
            by=HOST_HEAD,
            on=FINAL_REVIEW,
        )


def test_contract_r10_r11_emergency() -> None:
    case = emergency()
    with pytest.raises(GuardFailed):  # no local authority
        case.hold_emergency_review(
            emergency_meeting(attendees=EVERYONE), letter(), by=HOST_HEAD, on=EMERGENCY_HELD
        )
    with pytest.raises(GuardFailed):  # letter effective the day before
        case.hold_emergency_review(
            emergency_meeting(),
            letter(effective_date=EMERGENCY_HELD - DAY),
            by=HOST_HEAD,
            on=EMERGENCY_HELD,
        )
    case.hold_emergency_review(
        emergency_meeting(), letter(effective_date=EMERGENCY_HELD), by=HOST_HEAD, on=EMERGENCY_HELD
    )
    owed = {(o.kind, o.owner) for o in case.obligations}
    assert {
        (ObligationKind.SEND_FAILURE_LETTER, Party.HOST),
        (ObligationKind.DELETE_FROM_ROLL, Party.HOST),
        (ObligationKind.NOTIFY_PORTAL, Party.HOST),
        (ObligationKind.ARRANGE_HOME_SCHOOL_MEETING, Party.AP),
        (ObligationKind.CONSENT_TO_DELETION, Party.AP),
    } <= owed


def test_contract_r13_r17_success() -> None:
    case = made_permanent(permanent_from=PERMANENT_FROM)
    with pytest.raises(GuardFailed):
        case.record_successful_outcome(
            SuccessfulOutcome(START, True), by=HOST_HEAD, on=PERMANENT_FROM - DAY
        )
    assert case.weighting_adjustments == {}
    case.record_successful_outcome(SuccessfulOutcome(START, True), by=HOST_HEAD, on=PERMANENT_FROM)
    assert case.weighting_adjustments == {HOST_SCHOOL: 3, AP_SETTING: -3}
    assert not case.dual_registered
    assert ObligationKind.COMPLETE_JOINERS_FORM not in {o.kind for o in case.obligations}
    with pytest.raises(GuardFailed, match="9\\(1\\)\\(c\\)\\(ii\\)"):
        case.discharge(ObligationKind.DELETE_FROM_ROLL, by=AP_HEAD, on=PERMANENT_FROM)
    case.discharge(ObligationKind.CONSENT_TO_DELETION, by=HOST_STAFF, on=PERMANENT_FROM)
    case.discharge(ObligationKind.DELETE_FROM_ROLL, by=AP_STAFF, on=PERMANENT_FROM)


def test_contract_r14_r16() -> None:
    with pytest.raises(GuardFailed):
        planned().withdraw("   ", by=PARENT, on=MEETING)
    with pytest.raises(IllegalTransition):
        in_placement().withdraw("Moved away", by=AP_HEAD, on=START)
    with pytest.raises(GuardFailed):
        opened().record_consent(consent(), by=AP_HEAD, on=D(9999, 12, 31))
    with pytest.raises(GuardFailed):
        consented().refer_to_fair_access(
            ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=CONSENTED - DAY
        )


def test_contract_r15_organisations() -> None:
    stranger = Actor("x", "Kit Stranger", Role.AP_HEAD, "Another Learning Centre")
    with pytest.raises(NotPermitted):
        opened().record_consent(consent(), by=stranger, on=CONSENTED)


def test_contract_refusal_on_calendar_end_changes_nothing() -> None:
    case = Reintegration.open("n", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    with pytest.raises(CalendarError):
        case.refer_to_fair_access(ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=REFERRED)
    assert case.stage is Stage.CONSENTED
    assert len(case.history) == 2


# == Protocols ===================================================================================
@pytest.mark.parametrize(
    "changes",
    [
        {"place_offer_school_days": 0},
        {"review_weeks": (2, 2, 6)},
        {"review_weeks": (2, 4, 7)},
        {"roles": {**WORCESTERSHIRE.roles, "withdraw": frozenset()}},
    ],
)
def test_contract_protocol_definition_errors(changes: dict[str, object]) -> None:
    with pytest.raises(ProtocolDefinitionError):
        attrs.evolve(WORCESTERSHIRE, version="x", **changes)


def test_contract_protocol_file_unknown_key_with_line(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text(
        'id = "shire"\nversion = "1"\ntitle = "T"\nsource = "S"\n'
        "effective_from = 2025-09-01\nbogus = 1\n"
    )
    with pytest.raises(ProtocolDefinitionError) as error:
        Protocol.from_file(file)
    assert (error.value.field, error.value.line) == ("bogus", 6)


def test_contract_unknown_protocol_on_replay() -> None:
    other = attrs.evolve(WORCESTERSHIRE, id="shire", version="1")
    case = Reintegration.open(
        "p", PUPIL, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED, protocol=other
    )
    with pytest.raises(UnknownProtocol):
        Reintegration.replay(case.history, CALENDAR)
    assert Reintegration.replay(case.history, CALENDAR, [other]).protocol == other


# == Stores ======================================================================================
@pytest.fixture(params=["memory", "sqlite", "postgresql", "mariadb"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "memory":
        yield None
        return
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'k.sqlite'}"
        return
    from store_contract import reachable_engine, reset_database

    url = request.getfixturevalue(
        "postgres_url" if request.param == "postgresql" else "mariadb_url"
    )
    engine = reachable_engine(url)
    reset_database(engine)
    yield url
    reset_database(engine)
    engine.dispose()


_OPEN: list[SqlAlchemyStore] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    """Close every SQL store a test made (their pooled connections otherwise warn)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def _sql(url: str, **options: object) -> SqlAlchemyStore:
    store = SqlAlchemyStore(url, **options)  # type: ignore[arg-type]
    _OPEN.append(store)
    return store


def _store(url: str | None, **options: object) -> InMemoryStore | SqlAlchemyStore:
    if url is None:
        return InMemoryStore(calendar=CALENDAR, **options)  # type: ignore[arg-type]
    store = _sql(url, calendar=CALENDAR, **options)
    store.create_schema()
    store.create_schema()  # idempotent
    return store


def test_contract_store_save_load_noop_conflict(store_url: str | None) -> None:
    store = _store(store_url)
    case = planned()
    store.save(case)
    store.save(case)  # a retried save is a no-op
    assert len(store.history("case-b")) == 5
    loaded = store.load("case-b")
    assert loaded == case
    elsewhere = InMemoryStore(calendar=CALENDAR)
    elsewhere.save(loaded)  # saves whole into another store
    assert len(elsewhere.history("case-b")) == 5
    rival = planned()
    rival.withdraw("Family moved away", by=AP_HEAD, on=START)
    prepare(loaded).start_placement(by=HOST_HEAD, on=START)
    store.save(loaded)
    with pytest.raises(ConcurrentUpdate):
        store.save(rival)
    with pytest.raises(CaseNotFound):
        store.load("case-b", OPENED - DAY)
    assert store.load("case-b", START - DAY).stage is Stage.PLANNED
    assert store.load("case-b", START).stage is Stage.IN_PLACEMENT
    assert store.taken(["case-b", "nope"]) == {"case-b"}
    [summary] = store.cases(school=HOST_SCHOOL, text="ALEX")
    assert summary.stage is Stage.IN_PLACEMENT
    assert summary.opened_on == OPENED
    assert store.verify() == []


def test_contract_store_weightings_inclusive_and_due(store_url: str | None) -> None:
    store = _store(store_url)
    case = made_permanent(permanent_from=PERMANENT_FROM)
    case.record_successful_outcome(
        SuccessfulOutcome(PERMANENT_FROM, True), by=HOST_HEAD, on=PERMANENT_FROM
    )
    store.save(case)
    assert store.weightings(PERMANENT_FROM, PERMANENT_FROM) == {HOST_SCHOOL: 3, AP_SETTING: -3}
    assert store.weightings(PERMANENT_FROM + DAY, PERMANENT_FROM + 30 * DAY) == {}
    due = store.due(PERMANENT_FROM)
    assert all(isinstance(item.kind, ObligationKind) for item in due)  # final: no deadlines
    dated = [item.due for item in due if item.due is not None]
    assert dated == sorted(dated)
    assert due[: len(dated)] == [i for i in due if i.due is not None]


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_contract_store_authority_scope(store_url: str) -> None:
    """The in-memory store is scoped when it is made; a SQL store's scope is its `authority`."""
    store = _store(store_url)
    store.save(opened())
    other = _sql(store_url, authority="Other Council", calendar=CALENDAR)
    with pytest.raises(CaseNotFound):
        other.load("case-b")
    with pytest.raises(NotPermitted):
        other.save(consented())
    assert other.cases() == []
    assert len(store.history("case-b")) == 1
