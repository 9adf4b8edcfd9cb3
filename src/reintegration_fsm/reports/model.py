"""What the report's figures are: counts with their totals, offers, each school's part, and
`Figures`, the one plain value every format of the report is drawn from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from reintegration_fsm.reports.periods import Period

PLACES = 1
"""Decimal places a percentage is given to, unless that would round a share to 0 or 100."""


def share(count: int, total: int) -> float | None:
    """`count` as a percentage of `total` (None when no total), to one decimal place; a share
    that is neither none nor all takes the places it needs never to read 0 or 100 (1 of 3,000
    is 0.03)."""
    if total == 0:
        return None
    exact = 100 * count / total
    places = PLACES
    # 15 places reach any share of a count a float holds exactly.
    while 0 < count < total and round(exact, places) in (0, 100) and places < 15:
        places += 1
    return round(exact, places)


NOT_AVAILABLE = "–"
"""What the page shows for a figure that is not available (a share of none, an empty cell);
the HTML page has screen readers read it as "not available"."""


def percent_text(value: float | None) -> str:
    """A percentage as the page shows it: "33.3%", "<0.1%" or ">99.9%" for a share that is
    neither none nor all, `NOT_AVAILABLE` for none."""
    if value is None or value != value:
        return NOT_AVAILABLE
    if 0 < value < 10**-PLACES:
        return f"<{10**-PLACES:g}%"
    if 100 - 10**-PLACES < value < 100:
        return f">{100 - 10**-PLACES:g}%"
    return f"{value:g}%"


@attrs.frozen
class Count:
    """How many of `total` fell in one category (`key` for scripts, `label` for people)."""

    key: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        """The count as a percentage of the total (None when no total): see `share`."""
        return share(self.count, self.total)


@attrs.frozen
class Offer:
    """One place offer (R5): referred on `referred_on`, due `due`, made on `offered_on`."""

    case_id: str
    host_school: str
    referred_on: dt.date
    due: dt.date
    offered_on: dt.date
    school_days: int | None
    """School days from the referral to the offer (the referral day not counted); None when no
    calendar knows both dates."""
    limit: int
    """The protocol's school days for an offer (20 for Worcestershire)."""

    @property
    def within(self) -> bool:
        """Made by its due date."""
        return self.offered_on <= self.due

    @property
    def after_due_day(self) -> bool:
        """Made late, yet in no more school days than its limit: after its due day, before the
        next school day (in a holiday, say)."""
        return not self.within and self.school_days is not None and self.school_days <= self.limit


@attrs.frozen
class SchoolRow:
    """One school's part in the period: as AP setting, as host, or both."""

    school: str
    role: str
    """"AP setting", "host school" or "AP setting and host school"."""
    cases: int
    offers_within: int
    offers_late: int
    """Offers made after their due day (deadline breached), as the host school."""
    successful: int
    unsuccessful: int
    withdrawn: int
    weighting: int
    """Net Fair Access points from successful moves in the period (R13)."""


@attrs.frozen
class Figures:
    """Every figure of the report, for one period (and one school, when asked)."""

    period: Period
    on: dt.date
    """The day the figures describe the cases as of (overdue work is judged on it)."""
    school: str | None
    """The one school the figures are for (as its row names it), None for every school."""
    school_days: str
    """How school days were counted: the calendars used, or that none was known."""
    cases: int
    by_stage: tuple[Count, ...]
    offers: tuple[Count, ...]
    offers_awaited: int
    """Referrals waiting for an offer that is not yet due on `on` (neither kept nor broken)."""
    offer_limit: int | None
    """The protocol's school days for an offer, when every case shares one."""
    days_to_offer: tuple[Count, ...]
    offers_made: tuple[Offer, ...]
    offers_days_unknown: int
    reviews: tuple[Count, ...]
    emergency_reviews: tuple[Count, ...]
    outcomes: tuple[Count, ...]
    success_rate: float | None
    """Successful outcomes as a percentage of the placements that ended (withdrawals aside)."""
    departures: tuple[Count, ...]
    overdue_obligations: tuple[Count, ...]
    overdue_deadlines: int
    """Unmet deadlines past due on `on` (deadlines have no owner)."""
    schools: tuple[SchoolRow, ...]
    weightings: tuple[tuple[str, int], ...]
    """School -> net Fair Access points from successes in the period, by school."""
    offer_limits: tuple[tuple[str, int], ...] = ()
    """Each protocol of the counted cases (by title) and its school days for an offer."""
    offer_limits_by_protocol: tuple[tuple[str, str, str, int], ...] = ()
    """Each protocol of the counted cases, `(title, id, version, school days for an offer)`:
    a revised version keeps its title, and its id and version tell it apart."""

    @property
    def offer_deadline(self) -> str:
        """The offer deadline in words: "20 school days", or each protocol's when they differ."""
        if self.offer_limit is not None:
            return f"{self.offer_limit} school days"
        return "each protocol's school days" if self.offer_limits else "the protocol's school days"

    @property
    def offer_deadline_note(self) -> str:
        """The offer deadline as a sentence, naming each protocol's when they differ."""
        if self.offer_limit is not None:
            return f"The deadline is {self.offer_limit} school days."
        if not self.offer_limits:
            return ""
        each = "; ".join(
            f"{title} ({protocol_id} {version}): {days} school days"
            for title, protocol_id, version, days in self.offer_limits_by_protocol
        )
        return f"The deadline differs by protocol: {each}."

    def to_json(self) -> dict[str, Any]:
        """The figures as plain JSON (dates ISO, each count with its percent).

        Typed as `json.loads` is: with `object` values, reading a nested figure
        (`to_json()["offers"]["limit_school_days"]`) needed a cast (review TY, TY4)."""

        def counts(found: Sequence[Count]) -> list[dict[str, object]]:
            return [
                {
                    "key": c.key,
                    "label": c.label,
                    "count": c.count,
                    "total": c.total,
                    "percent": c.percent,
                }
                for c in found
            ]

        return {
            "period": {
                "name": self.period.name or None,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "as_of": self.on.isoformat(),
            "school": self.school,
            "school_days": self.school_days,
            "cases": self.cases,
            "cases_by_stage": counts(self.by_stage),
            "offers": {
                "limit_school_days": self.offer_limit,
                "limits_by_protocol": [
                    {"protocol": title, "id": protocol_id, "version": version, "school_days": days}
                    for title, protocol_id, version, days in self.offer_limits_by_protocol
                ],
                "counts": counts(self.offers),
                "awaited": self.offers_awaited,
                "days_to_offer": counts(self.days_to_offer),
                "days_unknown": self.offers_days_unknown,
                "made": [
                    {
                        "case_id": o.case_id,
                        "host_school": o.host_school,
                        "referred_on": o.referred_on.isoformat(),
                        "due": o.due.isoformat(),
                        "offered_on": o.offered_on.isoformat(),
                        "school_days": o.school_days,
                        "within": o.within,
                    }
                    for o in self.offers_made
                ],
            },
            "reviews": counts(self.reviews),
            "emergency_reviews": counts(self.emergency_reviews),
            "outcomes": {"counts": counts(self.outcomes), "success_rate": self.success_rate},
            "departures_by_rule": counts(self.departures),
            "overdue_obligations_by_owner": counts(self.overdue_obligations),
            "overdue_deadlines": self.overdue_deadlines,
            "schools": [attrs.asdict(row) for row in self.schools],
            "weightings": dict(self.weightings),
        }
