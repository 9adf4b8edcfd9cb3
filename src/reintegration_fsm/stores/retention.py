"""Retention as a policy: how long a store keeps a case's personal data.

The default keeps it until the child's date of birth plus the case's protocol's
`retention_years` (25 for Worcestershire: the retention schedules local authorities use give
DoB + 25 years for pupil files). A store may be given another policy (`retention=`): a number of
years, or a `RetentionPolicy` counting from the case's last entry instead. A case is past
retention the day after it ends; a retention run then removes its personal data through the
store's `redact` (see docs/evidence.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import attrs

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import (
    AlteredRow,
    FormInvalid,
    UnknownProtocol,
    UnpublishedProtocol,
    describe,
)
from reintegration_fsm.forms import REMOVED_DAY
from reintegration_fsm.protocol.definition import (
    FINGERPRINT,
    RETENTION_TOO_SHORT,
    RETENTION_YEARS_LEAST,
    WORCESTERSHIRE,
    Protocol,
    find_protocol,
    protocol_registry,
)
from reintegration_fsm.stores.audit import history_authority
from reintegration_fsm.stores.failures import ALTERED, UNREADABLE_ROW
from reintegration_fsm.stores.refusals import could_be_stored
from reintegration_fsm.stores.rows import as_date
from reintegration_fsm.stores.stored import stored_data
from reintegration_fsm.validation import fail
from reintegration_fsm.vocabulary import Stage

Basis = Literal["date_of_birth", "last_entry"]


@attrs.frozen
class RetentionPolicy:
    """How long a store keeps a case's personal data.

    Args:
        years: years kept; None takes the case's protocol's `retention_years`. Counted from
            the date of birth, at least 18 (`RETENTION_YEARS_LEAST`).
        basis: counted from the child's `date_of_birth` (the default) or from the case's
            `last_entry` (its last transition's date).
    """

    years: int | None = attrs.field(default=None)
    basis: Basis = attrs.field(default="date_of_birth")

    @years.validator
    def _positive(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and (type(value) is not int or value < 1):
            raise fail(self, attribute, f"must be 1 or more, not {describe(value)}")
        if value is not None and value < RETENTION_YEARS_LEAST and self.basis == "date_of_birth":
            raise fail(self, attribute, f"{RETENTION_TOO_SHORT}, not {value!r}")

    @basis.validator
    def _known(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in ("date_of_birth", "last_entry"):
            raise fail(self, attribute, f"must be date_of_birth or last_entry, not {value!r}")

    def keep_until(
        self, date_of_birth: dt.date | None, last_on: dt.date, protocol: Protocol | None
    ) -> dt.date | None:
        """The last day the case's personal data is kept (None: its date of birth is gone).

        `protocol` is the case's: a policy of its own `years` reads nothing of it (None).

        Raises:
            FormInvalid: the policy takes the protocol's years and `protocol` is None.
        """
        years = self.years
        if years is None:
            if protocol is None:
                raise FormInvalid(
                    "keep_until", "protocol", "is needed: the policy keeps the protocol's years"
                )
            years = protocol.retention_years
        if self.basis == "date_of_birth":
            # A protocol an earlier version took (`retention_years = 6`) still loads; none of
            # its children's data goes while they are of school age.
            years = max(years, RETENTION_YEARS_LEAST)
        start = date_of_birth if self.basis == "date_of_birth" else last_on
        return None if start is None else years_after(start, years)

    def describe(self, protocol: Protocol | None = None) -> str:
        """The policy in words ("date of birth + 25 years"), for a case under `protocol`."""
        if self.years is not None:
            years = f"{self.years} years"
        elif protocol is not None:
            years = f"{protocol.retention_years} years (the protocol's)"
        else:
            years = "the protocol's retention_years"
        basis = "date of birth" if self.basis == "date_of_birth" else "last entry"
        return f"{basis} + {years}"


def as_policy(retention: RetentionPolicy | int | None) -> RetentionPolicy:
    """A store's `retention=` argument as a policy.

    Raises:
        FormInvalid: it is neither a policy, a number of years nor None.
    """
    if retention is None:
        return RetentionPolicy()
    if isinstance(retention, RetentionPolicy):
        return retention
    if type(retention) is int:
        return RetentionPolicy(years=retention)
    raise FormInvalid(
        "store", "retention", f"must be a RetentionPolicy or years, not {type(retention).__name__}"
    )


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 1 March in a common year (never earlier);
    the last day Python's dates reach when that is beyond them (never due)."""
    year = day.year + years
    if year > dt.MAXYEAR:
        return dt.date.max
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, 3, 1)


REASON = "retention period ended"
"""The reason a retention run records for what it removes. It names no day: under a
date-of-birth policy the last day kept is the birthday, which the run is removing."""


class RetentionDue(NamedTuple):
    """A case past retention on the day asked about, as `past_retention` lists it."""

    case_id: str
    keep_until: dt.date
    """The last day its personal data was to be kept."""
    personal_data_left: bool
    """False once a retention run (or redactions) removed every personal value."""


