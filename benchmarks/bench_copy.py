"""Benchmark `copy_store`: a whole store copied from SQLite into PostgreSQL (or MariaDB).

Run: python benchmarks/bench_copy.py --cases 10000 --target postgresql+psycopg://USER@HOST/DB

The source is a SQLite file of `--cases` cases of 11 transitions (bench_scale's filler), one of
them redacted. The copy's figures: cases and log entries per second for the whole command
(read, write, then the check of the copy), and for the rows' copy alone (the check timed apart,
as `verify` times it). The target's store tables are dropped first and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import AUTHORITY, histories

from reintegration_fsm import Actor, Role
from reintegration_fsm.stores import SqlAlchemyStore, copying
from store_contract import CALENDAR, reset_database

ADMISSIONS = Actor("la-admissions", "Jules Okonjo", Role.LA_ADMISSIONS, AUTHORITY)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--target", required=True, help="an empty PostgreSQL or MariaDB URL")
    args = parser.parse_args(argv)
    target = sa.create_engine(args.target)
    reset_database(target)
    with tempfile.TemporaryDirectory(dir=".") as folder:
        source = f"sqlite:///{Path(folder) / 'source.sqlite'}"
        with SqlAlchemyStore(source, calendar=CALENDAR) as store:
            store.create_schema()
            store.import_histories(histories(args.cases))
            store.redact(
                "scale-0000000",
                2,
                ["form.parent_name"],
                "Erasure",
                by=ADMISSIONS,
                on=dt.date.today(),
            )
        writing = [0.0]
        write = copying._write

        def timed_write(*given: object, **named: object) -> tuple[int, int, int]:
            start = time.perf_counter()
            try:
                return write(*given, **named)  # type: ignore[arg-type]
            finally:
                writing[0] = time.perf_counter() - start

        copying._write = timed_write  # type: ignore[assignment]
        try:
            start = time.perf_counter()
            report = copying.copy_store(source, args.target, calendar=CALENDAR)
            took = time.perf_counter() - start
        finally:
            copying._write = write  # type: ignore[assignment]
    assert report.problems == (), report.problems
    print(
        f"copy SQLite -> {target.dialect.name}: {report.cases:,} cases, {report.entries:,} "
        f"log entries, {report.redactions} redaction records"
    )
    print(
        f"  rows alone:     {writing[0]:6.1f} s  {report.cases / writing[0]:9,.0f} cases/s  "
        f"{report.entries / writing[0]:9,.0f} entries/s"
    )
    print(
        f"  whole command:  {took:6.1f} s  {report.cases / took:9,.0f} cases/s  "
        f"{report.entries / took:9,.0f} entries/s (with the check of the copy)"
    )
    reset_database(target)
    target.dispose()


if __name__ == "__main__":
    main()
