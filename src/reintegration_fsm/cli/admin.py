"""Commands for the database and the protocol: migrations, the due list, verification,
the stage diagram and school-day arithmetic."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.cli import caseload, evidence, options, protocols, views
from reintegration_fsm.cli.calendars import CALENDAR_ENV, load_calendar
from reintegration_fsm.cli.database_urls import database_url, shown_url
from reintegration_fsm.cli.errors import BAD_INPUT, REFUSED, UNAVAILABLE, Failure, failure_from
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import DATE, format_option, output_option
from reintegration_fsm.cli.printing import echo, emit
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise, to_json
from reintegration_fsm.errors import StoreError
from reintegration_fsm.protocol import diagrams
from reintegration_fsm.stores import Checkpoint, parallel
from reintegration_fsm.vocabulary import Party

if TYPE_CHECKING:
    from reintegration_fsm.stores import CopyReport


@click.group()
def db() -> None:
    """Manage the database."""


@db.command("upgrade")
@option("--revision", default="head", show_default=True, help="Alembic revision to reach.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply the shipped Alembic migrations up to REVISION (default: the newest)."""
    from reintegration_fsm.cli.sqlite_files import refuse_unusable_file
    from reintegration_fsm.stores import migrate, upgrade

    known = migrate.revisions()
    if revision not in ("head", "heads", *known):
        raise Failure(
            f"--revision: no migration {revision!r}",
            (f"The shipped migrations are: head, {', '.join(reversed(known))}.",),
        )
    url = settings(ctx).url
    refuse_unusable_file(url)
    try:
        upgrade(url, revision)
    except migrate.NoGoingBack as error:
        raise Failure(f"--revision: {error}") from error
    echo(f"{shown_url(url)}: migrated to {revision}")


PUBLIC_KEY = option(
    "--public-key",
    "key_file",
    metavar="KEYFILE",
    default=None,
    help="Check the checkpoint's signature with this Ed25519 public key (PEM).",
)
"""`verify`'s and `db copy`'s --public-key, beside their --checkpoint FILE."""

WORKERS = option(
    "--workers",
    type=click.IntRange(min=1, max=parallel.MAX_WORKERS),
    default=1,
    show_default=True,
    metavar="N",
    help=(
        f"Check ranges of cases in N processes side by side (1 to {parallel.MAX_WORKERS}), "
        "each on its own connection."
    ),
)
"""`verify`'s and `db copy`'s --workers (the copy's check is a `verify`)."""


def _kept(
    checkpoint_file: str | None, key_file: str | None
) -> tuple[Checkpoint | None, bytes | None]:
    """The checkpoint --checkpoint names and the public key --public-key names, each read and
    checked before anything else is done; --public-key alone refused."""
    if key_file is not None and checkpoint_file is None:
        raise Failure("--public-key checks a checkpoint's signature: give --checkpoint FILE too")
    kept = None if checkpoint_file is None else evidence.read_checkpoint(checkpoint_file)
    return kept, None if key_file is None else evidence.read_key(key_file, "public key")


def _unchecked_signature(kept: Checkpoint | None, key: bytes | None) -> None:
    """Note, on stderr, a signed checkpoint whose signature was not checked (no --public-key)."""
    if kept is not None and kept.signature is not None and key is None:
        click.echo("note: the checkpoint is signed; give --public-key to check it", err=True)


