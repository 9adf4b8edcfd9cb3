"""`reintegration_fsm.testing` used as an MIS vendor's test suite would use it: odd but legal
arguments, other protocols and calendars, and wrong arguments refused when called."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, Phase, find, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from reintegration_fsm import (
    WORCESTERSHIRE,
    ObligationKind,
    PastoralSupportPlan,
    Protocol,
    ProtocolDefinitionError,
    Pupil,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Role,
    SchoolCalendar,
    rules,
)
from reintegration_fsm import testing as rt
from reintegration_fsm.fields import NAME_LENGTH
from reintegration_fsm.forms import InitialMeeting, ReviewMeeting
from reintegration_fsm.protocol.definition import WORCESTERSHIRE_1
from reintegration_fsm.protocol.payloads import InitialMeetingRecord, Referral
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from test_testing import State

ON = dt.date(2026, 3, 2)


def test_a_review_kind_given_as_text_is_refused_when_called() -> None:
    """`invalid_review_meetings(kind="interim")` is refused at once, naming the strategy: a str
    enum's value equals its member, and the text once passed the check, to fail mid-draw as
    `review_meetings(kind='interim')`."""
    with pytest.raises(InvalidArgument, match=r"invalid_review_meetings\(kind='interim'\)"):
        rt.invalid_review_meetings(ON, kind="interim")


@pytest.mark.parametrize(
    "name", ["A" * NAME_LENGTH, "Weiß " * (NAME_LENGTH // 5)], ids=["longest", "sharp-s"]
)
@given(data=st.data())
def test_consent_forms_fit_a_pupil_with_the_longest_name(name: str, data: st.DataObject) -> None:
    """R2 for a pupil whose name is as long as a name may be (or grows in capitals, as "ß"
    does): the consent form drawn for them is built and passes; it once raised `FormInvalid`
    mid-draw, writing the name in capitals or with spaces around it, past the limit."""
    pupil = Pupil(name, dt.date(2012, 1, 1), key_stage=3)
    form = data.draw(rt.consent_forms(pupil, ON))
    assert rules.consent_is_complete(State(pupil), form, ON) == []
    broken, respect = data.draw(rt.invalid_consent_forms(pupil, ON))
    assert len(rules.consent_is_complete(State(pupil), broken, ON)) == 1, respect


NO_EVIDENCE = attrs.evolve(
    WORCESTERSHIRE,
    id="no-evidence",
    required_evidence=(),
    looked_after_evidence=(),
    key_stage_4_evidence=(),
)
"""A legal protocol that asks no evidence of a referral."""


@given(data=st.data(), pupil=rt.pupils())
def test_information_under_a_protocol_asking_no_evidence(data: st.DataObject, pupil: Pupil) -> None:
    """R4 under a protocol asking no evidence: the broken forms drawn are refused once; none is
    `missing_evidence`, which there is no evidence to leave out for (the draw once failed with
    hypothesis' "Cannot sample from a length-zero sequence")."""
    form, respect = data.draw(rt.invalid_reintegration_information(pupil, protocol=NO_EVIDENCE))
    assert respect != "missing_evidence"
    referral = Referral(ReferralRoute.PANEL, form, PastoralSupportPlan(ON))
    state = State(pupil, protocol=NO_EVIDENCE)
    assert len(rules.information_is_gathered(state, referral, ON)) == 1, respect


def test_missing_evidence_is_refused_when_there_is_none_to_miss() -> None:
    """Asking for `missing_evidence` where the protocol asks none is refused when called,
    naming the respect."""
    pupil = Pupil("Kit Example", dt.date(2012, 1, 1), key_stage=3)
    with pytest.raises(InvalidArgument, match=r"invalid_reintegration_information\(respect="):
        rt.invalid_reintegration_information(pupil, "missing_evidence", NO_EVIDENCE)


HEADS_DISCHARGE = frozenset({Role.AP_HEAD, Role.HOST_HEAD, Role.LA_ADMISSIONS})
HEADS_DISCHARGING = attrs.evolve(
    WORCESTERSHIRE,
    id="heads-discharge",
    roles={**WORCESTERSHIRE.roles, "discharge": HEADS_DISCHARGE},
)
"""A legal protocol in which only the heads (and the LA) record that an obligation is
discharged; one letting only the AP's roles discharge leaves the host's and the LA's
obligations open for ever, and is refused."""


@settings(max_examples=30)
@given(rt.protocol_runs(protocol=HEADS_DISCHARGING))
def test_runs_discharge_only_what_the_protocol_lets_someone_discharge(run: rt.ProtocolRun) -> None:
    """A run under a protocol letting only some roles discharge plays, every discharge by one
    of them; the draw once gave a host or LA obligation to an AP actor (`NotPermitted`)."""
    case = rt.play(run)
    assert case.stage is run.stage
    discharged = [t for t in case.history if t.trigger == "discharge"]
    assert all(t.actor.role in HEADS_DISCHARGE for t in discharged)


LATER_EDITION = attrs.evolve(
    WORCESTERSHIRE, id="exampleshire", version="2026-09", effective_from=dt.date(2026, 9, 1)
)
"""A protocol taking effect part way through the sample calendar, as a new edition does."""


@settings(max_examples=20)
@given(rt.protocol_runs(protocol=LATER_EDITION))
def test_runs_open_once_the_protocol_takes_effect(run: rt.ProtocolRun) -> None:
    """R1: a run under a protocol taking effect mid-calendar opens on or after that day and
    plays; runs once opened from the calendar's first day, and `open` was refused mid-draw."""
    assert run.steps[0].kwargs["on"] >= LATER_EDITION.effective_from
    assert rt.play(run).stage is run.stage


def test_a_protocol_of_an_earlier_edition_is_refused_when_called() -> None:
    """No case opens under it: the strategy was accepted and every draw then failed with
    `ProtocolDefinitionError` (found by a review)."""
    with pytest.raises(InvalidArgument, match=r"protocol_runs\(protocol=.*runs under edition 1"):
        rt.protocol_runs(protocol=WORCESTERSHIRE_1)


def test_a_protocol_taking_effect_after_the_calendar_is_refused_when_called() -> None:
    """A protocol taking effect too late for any run on the calendar is refused when called,
    naming `protocol`."""
    late = attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="4", effective_from=dt.date(2027, 6, 1)
    )
    with pytest.raises(InvalidArgument, match=r"protocol_runs\(protocol=.*takes effect"):
        rt.protocol_runs(protocol=late)


