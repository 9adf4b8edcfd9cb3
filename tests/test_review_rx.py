"""Review RX: the fixes merged this session (reviews G, NU, AP with PA and PB, ST, RV1),
attacked for regressions, holes and wrong messages (see FINDINGS.md)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    Protocol,
    ProtocolDefinitionError,
    Reintegration,
    SchoolCalendar,
)
from reintegration_fsm.errors import ProtocolError
from reintegration_fsm.stores import SqlAlchemyStore, upgrade
from test_cli_protocols import open_under
from test_review_ap import EXAMPLE, alike_files, invoke


def test_RX1_protocols_named_alike_do_not_open_cases_in_one_store_one_run_at_a_time(
    tmp_path: Path,
) -> None:
    """AP3 refuses an open while `exampleshire 2027.1` and `Exampleshire 2027.1` are both
    registered, but an officer registering one file on Monday and the other on Tuesday (or
    two offices, each with its own RFSM_PROTOCOLS, writing one database) puts cases under both
    names into one store: AP3's very harm, a report or a letter naming two rule sets alike."""
    own, alike = alike_files(tmp_path)
    db = f"sqlite:///{tmp_path / 'alike.sqlite'}"
    first = open_under(db, tmp_path, "--protocol", str(own), under="exampleshire@2027.1")
    assert first.exit_code == 0, first.output
    second = open_under(
        db, tmp_path, "--protocol", str(alike), under="Exampleshire@2027.1", case_id="P-2"
    )
    assert second.exit_code == 2, second.output
    assert "exampleshire 2027.1" in second.stderr
    assert "Exampleshire 2027.1" in second.stderr
    assert "keep one id and publish a revision as a new version of it" in second.stderr.lower()
    # The first name's cases go on; a new one under it opens still, under a distinct id too.
    third = open_under(
        db, tmp_path, "--protocol", str(own), under="exampleshire@2027.1", case_id="P-3"
    )
    assert third.exit_code == 0, third.output


def test_RX1_a_store_registering_protocols_named_alike_saves_no_new_case_under_either(
    tmp_path: Path,
) -> None:
    """The same hole through the library: a store given both protocols (as `--protocol` gives
    both to the CLI, which refuses the open) saves a case `Reintegration.open` opened under
    either."""
    own, alike = (Protocol.from_file(path) for path in alike_files(tmp_path))
    calendar = SchoolCalendar.sample()
    url = f"sqlite:///{tmp_path / 'lib.sqlite'}"
    upgrade(url)
    store = SqlAlchemyStore(url, calendar=calendar, protocols=[own, alike])
    case = Reintegration.open(
        "L-1",
        sc.PUPIL,
        sc.AP_SETTING,
        sc.AUTHORITY,
        calendar,
        by=sc.AP_HEAD,
        on=sc.OPENED,
        protocol=alike,
    )
    with pytest.raises(ProtocolError):  # as D7's look-alike is refused, in its words
        store.save(case)
    assert store.taken(["L-1"]) == set()


def test_RX3_a_protocol_named_as_the_shipped_one_is_told_to_take_an_id_of_its_own(
    tmp_path: Path,
) -> None:
    """Since AP8 every version of `worcestershire` (in any letters' case) the library does not
    ship opens no case; the advice given with `Worcestershire 3`, a changed `worcestershire 3`
    and `worcestershire 4` still said "another id or version" or "open it under a new
    version": an officer following it publishes `worcestershire 5`, refused again."""
    changed = attrs.evolve(WORCESTERSHIRE, place_offer_school_days=15)
    alike = attrs.evolve(WORCESTERSHIRE, id="Worcestershire")
    fourth = attrs.evolve(WORCESTERSHIRE, version="4")
    for protocol in (changed, alike, fourth):
        with pytest.raises(ProtocolDefinitionError) as caught:
            Reintegration.open(
                "W-1",
                sc.PUPIL,
                sc.AP_SETTING,
                sc.AUTHORITY,
                SchoolCalendar.sample(),
                by=sc.AP_HEAD,
                on=sc.OPENED,
                protocol=protocol,
            )
        problem = caught.value.problem
        assert "another id or version" not in problem
        assert "under a new version" not in problem
        assert "id of your own" in problem
    path = tmp_path / "w4.toml"
    path.write_text(fourth.to_toml(), encoding="utf-8")
    result = invoke("protocol", "check", str(path))
    assert result.exit_code == 2
    assert "under a new version" not in result.stderr
    assert "id of your own" in result.stderr.splitlines()[-1]


def test_RX4_a_file_of_many_problems_raises_a_bounded_message_in_code(tmp_path: Path) -> None:
    """AP5 bounded what `protocol check` prints, but `Protocol.from_file` still raises a
    `ProtocolDefinitionError` whose message names every problem: 80,000 unknown triggers in a
    file under 1 MiB make a message of 25 MB, which an integrator's service logs whole. The
    message names the first 100, then how many more; `problems` keeps them all."""
    text = EXAMPLE.read_text(encoding="utf-8")
    junk = "\n".join(f"t{n} = []" for n in range(5000))
    path = tmp_path / "junk.toml"
    path.write_text(text.replace("[roles]", "[roles]\n" + junk), encoding="utf-8")
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_file(path)
    assert len(caught.value.problems) == 5000
    message = str(caught.value)
    assert len(message) < 50_000
    assert message.endswith("; ... and 4,900 more: fix these first")
    assert "roles.t99: is not a trigger" in message
    assert "roles.t100:" not in message
