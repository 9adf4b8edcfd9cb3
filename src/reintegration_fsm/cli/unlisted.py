"""A child's name given on stdin (`--pupil -`, `--search -`) rather than on the command line,
where every user of the machine reads it (`ps`) and the shell's history keeps it (review LG,
LG4)."""

from __future__ import annotations

import sys

import click

from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.json_input import BYTE_ORDER_MARK, read_bounded

FROM_STDIN = "-"
"""The value that reads the name from stdin."""
NAME_MOST = 4096
"""The most bytes of a name read from stdin: a name is one short line."""


def given(option: str, value: str | None) -> str | None:
    """`value`, or for `-` the name read from stdin: typed at a prompt that does not echo it
    when stdin is a terminal, else its one line (one line ending, a byte order mark and
    nothing more allowed).

    Raises:
        Failure: stdin is closed, is not UTF-8, holds more than one line, or no name (exit 2).
    """
    if value != FROM_STDIN:
        return value
    stream = sys.stdin
    if stream is None:  # started with stdin closed (`<&-`)
        raise Failure(f"{option} - reads the name from stdin, which is closed: pipe it in")
    if stream.isatty():
        typed: str = click.prompt(f"{option} (not shown as you type)", hide_input=True, err=True)
        text = typed
    else:
        raw = read_bounded(stream.buffer, "stdin", "name", NAME_MOST)
        try:
            text = raw.decode("utf-8").removeprefix(BYTE_ORDER_MARK)
        except UnicodeDecodeError:
            raise Failure(f"{option} -: stdin is not UTF-8 text") from None
        text = text.removesuffix("\n").removesuffix("\r")
        if "\n" in text or "\r" in text:
            raise Failure(
                f"{option} -: stdin holds more than one line",
                ("Give the name alone, on one line.",),
            )
    if not text.strip():
        raise Failure(f"{option} -: stdin held no name")
    return text


__all__ = ["FROM_STDIN", "NAME_MOST", "given"]
