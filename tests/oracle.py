"""The protocol transcribed by hand from ../shared/PROTOCOL.md (revision 2): an oracle for the
tests, written without reading the library's own declaration, so that a test comparing the two
can fail."""

from __future__ import annotations

from reintegration_fsm import Role, Stage

S = Stage
BEFORE_PLACEMENT = (S.PROPOSED, S.CONSENTED, S.REFERRED, S.HOST_IDENTIFIED, S.PLANNED)
FINAL = (S.SUCCESSFUL, S.UNSUCCESSFUL, S.WITHDRAWN)
REFERRED_OR_LATER = (
    S.REFERRED,
    S.HOST_IDENTIFIED,
    S.PLANNED,
    S.IN_PLACEMENT,
    S.EMERGENCY_REVIEW,
    S.ENDING,
)

MOVES: dict[str, dict[Stage, tuple[Stage, ...]]] = {
    "record_consent": {S.PROPOSED: (S.CONSENTED,)},
    "refer_to_fair_access": {S.CONSENTED: (S.REFERRED,)},
    "identify_host": {S.REFERRED: (S.HOST_IDENTIFIED,)},
    "note_at_panel": {stage: (stage,) for stage in REFERRED_OR_LATER},
    "hold_initial_meeting": {S.HOST_IDENTIFIED: (S.PLANNED,)},
    "start_placement": {S.PLANNED: (S.IN_PLACEMENT,)},
    "hold_review": {S.IN_PLACEMENT: (S.IN_PLACEMENT,)},
    "call_emergency_review": {S.IN_PLACEMENT: (S.EMERGENCY_REVIEW,)},
    "hold_emergency_review": {S.EMERGENCY_REVIEW: (S.IN_PLACEMENT, S.ENDING)},
    "record_successful_outcome": {S.IN_PLACEMENT: (S.SUCCESSFUL,)},
    "record_unsuccessful_outcome": {S.ENDING: (S.UNSUCCESSFUL,)},
    "withdraw": dict.fromkeys(BEFORE_PLACEMENT, (S.WITHDRAWN,)),
    "discharge": {stage: (stage,) for stage in Stage},
}
"""Trigger -> stage it may be fired in -> the stages it may lead to ("from -> to")."""

R = Role
WORCESTERSHIRE_ROLES: dict[str, frozenset[Role]] = {
    "open": frozenset({R.AP_HEAD}),
    "record_consent": frozenset({R.AP_HEAD}),
    "refer_to_fair_access": frozenset({R.AP_HEAD}),
    "identify_host": frozenset({R.LA_ADMISSIONS}),
    "note_at_panel": frozenset({R.LA_ADMISSIONS}),
    "hold_initial_meeting": frozenset({R.AP_HEAD, R.AP_STAFF}),
    "start_placement": frozenset({R.HOST_HEAD, R.HOST_STAFF}),
    "hold_review": frozenset({R.HOST_HEAD, R.HOST_STAFF, R.AP_HEAD, R.AP_STAFF}),
    "call_emergency_review": frozenset({R.HOST_HEAD, R.HOST_STAFF}),
    "hold_emergency_review": frozenset({R.HOST_HEAD, R.HOST_STAFF}),
    "record_successful_outcome": frozenset({R.HOST_HEAD, R.HOST_STAFF}),
    "record_unsuccessful_outcome": frozenset({R.AP_HEAD, R.AP_STAFF}),
    "withdraw": frozenset({R.AP_HEAD, R.PARENT}),
    "discharge": frozenset({R.AP_HEAD, R.AP_STAFF, R.HOST_HEAD, R.HOST_STAFF, R.LA_ADMISSIONS}),
}
"""The roles column of the trigger table."""

EDGES = frozenset(
    (source, dest, trigger)
    for trigger, sources in MOVES.items()
    for source, dests in sources.items()
    for dest in dests
    if dest is not source
)
"""Every stage change the protocol allows."""
