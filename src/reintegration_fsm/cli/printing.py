"""Printing what a command made: records as a table, CSV, a workbook or JSON; text made part by
part; to stdout, or to a private file named by `-o`."""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import click

from reintegration_fsm.cli.errors import SAVED, Failure
from reintegration_fsm.cli.output import (
    Cell,
    FolderError,
    gathered,
    names_a_terminal,
    render_csv,
    render_table,
    render_xlsx,
    stream_descriptor,
    write_private,
)
from reintegration_fsm.cli.text import echo_text, neutralise, to_json

T = TypeVar("T")


def write_output(output: str, data: str | bytes | Iterable[bytes]) -> None:
    """Write a command's output to a private file, saying so on stderr (not after output sent
    down one of the command's streams, which the shell may have sent where stderr goes).
    `data` may come as its parts, written as they are made (`write_private`)."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        write_private(output, content)
    except OSError as error:
        why = error.strerror or str(error)
        if isinstance(error, FolderError):
            why = f"{why} {error.filename}"
        raise Failure(f"cannot write {output}: {why}", (SAVED,)) from None
    if stream_descriptor(output) is None:  # down a stream, the note would follow the output
        click.echo(f"wrote {neutralise(output, single_line=True)}", err=True)


def put_text_parts(parts: Iterable[str], output: str | None) -> None:
    """Print (or write to `output`, as `write_output` writes) a UTF-8 text made part by part,
    never holding it whole: the same bytes as printing (or writing) the parts joined. Printed,
    nothing is printed until every part is made (`gathered`): a failure part way prints its
    error alone (as JSON on stdout, under `--format json`), as when the text was made whole."""
    encoded = (part.encode("utf-8") for part in parts)
    if output is not None:
        write_output(output, encoded)
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    with gathered(encoded) as blocks:
        for block in blocks:
            click.echo(decoder.decode(block), nl=False)
    decoder.decode(b"", final=True)  # the parts were whole characters: nothing is left


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (where a binary workbook must not go)."""
    return sys.stdout.isatty()


NOT_FOR_A_TERMINAL = {"xlsx": "a workbook", "html": "an HTML page"}
"""Formats refused on a terminal: a workbook is bytes, a page tens of kilobytes of markup."""


def refuse_a_terminal(output_format: str, output: str | None) -> None:
    """Refuse a workbook or a page bound for a terminal (no `-o`, `-o -`, or `-o` naming one:
    `/dev/stdout` on a terminal, `/dev/tty`), asking for a file; piped or redirected, it is
    printed.

    Raises:
        Failure: stdout is a terminal (exit 2).
    """
    what = NOT_FOR_A_TERMINAL.get(output_format)
    if what is None:
        return
    if not (stdout_is_terminal() if output is None else names_a_terminal(output)):
        return
    raise Failure(
        f"--format {output_format} writes {what}: give -o FILE.{output_format}",
        ("Or send it down a pipe or into a file: `> FILE`.",) if output_format == "html" else (),
    )


def emit(
    rows: Sequence[Mapping[str, Cell]],
    columns: Sequence[str],
    output_format: str,
    *,
    json_value: Any = None,
    empty: str = "",
    output: str | None = None,
    title: str = "",
) -> None:
    """Print (or write to `output`) records as a table, CSV, xlsx or JSON.

    JSON holds `json_value` when given, else the rows; `empty` is what a table says when there
    are no rows; `title` names an xlsx sheet.
    """
    data: str | bytes
    if output_format == "xlsx":
        refuse_a_terminal(output_format, output)
        data = render_xlsx(rows, columns, title or "rows")
    elif output_format == "json":
        data = to_json(rows if json_value is None else json_value) + "\n"
    elif output_format == "csv":
        data = render_csv(rows, columns) + "\n"
    elif not rows and empty:
        data = neutralise(empty) + "\n"
    else:
        data = render_table(rows, columns) + "\n"
    deliver(data, output)


def deliver(data: str | bytes, output: str | None) -> None:
    """Write `data` to the file `output`, or print it (bytes as they are)."""
    if output is not None:
        write_output(output, data)
    elif isinstance(data, bytes):
        write_binary_stdout(data)
    else:
        click.echo(data, nl=False)


def write_binary_stdout(data: bytes) -> None:
    """Write bytes (a workbook) to stdout, past its text layer.

    `sys.stdout.buffer` rather than `click.get_binary_stream`, which click 8.5 deprecates.
    """
    sys.stdout.flush()
    stream = sys.stdout.buffer
    stream.write(data)
    stream.flush()


@contextlib.contextmanager
def progress(items: Sequence[T], label: str) -> Iterator[Iterable[T]]:
    """A progress bar on a terminal's stderr; the plain items in a pipe."""
    if len(items) > 1 and sys.stderr.isatty() and not os.environ.get("RFSM_NO_PROGRESS"):
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield bar
    else:
        yield items


def echo(text: str, *, nl: bool = True) -> None:
    """Print text for people, control characters neutralised."""
    echo_text(text, nl=nl)
