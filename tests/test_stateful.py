"""Random triggers, actors, forms and dates fired at one case: the case stays sound throughout."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from oracle import EDGES, MOVES, WORCESTERSHIRE_ROLES
from reintegration_fsm import (
    Actor,
    ConsentForm,
    FailureLetter,
    FormInvalid,
    GuardFailed,
    IllegalTransition,
    InitialMeeting,
    NotPermitted,
    ObligationKind,
    Party,
    PastoralSupportPlan,
    ProtocolError,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    ReviewMeeting,
    Role,
    SchoolCalendar,
    Stage,
    Transition,
    rules,
)
from reintegration_fsm import testing as rt
from reintegration_fsm.protocol.payloads import EmergencyReview
from reintegration_fsm.serialisation import structure, transition_from_json, transition_to_json
from reintegration_fsm.vocabulary import DUAL_REGISTERED_STAGES, ROLES_OF_PARTY
from scenario import snapshot

CALENDAR = SchoolCalendar.sample()
AP_SETTING, OTHER_AP = rt.AP_SETTINGS[0], rt.AP_SETTINGS[1]
HOST_SCHOOL, OTHER_HOST = rt.HOST_SCHOOLS[0], rt.HOST_SCHOOLS[1]
AUTHORITY, OTHER_AUTHORITY = rt.AUTHORITIES[0], rt.AUTHORITIES[1]

RIGHT = {
    Role.AP_HEAD: AP_SETTING,
    Role.AP_STAFF: AP_SETTING,
    Role.HOST_HEAD: HOST_SCHOOL,
    Role.HOST_STAFF: HOST_SCHOOL,
    Role.LA_ADMISSIONS: AUTHORITY,
    Role.PARENT: "",
    Role.CHILD: "",
}
WRONG = {
    Role.AP_HEAD: OTHER_AP,
    Role.AP_STAFF: OTHER_AP,
    Role.HOST_HEAD: OTHER_HOST,
    Role.HOST_STAFF: OTHER_HOST,
    Role.LA_ADMISSIONS: OTHER_AUTHORITY,
}
CAST = tuple(
    Actor(f"{role.value}-{n}", f"Kit Example {n}", role, organisation)
    for n, places in enumerate((RIGHT, WRONG))
    for role, organisation in places.items()
)
SAME_STAGE = frozenset({"note_at_panel", "hold_review", "discharge"})
FIRED = tuple(MOVES)
ALL_PARTIES_AT_EMERGENCY = frozenset({Party.AP, Party.HOST, Party.PARENT, Party.LA})
SIGNERS = frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST})
VISITED: set[Stage] = set()
"""Every stage any run of the machine reached (checked once the machine has run)."""


def maybe(data: st.DataObject, chance: int, out_of: int = 10) -> bool:
    """True about `chance` times in `out_of`, for the common case (shrinks towards True)."""
    return data.draw(st.integers(0, out_of - 1)) < chance


def rarely(data: st.DataObject, out_of: int) -> bool:
    """True about once in `out_of` (shrinks towards False, which Hypothesis also favours)."""
    return data.draw(st.integers(0, out_of - 1)) == out_of - 1


DEPARTURES: dict[str, set[str]] = {
    "record_consent": {"R2"},
    "identify_host": {"R5"},
    "start_placement": {"R8"},
    "hold_review": {"R9"},
    "hold_emergency_review": {"R10", "R11"},
}
"""The *shoulds* each trigger may record as departures (PROTOCOL.md); no other trigger records
one."""
PARTIAL = frozenset({"R9", "R10"})
"""Rules with other departures besides the one `expected_departures` reads: owed when it says
so, but possibly recorded for another reason when it does not."""


def named_parties(meeting: ReviewMeeting) -> set[Party]:
    """The parties among a meeting's attendees under a name (edition 3 counts no other)."""
    return {a.party for a in meeting.attendees if a.name.strip()}


