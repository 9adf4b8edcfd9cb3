"""A bulk read of the log: one ordered query over every case's entries, and the cases rebuilt
from its rows as they arrive (`SqlAlchemyStore.load_all`).

The query runs on the driver's own cursor (a server-side one on PostgreSQL and MariaDB), so each
row is the driver's tuple: no SQLAlchemy row, no per-value processing. A row carries the values
of one log entry that a case needs; the case row's values (its authority, its state, the last
hash the store checks on save) come once per case, with its first or its last entry.

A case whose entries were all salted and hold no removed value, and whose rows are as a save
leaves them, is rebuilt from the rows' own values (each entry's data kept as its text at rest
until read; actors, days, trigger names and stages shared across the cases); any other is read
again as `load` reads it (`Reading.reread`), with its redaction notes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Dialect, Select, select
from sqlalchemy import case as sql_case

from reintegration_fsm.case import Reintegration
from reintegration_fsm.protocol.at_rest import StoredTransition
from reintegration_fsm.stores.clocks import latest_stamp, recorded_time
from reintegration_fsm.stores.digests import COLUMN_MARK
from reintegration_fsm.stores.entries import logged_day, resumed
from reintegration_fsm.stores.holding import Held
from reintegration_fsm.stores.schema import cases, transitions
from reintegration_fsm.vocabulary import REDACTED, Actor, Role, Stage, Trigger

_MARK_TEXT = f'"{REDACTED}"'
"""What the JSON text of a payload holding a removed value holds (`digests.text_holds_marker`)."""

FETCH = 2000
"""Log rows a streaming read (`load_all()`, `verify()`) fetches at a time."""


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
            log.on_date,
            log.data,
            # The case row's values once per case: the hash its save checks with the entry of
            # its version (the last one), its authority and state with its first entry.
            sql_case((log.seq == cases.c.version, log.hash), else_=None),
            sql_case((log.seq == 1, cases.c.authority), else_=None),
            sql_case((log.seq == 1, cases.c.state), else_=None),
            # Whether the entry predates 0003 (its data as it was written, not at rest).
            log.payload_salt.is_(None),
            # When each entry was recorded: a save checks its clock against the latest.
            log.recorded_at,
        )
        .join(cases, cases.c.case_id == log.case_id)
        .order_by(log.case_id, log.seq)
    )


def authority_log_query(authority: str) -> Select[Any]:
    """`log_query()` narrowed to one authority's cases, in the order of its index on the case
    rows (`ix_rfsm_cases_authority`, since 0017): the same rows in the same order, the join
    equating the two ids, with no sort of the authority's whole log before its first case
    (review QP, QP3)."""
    return (
        log_query()
        .where(cases.c.authority == authority)
        .order_by(None)
        .order_by(cases.c.case_id, transitions.c.seq)
    )


def whole_log_query() -> Select[Any]:
    """`log_query()` for every case of every authority: on MariaDB/MySQL read in the log's
    primary key order, joined to each case row by its key (`STRAIGHT_JOIN`, `FORCE INDEX`).

    MariaDB's optimizer otherwise reads the case rows first and sorts the whole joined log in
    a temporary table (`Using temporary; Using filesort`) before it sends the first row: 10,000
    cases' 134,519 entries, their data included, held on the server and 0.7-0.9 s before the
    first case (review QP, QP2); in key order the first row comes in about 3 ms and the whole
    log a fifth sooner. A narrowed query (an authority's, or some ids') keeps the optimizer's
    plan: forced, it would read every authority's log to find one's. The other engines
    already stream the whole log in key order (SQLite by the log's key, PostgreSQL's cursor by
    a merge join of the two keys)."""
    hinted = log_query()
    for dialect in ("mysql", "mariadb"):
        hinted = hinted.prefix_with("STRAIGHT_JOIN", dialect=dialect).with_hint(
            transitions, "FORCE INDEX (PRIMARY)", dialect_name=dialect
        )
    return hinted


def driver_statement(statement: Any, dialect: Dialect) -> tuple[str, Any]:
    """A statement as the driver's SQL text and its parameters (in the driver's style)."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if compiled.positional:
        return str(compiled), tuple(params[name] for name in compiled.positiontup or ())
    return str(compiled), params


