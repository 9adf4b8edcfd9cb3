"""Review QH: costs that grow faster than they should (QH1, QH2 and QH4; QH3, a save
re-encoding a long case's whole state, is left: see the CHANGELOG).

No test here times anything: each counts the work done (attribute reads, comparisons) at two
sizes, where a quadratic version does 16 times as much for 4 times the input.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import caseload
from reintegration_fsm import (
    Deadline,
    ObligationKind,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    SchoolCalendar,
    term_dates,
)
from reintegration_fsm.cli import views as shown
from reintegration_fsm.fields import loosely_folded_name
from reintegration_fsm.protocol.reading import Reading, read
from reintegration_fsm.stores import SqlAlchemyStore, redacted_values, redaction_reasons
from reintegration_fsm.term_dates import ics
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    EVERYONE,
    HOST_FOUND,
    HOST_SCHOOL,
    HOST_STAFF,
    MEETING,
    OPENED,
    PSP,
    PUPIL,
    REFERRED,
    START,
    consent,
    information,
    initial_meeting,
    prepare,
    views,
)

CALENDAR = SchoolCalendar.sample()


def _placed() -> Reintegration:
    case = Reintegration.open(
        "QH-1", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED, calendar=CALENDAR
    )
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    case.refer_to_fair_access(ReferralRoute.PANEL, information(), PSP, by=AP_HEAD, on=REFERRED)
    case.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=HOST_FOUND)
    case.hold_initial_meeting(initial_meeting(), views(), by=AP_HEAD, on=MEETING)
    prepare(case)
    case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=AP_STAFF, on=START)
    case.start_placement(by=HOST_STAFF, on=START)
    return case


def _kept_going(reviews: int, *, same_day: bool) -> tuple[Reintegration, dt.date]:
    """A placement whose final review decides CONTINUE `reviews` times (R9 allows it), each
    setting a new FINAL_REVIEW deadline that the next one meets: the case's deadlines grow
    with its history. `same_day`: every review held on the placement's first day, each
    setting its next for the day after (all of one kind and due day)."""
    case = _placed()
    day = START
    for _ in range(reviews):
        following = day + dt.timedelta(days=1)
        meeting = ReviewMeeting(
            held_on=day,
            kind=ReviewKind.FINAL,
            attendees=EVERYONE,
            child_views=views(day),
            decision=ReviewDecision.CONTINUE,
            next_meeting=following,
        )
        case.hold_review(meeting, by=HOST_STAFF, on=day)
        case.discharge(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS, by=AP_STAFF, on=day)
        if not same_day:
            day = following
    return case, day


@pytest.fixture
def deadline_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times any deadline's `kind`, `due` or `met_on` is read (its slots, each
    wrapped by a counting property)."""
    count = [0]
    for name in ("kind", "due", "met_on"):
        slot: Any = Deadline.__dict__[name]

        def get(self: Deadline, slot: Any = slot) -> Any:
            count[0] += 1
            return slot.__get__(self, Deadline)

        def put(self: Deadline, value: Any, slot: Any = slot) -> None:
            slot.__set__(self, value)

        monkeypatch.setattr(Deadline, name, property(get, put))
    return count


def _old_met_deadlines(case: Reintegration, reading: Reading) -> list[Deadline]:
    """`met_deadlines` as it was before QH1: the reference its answers must equal."""
    on = reading.transition.on
    found: list[Deadline] = []
    for kind, due in reading.met:
        named = [d for d in case.deadlines if (d.kind, d.due) == (kind, due) and d.met_on]
        by_then = [d for d in named if d.met_on is not None and d.met_on <= on]
        that_day = [d for d in by_then if d.met_on == on]
        found += (that_day or by_then or named)[-1:]
    return found


# -- QH1: a timeline is linear in the case's history -----------------------------------------


@pytest.mark.parametrize("same_day", [False, True], ids=["day-by-day", "same-day"])
@pytest.mark.parametrize("view", ["text", "json"])
def test_a_long_cases_timeline_reads_its_deadlines_a_linear_number_of_times(
    deadline_reads: list[int], same_day: bool, view: str
) -> None:
    """QH1: each step that met a deadline scanned every deadline of the case (and, for many
    of one kind and day, every one of those again): 4 times the reviews read the deadlines 16
    times as often. Now they are indexed once per timeline."""
    counts = []
    for reviews in (20, 80):
        case, day = _kept_going(reviews, same_day=same_day)
        deadline_reads[0] = 0
        if view == "text":
            shown.timeline(case, day, CALENDAR)
        else:
            shown.timeline_json(case, day, CALENDAR)
        counts.append(deadline_reads[0])
    assert counts[1] < 6 * counts[0], counts  # linear: about 4; quadratic: about 16


