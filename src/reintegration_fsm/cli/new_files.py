"""A SQLite file a failed command made: removed, so that no empty store is left behind.

`import`, `apply ... open` and `demo` make the store's file when it is missing. If the command
then fails (a bad import file, a refused `open`), the file it made holds no case, and an empty
store left there would pass for one the user meant to keep. Only the files the command itself
made are removed, and only while they hold no case: never a file that existed before, nor one
another writer has put a case into meanwhile.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from reintegration_fsm.stores import sqlite

_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""SQLite keeps a database in its file and, while it is used, these beside it."""


def to_be_made(url: str) -> tuple[str, ...]:
    """The files opening `url`'s store would make: its SQLite file, when missing, and those
    of its companions that are missing too; () for another database or an existing file.
    Through a symbolic link, the files at the path the link finally names."""
    found = sqlite.database_file(make_url(url))
    if found is None or os.path.exists(found):
        return ()
    found = os.path.realpath(found)  # SQLite follows a link; the link, there before, stays
    return tuple(found + end for end in _COMPANIONS if not os.path.exists(found + end))


def discard(url: str, made: tuple[str, ...]) -> None:
    """Remove the files in `made` (from `to_be_made`, the store's engine disposed) unless the
    database now holds a case."""
    if not made or (os.path.exists(made[0]) and _holds_a_case(url, made)):
        return
    for path in made:
        with contextlib.suppress(OSError):  # gone already, or not ours to remove after all
            os.remove(path)


def _holds_a_case(url: str, made: tuple[str, ...]) -> bool:
    """Whether the database at `url` holds a case; True when it cannot be told, so that
    nothing is removed on a guess."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("rfsm_cases"):
                return False
            found = connection.execute(text("SELECT 1 FROM rfsm_cases LIMIT 1")).first()
            return found is not None
    except Exception:  # whatever the database says, keep the file, unless read as it is
        return _file_holds_a_case(made)
    finally:
        engine.dispose()


def _file_holds_a_case(made: tuple[str, ...]) -> bool:
    """Whether the SQLite file the command made (`made[0]`) holds a case, read as it is on
    disk, when its `-wal`, made by the command too, holds nothing: a full disk that refused
    the `-shm` its connections need refuses the check through them as well (review NS, NS2).
    True when that cannot be told."""
    import sqlite3  # here: the command line's start-up loads no driver (review RR2, RR21)

    wal = made[0] + "-wal"
    if wal not in made or (os.path.exists(wal) and os.path.getsize(wal) > 0):
        return True  # committed pages may be in the -wal, which only a connection reads
    try:
        uri = f"{Path(made[0]).as_uri()}?immutable=1"  # no -shm, no -wal, no lock
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            if not connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rfsm_cases'"
            ).fetchone():
                return False
            return connection.execute("SELECT 1 FROM rfsm_cases LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return True
