"""Review WN: portability beyond Linux (Windows, macOS), simulated here.

Windows lacks many POSIX names (`os.geteuid`, `os.O_NOCTTY`, `signal.SIGPIPE`, `pwd`...). A
subprocess whose `sitecustomize` deletes them before the library loads stands in for it: the
library must import and run there, degrading rather than raising `AttributeError`. `fcntl` and
`os.O_NONBLOCK` stay, since `files.opened` tells Windows by `sys.platform`, which cannot be
faked without breaking the standard library.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WITHOUT_POSIX = """
import os, signal, sys
for name in ("getuid", "geteuid", "getgid", "getegid", "getgroups", "fork", "getpgid",
             "setsid", "killpg", "O_NOFOLLOW", "O_NOCTTY", "O_DIRECTORY", "O_CLOEXEC",
             "O_SYNC", "O_DSYNC", "fchmod", "fchown", "chown", "lchown", "mkfifo", "pipe2"):
    if hasattr(os, name):
        delattr(os, name)
for name in ("SIGPIPE", "SIGHUP", "SIGKILL", "SIGALRM", "SIGCHLD", "SIGUSR1", "SIGUSR2",
             "SIGQUIT", "pthread_sigmask", "pthread_kill", "alarm", "setitimer",
             "siginterrupt", "sigwait", "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"):
    if hasattr(signal, name):
        delattr(signal, name)
for name in ("pwd", "grp", "termios", "resource"):
    sys.modules[name] = None  # importing it raises ImportError, as on Windows
"""
"""A `sitecustomize` that takes away what Windows does not have."""

SOURCE = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture
def windowsish(tmp_path: Path) -> dict[str, str]:
    """The environment of a process without the POSIX names (`WITHOUT_POSIX`)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(WITHOUT_POSIX)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RFSM")}
    environment["PYTHONPATH"] = os.pathsep.join([str(site), str(SOURCE)])
    return environment


