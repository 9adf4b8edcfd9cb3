"""How the CLI fails: exit codes, one `Failure` type, and the group that never shows a traceback.

Every exception that reaches the group becomes a `Failure`: the library's errors by what they
mean, the database's by whether it could be reached, and anything else as a bug, reported in
one line (its type only: a message might hold a child's personal data).
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import click

from reintegration_fsm.cli.misplaced import GIVEN, Given, misplaced, urls_hidden
from reintegration_fsm.cli.pasted import stray_note, without_stray
from reintegration_fsm.cli.text import echo_json, neutralise
from reintegration_fsm.errors import (
    ALIKE,
    ALIKE_ADVICE,
    AlteredRow,
    CalendarError,
    CaseNotFound,
    ChangedProtocol,
    ConcurrentUpdate,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    NotPermitted,
    ProtocolDefinitionError,
    ProtocolError,
    StoreError,
    UnknownProtocol,
)
from reintegration_fsm.fields import differing_only_in
from reintegration_fsm.rules import TIME_RUNS_FORWARD

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError

OK = 0
REFUSED = 1
"""A protocol rule refused the request, or `verify` found problems."""
BAD_INPUT = 2
"""Bad usage or bad input: click's usage errors, invalid forms or JSON, unknown cases."""
UNAVAILABLE = 3
"""The database is unavailable: unreachable, locked, a connection lost, a schema it lacks."""
BUG = 70
"""An error nobody foresaw: a bug (70 is EX_SOFTWARE, "internal software error", in sysexits.h)."""

TRACEBACK_ENV = "RFSM_TRACEBACK"
"""Set to 1 to let an unforeseen error raise with its traceback, for a bug report."""


@attrs.define
class _Secrets:
    """Text never to print: database URLs with their passwords, as given on the command line."""

    masks: dict[str, str] = attrs.field(factory=dict)

    def add(self, secret: str, shown: str) -> None:
        if secret and secret != shown:
            self.masks[secret] = shown

    def hide(self, text: str) -> str:
        for secret in sorted(self.masks, key=len, reverse=True):
            text = text.replace(secret, self.masks[secret])
        return text


SECRETS = _Secrets()


class Failure(click.ClickException):
    """A command failed: print the message and every reason, and exit with `exit_code`.

    As text on stderr (`error: ...`, then one reason per line), or, when the command was asked
    for `--format json`, as one JSON object on stdout: `{"error", "reasons", "exit_code"}`,
    with `rules` beside `reasons` when the protocol's rules refused (`GuardFailed.rules`).
    """

    def __init__(
        self,
        message: str,
        reasons: Sequence[str] = (),
        exit_code: int = BAD_INPUT,
        *,
        rules: Sequence[str | None] | None = None,
    ):
        super().__init__(message)
        self.reasons = tuple(reasons)
        self.rules = None if rules is None else tuple(rules)
        self.as_json = False
        # click (8.5+) types `exit_code` as a class variable; each Failure carries its own code.
        object.__setattr__(self, "exit_code", exit_code)

    def show(self, file: Any = None) -> None:
        """Print the failure: JSON on stdout in JSON mode, else text on stderr (so too in JSON
        mode when the command was started without stdout, which would refuse the JSON, and
        say so in place of this failure)."""
        message = SECRETS.hide(self.message)
        reasons = [SECRETS.hide(reason) for reason in self.reasons]
        if self.as_json and not (sys.stdout is None or isinstance(sys.stdout, ClosedOutput)):
            shown: dict[str, Any] = {"error": message, "reasons": reasons}
            if self.rules is not None:
                shown["rules"] = list(self.rules)
            try:
                echo_json(shown | {"exit_code": self.exit_code})
            except UnicodeEncodeError:
                # An output whose encoding cannot hold a character the failure quotes (a child's
                # name, an id, on cp1252): the same JSON in ASCII, its `\u` escapes read back as
                # the characters, not this failure lost to "cannot write the output" (review RZ,
                # RZ2). Nothing was written: the text is encoded whole before it is written.
                click.echo(json.dumps(shown | {"exit_code": self.exit_code}, indent=2))
            return
        click.echo(f"error: {neutralise(message, single_line=True)}", err=True)
        for reason in reasons:
            click.echo(f"  - {neutralise(reason, single_line=True)}", err=True)


class ClosedOutput(io.TextIOBase):
    """Standard output when the command was started without it (`>&-`): writing to it is
    refused, where Python would drop the output without a word and exit 0."""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        raise _closed_output()

    @property
    def buffer(self) -> Any:
        """The binary stream a workbook goes down: refused too."""
        raise _closed_output()


