"""The report's charts: matplotlib's SVG output, inline and accessible.

Each chart is drawn on its own `matplotlib.figure.Figure` (no pyplot state), written by the
SVG backend with text kept as text, and given `role="img"` and a `<title>` naming it ("Chart:
Cases by stage"); what it shows in words is its `description`, which the page prints once
beneath it (review LI, LI3: given as the image's name too, a screen reader read it twice). Its
ids are prefixed with the chart's key, so that several charts live on one page without
clashing.

Needs matplotlib (the `reports` extra); `require_matplotlib` says how to install it.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import textwrap
from collections.abc import Sequence
from html import escape
from typing import Any

import attrs

from reintegration_fsm.reports.figures import AFTER_DUE_DAY
from reintegration_fsm.reports.model import Count, Figures

INSTALL = "pip install 'reintegration-fsm[reports]'"

# Colours that stay apart for the common colour-vision deficiencies (Okabe and Ito). Green and
# vermilion print as nearly one grey, so every bar is also named and counted (review AX, AX8).
# Orange and grey are 2.25:1 and 2.85:1 against white, below the 3:1 a graphic's parts need
# (WCAG 1.4.11), so every bar is outlined in ink (review LI, LI3).
BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILION = "#D55E00"
GREEN = "#009E73"
GREY = "#999999"
INK = "#222222"
EDGE = {"edgecolor": INK, "linewidth": 0.6}
"""Every bar's outline: its edge stands out from the white whatever its fill."""


def require_matplotlib() -> Any:
    """matplotlib, set to draw without a display.

    Raises:
        ImportError: matplotlib is not installed; the message says how to install it.
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"the HTML report draws its charts with matplotlib: {INSTALL}") from None
    matplotlib.use("Agg")
    return matplotlib


@attrs.frozen
class Chart:
    """One chart: its SVG markup and the sentence that says what it shows."""

    key: str
    title: str
    description: str
    svg: str


def _describe(title: str, counts: Sequence[Count], unit: str) -> str:
    parts = [f"{c.label}: {c.count}" for c in counts]
    return f"{title}, in {unit}. " + ("; ".join(parts) if parts else "None.") + "."


def _figure(height: float) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.3, height), layout="constrained")
    return figure


def _bars(
    title: str,
    counts: Sequence[Count],
    colours: Sequence[str] | str = BLUE,
    *,
    horizontal: bool = True,
    xlabel: str = "",
    limit: float | None = None,
    limit_label: str = "",
) -> Any:
    labels = [c.label for c in counts]
    values = [c.count for c in counts]
    if horizontal:
        figure = _figure(0.45 + 0.3 * max(len(counts), 2))
        axes = figure.add_subplot()
        positions = list(range(len(counts)))[::-1]
        bars = axes.barh(positions, values, color=colours, height=0.6, **EDGE)
        axes.set_yticks(positions, labels)
        axes.set_xlabel(xlabel or "number")
        axes.bar_label(bars, padding=3, color=INK, fontsize=8)
        axes.margins(x=0.12)
        if not any(values):  # else matplotlib centres an empty axis on 0, from -0.06 to 0.06
            axes.set_xlim(0, 1)
        axes.xaxis.get_major_locator().set_params(integer=True)
    else:
        figure = _figure(2.6)
        axes = figure.add_subplot()
        positions = list(range(len(counts)))
        bars = axes.bar(positions, values, color=colours, width=0.7, **EDGE)
        axes.set_xticks(positions, [textwrap.fill(label, 10) for label in labels])
        _uncrowd(figure, axes)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("offers")
        counted = axes.bar_label(bars, padding=2, color=INK, fontsize=8)
        axes.margins(y=0.15)
        if not any(values):
            axes.set_ylim(0, 1)
        axes.yaxis.get_major_locator().set_params(integer=True)
        _thin(figure, counted, values)
        if limit is not None:
            axes.axvline(limit, color=INK, linestyle="--", linewidth=1)
            # Above the plot, where no bar's label can run into it.
            axes.annotate(
                limit_label,
                (limit, 1),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=INK,
                annotation_clip=False,
            )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=8, colors=INK)
    return figure


def _overlap(figure: Any, axes: Any) -> bool:
    """Whether any two shown x tick labels side by side touch (a point of space between)."""
    figure.draw_without_rendering()
    boxes = [label.get_window_extent() for label in axes.get_xticklabels() if label.get_text()]
    return any(left.x1 + 1 > right.x0 for left, right in itertools.pairwise(boxes))


def _uncrowd(figure: Any, axes: Any) -> None:
    """Keep the x tick labels apart: upright when side by side they would touch (a long limit
    gives many bars of five), and then, if upright they still would, only every few bars
    labelled (the caption and the table give each bar's count)."""
    if not _overlap(figure, axes):
        return
    axes.tick_params(axis="x", labelrotation=90)
    if not _overlap(figure, axes):
        return
    ticks = axes.get_xticklabels()
    labels = [label.get_text() for label in ticks]
    boxes = [label.get_window_extent() for label in ticks]
    spacing = (boxes[-1].x0 - boxes[0].x0) / max(len(boxes) - 1, 1)
    step = max(2, math.ceil((max(box.width for box in boxes) + 2) / max(spacing, 0.1)))
    while True:
        last = len(labels) - 1  # the bar past every limit keeps its label
        shown = [
            t if (i % step == 0 and last - i >= step) or i == last else ""
            for i, t in enumerate(labels)
        ]
        axes.set_xticks(axes.get_xticks(), shown)
        if step >= len(labels) or not _overlap(figure, axes):
            return
        step += 1


def _touch(one: Any, other: Any) -> bool:
    """Whether two drawn labels touch (a point of space between them)."""
    return bool(
        one.x0 < other.x1 + 1
        and other.x0 < one.x1 + 1
        and one.y0 < other.y1 + 1
        and other.y0 < one.y1 + 1
    )


NEAR = 8
"""Counts are a few characters wide: only the few bars beside one can reach it."""


def _thin(figure: Any, texts: Sequence[Any], values: Sequence[int]) -> None:
    """Keep the bars' counts apart (hundreds of narrow bars, their counts side by side at one
    height): once any two would touch, the empty bars' "0"s are left off, and then a count that
    would touch one shown to its left, so that a bar holding offers never loses its count while
    an empty one keeps its "0"; the caption and the table give every count."""
    figure.draw_without_rendering()
    boxes = [text.get_window_extent() for text in texts]
    if not any(
        _touch(box, other) for i, box in enumerate(boxes) for other in boxes[i + 1 : i + 1 + NEAR]
    ):
        return
    shown: list[Any] = []
    for text, box, value in zip(texts, boxes, values, strict=True):
        if value == 0 or any(_touch(box, left) for left in shown[-NEAR:]):
            text.set_visible(False)
        else:
            shown.append(box)


_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'\bid="([^"]+)"|url\(#([^)]+)\)|href="#([^"]+)"')
"""An id given, or one referred to (`url(#id)`, `href="#id"`): what `_svg` prefixes."""


