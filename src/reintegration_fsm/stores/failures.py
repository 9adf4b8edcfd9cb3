"""Database errors turned into the library's own, where they enter our code.

No SQLAlchemy or driver exception leaves a store: a unique-key race becomes `ConcurrentUpdate`,
a value the database refuses `FormInvalid`, anything else `StoreError`, whose `retryable` says
whether the same call may simply be tried again. The driver's error stays chained as
`__cause__`, scrubbed first: its SQL parameters hidden and the parts of its message that quote
a row's values removed (they hold children's names, dates of birth and addresses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeout,
)

from reintegration_fsm.errors import (
    AlteredRow,
    ConcurrentUpdate,
    FormInvalid,
    ProtocolError,
    StoreError,
)

DRIVERS = frozenset(
    {"sqlite3", "_sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql", "mariadb"}
)
"""Top-level modules whose exceptions are a database driver's."""

_DRIVER_CODE = DRIVERS | {"psycopg_c", "psycopg_binary", "sqlalchemy"}
"""Top-level modules whose code is a driver's, or SQLAlchemy's around it (psycopg's compiled
adapters among them): where a `UnicodeError` raised is the connection's, not a row's."""

# PostgreSQL SQLSTATEs worth retrying as they are: serialization failure, deadlock, lock not
# available, the statement cancelled (`pg_cancel_backend`, `statement_timeout`: MariaDB's
# query interrupted, as `KILL QUERY` and `max_statement_time` give it), the server shutting down
# or terminating the backend, too many connections, and the session ended by the server's
# `idle_in_transaction_session_timeout` (a slow reader of `load_all()`'s stream) or
# `idle_session_timeout`: the next connection is a new one.
_PG_RETRY = frozenset(
    {
        *("40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "57P05"),
        *("53300", "53400", "25P03"),
    }
)
# MariaDB/MySQL: lock wait timeout, deadlock, cannot connect, server gone away, connection lost
# or killed, server shutdown, too many connections, query interrupted (`KILL QUERY`; MariaDB's
# `max_statement_time`, MySQL's `max_execution_time`), network read/write.
_MYSQL_RETRY = frozenset(
    {
        *(1040, 1053, 1158, 1159, 1160, 1161, 1205, 1213, 1317, 1927, 1969),
        *(2002, 2003, 2006, 2013, 2055, 3024),
    }
)
# MariaDB/MySQL: a value too long, out of range, truncated or not valid in its column's type.
_MYSQL_DATA = frozenset({1153, 1264, 1265, 1292, 1300, 1366, 1367, 1406, 3988})
# MariaDB/MySQL: access to the database denied, the user or password refused, no such database.
_MYSQL_REFUSED = frozenset({1044, 1045, 1049, 1698})
# MariaDB/MySQL: a statement the user's grants do not allow: on a table (ER_TABLEACCESS_DENIED),
# a column, a privilege such as SUPER (ER_SPECIFIC_ACCESS_DENIED), or a trigger's creation
# while binary logging is on without it (ER_BINLOG_CREATE_ROUTINE_NEED_SUPER).
_MYSQL_DENIED = frozenset({1142, 1143, 1227, 1419})
_MYSQL_NO_DEFINER = 1449
"""MariaDB/MySQL: a trigger's DEFINER names a user the server lacks (ER_NO_SUCH_USER): a dump
restored on a server without the user who made the triggers."""
# PostgreSQL's refusals at connect carry no SQLSTATE through psycopg: their words tell them from
# a lost connection (no such database or role, the password or pg_hba.conf refusing).
_PG_REFUSED = re.compile(r"FATAL: .*(does not exist|authentication failed|no pg_hba\.conf entry)")
# Refusals of a URL's connection options, which psycopg raises without a SQLSTATE: libpq's, of
# a value it does not know (`invalid sslmode value`, `invalid integer value ... for connection
# option`), or of a server that cannot give what the options require (SSL, GSSAPI encryption);
# and the server's own FATAL refusal of a startup parameter the URL sets (`?client_encoding=`,
# `?options=-c name=value`): a value it does not take (`invalid value for parameter`, `1 kB is
# outside the valid range for parameter`, `parameter "x" requires a Boolean value`), a name it
# does not know, a parameter that cannot be set at connect or by this user, or the options'
# own form (`-c nosuch requires a value`, `--bogus requires a value`, `invalid command-line
# argument for server process`). The server sends a SQLSTATE with each (22023, 42704, 42601,
# 55P02, 42501), but libpq gives no SQLSTATE of an error before the connection is made, so
# psycopg has none to give; the lost connection, too many connections and a server starting
# up, all worth retrying, are FATALs in other words.
_PG_WRONG_OPTION = re.compile(
    r"^connection is bad: (?:.* failed: )?invalid |but SSL was required|GSSAPI encryption required"
    r"|authentication method requirement \S+ failed|channel binding required"
    r"|FATAL: +(?:invalid value for parameter|unrecognized configuration parameter"
    r"|parameter \"[^\"]*\" (?:cannot be changed|requires a \w+ value)"
    r"|permission denied to set parameter|.* is outside the valid range for parameter "
    r"|-(?:c +)?\S* requires a value|invalid command-line argument for server process)"
)
_SQLITE_RETRY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_DATA = frozenset({18, 20})  # SQLITE_TOOBIG, SQLITE_MISMATCH
_SQLITE_UNIQUE = frozenset({1555, 2067})  # SQLITE_CONSTRAINT_PRIMARYKEY, _UNIQUE
_SQLITE_CANTOPEN = 14
_SQLITE_READONLY = 8
_SQLITE_DAMAGED = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_SQLITE_FULL = 13
_SQLITE_SHMSIZE = 4874  # SQLITE_IOERR_SHMSIZE: the -shm beside the file could not grow
_SQLITE_IOERR = 10
_SQLITE_IOERR_NOT_DISK = frozenset({2058, 2314, 2826, 3082, 3594, 3850, 5130})
"""SQLITE_IOERR_UNLOCK, _RDLOCK, _BLOCKED, _NOMEM, _CHECKRESERVEDLOCK, _LOCK, _SHMLOCK: a file
lock the file system failed to take or release, or memory SQLite could not have; no write the
disk refused, so no space or quota to free (review RR2, RR22)."""
_MYSQL_FULL = frozenset({1021, 1114})  # ER_DISK_FULL, ER_RECORD_FILE_FULL ("The table is full")
_MYSQL_OS_ERROR = frozenset({3, 1026, 1030})  # a file not written, ER_ERROR_ON_WRITE, ER_GET_ERRNO
_NO_SPACE = re.compile(r"\b(?:error|errcode|errno):? 28\b", re.IGNORECASE)
"""ENOSPC as MariaDB quotes the system's error: 'Got error 28 "No space left on device" from
storage engine', 'Error writing file ... (Errcode: 28 "No space left on device")'."""
_SQLITE_DAMAGED_WORDS = ("database disk image is malformed", "file is not a database")
_MYSQL_READ_ONLY = frozenset({1290, 1792, 1836})
"""--read-only (ER_OPTION_PREVENTS_STATEMENT), a read-only transaction, read-only mode."""
_SQLITE = frozenset({"sqlite3", "_sqlite3"})
"""The packages of SQLite's driver errors."""
_QUOTED_VALUE = re.compile(r"((?:entry|value:?) )'(?:[^'\\]|\\.)*'")


UPGRADING = "upgrade the database"
"""The action `upgrade()` converts its errors for: the migrations' own failures are told
apart from a store's (no advice to run the upgrade that failed)."""


def conflict(case_id: str, expected: int, found: int | None, message: str) -> ConcurrentUpdate:
    """A `ConcurrentUpdate` whose message says what the store found, not only the versions."""
    error = ConcurrentUpdate(case_id, expected, found)
    error.args = (message,)
    return error


def is_database_error(error: BaseException) -> bool:
    """True for SQLAlchemy's exceptions and any database driver's; and for a `UnicodeError`
    a driver raised (a text its connection cannot carry), which is Python's own."""
    if isinstance(error, SQLAlchemyError) or _package(error) in DRIVERS:
        return True
    return isinstance(error, UnicodeError) and _raised_in_driver(error)


def _raised_in_driver(error: BaseException) -> bool:
    """True when the innermost frame of the error's traceback is a driver's or SQLAlchemy's
    (the library's own decoding of a row changed behind the store raises in its own code)."""
    frame = error.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    module = str(frame.tb_frame.f_globals.get("__name__", ""))
    return module.partition(".")[0] in _DRIVER_CODE


def _package(error: BaseException) -> str:
    """The top-level package of the error's class (`sqlite3`, `psycopg`, `pymysql`...)."""
    return type(error).__module__.partition(".")[0]


@contextmanager
def converted(action: str, case_id: str | None = None) -> Iterator[None]:
    """Run a store operation, turning any database error into the library's own.

    Args:
        action: what was being done, for the message ("save case 'c-1'").
        case_id: the case concerned, for a `ConcurrentUpdate` or a `StoreError`'s `case_id`.
    """
    try:
        yield
    except ProtocolError as error:
        # A refusal raised over a database error (a row lock refused, a unique-key race) chains
        # it: that error quotes the statement's parameters and the refused row.
        chained = error.__cause__ or error.__context__
        if chained is not None:
            scrub(chained)
        raise
    except Exception as error:
        if not is_database_error(error):
            raise
        raise translated(error, action, case_id) from error


ALTERED = "a stored row does not read as the store writes it"
"""What a row changed behind the store is, when reading it back fails."""
UNREADABLE_ROW = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)
"""What Python raises decoding such a row: data that is not JSON (or nested past Python's
depth), a seq or a date that is no number or day, a kind that is no word of the protocol's."""


