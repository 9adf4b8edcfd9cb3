"""Hostile tries at the audit log as evidence: what an attacker with write access to the
database or to the checkpoint files, a careless integrator and a tired officer would do to
checkpoints, keys, redaction, retention and verify(). Each is refused with the library's typed
error (the CLI with its documented exit code, never a traceback) or found by verify(); the
store tries run on memory, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import json
import os
import pickle
import re
import sqlite3
import threading
import time
import typing
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from click.testing import Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from legacy_rows import as_scheme_2
from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    AlteredRow,
    CaseNotFound,
    Checkpoint,
    ConcurrentUpdate,
    FormInvalid,
    GuessableRedaction,
    MalformedCheckpoint,
    ProtocolError,
    RetentionPolicy,
    Role,
    StoreError,
    documents,
    fields,
)
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.stores import (
    InMemoryStore,
    Problem,
    SqlAlchemyStore,
    digests,
    schema,
    sql_verifying,
)
from reintegration_fsm.stores.checkpoints import CHECKPOINT
from reintegration_fsm.stores.stored import full_data
from scenario import ADMISSIONS, PUPIL
from store_contract import (
    AUTHORITY,
    CALENDAR,
    OTHER_AUTHORITY,
    REDACTED_ON,
    Store,
    advanced,
    built,
    drop_triggers,
    ended,
    opened,
)
from test_cli_evidence import OFFICER, invoke, no_traceback, ok
from test_stores import server_store

ENGINES = ("memory", "sqlite", "postgresql", "mariadb")
SQL_ENGINES = ENGINES[1:]
CLERK = Actor("la-9", "Jo Whitfield", Role.LA_ADMISSIONS, AUTHORITY)


def _store_on(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if engine == "memory":
        yield InMemoryStore(calendar=CALENDAR)
        return
    if engine == "sqlite":
        store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.db'}", calendar=CALENDAR)
        store.create_schema()
        yield store
        store.close()
        return
    url = {"postgresql": "postgres_store_url", "mariadb": "mariadb_store_url"}[engine]
    yield from server_store(request.getfixturevalue(url))


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each engine."""
    yield from _store_on(request.param, request, tmp_path)


@pytest.fixture(params=SQL_ENGINES)
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAlchemyStore]:
    """An empty SQL store on each engine."""
    for made in _store_on(request.param, request, tmp_path):
        assert isinstance(made, SqlAlchemyStore)
        yield made


def _state(store: Store, case_id: str) -> tuple[Any, ...]:
    """All a caller can see of a case: to show that a refusal changed nothing."""
    return store.history(case_id), store.redactions(case_id), store.checkpoint().root


def _truncate(store: Store, case_id: str, keep: int) -> None:
    """What an administrator of the database can do: delete the tail of a case's log, past the
    append-only triggers, and set its case row's version, last hash and stage to agree (the
    tamper table's attacks go further: tests/evidence_contract.py)."""
    if isinstance(store, InMemoryStore):
        log = store._log[case_id]
        del log[keep:]
        store._cases[case_id].update(version=keep, last_hash=log[-1]["hash"], stage=log[-1]["dest"])
        return
    assert isinstance(store, SqlAlchemyStore)
    drop_triggers(store.engine)
    t = schema.transitions
    with store.engine.begin() as conn:
        conn.execute(sa.delete(t).where(t.c.case_id == case_id, t.c.seq > keep))
        last = conn.execute(
            sa.select(t.c.hash, t.c.dest).where(t.c.case_id == case_id, t.c.seq == keep)
        ).one()
        conn.execute(
            sa.update(schema.cases)
            .where(schema.cases.c.case_id == case_id)
            .values(version=keep, last_hash=last.hash, stage=last.dest)
        )


