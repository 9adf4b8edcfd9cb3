"""The SUCCESSFUL and UNSUCCESSFUL Reintegration Outcome Forms."""

from __future__ import annotations

import datetime as dt

import attrs

from reintegration_fsm import fields


@attrs.frozen
class SuccessfulOutcome:
    """The SUCCESSFUL Reintegration Outcome Form, completed by the host school."""

    date_on_roll: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    joiner_form_completed: bool = attrs.field(validator=fields.flag)
    parent_name: str = attrs.field(default="", validator=fields.name)
    address: str = attrs.field(default="", validator=fields.text, metadata=fields.ADDRESS)


@attrs.frozen
class UnsuccessfulOutcome:
    """The UNSUCCESSFUL Reintegration Outcome Form, completed by the home (AP) setting."""

    provision_for_return: str = attrs.field(validator=fields.text)
    return_date: dt.date | None = attrs.field(
        converter=fields.as_optional_day, validator=fields.optional_day
    )
    completed_by: str = attrs.field(validator=fields.name)
    reasons_for_failure: str = attrs.field(default="", validator=fields.text)
    parent_name: str = attrs.field(default="", validator=fields.name)
    address: str = attrs.field(default="", validator=fields.text, metadata=fields.ADDRESS)
