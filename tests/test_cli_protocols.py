"""Authorities' protocols on the command line: `--protocol FILE`, `protocol check`,
`protocol show`, and `apply ... open --under ID@VERSION`."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import Protocol
from reintegration_fsm.cli import cli
from reintegration_fsm.cli.errors import BAD_INPUT, Failure
from reintegration_fsm.cli.protocols import choose
from reintegration_fsm.protocol import diagrams
from reintegration_fsm.serialisation import unstructure

EXAMPLE = str(Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml")


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_check_accepts_a_protocol_that_can_run() -> None:
    result = invoke("protocol", "check", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: exampleshire 2027.1 (Exampleshire Managed Return Protocol)\n"


def test_check_refuses_a_protocol_that_cannot_run_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = Path(EXAMPLE).read_text().replace("review_weeks = [3, 5, 8]", "review_weeks = [3, 3, 8]")
    bad.write_text(text)
    result = invoke("protocol", "check", str(bad))
    assert result.exit_code == 2
    lines = text.splitlines()
    line = next(n for n, row in enumerate(lines, start=1) if row.startswith("review_weeks"))
    assert f"line {line}: review_weeks: must increase" in result.stderr
    assert "Traceback" not in result.output


def test_check_refuses_a_file_no_new_case_may_open_under_and_the_commands_still_take_it(
    tmp_path: Path,
) -> None:
    """A file an earlier version took (its joiners return ten days after the start, its
    retention six years from birth) is refused by `check`, each problem at its line, saying
    what becomes of its cases; registered, it is read, so the cases opened under it load."""
    old = tmp_path / "old.toml"
    text = Path(EXAMPLE).read_text()
    text = text.replace("joiners_return_days = 3", "joiners_return_days = 10")
    old.write_text(text.replace("retention_years = 30", "retention_years = 6"))
    result = invoke("protocol", "check", str(old))
    assert result.exit_code == 2, result.output
    lines = text.splitlines()
    joiners = next(n for n, row in enumerate(lines, start=1) if row.startswith("joiners_return"))
    assert result.stderr.startswith(f"error: protocol file {old}: 2 problems\n")
    assert f"  - line {joiners}: joiners_return_days: must be at most 5: " in result.stderr
    assert f"  - line {joiners + 2}: retention_years: must be at least 18: " in result.stderr
    assert "Cases opened under it before still load and finish while it is registered" in (
        result.stderr
    )
    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert invoke("--db", db, "db", "upgrade").exit_code == 0
    listed = invoke("--db", db, "--protocol", str(old), "cases")
    assert listed.exit_code == 0, listed.output


def test_a_protocol_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Notepad's "UTF-8 with BOM": `protocol check` said "not valid TOML: Invalid statement
    (at line 1, column 1)" of a file that looks right. The mark is not part of the text."""
    marked = tmp_path / "exampleshire.toml"
    marked.write_bytes(b"\xef\xbb\xbf" + Path(EXAMPLE).read_bytes())
    result = invoke("protocol", "check", str(marked))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: exampleshire 2027.1")


def test_a_protocol_file_that_is_not_utf_8_is_bad_input_naming_the_line(tmp_path: Path) -> None:
    """Latin-1, as an old Windows editor saves it: the message names the line and the byte, as
    the calendar's does, where it said only that the file was not UTF-8."""
    latin = tmp_path / "latin.toml"
    text = (
        Path(EXAMPLE)
        .read_text(encoding="utf-8")
        .replace('title = "Exampleshire', 'title = "Caf\u00e9 Exampleshire', 1)
    )
    latin.write_bytes(text.encode("latin-1"))
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if "Caf" in row)
    result = invoke("protocol", "check", str(latin))
    assert result.exit_code == 2
    assert f"protocol file {latin}, line {line}: not UTF-8 text (byte 0xe9 at offset" in (
        result.stderr
    )
    assert "Traceback" not in result.output


