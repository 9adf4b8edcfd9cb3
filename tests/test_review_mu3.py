"""Review MU3: mutation testing of the protocol and evidence code changed since ca95c34."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import attrs
import pymysql
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import scenario as sc
from reintegration_fsm import WORCESTERSHIRE, ProtocolDefinitionError, StoreError
from reintegration_fsm.cli import caseload, cli
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.protocol import definition
from reintegration_fsm.protocol.definition import SHIPPED_RULES, WORCESTERSHIRE_2
from reintegration_fsm.serialisation import unstructure
from reintegration_fsm.stores import SqlAlchemyStore
from reintegration_fsm.stores.failures import describe, scrub
from store_contract import CALENDAR, SUCCEEDED, succeeded

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "docs_outputs"

EDITED = attrs.evolve(WORCESTERSHIRE_2, review_weeks=(2, 4, 5))
"""Worcestershire's version 2 with other review weeks than it was published with."""


def test_check_shipped_checks_every_protocol_not_only_the_first() -> None:
    """An edited earlier version after an untouched current one is refused too (a `continue`
    made `break` let it through), naming the seed file as the error's path."""
    with pytest.raises(ProtocolDefinitionError) as caught:
        definition.check_shipped([WORCESTERSHIRE, EDITED])
    assert caught.value.path == "worcestershire.toml"
    assert str(caught.value).startswith("worcestershire.toml: id: the library's protocol ")


def test_check_shipped_names_both_fingerprints_by_their_first_twelve_digits() -> None:
    """The message gives the edited rules' fingerprint and the published one, twelve hex
    digits each, so that a maintainer can tell which edition the file holds."""
    with pytest.raises(ProtocolDefinitionError) as caught:
        definition.check_shipped([EDITED])
    published = SHIPPED_RULES[("worcestershire", "2")]
    assert (
        f"(fingerprint {EDITED.fingerprint[:12]}, published {published[:12]}):"
        in caught.value.problem
    )


def test_check_shipped_says_a_version_never_published_was_never_published() -> None:
    """A version missing from `SHIPPED_RULES` (a new one whose entry was forgotten) is refused
    with "published never", not a TypeError."""
    unlisted = attrs.evolve(WORCESTERSHIRE, version="99")
    with pytest.raises(ProtocolDefinitionError) as caught:
        definition.check_shipped([unlisted])
    assert "worcestershire 99 sets other rules" in caught.value.problem
    assert f"(fingerprint {unlisted.fingerprint[:12]}, published never):" in caught.value.problem


def test_unpublished_is_what_check_shipped_raises_or_none() -> None:
    """`_unpublished` (run once at import) is None for the library as shipped and the
    refusal itself for an edited seed."""
    assert definition.unpublished_error(definition.KNOWN) is None
    found = definition.unpublished_error([WORCESTERSHIRE, EDITED])
    assert isinstance(found, ProtocolDefinitionError)
    assert found.field == "id"
    assert "worcestershire 2 sets other rules" in found.problem


