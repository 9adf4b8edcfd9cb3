"""The meetings' forms: the Reintegration Initial Meeting, the Review (or Emergency Review)
Meeting, and the Reintegration Timetable they agree.

`born`, where a builder takes it, is the child's date of birth as the form shows it
(`pupil_born`, `shown_born`); by default as a letter writes the date recorded."""

from __future__ import annotations

from collections.abc import Sequence

from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents.layout import Document, Field, TimetableWeek
from reintegration_fsm.documents.values import (
    SESSION_NAMES,
    shown_date,
    shown_name_and_dob,
    shown_people,
    shown_text,
    shown_yes_no,
)
from reintegration_fsm.fields import prints_nothing
from reintegration_fsm.forms import (
    InitialMeeting,
    ReintegrationTimetable,
    ReviewMeeting,
)
from reintegration_fsm.vocabulary import (
    Party,
    ReviewDecision,
    ReviewKind,
)


def initial_meeting_form(
    case: Reintegration, meeting: InitialMeeting, *, born: str | None = None
) -> Document:
    """The Reintegration Initial Meeting form."""
    pupil = case.pupil
    start = shown_date(meeting.start_date) + (
        f" at {meeting.start_time:%H:%M}" if meeting.start_time is not None else ""
    )
    signed = meeting.signatures
    # The seed's form says "(2 weeks)", "(4 weeks)", "(6 weeks)": the case's protocol's weeks.
    first, second, final = (
        f"{weeks} week" if weeks == 1 else f"{weeks} weeks" for weeks in case.protocol.review_weeks
    )
    return Document(
        "initial-meeting",
        "Reintegration Initial Meeting",
        "",
        (
            Field("Date of Meeting", shown_date(meeting.held_on)),
            Field("Child/YP's Name and DOB", shown_name_and_dob(pupil, born)),
            Field("Address", shown_text(pupil.address)),
            Field("Name of Alternative Provision Setting", case.ap_setting),
            Field(
                "Alternative Provision Setting Representative",
                shown_text(meeting.ap_representative),
            ),
            Field("Name of Host School", shown_text(case.host_school or "")),
            Field(
                "Host School Representative including Key Worker and Head",
                shown_text(meeting.host_representatives),
            ),
            Field(
                "Parent and Child/YP present",
                f"Parent/carer: {shown_yes_no(meeting.parent_present)}; "
                f"child/YP: {shown_yes_no(meeting.child_present)}",
            ),
            Field("Reasons for the reintegration", shown_text(meeting.reasons)),
            Field(
                "Why do staff from the Alternative Provision setting think the reintegration will "
                "be successful?",
                shown_text(meeting.why_successful),
            ),
            Field("The child/yp will", shown_text(meeting.child_will)),
            Field("The receiving school will", shown_text(meeting.school_will)),
            Field(
                "Named contact and contact details at the Host school for the child and "
                "parent/carer",
                shown_text(meeting.host_contact),
            ),
            Field("The child/YP's parent/carer will", shown_text(meeting.parent_will)),
            Field(
                "What support will the Alternative Provision setting provide throughout the "
                "reintegration?",
                shown_text(meeting.ap_support),
            ),
            Field(
                "Other agency commitment to the reintegration",
                shown_text(meeting.other_agency_commitment),
            ),
            Field("Reintegration start date and time", start),
            Field("Transport Arrangements", shown_text(meeting.transport_arrangements)),
            Field("Uniform Arrangements", shown_text(meeting.uniform_arrangements)),
            Field(f"First Interim Review Date ({first})", shown_date(meeting.first_review)),
            Field(f"Second Interim Review Date ({second})", shown_date(meeting.second_review)),
            Field(f"Final Review Date ({final})", shown_date(meeting.final_review)),
            Field(
                "Attendees Signatures",
                tuple(
                    f"{label}: {'signed' if party in signed else 'not signed'}"
                    for party, label in (
                        (Party.PARENT, "Parent/Carer"),
                        (Party.CHILD, "Child/YP"),
                        (Party.AP, "Alternative Provision Setting"),
                        (Party.HOST, "Host School"),
                        (Party.OTHER, "Other"),
                        (Party.LA, "Local Authority"),
                    )
                    # The seed's form has no line for the local authority: shown when it signed.
                    if party is not Party.LA or party in signed
                ),
            ),
        ),
    )


def review_form(
    case: Reintegration, meeting: ReviewMeeting, *, born: str | None = None
) -> Document:
    """The Reintegration Review (or Emergency Review) Meeting form."""
    emergency = meeting.kind is ReviewKind.EMERGENCY
    title = (
        "Reintegration Emergency Review Meeting" if emergency else "Reintegration Review Meeting"
    )
    kind = {ReviewKind.INTERIM: "Interim review", ReviewKind.FINAL: "Final review"}.get(
        meeting.kind, "Emergency review"
    )
    decision = meeting.decision.value.replace("_", " ")
    outcome = f"Decision: {decision}" + (
        "" if prints_nothing(meeting.outcome) else f". {meeting.outcome}"
    )
    # The agreed date is part of what a review deciding to make the place permanent agrees.
    permanent = (
        (Field("Date of permanent admission", shown_date(meeting.permanent_from)),)
        if meeting.decision is ReviewDecision.MAKE_PERMANENT
        else ()
    )
    attendees = meeting.attendees
    return Document(
        f"review-{meeting.held_on.isoformat()}-{meeting.kind.value}",
        title,
        kind,
        (
            Field("Date of Meeting", shown_date(meeting.held_on)),
            Field("Child/YP's Name & DOB", shown_name_and_dob(case.pupil, born)),
            Field(
                "Address (if this has changed since previous meeting)",
                shown_text(meeting.address_change, otherwise="unchanged"),
            ),
            Field("Alternative Provision Representative", shown_people(attendees, Party.AP)),
            Field("Host School Representative", shown_people(attendees, Party.HOST)),
            Field("Parent/Carer", shown_people(attendees, Party.PARENT)),
            Field("Child/YP", shown_people(attendees, Party.CHILD)),
            Field("Local Authority", shown_people(attendees, Party.LA)),
            Field("Other", shown_people(attendees, Party.OTHER)),
            Field("Progress towards integration", shown_text(meeting.progress)),
            Field(
                "School support including level of success to date",
                shown_text(meeting.school_support),
            ),
            Field(
                "Issues causing concern and suggestions for improvement",
                shown_text(meeting.concerns),
            ),
            Field("Additional Support Required", shown_text(meeting.additional_support)),
            Field("Additional information", shown_text(meeting.additional_information)),
            Field("Outcome of review", outcome),
            *permanent,
            Field("Date of next meeting", shown_date(meeting.next_meeting)),
            Field(
                "Views of the child/young person gathered on",
                shown_date(
                    None if meeting.child_views is None else meeting.child_views.gathered_on
                ),
            ),
        ),
    )


def timetable_form(timetables: Sequence[ReintegrationTimetable], occasion: str) -> Document:
    """The Reintegration Timetable: where the child is each morning and afternoon."""
    weeks = tuple(
        TimetableWeek(
            shown_date(week.week_beginning),
            tuple(SESSION_NAMES[s] for s in week.sessions),
            f"{week.time_in_education} of 10 sessions",
        )
        for week in timetables
    )
    return Document(
        f"timetable-{timetables[0].week_beginning.isoformat()}",
        "Reintegration Timetable",
        occasion,
        weeks=weeks,
    )
