"""JSON in: case histories to import, and a trigger's keyword arguments for `apply`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.case import Reintegration
from reintegration_fsm.cli import pasted, streamed
from reintegration_fsm.cli.errors import Failure, failure_from
from reintegration_fsm.errors import FormInvalid, ProtocolError, UnknownProtocol
from reintegration_fsm.fields import differing_only_in, folded_text
from reintegration_fsm.protocol.definition import FINGERPRINT, Protocol
from reintegration_fsm.protocol.steps import STEP
from reintegration_fsm.records import Transition
from reintegration_fsm.serialisation import structure, transition_from_json, type_name
from reintegration_fsm.stores.personal import holds_placeholder, identity_placeholder
from reintegration_fsm.vocabulary import ROLE_WORDS

TRIGGERS = tuple(STEP)
FROM_COMMAND_LINE = frozenset({"case_id"})
"""Trigger arguments that come from the command line, not from the data file."""


@attrs.frozen
class Parameter:
    """One keyword argument a trigger takes from the data file."""

    name: str
    hint: Any
    required: bool


def parameters(trigger: str) -> tuple[Parameter, ...]:
    """The data-file arguments of `trigger`, from the step's declaration."""
    return tuple(
        Parameter(a.name, a.type | None if a.optional else a.type, not a.optional)
        for a in STEP[trigger].arguments
        if a.name not in FROM_COMMAND_LINE
    )


def check_trigger(trigger: str) -> None:
    """Refuse a trigger the protocol has not, naming the nearest one (before its data file is
    read: "withdrawn" is not bad data for withdraw).

    Raises:
        Failure: `trigger` is no trigger (exit 2).
    """
    if trigger not in TRIGGERS:
        near = difflib.get_close_matches(trigger.lower(), TRIGGERS, n=1)
        raise Failure(
            f"unknown trigger {trigger!r}" + (f": did you mean {near[0]}?" if near else ""),
            (f"The triggers: {', '.join(TRIGGERS)}.",),
        )


def trigger_arguments(trigger: str, data: Any) -> tuple[dict[str, Any], list[str]]:
    """Build a trigger's keyword arguments from JSON (`trigger` checked by `check_trigger`);
    also every problem found."""
    if not isinstance(data, Mapping):
        return {}, [f"the data file must hold a JSON object, not {type(data).__name__}"]
    wanted = parameters(trigger)
    names = {p.name for p in wanted}
    problems = [
        f"{trigger} takes no argument {key!r} (it takes: {', '.join(sorted(names)) or 'none'})"
        for key in data
        if key not in names
    ]
    arguments: dict[str, Any] = {}
    for parameter in wanted:
        if parameter.name not in data:
            if parameter.required:
                problems.append(f"missing {parameter.name!r} ({type_name(parameter.hint)})")
            continue
        value = data[parameter.name]
        try:
            arguments[parameter.name] = structure(value, parameter.hint)
        except FormInvalid as error:
            problems += [f"{parameter.name!r}: {problem}" for problem in form_problems(error)]
    if problems:  # with them, the text the trigger would refuse next: every problem at once
        problems += _text_problems(trigger, arguments)
    return arguments, problems


def _text_problems(trigger: str, arguments: Mapping[str, Any]) -> list[str]:
    """The problems the trigger finds with its text arguments (too long, blank, a control
    character), as it names them."""
    found = []
    for argument in STEP[trigger].arguments:
        value = arguments.get(argument.name)
        if argument.type is str and isinstance(value, str):
            problem = argument.text_problem(value)
            if problem is not None:
                found.append(f"{trigger}.{argument.name}: {problem}")
    return found


def form_problems(error: FormInvalid) -> list[str]:
    """Every problem a `FormInvalid` holds, one each: "ConsentForm.agrees: required field missing"
    (a plain value's problem, field "?", alone: "must be text, not 3" says it all)."""
    return [
        problem if field == "?" else f"{error.form}.{field}: {problem}"
        for field, problem in error.problems
    ]


@attrs.frozen
class Incoming:
    """One history read from an import file, replayed into its case."""

    label: str
    history: tuple[Transition, ...]
    case: Reintegration
    redactions: int = 0
    """The redaction records its export carries (an import cannot carry them)."""
    removed: bool = False
    """Its child's name or date of birth is a redaction's placeholder: the history comes from
    a store that removed them, whatever records it carries."""


