"""Review AC: an accessibility and print audit of the pages the library renders (the forms of
`render --html`, with the failure letter to parents; the subject access response of `export
--format html`; the panel's report), as a local authority must publish and print them (the
Public Sector Bodies Accessibility Regulations 2018, WCAG 2.2 AA). Each test reads the markup
with the standard library's `html.parser`. Invented names only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

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
        # A week in which no offer, review or placement ended: percentages of nothing.
        "report of a quiet week": run(
            "--calendar", "sample", "report", "--from", "2026-01-05", "--to", "2026-01-09"
        ),
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


def columns(page: Page, table: int) -> int:
    """How many columns a table has: the cells of its widest row, a `colspan` counted whole."""
    rows: dict[int, int] = {}
    for index, (tag, attributes, parent) in enumerate(page.elements):
        if tag in {"th", "td"} and _within(page, index, table):
            rows[parent] = rows.get(parent, 0) + int(attributes.get("colspan") or 1)
    return max(rows.values(), default=0)


def _within(page: Page, index: int, ancestor: int) -> bool:
    """Whether element `index` lies inside element `ancestor`, not inside a table nested in it."""
    parent = page.elements[index][2]
    while parent != -1:
        if parent == ancestor:
            return True
        if page.elements[parent][0] == "table":
            return False
        parent = page.elements[parent][2]
    return False


WIDE = {"forms": 3, "subject access": 4, "report": 3}
"""Tables of more than this many columns need more than 320 CSS pixels (a phone, or 400% zoom
of a 1280-pixel window): the forms' timetable (twelve columns), the response's steps and
timetable, the report's offers and schools. Tables narrower than this wrap their words."""


@pytest.mark.parametrize("name", PAGES)
def test_AC2_a_table_too_wide_for_320_pixels_scrolls_in_its_own_labelled_region(
    pages: dict[str, str], name: str
) -> None:
    """WCAG 1.4.10 (reflow): at 320 CSS pixels the timetable pushed the whole page sideways, so
    every line of text needed a horizontal scroll. A wide table now scrolls inside a box that a
    keyboard can reach (tabindex 0) and a screen reader names (a region labelled by the
    table's heading or caption); the box holds the screen-reader-only words positioned inside
    it, and printed, it shows the whole table."""
    page = Page(pages[name])
    ids = {attributes.get("id") for _, attributes, _ in page.elements}
    wide = [
        index
        for index, (tag, _, _) in enumerate(page.elements)
        if tag == "table" and columns(page, index) > WIDE[name]
    ]
    assert len(wide) >= (2 if name == "report" else 1)
    for index in wide:
        tag, box, _ = page.elements[page.elements[index][2]]
        assert tag == "div", page.elements[index]
        assert "scroll" in (box.get("class") or "").split()
        assert (box.get("role"), box.get("tabindex")) == ("region", "0")
        assert box.get("aria-labelledby") in ids
    sheet = rules(page.style)
    scroll = {k: v for selectors, d in sheet if ".scroll" in selectors for k, v in d.items()}
    assert scroll.get("overflow-x") == "auto"
    assert scroll.get("position") == "relative"
    assert scroll.get("overflow") == "visible"  # in print


class Spoken(HTMLParser):
    """What a screen reader reads of each table cell and headline figure: its text, less what
    is `aria-hidden`."""

    VOID = frozenset({"meta", "br", "link", "img", "input", "hr", "col"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open: list[tuple[str, bool]] = []  # each open element, and whether it is hidden
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        hidden = dict(attrs).get("aria-hidden") == "true"
        self._open.append((tag, hidden))
        if tag in {"td", "th", "strong"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break
        if tag in {"td", "th", "strong"} and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not any(hidden for _, hidden in self._open):
            self._cell.append(data)


@pytest.mark.parametrize("name", [*PAGES, "report of a quiet week"])
def test_AC3_no_cell_reads_as_empty(pages: dict[str, str], name: str) -> None:
    """An empty cell is read as "blank", which a parent reading the response cannot tell from
    a fault: the response left "Met late" empty for a deadline not met and "Basis" empty for
    an obligation with none, and the report's dash for a figure of nothing (a percentage of no
    offers) is silent in most screen readers. Each now reads as words."""
    cells = Spoken(pages[name]).cells
    assert len(cells) > 20
    assert [c for c in cells if c in {"", "-", "–"}] == []
    if name == "report of a quiet week":
        assert "not available" in cells


class Named(HTMLParser):
    """Each table's name as a screen reader announces it (its caption, or the text of what its
    `aria-labelledby` names), and every element id with its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[dict[str, str | None]] = []  # aria-labelledby, aria-label, caption
        self.text: dict[str, str] = {}
        self.ids: list[str] = []
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append(
                {
                    "aria-labelledby": attributes.get("aria-labelledby"),
                    "aria-label": attributes.get("aria-label"),
                    "caption": None,
                }
            )
        if tag == "caption" and self.tables:
            self.tables[-1]["caption"] = attributes.get("id") or "caption"
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag not in Spoken.VOID:
            self._open.append(attributes.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for opened in self._open:
            if opened:
                self.text[opened] = self.text.get(opened, "") + data


@pytest.mark.parametrize("name", PAGES)
def test_AC4_every_table_has_a_name_and_every_id_is_the_pages_one(
    pages: dict[str, str], name: str
) -> None:
    """A screen reader's list of tables (NVDA's T key) said only "table" twelve times over for
    the forms and fifteen for the response. Each table is now named by its caption or by the
    heading above it (`aria-labelledby`), which exists, holds words and is the page's one."""
    page = Named(pages[name])
    assert len(page.tables) >= 10
    for table in page.tables:
        named = table["aria-labelledby"]
        if named is not None:
            assert page.text.get(named, "").strip(), table
        else:
            assert table["caption"] or (table["aria-label"] or "").strip(), table
    assert len(page.ids) == len(set(page.ids))
