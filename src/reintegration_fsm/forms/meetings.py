"""The Reintegration Initial Meeting form and the Review (or Emergency Review) Meeting form."""

from __future__ import annotations

import datetime as dt
import functools

import attrs

from reintegration_fsm import fields
from reintegration_fsm.forms.timetable import ReintegrationTimetable
from reintegration_fsm.forms.views import ChildViews
from reintegration_fsm.slotted import cached_reads
from reintegration_fsm.vocabulary import Party, ReviewDecision, ReviewKind


@attrs.frozen
class Attendee:
    """Someone at a meeting, and the party they represent."""

    name: str = attrs.field(validator=fields.name)
    party: Party = attrs.field(validator=fields.member(Party))


def _parties(
    value: frozenset[Party] | set[Party] | list[Party] | tuple[Party, ...],
) -> frozenset[Party]:
    """`fields.to_frozenset`, typed for the constructor (review TY, TY3)."""
    converted: frozenset[Party] = fields.to_frozenset(value)
    return converted


def _attendees(value: tuple[Attendee, ...] | list[Attendee]) -> tuple[Attendee, ...]:
    """`fields.to_tuple`, typed for the constructor (review TY, TY3)."""
    converted: tuple[Attendee, ...] = fields.to_tuple(value)
    return converted


@attrs.frozen
class InitialMeeting:
    """The Reintegration Initial Meeting form, signed by all parties; it agrees the review dates."""

    held_on: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    parent_present: bool = attrs.field(validator=fields.flag)
    child_present: bool = attrs.field(validator=fields.flag)
    signatures: frozenset[Party] = attrs.field(
        converter=_parties, validator=fields.each(fields.member(Party), frozenset)
    )
    start_date: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    transport_arrangements: str = attrs.field(validator=fields.text)
    child_will: str = attrs.field(validator=fields.text)
    school_will: str = attrs.field(validator=fields.text)
    parent_will: str = attrs.field(validator=fields.text)
    host_contact: str = attrs.field(validator=fields.text)
    first_review: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    second_review: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    final_review: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    # Named in PROTOCOL.md straight after the review dates: importers may pass it positionally.
    ap_support: str = attrs.field(default="", validator=fields.text)
    ap_representative: str = attrs.field(default="", validator=fields.name)
    host_representatives: str = attrs.field(default="", validator=fields.text)
    reasons: str = attrs.field(default="", validator=fields.text)
    why_successful: str = attrs.field(default="", validator=fields.text)
    other_agency_commitment: str = attrs.field(default="", validator=fields.text)
    start_time: dt.time | None = attrs.field(
        default=None, validator=fields.instance(dt.time, optional=True)
    )
    uniform_arrangements: str = attrs.field(default="", validator=fields.text)
    timetable: ReintegrationTimetable | None = attrs.field(
        default=None, validator=fields.instance(ReintegrationTimetable, optional=True)
    )


@cached_reads
@attrs.frozen
class ReviewMeeting:
    """The Reintegration Review (or Emergency Review) Meeting form."""

    held_on: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    kind: ReviewKind = attrs.field(validator=fields.member(ReviewKind))
    attendees: tuple[Attendee, ...] = attrs.field(
        converter=_attendees, validator=fields.each(fields.instance(Attendee))
    )
    child_views: ChildViews | None = attrs.field(
        validator=fields.instance(ChildViews, optional=True)
    )
    concerns: str = attrs.field(default="", validator=fields.text)
    additional_support: str = attrs.field(default="", validator=fields.text)
    decision: ReviewDecision = attrs.field(
        default=ReviewDecision.CONTINUE, validator=fields.member(ReviewDecision)
    )
    next_meeting: dt.date | None = attrs.field(
        default=None, converter=fields.as_optional_day, validator=fields.optional_day
    )
    permanent_from: dt.date | None = attrs.field(
        default=None, converter=fields.as_optional_day, validator=fields.optional_day
    )
    """The agreed date of permanent admission to the host school (seed step 8); a FINAL review
    deciding MAKE_PERMANENT needs it (R9)."""
    progress: str = attrs.field(default="", validator=fields.text)
    school_support: str = attrs.field(default="", validator=fields.text)
    additional_information: str = attrs.field(default="", validator=fields.text)
    outcome: str = attrs.field(default="", validator=fields.text)
    address_change: str = attrs.field(default="", validator=fields.text, metadata=fields.ADDRESS)
    timetable: ReintegrationTimetable | None = attrs.field(
        default=None, validator=fields.instance(ReintegrationTimetable, optional=True)
    )

    @functools.cached_property
    def parties(self) -> frozenset[Party]:
        """The parties represented among the attendees."""
        return frozenset([attendee.party for attendee in self.attendees])

    @functools.cached_property
    def named_parties(self) -> frozenset[Party]:
        """The parties represented among the attendees by someone named (a name that prints
        as something: `fields.prints_nothing`)."""
        return frozenset([a.party for a in self.attendees if not fields.prints_nothing(a.name)])
