"""Commands for the audit log as evidence: checkpoints to keep outside the database, redaction
of personal data, and retention.

`verify --checkpoint FILE` (in `admin`) checks a store against a checkpoint this writes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import click

from reintegration_fsm import files
from reintegration_fsm.cli import options
from reintegration_fsm.cli.errors import REFUSED, Failure
from reintegration_fsm.cli.json_input import read_bounded
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import (
    CASE_ID,
    DATE,
    ROLE_NAMES,
    Line,
    format_option,
    output_option,
)
from reintegration_fsm.cli.printing import echo, emit, write_output
from reintegration_fsm.cli.redacted import note_json
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise, to_json
from reintegration_fsm.errors import GuessableRedaction
from reintegration_fsm.fields import NAME_LENGTH
from reintegration_fsm.stores import Checkpoint, CheckpointRefused, MalformedCheckpoint, Problem
from reintegration_fsm.vocabulary import Actor, Role

F = TypeVar("F", bound=Callable[..., Any])

KEY_PASSWORD_ENV = "RFSM_SIGNING_KEY_PASSWORD"
"""The passphrase of an encrypted signing key, if the key file is encrypted."""
ALL = "all"
"""SEQ meaning every transition that holds the paths."""
OTHERS = 0o077
"""The mode bits of a file's group and other users: a signing key must have none."""


def read_key(path: str, what: str, *, private: bool = False) -> bytes:
    """A PEM key file's bytes: read, never copied into the database or any output.

    Args:
        private: the key signs: refuse a file other users can read or write (as ssh refuses a
            private key others can read), since whoever can read it can sign a forged
            checkpoint.

    Raises:
        Failure: the file cannot be read, or is a private key others can reach (exit 2).
    """
    try:
        with files.opened(path) as handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            key = read_bounded(handle, path, what)
    except OSError as error:
        raise Failure(f"cannot read the {what} {path}: {error.strerror or error}") from None
    if private and _public(key):  # (before its mode: a public key is no secret to have leaked)
        raise Failure(
            f"the {what} {path} is a public key",
            ("--sign needs the private key of the pair; the public key checks a signature.",),
        )
    if private and os.name == "posix" and mode & OTHERS:
        raise Failure(
            f"the {what} {path} can be reached by other users (mode {mode:04o})",
            (
                "Anyone who can read it can sign a checkpoint that passes for yours.",
                f"Make it the owner's only (chmod 600 {path}); if others may have read "
                "it, make a new key pair.",
            ),
        )
    return key


_SSH_PUBLIC = (b"ssh-", b"ecdsa-sha2-", b"sk-ssh-", b"sk-ecdsa-")
"""How OpenSSH's one-line public keys start (`ssh-ed25519`, `ecdsa-sha2-nistp256`...)."""


def _public(key: bytes) -> bool:
    """Whether a key file holds a public key alone: PEM (`-----BEGIN PUBLIC KEY-----`), RFC
    4716 (`---- BEGIN SSH2 PUBLIC KEY ----`), OpenSSH's one line, or DER."""
    if b"PRIVATE KEY" in key:
        return False
    if b"PUBLIC KEY" in key or key.lstrip().startswith(_SSH_PUBLIC):
        return True
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.serialization import load_der_public_key
    except ImportError:  # (without the signing extra, signing says what to install)
        return False
    try:
        load_der_public_key(key)
    except (ValueError, UnsupportedAlgorithm):  # not DER, or a kind of key unknown here
        return False
    return True


def read_checkpoint(path: str) -> Checkpoint:
    """A checkpoint file (`checkpoint -o FILE` wrote it).

    Raises:
        Failure: the file cannot be read, or is not a checkpoint (exit 2, each problem named).
    """
    try:
        with files.opened(path) as handle:
            text = read_bounded(handle, path, "checkpoint")
    except OSError as error:
        raise Failure(f"cannot read the checkpoint {path}: {error.strerror or error}") from None
    try:
        return Checkpoint.from_json(text)
    except MalformedCheckpoint as error:  # not "checkpoint.json: ...", which reads as a file
        problems = [
            problem if field == "json" else f"{field}: {problem}"
            for field, problem in error.problems
        ]
        raise Failure(f"the checkpoint {path} cannot be read", problems) from None


