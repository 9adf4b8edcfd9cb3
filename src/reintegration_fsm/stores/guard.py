"""What every call of a SQL store passes first: the store is open, the calling thread may
use its database, and the database's schema is at a revision this library may use.

The store reads the schema's stamp once, at its first call (one look per store, never one per
call): a database a newer version of the library upgraded is refused for every call, its
tables holding rules this version does not know; one at an older revision, for every call that
writes (reads still work), until it is upgraded (a refused call looks again, so a store kept
open writes once `db upgrade` has run).

An in-memory SQLite database lives in one connection: SQLAlchemy's default pool for it gives
each thread a connection of its own, so another thread found an empty database ("the database
failed"). A store makes its in-memory engine with one connection that every thread shares, and
takes the calls of all threads in turns (one at a time, as the calls of one thread already
are). A caller's engine on an in-memory database with a pool of one connection per thread
cannot be shared: its store refuses a call from any thread but the one that made it.
"""

from __future__ import annotations

import functools
import threading
import types
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import migrate, sqlite
from reintegration_fsm.stores.failures import converted

P = ParamSpec("P")
T = TypeVar("T")

_turns: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
"""The lock of each engine whose one connection every thread shares (an `RLock`)."""


class Guard:
    """Whether a store is open; on an in-memory SQLite database, how threads may use it; the
    revision its database's schema was stamped with, and on MariaDB whether its making was
    whole, once looked at."""

    def __init__(self, engine: Engine, parent: Guard | None = None) -> None:
        self._closed = False
        self.parent = parent
        """The guard of the store this one's store is a view of (`for_authority`): closed
        with it."""
        self.engine = engine
        self.looked = False
        """Whether a call of the store looked at the database (`look`)."""
        self.revision: str | None = None
        """The revision the database's schema was stamped with when looked at (None: no
        stamp, no store yet)."""
        self.turn: Any = None
        """The engine's lock, taken by each call, when every thread shares its connection."""
        self.thread: int | None = None
        """The only thread that may call, when each thread would find its own database."""
        self.calls = _Calls()
        """The calls under way of the store and its views (one count for them all)."""
        if engine.dialect.name == "sqlite" and sqlite.in_memory(engine.url):
            if isinstance(engine.pool, StaticPool):
                self.turn = _turns.setdefault(engine, threading.RLock())
            else:
                self.thread = threading.get_ident()

    @property
    def closed(self) -> bool:
        """True once this store, or the store it is a view of, was closed."""
        return self._closed or (self.parent is not None and self.parent.closed)

    @closed.setter
    def closed(self, value: bool) -> None:
        self._closed = value

    def view(self) -> Guard:
        """The guard of a view of this guard's store: closed with it or alone, calling in the
        same turns, from the same thread, its making looked at as far as this one's."""
        found = object.__new__(Guard)
        found._closed = False
        found.parent = self
        found.engine, found.looked, found.revision = self.engine, self.looked, self.revision
        found.turn, found.thread, found.calls = self.turn, self.thread, self.calls
        return found

    def look(self, action: str, case_id: str | None = None, *, writes: bool = False) -> None:
        """Refuse a call the database's schema revision does not allow (`migrate.refusal`),
        read at the store's first call (with, on MariaDB, the refusal of a store whose making
        was cut off part way) and remembered; a call it refuses reads it again first, as the
        database may have been upgraded since.

        Args:
            action: what the call is called in its errors' messages ("list cases").
            case_id: the case it writes, for a `StoreError`'s `case_id`.
            writes: the call writes, which a database at an older revision refuses.

        Raises:
            StoreError: a newer version's revision, or an older one and the call `writes`;
                `migrate.CREATING` stands (finish the making first); all not retryable. Or
                the database failed.
        """
        only_reads = not writes
        if self.looked and migrate.refusal(self.revision, action, only_reads=only_reads) is None:
            return
        with converted(action, case_id), self.engine.connect() as conn:
            # MariaDB commits each CREATE at once: a making cut off part way leaves
            # `migrate.CREATING`. (SQLite and PostgreSQL make a store in one transaction.)
            if conn.dialect.name in ("mysql", "mariadb"):
                migrate.refuse_cut_off(conn, f"could not {action}")
            self.revision = migrate.stamped(conn)
        self.looked = True
        refused = migrate.refusal(self.revision, action, only_reads=only_reads, case_id=case_id)
        if refused is not None:
            raise refused


