"""Review OB: a local authority bringing in cases already under way, run until now on paper."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reintegration_fsm import CalendarError, SchoolCalendar

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

THIS_YEAR = SchoolCalendar(
    [(date(2026, 9, 1), date(2026, 10, 23)), (date(2026, 11, 2), date(2026, 12, 18))]
)
"""An authority's first calendar file: this school year's autumn terms only."""


def test_a_date_before_the_first_term_says_to_add_that_years_terms() -> None:
    """OB8: last term's referral, counted on a calendar of this year alone, is refused with a
    message saying what to add, not only the range the calendar knows."""
    with pytest.raises(CalendarError) as refused:
        THIS_YEAR.add_school_days(date(2026, 6, 22), 20)
    message = str(refused.value)
    assert "which knows 2026-09-01 to 2026-12-18" in message
    assert "add the terms of the school year holding 2026-06-22" in message
    assert refused.value.known == (date(2026, 9, 1), date(2026, 12, 18))
    with pytest.raises(CalendarError) as ahead:
        THIS_YEAR.add_school_days(date(2027, 1, 11), 20)
    assert "add the terms" not in str(ahead.value)


def test_the_onboarding_page_is_in_the_nav_and_linked_from_apply_and_the_calendar() -> None:
    """OB8: bringing in cases already under way has a page, reachable from where an officer
    starts (the command line's apply, the calendar's coverage) and in the site's nav."""
    page = DOCS / "onboarding.md"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Bringing in cases already under way\n")
    for topic in ("## Who took the step", "## What the paper does not say", "```python"):
        assert topic in text
    assert "onboarding.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "(onboarding.md)" in (DOCS / "cli.md").read_text(encoding="utf-8")
    assert "(onboarding.md)" in (DOCS / "calendar.md").read_text(encoding="utf-8")
