"""The report's figures, computed from cases, and the formats that show them: JSON, CSV, xlsx
and a self-contained HTML page with matplotlib's SVG charts; `report` on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import caseload
import scenario
import stages
from reintegration_fsm import (
    WORCESTERSHIRE,
    FormInvalid,
    InMemoryStore,
    Protocol,
    ReferralRoute,
    Reintegration,
    Role,
    SchoolCalendar,
    SqlAlchemyStore,
    Stage,
)
from reintegration_fsm.cli import cli, options, printing
from reintegration_fsm.demo import run as run_demo
from reintegration_fsm.reports import Period, academic_year, current_academic_year, figures
from reintegration_fsm.reports.charts import charts
from reintegration_fsm.reports.figures import as_it_stood
from reintegration_fsm.reports.html import render_html
from reintegration_fsm.reports.model import Count, Figures
from reintegration_fsm.reports.tables import LONG_COLUMNS, long_rows, tables
from reintegration_fsm.stores import upgrade
from store_contract import reachable_engine, reset_database

YEAR = academic_year("2025/26")
ON = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def every_case() -> list[Reintegration]:
    store = InMemoryStore()
    return [result.case for result in run_demo(store)] + caseload.build()


def count(found: object, key: str) -> int:
    return next(c.count for c in found if c.key == key)  # type: ignore[attr-defined]


# -- periods ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["2025/26", "2025-26", "2025/2026", " 2025 / 26 "])
def test_an_academic_year_runs_from_september_to_august(text: str) -> None:
    year = academic_year(text)
    assert (year.start, year.end, year.name) == (
        dt.date(2025, 9, 1),
        dt.date(2026, 8, 31),
        "2025/26",
    )


@pytest.mark.parametrize(("text", "named"), [("0001/02", "0001/02"), ("0099/0100", "0099/00")])
def test_an_early_year_is_named_with_four_digits(text: str, named: str) -> None:
    """`report --year 0001/02` headed its period "1/2 (1 September 1 to 31 August 2)" (found
    by a review)."""
    year = academic_year(text)
    assert year.name == named
    assert year.label.startswith(f"{named} (1 September {year.start.year:04} to 31 August ")


@pytest.mark.parametrize("text", ["2025/27", "2025", "26/27", "twenty"])
def test_not_an_academic_year(text: str) -> None:
    with pytest.raises(ValueError, match="academic year"):
        academic_year(text)


def test_the_century_turns() -> None:
    assert academic_year("2099/00").end == dt.date(2100, 8, 31)


def test_the_current_academic_year_turns_on_the_first_of_september() -> None:
    assert current_academic_year(dt.date(2026, 8, 31)).name == "2025/26"
    assert current_academic_year(dt.date(2026, 9, 1)).name == "2026/27"


def test_a_period_may_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(dt.date(2026, 1, 2), dt.date(2026, 1, 1))


# -- figures ---------------------------------------------------------------------------------
def test_figures_refuse_a_period_that_starts_after_their_day(
    every_case: list[Reintegration],
) -> None:
    """From Python, `figures()` of a year still to come counted today's open cases as open in
    it (the command line alone refused it). The period may start on the figures' day."""
    coming = academic_year("2030/31")
    with pytest.raises(FormInvalid, match=r"figures\.period: the period 2030/31 starts after"):
        figures(every_case, coming)
    day = dt.date(2026, 3, 2)
    with pytest.raises(FormInvalid, match=r"from 2026-03-03 to 2026-03-04 starts after the"):
        figures(every_case, Period(day + dt.timedelta(days=1), day + dt.timedelta(days=2)), on=day)
    assert figures(every_case, Period(day, day), on=day).cases > 0


def test_figures_refuse_a_day_still_to_come_whatever_the_period(
    every_case: list[Reintegration],
) -> None:
    """`figures(cases, academic_year("2030/31"), on=date(2031, 8, 31))`, the natural call for
    "the year's figures", counted today's open case as open in 2030/31 and judged deadlines
    missed on a day not yet come: the period was held against `on`, itself in the future (found
    by a review). A day after today is refused, as the command line never asks for one."""
    coming = academic_year("2030/31")
    with pytest.raises(FormInvalid, match=r"figures\.on: 2031-08-31 is after today \(") as error:
        figures(every_case, coming, on=coming.end)
    assert error.value.field == "on"
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(FormInvalid, match=r"figures\.on: .* still to come cannot be known"):
        figures(every_case, YEAR, on=tomorrow)
    today = dt.date.today()
    assert figures(every_case, Period(YEAR.start, today), on=today).on == today


@pytest.mark.parametrize("on", [dt.datetime(2026, 3, 2, 9, 30), "2026-03-02", 20260302])
def test_figures_refuse_a_day_that_is_not_a_date(
    every_case: list[Reintegration], on: object
) -> None:
    """A text or a datetime for `on` raised a bare TypeError (comparing it with the period's
    start) or was compared with a time of day; it is refused, naming the argument."""
    with pytest.raises(FormInvalid, match=r"^figures\.on: must be a date, not ") as error:
        figures(every_case, YEAR, on=on)  # type: ignore[arg-type]
    assert (error.value.form, error.value.field) == ("figures", "on")


def test_cases_by_stage_count_every_case_open_in_the_period(
    every_case: list[Reintegration],
) -> None:
    found = figures(every_case, YEAR, on=ON)
    assert found.cases == len(every_case) == 20
    assert sum(c.count for c in found.by_stage) == 20
    assert count(found.by_stage, "successful") == sum(
        c.stage.value == "successful" for c in every_case
    )
    assert all(c.total == 20 for c in found.by_stage)


def test_a_case_ended_before_the_period_or_opened_after_is_left_out(
    every_case: list[Reintegration],
) -> None:
    spring = Period(dt.date(2026, 4, 20), dt.date(2026, 7, 17))
    found = figures(every_case, spring, on=ON)
    ended_before = [c for c in every_case if c.stage.is_final and c.history[-1].on < spring.start]
    assert ended_before
    assert found.cases <= len(every_case) - len(ended_before)
    autumn = figures(every_case, Period(dt.date(2025, 9, 1), dt.date(2025, 9, 30)), on=ON)
    assert autumn.cases == 3  # LA-2025-001 to -003 were opened in September


def test_offers_within_and_breached_follow_the_deadlines(every_case: list[Reintegration]) -> None:
    """An offer is within when met by its due date; overdue when unmet and past due."""
    found = figures(every_case, YEAR, on=ON)
    offers = [
        d
        for c in every_case
        for d in c.deadlines
        if d.kind.value == "place_offer" and d.met_on is not None
    ]
    assert count(found.offers, "within") == sum(not d.breached for d in offers)
    assert count(found.offers, "breached") == sum(d.breached for d in offers)
    assert count(found.offers, "overdue") == 2  # LA-2026-015 and -016 await one, past due
    assert found.offers_awaited == 0
    assert found.offer_limit == 20
    assert len(found.offers_made) == len(offers)
    early = figures(every_case, YEAR, on=dt.date(2026, 5, 11))
    assert count(early.offers, "overdue") == 0
    assert early.offers_awaited == 2