def test_check_refuses_a_step_only_a_host_could_fire_before_a_host_is_known(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "hosts.toml"
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    bad.write_text(text + 'record_consent = ["host_head"]\n', encoding="utf-8")
    result = invoke("protocol", "check", str(bad))
    assert result.exit_code == 2
    line = len(text.split("\n"))  # the [roles] table ends the file: the key is its last line
    assert f"line {line}: roles.record_consent: only a host school's roles may fire it" in (
        result.stderr
    )


def test_check_of_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = invoke("protocol", "check", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "cannot read protocol file" in result.stderr


def test_show_prints_the_parameters_the_table_and_the_diagram() -> None:
    result = invoke("protocol", "show", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Exampleshire Managed Return Protocol (exampleshire 2027.1)")
    assert "place_offer_school_days   10" in result.stdout
    assert "review_weeks              3, 5, 8" in result.stdout
    assert (
        "| `hold_review` | in_placement | same stage | AP_HEAD, HOST_HEAD | R9 |" in result.stdout
    )
    assert diagrams.mermaid() in result.stdout


def test_show_without_a_file_shows_the_seeds_protocol() -> None:
    result = invoke("protocol", "show")
    assert result.exit_code == 0
    assert "(worcestershire 3)" in result.stdout.splitlines()[0]
    assert "place_offer_school_days   20" in result.stdout


def test_show_names_a_registered_protocol() -> None:
    result = invoke("--protocol", EXAMPLE, "protocol", "show", "--under", "exampleshire")
    assert result.exit_code == 0, result.output
    assert "(exampleshire 2027.1)" in result.stdout
    unknown = invoke("protocol", "show", "--under", "exampleshire")
    assert unknown.exit_code == 2
    assert "no protocol 'exampleshire' is known" in unknown.stderr


SEED = Path(__file__).resolve().parent.parent / "src" / "reintegration_fsm" / "protocol"


SEED_ID_LINE = next(
    number
    for number, row in enumerate(
        (SEED / "worcestershire.toml").read_text(encoding="utf-8").splitlines(), start=1
    )
    if row.startswith("id = ")
)
"""The line of the seed's file that gives its `id`, where a file changing its rules under its
name is refused (review AU, AU4)."""


def fake_seed(tmp_path: Path) -> Path:
    """A file claiming the shipped `worcestershire 3`, with nine weighting points, not three."""
    fake = tmp_path / "fake.toml"
    text = (SEED / "worcestershire.toml").read_text(encoding="utf-8")
    assert "\nweighting_points = 3\n" in text
    fake.write_text(text.replace("\nweighting_points = 3\n", "\nweighting_points = 9\n"))
    return fake


def test_show_refuses_a_file_that_check_refuses(tmp_path: Path) -> None:
    """`protocol show` printed a file claiming a shipped protocol's id and version with its
    own rules, exit 0: rules no case would ever run under. It refuses it as `check` does."""
    fake = fake_seed(tmp_path)
    checked = invoke("protocol", "check", str(fake))
    shown = invoke("protocol", "show", str(fake))
    assert checked.exit_code == shown.exit_code == 2
    assert (
        shown.stderr
        == checked.stderr
        == (
            f"error: protocol file {fake}, line {SEED_ID_LINE}: id: worcestershire 3 is a protocol "
            "the library ships, and the file changes its weighting_points; give yours an id "
            "of your own (as exampleshire)\n"
        )
    )
    assert shown.stdout == ""


def test_show_refuses_a_file_no_new_case_may_open_under_as_check_does(tmp_path: Path) -> None:
    """docs/protocols.md: "`protocol show` refuses a file `protocol check` refuses, with the
    same message and exit code"; a joiners return of 10 days: check exited 2, show 0 (review P,
    P4). The same file within the law's five days is shown."""
    late = tmp_path / "late.toml"
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    late.write_text(text.replace("joiners_return_days = 3", "joiners_return_days = 10"))
    checked = invoke("protocol", "check", str(late))
    shown = invoke("protocol", "show", str(late))
    assert checked.exit_code == shown.exit_code == 2
    assert shown.stderr == checked.stderr
    assert shown.stderr.startswith(f"error: protocol file {late}, line ")
    assert "joiners_return_days: must be at most 5" in shown.stderr
    assert shown.stdout == ""
    late.write_text(text.replace("joiners_return_days = 3", "joiners_return_days = 5"))
    shown = invoke("protocol", "show", str(late))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("# Exampleshire Managed Return Protocol (exampleshire 2027.1)")


def _named_file(tmp_path: Path, id_: str, version: str) -> Path:
    """docs/examples/exampleshire.toml under the id and version given."""
    text = Path(EXAMPLE).read_text("utf-8").replace('id = "exampleshire"', f'id = "{id_}"')
    named = tmp_path / f"{id_}-{version}.toml"
    named.write_text(text.replace('version = "2027.1"', f'version = "{version}"'), "utf-8")
    return named


def test_D7_check_and_show_refuse_a_file_named_as_the_shipped_protocol_in_other_case(
    tmp_path: Path,
) -> None:
    """T3 refused a new case under `Worcestershire 3` (the shipped protocol's name in other
    letters' case) in `Reintegration.open` only: `protocol check` said "ok" (exit 0) of such a
    file, and `show FILE` showed it, and the authority learnt otherwise at its first `apply
    ... open` (review D, D7). Both refuse it (exit 2), at the id's line, with one message."""
    alike = _named_file(tmp_path, "Worcestershire", "3")
    checked = invoke("protocol", "check", str(alike))
    shown = invoke("protocol", "show", str(alike))
    assert checked.exit_code == shown.exit_code == 2, checked.output
    assert shown.stderr == checked.stderr
    line = next(
        n
        for n, row in enumerate(alike.read_text("utf-8").splitlines(), start=1)
        if row.startswith("id =")
    )
    assert checked.stderr.startswith(
        f"error: protocol file {alike}, line {line}: id: Worcestershire 3 differs from "
        "worcestershire 3, a protocol the library ships, only in letters' case"
    ), checked.stderr
    assert shown.stdout == checked.stdout == ""


def test_D7_a_file_of_a_name_near_the_shipped_ones_is_checked_ok(tmp_path: Path) -> None:
    """Only the shipped name in other letters' case is refused as a look-alike: a county's
    other protocol (`Worcestershire-North 3`) passes; another version (`Worcestershire 3.1`)
    is refused, the shipped id being the library's (review AP, AP8)."""
    near = _named_file(tmp_path, "Worcestershire-North", "3")
    checked = invoke("protocol", "check", str(near))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("ok: Worcestershire-North 3 (")
    unshipped = _named_file(tmp_path, "Worcestershire", "3.1")
    checked = invoke("protocol", "check", str(unshipped))
    assert checked.exit_code == 2, checked.output
    assert "id: Worcestershire is the id of the protocol the library ships" in checked.stderr


def test_D7_choose_opening_refuses_a_registered_look_alike_as_open_does(tmp_path: Path) -> None:
    """`--under Worcestershire` (an ID alone) opening a case names the look-alike's problem,
    as `protocol check` does (exit 2), rather than pass it to `open`; shown, it is chosen."""
    alike = Protocol.from_file(_named_file(tmp_path, "Worcestershire", "3"))
    with pytest.raises(Failure) as refused:
        choose([alike], "Worcestershire", dt.date(2027, 9, 1), opening=True)
    assert refused.value.exit_code == BAD_INPUT
    assert "no new case opens under Worcestershire@3" in refused.value.message
    assert refused.value.reasons[0].startswith(
        "id: Worcestershire 3 differs from worcestershire 3, a protocol the library ships"
    )
    assert choose([alike], "Worcestershire", dt.date(2027, 9, 1)) is alike


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("[roles] # who may act", "roles.hold_review: must be a list of roles ("),
        ('["roles"]', "roles.hold_review: must be a list of roles ("),
        ("[[roles]]", "roles: must map each trigger to the roles that fire it"),
    ],
    ids=["commented", "quoted", "array-of-tables"],
)
def test_check_names_the_line_of_a_problem_under_a_commented_quoted_or_array_header(
    tmp_path: Path, header: str, problem: str
) -> None:
    """`[roles] # who may act` (ordinary TOML) lost the line of every problem under it, and
    `[[roles]]` was refused with no line (review P, P3)."""
    text = Path(EXAMPLE).read_text(encoding="utf-8").replace("[roles]", header)
    text = text.replace('hold_review = ["ap_head", "host_head"]', 'hold_review = ["ap-head"]')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = invoke("protocol", "check", str(bad))
    assert result.exit_code == 2, result.output
    rows = text.split("\n")
    start = "[[roles]]" if header == "[[roles]]" else "hold_review"
    line = next(n for n, row in enumerate(rows, start=1) if row.startswith(start))
    assert result.stderr.startswith(f"error: protocol file {bad}, line {line}: {problem}")
    assert "Traceback" not in result.output


def test_show_under_refuses_a_registered_file_the_registry_refuses(tmp_path: Path) -> None:
    """`--protocol fake.toml protocol show --under worcestershire@3` showed the built-in (three
    points) without a word of the file it was given, which every store refuses."""
    fake = fake_seed(tmp_path)
    result = invoke("--protocol", str(fake), "protocol", "show", "--under", "worcestershire@3")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: protocol file {fake}, line {SEED_ID_LINE}: id: worcestershire 3 is a protocol "
        "the library ships, and the file changes its weighting_points; give yours an id of "
        "your own (as exampleshire)\n"
    )
    assert "weighting_points" not in result.stdout


