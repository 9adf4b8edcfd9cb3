"""SQLite settings for a store's engine: our own BEGIN (IMMEDIATE for writes), WAL, fsync, and
a database file readable by its owner only.

pysqlite's own transaction handling is switched off and SQLAlchemy's `begin` event emits
BEGIN instead (the recipe in SQLAlchemy's SQLite dialect documentation), so that a write
transaction takes the write lock at its start and waits up to the busy timeout for it.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import warnings
import weakref
from typing import Any, NoReturn
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import URL, Connection, Engine, event

from reintegration_fsm import files
from reintegration_fsm.errors import StoreError

WRITE = "rfsm_sqlite_begin"
"""Execution option naming the BEGIN mode of a write transaction."""

READ_ALONE = "rfsm_sqlite_read_alone"
"""Execution option: no BEGIN for the connection's reads; each runs in its own read transaction,
or in the one a statement still stepping on the connection holds. A streaming read's own
connection, which an in-memory database shares with every other use in its thread: a BEGIN
held there until the stream ends would refuse their own."""

CHECKPOINT_WAIT_MS = 200
"""How long one checkpoint waits for a reader holding an older snapshot, or a writer holding
the lock, before it gives up (`SqlAlchemyStore` tries again until its `busy_timeout`)."""

_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


class FileRefused(StoreError):
    """A SQLite file the store will not open (another user's, or one a link of theirs leads
    to, or one it would read only in part): never retryable, and its message says what to do
    on the user's own machine, where there is no database administrator to ask."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def configure(engine: Engine, *, durable: bool, busy_timeout: float) -> None:
    """Install the connect and begin hooks on a SQLite engine (once per engine)."""
    if engine in _configured:
        return
    _configured.add(engine)
    synchronous = "FULL" if durable else "NORMAL"
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from pysqlite; `_begin` below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # A redaction's old page is overwritten, not left in the file's free space with the
            # values and payload keys it removed (many builds have this on; some do not).
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(READ_ALONE):
            return
        mode = options.get(WRITE)
        connection.exec_driver_sql(f"BEGIN {mode}" if mode else "BEGIN")

    # Connections pooled before the hooks were installed would keep pysqlite's handling.
    engine.dispose()


def private_file(url: URL) -> None:
    """Make the database file of `url` readable and writable by its owner only (0600).

    SQLite would create it with the process's umask (0644 as a rule); it creates the `-wal`,
    `-shm` and journal files with the database file's own mode, so they follow. A file that
    does not exist yet is created 0600; an empty one (what merely connecting to a new path
    leaves, as an inspection before `upgrade()` does) is made 0600; a database that holds
    anything keeps its mode. A `file:` URI's file is treated the same, unless its `mode` (`ro`,
    `rw`) or `immutable` says SQLite must not create it: then it is neither made nor changed
    (nor is a URI naming another host, which SQLite refuses). An in-memory database is left
    alone. Through a symbolic link it is the file the link finally names that is made 0600
    (SQLite follows the link, and keeps the `-wal` and `-shm` beside that file). Whatever the
    URI's mode, a link another user placed on the way, or a file or journal of theirs there, is
    refused first (`refuse_planted_link`, `refuse_planted`).

    Raises:
        StoreError: `refuse_planted_link` or `refuse_planted` refuses the file.
    """
    database = url.database
    if in_memory(url) or not database:
        return
    creates = True
    if database.startswith("file:") and _given_as_uri(url):
        found = _uri_path(url)
        if found is None:
            return
        database, creates = found, _uri_creates(url)
    # Whatever the mode: `mode=rw` writes every case to a file another user placed as much as
    # a plain path does (review RI, RI1).
    refuse_planted_link(database)
    database = os.path.realpath(database)  # O_EXCL refuses any link, even one to nothing
    refuse_planted(database)
    if _uri_immutable(url):
        refuse_unread_journal(database)
    if not creates:
        return
    try:
        descriptor = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _tighten_if_empty(database)
        return
    except OSError:
        return  # SQLite will report why it cannot be created
    os.close(descriptor)