# -- checkpoint files and keys -----------------------------------------------------------------
def _pem(kind: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN {kind}-----\n{body}-----END {kind}-----\n".encode("ascii")


UNKNOWN_KEY_TYPE = "1.3.101.115"
"""An object identifier in the Edwards-curve arc that names no key type cryptography reads, as
a key made by a newer tool (a post-quantum algorithm) would name one."""
ODD_PRIVATE = _pem("PRIVATE KEY", bytes.fromhex("302e020100300506032b657304220420") + bytes(32))
ODD_PUBLIC = _pem("PUBLIC KEY", bytes.fromhex("302a300506032b6573032100") + bytes(32))


def _keys() -> tuple[bytes, bytes]:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def _checkpoint() -> tuple[InMemoryStore, Checkpoint]:
    store = InMemoryStore(calendar=CALENDAR)
    for number in range(1, 4):
        store.save(built(f"case-0{number}", 2 + number))
    return store, store.checkpoint()


def test_a_key_of_a_type_no_one_can_read_is_refused_as_malformed() -> None:
    """A PEM key of an algorithm cryptography does not know is a bad key, not a bug."""
    _, taken = _checkpoint()
    with pytest.raises(MalformedCheckpoint, match="signing key") as refused:
        taken.sign(ODD_PRIVATE)
    assert UNKNOWN_KEY_TYPE in str(refused.value)
    private, _ = _keys()
    with pytest.raises(MalformedCheckpoint, match="public key") as refused:
        taken.sign(private).signature_problem(ODD_PUBLIC)
    assert UNKNOWN_KEY_TYPE in str(refused.value)


def test_a_public_key_given_to_sign_and_a_private_one_given_to_check_are_refused() -> None:
    store, taken = _checkpoint()
    private, public = _keys()
    with pytest.raises(MalformedCheckpoint, match="signing key: cannot be read"):
        taken.sign(public)
    signed = taken.sign(private)
    with pytest.raises(MalformedCheckpoint, match="public key: cannot be read"):
        store.verify(checkpoint=signed, public_key=private)


@pytest.mark.parametrize("size", [True, 1.0, "1"])
def test_a_size_that_is_not_a_whole_number_is_refused(size: object) -> None:
    _, taken = _checkpoint()
    value = json.loads(taken.to_json())
    value["cases"] = value["cases"][:1]
    value["size"] = size
    with pytest.raises(MalformedCheckpoint, match="size"):
        Checkpoint.from_json(json.dumps(value))


def test_a_field_given_twice_is_refused() -> None:
    """JSON readers differ on which of two equal keys counts: a checkpoint must read one way."""
    _, taken = _checkpoint()
    text = taken.to_json().replace(
        '"authority": null', '"authority": "Elsewhere", "authority": null'
    )
    with pytest.raises(MalformedCheckpoint, match=r"authority: is given twice"):
        Checkpoint.from_json(text)
    case = '"case_id": "case-01"'
    with pytest.raises(MalformedCheckpoint, match=r"case_id: is given twice"):
        Checkpoint.from_json(taken.to_json().replace(case, f'{case}, "case_id": "case-09"', 1))


def _edited(taken: Checkpoint, change: Any) -> Checkpoint:
    value = json.loads(taken.to_json())
    change(value)
    return Checkpoint.from_json(json.dumps(value))


def _swap(value: dict[str, Any]) -> None:
    value["cases"].reverse()


def _drop_last(value: dict[str, Any]) -> None:
    value["cases"].pop()
    value["size"] -= 1


def _older(value: dict[str, Any]) -> None:
    value["cases"][0]["version"] -= 1


@pytest.mark.parametrize("change", [_swap, _drop_last, _older], ids=["reordered", "cut", "older"])
def test_a_checkpoint_file_edited_without_its_root_is_found(change: Any) -> None:
    store, taken = _checkpoint()
    problems = store.verify(checkpoint=_edited(taken, change))
    assert problems[0].case_id == CHECKPOINT
    assert "root does not match" in problems[0].what


def test_a_checkpoint_edited_and_rerooted_is_found_by_its_signature() -> None:
    """Anyone can recompute a root; only the key's holder can sign it."""
    store, taken = _checkpoint()
    private, public = _keys()
    signed = taken.sign(private)
    cut = signed.cases[:-1]
    forged = attrs.evolve(signed, cases=cut, root=attrs.evolve(signed, cases=cut).computed_root)
    problems = store.verify(checkpoint=forged, public_key=public)
    assert [p.what for p in problems] == [
        "the checkpoint's signature does not verify with the public key"
    ]
    downgraded = attrs.evolve(signed, format_version=1)
    downgraded = attrs.evolve(downgraded, root=downgraded.computed_root)
    assert "does not verify" in store.verify(checkpoint=downgraded, public_key=public)[0].what


def test_a_signature_moved_from_another_checkpoint_does_not_verify() -> None:
    store, taken = _checkpoint()
    private, public = _keys()
    other = InMemoryStore(calendar=CALENDAR)
    other.save(built("case-01", 3))
    moved = attrs.evolve(taken, signature=other.checkpoint().sign(private).signature)
    [problem] = store.verify(checkpoint=moved, public_key=public)
    assert problem.what == "the checkpoint's signature does not verify with the public key"


def test_a_checkpoint_of_another_authority_or_another_store_is_found() -> None:
    store, taken = _checkpoint()
    scoped = attrs.evolve(taken, authority=OTHER_AUTHORITY)
    [problem] = store.verify(checkpoint=scoped)
    assert problem.case_id == CHECKPOINT
    assert OTHER_AUTHORITY in problem.what
    elsewhere = InMemoryStore(calendar=CALENDAR)
    elsewhere.save(built("case-01", 4))  # the same id, another history
    found = {(p.case_id, p.what.split(":")[0]) for p in elsewhere.verify(checkpoint=taken)}
    assert found == {("case-01", "rewritten"), ("case-02", "gone"), ("case-03", "gone")}


# -- on every engine: truncation, replayed checkpoints -----------------------------------------
def test_rows_deleted_from_the_end_of_a_log_are_found_against_a_checkpoint(store: Store) -> None:
    store.save(built("case-01", 6))
    store.save(built("case-02", 4))
    taken = store.checkpoint()
    _truncate(store, "case-01", 3)
    truncated = Problem(
        "case-01", None, "truncated: the checkpoint holds version 6, the log ends at seq 3"
    )
    assert truncated not in store.verify()
    found = store.verify(checkpoint=taken)
    assert truncated in found
    assert {problem.case_id for problem in found} == {"case-01"}


def test_an_older_checkpoint_still_holds_and_a_newer_one_finds_a_rollback(store: Store) -> None:
    """Histories only grow: last month's checkpoint verifies; tonight's finds a store restored
    from last month's backup."""
    store.save(built("case-01", 3))
    older = store.checkpoint()
    store.save(built("case-01", 6))
    newer = store.checkpoint()
    assert store.verify(checkpoint=older) == []
    assert store.verify(checkpoint=newer) == []
    _truncate(store, "case-01", 3)
    assert not any("truncated" in p.what for p in store.verify(checkpoint=older))
    assert any("truncated" in p.what for p in store.verify(checkpoint=newer))


# -- on every engine: redaction and retention --------------------------------------------------
def test_a_redaction_made_twice_is_refused_and_changes_nothing(store: Store) -> None:
    store.save(built("case-01", 3))
    store.redact("case-01", 2, ["form.parent_name"], "Family's request", by=CLERK, on=REDACTED_ON)
    before = _state(store, "case-01")
    with pytest.raises(FormInvalid, match="nothing to remove"):
        store.redact(
            "case-01", 2, ["form.parent_name"], "Family's request", by=CLERK, on=REDACTED_ON
        )
    assert _state(store, "case-01") == before
    assert store.verify() == []


def test_a_redaction_of_a_case_that_does_not_exist_is_case_not_found(store: Store) -> None:
    store.save(built("case-01", 3))
    for case_id in ("case-02", "", "x" * 5000, "case-01 ", "CASE-01"):
        with pytest.raises(CaseNotFound):
            store.redact(case_id, 2, ["form.parent_name"], "Request", by=CLERK, on=REDACTED_ON)
    assert store.redactions("case-01") == []


@pytest.mark.parametrize(
    "reason",
    [
        "'; DROP TABLE rfsm_redactions; --",
        "%s %(reason)s {reason} \\1 C:\\Requests",
        '<script>alert(1)</script> & "quoted"',
        "\U0001f600" * 160,  # 160 characters, 640 bytes in UTF-8
        "$redacted",
    ],
    ids=["sql", "format", "html", "emoji", "marker"],
)
def test_a_hostile_reason_is_kept_as_typed(store: Store, reason: str) -> None:
    store.save(built("case-01", 3))
    [note] = store.redact("case-01", 2, ["form.parent_name"], reason, by=CLERK, on=REDACTED_ON)
    assert note.reason == reason
    [kept] = store.redactions("case-01")
    assert kept.reason == reason
    shown = store.load("case-01").history[1].data["form"]["parent_name"]
    assert shown == f"(redacted on {REDACTED_ON.isoformat()}: {reason})"
    assert store.verify() == []


@pytest.mark.parametrize(
    "reason", ["two\nlines", "tab\there", "nul\x00", "\u202egnp.exe", "\u200b", " ", "x" * 161]
)
def test_a_reason_that_is_not_one_printable_line_is_refused(store: Store, reason: str) -> None:
    store.save(built("case-01", 3))
    before = _state(store, "case-01")
    with pytest.raises(FormInvalid, match=r"redact\.reason"):
        store.redact("case-01", 2, ["form.parent_name"], reason, by=CLERK, on=REDACTED_ON)
    assert _state(store, "case-01") == before


@pytest.mark.parametrize(
    ("born", "reason"),
    [
        (dt.date(2012, 5, 14), "Wrong DoB 14th of May 2012"),
        (dt.date(2012, 5, 14), "Born the 14th of May, 2012"),
        (dt.date(2012, 5, 14), "DoB 14 May 12 typed wrongly"),
        (dt.date(2012, 9, 4), "Wrong DoB 4 Sept 2012"),
        (dt.date(2012, 9, 4), "Born 4th Sept 2012"),
    ],
    ids=["of", "the-of-comma", "short-year-words", "sept", "sept-suffix"],
)
def test_D3_a_redactions_reason_quoting_the_date_of_birth_as_an_office_writes_it_is_refused(
    born: dt.date, reason: str
) -> None:
    """Z4/P2 refuse a date of birth in a reason as people write it, and the docs say so ("as it
    is commonly written"); "14th of May 2012", "14 May 12" and "4 Sept 2012" (the British
    short form of September) were accepted, and shown in place of every value removed
    (review D, D3)."""
    store = InMemoryStore(calendar=CALENDAR)
    pupil = attrs.evolve(PUPIL, date_of_birth=born)
    store.save(advanced(opened("case-01", pupil=pupil), 0))
    with pytest.raises(FormInvalid) as refused:
        store.redact(
            "case-01", None, ["pupil.date_of_birth"], reason, by=ADMISSIONS, on=REDACTED_ON
        )
    [(field, _)] = refused.value.problems
    assert field == "reason"


def _classes(hint: Any) -> Iterator[type[Any]]:
    """Every class a type hint names (`tuple[Attendee, ...] | None`: tuple, Attendee)."""
    if isinstance(hint, type):
        yield hint
    for argument in typing.get_args(hint):
        yield from _classes(argument)


def _form_fields(cls: type[Any], seen: set[type[Any]]) -> Iterator[tuple[Any, Any]]:
    """Every field of the attrs class `cls` and of the attrs classes its fields hold, with its
    type."""
    if cls in seen or not attrs.has(cls):
        return
    seen.add(cls)
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):
        yield field, hints[field.name]
        for inner in _classes(hints[field.name]):
            yield from _form_fields(inner, seen)


