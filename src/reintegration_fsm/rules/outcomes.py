"""R12-R14, R17: the outcomes, a withdrawal, and the obligations a case discharges."""

from __future__ import annotations

import datetime as dt

from reintegration_fsm.errors import describe
from reintegration_fsm.fields import INTEGER_MOST
from reintegration_fsm.forms import SuccessfulOutcome, UnsuccessfulOutcome
from reintegration_fsm.rules.reading import (
    CaseState,
    blank_as_read,
    in_order,
)
from reintegration_fsm.vocabulary import PARTY_WORDS, ObligationKind, ReviewDecision

# Bound once, as `reviews` binds the members a review reads (a slow read before Python 3.12).
_MAKE_PERMANENT = ReviewDecision.MAKE_PERMANENT

DELETION_CONSENT_BASIS = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, regulation 9(1)(c)(ii): "
    "the proprietor of each other school where the pupil is registered has consented to the "
    "deletion."
)


# R12, R13 ----------------------------------------------------------------------------------------
def return_is_provided_for(case: CaseState, form: UnsuccessfulOutcome, on: dt.date) -> list[str]:
    """R12: the home setting records the provision for the child's return and its date (under
    edition 3, not before the placement was ended)."""
    reasons = []
    if blank_as_read(case, form.provision_for_return):
        reasons.append("The provision made for the child's return is not recorded.")
    ended = case.ended_on
    if form.return_date is None:
        reasons.append("The date of return to the Alternative Provision setting is missing.")
    elif in_order(case) and ended is not None and form.return_date < ended:
        reasons.append(
            f"The date of return to the Alternative Provision setting, "
            f"{form.return_date.isoformat()}, is before the placement was ended on "
            f"{ended.isoformat()}."
        )
    if blank_as_read(case, form.completed_by):
        reasons.append("The name of the person completing the form is missing.")
    return reasons


def permanent_move_is_agreed(case: CaseState, form: SuccessfulOutcome, on: dt.date) -> list[str]:
    """R13: a final review decided the permanent move, from a date now reached, and the Joiners
    Form is done."""
    reasons = []
    if case.final_decision is not _MAKE_PERMANENT:
        reasons.append("No final review has decided on a permanent move.")
    elif case.permanent_from is not None and on < case.permanent_from:
        reasons.append(
            f"The agreed date of permanent admission is {case.permanent_from.isoformat()}, "
            f"after {on.isoformat()} (process step 8)."
        )
    if not form.joiner_form_completed:
        reasons.append("The Joiners Form has not been completed on the Children's Services Portal.")
    started = case.placement_started_on
    if started is not None and form.date_on_roll < started:
        reasons.append(
            f"The date on roll {form.date_on_roll.isoformat()} is before the placement started "
            f"on {started.isoformat()}."
        )
    if in_order(case) and form.date_on_roll > on:
        reasons.append(
            f"The date on roll {form.date_on_roll.isoformat()} is after {on.isoformat()}, the day "
            "the outcome is recorded: record it once the child is on the roll."
        )
    return reasons


def weighting_can_be_recorded(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R13: the move's weighting, the protocol's `weighting_points`, is one a store's INTEGER
    column holds. No new case opens under more (`Protocol.opening_problems`), but a protocol an
    earlier version took with more still loads for the cases opened under it."""
    points = case.protocol.weighting_points
    if points <= INTEGER_MOST:
        return []
    return [
        f"The move's weighting cannot be recorded: {describe(points)} points (the protocol's "
        f"weighting_points) is more than a store holds ({INTEGER_MOST}), so no successful "
        "outcome can be recorded under this protocol."
    ]


# R14 ---------------------------------------------------------------------------------------------
def withdrawal_reason_given(case: CaseState, reason: str, on: dt.date) -> list[str]:
    """R14: a withdrawal says why."""
    return ["The reason for withdrawing is not given."] if blank_as_read(case, reason) else []


# Obligations, R17 --------------------------------------------------------------------------------
def obligation_is_open(case: CaseState, kind: ObligationKind, on: dt.date) -> list[str]:
    """An obligation can be discharged only while one of its kind is open."""
    if any(o.kind is kind for o in case.obligations):
        return []
    return [f"No {kind.value.replace('_', ' ')} obligation is open."]


def deletion_is_consented(case: CaseState, kind: ObligationKind, on: dt.date) -> list[str]:
    """R17: a dual-registered pupil's name is deleted only with the other school's consent."""
    if kind is not ObligationKind.DELETE_FROM_ROLL:
        return []
    pending = [o for o in case.obligations if o.kind is ObligationKind.CONSENT_TO_DELETION]
    if not pending:
        return []
    return [
        f"The pupil's name cannot be deleted from the roll before {PARTY_WORDS[pending[0].owner]} "
        f"has consented to the deletion ({DELETION_CONSENT_BASIS})"
    ]
