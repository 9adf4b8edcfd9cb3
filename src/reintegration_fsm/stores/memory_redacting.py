"""`InMemoryStore`'s redactions: personal data removed from stored transitions, and the notes
of each removal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from reintegration_fsm.errors import CaseNotFound
from reintegration_fsm.stores import arguments, erasure
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.memory_shared import MemoryShared
from reintegration_fsm.stores.redaction import RedactionNote, note_from_row
from reintegration_fsm.vocabulary import Actor


class MemoryRedacting(MemoryShared):
    """`redact` and `redactions` of `InMemoryStore`."""

    def redact(
        self,
        case_id: str,
        seq: int | None,
        paths: Iterable[str],
        reason: str,
        *,
        by: Actor,
        on: date,
    ) -> list[RedactionNote]:
        """Remove personal data from a stored transition, keeping the chain verifiable.

        Each value `paths` names (`form.parent_name`, `pupil.address`, `actor.name`,
        `meeting.attendees.*.name`; a form's path names every personal value in it) is replaced
        by its leaf digest (which, on an entry written since schema revision 0011, no guess can
        be tested against), and a note records who removed it, when and why. `seq` None
        removes the paths from every transition holding them. A person's name removed takes
        every other copy of that name in the case with it (each note's `copies`). Returns the
        notes made.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` not text, `seq` neither a whole number nor None, no reason
                or one quoting a value it removes, `paths` not a collection of texts, a path
                naming nothing or no personal data, nothing left to remove, a case that would no
                longer load, or `on` before the day an entry it removes values from was
                recorded, or after today; nothing was changed.
            StoreError: this machine's clock reads before an entry it redacts, or a
                redaction record of it, by more than CLOCK_SLACK (not retryable); nothing was
                changed.
        """
        arguments.case_id("redact", case_id)
        targets = {arguments.seq("redact", seq): arguments.paths("redact", paths)}
        return self._redact(case_id, targets, reason, by=by, on=on)

    def _redact(
        self,
        case_id: str,
        targets: erasure.Targets,
        reason: str,
        *,
        by: Actor,
        on: date,
        every_case: bool = False,
    ) -> list[RedactionNote]:
        erasure.check_request(reason, by, on)
        with self._lock:
            row = self._visible(case_id)
            if row is None:
                raise CaseNotFound(case_id)
            log = self._log[case_id]
            notes = self._redactions.setdefault(case_id, {})
            plan = erasure.plan(
                log,
                notes,
                targets,
                reason,
                by=by,
                on=on,
                now=utc_now(),
                authority=row["authority"],
                calendar=self.calendar,
                protocols=self.protocols,
                every_case=every_case,
            )
            for update in plan.updates:
                log[update["seq"] - 1].update(update)
            for record in plan.records:
                notes.setdefault(record["seq"], []).append(record)
            row.update(plan.case_changes)
            row["redactions"] += len(plan.records)  # as the SQL stores' trigger counts them
        return plan.notes

    def redactions(self, case_id: str) -> list[RedactionNote]:
        """Every redaction of the case's transitions, by seq, then in the order made.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        _, notes = self._entries(arguments.case_id("redactions", case_id))
        return [note_from_row(row) for seq in sorted(notes) for row in notes[seq]]