def test_met_deadlines_answers_as_before_for_every_step_of_the_caseload() -> None:
    """QH1's index and reverse search pick the same deadline as the scans they replaced."""
    cases = [*caseload.build(CALENDAR), _kept_going(6, same_day=True)[0]]
    cases.append(_kept_going(6, same_day=False)[0])
    compared = 0
    for case in cases:
        index = shown.met_index(case)
        for transition in case.history:
            reading = read(transition)
            expected = _old_met_deadlines(case, reading)
            assert shown.met_deadlines(reading, shown.met_index(case)) == expected
            assert shown.met_deadlines(reading, index) == expected
            compared += len(expected)
    assert compared > 20


# -- QH2: reading an iCalendar feed is linear in its closures and terms ----------------------


def _weekly_feed(weeks: int) -> bytes:
    """A feed giving each school week as its own term event (Monday to Friday) and closing
    each weekend ("School closed", Saturday and Sunday): days outside every term."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Review QH//EN"]
    monday = dt.date(2001, 9, 3)
    for week in range(weeks):
        first = monday + dt.timedelta(weeks=week)
        days = [first + dt.timedelta(days=n) for n in range(7)]
        if any((d.month == 8 and d.day <= 21) or (d.month, d.day) == (12, 25) for d in days):
            continue
        saturday = first + dt.timedelta(days=5)
        for uid, start, end, summary in (
            (f"term-{week}", first, saturday, "Term week"),
            (f"closed-{week}", saturday, saturday + dt.timedelta(days=2), "School closed"),
        ):
            lines += [
                "BEGIN:VEVENT",
                f"UID:{uid}@review-qh.invalid",
                f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                f"DTEND;VALUE=DATE:{end:%Y%m%d}",
                f"SUMMARY:{summary}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def test_reading_a_feed_compares_dates_a_linear_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QH2: each weekend closure was looked for in every run of term days, one by one: 4
    times the weeks made 16 times the comparisons (3.3 s for a feed of 6,400 weeks). Now a
    closure's day is looked up among the open days."""
    pytest.importorskip("icalendar")
    compared = [0]

    class Counted(dt.date):
        def __le__(self, other: object) -> bool:
            compared[0] += 1
            return super().__le__(other)  # type: ignore[operator]

    monkeypatch.setattr(ics, "date", Counted)
    counts = []
    for weeks in (20, 80):
        compared[0] = 0
        read = term_dates.read_ics(_weekly_feed(weeks))
        assert len(read.terms) > weeks * 3 // 4
        assert not read.closures
        counts.append(compared[0])
    assert counts[0], counts  # `date` is patched where read_ics looks it up: it counts
    assert counts[1] < 6 * max(counts[0], 1), counts  # linear: about 4; quadratic: about 16


# -- QH4: erasing a name from a long case is linear in the case ------------------------------


def test_erasing_attendees_names_from_a_long_case_folds_a_linear_number_of_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QH4: every personal value of the case was compared with every name removed, each
    folded again for each comparison: removing the attendees' names of 800 reviews took 4.1 s,
    of 200, 0.39 s. The names removed are folded once, and each value looked up."""
    folds = [0]
    fold = loosely_folded_name

    def counted(value: str) -> str:
        folds[0] += 1
        return fold(value)

    for module in (redacted_values, redaction_reasons):
        monkeypatch.setattr(module, "loosely_folded_name", counted)
    counts = []
    for reviews in (10, 40):
        store = SqlAlchemyStore(f"sqlite:///{tmp_path}/qh4-{reviews}.sqlite", calendar=CALENDAR)
        store.create_schema()
        case, _ = _kept_going(reviews, same_day=True)
        store.save(case)
        folds[0] = 0
        notes = store.redact(
            case.case_id,
            None,
            ["meeting.attendees.*.name"],
            "The family asked for the names to be removed.",
            by=ADMISSIONS,
            on=dt.date.today(),
        )
        assert len(notes) >= reviews
        counts.append(folds[0])
        assert store.verify() == []
        store.close()
    assert counts[0], counts  # `date` is patched where read_ics looks it up: it counts
    assert counts[1] < 6 * max(counts[0], 1), counts  # linear: about 4; quadratic: about 16


@pytest.mark.parametrize(
    "value",
    [
        "Dana Example",
        "dana  example",
        "DANA EXAMPLE",
        "Aoife O\u2019Brien",
        "Aoife O'Brien",
        "Jo Marlowe\u2013Penn",
        "Jo Marlowe-Penn",
        "\u200b",
        "",
        " ",
        "Someone Else",
    ],
)
def test_the_names_matcher_answers_as_comparing_with_each_name(value: str) -> None:
    """QH4's matcher says what comparing with each name, as erasure did before, says, blank
    names too."""
    names = ["Dana Example", "Aoife O'Brien", "Jo Marlowe\u2014Penn", "\u200b", " "]
    same = redacted_values.same_as_any(names)
    assert same(value) == any(_old_same_person(value, name) for name in names)


def _old_same_person(a: str, b: str) -> bool:
    """`erasure._same_person` as it was before QH4: the reference the matcher must equal."""
    if a == b:
        return True
    folded = loosely_folded_name(a)
    return bool(folded) and folded == loosely_folded_name(b)
