"""The protocol's rules R1-R16 as small pure guards.

Each guard takes the case (as `CaseState`), the trigger's payload and the business date `on`, and
returns the unmet conditions as plain-English sentences: an empty list means the rule is met.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

import attrs

from reintegration_fsm.calendar import FINAL_REVIEW_CALENDAR_DAYS
from reintegration_fsm.forms import (
    ChildViews,
    ConsentForm,
    InitialMeeting,
    PastoralSupportPlan,
    Pupil,
    ReintegrationInformation,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.letter import FailureLetter, long_date
from reintegration_fsm.records import Obligation
from reintegration_fsm.vocabulary import (
    Evidence,
    ObligationKind,
    Party,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
)

REQUIRED_EVIDENCE = (
    (Evidence.PSP, "a copy of the Pastoral Support Plan"),
    (Evidence.BEHAVIOUR_LOG, "the behaviour log"),
    (Evidence.ATTENDANCE_RECORD, "the attendance record"),
    (Evidence.EXCLUSION_DATA, "the exclusion data"),
    (Evidence.ASSESSMENT_DATA, "the most recent assessment and attainment data"),
)

PARTY_NAMES = {
    Party.AP: "the Alternative Provision setting",
    Party.HOST: "the host school",
    Party.PARENT: "a parent/carer",
    Party.CHILD: "the child",
    Party.LA: "the local authority",
    Party.OTHER: "another agency",
}


class CaseState(Protocol):
    """What the guards read from a case."""

    @property
    def pupil(self) -> Pupil: ...

    @property
    def last_on(self) -> dt.date | None: ...

    @property
    def obligations(self) -> Sequence[Obligation]: ...

    @property
    def agreed_start(self) -> dt.date | None: ...

    @property
    def placement_started_on(self) -> dt.date | None: ...

    @property
    def final_decision(self) -> ReviewDecision | None: ...


@attrs.frozen
class Referral:
    """The payload of `refer_to_fair_access`."""

    route: ReferralRoute
    information: ReintegrationInformation
    psp: PastoralSupportPlan


@attrs.frozen
class HostOffer:
    """The payload of `identify_host`."""

    host_school: str
    via: ReferralRoute


@attrs.frozen
class InitialMeetingRecord:
    """The payload of `hold_initial_meeting`."""

    meeting: InitialMeeting
    views: ChildViews


@attrs.frozen
class EmergencyReview:
    """The payload of `hold_emergency_review`."""

    meeting: ReviewMeeting
    letter: FailureLetter | None


def same_name(a: str, b: str) -> bool:
    """R2's name match: the same words, whatever the case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _blank(value: str) -> bool:
    return not value.strip()


def _missing_parties(present: frozenset[Party], needed: Sequence[Party]) -> list[Party]:
    return [party for party in needed if party not in present]


# R16 ---------------------------------------------------------------------------------------------
def time_runs_forward(case: CaseState | None, _: object, on: dt.date) -> list[str]:
    """R16: a transition's date is not earlier than the case's last transition."""
    last = None if case is None else case.last_on
    if last is not None and on < last:
        return [
            f"The date {on.isoformat()} is earlier than the case's last step on "
            f"{last.isoformat()}; time runs forward."
        ]
    return []


# R1 ----------------------------------------------------------------------------------------------
def pupil_is_eligible(_: CaseState | None, pupil: Pupil, on: dt.date) -> list[str]:
    """R1: the protocol is only for children not already on a mainstream roll."""
    if pupil.on_mainstream_roll:
        return [
            f"{pupil.name} is already on the roll of a mainstream school; this protocol is only "
            "for children who are not."
        ]
    return []