def _history_items(value: Any) -> tuple[list[tuple[str, Any, Mapping[str, Any]]], list[str]]:
    """The raw histories in an import file (an export, a list of exports, or a bare history),
    each with what its export says of the case besides (none for a bare history)."""
    if isinstance(value, Mapping):
        if "history" in value:
            return [(f"case {value.get('case_id', '?')!s}", value["history"], value)], []
        if "cases" in value and isinstance(value["cases"], list):
            return _history_items(value["cases"])
        return [], ["a JSON object must hold a case's 'history' (as `export` writes it)"]
    if not isinstance(value, list) or not value:
        return [], ["expected a case export, a list of them, or a history (a list of transitions)"]
    if all(isinstance(item, Mapping) and "seq" in item for item in value):
        return [("history", value, {})], []
    items: list[tuple[str, Any, Mapping[str, Any]]] = []
    problems: list[str] = []
    for number, item in enumerate(value, start=1):
        found = _listed_item(number, item)
        if isinstance(found, str):
            problems.append(found)
        else:
            items.append(found)
    return items, problems


Raw = tuple[str, Any, Mapping[str, Any]]
"""A history as an import file gives it: its label, its transitions as JSON, and what its
export says of the case besides."""


def raw_histories(reader: streamed.Reader) -> Iterator[Raw | str]:
    """The raw histories of an import file as `_history_items` reads them, one at a time as the
    file is read (a list's items, or the items of an export's `cases`), with a problem of the
    file's shape (text) where that finds one."""
    opening = reader.opening()
    if opening == "[":
        yield from _listed(reader, "$", 1)
        reader.end()
        return
    if opening != "{":
        value = reader.value("$", 1)
        reader.end()
        yield from _whole(value)
        return
    members: dict[str, Any] = {}
    listed = False
    for key in reader.members("$"):
        if key == "cases" and reader.opening() == "[":
            listed = True
            yield from _listed(reader, "$.cases", 2)
        else:
            members[key] = reader.value(f"$.{key}", 2)
    reader.end()
    if not listed:
        yield from _whole(members)
    elif "history" in members:
        yield "a JSON object holds both a case's 'history' and 'cases': give one of them"


def _whole(value: Any) -> Iterator[Raw | str]:
    items, problems = _history_items(value)
    yield from problems
    yield from items


def _listed(reader: streamed.Reader, where: str, depth: int) -> Iterator[Raw | str]:
    """The histories of a list as `_history_items` reads one: a list of transitions is one
    (bare) history, held until an item that is no transition shows it is not one."""
    steps: list[Any] | None = []
    count = 0
    for number, item in reader.items(where, depth):
        count += 1
        if steps is not None:
            if isinstance(item, Mapping) and "seq" in item:
                steps.append(item)
                continue
            for held, step in enumerate(steps, start=1):
                yield _listed_item(held, step)
            steps = None
        yield _listed_item(number + 1, item)
    if not count:
        yield "expected a case export, a list of them, or a history (a list of transitions)"
    elif steps:
        yield ("history", steps, {})


def _listed_item(number: int, item: Any) -> Raw | str:
    """An item of a list of histories: an export, a bare history, or a problem."""
    if isinstance(item, Mapping) and "history" in item:
        return f"item {number} (case {_id_shown(item.get('case_id', '?'))})", item["history"], item
    if isinstance(item, list):
        return f"item {number}", item, {}
    return f"item {number}: not a case export nor a history"


_CLAIMED = ("case_id", "stage")
"""What an export says of its case besides its history, which the history must bear out: an
export edited by hand to name another case would be imported as the history's."""


def _id_shown(case_id: object) -> str:
    """An item's case id in its label: as written, or quoted with escapes when it holds a
    character that does not show (a zero-width space would read as the id without it)."""
    shown = str(case_id)
    return shown if shown.isprintable() else repr(shown)


def _claims_problems(label: str, claims: Mapping[str, Any], case: Reintegration) -> list[str]:
    replayed = {"case_id": case.case_id, "stage": case.stage.value}
    return [
        f"{label}: the export says {name} {claims[name]!r}, its history {replayed[name]!r}"
        for name in _CLAIMED
        if name in claims and claims[name] != replayed[name]
    ]