def _closed_output() -> Failure:
    return Failure(
        "standard output was closed when the command started (`>&-`): what it prints has "
        "nowhere to go",
        (SAVED, "Give -o FILE, or send what it prints to the null device: `> /dev/null`."),
    )


def bug(error: BaseException) -> Failure:
    """The one-line report of an error nobody foresaw: its type, never its message."""
    kind = type(error).__name__
    return Failure(
        f"unexpected {kind}: this is a bug, please report it "
        f"(run again with {TRACEBACK_ENV}=1 for the details)",
        (),
        BUG,
    )


_OUTPUT_FULL = {
    code for code in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", None)) if code
}
"""A write refused for want of room: output redirected (`> file`) to a full disk or past a size
limit, as `-o FILE` reports it (exit 2); the database's own are its driver's errors."""


SAVED = (
    "Anything the command changed in the database is saved (apply, import, demo, redact and "
    "retention --apply change it; the other commands only read it): only its output was lost. "
    "Check (`history CASE_ID`, `cases`) before running it again."
)
"""What follows a failure to write a command's output: a step (`apply`), an `import`, a
redaction or a retention run committed before its output was written, and a retry of it may
be refused ("already taken") or be a no-op, which a script must not read as a failed save."""


CHECK_DATABASE = "Check --db (or RFSM_DATABASE_URL) and that the database is running, then retry."


def _check_login() -> str:
    """What to check when the server refused the URL's login (`failures.REFUSED_URL_ADVICE`)."""
    from reintegration_fsm.stores.failures import REFUSED_URL_ADVICE

    return f"The server refused --db (or RFSM_DATABASE_URL): check its {REFUSED_URL_ADVICE}."


CHECK_URL = "Check the options after `?` in --db (or RFSM_DATABASE_URL)."
MISDATED = (
    "If the case's last step was recorded with a later date than the day it was taken, see "
    '"A step recorded with the wrong date" in the command line\'s docs (docs/cli.md).'
)
"""What follows R16's refusal of a step dated before the case's last: the way on."""


def _database_message(error: SQLAlchemyError) -> str:
    """The driver's first line, never SQLAlchemy's text (which quotes the SQL parameters)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError) and error.orig is not None:
        lines = str(error.orig).strip().splitlines()
        first = lines[0] if lines else ""
        return f"{type(error.orig).__name__}: {first}" if first else type(error.orig).__name__
    return type(error).__name__


def _finding(case_id: str) -> tuple[str, ...]:
    """What to do about an id that names no case: the id meant, when it was pasted with a
    character nobody sees, and how to find the case."""
    search = "Find the case with `reintegration-fsm cases --search TEXT`."
    note = stray_note(case_id)
    if note is None:
        return (search,)
    return (f"{note}: without it, it reads {without_stray(case_id)!r}.", search)


def _with_case_meant(failure: Failure, case_id: str, ctx: click.Context) -> Failure:
    """`failure` (of an id that names no case) with the case it differs from only in letters'
    case, as given or without a character pasted with it, when the command's store holds one
    (`settings.Settings.case_meant`): named before the failure's last reason, how to find a case.
    """
    case_meant = getattr(ctx.obj, "case_meant", None)
    if case_meant is None:
        return failure
    # Without the pasted character first: the reason before says what it was.
    meant = None
    for compared in dict.fromkeys((without_stray(case_id), case_id)):
        meant = case_meant(compared)
        if meant is not None:
            break
    if meant is None:
        return failure
    differs = differing_only_in(compared, meant)
    hint = f"{compared!r} differs only in {differs}: did you mean {meant!r}?"
    reasons = (*failure.reasons[:-1], hint, *failure.reasons[-1:])
    return Failure(failure.message, reasons, failure.exit_code)


def _the_case(error: UnknownProtocol) -> str:
    """The case an unknown protocol's error is of: by its id where the error names one (a
    retention run reads many)."""
    return "the case" if error.case_id is None else f"case {error.case_id}"


def _needs_a_person(driver: BaseException) -> bool:
    """Whether a raw database error is one the store reports as not to be retried: a database
    that refuses writes (a SQLite file, or its folder, this user may not write), or a SQLite
    file that cannot be opened (one this user may not read), a disk that is full, or one that
    refuses SQLite's writes (a quota, a size limit, a failing disk)."""
    from reintegration_fsm.stores.failures import (
        disk_full,
        read_only,
        sqlite_cannot_open,
        sqlite_io_error,
    )

    return (
        read_only(driver)
        or sqlite_cannot_open(driver)
        or disk_full(driver)
        or sqlite_io_error(driver)
    )


