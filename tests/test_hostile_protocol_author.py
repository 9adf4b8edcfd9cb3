"""A protocol author's day, done carelessly and with care: an authority's protocol written from
the docs, checked, registered, revised mid-year, and fed what a tired officer writes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

from reintegration_fsm import Protocol, ProtocolDefinitionError, UnknownProtocol
from reintegration_fsm.cli import cli
from reintegration_fsm.protocol.definition import (
    WORCESTERSHIRE,
    WORCESTERSHIRE_1,
    WORCESTERSHIRE_2,
)
from reintegration_fsm.stores import SqlAlchemyStore, replay_failures
from test_cli_protocols import open_under
from test_protocols import opened

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def versions(tmp_path: Path) -> tuple[Path, Path]:
    """Exampleshire's protocol at version 1, and a version 2 effective mid-year with a shorter
    deadline for the place offer."""
    first = tmp_path / "exampleshire-1.toml"
    first.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        .replace('version = "2027.1"', 'version = "1"')
        .replace("place_offer_school_days = 10", "place_offer_school_days = 15"),
        encoding="utf-8",
    )
    second = tmp_path / "exampleshire-2.toml"
    second.write_text(
        first.read_text(encoding="utf-8")
        .replace('version = "1"', 'version = "2"')
        .replace("effective_from = 2025-09-01", "effective_from = 2026-02-16")
        .replace("place_offer_school_days = 15", "place_offer_school_days = 8"),
        encoding="utf-8",
    )
    return first, second


def open_case(db: str, tmp_path: Path, case_id: str, under: str, on: dt.date, *extra: str) -> None:
    result = open_under(db, tmp_path, *extra, under=under, case_id=case_id, on=on.isoformat())
    assert result.exit_code == 0, result.output
    # Nothing but the version an ID alone picked among several (review AU, AU5).
    picked = f"note: opened under {under}@" if "@" not in under else None
    in_force = f" in force on {on.isoformat()} ("
    assert all(
        picked is not None and line.startswith(picked) and in_force in line
        for line in result.stderr.splitlines()
    ), result.stderr


def test_import_replays_histories_under_the_protocols_registered_with_it(tmp_path: Path) -> None:
    """`import` replayed every history under the built-in protocols alone: a case opened under
    a registered protocol was refused as "not given ... pass it in protocols=" even with its
    file given by --protocol, so no export of an authority's own cases could be imported."""
    first, second = versions(tmp_path)
    registered = ("--protocol", str(first), "--protocol", str(second))
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    open_case(source, tmp_path, "EX-1", "exampleshire@1", dt.date(2026, 1, 12), *registered)
    open_case(source, tmp_path, "EX-2", "exampleshire@2", dt.date(2026, 2, 23), *registered)
    exported = invoke(*registered, "--db", source, "export", "--all")
    assert exported.exit_code == 0, exported.output
    (tmp_path / "all.json").write_text(exported.stdout, encoding="utf-8")
    target = f"sqlite:///{tmp_path / 'target.sqlite'}"

    exports = str(tmp_path / "all.json")
    only_first = invoke("--protocol", str(first), "--db", target, "import", exports)
    assert only_first.exit_code == 2
    assert "case EX-1" not in only_first.stderr
    assert "case EX-2" in only_first.stderr
    assert "exampleshire 2, which is not registered" in only_first.stderr
    assert "protocols=" not in only_first.stderr  # a Python argument, not the command line's
    assert not (tmp_path / "target.sqlite").exists()

    both = invoke(*registered, "--db", target, "import", exports)
    assert both.exit_code == 0, both.output
    listed = invoke(*registered, "--db", target, "export", "--all")
    cases = json.loads(listed.stdout)["cases"]
    assert [(c["case_id"], c["protocol"]["version"]) for c in cases] == [
        ("EX-1", "1"),
        ("EX-2", "2"),
    ]


def test_a_protocol_whose_id_holds_an_at_sign_can_be_named_with_under(tmp_path: Path) -> None:
    """`protocol check` accepts the id `example@shire`, but `--under example@shire@1` split
    at the first `@` and said "no protocol 'example@shire@1' is known. Known: ...,
    example@shire@1": the name it listed could not be given back."""
    named = tmp_path / "at.toml"
    named.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('id = "exampleshire"', 'id = "example@shire"'),
        encoding="utf-8",
    )
    assert invoke("protocol", "check", str(named)).exit_code == 0
    shown = invoke("--protocol", str(named), "protocol", "show", "--under", "example@shire@2027.1")
    assert shown.exit_code == 0, shown.output
    assert "(example@shire 2027.1)" in shown.stdout.splitlines()[0]
    db = f"sqlite:///{tmp_path / 'at.sqlite'}"
    open_case(
        db, tmp_path, "AT-1", "example@shire@2027.1", dt.date(2026, 1, 12), "--protocol", str(named)
    )
    exported = invoke("--protocol", str(named), "--db", db, "export", "AT-1")
    assert json.loads(exported.stdout)["protocol"] == {"id": "example@shire", "version": "2027.1"}


def test_under_with_an_unknown_version_names_the_known_ones(tmp_path: Path) -> None:
    first, second = versions(tmp_path)
    registered = ("--protocol", str(first), "--protocol", str(second))
    unknown = invoke(*registered, "protocol", "show", "--under", "exampleshire@3")
    assert unknown.exit_code == 2
    assert "no protocol 'exampleshire@3' is known" in unknown.stderr
    assert "exampleshire@1, exampleshire@2" in unknown.stderr


