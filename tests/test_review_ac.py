"""Review AC: an accessibility and print audit of the pages the library renders (the forms of
`render --html`, with the failure letter to parents; the subject access response of `export
--format html`; the panel's report), as a local authority must publish and print them (the
Public Sector Bodies Accessibility Regulations 2018, WCAG 2.2 AA). Each test reads the markup
with the standard library's `html.parser`. Invented names only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli

ENV: dict[str, str | None] = {
    "RFSM_DATABASE_URL": None,
    "RFSM_AUTHORITY": None,
    "RFSM_CALENDAR": None,
}
PAGES = ("forms", "subject access", "report")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The three pages, made from the demo's cases: DEMO-0002 ended after an emergency review,
    so its forms hold every kind (the timetable and the failure letter among them)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ac') / 'demo.sqlite'}"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", url, *args], env=ENV)
        assert result.exit_code == 0, result.output
        return result.stdout

    run("demo")
    return {
        "forms": run("render", "DEMO-0002", "--html"),
        "subject access": run("export", "DEMO-0002", "--format", "html"),
        "report": run("--calendar", "sample", "report", "--year", "2025/26"),
    }


class Page(HTMLParser):
    """A page's style sheet and its elements, each with its attributes and its parent's."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.style = ""
        self.elements: list[tuple[str, dict[str, str | None], int]] = []
        self._open: list[int] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        parent = self._open[-1] if self._open else -1
        self.elements.append((tag, dict(attrs), parent))
        if tag not in {"meta", "br", "link", "img", "input", "hr", "col"}:
            self._open.append(len(self.elements) - 1)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self.elements[self._open.pop()][0] == tag:
                break
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def rules(css: str) -> list[tuple[set[str], dict[str, str]]]:
    """The style sheet's rules, those inside an `@media` block too: each rule's selectors and
    its declarations."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{", "", css)
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declared = {}
        for declaration in body.split(";"):
            name, _, value = declaration.partition(":")
            if name.strip():
                declared[name.strip()] = value.strip()
        found.append(({s.strip() for s in selectors.split(",")}, declared))
    return found


@pytest.mark.parametrize("name", PAGES)
def test_AC1_printed_a_row_is_never_cut_across_two_pages(pages: dict[str, str], name: str) -> None:
    """Chromium prints a table row taller than what is left of the page in two halves: a
    question on one sheet and the end of its answer on the next. Each page asks that a row be
    kept whole (one taller than a page still breaks), and a heading kept with what follows."""
    sheet = rules(Page(pages[name]).style)
    rows = [d for selectors, d in sheet if "tr" in selectors]
    assert any(d.get("break-inside") == "avoid" for d in rows), rows
    assert any(d.get("page-break-inside") == "avoid" for d in rows), rows
    headings = [d for selectors, d in sheet if "h2" in selectors]
    assert any(d.get("break-after") == "avoid" for d in headings), headings