def actor_options(purpose: str) -> Callable[[F], F]:
    """The options naming who does something (`--actor-id`, `--actor-name`, `--role`,
    `--organisation`), as `apply` takes them."""

    def decorate(command: F) -> F:
        for decorator in reversed(
            (
                option(
                    "--actor-id",
                    type=Line(NAME_LENGTH),
                    default=None,
                    help=f"Who {purpose}: an id.",
                ),
                option("--actor-name", type=Line(NAME_LENGTH), default=None, help="Their name."),
                option(
                    "--role",
                    type=click.Choice(ROLE_NAMES, case_sensitive=False),
                    default=None,
                    help="Their role.",
                ),
                option(
                    "--organisation",
                    type=Line(NAME_LENGTH, required=False),
                    default="",
                    help="The organisation they act for.",
                ),
            )
        ):
            command = decorator(command)
        return command

    return decorate


def actor_from(
    actor_id: str | None, actor_name: str | None, role: str | None, organisation: str
) -> Actor:
    """The actor the options name.

    Raises:
        Failure: one of `--actor-id`, `--actor-name`, `--role` is missing (exit 2).
    """
    if actor_id is None or actor_name is None or role is None:
        given = (("--actor-id", actor_id), ("--actor-name", actor_name), ("--role", role))
        missing = [name for name, value in given if value is None]
        raise Failure(f"say who does it: {', '.join(missing)} missing")
    return Actor(actor_id, actor_name, Role(role.lower()), organisation)


# -- checkpoint --------------------------------------------------------------------------------
@click.command()
@option(
    "--sign",
    "key_file",
    metavar="KEYFILE",
    default=None,
    help="Sign it with this Ed25519 private key (PEM; the `signing` extra). The key is read, "
    f"never stored; an encrypted key's passphrase comes from {KEY_PASSWORD_ENV}.",
)
@option(
    "--extends",
    "extends_file",
    metavar="FILE",
    default=None,
    help="Take it only if the database still extends this earlier checkpoint, checked as "
    "`verify --checkpoint FILE` checks it, in the same read as the new one; else exit 1, "
    "naming each problem, and write nothing.",
)
@option(
    "--public-key",
    "public_key_file",
    metavar="KEYFILE",
    default=None,
    help="Check the --extends checkpoint's signature with this Ed25519 public key (PEM).",
)
@output_option("the checkpoint")
@click.pass_context
def checkpoint(
    ctx: click.Context,
    key_file: str | None,
    extends_file: str | None,
    public_key_file: str | None,
    output: str | None,
) -> None:
    """Take a checkpoint: every case's version and last hash under one Merkle root, as JSON.

    Keep it (signed, off the database host) where the database's administrators cannot rewrite
    it, and check the database against it later with `verify --checkpoint FILE`. With
    --extends, last night's checkpoint: tonight's is taken only from a database that still
    extends it (no case of it gone, truncated or rewritten).
    """
    if public_key_file is not None and extends_file is None:
        raise Failure("--public-key checks the --extends checkpoint's signature: give --extends")
    extends = None if extends_file is None else read_checkpoint(extends_file)
    public_key = None if public_key_file is None else read_key(public_key_file, "public key")
    signing_key = None if key_file is None else read_key(key_file, "signing key", private=True)
    try:
        taken = settings(ctx).store().checkpoint(extends=extends, public_key=public_key)
    except CheckpointRefused as refused:
        raise Failure(
            f"checkpoint refused: the database does not extend the checkpoint {extends_file}; "
            "nothing was written",
            [_problem_line(problem) for problem in refused.problems],
            REFUSED,
        ) from None
    if signing_key is not None:
        password = os.environ.get(KEY_PASSWORD_ENV)
        taken = taken.sign(signing_key, None if password is None else password.encode("utf-8"))
    text = taken.to_json()
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)
    click.echo(
        f"checkpoint of {len(taken.cases)} case(s), root {taken.root}"
        + (" (signed)" if taken.signature is not None else ""),
        err=True,
    )


