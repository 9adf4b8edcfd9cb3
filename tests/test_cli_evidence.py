"""The CLI's evidence commands, as an officer runs them: checkpoint and verify --checkpoint,
redact, retention, timeline and due --as-of, and export as a subject access response; on
SQLite, and end to end on PostgreSQL too."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from keys import key_files
from raw_sqlite import tamper
from reintegration_fsm import Actor, Pupil, Reintegration, Role, SchoolCalendar
from reintegration_fsm.cli import cli, subject_access
from reintegration_fsm.cli.subject_access import PREAMBLE
from reintegration_fsm.cli.text import to_json
from reintegration_fsm.stores import SqlAlchemyStore, schema, streaming
from reintegration_fsm.stores.migrate import restore_guards
from store_contract import drop_triggers, reachable_engine, reset_database

OFFICER = (
    "--actor-id",
    "la-9",
    "--actor-name",
    "Jo Whitfield",
    "--role",
    "la_admissions",
    "--organisation",
    "Exampleshire County Council",
)
PAST_RETENTION = "2040-01-01"
"""After every demo child's date of birth + 25 years."""


def today() -> str:
    """The day the tests' redactions are dated: the day they are done, on or after the day the
    entries they remove values from were recorded (read when asked: the session's demo store
    is made after this module is imported, maybe on the next day)."""
    return dt.date.today().isoformat()


DOCS = Path(__file__).resolve().parent.parent / "docs"
SRC = Path(__file__).resolve().parent.parent / "src"
CHILD, BORN = "Rowan Testwell", "2012-03-09"
"""DEMO-0001's child (invented)."""


def invoke(url: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run the command in-process against the database at `url`."""
    environment: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    environment.update(env or {})
    return CliRunner().invoke(cli, ["--db", url, *args], env=environment)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _delete_case(url: str, case_id: str) -> None:
    """What an administrator of the database can do: the case and its log gone, and the log's
    triggers made again after (else `verify` names them missing)."""
    engine = sa.create_engine(url)
    drop_triggers(engine)
    with engine.begin() as conn:
        for table in (schema.transitions, schema.cases, schema.open_items, schema.weightings):
            conn.execute(sa.delete(table).where(table.c.case_id == case_id))
        restore_guards(conn)
    engine.dispose()


# -- checkpoint and verify ---------------------------------------------------------------------
def test_a_checkpoint_is_written_private_and_verify_checks_the_store_against_it(
    demo_db: str, tmp_path: Path
) -> None:
    target = tmp_path / "checkpoint.json"
    result = ok(invoke(demo_db, "checkpoint", "-o", str(target)))
    assert "checkpoint of 4 case(s)" in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [c["case_id"] for c in json.loads(target.read_text())["cases"]] == [
        "DEMO-0001",
        "DEMO-0002",
        "DEMO-0003",
        "DEMO-0004",
    ]
    assert "still extends it" in ok(invoke(demo_db, "verify", "--checkpoint", str(target))).stdout
    _delete_case(demo_db, "DEMO-0003")
    assert ok(invoke(demo_db, "verify")).stdout.startswith("sound")  # the chain cannot tell
    caught = invoke(demo_db, "verify", "--checkpoint", str(target))
    assert caught.exit_code == 1
    assert "DEMO-0003" in caught.stdout
    assert "gone" in caught.stdout
    as_json = invoke(demo_db, "verify", "--checkpoint", str(target), "--format", "json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)[0]["case_id"] == "DEMO-0003"


def test_a_signed_checkpoint_is_checked_with_the_public_key(demo_db: str, tmp_path: Path) -> None:
    private, public = key_files(tmp_path, "nightly")
    _, stranger = key_files(tmp_path, "stranger")
    target = tmp_path / "signed.json"
    assert (
        "(signed)"
        in ok(invoke(demo_db, "checkpoint", "--sign", str(private), "-o", str(target))).stderr
    )
    assert private.read_bytes() not in target.read_bytes()
    ok(invoke(demo_db, "verify", "--checkpoint", str(target), "--public-key", str(public)))
    unsigned_check = ok(invoke(demo_db, "verify", "--checkpoint", str(target)))
    assert "give --public-key" in unsigned_check.stderr
    wrong = invoke(demo_db, "verify", "--checkpoint", str(target), "--public-key", str(stranger))
    assert wrong.exit_code == 1
    assert "another key" in wrong.stdout


def _routine(heading: str) -> str:
    """The shell of the first ```sh block after `heading` in docs/evidence.md."""
    page = (DOCS / "evidence.md").read_text(encoding="utf-8")
    return page[page.index(heading) :].split("```sh\n", 1)[1].split("```", 1)[0]


def _run_nightly(folder: Path, url: str, block: str) -> subprocess.CompletedProcess[str]:
    """Run a block of the nightly routine in `folder` as a shell runs it, with
    `reintegration-fsm` this checkout's CLI on `url` and `page-the-dpo` logging its call."""
    script = folder / "routine.sh"
    script.write_text(
        'page-the-dpo() { echo "$*" >> paged.log; }\n'
        f'reintegration-fsm() {{ "{sys.executable}" -m reintegration_fsm --db "{url}" "$@"; }}\n'
        + block,
        encoding="utf-8",
    )
    environment = dict(os.environ, PYTHONPATH=str(SRC))
    for name in ("RFSM_CALENDAR", "RFSM_AUTHORITY", "RFSM_DATABASE_URL"):
        environment.pop(name, None)
    return subprocess.run(
        ["bash", str(script)], cwd=folder, env=environment, capture_output=True, text=True
    )


def _nightly_folder(tmp_path: Path, url: str) -> Path:
    """A folder holding the key pair and the first night's checkpoint, as docs/evidence.md
    makes them."""
    private, _ = key_files(tmp_path, "checkpoint-key")
    assert private.name == "checkpoint-key.pem"
    first = _run_nightly(tmp_path, url, _routine("The first night"))
    assert first.returncode == 0, first.stderr
    return tmp_path


def test_the_nightly_routine_rotates_the_checkpoint_of_a_store_that_verifies(
    demo_db: str, tmp_path: Path
) -> None:
    folder = _nightly_folder(tmp_path, demo_db)
    first = (folder / "checkpoints" / "yesterday.json").read_text()
    night = _run_nightly(folder, demo_db, _routine("Every night, from that machine"))
    assert night.returncode == 0, night.stderr
    assert not (folder / "paged.log").exists()
    [tonight] = [p for p in (folder / "checkpoints").iterdir() if p.name != "yesterday.json"]
    assert (folder / "checkpoints" / "yesterday.json").read_text() == tonight.read_text()
    assert tonight.read_text() != first


def _key_change_blocks() -> list[str]:
    """The ```sh blocks of docs/evidence.md's "Changing the key pair", in order."""
    page = (DOCS / "evidence.md").read_text(encoding="utf-8")
    section = page[page.index("### Changing the key pair") :].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sh\n")[1:]]


def test_the_key_pair_changes_as_the_docs_say_and_each_checkpoint_checks_with_its_own_key(
    demo_db: str, tmp_path: Path
) -> None:
    """docs/evidence.md's key change: a new pair, one night signed with it while last night's
    checkpoint is checked with the old public key, the old pair retired; the routine then runs
    unchanged, and the first night's checkpoint still checks with the old public key kept."""
    folder = _nightly_folder(tmp_path, demo_db)
    first = folder / "first.json"
    first.write_bytes((folder / "checkpoints" / "yesterday.json").read_bytes())
    make, retire = _key_change_blocks()
    nightly = _routine("Every night, from that machine")
    changed = nightly.replace("--sign checkpoint-key.pem", "--sign new-checkpoint-key.pem")
    assert changed.count("new-checkpoint-key.pem") == 1
    for block in (make, changed, retire, nightly):
        ran = _run_nightly(folder, demo_db, block)
        assert ran.returncode == 0, ran.stderr
    assert not (folder / "paged.log").exists()
    [kept] = folder.glob("checkpoint-key-until-*.pub.pem")
    old_key = ["--public-key", str(kept)]
    new_key = ["--public-key", str(folder / "checkpoint-key.pub.pem")]
    latest = ["--checkpoint", str(folder / "checkpoints" / "yesterday.json")]
    ok(invoke(demo_db, "verify", "--checkpoint", str(first), *old_key))
    ok(invoke(demo_db, "verify", *latest, *new_key))
    for crossed in (["--checkpoint", str(first), *new_key], [*latest, *old_key]):
        wrong = invoke(demo_db, "verify", *crossed)
        assert wrong.exit_code == 1
        assert "signed with another key" in wrong.stdout
    assert sorted(p.name for p in folder.glob("*.pem")) == sorted(
        ["checkpoint-key.pem", "checkpoint-key.pub.pem", kept.name]
    )


def test_the_nightly_routine_stops_on_a_failed_verify_and_keeps_yesterdays_checkpoint(
    demo_db: str, tmp_path: Path
) -> None:
    """docs/evidence.md's routine paged the DPO and went on to sign tonight's checkpoint of a
    store that had just failed verify, replacing yesterday's: the next night's verify passed
    and the deletion was anchored (found by a review). It stops: each night pages again, and
    no checkpoint is taken."""
    folder = _nightly_folder(tmp_path, demo_db)
    yesterday = folder / "checkpoints" / "yesterday.json"
    kept = yesterday.read_text()
    _delete_case(demo_db, "DEMO-0003")
    for _night in (1, 2):
        night = _run_nightly(folder, demo_db, _routine("Every night, from that machine"))
        assert night.returncode == 1
    assert (folder / "paged.log").read_text().splitlines() == [
        "verify failed: no checkpoint taken tonight"
    ] * 2
    assert yesterday.read_text() == kept
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["yesterday.json"]


def test_a_checkpoint_extending_the_last_is_refused_naming_each_problem_and_writes_nothing(
    demo_db: str, tmp_path: Path
) -> None:
    """A case deleted between the night's verify and its checkpoint was left out of the new
    checkpoint, and could come back later as a case opened since (found by a review):
    `checkpoint --extends` checks in the same read, exits 1 as verify does, and writes
    nothing."""
    private, public = key_files(tmp_path, "nightly")
    last = tmp_path / "last.json"
    ok(invoke(demo_db, "checkpoint", "--sign", str(private), "-o", str(last)))
    extended = tmp_path / "extended.json"
    taken = invoke(
        demo_db, "checkpoint", "--extends", str(last), "--public-key", str(public),
        "--sign", str(private), "-o", str(extended),
    )  # fmt: skip
    ok(taken)
    assert "still extends" not in taken.stderr
    assert json.loads(extended.read_text())["cases"] == json.loads(last.read_text())["cases"]
    _delete_case(demo_db, "DEMO-0003")
    tonight = tmp_path / "tonight.json"
    extended_before = extended.read_bytes()
    for target in (tonight, extended):
        refused = invoke(
            demo_db, "checkpoint", "--extends", str(last), "--public-key", str(public),
            "--sign", str(private), "-o", str(target),
        )  # fmt: skip
        assert refused.exit_code == 1
        no_traceback(refused)
        assert refused.stderr.startswith(
            f"error: checkpoint refused: the database does not extend the checkpoint {last}; "
            "nothing was written\n"
            "  - DEMO-0003: gone: the checkpoint holds it at version "
        )
    assert not tonight.exists()
    assert extended.read_bytes() == extended_before
    _, stranger = key_files(tmp_path, "stranger")
    wrong = invoke(demo_db, "checkpoint", "--extends", str(last), "--public-key", str(stranger))
    assert wrong.exit_code == 1
    assert "  - (checkpoint): the checkpoint was signed with another key" in wrong.stderr
    assert wrong.stdout == ""


def test_a_public_key_without_a_checkpoint_to_extend_is_bad_input(
    demo_db: str, tmp_path: Path
) -> None:
    _, public = key_files(tmp_path, "nightly")
    refused = invoke(demo_db, "checkpoint", "--public-key", str(public))
    assert refused.exit_code == 2
    assert "give --extends" in refused.stderr
    unreadable = invoke(demo_db, "checkpoint", "--extends", str(tmp_path / "none.json"))
    assert unreadable.exit_code == 2
    assert "cannot read the checkpoint" in unreadable.stderr


def test_a_hash_no_checkpoint_can_hold_is_refused_as_an_altered_row(
    demo_db: str, tmp_path: Path
) -> None:
    """`SET hash = X'00'` on a case's last entry: `checkpoint --sign` wrote and signed a file
    `verify --checkpoint` then could not read (found by a review). Refused as an altered row
    (exit 3, "run verify"); nothing written."""
    private, _ = key_files(tmp_path, "nightly")
    engine = sa.create_engine(demo_db)
    drop_triggers(engine)
    with engine.begin() as conn:
        last = conn.execute(
            sa.text("SELECT max(seq) FROM rfsm_transitions WHERE case_id = 'DEMO-0002'")
        ).scalar_one()
        conn.execute(
            sa.text(
                "UPDATE rfsm_transitions SET hash = X'00' "
                "WHERE case_id = 'DEMO-0002' AND seq = :seq"
            ),
            {"seq": last},
        )
    engine.dispose()
    target = tmp_path / "tonight.json"
    refused = invoke(demo_db, "checkpoint", "--sign", str(private), "-o", str(target))
    assert refused.exit_code == 3
    no_traceback(refused)
    assert "case 'DEMO-0002': the hash of its entry" in refused.stderr
    assert "run verify" in refused.stderr
    assert not target.exists()


def test_a_redaction_of_an_entry_holding_both_kinds_of_key_is_bad_input(demo_db: str) -> None:
    """`redact` rewrote an entry verify reports altered (a payload key and leaf keys), and
    verify then called it sound (found by a review): refused, as an entry without a salt."""
    engine = sa.create_engine(demo_db)
    drop_triggers(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE rfsm_transitions SET leaf_keys = :keys "
                "WHERE case_id = 'DEMO-0001' AND seq = 2"
            ),
            {"keys": bytes(range(16))},
        )
    engine.dispose()
    refused = invoke(
        demo_db, "redact", "DEMO-0001", "2", "form.parent_name", "--reason", "Erasure request",
        "--on", today(), *OFFICER,
    )  # fmt: skip
    assert refused.exit_code == 2
    no_traceback(refused)
    assert "entry 2 holds both a payload key and leaf keys" in refused.stderr
    assert "both a payload key and leaf keys" in invoke(demo_db, "verify").stdout


