"""A log row's data at rest and its digests as bytes: read back in full, compared as data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from legacy_rows import before_0012, with_prev_hash
from reintegration_fsm.errors import StoreError
from reintegration_fsm.stores import SqlAlchemyStore, bulk, schema, upgrade
from reintegration_fsm.stores.clocks import utc_now
from reintegration_fsm.stores.entries import log_rows, transitions_from_rows, transitions_read
from reintegration_fsm.stores.hashing import GENESIS, canonical_json, entry_hash
from reintegration_fsm.stores.holding import Holds, how_held
from reintegration_fsm.stores.redaction import remove
from reintegration_fsm.stores.stored import FULL, stored_data, stored_text
from store_contract import CALENDAR, built


def test_a_row_holds_its_transition_at_rest_in_full_or_wrapped_but_not_another() -> None:
    case = built("case-01", 11)
    for row, transition in zip(
        log_rows("case-01", case.history, GENESIS, utc_now()), case.history, strict=True
    ):
        full = canonical_json(transition.data)
        assert row["data"] == stored_text(transition.trigger, transition.data)
        assert len(row["data"]) <= len(full)
        assert stored_data(row) == transition.data
        for text in (row["data"], full, canonical_json({FULL: transition.data})):
            held = how_held(row | {"data": text}, transition)
            assert held is Holds.AS_STORED  # as written, by 0003, or wrapped
        changed = json.loads(full)
        changed["schema"] = 99
        assert how_held(row | {"data": canonical_json(changed)}, transition) is Holds.NOT


def test_a_redaction_edits_the_full_data_and_writes_it_back_at_rest() -> None:
    case = built("case-01", 3)
    row = log_rows("case-01", case.history[1:2], GENESIS, utc_now())[0]
    removal = remove(row, ["form.parent_name"], strict=True)
    redacted = row | {"data": removal.data}
    assert removal.data == stored_text(row["trigger_name"], stored_data(redacted))
    assert "$redacted" in removal.data
    assert set(json.loads(removal.data)["form"]["parent_name"]) == {"$redacted"}
    assert stored_data(redacted)["form"].keys() == case.history[1].data["form"].keys()


def test_transitions_read_from_data_parsed_once_are_those_read_from_the_rows() -> None:
    """verify() parses each entry once for its digest and its replay: the transitions are the
    same, each holds the parsed data itself (no copy), and it is still frozen to a reader."""
    case = built("case-01", 11)
    rows = log_rows("case-01", case.history, GENESIS, utc_now())
    removal = remove(rows[1], ["form.parent_name"], strict=True)
    rows[1] = rows[1] | {"data": removal.data}  # read from its row: a placeholder, no note
    parsed: list[object] = [stored_data(row) for row in rows]
    parsed[2] = None  # not parsed (not JSON, or an unsalted entry): read from its row
    read = transitions_read(rows, {}, parsed)
    assert read == transitions_from_rows(rows, {})
    assert read[0]._raw() is parsed[0]
    assert read[1]._raw() is not parsed[1]
    assert read[1].data["form"]["parent_name"] == "(redacted)"
    with pytest.raises(TypeError):
        read[0].data["case_id"] = "changed"  # type: ignore[index]
    assert parsed[0]["case_id"] == "case-01"  # type: ignore[index]


_ROW = {
    "case_id": 'case-\u00e9"1',
    "seq": 3,
    "trigger_name": "hold_review",
    "source": None,
    "dest": "placement",
    "actor_id": "ap-1",
    "actor_name": "Sam",
    "actor_role": "ap_staff",
    "actor_organisation": "Brookfield\n",
    "on_date": dt.date(2026, 3, 6),
    "recorded_at": dt.datetime(2026, 3, 6, 9, 30, 1, 5),
    "payload_digest": "ab" * 32,
}
_PREVIOUS = "cd" * 32
"""The previous entry's hash (a column of the row before schema revision 0008)."""