def _apply(url: str, tmp_path: Path, case_id: str, trigger: str, data: object) -> Result:
    given = tmp_path / f"{case_id}-{trigger}.json"
    given.write_text(json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(
        cli,
        [
            *("--db", url, "apply", case_id, trigger, "--data", str(given), "--on", "2026-01-12"),
            *("--actor-id", "ap-1", "--actor-name", "Morgan Reed", "--role", "ap_head"),
            *("--organisation", sc.AP_SETTING),
        ],
        env={"RFSM_AUTHORITY": None, "RFSM_UNDER": None, "RFSM_PROTOCOLS": None},
    )


def _opening(authority: object) -> dict[str, object]:
    return {
        "pupil": unstructure(sc.PUPIL),
        "ap_setting": sc.AP_SETTING,
        "local_authority": authority,
    }


def test_the_authority_check_reads_only_an_opens_authority(tmp_path: Path) -> None:
    """`_check_authority_named` looks at `open` alone: a later step reaches its rules (it
    read `None.strip()` when an `or` was an `and`); a later step given a stray
    `local_authority` in other capitals is refused for the stray argument, before the check."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert _apply(url, tmp_path, "C-1", "open", _opening(sc.AUTHORITY)).exit_code == 0
    consent = json.loads((FIXTURES / "consent.json").read_text(encoding="utf-8"))
    refused = _apply(url, tmp_path, "C-1", "record_consent", consent)
    assert refused.exit_code == 1, refused.output
    assert "record_consent refused by the protocol's rules" in refused.output
    stray = _apply(
        url, tmp_path, "C-1", "record_consent", {**consent, "local_authority": sc.AUTHORITY.upper()}
    )
    assert stray.exit_code == 2, stray.output
    assert "takes no argument 'local_authority'" in stray.output
    assert "did you mean" not in stray.output


def test_an_open_naming_its_authority_by_a_number_is_the_forms_to_refuse(tmp_path: Path) -> None:
    """An authority given as a number is refused as bad data for `open`, as before the check
    (which skips what is not text), not with a traceback."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert _apply(url, tmp_path, "C-1", "open", _opening(sc.AUTHORITY)).exit_code == 0
    numbered = _apply(url, tmp_path, "C-2", "open", _opening(5))
    assert numbered.exit_code == 2, numbered.output
    assert "'local_authority': must be text, not 5" in numbered.output


ALPHA, BETA = "Alpha County Council", "Beta Borough Council"


def test_check_authority_passes_a_held_authority_and_names_every_other(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check_authority` lets an authority with cases through (an `or` made `and` refused it),
    and for one without names every authority the database holds, each quoted, comma
    separated; an empty database says it holds none."""
    monkeypatch.delenv("RFSM_AUTHORITY", raising=False)
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        with pytest.raises(Failure) as empty:
            caseload.check_authority(store.for_authority("Nope"))
        assert empty.value.reasons == ("The database holds no cases yet.",)
        store.save(succeeded("A-1", SUCCEEDED, ALPHA))
        store.save(succeeded("B-1", SUCCEEDED, BETA))
        caseload.check_authority(store)
        caseload.check_authority(store.for_authority(ALPHA))
        with pytest.raises(Failure) as unknown:
            caseload.check_authority(store.for_authority("Nope"))
        assert unknown.value.message == "no cases for authority 'Nope'"
        assert unknown.value.reasons == (f"The database holds cases for: {ALPHA!r}, {BETA!r}.",)


def test_check_one_authority_names_each_authority_quoted_and_comma_separated(
    database_url: str,
) -> None:
    """The refusal of a Fair Access figure over two authorities says how to choose one and
    lists both, each quoted, comma separated; a scoped store passes."""
    with SqlAlchemyStore(database_url, calendar=CALENDAR) as store:
        store.save(succeeded("A-1", SUCCEEDED, ALPHA))
        store.save(succeeded("B-1", SUCCEEDED, BETA))
        caseload.check_one_authority(store.for_authority(BETA), "the Fair Access ledger")
        with pytest.raises(Failure) as pooled:
            caseload.check_one_authority(store, "the Fair Access ledger")
    assert pooled.value.message == (
        "the database holds the cases of 2 authorities, and the Fair Access ledger is one "
        "authority's: give --authority NAME"
    )
    assert pooled.value.reasons == (f"The database holds cases for: '{ALPHA}', '{BETA}'.",)


def test_an_open_naming_the_authority_in_other_capitals_says_how_to_name_it(
    tmp_path: Path,
) -> None:
    """MA4's refusal gives, beside the question, the reason the name must be as recorded."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert _apply(url, tmp_path, "C-1", "open", _opening(sc.AUTHORITY)).exit_code == 0
    shouted = _apply(url, tmp_path, "C-2", "open", _opening(sc.AUTHORITY.upper()))
    assert shouted.exit_code == 2, shouted.output
    assert (
        f"Give the authority's name as its cases record it, {sc.AUTHORITY!r}: a view of that "
        "authority's cases (--authority) lists only the cases naming it so, and would never "
        "show this one nor its deadlines."
    ) in shouted.output


DRIVER_ERRORS = {
    "postgresql": "psycopg.errors.CheckViolation, SQLSTATE 23514",
    "mysql": "pymysql.err.OperationalError, error 4025",
    "mariadb": "pymysql.err.OperationalError, error 4025",
}
"""What `describe` says of a row a CHECK constraint refused, by dialect: the driver's error
by its module and class, and its code."""


def test_a_refused_row_names_the_drivers_error_by_module_and_class(database_url: str) -> None:
    """The StoreError of a row the database refused names the driver's error class with its
    module, its code, and the constraint (review LG, LG5), in that order; SQLite, refusing
    through a trigger, its extended result code by name."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER rfsm_mu3_refuse BEFORE INSERT ON rfsm_transitions "
                "WHEN NEW.trigger_name = 'open' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                if engine.dialect.name == "sqlite"
                else "ALTER TABLE rfsm_transitions ADD CONSTRAINT rfsm_mu3_refuse "
                "CHECK (trigger_name <> 'open')"
            )
        store = SqlAlchemyStore(engine, calendar=CALENDAR)
        with pytest.raises(StoreError) as refused:
            store.save(succeeded("A-1", SUCCEEDED, ALPHA))
        assert (
            f'{DRIVER_ERRORS[engine.dialect.name]}, constraint "rfsm_mu3_refuse" of table '
            '"rfsm_transitions"'
            if engine.dialect.name != "sqlite"
            else "(sqlite3.IntegrityError, SQLITE_CONSTRAINT_TRIGGER)"
            if sys.version_info >= (3, 11)  # sqlite3's errors name their codes from 3.11
            else "(sqlite3.IntegrityError)"
        ) in str(refused.value)
    finally:
        engine.dispose()


def test_describe_says_a_locked_database_is_locked_and_nothing_a_report_lacks() -> None:
    """An error that carries no code (SQLite's under Python 3.10) is named by its class, and
    "database is locked" is kept, the one text that says what to do (wait and retry)."""
    assert describe(sqlite3.OperationalError("database is locked")) == (
        "sqlite3.OperationalError, database is locked"
    )
    assert describe(sqlite3.OperationalError("no such table: x")) == "sqlite3.OperationalError"
    # A server's error that names no constraint gets nothing after its code.
    lock_wait = pymysql.err.OperationalError(1205, "Lock wait timeout exceeded")
    assert describe(lock_wait) == "pymysql.err.OperationalError, error 1205"


def test_scrub_ends_on_a_chain_of_errors_that_loops() -> None:
    """Errors can chain in a loop (`raise a from b` after `raise b from a`): `scrub` visits
    each once and returns, scrubbing both (a guard that forgot what it had seen never ended)."""
    first = pymysql.err.IntegrityError(1062, "Duplicate entry 'Zebedee' for key 'name'")
    second = pymysql.err.IntegrityError(1062, "Duplicate entry 'Secretname' for key 'name'")
    first.__cause__, second.__cause__ = second, first
    scrub(first)
    assert first.args == (1062, "Duplicate entry '...' for key 'name'")
    assert second.args == (1062, "Duplicate entry '...' for key 'name'")