def test_school_days_to_an_offer_are_counted_on_the_calendar(
    every_case: list[Reintegration], calendar: SchoolCalendar
) -> None:
    found = figures(every_case, YEAR, on=ON)
    demo_late = next(o for o in found.offers_made if o.case_id == "DEMO-0004")
    assert demo_late.school_days == calendar.school_days_between(
        dt.date(2026, 3, 2), dt.date(2026, 5, 5)
    )
    assert not demo_late.within
    assert sum(c.count for c in found.days_to_offer) == len(found.offers_made)
    for offer in found.offers_made:
        assert offer.school_days is not None
        # within the deadline exactly when within 20 school days of the referral
        assert offer.within == (offer.school_days <= offer.limit)
    assert found.school_days.startswith("counted on the calendar: SAMPLE DATA")


def test_without_a_calendar_school_days_are_unknown_and_said_so(
    every_case: list[Reintegration],
) -> None:
    """Replayed without a calendar, no school day is counted or guessed."""
    bare = [Reintegration.replay(case.history) for case in every_case]
    found = figures(bare, YEAR, on=ON)
    assert found.offers_days_unknown == len(found.offers_made) > 0
    assert all(o.school_days is None for o in found.offers_made)
    assert sum(c.count for c in found.days_to_offer) == 0
    assert found.school_days.startswith("unknown: no school calendar was given")
    given = figures(bare, YEAR, on=ON, calendar=SchoolCalendar.sample())
    assert given.offers_days_unknown == 0


def test_reviews_emergencies_outcomes_departures_and_overdue_work(
    every_case: list[Reintegration],
) -> None:
    found = figures(every_case, YEAR, on=ON)
    assert count(found.reviews, "late") == 2  # LA-2025-004 and LA-2026-009
    assert count(found.reviews, "on_time") > 0
    assert count(found.emergency_reviews, "called") == 4
    assert count(found.emergency_reviews, "ended") == 3
    assert count(found.emergency_reviews, "continued") == 1
    assert count(found.outcomes, "successful") == 7
    assert count(found.outcomes, "unsuccessful") == 3
    assert count(found.outcomes, "withdrawn") == 2
    assert found.success_rate == 70.0
    assert count(found.departures, "R5") == 2
    assert count(found.departures, "R9") == 2
    assert count(found.departures, "R2") == 1
    owed = {c.key: c.count for c in found.overdue_obligations}
    expected = {"ap": 0, "host": 0, "la": 0}
    for case in every_case:
        for obligation in case.obligations:
            if obligation.due is not None and obligation.due < ON:
                expected[obligation.owner.value] += 1
    assert owed == expected
    assert sum(owed.values()) > 0


def test_weightings_equal_the_ledger_of_successes(every_case: list[Reintegration]) -> None:
    store = InMemoryStore()
    for case in every_case:
        store.save(case)
    found = figures(every_case, YEAR, on=ON)
    assert dict(found.weightings) == store.weightings(YEAR.start, YEAR.end)
    rows = {row.school: row for row in found.schools}
    assert rows["Hollybrook Academy"].weighting == 12
    assert rows["Hollybrook Academy"].role == "host school"
    assert rows["Larkspur Learning Centre"].role == "AP setting"


def test_one_school(every_case: list[Reintegration]) -> None:
    """`school` keeps the cases where it is the AP setting or the host."""
    found = figures(every_case, YEAR, on=ON, school="Hollybrook Academy")
    assert found.cases == 4
    assert [row.school for row in found.schools] == ["Hollybrook Academy"]
    assert count(found.outcomes, "successful") == 4


def test_one_schools_weightings_are_its_own(every_case: list[Reintegration]) -> None:
    """A school's report gave in `weightings` the other schools of its cases too (the AP
    setting's points beside the host's; found by a review): it gives the school's alone, as its
    rows do, in whatever spelling it was asked for."""
    everyone = dict(figures(every_case, YEAR, on=ON).weightings)
    assert everyone["Larkspur Learning Centre"] < 0
    found = figures(every_case, YEAR, on=ON, school="hollybrook  academy")
    assert found.weightings == (("Hollybrook Academy", 12),)
    assert found.to_json()["weightings"] == {"Hollybrook Academy": 12}
    assert [row.weighting for row in found.schools] == [12]


def test_json_tables_and_long_rows_hold_the_same_numbers(every_case: list[Reintegration]) -> None:
    found = figures(every_case, YEAR, on=ON)
    document = found.to_json()
    assert json.loads(json.dumps(document)) == document
    by_key = {table.key: table for table in tables(found)}
    outcomes = {row["outcome"]: row["cases"] for row in by_key["outcomes"].rows}
    assert outcomes == {c["label"]: c["count"] for c in document["outcomes"]["counts"]}  # type: ignore[index]
    long = long_rows(found)
    assert {row["section"] for row in long} == set(by_key)
    assert {
        "section": "outcomes",
        "item": "successful",
        "measure": "cases",
        "value": 7,
        "key": "successful",
    } in long
    assert all(tuple(row) == LONG_COLUMNS for row in long)


def test_the_departures_table_states_the_practice_each_rule_asks_for(
    every_case: list[Reintegration],
) -> None:
    """Under the heading "Good practice", R2 read "the child's own agreement is not recorded"
    and R5 "the host is not among the schools the family asked to be considered": the
    shortfall, where R8 to R11 give the practice (found by a review). The JSON's label, the
    CSV and the workbook read the same words."""
    found = figures(every_case, YEAR, on=ON)
    departures = next(t for t in tables(found) if t.key == "departures")
    practice = {row["rule"]: str(row["good_practice"]) for row in departures.rows}
    assert practice["R2"] == "the child's own agreement is recorded."
    assert practice["R5"] == "the host is one of the schools the family asked to be considered."
    assert not any(" not " in text for text in practice.values()), practice


def _summary(found: Figures) -> dict[object, object]:
    return {row["key"]: row["value"] for row in long_rows(found) if row["section"] == "summary"}


def test_long_rows_carry_every_figure_of_the_json_but_its_ledger_and_overdue_deadlines(
    every_case: list[Reintegration],
) -> None:
    """The JSON's `awaited` and `days_unknown` were in no row of the CSV or the workbook, so a
    spreadsheet of a period with one referral waiting read as if no referral was made (found
    by a review); the summary carries them, and the offer deadline the page gives."""
    demo = [case for case in every_case if case.case_id.startswith("DEMO-")]
    found = figures(
        demo, Period(dt.date(2026, 3, 2), dt.date(2026, 3, 27)), on=dt.date(2026, 3, 27)
    )
    offers: Any = found.to_json()["offers"]
    assert offers["awaited"] == 1  # DEMO-0004, referred on 2026-03-02
    summary = _summary(found)
    assert summary["awaited"] == 1
    assert summary["days_unknown"] == offers["days_unknown"] == 0
    assert summary["limit_school_days"] == offers["limit_school_days"] == 20
    limits = [row for row in long_rows(found) if row["key"] == "limits_by_protocol"]
    assert [row["value"] for row in limits] == [
        limit["school_days"] for limit in offers["limits_by_protocol"]
    ]
    [limit] = offers["limits_by_protocol"]
    assert limits[0]["item"] == (
        f"school days for an offer, {limit['protocol']} ({limit['id']} {limit['version']})"
    )
    bare = figures([Reintegration.replay(case.history) for case in every_case], YEAR, on=ON)
    assert _summary(bare)["days_unknown"] == bare.offers_days_unknown > 0


