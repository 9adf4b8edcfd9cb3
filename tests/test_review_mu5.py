"""Review MU5: tests that kill the mutants of `db copy` / `copy_store` and of the URL password
hiding that the suite let live (mutation testing by hand, one mutant at a time, with mutmut
3.8.1's operators; see /tmp/MU5 and the review's report)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.pool import StaticPool

from conftest import database_beside
from keys import key_files
from reintegration_fsm import StoreError, demo
from reintegration_fsm.cli import TERMINATED, cli
from reintegration_fsm.cli.database_urls import shown_url
from reintegration_fsm.stores import CopyRefused, SqlAlchemyStore, copy_store, copying, upgrade
from reintegration_fsm.stores.migrate import head, revisions
from store_contract import CALENDAR, built, reachable_engine, reset_database


def _invoke(*arguments: str) -> Any:
    return CliRunner().invoke(cli, list(arguments), env={"RFSM_AUTHORITY": None})


def _in_memory() -> sa.Engine:
    """An in-memory SQLite database its engine keeps open: one connection, never closed."""
    return sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )


# -- copy_store ---------------------------------------------------------------------------------
def test_a_missing_source_file_is_refused_and_never_made(tmp_path: Path) -> None:
    """A SQLite source whose file is missing is refused before opening it would make one."""
    missing = tmp_path / "mistyped.sqlite"
    with pytest.raises(CopyRefused) as refused:
        copy_store(f"sqlite:///{missing}", f"sqlite:///{tmp_path / 'target.sqlite'}")
    assert refused.value.reason == copying.NO_SOURCE
    assert str(missing) in str(refused.value)
    assert not missing.exists()


def test_an_empty_source_file_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    """An empty SQLite source file is refused before it is opened: SQLite would write a new
    database's header into it, and the store would make it its owner's only (a copy never
    changes its source)."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    empty.chmod(0o640)
    with pytest.raises(CopyRefused) as refused:
        copy_store(f"sqlite:///{empty}", f"sqlite:///{tmp_path / 'target.sqlite'}")
    assert refused.value.reason == copying.NO_SOURCE
    assert "is empty" in str(refused.value)
    assert empty.stat().st_size == 0
    assert stat.S_IMODE(empty.stat().st_mode) == 0o640
    assert not (tmp_path / "target.sqlite").exists()


def test_engines_the_caller_keeps_open_keep_their_databases(demo_db: str) -> None:
    """A source and a target given as Engines (here in-memory databases, which live as long as
    their one connection) are the caller's: the copy neither disposes of them nor refuses the
    in-memory target it would refuse as a URL."""
    source, target = _in_memory(), _in_memory()
    try:
        original = SqlAlchemyStore(source, calendar=CALENDAR)
        original.create_schema()
        demo.run(original, CALENDAR)
        report = copy_store(source, target, calendar=CALENDAR)
        assert report.problems == ()
        assert report.cases == 4
        copied = SqlAlchemyStore(target, calendar=CALENDAR)
        assert [c.case_id for c in copied.cases()] == [c.case_id for c in original.cases()]
        assert copied.verify(report.checkpoint) == []
        into_memory = _in_memory()  # and a file's store into a database in memory
        try:
            assert copy_store(demo_db, into_memory, calendar=CALENDAR).problems == ()
        finally:
            into_memory.dispose()
    finally:
        source.dispose()
        target.dispose()


def test_a_target_whose_guards_were_dropped_is_a_problem_of_the_copy(
    demo_db: str, tmp_path: Path
) -> None:
    """A target made at the newest revision, a trigger of the log then dropped behind the
    store: the copy goes through, and its report names the missing guard (`unguarded()`)."""
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    upgrade(target)
    engine = sa.create_engine(target)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER rfsm_transitions_no_delete")
    finally:
        engine.dispose()
    report = copy_store(demo_db, target, calendar=CALENDAR)
    assert report.cases == 4
    assert [problem.case_id for problem in report.problems] == ["(store)"]
    assert "rfsm_transitions_no_delete" in report.problems[0].what


