"""What a case's hostile text does to the pages, letters and tables made for people.

Every free-text field of a case that ended after an emergency review (so that it has every form
and the failure letter) is given markup, formula and bidirectional-override text, through the
ordinary import; then each command that shows it is run. The text may appear only escaped in
HTML, never with a bidirectional control in any page or terminal output, and never as a formula
a spreadsheet would run. Invented names only.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import stages
from reintegration_fsm import SqlAlchemyStore, documents
from reintegration_fsm.cli import cli
from reintegration_fsm.reports import academic_year, figures
from reintegration_fsm.reports.html import render_html
from scenario import CONSENTED, consent

CASE = "HOSTILE-1"
RLO = "\u202e"
LONG_WORD = "Supercalifragilistic" * 12
"""240 letters without a space: a pasted link or a name typed without spaces."""
HOSTILE = {
    # demo value -> what an attacker (or a careless paste) put there instead
    "Quinn Placeholder": f"Quinn <script>document.title='PWNED'</script>{RLO}redlohecalP",
    "Bea Placeholder": 'Bea "><img src=x onerror="document.title=\'PWNED\'">',
    "Larkspur Learning Centre": f"Larkspur</textarea></style></title><script>x()</script>{RLO}",
    "Millbridge High School": '=HYPERLINK("http://evil.example/m","Millbridge") \'><svg '
    "onload=alert(5)> \u2066javascript:alert(4)",
    "Exampleshire County Council": "Exampleshire}</style><style>body{display:none}</style>",
    "Jules Okonjo": '=HYPERLINK("http://evil.example/x","click")',
    "Robin Ashdown": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Kit Marlowe-Penn": "-2+3 Kit",
    "Noor Faraday": "+44 Noor\u200dFaraday Za\u0301\u0302\u0303lgo \U0001f469\u200d\U0001f467",
    "Avery Holm": "\tAvery Holm",
    "Daily mentoring with a key worker": f"Daily mentoring <b>bold</b> {LONG_WORD}",
    "Settled for two terms, attending well, keen on the host's courses.": f"\t=1+1 {LONG_WORD}",
}
RAW = tuple(value for value in HOSTILE.values() if "<" in value)
BIDI = ("\u202a", "\u202b", "\u202c", "\u202d", RLO, "\u2066", "\u2067", "\u2068", "\u2069")
ENV: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=ENV)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's cases and HOSTILE-1: DEMO-0002 (ended by an emergency review) retyped."""
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'cases.sqlite'}"
    ok(invoke(url, "demo"))
    history = ok(invoke(url, "history", "DEMO-0002", "--format", "json")).stdout
    for demo, hostile in {"DEMO-0002": CASE, **HOSTILE}.items():
        history = history.replace(json.dumps(demo)[1:-1], json.dumps(hostile)[1:-1])
    (folder / "hostile.json").write_text(history, encoding="utf-8")
    ok(invoke(url, "import", str(folder / "hostile.json")))
    return folder / "cases.sqlite"


@pytest.fixture
def hostile_db(hostile_file: Path, private_copy: Callable[[Path], str]) -> str:
    return private_copy(hostile_file)


PAGES = {
    "render": ("render", CASE),
    "export html": ("export", CASE, "--format", "html"),
    # HOSTILE-1's authority is another than the demo's: a report is one authority's (MA1).
    "report html": (
        "--calendar",
        "sample",
        "report",
        "--year",
        "2025/26",
        "--authority",
        HOSTILE["Exampleshire County Council"],
    ),
}


def page(url: str, name: str) -> str:
    args = PAGES[name]
    before, after = (args[:2], args[2:]) if args[0] == "--calendar" else ((), args)
    return ok(CliRunner().invoke(cli, [*before, "--db", url, *after], env=ENV)).stdout


@pytest.mark.parametrize("name", PAGES)
def test_hostile_text_appears_in_a_page_only_escaped(hostile_db: str, name: str) -> None:
    """No typed `<` reaches a page as markup: each hostile value is there, escaped, and never
    raw."""
    html = page(hostile_db, name)
    for value in RAW:
        assert value[value.index("<") :][:12] not in html, (name, value)
    assert "&lt;/textarea&gt;&lt;/style&gt;&lt;/title&gt;&lt;script&gt;" in html
    if name != "report html":  # the report names no child
        assert "&lt;img src=x onerror=" in html
        assert "Quinn &lt;script&gt;" in html


