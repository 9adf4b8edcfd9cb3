"""Whole protocol runs: a strategy for valid runs, and `play` to apply one to a new case."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from reintegration_fsm import rules
from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CalendarError, describe
from reintegration_fsm.forms import ReviewMeeting
from reintegration_fsm.protocol.definition import WORCESTERSHIRE, Protocol, edition_problem
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.testing.arguments import checked, instance, optional
from reintegration_fsm.testing.forms import (
    child_views,
    consent_forms,
    failure_letters,
    initial_meetings,
    pastoral_support_plans,
    reintegration_information,
    review_meetings,
    school_days_within,
    successful_outcomes,
    unsuccessful_outcomes,
)
from reintegration_fsm.testing.values import (
    AP_ROLES,
    AP_SETTINGS,
    AUTHORITIES,
    HOST_ROLES,
    HOST_SCHOOLS,
    ONE_DAY,
    actors,
    days_between,
    pupils,
    texts,
)
from reintegration_fsm.vocabulary import (
    ROLES_OF_PARTY,
    Actor,
    ObligationKind,
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


def _as_steps(steps: Sequence[RunStep]) -> tuple[RunStep, ...]:
    """Steps given as a list (or another sequence) as a tuple; anything else as given, for
    `play` to refuse by name."""
    if isinstance(steps, Sequence) and not isinstance(steps, str | bytes):
        return tuple(steps)
    return steps


@attrs.frozen
class ProtocolRun:
    """A valid protocol run: steps that, played from `open`, leave the case in `stage`."""

    steps: tuple[RunStep, ...] = attrs.field(converter=_as_steps)
    stage: Stage
    protocol: Protocol = WORCESTERSHIRE

    @property
    def triggers(self) -> tuple[str, ...]:
        """The steps' trigger names, in order."""
        return tuple(step.trigger for step in self.steps)

    @property
    def case_id(self) -> str:
        """The id the run opens its case under (`st.lists(..., unique_by=...)` keeps a list's
        runs apart by it)."""
        return str(self.steps[0].kwargs["case_id"])


@functools.cache
def _sample_calendar() -> SchoolCalendar:
    # The calendar is immutable, so one copy serves every run.
    return SchoolCalendar.sample()


