"""The numbers officers and panels act on, worked out by hand: an oracle for the report's
figures (docs/reports.md), the Fair Access weightings (PROTOCOL.md, `weightings`; seed step 10)
and what is due by a date (PROTOCOL.md, `due`).

It reads only each case's public history (each transition's trigger, stages, date and the forms
it records) and a calendar's term dates and closures; school days are counted here, with the
England bank holidays taken from `holidays` directly. It never calls the library's reports,
its stores' `weightings`, `ledger` or `due`, its calendar's counting, nor a case's own
deadlines, obligations or weighting adjustments: each is worked out again from the forms, so
that a test comparing the two can fail. The only facts taken as recorded are the departures,
which the seed's *should*s name case by case; the oracle counts them by date and rule. Which
names are one school is the rules' definition, not a count: the oracle compares them by the
fold the rules compare names by (`fields.folded_name`), and shows a school named in several
ways under its first spelling, as docs/stores.md and docs/reports.md say.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import holidays

from reintegration_fsm import Transition
from reintegration_fsm.fields import folded_name

PLACE_OFFER_SCHOOL_DAYS = 20
"""Seed, Procedures: "the law requires an offer of a school place to be made within 20 school
days" (referral day not counted, PROTOCOL.md R5)."""
WEIGHTING_POINTS = 3
"""Seed step 10: a permanent move is a transfer in (+3) and a transfer out (-3)."""
JOINERS_RETURN_DAYS = 5
"""The joiners return is due by the end of the fifth day after the start (docs/sources.md)."""
FINAL = ("successful", "unsuccessful", "withdrawn")
REVIEWS = ("first_review", "second_review", "final_review")
BUCKET = 5


class SchoolDays:
    """School days counted by hand: weekdays inside a term that are neither an England bank
    holiday nor a closure (PROTOCOL.md, School calendar)."""

    def __init__(self, terms: Iterable[tuple[dt.date, dt.date]], closures: Iterable[dt.date]):
        spans = sorted(terms)
        self.first, self.last = spans[0][0], spans[-1][1]
        years = range(self.first.year, self.last.year + 1)
        bank = set(holidays.country_holidays("GB", subdiv="ENG", years=years))
        shut = set(closures)
        self.days: list[dt.date] = []
        for start, end in spans:
            day = start
            while day <= end:
                if day.weekday() < 5 and day not in bank and day not in shut:
                    self.days.append(day)
                day += dt.timedelta(days=1)

    def known(self, *days: dt.date) -> bool:
        """Whether every day given lies within the terms (else a count is unknown, not guessed)."""
        return all(self.first <= day <= self.last for day in days)

    def after(self, day: dt.date, n: int) -> dt.date:
        """The n-th school day after `day` (`day` itself never counts)."""
        return [d for d in self.days if d > day][n - 1]

    def between(self, first: dt.date, last: dt.date) -> int | None:
        """School days after `first` up to and including `last`; None outside the terms."""
        if not self.known(first, last):
            return None
        return sum(first < d <= last for d in self.days)


# -- a case, read from its history ------------------------------------------------------------
@dataclass
class Deadline:
    kind: str
    due: dt.date
    set_on: dt.date
    met_on: dt.date | None = None


@dataclass
class Owed:
    kind: str
    owner: str
    due: dt.date | None
    opened_on: dt.date


