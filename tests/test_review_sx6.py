"""Review SX6: opening a store reads the shipped revisions and the database's stamp without
importing Alembic (which ran every migration module to list them), on SQLite, PostgreSQL and
MariaDB, reading what Alembic reads."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, migrate

SRC = Path(__file__).resolve().parent.parent / "src"


def _alembic_heads(conn: sa.Connection) -> tuple[str, ...]:
    """The version table as Alembic reads it (the reading `stamped` replaced)."""
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table": migrate.VERSION_TABLE})
    return tuple(context.get_current_heads())


def test_SX6_revisions_are_read_as_alembic_reads_the_migration_files() -> None:
    """SX6: the revisions read from the files' text are Alembic's, in its order, head and base."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.config())
    order = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert migrate.revisions() == order
    assert migrate.head() == scripts.get_current_head() == order[-1]
    assert migrate._first() == scripts.get_base() == order[0]
    assert all(migrate._known(revision) for revision in order)
    assert not any(migrate._known(text) for text in ("head", "base", "001", f"{order[-1]}@head"))


@pytest.fixture
def versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A `migrations/versions` folder of the test's own, read in place of the package's."""
    folder = tmp_path / "migrations" / "versions"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(migrate, "resources", types.SimpleNamespace(files=lambda _: tmp_path))
    migrate._chain.cache_clear()
    yield folder
    migrate._chain.cache_clear()


def _migration(folder: Path, revision: str, down: str | None) -> None:
    (folder / f"{revision}_step.py").write_text(
        f'"""Step.\n\nrevision {revision} of the tests.\n"""\n\nrevision = {revision!r}\n'
        f"down_revision = {down!r}\n",
        encoding="utf-8",
    )


def test_SX6_the_files_are_followed_from_the_base_whatever_their_names(versions: Path) -> None:
    """SX6: the order is the chain's, not the files' names'; a docstring's prose is not read."""
    _migration(versions, "b", "c")
    _migration(versions, "c", "a")
    _migration(versions, "a", None)
    assert migrate.revisions() == ["a", "c", "b"]
    assert migrate.head() == "b"


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([("a", None), ("b", "a"), ("c", "a")], "both follow a"),  # a branch
        ([("a", None), ("c", "b")], "not one chain"),  # a gap
        ([("a", None), ("b", None)], "both follow None"),  # two bases
        ([("a", "b"), ("b", "a")], "not one chain"),  # a cycle, no base
        ([], "not one chain"),  # none at all
    ],
)
def test_SX6_revisions_that_are_not_one_chain_are_refused(
    versions: Path, steps: list[tuple[str, str | None]], refused: str
) -> None:
    """SX6: the package's own files not forming one chain is refused (a `StoreError` saying to
    reinstall since review ENV, ENV2, not an assert `python -O` would skip), not a guess."""
    for revision, down in steps:
        _migration(versions, revision, down)
    with pytest.raises(StoreError, match=refused):
        migrate.revisions()


def test_SX6_a_file_without_literal_revisions_is_refused(versions: Path) -> None:
    """SX6: a merge (a tuple), a file naming no revision, or one whose text assigns one twice
    (at a line's start in a docstring too, which is refused, not guessed at), is refused."""
    _migration(versions, "a", None)
    (versions / "b_merge.py").write_text(
        'revision = "b"\ndown_revision = ("a", "x")\n', encoding="utf-8"
    )
    with pytest.raises(StoreError, match="merges revisions"):
        migrate.revisions()
    (versions / "b_merge.py").write_text("down_revision = 'a'\n", encoding="utf-8")
    migrate._chain.cache_clear()
    with pytest.raises(StoreError, match="no revision"):
        migrate.revisions()
    (versions / "b_merge.py").write_text(
        '"""\nrevision = "x"\n"""\nrevision = "b"\ndown_revision = "a"\n', encoding="utf-8"
    )
    migrate._chain.cache_clear()
    with pytest.raises(StoreError, match="assigns revision twice"):
        migrate.revisions()


def test_SX6_opening_a_store_imports_no_alembic(tmp_path: Path) -> None:
    """SX6: a new process that opens a store, reads it, and asks its stamp, the head, and
    whether it is behind, imports no Alembic (which ran every migration to list them)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with SqlAlchemyStore(url) as store:
        store.create_schema()
    script = textwrap.dedent(
        f"""
        import sys
        import sqlalchemy as sa
        from reintegration_fsm.stores import SqlAlchemyStore, migrate
        with SqlAlchemyStore({url!r}) as store:
            assert store.cases() == []
        engine = sa.create_engine({url!r})
        with engine.connect() as conn:
            migrate.refuse_behind(conn, "read")
            assert migrate.stamped(conn) == migrate.head()
            assert migrate.refusal("0001", "write") is not None
            assert migrate.revisions()[-1] == migrate.head()
        engine.dispose()
        print("alembic" in sys.modules, "mako" in sys.modules)
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"], done.stdout


@contextlib.contextmanager
def _unpooled(url: str) -> Iterator[sa.Engine]:
    """An engine without a pool on `url`, disposed at the block's end."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on a store at the newest revision, on each engine."""
    with _unpooled(database_url) as made:
        yield made


def test_SX6_stamped_reads_what_alembic_reads_on_each_engine(engine: sa.Engine) -> None:
    """SX6: `stamped` with plain SQL gives what it gave through Alembic: the one revision;
    None for an empty version table and for none; the same refusals for several rows and for
    text naming no revision."""
    table = migrate.VERSION_TABLE
    with engine.begin() as conn:
        assert migrate.stamped(conn) == migrate.head()
        assert _alembic_heads(conn) == (migrate.head(),)
        conn.execute(sa.text(f"UPDATE {table} SET version_num = '0003'"))
        assert migrate.stamped(conn) == "0003"
        conn.execute(sa.text(f"DELETE FROM {table}"))
        assert migrate.stamped(conn) is None
        assert _alembic_heads(conn) == ()
        conn.execute(sa.text(f"INSERT INTO {table} (version_num) VALUES ('0002'), ('9999')"))
        assert sorted(_alembic_heads(conn)) == ["0002", "9999"]
        with pytest.raises(StoreError, match=r"holds 2 \(0002, 9999\): a newer version made it"):
            migrate.stamped(conn)
        conn.execute(sa.text(f"DELETE FROM {table} WHERE version_num = '9999'"))
        conn.execute(sa.text(f"INSERT INTO {table} (version_num) VALUES ('0001')"))
        with pytest.raises(StoreError, match=r"holds 2 \(0001, 0002\): it was altered"):
            migrate.stamped(conn)
        conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.text(f"INSERT INTO {table} (version_num) VALUES ('head')"))
        with pytest.raises(StoreError, match="holds 'head', which names no revision"):
            migrate.stamped(conn)
        conn.execute(sa.text(f"DROP TABLE {table}"))
        assert migrate.stamped(conn) is None
        assert _alembic_heads(conn) == ()
        # No failed statement spoilt the transaction (PostgreSQL aborts one on any error).
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1


def test_SX6_stamped_reads_the_version_table_on_postgresqls_search_path(
    postgres_url: str,
) -> None:
    """SX6: on PostgreSQL, the version table read is the one the session's search_path finds,
    as Alembic's was (a store in its own schema), and one in another schema is not read."""
    with _unpooled(postgres_url) as engine, engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS rx_sx6_other CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA rx_sx6_other")
        try:
            conn.exec_driver_sql(
                f"CREATE TABLE rx_sx6_other.{migrate.VERSION_TABLE} "
                "(version_num VARCHAR(32) NOT NULL)"
            )
            conn.exec_driver_sql(
                f"INSERT INTO rx_sx6_other.{migrate.VERSION_TABLE} VALUES ('0005')"
            )
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS public.{migrate.VERSION_TABLE}")
            assert migrate.stamped(conn) is None
            assert _alembic_heads(conn) == ()
            conn.exec_driver_sql("SET LOCAL search_path = rx_sx6_other")
            assert migrate.stamped(conn) == "0005"
            assert _alembic_heads(conn) == ("0005",)
        finally:
            conn.exec_driver_sql("SET LOCAL search_path = public")
            conn.exec_driver_sql("DROP SCHEMA rx_sx6_other CASCADE")
