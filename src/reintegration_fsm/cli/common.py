"""What every command shares: the database, exit codes, output formats and progress bars."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import click
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import (
    CalendarError,
    CaseNotFound,
    ConcurrentUpdate,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    NotPermitted,
    ProtocolError,
)
from reintegration_fsm.stores import SqlAlchemyStore, upgrade

OK = 0
REFUSED = 1
"""A protocol rule refused the request, or `verify` found problems."""
BAD_INPUT = 2
"""Bad usage or bad input: click's usage errors, invalid forms or JSON, unknown cases."""

DEFAULT_DATABASE = "sqlite:///reintegration.sqlite"
DATABASE_ENV = "RFSM_DATABASE_URL"
AUTHORITY_ENV = "RFSM_AUTHORITY"
CALENDAR_ENV = "RFSM_CALENDAR"

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class Failure(click.ClickException):
    """A command failed: print every reason to stderr and exit with `exit_code`."""

    def __init__(self, message: str, reasons: Sequence[str] = (), exit_code: int = BAD_INPUT):
        super().__init__(message)
        self.reasons = tuple(reasons)
        # click (8.5+) types `exit_code` as a class variable; each Failure carries its own code.
        object.__setattr__(self, "exit_code", exit_code)

    def show(self, file: Any = None) -> None:
        """Print the message and each reason on its own line, to stderr."""
        click.echo(f"error: {self.message}", err=True)
        for reason in self.reasons:
            click.echo(f"  - {reason}", err=True)


def failure_from(error: Exception) -> Failure:
    """The `Failure` (message, reasons and exit code) a library error stands for."""
    if isinstance(error, GuardFailed):
        return Failure(f"{error.trigger} refused by the protocol's rules", error.reasons, REFUSED)
    if isinstance(error, NotPermitted):
        return Failure(f"{error.trigger} not permitted", (error.why,), REFUSED)
    if isinstance(error, IllegalTransition):
        return Failure(str(error), (), REFUSED)
    if isinstance(error, ConcurrentUpdate):
        return Failure(str(error), ("Load the case again and retry.",), REFUSED)
    if isinstance(error, (FormInvalid, CaseNotFound, CalendarError)):
        return Failure(str(error), (), BAD_INPUT)
    if isinstance(error, ProtocolError):
        return Failure(str(error), (), REFUSED)
    if isinstance(error, (ArgumentError, SQLAlchemyError)):
        return Failure(f"database: {error}", (), BAD_INPUT)
    return Failure(str(error), (), BAD_INPUT)


class Group(click.Group):
    """A click group that turns library errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map `ProtocolError` and database errors to `Failure`."""
        try:
            return super().invoke(ctx)
        except (ProtocolError, SQLAlchemyError, ArgumentError) as error:
            raise failure_from(error) from error


@attrs.define
class Settings:
    """The group's options, handed to every command through click's context."""

    database: str
    authority: str | None
    calendar_name: str | None
    _store: SqlAlchemyStore | None = None
    _calendar: SchoolCalendar | None = None

    @property
    def url(self) -> str:
        """The database URL (a bare path means a SQLite file)."""
        return database_url(self.database)

    def calendar(self) -> SchoolCalendar | None:
        """The calendar named by `--calendar`, if any (read once per command)."""
        if self.calendar_name is None:
            return None
        if self._calendar is None:
            self._calendar = load_calendar(self.calendar_name)
        return self._calendar

    def store(self) -> SqlAlchemyStore:
        """The store, its schema created on first use (through the migrations)."""
        if self._store is None:
            engine = create_engine(self.url)
            if not inspect(engine).has_table("rfsm_cases"):
                upgrade(engine)
            self._store = SqlAlchemyStore(
                engine, authority=self.authority, calendar=self.calendar()
            )
        return self._store

    def close(self) -> None:
        """Release the database connections."""
        if self._store is not None:
            self._store.engine.dispose()
            self._store = None


def database_url(database: str) -> str:
    """A database URL from `--db`: URLs pass through, a bare path becomes a SQLite URL."""
    if "://" in database:
        try:
            make_url(database)
        except ArgumentError as error:
            raise Failure(f"--db: {error}") from None
        return database
    return f"sqlite:///{database}"


def shown_url(url: str) -> str:
    """A database URL safe to print (password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


def load_calendar(name: str) -> SchoolCalendar:
    """`sample` for the shipped sample calendar, else a TOML term-dates file."""
    if name == "sample":
        return SchoolCalendar.sample()
    try:
        return SchoolCalendar.from_file(name)
    except OSError as error:
        raise Failure(f"calendar file {name!r}: {error.strerror or error}") from None


def settings(ctx: click.Context) -> Settings:
    """The group's settings from a command's context."""
    found = ctx.find_object(Settings)
    if found is None:  # pragma: no cover - every command runs under the group
        raise click.UsageError("no settings: run commands through `reintegration-fsm`")
    return found


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
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-03-02", param, ctx)


DATE = DateType()

FORMATS = ("table", "json", "csv")


def format_option(choices: Sequence[str] = FORMATS, default: str = "table") -> Callable[[F], F]:
    """The `--format` option of a command that prints records."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Human table, or JSON / CSV for scripts.",
    )


Cell = str | int | None


def render_table(rows: Sequence[Mapping[str, Cell]], columns: Sequence[str]) -> str:
    """Rows as an aligned plain-text table with a header line."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)
    ]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    return "\n".join(lines)


def _cell(value: Cell) -> str:
    return "" if value is None else str(value)


def render_csv(rows: Sequence[Mapping[str, Cell]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: _cell(row.get(column)) for column in columns})
    return buffer.getvalue().rstrip("\n")


def to_json(value: Any) -> str:
    """JSON for scripts: indented, keys in the order given, non-ASCII kept."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def emit(
    rows: Sequence[Mapping[str, Cell]],
    columns: Sequence[str],
    output_format: str,
    *,
    json_value: Any = None,
    empty: str = "",
) -> None:
    """Print records as a table, CSV or JSON (`json_value` when given, else the rows)."""
    if output_format == "json":
        click.echo(to_json(rows if json_value is None else json_value))
    elif output_format == "csv":
        click.echo(render_csv(rows, columns))
    elif not rows and empty:
        click.echo(empty)
    else:
        click.echo(render_table(rows, columns))


def read_json(path: str) -> Any:
    """Parse a JSON file (`-` for stdin), failing with exit code 2 and the position of the error."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise Failure(f"{path} is not UTF-8 text: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Failure(
            f"{path} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None


@contextlib.contextmanager
def progress(items: Sequence[T], label: str) -> Iterator[Iterable[T]]:
    """A progress bar on a terminal's stderr; the plain items in a pipe."""
    if len(items) > 1 and sys.stderr.isatty() and not os.environ.get("RFSM_NO_PROGRESS"):
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield items