def test_the_copy_is_checked_against_the_checkpoint_it_reports(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The source's checkpoint taken before the copy (`report.checkpoint`) is checked on the
    copy: a source rewritten between that checkpoint and the copy's read (here: the checkpoint
    taken is another store's, with the same case ids and other salts) is named, case by case."""
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert _invoke("--db", other, "demo").exit_code == 0
    with SqlAlchemyStore(other, calendar=CALENDAR) as store:
        foreign = store.checkpoint()
    monkeypatch.setattr(SqlAlchemyStore, "checkpoint", lambda *_, **__: foreign)
    report = copy_store(demo_db, f"sqlite:///{tmp_path / 'moved.sqlite'}", calendar=CALENDAR)
    assert report.checkpoint is foreign
    assert len(report.problems) == len(foreign.cases)
    assert all("rewritten" in problem.what for problem in report.problems)


def test_a_source_at_an_older_revision_is_refused_naming_its_revision(tmp_path: Path) -> None:
    """The refusal of a source at an older revision names that revision and the newest."""
    source = f"sqlite:///{tmp_path / 'old.sqlite'}"
    older = revisions()[-2]
    upgrade(source, older)
    with pytest.raises(CopyRefused) as refused:
        copy_store(source, f"sqlite:///{tmp_path / 'target.sqlite'}")
    assert refused.value.reason == copying.SOURCE_BEHIND
    assert f"the source's schema is at revision {older}, this library's at {head()}" in str(
        refused.value
    )


# -- db copy ------------------------------------------------------------------------------------
def test_db_copy_refuses_two_authorities_as_it_refuses_one(demo_db: str, tmp_path: Path) -> None:
    """`--authority` given twice (a scope the group refuses) is refused by `db copy`'s own
    words, as one `--authority` is, and no target is made."""
    target = tmp_path / "scoped.sqlite"
    result = _invoke(
        "--db", demo_db, "--authority", "A", "--authority", "B", "db", "copy", str(target)
    )
    assert result.exit_code == 2, result.output
    assert "it takes no --authority" in result.output
    assert not target.exists()


@pytest.mark.parametrize(
    "failure",
    [
        CopyRefused(copying.TARGET_HOLDS_CASES, "cannot copy the store: a writer came"),
        StoreError("the target's disk is full", retryable=False),
    ],
    ids=["refused", "failed"],
)
def test_a_copy_refused_or_failed_after_it_made_the_target_leaves_no_file(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: StoreError
) -> None:
    """The copy made the target's file and its schema, then was refused (a writer came before
    its transaction) or failed: the file it made is removed, as if never named."""

    def failing(*_: object) -> tuple[int, int, int]:
        raise failure

    monkeypatch.setattr(copying, "_write", failing)
    target = tmp_path / "moved.sqlite"
    result = _invoke("--db", demo_db, "db", "copy", str(target))
    assert result.exit_code in (2, 3), result.output
    assert str(failure) in result.output
    assert not target.exists()
    assert list(tmp_path.glob("moved.sqlite*")) == []


def test_a_signed_checkpoint_without_its_key_is_noted_and_only_then(
    demo_db: str, tmp_path: Path
) -> None:
    """`--checkpoint` of a signed checkpoint without `--public-key` notes that its signature
    went unchecked; with the key, or for an unsigned checkpoint, nothing is noted."""
    private, public = key_files(tmp_path)
    signed, unsigned = tmp_path / "signed.json", tmp_path / "unsigned.json"
    taken = _invoke("--db", demo_db, "checkpoint", "--sign", str(private), "-o", str(signed))
    assert taken.exit_code == 0, taken.output
    assert _invoke("--db", demo_db, "checkpoint", "-o", str(unsigned)).exit_code == 0
    note = "the checkpoint is signed; give --public-key to check it"
    runs = {
        "signed": ("--checkpoint", str(signed)),
        "checked": ("--checkpoint", str(signed), "--public-key", str(public)),
        "unsigned": ("--checkpoint", str(unsigned)),
    }
    said = {}
    for name, options in runs.items():
        result = _invoke("--db", demo_db, "db", "copy", str(tmp_path / f"{name}.sqlite"), *options)
        assert result.exit_code == 0, result.output
        said[name] = note in result.stderr
    assert said == {"signed": True, "checked": False, "unsigned": False}


@pytest.mark.parametrize(
    "stop", [KeyboardInterrupt(), SystemExit(TERMINATED)], ids=["Ctrl-C", "SIGTERM"]
)
def test_a_copy_stopped_in_its_check_says_what_it_wrote(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: BaseException
) -> None:
    """Stopped as it checks itself, by Ctrl-C or by SIGTERM (which the CLI raises as
    SystemExit), the copy says how many cases, entries and redaction records it wrote."""
    reference = copy_store(demo_db, f"sqlite:///{tmp_path / 'reference.sqlite'}")

    def stopped(*_: object, **__: object) -> list[Any]:
        raise stop

    monkeypatch.setattr(SqlAlchemyStore, "verify", stopped)
    result = _invoke("--db", demo_db, "db", "copy", str(tmp_path / "moved.sqlite"))
    assert result.exit_code != 0
    assert (
        f"its {reference.cases:,} cases, {reference.entries:,} log entries and "
        f"{reference.redactions:,} redaction records are written whole to sqlite:///"
    ) in result.stderr
    assert reference.entries != reference.redactions


def test_db_copys_json_names_both_databases_and_both_checkpoints(
    demo_db: str, tmp_path: Path
) -> None:
    """`--format json` names the source and the target, and gives the times of the checkpoint
    taken before the copy and of the kept one, in UTC (`Z`), as `checkpoint` writes them."""
    kept = tmp_path / "kept.json"
    assert _invoke("--db", demo_db, "checkpoint", "-o", str(kept)).exit_code == 0
    target = tmp_path / "moved.sqlite"
    result = _invoke(
        "--db", demo_db, "db", "copy", str(target), "--checkpoint", str(kept), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    said = json.loads(result.stdout)
    assert (said["source"], said["target"]) == (demo_db, f"sqlite:///{target}")
    assert said["kept_checkpoint_taken_at"] == json.loads(kept.read_text())["taken_at"]
    assert said["checkpoint_taken_at"].endswith("Z")
    assert said["checkpoint_taken_at"] >= said["kept_checkpoint_taken_at"]


def test_a_copy_stopped_in_its_check_names_its_target_without_its_password(
    demo_db: str, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """The note of a copy stopped as it checks itself names TARGET_URL with its password
    hidden (`?password=`, which the server admitting the user without one ignores)."""
    from test_review_cy import SECRET

    beside = database_beside(postgres_url, "mu5")
    engine = reachable_engine(beside)
    reset_database(engine)
    target = f"{beside}?password={SECRET}"

    def stopped(*_: object, **__: object) -> list[Any]:
        raise KeyboardInterrupt

    monkeypatch.setattr(SqlAlchemyStore, "verify", stopped)
    result = _invoke("--db", demo_db, "db", "copy", target)
    assert "written whole to postgresql+psycopg://" in result.stderr
    assert "?password=***" in result.stderr
    assert SECRET not in result.output
    reset_database(engine)
    engine.dispose()


def test_a_failure_of_the_target_url_keeps_its_exit_code() -> None:
    """`_about_target` renames `--db` to TARGET_URL and keeps the failure's exit code (a
    database down is 3, not the 2 of bad input)."""
    from reintegration_fsm.cli.admin import _about_target
    from reintegration_fsm.cli.errors import UNAVAILABLE, Failure

    said = _about_target(Failure("--db postgresql://db.example/x: down", ("--db again",), 3))
    assert (said.message, list(said.reasons)) == (
        "TARGET_URL postgresql://db.example/x: down",
        ["TARGET_URL again"],
    )
    assert said.exit_code == UNAVAILABLE == 3


def test_two_databases_on_one_mariadb_server_are_two(mariadb_url: str) -> None:
    """MariaDB's named locks are the server's: a target on the source's server but another
    database sees the source's lock, and is no less another database (copied, not refused)."""
    source_engine, target_engine = (
        reachable_engine(url) for url in (mariadb_url, database_beside(mariadb_url, "mu5"))
    )
    try:
        for engine in (source_engine, target_engine):
            reset_database(engine)
        SqlAlchemyStore(source_engine).create_schema()
        report = copy_store(source_engine, target_engine, calendar=CALENDAR)
        assert (report.cases, report.problems) == (0, ())
    finally:
        for engine in (source_engine, target_engine):
            reset_database(engine)
            engine.dispose()


# -- cli/database_urls.py database_url: what a message may quote -----------------------------------
def test_a_message_quoting_a_url_or_its_passwords_prints_them_hidden() -> None:
    """Once `--db` (or TARGET_URL) is read, any message quoting the URL as given, its password
    as a driver writes it (`user:password@host`, decoded), or a password option as libpq writes
    its DSN (`password=...`, any case, each of an option given twice) prints them as ***."""
    from reintegration_fsm.cli.database_urls import database_url
    from reintegration_fsm.cli.errors import SECRETS

    url = (
        "postgresql+psycopg://clerk:p%40ss-MU5a@db.example/cases"
        "?password=MU5b&PASSWD=MU5c&sslpassword=MU5d&sslpassword=MU5e"
    )
    assert database_url(url) == url
    assert SECRETS.hide(f"cannot open {url}") == f"cannot open {shown_url(url)}"
    assert "MU5" not in shown_url(url)
    assert SECRETS.hide("connection to clerk:p@ss-MU5a@db.example failed") == (
        "connection to clerk:***@db.example failed"
    )
    assert SECRETS.hide("host=db.example password=MU5b passwd=x PASSWD=MU5c") == (
        "host=db.example password=*** passwd=x PASSWD=***"
    )
    assert SECRETS.hide("sslpassword=MU5d sslpassword=MU5e sslmode=require") == (
        "sslpassword=*** sslpassword=*** sslmode=require"
    )


def test_db_copy_names_a_server_source_without_its_password(
    postgres_url: str, tmp_path: Path
) -> None:
    """`db copy`'s report names a source given with `?password=` with the password hidden."""
    from test_review_cy import SECRET

    beside = database_beside(postgres_url, "mu5")
    engine = reachable_engine(beside)
    reset_database(engine)
    try:
        SqlAlchemyStore(engine).create_schema()
        source = f"{beside}?password={SECRET}"
        result = _invoke(
            "--db", source, "db", "copy", str(tmp_path / "moved.sqlite"), "--format", "json"
        )
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output
        assert json.loads(result.stdout)["source"].endswith("?password=***")
    finally:
        reset_database(engine)
        engine.dispose()


# -- copy_store: the target's state, one database given twice, counts -------------------------
def _target(tmp_path: Path, *statements: str, revision: str = "head") -> str:
    """A SQLite target made at `revision`, then changed by `statements`."""
    url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    upgrade(url, revision)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    return url


@pytest.mark.parametrize(
    ("statements", "revision", "words"),
    [
        ((), "0001", f"they are at revision 0001, not {head()}"),
        (("DROP TABLE rfsm_alembic_version",), "head", "its making was cut off part way"),
        (
            ("UPDATE rfsm_alembic_version SET version_num = 'ffff'",),
            "head",
            "at revision ffff, which this library (at " + head() + ") does not know",
        ),
    ],
    ids=["older", "unstamped", "newer"],
)
def test_a_target_not_at_head_is_refused_saying_why(
    demo_db: str, tmp_path: Path, statements: tuple[str, ...], revision: str, words: str
) -> None:
    """A target holding the store's tables at an older revision, with no revision stamped
    (a making cut off), or at a revision a newer version made, is refused, saying which."""
    target = _target(tmp_path, *statements, revision=revision)
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, target, calendar=CALENDAR)
    assert refused.value.reason == copying.TARGET_BEHIND
    assert words in str(refused.value)


def test_a_target_whose_making_was_cut_off_before_any_table_is_refused(
    demo_db: str, tmp_path: Path
) -> None:
    """A target holding only the marker of a making cut off (`rfsm_creating`) is refused as
    cut off, never taken for an empty database."""
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    with sqlite3.connect(tmp_path / "target.sqlite") as made:
        made.execute("CREATE TABLE rfsm_creating (x INTEGER)")
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, target, calendar=CALENDAR)
    assert refused.value.reason == copying.TARGET_BEHIND
    assert "its making was cut off part way" in str(refused.value)


def test_a_target_holding_rows_but_no_case_is_refused(demo_db: str, tmp_path: Path) -> None:
    """A row in any table of the store, not only a case, is a store a copy would merge into."""
    target = _target(
        tmp_path,
        "INSERT INTO rfsm_weightings (case_id, school, authority, on_date, points) "
        "VALUES ('X-1', 'Testwell Academy', 'Exampleshire', '2026-01-05', 1)",
    )
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, target, calendar=CALENDAR)
    assert refused.value.reason == copying.TARGET_HOLDS_CASES
    assert "holds 0 case(s) (rows in rfsm_weightings)" in str(refused.value)