@pytest.mark.parametrize("mode", [0o644, 0o600])
def test_a_public_key_given_to_sign_is_named_as_one(
    demo_db: str, tmp_path: Path, mode: int
) -> None:
    """The public key (0644, as `openssl pkey -pubout` leaves it) given to `--sign` was said
    to have leaked, with advice to make a new key pair (found by a review): it is named a
    public key, whatever its mode, and nothing is written."""
    _, public = key_files(tmp_path, "nightly")
    public.chmod(mode)
    target = tmp_path / "c.json"
    refused = invoke(demo_db, "checkpoint", "--sign", str(public), "-o", str(target))
    assert refused.exit_code == 2
    no_traceback(refused)
    assert f"the signing key {public} is a public key" in refused.stderr
    assert "--sign needs the private key of the pair" in refused.stderr
    assert "new key pair" not in refused.stderr
    assert not target.exists()


def test_a_private_key_others_can_read_is_refused_as_leaked(demo_db: str, tmp_path: Path) -> None:
    private, _ = key_files(tmp_path, "nightly")
    private.chmod(0o644)
    refused = invoke(demo_db, "checkpoint", "--sign", str(private))
    assert refused.exit_code == 2
    assert "can be reached by other users (mode 0644)" in refused.stderr
    assert "make a new key pair" in refused.stderr
    private.chmod(0o600)  # the owner's only: it signs
    assert "(signed)" in ok(invoke(demo_db, "checkpoint", "--sign", str(private))).stderr


def test_an_encrypted_signing_key_takes_its_passphrase_from_the_environment(
    demo_db: str, tmp_path: Path
) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    private = tmp_path / "locked.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"nightly passphrase"),
        )
    )
    private.chmod(0o600)
    refused = invoke(demo_db, "checkpoint", "--sign", str(private))
    assert refused.exit_code == 2
    no_traceback(refused)
    env = {"RFSM_SIGNING_KEY_PASSWORD": "nightly passphrase"}
    assert (
        '"algorithm": "Ed25519"'
        in ok(invoke(demo_db, "checkpoint", "--sign", str(private), env=env)).stdout
    )


IDENTITY = ("pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob")
"""The child's name and date of birth, in the open record and on the consent form."""


def erase(url: str, case_ids: Sequence[str], paths: Sequence[str]) -> None:
    """Remove `paths` from every entry of each case, as an officer erasing a child's record
    today ("Erasure request")."""
    for case_id in case_ids:
        ok(
            invoke(
                url,
                "redact",
                case_id,
                "all",
                *paths,
                "--reason",
                "Erasure request",
                "--on",
                today(),
                *OFFICER,
            )
        )