def open_under(
    db: str,
    tmp_path: Path,
    *extra: str,
    under: str | None = None,
    case_id: str = "P-1",
    on: str = "2026-01-12",
    authority: str = sc.AUTHORITY,
    env: dict[str, str | None] | None = None,
) -> Result:
    """`apply CASE_ID open` for the scenario's pupil, by the AP's head, for `authority`
    (`extra`: options before the command)."""
    data = tmp_path / "open.json"
    data.write_text(
        json.dumps(
            {
                "pupil": unstructure(sc.PUPIL),
                "ap_setting": sc.AP_SETTING,
                "local_authority": authority,
            }
        )
    )
    args = [*extra, "--db", db, "apply", case_id, "open", "--data", str(data)]
    args += ["--actor-id", "ap-1", "--actor-name", "Morgan Reed", "--role", "ap_head"]
    args += ["--organisation", sc.AP_SETTING, "--on", on]
    if under is not None:
        args += ["--under", under]
    return invoke(*args, env=env)


def test_a_case_opened_under_a_registered_protocol_needs_it_to_load(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire@2027.1")
    assert opened.exit_code == 0, opened.output
    history = invoke("--db", db, "--protocol", EXAMPLE, "export", "P-1")
    assert history.exit_code == 0, history.output
    assert json.loads(history.stdout)["protocol"] == {"id": "exampleshire", "version": "2027.1"}
    without = invoke("--db", db, "timeline", "P-1")
    assert without.exit_code == 2
    assert "protocol exampleshire 2027.1, which is not registered" in without.stderr
    assert "--protocol FILE" in without.stderr
    with_env = invoke("--db", db, "timeline", "P-1", env={"RFSM_PROTOCOLS": EXAMPLE})
    assert with_env.exit_code == 0, with_env.output


def test_T6_a_subject_access_response_under_another_protocol_does_not_cite_worcestershire(
    tmp_path: Path,
) -> None:
    """The retention paragraph every response begins with said "(25 for the Worcestershire
    protocol ...)" to a family whose authority's protocol keeps the data 30 years (review T,
    T6): each case gives its own period."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire@2027.1")
    assert opened.exit_code == 0, opened.output
    exported = invoke("--db", db, "--protocol", EXAMPLE, "export", "P-1")
    assert exported.exit_code == 0, exported.output
    response = json.loads(exported.stdout)  # one case: the case, with the response's preamble
    assert response["retention"]["policy"] == "date of birth + 30 years (the protocol's)"
    about = response["subject_access"]["about_this_information"]
    (retention,) = [item["text"] for item in about if "retention" in item["heading"]]
    assert "Worcestershire" not in retention
    assert "25" not in retention


def test_T1_open_without_under_says_it_opened_under_the_seeds_protocol(tmp_path: Path) -> None:
    """An authority whose deployment registers its own protocol opens a case and forgets
    `--under`: the case runs for life under Worcestershire's 20 school days and +3/-3
    weighting, and nothing printed said so (review T, T1)."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE)
    assert opened.exit_code == 0, opened.output
    exported = invoke("--db", db, "--protocol", EXAMPLE, "export", "P-1")
    assert json.loads(exported.stdout)["protocol"] == {"id": "worcestershire", "version": "3"}
    assert opened.stderr.startswith(
        "note: opened under worcestershire@3, the default, as no --under was given "
        "(registered: exampleshire@2027.1): "
    )
    chosen = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire", case_id="P-2")
    assert chosen.exit_code == 0, chosen.output
    assert chosen.stderr == ""  # named: nothing to say
    # And the timeline names each case's protocol, where only `export` showed it.
    for case_id, named in (("P-1", "worcestershire@3"), ("P-2", "exampleshire@2027.1")):
        told = invoke("--db", db, "--protocol", EXAMPLE, "timeline", case_id).stdout
        assert told.splitlines()[1].endswith(f"; protocol: {named}"), told
    alone = open_under(db, tmp_path, case_id="P-3")
    assert alone.exit_code == 0, alone.output
    assert alone.stderr == ""  # no other protocol registered: the seed's is the one meant


def protocol_line(db: str, case_id: str) -> str:
    """The timeline's second line, which names the case's protocol."""
    told = invoke("--db", db, "--protocol", EXAMPLE, "timeline", case_id)
    assert told.exit_code == 0, told.output
    return told.stdout.splitlines()[1]


@pytest.mark.parametrize("named", ["exampleshire", "exampleshire@2027.1"])
def test_open_under_rfsm_under_opens_under_the_deployments_protocol_and_says_so(
    tmp_path: Path, named: str
) -> None:
    """A deployment for one authority names its protocol once, in RFSM_UNDER, where each
    `apply ... open` had to give --under or open under the seed's (review T, T1): `open`
    without --under opens under it, and says on stderr which protocol and where it came from."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, env={"RFSM_UNDER": named})
    assert opened.exit_code == 0, opened.output
    assert protocol_line(db, "P-1").endswith("; protocol: exampleshire@2027.1")
    assert opened.stderr == (
        "note: opened under exampleshire@2027.1, named by RFSM_UNDER as no --under was given: "
        "the case runs under its deadlines and weighting for life.\n"
    )


def test_a_typed_under_wins_over_rfsm_under(tmp_path: Path) -> None:
    """--under on the command line names the protocol, whatever RFSM_UNDER says (even a name
    no protocol has), and nothing is said about the variable."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    for case_id, variable in (("P-1", "exampleshire"), ("P-2", "nowhere")):
        opened = open_under(
            db, tmp_path, "--protocol", EXAMPLE, under="worcestershire@3", case_id=case_id,
            env={"RFSM_UNDER": variable},
        )  # fmt: skip
        assert opened.exit_code == 0, opened.output
        assert opened.stderr == ""
        assert protocol_line(db, case_id).endswith("; protocol: worcestershire@3")


@pytest.mark.parametrize("variable", ["exampleshire", "nowhere", ""])
def test_rfsm_under_is_ignored_by_every_step_but_open(tmp_path: Path, variable: str) -> None:
    """RFSM_UNDER is a deployment's default for the cases it opens: a later step, which takes
    no protocol, runs unchanged with it set (even to a name no protocol has), where a typed
    --under is refused (exit 2) as before."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire").exit_code == 0
    reason = tmp_path / "withdraw.json"
    reason.write_text(json.dumps({"reason": "We are moving away."}))
    step = ["--db", db, "--protocol", EXAMPLE, "apply", "P-1", "withdraw", "--data", str(reason)]
    step += ["--actor-id", "p", "--actor-name", "Dana", "--role", "parent", "--on", "2026-01-14"]
    typed = invoke(*step, "--under", "exampleshire", env={"RFSM_UNDER": variable})
    assert typed.exit_code == 2, typed.output
    assert "only with `open`" in typed.stderr
    withdrawn = invoke(*step, env={"RFSM_UNDER": variable})
    assert withdrawn.exit_code == 0, withdrawn.output
    assert withdrawn.stdout.startswith("P-1: withdraw accepted, dated 2026-01-14")
    assert withdrawn.stderr == ""


@pytest.mark.parametrize(
    ("variable", "said"),
    [
        ("nowhere", "error: RFSM_UNDER: no protocol 'nowhere' is known\n"),
        ("exampleshire@", "error: RFSM_UNDER: no protocol 'exampleshire@' is known\n"),
        ("worcestershire@2", "error: RFSM_UNDER: no new case opens under worcestershire@2, "),
        ("", "error: RFSM_UNDER is set but empty\n"),
    ],
    ids=["unknown", "malformed", "opens-no-case", "empty"],
)
def test_a_bad_rfsm_under_is_refused_naming_the_variable(
    tmp_path: Path, variable: str, said: str
) -> None:
    """A bad RFSM_UNDER is refused as a bad --under is, bad input (exit 2), no case opened,
    the message naming the variable the name came from. Set but empty (a deployment's
    `RFSM_UNDER=$LA_PROTOCOL` with the variable unset), which click reads as unset, is refused
    too, rather than open under the seed's without a word."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    refused = open_under(db, tmp_path, "--protocol", EXAMPLE, env={"RFSM_UNDER": variable})
    assert refused.exit_code == 2, refused.output
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    assert "Traceback" not in refused.output
    assert refused.stderr.startswith(said), refused.stderr
    assert refused.stderr.splitlines()[-1] == (
        "  - RFSM_UNDER names the protocol where a command gives no --under: correct it, give "
        "--under ID[@VERSION], or unset RFSM_UNDER for the seed's, worcestershire@3."
    )
    assert "P-1" not in invoke("--db", db, "--protocol", EXAMPLE, "cases").stdout


def test_T2_a_protocol_name_another_authority_holds_with_other_rules_opens_no_case(
    tmp_path: Path,
) -> None:
    """Two authorities share a database; each wrote its file from the docs' example and kept
    `exampleshire 2027.1`, and Northmoor changed `place_offer_school_days`. Both opened cases,
    and then no `verify`, `report`, `retention` or `export --all` could run, whichever files
    were registered (review T, T2). Northmoor's open is refused, telling of no case and no
    authority; under the same rules, or its own version, it opens, and the audit runs."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    theirs = tmp_path / "northmoor.toml"
    theirs.write_text(
        Path(EXAMPLE)
        .read_text()
        .replace("place_offer_school_days = 10", "place_offer_school_days = 12")
    )
    northmoor = "Northmoor Borough Council"
    first = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire")
    assert first.exit_code == 0, first.output

    refused = open_under(
        db,
        tmp_path,
        "--protocol",
        str(theirs),
        under="exampleshire",
        case_id="N-1",
        authority=northmoor,
    )

    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: case N-1 cannot be opened under protocol exampleshire 2027.1 as registered: "
        "another authority's protocol in the database is named so with other rules, and in "
        "one database a protocol's id and version name one set of rules\n"
        "  - Give your protocol file another id or version (a new `version` in the file, say) "
        "and open the case under it.\n"
    )
    assert "P-1" not in refused.output
    assert sc.AUTHORITY not in refused.output
    assert invoke("--db", db, "--protocol", EXAMPLE, "export", "--all").exit_code == 0
    renamed = tmp_path / "northmoor-own.toml"
    renamed.write_text(theirs.read_text().replace('version = "2027.1"', 'version = "2027.1-nm"'))
    own = open_under(
        db,
        tmp_path,
        "--protocol",
        str(renamed),
        under="exampleshire@2027.1-nm",
        case_id="N-1",
        authority=northmoor,
    )
    assert own.exit_code == 0, own.output
    same = open_under(
        db,
        tmp_path,
        "--protocol",
        EXAMPLE,
        under="exampleshire",
        case_id="N-2",
        authority=northmoor,
    )
    assert same.exit_code == 0, same.output
    checked = invoke("--db", db, "--protocol", EXAMPLE, "--protocol", str(renamed), "verify")
    assert checked.exit_code == 0, checked.output


def test_retention_names_the_case_whose_protocol_is_not_registered(tmp_path: Path) -> None:
    """The store's policy keeps each protocol's `retention_years`: a case under a protocol not
    registered stops the run, which said "the case runs under ..." of a list of cases, naming
    none (review P, P1). Registered, the run names it (still running, it is held)."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire@2027.1")
    assert opened.exit_code == 0, opened.output
    assert open_under(db, tmp_path, case_id="W-1").exit_code == 0
    without = invoke("--db", db, "retention", "--on", "2100-01-01")
    assert without.exit_code == 2
    assert without.stderr == (
        "error: case P-1 runs under protocol exampleshire 2027.1, which is not registered\n"
        "  - Register its file: --protocol FILE before the command, or RFSM_PROTOCOLS.\n"
    )
    listed = invoke("--db", db, "--protocol", EXAMPLE, "retention", "--on", "2100-01-01")
    assert listed.exit_code == 0, listed.output
    for case_id in ("P-1", "W-1"):  # still running: named, not listed to be removed
        assert f"note: case {case_id} is past its keep-until date" in listed.stderr


