"""Review LI: small items left open by earlier sessions.

The PostgreSQL and MariaDB cases run when RFSM_TEST_POSTGRES_URL and RFSM_TEST_MARIADB_URL are
set (skipped when unset).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import SqlAlchemyStore, copy_store, parallel
from store_contract import CALENDAR

invoke: Callable[..., Any] = CliRunner().invoke

CAP = 32
"""`CAP`, as the docs give it."""


# RR5: an absurd count of processes is refused, by both commands and both library calls.


def test_the_cap_is_the_one_the_docs_give() -> None:
    """The docs and messages say 32."""
    assert getattr(parallel, "MAX_WORKERS", None) == CAP


@pytest.mark.parametrize("workers", [CAP + 1, 10_000])
def test_verify_refuses_more_workers_than_the_cap(demo_db: str, workers: int) -> None:
    """`verify(workers=10_000)` is the caller's slip, refused as `FormInvalid` naming the cap,
    rather than up to one process per batch of cases."""
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as store:
        with pytest.raises(FormInvalid, match=f"from 1 to {CAP}, not {workers}"):
            store.verify(workers=workers)
        assert store.verify(workers=CAP) == store.verify()


def test_copy_store_refuses_more_workers_than_the_cap(demo_db: str, tmp_path: Path) -> None:
    """`copy_store(workers=10_000)`: the copy's form error, before a target file is made."""
    made = tmp_path / "target.sqlite"
    with pytest.raises(FormInvalid, match=f"from 1 to {CAP}") as refused:
        copy_store(demo_db, f"sqlite:///{made}", workers=10_000)
    assert refused.value.form == "copy"
    assert not made.exists()


@pytest.mark.parametrize("command", [["verify"], ["db", "copy", "TARGET"]])
def test_the_commands_refuse_more_workers_than_the_cap(
    demo_db: str, tmp_path: Path, command: list[str]
) -> None:
    """`verify --workers 10000` and `db copy --workers 10000`: a usage error (exit 2) naming
    the range, no traceback, no target made."""
    made = tmp_path / "target.sqlite"
    words = [str(made) if word == "TARGET" else word for word in command]
    result = invoke(cli, ["--db", demo_db, *words, "--workers", "10000"])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output
    assert f"1<=x<={CAP}" in result.output
    assert "Traceback" not in result.output
    assert not made.exists()
