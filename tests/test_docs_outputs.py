"""The command line's output shown in the docs is what the command prints.

Every ```json, ```text, ```console or ```output block of a page in docs/ is an output sample,
and carries, on the lines right before its fence, the command that prints it:

    <!-- output: reintegration-fsm timeline DEMO-0004 --on 2026-12-02 --format json -->

The comment may hold several commands, one a line (a line ending in `\\` goes on to the next):
all but the last set the scene and must succeed; the last one's output is the sample. Each
sample runs in a fresh temporary folder holding `reintegration.sqlite`, the demo database
(`reintegration-fsm demo`: DEMO-0001 to DEMO-0004), so a command needs no `--db`; the files of
docs/examples/ and tests/fixtures/docs_outputs/ (the data files samples name); and an Ed25519
key pair, `checkpoint-key.pem` and `checkpoint-key.pub.pem`, as the nightly routine of
docs/evidence.md makes one. No RFSM_ variable is set. Give dates (`--on`, `--as-of`) so that
the output does not depend on the day the tests run.

How a sample is compared with the output:

- **JSON** (the command's stdout, parsed): every value the sample gives is equal to the
  output's, and an object shown has exactly the output's keys (a renamed or missing key
  fails), unless it holds the key `"..."`, which stands for keys left out. A string starting
  with `...` or `…` stands for any value; in a list, for any number of elements (none too). A
  string ending with `...` or `…` stands for any string starting with what comes before. A
  list without such an element has exactly the output's elements.
- **Text** (stdout and stderr, as a terminal shows them): the sample's lines are the output's,
  in order and whole, except that a line `...` (or `…`) stands for any number of lines and a
  `…` inside a line for any text. Lines starting with `$ ` (and their `\\` continuations) are
  the command as typed, not output; the last one must be the comment's last command.

A block that is not output (a formula, a file's layout) says so with `<!-- not-output -->`
right before its fence; a ```json block right after a line naming a file (`` `open.json`: ``)
is an input file and needs no marker (test_docs_apply.py runs those).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from reintegration_fsm.cli import cli
from test_docs_examples import DOCS, blocks, pages

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "docs_outputs"
OUTPUT = frozenset({"json", "text", "console", "output"})
NOT_OUTPUT = "<!-- not-output -->"
_MARKER = re.compile(r"<!--\s*output:(?P<commands>.*?)-->\s*\Z", re.S)
_INPUT_FILE = re.compile(r"^`[\w.-]+\.json`:$")
ELLIPSES = ("...", "…")
ENV = {"RFSM_DATABASE_URL": None, "RFSM_AUTHORITY": None, "RFSM_CALENDAR": None}


@attrs.frozen
class Sample:
    """One output sample of a page: the commands its marker gives and the block's text."""

    page: str
    line: int
    language: str
    commands: tuple[tuple[str, ...], ...]
    text: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def _commands(text: str) -> tuple[tuple[str, ...], ...]:
    """The commands of a marker's text, each as its words after `reintegration-fsm`."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        if not line.strip():
            continue
        words = shlex.split(line)
        assert words[0] == "reintegration-fsm", f"not a reintegration-fsm command: {line!r}"
        found.append(tuple(words[1:]))
    assert found, "an output marker names no command"
    return tuple(found)


def _marker(lines: list[str], fence: int) -> str | None:
    """The text of the HTML comment ending on the line right before line `fence` (0-based)."""
    end = fence - 1
    if end < 0 or not lines[end].rstrip().endswith("-->"):
        return None
    start = end
    while start >= 0 and "<!--" not in lines[start]:
        start -= 1
    return "\n".join(lines[max(start, 0) : end + 1]).strip()


def samples(path: Path) -> tuple[list[Sample], list[str]]:
    """A page's marked output samples, and where its output blocks without a marker are."""
    lines = path.read_text(encoding="utf-8").splitlines()
    marked, unmarked = [], []
    for block in blocks(path):
        if block.language not in OUTPUT:
            continue
        comment = _marker(lines, block.line - 1)
        previous = next((ln.strip() for ln in reversed(lines[: block.line - 1]) if ln.strip()), "")
        match = _MARKER.match(comment or "")
        if match is not None:
            commands = _commands(match["commands"])
            marked.append(Sample(path.name, block.line, block.language, commands, block.code))
        elif comment != NOT_OUTPUT and not _INPUT_FILE.match(previous):
            unmarked.append(f"{path.name}:{block.line}")
    return marked, unmarked


def every_sample() -> list[Sample]:
    return [sample for path in pages() for sample in samples(path)[0]]


# -- comparing ------------------------------------------------------------------------------------
def _elides(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ELLIPSES)


