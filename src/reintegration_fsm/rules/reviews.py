"""R9-R11: the reviews, the emergency review, and an ending."""

from __future__ import annotations

import datetime as dt

from reintegration_fsm.forms import ReviewMeeting, english_date
from reintegration_fsm.forms.views import QUESTIONS as VIEWS_QUESTIONS
from reintegration_fsm.protocol.payloads import EmergencyReview
from reintegration_fsm.rules.dates import is_judging_recorded, more_than_a_year_after
from reintegration_fsm.rules.reading import (
    CaseState,
    attending,
    blank_as_read,
    in_order,
    missing_parties,
    reads_today,
    revised,
    unnamed_parties,
)
from reintegration_fsm.vocabulary import (
    PARTY_WORDS,
    DeadlineKind,
    Party,
    ReviewDecision,
    ReviewKind,
)

# The members the rules read on every review, bound once: before Python 3.12 each read of a
# member off its class (`ReviewKind.FINAL`) takes EnumType.__getattr__'s slow path, some 45 ns,
# and a review's rules and effects made a dozen such reads.
_FINAL, _EMERGENCY = ReviewKind.FINAL, ReviewKind.EMERGENCY
_CONTINUE, _END = ReviewDecision.CONTINUE, ReviewDecision.END
_MAKE_PERMANENT = ReviewDecision.MAKE_PERMANENT
_FIRST_REVIEW, _SECOND_REVIEW = DeadlineKind.FIRST_REVIEW, DeadlineKind.SECOND_REVIEW
_CHILD = Party.CHILD


# R9 ----------------------------------------------------------------------------------------------
def _meeting_date_problems(
    case: CaseState, meeting: ReviewMeeting, on: dt.date, *, emergency: bool
) -> list[str]:
    """R9, R10: a meeting is recorded once held, not before the placement started, and (edition
    3) not before the case's previous meeting, or, an emergency review, before it was called."""
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
    if not in_order(case):
        return reasons
    held = meeting.held_on
    if emergency:
        called = case.emergency_called_on
        if called is not None and held < called:
            reasons.append(
                f"The emergency review on {held.isoformat()} is dated before it was called on "
                f"{called.isoformat()}."
            )
    else:
        previous = case.last_meeting_on
        if previous is not None and held < previous:
            reasons.append(
                f"The review on {held.isoformat()} is dated before the case's previous meeting "
                f"on {previous.isoformat()}."
            )
    return reasons


def review_is_complete(case: CaseState, meeting: ReviewMeeting, on: dt.date) -> list[str]:
    """R9: a review heard the child's views and had every party the protocol names; its
    decision is one a review of its kind may take."""
    reasons = _meeting_date_problems(case, meeting, on, emergency=False)
    if meeting.kind is _EMERGENCY:
        reasons.append("An emergency review is held with hold_emergency_review.")
    if meeting.child_views is None:
        reasons.append("The child's views were not gathered before the review.")
    elif meeting.child_views.gathered_on > meeting.held_on:
        reasons.append("The child's views were gathered after the review, not before it.")
    needed = case.protocol.review_parties
    for party in missing_parties(meeting.parties, needed):
        reasons.append(f"The review was not attended by {PARTY_WORDS[party]}.")
    reasons.extend(unnamed_parties(case, meeting, needed))
    decision = meeting.decision
    if decision is _END:
        reasons.append(
            "A review cannot end the reintegration; the host school holds an emergency review "
            "(process step 7)."
        )
    elif meeting.kind is not _FINAL and decision is _MAKE_PERMANENT:
        reasons.append("Only the final review can decide on a permanent move.")
    elif meeting.kind is _FINAL and decision is _CONTINUE:
        if meeting.next_meeting is None:
            reasons.append("A final review that extends the placement must set the next meeting.")
        elif meeting.next_meeting <= meeting.held_on:
            reasons.append("The next meeting must be after this review.")
        elif (
            more_than_a_year_after(meeting.next_meeting, meeting.held_on)
            and not is_judging_recorded()
        ):
            reasons.append(
                f"The next meeting on {meeting.next_meeting.isoformat()} is more than a year "
                "after this review; a meeting agreed so far ahead would keep the case off the "
                "due list until then."
            )
    elif meeting.kind is _FINAL and decision is _MAKE_PERMANENT:
        reasons.extend(_permanent_from_problems(case, meeting))
    return reasons


def _permanent_from_problems(case: CaseState, meeting: ReviewMeeting) -> list[str]:
    """R9: a final review's agreed date of permanent admission (required from revision 2), at
    most a year after it in a new step (a history recorded before the limit still replays)."""
    agreed = meeting.permanent_from
    if agreed is None:
        if revised(case):
            return [
                "A permanent move needs the agreed date of permanent admission (process step 8)."
            ]
        return []
    if agreed < meeting.held_on:
        if revised(case):
            return ["The date of permanent admission cannot be before the final review."]
        return []
    if more_than_a_year_after(agreed, meeting.held_on) and not is_judging_recorded():
        return [
            f"The date of permanent admission {agreed.isoformat()} is more than a year after "
            "the final review; a move agreed so far ahead would lock the case, its successful "
            "outcome waiting for that date (R13)."
        ]
    return []