def test_a_case_saved_into_the_target_as_the_copy_begins_is_never_merged(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer saving into the target between the copy's first look and its transaction: the
    copy is refused in its transaction, and the writer's case is all the target holds."""
    prepare = copying._prepare_target
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"

    def raced(engine: sa.Engine) -> None:
        prepare(engine)
        with SqlAlchemyStore(target, calendar=CALENDAR) as writer:
            writer.save(built("OWN-0001", 2))

    monkeypatch.setattr(copying, "_prepare_target", raced)
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, target, calendar=CALENDAR)
    assert refused.value.reason == copying.TARGET_HOLDS_CASES
    with SqlAlchemyStore(target, calendar=CALENDAR) as held:
        assert [c.case_id for c in held.cases()] == ["OWN-0001"]


def test_the_copy_holds_the_sqlite_targets_write_lock_as_it_checks_it_is_empty(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy's transaction on a SQLite target begins IMMEDIATE: from its check that the
    target is empty, no other writer can begin (none can slip a case in before its rows)."""
    target = tmp_path / "target.sqlite"
    check = copying._refuse_rows
    others: list[str] = []

    def checked(conn: sa.Connection) -> None:
        check(conn)
        if conn.in_transaction() and conn.get_transaction() is not None:
            other = sqlite3.connect(target, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                others.append("began")
                other.rollback()
            except sqlite3.OperationalError as error:
                others.append(str(error))
            finally:
                other.close()

    monkeypatch.setattr(copying, "_refuse_rows", checked)
    assert copy_store(demo_db, f"sqlite:///{target}", calendar=CALENDAR).problems == ()
    assert others[-1] == "database is locked"


@pytest.mark.parametrize("named", ["target", "source"])
@pytest.mark.parametrize("spelt", ["sub/..", "link"], ids=["dot-dot", "symlink"])
def test_a_journal_of_the_source_spelt_another_way_is_refused(
    demo_file: Path, tmp_path: Path, spelt: str, named: str
) -> None:
    """The source's `-journal`, missing, is one database given twice though the target or
    the source is named through `sub/..` or a link to the folder."""
    shutil.copy(demo_file, tmp_path / "source.sqlite")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path)
    plain, other = tmp_path / "source.sqlite", tmp_path / spelt / "source.sqlite"
    source, target = (plain, other) if named == "target" else (other, plain)
    assert not Path(f"{target}-journal").exists()
    with pytest.raises(CopyRefused) as refused:
        copy_store(f"sqlite:///{source}", f"sqlite:///{target}-journal", calendar=CALENDAR)
    assert refused.value.reason == copying.SAME_DATABASE


def test_a_hard_link_to_the_source_is_refused(demo_db: str, tmp_path: Path) -> None:
    """A hard link is the source's file under another name: one database given twice."""
    linked = tmp_path / "linked.sqlite"
    os.link(demo_db.removeprefix("sqlite:///"), linked)
    with pytest.raises(CopyRefused) as refused:
        copy_store(demo_db, f"sqlite:///{linked}", calendar=CALENDAR)
    assert refused.value.reason == copying.SAME_DATABASE


def test_a_copy_in_small_batches_counts_every_row(demo_db: str, tmp_path: Path) -> None:
    """The report counts every row copied, however many batches they came in."""
    whole = copy_store(demo_db, f"sqlite:///{tmp_path / 'a.sqlite'}", calendar=CALENDAR)
    batched = copy_store(demo_db, f"sqlite:///{tmp_path / 'b.sqlite'}", calendar=CALENDAR, batch=2)
    assert (batched.cases, batched.entries, batched.redactions) == (
        whole.cases,
        whole.entries,
        whole.redactions,
    )
    assert whole.entries > 2


def test_a_row_left_in_the_sources_redacting_table_is_copied_and_named(
    demo_db: str, tmp_path: Path
) -> None:
    """A row left in `rfsm_redacting` is copied as it is, so the copy's check names it as
    `verify()` names it on the source."""
    with sqlite3.connect(demo_db.removeprefix("sqlite:///")) as source:
        source.execute("INSERT INTO rfsm_redacting (case_id, seq) VALUES ('DEMO-0001', 2)")
    report = copy_store(demo_db, f"sqlite:///{tmp_path / 'moved.sqlite'}", calendar=CALENDAR)
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as store:
        named = store.verify()
    assert named
    assert [p.what for p in report.problems] == [p.what for p in named]


def test_the_ledger_of_rechained_cases_and_the_protocols_are_copied(
    demo_db: str, tmp_path: Path
) -> None:
    """`rfsm_rechained` (the 0003 upgrade's ledger) and `rfsm_protocols` (each protocol's
    fingerprint) are copied row for row, though the demo writes neither."""
    with sqlite3.connect(demo_db.removeprefix("sqlite:///")) as source:
        source.execute(
            "INSERT INTO rfsm_rechained (case_id, version, old_last_hash, new_last_hash, "
            f"rechained_at) VALUES ('DEMO-0001', 1, '{'a' * 64}', '{'b' * 64}', "
            "'2026-01-05 09:00:00.000000')"
        )
        source.execute(
            "INSERT INTO rfsm_protocols (authority, protocol_id, version, fingerprint, "
            f"first_case_id) VALUES ('Exampleshire', 'exampleshire', '1', '{'c' * 64}', "
            "'DEMO-0001')"
        )
    target = tmp_path / "moved.sqlite"
    copy_store(demo_db, f"sqlite:///{target}", calendar=CALENDAR)
    for table in ("rfsm_rechained", "rfsm_protocols"):
        query = f"SELECT * FROM {table}"
        with sqlite3.connect(target) as copied, sqlite3.connect(demo_db[10:]) as source:
            rows = copied.execute(query).fetchall()
            assert rows == source.execute(query).fetchall()
            assert len(rows) == 1


@pytest.mark.parametrize("named", ["new.sqlite", "old.sqlite-journal"])
def test_a_refused_copy_leaves_no_file_it_made(tmp_path: Path, named: str) -> None:
    """MU51: refused for its source (at an older revision here, or given twice as one of its
    journals), `copy_store` left the empty 0600 file its target's engine made, beside the
    source; nothing is written, not even that."""
    source = f"sqlite:///{tmp_path / 'old.sqlite'}"
    upgrade(source, revisions()[-2])
    with pytest.raises(CopyRefused):
        copy_store(source, f"sqlite:///{tmp_path / named}")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.sqlite"]


def test_a_target_named_as_the_wal_of_a_source_in_use_is_refused_before_it_is_opened(
    demo_db: str,
) -> None:
    """The copy refuses a SQLite target naming the source's `-wal` before opening either. Given
    a service's engine that has not yet connected, the copy's own read of the source makes the
    `-wal`, which its engine's pooled connection then keeps using; had the target been opened
    first, that file would be taken for one the copy made, and removed as empty when the copy
    was refused, from under that connection."""
    wal = demo_db.removeprefix("sqlite:///") + "-wal"
    assert not os.path.exists(wal)
    engine = sa.create_engine(demo_db)
    try:
        with pytest.raises(CopyRefused) as refused:
            copy_store(engine, f"sqlite:///{wal}", calendar=CALENDAR)
        assert refused.value.reason == copying.SAME_DATABASE
        if engine.pool.checkedin():  # a connection of the source's kept: its -wal with it
            assert os.path.exists(wal)
        with SqlAlchemyStore(engine, calendar=CALENDAR) as store:
            assert store.verify() == []
    finally:
        engine.dispose()
