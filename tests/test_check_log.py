"""docs/examples/check_log.py, the audit log checked without the library (docs/evidence.md):
on a sound store of each engine it finds every hash the library wrote, and each alteration an
attacker with write access makes is found at the row it was made in, as `verify()` finds it;
for entries of digest scheme 3 (written since revision 0011, a key for each value) and of
scheme 2 (written before, the salt alone)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import runpy
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from legacy_rows import as_scheme_2
from raw_sqlite import raw_sqlite
from reintegration_fsm import Checkpoint
from reintegration_fsm.protocol import at_rest
from reintegration_fsm.stores import (
    MalformedCheckpoint,
    SqlAlchemyStore,
    clocks,
    digests,
    schema,
    upgrade,
)
from reintegration_fsm.stores.hashing import entry_hash, redaction_hash
from reintegration_fsm.stores.stored import full_data
from scenario import ADMISSIONS
from store_contract import CALENDAR, REDACTED_ON, advanced, built, drop_triggers
from test_docs_examples import DOCS
from test_stores_redigest import _fill_revision_2, engine  # noqa: F401 (a fixture)

SCRIPT = DOCS / "examples" / "check_log.py"
CHECKER = runpy.run_path(str(SCRIPT))
"""The script's functions, as a reader who saved it would run them."""
LAYOUT_FILE = DOCS / "examples" / "at_rest.json"
LAYOUT = json.loads(LAYOUT_FILE.read_text())
"""What a store leaves out of the data at rest, as the script reads it beside itself."""
KEY = ed25519.Ed25519PrivateKey.generate()
PRIVATE = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
PUBLIC = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


class Database:
    """The script's `db.execute(sql, params)` (`?` placeholders, rows read by column name) on a
    SQLAlchemy connection: the raw values of each engine's driver, as an expert's would be."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        numbers = iter(range(len(params)))
        text = re.sub(r"\?", lambda _: f":p{next(numbers)}", sql)
        bound = {f"p{number}": value for number, value in enumerate(params)}
        return self.conn.execute(sa.text(text), bound).mappings()


def checked(
    database: sa.Engine, checkpoint: Checkpoint | None = None, key: Any = None
) -> list[str]:
    """The script's problems with a store's database (and a checkpoint)."""
    held = None if checkpoint is None else json.loads(checkpoint.to_json())
    with database.connect() as conn:
        problems, entries, records = CHECKER["check_log"](Database(conn), LAYOUT, held)
        if held is not None:
            problems += CHECKER["check_checkpoint"](held, entries, records, key)
    return list(problems)


PAYLOAD_KEYS: dict[tuple[str, int], bytes] = {}
"""The payload key each entry of the `store` fixture held before its redactions (scheme 3),
which the redactions destroyed: what an attacker who kept them might put back."""


@pytest.fixture(params=[3, 2], ids=["scheme 3", "scheme 2"])
def scheme(request: pytest.FixtureRequest) -> int:
    """The digest scheme of the `store` fixture's entries: 3, as every save writes them since
    revision 0011, or 2, as they were written before (and are still kept)."""
    return int(request.param)


@pytest.fixture
def store(engine: sa.Engine, scheme: int) -> Iterator[SqlAlchemyStore]:  # noqa: F811
    """Three cases, one of whose entries was redacted twice."""
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.create_schema()
    for case in (built("case-01", 7), built("case-02", 5), built("case-03", 1)):
        store.save(case)
    if scheme == 2:
        as_scheme_2(store)
    with engine.connect() as conn:
        query = "SELECT case_id, seq, payload_key FROM rfsm_transitions"
        PAYLOAD_KEYS.clear()
        for case_id, seq, key in conn.execute(sa.text(query)):
            assert (key is None) == (scheme == 2)
            if key is not None:
                PAYLOAD_KEYS[case_id, seq] = bytes(key)
    # The parent signed the form: removing their name removes the signature with it.
    for path in ("form.parent_name", "form.relationship"):
        store.redact("case-01", 2, [path], "Family's request", by=ADMISSIONS, on=REDACTED_ON)
    yield store
    store.close()


def test_the_page_shows_the_script_whole() -> None:
    page = (DOCS / "evidence.md").read_text()
    shown = page.split("<!-- the script: docs/examples/check_log.py -->\n```python\n", 1)[1]
    assert shown.split("```\n", 1)[0] == SCRIPT.read_text()


def test_a_sound_store_holds_every_hash(store: SqlAlchemyStore, scheme: int) -> None:
    checkpoint = store.checkpoint().sign(PRIVATE)
    assert store.verify(checkpoint=checkpoint, public_key=PUBLIC) == []
    assert checked(store.engine, checkpoint, PUBLIC) == []
    with store.engine.connect() as conn:
        _, entries, records = CHECKER["check_log"](Database(conn), LAYOUT)
    assert {case_id: len(hashes) for case_id, hashes in entries.items()} == {
        "case-01": 7,
        "case-02": 5,
        "case-03": 1,
    }
    assert set(records) == {("case-01", 2, 1), ("case-01", 2, 2)}
    assert records[("case-01", 2, 2)] == checkpoint.cases[0].redactions[0].hash
    with store.engine.connect() as conn:
        query = "SELECT payload_key, leaf_keys FROM rfsm_transitions WHERE case_id = ? AND seq = ?"
        redacted = Database(conn).execute(query, ("case-01", 2)).one()
        kept = Database(conn).execute(query, ("case-01", 3)).one()
    assert CHECKER["scheme"](redacted) == CHECKER["scheme"](kept) == scheme
    if scheme == 3:  # the redaction kept the keys of the values left, and nothing else
        assert redacted["payload_key"] is None
        assert kept["payload_key"] is not None
        assert kept["leaf_keys"] is None
        removed = digests.derived_keys(PAYLOAD_KEYS["case-01", 2].hex())
        for path in ('"data","form","parent_name"', '"data","form","signed_by"'):
            key = removed(path)
            assert key is not None
            assert key not in bytes(redacted["leaf_keys"])


def _update(table: str, values: str, where: str) -> Callable[[sa.Connection], None]:
    def altered(conn: sa.Connection) -> None:
        conn.execute(sa.text(f"UPDATE {table} SET {values} WHERE {where}"))

    return altered


def _rehashed(conn: sa.Connection) -> None:
    """Entry 3 of case-02 changed, and its hash made again by the script's own formula."""
    entry = "case_id = 'case-02' AND seq = 3"
    conn.execute(sa.text(f"UPDATE rfsm_transitions SET actor_organisation = 'X' WHERE {entry}"))
    row = conn.execute(sa.text(f"SELECT * FROM rfsm_transitions WHERE {entry}")).mappings().one()
    previous = conn.execute(
        sa.select(schema.transitions.c.hash).where(
            schema.transitions.c.case_id == "case-02", schema.transitions.c.seq == 2
        )
    ).scalar_one()
    forged = CHECKER["entry_hash"](row, previous)
    conn.execute(
        sa.update(schema.transitions)
        .where(schema.transitions.c.case_id == "case-02", schema.transitions.c.seq == 3)
        .values(hash=forged)
    )


