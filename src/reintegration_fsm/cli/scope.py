"""The authority a run is confined to, from the group's `--authority` and RFSM_AUTHORITY.

A scope only narrows (R15). Click would let the option replace its variable, keep the last of
two options, and read an empty variable as none (every authority's cases); each of these is a
mistake that widens or swaps a deployment's scope, so each is refused instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from reintegration_fsm.cli.errors import Failure

AUTHORITY_ENV = "RFSM_AUTHORITY"


@attrs.frozen
class Scope:
    """The authority a run reads and writes (None: every authority's), or why none can be."""

    authority: str | None
    refused: Failure | None = None
    """Raised when the run first opens its store, so that it is reported as the command's
    failure (JSON under `--format json`); commands that read no case never meet it."""


def group_scope(given: Sequence[str], environment: str | None) -> Scope:
    """The scope of the group's `--authority` options (`given`, in order) and the value of
    RFSM_AUTHORITY (`environment`, None when unset).

    Refused: RFSM_AUTHORITY set but empty; two `--authority` naming different authorities; an
    `--authority` naming another authority than RFSM_AUTHORITY.
    """
    named = list(dict.fromkeys(given))
    if environment == "":
        return Scope(
            None,
            Failure(
                f"{AUTHORITY_ENV} is set but empty",
                (
                    f"It confines every command to one authority's cases: name the authority, "
                    f"or unset {AUTHORITY_ENV} to work across every authority.",
                ),
            ),
        )
    if len(named) > 1:
        return Scope(
            None,
            Failure(
                f"--authority is given for {len(named)} authorities: "
                + ", ".join(repr(name) for name in named),
                ("A run reads and writes one authority's cases: give --authority once.",),
            ),
        )
    if environment is not None and named and named[0] != environment:
        return Scope(
            None,
            Failure(
                f"--authority {named[0]!r} conflicts with {AUTHORITY_ENV} {environment!r}",
                (
                    f"{AUTHORITY_ENV} confines this deployment to its authority: --authority may "
                    "only repeat it, never replace it.",
                ),
            ),
        )
    return Scope(named[0] if named else environment)
