"""Review MU4: tests that kill the mutants of this session's new and changed functions that the
suite let live (mutation testing by hand, one mutant at a time, with mutmut 3.8.1's operators;
see /tmp/MU4 and the review's report)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm import SqlAlchemyStore, StoreError
from reintegration_fsm.cli import cli
from store_contract import built

RFSM = (sys.executable, "-m", "reintegration_fsm")
CHILD = "Rowan Testwell"


# -- cli/unlisted.py given -------------------------------------------------------------------
def test_a_name_read_from_a_closed_stdin_is_refused_saying_so(demo_db: str) -> None:
    """`--pupil - <&-`: the message says stdin is closed (given's `stream is None` branch)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    ran = subprocess.run(
        [*RFSM, "--db", demo_db, "cases", "--search", "-"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.close(0),  # as the shell's <&- starts it
    )
    assert ran.returncode == 2, ran.stderr
    assert "--search - reads the name from stdin, which is closed: pipe it in" in ran.stderr


@pytest.mark.parametrize("stdin", ["Rowan\rTestwell", "Rowan\rTestwell\r\n"])
def test_a_carriage_return_inside_the_name_is_more_than_one_line(demo_db: str, stdin: str) -> None:
    """A lone CR (an old Mac's line ending) ends a line as LF does, and the refusal says what
    to give instead."""
    refused = CliRunner().invoke(cli, ["--db", demo_db, "cases", "--search", "-"], input=stdin)
    assert refused.exit_code == 2, refused.output
    assert "--search -: stdin holds more than one line" in refused.stderr
    assert "Give the name alone, on one line." in refused.stderr


# -- cli/errors.py _unwritable ---------------------------------------------------------------
def test_a_run_of_characters_the_output_cannot_hold_names_the_first() -> None:
    """cp1252 reports a run of characters it cannot encode as one error (`ŁŁ`: start 0, end
    2): the message names the first by its code point, and is no bug (exit 2, not 70)."""
    from reintegration_fsm.cli.errors import BAD_INPUT, failure_from

    run = UnicodeEncodeError("cp1252", "Łł Nguyen", 0, 2, "character maps to <undefined>")
    failure = failure_from(run)
    assert failure.exit_code == BAD_INPUT
    assert failure.message == (
        "cannot write the output: its encoding, cp1252, has no U+0141 ('\\u0141') to print"
    )


@pytest.mark.parametrize("stdout", [None, object()], ids=["pythonw", "no encoding"])
def test_a_charmap_error_under_a_stdout_with_no_encoding_names_the_codec(
    monkeypatch: pytest.MonkeyPatch, stdout: object
) -> None:
    """`charmap` (every Windows code page's codec) is replaced by the stream's own encoding;
    a program whose sys.stdout is None (pythonw) or a stream that names none keeps `charmap`,
    never fails in the handler of the failure."""
    from reintegration_fsm.cli.errors import BAD_INPUT, failure_from

    monkeypatch.setattr(sys, "stdout", stdout)
    failure = failure_from(UnicodeEncodeError("charmap", "Ł", 0, 1, "maps to <undefined>"))
    assert failure.exit_code == BAD_INPUT
    assert failure.message.startswith("cannot write the output: its encoding, charmap, has no")


# -- cli/sqlite_files.py empty_file ----------------------------------------------------------
def test_a_file_uri_naming_another_host_is_not_called_an_empty_file(tmp_path: Path) -> None:
    """A `file:` URI naming another host names no file here: SQLite's own refusal is said
    (exit 3), not "the file is empty", which names no file either."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    result = CliRunner().invoke(
        cli, ["--db", "sqlite:///file://elsewhere/cases.db?uri=true", "cases"], env=environment
    )
    assert result.exit_code == 3, result.output
    assert "invalid uri authority: elsewhere" in result.stderr
    assert "empty" not in result.stderr


# -- stores/failures.py forget_row -----------------------------------------------------------
SECRET = "Alex Secretname"


def test_forget_row_leaves_each_error_its_class_and_no_text() -> None:
    """What each kind of decoding error is left: exactly the empty text, of its own type."""
    from reintegration_fsm.stores.failures import forget_row

    as_json = json.JSONDecodeError("Expecting value", f'{{"name": "{SECRET}", ', 27)
    forget_row(as_json)
    assert as_json.doc == ""
    assert (as_json.msg, as_json.pos) == ("Expecting value", 27)
    decoding = UnicodeDecodeError("utf-8", SECRET.encode() + b"\xff", 15, 16, "invalid byte")
    forget_row(decoding)
    assert decoding.object == b""
    assert "'utf-8' codec can't decode" in str(decoding)
    for encoding in (
        UnicodeEncodeError("ascii", f"{SECRET}\u0141", 15, 16, "ordinal not in range"),
        UnicodeTranslateError(f"{SECRET}\u0141", 15, 16, "no mapping"),
    ):
        forget_row(encoding)
        assert encoding.object == ""
        assert encoding.args == ()
        assert SECRET not in repr(encoding)


def test_forget_row_follows_a_chain_of_contexts_and_stops_at_a_cycle() -> None:
    """An error raised while handling another (`__context__` alone, no `__cause__`) has each
    error of the chain forgotten; a chain that loops back (causes set by hand) ends."""
    import signal

    from reintegration_fsm.stores.failures import forget_row

    inner = json.JSONDecodeError("Expecting value", f'{{"name": "{SECRET}"', 12)
    middle = ValueError(f"Invalid isoformat string: {SECRET!r}")
    middle.__context__ = inner
    outer = KeyError(SECRET)
    outer.__context__ = middle
    forget_row(outer)
    assert (outer.args, middle.args, inner.doc) == ((), (), "")

    first, second = ValueError(SECRET), ValueError(SECRET)
    first.__cause__, second.__cause__ = second, first

    def stuck(signum: int, frame: object) -> None:
        raise TimeoutError("forget_row went round the cycle")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.setitimer(signal.ITIMER_REAL, 2)
    try:
        forget_row(first)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert first.args == second.args == ()


# -- stores/sqlite.py _uri_immutable ---------------------------------------------------------
def test_immutable_is_read_as_sqlite_reads_a_boolean(tmp_path: Path) -> None:
    """`immutable=true`, `yes`, `on` (any case) are SQLite's `immutable=1`: each is refused
    beside a `-wal` holding steps, as `immutable=1` is (review LF, LF1). SQLite reads no
    spaces around them (`getSafetyLevel`): ` on ` is false there, and the store opens, its
    `-wal` read."""
    database = tmp_path / "cases.sqlite"
    writer = SqlAlchemyStore(f"sqlite:///{database}")
    writer.create_schema()
    writer.save(built("case-01", 2))
    assert Path(f"{database}-wal").stat().st_size > 0
    try:
        for value in ("True", "yes", "ON"):
            url = f"sqlite:///file:{database}?immutable={value}&uri=true"
            with pytest.raises(StoreError, match="holds steps not yet written"):
                SqlAlchemyStore(url).cases()
        spaced = SqlAlchemyStore(f"sqlite:///file:{database}?immutable=%20on%20&uri=true")
        try:
            assert [summary.case_id for summary in spaced.cases()] == ["case-01"]
        finally:
            spaced.close()
    finally:
        writer.close()


# -- stores/streaming.py whole_log_query -----------------------------------------------------
@pytest.mark.parametrize(
    ("url", "hinted"),
    [
        ("mysql+pymysql://", True),
        ("mariadb+pymysql://", True),
        ("sqlite://", False),
        ("postgresql+psycopg://", False),
    ],
)
def test_the_whole_logs_hints_are_for_mariadb_and_mysql_alone(url: str, hinted: bool) -> None:
    """Review QP, QP2, as SQL text (no server needed): MariaDB and MySQL, under either
    dialect's name, read the log by its primary key first, joined to each case row; SQLite and
    PostgreSQL get the query without hints."""
    import sqlalchemy as sa

    from reintegration_fsm.stores import streaming

    dialect = sa.create_mock_engine(url, executor=None).dialect  # type: ignore[arg-type]
    compiled = str(streaming.whole_log_query().compile(dialect=dialect))
    text = " ".join(compiled.split()).upper()  # (SQL's keywords are read in either case)
    assert text.startswith("SELECT STRAIGHT_JOIN ") is hinted, text
    assert ("FROM RFSM_TRANSITIONS FORCE INDEX (PRIMARY) " in text) is hinted, text
    assert ("FORCE INDEX" in text) is hinted, text


# -- stores/streaming.py authority_log_query -------------------------------------------------
def test_one_authoritys_log_is_read_in_each_cases_order_of_steps() -> None:
    """Review QP, QP3: the narrowed query keeps the whole log's order, case by case and each
    case's steps by number; without the steps' order SQL promises none (SQLite gives it by the
    key's chance, another engine need not)."""
    import sqlalchemy as sa

    from reintegration_fsm.stores import streaming

    for url in ("sqlite://", "postgresql+psycopg://", "mariadb+pymysql://"):
        dialect = sa.create_mock_engine(url, executor=None).dialect  # type: ignore[arg-type]
        text = " ".join(str(streaming.authority_log_query("A").compile(dialect=dialect)).split())
        assert text.endswith("ORDER BY rfsm_cases.case_id, rfsm_transitions.seq"), text


# -- cli/reporting.py load_cases -------------------------------------------------------------
def report(db: str, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["--db", db, "--calendar", "sample", "report", *args, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_a_case_opened_after_the_period_does_not_end_the_count(demo_db: str) -> None:
    """DEMO-0001 opened on 12 January, after a period ending on the 10th, and is left out; the
    case listed after it (DEMO-0002, opened on the 5th) is still counted, and so it is in a
    period ending on the day it opened."""
    assert report(demo_db, "--from", "2026-01-01", "--to", "2026-01-10")["cases"] == 1
    assert report(demo_db, "--from", "2026-01-01", "--to", "2026-01-05")["cases"] == 1


def test_a_case_that_ended_on_the_periods_first_day_is_counted(demo_db: str) -> None:
    """DEMO-0002 ended (unsuccessful) on 5 March: counted in a period from that day, not in
    one from the day after."""
    assert report(demo_db, "--from", "2026-03-05", "--to", "2026-03-31")["cases"] == 3
    assert report(demo_db, "--from", "2026-03-06", "--to", "2026-03-31")["cases"] == 2


def test_a_case_with_later_steps_is_counted_as_it_stood_at_the_periods_end(
    demo_db: str,
) -> None:
    """DEMO-0001 succeeded in April: in January it was planned, and counted so."""
    shown = report(demo_db, "--from", "2026-01-01", "--to", "2026-02-01")
    by_stage = shown["cases_by_stage"]
    assert isinstance(by_stage, list)
    assert {row["key"]: row["count"] for row in by_stage if row["count"]} == {
        "referred": 1,
        "planned": 1,
    }


def test_a_case_under_an_unregistered_protocol_is_named_by_the_report(tmp_path: Path) -> None:
    """The store's error names no case (it read one); the report, reading many, names it."""
    import attrs

    from store_contract import AUTHORITY, WORCESTERSHIRE, opened

    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    other = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
    with SqlAlchemyStore(url) as store:
        store.create_schema()
        store.save(built("case-01", 3))
        knowing = store.for_authority(AUTHORITY)
        knowing.protocols = (other,)
        knowing.save(opened("case-02", protocol=other))
    result = CliRunner().invoke(
        cli, ["--db", url, "--calendar", "sample", "report", "--year", "2025/26"]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "error: case case-02 runs under protocol otherborough 3, which is not registered"
    ), result.stderr


def test_a_schools_report_reads_no_case_of_another_school(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the school's cases are loaded: one elsewhere that does not load (DEMO-0002, at
    Millbridge) fails the authority's report, not Hollybrook's."""
    from typing import Any

    loading, streaming = SqlAlchemyStore.load, SqlAlchemyStore.load_all

    def load(self: SqlAlchemyStore, case_id: str, **kwargs: Any) -> Any:
        assert case_id != "DEMO-0002", "another school's case was loaded"
        return loading(self, case_id, **kwargs)

    def load_all(self: SqlAlchemyStore, case_ids: Any = None) -> Any:
        for case in streaming(self, case_ids):
            assert case.case_id != "DEMO-0002", "another school's case was read"
            yield case

    monkeypatch.setattr(SqlAlchemyStore, "load", load)
    monkeypatch.setattr(SqlAlchemyStore, "load_all", load_all)
    assert report(demo_db, "--year", "2025/26", "--school", "Hollybrook Academy")["cases"] == 1


def test_cases_last_changed_on_the_figures_day_are_read_in_the_stream(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review QP, QP1: a case whose last step is dated on the figures' day itself (DEMO-0004,
    5 May) stood then as it stands now: read in the one stream, never loaded alone."""
    from typing import Any

    def load(self: SqlAlchemyStore, case_id: str, **kwargs: Any) -> Any:
        raise AssertionError(f"{case_id} was loaded alone")

    monkeypatch.setattr(SqlAlchemyStore, "load", load)
    assert report(demo_db, "--from", "2025-09-01", "--to", "2026-05-05")["cases"] == 4


# -- fields/converters.py as_day -------------------------------------------------------------
def test_a_date_subclass_is_kept_as_the_plain_date_it_holds() -> None:
    """A date library's own date (a `date` subclass) becomes a plain `date`; a plain one is
    kept as it is."""
    import datetime as dt

    from reintegration_fsm.fields import as_day, as_optional_day

    class LibraryDate(dt.date):
        pass

    for convert in (as_day, as_optional_day):
        converted = convert(LibraryDate(2026, 1, 5))
        assert type(converted) is dt.date
        assert converted == dt.date(2026, 1, 5)
    plain = dt.date(2026, 1, 5)
    assert as_day(plain) is plain
    assert as_optional_day(None) is None
