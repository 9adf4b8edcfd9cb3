"""`import` reads its file a part at a time: memory for a batch of histories, not the file.

It read the whole file and held every history, replayed, until the last was written: 1.6 GB to
import a 355 MB export of 10,000 cases, and a file of more than 1 GiB (some 30,000 cases) was
refused. Now the file is read twice, a case at a time: once to check every history, once to
write them, in one transaction, a batch at a time. These tests read with parts of a few bytes,
so that every value is cut somewhere by a read.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reintegration_fsm.cli import cli, importing, interchange, json_input, streamed
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.serialisation import transition_to_json
from reintegration_fsm.stores import SqlAlchemyStore
from store_contract import CALENDAR, built


def invoke(url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], input=input, env={"RFSM_CALENDAR": None})


def histories(count: int, start: int = 0) -> list[list[dict[str, Any]]]:
    """`count` bare histories of eleven transitions, as `history --format json` writes them."""
    template = [transition_to_json(t) for t in built("case-0", 11).history]
    text = json.dumps(template)
    return [
        json.loads(text.replace('"case-0"', f'"case-{n}"')) for n in range(start, start + count)
    ]


def exported(count: int) -> dict[str, Any]:
    """An export of `count` cases as `export --all` writes it: other members around `cases`."""
    return {
        "format": "reintegration-fsm/subject-access",
        "request": {"all": True},
        "cases": [
            {"case_id": f"case-{n}", "history": history}
            for n, history in enumerate(histories(count))
        ],
        "prepared_by": "a test",
    }


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads of 7 bytes, and batches of 2 histories."""
    monkeypatch.setattr(streamed, "CHUNK", 7)
    monkeypatch.setattr(importing, "IMPORT_BATCH", 2)


def stored(url: str) -> list[str]:
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    try:
        return sorted(summary.case_id for summary in store.cases())
    finally:
        store.close()


def test_every_form_of_import_file_imports_read_in_small_parts(
    small_parts: None, tmp_path: Path
) -> None:
    """A list of histories, an export of several cases with members around `cases`, and one
    bare history, each read seven bytes at a time and written two histories at a time."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps(histories(3)), encoding="utf-8")
    result = invoke(url, "import", str(listed))
    assert result.exit_code == 0, result.output
    assert "imported 3 case(s), 33 transition(s)" in result.stdout
    everything = exported(5)
    (tmp_path / "all.json").write_text("\ufeff" + json.dumps(everything, indent=2), "utf-8")
    result = invoke(url, "import", str(tmp_path / "all.json"))
    assert result.exit_code == 0, result.output
    assert "imported 2 case(s), 22 transition(s); 3 already stored" in result.stdout
    bare = json.dumps(histories(1, start=7)[0])
    result = invoke(url, "import", "-", input=bare)
    assert result.exit_code == 0, result.output
    assert stored(url) == sorted([*(f"case-{n}" for n in range(5)), "case-7"])
    assert invoke(url, "verify").exit_code == 0


def _failure(read: Callable[[], object]) -> str | None:
    try:
        read()
    except Failure as failure:
        return failure.message
    return None


def _streamed(text: str) -> object:
    reader = streamed.Reader(io.BytesIO(text.encode("utf-8")), "f.json", "import file", 2**30)
    return list(interchange.raw_histories(reader))


@pytest.mark.parametrize("part", [1, 5, 64])
def test_a_broken_file_is_refused_at_the_line_and_column_json_loads_names(
    part: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file cut short anywhere, or with a character replaced, is refused with the message
    reading it whole gives (`read_json`: json's own words, line and column), whatever part of
    it each read holds; and one that is still JSON is not refused as JSON."""
    monkeypatch.setattr(streamed, "CHUNK", part)
    history = histories(1)[0][:2]
    text = json.dumps({"cases": [{"case_id": "case-0", "history": history}], "n": [1]}, indent=1)
    file = tmp_path / "f.json"
    tried = 0
    for position in range(0, len(text), 11):
        for replaced in ("", ",", "}", "]", "x", '"', ":", " 1"):
            broken = (
                text[:position] + replaced + text[position + 1 :] if replaced else text[:position]
            )
            file.write_text(broken, encoding="utf-8")
            whole = _failure(lambda: json_input.read_json(str(file), "import file"))
            ours = _failure(lambda broken=broken: _streamed(broken))
            if whole is not None and "is not valid JSON" in whole:
                assert ours == whole.replace(str(file), "f.json"), broken
                tried += 1
            else:
                assert ours is None or "is not valid JSON" not in ours, (ours, broken)
    assert tried > 100


