"""Migration 0003 on a database holding revision-2 data: every sound log re-digested and still
verifying, a broken one left for verify() to report, revision 2's redactions kept as notes, and
the way back giving revision 2's hashes again; on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from legacy_rows import before_0012, legacy_log_rows
from reintegration_fsm import Reintegration
from reintegration_fsm.stores import SqlAlchemyStore, bulk, schema, upgrade
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.hashing import GENESIS, canonical_json
from reintegration_fsm.stores.migrate import VERSION_TABLE, config
from reintegration_fsm.stores.rows import Row
from scenario import ADMISSIONS, AUTHORITY
from store_contract import (
    CALENDAR,
    REDACTED_ON,
    built,
    reachable_engine,
    reset_database,
)
from test_digests import FROZEN
from test_stores_migrations import REVISION_2_LOG

OLD_REDACTIONS = sa.table(
    "rfsm_redactions",
    *(
        sa.column(name, type_)
        for name, type_ in (
            ("case_id", sa.String()),
            ("seq", sa.Integer()),
            ("redacted_at", sa.DateTime()),
            ("reason", sa.Text()),
            ("payload_digest", sa.String()),
            ("hash", sa.String()),
        )
    ),
)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database of each kind."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'redigest.db'}")
        yield engine
        engine.dispose()
        return
    url = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    engine = reachable_engine(url)
    reset_database(engine)
    yield engine
    reset_database(engine)
    engine.dispose()


def _revision_2_rows(case: Reintegration) -> tuple[Row, list[Row], list[Row], list[Row]]:
    """What revision 2's store wrote for a case: its case row, log, open items and ledger."""
    prepared = bulk.rows(case, case.local_authority, case.history, GENESIS, utc_now())
    # Written before its manual redaction (1 June 2026): a note is never dated before its entry.
    entries = legacy_log_rows(case.case_id, case.history, GENESIS, dt.datetime(2026, 5, 4, 10))
    case_row = before_0012(prepared.case_row) | {"last_hash": entries[-1]["hash"]}
    del case_row["state"]  # revision 0005 adds it
    return case_row, entries, prepared.items, prepared.ledger


def _fill_revision_2(engine: sa.Engine) -> dict[str, Reintegration]:
    """Three sound cases (one redacted by revision 2's manual procedure) and a broken one."""
    cases = {
        "sound-1": built("sound-1", 11),
        "sound-2": built("sound-2", 3),
        "redacted": built("redacted", 3),
        "broken": built("broken", 4),
    }
    with engine.begin() as conn:
        for case in cases.values():
            case_row, entries, items, ledger = _revision_2_rows(case)
            if case.case_id == "redacted":
                # Revision 2's documented procedure: blank the text, record the blanked digest.
                data = json.loads(entries[1]["data"])
                data["form"]["parent_name"] = "[redacted]"
                entries[1]["data"] = canonical_json(data)
                record: Row = {
                    "case_id": "redacted",
                    "seq": 2,
                    "redacted_at": dt.datetime(2026, 6, 1, 9, 30),
                    "reason": "Erasure request (revision 2)",
                    "payload_digest": hashlib.sha256(entries[1]["data"].encode()).hexdigest(),
                }
                record["hash"] = FROZEN._legacy_note_hash(record, entries[1]["hash"])
                conn.execute(sa.insert(OLD_REDACTIONS), record)
            if case.case_id == "broken":
                entries[2]["data"] = entries[2]["data"].replace("Bus pass", "Taxi")
            conn.execute(sa.insert(schema.cases), case_row)
            conn.execute(sa.insert(REVISION_2_LOG), entries)
            if items:
                conn.execute(sa.insert(schema.open_items), items)
            if ledger:
                conn.execute(sa.insert(schema.weightings), ledger)
    return cases


def _log(engine: sa.Engine) -> dict[tuple[str, int], dict[str, Any]]:
    with engine.connect() as conn:
        return {
            (row["case_id"], row["seq"]): dict(row)
            for row in conn.execute(sa.select(schema.transitions)).mappings()
        }


def _last_hashes(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(schema.cases.c.case_id, schema.cases.c.last_hash)).all())