def _unknown_trigger(entry: Any) -> str | None:
    """What is wrong with a transition's trigger that names no trigger (a name misspelt by
    hand), with the nearest one; None for any other entry."""
    trigger = entry.get("trigger") if isinstance(entry, Mapping) else None
    if not isinstance(trigger, str) or trigger in TRIGGERS:
        return None
    near = difflib.get_close_matches(trigger.lower(), TRIGGERS, n=1)
    return f"{trigger!r} is not a trigger" + (f": did you mean {near[0]}?" if near else "")


def read_history(raw: Raw, protocols: Sequence[Protocol] = ()) -> tuple[Incoming | None, list[str]]:
    """A history of an import file, checked by replaying it under the built-in and the
    registered `protocols` (None when it does not replay); and every problem found, each once:
    a transition's misspelt trigger, its malformed fields and a parent's or the child's
    organisation (`_family_organisation`) whether or not the history replays, then what its
    replay finds."""
    label, history, claims = raw
    if not isinstance(history, list) or not history:
        return None, [f"{label}: the history must be a non-empty list of transitions"]
    problems: list[str] = []
    transitions: list[Transition] = []
    bad = False
    for position, entry in enumerate(history, start=1):
        unknown = _unknown_trigger(entry)
        if unknown is not None:  # else only the replay finds it, after every other problem
            problems.append(f"{label}, transition {position}: Transition.trigger: {unknown}")
            bad = True
        try:
            transition = transition_from_json(entry)
        except FormInvalid as error:
            problems += [
                f"{label}, transition {position}: {problem}" for problem in form_problems(error)
            ]
            bad = True
            continue
        transitions.append(transition)
        if transition.actor.family_with_organisation:  # named whatever else is wrong
            problems.append(_family_organisation(_naming_case(label, history), transition))
    if bad:
        return None, problems
    try:
        case = Reintegration.replay(transitions, protocols=protocols)
    except UnknownProtocol as error:
        failure = failure_from(error)
        return None, [*problems, f"{label}: {failure.message}. {' '.join(failure.reasons)}"]
    except FormInvalid as error:
        return None, [
            *problems,
            *(f"{label}: the history does not replay: {p}" for p in form_problems(error)),
        ]
    except (ProtocolError, ValueError, KeyError, TypeError) as error:
        return None, [*problems, f"{label}: the history does not replay: {error}"]
    mismatched = _claims_problems(label, claims, case)
    if mismatched:
        return None, problems + mismatched
    notes = claims.get("redactions")
    count = len(notes) if isinstance(notes, list) else 0
    removed = identity_placeholder(case.pupil) or holds_placeholder(transitions)
    return Incoming(label, tuple(transitions), case, count, removed), problems


@attrs.frozen
class Checked:
    """What the import keeps of a history once it has replayed: what it is checked against
    the store with, and what is said of it, without its transitions."""

    label: str
    case_id: str
    authority: str
    redactions: int
    """The redaction records its export carries."""
    removed: str | None
    """What of it a redaction removed (with no record of who, for a bare history), or None."""
    unfingerprinted: str | None
    """The note `unfingerprinted` gives it, or None."""


def checked(item: Incoming) -> Checked:
    """What the import keeps of `item`."""
    removed = None
    if item.removed:
        removed = (
            "its child's name or date of birth"
            if identity_placeholder(item.case.pupil)
            else "values in it"
        )
    return Checked(
        item.label,
        item.case.case_id,
        item.case.local_authority,
        item.redactions,
        removed,
        unfingerprinted(item),
    )


def _records(item: Checked) -> str:
    return f"{item.redactions} redaction record{'' if item.redactions == 1 else 's'}"


def records_refused(item: Checked) -> str:
    """Why `item` is not imported without `--without-redaction-records`: its file carries
    redaction records, or (a bare history) its child's name or date of birth was removed and
    it carries no record of who removed them."""
    if item.redactions:
        return (
            f"{item.label}: its file carries {_records(item)}, which an import cannot carry "
            "(the removed values' placeholders would become its text, and nothing would say "
            "who removed them); copy the database to move a store, or give "
            "--without-redaction-records"
        )
    return (
        f"{item.label}: a redaction removed {item.removed}, and it carries no record of who "
        "removed them (the placeholders would become its text); copy the database to move a "
        "store, or give --without-redaction-records"
    )


