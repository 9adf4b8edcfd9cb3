"""Review LI: small items left open by earlier sessions.

The PostgreSQL and MariaDB cases run when RFSM_TEST_POSTGRES_URL and RFSM_TEST_MARIADB_URL are
set (skipped when unset).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import SqlAlchemyStore, copy_store, migrate, parallel, schema, upgrade
from store_contract import CALENDAR

invoke: Callable[..., Any] = CliRunner().invoke

CAP = 32
"""`CAP`, as the docs give it."""


# RR5: an absurd count of processes is refused, by both commands and both library calls.


def test_the_cap_is_the_one_the_docs_give() -> None:
    """The docs and messages say 32."""
    assert getattr(parallel, "MAX_WORKERS", None) == CAP


@pytest.mark.parametrize("workers", [CAP + 1, 10_000])
def test_verify_refuses_more_workers_than_the_cap(demo_db: str, workers: int) -> None:
    """`verify(workers=10_000)` is the caller's slip, refused as `FormInvalid` naming the cap,
    rather than up to one process per batch of cases."""
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as store:
        with pytest.raises(FormInvalid, match=f"from 1 to {CAP}, not {workers}"):
            store.verify(workers=workers)
        assert store.verify(workers=CAP) == store.verify()


def test_copy_store_refuses_more_workers_than_the_cap(demo_db: str, tmp_path: Path) -> None:
    """`copy_store(workers=10_000)`: the copy's form error, before a target file is made."""
    made = tmp_path / "target.sqlite"
    with pytest.raises(FormInvalid, match=f"from 1 to {CAP}") as refused:
        copy_store(demo_db, f"sqlite:///{made}", workers=10_000)
    assert refused.value.form == "copy"
    assert not made.exists()


@pytest.mark.parametrize("command", [["verify"], ["db", "copy", "TARGET"]])
def test_the_commands_refuse_more_workers_than_the_cap(
    demo_db: str, tmp_path: Path, command: list[str]
) -> None:
    """`verify --workers 10000` and `db copy --workers 10000`: a usage error (exit 2) naming
    the range, no traceback, no target made."""
    made = tmp_path / "target.sqlite"
    words = [str(made) if word == "TARGET" else word for word in command]
    result = invoke(cli, ["--db", demo_db, *words, "--workers", "10000"])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output
    assert f"1<=x<={CAP}" in result.output
    assert "Traceback" not in result.output
    assert not made.exists()


# MU5's c59: a version table standing alone, stamped at the newest revision.


def _bare_stamp(url: str, revision: str | None = None) -> None:
    """Make the store at `url`, then drop its tables, leaving the version table stamped at the
    newest revision (or at `revision`)."""
    upgrade(url)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        schema.metadata.drop_all(conn)
        if revision is not None:
            conn.execute(
                sa.text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = :r"), {"r": revision}
            )
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert present & schema.TABLE_NAMES == set()
    assert migrate.VERSION_TABLE in present


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mariadb"])
def test_upgrade_makes_the_store_beside_a_bare_stamp(
    database: Callable[[str, str], str], kind: str
) -> None:
    """`db upgrade` on a database holding only a version table stamped at the newest revision
    makes the store, which then takes cases and verifies sound, rather than failing on the
    first missing table and pointing at itself."""
    url = database(kind, "bare")
    _bare_stamp(url)
    result = invoke(cli, ["--db", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert invoke(cli, ["--db", url, "demo"]).exit_code == 0
    checked = invoke(cli, ["--db", url, "verify"])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mariadb"])
def test_a_copy_into_a_bare_stamp_is_made(
    database: Callable[[str, str], str], demo_db: str, kind: str
) -> None:
    """`db copy` into a target holding only a version table stamped at the newest revision
    makes the store there and copies, rather than exit 3 on a missing table."""
    target = database(kind, "target")
    _bare_stamp(target)
    result = invoke(cli, ["--db", demo_db, "db", "copy", target])
    assert result.exit_code == 0, result.output
    assert "copied 4 cases" in result.output


def test_a_bare_stamp_of_a_newer_version_is_still_refused(tmp_path: Path, demo_db: str) -> None:
    """A version table alone, stamped by a newer version: neither the upgrade nor the copy
    drops it, and each says a newer version made it."""
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    _bare_stamp(url, "9999")
    upgraded = invoke(cli, ["--db", url, "db", "upgrade"])
    assert upgraded.exit_code != 0
    assert "newer version" in upgraded.output
    copied = invoke(cli, ["--db", demo_db, "db", "copy", url])
    assert copied.exit_code == 3, copied.output
    assert "newer version" in copied.output
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert migrate.stamped(conn) == "9999"
    engine.dispose()