def test_D11_every_address_field_of_the_forms_is_marked_as_one() -> None:
    """A redaction's reason may not quote an address the case holds, read from the fields the
    forms mark `fields.ADDRESS` (review D, D11): a form's field named for an address and left
    unmarked would let a reason quote it, so every such field of every step's forms is
    marked, and only text is."""
    seen: set[type[Any]] = set()
    found = [
        found
        for step in STEP.values()
        for argument in step.arguments
        for cls in _classes(argument.type)
        for found in _form_fields(cls, seen)
    ]
    assert len(seen) > 10  # every form, and the forms they hold (an attendee, a professional)
    named = {field.name for field, _ in found if "address" in field.name}
    marked = {field.name for field, _ in found if fields.holds_address(field)}
    assert named == marked == {"address", "child_address", "parent_address", "address_change"}
    assert {hint for field, hint in found if fields.holds_address(field)} == {str}


@pytest.mark.parametrize(
    "on",
    [
        dt.date(1900, 1, 1),
        dt.date(1, 1, 1),
        dt.date(2026, 1, 13),
        dt.date(2026, 1, 14),
        REDACTED_ON - dt.timedelta(days=1),
    ],
)
def test_a_redaction_dated_before_the_entry_it_removes_from_is_refused(
    store: Store, on: dt.date
) -> None:
    """A year typed wrong (1900, or last year) would date a removal before the value was
    there: refused before the day the entry was recorded (today), whatever its own date
    (entry 2 is dated 2026-01-14: that day and the day before are refused too, review U, U2)."""
    store.save(built("case-01", 3))
    before = _state(store, "case-01")
    recorded = re.escape(f"before entry 2 (recorded on {REDACTED_ON})")
    with pytest.raises(FormInvalid, match=rf"redact\.on: .* {recorded}"):
        store.redact("case-01", 2, ["form.parent_name"], "Request", by=CLERK, on=on)
    with pytest.raises(FormInvalid, match=r"redact\.on"):
        store.redact("case-01", None, ["actor.name"], "Request", by=CLERK, on=on)
    assert _state(store, "case-01") == before
    [note] = store.redact("case-01", 2, ["form.parent_name"], "Request", by=CLERK, on=REDACTED_ON)
    assert note.on == REDACTED_ON  # the day the entry was recorded: allowed


def test_retention_dated_before_any_case_opened_touches_nothing(store: Store) -> None:
    store.save(built("case-01", 3))
    before = _state(store, "case-01")
    for on in (dt.date(1900, 1, 1), dt.date(2026, 1, 1), dt.date.min):
        assert store.past_retention(on) == []
        assert store.apply_retention(on, by=CLERK) == []
    assert _state(store, "case-01") == before


def test_retention_far_in_the_future_is_listed_but_not_applied(store: Store) -> None:
    store.save(ended(built("case-01", 3)))
    before = _state(store, "case-01")
    assert [due.case_id for due in store.past_retention(dt.date.max)] == ["case-01"]
    with pytest.raises(FormInvalid, match=r"apply_retention\.on: 2100-01-01 is after today"):
        store.apply_retention(dt.date(2100, 1, 1), by=CLERK)
    assert _state(store, "case-01") == before


@pytest.mark.parametrize("by", [None, "la-9", {"id": "la-9"}])
def test_retention_run_by_no_one_is_refused_even_with_nothing_due(store: Store, by: Any) -> None:
    """An integrator's mistake shows on the first run, not years later when a case falls due."""
    store.save(built("case-01", 3))
    with pytest.raises(FormInvalid, match=r"apply_retention\.by: must be an Actor"):
        store.apply_retention(dt.date(2026, 1, 1), by=by)


# -- an erasure cut off part way ---------------------------------------------------------------
class _CutOff(sa.exc.OperationalError):
    """What a connection lost part way through a redaction raises."""