class RetentionHeld(NamedTuple):
    """A case past its keep-until date that a retention run leaves alone, and why: for a
    person to check (`held_retention`, and `RetentionRun.passed_over`)."""

    case_id: str
    keep_until: dt.date
    """The last day its personal data was to be kept, as the policy reckons it."""
    reason: str
    """Why it is held, in plain words ("still running: in stage proposed")."""


class RetentionRun(list[RetentionDue]):
    """What `apply_retention` returns: the cases it redacted, a list as before, and in
    `passed_over` each case listed as past retention whose redaction was refused, with why."""

    def __init__(
        self, done: Iterable[RetentionDue] = (), passed_over: Iterable[RetentionHeld] = ()
    ) -> None:
        super().__init__(done)
        self.passed_over: list[RetentionHeld] = list(passed_over)


class Head(NamedTuple):
    """What retention reads of a case: its row's stage and days, and its first entry (its
    `open`)."""

    case_id: str
    first: Mapping[str, Any]
    last_on: dt.date
    opened_on: dt.date
    stage: str
    paired: bool = True
    """False for a case row without an `open` entry (`first` is then empty) or an `open` entry
    without a case row (`stage` is then empty, the days its log's): a case id changed behind
    the store in one table only (`unpaired`)."""


PASSED_OVER = (AlteredRow, UnknownProtocol, FormInvalid)
"""What a case's redaction may raise that a retention run passes the case over for
(`passed_over`)."""


def passed_over(error: Exception, case_id: str) -> str | None:
    """Why a retention run passes over `case_id`, whose redaction raised `error`; None when the
    error is not that case's own (the run stops on it)."""
    if isinstance(error, AlteredRow):
        if error.case_id != case_id:
            return None
        return "the store holds a row written behind it: run verify"  # verify names the row
    if isinstance(error, UnknownProtocol):  # listed by a policy of its own years
        return "the store was not given its protocol; it is redacted once it is"
    if isinstance(error, FormInvalid):  # the arguments were checked: this case's own
        return f"its redaction was refused: {error}"
    return None


def pass_over(run: RetentionRun, due: RetentionDue, error: Exception) -> None:
    """Name in `run` the case `due`, whose redaction raised `error`, as passed over, with why
    (`passed_over`).

    Raises:
        Exception: `error` itself, when it is not that case's own (the run stops on it).
    """
    why = passed_over(error, due.case_id)
    if why is None:
        raise error
    run.passed_over.append(RetentionHeld(due.case_id, due.keep_until, why))


def unpaired_heads(
    lone: Iterable[tuple[str, Mapping[str, Any], Any]],
    authority: str | None,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Protocol],
) -> list[Head]:
    """The heads of the `open` entries in `lone` that have no case row (each its case id, the
    entry and its log's last day), of `authority` by their history (every one's when None):
    a case id changed behind the store in one table (`Head.paired` False), dated by its log."""
    return [
        Head(case_id, dict(first), as_date(last_on), as_date(first["on_date"]), "", paired=False)
        for case_id, first, last_on in lone
        if authority is None or history_authority([first], calendar, protocols) == authority
    ]


def check_listed(case_id: str) -> None:
    """Refuse to read a case a retention listing found in the store's rows by an id no stored
    case can have (`refusals.could_be_stored`: a space at either end, a control character):
    it was changed behind the store, and read by that id the case is no case, which stopped
    every listing and run (review F, F5).

    Raises:
        AlteredRow: naming the case, as for any row changed behind the store: a listing counts
            it as holding personal data, a run passes it over (`passed_over`).
    """
    if not could_be_stored(case_id):
        raise AlteredRow(
            f"could not read case {case_id!r}: {ALTERED}: its case id is none the store "
            "writes; run verify",
            case_id=case_id,
        )


def unpaired(case_id: str) -> AlteredRow:
    """The error for a case listed whose case row has no `open` entry, or whose `open` entry
    has no case row: its case id was changed behind the store in one table (review S, S5). A
    listing counts it as holding personal data, a run passes it over (`passed_over`)."""
    return AlteredRow(
        f"could not read case {case_id!r}: {ALTERED}: its case row and its log do not pair; "
        "run verify",
        case_id=case_id,
    )


def opening_facts(
    first: Mapping[str, Any], protocols: Sequence[Protocol] | None
) -> tuple[dt.date | None, Protocol | None]:
    """The child's date of birth (None when removed) and the protocol, from a case's `open`
    (`protocols` None: the protocol is not asked for, and is None).

    Raises:
        UnknownProtocol: the history names a protocol not given (`ChangedProtocol`: one given
            under its name sets other rules than the case was opened under).
    """
    data = stored_data(first)
    born = (data.get("pupil") or {}).get("date_of_birth")
    date_of_birth = None
    if isinstance(born, str):  # a removed date of birth is a marker (an object)
        try:
            date_of_birth = dt.date.fromisoformat(born)
        except ValueError:
            date_of_birth = None
    if date_of_birth == REMOVED_DAY:  # removed in the store an import came from: not datable
        date_of_birth = None
    if protocols is None:
        return date_of_birth, None
    named = data.get("protocol")
    if not isinstance(named, Mapping):
        return date_of_birth, WORCESTERSHIRE  # written before protocols were data
    registry = protocol_registry(protocols)
    named_as = (str(named.get("id")), str(named.get("version")), named.get(FINGERPRINT))
    return date_of_birth, find_protocol(registry, *named_as)


