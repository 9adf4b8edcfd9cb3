"""The numbers officers and panels act on, held against an oracle worked out by hand
(tests/figures_oracle.py): the report's figures, the Fair Access weightings and the due list,
for generated caseloads and for the edge cases a panel meets (a year's first and last day, the
20th school day and the 21st, holidays inside the count, several authorities in one store, a
school's name written two ways); and the CLI's `weightings`, `report` and `due` on SQLite,
after an `import` of the histories, as an officer would run them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import figures_oracle as oracle
import scenario
from reintegration_fsm import (
    Actor,
    Attendee,
    ChildViews,
    FailureLetter,
    InMemoryStore,
    Party,
    PastoralSupportPlan,
    Pupil,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    Role,
    SchoolCalendar,
    SqlAlchemyStore,
    Stage,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.cli import cli
from reintegration_fsm.fields import folded_name
from reintegration_fsm.reports import Period, academic_year, figures
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from reintegration_fsm.testing import AUTHORITIES, play, protocol_runs

CALENDAR = SchoolCalendar.sample()
DAYS = oracle.SchoolDays(CALENDAR.terms, CALENDAR.closures)
YEARS = (academic_year("2025/26"), academic_year("2026/27"))
FIRST, SECOND = AUTHORITIES
AP = "Testwood Learning Centre"
OTHER_AP = "Sampleton AP Hub"
HOST = "Fakeham Academy"
D = dt.date
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Store = InMemoryStore | SqlAlchemyStore


# -- comparing the library with the oracle ------------------------------------------------------
def histories(store: Store) -> dict[str, Sequence[Any]]:
    return {s.case_id: store.history(s.case_id) for s in store.cases()}


def report_agrees(
    store: Store, period: Period, on: dt.date, school: str | None = None
) -> dict[str, Any]:
    """The library's figures for the store's cases as they stood on `on` equal the oracle's;
    the oracle's figures, for a test to hold against what a panel expects."""
    held = histories(store)
    loaded = [store.load(i, as_of=on) for i, h in held.items() if h[0].on <= on]
    found = figures(loaded, period, on=on, school=school, calendar=CALENDAR)
    expected = oracle.report(
        [oracle.read(h, DAYS, on) for h in held.values()],
        period.start,
        period.end,
        on,
        DAYS,
        school,
    )
    assert oracle.library_view(found.to_json()) == expected
    return expected


def weightings_agree(store: Store, start: dt.date, end: dt.date) -> dict[str, int]:
    expected = oracle.weightings(histories(store).values(), start, end)
    assert store.weightings(start, end) == expected
    return expected


def due_agrees(store: Store, on: dt.date) -> list[tuple[Any, ...]]:
    found = store.due(on)
    listed = [
        (i.case_id, i.kind.value, i.due, i.item, None if i.owner is None else i.owner.value)
        for i in found
    ]
    dated = [i.due for i in found if i.due is not None]
    assert dated == sorted(dated)  # soonest first
    assert all(i.due is None for i in found[len(dated) :])  # undated ones last
    expected = oracle.due([oracle.read(h, DAYS) for h in histories(store).values()], on)
    assert sorted(listed, key=oracle.due_order) == expected
    return expected


# -- a case built step by step, on dates a test chooses ---------------------------------------
def actor(role: Role, organisation: str) -> Actor:
    return Actor(f"{role.value}-{len(organisation)}", f"A {role.value}", role, organisation)


def views(on: dt.date) -> ChildViews:
    return ChildViews(gathered_on=on, good_at="Art.", aspirations="College.", signed_by="Child")


def attendees(*, la: bool = False) -> tuple[Attendee, ...]:
    parties = [Party.AP, Party.HOST, Party.PARENT, Party.CHILD] + ([Party.LA] if la else [])
    return tuple(Attendee(f"A {p.value}", p) for p in parties)


INFORMATION = scenario.information()


