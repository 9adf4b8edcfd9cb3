"""`SqlAlchemyStore.import_histories`: whole histories of new cases from another system, in
batched transactions."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from reintegration_fsm.errors import FormInvalid, StoreError
from reintegration_fsm.records import Transition
from reintegration_fsm.stores import arguments, bulk
from reintegration_fsm.stores.failures import converted
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.holding import already_stored, imported_before
from reintegration_fsm.stores.refusals import refuse_other_authority
from reintegration_fsm.stores.rows import Row
from reintegration_fsm.stores.schema import cases
from reintegration_fsm.stores.sql_saving import SqlSaving
from reintegration_fsm.stores.sql_shared import _CHUNK, _IMPORT


class SqlImporting(SqlSaving):
    """`import_histories` of `SqlAlchemyStore`, written with the checks of a save
    (`SqlSaving`)."""

    @guarded(_IMPORT, looks=False)  # each batch looks
    def import_histories(
        self,
        histories: Iterable[tuple[str, Sequence[Transition]]],
        *,
        batch_size: int = 2000,
        all_or_nothing: bool = False,
        use_copy: bool | None = None,
    ) -> int:
        """Add whole histories of new cases from another system, in batched transactions.

        Each history is replayed (so a bad one is refused before anything of its batch is
        written) and hashed like a save. PostgreSQL uses COPY unless `use_copy` is False;
        other engines use executemany (`use_copy=True` is refused there). A history whose
        case the store holds with the same transitions, compared by content as `save` compares
        them, is skipped, so that an import that failed retryably part way (or whose COMMIT's
        reply was lost) may be tried again; only a batch meeting stored ids reads their logs.
        Returns the number of transitions written (none of a skipped history's).

        `all_or_nothing`: every batch in one transaction, so that nothing is written unless
        everything is (an error, or an exception raised by `histories` as it is read, writes
        none); memory still holds one batch, not the import.

        Raises:
            NotPermitted: a history, or a stored case of one of its ids, is another
                authority's than the store's; that batch is not written.
            ConcurrentUpdate: one of a batch's ids is stored with another history (part of
                this one, more, or other transitions); that batch is not written (earlier
                batches are, unless `all_or_nothing`).
            FormInvalid, IllegalTransition, GuardFailed, UnknownProtocol: a history does not
                replay, names another authority than its own, repeats an id, or holds a value
                the store cannot keep.
            StoreError: the database failed; that batch is not written (nor any, with
                `all_or_nothing`). Or the database's schema is at another revision than the
                library's (not retryable); nothing is written.
        """
        arguments.batch_size(batch_size)
        arguments.flag("import_histories", "use_copy", use_copy)
        arguments.all_or_nothing(all_or_nothing)
        if use_copy and self._dialect != "postgresql":
            raise FormInvalid(
                "import_histories",
                "use_copy",
                f"COPY is PostgreSQL's; this store is on {self._dialect} (leave use_copy out)",
            )
        copy = self._dialect == "postgresql" if use_copy is None else use_copy
        batches = bulk.prepared_batches(
            histories, batch_size, self.calendar, self.protocols, self.authority
        )
        if all_or_nothing:
            return self._import_at_once(batches, copy)
        return sum(self._import_batch(batch, copy) for batch in batches)

    def _import_batch(self, batch: Sequence[bulk.Prepared], copy: bool) -> int:
        action = bulk.batch_action(batch)
        self._guard.look(*action, writes=True)  # named as the batch's failure would be
        with self._oversized_refused(batch), converted(*action), self._writing() as conn:
            return self._insert_batch(conn, batch, copy)

    def _import_at_once(self, batches: Iterator[list[bulk.Prepared]], copy: bool) -> int:
        """Every batch of `batches` in one transaction (`all_or_nothing`)."""
        first = next(batches, None)
        if first is None:
            return 0
        self._guard.look(_IMPORT, None, writes=True)
        count = 0
        with converted(_IMPORT), self._writing() as conn:
            for batch in itertools.chain([first], batches):
                with self._oversized_refused(batch), converted(*bulk.batch_action(batch)):
                    count += self._insert_batch(conn, batch, copy)
        return count

    @contextlib.contextmanager
    def _oversized_refused(self, batch: Sequence[bulk.Prepared]) -> Iterator[None]:
        """A batch's writing, whose failure on MariaDB may be a row over the packet limit."""
        try:
            yield
        except StoreError as error:
            self._refuse_oversized(error, lambda: batch)
            raise

    def _insert_batch(self, conn: Connection, batch: Sequence[bulk.Prepared], copy: bool) -> int:
        """Write the histories of `batch` the store does not hold yet, in `conn`'s transaction."""
        wanted = [prepared.case_id for prepared in batch]
        stored: dict[str, Any] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = select(cases.c.case_id, cases.c.authority, cases.c.version).where(
                cases.c.case_id.in_(wanted[start : start + _CHUNK])
            )
            stored.update((row.case_id, row) for row in conn.execute(query))
        new = [prepared for prepared in batch if prepared.case_id not in stored]
        if stored:
            self._refuse_stored(conn, [p for p in batch if p.case_id in stored], stored)
        self._keep_protocols(conn, [prepared.case for prepared in new])
        if new:
            if copy:
                bulk.copy_rows(conn, new)
            else:
                bulk.insert_rows(conn, new)
        return sum(len(prepared.entries) for prepared in new)

    def _refuse_stored(
        self, conn: Connection, found: Sequence[bulk.Prepared], stored: Mapping[str, Any]
    ) -> None:
        """Refuse the histories of `found` whose ids the store holds (`stored`: their case rows)
        with another history (`holding.imported_before`): each stored with its whole history is
        skipped. Their logs are read in one query per `_CHUNK` cases, and only those of cases
        as long as the history: an import of new cases reads none.

        Raises:
            NotPermitted: a stored case is another authority's than the store's.
            ConcurrentUpdate: a stored case is not the history's (`already_stored`).
        """
        for prepared in found:
            case_id = prepared.case_id
            refuse_other_authority(self.authority, case_id, stored[case_id].authority)
        alike = [
            prepared
            for prepared in found
            if stored[prepared.case_id].authority == prepared.authority
            and int(stored[prepared.case_id].version) == len(prepared.entries)
        ]
        logs: dict[str, list[Row]] = {prepared.case_id: [] for prepared in alike}
        ids = list(logs)
        for start in range(0, len(ids), _CHUNK):
            params = {"b_case_ids": ids[start : start + _CHUNK]}
            for entry in conn.execute(self._select_logs, params).mappings():
                logs[entry["case_id"]].append(dict(entry))
        for prepared in found:
            case_id = prepared.case_id
            log = logs.get(case_id)
            if log is None or not imported_before(
                log, prepared.case.history, self._notes(conn, case_id, log)
            ):
                raise already_stored(case_id, int(stored[case_id].version))