def test_a_redaction_cut_off_part_way_writes_nothing(sql_store: SqlAlchemyStore) -> None:
    sql_store.save(built("case-01", 3))
    before = _state(sql_store, "case-01")

    def cut(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO RFSM_REDACTIONS"):
            raise _CutOff(statement, None, ConnectionError("the connection was lost"))

    sa.event.listen(sql_store.engine, "before_cursor_execute", cut)
    try:
        with pytest.raises(StoreError):
            sql_store.redact(
                "case-01",
                None,
                ["form.parent_name", "actor.name"],
                "Request",
                by=CLERK,
                on=REDACTED_ON,
            )
    finally:
        sa.event.remove(sql_store.engine, "before_cursor_execute", cut)
    assert _state(sql_store, "case-01") == before
    assert sql_store.verify() == []
    notes = sql_store.redact(
        "case-01", 2, ["form.parent_name"], "Request", by=CLERK, on=REDACTED_ON
    )
    assert [note.number for note in notes] == [1]  # tried again: made once


# -- the command line --------------------------------------------------------------------------
def _private_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr.startswith("error: ")
    for word in words:
        assert word in result.stderr


def test_a_key_file_of_an_unknown_type_is_bad_input(demo_db: str, tmp_path: Path) -> None:
    odd = _private_file(tmp_path / "odd.pem", ODD_PRIVATE)
    _refused(invoke(demo_db, "checkpoint", "--sign", str(odd)), UNKNOWN_KEY_TYPE)
    private, _ = _keys()
    key = _private_file(tmp_path / "key.pem", private)
    taken = tmp_path / "taken.json"
    ok(invoke(demo_db, "checkpoint", "--sign", str(key), "-o", str(taken)))
    odd_public = tmp_path / "odd.pub.pem"
    odd_public.write_bytes(ODD_PUBLIC)
    _refused(
        invoke(demo_db, "verify", "--checkpoint", str(taken), "--public-key", str(odd_public)),
        UNKNOWN_KEY_TYPE,
    )


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_a_signing_key_others_can_reach_is_refused(demo_db: str, tmp_path: Path, mode: int) -> None:
    """Anyone who can read the signing key can sign a forged checkpoint, as ssh refuses a
    private key others can read."""
    private, _ = _keys()
    key = tmp_path / "key.pem"
    key.write_bytes(private)
    key.chmod(mode)
    target = tmp_path / "taken.json"
    result = invoke(demo_db, "checkpoint", "--sign", str(key), "-o", str(target))
    _refused(result, "other users", f"mode {mode:04o}", "chmod 600", "new key pair")
    assert not target.exists()
    key.chmod(0o600)
    ok(invoke(demo_db, "checkpoint", "--sign", str(key), "-o", str(target)))
    key.chmod(0o400)
    ok(invoke(demo_db, "checkpoint", "--sign", str(key), "-o", str(target)))


def test_keys_swapped_on_the_command_line_are_bad_input(demo_db: str, tmp_path: Path) -> None:
    private, public = _keys()
    key = _private_file(tmp_path / "key.pem", private)
    public_file = _private_file(tmp_path / "key.pub.pem", public)
    _refused(invoke(demo_db, "checkpoint", "--sign", str(public_file)), "signing key")
    taken = tmp_path / "taken.json"
    ok(invoke(demo_db, "checkpoint", "--sign", str(key), "-o", str(taken)))
    _refused(
        invoke(demo_db, "verify", "--checkpoint", str(taken), "--public-key", str(key)),
        "public key",
    )


def test_a_checkpoint_of_another_authority_fails_verify(demo_db: str, tmp_path: Path) -> None:
    taken = tmp_path / "taken.json"
    ok(invoke(demo_db, "checkpoint", "-o", str(taken)))
    value = json.loads(taken.read_text(encoding="utf-8"))
    value["authority"] = OTHER_AUTHORITY
    taken.write_text(json.dumps(value), encoding="utf-8")
    result = invoke(demo_db, "verify", "--checkpoint", str(taken))
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert OTHER_AUTHORITY in result.stdout


def test_an_officers_slips_on_the_command_line_are_bad_input(demo_db: str) -> None:
    redact = ("redact", "DEMO-0001", "2", "form.parent_name", "--reason", "Family's request")
    _refused(invoke(demo_db, *redact, "--on", "1926-12-01", *OFFICER), "before entry 2")
    ok(invoke(demo_db, *redact, "--on", REDACTED_ON.isoformat(), *OFFICER))
    _refused(
        invoke(demo_db, *redact, "--on", REDACTED_ON.isoformat(), *OFFICER), "nothing to remove"
    )
    _refused(invoke(demo_db, "redact", "DEMO-9999", *redact[2:], *OFFICER), "DEMO-9999")
    none_due = ok(invoke(demo_db, "retention", "--on", "1990-01-01", "--apply", *OFFICER))
    assert "no case past retention" in none_due.stdout
    _refused(invoke(demo_db, "retention", "--on", "2100-01-01", "--apply", *OFFICER), "ahead")
    _refused(invoke(demo_db, "retention", "--on", "1990-01-01", "--apply"), "--actor-id")
    assert ok(invoke(demo_db, "verify")).stdout.startswith("sound")


DOB_PATH = ("data", "pupil", "date_of_birth")


def _days_of_birth() -> Iterator[dt.date]:
    """Each day a child of school age in 2027 may have been born on."""
    day = dt.date(2005, 1, 1)
    while day < dt.date(2020, 1, 1):
        yield day
        day += dt.timedelta(days=1)


def _redact_pupil(store: SqlAlchemyStore) -> None:
    store.redact(
        "case-01",
        1,
        ["pupil.name", "pupil.date_of_birth"],
        "Erasure request",
        by=CLERK,
        on=REDACTED_ON,
    )


def _entry(store: SqlAlchemyStore) -> sa.Row[Any]:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT data, actor_id, actor_name, payload_salt, payload_key, leaf_keys "
                "FROM rfsm_transitions "
                "WHERE case_id = 'case-01' AND seq = 1"
            )
        ).one()