@db.command("copy")
@click.argument("target", metavar="TARGET_URL")
@option(
    "--checkpoint",
    "checkpoint_file",
    metavar="FILE",
    default=None,
    help="Also check that the copy extends this checkpoint kept from before (`checkpoint -o`).",
)
@PUBLIC_KEY
@WORKERS
@format_option(("text", "json"), default="text")
@click.pass_context
def db_copy(
    ctx: click.Context,
    target: str,
    checkpoint_file: str | None,
    key_file: str | None,
    workers: int,
    output_format: str,
) -> None:
    """Copy the whole store, row for row, into the empty database TARGET_URL (any engine).

    Every case, log entry, redaction record, open item and ledger row is copied as stored, so
    the copy verifies, and so does every checkpoint of the source. The copy is then checked as
    `verify --checkpoint` would check it, against a checkpoint of the source taken first, and
    against --checkpoint FILE, one kept from before (exit 1 on any problem), in --workers
    processes. Refused, writing nothing: a target holding any case, the source at an older
    revision (run `db upgrade` on it first), one database given twice, or --authority. A failure
    part way leaves no row in the target (the schema the copy made there stays).
    """
    from reintegration_fsm.cli import new_files
    from reintegration_fsm.cli.sqlite_files import refuse_unusable_file
    from reintegration_fsm.stores import CopyRefused, copy_store, copying

    kept, key = _kept(checkpoint_file, key_file)
    found = settings(ctx)
    if found.authority is not None or found.refused_scope is not None:
        raise Failure(
            "db copy copies a whole store, every authority's cases: it takes no --authority "
            "(nor RFSM_AUTHORITY)",
            (
                "Unset it to copy the store. To move one authority's cases out of a shared "
                "store, `export` and `import` them (their checkpoints do not carry over).",
            ),
        )
    # The source as every command opens a store it reads: a missing or empty file, or no store,
    # refused (exit 2) without making one; one at an older revision refused naming `db upgrade`.
    source = found.store()
    try:
        target_url = database_url(target)
        refuse_unusable_file(target_url)
    except Failure as error:
        raise _about_target(error) from None
    made = new_files.to_be_made(target_url)
    try:
        with _stopped_said(target_url) as written:
            report = copy_store(
                source.engine,
                target_url,
                calendar=found.calendar(),
                protocols=found.protocols(),
                checkpoint=kept,
                public_key=key,
                written=written,
                workers=workers,
            )
    except CopyRefused as error:
        new_files.discard(target_url, made)
        behind = error.reason in (copying.SOURCE_BEHIND, copying.TARGET_BEHIND)
        raise Failure(str(error), (), UNAVAILABLE if behind else BAD_INPUT) from None
    except StoreError as error:
        new_files.discard(target_url, made)
        # The source's URL was used as it opened the store: a refusal of a URL is the target's.
        raise _about_target(failure_from(error)) from error
    except BaseException:
        new_files.discard(target_url, made)
        raise
    _unchecked_signature(kept, key)
    _copied(ctx, report, kept, (shown_url(found.url), shown_url(target_url)), output_format)


@contextlib.contextmanager
def _stopped_said(target: str) -> Iterator[Callable[[int, int, int], None]]:
    """Tell the officer, on stderr, that a copy stopped (Ctrl-C, SIGTERM) after its rows were
    committed is whole but unchecked: "Aborted!" alone read as if nothing had been written,
    and the next copy is refused, the target holding the cases (review CY, CY3); so too when
    the check itself fails (review RQ, RQ2)."""
    committed: list[int] = []

    def written(cases: int, entries: int, redactions: int) -> None:
        committed[:] = [cases, entries, redactions]

    try:
        yield written
    except (KeyboardInterrupt, SystemExit):
        _unchecked(
            committed, target, "the copy was stopped as it checked itself: its", "not checked"
        )
        raise
    except Exception:  # (a lost connection, say: "Try again" alone was refused as a merge)
        _unchecked(committed, target, "the copy's", "its check failed (the error follows)")
        raise


def _unchecked(committed: list[int], target: str, whose: str, check: str) -> None:
    """Say, on stderr, that the rows `committed` counts (none: nothing is said) are written
    whole to `target`, and how their `check` ended."""
    if committed:
        click.echo(
            f"note: {whose} {committed[0]:,} cases, {committed[1]:,} log entries and "
            f"{committed[2]:,} redaction records are written whole to {shown_url(target)}, "
            f"but {check}; check them with `reintegration-fsm --db TARGET_URL verify` (with "
            "--checkpoint FILE, a checkpoint kept of the source), as a new copy there is refused",
            err=True,
        )


def _about_target(failure: Failure) -> Failure:
    """`failure` of a URL, said of TARGET_URL: the checks `db copy` shares with every
    command's `--db` name `--db`, which here is the source the user need not change."""
    if not failure.message.startswith("--db"):
        return failure

    def named(text: str) -> str:
        return text.replace("--db (or RFSM_DATABASE_URL)", "TARGET_URL").replace(
            "--db", "TARGET_URL"
        )

    return Failure(named(failure.message), [named(r) for r in failure.reasons], failure.exit_code)


