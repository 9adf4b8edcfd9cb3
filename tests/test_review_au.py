"""Review AU: an authority's protocol author, working from the docs alone.

An officer of an invented authority (Northmoor Council) writes its protocol as a file, checks
it, runs cases under it and publishes a second version. These tests pin what the review found
unclear: a typo'd key named with no hint of the field meant, text written where a list is
wanted quoted as if the name in it were no role, a copy of the seed's file under its id refused
with neither the line nor what it changed, and `--under ID` picking one of several versions
without saying which.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import Protocol, ProtocolDefinitionError
from reintegration_fsm.cli import cli
from reintegration_fsm.serialisation import unstructure

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "src" / "reintegration_fsm" / "protocol" / "worcestershire.toml"

NORTHMOOR = """\
# Northmoor Council (invented): an offer within 15 school days, reviews at 3, 5 and 6 weeks.
id = "northmoor"
version = "1"
title = "Northmoor Council Reintegration Protocol"
source = "Invented for review AU"
effective_from = 2025-09-01

place_offer_school_days = 15
review_weeks = [3, 5, 6]
weighting_points = 2
review_parties = ["ap", "host", "parent", "la"]
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def refused(text: str) -> ProtocolDefinitionError:
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml(text, "northmoor.toml")
    return caught.value


def test_the_northmoor_file_reads_with_its_own_numbers() -> None:
    northmoor = Protocol.from_toml(NORTHMOOR, "northmoor.toml")
    assert (northmoor.place_offer_school_days, northmoor.review_weeks) == (15, (3, 5, 6))
    assert northmoor.weighting_points == 2
    assert northmoor.opens_cases


# -- AU2: an unknown key says which field or trigger it is close to ---------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("reveiw_weeks", "review_weeks"), ("weighting", "weighting_points"), ("role", "roles")],
)
def test_a_mistyped_field_is_refused_saying_which_field_was_meant(typed: str, meant: str) -> None:
    text = NORTHMOOR.replace("review_weeks = [3, 5, 6]\n", f"{typed} = 1\n")
    error = refused(text)
    assert error.problems[0] == (typed, f"is not a protocol field; did you mean {meant}?", 9)


def test_a_key_like_no_field_is_refused_without_a_guess() -> None:
    error = refused('extends = "northshire"\n' + NORTHMOOR)
    assert error.problems == (("extends", "is not a protocol field", 1),)


def test_a_mistyped_trigger_says_which_was_meant_and_lists_them_all() -> None:
    error = refused(NORTHMOOR + '[roles]\nhold_reveiw = ["ap_head"]\n')
    assert error.field == "roles.hold_reveiw"
    assert error.problem.startswith("is not a trigger; did you mean hold_review? The triggers are ")
    assert error.problem.endswith("start_placement, withdraw")


def test_a_trigger_like_none_lists_them_without_a_guess() -> None:
    error = refused(NORTHMOOR + '[roles]\nzzz = ["ap_head"]\n')
    assert error.problem.startswith("is not a trigger; the triggers are call_emergency_review")


# -- AU3: text where a list is wanted says to write a list -------------------------------------


def test_a_trigger_given_one_role_as_text_is_told_to_write_a_list() -> None:
    error = refused(NORTHMOOR + '[roles]\nhold_review = "ap_head"\n')
    assert (error.field, error.line) == ("roles.hold_review", 13)
    assert error.problem.endswith(
        """, not the text "ap_head": write a list in square brackets, as ["ap_head"]"""
    )
    allowed = Protocol.from_toml(NORTHMOOR + '[roles]\nhold_review = ["ap_head"]\n')
    assert {role.value for role in allowed.roles_for("hold_review")} == {"ap_head"}


def test_parties_given_as_text_are_told_to_write_a_list_of_them() -> None:
    text = NORTHMOOR.replace(
        'review_parties = ["ap", "host", "parent", "la"]', 'review_parties = "ap, host, parent"'
    )
    error = refused(text)
    assert (error.field, error.line) == ("review_parties", 11)
    assert error.problem.endswith(
        """, not the text "ap, host, parent": write a list in square brackets, as ["ap", """
        '"host", "parent"]'
    )


def test_text_holding_no_names_is_told_to_write_a_list_without_a_made_up_one() -> None:
    error = refused(NORTHMOOR + '[roles]\nhold_review = "ap_head; host_head"\n')
    assert error.problem.endswith(
        ', not the text "ap_head; host_head": write a list in square brackets'
    )


# -- AU4: a copy of the seed's file under its name: the id's line and what it changes ----------