def test_a_removed_date_of_birth_cannot_be_found_from_the_row(tmp_path: Path) -> None:
    """Scheme 3: the removed value's leaf was hashed with a key of its own, made from the
    entry's payload key; the redaction dropped that key and kept only the keys of the values
    left, so no guess can be tested against the digest the row keeps."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'kept.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    case = built("case-01", 1)
    store.save(case)
    before = _entry(store)
    assert before.payload_key is not None
    assert before.leaf_keys is None
    _redact_pupil(store)
    after = _entry(store)
    # Nor in any file, the store still open: the page was overwritten (secure_delete) and the
    # WAL, which held the entry as first written, copied in and emptied.
    born = case.pupil.date_of_birth.isoformat().encode()
    for held in tmp_path.iterdir():
        assert bytes(before.payload_key) not in held.read_bytes(), held.name
        assert born not in held.read_bytes(), held.name
    store.close()
    assert after.payload_key is None
    removed = json.loads(after.data)["pupil"]["date_of_birth"]["$redacted"]
    salt, born = bytes(after.payload_salt), case.pupil.date_of_birth.isoformat()
    # The key was what made the digest: with the one the redaction destroyed, it is found ...
    destroyed = digests.derived_keys(bytes(before.payload_key).hex())
    assert digests.leaf(salt, DOB_PATH, born, destroyed) == removed
    # ... and it is nowhere in the row or the file now.
    key = destroyed(digests.path_text(DOB_PATH))
    assert key is not None
    assert key not in bytes(after.leaf_keys)
    assert key not in (tmp_path / "kept.sqlite").read_bytes()
    # Whoever reads the row tries every day with what it holds, and finds none.
    kept = digests.kept_keys(
        bytes(after.leaf_keys),
        digests.leaf_paths(
            after.actor_id, after.actor_name, full_data("open", json.loads(after.data))
        ),
    )
    for keys in (None, kept):
        found = [
            day
            for day in _days_of_birth()
            if digests.leaf(salt, DOB_PATH, day.isoformat(), keys) == removed
        ]
        assert found == []


def test_a_value_removed_from_an_entry_written_before_0011_can_still_be_found(
    tmp_path: Path,
) -> None:
    """Scheme 2, as docs/evidence.md says: an entry written before revision 0011 was hashed
    with its salt alone, which the row keeps beside the removed value's digest; trying each
    day a child may have been born on finds the date of birth. The upgrade keeps such entries
    as they are (their hashes cannot change), and they still verify and redact."""
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    case = built("case-01", 1)
    store.save(case)
    as_scheme_2(store)
    assert store.verify() == []
    _redact_pupil(store)
    assert store.verify() == []
    after = _entry(store)
    store.close()
    assert after.payload_key is None
    assert after.leaf_keys is None
    removed = json.loads(after.data)["pupil"]["date_of_birth"]["$redacted"]
    found = [
        day
        for day in _days_of_birth()
        if digests.leaf(bytes(after.payload_salt), DOB_PATH, day.isoformat()) == removed
    ]
    assert found == [case.pupil.date_of_birth]


def test_a_copy_loaded_before_a_redaction_is_behind_the_store_whatever_it_records(
    tmp_path: Path,
) -> None:
    """Scheme 3: nothing can confirm what a removed value was, so a copy of the case loaded
    before the redaction (another process's, which the store did not hand out) is compared on
    the values the entry keeps: it is the same case, not another one, but behind the store,
    even when its next step names no one. Loaded again, it saves on."""
    url = f"sqlite:///{tmp_path / 'kept.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 1))
    elsewhere = SqlAlchemyStore(url, calendar=CALENDAR)
    copy = elsewhere.load("case-01")
    store.redact("case-01", 1, ["actor.name"], "Erasure", by=CLERK, on=REDACTED_ON)
    assert _entry(store).payload_key is None
    grown = advanced(copy, 1)
    with pytest.raises(ConcurrentUpdate, match="redacted after this copy was loaded"):
        SqlAlchemyStore(url, calendar=CALENDAR).save(grown)  # no memory of the load: compared
    again = advanced(elsewhere.load("case-01"), 1)
    elsewhere.save(again)
    assert store.history("case-01")[1:] == grown.history[1:]
    assert store.verify() == []
    elsewhere.close()
    store.close()


# -- an officer redacting an entry written before 0011 is told it stays guessable ---------------
CHILD_PATHS = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]
"""The child's name and date of birth, wherever a transition holds them."""


def _erase_child(store: SqlAlchemyStore) -> None:
    store.redact("case-01", None, CHILD_PATHS, "Erasure request", by=CLERK, on=REDACTED_ON)


def _redactions_warned(run: Any) -> list[GuessableRedaction]:
    """The `GuessableRedaction`s `run()` warns of (every warning seen, none filtered out)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [w.message for w in caught if isinstance(w.message, GuessableRedaction)]


def test_redacting_an_entry_written_before_0011_warns_that_it_stays_guessable(
    sql_store: SqlAlchemyStore,
) -> None:
    """The redaction is made (the value is gone from the row), and the caller is told that
    its digest can still be tested against guesses: the officer asked for an erasure."""
    sql_store.save(built("case-01", 3))
    as_scheme_2(sql_store)
    warned = _redactions_warned(lambda: _erase_child(sql_store))
    assert [(w.case_id, w.seqs) for w in warned] == [("case-01", (1, 2))]
    assert "transitions 1, 2 were written before schema revision 0011" in str(warned[0])
    assert "What a redaction leaves to guess" in str(warned[0])
    assert sql_store.load("case-01").pupil.name.startswith("(redacted on ")
    assert sql_store.verify() == []


def test_redacting_an_entry_written_since_0011_warns_of_nothing(sql_store: SqlAlchemyStore) -> None:
    sql_store.save(built("case-01", 3))
    assert _redactions_warned(lambda: _erase_child(sql_store)) == []
    assert sql_store.verify() == []


def test_a_case_of_both_schemes_warns_of_its_old_entries_alone(
    sql_store: SqlAlchemyStore,
) -> None:
    """An entry saved after the upgrade is keyed; only the entries before it are named."""
    sql_store.save(built("case-01", 1))
    as_scheme_2(sql_store)
    sql_store.save(built("case-01", 2))  # the consent, naming the child, keyed
    warned = _redactions_warned(lambda: _erase_child(sql_store))
    assert [(w.case_id, w.seqs) for w in warned] == [("case-01", (1,))]
    assert "transition 1 was written before" in str(warned[0])


def test_a_retention_run_warns_for_each_case_with_old_entries(
    sql_store: SqlAlchemyStore, clock: Any
) -> None:
    sql_store.save(built("case-01", 11))
    sql_store.save(built("case-02", 11))
    as_scheme_2(sql_store)
    sql_store.save(built("case-03", 11))
    sql_store.retention = RetentionPolicy(years=7, basis="last_entry")
    on = dt.date(2034, 9, 1)
    clock(on)
    warned = _redactions_warned(lambda: sql_store.apply_retention(on, by=CLERK))
    assert [w.case_id for w in warned] == ["case-01", "case-02"]
    assert [due.personal_data_left for due in sql_store.past_retention(on)] == [False] * 3
    assert sql_store.verify() == []


def test_the_officer_sees_the_warning_and_the_redaction_is_made(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 2))
    store.save(built("case-02", 2))
    as_scheme_2(store)
    store.save(built("case-03", 2))
    store.close()
    clerk = ("--actor-id", CLERK.id, "--actor-name", CLERK.name, "--role", CLERK.role.value)
    args = (
        "--reason",
        "Erasure request",
        *clerk,
        "--organisation",
        AUTHORITY,
        "--on",
        REDACTED_ON.isoformat(),
    )
    old = ok(invoke(url, "redact", "case-01", "all", *CHILD_PATHS, *args))
    no_traceback(old)
    assert old.stderr.startswith(
        "warning: case 'case-01': transitions 1, 2 were written before schema revision 0011"
    )
    assert "seq 1: removed" in old.stdout
    json_out = ok(invoke(url, "redact", "case-02", "1", "actor.name", *args, "--format", "json"))
    assert json.loads(json_out.stdout)[0]["seq"] == 1  # stdout stays JSON
    assert "warning: case 'case-02': transition 1 was written" in json_out.stderr
    new = ok(invoke(url, "redact", "case-03", "all", *CHILD_PATHS, *args))
    assert new.stderr == ""


def _erased_everywhere(folder: Path, value: bytes) -> None:
    """`value` is in no file of `folder` (the database, its -wal and -shm), the store open."""
    for held in folder.iterdir():
        assert value not in held.read_bytes(), held.name


def test_a_caller_making_the_warning_an_error_meets_it_after_the_wal_is_flushed(
    tmp_path: Path,
) -> None:
    """docs/evidence.md tells a script that wants to stop to make the warning an error: the
    redaction is committed, and the removed values must be gone from the files by then (the
    warning was raised before the -wal flush: a review found the name still in the file)."""
    folder = tmp_path / "db"
    folder.mkdir()
    store = SqlAlchemyStore(f"sqlite:///{folder / 'old.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    case = built("case-01", 3)
    store.save(case)
    as_scheme_2(store)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GuessableRedaction)
        with pytest.raises(GuessableRedaction):
            _erase_child(store)
    _erased_everywhere(folder, case.pupil.name.encode())
    assert store.load("case-01").pupil.name.startswith("(redacted on ")
    store.close()


def test_a_retention_run_made_to_stop_on_the_warning_finishes_first(
    tmp_path: Path, clock: Any
) -> None:
    """The warnings come once the run is done and flushed: a caller that makes them errors
    still gets every case redacted (it loses the run's list: `past_retention` shows none
    left), where the run stopped at the first old case."""
    folder = tmp_path / "db"
    folder.mkdir()
    store = SqlAlchemyStore(f"sqlite:///{folder / 'old.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    for n in (1, 2, 3):
        store.save(built(f"case-0{n}", 11))
    as_scheme_2(store)
    store.retention = RetentionPolicy(years=7, basis="last_entry")
    on = dt.date(2034, 9, 1)
    clock(on)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GuessableRedaction)
        with pytest.raises(GuessableRedaction, match="case 'case-01'"):
            store.apply_retention(on, by=CLERK)
    assert [due.personal_data_left for due in store.past_retention(on)] == [False] * 3
    _erased_everywhere(folder, built("case-01", 1).pupil.name.encode())
    assert store.verify() == []
    store.close()


def test_a_policy_keeping_the_protocols_years_needs_the_protocol_and_one_of_its_own_does_not() -> (
    None
):
    """`keep_until` takes no protocol (None) under a policy of its own years, which reads
    nothing of it (review P, P1); the protocol's years are never guessed."""
    born, last = dt.date(2012, 5, 14), dt.date(2026, 7, 1)
    with pytest.raises(FormInvalid, match=r"^keep_until\.protocol: is needed: the policy keeps"):
        RetentionPolicy().keep_until(born, last, None)
    assert RetentionPolicy().keep_until(born, last, WORCESTERSHIRE) == dt.date(2037, 5, 14)
    assert RetentionPolicy(years=30).keep_until(born, last, None) == dt.date(2042, 5, 14)
    by_entry = RetentionPolicy(years=7, basis="last_entry")
    assert by_entry.keep_until(None, last, None) == dt.date(2033, 7, 1)


def test_the_warning_travels_between_processes() -> None:
    """A worker that redacts under `simplefilter("error", ...)` raises it to its parent: it
    must pickle (it did not, its message being made from its arguments)."""
    warning = GuessableRedaction("case-01", [1, 2])
    for again in (pickle.loads(pickle.dumps(warning)), copy.copy(warning)):
        assert (again.case_id, again.seqs, str(again)) == ("case-01", (1, 2), str(warning))


@contextlib.contextmanager
def _snapshot_held(url: str) -> Iterator[None]:
    """A reader of the SQLite database at `url` holding its snapshot through the block."""
    reader = sa.create_engine(url)
    try:
        with reader.connect() as held:
            held.exec_driver_sql("BEGIN")
            held.exec_driver_sql("SELECT count(*) FROM rfsm_transitions").one()
            yield
            held.exec_driver_sql("ROLLBACK")
    finally:
        reader.dispose()


def test_the_wal_flush_waits_for_a_reader_briefly_and_leaves_the_busy_timeout_as_it_was(
    tmp_path: Path,
) -> None:
    """A reader holding an older snapshot keeps the flush from emptying the -wal file: each try
    waits for it a fifth of a second, and the tries end once the store's busy timeout has passed
    (each try waited the whole timeout, three times: a redaction beside a long read took 15 s by
    default); the connection goes back to the pool waiting the store's timeout again."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR, busy_timeout=1)
    store.create_schema()
    store.save(built("case-01", 3))
    waits: list[int] = []

    def checkpointing(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "wal_checkpoint" in statement:
            waits.append(cursor.connection.execute("PRAGMA busy_timeout").fetchone()[0])

    sa.event.listen(store.engine, "before_cursor_execute", checkpointing)
    with _snapshot_held(url):
        store.redact("case-01", 1, ["actor.name"], "Erasure", by=CLERK, on=REDACTED_ON)
    assert len(waits) >= 3  # at least three tries
    assert set(waits) == {200}  # each waiting 0.2 s for the reader
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1000
    waits.clear()
    store.redact("case-01", 2, ["actor.name"], "Erasure", by=CLERK, on=REDACTED_ON)
    assert waits == [200]  # no reader: once, and done
    store.close()


def test_the_wal_flush_waits_out_a_writer_as_long_as_the_busy_timeout(tmp_path: Path) -> None:
    """A writer taking the lock as the redaction commits, and holding it a second: the flush
    waits for it, as any write does, and the removed value leaves the -wal file (three tries
    of a fifth of a second gave up, the value left there: found by a review)."""
    folder = tmp_path / "db"
    folder.mkdir()
    path = folder / "cases.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{path}", calendar=CALENDAR)
    store.create_schema()
    case = built("case-01", 3)
    store.save(case)
    locked, released = threading.Event(), threading.Event()

    def write_a_second() -> None:
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(1.0)
        released.set()  # before the lock goes: the flush cannot have emptied the file yet
        writer.execute("ROLLBACK")
        writer.close()

    def checkpointing(*args: Any) -> None:
        if "wal_checkpoint" in args[2] and not locked.is_set():
            threading.Thread(target=write_a_second).start()
            locked.wait()

    sa.event.listen(store.engine, "before_cursor_execute", checkpointing)
    _erase_child(store)
    assert released.is_set()  # the flush ended after the writer did
    _erased_everywhere(folder, case.pupil.name.encode())
    store.close()


def test_a_retention_run_stopped_by_ctrl_c_flushes_briefly_on_its_way_out(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What it removed is flushed, in three short tries beside a reader, not for the whole
    busy timeout after the officer asked it to stop (found by a review)."""
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR, busy_timeout=3)
    store.create_schema()
    for n in (1, 2):
        store.save(built(f"case-0{n}", 11))
    store.retention = RetentionPolicy(years=7, basis="last_entry")
    on = dt.date(2034, 9, 1)
    clock(on)
    redact, redacted = store._redact, []

    def stopped_at_the_second(*args: Any, **kwargs: Any) -> Any:
        if redacted:
            raise KeyboardInterrupt
        redacted.append(args[0])
        return redact(*args, **kwargs)

    monkeypatch.setattr(store, "_redact", stopped_at_the_second)
    tries: list[str] = []
    sa.event.listen(
        store.engine,
        "before_cursor_execute",
        lambda *args: tries.append(args[2]) if "wal_checkpoint" in args[2] else None,
    )
    with _snapshot_held(url), pytest.raises(KeyboardInterrupt):
        store.apply_retention(on, by=CLERK)
    assert redacted == ["case-01"]
    assert len(tries) == 3
    store.close()


