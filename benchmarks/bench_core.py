"""Core speed and memory, each figure printed beside its floor in one run.

    python benchmarks/bench_core.py [--cases 20000] [--instructions]

Floors:
  hold_review (guards, departures, history) <= a bare `transitions` trigger, one-model machine
  dispatch and the actor check              <= 3x a hand-written dict table
  replaying (re-checking) 11-step histories  reported as cases per second
  restoring 11-step histories (unchecked)    reported as cases per second
  resuming from rows and the stored state    faster than a checked replay (a store's load)
  memory per loaded case (11 transitions)    <= 8 KB, as a store loads it (each case its own
                                             strings; the rows' data text kept at rest)

Timings are the minimum over rounds timed in alternation with their floor, so that both meet the
same machine load. `--instructions` also counts instructions per call under valgrind's
callgrind, which a busy machine does not disturb (slow: about two minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import timeit
import tracemalloc
from pathlib import Path
from typing import Any

from transitions import Machine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import scenario as sc  # noqa: E402
from reintegration_fsm import (  # noqa: E402
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    SchoolCalendar,
    Stage,
    Transition,
)
from reintegration_fsm.protocol.at_rest import StoredTransition, at_rest  # noqa: E402
from reintegration_fsm.protocol.machine import DISPATCH  # noqa: E402
from reintegration_fsm.serialisation import transition_to_json  # noqa: E402
from reintegration_fsm.stores.hashing import canonical_json  # noqa: E402


def best(fn: Any, number: int, repeat: int = 5) -> float:
    """Seconds per call: the minimum over `repeat` runs of `number` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def best_pair(ours: Any, floor: Any, number: int, rounds: int = 9) -> tuple[float, float]:
    """Seconds per call of each, timed in alternation so that both meet the same machine load."""
    timer_ours, timer_floor = timeit.Timer(ours), timeit.Timer(floor)
    times_ours, times_floor = [], []
    for _ in range(rounds):
        times_ours.append(timer_ours.timeit(number))
        times_floor.append(timer_floor.timeit(number))
    return min(times_ours) / number, min(times_floor) / number