def review_practice(case: CaseState, meeting: ReviewMeeting, on: dt.date) -> list[str]:
    """R9, departures: the child attends, and their views are fresh and answered (step 6)."""
    found = []
    if _CHILD not in attending(case, meeting):
        found.append("The child did not attend the review (process step 6).")
    found.extend(_views_practice(case, meeting))
    if meeting.kind is _FINAL and meeting.decision is _MAKE_PERMANENT:
        unmet = [
            d.kind.value.replace("_", " ")
            for d in case.deadlines
            if d.met_on is None and d.kind in (_FIRST_REVIEW, _SECOND_REVIEW)
        ]
        if unmet:
            found.append(
                f"The move was made permanent with the {' and the '.join(unmet)} not held."
            )
    return found


def _views_practice(case: CaseState, meeting: ReviewMeeting) -> list[str]:
    views = meeting.child_views
    if views is None:
        return []
    found = []
    previous = case.last_meeting_on
    if previous is not None and views.gathered_on < previous:
        found.append(
            f"The child's views were gathered on {views.gathered_on.isoformat()}, before the "
            f"previous meeting on {previous.isoformat()}, not for this one (process step 6)."
        )
    # Read today's way, the form counts its answers once (`ChildViews.answered`, on the path
    # of every review); read as before, the answers together are blank exactly when each is
    # (either reading is of each character alone).
    if (
        views.answered == 0
        if reads_today(case)
        else blank_as_read(case, "".join([getattr(views, q) for q in VIEWS_QUESTIONS]))
    ):
        found.append("The child's views form answers none of its five questions.")
    return found


# R10, R11 ----------------------------------------------------------------------------------------
def emergency_reason_given(case: CaseState, reason: str, on: dt.date) -> list[str]:
    """R10: an emergency review is called for a stated reason."""
    return (
        ["The reason for the emergency review is not given."] if blank_as_read(case, reason) else []
    )


def emergency_review_is_complete(
    case: CaseState, review: EmergencyReview, on: dt.date
) -> list[str]:
    """R10: an emergency review included every party and documented any support to continue."""
    meeting = review.meeting
    reasons = _meeting_date_problems(case, meeting, on, emergency=True)
    if meeting.kind is not _EMERGENCY:
        reasons.append("The meeting is not recorded as an emergency review.")
    needed = case.protocol.emergency_review_parties
    for party in missing_parties(meeting.parties, needed):
        reasons.append(f"The emergency review did not include {PARTY_WORDS[party]}.")
    reasons.extend(unnamed_parties(case, meeting, needed))
    if meeting.decision is _MAKE_PERMANENT:
        reasons.append("An emergency review decides to continue or to end, not a permanent move.")
    elif meeting.decision is _CONTINUE:
        if blank_as_read(case, meeting.additional_support):
            reasons.append("The additional support needed to continue is not documented.")
        if review.letter is not None:
            reasons.append("A failure letter is only sent when the reintegration ends.")
    return reasons


def emergency_review_practice(case: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R10, departures: the child's views were gathered for it, and the child attended."""
    meeting = review.meeting
    found = []
    views = meeting.child_views
    if views is None:
        found.append("The child's views were not gathered for the emergency review.")
    elif views.gathered_on > meeting.held_on:
        found.append("The child's views were gathered after the emergency review, not for it.")
    else:
        found.extend(_views_practice(case, meeting))
    if _CHILD not in attending(case, meeting):
        found.append("The child did not attend the emergency review.")
    return found


def ending_practice(case: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R11, a departure: an ending documents the measures that could have avoided failure.

    Under edition 3 (the review form's note)."""
    meeting = review.meeting
    if (
        meeting.decision is not _END
        or not in_order(case)
        or not blank_as_read(case, meeting.additional_support)
    ):
        return []
    return [
        "The emergency review ended the placement without documenting what measures could be "
        "put in place to avoid failure (the review form: additional support)."
    ]


def ending_is_justified(case: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R11: ending records the concerns and sends a proper failure letter."""
    if review.meeting.decision is not _END:
        return []
    reasons = []
    if blank_as_read(case, review.meeting.concerns):
        reasons.append("The concerns that led to the ending are not recorded.")
    letter = review.letter
    if letter is None:
        reasons.append("Ending the reintegration needs a failure letter to the parent/carer.")
        return reasons
    if not letter.reasons or any(blank_as_read(case, reason) for reason in letter.reasons):
        reasons.append("The letter does not give the reasons for ending in plain English.")
    if not letter.incident_investigated:
        reasons.append("The letter does not confirm the key incident was investigated fully.")
    if not letter.harassment_checked:
        reasons.append(
            "The letter does not confirm a check for racial or sexual harassment as a provocation."
        )
    if not letter.child_version_heard:
        reasons.append("The letter does not confirm the child gave their version of events.")
    if not letter.support_provided or any(
        blank_as_read(case, item) for item in letter.support_provided
    ):
        reasons.append("The letter does not list the support that was put in place.")
    if letter.effective_date < on:
        reasons.append(
            f"The letter's effective date {english_date(letter.effective_date)} is in the past."
        )
    written = letter.written_on
    if written is not None and in_order(case):
        held = review.meeting.held_on
        if written < held:
            reasons.append(
                f"The letter is dated {written.isoformat()}, before the emergency review that "
                f"decided the ending on {held.isoformat()}."
            )
        if written > letter.effective_date:
            reasons.append(
                f"The letter is dated {written.isoformat()}, after its effective date "
                f"{letter.effective_date.isoformat()}."
            )
    if blank_as_read(case, letter.head_teacher):
        reasons.append("The head teacher signing the letter is not named.")
    if blank_as_read(case, letter.parent_name):
        reasons.append("The letter does not name the parent/carer it is written to.")
    return reasons
