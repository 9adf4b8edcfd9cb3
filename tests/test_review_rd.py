"""Review RD: are the officers' report figures right? The CLI's `report`, `weightings` and
`due`, run on SQLite as an officer runs them, held against figures worked out here from the
exported histories alone (each transition's trigger, stages, date and data; docs/reports.md's
definitions), never from the library's reports, ledger or due list; and against themselves
where a fact must not change a figure: the steps dated after a report's last day, a redaction,
another authority's cases in the same database."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reintegration_fsm import Reintegration, SchoolCalendar, SqlAlchemyStore
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from reintegration_fsm.testing import play, protocol_runs
from test_figures_oracle import invoke

CALENDAR = SchoolCalendar.sample()
D = dt.date
FINAL = ("successful", "unsuccessful", "withdrawn")
OFFER_SCHOOL_DAYS = 20  # seed, Procedures: an offer within 20 school days (R5)
POINTS = 3  # seed step 10: +3 to the school a child moves to, -3 to the one they leave
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
History = list[dict[str, Any]]


# -- the oracle: figures from exported histories -------------------------------------------------
def day(text: str) -> dt.date:
    return D.fromisoformat(text)


def upto(history: History, on: dt.date) -> History:
    """The steps of a history dated up to the end of `on`."""
    return [t for t in history if day(t["on"]) <= on]


def story(history: History) -> dict[str, Any]:
    """The facts of a (truncated) history the report counts."""
    opened = history[0]["data"]
    found: dict[str, Any] = {
        "case_id": opened["case_id"],
        "authority": opened["local_authority"],
        "ap": opened["ap_setting"],
        "host": None,
        "opened_on": day(history[0]["on"]),
        "stage": history[-1]["dest"],
        "closed_on": None,
        "offers": [],  # [referred_on, due, offered_on or None]
    }
    for t in history:
        on = day(t["on"])
        if t["trigger"] == "refer_to_fair_access":
            due = CALENDAR.add_school_days(on, OFFER_SCHOOL_DAYS)
            found["offers"].append([on, due, None])
        elif t["trigger"] == "identify_host":
            found["host"] = t["data"]["host_school"]
            unmet = [o for o in found["offers"] if o[2] is None]
            if unmet:
                unmet[0][2] = on
        if t["dest"] in FINAL and t["source"] != t["dest"] and found["closed_on"] is None:
            found["closed_on"] = on
    return found


def oracle_report(
    histories: Iterable[History], start: dt.date, end: dt.date, on: dt.date
) -> dict[str, Any]:
    """The figures docs/reports.md defines, for the period `start`..`end` as of `on`."""
    cases = 0
    stages: Counter[str] = Counter()
    offers: Counter[str] = Counter()
    emergencies: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    weightings: Counter[str] = Counter()
    schools: dict[str, Counter[str]] = {}
    for full in histories:
        history = upto(full, on)
        if not history:
            continue
        case = story(history)
        if case["opened_on"] > end or (case["closed_on"] and case["closed_on"] < start):
            continue
        cases += 1
        stages[case["stage"]] += 1
        for name in (case["ap"], case["host"]):
            if name is not None:
                schools.setdefault(name, Counter())["cases"] += 1
        for _, due, offered in case["offers"]:
            if offered is not None:
                if start <= offered <= end:
                    late = offered > due
                    offers["breached" if late else "within"] += 1
                    row = schools[case["host"]]
                    row["offers_late" if late else "offers_within"] += 1
            elif (
                start <= due <= end
                and due < on
                and (case["closed_on"] is None or due < case["closed_on"])
            ):
                offers["overdue"] += 1
            elif case["closed_on"] is None and due >= on:
                offers["awaited"] += 1
        for t in history:
            when = day(t["on"])
            if not start <= when <= end:
                continue
            if t["trigger"] == "call_emergency_review":
                emergencies["called"] += 1
            elif t["trigger"] == "hold_emergency_review":
                emergencies["continued" if t["dest"] == "in_placement" else "ended"] += 1
            if t["dest"] in FINAL and t["source"] != t["dest"]:
                outcomes[t["dest"]] += 1
                for name in {case["ap"], case["host"]} - {None}:
                    schools[name][t["dest"]] += 1
                if t["dest"] == "successful":
                    weightings[case["host"]] += POINTS
                    weightings[case["ap"]] -= POINTS
    for name, points in weightings.items():
        schools.setdefault(name, Counter())["weighting"] += points
    ended = outcomes["successful"] + outcomes["unsuccessful"]
    return {
        "cases": cases,
        "by_stage": {k: v for k, v in stages.items() if v},
        "offers": {k: v for k, v in offers.items() if v},
        "emergencies": {k: v for k, v in emergencies.items() if v},
        "outcomes": {k: v for k, v in outcomes.items() if v},
        "success_rate": None if not ended else round(100 * outcomes["successful"] / ended, 1),
        "weightings": {k: v for k, v in weightings.items() if v},
        "schools": {
            name: {k: v for k, v in row.items() if v and k != "cases"} | {"cases": row["cases"]}
            for name, row in schools.items()
        },
    }


def oracle_weightings(
    histories: Iterable[History], start: dt.date, end: dt.date
) -> dict[str, tuple[int, int, int]]:
    """School -> (net points, moves in, moves out) of the successes dated in the period."""
    found: dict[str, list[int]] = {}
    for history in histories:
        case = story(history)
        for t in history:
            if t["dest"] == "successful" and t["source"] != "successful":
                if start <= day(t["on"]) <= end:
                    into = found.setdefault(case["host"], [0, 0, 0])
                    into[0] += POINTS
                    into[1] += 1
                    out = found.setdefault(case["ap"], [0, 0, 0])
                    out[0] -= POINTS
                    out[2] += 1
                break
    return {name: (a, b, c) for name, (a, b, c) in found.items()}


def library_view(found: dict[str, Any]) -> dict[str, Any]:
    """The CLI's `report --format json` in the oracle's shape."""

    def nonzero(counts: Sequence[dict[str, Any]]) -> dict[str, int]:
        return {c["key"]: c["count"] for c in counts if c["count"]}

    offers = nonzero(found["offers"]["counts"])
    if found["offers"]["awaited"]:
        offers["awaited"] = found["offers"]["awaited"]
    emergencies = nonzero(found["emergency_reviews"])
    keys = ("offers_within", "offers_late", *FINAL, "weighting")
    return {
        "cases": found["cases"],
        "by_stage": nonzero(found["cases_by_stage"]),
        "offers": offers,
        "emergencies": emergencies,
        "outcomes": nonzero(found["outcomes"]["counts"]),
        "success_rate": found["outcomes"]["success_rate"],
        "weightings": {k: v for k, v in found["weightings"].items() if v},
        "schools": {
            row["school"]: {k: row[k] for k in keys if row[k]} | {"cases": row["cases"]}
            for row in found["schools"]
        },
    }


# -- the command line, as an officer runs it -----------------------------------------------------


def cli_json(url: str, *args: str) -> Any:
    return json.loads(invoke(url, *args, "--format", "json").stdout)


def saved(folder: Path, name: str, histories: Iterable[History]) -> str:
    """A SQLite database holding the histories, as `import` would."""
    url = f"sqlite:///{folder / name}"
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()
        for history in histories:
            transitions = [transition_from_json(t) for t in history]
            store.save(Reintegration.replay(transitions, CALENDAR))
    return url


def exported(url: str, folder: Path) -> list[History]:
    """Every case's history, as `export --all` gives it."""
    target = folder / "export.json"
    invoke(url, "export", "--all", "--format", "json", "-o", str(target))
    bundle = json.loads(target.read_text(encoding="utf-8"))
    return [case["history"] for case in bundle["cases"]]


