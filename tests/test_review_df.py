"""Review DF: the filesystem turning hostile under the library and its CLI (a full disk, a
read-only folder, files another user planted, a process killed part way)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from planting import ANOTHER_USER, as_root, invoke, shared_folder


@as_root
def test_DF1_output_refuses_a_link_another_user_planted(demo_db: str, tmp_path: Path) -> None:
    """`report -o /tmp/report.html`, where another user had put a link to a file of the
    officer's (or, the command run as root, of the system's): the command resolved the link
    itself and replaced the file it named. Refused, exit 2, the file as it was."""
    victim = tmp_path / "precious"
    victim.write_text("kept")
    link = shared_folder(tmp_path) / "report.html"
    link.symlink_to(victim)
    os.lchown(link, ANOTHER_USER, ANOTHER_USER)
    code, out, err = invoke("--db", demo_db, "report", "--year", "2025/26", "-o", str(link))
    assert code == 2, out + err
    assert "is a link of another user" in err
    assert victim.read_text() == "kept"
    assert link.is_symlink()


@as_root
def test_DF1_output_refuses_a_folder_link_another_user_planted(
    demo_db: str, tmp_path: Path
) -> None:
    """A link to a folder on the way (`/tmp/reports/cases.csv`, `reports` another user's link
    to a folder of the officer's) is refused as a link to the file is."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "cases.csv").write_text("kept")
    link = shared_folder(tmp_path) / "reports"
    link.symlink_to(mine)
    os.lchown(link, ANOTHER_USER, ANOTHER_USER)
    target = link / "cases.csv"
    code, out, err = invoke("--db", demo_db, "cases", "--format", "csv", "-o", str(target))
    assert code == 2, out + err
    assert (mine / "cases.csv").read_text() == "kept"


@as_root
def test_DF1_output_refuses_another_users_pipe(demo_db: str, tmp_path: Path) -> None:
    """A named pipe another user made where the output goes (`/tmp/cases.csv`) was written as
    it is, handing them every child's name. Refused, nothing written down it."""
    pipe = shared_folder(tmp_path) / "cases.csv"
    os.mkfifo(pipe, 0o666)
    os.chown(pipe, ANOTHER_USER, ANOTHER_USER)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # the other user, listening
    try:
        code, out, err = invoke("--db", demo_db, "cases", "--format", "csv", "-o", str(pipe))
        heard = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert code == 2, out + err
    assert "is a pipe of another user" in err
    assert heard == b""


def test_DF1_output_still_follows_the_users_own_link(demo_db: str, tmp_path: Path) -> None:
    """The link the docs describe (`-o latest.html`, the user's own) has the file it names
    replaced, and stays a link; so does a link of the folder's owner."""
    target = tmp_path / "report-2026.html"
    target.write_text("old")
    link = tmp_path / "latest.html"
    link.symlink_to(target.name)
    code, out, err = invoke("--db", demo_db, "report", "--year", "2025/26", "-o", str(link))
    assert code == 0, out + err
    assert link.is_symlink()
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@as_root
@pytest.mark.parametrize("planted", ["", "-wal", "-journal"])
def test_DF2_no_store_is_made_in_a_file_another_user_planted(tmp_path: Path, planted: str) -> None:
    """An empty `cases.sqlite` (or a `-wal` or `-journal` beside a new one) another user made
    first in a shared folder: the store was made in it, 0600 but theirs, and its owner may
    change its mode and read every case. Refused with a `StoreError`, nothing written."""
    from reintegration_fsm import SqlAlchemyStore, StoreError

    database = shared_folder(tmp_path) / "cases.sqlite"
    trap = Path(f"{database}{planted}")
    trap.touch(mode=0o666)
    os.chown(trap, ANOTHER_USER, ANOTHER_USER)
    with pytest.raises(StoreError, match="belongs to another user"):
        SqlAlchemyStore(f"sqlite:///{database}")
    assert trap.stat().st_size == 0
    assert planted == "" or not database.exists()


@as_root
def test_DF2_demo_refuses_an_empty_store_file_of_another_user(tmp_path: Path) -> None:
    """A command that makes a store (`demo`, `import`, `apply ... open`) in such a file exits 3
    saying why, and writes nothing into it."""
    database = shared_folder(tmp_path) / "cases.sqlite"
    database.touch(mode=0o666)
    os.chown(database, ANOTHER_USER, ANOTHER_USER)
    code, out, err = invoke("--db", str(database), "demo")
    assert code == 3, out + err
    assert "belongs to another user" in err
    assert database.stat().st_size == 0


FIXTURES = Path(__file__).parent / "fixtures" / "docs_outputs"
AP = (
    "--actor-id", "ap-1", "--actor-name", "Dale Verity", "--role", "ap_head",
    "--organisation", "Fernhill Learning Centre",
)  # fmt: skip


def test_DF3_a_step_saved_before_its_output_failed_says_it_is_saved(tmp_path: Path) -> None:
    """`apply C-1 open ... > /mnt/full/log` saved the case, then said only `error: cannot write
    the output` (exit 2, which reads "bad input: nothing done"); run again, it was refused as
    "already taken", exit 2 again: a script could only conclude the case was never opened.
    The message says what was saved."""
    database = tmp_path / "cases.sqlite"
    command = [sys.executable, "-m", "reintegration_fsm", "--db", str(database)]
    opening = ["apply", "C-1", "open", "--data", str(FIXTURES / "c1-open.json")]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*command, *opening, "--on", "2026-01-12", *AP],
            env=environment,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert result.returncode == 2, result.stderr
    assert "cannot write the output" in result.stderr
    assert "changed in the database is saved" in result.stderr
    code, out, err = invoke("--db", str(database), "history", "C-1")
    assert code == 0, err
    assert "open" in out


