"""Four complete example cases on the sample calendar, with invented people and schools.

`reintegration-fsm demo` runs them into a store: one reintegration that succeeds, one that ends
after an emergency review, one withdrawn before the placement, and one whose place offer came
after the twenty-school-day deadline. Every name here is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Protocol

import attrs

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CaseNotFound
from reintegration_fsm.forms import (
    Attendee,
    ChildViews,
    ConsentForm,
    FailureLetter,
    InitialMeeting,
    Measure,
    PastoralSupportPlan,
    Professional,
    Pupil,
    ReintegrationInformation,
    ReintegrationTimetable,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.vocabulary import (
    Actor,
    Evidence,
    ObligationKind,
    Party,
    Rating,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
    Role,
    Session,
)

AP_SETTING = "Larkspur Learning Centre"
AUTHORITY = "Exampleshire County Council"
HOST_A = "Hollybrook Academy"
HOST_B = "Millbridge High School"

AP_HEAD = Actor("ap-head", "Robin Ashdown", Role.AP_HEAD, AP_SETTING)
AP_STAFF = Actor("ap-staff", "Kit Marlowe-Penn", Role.AP_STAFF, AP_SETTING)
ADMISSIONS = Actor("la-admissions", "Jules Okonjo", Role.LA_ADMISSIONS, AUTHORITY)
HOST_A_HEAD = Actor("hb-head", "Sasha Redfern", Role.HOST_HEAD, HOST_A)
HOST_A_STAFF = Actor("hb-staff", "Lee Castellan", Role.HOST_STAFF, HOST_A)
HOST_B_HEAD = Actor("mb-head", "Avery Holm", Role.HOST_HEAD, HOST_B)
HOST_B_STAFF = Actor("mb-staff", "Noor Faraday", Role.HOST_STAFF, HOST_B)

D = dt.date


class Store(Protocol):
    """What the demo needs from a store."""

    def save(self, case: Reintegration) -> None: ...

    def load(self, case_id: str) -> Reintegration: ...

    def taken(self, case_ids: Iterable[str]) -> set[str]: ...


@attrs.frozen
class DemoCase:
    """One example case: its fixed id, a one-line summary, and how to run it."""

    case_id: str
    summary: str
    run: Callable[[str, SchoolCalendar], Reintegration]


def _consent(
    pupil: Pupil,
    parent: str,
    relationship: str,
    school: str,
    on: dt.date,
    child_agrees: bool | None = True,
) -> ConsentForm:
    return ConsentForm(
        child_name=pupil.name,
        child_dob=pupil.date_of_birth,
        parent_name=parent,
        relationship=relationship,
        has_parental_responsibility=True,
        other_parent_has_responsibility=False,
        other_parent_agrees=None,
        understands_reasons=True,
        agrees=True,
        consent_to_share=True,
        preferred_schools=(school,),
        signed_by=parent,
        signed_on=on,
        child_agrees=child_agrees,
        ap_setting=AP_SETTING,
    )


def _information(pupil: Pupil | None = None) -> ReintegrationInformation:
    extra = {Evidence.KS4_OPTIONS} if pupil is not None and pupil.key_stage == 4 else set()
    return ReintegrationInformation(
        attainment=Rating.SATISFACTORY,
        effort=Rating.GOOD,
        attitude_to_staff=Rating.GOOD,
        attitude_to_peers=Rating.SATISFACTORY,
        homework=Rating.POOR,
        reasons_for_success="Settled for two terms, attending well, keen on the host's courses.",
        transport_plan="Bus pass on the 27; a parent drives on wet days.",
        evidence=frozenset(
            {
                Evidence.PSP,
                Evidence.BEHAVIOUR_LOG,
                Evidence.ATTENDANCE_RECORD,
                Evidence.EXCLUSION_DATA,
                Evidence.ASSESSMENT_DATA,
                *extra,
            }
        ),
        attendance_percent=93,
        exclusions_this_year=0,
        professionals=(Professional("Dr Ivo Quill, educational psychologist", "Termly"),),
        measures_taken=(Measure("Daily check-in with a key adult", "Good"),),
        parent_involved_in_transport=True,
    )


def _views(on: dt.date, name: str) -> ChildViews:
    return ChildViews(
        gathered_on=on,
        background="I have been at Larkspur since Year 7.",
        good_at="Art, football and fixing bikes.",
        challenges_and_support="Big classes; a quiet place to go when it gets too much.",
        new_school_could_support_by="Letting me meet my key worker first.",
        aspirations="To pass my GCSEs and go to college.",
        signed_by=name,
    )


def _attendees(
    pupil: Pupil, parent: str, host_staff: Actor, *, la: bool = False
) -> tuple[Attendee, ...]:
    people = [
        Attendee(AP_STAFF.name, Party.AP),
        Attendee(host_staff.name, Party.HOST),
        Attendee(parent, Party.PARENT),
        Attendee(pupil.name, Party.CHILD),
    ]
    if la:
        people.append(Attendee(ADMISSIONS.name, Party.LA))
    return tuple(people)


def _to_placement(
    case_id: str,
    calendar: SchoolCalendar,
    pupil: Pupil,
    parent: str,
    host: str,
    host_staff: Actor,
    dates: dict[str, dt.date],
) -> Reintegration:
    """Open a case and carry it through to the start of the placement."""
    case = Reintegration.open(
        case_id, pupil, AP_SETTING, AUTHORITY, by=AP_HEAD, on=dates["open"], calendar=calendar
    )
    case.record_consent(
        _consent(pupil, parent, "Parent", host, dates["consent"]), by=AP_HEAD, on=dates["consent"]
    )
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        _information(pupil),
        PastoralSupportPlan(start=D(2025, 11, 3), summary="Half-termly PSP reviews."),
        by=AP_HEAD,
        on=dates["refer"],
    )
    case.identify_host(host, ReferralRoute.PANEL, by=ADMISSIONS, on=dates["host"])
    case.discharge(ObligationKind.SHARE_INFORMATION_WITH_HOST, by=AP_STAFF, on=dates["host"])
    case.discharge(ObligationKind.OFFER_VISIT, by=AP_STAFF, on=dates["host"])
    meeting_on = dates["meeting"]
    start = dates["start"]
    first, second, final = calendar.suggest_review_dates(start)
    case.hold_initial_meeting(
        InitialMeeting(
            held_on=meeting_on,
            parent_present=True,
            child_present=True,
            signatures=frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST}),
            start_date=start,
            transport_arrangements="Bus pass on the 27.",
            child_will="Attend every day and use the time-out card when needed.",
            school_will="Provide a key worker and a quiet room at break.",
            parent_will="Come to every review and phone the key worker weekly.",
            host_contact=f"{host_staff.name}, key worker, 01632 960000",
            first_review=first,
            second_review=second,
            final_review=final,
            ap_representative=AP_STAFF.name,
            host_representatives=host_staff.name,
            reasons="Ready for a mainstream timetable.",
            ap_support="Outreach visits twice a week for the first month.",
            start_time=dt.time(8, 45),
            timetable=ReintegrationTimetable(
                week_beginning=start - dt.timedelta(days=start.weekday()),
                monday_am=Session.HOST,
                monday_pm=Session.HOST,
                tuesday_am=Session.HOST,
                tuesday_pm=Session.AP,
                wednesday_am=Session.HOST,
                wednesday_pm=Session.HOST,
                thursday_am=Session.HOST,
                thursday_pm=Session.AP,
                friday_am=Session.HOST,
                friday_pm=Session.NONE,
            ),
        ),
        _views(meeting_on - dt.timedelta(days=2), pupil.name),
        by=AP_STAFF,
        on=meeting_on,
    )
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=AP_STAFF, on=meeting_on)
    case.start_placement(by=host_staff, on=start)
    case.discharge(ObligationKind.COMPLETE_JOINERS_FORM, by=host_staff, on=start)
    case.discharge(ObligationKind.MARK_DUAL_REGISTRATION, by=AP_STAFF, on=start)
    return case


def _review(
    case: Reintegration,
    on: dt.date,
    kind: ReviewKind,
    pupil: Pupil,
    parent: str,
    host_staff: Actor,
    decision: ReviewDecision = ReviewDecision.CONTINUE,
    permanent_from: dt.date | None = None,
) -> None:
    case.hold_review(
        ReviewMeeting(
            held_on=on,
            kind=kind,
            attendees=_attendees(pupil, parent, host_staff),
            child_views=_views(on - dt.timedelta(days=1), pupil.name),
            decision=decision,
            permanent_from=permanent_from,
            progress="Attending every day; settling into the form group.",
            outcome="Make the placement permanent."
            if decision is ReviewDecision.MAKE_PERMANENT
            else "Continue as planned.",
        ),
        by=host_staff,
        on=on,
    )
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=AP_STAFF, on=on)


def successful(case_id: str, calendar: SchoolCalendar) -> Reintegration:
    """A reintegration that succeeds: reviews on time, a permanent place at the host."""
    pupil = Pupil("Rowan Testwell", D(2012, 3, 9), key_stage=3, address="1 Example Row, Exton")
    parent = "Mina Testwell"
    dates = {
        "open": D(2026, 1, 12),
        "consent": D(2026, 1, 14),
        "refer": D(2026, 1, 19),
        "host": D(2026, 2, 2),
        "meeting": D(2026, 2, 9),
        "start": D(2026, 2, 23),
    }
    case = _to_placement(case_id, calendar, pupil, parent, HOST_A, HOST_A_STAFF, dates)
    first, second, final = calendar.suggest_review_dates(dates["start"])
    _review(case, first, ReviewKind.INTERIM, pupil, parent, HOST_A_STAFF)
    _review(case, second, ReviewKind.INTERIM, pupil, parent, HOST_A_STAFF)
    on_roll = calendar.add_school_days(final, 5)
    _review(
        case,
        final,
        ReviewKind.FINAL,
        pupil,
        parent,
        HOST_A_STAFF,
        ReviewDecision.MAKE_PERMANENT,
        permanent_from=on_roll,
    )
    case.record_successful_outcome(
        SuccessfulOutcome(date_on_roll=on_roll, joiner_form_completed=True, parent_name=parent),
        by=HOST_A_HEAD,
        on=on_roll,
    )
    case.discharge(ObligationKind.RETURN_OUTCOME_FORM, by=HOST_A_STAFF, on=on_roll)
    # R17: the host consents before the AP deletes the pupil's name from its roll.
    case.discharge(ObligationKind.CONSENT_TO_DELETION, by=HOST_A_HEAD, on=on_roll)
    case.discharge(ObligationKind.DELETE_FROM_ROLL, by=AP_STAFF, on=on_roll)
    case.discharge(ObligationKind.COMPLETE_LEAVERS_FORM, by=AP_STAFF, on=on_roll)
    return case


def ended(case_id: str, calendar: SchoolCalendar) -> Reintegration:
    """A reintegration that ends after an emergency review; the child returns to the AP."""
    pupil = Pupil("Quinn Placeholder", D(2011, 10, 2), key_stage=4, address="7 Sample Lane, Exton")
    parent = "Bea Placeholder"
    dates = {
        "open": D(2026, 1, 5),
        "consent": D(2026, 1, 7),
        "refer": D(2026, 1, 8),
        "host": D(2026, 1, 22),
        "meeting": D(2026, 1, 27),
        "start": D(2026, 2, 2),
    }
    case = _to_placement(case_id, calendar, pupil, parent, HOST_B, HOST_B_STAFF, dates)
    first, _, _ = calendar.suggest_review_dates(dates["start"])
    _review(case, first, ReviewKind.INTERIM, pupil, parent, HOST_B_STAFF)
    called = calendar.add_school_days(first, 5)
    case.call_emergency_review(
        "Three serious incidents in one week, the last one a fight.", by=HOST_B_HEAD, on=called
    )
    held = calendar.add_school_days(called, 2)
    effective = calendar.add_school_days(held, 1)
    case.hold_emergency_review(
        ReviewMeeting(
            held_on=held,
            kind=ReviewKind.EMERGENCY,
            attendees=_attendees(pupil, parent, HOST_B_STAFF, la=True),
            child_views=_views(held - dt.timedelta(days=1), pupil.name),
            concerns="Repeated fights at lunchtime; Quinn says the move came too soon.",
            additional_support="A key worker at lunchtimes and a part-time timetable were "
            "considered; the meeting judged them too late to avoid failure.",
            decision=ReviewDecision.END,
            outcome="End the reintegration; return to Larkspur with a new PSP.",
        ),
        FailureLetter(
            parent_name=parent,
            reasons=("Quinn was involved in three fights in one week, despite the support below.",),
            incident_investigated=True,
            harassment_checked=True,
            child_version_heard=True,
            support_provided=(
                "Daily mentoring with a key worker",
                "A reduced timetable for the first fortnight",
            ),
            effective_date=effective,
            head_teacher=HOST_B_HEAD.name,
            home_head_teacher=AP_HEAD.name,
        ),
        by=HOST_B_HEAD,
        on=held,
    )
    case.discharge(ObligationKind.SEND_FAILURE_LETTER, by=HOST_B_HEAD, on=held)
    case.record_unsuccessful_outcome(
        UnsuccessfulOutcome(
            provision_for_return="Full-time place at Larkspur with a new PSP.",
            return_date=effective,
            completed_by=AP_HEAD.name,
            parent_name=parent,
        ),
        by=AP_HEAD,
        on=effective,
    )
    return case


def withdrawn(case_id: str, calendar: SchoolCalendar) -> Reintegration:
    """A reintegration withdrawn by the parent after a virtual approach to the panel."""
    pupil = Pupil("Ellis Sampleton", D(2013, 6, 21), key_stage=3)
    parent = "Pat Sampleton"
    case = Reintegration.open(
        case_id, pupil, AP_SETTING, AUTHORITY, by=AP_HEAD, on=D(2026, 2, 2), calendar=calendar
    )
    case.record_consent(
        _consent(pupil, parent, "Father", HOST_A, D(2026, 2, 3)), by=AP_HEAD, on=D(2026, 2, 4)
    )
    case.refer_to_fair_access(
        ReferralRoute.VIRTUAL,
        _information(),
        PastoralSupportPlan(start=D(2025, 12, 1)),
        by=AP_HEAD,
        on=D(2026, 2, 5),
    )
    case.note_at_panel(by=ADMISSIONS, on=D(2026, 2, 12))
    parent_actor = Actor("parent-sampleton", parent, Role.PARENT, "")
    case.withdraw(
        "The family is moving out of the county at Easter.", by=parent_actor, on=D(2026, 2, 24)
    )
    return case


def late_offer(case_id: str, calendar: SchoolCalendar) -> Reintegration:
    """A case whose place offer came after the 20-school-day deadline (breached, 15 school days).

    It also shows two departures: the child's own agreement was not recorded on the consent
    form, and the panel placed the child at a school the family had not asked for.
    """
    pupil = Pupil("Morgan Exemplar", D(2012, 11, 30), key_stage=3, looked_after=False)
    parent = "Sky Exemplar"
    case = Reintegration.open(
        case_id, pupil, AP_SETTING, AUTHORITY, by=AP_HEAD, on=D(2026, 2, 23), calendar=calendar
    )
    case.record_consent(
        _consent(pupil, parent, "Carer", HOST_A, D(2026, 2, 24), child_agrees=None),
        by=AP_HEAD,
        on=D(2026, 2, 25),
    )
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        _information(),
        PastoralSupportPlan(start=D(2026, 1, 5)),
        by=AP_HEAD,
        on=D(2026, 3, 2),
    )
    # Due 20 school days after 2 March, past the Easter holiday; the panel only met later.
    case.identify_host(HOST_B, ReferralRoute.PANEL, by=ADMISSIONS, on=D(2026, 5, 5))
    return case


CASES: tuple[DemoCase, ...] = (
    DemoCase("DEMO-0001", "succeeds: a permanent place at the host school", successful),
    DemoCase("DEMO-0002", "ends after an emergency review", ended),
    DemoCase("DEMO-0003", "withdrawn by the parent before a host was found", withdrawn),
    DemoCase("DEMO-0004", "the place offer came after the 20-school-day deadline", late_offer),
)
"""The demo's cases, in the order they are shown."""