@pytest.mark.parametrize("name", PAGES)
def test_no_page_holds_a_bidirectional_control(hostile_db: str, name: str) -> None:
    """A right-to-left override in a name would make the rest of its line read backwards ("...
    redlohecalP, born 2 October 2011" read "Placeholder" and a garbled date): every page shows it
    as the escape `\\u202e`, as the terminal does."""
    html = page(hostile_db, name)
    assert not [c for c in BIDI if c in html], name
    assert "\\u202e" in html, name
    assert "\U0001f469\u200d\U0001f467" in html or name == "report html"  # an emoji stays


def test_the_librarys_own_pages_hold_no_bidirectional_control(hostile_db: str) -> None:
    """An MIS rendering through the library, not the command line, got the override as it was:
    only the command line showed it as an escape. Now `documents.render_html`, `render_text`
    and the report's `render_html` do, and the command line uses the same function."""
    with SqlAlchemyStore(hostile_db) as store:
        case = store.load(CASE)
    year = academic_year("2025/26")
    report = render_html(figures([case], year, on=year.end), made_on=year.end)
    for name, text in {
        "forms, HTML": documents.render_html(case),
        "forms, text": documents.render_text(case),
        "report": report,
    }.items():
        assert not [c for c in BIDI if c in text], name
        assert "\\u202e" in text, name
    assert "\U0001f469\u200d\U0001f467" in documents.render_html(case)  # an emoji stays


@pytest.mark.parametrize(
    "args",
    [
        ("letter", CASE),
        ("render", CASE, "--text"),
        ("timeline", CASE),
        ("history", CASE),
        ("cases",),
        ("due", "--on", "2026-12-01", "--case", CASE),
    ],
    ids=" ".join,
)
def test_text_for_a_terminal_holds_no_bidirectional_control(
    hostile_db: str, args: tuple[str, ...]
) -> None:
    """What a terminal shows holds no override and no escape sequence, and the letter is
    refused for no case: it is there, the hostile text shown as text."""
    out = ok(invoke(hostile_db, *args)).stdout
    assert not [c for c in (*BIDI, "\x1b", "\x9b") if c in out]
    assert "Quinn <script>" in out or args[0] in ("due", "history")


FORMULAS = [("cases",), ("due", "--on", "2026-12-01"), ("history", CASE)]


@pytest.mark.parametrize("args", FORMULAS, ids=" ".join)
def test_csv_cells_never_start_a_formula(hostile_db: str, args: tuple[str, ...]) -> None:
    """OWASP's CSV injection: no cell starts with `=`, `+`, `-`, `@`, a tab or a return; the
    host school and the actors' names that did are there, after a `'`."""
    out = ok(invoke(hostile_db, *args, "--format", "csv")).stdout_bytes.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(out)) for cell in row]
    assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells)
    if args[0] == "history":
        assert {"'-2+3 Kit", "'\tAvery Holm"} <= set(cells)


@pytest.mark.parametrize("args", FORMULAS[:2], ids=" ".join)
def test_xlsx_cells_are_text_never_formulas(
    hostile_db: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    """In a workbook the host school `=HYPERLINK(...)` is a text cell holding exactly that."""
    openpyxl = pytest.importorskip("openpyxl")
    book = tmp_path / "out.xlsx"
    ok(invoke(hostile_db, *args, "--format", "xlsx", "-o", str(book)))
    cells = [c for row in openpyxl.load_workbook(book).active.iter_rows() for c in row]
    formulas = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas, "the hostile host school is in the sheet"
    assert {c.data_type for c in formulas} == {"s"}


PROBE = """
<script>
  // Test harness only (the pages have no script): what the browser made of the page.
  const right = document.body.getBoundingClientRect().right;
  document.documentElement.setAttribute("data-measured", JSON.stringify({
    title: document.title,
    scripts: document.scripts.length,
    handlers: document.querySelectorAll("[onerror], [onload], img, iframe, a[href]").length,
    styles: [...document.querySelectorAll("body style, body link")]
      .filter((e) => !e.closest("svg")).length,  // the report's charts style themselves
    hidden: getComputedStyle(document.body).display === "none",
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
    past_the_body: [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > right + 1)
      .map((e) => e.tagName + ": " + e.textContent.slice(0, 40)),
  }));
</script>
"""


@pytest.mark.parametrize("name", PAGES)
def test_in_a_browser_no_script_runs_and_no_word_pushes_past_the_page(
    hostile_db: str, name: str, tmp_path: Path
) -> None:
    """Chromium at A4 width: the hostile markup made no element and ran nothing (the title is
    the page's own), and a 240-letter word or a school's name without a space wraps inside its
    column instead of pushing the table past the printed page's edge."""
    from test_report_browser import measured

    shown = tmp_path / "page.html"
    shown.write_text(page(hostile_db, name), encoding="utf-8")
    seen, _ = measured(shown, tmp_path, PROBE)
    # (The forms' and the response's titles name the child: the hostile name, as text.)
    assert "PWNED" not in seen["title"] or seen["title"].startswith(
        ("Reintegration forms:", "Subject access response:")
    )
    assert seen["scripts"] == 1  # the harness's own
    assert (seen["handlers"], seen["styles"], seen["hidden"]) == (0, 0, False)
    assert seen["past_the_body"] == []
    assert seen["page"] <= seen["window"]


A4_POINTS = (595, 842)
"""An A4 page in PDF points, rounded (chromium writes 594.96 x 841.92)."""
_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]")
_STREAM_START = re.compile(rb"(?<![a-z])stream\r?\n")
_SCALE = re.compile(rb"([-\d.]+) 0 0 [-\d.]+ [-\d.]+ [-\d.]+ cm")