def test_export_of_many_cases_names_the_case_whose_protocol_is_not_registered(
    tmp_path: Path,
) -> None:
    """`export --pupil` and `export --all` read many cases: one under a protocol not registered
    stopped them saying "the case runs under ...", naming none, so the officer answering a
    subject access request was not told which of the child's cases (found by a review, A7).
    Registered, both export every case."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert open_under(db, tmp_path, case_id="A-1").exit_code == 0
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire@2027.1")
    assert opened.exit_code == 0, opened.output
    assert open_under(db, tmp_path, case_id="W-1").exit_code == 0
    child = ["--pupil", sc.PUPIL.name, "--dob", sc.PUPIL.date_of_birth.isoformat()]
    for args in (child, ["--all"]):
        without = invoke("--db", db, "export", *args, "--format", "json")
        assert without.exit_code == 2, without.output
        assert json.loads(without.stdout)["error"] == (
            "case P-1 runs under protocol exampleshire 2027.1, which is not registered"
        )
        exported = invoke("--db", db, "--protocol", EXAMPLE, "export", *args)
        assert exported.exit_code == 0, exported.output
        ids = [case["case_id"] for case in json.loads(exported.stdout)["cases"]]
        assert ids == ["A-1", "P-1", "W-1"], args


def test_export_of_many_cases_says_a_protocol_registered_changed_is_changed(
    tmp_path: Path,
) -> None:
    """A case's protocol registered as a file changed in place since the case opened: `timeline`
    said so, but `export --pupil` and `export --all` told the officer that the protocol "is not
    registered", sending them to register the file they had just registered (their naming of
    the case made a plain `UnknownProtocol` of the `ChangedProtocol`)."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire@2027.1")
    assert opened.exit_code == 0, opened.output
    changed = tmp_path / "exampleshire.toml"
    text = Path(EXAMPLE).read_text()
    assert "place_offer_school_days = 10" in text
    changed.write_text(text.replace("place_offer_school_days = 10", "place_offer_school_days = 9"))
    child = ["--pupil", sc.PUPIL.name, "--dob", sc.PUPIL.date_of_birth.isoformat()]
    for args, case in ((child, "case P-1"), (["--all"], "case P-1"), (["P-1"], "the case")):
        refused = invoke(
            "--db", db, "--protocol", str(changed), "export", *args, "--format", "json"
        )
        assert refused.exit_code == 2, (args, refused.output)
        assert json.loads(refused.stdout)["error"] == (
            f"{case} was opened under protocol exampleshire 2027.1 as it then was, and the file "
            "registered under that name sets other rules"
        ), args
    exported = invoke("--db", db, "--protocol", EXAMPLE, "export", "--all")
    assert exported.exit_code == 0, exported.output


