"""What a SQLite file named by `--db` must be before a store is opened in it: a file (or none
yet) in a folder that exists, of SQLite's kind, named as SQLite will open it."""

from __future__ import annotations

import os
import stat
import warnings

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from reintegration_fsm.cli.database_urls import shown_url
from reintegration_fsm.cli.errors import CHECK_URL, Failure
from reintegration_fsm.stores import sqlite


def refuse_unusable_file(url: str) -> None:
    """Refuse, as bad input, a SQLite path that is a folder or lies in a folder that does not
    exist, or names no file in a folder this user may not write: SQLite can only say "unable
    to open database file", which reads as a database that is down. Refuse too a database in
    memory, where a command's writes would be lost.

    Raises:
        Failure: the path names a folder, or its folder is missing, or no file is there and none
            may be made, or the database is in memory (exit 2).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    if sqlite.in_memory(parsed):
        # Each command is a process of its own: what it saved in memory is gone when it ends.
        raise Failure(
            f"--db {shown_url(url)}: a database in memory ends with the command, and every "
            "case saved in it is lost",
            ("Name a file: --db cases.sqlite, or a database server's URL.",),
        )
    _refuse_options_in_the_file_name(url)
    found = sqlite.database_file(parsed)
    if found is None:
        return
    status = _status(url, found)
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise Failure(
            f"--db {shown_url(url)}: {found} is a folder, not a SQLite database file",
            ("Name a file: --db FOLDER/cases.sqlite.",),
        )
    try:
        folder = os.path.dirname(os.path.abspath(found))
    except FileNotFoundError:  # a relative path, and the working folder removed (review RI, RI4)
        raise Failure(
            f"--db {shown_url(url)}: the folder this command runs in was removed, so a "
            "relative path names no file",
            ("Give the database's absolute path, or run the command from a folder that exists.",),
        ) from None
    holding = _status(url, folder)
    if holding is None or not stat.S_ISDIR(holding.st_mode):
        raise Failure(
            f"--db {shown_url(url)}: there is no folder {folder}",
            ("Check the path, or create the folder first.",),
        )
    if status is None and not os.access(folder, os.W_OK | os.X_OK):
        # SQLite can only say "unable to open database file", read as a database that is down.
        raise Failure(
            f"--db {shown_url(url)}: there is no file {found}, and this user may not make one "
            f"in the folder {folder}",
            ("Check the path, or name a folder this user may write.",),
        )
    if parsed.get_driver_name() == "pysqlite" and not _sqlite_or_empty(found):
        raise Failure(
            f"--db {shown_url(url)}: {found} is not a SQLite database",
            ("Check the path: it names another kind of file (a CSV, a workbook...).",),
        )


def _status(url: str, path: str) -> os.stat_result | None:
    """The status of `path` (a SQLite file or its folder), None when there is none there.

    `os.path.exists` is False too for a file in a folder this user may not enter, which was
    then reported as no store (and a store offered to be made) or no folder.

    Raises:
        Failure: a folder on the way to `path` is one this user may not enter (exit 2).
    """
    try:
        return os.stat(path)
    except PermissionError:
        closed = _closed_folder(path)
        raise Failure(
            f"--db {shown_url(url)}: this user may not read {path}"
            if closed is None
            else f"--db {shown_url(url)}: this user may not enter the folder {closed}, so may "
            f"not read {path}",
            (
                "Run the command as a user allowed to read and write the database file and "
                "its folder, or ask whoever manages the folder for that access.",
            ),
        ) from None
    except (OSError, ValueError):  # none there (or no path a file could have): as before
        return None


def _closed_folder(path: str) -> str | None:
    """The first folder on the way to `path` that this user may not enter, if one is found."""
    folder = os.path.dirname(os.path.abspath(path))
    ancestors = [folder]
    while os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        ancestors.append(folder)
    return next((each for each in reversed(ancestors) if not os.access(each, os.X_OK)), None)


SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""


def _sqlite_or_empty(path: str) -> bool:
    """False for a file that holds something other than a SQLite database, or that is no file
    (a named pipe, whose opening waited for a writer for ever; a device); True for a SQLite
    database, an empty or missing file (SQLite makes one there), a folder or a file that cannot
    be read (connecting says why)."""
    try:
        kind = os.stat(path).st_mode
    except OSError:
        return True
    if not (stat.S_ISREG(kind) or stat.S_ISDIR(kind)):
        return False
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(SQLITE_HEADER))
    except OSError:  # missing or unreadable: connecting says why
        return True
    return not start or start == SQLITE_HEADER


def _refuse_options_in_the_file_name(url: str) -> None:
    """Refuse `?uri=true` on a plain path with other options (`sqlite:///cases.sqlite?uri=true&
    mode=ro`): SQLite then opens (or makes, with the umask's mode) a file named
    `cases.sqlite?mode=ro`, not the database named, and honours no option. Refuse too the
    options SQLAlchemy would ignore with a warning (`?mode=ro` without `uri=true`).

    Raises:
        Failure: the file SQLite would open is not the one the URL names, or an option would
            be ignored (exit 2).
    """
    parsed = make_url(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # SQLAlchemy 2.1 warns of what is refused here
        try:
            dialect = parsed.get_dialect()()
            _, options = dialect.create_connect_args(parsed)
        except Exception:  # another SQLite driver, or an option of the wrong kind: reported later
            return
    ignored = sorted(set(parsed.query) - _PYSQLITE_OPTIONS)
    if isinstance(dialect, SQLiteDialect_pysqlite) and not options.get("uri") and ignored:
        # `?mode=ro` without uri=true: the database would be opened read-write (SQLAlchemy
        # drops such options, with a warning from 2.1 on, without one before).
        raise Failure(
            f"--db {shown_url(url)}: SQLite would ignore the URL's options",
            (
                f"Query string argument(s) {', '.join(map(repr, ignored))} are not accepted by "
                "the pysqlite driver and would be ignored; SQLite URI arguments need uri=true too",
                CHECK_URL,
            ),
        )
    opened = sqlite.misread_file(parsed)
    if opened is not None:
        raise Failure(
            f"--db {shown_url(url)}: with uri=true SQLite would open a file named {opened!r}, "
            "not the database named",
            ("Give the database as a file: URI: sqlite:///file:PATH?mode=ro&uri=true.",),
        )


def wal_left_behind(url: str) -> tuple[str, ...]:
    """Why a SQLite file in WAL mode may hold no store: it was copied without its `-wal` file,
    which held what was written since its last checkpoint (review BK, BK6); else nothing."""
    found = sqlite.database_file(make_url(url))
    if found is None or _size_of(f"{found}-wal"):
        return ()
    try:
        with open(found, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return ()
    if header[:16] != b"SQLite format 3\x00" or header[18:20] != b"\x02\x02":  # not WAL
        return ()
    return (
        "The file is in WAL mode and has no -wal file beside it: a copy of a store in use "
        "must take its -wal file with it, or be made by sqlite3's .backup (docs/stores.md, "
        "Backups and restores).",
    )


def _size_of(path: str) -> int:
    """The size of the file at `path`; 0 when there is none."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


EMPTY_FILE = (
    "The file is empty: no store was made in it. A first `import`, `db upgrade` or `apply ... "
    "open` stopped before it made one leaves such a file; run that command again."
)
"""Why an empty SQLite file holds no store (a read command leaves it as it is)."""


def empty_file(url: str) -> bool:
    """True when `url` names a SQLite file that is empty, with no `-wal` holding anything
    beside it: what a first making stopped at its start leaves."""
    found = sqlite.database_file(make_url(url))
    if found is None:
        return False
    status = _status(url, found)
    return status is not None and status.st_size == 0 and not _size_of(f"{found}-wal")


def missing_file(url: str) -> bool:
    """True when `url` names a SQLite file that does not exist (connecting would make it)."""
    found = sqlite.database_file(make_url(url))
    return found is not None and _status(url, found) is None


_PYSQLITE_OPTIONS = frozenset(
    {"uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements"}
)
"""The URL options SQLAlchemy's pysqlite dialect passes to the driver (the rest need uri=true)."""


def database_files(url: str) -> tuple[str, ...]:
    """The files of the SQLite database at `url` (its journals too); none for a server's."""
    found = sqlite.database_file(make_url(url))
    if found is None:
        return ()
    # SQLite keeps the journals beside the file a link names, not beside the link.
    real = os.path.realpath(found)
    return (found, *(real + suffix for suffix in ("-wal", "-shm", "-journal")))