@pytest.mark.parametrize(
    ("removed", "dob"),
    [(IDENTITY, "0001-01-01"), (("pupil.name", "form.child_name"), BORN)],
    ids=["name and date of birth", "name alone"],
)
def test_a_placeholder_searched_for_finds_no_child(
    demo_db: str, removed: tuple[str, ...], dob: str
) -> None:
    """Two children erased alike matched one search for their placeholder: one "subject
    access response" held two families' data (found by a review)."""
    erase(demo_db, ("DEMO-0001", "DEMO-0003"), removed)
    searched = invoke(
        demo_db, "export", "--pupil", f"(redacted on {today()}: Erasure request)", "--dob", dob
    )
    assert searched.exit_code == 2, searched.output
    assert "no case of" in json.loads(searched.stdout)["error"]


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "--checkpoint", "missing.json"),
        ("verify", "--checkpoint", "garbage.json"),
        ("verify", "--checkpoint", "checkpoint.json", "--public-key", "garbage.json"),
        ("verify", "--checkpoint", "checkpoint.json", "--public-key", "missing.pem"),
        ("verify", "--public-key", "garbage.json"),
        ("checkpoint", "--sign", "missing.pem"),
        ("checkpoint", "--sign", "garbage.json"),
    ],
    ids=" ".join,
)
def test_bad_checkpoint_and_key_files_are_bad_input(
    demo_db: str, tmp_path: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(invoke(demo_db, "checkpoint", "-o", str(tmp_path / "checkpoint.json")))
    (tmp_path / "garbage.json").write_text("{not a checkpoint", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke(demo_db, *args)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert result.stderr.startswith("error: ")


# -- redact ------------------------------------------------------------------------------------
def redact_child() -> tuple[str, ...]:
    """Erase DEMO-0002's name and date of birth today."""
    return (
        "redact",
        "DEMO-0002",
        "all",
        "pupil.name",
        "form.child_name",
        "pupil.date_of_birth",
        "form.child_dob",
        "--reason",
        "Erasure request",
        "--on",
        today(),
        *OFFICER,
    )


def note() -> str:
    """The note an erasure today shows in place of what it removed."""
    return f"(redacted on {today()}: Erasure request)"


def test_a_redaction_shows_its_note_in_every_rendering_and_verify_stays_clean(
    demo_db: str,
) -> None:
    name = json.loads(ok(invoke(demo_db, "export", "DEMO-0002")).stdout)["pupil"]["name"]
    said = ok(invoke(demo_db, *redact_child())).stdout
    assert "DEMO-0002 seq 1: removed pupil.name, pupil.date_of_birth (redaction 1)" in said
    ok(invoke(demo_db, "verify"))
    outputs = {
        "timeline": ok(invoke(demo_db, "timeline", "DEMO-0002")).stdout,
        "timeline json": ok(invoke(demo_db, "timeline", "DEMO-0002", "--format", "json")).stdout,
        "render": ok(invoke(demo_db, "render", "DEMO-0002")).stdout,
        "render text": ok(invoke(demo_db, "render", "DEMO-0002", "--text")).stdout,
        "letter": ok(invoke(demo_db, "letter", "DEMO-0002")).stdout,
        "export": ok(invoke(demo_db, "export", "DEMO-0002")).stdout,
        "export html": ok(invoke(demo_db, "export", "DEMO-0002", "--format", "html")).stdout,
    }
    for what, text in outputs.items():
        # The values removed show their note, and so does every copy of the child's name
        # (signed views, the meetings' attendees).
        assert note() in text, what
        assert name not in text, what
        if what == "export":  # the history keeps its placeholder date, for `import`
            text = json.dumps({k: v for k, v in json.loads(text).items() if k != "history"})
        assert "0001-01-01" not in text, what
    assert outputs["timeline"].splitlines()[0] == (
        f"Case DEMO-0002: {note()} (born {note()}), stage unsuccessful"
    )
    assert name not in outputs["timeline"].splitlines()[0]
    timeline = json.loads(outputs["timeline json"])
    assert timeline["pupil"] == {"name": note(), "date_of_birth": note()}
    exported = json.loads(outputs["export"])
    assert exported["pupil"]["date_of_birth"] == note()
    assert exported["history"][0]["data"]["pupil"]["date_of_birth"] == "0001-01-01"  # importable
    assert [(n["seq"], n["paths"]) for n in exported["redactions"]][:2] == [
        (1, ["pupil.name", "pupil.date_of_birth"]),
        (2, ["form.child_name", "form.child_dob"]),
    ]
    assert [n["paths"] for n in exported["redactions"]][2:] == [
        ["views.signed_by"],
        *[["meeting.attendees.3.name", "meeting.child_views.signed_by"]] * 2,
    ]
    assert exported["redactions"][0]["by"]["name"] == "Jo Whitfield"


@pytest.mark.parametrize(
    "reason",
    [r"Erasure under C:\Requests\2027", r"Request \1 \g<0> \u202e", 'Court <order> & "seal"'],
)
def test_a_redaction_reason_shows_as_typed_in_every_rendering(demo_db: str, reason: str) -> None:
    """A reason holding a backslash (a Windows path, `\\1`) is the note's text, never a
    regular-expression template: the HTML render once ended in exit 70 on `\\u`."""
    args = list(redact_child())
    args[args.index("Erasure request")] = reason
    ok(invoke(demo_db, *args))
    shown_note = f"(redacted on {today()}: {reason})"
    escaped = shown_note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for command in (("render",), ("export", "--format", "html")):
        page = ok(invoke(demo_db, *command, "DEMO-0002")).stdout
        assert escaped.replace('"', "&#34;") in page, command
        assert "0001-01-01" not in page, command
        assert "(removed)" not in page, command
    for command in (("render", "--text"), ("letter",), ("timeline",)):
        assert shown_note in ok(invoke(demo_db, *command, "DEMO-0002")).stdout, command


def test_a_redaction_as_json_lists_its_notes(demo_db: str) -> None:
    result = ok(
        invoke(
            demo_db,
            "redact",
            "DEMO-0001",
            "2",
            "form.parent_name",
            "--reason",
            "Request",
            "--format",
            "json",
            *OFFICER,
        )
    )
    note, *copies = json.loads(result.stdout)
    assert (note["seq"], note["paths"], note["reason"]) == (
        2,
        ["form.parent_name", "form.signed_by"],
        "Request",
    )
    # The parent's name goes from every entry naming them: each such path is a copy.
    assert note["copies"] == ["form.signed_by"]
    assert copies
    assert all(copy["copies"] == copy["paths"] for copy in copies)
    assert {copy["seq"] for copy in copies} == {12, 14, 16, 18}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("DEMO-0001", "2", "form.signed_on", "--reason", "R", *OFFICER), "no personal data"),
        (("DEMO-0001", "all", "form.signed_on", "--reason", "R", *OFFICER), "no personal data"),
        (("DEMO-0001", "2", "form.nothing", "--reason", "R", *OFFICER), "names no value"),
        (
            ("DEMO-0001", "1", "pupil.date_of_birth", "--reason", "R", *OFFICER),
            "would no longer load",
        ),
        (
            ("DEMO-0001", "all", "pupil.name", "--reason", f"{CHILD}'s request", *OFFICER),
            "describe the request without quoting what it removes",
        ),
        (
            (
                "DEMO-0001",
                "all",
                "pupil.name",
                "form.child_name",
                "--reason",
                f"{CHILD.split()[-1]} family erasure request",
                *OFFICER,
            ),
            "the reason quotes a word of the name removed at pupil.name of entry 1",
        ),
        (("DEMO-0001", "0", "pupil.name", "--reason", "R", *OFFICER), "SEQ"),
        (("DEMO-0001", "some", "pupil.name", "--reason", "R", *OFFICER), "SEQ"),
        (("DEMO-0001", "2", "form.parent_name", "--reason", " ", *OFFICER), "reason"),
        (("DEMO-0001", "2", "form.parent_name", "--reason", "R"), "--actor-id"),
        (("NO-SUCH", "2", "form.parent_name", "--reason", "R", *OFFICER), "NO-SUCH"),
        (("DEMO-0001", "2", "--reason", "R", *OFFICER), "PATH"),
        (
            ("DEMO-0001", "2", "form.parent_name", "--reason", "R", "--on", "9999-12-31", *OFFICER),
            "redact.on: 9999-12-31 is after today",
        ),
    ],
)
def test_a_redaction_that_cannot_be_made_is_bad_input_and_changes_nothing(
    demo_db: str, args: tuple[str, ...], says: str
) -> None:
    before = ok(invoke(demo_db, "history", "DEMO-0001", "--format", "json")).stdout
    result = invoke(demo_db, "redact", *args)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert says in result.stderr
    assert ok(invoke(demo_db, "history", "DEMO-0001", "--format", "json")).stdout == before


