"""Alembic environment for the store's schema (run by `reintegration_fsm.stores.upgrade`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection

from reintegration_fsm.stores.engines import open_engine
from reintegration_fsm.stores.migrate import VERSION_TABLE
from reintegration_fsm.stores.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        on_version_apply=_commit_stamp,
    )
    with context.begin_transaction():
        context.run_migrations()


def _commit_stamp(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """MariaDB (and MySQL) commit each DDL statement at once, and with it whatever came before:
    commit each migration's stamp with it as well, so that a run stopped by a later migration
    (a downgrade it refuses) leaves the stamp naming the schema the database holds. On SQLite
    and PostgreSQL the whole run is one transaction, and a stop changes nothing."""
    connection = ctx.connection
    if connection is not None and connection.dialect.name in ("mysql", "mariadb"):
        connection.exec_driver_sql("COMMIT")


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
