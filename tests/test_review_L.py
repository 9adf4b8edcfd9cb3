"""Review L: `reintegration_fsm.testing` as an MIS vendor's test suite uses it (FINDINGS.md)."""

from __future__ import annotations

import pytest
from hypothesis import find, settings
from hypothesis.errors import InvalidArgument

from reintegration_fsm import Stage
from reintegration_fsm import testing as rt

QUICK = settings(max_examples=200, database=None, deadline=None)


def _a_run() -> rt.ProtocolRun:
    return find(rt.protocol_runs(), lambda run: len(run.steps) >= 2, settings=QUICK)


@pytest.mark.xfail(strict=True, reason="L2: play does not check a run's protocol, stage or open")
def test_l2_play_refuses_a_hand_built_run_by_name() -> None:
    """`play` checks its arguments (docs/testing.md): a hand-built run whose protocol is not a
    `Protocol`, whose stage is not a `Stage`, or whose `open` step passes `calendar` or
    `protocol` (which `play` gives) is refused with `InvalidArgument` naming `play(run=...)` and
    the problem, not a `FormInvalid` from inside the case nor `inspect`'s wording."""
    run = _a_run()
    with pytest.raises(InvalidArgument, match=r"play\(run=.*protocol"):
        rt.play(rt.ProtocolRun(run.steps, run.stage, "worcestershire"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"play\(run=.*stage"):
        rt.play(rt.ProtocolRun(run.steps, "withdrawn"))  # type: ignore[arg-type]
    opening = rt.RunStep("open", {**run.steps[0].kwargs, "calendar": None})
    with pytest.raises(InvalidArgument) as refused:
        rt.play(rt.ProtocolRun((opening, *run.steps[1:]), Stage.PROPOSED))
    assert "Signature" not in str(refused.value)
    assert "calendar" in str(refused.value)
