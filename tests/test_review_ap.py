"""Review AP: an authority's protocol as versioned data, attacked as an officer drafting their
own file from docs/examples/exampleshire.toml (see FINDINGS.md)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    Protocol,
    ProtocolDefinitionError,
    ReferralRoute,
    Reintegration,
    SchoolCalendar,
)
from reintegration_fsm.cli import cli
from reintegration_fsm.protocol import definition, protocols
from reintegration_fsm.stores import SqlAlchemyStore, upgrade
from reintegration_fsm.stores import opened as kept_names
from store_contract import reachable_engine, reset_database
from test_cli_protocols import open_under

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def variant(folder: Path, name: str, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = folder / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_two_files_of_one_name_are_refused_naming_both_files_and_what_differs(
    tmp_path: Path,
) -> None:
    """With a handful of files in RFSM_PROTOCOLS, `two different protocol files are both
    exampleshire 2027.1` left the officer to diff every file by hand (AP1)."""
    first = variant(tmp_path, "a.toml", "weighting_points = 1", "weighting_points = 1")
    second = variant(tmp_path, "b.toml", "weighting_points = 1", "weighting_points = 4")
    result = invoke("--protocol", str(first), "--protocol", str(second), "due")
    assert result.exit_code == 2
    assert str(first) in result.stderr
    assert str(second) in result.stderr
    assert result.stderr == (
        f"error: two different protocol files are both exampleshire 2027.1: {first} and "
        f"{second}\n  - They differ in weighting_points. Give a revision its own version, and "
        "keep the old file registered while cases opened under it run.\n"
    )
    retitled = variant(tmp_path, "c.toml", "title = ", 'title = "Typo fixed"\n# was: ')
    result = invoke("--protocol", str(first), "--protocol", str(retitled), "due")
    assert result.exit_code == 2
    assert "They differ in title." in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        # Word's curly quotes around the title.
        (
            'title = "Exampleshire Managed Return Protocol"',
            "title = \u201cExampleshire Managed Return Protocol\u201d",
            "column 9 holds \u201c (U+201C, left double quotation mark): write text between "
            "straight quotes",
        ),
        # A non-breaking space between a key and its `=`: named by its code point alone.
        (
            "weighting_points = 1",
            "weighting_points\u00a0= 1",
            "column 17 holds (U+00A0, no-break space): type the space again as a plain one",
        ),
        # An en dash in a date, as a word processor's autocorrect writes it.
        (
            "effective_from = 2025-09-01",
            "effective_from = 2025\u201309\u201301",
            "column 22 holds \u2013 (U+2013, en dash): write a date or a number with a plain "
            "hyphen",
        ),
        # A Cyrillic е in a bare key: named by its code point, as docs/protocols.md says.
        (
            "review_weeks = [3, 5, 8]",
            "r\u0435view_weeks = [3, 5, 8]",
            "column 2 holds \u0435 (U+0435, cyrillic small letter ie): a key outside quotes",
        ),
        # A zero-width space typed into a key.
        (
            "weighting_points = 1",
            "weighting\u200b_points = 1",
            "column 10 holds (U+200B, zero width space): delete it: it prints nothing",
        ),
    ],
)
def test_a_character_toml_cannot_read_is_named_by_its_code_point(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    """AP2: each was refused with tomllib's bare `Invalid value (at line 5, column 9)`, the
    character reading as the right one to the officer who pasted it."""
    path = variant(tmp_path, "pasted.toml", old, new)
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_file(path)
    assert caught.value.problem.startswith("not valid TOML: ")
    assert named in caught.value.problem
    result = invoke("protocol", "check", str(path))
    assert result.exit_code == 2
    assert named in result.stderr
    assert "Traceback" not in result.output


def test_a_character_toml_cannot_read_inside_a_string_adds_nothing() -> None:
    """Only a character that is not ASCII where `tomllib` stopped is named."""
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml('id = "caf\u00e9"\nversion = [1,\n')
    assert "holds" not in caught.value.problem


def alike_files(tmp_path: Path) -> tuple[Path, Path]:
    """`exampleshire 2027.1` and `Exampleshire 2027.1`, with other rules."""
    own = variant(tmp_path, "own.toml", "weighting_points = 1", "weighting_points = 1")
    alike = variant(tmp_path, "alike.toml", 'id = "exampleshire"', 'id = "Exampleshire"')
    alike.write_text(
        alike.read_text().replace("place_offer_school_days = 10", "place_offer_school_days = 11")
    )
    return own, alike


def test_two_protocols_named_alike_in_other_case_do_not_both_open_cases(tmp_path: Path) -> None:
    """`Worcestershire 3` opens no case, for it reads as the shipped `worcestershire 3`; but
    an authority's `exampleshire 2027.1` and `Exampleshire 2027.1`, with other rules, both
    opened cases side by side in one store, and a report or a letter names them alike (AP3).
    Registered together, neither opens a case: `--under`, `RFSM_UNDER`, `protocol check` and
    `protocol show` refuse alike, naming both ids and both files."""
    own, alike = alike_files(tmp_path)
    db = f"sqlite:///{tmp_path / 'alike.sqlite'}"
    files = ("--protocol", str(own), "--protocol", str(alike))
    for under, case_id in (("exampleshire@2027.1", "A-1"), ("Exampleshire", "A-2")):
        result = open_under(db, tmp_path, *files, under=under, case_id=case_id)
        assert result.exit_code == 2, result.output
        assert "no new case opens under" in result.stderr
        for named in (f"exampleshire 2027.1 ({own})", f"Exampleshire 2027.1 ({alike})"):
            assert named in result.stderr
        assert "keep one id" in result.stderr
    assert not (tmp_path / "alike.sqlite").exists()
    result = open_under(db, tmp_path, *files, env={"RFSM_UNDER": "Exampleshire@2027.1"})
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: RFSM_UNDER: no new case opens under")
    assert f"exampleshire 2027.1 ({own})" in result.stderr
    for command in ("check", "show"):
        result = invoke("--protocol", str(own), "protocol", command, str(alike))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: protocol file {alike}, line 3: id: Exampleshire ")
        assert f"exampleshire 2027.1 ({own})" in result.stderr
    # In code, as the CLI decides: the problem names both, at the `id`.
    protocol = Protocol.from_file(alike)
    refusal = definition.opening_refusal(protocol, registered=[Protocol.from_file(own)])
    assert refusal is not None
    assert refusal.field == "id"
    assert refusal.problem.startswith("Exampleshire 2027.1 and exampleshire 2027.1, both ")
    assert protocol.opens_cases  # alone, it would


def test_protocols_named_apart_open_cases_and_cases_under_alike_names_still_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registering two protocols named alike is not refused (a store holding cases under both
    from before keeps loading and verifying); ids that read apart both open cases."""
    own, alike = alike_files(tmp_path)
    db = f"sqlite:///{tmp_path / 'apart.sqlite'}"
    other = variant(tmp_path, "other.toml", 'id = "exampleshire"', 'id = "otherside"')
    apart = ("--protocol", str(own), "--protocol", str(other))
    for under, case_id in (("exampleshire@2027.1", "A-1"), ("otherside@2027.1", "A-2")):
        result = open_under(db, tmp_path, *apart, under=under, case_id=case_id)
        assert result.exit_code == 0, result.output
    # A case under `Exampleshire` opened before (alone registered, by a library before RX1's
    # refusal at the store), then both registered.
    with monkeypatch.context() as before:
        before.setattr(kept_names, "named_alike", lambda *_: None)
        result = open_under(
            db, tmp_path, "--protocol", str(alike), under="Exampleshire", case_id="A-3"
        )
    assert result.exit_code == 0, result.output
    both = ("--protocol", str(own), "--protocol", str(alike), "--protocol", str(other))
    result = invoke(*both, "--db", db, "verify")
    assert result.exit_code == 0, result.output
    result = invoke(*both, "--db", db, "history", "A-3")
    assert result.exit_code == 0, result.output
    assert invoke(*both, "protocol", "check", str(own)).exit_code == 2
    assert invoke("--protocol", str(other), "protocol", "check", str(own)).exit_code == 0