def academic_years(first: int, last: int) -> SchoolCalendar:
    """Six half terms a year, September `first` to July `last`."""
    terms = []
    for year in range(first, last):
        terms += [
            (dt.date(year, 9, 3), dt.date(year, 10, 23)),
            (dt.date(year, 11, 2), dt.date(year, 12, 18)),
            (dt.date(year + 1, 1, 5), dt.date(year + 1, 2, 12)),
            (dt.date(year + 1, 2, 22), dt.date(year + 1, 3, 26)),
            (dt.date(year + 1, 4, 12), dt.date(year + 1, 5, 21)),
            (dt.date(year + 1, 6, 1), dt.date(year + 1, 7, 21)),
        ]
    return SchoolCalendar(terms, source="invented for a test")


def test_runs_stay_within_a_year_of_today(clock: Callable[[dt.date], None]) -> None:
    """R16 refuses a step dated more than a year after today. On a calendar reaching further
    ahead (this year's and next year's term dates, or the sample calendar while its second year
    is more than a year away) every run drawn plays: runs were once drawn to the calendar's
    end, and `GuardFailed` came from inside the draw, or not, depending on the day the tests
    ran."""
    today = dt.date(2026, 1, 5)
    clock(today)
    calendar = academic_years(2025, 2028)

    @settings(max_examples=15)
    @given(rt.protocol_runs(), rt.protocol_runs(calendar))
    def both_play(sample_run: rt.ProtocolRun, own_run: rt.ProtocolRun) -> None:
        for run, used in ((sample_run, None), (own_run, calendar)):
            assert max(step.kwargs["on"] for step in run.steps) <= today + rules.FURTHEST_AHEAD
            assert rt.play(run, used).stage is run.stage

    both_play()


