"""A valid example of every value class whose validators raise `FormInvalid`, to spoil."""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from reintegration_fsm import (
    Deadline,
    DeadlineKind,
    Measure,
    Obligation,
    ObligationKind,
    Party,
    PastoralSupportPlan,
    Professional,
    ReintegrationTimetable,
    Session,
    forms,
    records,
    vocabulary,
)
from reintegration_fsm.stores.retention import RetentionPolicy
from scenario import (
    AP_HEAD,
    EVERYONE,
    PUPIL,
    RETURN,
    START,
    SUCCESS,
    D,
    consent,
    information,
    initial_meeting,
    letter,
    review,
    views,
)

EXAMPLES: dict[type[Any], Any] = {
    example.__class__: example
    for example in (
        PUPIL,
        consent(),
        PastoralSupportPlan(D(2025, 11, 3), D(2026, 7, 17), "Weekly mentoring."),
        Professional("Jo Example", "Weekly sessions."),
        Measure("A reduced timetable", "Some success."),
        information(),
        views(),
        EVERYONE[0],
        initial_meeting(),
        review(D(2026, 3, 6)),
        letter(),
        SUCCESS,
        RETURN,
        ReintegrationTimetable(START, monday_am=Session.HOST, tuesday_pm=Session.AP),
        AP_HEAD,
        Deadline(DeadlineKind.PLACE_OFFER, D(2026, 2, 16)),
        Obligation(ObligationKind.NOTE_AT_PANEL, Party.LA, None),
        RetentionPolicy(years=25),
    )
}
"""A valid value of every class whose validators raise `FormInvalid` (`classes()`)."""


def classes() -> list[type[Any]]:
    """Every attrs class of the forms, the records and the vocabulary with a validator, and the
    stores' retention policy: each needs an example above."""
    found = {RetentionPolicy}
    for module in (forms, records, vocabulary):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if attrs.has(cls) and any(f.validator is not None for f in attrs.fields(cls)):
                found.add(cls)
    return sorted(found, key=lambda cls: cls.__name__)
