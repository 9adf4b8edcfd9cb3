"""Review NS: the disk filling up, or refusing a write, while the library writes a SQLite store
(a quota met, the system's size limit for a file, a failing disk)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reintegration_fsm.stores.failures import translated

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX"
)

LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
from reintegration_fsm.__main__ import main
sys.argv = ["reintegration-fsm", *sys.argv[1:]]
main()
"""
"""The command line run with every write past `limit` bytes of a file refused (EFBIG), as a
quota met (EDQUOT) refuses it: SQLite tells both as SQLITE_IOERR_WRITE, only ENOSPC as
SQLITE_FULL."""


def limited(limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """`reintegration-fsm ARGS` in a process that may write no file past `limit` bytes."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    return subprocess.run(
        [sys.executable, "-c", LIMITED.format(limit=limit), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


ERASING = (
    "redact", "DEMO-0001", "all", "pupil", "form", "--reason", "erasure request",
    "--actor-id", "la-1", "--actor-name", "Alex Admin", "--role", "la_admissions",
    "--organisation", "Exampleshire County Council",
)  # fmt: skip


def test_NS1_a_redaction_its_disk_quota_refuses_says_what_to_do(demo_db: str) -> None:
    """A redaction whose WAL could not grow past a quota or the system's size limit for a
    file said "the database failed (SQLITE_IOERR_WRITE)": nothing to act on. It says the
    disk refused the write, and what to free or check; exit 3, nothing redacted."""
    database = demo_db.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        before = connection.execute("SELECT count(*) FROM rfsm_redactions").fetchone()
    result = limited(34_000, "--db", database, *ERASING)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "the database failed" not in result.stderr
    assert "disk refused a write to the SQLite" in result.stderr
    assert "quota" in result.stderr
    with sqlite3.connect(database) as connection:
        after = connection.execute("SELECT count(*) FROM rfsm_redactions").fetchone()
    assert after == before
    verified = limited(-1, "--db", database, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_NS1_a_new_store_its_disk_refuses_is_not_told_as_a_server_down(tmp_path: Path) -> None:
    """`demo` into a new file on a disk refusing every write: "OperationalError: disk I/O
    error", then "check ... that the database is running, then retry", advice for a server.
    Told as the disk refusing the write, exit 3; no file is left."""
    database = tmp_path / "new.sqlite"
    result = limited(100, "--db", str(database), "demo")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "is running" not in result.stderr
    assert "disk refused a write to the SQLite" in result.stderr
    assert not database.exists()


@pytest.mark.parametrize(
    ("code", "name"),
    [(778, "SQLITE_IOERR_WRITE"), (1290, "SQLITE_IOERR_DIR_FSYNC"), (1034, "SQLITE_IOERR_FSYNC")],
)
def test_NS1_sqlites_io_errors_are_told_as_the_disk_refusing(code: int, name: str) -> None:
    """Each of SQLite's I/O errors is a disk on this machine refusing a write (or a read):
    not to be retried as it is, and said so."""
    from reintegration_fsm import StoreError

    driver = sqlite3.OperationalError("disk I/O error")
    driver.sqlite_errorcode = code  # type: ignore[attr-defined]
    driver.sqlite_errorname = name  # type: ignore[attr-defined]
    told = translated(driver, "save case 'C-1'", "C-1")
    assert isinstance(told, StoreError)
    assert not told.retryable
    assert "disk refused a write to the SQLite" in str(told)
    assert name in str(told)


def test_NS2_a_new_store_a_full_disk_cut_off_is_removed(tmp_path: Path) -> None:
    """`demo` into a new file on a disk with room for the file's first page but not its
    `-shm`: the command failed (exit 3), and the file it made stayed, since the check that it
    held no case could not open it either (its `-shm` could not grow); `cases` then said "no
    case store there" and that a copy must take its -wal with it. The file is removed, and
    its journals."""
    database = tmp_path / "new.sqlite"
    result = limited(8_192, "--db", str(database), "demo")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == []


GATHERING = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))
from reintegration_fsm.cli import output
output.GATHERED_IN_MEMORY = 1_000  # past it, the output is kept in TMPDIR
from reintegration_fsm.__main__ import main
sys.argv = ["reintegration-fsm", *sys.argv[1:]]
main()
"""


def test_NS3_a_printed_export_its_tmpdir_cannot_hold_names_tmpdir(demo_db: str) -> None:
    """`export --all` printed (no -o) keeps the response in TMPDIR until every case is read;
    TMPDIR full said "cannot write the output: File too large", sending the user to the disk
    stdout goes to. It names TMPDIR, as `import -` does; exit 2, only the error printed."""
    database = demo_db.removeprefix("sqlite:///")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    result = subprocess.run(
        [sys.executable, "-c", GATHERING, "--db", database, "export", "--all"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    failure = json.loads(result.stdout)  # the JSON an export prints its failure as
    assert failure["error"].startswith("cannot keep the output in TMPDIR")
    assert any("set TMPDIR" in reason for reason in failure["reasons"])
