"""A case's state beside its log, and its data at rest: what a store keeps so that a load need
not replay, and what it leaves out of each row. Whatever comes back must be the case itself."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import scenario as sc
from reintegration_fsm import (
    FormInvalid,
    GuardFailed,
    Reintegration,
    SchoolCalendar,
    Stage,
    Transition,
)
from reintegration_fsm import testing as rt
from reintegration_fsm.protocol.at_rest import FULL, StoredTransition, at_rest, in_full
from reintegration_fsm.protocol.duties import BASES, DELETION_BASIS
from reintegration_fsm.protocol.reading import read_values
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.serialisation import transition_from_json
from reintegration_fsm.state import relaid
from test_replay import ended, successful

CALENDAR = SchoolCalendar.sample()
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_export_v1.json"
D = dt.date


def text_of(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stored(case: Reintegration, *, rest: bool = True) -> list[Transition]:
    """The case's history as a store hands it back: each row's data as text, at rest."""
    kind = StoredTransition if rest else Transition
    return [
        kind.from_text(
            t.seq,
            t.trigger,
            t.source,
            t.dest,
            t.actor,
            t.on,
            text_of(at_rest(t.trigger, t.data) if rest else t.data),
        )
        for t in case.history
    ]


def everything(case: Reintegration) -> tuple[object, ...]:
    """What anyone can read of a case."""
    actors = [sc.AP_HEAD, sc.AP_STAFF, sc.HOST_HEAD, sc.HOST_STAFF, sc.ADMISSIONS, sc.PARENT]
    return (
        *sc.snapshot(case),
        case.case_id,
        case.pupil,
        case.ap_setting,
        case.local_authority,
        case.protocol,
        case.version,
        case.pending_deadlines,
        case.preferred_schools,
        case.consent_signed_on,
        case.ap_head,
        case.weighting_adjustments,
        case.dual_registered,
        case.opened_on,
        case.last_on,
        case.failure_letter,
        case.letter(),
        [case.available_triggers(actor) for actor in actors],
        case._state(),
    )


# -- the state: a resumed case is the case --------------------------------------------------------
@pytest.mark.parametrize("build", [successful, ended])
def test_a_resumed_case_is_the_replayed_case_in_everything_it_shows(build: Any) -> None:
    case = build()
    resumed = Reintegration._resume(stored(case), case._state(), CALENDAR)
    assert resumed == case
    assert everything(resumed) == everything(case)
    assert resumed.history == case.history


def test_a_resumed_case_reads_its_child_from_the_open_record_once_asked() -> None:
    """A case loaded in bulk holds the child only in its `open` record's text until read."""
    case = successful()
    resumed = Reintegration._resume(stored(case), case._state(), CALENDAR)
    assert resumed._pupil is None
    assert resumed.pupil == case.pupil
    assert resumed._pupil is resumed.pupil  # read once, then kept
    copied = Reintegration._resume(stored(case), case._state(), CALENDAR)._copy()
    assert copied.pupil == case.pupil


def test_resumed_cases_share_the_names_of_settings_and_schools_but_not_of_people() -> None:
    """A loaded case holds one copy of a school's or an authority's name however many cases name
    it (the memory goal of a loaded case), but never shares a person's: a name kept for sharing
    would outlive its case's erasure."""
    case = successful()
    first, second = (Reintegration._resume(stored(case), case._state(), CALENDAR) for _ in "12")
    assert case.host_school is not None
    for name in ("ap_setting", "local_authority", "host_school", "preferred_schools"):
        assert getattr(first, name) == getattr(case, name)
        assert getattr(first, name) is getattr(second, name), name
    assert first.ap_head == second.ap_head == case.ap_head
    assert first.ap_head is not second.ap_head
    assert first.pupil.name is not second.pupil.name


def test_a_malformed_child_in_a_resumed_open_record_is_refused_when_read() -> None:
    case = successful()
    history = stored(case)
    first = history[0]
    data = json.loads(text_of(first.data))
    data["pupil"]["date_of_birth"] = "not a date"
    history[0] = Transition.from_text(
        first.seq, first.trigger, first.source, first.dest, first.actor, first.on, text_of(data)
    )
    resumed = Reintegration._resume(history, case._state(), CALENDAR)
    with pytest.raises(FormInvalid, match="open"):
        resumed.pupil  # noqa: B018