def _svg(figure: Any, key: str, title: str, description: str) -> str:
    """The figure as inline SVG: no XML prolog, ids prefixed, and named by its `<title>`
    ("Chart: `title`"); `description` is the page's to print, once, beside it."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # The metadata names matplotlib's web site: a page that fetches nothing quotes no URL.
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    # One pass over the text, not one for each id (review QX, QX1: a chart of hundreds of
    # bars has thousands of ids, and the passes took seconds); a reference to no id of the
    # chart is left as it is.
    names = set(_ID.findall(text))

    def prefixed(found: re.Match[str]) -> str:
        given, url, link = found.groups()
        if given is not None:
            return f'id="{key}-{given}"' if given in names else found[0]
        if url is not None:
            return f"url(#{key}-{url})" if url in names else found[0]
        return f'href="#{key}-{link}"' if link in names else found[0]

    text = _REFERENCE.sub(prefixed, text)
    opening = text.index(">", text.index("<svg")) + 1
    head = text[: opening - 1]
    head += f' role="img" aria-labelledby="{key}-title">'
    return head + f'<title id="{key}-title">Chart: {escape(title)}</title>' + text[opening:]


def _chart(key: str, title: str, description: str, figure: Any) -> Chart:
    return Chart(key, title, description, _svg(figure, key, title, description))


def charts(found: Figures) -> list[Chart]:
    """The report's charts, in the order the page shows them, keyed as their tables are.

    Raises:
        ImportError: matplotlib is not installed.
    """
    matplotlib = require_matplotlib()
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "reintegration-fsm",
            "font.family": "sans-serif",
            "font.size": 9,
        }
    ):
        return _charts(found)


def _charts(found: Figures) -> list[Chart]:
    deadline = found.offer_deadline
    # With no case every stage is drawn at 0, as the other charts draw each category: one
    # bar alone would read as though "proposed" were the only stage.
    stages = [c for c in found.by_stage if c.count] or list(found.by_stage)
    made: list[Chart] = [
        _chart(
            "cases_by_stage",
            "Cases by stage",
            _describe("Cases by stage", stages, "cases"),
            _bars("Cases by stage", stages, xlabel="cases"),
        ),
        _chart(
            "offers",
            f"Offers of a place within {deadline}",
            _describe(f"Offers of a place within {deadline}", found.offers, "referrals"),
            _bars(
                f"Offers of a place within {deadline}",
                found.offers,
                [GREEN, VERMILION, ORANGE],
                xlabel="referrals",
            ),
        ),
    ]
    if found.offers_made and found.offers_days_unknown < len(found.offers_made):
        made.append(_days_to_offer(found))
    made += [
        _chart(
            "reviews",
            "Reviews held on time",
            _describe("Reviews held on time", found.reviews, "reviews"),
            _bars(
                "Reviews held on time", found.reviews, [GREEN, ORANGE, VERMILION], xlabel="reviews"
            ),
        ),
        _chart(
            "emergency_reviews",
            "Emergency reviews",
            _describe("Emergency reviews", found.emergency_reviews, "reviews"),
            _bars(
                "Emergency reviews",
                found.emergency_reviews,
                [GREY, GREEN, VERMILION],
                xlabel="emergency reviews",
            ),
        ),
        _chart(
            "outcomes",
            "Outcomes",
            _describe("Outcomes", found.outcomes, "cases"),
            _bars("Outcomes", found.outcomes, [GREEN, VERMILION, GREY], xlabel="cases"),
        ),
        _chart(
            "departures",
            "Departures from good practice, by rule",
            _describe("Departures from good practice, by rule", _by_rule(found), "departures"),
            _bars(
                "Departures from good practice, by rule",
                _by_rule(found),
                ORANGE,
                xlabel="departures recorded",
            ),
        ),
        _chart(
            "overdue_obligations",
            "Obligations overdue, by who owes them",
            _describe(
                "Obligations overdue, by who owes them", found.overdue_obligations, "obligations"
            ),
            _bars(
                "Obligations overdue, by who owes them",
                found.overdue_obligations,
                VERMILION,
                xlabel="obligations overdue",
            ),
        ),
    ]
    return made


def _days_to_offer(found: Figures) -> Chart:
    """The school days each offer took, in bars; with one protocol's limit, the bars within it
    green and left of its line, those past it vermilion and right of it."""
    title = "School days from referral to offer"
    buckets = list(found.days_to_offer)
    limit = found.offer_limit
    colours: list[str] | str = BLUE  # several limits: no one line divides on time from late
    line: float | None = None
    if limit is not None:
        late = [c.key == AFTER_DUE_DAY or _first_day(c) > limit for c in buckets]
        colours = [VERMILION if past else GREEN for past in late]
        line = (late.index(True) if True in late else len(buckets)) - 0.5
    return _chart(
        "days_to_offer",
        title,
        f"{_describe(title, buckets, 'offers')} {found.offer_deadline_note}".rstrip()
        + (
            " After its due day: made late, after the due day but before the next school day."
            if any(c.key == AFTER_DUE_DAY for c in buckets)
            else ""
        ),
        _bars(
            title,
            buckets,
            colours,
            horizontal=False,
            xlabel="school days after the referral",
            limit=line,
            limit_label=f"deadline: {limit} school days",
        ),
    )


def _by_rule(found: Figures) -> list[Count]:
    return [Count(c.key, c.key, c.count, c.total) for c in found.departures]


def _first_day(count: Count) -> float:
    """The first school day of a bar of the distribution ("11-15" -> 11; "over-30" -> 31); past
    every limit for the offers made late after their due day."""
    if count.key == AFTER_DUE_DAY:
        return float("inf")
    low, _, high = count.key.partition("-")
    return float(high) + 1 if low == "over" else float(low)
