"""Evidence and the command line as a review of the day's fixes tried them (found by a review;
each test failed on ca166d1): the parent's name still removable, forged legacy redaction notes,
school names compared within an authority, public keys given to `--sign`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import test_stores_evidence
from legacy_rows import as_scheme_2
from reintegration_fsm.stores import InMemoryStore, SqlAlchemyStore
from reintegration_fsm.stores.hashing import redaction_hash
from scenario import ADMISSIONS, AP_HEAD
from store_contract import CALENDAR, REDACTED_ON, built
from test_cli_boundary import OPEN_DATA, invoke, write

ROOT = Path(__file__).resolve().parent.parent
CHECK_LOG = ROOT / "docs" / "examples" / "check_log.py"


def test_the_parents_name_can_be_removed_as_docs_evidence_md_shows(tmp_path: Path) -> None:
    """docs/evidence.md runs `redact DEMO-0001 2 form.parent_name` on the demo database; since
    edition 3's R2 (the parent named signs) it is refused, with a hint naming the child's name
    and date of birth and `all`, neither of which helps (only adding form.signed_by does)."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    assert invoke(url, "demo").exit_code == 0
    result = invoke(
        url, "redact", "DEMO-0001", "2", "form.parent_name", "--reason", "Family's request",
        "--on", REDACTED_ON.isoformat(), "--actor-id", "la-9", "--actor-name", "Jo Whitfield",
        "--role", "la_admissions", "--organisation", "Exampleshire County Council",
    )  # fmt: skip
    # Either the documented command works, or its refusal names the value to remove with it.
    assert result.exit_code == 0 or "form.signed_by" in result.stderr, result.stderr


def _forged_note_on_a_0010_entry(tmp_path: Path) -> tuple[SqlAlchemyStore, object, Path]:
    """A case written at revision 0010 (digest scheme 2, salted, no keys), checkpointed; then
    a note without paths forged by hand as entry 2's first record, naming a member of staff,
    stamped now: no 0003 upgrade ever left one there (the case was never re-digested, and the
    upgrade's notes name no actor)."""
    path = tmp_path / "forged.db"
    store = SqlAlchemyStore(f"sqlite:///{path}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    as_scheme_2(store)
    assert store.verify() == []
    checkpoint = store.checkpoint()
    rows = test_stores_evidence.TestSqliteEvidence()
    case, entries, _notes, items, ledger = rows.rows_of(store, "case-01")
    note = {
        "case_id": "case-01",
        "seq": 2,
        "number": 1,
        "redacted_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        "redacted_on": None,
        "reason": "Removed at the family's request",
        "paths": None,
        "actor_id": AP_HEAD.id,
        "actor_name": AP_HEAD.name,
        "actor_role": AP_HEAD.role.value,
        "actor_organisation": AP_HEAD.organisation,
        "payload_digest": entries[1]["payload_digest"],
    }
    note["hash"] = redaction_hash(note, entries[1]["hash"])
    rows.write_rows(store, "case-01", ({**case, "redactions": 1}, entries, [note], items, ledger))
    return store, checkpoint, path


def test_a_forged_legacy_note_naming_its_maker_is_reported(
    tmp_path: Path,
) -> None:
    store, checkpoint, _ = _forged_note_on_a_0010_entry(tmp_path)
    [note] = store.redactions("case-01")
    assert note.legacy  # a 'revision 2' erasure...
    assert note.by == AP_HEAD  # ...by a named head
    assert [p for p in store.verify(checkpoint=checkpoint) if p.case_id == "case-01"] != []


def test_check_log_reports_the_same_forged_note(tmp_path: Path) -> None:
    store, _, path = _forged_note_on_a_0010_entry(tmp_path)
    store.close()
    ran = subprocess.run(
        [sys.executable, str(CHECK_LOG), str(path)], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 1, ran.stdout


def _open(url: str, folder: Path, case_id: str, school: str, authority: str, *scope: str) -> Any:
    data = {**OPEN_DATA, "ap_setting": school, "local_authority": authority}
    given = write(folder / f"open-{uuid.uuid4().hex}.json", json.dumps(data))
    actor = ["--actor-id", "ap-1", "--actor-name", "Morgan Reed", "--role", "ap_head"]
    return invoke(
        url, *scope, "apply", case_id, "open", "--data", given, *actor,
        "--organisation", school, "--on", "2026-01-12",
    )  # fmt: skip


def test_the_school_name_check_compares_within_the_case_s_authority(tmp_path: Path) -> None:
    """Another authority's case names 'St Mary's Centre'; an officer of Example County opens a
    case at its own 'St Mary's CENTRE'. With --authority it is recorded; without, refused
    ('two schools to the Fair Access ledger', though the ledger is per authority)."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert _open(url, tmp_path, "A-1", "St Mary's Centre", "Otherborough Council").exit_code == 0
    ours = "Example County Council"
    unscoped = _open(url, tmp_path, "B-1", "St Mary's CENTRE", ours)
    scoped = _open(url, tmp_path, "B-2", "St Mary's CENTRE", ours, "--authority", ours)
    assert (unscoped.exit_code, scoped.exit_code) == (scoped.exit_code, scoped.exit_code), (
        unscoped.stderr
    )


def _public_keys(folder: Path) -> list[Path]:
    ecdsa = ec.generate_private_key(ec.SECP256R1()).public_key()
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    found = {
        "ecdsa.pub": ecdsa.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ),
        "ed.pub.der": ed.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    }
    paths = []
    for name, key in found.items():
        path = folder / name
        path.write_bytes(key)
        os.chmod(path, 0o644)
        paths.append(path)
    return paths


def test_a_public_key_of_any_format_given_to_sign_is_named_a_public_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = SqlAlchemyStore(url, calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 1))
    store.close()
    for key in _public_keys(tmp_path):
        result = invoke(url, "checkpoint", "--sign", str(key), "-o", str(tmp_path / "cp.json"))
        assert result.exit_code == 2
        assert "can be reached by other users" not in result.stderr, (key.name, result.stderr)
        assert "public key" in result.stderr, (key.name, result.stderr)


def test_the_library_removes_the_parents_name_alone() -> None:
    """The parent's name alone is removed, as the documented command does (a rule comparing
    it with the form's signature refused it: the case would no longer load); the signature,
    the same name, goes with it as a copy."""
    store = InMemoryStore(calendar=CALENDAR)
    store.save(built("case-01", 3))
    [note] = store.redact(
        "case-01", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON
    )
    assert note.paths == ("form.parent_name", "form.signed_by")
    assert note.copies == ("form.signed_by",)
    assert store.load("case-01").history[1].data["form"]["parent_name"].startswith("(redacted")
