"""The docs draw their Mermaid diagram: built with mkdocs (offline, the Mermaid bundled in
docs/js), the protocol page opened in headless chromium shows the diagram as an SVG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from test_report_browser import FLAGS, chromium

ROOT = Path(__file__).resolve().parent.parent


def test_the_protocol_page_draws_the_stage_diagram(tmp_path: Path) -> None:
    browser = chromium()
    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0 and "No module named mkdocs" in built.stderr:
        pytest.skip("mkdocs is not installed (the `test` extra)")
    assert built.returncode == 0, built.stderr
    page = site / "protocol" / "index.html"
    assert '<div class="mermaid">stateDiagram-v2' in page.read_text(encoding="utf-8")
    shown = subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert '<div class="mermaid" data-processed="true"><svg' in shown.stdout
    assert "Syntax error in text" not in shown.stdout  # Mermaid's own error picture
    assert "in_placement" in shown.stdout
