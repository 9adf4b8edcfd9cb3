"""Review XF: the evidence features used together, in the order an authority meets them.

Each feature was reviewed alone; these chain them: a redaction, checkpoints before and after
it, `db copy` into another engine, a second redaction on the copy, the old checkpoints checked
there; a store upgraded from schema revision 0010 (digest scheme 2), then copied; several
protocols and authorities in one store, copied and opened with fewer protocol files; a service
that goes on writing to the source while `db copy` runs (XF1).

The chains on PostgreSQL and MariaDB run when RFSM_TEST_POSTGRES_URL and RFSM_TEST_MARIADB_URL
are set (skipped when unset; a URL set but unreachable fails), as in test_review_mv.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner, Result

import scenario as sc
from keys import key_files
from legacy_rows import as_scheme_2
from reintegration_fsm import Protocol, Reintegration, demo
from reintegration_fsm.cli import cli
from reintegration_fsm.demo import ADMISSIONS
from reintegration_fsm.stores import SqlAlchemyStore, copy_store, copying, schema
from reintegration_fsm.stores.migrate import config
from store_contract import CALENDAR

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "exampleshire.toml"
OTHER = "Other Borough Council"
LA = ["--actor-id", "la-9", "--actor-name", "Jo Whitfield", "--role", "la_admissions"]
LA += ["--organisation", demo.AUTHORITY]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[str, str]:
    """An Ed25519 key pair in PEM files (the private one readable by its owner only)."""
    private, public = key_files(tmp_path)
    return str(private), str(public)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _protocols(tmp_path: Path) -> tuple[Protocol, Protocol]:
    """The docs' example protocol and a revision of it (its own version, other rules)."""
    revised = tmp_path / "exampleshire-2027.2.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    revised.write_text(
        text.replace('version = "2027.1"', 'version = "2027.2"').replace(
            "place_offer_school_days = 10", "place_offer_school_days = 12"
        ),
        encoding="utf-8",
    )
    return Protocol.from_file(EXAMPLE), Protocol.from_file(revised)


def _files(protocols: tuple[Protocol, ...], tmp_path: Path) -> list[str]:
    """`--protocol FILE` for each of `protocols` (as `_protocols` wrote them)."""
    names = {"2027.1": str(EXAMPLE), "2027.2": str(tmp_path / "exampleshire-2027.2.toml")}
    return [arg for p in protocols for arg in ("--protocol", names[p.version])]


def _filled(url: str, protocols: tuple[Protocol, Protocol]) -> None:
    """The demo's four cases, and three cases under the two protocols, for two authorities."""
    with SqlAlchemyStore(url, calendar=CALENDAR, protocols=protocols) as store:
        store.create_schema()
        demo.run(store, CALENDAR)
        for case_id, protocol, authority in (
            ("X-1", protocols[0], OTHER),
            ("X-2", protocols[1], OTHER),
            ("X-3", protocols[1], demo.AUTHORITY),
        ):
            opened = Reintegration.open(
                case_id,
                sc.PUPIL,
                sc.AP_SETTING,
                authority,
                by=sc.AP_HEAD,
                on=dt.date(2026, 1, 12),
                calendar=CALENDAR,
                protocol=protocol,
            )
            store.save(opened)


