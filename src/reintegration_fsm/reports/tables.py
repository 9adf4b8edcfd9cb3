"""The report's figures as tables: the data beneath each chart, the sheets of the workbook, and
the rows of the CSV. One table per figure, drawn from `Figures` alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from reintegration_fsm.reports.model import Count, Figures, Offer, percent_text

Value = str | int | float | dt.date | None


@attrs.frozen
class Table:
    """One figure as a table: `key` names it for scripts, `title` for people."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Value], ...]
    note: str = ""
    sheet: str = attrs.field(default=attrs.Factory(lambda table: table.title, takes_self=True))
    """Its sheet's name in the workbook (the title, unless that is longer than Excel's 31
    characters): whole words of its own, never a title cut short."""
    keys: tuple[str, ...] = ()
    """Each row's name for scripts, as the JSON gives it ("host_identified"), where the first
    cell is words for people ("host identified"); empty where the first cell is the name."""

    def keyed(self) -> tuple[tuple[str, ...], tuple[dict[str, Value], ...]]:
        """Its columns and rows with a last column, `key`: each row's name for scripts."""
        first = self.columns[0]
        keys = self.keys or tuple(str(row[first]) for row in self.rows)
        rows = tuple({**row, "key": key} for row, key in zip(self.rows, keys, strict=True))
        return (*self.columns, "key"), rows


def _count_rows(counts: Sequence[Count], label: str, what: str) -> tuple[dict[str, Value], ...]:
    return tuple({label: c.label, what: c.count, "percent": c.percent} for c in counts)


def _count_table(
    key: str,
    title: str,
    counts: Sequence[Count],
    label: str,
    what: str,
    note: str = "",
    sheet: str = "",
) -> Table:
    return Table(
        key,
        title,
        (label, what, "percent"),
        _count_rows(counts, label, what),
        note,
        sheet or title,
        tuple(c.key for c in counts),
    )


def _within(offer: Offer) -> str:
    """Whether the offer was made by its due day; one made after it in no more school days
    than its limit says so, where its school days alone would read as on time."""
    if offer.within:
        return "yes"
    return "no: after its due day, before the next school day" if offer.after_due_day else "no"


def summary(found: Figures) -> Table:
    """The report's headline: the period, the scope and the rates; and the figures the page
    gives in its titles and notes alone (referrals awaiting an offer, offers whose school days
    are unknown, each protocol's offer deadline), so that the CSV and the workbook hold every
    figure of the JSON but its ledger and its overdue deadlines."""
    within = next(c for c in found.offers if c.key == "within")
    on_time = next(c for c in found.reviews if c.key == "on_time")
    figures: list[tuple[str, str, Value]] = [
        ("period_start", "period from", found.period.start),
        ("period_end", "period to", found.period.end),
        ("as_of", "cases as of", found.on),
        ("school", "school", found.school or "every school"),
        ("cases", "cases open during the period", found.cases),
        ("offers_within_percent", "offers made within the deadline (%)", within.percent),
        ("reviews_on_time_percent", "reviews held on time (%)", on_time.percent),
        ("success_rate", "successful placements of those that ended (%)", found.success_rate),
        ("school_days", "school days", found.school_days),
        ("awaited", "referrals awaiting an offer not yet due", found.offers_awaited),
        (
            "days_unknown",
            "offers whose school days are unknown (not in the distribution)",
            found.offers_days_unknown,
        ),
        ("limit_school_days", "school days for an offer", found.offer_limit),
        *(
            (
                "limits_by_protocol",
                f"school days for an offer, {title} ({protocol_id} {version})",
                days,
            )
            for title, protocol_id, version, days in found.offer_limits_by_protocol
        ),
    ]
    return Table(
        "summary",
        "Summary",
        ("figure", "value"),
        tuple({"figure": figure, "value": value} for _, figure, value in figures),
        keys=tuple(key for key, _, _ in figures),
    )


