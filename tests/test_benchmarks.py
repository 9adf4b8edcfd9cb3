"""The benchmarks still run to the end at a tiny size (their figures are measured by hand, never
asserted here: these machines are shared). A benchmark that breaks, as `bench_store` did when
its hand-written rows stopped verifying, fails here instead of at its next measurement."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
FIGURE = re.compile(r"ratio\s+\S+\s+(PASS|FAIL)")


def benchmark(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"rfsm_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        (
            "bench_store",
            [
                "--postgres",
                "",
                "--saves",
                "4",
                "--import-transitions",
                "110",
                "--batch",
                "4",
                "--due-cases",
                "40",
                "--race-rounds",
                "2",
            ],
        ),
        ("bench_scale", ["--cases", "30", "--workers", "2"]),
        ("bench_copy", ["--cases", "20"]),
        ("bench_cli", ["--rounds", "1", "--no-warm-up"]),
    ],
)
def test_a_benchmark_runs_to_the_end_at_a_tiny_size(
    name: str,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # their SQLite files go beside the working directory
    benchmark(name).main(argv)
    printed = capsys.readouterr().out
    assert len(FIGURE.findall(printed)) >= (2 if name == "bench_copy" else 3), printed
    if name == "bench_scale":  # the floors printed beside their figures
        assert "the raw fetch of its query" in printed
        assert "its payload digests alone" in printed