def _next_step(error: StoreError) -> tuple[str, ...]:
    """The line under a store's error: to try again, or to ask the database's administrator;
    none for a SQLite file, which is the user's own (its message says what to do: remove or
    move a file, name another; review LF, LF2)."""
    if error.retryable:
        return ("Try again in a moment.",)
    from reintegration_fsm.stores.failures import driver_error, on_sqlite
    from reintegration_fsm.stores.sqlite import FileRefused

    cause = error.__cause__
    if isinstance(error, FileRefused) or (cause is not None and on_sqlite(driver_error(cause))):
        return ()
    return (ASK_ADMINISTRATOR,)


ASK_ADMINISTRATOR = "Ask your database administrator."
"""The line under a database server's error that a retry will not mend."""


def _on_a_file(ctx: click.Context) -> bool:
    """Whether the running command's database is a SQLite file: the user's own, with no
    administrator to ask (a store's refusal with no driver error behind it, such as a newer
    version's schema revision, does not say which engine it met; review RZ, RZ5)."""
    try:
        from sqlalchemy.engine import make_url

        url = getattr(ctx.obj, "url", None)
        return isinstance(url, str) and make_url(url).get_backend_name() == "sqlite"
    except Exception:  # a URL the command itself refuses: said by its own failure
        return False


def failure_from(error: BaseException) -> Failure:
    """The `Failure` (message, reasons and exit code) an exception stands for."""
    if isinstance(error, Failure):
        return error
    if isinstance(error, click.ClickException):  # a usage error (2), or another of click's
        return Failure(error.format_message(), (), error.exit_code)
    if isinstance(error, GuardFailed):
        reasons, rules = error.reasons, error.rules
        if any(reason.endswith(TIME_RUNS_FORWARD) for reason in reasons):
            reasons, rules = (*reasons, MISDATED), (*rules, "R16")  # R16's advice
        return Failure(
            f"{error.trigger} refused by the protocol's rules", reasons, REFUSED, rules=rules
        )
    if isinstance(error, NotPermitted):
        return Failure(f"{error.trigger} not permitted", (error.why,), REFUSED)
    if isinstance(error, IllegalTransition):
        return Failure(str(error), (), REFUSED)
    if isinstance(error, ConcurrentUpdate):
        return Failure(str(error), ("Load the case again and retry.",), REFUSED)
    if isinstance(error, AlteredRow):  # not the URL: a row
        return Failure(str(error), (), UNAVAILABLE)
    if isinstance(error, StoreError):
        return _store_failure(error)
    if isinstance(error, ChangedProtocol) and error.alike is not None:
        return Failure(
            f"{_the_case(error)} cannot be opened under protocol {error.protocol_id} "
            f"{error.version}: the database keeps cases under, or was given, protocol "
            f"{' '.join(error.alike)}, and the two {ALIKE}",
            (f"{ALIKE_ADVICE.capitalize()} (a new `version` in the file).",),
            BAD_INPUT,
        )
    if isinstance(error, ChangedProtocol) and error.taken:
        return Failure(
            f"{_the_case(error)} cannot be opened under protocol {error.protocol_id} "
            f"{error.version} as registered: another authority's protocol in the database is "
            "named so with other rules, and in one database a protocol's id and version name "
            "one set of rules",
            (
                "Give your protocol file another id or version (a new `version` in the file, "
                "say) and open the case under it.",
            ),
            BAD_INPUT,
        )
    if isinstance(error, ChangedProtocol) and error.opening:
        return Failure(
            f"{_the_case(error)} cannot be opened under protocol {error.protocol_id} "
            f"{error.version} as registered: its authority's cases in the database under that "
            "name were opened under other rules (the file was changed without a new version)",
            (
                "Register the file as it was when those cases opened; publish a change to a "
                "protocol as a new version (a new `version` in the file).",
            ),
            BAD_INPUT,
        )
    if isinstance(error, ChangedProtocol):
        return Failure(
            f"{_the_case(error)} was opened under protocol {error.protocol_id} {error.version} "
            "as it then was, and the file registered under that name sets other rules",
            (
                "Register the file as it was when the case opened; publish a change to a "
                "protocol as a new version (a new `version` in the file).",
            ),
            BAD_INPUT,
        )
    if isinstance(error, UnknownProtocol):
        return Failure(
            f"{_the_case(error)} runs under protocol {error.protocol_id} {error.version}, which "
            "is not registered",
            ("Register its file: --protocol FILE before the command, or RFSM_PROTOCOLS.",),
            BAD_INPUT,
        )
    if isinstance(error, FormInvalid) and len(error.problems) > 1:
        return Failure(
            f"{error.form}: {len(error.problems)} problems",
            [f"{error.form}.{field}: {problem}" for field, problem in error.problems],
            BAD_INPUT,
        )
    if isinstance(error, CaseNotFound):
        return Failure(str(error), _finding(error.case_id), BAD_INPUT)
    if isinstance(error, (FormInvalid, CalendarError, ProtocolDefinitionError)):
        return Failure(str(error), (), BAD_INPUT)
    if isinstance(error, ProtocolError):
        return Failure(str(error), (), REFUSED)
    if "sqlalchemy.exc" in sys.modules:  # else no SQLAlchemy error can have been raised
        found = _database_failure(error)
        if found is not None:
            return found
    if isinstance(error, OSError) and error.errno in _OUTPUT_FULL:
        return Failure(f"cannot write the output: {error.strerror or error}", (SAVED,), BAD_INPUT)
    if isinstance(error, UnicodeEncodeError) and not error.encoding.lower().startswith("utf"):
        return _unwritable(error)
    return bug(error)