def test_a_transition_given_its_text_parses_it_when_read_and_hands_it_out_frozen() -> None:
    first = successful().history[0]

    def given(text: str) -> Transition:
        return Transition.from_text(
            first.seq, first.trigger, first.source, first.dest, first.actor, first.on, text
        )

    transition = given('{"case_id": "C-1", "schools": ["A"]}')
    assert transition == given('{"schools": ["A"], "case_id": "C-1"}')
    assert transition != given('{"case_id": "C-2", "schools": ["A"]}')
    data = transition.data
    assert data == {"case_id": "C-1", "schools": ["A"]}
    assert transition.data is data  # frozen once, then kept
    with pytest.raises(TypeError, match="cannot be changed"):
        data["case_id"] = "C-2"  # type: ignore[index]
    with pytest.raises(TypeError, match="cannot be changed"):
        data["schools"].append("B")
    assert given('{"case_id": "C-1"}')._raw() == {"case_id": "C-1"}
    for text, fragment in [
        ("", "must be a JSON object, not NoneType"),
        ("[1]", "must be a JSON object, not list"),
        ('{"case_id": ', "is not JSON"),
    ]:
        with pytest.raises(FormInvalid, match=fragment):
            given(text).data  # noqa: B018


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rt.protocol_runs())
def test_every_generated_run_resumes_and_restores_as_it_replays(run: rt.ProtocolRun) -> None:
    case = rt.play(run)
    history = stored(case)
    assert everything(Reintegration._restore(history, CALENDAR)) == everything(case)
    for end in range(1, len(history) + 1):
        replayed = Reintegration.replay(case.history[:end], CALENDAR)
        resumed = Reintegration._resume(history[:end], replayed._state(), CALENDAR)
        assert everything(resumed) == everything(replayed)
        assert resumed._unchecked == end  # a store replays it before saving it elsewhere


def test_a_resumed_case_moves_on_as_the_replayed_one_does() -> None:
    case = successful()
    prefix = case.history[:-1]
    replayed = Reintegration.replay(prefix, CALENDAR)
    resumed = Reintegration._resume(stored(case)[:-1], replayed._state(), CALENDAR)
    for moving in (replayed, resumed):
        moving.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=sc.SUCCESS.date_on_roll)
    assert resumed == replayed == case
    assert resumed._state() == replayed._state() == case._state()