LATE_OFFER = (
    "must be at most 20: the School Admissions Code 2021 (Fair Access) requires an offer of a "
    "school place within 20 school days; a protocol may ask for it sooner, not later, not {}"
)
"""Why no new case opens under a place offer later than the law's (AP4)."""
LATESHIRE = attrs.evolve(WORCESTERSHIRE, id="lateshire", version="1", title="Lateshire")
"""The seed's rules under an authority's name: the scenario's referral carries its evidence."""


def test_a_place_offer_later_than_the_codes_twenty_school_days_opens_no_case() -> None:
    """docs/sources.md: the School Admissions Code says a place *must* be allocated within 20
    school days; the seed: "the law requires". `joiners_return_days` over the law's 5 was an
    opening problem ("a protocol may ask for it sooner, not later"); 30 school days was not
    (AP4). Refused as it is, naming the field, the value, the law's 20 and its source."""
    example = Protocol.from_file(EXAMPLE)
    for days in (21, 30, 3661, 10**9):
        late = attrs.evolve(example, version="2027.9", place_offer_school_days=days)
        assert not late.opens_cases
        assert late.opening_problems == (("place_offer_school_days", LATE_OFFER.format(days)),)
    with pytest.raises(ProtocolDefinitionError) as caught:
        Reintegration.open(
            "P-30",
            sc.PUPIL,
            sc.AP_SETTING,
            sc.AUTHORITY,
            SchoolCalendar.sample(),
            by=sc.AP_HEAD,
            on=sc.OPENED,
            protocol=attrs.evolve(example, version="2027.9", place_offer_school_days=30),
        )
    assert caught.value.field == "place_offer_school_days"
    assert caught.value.problem.startswith(LATE_OFFER.format(30) + "; a new case may not open")


