"""The failure letter: the seed's "Sample Letter in the case of a failed Reintegration"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol, cast

import attrs

from reintegration_fsm import fields
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.forms.pupil import Pupil
from reintegration_fsm.vocabulary import Stage


class LetterCase(Protocol):
    """What the letter reads from a case."""

    @property
    def pupil(self) -> Pupil: ...

    @property
    def ap_setting(self) -> str: ...

    @property
    def host_school(self) -> str | None: ...

    @property
    def initial_meeting_on(self) -> dt.date | None: ...

    @property
    def ap_head_at_ending(self) -> str | None: ...

    @property
    def ending_review_on(self) -> dt.date | None: ...

    @property
    def last_on(self) -> dt.date | None: ...

    @property
    def stage(self) -> Stage: ...

    @property
    def placement_started_on(self) -> dt.date | None: ...


_READ = tuple(name for name in vars(LetterCase) if not name.startswith("_"))
"""What the letter reads from a case: anything lacking one of them is no case."""


def _refused(case: object) -> list[str]:
    """Why `case` cannot be given a letter ending its placement (none: it can): it is no case,
    or it has no placement to end (the placement never started, or the case reached another
    end). A draft printed while the placement runs, before the emergency review that ends it
    is recorded, is the letter of a case in placement."""
    if not isinstance(getattr(case, "stage", None), Stage) or not all(
        hasattr(case, name) for name in _READ
    ):
        return [f"must be a case (a Reintegration), not {type(case).__name__}"]
    read = cast(LetterCase, case)
    reasons = []
    if read.stage is Stage.SUCCESSFUL:
        reasons.append(
            "the reintegration ended successfully, so there is no placement for a failure "
            "letter to end"
        )
    elif read.stage is Stage.WITHDRAWN:
        reasons.append(
            "the case was withdrawn before a placement started, so there is no placement for a "
            "failure letter to end"
        )
    elif read.placement_started_on is None:
        stage = read.stage.value.replace("_", " ")
        reasons.append(
            f"the placement has not started (the case is at stage {stage}), so there "
            "is no placement for a failure letter to end"
        )
    host = read.host_school
    if not isinstance(host, str) or not host.strip():
        reasons.append("the case has no host school whose head teacher could sign the letter")
    return reasons


REMOVED_DAY = dt.date.min
"""The day a form holds for a date a redaction removed (a date of birth): shown "(removed)"."""


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""The months as the seed's English forms write them. A fixed table, not strftime's `%B`, which
follows the process's locale: an application that calls `locale.setlocale(LC_ALL, "")` on a
server set to German would print "3 März 2026" inside an English letter."""


