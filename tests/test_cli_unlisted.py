"""A child's name on stdin (`export --pupil -`, `cases --search -`), kept off the command line
that `ps` shows every user of the machine and the shell's history keeps (review LG, LG4)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner, Result

from reintegration_fsm.cli import cli
from reintegration_fsm.cli.unlisted import NAME_MOST

CHILD = "Rowan Testwell"
BORN = "2012-03-09"
RFSM = (sys.executable, "-m", "reintegration_fsm")


def invoke(db: str, *args: str, stdin: str | bytes | None) -> Result:
    return CliRunner().invoke(cli, ["--db", db, *args], input=stdin)


def test_export_reads_the_childs_name_from_stdin_as_if_given(demo_db: str) -> None:
    typed = invoke(demo_db, "export", "--pupil", CHILD, "--dob", BORN, stdin=None)
    piped = invoke(demo_db, "export", "--pupil", "-", "--dob", BORN, stdin=f"{CHILD}\n")
    assert typed.exit_code == 0, typed.output
    assert piped.exit_code == 0, piped.output
    response = json.loads(piped.stdout)
    assert response["request"]["pupil"] == CHILD
    assert piped.stdout == typed.stdout
    # A Windows editor's file: a byte order mark and a CRLF line ending.
    windows = invoke(
        demo_db, "export", "--pupil", "-", "--dob", BORN, stdin=f"\ufeff{CHILD}\r\n".encode()
    )
    assert windows.stdout == typed.stdout, windows.output


def test_cases_searches_by_the_text_read_from_stdin(demo_db: str) -> None:
    piped = invoke(demo_db, "cases", "--search", "-", "--format", "json", stdin="testwell")
    assert piped.exit_code == 0, piped.output
    assert [row["child"] for row in json.loads(piped.stdout)] == [CHILD]
    given = invoke(demo_db, "cases", "--search", "testwell", "--format", "json", stdin=None)
    assert given.stdout == piped.stdout


@pytest.mark.parametrize(
    ("stdin", "said"),
    [
        ("", "--search -: stdin held no name"),
        ("  \n", "--search -: stdin held no name"),
        (f"{CHILD}\nAnother Child\n", "--search -: stdin holds more than one line"),
        (f"{CHILD}\n\n", "--search -: stdin holds more than one line"),
        (b"Rowan \xff\n", "--search -: stdin is not UTF-8 text"),
        ("x" * (NAME_MOST + 1), "stdin is larger than 4,096 bytes, which no name is"),
    ],
    ids=["empty", "blank", "two names", "a blank line after", "not UTF-8", "too long"],
)
def test_stdin_holding_no_one_name_is_bad_input(
    demo_db: str, stdin: str | bytes, said: str
) -> None:
    refused = invoke(demo_db, "cases", "--search", "-", stdin=stdin)
    assert refused.exit_code == 2, refused.output
    assert said in refused.stderr
    assert "Traceback" not in refused.output


def test_export_with_stdin_closed_says_so(demo_db: str) -> None:
    ran = subprocess.run(
        [*RFSM, "--db", demo_db, "export", "--pupil", "-", "--dob", BORN],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 2, ran.stderr
    assert json.loads(ran.stdout)["error"] == "--pupil -: stdin held no name"


def test_on_a_terminal_the_name_is_asked_for_and_not_echoed(demo_db: str) -> None:
    """Typed at the prompt, the name is never shown on the terminal (nor in `ps`)."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        os.execv(
            sys.executable,
            [*RFSM, "--db", demo_db, "cases", "--search", "-", "--format", "csv"],
        )
    seen = b""

    def read_until(wanted: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while wanted not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([terminal], [], [], 1)
            if ready:
                try:
                    chunk = os.read(terminal, 4096)
                except OSError:  # the command ended: its terminal is gone
                    return
                if not chunk:
                    return
                seen += chunk

    read_until(b"(not shown as you type)")
    assert b"--search (not shown as you type)" in seen, seen
    os.write(terminal, b"Testwell\r")
    read_until(b"Rowan Testwell")
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert b"DEMO-0001,Rowan Testwell" in seen, seen
    assert b"Testwell\r" not in seen, seen
    assert seen.count(b"Testwell") == 1, seen  # in the list, never as it was typed


def test_the_help_says_how(demo_db: str) -> None:
    for command, option in (("export", "--pupil"), ("cases", "--search")):
        shown = invoke(demo_db, command, "--help", stdin=None)
        assert "read it from stdin" in " ".join(shown.stdout.split()), (command, option)