def tables(found: Figures) -> list[Table]:
    """Every table of the report, in the order the page shows them."""
    deadline = found.offer_deadline
    offers_made: tuple[dict[str, Value], ...] = tuple(
        {
            "case_id": o.case_id,
            "host_school": o.host_school,
            "referred_on": o.referred_on,
            "due": o.due,
            "offered_on": o.offered_on,
            "school_days": o.school_days,
            "within": _within(o),
        }
        for o in found.offers_made
    )
    departures: tuple[dict[str, Value], ...] = tuple(
        {"rule": c.key, "good_practice": c.label.split(": ", 1)[-1], "departures": c.count}
        for c in found.departures
    )
    schools: tuple[dict[str, Value], ...] = tuple(
        {
            "school": row.school,
            "role": row.role,
            "cases": row.cases,
            "offers_within": row.offers_within,
            "offers_late": row.offers_late,
            "successful": row.successful,
            "unsuccessful": row.unsuccessful,
            "withdrawn": row.withdrawn,
            "weighting": row.weighting,
        }
        for row in found.schools
    )
    return [
        summary(found),
        _count_table("cases_by_stage", "Cases by stage", found.by_stage, "stage", "cases"),
        _count_table(
            "offers",
            f"Offers of a place within {deadline}",
            found.offers,
            "offers",
            "count",
            f"{found.offers_awaited} referral(s) await an offer not yet due.",
            "Offers within the deadline",
        ),
        _count_table(
            "days_to_offer",
            "School days from referral to offer",
            found.days_to_offer,
            "school_days",
            "offers",
            f"School days {found.school_days}."
            + (f" {found.offer_deadline_note}" if found.offer_limit is None else "")
            + (
                f" {found.offers_days_unknown} offer(s) not counted."
                if found.offers_days_unknown
                else ""
            ),
            "School days to an offer",
        ),
        Table(
            "offers_made",
            "Offers made in the period",
            ("case_id", "host_school", "referred_on", "due", "offered_on", "school_days", "within"),
            offers_made,
        ),
        _count_table("reviews", "Reviews held on time", found.reviews, "reviews", "count"),
        Table(
            "emergency_reviews",
            "Emergency reviews",
            ("emergency_reviews", "count"),
            tuple(
                {"emergency_reviews": c.label, "count": c.count} for c in found.emergency_reviews
            ),
            keys=tuple(c.key for c in found.emergency_reviews),
        ),
        _count_table(
            "outcomes",
            "Outcomes",
            found.outcomes,
            "outcome",
            "cases",
            "Successful placements of those that ended: "
            + ("none ended" if found.success_rate is None else percent_text(found.success_rate))
            + ".",
        ),
        Table(
            "departures",
            "Departures from good practice, by rule",
            ("rule", "good_practice", "departures"),
            departures,
            sheet="Departures by rule",
        ),
        _count_table(
            "overdue_obligations",
            "Obligations overdue, by who owes them",
            found.overdue_obligations,
            "owner",
            "obligations",
            f"As of {found.on.isoformat()}; also {found.overdue_deadlines} deadline(s) overdue "
            "(deadlines have no owner).",
            "Overdue obligations by owner",
        ),
        Table(
            "schools",
            "By school",
            (
                "school",
                "role",
                "cases",
                "offers_within",
                "offers_late",
                "successful",
                "unsuccessful",
                "withdrawn",
                "weighting",
            ),
            schools,
        ),
    ]


LONG_COLUMNS = ("section", "item", "measure", "value", "key")
"""The long table's columns: the first four those of the first release, new ones after them."""


def long_rows(found: Figures) -> list[dict[str, Value]]:
    """Every table in one long table, a row per value (for CSV and pivot tables): the table's
    key, the row's first cell, the column, the value, and the row's name as the JSON gives it
    (`host_identified` where the first cell reads "host identified")."""
    rows: list[dict[str, Value]] = []
    for table in tables(found):
        columns, keyed = table.keyed()
        first, *measures = columns[:-1]
        for row in keyed:
            for measure in measures:
                rows.append(
                    {
                        "section": table.key,
                        "item": row[first],
                        "measure": measure,
                        "value": row[measure],
                        "key": row["key"],
                    }
                )
    return rows