@dataclass
class Story:
    """What a case's history says, up to a day."""

    case_id: str
    authority: str
    ap_setting: str
    opened_on: dt.date
    stage: str
    host_school: str | None = None
    ended_on: dt.date | None = None
    deadlines: list[Deadline] = field(default_factory=list)
    owed: list[Owed] = field(default_factory=list)
    departures: list[tuple[str, dt.date]] = field(default_factory=list)
    emergencies: list[tuple[str, dt.date]] = field(default_factory=list)
    """("called", day), ("continued", day) or ("ended", day)."""
    outcome: tuple[str, dt.date] | None = None
    permanent_from: dt.date | None = None

    @property
    def final(self) -> bool:
        return self.stage in FINAL

    def binds(self, deadline: Deadline) -> bool:
        """Whether an unmet deadline still binds: not once the case ended, nor a review once
        an emergency review ended the placement (no step can hold it then)."""
        if deadline.met_on is not None or self.final:
            return False
        return deadline.kind == "place_offer" or all(w != "ended" for w, _ in self.emergencies)


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _meet(story: Story, kinds: Sequence[str], on: dt.date) -> None:
    """A meeting meets the earliest unmet deadline of the kinds it can meet."""
    unmet = [d for d in story.deadlines if d.kind in kinds and d.met_on is None]
    if unmet:
        min(unmet, key=lambda d: (d.due, kinds.index(d.kind))).met_on = on


def read(history: Sequence[Transition], days: SchoolDays, as_of: dt.date | None = None) -> Story:
    """The case as its history tells it, at the end of `as_of` (all of it when None)."""
    first = history[0]
    story = Story(
        first.data["case_id"],
        first.data["local_authority"],
        first.data["ap_setting"],
        first.on,
        first.dest.value,
    )
    for transition in history:
        on = transition.on
        if as_of is not None and on > as_of:
            break
        data = transition.data
        trigger = transition.trigger
        story.stage = transition.dest.value

        def owe(kind: str, owner: str, due: dt.date | None = None, *, on: dt.date = on) -> None:
            story.owed.append(Owed(kind, owner, due, on))

        if trigger == "refer_to_fair_access":
            due = days.after(on, PLACE_OFFER_SCHOOL_DAYS)
            story.deadlines.append(Deadline("place_offer", due, on))
            if data["route"] == "virtual":
                owe("note_at_panel", "la")
        elif trigger == "identify_host":
            story.host_school = data["host_school"]
            _meet(story, ("place_offer",), on)
            owe("share_information_with_host", "ap")
            owe("offer_visit", "ap")
        elif trigger == "hold_initial_meeting":
            meeting = data["meeting"]
            for kind in REVIEWS:
                story.deadlines.append(Deadline(kind, _day(meeting[kind]), on))  # type: ignore[arg-type]
            owe("send_paperwork_to_admissions", "ap")
        elif trigger == "start_placement":
            owe("complete_joiners_form", "host", on + dt.timedelta(days=JOINERS_RETURN_DAYS))
            owe("mark_dual_registration", "ap")
        elif trigger == "hold_review":
            meeting = data["meeting"]
            if meeting["kind"] == "final":
                _meet(story, ("final_review",), on)
                story.permanent_from = _day(meeting["permanent_from"])
                if meeting["decision"] == "continue" and meeting["next_meeting"]:
                    story.deadlines.append(
                        Deadline("final_review", _day(meeting["next_meeting"]), on)  # type: ignore[arg-type]
                    )
            else:
                _meet(story, ("first_review", "second_review"), on)
            owe("send_paperwork_to_admissions", "ap")
        elif trigger == "call_emergency_review":
            story.emergencies.append(("called", on))
        elif trigger == "hold_emergency_review":
            ended = data["meeting"]["decision"] == "end"
            story.emergencies.append(("ended" if ended else "continued", on))
            owe("send_paperwork_to_admissions", "ap")
            if ended:
                effective = _day(data["letter"]["effective_date"])
                owe("send_failure_letter", "host")
                owe("delete_from_roll", "host", effective)
                owe("notify_portal", "host", effective)
                owe("arrange_home_school_meeting", "ap")
                owe("consent_to_deletion", "ap", effective)
        elif trigger == "record_successful_outcome":
            if data["form"]["joiner_form_completed"]:
                _close(story, "complete_joiners_form")
            moved = story.permanent_from
            owe("complete_leavers_form", "ap", moved)
            owe("transfer_records", "ap")
            owe("delete_from_roll", "ap", moved)
            owe("consent_to_deletion", "host", moved)
            owe("return_outcome_form", "host")
            owe("adjust_weightings", "la")
            owe("redesignate_transport", "la")
        elif trigger == "record_unsuccessful_outcome":
            owe("send_paperwork_to_admissions", "ap")
        elif trigger == "note_at_panel":
            _close(story, "note_at_panel")
        elif trigger == "discharge":
            _close(story, data["kind"])
        story.departures += [(d["rule"], on) for d in data.get("departures", ())]
        if transition.dest.value in FINAL and transition.source != transition.dest:
            story.ended_on = on
            story.outcome = (transition.dest.value, on)
    return story