@pytest.mark.parametrize("target_kind", ["sqlite", "postgres", "mariadb"])
def test_a_redacted_store_copied_keeps_every_checkpoint_and_the_response(
    database: Callable[[str, str], str],
    keys: tuple[str, str],
    tmp_path: Path,
    target_kind: str,
) -> None:
    """Redact; checkpoints before and after (signed, the second extending the first); copy;
    both verify on the copy, whose subject access response is the source's; a second
    redaction on the copy keeps both verifying, and tonight's checkpoint extends the last."""
    private, public = keys
    protocols = _protocols(tmp_path)
    files = _files(protocols, tmp_path)
    source, target = database("sqlite", "source"), database(target_kind, "target")
    _filled(source, protocols)
    before, after = str(tmp_path / "before.json"), str(tmp_path / "after.json")
    assert (
        invoke(*files, "--db", source, "checkpoint", "--sign", private, "-o", before).exit_code == 0
    )
    redacted = invoke(
        *files, "--db", source, "redact", "DEMO-0001", "2", "form.parent_name",
        "--reason", "Erasure request", *LA,
    )  # fmt: skip
    assert redacted.exit_code == 0, redacted.output
    taken = invoke(
        *files, "--db", source, "checkpoint", "--extends", before, "--public-key", public,
        "--sign", private, "-o", after,
    )  # fmt: skip
    assert taken.exit_code == 0, taken.output

    copied = invoke(
        *files, "--db", source, "db", "copy", target, "--checkpoint", before,
        "--public-key", public,
    )  # fmt: skip
    assert copied.exit_code == 0, copied.output
    assert "7 cases, 51 log entries and 5 redaction records" in copied.stdout
    for kept in (before, after):
        checked = invoke(
            *files, "--db", target, "verify", "--checkpoint", kept, "--public-key", public
        )
        assert checked.exit_code == 0, checked.output
    responses = [
        json.loads(invoke(*files, "--db", db, "export", "--all").stdout)["cases"]
        for db in (source, target)
    ]
    assert responses[0] == responses[1]

    again = invoke(
        *files, "--db", target, "redact", "DEMO-0001", "2", "form.relationship",
        "--reason", "Second request", *LA,
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    for kept in (before, after):
        checked = invoke(*files, "--db", target, "verify", "--checkpoint", kept, "--workers", "2")
        assert checked.exit_code == 0, checked.output
    tonight = invoke(
        *files, "--db", target, "checkpoint", "--extends", after, "--public-key", public
    )
    assert tonight.exit_code == 0, tonight.output
    [first] = [c for c in json.loads(tonight.stdout)["cases"] if c["case_id"] == "DEMO-0001"]
    assert first["redactions"][0][:2] == [2, 2]  # the copy's record counted on the entry


def _downgraded(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            cfg = config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("source_kind", "target_kind"), [("sqlite", "postgres")])
def test_a_checkpoint_taken_at_revision_0010_verifies_on_the_upgraded_stores_copy(
    database: Callable[[str, str], str],
    keys: tuple[str, str],
    tmp_path: Path,
    source_kind: str,
    target_kind: str,
) -> None:
    """A store of digest scheme 2 at revision 0010, checkpointed; refused by `db copy` until
    upgraded (exit 3, the source unchanged); upgraded, one of its scheme-2 entries redacted,
    copied: the checkpoint taken before the upgrade verifies on the copy, as migration 0011's
    docs say (no row rewritten, no hash changed)."""
    private, public = keys
    protocols = _protocols(tmp_path)
    files = _files(protocols, tmp_path)
    source, target = database(source_kind, "source"), database(target_kind, "target")
    _filled(source, protocols)
    with SqlAlchemyStore(source, calendar=CALENDAR, protocols=protocols) as store:
        as_scheme_2(store)
        kept = tmp_path / "revision-10.json"
        kept.write_text(store.checkpoint().sign(Path(private).read_bytes()).to_json())
    _downgraded(source, "0010")

    refused = invoke(*files, "--db", source, "db", "copy", target)
    assert refused.exit_code == 3
    assert "revision 0010" in refused.stderr
    assert invoke("--db", source, "db", "upgrade").exit_code == 0
    redacted = invoke(
        *files, "--db", source, "redact", "DEMO-0002", "2", "form.parent_name",
        "--reason", "Erasure request", *LA,
    )  # fmt: skip
    assert redacted.exit_code == 0, redacted.output
    assert "written before schema revision 0011" in redacted.stderr

    copied = invoke(
        *files, "--db", source, "db", "copy", target, "--checkpoint", str(kept),
        "--public-key", public,
    )  # fmt: skip
    assert copied.exit_code == 0, copied.output
    checked = invoke(
        *files, "--db", target, "verify", "--checkpoint", str(kept), "--public-key", public
    )
    assert checked.exit_code == 0, checked.output


def test_a_copy_opened_without_a_protocols_file_names_each_of_its_cases_and_stays_whole(
    database: Callable[[str, str], str], tmp_path: Path
) -> None:
    """Cases under two versions of an authority's protocol, for two authorities: copied with
    one file of the two, the copy's check names each case of the other (exit 1) and the copy is
    whole; opened with that one file, `cases` lists every case, `verify` names the others, and
    `due --as-of`, `retention` and `export --all` stop naming the first of them; with both
    files the copy verifies, and an edited file still opens no new case there (rfsm_protocols
    came with it)."""
    protocols = _protocols(tmp_path)
    source, target = database("sqlite", "source"), database("sqlite", "target")
    _filled(source, protocols)
    one = _files(protocols[:1], tmp_path)

    copied = invoke(*one, "--db", source, "db", "copy", target)
    assert copied.exit_code == 1
    assert "copied 7 cases" in copied.stdout
    assert [line.split()[0] for line in copied.stdout.splitlines()[3:]] == ["X-2", "X-3"]

    listed = invoke(*one, "--db", target, "cases", "--format", "json")
    assert len(json.loads(listed.stdout)) == 7
    checked = invoke(*one, "--db", target, "verify", "--format", "json")
    assert checked.exit_code == 1
    assert [p["case_id"] for p in json.loads(checked.stdout)] == ["X-2", "X-3"]
    for command_line in (
        ["due", "--as-of", "2026-02-20"],
        ["retention", "--on", "2060-01-01"],
        ["export", "--all", "--format", "json"],
    ):
        stopped = invoke(*one, "--db", target, *command_line)
        assert stopped.exit_code == 2, command_line
        assert "case X-2 runs under protocol exampleshire 2027.2" in stopped.output
    whole = invoke(*_files(protocols, tmp_path), "--db", target, "verify")
    assert whole.exit_code == 0, whole.output

    edited = tmp_path / "edited.toml"
    edited.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "place_offer_school_days = 10", "place_offer_school_days = 11"
        ),
        encoding="utf-8",
    )
    data = tmp_path / "open.json"
    data.write_text(
        json.dumps(
            {"pupil": {"name": "Sky Example", "date_of_birth": "2012-04-02", "key_stage": 3},
             "ap_setting": sc.AP_SETTING, "local_authority": OTHER}
        )
    )  # fmt: skip
    opened = invoke(
        "--protocol", str(edited), "--db", target, "apply", "X-9", "open", "--data", str(data),
        "--actor-id", "ap-1", "--actor-name", "Morgan Reed", "--role", "ap_head",
        "--organisation", sc.AP_SETTING, "--on", "2026-01-12", "--under", "exampleshire@2027.1",
    )  # fmt: skip
    assert opened.exit_code == 2
    assert "were opened under other rules" in opened.stderr


