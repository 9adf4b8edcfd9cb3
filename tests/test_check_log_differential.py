"""docs/examples/check_log.py against the library's verify(), on random alterations: whatever
one value of the log or of a redaction record is changed to, the script and verify() find
something wrong in the same cases (and nothing in a store left sound).

The named alterations of tests/test_check_log.py show each check where it was made; this one
looks for a change one of the two would pass and the other would not."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings

from raw_sqlite import raw_sqlite
from reintegration_fsm.stores import SqlAlchemyStore, schema
from reintegration_fsm.stores.hashing import entry_hash, redaction_hash
from scenario import ADMISSIONS
from store_contract import CALENDAR, REDACTED_ON, advanced, built
from test_check_log import SCRIPT, checked

BLOB = ("payload_digest", "hash", "payload_salt", "payload_key", "leaf_keys")
TEXT = ("trigger_name", "source", "dest", "actor_id", "actor_role", "actor_organisation")
NAMES = ("actor_name", "data")
"""The log's columns an alteration may change (its case id and number name the case: left)."""
NULLABLE = ("payload_salt", "payload_key", "leaf_keys")
RECORD = ("reason", "paths", "actor_id", "actor_name", "redacted_on", "payload_digest", "hash")
RECORD += ("redacted_at",)
TIMES = ("recorded_at", "redacted_at")


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of three cases, a scheme-3 entry redacted twice, an actor's name removed."""
    path = tmp_path_factory.mktemp("differential") / "sound.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{path}", calendar=CALENDAR)
    store.create_schema()
    for case in (built("case-01", 6), built("case-02", 3), built("case-03", 1)):
        store.save(case)
    for paths in (["form.parent_name"], ["form.relationship"]):  # (the parent signed, too)
        store.redact("case-01", 2, paths, "Family's request", by=ADMISSIONS, on=REDACTED_ON)
    store.redact("case-02", 1, ["actor.name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
    assert store.verify() == []
    store.close()
    return path


def _rows(path: Path, table: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(f"SELECT rowid, * FROM {table}")]
    finally:
        conn.close()


def _changed(value: Any, draw: st.DrawFn, column: str) -> Any:
    """Another value of the column's kind, as whoever can write the file might put there."""
    if isinstance(value, str) and column in BLOB:  # a record's digests are hex text
        at = draw(st.integers(0, len(value) - 1))
        return value[:at] + draw(st.sampled_from("0123456789abcdef")) + value[at + 1 :]
    if column in BLOB:
        nullable = column in NULLABLE
        if value is None or draw(st.booleans()):
            fresh = st.binary(min_size=0, max_size=40)
            return draw(st.none() | fresh if nullable else fresh)
        held = bytearray(value)
        if held:
            at = draw(st.integers(0, len(held) - 1))
            held[at] ^= draw(st.integers(1, 255))
        return bytes(held)
    if column == "data" and value is not None:
        return _data_changed(value, draw)
    if column in TIMES:
        return _time_changed(value, draw)
    if column in ("on_date", "redacted_on"):
        return (dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400)))).isoformat()
    if column == "paths":
        return json.dumps(draw(st.lists(st.sampled_from(["form.parent_name", "actor.name"]))))
    return draw(st.text(max_size=12) | st.sampled_from(["", "proposed", "ap_head", "x"]))


def _time_changed(text: str, draw: st.DrawFn) -> Any:
    """A stored time moved (by a second's fraction to a day, either way), or written in
    another form some reader takes for a time (an offset, a "T", no fraction, text after)."""
    moved = dt.datetime.fromisoformat(text) + dt.timedelta(
        microseconds=draw(st.integers(-86_400_000_000, 86_400_000_000))
    )
    written = moved.isoformat(" ", "microseconds")
    return draw(
        st.sampled_from(
            [
                written,
                written + draw(st.sampled_from(["-09:00", "+14:00", "+00:00", "Z", " ", "x"])),
                written.replace(" ", "T"),
                written[:19],
                written[:23],
            ]
        )
    )


def _data_changed(text: str, draw: st.DrawFn) -> str:
    """The data column's JSON with one value changed, added, removed or given twice."""
    data = json.loads(text)
    how = draw(st.sampled_from(["value", "add", "remove", "twice", "text"]))
    if how == "text":
        return text.replace(draw(st.sampled_from(['"', ":", "e", "2"])), "", 1)
    form = data.get("form") or data.get("pupil") or data
    if not isinstance(form, dict) or not form:
        return text + " "
    key = draw(st.sampled_from(sorted(form)))
    if how == "twice":
        return text.replace(f'"{key}":', f'"{key}":"Dana Example","{key}":', 1)
    if how == "value":
        form[key] = draw(st.text(max_size=8) | st.integers() | st.booleans() | st.none())
    elif how == "add":
        form[draw(st.text(min_size=1, max_size=6))] = "added"
    else:
        del form[key]
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


