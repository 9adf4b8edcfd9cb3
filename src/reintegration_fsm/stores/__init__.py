"""Stores that keep cases: in memory, or in a SQL database through SQLAlchemy.

The domain core never imports this package; stores import the core. Every store has
`save`, `load`, `history`, `due` and `verify` (see docs/stores.md).
"""

from reintegration_fsm.stores.memory import InMemoryStore
from reintegration_fsm.stores.migrate import upgrade
from reintegration_fsm.stores.model import DueItem, Problem
from reintegration_fsm.stores.sql import SqlAlchemyStore

__all__ = ["DueItem", "InMemoryStore", "Problem", "SqlAlchemyStore", "upgrade"]
