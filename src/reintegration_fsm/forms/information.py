"""The Reintegration Information form, and the Pastoral Support Plan it is referred with."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.validation import fail, reads
from reintegration_fsm.vocabulary import Evidence, Rating


@attrs.frozen
class PastoralSupportPlan:
    """A Pastoral Support Plan (PSP), active from `start` until `end` (open-ended when None)."""

    start: dt.date = attrs.field(converter=fields.as_day, validator=fields.day)
    end: dt.date | None = attrs.field(
        default=None, converter=fields.as_optional_day, validator=fields.optional_day
    )
    summary: str = attrs.field(default="", validator=fields.text)

    @end.validator
    @reads("start")
    def _not_before_start(self, attribute: attrs.Attribute[Any], value: dt.date | None) -> None:
        if value is not None and value < self.start:
            raise fail(
                self,
                attribute,
                f"the plan ends on {value.isoformat()}, before it starts on "
                f"{self.start.isoformat()}",
            )

    def is_active_on(self, on: dt.date) -> bool:
        """True when the plan covers `on` (R3)."""
        return self.start <= on and (self.end is None or self.end >= on)


@attrs.frozen
class Professional:
    """Another professional involved, with their current level of involvement."""

    name: str = attrs.field(validator=fields.name)
    involvement: str = attrs.field(default="", validator=fields.text)


@attrs.frozen
class Measure:
    """A measure already taken by the AP setting, with its level of success."""

    measure: str = attrs.field(validator=fields.text)
    level_of_success: str = attrs.field(default="", validator=fields.text)


RATING_NAMES = ("attainment", "effort", "attitude_to_staff", "attitude_to_peers", "homework")
"""The form's five overall ratings, in its order."""


def _evidence(
    value: frozenset[Evidence] | set[Evidence] | list[Evidence] | tuple[Evidence, ...],
) -> frozenset[Evidence]:
    """`fields.to_frozenset`, typed for the constructor (review TY, TY3)."""
    converted: frozenset[Evidence] = fields.to_frozenset(value)
    return converted


def _professionals(
    value: tuple[Professional, ...] | list[Professional],
) -> tuple[Professional, ...]:
    """`fields.to_tuple`, typed for the constructor (review TY, TY3)."""
    converted: tuple[Professional, ...] = fields.to_tuple(value)
    return converted


def _measures(value: tuple[Measure, ...] | list[Measure]) -> tuple[Measure, ...]:
    """`fields.to_tuple`, typed for the constructor (review TY, TY3)."""
    converted: tuple[Measure, ...] = fields.to_tuple(value)
    return converted


@attrs.frozen
class ReintegrationInformation:
    """The Reintegration Information form, gathered by the AP setting before the panel.

    The seed form's "Date Parental Consent Gained", "Proposed School" and "LAC status" are not
    asked again: the case holds them (the consent form, the host or preferred schools,
    `Pupil.looked_after`), and the printed form shows them from there.
    """

    attainment: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    effort: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    attitude_to_staff: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    attitude_to_peers: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    homework: Rating | None = attrs.field(validator=fields.member(Rating, optional=True))
    reasons_for_success: str = attrs.field(validator=fields.text)
    transport_plan: str = attrs.field(validator=fields.text)
    evidence: frozenset[Evidence] = attrs.field(
        converter=_evidence, validator=fields.each(fields.member(Evidence), frozenset)
    )
    # Special category data (UK GDPR Art. 9): left out of the repr, as `Pupil`'s are.
    send_level: str = attrs.field(default="", validator=fields.text, repr=False)
    ethnicity: str = attrs.field(default="", validator=fields.text, repr=False)
    attendance_percent: int | None = attrs.field(default=None, validator=fields.percentage)
    """From 0 to 100."""
    exclusions_this_year: int | None = attrs.field(
        default=None, validator=fields.count(fields.DAYS_IN_A_YEAR, "the days of a year")
    )
    """From 0 to 366, the days of a year."""
    professionals: tuple[Professional, ...] = attrs.field(
        default=(), converter=_professionals, validator=fields.each(fields.instance(Professional))
    )
    measures_taken: tuple[Measure, ...] = attrs.field(
        default=(), converter=_measures, validator=fields.each(fields.instance(Measure))
    )
    gcse_subjects: str = attrs.field(default="", validator=fields.text)
    alternative_curriculum: str = attrs.field(default="", validator=fields.text)
    parent_involved_in_transport: bool | None = attrs.field(
        default=None, validator=fields.optional_flag
    )

    @property
    def ratings(self) -> dict[str, Rating | None]:
        """The five overall ratings by name, as a sentence names them."""
        return {name.replace("_", " "): getattr(self, name) for name in RATING_NAMES}