# R2 ----------------------------------------------------------------------------------------------
def consent_is_complete(case: CaseState, form: ConsentForm, on: dt.date) -> list[str]:
    """R2: written parental consent, for this child, complete, signed and dated."""
    reasons = []
    pupil = case.pupil
    if not same_name(form.child_name, pupil.name):
        reasons.append(f"The consent form is for {form.child_name!r}, not for {pupil.name!r}.")
    if form.child_dob != pupil.date_of_birth:
        reasons.append(
            f"The consent form gives the date of birth {form.child_dob.isoformat()}, not the "
            f"child's {pupil.date_of_birth.isoformat()}."
        )
    if not form.has_parental_responsibility:
        reasons.append("The parent/carer signing does not have parental responsibility.")
    if form.other_parent_has_responsibility and form.other_parent_agrees is not True:
        reasons.append(
            "Another parent has parental responsibility and has not agreed to the reintegration."
        )
    if not form.understands_reasons:
        reasons.append("The parent does not understand the reasons for the reintegration.")
    if not form.agrees:
        reasons.append("The parent does not agree to a reintegration.")
    if not form.consent_to_share:
        reasons.append("The parent has not consented to the child's information being shared.")
    if not any(not _blank(school) for school in form.preferred_schools):
        reasons.append("The consent form names no school the family wish to be considered.")
    if _blank(form.signed_by):
        reasons.append("The consent form is not signed.")
    if form.signed_on is None:
        reasons.append("The consent form is not dated.")
    elif form.signed_on > on:
        reasons.append(
            f"The consent form is dated {form.signed_on.isoformat()}, after {on.isoformat()}."
        )
    return reasons


# R3, R4 ------------------------------------------------------------------------------------------
def psp_is_active(_: CaseState, referral: Referral, on: dt.date) -> list[str]:
    """R3: an active Pastoral Support Plan on the day of referral."""
    psp = referral.psp
    if psp.start > on:
        return [f"The Pastoral Support Plan only starts on {psp.start.isoformat()}."]
    if psp.end is not None and psp.end < on:
        return [f"The Pastoral Support Plan ended on {psp.end.isoformat()}."]
    return []


def information_is_gathered(case: CaseState, referral: Referral, on: dt.date) -> list[str]:
    """R4: the Reintegration Information form is complete, with the evidence it needs."""
    info = referral.information
    reasons = [
        f"The rating for {name} is missing."
        for name, rating in info.ratings.items()
        if rating is None
    ]
    if _blank(info.reasons_for_success):
        reasons.append("The form does not say why a reintegration might be successful.")
    if _blank(info.transport_plan):
        reasons.append("The form does not say how the child will get to the proposed school.")
    required = list(REQUIRED_EVIDENCE)
    if case.pupil.looked_after:
        required.append((Evidence.PERSONAL_EDUCATION_PLAN, "the Personal Education Plan"))
    if case.pupil.key_stage == 4:
        required.append((Evidence.KS4_OPTIONS, "the Key Stage 4 record of options"))
    reasons.extend(
        f"The evidence does not include {label}."
        for evidence, label in required
        if evidence not in info.evidence
    )
    return reasons


# R5 ----------------------------------------------------------------------------------------------
def host_is_named(_: CaseState, offer: HostOffer, on: dt.date) -> list[str]:
    """R5: a host school offer names the school."""
    return ["The host school is not named."] if _blank(offer.host_school) else []


