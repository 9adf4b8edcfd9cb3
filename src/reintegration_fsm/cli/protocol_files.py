"""Authorities' protocol files named on the command line (`--protocol`, RFSM_PROTOCOLS), read
and checked."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import attrs

from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.text import neutralise
from reintegration_fsm.errors import PROBLEMS_SHOWN, ProtocolDefinitionError
from reintegration_fsm.protocol.definition import (
    KNOWN,
    OWN_ID_EXAMPLE,
    WHOLE_FILE,
    Protocol,
    differing_rules,
    located_in,
    protocol_registry,
    protocol_text,
)

PROTOCOLS_ENV = "RFSM_PROTOCOLS"
"""Protocol files to register, separated by the system's path separator (`:` on Linux)."""


def read_protocol_file(path: str) -> tuple[Protocol, str]:
    """A protocol read from a TOML file, and the file's text (read once: it may be a pipe);
    its problems as a `Failure` (exit 2).

    Raises:
        Failure: the file cannot be read, or defines a protocol that cannot run.
    """
    try:
        text = protocol_text(path)
        return Protocol.from_toml(text, path), text
    except ProtocolDefinitionError as error:
        raise refused_file(path, error) from None
    except OSError as error:
        raise Failure(f"cannot read protocol file {neutralise(path)}: {error.strerror}") from None


def registrable(path: str) -> Protocol:
    """A protocol read from a TOML file and checked as registering it checks it: a file of a
    shipped protocol's id and version must be that protocol.

    Raises:
        Failure: the file cannot be read, defines a protocol that cannot run, or claims a
            shipped protocol's id and version with other rules (exit 2).
    """
    return registrable_file(path)[0]


def registrable_file(path: str) -> tuple[Protocol, str]:
    """A protocol read and checked as `registrable` does, and the file's text.

    Raises:
        Failure: as `registrable`.
    """
    found, text = read_protocol_file(path)
    try:
        protocol_registry([found])
    except ProtocolDefinitionError as error:
        shipped = next((p for p in KNOWN if p.key == found.key), None)
        if shipped is None:
            problem = neutralise(error.problem)
            raise Failure(f"protocol file {neutralise(path)}: {problem}") from None
        # At the id's line, with the rules the file changes (review AU, AU4).
        named = [f for f in ("title", "source") if getattr(shipped, f) != getattr(found, f)]
        changed = ", ".join(differing_rules(shipped, found) or named)
        problem = (
            f"{found.id} {found.version} is a protocol the library ships, and the file changes "
            f"its {changed}; give yours an id of your own ({OWN_ID_EXAMPLE})"
        )
        located = located_in(ProtocolDefinitionError("id", problem), text, path)
        raise refused_file(path, located) from None
    return found, text


def refused_file(path: str, error: ProtocolDefinitionError, advice: Sequence[str] = ()) -> Failure:
    """The `Failure` (exit 2) of a protocol file `error` names the problems of, each at its
    line, then `advice`."""
    problems = error.problems
    if len(problems) == 1:
        return Failure(file_problem(path, *problems[0]), tuple(advice))
    shown = [
        problem_line(field, problem, line) for field, problem, line in problems[:PROBLEMS_SHOWN]
    ]
    if len(problems) > PROBLEMS_SHOWN:
        shown.append(f"... and {len(problems) - PROBLEMS_SHOWN:,} more: fix these first")
    return Failure(f"protocol file {neutralise(path)}: {len(problems)} problems", (*shown, *advice))


def file_problem(path: str, field: str, problem: str, line: int | None) -> str:
    """A file's one problem (or warning) as a line that names the file: `protocol file F, line
    11: review_weeks: ...`, or `protocol file F: ...` for one at no line."""
    joined = ":" if line is None else ","
    return f"protocol file {neutralise(path)}{joined} {problem_line(field, problem, line)}"


def problem_line(field: str, problem: str, line: int | None) -> str:
    """One problem of a file: `line 11: review_weeks: must increase ...` (the file's own
    problems, such as text that is not TOML, without a field)."""
    where = "" if line is None else f"line {line}: "
    return neutralise(f"{where}{'' if field == WHOLE_FILE else f'{field}: '}{problem}")


@attrs.frozen
class ProtocolFile:
    """A registered protocol's file: its name, and its text as read (once: it may be a pipe)."""

    path: str
    text: str


def registered(paths: Sequence[str]) -> tuple[tuple[Protocol, ProtocolFile], ...]:
    """The protocols of `--protocol FILE` options (and `RFSM_PROTOCOLS`), read and checked
    (each as `registrable`, then against each other), each with its file."""
    found = [(*registrable_file(path), path) for path in paths]
    first: dict[tuple[str, str], tuple[Protocol, str]] = {}
    for protocol, _, path in found:
        seen, seen_path = first.setdefault(protocol.key, (protocol, path))
        if seen != protocol:
            # Both files and what differs: with several in RFSM_PROTOCOLS, the officer would
            # otherwise diff every file by hand (review AP, AP1).
            differ = differing_rules(seen, protocol) or tuple(
                name
                for name in ("title", "source")
                if getattr(seen, name) != getattr(protocol, name)
            )
            raise Failure(
                f"two different protocol files are both {neutralise(protocol.id)} "
                f"{neutralise(protocol.version)}: {neutralise(seen_path)} and {neutralise(path)}",
                (
                    f"They differ in {', '.join(differ)}. Give a revision its own version, and "
                    "keep the old file registered while cases opened under it run.",
                ),
            )
    return tuple((protocol, ProtocolFile(path, text)) for protocol, text, path in found)


def paths_of(files: Mapping[tuple[str, str], ProtocolFile]) -> dict[tuple[str, str], str]:
    """The files' names by `(id, version)`, as the domain's refusals name them."""
    return {key: file.path for key, file in files.items()}


def refused_opening(error: ProtocolDefinitionError, file: ProtocolFile | None) -> list[str]:
    """Why no new case opens under a protocol (`error`, from `opening_refusal`), a line for
    each problem: at its line of the protocol's `file`, where it was registered from one
    (review AP, AP6)."""
    if file is not None:
        error = located_in(error, file.text, file.path)
    return [problem_line(field, problem, line) for field, problem, line in error.problems]


def environment_paths() -> tuple[str, ...]:
    """The protocol files `RFSM_PROTOCOLS` names."""
    value = os.environ.get(PROTOCOLS_ENV, "")
    return tuple(path for path in value.split(os.pathsep) if path)


__all__ = [
    "PROTOCOLS_ENV",
    "ProtocolFile",
    "environment_paths",
    "file_problem",
    "paths_of",
    "problem_line",
    "read_protocol_file",
    "refused_file",
    "refused_opening",
    "registered",
    "registrable",
    "registrable_file",
]