def misread_file(url: URL) -> str | None:
    """The file SQLite would open in place of `url`'s database, or None when it opens the one
    named: with `?uri=true` on a plain path and other options (`sqlite:///cases.sqlite?uri=true&
    mode=ro`), the driver is handed `cases.sqlite?mode=ro`, which SQLite opens (or makes, with
    the umask's mode) as a file of that very name, honouring no option."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # options it would ignore: not a file misread
        try:
            args, options = url.get_dialect()().create_connect_args(url)
        except Exception:  # another SQLite driver, or an option of the wrong kind: reported later
            return None
    opened = args[0] if args else None
    if (
        options.get("uri")
        and isinstance(opened, str)
        and opened != url.database
        and not opened.startswith("file:")
    ):
        return opened
    return None


def in_memory(url: URL) -> bool:
    """True when `url` names an in-memory database, which only this process can open."""
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return True
    return database.startswith("file::memory:") or (
        database.startswith("file:") and "mode=memory" in database
    )


def _given_as_uri(url: URL) -> bool:
    """True when the driver opens `url`'s database as a URI (`?uri=true`, as SQLAlchemy reads
    it); without it, `file:x.sqlite` is a plain file of that name."""
    value = url.query.get("uri", "")
    flag = value if isinstance(value, str) else value[-1]
    return flag.strip().lower() in ("true", "yes", "on", "1", "t", "y")


def _uri_creates(url: URL) -> bool:
    """Whether SQLite may create the file a `file:` URI names (no `mode=ro`, `rw`, nor
    `immutable` as `_uri_immutable` reads it: `immutable=false` or `00` creates it)."""
    return _uri_options(url).get("mode", "rwc") == "rwc" and not _uri_immutable(url)


def _uri_immutable(url: URL) -> bool:
    """Whether a `file:` URI tells SQLite its file cannot change (`immutable=1`), read as SQLite
    reads a boolean option (`getSafetyLevel`): `on`, `yes` or `true` in any case, or a value
    starting with a digit, which is the low byte of the number it starts with (`2`, `01`, `1x`
    and `0x1` are true; `256` is false). Read otherwise, `immutable=2` opened the file without
    the steps its `-wal` holds, refused for `immutable=1` (review RZ, RZ1)."""
    value = _uri_options(url).get("immutable", "0")
    if value[:1] in _DIGITS:
        return _sqlite_int32(value) & 0xFF != 0
    return value.lower() in ("on", "yes", "true")


_DIGITS = frozenset("0123456789")


def _sqlite_int32(text: str) -> int:
    """The number `text` starts with as SQLite's `sqlite3Atoi` reads it: decimal, or hex after
    `0x`; 0 when it does not fit 32 bits (more than 10 digits, 8 hex digits)."""
    hexadecimal = re.match(r"0[xX]0*([0-9a-fA-F]{0,9})", text)
    if hexadecimal is not None and len(text) > 2 and text[2] in _HEX_DIGITS:
        found = hexadecimal.group(1)
        number = int(found[:8] or "0", 16)
        return 0 if len(found) > 8 or number & 0x80000000 else number
    digits = re.match(r"0*([0-9]{0,11})", text)
    found = digits.group(1) if digits is not None else ""
    number = int(found or "0")
    return 0 if len(found) > 10 or number > 2**31 - 1 else number


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def refuse_unread_journal(database: str) -> None:
    """Refuse to open `database` as immutable beside a `-wal` that holds anything: SQLite then
    reads the file alone, without the steps the journal still holds (a store copied, or its
    writer killed, before they were written into the file), and says nothing (review LF, LF1).

    Raises:
        StoreError: the `-wal` beside it is not empty.
    """
    journal = database + "-wal"
    try:
        size = os.stat(journal).st_size
    except OSError:
        return
    if size:
        raise FileRefused(
            f"cannot read {database} with immutable=1: {journal} beside it holds steps not yet "
            "written into the file, which immutable=1 would not read: open the store once "
            "without immutable=1 where it may be written (copy it with its -wal and -shm to a "
            "folder of your own), which writes them in"
        )


def database_file(url: URL) -> str | None:
    """The path of the file `url`'s database is kept in (a `file:` URI's too, whatever its
    mode), or None: a database server's, in memory, or a URI naming another host."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or in_memory(url) or not database:
        return None
    if database.startswith("file:") and _given_as_uri(url):
        return _uri_path(url)
    return database


