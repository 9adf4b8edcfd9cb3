"""Benchmark the command line's cold start: each run is a new process, as in a script's loop.

Run: python benchmarks/bench_cli.py [--rounds N]

Times, as new processes of this Python, `reintegration-fsm --help`, `cases` on a demo store and
`apply ... open` of a new case (each round a new id), against two floors run in the same rounds:
`python -c pass` (the interpreter alone) and `python -c "import click"` (the least any click
command line can start in). Every command and floor runs once per round, interleaved, so that a
shared machine's swings weigh on all alike; each figure is the median of `--rounds`. Each
command is run once before the rounds, so that its bytecode is cached (in a temporary
PYTHONPYCACHEPREFIX, as an installed copy has it; PYTHONDONTWRITEBYTECODE is dropped). It runs
this checkout's `src/`, whatever copy of the library is installed. Every figure prints its
ratio to `import click` and PASS or FAIL against its goal; the exit status is 0 either way.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
OPENED = {
    "pupil": {"name": "Casey Invented", "date_of_birth": "2012-04-02", "key_stage": 3},
    "ap_setting": "Fernhill Learning Centre",
    "local_authority": "Exampleshire County Council",
}
GOALS = {"--help": 4.0, "cases": 8.0, "apply open": 8.0}
"""Each command's goal, as a ratio to `import click`: a command line that loads only what the
command runs (the store and SQLAlchemy for `cases` and `apply`; neither for `--help`)."""


def child_environment(cache: Path) -> dict[str, str]:
    """The environment of every timed process: this checkout first on the path, bytecode
    cached (in `cache`) as an installed copy's is."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def run(argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds of wall time for one process; raises if it failed."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-400:]!r}")
    return took


def main(argv: Sequence[str] | None = None) -> None:
    """Make a demo store, then time each command and floor `--rounds` times, interleaved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="runs of each (default 9)")
    parser.add_argument(
        "--no-warm-up", action="store_true", help="skip the run that caches the bytecode first"
    )
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="rfsm-bench-cli-", dir=".") as folder:
        here = Path(folder).resolve()
        env = child_environment(here / "pycache")
        command = [python, "-m", "reintegration_fsm", "--db", f"sqlite:///{here / 'demo.sqlite'}"]
        opened = here / "open.json"
        opened.write_text(json.dumps(OPENED), encoding="utf-8")
        os.chmod(opened, 0o600)
        run([*command, "demo"], env, here)
        ids = itertools.count(1)
        acting = ["--actor-id", "ap-1", "--actor-name", "Dale Verity", "--role", "ap_head"]
        commands: dict[str, Callable[[], list[str]]] = {
            "python -c pass": lambda: [python, "-c", "pass"],
            "python -c 'import click'": lambda: [python, "-c", "import click"],
            "--help": lambda: [*command, "--help"],
            "cases": lambda: [*command, "cases"],
            "apply open": lambda: [
                *command,
                "apply",
                f"BENCH-{next(ids):04}",
                "open",
                "--data",
                str(opened),
                "--on",
                "2026-01-12",
                *acting,
                "--organisation",
                "Fernhill Learning Centre",
            ],
        }
        if not args.no_warm_up:
            for make in commands.values():
                run(make(), env, here)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, make in commands.items():
                times[name].append(run(make(), env, here))
    medians = {name: statistics.median(taken) for name, taken in times.items()}
    bare, click = medians["python -c pass"], medians["python -c 'import click'"]
    print(f"Cold start, medians of {args.rounds} interleaved rounds ({python})")
    print(f"  floor: python -c pass {bare:.3f} s; python -c 'import click' {click:.3f} s")
    for name, goal in GOALS.items():
        took = medians[name]
        ratio = took / click
        print(
            f"  {name:<12} {took:7.3f} s  ({took / bare:5.1f}x python -c pass)  "
            f"target <= {goal:g}x import click  ratio {ratio:6.2f}  "
            f"{'PASS' if ratio <= goal else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
