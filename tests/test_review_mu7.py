"""Review MU7: tests that kill the mutants of the tamper-evidence checks (`stores/hashing.py`,
`stores/payload_checks.py`) that mutmut 3.8.1 found the evidence tests let live."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from legacy_rows import scheme_2_entries
from reintegration_fsm.stores import InMemoryStore
from reintegration_fsm.stores.hashing import digest, redaction_hash
from reintegration_fsm.stores.payload_checks import payload_problems
from store_contract import CALENDAR, built

NAMING_NO_ONE = "naming who made it"


def _scheme_2_entry() -> dict[str, Any]:
    """The second entry of a case as revisions 0003 to 0010 wrote it (scheme 2)."""
    store = InMemoryStore(calendar=CALENDAR)
    store.save(built("case-01", 3))
    return scheme_2_entries(store._log["case-01"])[1]


def _legacy_note(entry: dict[str, Any], **named: Any) -> dict[str, Any]:
    """The note the 0003 upgrade kept of revision 2's manual redaction: the entry's first
    record, without paths, naming no one (unless `named` gives it a field)."""
    note: dict[str, Any] = {
        "case_id": entry["case_id"],
        "seq": entry["seq"],
        "number": 1,
        "redacted_at": dt.datetime(2026, 3, 2, 9, 30),
        "redacted_on": None,
        "reason": "Removed by hand",
        "paths": None,
        "actor_id": None,
        "actor_name": None,
        "actor_role": None,
        "actor_organisation": None,
        "payload_digest": entry["payload_digest"],
    } | named
    note["hash"] = redaction_hash(note, entry["hash"])
    return note


def test_a_legacy_note_naming_no_one_on_a_scheme_2_entry_is_sound() -> None:
    """What the 0003 upgrade left: the one shape of a note without paths that verify passes."""
    entry = _scheme_2_entry()
    found, _data = payload_problems(entry, [_legacy_note(entry)])
    assert found == []


@pytest.mark.parametrize(
    "named",
    [
        {"actor_id": "la-9"},
        {"actor_name": "Jo Whitfield"},
        {"actor_role": "la_admissions"},
        {"actor_organisation": "Example County Council"},
        {"redacted_on": dt.date(2026, 3, 2)},
    ],
    ids=lambda named: next(iter(named)),
)
def test_a_note_without_paths_naming_anyone_is_reported(named: dict[str, Any]) -> None:
    """A note without paths that names who made it, or its business date, in any one of its
    fields was written by hand: revision 2's manual redactions named neither."""
    entry = _scheme_2_entry()
    found, _data = payload_problems(entry, [_legacy_note(entry, **named)])
    assert len(found) == 1
    assert NAMING_NO_ONE in found[0]
    assert found[0].startswith("redaction record 1 is a note without paths naming who made it")


def _unsalted_entry() -> dict[str, Any]:
    """An entry as written before schema revision 0003: no salt, its payload digest the
    SHA-256 of its data's text."""
    entry = _scheme_2_entry() | {"payload_salt": None}
    return entry | {"payload_digest": digest(entry["data"])}


def test_an_unsalted_entry_whose_data_matches_its_digest_is_sound() -> None:
    found, data = payload_problems(_unsalted_entry(), [])
    assert (found, data) == ([], None)


def test_an_unsalted_entry_whose_data_was_edited_is_reported() -> None:
    entry = _unsalted_entry()
    edited = entry | {"data": entry["data"].replace('"agrees":true', '"agrees":false')}
    assert edited["data"] != entry["data"]
    found, _data = payload_problems(edited, [])
    assert found == [
        "payload does not match its digest (altered; an entry written before schema revision "
        "0003 and not re-digested cannot be redacted)"
    ]


def test_an_unsalted_entry_whose_data_is_not_valid_unicode_is_reported() -> None:
    """Text holding a lone surrogate (a row written behind the store) has no UTF-8 form, so no
    digest: it cannot match the one kept."""
    entry = _unsalted_entry()
    found, _data = payload_problems(entry | {"data": entry["data"][:-1] + '"\ud800"}'}, [])
    assert len(found) == 1
    assert found[0].startswith("payload does not match its digest (altered;")