def _uri_options(url: URL) -> dict[str, str]:
    """A `file:` URI's options: after a `?` in the database part, or in the URL's query
    (SQLAlchemy hands them on)."""
    options = dict(parse_qsl(urlsplit(url.database or "").query))
    for key, value in url.query.items():
        options[key] = value if isinstance(value, str) else value[-1]
    return options


def _uri_path(url: URL) -> str | None:
    """The path of a `file:` URI by SQLite's rules: `file:relative`, `file:/absolute`,
    `file:///absolute` or `file://localhost/absolute`, percent-escapes decoded (None for
    another host). On Windows, `file:///C:/data/cases.db` is `C:/data/cases.db`: SQLite drops
    the `/` before a drive letter, where Python would read `/C:/...` as a folder `C:` on the
    current drive (review WN, WN6)."""
    uri = urlsplit(url.database or "")
    if uri.netloc not in ("", "localhost") or not uri.path:
        return None
    path = unquote(uri.path)
    if _WINDOWS and _SLASH_BEFORE_A_DRIVE.match(path):
        return path[1:]
    return path


_WINDOWS = sys.platform == "win32"
_SLASH_BEFORE_A_DRIVE = re.compile(r"/[A-Za-z]:(?:[/\\]|$)")
"""`/C:/...` in a URI's path: the drive of an absolute Windows path."""


COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database while it is used."""


def refuse_planted(database: str) -> None:
    """Refuse to make a store in an empty file another user owns, or beside a journal another
    user owns (neither root, nor the folder's owner, who may replace any file in it): its owner
    could read every case whatever its mode (an owner may change it), and SQLite opens such
    files as they are (a shared folder, /tmp, where another user placed them first). A store
    that holds anything is the one named, whoever owns it, except in a folder others may write
    that keeps each file its owner's (sticky, as /tmp): there one another user made (a store's
    tables and no case, say) is refused as Linux's `fs.protected_regular` refuses it, unless the
    folder is theirs (review RH, RH11). SQLite removes its `-wal` when the last connection
    closes and makes it again at the next, so one another user placed between two runs beside a
    private store (0600) is refused too (review RH, RH1).

    Raises:
        StoreError: the file is empty (or missing) and it, or a journal beside it, is another
            user's (not root's, nor the folder owner's); or it is another user's in a sticky
            shared folder not theirs; or it is a private store beside a journal of a user who
            neither runs this, nor owns it or its folder, nor is root.
    """
    if not hasattr(os, "geteuid"):
        return  # no owners of files to compare (Windows)
    try:
        found: os.stat_result | None = os.stat(database)
    except OSError:
        found = None  # missing: a new store, whose journals must be ours too
    # Root reads every file anyway, and the folder's owner may replace any file in it: an empty
    # file either made (an administrator's `install -m 660 /dev/null`) hides nothing from them
    # (review RI, RI2).
    trusted = files.trusted_owners(os.path.dirname(database))
    if found is not None and found.st_size:
        if found.st_uid not in trusted and _in_shared_folder(database):
            _refuse_file(database, found.st_uid, "open a store in", _SHARED_FOLDER, _OWN_FILE)
        if stat.S_IMODE(found.st_mode) & 0o077:
            return  # shared with a group or all: a colleague's journal is not told from another's
        _refuse_journals(database, {*trusted, found.st_uid}, "open the store in", _MOVE_STORE)
        return
    if found is not None and found.st_uid not in trusted:
        _refuse_file(database, found.st_uid, "make a store in", "the file is empty and", _OWN_FILE)
    _refuse_journals(database, trusted, "make a store in", _OWN_FILE)


def refuse_planted_link(database: str) -> None:
    """Refuse a database path through a link another user placed (`files.followed`): SQLite
    follows it itself, past Linux's `fs.protected_symlinks`, to a file in a folder of theirs,
    where they may put a store of their own, or remove ours (review RH, RH10).

    Raises:
        StoreError: a link on the way belongs to a user who is neither this one, root, nor
            its folder's owner.
    """
    found = files.followed(database)
    if found.link is not None and found.found is not None:
        raise FileRefused(
            f"cannot open a store at {database}: {found.link} is a link of another user (uid "
            f"{found.found.st_uid}), who could have placed it to have every case written where "
            "they chose: name the store's own file, in a folder of your own, not through the "
            "link"
        )


def _in_shared_folder(database: str) -> bool:
    """Whether `database` lies in a sticky folder anyone may write (/tmp): there a file of
    another user's, not the folder's owner's (`files.trusted_owners`), is one
    `fs.protected_regular` would not let this user open to write."""
    try:
        folder = os.stat(os.path.dirname(database))
    except OSError:
        return False
    # Anyone may write there (/tmp), as `fs.protected_regular` at its usual level reads it: a
    # group's sticky folder (chmod 3770) holds its members' stores on purpose.
    return bool(folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH)


_SHARED_FOLDER = "the file, in a folder anyone may write,"
"""How a refusal names another user's store in a sticky folder anyone may write (/tmp)."""

