"""An authority's cases are indexed in case id order.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

`ix_rfsm_cases_authority` indexed the authority alone. A store scoped to one authority streams
its log (`load_all()`, `verify()`, the report) in case id order, and SQLite and MariaDB sorted
the authority's whole log, data included, before its first case: 77 ms before the first of an
authority's 2,100 cases at 10,000, 0.8 s for the whole stream of one of 10,260 (review QP,
QP3). Indexed on `(authority, case_id)`, the stream reads the cases in order and sorts only each
case's few entries. The downgrade indexes the authority alone again.

A run cut off part way and run again finishes the index (`resumable.create_index`).
"""

from __future__ import annotations

from reintegration_fsm.stores.migrations import resumable

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    resumable.create_index("ix_rfsm_cases_authority", "rfsm_cases", ["authority", "case_id"])


def downgrade() -> None:
    resumable.create_index("ix_rfsm_cases_authority", "rfsm_cases", ["authority"])
