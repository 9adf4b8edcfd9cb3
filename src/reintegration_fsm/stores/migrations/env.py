"""Alembic environment for the store's schema (run by `reintegration_fsm.stores.upgrade`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from reintegration_fsm.stores.engines import open_engine
from reintegration_fsm.stores.migrate import VERSION_TABLE
from reintegration_fsm.stores.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    shared = config.attributes.get("connection")
    if shared is not None:
        _run(shared)
    else:
        # As the store makes it: parameters hidden, a new SQLite file readable by its owner only.
        engine, _ = open_engine(str(config.get_main_option("sqlalchemy.url")))
        try:
            with engine.begin() as conn:
                _run(conn)
        finally:  # a run that fails too: its connection is in the pool
            engine.dispose()