def test_a_calendar_starting_beyond_a_year_ahead_is_refused_when_called(
    clock: Callable[[dt.date], None],
) -> None:
    """A calendar whose runs R16 would refuse today is refused when called, naming it."""
    clock(dt.date(2026, 1, 5))
    with pytest.raises(InvalidArgument, match=r"protocol_runs\(calendar=.*a year after today"):
        rt.protocol_runs(academic_years(2028, 2030))


@pytest.mark.parametrize(
    "kind", [ObligationKind.DELETE_FROM_ROLL, ObligationKind.ADJUST_WEIGHTINGS], ids=str
)
def test_runs_discharge_the_duties_an_ending_opens(kind: ObligationKind) -> None:
    """A success or an ending opens half a dozen duties at once, and a run discharged at most two
    of them, so a deletion from the roll (after the other school's consent, R17) or the
    weightings came in one run in several hundred: an integrator's test of those screens
    would rarely see one. Some run among a few hundred discharges each (searched among up to
    1,000: which run comes first moves with every draw the strategies take, and edition 3's
    outcome dates take more; after other tests in the same process, 400 once found none)."""
    run = find(
        rt.protocol_runs(),
        lambda run: any(step.kwargs.get("kind") is kind for step in run.steps),
        settings=settings(
            max_examples=1000, database=None, derandomize=True, phases=[Phase.generate]
        ),
    )
    assert rt.play(run).stage is run.stage


EXAMPLESHIRE = Protocol.from_file(Path(__file__).parent.parent / "docs/examples/exampleshire.toml")


@settings(max_examples=10)
@given(rt.protocol_runs(protocol=EXAMPLESHIRE))
def test_runs_under_another_protocol_survive_the_stores(run: rt.ProtocolRun) -> None:
    """A run under a protocol other than Worcestershire's plays, replays and round-trips
    through the memory store and a SQLite `SqlAlchemyStore`, each given the protocol."""
    calendar = SchoolCalendar.sample()
    case = rt.play(run, calendar)
    assert case.protocol == EXAMPLESHIRE
    memory = InMemoryStore(calendar=calendar, protocols=(EXAMPLESHIRE,))
    memory.save(case)
    with SqlAlchemyStore("sqlite://", calendar=calendar, protocols=(EXAMPLESHIRE,)) as sql:
        sql.create_schema()
        sql.save(memory.load(case.case_id))
        assert sql.load(case.case_id) == case
        assert sql.verify() == []
    assert Reintegration.replay(memory.history(case.case_id), calendar, (EXAMPLESHIRE,)) == case


# -- runs under protocols letting a host school's roles fire steps before a host is known --------
def host_may_also(trigger: str) -> Protocol:
    """Worcestershire's protocol, with the host's head teacher also allowed to fire `trigger`
    (a host school accepting the place offer itself in `identify_host`, say)."""
    roles = {**WORCESTERSHIRE.roles, trigger: WORCESTERSHIRE.roles[trigger] | {Role.HOST_HEAD}}
    return attrs.evolve(WORCESTERSHIRE, id="my-la", version="1", roles=roles)


