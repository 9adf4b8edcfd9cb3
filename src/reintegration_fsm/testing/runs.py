"""Whole protocol runs: a strategy for valid runs, and `play` to apply one to a new case."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

import attrs
from hypothesis import strategies as st

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.forms import ReviewMeeting
from reintegration_fsm.testing.forms import (
    _school_days_within,
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
from reintegration_fsm.testing.values import (
    _AP_ROLES,
    _HOST_ROLES,
    AP_SETTINGS,
    AUTHORITIES,
    HOST_SCHOOLS,
    _days,
    actors,
    pupils,
    texts,
)
from reintegration_fsm.vocabulary import (
    OBLIGATION_OWNER,
    Actor,
    ObligationKind,
    Party,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
    Role,
    Stage,
)

__all__ = ["ProtocolRun", "RunStep", "play", "protocol_runs"]

_RUN_SPAN = dt.timedelta(days=260)
"""Room a protocol run needs between its first step and the calendar's last day."""


@attrs.frozen
class RunStep:
    """One step of a protocol run: a trigger's name and its keyword arguments (with `by`, `on`)."""

    trigger: str
    kwargs: Mapping[str, Any] = attrs.field(hash=False)


@attrs.frozen
class ProtocolRun:
    """A valid protocol run: steps that, played from `open`, leave the case in `stage`."""

    steps: tuple[RunStep, ...]
    stage: Stage

    @property
    def triggers(self) -> tuple[str, ...]:
        """The steps' trigger names, in order."""
        return tuple(step.trigger for step in self.steps)


@functools.cache
def _sample_calendar() -> SchoolCalendar:
    # The calendar is immutable, so one copy serves every run.
    return SchoolCalendar.sample()


def play(run: ProtocolRun, calendar: SchoolCalendar | None = None) -> Reintegration:
    """Apply `run` from `Reintegration.open`, with `calendar` (the sample calendar when None).

    Raises:
        ValueError: the run does not start with `open`.
        ProtocolError: a step is refused (the run is not valid for this calendar).
    """
    if not run.steps or run.steps[0].trigger != "open":
        raise ValueError("a protocol run starts with 'open'")
    used = _sample_calendar() if calendar is None else calendar
    case = Reintegration.open(**run.steps[0].kwargs, calendar=used)
    for step in run.steps[1:]:
        getattr(case, step.trigger)(**step.kwargs)
    return case


_PRE_PLACEMENT = (
    Stage.PROPOSED,
    Stage.CONSENTED,
    Stage.REFERRED,
    Stage.HOST_IDENTIFIED,
    Stage.PLANNED,
)
_NOTE_STAGES = frozenset(
    {
        Stage.REFERRED,
        Stage.HOST_IDENTIFIED,
        Stage.PLANNED,
        Stage.IN_PLACEMENT,
        Stage.EMERGENCY_REVIEW,
        Stage.ENDING,
    }
)


class _RunBuilder:
    """Draws one valid run step by step, keeping its own account of the open obligations."""

    def __init__(self, draw: st.DrawFn, calendar: SchoolCalendar, day: dt.date) -> None:
        self.draw = draw
        self.calendar = calendar
        self.day = day
        self.stage = Stage.PROPOSED
        self.steps: list[RunStep] = []
        self.open: list[ObligationKind] = []
        self.ap_setting = draw(st.sampled_from(AP_SETTINGS))
        self.host_school = draw(st.sampled_from(HOST_SCHOOLS))
        self.authority = draw(st.sampled_from(AUTHORITIES))
        self.cast: dict[Role, Actor] = {
            role: draw(actors(role, self._organisation(role))) for role in Role
        }

    def _organisation(self, role: Role) -> str | None:
        if role in _AP_ROLES:
            return self.ap_setting
        if role in _HOST_ROLES:
            return self.host_school
        if role is Role.LA_ADMISSIONS:
            return self.authority
        return None

    def actor(self, *roles: Role) -> Actor:
        return self.cast[self.draw(st.sampled_from(roles))]

    def later(self, most: int = 3) -> dt.date:
        self.day = self.calendar.add_school_days(self.day, self.draw(st.integers(0, most)))
        return self.day

    def at_least(self, day: dt.date) -> dt.date:
        self.day = max(self.day, day)
        return self.day

    def add(self, trigger: str, by: Actor, dest: Stage | None = None, **kwargs: Any) -> None:
        self.steps.append(RunStep(trigger, {**kwargs, "by": by, "on": self.day}))
        if dest is not None:
            self.stage = dest

    def opens(self, *kinds: ObligationKind) -> None:
        self.open.extend(kinds)

    def discharge_some(self) -> None:
        for _ in range(self.draw(st.integers(0, 2))):
            if not self.open:
                return
            kind = self.draw(st.sampled_from(self.open))
            self.open.remove(kind)
            owner = OBLIGATION_OWNER[kind]
            if kind is ObligationKind.NOTE_AT_PANEL and self.stage in _NOTE_STAGES:
                self.add("note_at_panel", self.cast[Role.LA_ADMISSIONS])
            elif owner is Party.AP:
                self.add("discharge", self.actor(*_AP_ROLES), kind=kind)
            elif owner is Party.HOST:
                self.add("discharge", self.actor(*_HOST_ROLES), kind=kind)
            else:
                self.add("discharge", self.cast[Role.LA_ADMISSIONS], kind=kind)


