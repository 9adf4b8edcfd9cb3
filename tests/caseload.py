"""A realistic caseload for the back-office tests and the report: a year of invented cases
across three AP settings and five host schools, with every outcome, late offers, late reviews,
emergency reviews and departures. Every name is invented.

`build(calendar)` gives the cases; `store(url)` puts them, with the demo's four, in a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from reintegration_fsm import (
    Actor,
    Attendee,
    ChildViews,
    ConsentForm,
    Evidence,
    FailureLetter,
    InitialMeeting,
    ObligationKind,
    Party,
    PastoralSupportPlan,
    Pupil,
    Rating,
    ReferralRoute,
    Reintegration,
    ReintegrationInformation,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    Role,
    SchoolCalendar,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)

AUTHORITY = "Exampleshire County Council"
AP_SETTINGS = ("Larkspur Learning Centre", "Fernhill Pupil Referral Unit", "Oakbank AP Hub")
HOSTS = (
    "Hollybrook Academy",
    "Millbridge High School",
    "Castlegate School",
    "St Aldhelm's Church of England School",
    "Riverside Community College",
)
ADMISSIONS = Actor("la-admissions", "Jules Okonjo", Role.LA_ADMISSIONS, AUTHORITY)
D = dt.date


def _actor(role: Role, organisation: str) -> Actor:
    short = "".join(word[0] for word in organisation.split()).lower()
    names = {
        Role.AP_HEAD: "Robin Ashdown",
        Role.AP_STAFF: "Kit Marlowe-Penn",
        Role.HOST_HEAD: "Sasha Redfern",
        Role.HOST_STAFF: "Lee Castellan",
    }
    return Actor(f"{short}-{role.value}", names[role], role, organisation)


@attrs.frozen
class Spec:
    """One invented case: who, where, when, and how it goes."""

    case_id: str
    child: str
    born: dt.date
    ap: str
    host: str
    opened: dt.date
    offer_after: int
    """School days from referral to the host being identified."""
    ending: str
    """referred, planned, placement, success, ended, continued, withdrawn."""
    late_review: int = 0
    """School days the first review is held after its date."""
    preferred: bool = True
    child_at_review: bool = True


SPECS = (
    Spec(
        "LA-2025-001",
        "Ashton Greave",
        D(2011, 4, 2),
        AP_SETTINGS[0],
        HOSTS[0],
        D(2025, 9, 8),
        12,
        "success",
    ),
    Spec(
        "LA-2025-002",
        "Bryony Teller",
        D(2012, 1, 19),
        AP_SETTINGS[1],
        HOSTS[1],
        D(2025, 9, 15),
        18,
        "success",
    ),
    Spec(
        "LA-2025-003",
        "Caspian Moorley",
        D(2011, 7, 30),
        AP_SETTINGS[2],
        HOSTS[2],
        D(2025, 9, 22),
        26,
        "ended",
    ),
    Spec(
        "LA-2025-004",
        "Delphine Arkwright",
        D(2013, 2, 11),
        AP_SETTINGS[0],
        HOSTS[3],
        D(2025, 10, 6),
        9,
        "success",
        late_review=3,
    ),
    Spec(
        "LA-2025-005",
        "Ezra Quillfeather",
        D(2012, 9, 5),
        AP_SETTINGS[1],
        HOSTS[4],
        D(2025, 10, 13),
        21,
        "withdrawn",
    ),
    Spec(
        "LA-2025-006",
        "Farah Lindqvist",
        D(2011, 12, 24),
        AP_SETTINGS[2],
        HOSTS[0],
        D(2025, 11, 3),
        15,
        "success",
        preferred=False,
    ),
    Spec(
        "LA-2025-007",
        "Gideon Pascoe-Hale",
        D(2012, 6, 17),
        AP_SETTINGS[0],
        HOSTS[1],
        D(2025, 11, 10),
        30,
        "ended",
        child_at_review=False,
    ),
    Spec(
        "LA-2025-008",
        "Harriet Ngata",
        D(2013, 3, 8),
        AP_SETTINGS[1],
        HOSTS[2],
        D(2025, 11, 17),
        11,
        "continued",
    ),
    Spec(
        "LA-2026-009",
        "Ivo Brightwater",
        D(2011, 10, 29),
        AP_SETTINGS[2],
        HOSTS[3],
        D(2026, 1, 5),
        19,
        "success",
        late_review=2,
    ),
    Spec(
        "LA-2026-010",
        "Juno Castellane",
        D(2012, 8, 14),
        AP_SETTINGS[0],
        HOSTS[4],
        D(2026, 1, 12),
        24,
        "placement",
    ),
    Spec(
        "LA-2026-011",
        "Kieran O'Donoghue",
        D(2013, 5, 1),
        AP_SETTINGS[1],
        HOSTS[0],
        D(2026, 1, 19),
        7,
        "success",
    ),
    Spec(
        "LA-2026-012",
        "Siân Ó Briain",
        D(2012, 11, 11),
        AP_SETTINGS[2],
        HOSTS[1],
        D(2026, 2, 2),
        16,
        "placement",
        child_at_review=False,
    ),
    Spec(
        "LA-2026-013",
        "Leopold Varga",
        D(2011, 2, 27),
        AP_SETTINGS[0],
        HOSTS[2],
        D(2026, 2, 23),
        33,
        "planned",
    ),
    Spec(
        "LA-2026-014",
        "Mireille Oduya",
        D(2012, 4, 4),
        AP_SETTINGS[1],
        HOSTS[3],
        D(2026, 3, 2),
        14,
        "planned",
    ),
    Spec(
        "LA-2026-015",
        "Nico Ferreira-Blythe",
        D(2013, 7, 9),
        AP_SETTINGS[2],
        HOSTS[4],
        D(2026, 4, 20),
        0,
        "referred",
    ),
    Spec(
        "LA-2026-016",
        "Ottilie Marchbank",
        D(2012, 10, 21),
        AP_SETTINGS[0],
        HOSTS[0],
        D(2026, 5, 4),
        0,
        "referred",
    ),
)


def _information() -> ReintegrationInformation:
    return ReintegrationInformation(
        attainment=Rating.SATISFACTORY,
        effort=Rating.GOOD,
        attitude_to_staff=Rating.GOOD,
        attitude_to_peers=Rating.SATISFACTORY,
        homework=Rating.POOR,
        reasons_for_success="Attending well for two terms; keen on the host's courses.",
        transport_plan="Bus pass; a parent drives on wet days.",
        evidence=frozenset(
            {
                Evidence.PSP,
                Evidence.BEHAVIOUR_LOG,
                Evidence.ATTENDANCE_RECORD,
                Evidence.EXCLUSION_DATA,
                Evidence.ASSESSMENT_DATA,
            }
        ),
    )


def _views(on: dt.date, name: str) -> ChildViews:
    return ChildViews(
        gathered_on=on,
        good_at="Art and football.",
        challenges_and_support="Big classes; a quiet place to go.",
        aspirations="To go to college.",
        signed_by=name,
    )


def _attendees(
    spec: Spec, parent: str, host_staff: Actor, *, la: bool = False, child: bool = True
) -> tuple[Attendee, ...]:
    people = [
        Attendee("Kit Marlowe-Penn", Party.AP),
        Attendee(host_staff.name, Party.HOST),
        Attendee(parent, Party.PARENT),
    ]
    if child:
        people.append(Attendee(spec.child, Party.CHILD))
    if la:
        people.append(Attendee(ADMISSIONS.name, Party.LA))
    return tuple(people)


def _case(spec: Spec, calendar: SchoolCalendar) -> Reintegration:
    pupil = Pupil(spec.child, spec.born, key_stage=3)
    parent = f"Parent of {spec.child.split()[0]}"
    ap_head, ap_staff = _actor(Role.AP_HEAD, spec.ap), _actor(Role.AP_STAFF, spec.ap)
    host_head, host_staff = _actor(Role.HOST_HEAD, spec.host), _actor(Role.HOST_STAFF, spec.host)
    day = spec.opened
    later: Callable[[int], dt.date] = lambda n: calendar.add_school_days(day, n)  # noqa: E731
    case = Reintegration.open(
        spec.case_id, pupil, spec.ap, AUTHORITY, by=ap_head, on=day, calendar=calendar
    )
    day = later(2)
    preferred = spec.host if spec.preferred else HOSTS[(HOSTS.index(spec.host) + 1) % len(HOSTS)]
    case.record_consent(
        ConsentForm(
            child_name=pupil.name,
            child_dob=pupil.date_of_birth,
            parent_name=parent,
            relationship="Parent",
            has_parental_responsibility=True,
            other_parent_has_responsibility=False,
            other_parent_agrees=None,
            understands_reasons=True,
            agrees=True,
            consent_to_share=True,
            preferred_schools=(preferred,),
            signed_by=parent,
            signed_on=day,
            child_agrees=True,
        ),
        by=ap_head,
        on=day,
    )
    day = later(3)
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        _information(),
        PastoralSupportPlan(start=D(2025, 9, 1)),
        by=ap_head,
        on=day,
    )
    if spec.ending == "referred":
        return case
    day = later(spec.offer_after)
    case.identify_host(spec.host, ReferralRoute.PANEL, by=ADMISSIONS, on=day)
    case.discharge(ObligationKind.SHARE_INFORMATION_WITH_HOST, by=ap_staff, on=day)
    if spec.ending == "withdrawn":
        case.withdraw("The family moved out of the county.", by=ap_head, on=later(4))
        return case
    case.discharge(ObligationKind.OFFER_VISIT, by=ap_staff, on=day)
    meeting_on = day = later(4)
    start = calendar.add_school_days(meeting_on, 5)
    first, second, final = calendar.suggest_review_dates(start)
    case.hold_initial_meeting(
        InitialMeeting(
            held_on=meeting_on,
            parent_present=True,
            child_present=True,
            signatures=frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST}),
            start_date=start,
            transport_arrangements="Bus pass.",
            child_will="Attend every day.",
            school_will="Provide a key worker.",
            parent_will="Come to every review.",
            host_contact=f"{host_staff.name}, key worker",
            first_review=first,
            second_review=second,
            final_review=final,
            ap_support="Outreach visits twice a week.",
        ),
        _views(meeting_on - dt.timedelta(days=1), spec.child),
        by=ap_staff,
        on=meeting_on,
    )
    if spec.ending == "planned":
        return case
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=ap_staff, on=meeting_on)
    day = start
    case.start_placement(by=host_staff, on=start)
    case.discharge(ObligationKind.COMPLETE_JOINERS_FORM, by=host_staff, on=start)
    case.discharge(ObligationKind.MARK_DUAL_REGISTRATION, by=ap_staff, on=start)

    def review(on: dt.date, kind: ReviewKind, **more: object) -> None:
        case.hold_review(
            ReviewMeeting(
                held_on=on,
                kind=kind,
                attendees=_attendees(spec, parent, host_staff, child=spec.child_at_review),
                child_views=_views(on - dt.timedelta(days=1), spec.child),
                progress="Settling in.",
                **more,  # type: ignore[arg-type]
            ),
            by=host_staff,
            on=on,
        )

    first_held = calendar.add_school_days(first, spec.late_review)
    review(first_held, ReviewKind.INTERIM)
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=ap_staff, on=first_held)
    if spec.ending == "placement":
        return case
    if spec.ending in ("ended", "continued"):
        called = calendar.add_school_days(first_held, 3)
        case.call_emergency_review("Serious incidents at lunchtime.", by=host_head, on=called)
        held = calendar.add_school_days(called, 2)
        ending = spec.ending == "ended"
        effective = calendar.add_school_days(held, 1)
        case.hold_emergency_review(
            ReviewMeeting(
                held_on=held,
                kind=ReviewKind.EMERGENCY,
                attendees=_attendees(spec, parent, host_staff, la=True),
                child_views=_views(held - dt.timedelta(days=1), spec.child),
                concerns="Repeated incidents at lunchtime.",
                additional_support="" if ending else "A lunchtime club with a key adult.",
                decision=ReviewDecision.END if ending else ReviewDecision.CONTINUE,
            ),
            FailureLetter(
                parent_name=parent,
                reasons=("Repeated incidents at lunchtime, despite the support below.",),
                incident_investigated=True,
                harassment_checked=True,
                child_version_heard=True,
                support_provided=("Daily mentoring with a key worker",),
                effective_date=effective,
                head_teacher=host_head.name,
            )
            if ending
            else None,
            by=host_head,
            on=held,
        )
        if ending:
            case.discharge(ObligationKind.SEND_FAILURE_LETTER, by=host_head, on=held)
            case.record_unsuccessful_outcome(
                UnsuccessfulOutcome(
                    provision_for_return="Full-time place at the AP with a new PSP.",
                    return_date=effective,
                    completed_by=ap_head.name,
                ),
                by=ap_head,
                on=effective,
            )
        return case
    review(second, ReviewKind.INTERIM)
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=ap_staff, on=second)
    on_roll = calendar.add_school_days(final, 5)
    review(final, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT, permanent_from=on_roll)
    case.record_successful_outcome(
        SuccessfulOutcome(date_on_roll=on_roll, joiner_form_completed=True),
        by=host_head,
        on=on_roll,
    )
    case.discharge(ObligationKind.RETURN_OUTCOME_FORM, by=host_staff, on=on_roll)
    return case


def build(calendar: SchoolCalendar | None = None) -> list[Reintegration]:
    """The invented caseload on `calendar` (the sample calendar when None)."""
    used = calendar or SchoolCalendar.sample()
    return [_case(spec, used) for spec in SPECS]


# -- cases of the report's rules on missed deadlines (found by a review) ---------------------
def _spec(
    case_id: str, child: str, host: str, opened: dt.date, offer_after: int, ending: str
) -> Spec:
    return Spec(
        case_id, child, dt.date(2012, 3, 4), AP_SETTINGS[0], host, opened, offer_after, ending
    )


def withdrawn_after_its_offer_went_overdue() -> Reintegration:
    """Referred on 2025-09-15 (offer due 2025-10-13), no host ever identified, withdrawn on
    2026-01-14: the family waited three months past the statutory 20 school days."""
    case = _case(
        _spec("W-1", "Fenna Rowe", HOSTS[0], dt.date(2025, 9, 8), 0, "referred"),
        SchoolCalendar.sample(),
    )
    case.withdraw(
        "The family moved away.", by=_actor(Role.AP_HEAD, AP_SETTINGS[0]), on=dt.date(2026, 1, 14)
    )
    return case


def ended_after_two_reviews_were_missed() -> Reintegration:
    """A placement whose first review (due 2025-10-24) and second review (due 2025-11-07) were
    never held; an emergency review on 2025-11-11 ended it, unsuccessful on 2025-11-12."""
    host = "Gorse Hill School"
    spec = _spec("E-1", "Gil Hollins", host, dt.date(2025, 9, 8), 10, "planned")
    case = _case(spec, SchoolCalendar.sample())
    host_staff = _actor(Role.HOST_STAFF, host)
    host_head = _actor(Role.HOST_HEAD, host)
    ap_staff = _actor(Role.AP_STAFF, AP_SETTINGS[0])
    start = case.agreed_start
    assert start is not None
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=ap_staff, on=start)
    case.start_placement(by=host_staff, on=start)
    case.discharge(ObligationKind.COMPLETE_JOINERS_FORM, by=host_staff, on=start)
    case.discharge(ObligationKind.MARK_DUAL_REGISTRATION, by=ap_staff, on=start)
    case.call_emergency_review("Incidents.", by=host_head, on=dt.date(2025, 11, 10))
    held, effective = dt.date(2025, 11, 11), dt.date(2025, 11, 12)
    case.hold_emergency_review(
        ReviewMeeting(
            held_on=held,
            kind=ReviewKind.EMERGENCY,
            attendees=_attendees(spec, "Parent of Gil", host_staff, la=True),
            child_views=_views(held, spec.child),
            concerns="Repeated incidents.",
            decision=ReviewDecision.END,
        ),
        FailureLetter(
            parent_name="Parent of Gil",
            reasons=("Repeated incidents.",),
            incident_investigated=True,
            harassment_checked=True,
            child_version_heard=True,
            support_provided=("A mentor",),
            effective_date=effective,
            head_teacher=host_head.name,
        ),
        by=host_head,
        on=held,
    )
    case.record_unsuccessful_outcome(
        UnsuccessfulOutcome(
            provision_for_return="AP place.", return_date=effective, completed_by="Robin Ashdown"
        ),
        by=_actor(Role.AP_HEAD, AP_SETTINGS[0]),
        on=effective,
    )
    deadlines = {d.kind.value: d.due for d in case.deadlines}
    assert (deadlines["first_review"], deadlines["second_review"]) == (
        dt.date(2025, 10, 24),
        dt.date(2025, 11, 7),
    )
    return case
