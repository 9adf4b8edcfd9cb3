"""Hypothesis strategies for the protocol's forms, actors and whole protocol runs.

Importers use these to property-test their MIS integration, as `structlog.testing` serves
structlog's users. Hypothesis is only a test extra: importing `reintegration_fsm` never imports
this package, and this package is the only one that imports hypothesis.

Every name these strategies generate is invented (small fixed lists of made-up names, or random
text). A strategy that takes a case fact (a pupil, a date, a start date) builds forms that pass the
rules for a case with that fact; the `invalid_*` strategies build `(form, respect)` pairs in which
exactly one condition, named by `respect`, is broken, so the rule refuses the form with exactly one
reason.

The strategies live in modules grouped by job: `values` (invented names, texts, actors, pupils),
`forms` (valid forms), `respects` and `broken` (forms broken in one named respect) and `runs`
(whole protocol runs). Import them from here: this package is the public API.

Every strategy (and `play`) checks its arguments when it is called, as hypothesis' own strategies
do: an argument it cannot use (a wrong type, an unknown respect, a start before the meeting, a
date so near the ends of Python's dates that the dates drawn around it would fall outside them)
raises `hypothesis.errors.InvalidArgument`, naming the strategy and the argument.
"""

from __future__ import annotations

from reintegration_fsm.testing.broken import (
    invalid_consent_forms,
    invalid_emergency_reviews,
    invalid_failure_letters,
    invalid_initial_meetings,
    invalid_pastoral_support_plans,
    invalid_reintegration_information,
    invalid_review_meetings,
    invalid_successful_outcomes,
    invalid_unsuccessful_outcomes,
)
from reintegration_fsm.testing.forms import (
    child_views,
    consent_forms,
    failure_letters,
    initial_meetings,
    pastoral_support_plans,
    reintegration_information,
    review_meetings,
    successful_outcomes,
    unsuccessful_outcomes,
)
from reintegration_fsm.testing.respects import (
    CONSENT_RESPECTS,
    EMERGENCY_REVIEW_RESPECTS,
    FAILURE_LETTER_RESPECTS,
    INFORMATION_RESPECTS,
    INITIAL_MEETING_RESPECTS,
    PSP_RESPECTS,
    REVIEW_RESPECTS,
    SUCCESSFUL_OUTCOME_RESPECTS,
    UNSUCCESSFUL_OUTCOME_RESPECTS,
)
from reintegration_fsm.testing.runs import ProtocolRun, RunStep, play, protocol_runs
from reintegration_fsm.testing.values import (
    AP_SETTINGS,
    AUTHORITIES,
    EARLIEST,
    HOST_SCHOOLS,
    LATEST,
    actors,
    attendees,
    blank_names,
    blank_texts,
    pupils,
    texts,
    timetables,
)
from reintegration_fsm.testing.values import FAMILY_NAMES as FAMILY_NAMES
from reintegration_fsm.testing.values import FIRST_NAMES as FIRST_NAMES

__all__ = [
    "AP_SETTINGS",
    "AUTHORITIES",
    "CONSENT_RESPECTS",
    "EARLIEST",
    "EMERGENCY_REVIEW_RESPECTS",
    "FAILURE_LETTER_RESPECTS",
    "HOST_SCHOOLS",
    "INFORMATION_RESPECTS",
    "INITIAL_MEETING_RESPECTS",
    "LATEST",
    "PSP_RESPECTS",
    "REVIEW_RESPECTS",
    "SUCCESSFUL_OUTCOME_RESPECTS",
    "UNSUCCESSFUL_OUTCOME_RESPECTS",
    "ProtocolRun",
    "RunStep",
    "actors",
    "attendees",
    "blank_names",
    "blank_texts",
    "child_views",
    "consent_forms",
    "failure_letters",
    "initial_meetings",
    "invalid_consent_forms",
    "invalid_emergency_reviews",
    "invalid_failure_letters",
    "invalid_initial_meetings",
    "invalid_pastoral_support_plans",
    "invalid_reintegration_information",
    "invalid_review_meetings",
    "invalid_successful_outcomes",
    "invalid_unsuccessful_outcomes",
    "pastoral_support_plans",
    "play",
    "protocol_runs",
    "pupils",
    "reintegration_information",
    "review_meetings",
    "successful_outcomes",
    "texts",
    "timetables",
    "unsuccessful_outcomes",
]