def _data(conn: sa.Connection, case_id: str, seq: int) -> dict[str, Any]:
    query = "SELECT data FROM rfsm_transitions WHERE case_id = :case_id AND seq = :seq"
    return dict(
        json.loads(conn.execute(sa.text(query), {"case_id": case_id, "seq": seq}).scalar_one())
    )


def _set_data(conn: sa.Connection, case_id: str, seq: int, data: dict[str, Any]) -> None:
    conn.execute(
        sa.text("UPDATE rfsm_transitions SET data = :data WHERE case_id = :case_id AND seq = :seq"),
        {"data": json.dumps(data), "case_id": case_id, "seq": seq},
    )


def _put_in_form(conn: sa.Connection) -> None:
    """The consent form's `child_address`, left out at rest at its default (""), given one."""
    data = _data(conn, "case-02", 2)
    assert "child_address" not in data["form"]
    data["form"]["child_address"] = "1 Example Row"
    _set_data(conn, "case-02", 2, data)


def _entry(conn: sa.Connection, case_id: str, seq: int) -> dict[str, Any]:
    """An entry's row as the library reads it (its salt and payload key as hex text)."""
    log = schema.transitions
    query = sa.select(log).where(log.c.case_id == case_id, log.c.seq == seq)
    return dict(conn.execute(query).mappings().one())


def _remove_unrecorded(conn: sa.Connection) -> None:
    """A value replaced by its own leaf digest, as a redaction would, but with no record: the
    tree's root is as it was. Of scheme 3, its keys too as a redaction leaves them: the payload
    key dropped, the keys of the values left kept."""
    entry = _entry(conn, "case-02", 2)
    data = _data(conn, "case-02", 2)
    keys = digests.entry_keys(entry, full_data(entry["trigger_name"], data))
    path = ("data", "form", "relationship")
    leaf = digests.leaf(
        bytes.fromhex(entry["payload_salt"]), path, data["form"]["relationship"], keys
    )
    data["form"]["relationship"] = {"$redacted": leaf}
    _set_data(conn, "case-02", 2, data)
    if keys is not None:
        left = digests.leaf_paths(
            entry["actor_id"], entry["actor_name"], full_data(entry["trigger_name"], data)
        )
        _set_keys(conn, "case-02", 2, None, digests.keys_kept(keys, left))


def _set_keys(
    conn: sa.Connection, case_id: str, seq: int, payload_key: bytes | None, leaf_keys: bytes | None
) -> None:
    conn.execute(
        sa.text(
            "UPDATE rfsm_transitions SET payload_key = :payload_key, leaf_keys = :leaf_keys "
            "WHERE case_id = :case_id AND seq = :seq"
        ),
        {"payload_key": payload_key, "leaf_keys": leaf_keys, "case_id": case_id, "seq": seq},
    )


def _put_back(conn: sa.Connection) -> None:
    """The parent's name a redaction removed, put back where the redaction left its digest:
    of scheme 2 the tree's root is as it was, so only the redaction record tells; of scheme 3
    the entry keeps no key for it."""
    data = _data(conn, "case-01", 2)
    assert set(data["form"]["parent_name"]) == {"$redacted"}
    data["form"]["parent_name"] = built("case-01", 2).history[1].data["form"]["parent_name"]
    _set_data(conn, "case-01", 2, data)


def _put_back_keyed(conn: sa.Connection) -> None:
    """The parent's name put back with a key made up for it, where its path's key stood: the
    key the redaction destroyed is not found again, so its leaf's digest is not the one the
    redaction left, and the root differs."""
    _put_back(conn)
    entry = _entry(conn, "case-01", 2)
    data = full_data(entry["trigger_name"], json.loads(entry["data"]))
    paths = digests.leaf_paths(entry["actor_id"], entry["actor_name"], data)
    at = digests.KEY_BYTES * paths.index(digests.path_text(("data", "form", "parent_name")))
    kept = bytes(entry["leaf_keys"])
    _set_keys(conn, "case-01", 2, None, kept[:at] + os.urandom(digests.KEY_BYTES) + kept[at:])


def _leaf_keys(change: Callable[[list[bytes]], list[bytes]]) -> Callable[[sa.Connection], None]:
    """The leaf keys case-01's redacted entry 2 keeps, changed (16 bytes a key)."""

    def altered(conn: sa.Connection) -> None:
        kept = bytes(_entry(conn, "case-01", 2)["leaf_keys"])
        keys = [kept[n : n + digests.KEY_BYTES] for n in range(0, len(kept), digests.KEY_BYTES)]
        assert len(set(keys)) == len(keys) > 2
        _set_keys(conn, "case-01", 2, None, b"".join(change(keys)))

    return altered


def _payload_key_back(*, leaf_keys: bool) -> Callable[[sa.Connection], None]:
    """The payload key the redactions of case-01's entry 2 destroyed, put back (by whoever kept
    it): every removed value's digest could be tested against guesses again."""

    def altered(conn: sa.Connection) -> None:
        kept = _entry(conn, "case-01", 2)["leaf_keys"] if leaf_keys else None
        _set_keys(conn, "case-01", 2, PAYLOAD_KEYS["case-01", 2], kept)

    return altered


def _wrong_payload_key(conn: sa.Connection) -> None:
    """case-02's entry 3, never redacted, given a payload key of 65 bytes, which no key of
    BLAKE2b can be. MariaDB's BINARY(16) cannot hold it: the column is widened first, as the
    attacker who dropped the triggers can."""
    if conn.dialect.name in ("mysql", "mariadb"):
        conn.execute(sa.text("ALTER TABLE rfsm_transitions MODIFY payload_key VARBINARY(65) NULL"))
    key = PAYLOAD_KEYS["case-02", 3]
    _set_keys(conn, "case-02", 3, key * 4 + key[:1], None)


def _leaf_keys_unredacted(conn: sa.Connection) -> None:
    """case-02's entry 3, never redacted, keeping the keys its payload key gives each value in
    place of that key, as only a redaction keeps them: its hash and digest hold as they were."""
    entry = _entry(conn, "case-02", 3)
    data = full_data(entry["trigger_name"], json.loads(entry["data"]))
    paths = digests.leaf_paths(entry["actor_id"], entry["actor_name"], data)
    kept = digests.keys_kept(digests.derived_keys(entry["payload_key"]), paths)
    assert kept is not None
    _set_keys(conn, "case-02", 3, None, kept)


