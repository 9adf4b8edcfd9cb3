"""Review TY: the package as a strictly typed MIS codebase imports it (mypy --strict).

One mypy run over a consumer file written the way PROTOCOL.md and docs/ describe the API. The
file asserts types with `assert_type` (which fails on `Any`) and carries deliberate mistakes under
`# type: ignore[code]`: `--strict` warns of an unused ignore, so a constructor or a strategy that
goes back to taking anything fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import attrs
import pytest

import reintegration_fsm

CONSUMER = """
from __future__ import annotations

import datetime as dt

from typing_extensions import assert_type

from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    Attendee,
    CaseNotFound,
    CaseSummary,
    ConcurrentUpdate,
    ConsentForm,
    DueItem,
    Evidence,
    FailureLetter,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    InitialMeeting,
    InMemoryStore,
    NotPermitted,
    Party,
    PastoralSupportPlan,
    Protocol,
    Pupil,
    Reintegration,
    ReintegrationInformation,
    ReviewKind,
    ReviewMeeting,
    Role,
    SqlAlchemyStore,
    Stage,
    StoreError,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.reports import academic_year, figures
from reintegration_fsm.stores import Store
from reintegration_fsm.testing import attendees, blank_names, blank_texts, texts

DAY = dt.date(2026, 1, 12)
HEAD = Actor("ap-1", "Morgan Reed", Role.AP_HEAD, "Brookfield")
PUPIL = Pupil("Alex Example", dt.date(2012, 5, 14), key_stage=3)


def open_case() -> Reintegration:
    return Reintegration.open("C-1", PUPIL, "Brookfield", "Example LA", by=HEAD, on=DAY)


def summaries(store: Store) -> list[CaseSummary]:
    return store.cases(stage=Stage.PROPOSED)


def due(store: Store) -> list[DueItem]:
    return store.due(DAY)


def shown(error: Exception) -> str:
    if isinstance(error, IllegalTransition):
        assert_type(error.stage, Stage)
    if isinstance(error, NotPermitted):
        assert_type(error.actor, Actor | None)
    if isinstance(error, GuardFailed):
        assert_type(error.reasons, tuple[str, ...])
        assert_type(error.rules, tuple[str | None, ...])
    if isinstance(error, FormInvalid):
        assert_type(error.problems, tuple[tuple[str, str], ...])
    if isinstance(error, ConcurrentUpdate):
        assert_type(error.found, int | None)
    if isinstance(error, CaseNotFound):
        assert_type(error.case_id, str)
    if isinstance(error, StoreError):
        assert_type(error.retryable, bool)
    return str(error)


# TY1: a store's protocols are Protocols, not Any.
memory = InMemoryStore(protocols=[WORCESTERSHIRE])
sql = SqlAlchemyStore("sqlite://", protocols=(WORCESTERSHIRE,))
assert_type(memory.protocols, tuple[Protocol, ...])
assert_type(sql.protocols, tuple[Protocol, ...])
InMemoryStore(protocols=["worcestershire"])  # type: ignore[list-item]
stores: list[Store] = [memory, sql]

# TY2: the cached strategies keep their signatures.
texts(3)  # type: ignore[call-arg]
blank_texts(3)  # type: ignore[call-arg]
blank_names(3)  # type: ignore[call-arg]
attendees("ap")  # type: ignore[arg-type]
attendees(Party.AP)

# TY3: a form's constructor is typed as its fields (dates, tuples, sets), not Any.
Pupil("Alex", "2012-05-14", key_stage=3)  # type: ignore[arg-type]
PastoralSupportPlan(start=None)  # type: ignore[arg-type]
PastoralSupportPlan(start=DAY, end=None)
SuccessfulOutcome(date_on_roll="2026-05-01", joiner_form_completed=True)  # type: ignore[arg-type]
UnsuccessfulOutcome("Back to the centre.", DAY, "Morgan Reed")
ReviewMeeting(DAY, ReviewKind.INTERIM, [Attendee("Sam", Party.AP)], None)
ReviewMeeting(DAY, ReviewKind.INTERIM, ["Sam"], None)  # type: ignore[list-item]
ReviewMeeting(DAY, ReviewKind.INTERIM, (), None, next_meeting="soon")  # type: ignore[arg-type]
ConsentForm(
    "Alex", dt.date(2012, 5, 14), "Dana", "Mother", True, False, None, True, True, True,
    ["Elmstead"], "Dana", DAY,
)
ConsentForm(
    "Alex", dt.date(2012, 5, 14), "Dana", "Mother", True, False, None, True, True, True,
    [3], "Dana", DAY,  # type: ignore[list-item]
)
FailureLetter("Dana", ["why"], True, True, True, ("support",), DAY, "Priya")
FailureLetter("Dana", "why", True, True, True, (), DAY, "Priya")  # type: ignore[arg-type]
ReintegrationInformation(None, None, None, None, None, "", "", {Evidence.PSP})
ReintegrationInformation(None, None, None, None, None, "", "", {"psp"})  # type: ignore[arg-type]
InitialMeeting(
    DAY, True, True, {Party.AP}, DAY, "", "", "", "", "", DAY, DAY, dt.datetime.now()
)
InitialMeeting(
    DAY, True, True, {Party.AP}, "2026-02-01", "", "", "", "", "",  # type: ignore[arg-type]
    DAY, DAY, DAY,
)

# TY4: the figures' JSON reads without a cast.
found = figures([open_case()], academic_year("2025/26"), on=DAY)
limit: int | None = found.to_json()["offers"]["limit_school_days"]
"""


def test_a_strictly_typed_consumer_checks_clean(tmp_path: Path) -> None:
    """mypy --strict on code written from PROTOCOL.md and docs/: no error, no unused ignore
    (TY1 store protocols, TY2 cached strategies, TY3 form constructors, TY4 figures' JSON).

    In a process of its own: mypy raises the interpreter's recursion limit for good, which
    changed what later tests in this one met (a TOML nested 5,000 deep then read)."""
    consumer = tmp_path / "consumer.py"
    consumer.write_text(textwrap.dedent(CONSUMER), encoding="utf-8")
    # The package under test, not an installed copy elsewhere.
    env = {**os.environ, "MYPYPATH": str(Path(reintegration_fsm.__file__).parent.parent)}
    ran = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--no-error-summary"),
            *("--cache-dir", str(tmp_path / "cache"), str(consumer)),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")


def _untyped_converters(cls: type) -> list[str]:
    """The fields of the attrs class `cls` whose converter takes `Any`: a type checker gives the
    constructor the converter's argument type, so those arguments take anything."""
    return [
        field.name
        for field in attrs.fields(cls)
        if field.converter is not None
        and typing.get_type_hints(field.converter).get("value", typing.Any) is typing.Any
    ]


@pytest.mark.parametrize(
    "form",
    [
        cls
        for name in reintegration_fsm.__all__
        if isinstance(cls := getattr(reintegration_fsm, name), type) and attrs.has(cls)
    ],
    ids=lambda cls: cls.__name__,
)
def test_no_public_value_takes_any_through_a_converter(form: type) -> None:
    """TY3, TY5: every converter of a public attrs value (a form, a `Protocol`) is typed (a
    field added later too)."""
    assert _untyped_converters(form) == []