def python(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_the_library_and_the_command_line_import_without_posix_names(
    windowsish: dict[str, str],
) -> None:
    """Every module imports where `os.geteuid`, `signal.SIGPIPE`, `pwd` and the rest are not
    (the migrations' `env` module runs under Alembic alone)."""
    script = """
import os, pkgutil, importlib, signal
assert not hasattr(os, "geteuid") and not hasattr(signal, "SIGPIPE")
import reintegration_fsm, reintegration_fsm.cli, reintegration_fsm.__main__
failed = []
for found in pkgutil.walk_packages(reintegration_fsm.__path__, "reintegration_fsm."):
    if found.name.endswith(".migrations.env"):
        continue
    try:
        importlib.import_module(found.name)
    except Exception as error:
        failed.append(f"{found.name}: {error!r}")
print("\\n".join(failed) or "ok")
"""
    done = python(windowsish, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_WN1_a_character_device_named_by_o_is_probed_without_posix_flags(
    windowsish: dict[str, str], tmp_path: Path
) -> None:
    """`report -o NUL` (Windows' null device, a character device there as /dev/null is here)
    with --format html or xlsx asked whether it is a terminal by opening it with `O_NOCTTY |
    O_NONBLOCK`, which Windows lacks: "unexpected AttributeError: this is a bug", exit 70."""
    database = tmp_path / "cases.sqlite"
    command = ("-m", "reintegration_fsm", "--db", str(database))
    made = python(windowsish, *command, "db", "upgrade")
    assert made.returncode == 0, made.stderr
    done = python(windowsish, *command, "weightings", "--format", "xlsx", "-o", os.devnull)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr


TEXT_MODE_SEEN = """
import os
os.O_BINARY = 1 << 29  # a bit no Linux flag uses, taken off before the real call
_open = os.open
def _opened(path, flags, mode=0o777, *, dir_fd=None):
    if not flags & os.O_BINARY:
        with open(os.environ["OPENED_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{os.fspath(path)}\\n")
    return _open(path, flags & ~os.O_BINARY, mode, dir_fd=dir_fd)
os.open = _opened
"""
"""Windows' `os.O_BINARY`, and a log of each `os.open` made without it (in text mode there)."""


def test_WN2_what_the_command_writes_through_os_open_is_in_binary_mode(
    windowsish: dict[str, str], tmp_path: Path
) -> None:
    """On Windows an `os.open` without `O_BINARY` is in the C library's text mode: each LF
    written is a CRLF. A piped import's copy (read a second time) and a device `-o` names were
    opened so; the first read other bytes the second time than the first."""
    site = Path(windowsish["PYTHONPATH"].split(os.pathsep)[0])
    with (site / "sitecustomize.py").open("a") as customised:
        customised.write(TEXT_MODE_SEEN)
    log = tmp_path / "opened.log"
    log.touch()
    windowsish["OPENED_LOG"] = str(log)
    database = tmp_path / "cases.sqlite"
    command = ("-m", "reintegration_fsm", "--db", str(database))
    made = python(windowsish, *command, "demo")
    assert made.returncode == 0, made.stderr
    exported = python(windowsish, *command, "export", "DEMO-0001")
    assert exported.returncode == 0, exported.stderr
    piped = subprocess.run(
        [sys.executable, *command[:2], "--db", str(tmp_path / "again.sqlite"), "import", "-"],
        env=windowsish,
        input=exported.stdout.encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    listed = python(windowsish, *command, "cases", "--format", "csv", "-o", os.devnull)
    assert listed.returncode == 0, listed.stderr
    in_text_mode = log.read_text().split()
    assert not [path for path in in_text_mode if path.endswith(("input.json", os.devnull))]


def test_WN3_the_help_names_the_systems_path_separator() -> None:
    """`--protocol`'s help said RFSM_PROTOCOLS is split at ':', which on Windows is in every
    path (`C:\\protocols\\la.toml`); the code splits at `os.pathsep`, ';' there."""
    from click.testing import CliRunner

    from reintegration_fsm.cli import cli

    shown = CliRunner().invoke(cli, ["--help"], terminal_width=200).output
    assert f"(files separated by '{os.pathsep}')" in " ".join(shown.split())


@pytest.mark.parametrize(
    ("database", "on_windows", "elsewhere"),
    [
        ("file:///C:/data/cases.sqlite", "C:/data/cases.sqlite", "/C:/data/cases.sqlite"),
        ("file:/d:/LA%20data/cases.sqlite", "d:/LA data/cases.sqlite", "/d:/LA data/cases.sqlite"),
        ("file://localhost/C:\\cases.sqlite", "C:\\cases.sqlite", "/C:\\cases.sqlite"),
        ("file:///srv/cases.sqlite", "/srv/cases.sqlite", "/srv/cases.sqlite"),
        ("file:///Cx/cases.sqlite", "/Cx/cases.sqlite", "/Cx/cases.sqlite"),
        ("file:cases.sqlite", "cases.sqlite", "cases.sqlite"),
    ],
)
def test_WN6_a_uri_naming_a_drive_names_that_drive_on_windows(
    monkeypatch: pytest.MonkeyPatch, database: str, on_windows: str, elsewhere: str
) -> None:
    """SQLite's own URI for a Windows file, `file:///C:/data/cases.sqlite?uri=true`, was taken
    for the path `/C:/data/cases.sqlite` (a folder `C:` on the current drive): the command
    line refused it, "there is no folder C:\\C:\\data", and the store made no file 0600
    there. SQLite drops that `/` on Windows; so does the library now, and nowhere else."""
    from sqlalchemy.engine import make_url

    from reintegration_fsm.stores import sqlite

    url = make_url(f"sqlite:///{database}?uri=true")
    assert sqlite.database_file(url) == elsewhere
    monkeypatch.setattr(sqlite, "_WINDOWS", True)
    assert sqlite.database_file(url) == on_windows


def test_WN8_a_stdout_that_cannot_write_a_name_is_said_so(tmp_path: Path) -> None:
    """An MIS calling `cli()` in its own process on Windows, whose piped stdout is cp1252:
    "Łukasz" cannot be written, and the command said "unexpected UnicodeEncodeError: this is
    a bug" (exit 70). It names the encoding and the character's code point, and says how to
    write it (exit 2); `main()`, the installed command, writes UTF-8 whatever the locale."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RFSM")}
    environment["PYTHONPATH"] = str(SOURCE)
    database = tmp_path / "cases.sqlite"
    made = python(environment, "-m", "reintegration_fsm", "--db", str(database), "demo")
    assert made.returncode == 0, made.stderr
    renamed = f"""
import sqlalchemy as sa
engine = sa.create_engine("sqlite:///{database}")
with engine.begin() as connection:
    connection.execute(sa.text("UPDATE rfsm_cases SET pupil_name = 'Łukasz Nguyễn'"))
"""
    assert python(environment, "-c", renamed).returncode == 0
    environment["PYTHONIOENCODING"] = "cp1252"
    in_process = ("-c", "from reintegration_fsm.cli import cli; cli()", "--db", str(database))
    listed = python(environment, *in_process, "cases")
    assert listed.returncode == 2, listed.stderr
    assert listed.stderr.startswith(
        "error: cannot write the output: its encoding, cp1252, has no U+0141 ('\\u0141') to print"
    ), listed.stderr
    assert "PYTHONIOENCODING=utf-8" in listed.stderr
    assert "Traceback" not in listed.stderr
    written = python(environment, *in_process, "cases", "-o", str(tmp_path / "cases.txt"))
    assert written.returncode == 0, written.stderr
    assert "Łukasz Nguyễn" in (tmp_path / "cases.txt").read_text(encoding="utf-8")
    command = python(environment, "-m", "reintegration_fsm", "--db", str(database), "cases")
    assert command.returncode == 0, command.stderr


def test_WN8_text_utf8_cannot_encode_is_still_a_bug() -> None:
    """Only an output's narrower encoding is the user's to set: a lone surrogate UTF-8 cannot
    encode is no setting's fault, and stays a bug (exit 70)."""
    from reintegration_fsm.cli.errors import BAD_INPUT, BUG, failure_from

    narrow = UnicodeEncodeError("charmap", "Ł", 0, 1, "character maps to <undefined>")
    assert failure_from(narrow).exit_code == BAD_INPUT
    lone = UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    assert failure_from(lone).exit_code == BUG
