"""A tired local-authority officer at 5pm on a Friday, scripting and reporting from the CLI.

Each test is a try such a person made for real: an id pasted from Word or an email, a date
typed another way, a step submitted twice or in the wrong order, a mistyped option, an empty
environment variable, Ctrl-C while a command writes, two commands at once on one file. What
held up is kept here so that it keeps holding; what did not was fixed, and its test is here too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import scenario
import stages
from reintegration_fsm import Reintegration
from reintegration_fsm import demo as demo_cases
from reintegration_fsm.serialisation import transition_from_json, transition_to_json, unstructure
from reintegration_fsm.stores import SqlAlchemyStore
from reintegration_fsm.vocabulary import Actor
from store_contract import built
from test_cli import AP, run
from test_cli_boundary import OPEN_DATA, invoke, no_traceback, open_case, write
from test_hostile_integrator import IGNORABLE

RECORDED_CONSENT = {"form": unstructure(scenario.consent())}


def case_ids(url: str) -> list[str]:
    listed = invoke(url, "cases", "--format", "json")
    assert listed.exit_code == 0, listed.output
    return [row["case_id"] for row in json.loads(listed.stdout)]


def history_length(url: str, case_id: str) -> int:
    listed = invoke(url, "history", case_id, "--format", "json")
    assert listed.exit_code == 0, listed.output
    return len(json.loads(listed.stdout))


def assert_second_review_unmet(url: str, case_id: str) -> None:
    """The case's second review deadline is not met: no repeat of the first review met it."""
    timeline = json.loads(invoke(url, "timeline", case_id, "--format", "json").stdout)
    second = next(d for d in timeline["deadlines"] if d["kind"] == "second_review")
    assert second["met_on"] is None, second


def sound(url: str) -> bool:
    checked = invoke(url, "verify")
    return checked.exit_code == 0 and "sound" in checked.stdout


# -- the database named wrongly ------------------------------------------------------------------
@pytest.mark.parametrize("database", ["", "sqlite://", "sqlite:///:memory:", ":memory:"])
def test_a_database_in_memory_is_refused_rather_than_losing_the_case(
    database: str, tmp_path: Path
) -> None:
    """`--db "$DB"` with DB unset gave `--db ""`, which SQLAlchemy reads as a database in memory:
    `apply ... open` said "accepted" and the case was gone when the command ended."""
    data = write(tmp_path / "open.json", json.dumps(OPEN_DATA))
    result = invoke(database, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "accepted" not in result.stdout
    assert "--db" in result.stderr
    assert "memory" in result.stderr or "empty" in result.stderr


def test_an_empty_database_variable_is_refused_not_read_as_the_default_file(
    tmp_path: Path,
) -> None:
    """`RFSM_DATABASE_URL=$LA_DB` with LA_DB unset: the case went into a new
    ./reintegration.sqlite, not the authority's database, and nothing said so."""
    data = write(tmp_path / "open.json", json.dumps(OPEN_DATA))
    env = {"RFSM_DATABASE_URL": ""}
    step = ["apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12"]
    opened = run(*step, cwd=tmp_path, env=env)
    assert opened.returncode == 2, opened.stdout
    assert "RFSM_DATABASE_URL" in opened.stderr
    assert "Traceback" not in opened.stderr
    assert not (tmp_path / "reintegration.sqlite").exists()
    # A command that reads no case runs as ever.
    assert run("diagram", cwd=tmp_path, env=env).returncode == 0


@pytest.mark.parametrize("env", [{"RFSM_DATABASE_URL": ""}, {}])
def test_a_command_that_reads_no_case_fails_in_its_own_words_under_an_empty_database(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Its failure was replaced by "no database is named": the failed command's clean-up asked
    for the database's URL, and the empty one was refused there instead."""
    database = ["--db", ""] if not env else []
    count = ["--calendar", "sample", "calendar", "add-school-days", "2030-01-07", "3"]
    result = run(*database, *count, cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stdout
    assert "outside the school calendar" in result.stderr
    assert "no database is named" not in result.stderr


# -- ids pasted from Word or an email -----------------------------------------------------------
@pytest.mark.parametrize(
    "case_id",
    [
        "C-9\u200b",  # a zero-width space, as Outlook leaves after a pasted link
        "\ufeffC-9",  # a byte order mark, from the start of a pasted file
        "C\u2060-9",  # a word joiner
        "C-9\u00ad",  # a soft hyphen
        "C-9\u200d",  # a zero-width joiner, joining nothing
        "\u201cC-9\u201d",  # Word's smart quotes around the id
        "'C-9'",
    ],
)
def test_a_case_id_pasted_with_invisible_characters_or_quotes_is_not_opened(
    demo_db: str, tmp_path: Path, case_id: str
) -> None:
    """`apply 'C-9<U+200B>' open` made a case whose id looks like C-9 and is not: every later
    `history C-9` said "no case"."""
    before = case_ids(demo_db)
    result = open_case(demo_db, tmp_path, case_id)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "type the id" in result.stderr
    assert case_ids(demo_db) == before


@pytest.mark.parametrize("hidden", [*IGNORABLE, "\u180f"])
def test_a_case_id_holding_a_character_nothing_is_drawn_for_is_not_opened(
    demo_db: str, tmp_path: Path, hidden: str
) -> None:
    """`apply 'DEMO-0004<U+FE0F>' open` (a variation selector, as an emoji carries; a filler, a
    Khmer inherent vowel, a Mongolian selector, a format control) opened a second case whose
    id reads DEMO-0004: `history DEMO-0004` found the first, pasted steps went to the second
    (found by a review). The character is named, and the id without it is opened."""
    before = case_ids(demo_db)
    for case_id in (f"DEMO-0004{hidden}", f"C-9{hidden}"):
        result = open_case(demo_db, tmp_path, case_id)
        no_traceback(result)
        assert result.exit_code == 2, result.output
        assert f"U+{ord(hidden):04X}" in result.stderr
        assert case_ids(demo_db) == before
    assert open_case(demo_db, tmp_path, "C-9").exit_code == 0
    assert case_ids(demo_db) == sorted([*before, "C-9"])


def test_a_case_id_with_an_accent_or_a_dash_of_its_own_is_still_an_id(
    demo_db: str, tmp_path: Path
) -> None:
    """Not every character beyond ASCII is pasted by mistake: an authority may number cases
    `ÉCOLE-1` or `C/2026/1`; these open as ever."""
    for case_id in ("ÉCOLE-1", "C/2026/1", "Ń-1 (Zoë)"):
        assert open_case(demo_db, tmp_path, case_id).exit_code == 0
    assert {"ÉCOLE-1", "C/2026/1", "Ń-1 (Zoë)"} <= set(case_ids(demo_db))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("DEMO-0001 ", "a space"),
        ("DEMO-0001\u00a0", "a space"),
        ("DEMO-0001\u200b", "U+200B"),
        ("\ufeffDEMO-0001", "U+FEFF"),
        ("DEMO\u200c-0001", "U+200C"),  # a zero-width non-joiner beside a Latin letter
        ("\u201cDEMO-0001\u201d", "quotation mark"),
    ],
)
def test_an_id_pasted_with_a_stray_character_says_which_case_was_meant(
    demo_db: str, given: str, shown: str
) -> None:
    """`history 'DEMO-0001 '` said only "no case 'DEMO-0001 '": at 5pm nobody sees the space."""
    result = invoke(demo_db, "history", given)
    no_traceback(result)
    assert result.exit_code == 2
    assert shown in result.stderr
    assert "'DEMO-0001'" in result.stderr


def test_an_unknown_case_says_how_to_find_the_right_one(demo_db: str) -> None:
    """A mistyped id (no stray character to blame) names the command that lists the cases."""
    result = invoke(demo_db, "timeline", "DEMO-001")
    assert result.exit_code == 2
    assert "no case 'DEMO-001'" in result.stderr
    assert "cases --search" in result.stderr


def test_due_for_a_mistyped_case_is_refused_not_nothing_due(demo_db: str) -> None:
    """`due --case DEMO-002` printed "nothing due" (exit 0): the officer went home thinking
    DEMO-0002's school owed nothing."""
    result = invoke(demo_db, "due", "--case", "DEMO-002", "--on", "2026-12-01")
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "no case 'DEMO-002'" in result.stderr
    assert "nothing due" not in result.stdout
    known = invoke(demo_db, "due", "--case", "DEMO-0002", "--on", "2026-12-01")
    assert known.exit_code == 0
    assert "DEMO-0002" in known.stdout


def test_due_for_another_authoritys_case_is_no_case(demo_db: str, tmp_path: Path) -> None:
    """The refusal of an unknown `--case` shows nothing of another authority's cases (R15)."""
    other = "Nowhere Borough Council"
    assert open_case(demo_db, tmp_path, "N-1", local_authority=other).exit_code == 0
    result = invoke(demo_db, "due", "--case", "DEMO-0002", env={"RFSM_AUTHORITY": other})
    assert result.exit_code == 2
    assert "DEMO-0002" in result.stderr
    # It reads as an id no authority holds: nothing tells the other authority's case is there.
    nowhere = invoke(demo_db, "due", "--case", "DEMO-9999", env={"RFSM_AUTHORITY": other})
    assert result.stderr.replace("DEMO-0002", "DEMO-9999") == nowhere.stderr


# -- dates typed another way ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "day", ["03/12/2026", "2026-12-3", "today", "tomorrow", "2026-03-31 ", "31-03-2026"]
)
def test_a_date_in_another_form_is_bad_input_saying_the_form(demo_db: str, day: str) -> None:
    """Dates are ISO only: 03/12/2026 is 3 December or 12 March depending on who typed it."""
    result = invoke(demo_db, "due", "--on", day)
    no_traceback(result)
    assert result.exit_code == 2
    assert "2026-03-02" in result.stderr or "YYYY-MM-DD" in result.stderr


