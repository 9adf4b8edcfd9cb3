"""Review G: school calendars and deadline counting. Findings not yet fixed (FINDINGS.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reintegration_fsm.calendar import CalendarFileError, SchoolCalendar


@pytest.mark.xfail(
    strict=True,
    reason="G5: a term under eighteen weeks holding the summer or Christmas (a month "
    "mistyped) is read, the holiday counted as school days",
)
@pytest.mark.parametrize(
    ("first", "last", "line"),
    [("2026-06-01", "2026-09-20", 7), ("2025-11-03", "2026-01-19", 7)],
    ids=["august", "christmas"],
)
def test_G5_a_term_holding_august_or_christmas_is_refused(
    tmp_path: Path, first: str, last: str, line: int
) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(
        'source = "x"\n[[term]]\nfirst_day = 2025-09-01\nlast_day = 2025-10-24\n'
        f"[[term]]\nfirst_day = {first}\nlast_day = {last}\n",
        encoding="utf-8",
    )
    with pytest.raises(CalendarFileError, match="no English school is open") as refused:
        SchoolCalendar.from_file(path)
    assert refused.value.line == line