def _note_without_paths(case_id: str, seq: int) -> Callable[[sa.Connection], None]:
    """A note without paths (the shape the 0003 upgrade gave revision 2's manual redaction)
    added to the entry's records, chained and hashed with the library's helper (found by a
    review: only the first record of an entry written before 0003 may be one)."""

    def altered(conn: sa.Connection) -> None:
        entry = _entry(conn, case_id, seq)
        table = schema.redactions
        query = sa.select(table).where(table.c.case_id == case_id, table.c.seq == seq)
        notes = [dict(row) for row in conn.execute(query.order_by(table.c.number)).mappings()]
        note = {
            "case_id": case_id,
            "seq": seq,
            "number": len(notes) + 1,
            "redacted_at": max([entry["recorded_at"], *(n["redacted_at"] for n in notes)])
            + dt.timedelta(minutes=1),
            "redacted_on": None,
            "reason": "Removed at the family's request",
            "paths": None,
            "actor_id": None,
            "actor_name": None,
            "actor_role": None,
            "actor_organisation": None,
            "payload_digest": entry["payload_digest"],
        }
        previous = notes[-1]["hash"] if notes else entry["hash"]
        note["hash"] = redaction_hash(note, previous)
        conn.execute(sa.insert(schema.redactions), note)

    return altered


ENTRY_3 = "case_id = 'case-02' AND seq = 3"
DATED_BACK = "case-02 entry 3: recorded at 2020-01-01 09:00, before entry 2 ({}): dated back"
"""What the script says of case-02's entry 3 stamped in 2020 ({}: when entry 2 was recorded)."""


ALTERATIONS = {
    "a note without paths after a record": (
        _note_without_paths("case-01", 2),
        ["case-01 entry 2: redaction record 3 is a note without paths where none was left"],
    ),
    "an actor's organisation": (
        _update("rfsm_transitions", "actor_organisation = 'Elsewhere'", ENTRY_3),
        ["case-02 entry 3: its hash is not the hash of its row"],
    ),
    "a step's trigger": (
        _update("rfsm_transitions", "trigger_name = 'withdraw'", ENTRY_3),
        [
            "case-02 entry 3: its hash is not the hash of its row",
            "case-02 entry 3: its data or actor is not what its payload digest says",
        ],
    ),
    "a step's business date": (
        _update("rfsm_transitions", "on_date = '2026-01-01'", ENTRY_3),
        ["case-02 entry 3: its hash is not the hash of its row"],
    ),
    "when a step was recorded": (  # (its only entry: none it follows to be dated back from)
        _update(
            "rfsm_transitions", "recorded_at = '2020-01-01 09:00:00.000000'", "case_id = 'case-03'"
        ),
        ["case-03 entry 1: its hash is not the hash of its row"],
    ),
    "when a step was recorded, before the step it follows": (
        _update("rfsm_transitions", "recorded_at = '2020-01-01 09:00:00.000000'", ENTRY_3),
        ["case-02 entry 3: its hash is not the hash of its row", DATED_BACK],
    ),
    "an entry rewritten with its hash made again": (
        _rehashed,
        ["case-02 entry 4: its hash is not the hash of its row"],
    ),
    "who took a step with a form": (
        _update(
            "rfsm_transitions", "actor_name = 'Someone Else'", "case_id = 'case-02' AND seq = 2"
        ),
        ["case-02 entry 2: its data or actor is not what its payload digest says"],
    ),
    "who took a step without one": (
        _update("rfsm_transitions", "actor_id = 'la-99'", "case_id = 'case-02' AND seq = 5"),
        ["case-02 entry 5: its data or actor is not what its payload digest says"],
    ),
    "a form's field": (
        _update(
            "rfsm_transitions",
            'data = REPLACE(data, \'"relationship":"Mother"\', \'"relationship":"Aunt"\')',
            "case_id = 'case-02' AND seq = 2",
        ),
        ["case-02 entry 2: its data or actor is not what its payload digest says"],
    ),
    "a form's field left out at its default given a value": (
        _put_in_form,
        ["case-02 entry 2: its data or actor is not what its payload digest says"],
    ),
    "a value removed with no record": (
        _remove_unrecorded,
        ["case-02 entry 2: form.relationship was removed with no record"],
    ),
    "data that is not JSON": (
        _update("rfsm_transitions", "data = 'not JSON'", "case_id = 'case-02' AND seq = 2"),
        ["case-02 entry 2: its data is not JSON"],
    ),
    "a case row's last hash": (
        _update("rfsm_cases", "last_hash = '" + "0" * 64 + "'", "case_id = 'case-02'"),
        ["case-02: the case row is not its log's last entry"],
    ),
    "a redaction's reason": (
        _update("rfsm_redactions", "reason = 'Routine'", "case_id = 'case-01' AND number = 1"),
        ["case-01 entry 2: redaction record 1 was altered"],
    ),
    "a redaction's first record removed": (
        lambda conn: conn.execute(sa.text("DELETE FROM rfsm_redactions WHERE number = 1")),
        [
            "case-01 entry 2: redaction record 2 follows no record 1",
            "case-01 entry 2: form.parent_name was removed with no record",
            "case-01 entry 2: form.signed_by was removed with no record",
        ],
    ),
    "an entry removed from the middle": (
        lambda conn: conn.execute(sa.text(f"DELETE FROM rfsm_transitions WHERE {ENTRY_3}")),
        [
            "case-02 entry 4: follows entry 2",
            "case-02 entry 4: its hash is not the hash of its row",
            "case-02: the case row is not its log's last entry",
        ],
    ),
    "a redaction's paths made unreadable": (
        _update("rfsm_redactions", "paths = 'form.parent_name'", "number = 1"),
        [
            "case-01 entry 2: redaction record 1 was altered",
            "case-01 entry 2: redaction record 1: its paths are not a list of paths",
            "case-01 entry 2: form.parent_name was removed with no record",
            "case-01 entry 2: form.signed_by was removed with no record",
        ],
    ),
    "a case row removed": (
        lambda conn: conn.execute(sa.text("DELETE FROM rfsm_cases WHERE case_id = 'case-03'")),
        ["case-03: a log with no case row"],
    ),
}


