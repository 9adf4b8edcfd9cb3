"""The child or young person being reintegrated."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.validation import fail


def _upn(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    fields.name(instance, attribute, value)
    from stdnum.exceptions import ValidationError as StdnumValidationError
    from stdnum.gb import upn as upn_check

    try:
        upn_check.validate(value)
    except StdnumValidationError as error:
        raise fail(instance, attribute, f"{value!r} is not a valid UPN: {error}") from None


def written_upn(value: str) -> str | None:
    """`value` as the DfE writes a UPN (capital letters and digits, no spaces: `B8012 00005001`
    is `B801200005001`), or None when it is no valid UPN."""
    # python-stdnum is imported when a UPN is first checked: its package loads pydoc and ssl,
    # which every command line start paid for, though most cases carry no UPN.
    from stdnum.exceptions import ValidationError as StdnumValidationError
    from stdnum.gb import upn as upn_check

    try:
        return str(upn_check.validate(value))
    except StdnumValidationError:
        return None


def upn_as_written(value: str | None) -> str | None:
    """Why a valid UPN given now is not written as one is (a capital letter and twelve capital
    letters or digits, no spaces: a lower-case letter, a space, a full-width digit), naming it
    so written; or None. Not part of the form's check, which replay runs too: a history
    recorded before still loads, its UPN as typed (review FM, FM6)."""
    if value is None or not value or (value.isascii() and value.isalnum() and value.isupper()):
        return None
    written = written_upn(value)
    if written is None or written == value:  # (not valid: the form refuses it)
        return None
    return f"is not written as a UPN is (capital letters and digits, no spaces): type {written}"


KEY_STAGES = range(6)
"""The key stages a child may be in: 0 (the early years) to 5 (sixth form)."""


@attrs.frozen
class Pupil:
    """The child or young person being reintegrated.

    `looked_after` is the one record of the child's looked-after (LAC) status: the forms that
    print it read it from here.
    """

    name: str = attrs.field(validator=fields.given_name)
    date_of_birth: dt.date = attrs.field(converter=fields.as_day, validator=fields.past_day)
    key_stage: int = attrs.field(validator=fields.within(KEY_STAGES[0], KEY_STAGES[-1]))
    """From 0 (the early years) to 5 (sixth form)."""
    on_mainstream_roll: bool = attrs.field(default=False, validator=fields.flag)
    looked_after: bool = attrs.field(default=False, validator=fields.flag)
    upn: str | None = attrs.field(default=None, validator=_upn)
    address: str = attrs.field(default="", validator=fields.text, metadata=fields.ADDRESS)
    # Special category data (UK GDPR Art. 9): left out of the repr, which logs and error
    # trackers print (review LG, LG9).
    send_level: str = attrs.field(default="", validator=fields.text, repr=False)
    ethnicity: str = attrs.field(default="", validator=fields.text, repr=False)
