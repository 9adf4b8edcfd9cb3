"""The figures a Fair Access panel and an inspection ask for, computed from cases.

`figures(cases, period, ...)` reads each case's stage, deadlines, obligations, departures and
history (never the database) into `Figures`, a plain frozen value; every format of the report
(HTML, JSON, CSV, xlsx) is drawn from that one value. The report names no child: case ids and
schools only.

What each figure counts, and over which days, is in docs/reports.md.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.docstrings import docstring
from reintegration_fsm.errors import CalendarError, FormInvalid, ProtocolError, describe
from reintegration_fsm.fields import is_day, spellings
from reintegration_fsm.protocol.definition import DAYS_MOST, WORCESTERSHIRE
from reintegration_fsm.protocol.reading import deadlines_set
from reintegration_fsm.protocol.steps import STEPS
from reintegration_fsm.reports.model import Count, Figures, Offer, SchoolRow, share
from reintegration_fsm.reports.periods import Period
from reintegration_fsm.rules import at_school, same_name
from reintegration_fsm.vocabulary import DeadlineKind, Party, Stage

REVIEW_DEADLINES = (
    DeadlineKind.FIRST_REVIEW,
    DeadlineKind.SECOND_REVIEW,
    DeadlineKind.FINAL_REVIEW,
)
OUTCOMES = (Stage.SUCCESSFUL, Stage.UNSUCCESSFUL, Stage.WITHDRAWN)
OWNERS = (Party.AP, Party.HOST, Party.LA)
OWNER_NAMES = {Party.AP: "AP setting", Party.HOST: "host school", Party.LA: "local authority"}
BUCKET = 5
"""School days per bar of the distribution of days to an offer."""
AFTER_DUE_DAY = "after-due-day"
"""The bar of offers made late in no more school days than their limit: after the due day,
before the next school day (a holiday)."""


def _rule_descriptions() -> dict[str, str]:
    """Each rule that records departures, described by its check's docstring."""
    found: dict[str, str] = {}
    for step in STEPS:
        for rule, check in step.departures:
            first = next(iter(docstring(check).splitlines()), "")  # the words, also under -OO
            found[rule] = first.split(":", 1)[1].strip() if ":" in first else first
    return found


RULES = _rule_descriptions()
"""Rule -> what its departures are about ("R9" -> "the child attends, and their views ...")."""


# -- reading a case --------------------------------------------------------------------------
def in_period(case: Reintegration, period: Period) -> bool:
    """Whether the case was open on some day of the period."""
    if case.opened_on > period.end:
        return False
    ended = case.closed_on
    return ended is None or ended >= period.start


def concerns(case: Reintegration, school: str | None) -> bool:
    """Whether `school` is the case's AP setting or host school, named in any of the ways the
    rules read as the same name (`rules.at_school`); any case when None."""
    return school is None or at_school(school, case.ap_setting, case.host_school)


def _school_days(calendar: SchoolCalendar | None, first: dt.date, last: dt.date) -> int | None:
    if calendar is None:
        return None
    try:
        return calendar.school_days_between(first, last)
    except CalendarError:
        return None


def _set_on(case: Reintegration) -> dict[tuple[DeadlineKind, dt.date], dt.date]:
    """Each deadline, by kind and due date, to the day the step that set it was taken."""
    found: dict[tuple[DeadlineKind, dt.date], dt.date] = {}
    try:
        set_by = deadlines_set(list(case.history))
    except ProtocolError:  # a history that cannot be read counts no days
        return found
    for transition, deadlines in set_by:
        for deadline in deadlines:
            found.setdefault((deadline.kind, deadline.due), transition.on)
    return found


def _offers(case: Reintegration, period: Period, calendar: SchoolCalendar | None) -> list[Offer]:
    set_on = _set_on(case)
    found = []
    for deadline in case.deadlines:
        if deadline.kind is not DeadlineKind.PLACE_OFFER or deadline.met_on not in period:
            continue
        assert deadline.met_on is not None
        referred = set_on.get((deadline.kind, deadline.due), deadline.met_on)
        found.append(
            Offer(
                case.case_id,
                case.host_school or "",
                referred,
                deadline.due,
                deadline.met_on,
                _school_days(calendar, referred, deadline.met_on),
                case.protocol.place_offer_school_days,
            )
        )
    return found