ENTRY_2 = "case-01 entry 2"
"""The entry redacted twice (scheme 3: it keeps the leaf keys of the values left)."""
PUT_BACK = f"{ENTRY_2}: a record names form.parent_name, which holds a value"
SCHEME_2_ALTERATIONS = {"a removed value put back": (_put_back, [PUT_BACK])}
NOT_ITS_DIGEST = "its data or actor is not what its payload digest says"
SCHEME_3_ALTERATIONS = {
    "a note without paths on an entry written since 0011": (
        _note_without_paths("case-02", 3),
        ["case-02 entry 3: redaction record 1 is a note without paths where none was left"],
    ),
    "a removed value put back": (
        _put_back,
        [f"{ENTRY_2}: its leaf keys are not one for each value it holds", PUT_BACK],
    ),
    "a removed value put back with a key made up for it": (
        _put_back_keyed,
        [f"{ENTRY_2}: {NOT_ITS_DIGEST}", PUT_BACK],
    ),
    "a leaf key changed": (
        _leaf_keys(lambda keys: [*keys[:2], bytes(b ^ 1 for b in keys[2]), *keys[3:]]),
        [f"{ENTRY_2}: {NOT_ITS_DIGEST}"],
    ),
    "a leaf key dropped": (
        _leaf_keys(lambda keys: keys[:-1]),
        [f"{ENTRY_2}: its leaf keys are not one for each value it holds"],
    ),
    "two leaf keys swapped": (
        _leaf_keys(lambda keys: [keys[1], keys[0], *keys[2:]]),
        [f"{ENTRY_2}: {NOT_ITS_DIGEST}"],
    ),
    "the payload key put back beside a removed value": (
        _payload_key_back(leaf_keys=False),
        [f"{ENTRY_2}: its payload key is kept beside a removed value: it can be guessed"],
    ),
    "the payload key put back beside the leaf keys": (
        _payload_key_back(leaf_keys=True),
        [f"{ENTRY_2}: it holds both a payload key and leaf keys"],
    ),
    "the payload key cleared on an entry never redacted": (
        # Its hash then takes it for scheme 2, and so does its digest.
        lambda conn: _set_keys(conn, "case-02", 3, None, None),
        [
            "case-02 entry 3: its hash is not the hash of its row",
            f"case-02 entry 3: {NOT_ITS_DIGEST}",
        ],
    ),
    "a payload key of the wrong length": (
        _wrong_payload_key,
        ["case-02 entry 3: its payload key is not 16 bytes"],
    ),
    "leaf keys kept on an entry never redacted": (
        _leaf_keys_unredacted,
        ["case-02 entry 3: it keeps leaf keys but no removed value"],
    ),
    "the leaf keys cleared on a redacted entry": (
        lambda conn: _set_keys(conn, "case-01", 2, None, None),
        [
            f"{ENTRY_2}: its hash is not the hash of its row",
            f"{ENTRY_2}: {NOT_ITS_DIGEST}",
        ],
    ),
}


def _found_where_made(
    store: SqlAlchemyStore, alter: Callable[[sa.Connection], None], found: list[str]
) -> list[tuple[str, int | None]]:
    """Make an alteration, check the script finds what `found` says, and give where the library
    finds it: (case id, entry number or None) of each problem."""
    with store.engine.connect() as conn:
        then = _entry(conn, "case-02", 2)["recorded_at"]
    found = [
        line.format(f"{then:%Y-%m-%d %H:%M}") if line == DATED_BACK else line for line in found
    ]
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        alter(conn)
    assert checked(store.engine) == found
    # The library finds it too, in the same cases.
    problems = store.verify()
    assert {p.case_id for p in problems} == {line.split()[0].rstrip(":") for line in found}
    return [(p.case_id, p.seq) for p in problems]


@pytest.mark.parametrize("alteration", list(ALTERATIONS))
def test_an_alteration_is_found_where_it_was_made(store: SqlAlchemyStore, alteration: str) -> None:
    _found_where_made(store, *ALTERATIONS[alteration])


@pytest.mark.parametrize("scheme", [2])
@pytest.mark.parametrize("alteration", list(SCHEME_2_ALTERATIONS))
def test_an_alteration_of_a_scheme_2_entry_is_found(
    store: SqlAlchemyStore, alteration: str
) -> None:
    _found_where_made(store, *SCHEME_2_ALTERATIONS[alteration])


@pytest.mark.parametrize("scheme", [3])
@pytest.mark.parametrize("alteration", list(SCHEME_3_ALTERATIONS))
def test_an_alteration_of_a_scheme_3_entry_is_found_at_it(
    store: SqlAlchemyStore, alteration: str
) -> None:
    """Its keys or values changed: found by the script and the library at the entry altered."""
    alter, found = SCHEME_3_ALTERATIONS[alteration]
    where = {(line.split()[0], int(line.split()[2].rstrip(":"))) for line in found}
    assert set(_found_where_made(store, alter, found)) == where


KEY_GIVEN_TWICE = (
    # A parser keeps the last of two equal keys: the marker, over which the digest holds.
    _update(
        "rfsm_transitions",
        "data = REPLACE(data, '\"parent_name\":{', "
        '\'"parent_name":"Dana Example","parent_name":{\')',
        "case_id = 'case-01' AND seq = 2",
    ),
    [f"{ENTRY_2}: its data is not JSON the store wrote (a key given twice)"],
)


def test_a_removed_value_given_in_clear_under_the_same_key_is_found_at_it(
    store: SqlAlchemyStore,
) -> None:
    """The parent's name a redaction removed, written back before its marker under the same key
    (of either scheme): found by the script and the library at the entry altered."""
    assert set(_found_where_made(store, *KEY_GIVEN_TWICE)) == {("case-01", 2)}


def _truncated(conn: sa.Connection) -> None:
    """case-02's last entry removed and its case row made to agree: a chain as the library
    writes it, which only an anchor kept elsewhere tells from the real one."""
    conn.execute(sa.text("DELETE FROM rfsm_transitions WHERE case_id = 'case-02' AND seq = 5"))
    last = conn.execute(
        sa.select(schema.transitions.c.hash).where(
            schema.transitions.c.case_id == "case-02", schema.transitions.c.seq == 4
        )
    ).scalar_one()
    conn.execute(
        sa.update(schema.cases)
        .where(schema.cases.c.case_id == "case-02")
        .values(version=4, last_hash=last)
    )


def test_a_truncated_history_is_found_by_the_checkpoint_alone(store: SqlAlchemyStore) -> None:
    checkpoint = store.checkpoint().sign(PRIVATE)
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        _truncated(conn)
    assert checked(store.engine) == []
    assert checked(store.engine, checkpoint, PUBLIC) == [
        "case-02: truncated: the checkpoint holds version 5, the log ends at 4"
    ]
    assert store.verify(checkpoint=checkpoint, public_key=PUBLIC) != []


def test_a_redaction_record_removed_is_found_by_what_it_removed(store: SqlAlchemyStore) -> None:
    """The entry's last record removed: the chain of records left is sound, but the value it
    removed is still a digest, which no record now names; the checkpoint anchored the record."""
    checkpoint = store.checkpoint()
    drop_triggers(store.engine)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM rfsm_redactions WHERE number = 2"))
    unnamed = "case-01 entry 2: form.relationship was removed with no record"
    assert checked(store.engine) == [unnamed]
    assert checked(store.engine, checkpoint) == [
        unnamed,
        "case-01 entry 2: record 2 not anchored",
    ]


def test_the_script_allows_clocks_the_library_s_slack() -> None:
    assert CHECKER["CLOCK_SLACK"] == clocks.CLOCK_SLACK


def _dated_back(database: sa.Engine, case_id: str, stamp: dt.datetime) -> None:
    """The case's last entry stamped `stamp` and hashed again (nothing chains on it), and its
    case row's last hash with it: what an administrator hiding a late entry would do."""
    log = schema.transitions
    drop_triggers(database)
    with database.begin() as conn:
        query = sa.select(log).where(log.c.case_id == case_id).order_by(log.c.seq)
        *_, before, last = (dict(row) for row in conn.execute(query).mappings())
        new_hash = entry_hash(last | {"recorded_at": stamp}, before["hash"])
        conn.execute(
            sa.update(log)
            .where(log.c.case_id == case_id, log.c.seq == last["seq"])
            .values(recorded_at=stamp, hash=new_hash)
        )
        conn.execute(
            sa.update(schema.cases)
            .where(schema.cases.c.case_id == case_id)
            .values(last_hash=new_hash)
        )