def _copied(
    ctx: click.Context,
    report: CopyReport,
    kept: Checkpoint | None,
    urls: tuple[str, str],
    output_format: str,
) -> None:
    """Say what `db copy` copied, whether the copy verifies, and whether the source changed
    while it was copied (exit 1 when the copy does not verify, or lacks what the source holds
    now)."""
    source, target = urls
    problems = views.problem_rows(report.problems)
    taken = report.checkpoint.taken_at.isoformat() + "Z"
    kept_taken = None if kept is None else kept.taken_at.isoformat() + "Z"
    if output_format == "json":
        click.echo(
            to_json(
                {
                    "source": source,
                    "target": target,
                    "cases": report.cases,
                    "entries": report.entries,
                    "redactions": report.redactions,
                    "checkpoint_taken_at": taken,
                    "kept_checkpoint_taken_at": kept_taken,
                    "problems": problems,
                    "changed_on_source": (None if report.changed is None else list(report.changed)),
                }
            )
        )
    else:
        echo(
            f"copied {report.cases:,} cases, {report.entries:,} log entries and "
            f"{report.redactions:,} redaction records from {source} to {target}"
        )
        if problems:
            emit(problems, views.PROBLEM_COLUMNS, "table")
        else:
            also = "" if kept_taken is None else f", and of the checkpoint taken {kept_taken}"
            echo(
                "sound: the copy's hash chains check, every case replays, and every case of "
                f"the source's checkpoint taken {taken}{also} extends it"
            )
    if report.changed is None:
        click.echo(UNCOMPARED, err=True)
    elif report.changed:
        # (Case ids as stored: a row written behind the store may hold a terminal's escape.)
        click.echo(neutralise(_changed_error(report.changed)), err=True)
    if problems:
        click.echo(f"error: {len(problems)} problem(s) found in the copy", err=True)
    if problems or report.changed:
        # A script moving the service to the copy on exit 0 would lose what the source holds
        # now and the copy does not (a step, or an erasure's removal undone).
        ctx.exit(REFUSED)


UNCOMPARED = (
    "warning: the source could not be read again once the copy was checked, so whether a "
    "process wrote to it while it was copied is not known: stop every process that writes to "
    "the source, take a checkpoint of it (`checkpoint -o FILE`), and check the copy against it "
    "(`reintegration-fsm --db TARGET_URL verify --checkpoint FILE`): a case the copy holds as it "
    "was before, or not at all, is named"
)
"""The warning that the source could not be compared with the copy once it was checked
(review RR, RR1)."""

CHANGED_SHOWN = 20
"""How many of the cases changed on the source during a copy the error names."""


def _changed_error(changed: tuple[str, ...]) -> str:
    """The error that the source was written to while it was copied (review XF, XF1): a step,
    an erasure or a retention run recorded there meanwhile is not in the copy, which verifies
    all the same, and would be lost by moving the service to it."""
    named = ", ".join(changed[:CHANGED_SHOWN])
    if len(changed) > CHANGED_SHOWN:
        named += f" and {len(changed) - CHANGED_SHOWN:,} more"
    return (
        f"error: {len(changed):,} case(s) changed on the source while it was copied, and the "
        f"copy holds them as they were before, or not at all: {named}. A step, redaction or "
        "retention run recorded there meanwhile is not in the copy: stop every process that "
        "writes to the source, then copy again into an empty database"
    )


OWNERS = (Party.AP.value, Party.HOST.value, Party.LA.value)