def as_it_stood(case: Reintegration, on: dt.date) -> Reintegration | None:
    """The case as it stood at the end of `on`: replayed from its steps dated up to that day,
    on its own calendar and protocol (None when it was not yet opened). A case with no later
    step is given back as it is."""
    if all(transition.on <= on for transition in case.history):
        return case
    kept = [transition for transition in case.history if transition.on <= on]
    if not kept:
        return None
    return Reintegration.replay(kept, case.calendar, (case.protocol,))


# -- the figures -----------------------------------------------------------------------------
def _counts(counter: Counter[str], keys: Iterable[tuple[str, str]]) -> tuple[Count, ...]:
    pairs = list(keys)
    total = sum(counter[key] for key, _ in pairs)
    return tuple(Count(key, label, counter[key], total) for key, label in pairs)


def _buckets(offers: Sequence[Offer], limits: Collection[int]) -> tuple[Count, ...]:
    """Days to an offer in bars of `BUCKET` school days, a bar ending at each protocol's limit
    (so that none holds days both within and past one), up to ten days past the highest limit;
    then one bar for the rest. An offer made late in no more school days than its limit (after
    its due day, before the next school day) has a bar of its own past the highest limit."""
    # A limit past ten years (a protocol an earlier version took, which loads for its cases;
    # a new case's is the law's 20 at most) ends no bar: its bars would number millions.
    drawn = {days for days in limits if days <= DAYS_MOST} or {DAYS_MOST}
    last = max(drawn)
    ends = sorted(set(range(BUCKET, last, BUCKET)) | drawn | {last + BUCKET, last + 2 * BUCKET})
    keys: list[tuple[str, str]] = []
    low = 0
    for high in ends:
        keys.append((f"{low}-{high}", f"{low}–{high}" if low < high else str(low)))
        low = high + 1
    keys.append((f"over-{ends[-1]}", f"over {ends[-1]}"))
    counter: Counter[str] = Counter()
    for offer in offers:
        if offer.school_days is None:
            continue
        if offer.after_due_day:
            counter[AFTER_DUE_DAY] += 1
            continue
        days = offer.school_days
        bar = next((key for (key, _), high in zip(keys, ends, strict=False) if days <= high), None)
        counter[bar or keys[-1][0]] += 1
    if counter[AFTER_DUE_DAY]:
        keys.insert(ends.index(last) + 1, (AFTER_DUE_DAY, "after its due day"))
    return _counts(counter, keys)


def _calendar_note(used: set[str], unknown: int, known: int) -> str:
    if not used:
        return (
            "unknown: no school calendar was given, so school days are not counted "
            "(on the command line, give --calendar)"
        )
    names = "; ".join(sorted(used))
    note = f"counted on the calendar: {names}"
    if unknown:
        note += f" ({unknown} of {unknown + known} offers fall outside it and are not counted)"
    return note