def _redacting_meanwhile(monkeypatch: pytest.MonkeyPatch, source: str) -> Callable[[], list[str]]:
    """Have a redaction of DEMO-0001 committed on `source`, by another connection (the service),
    once the copy has read its first batch; the number of redaction records it made."""
    made: list[str] = []
    write_rows = copying.write_rows

    def meanwhile(conn: sa.Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        if not made:
            # (On SQLite the redaction then waits its busy timeout to flush the WAL, which the
            # copy's snapshot holds: a short one keeps the test quick.)
            with SqlAlchemyStore(source, calendar=CALENDAR, busy_timeout=0.5) as service:
                case_id, seq, paths = "DEMO-0001", 2, ["form.parent_name"]
                service.redact(case_id, seq, paths, "Erasure", by=ADMISSIONS, on=dt.date.today())
                made.extend(str(note.seq) for note in service.redactions(case_id))
        write_rows(conn, table, rows)

    monkeypatch.setattr(copying, "write_rows", meanwhile)
    return lambda: made


@pytest.mark.parametrize("source_kind", ["sqlite", "postgres", "mariadb"])
def test_XF1_a_copy_names_the_cases_the_source_changed_while_it_was_copied(
    database: Callable[[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
    source_kind: str,
) -> None:
    """An erasure recorded on the source while `db copy` reads it is not in the copy, which
    verifies all the same ("sound", exit 0): moved to the copy, the service would hold the
    erased name again, unawares. The report names the case (XF1)."""
    source, target = database(source_kind, "source"), database("sqlite", "target")
    with SqlAlchemyStore(source, calendar=CALENDAR) as store:
        store.create_schema()
        demo.run(store, CALENDAR)
    made = _redacting_meanwhile(monkeypatch, source)

    report = copy_store(source, target, calendar=CALENDAR, batch=1)

    assert made()
    assert report.problems == ()
    assert report.redactions == 0
    assert report.changed == ("DEMO-0001",)
    with SqlAlchemyStore(target, calendar=CALENDAR) as copy:
        assert copy.redactions("DEMO-0001") == []


def test_XF1_db_copy_names_the_cases_changed_on_the_source_exit_1_and_nothing_otherwise(
    database: Callable[[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = database("sqlite", "source")
    with SqlAlchemyStore(source, calendar=CALENDAR) as store:
        store.create_schema()
        demo.run(store, CALENDAR)
    quiet = invoke("--db", source, "db", "copy", database("sqlite", "quiet"))
    assert quiet.exit_code == 0, quiet.output
    assert "warning" not in quiet.stderr
    _redacting_meanwhile(monkeypatch, source)

    copied = invoke("--db", source, "db", "copy", database("sqlite", "target"), "--format", "json")

    assert copied.exit_code == 1, copied.output  # a script must not move to it on exit 0
    assert json.loads(copied.stdout)["changed_on_source"] == ["DEMO-0001"]
    assert json.loads(copied.stdout)["problems"] == []  # the copy itself checks sound
    assert "error: 1 case(s) changed on the source while it was copied" in copied.stderr
    assert "DEMO-0001" in copied.stderr
    assert "copy again into an empty database" in copied.stderr


def test_two_authorities_protocols_of_one_name_are_checked_per_authority_after_a_copy(
    database: Callable[[str, str], str], tmp_path: Path
) -> None:
    """Two authorities' cases under one protocol name with other rules (opened before revision
    0015 refused it): upgraded, each authority verifies with its own file, as stores.md says;
    `db copy` (which takes no --authority) names the other authority's case whatever file is
    given, the copy whole; each authority's `verify` of the copy, with its file, is sound."""
    alpha = Protocol.from_file(EXAMPLE)
    edited = tmp_path / "beta.toml"
    edited.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            "place_offer_school_days = 10", "place_offer_school_days = 11"
        ),
        encoding="utf-8",
    )
    beta = Protocol.from_file(edited)
    source, target = database("sqlite", "source"), database("sqlite", "target")
    for case_id, authority, protocol in (
        ("A-1", "Alpha Council", alpha),
        ("B-1", "Beta Council", beta),
    ):
        with SqlAlchemyStore(source, calendar=CALENDAR, protocols=(protocol,)) as store:
            store.create_schema()
            store.save(
                Reintegration.open(
                    case_id, sc.PUPIL, sc.AP_SETTING, authority, by=sc.AP_HEAD,
                    on=dt.date(2026, 1, 12), calendar=CALENDAR, protocol=protocol,
                )
            )  # fmt: skip
            with store.engine.begin() as conn:
                conn.execute(sa.delete(schema.protocols))  # as before revision 0015
    _downgraded(source, "0014")
    assert invoke("--db", source, "db", "upgrade").exit_code == 0
    files = {"Alpha Council": str(EXAMPLE), "Beta Council": str(edited)}

    copied = invoke("--protocol", str(EXAMPLE), "--db", source, "db", "copy", target)

    assert copied.exit_code == 1
    assert "copied 2 cases" in copied.stdout
    assert "B-1" in copied.stdout
    assert "A-1" not in copied.stdout
    for authority, file in files.items():
        checked = invoke("--protocol", file, "--db", target, "--authority", authority, "verify")
        assert checked.exit_code == 0, checked.output


def test_XF3_an_export_of_a_copy_imported_back_skips_the_redacted_cases_without_a_word_of_loss(
    database: Callable[[str, str], str],
) -> None:
    """`export --all` of a copy, imported into the store it was copied from: every case is
    already stored, the redacted one with its records. The import refused that case without
    --without-redaction-records, and with it said that it "was imported without its 5
    redaction records", though it imported nothing and the store keeps them (XF3)."""
    source, target = database("sqlite", "source"), database("sqlite", "target")
    with SqlAlchemyStore(source, calendar=CALENDAR) as store:
        store.create_schema()
        demo.run(store, CALENDAR)
        store.redact(
            "DEMO-0001", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=dt.date.today()
        )
    assert invoke("--db", source, "db", "copy", target).exit_code == 0
    exported = invoke("--db", target, "export", "--all")
    assert exported.exit_code == 0, exported.output
    path = Path(target.removeprefix("sqlite:///")).with_name("all.json")
    path.write_text(exported.stdout, encoding="utf-8")

    for options in ([], ["--without-redaction-records"]):
        imported = invoke("--db", source, "import", *options, str(path))
        assert imported.exit_code == 0, imported.output
        assert imported.stdout.strip() == "imported 0 case(s), 0 transition(s); 4 already stored"
        assert "redaction record" not in imported.stderr
    with SqlAlchemyStore(source, calendar=CALENDAR) as store:
        assert len(store.redactions("DEMO-0001")) == 5
