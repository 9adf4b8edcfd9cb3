"""Printable renderings of the seed's forms, filled from a case's history.

`documents(case)` reads every form the case recorded (consent, reintegration information, the
child's views, the initial meeting, reviews, outcome forms, the failure letter, timetables) and
lays each out with the seed form's own labels. `render_html` prints them through Jinja2 with
autoescaping on, so nothing a user typed is ever read as markup; `render_text` gives plain text
for email. Both use `StrictUndefined`: a template can never leave a placeholder behind.

A form's layout is in `layout` and its values as a form shows them in `values`; one builder per
seed form, by the protocol's stage, in `referral`, `meetings` and `outcomes`; the case's
documents in the order they were made in `recorded`, and their rendering in `rendering`.
"""

from __future__ import annotations

from reintegration_fsm.documents.layout import (
    Document,
    Field,
    LetterBlock,
    TimetableWeek,
    Value,
)
from reintegration_fsm.documents.meetings import (
    initial_meeting_form,
    review_form,
    timetable_form,
)
from reintegration_fsm.documents.outcomes import (
    DELETION_NOTE,
    LEAVERS_NOTE,
    letter_document,
    successful_form,
    unsuccessful_form,
)
from reintegration_fsm.documents.recorded import (
    departures_document,
    documents,
)
from reintegration_fsm.documents.referral import (
    consent_form,
    information_form,
    views_form,
)
from reintegration_fsm.documents.rendering import (
    render_html,
    render_text,
)
from reintegration_fsm.documents.values import (
    DAYS,
    EVIDENCE_NAMES,
    NO_SESSION,
    NOT_RECORDED,
    SESSION_NAMES,
    RemovedDates,
    pupil_born,
    shown_born,
)

__all__ = [
    "DAYS",
    "DELETION_NOTE",
    "EVIDENCE_NAMES",
    "LEAVERS_NOTE",
    "NOT_RECORDED",
    "NO_SESSION",
    "SESSION_NAMES",
    "Document",
    "Field",
    "LetterBlock",
    "RemovedDates",
    "TimetableWeek",
    "Value",
    "consent_form",
    "departures_document",
    "documents",
    "information_form",
    "initial_meeting_form",
    "letter_document",
    "pupil_born",
    "render_html",
    "render_text",
    "review_form",
    "shown_born",
    "successful_form",
    "timetable_form",
    "unsuccessful_form",
    "views_form",
]