def expected_departures(
    trigger: str, kwargs: dict[str, Any], owed: set[ObligationKind], preferred: tuple[str, ...]
) -> dict[str, bool]:
    """Whether an accepted step owes each departure read here, worked out from its arguments
    and the case before it, apart from the library's own checks: R2 the child's agreement not
    recorded, R5 a host the family did not name, R8 a start before the information was shared
    or a visit offered, R9 and R10 a review the child did not attend."""
    if trigger == "record_consent":
        return {"R2": kwargs["form"].child_agrees is None}
    if trigger == "identify_host":
        listed = {school.strip().casefold() for school in preferred}
        return {"R5": kwargs["host_school"].strip().casefold() not in listed}
    if trigger == "start_placement":
        before = {ObligationKind.SHARE_INFORMATION_WITH_HOST, ObligationKind.OFFER_VISIT}
        return {"R8": bool(owed & before)}
    if trigger in ("hold_review", "hold_emergency_review"):
        rule = "R9" if trigger == "hold_review" else "R10"
        return {rule: Party.CHILD not in named_parties(kwargs["meeting"])}
    return {}


class ProtocolMachine(RuleBasedStateMachine):
    """Fires triggers at one case, mostly the protocol's next step with valid forms."""

    def __init__(self) -> None:
        super().__init__()
        self.case: Reintegration
        self.validity = "unknown"

    # -- opening ----------------------------------------------------------------------------------
    @initialize(data=st.data())
    def open_case(self, data: st.DataObject) -> None:
        pupil = data.draw(rt.pupils())
        on = data.draw(st.dates(dt.date(2025, 9, 8), dt.date(2026, 1, 30)))
        on_roll = attrs.evolve(pupil, on_mainstream_roll=True)
        head = self.actor(Role.AP_HEAD, AP_SETTING)
        with pytest.raises(GuardFailed) as refused:
            Reintegration.open("case-1", on_roll, AP_SETTING, AUTHORITY, by=head, on=on)
        assert len(refused.value.reasons) == 1
        for wrong in (self.actor(Role.AP_STAFF, AP_SETTING), self.actor(Role.AP_HEAD, OTHER_AP)):
            with pytest.raises(NotPermitted):
                Reintegration.open("case-1", pupil, AP_SETTING, AUTHORITY, by=wrong, on=on)
        self.case = Reintegration.open(
            "case-1",
            pupil,
            AP_SETTING,
            AUTHORITY,
            by=self.actor(Role.AP_HEAD, AP_SETTING),
            on=on,
            calendar=CALENDAR,
        )
        VISITED.add(self.case.stage)

    @staticmethod
    def actor(role: Role, organisation: str) -> Actor:
        return next(a for a in CAST if a.role is role and a.organisation == organisation)

    # -- choosing what to fire --------------------------------------------------------------------
    def natural_step(self, data: st.DataObject) -> tuple[str, dict[str, Any]]:
        """The protocol's next step from here, with hints for its payload."""
        case = self.case
        stage = case.stage
        early = (
            Stage.PROPOSED,
            Stage.CONSENTED,
            Stage.REFERRED,
            Stage.HOST_IDENTIFIED,
            Stage.PLANNED,
        )
        if stage in early and rarely(data, 15):
            return "withdraw", {}
        if any(o.kind is ObligationKind.NOTE_AT_PANEL for o in case.obligations) and rarely(
            data, 4
        ):
            return "note_at_panel", {}
        if case.obligations and rarely(data, 5):
            return "discharge", {}
        if stage is Stage.IN_PLACEMENT:
            if case.final_decision is ReviewDecision.MAKE_PERMANENT and maybe(data, 7):
                return "record_successful_outcome", {}
            choice = data.draw(st.integers(0, 9))
            if choice < 4:
                return "hold_review", {
                    "kind": ReviewKind.FINAL,
                    "decision": ReviewDecision.MAKE_PERMANENT,
                }
            if choice < 6:
                return "hold_review", {
                    "kind": data.draw(st.sampled_from((ReviewKind.INTERIM, ReviewKind.FINAL))),
                    "decision": ReviewDecision.CONTINUE,
                }
            return "call_emergency_review", {}
        if stage is Stage.EMERGENCY_REVIEW:
            decision = data.draw(st.sampled_from((ReviewDecision.END, ReviewDecision.CONTINUE)))
            return "hold_emergency_review", {"decision": decision}
        natural = {
            Stage.PROPOSED: "record_consent",
            Stage.CONSENTED: "refer_to_fair_access",
            Stage.REFERRED: "identify_host",
            Stage.HOST_IDENTIFIED: "hold_initial_meeting",
            Stage.PLANNED: "start_placement",
            Stage.ENDING: "record_unsuccessful_outcome",
        }
        return natural.get(stage, "discharge"), {}

    def organisation_for(self, role: Role) -> str:
        case = self.case
        if role in (Role.AP_HEAD, Role.AP_STAFF):
            return case.ap_setting
        if role in (Role.HOST_HEAD, Role.HOST_STAFF):
            return case.host_school or HOST_SCHOOL
        if role is Role.LA_ADMISSIONS:
            return case.local_authority
        return ""

    def right_actor(self, data: st.DataObject, trigger: str, kind: Any = None) -> Actor:
        owners = [o.owner for o in self.case.obligations if o.kind is kind]
        if trigger == "discharge" and owners:
            roles = sorted(ROLES_OF_PARTY[owners[0]], key=lambda r: r.value)
        elif self.case.stage in MOVES[trigger]:
            roles = sorted(WORCESTERSHIRE_ROLES[trigger], key=lambda r: r.value)
        else:
            roles = list(Role)
        role = data.draw(st.sampled_from(roles))
        organisation = self.organisation_for(role)
        found = [a for a in CAST if a.role is role and a.organisation == organisation]
        return found[0] if found else Actor("x-1", "Kit Example", role, organisation)

    def date(self, data: st.DataObject, trigger: str) -> dt.date:
        case = self.case
        last = case.last_on
        assert last is not None
        if rarely(data, 20):
            return last - dt.timedelta(days=data.draw(st.integers(1, 30)))
        day = last + dt.timedelta(days=data.draw(st.integers(0, 4)))
        if trigger == "start_placement" and case.agreed_start is not None and maybe(data, 9):
            day = max(day, case.agreed_start)
        agreed = case.permanent_from
        if trigger == "record_successful_outcome" and agreed is not None and maybe(data, 9):
            day = max(day, agreed)
        return day

    def payload(
        self, data: st.DataObject, trigger: str, on: dt.date, hints: dict[str, Any]
    ) -> dict[str, Any]:
        """Keyword arguments for `trigger` on `on`: valid most of the time.

        Sets `self.validity`: "valid" (the rules accept it in this case's state), "invalid" (they
        refuse it) or "unknown".
        """
        case = self.case
        valid = maybe(data, 8)
        self.validity = "valid" if valid else "invalid"
        started = case.placement_started_on
        # The strategies refuse a meeting held before the start they are given, and (edition 3)
        # date a meeting after the case's steps before it: given only those not after `on`.
        known_start = started if started is not None and started <= on else None

        def known(day: dt.date | None) -> dt.date | None:
            return day if day is not None and day <= on else None

        if trigger == "record_consent":
            if valid:
                return {"form": data.draw(rt.consent_forms(case.pupil, on))}
            if rarely(data, 5):
                self.validity = "unknown"
                return {"form": data.draw(rt.consent_forms())}
            return {"form": data.draw(rt.invalid_consent_forms(case.pupil, on))[0]}
        if trigger == "refer_to_fair_access":
            information = data.draw(rt.reintegration_information(case.pupil))
            psp = data.draw(rt.pastoral_support_plans(active_on=on))
            if not valid and maybe(data, 5):
                information = data.draw(rt.invalid_reintegration_information(case.pupil))[0]
            elif not valid:
                psp = data.draw(rt.invalid_pastoral_support_plans(on))[0]
            route = data.draw(st.sampled_from(tuple(ReferralRoute)))
            return {"route": route, "information": information, "psp": psp}
        if trigger == "identify_host":
            host = OTHER_HOST if rarely(data, 10) else HOST_SCHOOL
            return {
                "host_school": host if valid else data.draw(rt.blank_texts()),
                "via": data.draw(st.sampled_from(tuple(ReferralRoute))),
            }
        if trigger == "hold_initial_meeting":
            if valid:
                held = on - dt.timedelta(days=data.draw(st.integers(0, 2)))
                identified = case.host_identified_on
                if identified is not None and identified <= on:
                    held = max(held, identified)
                start = held + dt.timedelta(days=data.draw(st.integers(0, 10)))
                meeting = data.draw(rt.initial_meetings(held_on=held, start_date=start))
                return {"meeting": meeting, "views": data.draw(rt.child_views(before=held))}
            (meeting, views), _ = data.draw(
                rt.invalid_initial_meetings(on, identified_on=known(case.host_identified_on))
            )
            return {"meeting": meeting, "views": views}
        if trigger == "hold_review":
            kind = hints.get("kind") or data.draw(
                st.sampled_from((ReviewKind.INTERIM, ReviewKind.FINAL))
            )
            if valid:
                decision = hints.get("decision")
                if decision is not None and decision not in (
                    (ReviewDecision.CONTINUE,)
                    if kind is ReviewKind.INTERIM
                    else (ReviewDecision.CONTINUE, ReviewDecision.MAKE_PERMANENT)
                ):
                    decision = None
                meeting = data.draw(
                    rt.review_meetings(kind, held_on=on, started_on=known_start, decision=decision)
                )
                if meeting.permanent_from is not None:
                    # A date of permanent admission some days ahead, as panels agree one, so
                    # that an outcome is at times recorded before it (R13 refuses it).
                    ahead = dt.timedelta(days=data.draw(st.integers(0, 6)))
                    meeting = attrs.evolve(meeting, permanent_from=meeting.permanent_from + ahead)
                return {"meeting": meeting}
            broken = rt.invalid_review_meetings(
                on, known_start, kind, previous_on=known(case.last_meeting_on)
            )
            return {"meeting": data.draw(broken)[0]}
        if trigger == "hold_emergency_review":
            if valid:
                decision = hints.get("decision") or data.draw(
                    st.sampled_from((ReviewDecision.END, ReviewDecision.CONTINUE))
                )
                meeting = data.draw(
                    rt.review_meetings(
                        ReviewKind.EMERGENCY, held_on=on, started_on=known_start, decision=decision
                    )
                )
                letter = None
                if decision is ReviewDecision.END:
                    letter = data.draw(rt.failure_letters(effective_from=on))
                elif rarely(data, 5):  # a letter is only sent when the reintegration ends
                    self.validity = "invalid"
                    letter = data.draw(rt.failure_letters(effective_from=on))
                return {"meeting": meeting, "letter": letter}
            called = known(case.emergency_called_on)
            if known_start is None or (called is not None and called < known_start):
                called = None  # the strategy takes a call on or after the start it is given
            (meeting, letter), _ = data.draw(
                rt.invalid_emergency_reviews(on, known_start, called_on=called)
            )
            return {"meeting": meeting, "letter": letter}
        if trigger == "record_successful_outcome":
            low = started or on
            waiting = case.permanent_from is not None and on < case.permanent_from
            if case.final_decision is not ReviewDecision.MAKE_PERMANENT or waiting:
                self.validity = "invalid"
            recorded = on if low <= on else None
            if valid:
                form = rt.successful_outcomes(on_roll_from=low, recorded_on=recorded)
                return {"form": data.draw(form)}
            return {"form": data.draw(rt.invalid_successful_outcomes(low, recorded_on=recorded))[0]}
        if trigger == "record_unsuccessful_outcome":
            ended = case.ended_on
            if valid:
                return {"form": data.draw(rt.unsuccessful_outcomes(ended_on=ended))}
            return {"form": data.draw(rt.invalid_unsuccessful_outcomes(ended_on=ended))[0]}
        if trigger in ("withdraw", "call_emergency_review"):
            return {"reason": data.draw(rt.texts() if valid else rt.blank_texts())}
        if trigger == "discharge":
            open_kinds = [o.kind for o in case.obligations]
            if open_kinds and valid:
                kind = data.draw(st.sampled_from(open_kinds))
            else:
                kind = data.draw(st.sampled_from(tuple(ObligationKind)))
            consent_pending = ObligationKind.CONSENT_TO_DELETION in open_kinds
            held_back = kind is ObligationKind.DELETE_FROM_ROLL and consent_pending  # R17
            self.validity = "valid" if kind in open_kinds and not held_back else "invalid"
            return {"kind": kind}
        if trigger == "note_at_panel":
            noted = any(o.kind is ObligationKind.NOTE_AT_PANEL for o in case.obligations)
            self.validity = "valid" if noted else "invalid"
        if trigger == "start_placement":
            agreed = case.agreed_start
            self.validity = "valid" if agreed is None or agreed <= on else "invalid"
        return {}

    # -- firing and checking ----------------------------------------------------------------------
    def expected_refusal(self, trigger: str, actor: Actor, kwargs: dict[str, Any]) -> type | None:
        """The refusal the stage, role and organisation checks must give, if any."""
        case = self.case
        if case.stage not in MOVES[trigger]:
            return IllegalTransition
        if actor.role not in WORCESTERSHIRE_ROLES[trigger]:
            return NotPermitted
        if actor.party in (Party.AP, Party.HOST, Party.LA) and actor.organisation != (
            self.organisation_for(actor.role) if actor.party is not Party.HOST else case.host_school
        ):
            return NotPermitted
        kind = kwargs.get("kind")
        owners = {o.owner for o in case.obligations if o.kind is kind}
        if trigger == "discharge" and owners and actor.party not in owners:
            return NotPermitted
        return None

    def attempt(self, trigger: str, actor: Actor, on: dt.date, kwargs: dict[str, Any]) -> None:
        case = self.case
        before = snapshot(case)
        owed = {o.kind for o in case.obligations}
        preferred = case.preferred_schools
        departed = len(case.departures)
        last = case.last_on
        assert last is not None
        expected = self.expected_refusal(trigger, actor, kwargs)
        error: ProtocolError | None = None
        try:
            transition: Transition = getattr(case, trigger)(**kwargs, by=actor, on=on)
        except ProtocolError as caught:
            error = caught
        if error is not None:
            event(f"refused: {type(error).__name__}")
            assert snapshot(case) == before, f"refused {trigger} changed the case"
            if expected is not None:
                assert isinstance(error, expected), (trigger, actor, error)
            else:
                assert not isinstance(error, (IllegalTransition, NotPermitted)), error
                if on < last and not isinstance(error, FormInvalid):
                    assert isinstance(error, GuardFailed)
                    assert any("time runs forward" in r for r in error.reasons), error.reasons
                assert not (on >= last and self.validity == "valid"), (
                    f"a valid {trigger} was refused: {error}"
                )
            return
        event(f"accepted: {trigger}")
        assert expected is None, f"{trigger} by {actor} should have been refused ({expected})"
        assert on >= last, "a step dated before the last one was accepted (R16)"
        assert self.validity != "invalid", f"{trigger} was accepted with {kwargs}"
        assert case.history[-1] == transition
        assert transition.seq == len(before[0]) + 1
        assert (transition.trigger, transition.actor, transition.on) == (trigger, actor, on)
        assert transition.source is before[1]
        assert transition.dest is case.stage
        if transition.source is not transition.dest:
            assert (transition.source, transition.dest, trigger) in EDGES
        else:
            assert trigger in SAME_STAGE, f"{trigger} stayed in {case.stage}"
        recorded = {d.rule for d in case.departures[departed:]}
        assert recorded <= DEPARTURES.get(trigger, set()), (trigger, recorded)
        for should, owed_one in expected_departures(trigger, kwargs, owed, preferred).items():
            assert (should in recorded) is owed_one or (not owed_one and should in PARTIAL), (
                f"{trigger} recorded {sorted(recorded)}; {should} was"
                f"{'' if owed_one else ' not'} owed"
            )
        VISITED.add(case.stage)

    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        """Fire a trigger: mostly the natural next step, by the right actor, with valid forms."""
        if maybe(data, 8):
            trigger, hints = self.natural_step(data)
        else:
            trigger, hints = data.draw(st.sampled_from(FIRED)), {}
        on = self.date(data, trigger)
        kwargs = self.payload(data, trigger, on, hints)
        if kwargs and rarely(data, 40):
            self.validity = "unknown"
            name = data.draw(st.sampled_from(sorted(kwargs)))
            kwargs[name] = data.draw(st.sampled_from(("not a form", 7, None)))
        if maybe(data, 8):
            actor = self.right_actor(data, trigger, kwargs.get("kind"))
        else:
            actor = data.draw(st.sampled_from(CAST))
        self.attempt(trigger, actor, on, kwargs)

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def replays_to_itself(self) -> None:
        case = self.case
        assert Reintegration.replay(case.history, CALENDAR) == case
        through_json = [
            transition_from_json(json.loads(json.dumps(transition_to_json(t))))
            for t in case.history
        ]
        assert Reintegration.replay(through_json, CALENDAR) == case

    @invariant()
    def registers_and_weightings_follow_the_stage(self) -> None:
        case = self.case
        assert case.dual_registered == (case.stage in DUAL_REGISTERED_STAGES)
        if case.stage is Stage.SUCCESSFUL:
            assert case.weighting_adjustments == {case.host_school: 3, case.ap_setting: -3}
        else:
            assert case.weighting_adjustments == {}

    @invariant()
    def time_runs_forward_in_the_history(self) -> None:
        days = [t.on for t in self.case.history]
        assert days == sorted(days)

    @invariant()
    def success_had_every_step(self) -> None:
        case = self.case
        if case.stage is not Stage.SUCCESSFUL:
            return
        history = case.history
        (consent,) = [t for t in history if t.trigger == "record_consent"]
        form = structure(consent.data["form"], ConsentForm)
        assert rules.consent_is_complete(case, form, consent.on) == []
        (referral,) = [t for t in history if t.trigger == "refer_to_fair_access"]
        assert structure(referral.data["psp"], PastoralSupportPlan).is_active_on(referral.on)
        (planning,) = [t for t in history if t.trigger == "hold_initial_meeting"]
        meeting = structure(planning.data["meeting"], InitialMeeting)
        assert meeting.parent_present
        assert meeting.child_present
        assert meeting.signatures >= SIGNERS
        (success,) = [t for t in history if t.trigger == "record_successful_outcome"]
        finals = [
            structure(t.data["meeting"], ReviewMeeting)
            for t in history[: success.seq - 1]
            if t.trigger == "hold_review" and t.data["meeting"]["kind"] == ReviewKind.FINAL.value
        ]
        assert finals
        assert finals[-1].decision is ReviewDecision.MAKE_PERMANENT

    @invariant()
    def ending_had_an_emergency_review_and_a_letter(self) -> None:
        case = self.case
        if case.stage not in (Stage.ENDING, Stage.UNSUCCESSFUL):
            return
        endings = [
            t
            for t in case.history
            if t.trigger == "hold_emergency_review" and t.dest is Stage.ENDING
        ]
        assert len(endings) == 1
        (ending,) = endings
        meeting = structure(ending.data["meeting"], ReviewMeeting)
        assert meeting.kind is ReviewKind.EMERGENCY
        assert meeting.parties >= ALL_PARTIES_AT_EMERGENCY
        letter = structure(ending.data["letter"], FailureLetter)
        review = EmergencyReview(meeting, letter)
        assert rules.ending_is_justified(case, review, ending.on) == []

    def teardown(self) -> None:
        if hasattr(self, "case"):
            event(f"ended in {self.case.stage.value}")


SETTINGS = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    # The same runs every time: random ones missed ENDING or UNSUCCESSFUL about once in ten
    # runs (seen on Python 3.13), failing the coverage check below on no fault of the library.
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_random_steps_keep_the_case_sound() -> None:
    """Refusals change nothing, stages follow the table, replay agrees, invariants hold; and the
    runs reach SUCCESSFUL, ENDING, UNSUCCESSFUL and WITHDRAWN."""
    VISITED.clear()
    run_state_machine_as_test(ProtocolMachine, settings=SETTINGS)
    assert {Stage.SUCCESSFUL, Stage.ENDING, Stage.UNSUCCESSFUL, Stage.WITHDRAWN} <= VISITED, VISITED