COUNTS_IN_JSON = {
    "cases_by_stage": ("cases_by_stage",),
    "offers": ("offers", "counts"),
    "days_to_offer": ("offers", "days_to_offer"),
    "reviews": ("reviews",),
    "emergency_reviews": ("emergency_reviews",),
    "outcomes": ("outcomes", "counts"),
    "departures": ("departures_by_rule",),
    "overdue_obligations": ("overdue_obligations_by_owner",),
}
"""Each counted figure's section of the long table, and where the JSON holds its counts."""


def test_json_csv_and_workbook_share_their_field_names(every_case: list[Reintegration]) -> None:
    """The JSON said `offers_breached` where the CSV and the workbook said `offers_late`, and
    its counts' keys (`host_identified`) were labels in the CSV ("host identified"), though
    docs/cli.md promises the same field names (found by a review): each school's fields are
    the workbook's columns, and every row of the long table carries the JSON's key."""
    found = figures(every_case, YEAR, on=ON)
    document = found.to_json()
    by_key = {table.key: table for table in tables(found)}
    for row in document["schools"]:  # type: ignore[attr-defined]
        assert tuple(row) == by_key["schools"].columns
    assert "offers_late" in by_key["schools"].columns
    long = long_rows(found)
    assert all(tuple(row) == LONG_COLUMNS for row in long)
    for section, path in COUNTS_IN_JSON.items():
        counts: object = document
        for step in path:
            counts = counts[step]  # type: ignore[index]
        keys = [c["key"] for c in counts]  # type: ignore[attr-defined]
        shown = [row["key"] for row in long if row["section"] == section]
        assert list(dict.fromkeys(shown)) == keys, section
        for c in counts:  # type: ignore[attr-defined]
            [value] = [
                row["value"]
                for row in long
                if row["section"] == section
                and row["key"] == c["key"]
                and row["measure"] not in ("percent", "good_practice")
            ]
            assert value == c["count"], (section, c["key"])
    assert {
        "section": "cases_by_stage",
        "item": "host identified",
        "measure": "cases",
        "value": count(found.by_stage, "host_identified"),
        "key": "host_identified",
    } in long
    summary = {row["key"]: row["value"] for row in long if row["section"] == "summary"}
    assert summary["as_of"] == ON
    assert summary["cases"] == document["cases"]
    assert summary["success_rate"] == document["outcomes"]["success_rate"]  # type: ignore[index]
    schools = [row for row in long if row["section"] == "schools"]
    assert {row["key"] for row in schools} == {row["item"] for row in schools}


@pytest.mark.parametrize(("count", "total"), [(1, 3000), (2999, 3000), (1, 10**12), (1, 2001)])
def test_a_share_that_is_neither_none_nor_all_is_never_0_or_100_percent(
    count: int, total: int
) -> None:
    """1 late offer of 3,000 showed as "0%", and the rest as "100% offers within 20 school
    days" (found by a review)."""
    share = Count("late", "late", count, total).percent
    assert share is not None
    assert 0 < share < 100
    assert abs(share - 100 * count / total) <= 0.05
    assert Count("none", "none", 0, total).percent == 0
    assert Count("all", "all", total, total).percent == 100


def test_the_page_shows_a_tiny_share_as_under_a_tenth_of_a_percent(
    every_case: list[Reintegration],
) -> None:
    found = figures(every_case, YEAR, on=ON)
    offers = (
        Count("within", "made within the deadline", 2999, 3000),
        Count("breached", "made late (deadline breached)", 1, 3000),
        Count("overdue", "overdue, no offer yet", 0, 3000),
    )
    page = render_html(attrs.evolve(found, offers=offers), made_on=dt.date(2026, 7, 2))
    headline = re.findall(r"<li><strong>([^<]*)</strong>\s*([^<]*)</li>", page)
    assert (">99.9%", "offers within 20 school days") in [
        (html.unescape(value), label.strip()) for value, label in headline
    ]
    offers_table = page[page.index('id="offers"') : page.index('id="days_to_offer"')]
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>([^<]*)</td>", offers_table)]
    # none overdue of 3,000 is 0%; 2,999 within and 1 late are neither none nor all
    assert cells == ["2999", ">99.9%", "1", "<0.1%", "0", "0%"]


# -- charts and the page ---------------------------------------------------------------------
def test_each_chart_is_matplotlib_svg_with_a_text_alternative(
    every_case: list[Reintegration],
) -> None:
    drawn = charts(figures(every_case, YEAR, on=ON))
    assert [c.key for c in drawn] == [
        "cases_by_stage",
        "offers",
        "days_to_offer",
        "reviews",
        "emergency_reviews",
        "outcomes",
        "departures",
        "overdue_obligations",
    ]
    for chart in drawn:
        assert chart.svg.startswith("<svg")
        assert f'id="{chart.key}-figure_1"' in chart.svg  # matplotlib's own structure
        assert f'id="{chart.key}-axes_1"' in chart.svg
        assert "<metadata>" not in chart.svg
        assert f'<title id="{chart.key}-title">' in chart.svg
        assert 'role="img"' in chart.svg
        assert f'aria-labelledby="{chart.key}-title"' in chart.svg
        ids = re.findall(r'\bid="([^"]+)"', chart.svg)
        assert all(i.startswith(f"{chart.key}-") for i in ids)
    assert "successful: 7" in next(c for c in drawn if c.key == "outcomes").description


def test_the_page_is_self_contained_and_shows_every_figure(every_case: list[Reintegration]) -> None:
    page = render_html(figures(every_case, YEAR, on=ON), made_on=dt.date(2026, 7, 2))
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "matplotlib.org" not in page
    assert "<script" not in page
    assert "@page { size: A4" in page
    assert page.count("<figure ") == 8
    assert page.count("<figcaption>") == 8
    for table in tables(figures(every_case, YEAR, on=ON))[1:]:
        assert f'id="{table.key}"' in page
    assert "Rowan Testwell" not in page  # the report names no child
    assert "70%" in page


def test_ids_are_unique_on_the_page(every_case: list[Reintegration]) -> None:
    page = render_html(figures(every_case, YEAR, on=ON))
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_an_empty_period_still_makes_a_page(every_case: list[Reintegration]) -> None:
    quiet = Period(dt.date(2025, 8, 1), dt.date(2025, 8, 2))
    found = figures(every_case, quiet, on=quiet.end)
    assert found.cases == 0
    page = render_html(found)
    assert "None in this period." in page
    assert found.success_rate is None


def test_a_calendar_given_is_named_even_with_no_offer_to_count(
    every_case: list[Reintegration],
) -> None:
    """No offer in the period, yet the calendar was known: the note names it, not "unknown"."""
    summer = Period(dt.date(2026, 7, 20), dt.date(2026, 8, 31))
    found = figures(every_case, summer, on=summer.end)
    assert found.offers_made == ()
    assert found.school_days.startswith("counted on the calendar: SAMPLE DATA")