# -- retention ---------------------------------------------------------------------------------
def test_retention_names_a_case_it_cannot_date_while_it_holds_personal_data(
    demo_db: str,
) -> None:
    """A case whose date of birth was erased vanished from every retention listing while its
    address and the parent's name stayed, and its subject access page promised a removal
    that never comes (found by a review): the listing names it after the cases past
    retention, to finish by hand, and the page says it is kept until removed by hand."""
    listed = ok(invoke(demo_db, "retention", "--on", PAST_RETENTION))
    assert "cannot be dated" not in listed.stderr  # every case dated: no note
    erase(demo_db, ("DEMO-0001",), IDENTITY)
    listed = ok(invoke(demo_db, "retention", "--on", PAST_RETENTION, "--format", "json"))
    assert "DEMO-0001" not in {row["case_id"] for row in json.loads(listed.stdout)}
    assert listed.stderr == (
        "note: case DEMO-0001's retention cannot be dated (its date of birth, or what the "
        "retention policy reads, was removed) and it still holds personal data: no retention "
        "run removes it; remove the rest by hand (redact)\n"
        "note: case DEMO-0004 is past its keep-until date but no retention run removes its "
        "personal data: still running: in stage host_identified\n"
    )
    page = ok(invoke(demo_db, "export", "DEMO-0001", "--format", "html")).stdout
    assert "no date (the date of birth was removed): kept until removed by hand" in page
    assert "then its personal data is kept until it is removed by hand" in page


def test_retention_lists_then_applies_and_keeps_the_evidence(
    demo_db: str, tmp_path: Path, clock: Callable[[dt.date], None]
) -> None:
    assert "no case past retention" in ok(invoke(demo_db, "retention", "--on", "2030-01-01")).stdout
    listed = json.loads(
        ok(invoke(demo_db, "retention", "--on", PAST_RETENTION, "--format", "json")).stdout
    )
    assert [row["case_id"] for row in listed] == ["DEMO-0001", "DEMO-0002", "DEMO-0003"]
    assert {row["action"] for row in listed} == {"due"}  # DEMO-0004 is still running
    refused = invoke(demo_db, "retention", "--on", PAST_RETENTION, "--apply")
    assert refused.exit_code == 2
    assert "--actor-id" in refused.stderr
    early = invoke(demo_db, "retention", "--on", PAST_RETENTION, "--apply", *OFFICER)
    assert early.exit_code == 2, early.output  # 2040 is years ahead of today
    assert "apply_retention.on: 2040-01-01 is after today" in early.stderr
    clock(dt.date.fromisoformat(PAST_RETENTION))  # the run is dated the day it is done
    with SqlAlchemyStore(demo_db, calendar=SchoolCalendar.sample()) as store:
        year = (json_date("2025-09-01"), json_date("2027-08-31"))
        ledger = store.ledger(*year)
        before = {c.case_id: store.load(c.case_id) for c in store.cases()}
        checkpoint = tmp_path / "before.json"
        ok(invoke(demo_db, "checkpoint", "-o", str(checkpoint)))
        run = ok(invoke(demo_db, "retention", "--on", PAST_RETENTION, "--apply", *OFFICER))
        applied = run.stdout
        assert applied.count("redacted") == 3
        assert run.stderr == (
            "note: case DEMO-0004 is past its keep-until date but no retention run removes "
            "its personal data: still running: in stage host_identified\n"
        )
        for row in listed:  # the day kept until is the birthday plus 25 years: not shown now
            assert row["keep_until"] not in applied
        assert (
            "still extends it"
            in ok(invoke(demo_db, "verify", "--checkpoint", str(checkpoint))).stdout
        )
        assert store.ledger(*year) == ledger != []
        for case_id, was in before.items():
            now = store.load(case_id)
            assert (now.stage, now.deadlines, now.obligations, now.departures) == (
                was.stage,
                was.deadlines,
                was.obligations,
                was.departures,
            )
            if case_id == "DEMO-0004":  # still running: left as it was
                assert now == was
                continue
            assert now.pupil.name == "(redacted on 2040-01-01: retention period ended)"
    exported = ok(invoke(demo_db, "export", "--all")).stdout
    for case in before.values():
        assert (case.pupil.name in exported) is (case.case_id == "DEMO-0004")
    again = ok(invoke(demo_db, "retention", "--on", PAST_RETENTION, "--apply", *OFFICER))
    assert "no case past retention" in again.stdout


def test_retention_passes_over_a_case_it_cannot_redact_names_it_and_does_the_rest(
    demo_db: str, clock: Callable[[dt.date], None]
) -> None:
    """An entry without a salt (what migration 0003 leaves of a log that did not verify)
    cannot be redacted: the run stopped at that case with `redact.seq: entry 1 ...`, naming
    no case, and every case after it kept its personal data, on every run (review P, P3).
    The run does the rest, exit 0, and a note names the case and why."""
    tamper(
        demo_db,
        "UPDATE rfsm_transitions SET payload_salt = NULL, payload_key = NULL "
        "WHERE case_id = 'DEMO-0001'",
    )
    clock(dt.date.fromisoformat(PAST_RETENTION))
    run = ok(
        invoke(demo_db, "retention", "--on", PAST_RETENTION, "--apply", *OFFICER, "--format", "csv")
    )
    rows = {row.split(",")[0]: row.split(",")[-1] for row in run.stdout.splitlines()[1:]}
    assert rows == {"DEMO-0001": "none", "DEMO-0002": "redacted", "DEMO-0003": "redacted"}
    assert run.stderr.startswith(
        "note: case DEMO-0001 is past retention and was not redacted: its redaction was "
        "refused: redact.seq: entry 1 was written before schema revision 0003"
    )


def test_retention_passes_over_a_case_whose_id_was_changed_behind_the_store(
    demo_db: str, clock: Callable[[dt.date], None]
) -> None:
    """A case id given a space at its end behind the store stopped every listing and run
    with exit 2, "no case 'DEMO-0001 ' ... holds a space ... as text pasted from Word", though
    the officer typed no case id (review F, F5). It is listed, passed over and named; the rest
    are redacted, exit 0."""
    for table in ("rfsm_transitions", "rfsm_cases", "rfsm_open_items", "rfsm_weightings"):
        tamper(demo_db, f"UPDATE {table} SET case_id = 'DEMO-0001 ' WHERE case_id = 'DEMO-0001'")
    listed = ok(invoke(demo_db, "retention", "--on", PAST_RETENTION, "--format", "csv"))
    assert "DEMO-0001 ,2037-03-09,yes,due" in listed.stdout.splitlines()
    clock(dt.date.fromisoformat(PAST_RETENTION))
    run = ok(
        invoke(demo_db, "retention", "--on", PAST_RETENTION, "--apply", *OFFICER, "--format", "csv")
    )
    rows = {row.split(",")[0]: row.split(",")[-1] for row in run.stdout.splitlines()[1:]}
    assert rows == {"DEMO-0001 ": "none", "DEMO-0002": "redacted", "DEMO-0003": "redacted"}
    assert run.stderr.startswith(
        "note: case DEMO-0001  is past retention and was not redacted: the store holds a row "
        "written behind it: run verify"
    )


def json_date(text: str) -> Any:
    return dt.date.fromisoformat(text)


