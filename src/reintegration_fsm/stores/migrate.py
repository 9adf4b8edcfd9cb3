"""Apply the Alembic migrations shipped in `reintegration_fsm/stores/migrations`."""

from __future__ import annotations

import functools
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Engine

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import engines
from reintegration_fsm.stores.failures import converted

VERSION_TABLE = "rfsm_alembic_version"
"""Our own version table, so that the library's migrations never meet an application's."""


def config() -> Config:
    """An Alembic configuration pointing at the package's migrations."""
    cfg = Config()
    location = resources.files("reintegration_fsm.stores") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database at `url_or_engine` up to `revision` (default: the newest).

    Each migration runs in the one transaction (MariaDB commits DDL as it goes). A SQLite file
    this creates is readable by its owner only.

    Raises:
        StoreError: no such revision, or the database failed (`.retryable` says whether the
            same call may simply be tried again).
    """
    with converted("upgrade the database"):
        engine, made = engines.open_engine(url_or_engine)
        try:
            with engine.begin() as conn:
                cfg = config()
                cfg.attributes["connection"] = conn
                try:
                    command.upgrade(cfg, revision)
                except (CommandError, RevisionError) as error:
                    raise StoreError(
                        f"cannot upgrade to revision {revision!r}: {error}", retryable=False
                    ) from error
        finally:
            if made:
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


@functools.cache
def head() -> str:
    """The newest revision of the shipped migrations."""
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None  # pragma: no cover - the package ships its migrations
    return found


def refuse_behind(conn: Connection, action: str) -> None:
    """Refuse to `action` on a database whose schema an upgrade would still change: read with
    this library's layouts, its rows would all look altered.

    Raises:
        StoreError: the database is stamped with an older (or unknown) revision.
    """
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    current = context.get_current_revision()
    if current is not None and current != head():
        raise StoreError(
            f"cannot {action}: the database's schema is at revision {current}, this library's "
            f"at {head()}; run upgrade() (reintegration-fsm db upgrade) first",
            retryable=False,
        )
