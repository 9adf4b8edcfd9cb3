"""Review RZ: a hostile regression review of the session's changes (89fc747..): SQLite's
`immutable` read as SQLite reads it (RZ1), a JSON failure an output's encoding cannot hold
(RZ2), `export --pupil -` read only once the options agree (RZ3), what the docs say of an
older version and revision 0017 (RZ4), no database administrator for a SQLite file's refusal
(RZ5), and the report counting a case whose log does not decode (RZ6, left to the lead)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from reintegration_fsm.cli import cli
from reintegration_fsm.stores import sqlite

DOCS = Path(__file__).resolve().parent.parent / "docs"
ENV = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None, "RFSM_PROTOCOLS": None}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("rz") / "demo.sqlite"
    made = CliRunner().invoke(cli, ["--db", str(path), "demo"], env=ENV)
    assert made.exit_code == 0, made.output
    return str(path)


# -- RZ1: immutable=2 read a file without its -wal's steps, unrefused --------------------------
@pytest.mark.parametrize(
    ("value", "immutable"),
    [
        ("1", True),
        ("2", True),
        ("01", True),
        ("1x", True),
        ("0x1", True),
        ("257", True),
        ("TRUE", True),
        ("On", True),
        ("yes", True),
        ("0", False),
        ("256", False),  # SQLite keeps the low byte
        ("0x", False),
        ("99999999999", False),  # past 32 bits: SQLite reads 0
        ("off", False),
        ("", False),
        (" 1", False),
    ],
)
def test_RZ1_immutable_is_read_as_sqlite_reads_a_boolean(value: str, immutable: bool) -> None:
    url = make_url(f"sqlite:///file:/data/cases.sqlite?immutable={value}&uri=true")
    assert sqlite._uri_immutable(url) is immutable


def test_RZ1_immutable_2_beside_a_wal_holding_steps_is_refused(tmp_path: Path) -> None:
    """SQLite reads `immutable=2` as `immutable=1`: the file alone, without the steps its
    `-wal` holds, silently; LF1's refusal took only 1, true, yes and on."""
    database = tmp_path / "cases.sqlite"
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    (tmp_path / "cases.sqlite-wal").write_bytes(b"\0" * 32)
    for value in ("2", "01", "0x1"):
        url = make_url(f"sqlite:///file:{database}?immutable={value}&uri=true")
        with pytest.raises(sqlite.FileRefused, match="holds steps not yet written"):
            sqlite.private_file(url)
    sqlite.private_file(make_url(f"sqlite:///file:{database}?immutable=256&uri=true"))


# -- RZ2: a JSON failure quoting a name cp1252 lacks was lost -----------------------------------
def test_RZ2_a_json_failure_the_output_cannot_encode_is_kept_in_ascii(demo_db: str) -> None:
    """`cli()` in a program's own process with a cp1252 stdout: the JSON failure quoting the
    name ("no case of 'Łukasz' ...") could not be written, and WN8's "cannot write the output"
    took its place, so the caller never learnt that no case was found."""
    runner = CliRunner(charset="cp1252")
    args = ["--db", demo_db, "export", "--pupil", "Łukasz", "--dob", "2012-01-01"]
    result = runner.invoke(cli, args, env=ENV)
    assert result.exit_code == 2, result.output
    failure = json.loads(result.stdout)
    assert failure["error"] == "no case of 'Łukasz' born 2012-01-01 in this store"
    assert "\\u0141" in result.stdout
    missing = runner.invoke(cli, ["--db", demo_db, "timeline", "Ł-1", "--format", "json"], env=ENV)
    assert json.loads(missing.stdout)["error"] == "no case 'Ł-1'", missing.output


# -- RZ3: `--pupil -` was read (a prompt on a terminal) before the options were checked -------
@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--pupil", "-", "--all"], "name the child by CASE_ID"),
        (["DEMO-0001", "--pupil", "-", "--dob", "2012-03-09"], "name the child by CASE_ID"),
        (["--pupil", "-"], "--pupil and --dob go together"),
    ],
)
def test_RZ3_pupil_from_stdin_is_read_once_the_options_agree(
    demo_db: str, given: list[str], said: str
) -> None:
    """Stdin holding two lines would be refused on reading; the options' own refusal comes
    first, so an officer at a terminal is not asked for a name the command then refuses."""
    result = CliRunner().invoke(
        cli, ["--db", demo_db, "export", *given], input="Rowan\nTestwell\n", env=ENV
    )
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert "more than one line" not in result.output


# -- RZ4: the docs said an older version runs against an upgraded store ------------------------
def test_RZ4_the_docs_do_not_say_an_older_version_runs_on_an_upgraded_store() -> None:
    """An older version refuses a revision it does not know for every call, reads too
    (`migrate._made_newer`): 0016's and 0017's notes said it "runs against it as before"."""
    text = (DOCS / "stores.md").read_text(encoding="utf-8")
    assert "runs against it as before" not in text
    assert "an older version refuses the upgraded database for every" in text


# -- RZ5: "Ask your database administrator" under a SQLite file's newer revision ---------------
def test_RZ5_no_administrator_is_asked_about_a_sqlite_file(tmp_path: Path, demo_db: str) -> None:
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(Path(demo_db).read_bytes())
    connection = sqlite3.connect(newer)
    connection.execute("UPDATE rfsm_alembic_version SET version_num = '0099'")
    connection.commit()
    connection.close()
    for extra in ([], ["--format", "json"]):
        result = CliRunner().invoke(cli, ["--db", str(newer), "cases", *extra], env=ENV)
        assert result.exit_code == 3, result.output
        assert "a newer version made it" in result.output
        assert "Ask your database administrator" not in result.output


# -- RZ6: the report counts a case whose log entry does not decode ------------------------------
def test_RZ6_the_report_names_a_case_whose_log_does_not_decode(
    tmp_path: Path, demo_db: str
) -> None:
    """A log entry whose data is no longer JSON stopped the report, naming the case and sending
    the officer to `verify`; QP1's stream built the case from its stored state and counted it.
    Each streamed case's steps are read at their top level, and such a case is named again."""
    altered = tmp_path / "altered.sqlite"
    altered.write_bytes(Path(demo_db).read_bytes())
    connection = sqlite3.connect(altered)
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
    for (name,) in connection.execute(triggers, ("rfsm_transitions",)).fetchall():
        connection.execute(f"DROP TRIGGER {name}")
    connection.execute(
        'UPDATE rfsm_transitions SET data = \'{"x": "Rowan\' '
        "WHERE case_id = 'DEMO-0001' AND seq = 4"
    )
    connection.commit()
    connection.close()
    args = ["--db", str(altered), "report", "--year", "2025/26", "--format", "json"]
    result = CliRunner().invoke(cli, args, env=ENV)
    assert result.exit_code == 2, result.output
    assert "case DEMO-0001 does not load" in result.output