@attrs.frozen
class DemoResult:
    """A demo case as it stands in the store, and whether this run created it."""

    demo: DemoCase
    case: Reintegration
    created: bool


def run(store: Store, calendar: SchoolCalendar | None = None) -> list[DemoResult]:
    """Run every demo case into `store`, skipping those it already holds.

    Args:
        store: where the cases go.
        calendar: the calendar the cases run on (default: the sample calendar).

    Raises:
        ConcurrentUpdate: a demo case's id is another case's (no demo case is written).
        NotPermitted: it is another authority's case, in a store scoped to the demo's.
    """
    calendar = calendar or SchoolCalendar.sample()
    taken = store.taken(demo.case_id for demo in CASES)  # of any authority: ids are store-wide
    found: list[tuple[DemoCase, Reintegration, Reintegration | None]] = []
    for demo in CASES:  # every id first: none is written while one is another case's
        case = demo.run(demo.case_id, calendar)
        stored: Reintegration | None = None
        if demo.case_id in taken:
            try:
                stored = store.load(demo.case_id)
            except CaseNotFound:  # another authority's, which this store may not show
                store.save(case)  # refused, saying so
            if stored is not None and stored.history[0] != case.history[0]:
                store.save(case)  # refused: the id is another case's, which says so
        found.append((demo, case, stored))
    results = []
    for demo, case, stored in found:
        if stored is None:
            store.save(case)
        results.append(DemoResult(demo, case if stored is None else stored, stored is None))
    return results