@pytest.mark.parametrize(
    ("on", "version"),
    [("2025-09-01", "1"), ("2026-02-15", "1"), ("2026-02-16", "2"), ("2027-07-01", "2")],
)
def test_under_an_id_alone_shows_the_version_in_force_on_the_day(
    tmp_path: Path, on: str, version: str
) -> None:
    """Two versions of a protocol registered: `--under exampleshire` was refused as naming
    several, where the officer meant the one in force."""
    first, second = versions(tmp_path)
    registered = ("--protocol", str(first), "--protocol", str(second))
    shown = invoke(*registered, "protocol", "show", "--under", "exampleshire", "--on", on)
    assert shown.exit_code == 0, shown.output
    assert f"(exampleshire {version})" in shown.stdout.splitlines()[0]


def test_under_an_id_alone_opens_the_case_under_the_version_in_force_on_its_day(
    tmp_path: Path,
) -> None:
    first, second = versions(tmp_path)
    registered = ("--protocol", str(first), "--protocol", str(second))
    db = f"sqlite:///{tmp_path / 'in_force.sqlite'}"
    open_case(db, tmp_path, "EX-1", "exampleshire", dt.date(2026, 1, 12), *registered)
    open_case(db, tmp_path, "EX-2", "exampleshire", dt.date(2026, 2, 23), *registered)
    for case_id, version in (("EX-1", "1"), ("EX-2", "2")):
        exported = invoke(*registered, "--db", db, "export", case_id)
        assert exported.exit_code == 0, exported.output
        assert json.loads(exported.stdout)["protocol"] == {"id": "exampleshire", "version": version}


def test_under_an_id_alone_is_refused_when_no_version_or_two_are_in_force(tmp_path: Path) -> None:
    first, second = versions(tmp_path)
    registered = ("--protocol", str(first), "--protocol", str(second))
    early = invoke(*registered, "protocol", "show", "--under", "exampleshire", "--on", "2025-08-31")
    assert early.exit_code == 2
    assert "no version of 'exampleshire' is in force on 2025-08-31" in early.stderr
    assert "exampleshire@1 from 2025-09-01, exampleshire@2 from 2026-02-16" in early.stderr
    db = f"sqlite:///{tmp_path / 'early.sqlite'}"
    refused = open_under(db, tmp_path, *registered, under="exampleshire", on="2025-08-31")
    assert refused.exit_code == 2
    assert "no version of 'exampleshire' is in force on 2025-08-31" in refused.stderr
    twin = tmp_path / "exampleshire-2b.toml"
    twin.write_text(
        second.read_text(encoding="utf-8").replace('version = "2"', 'version = "2b"'),
        encoding="utf-8",
    )
    both = invoke(
        *registered, "--protocol", str(twin), "protocol", "show", "--under", "exampleshire"
    )
    assert both.exit_code == 2
    assert "names several versions in force from 2026-02-16: give ID@VERSION" in both.stderr
    named = invoke(
        *registered, "--protocol", str(twin), "protocol", "show", "--under", "exampleshire@2b"
    )
    assert named.exit_code == 0, named.output
    assert "Traceback" not in both.output + early.output + refused.output


@pytest.mark.parametrize(
    ("extra", "field", "at_end", "hint"),
    [
        ('role.hold_review = ["ap_head"]\n', "role", False, "; did you mean roles?"),
        ("[extra.sub]\nx = 1\n", "extra", True, ""),
    ],
    ids=["dotted-key", "dotted-table"],
)
def test_an_unknown_key_written_dotted_or_as_a_table_is_refused_at_its_line(
    extra: str, field: str, at_end: bool, hint: str
) -> None:
    """`role.hold_review = [...]`, a tired author's `roles`, was refused as "role: is not a
    protocol field" with no line, as was an unknown `[extra.sub]` table: the lines were
    recorded for `role.hold_review` and `extra.sub`, never for the field named."""
    text = EXAMPLE.read_text(encoding="utf-8")
    line = len(text.split("\n")) if at_end else 1
    with pytest.raises(ProtocolDefinitionError) as refused:
        Protocol.from_toml(text + extra if at_end else extra + text, "ex.toml")
    assert refused.value.problems == ((field, "is not a protocol field" + hint, line),)
    assert f"ex.toml, line {line}: {field}: is not a protocol field{hint}" in str(refused.value)


def test_verify_without_a_cases_protocol_names_the_protocol_to_register(tmp_path: Path) -> None:
    """An officer who forgot `--protocol` was told each case's history "does not replay:
    UnknownProtocol (not quoted: its details may hold the child's personal data ...)": the
    protocol's id and version, all she needed, are no child's data."""
    first, second = versions(tmp_path)
    db = f"sqlite:///{tmp_path / 'v.sqlite'}"
    open_case(
        db, tmp_path, "EX-1", "exampleshire@1", dt.date(2026, 1, 12), "--protocol", str(first)
    )
    open_case(
        db, tmp_path, "EX-2", "exampleshire@2", dt.date(2026, 2, 23), "--protocol", str(second)
    )
    with SqlAlchemyStore(db, protocols=[Protocol.from_file(first)]) as store:
        (problem,) = store.verify()
    assert problem.case_id == "EX-2"
    assert "protocol exampleshire 2" in problem.what
    assert "not quoted" not in problem.what
    result = invoke("--protocol", str(first), "--db", db, "verify")
    assert result.exit_code == 1
    assert "protocol exampleshire 2" in result.stdout
    assert "--protocol" in result.stdout
    sound = invoke("--protocol", str(first), "--protocol", str(second), "--db", db, "verify")
    assert sound.exit_code == 0, sound.output


