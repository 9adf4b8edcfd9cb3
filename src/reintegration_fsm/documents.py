"""Printable renderings of the seed's forms, filled from a case's history.

`documents(case)` reads every form the case recorded (consent, reintegration information, the
child's views, the initial meeting, reviews, outcome forms, the failure letter, timetables) and
lays each out with the seed form's own labels. `render_html` prints them through Jinja2 with
autoescaping on, so nothing a user typed is ever read as markup; `render_text` gives plain text
for email. Both use `StrictUndefined`: a template can never leave a placeholder behind.
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from reintegration_fsm import templating
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.fields import prints_nothing
from reintegration_fsm.forms import (
    REMOVED_DAY,
    Attendee,
    ChildViews,
    ConsentForm,
    FailureLetter,
    InitialMeeting,
    Pupil,
    ReintegrationTimetable,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
    english_date,
    long_date,
)
from reintegration_fsm.protocol.payloads import Referral
from reintegration_fsm.protocol.reading import read_payload
from reintegration_fsm.protocol.steps import STEP, Printable, Step
from reintegration_fsm.shown import neutralise
from reintegration_fsm.version import __version__
from reintegration_fsm.vocabulary import (
    Evidence,
    Party,
    Rating,
    ReviewDecision,
    ReviewKind,
    Session,
)

if TYPE_CHECKING:
    from jinja2 import Environment

NOT_RECORDED = "not recorded"
DELETION_NOTE = (
    "The host school must notify the local authority through the Children's Services Portal "
    "that the pupil has been deleted from its roll under regulation 9(1)(c) of the School "
    "Attendance (Pupil Registration) (England) Regulations 2024 (which replaced regulation "
    "8(1)(c) of the 2006 Regulations the protocol cites). The name may be deleted only once the "
    "Alternative Provision setting has consented to the deletion (regulation 9(1)(c)(ii)); the "
    "notice is the deletion return of regulation 13(4)."
)
"""The UNSUCCESSFUL form's note: the seed's, citing the 2024 Regulations, with the consent
without which the deletion is unlawful (R17)."""
LEAVERS_NOTE = (
    "The Alternative Provision setting must notify the local authority by completing a Leavers "
    "Form on the Children's Services Portal: the deletion return of regulation 13(4) of the "
    "School Attendance (Pupil Registration) (England) Regulations 2024. The name may be deleted "
    "from its roll under regulation 9(1)(c) only once the host school has consented to the "
    "deletion (regulation 9(1)(c)(ii))."
)
"""The SUCCESSFUL form's note: the seed's, with the regulations behind it (R17)."""

Value = str | tuple[str, ...]
RemovedDates = Mapping[tuple[int, str], str]
"""What to show for each date of birth a redaction removed, by the log entry and path it was
removed from: `{(1, "pupil.date_of_birth"): "(redacted on 2027-01-05: Erasure request)"}`,
as the redaction records name them. A removed date no entry names shows "(removed)"."""


@attrs.frozen
class Field:
    """One labelled box of a form: a single value or a list."""

    label: str
    value: Value

    @property
    def is_list(self) -> bool:
        """True when the box holds a list of items."""
        return isinstance(self.value, tuple)


@attrs.frozen
class TimetableWeek:
    """A week of the Reintegration Timetable, ready to lay out."""

    week_beginning: str
    sessions: tuple[str, ...]
    """Ten cells, Monday morning to Friday afternoon."""
    time_in_education: str


@attrs.frozen
class LetterBlock:
    """A paragraph of the letter, or a bulleted list (`items`)."""

    text: str = ""
    items: tuple[str, ...] = ()


@attrs.frozen
class Document:
    """One filled-in form of the seed protocol."""

    slug: str
    title: str
    subtitle: str = ""
    fields: tuple[Field, ...] = ()
    note: str = ""
    weeks: tuple[TimetableWeek, ...] = ()
    letter: tuple[LetterBlock, ...] = ()


# -- values as a form shows them -----------------------------------------------------------------
def _date(day: dt.date | None) -> str:
    """A date as a form writes it. Never "(removed)": only a date of birth is ever removed
    (`shown_born`), and 0001-01-01 anywhere else is a slip of the year, printed as typed."""
    return NOT_RECORDED if day is None else english_date(day)


def _text(*values: str, otherwise: str = NOT_RECORDED) -> str:
    """The first of `values` that prints something, without its end spaces; else `otherwise`.
    Text that prints nothing (a lone pasted zero-width space) reads as not recorded, as the
    rules read it (`fields.prints_nothing`)."""
    for value in values:
        if not prints_nothing(value):
            return value.strip()
    return otherwise


def _yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("YES" if value else "NO")


def _rating(value: Rating | None) -> str:
    return "not rated" if value is None else f"Overall {value.value.capitalize()}"


def _list(values: Sequence[str]) -> Value:
    cleaned = tuple(v for v in values if not prints_nothing(v))
    return cleaned or NOT_RECORDED


def _name_and_dob(pupil: Pupil, born: str | None) -> str:
    return f"{pupil.name}, born {born or long_date(pupil.date_of_birth)}"


def shown_born(day: dt.date, seq: int, path: str, removed: RemovedDates | None) -> str:
    """A date of birth as a form writes it; one a redaction removed (`REMOVED_DAY`) as the
    note `removed` gives for the entry and path it was removed from, else "(removed)".

    Only a date at a date of birth's place is looked up: no other value, and no text that
    happens to read "(removed)", is ever shown as removed.
    """
    if day == REMOVED_DAY and removed is not None:
        return removed.get((seq, path), long_date(day))
    return long_date(day)


def pupil_born(case: Reintegration, removed: RemovedDates | None) -> str:
    """The child's date of birth as the forms and the letter write it (see `shown_born`): it
    is recorded by the case's `open` entry, at `pupil.date_of_birth`."""
    return shown_born(case.pupil.date_of_birth, case.history[0].seq, "pupil.date_of_birth", removed)


