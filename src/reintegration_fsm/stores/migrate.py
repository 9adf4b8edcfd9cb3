"""Apply the Alembic migrations shipped in `reintegration_fsm/stores/migrations`."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine

from reintegration_fsm.stores import sqlite

VERSION_TABLE = "rfsm_alembic_version"
"""Our own version table, so that the library's migrations never meet an application's."""


def config() -> Config:
    """An Alembic configuration pointing at the package's migrations."""
    cfg = Config()
    location = resources.files("reintegration_fsm.stores") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Migrate the database at `url_or_engine` up to `revision` (default: the newest)."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    if engine.dialect.name == "sqlite":
        # Our own BEGIN, so that SQLite's DDL runs inside the migration's transaction.
        sqlite.configure(engine, durable=True, busy_timeout=5.0)
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def stamp_if_unversioned(conn: Connection) -> None:
    """Record the newest revision on a database whose schema `create_schema()` just built.

    Without the stamp, a later `upgrade()` would try to create tables that already exist.
    """
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    if context.get_current_revision() is None:
        cfg = config()
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "head")