class _Calls:
    """The calls of a store (and its views) under way, so that the closed store's connections
    are released once the last of them ends, not under them: a call of another thread under
    way when the store was closed went on taking connections from the pool `dispose()` made
    anew, and they stayed open for good (review TH, TH2).

    A call appends to `under_way` before it looks whether the store is closed and pops after
    (each atomic, so the count costs a call no lock); `close()` marks the store closed, then
    leaves its release `pending` and takes it back to call it at once when no call is under way.
    Whichever of them sees the other last releases, once (`settle`, under the lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.under_way: list[None] = []
        self.pending: Callable[[], None] | None = None

    def release(self, release: Callable[[], None]) -> None:
        """Call `release` now, or when the last call under way ends (the store closed first)."""
        self.pending = release
        self.settle()

    def settle(self) -> None:
        """Call the pending release if no call is under way (once, whoever calls it)."""
        with self._lock:
            release = self.pending if not self.under_way else None
            if release is not None:
                self.pending = None
        if release is not None:
            release()


class Guarded(Protocol):
    """A store with a `Guard`."""

    _guard: Guard


S = TypeVar("S", bound=Guarded)


Action = tuple[str, str | None]
"""What a call is called in its errors' messages ("save case 'c-1'", after "could not"), and
the case it writes (a `StoreError`'s `case_id`), as the call passes them to `converted`."""


def guarded(
    action: str | Callable[..., Action], *, looks: bool = True, writes: bool = False
) -> Callable[[Callable[Concatenate[S, P], T]], Callable[Concatenate[S, P], T]]:
    """A store's method that refuses to run once the store is closed, or from a thread that
    would find another database; that refuses a database whose schema revision does not allow
    it (`Guard.look`: read at the store's first call); and, on a database every thread shares
    through one connection, runs in its turn (the iterator it returns, too, one item at a
    time).

    Args:
        action: what the method is called in its errors' messages ("list cases"), or a
            function of its arguments giving that and the case it writes: the words of the
            method's own `converted`, so that every refusal here, and a failure of the look at
            the database, reads as the method's own failure does on every engine.
        looks: False for a method that needs no look at the database: `create_schema` judges
            the stamp itself and finishes a making cut off, `import_histories` looks at each
            batch, and `for_authority` reads nothing (its view looks at its own first call,
            and is closed with this store: `Guard.view`).
        writes: the method writes, which a database at an older revision refuses.

    Raises (from the method):
        StoreError: the store was closed, or is called from another thread than the one that
            made it on such an engine, or the database's revision refuses the call (all not
            retryable: the same call fails again).
    """

    def guarding(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
        @functools.wraps(method)
        def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
            guard = self._guard
            calls = guard.calls
            calls.under_way.append(None)  # counted before the look at `closed` (`_Calls`)
            try:
                if guard.closed:
                    _refuse_closed(guard, action, args, kwargs)
                if guard.thread is not None and guard.thread != threading.get_ident():
                    words, case_id = _named(action, args, kwargs)
                    raise StoreError(
                        f"could not {words}: the store's in-memory SQLite database belongs to "
                        "the thread that made the store (its engine's pool gives each thread a "
                        "database of its own); open the store from a URL (sqlite://) to share "
                        "one database among threads, or use a SQLite file",
                        retryable=False,
                        case_id=case_id,
                    )
                if guard.turn is None:
                    if looks:
                        guard.look(*_named(action, args, kwargs), writes=writes)
                    return method(self, *args, **kwargs)
                with guard.turn:  # the look, too, on the one connection
                    # Closed while this call waited for its turn: the connection is gone (TH1).
                    _refuse_closed(guard, action, args, kwargs)
                    if looks:
                        guard.look(*_named(action, args, kwargs), writes=writes)
                    result = method(self, *args, **kwargs)
                if isinstance(result, types.GeneratorType):
                    return cast(T, _in_turns(result, guard.turn))
                return result
            finally:
                calls.under_way.pop()
                if calls.pending is not None:  # closed meanwhile: the last call releases it
                    calls.settle()

        return call

    return guarding


def _refuse_closed(
    guard: Guard, action: str | Callable[..., Action], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Refuse a call of a closed store.

    Raises:
        StoreError: the store was closed (not retryable).
    """
    if guard.closed:
        words, case_id = _named(action, args, kwargs)
        raise StoreError(
            f"could not {words}: the store was closed (close() was called); open a new "
            "store to use the database again",
            retryable=False,
            case_id=case_id,
        )


def _named(
    action: str | Callable[..., Action], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Action:
    """The call's `Action`: `action` itself, or what it gives for the call's arguments."""
    return (action, None) if isinstance(action, str) else action(*args, **kwargs)


def _in_turns(items: Iterator[T], turn: Any) -> Iterator[T]:
    """`items`, each one read in `turn`; closed in turn too, when left half way."""
    try:
        while True:
            with turn:
                try:
                    item = next(items)
                except StopIteration:
                    return
            yield item
    finally:
        with turn:
            close = getattr(items, "close", None)
            if close is not None:
                close()
