"""The case's documents, in the order they were made: each form a step recorded, filled in,
and the departures from the protocol."""

from __future__ import annotations

import attrs

from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents.layout import Document, Field
from reintegration_fsm.documents.meetings import initial_meeting_form, review_form, timetable_form
from reintegration_fsm.documents.outcomes import (
    letter_document,
    successful_form,
    unsuccessful_form,
)
from reintegration_fsm.documents.referral import consent_form, information_form, views_form
from reintegration_fsm.documents.values import (
    RemovedDates,
    pupil_born,
    shown_born,
)
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.forms import (
    ChildViews,
    ConsentForm,
    FailureLetter,
    InitialMeeting,
    ReintegrationTimetable,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
    english_date,
)
from reintegration_fsm.protocol.payloads import Referral
from reintegration_fsm.protocol.reading import read_payload
from reintegration_fsm.protocol.steps import STEP, Printable, Step


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
