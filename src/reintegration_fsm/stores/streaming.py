"""A bulk read of the log: one ordered query over every case's entries, and the cases rebuilt
from its rows as they arrive (`SqlAlchemyStore.load_all`).

A case whose entries hold no removed value and were all salted is rebuilt from the rows' own
tuples (each entry's data kept as its text at rest until read, the actors shared); any other is
rebuilt from its rows as `load` rebuilds it, with its redaction notes.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Select, String, select, type_coerce
from sqlalchemy import case as sql_case
from sqlalchemy.types import NullType

from reintegration_fsm.case import Reintegration
from reintegration_fsm.protocol.at_rest import StoredTransition
from reintegration_fsm.records import Transition
from reintegration_fsm.stores.digests import COLUMN_MARK, REDACTED
from reintegration_fsm.stores.holding import Held
from reintegration_fsm.stores.rows import as_date, rebuilt, resumed
from reintegration_fsm.stores.schema import cases, transitions
from reintegration_fsm.vocabulary import Actor, Role, Stage, Trigger

_MARK_TEXT = f'"{REDACTED}"'
"""What the JSON text of a payload holding a removed value holds (`digests.text_holds_marker`)."""


class Notes(Protocol):
    """Where a bulk read finds a case's redaction rows."""

    def of(self, case_id: str, entries: Sequence[Mapping[str, Any]]) -> dict[int, list[Any]]:
        """The case's redaction rows by seq (none unless an entry holds a removed value)."""


def log_query() -> Select[Any]:
    """Every case's log entries with what a rebuild needs, ordered by case id and seq (the
    caller narrows it to an authority or to ids)."""
    log = transitions.c
    return (
        select(
            log.case_id,
            log.seq,
            log.trigger_name,
            log.source,
            log.dest,
            log.actor_id,
            log.actor_name,
            log.actor_role,
            log.actor_organisation,
            # As the driver returns it (SQLite: text, parsed below in C).
            type_coerce(log.on_date, String),
            log.data,
            # The digests as the driver returns them (bytes): the hash is read once per case, the
            # salt only for whether there is one; `HexBytes` would make hex text of each.
            type_coerce(log.hash, NullType()),
            cases.c.authority,
            # The state once per case, with its first entry.
            sql_case((log.seq == 1, cases.c.state), else_=None),
            # None on an entry written before 0003 (its data as it was written, not at rest).
            type_coerce(log.payload_salt, NullType()),
        )
        .join(cases, cases.c.case_id == log.case_id)
        .order_by(log.case_id, log.seq)
    )


case_id_of = operator.itemgetter(0)
"""A streamed row's case id (what `itertools.groupby` groups the rows by)."""
_STAGES: dict[str | None, Stage | None] = {stage.value: stage for stage in Stage}
_STAGES[None] = None
_LOG_NAMES = (
    "case_id",
    "seq",
    "trigger_name",
    "source",
    "dest",
    "actor_id",
    "actor_name",
    "actor_role",
    "actor_organisation",
    "on_date",
    "data",
    "hash",
)


class Reading:
    """Cases rebuilt from the rows of `log_query()`, as a store's `load` rebuilds them."""

    def __init__(self, calendar: Any, protocols: Sequence[Any], notes: Notes) -> None:
        self.calendar = calendar
        self.protocols = protocols
        self.notes = notes
        self.actors: dict[tuple[str, str, str, str], Actor] = {}
        # Immutable values many cases hold alike, shared rather than held once per transition.
        self.days: dict[Any, date] = {}
        self.triggers: dict[str, str] = {trigger.value: trigger.value for trigger in Trigger}

    def case(self, case_id: str, rows: list[Any]) -> tuple[Reintegration, Held]:
        """The case of one case's rows (its log, oldest first), and what the store holds."""
        last = rows[-1]
        held = Held(len(rows), bytes(last[11]).hex(), str(last[12]))
        state = rows[0][13]
        actors, days, triggers = self.actors, self.days, self.triggers
        history: list[Transition] = []
        append = history.append
        for (
            _,
            seq,
            trigger,
            source,
            dest,
            actor_id,
            actor_name,
            role,
            organisation,
            on,
            data,
            _hash,
            _authority,
            _state,
            salt,
        ) in rows:
            if salt is None:  # written before 0003 and not re-digested: read as `load` reads it
                return self._redacted(case_id, rows, state), held
            key = (actor_id, actor_name, role, organisation)
            actor = actors.get(key)
            if actor is None:
                if actor_id.startswith(COLUMN_MARK) or actor_name.startswith(COLUMN_MARK):
                    return self._redacted(case_id, rows, state), held
                actor = actors[key] = Actor(actor_id, actor_name, Role(role), organisation)
            if _MARK_TEXT in data:
                return self._redacted(case_id, rows, state), held
            day = days.get(on)
            if day is None:
                day = days[on] = date.fromisoformat(on) if type(on) is str else as_date(on)
            append(
                StoredTransition.from_text(
                    seq,
                    triggers.get(trigger, trigger),
                    _STAGES[source],
                    _STAGES[dest],  # type: ignore[arg-type]
                    actor,
                    day,
                    data,
                )
            )
        return resumed(history, state, self.calendar, self.protocols), held

    def _redacted(self, case_id: str, rows: list[Any], state: str | None) -> Reintegration:
        """The case of rows of which one holds a removed value (or was written before 0003),
        with its redaction notes."""
        parse = date.fromisoformat
        entries = [
            dict(zip(_LOG_NAMES, row[:12], strict=True))
            | {
                "on_date": parse(row[9]) if type(row[9]) is str else as_date(row[9]),
                "hash": bytes(row[11]).hex(),
                "payload_salt": None if row[14] is None else bytes(row[14]).hex(),
            }
            for row in rows
        ]
        notes = self.notes.of(case_id, entries)
        return rebuilt(entries, notes, state, self.calendar, self.protocols)
