"""Commands about cases: the demo, a case's history, timeline, export, letter and documents,
importing histories, and driving a case one trigger at a time."""

from __future__ import annotations

from typing import Any

import click

from reintegration_fsm import demo as demo_cases
from reintegration_fsm import documents
from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli import interchange, views
from reintegration_fsm.cli.common import (
    CALENDAR_ENV,
    DATE,
    REFUSED,
    Failure,
    emit,
    format_option,
    progress,
    read_json,
    settings,
    to_json,
    today,
)
from reintegration_fsm.errors import CalendarError
from reintegration_fsm.serialisation import transition_to_json
from reintegration_fsm.vocabulary import Actor, Role


@click.command()
@format_option(("text", "json"), default="text")
@click.pass_context
def demo(ctx: click.Context, output_format: str) -> None:
    """Run four example cases into the database and print their timelines.

    The cases use the SAMPLE calendar and invented people: one succeeds, one ends after an
    emergency review, one is withdrawn, one's place offer is late. Cases already in the database
    are not run again.
    """
    found = settings(ctx)
    store = found.store()
    calendar = SchoolCalendar.sample()
    results = demo_cases.run(store, calendar)
    on = today()
    if output_format == "json":
        click.echo(to_json([views.export(result.case, on) for result in results]))
        return
    click.echo(f"Database: {found.url}")
    click.echo("Calendar: the shipped SAMPLE calendar (not any authority's published dates)")
    for result in results:
        verb = "added" if result.created else "already there"
        click.echo("")
        click.echo(f"== {result.demo.case_id} ({verb}): {result.demo.summary}")
        click.echo(views.timeline(result.case, on, calendar))
    click.echo("")
    click.echo("Next: `reintegration-fsm due`, `reintegration-fsm history DEMO-0001`,")
    click.echo("`reintegration-fsm letter DEMO-0002`, `reintegration-fsm render DEMO-0001`.")


@click.command()
@click.argument("case_id")
@format_option()
@click.pass_context
def history(ctx: click.Context, case_id: str, output_format: str) -> None:
    """Print a case's history, oldest first (JSON holds the forms, importable with `import`)."""
    transitions = settings(ctx).store().history(case_id)
    emit(
        views.history_rows(transitions),
        views.HISTORY_COLUMNS,
        output_format,
        json_value=[transition_to_json(t) for t in transitions],
    )


@click.command()
@click.argument("case_id")
@click.option("--on", type=DATE, default=None, help="Judge open deadlines as of this date.")
@click.pass_context
def timeline(ctx: click.Context, case_id: str, on: Any) -> None:
    """Print a case's timeline: who did what when, deadlines, obligations still open."""
    found = settings(ctx)
    case = found.store().load(case_id)
    click.echo(views.timeline(case, on or today(), found.calendar()))


@click.command()
@click.argument("case_id")
@click.pass_context
def export(ctx: click.Context, case_id: str) -> None:
    """Print every record held about one child's case as JSON (subject access requests).

    The current stage, deadlines, open obligations and the full history with every form.
    """
    case = settings(ctx).store().load(case_id)
    click.echo(to_json(views.export(case, today())))


@click.command()
@click.argument("case_id")
@click.pass_context
def letter(ctx: click.Context, case_id: str) -> None:
    """Print the failure letter of a case ended by an emergency review."""
    case = settings(ctx).store().load(case_id)
    text = case.letter()
    if text is None:
        raise Failure(
            f"case {case_id!r} has no failure letter (stage {case.stage.value})",
            ("Only a case ended by an emergency review deciding END has one.",),
            REFUSED,
        )
    click.echo(text, nl=False)


@click.command()
@click.argument("case_id")
@click.option("--html", "kind", flag_value="html", default=True, help="Printable HTML (default).")
@click.option("--text", "kind", flag_value="text", help="Plain text, for email.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file."
)
@click.pass_context
def render(ctx: click.Context, case_id: str, kind: str, output: str | None) -> None:
    """Render a case's forms (consent, information, meetings, outcome, letter) to print."""
    case = settings(ctx).store().load(case_id)
    text = documents.render_html(case) if kind == "html" else documents.render_text(case)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise Failure(f"cannot write {output}: {error.strerror or error}") from None
        click.echo(f"wrote {output}", err=True)