def test_ctrl_c_during_the_wal_flush_is_ctrl_c(tmp_path: Path) -> None:
    """Not a database error telling the officer to retry a redaction already committed (the
    restore of the busy timeout ran on the connection the interrupt had invalidated)."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'cases.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))

    def interrupted(*args: Any) -> None:
        if "wal_checkpoint" in args[2]:
            raise KeyboardInterrupt

    sa.event.listen(store.engine, "before_cursor_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _erase_child(store)
    sa.event.remove(store.engine, "before_cursor_execute", interrupted)
    assert store.load("case-01").pupil.name.startswith("(redacted on ")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    store.close()


MARKED = "$redacted:" + "ab" * 32
"""An actor column as a redaction leaves it: the removed value's digest, marked."""


@pytest.mark.parametrize("field", ["id", "name"])
@pytest.mark.parametrize("value", [MARKED, "$redacted", "$redacted:anything"])
def test_an_actor_named_as_a_redaction_leaves_a_column_is_refused(field: str, value: str) -> None:
    """Stored as given, it read back as removed: verify() called the store's own new entry
    tampered, and "who acted" showed as "(redacted)" with no redaction behind it (found by a
    review)."""
    given = {"id": "ap-1", "name": "Pat Head", field: value}
    with pytest.raises(FormInvalid) as refused:
        Actor(given["id"], given["name"], Role.AP_HEAD, "Oak Learning Centre")
    assert refused.value.problems == (
        (
            field,
            "must not start with $redacted, which a store writes in place of a removed value",
        ),
    )


def test_an_actor_whose_name_only_holds_the_mark_later_on_is_accepted() -> None:
    actor = Actor("ap-1", "Pat $redacted:x", Role.AP_HEAD, "Oak Learning Centre")
    assert actor.name == "Pat $redacted:x"


def test_the_command_line_refuses_an_actor_named_as_a_removed_value(demo_db: str) -> None:
    before = ok(invoke(demo_db, "history", "DEMO-0001", "--format", "json")).stdout
    given = list(OFFICER)
    given[given.index("--actor-name") + 1] = MARKED
    result = invoke(
        demo_db, "redact", "DEMO-0001", "2", "form.parent_name", "--reason", "Request", *given
    )
    no_traceback(result)
    assert result.exit_code == 2
    assert "must not start with $redacted" in result.output
    assert ok(invoke(demo_db, "history", "DEMO-0001", "--format", "json")).stdout == before


