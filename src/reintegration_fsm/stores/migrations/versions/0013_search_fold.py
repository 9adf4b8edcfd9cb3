"""The search columns hold each case's id and child's name as the rules compare names.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

`rfsm_cases.case_id_folded` and `pupil_name_folded` held `str.casefold()` of the case id and the
child's name. A child recorded as "Zoe" with the diaeresis typed apart from its letter (as macOS
and some MIS exports write it), or with a zero-width space pasted from Word, was not found by a
search for the name as a keyboard types it: neither `cases --search` nor a subject access
request (`export --pupil`). The columns now hold `fields.folded_text` of each: the characters
nobody sees left out, one Unicode form (NFC), letters' case folded, the Turkish ı and İ as i.

No column changes; only the rows whose fold differs are rewritten (an id or name in ASCII
folds as before). The upgrade reads the library's fold, so that the columns hold what a store
of this version writes; a later version that folds otherwise comes with a revision of its own.
The downgrade writes `str.casefold()` again, as revision 0012's library does. Either way a run
cut off part way and run again rewrites what it had not.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.fields import folded_text

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHUNK = 500
"""Case rows rewritten at a time."""

cases = sa.table(
    "rfsm_cases",
    sa.column("case_id", sa.String),
    sa.column("pupil_name", sa.String),
    sa.column("case_id_folded", sa.String),
    sa.column("pupil_name_folded", sa.String),
)


def _refold(fold: Callable[[str], str]) -> None:
    """Write each case row's search columns as `fold` folds its id and child's name, where they
    differ."""
    bind = op.get_bind()
    query = sa.select(
        cases.c.case_id, cases.c.pupil_name, cases.c.case_id_folded, cases.c.pupil_name_folded
    ).order_by(cases.c.case_id)
    changed = []
    for case_id, name, *held in bind.execute(query).all():
        folded = [fold(case_id), fold(name)]
        if held != folded:
            changed.append(
                {"b_case_id": case_id, "case_id_folded": folded[0], "pupil_name_folded": folded[1]}
            )
    update = (
        sa.update(cases)
        .where(cases.c.case_id == sa.bindparam("b_case_id"))
        .values(
            case_id_folded=sa.bindparam("case_id_folded"),
            pupil_name_folded=sa.bindparam("pupil_name_folded"),
        )
    )
    for start in range(0, len(changed), CHUNK):
        bind.execute(update, changed[start : start + CHUNK])


def upgrade() -> None:
    _refold(folded_text)


def downgrade() -> None:
    _refold(str.casefold)
