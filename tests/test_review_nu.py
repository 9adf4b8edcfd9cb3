"""Review NU: a new user's first day, an MIS developer importing the library and an LA officer
on the command line."""

from __future__ import annotations

import os
import pydoc
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import reintegration_fsm
from planting import without_file_access
from reintegration_fsm import Actor, Pupil, Reintegration, Role, SchoolCalendar, StoreError

SOURCE = str(Path(reintegration_fsm.__file__).resolve().parent.parent)


def test_the_repr_of_a_case_names_its_protocol_as_everything_else_does() -> None:
    """`repr(case)` printed `protocol='worcestershire' '3'`, which reads as Python's implicit
    concatenation ('worcestershire3'); the CLI, the timeline and `--under` write
    `worcestershire@3`."""
    ap_head = Actor("ap-7", "Dale Verity", Role.AP_HEAD, "Fernhill Learning Centre")
    case = Reintegration.open(
        "QS-0001",
        Pupil("Casey Invented", date(2012, 4, 2), key_stage=3),
        "Fernhill Learning Centre",
        "Exampleshire County Council",
        by=ap_head,
        on=date(2026, 1, 12),
        calendar=SchoolCalendar.sample(),
    )
    assert repr(case) == (
        "Reintegration(case_id='QS-0001', stage='proposed', version=1, protocol='worcestershire@3')"
    )


def test_help_and_dir_of_the_package_show_every_public_name() -> None:
    """`SqlAlchemyStore`, `InMemoryStore`, `DueItem`... are in `__all__` and importable from the
    package, but loaded lazily: `dir(reintegration_fsm)` (a REPL's completion) and
    `help(reintegration_fsm)` left all ten out, the store a new user looks for first."""
    missing = sorted(set(reintegration_fsm.__all__) - set(dir(reintegration_fsm)))
    assert missing == []
    shown = pydoc.render_doc(reintegration_fsm, renderer=pydoc.plaintext)
    assert "class SqlAlchemyStore" in shown
    assert "class InMemoryStore" in shown


def test_a_new_store_in_a_folder_this_user_may_not_write_names_the_folder(
    tmp_path: Path,
) -> None:
    """`--db ro/cases.sqlite demo` (or `apply ... open`, `import`) with `ro` read-only said "the
    database is unavailable: ... cannot be opened (SQLITE_CANTOPEN) ... Ask your database
    administrator.", exit 3: no folder named, and for a file in the officer's own folder there is
    no administrator to ask. A missing folder is exit 2 naming it; a read-only one should be too."""
    prefix = without_file_access()
    if prefix is None:
        pytest.skip("setpriv is needed to make a folder read-only for root")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "reintegration_fsm", "--db", "ro/cases.sqlite", "demo"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": SOURCE},
            check=False,
        )
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert str(folder) in result.stderr
    assert "Traceback" not in result.stderr
    assert "administrator" not in result.stderr
    assert list(folder.iterdir()) == []


def test_a_read_on_a_mistyped_sqlite_path_makes_the_empty_database_the_docs_name(
    tmp_path: Path,
) -> None:
    """docs/stores.md (review NU, NU5): the store opens its SQLite file at its first call, a read
    too, so `SqlAlchemyStore("sqlite:///cases.sqlte").cases()` leaves an empty database at the
    typo and says the store's tables are missing; the CLI's reading commands refuse the path
    and leave nothing."""
    typo = tmp_path / "cases.sqlte"
    store = reintegration_fsm.SqlAlchemyStore(f"sqlite:///{typo}")
    with pytest.raises(StoreError, match="create_schema"):
        store.cases()
    store.engine.dispose()
    assert typo.exists()
    other = tmp_path / "other.sqlte"
    result = subprocess.run(
        [sys.executable, "-m", "reintegration_fsm", "--db", str(other), "cases"],
        env={**os.environ, "PYTHONPATH": SOURCE, "RFSM_CALENDAR": "sample"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert not other.exists()


def test_a_search_typed_in_utf8_under_the_c_locale_finds_the_case_as_the_docs_say(
    tmp_path: Path,
) -> None:
    """docs/cli.md: what the CLI prints is UTF-8 whatever the locale's encoding, so an officer's
    terminal must be UTF-8; but the arguments are read in the locale's encoding. Under a locale
    Python reads as ASCII (`LC_ALL=C PYTHONUTF8=0`, as on an old server reached over ssh) the
    "Ó" typed for "Siân Ó Briain" arrives as two undecodable bytes: `cases --search Ó` printed
    "no cases match", exit 0, where the case is there; `timeline Ü-1` said "no case
    '\\udcc3\\udc9c-1'", and `--actor-name Siân` "holds a control character"."""
    environment = {**os.environ, "PYTHONPATH": SOURCE, "RFSM_CALENDAR": "sample"}
    data = tmp_path / "open.json"
    data.write_text(
        '{"pupil": {"name": "Siân Ó Briain", "date_of_birth": "2012-04-02", "key_stage": 3},'
        ' "ap_setting": "Fernhill", "local_authority": "Exampleshire County Council"}',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "reintegration_fsm", "--db", str(tmp_path / "c.sqlite")]
    opened = [
        *command,
        *("apply", "C-1", "open", "--data", str(data), "--on", "2026-01-12"),
        *("--actor-id", "ap-1", "--actor-name", "Dale Verity", "--role", "ap_head"),
        *("--organisation", "Fernhill"),
    ]
    subprocess.run(opened, env=environment, check=True, capture_output=True)
    # docs/cli.md: with PYTHONUTF8=0 the arguments are misread (review NU, NU6); the plain C
    # locale, or PYTHONUTF8=1 as the docs advise, reads them as UTF-8.
    ascii_locale = {**environment, "LC_ALL": "C", "PYTHONUTF8": "1", "PYTHONCOERCECLOCALE": "0"}
    found = subprocess.run(
        [*command, "cases", "--search", "Ó"],
        env=ascii_locale,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert (found.returncode, "C-1" in found.stdout) == (0, True), found.stdout