_OWN_FILE = "name a file in a folder of your own (one only you may write) instead"
"""The next step when the file named, or a journal beside it, is another user's: the store is
kept elsewhere (a SQLite file has no administrator to ask: review LF, LF2)."""

_MOVE_STORE = (
    "move the store (its file alone) to a folder of your own (one only you may write), and "
    "name it there"
)
"""The next step when another user placed a journal beside a private store: away from it."""


def _refuse_journals(database: str, owners: set[int], doing: str, step: str) -> None:
    """Refuse `database` when one of its journals (`COMPANIONS`) that exist is owned by none
    of `owners`.

    Raises:
        StoreError: naming the journal and its owner.
    """
    for end in COMPANIONS:
        try:
            owner = os.stat(database + end).st_uid
        except OSError:
            continue
        if owner not in owners:
            _refuse_file(database, owner, doing, f"{database + end} beside it", step)


def _refuse_file(database: str, owner: int, doing: str, what: str, step: str) -> NoReturn:
    """Refuse `database`: `what` (the file, a journal beside it) belongs to `owner`, another
    user; `step` says what to do instead.

    Raises:
        FileRefused: naming it, its owner and the step.
    """
    raise FileRefused(
        f"cannot {doing} {database}: {what} belongs to another user (uid {owner}), who could "
        f"read every case it would hold, whatever its mode: {step}"
    )


def _tighten_if_empty(database: str) -> None:
    try:
        found = os.stat(database)
        if found.st_size == 0 and found.st_mode & 0o077:
            os.chmod(database, 0o600)
    except OSError:
        pass  # not ours to change (another owner's): SQLite will open it as it is


def checkpoint(connection: Connection) -> bool:
    """Copy the WAL into the database file and empty it, waiting for readers and writers at
    most `CHECKPOINT_WAIT_MS`; whether it was emptied. The connection's busy timeout is restored
    after, or the connection is invalidated."""
    waits = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
    try:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {waits}")
    except BaseException:
        if not connection.invalidated:
            connection.invalidate()  # never back in the pool with the short wait
        raise
    return not busy
