"""R16: a step is dated no earlier than the case's last step, and at most a year ahead."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from reintegration_fsm.rules.reading import CaseState

FURTHEST_AHEAD = dt.timedelta(days=366)
"""R16: a step may be dated at most this long after today (the machine's clock): a date further
ahead would lock the case, since no later step could be dated before it."""

FIRST_ZONE = dt.timezone(dt.timedelta(hours=14))
"""The time zone furthest ahead of UTC (Kiritimati, UTC+14), where each day begins first: a step
recorded on a machine whose clock is right is dated no more than a year after its date there."""

_RECORDED: ContextVar[bool] = ContextVar("recorded", default=False)
"""Whether the steps R16 judges are a history's recorded ones (a replay), not new ones."""


_LIMIT: list[float | dt.date] = [0.0, dt.date.min]
"""Until when (a clock time) the latest date allowed holds, and that date: today's, cached to
the next midnight, since asking the clock for today's date costs more than the rest of R16."""


def furthest_date() -> dt.date:
    """The latest business date a step may have: a year (366 days) after today (R16)."""
    until, limit = _LIMIT
    now = time.time()
    if now >= until:  # type: ignore[operator]
        today = dt.date.today()
        midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min)
        limit = today + FURTHEST_AHEAD
        _LIMIT[:] = [midnight.timestamp(), limit]
    return limit  # type: ignore[return-value]


TIME_RUNS_FORWARD = "time runs forward."
"""How R16's refusal of a date before the case's last step ends (`earlier_than_last`)."""


class DatedReason(str):
    """One of R16's reasons (`time_runs_forward`): words holding only dates, never a logged
    value, so a report that quotes no logged value (`verify()`'s) may quote it."""

    __slots__ = ()


class AheadOfToday(DatedReason):
    """R16's reason for a date more than a year after `today`, this machine's (by its clock)."""

    today: dt.date


def earlier_than_last(on: dt.date, last: dt.date) -> str:
    """R16's reason for a step dated `on`, before the case's last step on `last`."""
    return DatedReason(
        f"The date {on.isoformat()} is earlier than the case's last step on {last.isoformat()}; "
        f"{TIME_RUNS_FORWARD}"
    )


def more_than_a_year_ahead(on: dt.date, limit: dt.date) -> str:
    """R16's reason for a step dated `on`, after `limit` (`furthest_date()`)."""
    reason = AheadOfToday(
        f"The date {on.isoformat()} is more than a year ahead (after {limit.isoformat()}); a "
        "step dated so far ahead would lock the case."
    )
    reason.today = limit - FURTHEST_AHEAD
    return reason


@contextmanager
def judging_recorded() -> Iterator[None]:
    """R16 judging a recorded history (a replay: `verify()`, an import) within the block: see
    `time_runs_forward`."""
    token = _RECORDED.set(True)
    try:
        yield
    finally:
        _RECORDED.reset(token)


def is_judging_recorded() -> bool:
    """Whether R16 is judging a recorded history now (within `judging_recorded`): a replay."""
    return _RECORDED.get()


def days_behind_first_zone() -> int:
    """How many days this machine's date is behind the date in FIRST_ZONE now (0 to 2)."""
    return min(2, max(0, (dt.datetime.now(FIRST_ZONE).date() - dt.date.today()).days))


def time_runs_forward(case: CaseState | None, _: object, on: dt.date) -> list[str]:
    """R16: a step is dated no earlier than the case's last step, and not so far ahead that it
    would lock the case. A recorded step (`judging_recorded`) may have been written where the
    date is later than this machine's, by a clock just as right (an officer's laptop in London
    after midnight in summer, checked on a server in UTC): it is refused only when dated more
    than a year after the date where a day begins first (FIRST_ZONE), and the refusal then
    counts from this machine's today, as a new step's does."""
    last = None if case is None else case.last_on
    limit = furthest_date()
    reasons = []
    if last is not None and on < last:
        reasons.append(earlier_than_last(on, last))
    if on > limit and not (
        _RECORDED.get() and on <= limit + dt.timedelta(days=days_behind_first_zone())
    ):
        reasons.append(more_than_a_year_ahead(on, limit))
    return reasons


def more_than_a_year_after(agreed: dt.date, held_on: dt.date) -> bool:
    """True when a date a meeting agrees is more than a year (366 days) after the meeting: so
    far ahead that it would lock the case or hide it from the due list, as R16 keeps a step
    from being dated (R7's start, R9's next meeting and date of permanent admission)."""
    return agreed - held_on > FURTHEST_AHEAD