def _problem_line(problem: Problem) -> str:
    """A problem as one line: its case, its entry (if any) and what `verify` says of it."""
    entry = "" if problem.seq is None else f" entry {problem.seq}"
    return f"{problem.case_id}{entry}: {problem.what}"


# -- redact ------------------------------------------------------------------------------------
class SeqType(click.ParamType):  # type: ignore[type-arg, unused-ignore]  # generic from click 8.2
    """SEQ: a transition's number (1 or more), or `all` for every transition holding the paths."""

    name = "SEQ"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """An int, or None for `all`; a usage error otherwise."""
        if value is None or isinstance(value, int):
            return value
        text = str(value)
        if text == ALL:
            return None
        if text.isdigit() and int(text) >= 1:
            return int(text)
        self.fail(f"must be a transition's number (1 or more) or {ALL!r}, not {text!r}", param, ctx)


@click.command()
@click.argument("case_id", type=CASE_ID)
@click.argument("seq", type=SeqType())
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@option("--reason", required=True, help="Why (one line; shown in place of each value).")
@actor_options("redacts")
@option("--on", type=DATE, default=None, help="The business date (default: today).")
@format_option(("text", "json"), default="text")
@click.pass_context
def redact(
    ctx: click.Context,
    case_id: str,
    seq: int | None,
    paths: Sequence[str],
    reason: str,
    actor_id: str | None,
    actor_name: str | None,
    role: str | None,
    organisation: str,
    on: Any,
    output_format: str,
) -> None:
    """Remove personal data from a case's transition SEQ (or `all` of them), keeping the chain.

    Each PATH names a value of the transition's data (`form.parent_name`, `pupil.address`,
    `meeting.attendees.*.name`; a form's path names every personal value in it) or its actor
    (`actor.name`, `actor.id`). The value is replaced by its digest (which, since schema
    revision 0011, no guess can be tested against), and a note records
    who, when and why; every rendering then shows "(redacted on DATE: REASON)". Values a rule
    compares go together: the child's name and date of birth are in the `open` record and on
    the consent form, so remove them with SEQ `all`. Removing a person's name (the child's, a
    parent's, an attendee's, a signatory's) removes every other copy of that name in the case's
    log too (the meetings' attendees, signed views, a family member's own name as actor), and
    says where. Refused (exit 2, nothing changed): a path naming nothing, or no personal data;
    nothing left to remove; a reason quoting a value it removes (the reason is shown in place
    of every value removed).
    """
    actor = actor_from(actor_id, actor_name, role, organisation)
    store = settings(ctx).store()
    with guessable_said():
        notes = store.redact(case_id, seq, list(paths), reason, by=actor, on=on or options.today())
    if output_format == "json":
        click.echo(to_json([note_json(note) | {"copies": list(note.copies)} for note in notes]))
        return
    case = neutralise(case_id, single_line=True)
    for note in notes:
        echo(f"{case} seq {note.seq}: removed {', '.join(note.paths)} (redaction {note.number})")
    copies = [f"seq {note.seq} {path}" for note in notes for path in note.copies]
    if copies:
        echo(
            f"{case}: of these, {len(copies)} further "
            f"{'copy' if len(copies) == 1 else 'copies'} of a name removed (the same name, as "
            f"the rules compare it, or the child's where the child signed or attended): "
            f"{', '.join(copies)}"
        )


