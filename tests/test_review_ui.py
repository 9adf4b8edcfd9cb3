"""Review UI: an MIS vendor's screens on the Python API (refusals a program can sort)."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from reintegration_fsm import GuardFailed, ObligationKind, Reintegration
from reintegration_fsm.cli import cli
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.rules import RULE_OF, obligation_is_open, protocol_in_effect
from reintegration_fsm.serialisation import transition_from_json, transition_to_json, unstructure
from scenario import (
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    OPENED,
    PUPIL,
    consent,
)
from store_contract import CALENDAR


def _opened() -> Reintegration:
    return Reintegration.open("ui-1", PUPIL, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED)


def _refusal(case: Reintegration, *args: object, on: dt.date) -> GuardFailed:
    try:
        case.record_consent(*args, by=AP_HEAD, on=on)  # type: ignore[arg-type]
    except GuardFailed as error:
        return error
    raise AssertionError("the consent was recorded")


def test_UI1_each_reason_names_its_rule() -> None:
    """A refused consent's reasons are R2's, a date before the case's last step R16's: a
    program tells them apart by `rules`, parallel to `reasons`, not by the sentences."""
    case = _opened()
    refused = _refusal(
        case, consent(agrees=False, signed_on=CONSENTED), on=OPENED - dt.timedelta(days=1)
    )
    assert len(refused.rules) == len(refused.reasons) == 3
    assert refused.rules == ("R16", "R2", "R2")
    assert "earlier than" in refused.reasons[0]


def test_UI1_a_discharge_with_nothing_open_names_no_rule() -> None:
    """A discharge of an obligation not open is refused by no numbered rule: None."""
    case = _opened()
    with pytest.raises(GuardFailed) as refused:
        case.discharge(ObligationKind.TRANSFER_RECORDS, by=AP_STAFF, on=OPENED)
    assert refused.value.rules == (None,)


def test_UI1_the_rules_survive_pickling() -> None:
    """A refusal sent to another process (a job queue's result) keeps its rules."""
    refused = _refusal(_opened(), consent(agrees=False), on=CONSENTED)
    assert pickle.loads(pickle.dumps(refused)).rules == refused.rules == ("R2",)


def test_UI1_a_replayed_history_running_backwards_names_r16() -> None:
    """Replay refuses a transition dated before the one it follows as R16."""
    case = _opened()
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    rows = [transition_to_json(t) for t in case.history]
    rows[1] = {**rows[1], "on": (OPENED - dt.timedelta(days=3)).isoformat()}
    with pytest.raises(GuardFailed) as refused:
        Reintegration.replay([transition_from_json(row) for row in rows], CALENDAR)
    assert refused.value.rules == ("R16",)


def test_UI1_every_refusing_guard_has_the_rule_its_docstring_names() -> None:
    """Every guard a step runs is in `RULE_OF` (but the open-obligation and protocol-in-effect
    checks, of no numbered rule), under the rule its docstring starts with."""
    for step in STEP.values():
        for guard in step.checks:
            if guard in (obligation_is_open, protocol_in_effect):
                assert guard not in RULE_OF
                continue
            named = re.match(r"(R\d+):", guard.__doc__ or "")
            assert named is not None, guard
            assert RULE_OF[guard] == named.group(1), guard


def test_UI5_an_audit_screen_reads_each_step_in_words_from_a_public_function() -> None:
    """`protocol.steps.described` gives the timeline's words for each transition, and a
    record its step cannot read by its trigger."""
    from reintegration_fsm.cli.views import timeline
    from reintegration_fsm.protocol.steps import described

    case = _opened()
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    case.withdraw("Family moving away.", by=AP_HEAD, on=CONSENTED)
    words = [described(t) for t in case.history]
    story = timeline(case, CONSENTED)
    assert all(f"{t.on}  {t.actor.name} ({t.actor.role.value}" in story for t in case.history)
    assert all(f") {said}\n" in story for said in words), story
    assert words[-1] == "withdrew the reintegration: Family moving away."
    broken = transition_to_json(case.history[-1])
    broken["data"] = {}
    assert described(transition_from_json(broken)) == "withdraw (its record cannot be read)"


def _apply(url: str, tmp_path: Path, trigger: str, data: dict[str, Any], on: str) -> Any:
    """`apply ui-1 TRIGGER --format json` as the AP head, its failure's JSON object."""
    file = tmp_path / f"{trigger}.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            *("--db", url, "apply", "ui-1", trigger, "--data", str(file), "--on", on),
            *("--actor-id", AP_HEAD.id, "--actor-name", AP_HEAD.name, "--role", "ap_head"),
            *("--organisation", AP_SETTING, "--format", "json"),
        ],
        env={"RFSM_AUTHORITY": None, "RFSM_CALENDAR": None, "RFSM_PROTOCOLS": None},
    )
    return result.exit_code, json.loads(result.stdout)


def test_UI1_the_command_lines_json_refusal_gives_each_reasons_rule(tmp_path: Path) -> None:
    """`apply --format json` gives `rules` beside `reasons`, one each: a script counts
    refusals by rule; R16's advice on a step dated before the last is R16's too."""
    url = f"sqlite:///{tmp_path / 'ui.sqlite'}"
    opening = {"pupil": unstructure(PUPIL), "ap_setting": AP_SETTING, "local_authority": AUTHORITY}
    code, _ = _apply(url, tmp_path, "open", opening, OPENED.isoformat())
    assert code == 0
    unsigned = unstructure(consent(agrees=False, signed_on=None))
    code, refused = _apply(url, tmp_path, "record_consent", {"form": unsigned}, "2026-01-20")
    assert code == 1
    assert len(refused["rules"]) == len(refused["reasons"]) >= 2
    assert set(refused["rules"]) == {"R2"}
    early = (OPENED - dt.timedelta(days=1)).isoformat()
    code, behind = _apply(url, tmp_path, "record_consent", {"form": unsigned}, early)
    assert code == 1
    assert behind["rules"][0] == "R16"
    assert behind["rules"][-1] == "R16"  # the advice that follows R16's refusal
    assert "wrong date" in behind["reasons"][-1]
    assert len(behind["rules"]) == len(behind["reasons"])


def test_UI1_an_open_before_its_protocol_takes_effect_is_refused_by_no_numbered_rule() -> None:
    """RH8: R1 is the mainstream roll alone (PROTOCOL.md); the protocol's `effective_from`,
    which the same guard checked, was labelled R1 too. Each reason now has its own rule."""
    early = dt.date(2024, 8, 18)  # the day before WORCESTERSHIRE takes effect
    on_roll = attrs.evolve(PUPIL, on_mainstream_roll=True)
    with pytest.raises(GuardFailed) as both:
        Reintegration.open("ui-2", on_roll, AP_SETTING, AUTHORITY, by=AP_HEAD, on=early)
    assert both.value.rules == ("R1", None)
    assert "already on the roll" in both.value.reasons[0]
    assert "takes effect on 2024-08-19" in both.value.reasons[1]
    with pytest.raises(GuardFailed) as alone:
        Reintegration.open("ui-3", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=early)
    assert alone.value.rules == (None,)
    with pytest.raises(GuardFailed) as roll:
        Reintegration.open("ui-4", on_roll, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    assert roll.value.rules == ("R1",)