def _store_failure(error: StoreError) -> Failure:
    """The `Failure` a store's error stands for: bad input for a URL the store cannot use,
    else the database unavailable."""
    from sqlalchemy.exc import ArgumentError

    from reintegration_fsm.stores.engines import REFUSED_OPTIONS
    from reintegration_fsm.stores.failures import refused_options
    from reintegration_fsm.stores.mariadb import NARROW_CHARSET

    if isinstance(error.__cause__, ImportError):
        # The URL's driver is not installed (`db upgrade`; other commands say so as they open
        # the store, cli.settings): a pip extra to install, not a database to wait for.
        return Failure(f"--db: {error}", (), BAD_INPUT)
    # The causes of an error for a URL the store cannot use: no such dialect or driver, a port
    # or an option of the wrong kind, an option the driver cannot use.
    if (
        isinstance(error.__cause__, (ArgumentError, *REFUSED_OPTIONS))
        or refused_options(error.__cause__)
        or str(error) == NARROW_CHARSET
    ):
        return Failure(f"--db: {error}", (CHECK_URL,), BAD_INPUT)
    return Failure(f"the database is unavailable: {error}", _next_step(error), UNAVAILABLE)


def _database_failure(error: BaseException) -> Failure | None:
    """The `Failure` a SQLAlchemy error met outside a store's calls stands for, or None for
    another error."""
    from sqlalchemy.exc import (
        ArgumentError,
        DataError,
        DBAPIError,
        IntegrityError,
        SQLAlchemyError,
    )

    from reintegration_fsm.stores.failures import (
        DAMAGED_ADVICE,
        damaged,
        driver_error,
        refused_options,
        refused_url,
        translated,
    )

    if isinstance(error, ArgumentError):
        return Failure(f"--db: {error}", (), BAD_INPUT)
    if isinstance(error, DataError):
        return Failure(
            "the database refused a value (too long, or out of range); nothing was saved",
            (_database_message(error),),
            BAD_INPUT,
        )
    if isinstance(error, IntegrityError):
        return Failure(
            "the database refused the write (another writer, or a taken id); nothing was saved",
            (_database_message(error), "Load the case again and retry."),
            REFUSED,
        )
    if isinstance(error, DBAPIError) and refused_options(error):
        return Failure(
            "--db: the database refused the URL's connection options",
            (_database_message(error), CHECK_URL),
            BAD_INPUT,
        )
    if isinstance(error, SQLAlchemyError) and _needs_a_person(driver_error(error)):
        # Met outside the store's own calls (the CLI's look at the schema, SQLite's WAL set as
        # it connects): told as the store tells it, with no advice to retry.
        told = translated(error, "use the database")
        told.__cause__ = error  # as the store raises it: what failed, for `_next_step`
        return failure_from(told)
    if isinstance(error, SQLAlchemyError) and damaged(driver_error(error)):
        return Failure(
            "the database file is damaged",
            (_database_message(error), f"{DAMAGED_ADVICE[0].upper()}{DAMAGED_ADVICE[1:]}."),
            UNAVAILABLE,
        )
    if isinstance(error, SQLAlchemyError):
        # No such database or user, or a wrong password: the same URL is refused every time.
        advice = _check_login() if refused_url(driver_error(error)) else CHECK_DATABASE
        return Failure(
            "the database is unavailable", (_database_message(error), advice), UNAVAILABLE
        )
    return None