def test_the_seeds_name_with_other_rules_is_refused_at_the_id_line_naming_them(
    tmp_path: Path,
) -> None:
    text = SEED_FILE.read_text(encoding="utf-8")
    assert "\nplace_offer_school_days = 20\n" in text
    copied = tmp_path / "northmoor.toml"
    copied.write_text(text.replace("place_offer_school_days = 20", "place_offer_school_days = 15"))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("id = "))
    result = invoke("protocol", "check", str(copied))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: protocol file {copied}, line {line}: id: worcestershire 3 is a protocol the "
        "library ships, and the file changes its place_offer_school_days; give yours an id of "
        "your own (as exampleshire)\n"
    )
    retitled = tmp_path / "retitled.toml"
    retitled.write_text(text.replace('title = "', 'title = "Northmoor: ', 1))
    assert "the file changes its title;" in invoke("protocol", "check", str(retitled)).stderr
    same = tmp_path / "same.toml"
    same.write_text(text)
    assert invoke("protocol", "check", str(same)).exit_code == 0


# -- AU5: `--under ID` says which of several versions it picked --------------------------------


def _versions(tmp_path: Path, second_from: str) -> tuple[str, ...]:
    first = tmp_path / "northmoor-1.toml"
    first.write_text(NORTHMOOR)
    second = tmp_path / "northmoor-2.toml"
    second.write_text(
        NORTHMOOR.replace('version = "1"', 'version = "2"')
        .replace("effective_from = 2025-09-01", f"effective_from = {second_from}")
        .replace("place_offer_school_days = 15", "place_offer_school_days = 12")
    )
    return ("--protocol", str(first), "--protocol", str(second))


def _open(tmp_path: Path, registered: tuple[str, ...], case_id: str, under: str) -> Result:
    data = tmp_path / "open.json"
    data.write_text(
        json.dumps(
            {
                "pupil": unstructure(sc.PUPIL),
                "ap_setting": sc.AP_SETTING,
                "local_authority": sc.AUTHORITY,
            }
        )
    )
    return invoke(
        *registered,
        "--db",
        f"sqlite:///{tmp_path / 'nm.sqlite'}",
        "apply",
        case_id,
        "open",
        "--data",
        str(data),
        "--under",
        under,
        "--on",
        "2026-03-02",
        "--actor-id",
        "ap-1",
        "--actor-name",
        "Morgan Reed",
        "--role",
        "ap_head",
        "--organisation",
        sc.AP_SETTING,
    )


def test_under_an_id_alone_names_the_version_it_picked_among_several(tmp_path: Path) -> None:
    """Version 2 dated before version 1 by a slip of the year: `--under northmoor` opened the
    case under version 1, the one in force, and said nothing of which it was."""
    registered = _versions(tmp_path, "2025-06-01")
    opened = _open(tmp_path, registered, "NM-1", "northmoor")
    assert opened.exit_code == 0, opened.output
    assert opened.stderr == (
        "note: opened under northmoor@1, the version of 'northmoor' in force on 2026-03-02 "
        "(northmoor@2 from 2025-06-01, northmoor@1 from 2025-09-01): the case runs under its "
        "deadlines and weighting for life. To open it under another, give --under ID@VERSION.\n"
    )
    exported = invoke(*registered, "--db", f"sqlite:///{tmp_path / 'nm.sqlite'}", "export", "NM-1")
    assert json.loads(exported.stdout)["protocol"] == {"id": "northmoor", "version": "1"}


def test_under_a_version_named_or_an_id_of_one_version_says_nothing_more(tmp_path: Path) -> None:
    registered = _versions(tmp_path, "2026-02-01")
    named = _open(tmp_path, registered, "NM-2", "northmoor@2")
    assert (named.exit_code, named.stderr) == (0, "")
    alone = _open(tmp_path, registered[:2], "NM-3", "northmoor")
    assert (alone.exit_code, alone.stderr) == (0, "")
    seed = _open(tmp_path, registered, "NM-4", "worcestershire")  # its others open no case
    assert (seed.exit_code, seed.stderr) == (0, "")


def test_a_case_opened_under_version_1_keeps_it_once_version_2_is_in_force(
    tmp_path: Path,
) -> None:
    """Registering version 2 changes nothing of a case opened under version 1 (named by
    `northmoor@1`): it loads, verifies and exports as before, and without version 1's file it
    is refused, never read under version 2."""
    registered = _versions(tmp_path, "2026-02-01")
    db = ("--db", f"sqlite:///{tmp_path / 'nm.sqlite'}")
    opened = _open(tmp_path, registered[:2], "NM-5", "northmoor@1")
    assert opened.exit_code == 0, opened.output
    before = invoke(*registered[:2], *db, "export", "NM-5")
    after = invoke(*registered, *db, "export", "NM-5")
    assert after.exit_code == 0
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert json.loads(after.stdout)["protocol"] == {"id": "northmoor", "version": "1"}
    assert invoke(*registered, *db, "verify").exit_code == 0
    only_new = invoke(registered[0], registered[3], *db, "export", "NM-5")
    assert only_new.exit_code == 2
    assert "northmoor 1, which is not registered" in only_new.output
