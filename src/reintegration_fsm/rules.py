"""The protocol's rules R1-R17 as small pure functions.

Each takes the case (as `CaseState`), the trigger's payload and the business date `on`, and
returns sentences: a guard (the seed's *must*) returns the unmet conditions, and a refusal lists
every one; a departure check (the seed's *should*) returns where practice fell short, which the
transition records and accepts. Every number and party comes from the case's `Protocol`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Protocol as Interface

from reintegration_fsm.errors import describe
from reintegration_fsm.fields import (
    INTEGER_MOST,
    folded_name,
    folded_name_before_unicode,
    prints_nothing,
)
from reintegration_fsm.forms import (
    ConsentForm,
    Pupil,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
    english_date,
)
from reintegration_fsm.forms.views import QUESTIONS as VIEWS_QUESTIONS
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.protocol.payloads import (
    EmergencyReview,
    HostOffer,
    InitialMeetingRecord,
    OpenCase,
    Referral,
)
from reintegration_fsm.records import Deadline, Obligation
from reintegration_fsm.vocabulary import (
    PARTY_WORDS,
    DeadlineKind,
    Evidence,
    ObligationKind,
    Party,
    ReviewDecision,
    ReviewKind,
)

# The members the rules read on every review, bound once: before Python 3.12 each read of a
# member off its class (`ReviewKind.FINAL`) takes EnumType.__getattr__'s slow path, some 45 ns,
# and a review's rules and effects made a dozen such reads.
_FINAL, _EMERGENCY = ReviewKind.FINAL, ReviewKind.EMERGENCY
_CONTINUE, _END = ReviewDecision.CONTINUE, ReviewDecision.END
_MAKE_PERMANENT = ReviewDecision.MAKE_PERMANENT
_FIRST_REVIEW, _SECOND_REVIEW = DeadlineKind.FIRST_REVIEW, DeadlineKind.SECOND_REVIEW
_CHILD = Party.CHILD

FURTHEST_AHEAD = dt.timedelta(days=366)
"""R16: a step may be dated at most this long after today (the machine's clock): a date further
ahead would lock the case, since no later step could be dated before it."""

FIRST_ZONE = dt.timezone(dt.timedelta(hours=14))
"""The time zone furthest ahead of UTC (Kiritimati, UTC+14), where each day begins first: a step
recorded on a machine whose clock is right is dated no more than a year after its date there."""

_RECORDED: ContextVar[bool] = ContextVar("recorded", default=False)
"""Whether the steps R16 judges are a history's recorded ones (a replay), not new ones."""

DELETION_CONSENT_BASIS = (
    "School Attendance (Pupil Registration) (England) Regulations 2024, regulation 9(1)(c)(ii): "
    "the proprietor of each other school where the pupil is registered has consented to the "
    "deletion."
)

EVIDENCE_WORDS = {
    Evidence.PSP: "a copy of the Pastoral Support Plan",
    Evidence.IEP: "a copy of the Individual Education Plan",
    Evidence.IHCP: "a copy of the Individual Healthcare Plan",
    Evidence.BEHAVIOUR_LOG: "the behaviour log",
    Evidence.BEHAVIOUR_ANALYSIS: "the behaviour analysis",
    Evidence.GRADUATED_RESPONSE: "the evaluation of the graduated response",
    Evidence.ATTENDANCE_RECORD: "the attendance record",
    Evidence.PERSONAL_EDUCATION_PLAN: "the Personal Education Plan",
    Evidence.EXCLUSION_DATA: "the exclusion data",
    Evidence.KS4_OPTIONS: "the Key Stage 4 record of options",
    Evidence.ASSESSMENT_DATA: "the most recent assessment and attainment data",
}


class CaseState(Interface):
    """What the rules read from a case."""

    @property
    def protocol(self) -> Protocol: ...

    @property
    def pupil(self) -> Pupil: ...

    @property
    def ap_setting(self) -> str: ...

    @property
    def last_on(self) -> dt.date | None: ...

    @property
    def deadlines(self) -> Sequence[Deadline]: ...

    @property
    def obligations(self) -> Sequence[Obligation]: ...

    @property
    def preferred_schools(self) -> tuple[str, ...]: ...

    @property
    def _names_as_before_unicode(self) -> bool:
        """True only while a replay reads a recorded step a second time, with names compared
        as before the fold read Unicode forms (`fields.folded_name_before_unicode`): R2's,
        R5's and R15's comparisons then read names so (`same_name_as_read`)."""
        ...

    @property
    def _blanks_as_stripped(self) -> bool:
        """True only while a replay reads a recorded step again as histories recorded before
        text that prints nothing was read as blank: every rule needing text given then reads
        text as blank only when it is empty or whitespace (`str.strip`, `blank_as_read`)."""
        ...

    @property
    def agreed_start(self) -> dt.date | None: ...

    @property
    def placement_started_on(self) -> dt.date | None: ...

    @property
    def last_meeting_on(self) -> dt.date | None: ...

    @property
    def host_identified_on(self) -> dt.date | None: ...

    @property
    def emergency_called_on(self) -> dt.date | None: ...

    @property
    def ended_on(self) -> dt.date | None: ...

    @property
    def final_decision(self) -> ReviewDecision | None: ...

    @property
    def permanent_from(self) -> dt.date | None: ...


SIGNERS = frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST})
"""R7: who signs the initial meeting form ("signed by all parties", step 4)."""