def test_what_read_json_refuses_in_a_case_is_refused_as_it_is_read(small_parts: None) -> None:
    """A key given twice, a lone surrogate, a long integer, NaN and nesting past 64 levels, in
    the cases of an export or at its top: refused with `read_json`'s words."""
    deep = "[" * 70 + "]" * 70
    for text, said in (
        ('{"cases": [{"case_id": "a", "case_id": "b", "history": []}]}', "the key 'case_id' twice"),
        ('{"cases": [], "cases": []}', "the key 'cases' twice in one object (at $)"),
        ('[{"history": ["\\ud800"]}]', "a lone surrogate"),
        ('{"\\udc00": 1}', "a lone surrogate in a key at $"),
        ('[[{"seq": ' + "9" * 40 + "}]]", "an integer of 40 digits"),
        ('{"cases": [[{"seq": NaN}]]}', "NaN, which is not JSON"),
        ('{"cases": [' + deep + "]}", "nested more than 64 levels deep"),
        ("[1] [2]", "Extra data (line 1, column 5)"),
    ):
        ours = _failure(lambda text=text: _streamed(text))
        assert ours is not None, text
        assert said in ours, (text, ours)


def test_the_shape_of_an_import_file_reads_as_before(small_parts: None) -> None:
    """The histories and the problems of each shape `_history_items` reads, streamed: the same,
    and an object holding both a history and `cases` is refused, not read as one of them."""
    history = histories(1)[0][:2]
    for value in (
        [{"case_id": "a", "history": history}, history, 5],
        [history[0], {"case_id": "a", "history": history}, history[1]],
        history,
        [],
        {"case_id": "a", "history": history},
        {"cases": [history]},
        {"cases": []},
        {"cases": 5},
        {"other": 1},
        "text",
    ):
        items, problems = interchange._history_items(value)
        read = list(interchange.raw_histories(_reader(json.dumps(value))))
        assert [raw for raw in read if isinstance(raw, str)] == problems, value
        assert [raw for raw in read if not isinstance(raw, str)] == items, value
    both = {"history": history, "cases": [history]}
    assert list(interchange.raw_histories(_reader(json.dumps(both))))[-1] == (
        "a JSON object holds both a case's 'history' and 'cases': give one of them"
    )


def _reader(text: str) -> streamed.Reader:
    return streamed.Reader(io.BytesIO(text.encode("utf-8")), "f.json", "import file", 2**30)


def _peak(url: str, file: Path) -> int:
    tracemalloc.start()
    try:
        result = invoke(url, "import", str(file))
        assert result.exit_code == 0, result.output
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_import_holds_a_batch_of_histories_not_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Importing four times the cases takes less than one and a half times the memory at its
    peak, in batches of four (after a first import, which loads what every one uses). Holding
    every history of the file at once takes twice as much for 48 cases as for 12."""
    monkeypatch.setattr(streamed, "CHUNK", 4096)
    monkeypatch.setattr(importing, "IMPORT_BATCH", 4)
    peaks = []
    for count in (4, 12, 48):
        file = tmp_path / f"{count}.json"
        file.write_text(json.dumps(exported(count)), encoding="utf-8")
        peaks.append(_peak(f"sqlite:///{tmp_path / f'{count}.sqlite'}", file))
    _, small, large = peaks
    assert large < 1.5 * small, peaks


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda text: text.replace("case-1", "case-9"), id="a case renamed"),
        pytest.param(lambda text: text[: len(text) // 2], id="cut short"),
        pytest.param(lambda text: text.replace('"cases": [', '"cases": [[], ', 1), id="one more"),
        pytest.param(lambda text: text + " ", id="a space more"),
    ],
)
def test_a_file_changed_between_its_checking_and_its_writing_imports_nothing(
    change: Callable[[str], str], small_parts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is read again to write it: changed since it was checked (a history, its
    length, one more item, or only its bytes), nothing is written, and the import says why."""
    file = tmp_path / "all.json"
    file.write_text(json.dumps(exported(3)), encoding="utf-8")
    checked_file = importing._checked_file

    def then_changed(*args: Any) -> Any:
        found = checked_file(*args)
        file.write_text(change(file.read_text(encoding="utf-8")), encoding="utf-8")
        return found

    monkeypatch.setattr(importing, "_checked_file", then_changed)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    result = invoke(url, "import", str(file))
    assert result.exit_code == 2, result.output
    assert "it changed while it was imported" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "store.sqlite").exists() or stored(url) == []


def test_a_pipe_is_read_twice_through_a_private_copy(small_parts: None, tmp_path: Path) -> None:
    """`import <(command)` names a pipe, which reads once: it is copied to an owner-only
    temporary file first, as stdin is, and imported from that."""
    reading, writing = os.pipe()
    text = json.dumps(histories(2)).encode("utf-8")

    def writer() -> None:
        with open(writing, "wb") as handle:
            handle.write(text)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        url = f"sqlite:///{tmp_path / 'store.sqlite'}"
        result = invoke(url, "import", f"/dev/fd/{reading}")
    finally:
        thread.join(timeout=60)
        os.close(reading)
    assert result.exit_code == 0, result.output
    assert stored(url) == ["case-0", "case-1"]


