"""Stores that keep cases: in memory, or in a SQL database through SQLAlchemy.

The domain core never imports this package; stores import the core. Every store satisfies
`Store`: `save`, `load`, `history`, `taken`, `import_histories`, `due`, `cases`, `weightings`,
`ledger`, `verify`, and for evidence `checkpoint`, `redact`, `redactions`, `past_retention`,
`apply_retention`, `undated_retention` and `held_retention` (see docs/stores.md and
docs/evidence.md). `copy_store` copies a whole store, verbatim, into another database.
"""

from typing import TYPE_CHECKING

from reintegration_fsm.stores.as_of import cases_as_of, due_as_of
from reintegration_fsm.stores.base import Store
from reintegration_fsm.stores.checkpoints import (
    Checkpoint,
    CheckpointCase,
    CheckpointRefused,
    MalformedCheckpoint,
    Signature,
)
from reintegration_fsm.stores.copying import CopyRefused, CopyReport, copy_store
from reintegration_fsm.stores.memory import InMemoryStore
from reintegration_fsm.stores.migrate import upgrade
from reintegration_fsm.stores.model import CaseSummary, DueItem, LedgerEntry, Problem
from reintegration_fsm.stores.redaction import RedactionNote
from reintegration_fsm.stores.retention import (
    RetentionDue,
    RetentionHeld,
    RetentionPolicy,
    RetentionRun,
)
from reintegration_fsm.stores.sql import SqlAlchemyStore

if TYPE_CHECKING:

    def _both_stores_are_stores(memory: InMemoryStore, sql: SqlAlchemyStore) -> list[Store]:
        """mypy checks here that each store satisfies the declared interface."""
        checked: list[Store] = [memory, sql]
        return checked


__all__ = [
    "CaseSummary",
    "Checkpoint",
    "CheckpointCase",
    "CheckpointRefused",
    "CopyRefused",
    "CopyReport",
    "DueItem",
    "InMemoryStore",
    "LedgerEntry",
    "MalformedCheckpoint",
    "Problem",
    "RedactionNote",
    "RetentionDue",
    "RetentionHeld",
    "RetentionPolicy",
    "RetentionRun",
    "Signature",
    "SqlAlchemyStore",
    "Store",
    "cases_as_of",
    "copy_store",
    "due_as_of",
    "upgrade",
]
