"""Figures for the panel: the Fair Access ledger (`weightings`) and the report (`report`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli import options
from reintegration_fsm.cli.caseload import (
    AUTHORITY_OPTION,
    check_authority,
    check_one_authority,
    check_school,
)
from reintegration_fsm.cli.errors import Failure, failure_from
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import DATE, format_option, output_option
from reintegration_fsm.cli.output import Cell, Sheet, render_csv, render_workbook
from reintegration_fsm.cli.printing import deliver, emit, refuse_a_terminal
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise, to_json
from reintegration_fsm.errors import (
    ProtocolError,
    StoreError,
    UnknownProtocol,
    UnpublishedProtocol,
)
from reintegration_fsm.fields import folded_name
from reintegration_fsm.protocol.reading import check_recorded
from reintegration_fsm.reports import Period, academic_year, current_academic_year, figures
from reintegration_fsm.reports.tables import LONG_COLUMNS, Table, long_rows, tables
from reintegration_fsm.stores import LedgerEntry
from reintegration_fsm.vocabulary import Party

if TYPE_CHECKING:
    from reintegration_fsm.stores import SqlAlchemyStore


def period_options(function: Any) -> Any:
    """`--year 2025/26` or `--from DATE --to DATE`: the period a command covers."""
    function = option(
        "--to", "end", type=DATE, default=None, help="The period's last day (with --from)."
    )(function)
    function = option(
        "--from", "start", type=DATE, default=None, help="The period's first day (with --to)."
    )(function)
    return option(
        "--year",
        metavar="YYYY/YY",
        default=None,
        help="An academic year, 1 September to 31 August: 2025/26 (default: the current one).",
    )(function)


def period(year: str | None, start: dt.date | None, end: dt.date | None) -> Period:
    """The period the options name; the current academic year when none is given.

    Raises:
        click.UsageError: both forms given, only one end of a range, or a range that ends
            before it starts (exit 2).
    """
    if year is not None and (start is not None or end is not None):
        raise click.UsageError("give --year or --from/--to, not both")
    if (start is None) != (end is None):
        raise click.UsageError("--from and --to go together: give both")
    try:
        if year is not None:
            return academic_year(year)
        if start is not None and end is not None:
            return Period(start, end)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    return current_academic_year(options.today())


# -- weightings ------------------------------------------------------------------------------
WEIGHTING_COLUMNS = ("school", "net_points", "moves_in", "moves_out")
LEDGER_COLUMNS = ("on", "case_id", "school", "points")


def weighting_rows(
    totals: dict[str, int], ledger: Sequence[LedgerEntry], hosts: Mapping[str, str | None]
) -> list[dict[str, Cell]]:
    """Each school's net points (from `weightings`) and its moves in and out (from the ledger):
    an entry is a move in for its case's host school (`hosts`: case id -> host school) and a
    move out for its AP setting. The sign of its points cannot tell: a protocol may give 0.
    A school named in several ways is one row, under the spelling `weightings` totals it by."""
    shown = {folded_name(school): school for school in totals}
    moves: dict[str, list[int]] = {}
    for entry in ledger:
        school = shown.get(folded_name(entry.school), entry.school)
        counts = moves.setdefault(school, [0, 0])
        counts[0 if entry.school == hosts.get(entry.case_id) else 1] += 1
    schools = sorted(set(totals) | set(moves))
    return [
        {
            "school": school,
            "net_points": totals.get(school, 0),
            "moves_in": moves.get(school, [0, 0])[0],
            "moves_out": moves.get(school, [0, 0])[1],
        }
        for school in schools
    ]


def _ledger_rows(ledger: Sequence[LedgerEntry]) -> list[dict[str, Cell]]:
    return [
        {"on": entry.on, "case_id": entry.case_id, "school": entry.school, "points": entry.points}
        for entry in ledger
    ]


def _period_json(found: Period) -> dict[str, Any]:
    return {
        "name": found.name or None,
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
    }


@click.command()
@period_options
@AUTHORITY_OPTION
@format_option(("table", "json", "csv", "xlsx"))
@output_option("the ledger")
@click.pass_context
def weightings(
    ctx: click.Context,
    year: str | None,
    start: dt.date | None,
    end: dt.date | None,
    authority: str | None,
    output_format: str,
    output: str | None,
) -> None:
    """The Fair Access ledger: each school's net weighting points and its moves in and out.

    From the successful moves dated in the period (seed step 10: the host school gains the
    protocol's points, the AP setting loses them).
    """
    span = period(year, start, end)
    found = settings(ctx)
    found.narrow_authority(authority)
    store = found.store()
    check_one_authority(store, "the Fair Access ledger")
    # One read of the ledger, its totals summed from it as `store.weightings` sums them: two
    # reads read the same rows twice, and could disagree if a success was saved between them
    # (review QP, QP4).
    from reintegration_fsm.stores.listings import weighting_totals

    ledger = store.ledger(span.start, span.end)
    totals = weighting_totals(ledger)
    if not totals and not ledger:
        check_authority(store)
    hosts = {summary.case_id: summary.host_school for summary in store.cases()} if ledger else {}
    rows = weighting_rows(totals, ledger, hosts)
    if output_format == "xlsx":
        refuse_a_terminal(output_format, output)
        # A range has no short name: its sheet named by its first day alone read as one day's
        # weightings, so the period's first and last days lead the workbook, as in `report`'s.
        workbook = render_workbook(
            [
                Sheet(
                    "Period",
                    [{"name": span.name or None, "start": span.start, "end": span.end}],
                    ("name", "start", "end"),
                ),
                Sheet(
                    f"Weightings {span.name.replace('/', '-')}" if span.name else "Weightings",
                    rows,
                    WEIGHTING_COLUMNS,
                ),
                Sheet("Ledger", _ledger_rows(ledger), LEDGER_COLUMNS),
            ]
        )
        deliver(workbook, output)
        return
    emit(
        rows,
        WEIGHTING_COLUMNS,
        output_format,
        json_value={
            "period": _period_json(span),
            "schools": rows,
            "ledger": _ledger_rows(ledger),
        },
        empty=f"no successful moves from {span.start} to {span.end}",
        output=output,
    )


# -- report ----------------------------------------------------------------------------------
def load_cases(
    store: SqlAlchemyStore, span: Period, school: str | None, on: dt.date
) -> tuple[list[Reintegration], set[str]]:
    """The cases the report may count, each as it stood at the end of `on`: those opened by
    then and not ended before the period began; and the ids of those that ended before it
    (not loaded: they stand now as they stood then, the period having begun by `on`).

    A case with no step dated after `on` stood then as it stands now: those are read in one
    stream (`load_all`, a query a 500 cases, from the state the store keeps), not loaded and
    replayed one by one (two queries and a replay each: half a minute for an authority's
    10,000 cases; review QP, QP1). A case with a later step is loaded as it stood
    (`load(as_of=on)`), and so is every case when the stream fails, so that the case that
    does not load is named as before."""
    counted = []
    ended_before = set()
    for summary in store.cases(school=school):
        if summary.opened_on > min(span.end, on):
            continue
        if summary.stage.is_final and summary.last_on < span.start:
            ended_before.add(summary.case_id)
            continue
        counted.append(summary)
    unchanged = _unchanged_since(store, [s.case_id for s in counted if s.last_on <= on], on)
    loaded = [
        unchanged[summary.case_id]
        if summary.case_id in unchanged
        else _as_it_stood(store, summary.case_id, on)
        for summary in counted
    ]
    return loaded, ended_before


def _unchanged_since(
    store: SqlAlchemyStore, case_ids: list[str], on: dt.date
) -> dict[str, Reintegration]:
    """The cases of `case_ids` whose every step is dated on or before `on`, by id, read in one
    stream; none if the stream fails, or a step's recorded data is not JSON (each case is then
    loaded alone, to name the one that does not load, as the report did before it streamed:
    review RZ, RZ6)."""
    found = {}
    try:
        for case in store.load_all(case_ids):
            if case.history[-1].on <= on:  # (its row's last date altered: loaded as it stood)
                check_recorded(case.history)  # (the stream keeps each step's data unread)
                found[case.case_id] = case
    except ProtocolError:
        return {}
    return found


def _as_it_stood(store: SqlAlchemyStore, case_id: str, on: dt.date) -> Reintegration:
    """The case as it stood at the end of `on`, or the command's failure naming it."""
    try:
        return store.load(case_id, as_of=on)
    except UnknownProtocol as error:  # the command's registration: said as for any command
        raise error.naming(case_id) from None  # (one case of many: named)
    except (StoreError, UnpublishedProtocol):
        raise  # the store's or the library's, not the case's: said as for any command
    except ProtocolError as error:
        failure = failure_from(error)
        raise Failure(
            f"case {neutralise(case_id, single_line=True)} does not load, so the "
            f"report cannot count it: {failure.message}",
            (*failure.reasons, "Run `reintegration-fsm verify` to see what is wrong with it."),
            failure.exit_code,
        ) from None


