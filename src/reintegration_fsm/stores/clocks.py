"""The time a store stamps its records with, and its refusal to stamp one before the record
it follows (this machine's clock behind another's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from reintegration_fsm.errors import StoreError


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp (whole seconds) every engine stores unchanged."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def to_the_minute(stamp: datetime) -> str:
    """A stamp as a message shows it, `0999-12-31 23:59`: the year always in four digits, which
    `%Y` does not give below 1000."""
    return f"{stamp.date().isoformat()} {stamp:%H:%M}"


CLOCK_SLACK = timedelta(minutes=10)
"""How far a record may be stamped before the one it follows and be put down to clocks: each
entry and redaction record is stamped by the clock of the process that wrote it."""


def refuse_clock_behind(case_id: str, now: datetime, then: Any, follows: str, act: str) -> None:
    """Refuse to stamp a record `now` when the record it `follows` was stamped at `then`, later
    by more than CLOCK_SLACK: this machine's clock is behind, and `verify()` would report the
    record as dated back behind the store, a forgery's words.

    Args:
        follows: the record it follows, as the message names it ("the case's last entry").
        act: what was refused ("save case 'c-1'").

    Raises:
        StoreError: not retryable, nothing written (a `then` that is no time is left to
            `verify()`, which reports the row).
    """
    if type(then) is datetime and now < then - CLOCK_SLACK:
        raise StoreError(
            f"could not {act}: this machine's clock reads {to_the_minute(now)} (UTC), before "
            f"{follows}, recorded at {to_the_minute(then)}, by more than the "
            f"{CLOCK_SLACK.seconds // 60} minutes two machines' clocks may differ; nothing "
            "was written. Correct this machine's clock (NTP) and try again",
            retryable=False,
            case_id=case_id,
        )


def latest_stamp(then: Any, stamps: Iterable[Any]) -> Any:
    """The latest of `then` and the `stamps` that are times (`recorded_at` as read): what a
    save checks its clock against, as `verify()` checks an entry against the latest stamp of
    the entries before it (a stamp that is no time is left to `verify()`)."""
    for stamp in stamps:
        if type(stamp) is not datetime or stamp.tzinfo is not None:
            continue
        if type(then) is not datetime or stamp > then:
            then = stamp
    return then


def recorded_time(value: Any) -> datetime | None:
    """A `recorded_at` as the driver gives it (SQLite's may come back as its text), as the
    naive UTC time it names; None for a stamp that is no time (altered behind the store, which
    `verify()` reports)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if type(value) is datetime and value.tzinfo is None else None


def entered_at(value: Any) -> datetime | None:
    """A `recorded_at` as read (`recorded_time`), as the moment it names in UTC, or None."""
    time = recorded_time(value)
    return None if time is None else time.replace(tzinfo=timezone.utc)


def refuse_saving_behind(case_id: str, now: datetime, latest_recorded: Any) -> None:
    """`refuse_clock_behind` for a save stamping its entries `now`, after the case's entries,
    the latest recorded at `latest_recorded`."""
    refuse_clock_behind(
        case_id, now, latest_recorded, "the case's latest entry", f"save case {case_id!r}"
    )
