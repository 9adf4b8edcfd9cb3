"""Review EV: the audit log as evidence for an independent expert, and an attacker's edits.

The expert follows docs/evidence.md only: the page's own blocks are run here against what the
command line writes for the demo database.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from reintegration_fsm.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"
ENV: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}


def _block(heading: str, language: str) -> str:
    """The first ```language block after `heading` in docs/evidence.md."""
    page = (DOCS / "evidence.md").read_text(encoding="utf-8")
    return page[page.index(heading) :].split(f"```{language}\n", 1)[1].split("```", 1)[0]


def _run(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", url, *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


def _openssl_verifies_ed25519() -> bool:
    found = shutil.which("openssl")
    if found is None:
        return False
    version = subprocess.run([found, "version"], capture_output=True, text=True).stdout
    return re.match(r"OpenSSL [3-9]\.", version) is not None


@pytest.mark.skipif(not _openssl_verifies_ed25519(), reason="needs OpenSSL 3")
def test_ev2_the_documented_openssl_check_holds_for_a_signed_checkpoint_and_not_an_edited_one(
    demo_db: str, tmp_path: Path
) -> None:
    """EV2: docs/evidence.md gives an expert the exact bytes signed and how to check them with
    OpenSSL; its blocks, run as written, verify a real signed checkpoint, give its key_id, and
    refuse one whose time was set back."""
    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "key.pem").chmod(0o600)
    (tmp_path / "checkpoint.pub.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    out = tmp_path / "checkpoint.json"
    _run(demo_db, "checkpoint", "--sign", str(tmp_path / "key.pem"), "-o", str(out))
    python = _block("### The signature with OpenSSL alone", "python")
    shell = _block("### The signature with OpenSSL alone", "sh")

    def check() -> subprocess.CompletedProcess[str]:
        exec(compile(python, "evidence.md", "exec"), {"Path": lambda p: tmp_path / p})
        return subprocess.run(
            ["bash", "-e", "-c", shell], cwd=tmp_path, capture_output=True, text=True
        )

    held = json.loads(out.read_text())
    checked = check()
    assert checked.returncode == 0, checked.stderr
    assert "Signature Verified Successfully" in checked.stdout
    assert held["signature"]["key_id"] in checked.stdout
    held["taken_at"] = "2020-01-01T00:00:00Z"  # an old checkpoint passed off as another day's
    out.write_text(json.dumps(held))
    assert check().returncode != 0


def _differences() -> Any:
    namespace: dict[str, Any] = {}
    exec(
        compile(_block("### An export is not evidence", "python"), "evidence.md", "exec"), namespace
    )
    return namespace["differences"]


def _edits(kept: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An attacker's edits of an exported case, each leaving a file that reads."""
    edits = {}
    dated = copy.deepcopy(kept)
    dated["history"][4]["on"] = "2026-01-13"
    edits["a decision's date"] = dated
    actor = copy.deepcopy(kept)
    actor["history"][4]["actor"]["name"] = "Someone Else"
    edits["a decision's actor"] = actor
    dropped = copy.deepcopy(kept)
    dropped["history"].pop()
    dropped["timeline"].pop()
    edits["the last transition dropped"] = dropped
    swapped = copy.deepcopy(kept)
    swapped["history"][2], swapped["history"][3] = swapped["history"][3], swapped["history"][2]
    edits["two transitions swapped"] = swapped
    hidden = copy.deepcopy(kept)
    hidden["redactions"] = []
    edits["a redaction note removed"] = hidden
    stamped = copy.deepcopy(kept)
    stamped["timeline"][0]["entered_at"] = "2026-01-12T09:00:00Z"
    edits["a stamp changed"] = stamped
    protocol = copy.deepcopy(kept)
    protocol["history"][0]["data"]["protocol"]["version"] = "2"
    edits["the protocol's version"] = protocol
    return edits


def test_ev1_an_edited_export_is_found_only_by_exporting_again_from_the_checked_store(
    demo_db: str, tmp_path: Path
) -> None:
    """EV1: an export carries nothing to check it by; docs/evidence.md says so and gives the
    comparison with an export made again from a checked copy, which finds each of an
    attacker's edits and nothing in an export of the same record."""
    _run(
        demo_db,
        "redact", "DEMO-0001", "2", "form.relationship", "--reason", "Family's request",
        "--actor-id", "la-9", "--actor-name", "Jo Whitfield", "--role", "la_admissions",
        "--organisation", "Exampleshire County Council",
    )  # fmt: skip
    kept_file = tmp_path / "kept.json"
    _run(demo_db, "export", "DEMO-0001", "-o", str(kept_file))
    kept = json.loads(kept_file.read_text())
    assert not re.search(r'"(hash|last_hash|payload_digest|signature)"', kept_file.read_text())
    source = sqlite3.connect(demo_db.removeprefix("sqlite:///"))
    target = sqlite3.connect(tmp_path / "evidence.sqlite")
    source.backup(target)
    source.close()
    target.close()
    fresh_file = tmp_path / "fresh.json"
    _run(f"sqlite:///{tmp_path / 'evidence.sqlite'}", "export", "DEMO-0001", "-o", str(fresh_file))
    fresh = json.loads(fresh_file.read_text())
    differences = _differences()
    assert differences(kept, fresh) == []
    every = _run(demo_db, "export", "--all")
    assert differences(json.loads(every), fresh) == [
        f"DEMO-000{n}: in one export only" for n in (2, 3, 4)
    ]
    for edit, edited in _edits(kept).items():
        assert edited != kept
        assert differences(edited, fresh), edit


def test_ev3_the_page_says_plainly_what_the_checks_cannot_tell() -> None:
    """EV3: what an expert handed the evidence by the party in question must get elsewhere."""
    page = " ".join((DOCS / "evidence.md").read_text(encoding="utf-8").split())
    said = page[page.index("### What the checks cannot tell") :].split("## Subject access")[0]
    for claim in (
        "a history rewritten and chained again, with no checkpoint",
        "an older checkpoint given as the latest",
        "a key pair made by the one who gives the evidence",
        "an export",
    ):
        assert claim in said


@pytest.mark.parametrize("database_url", ["postgresql", "mariadb"], indirect=True)
def test_ev4_the_script_checks_postgresql_and_mariadb_through_their_drivers_as_the_page_says(
    demo_file: Path, database_url: str
) -> None:
    """EV4: docs/evidence.md told an expert on PostgreSQL or MariaDB to give check_log a
    connection whose `execute(sql, params)` takes `?` placeholders, or to copy the rows
    "unchanged" into SQLite. It now names the drivers' own row factories; through them the
    script, as printed on the page, checks a copy of the demo store and its signed checkpoint."""
    import sqlalchemy as sa

    page = " ".join((DOCS / "evidence.md").read_text(encoding="utf-8").split())
    assert "psycopg's `row_factory=dict_row`" in page
    assert "PyMySQL's `cursorclass=DictCursor`" in page
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _run(f"sqlite:///{demo_file}", "db", "copy", database_url)
    from reintegration_fsm.stores import SqlAlchemyStore

    with SqlAlchemyStore(database_url) as store:
        held = json.loads(
            store.checkpoint()
            .sign(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            .to_json()
        )
    script: dict[str, Any] = {"__name__": "check_log"}
    exec(compile((DOCS / "examples" / "check_log.py").read_text(), "check_log.py", "exec"), script)
    layout = json.loads((DOCS / "examples" / "at_rest.json").read_text())
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql":
        import psycopg
        from psycopg.rows import dict_row

        connection: Any = psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database,
            password=url.password, row_factory=dict_row,
        )  # fmt: skip
        db = connection
    else:
        import pymysql
        from pymysql.cursors import DictCursor

        connection = pymysql.connect(
            host=url.host, port=url.port or 3306, user=url.username, database=url.database,
            password=url.password or "", cursorclass=DictCursor,
        )  # fmt: skip

        class Rows:
            def execute(self, sql: str) -> Any:
                cursor = connection.cursor()
                cursor.execute(sql)
                return cursor.fetchall()

        db = Rows()
    try:
        problems, entries, records = script["check_log"](db, layout, held)
        problems += script["check_checkpoint"](held, entries, records, public)
    finally:
        connection.close()
    assert problems == []
    assert sum(len(hashes) for hashes in entries.values()) == 48
