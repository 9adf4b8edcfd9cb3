"""What each accepted trigger records: the JSON `data` of its transition.

Everything computed at the time (deadlines from the calendar, obligations with their statutory
due dates, which deadline a meeting meets) is written into the data, so that replay reads it back
and never recomputes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import CalendarError
from reintegration_fsm.forms import ReviewMeeting
from reintegration_fsm.records import Deadline
from reintegration_fsm.rules import EmergencyReview, InitialMeetingRecord, Referral
from reintegration_fsm.serialisation import unstructure
from reintegration_fsm.vocabulary import (
    INTERIM_DEADLINES,
    OBLIGATION_OWNER,
    DeadlineKind,
    ObligationKind,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
)

PLACE_OFFER_SCHOOL_DAYS = 20
"""School Admissions Code 2021, para 3.21: an offer within 20 school days of referral."""

JOINERS_RETURN_DAYS = 5
JOINERS_BASIS = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, regulation 13(1): a new "
    "pupil return to the local authority by the end of the fifth day after the pupil's name is "
    "entered in the admission register."
)
DELETION_BASIS = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, regulation 9(1)(c) "
    "(the seed cites the superseded 2006 Regulations, regulation 8(1)(c))."
)
DELETION_RETURN_BASIS = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, regulation 13(4): a "
    "deletion return to the local authority when the pupil's name is deleted."
)

K = ObligationKind


def obligation(kind: ObligationKind, due: dt.date | None = None, basis: str = "") -> dict[str, Any]:
    """An obligation to open, as transition data."""
    if due is None and not basis:
        return _UNDATED[kind]
    return {
        "kind": kind.value,
        "owner": OBLIGATION_OWNER[kind].value,
        "due": None if due is None else due.isoformat(),
        "basis": basis,
    }


# Transition data is never mutated, so the undated obligations can share one dict each.
_UNDATED: dict[ObligationKind, dict[str, Any]] = {
    kind: {"kind": kind.value, "owner": owner.value, "due": None, "basis": ""}
    for kind, owner in OBLIGATION_OWNER.items()
}


def deadline(kind: DeadlineKind, due: dt.date) -> dict[str, Any]:
    """A deadline to open, as transition data."""
    return {"kind": kind.value, "due": due.isoformat()}


def first_unmet(deadlines: Sequence[Deadline], kinds: Collection[DeadlineKind]) -> int | None:
    """The position of the earliest-due unmet deadline of one of `kinds`, if any."""
    best: int | None = None
    for index, item in enumerate(deadlines):
        unmet = item.met_on is None and item.kind in kinds
        if unmet and (best is None or item.due < deadlines[best].due):
            best = index
    return best


def referral(referral: Referral, on: dt.date, calendar: SchoolCalendar | None) -> dict[str, Any]:
    """R5, R6: the place offer deadline, and the panel note for a virtual approach."""
    if calendar is None:
        raise CalendarError(
            "refer_to_fair_access needs a school calendar to set the offer deadline"
        )
    due = calendar.add_school_days(on, PLACE_OFFER_SCHOOL_DAYS)
    opened = [obligation(K.NOTE_AT_PANEL)] if referral.route is ReferralRoute.VIRTUAL else []
    return {
        "route": referral.route.value,
        "information": unstructure(referral.information),
        "psp": unstructure(referral.psp),
        "deadlines": [deadline(DeadlineKind.PLACE_OFFER, due)],
        "opened": opened,
    }


def host_offer(
    host_school: str, via: ReferralRoute, deadlines: Sequence[Deadline]
) -> dict[str, Any]:
    """R5: the offer meets the place offer deadline; the AP owes the host papers and a visit."""
    met = first_unmet(deadlines, (DeadlineKind.PLACE_OFFER,))
    return {
        "host_school": host_school,
        "via": via.value,
        "met": [] if met is None else [met],
        "opened": [obligation(K.SHARE_INFORMATION_WITH_HOST), obligation(K.OFFER_VISIT)],
    }


def initial_meeting(record: InitialMeetingRecord) -> dict[str, Any]:
    """R7: the agreed review dates become deadlines; the paperwork goes to admissions."""
    meeting = record.meeting
    return {
        "meeting": unstructure(meeting),
        "views": unstructure(record.views),
        "deadlines": [
            deadline(DeadlineKind.FIRST_REVIEW, meeting.first_review),
            deadline(DeadlineKind.SECOND_REVIEW, meeting.second_review),
            deadline(DeadlineKind.FINAL_REVIEW, meeting.final_review),
        ],
        "opened": [obligation(K.SEND_PAPERWORK_TO_ADMISSIONS)],
    }


def placement_start(on: dt.date) -> dict[str, Any]:
    """R8: dual registration: the host's joiners form and the AP's code D."""
    return {
        "opened": [
            obligation(
                K.COMPLETE_JOINERS_FORM, on + dt.timedelta(days=JOINERS_RETURN_DAYS), JOINERS_BASIS
            ),
            obligation(K.MARK_DUAL_REGISTRATION),
        ]
    }


def review(meeting: ReviewMeeting, deadlines: Sequence[Deadline]) -> dict[str, Any]:
    """R9: meet the review's deadline; a final review continuing sets a new final review."""
    if meeting.kind is ReviewKind.FINAL:
        met = first_unmet(deadlines, (DeadlineKind.FINAL_REVIEW,))
    else:
        met = first_unmet(deadlines, INTERIM_DEADLINES)
    opened_deadlines = []
    if (
        meeting.kind is ReviewKind.FINAL
        and meeting.decision is ReviewDecision.CONTINUE
        and meeting.next_meeting is not None
    ):
        opened_deadlines.append(deadline(DeadlineKind.FINAL_REVIEW, meeting.next_meeting))
    return {
        "meeting": unstructure(meeting),
        "met": [] if met is None else [met],
        "deadlines": opened_deadlines,
        "opened": [obligation(K.SEND_PAPERWORK_TO_ADMISSIONS)],
    }


def emergency_review(review: EmergencyReview) -> dict[str, Any]:
    """R10, R11: record the review; ending opens the host's and AP's closing duties."""
    data: dict[str, Any] = {"meeting": unstructure(review.meeting)}
    opened = [obligation(K.SEND_PAPERWORK_TO_ADMISSIONS)]
    if review.meeting.decision is ReviewDecision.END and review.letter is not None:
        letter = review.letter
        data["letter"] = unstructure(letter)
        opened += [
            obligation(K.SEND_FAILURE_LETTER),
            obligation(K.DELETE_FROM_ROLL, letter.effective_date, DELETION_BASIS),
            obligation(K.NOTIFY_PORTAL, letter.effective_date, DELETION_RETURN_BASIS),
            obligation(K.ARRANGE_HOME_SCHOOL_MEETING),
        ]
    data["opened"] = opened
    return data


def successful_outcome(form: Any) -> dict[str, Any]:
    """R13: the permanent move's follow-up work for the AP, the host and admissions."""
    return {
        "form": unstructure(form),
        "opened": [
            obligation(K.COMPLETE_LEAVERS_FORM),
            obligation(K.TRANSFER_RECORDS),
            obligation(K.RETURN_OUTCOME_FORM),
            obligation(K.ADJUST_WEIGHTINGS),
            obligation(K.REDESIGNATE_TRANSPORT),
        ],
    }