def _record_dated_back(database: sa.Engine, case_id: str, seq: int, stamp: dt.datetime) -> None:
    """The entry's last redaction record stamped `stamp` and hashed again (nothing chains on
    it)."""
    notes = schema.redactions
    drop_triggers(database)
    with database.begin() as conn:
        where = (notes.c.case_id == case_id, notes.c.seq == seq)
        rows = [dict(r) for r in conn.execute(sa.select(notes).where(*where)).mappings()]
        last = max(rows, key=lambda row: row["number"])
        previous = (
            next(r["hash"] for r in rows if r["number"] == last["number"] - 1)
            if last["number"] > 1
            else _entry(conn, case_id, seq)["hash"]
        )
        conn.execute(
            sa.update(notes)
            .where(*where, notes.c.number == last["number"])
            .values(
                redacted_at=stamp,
                hash=redaction_hash(last | {"redacted_at": stamp}, previous),
            )
        )


def test_an_entry_written_after_the_checkpoint_and_dated_back_is_found(
    store: SqlAlchemyStore,
) -> None:
    """An entry added after the checkpoint, stamped a day before it (and before the entry it
    follows) and hashed again, held every hash: the script passed it, where verify() reports
    it (found by a review). A redaction record added after it and dated back likewise."""
    checkpoint = store.checkpoint()
    store.save(advanced(store.load("case-02"), 1))  # entry 6, after the checkpoint
    store.redact("case-02", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    stamp = checkpoint.taken_at - dt.timedelta(days=1)
    _dated_back(store.engine, "case-02", stamp)
    _record_dated_back(store.engine, "case-02", 2, stamp)
    assert store.verify(checkpoint=checkpoint) != []
    day = f"{stamp:%Y-%m-%d %H:%M}"
    taken = f"{checkpoint.taken_at:%Y-%m-%d %H:%M}"
    found = checked(store.engine)
    assert len(found) == 2
    assert found[0].startswith(f"case-02 entry 6: recorded at {day}, before entry ")
    assert found[0].endswith(": dated back")
    assert found[1].startswith(f"case-02 entry 2: redaction record 1: recorded at {day}, before ")
    assert checked(store.engine, checkpoint)[2:] == [
        f"case-02 entry 6: recorded at {day}, before the checkpoint ({taken}), which held the "
        "case at entry 5: written after it and dated back",
        f"case-02 entry 2: redaction record 1: recorded at {day}, before the checkpoint "
        f"({taken}), which held 0 of the entry's: written after it and dated back",
    ]


def test_entries_and_records_made_after_a_checkpoint_as_they_are_made_hold(
    store: SqlAlchemyStore,
) -> None:
    checkpoint = store.checkpoint()
    store.save(advanced(store.load("case-02"), 1))
    store.save(built("case-04", 3))
    store.redact("case-02", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    assert checked(store.engine, checkpoint) == []


def test_the_script_says_how_a_log_no_longer_extends_its_checkpoint(tmp_path: Path) -> None:
    """A case deleted, a log cut short: each named as verify() names it, never as an entry
    that is not there (review U6: both read "entry 3 is not as anchored")."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    store.save(built("case-02", 3))
    (tmp_path / "checkpoint.json").write_text(store.checkpoint().to_json())
    store.close()
    kept = sa.create_engine(f"sqlite:///{database}")
    drop_triggers(kept)
    with kept.begin() as conn:
        for table in ("rfsm_transitions", "rfsm_cases", "rfsm_open_items"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE case_id = 'case-01'"))
        conn.execute(sa.text("DELETE FROM rfsm_transitions WHERE case_id = 'case-02' AND seq = 3"))
    kept.dispose()
    result = _run(database, tmp_path / "checkpoint.json")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-2:] == [
        "case-01: gone: the checkpoint holds it at version 3, the log holds no entry of it",
        "case-02: truncated: the checkpoint holds version 3, the log ends at 2",
    ]


def test_an_altered_or_forged_checkpoint_is_found(store: SqlAlchemyStore) -> None:
    held = json.loads(store.checkpoint().sign(PRIVATE).to_json())
    with store.engine.connect() as conn:
        _, entries, records = CHECKER["check_log"](Database(conn), LAYOUT, held)
    check = CHECKER["check_checkpoint"]
    assert check(held, entries, records, PUBLIC) == []

    other = ed25519.Ed25519PrivateKey.generate().public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert check(held, entries, records, other_pem) == [
        "the checkpoint's signature is not the key's signature of it"
    ]
    held["taken_at"] = "2020-01-01T00:00:00Z"
    assert check(held, entries, records, PUBLIC) == [
        "the checkpoint's signature is not the key's signature of it"
    ]
    held["cases"][1]["version"] = 4
    assert check(held, entries, records) == [
        "case-02: rewritten: entry 4's hash differs from the checkpoint's, so the log no longer "
        "extends it",
        "the checkpoint's root is not the root of its cases",
    ]


def test_a_revision_2_entry_is_checked_by_its_own_fields(engine: sa.Engine) -> None:  # noqa: F811
    """The entries the 0003 upgrade could not re-digest keep revision 2's hash, over the actor's
    id and name: the script checks them so, and finds one altered."""
    upgrade(engine, revision="0002")
    _fill_revision_2(engine)
    upgrade(engine)
    # Its data was changed after it was hashed, as verify() reports it (by its digest).
    assert checked(engine) == ["broken entry 3: its data is not what its payload digest says"]
    drop_triggers(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE rfsm_transitions SET actor_name = 'Someone Else' "
                "WHERE case_id = 'broken' AND seq = 2"
            )
        )
    assert checked(engine) == [
        "broken entry 2: its hash is not the hash of its row",
        "broken entry 3: its data is not what its payload digest says",
    ]


def _run(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, SCRIPT, *arguments], capture_output=True, text=True, check=False
    )


def test_the_script_checks_a_sqlite_file(tmp_path: Path) -> None:
    """Run as an expert would run it: the file, a checkpoint, the public key; exit 1 on any
    problem, after printing it. The file holds entries of scheme 3, one redacted."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 6))
    store.redact("case-01", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    (tmp_path / "checkpoint.json").write_text(store.checkpoint().sign(PRIVATE).to_json())
    (tmp_path / "key.pub.pem").write_bytes(PUBLIC)
    store.close()
    sound = _run(database, tmp_path / "checkpoint.json", tmp_path / "key.pub.pem")
    assert (sound.returncode, sound.stdout, sound.stderr) == (
        0,
        "cases: 1, entries: 6, redaction records: 1; every hash holds; the checkpoint taken "
        f"{json.loads((tmp_path / 'checkpoint.json').read_text())['taken_at']} holds, signed "
        "with the key given\n",
        "",
    )
    kept = sa.create_engine(f"sqlite:///{database}")
    drop_triggers(kept)
    with kept.begin() as conn:
        conn.execute(sa.text("UPDATE rfsm_transitions SET actor_role = 'la_admissions'"))
    kept.dispose()
    altered = _run(database, tmp_path / "checkpoint.json", tmp_path / "key.pub.pem")
    assert altered.returncode == 1
    assert altered.stdout.splitlines()[0] == "case-01 entry 1: its hash is not the hash of its row"


def test_the_script_says_whether_it_checked_a_checkpoint_and_its_signature(
    tmp_path: Path,
) -> None:
    """An expert's report quotes the success line: it says whether a checkpoint was checked,
    and, for a signed one, whether its signature was (review U5: the line was the same for no
    checkpoint, a signed checkpoint without its key, and one with it)."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    taken = store.checkpoint()
    (tmp_path / "unsigned.json").write_text(taken.to_json())
    (tmp_path / "signed.json").write_text(taken.sign(PRIVATE).to_json())
    (tmp_path / "key.pub.pem").write_bytes(PUBLIC)
    store.close()
    at = json.loads(taken.to_json())["taken_at"]
    told = {
        "no checkpoint given (a history rewritten and chained again is not found)": [],
        f"the checkpoint taken {at} holds (it is not signed)": ["unsigned.json"],
        f"the checkpoint taken {at} holds (its signature not checked: no public key given)": [
            "signed.json"
        ],
        f"the checkpoint taken {at} holds, signed with the key given": [
            "signed.json",
            "key.pub.pem",
        ],
    }
    for said, names in told.items():
        result = _run(database, *(tmp_path / name for name in names))
        assert (result.returncode, result.stderr) == (0, ""), result.stdout
        assert result.stdout == (
            f"cases: 1, entries: 3, redaction records: 0; every hash holds; {said}\n"
        )


def test_the_script_saved_without_at_rest_json_says_so_in_a_line_and_exits_2(
    tmp_path: Path,
) -> None:
    """The page invites a reader to save the script; saved alone, without at_rest.json beside
    it, it ended in a traceback and exit 1, an altered log's status (review U4)."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    store.close()
    alone = tmp_path / "check_log.py"
    shutil.copy(SCRIPT, alone)
    result = subprocess.run(
        [sys.executable, alone, database], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "at_rest.json, which must lie beside this script" in result.stderr


def test_the_script_finds_a_late_entry_dated_back_in_a_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 4))
    taken = store.checkpoint()
    (tmp_path / "checkpoint.json").write_text(taken.to_json())
    store.save(advanced(store.load("case-01"), 1))
    _dated_back(store.engine, "case-01", taken.taken_at - dt.timedelta(days=1))
    store.close()
    result = _run(database, tmp_path / "checkpoint.json")
    assert result.returncode == 1, result.stdout
    assert [line.endswith("dated back") for line in result.stdout.splitlines()] == [True, True]


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["no-such-checkpoint.json"],
        ["notes.txt"],
        ["empty.json"],
        ["list.json"],
        ["checkpoint.json", "no-such-key.pem"],
        ["checkpoint.json", "key.pem", "one too many"],
    ],
    ids=["no argument", "no checkpoint", "not JSON", "{}", "[]", "no key", "too many"],
)
def test_what_the_script_cannot_read_it_says_in_a_line_and_exits_2(
    tmp_path: Path, arguments: list[str]
) -> None:
    """A checkpoint mistyped or not one, a key not there: a traceback and exit 1, the status of
    an altered log (found by a review). The script's docstring: 2 when it cannot check."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    (tmp_path / "checkpoint.json").write_text(store.checkpoint().to_json())
    store.close()
    (tmp_path / "key.pem").write_bytes(PUBLIC)
    (tmp_path / "notes.txt").write_text("not a checkpoint\n")
    (tmp_path / "empty.json").write_text("{}")
    (tmp_path / "list.json").write_text("[]")
    given = [database, *(tmp_path / name for name in arguments)] if arguments else []
    result = _run(*given)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("column", "seq", "found"),
    [
        ("payload_key", 3, "its payload key is not 16 bytes"),
        ("leaf_keys", 2, "its leaf keys are not one for each value it holds"),
        ("payload_salt", 3, "its salt is not bytes"),
    ],
)
def test_a_key_column_holding_text_is_reported(
    tmp_path: Path, column: str, seq: int, found: str
) -> None:
    """A key or salt column given text of its bytes' length (SQLite keeps any type in a BLOB
    column): the entry is reported, not a traceback."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 6))
    store.redact("case-01", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    store.close()
    kept = sa.create_engine(f"sqlite:///{database}")
    drop_triggers(kept)
    with kept.begin() as conn:
        where = {"case_id": "case-01", "seq": seq}
        query = f"SELECT {column} FROM rfsm_transitions WHERE case_id = :case_id AND seq = :seq"
        length = len(conn.execute(sa.text(query), where).scalar_one())
        conn.execute(
            sa.text(
                f"UPDATE rfsm_transitions SET {column} = :text "
                "WHERE case_id = :case_id AND seq = :seq"
            ),
            {"text": "k" * length, **where},
        )
        assert type(conn.execute(sa.text(query), where).scalar_one()) is str
    kept.dispose()
    result = _run(database)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        f"case-01 entry {seq}: {found}\n",
        "",
    )


