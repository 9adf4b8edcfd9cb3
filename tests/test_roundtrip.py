"""Serialisation round trips: form -> JSON -> form, transition -> JSON -> transition."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reintegration_fsm import (
    Actor,
    Attendee,
    Deadline,
    DeadlineKind,
    FormInvalid,
    Obligation,
    ObligationKind,
    Party,
    Reintegration,
    ReviewKind,
    SchoolCalendar,
    Transition,
)
from reintegration_fsm import testing as rt
from reintegration_fsm.serialisation import (
    structure,
    transition_from_json,
    transition_to_json,
    unstructure,
)
from scenario import AP_HEAD, AP_SETTING, AUTHORITY, OPENED, PUPIL, consent

CALENDAR = SchoolCalendar.sample()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FORMS: dict[str, st.SearchStrategy[Any]] = {
    "pupil": rt.pupils(),
    "consent": rt.consent_forms(),
    "psp": rt.pastoral_support_plans(),
    "information": rt.reintegration_information(),
    "views": rt.child_views(),
    "attendee": rt.attendees(),
    "timetable": rt.timetables(),
    "initial_meeting": rt.initial_meetings(),
    "interim_review": rt.review_meetings(ReviewKind.INTERIM),
    "final_review": rt.review_meetings(ReviewKind.FINAL),
    "emergency_review": rt.review_meetings(ReviewKind.EMERGENCY),
    "letter": rt.failure_letters(),
    "successful_outcome": rt.successful_outcomes(),
    "unsuccessful_outcome": rt.unsuccessful_outcomes(),
    "actor": rt.actors(),
    "invalid_consent": rt.pupils()
    .flatmap(lambda pupil: rt.invalid_consent_forms(pupil, dt.date(2026, 1, 5)))
    .map(lambda pair: pair[0]),
    "invalid_meeting": rt.invalid_initial_meetings(dt.date(2026, 1, 5)).map(
        lambda pair: pair[0][0]
    ),
    "invalid_letter": rt.invalid_failure_letters(dt.date(2026, 1, 5)).map(lambda pair: pair[0]),
    "deadline": st.builds(
        Deadline,
        st.sampled_from(tuple(DeadlineKind)),
        st.dates(),
        st.none() | st.dates(),
    ),
    "obligation": st.builds(
        Obligation,
        st.sampled_from(tuple(ObligationKind)),
        st.sampled_from(tuple(Party)),
        st.none() | st.dates(),
        rt.texts(),
    ),
}


def through_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("name", sorted(FORMS))
@SETTINGS
@given(data=st.data())
def test_form_round_trips_through_json(name: str, data: st.DataObject) -> None:
    """structure(json(unstructure(form)), type(form)) == form, for every form and value."""
    form = data.draw(FORMS[name])
    assert structure(through_json(unstructure(form)), type(form)) == form


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rt.protocol_runs())
def test_transitions_round_trip_through_json(run: rt.ProtocolRun) -> None:
    """Every transition of a run survives JSON, and the case replays from the JSON history."""
    case = rt.play(run)
    history = [
        transition_from_json(through_json(transition_to_json(transition)))
        for transition in case.history
    ]
    assert history == list(case.history)
    assert Reintegration.replay(history, CALENDAR) == case


# -- bad JSON ------------------------------------------------------------------------------------
JUNK = st.one_of(
    st.integers(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(max_size=5).filter(lambda text: not _is_iso_date(text)),
)


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", ["consent", "initial_meeting", "letter", "interim_review"])
@SETTINGS
@given(data=st.data())
def test_bad_json_raises_form_invalid(name: str, data: st.DataObject) -> None:
    """A missing key, an unknown key, a bad date or a bad enum value raises FormInvalid."""
    form = data.draw(FORMS[name])
    good = unstructure(form)
    cls = type(form)
    required = [field.name for field in attrs.fields(cls) if field.default is attrs.NOTHING]
    missing = dict(good)
    del missing[data.draw(st.sampled_from(required))]
    extra = {**good, data.draw(st.sampled_from(("surname", "colour", "zz"))): "x"}
    dates = [key for key, value in good.items() if isinstance(value, str) and _is_iso_date(value)]
    bad_date = {**good, data.draw(st.sampled_from(dates)): data.draw(JUNK)}
    for bad in (missing, extra, bad_date, [good], "not a form", None):
        with pytest.raises(FormInvalid):
            structure(bad, cls)


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({"name": "Kit Example", "party": "headmaster"}, Attendee),
        ({"kind": "someday", "due": "2026-01-05", "met_on": None}, Deadline),
        ({"id": "x", "name": "Kit", "role": "governor", "organisation": ""}, Actor),
    ],
)
def test_bad_enum_value_raises_form_invalid(data: dict[str, Any], cls: type[Any]) -> None:
    """An enum value the vocabulary does not know raises FormInvalid."""
    with pytest.raises(FormInvalid):
        structure(data, cls)


@pytest.mark.parametrize(
    "change",
    [
        {"seq": "one"},
        {"dest": "limbo"},
        {"source": "nowhere"},
        {"on": "yesterday"},
        {"on": 20260105},
        {"actor": {"id": "x", "name": "y", "role": "headmaster", "organisation": ""}},
        {"data": 5},
    ],
)
def test_bad_transition_json_raises_form_invalid(change: dict[str, Any]) -> None:
    """A transition with a bad field raises FormInvalid, never KeyError or TypeError."""
    good = transition_to_json(_first_transition())
    with pytest.raises(FormInvalid):
        transition_from_json({**good, **change})
    for key in good:
        partial = {k: v for k, v in good.items() if k != key}
        with pytest.raises(FormInvalid):
            transition_from_json(partial)
    for not_a_transition in (None, [], "open", 5):
        with pytest.raises(FormInvalid):
            transition_from_json(not_a_transition)


@pytest.mark.parametrize(
    "change",
    [
        {"agrees": "no"},
        {"consent_to_share": 0},
        {"child_name": 5},
        {"preferred_schools": "abc"},
        {"preferred_schools": [1, 2]},
    ],
)
def test_wrongly_typed_json_raises_form_invalid(change: dict[str, Any]) -> None:
    """A yes/no answer given as text, or a name given as a number, is refused, not coerced."""
    with pytest.raises(FormInvalid):
        structure({**unstructure(consent()), **change}, type(consent()))


def test_a_transition_round_trips_in_process_without_json_text() -> None:
    """`transition_from_json(transition_to_json(t))` refused every transition, its data (the
    transition's frozen JSON) "not a JSON object": only a trip through `json.dumps` worked."""
    case = Reintegration.open("case-1", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    case.record_consent(consent(), by=AP_HEAD, on=dt.date(2026, 1, 14))
    history = [transition_from_json(transition_to_json(t)) for t in case.history]
    assert history == list(case.history)
    assert Reintegration.replay(history) == case


def plain(value: Any) -> bool:
    """Whether `value` is JSON of plain dicts and lists all through (none frozen)."""
    if isinstance(value, dict):
        return type(value) is dict and all(map(plain, value.values()))
    if isinstance(value, list):
        return type(value) is list and all(map(plain, value))
    return True


def test_a_transition_exported_is_plain_data_its_taker_may_change() -> None:
    """Its data was the case's own frozen record, and a deep copy of it still frozen: an
    integrator scrubbing a field before passing it on got a TypeError (found by a review). The
    case's record stays as it was."""
    case = Reintegration.open("case-1", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    case.record_consent(consent(), by=AP_HEAD, on=dt.date(2026, 1, 14))
    recorded = case.history[1]
    exported = transition_to_json(recorded)
    assert plain(exported)
    assert exported["data"] == recorded.data
    del exported["data"]["form"]["parent_name"]
    exported["data"]["form"]["preferred_schools"].append("Elsewhere")
    assert case.history[1].data["form"]["parent_name"] == consent().parent_name
    assert "Elsewhere" not in case.history[1].data["form"]["preferred_schools"]


def test_data_that_is_not_an_object_is_refused_without_quoting_it() -> None:
    """The refusal quoted the data whole: the child's name and date of birth in an error."""
    good = json.loads(json.dumps(transition_to_json(_first_transition())))
    for wrapped in ([good["data"]], json.dumps(good["data"])):
        with pytest.raises(FormInvalid) as refused:
            transition_from_json({**good, "data": wrapped})
        assert PUPIL.name not in str(refused.value)
        assert "JSON object" in str(refused.value)


def test_data_nested_too_deeply_is_refused_not_a_recursion_error() -> None:
    """Data nested thousands deep (JSON allows it) raised a bare RecursionError."""
    nested: list[Any] = []
    for _ in range(5000):
        nested = [nested]
    good = json.loads(json.dumps(transition_to_json(_first_transition())))
    with pytest.raises(FormInvalid, match="nested too deeply"):
        transition_from_json({**good, "data": {**good["data"], "note": nested}})


def _first_transition() -> Transition:
    case = Reintegration.open("case-1", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED)
    return case.history[0]
