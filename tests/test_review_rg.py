"""Review RG: a hostile review of the fixes merged this session (reviews LW, MA, CT, LG and
their follow-ups), before they land."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import WORCESTERSHIRE, Protocol, Reintegration
from reintegration_fsm.cli import cli
from reintegration_fsm.errors import UnpublishedProtocol
from reintegration_fsm.protocol import definition, registry
from reintegration_fsm.serialisation import unstructure
from reintegration_fsm.stores import SqlAlchemyStore
from store_contract import CALENDAR, SUCCEEDED, succeeded

ENV: dict[str, str | None] = {
    "RFSM_AUTHORITY": None,
    "RFSM_CALENDAR": None,
    "RFSM_PROTOCOLS": None,
    "RFSM_UNDER": None,
}
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"
EXAMPLESHIRE = "Exampleshire County Council"
LONG_AFTER = dt.date(2099, 1, 1)
"""A day past every demo case's retention."""


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=ENV)


def edit_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the library as it is when its `worcestershire.toml` was changed in place: what
    `check_shipped` then finds when the library is imported."""
    edited = definition.unpublished_error([attrs.evolve(WORCESTERSHIRE, review_weeks=(2, 4, 5))])
    assert edited is not None
    monkeypatch.setattr(registry, "_UNPUBLISHED", edited)


@pytest.fixture
def seed_edited(monkeypatch: pytest.MonkeyPatch) -> None:
    edit_seed(monkeypatch)


def test_RG3_no_case_opens_under_the_librarys_protocol_once_its_seed_file_was_edited(
    seed_edited: None,
) -> None:
    """MA2 refused the edited seed where a case is replayed, not where one is opened: `open`,
    `apply ... open` and `demo` wrote cases under the edited rules, naming `worcestershire 3`
    with no fingerprint, which a reinstalled library then replayed under the published rules
    without a word."""
    with pytest.raises(UnpublishedProtocol) as caught:
        Reintegration.open(
            "C-1", sc.PUPIL, sc.AP_SETTING, sc.AUTHORITY, CALENDAR, by=sc.AP_HEAD, on=sc.OPENED
        )
    assert "worcestershire.toml was changed in place" in str(caught.value)


def test_RG3_the_demo_writes_nothing_under_an_edited_seed(
    seed_edited: None, tmp_path: Path
) -> None:
    """`demo` opened its four cases under the edited rules and exited 0."""
    url = f"sqlite:///{tmp_path}/demo.sqlite"
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        store.create_schema()
    result = invoke(url, "demo")
    assert result.exit_code == 2, result.output
    assert "worcestershire.toml was changed in place" in result.output
    with SqlAlchemyStore(url, calendar=CALENDAR) as store:
        assert store.cases() == []


def test_RG1_a_retention_run_under_an_edited_seed_stops_instead_of_keeping_every_case(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`retention` read the edited seed's refusal (a `ValueError`) as a case's `open` row
    changed behind the store: it exited 0, "no case past retention", and said each case's
    date of birth was removed, so no personal data past retention was ever removed. It now
    stops, naming the file, as every other command does."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(succeeded("A-1", SUCCEEDED))
        assert [due.case_id for due in store.past_retention(LONG_AFTER)] == ["A-1"]
    edit_seed(monkeypatch)
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        with pytest.raises(UnpublishedProtocol):
            store.past_retention(LONG_AFTER)
        with pytest.raises(UnpublishedProtocol):
            store.undated_retention()
    result = invoke(database_url, "retention", "--on", LONG_AFTER.isoformat())
    assert result.exit_code == 2, result.output
    assert "worcestershire.toml was changed in place" in result.output
    assert "cannot be dated" not in result.output
    _own_protocol_runs(database_url)


def test_RG2_verify_says_the_librarys_protocol_is_refused_not_an_unquotable_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`verify` reported each case as "history does not replay: ProtocolDefinitionError (not
    quoted: its details may hold the child's personal data...)": a log that looks tampered
    with, where the library's own file was changed. The refusal quotes no row: it is said."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(succeeded("A-1", SUCCEEDED))
    edit_seed(monkeypatch)
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        [problem] = store.verify()
    assert "the library's own protocol is refused" in problem.what
    assert "worcestershire.toml was changed in place" in problem.what


def _open(url: str, tmp_path: Path, case_id: str, authority: str, school: str) -> Result:
    data = tmp_path / f"{case_id}.json"
    data.write_text(
        json.dumps(
            {"pupil": unstructure(sc.PUPIL), "ap_setting": school, "local_authority": authority}
        ),
        encoding="utf-8",
    )
    return invoke(
        url,
        *("apply", case_id, "open", "--data", str(data), "--on", "2026-01-12"),
        *("--actor-id", "ap-1", "--actor-name", "Morgan Reed", "--role", "ap_head"),
        *("--organisation", school),
    )


ACCENTED = "Comté de Côte Council"
SETTING = "Lycée Pré Vert"


def test_RG4_a_name_typed_with_an_accent_apart_is_said_so_not_letters_case_or_spacing(
    database_url: str, tmp_path: Path
) -> None:
    """MA4's "did you mean" (and the school's before it) said a name typed with its accents
    apart (as macOS and some MIS exports write it) "differs ... only in letters' case or
    spacing", quoting two names that print alike: the officer could see no difference to
    correct. It now says how it is typed; case and spacing are said as before."""
    assert _open(database_url, tmp_path, "C-1", ACCENTED, SETTING).exit_code == 0
    apart = unicodedata.normalize("NFD", ACCENTED)
    typed = _open(database_url, tmp_path, "C-2", apart, SETTING)
    assert typed.exit_code == 2, typed.output
    assert "only in how it is typed (letters' case, spacing, an accent typed apart" in typed.output
    assert f"did you mean {ACCENTED!r}" in typed.output
    school = _open(database_url, tmp_path, "C-3", ACCENTED, unicodedata.normalize("NFD", SETTING))
    assert school.exit_code == 2, school.output
    assert "only in how it is typed" in school.output
    shouted = _open(database_url, tmp_path, "C-4", ACCENTED.upper(), SETTING)
    assert shouted.exit_code == 2, shouted.output
    assert "only in letters' case or spacing: did you mean" in shouted.output


def test_RG9_an_open_naming_its_authority_as_stored_reads_no_other_name(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MA4's check listed every authority's name (a scan of the authority index on SQLite and
    PostgreSQL) on each `open`; an authority its cases already name exactly is now found by
    one lookup of that name, and the whole list is read only for a name no case holds as
    given (a new authority, or one misspelt)."""
    listed: list[str | None] = []
    authorities = SqlAlchemyStore.authorities

    def counted(store: SqlAlchemyStore) -> list[str]:
        listed.append(store.authority)
        return authorities(store)

    monkeypatch.setattr(SqlAlchemyStore, "authorities", counted)
    assert _open(database_url, tmp_path, "C-1", ACCENTED, SETTING).exit_code == 0
    assert listed == [ACCENTED, None]  # a new authority: looked up, then every name read
    listed.clear()
    assert _open(database_url, tmp_path, "C-2", ACCENTED, SETTING).exit_code == 0
    assert listed == [ACCENTED]  # as stored: one lookup
    listed.clear()
    shouted = _open(database_url, tmp_path, "C-3", ACCENTED.upper(), SETTING)
    assert shouted.exit_code == 2, shouted.output
    assert listed == [ACCENTED.upper(), None]


