"""A database error as its driver raised it: which errors are a database's, the driver's own
behind SQLAlchemy's, and its codes, read alike on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError, StatementError

DRIVERS = frozenset(
    {"sqlite3", "_sqlite3", "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysql", "mariadb"}
)
"""Top-level modules whose exceptions are a database driver's."""

_DRIVER_CODE = DRIVERS | {"psycopg_c", "psycopg_binary", "sqlalchemy"}
"""Top-level modules whose code is a driver's, or SQLAlchemy's around it (psycopg's compiled
adapters among them): where a `UnicodeError` raised is the connection's, not a row's."""


SQLITE = frozenset({"sqlite3", "_sqlite3"})
"""The packages of SQLite's driver errors."""


def is_database_error(error: BaseException) -> bool:
    """True for SQLAlchemy's exceptions and any database driver's; and for a `UnicodeError`
    a driver raised (a text its connection cannot carry), which is Python's own."""
    if isinstance(error, SQLAlchemyError) or package_of(error) in DRIVERS:
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


def package_of(error: BaseException) -> str:
    """The top-level package of the error's class (`sqlite3`, `psycopg`, `pymysql`...)."""
    return type(error).__module__.partition(".")[0]


def driver_error(error: BaseException) -> BaseException:
    """The driver's own exception behind a SQLAlchemy one (or `error` itself)."""
    if isinstance(error, StatementError) and error.orig is not None:
        return error.orig
    return error


def on_sqlite(driver: BaseException) -> bool:
    """True when the driver's error is SQLite's: a file on this machine, with no server."""
    return package_of(driver) in SQLITE


def codes_of(driver: BaseException) -> tuple[str | None, int | None, int | None]:
    """(PostgreSQL SQLSTATE, MariaDB/MySQL error number, SQLite extended result code).

    PyMySQL errors carry a SQLSTATE too, but a coarse one (23000 for every integrity error):
    MariaDB's are classified by their error number.
    """
    args = getattr(driver, "args", ())
    if package_of(driver) in ("pymysql", "MySQLdb", "mysql", "mariadb"):
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
