"""Each case's state beside its log, so that a load need not replay.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- `rfsm_cases` gains `state` (nullable JSON text): the case's state as `state.encode` writes it
  (`Reintegration._state()`). A store writes it on every save, import and redaction, and
  `load()`/`load_all()` rebuild the case from the log and the state without replaying its guards;
  `verify()` replays every case and reports a state that differs.
- The upgrade fills it for every stored case by replaying its log (a case at a time, 200 cases a
  query). A case whose log does not replay with the built-in protocols (a store's own protocols
  are not known here, or the log is damaged) keeps NULL: its loads replay, as before, and
  `verify()` reports what is wrong with it.
- A log entry whose data no replay can read (JSON nested too deep, JSON other than an object,
  or a lone surrogate no database can store: a row altered behind the store) stops the upgrade
  with a `StoreError` naming the entry, before the column is added.

Unlike the earlier revisions this one uses the library's own replay and encoding: the column is
a cache of what the log says, which the library that reads it must have written. The downgrade
drops the column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import ProtocolError, StoreError
from reintegration_fsm.stores.entries import transitions_from_rows
from reintegration_fsm.stores.migrations import resumable
from reintegration_fsm.stores.redaction import by_seq

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHUNK = 200

PAYLOAD = sa.Text().with_variant(sa.dialects.mysql.LONGTEXT(), "mysql", "mariadb")

cases = sa.table("rfsm_cases", sa.column("case_id", sa.String), sa.column("state", sa.Text))


log_data = sa.table(
    "rfsm_transitions",
    sa.column("case_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("data", sa.Text),
)

_encoder = json.JSONEncoder(ensure_ascii=False)


def _damaged(case_id: str, seq: int, problem: str) -> StoreError:
    return StoreError(
        f"cannot upgrade to revision 0005: the data of case {case_id!r}, seq {seq} {problem}; "
        "restore the log from a backup first",
        retryable=False,
    )


def _unreadable(text: str) -> str | None:
    """What makes an entry's data unreadable to the replay (None: nothing, or text that is not
    JSON at all, which the replay refuses: the case keeps no state)."""
    try:
        data = json.loads(text)
    except RecursionError:
        return "is JSON nested too deep to read"
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return "is JSON but not an object"
    try:
        _encoder.encode(data).encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (text no database can store)"
    return None


def _check(bind: sa.Connection, ids: Sequence[str]) -> None:
    """Stop, changing nothing, at a log entry whose data the replay cannot read (a row altered
    behind the store): MariaDB could not undo the new column, which it commits at once."""
    for start in range(0, len(ids), CHUNK):
        query = sa.select(log_data.c.case_id, log_data.c.seq, log_data.c.data).where(
            log_data.c.case_id.in_(ids[start : start + CHUNK])
        )
        for case_id, seq, text in bind.execute(query):
            problem = _unreadable(text)
            if problem is not None:
                raise _damaged(case_id, seq, problem)


def upgrade() -> None:
    """Add the column, then fill it by replay."""
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(cases.c.case_id).order_by(cases.c.case_id))]
    _check(bind, ids)
    # MariaDB commits the new column at once: a run cut off while filling it left the column,
    # which this run fills.
    if "state" not in {column["name"] for column in sa.inspect(bind).get_columns("rfsm_cases")}:
        with op.batch_alter_table("rfsm_cases") as batch:
            batch.add_column(sa.Column("state", PAYLOAD, nullable=True))
    # Reflected, so that each engine's dates and times come back as the store reads them.
    metadata = sa.MetaData()
    log = sa.Table("rfsm_transitions", metadata, autoload_with=bind)
    notes = sa.Table("rfsm_redactions", metadata, autoload_with=bind)
    for start in range(0, len(ids), CHUNK):
        _fill(bind, log, notes, ids[start : start + CHUNK])


def _fill(bind: sa.Connection, log: sa.Table, notes: sa.Table, chunk: Sequence[str]) -> None:
    entries: dict[str, list[dict[str, Any]]] = {}
    query = sa.select(log).where(log.c.case_id.in_(chunk)).order_by(log.c.case_id, log.c.seq)
    for row in bind.execute(query).mappings():
        entries.setdefault(row["case_id"], []).append(dict(row))
    redactions: dict[str, list[dict[str, Any]]] = {}
    query = (
        sa.select(notes)
        .where(notes.c.case_id.in_(chunk))
        .order_by(notes.c.case_id, notes.c.seq, notes.c.number)
    )
    for row in bind.execute(query).mappings():
        redactions.setdefault(row["case_id"], []).append(dict(row))
    states = []
    for case_id, rows in entries.items():
        case_notes = {
            seq: list(group) for seq, group in by_seq(redactions.get(case_id, [])).items()
        }
        try:
            case = Reintegration.replay(transitions_from_rows(rows, case_notes))
        except (ProtocolError, ValueError, KeyError, TypeError):
            continue
        states.append({"b_case_id": case_id, "b_state": case._state()})
    if states:
        bind.execute(
            sa.update(cases)
            .where(cases.c.case_id == sa.bindparam("b_case_id"))
            .values(state=sa.bindparam("b_state")),
            states,
        )


def downgrade() -> None:
    """Drop the column (on MariaDB, which commits it at once, unless a run cut off after
    dropping it did)."""
    if "state" in resumable.columns("rfsm_cases"):
        with op.batch_alter_table("rfsm_cases") as batch:
            batch.drop_column("state")
