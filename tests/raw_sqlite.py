"""A raw `sqlite3` connection for tests that reach past the store into its file."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from reintegration_fsm.stores import schema


@contextlib.contextmanager
def raw_sqlite(path: str | os.PathLike[str]) -> Iterator[sqlite3.Connection]:
    """A connection to the SQLite file at `path`, committed when the block ends without an
    error (rolled back otherwise) and closed either way: `with sqlite3.connect(...)` only
    commits, and from Python 3.13 a connection left for the garbage collector warns."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def tamper(url: str, statement: str, parameters: Sequence[Any] = ()) -> None:
    """Run `statement` on the SQLite store at `url` (a `sqlite:///` URL or a path) past its
    append-only triggers, dropped first and made again after, as whoever can write the file
    can (leaving them dropped, `verify` would name that too)."""
    with raw_sqlite(url.removeprefix("sqlite:///")) as conn:
        for trigger in schema.drop_trigger_statements("sqlite"):
            conn.execute(trigger)
        conn.execute(statement, parameters)
        for trigger in schema.guard_statements("sqlite"):
            conn.execute(trigger)
