"""Each case's state in layout 2: obligations in runs opened the same day, absent values left out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

`rfsm_cases.state` is rewritten from layout 1 to layout 2 (`state.encode`): each run of
obligations opened the same day is written once with its day, and an obligation's or deadline's
absent due date, basis or met date is left out (1,392 to 1,227 bytes for an eleven-step case).
The values are the same: each state is read (`state.decode`) and written again, with no replay.
A state that does not read (NULL, or damaged) is left as it is, for `verify()` to report as
before. `verify()` compares the stored text with the replayed case's, which is now layout 2.

The downgrade writes every state back in layout 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.state import relaid

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CHUNK = 500

cases = sa.table("rfsm_cases", sa.column("case_id", sa.String), sa.column("state", sa.Text))


def _rewritten(text: str, layout: int) -> str | None:
    try:
        return relaid(text, layout)
    except FormInvalid:
        return None


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
            new = _rewritten(text, layout)
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