def test_a_resumed_case_still_refuses_what_the_protocol_refuses() -> None:
    case = successful()
    replayed = Reintegration.replay(case.history[:6], CALENDAR)  # placement started
    resumed = Reintegration._resume(stored(case)[:6], replayed._state(), CALENDAR)
    refusals = []
    for moving in (replayed, resumed):
        with pytest.raises(GuardFailed) as caught:
            moving.record_successful_outcome(sc.SUCCESS, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
        refusals.append(caught.value.reasons)
    assert refusals[0] == refusals[1]
    assert refusals[0]
    assert resumed.version == 6


def layout_1(case: Reintegration) -> str:
    """The case's state as stores wrote it before layout 2."""
    return relaid(case._state(), 1)


def test_the_state_is_compact_json_that_names_bases_by_their_regulation() -> None:
    state = successful()._state()
    assert " " not in state.split('"facts"')[0]
    found = json.loads(state)
    assert (found["format"], found["version"], found["stage"]) == (2, 10, "successful")
    items = [item for run in found["obligations"] for item in run[1:]]
    assert len(items) == len(successful().obligations)
    bases = {item[3] for item in items if len(item) == 4}
    assert bases <= set(BASES)
    assert "9(1)(c)" in bases
    assert DELETION_BASIS not in state
    assert "permanent_from" in found["facts"]
    assert "ended_on" not in found["facts"]


def test_layout_2_writes_each_days_obligations_as_one_run_and_leaves_out_what_is_absent() -> None:
    case = successful()
    found = json.loads(case._state())
    days = [run[0] for run in found["obligations"]]
    assert len(days) == len(set(days)) < len(case.obligations)
    assert [item for run in found["obligations"] for item in run[1:]] == [
        [o.kind.value, o.owner.value]
        + ([] if o.due is None and not o.basis else [None if o.due is None else o.due.isoformat()])
        + ([] if not o.basis else [{v: k for k, v in BASES.items()}[o.basis]])
        for o in case.obligations
    ]
    met = {d.kind.value for d in case.deadlines if d.met_on is not None}
    assert {d[0] for d in found["deadlines"] if len(d) == 3} == met
    assert len(case._state()) < len(layout_1(case))


def test_a_layout_1_state_still_resumes_the_case() -> None:
    """States written before layout 2 load as they did."""
    for case in (successful(), ended()):
        state = layout_1(case)
        assert json.loads(state)["format"] == 1
        resumed = Reintegration._resume(stored(case), state, CALENDAR)
        assert everything(resumed) == everything(case)


def test_a_state_relaid_and_relaid_back_is_the_text_it_was() -> None:
    """`relaid` writes the same values in another layout: there and back gives the same text;
    a layout no one knows, or text that is no state, is refused."""
    for case in (successful(), ended()):
        state = case._state()
        old = relaid(state, 1)
        assert old != state
        assert json.loads(old)["format"] == 1
        assert relaid(old, 2) == state
    with pytest.raises(ValueError, match="layout"):
        relaid(successful()._state(), 3)
    with pytest.raises(FormInvalid):
        relaid("not a state", 1)


def test_the_same_case_always_gives_the_same_state() -> None:
    assert successful()._state() == successful()._state()
    assert successful()._state() != ended()._state()


def test_a_first_layout_history_is_restored_whatever_the_state_says() -> None:
    export = json.loads(FIXTURE.read_text(encoding="utf-8"))
    history = [transition_from_json(item) for item in export[0]["history"]]
    replayed = Reintegration.replay(history, CALENDAR)
    resumed = Reintegration._resume(history, "not even JSON", CALENDAR)
    assert resumed == replayed
    assert resumed.stage is replayed.stage


# -- a state or history that is not what it claims is refused, naming the part -------------------
def _state_with(**changes: Any) -> str:
    """A layout-1 state, changed."""
    found = json.loads(layout_1(successful()))
    found.update(changes)
    return json.dumps(found)


def _layout_2_with(**changes: Any) -> str:
    found = json.loads(successful()._state())
    found.update(changes)
    return json.dumps(found)


BAD_STATES = [
    ("not JSON", "text"),
    ("[1, 2]", "text"),
    (_state_with(format=3), "format"),
    (_state_with(format="1"), "format"),
    (_layout_2_with(format=3), "format"),
    (_state_with(version="10"), "version"),
    (_state_with(version=0), "version"),
    (_state_with(stage="limbo"), "stage"),
    (_state_with(facts={"mood": "good"}), "facts.mood"),
    (_state_with(facts={"host_school": 7}), "facts.host_school"),
    (_state_with(facts={"ended_on": "2026-13-01"}), "facts.ended_on"),
    (_state_with(facts={"final_decision": "maybe"}), "facts.final_decision"),
    (_state_with(facts={"preferred_schools": "Elmstead"}), "facts.preferred_schools"),
    (_state_with(facts=[]), "facts"),
    (_state_with(deadlines=[["place_offer", "2026-02-23"]]), "deadlines"),
    (_state_with(deadlines=[["never", "2026-02-23", None]]), "deadlines"),
    (_state_with(deadlines=[["place_offer", 20260223, None]]), "deadlines"),
    (_state_with(obligations=[["offer_visit", "ap", None, "", "2026-02-02", 1]]), "obligations"),
    (_state_with(obligations=[["offer_visit", "nobody", None, "", None]]), "obligations"),
    (_state_with(obligations=[["offer_visit", "ap", None, 3, None]]), "obligations"),
    (_state_with(departures=[["1", "R9", "late"]]), "departures"),
    (_state_with(departures=[[1, "R9"]]), "departures"),
    (_layout_2_with(deadlines=[["place_offer"]]), "deadlines"),
    (_layout_2_with(deadlines=[["place_offer", "2026-02-23", None, None]]), "deadlines"),
    (_layout_2_with(deadlines=[["never", "2026-02-23"]]), "deadlines"),
    (_layout_2_with(deadlines=["place_offer"]), "deadlines"),
    (_layout_2_with(obligations=[["2026-02-02"]]), "obligations"),
    (_layout_2_with(obligations=[["2026-02-02", ["offer_visit"]]]), "obligations"),
    (_layout_2_with(obligations=[["2026-02-02", ["offer_visit", "nobody"]]]), "obligations"),
    (_layout_2_with(obligations=[["2026-02-02", ["offer_visit", "ap", None, 3]]]), "obligations"),
    (
        _layout_2_with(obligations=[["2026-02-02", ["offer_visit", "ap", None, "", 1]]]),
        "obligations",
    ),
    (_layout_2_with(obligations=[["2026-13-02", ["offer_visit", "ap"]]]), "obligations"),
    (_layout_2_with(obligations={"2026-02-02": []}), "obligations"),
]


@pytest.mark.parametrize(("state", "part"), BAD_STATES)
def test_a_malformed_state_is_refused_naming_its_part(state: str, part: str) -> None:
    case = successful()
    with pytest.raises(FormInvalid) as caught:
        Reintegration._resume(stored(case), state, CALENDAR)
    assert (caught.value.form, caught.value.field) == ("state", part)


def test_a_state_of_another_length_or_stage_than_the_history_is_refused() -> None:
    case = successful()
    earlier = Reintegration.replay(case.history[:-1], CALENDAR)._state()
    with pytest.raises(FormInvalid, match=r"version 9 in stage 'in_placement'.*10 transitions"):
        Reintegration._resume(stored(case), earlier, CALENDAR)
    with pytest.raises(FormInvalid, match="ending in 'successful'"):
        Reintegration._resume(stored(case), _state_with(stage="in_placement"), CALENDAR)


@pytest.mark.parametrize(
    "history",
    [[], ["open"], "cut_first", "gap_at_end"],
    ids=["empty", "not transitions", "no open", "a gap"],
)
def test_a_history_that_does_not_start_and_end_right_is_refused(history: Any) -> None:
    case = successful()
    rows: list[Any] = stored(case)
    if history == "cut_first":
        rows = rows[1:]
    elif history == "gap_at_end":
        rows = [*rows[:-2], rows[-1]]
    else:
        rows = history
    with pytest.raises(FormInvalid) as caught:
        Reintegration._resume(rows, case._state(), CALENDAR)
    assert caught.value.form == "history"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"pupil": "Alex"}, "pupil is a JSON object"),
        ({"case_id": 7}, "case_id must be text"),
        ({"case_id": " R-1"}, "case_id must not start or end with a space"),
        ({"ap_setting": "Brook\nfield"}, "ap_setting must be on one line"),
        ({"protocol": None}, "the record names no protocol"),
    ],
)
def test_malformed_open_data_is_refused_on_resume(change: dict[str, Any], fragment: str) -> None:
    case = successful()
    rows = stored(case)
    first = case.history[0]
    opened = {**first.data, **change}
    rows[0] = Transition.from_text(
        1, "open", None, first.dest, first.actor, first.on, text_of(opened)
    )
    with pytest.raises(FormInvalid, match=fragment):
        Reintegration._resume(rows, case._state(), CALENDAR)