def test_a_day_no_calendar_has_is_named_as_such(demo_db: str) -> None:
    """`--on 2026-02-31` was "not a date like 2026-03-02", which it is, in form."""
    result = invoke(demo_db, "due", "--on", "2026-02-31")
    assert result.exit_code == 2
    assert "no such day" in result.stderr
    assert "not a date like" not in result.stderr


# -- steps twice, or in the wrong order ----------------------------------------------------------
def test_a_step_submitted_twice_says_it_was_already_recorded(demo_db: str, tmp_path: Path) -> None:
    """Pressing Enter twice on `record_consent`: the second said only "not available in stage
    'consented'", which leaves the officer wondering whether the first was saved."""
    assert open_case(demo_db, tmp_path, "C-7").exit_code == 0
    consent = write(tmp_path / "consent.json", json.dumps(RECORDED_CONSENT))
    args = ["apply", "C-7", "record_consent", "--data", consent, *AP, "--on", "2026-01-14"]
    assert invoke(demo_db, *args).exit_code == 0
    again = invoke(demo_db, *args)
    no_traceback(again)
    assert again.exit_code == 1
    assert (
        f"already recorded on 2026-01-14 (seq 2) by the ap_head of {scenario.AP_SETTING}: "
        "nothing was changed" in again.stderr
    )
    assert "Morgan Reed" not in again.stderr  # the role, not the person (maybe a parent)
    assert "nothing was changed" in again.stderr
    assert "refer_to_fair_access" in again.stderr  # what may be done next
    assert history_length(demo_db, "C-7") == 2
    as_json = json.loads(invoke(demo_db, *args, "--format", "json").stdout)
    assert as_json["exit_code"] == 1
    assert any("already recorded" in reason for reason in as_json["reasons"])


def placed(tmp_path: Path) -> tuple[str, str]:
    """A store holding the scenario's case in placement: its URL and the case's id."""
    url = f"sqlite:///{tmp_path / 'placed.sqlite'}"
    case = stages.in_placement()
    with SqlAlchemyStore(url) as store:
        store.create_schema()
        store.save(case)
    return url, case.case_id


def staff(actor: Actor, day: dt.date) -> list[str]:
    """The options naming `actor`, acting on `day`."""
    named = ["--actor-id", actor.id, "--actor-name", actor.name, "--role", actor.role.value]
    return [*named, "--organisation", actor.organisation, "--on", day.isoformat()]


def test_a_review_submitted_twice_is_refused_saying_it_was_already_recorded(
    tmp_path: Path,
) -> None:
    """The same `hold_review` run again (the terminal seemed to hang): `hold_review` keeps the
    stage, so the copy was recorded as another interim review, meeting the second review's
    deadline two weeks early, and nothing said it was a repeat (found by a review, A3). Now
    it is refused (exit 1), saying when it was recorded, and nothing is added."""
    url, case_id = placed(tmp_path)
    meeting = {"meeting": unstructure(scenario.review(scenario.FIRST_REVIEW))}
    review = write(tmp_path / "review.json", json.dumps(meeting))
    host = staff(scenario.HOST_STAFF, scenario.FIRST_REVIEW)
    args = ["apply", case_id, "hold_review", "--data", review, *host]
    assert invoke(url, *args).exit_code == 0
    before = history_length(url, case_id)
    again = invoke(url, *args)
    no_traceback(again)
    assert again.exit_code == 1, again.output
    assert again.stderr == (
        "error: hold_review refused: it repeats the case's last step\n"
        f"  - hold_review was already recorded as seq {before} on 2026-03-06 by the host_staff "
        f"of {scenario.HOST_SCHOOL}, with the same data: nothing was added.\n"
        "  - To record another hold_review, give it its own meeting (held_on): a review of the "
        "same day and kind is the same meeting, whatever its other data.\n"
    )
    assert history_length(url, case_id) == before
    assert_second_review_unmet(url, case_id)