def _unwritable(error: UnicodeEncodeError) -> Failure:
    """The failure of an output whose encoding (a Windows console's or pipe's cp1252, a `C`
    locale's ASCII) cannot hold a character to print: `cli()` called in a program's own
    process keeps its streams' encoding, where `main()` (the `reintegration-fsm` command) sets
    UTF-8 (review WN, WN8). The character is named by its code point alone."""
    character = error.object[error.start : error.end][:1]
    encoding = error.encoding
    if encoding == "charmap":  # (the codec of every Windows code page: the stream names it)
        encoding = getattr(sys.stdout, "encoding", None) or encoding
    return Failure(
        f"cannot write the output: its encoding, {encoding}, has no "
        f"U+{ord(character):04X} ({character!a}) to print",
        (
            "Set PYTHONIOENCODING=utf-8 for the program that runs the command, or give -o FILE "
            "(files are written in UTF-8).",
            SAVED,
        ),
        BAD_INPUT,
    )


def _json_mode(ctx: click.Context) -> bool:
    """Whether the running command was asked for `--format json` (see `settings.Settings`)."""
    return bool(getattr(ctx.obj, "json_errors", False))


def _discard_new_store(ctx: click.Context) -> None:
    """Ask the command's settings (`settings.Settings`) to remove a store the command made."""
    discard = getattr(ctx.obj, "discard_new_store", None)
    if discard is not None:
        discard()


def _raise_unforeseen() -> bool:
    return bool(os.environ.get(TRACEBACK_ENV))


DRIVER_LOGGERS = ("psycopg", "pymysql", "sqlalchemy", "alembic")
"""The loggers of the database drivers and the libraries on them."""


def quiet_drivers() -> None:
    """Keep the drivers' logged warnings off the user's terminal (a psycopg pipeline ended on a
    lost connection, above the command's own message: review MG, MG2), as their tracebacks
    are, since their text may quote SQL parameters: unless `TRACEBACK_ENV` is set, for a bug
    report, or the program running the command has configured logging."""
    if _raise_unforeseen() or logging.getLogger().handlers:
        return
    for name in DRIVER_LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


class Group(click.Group):
    """A click group that turns every exception into a message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map library, database and unforeseen errors to `Failure`. A
        command that fails leaves no empty store it made behind (`Settings.discard_new_store`)."""
        try:
            return self._mapped(ctx)
        except click.exceptions.Exit as done:
            if done.exit_code != OK:
                _discard_new_store(ctx)
            raise
        except BaseException:
            _discard_new_store(ctx)
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Click's parsing, keeping the command line as given for `misplaced`."""
        given = list(args)
        rest = super().parse_args(ctx, args)
        ctx.meta[GIVEN] = Given.split(given, rest)
        return rest

    def _mapped(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as error:
            moved = misplaced(error, ctx) if isinstance(error, click.NoSuchOption) else None
            hidden = urls_hidden(error.message, ctx.meta.get(GIVEN))
            if moved is None and isinstance(error, click.UsageError) and hidden != error.message:
                moved = click.UsageError(hidden, error.ctx)  # a URL's passwords as *** (RQ4)
            if not _json_mode(ctx):
                if moved is None:
                    raise
                raise moved from None
            failure = failure_from(moved or error)
            failure.as_json = True
            raise failure from error
        except BrokenPipeError:
            raise  # the reader went away (`| head`): click ends the command quietly
        except Exception as error:
            failure = failure_from(error)
            if failure.exit_code == BUG and _raise_unforeseen():
                raise
            if isinstance(error, CaseNotFound):
                failure = _with_case_meant(failure, error.case_id, ctx)
            if ASK_ADMINISTRATOR in failure.reasons and _on_a_file(ctx):
                failure.reasons = tuple(r for r in failure.reasons if r != ASK_ADMINISTRATOR)
            failure.as_json = _json_mode(ctx)
            raise failure from error

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Click's `main`, with the last word on errors raised outside `invoke` (closing)."""
        try:
            return super().main(*args, **kwargs)
        except Exception as error:
            if not kwargs.get("standalone_mode", True):
                raise
            failure = failure_from(error)
            if failure.exit_code == BUG and _raise_unforeseen():
                raise
            failure.show()
            sys.exit(failure.exit_code)