def owed_by(
    store: SqlAlchemyStore, on: dt.date, school: str | None, case_ids: set[str]
) -> list[Party]:
    """The party owing each open obligation overdue on `on` of the cases `case_ids`, read from
    the due list rather than by loading the cases."""
    if not case_ids:
        return []
    return [
        item.owner
        for item in store.due(on, school=school)
        if item.owner is not None
        and item.due is not None
        and item.due < on
        and item.case_id in case_ids
    ]


def _sheet(table: Table) -> Sheet:
    """The table as a sheet of the workbook, its rows' `key` in a last column, as in CSV."""
    columns, rows = table.keyed()
    return Sheet(table.sheet, rows, columns)


def refuse_a_period_not_begun(span: Period, today: dt.date) -> None:
    """Refuse a period whose first day is after `today`: no case was open on any of its days
    yet, and counting today's cases would show them in it.

    Raises:
        Failure: the period starts after today (exit 2).
    """
    if span.start <= today:
        return
    named = span.name or f"from {span.start} to {span.end}"
    raise Failure(
        f"the period {named} starts after today ({today}): no day of it has come to count",
        (
            "Give a period that has begun: the current academic year is "
            f"--year {current_academic_year(today).name}.",
        ),
    )


@click.command()
@period_options
@option(
    "--school", metavar="NAME", default=None, help="Only cases with this AP setting or host school."
)
@AUTHORITY_OPTION
@format_option(("html", "json", "csv", "xlsx"), default="html")
@output_option("the report")
@click.pass_context
def report(
    ctx: click.Context,
    year: str | None,
    start: dt.date | None,
    end: dt.date | None,
    school: str | None,
    authority: str | None,
    output_format: str,
    output: str | None,
) -> None:
    """The figures a panel and an inspection ask for, over a period (and for one school).

    Cases by stage; offers of a place within the protocol's school days, and the school days
    each took; reviews held on time; emergency reviews; outcomes and their rates; departures
    by rule; obligations overdue by who owes them; and each school's part. Cases are counted
    as they stood at the period's end (or today, if that comes first). The report names no
    child.
    """
    span = period(year, start, end)
    today = options.today()
    refuse_a_period_not_begun(span, today)
    refuse_a_terminal(output_format, output)
    found = settings(ctx)
    found.narrow_authority(authority)
    store = found.store()
    check_one_authority(store, "a panel's report")
    on = min(span.end, today)
    cases, ended_before = load_cases(store, span, school, on)
    if not cases:
        check_authority(store)
    check_school(store, school)
    counted = figures(
        cases,
        span,
        on=on,
        school=school,
        calendar=found.calendar(),
        owed_elsewhere=owed_by(store, on, school, ended_before),
    )
    data: str | bytes
    if output_format == "json":
        data = to_json(counted.to_json()) + "\n"
    elif output_format == "csv":
        data = render_csv(long_rows(counted), LONG_COLUMNS) + "\n"
    elif output_format == "xlsx":
        data = render_workbook([_sheet(table) for table in tables(counted)])
    else:
        try:
            from reintegration_fsm.reports.html import render_html

            data = render_html(counted, made_on=options.today())
        except ImportError as error:
            raise Failure(
                f"report --format html: {neutralise(str(error), single_line=True)}",
                ("Or choose --format json, csv or xlsx.",),
            ) from None
    deliver(data, output)