def _steps_can_be_played(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """The run's protocol is a `Protocol` and its stage a `Stage`; it starts with `open`, and
    each step names a trigger and the arguments it takes."""
    run: ProtocolRun = given["run"]
    if not isinstance(run.protocol, Protocol):
        return "run", f"its protocol must be a Protocol, not {describe(run.protocol)}"
    if not isinstance(run.stage, Stage):
        return "run", f"its stage must be a Stage, not {describe(run.stage)}"
    if not isinstance(run.steps, tuple):
        return "run", f"its steps must be a tuple of RunStep, not {describe(run.steps)}"
    if not run.steps:
        return "run", "a protocol run starts with 'open' (it has no steps)"
    for number, step in enumerate(run.steps, start=1):
        if not isinstance(step, RunStep):
            return "run", f"step {number} is a {type(step).__name__}, not a RunStep"
        if (number == 1) != (step.trigger == "open"):
            return "run", f"a protocol run starts with 'open', and only once (step {number})"
        if step.trigger not in STEP:
            return "run", f"step {number}: {describe(step.trigger)} is not a trigger"
        if not isinstance(step.kwargs, Mapping) or not all(isinstance(k, str) for k in step.kwargs):
            return "run", f"step {number}: the arguments must be a mapping from their names"
        method = getattr(Reintegration, step.trigger)
        extra = {"calendar": None, "protocol": run.protocol} if number == 1 else {"self": None}
        given_too = sorted(set(extra) & set(step.kwargs))
        if given_too:
            return "run", (
                f"step {number} ({step.trigger}) gives {', '.join(given_too)}, which play gives "
                "itself (play's calendar, the run's protocol)"
            )
        try:
            inspect.signature(method).bind(**step.kwargs, **extra)
        except TypeError as wrong:
            return "run", f"step {number} ({step.trigger}): {wrong}"
    return None


@checked(
    _steps_can_be_played,
    run=instance(ProtocolRun),
    calendar=optional(instance(SchoolCalendar)),
)
def play(run: ProtocolRun, calendar: SchoolCalendar | None = None) -> Reintegration:
    """Apply `run` from `Reintegration.open`, with `calendar` (the sample calendar when None).

    Raises:
        InvalidArgument: `run` or `calendar` is not one; or the run's protocol is not a
            `Protocol` or its stage not a `Stage`, it does not start with `open`, names a trigger
            or an argument that does not exist, or gives `open` the `calendar` or `protocol`
            that `play` gives (also a ValueError).
        ProtocolError: a step is refused (the run is not valid for this calendar).
    """
    used = _sample_calendar() if calendar is None else calendar
    case = Reintegration.open(**run.steps[0].kwargs, calendar=used, protocol=run.protocol)
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


_LATER = 3
"""The most school days `_RunBuilder.later` moves a run on by default."""
_NEXT_MEETING = 10
"""The most school days after a final review continuing the placement that a run dates the
next meeting."""
_PERMANENT_FROM = 5
"""The most school days after a final review making the place permanent that a run dates the
date of permanent admission."""
_AFTER_FINAL = max(
    # after the interim reviews an emergency review continuing the placement (two steps) may
    # put the final review up to 2 * _LATER - 1 school days past its date; then an extension,
    # the review making the place permanent, and the outcome on or after its date
    2 * _LATER - 1 + _NEXT_MEETING + _PERMANENT_FROM,
    # after the second review: two emergency reviews (four steps) and the return
    5 * _LATER - 1,
)
"""The most school days a run takes after the final review date the initial meeting agrees."""


class _RunBuilder:
    """Draws one valid run step by step, playing it on a live case as it goes, so that what is
    owed and what may be fired is the library's own account, never a second one."""

    def __init__(
        self, draw: st.DrawFn, calendar: SchoolCalendar, day: dt.date, protocol: Protocol
    ) -> None:
        self.draw = draw
        self.calendar = calendar
        self.protocol = protocol
        self.day = day
        self.steps: list[RunStep] = []
        self.case: Reintegration | None = None
        self.ap_setting = draw(st.sampled_from(AP_SETTINGS))
        self.host_school = draw(st.sampled_from(HOST_SCHOOLS))
        self.authority = draw(st.sampled_from(AUTHORITIES))
        self.cast: dict[Role, Actor] = {
            role: draw(actors(role, self._organisation(role))) for role in Role
        }

    @property
    def stage(self) -> Stage:
        return Stage.PROPOSED if self.case is None else self.case.stage

    def _organisation(self, role: Role) -> str | None:
        if role in AP_ROLES:
            return self.ap_setting
        if role in HOST_ROLES:
            return self.host_school
        if role is Role.LA_ADMISSIONS:
            return self.authority
        return None

    def able(self, trigger: str, *among: Role) -> list[Role]:
        """The roles (of `among`, when given) whose actors may fire `trigger` now, by the case's
        own account: the protocol allows the role, and the case knows the organisation its actor
        acts for (R15: a host school's roles cannot act before `identify_host` names the school).
        """
        allowed = [r for r in Role if r in self.protocol.roles_for(trigger)]
        if among:
            allowed = [r for r in allowed if r in among]
        if self.case is None:  # `open`: the case it opens knows no host school
            return [r for r in allowed if r not in HOST_ROLES]
        case = self.case
        return [r for r in allowed if trigger in case.available_triggers(self.cast[r])]

    def actor(self, trigger: str, *among: Role) -> Actor:
        """An actor who may fire `trigger` now (of roles `among`, when given)."""
        able = self.able(trigger, *among)
        # protocol_runs refuses, when called, a protocol under which no case opens: among those,
        # one letting only a host school's roles fire a step before a host school is known.
        assert able, f"no role may fire {trigger!r} now"
        return self.cast[self.draw(st.sampled_from(able))]

    def later(self, most: int = _LATER) -> dt.date:
        self.day = self.calendar.add_school_days(self.day, self.draw(st.integers(0, most)))
        return self.day

    def at_least(self, day: dt.date) -> dt.date:
        self.day = max(self.day, day)
        return self.day

    def add(self, trigger: str, by: Actor, **kwargs: Any) -> None:
        step = RunStep(trigger, {**kwargs, "by": by, "on": self.day})
        self.steps.append(step)
        if self.case is None:
            self.case = Reintegration.open(
                **step.kwargs, calendar=self.calendar, protocol=self.protocol
            )
        else:
            getattr(self.case, trigger)(**step.kwargs)

    def discharge_some(self, most: int = 2) -> None:
        assert self.case is not None
        for _ in range(self.draw(st.integers(0, most))):
            open_now = self.case.obligations
            consent_pending = any(o.kind is ObligationKind.CONSENT_TO_DELETION for o in open_now)
            choices = [
                o
                for o in open_now
                # R17: a deletion waits for the other school's consent.
                if not (o.kind is ObligationKind.DELETE_FROM_ROLL and consent_pending)
                # Only the owner party discharges; a protocol may let none of its roles do so.
                and self.able("discharge", *ROLES_OF_PARTY[o.owner])
            ]
            if not choices:
                return
            chosen = self.draw(st.sampled_from(choices))
            noters = (
                self.able("note_at_panel") if chosen.kind is ObligationKind.NOTE_AT_PANEL else []
            )
            if bool(noters) and self.draw(st.booleans()):
                self.add("note_at_panel", self.cast[self.draw(st.sampled_from(noters))])
            else:
                self.add(
                    "discharge",
                    self.actor("discharge", *ROLES_OF_PARTY[chosen.owner]),
                    kind=chosen.kind,
                )


def _reach() -> dt.date:
    """The latest day a step may be dated today (R16: a year after today)."""
    return rules.furthest_date()


@functools.lru_cache(maxsize=8)
def _cut(calendar: SchoolCalendar, end: dt.date) -> SchoolCalendar:
    """`calendar` up to `end`: the same school days, none after it."""
    return SchoolCalendar(
        [(first, min(last, end)) for first, last in calendar.terms if first <= end],
        {day: reason for day, reason in calendar.closure_reasons.items() if day <= end},
        source=calendar.source,
        retrieved=calendar.retrieved,
    )


def _run_calendar(calendar: SchoolCalendar | None) -> SchoolCalendar:
    """The calendar a run's dates are drawn from: `calendar` (the sample calendar when None)
    up to the latest day R16 allows a step today, so that a calendar reaching further ahead
    (next year's term dates) gives runs the library accepts today, not ones it refuses.

    Raises:
        CalendarError: the calendar starts after that day.
    """
    used = _sample_calendar() if calendar is None else calendar
    end = _reach()
    return used if used.last_day <= end else _cut(used, end)


def _spans_a_run(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """The calendar, up to the latest day R16 allows a step today, spans a run."""
    calendar = given["calendar"]
    used = _sample_calendar() if calendar is None else calendar
    which = "the sample calendar" if calendar is None else "the calendar"
    end = _reach()
    if used.first_day > end:
        return "calendar", (
            f"{which} starts on {used.first_day.isoformat()}, and no step may be dated after "
            f"{end.isoformat()}, a year after today (R16)"
        )
    reached = _run_calendar(calendar)
    if reached.last_day - reached.first_day >= _RUN_SPAN:
        return None
    cut = "" if reached is used else ", as far as a year after today (R16)"
    return "calendar", (
        f"{which} spans {reached.first_day.isoformat()} to {reached.last_day.isoformat()}{cut}; "
        f"a protocol run needs {_RUN_SPAN.days} days past its first day"
    )


_TO_REFERRAL = 7
"""The most school days a run takes from the day before it opens to its referral, from which
the place offer is counted (`protocol_runs` draws 1, then up to 3 and 3)."""


def _last_open(calendar: SchoolCalendar) -> dt.date:
    """The last day a run may open on (its first step is the school day after it)."""
    return max(calendar.first_day, calendar.last_day - _RUN_SPAN)


def _first_open(calendar: SchoolCalendar, protocol: Protocol) -> dt.date:
    """The first day a run may open on: the calendar's first day, or the eve of the day the
    protocol takes effect (R1 refuses a case opened under it before then)."""
    if protocol.effective_from <= calendar.first_day:
        return calendar.first_day
    return protocol.effective_from - ONE_DAY


def _opens_cases(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """A case opens under the protocol (`Protocol.opens_cases`): it runs under the current
    edition of the rules, and has no `opening_problems` (among them a step that only a host
    school's roles may fire where no host school is known yet, which no run could take)."""
    protocol = given["protocol"]
    if protocol.opens_cases:
        return None
    earlier = edition_problem(protocol)
    if earlier is not None:
        return ("protocol", earlier)
    (field, problem), *_ = protocol.opening_problems
    if field.startswith("roles."):
        allowed = ", ".join(r.value for r in Role if r in protocol.roles[field[len("roles.") :]])
        field = f"{field} ({allowed})"
    return "protocol", f"no case opens under it, so no run can be drawn: {field}: {problem}"


def _in_effect_on_the_calendar(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """The protocol takes effect in time for a run on the calendar."""
    calendar, protocol = given["calendar"], given["protocol"]
    used = _run_calendar(calendar)
    last_open = _last_open(used)
    if _first_open(used, protocol) <= last_open:
        return None
    which = "the sample calendar" if calendar is None else "the calendar"
    return (
        "protocol",
        f"takes effect on {protocol.effective_from.isoformat()}, and a run on {which} opens "
        f"by {last_open.isoformat()} ({_RUN_SPAN.days} days before its last day)",
    )


def _room_for_a_place_offer(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """The calendar counts the protocol's place offer for a run opened on its last day to
    open one (a school day it does not hold would stop the run mid-draw)."""
    calendar, protocol = given["calendar"], given["protocol"]
    used = _run_calendar(calendar)
    last_open = _last_open(used)
    needed = _TO_REFERRAL + protocol.place_offer_school_days
    held = used.school_days_between(last_open, used.last_day)
    if held >= needed:
        return None
    which = "the sample calendar" if calendar is None else "the calendar"
    return (
        "protocol" if calendar is None else "calendar",
        f"a run opened on {last_open.isoformat()} needs {needed} school days after it (its "
        f"referral and a place offer of {protocol.place_offer_school_days} school days); "
        f"{which} holds {held}",
    )


def _stages_to_end_in(stages: Any) -> str | None:
    """None, or a collection of at least one `Stage`. Every stage is one a run can end in, under
    every protocol `protocol_runs` takes: each step names a role that may fire it, and
    `_opens_cases` refuses a protocol whose only roles for a step before the host school is
    known are the host's."""
    if stages is None:
        return None
    if isinstance(stages, Stage):
        return f"is one Stage, not a collection of them: give {{Stage.{stages.name}}}"
    if not isinstance(stages, Collection) or isinstance(stages, str | bytes):
        return (
            "must be None or a collection of Stage (a set, tuple or list, read at every draw), "
            f"not {type(stages).__name__}"
        )
    if not stages:
        return "names no stage: give at least one Stage a run may end in, or None"
    for stage in stages:
        if not isinstance(stage, Stage):  # (a str enum: "withdrawn" == Stage.WITHDRAWN)
            return f"must hold Stage members only, not {describe(stage)}"
    return None


@checked(
    _spans_a_run,
    _opens_cases,
    _in_effect_on_the_calendar,
    _room_for_a_place_offer,
    calendar=optional(instance(SchoolCalendar)),
    protocol=instance(Protocol),
    stages=_stages_to_end_in,
)
@st.composite
def protocol_runs(
    draw: st.DrawFn,
    calendar: SchoolCalendar | None = None,
    protocol: Protocol = WORCESTERSHIRE,
    stages: Collection[Stage] | None = None,
) -> ProtocolRun:
    """A valid protocol run under `protocol`, ending in SUCCESSFUL, UNSUCCESSFUL or WITHDRAWN, or
    stopping mid-way: in one of `stages` when given (each of them drawn alike), else in any
    stage.

    Every step's date is a school day of `calendar` (the sample calendar when None), on or after
    the step before, and the first on or after the day `protocol` takes effect; the calendar
    must span some 260 days past its first day, count the protocol's place offer after the last
    day a run may open, and reach that day after the protocol takes effect. Play it with
    `play(run, calendar)`; the case ends in `run.stage`.

    Args:
        calendar: the school calendar every step is dated in (the sample calendar when None).
        protocol: the protocol the run's case opens under; a case must open under it.
        stages: the stages a run may end in (a collection of `Stage`; any stage when None):
            `{Stage.UNSUCCESSFUL}` for a property of unsuccessful cases, which a few examples
            of every stage may not reach. The runs drawn when None are the same as before the
            argument was added.

    Raises (when called):
        InvalidArgument: an argument the strategy cannot use (above); `stages` empty, not a
            collection, or holding something that is not a `Stage`.

    Raises (when drawn):
        InvalidArgument: the calendar ran out of school days part way through a run (a calendar
            whose terms leave a long gap, or whose closures leave too few school days).
    """
    try:
        return _run(draw, calendar, protocol, stages)
    except CalendarError as error:
        raise InvalidArgument(
            f"protocol_runs(calendar={describe(calendar)}): the calendar has too few school "
            f"days for a protocol run: {error}"
        ) from None


def _review_calendar(used: SchoolCalendar) -> SchoolCalendar:
    """`used` up to the last day a run's reviews may be agreed for: the steps after the final
    review take up to `_AFTER_FINAL` school days, which a final review drawn up to the
    calendar's last school day (within a window reaching past it) would run past.

    Raises:
        CalendarError: the calendar holds no more school days than those.
    """
    held = used.school_days_between(used.first_day, used.last_day)
    if held <= _AFTER_FINAL:
        raise CalendarError(
            f"it holds {held} school days after {used.first_day.isoformat()}, and the steps "
            f"after a final review take up to {_AFTER_FINAL}"
        )
    return _cut(used, used.add_school_days(used.first_day, held - _AFTER_FINAL))


def _run(
    draw: st.DrawFn,
    calendar: SchoolCalendar | None,
    protocol: Protocol,
    stages: Collection[Stage] | None,
) -> ProtocolRun:
    """A run, as `protocol_runs` draws it."""
    used = _run_calendar(calendar)
    opened = draw(days_between(_first_open(used, protocol), _last_open(used)))
    run = _RunBuilder(draw, used, used.add_school_days(opened, 1), protocol)
    # In `Stage`'s order, whatever the collection's: the same draws under every hash seed.
    ends = tuple(Stage) if stages is None else tuple(s for s in Stage if s in stages)
    target = draw(st.sampled_from(ends))
    if target is Stage.WITHDRAWN:
        stop: Stage | None = draw(st.sampled_from(_PRE_PLACEMENT))
    else:
        stop = target if target in _PRE_PLACEMENT else None
    # The pupil's key stage is their age's on the day the case opens, not on its eve (a run
    # opening on the first school day of September is in a new school year).
    pupil = draw(pupils(on=run.day))
    run.add(
        "open",
        run.actor("open"),
        case_id=f"case-{draw(st.integers(1, 99999))}",
        pupil=pupil,
        ap_setting=run.ap_setting,
        local_authority=run.authority,
    )

    def finish() -> ProtocolRun:
        if target is Stage.WITHDRAWN:
            run.later()
            run.add("withdraw", run.actor("withdraw"), reason=draw(texts()))
        # Up to every obligation still open, so that the duties an ending opens (a deletion
        # after the other school's consent, R17; the weightings) are discharged in some runs.
        assert run.case is not None
        run.discharge_some(max(2, len(run.case.obligations)))
        return ProtocolRun(tuple(run.steps), run.stage, protocol)

    if stop is Stage.PROPOSED:
        return finish()
    form = draw(consent_forms(pupil, run.later()))
    run.add("record_consent", run.actor("record_consent"), form=form)
    if stop is Stage.CONSENTED:
        return finish()
    route = draw(st.sampled_from(tuple(ReferralRoute)))
    on = run.later()
    run.add(
        "refer_to_fair_access",
        run.actor("refer_to_fair_access"),
        route=route,
        information=draw(reintegration_information(pupil, protocol)),
        psp=draw(pastoral_support_plans(active_on=on)),
    )
    run.discharge_some()
    if stop is Stage.REFERRED:
        return finish()
    run.later(25)
    host = run.host_school if draw(st.booleans()) else draw(st.sampled_from(form.preferred_schools))
    run.host_school = host
    run.cast.update({role: draw(actors(role, host)) for role in HOST_ROLES})
    run.add("identify_host", run.actor("identify_host"), host_school=host, via=route)
    run.discharge_some()
    if stop is Stage.HOST_IDENTIFIED:
        return finish()
    held = run.later(10)
    start = used.add_school_days(held, draw(st.integers(0, 10)))
    reviews = _review_calendar(used)
    while len(school_days_within(reviews, start, protocol.final_review_within_days)) < 3:
        start = used.add_school_days(start, 1)
    meeting = draw(
        initial_meetings(held_on=held, start_date=start, calendar=reviews, protocol=protocol)
    )
    run.add(
        "hold_initial_meeting",
        run.actor("hold_initial_meeting"),
        meeting=meeting,
        views=draw(child_views(before=held)),
    )
    run.discharge_some()
    if stop is not None:
        return finish()

    run.at_least(start)
    run.add("start_placement", run.actor("start_placement"))
    run.discharge_some()

    def review(
        kind: ReviewKind, due: dt.date, decision: ReviewDecision | None = None
    ) -> ReviewMeeting:
        on = run.at_least(due)
        form = draw(
            review_meetings(
                kind, held_on=on, started_on=start, decision=decision, protocol=protocol
            )
        )
        if form.next_meeting is not None:
            form = attrs.evolve(
                form, next_meeting=used.add_school_days(on, draw(st.integers(1, _NEXT_MEETING)))
            )
        if form.permanent_from is not None:
            days = draw(st.integers(0, _PERMANENT_FROM))
            form = attrs.evolve(form, permanent_from=used.add_school_days(on, days))
        run.add("hold_review", run.actor("hold_review"), meeting=form)
        run.discharge_some()
        return form

    def emergency(decision: ReviewDecision) -> None:
        run.later()
        run.add("call_emergency_review", run.actor("call_emergency_review"), reason=draw(texts()))
        if target is Stage.EMERGENCY_REVIEW:
            return
        on = run.later()
        form = draw(
            review_meetings(
                ReviewKind.EMERGENCY,
                held_on=on,
                started_on=start,
                decision=decision,
                protocol=protocol,
            )
        )
        letter = (
            draw(failure_letters(effective_from=on)) if decision is ReviewDecision.END else None
        )
        run.add(
            "hold_emergency_review", run.actor("hold_emergency_review"), meeting=form, letter=letter
        )
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
        decided = review(ReviewKind.FINAL, final_due, ReviewDecision.MAKE_PERMANENT)
        assert decided.permanent_from is not None
        run.later()
        recorded = run.at_least(decided.permanent_from)
        run.add(
            "record_successful_outcome",
            run.actor("record_successful_outcome"),
            form=draw(successful_outcomes(on_roll_from=start, recorded_on=recorded)),
        )
        return finish()
    emergency(ReviewDecision.END)
    if target in (Stage.EMERGENCY_REVIEW, Stage.ENDING):
        return finish()
    assert run.case is not None
    ended = run.case.ended_on
    run.later()
    run.add(
        "record_unsuccessful_outcome",
        run.actor("record_unsuccessful_outcome"),
        form=draw(unsuccessful_outcomes(ended_on=ended)),
    )
    return finish()