@pytest.mark.parametrize(
    "trigger", ["identify_host", "record_consent", "refer_to_fair_access", "withdraw"]
)
def test_runs_draw_under_a_protocol_letting_the_host_fire_an_early_step(trigger: str) -> None:
    """R15: a host school's roles cannot act before a host school is identified. Under a protocol
    letting one also fire a step that comes before (which opens cases, and which a run can follow
    by its other roles), every run drawn plays: the run once drew the host's head teacher there,
    and the draw raised `NotPermitted` from inside hypothesis (found by a review). The runs now
    never draw a host's role there, so a hundred runs show it as well as the 400 this drew
    (a quarter of this file's time in CI)."""
    protocol = host_may_also(trigger)
    assert protocol.opens_cases

    @settings(max_examples=100, database=None, derandomize=True)
    @given(rt.protocol_runs(protocol=protocol))
    def plays(run: rt.ProtocolRun) -> None:
        assert rt.play(run).stage is run.stage

    plays()


TRIGGERS = tuple(sorted(WORCESTERSHIRE.roles))


@st.composite
def role_maps(draw: st.DrawFn) -> Protocol:
    """Worcestershire's protocol with random roles for every trigger, where the library builds
    it (it refuses, say, a step only a host's roles may fire before any host is known)."""
    roles = {t: draw(st.frozensets(st.sampled_from(tuple(Role)), min_size=1)) for t in TRIGGERS}
    try:
        return attrs.evolve(WORCESTERSHIRE, id="random-roles", version="1", roles=roles)
    except ProtocolDefinitionError:
        reject()


