"""The caseload: `cases`, the rows `due` adds about each case, and the answer to an authority
that holds no cases (a typo must not look like an empty worklist)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.cli import options, unlisted
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import DATE, format_option, output_option
from reintegration_fsm.cli.output import Cell
from reintegration_fsm.cli.printing import emit
from reintegration_fsm.cli.scope import AUTHORITY_ENV
from reintegration_fsm.cli.settings import Settings, settings
from reintegration_fsm.cli.views import late_by
from reintegration_fsm.errors import quoted
from reintegration_fsm.stores import CaseSummary, DueItem
from reintegration_fsm.vocabulary import Party, Stage

if TYPE_CHECKING:
    from reintegration_fsm.stores import SqlAlchemyStore

OWNERS = (Party.AP.value, Party.HOST.value, Party.LA.value)
EVERYTHING = dt.date.max
"""`due(EVERYTHING)` lists every item that still binds, whatever its date: the next one due."""

AUTHORITY_OPTION = option(
    "--authority",
    default=None,
    metavar="NAME",
    help="Only this authority's cases. May only repeat an authority given before the command "
    "(or by RFSM_AUTHORITY), never replace it.",
)


# -- an authority that holds nothing ---------------------------------------------------------
def _scoped_by_environment() -> bool:
    """Whether RFSM_AUTHORITY confines this run: then no other authority may be named."""
    return bool(os.environ.get(AUTHORITY_ENV))


def check_authority(store: SqlAlchemyStore) -> None:
    """Fail when the store's authority holds no case at all, naming those that do (if it may).

    An empty list under a mistyped `--authority` would read as "nothing to do". The other
    authorities are named unless RFSM_AUTHORITY confines the run (a deployment for one
    authority must not learn which others share its database).

    Raises:
        Failure: the authority holds no case (exit 2).
    """
    authority = store.authority
    if authority is None or store.authorities():
        return
    if _scoped_by_environment():
        reasons = [f"The authority comes from {AUTHORITY_ENV}; check it is spelt as stored."]
    else:
        from reintegration_fsm.stores import SqlAlchemyStore

        everyone = SqlAlchemyStore(store.engine, calendar=store.calendar, protocols=store.protocols)
        held = everyone.authorities()
        if held:
            reasons = [f"The database holds cases for: {', '.join(repr(a) for a in held)}."]
        else:
            reasons = ["The database holds no cases yet."]
    raise Failure(f"no cases for authority {authority!r}", reasons)


def check_one_authority(store: SqlAlchemyStore, figures: str) -> None:
    """Fail when an unscoped store holds the cases of more than one authority, naming them:
    `figures` (the Fair Access ledger, a report) are one authority's panel's, and summed
    across authorities two schools of one name (a St Mary's in each) are one row.

    Raises:
        Failure: the store is unscoped and holds several authorities' cases (exit 2).
    """
    if store.authority is not None:
        return
    held = store.authorities()
    if len(held) < 2:
        return
    raise Failure(
        f"the database holds the cases of {len(held)} authorities, and {figures} is one "
        "authority's: give --authority NAME",
        [f"The database holds cases for: {', '.join(quoted(a) for a in held)}."],
    )


def check_school(store: SqlAlchemyStore, school: str | None) -> None:
    """Fail when no case the store may show has `school` as its AP setting or host school,
    naming the schools that have cases (a misspelt school must not look like an empty list).

    Raises:
        Failure: no case at that school (exit 2).
    """
    if school is None or store.cases(school=school):
        return
    check_authority(store)
    summaries = store.cases()
    known = sorted(
        {s.ap_setting for s in summaries} | {s.host_school for s in summaries if s.host_school}
    )
    raise Failure(
        f"no cases at school {quoted(school)}",
        [f"Schools with cases: {', '.join(repr(k) for k in known)}."]
        if known
        else ["There are no cases yet."],
    )


# -- what a due row says about its case ------------------------------------------------------
def describe_due(
    rows: Sequence[dict[str, Cell]],
    summaries: Iterable[CaseSummary],
    on: dt.date,
    calendar: SchoolCalendar | None,
) -> list[dict[str, Cell]]:
    """Due rows with how late each overdue item is, and the child, stage and schools of its
    case (the columns `views.DUE_COLUMNS` adds after the first six)."""
    by_id = {summary.case_id: summary for summary in summaries}
    described = []
    for row in rows:
        summary = by_id.get(str(row["case_id"]))
        late: int | None = None
        unit: str | None = None
        due = row["due"]
        if row["status"] == "overdue" and isinstance(due, dt.date):
            late, unit = late_by(due, on, calendar)
        described.append(
            {
                **row,
                "late": late,
                "late_unit": unit,
                "child": None if summary is None else summary.pupil_name,
                "stage": None if summary is None else summary.stage.value,
                "ap_setting": None if summary is None else summary.ap_setting,
                "host_school": None if summary is None else summary.host_school,
            }
        )
    return described


def lateness_note(rows: Sequence[dict[str, Cell]], calendar: SchoolCalendar | None) -> str:
    """What a table's `late` column counts, when it is not school days throughout."""
    units = {row["late_unit"] for row in rows if row["late_unit"] is not None}
    if "days" not in units:
        return ""
    if calendar is None:
        return (
            "note: late is counted in calendar days: no school calendar is known "
            "(give --calendar FILE before the command, or RFSM_CALENDAR)"
        )
    return (
        "note: late is in calendar days where the calendar does not cover the dates, "
        "or no school day has passed since the due day"
    )


# -- cases -----------------------------------------------------------------------------------
CASE_COLUMNS = (
    "case_id",
    "child",
    "stage",
    "ap_setting",
    "host_school",
    "opened_on",
    "last_on",
    "next_due",
    "next_kind",
    "next_owner",
)


def _next_items(items: Sequence[DueItem]) -> dict[str, DueItem]:
    """Each case's most pressing item: the soonest dated one, else its first undated one."""
    found: dict[str, DueItem] = {}
    for item in items:
        found.setdefault(item.case_id, item)
    return found


def case_rows(summaries: Sequence[CaseSummary], items: Sequence[DueItem]) -> list[dict[str, Cell]]:
    """The caseload as flat rows, with each case's next item due."""
    upcoming = _next_items(items)
    rows: list[dict[str, Cell]] = []
    for summary in summaries:
        item = upcoming.get(summary.case_id)
        rows.append(
            {
                "case_id": summary.case_id,
                "child": summary.pupil_name,
                "stage": summary.stage.value,
                "ap_setting": summary.ap_setting,
                "host_school": summary.host_school,
                "opened_on": summary.opened_on,
                "last_on": summary.last_on,
                "next_due": None if item is None else item.due,
                "next_kind": None if item is None else item.kind.value,
                "next_owner": None if item is None or item.owner is None else item.owner.value,
            }
        )
    return rows


def _store(found: Settings, authority: str | None) -> SqlAlchemyStore:
    found.narrow_authority(authority)
    return found.store()


@click.command()
@option(
    "--stage",
    type=click.Choice([stage.value for stage in Stage]),
    default=None,
    help="Only cases in this stage.",
)
@option(
    "--school", metavar="NAME", default=None, help="Only cases with this AP setting or host school."
)
@option(
    "--owner",
    type=click.Choice(OWNERS),
    default=None,
    help="Only cases where this party owes something due by --on.",
)
@option("--overdue", is_flag=True, help="Only cases with something overdue on --on.")
@option(
    "--on", type=DATE, default=None, help="The day --owner and --overdue judge (default today)."
)
@option("--open", "only_open", is_flag=True, help="Only cases still running.")
@option("--ended", "only_ended", is_flag=True, help="Only cases that reached a final stage.")
@option(
    "--search",
    metavar="TEXT",
    default=None,
    help="Only cases whose id or child's name holds TEXT (any case; `-`: read it from stdin).",
)
@AUTHORITY_OPTION
@format_option(("table", "json", "csv", "xlsx"))
@output_option("the caseload")
@click.pass_context
def cases(
    ctx: click.Context,
    stage: str | None,
    school: str | None,
    owner: str | None,
    overdue: bool,
    on: Any,
    only_open: bool,
    only_ended: bool,
    search: str | None,
    authority: str | None,
    output_format: str,
    output: str | None,
) -> None:
    """List the caseload: each case's child, stage, schools, dates and next thing due.

    Ordered by case id. Filters combine.
    """
    if only_open and only_ended:
        raise click.UsageError("--open and --ended conflict: choose one", ctx)
    running = True if only_open else False if only_ended else None
    search = unlisted.given("--search", search)
    day = on or options.today()
    store = _store(settings(ctx), authority)
    summaries = store.cases(
        stage=None if stage is None else Stage(stage), school=school, text=search
    )
    if running is not None:
        summaries = [s for s in summaries if s.stage.is_final is not running]
    if owner is not None or overdue:
        items = store.due(day)
        wanted = {
            item.case_id
            for item in items
            if (owner is None or (item.owner is not None and item.owner.value == owner))
            and (not overdue or (item.due is not None and item.due < day))
        }
        summaries = [s for s in summaries if s.case_id in wanted]
    if not summaries:
        check_authority(store)
        check_school(store, school)
    rows = case_rows(summaries, store.due(EVERYTHING) if summaries else [])
    emit(
        rows,
        CASE_COLUMNS,
        output_format,
        empty="no cases match",
        output=output,
        title="Cases",
    )
