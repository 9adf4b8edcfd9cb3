"""The Reintegration Consent Form."""

from __future__ import annotations

import datetime as dt

import attrs

from reintegration_fsm import fields


@attrs.frozen
class ConsentForm:
    """The Reintegration Consent Form, gained from a parent before another school is approached.

    `child_agrees` records the child's own agreement (the seed: "If parents and the child/young
    person agree"): False is refused, None (not asked or not recorded) is a departure (R2).
    """

    child_name: str = attrs.field(validator=fields.name)
    child_dob: dt.date = attrs.field(converter=fields.as_day, validator=fields.past_day)
    parent_name: str = attrs.field(validator=fields.name)
    relationship: str = attrs.field(validator=fields.name)
    has_parental_responsibility: bool = attrs.field(validator=fields.flag)
    other_parent_has_responsibility: bool = attrs.field(validator=fields.flag)
    other_parent_agrees: bool | None = attrs.field(validator=fields.optional_flag)
    understands_reasons: bool = attrs.field(validator=fields.flag)
    agrees: bool = attrs.field(validator=fields.flag)
    consent_to_share: bool = attrs.field(validator=fields.flag)
    preferred_schools: tuple[str, ...] = attrs.field(
        converter=fields.to_texts, validator=fields.each(fields.name)
    )
    signed_by: str = attrs.field(validator=fields.name)
    signed_on: dt.date | None = attrs.field(
        converter=fields.as_optional_day, validator=fields.optional_day
    )
    child_agrees: bool | None = attrs.field(default=None, validator=fields.optional_flag)
    ap_setting: str = attrs.field(default="", validator=fields.name)
    child_address: str = attrs.field(default="", validator=fields.text, metadata=fields.ADDRESS)
    parent_address: str = attrs.field(default="", validator=fields.text, metadata=fields.ADDRESS)
