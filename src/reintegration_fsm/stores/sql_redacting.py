"""`SqlAlchemyStore`'s redactions: personal data removed from stored transitions, the chain
kept verifiable, and the notes that record each removal."""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import DBAPIError

from reintegration_fsm.errors import AlteredRow, CaseNotFound, GuessableRedaction
from reintegration_fsm.stores import arguments, audit, erasure, sqlite
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.failures import ALTERED, read_back
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.hashing import SCHEME, scheme
from reintegration_fsm.stores.redaction import RedactionNote, by_seq, note_from_row
from reintegration_fsm.stores.refusals import could_be_stored
from reintegration_fsm.stores.schema import cases, redacting, redactions, transitions
from reintegration_fsm.stores.sql_shared import _READ_CASE, _REDACT_CASE, SqlShared
from reintegration_fsm.vocabulary import Actor


class SqlRedacting(SqlShared):
    """`redact` and `redactions` of `SqlAlchemyStore`."""

    # -- evidence ------------------------------------------------------------------------------
    @guarded(_REDACT_CASE, writes=True)
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
        be tested against), and a note records who removed it, when and why, in one
        transaction. `seq` None removes the paths from every transition holding them. A
        person's name removed takes every other copy of that name in the case with it (each
        note's `copies`). Returns the notes made. On SQLite it then copies the `-wal` file into
        the database and empties it, waiting up to `busy_timeout` for a reader still holding an
        older snapshot.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` not text, `seq` neither a whole number nor None, no reason
                or one quoting a value it removes, `paths` not a collection of texts, a path
                naming nothing or no personal data, nothing left to remove, a case that would no
                longer load, or `on` before the day an entry it removes values from was
                recorded, or after today; nothing was changed.
            StoreError: the database failed; nothing was changed. Or this machine's clock
                reads before an entry it redacts, or a redaction record of it, by more than
                CLOCK_SLACK, or the database's schema is at another revision than the
                library's (not retryable).

        Warns:
            GuessableRedaction: values were removed from entries written before schema
                revision 0011, whose digests can still be tested against guesses (the
                redaction is made).
        """
        arguments.case_id("redact", case_id)
        targets = {arguments.seq("redact", seq): arguments.paths("redact", paths)}
        notes, guessable = self._redact(case_id, targets, reason, by=by, on=on)
        self._flush_wal()  # a retention run flushes once, at its end
        _warn_guessable(case_id, guessable)  # last: a caller may make it an error
        return notes

    def _flush_wal(self, *, patient: bool = True) -> None:
        """On SQLite, copy the WAL into the database file and empty it: until then the -wal
        file still holds the pages a redaction rewrote, removed values and payload keys with
        them. Best effort, tried at least three times, each try waiting briefly, until the
        store's busy timeout has passed (not `patient`: the three tries only): a reader
        holding an older snapshot (or a writer) for longer keeps its pages there, and the
        redaction itself is already committed."""
        if self._dialect != "sqlite":
            return
        until = time.monotonic() + (self._busy_timeout if patient else 0)
        for attempt in itertools.count():
            if attempt >= 3 and time.monotonic() >= until:
                return
            if attempt:
                time.sleep(0.1)
            try:
                with self.engine.connect() as conn:
                    if sqlite.checkpoint(conn):
                        return
            except DBAPIError:
                continue

    def _redact(
        self,
        case_id: str,
        targets: erasure.Targets,
        reason: str,
        *,
        by: Actor,
        on: date,
        every_case: bool = False,
    ) -> tuple[list[RedactionNote], list[int]]:
        """Redact `targets` in one transaction: the notes made, and the seqs of the entries
        written before schema revision 0011 it removed values from (`GuessableRedaction`)."""
        erasure.check_request(reason, by, on)
        if not could_be_stored(case_id):
            raise CaseNotFound(case_id)
        with read_back(*_REDACT_CASE(case_id)), self._writing() as conn:
            # PostgreSQL and MariaDB: hold the case row while redacting (SQLite's BEGIN
            # IMMEDIATE already does), so two redactions of one entry queue.
            if self._dialect != "sqlite":
                if self._elsewhere(conn, case_id) is not None:
                    raise CaseNotFound(case_id)
                conn.execute(self._select_head.with_for_update(), {"b_case_id": case_id})
            authority, entries, _ = self._read(conn, case_id)
            rows = [
                dict(r) for r in conn.execute(self._select_notes, {"b_case_id": case_id}).mappings()
            ]
            plan = erasure.plan(
                entries,
                by_seq(rows),
                targets,
                reason,
                by=by,
                on=on,
                now=utc_now(),
                authority=authority,
                calendar=self.calendar,
                protocols=self.protocols,
                every_case=every_case,
            )
            left = conn.execute(self._select_redacting, {"b_case_id": case_id}).scalars().all()
            if left:
                raise AlteredRow(
                    f"could not redact case {case_id!r}: {ALTERED}: "
                    f"{audit.left_redacting(f'entry {left[0]}')}; run verify",
                    case_id=case_id,
                )
            seqs = [{"case_id": case_id, "seq": update["seq"]} for update in plan.updates]
            conn.execute(insert(redacting), seqs)
            conn.execute(
                update(transitions)
                .where(transitions.c.case_id == case_id, transitions.c.seq == bindparam("b_seq"))
                .values(
                    data=bindparam("b_data"),
                    actor_id=bindparam("b_actor_id"),
                    actor_name=bindparam("b_actor_name"),
                    payload_key=bindparam("b_payload_key"),
                    leaf_keys=bindparam("b_leaf_keys"),
                ),
                [
                    {
                        "b_seq": u["seq"],
                        "b_data": u["data"],
                        "b_actor_id": u["actor_id"],
                        "b_actor_name": u["actor_name"],
                        "b_payload_key": u["payload_key"],
                        "b_leaf_keys": u["leaf_keys"],
                    }
                    for u in plan.updates
                ],
            )
            conn.execute(delete(redacting).where(redacting.c.case_id == case_id))
            conn.execute(insert(redactions), plan.records)
            conn.execute(update(cases).where(cases.c.case_id == case_id).values(plan.case_changes))
        logged = {int(entry["seq"]): entry for entry in entries}
        guessable = [u["seq"] for u in plan.updates if scheme(logged[u["seq"]]) < SCHEME]
        return plan.notes, guessable

    @guarded(_READ_CASE)
    def redactions(self, case_id: str) -> list[RedactionNote]:
        """Every redaction of the case's transitions, by seq, then in the order made.

        Raises:
            CaseNotFound: no such case, or not this store's authority's.
            FormInvalid: `case_id` is not text.
        """
        if not could_be_stored(arguments.case_id("redactions", case_id)):
            raise CaseNotFound(case_id)
        with read_back(*_READ_CASE(case_id)), self.engine.connect() as conn:
            head = conn.execute(self._select_head, {"b_case_id": case_id}).first()
            if head is None or not self._visible(head.authority):
                raise CaseNotFound(case_id)
            rows = conn.execute(self._select_notes, {"b_case_id": case_id}).mappings().all()
            return [note_from_row(dict(row)) for row in rows]


def _warn_guessable(case_id: str, seqs: Sequence[int]) -> None:
    """Warn the caller of `redact()` or `apply_retention()` (whose line the warning names)
    that values were removed from `seqs`, entries written before schema revision 0011."""
    if seqs:
        warnings.warn(GuessableRedaction(case_id, seqs), stacklevel=4)
