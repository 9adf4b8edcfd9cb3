"""docs/examples/check_log.py against the library's verify(), on random alterations: whatever
one value of the log or of a redaction record is changed to, the script and verify() find
something wrong in the same cases (and nothing in a store left sound).

The named alterations of tests/test_check_log.py show each check where it was made; this one
looks for a change one of the two would pass and the other would not."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings

from raw_sqlite import raw_sqlite
from reintegration_fsm.stores import SqlAlchemyStore, schema
from scenario import ADMISSIONS
from store_contract import CALENDAR, REDACTED_ON, built
from test_check_log import checked

BLOB = ("payload_digest", "hash", "payload_salt", "payload_key", "leaf_keys")
TEXT = ("trigger_name", "source", "dest", "actor_id", "actor_role", "actor_organisation")
NAMES = ("actor_name", "data")
"""The log's columns an alteration may change (its case id and number name the case: left)."""
NULLABLE = ("payload_salt", "payload_key", "leaf_keys")
RECORD = ("reason", "paths", "actor_id", "actor_name", "redacted_on", "payload_digest", "hash")


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
    if column in ("on_date", "redacted_on"):
        return (dt.date(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400)))).isoformat()
    if column == "paths":
        return json.dumps(draw(st.lists(st.sampled_from(["form.parent_name", "actor.name"]))))
    return draw(st.text(max_size=12) | st.sampled_from(["", "proposed", "ap_head", "x"]))


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
    columns = (*BLOB, *TEXT, *NAMES, "on_date") if table == "rfsm_transitions" else RECORD
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