def of(histories: Iterable[History], authority: str) -> list[History]:
    return [h for h in histories if h[0]["data"]["local_authority"] == authority]


def weightings_view(found: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {r["school"]: (r["net_points"], r["moves_in"], r["moves_out"]) for r in found["schools"]}


def due_rows(found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (r["case_id"], r["item"], r["kind"], r["owner"], r["due"], r["status"], r["stage"])
        for r in found
    )


# -- generated caseloads -------------------------------------------------------------------------
caseloads = st.lists(
    protocol_runs(CALENDAR),
    min_size=1,
    max_size=6,
    unique_by=lambda run: run.steps[0].kwargs["case_id"],
)


EXAMPLES = itertools.count()
EDGES = [D(2025, 9, 1), D(2025, 12, 19), D(2026, 1, 5), D(2026, 3, 27), D(2026, 4, 13)]
EDGES += [D(2026, 7, 22), D(2026, 8, 31), D(2026, 9, 1), D(2026, 10, 23), D(2026, 12, 1)]
"""Days a period starts or ends on: terms' and years' first and last days."""


def history_of(case: Reintegration) -> History:
    return [transition_to_json(t) for t in case.history]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rd")


@PROPERTY
@given(caseloads, st.data())
def test_the_cli_figures_agree_with_the_exported_histories(
    folder: Path, runs: list[Any], data: st.DataObject
) -> None:
    """`report`, `weightings` and `due --as-of`, for a past period of each authority, give what
    the exported histories say, and what a database holding only the steps dated by the
    period's last day gives: a case's later steps never count."""
    cases = [play(run, CALENDAR) for run in runs]
    example = next(EXAMPLES)
    url = saved(folder, f"full-{example}.sqlite", (history_of(c) for c in cases))
    histories = exported(url, folder)
    first, second = sorted(data.draw(st.lists(st.sampled_from(EDGES), min_size=2, max_size=2)))
    start, end = first, min(second, dt.date.today())
    cut = saved(folder, f"cut-{example}.sqlite", (upto(h, end) for h in histories if upto(h, end)))
    span = ("--from", start.isoformat(), "--to", end.isoformat())
    for authority in {h[0]["data"]["local_authority"] for h in histories}:
        scope = ("--authority", authority)
        mine = of(histories, authority)
        found = cli_json(url, "report", *span, *scope)
        assert library_view(found) == oracle_report(mine, start, end, end)
        if any(h[0]["on"] <= end.isoformat() for h in mine):
            assert found == cli_json(cut, "report", *span, *scope)
        shown = weightings_view(cli_json(url, "weightings", *span, *scope))
        assert shown == oracle_weightings(mine, start, end)
        listed = cli_json(url, "due", "--as-of", end.isoformat(), *scope)
        if any(h[0]["on"] <= end.isoformat() for h in mine):
            then = cli_json(cut, "due", "--on", end.isoformat(), *scope)
        else:
            then = []
        assert due_rows(listed) == due_rows(then)


# -- the edges a tired officer hits, on the demo's four cases -----------------------------------
def test_the_demo_figures_survive_an_empty_period_a_past_day_and_an_erasure(folder: Path) -> None:
    """The demo's four cases (a success, a failure, a withdrawal, one running): a term before
    any was opened counts none; the report to a past day counts them as they stood then; an
    erasure of the child's name changes no figure."""
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    invoke(url, "demo")
    histories = exported(url, folder)
    autumn = (D(2025, 9, 1), D(2025, 12, 19))
    empty = cli_json(url, "report", "--from", "2025-09-01", "--to", "2025-12-19")
    assert library_view(empty) == oracle_report(histories, *autumn, autumn[1])
    assert (empty["cases"], empty["schools"], empty["weightings"]) == (0, [], {})
    year = cli_json(url, "report", "--year", "2025/26")
    whole = (D(2025, 9, 1), D(2026, 8, 31))
    assert library_view(year) == oracle_report(histories, *whole, whole[1])
    assert library_view(year)["outcomes"] == {"successful": 1, "unsuccessful": 1, "withdrawn": 1}
    for last in (D(2026, 2, 1), D(2026, 2, 24), D(2026, 3, 5), D(2026, 4, 16)):
        found = cli_json(url, "report", "--from", "2026-01-01", "--to", last.isoformat())
        assert library_view(found) == oracle_report(histories, D(2026, 1, 1), last, last)
        assert found["as_of"] == last.isoformat()
    assert weightings_view(cli_json(url, "weightings", "--year", "2026/27")) == {}
    invoke(
        url,
        *("redact", "DEMO-0001", "all", "pupil.name", "pupil.date_of_birth"),
        *("form.child_name", "form.child_dob", "--reason", "Erasure request"),
        *("--actor-id", "la-9", "--actor-name", "Jo Whitfield", "--role", "la_admissions"),
        *("--organisation", "Exampleshire County Council"),
    )
    assert cli_json(url, "report", "--year", "2025/26") == year
    assert library_view(year) == oracle_report(exported(url, folder), *whole, whole[1])
