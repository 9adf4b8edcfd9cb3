"""What the database refused a call for, and whether trying it again may succeed: a lost
connection or a lock, a duplicate key, the URL or its options refused, a grant lacking, a value
refused, a table or column missing."""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from reintegration_fsm.stores.driver_errors import SQLITE, codes_of, driver_error, package_of

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


def unique_violation(error: BaseException) -> bool:
    """True when the database refused a duplicate key (another writer inserted it first)."""
    driver = driver_error(error)
    sqlstate, number, sqlite_code = codes_of(driver)
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
    sqlstate, number, sqlite_code = codes_of(driver)
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
    _, number, _ = codes_of(driver)
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
    sqlstate, number, _ = codes_of(driver)
    if sqlstate is not None:
        return sqlstate == "42P01"  # undefined_table
    if number is not None:
        return number == 1146  # ER_NO_SUCH_TABLE
    # SQLite's SQLITE_ERROR covers every bad statement; its words name this one (and a table
    # name, never a row's values).
    return package_of(driver) in SQLITE and str(driver).startswith("no such table")


def missing_column(driver: BaseException) -> bool:
    """True when the statement names a column the database lacks: made by an earlier version
    and not upgraded."""
    sqlstate, number, _ = codes_of(driver)
    if sqlstate is not None:
        return sqlstate == "42703"  # undefined_column
    if number is not None:
        return number == 1054  # ER_BAD_FIELD_ERROR
    text = str(driver)
    return package_of(driver) in SQLITE and (
        text.startswith("no such column") or " has no column named " in text
    )


def permission_denied(driver: BaseException) -> bool:
    """True when the database user may not run the statement: its grants lack the right (an
    upgrade run by a user without DDL rights, a write by a read-only reporting user)."""
    sqlstate, number, _ = codes_of(driver)
    if sqlstate is not None:
        return sqlstate == "42501"  # insufficient_privilege
    if number is not None:
        return number in _MYSQL_DENIED
    return False


def data_refused(driver: BaseException) -> bool:
    sqlstate, number, sqlite_code = codes_of(driver)
    if sqlstate is not None:
        return sqlstate.startswith("22")
    if number is not None:
        return number in _MYSQL_DATA
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _SQLITE_DATA
    return False