def figures(
    cases: Iterable[Reintegration],
    period: Period,
    *,
    on: dt.date | None = None,
    school: str | None = None,
    calendar: SchoolCalendar | None = None,
    owed_elsewhere: Iterable[Party] = (),
) -> Figures:
    """The report's figures for the cases open during `period` (and concerning `school`),
    each as it stood at the end of `on`; the obligations overdue on `on` of every case given.

    Args:
        cases: the cases to count from (others' are left out by period and school). A case
            holding steps dated after `on` is counted as it stood then (`as_it_stood`).
        period: the days the report covers, both included.
        on: the day the figures are for, and overdue work is judged on, today at the latest
            (default: the period's end, or today if that comes first).
        school: only cases with this AP setting or host school.
        calendar: counts school days for a case that has no calendar of its own.
        owed_elsewhere: the party owing each further obligation overdue on `on`, of cases not
            given (the command line reads those of cases ended before the period this way).

    Raises:
        FormInvalid: `on` is not a date (a datetime, a text), or is after today (the figures of
            a day still to come cannot be known: cases would be judged as they stand today,
            and deadlines missed that are not yet due); or the period starts after the
            figures' day (a year still to come): no case was open on any of its days yet, and
            the cases as they stand would show in it.
    """
    today = dt.date.today()
    if on is not None:
        if not is_day(on):
            raise FormInvalid("figures", "on", f"must be a date, not {describe(on)}")
        if on > today:
            raise FormInvalid(
                "figures",
                "on",
                f"{on.isoformat()} is after today ({today.isoformat()}): the figures of a day "
                "still to come cannot be known; give today or a day before it",
            )
    as_of = on or min(period.end, today)
    if period.start > as_of:
        called = period.name or f"from {period.start} to {period.end}"
        raise FormInvalid(
            "figures",
            "period",
            f"the period {called} starts after the figures' day ({as_of}): no day of it has "
            "come to count",
        )
    chosen: list[Reintegration] = []
    owed: Counter[str] = Counter(party.value for party in owed_elsewhere)
    for given in cases:
        case = as_it_stood(given, as_of)
        if case is None or not concerns(case, school):
            continue
        for obligation in case.obligations:
            if obligation.due is not None and obligation.due < as_of:
                owed[obligation.owner.value] += 1
        if in_period(case, period):
            chosen.append(case)
    stages: Counter[str] = Counter(case.stage.value for case in chosen)
    offers: list[Offer] = []
    offer_counts: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    emergencies: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    departures: Counter[str] = Counter()
    overdue_deadlines = 0
    calendars: set[str] = set()
    weightings: Counter[str] = Counter()
    per_school: dict[str, Counter[str]] = {}
    limits: set[tuple[str, str, str, int]] = set()

    # A school named in several ways is one row, under the spelling of the case opened first.
    first_opened = sorted(chosen, key=lambda case: (case.opened_on, case.case_id))
    shown = spellings(
        name
        for case in first_opened
        for name in (case.ap_setting, case.host_school)
        if name is not None
    )

    def school_row(name: str, role: str) -> Counter[str]:
        row = per_school.setdefault(shown[name], Counter())
        row[role] = 1
        return row

    for case in chosen:
        used = case.calendar or calendar
        school_row(case.ap_setting, "ap")["cases"] += 1
        host_row = None if case.host_school is None else school_row(case.host_school, "host")
        if host_row is not None:
            host_row["cases"] += 1
        named = case.protocol
        limits.add((named.title, named.id, named.version, named.place_offer_school_days))
        made = _offers(case, period, used)
        if used is not None:
            calendars.add(used.source or "an unnamed calendar")
        offers += made
        for offer in made:
            offer_counts["within" if offer.within else "breached"] += 1
            if host_row is not None:
                host_row["offers_within" if offer.within else "offers_late"] += 1
        case_ended = case.closed_on
        # Overdue work the due list shows: unmet, past due, and still binding.
        binding = case.pending_deadlines
        for deadline in case.deadlines:
            if deadline.kind is DeadlineKind.PLACE_OFFER:
                if deadline.due in period and case.missed(deadline, as_of):
                    offer_counts["overdue"] += 1
                elif deadline.met_on is None and case_ended is None and deadline.due >= as_of:
                    offer_counts["awaiting"] += 1
            elif deadline.met_on in period:
                assert deadline.met_on is not None
                reviews["late" if deadline.breached else "on_time"] += 1
            elif deadline.due in period and case.missed(deadline, as_of):
                reviews["overdue"] += 1
            if deadline.due < as_of and deadline in binding:
                overdue_deadlines += 1
        for transition in case.history:
            if transition.on not in period:
                continue
            if transition.trigger == "call_emergency_review":
                emergencies["called"] += 1
            elif transition.trigger == "hold_emergency_review":
                ended = transition.dest is not Stage.IN_PLACEMENT
                emergencies["ended" if ended else "continued"] += 1
            if transition.source != transition.dest and transition.dest in OUTCOMES:
                outcomes[transition.dest.value] += 1
                for name in {case.ap_setting, case.host_school} - {None}:
                    assert name is not None
                    per_school[shown[name]][transition.dest.value] += 1
                for name, points in case.weighting_adjustments.items():
                    weightings[shown[name]] += points
        when = {t.seq: t.on for t in case.history}
        for departure in case.departures:
            if when.get(departure.seq) in period:
                departures[departure.rule] += 1

    if calendar is not None and not calendars:  # no case to count: the calendar was still given
        calendars.add(calendar.source or "an unnamed calendar")
    for name, points in weightings.items():
        per_school.setdefault(name, Counter())["weighting"] = points
    known = [o.school_days for o in offers if o.school_days is not None]
    school_days = {days for *_, days in limits} or {WORCESTERSHIRE.place_offer_school_days}
    limit = next(iter(school_days)) if limits and len(school_days) == 1 else None
    role_names = {
        (True, False): "AP setting",
        (False, True): "host school",
        (True, True): "AP setting and host school",
        (False, False): "",
    }
    rows = tuple(
        SchoolRow(
            name,
            role_names[(bool(row["ap"]), bool(row["host"]))],
            row["cases"],
            row["offers_within"],
            row["offers_late"],
            row["successful"],
            row["unsuccessful"],
            row["withdrawn"],
            row["weighting"],
        )
        for name, row in sorted(per_school.items())
        if school is None or same_name(name, school)
    )
    placements_ended = outcomes["successful"] + outcomes["unsuccessful"]
    return Figures(
        period=period,
        on=as_of,
        # The school as its row names it (its cases' first spelling), however it was asked for.
        school=rows[0].school if school is not None and rows else school,
        school_days=_calendar_note(calendars, len(offers) - len(known), len(known)),
        cases=len(chosen),
        by_stage=_counts(stages, ((s.value, s.value.replace("_", " ")) for s in Stage)),
        offers=_counts(
            offer_counts,
            (
                ("within", "made within the deadline"),
                ("breached", "made late (deadline breached)"),
                ("overdue", "overdue, no offer yet"),
            ),
        ),
        offers_awaited=offer_counts["awaiting"],
        offer_limit=limit,
        days_to_offer=_buckets(offers, school_days),
        offers_made=tuple(sorted(offers, key=lambda o: (o.offered_on, o.case_id))),
        offers_days_unknown=len(offers) - len(known),
        reviews=_counts(
            reviews,
            (
                ("on_time", "held on time"),
                ("late", "held late"),
                ("overdue", "overdue, not held"),
            ),
        ),
        emergency_reviews=(
            Count("called", "called", emergencies["called"], emergencies["called"]),
            *_counts(
                emergencies,
                (
                    ("continued", "held: placement continued"),
                    ("ended", "held: placement ended"),
                ),
            ),
        ),
        outcomes=_counts(
            outcomes,
            (
                ("successful", "successful"),
                ("unsuccessful", "unsuccessful"),
                ("withdrawn", "withdrawn"),
            ),
        ),
        success_rate=share(outcomes["successful"], placements_ended),
        departures=_counts(
            departures,
            ((rule, f"{rule}: {RULES.get(rule, '')}".rstrip(": ")) for rule in _rules(departures)),
        ),
        overdue_obligations=_counts(owed, ((p.value, OWNER_NAMES[p]) for p in OWNERS)),
        overdue_deadlines=overdue_deadlines,
        schools=rows,
        # A school's report is that school's alone: not the points of the other schools of its
        # cases (the AP setting's -3 beside the host's +3).
        weightings=tuple(
            sorted(
                (name, points)
                for name, points in weightings.items()
                if school is None or same_name(name, school)
            )
        ),
        offer_limits=tuple(sorted({(title, days) for title, _, _, days in limits})),
        offer_limits_by_protocol=tuple(sorted(limits)),
    )


def _rules(found: Counter[str]) -> list[str]:
    """Every rule that records departures, and any other found, in rule order (R2 before R10)."""
    rules = set(RULES) | set(found)
    return sorted(rules, key=lambda rule: (len(rule), rule))