def test_export_all_stopped_part_way_leaves_the_old_file_and_prints_only_the_error(
    tmp_path: Path,
) -> None:
    """`export --all` writes its response case by case as the store streams them (review BO,
    BO3): a case met part way that cannot be read (P-1, under a protocol not registered, after
    A-1 was written) stops it with the message and exit code it had when the response was
    built whole first, leaves the file `-o` names as it was and no part of the new one beside
    it, and prints nothing but the error on stdout (the JSON of it, for --format json)."""
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert open_under(db, tmp_path, case_id="A-1").exit_code == 0
    opened = open_under(db, tmp_path, "--protocol", EXAMPLE, under="exampleshire@2027.1")
    assert opened.exit_code == 0, opened.output
    assert open_under(db, tmp_path, case_id="W-1").exit_code == 0
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "all.json"
    target.write_text("yesterday's export\n")
    refused = invoke("--db", db, "export", "--all", "-o", str(target))
    assert refused.exit_code == 2, refused.output
    assert json.loads(refused.stdout) == {  # JSON the format: the error alone, as JSON
        "error": "case P-1 runs under protocol exampleshire 2027.1, which is not registered",
        "reasons": ["Register its file: --protocol FILE before the command, or RFSM_PROTOCOLS."],
        "exit_code": 2,
    }
    assert "Traceback" not in refused.output
    assert target.read_text() == "yesterday's export\n"
    assert [p.name for p in folder.iterdir()] == ["all.json"]
    printed = invoke("--db", db, "export", "--all")
    assert printed.exit_code == 2
    assert json.loads(printed.stdout) == json.loads(refused.stdout)  # no case before it
    written = invoke("--db", db, "--protocol", EXAMPLE, "export", "--all", "-o", str(target))
    assert written.exit_code == 0, written.output
    assert [c["case_id"] for c in json.loads(target.read_text())["cases"]] == ["A-1", "P-1", "W-1"]
    assert [p.name for p in folder.iterdir()] == ["all.json"]


