"""The subject access response as a browser shows it: rendered by headless Chromium into a
screenshot that holds a page, not an error or a blank.

Skipped where no Chromium is installed, unless RFSM_REQUIRE_BROWSER=1 (as in CI), where a
missing browser fails the test.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import scenario
from reintegration_fsm import Pupil, Reintegration, SqlAlchemyStore
from reintegration_fsm.cli import cli

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
OFFICER = (
    "--actor-id",
    "la-9",
    "--actor-name",
    "Jo Whitfield",
    "--role",
    "la_admissions",
    "--organisation",
    "Exampleshire County Council",
)


def browser() -> str:
    """The headless browser to use; skips (or fails, with RFSM_REQUIRE_BROWSER=1) without one."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("RFSM_REQUIRE_BROWSER") == "1":
        pytest.fail(
            "RFSM_REQUIRE_BROWSER=1 but no Chromium is installed (apt-get install chromium)"
        )
    pytest.skip("no Chromium installed: set RFSM_REQUIRE_BROWSER=1 to make this a failure")


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """A PNG's width, height and raw (filtered) scanlines, read with the standard library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, width, height, chunks = 8, 0, 0, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


def test_the_html_response_renders_in_a_headless_browser(tmp_path: Path) -> None:
    executable = browser()
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    runner = CliRunner()
    env: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    assert runner.invoke(cli, ["--db", url, "demo"], env=env).exit_code == 0
    redacted = runner.invoke(
        cli,
        [
            "--db",
            url,
            "redact",
            "DEMO-0001",
            "2",
            "form.parent_name",
            "--reason",
            "Request",
            "--on",
            dt.date.today().isoformat(),
            *OFFICER,
        ],
        env=env,
    )
    assert redacted.exit_code == 0, redacted.output
    page = tmp_path / "response.html"
    exported = runner.invoke(
        cli, ["--db", url, "export", "DEMO-0001", "--format", "html", "-o", str(page)], env=env
    )
    assert exported.exit_code == 0, exported.output
    shot = tmp_path / "response.png"
    subprocess.run(
        [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
    )
    width, height, raw = png_pixels(shot)
    assert (width, height) == (1200, 2000)
    # A page of text and tables, not a blank or an error page: many distinct byte values, and
    # enough dark pixels (text) among the light ones.
    assert len(set(raw)) > 64
    dark = sum(1 for byte in raw[::97] if byte < 80)
    assert dark > len(raw[::97]) // 200


SEQ_LINES = """
<script>
  // Test harness only: on how many lines the browser laid out each step's number and date.
  const cells = [];
  for (const table of document.querySelectorAll("table")) {
    const head = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (head[0] !== "#") continue;
    for (const tr of table.querySelectorAll("tbody tr")) {
      for (const cell of [...tr.children].slice(0, 2)) {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        cells.push({text: cell.textContent.trim(), lines: tops.size});
      }
    }
  }
  document.documentElement.setAttribute("data-measured", JSON.stringify({cells}));
</script>
"""


def test_a_steps_number_and_date_keep_one_line_on_an_a4_page(tmp_path: Path) -> None:
    """The steps table of a case of more than nine steps broke each number from 10 on across two
    lines ("1" above "0") beside a long "What" cell, as printed on A4: the number and the date
    of a step each keep one line."""
    from test_report_browser import measured

    browser()
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    runner = CliRunner()
    env: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    assert runner.invoke(cli, ["--db", url, "demo"], env=env).exit_code == 0
    page = tmp_path / "response.html"
    exported = runner.invoke(
        cli, ["--db", url, "export", "DEMO-0002", "--format", "html", "-o", str(page)], env=env
    )
    assert exported.exit_code == 0, exported.output
    value, console = measured(page, tmp_path, SEQ_LINES)
    cells = value["cells"]
    assert "10" in {cell["text"] for cell in cells}
    assert [cell for cell in cells if cell["lines"] != 1] == []
    assert console == []


ADDRESS_LINES = """
<script>
  // Test harness only: on how many lines the browser laid out each cell holding the address.
  const cells = [];
  for (const cell of document.querySelectorAll("td")) {
    if (!cell.textContent.includes("1 Example Row")) continue;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
    cells.push(tops.size);
  }
  document.documentElement.setAttribute("data-measured", JSON.stringify({cells}));
</script>
"""


def test_a_multi_line_address_keeps_its_lines_in_the_printed_forms_and_the_response(
    tmp_path: Path,
) -> None:
    """An address typed over three lines ran together on one line in `render --html` and in the
    subject access HTML (a table cell collapses newlines; found by a review): each cell holding
    it is laid out on three lines."""
    from test_report_browser import measured

    browser()
    address = "1 Example Row\nExton\nEX1 1AA"
    pupil = Pupil(scenario.PUPIL.name, scenario.PUPIL.date_of_birth, key_stage=3, address=address)
    case = Reintegration.open(
        "LINES-1",
        pupil,
        scenario.AP_SETTING,
        scenario.AUTHORITY,
        by=scenario.AP_HEAD,
        on=scenario.OPENED,
    )
    form = scenario.consent(child_address=address)
    case.record_consent(form, by=scenario.AP_HEAD, on=scenario.CONSENTED)
    url = f"sqlite:///{tmp_path / 'lines.sqlite'}"
    store = SqlAlchemyStore(url)
    store.create_schema()
    store.save(case)
    env: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    for command in (["render", "LINES-1", "--html"], ["export", "LINES-1", "--format", "html"]):
        page = tmp_path / f"{command[0]}.html"
        made = CliRunner().invoke(cli, ["--db", url, *command, "-o", str(page)], env=env)
        assert made.exit_code == 0, made.output
        value, console = measured(page, tmp_path, ADDRESS_LINES)
        expected = {"render": [3], "export": [3, 3]}[command[0]]
        assert value["cells"] == expected, command
        assert console == []


WORD_LINES = """
<script>
  // Test harness only: each word of the steps table the browser broke across lines.
  const broken = [];
  for (const table of document.querySelectorAll("table")) {
    const head = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (head[0] !== "#") continue;
    const text = document.createTreeWalker(table.tBodies[0], NodeFilter.SHOW_TEXT);
    const words = [];
    for (let node = text.nextNode(); node; node = text.nextNode()) {
      for (const word of node.data.matchAll(/[^\\s()]+/g)) words.push([node, word]);
    }
    for (const [node, word] of words) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      if (tops.size > 1) broken.push(word[0]);
    }
  }
  document.documentElement.setAttribute("data-measured", JSON.stringify({broken}));
</script>
"""


def test_no_word_or_day_of_the_steps_table_breaks_across_lines_on_an_a4_page(
    tmp_path: Path,
) -> None:
    """The steps table broke "SHARE_INFORMATION_WITH_HOST" into "..._HOS" and "T" and a day
    into "2026-02-" and "28" where the whole word fitted on the next line (found by a review):
    at A4 width each word and day keeps one line."""
    from test_report_browser import measured

    browser()
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    runner = CliRunner()
    env: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    assert runner.invoke(cli, ["--db", url, "demo"], env=env).exit_code == 0
    page = tmp_path / "response.html"
    exported = runner.invoke(
        cli, ["--db", url, "export", "DEMO-0001", "--format", "html", "-o", str(page)], env=env
    )
    assert exported.exit_code == 0, exported.output
    value, console = measured(page, tmp_path, WORD_LINES)
    assert value["broken"] == []
    assert console == []