# About two in three random role maps are ones the library refuses, which `role_maps` rejects:
# whether 50 of them come before the tenth it takes depends on how many draws each run uses.
@settings(
    max_examples=150,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(data=st.data(), protocol=role_maps())
def test_runs_play_under_any_roles_the_library_takes(
    data: st.DataObject, protocol: Protocol
) -> None:
    """Under any roles the library builds a protocol with, `protocol_runs` either refuses the
    protocol when called (no case opens under it) or draws runs that play: with random roles,
    123 of 300 draws once raised `NotPermitted` (a host school's role drawn before a host was
    known)."""
    try:
        runs = rt.protocol_runs(protocol=protocol)
    except InvalidArgument:
        assert not protocol.opens_cases
        return
    run = data.draw(runs)
    assert rt.play(run).stage is run.stage


def test_a_protocol_no_run_can_follow_is_refused_when_called() -> None:
    """A protocol letting only the host's head teacher withdraw (the library builds it, but no
    one could withdraw a case before a host school is known, so no case opens under it) is
    refused when `protocol_runs` is called, naming the step and the roles; it was refused as
    one of an earlier edition of the rules, which it is not."""
    roles = {**WORCESTERSHIRE.roles, "withdraw": frozenset({Role.HOST_HEAD})}
    protocol = attrs.evolve(WORCESTERSHIRE, id="host-withdraws", version="1", roles=roles)
    with pytest.raises(InvalidArgument) as refused:
        rt.protocol_runs(protocol=protocol)
    message = str(refused.value)
    assert "protocol_runs(protocol=" in message
    assert "roles.withdraw" in message
    assert "host_head" in message
    assert "edition" not in message


def test_a_protocol_no_case_opens_under_is_refused_for_its_own_reason() -> None:
    """A protocol of the current edition that no case opens under for another reason (a joiners'
    return later than the law's five days, which an earlier version of the library took) is
    refused naming that reason, not an earlier edition of the rules."""
    late_return = attrs.evolve(WORCESTERSHIRE, id="late-return", version="1", joiners_return_days=6)
    assert not late_return.opens_cases
    with pytest.raises(InvalidArgument, match=r"protocol_runs\(protocol=.*joiners_return_days"):
        rt.protocol_runs(protocol=late_return)


# -- dates at the ends of the range the strategies take -----------------------------------------
FIRST = dt.date(21, 1, 16)
"""The first date the strategies take (docs/testing.md)."""
LAST = dt.date(9979, 12, 16)
"""The last one."""
FORTNIGHT = dt.timedelta(days=14)
"""How far a broken meeting or review is dated from the day it is recorded, at most."""

REFUSED_AT_THE_ENDS: list[tuple[str, Callable[[], object], str]] = [
    ("invalid_initial_meetings", lambda: rt.invalid_initial_meetings(FIRST), "on"),
    ("invalid_initial_meetings", lambda: rt.invalid_initial_meetings(LAST), "on"),
    ("invalid_review_meetings", lambda: rt.invalid_review_meetings(FIRST, FIRST), "on"),
    ("invalid_review_meetings", lambda: rt.invalid_review_meetings(LAST, LAST), "on"),
    (
        "invalid_review_meetings",
        lambda: rt.invalid_review_meetings(FIRST + FORTNIGHT, FIRST),
        "started_on",
    ),
    ("invalid_emergency_reviews", lambda: rt.invalid_emergency_reviews(FIRST, FIRST), "on"),
    ("invalid_emergency_reviews", lambda: rt.invalid_emergency_reviews(LAST, LAST), "on"),
    (
        "invalid_emergency_reviews",
        lambda: rt.invalid_emergency_reviews(FIRST + FORTNIGHT, FIRST),
        "started_on",
    ),
    (
        "review_meetings",
        lambda: rt.review_meetings(ReviewKind.FINAL, started_on=LAST),
        "started_on",
    ),
]


@pytest.mark.parametrize(("name", "call", "argument"), REFUSED_AT_THE_ENDS)
def test_a_date_leaving_no_room_for_the_draw_is_refused_when_called(
    name: str, call: Callable[[], object], argument: str
) -> None:
    """A date so near an end of the range that the dates a strategy draws from it (a meeting up
    to a fortnight either side, a review up to 60 days after the start) would leave the range is
    refused when the strategy is called, naming the strategy and the argument given; the call
    once took it, and the draw failed naming an inner strategy and a date never given."""
    with pytest.raises(InvalidArgument) as refused:
        call()
    message = str(refused.value)
    assert message.startswith(f"{name}({argument}=datetime.date("), message


ALLOWED_AT_THE_ENDS: list[tuple[str, Callable[[], st.SearchStrategy[object]]]] = [
    ("initial, first", lambda: rt.invalid_initial_meetings(FIRST + FORTNIGHT)),
    ("initial, last", lambda: rt.invalid_initial_meetings(LAST - FORTNIGHT)),
    (
        "initial held after, last",
        lambda: rt.invalid_initial_meetings(LAST - FORTNIGHT, "held_after"),
    ),
    ("review, first", lambda: rt.invalid_review_meetings(FIRST + FORTNIGHT, FIRST + FORTNIGHT)),
    (
        "review before placement, first",
        lambda: rt.invalid_review_meetings(
            FIRST + FORTNIGHT, FIRST + FORTNIGHT, respect="before_placement"
        ),
    ),
    ("review, last", lambda: rt.invalid_review_meetings(LAST - FORTNIGHT, LAST - FORTNIGHT)),
    (
        "review views after, last",
        lambda: rt.invalid_review_meetings(LAST - FORTNIGHT, respect="views_after_review"),
    ),
    (
        "emergency, first",
        lambda: rt.invalid_emergency_reviews(FIRST + FORTNIGHT, FIRST + FORTNIGHT),
    ),
    ("emergency, last", lambda: rt.invalid_emergency_reviews(LAST - FORTNIGHT, LAST - FORTNIGHT)),
    (
        "final review, latest start",
        lambda: rt.review_meetings(ReviewKind.FINAL, started_on=LAST - dt.timedelta(days=60)),
    ),
    (
        "final review held on the last day",
        lambda: rt.review_meetings(ReviewKind.FINAL, held_on=LAST, started_on=LAST),
    ),
]


@pytest.mark.parametrize(
    "call",
    [call for _, call in ALLOWED_AT_THE_ENDS],
    ids=[label for label, _ in ALLOWED_AT_THE_ENDS],
)
def test_the_nearest_dates_taken_draw(call: Callable[[], st.SearchStrategy[object]]) -> None:
    """The dates nearest the ends that a strategy takes (a fortnight inside them for a broken
    meeting or review, 60 days before the last for the start of a review drawn after it) draw
    without an error, whichever respect is drawn."""
    strategy = call()

    @settings(max_examples=100, database=None, derandomize=True)
    @given(st.data())
    def draws(data: st.DataObject) -> None:
        assert data.draw(strategy) is not None

    draws()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rt.protocol_runs())