@click.command()
@option("--on", type=DATE, default=None, help="List what is due by this date (default today).")
@option(
    "--authority",
    default=None,
    metavar="NAME",
    help="Only this authority's cases. May only repeat an authority given before the command "
    "(or by RFSM_AUTHORITY), never replace it.",
)
@option(
    "--owner",
    type=click.Choice(OWNERS),
    default=None,
    help="Only obligations this party owes (deadlines have no owner and are left out).",
)
@option(
    "--school", metavar="NAME", default=None, help="Only cases with this AP setting or host school."
)
@option("--case", "case_ids", multiple=True, metavar="ID", help="Only this case (repeat for more).")
@option("--overdue", is_flag=True, help="Only items past their due date on --on.")
@option(
    "--as-of",
    type=DATE,
    default=None,
    help="From the cases as they stood at the end of this day (--on defaults to it): what was "
    "due or overdue then.",
)
@format_option(("table", "json", "csv", "xlsx"))
@output_option("the list")
@click.pass_context
def due(
    ctx: click.Context,
    on: Any,
    authority: str | None,
    owner: str | None,
    school: str | None,
    case_ids: tuple[str, ...],
    overdue: bool,
    as_of: Any,
    output_format: str,
    output: str | None,
) -> None:
    """List unmet deadlines and open obligations due by a date, soonest first.

    Obligations without a due date come last. Across every case the database holds (or the
    authority's, with --authority). Each row names the child, the stage and the schools; an
    overdue item says how late it is, in school days when a calendar is given (--calendar
    before the command, or RFSM_CALENDAR), else in calendar days. With --as-of, each case as it
    stood at the end of that day.
    """
    from reintegration_fsm.stores import cases_as_of, due_as_of

    day = on or as_of or options.today()
    found = settings(ctx)
    found.narrow_authority(authority)
    store = found.store()
    caseload.check_school(store, school)
    for case_id in dict.fromkeys(case_ids):
        store.history(case_id)  # CaseNotFound: a mistyped id never reads as "nothing due"
    if as_of is None:
        items = store.due(day, school=school)
    else:
        items = due_as_of(store, as_of, day, school=school)
    rows = views.due_rows(items, day)
    if owner is not None:
        rows = [row for row in rows if row["owner"] == owner]
    if case_ids:
        rows = [row for row in rows if row["case_id"] in case_ids]
    if overdue:
        rows = [row for row in rows if row["status"] == "overdue"]
    if not rows:
        caseload.check_authority(store)
    summaries = () if not rows else store.cases() if as_of is None else cases_as_of(store, as_of)
    rows = caseload.describe_due(rows, summaries, day, found.calendar())
    note = caseload.lateness_note(rows, found.calendar())
    if note and output_format == "table" and output is None:
        click.echo(note, err=True)
    emit(
        rows,
        views.DUE_COLUMNS,
        output_format,
        empty=f"nothing {'overdue' if overdue else 'due'} by {day}",
        output=output,
        # 31 characters, Excel's most for a sheet's name, with both days.
        title=f"Due by {day}" if as_of is None else f"Due {day} as of {as_of}",
    )


@click.command()
@option(
    "--checkpoint",
    "checkpoint_file",
    metavar="FILE",
    default=None,
    help="Also check that every case of this checkpoint (`checkpoint -o FILE`) still extends it.",
)
@PUBLIC_KEY
@WORKERS
@format_option()
@click.pass_context
def verify(
    ctx: click.Context,
    checkpoint_file: str | None,
    key_file: str | None,
    workers: int,
    output_format: str,
) -> None:
    """Check the audit log's hash chains, digests and redactions and replay every case; with
    --checkpoint, that no case it holds was rewritten, truncated or removed; and that the
    triggers keeping the log append-only are there. Exit 1 on any problem."""
    anchor, key = _kept(checkpoint_file, key_file)
    counted = [0, 0]

    def progress(cases: int, transitions: int) -> None:
        counted[:] = [cases, transitions]

    started = time.perf_counter()
    store = settings(ctx).store()
    problems = store.verify(checkpoint=anchor, public_key=key, progress=progress, workers=workers)
    problems += store.unguarded()
    took = time.perf_counter() - started
    rows = views.problem_rows(problems)
    if output_format != "table" or problems:
        emit(rows, views.PROBLEM_COLUMNS, output_format)
    elif anchor is None:
        echo("sound: every hash chain checks and every case replays")
    else:
        echo(
            "sound: every hash chain checks, every case replays, and every case of the "
            f"checkpoint taken {anchor.taken_at.isoformat()}Z still extends it"
        )
    _unchecked_signature(anchor, key)
    cases, transitions = counted
    rate = f"{transitions / took:,.0f}" if took > 0 else "-"
    click.echo(
        f"checked {cases:,} cases, {transitions:,} transitions in {took:.1f} s "
        f"({rate} transitions/s)",
        err=True,
    )
    if problems:
        # The problems are the output (JSON too); stderr only says there were some.
        click.echo(f"error: {len(problems)} problem(s) found", err=True)
        ctx.exit(REFUSED)


@click.command()
@option(
    "--format",
    "output_format",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Output format (mermaid: for Markdown; dot: for Graphviz).",
)
def diagram(output_format: str) -> None:
    """Print the protocol's stage diagram, derived from the transition table."""
    click.echo(diagrams.mermaid() if output_format == "mermaid" else diagrams.dot(), nl=False)


@click.group()
def calendar() -> None:
    """School-day arithmetic on a term-dates calendar.

    The calendar is the group's --calendar (or RFSM_CALENDAR), or a --calendar given to the
    command itself, which then takes its place.
    """


