"""`InMemoryStore`: the reference store, keeping the same rows as the SQL store in dicts."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.stores import arguments, opened
from reintegration_fsm.stores import retention as retention_module
from reintegration_fsm.stores.memory_reading import MemoryReading
from reintegration_fsm.stores.memory_retention import MemoryRetention
from reintegration_fsm.stores.memory_saving import MemorySaving
from reintegration_fsm.stores.memory_verifying import MemoryVerifying
from reintegration_fsm.stores.refusals import check_scope, check_view
from reintegration_fsm.stores.retention import RetentionPolicy
from reintegration_fsm.stores.rows import Row


class InMemoryStore(MemorySaving, MemoryReading, MemoryRetention, MemoryVerifying):
    """Cases kept in memory, with the same semantics as `SqlAlchemyStore`.

    The store holds JSON text, not the caller's objects: changing a case after saving it
    changes nothing here until it is saved again.

    Args:
        authority: confine every read and write to this local authority's cases.
        calendar: the school calendar given to loaded cases.
        protocols: the protocols a stored history may name besides `WORCESTERSHIRE`.
        retention: how long personal data is kept: a `RetentionPolicy`, a number of years
            after the child's date of birth, or None for the protocol's `retention_years`.
    """

    def __init__(
        self,
        *,
        authority: str | None = None,
        calendar: SchoolCalendar | None = None,
        protocols: Iterable[Protocol] = (),
        retention: RetentionPolicy | int | None = None,
    ) -> None:
        check_scope(authority)
        arguments.calendar(calendar)
        self._authority = authority
        self.calendar = calendar
        self.protocols: tuple[Protocol, ...] = arguments.protocols(protocols)
        self.retention = retention_module.as_policy(retention)
        self._cases: dict[str, Row] = {}
        self._log: dict[str, list[Row]] = {}
        self._redactions: dict[str, dict[int, list[Row]]] = {}
        self._items: dict[str, list[Row]] = {}
        self._ledger: dict[str, list[Row]] = {}
        self._lock = threading.Lock()
        self._opened: dict[opened.Key, opened.Opened] = {}
        """What `rfsm_protocols` keeps in a SQL store: the first case's rules under each
        protocol `(id, version)`."""

    def for_authority(self, authority: str) -> InMemoryStore:
        """A view of the same cases confined to one local authority's.

        Raises:
            FormInvalid: `authority` is None or no authority's name (blank, say).
            NotPermitted: this store is scoped to another authority (a scope only narrows).
        """
        check_view(self._authority, authority)
        view = InMemoryStore(
            authority=authority,
            calendar=self.calendar,
            protocols=self.protocols,
            retention=self.retention,
        )
        view._cases, view._log, view._items, view._ledger = (
            self._cases,
            self._log,
            self._items,
            self._ledger,
        )
        view._redactions, view._lock, view._opened = self._redactions, self._lock, self._opened
        return view
