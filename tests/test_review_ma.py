"""Review MA: protocols as versioned data over time and across authorities, in one store, as an
LA's back office lives with them for years."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    Protocol,
    ProtocolDefinitionError,
    Reintegration,
    UnknownProtocol,
)
from reintegration_fsm.cli import cli
from reintegration_fsm.protocol import definition
from reintegration_fsm.serialisation import unstructure
from reintegration_fsm.stores import SqlAlchemyStore, due_as_of
from store_contract import CALENDAR, SUCCEEDED, succeeded

SOURCE = Path(__file__).resolve().parent.parent
EXAMPLE = SOURCE / "docs" / "examples" / "exampleshire.toml"
ALPHA, BETA = "Alpha County Council", "Beta Borough Council"
YEAR = ("--year", "2025/26")
ENV: dict[str, str | None] = {
    "RFSM_AUTHORITY": None,
    "RFSM_CALENDAR": None,
    "RFSM_PROTOCOLS": None,
    "RFSM_UNDER": None,
}


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=ENV)


def test_MA1_the_fair_access_ledger_and_report_are_one_authoritys(database_url: str) -> None:
    """Two authorities sharing one database (a shared service), each with a successful move
    between schools of the same names (a St Mary's in each): `weightings` without
    `--authority` printed one row per name with both authorities' points summed (+6 for a host
    that gained 3 in each grid), and `report` pooled both panels' figures. Each is now refused
    naming the authorities; with `--authority` each is that authority's."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(succeeded("A-1", SUCCEEDED, ALPHA))
        store.save(succeeded("B-1", SUCCEEDED, BETA))
    for command in (("weightings", *YEAR), ("report", *YEAR, "--format", "json")):
        pooled = invoke(database_url, *command)
        assert pooled.exit_code == 2, pooled.output
        assert "give --authority NAME" in pooled.output
        assert repr(ALPHA) in pooled.output
        assert repr(BETA) in pooled.output
    alpha = invoke(database_url, "weightings", *YEAR, "--authority", ALPHA, "--format", "json")
    assert alpha.exit_code == 0, alpha.output
    points = {row["school"]: row["net_points"] for row in json.loads(alpha.stdout)["schools"]}
    assert points == {sc.AP_SETTING: -3, sc.HOST_SCHOOL: 3}
    report = invoke(database_url, "report", *YEAR, "--authority", BETA, "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["cases"] == 1


def test_MA1_one_authoritys_database_reports_as_before(database_url: str) -> None:
    """A database holding one authority's cases needs no `--authority`."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(succeeded("A-1", SUCCEEDED, ALPHA))
    result = invoke(database_url, "weightings", *YEAR, "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["ledger"]) == 2


def test_MA2_the_librarys_protocols_keep_the_rules_they_were_published_with() -> None:
    """Cases under the library's own protocols record no fingerprint, and `WORCESTERSHIRE_2`
    and `WORCESTERSHIRE_1` are derived from `worcestershire.toml`: an edit of that file (in
    place, in an installed library, or for a new version that left the earlier ones derived
    from it) replayed every stored case under the edited rules without a word."""
    definition.check_shipped(definition.KNOWN)
    assert set(definition.SHIPPED_RULES) == {protocol.key for protocol in definition.KNOWN}
    edited = attrs.evolve(WORCESTERSHIRE, review_weeks=(2, 4, 5))
    with pytest.raises(ProtocolDefinitionError) as caught:
        definition.check_shipped([edited])
    assert "worcestershire 3 sets other rules than it was published with" in str(caught.value)
    assert caught.value.field == "id"


def test_MA2_a_library_whose_seed_file_was_edited_in_place_replays_no_case(
    tmp_path: Path,
) -> None:
    """The same through the file: a copy of the package whose `worcestershire.toml` holds
    other review weeks under version 3 still imports, but replays no case under them: the
    command line refuses a stored case's timeline (exit 2), naming the file, without a
    traceback."""
    copy = tmp_path / "reintegration_fsm"
    shutil.copytree(
        SOURCE / "src" / "reintegration_fsm", copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    seed = copy / "protocol" / "worcestershire.toml"
    text = seed.read_text(encoding="utf-8")
    assert "review_weeks = [2, 4, 6]" in text
    seed.write_text(text.replace("review_weeks = [2, 4, 6]", "review_weeks = [2, 4, 5]"))
    database = tmp_path / "cases.sqlite"
    with SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR) as store:
        store.create_schema()
        store.save(succeeded("A-1", SUCCEEDED, ALPHA))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    ran = subprocess.run(
        [sys.executable, "-m", "reintegration_fsm", "--db", str(database), "timeline", "A-1"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert ran.returncode == 2, ran.stderr
    assert "worcestershire.toml was changed in place" in ran.stderr
    assert "Traceback" not in ran.stderr


def _under_exampleshire(url: str) -> None:
    """One case of Exampleshire's protocol (as docs/examples has it) and one of the seed's,
    saved into the store at `url`."""
    exampleshire = Protocol.from_file(EXAMPLE)
    with SqlAlchemyStore(url, calendar=CALENDAR, protocols=[exampleshire]) as store:
        store.save(_opened("EX-1", exampleshire))
        store.save(_opened("W-1"))


def _opened(case_id: str, protocol: Protocol = WORCESTERSHIRE) -> Reintegration:
    return Reintegration.open(
        case_id,
        sc.PUPIL,
        sc.AP_SETTING,
        sc.AUTHORITY,
        CALENDAR,
        by=sc.AP_HEAD,
        on=sc.OPENED,
        protocol=protocol,
    )


def test_MA3_a_protocol_no_longer_registered_is_named_with_its_case(database_url: str) -> None:
    """The protocol file removed from RFSM_PROTOCOLS (or renamed): `report` and `due --as-of`
    said "the case runs under protocol exampleshire 2027.1", naming no case among the
    authority's hundreds; `timeline`, `export --all` and a retention run name it."""
    _under_exampleshire(database_url)
    for command in (
        ("report", *YEAR, "--format", "json"),
        ("due", "--as-of", "2026-03-02"),
    ):
        result = invoke(database_url, *command)
        assert result.exit_code == 2, result.output
        assert "case EX-1 runs under protocol exampleshire 2027.1" in result.output, command
    with (
        SqlAlchemyStore(database_url, calendar=CALENDAR) as store,
        pytest.raises(UnknownProtocol) as caught,
    ):
        due_as_of(store, dt.date(2026, 3, 2))
    assert caught.value.case_id == "EX-1"
    # Registered again, both commands answer.
    again = invoke(database_url, "--protocol", str(EXAMPLE), "due", "--as-of", "2026-03-02")
    assert again.exit_code == 0, again.output


def _open(url: str, tmp_path: Path, case_id: str, authority: str) -> Result:
    data = tmp_path / f"{case_id}.json"
    data.write_text(
        json.dumps(
            {
                "pupil": unstructure(sc.PUPIL),
                "ap_setting": sc.AP_SETTING,
                "local_authority": authority,
            }
        )
    )
    return invoke(
        url,
        *("apply", case_id, "open", "--data", str(data), "--on", "2026-01-12"),
        *("--actor-id", "ap-1", "--actor-name", "Morgan Reed", "--role", "ap_head"),
        *("--organisation", sc.AP_SETTING),
    )


def test_MA4_an_open_naming_the_authority_in_other_letters_case_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    """`apply C-2 open` with "EXAMPLE COUNTY COUNCIL" where the database's cases name
    "Example County Council" was saved as a second authority: `--authority "Example County
    Council"` (or RFSM_AUTHORITY) never listed the case, nor its 20-school-day offer in `due`,
    while the rules let the LA's admissions officer act on it. Refused now, saying which was
    meant; a name that reads differently opens a case of another authority."""
    assert _open(database_url, tmp_path, "C-1", sc.AUTHORITY).exit_code == 0
    typed = _open(database_url, tmp_path, "C-2", "EXAMPLE  COUNTY COUNCIL")
    assert typed.exit_code == 2, typed.output
    assert f"did you mean {sc.AUTHORITY!r}" in typed.output
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        assert store.taken(["C-2"]) == set()
    assert _open(database_url, tmp_path, "C-3", sc.AUTHORITY).exit_code == 0
    assert _open(database_url, tmp_path, "C-4", BETA).exit_code == 0