def test_a_calendar_given_is_named_even_with_no_case_in_the_period() -> None:
    """`report --from 2024-01-01 --to 2024-01-02 --calendar sample` said "no school calendar was
    given ... give --calendar" (found by a review)."""
    quiet = Period(dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    calendar = SchoolCalendar.sample()
    found = figures([], quiet, on=quiet.end, calendar=calendar)
    assert found.school_days == f"counted on the calendar: {calendar.source}"
    assert figures([], quiet, on=quiet.end).school_days.startswith("unknown: no school calendar")


def test_an_empty_periods_stage_chart_draws_every_stage_at_0() -> None:
    """With no case in the period "Cases by stage" drew one bar, "proposed 0", and read "Cases
    by stage, in cases. proposed: 0." to a screen reader (found by a review): it draws every
    stage at 0, as the other charts draw each of their categories and its table lists them."""
    quiet = Period(dt.date(2024, 1, 1), dt.date(2024, 1, 2))
    found = figures([], quiet, on=quiet.end)
    chart = next(c for c in charts(found) if c.key == "cases_by_stage")
    every = "; ".join(f"{c.label}: 0" for c in found.by_stage)
    assert chart.description == f"Cases by stage, in cases. {every}."
    labels = {text.strip() for text in re.findall(r"<text\b[^>]*>([^<]*)</text>", chart.svg)}
    assert {c.label for c in found.by_stage} <= labels
    assert len(found.by_stage) == len(Stage)


def _numbers_shown(svg: str) -> list[float]:
    """Every number written as text in a chart (its ticks and its bars' labels)."""
    shown = []
    for text in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg):
        try:
            shown.append(float(text.strip().replace("\u2212", "-")))
        except ValueError:
            continue
    return shown


@pytest.mark.parametrize(
    "period",
    [
        Period(dt.date(2025, 8, 1), dt.date(2025, 8, 2)),
        Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
    ],
)
def test_a_chart_of_counts_starts_at_0_with_whole_numbers(
    every_case: list[Reintegration], period: Period
) -> None:
    """Every chart of an empty period had an axis from -0.06 to 0.06 (found by a review)."""
    drawn = charts(figures(every_case, period, on=period.end))
    for chart in drawn:
        shown = _numbers_shown(chart.svg)
        assert 0 in shown, chart.key
        assert all(n >= 0 and n == int(n) for n in shown), (chart.key, shown)


BAR_COLOURS = {"#009e73": "within", "#d55e00": "late", "#0072b2": "either"}


def _bar_colours(svg: str) -> list[str]:
    """The bars of a chart, in order, by what their colour says."""
    fills = re.findall(r'style="fill: (#[0-9a-f]{6})', svg)
    return [BAR_COLOURS[fill] for fill in fills if fill in BAR_COLOURS]


def _offered(protocol: Protocol, school_days: int) -> Reintegration:
    """A case under `protocol` whose place was offered `school_days` after its referral."""
    case = stages.referred(protocol)
    offered_on = stages.CALENDAR.add_school_days(stages.REFERRED, school_days)
    case.identify_host(stages.HOST_SCHOOL, ReferralRoute.PANEL, by=stages.ADMISSIONS, on=offered_on)
    return case


ANYSHIRE = attrs.evolve(
    WORCESTERSHIRE, id="anyshire", version="1", title="Anyshire", place_offer_school_days=18
)
SPRING = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def _bars_of(found: Figures) -> list[tuple[int, float]]:
    """Each bar of the days to an offer as its first and last school day."""
    bars = []
    for count in found.days_to_offer:
        low, _, high = count.key.partition("-")
        bars.append((int(high), float("inf")) if low == "over" else (int(low), float(high)))
    return bars


def test_bars_of_days_to_an_offer_end_at_a_limit_not_a_multiple_of_5() -> None:
    """Anyshire's 18 school days: an offer on time in 17 was drawn red, in a bar of 16-20 right
    of the deadline's line (found by a review)."""
    found = figures([_offered(ANYSHIRE, 17)], SPRING, on=SPRING.end)
    assert not any(low <= 18 < high for low, high in _bars_of(found))
    (drawn,) = [c for c in charts(found) if c.key == "days_to_offer"]
    colours = _bar_colours(drawn.svg)
    holding = [i for i, c in enumerate(found.days_to_offer) if c.count]
    assert [colours[i] for i in holding] == ["within"]
    assert colours == sorted(colours, key=["within", "late"].index)
    assert colours.count("within") == sum(high <= 18 for _, high in _bars_of(found))
    assert "18 school days" in drawn.description


def test_a_case_under_a_place_offer_past_any_date_leaves_the_bars_as_a_new_cases_would() -> None:
    """A protocol an earlier version took with `place_offer_school_days = 99999999` loads for
    its cases (review f4): a bar every 5 school days up to its limit made 20 million bars, and
    a limit of thousands of digits never finished. Bars end at a limit no new case passes (3660
    days) at most; the case's own limit is still named."""
    far = attrs.evolve(ANYSHIRE, version="far", place_offer_school_days=10**4000)
    case = stages.consented(far)
    found = figures([case, _offered(ANYSHIRE, 17)], SPRING, on=SPRING.end)
    assert max(high for _, high in _bars_of(found) if high != float("inf")) == 28
    alone = figures([stages.consented(far)], SPRING, on=SPRING.end)
    assert max(high for _, high in _bars_of(alone) if high != float("inf")) == 3670
    assert alone.days_to_offer[-1].key == "over-3670"
    beside = attrs.evolve(ANYSHIRE, version="3660", place_offer_school_days=3660)
    at_most = figures([case, stages.consented(beside)], SPRING, on=SPRING.end)
    assert _bars_of(at_most)[-1] == (3670, float("inf"))
    assert (3656, 3660.0) in _bars_of(at_most)


def test_with_several_protocols_the_chart_names_each_limit_and_draws_no_single_line() -> None:
    """Cases under 18 and 20 school days were drawn against one line at 20 labelled "deadline:
    the deadline", captioned "The deadline is the deadline." (found by a review)."""
    cases = [_offered(ANYSHIRE, 17), _offered(WORCESTERSHIRE, 19)]
    found = figures(cases, SPRING, on=SPRING.end)
    assert found.offer_limit is None
    assert not any(low <= limit < high for low, high in _bars_of(found) for limit in (18, 20))
    (drawn,) = [c for c in charts(found) if c.key == "days_to_offer"]
    assert "the deadline is the deadline" not in drawn.description.lower()
    assert "Anyshire (anyshire 1): 18 school days" in drawn.description
    assert f"{WORCESTERSHIRE.title} (worcestershire 3): 20 school days" in drawn.description
    assert set(_bar_colours(drawn.svg)) == {"either"}
    assert "dasharray" not in drawn.svg
    (offers,) = [c for c in charts(found) if c.key == "offers"]
    assert "the deadline" not in offers.title


