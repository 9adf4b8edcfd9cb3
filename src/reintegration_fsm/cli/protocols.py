"""Authorities' protocols on the command line: register them, check a file, show one."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence

import attrs
import click
from click.core import ParameterSource

from reintegration_fsm.cli import options
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.once import option
from reintegration_fsm.cli.options import DATE
from reintegration_fsm.cli.protocol_files import (
    ProtocolFile,
    file_problem,
    paths_of,
    refused_file,
    refused_opening,
    registrable_file,
)
from reintegration_fsm.cli.settings import settings
from reintegration_fsm.cli.text import neutralise
from reintegration_fsm.protocol import diagrams
from reintegration_fsm.protocol.definition import (
    KNOWN,
    WORCESTERSHIRE,
    Protocol,
    edition_problem,
    opening_refusal,
    shipped_id,
)
from reintegration_fsm.vocabulary import Evidence, Party


def named(protocol: Protocol) -> str:
    """`ID@VERSION`, as `--under` names a protocol, as a line of output shows it."""
    return (
        f"{neutralise(protocol.id, single_line=True)}@"
        f"{neutralise(protocol.version, single_line=True)}"
    )


UNDER_ENV = "RFSM_UNDER"
"""A deployment's default for `--under`: the protocol `apply ... open` opens a case under, and
whose review weeks `calendar suggest-reviews` proposes, when the command gives no `--under`."""


def under_from_environment(ctx: click.Context) -> bool:
    """Whether the command's `--under` is `UNDER_ENV`'s: none typed, and the variable set.
    Set but empty too, which click reads as unset: a deployment's `RFSM_UNDER=$LA_PROTOCOL`
    with `LA_PROTOCOL` unset must not open cases under the seed's without a word."""
    source = ctx.get_parameter_source("under")
    if source is ParameterSource.ENVIRONMENT:
        return True
    return source is ParameterSource.DEFAULT and os.environ.get(UNDER_ENV) == ""


def chosen(
    protocols: Sequence[Protocol],
    name: str | None,
    on: dt.date,
    *,
    from_environment: bool,
    opening: bool = False,
    files: Mapping[tuple[str, str], ProtocolFile] | None = None,
) -> Protocol:
    """The protocol `--under` names, as `choose`; `from_environment`, the name is
    `UNDER_ENV`'s, and a refusal of it says so (a protocol file's problem says so itself).
    `files`: the registered protocols' files, by `(id, version)`, named in a refusal.

    Raises:
        Failure: as `choose`, and `UNDER_ENV` set but empty (exit 2).
    """
    if not from_environment:
        return choose(protocols, name, on, opening=opening, files=files)
    advice = (
        f"{UNDER_ENV} names the protocol where a command gives no --under: correct it, give "
        f"--under ID[@VERSION], or unset {UNDER_ENV} for the seed's, {named(WORCESTERSHIRE)}."
    )
    if not name:
        raise Failure(f"{UNDER_ENV} is set but empty", (advice,))
    try:
        # An exact ID@VERSION is not checked by `choose` (`open` refuses it in its own words,
        # which cannot say where the name came from): here it is, as an ID alone is.
        found = choose(protocols, name, on, opening=opening, files=files)
        return _opening(found, "the version named", opening, protocols, files)
    except Failure as error:
        raise Failure(
            f"{UNDER_ENV}: {error.message}", (*error.reasons, advice), error.exit_code
        ) from None


