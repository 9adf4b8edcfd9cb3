"""What the parts of `InMemoryStore` share: the dicts it keeps its rows in (declared in
`MemoryShared`), and the reads of one case its saves, reads, redactions and checks all use."""

from __future__ import annotations

import threading
from datetime import date

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import CaseNotFound
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.stores import opened
from reintegration_fsm.stores.retention import RetentionPolicy
from reintegration_fsm.stores.rows import Row


class MemoryShared:
    """The attributes `InMemoryStore` sets (its construction, in `memory`) and the helpers every
    part of it uses: the base of each part (`MemorySaving`, `MemoryReading`, ...)."""

    calendar: SchoolCalendar | None
    protocols: tuple[Protocol, ...]
    retention: RetentionPolicy
    _authority: str | None
    _cases: dict[str, Row]
    _log: dict[str, list[Row]]
    _redactions: dict[str, dict[int, list[Row]]]
    _items: dict[str, list[Row]]
    _ledger: dict[str, list[Row]]
    _lock: threading.Lock
    _opened: dict[opened.Key, opened.Opened]

    @property
    def authority(self) -> str | None:
        """The local authority whose cases alone this store reads and writes (None: every one's).

        Read-only: a store's queries are scoped when it is made, so a reassigned authority would
        have scoped some answers and not others. `for_authority` makes a view of one authority.
        """
        return self._authority

    def _visible(self, case_id: str) -> Row | None:
        row = self._cases.get(case_id)
        if row is None or (self.authority is not None and row["authority"] != self.authority):
            return None
        return row

    def _entries(
        self, case_id: str, as_of: date | None = None
    ) -> tuple[list[Row], dict[int, list[Row]]]:
        with self._lock:
            if self._visible(case_id) is None:
                raise CaseNotFound(case_id)
            entries = self._log.get(case_id, [])
            if as_of is not None:
                entries = [entry for entry in entries if entry["on_date"] <= as_of]
            if not entries:
                raise CaseNotFound(case_id)
            notes = {seq: list(rows) for seq, rows in self._redactions.get(case_id, {}).items()}
            return [dict(entry) for entry in entries], notes