def referred(
    case_id: str, referred_on: dt.date, *, authority: str = FIRST, ap: str = AP, host: str = HOST
) -> Reintegration:
    """A case opened two school days before `referred_on` and referred to Fair Access then."""
    pupil = Pupil("Alex Example", D(2012, 3, 4), key_stage=3)
    head = actor(Role.AP_HEAD, ap)
    opened = CALENDAR.add_school_days(CALENDAR.first_day, 1)
    while CALENDAR.add_school_days(opened, 2) < referred_on:
        opened = CALENDAR.add_school_days(opened, 1)
    case = Reintegration.open(case_id, pupil, ap, authority, by=head, on=opened, calendar=CALENDAR)
    signed = CALENDAR.add_school_days(opened, 1)
    case.record_consent(
        scenario.consent(
            child_name=pupil.name,
            child_dob=pupil.date_of_birth,
            preferred_schools=(host,),
            signed_on=signed,
        ),
        by=head,
        on=signed,
    )
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        INFORMATION,
        PastoralSupportPlan(start=CALENDAR.first_day),
        by=head,
        on=referred_on,
    )
    return case


def offered(case: Reintegration, host: str, on: dt.date) -> Reintegration:
    admissions = actor(Role.LA_ADMISSIONS, case.local_authority)
    case.identify_host(host, ReferralRoute.PANEL, by=admissions, on=on)
    return case