MISREAD = "does not read as the store writes it"
RECORD_1 = "case_id = 'case-01' AND seq = 2 AND number = 1"
CASE_03 = "case-03 entry 1: its hash is not the hash of its row"
"""What the script says of case-03, its organisation altered: the case checked after the row."""


@pytest.mark.parametrize(
    ("table", "change", "where", "found"),
    [
        (
            "rfsm_transitions",
            "seq = '3x'",
            ENTRY_3,
            [
                "case-02 entry 4: follows entry 2",
                "case-02 entry 4: its hash is not the hash of its row",
                f"case-02 entry 3x: it {MISREAD} (its seq is not a whole number)",
                CASE_03,
                "case-02: the case row is not its log's last entry",
            ],
        ),
        (
            "rfsm_transitions",
            "actor_role = X'00'",
            ENTRY_3,
            [f"case-02 entry 3: it {MISREAD} (its actor_role is not text)", CASE_03],
        ),
        (
            "rfsm_transitions",
            "actor_name = X'41'",
            ENTRY_3,
            [f"case-02 entry 3: it {MISREAD} (its actor_name is not text)", CASE_03],
        ),
        (
            "rfsm_redactions",
            "number = '1x'",
            RECORD_1,
            [
                CASE_03,
                "case-01 entry 2: redaction record 2 follows no record 1",
                f"case-01 entry 2: redaction record 1x {MISREAD} (its number is not a whole "
                "number)",
            ],
        ),
        (
            "rfsm_redactions",
            "actor_name = X'41'",
            RECORD_1,
            [
                CASE_03,
                f"case-01 entry 2: redaction record 1 {MISREAD} (its actor_name is not text)",
            ],
        ),
    ],
    ids=["entry number", "actor role", "actor name", "record number", "record's actor"],
)
def test_a_row_that_does_not_read_as_the_store_writes_it_is_reported_and_the_rest_checked(
    tmp_path: Path, table: str, change: str, where: str, found: list[str]
) -> None:
    """An entry numbered '3x' or an actor column holding bytes (SQLite keeps any type in any
    column) stopped the script with a TypeError traceback, reporting nothing of any case, where
    verify() names the case and checks the others (review F4). The row is reported, and the
    rows after it are still checked (case-03's entry, its organisation altered, and a record
    after the one altered)."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    for case in (built("case-01", 6), built("case-02", 5), built("case-03", 1)):
        store.save(case)
    for path in ("form.parent_name", "form.relationship"):
        store.redact("case-01", 2, [path], "Family's request", by=ADMISSIONS, on=REDACTED_ON)
    store.close()
    kept = sa.create_engine(f"sqlite:///{database}")
    drop_triggers(kept)
    with kept.begin() as conn:
        _update(table, change, where)(conn)
        _update("rfsm_transitions", "actor_organisation = 'Elsewhere'", "case_id = 'case-03'")(conn)
    kept.dispose()
    result = _run(database)
    assert (result.returncode, result.stderr) == (1, ""), result.stderr
    assert result.stdout.splitlines() == found
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    try:
        named = {problem.case_id for problem in store.verify()}
    finally:
        store.close()
    assert named == {line.split()[0].rstrip(":") for line in result.stdout.splitlines()}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    """A SQLite store of one case with a redacted entry, its signed checkpoint (as JSON, held)
    and the public key's file."""
    folder = tmp_path_factory.mktemp("signed")
    database = folder / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    store.redact("case-01", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    held = json.loads(store.checkpoint().sign(PRIVATE).to_json())
    store.close()
    (folder / "key.pub.pem").write_bytes(PUBLIC)
    return database, held, folder / "key.pub.pem"


def _main(capsys: pytest.CaptureFixture[str], *arguments: str | Path) -> tuple[int, str, str]:
    """The script's `main`, run as `python check_log.py ARGUMENTS`: its exit status, stdout
    and stderr."""
    status = CHECKER["main"]([str(argument) for argument in arguments], LAYOUT)
    out, err = capsys.readouterr()
    return status, out, err


def _key_file(kind: str, path: Path) -> Path:
    if kind == "a directory":
        path.mkdir()
        return path
    if kind == "RSA public key":
        from cryptography.hazmat.primitives.asymmetric import rsa

        other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        pem = serialization.PublicFormat.SubjectPublicKeyInfo
        path.write_bytes(other.public_bytes(serialization.Encoding.PEM, pem))
        return path
    public = KEY.public_key()
    path.write_bytes(
        {
            "not a key": b"not a key\n",
            "empty": b"",
            "the private key": PRIVATE,
            "OpenSSH public key": public.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            ),
            "DER public key": public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        }[kind]
    )
    return path


