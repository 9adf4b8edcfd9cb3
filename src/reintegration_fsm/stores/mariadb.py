"""MariaDB/MySQL settings for a store's engine: the session's strict SQL mode (without the modes
that change what is stored), and its character set; and the refusal of a row larger than the
server's packet limit.

Without a strict mode MariaDB cuts an over-long value down and stores it with a warning; a
truncated payload no longer matches its digest and the case never loads again. Every
connection the store's engine opens adds the strict modes to whatever mode it already has,
and drops `DROPPED_MODES` from it.

A connection in another character set than utf8mb4 cannot carry every character of a child's
name: in utf8 (utf8mb3) the server sent each 4-byte character (an emoji) as "?", so a case
loaded and exported with the wrong name and `verify()` called the sound entry tampered; in
latin1 the driver raised its own `UnicodeEncodeError`. Such a URL is refused when the store is
made, and a connection a caller's engine opens so, as it is made. (SQLAlchemy sets the
session's character set to the driver's on each connection.)
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, event

from reintegration_fsm.errors import FormInvalid, StoreError

STRICT_MODES = (
    "STRICT_TRANS_TABLES",
    "STRICT_ALL_TABLES",
    "NO_ZERO_IN_DATE",
    "NO_ZERO_DATE",
    "ERROR_FOR_DIVISION_BY_ZERO",
    "NO_ENGINE_SUBSTITUTION",
)

DROPPED_MODES = frozenset({"EMPTY_STRING_IS_NULL", "ORACLE"})
"""Modes a DBA may set (the server's default, or an `init_command`) that change what the store
writes: EMPTY_STRING_IS_NULL made an empty text (a parent's organisation) NULL, refused by its
NOT NULL column; ORACLE made the store's DATE columns DATETIME, read back as datetimes."""


def session_mode(mode: str) -> str:
    """The session's `sql_mode` for a store: `mode` with the strict modes added and the
    `DROPPED_MODES` removed (every other mode kept as the DBA set it)."""
    kept = [m for m in mode.split(",") if m and m.upper() not in DROPPED_MODES]
    return ",".join(kept + [m for m in STRICT_MODES if m not in kept])


CHARSET = "utf8mb4"
"""The one character set of a store's connections: the driver's default."""

NARROW_CHARSET = (
    "the database connection's charset (the URL's, or connect_args') cannot carry every "
    "character of a child's name (an emoji, say), which would be read back as '?' or refused: "
    f"write charset={CHARSET}, or leave it out (the default)"
)
"""Why a connection in another character set is refused, and what to write instead."""

_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure(engine: Engine) -> None:
    """Install the connect hook on a MariaDB/MySQL engine (once per engine).

    Raises:
        StoreError: the engine's URL names another `charset` than utf8mb4 (not retryable);
            from the hook, at the first call that needs a new connection, its driver talks
            in another character set (`connect_args`).
    """
    charset = engine.url.query.get("charset")
    if charset is not None and str(charset).lower() != CHARSET:
        raise StoreError(NARROW_CHARSET, retryable=False)
    if engine in _configured:
        return
    _configured.add(engine)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        talks_in = getattr(dbapi_connection, "character_set_name", None)
        # PyMySQL gives the name as the URL spelt it (`UTF8MB4`). The pool closes the
        # connection refused here: closing it first made its close fail, logged as an error.
        if callable(talks_in) and str(talks_in()).lower() != CHARSET:
            raise StoreError(NARROW_CHARSET, retryable=False)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT @@SESSION.sql_mode")
            (mode,) = cursor.fetchone()
            # The modes are plain words: nothing in them needs escaping.
            cursor.execute(f"SET SESSION sql_mode = '{session_mode(str(mode))}'")
        finally:
            cursor.close()

    # Connections pooled before the hook was installed would keep their old mode.
    engine.dispose()


_ESCAPED = str.maketrans(dict.fromkeys("\\'\"\x00\n\r\x1a", "..."))
"""Each character the driver escapes, as one that counts two bytes more (a rough stand-in)."""


def oversized(engine: Engine, rows: Iterable[tuple[str, Mapping[str, Any]]]) -> FormInvalid | None:
    """The refusal of rows one of which is larger than the server takes in one statement
    (`max_allowed_packet`): the server then drops the connection, which reads as a lost
    connection, worth retrying, where retrying fails the same way for ever. None when every
    row fits, or the limit cannot be read (the connection was lost for another reason).

    Args:
        rows: each row's case id and its values.
    """
    try:
        with engine.connect() as conn:
            limit = int(conn.exec_driver_sql("SELECT @@max_allowed_packet").scalar_one())
    except Exception:  # the server is unreachable: the lost connection was that
        return None
    for case_id, row in rows:
        size = _ROW_OVERHEAD + sum(_sent_size(value) for value in row.values())
        if size > limit:
            return FormInvalid(
                "case",
                "values",
                f"case {case_id!r} has a row of about {size // 2**20 + 1} MB, more than this "
                f"MariaDB server takes in one statement (max_allowed_packet, {limit // 2**20} "
                "MB); nothing was written. Its administrator may raise max_allowed_packet",
            )
    return None


_ROW_OVERHEAD = 1024
"""The statement's own text and each value's quotes, generously."""


def _sent_size(value: object) -> int:
    if isinstance(value, str):
        return len(value.translate(_ESCAPED).encode())
    if isinstance(value, bytes):
        return 2 * len(value)
    return 32
