"""A raw `sqlite3` connection for tests that reach past the store into its file."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator


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