def same_name(a: str, b: str) -> bool:
    """The same words, whatever the case, spacing, Unicode form and invisible characters
    (`fields.folded_name`): R2's child, R5's preferred schools, R15's organisations.

    A name that folds to nothing (blank, or only characters nobody sees) names nobody: it is
    the same name only as exactly the same text (a consent form naming no child is not for a
    child whose name was a pasted zero-width space)."""
    if a == b:
        return True
    folded = folded_name(a)
    return bool(folded) and folded == folded_name(b)


def same_name_as_read(case: CaseState, a: str, b: str) -> bool:
    """Whether the rules read `a` and `b` as one name in `case` (R2's child, R5's schools,
    R15's organisations): `same_name`, but on a replay's second reading of a recorded step
    (`CaseState._names_as_before_unicode`) as histories recorded before the Unicode-aware fold
    read them (`fields.folded_name_before_unicode`). A replay accepts a recorded step that
    either reading accepts (a child's name or an organisation either fold reads as the one it
    is compared with; a host either fold reads as another school than the setting); a step
    taken now reads names today's way alone."""
    # (A stand-in for a case, as a test suite writes one, need not know of replay's reading.)
    if getattr(case, "_names_as_before_unicode", False):
        return a == b or folded_name_before_unicode(a) == folded_name_before_unicode(b)
    return same_name(a, b)


def at_school(school: str, ap_setting: str, host_school: str | None) -> bool:
    """A case with this AP setting and host school is at `school`: one of them is the same name
    (`same_name`), as the rules and the Fair Access ledger read a school."""
    return same_name(ap_setting, school) or (
        host_school is not None and same_name(host_school, school)
    )


def blank_as_read(case: CaseState, value: str) -> bool:
    """Whether the rules read `value` as not given in `case` (R2's signature and preferred
    schools, R5's host, R7's arrangements, R10's and R11's reasons, the letter's signing head,
    R12's provision and its author, R14's reason...): when it prints nothing
    (`fields.prints_nothing`: empty, spaces, or only characters nobody sees, as a lone pasted
    zero-width space); but on a replay's second reading of a recorded step
    (`CaseState._blanks_as_stripped`) only when empty or whitespace, as histories
    recorded before were read. A replay accepts a recorded step that either reading accepts;
    a step taken now reads text today's way alone."""
    return prints_nothing(value) if _reads_today(case) else not value.strip()


def _reads_today(case: CaseState) -> bool:
    """False only on a replay's second reading of a recorded step (`blank_as_read`). A stand-in
    for a case, as a test suite writes one, need not know of replay's readings."""
    return not getattr(case, "_blanks_as_stripped", False)


def _missing(present: Iterable[Party], needed: frozenset[Party]) -> list[Party]:
    lacking = needed.difference(present)
    return [party for party in Party if party in lacking] if lacking else []


def _revised(case: CaseState) -> bool:
    """True when the case runs under revision 2's rules (departures, R17 and the rest)."""
    return case.protocol.edition >= 2


IN_ORDER_EDITION = 3
"""The edition of the rules from which meetings, letters and outcomes are dated in order, a
party attends a meeting only through an attendee with a name, and a review is met on the day
it was held (`in_order`)."""


def in_order(case: CaseState) -> bool:
    """True when the case runs under edition 3's rules (`IN_ORDER_EDITION`): meetings, letters
    and outcomes dated in order, named attendees, a review met on the day it was held."""
    return case.protocol.edition >= IN_ORDER_EDITION


def attending(case: CaseState, meeting: ReviewMeeting) -> frozenset[Party]:
    """The parties a meeting counts as attended by: under edition 3, only through an attendee
    with a name (R9, R10)."""
    return meeting.named_parties if in_order(case) else meeting.parties


def _unnamed(case: CaseState, meeting: ReviewMeeting, needed: frozenset[Party]) -> list[str]:
    """R9, R10 under edition 3: each party needed that is among the attendees only with a blank
    name."""
    named = attending(case, meeting)
    if named is meeting.parties or named == meeting.parties:
        return []  # (edition 2 reads every attendee; or nobody is there only by a blank name)
    return [
        f"{_capital(PARTY_WORDS[party])} is among the attendees only with a blank name: each "
        "party needs a named representative."
        for party in _missing(named, needed)
        if party in meeting.parties
    ]


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