def _downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_a_revision_2_log_is_re_digested_and_verifies(engine: sa.Engine) -> None:
    upgrade(engine, revision="0002")
    cases = _fill_revision_2(engine)
    before = _last_hashes(engine)

    upgrade(engine)

    log = _log(engine)
    sound = {"sound-1", "sound-2", "redacted"}
    for (case_id, _), entry in log.items():
        assert (entry["payload_salt"] is not None) == (case_id in sound), case_id
    with engine.connect() as conn:
        rechained = {row.case_id: row for row in conn.execute(sa.select(schema.rechained)).all()}
        version = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    assert version == ScriptDirectory.from_config(config()).get_current_head()
    assert set(rechained) == sound
    after = _last_hashes(engine)
    for case_id in sound:
        assert rechained[case_id].old_last_hash == before[case_id]
        assert rechained[case_id].new_last_hash == after[case_id] != before[case_id]
    assert after["broken"] == before["broken"]

    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    problems = store.verify()
    assert {p.case_id for p in problems} == {"broken"}  # as revision 2 reported it
    assert any("digest" in p.what for p in problems)
    for case_id in ("sound-1", "sound-2"):
        assert store.load(case_id) == cases[case_id]
    [note] = store.redactions("redacted")
    assert (note.legacy, note.reason, note.paths, note.on) == (
        True,
        "Erasure request (revision 2)",
        (),
        None,
    )
    assert store.load("redacted").history[1].data["form"]["parent_name"] == "[redacted]"
    # A bulk read gives each case as `load` does: salted entries read at rest, the unsalted
    # entries of the case the upgrade could not re-digest read as revision 2 wrote them.
    every = ["broken", "redacted", "sound-1", "sound-2"]
    assert [case.history for case in store.load_all(every)] == [
        store.load(case_id).history for case_id in every
    ]

    # The re-digested entries take revision 3's redactions, and a checkpoint holds them.
    checkpoint = store.checkpoint()
    store.redact("sound-1", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
    assert store.verify(checkpoint=checkpoint) == problems
    with pytest.raises(Exception, match="revision 3"):
        _downgrade(engine, "0002")


def test_the_way_back_gives_revision_2s_hashes_again(engine: sa.Engine) -> None:
    upgrade(engine, revision="0002")
    _fill_revision_2(engine)
    before_log = {key: entry["hash"] for key, entry in _log_revision_2(engine).items()}
    before = _last_hashes(engine)
    upgrade(engine)
    assert _last_hashes(engine) != before
    _downgrade(engine, "0002")
    after_log = {key: entry["hash"] for key, entry in _log_revision_2(engine).items()}
    # Exactly the old hashes, but for the case whose entry revision 2 redacted by hand: its old
    # digest was the unredacted text's, which no one holds any more.
    unredacted = {key: value for key, value in before_log.items() if key[0] != "redacted"}
    assert {key: after_log[key] for key in unredacted} == unredacted
    assert {k: v for k, v in _last_hashes(engine).items() if k != "redacted"} == {
        k: v for k, v in before.items() if k != "redacted"
    }
    upgrade(engine)
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    assert {p.case_id for p in store.verify()} == {"broken"}


def _log_revision_2(engine: sa.Engine) -> dict[tuple[str, int], dict[str, Any]]:
    with engine.connect() as conn:
        return {
            (row["case_id"], row["seq"]): dict(row)
            for row in conn.execute(sa.select(REVISION_2_LOG)).mappings()
        }


def test_the_upgrade_keeps_the_log_append_only_but_for_redactions(engine: sa.Engine) -> None:
    upgrade(engine, revision="0002")
    _fill_revision_2(engine)
    upgrade(engine)
    table = schema.transitions
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.update(table).values(actor_name="Someone Else"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.case_id == "sound-2"))
    with engine.connect() as conn, conn.begin():
        # Named for redaction, an entry still may not change a hashed column.
        conn.execute(sa.insert(schema.redacting), {"case_id": "sound-2", "seq": 2})
        redating = (
            sa.update(table)
            .where(table.c.case_id == "sound-2", table.c.seq == 2)
            .values(on_date=dt.date(2026, 1, 1))
        )
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(redating)
        conn.rollback()
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    store.redact("sound-2", 2, ["form.parent_name"], "Erasure", by=ADMISSIONS, on=REDACTED_ON)
    assert {p.case_id for p in store.verify()} == {"broken"}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.redacting)).scalar() == 0
    assert AUTHORITY  # the cases are the scenario's authority's