def printed(html: str, folder: Path) -> tuple[list[tuple[int, int]], list[bytes]]:
    """`html` printed to PDF by chromium: each page's size in points and the scale its content
    is drawn at (the second transform of its content stream, after the page's own)."""
    from test_report_browser import browse

    folder.mkdir(exist_ok=True)
    source, pdf = folder / "page.html", folder / "page.pdf"
    source.write_text(html, encoding="utf-8")
    result = browse(source, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", profile=folder)
    assert result.returncode == 0, result.stderr[-2000:]
    assert pdf.exists(), result.stderr[-2000:]
    data = pdf.read_bytes()
    sizes = [(round(float(w)), round(float(h))) for w, h in _MEDIA_BOX.findall(data)]
    scales = []
    for start in _STREAM_START.finditer(data):
        # Read to the end of the deflated data, not to the next "endstream": compressed bytes
        # can hold that word, and a page cut there was once not counted (14 scales, 15 pages).
        inflate = zlib.decompressobj()
        try:
            content = inflate.decompress(data[start.end() :])
        except zlib.error:  # an image, not a page's content
            continue
        if not inflate.eof:
            continue
        transforms = _SCALE.findall(content)
        if len(transforms) >= 2:
            scales.append(transforms[1])
    return sizes, scales


@pytest.mark.parametrize("name", PAGES)
def test_printed_every_page_is_a4_at_full_size(hostile_db: str, name: str, tmp_path: Path) -> None:
    """Printed (chromium's print to PDF, as an officer prints the page), every page is A4, not
    the browser's default Letter, and nothing is shrunk to fit: a browser prints a page wider
    than the paper smaller, so a 240-letter word pushing a table out printed the whole form in
    small type. The scale is compared with a plain page's, printed in the same run."""
    _, (plain,) = printed(
        "<!doctype html><style>@page { size: A4 }</style><p>A plain page.</p>", tmp_path / "plain"
    )
    html = page(hostile_db, name)
    sizes, scales = printed(html, tmp_path / "hostile")
    assert sizes
    assert set(sizes) == {A4_POINTS}, sizes
    assert len(scales) == len(sizes)
    assert set(scales) == {plain}, (scales, plain)
    if name == "render":  # each form starts a page
        assert len(sizes) >= html.count('<section class="form"')


def test_the_print_check_sees_a_page_shrunk_to_fit(tmp_path: Path) -> None:
    """The check above would notice: a page wider than A4 prints at a smaller scale."""
    _, (plain,) = printed(
        "<!doctype html><style>@page { size: A4 }</style><p>A</p>", tmp_path / "a"
    )
    wide = '<!doctype html><style>@page { size: A4 }</style><div style="width: 1900px">B</div>'
    sizes, (shrunk,) = printed(wide, tmp_path / "b")
    assert sizes == [A4_POINTS]
    assert float(shrunk) < float(plain)


def test_a_parents_name_holding_a_direction_control_is_kept_and_printed_as_an_escape() -> None:
    """docs/integrating.md: the names later forms hold are kept as typed, a direction control
    too (only the child's is refused, at `open`), and every page and letter prints it as an
    escape: the parent's name on the consent form cannot make the rest of its line read
    backwards."""
    parent = f"Dana {RLO}elpmaxE"
    case = stages.opened()
    case.record_consent(
        consent(parent_name=parent, signed_by=parent), by=stages.AP_HEAD, on=CONSENTED
    )
    assert case.history[-1].data["form"]["parent_name"] == parent  # kept as typed
    for name, text in {
        "forms, HTML": documents.render_html(case),
        "forms, text": documents.render_text(case),
    }.items():
        assert not [c for c in BIDI if c in text], name
        assert "Dana \\u202eelpmaxE" in text, name