# R16 ---------------------------------------------------------------------------------------------
_LIMIT: list[float | dt.date] = [0.0, dt.date.min]
"""Until when (a clock time) the latest date allowed holds, and that date: today's, cached to
the next midnight, since asking the clock for today's date costs more than the rest of R16."""


def furthest_date() -> dt.date:
    """The latest business date a step may have: a year (366 days) after today (R16)."""
    until, limit = _LIMIT
    now = time.time()
    if now >= until:  # type: ignore[operator]
        today = dt.date.today()
        midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min)
        limit = today + FURTHEST_AHEAD
        _LIMIT[:] = [midnight.timestamp(), limit]
    return limit  # type: ignore[return-value]


TIME_RUNS_FORWARD = "time runs forward."
"""How R16's refusal of a date before the case's last step ends (`earlier_than_last`)."""


class DatedReason(str):
    """One of R16's reasons (`time_runs_forward`): words holding only dates, never a logged
    value, so a report that quotes no logged value (`verify()`'s) may quote it."""

    __slots__ = ()


class AheadOfToday(DatedReason):
    """R16's reason for a date more than a year after `today`, this machine's (by its clock)."""

    today: dt.date


def earlier_than_last(on: dt.date, last: dt.date) -> str:
    """R16's reason for a step dated `on`, before the case's last step on `last`."""
    return DatedReason(
        f"The date {on.isoformat()} is earlier than the case's last step on {last.isoformat()}; "
        f"{TIME_RUNS_FORWARD}"
    )


def more_than_a_year_ahead(on: dt.date, limit: dt.date) -> str:
    """R16's reason for a step dated `on`, after `limit` (`furthest_date()`)."""
    reason = AheadOfToday(
        f"The date {on.isoformat()} is more than a year ahead (after {limit.isoformat()}); a "
        "step dated so far ahead would lock the case."
    )
    reason.today = limit - FURTHEST_AHEAD
    return reason


@contextmanager
def judging_recorded() -> Iterator[None]:
    """R16 judging a recorded history (a replay: `verify()`, an import) within the block: see
    `time_runs_forward`."""
    token = _RECORDED.set(True)
    try:
        yield
    finally:
        _RECORDED.reset(token)


def days_behind_first_zone() -> int:
    """How many days this machine's date is behind the date in FIRST_ZONE now (0 to 2)."""
    return min(2, max(0, (dt.datetime.now(FIRST_ZONE).date() - dt.date.today()).days))


def time_runs_forward(case: CaseState | None, _: object, on: dt.date) -> list[str]:
    """R16: a step is dated no earlier than the case's last step, and not so far ahead that it
    would lock the case. A recorded step (`judging_recorded`) may have been written where the
    date is later than this machine's, by a clock just as right (an officer's laptop in London
    after midnight in summer, checked on a server in UTC): it is refused only when dated more
    than a year after the date where a day begins first (FIRST_ZONE), and the refusal then
    counts from this machine's today, as a new step's does."""
    last = None if case is None else case.last_on
    limit = furthest_date()
    reasons = []
    if last is not None and on < last:
        reasons.append(earlier_than_last(on, last))
    if on > limit and not (
        _RECORDED.get() and on <= limit + dt.timedelta(days=days_behind_first_zone())
    ):
        reasons.append(more_than_a_year_ahead(on, limit))
    return reasons


# R1 ----------------------------------------------------------------------------------------------
def pupil_is_eligible(case: CaseState, opening: OpenCase, on: dt.date) -> list[str]:
    """R1: the protocol is only for children not already on a mainstream roll."""
    pupil = opening.pupil
    if pupil.on_mainstream_roll:
        return [
            f"{pupil.name} is already on the roll of a mainstream school; this protocol is only "
            "for children who are not."
        ]
    return []


def protocol_in_effect(case: CaseState, opening: OpenCase, on: dt.date) -> list[str]:
    """A case opens under a protocol in effect on the day (no numbered rule: a protocol's own
    `effective_from`)."""
    protocol = case.protocol
    if on < protocol.effective_from:
        return [
            f"The protocol {protocol.id} version {protocol.version} takes effect on "
            f"{protocol.effective_from.isoformat()}, after {on.isoformat()}."
        ]
    return []