@pytest.mark.parametrize("later", [dt.timedelta(days=3), None], ids=["monday", "no-on"])
def test_a_review_submitted_again_on_a_later_day_is_the_same_meeting(
    tmp_path: Path, later: dt.timedelta | None
) -> None:
    """The same review form recorded again on the Monday (or with no --on, so dated today):
    the one meeting held on 6 March was recorded as the second interim review too, meeting
    its deadline, and with no --on the case was dated today, so every real later step was
    refused (review O, O2). A review's form gives the day of its meeting: the same form
    again is the same meeting, refused (exit 1) whatever day it is recorded on."""
    url, case_id = placed(tmp_path)
    meeting = {"meeting": unstructure(scenario.review(scenario.FIRST_REVIEW))}
    review = write(tmp_path / "review.json", json.dumps(meeting))
    host = staff(scenario.HOST_STAFF, scenario.FIRST_REVIEW)
    assert invoke(url, "apply", case_id, "hold_review", "--data", review, *host).exit_code == 0
    before = history_length(url, case_id)
    again = staff(scenario.HOST_STAFF, scenario.FIRST_REVIEW + (later or dt.timedelta()))
    if later is None:
        again = again[:-2]  # no --on: dated today
    result = invoke(url, "apply", case_id, "hold_review", "--data", review, *again)
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        "error: hold_review refused: it repeats the case's last step\n"
        f"  - hold_review was already recorded as seq {before} on 2026-03-06 by the host_staff "
    )
    assert history_length(url, case_id) == before


def _first_review_recorded(tmp_path: Path) -> tuple[str, str, Path]:
    url, case_id = placed(tmp_path)
    meeting = {"meeting": unstructure(scenario.review(scenario.FIRST_REVIEW))}
    review = write(tmp_path / "review.json", json.dumps(meeting))
    held = staff(scenario.HOST_STAFF, scenario.FIRST_REVIEW)
    assert invoke(url, "apply", case_id, "hold_review", "--data", review, *held).exit_code == 0
    return url, case_id, review


LATER = ["--on", (scenario.FIRST_REVIEW + dt.timedelta(days=14)).isoformat()]
PARENT = ["--actor-id", "parent-1", "--actor-name", "Dana Example", "--role", "parent"]
LEAVE_OUT = "Leave out --organisation."
NAME_IT = "Name who they act for: --organisation ORG."


def test_D5_a_parent_refused_a_step_they_may_never_take_is_not_told_to_leave_out_the_org(
    tmp_path: Path,
) -> None:
    """A parent may not record a review (R-roles); given an organisation too, the refusal of
    the role (checked first) got the advice "Leave out --organisation.", which the officer
    followed, to be refused again for the role (review D, D5). The refusal says the role, and
    no advice about the organisation."""
    url, case_id, review = _first_review_recorded(tmp_path)
    given = invoke(
        url, "apply", case_id, "hold_review", "--data", review, *PARENT, *LATER,
        "--organisation", "Example family",
    )  # fmt: skip
    no_traceback(given)
    assert given.exit_code == 1, given.output
    assert "A parent or carer may not record a review" in given.stderr, given.stderr
    assert LEAVE_OUT not in given.stderr, given.stderr
    assert "--organisation" not in given.stderr, given.stderr


def test_a_parent_who_may_take_the_step_is_told_to_leave_out_the_organisation(
    tmp_path: Path,
) -> None:
    """A parent may withdraw the child: refused only for the organisation given, they are told
    to leave it out (review P, P4), and D5's fix keeps that advice."""
    url = f"sqlite:///{tmp_path / 'opened.sqlite'}"
    assert open_case(url, tmp_path).exit_code == 0
    reason = write(tmp_path / "withdraw.json", json.dumps({"reason": "We are moving away."}))
    step = ["apply", "C-1", "withdraw", "--data", reason, *PARENT, "--on", "2026-01-14"]
    given = invoke(url, *step, "--organisation", "Example family")
    no_traceback(given)
    assert given.exit_code == 1, given.output
    assert given.stderr.splitlines()[-1] == f"  - {LEAVE_OUT}", given.stderr
    assert invoke(url, *step).exit_code == 0


@pytest.mark.parametrize(
    ("who", "advised"),
    [(scenario.HOST_STAFF, True), (scenario.ADMISSIONS, False)],
    ids=["host-staff-may", "admissions-may-not"],
)
def test_staff_without_an_organisation_are_told_to_name_it_only_when_their_role_may_act(
    tmp_path: Path, who: Actor, advised: bool
) -> None:
    """Staff who gave no --organisation are told to name who they act for when their role
    may take the step (a host school's staff member, recording a review), not when it may
    not (LA admissions may not record a review: naming an organisation would be refused
    again, for the role; review D, D5)."""
    url, case_id, _ = _first_review_recorded(tmp_path)
    later = scenario.FIRST_REVIEW + dt.timedelta(days=14)
    meeting = {"meeting": unstructure(scenario.review(later))}
    second = write(tmp_path / "second.json", json.dumps(meeting))
    actor = staff(who, later)
    without = actor[: actor.index("--organisation")] + actor[actor.index("--on") :]
    given = invoke(url, "apply", case_id, "hold_review", "--data", second, *without)
    no_traceback(given)
    assert given.exit_code == 1, given.output
    assert (NAME_IT in given.stderr) is advised, given.stderr
    if not advised:
        assert "may not record a review" in given.stderr, given.stderr
        assert "--organisation" not in given.stderr, given.stderr


def test_a_parent_opening_a_case_with_an_organisation_is_refused_for_the_role_alone(
    tmp_path: Path,
) -> None:
    """`open` is the AP head teacher's alone: a parent giving an organisation is refused for
    the role, with no advice about the organisation (the protocol `open` would run under
    says who may open, as a case's says who may take its later steps)."""
    url = f"sqlite:///{tmp_path / 'open.sqlite'}"
    data = write(tmp_path / "open.json", json.dumps(OPEN_DATA))
    given = invoke(
        url, "apply", "C-9", "open", "--data", data, *PARENT, "--on", "2026-01-12",
        "--organisation", "Example family",
    )  # fmt: skip
    no_traceback(given)
    assert given.exit_code == 1, given.output
    assert "may not open" in given.stderr, given.stderr
    assert "--organisation" not in given.stderr, given.stderr


@pytest.mark.parametrize("between", ["discharge", "another-member-of-staff"])
def test_F1_the_same_review_typed_in_again_is_refused_whatever_came_between(
    tmp_path: Path, between: str
) -> None:
    """O2's fix refused the same review form only when it repeated the case's very last step,
    by the same actor. After the AP discharged the review's paperwork (the next step the
    protocol asks for), or when a colleague typed in the same minutes, the copy was accepted:
    the one meeting of 6 March met the second review's deadline too (review F, F1). Now it is
    refused (exit 1), whoever records it and whatever came between."""
    url, case_id, review = _first_review_recorded(tmp_path)
    monday = scenario.FIRST_REVIEW + dt.timedelta(days=3)
    who = scenario.HOST_STAFF
    if between == "discharge":
        kind = write(tmp_path / "kind.json", '{"kind": "send_paperwork_to_admissions"}')
        done = invoke(
            url, "apply", case_id, "discharge", "--data", kind, *staff(scenario.AP_STAFF, monday)
        )
        assert done.exit_code == 0, done.output
    else:
        who = scenario.AP_STAFF
    before = history_length(url, case_id)
    again = invoke(url, "apply", case_id, "hold_review", "--data", review, *staff(who, monday))
    assert again.exit_code == 1, again.output
    assert "already recorded" in again.stderr
    assert history_length(url, case_id) == before
    assert_second_review_unmet(url, case_id)


