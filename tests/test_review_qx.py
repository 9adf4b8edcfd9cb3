"""Review QX: costs that grow faster than they should in the HTML report's charts (QX1).

No test here times anything: each counts the work done (the characters regular expressions
scan) at two sizes, where a quadratic version does 16 times as much for 4 times the input.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest

import caseload
from reintegration_fsm import InMemoryStore
from reintegration_fsm.demo import run as run_demo
from reintegration_fsm.reports import academic_year, charts, figures
from reintegration_fsm.reports.model import Count


def _old_svg(figure: Any, key: str, title: str, description: str) -> str:
    """`charts._svg` as it was before QX1 (a pass over the whole SVG for each id): the
    reference its output must equal."""
    from html import escape

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    for name in set(charts._ID.findall(text)):
        text = re.sub(rf'\bid="{re.escape(name)}"', f'id="{key}-{name}"', text)
        text = text.replace(f"url(#{name})", f"url(#{key}-{name})")
        text = text.replace(f'href="#{name}"', f'href="#{key}-{name}"')
    opening = text.index(">", text.index("<svg")) + 1
    head = text[: opening - 1]
    head += f' role="img" aria-labelledby="{key}-title">'
    return head + f'<title id="{key}-title">Chart: {escape(title)}</title>' + text[opening:]


class _Drawn:
    """A figure whose SVG holds `count` ids, each used once by `url(#...)` and once by
    `href="#..."`, and a reference to an id it does not hold (left as it is)."""

    def __init__(self, count: int) -> None:
        self.count = count

    def savefig(self, buffer: io.StringIO, **_: Any) -> None:
        parts = ['<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">\n']
        parts.append("<metadata>made by</metadata>\n<defs>\n")
        for n in range(self.count):
            parts.append(f'<clipPath id="c{n:05}"><rect width="{n}"/></clipPath>\n')
        parts.append("</defs>\n")
        for n in range(self.count):
            parts.append(f'<use href="#c{n:05}" clip-path="url(#c{n:05})"/>\n')
        parts.append('<use href="#elsewhere" clip-path="url(#elsewhere)"/>\n</svg>\n')
        buffer.write("".join(parts))


class _Saved:
    """A figure's SVG saved once, given again at each save."""

    def __init__(self, figure: Any) -> None:
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        self.text = buffer.getvalue()

    def savefig(self, buffer: io.StringIO, **_: Any) -> None:
        buffer.write(self.text)


class _Scanning:
    """A regular expression (or the `re` module) that adds the length of each text it is
    given to `scanned`."""

    def __init__(self, wrapped: Any, scanned: list[int]) -> None:
        self._wrapped = wrapped
        self._scanned = scanned

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._wrapped, name)
        if name not in {"sub", "findall", "search", "finditer", "subn"}:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._scanned[0] += sum(len(a) for a in args if isinstance(a, str) and len(a) > 200)
            return found(*args, **kwargs)

        return counted


def test_a_charts_ids_are_prefixed_in_a_number_of_scans_linear_in_its_svg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QX1: each id of a chart's SVG was prefixed by a pass over the whole SVG: 4 times the
    ids (the bars of a days-to-offer chart under a long limit) scanned it 16 times as much.
    Now one pass prefixes them all."""
    scanned = [0]
    monkeypatch.setattr(charts, "re", _Scanning(re, scanned))
    monkeypatch.setattr(charts, "_ID", _Scanning(charts._ID, scanned))
    reference = getattr(charts, "_REFERENCE", None)
    if reference is not None:
        monkeypatch.setattr(charts, "_REFERENCE", _Scanning(reference, scanned))
    counts = []
    for ids in (100, 400):
        scanned[0] = 0
        text = charts._svg(_Drawn(ids), "days", "Days", "Days to an offer.")
        assert text.count('id="days-c') == ids
        assert "url(#elsewhere)" in text
        counts.append(scanned[0])
    assert counts[1] < 6 * counts[0], counts  # linear: about 4; quadratic: about 16


def test_a_charts_svg_is_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """QX1's single pass gives each chart of a year's report, and one of 120 bars, the same
    SVG as the passes it replaced."""
    matplotlib = pytest.importorskip("matplotlib", reason="the charts need the `reports` extra")
    compared = []
    made = charts._svg

    def both(figure: Any, key: str, title: str, description: str) -> str:
        saved = _Saved(figure)  # a clip path's id differs from one save to the next
        text = made(saved, key, title, description)
        assert text == _old_svg(saved, key, title, description)
        compared.append(key)
        return text

    monkeypatch.setattr(charts, "_svg", both)
    cases = [result.case for result in run_demo(InMemoryStore())] + caseload.build()
    charts.charts(figures(cases, academic_year("2025/26"), on=dt.date(2026, 7, 1)))
    many = [Count(f"{5 * n}-{5 * n + 4}", f"{5 * n}–{5 * n + 4}", n % 3, 120) for n in range(120)]
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "qx"}):
        both(charts._bars("Many", many, horizontal=False, limit=60.5), "many", "Many", "Many.")
    assert len(compared) >= 8
    assert "<svg" in _old_svg(_Drawn(3), "k", "t", "d")
    assert charts._svg(_Drawn(3), "k", "t", "d") == _old_svg(_Drawn(3), "k", "t", "d")