def test_the_report_names_each_version_whose_offer_deadline_differs() -> None:
    """Version 2 of a protocol keeps its title (as a revised protocol does) and shortens the
    offer to 16 school days: the note read "Anyshire: 16 school days; Anyshire: 18 school
    days" and the JSON named both by the title alone (review P, P2)."""
    newer = attrs.evolve(ANYSHIRE, version="2", place_offer_school_days=16)
    found = figures([_offered(ANYSHIRE, 17), _offered(newer, 15)], SPRING, on=SPRING.end)
    assert found.offer_deadline_note == (
        "The deadline differs by protocol: Anyshire (anyshire 1): 18 school days; "
        "Anyshire (anyshire 2): 16 school days."
    )
    assert found.to_json()["offers"]["limits_by_protocol"] == [
        {"protocol": "Anyshire", "id": "anyshire", "version": "1", "school_days": 18},
        {"protocol": "Anyshire", "id": "anyshire", "version": "2", "school_days": 16},
    ]
    assert found.offer_limits == (("Anyshire", 16), ("Anyshire", 18))  # as before, by title
    (table,) = [t for t in tables(found) if t.key == "days_to_offer"]
    assert "Anyshire (anyshire 2): 16 school days" in table.note
    page = render_html(found)
    assert "Anyshire (anyshire 1): 18 school days; Anyshire (anyshire 2): 16 school days" in page
    limits = [
        (row["key"], row["item"], row["value"])
        for row in long_rows(found)
        if row["section"] == "summary" and "limit" in str(row["key"])
    ]
    assert limits == [
        ("limit_school_days", "school days for an offer", None),
        ("limits_by_protocol", "school days for an offer, Anyshire (anyshire 1)", 18),
        ("limits_by_protocol", "school days for an offer, Anyshire (anyshire 2)", 16),
    ]
    same = attrs.evolve(ANYSHIRE, version="2", title="Anyshire, revised")  # the same limit
    found = figures([_offered(ANYSHIRE, 17), _offered(same, 15)], SPRING, on=SPRING.end)
    assert found.offer_limit == 18
    assert [entry["version"] for entry in found.to_json()["offers"]["limits_by_protocol"]] == [
        "1",
        "2",
    ]


def test_an_offer_made_in_the_holiday_after_its_due_day_is_shown_late_everywhere() -> None:
    """Referred Friday 16 January 2026, due Friday 13 February, offered on the Wednesday of
    half-term: the report counted it late, yet drew it green left of the deadline's line and
    listed it as 20 school days "within: no" (found by a review)."""
    case = stages.consented()
    referred = dt.date(2026, 1, 16)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, scenario.information(), scenario.PSP, by=stages.AP_HEAD, on=referred
    )
    (deadline,) = case.deadlines
    offered_on = dt.date(2026, 2, 18)
    assert stages.CALENDAR.school_days_between(deadline.due, offered_on) == 0
    case.identify_host(stages.HOST_SCHOOL, ReferralRoute.PANEL, by=stages.ADMISSIONS, on=offered_on)
    assert case.deadlines[0].breached
    found = figures([case], SPRING, on=SPRING.end)
    assert (count(found.offers, "within"), count(found.offers, "breached")) == (0, 1)
    (drawn,) = [c for c in charts(found) if c.key == "days_to_offer"]
    holding = [i for i, c in enumerate(found.days_to_offer) if c.count]
    colours = _bar_colours(drawn.svg)
    assert [colours[i] for i in holding] == ["late"]
    assert colours == sorted(colours, key=["within", "late"].index)  # right of the line
    assert "after its due day" in drawn.description
    made = next(t for t in tables(found) if t.key == "offers_made")
    (row,) = made.rows
    assert row["within"] == "no: after its due day, before the next school day"


def test_without_matplotlib_the_page_names_the_extra(
    every_case: list[Reintegration], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"reintegration-fsm\[reports\]"):
        render_html(figures(every_case, YEAR, on=ON))


# -- the command -----------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def report_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'report.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
        engine = reachable_engine(url)
        reset_database(engine)
        engine.dispose()
    upgrade(url)
    store = SqlAlchemyStore(url)
    try:
        run_demo(store)
        for case in caseload.build():
            store.save(case)
    finally:
        store.engine.dispose()
    return url


@pytest.fixture(autouse=True)
def after_the_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today, as the command sees it: after the 2025/26 year, so that it is judged at its end."""
    monkeypatch.setattr(options, "today", lambda: dt.date(2026, 10, 1))


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", url, *args], env={"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    )


def test_report_json_is_the_figures_of_the_stored_cases(
    report_url: str, every_case: list[Reintegration]
) -> None:
    """The command loads every case through the store; its JSON equals the figures' JSON."""
    result = invoke(
        report_url, "--calendar", "sample", "report", "--year", "2025/26", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    expected = figures(every_case, YEAR, on=YEAR.end).to_json()
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))


def test_report_without_a_calendar_says_school_days_are_unknown(report_url: str) -> None:
    document = json.loads(
        invoke(report_url, "report", "--year", "2025/26", "--format", "json").stdout
    )
    assert document["school_days"].startswith("unknown")
    assert document["offers"]["days_unknown"] == len(document["offers"]["made"])


def test_report_for_a_school_and_a_term(report_url: str) -> None:
    """ "How did we do on the 20-day duty last term": one command."""
    result = invoke(
        report_url,
        "--calendar",
        "sample",
        "report",
        "--from",
        "2026-01-05",
        "--to",
        "2026-03-27",
        "--school",
        "Millbridge High School",
        "--format",
        "json",
    )
    document = json.loads(result.stdout)
    assert document["school"] == "Millbridge High School"
    assert document["as_of"] == "2026-03-27"
    assert {o["host_school"] for o in document["offers"]["made"]} == {"Millbridge High School"}
    assert [row["school"] for row in document["schools"]] == ["Millbridge High School"]


