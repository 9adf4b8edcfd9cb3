"""Benchmark SchoolCalendar against its targets; prints each figure with PASS/FAIL, exits 0.

Run: python benchmarks/bench_calendar.py
Each figure is the minimum over several repeats (timeit's advice: the minimum is the run least
disturbed by the rest of the machine).
"""

from __future__ import annotations

import bisect
import random
import time
import timeit
from collections.abc import Callable
from datetime import date, timedelta

import holidays

from reintegration_fsm.calendar import SchoolCalendar, _bank_holidays

REPEATS = 7


def best_per_call(stmt: Callable[[], object], number: int) -> float:
    """Seconds per call, the minimum over REPEATS runs of `number` calls."""
    return min(timeit.repeat(stmt, number=number, repeat=REPEATS)) / number


def four_year_terms() -> list[tuple[date, date]]:
    """Six half terms a year for four school years, 2025/26 to 2028/29."""
    terms = []
    for year in range(2025, 2029):
        for first, last in [
            ((year, 9, 1), (year, 10, 24)),
            ((year, 11, 3), (year, 12, 19)),
            ((year + 1, 1, 5), (year + 1, 2, 13)),
            ((year + 1, 2, 23), (year + 1, 3, 27)),
            ((year + 1, 4, 13), (year + 1, 5, 22)),
            ((year + 1, 6, 1), (year + 1, 7, 21)),
        ]:
            terms.append((date(*first), date(*last)))
    return terms


def naive_add_school_days(
    d: date, n: int, terms: list[tuple[date, date]], closures: set[date], bank: holidays.HolidayBase
) -> date:
    """Count forward a day at a time, asking `holidays` about each day."""
    day = d
    while n:
        day += timedelta(days=1)
        if (
            day.weekday() < 5
            and any(first <= day <= last for first, last in terms)
            and day not in closures
            and day not in bank
        ):
            n -= 1
    return day


def report(label: str, value: str, target: str, ok: bool) -> None:
    """One line: the figure, its target and the verdict."""
    print(f"{label:<58} {value:>14}   target {target:<10} {'PASS' if ok else 'FAIL'}")


def main() -> None:
    """Run the three measurements and print them."""
    calendar = SchoolCalendar.sample()
    days = calendar._days  # the array the calendar answers from
    rng = random.Random(20250901)
    starts = [calendar.first_day + timedelta(days=rng.randrange(0, 600)) for _ in range(1000)]

    # (1) add_school_days(d, 20) against a bare bisect of d's ordinal on the same array.
    def ours() -> None:
        add = calendar.add_school_days
        for d in starts:
            add(d, 20)

    def bare() -> None:
        find = bisect.bisect_right
        for d in starts:
            find(days, d.toordinal())

    def loop_only() -> None:
        for _ in starts:
            pass

    overhead = best_per_call(loop_only, 200)
    t_ours = (best_per_call(ours, 200) - overhead) / len(starts)
    t_bare = (best_per_call(bare, 200) - overhead) / len(starts)
    ratio = t_ours / t_bare
    print(
        f"add_school_days(d, 20): {t_ours * 1e9:.0f} ns; bare bisect_right(days, "
        f"d.toordinal()): {t_bare * 1e9:.0f} ns (loop overhead subtracted)"
    )
    report("(1) add_school_days(d, 20) / bare bisect", f"{ratio:.2f}x", "<= 2.0", ratio <= 2.0)

    # (2) against a day-by-day loop asking `holidays` about each day.
    terms = list(calendar.terms)
    closures = set(calendar.closures)
    bank = holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2028))
    sample = starts[:100]
    for d in sample:  # the two methods must agree before their speeds are compared
        assert naive_add_school_days(d, 20, terms, closures, bank) == calendar.add_school_days(
            d, 20
        )
    t_naive = best_per_call(
        lambda: [naive_add_school_days(d, 20, terms, closures, bank) for d in sample], 5
    ) / len(sample)
    t_ours_call = best_per_call(lambda: [calendar.add_school_days(d, 20) for d in sample], 2000)
    t_ours_call /= len(sample)
    speedup = t_naive / t_ours_call
    print(
        f"naive day-by-day add of 20 school days: {t_naive * 1e6:.1f} us; "
        f"add_school_days: {t_ours_call * 1e9:.0f} ns per call"
    )
    report("(2) speed-up over the day-by-day loop", f"{speedup:.0f}x", ">= 30", speedup >= 30)

    # (3) building a four-year calendar.
    four_years = four_year_terms()
    _bank_holidays.cache_clear()
    t0 = time.perf_counter()
    SchoolCalendar(four_years)
    first_build = time.perf_counter() - t0

    def build_uncached() -> None:
        _bank_holidays.cache_clear()
        SchoolCalendar(four_years)

    t_build = best_per_call(build_uncached, 20)
    t_cached = best_per_call(lambda: SchoolCalendar(four_years), 20)
    print(
        f"four-year calendar ({len(four_years)} terms): one build, bank-holiday cache empty: "
        f"{first_build * 1e3:.2f} ms; with the bank-holiday cache warm: {t_cached * 1e3:.2f} ms "
        f"(the one-off load of the `holidays` GB module, before any build, is not counted)"
    )
    report(
        "(3) build a four-year calendar (bank holidays recomputed)",
        f"{t_build * 1e3:.2f} ms",
        "< 10 ms",
        t_build < 0.010,
    )


if __name__ == "__main__":
    main()