def test_a_malformed_child_is_refused_when_first_read() -> None:
    case = successful()
    rows = stored(case)
    first = case.history[0]
    opened = {**first.data, "pupil": {**first.data["pupil"], "name": "  "}}
    rows[0] = Transition.from_text(
        1, "open", None, first.dest, first.actor, first.on, text_of(opened)
    )
    resumed = Reintegration._resume(rows, case._state(), CALENDAR)
    assert resumed.stage is Stage.SUCCESSFUL
    with pytest.raises(FormInvalid, match="must not be blank"):
        _ = resumed.pupil


def test_a_calendar_that_is_not_one_is_refused() -> None:
    case = successful()
    with pytest.raises(FormInvalid, match="must be a SchoolCalendar"):
        Reintegration._resume(stored(case), case._state(), "sample")  # type: ignore[arg-type]


# -- data at rest ---------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rt.protocol_runs())
def test_data_at_rest_reads_back_in_full_and_is_never_longer(run: rt.ProtocolRun) -> None:
    case = rt.play(run)
    for transition in case.history:
        data = json.loads(text_of(transition.data))
        rest = at_rest(transition.trigger, data)
        assert in_full(transition.trigger, rest) == data
        assert len(text_of(rest)) <= len(text_of(data))
        step = STEP[transition.trigger]
        seq = transition.seq
        assert read_values(step, rest, seq) == read_values(step, data, seq)
    assert Reintegration.replay(stored(case), CALENDAR) == case