@contextmanager
def read_back(action: str, case_id: str | None = None) -> Iterator[None]:
    """Read rows the store wrote, as `converted` runs an operation, and turn what decoding a
    row changed behind it raises into an `AlteredRow`, a `StoreError` that says so (a refusal
    of the protocol's passes unchanged).

    Args:
        action: what was being done, for the message ("load case 'c-1'").
        case_id: the case concerned, for the `StoreError`'s `case_id`.
    """
    try:
        with converted(action, case_id):
            yield
    except ProtocolError:
        raise
    except UNREADABLE_ROW as error:
        forget_row(error)
        raise AlteredRow(
            f"could not {action}: {ALTERED} ({unquoted(error)}): it was changed behind "
            "the store; run verify, which names it, and restore it from a backup",
            case_id=case_id,
        ) from error


def unquoted(error: BaseException) -> str:
    """What a decoding error says without the row it read: a JSON error's class, message and
    position; another's class alone (its message may quote the value: `int()`'s, a date's)."""
    if isinstance(error, json.JSONDecodeError):
        return f"JSONDecodeError: {error.msg} at line {error.lineno}, column {error.colno}"
    return type(error).__name__


def forget_row(error: BaseException) -> None:
    """Drop the text a decoding error read, from it and from each error it chains: an
    `AlteredRow` chains it, and a logged traceback (`logging.exception`, an error tracker)
    prints or sends each error of a chain, with the child's personal data the row holds (a
    JSON error keeps the whole row as `doc`; `int()` or a date's quotes the value). A JSON
    error keeps its message and position, a recursion error its message; another is left its
    class alone (review LF, LF3)."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, json.JSONDecodeError):
            found.doc = ""
        elif isinstance(found, UnicodeDecodeError):
            found.object = b""
        elif isinstance(found, UnicodeError):
            found.args = ()
            if isinstance(found, UnicodeEncodeError | UnicodeTranslateError):
                found.object = ""
        elif not isinstance(found, RecursionError):
            found.args = ()
        found = found.__cause__ or found.__context__


def driver_error(error: BaseException) -> BaseException:
    """The driver's own exception behind a SQLAlchemy one (or `error` itself)."""
    if isinstance(error, StatementError) and error.orig is not None:
        return error.orig
    return error


