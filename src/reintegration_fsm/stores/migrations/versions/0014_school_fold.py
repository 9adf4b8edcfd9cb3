"""The case row holds each school's name as the rules compare names, indexed for the lists.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

`cases(school=...)` and `due(school=...)` matched a school's name only as written: a list asked
for "HOLLYBROOK ACADEMY" was empty, and a case whose host was recorded as "ELMSTEAD HIGH SCHOOL"
(which R5 and R15 read as the family's "Elmstead High School") was missing from that school's
list. `rfsm_cases` gains `ap_setting_folded` and `host_school_folded`, each school's name as
`fields.folded_name` folds it (letters' case, runs of spaces, Unicode form and invisible
characters aside), filled from the rows and indexed; they take the place of the indexes on the
names as written, which no query reads any more.

The upgrade reads the library's fold, as 0013 does. Either way, a run cut off part way and run
again makes what it had not. The downgrade drops the columns and indexes the names as written
again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.fields import folded_name
from reintegration_fsm.stores.migrations import resumable

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CHUNK = 500
"""Case rows written at a time."""

FOLDED_LENGTH = 600
"""`schema.NAME * schema.FOLDED` at this revision."""

SCHOOLS = {"ap_setting": "ap_setting_folded", "host_school": "host_school_folded"}
"""Each school column and the column holding its fold."""

cases = sa.table(
    "rfsm_cases",
    sa.column("case_id", sa.String),
    *(sa.column(name, sa.String) for pair in SCHOOLS.items() for name in pair),
)


def _folded_type() -> sa.types.TypeEngine[str]:
    """The folded columns' type, with the C collation on PostgreSQL, as revision 0010 gives
    every text column there."""
    return sa.String(FOLDED_LENGTH).with_variant(
        sa.String(FOLDED_LENGTH, collation="C"), "postgresql"
    )


def _fill() -> None:
    """Write each case row's folded school columns where they differ from the fold."""
    bind = op.get_bind()
    query = sa.select(
        cases.c.case_id,
        cases.c.ap_setting,
        cases.c.host_school,
        cases.c.ap_setting_folded,
        cases.c.host_school_folded,
    ).order_by(cases.c.case_id)
    changed = []
    for case_id, ap_setting, host_school, *held in bind.execute(query).all():
        folded = [
            folded_name(ap_setting),
            None if host_school is None else folded_name(host_school),
        ]
        if held != folded:
            changed.append(
                {
                    "b_case_id": case_id,
                    "ap_setting_folded": folded[0],
                    "host_school_folded": folded[1],
                }
            )
    update = (
        sa.update(cases)
        .where(cases.c.case_id == sa.bindparam("b_case_id"))
        .values({name: sa.bindparam(name) for name in SCHOOLS.values()})
    )
    for start in range(0, len(changed), CHUNK):
        bind.execute(update, changed[start : start + CHUNK])


def upgrade() -> None:
    for name in SCHOOLS.values():
        resumable.add_column("rfsm_cases", sa.Column(name, _folded_type(), nullable=True))
    _fill()
    for written, folded in SCHOOLS.items():
        resumable.create_index(f"ix_rfsm_cases_{folded}", "rfsm_cases", [folded])
        resumable.drop_index(f"ix_rfsm_cases_{written}", "rfsm_cases")


def downgrade() -> None:
    for written, folded in SCHOOLS.items():
        resumable.create_index(f"ix_rfsm_cases_{written}", "rfsm_cases", [written])
        resumable.drop_index(f"ix_rfsm_cases_{folded}", "rfsm_cases")
    present = resumable.columns("rfsm_cases")
    for folded in SCHOOLS.values():
        # ALTER TABLE ... DROP COLUMN on every engine (SQLite since 3.35), as 0012 drops its
        # column: SQLite's batch mode would rebuild the table.
        if folded in present:
            op.execute(f"ALTER TABLE rfsm_cases DROP COLUMN {folded}")
