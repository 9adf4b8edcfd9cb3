"""Each rule at its boundary: refused one day (or party, or word) short, allowed exactly at it.

Written to kill the mutants that mutation testing of `rules.py` left alive (docs/testing.md,
"Mutation testing"): a `<=` turned `<`, a condition dropped, a party or a date swapped. The
numbers are PROTOCOL.md's (42 days, a year ahead at most, the seed's parties), written out here
rather than read from the library.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    Attendee,
    ChildViews,
    Evidence,
    FormInvalid,
    GuardFailed,
    ObligationKind,
    Party,
    PastoralSupportPlan,
    Pupil,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    Role,
    Stage,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
    rules,
)
from reintegration_fsm.protocol.definition import WORCESTERSHIRE_1
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    EVERYONE,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_FOUND,
    HOST_HEAD,
    HOST_SCHOOL,
    MEETING,
    OPENED,
    PSP,
    PUPIL,
    REFERRED,
    RETURN,
    SECOND_REVIEW,
    START,
    SUCCESS,
    WITH_LA,
    D,
    consent,
    information,
    initial_meeting,
    letter,
    review,
    snapshot,
)
from stages import (
    CALENDAR,
    EMERGENCY_HELD,
    consented,
    emergency,
    emergency_meeting,
    ending,
    host_identified,
    in_placement,
    made_permanent,
    opened,
    planned,
    referred,
    reviewed,
)

DAY = dt.timedelta(days=1)
PARENT_ACTOR = Actor("parent-1", "Dana Example", Role.PARENT, "")


def reasons_of(case: Reintegration, fire: Callable[[Reintegration], object]) -> list[str]:
    """Fire, expect a refusal that changed nothing, and give its reasons."""
    before = snapshot(case)
    with pytest.raises(GuardFailed) as refused:
        fire(case)
    assert snapshot(case) == before
    return list(refused.value.reasons)


def only_reason(case: Reintegration, fire: Callable[[Reintegration], object], fragment: str) -> str:
    """The refusal has exactly one reason, and it says `fragment`."""
    reasons = reasons_of(case, fire)
    assert len(reasons) == 1, reasons
    assert fragment in reasons[0], reasons
    return reasons[0]


# -- R16: time runs forward, but not more than a year ahead -----------------------------------


def _open_on(on: dt.date) -> Reintegration:
    return Reintegration.open("case-r16", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=on)


def test_a_step_dated_366_days_ahead_is_allowed_and_367_refused() -> None:
    """docs/: a step may be dated at most 366 days after today."""
    furthest = dt.date.today() + dt.timedelta(days=366)
    assert _open_on(furthest).stage is Stage.PROPOSED
    with pytest.raises(GuardFailed) as refused:
        _open_on(furthest + DAY)
    (reason,) = refused.value.reasons
    assert "more than a year ahead" in reason


def test_a_step_a_day_past_the_latest_date_counts_the_year_from_the_machines_today(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R16 allows a step dated exactly 366 days after this machine's today and refuses the day
    after with a reason that names that today (`AheadOfToday.today`, which `verify()` quotes
    when a log does not replay): the latest date allowed less 366 days, not more (review MU6)."""
    today = dt.date(2026, 3, 2)
    furthest = today + dt.timedelta(days=366)
    monkeypatch.setattr(rules.dates, "furthest_date", lambda: furthest)
    assert _open_on(furthest).stage is Stage.PROPOSED
    with pytest.raises(GuardFailed) as refused:
        _open_on(furthest + DAY)
    (reason,) = refused.value.reasons
    assert isinstance(reason, rules.dates.AheadOfToday)
    assert "more than a year ahead (after 2027-03-03)" in reason
    assert reason.today == today


class _Clock:
    """A stand-in for the clock R16 reads: the time now and today's date."""

    def __init__(self, today: dt.date, now: float) -> None:
        self.today, self.now = today, now

    def time(self) -> float:
        return self.now


def _midnight_after(day: dt.date) -> float:
    return dt.datetime.combine(day + DAY, dt.time.min).timestamp()


