"""Review RH: a hostile review of the second batch of fixes merged this session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from planting import ANOTHER_USER, as_root, invoke, shared_folder


@pytest.fixture
def removed_folder(tmp_path: Path) -> Iterator[None]:
    """The working folder removed under the command (a cron job's, a script's temporary)."""
    here = os.getcwd()
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)
    gone.rmdir()
    try:
        yield
    finally:
        os.chdir(here)


@pytest.mark.usefixtures("removed_folder")
def test_RH2_an_absolute_output_is_written_with_the_working_folder_removed(
    demo_db: str, tmp_path: Path
) -> None:
    """`-o /abs/path` from a working folder removed since the command started (review DF,
    DF1's link check asked for the working folder first): it failed with "cannot write
    /abs/path: No such file or directory" and said the database was saved; it was written
    before DF1, and is again."""
    target = tmp_path / "timeline.txt"
    code, out, err = invoke("--db", demo_db, "timeline", "DEMO-0001", "-o", str(target))
    assert code == 0, out + err
    assert target.read_text().startswith("Case DEMO-0001")


@as_root
@pytest.mark.parametrize("planted", ["-wal", "-shm", "-journal"])
def test_RH1_a_journal_planted_beside_a_private_store_between_runs_is_refused(
    tmp_path: Path, planted: str
) -> None:
    """Review DF's DF2 checked the journals only beside an empty store; SQLite removes the
    `-wal` when the last connection closes and makes it again at the next, so an empty 0666
    `cases.sqlite-wal` another user placed between two runs was written into: the next save
    put the child's name in a file its planter held open and read. Refused now, nothing
    written into it; a store shared with a group (0660) is its owner's choice and opens."""
    from reintegration_fsm import SqlAlchemyStore, StoreError
    from store_contract import built

    database = shared_folder(tmp_path) / "cases.sqlite"
    with SqlAlchemyStore(f"sqlite:///{database}") as store:
        store.create_schema()
        store.save(built("case-01", 2))
    trap = Path(f"{database}{planted}")
    assert not trap.exists()
    trap.touch(mode=0o666)
    os.chown(trap, ANOTHER_USER, ANOTHER_USER)
    with pytest.raises(StoreError, match="belongs to another user"):
        SqlAlchemyStore(f"sqlite:///{database}")
    assert trap.stat().st_size == 0
    code, out, err = invoke("--db", str(database), "cases")
    assert code == 3, out + err
    assert "belongs to another user" in err
    database.chmod(0o660)  # shared with a group on purpose: a colleague's journal is not told
    with SqlAlchemyStore(f"sqlite:///{database}") as store:
        assert store.taken(["case-01"]) == {"case-01"}


def test_RH4_entered_reads_a_case_in_one_statement(database_url: str) -> None:
    """`export --all` asks `entered()` of every case it streams (review OB, OB1): it read the
    case row, then its stamps, two round trips more per case beside `redactions()`'s two
    (18 statements where 10 were, for the demo's 4 cases). One now, the same answers, and a
    case of another authority or none still not found."""
    from sqlalchemy import event

    from reintegration_fsm import CaseNotFound, SqlAlchemyStore
    from store_contract import OTHER_AUTHORITY, built

    with SqlAlchemyStore(database_url) as store:
        store.create_schema()
        store.save(built("case-01", 4))
        store.save(built("case-02", 2, OTHER_AUTHORITY))
        statements: list[str] = []

        @event.listens_for(store.engine, "before_cursor_execute")
        def counted(*args: object) -> None:
            statements.append(str(args[2]))

        stamps = store.entered("case-01")
        read = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(read) == 1, read
        assert len(stamps) == 4
        assert all(stamp is not None for stamp in stamps)
        scoped = store.for_authority(OTHER_AUTHORITY)
        with pytest.raises(CaseNotFound):
            scoped.entered("case-01")
        assert len(scoped.entered("case-02")) == 2
        with pytest.raises(CaseNotFound):
            store.entered("case-99")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (1030, 'Got error 28 "No space left on device" from storage engine InnoDB'),
        (3, "Error writing file '/tmp/MYfd=42' (Errcode: 28 \"No space left on device\")"),
        (1026, "Error writing file './reintegration/rfsm_cases.ibd' (errno: 28)"),
    ],
)
def test_RH7_mariadbs_no_space_left_is_told_as_a_full_disk(number: int, message: str) -> None:
    """Review DF's DF4 told MariaDB's 1021 and 1114 as a full disk, but a server whose disk
    fills as InnoDB or a temporary file writes says so through the system's error 28
    (1030, 3, 1026): still 'the database failed', retryable. Told as a full disk now, not to be
    retried; another error of those numbers is not."""
    import pymysql

    from reintegration_fsm.stores.failures import translated

    error = translated(pymysql.err.OperationalError(number, message), "save case 'C-1'")
    assert "the disk the database writes to is full" in str(error)
    assert not error.retryable
    other = translated(
        pymysql.err.OperationalError(number, "Got error 280 from storage engine"), "save"
    )
    assert "the disk the database writes to is full" not in str(other)


