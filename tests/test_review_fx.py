"""Review FX: the forms as the forms page (`render --html`) and the subject access response
(`export --format html`) show them: written once (templates/shared/form.html, form.css), so a
letter's list keeps its lines in both (SH3, SH4); and the response's obligations, on a phone,
give their basis a column a sentence can be read in (DU3)."""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

import stages
from narrow import measured_at_320
from reintegration_fsm import SqlAlchemyStore
from reintegration_fsm.cli import cli

ENV: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
TEMPLATES = resources.files("reintegration_fsm") / "templates"
PAGES = {
    "forms": TEMPLATES / "case.html",
    "subject access": (
        resources.files("reintegration_fsm.cli") / "templates" / "subject_access.html"
    ),
}
REASON = "Three incidents:\nleft the site on Monday\na fight on Thursday"


def page(url: str, *args: str) -> str:
    """A page the command line renders, as text."""
    result = CliRunner().invoke(cli, ["--db", url, *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def ended(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store of one ended case whose failure letter gives a reason typed over three lines."""
    case = stages.ending(reasons=(REASON, "Late twice"))
    url = f"sqlite:///{tmp_path_factory.mktemp('fx') / 'ended.sqlite'}"
    store = SqlAlchemyStore(url)
    store.create_schema()
    store.save(case)
    return url


# -- SH4: the forms markup is written once -----------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_no_page_writes_a_forms_markup_again(name: str) -> None:
    """The fields table, the timetable and the letter were written in both pages, and had
    drifted apart (the response's letter lost its lines, SH3): each page now imports the one
    `form` macro, and writes none of its markup or rules itself."""
    from test_review_sh import declarations

    text = PAGES[name].read_text(encoding="utf-8")
    assert text.count('{% from "shared/form.html" import form %}') == 1
    assert text.count('{% include "shared/form.css" %}') == 1
    for markup in ("Week beginning", "field.is_list", "block.items", "week.sessions", "letter"):
        assert markup not in text, markup
    shared = declarations((TEMPLATES / "shared" / "form.css").read_text(encoding="utf-8"))
    assert (".letter li", "white-space: pre-line") in shared
    assert declarations(text) & shared == set()


def test_the_shared_form_writes_each_part_once() -> None:
    """The allowing side: the markup the pages no longer hold is in shared/form.html, once."""
    text = (TEMPLATES / "shared" / "form.html").read_text(encoding="utf-8")
    for markup in ("Week beginning", "field.is_list", "in block.items", "week.sessions"):
        assert text.count(markup) == 1, markup
    assert text.count('<div class="letter">') == 1


def shapes(found: str, container: str, heading: str) -> dict[str, list[object]]:
    """Each form of a page by its title: what follows its heading, as a tree of (tag,
    attributes, children), the ids and the references to them left out (unique per page)."""
    from test_review_ax import Element, Page

    def shape(node: Element | str) -> object:
        if isinstance(node, str):
            return " ".join(node.split())
        attributes = {k: v for k, v in node.attrs.items() if k not in {"id", "aria-labelledby"}}
        children = [shape(child) for child in node.children]
        return (node.tag, sorted(attributes.items()), [c for c in children if c != ""])

    forms = {}
    for box in Page(found).find(container):
        if "form" not in (box.attrs.get("class") or "").split():
            continue
        children = [c for c in box.children if not (isinstance(c, str) and not c.strip())]
        first = children[0]
        assert isinstance(first, Element)
        assert first.tag == heading
        forms[first.text()] = [shape(child) for child in children[1:]]
    return forms


def test_both_pages_show_a_form_alike(demo_db: str) -> None:
    """Every form of the ended demo case (fields, a timetable, the failure letter, notes) is
    the same markup on the forms page (under an h2, one form a printed page) and in the
    subject access response (under an h4, in a box): before, the response's fields table was
    a `summary`, its subtitle and note plain `meta` lines, its timetable's last column "Time
    in education" where the seed's form (and the forms page) has "Time in Education"."""
    forms = shapes(page(demo_db, "render", "DEMO-0002", "--html"), "section", "h2")
    response = shapes(page(demo_db, "export", "DEMO-0002", "--format", "html"), "div", "h4")
    assert len(forms) >= 8
    assert "Reintegration Timetable" in forms
    assert response == forms


# -- SH3: the response keeps a letter's lines -------------------------------------------------

LETTER_LINES = """
<script>
  // Test harness only: the lines each item of the failure letter's lists is laid out on.
  const lines = [...document.querySelectorAll(".letter li")].map((item) => {
    const range = document.createRange();
    range.selectNodeContents(item);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
  });
  document.documentElement.setAttribute("data-measured", JSON.stringify({lines}));
</script>
"""


@pytest.mark.parametrize(
    "args",
    [("render", "case-b", "--html"), ("export", "case-b", "--format", "html")],
    ids=["render", "export"],
)
def test_a_reason_typed_over_lines_keeps_them_in_the_letter(
    ended: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    """SH3: a reason of the failure letter typed over three lines was three lines on the
    forms page and one run-on line in the subject access response (its `.letter li` kept no
    line breaks): in both, the item is laid out on three lines, a one-line reason on one."""
    from test_report_browser import chromium, measured

    chromium()
    shown = page(ended, *args)
    assert html.escape(REASON, quote=True) in shown
    out = tmp_path / "page.html"
    out.write_text(shown, encoding="utf-8")
    value, console = measured(out, tmp_path, LETTER_LINES)
    assert value["lines"][:2] == [3, 1], value
    assert console == []


# -- DU3: the obligations' basis at 320 pixels ------------------------------------------------

BASIS_MEASURED = """(() => {
  const table = document.querySelector('table[aria-labelledby$="-obligations"]');
  const basis = [...table.querySelectorAll("thead th")].pop();
  return {
    heading: basis.textContent,
    basis: basis.getBoundingClientRect().width,
    box: table.parentElement.getBoundingClientRect().width,
    scrolls: table.parentElement.classList.contains("scroll"),
    cut: cutWords(table.querySelectorAll("td"))};
})()"""


def test_the_obligations_basis_is_readable_at_320_pixels(demo_db: str, tmp_path: Path) -> None:
    """DU3: at 320 CSS pixels the obligations' "Basis" column (a sentence citing the School
    Attendance Regulations) was some 80 pixels wide, a word a line. It keeps 15em (some 200
    pixels, four or five words a line, narrower than the box so that scrolled it is seen
    whole); the table scrolls in its own box, the page does not, and no word is cut
    ("9(1)(c)" was laid out "9(1)" above "(c)" once the column widened)."""
    response = page(demo_db, "export", "DEMO-0002", "--format", "html")
    assert "9(1)(c)" in response
    value = measured_at_320(response, BASIS_MEASURED, tmp_path)
    assert value["heading"] == "Basis"
    assert 180 <= value["basis"] <= value["box"], value
    assert value["scrolls"], value
    assert value["cut"] == [], value
    assert value["window"] <= 320, value
    assert value["page"] <= value["window"], value


def test_a_citation_is_kept_on_one_line_and_escaped() -> None:
    """A run a browser may break inside ("9(1)(c)(ii):", "part-time") is kept whole; the text
    around it, and anything typed into it, is escaped."""
    from reintegration_fsm.cli.subject_access import _whole

    shown = str(_whole("regulation 9(1)(c)(ii): <b>part-time</b>"))
    assert shown == (
        'regulation <span class="whole">9(1)(c)(ii):</span> '
        '<span class="whole">&lt;b&gt;part-time&lt;/b&gt;</span>'
    )


def test_a_word_no_browser_breaks_is_left_as_it_is() -> None:
    """The allowing side: a word with a bracket or a comma only at an end ("(Pupil", "2024,")
    is given no span."""
    from reintegration_fsm.cli.subject_access import _whole

    assert str(_whole("School Attendance (Pupil Registration) 2024, a")) == (
        "School Attendance (Pupil Registration) 2024, a"
    )


def test_the_plain_text_timetable_heads_its_last_column_as_the_seeds_form(demo_db: str) -> None:
    """FX4: the plain-text forms (`render --text`) headed the timetable's last column "Time in
    education", where the seed's form and both HTML pages have "Time in Education"."""
    text = page(demo_db, "render", "DEMO-0002", "--text")
    header = next(line for line in text.splitlines() if line.startswith("Week beginning"))
    assert header.split("|")[-1].strip() == "Time in Education"