def test_a_place_offer_of_the_codes_twenty_school_days_opens_cases_and_is_due_on_the_20th() -> None:
    """The law's own 20 (Worcestershire's) and anything sooner open cases; the offer is due
    the 20th school day after the referral."""
    calendar = SchoolCalendar.sample()
    for days in (1, 19, 20):
        at_most = attrs.evolve(LATESHIRE, place_offer_school_days=days)
        assert at_most.opens_cases
        assert at_most.opening_problems == ()
    case = Reintegration.open(
        "P-20",
        sc.PUPIL,
        sc.AP_SETTING,
        sc.AUTHORITY,
        calendar,
        by=sc.AP_HEAD,
        on=sc.OPENED,
        protocol=at_most,
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    (offer,) = case.deadlines
    assert offer.due == calendar.add_school_days(sc.REFERRED, 20)


def test_protocol_check_refuses_a_file_whose_place_offer_is_later_than_the_laws_at_its_line(
    tmp_path: Path,
) -> None:
    late = variant(
        tmp_path, "late.toml", "place_offer_school_days = 10", "place_offer_school_days = 30"
    )
    line = late.read_text(encoding="utf-8").splitlines().index("place_offer_school_days = 30") + 1
    result = invoke("protocol", "check", str(late))
    assert result.exit_code == 2, result.output
    assert f"line {line}: place_offer_school_days: {LATE_OFFER.format(30)}" in result.stderr
    at_most = variant(
        tmp_path, "ok.toml", "place_offer_school_days = 10", "place_offer_school_days = 20"
    )
    assert invoke("protocol", "check", str(at_most)).exit_code == 0


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'late.sqlite'}"
    else:
        url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
        engine = reachable_engine(url)
        reset_database(engine)
        engine.dispose()
    upgrade(url)
    return url