@pytest.mark.parametrize(
    "kind",
    [
        "not a key",
        "empty",
        "the private key",
        "RSA public key",
        "OpenSSH public key",
        "DER public key",
        "a directory",
    ],
)
def test_a_key_file_that_is_no_ed25519_public_key_in_pem_is_bad_input(
    tmp_path: Path, signed: tuple[Path, dict[str, Any], Path], kind: str
) -> None:
    """Given a key file it cannot read as the Ed25519 public key it needs, the script said
    "the checkpoint's signature is not the key's signature of it" and exited 1, which an expert
    reads as a forged checkpoint (review K, K1). It is bad input: one line saying what the file
    is not, as the CLI's `verify --public-key` says it, and exit 2."""
    database, held, _ = signed
    (tmp_path / "checkpoint.json").write_text(json.dumps(held))
    key = _key_file(kind, tmp_path / "key.pem")
    result = _run(database, tmp_path / "checkpoint.json", key)
    assert (result.returncode, result.stdout) == (2, ""), result.stdout
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"{key}: ")
    problem = result.stderr.rstrip("\n").removeprefix(f"{key}: ")
    verify = ["verify", "--checkpoint", str(tmp_path / "checkpoint.json"), "--public-key", str(key)]
    library = subprocess.run(
        [sys.executable, "-m", "reintegration_fsm", "--db", f"sqlite:///{database}", *verify],
        capture_output=True,
        text=True,
        check=False,
    )
    assert library.returncode == 2
    if kind == "a directory":  # (opened by each as a file; each says why it cannot)
        assert problem.startswith("cannot be read as a key (")
    else:
        assert problem.startswith(("cannot be read as a PEM key (", "is not an Ed25519 public"))
        assert f"public key: {problem}" in library.stderr


HASH = "ab" * 32
WRONG: tuple[Any, ...] = (None, 0, True, 1.5, "x", [], {})
"""Values of each JSON kind, put in place of a checkpoint's field."""
VALID = [("authority", None), ("authority", "x"), ("cases", []), ("signature", None)]
VALID += [("cases[1].case_id", "x"), ("cases[1].redactions", [])]
"""Those a field may hold (the checkpoint's signature then does not hold, or its root)."""
MORE: dict[str, tuple[Any, ...]] = {
    "format": ("reintegration-fsm/checkpoint/3",),
    "format_version": (3, -1),
    "taken_at": (
        "2026-01-12T09:30:00+00:00",
        "2026-01-12T09:30:00-09:00",
        "2026-01-12 09:30:00Z",
        "2026-01-12T09:30:00.000000Z",
        "2026-02-30T09:30:00Z",
    ),
    "size": (2, -1),
    "root": ("AB" * 32, "ab" * 31),
    "cases": ([1], [None]),
    "signature": (
        {"algorithm": "Ed25519", "key_id": HASH},
        {"algorithm": "RSA", "key_id": HASH, "value": "QQ=="},
    ),
    "cases[1].case_id": ("",),
    "cases[1].version": (-1, "1"),
    "cases[1].last_hash": ("AB" * 32, "ab"),
    "cases[1].redactions": (
        [[2, 1]],
        [[0, 1, HASH]],
        [[2, True, HASH]],
        [[2, 1, "x"]],
        [[2, 1, HASH], [2, 1, HASH]],
    ),
}
FIELDS = ("format", "format_version", "taken_at", "authority", "size", "root", "cases")
FIELDS += ("signature",)
CASE_FIELDS = tuple(
    f"cases[1].{name}" for name in ("case_id", "version", "last_hash", "redactions")
)
MISSING = object()
"""The field removed."""


def _valid(field: str, value: Any) -> bool:
    return any(f == field and type(v) is type(value) and v == value for f, v in VALID)