@pytest.mark.parametrize(
    ("protocol_id", "version"),
    [("exampleshire\nerror: forged", "1"), ("exampleshire", "2\r9"), ("x" * 201, "1"), (" a", "1")],
)
def test_verify_quotes_no_protocol_name_no_protocol_could_have(
    protocol_id: str, version: str
) -> None:
    """The log is what verify distrusts: an open altered to name a "protocol" over two lines
    (a forged line in verify's report) or longer than any name is not quoted, as any logged
    value is not."""
    what = replay_failures.failure_kind(UnknownProtocol(protocol_id, version))
    assert "not quoted" in what
    assert protocol_id not in what
    assert "\n" not in what
    assert "exampleshire 2" in replay_failures.failure_kind(UnknownProtocol("exampleshire", "2"))


def test_a_title_on_two_lines_is_refused_at_its_line(tmp_path: Path) -> None:
    """A title is what the protocol is called: `protocol check` printed a title written as a
    multi-line string as it was, so a second line of it ("error: ...") read as the command's
    own output, and `protocol show`'s heading broke in two."""
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'title = "Exampleshire Managed Return Protocol"',
        'title = """Exampleshire Managed Return Protocol\nerror: nothing checked"""',
    )
    two_lines = tmp_path / "two-lines.toml"
    two_lines.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if row.startswith("title"))
    result = invoke("protocol", "check", str(two_lines))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"line {line}: title: must be on one line" in result.stderr
    with pytest.raises(ProtocolDefinitionError) as refused:
        Protocol.from_toml(text.replace("\nerror", "\u2028error"))
    assert (refused.value.field, refused.value.line) == ("title", line)


def test_a_title_on_two_lines_is_refused_with_every_later_problem() -> None:
    """As every field's refusal, the title's names the protocol's later problems too."""
    with pytest.raises(ProtocolDefinitionError) as refused:
        attrs.evolve(WORCESTERSHIRE, title="Two\nlines", place_offer_school_days=0)
    assert [problem[0] for problem in refused.value.problems] == [
        "title",
        "place_offer_school_days",
    ]


def test_a_long_unicode_title_and_a_source_of_several_lines_are_kept(tmp_path: Path) -> None:
    """A title as long as any may be (200 characters), written in accents and typographic
    punctuation, and a source over two lines, read and written back as they are."""
    title = "Protocole d\u2019Exampleshire \u2014 r\u00e9int\u00e9gration "
    title += "\u00e9" * (200 - len(title))
    text = (
        EXAMPLE.read_text(encoding="utf-8")
        .replace("Exampleshire Managed Return Protocol", title)
        .replace('source = "Invented', 'source = """Invented\nover two lines')
        .replace('docs/protocols.md)"', 'docs/protocols.md)"""')
    )
    read = Protocol.from_toml(text)
    assert read.title == title
    assert read.source.count("\n") == 1
    assert Protocol.from_toml(read.to_toml()) == read


def test_a_file_with_crlf_line_ends_and_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    windows = tmp_path / "windows.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    windows.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert Protocol.from_file(windows) == Protocol.from_file(EXAMPLE)


def test_a_key_given_twice_is_refused_at_its_second_line(tmp_path: Path) -> None:
    twice = tmp_path / "twice.toml"
    twice.write_text("weighting_points = 2\n" + EXAMPLE.read_text(encoding="utf-8"))
    result = invoke("protocol", "check", str(twice))
    assert result.exit_code == 2
    again = next(
        n
        for n, row in enumerate(twice.read_text().split("\n"), 1)
        if n > 1 and row.startswith("weighting_points")
    )
    # The key and both lines, where it was tomllib's "Cannot overwrite a value" (review T, T5).
    assert f"line {again}: weighting_points: is given twice (lines 1 and {again})" in (
        result.stderr
    )
    assert "Traceback" not in result.output


def test_a_version_reused_with_other_numbers_is_refused_when_both_are_registered(
    tmp_path: Path,
) -> None:
    first, _ = versions(tmp_path)
    changed = tmp_path / "changed.toml"
    changed.write_text(first.read_text().replace("weighting_points = 1", "weighting_points = 4"))
    result = invoke("--protocol", str(first), "--protocol", str(changed), "due")
    assert result.exit_code == 2
    assert "two different protocol files are both exampleshire 1" in result.stderr
    again = invoke(
        "--protocol",
        str(first),
        "--protocol",
        str(first),
        "protocol",
        "show",
        "--under",
        "exampleshire@1",
    )
    assert again.exit_code == 0, again.output