def test_the_same_review_meeting_typed_in_again_with_a_word_changed_is_refused(
    tmp_path: Path,
) -> None:
    """F1 refused the same review form recorded again only when every field was the same: a
    colleague typing the same meeting (its `held_on` and kind) with the outcome worded
    otherwise recorded a second review, and the one meeting of 6 March met the second
    review's deadline too (review Z, Z3). Now it is refused (exit 1), naming the meeting, and
    advises its own `held_on` alone: "or data" was untrue since, and the officer changing a
    word as told was refused again (review D, D4)."""
    url, case_id, first = _first_review_recorded(tmp_path)
    meeting = json.loads(Path(first).read_text("utf-8"))["meeting"]
    retyped = dict(meeting, outcome=str(meeting.get("outcome", "")) + " Placement continues.")
    second = write(tmp_path / "second.json", json.dumps({"meeting": retyped}))
    monday = scenario.FIRST_REVIEW + dt.timedelta(days=3)
    before = history_length(url, case_id)
    again = invoke(
        url, "apply", case_id, "hold_review", "--data", second, *staff(scenario.AP_STAFF, monday)
    )
    assert again.exit_code == 1, again.output
    assert "with the same meeting (held_on and kind)" in again.stderr
    assert "or data" not in again.stderr, again.stderr
    assert "give it its own meeting (held_on): a review of the same day and kind" in again.stderr
    assert history_length(url, case_id) == before
    assert_second_review_unmet(url, case_id)


def test_the_same_step_on_its_own_date_or_a_discharge_left_to_do_is_recorded(
    tmp_path: Path,
) -> None:
    """Only a repeat is refused: the second review, held on its own day, is another meeting,
    and the AP discharging the three paperwork obligations the initial meeting and the reviews
    opened, one after the other, closes each."""
    url, case_id = placed(tmp_path)
    for held_on, day in (
        (scenario.FIRST_REVIEW, scenario.FIRST_REVIEW),
        (scenario.SECOND_REVIEW, scenario.SECOND_REVIEW),
    ):
        meeting = {"meeting": unstructure(scenario.review(held_on))}
        review = write(tmp_path / f"review-{held_on}.json", json.dumps(meeting))
        held = ["apply", case_id, "hold_review", "--data", review]
        result = invoke(url, *held, *staff(scenario.HOST_STAFF, day))
        assert result.exit_code == 0, result.output
    kind = write(tmp_path / "kind.json", '{"kind": "send_paperwork_to_admissions"}')
    discharge = ["apply", case_id, "discharge", "--data", kind]
    discharge += staff(scenario.AP_STAFF, scenario.SECOND_REVIEW)
    for _ in range(3):
        result = invoke(url, *discharge)
        assert result.exit_code == 0, result.output
    left = invoke(url, *discharge)
    assert left.exit_code == 1
    assert "already recorded" not in left.stderr


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("elmstead high school", scenario.HOST_SCHOOL),
        ("Elmstead  High School", scenario.HOST_SCHOOL),
        ("BROOKFIELD learning centre", scenario.AP_SETTING),
    ],
)
def test_a_host_school_named_in_other_capitals_or_spacing_is_refused_naming_the_school(
    tmp_path: Path, given: str, meant: str
) -> None:
    """`identify_host` took "elmstead high school" for a school the store's cases name
    "Elmstead High School": its staff were then refused on the case (R15 compares exactly)
    and the Fair Access ledger split the school in two (found by a review, A4). Now the CLI
    refuses it (exit 2), naming the school meant, and records nothing."""
    url, _ = placed(tmp_path)
    with SqlAlchemyStore(url) as store:
        store.save(built("C-2", 3))  # referred, waiting for its host school
    host = write(tmp_path / "host.json", json.dumps({"host_school": given, "via": "panel"}))
    args = ["apply", "C-2", "identify_host", "--data", host]
    refused = invoke(url, *args, *staff(scenario.ADMISSIONS, scenario.HOST_FOUND))
    no_traceback(refused)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith(
        f"error: identify_host.host_school: {given!r} differs from the school {meant!r} only "
        f"in letters' case or spacing: did you mean {meant!r}?\n"
    )
    assert history_length(url, "C-2") == 3


@pytest.mark.parametrize("school", [scenario.HOST_SCHOOL, "Oakwood Academy"])
def test_a_host_school_named_as_its_cases_name_it_or_a_new_one_is_recorded(
    tmp_path: Path, school: str
) -> None:
    url, _ = placed(tmp_path)
    with SqlAlchemyStore(url) as store:
        store.save(built("C-2", 3))
    host = write(tmp_path / "host.json", json.dumps({"host_school": school, "via": "panel"}))
    args = ["apply", "C-2", "identify_host", "--data", host]
    accepted = invoke(url, *args, *staff(scenario.ADMISSIONS, scenario.HOST_FOUND))
    assert accepted.exit_code == 0, accepted.output


def test_an_ap_setting_named_in_other_capitals_is_refused_and_as_written_is_opened(
    tmp_path: Path,
) -> None:
    """`open` is held to the same: "brookfield learning centre" beside the store's
    "Brookfield Learning Centre" is refused; the name as its cases write it opens."""
    url, _ = placed(tmp_path)
    refused = open_case(url, tmp_path, "C-3", ap_setting="brookfield learning centre")
    assert refused.exit_code == 2, refused.output
    assert "did you mean 'Brookfield Learning Centre'?" in refused.stderr
    assert "C-3" not in case_ids(url)
    assert open_case(url, tmp_path, "C-3").exit_code == 0


def test_a_step_in_the_wrong_order_names_the_steps_open_now(demo_db: str, tmp_path: Path) -> None:
    """`identify_host` on a case still waiting for consent says what the case waits for."""
    assert open_case(demo_db, tmp_path, "C-8").exit_code == 0
    host = write(tmp_path / "host.json", '{"host_school": "Elmstead High School", "via": "panel"}')
    admissions = ["--actor-id", "la-1", "--actor-name", "Jo Whitfield", "--role", "la_admissions"]
    admissions += ["--organisation", scenario.AUTHORITY, "--on", "2026-01-13"]
    result = invoke(demo_db, "apply", "C-8", "identify_host", "--data", host, *admissions)
    assert result.exit_code == 1
    assert "'identify_host' is not available in stage 'proposed'" in result.stderr
    assert "record_consent" in result.stderr
    assert "already recorded" not in result.stderr
    assert history_length(demo_db, "C-8") == 1


def test_a_step_recorded_before_but_not_last_is_no_double_submit(
    demo_db: str, tmp_path: Path
) -> None:
    """DEMO-0003 gave its consent, then was withdrawn: consent again is out of order, not the
    same step submitted twice."""
    consent = write(tmp_path / "consent.json", json.dumps(RECORDED_CONSENT))
    args = ["apply", "DEMO-0003", "record_consent", "--data", consent, *AP]
    listed = json.loads(invoke(demo_db, "history", "DEMO-0003", "--format", "json").stdout)
    assert "record_consent" in [step["trigger"] for step in listed[:-1]]
    result = invoke(demo_db, *args)
    assert result.exit_code == 1
    assert "already recorded" not in result.stderr
    assert "its stage's steps:" in result.stderr


