"""The back office an officer runs a week from: the caseload, a due list naming the child and
the schools, the Fair Access ledger, and an authority that holds nothing said so. On SQLite,
PostgreSQL and MariaDB, with the demo's cases and an invented year of cases."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import openpyxl
import pytest
from click.testing import CliRunner, Result

import caseload
import scenario
from reintegration_fsm import (
    WORCESTERSHIRE,
    Deadline,
    DeadlineKind,
    GuardFailed,
    ReferralRoute,
    Reintegration,
    SchoolCalendar,
    SqlAlchemyStore,
    Stage,
    demo,
)
from reintegration_fsm.cli import caseload as cli_caseload
from reintegration_fsm.cli import cli, options, views
from reintegration_fsm.demo import run as run_demo
from reintegration_fsm.stores import upgrade
from store_contract import reachable_engine, reset_database

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
ON = "2026-06-01"
CASE_COLUMNS = (
    "case_id",
    "child",
    "stage",
    "ap_setting",
    "host_school",
    "opened_on",
    "last_on",
    "next_due",
    "next_kind",
    "next_owner",
)
DUE_STABLE = ("due", "status", "case_id", "item", "kind", "owner")
DUE_ADDED = ("late", "late_unit", "child", "stage", "ap_setting", "host_school")


def fill(url: str) -> None:
    """The demo's four cases and the invented caseload, on the sample calendar."""
    upgrade(url)
    store = SqlAlchemyStore(url)
    try:
        run_demo(store, SchoolCalendar.sample())
        for case in caseload.build():
            store.save(case)
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres", "mariadb"])
def office_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the demo and the caseload, on each engine (read-only for tests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('office') / 'office.sqlite'}"
    else:
        url = request.getfixturevalue(f"{request.param}_url")
        engine = reachable_engine(url)
        reset_database(engine)
        engine.dispose()
    fill(url)
    return url