def test_a_case_keeps_its_version_when_the_next_takes_effect(tmp_path: Path) -> None:
    """Version 2 takes effect mid-year: a case opened under version 1 runs on under it, a new
    one takes version 2, and version 2 opens nothing before its effective date."""
    first, second = versions(tmp_path)
    registered = ("--protocol", str(first), "--protocol", str(second))
    db = f"sqlite:///{tmp_path / 'year.sqlite'}"
    open_case(db, tmp_path, "EX-1", "exampleshire@1", dt.date(2026, 1, 12), *registered)
    open_case(db, tmp_path, "EX-2", "exampleshire@2", dt.date(2026, 2, 23), *registered)
    with pytest.raises(AssertionError):
        open_case(db, tmp_path, "EX-3", "exampleshire@2", dt.date(2026, 2, 13), *registered)
    with SqlAlchemyStore(
        db, protocols=[Protocol.from_file(first), Protocol.from_file(second)]
    ) as store:
        assert store.load("EX-1").protocol.place_offer_school_days == 15
        assert store.load("EX-2").protocol.place_offer_school_days == 8
        assert store.verify() == []
        assert store.taken(["EX-3"]) == set()


def _variant(folder: Path, name: str, *changes: tuple[str, str]) -> Path:
    """Exampleshire's protocol file with `changes` made, as `name`."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    made = folder / name
    made.write_text(text, encoding="utf-8")
    return made


def test_under_refuses_a_file_of_a_built_ins_id_and_version_with_other_rules(
    tmp_path: Path,
) -> None:
    """A file reusing `worcestershire` 2 was shown for `--under worcestershire` (found by a
    review), then the built-in was, without a word of the file (found by a later review); a
    case could never run the file, and every store refuses it: so does `--protocol`."""
    copied = _variant(
        tmp_path, "w.toml", ('id = "exampleshire"', 'id = "worcestershire"'), ("2027.1", "2")
    )
    for under in ("worcestershire", "worcestershire@2"):
        shown = invoke("--protocol", str(copied), "protocol", "show", "--under", under)
        assert shown.exit_code == 2, shown.output
        assert "worcestershire 2 is a protocol the library ships" in shown.stderr
        assert shown.stdout == ""


def test_on_without_under_is_refused(tmp_path: Path) -> None:
    alone = invoke("protocol", "show", "--on", "2020-01-01")
    assert alone.exit_code == 2
    assert "--on picks among the versions --under ID names: give --under too" in alone.stderr
    with_file = invoke("protocol", "show", str(EXAMPLE), "--on", "2020-01-01")
    assert with_file.exit_code == 2
    assert "Traceback" not in alone.output + with_file.output


def test_an_id_holding_an_at_sign_is_named_alone_or_with_its_version(tmp_path: Path) -> None:
    """`--under ex@shire` was split at its `@` and said no such protocol was known, listing
    `ex@shire@1` (found by a review)."""
    first = _variant(
        tmp_path, "1.toml", ('id = "exampleshire"', 'id = "ex@shire"'), ("2027.1", "1")
    )
    second = _variant(
        tmp_path,
        "2.toml",
        ('id = "exampleshire"', 'id = "ex@shire"'),
        ("2027.1", "2"),
        ("effective_from = 2025-09-01", "effective_from = 2026-02-16"),
    )
    registered = ("--protocol", str(first), "--protocol", str(second))
    for on, version in (("2026-01-05", "1"), ("2026-03-02", "2")):
        shown = invoke(*registered, "protocol", "show", "--under", "ex@shire", "--on", on)
        assert shown.exit_code == 0, shown.output
        assert f"(ex@shire {version})" in shown.stdout.splitlines()[0]
    trailing = invoke(*registered, "protocol", "show", "--under", "ex@shire@")
    assert trailing.exit_code == 2
    assert "no protocol 'ex@shire@' is known" in trailing.stderr


def test_a_name_two_protocols_answer_to_is_refused_whatever_the_day(tmp_path: Path) -> None:
    """Id `ex@shire` version 1 and id `ex` version `shire@1` are both `ex@shire@1`: the name was
    picked between by date, though `ID@VERSION` is meant to name one (found by a review)."""
    one = _variant(tmp_path, "1.toml", ('id = "exampleshire"', 'id = "ex@shire"'), ("2027.1", "1"))
    other = _variant(
        tmp_path,
        "2.toml",
        ('id = "exampleshire"', 'id = "ex"'),
        ("2027.1", "shire@1"),
        ("effective_from = 2025-09-01", "effective_from = 2026-02-16"),
    )
    registered = ("--protocol", str(one), "--protocol", str(other))
    for on in ("2025-10-01", "2026-03-01"):
        both = invoke(*registered, "protocol", "show", "--under", "ex@shire@1", "--on", on)
        assert both.exit_code == 2
        assert "'ex@shire@1' names ex@shire@1 from 2025-09-01, ex@shire@1 from 2026-02-16" in (
            both.stderr
        )
        assert "rename one of the files" in both.stderr


# -- an earlier edition of the rules: replay only (found by a review) ---------------------------
def _edition_1(tmp_path: Path) -> Path:
    """Exampleshire's file with `edition = 1`: the first contract's rules (no R17, no
    departures, a child's refusal not binding) for every case opened under it."""
    path = tmp_path / "exampleshire-ed1.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'version = "2027.1"', 'version = "2027.1"\nedition = 1'
        ),
        encoding="utf-8",
    )
    assert Protocol.from_file(path).edition == 1
    return path


