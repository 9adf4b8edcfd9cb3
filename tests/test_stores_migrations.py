"""The shipped Alembic migrations build exactly the schema `create_schema()` builds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reintegration_fsm.stores import SqlAlchemyStore, schema, upgrade
from reintegration_fsm.stores.migrate import VERSION_TABLE
from store_contract import built, reachable_engine, reset_database


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database of each kind."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
        yield engine
        engine.dispose()
        return
    url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    yield engine
    reset_database(engine)
    engine.dispose()


def _ours(name: Any, type_: str, parent_names: Any) -> bool:
    return type_ != "table" or name in schema.TABLE_NAMES


def differences(engine: sa.Engine) -> list[Any]:
    """What autogenerate would change to make the database match `schema.metadata`."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": _ours, "compare_type": True}
        )
        return list(compare_metadata(context, schema.metadata))


def triggers(engine: sa.Engine) -> set[str]:
    """The names of the triggers on the log table."""
    query = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        "postgresql": "SELECT tgname FROM pg_trigger "
        "WHERE NOT tgisinternal AND tgrelid = 'rfsm_transitions'::regclass",
        "mysql": "SELECT trigger_name FROM information_schema.triggers "
        "WHERE event_object_table = 'rfsm_transitions' AND trigger_schema = DATABASE()",
    }[engine.dialect.name]
    with engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql(query)}


def test_the_migrated_schema_equals_create_schemas(engine: sa.Engine) -> None:
    upgrade(engine)
    assert differences(engine) == []
    migrated_triggers = triggers(engine)
    upgrade(engine)  # at head already: nothing to do
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0002"

    reset_database(engine)
    assert differences(engine) != []  # the comparison can fail
    SqlAlchemyStore(engine).create_schema()
    assert differences(engine) == []
    assert triggers(engine) == migrated_triggers
    assert len(migrated_triggers) >= 2


def test_a_migrated_database_holds_cases_and_refuses_log_updates(engine: sa.Engine) -> None:
    upgrade(engine)
    store = SqlAlchemyStore(engine)
    store.create_schema()  # on a migrated database: nothing to add
    case = built("case-01", 4)
    store.save(case)
    assert store.load("case-01") == case
    assert store.verify() == []
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.delete(schema.transitions))


def test_a_schema_built_by_create_schema_upgrades_cleanly(engine: sa.Engine) -> None:
    """create_schema() stamps the newest migration, so a later upgrade() adds nothing twice."""
    SqlAlchemyStore(engine).create_schema()
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0002"
    upgrade(engine)
    assert differences(engine) == []
    SqlAlchemyStore(engine).create_schema()  # still idempotent: one stamp, no error
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {VERSION_TABLE}")).scalar() == 1
