"""The engines a store uses: made with parameters hidden, and set up for each engine's quirks."""

from __future__ import annotations

import math
import os
import ssl
import weakref
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import mariadb, postgresql, sqlite


def open_engine(
    url_or_engine: str | URL | Engine, *, durable: bool = True, busy_timeout: float = 5.0
) -> tuple[Engine, bool]:
    """The engine for `url_or_engine`, configured; and whether it was made here.

    An engine made here hides SQL parameters in its errors and its log (they hold children's
    personal data); so does a caller's engine from then on (review LG, LG1). A SQLite database
    file made through it is readable by its owner only.

    Raises:
        StoreError: the URL cannot be read or names no installed database driver, a port or an
            option has a value of the wrong kind, or SQLite would open another file than the
            one it names.
    """
    if isinstance(url_or_engine, Engine):
        engine, made = url_or_engine, False
        # SQLAlchemy logs each statement's parameters (the child's name, date of birth, the
        # forms' free text) with `echo=True` or its `sqlalchemy.engine` logger at INFO, and
        # quotes them in its errors, unless the engine hides them (review LG, LG1).
        engine.hide_parameters = True
    else:
        try:
            url = make_url(url_or_engine)
            waits = _connect_timeouts(url, busy_timeout)
            options = _one_connection(url) or ({"connect_args": waits} if waits else {})
            engine = create_engine(url, hide_parameters=True, **options)
            made = True
        except (NoSuchModuleError, ImportError) as error:  # the first a kind of ArgumentError
            # No such dialect or driver in SQLAlchemy, or its module is not installed
            # (`mysql://` means mysqlclient's, `postgresql://` psycopg2's).
            raise StoreError(_no_driver(url.drivername), retryable=False) from error
        except ArgumentError as error:
            raise StoreError(
                "the database URL cannot be read: write it as dialect+driver://user@host/database, "
                "such as sqlite:///reintegration.sqlite or "
                "postgresql+psycopg://user@localhost/reintegration",
                retryable=False,
            ) from error
        except (ValueError, TypeError) as error:
            # The message is ours: the URL may hold a password.
            raise StoreError(
                f"the database URL is malformed ({type(error).__name__}: a port or an option "
                f"has a value of the wrong kind)",
                retryable=False,
            ) from error
    _refuse_autocommit(engine)
    configure(engine, durable=durable, busy_timeout=busy_timeout)
    _refuse_driver_autocommit(engine)
    if made:  # a caller's engine may connect through its own `do_connect` hook
        _convert_refused_options(engine, lift_read_timeout="read_timeout" in waits)
    if not (engine.dialect.name == "sqlite" and sqlite.in_memory(engine.url)):
        _forked.add(engine)
    return engine, made


_forked: weakref.WeakSet[Engine] = weakref.WeakSet()
"""The engines whose pooled connections a forked child must not use (every store's engine but
an in-memory SQLite database's, whose data lives in its one connection: the child's copy)."""


def _own_connections_in_child() -> None:
    """In a child process just forked, let each store's engine forget the parent's pooled
    connections without closing them (SQLAlchemy's `dispose(close=False)`): the child opens its
    own. A server or job queue that forks after a store was used (gunicorn `--preload`,
    Celery's prefork pool, `multiprocessing`'s fork) had parent and children speak on one
    PostgreSQL or MariaDB socket, and a save could commit half through another's transaction
    (review FK, FK1); SQLite forbids carrying an open database across a fork."""
    for engine in list(_forked):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):  # not on Windows, which never forks
    os.register_at_fork(after_in_child=_own_connections_in_child)


_DRIVERS = {
    "postgresql": ("postgresql", "postgresql+psycopg"),
    "mysql": ("mysql", "mysql+pymysql"),
    "mariadb": ("mysql", "mariadb+pymysql"),
    "sqlite": (None, "sqlite"),
}
"""Each database the store runs on: the package extra that installs its driver, and the URL
scheme that names that driver."""


def _no_driver(drivername: str) -> str:
    """Why a URL's `dialect+driver` opens nothing, and what to install or write (the scheme
    holds no password)."""
    dialect = drivername.partition("+")[0]
    known = _DRIVERS.get(dialect)
    if known is None:
        return (
            f"no database is named {dialect!r}: the store runs on sqlite, postgresql and "
            "mysql (MariaDB)"
        )
    extra, scheme = known
    install = "" if extra is None else f"pip install 'reintegration-fsm[{extra}]' and "
    return (
        f"the database driver of {drivername!r} is not installed: {install}write the URL as "
        f"{scheme}://..."
    )


FEWEST_SECONDS = 2
"""The shortest wait for a connection: libpq's own floor for `connect_timeout`."""


def _connect_timeouts(url: URL, busy_timeout: float) -> dict[str, Any]:
    """How long connecting to a database server may take (`busy_timeout` seconds, at least
    `FEWEST_SECONDS`), where the URL does not say: a server that accepts the connection and
    never answers (another kind of server on the port: PostgreSQL's waits for the client to
    speak first, as MariaDB's client does) made the store wait for ever.

    psycopg's `connect_timeout` bounds the whole connection; PyMySQL's bounds only the TCP
    connection, so its `read_timeout` bounds the server's greeting too, and is lifted once
    connected (`_convert_refused_options`): a long query waits as long as it needs.
    """
    seconds = max(FEWEST_SECONDS, math.ceil(busy_timeout))
    driver, given = url.get_driver_name(), url.query
    waits: dict[str, Any] = {}
    if driver in ("psycopg", "psycopg2", "pymysql") and "connect_timeout" not in given:
        waits["connect_timeout"] = seconds
    if driver == "pymysql" and "read_timeout" not in given:
        waits["read_timeout"] = seconds
    return waits


