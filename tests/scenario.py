"""A complete, valid protocol run with invented people, shared by the tests."""

from __future__ import annotations

import datetime as dt

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
    Reintegration,
    ReintegrationInformation,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    Role,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)

AP_SETTING = "Brookfield Learning Centre"
HOST_SCHOOL = "Elmstead High School"
AUTHORITY = "Example County Council"

AP_HEAD = Actor("ap-1", "Morgan Reed", Role.AP_HEAD, AP_SETTING)
AP_STAFF = Actor("ap-2", "Sam Fielding", Role.AP_STAFF, AP_SETTING)
HOST_HEAD = Actor("host-1", "Priya Anand", Role.HOST_HEAD, HOST_SCHOOL)
HOST_STAFF = Actor("host-2", "Tom Okafor", Role.HOST_STAFF, HOST_SCHOOL)
ADMISSIONS = Actor("la-1", "Jo Whitfield", Role.LA_ADMISSIONS, AUTHORITY)
PARENT = Actor("parent-1", "Dana Example", Role.PARENT, "")

PUPIL = Pupil("Alex Example", dt.date(2012, 5, 14), key_stage=3)

D = dt.date
OPENED = D(2026, 1, 12)
CONSENTED = D(2026, 1, 14)
REFERRED = D(2026, 1, 19)
HOST_FOUND = D(2026, 2, 2)
MEETING = D(2026, 2, 9)
START = D(2026, 2, 23)
FIRST_REVIEW = D(2026, 3, 6)
SECOND_REVIEW = D(2026, 3, 20)
FINAL_REVIEW = D(2026, 4, 2)


def tomorrow() -> dt.date:
    """The first day a past-day field refuses, as of when it is asked: a test run may cross
    midnight, after which a "tomorrow" worked out when the tests were collected is today."""
    return dt.date.today() + dt.timedelta(days=1)


def consent(**changes: object) -> ConsentForm:
    values: dict[str, object] = dict(
        child_name=PUPIL.name,
        child_dob=PUPIL.date_of_birth,
        parent_name="Dana Example",
        relationship="Mother",
        has_parental_responsibility=True,
        other_parent_has_responsibility=False,
        other_parent_agrees=None,
        understands_reasons=True,
        agrees=True,
        consent_to_share=True,
        preferred_schools=(HOST_SCHOOL,),
        signed_by="Dana Example",
        signed_on=CONSENTED,
        child_agrees=True,
    )
    values.update(changes)
    return ConsentForm(**values)  # type: ignore[arg-type]


def information(**changes: object) -> ReintegrationInformation:
    values: dict[str, object] = dict(
        attainment=Rating.SATISFACTORY,
        effort=Rating.GOOD,
        attitude_to_staff=Rating.GOOD,
        attitude_to_peers=Rating.SATISFACTORY,
        homework=Rating.POOR,
        reasons_for_success="Settled, attending well, keen on the host's design course.",
        transport_plan="Bus pass on route 44; parent drives on Fridays.",
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
    values.update(changes)
    return ReintegrationInformation(**values)  # type: ignore[arg-type]


PSP = PastoralSupportPlan(start=D(2025, 11, 3))


def views(on: dt.date = MEETING) -> ChildViews:
    return ChildViews(gathered_on=on - dt.timedelta(days=3), aspirations="To do my GCSEs.")


def initial_meeting(**changes: object) -> InitialMeeting:
    values: dict[str, object] = dict(
        held_on=MEETING,
        parent_present=True,
        child_present=True,
        signatures=frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST}),
        start_date=START,
        transport_arrangements="Bus pass on route 44.",
        child_will="Attend every day and use the time-out card when needed.",
        school_will="Provide a key worker and a quiet space.",
        parent_will="Attend reviews and keep in touch weekly.",
        host_contact="Tom Okafor, key worker, 01234 000000",
        ap_support="Outreach visits twice a week for the first month.",
        first_review=FIRST_REVIEW,
        second_review=SECOND_REVIEW,
        final_review=FINAL_REVIEW,
    )
    values.update(changes)
    return InitialMeeting(**values)  # type: ignore[arg-type]


EVERYONE = (
    Attendee("Sam Fielding", Party.AP),
    Attendee("Tom Okafor", Party.HOST),
    Attendee("Dana Example", Party.PARENT),
    Attendee("Alex Example", Party.CHILD),
)
WITH_LA = (*EVERYONE, Attendee("Jo Whitfield", Party.LA))


def review(
    held_on: dt.date, kind: ReviewKind = ReviewKind.INTERIM, **changes: object
) -> ReviewMeeting:
    values: dict[str, object] = dict(
        held_on=held_on, kind=kind, attendees=EVERYONE, child_views=views(held_on)
    )
    if changes.get("decision") is ReviewDecision.MAKE_PERMANENT:
        values["permanent_from"] = held_on  # the agreed date of permanent admission (R9)
    values.update(changes)
    return ReviewMeeting(**values)  # type: ignore[arg-type]


def letter(**changes: object) -> FailureLetter:
    values: dict[str, object] = dict(
        parent_name="Dana Example",
        reasons=("Alex left the site without permission three times in one week.",),
        incident_investigated=True,
        harassment_checked=True,
        child_version_heard=True,
        support_provided=("Daily mentoring with a key worker", "Adapted timetable"),
        effective_date=D(2026, 3, 16),
        head_teacher="Priya Anand",
        home_head_teacher="Morgan Reed",
    )
    values.update(changes)
    return FailureLetter(**values)  # type: ignore[arg-type]


PREPARATION = (ObligationKind.SHARE_INFORMATION_WITH_HOST, ObligationKind.OFFER_VISIT)
"""What the AP setting owes from identify_host until the placement starts (seed steps 3 and 4):
a placement started with either open records a departure (R8, edition 3)."""


def prepare(case: Reintegration, on: dt.date = START) -> Reintegration:
    """`case`, planned, with the host given the child's information and the visit offered."""
    for kind in PREPARATION:
        case.discharge(kind, by=AP_STAFF, on=on)
    return case


def snapshot(case: Reintegration) -> tuple[object, ...]:
    """Everything a refused trigger must leave as it was."""
    return (
        case.history,
        case.stage,
        case.deadlines,
        case.obligations,
        case.host_school,
        case.initial_meeting_on,
        case.agreed_start,
        case.placement_started_on,
        case.final_decision,
        case.permanent_from,
        case.departures,
        case.last_meeting_on,
        case.ended_on,
    )


SUCCESS = SuccessfulOutcome(date_on_roll=D(2026, 4, 13), joiner_form_completed=True)
RETURN = UnsuccessfulOutcome(
    provision_for_return="Full-time place at Brookfield with a new PSP.",
    return_date=D(2026, 3, 17),
    completed_by="Morgan Reed",
)
