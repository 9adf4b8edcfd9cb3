"""SQLite settings for a store's engine: our own BEGIN (IMMEDIATE for writes), WAL, fsync.

pysqlite's own transaction handling is switched off and SQLAlchemy's `begin` event emits
BEGIN instead (the recipe in SQLAlchemy's SQLite dialect documentation), so that a write
transaction takes the write lock at its start and waits up to the busy timeout for it.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Connection, Engine, event

WRITE = "rfsm_sqlite_begin"
"""Execution option naming the BEGIN mode of a write transaction."""

_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


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
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(WRITE)
        connection.exec_driver_sql(f"BEGIN {mode}" if mode else "BEGIN")

    # Connections pooled before the hooks were installed would keep pysqlite's handling.
    engine.dispose()
