"""Stores that keep cases: in memory, or in a SQL database through SQLAlchemy.

The domain core never imports this package; stores import the core. Every store satisfies
`Store`: `save`, `load`, `history`, `taken`, `import_histories`, `due`, `cases`, `weightings`,
`ledger` and `verify` (see docs/stores.md).
"""

from typing import TYPE_CHECKING

from reintegration_fsm.stores.base import Store
from reintegration_fsm.stores.memory import InMemoryStore
from reintegration_fsm.stores.migrate import upgrade
from reintegration_fsm.stores.model import CaseSummary, DueItem, LedgerEntry, Problem
from reintegration_fsm.stores.sql import SqlAlchemyStore

if TYPE_CHECKING:

    def _both_stores_are_stores(memory: InMemoryStore, sql: SqlAlchemyStore) -> list[Store]:
        """mypy checks here that each store satisfies the declared interface."""
        checked: list[Store] = [memory, sql]
        return checked


__all__ = [
    "CaseSummary",
    "DueItem",
    "InMemoryStore",
    "LedgerEntry",
    "Problem",
    "SqlAlchemyStore",
    "Store",
    "upgrade",
]
