"""The `reintegration-fsm` back-office command.

Exit codes: 0 done; 1 refused by a protocol rule, or `verify` found problems; 2 bad usage or bad
input (an invalid form or JSON file, an unknown case, a date the calendar does not know); 3 the
database is unavailable; 70 a bug (an error nobody foresaw, reported in one line).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import signal
import sys
from typing import Any

import click
from click.core import ParameterSource

from reintegration_fsm.cli import (
    access,
    admin,
    applying,
    caseload,
    cases,
    evidence,
    importing,
    protocols,
    reporting,
)
from reintegration_fsm.cli.calendars import CALENDAR_ENV
from reintegration_fsm.cli.database_urls import DATABASE_ENV, DEFAULT_DATABASE
from reintegration_fsm.cli.errors import REFUSED, Group, failure_from, quiet_drivers
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.output import note_streams
from reintegration_fsm.cli.protocol_files import PROTOCOLS_ENV, environment_paths
from reintegration_fsm.cli.scope import AUTHORITY_ENV, group_scope
from reintegration_fsm.cli.settings import Settings
from reintegration_fsm.docstrings import docstring
from reintegration_fsm.version import __version__

__all__ = ["cli", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@option(
    "--db",
    "database",
    envvar=DATABASE_ENV,
    default=DEFAULT_DATABASE,
    show_default=True,
    metavar="URL",
    help=f"Database URL (or a SQLite file path); env {DATABASE_ENV}. `apply ... open`, "
    "`import`, `demo` and `db upgrade` create the schema; every other command refuses a "
    "database without one.",
)
@option(
    "--authority",
    "authorities",
    multiple=True,
    metavar="NAME",
    help=f"Only read and write this local authority's cases; env {AUTHORITY_ENV} (which "
    "--authority may repeat, never replace).",
)
@option(
    "--calendar",
    "calendar_name",
    envvar=CALENDAR_ENV,
    default=None,
    metavar="FILE|sample",
    help="Term-dates TOML file for triggers that count school days, timelines and the "
    f"calendar commands (`sample` for the shipped sample data); env {CALENDAR_ENV}.",
)
@option(
    "--protocol",
    "protocol_files",
    multiple=True,
    metavar="FILE",
    help="Register an authority's protocol (a TOML file; repeat for more): cases opened under "
    f"it can be loaded, replayed and verified. Also env {PROTOCOLS_ENV} "
    f"(files separated by '{os.pathsep}').",
)
@click.version_option(__version__, prog_name="reintegration-fsm")
@click.pass_context
def cli(
    ctx: click.Context,
    database: str,
    authorities: tuple[str, ...],
    calendar_name: str | None,
    protocol_files: tuple[str, ...],
) -> None:
    """Back office for school reintegrations (Alternative Provision to a mainstream school).

    Exit codes: 0 done; 1 refused by a protocol rule, or problems found; 2 bad usage or input;
    3 the database is unavailable; 70 a bug (please report it).
    """
    ctx.call_on_close(note_streams())  # before anything is opened
    quiet_drivers()
    if (
        os.environ.get(DATABASE_ENV) == ""
        and ctx.get_parameter_source("database") is ParameterSource.DEFAULT
    ):
        # Click reads an empty variable as unset; a deployment's `RFSM_DATABASE_URL=$LA_DB`
        # with LA_DB unset must not write into ./reintegration.sqlite (see `database_url`).
        database = ""
    scope = group_scope(authorities, os.environ.get(AUTHORITY_ENV))
    found = Settings(
        database,
        scope.authority,
        calendar_name,
        protocol_files=(*environment_paths(), *protocol_files),
        refused_scope=scope.refused,
    )
    ctx.obj = found
    ctx.call_on_close(found.close)


for command in (
    cases.demo,
    cases.history,
    cases.timeline,
    access.export,
    cases.letter,
    cases.render,
    importing.import_,
    applying.apply,
    admin.db,
    admin.due,
    admin.verify,
    admin.diagram,
    admin.calendar,
    protocols.protocol_group,
    caseload.cases,
    reporting.weightings,
    reporting.report,
    evidence.checkpoint,
    evidence.redact,
    evidence.retention,
):
    cli.add_command(command)


def _help_from_source(command: click.Command) -> None:
    """Give `command`, and every command under it, the help its docstring holds where click
    found none: under `python -OO`, which strips docstrings, `--help` would describe no
    command, nor the exit codes (review ENV, ENV1)."""
    if command.help is None and command.callback is not None:
        command.help = docstring(command.callback) or None
    if isinstance(command, click.Group):
        for each in command.commands.values():
            _help_from_source(each)


_help_from_source(cli)


def main() -> None:
    """Entry point of the `reintegration-fsm` console script.

    Its output is UTF-8 whatever the locale's encoding (a Windows pipe's cp1252, which cannot
    write most names, nor the CSV's byte order mark): JSON and CSV are documented as UTF-8.
    """
    sys.stdout, sys.stderr = _whole_writes(sys.stdout), _whole_writes(sys.stderr)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminated)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(encoding="utf-8")
    try:
        cli(prog_name="reintegration-fsm")
    except SystemExit as done:
        lost = _unwritten(sys.stdout)
        if lost is not None and not done.code:  # the output was cut short after all
            if lost.errno == errno.EPIPE:
                raise SystemExit(READER_GONE) from None
            failure = failure_from(lost)
            with contextlib.suppress(OSError):  # stderr may be the same full disk
                failure.show()
            raise SystemExit(failure.exit_code) from None
        raise
    finally:
        _unwritten(sys.stderr)  # a message that could not be written fails no more at exit


TERMINATED = 128 + signal.SIGTERM
"""The exit code of a command ended by SIGTERM, as a shell reports one the signal killed."""


def _terminated(number: int, frame: object) -> None:
    """End the command on SIGTERM (`timeout`, `systemctl stop`, `kill`) as on any failure, so
    that its clean-up runs: a new SQLite store it made is removed, as is an `-o` file half
    written; by default Python would end at once, leaving both behind."""
    raise SystemExit(TERMINATED)


READER_GONE = REFUSED
"""The exit code when the reader of the output went away (`| head`), as click ends it."""


def _unwritten(stream: Any) -> OSError | None:
    """What kept the rest of the output from being written, or None once it all is.

    Output a write failed on (a full disk, a reader gone) stays in the stream's buffer, and the
    interpreter's own last flush then failed again ("Exception ignored", exit 120): the stream's
    file is pointed at the null device instead, the failure having been reported.
    """
    if stream is None:  # started with the file closed (`>&-`): nothing was written to it
        return None
    try:
        stream.flush()
    except OSError as error:
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, stream.fileno())
            finally:
                os.close(null)
        return error
    return None


def _whole_writes(stream: Any) -> Any:
    """`stream`, or, if it writes straight to its file (`python -u`, `PYTHONUNBUFFERED=1`), the
    same stream through a buffered writer that still passes each line on at once.

    CPython's text layer drops the rest of a short write to an unbuffered file without a word
    (CPython gh-85393): a reader closing a pipe part way through a write (`cases | head`) went
    unnoticed, and the command exited 0 with its output cut short. A buffered writer writes the
    rest, or raises.
    """
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(stream.buffer, io.FileIO):
        return stream
    stream.flush()
    raw = io.FileIO(stream.fileno(), "w", closefd=False)
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=True,
        write_through=True,
    )
