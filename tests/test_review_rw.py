"""Review RW: a hostile review of the fixes merged before it (TM1, TM2, DK1, DK2/DK3); RW1:
`verify()` names the escaped text an import stored under DK1's setting before its fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reintegration_fsm.stores import SqlAlchemyStore, postgresql
from store_contract import CALENDAR, built
from test_review_dk import _configured_postgres


@pytest.fixture
def non_conforming_postgres_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database whose DBA set `standard_conforming_strings = off`."""
    yield from _configured_postgres(postgres_url, "rw_scs", "standard_conforming_strings = off")


def test_RW1_verify_names_the_escaped_text_an_import_stored_before_DK1s_fix(
    non_conforming_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RW1: a case imported under `standard_conforming_strings = off` before DK1's fix keeps
    each hash, digest and key as the bytes of its `\\x...` text. `verify()` called every entry
    "altered after saving", as for tampering: it must say what it is, and what to do."""
    with monkeypatch.context() as before_the_fix:
        before_the_fix.setattr(postgresql, "_conform_strings", lambda _connection: None)
        store = SqlAlchemyStore(non_conforming_postgres_url, calendar=CALENDAR)
        try:
            store.create_schema()
            case = built("rw1-imported", 3)
            assert store.import_histories([(case.local_authority, case.history)]) == 3
        finally:
            store.close()
    store = SqlAlchemyStore(non_conforming_postgres_url, calendar=CALENDAR)
    try:
        problems = store.verify()
    finally:
        store.close()
    assert {problem.case_id for problem in problems} == {"rw1-imported"}
    named = [p.what for p in problems if "standard_conforming_strings" in p.what]
    assert len(named) == 1, [p.what for p in problems]
    assert "not a sign of tampering" in named[0]
    assert "import" in named[0]