def _close(story: Story, kind: str) -> None:
    """Close the oldest open obligation of that kind (PROTOCOL.md, Obligations)."""
    for owed in story.owed:
        if owed.kind == kind:
            story.owed.remove(owed)
            return


# -- the Fair Access weightings ----------------------------------------------------------------
def weightings(
    histories: Iterable[Sequence[Transition]], start: dt.date, end: dt.date
) -> dict[str, int]:
    """School -> net points from the permanent moves dated `start` to `end`, both included:
    +3 for the host school the child joined, -3 for the AP setting left (seed step 10). A
    school named in several ways is one, under the name of its earliest move (by date, then
    case id)."""
    moves: list[tuple[dt.date, str, str, int]] = []
    for history in histories:
        host = None
        for transition in history:
            if transition.trigger == "identify_host":
                host = transition.data["host_school"]
            moved = transition.dest.value == "successful" and transition.source != transition.dest
            if moved and start <= transition.on <= end:
                assert host is not None
                case_id = history[0].data["case_id"]
                moves.append((transition.on, case_id, host, WEIGHTING_POINTS))
                moves.append(
                    (transition.on, case_id, history[0].data["ap_setting"], -WEIGHTING_POINTS)
                )
    named: dict[str, str] = {}
    totals: Counter[str] = Counter()
    for _, _, school, points in sorted(moves):
        totals[named.setdefault(folded_name(school), school)] += points
    return dict(sorted(totals.items()))


# -- what is due ------------------------------------------------------------------------------
Item = tuple[str, str, dt.date | None, str, str | None]


def due(stories: Iterable[Story], on: dt.date) -> list[Item]:
    """(case id, kind, due, "deadline" or "obligation", owner) of what binds on `on`: the unmet
    deadlines that still bind (`Story.binds`) due by then, and the open obligations due by then,
    an undated one from the day it was opened; dated ones soonest first, undated ones last."""
    found: list[Item] = []
    for story in stories:
        found += [
            (story.case_id, d.kind, d.due, "deadline", None)
            for d in story.deadlines
            if story.binds(d) and d.due <= on
        ]
        found += [
            (story.case_id, o.kind, o.due, "obligation", o.owner)
            for o in story.owed
            if (o.due is not None and o.due <= on) or (o.due is None and o.opened_on <= on)
        ]
    return sorted(found, key=due_order)


def due_order(item: tuple[Any, ...]) -> tuple[Any, ...]:
    """Soonest first, undated last; the rest by case id, kind and owner (an order for
    comparing, not the library's ties)."""
    case_id, kind, when, what, owner = item
    return (when is None, when or dt.date.min, case_id, what, kind, owner or "")