def test_a_mistyped_trigger_is_named_with_the_one_meant(demo_db: str, tmp_path: Path) -> None:
    """`apply C-1 withdrawn` said "bad data for withdrawn", though the data was fine."""
    reason = write(tmp_path / "why.json", '{"reason": "Moving away."}')
    result = invoke(demo_db, "apply", "DEMO-0004", "withdrawn", "--data", reason, *AP)
    assert result.exit_code == 2
    assert "unknown trigger 'withdrawn'" in result.stderr
    assert "bad data" not in result.stderr
    assert "withdraw?" in result.stderr


def test_two_officers_submitting_one_step_at_once_record_it_once(tmp_path: Path) -> None:
    """Two terminals, the same `record_consent`, one SQLite file: the step is recorded once,
    and the store still verifies. The second is refused (exit 1, "already recorded") when it
    loaded the case after the first saved; when both loaded it before, both built the very
    same transition, which the store records once and both report (docs/stores.md, Saving)."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert open_case(url, tmp_path, "C-2").exit_code == 0
    consent = write(tmp_path / "consent.json", json.dumps(RECORDED_CONSENT))
    command = [sys.executable, "-m", "reintegration_fsm", "--db", url, "apply", "C-2"]
    command += ["record_consent", "--data", consent, *AP, "--on", "2026-01-14"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    both = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outcomes = sorted((p.communicate()[1], p.returncode) for p in both)
    outcomes = sorted((code, err) for err, code in outcomes)
    codes = [code for code, _ in outcomes]
    assert codes in ([0, 1], [0, 0]), outcomes
    assert all(b"Traceback" not in err for _, err in outcomes)
    if codes == [0, 1]:
        assert b"record_consent was already recorded on 2026-01-14" in outcomes[1][1]
    assert history_length(url, "C-2") == 2
    assert sound(url)


# -- Ctrl-C while a command writes ---------------------------------------------------------------
CTRL_C_MID_WRITE = """
import os, signal, sys
from reintegration_fsm.cli import main
from reintegration_fsm.stores import bulk

# As a terminal would run it, whatever started the test: a background job ignores SIGINT, and
# a process inherits a signal mask holding it back.
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

written = bulk.binary

def interrupted(entry):
    # The officer presses Ctrl-C as the new transition is written, after the case's open
    # items were deleted in the same transaction.
    os.kill(os.getpid(), signal.SIGINT)
    return written(entry)

