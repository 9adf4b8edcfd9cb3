"""Commands that show a case: the demo, a case's history, timeline, letter and documents (the
`import` command is `importing`, `apply` is `applying`, `export` is `access`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from reintegration_fsm import demo as demo_cases
from reintegration_fsm import documents
from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.cli import options, redacted, views
from reintegration_fsm.cli.database_urls import shown_url
from reintegration_fsm.cli.errors import REFUSED, Failure
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import DATE, format_option, output_option
from reintegration_fsm.cli.printing import echo, emit, write_output
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise, to_json
from reintegration_fsm.errors import CaseNotFound
from reintegration_fsm.serialisation import transition_to_json

if TYPE_CHECKING:
    from reintegration_fsm.stores import SqlAlchemyStore


@click.command()
@format_option(("text", "json"), default="text")
@click.pass_context
def demo(ctx: click.Context, output_format: str) -> None:
    """Run four example cases into the database and print their timelines.

    The cases use the SAMPLE calendar and invented people: one succeeds, one ends after an
    emergency review, one is withdrawn, one's place offer is late. Cases already in the database
    are not run again. A database holding any other case is refused (exit 2).
    """
    found = settings(ctx)
    store = found.store(create=True)
    _refuse_a_store_of_real_cases(store)
    calendar = SchoolCalendar.sample()
    results = demo_cases.run(store, calendar)
    on = options.today()
    if output_format == "json":
        click.echo(to_json([views.export(result.case, on) for result in results]))
        return
    echo(f"Database: {shown_url(found.url)}")
    echo("Calendar: the shipped SAMPLE calendar (not any authority's published dates)")
    for result in results:
        verb = "added" if result.created else "already there"
        echo("")
        echo(f"== {result.demo.case_id} ({verb}): {result.demo.summary}")
        echo(views.timeline(result.case, on, calendar))
    echo("")
    echo("Next: `reintegration-fsm due`, `reintegration-fsm history DEMO-0001`,")
    echo("`reintegration-fsm letter DEMO-0002`, `reintegration-fsm render DEMO-0001`.")


def _refuse_a_store_of_real_cases(store: SqlAlchemyStore) -> None:
    """Refuse a database holding cases besides the demo's, of any authority (a store scoped to
    the demo's own sees none of the others): its invented children would stay in the audit
    log, the weightings ledger and every report for good (no command removes a case). The
    refusal names no case, nor how many: a scoped officer learns nothing of another
    authority's.

    Raises:
        Failure: the database holds another case (exit 2).
    """
    from sqlalchemy import select

    from reintegration_fsm.stores import schema

    ours = [demo.case_id for demo in demo_cases.CASES]
    other = select(schema.cases.c.case_id).where(schema.cases.c.case_id.not_in(ours)).limit(1)
    with store.engine.connect() as conn:
        found = conn.execute(other).first()
    if found is not None:
        raise Failure(
            "the database holds cases besides the demo's: the demo would add four invented "
            "children to them, for good (no command removes a case)",
            ("Run the demo into a file of its own: reintegration-fsm --db demo.sqlite demo.",),
        )


@click.command()
@click.argument("case_id")
@format_option()
@output_option("the history")
@click.pass_context
def history(ctx: click.Context, case_id: str, output_format: str, output: str | None) -> None:
    """Print a case's history, oldest first, with when each step was entered (JSON holds the
    forms, importable with `import`)."""
    store = settings(ctx).store()
    transitions = store.history(case_id)
    emit(
        views.history_rows(transitions, store.entered(case_id)),
        views.HISTORY_COLUMNS,
        output_format,
        json_value=[transition_to_json(t) for t in transitions],
        output=output,
    )


@click.command()
@click.argument("case_id")
@option("--on", type=DATE, default=None, help="Judge open deadlines as of this date.")
@option(
    "--as-of",
    type=DATE,
    default=None,
    help="The case as it stood at the end of this day (--on defaults to it).",
)
@format_option(("text", "json"), default="text")
@output_option("the timeline")
@click.pass_context
def timeline(
    ctx: click.Context, case_id: str, on: Any, as_of: Any, output_format: str, output: str | None
) -> None:
    """Print a case's timeline: who did what when, deadlines, obligations still open.

    Lateness is counted in school days when a calendar is given (--calendar before the
    command, or RFSM_CALENDAR), else in days.
    With --as-of, the case as it stood at the end of that day (exit 2 if not yet opened).
    """
    found = settings(ctx)
    store = found.store()
    try:
        case = store.load(case_id, as_of=as_of)
    except CaseNotFound:
        if as_of is None:
            raise
        store.load(case_id)  # no such case (or another authority's): CaseNotFound as ever
        raise Failure(f"case {case_id!r} was not yet opened on {as_of}") from None
    born = redacted.born(case, store.redactions(case_id))
    entered = store.entered(case_id)
    day = on or as_of or options.today()
    if output_format == "json":
        text = to_json(views.timeline_json(case, day, found.calendar(), born=born, entered=entered))
    else:
        text = neutralise(views.timeline(case, day, found.calendar(), born=born, entered=entered))
    _print_or_write(text + "\n", output)


def _print_or_write(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)


@click.command()
@click.argument("case_id")
@click.pass_context
def letter(ctx: click.Context, case_id: str) -> None:
    """Print the failure letter of a case ended by an emergency review."""
    store = settings(ctx).store()
    case = store.load(case_id)
    text = redacted.letter(case, store.redactions(case_id))
    if text is None:
        raise Failure(
            f"case {case_id!r} has no failure letter (stage {case.stage.value})",
            ("Only a case ended by an emergency review deciding END has one.",),
            REFUSED,
        )
    echo(text, nl=False)


@click.command()
@click.argument("case_id")
@option("--html", "html", is_flag=True, help="Printable HTML (the default).")
@option("--text", "text", is_flag=True, help="Plain text, for email.")
@output_option("the forms")
@click.pass_context
def render(ctx: click.Context, case_id: str, html: bool, text: bool, output: str | None) -> None:
    """Render a case's forms (consent, information, meetings, outcome, letter) to print.

    HTML by default, or --text; not both.
    """
    if html and text:
        raise click.UsageError("--html and --text conflict: choose one", ctx)
    store = settings(ctx).store()
    case = store.load(case_id)
    removed = redacted.removed_dates(store.redactions(case_id))
    if text:
        document = documents.render_text(case, removed=removed)
    else:
        document = documents.render_html(case, removed=removed)
    _print_or_write(neutralise(document), output)