@click.command("import")
@click.argument("file", metavar="FILE")
@click.pass_context
def import_(ctx: click.Context, file: str) -> None:
    """Import case histories from a JSON file (`-` for stdin), all or nothing.

    FILE holds what `export` writes (one case, or a list of them) or what `history --format
    json` writes. Everything is checked first: with any problem, every one is printed and
    nothing is imported (exit 2).
    """
    value = read_json(file)
    incoming, problems = interchange.read_histories(value)
    problems += interchange.duplicates(incoming)
    store = settings(ctx).store()
    taken = store.taken(item.case.case_id for item in incoming)
    for item in incoming:
        case = item.case
        if store.authority is not None and case.local_authority != store.authority:
            problems.append(
                f"{item.label}: belongs to {case.local_authority!r}, not {store.authority!r}"
            )
        elif case.case_id in taken:
            problems.append(f"{item.label}: case id {case.case_id!r} is already taken")
    if problems:
        raise Failure(f"nothing imported from {file}", problems)
    with progress(incoming, "Importing histories") as items:
        count = store.import_histories((item.case.local_authority, item.history) for item in items)
    click.echo(f"imported {len(incoming)} case(s), {count} transition(s)")


ROLE_NAMES = [role.value for role in Role]


@click.command()
@click.argument("case_id")
@click.argument("trigger")
@click.option(
    "--data",
    "data_file",
    metavar="FILE.json",
    default=None,
    help="JSON object of the trigger's arguments (forms as `serialisation.unstructure` "
    "writes them); `-` for stdin. Omit for triggers without arguments.",
)
@click.option("--actor-id", required=True, help="Who fires the trigger: an id.")
@click.option("--actor-name", required=True, help="Their name.")
@click.option(
    "--role", type=click.Choice(ROLE_NAMES, case_sensitive=False), required=True, help="Their role."
)
@click.option("--organisation", default="", help="The organisation they act for.")
@click.option("--on", type=DATE, default=None, help="The business date (default: today).")
@format_option(("text", "json"), default="text")
@click.pass_context
def apply(
    ctx: click.Context,
    case_id: str,
    trigger: str,
    data_file: str | None,
    actor_id: str,
    actor_name: str,
    role: str,
    organisation: str,
    on: Any,
    output_format: str,
) -> None:
    """Fire one TRIGGER on a case, with its arguments from a JSON file.

    `open` creates the case (data: pupil, ap_setting, local_authority). A refused trigger
    prints every reason and changes nothing (exit 1); bad data exits 2.
    """
    found = settings(ctx)
    data = {} if data_file is None else read_json(data_file)
    arguments, problems = interchange.trigger_arguments(trigger, data)
    if problems:
        raise Failure(f"bad data for {trigger}", problems)
    actor = Actor(actor_id, actor_name, Role(role.lower()), organisation)
    day = on or today()
    store = found.store()
    if trigger == "open" and store.taken([case_id]):
        raise Failure(f"case id {case_id!r} is already taken", ())
    try:
        if trigger == "open":
            case = Reintegration.open(
                case_id, **arguments, by=actor, on=day, calendar=found.calendar()
            )
        else:
            case = store.load(case_id)
            getattr(case, trigger)(**arguments, by=actor, on=day)
    except CalendarError as error:
        hint = (
            ()
            if found.calendar_name
            else (f"Name a term-dates file: --calendar FILE or {CALENDAR_ENV}.",)
        )
        raise Failure(str(error), hint) from None
    store.save(case)
    transition = case.history[-1]
    if output_format == "json":
        click.echo(to_json(transition_to_json(transition)))
        return
    source = transition.source.value if transition.source is not None else "(new)"
    click.echo(
        f"{case_id}: {trigger} accepted, {source} -> {transition.dest.value} (seq {transition.seq})"
    )
