"""`reintegration_fsm.testing` used as an MIS vendor's test suite would use it: odd but legal
arguments, other protocols and calendars, and wrong arguments refused when called."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis.errors import InvalidArgument

from reintegration_fsm import testing as rt

ON = dt.date(2026, 3, 2)


def test_a_review_kind_given_as_text_is_refused_when_called() -> None:
    """`invalid_review_meetings(kind="interim")` is refused at once, naming the strategy: a str
    enum's value equals its member, and the text once passed the check, to fail mid-draw as
    `review_meetings(kind='interim')`."""
    with pytest.raises(InvalidArgument, match=r"invalid_review_meetings\(kind='interim'\)"):
        rt.invalid_review_meetings(ON, kind="interim")
