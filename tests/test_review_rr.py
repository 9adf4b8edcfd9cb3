"""Review RR: a hostile regression review of the day's merges (`db copy --workers`, the cases a
source changed while it was copied, an import skipping stored cases, the migrations read
without Alembic, the pages' accessibility changes). Invented names only.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reintegration_fsm import demo
from reintegration_fsm.cli import cli
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, copy_store, copying, migrate
from store_contract import CALENDAR


def _demo_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()
        demo.run(store, CALENDAR)
    return url


def _source_lost_after_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The source's connection lost once the copy is checked: its checkpoint, taken again to
    tell what changed on it meanwhile, fails."""
    real = copying._Checking.problems

    def problems(self: copying._Checking, target: Any, anchor: Any) -> Any:
        found = real(self, target, anchor)

        def lost(*args: object, **kwargs: object) -> None:
            raise StoreError("server closed the connection unexpectedly", retryable=True)

        monkeypatch.setattr(SqlAlchemyStore, "checkpoint", lost)
        return found

    monkeypatch.setattr(copying._Checking, "problems", problems)


def test_RR1_a_source_lost_after_the_check_leaves_the_copy_checked_and_the_change_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source unreadable once the copy is checked (a restart, a lost connection): the copy
    was written and checked, which the report keeps; whether the source changed meanwhile is
    not known (`changed` None), not an error that threw the check's finding away."""
    source = _demo_store(tmp_path)
    _source_lost_after_the_check(monkeypatch)

    report = copy_store(source, f"sqlite:///{tmp_path / 'copy.sqlite'}", calendar=CALENDAR)

    assert report.cases == 4
    assert report.problems == ()
    assert report.changed is None


def test_RR1_db_copy_says_the_copy_is_sound_and_that_the_source_could_not_be_compared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command printed "its check failed" and exit 3, for a copy whose check had passed;
    it says the copy is sound and warns that the source was not compared, and how to."""
    source = _demo_store(tmp_path)
    _source_lost_after_the_check(monkeypatch)
    run = CliRunner().invoke

    copied = run(cli, ["--db", source, "db", "copy", str(tmp_path / "copy.sqlite")])
    monkeypatch.undo()
    _source_lost_after_the_check(monkeypatch)
    as_json = run(
        cli, ["--db", source, "db", "copy", str(tmp_path / "again.sqlite"), "--format", "json"]
    )

    assert copied.exit_code == 0, copied.output
    assert "sound: " in copied.stdout
    assert "check failed" not in copied.stderr
    assert "warning: the source could not be read again" in copied.stderr
    assert "verify --checkpoint FILE" in copied.stderr
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["changed_on_source"] is None


def test_RR2_a_migrations_docstring_line_starting_with_revision_is_not_read_as_its_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped revisions are read from the migration files' text (SX6-1): a docstring line
    that starts with `revision = ` in words raised a SyntaxError from every store's opening."""
    shipped = resources.files("reintegration_fsm.stores") / "migrations" / "versions"
    versions = tmp_path / "stores" / "migrations" / "versions"
    versions.mkdir(parents=True)
    for entry in shipped.iterdir():
        if entry.name.endswith(".py"):
            text = entry.read_text(encoding="utf-8")
            if entry.name.startswith("0017"):
                text = text.replace('"""', '"""\nrevision = 0016 kept it.\n', 1)
            (versions / entry.name).write_text(text, encoding="utf-8")
    shipped_chain = migrate.revisions()
    monkeypatch.setattr(migrate.resources, "files", lambda package: tmp_path / "stores")
    migrate._chain.cache_clear()
    try:
        read = migrate.revisions()
    finally:
        monkeypatch.undo()
        migrate._chain.cache_clear()
    assert "\nrevision = 0016 kept it." in (versions / "0017_authority_order.py").read_text()
    assert read == shipped_chain
    assert read[-1] == migrate.head()


def test_RR3_the_warning_of_cases_changed_on_the_source_shows_a_stored_escape_harmlessly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case ids the warning names are read from the source as stored: one written behind
    the store with a terminal's escape (clear the screen) is shown, not acted on, as every
    other line for people is."""
    source = _demo_store(tmp_path)
    monkeypatch.setattr(copying, "changed_since", lambda *_: ("DEMO-0001\x1b[2J",))

    copied = CliRunner().invoke(
        cli, ["--db", source, "db", "copy", str(tmp_path / "c.sqlite")], color=True
    )

    assert copied.exit_code == 1, copied.output
    assert "changed on the source while it was copied" in copied.stderr
    assert "\x1b" not in copied.stderr