def test_report_csv_and_xlsx(report_url: str, tmp_path: Path) -> None:
    text = invoke(report_url, "report", "--year", "2025/26", "--format", "csv").stdout
    assert text.startswith("\ufeffsection,item,measure,value,key\n")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {
        "section": "outcomes",
        "item": "successful",
        "measure": "cases",
        "value": "7",
        "key": "successful",
    } in rows
    late = [row for row in rows if row["section"] == "offers" and row["key"] == "breached"]
    assert {row["item"] for row in late} == {"made late (deadline breached)"}
    assert [row["measure"] for row in late] == ["count", "percent"]
    out = tmp_path / "report.xlsx"
    result = invoke(report_url, "report", "--year", "2025/26", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == list(SHEETS)
    made = book["Offers made in the period"]
    assert [c.value for c in made[1]][:3] == ["case_id", "host_school", "referred_on"]
    stages = book["Cases by stage"]
    assert [c.value for c in stages[1]] == ["stage", "cases", "percent", "key"]
    assert ("host identified", "host_identified") in {
        (row[0].value, row[3].value) for row in stages.iter_rows(min_row=2)
    }
    assert [c.value for c in book["By school"][1]][4] == "offers_late"
    assert made.freeze_panes == "A2"
    assert made["C2"].is_date
    assert all(sheet.freeze_panes == "A2" for sheet in book.worksheets)


def test_report_csv_and_workbook_carry_the_referrals_awaiting_an_offer(
    demo_db: str, tmp_path: Path
) -> None:
    """DEMO-0004 was referred on 2026-03-02, its offer due on 2026-04-13: the JSON and the page
    said 1 referral awaited an offer, while the CSV and the workbook showed none made, late or
    overdue and nothing of it, as if no referral was made (found by a review)."""
    period = ("--from", "2026-03-02", "--to", "2026-03-27")
    shown = invoke(demo_db, "report", *period, "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["offers"]["awaited"] == 1
    as_csv = invoke(demo_db, "report", *period, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout.lstrip("\ufeff"))))
    assert {
        "section": "summary",
        "item": "referrals awaiting an offer not yet due",
        "measure": "value",
        "value": "1",
        "key": "awaited",
    } in rows
    assert {(row["key"], row["value"]) for row in rows} >= {
        ("days_unknown", "0"),
        ("limit_school_days", "20"),
    }
    book = tmp_path / "r.xlsx"
    made = invoke(demo_db, "report", *period, "--format", "xlsx", "-o", str(book))
    assert made.exit_code == 0, made.output
    sheet = openpyxl.load_workbook(book)["Summary"]
    by_key = {row[-1]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_key["awaited"] == 1
    assert by_key["days_unknown"] == 0
    assert by_key["limit_school_days"] == 20


SHEETS = (
    "Summary",
    "Cases by stage",
    "Offers within the deadline",
    "School days to an offer",
    "Offers made in the period",
    "Reviews held on time",
    "Emergency reviews",
    "Outcomes",
    "Departures by rule",
    "Overdue obligations by owner",
    "By school",
)
"""The workbook's sheets: each a whole name of its own within Excel's 31 characters."""


def test_each_sheet_has_a_short_whole_name(every_case: list[Reintegration]) -> None:
    """Cut to Excel's 31 characters the sheets read "Offers of a place within 20" and
    "Departures from good practice," (found by a review): each table names its own sheet, in
    full, with none of the characters Excel refuses; the page keeps the longer titles."""
    every = tables(figures(every_case, YEAR, on=ON))
    assert tuple(table.sheet for table in every) == SHEETS
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in SHEETS)
    assert [table.title for table in every][2] == "Offers of a place within 20 school days"