def _people(attendees: Sequence[Attendee], party: Party) -> Value:
    return _list([a.name for a in attendees if a.party is party])


EVIDENCE_NAMES = {
    Evidence.PSP: "Copy of the PSP",
    Evidence.IEP: "Copy of the IEP",
    Evidence.IHCP: "Copy of the IHCP",
    Evidence.BEHAVIOUR_LOG: "Behaviour log and consequences",
    Evidence.BEHAVIOUR_ANALYSIS: "Behaviour analysis",
    Evidence.GRADUATED_RESPONSE: "Evaluation of strategies in the graduated response",
    Evidence.ATTENDANCE_RECORD: "Attendance record and support",
    Evidence.PERSONAL_EDUCATION_PLAN: "Child Looked After Personal Education Plan",
    Evidence.EXCLUSION_DATA: "Exclusion data",
    Evidence.KS4_OPTIONS: "KS4 record of options",
    Evidence.ASSESSMENT_DATA: "Most recent assessment and attainment data",
}

SESSION_NAMES = {Session.HOST: "Host", Session.AP: "AP", Session.NONE: "-"}
NO_SESSION = SESSION_NAMES[Session.NONE]
"""A session at neither place, as the timetable shows it; its HTML says "no session" to a
screen reader, which does not read a lone hyphen."""
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
"""The timetable's days, each a morning and an afternoon: its HTML tables' headers."""