def test_RG8_a_report_under_an_edited_seed_blames_the_library_not_the_first_case(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report` said "case A-1 does not load, so the report cannot count it: ...  Run
    `reintegration-fsm verify` to see what is wrong with it", where no case is at fault and
    verify finds every case alike: the refusal is said as every other command says it."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(succeeded("A-1", SUCCEEDED))
    edit_seed(monkeypatch)
    result = invoke(database_url, "report", "--year", "2025/26", "--format", "json")
    assert result.exit_code == 2, result.output
    assert "worcestershire.toml was changed in place" in result.output
    assert "does not load" not in result.output
    assert "verify" not in result.output


def _own_protocol_runs(url: str) -> None:
    """The refusal is the library's protocols' alone: an authority's own opens, saves, loads,
    verifies and dates its retention as before (a view of its cases: the store holds others'
    under the library's)."""
    exampleshire = Protocol.from_file(EXAMPLE)
    with SqlAlchemyStore(
        url, authority=EXAMPLESHIRE, calendar=CALENDAR, protocols=[exampleshire]
    ) as store:
        case = Reintegration.open(
            "EX-1",
            sc.PUPIL,
            sc.AP_SETTING,
            EXAMPLESHIRE,
            CALENDAR,
            by=sc.AP_HEAD,
            on=sc.OPENED,
            protocol=exampleshire,
        )
        store.save(case)
        assert store.load("EX-1").protocol == exampleshire
        assert store.verify() == []
        assert store.past_retention(LONG_AFTER) == []  # not ended: never past retention
        assert store.undated_retention() == []