@st.composite
def protocol_runs(draw: st.DrawFn, calendar: SchoolCalendar | None = None) -> ProtocolRun:
    """A valid protocol run ending in SUCCESSFUL, UNSUCCESSFUL or WITHDRAWN, or stopping mid-way.

    Every step's date is a school day of `calendar` (the sample calendar when None), on or after
    the step before; the calendar must span some 260 days past its first day. Play it with
    `play(run, calendar)`; the case ends in `run.stage`.
    """
    used = _sample_calendar() if calendar is None else calendar
    low = used.first_day
    opened = draw(_days(low, max(low, used.last_day - _RUN_SPAN)))
    run = _RunBuilder(draw, used, used.add_school_days(opened, 1))
    target = draw(st.sampled_from(tuple(Stage)))
    if target is Stage.WITHDRAWN:
        stop: Stage | None = draw(st.sampled_from(_PRE_PLACEMENT))
    else:
        stop = target if target in _PRE_PLACEMENT else None
    ap_head, la = run.cast[Role.AP_HEAD], run.cast[Role.LA_ADMISSIONS]
    pupil = draw(pupils())
    run.add(
        "open",
        ap_head,
        Stage.PROPOSED,
        case_id=f"case-{draw(st.integers(1, 99999))}",
        pupil=pupil,
        ap_setting=run.ap_setting,
        local_authority=run.authority,
    )

    def finish() -> ProtocolRun:
        if target is Stage.WITHDRAWN:
            run.later()
            run.add(
                "withdraw",
                run.actor(Role.AP_HEAD, Role.PARENT),
                Stage.WITHDRAWN,
                reason=draw(texts()),
            )
        run.discharge_some()
        return ProtocolRun(tuple(run.steps), run.stage)

    if stop is Stage.PROPOSED:
        return finish()
    run.add(
        "record_consent", ap_head, Stage.CONSENTED, form=draw(consent_forms(pupil, run.later()))
    )
    if stop is Stage.CONSENTED:
        return finish()
    route = draw(st.sampled_from(tuple(ReferralRoute)))
    on = run.later()
    run.add(
        "refer_to_fair_access",
        ap_head,
        Stage.REFERRED,
        route=route,
        information=draw(reintegration_information(pupil)),
        psp=draw(pastoral_support_plans(active_on=on)),
    )
    if route is ReferralRoute.VIRTUAL:
        run.opens(ObligationKind.NOTE_AT_PANEL)
    run.discharge_some()
    if stop is Stage.REFERRED:
        return finish()
    run.later(25)
    run.add("identify_host", la, Stage.HOST_IDENTIFIED, host_school=run.host_school, via=route)
    run.opens(ObligationKind.SHARE_INFORMATION_WITH_HOST, ObligationKind.OFFER_VISIT)
    run.discharge_some()
    if stop is Stage.HOST_IDENTIFIED:
        return finish()
    held = run.later(10)
    start = used.add_school_days(held, draw(st.integers(0, 10)))
    while len(_school_days_within(used, start, 42)) < 3:
        start = used.add_school_days(start, 1)
    meeting = draw(initial_meetings(held_on=held, start_date=start, calendar=used))
    run.add(
        "hold_initial_meeting",
        run.actor(*_AP_ROLES),
        Stage.PLANNED,
        meeting=meeting,
        views=draw(child_views(before=held)),
    )
    run.opens(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS)
    run.discharge_some()
    if stop is not None:
        return finish()

    run.at_least(start)
    run.add("start_placement", run.actor(*_HOST_ROLES), Stage.IN_PLACEMENT)
    run.opens(ObligationKind.COMPLETE_JOINERS_FORM, ObligationKind.MARK_DUAL_REGISTRATION)
    run.discharge_some()

    def review(
        kind: ReviewKind, due: dt.date, decision: ReviewDecision | None = None
    ) -> ReviewMeeting:
        on = run.at_least(due)
        form = draw(review_meetings(kind, held_on=on, started_on=start, decision=decision))
        if form.next_meeting is not None:
            form = attrs.evolve(
                form, next_meeting=used.add_school_days(on, draw(st.integers(1, 10)))
            )
        run.add("hold_review", run.actor(*_AP_ROLES, *_HOST_ROLES), meeting=form)
        run.opens(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS)
        run.discharge_some()
        return form

    def emergency(decision: ReviewDecision) -> None:
        head = run.cast[Role.HOST_HEAD]
        run.later()
        run.add("call_emergency_review", head, Stage.EMERGENCY_REVIEW, reason=draw(texts()))
        if target is Stage.EMERGENCY_REVIEW:
            return
        on = run.later()
        form = draw(
            review_meetings(ReviewKind.EMERGENCY, held_on=on, started_on=start, decision=decision)
        )
        run.opens(ObligationKind.SEND_PAPERWORK_TO_ADMISSIONS)
        if decision is ReviewDecision.END:
            letter = draw(failure_letters(effective_from=on))
            run.add("hold_emergency_review", head, Stage.ENDING, meeting=form, letter=letter)
            run.opens(
                ObligationKind.SEND_FAILURE_LETTER,
                ObligationKind.DELETE_FROM_ROLL,
                ObligationKind.NOTIFY_PORTAL,
                ObligationKind.ARRANGE_HOME_SCHOOL_MEETING,
            )
        else:
            run.add("hold_emergency_review", head, Stage.IN_PLACEMENT, meeting=form)
        run.discharge_some()

    for due in (meeting.first_review, meeting.second_review)[: draw(st.integers(0, 2))]:
        review(ReviewKind.INTERIM, due)
    if draw(st.booleans()) and target is not Stage.EMERGENCY_REVIEW:
        emergency(ReviewDecision.CONTINUE)
    if target is Stage.IN_PLACEMENT:
        return finish()
    if target is Stage.SUCCESSFUL:
        final_due = meeting.final_review
        if draw(st.booleans()):
            extended = review(ReviewKind.FINAL, final_due, ReviewDecision.CONTINUE)
            assert extended.next_meeting is not None
            final_due = extended.next_meeting
        review(ReviewKind.FINAL, final_due, ReviewDecision.MAKE_PERMANENT)
        run.later()
        run.add(
            "record_successful_outcome",
            run.actor(*_HOST_ROLES),
            Stage.SUCCESSFUL,
            form=draw(successful_outcomes(on_roll_from=start)),
        )
        run.opens(
            ObligationKind.COMPLETE_LEAVERS_FORM,
            ObligationKind.TRANSFER_RECORDS,
            ObligationKind.RETURN_OUTCOME_FORM,
            ObligationKind.ADJUST_WEIGHTINGS,
            ObligationKind.REDESIGNATE_TRANSPORT,
        )
        return finish()
    emergency(ReviewDecision.END)
    if target in (Stage.EMERGENCY_REVIEW, Stage.ENDING):
        return finish()
    run.later()
    run.add(
        "record_unsuccessful_outcome",
        run.actor(*_AP_ROLES),
        Stage.UNSUCCESSFUL,
        form=draw(unsuccessful_outcomes()),
    )
    return finish()
