"""The case's forms rendered: one printable HTML page, or plain text for email, through Jinja2."""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from typing import TYPE_CHECKING, Any

from reintegration_fsm import templating
from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents.recorded import documents
from reintegration_fsm.documents.values import (
    DAYS,
    NO_SESSION,
    RemovedDates,
    shown_date,
)
from reintegration_fsm.shown import neutralise
from reintegration_fsm.version import __version__

if TYPE_CHECKING:
    from jinja2 import Environment


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
        "rendered_on": shown_date(on or dt.date.today()),
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