def placed_case(calendar: SchoolCalendar, case_id: str = "BENCH-1") -> Reintegration:
    """A case in IN_PLACEMENT, seven steps in."""
    case = Reintegration.open(
        case_id,
        sc.PUPIL,
        sc.AP_SETTING,
        sc.AUTHORITY,
        by=sc.AP_HEAD,
        on=sc.OPENED,
        calendar=calendar,
    )
    case.record_consent(sc.consent(), by=sc.AP_HEAD, on=sc.CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.VIRTUAL, sc.information(), sc.PSP, by=sc.AP_HEAD, on=sc.REFERRED
    )
    case.identify_host(sc.HOST_SCHOOL, ReferralRoute.VIRTUAL, by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    case.note_at_panel(by=sc.ADMISSIONS, on=sc.HOST_FOUND)
    case.hold_initial_meeting(sc.initial_meeting(), sc.views(), by=sc.AP_HEAD, on=sc.MEETING)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    return case


def eleven_step_history(calendar: SchoolCalendar) -> tuple[Transition, ...]:
    """A complete successful run: eleven transitions."""
    case = placed_case(calendar)
    case.hold_review(sc.review(sc.FIRST_REVIEW), by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)
    case.hold_review(sc.review(sc.SECOND_REVIEW), by=sc.HOST_STAFF, on=sc.SECOND_REVIEW)
    case.hold_review(
        sc.review(sc.FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        by=sc.HOST_HEAD,
        on=sc.FINAL_REVIEW,
    )
    case.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=sc.SUCCESS.date_on_roll)
    assert len(case.history) == 11
    return case.history


REVIEW = sc.review(sc.FIRST_REVIEW, child_views=sc.views(sc.FIRST_REVIEW + dt.timedelta(days=3)))
"""A review as one is usually recorded: the child's views gathered for it (no departure)."""


def bare_model() -> Any:
    class Model:
        pass

    bare = Model()
    machine = Machine(
        bare, states=[s.value for s in Stage], initial="in_placement", auto_transitions=False
    )
    machine.add_transition("hold_review", "in_placement", "in_placement")
    return bare


def row(
    label: str, value: str, floor: str, ratio: float, limit: float, higher: bool = False
) -> None:
    ok = ratio >= limit if higher else ratio <= limit
    verdict = "PASS" if ok else "FAIL"
    print(f"{label:<58} {value:>14}   ratio {ratio:6.2f}  floor {floor:<26} {verdict}")


INSTRUCTIONS_SCRIPT = """
import sys
sys.path.insert(0, {bench!r})
import bench_core as b
from reintegration_fsm import SchoolCalendar
import scenario as sc
case = b.placed_case(SchoolCalendar.sample())
bare = b.bare_model()
ours = lambda: case.hold_review(b.REVIEW, by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)
ours(); bare.hold_review()
which, n = sys.argv[1], int(sys.argv[2])
f = {{"ours": ours, "bare": bare.hold_review}}.get(which)
if f is not None:
    for _ in range(n):
        f()
"""


def instructions(which: str, n: int) -> int:
    """Instructions the script runs under callgrind (its setup, then `n` calls of `which`)."""
    with tempfile.TemporaryDirectory() as folder:
        script = os.path.join(folder, "run.py")
        with open(script, "w") as handle:
            handle.write(INSTRUCTIONS_SCRIPT.format(bench=str(HERE)))
        out = os.path.join(folder, "callgrind.out")
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                script,
                which,
                str(n),
            ],
            capture_output=True,
            check=True,
        )
        with open(out) as handle:
            found = re.search(r"^(?:summary|totals): (\d+)", handle.read(), re.M)
        assert found is not None
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    calendar = SchoolCalendar.sample()
    n = 20_000

    # 1. A representative trigger against a bare transitions trigger.
    case = placed_case(calendar)
    bare = bare_model()

    def hold_review() -> None:
        case.hold_review(REVIEW, by=sc.HOST_STAFF, on=sc.FIRST_REVIEW)

    ours, floor = best_pair(hold_review, bare.hold_review, n)
    row(
        "hold_review (guards, departures, history) vs bare trigger",
        f"{ours * 1e6:.2f} us",
        f"{floor * 1e6:.2f} us transitions",
        ours / floor,
        1.0,
    )
    if args.instructions:
        calls = 1000
        base = instructions("none", calls)
        per_ours = (instructions("ours", calls) - base) / calls
        per_bare = (instructions("bare", calls) - base) / calls
        row(
            "   the same, counted in instructions (callgrind)",
            f"{per_ours:,.0f}",
            f"{per_bare:,.0f} transitions",
            per_ours / per_bare,
            1.0,
        )

    # 2. Dispatch and the actor check against a hand-written dict table.
    table = {("in_placement", "hold_review"): ("in_placement", frozenset({"host_staff"}))}
    stage, role = "in_placement", "host_staff"

    def hand_written() -> None:
        entry = table.get((stage, "hold_review"))
        if entry is None or role not in entry[1]:
            raise RuntimeError

    def dispatch() -> None:
        step = DISPATCH[case.stage].get("hold_review")
        assert step is not None
        case._check_actor(step, sc.HOST_STAFF, None)

    ours_dispatch, hand = best_pair(dispatch, hand_written, n * 5)
    row(
        "dispatch and actor check (stage, role, organisation)",
        f"{ours_dispatch * 1e9:.0f} ns",
        f"{hand * 1e9:.0f} ns hand-written",
        ours_dispatch / hand,
        3.0,
    )

    # 3. Replay (every rule re-checked), restore (unchecked replay) and resume (from the state
    #    a store keeps beside the log) of 11-step histories, from their rows' text at rest.
    history = list(eleven_step_history(calendar))
    case = Reintegration.replay(history, calendar)
    state = case._state()
    rows = [(t.seq, t.trigger, t.source, t.dest, t.actor, t.on, rest_text(t)) for t in history]

    def stored(copy: bool = False) -> list[Transition]:
        # copy: each case its own strings, as rows read from a database are.
        return [
            StoredTransition.from_text(
                seq, trigger, source, dest, actor, on, "".join(list(text)) if copy else text
            )
            for seq, trigger, source, dest, actor, on, text in rows
        ]

    def rate(name: str, load: Any, count: int) -> float:
        started = timeit.default_timer()
        for _ in range(count):
            load()
        per_second = count / (timeit.default_timer() - started)
        print(f"{name:<58} {per_second:>10,.0f} cases/s")
        return per_second

    replayed = rate(
        "replay (re-check) eleven-step histories",
        lambda: Reintegration.replay(history, calendar),
        max(args.cases // 10, 500),
    )
    rate(
        "restore (unchecked replay) from rows",
        lambda: Reintegration._restore(stored(), calendar),
        max(args.cases // 4, 1000),
    )
    resumed = rate(
        "resume from rows and the stored state",
        lambda: Reintegration._resume(stored(), state, calendar),
        args.cases,
    )
    row(
        "resume against a checked replay",
        f"{resumed:,.0f}/s",
        f"{replayed:,.0f}/s replay",
        replayed / resumed,
        1.0,
    )

    # 4. Memory per loaded case, as a store loads it: the rows' text at rest kept until read.
    sample = max(args.cases // 10, 1000)
    gc.collect()
    tracemalloc.start()
    loaded = [
        Reintegration._resume(stored(copy=True), "".join(list(state)), calendar)
        for _ in range(sample)
    ]
    used = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_case = used / len(loaded)
    row(
        "memory per loaded case (11 transitions, text kept)",
        f"{per_case:,.0f} B",
        "8,192 B target",
        per_case / 8192,
        1.0,
    )
    full = sum(len(json.dumps(transition_to_json(t))) for t in history)
    kept = sum(len(text) for *_, text in rows)
    print(f"{'   (the history as exported JSON)':<58} {full:>8,} B")
    print(f"{'   (its data as text at rest)':<58} {kept:>8,} B")
    print(f"{'   (the stored state)':<58} {len(state):>8,} B")


def rest_text(transition: Transition) -> str:
    """A transition's data as a store's row keeps it."""
    return canonical_json(at_rest(transition.trigger, transition.data))


if __name__ == "__main__":
    main()
