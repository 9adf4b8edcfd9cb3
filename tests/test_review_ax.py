"""Review AX: accessibility of the HTML pages the library renders (WCAG 2.2 AA).

The forms page (`render`), the subject access response (`export --format html`) and the
panel's report (`report`), read with html.parser: landmarks, the viewport, the timetable's
headers and what a screen reader says for each of its cells. See FINDINGS.md (AX1-AX9).
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from reintegration_fsm import InMemoryStore, Reintegration, SchoolCalendar, documents
from reintegration_fsm.cli import cli
from reintegration_fsm.demo import CASES
from reintegration_fsm.demo import run as run_demo

ON = dt.date(2026, 11, 28)
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}


class Element:
    """One element of a parsed page: its tag, attributes, parent, children and text."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element | str] = []

    def find(self, tag: str) -> list[Element]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            if isinstance(child, Element):
                found += child.find(tag)
        return found

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def spoken(self) -> str:
        """The text a screen reader reads: without what is aria-hidden."""
        if self.attrs.get("aria-hidden") == "true":
            return ""
        return "".join(c if isinstance(c, str) else c.spoken() for c in self.children)

    def ancestors(self) -> list[Element]:
        found = []
        node = self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found


class Page(HTMLParser):
    """A page's elements as a tree (html.parser: the standard library only)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.open = self.root
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self.open)
        self.open.children.append(element)
        if tag not in VOID:
            self.open = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.open = node.parent

    def handle_data(self, data: str) -> None:
        self.open.children.append(data)

    def find(self, tag: str) -> list[Element]:
        return self.root.find(tag)


@pytest.fixture(scope="module")
def demo() -> dict[str, Reintegration]:
    """The four demo cases, by id."""
    calendar = SchoolCalendar.sample()
    return {case.case_id: case.run(case.case_id, calendar) for case in CASES}


@pytest.fixture(scope="module")
def forms_page(demo: dict[str, Reintegration]) -> Page:
    """`render DEMO-0002`: every form, the timetable among them."""
    return Page(documents.render_html(demo["DEMO-0002"], ON))


@pytest.fixture
def export_page(demo_db: str) -> Page:
    """`export DEMO-0002 --format html`: the subject access response."""
    result = CliRunner().invoke(
        cli,
        ["--db", demo_db, "export", "DEMO-0002", "--format", "html"],
        env={"RFSM_AUTHORITY": None, "RFSM_CALENDAR": None},
    )
    assert result.exit_code == 0, result.output
    return Page(result.output)


@pytest.fixture(scope="module")
def report_page() -> Page:
    """The panel's report of the demo year."""
    pytest.importorskip("matplotlib", reason="the HTML report needs the `reports` extra")
    from reintegration_fsm.reports import academic_year, figures
    from reintegration_fsm.reports.html import render_html

    cases = [result.case for result in run_demo(InMemoryStore())]
    found = figures(cases, academic_year("2025/26"), on=dt.date(2026, 7, 1))
    return Page(render_html(found, made_on=dt.date(2026, 7, 2)))


PAGES = ("forms_page", "export_page", "report_page")


def page_of(request: pytest.FixtureRequest, name: str) -> Page:
    page = request.getfixturevalue(name)
    assert isinstance(page, Page)
    return page


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_viewport(request: pytest.FixtureRequest, name: str) -> None:
    """AX4: without `width=device-width` a phone lays the page out some 980 px wide and shrinks
    it: a parent must zoom and scroll sideways along every line (WCAG 1.4.10, 1.4.4)."""
    page = page_of(request, name)
    viewports = [m for m in page.find("meta") if m.attrs.get("name") == "viewport"]
    assert [m.attrs.get("content") for m in viewports] == ["width=device-width, initial-scale=1"]


def timetables(page: Page) -> list[Element]:
    """The Reintegration Timetable's tables: those whose header names a week."""
    return [
        table
        for table in page.find("table")
        if any(th.text().strip() == "Week beginning" for th in table.find("th"))
    ]


