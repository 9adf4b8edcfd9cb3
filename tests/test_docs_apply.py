"""docs/cli.md's `apply` examples are real: one for every declared step, each command run with
its data file on the demo database, in the page's order, and accepted."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from reintegration_fsm import SqlAlchemyStore, Stage
from reintegration_fsm.cli import cli
from reintegration_fsm.protocol.steps import STEPS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
_SECTION = re.compile(r"<!-- apply examples -->\n(?P<body>.*?)<!-- end apply examples -->", re.S)
_EXAMPLE = re.compile(
    r"```sh\n(?P<command>.*?)\n```\n(?:\n`(?P<file>[\w.]+)`:\n\n```json\n(?P<data>.*?)\n```\n)?",
    re.S,
)


@attrs.frozen
class Example:
    """One documented `apply`: its arguments and, when it takes one, its data file."""

    arguments: tuple[str, ...]
    file: str | None
    data: str | None

    @property
    def case_id(self) -> str:
        return self.arguments[self.arguments.index("apply") + 1]

    @property
    def trigger(self) -> str:
        return self.arguments[self.arguments.index("apply") + 2]


def examples() -> list[Example]:
    """Every example of the section, in the page's order."""
    section = _SECTION.search(PAGE.read_text(encoding="utf-8"))
    assert section is not None, "docs/cli.md has no apply examples section"
    found = []
    for match in _EXAMPLE.finditer(section.group("body")):
        words = shlex.split(match.group("command").replace("\\\n", " "))
        assert words[0] == "reintegration-fsm"
        found.append(Example(tuple(words[1:]), match.group("file"), match.group("data")))
    return found


def test_every_declared_step_has_an_example() -> None:
    """The triggers shown are exactly the protocol's steps (`open` included)."""
    assert {example.trigger for example in examples()} == {step.name for step in STEPS}


def test_each_data_file_is_named_as_its_command_reads_it() -> None:
    for example in examples():
        if example.data is None:
            assert "--data" not in example.arguments
        else:
            assert example.arguments[example.arguments.index("--data") + 1] == example.file
            assert isinstance(json.loads(example.data), dict)


def _run(url: str, example: Example, folder: Path, case_id: str | None = None) -> None:
    arguments = list(example.arguments)
    if example.data is not None:
        assert example.file is not None
        path = folder / example.file
        path.write_text(example.data, encoding="utf-8")
        arguments[arguments.index("--data") + 1] = str(path)
    if case_id is not None:
        arguments[arguments.index("apply") + 1] = case_id
    result = CliRunner().invoke(
        cli, ["--db", url, *arguments], env={"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    )
    assert result.exit_code == 0, (arguments, result.output)


def test_every_example_is_accepted_on_the_demo_database(tmp_path: Path) -> None:
    """Run in order: DOCS-1 succeeds, DOCS-2 (placed with DOCS-1's files) ends unsuccessfully,
    DOCS-3 is withdrawn."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo = CliRunner().invoke(cli, ["--db", url, "demo"], env={"RFSM_CALENDAR": None})
    assert demo.exit_code == 0, demo.output
    every = examples()
    first = [e for e in every if e.case_id == "DOCS-1"]
    placed = [e.trigger for e in first].index("start_placement") + 1
    for example in every:
        if example.case_id == "DOCS-2" and example.trigger == "call_emergency_review":
            for earlier in first[:placed]:
                _run(url, earlier, tmp_path, case_id="DOCS-2")
        if example.case_id == "DOCS-3" and example.trigger == "withdraw":
            _run(url, first[0], tmp_path, case_id="DOCS-3")
        _run(url, example, tmp_path)
    store = SqlAlchemyStore(url)
    try:
        stages = {case_id: store.load(case_id).stage for case_id in ("DOCS-1", "DOCS-2", "DOCS-3")}
    finally:
        store.engine.dispose()
    assert stages == {
        "DOCS-1": Stage.SUCCESSFUL,
        "DOCS-2": Stage.UNSUCCESSFUL,
        "DOCS-3": Stage.WITHDRAWN,
    }


@pytest.mark.parametrize("trigger", ["hold_review", "hold_emergency_review"])
def test_the_review_examples_are_the_forms_the_issue_asked_for(trigger: str) -> None:
    """No `{...ReviewMeeting...}` placeholder: the meeting is spelt out."""
    shown = [e for e in examples() if e.trigger == trigger]
    assert shown
    for example in shown:
        assert example.data is not None
        meeting = json.loads(example.data)["meeting"]
        assert {"held_on", "kind", "attendees", "child_views"} <= set(meeting)
    assert "...ReviewMeeting..." not in PAGE.read_text(encoding="utf-8")
