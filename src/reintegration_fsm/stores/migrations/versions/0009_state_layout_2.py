"""Each case's state in layout 2: obligations in runs opened the same day, absent values left out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

`rfsm_cases.state` is rewritten from layout 1 to layout 2 (`state.encode`): each run of
obligations opened the same day is written once with its day, and an obligation's or deadline's
absent due date, basis or met date is left out (1,392 to 1,227 bytes for an eleven-step case).
The values are the same: each state is read (`state.decode`) and written again, with no replay.
A state that does not read (NULL, or damaged) is left as it is, for `verify()` to report as
before; one that cannot be read or written at all (JSON nested too deep, a lone surrogate) stops
the upgrade with a `StoreError` naming the case, and the revision's transaction changes nothing.
`verify()` compares the stored text with the replayed case's, which is now layout 2.

The downgrade writes every state back in layout 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.errors import FormInvalid, StoreError
from reintegration_fsm.state import relaid

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CHUNK = 500

cases = sa.table("rfsm_cases", sa.column("case_id", sa.String), sa.column("state", sa.Text))


def _rewritten(case_id: str, text: str, layout: int) -> str | None:
    """The state in `layout` (None: a state that does not read, left for `verify()`).

    Raises:
        StoreError: the state cannot be read or written at all (a row altered behind the
            store); the revision's one transaction then changes nothing, on every engine.
    """
    problem = None
    try:
        new = relaid(text, layout)
        new.encode("utf-8")
    except FormInvalid:
        return None
    except RecursionError:
        problem = "is JSON nested too deep to read"
    except UnicodeEncodeError:
        problem = "holds a lone surrogate (text no database can store)"
    else:
        return new
    raise StoreError(
        f"cannot {'upgrade' if layout == 2 else 'downgrade'} to revision "
        f"{revision if layout == 2 else down_revision}: the state of case {case_id!r} "
        f"{problem}; set it to NULL (the case's loads then replay its log) and try again",
        retryable=False,
    )


def _rewrite(layout: int) -> None:
    bind = op.get_bind()
    ids = [
        row[0]
        for row in bind.execute(
            sa.select(cases.c.case_id).where(cases.c.state.is_not(None)).order_by(cases.c.case_id)
        )
    ]
    update = (
        sa.update(cases)
        .where(cases.c.case_id == sa.bindparam("b_case_id"))
        .values(state=sa.bindparam("b_state"))
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = bind.execute(
            sa.select(cases.c.case_id, cases.c.state).where(cases.c.case_id.in_(chunk))
        ).all()
        changes = []
        for case_id, text in rows:
            new = _rewritten(case_id, text, layout)
            if new is not None and new != text:
                changes.append({"b_case_id": case_id, "b_state": new})
        if changes:
            bind.execute(update, changes)


def upgrade() -> None:
    """Every state in layout 2."""
    _rewrite(2)


def downgrade() -> None:
    """Every state in layout 1."""
    _rewrite(1)
