"""Review IM: `import` reading its file a case at a time, twice (`streamed`)."""

from __future__ import annotations

import io
import json
import os
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reintegration_fsm.cli import cli, importing, interchange, streamed
from test_cli_import_streamed import exported, histories
from test_cli_import_streamed import stored as _stored


def invoke(url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], input=input, env={"RFSM_CALENDAR": None})


def _streamed(text: str) -> list[Any]:
    reader = streamed.Reader(io.BytesIO(text.encode("utf-8")), "f.json", "import file", 2**30)
    return list(interchange.raw_histories(reader))


@pytest.mark.parametrize("part", range(1, 8))
def test_a_number_cut_by_a_read_after_its_point_or_exponent_is_read_on(
    part: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IM1: a number the reader decodes alone (a top-level member, an item of the list), cut by
    a read after its point, its exponent or the exponent's sign, is read on and taken whole, as
    `json.loads` of the whole file takes it: it was refused as `Expecting ',' delimiter`."""
    monkeypatch.setattr(streamed, "CHUNK", part)
    for value in (
        {"x": 1.5e10, "cases": []},
        {"x": -12.25e-3, "y": 1e5},
        {"x": -0.0, "cases": [1.5e3, 2.0]},
        [1.25, -3e-7],
        7.5e2,
    ):
        text = json.dumps(value).replace("e+", "e")
        read = _streamed(text)
        items, problems = interchange._history_items(json.loads(text))
        assert [raw for raw in read if isinstance(raw, str)] == problems, text
        assert [raw for raw in read if not isinstance(raw, str)] == items, text


def _after_checking(monkeypatch: pytest.MonkeyPatch, then: Callable[[], None]) -> None:
    checked_file = importing._checked_file

    def checked(*args: Any) -> Any:
        found = checked_file(*args)
        then()
        return found

    monkeypatch.setattr(importing, "_checked_file", checked)


def test_a_file_replaced_by_a_named_pipe_once_checked_is_read_again_not_waited_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IM2: the import file is opened once and read again from its start: a named pipe made at
    its path after the first reading was opened by the second, which waited for a writer for
    ever. (The thread here writes to the pipe if anything opens it to read, so that the old
    reading ends, empty, and the import said the file changed.)"""
    file = tmp_path / "all.json"
    file.write_text(json.dumps(exported(2)), encoding="utf-8")
    opened = threading.Event()

    def writer() -> None:
        with open(file, "wb"):  # waits until something opens the pipe to read
            opened.set()

    thread = threading.Thread(target=writer)

    def replaced() -> None:
        file.unlink()
        os.mkfifo(file)
        thread.start()

    _after_checking(monkeypatch, replaced)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    try:
        result = invoke(url, "import", str(file))
        waited_on = opened.is_set()
    finally:
        if not opened.is_set():  # let the writer go: open the pipe to read, not waiting
            os.close(os.open(file, os.O_RDONLY | os.O_NONBLOCK))
        thread.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert not waited_on
    assert _stored(url) == ["case-0", "case-1"]


def test_a_file_renamed_over_once_checked_imports_what_was_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IM2: another file renamed over the import file's name (as an editor saves) once it is
    checked: the import writes the file it checked, not the other, unchecked."""
    file = tmp_path / "all.json"
    file.write_text(json.dumps(exported(2)), encoding="utf-8")
    other = tmp_path / "other.json"
    other.write_text(json.dumps(histories(1, start=7)), encoding="utf-8")
    _after_checking(monkeypatch, lambda: os.replace(other, file))
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    result = invoke(url, "import", str(file))
    assert result.exit_code == 0, result.output
    assert _stored(url) == ["case-0", "case-1"]


def test_a_full_temporary_folder_is_said_as_stdin_is_kept_not_as_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IM3: stdin's copy on a full disk (its file here writes to /dev/full): `cannot keep
    stdin`, typed, as it is read; a part left in the copy's buffer failed again as the copy
    was closed, and the command said `cannot write the output` (its handler for stdout),
    hiding the cause. The temporary folder is removed."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(streamed.tempfile, "tempdir", None)
    real = os.open

    def full(path: Any, flags: int, mode: int = 0o777, **named: Any) -> int:
        if str(path).endswith("input.json"):
            os.close(real(path, flags, mode))
            return real("/dev/full", os.O_WRONLY)
        return real(path, flags, mode, **named)

    monkeypatch.setattr(streamed.os, "open", full)
    for text in ("[1, x", json.dumps(histories(1))):
        result = invoke(f"sqlite:///{tmp_path / 'store.sqlite'}", "import", "-", input=text)
        assert result.exit_code == 2, result.output
        assert "cannot keep stdin to read it twice: No space left on device" in result.stderr
        assert "output" not in result.stderr
    assert not [path for path in tmp_path.iterdir() if path.name.startswith("rfsm-import-")]


def test_a_long_list_of_what_is_no_case_export_is_refused_before_memory_grows_with_it(
    tmp_path: Path,
) -> None:
    """IM4: a file of items that are no case export (`[0,0,...]`) kept a problem per item,
    some 130 times the file (19 MB of stderr for 0.8 MB), and a file may now hold 64 GiB. It
    lists the first 1,000 problems and reads no further: four times the items take less than
    one and a half times the memory at the peak."""
    peaks = []
    for count in (5_000, 20_000):
        file = tmp_path / f"zeros-{count}.json"
        file.write_text("[" + ",".join(["0"] * count) + "]", encoding="utf-8")
        tracemalloc.start()
        try:
            result = invoke(f"sqlite:///{tmp_path / 'store.sqlite'}", "import", str(file))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert result.exit_code == 2, result.output
        assert result.stderr.count(": not a case export nor a history") == 1000
        assert "read no further after 1,000 problems" in result.stderr
    small, large = peaks
    assert large < 1.5 * small, peaks


def test_a_file_changed_at_its_last_case_writes_nothing_of_the_batches_before(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All or nothing on each engine, a history a batch: the file changed in place at its last
    case once checked, the three batches before it, written in the import's transaction, are
    not kept; imported again unchanged, its first case (stored before) is skipped."""
    monkeypatch.setattr(importing, "IMPORT_BATCH", 1)
    monkeypatch.setattr(streamed, "CHUNK", 64)
    file = tmp_path / "all.json"
    text = json.dumps(exported(4))
    file.write_text(json.dumps(exported(1)), encoding="utf-8")
    assert invoke(database_url, "import", str(file)).exit_code == 0
    file.write_text(text, encoding="utf-8")
    _after_checking(
        monkeypatch, lambda: file.write_text(text.replace("case-3", "case-8"), encoding="utf-8")
    )
    result = invoke(database_url, "import", str(file))
    assert result.exit_code == 2, result.output
    assert "it changed while it was imported" in result.stderr
    assert _stored(database_url) == ["case-0"]
    monkeypatch.undo()
    file.write_text(text, encoding="utf-8")
    result = invoke(database_url, "import", str(file))
    assert result.exit_code == 0, result.output
    assert "imported 3 case(s), 33 transition(s); 1 already stored" in result.stdout
    assert _stored(database_url) == [f"case-{n}" for n in range(4)]
