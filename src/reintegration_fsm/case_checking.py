"""Whether a step may run on a `Reintegration` (its actor by R15, its values, its new text, its
rules), and which triggers an actor may fire now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from reintegration_fsm.case_reading import CaseReading
from reintegration_fsm.case_shared import DISCHARGE, OPEN_STEP
from reintegration_fsm.errors import FormInvalid, GuardFailed, NotPermitted, a_or_an
from reintegration_fsm.fields import (
    blank,
    direction_control,
    end_space,
    is_day,
    noncharacter,
    noncharacters,
    plain_day,
    prints_nothing,
    unseen,
)
from reintegration_fsm.forms.pupil import upn_as_written
from reintegration_fsm.protocol.machine import DISPATCH, TRIGGERS_IN
from reintegration_fsm.protocol.steps import STEP, Step
from reintegration_fsm.rules import RULE_OF, same_name_as_read
from reintegration_fsm.vocabulary import (
    ORGANISATION_OF_PARTY,
    PARTY_OF_ROLE,
    PARTY_WORDS,
    ROLE_WORDS,
    Actor,
    ObligationKind,
    Role,
    words_for_roles,
)

_DISCHARGE_STEP = STEP[DISCHARGE]
_HOST = "host_school"
_ORGANISATION_OF_ROLE: Mapping[Role, str] = {
    role: {"ap_setting": "_ap_setting", "local_authority": "_local_authority"}.get(field, field)
    for role, party in PARTY_OF_ROLE.items()
    if (field := ORGANISATION_OF_PARTY.get(party)) is not None
}
"""R15: each role's organisation, as the case's attribute holding it (host: its facts')."""
_T = TypeVar("_T")
EARLIER_READINGS = ((False, True), (True, True))
"""How a replay reads a recorded step that today's reading refuses, as `(names, blanks)` of
`Reintegration._as_before`, the latest first: as recorded before text that prints nothing was
read as blank (names by today's fold); and as recorded before names were read with their
Unicode forms too (text as blank only when empty or whitespace then too). A step recorded under
any of the three readings replays."""


def _is(value: Any, kind: Any) -> bool:
    if kind is dt.date:
        return type(value) is dt.date
    return isinstance(value, kind)


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def plain_text(value: Any) -> Any:
    """Text of a subclass of `str` (numpy's `str_`, from a spreadsheet) as the plain text it
    holds, whatever the subclass's own `__str__` says; any other value as it is."""
    return str.__str__(value) if type(value) is not str and isinstance(value, str) else value


class CaseChecking(CaseReading):
    """`Reintegration`'s checks of a step before it runs (or as replay reads it again), and the
    triggers an actor may fire now."""

    __slots__ = ()

    def available_triggers(self, actor: Actor) -> tuple[str, ...]:
        """The triggers this actor may fire now, by stage, role and organisation.

        Rules are not evaluated, except that a trigger which only closes an obligation is
        listed while it has one to close: `discharge` while the actor's party owes something,
        `note_at_panel` while a virtual approach awaits the panel.

        Raises:
            FormInvalid: `actor` is not an `Actor` (an id, a role, None).
        """
        if not isinstance(actor, Actor):
            raise FormInvalid(
                "available_triggers", "actor", f"must be an Actor, not {type(actor).__name__}"
            )
        if self._organisation_problem(actor) is not None or actor.family_with_organisation:
            return ()
        steps = DISPATCH[self._stage]
        roles = self._protocol.roles
        available = []
        for name in TRIGGERS_IN[self._stage]:
            if actor.role not in roles[name]:
                continue
            listed = steps[name].listed
            if listed is not None and not listed(self, actor):
                continue
            available.append(name)
        return tuple(available)

    @staticmethod
    def _check_when(step: Step, by: Any, on: Any) -> dt.date:
        """`on`, as the plain date a transition records (a subclass of date is a date)."""
        if not isinstance(by, Actor):
            raise FormInvalid(step.name, "by", f"must be an Actor, not {type(by).__name__}")
        if type(on) is dt.date:
            return on
        if not is_day(on):
            raise FormInvalid(step.name, "on", f"must be a date, not {type(on).__name__}")
        return plain_day(on)

    @staticmethod
    def _check_values(step: Step, values: Sequence[Any]) -> None:
        if step.plain and all(map(isinstance, values, step.types)):
            return  # forms and enums of the right type: their own validators checked them
        problems: list[tuple[str, str]] = []  # every bad argument, as a form names every field
        for argument, value in zip(step.arguments, values, strict=True):
            if value is None and argument.optional:
                continue
            if not _is(value, argument.type):
                kind = f"must be {a_or_an(_type_name(argument.type))}, not {type(value).__name__}"
                problems.append((argument.name, kind))
            elif argument.type is str:
                problem = argument.text_problem(value)
                if problem is not None:
                    problems.append((argument.name, problem))
        if problems:
            raise FormInvalid.of(step.name, problems)

    @staticmethod
    def _check_new_text(step: Step, values: tuple[Any, ...], by: Actor) -> tuple[Any, ...]:
        """Refuse text given now that a history read back keeps as it recorded it: a name that
        would read as another (`Argument.new_name_problem`, or a space at an end:
        `fields.end_space`), and a noncharacter, which no
        workbook can hold, in a text argument, the actor, or a new case's child. (Text inside
        a later step's forms is not walked, on every trigger: workbooks show it escaped.)

        Returns `values`, with text of a subclass of `str` (numpy's `str_`, from a spreadsheet)
        as the plain text it holds, which the rest of the step and its record then see.
        """
        problems: list[tuple[str, str]] = []
        for argument, value in zip(step.arguments, values, strict=True):
            if argument.type is str and type(value) is not str and isinstance(value, str):
                given, value = value, plain_text(value)
                values = tuple(value if item is given else item for item in values)
            if type(value) is str:
                problem = argument.new_name_problem(value) or noncharacter(value)
                if problem is None and argument.single_line and value.strip():
                    # A school named with a space at an end is a slip of the paste, kept as
                    # typed wherever it is shown (a blank one is the rules' to report).
                    problem = end_space(value)
                if problem is not None:
                    problems.append((argument.name, problem))
            elif step is OPEN_STEP:  # the child
                problems += noncharacters(value, argument.name)
                steering = direction_control(value.name)
                if prints_nothing(value.name):  # (blank, the form refused it)
                    hidden = unseen(value.name) or blank(value.name)
                    problems.append(
                        (
                            f"{argument.name}.name",
                            "prints nothing: it holds only characters nobody sees, such as "
                            f"{hidden}; type the child's name",
                        )
                    )
                elif steering is not None:  # printed on every form, where it shows as an escape
                    problems.append(
                        (f"{argument.name}.name", f"holds {steering}; type the child's name again")
                    )
                written = upn_as_written(value.upn)
                if written is not None:  # the MIS and the DfE match the UPN as written
                    problems.append((f"{argument.name}.upn", written))
        if not (by.id + by.name + by.organisation).isprintable():  # no noncharacter is
            problems += noncharacters(by, "by")
        if problems:
            raise FormInvalid.of(step.name, problems)
        return values

    def _organisation_problem(self, actor: Actor) -> str | None:
        field = ORGANISATION_OF_PARTY.get(actor.party)
        if field is None:
            return None  # parents and children act for themselves, not for an organisation
        expected = (
            self._ap_setting
            if field == "ap_setting"
            else (self._local_authority if field == "local_authority" else self._facts.host_school)
        )
        if expected is None:
            return f"no host school has been identified for {actor.name} to act for"
        if same_name_as_read(self, actor.organisation, expected):  # as R5 reads the schools
            return None
        return f"{actor.name} acts for {actor.organisation!r}, not {expected!r}"

    def _check_actor(self, step: Step, actor: Actor, payload: Any, seq: int | None = None) -> None:
        """R15: the actor's role may fire the step under the case's protocol, for the right
        organisation, and (for an obligation) for a party that owes one.

        Raises:
            NotPermitted: saying why.
        """
        allowed = self._protocol.roles[step.name]
        role = actor.role
        if role in allowed and step is not _DISCHARGE_STEP:  # the common case, decided at once
            field = _ORGANISATION_OF_ROLE.get(role)
            if field is None or actor.organisation == (
                self._facts.host_school if field is _HOST else getattr(self, field)
            ):
                return
        if actor.role not in allowed:
            who = ROLE_WORDS[actor.role]
            raise NotPermitted(
                step.name,
                actor,
                f"{who[0].upper()}{who[1:]} may not {step.action}; only "
                f"{words_for_roles(allowed)} may.",
                seq=seq,
            )
        problem = self._organisation_problem(actor)
        if problem is not None:
            raise NotPermitted(step.name, actor, problem, seq=seq)
        if step.name == DISCHARGE and isinstance(payload, ObligationKind):
            owners = [o.owner for o in self._obligations if o.kind is payload]
            if owners and actor.party not in owners:
                raise NotPermitted(
                    step.name,
                    actor,
                    f"The {payload.value.replace('_', ' ')} obligation is owed by "
                    f"{PARTY_WORDS[owners[0]]}, not {PARTY_WORDS[actor.party]}.",
                    seq=seq,
                )

    def _check_rules(self, step: Step, payload: Any, on: dt.date, seq: int | None = None) -> None:
        reasons: list[str] = []
        numbers: list[str | None] = []
        for guard in step.checks:
            found = guard(self, payload, on)
            if found:
                reasons += found
                numbers += [RULE_OF.get(guard)] * len(found)
        if reasons:
            raise GuardFailed(step.name, reasons, seq=seq, rules=numbers)

    def _check_recorded(self, check: Callable[[], None]) -> None:
        """`check()` (`_check_actor`, `_check_rules`) of a recorded step on replay: a step it
        refuses today is accepted when it accepts the step read as a history recorded before
        was (`EARLIER_READINGS`, `_as_before`): R2's child, R5's host and R15's organisation
        that only one of the two name folds reads as the name it is compared with; text that
        prints nothing (a lone zero-width space) that the rules needing text given took as
        given.

        Raises:
            NotPermitted, GuardFailed: today's refusal, when the step is refused every way.
        """
        try:
            check()
        except (NotPermitted, GuardFailed):
            for names, blanks in EARLIER_READINGS:
                try:
                    self._as_before(check, names=names, blanks=blanks)
                except (NotPermitted, GuardFailed):
                    continue
                return
            raise

    def _as_before(self, reading: Callable[[], _T], *, names: bool, blanks: bool) -> _T:
        """`reading()` with the rules reading a step as histories recorded before did: R2, R5
        and R15 comparing names by the fold before Unicode forms were read
        (`fields.folded_name_before_unicode`) when `names`; the rules needing text given
        reading as blank only empty or whitespace text (`str.strip`) when `blanks`. Only a
        replay asks, of a step whose record today's reading does not give."""
        put = object.__setattr__
        put(self, "_names_as_before_unicode", names)
        put(self, "_blanks_as_stripped", blanks)
        try:
            return reading()
        finally:
            put(self, "_names_as_before_unicode", False)
            put(self, "_blanks_as_stripped", False)
