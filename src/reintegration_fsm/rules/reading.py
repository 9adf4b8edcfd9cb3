"""How the rules read a case: what they read of it (`CaseState`), names, blank text, the
edition it runs under, and who attended a meeting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Protocol as Interface

from reintegration_fsm.fields import (
    folded_name,
    folded_name_before_unicode,
    prints_nothing,
)
from reintegration_fsm.forms import Pupil, ReviewMeeting
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.records import Deadline, Obligation
from reintegration_fsm.vocabulary import (
    PARTY_WORDS,
    Party,
    ReviewDecision,
)


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
    return prints_nothing(value) if reads_today(case) else not value.strip()


def reads_today(case: CaseState) -> bool:
    """False only on a replay's second reading of a recorded step (`blank_as_read`). A stand-in
    for a case, as a test suite writes one, need not know of replay's readings."""
    return not getattr(case, "_blanks_as_stripped", False)


def missing_parties(present: Iterable[Party], needed: frozenset[Party]) -> list[Party]:
    """The parties of `needed` not among `present`, in `Party`'s order."""
    lacking = needed.difference(present)
    return [party for party in Party if party in lacking] if lacking else []


def revised(case: CaseState) -> bool:
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


def unnamed_parties(case: CaseState, meeting: ReviewMeeting, needed: frozenset[Party]) -> list[str]:
    """R9, R10 under edition 3: each party needed that is among the attendees only with a blank
    name."""
    named = attending(case, meeting)
    if named is meeting.parties or named == meeting.parties:
        return []  # (edition 2 reads every attendee; or nobody is there only by a blank name)
    return [
        f"{_capital(PARTY_WORDS[party])} is among the attendees only with a blank name: each "
        "party needs a named representative."
        for party in missing_parties(named, needed)
        if party in meeting.parties
    ]


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]
