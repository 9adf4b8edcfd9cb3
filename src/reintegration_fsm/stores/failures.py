"""Database errors turned into the library's own, where they enter our code.

No SQLAlchemy or driver exception leaves a store: a unique-key race becomes `ConcurrentUpdate`,
a value the database refuses `FormInvalid`, anything else `StoreError`, whose `retryable` says
whether the same call may simply be tried again. The driver's error stays chained as
`__cause__`, scrubbed first: its SQL parameters hidden and the parts of its message that quote
a row's values removed (they hold children's names, dates of birth and addresses).

This module converts (`converted`, `read_back`, `translated`); what it reads of an error is
each in the module that holds its job, and re-exported here by the names stores and the command
line import:

- `driver_errors`: which errors are a database's, the driver's own behind SQLAlchemy's, its codes;
- `database_refusals`: what the database refused a call for, and whether to try it again;
- `storage_faults`: a SQLite file or a disk that refused, a server set read-only;
- `scrubbing`: a row's values kept out of an error, and what of one may be shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from reintegration_fsm.errors import (
    AlteredRow,
    ConcurrentUpdate,
    FormInvalid,
    ProtocolError,
    StoreError,
)
from reintegration_fsm.stores.database_refusals import REFUSED_URL_ADVICE as REFUSED_URL_ADVICE
from reintegration_fsm.stores.database_refusals import data_refused
from reintegration_fsm.stores.database_refusals import missing_column as missing_column
from reintegration_fsm.stores.database_refusals import missing_table as missing_table
from reintegration_fsm.stores.database_refusals import permission_denied as permission_denied
from reintegration_fsm.stores.database_refusals import refused_options as refused_options
from reintegration_fsm.stores.database_refusals import refused_url as refused_url
from reintegration_fsm.stores.database_refusals import retryable as retryable
from reintegration_fsm.stores.database_refusals import unique_violation as unique_violation
from reintegration_fsm.stores.driver_errors import DRIVERS as DRIVERS
from reintegration_fsm.stores.driver_errors import codes_of
from reintegration_fsm.stores.driver_errors import driver_error as driver_error
from reintegration_fsm.stores.driver_errors import is_database_error as is_database_error
from reintegration_fsm.stores.driver_errors import on_sqlite as on_sqlite
from reintegration_fsm.stores.scrubbing import describe as describe
from reintegration_fsm.stores.scrubbing import forget_row as forget_row
from reintegration_fsm.stores.scrubbing import scrub as scrub
from reintegration_fsm.stores.scrubbing import unquoted as unquoted
from reintegration_fsm.stores.storage_faults import DAMAGED_ADVICE as DAMAGED_ADVICE
from reintegration_fsm.stores.storage_faults import READ_ONLY_MEDIA as READ_ONLY_MEDIA
from reintegration_fsm.stores.storage_faults import damaged as damaged
from reintegration_fsm.stores.storage_faults import disk_full as disk_full
from reintegration_fsm.stores.storage_faults import read_only as read_only
from reintegration_fsm.stores.storage_faults import sqlite_cannot_open as sqlite_cannot_open
from reintegration_fsm.stores.storage_faults import sqlite_io_error as sqlite_io_error

_MYSQL_NO_DEFINER = 1449
"""MariaDB/MySQL: a trigger's DEFINER names a user the server lacks (ER_NO_SUCH_USER): a dump
restored on a server without the user who made the triggers."""


UPGRADING = "upgrade the database"
"""The action `upgrade()` converts its errors for: the migrations' own failures are told
apart from a store's (no advice to run the upgrade that failed)."""


def conflict(case_id: str, expected: int, found: int | None, message: str) -> ConcurrentUpdate:
    """A `ConcurrentUpdate` whose message says what the store found, not only the versions."""
    error = ConcurrentUpdate(case_id, expected, found)
    error.args = (message,)
    return error


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
    if data_refused(driver) and action == UPGRADING:
        return StoreError(
            f"could not {action}: the database refused a value a migration wrote ({reason}): "
            "a stored row holds what the migration cannot write; on SQLite and PostgreSQL the "
            "failed migration changed nothing, on MariaDB restore the backup taken before the "
            "upgrade",
            retryable=False,
            case_id=case_id,
        )
    if data_refused(driver):
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
    if codes_of(driver)[1] == _MYSQL_NO_DEFINER:
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
