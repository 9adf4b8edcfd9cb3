"""`export`: a subject access response for one child (by case id, or every case of a child by
name and date of birth), as JSON or HTML; or every case the store may show, as JSON."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import click

from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli import options, subject_access, unlisted
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import DATE, format_option, output_option
from reintegration_fsm.cli.printing import put_text_parts, write_output
from reintegration_fsm.cli.settings import searched_by, settings
from reintegration_fsm.cli.text import neutralise, to_json
from reintegration_fsm.errors import CaseNotFound, UnknownProtocol
from reintegration_fsm.fields import loosely_folded_name
from reintegration_fsm.forms.pupil import written_upn
from reintegration_fsm.stores import personal

if TYPE_CHECKING:
    from reintegration_fsm.stores import SqlAlchemyStore

_IDENTITY = ("pupil.name", "pupil.date_of_birth")
"""The paths of the child's name and date of birth in a case's opening."""


def _children(store: SqlAlchemyStore, name: str, born: dt.date) -> tuple[list[Reintegration], int]:
    """Every case the store may show of the child with this name and date of birth (the name
    as the rules compare it, `rules.same_name`, and whatever apostrophes and hyphens it is
    written with, `fields.loosely_folded_name`); never one whose child's name or date of birth
    was removed (its placeholder names no child, and reads the same in every case redacted
    alike). And how many cases of a child of this name had their date of birth removed."""
    found = []
    hidden = 0
    wanted = loosely_folded_name(name)
    # Searched by a stretch holding no apostrophe or hyphen (of any kind); compared whole below.
    words = wanted.replace("'", " ").replace("-", " ")
    for summary in store.cases(text=searched_by(words)):
        try:
            with _naming(summary.case_id):
                case = store.load(summary.case_id)
        except CaseNotFound:  # pragma: no cover - listed a moment ago
            continue
        if loosely_folded_name(case.pupil.name) != wanted:
            continue
        if _identity_removed(store, case):  # a removed name is counted by `_none_found`
            hidden += not personal.is_note_text(case.pupil.name)
        elif case.pupil.date_of_birth == born:
            found.append(case)
    return found, hidden


def _none_found(store: SqlAlchemyStore, name: str, born: dt.date, hidden: int) -> Failure:
    """The failure of a search by `name` and `born` that found no case: it says a redaction
    may have hidden the child only when the store holds a case whose child's name, or whose
    child of this name's date of birth (`hidden` of them), a redaction removed."""
    hidden += sum(1 for summary in store.cases() if personal.is_note_text(summary.pupil_name))
    if hidden:
        why = (
            f"{hidden} case{'' if hidden == 1 else 's'} in this store had the child's name or "
            "date of birth removed by a redaction, and cannot be found by them."
        )
    else:
        why = (
            "No case in this store is of a child of this name (compared ignoring letters' "
            "case, spacing, accents typed apart, invisible characters and which apostrophe or "
            "hyphen is written) born on this date."
        )
    return Failure(f"no case of {name!r} born {born.isoformat()} in this store", (why,))


def _as_written(upn: str) -> str:
    """`upn` as the DfE writes it: a history recorded before FM6 holds one as typed
    (`B80120 0005001`, a full-width digit), the same child's as `B801200005001` (review RM,
    RM2)."""
    return written_upn(upn) or upn.strip().upper()


def _refuse_other_children(cases: list[Reintegration]) -> None:
    """Refuse a response by name and date of birth whose cases hold different UPNs: they are of
    different children who share a name and a birthday, and each child's response would hold
    the other's whole record (review SX, SX2). The refusal names the cases, never their UPNs.

    Raises:
        Failure: the cases found hold more than one UPN.
    """
    upns = {_as_written(case.pupil.upn) for case in cases if case.pupil.upn}
    if len(upns) < 2:
        return
    ids = ", ".join(neutralise(case.case_id, single_line=True) for case in cases)
    raise Failure(
        f"the cases of this name and date of birth are of {len(upns)} different children: "
        f"they hold {len(upns)} different UPNs ({ids})",
        (
            "A response to one child must not hold another's records. Check which cases are "
            "the requester's (their UPN, address, school) and export each by its CASE_ID.",
        ),
    )


def _every_case(store: SqlAlchemyStore) -> Generator[subject_access.Held, None, None]:
    """Every case the store may show, with its redaction notes, as one streaming read of the
    log gives them (never all at once); a case under a protocol not registered is named (the
    stream's error names none)."""
    seen: set[str] = set()  # ids only: the stream's order is the database's collation's
    try:
        for case in store.load_all():
            seen.add(case.case_id)
            yield _held(store, case)
    except UnknownProtocol as error:
        if error.case_id is not None:
            raise
        for summary in store.cases():  # the stream stopped at the first case not read
            if summary.case_id not in seen:
                with _naming(summary.case_id):
                    store.load(summary.case_id)
        raise