def _changed_checkpoint(held: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(held))
    place, name = (
        (changed["cases"][0], field[9:]) if field.startswith("cases[1].") else (changed, field)
    )
    if value is MISSING:
        del place[name]
    else:
        place[name] = value
    return changed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (field, value)
        for field in (*FIELDS, *CASE_FIELDS)
        for value in (MISSING, *WRONG, *MORE.get(field, ()))
        if not _valid(field, value)
    ],
    ids=lambda value: "removed" if value is MISSING else None,
)
def test_a_checkpoint_missing_a_field_or_holding_one_of_the_wrong_kind_is_bad_input(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    signed: tuple[Path, dict[str, Any], Path],
    field: str,
    value: Any,
) -> None:
    """A checkpoint without its "format" (or "authority"), checked with a key, ended the
    script with a KeyError traceback (review K, K1). Each field removed, or given a value of
    another kind: one line naming the field, exit 2; the library refuses the same file."""
    database, held, key = signed
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(_changed_checkpoint(held, field, value)))
    status, out, err = _main(capsys, database, path, key)
    assert (status, out) == (2, ""), out
    named = re.escape(f"{path}: cannot be read as a checkpoint ({field}")
    assert re.match(named + r"(\[\d+\])?: ", err), err  # (cases[1]: of cases: [None])
    assert len(err.splitlines()) == 1
    with pytest.raises(MalformedCheckpoint):
        Checkpoint.from_json(path.read_text())


def test_a_checkpoint_naming_a_field_twice_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signed: tuple[Path, dict[str, Any], Path]
) -> None:
    """JSON that gives "taken_at" twice: Python's reader keeps the last, another the first;
    the library refuses it, and so does the script, rather than read it one way."""
    database, held, key = signed
    path = tmp_path / "checkpoint.json"
    text = json.dumps(held)
    path.write_text(
        text.replace('"taken_at": ', '"taken_at": "2020-01-01T00:00:00Z", "taken_at": ', 1)
    )
    status, out, err = _main(capsys, database, path, key)
    assert (status, out) == (2, "")
    assert err == f"{path}: cannot be read as a checkpoint (taken_at is given twice)\n"
    with pytest.raises(MalformedCheckpoint):
        Checkpoint.from_json(path.read_text())


def test_an_unsigned_checkpoint_checked_with_a_key_is_said_to_be_unsigned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signed: tuple[Path, dict[str, Any], Path]
) -> None:
    database, held, key = signed
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps({**held, "signature": None}))
    assert _main(capsys, database, path, key) == (1, "the checkpoint is not signed\n", "")


def _stamp_forms(stored: str) -> dict[str, Any]:
    """A stored time's text (2026-12-06 05:16:50.123456) in the forms the store never writes
    on SQLite, each of which some reader takes for a time."""
    seconds = stored[:19]
    return {
        "an offset": stored + "-09:00",
        "UTC's offset": stored + "+00:00",
        "a Z": stored + "Z",
        "a T": stored.replace(" ", "T"),
        "no fraction": seconds,
        "a fraction of three digits": seconds + ".123",
        "text after it": stored + " ",
        "text before it": " " + stored,
        "no such day": "2026-02-30" + stored[10:],
        "a number": 1765000000,
        "its bytes": stored.encode(),
    }


STAMPED = [
    ("rfsm_transitions", "recorded_at", how) for how in _stamp_forms("2026-12-06 05:16:50.123456")
] + [("rfsm_redactions", "redacted_at", how) for how in ("an offset", "no fraction", "a T")]


@pytest.mark.parametrize(("table", "column", "how"), STAMPED)
def test_a_time_not_as_the_store_writes_it_is_a_row_changed_behind_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, column: str, how: str
) -> None:
    """The script read a stored time two ways: its hash from the text's first 19 characters,
    its clock check with any offset applied; an entry written after a checkpoint and dated
    back, given the text "-09:00", passed both (review K, K2). It reads every time by one
    reader of the text the store writes on SQLite (`YYYY-MM-DD HH:MM:SS.ffffff`), and reports
    any other as a row that does not read as the store writes it, as verify() reports it."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    store.redact("case-01", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    store.close()
    where = "case_id = 'case-01' AND seq = 2"
    with raw_sqlite(database) as conn:
        for trigger in schema.drop_trigger_statements("sqlite"):
            conn.execute(trigger)
        (stored,) = conn.execute(f"SELECT {column} FROM {table} WHERE {where}").fetchone()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stored)
        value = _stamp_forms(stored)[how]
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (value,))
    status, out, err = _main(capsys, database)
    row = "case-01 entry 2: " + (
        "redaction record 1 does not" if table == "rfsm_redactions" else "it does not"
    )
    assert (status, err) == (1, "")
    assert out.splitlines() == [
        f"{row} read as the store writes it (its {column} {value!r} is not a time as the store "
        "writes it)"
    ]
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    try:
        assert {problem.case_id for problem in store.verify()} == {"case-01"}
    finally:
        store.close()


@pytest.mark.parametrize(
    "value",
    [
        f"{REDACTED_ON} 00:00:00",
        f"{REDACTED_ON:%d.%m.%Y}",
        f"{REDACTED_ON:%Y/%m/%d}",
        f"{REDACTED_ON}x",
    ],
)
def test_a_day_not_as_the_store_writes_it_is_a_row_changed_behind_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """A redaction record's day was read as its text's first ten characters, so that
    "2026-11-05 00:00:00" held the hash of 2026-11-05, where verify() reports the record
    (each here the day the redaction is dated, written otherwise)."""
    database = tmp_path / "kept.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    store.redact("case-01", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
    store.close()
    with raw_sqlite(database) as conn:
        for trigger in schema.drop_trigger_statements("sqlite"):
            conn.execute(trigger)
        conn.execute("UPDATE rfsm_redactions SET redacted_on = ?", (value,))
    assert _main(capsys, database) == (
        1,
        "case-01 entry 2: redaction record 1 does not read as the store writes it (its "
        f"redacted_on {value!r} is not a day as the store writes it)\n",
        "",
    )
    store = SqlAlchemyStore(f"sqlite:///{database}", calendar=CALENDAR)
    try:
        # The record's hash tells the day was changed; the history itself still replays (it
        # was reported as one that "does not replay: AttributeError" besides).
        assert [(p.case_id, p.seq, p.what) for p in store.verify()] == [
            ("case-01", 2, "the redaction record 1 does not match its hash")
        ]
    finally:
        store.close()


def test_at_rest_json_is_what_the_library_leaves_out() -> None:
    """The file beside the script is `at_rest.layout()`, written out (`python
    tests/test_check_log.py` writes it afresh)."""
    assert at_rest.layout() == LAYOUT
    assert LAYOUT_FILE.read_text() == layout_text()


def layout_text() -> str:
    return json.dumps(at_rest.layout(), indent=1, ensure_ascii=False) + "\n"


def test_a_file_that_is_no_store_exits_2(tmp_path: Path) -> None:
    """A plain copy of a store's file without its `-wal` may hold no tables yet: said, not a
    traceback. A name with `#` or `%` in it is opened as it is."""
    empty = tmp_path / "copy #1 100%.sqlite"
    sqlite3.connect(empty).close()
    result = _run(empty)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"{empty}: cannot be read as a store (no such table")


if __name__ == "__main__":
    LAYOUT_FILE.write_text(layout_text())