def _leave_redacting(store: SqlAlchemyStore, case_id: str, seq: int) -> None:
    """What only a write behind the store leaves: a row naming an entry in `rfsm_redacting`
    outside a redaction's transaction, which lifts the guard on that entry's columns."""
    with store.engine.begin() as conn:
        conn.execute(schema.redacting.insert(), {"case_id": case_id, "seq": seq})


def test_an_entry_left_named_in_rfsm_redacting_is_reported(sql_store: SqlAlchemyStore) -> None:
    """verify() called the store sound while the append-only guard was lifted on the entry
    (found by a review)."""
    sql_store.save(built("case-01", 3))
    assert sql_store.verify() == []
    _leave_redacting(sql_store, "case-01", 2)
    [problem] = sql_store.verify()
    assert (problem.case_id, problem.seq) == ("case-01", 2)
    assert problem.what.startswith("rfsm_redacting names the entry outside a redaction")


def test_a_redaction_of_an_entry_left_named_in_rfsm_redacting_is_refused_plainly(
    sql_store: SqlAlchemyStore,
) -> None:
    """It said another writer had stored the case at the same moment: retry, for ever."""
    sql_store.save(built("case-01", 3))
    _leave_redacting(sql_store, "case-01", 2)
    before = _state(sql_store, "case-01")
    with pytest.raises(AlteredRow) as refused:
        sql_store.redact("case-01", 2, ["form.parent_name"], "Request", by=CLERK, on=REDACTED_ON)
    assert refused.value.retryable is False
    assert refused.value.case_id == "case-01"
    assert "rfsm_redacting names entry 2 outside a redaction" in str(refused.value)
    assert _state(sql_store, "case-01") == before


def _alter(store: SqlAlchemyStore, case_id: str, number: int, **values: Any) -> None:
    """Change log entry `number`'s columns behind the store, past its triggers."""
    drop_triggers(store.engine)
    t = schema.transitions
    with store.engine.begin() as conn:
        conn.execute(sa.update(t).where(t.c.case_id == case_id, t.c.seq == number).values(**values))


READS = {
    "load": lambda store: [t.data for t in store.load("case-01").history],
    "load as of": lambda store: store.load("case-01", as_of=dt.date(2099, 1, 1)),
    "history": lambda store: [t.data for t in store.history("case-01")],
    "load_all": lambda store: [t.data for case in store.load_all() for t in case.history],
}
"""What reads a case's log entries back, each as a caller would, to the data."""


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_log_entry_whose_data_is_no_longer_json_is_a_typed_error(
    sql_store: SqlAlchemyStore, read: Any
) -> None:
    """verify() reported it; every other read raised json's own error, and the command line
    said "this is a bug" (exit 70) (found by a review)."""
    sql_store.save(built("case-01", 3))
    _alter(sql_store, "case-01", 1, data="{")
    with pytest.raises(ProtocolError) as refused:
        read(sql_store)
    assert "changed" in str(refused.value)
    assert sql_store.verify()[0].seq == 1


@pytest.mark.parametrize("number", [1, 2], ids=["its open", "a later entry"])
def test_a_case_changed_behind_the_store_is_passed_over_by_retention_and_the_rest_done(
    sql_store: SqlAlchemyStore, number: int, clock: Any
) -> None:
    """One such case stopped the whole run, naming no case (found by a review). A case whose
    open does not read cannot be shown to be past retention, and is not listed; one whose
    later entry does not read is listed, and passed over; verify() names each."""
    for case_id in ("case-01", "case-02", "case-03"):
        sql_store.save(ended(built(case_id, 3)))
    _alter(sql_store, "case-02", number, data="{")
    on = dt.date(2040, 1, 1)
    clock(on)
    listed = [due.case_id for due in sql_store.past_retention(on)]
    assert listed == (["case-01", "case-03"] if number == 1 else ["case-01", "case-02", "case-03"])
    done = sql_store.apply_retention(on, by=CLERK)
    assert [due.case_id for due in done] == ["case-01", "case-03"]
    passed = [("case-02", "the store holds a row written behind it: run verify")]
    assert [(p.case_id, p.reason) for p in done.passed_over] == ([] if number == 1 else passed)
    assert {problem.case_id for problem in sql_store.verify()} == {"case-02"}


def test_a_checkpoint_of_a_log_entry_whose_number_is_no_longer_one_is_a_store_error(
    tmp_path: Path,
) -> None:
    """SQLite keeps text in an integer column: `2x` failed the nightly checkpoint with
    Python's own ValueError (found by a review)."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'altered.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    _alter(store, "case-01", 3, seq="3x")
    with pytest.raises(AlteredRow) as refused:
        store.checkpoint()
    assert "could not take a checkpoint: a stored row does not read" in str(refused.value)
    store.close()


def test_a_log_entry_altered_so_is_named_plainly_on_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'altered.sqlite'}"
    ok(invoke(url, "demo"))
    store = SqlAlchemyStore(url)
    _alter(store, "DEMO-0004", 2, data="{")
    store.close()
    for command in (
        ("timeline", "DEMO-0004"),
        ("history", "DEMO-0004"),
        ("export", "--all"),
    ):
        result = invoke(url, *command)
        no_traceback(result)
        assert result.exit_code in (2, 3), (command, result.output)
        assert "changed" in result.output
        assert "bug" not in result.output


ALTERED_ROWS = {
    "data nested past Python's depth": (
        "UPDATE rfsm_transitions SET data = :deep WHERE case_id = 'case-01' AND seq = 2",
        lambda store: [t.data for t in store.history("case-01")],
    ),
    "a case row's day no day": (
        "UPDATE rfsm_cases SET last_on = 'garbage'",
        lambda store: store.cases(),
    ),
    "an open item's kind no kind": (
        "UPDATE rfsm_open_items SET kind = 'bogus'",
        lambda store: store.due(dt.date(2099, 1, 1)),
    ),
    "a redaction record's time no time": (
        "UPDATE rfsm_redactions SET redacted_at = 'garbage'",
        lambda store: store.redactions("case-01"),
    ),
    "an entry's trigger no step": (
        "UPDATE rfsm_transitions SET trigger_name = 'bogus' WHERE case_id = 'case-01' AND seq = 3",
        lambda store: documents.documents(store.load("case-01")),
    ),
    "a ledger row's points no number": (
        "UPDATE rfsm_weightings SET points = 'x'",
        lambda store: store.ledger(dt.date(2000, 1, 1), dt.date(2099, 1, 1)),
    ),
}


@pytest.mark.parametrize(("change", "read"), ALTERED_ROWS.values(), ids=ALTERED_ROWS.keys())
def test_a_row_sqlite_keeps_as_changed_behind_the_store_is_a_typed_error(
    tmp_path: Path, change: str, read: Any
) -> None:
    """Each raised Python's own error, and the command line said "this is a bug" (found by a
    review). SQLite keeps whatever text it is given in any column."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'altered.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 11))
    store.redact("case-01", 2, ["form.parent_name"], "Request", by=CLERK, on=REDACTED_ON)
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text(change), {"deep": "[" * 5000 + "]" * 5000})
    with pytest.raises(ProtocolError) as refused:
        read(store)
    if "unknown trigger 'bogus'" not in str(refused.value):
        assert isinstance(refused.value, AlteredRow), refused.value
        assert refused.value.retryable is False
        assert "changed behind the store" in str(refused.value)
    store.close()