def placed(case: Reintegration, meeting_on: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """Hold the initial meeting and start the placement a week later: the review dates."""
    assert case.host_school is not None
    start = CALENDAR.add_school_days(meeting_on, 5)
    reviews = CALENDAR.suggest_review_dates(start)
    case.hold_initial_meeting(
        scenario.initial_meeting(
            held_on=meeting_on,
            start_date=start,
            first_review=reviews[0],
            second_review=reviews[1],
            final_review=reviews[2],
        ),
        views(meeting_on),
        by=actor(Role.AP_STAFF, case.ap_setting),
        on=meeting_on,
    )
    case.start_placement(by=actor(Role.HOST_STAFF, case.host_school), on=start)
    return reviews


def review(case: Reintegration, on: dt.date, kind: ReviewKind, **more: Any) -> None:
    assert case.host_school is not None
    meeting = ReviewMeeting(
        held_on=on, kind=kind, attendees=attendees(), child_views=views(on), **more
    )
    case.hold_review(meeting, by=actor(Role.HOST_STAFF, case.host_school), on=on)


def moved(
    case_id: str, moved_on: dt.date, *, host: str = HOST, authority: str = FIRST, ap: str = AP
) -> Reintegration:
    """A permanent move dated `moved_on`: referred three months before, every step on time."""
    referral = CALENDAR.add_school_days(moved_on - dt.timedelta(days=100), 1)
    case = offered(
        referred(case_id, referral, authority=authority, ap=ap, host=host),
        host,
        CALENDAR.add_school_days(referral, 5),
    )
    first, second, final = placed(case, CALENDAR.add_school_days(referral, 8))
    review(case, first, ReviewKind.INTERIM)
    review(case, second, ReviewKind.INTERIM)
    decision = ReviewDecision.MAKE_PERMANENT
    review(case, final, ReviewKind.FINAL, decision=decision, permanent_from=moved_on)
    case.record_successful_outcome(
        SuccessfulOutcome(date_on_roll=moved_on, joiner_form_completed=True),
        by=actor(Role.HOST_HEAD, host),
        on=moved_on,
    )
    return case


def ended(case_id: str, referral: dt.date) -> Reintegration:
    """A placement ended at an emergency review after its first review, then recorded
    unsuccessful on the letter's effective date."""
    case = offered(referred(case_id, referral), HOST, CALENDAR.add_school_days(referral, 5))
    first, _, _ = placed(case, CALENDAR.add_school_days(referral, 8))
    review(case, first, ReviewKind.INTERIM)
    head = actor(Role.HOST_HEAD, HOST)
    called = CALENDAR.add_school_days(first, 2)
    case.call_emergency_review("Serious incidents.", by=head, on=called)
    held = CALENDAR.add_school_days(called, 2)
    effective = CALENDAR.add_school_days(held, 1)
    case.hold_emergency_review(
        ReviewMeeting(
            held_on=held,
            kind=ReviewKind.EMERGENCY,
            attendees=attendees(la=True),
            child_views=views(held),
            concerns="Repeated incidents.",
            decision=ReviewDecision.END,
        ),
        FailureLetter(
            parent_name="Sam Example",
            reasons=("Repeated incidents despite support.",),
            incident_investigated=True,
            harassment_checked=True,
            child_version_heard=True,
            support_provided=("A key worker",),
            effective_date=effective,
            head_teacher=head.name,
        ),
        by=head,
        on=held,
    )
    case.record_unsuccessful_outcome(
        UnsuccessfulOutcome(
            provision_for_return="A full-time AP place.",
            return_date=effective,
            completed_by="A head",
        ),
        by=actor(Role.AP_HEAD, AP),
        on=effective,
    )
    return case


def stored(*cases: Reintegration, store: Store | None = None) -> Store:
    into = InMemoryStore(calendar=CALENDAR) if store is None else store
    for case in cases:
        into.save(case)
    return into


# -- the oracle's own footing -------------------------------------------------------------------
def test_the_oracle_counts_school_days_as_the_calendar_does() -> None:
    """The hand count (terms, bank holidays, closures) gives every deadline the calendar
    gives: otherwise a disagreement below could be the oracle's."""
    day = CALENDAR.first_day
    while day <= CALENDAR.last_day - dt.timedelta(days=60):
        for n in (1, 5, 19, 20, 21):
            assert DAYS.after(day, n) == CALENDAR.add_school_days(day, n)
        assert DAYS.between(day, day + dt.timedelta(days=45)) == CALENDAR.school_days_between(
            day, day + dt.timedelta(days=45)
        )
        day += dt.timedelta(days=3)


# -- the 20 school days to an offer -------------------------------------------------------------
def test_an_offer_on_the_20th_school_day_is_within_and_on_the_21st_late() -> None:
    """Referred Monday 13 October 2025: half-term (27-31 October) and the INSET day on
    3 November are not counted, so the 20th school day is 18 November; an offer that day is
    within, the next day's is late."""
    referral = D(2025, 10, 13)
    assert DAYS.after(referral, 20) == D(2025, 11, 18)
    store = stored(
        offered(referred("OFFER-20", referral), HOST, D(2025, 11, 18)),
        offered(referred("OFFER-21", referral), HOST, D(2025, 11, 19)),
    )
    found = report_agrees(store, YEARS[0], YEARS[0].end)
    assert found["offers"] == {"within": 1, "breached": 1}
    assert [(o["case_id"], o["school_days"], o["within"]) for o in found["made"]] == [
        ("OFFER-20", 20, True),
        ("OFFER-21", 21, False),
    ]
    assert found["days_to_offer"] == {"16-20": 1, "21-25": 1}
    assert found["schools"][0]["school"] == HOST
    assert (found["schools"][0]["offers_within"], found["schools"][0]["offers_late"]) == (1, 1)


def test_an_offer_in_the_holiday_after_the_20th_school_day_is_late_by_the_contract() -> None:
    """Referred Friday 16 January 2026: the 20th school day is Friday 13 February, the last
    before half-term. An offer on the Monday of half-term comes after its due date, so it is
    late (PROTOCOL.md R5: breached when `met_on > due`), though no 21st school day has passed:
    it shows 20 school days, in a bar of its own past the deadline ("after-due-day"), never in
    the deadline's own bar of offers on time."""
    referral = D(2026, 1, 16)
    assert DAYS.after(referral, 20) == D(2026, 2, 13)
    store = stored(offered(referred("HALF-TERM", referral), HOST, D(2026, 2, 16)))
    found = report_agrees(store, YEARS[0], YEARS[0].end)
    assert found["offers"] == {"breached": 1}
    assert [(o["school_days"], o["within"]) for o in found["made"]] == [(20, False)]
    assert found["days_to_offer"] == {"after-due-day": 1}


def test_without_a_calendar_offers_are_counted_and_their_school_days_unknown() -> None:
    """A case loaded with no calendar, and none given: within or late still counts (its due
    date was fixed at referral), the school days are unknown, never guessed."""
    referral = D(2025, 10, 13)
    known = stored(offered(referred("NO-CALENDAR", referral), HOST, D(2025, 11, 19)))
    store = stored(*(known.load(s.case_id) for s in known.cases()), store=InMemoryStore())
    loaded = [store.load("NO-CALENDAR", as_of=YEARS[0].end)]
    found = oracle.library_view(figures(loaded, YEARS[0], on=YEARS[0].end).to_json())
    story = oracle.read(store.history("NO-CALENDAR"), DAYS)
    assert found == oracle.report([story], YEARS[0].start, YEARS[0].end, YEARS[0].end, None)
    assert (found["offers"], found["days_unknown"], found["days_to_offer"]) == (
        {"breached": 1},
        1,
        {},
    )
    assert [o["school_days"] for o in found["made"]] == [None]


def test_holidays_inside_the_count_move_the_offer_deadline() -> None:
    """Referred 27 April 2026: the May Day bank holiday and the May half-term are not school
    days, so the offer is due 2 June; awaited on that day, overdue from the next."""
    referral = D(2026, 4, 27)
    store = stored(referred("BANK-HOLIDAY", referral))
    assert DAYS.after(referral, 20) == D(2026, 6, 2)
    on_the_day = Period(D(2026, 4, 1), D(2026, 6, 2))
    found = report_agrees(store, on_the_day, on_the_day.end)
    assert (found["offers"], found["awaited"]) == ({}, 1)
    after = report_agrees(store, YEARS[0], D(2026, 6, 3))
    assert (after["offers"], after["awaited"], after["overdue_deadlines"]) == ({"overdue": 1}, 0, 1)
    assert ("BANK-HOLIDAY", "place_offer", D(2026, 6, 2), "deadline", None) in due_agrees(
        store, D(2026, 6, 2)
    )
    assert not any(i[1] == "place_offer" for i in due_agrees(store, D(2026, 6, 1)))


# -- the academic year's boundary ---------------------------------------------------------------
def test_a_permanent_move_counts_in_the_academic_year_it_is_dated() -> None:
    """31 August is the last day of 2025/26 and 1 September the first of 2026/27 (seed step 10:
    +3 in, -3 out); the case moved on 1 September spans both years."""
    store = stored(moved("MOVE-AUG31", D(2026, 8, 31)), moved("MOVE-SEP01", D(2026, 9, 1)))
    moves = {HOST: 3, AP: -3}
    assert weightings_agree(store, *[YEARS[0].start, YEARS[0].end]) == moves
    assert weightings_agree(store, YEARS[1].start, YEARS[1].end) == moves
    assert weightings_agree(store, D(2026, 8, 31), D(2026, 9, 1)) == {HOST: 6, AP: -6}
    assert weightings_agree(store, D(2026, 9, 2), YEARS[1].end) == {}
    first = report_agrees(store, YEARS[0], YEARS[0].end)
    assert (first["cases"], first["outcomes"], first["weightings"]) == (2, {"successful": 1}, moves)
    assert first["by_stage"] == {"successful": 1, "in_placement": 1}
    second = report_agrees(store, YEARS[1], D(2026, 10, 1))
    assert (second["cases"], second["outcomes"], second["weightings"]) == (
        1,
        {"successful": 1},
        moves,
    )
    assert second["made"] == []  # its offer was made in 2025/26


def test_a_case_withdrawn_before_any_host_counts_no_offer_and_no_points() -> None:
    """Withdrawn while referred, before its offer was due: an outcome of its year, no host, no
    offer owed any more, no deadline due (PROTOCOL.md: `due()` lists only what still binds)."""
    case = referred("WITHDRAWN", D(2025, 11, 10))
    case.withdraw("The family moved away.", by=actor(Role.AP_HEAD, AP), on=D(2025, 11, 28))
    store = stored(case)
    found = report_agrees(store, YEARS[0], YEARS[0].end)
    assert (found["outcomes"], found["offers"], found["awaited"]) == ({"withdrawn": 1}, {}, 0)
    assert found["success_rate"] is None
    assert [row["school"] for row in found["schools"]] == [AP]
    assert weightings_agree(store, YEARS[0].start, YEARS[0].end) == {}
    assert due_agrees(store, YEARS[1].end) == []


def test_a_placement_ended_after_an_emergency_review_is_unsuccessful_and_owes_its_deletion() -> (
    None
):
    """Ended at an emergency review: no points; the host's deletion and notice and the AP's
    consent are due on the letter's effective date, still owed after the outcome."""
    case = ended("ENDED", D(2025, 11, 10))
    store = stored(case)
    effective = case.history[-1].on
    found = report_agrees(store, YEARS[0], YEARS[0].end)
    assert found["outcomes"] == {"unsuccessful": 1}
    assert found["success_rate"] == 0.0
    assert found["emergency_reviews"] == {"called": 1, "ended": 1}
    # the host's joiners return (never discharged here), deletion and portal notice; the AP's
    # consent to the deletion
    assert found["overdue_obligations"] == {"host": 3, "ap": 1}
    assert weightings_agree(store, YEARS[0].start, YEARS[0].end) == {}
    owed = due_agrees(store, effective)
    dated = {(i[1], i[4]) for i in owed if i[2] == effective}
    assert dated == {
        ("delete_from_roll", "host"),
        ("notify_portal", "host"),
        ("consent_to_deletion", "ap"),
    }
    assert not any(i[3] == "deadline" for i in owed)  # the unheld reviews no longer bind


def test_the_reviews_of_a_placement_an_emergency_review_ended_are_neither_due_nor_overdue() -> None:
    """A placement ended at an emergency review whose outcome is not yet recorded (stage
    ENDING, review M, M6): its unheld second and final reviews are not due (no step can hold
    them, and the case stopped needing them on the meeting's day), so the report's deadlines
    overdue, the work the due list shows, count neither, as the review figures call them not
    needed rather than missed."""
    case = ended("ENDING", D(2025, 11, 10))
    ending = Reintegration.replay(case.history[:-1], CALENDAR)
    assert ending.stage is Stage.ENDING
    store = stored(ending)
    found = report_agrees(store, YEARS[0], YEARS[0].end)
    assert found["overdue_deadlines"] == 0
    assert found["reviews"].get("overdue", 0) == 0
    assert not any(i[3] == "deadline" for i in due_agrees(store, YEARS[0].end))


# -- authorities and names ----------------------------------------------------------------------
def recorded_with(case: Reintegration, name: str, written: str) -> Reintegration:
    """`case` with every text `name` written as `written`, as a history recorded before
    `identify_host` refused a school named with a space at an end (it still replays)."""
    text = json.dumps([transition_to_json(t) for t in case.history])
    text = text.replace(json.dumps(name), json.dumps(written))
    history = [transition_from_json(item) for item in json.loads(text)]
    return Reintegration.replay(history, CALENDAR)


def edge_caseload() -> list[Reintegration]:
    return [
        moved("NAME-EXACT", D(2026, 3, 20)),
        moved("NAME-CASE", D(2026, 3, 24), host=HOST.lower()),
        recorded_with(moved("NAME-SPACE", D(2026, 3, 25)), HOST, f"{HOST} "),
        moved("OTHER-LA", D(2026, 3, 26), authority=SECOND, ap=OTHER_AP),
        referred("OTHER-LA-WAITING", D(2026, 5, 4), authority=SECOND, ap=OTHER_AP),
    ]


@pytest.fixture(params=["memory", "sqlite"])
def edge_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The edge caseload in one store of both authorities: in memory or on a SQLite file."""
    if request.param == "memory":
        yield stored(*edge_caseload(), store=InMemoryStore(calendar=CALENDAR))
        return
    with SqlAlchemyStore(f"sqlite:///{tmp_path / 'figures.sqlite'}", calendar=CALENDAR) as store:
        store.create_schema()
        yield stored(*edge_caseload(), store=store)


def test_names_differing_by_case_or_a_trailing_space_are_one_school(edge_store: Store) -> None:
    """A school named in other letters' case or with a space at an end is one school to the
    rules (R5, R15), so one line of weightings, under the name of its earliest move, and one
    row of the report, under its name in the case opened first (review K, K1): it was a line
    for each spelling, on every store."""
    year = YEARS[0]
    expected = {HOST: 12, AP: -9, OTHER_AP: -3}
    assert weightings_agree(edge_store, year.start, year.end) == expected
    found = report_agrees(edge_store, year, year.end, school=f"{HOST} ")
    assert found["cases"] == 4
    assert [(row["school"], row["weighting"]) for row in found["schools"]] == [(HOST, 12)]
    assert [row["school"] for row in report_agrees(edge_store, year, year.end)["schools"]] == [
        HOST,
        OTHER_AP,
        AP,
    ]


def test_each_authority_sees_only_its_own_weightings_report_and_due_list(
    edge_store: Store,
) -> None:
    """A store scoped to an authority counts only that authority's cases; unscoped, all."""
    year = YEARS[0]
    everyone = edge_store
    first, second = everyone.for_authority(FIRST), everyone.for_authority(SECOND)
    assert weightings_agree(first, year.start, year.end) == {HOST: 9, AP: -9}
    assert weightings_agree(second, year.start, year.end) == {HOST: 3, OTHER_AP: -3}
    assert report_agrees(first, year, year.end)["cases"] == 3
    found = report_agrees(second, year, year.end)
    assert (found["cases"], found["offers"]) == (2, {"within": 1, "overdue": 1})
    assert {i[0] for i in due_agrees(second, year.end)} == {"OTHER-LA", "OTHER-LA-WAITING"}
    assert report_agrees(everyone, year, year.end)["cases"] == 5


# -- generated caseloads ------------------------------------------------------------------------
caseloads = st.lists(
    protocol_runs(CALENDAR),
    min_size=1,
    max_size=5,
    unique_by=lambda run: run.steps[0].kwargs["case_id"],
)


def telling_days(store: Store) -> list[dt.date]:
    """The days a count may turn on: each step's date, each due date and the day after it."""
    found = set()
    for history in histories(store).values():
        story = oracle.read(history, DAYS)
        found |= {t.on for t in history}
        for due in [d.due for d in story.deadlines] + [o.due for o in story.owed if o.due]:
            found |= {due, due + dt.timedelta(days=1)}
    return sorted(found)


def a_day(data: st.DataObject, store: Store, low: dt.date, high: dt.date) -> dt.date:
    """A day from `low` to `high`: often one a count turns on, else any."""
    near = [day for day in telling_days(store) if low <= day <= high]
    pick = st.sampled_from(near) if near else st.nothing()
    return data.draw(st.one_of(pick, st.dates(low, high), st.just(high)))


def a_period(data: st.DataObject, store: Store) -> tuple[Period, dt.date]:
    """An academic year or any span of the calendar begun by today, and the day the figures
    are as of (the period's end, or a day inside it, as "today" is while a period runs; never
    after today, which `figures` refuses)."""
    latest = min(CALENDAR.last_day, dt.date.today())
    if data.draw(st.booleans()):
        period = data.draw(st.sampled_from([year for year in YEARS if year.start <= latest]))
    else:
        start = a_day(data, store, CALENDAR.first_day, latest)
        period = Period(start, a_day(data, store, start, CALENDAR.last_day))
    return period, a_day(data, store, period.start, min(period.end, latest))


def generated(runs: Sequence[Any], authority: str | None = None) -> InMemoryStore:
    store = InMemoryStore(calendar=CALENDAR, authority=authority)
    for run in runs:
        case = play(run, CALENDAR)
        if authority is None or case.local_authority == authority:
            store.save(case)
    return store


@PROPERTY
@given(caseloads, st.data())
def test_the_report_agrees_with_the_oracle(runs: list[Any], data: st.DataObject) -> None:
    store = generated(runs)
    found = report_agrees(store, *a_period(data, store))
    assert sum(found["by_stage"].values()) == found["cases"]


@PROPERTY
@given(caseloads, st.sampled_from(AUTHORITIES), st.data())
def test_each_authoritys_figures_agree_with_the_oracle(
    runs: list[Any], authority: str, data: st.DataObject
) -> None:
    scoped = generated(runs, authority)
    assert {s.local_authority for s in scoped.cases()} <= {authority}
    period, on = a_period(data, scoped)
    report_agrees(scoped, period, on)
    totals = weightings_agree(scoped, period.start, period.end)
    assert sum(totals.values()) == 0  # every move is +3 in and -3 out


@PROPERTY
@given(caseloads, st.data())
def test_the_weightings_and_the_due_list_agree_with_the_oracle(
    runs: list[Any], data: st.DataObject
) -> None:
    store = generated(runs)
    for year in YEARS:
        weightings_agree(store, year.start, year.end)
    on = a_day(data, store, CALENDAR.first_day, CALENDAR.last_day)
    listed = due_agrees(store, on)
    assert all(i[2] is None or i[2] <= on for i in listed)


# -- the CLI on SQLite, after an import ---------------------------------------------------------
def invoke(url: str, *args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(
        cli,
        ["--db", url, "--calendar", "sample", *args],
        env={"RFSM_DATABASE_URL": None, "RFSM_AUTHORITY": None, "RFSM_CALENDAR": None},
    )
    assert result.exit_code == code, result.output
    return result


@settings(PROPERTY, max_examples=3)
@given(caseloads)
def test_the_cli_gives_the_librarys_figures_for_imported_histories(
    tmp_path_factory: pytest.TempPathFactory, runs: list[Any]
) -> None:
    """An officer imports the histories into SQLite and runs `weightings`, `report --format
    json` and `due --format json`: the same numbers as the library and the oracle."""
    folder = tmp_path_factory.mktemp("cli")
    cases = [play(run, CALENDAR) for run in runs] + edge_caseload()
    bundle = folder / "histories.json"
    bundle.write_text(
        json.dumps([[transition_to_json(t) for t in case.history] for case in cases]),
        encoding="utf-8",
    )
    url = f"sqlite:///{folder / 'imported.sqlite'}"
    assert f"imported {len(cases)} case(s)" in invoke(url, "import", str(bundle)).stdout
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        pooled = len(store.authorities()) > 1
        for authority in (None, *AUTHORITIES):
            scope = () if authority is None else ("--authority", authority)
            scoped = store if authority is None else store.for_authority(authority)
            year = YEARS[0]
            if authority is None and pooled:  # each figure is one authority's panel's
                for command in ("weightings", "report"):
                    refused = invoke(url, command, "--year", "2025/26", code=2)
                    assert "give --authority NAME" in refused.output
            else:
                shown = json.loads(
                    invoke(
                        url, "weightings", "--year", "2025/26", *scope, "--format", "json"
                    ).stdout
                )
                totals = weightings_agree(scoped, year.start, year.end)
                assert {row["school"]: row["net_points"] for row in shown["schools"]} == totals
                ledger = scoped.ledger(year.start, year.end)
                assert [row["case_id"] for row in shown["ledger"]] == [e.case_id for e in ledger]
                for row in shown["schools"]:  # a school named in several ways is one row
                    its = [e for e in ledger if folded_name(e.school) == folded_name(row["school"])]
                    ins = sum(e.points > 0 for e in its)
                    assert (row["moves_in"], row["moves_out"]) == (ins, len(its) - ins)
                report = json.loads(
                    invoke(url, "report", "--year", "2025/26", *scope, "--format", "json").stdout
                )
                expected = report_agrees(scoped, year, year.end)
                assert oracle.library_view(report) == expected
            on = D(2026, 6, 30)
            listed = json.loads(
                invoke(url, "due", "--on", on.isoformat(), *scope, "--format", "json").stdout
            )
            expected_due = due_agrees(scoped, on)
            for row in listed:
                if row["status"] == "overdue":
                    late = DAYS.between(D.fromisoformat(row["due"]), on)
                    assert (row["late"], row["late_unit"]) == (late, "school days")
                else:
                    assert row["late"] is None
            assert (
                sorted(
                    (
                        (
                            r["case_id"],
                            r["kind"],
                            None if r["due"] is None else D.fromisoformat(r["due"]),
                            r["item"],
                            r["owner"],
                        )
                        for r in listed
                    ),
                    key=oracle.due_order,
                )
                == expected_due
            )
