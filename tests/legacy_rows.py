"""Log rows as earlier revisions of the library wrote them: revision 2's (no salt, the payload
digest the SHA-256 of the data's text, the hash over `hashing.LEGACY_HASHED_FIELDS`), and those
of revisions 0003 to 0010 (digest scheme 2, no payload key)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence

import attrs
import sqlalchemy as sa

from reintegration_fsm import Transition
from reintegration_fsm.stores import SqlAlchemyStore, schema
from reintegration_fsm.stores.bulk import Prepared
from reintegration_fsm.stores.digests import payload_digest
from reintegration_fsm.stores.entries import log_rows
from reintegration_fsm.stores.hashing import canonical_json, digest, entry_hash
from reintegration_fsm.stores.rows import Row
from reintegration_fsm.stores.stored import full_data


def legacy_log_rows(
    case_id: str, transitions: Sequence[Transition], prev_hash: str, recorded_at: dt.datetime
) -> list[Row]:
    """The log entries revision 2's store wrote for `transitions`, chained on from `prev_hash`."""
    rows = []
    for row, transition in zip(
        log_rows(case_id, transitions, prev_hash, recorded_at), transitions, strict=True
    ):
        for name in ("payload_salt", *KEYED):
            del row[name]
        row["data"] = canonical_json(transition.data)  # in full: revision 2 knew no data at rest
        row["payload_digest"] = digest(row["data"])
        row["prev_hash"] = prev_hash  # revisions before 0008 kept it in each row
        prev_hash = row["hash"] = entry_hash(row, prev_hash)
        rows.append(row)
    return rows


KEYED = ("payload_key", "leaf_keys")
"""The log's columns since revision 0011 (digest scheme 3)."""


def scheme_2_entries(entries: Sequence[Row]) -> list[Row]:
    """One case's log rows, in order, as revisions 0003 to 0010 wrote them: each entry's payload
    digest made with its salt alone (scheme 2), no payload key, the hashes chained over them."""
    rows, prev_hash = [], "0" * 64
    for entry in entries:
        row = {name: value for name, value in entry.items() if name not in KEYED}
        data = full_data(row["trigger_name"], json.loads(row["data"]))
        row["payload_digest"] = payload_digest(
            row["payload_salt"], row["actor_id"], row["actor_name"], data
        )
        prev_hash = row["hash"] = entry_hash(row, prev_hash)
        rows.append(row)
    return rows


def before_0014(case_row: Row) -> Row:
    """A case row as revisions before 0014 wrote it: no folded school columns."""
    return {name: value for name, value in case_row.items() if name not in FOLDED_SCHOOLS}


FOLDED_SCHOOLS = ("ap_setting_folded", "host_school_folded")
"""The case row's columns since revision 0014."""


def before_0012(case_row: Row) -> Row:
    """A case row as revisions before 0012 wrote it: no count of redaction records."""
    return {name: value for name, value in before_0014(case_row).items() if name != "redactions"}


def scheme_2(prepared: Prepared) -> Prepared:
    """A save's rows as revisions 0003 to 0010 wrote them (`scheme_2_entries`), the case row's
    last hash after."""
    entries = scheme_2_entries(prepared.entries)
    case_row = before_0012(prepared.case_row) | {"last_hash": entries[-1]["hash"]}
    return attrs.evolve(prepared, entries=entries, case_row=case_row)


def as_scheme_2(store: SqlAlchemyStore) -> None:
    """Every entry of the store rewritten in place as revision 0010 wrote it
    (`scheme_2_entries`), past the triggers; the case rows follow, the triggers are put back."""
    log = schema.transitions
    with store.engine.begin() as conn:
        for statement in schema.drop_trigger_statements(store.engine.dialect.name):
            conn.exec_driver_sql(statement)
        query = sa.select(log).order_by(log.c.case_id, log.c.seq)
        found = [dict(row) for row in conn.execute(query).mappings()]
        for case_id, held in itertools.groupby(found, key=lambda row: row["case_id"]):
            entries = scheme_2_entries(list(held))
            for entry in entries:
                conn.execute(
                    sa.update(log)
                    .where(log.c.case_id == case_id, log.c.seq == entry["seq"])
                    .values(
                        payload_key=None,
                        leaf_keys=None,
                        payload_digest=entry["payload_digest"],
                        hash=entry["hash"],
                    )
                )
            conn.execute(
                sa.update(schema.cases)
                .where(schema.cases.c.case_id == case_id)
                .values(last_hash=entries[-1]["hash"])
            )
    store.create_schema()  # the triggers back, as the store makes them


def with_prev_hash(entries: Sequence[Row], prev_hash: str = "0" * 64) -> list[Row]:
    """A case's log rows as revisions before 0008 kept them: each with the hash of the entry
    before it (`prev_hash` for the first)."""
    rows = []
    for entry in entries:
        rows.append({**entry, "prev_hash": prev_hash})
        prev_hash = entry["hash"]
    return rows
