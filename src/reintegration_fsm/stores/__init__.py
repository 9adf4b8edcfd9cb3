"""Stores that keep cases: in memory, or in a SQL database through SQLAlchemy.

The domain core never imports this package; stores import the core. Every store satisfies
`Store`: `save`, `load`, `history`, `taken`, `import_histories`, `due`, `cases`, `weightings`,
`ledger`, `verify`, and for evidence `checkpoint`, `redact`, `redactions`, `past_retention`,
`apply_retention`, `undated_retention` and `held_retention` (see docs/stores.md and
docs/evidence.md). `copy_store` copies a whole store, verbatim, into another database.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

    def _both_stores_are_stores(memory: InMemoryStore, sql: SqlAlchemyStore) -> list[Store]:
        """mypy checks here that each store satisfies the declared interface."""
        checked: list[Store] = [memory, sql]
        return checked


_MODULES = {
    "CaseSummary": "model",
    "Checkpoint": "checkpoints",
    "CheckpointCase": "checkpoints",
    "CheckpointRefused": "checkpoints",
    "CopyRefused": "copying",
    "CopyReport": "copying",
    "DueItem": "model",
    "InMemoryStore": "memory",
    "LedgerEntry": "model",
    "MalformedCheckpoint": "checkpoints",
    "Problem": "model",
    "RedactionNote": "redaction",
    "RetentionDue": "retention",
    "RetentionHeld": "retention",
    "RetentionPolicy": "retention",
    "RetentionRun": "retention",
    "Signature": "checkpoints",
    "SqlAlchemyStore": "sql",
    "Store": "base",
    "cases_as_of": "as_of",
    "copy_store": "copying",
    "due_as_of": "as_of",
    "upgrade": "migrate",
}
"""The module each public name is defined in."""


def __getattr__(name: str) -> Any:
    # Each name is loaded when first asked for: the model and the checkpoints without
    # SQLAlchemy, which the command line's start-up does not load (review SU7).
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The lazy names too, so that help() and a REPL's completion show them.
    return sorted({*globals(), *_MODULES})


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