def test_runs_date_the_outcome_forms_from_their_case(run: rt.ProtocolRun) -> None:
    """`protocol_runs` drew a return to the AP anywhere from 2025 to 2027, whatever the case (a
    run opened on 2025-09-03 returned the child on 2025-09-01), and a date on roll after the day
    the form was recorded: runs edition 3 refuses (found by a review). The return is now on or
    after the day the placement ended, the date on roll not after the day recorded."""
    case = rt.play(run)
    for step in run.steps:
        form = step.kwargs.get("form")
        if step.trigger == "record_unsuccessful_outcome":
            assert case.ended_on is not None
            assert form.return_date >= case.ended_on
        elif step.trigger == "record_successful_outcome":
            assert form.date_on_roll <= step.kwargs["on"]


# -- a protocol an earlier version took, with a final-review limit past every date --------------
NO_LIMIT = attrs.evolve(
    WORCESTERSHIRE, id="no-limit", version="1", final_review_within_days=99_999_999
)
"""A protocol that loads (an author's "no limit"; docs/protocols.md: "However large, a count
loads") though no case opens under it: the cases opened under it before still run."""

UNDER_NO_LIMIT: list[tuple[str, Callable[[], st.SearchStrategy[object]]]] = [
    ("initial meeting", lambda: rt.initial_meetings(held_on=ON, protocol=NO_LIMIT)),
    (
        "final review continuing",
        lambda: rt.review_meetings(
            ReviewKind.FINAL, held_on=ON, decision=ReviewDecision.CONTINUE, protocol=NO_LIMIT
        ),
    ),
    ("broken initial meeting", lambda: rt.invalid_initial_meetings(ON, protocol=NO_LIMIT)),
    (
        "broken initial meeting starting before it",
        lambda: rt.invalid_initial_meetings(ON, "start_before_meeting", protocol=NO_LIMIT),
    ),
    (
        "broken final review",
        lambda: rt.invalid_review_meetings(ON, kind=ReviewKind.FINAL, protocol=NO_LIMIT),
    ),
    (
        "broken initial meeting, latest day",
        lambda: rt.invalid_initial_meetings(LAST - FORTNIGHT, protocol=NO_LIMIT),
    ),
]


@pytest.mark.parametrize(
    "call", [call for _, call in UNDER_NO_LIMIT], ids=[label for label, _ in UNDER_NO_LIMIT]
)
def test_forms_draw_under_a_limit_past_every_date(
    call: Callable[[], st.SearchStrategy[object]],
) -> None:
    """Under a final-review limit of 99,999,999 days the form strategies draw their review dates
    and next meetings within the limit and within Python's dates; every draw once failed with
    `OverflowError: date value out of range` (review T, T2). A broken meeting is never broken
    `final_review_too_late`, which no date can be under such a limit."""
    assert not NO_LIMIT.opens_cases
    strategy = call()
    state = State(Pupil("Kit Example", dt.date(2012, 1, 1), key_stage=3), protocol=NO_LIMIT)

    @settings(max_examples=60, database=None, deadline=None)
    @given(st.data())
    def draws(data: st.DataObject) -> None:
        drawn = data.draw(strategy)
        if isinstance(drawn, InitialMeeting):
            record = InitialMeetingRecord(drawn, data.draw(rt.child_views(before=drawn.held_on)))
            assert rules.initial_meeting_is_complete(state, record, drawn.held_on) == []
        elif isinstance(drawn, ReviewMeeting):
            assert drawn.next_meeting is not None
            assert drawn.next_meeting > drawn.held_on
            assert rules.review_is_complete(state, drawn, drawn.held_on) == []
        else:
            assert isinstance(drawn, tuple)
            _, respect = drawn
            assert respect != "final_review_too_late"

    draws()