@pytest.mark.parametrize(
    ("row", "known"),
    [
        (
            _ROW | {"payload_salt": "00" * 16},
            "f77a95026c64cd053741d96fdbfa4be9ddb0edc1f6ff44daeb9be78304770bfe",
        ),
        (_ROW, "16b5cb0f75a1bf58881ccbb3110ff449cec3cbe83504d42ed480f699b4f2f5f2"),
        (
            _ROW | {"payload_salt": "00" * 16, "seq": True, "source": 1.5},
            "521575e731eb31895cbdf8d207499f698b42f65e5fd97a866a3cc239ca8b1821",
        ),
    ],
)
def test_entry_hashes_written_by_earlier_versions_are_unchanged(
    row: dict[str, Any], known: str
) -> None:
    assert entry_hash(row, _PREVIOUS) == known


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 2, 16, 23, 35),
        dt.datetime(2026, 1, 2, 3, 4, 5, 6),
        dt.datetime(999, 1, 2, 3, 4, 5, 123456),  # strftime writes the year unpadded
        dt.datetime(2026, 12, 2, 16, 23, 35, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_rows_for_sqlite_hold_dates_as_sqlalchemy_writes_them(moment: dt.datetime) -> None:
    # The save and the import hand SQLite's driver text that SQLAlchemy's reads must agree
    # with: only the DATE and DATETIME columns are converted, every other value is left as is.
    dialect = sa.dialects.sqlite.dialect()  # type: ignore[attr-defined]
    assert bulk.DATED[schema.transitions.name] == ("on_date", "recorded_at")
    assert bulk.DATED[schema.open_items.name] == ("due", "opened_on")
    for table in (schema.cases, schema.transitions, schema.open_items, schema.weightings):
        row: dict[str, Any] = {
            column.name: moment
            if isinstance(column.type, sa.DateTime)
            else moment.date()
            if isinstance(column.type, sa.Date)
            else f"kept {column.name}"
            for column in table.columns
        }
        written = bulk.sqlite_row(row, bulk.DATED[table.name])
        for column in table.columns:
            if isinstance(column.type, sa.Date | sa.DateTime):
                processor = column.type.dialect_impl(dialect).bind_processor(dialect)
                assert written[column.name] == processor(row[column.name]), column.name
            else:
                assert written[column.name] == f"kept {column.name}"
    assert bulk.sqlite_row({"due": None, "kind": "x"}, ("due", "opened_on")) == {
        "due": None,
        "kind": "x",
    }


def test_hex_bytes_binds_hex_as_bytes_and_reads_bytes_as_hex() -> None:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("h", schema.HexBytes(32)))
    table.create(engine)
    value = "ab" * 32
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"h": value}, {"h": None}])
        assert conn.exec_driver_sql(
            "SELECT h FROM t WHERE h IS NOT NULL"
        ).scalar() == bytes.fromhex(value)
        assert conn.execute(sa.select(table.c.h).where(table.c.h == value)).scalar() == value
        assert conn.execute(sa.select(sa.func.count()).where(table.c.h.is_(None))).scalar() == 1
    engine.dispose()


def test_a_database_not_upgraded_to_0006_is_refused_with_the_way_out(tmp_path: Path) -> None:
    OLD = {c.name for c in schema.transitions.columns} - {"payload_key", "leaf_keys"} | {
        "prev_hash"
    }
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, revision="0005")
    store = SqlAlchemyStore(engine, calendar=CALENDAR)
    hex_log = sa.table(
        "rfsm_transitions",
        *(sa.column(c.name, sa.String()) for c in schema.transitions.columns if c.name in OLD),
        sa.column("prev_hash", sa.String()),
    )
    case = built("case-01", 2)
    prepared = bulk.rows(case, case.local_authority, case.history, GENESIS, utc_now())
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.cases), before_0012(prepared.case_row))
        conn.execute(
            sa.insert(hex_log),
            [  # as revisions 0003 to 0005 wrote them: the data in full
                {
                    name: value
                    for name, value in bulk.sqlite_row(
                        entry, bulk.DATED[schema.transitions.name]
                    ).items()
                    if name in OLD
                }
                | {"data": canonical_json(transition.data)}
                for entry, transition in zip(
                    with_prev_hash(prepared.entries), case.history, strict=True
                )
            ],
        )
    with pytest.raises(StoreError, match="run upgrade"):
        store.history("case-01")
    with pytest.raises(StoreError, match=r"schema is at revision 0005.*run upgrade"):
        store.verify()  # (a digest kept as text in a store at the newest: one altered row)
    upgrade(engine)
    assert store.history("case-01") == case.history
    engine.dispose()  # the test's own: the store leaves a caller's engine open