def test_the_copy_of_stdin_is_private_and_removed(
    small_parts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stdin is kept, as it is first read, in a folder of the owner's alone (0700), as a file
    of theirs (0600 within it), and both are gone when the import ends."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(streamed.tempfile, "tempdir", None)
    seen: list[tuple[int, int]] = []
    checked_file = importing._checked_file

    def looked(*args: Any) -> Any:
        found = checked_file(*args)
        (folder,) = [path for path in tmp_path.iterdir() if path.name.startswith("rfsm-import-")]
        seen.append((folder.stat().st_mode & 0o777, (folder / "input.json").stat().st_mode))
        return found

    monkeypatch.setattr(importing, "_checked_file", looked)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    result = invoke(url, "import", "-", input=json.dumps(histories(1)))
    assert result.exit_code == 0, result.output
    (folder_mode, file_mode), *_ = seen
    assert folder_mode == 0o700
    assert file_mode & 0o077 == 0
    assert not [path for path in tmp_path.iterdir() if path.name.startswith("rfsm-import-")]
    assert stored(url) == ["case-0"]


def test_a_stream_that_is_no_json_is_refused_as_it_starts(
    small_parts: None, tmp_path: Path
) -> None:
    """`import /dev/zero`, or a pipe of anything but JSON: refused at its first bytes, not kept
    whole first to be read twice (the pipe's writer is left with most of what it had)."""
    reading, writing = os.pipe()
    written = [0]

    def writer() -> None:
        with contextlib.suppress(BrokenPipeError), open(writing, "wb") as handle:
            for _ in range(160):
                handle.write(b"\0" * 2**16)
                written[0] += 2**16

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        result = invoke(f"sqlite:///{tmp_path / 'store.sqlite'}", "import", f"/dev/fd/{reading}")
    finally:
        os.close(reading)
        thread.join(timeout=60)
    assert result.exit_code == 2, result.output
    assert "is not valid JSON: Expecting value (line 1, column 1)" in result.stderr
    assert written[0] < 2**20


def test_a_stored_case_beside_a_bad_history_lists_the_problems_not_a_change(
    small_parts: None, tmp_path: Path
) -> None:
    """A file holding a case the store has, and a history that does not replay: the reading
    that finds the stored case goes past the bad one (which the import keeps nothing of) and
    the problem is listed, not taken for a file changed between readings."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    first, second = histories(2)
    listed = tmp_path / "one.json"
    listed.write_text(json.dumps([first]), encoding="utf-8")
    assert invoke(url, "import", str(listed)).exit_code == 0
    broken = [second[0], second[2], second[1], *second[3:]]  # out of order: it does not replay
    listed.write_text(json.dumps([broken, first]), encoding="utf-8")
    result = invoke(url, "import", str(listed))
    assert result.exit_code == 2, result.output
    assert "item 1: the history does not replay" in result.stderr
    assert "changed while it was imported" not in result.stderr
    listed.write_text(json.dumps([first, histories(1, start=5)[0]]), encoding="utf-8")
    result = invoke(url, "import", str(listed))
    assert result.exit_code == 0, result.output
    assert "imported 1 case(s), 11 transition(s); 1 already stored" in result.stdout


def _read_whole(readable: streamed.Readable) -> bytes:
    parts = []
    while part := readable.read(4096):
        parts.append(part)
    return b"".join(parts)


def test_stdin_redirected_from_a_file_is_read_again_from_where_it_stood_not_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`import - < all.json` was copied whole into TMPDIR as a pipe is (IM's note): a 355 MB
    export needed as much room there again. Stdin redirected from a regular file is read again
    as a named file is, from where stdin stood when the import began (here past ten bytes a
    script had read off it)."""
    text = json.dumps(histories(2)).encode()
    file = tmp_path / "all.json"
    file.write_bytes(b"#" * 10 + text)

    def no_copy(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("stdin redirected from a file was copied")

    with open(file, "rb") as handle:
        handle.seek(10)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(handle))  # (its buffer: `handle`)
        monkeypatch.setattr(streamed.tempfile, "TemporaryDirectory", no_copy)
        with streamed.readable_twice("-") as given:
            with given.first() as first:
                assert _read_whole(first) == text
            with given.again() as again:
                assert _read_whole(again) == text


def test_a_pipe_on_stdin_is_still_kept_in_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe cannot be read twice: its first reading keeps it, and the second reads that."""
    text = json.dumps(histories(1)).encode()
    reading, writing = os.pipe()
    with open(writing, "wb") as handle:
        handle.write(text)
    with open(reading, "rb") as handle:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(handle))
        with streamed.readable_twice("-") as given:
            with given.first() as first:
                assert _read_whole(first) == text
            assert not _read_whole(handle)  # (the pipe is spent)
            with given.again() as again:
                assert _read_whole(again) == text


def test_import_of_stdin_redirected_from_a_file_past_its_start(tmp_path: Path) -> None:
    """End to end, in a process of its own whose stdin is the file, opened and read past a
    heading: the cases after it are imported, both readings starting where stdin stood."""
    text = json.dumps(histories(2))
    file = tmp_path / "all.json"
    file.write_text("heading\n" + text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with open(file, "rb") as handle:
        handle.seek(len("heading\n"))
        done = subprocess.run(
            [sys.executable, "-m", "reintegration_fsm", "--db", url, "import", "-"],
            stdin=handle,
            capture_output=True,
            text=True,
            env={**os.environ, "RFSM_CALENDAR": "", "RFSM_DATABASE_URL": ""},
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert "imported 2 case(s)" in done.stdout
    assert stored(url) == ["case-0", "case-1"]
