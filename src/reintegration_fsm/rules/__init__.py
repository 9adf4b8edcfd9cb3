"""The protocol's rules R1-R17 as small pure functions.

Each takes the case (as `CaseState`), the trigger's payload and the business date `on`, and
returns sentences: a guard (the seed's *must*) returns the unmet conditions, and a refusal lists
every one; a departure check (the seed's *should*) returns where practice fell short, which the
transition records and accepts. Every number and party comes from the case's `Protocol`.

The machinery they share is in `reading` (how a case is read) and `dates` (R16); the rules
themselves, by stage, in `referral` (R1-R6), `placement` (R7, R8), `reviews` (R9-R11) and
`outcomes` (R12-R14, R17).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from reintegration_fsm.rules.dates import (
    FIRST_ZONE,
    FURTHEST_AHEAD,
    TIME_RUNS_FORWARD,
    AheadOfToday,
    DatedReason,
    days_behind_first_zone,
    earlier_than_last,
    furthest_date,
    judging_recorded,
    more_than_a_year_ahead,
    time_runs_forward,
)
from reintegration_fsm.rules.outcomes import (
    DELETION_CONSENT_BASIS,
    deletion_is_consented,
    obligation_is_open,
    permanent_move_is_agreed,
    return_is_provided_for,
    weighting_can_be_recorded,
    withdrawal_reason_given,
)
from reintegration_fsm.rules.placement import (
    SIGNERS,
    initial_meeting_is_complete,
    joiners_return_can_be_dated,
    placement_prepared,
    review_dates_problems,
    start_date_reached,
)
from reintegration_fsm.rules.reading import (
    IN_ORDER_EDITION,
    CaseState,
    at_school,
    attending,
    blank_as_read,
    in_order,
    same_name,
    same_name_as_read,
)
from reintegration_fsm.rules.referral import (
    EVIDENCE_WORDS,
    child_agreement_recorded,
    consent_is_complete,
    host_is_named,
    host_was_preferred,
    information_is_gathered,
    panel_note_is_open,
    protocol_in_effect,
    psp_is_active,
    pupil_is_eligible,
)
from reintegration_fsm.rules.reviews import (
    emergency_reason_given,
    emergency_review_is_complete,
    emergency_review_practice,
    ending_is_justified,
    ending_practice,
    review_is_complete,
    review_practice,
)

__all__ = [
    "DELETION_CONSENT_BASIS",
    "EVIDENCE_WORDS",
    "FIRST_ZONE",
    "FURTHEST_AHEAD",
    "IN_ORDER_EDITION",
    "RULE_OF",
    "SIGNERS",
    "TIME_RUNS_FORWARD",
    "AheadOfToday",
    "CaseState",
    "DatedReason",
    "at_school",
    "attending",
    "blank_as_read",
    "child_agreement_recorded",
    "consent_is_complete",
    "days_behind_first_zone",
    "deletion_is_consented",
    "earlier_than_last",
    "emergency_reason_given",
    "emergency_review_is_complete",
    "emergency_review_practice",
    "ending_is_justified",
    "ending_practice",
    "furthest_date",
    "host_is_named",
    "host_was_preferred",
    "in_order",
    "information_is_gathered",
    "initial_meeting_is_complete",
    "joiners_return_can_be_dated",
    "judging_recorded",
    "more_than_a_year_ahead",
    "obligation_is_open",
    "panel_note_is_open",
    "permanent_move_is_agreed",
    "placement_prepared",
    "protocol_in_effect",
    "psp_is_active",
    "pupil_is_eligible",
    "return_is_provided_for",
    "review_dates_problems",
    "review_is_complete",
    "review_practice",
    "same_name",
    "same_name_as_read",
    "start_date_reached",
    "time_runs_forward",
    "weighting_can_be_recorded",
    "withdrawal_reason_given",
]

RULE_OF: Mapping[Callable[..., list[str]], str] = MappingProxyType(
    {
        time_runs_forward: "R16",
        pupil_is_eligible: "R1",
        consent_is_complete: "R2",
        psp_is_active: "R3",
        information_is_gathered: "R4",
        host_is_named: "R5",
        panel_note_is_open: "R6",
        initial_meeting_is_complete: "R7",
        start_date_reached: "R8",
        joiners_return_can_be_dated: "R8",
        review_is_complete: "R9",
        emergency_reason_given: "R10",
        emergency_review_is_complete: "R10",
        ending_is_justified: "R11",
        return_is_provided_for: "R12",
        permanent_move_is_agreed: "R13",
        weighting_can_be_recorded: "R13",
        withdrawal_reason_given: "R14",
        deletion_is_consented: "R17",
    }
)
"""The rule each refusing guard checks, as `GuardFailed.rules` names it (its docstring starts
with it); `protocol_in_effect` and `obligation_is_open` belong to no numbered rule."""