@st.composite
def alterations(draw: st.DrawFn, path: Path) -> tuple[str, int, str, Any]:
    table = draw(st.sampled_from(["rfsm_transitions"] * 3 + ["rfsm_redactions"]))
    rows = _rows(path, table)
    row = draw(st.sampled_from(rows))
    columns = (*BLOB, *TEXT, *NAMES, "on_date", "recorded_at")
    columns = columns if table == "rfsm_transitions" else RECORD
    column = draw(st.sampled_from(columns))
    return table, int(row["rowid"]), column, _changed(row[column], draw, column)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_script_and_verify_find_an_alteration_in_the_same_cases(
    sound: Path, tmp_path: Path, data: st.DataObject
) -> None:
    altered = tmp_path / "altered.sqlite"
    with raw_sqlite(sound) as source, raw_sqlite(altered) as copy:
        source.backup(copy)
    table, rowid, column, value = data.draw(alterations(sound), label="alteration")
    with raw_sqlite(altered) as conn:
        for trigger in schema.drop_trigger_statements("sqlite"):
            conn.execute(trigger)
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid))
    engine = sa.create_engine(f"sqlite:///{altered}")
    try:
        script = {line.split()[0].rstrip(":") for line in checked(engine)}
    finally:
        engine.dispose()
    store = SqlAlchemyStore(f"sqlite:///{altered}", calendar=CALENDAR)
    try:
        library = {problem.case_id for problem in store.verify()}
    finally:
        store.close()
    event(f"{table}.{column}: {'found' if library else 'sound'}")
    assert script == library
    altered.unlink()


@pytest.mark.parametrize(
    "form",
    ["", "-09:00", "+14:00", "+00:00", "Z", "T", "no fraction"],
    ids=lambda form: form or "as the store writes it",
)
@pytest.mark.parametrize("row", ["entry", "redaction record"])
def test_the_script_and_verify_find_a_row_written_after_a_checkpoint_and_dated_back(
    tmp_path: Path, form: str, row: str
) -> None:
    """Review K's attack (K2): a row written after a checkpoint, stamped an hour before it and
    hashed again, its stamp's text given a UTC offset: verify() reported the case, and the
    script passed it (its hash read the text's first 19 characters, its clock the offset
    applied). Whatever the stamp's text, both report the case, the script at the row."""
    path = tmp_path / "store.sqlite"
    store = SqlAlchemyStore(f"sqlite:///{path}", calendar=CALENDAR)
    store.create_schema()
    store.save(built("case-01", 3))
    taken = store.checkpoint()
    (tmp_path / "checkpoint.json").write_text(taken.to_json())
    stamp = taken.taken_at - dt.timedelta(hours=1)
    if row == "entry":
        store.save(advanced(store.load("case-01"), 1))
        table, column, where = "rfsm_transitions", "recorded_at", "seq = 4"
        at = "case-01 entry 4"
    else:
        store.redact("case-01", 2, ["form.parent_name"], "Asked", by=ADMISSIONS, on=REDACTED_ON)
        table, column, where = "rfsm_redactions", "redacted_at", "seq = 2 AND number = 1"
        at = "case-01 entry 2: redaction record 1"
    log, notes = schema.transitions, schema.redactions
    with store.engine.connect() as conn:
        entries = conn.execute(
            sa.select(log).where(log.c.case_id == "case-01").order_by(log.c.seq)
        ).mappings()
        hashes = {entry["seq"]: entry["hash"] for entry in entries}
        if row == "entry":
            written = conn.execute(sa.select(log).where(log.c.seq == 4)).mappings().one()
            forged = entry_hash({**written, "recorded_at": stamp}, hashes[3])
        else:
            written = conn.execute(sa.select(notes)).mappings().one()
            forged = redaction_hash({**written, "redacted_at": stamp}, hashes[2])
    store.close()
    text = stamp.isoformat(" ", "microseconds")
    text = {"T": text.replace(" ", "T"), "no fraction": text[:19]}.get(form, text + form)
    with raw_sqlite(path) as conn:
        for trigger in schema.drop_trigger_statements("sqlite"):
            conn.execute(trigger)
        value = bytes.fromhex(forged) if row == "entry" else forged
        conn.execute(f"UPDATE {table} SET {column} = ?, hash = ? WHERE {where}", (text, value))
        if row == "entry":
            conn.execute("UPDATE rfsm_cases SET last_hash = ?", (forged,))
    store = SqlAlchemyStore(f"sqlite:///{path}", calendar=CALENDAR)
    try:
        assert {problem.case_id for problem in store.verify(checkpoint=taken)} == {"case-01"}
    finally:
        store.close()
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(path), str(tmp_path / "checkpoint.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (1, "")
    lines = result.stdout.splitlines()
    assert lines
    assert all(line.startswith(at) for line in lines), lines
    if form:  # read one way: not as the store writes it
        assert lines == [
            f"{at}{':' if row == 'entry' else ''} "
            + ("it does not" if row == "entry" else "does not")
            + f" read as the store writes it (its {column} {text!r} is not a time as the store "
            "writes it)"
        ]
    else:
        assert lines[-1].endswith("written after it and dated back")