# R2 ----------------------------------------------------------------------------------------------
def consent_is_complete(case: CaseState, form: ConsentForm, on: dt.date) -> list[str]:
    """R2: written parental consent, for this child, complete, signed and dated."""
    reasons = []
    pupil = case.pupil
    if not same_name_as_read(case, form.child_name, pupil.name):
        reasons.append(f"The consent form is for {form.child_name!r}, not for {pupil.name!r}.")
    if form.child_dob != pupil.date_of_birth:
        reasons.append(
            f"The consent form gives the date of birth {form.child_dob.isoformat()}, not the "
            f"child's {pupil.date_of_birth.isoformat()}."
        )
    if not form.has_parental_responsibility:
        reasons.append("The parent/carer signing does not have parental responsibility.")
    if form.other_parent_has_responsibility and form.other_parent_agrees is not True:
        reasons.append(
            "Another parent has parental responsibility and has not agreed to the reintegration."
        )
    if not form.understands_reasons:
        reasons.append("The parent does not understand the reasons for the reintegration.")
    if not form.agrees:
        reasons.append("The parent does not agree to a reintegration.")
    if form.child_agrees is False and _revised(case):
        reasons.append(
            'The child does not agree to a reintegration (Procedures: "If parents and the '
            'child/young person agree").'
        )
    if not form.consent_to_share:
        reasons.append("The parent has not consented to the child's information being shared.")
    if not any(not blank_as_read(case, school) for school in form.preferred_schools):
        reasons.append("The consent form names no school the family wish to be considered.")
    if blank_as_read(case, form.signed_by):
        reasons.append("The consent form is not signed.")
    if form.signed_on is None:
        reasons.append("The consent form is not dated.")
    elif form.signed_on > on:
        reasons.append(
            f"The consent form is dated {form.signed_on.isoformat()}, after {on.isoformat()}."
        )
    return reasons


def child_agreement_recorded(case: CaseState, form: ConsentForm, on: dt.date) -> list[str]:
    """R2, a departure: the child's own agreement is recorded."""
    if form.child_agrees is None:
        return ["The child's own agreement to the reintegration is not recorded."]
    return []


# R3, R4 ------------------------------------------------------------------------------------------
def psp_is_active(_: CaseState, referral: Referral, on: dt.date) -> list[str]:
    """R3: an active Pastoral Support Plan on the day of referral."""
    psp = referral.psp
    if psp.start > on:
        return [f"The Pastoral Support Plan only starts on {psp.start.isoformat()}."]
    if psp.end is not None and psp.end < on:
        return [f"The Pastoral Support Plan ended on {psp.end.isoformat()}."]
    return []


def information_is_gathered(case: CaseState, referral: Referral, on: dt.date) -> list[str]:
    """R4: the Reintegration Information form is complete, with the evidence it needs."""
    info = referral.information
    reasons = [
        f"The rating for {name} is missing."
        for name, rating in info.ratings.items()
        if rating is None
    ]
    if blank_as_read(case, info.reasons_for_success):
        reasons.append("The form does not say why a reintegration might be successful.")
    if blank_as_read(case, info.transport_plan):
        reasons.append("The form does not say how the child will get to the proposed school.")
    pupil = case.pupil
    needed = case.protocol.evidence_for(looked_after=pupil.looked_after, key_stage=pupil.key_stage)
    reasons.extend(
        f"The evidence does not include {EVIDENCE_WORDS[evidence]}."
        for evidence in needed
        if evidence not in info.evidence
    )
    return reasons


# R5 ----------------------------------------------------------------------------------------------
def host_is_named(case: CaseState, offer: HostOffer, on: dt.date) -> list[str]:
    """R5: a host school offer names a school other than the AP setting."""
    if blank_as_read(case, offer.host_school):
        return ["The host school is not named."]
    if same_name_as_read(case, offer.host_school, case.ap_setting):
        return [f"The host school cannot be {case.ap_setting}, the setting the child is leaving."]
    return []


def host_was_preferred(case: CaseState, offer: HostOffer, on: dt.date) -> list[str]:
    """R5, a departure: the host is one of the schools the family asked to be considered."""
    preferred = case.preferred_schools
    if any(same_name_as_read(case, offer.host_school, school) for school in preferred):
        return []
    # The schools named, not the form's blank entries; a history recorded before listed them
    # all, as the replay's second reading of its step still does (`_reads_today`).
    named = [school for school in preferred if not blank_as_read(case, school)]
    listed = ", ".join(named if _reads_today(case) else preferred) or "none"
    return [
        f"{offer.host_school.strip()} is not among the schools the family asked to be considered "
        f"({listed}); the law requires the parents' views to be considered (process step 1)."
    ]