# -- the report -------------------------------------------------------------------------------
def _buckets(offers: Iterable[tuple[int, bool]]) -> dict[str, int]:
    """School days to an offer in bars of five (0-5, 6-10, ...) up to ten past the limit; an
    offer made late in no more than the limit's school days (in the holiday after its due
    day) in a bar of its own, "after-due-day"."""
    top = -(-(PLACE_OFFER_SCHOOL_DAYS + 10) // BUCKET) * BUCKET
    found: Counter[str] = Counter()
    for value, within in offers:
        if not within and value <= PLACE_OFFER_SCHOOL_DAYS:
            found["after-due-day"] += 1
        elif value > top:
            found[f"over-{top}"] += 1
        elif value <= BUCKET:
            found[f"0-{BUCKET}"] += 1
        else:
            high = -(-value // BUCKET) * BUCKET
            found[f"{high - BUCKET + 1}-{high}"] += 1
    return dict(found)


def report(
    stories: Iterable[Story],
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    days: SchoolDays | None,
    school: str | None = None,
) -> dict[str, Any]:
    """The report's figures (docs/reports.md) for the cases as they stood at the end of
    `as_of`, open on some day from `start` to `end`: counts by key, zero counts left out."""

    def inside(day: dt.date | None) -> bool:
        return day is not None and start <= day <= end

    def same(name: str | None, other: str) -> bool:
        return name is not None and folded_name(name) == folded_name(other)

    shown = [
        s
        for s in stories
        if s.opened_on <= as_of
        and (school is None or same(s.ap_setting, school) or same(s.host_school, school))
    ]
    chosen = [
        s for s in shown if s.opened_on <= end and (s.ended_on is None or s.ended_on >= start)
    ]
    # A school named in several ways is one row, under its name in the case opened first.
    first: dict[str, str] = {}
    for story in sorted(chosen, key=lambda s: (s.opened_on, s.case_id)):
        for name in (story.ap_setting, story.host_school):
            if name is not None:
                first.setdefault(folded_name(name), name)

    def spelt(name: str) -> str:
        return first[folded_name(name)]

    stages = Counter(s.stage for s in chosen)
    offers: Counter[str] = Counter()
    made = []
    reviews: Counter[str] = Counter()
    emergencies: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    departures: Counter[str] = Counter()
    owed: Counter[str] = Counter()
    overdue_deadlines = 0
    totals: Counter[str] = Counter()
    rows: dict[str, Counter[str]] = {}
    for story in chosen:
        ap = rows.setdefault(spelt(story.ap_setting), Counter())
        ap["ap"], ap["cases"] = 1, ap["cases"] + 1
        host = None
        if story.host_school is not None:
            host = rows.setdefault(spelt(story.host_school), Counter())
            host["host"], host["cases"] = 1, host["cases"] + 1
        # A deadline is missed when unmet on the day though due before the case stopped
        # needing it: before it ended, or, for a review, before its placement ended.
        placement_ended = min(
            [day for what, day in story.emergencies if what == "ended"]
            + ([story.ended_on] if story.ended_on else []),
            default=None,
        )
        for deadline in story.deadlines:
            overdue = story.binds(deadline) and deadline.due < as_of
            overdue_deadlines += overdue
            needed_until = story.ended_on if deadline.kind == "place_offer" else placement_ended
            missed = (
                deadline.met_on is None
                and deadline.due < as_of
                and (needed_until is None or deadline.due < needed_until)
            )
            if deadline.kind == "place_offer":
                if inside(deadline.met_on):
                    assert deadline.met_on is not None
                    within = deadline.met_on <= deadline.due
                    offers["within" if within else "breached"] += 1
                    if host is not None:
                        host["offers_within" if within else "offers_late"] += 1
                    made.append(
                        {
                            "case_id": story.case_id,
                            "host_school": story.host_school or "",
                            "referred_on": deadline.set_on.isoformat(),
                            "due": deadline.due.isoformat(),
                            "offered_on": deadline.met_on.isoformat(),
                            "school_days": None
                            if days is None
                            else days.between(deadline.set_on, deadline.met_on),
                            "within": within,
                        }
                    )
                elif inside(deadline.due) and missed:
                    offers["overdue"] += 1
                elif deadline.met_on is None and not story.final and deadline.due >= as_of:
                    offers["awaiting"] += 1
            elif inside(deadline.met_on):
                assert deadline.met_on is not None
                reviews["on_time" if deadline.met_on <= deadline.due else "late"] += 1
            elif inside(deadline.due) and missed:
                reviews["overdue"] += 1
        for what, day in story.emergencies:
            if inside(day):
                emergencies[what] += 1
        if story.outcome is not None and inside(story.outcome[1]):
            outcome = story.outcome[0]
            outcomes[outcome] += 1
            for name in {story.ap_setting, story.host_school} - {None}:
                rows[spelt(name)][outcome] += 1  # type: ignore[arg-type]
            if outcome == "successful":
                assert story.host_school is not None
                totals[spelt(story.host_school)] += WEIGHTING_POINTS
                totals[spelt(story.ap_setting)] -= WEIGHTING_POINTS
        departures.update(rule for rule, day in story.departures if inside(day))
    for story in shown:  # every case's obligations are work, ended before the period or not
        owed.update(o.owner for o in story.owed if o.due is not None and o.due < as_of)
    made.sort(key=lambda offer: (offer["offered_on"], offer["case_id"]))
    known = [o["school_days"] for o in made if o["school_days"] is not None]
    ended = outcomes["successful"] + outcomes["unsuccessful"]
    roles = {(1, 0): "AP setting", (0, 1): "host school", (1, 1): "AP setting and host school"}
    return {
        "cases": len(chosen),
        "by_stage": dict(stages),
        "offers": {k: v for k, v in offers.items() if k != "awaiting" and v},
        "awaited": offers["awaiting"],
        "days_to_offer": _buckets(
            (o["school_days"], o["within"]) for o in made if o["school_days"] is not None
        ),
        "days_unknown": len(made) - len(known),
        "made": made,
        "reviews": dict(reviews),
        "emergency_reviews": dict(emergencies),
        "outcomes": dict(outcomes),
        "success_rate": None if ended == 0 else round(100 * outcomes["successful"] / ended, 1),
        "departures": dict(departures),
        "overdue_obligations": dict(owed),
        "overdue_deadlines": overdue_deadlines,
        "schools": [
            {
                "school": name,
                "role": roles[(row["ap"], row["host"])],
                "cases": row["cases"],
                "offers_within": row["offers_within"],
                "offers_late": row["offers_late"],
                "successful": row["successful"],
                "unsuccessful": row["unsuccessful"],
                "withdrawn": row["withdrawn"],
                "weighting": totals[name],
            }
            for name, row in sorted(rows.items())
            if school is None or same(name, school)
        ],
        # A school's report gives that school's points alone (review R, R4).
        "weightings": {
            name: points
            for name, points in sorted(totals.items())
            if school is None or same(name, school)
        },
    }


def library_view(found: dict[str, Any]) -> dict[str, Any]:
    """The library's report JSON (`Figures.to_json()`) in the oracle's shape: counts by key,
    zero counts left out."""

    def counts(items: Iterable[dict[str, Any]]) -> dict[str, int]:
        return {c["key"]: c["count"] for c in items if c["count"]}

    offers = found["offers"]
    return {
        "cases": found["cases"],
        "by_stage": counts(found["cases_by_stage"]),
        "offers": counts(offers["counts"]),
        "awaited": offers["awaited"],
        "days_to_offer": counts(offers["days_to_offer"]),
        "days_unknown": offers["days_unknown"],
        "made": offers["made"],
        "reviews": counts(found["reviews"]),
        "emergency_reviews": counts(found["emergency_reviews"]),
        "outcomes": counts(found["outcomes"]["counts"]),
        "success_rate": found["outcomes"]["success_rate"],
        "departures": counts(found["departures_by_rule"]),
        "overdue_obligations": counts(found["overdue_obligations_by_owner"]),
        "overdue_deadlines": found["overdue_deadlines"],
        "schools": found["schools"],
        "weightings": found["weightings"],
    }