@contextlib.contextmanager
def guessable_said() -> Iterator[None]:
    """Tell the officer, on stderr, of each redaction made in the block that leaves removed
    values open to guessing (`GuessableRedaction`), even if the block then fails."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GuessableRedaction)
            yield
    finally:
        for warning in caught:
            if isinstance(warning.message, GuessableRedaction):
                click.echo(f"warning: {neutralise(str(warning.message))}", err=True)
            else:  # any other warning goes on as it would have
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno
                )


# -- retention ---------------------------------------------------------------------------------
RETENTION_COLUMNS = ("case_id", "keep_until", "personal_data_left", "action")


@click.command()
@option("--on", type=DATE, required=True, help="The day to judge retention on.")
@option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Remove the personal data of every case listed (needs --actor-id, --actor-name, --role).",
)
@actor_options("applies retention")
@format_option(("table", "json", "csv"))
@output_option("the list")
@click.pass_context
def retention(
    ctx: click.Context,
    on: Any,
    apply_: bool,
    actor_id: str | None,
    actor_name: str | None,
    role: str | None,
    organisation: str,
    output_format: str,
    output: str | None,
) -> None:
    """List the cases past retention on --on; with --apply, remove their personal data.

    Retention is the store's policy: by default the child's date of birth plus the protocol's
    `retention_years` (25 for Worcestershire). --apply redacts names, dates of birth, addresses
    and free text about the child and family, and the family's own names as actors, through the
    same redaction as `redact`; the chain, stages, dates, deadlines, obligations, departures and
    the Fair Access ledger stay, and `verify` stays clean. A case not past retention is never
    touched, nor one still running or kept until a day before it was opened (a mistyped date
    of birth): a note on stderr names each, and each case a run could not redact, with why.
    """
    store = settings(ctx).store()
    if apply_:
        actor = actor_from(actor_id, actor_name, role, organisation)
        listed = store.past_retention(on)
        with guessable_said(), _stopped_said(on):
            run = store.apply_retention(on, by=actor)
        done = {due.case_id for due in run}
        rows = [
            {
                "case_id": due.case_id,
                # Under a date-of-birth policy the day is the birthday the run removed.
                "keep_until": None if due.case_id in done else due.keep_until,
                "personal_data_left": "no" if due.case_id in done else _yes(due.personal_data_left),
                "action": "redacted" if due.case_id in done else "none",
            }
            for due in listed
        ]
        for passed in run.passed_over:
            click.echo(
                f"note: case {neutralise(passed.case_id, single_line=True)} is past retention "
                f"and was not redacted: {neutralise(passed.reason, single_line=True)}",
                err=True,
            )
    else:
        rows = [
            {
                "case_id": due.case_id,
                "keep_until": due.keep_until,
                "personal_data_left": _yes(due.personal_data_left),
                "action": "due" if due.personal_data_left else "none",
            }
            for due in store.past_retention(on)
        ]
    emit(
        rows,
        RETENTION_COLUMNS,
        output_format,
        empty=f"no case past retention on {on}",
        output=output,
    )
    for case_id in store.undated_retention():
        click.echo(
            f"note: case {neutralise(case_id, single_line=True)}'s retention cannot be dated "
            "(its date of birth, or what the retention policy reads, was removed) and it still "
            "holds personal data: no retention run removes it; remove the rest by hand (redact)",
            err=True,
        )
    for held in store.held_retention(on):
        click.echo(
            f"note: case {neutralise(held.case_id, single_line=True)} is past its keep-until "
            f"date but no retention run removes its personal data: "
            f"{neutralise(held.reason, single_line=True)}",
            err=True,
        )


@contextlib.contextmanager
def _stopped_said(on: Any) -> Iterator[None]:
    """Tell the officer, on stderr, that a retention run Ctrl-C or SIGTERM stopped may have
    redacted some cases: each case is its own transaction, so the run's list (printed at its
    end) is never shown, and "Aborted!" alone read as if nothing had been done (review KX,
    KX1)."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        click.echo(
            "note: the retention run was stopped part way: each case it had redacted is redacted "
            "whole, the others are as they were; run it again to finish (`retention --on "
            f"{on}` lists the cases left)",
            err=True,
        )
        raise


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


__all__ = ["checkpoint", "read_checkpoint", "read_key", "redact", "retention"]