bulk.binary = interrupted
sys.argv = ["reintegration-fsm", *sys.argv[1:]]
main()
"""


def test_ctrl_c_as_a_step_is_written_saves_nothing(demo_db: str, tmp_path: Path) -> None:
    """SIGINT in the middle of `apply`'s save: "Aborted!", exit 1, no traceback, nothing
    half-written (the history is as before and the store verifies)."""
    visit = write(tmp_path / "k.json", '{"kind": "offer_visit"}')
    step = ["apply", "DEMO-0004", "discharge", "--data", visit, "--on", "2026-05-06"]
    step += ["--actor-id", "ap-1", "--actor-name", "Robin Ashdown", "--role", "ap_head"]
    step += ["--organisation", "Larkspur Learning Centre"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFSM_")}
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_MID_WRITE, "--db", demo_db, *step],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Aborted!" in result.stderr
    assert "Traceback" not in result.stderr
    assert history_length(demo_db, "DEMO-0004") == 4
    assert sound(demo_db)
    # The same step, run again without Ctrl-C, is accepted.
    again = invoke(demo_db, *step)
    assert again.exit_code == 0, again.output


# -- output to a file ----------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_output_naming_a_journal_of_the_database_is_refused(
    demo_db: str, tmp_path: Path, suffix: str
) -> None:
    """`-o cases.sqlite-wal` (tab completion's first guess) was written, then removed by SQLite
    as the command closed the database: "wrote" a file that was not there."""
    journal = demo_db.removeprefix("sqlite:///") + suffix
    for leftover in Path(journal).parent.glob("*" + suffix):
        leftover.unlink()
    result = invoke(demo_db, "cases", "--format", "csv", "-o", journal)
    assert result.exit_code == 2, result.output
    assert "database" in result.stderr
    assert "wrote" not in result.stderr
    assert sound(demo_db)


def test_output_naming_a_journal_of_the_database_given_by_a_link_is_refused(
    demo_db: str, tmp_path: Path
) -> None:
    """SQLite keeps the journals beside the file a link names, not beside the link: they were
    looked for beside the link, so `-o` over the real journal "wrote" a file SQLite removed."""
    real = Path(demo_db.removeprefix("sqlite:///"))
    link = tmp_path / "link.sqlite"
    link.symlink_to(real)
    journal = str(real) + "-wal"
    result = invoke(f"sqlite:///{link}", "cases", "--format", "csv", "-o", journal)
    assert result.exit_code == 2, result.output
    assert "one of its journals" in result.stderr
    assert sound(demo_db)


# -- the demo, pointed at a live store ----------------------------------------------------------
def test_the_demo_refuses_a_database_holding_other_cases(tmp_path: Path) -> None:
    """With RFSM_DATABASE_URL naming the live store, `demo` added four invented children to
    it for good: into the audit log, the weightings ledger and every report (found by a
    review). It now runs only into a database holding no case but its own."""
    live = f"sqlite:///{tmp_path / 'live.sqlite'}"
    assert open_case(live, tmp_path, "LA-2026-001").exit_code == 0
    result = invoke(live, "demo")
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "holds cases besides the demo's" in result.stderr
    assert "--db demo.sqlite" in result.stderr
    assert case_ids(live) == ["LA-2026-001"]
    # Scoped to the demo's own authority, it sees none of the live cases, and is refused
    # alike, naming none of them (found by a review).
    scoped = invoke(live, "demo", env={"RFSM_AUTHORITY": demo_cases.AUTHORITY})
    assert scoped.exit_code == 2, scoped.output
    assert "holds cases besides the demo's" in scoped.stderr
    assert "LA-2026-001" not in scoped.stderr
    assert case_ids(live) == ["LA-2026-001"]
    # Its own file, and a rerun of it, are the demo's as ever.
    own = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    for _ in range(2):
        assert invoke(own, "demo").exit_code == 0
    assert len(case_ids(own)) == 4


# -- ids differing only in letters' case ----------------------------------------------------------
def test_an_id_differing_only_in_case_opens_no_second_case(demo_db: str, tmp_path: Path) -> None:
    """`apply demo-0001 open` opened a second case beside DEMO-0001, on every engine (found by
    a review): two children's records an officer cannot tell apart by ear or on paper."""
    before = case_ids(demo_db)
    result = open_case(demo_db, tmp_path, "demo-0001")
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "differs from the case 'DEMO-0001' only in letters' case" in result.stderr
    assert case_ids(demo_db) == before
    # An id that differs otherwise opens as ever.
    assert open_case(demo_db, tmp_path, "DEMO-0001-B").exit_code == 0


def test_two_opens_of_ids_differing_only_in_case_at_one_moment_are_both_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two officers (or two hosts) run `apply race-1 open` and `apply RACE-1 open` at the same
    moment: the refusal of an id differing only in letters' case is made by reading the store
    before writing, so when the other save lands between this one's read and its save, both
    are stored (review B, B1). docs/cli.md says so, and that `cases --search` finds both; a
    later open of such an id is refused as ever."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert invoke(url, "db", "upgrade").exit_code == 0
    original = SqlAlchemyStore.save
    raced: list[str] = []

    def save_after_the_other(store: SqlAlchemyStore, case: Reintegration) -> None:
        if case.case_id == "RACE-1" and not raced:
            raced.append(case.case_id)
            with SqlAlchemyStore(url) as other:  # the other officer's open, saved first
                other.save(built("race-1", 1))
        original(store, case)

    monkeypatch.setattr(SqlAlchemyStore, "save", save_after_the_other)
    opened = open_case(url, tmp_path, "RACE-1")
    monkeypatch.setattr(SqlAlchemyStore, "save", original)
    no_traceback(opened)
    assert raced
    assert opened.exit_code == 0, opened.output
    assert sorted(case_ids(url)) == ["RACE-1", "race-1"]
    found = invoke(url, "cases", "--search", "race-1", "--format", "json")
    assert found.exit_code == 0, found.output
    assert sorted(row["case_id"] for row in json.loads(found.stdout)) == ["RACE-1", "race-1"]
    refused = open_case(url, tmp_path, "Race-1")
    assert refused.exit_code == 2, refused.output
    assert "only in letters' case" in refused.stderr


@pytest.mark.parametrize(("first", "second"), [("DİLEK-1", "dilek-1"), ("KIZ-1", "kız-1")])
def test_an_id_differing_only_in_a_turkish_letters_case_is_refused(
    demo_db: str, tmp_path: Path, first: str, second: str
) -> None:
    """kız's capitals are KIZ, and DİLEK's small letters dilek: `apply ... open` and `import`
    took the second beside the first, as `str.casefold` keeps ı and makes İ i with a dot above
    (found by a review). They fold as the rules fold a child's name, I and İ, ı and i alike."""
    assert open_case(demo_db, tmp_path, first).exit_code == 0
    before = case_ids(demo_db)
    opened = open_case(demo_db, tmp_path, second)
    no_traceback(opened)
    assert opened.exit_code == 2, opened.output
    assert f"case id {second!r} differs from the case {first!r} only in letters' case" in (
        opened.stderr
    )
    unknown = invoke(demo_db, "history", second)
    assert unknown.exit_code == 2, unknown.output
    assert f"{second!r} differs only in letters' case: did you mean {first!r}?" in unknown.stderr
    exported = invoke(demo_db, "export", first)
    assert exported.exit_code == 0, exported.output
    renamed = write(tmp_path / "renamed.json", exported.stdout.replace(f'"{first}"', f'"{second}"'))
    imported = invoke(demo_db, "import", renamed)
    assert imported.exit_code == 2, imported.output
    assert f"case id {second!r} differs from the case {first!r} only in letters' case" in (
        imported.stderr
    )
    assert case_ids(demo_db) == before
    pair = write(
        tmp_path / "pair.json", f"[{exported.stdout}, {Path(renamed).read_text(encoding='utf-8')}]"
    )
    both = invoke(f"sqlite:///{tmp_path / 'new.sqlite'}", "import", pair)
    assert both.exit_code == 2, both.output
    assert f"case id {second!r} differs only in letters' case from item 1" in both.stderr
    # An id that reads differently (another number, or another letter) opens as ever.
    for other in (second.replace("1", "2"), second.replace("-", "A-")):
        assert open_case(demo_db, tmp_path, other).exit_code == 0
    assert len(case_ids(demo_db)) == len(before) + 2


def test_an_id_reading_as_a_stored_one_in_another_unicode_form_is_refused(
    tmp_path: Path,
) -> None:
    """A case recorded as 'CAFE\u0301-1' (its accent typed apart, before `open` refused that)
    and a new 'CAF\u00c9-1' read the same on every screen and on paper; `import` and
    `apply ... open` took the second beside the first, comparing ids by letters' case alone
    (review I, I1)."""
    typed_apart, precomposed = "CAFE\u0301-1", "CAF\u00c9-1"
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    recorded = json.dumps([transition_to_json(t) for t in built("PLACE-1", 3).history])
    with SqlAlchemyStore(url) as store:
        store.create_schema()
        legacy = json.loads(recorded.replace("PLACE-1", typed_apart))
        store.save(Reintegration.replay([transition_from_json(t) for t in legacy]))
    incoming = write(tmp_path / "incoming.json", recorded.replace("PLACE-1", precomposed))
    refusal = (
        f"case id {precomposed!r} differs from the case {typed_apart!r} only in how it is "
        "typed (letters' case, an accent typed apart, a character nobody sees)"
    )

    imported = invoke(url, "import", incoming)
    opened = open_case(url, tmp_path, precomposed)
    asked = invoke(url, "history", precomposed)

    for result in (imported, opened, asked):
        no_traceback(result)
        assert result.exit_code == 2, result.output
    assert refusal in imported.stderr
    assert refusal in opened.stderr
    assert f"did you mean {typed_apart!r}?" in asked.stderr
    assert case_ids(url) == [typed_apart]
    # An id that reads differently opens as ever.
    assert open_case(url, tmp_path, "CAF\u00c9-2").exit_code == 0


def test_an_unknown_id_names_the_case_it_differs_from_only_in_case(demo_db: str) -> None:
    """`due --case demo-0004` said "no case" with no word of DEMO-0004 (found by a review)."""
    for args in (("due", "--case", "demo-0004"), ("history", "Demo-0004")):
        result = invoke(demo_db, *args)
        no_traceback(result)
        assert result.exit_code == 2, result.output
        assert "did you mean 'DEMO-0004'" in result.stderr
    unknown = invoke(demo_db, "history", "demo-0009")
    assert unknown.exit_code == 2
    assert "did you mean" not in unknown.stderr
    # Pasted with a joiner too: both are named (found by a review).
    pasted = invoke(demo_db, "history", "demo-0001\u200d")
    assert pasted.exit_code == 2
    assert "without it, it reads 'demo-0001'" in pasted.stderr
    assert "'demo-0001' differs only in letters' case: did you mean 'DEMO-0001'?" in (pasted.stderr)


def test_an_import_of_an_id_differing_only_in_case_is_refused(demo_db: str, tmp_path: Path) -> None:
    """`import` took a history renamed from DEMO-0001 to demo-0001 beside DEMO-0001, and two
    such ids in one file (found by a review of the guard `apply ... open` got)."""
    exported = invoke(demo_db, "export", "DEMO-0001")
    assert exported.exit_code == 0, exported.output
    renamed = tmp_path / "renamed.json"
    renamed.write_text(exported.stdout.replace("DEMO-0001", "demo-0001"), encoding="utf-8")
    before = case_ids(demo_db)
    result = invoke(demo_db, "import", str(renamed))
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "case id 'demo-0001' differs from the case 'DEMO-0001' only in letters' case" in (
        result.stderr
    )
    assert case_ids(demo_db) == before
    pair = tmp_path / "pair.json"
    second = exported.stdout.replace("DEMO-0001", "Demo-0001")
    pair.write_text(f"[{renamed.read_text(encoding='utf-8')}, {second}]", encoding="utf-8")
    empty = f"sqlite:///{tmp_path / 'new.sqlite'}"
    both = invoke(empty, "import", str(pair))
    assert both.exit_code == 2, both.output
    assert "case id 'Demo-0001' differs only in letters' case from item 1" in both.stderr


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("DEMO-0004\u200b", "U+200B"),  # a zero-width space
        ("DEMO-0004\u00ad", "U+00AD"),  # a soft hyphen
        ("DEMO-0004\u2060", "U+2060"),  # a word joiner
        ("DEMO-0004\u034f", "U+034F"),  # a combining grapheme joiner
        ("DEMO-0004\ufe0f", "U+FE0F"),  # an emoji's variation selector
        ("DEMO\u200d-0004", "U+200D"),  # a joiner joining no letters
        ("DEMO-0004\u2800", "U+2800"),  # a blank Braille pattern
        ("DEMO-0\u041e04", "U+041E"),  # a Cyrillic O
        ("DEM\uff2f-0004", "U+FF2F"),  # a full-width O
        ("\u201cDEMO-0004\u201d", "quotation mark"),
        ("DEMO-0004\uffff", "U+FFFF"),  # a noncharacter
    ],
)
def test_an_import_refuses_an_id_apply_open_refuses(
    demo_db: str, tmp_path: Path, given: str, named: str
) -> None:
    """`import` took DEMO-0004 followed by a zero-width space (a soft hyphen, a word joiner, a
    combining grapheme joiner) beside the DEMO-0004 it reads as, which `apply ... open`
    refuses (found by a review): it refuses every id `open` does, naming it and the character,
    and imports nothing; the id as typed imports."""
    exported = invoke(demo_db, "export", "DEMO-0004")
    assert exported.exit_code == 0, exported.output
    renamed = exported.stdout.replace('"DEMO-0004"', json.dumps(given))
    typed = exported.stdout.replace('"DEMO-0004"', json.dumps("DEMO-0009"))
    both = write(tmp_path / "both.json", f"[{typed}, {renamed}]")
    before = case_ids(demo_db)
    result = invoke(demo_db, "import", both)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "nothing imported" in result.stderr
    assert "item 2 " in result.stderr
    assert f"case id {given!r}" in result.stderr
    assert named in result.stderr
    # The item's label shows the id escaped too, as its quote does: the character printed raw
    # read as DEMO-0004 itself (found by a review).
    if given.isprintable():
        assert f"item 2 (case {given})" in result.stderr
    else:
        assert f"item 2 (case {given!r})" in result.stderr
        assert given not in result.stderr.replace(repr(given), "")
    assert case_ids(demo_db) == before
    alone = write(tmp_path / "typed.json", typed)
    assert invoke(demo_db, "import", alone).exit_code == 0
    assert case_ids(demo_db) == sorted([*before, "DEMO-0009"])


