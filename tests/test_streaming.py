"""`load_all()`'s reading of a case's stamps: the latest, as a save checks its clock against."""

from __future__ import annotations

from datetime import datetime

from reintegration_fsm.stores import streaming


def test_sqlite_texts_of_one_width_are_read_once_as_the_latest() -> None:
    stamps = ["2026-12-06 10:00:00.000000", "2026-12-06 09:51:00.000000"]
    assert streaming._latest(stamps) == datetime(2026, 12, 6, 10, 0)


def test_texts_of_other_widths_are_each_read_not_compared_as_text() -> None:
    """'T' sorts after ' ': compared as text, 09:00 would be the latest."""
    stamps = ["2026-12-06 10:00:00.000000", "2026-12-06T09:00:00"]
    assert streaming._latest(stamps) == datetime(2026, 12, 6, 10, 0)


def test_a_stamp_that_is_no_time_is_passed_over() -> None:
    stamps: list[object] = [datetime(2026, 12, 6, 9, 0), None, datetime(2026, 12, 6, 8, 0)]
    assert streaming._latest(stamps) == datetime(2026, 12, 6, 9, 0)
    assert streaming._latest(["no time", "no time"]) is None