# R6 ----------------------------------------------------------------------------------------------
def panel_note_is_open(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R6: a virtual approach is waiting to be noted at the panel."""
    if any(o.kind is ObligationKind.NOTE_AT_PANEL for o in case.obligations):
        return []
    return ["No virtual approach is waiting to be noted at the Fair Access panel."]


# R7 ----------------------------------------------------------------------------------------------
def initial_meeting_is_complete(
    _: CaseState, record: InitialMeetingRecord, on: dt.date
) -> list[str]:
    """R7: the initial meeting had everyone, signed, set expectations and agreed the reviews."""
    meeting, views = record.meeting, record.views
    reasons = []
    if meeting.held_on > on:
        reasons.append(
            f"The meeting on {meeting.held_on.isoformat()} cannot be recorded before it is held."
        )
    if views.gathered_on > meeting.held_on:
        reasons.append("The child's views were gathered after the meeting, not before it.")
    if not meeting.parent_present:
        reasons.append("The parent/carer was not present at the initial meeting.")
    if not meeting.child_present:
        reasons.append("The child was not present at the initial meeting.")
    for party in _missing_parties(
        meeting.signatures, (Party.PARENT, Party.CHILD, Party.AP, Party.HOST)
    ):
        reasons.append(f"The initial meeting form is not signed by {PARTY_NAMES[party]}.")
    if meeting.start_date < meeting.held_on:
        reasons.append("The start date is before the initial meeting.")
    if _blank(meeting.transport_arrangements):
        reasons.append("Transport arrangements are not recorded.")
    for text, who in (
        (meeting.child_will, "the child"),
        (meeting.school_will, "the host school"),
        (meeting.parent_will, "the parent/carer"),
    ):
        if _blank(text):
            reasons.append(f"The expectations of {who} are not recorded.")
    if _blank(meeting.host_contact):
        reasons.append("No named contact at the host school is given.")
    reasons.extend(review_dates_problems(meeting))
    return reasons


def review_dates_problems(meeting: InitialMeeting) -> list[str]:
    """R7's review dates: start < first < second < final <= start + 42 days."""
    reasons = []
    start, first, second, final = (
        meeting.start_date,
        meeting.first_review,
        meeting.second_review,
        meeting.final_review,
    )
    if first <= start:
        reasons.append("The first review must be after the start date.")
    if second <= first:
        reasons.append("The second review must be after the first review.")
    if final <= second:
        reasons.append("The final review must be after the second review.")
    limit = start + dt.timedelta(days=FINAL_REVIEW_CALENDAR_DAYS)
    if final > limit:
        reasons.append(
            f"The final review must be within 6 weeks of the start date (by {limit.isoformat()})."
        )
    return reasons


# R8 ----------------------------------------------------------------------------------------------
def start_date_reached(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8: the placement starts on or after the agreed start date."""
    if case.agreed_start is not None and on < case.agreed_start:
        return [f"The agreed start date is {case.agreed_start.isoformat()}."]
    return []


# R9 ----------------------------------------------------------------------------------------------
def _meeting_date_problems(case: CaseState, meeting: ReviewMeeting, on: dt.date) -> list[str]:
    reasons = []
    if meeting.held_on > on:
        reasons.append(
            f"The meeting on {meeting.held_on.isoformat()} cannot be recorded before it is held."
        )
    started = case.placement_started_on
    if started is not None and meeting.held_on < started:
        reasons.append(
            f"The review is dated before the placement started on {started.isoformat()}."
        )
    return reasons


def review_is_complete(case: CaseState, meeting: ReviewMeeting, on: dt.date) -> list[str]:
    """R9: a review heard the child's views and had the AP, the host and a parent/carer."""
    reasons = _meeting_date_problems(case, meeting, on)
    if meeting.kind is ReviewKind.EMERGENCY:
        reasons.append("An emergency review is held with hold_emergency_review.")
    if meeting.child_views is None:
        reasons.append("The child's views were not gathered before the review.")
    elif meeting.child_views.gathered_on > meeting.held_on:
        reasons.append("The child's views were gathered after the review, not before it.")
    for party in _missing_parties(meeting.parties, (Party.AP, Party.HOST, Party.PARENT)):
        reasons.append(f"The review was not attended by {PARTY_NAMES[party]}.")
    if meeting.decision is ReviewDecision.END:
        reasons.append(
            "A review cannot end the reintegration; the host head teacher calls an emergency "
            "review (step 7)."
        )
    elif meeting.kind is ReviewKind.INTERIM and meeting.decision is ReviewDecision.MAKE_PERMANENT:
        reasons.append("Only the final review can decide on a permanent move.")
    elif meeting.kind is ReviewKind.FINAL and meeting.decision is ReviewDecision.CONTINUE:
        if meeting.next_meeting is None:
            reasons.append("A final review that extends the placement must set the next meeting.")
        elif meeting.next_meeting <= meeting.held_on:
            reasons.append("The next meeting must be after this review.")
    return reasons


# R10, R11 ----------------------------------------------------------------------------------------
def emergency_reason_given(_: CaseState, reason: str, on: dt.date) -> list[str]:
    """R10: an emergency review is called for a stated reason."""
    return ["The reason for the emergency review is not given."] if _blank(reason) else []


def emergency_review_is_complete(
    case: CaseState, review: EmergencyReview, on: dt.date
) -> list[str]:
    """R10: an emergency review included all parties and documented any support to continue."""
    meeting = review.meeting
    reasons = _meeting_date_problems(case, meeting, on)
    if meeting.kind is not ReviewKind.EMERGENCY:
        reasons.append("The meeting is not recorded as an emergency review.")
    for party in _missing_parties(meeting.parties, (Party.AP, Party.HOST, Party.PARENT, Party.LA)):
        reasons.append(f"The emergency review did not include {PARTY_NAMES[party]}.")
    if meeting.decision is ReviewDecision.MAKE_PERMANENT:
        reasons.append("An emergency review decides to continue or to end, not a permanent move.")
    elif meeting.decision is ReviewDecision.CONTINUE and _blank(meeting.additional_support):
        reasons.append("The additional support needed to continue is not documented.")
    return reasons


def ending_is_justified(_: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R11: ending records the concerns and sends a proper failure letter."""
    if review.meeting.decision is not ReviewDecision.END:
        return []
    reasons = []
    if _blank(review.meeting.concerns):
        reasons.append("The concerns that led to the ending are not recorded.")
    letter = review.letter
    if letter is None:
        reasons.append("Ending the reintegration needs a failure letter to the parent/carer.")
        return reasons
    if not letter.reasons or any(_blank(reason) for reason in letter.reasons):
        reasons.append("The letter does not give the reasons for ending in plain English.")
    if not letter.incident_investigated:
        reasons.append("The letter does not confirm the key incident was investigated fully.")
    if not letter.harassment_checked:
        reasons.append(
            "The letter does not confirm a check for racial or sexual harassment as a provocation."
        )
    if not letter.child_version_heard:
        reasons.append("The letter does not confirm the child gave their version of events.")
    if not letter.support_provided or any(_blank(item) for item in letter.support_provided):
        reasons.append("The letter does not list the support that was put in place.")
    if letter.effective_date < on:
        reasons.append(
            f"The letter's effective date {long_date(letter.effective_date)} is in the past."
        )
    return reasons


# R12, R13 ----------------------------------------------------------------------------------------
def return_is_provided_for(_: CaseState, form: UnsuccessfulOutcome, on: dt.date) -> list[str]:
    """R12: the home setting records the provision for the child's return and its date."""
    reasons = []
    if _blank(form.provision_for_return):
        reasons.append("The provision made for the child's return is not recorded.")
    if form.return_date is None:
        reasons.append("The date of return to the Alternative Provision setting is missing.")
    if _blank(form.completed_by):
        reasons.append("The name of the person completing the form is missing.")
    return reasons


def permanent_move_is_agreed(case: CaseState, form: SuccessfulOutcome, on: dt.date) -> list[str]:
    """R13: a final review decided the permanent move and the joiner form is done."""
    reasons = []
    if case.final_decision is not ReviewDecision.MAKE_PERMANENT:
        reasons.append("No final review has decided on a permanent move.")
    if not form.joiner_form_completed:
        reasons.append("The Joiners Form has not been completed on the Children's Services Portal.")
    started = case.placement_started_on
    if started is not None and form.date_on_roll < started:
        reasons.append(
            f"The date on roll {form.date_on_roll.isoformat()} is before the placement started "
            f"on {started.isoformat()}."
        )
    return reasons


# R14 ---------------------------------------------------------------------------------------------
def withdrawal_reason_given(_: CaseState, reason: str, on: dt.date) -> list[str]:
    """R14: a withdrawal says why."""
    return ["The reason for withdrawing is not given."] if _blank(reason) else []


# Obligations -------------------------------------------------------------------------------------
def obligation_is_open(case: CaseState, kind: ObligationKind, on: dt.date) -> list[str]:
    """An obligation can be discharged only while one of its kind is open."""
    if any(o.kind is kind for o in case.obligations):
        return []
    return [f"No {kind.value.replace('_', ' ')} obligation is open."]