# -- one builder per seed form -------------------------------------------------------------------
# `born`, where a builder takes it, is the child's date of birth as the form shows it
# (`pupil_born`, `shown_born`); by default as a letter writes the date recorded.
def consent_form(case: Reintegration, form: ConsentForm, *, born: str | None = None) -> Document:
    """The Reintegration Consent Form (`born`: the child's date of birth as shown, by default
    as a letter writes `form.child_dob`)."""
    other = form.other_parent_has_responsibility
    return Document(
        "consent",
        "Reintegration Consent Form",
        "Consent to be gained from parent by current setting prior to approaching another "
        "school for consideration of a reintegration",
        (
            Field(
                "Child/YP's Name and DOB",
                f"{form.child_name}, born {born or long_date(form.child_dob)}",
            ),
            Field("Alternative Provision Setting", _text(form.ap_setting, case.ap_setting)),
            Field("Address", _text(form.child_address)),
            Field("Parent/Carer Address if different", _text(form.parent_address)),
            Field("Parent/Carer Name", _text(form.parent_name)),
            Field("Relationship to child/yp", _text(form.relationship)),
            Field(
                "Does the above Parent/Carer have parental responsibility?",
                _yes_no(form.has_parental_responsibility),
            ),
            Field(
                "Is there another parent with parental responsibility for a child?", _yes_no(other)
            ),
            Field(
                "Has agreement over the reintegration been reached?",
                _yes_no(form.other_parent_agrees) if other else "not applicable",
            ),
            Field(
                "Does the parent understand the reasons for the reintegration?",
                _yes_no(form.understands_reasons),
            ),
            Field("Does the parent agree to a reintegration?", _yes_no(form.agrees)),
            # Not on the seed's form, which asks it in its procedures ("If parents and the
            # child/young person agree"): R2 reads it, so the form printed shows it.
            Field(
                "Does the child/young person agree to a reintegration?",
                _yes_no(form.child_agrees),
            ),
            Field(
                "Which school does the parent & young person wish to be considered for a "
                "reintegration?",
                _list(form.preferred_schools),
            ),
            Field(
                "I agree for the current setting to approach another school to discuss a "
                "reintegration for the above child/yp and understand the reasons for this. "
                "I consent to my child's information being shared.",
                _yes_no(form.consent_to_share),
            ),
            Field("Name", _text(form.signed_by)),
            Field("Signed", _text(form.signed_by)),
            Field("Date", _date(form.signed_on)),
        ),
    )


def information_form(
    case: Reintegration, referral: Referral, *, born: str | None = None
) -> Document:
    """The Reintegration Information form, with the PSP and route of the referral.

    The consent date, the proposed school and the looked-after status come from the case.
    """
    info, psp, route = referral.information, referral.psp, referral.route.value
    pupil = case.pupil
    proposed = case.host_school or ", ".join(case.preferred_schools)
    psp_text = f"active from {english_date(psp.start)}" + (
        f" to {english_date(psp.end)}" if psp.end is not None else ""
    )
    if not prints_nothing(psp.summary):
        psp_text += f"\n{psp.summary.strip()}"
    attendance = NOT_RECORDED if info.attendance_percent is None else f"{info.attendance_percent}%"
    exclusions = (
        NOT_RECORDED if info.exclusions_this_year is None else str(info.exclusions_this_year)
    )
    return Document(
        "information",
        "Reintegration Information",
        "Information to be completed by Alternative Provision setting and parent prior "
        "Reintegration Initial Meeting.",
        (
            Field("Child/YP's Name and DOB", _name_and_dob(pupil, born)),
            Field("Alternative Provision Setting", case.ap_setting),
            Field("Date Parental Consent Gained", _date(case.consent_signed_on)),
            Field("Proposed School", _text(proposed)),
            Field("Attainment", _rating(info.attainment)),
            Field("Effort", _rating(info.effort)),
            Field("Attitude to staff", _rating(info.attitude_to_staff)),
            Field("Attitude to Peers", _rating(info.attitude_to_peers)),
            Field("Homework", _rating(info.homework)),
            Field(
                "Reasons for reintegration – why might a reintegration to this school be "
                "successful?",
                _text(info.reasons_for_success),
            ),
            Field("SEND Level/Category", _text(info.send_level, pupil.send_level)),
            Field("LAC status", "Looked after" if pupil.looked_after else "Not looked after"),
            Field("Ethnicity", _text(info.ethnicity, pupil.ethnicity)),
            Field("Attendance", attendance),
            Field("Exclusions (current academic year)", exclusions),
            Field(
                "Names of other relevant professionals involved, and current level of involvement",
                _list(
                    [
                        p.name if prints_nothing(p.involvement) else f"{p.name}: {p.involvement}"
                        for p in info.professionals
                    ]
                ),
            ),
            Field(
                "Measures already taken by the Alternative Provision setting, and level of success",
                _list(
                    [
                        m.measure
                        if prints_nothing(m.level_of_success)
                        else f"{m.measure}: {m.level_of_success}"
                        for m in info.measures_taken
                    ]
                ),
            ),
            Field(
                "(Key Stage 4) Subjects taken for GCSE and exam board", _text(info.gcse_subjects)
            ),
            Field(
                "Alternative curriculum arrangements currently in place",
                _text(info.alternative_curriculum),
            ),
            Field("How will the child/yp get to the proposed school?", _text(info.transport_plan)),
            Field(
                "Has the parent/carer been involved in making transport arrangements for the "
                "reintegration?",
                _yes_no(info.parent_involved_in_transport),
            ),
            Field(
                "Evidence of previous interventions included",
                _list(sorted(EVIDENCE_NAMES[e] for e in info.evidence)),
            ),
            Field("Pastoral Support Plan", psp_text),
            Field("Route to the Fair Access panel", route),
        ),
    )


