"""R7, R8: the initial meeting, and the placement's start."""

from __future__ import annotations

import datetime as dt

from reintegration_fsm.errors import describe
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.protocol.payloads import InitialMeetingRecord
from reintegration_fsm.rules.dates import more_than_a_year_after
from reintegration_fsm.rules.reading import (
    CaseState,
    blank_as_read,
    in_order,
    missing_parties,
    revised,
)
from reintegration_fsm.vocabulary import PARTY_WORDS, ObligationKind, Party

SIGNERS = frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST})
"""R7: who signs the initial meeting form ("signed by all parties", step 4)."""


# R7 ----------------------------------------------------------------------------------------------
def initial_meeting_is_complete(
    case: CaseState, record: InitialMeetingRecord, on: dt.date
) -> list[str]:
    """R7: the initial meeting had everyone, signed, set expectations and agreed the reviews."""
    meeting, views = record.meeting, record.views
    reasons = []
    if meeting.held_on > on:
        reasons.append(
            f"The meeting on {meeting.held_on.isoformat()} cannot be recorded before it is held."
        )
    identified = case.host_identified_on
    if in_order(case) and identified is not None and meeting.held_on < identified:
        reasons.append(
            f"The initial meeting on {meeting.held_on.isoformat()} is dated before the host "
            f"school was identified on {identified.isoformat()}."
        )
    if views.gathered_on > meeting.held_on:
        reasons.append("The child's views were gathered after the meeting, not before it.")
    if not meeting.parent_present:
        reasons.append("The parent/carer was not present at the initial meeting.")
    if not meeting.child_present:
        reasons.append("The child was not present at the initial meeting.")
    for party in missing_parties(meeting.signatures, SIGNERS):
        reasons.append(f"The initial meeting form is not signed by {PARTY_WORDS[party]}.")
    if meeting.start_date < meeting.held_on:
        reasons.append("The start date is before the initial meeting.")
    elif more_than_a_year_after(meeting.start_date, meeting.held_on):
        reasons.append(
            f"The start date {meeting.start_date.isoformat()} is more than a year after the "
            "initial meeting; a placement agreed to start so far ahead would lock the case."
        )
    if blank_as_read(case, meeting.transport_arrangements):
        reasons.append("Transport arrangements are not recorded.")
    for text, who in (
        (meeting.child_will, "the child"),
        (meeting.school_will, "the host school"),
        (meeting.parent_will, "the parent/carer"),
    ):
        if blank_as_read(case, text):
            reasons.append(f"The expectations of {who} are not recorded.")
    if blank_as_read(case, meeting.ap_support) and revised(case):
        reasons.append(
            "The support the Alternative Provision setting will give throughout the "
            "reintegration is not recorded."
        )
    if blank_as_read(case, meeting.host_contact):
        reasons.append("No named contact at the host school is given.")
    reasons.extend(
        review_dates_problems(
            case.protocol,
            meeting.start_date,
            meeting.first_review,
            meeting.second_review,
            meeting.final_review,
        )
    )
    return reasons


def review_dates_problems(
    protocol: Protocol, start: dt.date, first: dt.date, second: dt.date, final: dt.date
) -> list[str]:
    """R7's review dates: start < first < second < final <= start + the protocol's limit."""
    reasons = []
    if first <= start:
        reasons.append("The first review must be after the start date.")
    if second <= first:
        reasons.append("The second review must be after the first review.")
    if final <= second:
        reasons.append("The final review must be after the second review.")
    days = protocol.final_review_within_days
    if (final - start).days > days:  # not `start + days`, which a start near 9999 overflows
        limit = start + dt.timedelta(days=days)  # earlier than `final`: a day there is
        weeks = f" ({days // 7} weeks)" if days % 7 == 0 else ""
        reasons.append(
            f"The final review must be within {days} days{weeks} of the start date "
            f"(by {limit.isoformat()})."
        )
    return reasons


# R8 ----------------------------------------------------------------------------------------------
def start_date_reached(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8: the placement starts on or after the agreed start date."""
    if case.agreed_start is not None and on < case.agreed_start:
        return [
            f"The placement cannot start on {on.isoformat()}, before the agreed start date "
            f"{case.agreed_start.isoformat()}."
        ]
    return []


def joiners_return_can_be_dated(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8: the host's joiners return, due `joiners_return_days` after the start, falls on a
    date there is. No new case opens under a count over 5 (`Protocol.opening_problems`), but a
    protocol an earlier version took with millions still loads for the cases opened under it."""
    days = case.protocol.joiners_return_days
    if days <= dt.date.max.toordinal() - on.toordinal():
        return []
    return [
        f"The joiners return cannot be dated: {describe(days)} days (the protocol's "
        f"joiners_return_days) after {on.isoformat()} is past the last date there is "
        f"({dt.date.max.isoformat()}), so no placement can start under this protocol."
    ]


def placement_prepared(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8, departures: the host has the child's information and the family were offered a visit.

    Under edition 3 (process steps 3 and 4)."""
    if not in_order(case):
        return []
    owed = {o.kind for o in case.obligations}
    found = []
    if ObligationKind.SHARE_INFORMATION_WITH_HOST in owed:
        found.append(
            "The placement started before the Alternative Provision setting gave the host school "
            "detailed information about the child (process step 3)."
        )
    if ObligationKind.OFFER_VISIT in owed:
        found.append(
            "The placement started before the child and their parents were offered a visit to "
            "the host school (process step 4)."
        )
    return found