def test_a_respect_no_date_can_break_is_refused_when_called() -> None:
    """`final_review_too_late` asked for under a limit no date lies past is refused when the
    strategy is called, naming the strategy, the argument and the limit; it was taken, and its
    draw failed with `OverflowError`."""
    with pytest.raises(InvalidArgument) as refused:
        rt.invalid_initial_meetings(ON, "final_review_too_late", protocol=NO_LIMIT)
    message = str(refused.value)
    assert message.startswith("invalid_initial_meetings(respect='final_review_too_late')"), message
    assert "final_review_within_days (99999999)" in message


def test_a_final_review_too_late_is_drawn_up_to_the_last_date() -> None:
    """A limit leaving one day past it after the latest start drawn (21 days after `on`) still
    breaks `final_review_too_late`, dating the final review on that day, the last there is; a
    limit a day longer is refused when called."""
    latest_start = ON + dt.timedelta(days=21)
    days = (dt.date.max - latest_start).days - 1
    longest = attrs.evolve(NO_LIMIT, final_review_within_days=days)
    state = State(Pupil("Kit Example", dt.date(2012, 1, 1), key_stage=3), protocol=longest)
    with pytest.raises(InvalidArgument, match=r"respect='final_review_too_late'"):
        rt.invalid_initial_meetings(
            ON,
            "final_review_too_late",
            protocol=attrs.evolve(longest, final_review_within_days=days + 1),
        )
    strategy = rt.invalid_initial_meetings(ON, "final_review_too_late", protocol=longest)

    @settings(max_examples=60, database=None, deadline=None)
    @given(st.data())
    def draws(data: st.DataObject) -> None:
        (meeting, views), _ = data.draw(strategy)
        record = InitialMeetingRecord(meeting, views)
        reasons = rules.initial_meeting_is_complete(state, record, ON)
        assert len(reasons) == 1, reasons
        assert "The final review must be within" in reasons[0], reasons

    draws()


LONG_REVIEWS = attrs.evolve(
    WORCESTERSHIRE,
    id="long-reviews",
    version="1",
    review_weeks=(10, 20, 52),
    final_review_within_days=365,
)
"""A protocol that opens cases, with a year for the final review (a long managed move)."""


def test_runs_leave_room_after_a_final_review_near_the_calendars_end(
    clock: Callable[[dt.date], None],
) -> None:
    """A final review within a window reaching past the calendar was drawn up to its last school
    day, and the steps after it (an extension, the review making the place permanent, the
    outcome; or two emergency reviews and the return) ran past the end: the draw raised
    `InvalidArgument` blaming a calendar that passed the check made when `protocol_runs` was
    called (review T, seen once on the sample calendar). Every run now draws and plays on a
    calendar closed from its third month to a fortnight before its end, on which many a final
    review fell in that last fortnight."""
    first = dt.date.today() + dt.timedelta(days=30)
    clock(first)
    last = first + dt.timedelta(days=261)
    closed = (last - dt.timedelta(days=n) for n in range(14, 150))
    calendar = SchoolCalendar(
        [(first, last)], dict.fromkeys(closed, "Closed for rebuilding"), source="invented"
    )

    @settings(
        max_examples=100,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(rt.protocol_runs(calendar, protocol=LONG_REVIEWS))
    def plays(run: rt.ProtocolRun) -> None:
        assert rt.play(run, calendar).stage is run.stage

    plays()