def test_report_html_to_a_private_file(report_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = invoke(
        report_url, "--calendar", "sample", "report", "--year", "2025/26", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 8
    assert out.stat().st_mode & 0o777 == 0o600


def test_report_html_without_matplotlib_exits_2_naming_the_extra(
    report_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "report.html"
    result = invoke(report_url, "report", "--year", "2025/26", "-o", str(out))
    assert result.exit_code == 2
    assert "pip install 'reintegration-fsm[reports]'" in result.stderr
    assert not out.exists()
    assert invoke(report_url, "report", "--year", "2025/26", "--format", "json").exit_code == 0
    assert invoke(report_url, "report", "--year", "2025/26", "--format", "csv").exit_code == 0


def test_report_under_an_authority_with_no_cases(report_url: str) -> None:
    result = invoke(report_url, "--authority", "Nope", "report", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == "no cases for authority 'Nope'"


@pytest.mark.parametrize(
    "period",
    [["--year", "2027/28"], ["--from", "2026-10-02", "--to", "2026-12-31"]],
)
def test_a_period_that_has_not_begun_is_refused(report_url: str, period: list[str]) -> None:
    """`report --year 2030/31` counted today's running cases as "open during the period" of a
    year no day of which had come (found by a review): such a period is refused (exit 2),
    saying that it starts after today, in every format."""
    for output_format in ("html", "json", "csv", "xlsx"):
        result = invoke(report_url, "report", *period, "--format", output_format)
        assert result.exit_code == 2, result.output
        assert result.stdout_bytes == b"" or output_format == "json"
        assert "starts after today (2026-10-01)" in result.output
    document = json.loads(invoke(report_url, "report", *period, "--format", "json").stdout)
    assert document["exit_code"] == 2
    assert document["error"].startswith("the period ")


def test_a_period_that_begins_today_is_counted(report_url: str) -> None:
    """Today is a day of the period: the cases open on it are counted, as of today."""
    result = invoke(
        report_url, "report", "--from", "2026-10-01", "--to", "2026-12-31", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["as_of"] == "2026-10-01"
    assert document["cases"] > 0


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        ((), "-o FILE.html"),
        (("--format", "html", "-o", "-"), "-o FILE.html"),
        (("--format", "xlsx"), "-o FILE.xlsx"),
    ],
)
def test_a_page_or_a_workbook_is_refused_on_a_terminal(
    report_url: str, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], wanted: str
) -> None:
    """`report` with no `-o` printed some 70 KB of HTML and SVG to the terminal (found by a
    review): the page, the default, is refused there as the workbook is, asking for -o."""
    monkeypatch.setattr(printing, "stdout_is_terminal", lambda: True)
    result = invoke(report_url, "report", "--year", "2025/26", *args)
    assert result.exit_code == 2
    assert wanted in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_json_and_csv_still_print_to_a_terminal(
    report_url: str, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    monkeypatch.setattr(printing, "stdout_is_terminal", lambda: True)
    result = invoke(report_url, "report", "--year", "2025/26", "--format", output_format)
    assert result.exit_code == 0, result.output
    assert "2025-09-01" in result.stdout


@pytest.mark.parametrize(
    "output",
    [(), ("-o", "/dev/stdout"), ("-o", "/dev/fd/1"), ("--format", "xlsx", "-o", "/dev/fd/1")],
)
def test_the_page_is_refused_on_a_real_terminal_and_goes_down_a_pipe(
    demo_file: Path, output: tuple[str, ...]
) -> None:
    """With stdout a pseudo-terminal, nothing is printed to it and stderr asks for -o; piped,
    the page is written as before. `-o /dev/stdout` naming the terminal printed it there too
    (found by a review)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    report = [sys.executable, "-m", "reintegration_fsm", "--db", str(demo_file), "report"]
    command = [*report, *output]
    leader, follower = os.openpty()
    try:
        with subprocess.Popen(
            command, stdout=follower, stderr=subprocess.PIPE, env=environment
        ) as process:
            os.close(follower)
            shown = b""
            while True:  # drained as it runs, so that a page printed there cannot block it
                try:
                    chunk = os.read(leader, 1 << 16)
                except OSError:  # EIO: the terminal's last writer has gone
                    break
                if not chunk:
                    break
                shown += chunk
            assert process.stderr is not None
            stderr = process.stderr.read()
        returncode = process.returncode
    finally:
        os.close(leader)
    assert returncode == 2
    assert b"-o FILE." in stderr
    assert shown == b""
    piped = subprocess.run(command, capture_output=True, env=environment, check=False)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith(b"PK" if "xlsx" in output else b"<!DOCTYPE html>")


# -- missed deadlines: counted in the period they fell due (found by a review) ---------------
CALENDAR = SchoolCalendar.sample()
TERM = Period(dt.date(2025, 9, 1), dt.date(2025, 12, 19))


def breaches(found: Figures) -> int:
    """Offers made late or overdue, and reviews held late or overdue."""
    return sum(
        count(part, key)
        for part, keys in (
            (found.offers, ("breached", "overdue")),
            (found.reviews, ("late", "overdue")),
        )
        for key in keys
    )


def test_an_offer_overdue_before_a_withdrawal_counts_in_each_period_holding_its_due_day() -> None:
    """A referral whose offer fell due (2025-10-13) three months before the family withdrew was
    counted 'overdue' in the autumn term but in nothing for the year holding it: an unmet
    deadline of an ended case was dropped, breach and all (found by a review)."""
    case = caseload.withdrawn_after_its_offer_went_overdue()
    for period in (TERM, YEAR):
        found = figures([case], period, on=min(period.end, dt.date(2026, 12, 5)))
        assert count(found.offers, "overdue") == 1, period


def test_an_offer_due_after_the_case_was_withdrawn_is_not_counted() -> None:
    """Withdrawn before its offer fell due: the case no longer needed one."""
    case = caseload.withdrawn_after_its_offer_went_overdue()
    period = Period(dt.date(2025, 9, 1), dt.date(2025, 10, 13))
    cut = [t for t in case.history if t.on <= dt.date(2025, 9, 30)]
    withdrawn = Reintegration.replay(cut, CALENDAR)
    withdrawn.withdraw(
        "The family moved away.",
        by=caseload._actor(Role.AP_HEAD, withdrawn.ap_setting),
        on=dt.date(2025, 10, 13),
    )
    found = figures([withdrawn], period, on=period.end)
    assert [c.count for c in found.offers] == [0, 0, 0]
    assert found.offers_awaited == 0


def test_reviews_missed_before_the_placement_ended_count_overdue_and_the_final_one_not() -> None:
    """Two reviews missed (due 24 Oct and 7 Nov) before an emergency review ended the placement
    on 11 Nov were 'overdue, not held' up to 11 Nov and gone from the term's figures once the
    case was unsuccessful (found by a review); the final review, due 21 Nov after the placement
    ended, is one the case no longer needed."""
    case = caseload.ended_after_two_reviews_were_missed()
    for end in (dt.date(2025, 11, 11), TERM.end, YEAR.end):
        found = figures([case], Period(TERM.start, end), on=end)
        assert count(found.reviews, "overdue") == 2, end


def test_figures_count_each_case_as_it_stood_on_the_figures_day() -> None:
    """`figures(cases, period)` counted each case as it stands now: for a period ended before
    the cases did, 'unsuccessful' and 'withdrawn' in its stages, and none of the overdue offer
    and missed reviews (found by a review). It now replays a case holding later steps up to
    the figures' day, and gives a case without any as it is."""
    now = [
        caseload.withdrawn_after_its_offer_went_overdue(),
        caseload.ended_after_two_reviews_were_missed(),
    ]
    period = Period(dt.date(2025, 9, 1), dt.date(2025, 11, 10))
    then = [
        Reintegration.replay([t for t in c.history if t.on <= period.end], CALENDAR) for c in now
    ]
    from_now, from_then = figures(now, period), figures(then, period)
    assert [c.count for c in from_then.outcomes] == [0, 0, 0]
    assert (from_now.by_stage, from_now.offers, from_now.reviews) == (
        from_then.by_stage,
        from_then.offers,
        from_then.reviews,
    )
    assert (count(from_now.offers, "overdue"), count(from_now.reviews, "overdue")) == (1, 2)
    assert count(from_now.by_stage, "emergency_review") == 1
    assert as_it_stood(now[0], dt.date(2026, 12, 5)) is now[0]
    assert as_it_stood(now[0], dt.date(2025, 9, 7)) is None


DAYS = st.dates(dt.date(2025, 9, 1), dt.date(2026, 12, 5))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.lists(DAYS, min_size=4, max_size=4).map(sorted))
def test_a_longer_period_never_shows_fewer_breaches_than_one_inside_it(
    every_case: list[Reintegration], days: list[dt.date]
) -> None:
    """Over the caseload, the demo and the review's two cases: a period holding another shows
    at least its breaches (offers late or overdue, reviews late or overdue)."""
    cases = [
        *every_case,
        caseload.withdrawn_after_its_offer_went_overdue(),
        caseload.ended_after_two_reviews_were_missed(),
    ]
    outer, inner = Period(days[0], days[3]), Period(days[1], days[2])
    today = dt.date(2026, 12, 5)
    assert breaches(figures(cases, outer, on=min(outer.end, today))) >= breaches(
        figures(cases, inner, on=min(inner.end, today))
    )


def _days_to_offer_labels(limit: int) -> tuple[list[str], list[Any]]:
    """The tick labels of the days-to-offer chart, beside Worcestershire's 20 school days a
    protocol of `limit`, and their extents as drawn. A case opens under at most the law's 20
    (AP4): a longer limit is a protocol an earlier version took, its case recorded then."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from reintegration_fsm.reports import charts as chart_module

    longer = attrs.evolve(
        WORCESTERSHIRE,
        id="longshire",
        version="1",
        title="Longshire",
        place_offer_school_days=limit,
    )
    first = caseload.build()[0]
    second = Reintegration.open(
        "L-2",
        first.pupil,
        first.ap_setting,
        caseload.AUTHORITY,
        calendar=CALENDAR,
        by=caseload._actor(Role.AP_HEAD, first.ap_setting),
        on=first.opened_on,
        protocol=longer if longer.opens_cases else WORCESTERSHIRE,
    )
    if not longer.opens_cases:
        second = stages.recorded_under(second, longer)
    found = figures([first, second], YEAR, on=YEAR.end)
    with matplotlib.rc_context({"font.family": "sans-serif", "font.size": 9}):
        figure = chart_module._bars(
            "School days from referral to offer",
            found.days_to_offer,
            horizontal=False,
            xlabel="school days after the referral",
        )
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    shown = [label for label in figure.axes[0].get_xticklabels() if label.get_text()]
    assert len(figure.axes[0].get_xticklabels()) == len(found.days_to_offer)
    counts = [text for text in figure.axes[0].texts if text.get_visible() and text.get_text()]
    _BAR_COUNTS[limit] = (
        len(found.days_to_offer),
        [(text.get_text(), text.get_window_extent(renderer)) for text in counts],
    )
    return [label.get_text() for label in shown], [
        label.get_window_extent(renderer) for label in shown
    ]


_BAR_COUNTS: dict[int, tuple[int, list[tuple[str, Any]]]] = {}
"""The days-to-offer chart's bars, and the counts printed on them as drawn, by limit."""


@pytest.mark.parametrize("limit", [20, 60, 1000])
def test_the_counts_on_the_days_to_offer_bars_never_overlap(limit: int) -> None:
    """With hundreds of bars the count printed on each ran into its neighbours' ('000000...'):
    crowded, the empty bars' "0"s are left off and a count that would touch one shown to its
    left is hidden (the caption and the table give every count); with few bars each keeps its
    count."""
    _days_to_offer_labels(limit)
    bars, counts = _BAR_COUNTS[limit]
    boxes = [box for _, box in counts]
    assert not any(left.overlaps(right) for left, right in itertools.combinations(boxes, 2))
    if limit <= 60:
        assert len(counts) == bars
    else:  # crowded: the empty bars' "0"s are left off, the one bar of an offer keeps its count
        assert [text for text, _ in counts] == ["1"]


def test_thinning_the_bar_counts_never_hides_a_real_count_behind_a_zero() -> None:
    """With hundreds of bars `_thin` walked left to right and hid any count touching one shown
    to its left: the empty bars' "0"s came first, so bars of 1 and 2 offers (near the axis, as
    the zeros are) lost their counts while the "0"s beside them kept theirs, and the page read
    "0" where offers were made (found by a review). Crowded, the zeros are left unlabelled; with
    few bars each keeps its count, "0" too."""
    from reintegration_fsm.reports.charts import _bars, require_matplotlib

    require_matplotlib()
    values = [0] * 203
    values[3], values[50], values[51], values[100] = 2, 1, 3, 40
    counts = [
        Count(str(i), f"{5 * i}-{5 * i + 4}", value, sum(values)) for i, value in enumerate(values)
    ]
    figure = _bars(
        "t", counts, horizontal=False, xlabel="school days", limit=20.5, limit_label="20"
    )
    labels = [text for text in figure.axes[0].texts if text.get_text() != "20"]
    assert len(labels) == len(values)
    shown = {i: text.get_text() for i, text in enumerate(labels) if text.get_visible()}
    assert all(text != "0" for text in shown.values()), shown
    assert {3: "2", 100: "40"}.items() <= shown.items()
    assert shown.get(50) == "1" or shown.get(51) == "3"  # side by side, one may give way
    few = [Count(str(i), str(i), value, 3) for i, value in enumerate([0, 2, 0, 1])]
    figure = _bars("t", few, horizontal=False, xlabel="school days")
    assert [t.get_text() for t in figure.axes[0].texts if t.get_visible()] == ["0", "2", "0", "1"]


@pytest.mark.parametrize("limit", [20, 60, 100, 1000])
def test_the_days_to_offer_labels_never_overlap(limit: int) -> None:
    """With a protocol of 100 school days beside Worcestershire's 20 the chart has 23 bars of
    five whose labels ran into one another ('0–56–1011–15…', found by a review): they stand
    upright when side by side they would touch, and past that only every few are shown."""
    texts, boxes = _days_to_offer_labels(limit)
    assert all(left.x1 <= right.x0 for left, right in itertools.pairwise(boxes)), texts
    assert texts[-1].startswith("over")
    if limit <= 100:  # upright, each bar keeps its label
        assert len(texts) == len({20, limit} | set(range(5, limit + 11, 5))) + 1


def test_report_for_one_school_counts_every_spelling_of_it(tmp_path: Path) -> None:
    """`report --school` counts each case of the school however its name was recorded, as the
    report of every school merges the spellings into one row (a review found it counted only
    the case spelt exactly as given: 1 case and 3 points, against 2 and 6 in the full report)."""
    from reintegration_fsm.stores import SqlAlchemyStore
    from store_contract import CALENDAR, hosted_by

    url = f"sqlite:///{tmp_path / 'spellings.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    store.save(hosted_by("c-1", "Elmstead High School"))
    store.save(hosted_by("c-2", "ELMSTEAD HIGH SCHOOL"))  # as the library's API takes it
    store.engine.dispose()

    def school_rows(*extra: str) -> dict[str, Any]:
        result = CliRunner().invoke(
            cli,
            ["--db", url, "report", "--year", "2025/26", "--format", "json", *extra],
            env={"RFSM_CALENDAR": None},
        )
        assert result.exit_code == 0, result.output
        return {row["school"]: row for row in json.loads(result.stdout)["schools"]}

    def heading(*extra: str) -> str:
        result = CliRunner().invoke(
            cli,
            ["--db", url, "report", "--year", "2025/26", "--format", "json", *extra],
            env={"RFSM_CALENDAR": None},
        )
        return str(json.loads(result.stdout)["school"])

    every = school_rows()["Elmstead High School"]
    assert (every["cases"], every["weighting"]) == (2, 6)
    for asked in ("Elmstead High School", "ELMSTEAD HIGH SCHOOL", "elmstead  high school"):
        one = school_rows("--school", asked)
        assert list(one) == ["Elmstead High School"]
        assert heading("--school", asked) == "Elmstead High School"  # as its row names it
        assert (one["Elmstead High School"]["cases"], one["Elmstead High School"]["weighting"]) == (
            2,
            6,
        )


def test_no_chart_is_shrunk_by_the_pages_max_height() -> None:
    """The tallest chart (a period with no case draws every stage, eleven bars, as a caseload
    in every stage does) fits the page's cap on a chart's height, so every chart prints at one
    scale, none with smaller text (review H, H2)."""
    from importlib import resources

    template = (
        resources.files("reintegration_fsm.reports") / "templates" / "report.html"
    ).read_text(encoding="utf-8")
    found_limit = re.search(r"figure svg \{[^}]*max-height: (\d+(?:\.\d+)?)mm", template)
    assert found_limit is not None
    drawn = charts(figures([], YEAR, on=dt.date(2026, 8, 31)))
    assert any(c.key == "cases_by_stage" for c in drawn)
    for chart in drawn:
        height = re.search(r'<svg[^>]* height="([\d.]+)pt"', chart.svg)
        assert height is not None
        assert float(height.group(1)) * 25.4 / 72 <= float(found_limit.group(1)), chart.key


def test_the_deadlines_each_step_set_are_read_without_its_forms(tmp_path: Path) -> None:
    """The offer figures read, for every case, which step set each deadline: from the data's
    top level alone (QP6: reading every form of every step was most of a report's time), for
    a case as a store reads it back too; a deadline that does not read is refused, naming the
    step, as reading the whole step refuses it."""
    from reintegration_fsm import DeadlineKind
    from reintegration_fsm.protocol.reading import deadlines_set, read_history
    from reintegration_fsm.serialisation import transition_from_json, transition_to_json
    from store_contract import CALENDAR, built

    case = built("deadlines-1", 7)
    with SqlAlchemyStore(f"sqlite:///{tmp_path / 'd.sqlite'}", calendar=CALENDAR) as store:
        store.create_schema()
        store.save(case)
        stored = store.load("deadlines-1")
    for history in (list(case.history), list(stored.history)):
        found = [(t.trigger, d) for t, d in deadlines_set(history)]
        assert [t for t, _ in found] == [t.trigger for t in case.history]
        referral = dict(found)["refer_to_fair_access"]
        assert [d.kind for d in referral] == [DeadlineKind.PLACE_OFFER]
        assert referral[0].due == CALENDAR.add_school_days(scenario.REFERRED, 20)
        meeting = dict(found)["hold_initial_meeting"]
        assert len(meeting) == 3  # the three reviews
        assert found == [
            (r.transition.trigger, r.deadlines) for r in read_history(list(case.history))
        ]
    broken = transition_to_json(case.history[2])
    broken["data"]["deadlines"] = [{"kind": "place_offer"}]  # no due day
    history = [*case.history[:2], transition_from_json(broken)]
    with pytest.raises(FormInvalid, match=r"history\.3") as refused:
        deadlines_set(history)
    assert "malformed 'refer_to_fair_access' deadlines" in str(refused.value)