def header_of(table: Element, row: int, column: int) -> list[str]:
    """What a screen reader names a data cell by: the headers whose rows and columns hold it,
    as the HTML table model assigns them (rowspan/colspan, scope)."""
    grid: dict[tuple[int, int], Element] = {}
    for r, tr in enumerate(table.find("tr")):
        c = 0
        for cell in [x for x in tr.children if isinstance(x, Element) and x.tag in ("th", "td")]:
            while (r, c) in grid:
                c += 1
            for dr in range(int(cell.attrs.get("rowspan") or 1)):
                for dc in range(int(cell.attrs.get("colspan") or 1)):
                    grid[(r + dr, c + dc)] = cell
            c += int(cell.attrs.get("colspan") or 1)
    named = []
    for r in range(row):
        cell = grid[(r, column)]
        if cell.tag == "th" and cell.attrs.get("scope") in ("col", "colgroup"):
            named.append(cell.text().strip())
    for c in range(column):
        cell = grid[(row, c)]
        if cell.tag == "th" and cell.attrs.get("scope") == "row":
            named.append(cell.text().strip())
    return list(dict.fromkeys(named))


def test_render_timetable_headers_have_scope(forms_page: Page) -> None:
    """AX2: the forms page's timetable: each header has a scope (two rows of spanned headers
    are otherwise guessed at) and each week is its row's header, so that a screen reader says
    "Tuesday, pm, 2 February 2026: AP" (WCAG 1.3.1)."""
    (table,) = timetables(forms_page)
    assert all(th.attrs.get("scope") for th in table.find("th"))
    assert header_of(table, 2, 4) == ["Tuesday", "pm", "2 February 2026"]
    assert header_of(table, 2, 11) == ["Time in Education", "2 February 2026"]


def test_export_timetable_names_each_session(export_page: Page) -> None:
    """AX1: the subject access response's timetable gave its ten session cells one header,
    "Sessions (Monday am to Friday pm)": a screen reader said that for every cell, never which
    day or half-day was at the host school (WCAG 1.3.1). Now each cell has its day and am/pm,
    as on the forms page."""
    (table,) = timetables(export_page)
    assert all(th.attrs.get("scope") for th in table.find("th"))
    named = [header_of(table, 2, column) for column in range(1, 11)]
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
    assert named == [[day, half, "2 February 2026"] for day in days for half in ("am", "pm")]


@pytest.mark.parametrize("name", ["forms_page", "export_page"])
def test_timetable_empty_session_is_spoken(request: pytest.FixtureRequest, name: str) -> None:
    """AX3: a session at neither place is shown "-", which NVDA and JAWS at their usual
    punctuation level do not read: the cell was heard as empty. The "-" stays on the page and
    "no session" is what a screen reader says."""
    (table,) = timetables(page_of(request, name))
    row = next(tr for tr in table.find("tr") if tr.find("td"))
    cells = row.find("td")
    assert [td.text() for td in cells][-2] == "-no session"  # Friday pm in DEMO-0002
    assert [td.spoken() for td in cells][-2] == "no session"
    hidden = [span for span in cells[-2].find("span") if span.attrs.get("aria-hidden")]
    assert [span.text() for span in hidden] == ["-"]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_one_main_landmark(request: pytest.FixtureRequest, name: str) -> None:
    """AX5: the forms page and the subject access response had no `<main>`: a screen reader's
    list of landmarks, or its "skip to main content", found nothing (axe: landmark-one-main,
    region). Every heading below the page's own is in the one `<main>`."""
    page = page_of(request, name)
    (main,) = page.find("main")
    headings = [h for level in ("h2", "h3", "h4") for h in page.find(level)]
    assert headings
    assert all(main in h.ancestors() for h in headings)
    (h1,) = page.find("h1")
    assert [a.tag for a in h1.ancestors()][:1] == ["header"]


@pytest.mark.parametrize("name", PAGES)
def test_export_column_headers_have_scope(request: pytest.FixtureRequest, name: str) -> None:
    """AX6: every header cell of every page says what it heads (the subject access response's
    steps, deadlines, obligations, actors and removals tables had bare `<th>`s)."""
    page = page_of(request, name)
    bare = [th.text() for th in page.find("th") if not th.attrs.get("scope")]
    assert bare == []