# -- a case as it stood ------------------------------------------------------------------------
def test_timeline_and_due_as_of_a_date_show_the_cases_as_they_stood(demo_db: str) -> None:
    """DEMO-0004's place offer was due 2026-04-13 and made on 2026-05-05: overdue on 20 April."""
    then = ok(invoke(demo_db, "timeline", "DEMO-0004", "--as-of", "2026-04-20")).stdout
    assert "stage referred" in then
    assert "PLACE_OFFER    due 2026-04-13  OVERDUE" in then
    now = ok(invoke(demo_db, "timeline", "DEMO-0004")).stdout
    assert "BREACHED" in now
    as_json = json.loads(
        ok(
            invoke(demo_db, "timeline", "DEMO-0004", "--as-of", "2026-04-20", "--format", "json")
        ).stdout
    )
    assert as_json["stage"] == "referred"
    assert as_json["as_of"] == "2026-04-20"
    overdue = ok(invoke(demo_db, "due", "--as-of", "2026-04-20", "--overdue", "--format", "json"))
    assert ("DEMO-0004", "place_offer", "referred") in {
        (r["case_id"], r["kind"], r["stage"]) for r in json.loads(overdue.stdout)
    }
    today = ok(invoke(demo_db, "due", "--on", "2026-04-20", "--overdue", "--format", "json"))
    assert ("DEMO-0004", "place_offer") not in {
        (r["case_id"], r["kind"]) for r in json.loads(today.stdout)
    }
    early = invoke(demo_db, "timeline", "DEMO-0004", "--as-of", "2026-01-01")
    assert early.exit_code == 2
    assert "not yet opened on 2026-01-01" in early.stderr
    unknown = invoke(demo_db, "timeline", "NO-SUCH", "--as-of", "2026-04-20")
    assert unknown.exit_code == 2
    assert "not yet opened" not in unknown.stderr


# -- subject access ----------------------------------------------------------------------------
def _second_case_of_the_same_child(url: str) -> None:
    """DEMO-0001's child proposed again, in another case."""
    store = SqlAlchemyStore(url, calendar=SchoolCalendar.sample())
    first = store.load("DEMO-0001")
    case = Reintegration.open(
        "DEMO-0101",
        first.pupil,
        first.ap_setting,
        first.local_authority,
        by=first.history[0].actor,
        on=json_date("2026-09-07"),
    )
    store.save(case)
    store.close()


@pytest.mark.parametrize(
    ("child", "asked"),
    [("Ayşe Yıldız", "AYŞE YILDIZ"), ("İlker Işıklar", "ilker işiklar"), ("Iii Ii", "III II")],
)
def test_export_by_name_finds_a_child_whose_name_has_a_turkish_i_as_r2_reads_it(
    demo_db: str, child: str, asked: str
) -> None:
    """The search narrowed the cases by the case list, which folds ı and I apart, so a name
    R2 reads alike found no case (found by a review)."""
    store = SqlAlchemyStore(demo_db, calendar=SchoolCalendar.sample())
    first = store.load("DEMO-0001")
    pupil = attrs.evolve(first.pupil, name=child)
    store.save(
        Reintegration.open(
            "DEMO-0102",
            pupil,
            first.ap_setting,
            first.local_authority,
            by=first.history[0].actor,
            on=json_date("2026-09-07"),
        )
    )
    store.close()
    found = invoke(demo_db, "export", "--pupil", asked, "--dob", BORN)
    assert [c["case_id"] for c in json.loads(ok(found).stdout)["cases"]] == ["DEMO-0102"]


@pytest.mark.parametrize(
    ("recorded", "asked"),
    [("Zoe\u0308 Quill", "Zo\u00eb Quill"), ("Ro\u200bwan Zed", "Rowan Zed")],
    ids=["decomposed-accent", "zero-width-space"],
)
def test_export_by_name_finds_a_child_whatever_the_names_unicode_form(
    tmp_path: Path, recorded: str, asked: str
) -> None:
    """A child opened with the accent typed apart from its letter (macOS, some MIS exports) or
    with a zero-width space pasted from Word (both accepted by `open`) was not found by a
    subject access request for the name as a keyboard types it, nor by `cases --search`; and
    the refusal blamed a redaction that never happened (review W, W2)."""
    db = f"sqlite:///{tmp_path / 'w2.sqlite'}"
    data = tmp_path / "open.json"
    data.write_text(
        json.dumps(
            {
                "pupil": {"name": recorded, "date_of_birth": "2012-04-23", "key_stage": 3},
                "ap_setting": "Larkspur Learning Centre",
                "local_authority": "Exampleshire County Council",
            }
        ),
        encoding="utf-8",
    )
    head = ("--actor-id", "ap-head", "--actor-name", "Robin Ashdown", "--role", "ap_head")
    where = ("--organisation", "Larkspur Learning Centre")
    ok(invoke(db, "apply", "W-2", "open", "--data", str(data), "--on", "2026-01-12", *head, *where))
    found = ok(invoke(db, "export", "--pupil", asked, "--dob", "2012-04-23"))
    cases = json.loads(found.stdout)["cases"]
    assert [c["case_id"] for c in cases] == ["W-2"]
    assert cases[0]["pupil"]["name"] == recorded  # shown as recorded
    listed = ok(invoke(db, "cases", "--search", asked.split()[0], "--format", "json"))
    assert [c["case_id"] for c in json.loads(listed.stdout)] == ["W-2"]
    nobody = invoke(db, "export", "--pupil", asked, "--dob", "2012-04-24")
    assert nobody.exit_code == 2
    refusal = json.loads(nobody.stdout)
    assert "removed" not in json.dumps(refusal)  # nothing was
    assert "No case in this store is of a child of this name" in json.dumps(refusal)


@pytest.mark.parametrize(
    ("recorded", "asked"),
    [
        *((f"Aoife O{mark}Brien", "Aoife O'Brien") for mark in "\u2019\u2018\u02bc\u2032`\u00b4"),
        *(
            (f"Ellis Smith{mark}Jones", "Ellis Smith-Jones")
            for mark in "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
        ),
        ("Aoife O'Brien", "aoife o\u2019brien"),  # and the other way round
    ],
    ids=repr,
)
def test_export_by_name_finds_a_child_whatever_apostrophe_or_hyphen_the_name_is_written_with(
    tmp_path: Path, recorded: str, asked: str
) -> None:
    """A child recorded from Word or an MIS export as "Aoife O’Brien" (U+2019) or "Ellis
    Smith‑Jones" (U+2011) was not found by a subject access request typing ' or -, and the
    refusal said no case of that child exists (found by a review)."""
    db = f"sqlite:///{tmp_path / 'p5.sqlite'}"
    store = SqlAlchemyStore(db, calendar=SchoolCalendar.sample())
    store.create_schema()
    head = Actor("ap-head", "Robin Ashdown", Role.AP_HEAD, "Larkspur Learning Centre")
    pupil = Pupil(recorded, dt.date(2012, 3, 9), key_stage=3)
    for case_id, born in (("P5-1", pupil), ("P5-2", attrs.evolve(pupil, name="Aoife OBrien"))):
        store.save(
            Reintegration.open(
                case_id,
                born,
                head.organisation,
                "Exampleshire County Council",
                by=head,
                on=json_date("2026-09-07"),
            )
        )
    store.close()
    found = ok(invoke(db, "export", "--pupil", asked, "--dob", "2012-03-09"))
    cases = json.loads(found.stdout)["cases"]
    assert [c["case_id"] for c in cases] == ["P5-1"]  # not "OBrien": another name
    assert cases[0]["pupil"]["name"] == recorded  # shown as recorded


def test_a_child_not_found_is_said_to_be_hidden_only_by_a_redaction_there_was(
    demo_db: str,
) -> None:
    """The refusal said "A child whose name or date of birth was removed cannot be found by
    them" whatever the store held (review W, W2): it now counts the cases a redaction hid."""
    erase(demo_db, ("DEMO-0001",), ("pupil.date_of_birth", "form.child_dob"))
    erase(demo_db, ("DEMO-0003",), IDENTITY)
    searched = invoke(demo_db, "export", "--pupil", CHILD, "--dob", BORN)
    assert searched.exit_code == 2
    assert (
        "2 cases in this store had the child's name or date of birth removed by a redaction"
        in searched.stdout
    )


def test_export_by_name_and_date_of_birth_finds_every_case_of_the_child(
    demo_db: str, tmp_path: Path
) -> None:
    _second_case_of_the_same_child(demo_db)
    response = json.loads(
        ok(invoke(demo_db, "export", "--pupil", "  rowan   TESTWELL ", "--dob", BORN)).stdout
    )
    assert response["format"] == "reintegration-fsm/subject-access"
    assert [c["case_id"] for c in response["cases"]] == ["DEMO-0001", "DEMO-0101"]
    assert response["request"] == {"pupil": "  rowan   TESTWELL ", "date_of_birth": BORN}
    headings = [part["heading"] for part in response["about_this_information"]]
    for needed in ("purposes", "recipients", "retention", "source", "rights"):
        assert any(needed in heading.lower() for heading in headings), needed
    first = response["cases"][0]
    assert first["retention"] == {
        "keep_until": "2037-03-09",
        "policy": "date of birth + 25 years (the protocol's)",
    }
    assert {a["role"] for a in first["actors"]} >= {"ap_head", "host_head", "la_admissions"}
    assert len(first["timeline"]) == len(first["history"])
    target = tmp_path / "sar.json"
    ok(invoke(demo_db, "export", "--pupil", CHILD, "--dob", BORN, "-o", str(target)))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert (
        "imported 2 case(s)"
        in ok(invoke(f"sqlite:///{tmp_path / 'new.sqlite'}", "import", str(target))).stdout
    )
    nobody = invoke(demo_db, "export", "--pupil", CHILD, "--dob", "2012-03-10")
    assert nobody.exit_code == 2
    assert "no case of" in json.loads(nobody.stdout)["error"]  # JSON mode: on stdout


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("DEMO-0001", "--all"),
        ("--pupil", CHILD),
        ("--dob", BORN),
        ("--all", "--format", "html"),
        ("DEMO-0001", "--pupil", CHILD, "--dob", BORN),
    ],
    ids=lambda args: " ".join(args) or "nothing",
)
def test_export_needs_exactly_one_way_to_name_the_child(
    demo_db: str, args: tuple[str, ...]
) -> None:
    result = invoke(demo_db, "export", *args)
    assert result.exit_code == 2, result.output
    no_traceback(result)


