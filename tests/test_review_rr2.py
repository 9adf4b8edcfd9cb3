"""Review RR2: a regression review of reviews LP, CS, RU, CM, FO, NS and LI."""

from __future__ import annotations

import sqlite3

import pytest

from reintegration_fsm.stores.failures import translated


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (3850, "SQLITE_IOERR_LOCK"),
        (2314, "SQLITE_IOERR_RDLOCK"),
        (2058, "SQLITE_IOERR_UNLOCK"),
        (3594, "SQLITE_IOERR_CHECKRESERVEDLOCK"),
        (5130, "SQLITE_IOERR_SHMLOCK"),
        (2826, "SQLITE_IOERR_BLOCKED"),
        (3082, "SQLITE_IOERR_NOMEM"),
    ],
)
def test_RR22_a_lock_or_memory_io_error_is_not_told_as_a_disk_refusing_a_write(
    code: int, name: str
) -> None:
    """SQLite's I/O errors of a file lock (a network share's lock service) or of memory are no
    write the disk refused: NS1's advice to free space, raise a quota or check the disk sends
    the user to the wrong place. They are told as before NS1, naming the code."""
    from reintegration_fsm import StoreError

    driver = sqlite3.OperationalError("disk I/O error")
    driver.sqlite_errorcode = code  # type: ignore[attr-defined]
    driver.sqlite_errorname = name  # type: ignore[attr-defined]
    told = translated(driver, "save case 'C-1'", "C-1")
    assert isinstance(told, StoreError)
    assert "disk refused a write" not in str(told)
    assert "free space" not in str(told)
    assert name in str(told)


def test_RR21_importing_the_command_line_loads_no_sqlite_driver() -> None:
    """`import reintegration_fsm.cli` loaded `sqlite3` since NS2's check of a cut-off new file
    imported it at the top of `cli.new_files`: the start-up of every command, `--help` and
    those on PostgreSQL included, paid for a driver only a failed new SQLite store reads with.
    It is loaded as that check runs, as at 7d5f40d."""
    from test_review_su import loaded_after

    assert "sqlite3" not in loaded_after("import reintegration_fsm.cli")
