"""Review IM: `import` reading its file a case at a time, twice (`streamed`)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reintegration_fsm.cli import cli, interchange, streamed


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