def views_form(
    case: Reintegration, views: ChildViews, occasion: str, *, born: str | None = None
) -> Document:
    """Views of the Child/Young Person and their family."""
    return Document(
        f"views-{views.gathered_on.isoformat()}",
        "Views of the Child/Young Person and their family",
        occasion,
        (
            Field("Name and DOB", _name_and_dob(case.pupil, born)),
            Field("Date", _date(views.gathered_on)),
            Field(
                "Background information you wish to share with your potential new school",
                _text(views.background),
            ),
            Field("The things I am good at or interest me most are", _text(views.good_at)),
            Field(
                "The things I find challenging and what support I think I need with those "
                "challenges",
                _text(views.challenges_and_support),
            ),
            Field(
                "I think this new school could support me by",
                _text(views.new_school_could_support_by),
            ),
            Field("Aspirations, what I hope to achieve", _text(views.aspirations)),
            Field("Signature/Name of Child", _text(views.signed_by)),
        ),
    )


def initial_meeting_form(
    case: Reintegration, meeting: InitialMeeting, *, born: str | None = None
) -> Document:
    """The Reintegration Initial Meeting form."""
    pupil = case.pupil
    start = _date(meeting.start_date) + (
        f" at {meeting.start_time:%H:%M}" if meeting.start_time is not None else ""
    )
    signed = meeting.signatures
    # The seed's form says "(2 weeks)", "(4 weeks)", "(6 weeks)": the case's protocol's weeks.
    first, second, final = (
        f"{weeks} week" if weeks == 1 else f"{weeks} weeks" for weeks in case.protocol.review_weeks
    )
    return Document(
        "initial-meeting",
        "Reintegration Initial Meeting",
        "",
        (
            Field("Date of Meeting", _date(meeting.held_on)),
            Field("Child/YP's Name and DOB", _name_and_dob(pupil, born)),
            Field("Address", _text(pupil.address)),
            Field("Name of Alternative Provision Setting", case.ap_setting),
            Field("Alternative Provision Setting Representative", _text(meeting.ap_representative)),
            Field("Name of Host School", _text(case.host_school or "")),
            Field(
                "Host School Representative including Key Worker and Head",
                _text(meeting.host_representatives),
            ),
            Field(
                "Parent and Child/YP present",
                f"Parent/carer: {_yes_no(meeting.parent_present)}; "
                f"child/YP: {_yes_no(meeting.child_present)}",
            ),
            Field("Reasons for the reintegration", _text(meeting.reasons)),
            Field(
                "Why do staff from the Alternative Provision setting think the reintegration will "
                "be successful?",
                _text(meeting.why_successful),
            ),
            Field("The child/yp will", _text(meeting.child_will)),
            Field("The receiving school will", _text(meeting.school_will)),
            Field(
                "Named contact and contact details at the Host school for the child and "
                "parent/carer",
                _text(meeting.host_contact),
            ),
            Field("The child/YP's parent/carer will", _text(meeting.parent_will)),
            Field(
                "What support will the Alternative Provision setting provide throughout the "
                "reintegration?",
                _text(meeting.ap_support),
            ),
            Field(
                "Other agency commitment to the reintegration",
                _text(meeting.other_agency_commitment),
            ),
            Field("Reintegration start date and time", start),
            Field("Transport Arrangements", _text(meeting.transport_arrangements)),
            Field("Uniform Arrangements", _text(meeting.uniform_arrangements)),
            Field(f"First Interim Review Date ({first})", _date(meeting.first_review)),
            Field(f"Second Interim Review Date ({second})", _date(meeting.second_review)),
            Field(f"Final Review Date ({final})", _date(meeting.final_review)),
            Field(
                "Attendees Signatures",
                tuple(
                    f"{label}: {'signed' if party in signed else 'not signed'}"
                    for party, label in (
                        (Party.PARENT, "Parent/Carer"),
                        (Party.CHILD, "Child/YP"),
                        (Party.AP, "Alternative Provision Setting"),
                        (Party.HOST, "Host School"),
                        (Party.OTHER, "Other"),
                        (Party.LA, "Local Authority"),
                    )
                    # The seed's form has no line for the local authority: shown when it signed.
                    if party is not Party.LA or party in signed
                ),
            ),
        ),
    )


