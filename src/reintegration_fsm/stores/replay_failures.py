"""What `verify()` says of a case whose rows cannot be checked, or whose history does not
replay, without quoting what its rows hold (they may hold a child's personal data)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from reintegration_fsm import fields, rules
from reintegration_fsm.errors import (
    ChangedProtocol,
    FormInvalid,
    GuardFailed,
    ProtocolError,
    UnknownProtocol,
    UnpublishedProtocol,
)
from reintegration_fsm.stores.model import Problem

UNREADABLE = (
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    RecursionError,
    UnicodeError,
    ProtocolError,
)
"""What checking a case's rows raises when they hold values of kinds the store never writes
(a number where it writes text, JSON nested past Python's limit): reported, never raised."""


def unreadable(case_id: str, error: BaseException) -> Problem:
    """The problem of a case whose rows could not be checked at all."""
    return Problem(
        case_id,
        None,
        f"its rows hold values the store never writes ({type(error).__name__}): "
        "altered behind the store",
    )


def _a_protocols_name(error: UnknownProtocol) -> bool:
    """The id and version an unknown protocol is named by could name a protocol: one printable
    line each (a log altered to name one otherwise is not quoted, as any logged value)."""
    return all(
        fields.identifier(part, "name", fields.NAME_LENGTH) is None
        for part in (error.protocol_id, error.version)
    )


_FIELD_TOO_LONG = re.compile(rf"(?:[a-z_]+: )?[A-Za-z_]+\.[a-z_]+: {fields.TOO_LONG.pattern}")
"""A replay's problem that a form's field is too long: "open: Pupil.name: is 253 characters
long; at most 200 are kept" (the trigger, the form and field, the lengths)."""


def failure_kind(error: BaseException) -> str:
    """What kind of failure a replay error is, without its message: the messages quote the
    logged values (a child's date of birth, a name), which a verify report never prints. A
    protocol's id and version are no one's data: an unregistered one is named, to be given; so
    are a form's field and lengths, for a value longer than a field keeps; and the library's
    own protocol changed in place, which is no row's fault (review RG, RG2)."""
    if isinstance(error, UnpublishedProtocol):  # the library's file and fingerprints alone
        return f"the library's own protocol is refused: {error}"
    if isinstance(error, ChangedProtocol) and _a_protocols_name(error):
        return (
            f"it was opened under protocol {error.protocol_id} {error.version} as it then was, "
            "and the store was given one of that name setting other rules (changed since "
            "without a new version)"
        )
    if isinstance(error, UnknownProtocol) and _a_protocols_name(error):
        return (
            f"it runs under protocol {error.protocol_id} {error.version}, which the store was "
            "not given (the store's protocols=; on the command line, --protocol FILE)"
        )
    if isinstance(error, FormInvalid) and all(
        _FIELD_TOO_LONG.fullmatch(problem) for _, problem in error.problems
    ):
        # Only lengths and the forms' own field names: a value revision 1 kept at any length.
        return f"{type(error).__name__} ({'; '.join(p for _, p in error.problems)})"
    if isinstance(error, GuardFailed):
        dated = [reason for reason in error.reasons if isinstance(reason, rules.DatedReason)]
        if dated:
            return _dated_refusal(dated, len(error.reasons) - len(dated))
    return f"{type(error).__name__} ({_NOT_QUOTED})"


_NOT_QUOTED = (
    "not quoted: its details may hold the child's personal data; replaying the case's history "
    "shows them"
)


def _dated_refusal(dated: Sequence[str], others: int) -> str:
    """A replay's refusal by R16, whose reasons hold only dates: quoted. Its "more than a year
    ahead" counts from the verifying machine's today, so a clock behind the writer's refuses a
    sound log: said, so that a clock is not taken for tampering."""
    found = f"GuardFailed: R16 refuses its date ({' '.join(dated)})"
    ahead = [reason for reason in dated if isinstance(reason, rules.AheadOfToday)]
    if ahead:
        found += (
            f", counting the year from this machine's today, {ahead[0].today.isoformat()} by "
            "its clock: if that clock is behind the one that wrote the log, the log may be "
            "sound; verify on a machine whose date is right"
        )
    if others:
        found += f"; and {others} other reason{'s' if others > 1 else ''} ({_NOT_QUOTED})"
    return found
