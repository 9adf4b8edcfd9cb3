"""The respects in which the `invalid_*` strategies break a form: one tuple of names per form.

Each name is one condition of a rule; `reintegration_fsm.testing.broken` breaks exactly that one.
A condition a protocol's edition of the rules does not have (`unnamed_attendee` and
`unnamed_party` before edition 3, which counts a party only through an attendee with a name) is
not drawn under it, and asking for it raises `InvalidArgument`.
"""

from __future__ import annotations

__all__ = [
    "CONSENT_RESPECTS",
    "EMERGENCY_REVIEW_RESPECTS",
    "FAILURE_LETTER_RESPECTS",
    "INFORMATION_RESPECTS",
    "INITIAL_MEETING_RESPECTS",
    "PSP_RESPECTS",
    "REVIEW_RESPECTS",
    "SUCCESSFUL_OUTCOME_RESPECTS",
    "UNSUCCESSFUL_OUTCOME_RESPECTS",
]

CONSENT_RESPECTS = (
    "wrong_child",
    "wrong_date_of_birth",
    "no_parental_responsibility",
    "other_parent_disagrees",
    "does_not_understand",
    "does_not_agree",
    "child_disagrees",
    "no_consent_to_share",
    "no_preferred_school",
    "not_signed",
    "not_dated",
    "dated_after",
)
PSP_RESPECTS = ("not_started", "ended")
INFORMATION_RESPECTS = (
    "missing_rating",
    "no_reasons_for_success",
    "no_transport_plan",
    "missing_evidence",
)
INITIAL_MEETING_RESPECTS = (
    "held_after",
    "views_after_meeting",
    "parent_absent",
    "child_absent",
    "missing_signature",
    "start_before_meeting",
    "start_too_late",
    "no_transport",
    "no_child_expectations",
    "no_school_expectations",
    "no_parent_expectations",
    "no_ap_support",
    "no_host_contact",
    "first_review_too_early",
    "second_review_too_early",
    "final_review_too_early",
    "final_review_too_late",
)
REVIEW_RESPECTS = (
    "held_after",
    "before_placement",
    "emergency_kind",
    "no_child_views",
    "views_after_review",
    "missing_attendee",
    "unnamed_attendee",
    "decides_end",
    "interim_makes_permanent",
    "final_continue_without_next_meeting",
    "next_meeting_not_after",
    "permanent_without_date",
    "permanent_before_review",
    "next_meeting_too_far",
    "permanent_too_far",
)
FAILURE_LETTER_RESPECTS = (
    "no_reasons",
    "incident_not_investigated",
    "harassment_not_checked",
    "child_not_heard",
    "no_support_listed",
    "backdated",
    "no_head_teacher",
    "no_parent_named",
)
EMERGENCY_REVIEW_RESPECTS = (
    "held_after",
    "before_placement",
    "not_emergency_kind",
    "missing_party",
    "unnamed_party",
    "makes_permanent",
    "continue_without_support",
    "continue_with_letter",
    "end_without_concerns",
    "end_without_letter",
    *(f"letter_{respect}" for respect in FAILURE_LETTER_RESPECTS),
)
SUCCESSFUL_OUTCOME_RESPECTS = ("joiner_form_not_completed", "on_roll_before_start")
UNSUCCESSFUL_OUTCOME_RESPECTS = ("no_provision", "no_return_date", "not_completed_by")