@as_root
def test_RH11_a_store_another_user_made_in_a_shared_folder_is_refused(tmp_path: Path) -> None:
    """DF2 refused an EMPTY file another user placed in /tmp, but one holding a store's tables
    and no case (`db upgrade` then `chmod 666`, by its planter) was "a store that holds
    anything" and was given every case of `demo`, readable by its planter. Refused now, as
    Linux's fs.protected_regular refuses it, nothing written; the same file in a folder that
    is not shared so is the store named, whoever owns it."""
    import shutil
    import sqlite3

    from reintegration_fsm import SqlAlchemyStore, StoreError

    made = tmp_path / "made.sqlite"
    with SqlAlchemyStore(f"sqlite:///{made}") as store:
        store.create_schema()
    database = shared_folder(tmp_path) / "cases.sqlite"
    shutil.copy(made, database)
    os.chown(database, ANOTHER_USER, ANOTHER_USER)
    database.chmod(0o666)
    with pytest.raises(StoreError, match="belongs to another user"):
        SqlAlchemyStore(f"sqlite:///{database}")
    code, out, err = invoke("--db", str(database), "demo")
    assert code == 3, out + err
    assert "in a folder anyone may write" in err
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM rfsm_cases").fetchone() == (0,)
    os.chown(made, ANOTHER_USER, ANOTHER_USER)  # another's store in a folder not shared so
    with SqlAlchemyStore(f"sqlite:///{made}") as store:
        assert store.taken(["C-1"]) == set()


@as_root
def test_RH10_a_store_path_through_another_users_link_is_refused(tmp_path: Path) -> None:
    """`--db /tmp/cases.sqlite`, a link another user placed in /tmp to a store of theirs in a
    folder of theirs: SQLite follows the link itself (as `realpath` did for DF2's check), so
    the case went into their file, whatever DF2 and RH11 check of the file. Refused as DF1
    refuses such a link for `-o`; the user's own link is followed as before."""
    import shutil

    from reintegration_fsm import SqlAlchemyStore, StoreError

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    made = theirs / "store.sqlite"
    with SqlAlchemyStore(f"sqlite:///{made}") as store:
        store.create_schema()
    made.chmod(0o666)
    for path in (theirs, made):
        os.chown(path, ANOTHER_USER, ANOTHER_USER)
    link = shared_folder(tmp_path) / "cases.sqlite"
    link.symlink_to(made)
    os.lchown(link, ANOTHER_USER, ANOTHER_USER)
    with pytest.raises(StoreError, match="is a link of another user"):
        SqlAlchemyStore(f"sqlite:///{link}")
    code, out, err = invoke("--db", str(link), "demo")
    assert code == 3, out + err
    mine = tmp_path / "mine.sqlite"
    shutil.copy(made, mine)
    own = tmp_path / "own.sqlite"
    own.symlink_to(mine)
    with SqlAlchemyStore(f"sqlite:///{own}") as store:
        assert store.taken(["C-1"]) == set()