def test_no_case_opens_under_an_earlier_edition_of_the_rules(tmp_path: Path) -> None:
    """A protocol file could set `edition = 1` and open cases the first contract's rules
    govern, without R17's consent to a deletion or a binding refusal by the child; so could
    `--under worcestershire@1`."""
    edition_1 = Protocol.from_file(_edition_1(tmp_path))
    for protocol in (WORCESTERSHIRE_1, edition_1):
        with pytest.raises(ProtocolDefinitionError, match="runs under edition 1 of the rules"):
            opened(protocol)
    allowed = attrs.evolve(edition_1, edition=3)
    assert opened(allowed).protocol is allowed

    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    for extra, under in (
        ((), "worcestershire@1"),
        (("--protocol", str(_edition_1(tmp_path))), "exampleshire@2027.1"),
    ):
        refused = open_under(db, tmp_path, *extra, under=under)
        assert refused.exit_code == 2, refused.output
        assert "runs under edition 1 of the rules" in refused.stderr
        assert "Traceback" not in refused.output
    listed = invoke("--db", db, "cases")
    assert "P-1" not in listed.stdout


def _edition_2(tmp_path: Path) -> Path:
    """Exampleshire's file, saying `edition = 2`: as an authority's file written before edition
    3 reads."""
    path = tmp_path / "exampleshire-ed2.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'version = "2027.1"', 'version = "2027.1"\nedition = 2'
        ),
        encoding="utf-8",
    )
    return path


def test_no_case_opens_under_edition_2_and_the_refusal_says_how_to_move_on(
    tmp_path: Path,
) -> None:
    """Edition 3 tightened the rules: a file saying `edition = 2`, and worcestershire 2, replay
    their cases but open none, and the refusal says to publish a new version with
    `edition = 3` and what it adds; a file without `edition` runs under edition 3."""
    edition_2 = Protocol.from_file(_edition_2(tmp_path))
    assert edition_2.edition == 2
    for protocol in (WORCESTERSHIRE_2, edition_2):
        with pytest.raises(ProtocolDefinitionError) as refused:
            opened(protocol)
        assert "runs under edition 2 of the rules" in refused.value.problem
        assert "publish a new version of the protocol with edition = 3" in refused.value.problem
        assert "named representative" in refused.value.problem
    assert Protocol.from_file(EXAMPLE).edition == 3
    checked = invoke("protocol", "check", str(_edition_2(tmp_path)))
    assert checked.exit_code == 0, checked.output
    assert "note: it runs under edition 2 of the rules" in checked.stdout
    assert "edition = 3" in checked.stdout


def test_protocol_check_says_a_file_of_an_earlier_edition_opens_no_case(tmp_path: Path) -> None:
    checked = invoke("protocol", "check", str(_edition_1(tmp_path)))
    assert checked.exit_code == 0, checked.output
    assert "runs under edition 1 of the rules" in checked.stdout
    plain = invoke("protocol", "check", str(EXAMPLE))
    assert plain.exit_code == 0, plain.output
    assert "edition" not in plain.stdout


def test_protocol_check_refuses_what_registering_the_file_refuses(tmp_path: Path) -> None:
    """The shipped worcestershire 2 (now 3) with other weightings passed `check` (exit 0: "it
    can run"), and every command given the file refused it (found by a review)."""
    fake = tmp_path / "worcestershire.toml"
    fake.write_text(
        WORCESTERSHIRE.to_toml().replace("weighting_points = 3", "weighting_points = 9")
    )
    assert Protocol.from_file(fake).weighting_points == 9
    checked = invoke("protocol", "check", str(fake))
    assert checked.exit_code == 2
    assert "worcestershire 3 is a protocol the library ships" in checked.stderr
    db = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert invoke("--db", db, "db", "upgrade").exit_code == 0
    registered = invoke("--protocol", str(fake), "--db", db, "cases")
    assert registered.exit_code == 2
    assert "worcestershire 3 is a protocol the library ships" in registered.stderr


def test_a_protocol_file_edited_without_a_new_version_reads_no_case_opened_before(
    tmp_path: Path,
) -> None:
    """An officer changed `weighting_points` in the file in place: the cases opened under it
    ran on under the new rules, with no word until `verify` was given the old file (found by a
    review)."""
    first, _ = versions(tmp_path)
    db = f"sqlite:///{tmp_path / 'e.sqlite'}"
    open_case(
        db, tmp_path, "EX-1", "exampleshire@1", dt.date(2026, 1, 12), "--protocol", str(first)
    )
    as_it_was = first.read_text(encoding="utf-8")
    first.write_text(as_it_was.replace("weighting_points = ", "weighting_points = 7 #"))
    assert Protocol.from_file(first).weighting_points == 7
    for command in (("timeline", "EX-1"), ("export", "EX-1")):
        result = invoke("--protocol", str(first), "--db", db, *command)
        assert result.exit_code == 2, result.output
        said = result.stderr + result.stdout  # (export's errors are JSON, on stdout)
        assert "opened under protocol exampleshire 1 as it then was" in said
        assert "new version" in said
    verified = invoke("--protocol", str(first), "--db", db, "verify")
    assert verified.exit_code == 1
    assert "changed since without a new version" in verified.stdout
    # Nor is a new case opened under the edited file beside EX-1, nor one imported from a
    # database that opened it there (review T, T1).
    edited = ("--protocol", str(first))
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    open_case(elsewhere, tmp_path, "EX-3", "exampleshire@1", dt.date(2026, 1, 12), *edited)
    exported = invoke(*edited, "--db", elsewhere, "export", "EX-3")
    assert exported.exit_code == 0, exported.output
    (tmp_path / "ex-3.json").write_text(exported.stdout, encoding="utf-8")
    opening = open_under(db, tmp_path, *edited, under="exampleshire@1", case_id="EX-2")
    importing = invoke(*edited, "--db", db, "import", str(tmp_path / "ex-3.json"))
    for result, case_id in ((opening, "EX-2"), (importing, "EX-3")):
        assert result.exit_code == 2, result.output
        assert (
            f"case {case_id} cannot be opened under protocol exampleshire 1 as registered: its "
            "authority's cases in the database under that name were opened under other rules "
            "(the file was changed without a new version)"
        ) in result.stderr
    first.write_text(as_it_was)
    assert invoke("--protocol", str(first), "--db", db, "timeline", "EX-1").exit_code == 0
    assert invoke("--protocol", str(first), "--db", db, "timeline", "EX-2").exit_code == 2