def review_form(
    case: Reintegration, meeting: ReviewMeeting, *, born: str | None = None
) -> Document:
    """The Reintegration Review (or Emergency Review) Meeting form."""
    emergency = meeting.kind is ReviewKind.EMERGENCY
    title = (
        "Reintegration Emergency Review Meeting" if emergency else "Reintegration Review Meeting"
    )
    kind = {ReviewKind.INTERIM: "Interim review", ReviewKind.FINAL: "Final review"}.get(
        meeting.kind, "Emergency review"
    )
    decision = meeting.decision.value.replace("_", " ")
    outcome = f"Decision: {decision}" + (
        "" if prints_nothing(meeting.outcome) else f". {meeting.outcome}"
    )
    # The agreed date is part of what a review deciding to make the place permanent agrees.
    permanent = (
        (Field("Date of permanent admission", _date(meeting.permanent_from)),)
        if meeting.decision is ReviewDecision.MAKE_PERMANENT
        else ()
    )
    attendees = meeting.attendees
    return Document(
        f"review-{meeting.held_on.isoformat()}-{meeting.kind.value}",
        title,
        kind,
        (
            Field("Date of Meeting", _date(meeting.held_on)),
            Field("Child/YP's Name & DOB", _name_and_dob(case.pupil, born)),
            Field(
                "Address (if this has changed since previous meeting)",
                _text(meeting.address_change, otherwise="unchanged"),
            ),
            Field("Alternative Provision Representative", _people(attendees, Party.AP)),
            Field("Host School Representative", _people(attendees, Party.HOST)),
            Field("Parent/Carer", _people(attendees, Party.PARENT)),
            Field("Child/YP", _people(attendees, Party.CHILD)),
            Field("Local Authority", _people(attendees, Party.LA)),
            Field("Other", _people(attendees, Party.OTHER)),
            Field("Progress towards integration", _text(meeting.progress)),
            Field(
                "School support including level of success to date", _text(meeting.school_support)
            ),
            Field(
                "Issues causing concern and suggestions for improvement", _text(meeting.concerns)
            ),
            Field("Additional Support Required", _text(meeting.additional_support)),
            Field("Additional information", _text(meeting.additional_information)),
            Field("Outcome of review", outcome),
            *permanent,
            Field("Date of next meeting", _date(meeting.next_meeting)),
            Field(
                "Views of the child/young person gathered on",
                _date(None if meeting.child_views is None else meeting.child_views.gathered_on),
            ),
        ),
    )


def successful_form(
    case: Reintegration, form: SuccessfulOutcome, *, born: str | None = None
) -> Document:
    """The SUCCESSFUL Reintegration Outcome Form (host school)."""
    return Document(
        "successful-outcome",
        "SUCCESSFUL Reintegration Outcome Form",
        "To be completed by Host School",
        (
            Field("Child/YP's Name & DOB", _name_and_dob(case.pupil, born)),
            Field("Address", _text(form.address, case.pupil.address)),
            Field("Alternative Provision Setting", case.ap_setting),
            Field("Host School", _text(case.host_school or "")),
            Field("Parent/Carer", _text(form.parent_name)),
            Field("Date child/yp placed on roll", _date(form.date_on_roll)),
            Field(
                "Joiner Form completed on Children's Services Portal",
                _yes_no(form.joiner_form_completed),
            ),
        ),
        LEAVERS_NOTE,
    )