def test_export_all_moves_every_case_to_another_store(demo_db: str, tmp_path: Path) -> None:
    target = tmp_path / "all.json"
    ok(invoke(demo_db, "export", "--all", "-o", str(target)))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["request"] == {"all": True}
    moved = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    assert "imported 4 case(s)" in ok(invoke(moved, "import", str(target))).stdout
    assert (
        ok(invoke(moved, "history", "DEMO-0002", "--format", "json")).stdout
        == ok(invoke(demo_db, "history", "DEMO-0002", "--format", "json")).stdout
    )


DEMO_CHILDREN = ("Rowan Testwell", "Quinn Placeholder", "Ellis Sampleton", "Morgan Exemplar")
"""The demo cases' children, DEMO-0001 to DEMO-0004 (invented)."""


def many_histories(demo_db: str, count: int) -> list[Any]:
    """`count` histories: renamed copies of the four demo cases, each of its own child."""
    texts = [
        ok(invoke(demo_db, "history", f"DEMO-000{number}", "--format", "json")).stdout
        for number in range(1, 5)
    ]
    made = []
    for n in range(count):
        k = n % 4
        first = DEMO_CHILDREN[k].split()[0]
        text = texts[k].replace(f"DEMO-000{k + 1}", f"BIG-{n:05}")
        made.append(json.loads(text.replace(DEMO_CHILDREN[k], f"{first} Number{n}")))
    return made