# R6 ----------------------------------------------------------------------------------------------
def panel_note_is_open(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R6: a virtual approach is waiting to be noted at the panel."""
    if any(o.kind is ObligationKind.NOTE_AT_PANEL for o in case.obligations):
        return []
    return ["No virtual approach is waiting to be noted at the Fair Access panel."]


# R7 ----------------------------------------------------------------------------------------------
def initial_meeting_is_complete(
    case: CaseState, record: InitialMeetingRecord, on: dt.date
) -> list[str]:
    """R7: the initial meeting had everyone, signed, set expectations and agreed the reviews."""
    meeting, views = record.meeting, record.views
    reasons = []
    if meeting.held_on > on:
        reasons.append(
            f"The meeting on {meeting.held_on.isoformat()} cannot be recorded before it is held."
        )
    identified = case.host_identified_on
    if in_order(case) and identified is not None and meeting.held_on < identified:
        reasons.append(
            f"The initial meeting on {meeting.held_on.isoformat()} is dated before the host "
            f"school was identified on {identified.isoformat()}."
        )
    if views.gathered_on > meeting.held_on:
        reasons.append("The child's views were gathered after the meeting, not before it.")
    if not meeting.parent_present:
        reasons.append("The parent/carer was not present at the initial meeting.")
    if not meeting.child_present:
        reasons.append("The child was not present at the initial meeting.")
    for party in _missing(meeting.signatures, SIGNERS):
        reasons.append(f"The initial meeting form is not signed by {PARTY_WORDS[party]}.")
    if meeting.start_date < meeting.held_on:
        reasons.append("The start date is before the initial meeting.")
    elif _more_than_a_year(meeting.start_date, meeting.held_on):
        reasons.append(
            f"The start date {meeting.start_date.isoformat()} is more than a year after the "
            "initial meeting; a placement agreed to start so far ahead would lock the case."
        )
    if blank_as_read(case, meeting.transport_arrangements):
        reasons.append("Transport arrangements are not recorded.")
    for text, who in (
        (meeting.child_will, "the child"),
        (meeting.school_will, "the host school"),
        (meeting.parent_will, "the parent/carer"),
    ):
        if blank_as_read(case, text):
            reasons.append(f"The expectations of {who} are not recorded.")
    if blank_as_read(case, meeting.ap_support) and _revised(case):
        reasons.append(
            "The support the Alternative Provision setting will give throughout the "
            "reintegration is not recorded."
        )
    if blank_as_read(case, meeting.host_contact):
        reasons.append("No named contact at the host school is given.")
    reasons.extend(
        review_dates_problems(
            case.protocol,
            meeting.start_date,
            meeting.first_review,
            meeting.second_review,
            meeting.final_review,
        )
    )
    return reasons


def review_dates_problems(
    protocol: Protocol, start: dt.date, first: dt.date, second: dt.date, final: dt.date
) -> list[str]:
    """R7's review dates: start < first < second < final <= start + the protocol's limit."""
    reasons = []
    if first <= start:
        reasons.append("The first review must be after the start date.")
    if second <= first:
        reasons.append("The second review must be after the first review.")
    if final <= second:
        reasons.append("The final review must be after the second review.")
    days = protocol.final_review_within_days
    if (final - start).days > days:  # not `start + days`, which a start near 9999 overflows
        limit = start + dt.timedelta(days=days)  # earlier than `final`: a day there is
        weeks = f" ({days // 7} weeks)" if days % 7 == 0 else ""
        reasons.append(
            f"The final review must be within {days} days{weeks} of the start date "
            f"(by {limit.isoformat()})."
        )
    return reasons


# R8 ----------------------------------------------------------------------------------------------
def start_date_reached(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8: the placement starts on or after the agreed start date."""
    if case.agreed_start is not None and on < case.agreed_start:
        return [
            f"The placement cannot start on {on.isoformat()}, before the agreed start date "
            f"{case.agreed_start.isoformat()}."
        ]
    return []


def joiners_return_can_be_dated(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8: the host's joiners return, due `joiners_return_days` after the start, falls on a
    date there is. No new case opens under a count over 5 (`Protocol.opening_problems`), but a
    protocol an earlier version took with millions still loads for the cases opened under it."""
    days = case.protocol.joiners_return_days
    if days <= dt.date.max.toordinal() - on.toordinal():
        return []
    return [
        f"The joiners return cannot be dated: {describe(days)} days (the protocol's "
        f"joiners_return_days) after {on.isoformat()} is past the last date there is "
        f"({dt.date.max.isoformat()}), so no placement can start under this protocol."
    ]


def placement_prepared(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R8, departures: the host has the child's information and the family were offered a visit.

    Under edition 3 (process steps 3 and 4)."""
    if not in_order(case):
        return []
    owed = {o.kind for o in case.obligations}
    found = []
    if ObligationKind.SHARE_INFORMATION_WITH_HOST in owed:
        found.append(
            "The placement started before the Alternative Provision setting gave the host school "
            "detailed information about the child (process step 3)."
        )
    if ObligationKind.OFFER_VISIT in owed:
        found.append(
            "The placement started before the child and their parents were offered a visit to "
            "the host school (process step 4)."
        )
    return found


# R9 ----------------------------------------------------------------------------------------------
def _meeting_date_problems(
    case: CaseState, meeting: ReviewMeeting, on: dt.date, *, emergency: bool
) -> list[str]:
    """R9, R10: a meeting is recorded once held, not before the placement started, and (edition
    3) not before the case's previous meeting, or, an emergency review, before it was called."""
    reasons = []
    if meeting.held_on > on:
        reasons.append(
            f"The meeting on {meeting.held_on.isoformat()} cannot be recorded before it is held."
        )
    started = case.placement_started_on
    if started is not None and meeting.held_on < started:
        reasons.append(
            f"The review is dated before the placement started on {started.isoformat()}."
        )
    if not in_order(case):
        return reasons
    held = meeting.held_on.isoformat()
    if emergency:
        called = case.emergency_called_on
        if called is not None and meeting.held_on < called:
            reasons.append(
                f"The emergency review on {held} is dated before it was called on "
                f"{called.isoformat()}."
            )
    else:
        previous = case.last_meeting_on
        if previous is not None and meeting.held_on < previous:
            reasons.append(
                f"The review on {held} is dated before the case's previous meeting on "
                f"{previous.isoformat()}."
            )
    return reasons


def review_is_complete(case: CaseState, meeting: ReviewMeeting, on: dt.date) -> list[str]:
    """R9: a review heard the child's views and had every party the protocol names; its
    decision is one a review of its kind may take."""
    reasons = _meeting_date_problems(case, meeting, on, emergency=False)
    if meeting.kind is _EMERGENCY:
        reasons.append("An emergency review is held with hold_emergency_review.")
    if meeting.child_views is None:
        reasons.append("The child's views were not gathered before the review.")
    elif meeting.child_views.gathered_on > meeting.held_on:
        reasons.append("The child's views were gathered after the review, not before it.")
    needed = case.protocol.review_parties
    for party in _missing(meeting.parties, needed):
        reasons.append(f"The review was not attended by {PARTY_WORDS[party]}.")
    reasons.extend(_unnamed(case, meeting, needed))
    decision = meeting.decision
    if decision is _END:
        reasons.append(
            "A review cannot end the reintegration; the host school holds an emergency review "
            "(process step 7)."
        )
    elif meeting.kind is not _FINAL and decision is _MAKE_PERMANENT:
        reasons.append("Only the final review can decide on a permanent move.")
    elif meeting.kind is _FINAL and decision is _CONTINUE:
        if meeting.next_meeting is None:
            reasons.append("A final review that extends the placement must set the next meeting.")
        elif meeting.next_meeting <= meeting.held_on:
            reasons.append("The next meeting must be after this review.")
        elif _more_than_a_year(meeting.next_meeting, meeting.held_on) and not _RECORDED.get():
            reasons.append(
                f"The next meeting on {meeting.next_meeting.isoformat()} is more than a year "
                "after this review; a meeting agreed so far ahead would keep the case off the "
                "due list until then."
            )
    elif meeting.kind is _FINAL and decision is _MAKE_PERMANENT:
        reasons.extend(_permanent_from_problems(case, meeting))
    return reasons


def _more_than_a_year(agreed: dt.date, held_on: dt.date) -> bool:
    """True when a date a meeting agrees is more than a year (366 days) after the meeting: so
    far ahead that it would lock the case or hide it from the due list, as R16 keeps a step
    from being dated (R7's start, R9's next meeting and date of permanent admission)."""
    return agreed - held_on > FURTHEST_AHEAD


def _permanent_from_problems(case: CaseState, meeting: ReviewMeeting) -> list[str]:
    """R9: a final review's agreed date of permanent admission (required from revision 2), at
    most a year after it in a new step (a history recorded before the limit still replays)."""
    agreed = meeting.permanent_from
    if agreed is None:
        if _revised(case):
            return [
                "A permanent move needs the agreed date of permanent admission (process step 8)."
            ]
        return []
    if agreed < meeting.held_on:
        if _revised(case):
            return ["The date of permanent admission cannot be before the final review."]
        return []
    if _more_than_a_year(agreed, meeting.held_on) and not _RECORDED.get():
        return [
            f"The date of permanent admission {agreed.isoformat()} is more than a year after "
            "the final review; a move agreed so far ahead would lock the case, its successful "
            "outcome waiting for that date (R13)."
        ]
    return []


def review_practice(case: CaseState, meeting: ReviewMeeting, on: dt.date) -> list[str]:
    """R9, departures: the child attends, and their views are fresh and answered (step 6)."""
    found = []
    if _CHILD not in attending(case, meeting):
        found.append("The child did not attend the review (process step 6).")
    found.extend(_views_practice(case, meeting))
    if meeting.kind is _FINAL and meeting.decision is _MAKE_PERMANENT:
        unmet = [
            d.kind.value.replace("_", " ")
            for d in case.deadlines
            if d.met_on is None and d.kind in (_FIRST_REVIEW, _SECOND_REVIEW)
        ]
        if unmet:
            found.append(
                f"The move was made permanent with the {' and the '.join(unmet)} not held."
            )
    return found


def _views_practice(case: CaseState, meeting: ReviewMeeting) -> list[str]:
    views = meeting.child_views
    if views is None:
        return []
    found = []
    previous = case.last_meeting_on
    if previous is not None and views.gathered_on < previous:
        found.append(
            f"The child's views were gathered on {views.gathered_on.isoformat()}, before the "
            f"previous meeting on {previous.isoformat()}, not for this one (process step 6)."
        )
    # Read today's way, the form counts its answers once (`ChildViews.answered`, on the path
    # of every review); read as before, the answers together are blank exactly when each is
    # (either reading is of each character alone).
    if (
        views.answered == 0
        if _reads_today(case)
        else blank_as_read(case, "".join([getattr(views, q) for q in VIEWS_QUESTIONS]))
    ):
        found.append("The child's views form answers none of its five questions.")
    return found


# R10, R11 ----------------------------------------------------------------------------------------
def emergency_reason_given(case: CaseState, reason: str, on: dt.date) -> list[str]:
    """R10: an emergency review is called for a stated reason."""
    return (
        ["The reason for the emergency review is not given."] if blank_as_read(case, reason) else []
    )


def emergency_review_is_complete(
    case: CaseState, review: EmergencyReview, on: dt.date
) -> list[str]:
    """R10: an emergency review included every party and documented any support to continue."""
    meeting = review.meeting
    reasons = _meeting_date_problems(case, meeting, on, emergency=True)
    if meeting.kind is not _EMERGENCY:
        reasons.append("The meeting is not recorded as an emergency review.")
    needed = case.protocol.emergency_review_parties
    for party in _missing(meeting.parties, needed):
        reasons.append(f"The emergency review did not include {PARTY_WORDS[party]}.")
    reasons.extend(_unnamed(case, meeting, needed))
    if meeting.decision is _MAKE_PERMANENT:
        reasons.append("An emergency review decides to continue or to end, not a permanent move.")
    elif meeting.decision is _CONTINUE:
        if blank_as_read(case, meeting.additional_support):
            reasons.append("The additional support needed to continue is not documented.")
        if review.letter is not None:
            reasons.append("A failure letter is only sent when the reintegration ends.")
    return reasons


def emergency_review_practice(case: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R10, departures: the child's views were gathered for it, and the child attended."""
    meeting = review.meeting
    found = []
    views = meeting.child_views
    if views is None:
        found.append("The child's views were not gathered for the emergency review.")
    elif views.gathered_on > meeting.held_on:
        found.append("The child's views were gathered after the emergency review, not for it.")
    else:
        found.extend(_views_practice(case, meeting))
    if _CHILD not in attending(case, meeting):
        found.append("The child did not attend the emergency review.")
    return found


def ending_practice(case: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R11, a departure: an ending documents the measures that could have avoided failure.

    Under edition 3 (the review form's note)."""
    meeting = review.meeting
    if (
        meeting.decision is not _END
        or not in_order(case)
        or not blank_as_read(case, meeting.additional_support)
    ):
        return []
    return [
        "The emergency review ended the placement without documenting what measures could be "
        "put in place to avoid failure (the review form: additional support)."
    ]


def ending_is_justified(case: CaseState, review: EmergencyReview, on: dt.date) -> list[str]:
    """R11: ending records the concerns and sends a proper failure letter."""
    if review.meeting.decision is not _END:
        return []
    reasons = []
    if blank_as_read(case, review.meeting.concerns):
        reasons.append("The concerns that led to the ending are not recorded.")
    letter = review.letter
    if letter is None:
        reasons.append("Ending the reintegration needs a failure letter to the parent/carer.")
        return reasons
    if not letter.reasons or any(blank_as_read(case, reason) for reason in letter.reasons):
        reasons.append("The letter does not give the reasons for ending in plain English.")
    if not letter.incident_investigated:
        reasons.append("The letter does not confirm the key incident was investigated fully.")
    if not letter.harassment_checked:
        reasons.append(
            "The letter does not confirm a check for racial or sexual harassment as a provocation."
        )
    if not letter.child_version_heard:
        reasons.append("The letter does not confirm the child gave their version of events.")
    if not letter.support_provided or any(
        blank_as_read(case, item) for item in letter.support_provided
    ):
        reasons.append("The letter does not list the support that was put in place.")
    if letter.effective_date < on:
        reasons.append(
            f"The letter's effective date {english_date(letter.effective_date)} is in the past."
        )
    written = letter.written_on
    if written is not None and in_order(case):
        held = review.meeting.held_on
        if written < held:
            reasons.append(
                f"The letter is dated {written.isoformat()}, before the emergency review that "
                f"decided the ending on {held.isoformat()}."
            )
        if written > letter.effective_date:
            reasons.append(
                f"The letter is dated {written.isoformat()}, after its effective date "
                f"{letter.effective_date.isoformat()}."
            )
    if blank_as_read(case, letter.head_teacher):
        reasons.append("The head teacher signing the letter is not named.")
    if blank_as_read(case, letter.parent_name):
        reasons.append("The letter does not name the parent/carer it is written to.")
    return reasons


# R12, R13 ----------------------------------------------------------------------------------------
def return_is_provided_for(case: CaseState, form: UnsuccessfulOutcome, on: dt.date) -> list[str]:
    """R12: the home setting records the provision for the child's return and its date (under
    edition 3, not before the placement was ended)."""
    reasons = []
    if blank_as_read(case, form.provision_for_return):
        reasons.append("The provision made for the child's return is not recorded.")
    ended = case.ended_on
    if form.return_date is None:
        reasons.append("The date of return to the Alternative Provision setting is missing.")
    elif in_order(case) and ended is not None and form.return_date < ended:
        reasons.append(
            f"The date of return to the Alternative Provision setting, "
            f"{form.return_date.isoformat()}, is before the placement was ended on "
            f"{ended.isoformat()}."
        )
    if blank_as_read(case, form.completed_by):
        reasons.append("The name of the person completing the form is missing.")
    return reasons


def permanent_move_is_agreed(case: CaseState, form: SuccessfulOutcome, on: dt.date) -> list[str]:
    """R13: a final review decided the permanent move, from a date now reached, and the Joiners
    Form is done."""
    reasons = []
    if case.final_decision is not _MAKE_PERMANENT:
        reasons.append("No final review has decided on a permanent move.")
    elif case.permanent_from is not None and on < case.permanent_from:
        reasons.append(
            f"The agreed date of permanent admission is {case.permanent_from.isoformat()}, "
            f"after {on.isoformat()} (process step 8)."
        )
    if not form.joiner_form_completed:
        reasons.append("The Joiners Form has not been completed on the Children's Services Portal.")
    started = case.placement_started_on
    if started is not None and form.date_on_roll < started:
        reasons.append(
            f"The date on roll {form.date_on_roll.isoformat()} is before the placement started "
            f"on {started.isoformat()}."
        )
    if in_order(case) and form.date_on_roll > on:
        reasons.append(
            f"The date on roll {form.date_on_roll.isoformat()} is after {on.isoformat()}, the day "
            "the outcome is recorded: record it once the child is on the roll."
        )
    return reasons


def weighting_can_be_recorded(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R13: the move's weighting, the protocol's `weighting_points`, is one a store's INTEGER
    column holds. No new case opens under more (`Protocol.opening_problems`), but a protocol an
    earlier version took with more still loads for the cases opened under it."""
    points = case.protocol.weighting_points
    if points <= INTEGER_MOST:
        return []
    return [
        f"The move's weighting cannot be recorded: {describe(points)} points (the protocol's "
        f"weighting_points) is more than a store holds ({INTEGER_MOST}), so no successful "
        "outcome can be recorded under this protocol."
    ]


# R14 ---------------------------------------------------------------------------------------------
def withdrawal_reason_given(case: CaseState, reason: str, on: dt.date) -> list[str]:
    """R14: a withdrawal says why."""
    return ["The reason for withdrawing is not given."] if blank_as_read(case, reason) else []


# Obligations, R17 --------------------------------------------------------------------------------
def obligation_is_open(case: CaseState, kind: ObligationKind, on: dt.date) -> list[str]:
    """An obligation can be discharged only while one of its kind is open."""
    if any(o.kind is kind for o in case.obligations):
        return []
    return [f"No {kind.value.replace('_', ' ')} obligation is open."]


def deletion_is_consented(case: CaseState, kind: ObligationKind, on: dt.date) -> list[str]:
    """R17: a dual-registered pupil's name is deleted only with the other school's consent."""
    if kind is not ObligationKind.DELETE_FROM_ROLL:
        return []
    pending = [o for o in case.obligations if o.kind is ObligationKind.CONSENT_TO_DELETION]
    if not pending:
        return []
    return [
        f"The pupil's name cannot be deleted from the roll before {PARTY_WORDS[pending[0].owner]} "
        f"has consented to the deletion ({DELETION_CONSENT_BASIS})"
    ]


RULE_OF: Mapping[Callable[..., list[str]], str] = MappingProxyType(
    {
        time_runs_forward: "R16",
        pupil_is_eligible: "R1",
        consent_is_complete: "R2",
        psp_is_active: "R3",
        information_is_gathered: "R4",
        host_is_named: "R5",
        panel_note_is_open: "R6",
        initial_meeting_is_complete: "R7",
        start_date_reached: "R8",
        joiners_return_can_be_dated: "R8",
        review_is_complete: "R9",
        emergency_reason_given: "R10",
        emergency_review_is_complete: "R10",
        ending_is_justified: "R11",
        return_is_provided_for: "R12",
        permanent_move_is_agreed: "R13",
        weighting_can_be_recorded: "R13",
        withdrawal_reason_given: "R14",
        deletion_is_consented: "R17",
    }
)
"""The rule each refusing guard checks, as `GuardFailed.rules` names it (its docstring starts
with it); `protocol_in_effect` and `obligation_is_open` belong to no numbered rule."""