def test_a_case_recorded_under_a_place_offer_later_than_the_laws_still_loads_and_finishes(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case an earlier library opened under `place_offer_school_days = 30` (AP4's bound is
    an opening problem, not a definition error): the protocol still loads, the stored case
    replays on every engine with its deadline 30 school days on, and goes on to its offer; its
    file, refused by `protocol check`, is still registered for it by the CLI."""
    calendar = SchoolCalendar.sample()
    late = attrs.evolve(LATESHIRE, place_offer_school_days=30)
    # The library before AP4's bound: the place offer had only the ten years' bound.
    with monkeypatch.context() as before:
        before.setattr(
            protocols,
            "COUNTS_MOST",
            tuple(
                bound for bound in protocols.COUNTS_MOST if bound[0] != "place_offer_school_days"
            ),
        )
        earlier = attrs.evolve(late)  # (its opening problems read under the earlier bounds)
        case = Reintegration.open(
            "P-30",
            sc.PUPIL,
            sc.AP_SETTING,
            sc.AUTHORITY,
            calendar,
            by=sc.AP_HEAD,
            on=sc.OPENED,
            protocol=earlier,
        )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    store = SqlAlchemyStore(store_url, calendar=calendar, protocols=[earlier])
    try:
        store.save(case)
    finally:
        store.engine.dispose()
    assert not late.opens_cases
    store = SqlAlchemyStore(store_url, calendar=calendar, protocols=[late])
    try:
        loaded = store.load("P-30")
        assert loaded.protocol == late
        (offer,) = loaded.deadlines
        assert offer.due == calendar.add_school_days(sc.REFERRED, 30)
        assert offer.due > calendar.add_school_days(sc.REFERRED, 20)
        loaded.identify_host(
            sc.HOST_SCHOOL, ReferralRoute.PANEL, by=sc.ADMISSIONS, on=sc.HOST_FOUND
        )
        store.save(loaded)
        again = store.load("P-30")
        assert again.host_school == sc.HOST_SCHOOL
        assert again.deadlines[0].met_on == sc.HOST_FOUND
    finally:
        store.engine.dispose()
    file = tmp_path / "late.toml"
    file.write_text(late.to_toml(), encoding="utf-8")
    assert invoke("protocol", "check", str(file)).exit_code == 2
    shown = invoke("--protocol", str(file), "--db", store_url, "timeline", "P-30")
    assert shown.exit_code == 0, shown.output
    refused = open_under(store_url, tmp_path, "--protocol", str(file), under="lateshire@1")
    assert refused.exit_code == 2, refused.output
    assert f"place_offer_school_days: {LATE_OFFER.format(30)}" in refused.stderr


def test_a_file_of_many_problems_prints_a_bounded_message(tmp_path: Path) -> None:
    """AP5: 90,000 unknown triggers in a file under 1 MiB printed 28 MB, each naming every
    trigger; the first 100 are printed, then how many more."""
    text = EXAMPLE.read_text(encoding="utf-8")
    junk = "\n".join(f"t{n} = []" for n in range(5000))
    path = tmp_path / "junk.toml"
    path.write_text(text.replace("[roles]", "[roles]\n" + junk), encoding="utf-8")
    result = invoke("protocol", "check", str(path))
    assert result.exit_code == 2
    assert "5000 problems" in result.stderr
    assert len(result.stderr) < 50_000
    lines = result.stderr.splitlines()
    assert lines[100].startswith("  - line 120: roles.t99: is not a trigger")
    assert lines[101] == "  - ... and 4,900 more: fix these first"
    assert len(lines) == 102


def test_a_roles_table_written_twice_is_named_at_both_lines(tmp_path: Path) -> None:
    """An officer appends `[roles]` and `withdraw = ["parent"]` to a copy of the example, which
    has its own `[roles]`: `Cannot declare ('roles',) twice (at line 24, column 7)`, naming
    neither the first header nor the field as every other key given twice is named (AP7)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    first = text.splitlines().index("[roles]") + 1
    path = tmp_path / "appended.toml"
    path.write_text(text + '\n[roles]\nwithdraw = ["parent"]\n', encoding="utf-8")
    second = len(text.splitlines()) + 2
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_file(path)
    assert (caught.value.field, caught.value.line) == ("roles", second)
    assert caught.value.problem.startswith(f"is given twice (lines {first} and {second})")


def test_an_authoritys_worcestershire_opens_no_case() -> None:
    """Worcestershire's officer publishing a revision as a new `version` of the shipped file
    (`worcestershire 4`) would open cases a later library's own `worcestershire 4` strands
    (AP8): the shipped id, in any letters' case, is the library's."""
    for own in (
        attrs.evolve(WORCESTERSHIRE, version="4", place_offer_school_days=15),
        attrs.evolve(WORCESTERSHIRE, id="WORCESTERSHIRE", version="2027"),
    ):
        assert not own.opens_cases
        ((field, problem),) = own.opening_problems
        assert field == "id"
        assert "the library ships" in problem
        assert "your authority's own id (as exampleshire)" in problem
        with pytest.raises(ProtocolDefinitionError, match="the library ships"):
            Reintegration.open(
                "W-4",
                sc.PUPIL,
                sc.AP_SETTING,
                sc.AUTHORITY,
                SchoolCalendar.sample(),
                by=sc.AP_HEAD,
                on=sc.OPENED,
                protocol=own,
            )
    # The shipped protocol itself, and an authority's own id, open cases.
    assert WORCESTERSHIRE.opens_cases
    assert attrs.evolve(WORCESTERSHIRE, id="exampleshire", version="4").opens_cases


def test_a_case_under_an_authoritys_worcestershire_from_before_replays(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A case an earlier library opened under an authority's `worcestershire 4` still replays
    under the registered file, and the file still registers (`protocol check` refuses it)."""
    calendar = SchoolCalendar.sample()
    own = attrs.evolve(WORCESTERSHIRE, version="4", place_offer_school_days=15)
    with monkeypatch.context() as earlier:  # a library that did not reserve the id
        earlier.setattr(protocols, "_SHIPPED_IDS", frozenset())
        assert attrs.evolve(own).opens_cases
        case = Reintegration.open(
            "W-4",
            sc.PUPIL,
            sc.AP_SETTING,
            sc.AUTHORITY,
            calendar,
            by=sc.AP_HEAD,
            on=sc.OPENED,
            protocol=attrs.evolve(own),
        )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.PANEL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    assert not own.opens_cases
    again = Reintegration.replay(case.history, calendar, protocols=[own])
    assert again.deadlines == case.deadlines
    path = tmp_path / "worcestershire-4.toml"
    path.write_text(own.to_toml(), encoding="utf-8")
    result = invoke("protocol", "check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: protocol file {path}, line ")
    assert "exampleshire" in result.stderr
    shown = invoke("--protocol", str(path), "protocol", "show", "--under", "worcestershire@4")
    assert shown.exit_code == 0, shown.output  # registered: its cases load
