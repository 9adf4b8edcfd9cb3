"""PostgreSQL settings for a store's engine: each connection talks UTF8, with standard
conforming strings.

A client encoding of one byte a character (`?client_encoding=WIN1252` in the URL,
`PGCLIENTENCODING` in the environment, as on a Windows server, or an engine's `connect_args`)
cannot carry a child's name holding an emoji: the driver raised its own `UnicodeEncodeError`,
and SQL_ASCII gave text as bytes, which read as rows changed behind the store. Every connection
the store's engine opens in another encoding is set to UTF8 before it is used.

A database whose server encoding is not UTF8 (LATIN1 from an older cluster's template1, or
SQL_ASCII) stores what it can: LATIN1 refused "Łucja" or an emoji as if the input were bad, and
SQL_ASCII counted a column's length in bytes. A store is not made in one (`refuse_narrow_server`);
one made before this refusal keeps working.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Connection, Engine, event

from reintegration_fsm.errors import StoreError

ENCODING = "UTF8"
"""The client encoding of every connection a store uses."""

_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def refuse_narrow_server(conn: Connection) -> None:
    """Refuse to make a store in a PostgreSQL database whose server encoding is not UTF8.

    Raises:
        StoreError: the database's encoding is another (not retryable).
    """
    if conn.dialect.name != "postgresql":
        return
    encoding = str(conn.exec_driver_sql("SHOW server_encoding").scalar())
    if encoding.upper() != ENCODING:
        raise StoreError(
            f"cannot make a store in this database: its encoding is {encoding}, which cannot "
            "hold every child's name as given (one with a letter outside that encoding or an "
            "emoji is refused, or counted in bytes against its length); nothing was made. "
            "Create the database with "
            f"ENCODING '{ENCODING}' (CREATE DATABASE ... ENCODING '{ENCODING}' TEMPLATE "
            f"template0), or dump one holding other data and restore it into such a database",
            retryable=False,
        )


def configure(engine: Engine) -> None:
    """Install the connect hook on a PostgreSQL engine (once per engine).

    Raises (from the hook, at the first call that needs a new connection):
        StoreError: a connection's encoding cannot be set to UTF8 (not retryable).
    """
    if engine in _configured:
        return
    _configured.add(engine)

    # First: before SQLAlchemy's own first look at the server, which SQL_ASCII's bytes break.
    @event.listens_for(engine, "connect", insert=True)
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        _conform_strings(dbapi_connection)
        if _encoding(dbapi_connection) == ENCODING:
            return  # the usual case: nothing to send
        set_encoding = getattr(dbapi_connection, "set_client_encoding", None)
        if callable(set_encoding):  # psycopg2, which keeps its own copy of the encoding
            set_encoding(ENCODING)
        else:  # psycopg reads the encoding the server reports back
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"SET client_encoding TO '{ENCODING}'")
            finally:
                cursor.close()
            dbapi_connection.commit()  # a SET in a transaction is undone by its rollback
        if _encoding(dbapi_connection) != ENCODING:
            # The pool closes the connection refused here (closing it first made its own close
            # fail, logged as an error, as on MariaDB).
            raise StoreError(
                "the database connection's client encoding cannot be set to UTF8, in which "
                "alone it carries every character of a child's name: remove client_encoding "
                "from the URL and PGCLIENTENCODING from the environment",
                retryable=False,
            )

    # Connections pooled before the hook was installed were not set.
    engine.dispose()


def _conform_strings(dbapi_connection: Any) -> None:
    """Set `standard_conforming_strings` on where a database, role or URL turned it off (as
    older applications ask): psycopg's COPY then wrote each hash, digest and key as the bytes
    of its escaped `\\x...` text, and `verify()` called every imported entry altered."""
    if _status(dbapi_connection, "standard_conforming_strings") in ("on", None):
        return  # the usual case (None: a driver that does not say; it escapes for itself)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET standard_conforming_strings TO on")
    finally:
        cursor.close()
    dbapi_connection.commit()  # a SET in a transaction is undone by its rollback


def _status(dbapi_connection: Any, name: str) -> str | None:
    """A parameter the server reported to psycopg (None: another driver)."""
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "parameter_status", None)
    if not callable(status):
        return None
    found = status(name)
    return found if isinstance(found, str) else None


def _encoding(dbapi_connection: Any) -> str | None:
    """The connection's client encoding as PostgreSQL names it (`UTF8`), from the driver
    (psycopg's `info`, psycopg2's `encoding`), without asking the server."""
    info = getattr(dbapi_connection, "info", None)
    status = getattr(info, "parameter_status", None)
    if callable(status):
        found = status("client_encoding")
        return found if isinstance(found, str) else None
    found = getattr(dbapi_connection, "encoding", None)
    return found if isinstance(found, str) else None
