"""The protocol's words: stages, roles, parties, kinds, and the actor who fires a trigger."""

from __future__ import annotations

import enum

import attrs

from reintegration_fsm import fields


class Stage(str, enum.Enum):
    """Where a case stands in the protocol."""

    PROPOSED = "proposed"
    CONSENTED = "consented"
    REFERRED = "referred"
    HOST_IDENTIFIED = "host_identified"
    PLANNED = "planned"
    IN_PLACEMENT = "in_placement"
    EMERGENCY_REVIEW = "emergency_review"
    ENDING = "ending"
    SUCCESSFUL = "successful"
    UNSUCCESSFUL = "unsuccessful"
    WITHDRAWN = "withdrawn"

    @property
    def is_final(self) -> bool:
        """True for the stages nothing leaves."""
        return self in FINAL_STAGES


FINAL_STAGES = frozenset({Stage.SUCCESSFUL, Stage.UNSUCCESSFUL, Stage.WITHDRAWN})
DUAL_REGISTERED_STAGES = frozenset({Stage.IN_PLACEMENT, Stage.EMERGENCY_REVIEW, Stage.ENDING})


class Role(str, enum.Enum):
    """What an actor is, for deciding what they may do."""

    AP_HEAD = "ap_head"
    AP_STAFF = "ap_staff"
    HOST_HEAD = "host_head"
    HOST_STAFF = "host_staff"
    LA_ADMISSIONS = "la_admissions"
    PARENT = "parent"
    CHILD = "child"


class Party(str, enum.Enum):
    """A side of the reintegration: who attends, signs, or owns an obligation."""

    AP = "ap"
    HOST = "host"
    PARENT = "parent"
    CHILD = "child"
    LA = "la"
    OTHER = "other"


PARTY_OF_ROLE: dict[Role, Party] = {
    Role.AP_HEAD: Party.AP,
    Role.AP_STAFF: Party.AP,
    Role.HOST_HEAD: Party.HOST,
    Role.HOST_STAFF: Party.HOST,
    Role.LA_ADMISSIONS: Party.LA,
    Role.PARENT: Party.PARENT,
    Role.CHILD: Party.CHILD,
}


class ReferralRoute(str, enum.Enum):
    """How the case reaches the Fair Access Area Panel (FAAP)."""

    PANEL = "panel"
    VIRTUAL = "virtual"


class DeadlineKind(str, enum.Enum):
    """The dated promises the protocol makes."""

    PLACE_OFFER = "place_offer"
    FIRST_REVIEW = "first_review"
    SECOND_REVIEW = "second_review"
    FINAL_REVIEW = "final_review"


INTERIM_DEADLINES = (DeadlineKind.FIRST_REVIEW, DeadlineKind.SECOND_REVIEW)


class Rating(str, enum.Enum):
    """An overall rating on the Reintegration Information form."""

    GOOD = "good"
    SATISFACTORY = "satisfactory"
    POOR = "poor"


class Evidence(str, enum.Enum):
    """Documents of previous interventions gathered before the panel."""

    PSP = "psp"
    IEP = "iep"
    IHCP = "ihcp"
    BEHAVIOUR_LOG = "behaviour_log"
    BEHAVIOUR_ANALYSIS = "behaviour_analysis"
    GRADUATED_RESPONSE = "graduated_response"
    ATTENDANCE_RECORD = "attendance_record"
    PERSONAL_EDUCATION_PLAN = "personal_education_plan"
    EXCLUSION_DATA = "exclusion_data"
    KS4_OPTIONS = "ks4_options"
    ASSESSMENT_DATA = "assessment_data"


class ReviewKind(str, enum.Enum):
    """Which review meeting this is."""

    INTERIM = "interim"
    FINAL = "final"
    EMERGENCY = "emergency"


class ReviewDecision(str, enum.Enum):
    """The outcome of a review."""

    CONTINUE = "continue"
    END = "end"
    MAKE_PERMANENT = "make_permanent"


class Session(str, enum.Enum):
    """Where the child spends one morning or afternoon of the Reintegration Timetable."""

    HOST = "host"
    AP = "ap"
    NONE = "none"


class ObligationKind(str, enum.Enum):
    """Follow-up work a transition leaves for a party to do."""

    NOTE_AT_PANEL = "note_at_panel"
    SHARE_INFORMATION_WITH_HOST = "share_information_with_host"
    OFFER_VISIT = "offer_visit"
    SEND_PAPERWORK_TO_ADMISSIONS = "send_paperwork_to_admissions"
    COMPLETE_JOINERS_FORM = "complete_joiners_form"
    MARK_DUAL_REGISTRATION = "mark_dual_registration"
    COMPLETE_LEAVERS_FORM = "complete_leavers_form"
    TRANSFER_RECORDS = "transfer_records"
    RETURN_OUTCOME_FORM = "return_outcome_form"
    ADJUST_WEIGHTINGS = "adjust_weightings"
    REDESIGNATE_TRANSPORT = "redesignate_transport"
    SEND_FAILURE_LETTER = "send_failure_letter"
    DELETE_FROM_ROLL = "delete_from_roll"
    NOTIFY_PORTAL = "notify_portal"
    ARRANGE_HOME_SCHOOL_MEETING = "arrange_home_school_meeting"


OBLIGATION_OWNER: dict[ObligationKind, Party] = {
    ObligationKind.NOTE_AT_PANEL: Party.LA,
    ObligationKind.SHARE_INFORMATION_WITH_HOST: Party.AP,
    ObligationKind.OFFER_VISIT: Party.AP,
    ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS: Party.AP,
    ObligationKind.COMPLETE_JOINERS_FORM: Party.HOST,
    ObligationKind.MARK_DUAL_REGISTRATION: Party.AP,
    ObligationKind.COMPLETE_LEAVERS_FORM: Party.AP,
    ObligationKind.TRANSFER_RECORDS: Party.AP,
    ObligationKind.RETURN_OUTCOME_FORM: Party.HOST,
    ObligationKind.ADJUST_WEIGHTINGS: Party.LA,
    ObligationKind.REDESIGNATE_TRANSPORT: Party.LA,
    ObligationKind.SEND_FAILURE_LETTER: Party.HOST,
    ObligationKind.DELETE_FROM_ROLL: Party.HOST,
    ObligationKind.NOTIFY_PORTAL: Party.HOST,
    ObligationKind.ARRANGE_HOME_SCHOOL_MEETING: Party.AP,
}


@attrs.frozen
class Actor:
    """Someone who fires a trigger: an id, a name, a role and the organisation they act for."""

    id: str = attrs.field(validator=fields.text)
    name: str = attrs.field(validator=fields.text)
    role: Role = attrs.field(validator=fields.member(Role))
    organisation: str = attrs.field(default="", validator=fields.text)

    @property
    def party(self) -> Party:
        """The side of the reintegration this actor speaks for."""
        return PARTY_OF_ROLE[self.role]


ENUMS: tuple[type[enum.Enum], ...] = (
    Stage,
    Role,
    Party,
    ReferralRoute,
    DeadlineKind,
    Rating,
    Evidence,
    ReviewKind,
    ReviewDecision,
    Session,
    ObligationKind,
)
