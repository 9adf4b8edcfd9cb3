"""Log rows as revision 2 of the library wrote them: no salt, the payload digest the SHA-256 of
the data's text, the hash over revision 2's fields (`hashing.LEGACY_HASHED_FIELDS`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import attrs

from reintegration_fsm import Transition
from reintegration_fsm.stores.bulk import Prepared
from reintegration_fsm.stores.digests import payload_digest
from reintegration_fsm.stores.hashing import canonical_json, digest, entry_hash
from reintegration_fsm.stores.rows import Row, log_rows
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


def scheme_2(prepared: Prepared) -> Prepared:
    """A save's rows as revisions 0003 to 0010 wrote them: each entry's payload digest made with
    its salt alone (scheme 2), no payload key, the hashes and the case row's last hash after."""
    entries, prev_hash = [], "0" * 64
    for entry in prepared.entries:
        row = {name: value for name, value in entry.items() if name not in KEYED}
        data = full_data(row["trigger_name"], json.loads(row["data"]))
        row["payload_digest"] = payload_digest(
            row["payload_salt"], row["actor_id"], row["actor_name"], data
        )
        prev_hash = row["hash"] = entry_hash(row, prev_hash)
        entries.append(row)
    return attrs.evolve(
        prepared, entries=entries, case_row=prepared.case_row | {"last_hash": prev_hash}
    )


def with_prev_hash(entries: Sequence[Row], prev_hash: str = "0" * 64) -> list[Row]:
    """A case's log rows as revisions before 0008 kept them: each with the hash of the entry
    before it (`prev_hash` for the first)."""
    rows = []
    for entry in entries:
        rows.append({**entry, "prev_hash": prev_hash})
        prev_hash = entry["hash"]
    return rows