def test_an_id_alone_opens_no_case_under_the_version_in_force_when_it_opens_none(
    tmp_path: Path,
) -> None:
    """`--under exampleshire` passed over the version in force on the day when no case may open
    under it (an earlier edition's, or one breaking a bound an earlier version of the library
    did not set) and opened the case, exit 0 and without a word, under the version it had
    superseded: the child's case ran for life under rules the authority had replaced (found by
    a review). The version in force is named, with why it opens no case; the one before it,
    on a day it was in force, still opens one."""
    text = EXAMPLE.read_text(encoding="utf-8")
    later = tmp_path / "exampleshire-2.toml"
    later.write_text(
        text.replace('version = "2027.1"', 'version = "2027.2"')
        .replace("effective_from = 2025-09-01", "effective_from = 2026-09-01")
        .replace("joiners_return_days = 3", "joiners_return_days = 10"),
        encoding="utf-8",
    )
    legacy = tmp_path / "exampleshire-legacy.toml"
    legacy.write_text(
        _edition_1(tmp_path)
        .read_text(encoding="utf-8")
        .replace('version = "2027.1"', 'version = "legacy"')
        .replace("effective_from = 2025-09-01", "effective_from = 2025-10-01"),
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    for file, day, named, why in (
        (later, "2026-10-01", "exampleshire@2027.2", "joiners_return_days: must be at most 5"),
        (legacy, "2026-01-12", "exampleshire@legacy", "runs under edition 1 of the rules"),
    ):
        registered = ("--protocol", str(EXAMPLE), "--protocol", str(file))
        shown = invoke(*registered, "protocol", "show", "--under", "exampleshire", "--on", day)
        assert f"({named.replace('@', ' ')})" in shown.stdout.splitlines()[0]
        refused = open_under(db, tmp_path, *registered, under="exampleshire", on=day)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.startswith(
            f"error: no new case opens under {named} (protocol file {file}), the version of "
            f"'exampleshire' in force on {day}"
        ), refused.stderr
        assert why in refused.stderr
        # Review dates are for a case already open: they are the version in force's.
        suggested = invoke(
            *registered,
            "--calendar",
            "sample",
            "calendar",
            "suggest-reviews",
            day,
            "--under",
            "exampleshire",
        )
        assert suggested.exit_code == 0, suggested.output
        assert suggested.stderr.endswith(f"the review weeks of {named}\n"), suggested.stderr
    assert "P-1" not in invoke("--db", db, "cases").stdout
    registered = ("--protocol", str(EXAMPLE), "--protocol", str(later))
    open_case(db, tmp_path, "EX-1", "exampleshire", dt.date(2026, 1, 12), *registered)
    shown = invoke(*registered, "--db", db, "export", "EX-1")
    assert json.loads(shown.stdout)["history"][0]["data"]["protocol"]["version"] == "2027.1"


def test_a_same_day_version_that_opens_no_case_is_not_passed_over_silently(
    tmp_path: Path,
) -> None:
    """Exampleshire publishes 2027.2 from the same day as 2027.1 (a correction) but the new
    file breaks an opening bound (joiners_return_days = 10). `apply ... open --under
    exampleshire` opened the child's case, exit 0 and without a word, under 2027.1: the
    same-day tie-break meant for editions also skipped a current-edition version with an
    opening problem (review f1). Both are of the current edition, so both are in force."""
    later = tmp_path / "exampleshire-2027-2.toml"
    later.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        .replace('version = "2027.1"', 'version = "2027.2"')
        .replace("joiners_return_days = 3", "joiners_return_days = 10"),
        encoding="utf-8",
    )
    assert Protocol.from_file(later).edition == Protocol.from_file(EXAMPLE).edition
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    registered = ("--protocol", str(EXAMPLE), "--protocol", str(later))
    opened = open_under(db, tmp_path, *registered, under="exampleshire", on="2026-01-12")
    assert opened.exit_code == 2, opened.output  # 0 before: opened under 2027.1
    several = (
        "error: 'exampleshire' names several versions in force from 2025-09-01: give "
        "ID@VERSION (exampleshire@2027.1 from 2025-09-01, exampleshire@2027.2 from 2025-09-01)"
    )
    assert opened.stderr.startswith(several), opened.stderr
    assert "P-1" not in invoke("--db", db, "cases").stdout
    shown = invoke(*registered, "protocol", "show", "--under", "exampleshire")
    assert shown.exit_code == 2, shown.output
    assert shown.stderr.startswith(several), shown.stderr
    named = open_under(db, tmp_path, *registered, under="exampleshire@2027.1", on="2026-01-12")
    assert named.exit_code == 0, named.output