def streaming_cursor(dbapi_connection: Any, dialect: Dialect) -> Any:
    """A cursor on the driver's connection that fetches rows as they are asked for: a named
    (server-side) cursor on PostgreSQL, an unbuffered one on MariaDB/MySQL; SQLite's steps
    through its statement anyway."""
    if dialect.name == "postgresql":
        return dbapi_connection.cursor(name="rfsm_load_all")
    sscursor = getattr(dialect, "_sscursor", None)
    if dialect.name in ("mysql", "mariadb") and sscursor is not None:
        return dbapi_connection.cursor(sscursor)
    return dbapi_connection.cursor()


def fetched(cursor: Any) -> Any:
    """Every row of an executed cursor, `FETCH` at a time."""
    fetchmany = cursor.fetchmany
    while batch := fetchmany(FETCH):
        yield from batch


def _latest(stamps: list[Any]) -> datetime | None:
    """The latest of a case's `recorded_at` as streamed, read once: the greatest time, or the
    greatest text where every one is text of one width (SQLite's, as the store writes it, whose
    order is the times'); stamps of mixed kinds or widths are each read."""
    try:
        top = max(stamps)
    except TypeError:  # a stamp that is no time beside those that are
        top = None
    if type(top) is datetime or (
        type(top) is str and all(type(s) is str and len(s) == len(top) for s in stamps)
    ):
        return recorded_time(top)
    stamp: datetime | None = latest_stamp(None, map(recorded_time, stamps))
    return stamp


case_id_of = operator.itemgetter(0)
"""A streamed row's case id (what `itertools.groupby` groups the rows by)."""
_STAGES: dict[str | None, Stage | None] = {stage.value: stage for stage in Stage}
_STAGES[None] = None


class Reading:
    """Cases rebuilt from the rows of `log_query()`, as a store's `load` rebuilds them.

    Args:
        calendar, protocols: the store's.
        reread: the case of an id and what the store holds of it, read as `load` reads it
            (for a case whose rows hold a removed value, predate 0003, or are not as a save
            leaves them).
    """

    def __init__(
        self,
        calendar: Any,
        protocols: Sequence[Any],
        reread: Callable[[str], tuple[Reintegration, Held]],
    ) -> None:
        self.calendar = calendar
        self.protocols = protocols
        self.reread = reread
        # Immutable values many cases hold alike, shared rather than held once per transition.
        self.actors: dict[tuple[str, str, str, str], Actor] = {}
        self.days: dict[Any, date] = {}
        self.triggers: dict[str, str] = {trigger.value: trigger.value for trigger in Trigger}

    def case(self, case_id: str, rows: list[Any]) -> tuple[Reintegration, Held]:
        """The case of one case's rows (its log, oldest first), and what the store holds."""
        last_hash, authority, state = rows[-1][11], rows[0][12], rows[0][13]
        if last_hash is None or authority is None:
            # The log does not start at seq 1 or end at the case row's version.
            return self.reread(case_id)
        actors, days, triggers, stages = self.actors, self.days, self.triggers, _STAGES
        history: list[Any] = []
        append = history.append
        # `from_text` without its own call: the data stays the row's text until read.
        lazy = StoredTransition._lazy
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
            unsalted,
            _recorded,
        ) in rows:
            actor = actors.get((actor_id, actor_name, role, organisation))
            if actor is None:
                if actor_id.startswith(COLUMN_MARK) or actor_name.startswith(COLUMN_MARK):
                    return self.reread(case_id)
                actor = actors[actor_id, actor_name, role, organisation] = Actor(
                    actor_id, actor_name, Role(role), organisation
                )
            if unsalted or _MARK_TEXT in data:
                return self.reread(case_id)
            day = days.get(on)
            if day is None:
                day = days[on] = logged_day(on, seq)
            try:
                source_stage, dest_stage = stages[source], stages[dest]
            except KeyError:  # not a stage: read as `load` reads it, which says so
                return self.reread(case_id)
            append(
                lazy(
                    seq,
                    triggers.get(trigger, trigger),
                    source_stage,
                    dest_stage,  # type: ignore[arg-type]
                    actor,
                    day,
                    data,
                )
            )
        held = Held(
            len(rows),
            bytes(last_hash).hex(),
            authority,
            latest_recorded=_latest([row[15] for row in rows]),
        )
        return resumed(history, state, self.calendar, self.protocols), held
