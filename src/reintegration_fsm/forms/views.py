"""Views of the Child/Young Person and their family."""

from __future__ import annotations

import datetime as dt
import functools

import attrs

from reintegration_fsm import fields
from reintegration_fsm.slotted import cached_reads

QUESTIONS = (
    "background",
    "good_at",
    "challenges_and_support",
    "new_school_could_support_by",
    "aspirations",
)
"""The form's five questions, in its order."""


@cached_reads
@attrs.frozen
class ChildViews:
    """Views of the Child/Young Person and their family, gathered before each meeting."""

    gathered_on: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    background: str = attrs.field(default="", validator=fields.text)
    good_at: str = attrs.field(default="", validator=fields.text)
    challenges_and_support: str = attrs.field(default="", validator=fields.text)
    new_school_could_support_by: str = attrs.field(default="", validator=fields.text)
    aspirations: str = attrs.field(default="", validator=fields.text)
    signed_by: str = attrs.field(default="", validator=fields.name)

    @functools.cached_property
    def answered(self) -> int:
        """How many of the five questions have an answer: text that prints something
        (`fields.prints_nothing`), as R9 counts them for a review recorded now."""
        return sum(
            1 for question in QUESTIONS if not fields.prints_nothing(getattr(self, question))
        )