def unsuccessful_form(
    case: Reintegration, form: UnsuccessfulOutcome, *, born: str | None = None
) -> Document:
    """The UNSUCCESSFUL Reintegration Outcome Form (home school: the AP setting)."""
    return Document(
        "unsuccessful-outcome",
        "UNSUCCESSFUL Reintegration Outcome Form",
        "To be completed by Home School",
        (
            Field("Child/YP's Name & DOB", _name_and_dob(case.pupil, born)),
            Field("Address", _text(form.address, case.pupil.address)),
            Field("Alternative Provision Setting", case.ap_setting),
            Field("Host School", _text(case.host_school or "")),
            Field("Parent/Carer", _text(form.parent_name)),
            Field(
                "Reasons for failure if different to those included in Review form",
                _text(form.reasons_for_failure, otherwise="as in the review form"),
            ),
            Field(
                "What provision has home school put in place for the child/yp to return?",
                _text(form.provision_for_return),
            ),
            Field("Date of Return to Alternative Provision Setting", _date(form.return_date)),
            Field("Name of Person Completing this form", _text(form.completed_by)),
        ),
        DELETION_NOTE,
    )


def timetable_form(timetables: Sequence[ReintegrationTimetable], occasion: str) -> Document:
    """The Reintegration Timetable: where the child is each morning and afternoon."""
    weeks = tuple(
        TimetableWeek(
            _date(week.week_beginning),
            tuple(SESSION_NAMES[s] for s in week.sessions),
            f"{week.time_in_education} of 10 sessions",
        )
        for week in timetables
    )
    return Document(
        f"timetable-{timetables[0].week_beginning.isoformat()}",
        "Reintegration Timetable",
        occasion,
        weeks=weeks,
    )


def letter_document(text: str) -> Document:
    """The failure letter, split into paragraphs and bulleted lists."""
    blocks: list[LetterBlock] = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines = paragraph.split("\n")
        if lines[0].startswith("- ") and all(line.startswith(("- ", "  ")) for line in lines):
            items: list[str] = []
            for line in lines:  # an item's later lines are indented under it
                if line.startswith("- "):
                    items.append(line[2:])
                else:
                    items[-1] += "\n" + line[2:]
            blocks.append(LetterBlock(items=tuple(items)))
        else:
            blocks.append(LetterBlock(text="\n".join(lines)))
    return Document(
        "failure-letter", "Letter in the case of a failed Reintegration", letter=tuple(blocks)
    )


# -- the case's documents, in the order they were made -------------------------------------------
def _document(
    case: Reintegration, printable: Printable, born: str, child_born: str | None
) -> Document:
    form = printable.form
    if isinstance(form, ConsentForm):
        return consent_form(case, form, born=child_born)
    if isinstance(form, Referral):
        return information_form(case, form, born=born)
    if isinstance(form, ChildViews):
        return views_form(case, form, printable.occasion, born=born)
    if isinstance(form, InitialMeeting):
        return initial_meeting_form(case, form, born=born)
    if isinstance(form, ReviewMeeting):
        return review_form(case, form, born=born)
    if isinstance(form, ReintegrationTimetable):
        return timetable_form([form], printable.occasion)
    if isinstance(form, FailureLetter):
        return letter_document(form.render(case, born=born))
    if isinstance(form, SuccessfulOutcome):
        return successful_form(case, form, born=born)
    if isinstance(form, UnsuccessfulOutcome):
        return unsuccessful_form(case, form, born=born)
    raise TypeError(f"no layout for {type(form).__name__}")


def _child_dob_path(step: Step) -> str:
    """Where a step's data records the consent form's `child_dob` (`form.child_dob`)."""
    name = next((a.name for a in step.arguments if a.type is ConsentForm), "form")
    return f"{name}.child_dob"