def unique_violation(error: BaseException) -> bool:
    """True when the database refused a duplicate key (another writer inserted it first)."""
    driver = driver_error(error)
    sqlstate, number, sqlite_code = _codes(driver)
    if sqlstate is not None:
        return sqlstate == "23505"
    if number is not None:
        return number in (1062, 1586)
    if sqlite_code is not None:
        return sqlite_code in _SQLITE_UNIQUE
    return "UNIQUE constraint failed" in str(driver)


def retryable(error: BaseException) -> bool:
    """True when trying the same call again may succeed: a lock, a deadlock, a lost connection."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (PoolTimeout, DisconnectionError)):
        return True
    driver = driver_error(error)
    if refused_url(driver) or refused_options(error):
        return False
    sqlstate, number, sqlite_code = _codes(driver)
    if sqlstate is not None:
        return sqlstate in _PG_RETRY or sqlstate.startswith("08")
    if number is not None:
        return number in _MYSQL_RETRY
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_RETRY
    if any(
        kind.__name__ == "OperationalError" and kind.__module__.startswith("psycopg")
        for kind in type(driver).__mro__
    ):
        return True  # no SQLSTATE: the connection itself failed (timed out, say)
    text = str(driver)
    return "database is locked" in text or "database table is locked" in text


REFUSED_URL_ADVICE = (
    "database name, user and password, and that the server's access rules (PostgreSQL's "
    "pg_hba.conf, MariaDB's grants for user@host) admit that user from this host; trying "
    "again as it is will not work"
)
"""What to check when the server refused a URL (the store's message and the CLI's advice)."""


def refused_url(driver: BaseException) -> bool:
    """True when the server refused the URL itself: no such database or user, a password or
    an access rule refusing it. Trying again cannot succeed."""
    _, number, _ = _codes(driver)
    if number is not None:
        return number in _MYSQL_REFUSED
    return type(driver).__module__.startswith("psycopg") and bool(_PG_REFUSED.search(str(driver)))


def refused_options(error: BaseException | None) -> bool:
    """True when the driver, connecting, refused the URL's connection options: psycopg's
    ProgrammingError (`invalid connection option`, `bad value for connect_timeout`), libpq's
    `invalid sslmode value` (psycopg's `connection is bad: invalid ...`), an `sslmode`
    that requires SSL of a server without it, or the server refusing a startup parameter
    (`FATAL: invalid value for parameter "client_encoding"`). Not a statement's error, nor an
    unreachable server: trying again cannot succeed."""
    if not isinstance(error, DBAPIError) or error.statement is not None or error.orig is None:
        return False
    if isinstance(error, ProgrammingError):
        return True
    return isinstance(error, OperationalError) and bool(_PG_WRONG_OPTION.search(str(error.orig)))


def missing_table(driver: BaseException) -> bool:
    """True when the statement names a table the database lacks: no schema made, or too old."""
    sqlstate, number, _ = _codes(driver)
    if sqlstate is not None:
        return sqlstate == "42P01"  # undefined_table
    if number is not None:
        return number == 1146  # ER_NO_SUCH_TABLE
    # SQLite's SQLITE_ERROR covers every bad statement; its words name this one (and a table
    # name, never a row's values).
    return _package(driver) in _SQLITE and str(driver).startswith("no such table")


def missing_column(driver: BaseException) -> bool:
    """True when the statement names a column the database lacks: made by an earlier version
    and not upgraded."""
    sqlstate, number, _ = _codes(driver)
    if sqlstate is not None:
        return sqlstate == "42703"  # undefined_column
    if number is not None:
        return number == 1054  # ER_BAD_FIELD_ERROR
    text = str(driver)
    return _package(driver) in _SQLITE and (
        text.startswith("no such column") or " has no column named " in text
    )


def sqlite_cannot_open(driver: BaseException) -> bool:
    """True for SQLite's SQLITE_CANTOPEN: a file in a folder that is missing, or not allowed."""
    _, _, sqlite_code = _codes(driver)
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_CANTOPEN
    # Python 3.10's sqlite3 gives no code: SQLite's own words for that code, then.
    return _package(driver) in _SQLITE and str(driver) == "unable to open database file"


def damaged(driver: BaseException) -> bool:
    """True for a SQLite file that is damaged (SQLITE_CORRUPT) or no database (SQLITE_NOTADB):
    trying again meets it again."""
    _, _, sqlite_code = _codes(driver)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_DAMAGED
    # Python 3.10's sqlite3 gives no code: SQLite's own words for those codes, then.
    return _package(driver) in _SQLITE and str(driver) in _SQLITE_DAMAGED_WORDS


DAMAGED_ADVICE = (
    "restore it from a backup (the sqlite3 shell's `PRAGMA integrity_check` says what is "
    "damaged); trying again will not help"
)
"""What to do about a damaged SQLite file (the store's message and the CLI's advice)."""

READ_ONLY_MEDIA = (
    "to only read a store on read-only media (a folder or disk no one may write), name it as a "
    "file: URI with immutable=1 (sqlite:///file:/path/to/cases.sqlite?immutable=1&uri=true)"
)
"""How to read a SQLite store whose folder no one may write: SQLite opens it in WAL mode only
where it may make the `-shm` beside it, unless told the file cannot change (review LF, LF1)."""


def on_sqlite(driver: BaseException) -> bool:
    """True when the driver's error is SQLite's: a file on this machine, with no server."""
    return _package(driver) in _SQLITE


def read_only(driver: BaseException) -> bool:
    """True when the database refuses every write: a SQLite file opened read-only (or that
    this user may not write), a server or session set read-only (a replica, say)."""
    sqlstate, number, sqlite_code = _codes(driver)
    if sqlstate is not None:
        return sqlstate == "25006"  # read_only_sql_transaction
    if number is not None:
        return number in _MYSQL_READ_ONLY
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_READONLY
    # Python 3.10's sqlite3 gives no code: SQLite's own words for that code, then.
    return _package(driver) in _SQLITE and str(driver).startswith("attempt to write a readonly")


def disk_full(driver: BaseException) -> bool:
    """True when the disk (or the quota, or the table's space) the database writes to is full:
    SQLite's SQLITE_FULL, or its `-shm` file unable to grow; PostgreSQL's disk_full; MariaDB's
    disk or table full, or a file or storage engine refused with the system's error 28
    (ENOSPC, review RH, RH7). Trying again meets it again until someone frees space."""
    sqlstate, number, sqlite_code = _codes(driver)
    if sqlstate is not None:
        return sqlstate == "53100"
    if number is not None:
        return number in _MYSQL_FULL or (
            number in _MYSQL_OS_ERROR and _NO_SPACE.search(str(driver)) is not None
        )
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_FULL or sqlite_code == _SQLITE_SHMSIZE
    # Python 3.10's sqlite3 gives no code: SQLite's own words for SQLITE_FULL, then.
    return _package(driver) in _SQLITE and str(driver) == "database or disk is full"


def sqlite_io_error(driver: BaseException) -> bool:
    """True when SQLite could not write (or read) its file on this machine's disk: its
    SQLITE_IOERR, as a write past a quota (EDQUOT) or past the system's size limit for a file
    (EFBIG: `ulimit -f`, a FAT32 stick's 4 GiB) is told, or a failing disk's (EIO); SQLite
    tells a full disk (ENOSPC) apart, as SQLITE_FULL (`disk_full`; review NS, NS1). Trying
    again meets it again until someone frees space or mends the disk. Not its codes for a file
    lock or memory (`_SQLITE_IOERR_NOT_DISK`), which no space freed mends."""
    sqlite_code = _codes(driver)[2]
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_IOERR and sqlite_code not in _SQLITE_IOERR_NOT_DISK
    # Python 3.10's sqlite3 gives no code: SQLite's own words for SQLITE_IOERR, then.
    return _package(driver) in _SQLITE and str(driver).startswith("disk I/O error")


def permission_denied(driver: BaseException) -> bool:
    """True when the database user may not run the statement: its grants lack the right (an
    upgrade run by a user without DDL rights, a write by a read-only reporting user)."""
    sqlstate, number, _ = _codes(driver)
    if sqlstate is not None:
        return sqlstate == "42501"  # insufficient_privilege
    if number is not None:
        return number in _MYSQL_DENIED
    return False


def _data_refused(driver: BaseException) -> bool:
    sqlstate, number, sqlite_code = _codes(driver)
    if sqlstate is not None:
        return sqlstate.startswith("22")
    if number is not None:
        return number in _MYSQL_DATA
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_DATA
    return False


def translated(error: BaseException, action: str, case_id: str | None = None) -> ProtocolError:
    """The library's error for a database error met while doing `action`."""
    scrub(error)
    driver = driver_error(error)
    reason = describe(driver)
    if unique_violation(error):
        return conflict(
            case_id or "",
            0,
            None,
            f"could not {action}: another writer stored the same case at the same moment "
            f"({reason}); load it again and retry",
        )
    if isinstance(driver, UnicodeError):
        return StoreError(
            f"could not {action}: the database connection cannot carry a character of the "
            f"text ({reason}): the store's connections must be in utf8mb4 (MariaDB) or UTF8 "
            "(PostgreSQL)",
            retryable=False,
            case_id=case_id,
        )
    if _data_refused(driver) and action == UPGRADING:
        return StoreError(
            f"could not {action}: the database refused a value a migration wrote ({reason}): "
            "a stored row holds what the migration cannot write; on SQLite and PostgreSQL the "
            "failed migration changed nothing, on MariaDB restore the backup taken before the "
            "upgrade",
            retryable=False,
            case_id=case_id,
        )
    if _data_refused(driver):
        return FormInvalid(
            "case", "values", f"the database refused a value while trying to {action} ({reason})"
        )
    if refused_url(driver):
        return StoreError(
            f"could not {action}: the server refused the connection ({reason}): check the URL's "
            f"{REFUSED_URL_ADVICE}",
            retryable=False,
            case_id=case_id,
        )
    if refused_options(error):
        return StoreError(
            f"could not {action}: the database refused the URL's connection options "
            f"({reason}): check the options after `?` (an `sslmode` this server supports, say); "
            "trying again as it is will not work",
            retryable=False,
            case_id=case_id,
        )
    if missing_table(driver):
        return StoreError(
            f"could not {action}: a table of the store is missing ({reason}): make the tables "
            "with create_schema(), or bring a database made by an earlier version up to date "
            "with upgrade(url) (`reintegration-fsm db upgrade`)",
            retryable=False,
            case_id=case_id,
        )
    if missing_column(driver) and action == UPGRADING:
        return StoreError(
            f"could not {action}: a column a migration expected is missing ({reason}): the "
            "tables are not at the revision the database's version table names (it was restored "
            "or copied apart from them, or they were altered); restore the tables and the "
            "version table together, from one backup",
            retryable=False,
            case_id=case_id,
        )
    if missing_column(driver):
        return StoreError(
            f"could not {action}: a column of the store is missing ({reason}): the database "
            "was made by an earlier version; run upgrade(url) (`reintegration-fsm db "
            "upgrade`) once",
            retryable=False,
            case_id=case_id,
        )
    if sqlite_cannot_open(driver):
        return StoreError(
            f"could not {action}: the SQLite database file cannot be opened ({reason}): its "
            "folder must exist, and the file and folder be readable and writable by this user; "
            f"{READ_ONLY_MEDIA}",
            retryable=False,
            case_id=case_id,
        )
    if damaged(driver):
        return StoreError(
            f"could not {action}: the SQLite database file is damaged ({reason}): {DAMAGED_ADVICE}",
            retryable=False,
            case_id=case_id,
        )
    if read_only(driver) and on_sqlite(driver):
        return StoreError(
            f"could not {action}: the database refuses writes: it is read-only ({reason}): "
            "name a SQLite file (and its folder) this user may write, or a URL without mode=ro "
            f"or immutable=1; {READ_ONLY_MEDIA}",
            retryable=False,
            case_id=case_id,
        )
    if read_only(driver):
        return StoreError(
            f"could not {action}: the database refuses writes: it is read-only ({reason}): "
            "name a database this user may write (not a replica)",
            retryable=False,
            case_id=case_id,
        )
    if disk_full(driver):
        return StoreError(
            f"could not {action}: the disk the database writes to is full ({reason}): free "
            "space there (or raise its quota), then try again",
            retryable=False,
            case_id=case_id,
        )
    if sqlite_io_error(driver):
        return StoreError(
            f"could not {action}: this machine's disk refused a write to the SQLite "
            f"database's file (or a read of it) ({reason}): the disk or its quota may be "
            "full, the file at the system's size limit for a file (`ulimit -f`, 4 GiB on a "
            "FAT32 stick), or the disk failing; free space there (or raise the quota or the "
            "limit), check the disk, then try again",
            retryable=False,
            case_id=case_id,
        )
    if _codes(driver)[1] == _MYSQL_NO_DEFINER:
        return StoreError(
            f"could not {action}: the log's triggers run as a database user this server does "
            f"not have ({reason}): they were restored from a dump made where that user exists; "
            "restore them without their DEFINER clauses, so that they run as the user who "
            "restores them (docs/stores.md, Backups and restores)",
            retryable=False,
            case_id=case_id,
        )
    if permission_denied(driver):
        if action == UPGRADING:
            advice = (
                f"the database user may not change the store's tables (permission denied: "
                f"{reason}): run the upgrade as a user allowed to create, alter and drop them "
                "and their indexes and triggers (on PostgreSQL, the tables' owner); run again "
                "so, it finishes what this one began"
            )
        else:
            advice = (
                f"the database user is not allowed to (permission denied: {reason}): use a "
                "user granted SELECT, INSERT, UPDATE and DELETE on the store's tables (and, to "
                "make them, the right to create tables)"
            )
        return StoreError(f"could not {action}: {advice}", retryable=False, case_id=case_id)
    if retryable(error):
        return StoreError(
            f"could not {action}: the database was busy or the connection was lost ({reason}); "
            f"the same call may be tried again",
            retryable=True,
            case_id=case_id,
        )
    return StoreError(
        f"could not {action}: the database failed ({reason})", retryable=False, case_id=case_id
    )


def describe(driver: BaseException) -> str:
    """The error's class and code, never its text (which may quote a row's values); and the
    constraint a refused row broke, by the name the schema gives it, where the database says
    (review LG, LG5: "CheckViolation, SQLSTATE 23514" alone did not say which)."""
    sqlstate, number, sqlite_code = _codes(driver)
    name = f"{type(driver).__module__}.{type(driver).__name__}"
    broken = _broken_constraint(driver)
    if sqlstate is not None:
        return f"{name}, SQLSTATE {sqlstate}{broken}"
    if number is not None:
        return f"{name}, error {number}{broken}"
    if sqlite_code is not None:
        return f"{name}, {getattr(driver, 'sqlite_errorname', sqlite_code)}"
    if "database is locked" in str(driver):
        return f"{name}, database is locked"
    return name


_MYSQL_CONSTRAINT = re.compile(
    r"^CONSTRAINT `([^`]{1,64})` failed for `[^`]{1,64}`\.`([^`]{1,64})`$"
)
"""MariaDB's ER_CONSTRAINT_FAILED (4025): the CHECK constraint and its table, no value."""


def _broken_constraint(driver: BaseException) -> str:
    """What names the constraint that refused a row (`, constraint "c" of table "t"`), from
    PostgreSQL's report or MariaDB's CHECK refusal, else nothing: schema names, never a row's
    values."""
    diag = getattr(driver, "diag", None) if _package(driver) == "psycopg" else None
    constraint = getattr(diag, "constraint_name", None)
    table = getattr(diag, "table_name", None)
    args = driver.args
    if _codes(driver)[1] == 4025 and len(args) == 2 and isinstance(args[1], str):
        found = _MYSQL_CONSTRAINT.match(args[1])
        if found is not None:
            constraint, table = found.groups()
    if not isinstance(constraint, str) or not constraint.isprintable():
        return ""
    if isinstance(table, str) and table.isprintable():
        return f', constraint "{constraint}" of table "{table}"'
    return f', constraint "{constraint}"'


def scrub(error: BaseException) -> None:
    """Remove SQL parameters and quoted row values from `error` and the errors it chains."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StatementError):
            current.hide_parameters = True
            # Hidden from its message only: the attribute, and a pickled copy (a worker
            # process's, a job queue's), kept them (review LG, LG2).
            current.params = None
            orig = current.orig
            if orig is not None:
                _scrub_driver(orig)
                if isinstance(current, DBAPIError):
                    current.args = (f"({type(orig).__module__}.{type(orig).__name__}) {orig}",)
        else:
            _scrub_driver(current)
        current = current.__cause__ or current.__context__


def _scrub_driver(driver: BaseException) -> None:
    # psycopg: the DETAIL of a constraint violation quotes the failing row ("Failing row
    # contains (...)"); keep the primary message only.
    diag = getattr(driver, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if isinstance(primary, str) and primary:
        driver.args = (primary,)
        _scrub_diagnostics(driver)
        return
    # MariaDB/MySQL: "Duplicate entry '...'", "Incorrect string value: '...'".
    args = driver.args
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        driver.args = (args[0], _QUOTED_VALUE.sub(r"\1'...'", args[1]))


_NAMING_FIELDS = (
    "SEVERITY",
    "SEVERITY_NONLOCALIZED",
    "SQLSTATE",
    "MESSAGE_PRIMARY",
    "SCHEMA_NAME",
    "TABLE_NAME",
    "COLUMN_NAME",
    "DATATYPE_NAME",
    "CONSTRAINT_NAME",
    "SOURCE_FILE",
    "SOURCE_LINE",
    "SOURCE_FUNCTION",
)
"""The fields of a PostgreSQL error report that name what failed, never a row's values: its
DETAIL ("Failing row contains (...)", "Key (case_id)=(...)"), HINT, CONTEXT and internal
query are left out."""


def _scrub_diagnostics(driver: BaseException) -> None:
    """Keep of a psycopg error's report (`diag`, and what a pickled copy carries) only the
    fields that name what failed: its DETAIL stayed there, quoting the refused row, after its
    message was scrubbed (review LG, LG3)."""
    if _package(driver) != "psycopg" or not hasattr(driver, "_info"):
        return
    from psycopg.pq import DiagnosticField

    diag: Any = getattr(driver, "diag", None)
    report: dict[Any, bytes] = {}
    for name in _NAMING_FIELDS:
        value = getattr(diag, name.lower(), None)
        if isinstance(value, str):
            report[DiagnosticField[name]] = value.encode("utf-8")
    reported: Any = driver  # psycopg's own attributes, which `diag` and pickling read
    reported._info = report
    reported._encoding = "utf-8"


def _codes(driver: BaseException) -> tuple[str | None, int | None, int | None]:
    """(PostgreSQL SQLSTATE, MariaDB/MySQL error number, SQLite extended result code).

    PyMySQL errors carry a SQLSTATE too, but a coarse one (23000 for every integrity error):
    MariaDB's are classified by their error number.
    """
    args = getattr(driver, "args", ())
    if _package(driver) in ("pymysql", "MySQLdb", "mysql", "mariadb"):
        if args and isinstance(args[0], int) and not isinstance(args[0], bool):
            return None, args[0], None
        return None, None, None
    sqlite_code = getattr(driver, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return None, None, sqlite_code
    sqlstate = getattr(driver, "sqlstate", None) or getattr(driver, "pgcode", None)
    if isinstance(sqlstate, str):
        return sqlstate, None, None
    return None, None, None
