"""Reviewer H's findings: what an LA officer gets out of the back office (reports, caseload)."""

from __future__ import annotations

import re
from importlib import resources

import pytest


@pytest.mark.xfail(strict=True, reason="H2: the stage chart is drawn taller than the page lets it")
def test_h2_no_chart_is_shrunk_by_the_pages_max_height() -> None:
    pytest.importorskip("matplotlib")
    import datetime as dt

    from reintegration_fsm.reports import academic_year, figures
    from reintegration_fsm.reports.charts import charts

    template = (
        resources.files("reintegration_fsm.reports") / "templates" / "report.html"
    ).read_text(encoding="utf-8")
    found_limit = re.search(r"figure svg \{[^}]*max-height: (\d+(?:\.\d+)?)mm", template)
    assert found_limit is not None
    limit_mm = float(found_limit.group(1))
    # A period with no case draws every stage at 0: eleven bars, as a caseload in every stage.
    drawn = charts(figures([], academic_year("2025/26"), on=dt.date(2026, 8, 31)))
    for chart in drawn:
        height = re.search(r'<svg[^>]* height="([\d.]+)pt"', chart.svg)
        assert height is not None
        # Every chart is printed at one scale: none scaled down (its text smaller) to fit.
        assert float(height.group(1)) * 25.4 / 72 <= limit_mm, chart.key
