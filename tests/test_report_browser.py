"""The report in a real browser: Debian's chromium, headless, shows a page that is not blank,
draws every chart, and logs nothing to the console.

Without chromium the tests skip, saying why, unless RFSM_REQUIRE_BROWSER=1 (CI installs
chromium and sets it), when they fail. RFSM_REPORT_SCREENSHOT=PATH keeps the screenshot.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs
import pytest

import caseload
from reintegration_fsm import InMemoryStore, SchoolCalendar
from reintegration_fsm.demo import run as run_demo
from reintegration_fsm.reports import SchoolRow, academic_year, figures
from reintegration_fsm.reports.html import render_html

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
A4_WIDTH = 794
"""An A4 page's width in CSS pixels (210 mm at 96 dpi)."""

MEASURE = """
<script>
  // Test harness only (the report itself has no script): measure what the browser laid out.
  const charts = [...document.querySelectorAll("figure svg")].map((svg) => {
    const box = svg.getBoundingClientRect();
    const drawn = svg.querySelectorAll("path, rect, text, use").length;
    return {id: svg.getAttribute("aria-labelledby"), width: box.width, height: box.height, drawn};
  });
  document.documentElement.setAttribute("data-measured", JSON.stringify({
    charts,
    text: document.body.innerText.length,
    height: document.documentElement.scrollHeight,
    tables: document.querySelectorAll("table").length,
  }));
</script>
"""


def chromium() -> str:
    """The browser, or a skip (a failure when RFSM_REQUIRE_BROWSER=1) saying why not."""
    found = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if found is None:
        reason = (
            f"no chromium at {CHROMIUM} (apt-get install chromium): the browser test is skipped"
        )
        if os.environ.get("RFSM_REQUIRE_BROWSER") == "1":
            pytest.fail(reason.replace("is skipped", "is required (RFSM_REQUIRE_BROWSER=1)"))
        pytest.skip(reason)
    return found


def browse(page: Path, *args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless chromium on a local file, with its own profile folder."""
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,  # only so that a chromium that never ends fails the test, not hangs the run
    )


def console_lines(stderr: str) -> list[str]:
    """What the page logged: console messages and uncaught errors, from chromium's log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a realistic year: the demo's cases and an invented caseload."""
    pytest.importorskip("matplotlib", reason="the HTML report needs the `reports` extra")
    cases = [result.case for result in run_demo(InMemoryStore())] + caseload.build()
    found = figures(cases, academic_year("2025/26"), on=dt.date(2026, 7, 1))
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(render_html(found, made_on=dt.date(2026, 7, 2)), encoding="utf-8")
    return page


def measured(
    page: Path, tmp_path: Path, harness: str = MEASURE
) -> tuple[dict[str, Any], list[str]]:
    """The page with the harness (a script setting `data-measured` to JSON), as chromium laid
    it out, and its console lines."""
    probe = tmp_path / "probe.html"
    html = page.read_text(encoding="utf-8")
    probe.write_text(html.replace("</body>", harness + "</body>"), encoding="utf-8")
    result = browse(probe, "--dump-dom", f"--window-size={A4_WIDTH},1200", profile=tmp_path / "p")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'data-measured="([^"]*)"', result.stdout)
    assert found is not None, "the harness did not run: " + result.stderr[-2000:]
    value = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return value, console_lines(result.stderr)


def test_every_chart_renders_with_a_size_and_nothing_is_logged(
    report_page: Path, tmp_path: Path
) -> None:
    """Eight charts, each laid out wider and taller than nothing with shapes inside; text and
    tables on the page; not one console message or uncaught error."""
    value, console = measured(report_page, tmp_path)
    charts = value["charts"]
    assert isinstance(charts, list)
    assert len(charts) == 8
    for chart in charts:
        assert chart["width"] > 300, chart
        assert chart["height"] > 80, chart
        assert chart["drawn"] > 10, chart
    assert int(value["text"]) > 2000
    assert int(value["tables"]) == 10
    assert console == []


def test_the_screenshot_is_not_blank(report_page: Path, tmp_path: Path) -> None:
    """A screenshot of the whole page at A4 width has ink on it, in more than one colour."""
    image_module = pytest.importorskip("matplotlib.image")
    value, _ = measured(report_page, tmp_path)
    height = min(int(value["height"]), 16000)
    shot = Path(os.environ.get("RFSM_REPORT_SCREENSHOT") or tmp_path / "report.png")
    result = browse(
        report_page,
        f"--screenshot={shot}",
        f"--window-size={A4_WIDTH},{height}",
        profile=tmp_path / "s",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_lines(result.stderr) == []
    pixels = image_module.imread(shot)
    assert pixels.shape[0] == height
    assert pixels.shape[1] == A4_WIDTH
    colours = {tuple(row) for row in pixels[::7, ::7, :3].reshape(-1, 3).round(2).tolist()}
    assert len(colours) > 20  # white, ink, the bars' colours and their anti-aliasing
    white = (pixels[:, :, :3] > 0.98).all(axis=2).mean()
    assert 0.5 < white < 0.995  # mostly paper, but not empty


def test_the_console_check_would_catch_an_error(tmp_path: Path) -> None:
    """The check reads chromium's log: a page that throws is caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>throw new Error('boom')</script></body></html>",
        encoding="utf-8",
    )
    result = browse(page, "--dump-dom", profile=tmp_path / "b")
    assert any("Uncaught Error: boom" in line for line in console_lines(result.stderr))