def test_open_defaults_to_the_seeds_protocol(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert open_under(db, tmp_path).exit_code == 0
    exported = json.loads(invoke("--db", db, "export", "P-1").stdout)
    assert exported["protocol"] == {"id": "worcestershire", "version": "3"}


def test_under_is_only_for_open(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    assert open_under(db, tmp_path).exit_code == 0
    result = invoke(
        "--db",
        db,
        "apply",
        "P-1",
        "withdraw",
        "--actor-id",
        "p",
        "--actor-name",
        "Dana",
        "--role",
        "parent",
        "--under",
        "worcestershire@2",
    )
    assert result.exit_code == 2
    assert "only with `open`" in result.stderr


def test_a_broken_protocol_file_given_to_the_group_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\n')
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    result = invoke("--db", db, "--protocol", str(bad), "due")
    assert result.exit_code == 2
    assert "protocol file" in result.stderr


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("id: x\n", ", line 1: not valid TOML: Expected '=' after a key"),
        ('id = "x"\nextra = 1\n', ": 5 problems"),
    ],
    ids=["not-toml", "several"],
)
def test_a_protocol_files_problem_names_the_file_once(tmp_path: Path, text: str, said: str) -> None:
    """One problem read "protocol file F: F, line 1: (file): not valid TOML ...": the file
    twice, and a field that is no field."""
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = invoke("protocol", "check", str(bad))
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: protocol file {bad}{said}")
    assert result.stderr.count(str(bad)) == 1
    assert "(file)" not in result.stderr


