"""Benchmark `copy_store`: a whole store copied from SQLite into SQLite, PostgreSQL or MariaDB.

Run: python benchmarks/bench_copy.py --cases 10000 [--target postgresql+psycopg://USER@HOST/DB]

The source is a SQLite file of `--cases` cases of 11 transitions (bench_scale's filler), one of
them redacted; the target a SQLite file beside it unless `--target` names a database (its store
tables are dropped first and after). Printed against floors measured in the same run:
- the copy's rows (the whole copy less its check, timed again alone) against an import of the
  same cases into the same target, which writes new salts and hashes (goal <= 1.0x: keeping
  the evidence costs no more than the import that lost it);
- the whole copy against its check alone (goal <= 1.5x: the check, `verify --checkpoint`,
  dominates).
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
    parser.add_argument(
        "--target", default="", help="a PostgreSQL or MariaDB URL (its store tables are dropped)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=".") as folder:
        source = f"sqlite:///{Path(folder) / 'source.sqlite'}"
        url = args.target or f"sqlite:///{Path(folder) / 'target.sqlite'}"
        target = sa.create_engine(url)
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
        # The floor: an import of the same cases into the same engine, which writes new salts
        # and hashes (what an officer had before the copy, keeping no checkpoint).
        reset_database(target)
        with SqlAlchemyStore(target, calendar=CALENDAR) as imported:
            imported.create_schema()
            start = time.perf_counter()
            imported.import_histories(histories(args.cases))
            importing = time.perf_counter() - start
        reset_database(target)
        start = time.perf_counter()
        report = copying.copy_store(source, target, calendar=CALENDAR)
        took = time.perf_counter() - start
        # The copy's own check, run again alone: what is left of the copy is its rows.
        with SqlAlchemyStore(target, calendar=CALENDAR) as copied:
            start = time.perf_counter()
            problems = copied.verify(checkpoint=report.checkpoint) + copied.unguarded()
            checking = time.perf_counter() - start
        reset_database(target)
        target.dispose()
    assert report.problems == (), report.problems
    assert problems == [], problems
    rows = max(took - checking, 1e-9)
    print(
        f"copy SQLite -> {target.dialect.name}: {report.cases:,} cases, {report.entries:,} "
        f"log entries, {report.redactions} redaction records"
    )
    print(
        f"  whole command {took:.1f} s ({report.cases / took:,.0f} cases/s); its check alone "
        f"{checking:.1f} s; the rows {rows:.1f} s ({report.entries / rows:,.0f} entries/s); an "
        f"import of the same cases {importing:.1f} s"
    )
    for name, ratio, goal in (
        ("the copy's rows / an import of the same cases", rows / importing, 1.0),
        ("the whole copy / its check alone", took / checking, 1.5),
    ):
        print(f"  {name:<58} ratio {ratio:6.2f}  {'PASS' if ratio <= goal else 'FAIL'} (<= {goal})")


if __name__ == "__main__":
    main()