def choose(
    protocols: Sequence[Protocol],
    name: str | None,
    on: dt.date,
    *,
    opening: bool = False,
    files: Mapping[tuple[str, str], ProtocolFile] | None = None,
) -> Protocol:
    """The protocol `--under` names among the built-in and registered ones: `ID@VERSION`, or
    an `ID` alone: its one version, or of several the one in force on `on` (the latest
    `effective_from` on or before it; of several from that day, the one of the current
    edition); `WORCESTERSHIRE` when no name is given. A registered
    file of a built-in's id and version is the built-in (which is what a case would run).

    Raises:
        Failure: no such protocol is known, the name fits two (an `@` in an id or a version),
            or no version of the id is in force on `on`, or two are, or, `opening` a case, the
            version an `ID` alone names opens none (exit 2), naming them: never the version it
            superseded in its place, or, `opening`, another registered protocol is named as
            it is in other letters' case (`registered_alike`; with `files`, theirs named).
    """
    if name is None:
        return WORCESTERSHIRE
    known = _distinct([*KNOWN, *protocols])
    # The whole name first, as ID@VERSION then as an ID: an id or a version may hold an `@`
    # itself (`example@shire`), which no split of the name can tell.
    named = [p for p in known if f"{p.id}@{p.version}" == name]
    if len(named) > 1:
        raise Failure(f"{neutralise(name)!r} names {_listed(named)}: rename one of the files")
    if named:
        # `open` refuses an exact name in its own words, but knows no other registered
        # protocol (one named alike: review AP, AP3) nor the file it was read from (AP6):
        # refused here, as a name that is not exact is.
        refusal = opening_refusal(named[0], registered=protocols, files=paths_of(files or {}))
        if opening and refusal is not None:
            return _opening(named[0], "the version named", opening, protocols, files)
        return named[0]
    versions = [p for p in known if p.id == name]
    if not versions:
        names = ", ".join(f"{p.id}@{p.version}" for p in known)
        raise Failure(
            f"no protocol {neutralise(name)!r} is known",
            (f"Known: {names}. Register a file with --protocol FILE.",),
        )
    if len(versions) == 1:
        which = f"the one version of {neutralise(name)!r}"
        return _opening(versions[0], which, opening, protocols, files)
    started = [p for p in versions if p.effective_from <= on]
    if not started:
        raise Failure(
            f"no version of {neutralise(name)!r} is in force on {on.isoformat()} "
            f"({_listed(versions)})",
            ("A case opens under a version from the day it takes effect (R1).",),
        )
    latest = max(p.effective_from for p in started)
    in_force = [p for p in started if p.effective_from == latest]
    # A version republished for the current edition from the same day supersedes the earlier
    # edition's (worcestershire 3 and 2). Only the edition breaks the tie: a version that opens
    # no case for another reason is no less in force, and `_opening` refuses it by name.
    in_force = [p for p in in_force if edition_problem(p) is None] or in_force
    if len(in_force) == 1:
        which = f"the version of {neutralise(name)!r} in force on {on.isoformat()}"
        return _opening(in_force[0], which, opening, protocols, files)
    raise Failure(
        f"{neutralise(name)!r} names several versions in force from {latest.isoformat()}: "
        f"give ID@VERSION ({_listed(versions)})"
    )


def picked_by_id(
    protocols: Sequence[Protocol], name: str, protocol: Protocol, on: dt.date
) -> str | None:
    """The note `apply ... open --under ID` says on stderr where `ID` alone (`name`) picked
    `protocol`, the version in force on the opening day `on`, among several registered: which
    version the case keeps for life, and the others with their dates, so that a version
    published with a mistyped `effective_from` (a `2` in force before the `1` it revises) is
    seen at once, not read as the one meant (review AU, AU5). None where the name gave the
    version, or the id has one that opens cases."""
    if name == f"{protocol.id}@{protocol.version}":
        return None
    versions = [
        p
        for p in _distinct([*KNOWN, *protocols])
        if p.id == protocol.id and (p.opens_cases or p == protocol)
    ]
    if len(versions) < 2:  # an earlier edition's, which opens no case, is no choice
        return None
    return (
        f"note: opened under {named(protocol)}, the version of {neutralise(protocol.id)!r} in "
        f"force on {on.isoformat()} ({_listed(versions)}): the case runs under its deadlines and "
        "weighting for life. To open it under another, give --under ID@VERSION."
    )


def _opening(
    protocol: Protocol,
    which: str,
    opening: bool,
    registered: Sequence[Protocol],
    files: Mapping[tuple[str, str], ProtocolFile] | None,
) -> Protocol:
    """`protocol`, the version `--under` names (`which` says how); `opening` a case, only if
    one opens under it (and no other of the `registered` is named as it is in other letters'
    case): an earlier version it superseded is not in force in its place.

    Raises:
        Failure: `opening`, and no new case opens under it (exit 2), saying why.
    """
    if not opening:
        return protocol
    file = (files or {}).get(protocol.key)
    refusal = opening_refusal(protocol, registered=registered, files=paths_of(files or {}))
    if refusal is None and protocol.opens_cases:
        return protocol
    if refusal is None:  # an earlier edition of the rules
        why = [neutralise(f"it {edition_problem(protocol)}")]
    else:
        why = refused_opening(refusal, file)
    source = "" if file is None else f" (protocol file {neutralise(file.path)})"
    raise Failure(
        f"no new case opens under {named(protocol)}{source}, {which}",
        (
            *why,
            "Cases opened under it before still load and finish while it is registered; open "
            f"new ones under {_instead(protocol)} that opens cases (or name another with --under "
            "ID@VERSION).",
        ),
    )