def _one(sample: object, real: object, where: str) -> list[str]:
    """How the JSON value `real` differs from the sample, each difference at its path."""
    if _elides(sample):
        return []
    if isinstance(sample, str) and sample.endswith(ELLIPSES):
        prefix = sample.removesuffix("...").removesuffix("…")
        if isinstance(real, str) and real.startswith(prefix):
            return []
        return [f"{where}: {real!r} does not start with {prefix!r}"]
    if isinstance(sample, dict):
        if not isinstance(real, dict):
            return [f"{where}: an object in the sample, {real!r} in the output"]
        keys = {k for k in sample if k != "..."}
        differences = [f"{where}.{key}: not in the output" for key in keys - set(real)]
        if "..." not in sample:
            differences += [
                f"{where}.{key}: in the output, not the sample" for key in set(real) - keys
            ]
        for key in sorted(keys & set(real)):
            differences += _one(sample[key], real[key], f"{where}.{key}")
        return differences
    if isinstance(sample, list):
        if not isinstance(real, list):
            return [f"{where}: a list in the sample, {real!r} in the output"]
        return _sequence(sample, real, where, _one, _elides)
    if type(sample) is not type(real) or sample != real:
        return [f"{where}: {sample!r} in the sample, {real!r} in the output"]
    return []


def _sequence(
    sample: list[Any],
    real: list[Any],
    where: str,
    differ: Callable[[Any, Any, str], list[str]],
    elides: Callable[[Any], bool],
) -> list[str]:
    """Match the sample's items to the output's in order; an elision absorbs any number."""
    position, skipping = 0, False
    for index, item in enumerate(sample):
        if elides(item):
            skipping = True
            continue
        at = f"{where}[{index}]"
        if skipping:
            tried = [(differ(item, real[i], at), i) for i in range(position, len(real))]
            found = next((i for differences, i in tried if not differences), None)
            if found is None:  # the nearest item's differences say the most
                nearest = min(tried, key=lambda t: len(t[0]), default=None)
                return nearest[0] if nearest else [f"{at}: the output has no item for {item!r}"]
            position = found + 1
        else:
            if position >= len(real):
                return [f"{at}: the output has no item here for {item!r}"]
            differences = differ(item, real[position], at)
            if differences:
                return differences
            position += 1
        skipping = False
    if not skipping and position < len(real):
        return [f"{where}: the output goes on after the sample ends: {real[position]!r}"]
    return []


def json_differences(sample: str, output: str) -> list[str]:
    """How a JSON sample and a command's JSON output differ (empty when the sample holds)."""
    return _one(json.loads(sample), json.loads(output), "$")


def _line_differs(sample: str, real: str, where: str) -> list[str]:
    if "…" in sample:
        pattern = ".*".join(re.escape(part) for part in sample.split("…"))
        if re.fullmatch(pattern, real):
            return []
    elif sample == real:
        return []
    return [f"{where}: {sample!r} in the sample, {real!r} in the output"]


def shown_command(sample: str) -> tuple[str, ...] | None:
    """The last command a text sample shows typed (`$ ...`), as words after the program's."""
    typed = [ln for ln in sample.replace("\\\n", " ").splitlines() if ln.startswith("$ ")]
    return tuple(shlex.split(typed[-1][2:])[1:]) if typed else None


def text_differences(sample: str, output: str) -> list[str]:
    """How a text sample and a command's output differ, line by line."""
    shown = [ln.rstrip() for ln in sample.replace("\\\n", " ").splitlines()]
    lines = [ln for ln in shown if not ln.startswith("$ ")]
    real = [ln.rstrip() for ln in output.strip("\n").splitlines()]
    return _sequence(lines, real, "line", _line_differs, lambda line: line in ELLIPSES)


