"""`InMemoryStore`'s evidence of its log: a checkpoint of every case, and `verify()`'s checks."""

from __future__ import annotations

from collections.abc import Callable

from reintegration_fsm.stores import arguments, audit
from reintegration_fsm.stores.checkpoints import Checkpoint, CheckpointRefused, redaction_heads
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.memory_shared import MemoryShared
from reintegration_fsm.stores.model import Problem


class MemoryVerifying(MemoryShared):
    """`checkpoint` and `verify` of `InMemoryStore`."""

    def checkpoint(
        self, *, extends: Checkpoint | None = None, public_key: bytes | str | None = None
    ) -> Checkpoint:
        """Every case this store may show, with its version and last log hash, under one root;
        with `extends`, only if the store still extends that checkpoint, checked as
        `verify(checkpoint=extends, public_key=public_key)` checks it, under the same lock.

        Raises:
            CheckpointRefused: the store does not extend `extends`; `problems` names each.
            AlteredRow: a hash or number to anchor does not read as the store writes it.
            FormInvalid: `extends` is not a `Checkpoint`, or `public_key` is given without it.
        """
        arguments.extending(extends, public_key)
        found: list[Problem] = []
        with self._lock:
            logs = [
                (case_id, list(log))
                for case_id, log in sorted(self._log.items())
                if log and self._visible(case_id) is not None
            ]
            heads = [(case_id, int(log[-1]["seq"]), str(log[-1]["hash"])) for case_id, log in logs]
            notes = redaction_heads(
                (case_id, seq, str(row["hash"]))
                for case_id, _, _ in heads
                for seq, rows in sorted(self._redactions.get(case_id, {}).items())
                for row in rows
            )
            if extends is not None:
                records = {
                    case_id: [note for seq in sorted(rows) for note in rows[seq]]
                    for case_id, rows in self._redactions.items()
                }
                found = audit.extension_problems(extends, self.authority, logs, records, public_key)
        if extends is not None and found:
            raise CheckpointRefused(extends, found)
        return Checkpoint.of(heads, self.authority, utc_now(), notes)

    def verify(
        self,
        checkpoint: Checkpoint | None = None,
        public_key: bytes | str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Problem]:
        """Check every chain, digest, redaction, case row, open item and ledger entry, and replay
        every case; with a checkpoint, also that every case it holds still extends it.

        Returns the problems found, empty when the store is sound. `progress` (if given) is
        called once at the end with the cases and the log entries checked.

        Raises:
            FormInvalid: `checkpoint` is not a `Checkpoint`, `progress` cannot be called, or a
                `public_key` is given without a checkpoint.
        """
        arguments.verifying(checkpoint, progress, public_key)
        with self._lock:
            case_rows = {case_id: dict(row) for case_id, row in self._cases.items()}
            logs = [(case_id, list(self._log[case_id])) for case_id in sorted(self._log)]
            items = {case_id: list(rows) for case_id, rows in self._items.items() if rows}
            ledger = {case_id: list(rows) for case_id, rows in self._ledger.items() if rows}
            redactions = {
                case_id: [note for seq in sorted(rows) for note in rows[seq]]
                for case_id, rows in self._redactions.items()
            }
            kept = dict(self._opened)
        checking = audit.Audit(
            scope=self.authority,
            calendar=self.calendar,
            protocols=self.protocols,
            checkpoint=checkpoint,
            kept=kept,
        )
        found = checking.batch(case_rows, logs, items, ledger, redactions)
        if progress is not None:
            progress(checking.cases, checking.transitions)
        return found + checking.finish(public_key)