def english_date(day: dt.date) -> str:
    """A date as the seed's forms write it, in English whatever the locale: 3 March 2026 (the
    year in four digits, 0999, as `isoformat` writes it)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year:04}"


def long_date(day: dt.date) -> str:
    """A date of birth as a form or letter writes it: 3 March 2026 ("(removed)" for
    `REMOVED_DAY`, which a redaction leaves). Any other date is written by `english_date`:
    only a date of birth is ever removed, and 0001-01-01 elsewhere is a slip of the year."""
    if day == REMOVED_DAY:
        return "(removed)"
    return english_date(day)


_TWO_PARENTS = re.compile(r"\s(and|&)\s", re.IGNORECASE)


@attrs.frozen
class FailureLetter:
    """The letter the host head teacher sends when ending a reintegration (R11).

    `parent_name` names the parent or carer written to; name a second one in
    `second_parent_name` (or write both in `parent_name`, "Sky and Jo Exemplar") and the letter
    addresses them both ("yourselves"). `home_head_teacher` is the head teacher of the home
    (AP) setting; when it is not given, the letter names the AP head teacher on the case's record
    at the emergency review that ended the placement (one acting later changes nothing). A name
    that prints nothing (`fields.prints_nothing`: a lone pasted zero-width space) is not given.
    `written_on` dates the letter; by default it is dated the day that emergency review was held
    (its form's `held_on`, not the day it was recorded).
    """

    parent_name: str = attrs.field(validator=fields.name)
    reasons: tuple[str, ...] = attrs.field(
        converter=fields.to_texts, validator=fields.each(fields.text)
    )
    incident_investigated: bool = attrs.field(validator=fields.flag)
    harassment_checked: bool = attrs.field(validator=fields.flag)
    child_version_heard: bool = attrs.field(validator=fields.flag)
    support_provided: tuple[str, ...] = attrs.field(
        converter=fields.to_texts, validator=fields.each(fields.text)
    )
    effective_date: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    head_teacher: str = attrs.field(validator=fields.name)
    home_head_teacher: str = attrs.field(default="", validator=fields.name)
    written_on: dt.date | None = attrs.field(
        default=None, converter=fields.as_optional_day, validator=fields.optional_day
    )
    second_parent_name: str = attrs.field(default="", validator=fields.name)

    @property
    def to_both_parents(self) -> bool:
        """True when the letter is addressed to two parents or carers."""
        return not fields.prints_nothing(self.second_parent_name) or bool(
            _TWO_PARENTS.search(self.parent_name)
        )

    def render(self, case: LetterCase, *, born: str | None = None) -> str:
        """The letter's text: the seed's sample letter with every placeholder filled in.

        `born` is the child's date of birth as the letter writes it (by default `long_date`
        of the one recorded: "(removed)" for one a redaction removed; a reader of the store
        gives that redaction's note).

        Raises:
            FormInvalid: `case` is not a case, or has no placement for the letter to end: its
                placement never started (withdrawn, or not yet placed), it ended successfully,
                or it has no host school (field `case`, one problem for each reason).
        """
        reasons = _refused(case)
        if reasons:
            raise FormInvalid.of("render", [("case", reason) for reason in reasons])
        pupil = case.pupil
        parents = self.parent_name.strip()
        if not fields.prints_nothing(self.second_parent_name):
            parents = f"{parents} and {self.second_parent_name.strip()}"
        yourself = "yourselves" if self.to_both_parents else "yourself"
        dated = self.written_on or case.ending_review_on or case.last_on
        meeting = (
            f" at our original meeting on {english_date(case.initial_meeting_on)}"
            if case.initial_meeting_on is not None
            else ""
        )
        home_head = next(
            (
                name.strip()
                for name in (self.home_head_teacher, case.ap_head_at_ending or "")
                if not fields.prints_nothing(name)
            ),
            "",
        )
        home_school = case.ap_setting
        home_head_phrase = f"{home_school}, {home_head}," if home_head else home_school
        copy_to = (
            f"{home_head}, Head Teacher of {home_school}"
            if home_head
            else f"the Head Teacher of {home_school}"
        )
        checks = [
            "The key incident has been investigated fully."
            if self.incident_investigated
            else "The key incident has not yet been investigated fully.",
            "I have checked whether the incident was provoked by racial or sexual harassment."
            if self.harassment_checked
            else "I have not yet checked whether the incident was provoked by racial or sexual "
            "harassment.",
            f"{pupil.name} was given the opportunity to give their version of events."
            if self.child_version_heard
            else f"{pupil.name} has not yet given their version of events.",
        ]
        lines = [
            *([english_date(dated), ""] if dated is not None else []),
            f"Dear {parents}",
            "",
            f"{pupil.name}, date of birth {born or long_date(pupil.date_of_birth)}",
            "",
            "I have today made the decision to end the reintegration arrangement that was set up "
            f"with {home_school} and {yourself}{meeting}.",
            "",
            "The reasons for my decision are as follows:",
            "",
            *(_item(reason) for reason in self.reasons),
            "",
            *checks,
            "",
            "The decision to end the reintegration takes place with effect from "
            f"{english_date(self.effective_date)}. I enclose details of the review meetings, "
            "previous warnings, fixed term exclusions and other disciplinary measures that have "
            "taken place during the period of the reintegration, that support my decision.",
            "",
            "I have also included details of the support that was put in place to support the "
            "reintegration:",
            "",
            *(_item(support) for support in self.support_provided),
            "",
            f"The head teacher of {home_head_phrase} has been notified of my decision and would "
            "like to meet with you to discuss what will happen next. I would ask you to contact "
            "them urgently.",
            "",
            "Yours sincerely",
            "",
            self.head_teacher,
            f"Head Teacher, {case.host_school}",
            "",
            f"Copy sent to: {copy_to}",
            "School Admissions",
        ]
        return "\n".join(lines) + "\n"


def _item(text: str) -> str:
    """One bullet of a list in the letter: its lines after the first indented under it, blank
    lines left out (a blank line would end the list)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "- " + "\n  ".join(lines)
