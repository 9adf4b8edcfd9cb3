"""The protocol's forms as frozen attrs classes, with the seed forms' fields.

Validators refuse only wrong types and impossible values (`FormInvalid`); empty, false or
out-of-order content builds, and the rule that needs it says what is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.gb import upn as upn_check

from reintegration_fsm import fields
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.vocabulary import (
    Evidence,
    Party,
    Rating,
    ReviewDecision,
    ReviewKind,
    Session,
)


def _upn(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    fields.text(instance, attribute, value)
    try:
        upn_check.validate(value)
    except StdnumValidationError as error:
        raise FormInvalid(
            type(instance).__name__, attribute.name, f"{value!r} is not a valid UPN: {error}"
        ) from None


@attrs.frozen
class Pupil:
    """The child or young person being reintegrated."""

    name: str = attrs.field(validator=fields.text)
    date_of_birth: dt.date = attrs.field(validator=fields.past_day)
    key_stage: int = attrs.field(validator=fields.within(0, 5))
    on_mainstream_roll: bool = attrs.field(default=False, validator=fields.flag)
    looked_after: bool = attrs.field(default=False, validator=fields.flag)
    upn: str | None = attrs.field(default=None, validator=_upn)
    address: str = attrs.field(default="", validator=fields.text)
    send_level: str = attrs.field(default="", validator=fields.text)
    ethnicity: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class ConsentForm:
    """The Reintegration Consent Form, gained from a parent before another school is approached."""

    child_name: str = attrs.field(validator=fields.text)
    child_dob: dt.date = attrs.field(validator=fields.past_day)
    parent_name: str = attrs.field(validator=fields.text)
    relationship: str = attrs.field(validator=fields.text)
    has_parental_responsibility: bool = attrs.field(validator=fields.flag)
    other_parent_has_responsibility: bool = attrs.field(validator=fields.flag)
    other_parent_agrees: bool | None = attrs.field(validator=fields.optional_flag)
    understands_reasons: bool = attrs.field(validator=fields.flag)
    agrees: bool = attrs.field(validator=fields.flag)
    consent_to_share: bool = attrs.field(validator=fields.flag)
    preferred_schools: tuple[str, ...] = attrs.field(
        converter=fields.to_tuple, validator=fields.each(fields.text)
    )
    signed_by: str = attrs.field(validator=fields.text)
    signed_on: dt.date | None = attrs.field(validator=fields.optional_day)
    ap_setting: str = attrs.field(default="", validator=fields.text)
    child_address: str = attrs.field(default="", validator=fields.text)
    parent_address: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class PastoralSupportPlan:
    """A Pastoral Support Plan (PSP), active from `start` until `end` (open-ended when None)."""

    start: dt.date = attrs.field(validator=fields.day)
    end: dt.date | None = attrs.field(default=None, validator=fields.optional_day)
    summary: str = attrs.field(default="", validator=fields.text)

    def is_active_on(self, on: dt.date) -> bool:
        """True when the plan covers `on` (R3)."""
        return self.start <= on and (self.end is None or self.end >= on)


@attrs.frozen
class Professional:
    """Another professional involved, with their current level of involvement."""

    name: str = attrs.field(validator=fields.text)
    involvement: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class Measure:
    """A measure already taken by the AP setting, with its level of success."""

    measure: str = attrs.field(validator=fields.text)
    level_of_success: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class ReintegrationInformation:
    """The Reintegration Information form, gathered by the AP setting before the panel."""

    attainment: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    effort: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    attitude_to_staff: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    attitude_to_peers: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    homework: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    reasons_for_success: str = attrs.field(validator=fields.text)
    transport_plan: str = attrs.field(validator=fields.text)
    evidence: frozenset[Evidence] = attrs.field(
        converter=fields.to_frozenset, validator=fields.each(fields.member(Evidence), frozenset)
    )
    consent_date: dt.date | None = attrs.field(default=None, validator=fields.optional_day)
    proposed_school: str = attrs.field(default="", validator=fields.text)
    send_level: str = attrs.field(default="", validator=fields.text)
    looked_after_status: str = attrs.field(default="", validator=fields.text)
    ethnicity: str = attrs.field(default="", validator=fields.text)
    attendance_percent: int | None = attrs.field(default=None, validator=fields.percentage)
    exclusions_this_year: int | None = attrs.field(default=None, validator=fields.count)
    professionals: tuple[Professional, ...] = attrs.field(
        default=(), converter=fields.to_tuple, validator=fields.each(fields.instance(Professional))
    )
    measures_taken: tuple[Measure, ...] = attrs.field(
        default=(), converter=fields.to_tuple, validator=fields.each(fields.instance(Measure))
    )
    gcse_subjects: str = attrs.field(default="", validator=fields.text)
    alternative_curriculum: str = attrs.field(default="", validator=fields.text)
    parent_involved_in_transport: bool | None = attrs.field(
        default=None, validator=fields.optional_flag
    )

    @property
    def ratings(self) -> dict[str, Rating | None]:
        """The five overall ratings by name."""
        return {
            "attainment": self.attainment,
            "effort": self.effort,
            "attitude to staff": self.attitude_to_staff,
            "attitude to peers": self.attitude_to_peers,
            "homework": self.homework,
        }


@attrs.frozen
class ChildViews:
    """Views of the Child/Young Person and their family, gathered before each meeting."""

    gathered_on: dt.date = attrs.field(validator=fields.day)
    background: str = attrs.field(default="", validator=fields.text)
    good_at: str = attrs.field(default="", validator=fields.text)
    challenges_and_support: str = attrs.field(default="", validator=fields.text)
    new_school_could_support_by: str = attrs.field(default="", validator=fields.text)
    aspirations: str = attrs.field(default="", validator=fields.text)
    signed_by: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class Attendee:
    """Someone at a meeting, and the party they represent."""

    name: str = attrs.field(validator=fields.text)
    party: Party = attrs.field(validator=fields.member(Party))


_SESSION = fields.member(Session)


@attrs.frozen
class ReintegrationTimetable:
    """A week of the Reintegration Timetable: where the child is each morning and afternoon."""

    week_beginning: dt.date = attrs.field(validator=fields.day)
    monday_am: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    monday_pm: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    tuesday_am: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    tuesday_pm: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    wednesday_am: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    wednesday_pm: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    thursday_am: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    thursday_pm: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    friday_am: Session = attrs.field(default=Session.NONE, validator=_SESSION)
    friday_pm: Session = attrs.field(default=Session.NONE, validator=_SESSION)

    @week_beginning.validator
    def _monday(self, attribute: attrs.Attribute[Any], value: dt.date) -> None:
        if value.weekday() != 0:
            raise FormInvalid(
                type(self).__name__, attribute.name, f"{value.isoformat()} is not a Monday"
            )

    @property
    def sessions(self) -> tuple[Session, ...]:
        """The ten sessions, Monday morning to Friday afternoon."""
        return tuple(getattr(self, name) for name in SESSION_NAMES)

    @property
    def sessions_at_host(self) -> int:
        """Sessions spent at the host school this week."""
        return self.sessions.count(Session.HOST)

    @property
    def sessions_at_ap(self) -> int:
        """Sessions spent at the AP setting this week."""
        return self.sessions.count(Session.AP)

    @property
    def time_in_education(self) -> int:
        """Sessions in education this week (host or AP), out of ten."""
        return self.sessions_at_host + self.sessions_at_ap


SESSION_NAMES = tuple(
    f"{day}_{half}"
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    for half in ("am", "pm")
)


@attrs.frozen
class InitialMeeting:
    """The Reintegration Initial Meeting form, signed by all parties; it agrees the review dates."""

    held_on: dt.date = attrs.field(validator=fields.day)
    parent_present: bool = attrs.field(validator=fields.flag)
    child_present: bool = attrs.field(validator=fields.flag)
    signatures: frozenset[Party] = attrs.field(
        converter=fields.to_frozenset, validator=fields.each(fields.member(Party), frozenset)
    )
    start_date: dt.date = attrs.field(validator=fields.day)
    transport_arrangements: str = attrs.field(validator=fields.text)
    child_will: str = attrs.field(validator=fields.text)
    school_will: str = attrs.field(validator=fields.text)
    parent_will: str = attrs.field(validator=fields.text)
    host_contact: str = attrs.field(validator=fields.text)
    first_review: dt.date = attrs.field(validator=fields.day)
    second_review: dt.date = attrs.field(validator=fields.day)
    final_review: dt.date = attrs.field(validator=fields.day)
    ap_representative: str = attrs.field(default="", validator=fields.text)
    host_representatives: str = attrs.field(default="", validator=fields.text)
    reasons: str = attrs.field(default="", validator=fields.text)
    why_successful: str = attrs.field(default="", validator=fields.text)
    ap_support: str = attrs.field(default="", validator=fields.text)
    other_agency_commitment: str = attrs.field(default="", validator=fields.text)
    start_time: dt.time | None = attrs.field(
        default=None, validator=fields.instance(dt.time, optional=True)
    )
    uniform_arrangements: str = attrs.field(default="", validator=fields.text)
    timetable: ReintegrationTimetable | None = attrs.field(
        default=None, validator=fields.instance(ReintegrationTimetable, optional=True)
    )


@attrs.frozen
class ReviewMeeting:
    """The Reintegration Review (or Emergency Review) Meeting form."""

    held_on: dt.date = attrs.field(validator=fields.day)
    kind: ReviewKind = attrs.field(validator=fields.member(ReviewKind))
    attendees: tuple[Attendee, ...] = attrs.field(
        converter=fields.to_tuple, validator=fields.each(fields.instance(Attendee))
    )
    child_views: ChildViews | None = attrs.field(
        validator=fields.instance(ChildViews, optional=True)
    )
    concerns: str = attrs.field(default="", validator=fields.text)
    additional_support: str = attrs.field(default="", validator=fields.text)
    decision: ReviewDecision = attrs.field(
        default=ReviewDecision.CONTINUE, validator=fields.member(ReviewDecision)
    )
    next_meeting: dt.date | None = attrs.field(default=None, validator=fields.optional_day)
    progress: str = attrs.field(default="", validator=fields.text)
    school_support: str = attrs.field(default="", validator=fields.text)
    additional_information: str = attrs.field(default="", validator=fields.text)
    outcome: str = attrs.field(default="", validator=fields.text)
    address_change: str = attrs.field(default="", validator=fields.text)
    timetable: ReintegrationTimetable | None = attrs.field(
        default=None, validator=fields.instance(ReintegrationTimetable, optional=True)
    )

    @property
    def parties(self) -> frozenset[Party]:
        """The parties represented among the attendees."""
        return frozenset([attendee.party for attendee in self.attendees])


@attrs.frozen
class SuccessfulOutcome:
    """The SUCCESSFUL Reintegration Outcome Form, completed by the host school."""

    date_on_roll: dt.date = attrs.field(validator=fields.day)
    joiner_form_completed: bool = attrs.field(validator=fields.flag)
    parent_name: str = attrs.field(default="", validator=fields.text)
    address: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class UnsuccessfulOutcome:
    """The UNSUCCESSFUL Reintegration Outcome Form, completed by the home (AP) setting."""

    provision_for_return: str = attrs.field(validator=fields.text)
    return_date: dt.date | None = attrs.field(validator=fields.optional_day)
    completed_by: str = attrs.field(validator=fields.text)
    reasons_for_failure: str = attrs.field(default="", validator=fields.text)
    parent_name: str = attrs.field(default="", validator=fields.text)
    address: str = attrs.field(default="", validator=fields.text)