def test_of_two_versions_from_the_same_day_the_current_editions_is_in_force_even_opening_none(
    tmp_path: Path,
) -> None:
    """The edition breaks a same-day tie, and only it: the current edition's version is the
    one in force, and when it opens no case `open` refuses it by name, never opening the case
    under the earlier edition's twin; the review weeks are its own."""
    earlier = _variant(tmp_path, "ed2", ('version = "2027.1"', 'version = "2027.1"\nedition = 2'))
    later = _variant(
        tmp_path,
        "late",
        ('version = "2027.1"', 'version = "2027.2"'),
        ("joiners_return_days = 3", "joiners_return_days = 10"),
        ("review_weeks = [3, 5, 8]", "review_weeks = [2, 5, 8]"),
    )
    registered = ("--protocol", str(earlier), "--protocol", str(later))
    shown = invoke(*registered, "protocol", "show", "--under", "exampleshire")
    assert shown.exit_code == 0, shown.output
    assert "(exampleshire 2027.2)" in shown.stdout.splitlines()[0]
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    refused = open_under(db, tmp_path, *registered, under="exampleshire", on="2026-01-12")
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith(
        f"error: no new case opens under exampleshire@2027.2 (protocol file {later}), the "
        "version of 'exampleshire' in force on 2026-01-12"
    ), refused.stderr
    assert "joiners_return_days: must be at most 5" in refused.stderr
    assert "P-1" not in invoke("--db", db, "cases").stdout
    suggested = invoke(
        *registered,
        "calendar",
        "suggest-reviews",
        "2026-02-23",
        "--calendar",
        "sample",
        "--under",
        "exampleshire",
    )
    assert suggested.exit_code == 0, suggested.output
    assert "reviews at 2, 5 and 8 weeks" in suggested.stderr
    # Without the current edition's version, the earlier edition's is the one in force.
    alone = open_under(db, tmp_path, "--protocol", str(earlier), under="exampleshire")
    assert alone.exit_code == 2, alone.output
    assert "runs under edition 2 of the rules" in alone.stderr


def test_suggest_reviews_gives_the_weeks_of_the_one_version_cases_run_under(
    tmp_path: Path,
) -> None:
    """An authority whose one registered version is of edition 2 (its cases still run under
    it) plans a placement: `calendar suggest-reviews START --under exampleshire` exited 2,
    "no new case opens under exampleshire@2027.1", though no case is being opened: review
    dates are for cases already open (review f6)."""
    ed2 = _variant(tmp_path, "ed2", ('version = "2027.1"', 'version = "2027.1"\nedition = 2'))
    suggested = invoke(
        "--protocol",
        str(ed2),
        "calendar",
        "suggest-reviews",
        "2026-02-23",
        "--calendar",
        "sample",
        "--under",
        "exampleshire",
    )
    assert suggested.exit_code == 0, suggested.output
    assert "reviews at 3, 5 and 8 weeks" in suggested.stderr
    assert suggested.stdout.count("\n") == 3


def test_an_import_says_which_history_names_its_protocol_without_a_fingerprint(
    tmp_path: Path,
) -> None:
    """A history from before fingerprints, or one whose fingerprint was removed, is checked
    against the registered file's rules alone, which nothing tells from the ones it opened
    under: the import says so (a review removed one, and a changed file's rules let it in)."""
    first, _ = versions(tmp_path)
    registered = ("--protocol", str(first))
    source = f"sqlite:///{tmp_path / 's.sqlite'}"
    open_case(source, tmp_path, "EX-1", "exampleshire@1", dt.date(2026, 1, 12), *registered)
    export = json.loads(invoke(*registered, "--db", source, "export", "EX-1").stdout)
    assert "fingerprint" in export["history"][0]["data"]["protocol"]
    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(export), encoding="utf-8")
    del export["history"][0]["data"]["protocol"]["fingerprint"]
    stripped = tmp_path / "stripped.json"
    stripped.write_text(json.dumps(export), encoding="utf-8")
    for name, file, noted in (("a", whole, False), ("b", stripped, True)):
        target = f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        result = invoke(*registered, "--db", target, "import", str(file))
        assert result.exit_code == 0, result.output
        assert ("names protocol exampleshire 1 without its fingerprint" in result.stderr) is noted


def test_protocol_show_picks_the_version_in_force_whatever_its_edition() -> None:
    """Only opening a case passes over earlier editions: `protocol show --under worcestershire
    --on 2020-01-01` said no version was in force (found by a review)."""
    shown = invoke("protocol", "show", "--under", "worcestershire", "--on", "2020-01-01")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("# Reintegration Protocol for Worcestershire Schools")
    assert "(worcestershire 1)" in shown.stdout.split("\n")[0]


