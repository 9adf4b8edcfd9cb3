"""`InMemoryStore`'s writes: a case saved, and whole histories imported."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from reintegration_fsm.case import Reintegration
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import arguments, bulk, opened
from reintegration_fsm.stores.clocks import latest_stamp, refuse_saving_behind, utc_now
from reintegration_fsm.stores.hashing import GENESIS
from reintegration_fsm.stores.holding import already_stored, held, imported_before, refuse_unchained
from reintegration_fsm.stores.memory_shared import MemoryShared
from reintegration_fsm.stores.refusals import (
    filed_under,
    refuse_other_authority,
    refuse_unknown_protocol,
)
from reintegration_fsm.stores.rows import CHANGING, succeeded_in


class MemorySaving(MemoryShared):
    """`save` and `import_histories` of `InMemoryStore`."""

    def save(self, case: Reintegration) -> None:
        """Append the transitions of `case` the store does not hold yet, atomically.

        A case it holds whole is a no-op; one it does not hold at all is written whole.

        Raises:
            NotPermitted: the case, or the stored case of that id, is another authority's.
            ConcurrentUpdate: the stored history differs from the case's (the message says
                whether another writer appended first or another case has the id).
            FormInvalid: `case` is not a case, or a value does not fit the store (too long, not
                valid Unicode).
            IllegalTransition: a transition the store does not hold yet does not leave the
                stage the one before it reached, or leaves a final stage; nothing was written.
            StoreError: this machine's clock reads before the case's last entry by more than
                CLOCK_SLACK (not retryable); nothing was written.
        """
        case_id = arguments.case("save", case).case_id
        filed = filed_under(case)
        refuse_other_authority(self.authority, case_id, filed)
        refuse_unknown_protocol(self.protocols, case)
        # A trigger of this case in another thread is applied whole before the case is read
        # (history, stage, items), never half: see `Reintegration._trigger_lock`.
        with case._trigger_lock():
            history = case.history
            if case._unchecked:
                # Resumed by a store without replaying: re-checked before it is written here.
                Reintegration.replay(history, self.calendar, self.protocols)
            now = utc_now()
            with self._lock:
                row = self._cases.get(case_id)
                if row is None:
                    refuse_unchained(history, 0)
                    self._keep_protocols([case])
                    prepared = bulk.rows(case, filed, history, GENESIS, now)
                    self._cases[case_id] = prepared.case_row
                    self._log[case_id] = prepared.entries
                    self._items[case_id] = prepared.items
                    self._ledger[case_id] = prepared.ledger
                    return
                authority = row["authority"]
                refuse_other_authority(self.authority, case_id, authority)
                start = held(
                    case_id, self._log[case_id], history, self._redactions.get(case_id)
                ).version
                new = history[start:]
                if not new:
                    return
                refuse_unchained(history, start)
                stamps = (entry["recorded_at"] for entry in self._log[case_id])
                refuse_saving_behind(case_id, now, latest_stamp(None, stamps))
                prepared = bulk.appended(case, authority, new, row["last_hash"], now)
                self._log[case_id].extend(prepared.entries)
                self._items[case_id] = prepared.items
                self._cases[case_id] = row | {name: prepared.case_row[name] for name in CHANGING}
                if succeeded_in(new):
                    self._ledger[case_id] = prepared.ledger

    def import_histories(
        self,
        histories: Iterable[tuple[str, Sequence[Transition]]],
        *,
        batch_size: int = 2000,
        all_or_nothing: bool = False,
    ) -> int:
        """Add whole histories of new cases, `batch_size` at a time, each batch all or nothing
        (with `all_or_nothing`, the whole import: nothing is added unless everything is).

        Each history is replayed first (a bad one is refused before anything of its batch is
        written). A history whose case the store holds with the same transitions, compared by
        content as `save` compares them, is skipped, so that an import may be tried again.
        Returns the number of transitions written (none of a skipped history's).

        Raises:
            NotPermitted: a history, or a stored case of one of its ids, is another
                authority's than the store's.
            ConcurrentUpdate: one of a batch's ids is stored with another history (part of
                this one, more, or other transitions); that batch is not written (earlier
                batches are, unless `all_or_nothing`).
            FormInvalid, IllegalTransition, GuardFailed, UnknownProtocol: a history does not
                replay, names another authority than its own, or repeats an id.
        """
        arguments.batch_size(batch_size)
        if arguments.all_or_nothing(all_or_nothing):
            batch_size = sys.maxsize  # held here whole anyway: one batch, written at once
        batches = bulk.prepared_batches(
            histories, batch_size, self.calendar, self.protocols, self.authority
        )
        return sum(self._import_batch(batch) for batch in batches)

    def _keep_protocols(self, new: Sequence[Reintegration]) -> None:
        """As a SQL store's: refuse cases `new` to the store opened under other rules than its
        earlier cases of their authority, or another authority's, under their protocol's
        `(id, version)`, or under a name it keeps or was given in other letters' case; keep the
        first's (`opened`).

        Raises:
            ChangedProtocol: a case of `new` was opened under other rules, or a name alike
                (`opening` True).
        """
        opened.refuse_given_alike(new, self.protocols)
        for protocol in opened.first_opened(new, self._opened):
            self._opened[protocol.key] = protocol

    def _import_batch(self, batch: Sequence[bulk.Prepared]) -> int:
        with self._lock:
            new = []
            for prepared in batch:
                case_id = prepared.case_id
                row = self._cases.get(case_id)
                if row is None:
                    new.append(prepared)
                    continue
                refuse_other_authority(self.authority, case_id, row["authority"])
                if row["authority"] != prepared.authority or not imported_before(
                    self._log[case_id], prepared.case.history, self._redactions.get(case_id)
                ):
                    raise already_stored(case_id, int(row["version"]))
            self._keep_protocols([prepared.case for prepared in new])
            for prepared in new:
                case_id = prepared.case_id
                self._cases[case_id] = prepared.case_row
                self._log[case_id] = prepared.entries
                self._items[case_id] = prepared.items
                self._ledger[case_id] = prepared.ledger
        return sum(len(prepared.entries) for prepared in new)
