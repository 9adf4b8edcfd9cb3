"""The report as one self-contained, printable HTML page: inline CSS, inline SVG charts, and
the data table beneath each chart. Nothing is fetched: no script, font or image from elsewhere.

Needs matplotlib for the charts (the `reports` extra).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from reintegration_fsm import templating
from reintegration_fsm.reports.charts import Chart, charts
from reintegration_fsm.reports.model import NOT_AVAILABLE, Figures, percent_text
from reintegration_fsm.reports.tables import Table, Value, tables
from reintegration_fsm.shown import neutralise
from reintegration_fsm.version import __version__

LONG_TABLES = frozenset({"offers_made", "schools"})
"""Tables that may run over a page break rather than leave a page half empty."""


@attrs.frozen
class Section:
    """One figure on the page: its chart (if drawn) and its table."""

    key: str
    title: str
    table: Table
    chart: Chart | None
    caption: str
    numbers: frozenset[str]
    nowrap: frozenset[str]
    long: bool


def _cell(value: Value) -> str:
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return percent_text(value)
    return str(value)


def _heading(column: str) -> str:
    return column.replace("_", " ").capitalize()


_ENVIRONMENT = templating.environment(
    "reintegration_fsm.reports", {"cell": _cell, "heading": _heading}
)


def _numbers(table: Table) -> frozenset[str]:
    return frozenset(
        column
        for column in table.columns[1:]
        if all(isinstance(row[column], (int, float)) or row[column] is None for row in table.rows)
    )


NOWRAP = frozenset({"role"})
"""Columns of a school's role ("host school"): a long school name beside one squeezed it until
it broke inside a word ("host scho|ol"); the name wraps instead. A case id wraps: it may hold
100 characters, and kept on one line it pushed the offers table off an A4 page; as a row's
name it keeps room for a short id (`tbody th`'s `min-width`)."""


def _nowrap(table: Table) -> frozenset[str]:
    """Columns of dates, ids, roles and numbers: a line break inside one would only confuse."""
    return frozenset(
        column
        for column in table.columns
        if column in NOWRAP
        or all(
            isinstance(row[column], (int, float, dt.date)) or row[column] is None
            for row in table.rows
        )
    )


def render_html(found: Figures, *, made_on: dt.date | None = None, title: str = "") -> str:
    """The report page for `found`; control characters and bidirectional overrides in a
    school's name shown as escapes (`\\u202e`).

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
    """
    drawn = {chart.key: chart for chart in charts(found)}
    every = tables(found)
    sections = [
        Section(
            table.key,
            table.title,
            table,
            drawn.get(table.key),
            f"{table.title}: the figures"
            + (" of the chart above" if table.key in drawn else "")
            + ".",
            _numbers(table),
            _nowrap(table),
            table.key in LONG_TABLES,
        )
        for table in every[1:]
    ]
    within = next(c for c in found.offers if c.key == "within")
    on_time = next(c for c in found.reviews if c.key == "on_time")
    limit = found.offer_limit
    headline: list[dict[str, Any]] = [
        {"value": found.cases, "label": "cases open during the period"},
        {
            "value": percent_text(within.percent),
            "label": f"offers within {limit} school days" if limit else "offers within deadline",
        },
        {"value": percent_text(on_time.percent), "label": "reviews held on time"},
        {"value": percent_text(found.success_rate), "label": "placements that ended successfully"},
    ]
    where = found.school or "All schools"
    scope = f"{found.period.label}. {where}; cases as they stood on {found.on.isoformat()}."
    page = _ENVIRONMENT.get_template("report.html").render(
        title=title or "Reintegration: figures for the Fair Access panel",
        scope=scope,
        headline=headline,
        sections=sections,
        figures=found,
        version=__version__,
        made_on=(made_on or dt.date.today()).isoformat(),
        not_available=NOT_AVAILABLE,
    )
    return neutralise(page)
