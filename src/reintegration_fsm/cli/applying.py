"""The `apply` command: one trigger fired on a case, with the checks of the names it is given
and of a step repeated by mistake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli import interchange, options, pasted, protocols
from reintegration_fsm.cli.calendars import CALENDAR_ENV, sample_note
from reintegration_fsm.cli.errors import REFUSED, Failure, failure_from
from reintegration_fsm.cli.json_input import read_json
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import CASE_ID, DATE, ROLE_NAMES, Line, format_option
from reintegration_fsm.cli.printing import echo
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise, to_json
from reintegration_fsm.errors import CalendarError, FormInvalid, IllegalTransition, NotPermitted
from reintegration_fsm.fields import (
    NAME_LENGTH,
    differing_only_in,
    name_differing_only_in,
    noncharacter,
    prints_nothing,
)
from reintegration_fsm.protocol.definition import WORCESTERSHIRE, Protocol
from reintegration_fsm.protocol.machine import TRIGGERS_IN
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.records import Transition
from reintegration_fsm.rules import same_name
from reintegration_fsm.serialisation import transition_to_json
from reintegration_fsm.vocabulary import FAMILY_ROLES, Actor, Role, Trigger

if TYPE_CHECKING:
    from reintegration_fsm.stores import SqlAlchemyStore


@click.command()
@click.argument("case_id", type=CASE_ID)
@click.argument("trigger")
@option(
    "--data",
    "data_file",
    metavar="FILE.json",
    default=None,
    help="JSON object of the trigger's arguments (forms as `serialisation.unstructure` "
    "writes them); `-` for stdin. Omit for triggers without arguments.",
)
@option("--actor-id", type=Line(NAME_LENGTH), required=True, help="Who fires the trigger: an id.")
@option("--actor-name", type=Line(NAME_LENGTH), required=True, help="Their name.")
@option(
    "--role", type=click.Choice(ROLE_NAMES, case_sensitive=False), required=True, help="Their role."
)
@option(
    "--organisation",
    type=Line(NAME_LENGTH, required=False),
    default="",
    help="The organisation they act for (staff only: a parent or the child gives none).",
)
@option("--on", type=DATE, default=None, help="The business date (default: today).")
@option(
    "--under",
    metavar="ID[@VERSION]",
    envvar=protocols.UNDER_ENV,
    default=None,
    help="For `open`: the protocol the case runs under for life, built in or registered with "
    "--protocol, as ID@VERSION, or ID alone for its version in force on --on (default: the "
    f"seed's, worcestershire@3); env {protocols.UNDER_ENV} (read by `open` alone).",
)
@format_option(("text", "json"), default="text")
@click.pass_context
def apply(
    ctx: click.Context,
    case_id: str,
    trigger: str,
    data_file: str | None,
    actor_id: str,
    actor_name: str,
    role: str,
    organisation: str,
    on: Any,
    under: str | None,
    output_format: str,
) -> None:
    """Fire one TRIGGER on a case, with its arguments from a JSON file.

    `open` creates the case (data: pupil, ap_setting, local_authority). A refused trigger
    prints every reason and changes nothing (exit 1); bad data exits 2. With --format json,
    a failure is a JSON object on stdout: {"error", "reasons", "exit_code"}.
    """
    found = settings(ctx)
    from_environment = protocols.under_from_environment(ctx)
    if trigger != "open" and from_environment:
        # A deployment's default for the cases it opens: no other step takes a protocol.
        under, from_environment = None, False
    if under is not None and trigger != "open":
        raise Failure("--under chooses the protocol a case is opened under: only with `open`")
    interchange.check_trigger(trigger)
    data = {} if data_file is None else read_json(data_file)
    arguments, problems = interchange.trigger_arguments(trigger, data)
    day = on or options.today()
    refused = pasted.refusal(case_id) if trigger == "open" else None
    besides = [f"case id {refused}"] if refused is not None else []
    # The trigger refuses these too, but only once the data is good: named now, beside it.
    besides += _actor_problems(actor_id, actor_name, organisation)
    chosen = WORCESTERSHIRE  # the protocol `open` opens the case under (`--under`)
    if trigger == "open":
        try:
            chosen = protocols.chosen(
                found.protocols(),
                under,
                day,
                from_environment=from_environment,
                opening=True,
                files=found.protocol_files_read(),
            )
        except Failure as unknown:
            if not problems and not besides:
                raise
            # One line beside the data's problems: the message a sentence before its reasons.
            besides.append(" ".join((f"{unknown.message}.", *unknown.reasons)))
    if problems:  # with the id's and the protocol's, if any: every reason at once
        raise Failure(f"bad data for {trigger}", [*problems, *besides])
    actor = Actor(actor_id, actor_name, Role(role.lower()), organisation)
    if refused is not None:  # before the database is touched
        raise Failure(f"case id {refused}", besides[1:])
    if besides:
        raise Failure(besides[0], besides[1:])
    store = found.store(create=trigger == "open")
    if trigger == "open" and store.taken([case_id]):
        raise Failure(f"case id {case_id!r} is already taken", ())
    meant = found.case_meant(case_id) if trigger == "open" else None
    if meant is not None:  # two children's records nobody could tell apart by ear or on paper
        raise Failure(
            f"case id {case_id!r} differs from the case {meant!r} only in "
            f"{differing_only_in(case_id, meant)}",
            (
                f"To act on that case, give its id as listed: {meant!r}. To open another, "
                "choose an id that reads differently.",
            ),
        )
    _check_school_named(store, trigger, arguments, case_id)
    _check_authority_named(store, trigger, arguments)
    set_before = 0  # how many deadlines the case had set before the step
    protocol: Protocol | None = None  # the step's, once known: its roles say who may take it
    try:
        if trigger == "open":
            calendar = found.calendar()
            protocol = chosen
            case = Reintegration.open(
                case_id, **arguments, by=actor, on=day, calendar=calendar, protocol=protocol
            )
        else:
            case = store.load(case_id)
            protocol = case.protocol
            set_before = len(case.deadlines)
            try:
                getattr(case, trigger)(**arguments, by=actor, on=day)
            except IllegalTransition as error:
                raise Failure(str(error), _not_now(case, trigger), REFUSED) from None
            repeated = _repeated(case)
            if repeated is not None:
                raise Failure(
                    f"{trigger} refused: it repeats the case's "
                    + ("last step" if repeated.seq == len(case.history) - 1 else "earlier step"),
                    (
                        f"{trigger} was already recorded as seq {repeated.seq} on "
                        f"{repeated.on.isoformat()} by the {_who(repeated)}, with the same "
                        + (
                            "data: nothing was added."
                            if _same_arguments(repeated, case.history[-1])
                            else "meeting (held_on and kind): nothing was added. A meeting "
                            "recorded twice would count as two reviews; the log keeps the "
                            "first record as it was."
                        ),
                        f"To record another {trigger}, give it its own "
                        + (
                            "meeting (held_on): a review of the same day and kind is the same "
                            "meeting, whatever its other data."
                            if trigger in _DATED_BY_FORM
                            else "date or data."
                        ),
                    ),
                    REFUSED,
                )
    except CalendarError as error:
        hint = (
            ()
            if found.calendar_name
            else (
                f"Name a term-dates file: --calendar FILE before the command, or {CALENDAR_ENV}.",
            )
        )
        raise Failure(str(error), hint) from None
    except NotPermitted as error:
        advice = _organisation_advice(actor, trigger, protocol)
        if advice is None:
            raise
        failure = failure_from(error)
        raise Failure(failure.message, (*failure.reasons, advice), failure.exit_code) from None
    store.save(case)
    transition = case.history[-1]
    counted = sample_note(case.calendar, case.deadlines[set_before:])
    if output_format == "json":  # the JSON holds the date: said on stderr, the sample alone
        click.echo(to_json(transition_to_json(transition)))
        if counted is not None:
            click.echo(counted, err=True)
        return
    source = transition.source.value if transition.source is not None else "(new)"
    echo(
        f"{neutralise(case_id, single_line=True)}: {trigger} accepted, dated "
        f"{transition.on.isoformat()}, {source} -> {transition.dest.value} (seq {transition.seq})"
    )
    if on is None:
        click.echo(_DATED_TODAY.format(day=transition.on.isoformat()), err=True)
    registered = found.protocols()
    if trigger == "open" and from_environment:
        click.echo(
            _OPENED_FROM_ENVIRONMENT.format(protocol=protocols.named(case.protocol)), err=True
        )
    elif trigger == "open" and under is None and registered:
        click.echo(
            _OPENED_BY_DEFAULT.format(
                protocol=protocols.named(case.protocol),
                registered=", ".join(map(protocols.named, registered)),
            ),
            err=True,
        )
    elif trigger == "open" and under is not None:
        picked = protocols.picked_by_id(registered, under, case.protocol, transition.on)
        if picked is not None:
            click.echo(picked, err=True)
    if counted is not None:
        click.echo(counted, err=True)


def _actor_problems(actor_id: str, actor_name: str, organisation: str) -> list[str]:
    """Why each of the options naming the actor is no new text (a noncharacter), one line each."""
    given = (
        ("--actor-id", actor_id),
        ("--actor-name", actor_name),
        ("--organisation", organisation),
    )
    return [f"{name} {problem}" for name, value in given if (problem := noncharacter(value))]


def _organisation_advice(actor: Actor, trigger: str, protocol: Protocol | None) -> str | None:
    """What to do about --organisation after `actor` was refused `trigger` (R15): leave it
    out (a parent or the child who gave one), or name it (staff who gave none); None for any
    other refusal. Only where `protocol` (the step's) lets the actor's role take the step, as
    R15 reads its roles: a role that may not is refused for the role, which the refusal says,
    and no --organisation would change that (review D, D5)."""
    if protocol is None or actor.role not in protocol.roles_for(trigger):
        return None
    if actor.role in FAMILY_ROLES:
        return None if prints_nothing(actor.organisation) else "Leave out --organisation."
    return None if actor.organisation else "Name who they act for: --organisation ORG."


_OPENED_BY_DEFAULT = (
    "note: opened under {protocol}, the default, as no --under was given (registered: "
    "{registered}): the case runs under its deadlines and weighting for life. To open a case "
    "under a registered protocol, give --under ID[@VERSION]."
)
"""Said after `apply ... open` without --under where protocol files are registered: the
authority's own protocol is then most likely the one meant, and a case opened under the seed's
keeps it for life."""


_OPENED_FROM_ENVIRONMENT = (
    f"note: opened under {{protocol}}, named by {protocols.UNDER_ENV} as no --under was given: "
    "the case runs under its deadlines and weighting for life."
)
"""Said after `apply ... open` under the deployment's default: the variable chose the rules the
case keeps for life, and nothing typed named them."""


_DATED_TODAY = (
    "note: dated today, {day}, as no --on was given: the case's later steps cannot be dated "
    'before it. For a step taken on another day, give --on DATE (if this one was, see "A step '
    'recorded with the wrong date" in docs/cli.md).'
)
"""Said after a step `apply` dated by default: typing in past steps, one without --on would
otherwise set the case's clock to today without a word (R16: time runs forward)."""


_SCHOOL_GIVEN = {"open": "ap_setting", "identify_host": "host_school"}
"""The argument naming a school, of the triggers that name one."""


def _check_school_named(
    store: SqlAlchemyStore, trigger: str, arguments: dict[str, Any], case_id: str
) -> None:
    """Refuse a school named as a case of the same local authority names it, but in other
    letters' case or spacing (or with an accent typed apart from its letter): the rules, the
    lists and the Fair Access ledger read it as the same school, but its cases, their documents
    and the lists would name it two ways.

    Raises:
        Failure: saying which school was meant (exit 2).
    """
    field = _SCHOOL_GIVEN.get(trigger)
    given = arguments.get(field) if field is not None else None
    if not isinstance(given, str) or not given.strip():
        return  # a blank name is the rules' to report
    authority = _authority_of(store, trigger, arguments, case_id)
    recorded = {
        name
        for found in store.cases(school=given)  # by the schools' indexes: no history is loaded
        if found.local_authority == authority
        for name in (found.ap_setting, found.host_school)
        if name is not None and same_name(name, given)
    }
    _refuse_other_spelling(
        f"{trigger}.{field}",
        "school",
        given,
        recorded,
        "its cases and their documents then name it one way. To name another school, choose "
        "a name that reads differently.",
    )


def _check_authority_named(store: SqlAlchemyStore, trigger: str, arguments: dict[str, Any]) -> None:
    """Refuse an `open` naming its local authority as the store's cases name one, but in other
    letters' case or spacing (or with an accent typed apart): a store scoped to the authority
    as recorded (`--authority`, RFSM_AUTHORITY) compares names exactly, so its lists, its due
    list and its Fair Access ledger would never show the case (review MA, MA4).

    Raises:
        Failure: saying which authority was meant (exit 2).
    """
    given = arguments.get("local_authority") if trigger == "open" else None
    if not isinstance(given, str) or not given.strip():
        return  # a blank name is the rules' to report
    if store.authority is None:
        try:
            named = store.for_authority(given)
        except FormInvalid:
            return  # no authority's name: the rules' to report
        with named:
            if named.authorities():
                return  # named as its cases name it: one indexed lookup, not every name
    recorded = {held for held in store.authorities() if same_name(held, given)}
    _refuse_other_spelling(
        "open.local_authority",
        "authority",
        given,
        recorded,
        "a view of that authority's cases (--authority) lists only the cases naming it so, "
        "and would never show this one nor its deadlines.",
    )


def _refuse_other_spelling(where: str, kind: str, given: str, recorded: set[str], why: str) -> None:
    """Refuse `given`, the name of a `kind` (school, authority), when the cases record it
    only in other spellings (`recorded`: those the rules read as the same name), saying which
    was meant and `why` it matters; a name recorded as given, or new, passes.

    Raises:
        Failure: naming the spelling recorded (exit 2).
    """
    if not recorded or given in recorded:
        return  # named for the first time, or as recorded
    meant = min(recorded)
    raise Failure(
        f"{where}: {given!r} differs from the {kind} {meant!r} only in "
        f"{name_differing_only_in(given, meant)}: did you mean {meant!r}?",
        (f"Give the {kind}'s name as its cases record it, {meant!r}: {why}",),
    )


def _authority_of(
    store: SqlAlchemyStore, trigger: str, arguments: dict[str, Any], case_id: str
) -> object:
    """The local authority of the case a step names a school for: the one `open` gives, or
    the case's own (None when the case is not there: the step's own error says so)."""
    if trigger == "open":
        return arguments.get("local_authority")
    return next(
        (found.local_authority for found in store.cases(text=case_id) if found.case_id == case_id),
        None,
    )


def _who(transition: Transition) -> str:
    """Who recorded `transition`: the role and organisation, not the person (the person may
    be the child's parent, and this message reaches scripts' logs)."""
    actor = transition.actor
    return actor.role.value + (f" of {actor.organisation}" if actor.organisation else "")


_DATED_BY_FORM = frozenset({Trigger.HOLD_REVIEW})
"""The steps that keep the stage whose form gives the day of what they record (a review's
`held_on`): the same form again is the same meeting, whatever day it is recorded on."""


def _repeated(case: Reintegration) -> Transition | None:
    """The step before the case's new last one when the new one repeats it (a command run
    twice): the same trigger, business date, actor and arguments; else None. A review is the
    same meeting by the day it was held and its kind alone (`_meeting`), recorded again on
    another day (review O, O2), by anyone, after any step between (the AP's discharge of its
    paperwork: review F, F1), with a word changed (review Z, Z3). A step that
    changes the stage cannot repeat (`_not_now` says so); a discharge can, when an obligation
    of its kind is left open for it to close."""
    if len(case.history) < 2:
        return None
    new = case.history[-1]
    if new.trigger in _DATED_BY_FORM:
        meeting = _meeting(new)
        return next(
            (
                earlier
                for earlier in reversed(case.history[:-1])
                if earlier.trigger == new.trigger and _meeting(earlier) == meeting
            ),
            None,
        )
    previous = case.history[-2]
    if (
        new.trigger != previous.trigger
        or new.trigger == Trigger.DISCHARGE
        or new.on != previous.on
        or new.actor != previous.actor
    ):
        return None
    return previous if _same_arguments(new, previous) else None


def _same_arguments(one: Transition, other: Transition) -> bool:
    """Two steps of one trigger were given the same arguments."""
    names = [argument.name for argument in STEP[one.trigger].arguments]
    return all(one.data.get(name) == other.data.get(name) for name in names)


def _meeting(step: Transition) -> tuple[object, object]:
    """Which meeting a review records: the day it was held and its kind. One meeting typed in
    twice, the second time with a word changed, is still one review (review Z, Z3)."""
    meeting = step.data.get("meeting")
    if not isinstance(meeting, Mapping):  # a recorded review holds its form
        return (None, None)
    return (meeting.get("held_on"), meeting.get("kind"))


def _not_now(case: Reintegration, trigger: str) -> tuple[str, ...]:
    """Why a step is not available, for someone who may have pressed Enter twice: whether it
    is the case's last step (a double submit), and the steps of the case's stage."""
    reasons = []
    last = case.history[-1]
    if last.trigger == trigger:
        reasons.append(
            f"{trigger} was already recorded on {last.on.isoformat()} (seq {last.seq}) by the "
            f"{_who(last)}: nothing was changed."
        )
    steps = TRIGGERS_IN[case.stage]
    reasons.append(f"The case is now {case.stage.value}; its stage's steps: {', '.join(steps)}.")
    return tuple(reasons)