def test_check_lists_every_problem_of_a_protocol_each_on_its_own_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = (
        Path(EXAMPLE)
        .read_text()
        .replace("review_weeks = [3, 5, 8]", "review_weeks = [3, 3, 8]")
        .replace("place_offer_school_days = ", "place_offer_school_days = -1 # ", 1)
    )
    bad.write_text("bogus = 1\n" + text)
    result = invoke("protocol", "check", str(bad))
    assert result.exit_code == 2
    lines = bad.read_text().splitlines()

    def line(key: str) -> int:
        return next(n for n, row in enumerate(lines, start=1) if row.startswith(key))

    assert result.stderr.splitlines() == [
        f"error: protocol file {bad}: 3 problems",
        "  - line 1: bogus: is not a protocol field",
        f"  - line {line('place_offer_school_days')}: place_offer_school_days: must be a "
        "whole number above 0, not -1",
        f"  - line {line('review_weeks')}: review_weeks: must increase from above 0, not [3, 3, 8]",
    ]


def test_under_an_id_alone_the_current_editions_version_is_the_one_in_force() -> None:
    """worcestershire 2 (edition 2) and 3 (edition 3) take effect the same day: the version
    in force is 3, which supersedes 2; 2 is still shown by its full name, its cases replaying."""
    result = invoke("protocol", "show", "--under", "worcestershire", "--on", "2026-01-12")
    assert result.exit_code == 0, result.output
    assert "(worcestershire 3)" in result.stdout.splitlines()[0]
    earlier = invoke("protocol", "show", "--under", "worcestershire@2")
    assert earlier.exit_code == 0, earlier.output
    assert "(worcestershire 2)" in earlier.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("under", "which", "env"),
    [
        ("exampleshire@2027.1", "the version named", None),
        ("exampleshire", "the one version of 'exampleshire'", None),
        (None, "the version named", {"RFSM_UNDER": "exampleshire@2027.1"}),
    ],
)
def test_AP6_open_under_a_registered_file_no_case_may_open_under_names_the_file_and_line(
    tmp_path: Path, under: str | None, which: str, env: dict[str, str | None] | None
) -> None:
    """A registered file that loads cases but opens none (a place offer past the Code's 20
    school days) is refused at `open --under` with its file and the problem's line, as
    `protocol check` names them, where the refusal named the field alone (review AP, AP6)."""
    late = tmp_path / "late.toml"
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    assert "place_offer_school_days = 10" in text
    late.write_text(text.replace("place_offer_school_days = 10", "place_offer_school_days = 30"))
    line = next(
        n for n, row in enumerate(text.splitlines(), start=1) if row.startswith("place_offer")
    )
    db = f"sqlite:///{tmp_path / 'p.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", str(late), under=under, env=env)
    assert opened.exit_code == 2, opened.output
    first, *reasons = opened.stderr.splitlines()
    assert first == (
        f"error: {'RFSM_UNDER: ' if env else ''}no new case opens under exampleshire@2027.1 "
        f"(protocol file {late}), {which}"
    )
    assert reasons[0] == f"  - line {line}: place_offer_school_days: must be at most 20: " + (
        "the School Admissions Code 2021 (Fair Access) requires an offer of a school place "
        "within 20 school days; a protocol may ask for it sooner, not later, not 30"
    )
    assert "Traceback" not in opened.output
    assert invoke("--db", db, "--protocol", str(late), "cases").exit_code == 2  # no store made


def test_AP6_open_under_a_file_given_on_a_pipe_names_its_line_from_the_one_reading(
    tmp_path: Path,
) -> None:
    """The file's text is kept from its one reading: a protocol given through a pipe (read
    once: `--protocol <(...)`) still has its line named."""
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    late = text.replace("place_offer_school_days = 10", "place_offer_school_days = 30")
    reading, writing = os.pipe()
    try:
        os.write(writing, late.encode("utf-8"))  # smaller than a pipe's buffer
        os.close(writing)
        opened = open_under(
            f"sqlite:///{tmp_path / 'p.sqlite'}",
            tmp_path,
            "--protocol",
            f"/dev/fd/{reading}",
            under="exampleshire@2027.1",
        )
    finally:
        os.close(reading)
    line = next(
        n for n, row in enumerate(text.splitlines(), start=1) if row.startswith("place_offer")
    )
    assert opened.exit_code == 2, opened.output
    assert f"(protocol file /dev/fd/{reading})" in opened.stderr
    assert f"  - line {line}: place_offer_school_days: must be at most 20: " in opened.stderr