def _instead(protocol: Protocol) -> str:
    """What to open new cases under in place of `protocol`: a new version, or, of the shipped
    id, whose every version is the library's (review AP, AP8), a copy with an id of one's own
    (review RX, RX3)."""
    return "a copy with an id of your own" if shipped_id(protocol) else "a new version"


def _distinct(found: Sequence[Protocol]) -> list[Protocol]:
    """`found` without a second protocol of the same id and version (the first is kept)."""
    first: dict[tuple[str, str], Protocol] = {}
    for protocol in found:
        first.setdefault(protocol.key, protocol)
    return list(first.values())


def _listed(found: Sequence[Protocol]) -> str:
    """Protocols as `ID@VERSION from DATE`, oldest first."""
    return ", ".join(
        f"{named(p)} from {p.effective_from.isoformat()}"
        for p in sorted(found, key=lambda p: p.effective_from)
    )


def parameters(protocol: Protocol) -> list[tuple[str, str]]:
    """The protocol's fields and values, as a reader sees them."""
    rows = []
    for field in attrs.fields(Protocol):
        if field.name == "roles":
            continue
        value = getattr(protocol, field.name)
        if isinstance(value, frozenset):
            order = list(Party) + list(Evidence)
            text = ", ".join(item.value for item in order if item in value) or "(none)"
        elif isinstance(value, tuple):
            text = ", ".join(str(item) for item in value)
        else:
            text = str(value)
        rows.append((field.name, text))
    return rows


@click.group("protocol")
def protocol_group() -> None:
    """Check and show authorities' protocols (TOML files; see docs/protocols.md)."""


def checked(file: str, ctx: click.Context) -> tuple[Protocol, str]:
    """The protocol of a file `protocol check` passes, and the file's text: one a registry
    takes and a new case may open under (or of an earlier edition, whose cases replay),
    beside the protocols registered (`--protocol`).

    Raises:
        Failure: the file cannot be read, cannot be registered, or no new case may open under
            it, each problem at its line (exit 2).
    """
    found, text = registrable_file(file)
    registered = settings(ctx).protocols()  # after the file's own problems
    files = paths_of(settings(ctx).protocol_files_read())
    error = opening_refusal(found, text, file, registered=registered, files=files)
    if error is not None:
        raise refused_file(
            file,
            error,
            (
                "No new case opens under it. Cases opened under it before still load and "
                "finish while it is registered (--protocol); open new ones under "
                f"{_instead(found)}.",
            ),
        )
    return found, text


@protocol_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def check(ctx: click.Context, file: str) -> None:
    """Check a protocol file: exit 0 when it can run, 2 with the field and line when not."""
    found, text = checked(file, ctx)
    click.echo(
        f"ok: {neutralise(found.id)} {neutralise(found.version)} ({neutralise(found.title)})"
    )
    earlier = edition_problem(found)
    if earlier is not None:
        click.echo(f"note: it {earlier}")
    # A likely slip that changes nothing: the file is ok (exit 0), and the warning says where.
    for warning in Protocol.file_warnings(text, file):
        click.echo(f"warning: {file_problem(file, *warning)}", err=True)


@protocol_group.command("show")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@option(
    "--under",
    metavar="ID[@VERSION]",
    help="A registered or built-in protocol by name (ID alone: its version in force on --on).",
)
@option(
    "--on",
    type=DATE,
    default=None,
    help="With --under ID alone: the version in force on this day (default: today).",
)
@click.pass_context
def show(ctx: click.Context, file: str | None, under: str | None, on: dt.date | None) -> None:
    """Print a protocol's parameters, transition table and diagram (Worcestershire's by default).

    FILE is a protocol TOML file; or name one registered with --protocol (or built in) with
    --under ID@VERSION, or --under ID for its version in force (--on, default today).
    """
    if file is not None and under is not None:
        raise Failure("give a FILE or --under, not both")
    if on is not None and under is None:
        raise Failure("--on picks among the versions --under ID names: give --under too")
    if file is not None:
        found, _ = checked(file, ctx)  # a file check refuses shows rules no new case runs under
    else:
        found = choose(settings(ctx).protocols(), under, on or options.today())
    click.echo(f"# {neutralise(found.title)} ({neutralise(found.id)} {neutralise(found.version)})")
    click.echo("")
    width = max(len(name) for name, _ in parameters(found))
    for name, value in parameters(found):
        click.echo(f"{name:<{width}}  {neutralise(value)}")
    click.echo("")
    click.echo(diagrams.markdown(found), nl=False)
    click.echo("")
    click.echo("```mermaid")
    click.echo(diagrams.mermaid(), nl=False)
    click.echo("```")


__all__ = ["UNDER_ENV", "choose", "chosen", "protocol_group", "under_from_environment"]