def test_the_latest_date_allowed_moves_on_at_midnight_and_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R16 reads today's date once a day: the limit it caches holds until the next midnight,
    exactly, and is then worked out again from the new day."""
    clock = _Clock(dt.date(2026, 3, 2), 0.0)

    class Today(dt.date):
        @classmethod
        def today(cls) -> Today:
            day = clock.today
            return cls(day.year, day.month, day.day)

    fake = type("FakeDatetime", (), {})()
    for name in ("datetime", "timedelta", "time"):
        setattr(fake, name, getattr(dt, name))
    fake.date = Today
    monkeypatch.setattr(rules.dates, "dt", fake)
    monkeypatch.setattr(rules.dates, "time", clock)
    monkeypatch.setattr(rules.dates, "_LIMIT", [0.0, dt.date.min])

    clock.now = _midnight_after(dt.date(2026, 3, 1)) + 60  # 00:01 on 2 March
    assert rules.furthest_date() == dt.date(2026, 3, 2) + dt.timedelta(days=366)
    assert [_midnight_after(dt.date(2026, 3, 2)), dt.date(2027, 3, 3)] == rules.dates._LIMIT

    clock.today = dt.date(2026, 3, 3)  # the date moves on, but the cache holds till midnight
    clock.now = _midnight_after(dt.date(2026, 3, 2)) - 1
    assert rules.furthest_date() == dt.date(2027, 3, 3)

    clock.now = _midnight_after(dt.date(2026, 3, 2))  # midnight itself: worked out again
    assert rules.furthest_date() == dt.date(2027, 3, 4)
    assert [_midnight_after(dt.date(2026, 3, 3)), dt.date(2027, 3, 4)] == rules.dates._LIMIT


def test_a_step_dated_the_day_before_the_last_is_refused_and_the_same_day_allowed() -> None:
    case = opened()
    only_reason(
        case,
        lambda c: c.record_consent(consent(signed_on=OPENED - DAY), by=AP_HEAD, on=OPENED - DAY),
        "earlier than the case's last step",
    )
    case.record_consent(consent(signed_on=OPENED), by=AP_HEAD, on=OPENED)
    assert case.stage is Stage.CONSENTED


# -- R1: the protocol is in effect on the day -------------------------------------------------


def test_a_case_opens_on_the_day_its_protocol_takes_effect_and_not_the_day_before() -> None:
    protocol = attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="r1-test", effective_from=OPENED
    )
    case = Reintegration.open(
        "case-r1", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED, protocol=protocol
    )
    assert case.protocol is protocol
    with pytest.raises(GuardFailed) as refused:
        Reintegration.open(
            "case-r1", PUPIL, AP_SETTING, AUTHORITY, by=AP_HEAD, on=OPENED - DAY, protocol=protocol
        )
    (reason,) = refused.value.reasons
    assert "takes effect on 2026-01-12" in reason


def test_a_pupil_on_a_mainstream_roll_is_refused_alone() -> None:
    with pytest.raises(GuardFailed) as refused:
        Reintegration.open(
            "case-r1",
            attrs.evolve(PUPIL, on_mainstream_roll=True),
            AP_SETTING,
            AUTHORITY,
            by=AP_HEAD,
            on=OPENED,
        )
    (reason,) = refused.value.reasons
    assert "already on the roll of a mainstream school" in reason


# -- R2: written consent ----------------------------------------------------------------------


def _consent(**changes: Any) -> Callable[[Reintegration], object]:
    return lambda c: c.record_consent(consent(**changes), by=AP_HEAD, on=CONSENTED)


def test_consent_signed_on_the_day_is_allowed_and_the_day_after_refused() -> None:
    only_reason(opened(), _consent(signed_on=CONSENTED + DAY), "dated 2026-01-15, after 2026-01-14")
    case = opened()
    _consent(signed_on=CONSENTED)(case)
    assert case.stage is Stage.CONSENTED


def test_undated_consent_is_refused() -> None:
    only_reason(opened(), _consent(signed_on=None), "not dated")


def test_consent_for_the_child_is_recognised_whatever_the_case_and_spacing() -> None:
    case = opened()
    _consent(child_name="  alex   EXAMPLE ")(case)
    assert case.stage is Stage.CONSENTED


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"child_name": "Alex Exampel"}, "not for 'Alex Example'"),
        ({"child_dob": PUPIL.date_of_birth + DAY}, "date of birth 2012-05-15"),
        ({"has_parental_responsibility": False}, "does not have parental responsibility"),
        ({"understands_reasons": False}, "does not understand the reasons"),
        ({"agrees": False}, "parent does not agree"),
        ({"consent_to_share": False}, "not consented to the child's information"),
        ({"signed_by": "  "}, "not signed"),
        ({"preferred_schools": ()}, "names no school"),
        ({"preferred_schools": ("", "   ")}, "names no school"),
        ({"child_agrees": False}, "child does not agree"),
    ],
)
def test_consent_missing_one_thing_is_refused_for_that_alone(
    changes: dict[str, Any], fragment: str
) -> None:
    only_reason(opened(), _consent(**changes), fragment)


def test_one_named_school_among_blanks_is_enough() -> None:
    case = opened()
    _consent(preferred_schools=("", HOST_SCHOOL))(case)
    assert case.preferred_schools == ("", HOST_SCHOOL)


@pytest.mark.parametrize(
    ("other_has", "other_agrees", "refused"),
    [(True, None, True), (True, False, True), (True, True, False), (False, None, False)],
)
def test_the_other_parents_agreement_is_needed_only_when_they_have_responsibility(
    other_has: bool, other_agrees: bool | None, refused: bool
) -> None:
    fire = _consent(other_parent_has_responsibility=other_has, other_parent_agrees=other_agrees)
    if refused:
        only_reason(opened(), fire, "Another parent has parental responsibility")
    else:
        case = opened()
        fire(case)
        assert case.stage is Stage.CONSENTED


def test_the_childs_refusal_binds_from_revision_2_only() -> None:
    """Revision 2 (Procedures: "If parents and the child/young person agree"); the first edition
    recorded no such rule."""
    only_reason(opened(), _consent(child_agrees=False), "child does not agree")
    case = opened(WORCESTERSHIRE_1)
    _consent(child_agrees=False)(case)
    assert case.stage is Stage.CONSENTED
    assert case.departures == ()


def test_the_childs_unrecorded_agreement_is_a_departure_and_a_recorded_one_is_not() -> None:
    case = opened()
    _consent(child_agrees=None)(case)
    assert [(d.seq, d.rule) for d in case.departures] == [(2, "R2")]
    assert "agreement" in case.departures[0].text
    agreed = opened()
    _consent(child_agrees=True)(agreed)
    assert agreed.departures == ()


def test_the_first_edition_records_no_departures() -> None:
    case = opened(WORCESTERSHIRE_1)
    _consent(child_agrees=None)(case)
    assert case.departures == ()


# -- R3: the PSP is active on the day ---------------------------------------------------------


def _refer(psp: PastoralSupportPlan = PSP, **info: Any) -> Callable[[Reintegration], object]:
    return lambda c: c.refer_to_fair_access(
        ReferralRoute.PANEL, information(**info), psp, by=AP_HEAD, on=REFERRED
    )


@pytest.mark.parametrize(
    ("psp", "fragment"),
    [
        (PastoralSupportPlan(start=REFERRED + DAY), "only starts on 2026-01-20"),
        (PastoralSupportPlan(start=PSP.start, end=REFERRED - DAY), "ended on 2026-01-18"),
    ],
)
def test_a_psp_a_day_out_of_date_is_refused(psp: PastoralSupportPlan, fragment: str) -> None:
    only_reason(consented(), _refer(psp), fragment)


def test_a_psp_running_exactly_from_and_to_the_referral_day_is_active() -> None:
    case = consented()
    _refer(PastoralSupportPlan(start=REFERRED, end=REFERRED))(case)
    assert case.stage is Stage.REFERRED


# -- R4: the information gathered --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("attainment", "attainment"),
        ("effort", "effort"),
        ("attitude_to_staff", "attitude to staff"),
        ("attitude_to_peers", "attitude to peers"),
        ("homework", "homework"),
    ],
)
def test_each_missing_rating_is_refused_by_name(field: str, words: str) -> None:
    only_reason(consented(), _refer(**{field: None}), f"rating for {words} is missing")


@pytest.mark.parametrize(
    ("field", "fragment"),
    [("reasons_for_success", "why a reintegration"), ("transport_plan", "get to the proposed")],
)
def test_blank_reasons_or_transport_are_refused(field: str, fragment: str) -> None:
    only_reason(consented(), _refer(**{field: "  "}), fragment)


FIVE = {
    Evidence.PSP,
    Evidence.BEHAVIOUR_LOG,
    Evidence.ATTENDANCE_RECORD,
    Evidence.EXCLUSION_DATA,
    Evidence.ASSESSMENT_DATA,
}


@pytest.mark.parametrize("missing", sorted(FIVE, key=lambda e: e.value))
def test_each_of_the_five_pieces_of_evidence_is_needed(missing: Evidence) -> None:
    reason = only_reason(
        consented(), _refer(evidence=frozenset(FIVE - {missing})), "evidence does not include"
    )
    assert reason.startswith("The evidence does not include")


def _pupil_case(pupil: Pupil) -> Reintegration:
    case = Reintegration.open(
        "case-r4", pupil, AP_SETTING, AUTHORITY, CALENDAR, by=AP_HEAD, on=OPENED
    )
    case.record_consent(
        consent(child_name=pupil.name, child_dob=pupil.date_of_birth), by=AP_HEAD, on=CONSENTED
    )
    return case


@pytest.mark.parametrize(
    ("pupil", "extra", "fragment"),
    [
        (attrs.evolve(PUPIL, looked_after=True), Evidence.PERSONAL_EDUCATION_PLAN, "Personal Ed"),
        (attrs.evolve(PUPIL, key_stage=4), Evidence.KS4_OPTIONS, "Key Stage 4"),
    ],
    ids=["looked-after", "key-stage-4"],
)
def test_the_extra_evidence_is_needed_for_the_child_it_concerns_and_enough_with_it(
    pupil: Pupil, extra: Evidence, fragment: str
) -> None:
    only_reason(_pupil_case(pupil), _refer(evidence=frozenset(FIVE)), fragment)
    case = _pupil_case(pupil)
    _refer(evidence=frozenset(FIVE | {extra}))(case)
    assert case.stage is Stage.REFERRED


@pytest.mark.parametrize("key_stage", [3, 5])
def test_no_options_record_is_needed_outside_key_stage_4(key_stage: int) -> None:
    case = _pupil_case(attrs.evolve(PUPIL, key_stage=key_stage))
    _refer(evidence=frozenset(FIVE))(case)
    assert case.stage is Stage.REFERRED


# -- R5: the host school ----------------------------------------------------------------------


def _host(name: str) -> Callable[[Reintegration], object]:
    return lambda c: c.identify_host(name, ReferralRoute.PANEL, by=ADMISSIONS, on=HOST_FOUND)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("   ", "not named"), ("brookfield  learning CENTRE", "cannot be Brookfield Learning")],
)
def test_a_host_that_is_blank_or_the_ap_setting_itself_is_refused(name: str, fragment: str) -> None:
    only_reason(referred(), _host(name), fragment)


def test_a_preferred_host_is_no_departure_whatever_its_case_and_spacing() -> None:
    case = referred()
    _host("elmstead   HIGH school")(case)
    assert case.stage is Stage.HOST_IDENTIFIED
    assert case.departures == ()


@pytest.mark.parametrize("spaced", [f"{HOST_SCHOOL} ", f" {HOST_SCHOOL}"])
def test_a_host_school_with_a_space_at_an_end_is_refused_as_an_ap_setting_is(spaced: str) -> None:
    """ "Elmstead High School " (pasted) was accepted, with no R5 departure, as another school:
    its own staff were refused (R15 compares exactly) and the Fair Access ledger listed it
    apart from the school (found by a review, A4). `open` refused such an AP setting."""
    case = referred()
    with pytest.raises(FormInvalid) as caught:
        _host(spaced)(case)
    assert caught.value.problems == (("host_school", "must not start or end with a space"),)
    assert case.stage is Stage.REFERRED


def test_a_host_school_recorded_with_a_space_at_an_end_still_replays() -> None:
    """The refusal is of a name given now: a history that recorded one still replays."""
    case = host_identified()
    written = [json.loads(json.dumps(transition_to_json(t))) for t in case.history]
    written[-1]["data"]["host_school"] = f"{HOST_SCHOOL} "
    replayed = Reintegration.replay([transition_from_json(item) for item in written], CALENDAR)
    assert replayed.host_school == f"{HOST_SCHOOL} "


def test_a_host_the_family_did_not_name_is_accepted_as_a_departure() -> None:
    case = referred()
    _host("Oakwood Academy")(case)
    assert case.stage is Stage.HOST_IDENTIFIED
    ((seq, rule, text),) = [(d.seq, d.rule, d.text) for d in case.departures]
    assert (seq, rule) == (4, "R5")
    assert text.startswith("Oakwood Academy is not among")
    assert f"({HOST_SCHOOL})" in text


# -- R6: the panel note ------------------------------------------------------------------------


def test_noting_at_panel_is_refused_once_the_note_is_made() -> None:
    case = referred(route=ReferralRoute.VIRTUAL)
    case.note_at_panel(by=ADMISSIONS, on=REFERRED)
    only_reason(case, lambda c: c.note_at_panel(by=ADMISSIONS, on=REFERRED), "No virtual approach")


# -- R7: the initial meeting -------------------------------------------------------------------


def _meet(on: dt.date = MEETING, gathered: dt.date | None = None, **changes: Any) -> Any:
    seen = ChildViews(gathered_on=MEETING - DAY if gathered is None else gathered)
    return lambda c: c.hold_initial_meeting(initial_meeting(**changes), seen, by=AP_STAFF, on=on)


def test_an_initial_meeting_recorded_before_it_is_held_is_refused_and_on_the_day_allowed() -> None:
    only_reason(host_identified(), _meet(on=MEETING - DAY), "cannot be recorded before it is held")
    case = host_identified()
    _meet(on=MEETING)(case)
    assert case.stage is Stage.PLANNED


def test_views_gathered_the_day_after_the_initial_meeting_are_refused() -> None:
    only_reason(host_identified(), _meet(gathered=MEETING + DAY), "gathered after the meeting")
    case = host_identified()
    _meet(gathered=MEETING)(case)
    assert case.stage is Stage.PLANNED


def test_a_start_the_day_before_the_initial_meeting_is_refused_and_on_the_day_allowed() -> None:
    reviews = dict(
        first_review=D(2026, 2, 20), second_review=D(2026, 3, 6), final_review=D(2026, 3, 20)
    )
    only_reason(
        host_identified(), _meet(start_date=MEETING - DAY, **reviews), "start date is before"
    )
    case = host_identified()
    _meet(start_date=MEETING, **reviews)(case)
    assert case.agreed_start == MEETING


def _reviews_after(start: dt.date) -> dict[str, dt.date]:
    weeks = (2, 4, 6)
    names = ("first_review", "second_review", "final_review")
    return {name: start + dt.timedelta(weeks=n) for name, n in zip(names, weeks, strict=True)}


def test_a_start_a_year_after_the_initial_meeting_is_allowed_and_a_day_more_refused() -> None:
    """A start typed 2062 for 2026 was accepted, and the case stayed at PLANNED: R8 refused the
    start until then, and the meeting cannot be held again (found by a review)."""
    late = MEETING + dt.timedelta(days=367)
    reason = only_reason(
        host_identified(), _meet(start_date=late, **_reviews_after(late)), "more than a year"
    )
    assert reason == (
        f"The start date {late.isoformat()} is more than a year after the initial meeting; a "
        "placement agreed to start so far ahead would lock the case."
    )
    case = host_identified()
    start = MEETING + dt.timedelta(days=366)
    _meet(start_date=start, **_reviews_after(start))(case)
    assert case.agreed_start == start


def test_a_start_and_reviews_at_the_end_of_the_calendar_are_refused_not_overflowed() -> None:
    """9999-12-31, an MIS export's "no end date", raised Python's OverflowError from R7's limit,
    live, on replay and on import (found by a review)."""
    end = dt.date.max
    reasons = reasons_of(
        host_identified(),
        _meet(start_date=end, first_review=end, second_review=end, final_review=end),
    )
    assert reasons == [
        f"The start date {end.isoformat()} is more than a year after the initial meeting; a "
        "placement agreed to start so far ahead would lock the case.",
        "The first review must be after the start date.",
        "The second review must be after the first review.",
        "The final review must be after the second review.",
    ]
    assert rules.review_dates_problems(WORCESTERSHIRE, end, end, end, end)[-1] == (
        "The final review must be after the second review."
    )


@pytest.mark.parametrize(
    ("missing", "words"),
    [
        (Party.PARENT, "a parent/carer"),
        (Party.CHILD, "the child"),
        (Party.AP, "the Alternative Provision setting"),
        (Party.HOST, "the host school"),
    ],
)
def test_an_initial_meeting_form_missing_one_signature_is_refused(
    missing: Party, words: str
) -> None:
    signed = frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST} - {missing})
    reason = only_reason(host_identified(), _meet(signatures=signed), "not signed by")
    assert reason == f"The initial meeting form is not signed by {words}."


def test_other_signatures_do_not_stand_in_for_a_missing_one() -> None:
    signed = frozenset({Party.CHILD, Party.AP, Party.HOST, Party.LA, Party.OTHER})
    only_reason(host_identified(), _meet(signatures=signed), "not signed by a parent/carer")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"parent_present": False}, "parent/carer was not present"),
        ({"child_present": False}, "child was not present"),
        ({"transport_arrangements": " "}, "Transport arrangements"),
        ({"child_will": ""}, "expectations of the child"),
        ({"school_will": ""}, "expectations of the host school"),
        ({"parent_will": ""}, "expectations of the parent/carer"),
        ({"host_contact": ""}, "named contact"),
        ({"ap_support": "  "}, "support the Alternative Provision setting will give"),
    ],
)
def test_an_initial_meeting_missing_one_thing_is_refused_for_that_alone(
    changes: dict[str, Any], fragment: str
) -> None:
    only_reason(host_identified(), _meet(**changes), fragment)


def test_the_ap_support_is_needed_from_revision_2_only() -> None:
    case = host_identified(WORCESTERSHIRE_1)
    _meet(ap_support="")(case)
    assert case.stage is Stage.PLANNED


def test_a_first_review_on_the_start_date_is_refused_and_the_day_after_allowed() -> None:
    only_reason(
        host_identified(), _meet(first_review=START), "first review must be after the start"
    )
    case = host_identified()
    _meet(first_review=START + DAY)(case)
    assert case.stage is Stage.PLANNED


def test_a_second_review_on_the_first_is_refused_and_the_day_after_allowed() -> None:
    only_reason(host_identified(), _meet(second_review=FIRST_REVIEW), "after the first review")
    case = host_identified()
    _meet(second_review=FIRST_REVIEW + DAY)(case)
    assert case.stage is Stage.PLANNED


def test_a_final_review_on_the_second_is_refused_and_the_day_after_allowed() -> None:
    only_reason(host_identified(), _meet(final_review=SECOND_REVIEW), "after the second review")
    case = host_identified()
    _meet(final_review=SECOND_REVIEW + DAY)(case)
    assert case.stage is Stage.PLANNED


def test_a_final_review_42_days_after_the_start_is_allowed_and_43_refused() -> None:
    """R7: final <= start + 42 days (6 weeks) for Worcestershire."""
    reason = only_reason(
        host_identified(), _meet(final_review=START + dt.timedelta(days=43)), "within 42 days"
    )
    assert reason == (
        "The final review must be within 42 days (6 weeks) of the start date (by 2026-04-06)."
    )
    case = host_identified()
    _meet(final_review=START + dt.timedelta(days=42))(case)
    assert case.stage is Stage.PLANNED


def test_a_limit_that_is_not_whole_weeks_is_given_in_days_only() -> None:
    protocol = attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="r7-test", final_review_within_days=45
    )
    reason = only_reason(
        host_identified(protocol), _meet(final_review=START + dt.timedelta(days=46)), "within"
    )
    assert reason == "The final review must be within 45 days of the start date (by 2026-04-09)."


# -- R8 ---------------------------------------------------------------------------------------


def test_a_start_the_day_before_the_agreed_date_is_refused_and_on_it_allowed() -> None:
    only_reason(planned(), lambda c: c.start_placement(by=HOST_HEAD, on=START - DAY), "2026-02-23")
    case = planned()
    case.start_placement(by=HOST_HEAD, on=START)
    assert case.placement_started_on == START


def _joiners_in(days: int) -> Any:
    """A protocol an earlier version of the library took: a joiners return `days` off (it
    loads for the cases opened under it, and opens no new one)."""
    return attrs.evolve(WORCESTERSHIRE, id="farshire", version="1", joiners_return_days=days)


def test_a_joiners_return_due_on_the_last_date_there_is_starts_and_a_day_more_is_refused() -> None:
    """A protocol with `joiners_return_days = 3000000`, which the library took before, crashed
    start_placement with a bare OverflowError (start + 3,000,000 days; review f3)."""
    most = dt.date.max.toordinal() - START.toordinal()
    case = planned(_joiners_in(most))
    case.start_placement(by=HOST_HEAD, on=START)
    assert case.stage is Stage.IN_PLACEMENT
    (joiners,) = [o for o in case.obligations if o.kind is ObligationKind.COMPLETE_JOINERS_FORM]
    assert joiners.due == dt.date.max
    for far in (most + 1, 3_000_000, 10**4300 - 1):
        reason = only_reason(
            planned(_joiners_in(far)),
            lambda c: c.start_placement(by=HOST_HEAD, on=START),
            "joiners return cannot be dated",
        )
        shown = "999999999999… (4,300 digits)" if far > 3_000_000 else str(far)
        assert reason == (
            f"The joiners return cannot be dated: {shown} days (the protocol's "
            "joiners_return_days) after 2026-02-23 is past the last date there is "
            "(9999-12-31), so no placement can start under this protocol."
        )


def test_a_joiners_return_past_any_date_is_refused_not_an_overflow() -> None:
    """The review's case (f3): refused as the protocol's problem, never an OverflowError."""
    case = planned(_joiners_in(3_000_000))
    with pytest.raises(GuardFailed) as refused:
        case.start_placement(by=HOST_HEAD, on=START)
    assert refused.value.trigger == "start_placement"
    assert "joiners_return_days" in refused.value.reasons[0]
    assert case.stage is Stage.PLANNED


# -- R9: reviews ------------------------------------------------------------------------------


def _hold(meeting: Any, on: dt.date | None = None) -> Callable[[Reintegration], object]:
    return lambda c: c.hold_review(meeting, by=HOST_HEAD, on=meeting.held_on if on is None else on)


def test_a_review_recorded_before_it_is_held_is_refused_and_on_the_day_allowed() -> None:
    meeting = review(FIRST_REVIEW)
    only_reason(in_placement(), _hold(meeting, FIRST_REVIEW - DAY), "before it is held")
    case = in_placement()
    _hold(meeting, FIRST_REVIEW)(case)
    assert case.last_meeting_on == FIRST_REVIEW


def test_a_review_dated_before_the_placement_started_is_refused_and_on_the_start_allowed() -> None:
    case = planned()
    case.start_placement(by=HOST_HEAD, on=START + DAY)
    only_reason(case, _hold(review(START), START + DAY), "before the placement started")
    _hold(review(START + DAY))(case)
    assert case.last_meeting_on == START + DAY


def test_views_gathered_the_day_after_a_review_are_refused_and_on_the_day_allowed() -> None:
    late = review(FIRST_REVIEW, child_views=ChildViews(gathered_on=FIRST_REVIEW + DAY))
    only_reason(in_placement(), _hold(late, FIRST_REVIEW + DAY), "gathered after the review")
    case = in_placement()
    _hold(review(FIRST_REVIEW, child_views=ChildViews(gathered_on=FIRST_REVIEW, good_at="Art")))(
        case
    )
    assert case.last_meeting_on == FIRST_REVIEW


@pytest.mark.parametrize("kind", [ReviewKind.INTERIM, ReviewKind.FINAL])
def test_only_a_final_review_may_make_the_move_permanent(kind: ReviewKind) -> None:
    held = FIRST_REVIEW if kind is ReviewKind.INTERIM else FINAL_REVIEW
    meeting = review(held, kind, decision=ReviewDecision.MAKE_PERMANENT)
    if kind is ReviewKind.INTERIM:
        only_reason(in_placement(), _hold(meeting), "Only the final review")
    else:
        case = reviewed()
        _hold(meeting)(case)
        assert case.final_decision is ReviewDecision.MAKE_PERMANENT


def test_an_interim_review_deciding_to_end_is_refused() -> None:
    only_reason(
        in_placement(),
        _hold(review(FIRST_REVIEW, decision=ReviewDecision.END)),
        "cannot end the reintegration",
    )


def test_an_emergency_meeting_is_refused_as_a_review() -> None:
    meeting = review(FIRST_REVIEW, ReviewKind.EMERGENCY, attendees=WITH_LA)
    only_reason(in_placement(), _hold(meeting), "held with hold_emergency_review")


def test_a_final_review_continuing_to_the_same_day_is_refused_and_to_the_next_allowed() -> None:
    """R9: `next_meeting` is later than the meeting; the meeting day itself is not later."""
    same = review(
        FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.CONTINUE, next_meeting=FINAL_REVIEW
    )
    only_reason(reviewed(), _hold(same), "next meeting must be after this review")
    case = reviewed()
    following = FINAL_REVIEW + DAY
    _hold(
        review(
            FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.CONTINUE, next_meeting=following
        )
    )(case)
    assert case.deadlines[-1].due == following
    assert case.deadlines[-1].met_on is None


def test_an_interim_review_with_a_next_meeting_sets_no_deadline() -> None:
    case = in_placement()
    before = case.deadlines
    _hold(review(FIRST_REVIEW, next_meeting=FIRST_REVIEW + dt.timedelta(days=7)))(case)
    assert len(case.deadlines) == len(before)


def test_a_permanent_move_without_its_date_is_refused() -> None:
    meeting = attrs.evolve(
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        permanent_from=None,
    )
    only_reason(reviewed(), _hold(meeting), "agreed date of permanent admission")


def test_permanent_admission_the_day_before_the_final_review_is_refused_and_on_it_allowed() -> None:
    early = review(
        FINAL_REVIEW,
        ReviewKind.FINAL,
        decision=ReviewDecision.MAKE_PERMANENT,
        permanent_from=FINAL_REVIEW - DAY,
    )
    only_reason(reviewed(), _hold(early), "cannot be before the final review")
    case = made_permanent(permanent_from=FINAL_REVIEW)
    assert case.permanent_from == FINAL_REVIEW


def test_the_first_edition_needs_no_date_of_permanent_admission() -> None:
    case = reviewed(WORCESTERSHIRE_1)
    meeting = attrs.evolve(
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        permanent_from=None,
    )
    _hold(meeting)(case)
    assert case.final_decision is ReviewDecision.MAKE_PERMANENT
    assert case.permanent_from is None


@pytest.mark.parametrize(
    ("missing", "words"),
    [(Party.AP, "the Alternative Provision setting"), (Party.PARENT, "a parent/carer")],
)
def test_a_review_without_the_first_or_last_required_party_is_refused(
    missing: Party, words: str
) -> None:
    attendees = tuple(a for a in EVERYONE if a.party is not missing)
    reason = only_reason(in_placement(), _hold(review(FIRST_REVIEW, attendees=attendees)), words)
    assert reason == f"The review was not attended by {words}."


# R9 departures


def test_the_childs_absence_from_a_review_is_a_departure() -> None:
    case = in_placement()
    _hold(review(FIRST_REVIEW, attendees=EVERYONE[:3]))(case)
    assert [(d.rule, d.text) for d in case.departures] == [
        ("R9", "The child did not attend the review (process step 6).")
    ]


def test_views_gathered_on_the_previous_meetings_day_are_fresh_and_the_day_before_are_not() -> None:
    """The initial meeting was on MEETING; views of that day serve the first review."""
    case = in_placement()
    _hold(review(FIRST_REVIEW, child_views=ChildViews(gathered_on=MEETING, good_at="Art")))(case)
    assert case.departures == ()
    stale = in_placement()
    _hold(review(FIRST_REVIEW, child_views=ChildViews(gathered_on=MEETING - DAY, good_at="Art")))(
        stale
    )
    ((rule, text),) = [(d.rule, d.text) for d in stale.departures]
    assert rule == "R9"
    assert "before the previous meeting on 2026-02-09" in text


def test_views_answering_no_question_are_a_departure_and_one_answer_is_enough() -> None:
    case = in_placement()
    _hold(review(FIRST_REVIEW, child_views=ChildViews(gathered_on=FIRST_REVIEW)))(case)
    assert [d.text for d in case.departures] == [
        "The child's views form answers none of its five questions."
    ]
    answered = in_placement()
    _hold(review(FIRST_REVIEW, child_views=ChildViews(gathered_on=FIRST_REVIEW, background="-")))(
        answered
    )
    assert answered.departures == ()


def test_a_permanent_move_with_an_interim_review_not_held_is_a_departure() -> None:
    case = in_placement()
    _hold(review(FIRST_REVIEW))(case)
    _hold(review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT))(case)
    assert [(d.rule, d.text) for d in case.departures] == [
        ("R9", "The move was made permanent with the second review not held.")
    ]


def test_a_permanent_move_with_both_interim_reviews_missing_names_both() -> None:
    case = in_placement()
    _hold(review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT))(case)
    assert [d.text for d in case.departures] == [
        "The move was made permanent with the first review and the second review not held."
    ]


def test_a_final_review_that_continues_records_no_missing_interim_review() -> None:
    case = in_placement()
    _hold(
        review(
            FINAL_REVIEW,
            ReviewKind.FINAL,
            decision=ReviewDecision.CONTINUE,
            next_meeting=FINAL_REVIEW + DAY,
        )
    )(case)
    assert case.departures == ()


def test_a_permanent_move_after_both_interim_reviews_is_no_departure() -> None:
    assert made_permanent().departures == ()


def test_the_first_edition_records_no_review_departures() -> None:
    case = in_placement(WORCESTERSHIRE_1)
    _hold(review(FIRST_REVIEW, attendees=EVERYONE[:3], child_views=ChildViews(FIRST_REVIEW)))(case)
    assert case.departures == ()


# -- R10, R11: the emergency review ------------------------------------------------------------


def _hold_emergency(
    meeting: Any, with_letter: Any = None, on: dt.date = EMERGENCY_HELD
) -> Callable[[Reintegration], object]:
    return lambda c: c.hold_emergency_review(meeting, with_letter, by=HOST_HEAD, on=on)


def _continue(**changes: Any) -> Any:
    values: dict[str, Any] = dict(
        decision=ReviewDecision.CONTINUE, additional_support="Daily key-worker check-in."
    )
    values.update(changes)
    return emergency_meeting(**values)


def test_an_emergency_review_with_a_blank_reason_is_refused() -> None:
    only_reason(
        in_placement(),
        lambda c: c.call_emergency_review("  ", by=HOST_HEAD, on=EMERGENCY_HELD),
        "reason for the emergency review is not given",
    )


@pytest.mark.parametrize("kind", [ReviewKind.INTERIM, ReviewKind.FINAL])
def test_only_an_emergency_meeting_is_recorded_as_the_emergency_review(kind: ReviewKind) -> None:
    only_reason(
        emergency(), _hold_emergency(_continue(kind=kind)), "not recorded as an emergency review"
    )
    case = emergency()
    _hold_emergency(_continue(kind=ReviewKind.EMERGENCY))(case)
    assert case.stage is Stage.IN_PLACEMENT


def test_an_emergency_review_recorded_before_it_is_held_is_refused() -> None:
    only_reason(
        emergency(),
        _hold_emergency(_continue(), on=EMERGENCY_HELD - DAY),
        "cannot be recorded before it is held",
    )


@pytest.mark.parametrize(
    ("missing", "words"),
    [(Party.AP, "the Alternative Provision setting"), (Party.LA, "the local authority")],
)
def test_an_emergency_review_without_the_first_or_last_required_party_is_refused(
    missing: Party, words: str
) -> None:
    attendees = tuple(a for a in WITH_LA if a.party is not missing)
    reason = only_reason(emergency(), _hold_emergency(_continue(attendees=attendees)), words)
    assert reason == f"The emergency review did not include {words}."


def test_an_emergency_review_cannot_make_the_move_permanent() -> None:
    only_reason(
        emergency(),
        _hold_emergency(emergency_meeting(decision=ReviewDecision.MAKE_PERMANENT)),
        "not a permanent move",
    )


def test_continuing_with_a_failure_letter_is_refused() -> None:
    only_reason(emergency(), _hold_emergency(_continue(), letter()), "only sent when")


def test_continuing_without_documented_support_is_refused() -> None:
    only_reason(emergency(), _hold_emergency(_continue(additional_support=" ")), "support needed")


# R10 departures


def test_an_emergency_review_without_the_childs_views_or_the_child_records_both() -> None:
    case = emergency()
    attendees = tuple(a for a in WITH_LA if a.party is not Party.CHILD)
    _hold_emergency(_continue(child_views=None, attendees=attendees))(case)
    assert [(d.rule, d.text) for d in case.departures] == [
        ("R10", "The child's views were not gathered for the emergency review."),
        ("R10", "The child did not attend the emergency review."),
    ]


def test_views_gathered_the_day_after_the_emergency_review_are_a_departure_not_a_refusal() -> None:
    case = emergency()
    views_after = ChildViews(gathered_on=EMERGENCY_HELD + DAY, good_at="Art")
    _hold_emergency(_continue(child_views=views_after), on=EMERGENCY_HELD + DAY)(case)
    assert [d.text for d in case.departures] == [
        "The child's views were gathered after the emergency review, not for it."
    ]
    on_the_day = emergency()
    fresh = ChildViews(gathered_on=EMERGENCY_HELD, good_at="Art")
    _hold_emergency(_continue(child_views=fresh))(on_the_day)
    assert on_the_day.departures == ()


def test_stale_or_empty_views_at_an_emergency_review_are_departures() -> None:
    case = emergency()
    stale = ChildViews(gathered_on=MEETING - DAY)
    _hold_emergency(_continue(child_views=stale))(case)
    texts = [d.text for d in case.departures]
    assert len(texts) == 2
    assert "before the previous meeting on 2026-02-09" in texts[0]
    assert texts[1] == "The child's views form answers none of its five questions."


# R11


def _end(**letter_changes: Any) -> Callable[[Reintegration], object]:
    return _hold_emergency(emergency_meeting(), letter(**letter_changes))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"reasons": ()}, "reasons for ending"),
        ({"reasons": ("Absconding.", "  ")}, "reasons for ending"),
        ({"incident_investigated": False}, "investigated fully"),
        ({"harassment_checked": False}, "racial or sexual harassment"),
        ({"child_version_heard": False}, "their version of events"),
        ({"support_provided": ()}, "support that was put in place"),
        ({"support_provided": ("A key worker", "")}, "support that was put in place"),
        ({"head_teacher": " "}, "head teacher signing"),
        ({"parent_name": ""}, "does not name the parent/carer"),
    ],
)
def test_a_failure_letter_missing_one_thing_is_refused_for_that_alone(
    changes: dict[str, Any], fragment: str
) -> None:
    only_reason(emergency(), _end(**changes), fragment)


def test_a_letter_effective_the_day_before_the_review_is_refused_and_on_the_day_allowed() -> None:
    only_reason(emergency(), _end(effective_date=EMERGENCY_HELD - DAY), "is in the past")
    case = emergency()
    _end(effective_date=EMERGENCY_HELD)(case)
    assert case.stage is Stage.ENDING
    assert case.ended_on == EMERGENCY_HELD


def test_ending_without_concerns_or_letter_gives_both_reasons() -> None:
    reasons = reasons_of(emergency(), _hold_emergency(emergency_meeting(concerns=""), None))
    assert reasons == [
        "The concerns that led to the ending are not recorded.",
        "Ending the reintegration needs a failure letter to the parent/carer.",
    ]


# -- R12, R13, R14 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"provision_for_return": " "}, "provision made for the child's return"),
        ({"return_date": None}, "date of return"),
        ({"completed_by": ""}, "person completing the form"),
    ],
)
def test_an_unsuccessful_outcome_missing_one_thing_is_refused_for_that_alone(
    changes: dict[str, Any], fragment: str
) -> None:
    form = attrs.evolve(RETURN, **changes)
    only_reason(
        ending(),
        lambda c: c.record_unsuccessful_outcome(form, by=AP_STAFF, on=EMERGENCY_HELD),
        fragment,
    )


def test_an_unsuccessful_outcome_that_is_complete_ends_the_case() -> None:
    case = ending()
    case.record_unsuccessful_outcome(
        UnsuccessfulOutcome(
            provision_for_return="Back at Brookfield.", return_date=EMERGENCY_HELD, completed_by="M"
        ),
        by=AP_STAFF,
        on=EMERGENCY_HELD,
    )
    assert case.stage is Stage.UNSUCCESSFUL


def _succeed(
    on: dt.date, date_on_roll: dt.date | None = None, joiners: bool = True
) -> Callable[[Reintegration], object]:
    form = SuccessfulOutcome(
        date_on_roll=on if date_on_roll is None else date_on_roll, joiner_form_completed=joiners
    )
    return lambda c: c.record_successful_outcome(form, by=HOST_HEAD, on=on)


def test_success_the_day_before_the_permanent_admission_is_refused_and_on_it_allowed() -> None:
    agreed = D(2026, 4, 14)
    reason = only_reason(
        made_permanent(permanent_from=agreed), _succeed(agreed - DAY), "process step 8"
    )
    assert reason == (
        "The agreed date of permanent admission is 2026-04-14, after 2026-04-13 (process step 8)."
    )
    case = made_permanent(permanent_from=agreed)
    _succeed(agreed)(case)
    assert case.stage is Stage.SUCCESSFUL


def test_a_weighting_a_store_holds_is_recorded_and_one_point_more_refused() -> None:
    """A protocol an earlier version took with `weighting_points` past a database INTEGER
    loads for its cases (review f4); its success saved in memory and then raised a bare
    OverflowError on SQLite (a refused value on PostgreSQL and MariaDB)."""
    most = 2_147_483_647
    under = attrs.evolve(WORCESTERSHIRE, id="heavyshire", version="1", weighting_points=most)
    case = made_permanent(under)
    _succeed(SUCCESS.date_on_roll)(case)
    assert case.weighting_adjustments == {HOST_SCHOOL: most, AP_SETTING: -most}
    for heavy in (most + 1, 2**63):
        protocol = attrs.evolve(under, weighting_points=heavy)
        reason = only_reason(
            made_permanent(protocol), _succeed(SUCCESS.date_on_roll), "cannot be recorded"
        )
        assert reason == (
            f"The move's weighting cannot be recorded: {heavy} points (the protocol's "
            "weighting_points) is more than a store holds (2147483647), so no successful "
            "outcome can be recorded under this protocol."
        )


def test_success_under_the_first_edition_needs_no_date_of_permanent_admission() -> None:
    case = reviewed(WORCESTERSHIRE_1)
    meeting = attrs.evolve(
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        permanent_from=None,
    )
    case.hold_review(meeting, by=HOST_HEAD, on=FINAL_REVIEW)
    _succeed(FINAL_REVIEW)(case)
    assert case.stage is Stage.SUCCESSFUL


def test_a_date_on_roll_the_day_before_the_start_is_refused_and_on_the_start_allowed() -> None:
    reason = only_reason(
        made_permanent(), _succeed(SUCCESS.date_on_roll, START - DAY), "before the placement"
    )
    assert "2026-02-22" in reason
    case = made_permanent()
    _succeed(SUCCESS.date_on_roll, START)(case)
    assert case.stage is Stage.SUCCESSFUL


def test_success_without_the_joiners_form_is_refused_for_that_alone() -> None:
    only_reason(made_permanent(), _succeed(SUCCESS.date_on_roll, joiners=False), "Joiners Form")


def test_success_before_any_final_review_is_refused() -> None:
    only_reason(reviewed(), _succeed(FINAL_REVIEW), "No final review has decided")


def test_withdrawal_without_a_reason_is_refused_and_with_one_allowed() -> None:
    only_reason(
        opened(),
        lambda c: c.withdraw(" ", by=PARENT_ACTOR, on=OPENED),
        "reason for withdrawing is not given",
    )
    case = opened()
    case.withdraw("Moved away.", by=PARENT_ACTOR, on=OPENED)
    assert case.stage is Stage.WITHDRAWN


# -- reviews meet their deadlines --------------------------------------------------------------


def test_an_interim_review_meets_the_first_then_the_second_interim_deadline() -> None:
    case = in_placement()
    _hold(review(FIRST_REVIEW - DAY))(case)
    met = {d.kind.value: d.met_on for d in case.deadlines}
    assert met == {
        "place_offer": HOST_FOUND,
        "first_review": FIRST_REVIEW - DAY,
        "second_review": None,
        "final_review": None,
    }
    _hold(review(FIRST_REVIEW))(case)
    met = {d.kind.value: d.met_on for d in case.deadlines}
    assert met["second_review"] == FIRST_REVIEW
    assert met["final_review"] is None


def test_a_final_review_meets_only_the_final_deadline() -> None:
    case = in_placement()
    _hold(review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT))(case)
    met = {d.kind.value: d.met_on for d in case.deadlines}
    assert met == {
        "place_offer": HOST_FOUND,
        "first_review": None,
        "second_review": None,
        "final_review": FINAL_REVIEW,
    }


def test_the_place_offer_is_due_twenty_school_days_after_the_referral() -> None:
    """Referred Monday 19 January 2026: 19 school days to the February half-term (16-20
    February in the sample calendar), the twentieth on Monday 23 February."""
    case = referred()
    (offer,) = case.deadlines
    assert (offer.kind.value, offer.due, offer.met_on) == ("place_offer", D(2026, 2, 23), None)


def test_an_emergency_review_meets_no_review_deadline() -> None:
    case = emergency()
    before = case.deadlines
    _hold_emergency(_continue())(case)
    assert case.deadlines == before


def test_a_placement_continued_by_an_emergency_review_goes_on_to_its_next_review() -> None:
    case = emergency()
    _hold_emergency(_continue())(case)
    case.hold_review(review(SECOND_REVIEW), by=AP_HEAD, on=SECOND_REVIEW)
    assert case.last_meeting_on == SECOND_REVIEW
    assert case.ended_on is None


def test_ending_records_the_day_and_the_last_meeting() -> None:
    case = ending()
    assert case.ended_on == EMERGENCY_HELD
    assert case.last_meeting_on == EMERGENCY_HELD
    assert case.stage is Stage.ENDING


def test_attendee_parties_outside_the_protocol_do_not_count() -> None:
    others = (Attendee("A", Party.OTHER), Attendee("B", Party.CHILD), Attendee("C", Party.LA))
    reasons = reasons_of(in_placement(), _hold(review(FIRST_REVIEW, attendees=others)))
    assert reasons == [
        "The review was not attended by the Alternative Provision setting.",
        "The review was not attended by the host school.",
        "The review was not attended by a parent/carer.",
    ]


def test_the_steps_so_far_project_the_consent_host_and_meeting_onto_the_case() -> None:
    """Views gathered on the meeting day itself serve the initial meeting (R7)."""
    case = host_identified()
    case.hold_initial_meeting(
        initial_meeting(), ChildViews(gathered_on=MEETING), by=AP_HEAD, on=MEETING
    )
    assert case.initial_meeting_on == MEETING
    assert case.last_meeting_on == MEETING
    assert case.agreed_start == START
    assert case.ap_head == AP_HEAD.name
    assert case.host_school == HOST_SCHOOL
    assert case.preferred_schools == (HOST_SCHOOL,)
    assert case.consent_signed_on == CONSENTED


# -- Edition 3 (found by a review of the rules against the seed) -------------------------------
# Each tightening holds under edition 3 only; tests/test_replay.py shows an edition-2 case
# replaying and running as before.


def test_a_review_held_on_its_due_day_and_recorded_later_is_met_that_day() -> None:
    """S1: a review's deadline was met on the day it was typed in, so a review held on its
    agreed day and recorded the Monday after showed as breached and was counted "held late"
    (found by a review). It is met on the day held: on time on its due day, late the day
    after."""
    case = in_placement()
    _hold(review(FIRST_REVIEW), FIRST_REVIEW + 3 * DAY)(case)
    (first,) = [d for d in case.deadlines if d.kind.value == "first_review"]
    assert (first.met_on, first.breached) == (FIRST_REVIEW, False)
    late = in_placement()
    _hold(review(FIRST_REVIEW + DAY), FIRST_REVIEW + 3 * DAY)(late)
    (first,) = [d for d in late.deadlines if d.kind.value == "first_review"]
    assert (first.met_on, first.breached) == (FIRST_REVIEW + DAY, True)


def _blank(attendees: tuple[Attendee, ...], *parties: Party) -> tuple[Attendee, ...]:
    return tuple(Attendee(" ", a.party) if a.party in parties else a for a in attendees)


def test_a_party_at_a_review_only_by_a_blank_name_is_refused_and_one_letter_allowed() -> None:
    """S2: attendees with no name satisfied "attended by representatives of both schools" (R9)
    (found by a review)."""
    only_reason(
        in_placement(),
        _hold(review(FIRST_REVIEW, attendees=_blank(EVERYONE, Party.HOST))),
        "The host school is among the attendees only with a blank name: each party needs a "
        "named representative.",
    )
    named = tuple(Attendee("T", a.party) if a.party is Party.HOST else a for a in EVERYONE)
    case = in_placement()
    _hold(review(FIRST_REVIEW, attendees=named))(case)
    assert case.last_meeting_on == FIRST_REVIEW


def test_an_emergency_review_of_blank_names_is_refused_naming_each_party() -> None:
    """S2: an emergency review whose attendees all had blank names ended the placement, though
    step 7 says it "must include all parties" (found by a review)."""
    nobody = _blank(WITH_LA, *Party)
    reasons = reasons_of(
        emergency(), _hold_emergency(emergency_meeting(attendees=nobody), letter())
    )
    assert reasons == [
        f"{words} is among the attendees only with a blank name: each party needs a named "
        "representative."
        for words in (
            "The Alternative Provision setting",
            "The host school",
            "A parent/carer",
            "The local authority",
        )
    ]
    one_unnamed_child = _blank(WITH_LA, Party.CHILD)
    case = emergency()
    _hold_emergency(emergency_meeting(attendees=one_unnamed_child), letter())(case)
    assert case.stage is Stage.ENDING
    assert "The child did not attend the emergency review." in [d.text for d in case.departures]


def test_an_initial_meeting_the_day_before_the_host_was_identified_is_refused() -> None:
    """S3: an initial meeting could be dated before the host school it agreed with was
    identified (found by a review); on the day it was identified it is allowed."""
    only_reason(
        host_identified(),
        _meet(gathered=HOST_FOUND - DAY, held_on=HOST_FOUND - DAY),
        "The initial meeting on 2026-02-01 is dated before the host school was identified on "
        "2026-02-02.",
    )
    case = host_identified()
    _meet(gathered=HOST_FOUND, held_on=HOST_FOUND)(case)
    assert case.initial_meeting_on == HOST_FOUND


def test_a_review_the_day_before_the_previous_meeting_is_refused_and_that_day_allowed() -> None:
    """S3: a review dated before the review already recorded was accepted, and took the case's
    last meeting back in time (found by a review)."""
    case = in_placement()
    _hold(review(FIRST_REVIEW))(case)
    only_reason(
        case,
        _hold(review(FIRST_REVIEW - DAY), SECOND_REVIEW),
        "The review on 2026-03-05 is dated before the case's previous meeting on 2026-03-06.",
    )
    _hold(review(FIRST_REVIEW), SECOND_REVIEW)(case)
    assert case.last_meeting_on == FIRST_REVIEW


def test_an_emergency_review_the_day_before_it_was_called_is_refused_and_that_day_allowed() -> None:
    """S3: an emergency review held before it was called ended the placement (found by a
    review)."""
    called = D(2026, 3, 9)
    only_reason(
        emergency(),
        _hold_emergency(emergency_meeting(held_on=called - DAY), letter()),
        "The emergency review on 2026-03-08 is dated before it was called on 2026-03-09.",
    )
    case = emergency()
    _hold_emergency(emergency_meeting(held_on=called), letter())(case)
    assert case.stage is Stage.ENDING


def test_a_failure_letter_dated_before_the_emergency_review_is_refused_and_that_day_allowed() -> (
    None
):
    """S4: "I have today made the decision" could be dated before the meeting that decided it
    (found by a review)."""
    only_reason(
        emergency(),
        _hold_emergency(emergency_meeting(), letter(written_on=EMERGENCY_HELD - DAY)),
        "The letter is dated 2026-03-11, before the emergency review that decided the ending on "
        "2026-03-12.",
    )
    assert ending(written_on=EMERGENCY_HELD).stage is Stage.ENDING


def test_a_failure_letter_dated_after_its_effective_date_is_refused_and_that_day_allowed() -> None:
    """S4: a letter written after the ending took effect told the parent of an ending already
    in force (found by a review)."""
    effective = D(2026, 3, 16)
    only_reason(
        emergency(),
        _hold_emergency(emergency_meeting(), letter(written_on=effective + DAY)),
        "The letter is dated 2026-03-17, after its effective date 2026-03-16.",
    )
    assert ending(written_on=effective).stage is Stage.ENDING


def test_a_placement_started_with_the_information_or_the_visit_owed_is_a_departure() -> None:
    """S6: the placement started with seed steps 3 ("should provide detailed information") and
    4 ("should be offered an opportunity to visit") undone, and no departure said so (found by
    a review)."""
    owed_both = planned()
    owed_both.start_placement(by=HOST_HEAD, on=START)
    assert [(d.rule, d.text) for d in owed_both.departures] == [
        (
            "R8",
            "The placement started before the Alternative Provision setting gave the host "
            "school detailed information about the child (process step 3).",
        ),
        (
            "R8",
            "The placement started before the child and their parents were offered a visit to "
            "the host school (process step 4).",
        ),
    ]
    visited = planned()
    visited.discharge(ObligationKind.OFFER_VISIT, by=AP_STAFF, on=START)
    visited.start_placement(by=HOST_HEAD, on=START)
    assert [d.text[-17:] for d in visited.departures] == ["(process step 3)."]
    assert in_placement().departures == ()  # both done first


def test_an_ending_with_no_measures_documented_is_a_departure_and_with_them_none() -> None:
    """S6: the review form says a failing placement's emergency review documents "what
    measures could be put in place to avoid failure"; an END without them recorded nothing
    (found by a review)."""
    case = emergency()
    _hold_emergency(emergency_meeting(additional_support=" "), letter())(case)
    assert [(d.rule, d.text) for d in case.departures] == [
        (
            "R11",
            "The emergency review ended the placement without documenting what measures could "
            "be put in place to avoid failure (the review form: additional support).",
        )
    ]
    documented = emergency()
    _hold_emergency(emergency_meeting(additional_support="A part-time timetable."), letter())(
        documented
    )
    assert documented.departures == ()


def _return_on(day: dt.date) -> Callable[[Reintegration], object]:
    form = attrs.evolve(RETURN, return_date=day)
    return lambda c: c.record_unsuccessful_outcome(form, by=AP_STAFF, on=D(2026, 3, 17))


def test_a_return_the_day_before_the_ending_is_refused_and_on_its_day_allowed() -> None:
    """S7: a child could be "returned" to the AP before the case opened (found by a review)."""
    only_reason(
        ending(),
        _return_on(EMERGENCY_HELD - DAY),
        "The date of return to the Alternative Provision setting, 2026-03-11, is before the "
        "placement was ended on 2026-03-12.",
    )
    case = ending()
    _return_on(EMERGENCY_HELD)(case)
    assert case.stage is Stage.UNSUCCESSFUL


def test_a_date_on_roll_the_day_after_the_outcome_is_recorded_is_refused_and_that_day_allowed() -> (
    None
):
    """S7: a successful outcome could state an admission months ahead as done (found by a
    review)."""
    on = D(2026, 4, 13)
    tomorrow = attrs.evolve(SUCCESS, date_on_roll=on + DAY)
    only_reason(
        made_permanent(),
        lambda c: c.record_successful_outcome(tomorrow, by=HOST_HEAD, on=on),
        "The date on roll 2026-04-14 is after 2026-04-13, the day the outcome is recorded: "
        "record it once the child is on the roll.",
    )
    case = made_permanent()
    case.record_successful_outcome(attrs.evolve(SUCCESS, date_on_roll=on), by=HOST_HEAD, on=on)
    assert case.stage is Stage.SUCCESSFUL
