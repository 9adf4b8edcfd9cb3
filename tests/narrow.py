"""A page as a phone 320 CSS pixels wide lays it out, measured in headless chromium (reviews DU
and FX): the page is shown in a frame that wide, since chromium lays a window out at 500 pixels
at least, and a script in the page reports what it measured."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

CUT_WORDS = """
function cutWords(cells) {
  const cut = [];
  for (const cell of cells) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        if (new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size > 1) {
          cut.push(word[0]);
        }
      }
    }
  }
  return cut;
}
"""
"""A script's function: the words of `cells` laid out across two lines or more."""


def measured_at_320(page: str, measure: str, tmp_path: Path) -> dict[str, Any]:
    """What `measure` (a script's expression, which may call `cutWords(cells)`) gives of `page`
    laid out 320 CSS pixels wide, with `page` (the page's width laid out) and `window` (the
    frame's) beside it."""
    import test_report_browser as browser

    browser.chromium()
    harness = (
        f"<script>{CUT_WORDS}\n"
        f'window.parent.document.documentElement.setAttribute("data-measured", '
        f"JSON.stringify(Object.assign({{}}, {measure}, {{"
        "page: document.documentElement.scrollWidth, "
        "window: document.documentElement.clientWidth})));</script>"
    )
    shown = tmp_path / "phone.html"
    shown.write_text(
        '<!DOCTYPE html><html><body style="margin: 0"><iframe title="response" '
        'style="width: 320px; height: 900px; border: 0" srcdoc="'
        + html.escape(page.replace("</body>", harness + "</body>"), quote=True)
        + '"></iframe></body></html>',
        encoding="utf-8",
    )
    result = browser.browse(shown, "--dump-dom", "--window-size=600,900", profile=tmp_path / "p")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'data-measured="([^"]*)"', result.stdout)
    assert found is not None, result.stderr[-2000:]
    measured: dict[str, Any] = json.loads(html.unescape(found[1]))
    return measured