@contextlib.contextmanager
def _naming(case_id: str) -> Iterator[None]:
    """Name `case_id` in the error of a protocol not registered, or registered changed, read
    inside (`UnknownProtocol.naming`: a `ChangedProtocol` stays one)."""
    try:
        yield
    except UnknownProtocol as error:
        if error.case_id is not None:
            raise
        raise error.naming(case_id) from None


def _identity_removed(store: SqlAlchemyStore, case: Reintegration) -> bool:
    """True when a redaction removed the child's name or date of birth from the case's
    opening, here or in the store an import took the case from (its placeholders are then
    the values)."""
    if personal.identity_placeholder(case.pupil):
        return True
    case_id = case.case_id
    return any(
        note.seq == 1
        and any(
            removed == path or removed.startswith(f"{path}.") or path.startswith(f"{removed}.")
            for removed in note.paths
            for path in _IDENTITY
        )
        for note in store.redactions(case_id)
    )


@click.command()
@click.argument("case_id", required=False)
@option(
    "--pupil",
    metavar="NAME",
    default=None,
    help="Every case of the child of this name (`-`: read it from stdin, unseen by `ps`)…",
)
@option("--dob", type=DATE, default=None, help="…born on this date (give both).")
@option("--all", "every", is_flag=True, help="Every case the store may show (JSON).")
@format_option(("json", "html"), default="json")
@output_option("the response")
@click.pass_context
def export(
    ctx: click.Context,
    case_id: str | None,
    pupil: str | None,
    dob: Any,
    every: bool,
    output_format: str,
    output: str | None,
) -> None:
    """A subject access response: every record held about one child.

    Name the child by CASE_ID, or by --pupil NAME --dob DATE to find every case of that child
    across the store. It holds every case, transition, form, obligation and departure, who
    acted, and the redaction notes, after the information the ICO asks for (purposes,
    recipients, retention, source, rights). As JSON (importable with `import`; for a CASE_ID,
    the case's export as before, the rest under `subject_access`; else every case under
    `cases`) or as a self-contained HTML document (--format html). --all gives every case as
    JSON.
    """
    chosen = sum((case_id is not None, pupil is not None or dob is not None, every))
    if chosen != 1:
        raise Failure(
            "name the child by CASE_ID, or by --pupil NAME --dob DATE; or give --all",
            ("Give exactly one of them.",),
        )
    if (pupil is None) != (dob is None):
        raise Failure("--pupil and --dob go together: a name alone may be several children")
    # Read once the options agree: not asked for at a prompt, then refused (review RZ, RZ3).
    pupil = unlisted.given("--pupil", pupil)
    if pupil is not None and not pupil.strip():
        raise Failure("--pupil: give the child's name")
    if every and output_format != "json":
        raise Failure("--all exports JSON only (--format json)")
    found = settings(ctx)
    store = found.store()
    if every:  # written case by case as the log streams: memory for a case, not the store
        on, calendar, policy = options.today(), found.calendar(), store.retention
        with contextlib.closing(_every_case(store)) as stream:  # ended, whatever befalls
            parts = subject_access.response_text(stream, {"all": True}, on, calendar, policy)
            put_text_parts(parts, output)
        return
    if case_id is not None:
        cases = [store.load(case_id)]
        request: dict[str, Any] = {"case_id": case_id}
    else:
        assert pupil is not None
        cases, hidden = _children(store, pupil, dob)
        request = {"pupil": pupil, "date_of_birth": dob.isoformat()}
        if not cases:
            raise _none_found(store, pupil, dob, hidden)
        _refuse_other_children(cases)
        _say_authorities(cases)
    held = [_held(store, case) for case in cases]
    on, calendar, policy = options.today(), found.calendar(), store.retention
    value = subject_access.response(held, request, on, calendar, policy)
    if output_format == "html":
        text = neutralise(subject_access.render_html(value, held))
    elif case_id is not None:
        text = to_json(subject_access.one_case(held[0], request, on, calendar, policy)) + "\n"
    else:
        text = to_json(value) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)


__all__ = ["export"]


def _say_authorities(cases: list[Reintegration]) -> None:
    """Say on stderr when the child's cases found are of more than one authority: each is the
    controller of its own, and a request made to one is answered with its cases
    (`--authority NAME`); the response is written all the same, each case naming its own."""
    authorities = sorted({case.local_authority for case in cases})
    if len(authorities) > 1:
        named = "; ".join(neutralise(name, single_line=True) for name in authorities)
        click.echo(
            f"warning: the cases found are of {len(authorities)} authorities ({named}), and "
            "the response holds them all, each naming its authority as its controller; to "
            "answer a request made to one authority, give --authority NAME before the command",
            err=True,
        )


def _held(store: SqlAlchemyStore, case: Reintegration) -> subject_access.Held:
    """A case of the response, with its redaction notes and when each step was entered."""
    case_id = case.case_id
    return subject_access.Held(case, tuple(store.redactions(case_id)), store.entered(case_id))