def test_export_all_takes_memory_bounded_by_a_case_not_by_the_store(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export --all` on 3,000 cases took 780 MB (review BO, BO3): it loaded every case, built
    the whole response as one value and one string, then wrote it. It writes the response case
    by case from the store's stream: four times the cases must not take about four times the
    memory. (The stream fetches `FETCH` log rows at a time, 2,000, more than either store
    holds: a batch of 60 here, so that both stores are read in several.)"""
    monkeypatch.setattr(streaming, "FETCH", 60)
    peaks = []
    for count in (40, 160):
        db = f"sqlite:///{tmp_path / f'store{count}.sqlite'}"
        source = tmp_path / f"many{count}.json"
        source.write_text(json.dumps(many_histories(demo_db, count)), encoding="utf-8")
        ok(invoke(db, "import", str(source)))
        tracemalloc.start()
        exported = invoke(db, "export", "--all", "-o", str(tmp_path / "all.json"))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        ok(exported)
        assert len(json.loads((tmp_path / "all.json").read_text())["cases"]) == count
    assert peaks[1] < 2 * peaks[0], peaks


def _whole_response(url: str) -> bytes:
    """`export --all` as it was written before it streamed: the whole response built as one
    value (`subject_access.response`, which `export --pupil` still builds), then its JSON."""
    store = SqlAlchemyStore(url)
    try:
        held = [
            subject_access.Held(
                case, tuple(store.redactions(case.case_id)), store.entered(case.case_id)
            )
            for case in store.load_all()
        ]
        value = subject_access.response(held, {"all": True}, dt.date.today(), None, store.retention)
    finally:
        store.close()
    return (to_json(value) + "\n").encode("utf-8")


def test_export_all_streamed_writes_the_bytes_the_whole_response_did(
    demo_db: str, tmp_path: Path
) -> None:
    """Written case by case, the response is byte for byte the one built whole: to `-o` and
    to stdout, with a redaction's notes, and for a store of no case (`"cases": []`); and
    `import` reads it back."""
    ok(invoke(demo_db, *redact_child()))
    target = tmp_path / "all.json"
    expected = _whole_response(demo_db)
    assert note().encode() in expected
    ok(invoke(demo_db, "export", "--all", "-o", str(target)))
    assert target.read_bytes() == expected
    assert ok(invoke(demo_db, "export", "--all")).stdout_bytes == expected
    moved = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    imported = invoke(moved, "import", "--without-redaction-records", str(target))
    assert "imported 4 case(s)" in ok(imported).stdout

    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    ok(invoke(empty, "db", "upgrade"))
    nothing = _whole_response(empty)
    assert nothing.endswith(b'"cases": []\n}\n')
    ok(invoke(empty, "export", "--all", "-o", str(target)))
    assert target.read_bytes() == nothing
    assert ok(invoke(empty, "export", "--all")).stdout_bytes == nothing


def test_the_html_response_says_in_words_what_was_discharged(demo_db: str) -> None:
    """The subject access page, for a parent or the child, said "discharged
    SHARE_INFORMATION_WITH_HOST", a program's name for the obligation (found by a review):
    it says it in the words its "Recorded" column uses."""
    page = ok(invoke(demo_db, "export", "DEMO-0001", "--format", "html")).stdout
    assert "SHARE_INFORMATION_WITH_HOST" not in page
    assert "SEND_PAPERWORK_TO_ADMISSIONS" not in page
    assert "discharged: share information with host" in page
    assert "discharged: send paperwork to admissions" in page


def test_the_html_response_is_self_contained_and_escaped(demo_db: str) -> None:
    _second_case_of_the_same_child(demo_db)
    page = ok(invoke(demo_db, "export", "--pupil", CHILD, "--dob", BORN, "--format", "html")).stdout
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<section class="case"') == 2
    for outside in ("http://", "https://", "<script", "<link", "src="):
        assert outside not in page
    for heading in ("Who sees it (recipients)", "How long it is kept (retention)", "Your rights"):
        assert heading in page
    assert "Removed information" in page
    assert "Who acted" in page


def _documented_erasure(page: str) -> list[str]:
    """The arguments of the erasure request a docs page gives (`redact ... all pupil.name`)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = re.search(r"reintegration-fsm (redact \S+ all pupil\.name.*?)\n```", text, re.DOTALL)
    assert found is not None, page
    return shlex.split(found.group(1).replace("\\\n", " "))


def test_the_documented_erasure_request_leaves_no_copy_of_the_childs_name(
    engine_url: str, tmp_path: Path
) -> None:
    """docs/cli.md's erasure request, run on the demo's DEMO-0001 (which held its meetings),
    said it removed the child's name while the meetings' attendees and the child's signed views
    still held it seven times (found by a review): every copy goes with it, the output says
    where, and no table, loaded history or rendering holds the name."""
    args = _documented_erasure("cli.md")
    assert args[1] == "DEMO-0001"
    # evidence.md gives the same request (for a case of its own).
    assert _documented_erasure("evidence.md")[2:] == [*args[2:], "--on", "$(date +%F)"]
    said = ok(invoke(engine_url, *args)).stdout
    assert "DEMO-0001: of these, 7 further copies of a name removed" in said
    for where in ("seq 7 views.signed_by", "seq 12 meeting.attendees.3.name"):
        assert where in said
    assert ok(invoke(engine_url, "verify")).exit_code == 0
    engine = sa.create_engine(engine_url)
    try:
        with engine.connect() as conn:
            tables = sa.MetaData()
            tables.reflect(conn)
            for table in tables.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    assert CHILD not in str(tuple(row)), table.name
    finally:
        engine.dispose()
    for command in (
        ("export", "DEMO-0001"),
        ("timeline", "DEMO-0001"),
        ("render", "DEMO-0001", "--text"),
        ("export", "--all"),
    ):
        assert CHILD not in ok(invoke(engine_url, *command)).stdout, command
    assert ok(invoke(engine_url, "cases", "--search", "Testwell")).stdout.count("DEMO-0001") == 0
    if engine_url.startswith("sqlite:///"):
        database = Path(engine_url.removeprefix("sqlite:///"))
        for file in (database, database.with_name(database.name + "-wal")):
            if file.exists():
                assert CHILD.encode() not in file.read_bytes(), file.name


def _texts_at(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Each text of a JSON value with its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _texts_at(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts_at(item, f"{path}.{index}")
    elif isinstance(value, str):
        yield path, value


def test_the_documented_erasure_leaves_free_text_naming_the_child_which_its_path_removes(
    engine_url: str,
) -> None:
    """docs/cli.md said its erasure request "erases the child's name from the whole case";
    on DEMO-0002 the failure letter's reasons and the emergency review's concerns still named
    the child ("Quinn was involved in three fights"), unsaid (review P, P3). The page now says
    the request removes the name from every place it is stored as a name, that free text stays,
    which fields hold free text, and how to remove it: each of those claims, checked."""
    args = _documented_erasure("cli.md")
    ok(invoke(engine_url, *[args[0], "DEMO-0002", *args[2:]]))
    history = json.loads(ok(invoke(engine_url, "history", "DEMO-0002", "--format", "json")).stdout)
    left = {
        (entry["seq"], path)
        for entry in history
        for path, text in _texts_at(entry["data"])
        if "Quinn" in text
    }
    assert left == {(15, "letter.reasons.0"), (15, "meeting.concerns")}
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    page = " ".join(text.split())
    start = page.index("Free text that mentions the child among other words is not a name")
    listed = page[start : page.index("In DEMO-0002 the failure letter", start)]
    for _, path in left:
        assert f"`{path.removesuffix('.0')}`" in listed, path
    found = re.search(r"reintegration-fsm (redact DEMO-0002 15 .*?)\n```", text, re.DOTALL)
    assert found is not None
    ok(invoke(engine_url, *shlex.split(found.group(1).replace("\\\n", " "))))
    for command in (("history", "DEMO-0002", "--format", "json"), ("export", "DEMO-0002")):
        assert "Quinn" not in ok(invoke(engine_url, *command)).stdout, command
    assert ok(invoke(engine_url, "verify")).exit_code == 0


def test_the_preamble_is_the_one_docs_evidence_gives() -> None:
    """The fixed text every response begins with is documented word for word."""
    page = " ".join((DOCS / "evidence.md").read_text(encoding="utf-8").split())
    for heading, text in PREAMBLE:
        assert f"**{heading}.** {text}" in page, heading


# -- end to end on SQLite and PostgreSQL -------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A demo database on SQLite, or on the PostgreSQL test database (emptied around it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'e2e.sqlite'}"
        ok(invoke(url, "demo"))
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    engine = reachable_engine(url)
    reset_database(engine)
    ok(invoke(url, "demo"))
    yield url
    reset_database(engine)
    engine.dispose()


def test_redaction_retention_and_subject_access_end_to_end(
    engine_url: str, tmp_path: Path, clock: Callable[[dt.date], None]
) -> None:
    checkpoint = tmp_path / "nightly.json"
    private, public = key_files(tmp_path, "la")
    ok(invoke(engine_url, "checkpoint", "--sign", str(private), "-o", str(checkpoint)))
    ok(invoke(engine_url, *redact_child()))
    sar = tmp_path / "sar.html"
    ok(invoke(engine_url, "export", "DEMO-0002", "--format", "html", "-o", str(sar)))
    assert note() in sar.read_text(encoding="utf-8")
    clock(dt.date.fromisoformat(PAST_RETENTION))
    ok(invoke(engine_url, "retention", "--on", PAST_RETENTION, "--apply", *OFFICER))
    result = ok(
        invoke(engine_url, "verify", "--checkpoint", str(checkpoint), "--public-key", str(public))
    )
    assert "still extends it" in result.stdout
    response = json.loads(ok(invoke(engine_url, "export", "--all")).stdout)
    assert {
        c["case_id"]: c["pupil"]["name"].startswith("(redacted on ") for c in response["cases"]
    } == {"DEMO-0001": True, "DEMO-0002": True, "DEMO-0003": True, "DEMO-0004": False}
    _delete_case(engine_url, "DEMO-0001")
    caught = invoke(
        engine_url, "verify", "--checkpoint", str(checkpoint), "--public-key", str(public)
    )
    assert caught.exit_code == 1
    assert "gone" in caught.stdout


def test_a_checkpoint_file_that_is_not_one_is_named_by_its_path(
    demo_db: str, tmp_path: Path
) -> None:
    """`checkpoint.json: is not JSON` named a file that does not exist: the checkpoint form's
    field, printed as the library names it (found by a review)."""
    garbage = tmp_path / "badcp.json"
    garbage.write_text("{not a checkpoint", encoding="utf-8")
    result = invoke(demo_db, "verify", "--checkpoint", str(garbage))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: the checkpoint {garbage} cannot be read\n")
    assert "  - is not JSON: " in result.stderr
    assert "checkpoint.json" not in result.stderr


def test_an_import_that_would_drop_redaction_records_is_refused_unless_asked(
    demo_db: str, tmp_path: Path
) -> None:
    """`export --all` and `import` moved a store without its redaction records: the removed
    values' placeholders became the values, and nothing said who removed what, when or why
    (found by a review)."""
    ok(
        invoke(
            demo_db,
            "redact",
            "DEMO-0003",
            "2",
            "form.relationship",
            "--reason",
            "Request",
            "--on",
            today(),
            *OFFICER,
        )
    )
    moved = tmp_path / "all.json"
    ok(invoke(demo_db, "export", "--all", "-o", str(moved)))
    target = f"sqlite:///{tmp_path / 'new.sqlite'}"
    refused = invoke(target, "import", str(moved))
    no_traceback(refused)
    assert refused.exit_code == 2
    assert "nothing imported" in refused.stderr
    assert "item 3 (case DEMO-0003): its file carries 1 redaction record" in refused.stderr
    assert "--without-redaction-records" in refused.stderr
    done = ok(invoke(target, "import", "--without-redaction-records", str(moved)))
    assert "imported 4 case(s)" in done.stdout
    assert "note: item 3 (case DEMO-0003) was imported without its 1 redaction record" in (
        done.stderr
    )


def test_a_bare_history_of_an_erased_child_is_refused_unless_asked_and_then_never_found(
    demo_db: str, tmp_path: Path
) -> None:
    """`history --format json` carries no records, and imported as it was; a search by the
    placeholder then gathered the erased children again (found by a review)."""
    erase(demo_db, ("DEMO-0002", "DEMO-0003"), IDENTITY)
    target = f"sqlite:///{tmp_path / 'new.sqlite'}"
    for case_id in ("DEMO-0002", "DEMO-0003"):
        bare = tmp_path / f"{case_id}.json"
        ok(invoke(demo_db, "history", case_id, "--format", "json", "-o", str(bare)))
        refused = invoke(target, "import", str(bare))
        assert refused.exit_code == 2, refused.output
        # It carries no record: the message said it did, and sent the officer looking for it
        # (found by a review).
        assert "a redaction removed its child's name or date of birth" in refused.stderr
        assert "carries no record of who removed" in refused.stderr
        assert "its file carries the record" not in refused.stderr
        done = ok(invoke(target, "import", "--without-redaction-records", str(bare)))
        assert (
            "note: history was imported with its child's name or date of "
            "birth removed, and no record of who removed them: the store it came from keeps it"
        ) in done.stderr
        assert "without its the record" not in done.stderr
    searched = invoke(
        target,
        "export",
        "--pupil",
        f"(redacted on {today()}: Erasure request)",
        "--dob",
        "0001-01-01",
    )
    assert searched.exit_code == 2, searched.output
    assert "no case of" in json.loads(searched.stdout)["error"]


@pytest.mark.parametrize("paths", [("actor.name",), ("form.parent_name",)])
def test_a_bare_history_holding_any_removed_value_is_refused_unless_asked(
    demo_db: str, tmp_path: Path, paths: tuple[str, ...]
) -> None:
    """A bare history whose parent's or actor's name a redaction removed was imported without a
    word, the "(redacted on ...)" text taken in as the name, and `verify` called the new store
    sound (found by a review): only the child's name and date of birth were looked at."""
    erase(demo_db, ("DEMO-0003",), paths)
    bare = tmp_path / "bare.json"
    ok(invoke(demo_db, "history", "DEMO-0003", "--format", "json", "-o", str(bare)))
    target = f"sqlite:///{tmp_path / 'new.sqlite'}"
    refused = invoke(target, "import", str(bare))
    no_traceback(refused)
    assert refused.exit_code == 2, refused.output
    assert "history: a redaction removed values in it, and it carries no record" in refused.stderr
    done = ok(invoke(target, "import", "--without-redaction-records", str(bare)))
    assert "note: history was imported with values in it removed" in done.stderr


# -- values that read like a placeholder -------------------------------------------------------
TYPED = "Phone number (removed) at the parent's request."
"""Free text staff typed, holding the words a printed form writes for a removed date."""
OPENING = {
    "pupil": {"name": CHILD, "date_of_birth": BORN, "key_stage": 3},
    "ap_setting": "Larkspur Learning Centre",
    "local_authority": "Exampleshire County Council",
}
AP_HEAD = (
    "--actor-id",
    "ap-1",
    "--actor-name",
    "Robin Ashdown",
    "--role",
    "ap_head",
    "--organisation",
    "Larkspur Learning Centre",
)


def _imported(tmp_path: Path, text: str, name: str) -> str:
    """A new SQLite store holding the case(s) of `text` (an export or a history), imported."""
    source = tmp_path / f"{name}.json"
    source.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / f'{name}.sqlite'}"
    ok(invoke(url, "import", str(source)))
    return url


def test_text_reading_removed_is_shown_as_typed_before_and_after_a_redaction(
    demo_db: str, tmp_path: Path
) -> None:
    """A concern typed "Phone number (removed) ..." was shown "(redacted)", and once the child's
    date of birth was removed, as that redaction's note: the page said a redaction removed a
    value no redaction touched (found by a review)."""
    exported = ok(invoke(demo_db, "export", "DEMO-0002")).stdout
    concern = "Repeated fights at lunchtime; Quinn says the move came too soon."
    assert json.dumps(concern) in exported
    url = _imported(tmp_path, exported.replace(json.dumps(concern), json.dumps(TYPED)), "typed")
    html_typed = TYPED.replace("'", "&#39;")
    pages = {
        "render text": (("render", "DEMO-0002", "--text"), TYPED),
        "render": (("render", "DEMO-0002"), html_typed),
        "export html": (("export", "DEMO-0002", "--format", "html"), html_typed),
        "export": (("export", "DEMO-0002"), json.dumps(TYPED)[1:-1]),
    }
    for what, (args, typed) in pages.items():
        page = ok(invoke(url, *args)).stdout
        assert typed in page, what
        assert "(redacted)" not in page, what
        assert "(redacted on 2" not in page, what  # nothing was removed
    again = _imported(tmp_path, ok(invoke(url, "export", "DEMO-0002")).stdout, "again")
    assert TYPED in ok(invoke(again, "render", "DEMO-0002", "--text")).stdout
    bare = ok(invoke(url, "history", "DEMO-0002", "--format", "json")).stdout
    from_bare = _imported(tmp_path, bare, "bare")
    assert TYPED in ok(invoke(from_bare, "render", "DEMO-0002", "--text")).stdout
    ok(invoke(url, *redact_child()))
    for what, (args, typed) in pages.items():
        page = ok(invoke(url, *args)).stdout
        assert typed in page, what
        assert note() in page, what  # the child's name and date of birth, which were removed
        assert "Phone number (redacted" not in page, what
    text = " ".join(ok(invoke(url, "render", "DEMO-0002", "--text")).stdout.split())
    assert f"born {note()}" in text  # the form wraps its lines
    assert f"date of birth {note()}" in ok(invoke(url, "letter", "DEMO-0002")).stdout


def test_an_erasure_request_removes_an_entry_dated_ahead_the_day_it_is_made(
    tmp_path: Path,
) -> None:
    """A case opened for next term (dated 20 days ahead, as R16 allows) could not be redacted
    by any date: before the step's date was refused, and after today (review U, U2). `redact`
    is compared with the day the entry was recorded: done today (`--on` left out), exit 0; a
    day before it was recorded is bad input naming the entry and that day."""
    data = tmp_path / "open.json"
    data.write_text(json.dumps(OPENING), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    ahead = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    ok(invoke(url, "apply", "C-1", "open", "--data", str(data), "--on", ahead, *AP_HEAD))
    request = ("redact", "C-1", "all", "pupil.name", "pupil.date_of_birth", "--reason",
               "Erasure request", *OFFICER)  # fmt: skip
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    for on in (yesterday, "1926-12-01"):
        early = invoke(url, *request, "--on", on)
        assert early.exit_code == 2, early.output
        no_traceback(early)
        assert f"{on} is before entry 1 (recorded on {today()})" in early.stderr
    late = invoke(url, *request, "--on", ahead)
    assert late.exit_code == 2, late.output
    assert "is after today" in late.stderr
    said = ok(invoke(url, *request)).stdout
    assert "C-1 seq 1: removed pupil.name, pupil.date_of_birth (redaction 1)" in said
    timeline = ok(invoke(url, "timeline", "C-1")).stdout
    assert f"(redacted on {today()}: Erasure request)" in timeline.splitlines()[0]
    assert ok(invoke(url, "verify")).stdout.startswith("sound")


def test_a_case_id_like_the_placeholder_date_is_shown_and_exported_as_it_is(
    tmp_path: Path,
) -> None:
    """`apply open` accepts the case id "0001-01-01", as any other; every rendering named the
    case "(redacted)", and neither its export nor its history imported back (found by a
    review). Its id is shown as it is; only the child's date of birth, once removed, shows
    the redaction's note."""
    data = tmp_path / "open.json"
    data.write_text(json.dumps(OPENING), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    opened = invoke(url, "apply", "0001-01-01", "open", "--data", str(data), "--on", "2026-11-02",
                    *AP_HEAD)  # fmt: skip
    assert opened.exit_code == 0, opened.output

    def shown(born: str) -> None:
        timeline = ok(invoke(url, "timeline", "0001-01-01")).stdout
        assert timeline.splitlines()[0].startswith("Case 0001-01-01: "), timeline
        assert f"(born {born})" in timeline.splitlines()[0]
        as_json = json.loads(ok(invoke(url, "timeline", "0001-01-01", "--format", "json")).stdout)
        assert (as_json["case_id"], as_json["pupil"]["date_of_birth"]) == ("0001-01-01", born)
        text = ok(invoke(url, "render", "0001-01-01", "--text")).stdout
        assert text.splitlines()[1].startswith("Case 0001-01-01;"), text
        assert "(0001-01-01)" in ok(invoke(url, "render", "0001-01-01")).stdout
        page = ok(invoke(url, "export", "0001-01-01", "--format", "html")).stdout
        assert "<h2>Case 0001-01-01</h2>" in page
        # (each day in it kept on one line: `span.date`, review LI)
        dated = re.sub(r"\d{4}-\d{2}-\d{2}", r'<span class="date">\g<0></span>', born)
        assert f"<td>{dated}</td>" in page
        exported = json.loads(ok(invoke(url, "export", "0001-01-01")).stdout)
        assert (exported["case_id"], exported["pupil"]["date_of_birth"]) == ("0001-01-01", born)

    shown(BORN)
    exported = ok(invoke(url, "export", "0001-01-01")).stdout
    again = _imported(tmp_path, exported, "exported")
    assert ok(invoke(again, "timeline", "0001-01-01")).stdout.startswith("Case 0001-01-01: ")
    bare = ok(invoke(url, "history", "0001-01-01", "--format", "json")).stdout
    _imported(tmp_path, bare, "bare")

    ok(invoke(url, "redact", "0001-01-01", "all", "pupil.name", "pupil.date_of_birth",
              "--reason", "Erasure request", "--on", today(), *OFFICER))  # fmt: skip
    shown(note())
    target = f"sqlite:///{tmp_path / 'after.sqlite'}"
    for name, text in (
        ("export", ok(invoke(url, "export", "0001-01-01")).stdout),
        ("history", ok(invoke(url, "history", "0001-01-01", "--format", "json")).stdout),
    ):
        source = tmp_path / f"after-{name}.json"
        source.write_text(text, encoding="utf-8")
        refused = invoke(target, "import", str(source))
        assert refused.exit_code == 2, name
        assert "--without-redaction-records" in refused.stderr, name
        assert "'(redacted)'" not in refused.stderr, name
    ok(invoke(target, "import", "--without-redaction-records", str(tmp_path / "after-export.json")))
    first = ok(invoke(target, "timeline", "0001-01-01")).stdout.splitlines()[0]
    # Without its records, nothing says who removed the date: "(removed)", as the forms print it.
    assert first == f"Case 0001-01-01: {note()} (born (removed)), stage proposed"