# -- running --------------------------------------------------------------------------------------
def invoke(arguments: tuple[str, ...]) -> Result:
    return CliRunner().invoke(cli, list(arguments), env=ENV)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder each sample's folder is copied from: the demo database, files and keys."""
    folder = tmp_path_factory.mktemp("scene")
    result = invoke(("--db", f"sqlite:///{folder / 'reintegration.sqlite'}", "demo"))
    assert result.exit_code == 0, result.output
    for source in (DOCS / "examples", FIXTURES):
        for example in source.glob("*"):
            shutil.copy(example, folder / example.name)
    key = ed25519.Ed25519PrivateKey.generate()
    (folder / "checkpoint-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "checkpoint-key.pem").chmod(0o600)  # as `openssl genpkey` makes it
    (folder / "checkpoint-key.pub.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return folder


@pytest.fixture
def folder(scene: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the scene, the current folder while a sample runs."""
    here = tmp_path / "here"
    shutil.copytree(scene, here)
    monkeypatch.chdir(here)
    return here


@pytest.mark.parametrize("sample", every_sample(), ids=lambda s: s.where)
def test_the_sample_is_what_the_command_prints(sample: Sample, folder: Path) -> None:
    *setup, command = sample.commands
    for step in setup:
        result = invoke(step)
        assert result.exit_code == 0, f"{sample.where}: {shlex.join(step)}\n{result.output}"
    result = invoke(command)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code != 70, result.output
    if sample.language == "json":
        differences = json_differences(sample.text, result.stdout)
    else:
        typed = shown_command(sample.text)
        assert typed in (None, command), f"{sample.where}: the sample shows {typed}"
        differences = text_differences(sample.text, result.output)
    assert not differences, f"{sample.where} differs from `{shlex.join(command)}`:\n" + "\n".join(
        differences
    )


def test_every_output_sample_is_marked() -> None:
    """A new sample cannot go unchecked: each output block names its command or opts out."""
    unmarked = [where for path in pages() for where in samples(path)[1]]
    assert unmarked == []
    assert len(every_sample()) >= 8


# -- the checker itself ---------------------------------------------------------------------------
REAL = json.dumps(
    {
        "case_id": "DEMO-0004",
        "steps": [{"seq": 1, "what": "opened"}, {"seq": 2, "what": "consented"}],
        "obligations_open": [{"kind": "offer_visit", "opened_on": "2026-05-05", "due": None}],
    }
)


def test_a_stale_json_sample_is_caught() -> None:
    """A renamed key, a missing one, a wrong value or a lost item each fail the sample."""
    good = """{"case_id": "DEMO-0004",
               "steps": ["... step 1 ...", {"seq": 2, "what": "consent..."}],
               "obligations_open": [{"kind": "offer_visit", "opened_on": "…", "due": null}]}"""
    assert json_differences(good, REAL) == []
    renamed = good.replace('"obligations_open"', '"obligation_discharged"')
    assert json_differences(renamed, REAL) == [
        "$.obligation_discharged: not in the output",
        "$.obligations_open: in the output, not the sample",
    ]
    unshown = good.replace(', "due": null', "")
    assert json_differences(unshown, REAL) == [
        "$.obligations_open[0].due: in the output, not the sample"
    ]
    assert json_differences(unshown.replace('"kind"', '"...": 0, "kind"'), REAL) == []
    assert json_differences(good.replace('"seq": 2', '"seq": 3'), REAL) != []
    assert json_differences(good.replace('"... step 1 ...", ', ""), REAL) != []
    assert json_differences(good.replace("consent...", "opened..."), REAL) != []


def test_a_stale_text_sample_is_caught() -> None:
    output = "error: refused\n  - The parent does not agree.\n  - Not dated.\nchecked 4 in 0.2 s\n"
    assert text_differences(output, output) == []
    assert text_differences("$ reintegration-fsm x \\\n   --y\n" + output, output) == []
    assert text_differences("error: refused\n...\nchecked 4 in … s\n", output) == []
    assert text_differences("error: refused\n  - Not dated.\n", output) != []  # lines left out
    assert text_differences(output.replace("agree", "consent"), output) != []
    assert text_differences("...\nverified 4 in … s\n", output) != []  # a reworded line
    assert shown_command("$ reintegration-fsm verify \\\n  --format json\nsound\n") == (
        "verify",
        "--format",
        "json",
    )


def test_the_marker_is_read_from_the_comment_before_the_fence(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- output:\nreintegration-fsm a 'b c' \\\n  --d\nreintegration-fsm e -->\n"
        "```json\n{}\n```\n\n<!-- not-output -->\n```text\nx\n```\n\n"
        "`f.json`:\n\n```json\n{}\n```\n\n```text\ny\n```\n",
        encoding="utf-8",
    )
    marked, unmarked = samples(page)
    assert [(s.line, s.commands) for s in marked] == [(5, (("a", "b c", "--d"), ("e",)))]
    assert unmarked == ["page.md:20"]


def test_the_stale_timeline_sample_of_before_is_caught(folder: Path) -> None:
    """docs/cli.md's timeline sample as it stood before it was corrected, with a key the
    command never gave, fails against the command's real output."""
    (sample,) = [s for s in every_sample() if s.page == "cli.md" and "timeline" in s.commands[-1]]
    stale = sample.text.replace('"obligations_closed": [],', '"obligation_discharged": null,')
    assert stale != sample.text
    output = invoke(sample.commands[-1]).stdout
    assert json_differences(sample.text, output) == []
    assert json_differences(stale, output) == [
        "$.steps[1].obligation_discharged: not in the output",
        "$.steps[1].obligations_closed: in the output, not the sample",
    ]