def test_DF4_a_save_on_a_full_disk_is_a_store_error_that_says_so(tmp_path: Path) -> None:
    """A save on a full disk raised `StoreError("the database failed (SQLITE_FULL)")`, the words
    of any failure, and the CLI added nothing to act on. SQLite's page limit stands in for the
    disk: its SQLITE_FULL is the one a full disk gives. The case is as it was, `verify` sound."""
    import sqlalchemy as sa

    from reintegration_fsm import SqlAlchemyStore, StoreError

    file = tmp_path / "cases.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{file}")
    store.create_schema()
    store.engine.dispose()
    with contextlib.closing(sqlite3.connect(file, isolation_level=None)) as connection:
        connection.execute("VACUUM")  # no free page left to write into
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    sa.event.listen(
        store.engine,
        "connect",
        lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count = {pages}"),
    )
    store.engine.dispose()
    saved: set[str] = set()
    with pytest.raises(StoreError, match="the disk the database writes to is full") as raised:
        save_until_full(store, saved)
    assert not raised.value.retryable
    assert {summary.case_id for summary in store.cases()} == saved
    assert store.verify() == []


def save_until_full(store: Any, saved: set[str]) -> None:
    """Save new cases into `store` until a save fails, each saved id into `saved`."""
    from reintegration_fsm import Reintegration
    from scenario import AP_HEAD, AP_SETTING, AUTHORITY, OPENED, PUPIL

    for number in range(200):  # more than the pages the file is held to can take
        case_id = f"C-{number}"
        store.save(Reintegration.open(case_id, PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED))
        saved.add(case_id)


@pytest.mark.parametrize(
    "driver",
    [
        pytest.param(lambda: __import__("psycopg").errors.DiskFull("no space"), id="postgresql"),
        pytest.param(
            lambda: __import__("pymysql").err.OperationalError(1021, "Disk full"), id="mariadb"
        ),
        pytest.param(lambda: __import__("pymysql").err.OperationalError(1114, "full"), id="table"),
    ],
)
def test_DF4_the_servers_disk_full_is_said_so(driver: object) -> None:
    """PostgreSQL's disk_full (53100) and MariaDB's disk or table full (1021, 1114) are told
    as a full disk, as SQLite's is."""
    from reintegration_fsm.stores.failures import translated

    error = translated(driver(), "save case 'C-1'")  # type: ignore[operator]
    assert "the disk the database writes to is full" in str(error)
