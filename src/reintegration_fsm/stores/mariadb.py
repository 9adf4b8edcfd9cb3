"""MariaDB/MySQL settings for a store's engine: the session's strict SQL mode.

Without a strict mode MariaDB cuts an over-long value down and stores it with a warning; a
truncated payload no longer matches its digest and the case never loads again. Every
connection the store's engine opens adds the strict modes to whatever mode it already has.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine, event

STRICT_MODES = (
    "STRICT_TRANS_TABLES",
    "STRICT_ALL_TABLES",
    "NO_ZERO_IN_DATE",
    "NO_ZERO_DATE",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "NO_ENGINE_SUBSTITUTION",
)

SET_STRICT = (
    "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), "
    f"'{','.join(STRICT_MODES)}')"
)

_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure(engine: Engine) -> None:
    """Install the connect hook on a MariaDB/MySQL engine (once per engine)."""
    if engine in _configured:
        return
    _configured.add(engine)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(SET_STRICT)
        finally:
            cursor.close()

    # Connections pooled before the hook was installed would keep their old mode.
    engine.dispose()
