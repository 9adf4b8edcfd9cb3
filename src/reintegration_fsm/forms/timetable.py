"""The Reintegration Timetable: where the child is each morning and afternoon."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.validation import fail
from reintegration_fsm.vocabulary import Session

_SESSION = fields.member(Session)


@attrs.frozen
class ReintegrationTimetable:
    """A week of the Reintegration Timetable: where the child is each morning and afternoon."""

    week_beginning: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
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
            raise fail(self, attribute, f"{value.isoformat()} is not a Monday")

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