FAMILY_ORGANISATION = "12 Acacia Avenue, Exton"
"""What a parent or the child may not give as an organisation (an address, an employer)."""
REFUSED_ORGANISATION = (
    "who acts for themselves, gave an organisation, which the case's log would keep where no "
    "`redact` or `retention` run could remove it; copy the database to move the case, or edit "
    "the file to remove the organisation"
)
EXAMPLESHIRE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"


def _exported(url: str, case_id: str, *options: str) -> dict[str, Any]:
    exported = invoke(url, *options, "export", case_id)
    assert exported.exit_code == 0, exported.output
    value: dict[str, Any] = json.loads(exported.stdout)
    return value


def _familyshire(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A protocol letting a parent open a case and the child withdraw it (an authority's, as
    `--protocol` registers it), and the export of a case a parent opened and the child
    withdrew, neither giving an organisation."""
    text = EXAMPLESHIRE.read_text(encoding="utf-8")
    text = text.replace('id = "exampleshire"', 'id = "familyshire"')
    text = text.replace(
        "[roles]\n", '[roles]\nopen = ["ap_head", "parent"]\nwithdraw = ["ap_head", "child"]\n'
    )
    protocol = write(tmp_path / "familyshire.toml", text)
    url = f"sqlite:///{tmp_path / 'family.sqlite'}"
    data = write(tmp_path / "open.json", json.dumps(OPEN_DATA))
    parent = ["--actor-id", "p-1", "--actor-name", "Pat Sampleton", "--role", "parent"]
    child = ["--actor-id", "c-1", "--actor-name", "Sam Sampleton", "--role", "child"]
    opened = invoke(
        url, "--protocol", protocol, "apply", "F-1", "open", "--data", data, *parent,
        "--on", "2026-01-12", "--under", "familyshire",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    reason = write(tmp_path / "withdraw.json", json.dumps({"reason": "We are moving away."}))
    withdrawn = invoke(
        url, "--protocol", protocol, "apply", "F-1", "withdraw", "--data", reason, *child,
        "--on", "2026-01-13",
    )  # fmt: skip
    assert withdrawn.exit_code == 0, withdrawn.output
    return protocol, _exported(url, "F-1", "--protocol", protocol)


@pytest.mark.parametrize(
    ("seqs", "named"),
    [
        ((1,), ["transition 1 (open): a parent or carer"]),
        ((2,), ["transition 2 (withdraw): the child"]),
        ((1, 2), ["transition 1 (open): a parent or carer", "transition 2 (withdraw): the child"]),
    ],
)
def test_an_import_refuses_a_family_actor_with_an_organisation(
    tmp_path: Path, seqs: tuple[int, ...], named: list[str]
) -> None:
    """`apply --role parent --organisation ...` is refused, since the log keeps an actor's
    organisation where no redaction reaches it; `import` took a history (edited by hand, or
    recorded before that refusal) whose parent or child gave one, and `redact` could not
    remove it after (review J1). It refuses it as it refuses an id `open` refuses, naming
    each such transition, and writes nothing; the history as recorded imports."""
    protocol, case = _familyshire(tmp_path)
    for seq in seqs:
        case["history"][seq - 1]["actor"]["organisation"] = FAMILY_ORGANISATION
    target = tmp_path / "target.sqlite"
    url = f"sqlite:///{target}"
    result = invoke(
        url, "--protocol", protocol, "import", write(tmp_path / "c.json", json.dumps(case))
    )
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "nothing imported" in result.stderr
    for transition in named:
        assert f"case F-1, {transition}, {REFUSED_ORGANISATION}" in result.stderr
    assert result.stderr.count(REFUSED_ORGANISATION) == len(named)
    assert FAMILY_ORGANISATION not in result.stderr  # (an address, printed to no log)
    assert not target.exists()
    for seq in seqs:
        case["history"][seq - 1]["actor"]["organisation"] = ""
    fixed = invoke(
        url, "--protocol", protocol, "import", write(tmp_path / "c.json", json.dumps(case))
    )
    assert fixed.exit_code == 0, fixed.output


def test_an_import_names_a_family_actors_organisation_beside_other_problems(
    demo_db: str, tmp_path: Path
) -> None:
    """Every problem at once: a parent's organisation in one case's history and an id `open`
    refuses in another's are both named, and nothing is imported; a bare history's problem
    names its case."""
    case = _exported(demo_db, "DEMO-0003")
    withdrawal = case["history"][-1]
    assert (withdrawal["seq"], withdrawal["actor"]["role"]) == (5, "parent")
    withdrawal["actor"]["organisation"] = FAMILY_ORGANISATION
    other = _exported(demo_db, "DEMO-0004")
    other_text = json.dumps(other).replace('"DEMO-0004"', json.dumps("DEMO-0009\u200b"))
    both = write(tmp_path / "both.json", f"[{json.dumps(case)}, {other_text}]")
    target = tmp_path / "target.sqlite"
    result = invoke(f"sqlite:///{target}", "import", both)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "nothing imported" in result.stderr
    withdrawn = f"transition 5 (withdraw): a parent or carer, {REFUSED_ORGANISATION}"
    assert f"item 1 (case DEMO-0003), {withdrawn}" in result.stderr
    assert "item 2 (case 'DEMO-0009\\u200b'): case id" in result.stderr
    assert "U+200B" in result.stderr
    assert not target.exists()
    bare = write(tmp_path / "bare.json", json.dumps(case["history"]))
    alone = invoke(f"sqlite:///{target}", "import", bare)
    assert alone.exit_code == 2, alone.output
    assert f"history (case DEMO-0003), {withdrawn}" in alone.stderr
    assert not target.exists()


def test_J1_import_refuses_a_family_actor_with_an_organisation(
    demo_db: str, tmp_path: Path
) -> None:
    """`apply --role parent --organisation ...` is refused because the log keeps an actor's
    organisation where no redaction reaches it; an export edited (or a legacy history) to
    carry a parent's organisation must not bring it into a store by `import` either."""
    case = _exported(demo_db, "DEMO-0003")
    history = case["history"]
    assert isinstance(history, list)
    withdrawal = history[-1]
    assert withdrawal["actor"]["role"] == "parent"
    withdrawal["actor"]["organisation"] = "12 Acacia Avenue, Exton"
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    result = invoke(target, "import", write(tmp_path / "case.json", json.dumps(case)))
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "organisation" in result.output
    assert not (tmp_path / "target.sqlite").exists()


@pytest.mark.parametrize(
    ("spoil", "other"),
    [
        (lambda history: history[1].update(trigger="record_consnet"), "record_consnet"),
        (lambda history: history[2].update(on="2001-01-01"), "does not replay"),
    ],
    ids=["misspelt-trigger", "does-not-replay"],
)
def test_Y5_import_names_a_family_organisation_beside_a_histories_other_problem(
    demo_db: str, tmp_path: Path, spoil: Callable[[list[dict[str, Any]]], None], other: str
) -> None:
    """J1's check read only histories that parsed and replayed, so a file with a misspelt
    trigger (J3), or a history that does not replay, and a parent's organisation named the
    other problem alone: fixed, a second run then refused the organisation, where the page
    promises every problem at once (review Y, Y5). Each is named once, nothing imported; a
    bare history's problem still names its case."""
    case = _exported(demo_db, "DEMO-0003")
    history = case["history"]
    history[-1]["actor"]["organisation"] = FAMILY_ORGANISATION
    spoil(history)
    target = tmp_path / "target.sqlite"
    withdrawn = f"transition 5 (withdraw): a parent or carer, {REFUSED_ORGANISATION}"
    for name, text, label in [
        ("case.json", json.dumps(case), "case DEMO-0003"),
        ("bare.json", json.dumps(history), "history (case DEMO-0003)"),
    ]:
        result = invoke(f"sqlite:///{target}", "import", write(tmp_path / name, text))
        no_traceback(result)
        assert result.exit_code == 2, result.output
        assert "nothing imported" in result.stderr
        assert other in result.stderr
        assert f"{label}, {withdrawn}" in result.stderr
        assert result.stderr.count(REFUSED_ORGANISATION) == 1
        assert FAMILY_ORGANISATION not in result.stderr
        assert not target.exists()


@pytest.mark.parametrize(
    ("role", "organisation"),
    [
        ("parent", ""),  # none
        ("parent", " "),  # text that prints nothing is none
        ("parent", "\u200b"),
        ("parent", "\u2800"),
        ("parent", "\u3000"),
        ("ap_head", "Larkspur Learning Centre"),  # a member of staff acts for one
    ],
)
def test_an_import_takes_a_family_actor_without_an_organisation(
    demo_db: str, tmp_path: Path, role: str, organisation: str
) -> None:
    """A parent's step with no organisation, or one of text that prints nothing (which R15
    reads as none), imports; so does a member of staff's organisation."""
    case = _exported(demo_db, "DEMO-0003")
    withdrawal = case["history"][-1]
    withdrawal["actor"]["role"] = role
    withdrawal["actor"]["organisation"] = organisation
    url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    result = invoke(url, "import", write(tmp_path / "c.json", json.dumps(case)))
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "imported 1 case(s), 5 transition(s)" in result.stdout
    history = invoke(url, "history", "DEMO-0003", "--format", "json")
    assert json.loads(history.stdout)[-1]["actor"]["organisation"] == organisation


def test_open_names_a_bad_id_beside_bad_data(tmp_path: Path) -> None:
    """Every reason at once (review J2): an id pasted with a zero-width space and a data file
    missing a field are both refused in one run, not one after the other."""
    result = _open_without_an_authority(tmp_path, "C-9\u200b")
    assert "U+200B" in result.output


def _open_without_an_authority(tmp_path: Path, case_id: str, *more: str) -> Result:
    """`apply CASE_ID open` with a data file missing its `local_authority` (and `more`
    options): refused as bad input (exit 2), naming the missing field, with no traceback."""
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    data = {key: value for key, value in OPEN_DATA.items() if key != "local_authority"}
    opening = write(tmp_path / "open.json", json.dumps(data))
    result = invoke(
        url, "apply", case_id, "open", "--data", opening, *AP, "--on", "2026-01-12", *more
    )
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "local_authority" in result.output
    return result


def _export(url: str, case_id: str) -> dict[str, object]:
    exported = invoke(url, "export", case_id)
    assert exported.exit_code == 0, exported.output
    value: dict[str, object] = json.loads(exported.stdout)
    return value


def test_import_names_every_bad_transition_at_once(demo_db: str, tmp_path: Path) -> None:
    """Every problem is printed, "if anything is wrong": a trigger misspelt in one transition
    and a stage misspelt in another are both named in one run (review J, J3)."""
    case = _export(demo_db, "DEMO-0003")
    history = case["history"]
    assert isinstance(history, list)
    history[1]["trigger"] = "record_consnet"
    history[3]["dest"] = "refered"
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"
    result = invoke(target, "import", write(tmp_path / "case.json", json.dumps(case)))
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "refered" in result.output
    assert "record_consnet" in result.output


def test_open_names_an_unknown_protocol_beside_bad_data(tmp_path: Path) -> None:
    """Every reason at once: `open --under nosuch` with a data file missing a field names the
    unknown protocol and the missing field in one run, as for a pasted id (review J, J4), the
    protocol's as a sentence before its reasons, where J4 joined them with a space: "no
    protocol 'nosuch' is known Known: worcestershire@3, ..." (review Y, Y4)."""
    result = _open_without_an_authority(tmp_path, "C-1", "--under", "nosuch")
    assert "is known Known" not in result.output
    assert "no protocol 'nosuch' is known. Known: worcestershire@3" in result.output
