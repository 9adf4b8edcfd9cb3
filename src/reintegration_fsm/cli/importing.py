"""The `import` command: case histories read from a JSON export, checked whole, then written
all or nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import click

from reintegration_fsm.cli import interchange, streamed
from reintegration_fsm.cli.errors import REFUSED, Failure, failure_from
from reintegration_fsm.cli.interchange import Raw
from reintegration_fsm.cli.json_input import IMPORT_MOST
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.printing import progress
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise
from reintegration_fsm.errors import CaseNotFound, ConcurrentUpdate, FormInvalid, StoreError
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.records import Transition
from reintegration_fsm.serialisation import transition_from_json

if TYPE_CHECKING:
    from reintegration_fsm.stores import SqlAlchemyStore

IMPORT_PROBLEMS_MOST = 1000
"""The most problems an import lists: past them its file is read no further (a file of other
things than case exports would otherwise keep and print one for each of its items)."""


IMPORT_BATCH = 500
"""Histories an import replays and writes at a time, in its one transaction: what it holds in
memory besides what it keeps of each history to check the file (`interchange.Checked`)."""


@click.command("import")
@click.argument("file", metavar="FILE")
@option(
    "--without-redaction-records",
    "dropping",
    is_flag=True,
    help="Import cases whose export carries redaction records, without them.",
)
@click.pass_context
def import_(ctx: click.Context, file: str, dropping: bool) -> None:
    """Import case histories from a JSON file (`-` for stdin), all or nothing.

    FILE holds what `export` writes (one case, or a list of them) or what `history --format
    json` writes. Everything is checked first: with any problem, every one is printed and
    nothing is imported (exit 2). An import cannot carry redaction records (who removed what,
    when and why): a case whose export carries them is refused, unless
    --without-redaction-records, when the removed values' placeholders become its text. To
    move a store with its records, copy its database.
    """
    registered = settings(ctx).protocols()
    with streamed.readable_twice(file) as path:
        incoming, problems, digest, reads = _checked_file(path, file, registered)
        problems += interchange.duplicates(incoming)
        problems += interchange.refused_ids(incoming)
        store = settings(ctx).store(create=True)
        taken = store.taken(item.case_id for item in incoming)
        stored = _stored(store, path, file, registered, taken, reads, digest) if taken else set()
        if incoming:
            listed = (summary.case_id for summary in store.cases())
            problems += interchange.case_only(incoming, listed)
        for item in incoming:
            if store.authority is not None and item.authority != store.authority:
                problems.append(
                    f"{item.label}: belongs to {item.authority!r}, not {store.authority!r}"
                )
            elif item.case_id in taken and item.case_id not in stored:
                problems.append(
                    f"{item.label}: case id {item.case_id!r} is already taken, by another "
                    "history than this one"
                )
            elif (item.redactions or item.removed) and item.case_id not in stored and not dropping:
                # (A case stored with this history is skipped, its records kept: XF3.)
                problems.append(interchange.records_refused(item))
        if problems:
            raise Failure(f"nothing imported from {file}", problems)
        with progress(incoming, "Importing histories") as items:
            histories = _histories(path, file, reads, digest, items)
            try:
                count = store.import_histories(
                    histories, batch_size=IMPORT_BATCH, all_or_nothing=True
                )
            except StoreError as error:
                raise _import_failed(file, error) from error
            except ConcurrentUpdate as error:
                raise _import_raced(file, error) from error
    already = f"; {len(stored)} already stored" if stored else ""
    click.echo(f"imported {len(incoming) - len(stored)} case(s), {count} transition(s){already}")
    for item in incoming:
        if item.unfingerprinted is not None:
            click.echo(f"note: {item.unfingerprinted}", err=True)
        if (item.redactions or item.removed) and item.case_id not in stored:
            click.echo(f"note: {interchange.records_dropped(item)}", err=True)


@contextlib.contextmanager
def _raw_histories(
    reading: contextlib.AbstractContextManager[streamed.Readable], file: str
) -> Iterator[tuple[Iterator[Raw | str], streamed.Reader]]:
    """The raw histories of an import file (named `file`), read as they are needed, and its
    reader, whose digest covers the bytes read so far."""
    with reading as handle:
        reader = streamed.Reader(handle, file, "import file", IMPORT_MOST)
        yield interchange.raw_histories(reader), reader


Read = tuple[bytes, str | None]
"""A history of an import file as its first reading found it: the digest of the bytes read up
to it, and the id of the case it replayed to (None: it did not)."""


def _checked_file(
    path: streamed.Input, file: str, protocols: Sequence[Protocol]
) -> tuple[list[interchange.Checked], list[str], bytes, list[Read]]:
    """Every history of the import file, replayed, as the import keeps it; the problems found
    (those of the file's shape first); the digest of the file as read; and each history as
    read, whether it replayed or not."""
    shape: list[str] = []
    problems: list[str] = []
    incoming: list[interchange.Checked] = []
    reads: list[Read] = []
    with _raw_histories(path.first(), file) as (raws, reader):
        for raw in raws:
            if len(shape) + len(problems) >= IMPORT_PROBLEMS_MOST:
                raise Failure(
                    f"nothing imported from {file}",
                    (
                        *(shape + problems)[:IMPORT_PROBLEMS_MOST],
                        f"and more: the file was read no further after {IMPORT_PROBLEMS_MOST:,} "
                        "problems (is it the right file?)",
                    ),
                )
            if isinstance(raw, str):
                shape.append(raw)
                continue
            item, found = interchange.read_history(raw, protocols)
            problems += found
            reads.append((reader.digest.digest(), None if item is None else item.case.case_id))
            if item is not None:
                incoming.append(interchange.checked(item))
        return incoming, shape + problems, reader.digest.digest(), reads


def _read_again(
    path: streamed.Input, file: str, reads: Sequence[Read], digest: bytes
) -> Iterator[tuple[str | None, Raw]]:
    """The file's histories read once more, each with the case it replayed to (`reads`): each
    must come after the bytes the first reading read before it, and the whole file be as it
    was (`digest`), else `_changed`."""
    with _raw_histories(path.again(), file) as (raws, reader):
        try:
            histories = (raw for raw in raws if not isinstance(raw, str))
            for (read, case_id), raw in zip(reads, histories, strict=True):
                if reader.digest.digest() != read:
                    raise _changed(file)
                yield case_id, raw
        except (Failure, ValueError):  # (strict: a count that differs)
            raise _changed(file) from None
        if reader.digest.digest() != digest:
            raise _changed(file)


def _stored(
    store: SqlAlchemyStore,
    path: streamed.Input,
    file: str,
    protocols: Sequence[Protocol],
    taken: set[str],
    reads: Sequence[Read],
    digest: bytes,
) -> set[str]:
    """The `taken` ids whose case the store holds with the file's history, which the import
    skips (it compares them again as it writes): the file read again for their histories
    alone."""
    held: set[str] = set()
    for case_id, raw in _read_again(path, file, reads, digest):
        if case_id not in taken:
            continue
        found = interchange.read_history(raw, protocols)[0]
        if found is None or found.case.case_id != case_id:
            raise _changed(file)
        try:
            if store.history(case_id) == found.history:
                held.add(case_id)
        except CaseNotFound:  # another authority's
            pass
    return held


def _histories(
    path: streamed.Input,
    file: str,
    reads: Sequence[Read],
    digest: bytes,
    incoming: Iterable[interchange.Checked],
) -> Iterator[tuple[str, list[Transition]]]:
    """The file's histories read once more to write them, each with its authority (`incoming`:
    every history replayed, since nothing is written otherwise); the file changed since it was
    checked, the import writes nothing."""
    again = _read_again(path, file, reads, digest)
    for item, (_, raw) in zip(incoming, again, strict=True):  # (both: every history)
        try:
            transitions = [transition_from_json(entry) for entry in raw[1]]
        except FormInvalid:
            raise _changed(file) from None
        yield item.authority, transitions


def _changed(file: str) -> Failure:
    """The failure of an import whose file changed between its checking and its writing."""
    return Failure(
        f"nothing imported from {file}: it changed while it was imported",
        ("Nothing was written. Import it again once nothing is writing to it.",),
    )


def _import_failed(file: str, error: StoreError) -> Failure:
    """The failure of an import the database refused: nothing imported, and which case, when
    the store knows it (the database does not say which row of several failed)."""
    failure = failure_from(error)
    which = (
        f"The case that failed: {neutralise(error.case_id, single_line=True)}."
        if error.case_id is not None
        else "The database did not say which case failed."
    )
    return Failure(
        f"nothing imported from {file}: {failure.message}",
        (which, *failure.reasons),
        failure.exit_code,
    )


def _import_raced(file: str, error: ConcurrentUpdate) -> Failure:
    """The failure of an import another writer got ahead of, storing one of its case ids after
    the import checked them: nothing imported, and no advice to retry (the id is taken now)."""
    if error.case_id:
        return Failure(
            f"nothing imported from {file}: another writer stored case {error.case_id!r} meanwhile",
            (_IMPORT_NEW_CASES_ONLY,),
            REFUSED,
        )
    return Failure(
        f"nothing imported from {file}: another writer stored one of its cases meanwhile",
        ("The database did not say which case.", _IMPORT_NEW_CASES_ONLY),
        REFUSED,
    )


_IMPORT_NEW_CASES_ONLY = (
    "An import adds new cases only (and skips those stored with its history): see what the "
    "other writer stored (`cases`), and import a file without the cases the store now holds "
    "with another history."
)
