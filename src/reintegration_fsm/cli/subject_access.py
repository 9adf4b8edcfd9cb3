"""A subject access response (UK GDPR, article 15): every record held about one child, as JSON
and as a readable, self-contained HTML document.

For each case: the case itself, every transition with the forms given to it, the deadlines and
obligations, the departures from good practice, who acted, the redaction notes and how long it
is kept; before them, the supplementary information the ICO lists (purposes, categories,
recipients, retention, source, rights, automated decisions, transfers) as a fixed preamble
(`PREAMBLE`, documented in docs/evidence.md). Every case's JSON holds its whole history, so
`reintegration-fsm import` reads a response back.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from reintegration_fsm import documents, templating
from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli import redacted, views
from reintegration_fsm.cli.text import to_json
from reintegration_fsm.stores import RedactionNote
from reintegration_fsm.stores.personal import REDACTED_DATE
from reintegration_fsm.version import __version__

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

    from reintegration_fsm.stores import RetentionPolicy

FORMAT = "reintegration-fsm/subject-access"
FORMAT_VERSION = 1

PREAMBLE: tuple[tuple[str, str], ...] = (
    (
        "Who holds this information",
        "The local authority named on each case below is the controller of this information. "
        "The contact details of its data protection officer are in its privacy notice.",
    ),
    (
        "Why it is held (purposes)",
        "To arrange and review the child's return from Alternative Provision to a mainstream "
        "school under the authority's reintegration protocol, through its Fair Access panel; to "
        "meet the duties the protocol sets each party (deadlines, reviews, school registration "
        "and records); and to keep an auditable record of who did what, and when.",
    ),
    (
        "What is held (categories of personal data)",
        "The child's name, date of birth, unique pupil number, address, key stage, looked-after "
        "status, special educational needs and ethnicity where recorded; the consent of a "
        "parent or carer, with their names and addresses; information about the child's "
        "attainment, attendance, behaviour and support; the child's own views; records of "
        "meetings, reviews and letters; and the names and roles of the staff who acted.",
    ),
    (
        "Who sees it (recipients)",
        "The child's Alternative Provision setting, the host school once one is identified, and "
        "the local authority's admissions and Fair Access staff; where a case needs them, the "
        "other professionals named in its records. No one else, unless the law requires it.",
    ),
    (
        "Where it came from (source)",
        "The Alternative Provision setting, the host school and the local authority; the "
        "child's parents or carers (the consent form, meetings); and the child (their views).",
    ),
    (
        "How long it is kept (retention)",
        "Until the child's date of birth plus the number of years the authority's protocol "
        "sets, unless the authority sets another period. Then the personal data is removed, "
        "and the record of the steps, dates and deadlines, which holds none, is kept. Each case "
        "below gives its date, or says that none can be given (its date of birth was removed): "
        "then its personal data is kept until it is removed by hand.",
    ),
    (
        "Your rights",
        "You may ask for information that is wrong to be corrected, for information to be "
        "erased or its use restricted, and you may object to its use. You may complain to the "
        "Information Commissioner's Office (ico.org.uk, 0303 123 1113).",
    ),
    (
        "Automated decisions",
        "No decision about the child is made by automated means alone. The software checks that "
        "each step follows the protocol (for example, that consent was given before a referral) "
        "and records the deadlines the protocol sets; people make every decision.",
    ),
    (
        "Transfers abroad",
        "This system does not transfer the information outside the United Kingdom.",
    ),
    (
        "Removed information",
        "Where information was removed (at the end of its retention period, or on request), "
        'this response shows "(redacted on DATE: REASON)" in its place and lists each removal: '
        "what was removed, by whom, when and why.",
    ),
    (
        "About this document",
        "It holds every record this system holds about the child: each case, every step with "
        "the forms given to it, the deadlines and obligations, departures from the protocol's "
        "good practice, who acted, and the notes of removed information. Records the schools or "
        "the authority keep elsewhere are not in this system and are not part of it.",
    ),
)
"""The supplementary information of a subject access response (ICO, "Right of access")."""


@attrs.frozen
class Held:
    """One case of the response, with what the store holds about it besides its history."""

    case: Reintegration
    notes: tuple[RedactionNote, ...]
    entered: tuple[dt.datetime | None, ...] = ()
    """When each step was saved (`store.entered`)."""


def keep_until(case: Reintegration, policy: RetentionPolicy) -> dt.date | None:
    """The last day the case's personal data is kept (None: its date of birth was removed)."""
    born = case.pupil.date_of_birth
    last = case.last_on or case.opened_on
    return policy.keep_until(None if born == REDACTED_DATE else born, last, case.protocol)


def _actors(case: Reintegration) -> list[dict[str, str]]:
    seen: dict[tuple[str, str, str, str], None] = {}
    for transition in case.history:
        actor = transition.actor
        seen[(actor.id, actor.name, actor.role.value, actor.organisation)] = None
    return [{"id": i, "name": n, "role": r, "organisation": o} for i, n, r, o in seen]


def case_json(
    held: Held, on: dt.date, calendar: SchoolCalendar | None, policy: RetentionPolicy
) -> dict[str, Any]:
    """Everything held about one case, as JSON (its `history` as `import` reads it)."""
    case = held.case
    until = keep_until(case, policy)
    born = redacted.born(case, held.notes)
    value = views.export(case, on)
    value["pupil"]["date_of_birth"] = born
    value["departures"] = [{"seq": d.seq, "rule": d.rule, "text": d.text} for d in case.departures]
    value["actors"] = _actors(case)
    value["timeline"] = views.timeline_json(case, on, calendar, entered=held.entered)["steps"]
    value["redactions"] = [redacted.note_json(note) for note in held.notes]
    value["retention"] = {
        "keep_until": None if until is None else until.isoformat(),
        "policy": policy.describe(case.protocol),
    }
    return value