def _one_connection(url: URL) -> dict[str, Any]:
    """For an in-memory SQLite database: one connection, which every thread shares (the store
    takes their calls in turns, see `guard`). SQLAlchemy's default pool gives each thread a
    connection, and so a database, of its own: another thread found an empty one."""
    if url.get_backend_name() != "sqlite" or not sqlite.in_memory(url):
        return {}
    if url.get_driver_name() != "pysqlite":  # another driver's options are its own
        return {}
    return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}


REFUSED_OPTIONS = (
    ValueError,
    TypeError,
    AttributeError,
    LookupError,
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    ssl.SSLError,
)
"""What a driver raises, outside its own DB-API errors, for a connection option it cannot use
(PyMySQL: a `ValueError` for a negative timeout; an `OSError` or `ssl.SSLError` for an
`ssl_ca`, `ssl_cert` or `ssl_key` file it cannot read, before it connects: a failure while
connecting is its own `OperationalError`; its `AttributeError` for an unknown charset
never comes, as a store refuses every `charset` but utf8mb4 first, see `mariadb.configure`):
the cause of the `StoreError` a store raises for it, or for a URL that cannot be read."""


def _convert_refused_options(engine: Engine, *, lift_read_timeout: bool = False) -> None:
    """Turn a driver's refusal of the URL's connection options, raised as an ordinary Python
    error rather than a DB-API one (which SQLAlchemy leaves unwrapped), into a `StoreError`;
    with `lift_read_timeout`, lift PyMySQL's read timeout, set for the handshake alone
    (`_connect_timeouts`), from each connection made."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            connection = dialect.connect(*cargs, **cparams)
        except REFUSED_OPTIONS as error:
            # Its type only: a driver's message may quote an option's value, the password too.
            raise StoreError(
                f"the database driver refused the URL's connection options "
                f"({type(error).__name__}): check the options after `?`",
                retryable=False,
            ) from error
        if lift_read_timeout and hasattr(connection, "_read_timeout"):
            # PyMySQL reads with this timeout from its next read on (its `_current_timeout`).
            connection._read_timeout = None
        return connection


def _refuse_autocommit(engine: Engine) -> None:
    """Refuse a caller's engine whose connections run in AUTOCOMMIT: a save of several
    statements on it would commit each one alone, and one refused midway would leave the
    others written.

    Raises:
        StoreError: `isolation_level="AUTOCOMMIT"` was given to `create_engine` or to the
            engine's `execution_options`.
    """
    levels = (
        engine.get_execution_options().get("isolation_level"),
        # What `create_engine(isolation_level=...)` keeps (SQLAlchemy 2's dialect attribute).
        getattr(engine.dialect, "_on_connect_isolation_level", None),
    )
    if "AUTOCOMMIT" in levels:
        raise StoreError(
            "the engine runs in AUTOCOMMIT (isolation_level='AUTOCOMMIT'), where a save of "
            "several statements could be left half-written: give the store an engine without "
            "that option (it keeps its own short reads outside transactions where it can)",
            retryable=False,
        )


_watched: weakref.WeakSet[Engine] = weakref.WeakSet()


def _refuse_driver_autocommit(engine: Engine) -> None:
    """Refuse each connection a PostgreSQL or MariaDB engine's driver opens in autocommit
    (`autocommit=True` in `connect_args`, or in the URL's query), as it is made: the engine
    says nothing of it, and a save of several statements on it would commit each one alone.

    SQLite's driver runs in its autocommit mode by design: the store emits BEGIN itself.
    """
    if engine.dialect.name == "sqlite" or engine in _watched:
        return
    _watched.add(engine)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if _in_autocommit(dbapi_connection):
            dbapi_connection.close()
            raise StoreError(
                "the database driver opens its connections in autocommit (autocommit=True in "
                "connect_args or in the URL), where a save of several statements could be "
                "left half-written: give the store an engine without that option",
                retryable=False,
            )

    # Connections pooled before the hook was installed were not checked.
    engine.dispose()


def _in_autocommit(dbapi_connection: Any) -> bool:
    """True when a driver's connection commits each statement alone (psycopg's `autocommit`
    attribute; PyMySQL's and mysqlclient's `get_autocommit()`, the server's own flag)."""
    flag = getattr(dbapi_connection, "autocommit", None)
    if isinstance(flag, bool):
        return flag
    get_autocommit = getattr(dbapi_connection, "get_autocommit", None)
    return bool(get_autocommit()) if callable(get_autocommit) else False


def configure(engine: Engine, *, durable: bool = True, busy_timeout: float = 5.0) -> None:
    """Set up an engine for a store: SQLite's BEGIN, WAL and file mode; MariaDB's strict mode
    and character set; PostgreSQL's client encoding.

    Raises:
        StoreError: SQLite would open another file than the one the URL names
            (`sqlite.misread_file`), or a MariaDB URL names another charset than utf8mb4.
    """
    name = engine.dialect.name
    if name == "sqlite":
        misread = sqlite.misread_file(engine.url)
        if misread is not None:
            raise StoreError(
                f"with uri=true SQLite would open a file named {os.path.basename(misread)!r}, "
                "not the database the URL names, and honour none of its options: give the "
                "database as a file: URI (sqlite:///file:PATH?mode=ro&uri=true)",
                retryable=False,
            )
        sqlite.private_file(engine.url)
        sqlite.configure(engine, durable=durable, busy_timeout=busy_timeout)
    elif name in ("mysql", "mariadb"):
        mariadb.configure(engine)
    elif name == "postgresql":
        postgresql.configure(engine)
