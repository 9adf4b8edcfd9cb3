"""What the storage a database writes to refused: a SQLite file that cannot be opened, is
damaged or read-only, a server set read-only, a full disk, a disk that failed a write."""

from __future__ import annotations

import re

from reintegration_fsm.stores.driver_errors import SQLITE, codes_of, package_of

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


def sqlite_cannot_open(driver: BaseException) -> bool:
    """True for SQLite's SQLITE_CANTOPEN: a file in a folder that is missing, or not allowed."""
    _, _, sqlite_code = codes_of(driver)
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_CANTOPEN
    # Python 3.10's sqlite3 gives no code: SQLite's own words for that code, then.
    return package_of(driver) in SQLITE and str(driver) == "unable to open database file"


def damaged(driver: BaseException) -> bool:
    """True for a SQLite file that is damaged (SQLITE_CORRUPT) or no database (SQLITE_NOTADB):
    trying again meets it again."""
    _, _, sqlite_code = codes_of(driver)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_DAMAGED
    # Python 3.10's sqlite3 gives no code: SQLite's own words for those codes, then.
    return package_of(driver) in SQLITE and str(driver) in _SQLITE_DAMAGED_WORDS


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


def read_only(driver: BaseException) -> bool:
    """True when the database refuses every write: a SQLite file opened read-only (or that
    this user may not write), a server or session set read-only (a replica, say)."""
    sqlstate, number, sqlite_code = codes_of(driver)
    if sqlstate is not None:
        return sqlstate == "25006"  # read_only_sql_transaction
    if number is not None:
        return number in _MYSQL_READ_ONLY
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_READONLY
    # Python 3.10's sqlite3 gives no code: SQLite's own words for that code, then.
    return package_of(driver) in SQLITE and str(driver).startswith("attempt to write a readonly")


def disk_full(driver: BaseException) -> bool:
    """True when the disk (or the quota, or the table's space) the database writes to is full:
    SQLite's SQLITE_FULL, or its `-shm` file unable to grow; PostgreSQL's disk_full; MariaDB's
    disk or table full, or a file or storage engine refused with the system's error 28
    (ENOSPC, review RH, RH7). Trying again meets it again until someone frees space."""
    sqlstate, number, sqlite_code = codes_of(driver)
    if sqlstate is not None:
        return sqlstate == "53100"
    if number is not None:
        return number in _MYSQL_FULL or (
            number in _MYSQL_OS_ERROR and _NO_SPACE.search(str(driver)) is not None
        )
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_FULL or sqlite_code == _SQLITE_SHMSIZE
    # Python 3.10's sqlite3 gives no code: SQLite's own words for SQLITE_FULL, then.
    return package_of(driver) in SQLITE and str(driver) == "database or disk is full"


def sqlite_io_error(driver: BaseException) -> bool:
    """True when SQLite could not write (or read) its file on this machine's disk: its
    SQLITE_IOERR, as a write past a quota (EDQUOT) or past the system's size limit for a file
    (EFBIG: `ulimit -f`, a FAT32 stick's 4 GiB) is told, or a failing disk's (EIO); SQLite
    tells a full disk (ENOSPC) apart, as SQLITE_FULL (`disk_full`; review NS, NS1). Trying
    again meets it again until someone frees space or mends the disk. Not its codes for a file
    lock or memory (`_SQLITE_IOERR_NOT_DISK`), which no space freed mends."""
    sqlite_code = codes_of(driver)[2]
    if sqlite_code is not None:
        return sqlite_code & 0xFF == _SQLITE_IOERR and sqlite_code not in _SQLITE_IOERR_NOT_DISK
    # Python 3.10's sqlite3 gives no code: SQLite's own words for SQLITE_IOERR, then.
    return package_of(driver) in SQLITE and str(driver).startswith("disk I/O error")