def about(request: Mapping[str, Any], on: dt.date) -> dict[str, Any]:
    """What a response says of itself: when, by what, asked how, and the ICO's preamble."""
    return {
        "prepared_on": on.isoformat(),
        "prepared_by": f"reintegration-fsm {__version__}",
        "request": dict(request),
        "about_this_information": [{"heading": h, "text": t} for h, t in PREAMBLE],
    }


def response(
    held: Sequence[Held],
    request: Mapping[str, Any],
    on: dt.date,
    calendar: SchoolCalendar | None,
    policy: RetentionPolicy,
) -> dict[str, Any]:
    """The whole response as JSON: the request, the preamble, and every case (`cases`)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **about(request, on),
        "cases": [case_json(item, on, calendar, policy) for item in held],
    }


_IN_CASES = "    "
"""The indentation of a case's lines in the response's JSON (`to_json`: two levels of two)."""
_NO_CASES = "[]\n}"
"""How the JSON of a response of no case ends."""


def response_text(
    held: Iterable[Held],
    request: Mapping[str, Any],
    on: dt.date,
    calendar: SchoolCalendar | None,
    policy: RetentionPolicy,
) -> Iterator[str]:
    """The text of the whole response's JSON and a newline (`to_json(response(...)) + "\n"`,
    the same characters), in parts made as `held` gives its cases: the text before the cases,
    each case's, and the close. Memory holds one case's, never every case's: `held` may be a
    stream of the store (`export --all`).

    The first case is read before any part is given: where the cases come from the database,
    it is open, and a case that cannot be read first fails before anything is written.
    """
    cases = iter(held)
    first = next(cases, None)
    whole = to_json(response((), request, on, calendar, policy))
    if first is None:
        yield whole + "\n"
        return
    assert whole.endswith(_NO_CASES)  # `cases` is the response's last key
    yield whole[: -len(_NO_CASES)] + "["
    # A JSON text holds no newline but between its lines (one in a string is written `\n`).
    before = "\n" + _IN_CASES
    for item in itertools.chain((first,), cases):
        yield before + to_json(case_json(item, on, calendar, policy)).replace(
            "\n", "\n" + _IN_CASES
        )
        before = ",\n" + _IN_CASES
    yield "\n  ]\n}\n"


def one_case(
    held: Held,
    request: Mapping[str, Any],
    on: dt.date,
    calendar: SchoolCalendar | None,
    policy: RetentionPolicy,
) -> dict[str, Any]:
    """The response for one case id: the case's own export (as revision 2 wrote it, so scripts
    reading it and `import` keep working), with the rest of the response under
    `subject_access`."""
    return case_json(held, on, calendar, policy) | {"subject_access": about(request, on)}


@functools.cache
def _environment() -> Environment:
    """The HTML response's environment, made at the first HTML response (see `templating`)."""
    return templating.environment("reintegration_fsm.cli")


def render_html(value: Mapping[str, Any], held: Sequence[Held]) -> str:
    """The response (`response`'s JSON) as one self-contained HTML page: every text escaped,
    nothing loaded from elsewhere."""
    cases = []
    for item, case_value in zip(held, value["cases"], strict=True):
        cases.append(
            {
                "value": case_value,
                "case": item.case,
                "forms": documents.documents(item.case, removed=redacted.removed_dates(item.notes)),
                "notes": item.notes,
            }
        )
    return (
        _environment()
        .get_template("subject_access.html")
        .render(
            response=value,
            cases=cases,
            words=_words,
            dated=_dated,
            whole=_whole,
            entered_later=_entered_later,
            days=documents.DAYS,
            no_session=documents.NO_SESSION,
        )
    )


def _entered_later(step: Mapping[str, Any]) -> str | None:
    """The day a timeline step (`timeline_json`'s) was entered, in this machine's time, when
    that is another day than the one it is dated; else None."""
    stamp = step.get("entered_at")
    if not isinstance(stamp, str):
        return None
    entered = views.local_time(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))).date()
    return None if entered.isoformat() == step["on"] else entered.isoformat()


def _words(value: Any) -> str:
    return "" if value is None else str(value).replace("_", " ")


_ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _dated(value: Any) -> Markup:
    """`value` escaped, each ISO day in it kept on one line: the browser breaks a line after a
    day's hyphen ("2026-02-" above "28") where the whole day would fit on the next."""
    from markupsafe import Markup, escape

    return Markup(_ISO_DAY.sub(lambda day: f'<span class="date">{day[0]}</span>', escape(value)))


_BREAKABLE = re.compile(r"\S*\S[^\w\s]\S+")
"""A run of characters without a space that a browser may break inside: after a bracket or a
hyphen with more to follow ("9(1)(c)", "13(4):", "part-time")."""


def _whole(value: Any) -> Markup:
    """`value` escaped, each run of it a browser could break inside (`_BREAKABLE`) kept on one
    line: "regulation 9(1)(c)" was laid out "9(1)" above "(c)". In a table of whole words
    (`whole-words`), a column widens and the table scrolls in its box rather than cut one."""
    from markupsafe import Markup, escape

    text = str(value)
    parts = []
    last = 0
    for run in _BREAKABLE.finditer(text):
        parts.append(escape(text[last : run.start()]))
        parts.append(Markup('<span class="whole">%s</span>') % run[0])
        last = run.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)