def records_dropped(item: Checked) -> str:
    """The note of `item` imported with `--without-redaction-records`: what it was imported
    without."""
    if item.redactions:
        return f"{item.label} was imported without its {_records(item)}: the export file keeps them"
    return (
        f"{item.label} was imported with {item.removed} removed, and no record of who removed "
        "them: the store it came from keeps it"
    )


def unfingerprinted(item: Incoming) -> str | None:
    """What to say of a history naming an authority's protocol without its fingerprint
    (written before fingerprints were, or with it removed): nothing tells whether the file
    registered under that name has changed since; None for any other history."""
    named = item.history[0].data.get("protocol")
    protocol = item.case.protocol
    if protocol.built_in or not isinstance(named, Mapping) or FINGERPRINT in named:
        return None
    return (
        f"{item.label} names protocol {protocol.id} {protocol.version} without its fingerprint "
        "(written before fingerprints were, or with it removed): it was checked against the "
        "rules of the file registered under that name alone"
    )


def case_only(incoming: Sequence[Checked], stored: Iterable[str]) -> list[str]:
    """Problems for ids that differ only in letters' case or Unicode form from a case's in
    `stored` (the ids of the cases the store may show) or from another one given before them,
    as `apply ... open` compares them (`fields.folded_text`): two children's records nobody
    could tell apart by ear or on paper (an accent typed apart from its letter reads as the
    accented letter, on every screen)."""
    known = {folded_text(case_id): case_id for case_id in stored}
    given: dict[str, Checked] = {}
    problems = []
    for item in incoming:
        case_id = item.case_id
        folded = folded_text(case_id)
        first = given.setdefault(folded, item)
        if known.get(folded, case_id) != case_id:
            problems.append(
                f"{item.label}: case id {case_id!r} differs from the case {known[folded]!r} "
                f"only in {differing_only_in(case_id, known[folded])}"
            )
        elif first.case_id != case_id:
            problems.append(
                f"{item.label}: case id {case_id!r} differs only in "
                f"{differing_only_in(case_id, first.case_id)} from {first.label}"
            )
    return problems


def refused_ids(incoming: Sequence[Checked]) -> list[str]:
    """Problems for ids `apply ... open` refuses (`pasted.refusal`: a character nobody sees, a
    blank one, letters that read as others, a noncharacter): an import adds no case that
    `open` would not, though its history, recorded before, replays."""
    return [
        f"{item.label}: case id {refused}"
        for item in incoming
        if (refused := pasted.refusal(item.case_id)) is not None
    ]


def _family_organisation(label: str, transition: Transition) -> str:
    """The problem of a step a parent or the child took giving an organisation (text that
    prints something, as R15 reads it of a step taken now), which `apply` refuses: the log
    would keep it where no redaction or retention run reaches it. A history recorded before
    `apply` refused it replays, but an import adds no such step to a store. It is found as the
    file is read, beside a misspelt trigger or a history that does not replay (review Y, Y5)."""
    return (
        f"{label}, transition {transition.seq} ({transition.trigger}): "
        f"{ROLE_WORDS[transition.actor.role]}, who acts for themselves, gave an organisation, "
        "which the case's log would keep where no `redact` or `retention` run could remove it; "
        "copy the database to move the case, or edit the file to remove the organisation"
    )


def _naming_case(label: str, history: Sequence[Any]) -> str:
    """`label`, with the case id its history opens when the label does not name it (a bare
    history, or an item of a list that is one); as it is when the first transition names none."""
    if label.startswith("case ") or label.endswith(")"):
        return label
    first = history[0]
    data = first.get("data") if isinstance(first, Mapping) else None
    case_id = data.get("case_id") if isinstance(data, Mapping) else None
    return label if case_id is None else f"{label} (case {_id_shown(case_id)})"


def duplicates(incoming: Sequence[Checked]) -> list[str]:
    """Problems for case ids given more than once in one file."""
    seen: dict[str, str] = {}
    problems = []
    for item in incoming:
        case_id = item.case_id
        if case_id in seen:
            problems.append(f"{item.label}: case {case_id!r} is also given by {seen[case_id]}")
        else:
            seen[case_id] = item.label
    return problems