@pytest.mark.parametrize("column", ["number", "seq"])
def test_a_redaction_record_numbered_with_text_is_named_and_the_rest_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    """SQLite keeps text in an INTEGER column: a redaction record numbered `x` made verify()
    raise Python's ValueError for the whole store, with any workers, and the command line exit
    70, "this is a bug", reporting nothing (found by a review). The record is named as a
    problem of its case, and every other case is still checked."""
    # A range per case: workers=2 spreads them.
    monkeypatch.setattr(sql_verifying, "_VERIFY_BATCH", 1)
    url = f"sqlite:///{tmp_path / 'altered.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    for case_id in ("case-01", "case-02", "case-03", "case-04"):
        store.save(built(case_id, 4))
    store.redact("case-02", 2, ["form.parent_name"], "Request", by=CLERK, on=REDACTED_ON)
    assert store.verify() == []
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE rfsm_redactions SET {column} = 'x'"))
        conn.execute(sa.text("UPDATE rfsm_cases SET last_hash = 'f00d' WHERE case_id = 'case-04'"))
    found = store.verify()
    assert store.verify(workers=2) == found
    assert {problem.case_id for problem in found} == {"case-02", "case-04"}
    named = [problem for problem in found if "redaction record numbered" in problem.what]
    assert [problem.case_id for problem in named] == ["case-02"]
    assert "no whole number (altered" in named[0].what
    store.close()
    result = invoke(url, "verify")
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert "case-02" in result.output
    assert "case-04" in result.output
    assert "bug" not in result.output


@pytest.mark.parametrize(
    "change",
    ["payload_digest = hex(payload_digest)", "hash = lower(hex(hash))", "payload_salt = 'salt'"],
    ids=["digest", "hash", "salt"],
)
def test_a_log_digest_sqlite_keeps_as_text_is_named_as_an_altered_row(
    tmp_path: Path, change: str
) -> None:
    """SQLite keeps text in a BLOB column: one entry's digest overwritten with text made
    verify() refuse the whole store as predating schema revision 0006 (the command line: exit
    3, "the database is unavailable"), naming no row, though it had just found the schema at
    the newest revision (found by a review). The entry is named; the rest is checked.
    (A store that does predate 0006 is still refused: test_stores_rows.)"""
    url = f"sqlite:///{tmp_path / 'altered.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    for case_id in ("case-01", "case-02", "case-03"):
        store.save(built(case_id, 4))
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(f"UPDATE rfsm_transitions SET {change} WHERE case_id = 'case-02' AND seq = 2")
        )
    found = store.verify()
    assert {problem.case_id for problem in found} == {"case-02"}
    column = change.split(" ")[0]
    assert (
        Problem("case-02", 2, f"its {column} holds text where the store keeps bytes (altered)")
        in found
    )
    store.close()
    result = invoke(url, "verify")
    no_traceback(result)
    assert result.exit_code == 1, result.output
    assert "case-02" in result.output
    assert "0006" not in result.output


def test_a_case_left_named_in_rfsm_redacting_is_passed_over_by_retention_and_the_rest_done(
    tmp_path: Path, clock: Any
) -> None:
    """One such row stopped the whole nightly run, saying the database was unavailable (found
    by a review)."""
    url = f"sqlite:///{tmp_path / 'retention.sqlite'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    for case_id in ("case-01", "case-02", "case-03"):
        store.save(ended(built(case_id, 3)))
    _leave_redacting(store, "case-01", 2)
    store.close()
    on = "2040-01-01"
    clock(dt.date(2040, 1, 1))
    clerk = ("--actor-id", CLERK.id, "--actor-name", CLERK.name, "--role", CLERK.role.value)
    result = invoke(
        url,
        "retention",
        "--on",
        on,
        "--apply",
        *clerk,
        "--organisation",
        AUTHORITY,
        "--format",
        "json",
    )
    no_traceback(result)
    assert result.exit_code == 0, result.output
    rows = {row["case_id"]: row["action"] for row in json.loads(result.stdout)}
    assert rows == {"case-01": "none", "case-02": "redacted", "case-03": "redacted"}
    assert "note: case case-01 is past retention and was not redacted" in result.stderr


def test_a_case_as_of_a_day_with_an_entry_dated_later_behind_the_store_is_named_plainly(
    tmp_path: Path,
) -> None:
    """SQLite compares the altered text as after the day: the entry dropped out of the read,
    and the replay said "history.3: expected seq 2" (found by a review)."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'altered.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 4))
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE rfsm_transitions SET on_date = 'garbage' WHERE seq = 2"))
    with pytest.raises(AlteredRow) as refused:
        store.load("case-01", as_of=dt.date(2099, 1, 1))
    assert "entry 2 is dated after the entries that follow it; run verify" in str(refused.value)
    assert refused.value.retryable is False
    store.close()


@pytest.mark.parametrize("stamp", ["garbage", "2026-13-01 00:00:00", 12])
def test_a_redaction_of_an_entry_whose_recorded_time_was_altered_names_the_row(
    tmp_path: Path, stamp: object
) -> None:
    """A redaction is compared with the day each entry it removes values from was recorded
    (review U, U2): a `recorded_at` SQLite holds as no time (altered behind the store) is an
    altered row, named, not a date to compare or a traceback."""
    store = SqlAlchemyStore(f"sqlite:///{tmp_path / 'altered.sqlite'}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 1))
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE rfsm_transitions SET recorded_at = :v"), {"v": stamp})
    with pytest.raises(AlteredRow) as refused:
        store.redact("case-01", 1, ["pupil.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
    assert str(refused.value) == (
        "could not redact case 'case-01': a stored row does not read as the store writes it: "
        f"entry 1 is recorded at {stamp!r}, which is no time; run verify"
    )
    assert (refused.value.case_id, refused.value.retryable) == ("case-01", False)
    assert store.verify()  # the hash no longer holds: verify names the entry
    store.close()


def test_a_redaction_by_a_clock_behind_across_midnight_names_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The entry was recorded at 00:05 (UTC, TZ=UTC) by a machine whose clock is right; this
    one reads 23:50 the day before, 15 minutes behind. The refusal names the clock (review U,
    U3), not the date: U2's "date it the day it is done" blamed the day the officer typed,
    today by their clock, and the next day's is refused as after today (review RV, RV2)."""
    from reintegration_fsm import rules
    from reintegration_fsm.stores import memory_redacting, memory_saving

    monkeypatch.setattr(rules.dates, "_LIMIT", [0.0, dt.date.min])  # (today read again, in UTC)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        store = InMemoryStore(calendar=CALENDAR)
        today = dt.date.today()
        midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
        clocks = (memory_saving, memory_redacting)  # where the store's saves and redactions ask
        for module in clocks:
            monkeypatch.setattr(module, "utc_now", lambda: midnight + dt.timedelta(minutes=5))
        store.save(built("case-01", 3))
        for module in clocks:
            monkeypatch.setattr(module, "utc_now", lambda: midnight - dt.timedelta(minutes=10))
        with pytest.raises(StoreError, match="clock reads") as refused:
            store.redact("case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=today)
        assert not refused.value.retryable
        assert "date it the day it is done" not in str(refused.value)
    finally:
        monkeypatch.undo()
        time.tzset()