CALENDAR_OPTION = option(
    "--calendar",
    "calendar_name",
    default=None,
    metavar="FILE|sample",
    help="A term-dates TOML file, or `sample` for the shipped SAMPLE calendar "
    f"(default: the one given before the command, or {CALENDAR_ENV}).",
)


def _calendar(ctx: click.Context, calendar_name: str | None) -> SchoolCalendar:
    """The command's own calendar, else the group's; a usage error when there is neither."""
    if calendar_name is not None:
        return load_calendar(calendar_name)
    found = settings(ctx).calendar()
    if found is None:
        raise click.UsageError(
            f"no calendar: give --calendar FILE (or `sample`), or set {CALENDAR_ENV}", ctx
        )
    return found


class SchoolDayCount(click.ParamType):  # type: ignore[type-arg, unused-ignore]  # generic in 8.2
    """N: a whole number of school days, 0 or more (the calendar counts forward only)."""

    name = "N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """A count of school days, or a usage error that says what N must be."""
        if isinstance(value, int):
            count = value
        else:
            try:
                count = int(str(value))
            except ValueError:
                self.fail(f"must be a whole number of school days, not {value!r}", param, ctx)
        if count < 0:
            self.fail(
                f"must be 0 or more, not {count}: the calendar counts school days forward "
                "only (to count back, ask `school-days-between` instead)",
                param,
                ctx,
            )
        return count


# A negative N ("-3") would be read as an unknown option; taken as N, it gets N's own message.
NEGATIVE_NUMBERS = {"ignore_unknown_options": True}


@calendar.command("add-school-days", context_settings=NEGATIVE_NUMBERS)
@click.argument("day", type=DATE, metavar="DATE")
@click.argument("count", type=SchoolDayCount(), metavar="N")
@CALENDAR_OPTION
@click.pass_context
def add_school_days(ctx: click.Context, day: Any, count: int, calendar_name: str | None) -> None:
    """Print the N-th school day after DATE (DATE itself never counts; N is 0 or more)."""
    click.echo(_calendar(ctx, calendar_name).add_school_days(day, count).isoformat())


@calendar.command("school-days-between")
@click.argument("first", type=DATE)
@click.argument("last", type=DATE)
@CALENDAR_OPTION
@click.pass_context
def school_days_between(
    ctx: click.Context, first: Any, last: Any, calendar_name: str | None
) -> None:
    """Print how many school days fall after FIRST up to and including LAST (not before it)."""
    count = _calendar(ctx, calendar_name).school_days_between(first, last)
    if last < first:  # the library counts 0: read as "none", where the dates were swapped
        raise Failure(
            f"LAST ({last.isoformat()}) is before FIRST ({first.isoformat()})",
            ("Give the earlier date first: the count is of the school days after it.",),
        )
    click.echo(str(count))


@calendar.command("suggest-reviews")
@click.argument("start", type=DATE)
@CALENDAR_OPTION
@option(
    "--under",
    metavar="ID[@VERSION]",
    default=None,
    envvar=protocols.UNDER_ENV,
    help="The protocol whose review weeks to propose, built in or registered with --protocol, "
    "as ID@VERSION, or ID alone for its version in force on START (default: the one `apply "
    f"... open` opens a case under, the seed's, worcestershire@3); env {protocols.UNDER_ENV}.",
)
@click.pass_context
def suggest_reviews(
    ctx: click.Context, start: Any, calendar_name: str | None, under: str | None
) -> None:
    """Print the first, second and final review dates proposed for a placement START, at the
    review weeks of the protocol --under names (which, on stderr)."""
    # Review dates are for a case already open, which runs under its version whether or not a
    # new case may open under it.
    from_environment = protocols.under_from_environment(ctx)
    protocol = protocols.chosen(
        settings(ctx).protocols(), under, start, from_environment=from_environment
    )
    weeks = protocol.review_weeks
    for day in _calendar(ctx, calendar_name).suggest_review_dates(start, weeks):
        click.echo(day.isoformat())
    click.echo(
        f"note: reviews at {weeks[0]}, {weeks[1]} and {weeks[2]} weeks, the review weeks of "
        f"{protocols.named(protocol)}"
        + (f", named by {protocols.UNDER_ENV}" if from_environment else ""),
        err=True,
    )


__all__ = ["calendar", "db", "diagram", "due", "verify"]