def documents(case: Reintegration, *, removed: RemovedDates | None = None) -> list[Document]:
    """Every form the case recorded, filled in, in the order the protocol made them.

    Each step declares the forms it prints (`Step.documents`); this lays each out. A date of
    birth a redaction removed shows as `removed` gives it (see `RemovedDates`).
    """
    born = pupil_born(case, removed)
    found: list[Document] = []
    for transition in case.history:
        step = STEP.get(transition.trigger)
        if step is None:  # only a log changed behind its store names another
            raise FormInvalid(
                "history", str(transition.seq), f"unknown trigger {transition.trigger!r}"
            )
        for printable in step.documents(read_payload(step, transition)):
            child_born = None
            if isinstance(printable.form, ConsentForm):
                child_born = shown_born(
                    printable.form.child_dob, transition.seq, _child_dob_path(step), removed
                )
            found.append(_document(case, printable, born, child_born))
    if case.departures:
        found.append(departures_document(case))
    return _unique_slugs(found)


def _unique_slugs(found: list[Document]) -> list[Document]:
    """`found`, a repeated slug (views gathered on one day for two meetings, two timetables of
    one week) numbered from its second (`views-2026-02-06-2`): the slug is the page's section
    id, which a link finds only when it is the page's one."""
    counted: dict[str, int] = {}
    unique = []
    for document in found:
        counted[document.slug] = counted.get(document.slug, 0) + 1
        times = counted[document.slug]
        unique.append(
            document if times == 1 else attrs.evolve(document, slug=f"{document.slug}-{times}")
        )
    return unique


def departures_document(case: Reintegration) -> Document:
    """Where practice fell short of what the protocol says should happen, step by step."""
    dates = {transition.seq: transition.on for transition in case.history}
    return Document(
        "departures",
        "Departures from the protocol",
        "Steps accepted although the protocol says something else should have happened: "
        "recorded so that the local authority can see where practice fell short.",
        tuple(Field(f"{english_date(dates[d.seq])} ({d.rule})", d.text) for d in case.departures),
    )


def _wrapped(text: str, width: int, wrapstring: str = "\n") -> str:
    """`text` wrapped at `width` columns for email, each of its own lines wrapped apart, the
    lines joined by `wrapstring` (an indent after the newline). A word is never cut, even one
    longer than the line, nor split at a hyphen: a link (the admissions portal's, a school's
    page) must stay whole for a mail program to follow it, and "Marlowe-Penn" stays one name.
    The text templates' `wrap` filter."""
    return wrapstring.join(
        wrapstring.join(
            textwrap.wrap(
                line,
                width=width,
                expand_tabs=False,
                replace_whitespace=False,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        for line in text.splitlines()
    )


@functools.cache
def _environment() -> Environment:
    """The forms' environment, made when a form is first rendered (see `templating`)."""
    return templating.environment("reintegration_fsm", {"wrap": _wrapped})


def _context(
    case: Reintegration, on: dt.date | None, removed: RemovedDates | None
) -> dict[str, Any]:
    return {
        "case": case,
        "pupil": case.pupil,
        "documents": documents(case, removed=removed),
        "rendered_on": _date(on or dt.date.today()),
        "version": __version__,
        "stage": case.stage.value.replace("_", " "),
        "days": DAYS,
        "no_session": NO_SESSION,
    }


def render_html(
    case: Reintegration, on: dt.date | None = None, *, removed: RemovedDates | None = None
) -> str:
    """The case's forms as one printable HTML page (A4, one form per page); all text escaped,
    control characters and bidirectional overrides shown as escapes (`\\u202e`). A date of
    birth a redaction removed shows as `removed` gives it (see `RemovedDates`)."""
    context = _context(case, on, removed)
    return neutralise(_environment().get_template("case.html").render(context))


def render_text(
    case: Reintegration, on: dt.date | None = None, *, removed: RemovedDates | None = None
) -> str:
    """The case's forms as plain text, for email; control characters shown as escapes. A date
    of birth a redaction removed shows as `removed` gives it (see `RemovedDates`)."""
    context = _context(case, on, removed)
    return neutralise(_environment().get_template("case.txt").render(context))