def invoke(url: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    environment: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    environment.update(env or {})
    return CliRunner().invoke(cli, ["--db", url, *args], env=environment)


def json_of(url: str, *args: str) -> Any:
    result = invoke(url, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["case_id"] for row in rows]


EVERY_ID = sorted(
    ["DEMO-0001", "DEMO-0002", "DEMO-0003", "DEMO-0004", *(spec.case_id for spec in caseload.SPECS)]
)


# -- cases -----------------------------------------------------------------------------------
def test_cases_lists_every_case_by_id_with_its_child_stage_and_schools(office_url: str) -> None:
    """One row per case, ordered by id, in the documented columns."""
    rows = json_of(office_url, "cases")
    assert ids(rows) == EVERY_ID
    assert all(tuple(row) == CASE_COLUMNS for row in rows)
    first = next(row for row in rows if row["case_id"] == "DEMO-0001")
    assert first["child"] == "Rowan Testwell"
    assert first["stage"] == "successful"
    assert (first["ap_setting"], first["host_school"]) == (
        "Larkspur Learning Centre",
        "Hollybrook Academy",
    )
    assert (first["opened_on"], first["last_on"]) == ("2026-01-12", "2026-04-17")
    referred = next(row for row in rows if row["case_id"] == "LA-2026-015")
    assert referred["host_school"] is None
    assert (referred["next_kind"], referred["next_due"]) == ("place_offer", "2026-06-02")
    assert referred["next_owner"] is None  # a deadline has no owner


def test_the_next_thing_due_is_the_soonest_item_of_the_case(office_url: str) -> None:
    """`next_due`/`next_kind`/`next_owner` are the case's first item in `due`'s order."""
    rows = {row["case_id"]: row for row in json_of(office_url, "cases")}
    store = SqlAlchemyStore(office_url)
    try:
        items = store.due(dt.date.max)
    finally:
        store.engine.dispose()
    for case_id, row in rows.items():
        mine = [item for item in items if item.case_id == case_id]
        if not mine:
            assert (row["next_due"], row["next_kind"], row["next_owner"]) == (None, None, None)
            continue
        first = mine[0]
        assert row["next_kind"] == first.kind.value
        assert row["next_due"] == (None if first.due is None else first.due.isoformat())


def test_cases_filters_by_stage_school_and_search(office_url: str) -> None:
    """`--stage`, `--school` (AP or host) and `--search` (id or name, any case) narrow the list."""
    placed = json_of(office_url, "cases", "--stage", "in_placement")
    assert ids(placed) == ["LA-2025-008", "LA-2026-010", "LA-2026-012"]
    hollybrook = json_of(office_url, "cases", "--school", "Hollybrook Academy")
    assert ids(hollybrook) == ["DEMO-0001", "LA-2025-001", "LA-2025-006", "LA-2026-011"]
    # The school as the rules read its name: an officer's capitals and doubled space find it.
    assert json_of(office_url, "cases", "--school", "HOLLYBROOK  academy") == hollybrook
    fernhill = json_of(office_url, "cases", "--school", "Fernhill Pupil Referral Unit")
    assert fernhill
    assert {row["ap_setting"] for row in fernhill} == {"Fernhill Pupil Referral Unit"}
    assert ids(json_of(office_url, "cases", "--search", "siân ó")) == ["LA-2026-012"]
    assert ids(json_of(office_url, "cases", "--search", "demo-000")) == EVERY_ID[:4]


def test_open_and_ended(office_url: str) -> None:
    """`--open` keeps running cases, `--ended` those in a final stage; together they cover all."""
    running = json_of(office_url, "cases", "--open")
    ended = json_of(office_url, "cases", "--ended")
    assert sorted(ids(running) + ids(ended)) == EVERY_ID
    assert all(not Stage(row["stage"]).is_final for row in running)
    assert all(Stage(row["stage"]).is_final for row in ended)


def test_open_and_ended_together_are_refused() -> None:
    """`--open --ended` is a usage error (exit 2), as `render --html --text` is: the last flag
    silently won, listing only the ended cases to an officer who asked for both."""
    for flags in (["--open", "--ended"], ["--ended", "--open"]):
        result = CliRunner().invoke(cli, ["cases", *flags], env={"RFSM_CALENDAR": None})
        assert result.exit_code == 2, result.output
        assert "--open and --ended conflict" in result.stderr
        assert result.stdout == ""


def test_owner_and_overdue_keep_the_cases_with_such_items(office_url: str) -> None:
    """`--owner` keeps cases where that party owes something due by --on; `--overdue` those with
    something past due on --on; each agrees with `due`."""
    due = json_of(office_url, "due", "--on", ON)
    host = json_of(office_url, "cases", "--owner", "host", "--on", ON)
    assert ids(host) == sorted({i["case_id"] for i in due if i["owner"] == "host"})
    assert host
    late = json_of(office_url, "cases", "--overdue", "--on", ON)
    assert ids(late) == sorted({i["case_id"] for i in due if i["status"] == "overdue"})
    assert late
    assert json_of(office_url, "cases", "--overdue", "--on", "2025-09-01") == []
    both = json_of(office_url, "cases", "--owner", "ap", "--overdue", "--on", ON, "--ended")
    assert both
    assert all(Stage(row["stage"]).is_final for row in both)


def test_cases_as_table_csv_and_xlsx(office_url: str, tmp_path: Path) -> None:
    """The same rows in every format: a table, CSV with a BOM, a workbook with date cells."""
    table = invoke(office_url, "cases", "--school", "Millbridge High School")
    assert table.exit_code == 0
    assert table.stdout.split()[: len(CASE_COLUMNS)] == [c.upper() for c in CASE_COLUMNS]
    assert "Siân Ó Briain" in table.stdout
    text = invoke(office_url, "cases", "--format", "csv").stdout
    assert text.startswith("\ufeff" + ",".join(CASE_COLUMNS))
    assert "Siân Ó Briain" in text
    out = tmp_path / "cases.xlsx"
    result = invoke(office_url, "cases", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == list(CASE_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == EVERY_ID
    opened = sheet.cell(row=2, column=CASE_COLUMNS.index("opened_on") + 1)
    assert opened.is_date


def test_an_empty_search_is_not_an_unknown_authority(office_url: str) -> None:
    """A filter that matches nothing says so, exit 0: the authority does hold cases."""
    result = invoke(office_url, "cases", "--search", "Nobody Atall")
    assert result.exit_code == 0
    assert result.stdout.strip() == "no cases match"


@pytest.mark.parametrize("command", [["cases"], ["due"], ["weightings", "--year", "2025/26"]])
def test_a_mistyped_authority_names_those_the_database_holds(
    office_url: str, command: list[str]
) -> None:
    """Not an empty worklist: exit 2, "no cases for authority 'Nope'", and the authorities held."""
    for args in (["--authority", "Nope", *command], [*command, "--authority", "Nope"]):
        result = invoke(office_url, *args)
        assert result.exit_code == 2, result.output
        assert "no cases for authority 'Nope'" in result.stderr
        assert "'Exampleshire County Council'" in result.stderr
        assert result.stdout == ""
    as_json = invoke(office_url, "--authority", "Nope", *command, "--format", "json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"] == "no cases for authority 'Nope'"


def test_an_authority_set_by_the_environment_names_no_other(office_url: str) -> None:
    """RFSM_AUTHORITY confines a deployment: it is told the authority holds nothing, not which
    others share the database."""
    result = invoke(office_url, "cases", env={"RFSM_AUTHORITY": "Nope"})
    assert result.exit_code == 2
    assert "no cases for authority 'Nope'" in result.stderr
    assert "Exampleshire" not in result.stderr
    assert "RFSM_AUTHORITY" in result.stderr


def test_a_misspelt_school_names_the_schools_with_cases(office_url: str) -> None:
    """`--school Hollybrok` is not an empty caseload: exit 2, naming the schools there are."""
    result = invoke(office_url, "cases", "--school", "Hollybrok Academy")
    assert result.exit_code == 2
    assert "no cases at school 'Hollybrok Academy'" in result.stderr
    assert "'Hollybrook Academy'" in result.stderr
    assert "'Larkspur Learning Centre'" in result.stderr
    report = invoke(office_url, "report", "--school", "Hollybrok Academy", "--format", "json")
    assert report.exit_code == 2
    assert json.loads(report.stdout)["error"] == "no cases at school 'Hollybrok Academy'"
    narrowed = invoke(office_url, "cases", "--school", "Hollybrook Academy", "--stage", "ending")
    assert narrowed.exit_code == 0
    assert narrowed.stdout.strip() == "no cases match"


def test_an_unknown_school_of_100000_characters_is_named_in_part(office_url: str) -> None:
    """An unknown school was named whole, 100,000 characters of a paste, where an unknown case
    id is cut (found by a review): its first 40 characters and its length, as a case id's."""
    name = "x" * 100_000
    said = f"no cases at school '{'x' * 40}'... (100,000 characters long)"
    for command in ("cases", "due"):
        result = invoke(office_url, command, "--school", name)
        assert result.exit_code == 2
        assert said in result.stderr
        assert len(result.stderr) < 2_000
    report = invoke(office_url, "report", "--school", name, "--format", "json")
    assert report.exit_code == 2
    assert json.loads(report.stdout)["error"] == said


def test_the_right_authority_lists_its_cases(office_url: str) -> None:
    mine = json_of(office_url, "--authority", "Exampleshire County Council", "cases")
    assert ids(mine) == EVERY_ID


def test_an_empty_database_says_it_holds_no_cases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert invoke(url, "db", "upgrade").exit_code == 0
    result = invoke(url, "--authority", "Nope", "cases")
    assert result.exit_code == 2
    assert "holds no cases yet" in result.stderr


# -- due -------------------------------------------------------------------------------------
def test_due_rows_name_the_child_stage_and_schools(office_url: str) -> None:
    """Each row carries its case's child, stage, AP setting and host school."""
    rows = {row["case_id"]: row for row in json_of(office_url, "cases")}
    items = json_of(office_url, "due", "--on", ON)
    assert items
    for item in items:
        assert tuple(item) == (*DUE_STABLE, *DUE_ADDED)
        case = rows[item["case_id"]]
        assert item["child"] == case["child"]
        assert item["stage"] == case["stage"]
        assert (item["ap_setting"], item["host_school"]) == (
            case["ap_setting"],
            case["host_school"],
        )


def test_lateness_is_in_school_days_with_a_calendar_and_days_without(office_url: str) -> None:
    """With --calendar, how late in school days (the calendar's count); without, calendar days,
    and the unit says which."""
    calendar = SchoolCalendar.sample()
    on = dt.date.fromisoformat(ON)
    plain = json_of(office_url, "due", "--on", ON, "--overdue")
    counted = json_of(office_url, "--calendar", "sample", "due", "--on", ON, "--overdue")
    assert plain
    assert len(plain) == len(counted)
    for day, school in zip(plain, counted, strict=True):
        due = dt.date.fromisoformat(day["due"])
        assert (day["late"], day["late_unit"]) == ((on - due).days, "days")
        assert school["late_unit"] == "school days"
        assert school["late"] == calendar.school_days_between(due, on)
        assert school["late"] < day["late"]  # weekends and holidays are not school days
    not_late = [i for i in json_of(office_url, "due", "--on", ON) if i["status"] != "overdue"]
    assert not_late
    assert all((i["late"], i["late_unit"]) == (None, None) for i in not_late)


def test_without_a_calendar_the_table_says_lateness_is_in_days(office_url: str) -> None:
    table = invoke(office_url, "due", "--on", ON)
    assert "late is counted in calendar days" in table.stderr
    counted = invoke(office_url, "--calendar", "sample", "due", "--on", ON)
    assert "calendar days" not in counted.stderr


def test_a_date_past_the_calendar_is_counted_in_days_and_says_so() -> None:
    """Beyond the calendar's last term, no school days are guessed."""
    calendar = SchoolCalendar.sample()
    late = views.late_by(dt.date(2027, 7, 1), dt.date(2027, 8, 20), calendar)
    assert late == (50, "days")
    assert views.late_by(dt.date(2026, 3, 2), dt.date(2026, 3, 4), calendar) == (
        2,
        "school days",
    )


def test_an_item_overdue_in_a_holiday_is_late_in_days_not_0_school_days() -> None:
    """Due Friday 13 February 2026, the last day before half-term: on the Tuesday of
    half-term `due` said "0 school days" late (found by a review). No school day has passed,
    so it counts the days, and the table's note says why."""
    calendar = SchoolCalendar.sample()
    due, on = dt.date(2026, 2, 13), dt.date(2026, 2, 17)
    assert calendar.school_days_between(due, on) == 0
    assert views.late_by(due, on, calendar) == ((on - due).days, "days")
    row = {"due": due, "status": "overdue", "case_id": "HT-1", "late_unit": "days"}
    assert "no school day has passed" in cli_caseload.lateness_note([row], calendar)


def test_a_deadline_met_in_the_holiday_after_it_is_late_in_words() -> None:
    """An offer due on the Friday before half-term and made in it: the timeline said
    "BREACHED: met 2026-02-18, 0 school days late" (found by a review)."""
    calendar = SchoolCalendar.sample()
    deadline = Deadline(DeadlineKind.PLACE_OFFER, dt.date(2026, 2, 13), dt.date(2026, 2, 18))
    assert deadline.breached
    shown = views.lateness(deadline, calendar)
    assert "0 school days" not in shown
    assert shown == "after its due day, before the next school day"
    later = Deadline(DeadlineKind.PLACE_OFFER, dt.date(2026, 2, 13), dt.date(2026, 2, 24))
    assert views.lateness(later, calendar) == "2 school days late"


def test_timeline_json_and_export_give_a_deadline_met_in_the_holiday_after_it_in_days(
    tmp_path: Path,
) -> None:
    """Referred Friday 16 January 2026, so the offer was due Friday 13 February, the last day
    before half-term; the host was found on its Monday. `timeline --format json` and `export`
    said `"late": {"days": 0, "unit": "school days"}`, which a script reads as on time (found
    by a review): they count the days there, as `due` does."""
    calendar = SchoolCalendar.sample()
    referred = dt.date(2026, 1, 16)
    case = Reintegration.open(
        "HOL-1",
        scenario.PUPIL,
        scenario.AP_SETTING,
        scenario.AUTHORITY,
        by=scenario.AP_HEAD,
        on=dt.date(2026, 1, 12),
        calendar=calendar,
    )
    case.record_consent(scenario.consent(), by=scenario.AP_HEAD, on=dt.date(2026, 1, 14))
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        scenario.information(),
        scenario.PSP,
        by=scenario.AP_HEAD,
        on=referred,
    )
    case.identify_host(
        scenario.HOST_SCHOOL, ReferralRoute.PANEL, by=scenario.ADMISSIONS, on=dt.date(2026, 2, 16)
    )
    [offer] = case.deadlines
    assert (offer.due, offer.met_on, offer.breached) == (
        dt.date(2026, 2, 13),
        dt.date(2026, 2, 16),
        True,
    )
    url = f"sqlite:///{tmp_path / 'holiday.sqlite'}"
    upgrade(url)
    store = SqlAlchemyStore(url)
    try:
        store.save(case)
    finally:
        store.engine.dispose()
    late = {"days": 3, "unit": "days"}
    timeline = json_of(url, "--calendar", "sample", "timeline", "HOL-1")
    assert [d["late"] for d in timeline["deadlines"]] == [late]
    [met] = [d for step in timeline["steps"] for d in step["deadlines_met"]]
    assert met["late"] == late
    exported = json_of(url, "--calendar", "sample", "export", "HOL-1")
    assert [d["late"] for step in exported["timeline"] for d in step["deadlines_met"]] == [late]
    text = invoke(url, "--calendar", "sample", "timeline", "HOL-1").stdout
    assert "after its due day, before the next school day" in text


def test_the_due_columns_are_stable_and_documented() -> None:
    """The first six columns are unchanged; the added ones follow, as docs/cli.md lists them."""
    expected = (*DUE_STABLE, *DUE_ADDED)
    assert tuple(views.DUE_COLUMNS) == expected
    documented = re.search(r"Columns, in this order: (.+?)\.", DOCS.read_text(), re.S)
    assert documented is not None
    assert re.findall(r"`(\w+)`", documented.group(1)) == list(views.DUE_COLUMNS)


def test_the_case_columns_are_documented() -> None:
    documented = re.search(r"`cases` columns, in this order: (.+?)\.", DOCS.read_text(), re.S)
    assert documented is not None
    assert re.findall(r"`(\w+)`", documented.group(1)) == list(cli_caseload.CASE_COLUMNS)


# -- weightings ------------------------------------------------------------------------------
def test_weightings_for_a_year_match_the_store_and_count_moves(office_url: str) -> None:
    """Net points are `store.weightings`; moves in and out count the ledger's entries."""
    found = json_of(office_url, "weightings", "--year", "2025/26")
    assert found["period"] == {"name": "2025/26", "start": "2025-09-01", "end": "2026-08-31"}
    store = SqlAlchemyStore(office_url)
    try:
        totals = store.weightings(dt.date(2025, 9, 1), dt.date(2026, 8, 31))
        ledger = store.ledger(dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    finally:
        store.engine.dispose()
    rows = {row["school"]: row for row in found["schools"]}
    assert {school: row["net_points"] for school, row in rows.items()} == totals
    successes = 1 + sum(c.stage is Stage.SUCCESSFUL for c in caseload.build())  # and DEMO-0001
    assert sum(row["moves_in"] for row in rows.values()) == successes
    assert sum(row["moves_out"] for row in rows.values()) == successes
    assert rows["Hollybrook Academy"]["moves_in"] == 4
    assert rows["Hollybrook Academy"]["net_points"] == 12
    assert rows["Larkspur Learning Centre"]["moves_out"] == 3
    assert rows["Larkspur Learning Centre"]["net_points"] == -9
    assert len(found["ledger"]) == len(ledger) == 2 * successes


def test_weightings_from_and_to(office_url: str) -> None:
    """`--from/--to` is inclusive; a span with no success says so (exit 0)."""
    year = json_of(office_url, "weightings", "--year", "2025/26")["ledger"]
    first = year[0]["on"]  # the ledger is by date
    day = json_of(office_url, "weightings", "--from", first, "--to", first)
    assert day["ledger"] == [e for e in year if e["on"] == first]
    assert day["schools"]
    before = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()
    assert (
        json_of(office_url, "weightings", "--from", "2025-09-01", "--to", before)["schools"] == []
    )
    quiet = invoke(office_url, "weightings", "--from", "2025-09-01", "--to", "2025-09-02")
    assert quiet.exit_code == 0
    assert "no successful moves" in quiet.stdout


def test_a_move_under_a_protocol_of_no_points_counts_in_and_out_by_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a protocol whose `weighting_points` is 0, the host school took a move in and the
    AP setting one out: direction is the school's role in the move, never the sign of its
    points (a 0-point entry for the host counted as a move out; found by a review)."""
    zero = attrs.evolve(
        WORCESTERSHIRE,
        id="zeroshire",
        version="1",
        title="Zero points protocol",
        weighting_points=0,
        effective_from=dt.date(2025, 9, 1),
    )
    protocol_file = tmp_path / "zero.toml"
    protocol_file.write_text(zero.to_toml())
    url = f"sqlite:///{tmp_path / 'zero.sqlite'}"
    upgrade(url)
    store = SqlAlchemyStore(url, protocols=(zero,))
    calendar = SchoolCalendar.sample()
    try:
        store.save(demo.successful("W-1", calendar))
        monkeypatch.setattr(
            demo, "Reintegration", _Opening(functools.partial(Reintegration.open, protocol=zero))
        )
        store.save(demo.successful("Z-1", calendar))
    finally:
        store.engine.dispose()
    found = json_of(url, "--protocol", str(protocol_file), "weightings", "--year", "2025/26")
    rows = {row["school"]: row for row in found["schools"]}
    assert [e["points"] for e in found["ledger"] if e["case_id"] == "Z-1"] == [0, 0]
    assert rows["Hollybrook Academy"] == {
        "school": "Hollybrook Academy",
        "net_points": 3,
        "moves_in": 2,
        "moves_out": 0,
    }
    assert rows["Larkspur Learning Centre"] == {
        "school": "Larkspur Learning Centre",
        "net_points": -3,
        "moves_in": 0,
        "moves_out": 2,
    }


@attrs.frozen
class _Opening:
    """Stands in for `Reintegration` in the demo, opening its cases under another protocol."""

    open: Any


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "2025/27"], "runs into the next year"),
        (["--year", "last year"], "not an academic year"),
        (["--from", "2025-09-01"], "go together"),
        (["--year", "2025/26", "--from", "2025-09-01", "--to", "2025-10-01"], "not both"),
        (["--from", "2026-01-01", "--to", "2025-01-01"], "before it starts"),
    ],
)
def test_a_bad_period_is_bad_usage(office_url: str, args: list[str], message: str) -> None:
    result = invoke(office_url, "weightings", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_weightings_default_to_the_current_academic_year(
    office_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(options, "today", lambda: dt.date(2026, 3, 1))
    assert json_of(office_url, "weightings")["period"]["name"] == "2025/26"


def test_weightings_as_table_csv_and_xlsx(office_url: str, tmp_path: Path) -> None:
    table = invoke(office_url, "weightings", "--year", "2025/26")
    assert table.stdout.split()[:4] == ["SCHOOL", "NET_POINTS", "MOVES_IN", "MOVES_OUT"]
    csv_text = invoke(office_url, "weightings", "--year", "2025/26", "--format", "csv").stdout
    assert csv_text.startswith("\ufeffschool,net_points,moves_in,moves_out")
    assert "Hollybrook Academy,12,4,0" in csv_text
    out = tmp_path / "weightings.xlsx"
    result = invoke(
        office_url, "weightings", "--year", "2025/26", "--format", "xlsx", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Period", "Weightings 2025-26", "Ledger"]
    period = [[cell.value for cell in row] for row in book["Period"].iter_rows()]
    assert period == [
        ["name", "start", "end"],
        ["2025/26", dt.datetime(2025, 9, 1), dt.datetime(2026, 8, 31)],
    ]
    ledger = book["Ledger"]
    assert [cell.value for cell in ledger[1]] == ["on", "case_id", "school", "points"]
    assert ledger.freeze_panes == "A2"
    assert ledger["A2"].is_date
    piped = invoke(office_url, "weightings", "--format", "xlsx")
    assert openpyxl.load_workbook(io.BytesIO(piped.stdout_bytes)).sheetnames[2] == "Ledger"


def test_a_weightings_workbook_of_a_range_says_its_first_and_last_days(
    office_url: str, tmp_path: Path
) -> None:
    """`weightings --from 2026-01-01 --to 2026-06-30 --format xlsx` was labelled only by a
    sheet "Weightings 2026-01-01", read as one day's weightings (found by a review): its first
    sheet gives the period's first and last days, and no sheet is named by a day alone."""
    out = tmp_path / "range.xlsx"
    args = ("--from", "2026-01-01", "--to", "2026-06-30", "--format", "xlsx", "-o", str(out))
    result = invoke(office_url, "weightings", *args)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Period", "Weightings", "Ledger"]
    period = [[cell.value for cell in row] for row in book["Period"].iter_rows()]
    assert period == [
        ["name", "start", "end"],
        [None, dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 30)],
    ]


def test_a_case_that_does_not_load_is_named_by_the_report(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One case whose history no longer replays failed the whole authority's report with the
    rule's words alone: nothing said which case to look at (found by a review)."""
    loading = SqlAlchemyStore.load

    def load(self: SqlAlchemyStore, case_id: str, **kwargs: Any) -> Reintegration:
        if case_id == "DEMO-0003":
            raise GuardFailed("refer_to_fair_access", ["a recorded deadline is wrong"], seq=3)
        return loading(self, case_id, **kwargs)

    # The report reads the cases in one stream (review QP, QP1): the case fails there too, as
    # a stream fails, mid-way; the report then loads each case alone, to name it.
    streaming = SqlAlchemyStore.load_all

    def load_all(self: SqlAlchemyStore, case_ids: Any = None) -> Iterator[Reintegration]:
        for case in streaming(self, case_ids):
            if case.case_id == "DEMO-0003":
                raise GuardFailed("refer_to_fair_access", ["a recorded deadline is wrong"], seq=3)
            yield case

    monkeypatch.setattr(SqlAlchemyStore, "load", load)
    monkeypatch.setattr(SqlAlchemyStore, "load_all", load_all)
    result = invoke(demo_db, "--calendar", "sample", "report", "--year", "2025/26")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith(
        "error: case DEMO-0003 does not load, so the report cannot count it: "
        "refer_to_fair_access refused by the protocol's rules"
    )
    assert "a recorded deadline is wrong" in result.stderr
    assert "Run `reintegration-fsm verify` to see what is wrong with it." in result.stderr


def _owed(rows: list[dict[str, Any]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in rows:
        if row["item"] == "obligation":
            found[row["owner"]] = found.get(row["owner"], 0) + 1
    return found


def _by_owner(report: dict[str, Any]) -> dict[str, int]:
    return {
        row["key"]: row["count"] for row in report["overdue_obligations_by_owner"] if row["count"]
    }


@pytest.mark.parametrize("school", [None, "Larkspur Learning Centre"])
def test_the_reports_overdue_obligations_are_those_the_due_list_gives_that_day(
    office_url: str, school: str | None
) -> None:
    """'Obligations overdue, by who owes them' counted only the cases open in the period,
    leaving out the leavers' forms, deletions from roll and consents of cases ended before it,
    which `due --overdue` lists the same day (found by a review): it now counts every case's."""
    narrowed = () if school is None else ("--school", school)
    day = "2026-11-30"
    listed = json_of(office_url, "due", "--overdue", "--on", day, *narrowed)
    found = json_of(office_url, "report", "--from", "2026-09-01", "--to", day, *narrowed)
    assert found["as_of"] == day
    assert _by_owner(found) == _owed(listed) != {}
    # A period ended: the cases as they stood on its last day, as `due --as-of` lists them.
    listed = json_of(office_url, "due", "--overdue", "--as-of", "2026-03-31", *narrowed)
    found = json_of(office_url, "report", "--from", "2026-01-05", "--to", "2026-03-31", *narrowed)
    assert _by_owner(found) == _owed(listed) != {}


def test_reviews_missed_before_the_placement_ended_show_as_missed_not_as_not_needed() -> None:
    """The first and second reviews (due 24 October and 7 November) were never held, and an
    emergency review ended the placement on 11 November: the timeline called both `not_needed`
    ("the case ended first"), hiding reviews missed for weeks while the child was in placement
    (found by a review). They are `overdue`, MISSED in the text; only the final review, due
    after the placement ended, was not needed."""
    case = caseload.ended_after_two_reviews_were_missed()
    assert case.ended_on == dt.date(2025, 11, 11)
    on = dt.date(2026, 1, 5)
    found = {d["kind"]: d["status"] for d in views.timeline_json(case, on)["deadlines"]}
    assert found == {
        "place_offer": "met",
        "first_review": "overdue",
        "second_review": "overdue",
        "final_review": "not_needed",
    }
    texts = {d.kind.value: views.deadline_status(d, case, on, None) for d in case.deadlines}
    assert texts["first_review"] == texts["second_review"] == "MISSED: not met by its due day"
    assert texts["final_review"] == "not met: the case ended (unsuccessful)"
    # In the days the placement ran, the first review was overdue work, and the final one open.
    before = dt.date(2025, 11, 3)
    while_placed = caseload.ended_after_two_reviews_were_missed()
    kept = [t for t in while_placed.history if t.on <= before]
    running = Reintegration.replay(kept, while_placed.calendar)
    first, _second, final = (d for d in running.deadlines if d.kind.value.endswith("review"))
    assert views.deadline_status(first, running, before, None) == "OVERDUE"
    assert views.deadline_status(final, running, before, None) == "open"


def test_a_deadline_is_needed_until_the_placement_or_the_case_ends() -> None:
    """`needed_until`: a review is needed until the placement ends (or the case), the offer
    until the case reaches a final stage; `missed` is unmet, past due on the day asked, and
    due before then."""
    case = caseload.ended_after_two_reviews_were_missed()
    by_kind = {d.kind.value: d for d in case.deadlines}
    first, final = by_kind["first_review"], by_kind["final_review"]
    assert case.needed_until(first) == dt.date(2025, 11, 11)  # the emergency review's day
    assert case.needed_until(by_kind["place_offer"]) == dt.date(2025, 11, 12)  # unsuccessful
    assert case.missed(first, first.due + dt.timedelta(days=1))
    assert not case.missed(first, first.due)  # due that day: not yet missed
    assert not case.missed(final, dt.date(2026, 6, 1))  # due after the placement ended
    moved = attrs.evolve(final, due=dt.date(2025, 11, 10))  # the day before it ended
    assert case.missed(moved, dt.date(2025, 11, 11))
    assert not case.missed(attrs.evolve(final, due=dt.date(2025, 11, 11)), dt.date(2026, 1, 1))
    withdrawn = caseload.withdrawn_after_its_offer_went_overdue()
    offer = withdrawn.deadlines[0]
    assert withdrawn.needed_until(offer) == dt.date(2026, 1, 14)
    assert withdrawn.missed(offer, dt.date(2026, 1, 14))
    running = caseload.ended_after_two_reviews_were_missed()
    assert Reintegration.replay(running.history[:3], running.calendar).needed_until(offer) is None


def test_a_case_is_closed_on_the_day_it_reached_a_final_stage() -> None:
    """`closed_on`: None while the case runs, in `ending` too (the placement ended, the case
    not), then the day of the step that took it to a final stage, as reports count it."""
    ended = caseload.ended_after_two_reviews_were_missed()
    closing = next(t for t in ended.history if t.dest.is_final)
    assert ended.closed_on == closing.on == dt.date(2025, 11, 12)
    kept = [t for t in ended.history if not t.dest.is_final]
    assert kept[-1].dest is Stage.ENDING
    assert Reintegration.replay(kept, ended.calendar).closed_on is None
    withdrawn = caseload.withdrawn_after_its_offer_went_overdue()
    assert withdrawn.closed_on == withdrawn.history[-1].on == dt.date(2026, 1, 14)