def test_at_rest_leaves_out_defaults_and_names_bases_and_in_full_puts_them_back() -> None:
    case = successful()
    outcome = case.history[-1]
    rest = at_rest(outcome.trigger, outcome.data)
    opened = {item["kind"]: item for item in rest["opened"]}
    assert opened["delete_from_roll"]["basis"] == "9(1)(c)"
    assert opened["transfer_records"] == {"kind": "transfer_records", "owner": "ap"}
    meeting = case.history[4]
    assert "reasons" not in at_rest(meeting.trigger, meeting.data)["meeting"]
    assert in_full(outcome.trigger, rest) == outcome.data


def test_a_stored_transition_shows_its_data_in_full() -> None:
    case = successful()
    for original, kept in zip(case.history, stored(case), strict=True):
        assert kept.data == original.data
        assert kept == original


def test_values_a_redaction_replaced_pass_through_at_rest() -> None:
    case = successful()
    meeting = case.history[4]
    data = json.loads(text_of(meeting.data))
    data["views"] = {"$redacted": "ab" * 32}
    data["meeting"]["reasons"] = {"$redacted": "cd" * 32}
    rest = at_rest(meeting.trigger, data)
    assert rest["views"] == {"$redacted": "ab" * 32}
    assert rest["meeting"]["reasons"] == {"$redacted": "cd" * 32}
    assert in_full(meeting.trigger, rest) == data


def test_a_value_equal_to_its_default_only_in_python_is_kept() -> None:
    """`0 == False` in Python: a default is left out only when the type matches too."""
    case = successful()
    opened = case.history[0]
    data = json.loads(text_of(opened.data))
    data["pupil"]["looked_after"] = 0
    rest = at_rest("open", data)
    assert rest["pupil"]["looked_after"] == 0
    assert in_full("open", rest) == data


def test_other_layouts_and_triggers_pass_through() -> None:
    legacy = {"form": {"reasons": ""}}  # no schema key: the first layout
    assert at_rest("hold_review", legacy) == legacy == in_full("hold_review", legacy)
    assert at_rest("no_such_step", {"schema": 2, "x": ""}) == {"schema": 2, "x": ""}


def test_data_kept_in_full_is_unwrapped_and_must_be_an_object() -> None:
    """A store keeps data that would not read back exactly in full, as `{"$full": data}`: both
    `in_full` and a stored transition read the data itself; anything but an object is refused."""
    opening = successful().history[0]
    data = json.loads(text_of(opening.data))
    kept = json.dumps({FULL: data})
    assert in_full(opening.trigger, json.loads(kept)) == data
    stored = StoredTransition.from_text(
        opening.seq,
        opening.trigger,
        opening.source,
        opening.dest,
        opening.actor,
        opening.on,
        kept,
    )
    assert stored.data == opening.data
    with pytest.raises(ValueError, match="JSON object"):
        in_full(opening.trigger, {FULL: [1]})


def test_the_values_cases_share_are_kept_in_bounded_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process reading more distinct days than a shared table holds keeps at most its bound,
    and every day still reads as itself (a day past the bound is simply not shared)."""
    from reintegration_fsm import state

    monkeypatch.setattr(state, "_SHARED_MOST", 5)
    monkeypatch.setattr(state, "_DAYS", {})
    monkeypatch.setattr(state, "_SETTINGS", {})
    days = [(D(2026, 9, 1) + dt.timedelta(days=n)).isoformat() for n in range(8)]
    read = [state.shared_day(day) for day in days]
    assert [day.isoformat() for day in read] == days
    assert list(state._DAYS) == days[:5]
    assert state.shared_day(days[0]) is read[0]
    assert state.shared_day(days[7]) is not read[7]
    names = [f"School {n}" for n in range(8)]
    kept = [state.shared_setting("".join(name)) for name in names]
    assert kept == names
    assert len(state._SETTINGS) == 5
    assert state.shared_setting("".join(names[4])) is kept[4]
    assert state.shared_setting("".join(names[6])) is not kept[6]