def past(
    on: dt.date,
    policy: RetentionPolicy,
    heads: Iterable[Head],
    protocols: Sequence[Protocol],
) -> list[tuple[str, dt.date]]:
    """The cases past retention on `on`, by case id, with the last day they were to be kept.

    A case whose date of birth was removed cannot be dated by a date-of-birth policy: it is never
    listed (a retention run never removes what it cannot show to be past retention). Nor is a
    case with a step dated after `on` (as R16 allows: a step recorded in advance): its history
    reaches past that day, so the first run on or after the step's date lists it (a redaction by
    hand may remove its values before then: `redaction_requests.refuse_earlier` compares the
    day each entry was recorded, not its step's date). Nor is a case `held`
    names (still running, or kept until a day before it was opened); but an `open` entry
    without a case row (`Head.paired`), dated by its log, is listed: a run passes it over.

    A policy of its own `years` reads nothing of a case's protocol, so it lists every case
    whatever protocols are given; one that keeps the protocol's years needs each case's.

    Raises:
        UnknownProtocol: the policy keeps the protocol's years and a case's protocol is not
            given (or, `ChangedProtocol`, given with other rules); names the case. What to
            delete is not guessed.
    """
    return [
        (head.case_id, keep_until)
        for head, keep_until in _ended(on, policy, heads, protocols)
        if not head.paired or not why_held(head, keep_until)
    ]


def held(
    on: dt.date,
    policy: RetentionPolicy,
    heads: Iterable[Head],
    protocols: Sequence[Protocol],
) -> list[RetentionHeld]:
    """The cases whose keep-until date is before `on` that no retention run removes, by case
    id, each with why: a case not in a final stage (still running), or one kept until a day
    before it was opened (only a mistyped date of birth makes that). A person checks them.

    Raises:
        UnknownProtocol: as `past`.
    """
    return [
        RetentionHeld(head.case_id, keep_until, reason)
        for head, keep_until in _ended(on, policy, heads, protocols)
        if head.paired and (reason := why_held(head, keep_until))
    ]


def why_held(head: Head, keep_until: dt.date) -> str:
    """Why a retention run leaves the case alone though its keep-until date is past ("": it
    does not)."""
    reasons = []
    if not _final(head.stage):
        reasons.append(f"still running: in stage {head.stage}")
    if keep_until < head.opened_on:
        reasons.append(
            f"keep-until date {keep_until.isoformat()} is before it was opened on "
            f"{head.opened_on.isoformat()}: check the date of birth"
        )
    return "; ".join(reasons)


def _final(stage: str) -> bool:
    try:
        return Stage(stage).is_final
    except ValueError:  # a row changed behind the store: verify names it
        return False


def _ended(
    on: dt.date,
    policy: RetentionPolicy,
    heads: Iterable[Head],
    protocols: Sequence[Protocol],
) -> list[tuple[Head, dt.date]]:
    """The cases whose keep-until date is before `on` and with no step dated after it, by case
    id, with that date."""
    found = []
    for head in heads:
        if head.last_on > on:
            continue
        keep_until = _dated(policy, head, protocols)
        if keep_until is not None and keep_until < on:
            found.append((head, keep_until))
    return sorted(found, key=lambda item: item[0].case_id)


def undated(
    policy: RetentionPolicy,
    heads: Iterable[Head],
    protocols: Sequence[Protocol],
) -> list[str]:
    """The cases whose retention cannot be dated, by case id: what the policy's basis reads
    (the child's date of birth) was removed, or a case row has no `open` entry to read it from
    (`Head.paired`). No retention run lists them; the rest of their personal data is removed
    by hand.

    Raises:
        UnknownProtocol: as `past`.
    """
    return sorted(
        head.case_id
        for head in heads
        if _dated(policy, head, protocols) is None and (not head.paired or _readable(head.first))
    )


def _readable(first: Mapping[str, Any]) -> bool:
    """Whether a case's `open` reads (one changed behind the store: verify names the row)."""
    try:
        opening_facts(first, None)
    except (FormInvalid, *UNREADABLE_ROW):
        return False
    return True


def _dated(policy: RetentionPolicy, head: Head, protocols: Sequence[Protocol]) -> dt.date | None:
    """The last day a case's personal data is kept (None: not datable, or its `open` does not
    read)."""
    needed = protocols if policy.years is None else None
    try:
        date_of_birth, protocol = opening_facts(head.first, needed)
    except UnknownProtocol as error:
        raise error.of_case(head.case_id) from None
    except UnpublishedProtocol:  # the library's, not the row's (review RG, RG1)
        raise
    except (FormInvalid, *UNREADABLE_ROW):  # its open was changed behind the store
        return None  # not shown to be past retention: verify names the row
    return policy.keep_until(date_of_birth, head.last_on, protocol)
