"""The options commands share: a date, an id or a name, a role, `--format` and `-o FILE`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.settings import Settings
from reintegration_fsm.cli.text import neutralise
from reintegration_fsm.fields import ID_LENGTH, iso_day
from reintegration_fsm.shown import NONCHARACTER
from reintegration_fsm.vocabulary import Role

F = TypeVar("F", bound=Callable[..., Any])


def today() -> dt.date:
    """Today's date, the default business date."""
    return dt.date.today()


class DateType(click.ParamType):  # type: ignore[type-arg, unused-ignore]  # generic from click 8.2
    """An ISO date (2026-03-02) as a `datetime.date`."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse an ISO date or fail with a usage error."""
        if isinstance(value, dt.date):
            return value
        try:
            return iso_day(str(value))
        except ValueError as error:  # the forms' words: "... is no such day", or how to write one
            self.fail(str(error), param, ctx)


DATE = DateType()


FORMAT_HELP = {
    "table": "a table for people",
    "text": "text for people",
    "json": "JSON for scripts",
    "csv": "CSV for spreadsheets (UTF-8 with a byte order mark, for Excel)",
    "xlsx": "an Excel workbook, to -o FILE or a pipe (needs the `reports` extra)",
    "html": "a page to read or print (report's charts need the `reports` extra)",
}


FORMATS = ("table", "json", "csv")


def _want_json_errors(ctx: click.Context, param: click.Parameter, value: str) -> str:
    found = ctx.find_object(Settings)
    if found is not None:
        found.json_errors = value == "json"
    return value


def format_option(choices: Sequence[str] = FORMATS, default: str = "table") -> Callable[[F], F]:
    """The `--format` option of a command that prints records; its help names each choice.

    Read before the other options (eager), so that with `--format json` even a bad option
    value is reported as JSON.
    """
    described = "; ".join(f"{choice}: {FORMAT_HELP[choice]}" for choice in choices)
    return option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        is_eager=True,
        callback=_want_json_errors,
        help=f"Output format ({described}).",
    )


def _not_the_database(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """Refuse `-o` naming the SQLite database in use, or one of its journals (made or not
    yet): the database would be replaced by the output, or the output removed with the
    journal."""
    if value == "-":  # stdout, as most tools read it (it wrote a file named "-")
        return None
    if value == "":  # `-o "$OUT"` with OUT unset: it wrote beside the current folder
        raise click.BadParameter("names no file: give -o FILE, or -o - to print", ctx, param)
    if value is not None:
        _named_for_its_format(ctx, param, value)
    found = ctx.find_object(Settings)
    if value is None or found is None:
        return value
    from reintegration_fsm.cli.sqlite_files import database_files

    try:
        files = database_files(found.url)
    except Failure:  # a bad --db: the command reports it when it opens the store
        return value
    # A journal (-wal, -shm) may not exist yet: SQLite makes it as the command opens the
    # database, and removes it, with what was written there, as the command closes it.
    named = os.path.realpath(value)
    if any(
        os.path.realpath(path) == named
        or (os.path.exists(value) and os.path.exists(path) and os.path.samefile(value, path))
        for path in files
    ):
        raise click.BadParameter(
            f"{value!r} is the database (--db) itself, or one of its journals: writing there "
            "would replace the cases it holds; name another file",
            ctx,
            param,
        )
    return value


_NAMED_FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".html": "html", ".htm": "html"}
"""The formats a file's name says it holds, by its extension (in any letters' case)."""


def _named_for_its_format(ctx: click.Context, param: click.Parameter, value: str) -> None:
    """Refuse `-o` naming a file of one of the command's formats while another is chosen:
    `cases -o caseload.xlsx` wrote a text table that Excel will not open, and `due -o due.csv`
    a table the next step of a script cannot read as CSV. A name of no format the command
    offers (`caseload.txt`, `timeline.csv`) is written as ever."""
    extension = os.path.splitext(value)[1]
    named = _NAMED_FORMATS.get(extension.lower())
    chosen = ctx.params.get("output_format")  # read before -o: --format is eager
    if named is None or chosen is None or named == chosen:
        return
    offered = [
        choice
        for given in ctx.command.params
        if given.name == "output_format" and isinstance(given.type, click.Choice)
        for choice in given.type.choices
    ]
    if named in offered:
        raise click.BadParameter(
            f"{value!r} is named for --format {named}, but the output is --format {chosen}: "
            f"give --format {named}, or a name not ending {extension}",
            ctx,
            param,
        )


def output_option(what: str = "the output") -> Callable[[F], F]:
    """The `-o FILE` option: write to a file readable by its owner only (never the database)."""
    return option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        default=None,
        callback=_not_the_database,
        metavar="FILE",
        help=(
            f"Write {what} to FILE (created readable by you only) instead of printing it "
            "(`-`: print it)."
        ),
    )


class Line(click.ParamType):  # type: ignore[type-arg, unused-ignore]  # generic from click 8.2
    """One line of text for an id or a name: within the stores' column, no control characters."""

    name = "TEXT"

    def __init__(self, longest: int, *, required: bool = True) -> None:
        self.longest = longest
        self.required = required

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The text, or a usage error saying what is wrong with it."""
        text = str(value)
        if self.required and not text.strip():
            self.fail("must not be empty", param, ctx)
        if len(text) > self.longest:
            self.fail(f"is {len(text)} characters long; at most {self.longest}", param, ctx)
        # A noncharacter is let through: an id recorded before forms refused them may hold one,
        # and the trigger refuses it in new text.
        plain = NONCHARACTER.sub("", text)
        if neutralise(plain, single_line=True) != plain:
            shown = neutralise(text, single_line=True)
            self.fail(f"holds a control character: '{shown[:80]}'", param, ctx)
        return text


CASE_ID = Line(ID_LENGTH)


ROLE_NAMES = [role.value for role in Role]
