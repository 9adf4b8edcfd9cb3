"""The protocol's words: stages, roles, parties, kinds, and the actor who fires a trigger."""

from __future__ import annotations

import enum
from typing import Any, NoReturn

import attrs

from reintegration_fsm import fields
from reintegration_fsm.errors import FormInvalid, a_or_an, describe
from reintegration_fsm.validation import fail


class Word(str, enum.Enum):
    """One of the protocol's words (every enum below): a value that is none of them, as
    `Role("head")`, is `FormInvalid` naming them, as a form's field is."""

    @classmethod
    def refusal(cls, value: object) -> str:
        """Why `value` is none of these words, naming them."""
        words = ", ".join(member.value for member in cls)
        return f"{describe(value)} is not {a_or_an(cls.__name__)} (one of: {words})"

    @classmethod
    def _missing_(cls, value: object) -> NoReturn:
        raise FormInvalid(cls.__name__, "value", cls.refusal(value))


class Stage(Word):
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


class Role(Word):
    """What an actor is, for deciding what they may do."""

    AP_HEAD = "ap_head"
    AP_STAFF = "ap_staff"
    HOST_HEAD = "host_head"
    HOST_STAFF = "host_staff"
    LA_ADMISSIONS = "la_admissions"
    PARENT = "parent"
    CHILD = "child"


class Party(Word):
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


class Trigger(Word):
    """The protocol's steps, by the names of their `Reintegration` methods."""

    OPEN = "open"
    RECORD_CONSENT = "record_consent"
    REFER_TO_FAIR_ACCESS = "refer_to_fair_access"
    IDENTIFY_HOST = "identify_host"
    NOTE_AT_PANEL = "note_at_panel"
    HOLD_INITIAL_MEETING = "hold_initial_meeting"
    START_PLACEMENT = "start_placement"
    HOLD_REVIEW = "hold_review"
    CALL_EMERGENCY_REVIEW = "call_emergency_review"
    HOLD_EMERGENCY_REVIEW = "hold_emergency_review"
    RECORD_SUCCESSFUL_OUTCOME = "record_successful_outcome"
    RECORD_UNSUCCESSFUL_OUTCOME = "record_unsuccessful_outcome"
    WITHDRAW = "withdraw"
    DISCHARGE = "discharge"


class ReferralRoute(Word):
    """How the case reaches the Fair Access Area Panel (FAAP)."""

    PANEL = "panel"
    VIRTUAL = "virtual"


class DeadlineKind(Word):
    """The dated promises the protocol makes."""

    PLACE_OFFER = "place_offer"
    FIRST_REVIEW = "first_review"
    SECOND_REVIEW = "second_review"
    FINAL_REVIEW = "final_review"


INTERIM_DEADLINES = (DeadlineKind.FIRST_REVIEW, DeadlineKind.SECOND_REVIEW)

SCHOOL_DAY_DEADLINES = (DeadlineKind.PLACE_OFFER,)
"""The deadlines a step counts in school days on the case's calendar (R5's place offer); the
reviews are the dates their meetings agree."""


class Rating(Word):
    """An overall rating on the Reintegration Information form."""

    GOOD = "good"
    SATISFACTORY = "satisfactory"
    POOR = "poor"


class Evidence(Word):
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


class ReviewKind(Word):
    """Which review meeting this is."""

    INTERIM = "interim"
    FINAL = "final"
    EMERGENCY = "emergency"


class ReviewDecision(Word):
    """The outcome of a review."""

    CONTINUE = "continue"
    END = "end"
    MAKE_PERMANENT = "make_permanent"


class Session(Word):
    """Where the child spends one morning or afternoon of the Reintegration Timetable."""

    HOST = "host"
    AP = "ap"
    NONE = "none"


class ObligationKind(Word):
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
    CONSENT_TO_DELETION = "consent_to_deletion"
    NOTIFY_PORTAL = "notify_portal"
    ARRANGE_HOME_SCHOOL_MEETING = "arrange_home_school_meeting"


ROLE_WORDS: dict[Role, str] = {
    Role.AP_HEAD: "the AP head teacher",
    Role.AP_STAFF: "an AP staff member",
    Role.HOST_HEAD: "the host head teacher",
    Role.HOST_STAFF: "a host school staff member",
    Role.LA_ADMISSIONS: "a local authority admissions officer",
    Role.PARENT: "a parent or carer",
    Role.CHILD: "the child",
}
"""Each role as a sentence names it."""

PARTY_WORDS: dict[Party, str] = {
    Party.AP: "the Alternative Provision setting",
    Party.HOST: "the host school",
    Party.PARENT: "a parent/carer",
    Party.CHILD: "the child",
    Party.LA: "the local authority",
    Party.OTHER: "another agency",
}
"""Each party as a sentence names it."""

ORGANISATION_OF_PARTY: dict[Party, str] = {
    Party.AP: "ap_setting",
    Party.HOST: "host_school",
    Party.LA: "local_authority",
}
"""R15: the case attribute naming the organisation a party's actors must act for. Parents and
children act for themselves."""

ROLES_OF_PARTY: dict[Party, frozenset[Role]] = {
    party: frozenset(role for role, owner in PARTY_OF_ROLE.items() if owner is party)
    for party in Party
}
"""The roles that speak for each party (an obligation's owner party is discharged by these)."""

FAMILY_ROLES = frozenset(
    role for role, party in PARTY_OF_ROLE.items() if party not in ORGANISATION_OF_PARTY
)
"""The roles acting for themselves, for no organisation (R15): a parent or carer, the child.
Their names are the family's personal data; staff act in their professional role."""


def words_for_roles(roles: frozenset[Role]) -> str:
    """Roles as a sentence lists them: "the AP head teacher or an AP staff member"."""
    names = [ROLE_WORDS[role] for role in Role if role in roles]
    if not names:
        return "nobody"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


REDACTED = "$redacted"
"""What a store writes in place of a removed value: `{"$redacted": digest}` in a transition's
data, `$redacted:digest` in an actor's id or name."""


def _unmarked(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A name that must be given, and not read back as one a redaction removed."""
    fields.given_name(instance, attribute, value)
    if value.startswith(REDACTED):
        raise fail(
            instance,
            attribute,
            f"must not start with {REDACTED}, which a store writes in place of a removed value",
        )


@attrs.frozen
class Actor:
    """Someone who fires a trigger: an id, a name, a role and the organisation they act for."""

    id: str = attrs.field(validator=_unmarked)
    name: str = attrs.field(validator=_unmarked)
    role: Role = attrs.field(validator=fields.member(Role))
    organisation: str = attrs.field(default="", validator=fields.name)

    @property
    def party(self) -> Party:
        """The side of the reintegration this actor speaks for."""
        return PARTY_OF_ROLE[self.role]

    @property
    def family_with_organisation(self) -> bool:
        """Whether a parent or the child gives an organisation (text that prints something),
        which, acting for themselves, they have none of (R15): a step taken now so is
        refused, and an import refuses a history holding one, since the log keeps an actor's
        organisation where no redaction or retention run reaches it."""
        return self.role in FAMILY_ROLES and not fields.prints_nothing(self.organisation)


ENUMS: tuple[type[Word], ...] = (
    Stage,
    Trigger,
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
