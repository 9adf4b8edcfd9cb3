"""Commands for the database and the protocol: migrations, the due list, verification,
the stage diagram and school-day arithmetic."""

from __future__ import annotations

from typing import Any

import click

from reintegration_fsm.cli import views
from reintegration_fsm.cli.common import (
    DATE,
    REFUSED,
    Failure,
    emit,
    format_option,
    load_calendar,
    settings,
    shown_url,
    today,
)
from reintegration_fsm.protocol import diagrams
from reintegration_fsm.stores import upgrade


@click.group()
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to reach.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply the shipped Alembic migrations up to REVISION (default: the newest)."""
    url = settings(ctx).url
    upgrade(url, revision)
    click.echo(f"{shown_url(url)}: migrated to {revision}")


@click.command()
@click.option(
    "--on", type=DATE, default=None, help="List what is due by this date (default today)."
)
@click.option("--authority", default=None, metavar="NAME", help="Only this authority's cases.")
@format_option()
@click.pass_context
def due(ctx: click.Context, on: Any, authority: str | None, output_format: str) -> None:
    """List unmet deadlines and open obligations due by a date, soonest first.

    Obligations without a due date come last. Across every case the database holds.
    """
    day = on or today()
    found = settings(ctx)
    if authority is not None:
        found.authority = authority
    store = found.store()
    emit(
        views.due_rows(store.due(day), day),
        views.DUE_COLUMNS,
        output_format,
        empty=f"nothing due by {day}",
    )


@click.command()
@format_option()
@click.pass_context
def verify(ctx: click.Context, output_format: str) -> None:
    """Check the audit log's hash chains and replay every case; exit 1 on any problem."""
    problems = settings(ctx).store().verify()
    rows = views.problem_rows(problems)
    if output_format != "table" or problems:
        emit(rows, views.PROBLEM_COLUMNS, output_format)
    else:
        click.echo("sound: every hash chain checks and every case replays")
    if problems:
        raise Failure(f"{len(problems)} problem(s) found", (), REFUSED)


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Mermaid (for Markdown) or Graphviz DOT.",
)
def diagram(output_format: str) -> None:
    """Print the protocol's stage diagram, derived from the transition table."""
    click.echo(diagrams.mermaid() if output_format == "mermaid" else diagrams.dot(), nl=False)


@click.group()
def calendar() -> None:
    """School-day arithmetic on a term-dates calendar."""


CALENDAR_OPTION = click.option(
    "--calendar",
    "calendar_name",
    required=True,
    metavar="FILE|sample",
    help="A term-dates TOML file, or `sample` for the shipped SAMPLE calendar.",
)


@calendar.command("add-school-days")
@click.argument("day", type=DATE, metavar="DATE")
@click.argument("count", type=click.IntRange(min=0), metavar="N")
@CALENDAR_OPTION
def add_school_days(day: Any, count: int, calendar_name: str) -> None:
    """Print the N-th school day after DATE (DATE itself never counts)."""
    click.echo(load_calendar(calendar_name).add_school_days(day, count).isoformat())


@calendar.command("school-days-between")
@click.argument("first", type=DATE)
@click.argument("last", type=DATE)
@CALENDAR_OPTION
def school_days_between(first: Any, last: Any, calendar_name: str) -> None:
    """Print how many school days fall after FIRST up to and including LAST."""
    click.echo(str(load_calendar(calendar_name).school_days_between(first, last)))


@calendar.command("suggest-reviews")
@click.argument("start", type=DATE)
@CALENDAR_OPTION
def suggest_reviews(start: Any, calendar_name: str) -> None:
    """Print the first, second and final review dates proposed for a placement START."""
    for day in load_calendar(calendar_name).suggest_review_dates(start):
        click.echo(day.isoformat())


__all__ = ["calendar", "db", "diagram", "due", "verify"]