LONG_NAME = (
    "The Very Long Name Of A School That Goes On And On Federation Of Learning Trusts And "
    "Academies Incorporating The Old Grammar School And The New Technical College Of Science"
)

ROLE_LINES = """
<script>
  // Test harness only: on how many lines the browser laid out each cell of the role column.
  const column = [...document.querySelectorAll("#schools thead th")]
    .findIndex((th) => th.textContent.trim() === "Role");
  const lines = [...document.querySelectorAll("#schools tbody tr")].map((tr) => {
    const cell = tr.children[column];
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
    return {role: cell.textContent, lines: tops.size};
  });
  document.documentElement.setAttribute("data-measured", JSON.stringify({column, lines}));
</script>
"""


def test_a_school_role_is_never_broken_however_long_the_school_name(
    tmp_path: Path,
) -> None:
    """Beside a 170-character school name, the "By school" table broke its Role cells inside
    words, "host scho|ol" and "AP settin|g" (found by a review): each role keeps one line, and
    the school's name wraps instead."""
    pytest.importorskip("matplotlib", reason="the HTML report needs the `reports` extra")
    cases = [result.case for result in run_demo(InMemoryStore())]
    found = figures(cases, academic_year("2025/26"), on=dt.date(2026, 7, 1))
    long_row = SchoolRow(LONG_NAME, "AP setting and host school", 1, 1, 0, 1, 0, 0, 0)
    found = attrs.evolve(found, schools=(*found.schools, long_row))
    page = tmp_path / "long.html"
    page.write_text(render_html(found, made_on=dt.date(2026, 7, 2)), encoding="utf-8")
    value, console = measured(page, tmp_path, ROLE_LINES)
    assert value["column"] == 1
    roles = value["lines"]
    assert {row["role"] for row in roles} >= {"AP setting", "host school"}
    assert [row for row in roles if row["lines"] != 1] == []
    assert console == []


BROKEN_NAMES = """
<script>
  // Test harness only: the school names the browser broke across lines inside a word.
  const broken = [];
  for (const th of document.querySelectorAll("#schools tbody th")) {
    const text = th.firstChild;
    let top = null;
    for (let at = 0; at < text.length; at++) {
      const range = document.createRange();
      range.setStart(text, at);
      range.setEnd(text, at + 1);
      const rect = range.getClientRects()[0];
      const now = rect ? Math.round(rect.top) : top;
      const inside = /\\S/.test(text.data[at - 1]) && /\\S/.test(text.data[at]);
      if (top !== null && now !== top && inside) {
        broken.push(text.data);
        break;
      }
      top = now;
    }
  }
  document.documentElement.setAttribute("data-measured", JSON.stringify({broken}));
</script>
"""


def test_school_names_wrap_between_words_beside_a_school_of_both_roles(tmp_path: Path) -> None:
    """Once roles kept one line, a school that was one case's AP setting and another's host
    ("AP setting and host school") squeezed the names to "Hollyb|rook Acade|my" (found by a
    review of that fix): a name wraps between its words."""
    pytest.importorskip("matplotlib", reason="the HTML report needs the `reports` extra")
    cases = [result.case for result in run_demo(InMemoryStore())]
    found = figures(cases, academic_year("2025/26"), on=dt.date(2026, 7, 1))
    both = SchoolRow("Hollybrook Academy", "AP setting and host school", 2, 1, 0, 1, 0, 0, 0)
    rows = [row for row in found.schools if row.school != both.school]
    found = attrs.evolve(found, schools=(*rows, both))
    page = tmp_path / "both.html"
    page.write_text(render_html(found, made_on=dt.date(2026, 7, 2)), encoding="utf-8")
    value, console = measured(page, tmp_path, BROKEN_NAMES)
    assert value["broken"] == []
    assert console == []


OFFERS_OVERFLOW = """
<script>
  // Test harness only: how far the offers table reaches past the page's text column.
  const body = document.body.getBoundingClientRect();
  const table = document.querySelector("#offers_made table").getBoundingClientRect();
  document.documentElement.setAttribute("data-measured", JSON.stringify(
    {body: body.right, table: table.right, page: document.documentElement.clientWidth}));
</script>
"""


@pytest.mark.parametrize("length", [12, 100])
def test_a_long_case_id_wraps_and_keeps_the_offers_table_on_an_a4_page(
    tmp_path: Path, length: int
) -> None:
    """A case id may hold 100 characters; kept on one line (`nowrap`) it pushed the offers
    table's dates, school days and 'within' past the right edge of an A4 page (found by a
    review). It now wraps; a short one, as before, fits."""
    calendar = SchoolCalendar.sample()
    case_id = ("LA-2025-0001-WORCS-REINTEGRATION-" * 4)[:length]
    spec = caseload.Spec(
        case_id,
        "Ann Zed",
        dt.date(2012, 3, 4),
        caseload.AP_SETTINGS[0],
        caseload.HOSTS[0],
        dt.date(2025, 9, 8),
        12,
        "success",
    )
    found = figures(
        [caseload._case(spec, calendar)], academic_year("2025/26"), on=dt.date(2026, 8, 31)
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(found, made_on=dt.date(2026, 9, 1)), encoding="utf-8")
    value, _ = measured(page, tmp_path, OFFERS_OVERFLOW)
    assert value["table"] <= value["body"] + 1, value