# The `open` the library wrote before either bound below (418d8fc^, 55622ed^) for a case opened
# under exampleshire 2027.1: a history written before fingerprints, which carries none.
OPENED_BY_AN_EARLIER_VERSION = {
    "seq": 1,
    "trigger": "open",
    "source": None,
    "dest": "proposed",
    "actor": {
        "id": "ap-1",
        "name": "Morgan Reed",
        "role": "ap_head",
        "organisation": "Brookfield Learning Centre",
    },
    "on": "2026-01-12",
    "data": {
        "schema": 2,
        "case_id": "EX-2",
        "pupil": {
            "name": "Alex Example",
            "date_of_birth": "2012-05-14",
            "key_stage": 3,
            "on_mainstream_roll": False,
            "looked_after": False,
            "upn": None,
            "address": "",
            "send_level": "",
            "ethnicity": "",
        },
        "ap_setting": "Brookfield Learning Centre",
        "local_authority": "Example County Council",
        "protocol": {"id": "exampleshire", "version": "2027.1"},
    },
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            (
                'call_emergency_review = ["host_head"]',
                'call_emergency_review = ["host_head"]\n'
                'discharge = ["ap_head", "ap_staff", "host_head", "host_staff"]',
            ),
            "roles.discharge",
        ),
        (
            ("final_review_within_days = 60", "final_review_within_days = 9999"),
            "final_review_within_days",
        ),
        (
            ("final_review_within_days = 60", "final_review_within_days = 99999999"),
            "final_review_within_days",
        ),
        (
            ("place_offer_school_days = 10", "place_offer_school_days = 3652059"),
            "place_offer_school_days",
        ),
        (
            ("weighting_points = 1", "weighting_points = 2147483648"),
            "weighting_points",
        ),
    ],
    ids=[
        "discharge-without-the-la",
        "final-review-in-9999-days",
        "final-review-past-any-date",
        "place-offer-past-any-date",
        "weighting-past-an-integer",
    ],
)
def test_a_file_an_earlier_version_took_loads_its_cases_and_opens_no_new_one(
    tmp_path: Path, change: tuple[str, str], field: str
) -> None:
    """A `discharge` leaving out the LA's roles (before 418d8fc) and a final review within 9999
    days, an author's "no limit" (before 55622ed), were taken and opened cases; then the file
    was refused outright, and those cases could never be loaded, finished or erased again (found
    by a review). The file loads, its cases replay and go on, and no new case opens under it."""
    import scenario as sc
    from reintegration_fsm import Reintegration, SchoolCalendar
    from reintegration_fsm.serialisation import transition_from_json

    text = EXAMPLE.read_text(encoding="utf-8").replace(*change)
    assert text != EXAMPLE.read_text(encoding="utf-8")
    protocol = Protocol.from_toml(text, "exampleshire.toml")
    assert [name for name, _ in protocol.opening_problems] == [field]
    case = Reintegration.replay(
        [transition_from_json(OPENED_BY_AN_EARLIER_VERSION)],
        SchoolCalendar.sample(),
        protocols=[protocol],
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    assert (case.protocol, case.stage.value) == (protocol, "consented")
    file = tmp_path / "exampleshire.toml"
    file.write_text(text, encoding="utf-8")
    checked = invoke("protocol", "check", str(file))
    assert checked.exit_code == 2
    assert field in checked.stderr
    assert "Cases opened under it before still load" in checked.stderr
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    opened = open_under(db, tmp_path, "--protocol", str(file), under="exampleshire@2027.1")
    assert opened.exit_code == 2, opened.output
    assert field in opened.stderr
    assert opened.stderr.startswith(
        f"error: no new case opens under exampleshire@2027.1 (protocol file {file}), the "
        "version named\n"
    ), opened.stderr


def test_a_no_limit_final_review_an_earlier_version_took_still_loads_for_its_cases(
    tmp_path: Path,
) -> None:
    """Until 55622ed any positive count loaded, and R7 only compares `(final - start).days`
    with the limit, so a case under `final_review_within_days = 99999999` (an author's "no
    limit", as 9999 is) ran from open to outcome. The file was still refused outright past the
    days between any two dates ("must be at most 3660 ...", which it was not), so every case
    opened under it could not be loaded, finished, exported or erased (review f4)."""
    import stages as S
    from reintegration_fsm import Reintegration, Stage

    path = tmp_path / "noshire.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        .replace('id = "exampleshire"', 'id = "noshire"')
        .replace("final_review_within_days = 60", "final_review_within_days = 99999999"),
        encoding="utf-8",
    )
    protocol = Protocol.from_file(path)
    assert not protocol.opens_cases
    case = S.recorded_under(S.opened(), protocol)
    case.withdraw("The family moved away.", by=S.AP_HEAD, on=S.CONSENTED)
    assert Reintegration.replay(case.history, S.CALENDAR, [protocol]).stage is Stage.WITHDRAWN


def test_protocol_check_says_no_case_opens_under_a_title_that_prints_nothing(
    tmp_path: Path,
) -> None:
    """`protocol check` printed `ok: exampleshire 2027.1 ()` for a title of a zero-width space
    (found by a review); it names the title, at its line, and what it holds."""
    file = tmp_path / "exampleshire.toml"
    file.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'title = "Exampleshire Managed Return Protocol"', 'title = "\\u200b"'
        ),
        encoding="utf-8",
    )
    checked = invoke("protocol", "check", str(file))
    assert checked.exit_code == 2, checked.output
    assert "line 5: title: must be non-empty text: it prints nothing" in checked.stderr
    assert "(U+200B, zero width space)" in checked.stderr
    assert "Cases opened under it before still load" in checked.stderr
