"""The protocols a store or a replay knows (`protocol_registry`, `find_protocol`), the editions
of the rules a recorded case runs under, and the check that the library's own protocols set the
rules they were published with (`check_shipped`)."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping

import attrs

from reintegration_fsm.errors import (
    ALIKE,
    ALIKE_ADVICE,
    ChangedProtocol,
    ProtocolDefinitionError,
    UnknownProtocol,
    UnpublishedProtocol,
)
from reintegration_fsm.protocol.fingerprints import NAMING_FIELDS
from reintegration_fsm.protocol.protocols import (
    EDITIONS,
    KNOWN,
    SEED_FILE,
    Protocol,
    key_read_aloud,
)
from reintegration_fsm.protocol.toml_file import located_in

EDITION_3_ADDS = (
    "a review is on time when held by its date, whenever it is recorded; a party attends a "
    "review only through a named representative; meetings, the failure letter and the outcome "
    "forms are dated in order; and a placement started with the host's information or the "
    "family's visit still owed, or ended with no measures documented, is a departure"
)
"""What edition 3 adds to edition 2, in a few plain words (a refusal of an edition-2 protocol
says it)."""


def edition_problem(protocol: Protocol) -> str | None:
    """Why no new case opens under the edition of the rules `protocol` runs under, as a
    sentence's end ("runs under edition 2 of the rules, ..."); None under the current one."""
    current = EDITIONS[-1]
    if protocol.edition == current:
        return None
    if protocol.edition == 1:
        return (
            "runs under edition 1 of the rules, under which only cases recorded before protocols "
            f"were data finish; open a new case under a protocol of edition {current}"
        )
    return (
        f"runs under edition {protocol.edition} of the rules, under which the cases recorded "
        "replay and finish but no new case opens; publish a new version of the protocol with "
        f"edition = {current} (edition {current} adds: {EDITION_3_ADDS})"
    )


OWN_ID_EXAMPLE = "as exampleshire"
"""How the advice to a protocol named as the shipped one names an id of an authority's own."""


def registered_alike(
    protocol: Protocol,
    registered: Iterable[Protocol],
    files: Mapping[tuple[str, str], str],
) -> tuple[str, str] | None:
    """`(field, problem)` when another of the `registered` protocols is named as `protocol`
    is when read aloud (`key_read_aloud`), not as written: one name for two protocols, under
    neither of which a new case opens (review AP, AP3); each named with its file, given in
    `files`. None otherwise."""
    alike = [
        p
        for p in registered
        if p.key != protocol.key and key_read_aloud(p) == key_read_aloud(protocol)
    ]
    if not alike:
        return None

    def name(found: Protocol) -> str:
        where = files.get(found.key)
        return f"{found.id} {found.version}" + ("" if where is None else f" ({where})")

    others = " and ".join(dict.fromkeys(name(p) for p in alike))
    return (
        "id" if alike[0].id != protocol.id else "version",
        f"{name(protocol)} and {others}, both registered, {ALIKE}; {ALIKE_ADVICE}",
    )


def opening_refusal(
    protocol: Protocol,
    text: str | None = None,
    where: str | None = None,
    *,
    registered: Iterable[Protocol] = (),
    files: Mapping[tuple[str, str], str] | None = None,
) -> ProtocolDefinitionError | None:
    """Why no new case may open under `protocol` (`Protocol.opening_problems`, and another of
    the `registered` protocols named as it is when read aloud: `key_read_aloud`), as an error
    naming each field, and, given the file's `text` and name (`where`), its line; None when
    one may. `files`: the registered protocols' files by `(id, version)`, named beside them."""
    problems = list(protocol.opening_problems)
    alike = registered_alike(protocol, registered, files or {})
    if alike is not None:
        problems.insert(0, alike)
    if not problems:
        return None
    (field, problem), *rest = problems
    found = ProtocolDefinitionError(field, problem, also=[(f, p, None) for f, p in rest])
    if text is None or where is None:
        return found
    return located_in(found, text, where)


def protocol_registry(protocols: Iterable[Protocol]) -> Mapping[tuple[str, str], Protocol]:
    """`(id, version)` -> protocol, for the given protocols and the built-in ones.

    Raises:
        ProtocolDefinitionError: two different protocols share an `(id, version)`, or an item
            is not a `Protocol`.
    """
    if isinstance(protocols, str | bytes) or not isinstance(protocols, Iterable):
        raise ProtocolDefinitionError(
            "protocols", f"must be a collection of Protocols, not {type(protocols).__name__}"
        )
    found: dict[tuple[str, str], Protocol] = {p.key: p for p in KNOWN}
    for protocol in protocols:
        if not isinstance(protocol, Protocol):
            raise ProtocolDefinitionError("protocols", f"{protocol!r} is not a Protocol")
        already = found.get(protocol.key)
        if already is not None and already != protocol and already not in KNOWN:
            raise ProtocolDefinitionError(
                "protocols", f"two different protocols are both {protocol.id} {protocol.version}"
            )
        if already is not None and already in KNOWN and already != protocol:
            raise ProtocolDefinitionError(
                "protocols",
                f"{protocol.id} {protocol.version} is a protocol the library ships; give yours "
                f"an id of your own ({OWN_ID_EXAMPLE})",
            )
        found[protocol.key] = protocol
    return types.MappingProxyType(found)


def differing_rules(one: Protocol, other: Protocol) -> tuple[str, ...]:
    """The fields in which two protocols set other rules (every field but those naming them),
    in field order: why their fingerprints differ."""
    return tuple(
        field.name
        for field in attrs.fields(Protocol)
        if field.name not in NAMING_FIELDS
        and getattr(one, field.name) != getattr(other, field.name)
    )


def find_protocol(
    registry: Mapping[tuple[str, str], Protocol],
    protocol_id: str,
    version: str,
    fingerprint: object = None,
) -> Protocol:
    """The protocol a history names (`fingerprint`: what its `open` recorded of its rules, from
    this version on, for an authority's protocol).

    Raises:
        UnknownProtocol: the registry does not hold it.
        ChangedProtocol: it holds a protocol of that name whose rules are not the ones the
            history recorded.
        UnpublishedProtocol: it is one of the library's own, whose rules are not those it
            was published with (`check_shipped`).
    """
    found = registry.get((protocol_id, version))
    if found is None:
        raise UnknownProtocol(protocol_id, version, sorted(registry))
    refuse_unpublished(found)
    # The library's own are named without one (what replay then says of one recorded).
    if fingerprint is not None and not found.built_in and fingerprint != found.fingerprint:
        earlier = _under_earlier_edition(found, fingerprint)
        if earlier is None:
            raise ChangedProtocol(protocol_id, version)
        return earlier
    return found


def under_earlier_edition(registered: Protocol, recorded: Protocol) -> bool:
    """Whether `recorded`, a case's protocol, is `registered` under an earlier edition of the
    rules and otherwise the same (as `find_protocol` reads a case recorded so)."""
    return _under_earlier_edition(registered, recorded.fingerprint) is not None


def in_some_edition(protocol: Protocol, fingerprint: object) -> bool:
    """Whether `fingerprint` is `protocol`'s rules under its own edition or another one, the
    rest the same: the same file, read by a library whose current edition was another (a
    store's first case under it recorded so)."""
    others = [edition for edition in EDITIONS if edition != protocol.edition]
    if fingerprint == protocol.fingerprint:
        return True
    return _as_edition(protocol, fingerprint, others) is not None


def _under_earlier_edition(protocol: Protocol, fingerprint: object) -> Protocol | None:
    """`protocol` under the earlier edition of the rules whose fingerprint a history recorded,
    if it differs from it only so; else None. A file without an `edition` line, or a protocol
    built in code from `WORCESTERSHIRE`, takes the current edition: the same file or line of
    code gave the edition before when its older cases were recorded, and they finish under it."""
    earlier = [edition for edition in reversed(EDITIONS) if edition < protocol.edition]
    return _as_edition(protocol, fingerprint, earlier)


def _as_edition(protocol: Protocol, fingerprint: object, editions: list[int]) -> Protocol | None:
    """`protocol` under the first of `editions` whose rules have `fingerprint`, or None."""
    for edition in editions:
        try:
            other = attrs.evolve(protocol, edition=edition)
        except ProtocolDefinitionError:  # (a bound one edition has and the other lacks)
            continue
        if other.fingerprint == fingerprint:
            return other
    return None


SHIPPED_RULES: Mapping[tuple[str, str], str] = types.MappingProxyType(
    {
        ("worcestershire", "3"): "23163847694a3518fa77a42b03a86fb34e64d1af7994545f5eefc9cb02257a1e",
        ("worcestershire", "2"): "13581be52b7000e59c90627c64ff2586be90565a0a3f76df1da49bdba672d6ea",
        ("worcestershire", "1"): "c1254cd904730ba93c6ab5bb81dc269fec00566f903ecc48df57546a3cd7e8ed",
    }
)
"""The fingerprint of the rules each of the library's own protocols was published with. Their
cases record no fingerprint (`built_in`), so these hold them still: `worcestershire.toml`
edited in place, or changed for a new version while the earlier ones (derived from it) kept
their names, would replay every stored case under rules it was not recorded under (review MA,
MA2). A new version of the seed's protocol is a new entry here; an entry never changes."""


def check_shipped(known: Iterable[Protocol]) -> None:
    """Refuse library protocols whose rules are not those they were published with.

    Raises:
        UnpublishedProtocol: a protocol of `known` is not in `SHIPPED_RULES` under its id
            and version, or sets other rules than it says; names it (field `id`).
    """
    for protocol in known:
        if SHIPPED_RULES.get(protocol.key) == protocol.fingerprint:
            continue
        raise UnpublishedProtocol(
            "id",
            f"the library's protocol {protocol.id} {protocol.version} sets other rules than it "
            f"was published with (fingerprint {protocol.fingerprint[:12]}, published "
            f"{SHIPPED_RULES.get(protocol.key, 'never')[:12]}): its cases, which name it by id "
            f"and version alone, would replay under them. {SEED_FILE} was changed in place: "
            "reinstall the library, and publish a change to the seed's protocol as a new version",
            path=SEED_FILE,
        )


def unpublished_error(known: Iterable[Protocol]) -> UnpublishedProtocol | None:
    """What `check_shipped` raises of `known`, or None."""
    try:
        check_shipped(known)
    except UnpublishedProtocol as error:
        return error
    return None


def refuse_unpublished(protocol: Protocol) -> None:
    """Refuse `protocol` when it is one of the library's own and the library's seed file was
    changed in place (`check_shipped`): a case opened under it would record rules it was not
    published with under its name, and one replayed under it would run under them (review RG,
    RG3: `open` and `demo` wrote such cases, which a reinstalled library replayed under other
    rules without a word).

    Raises:
        UnpublishedProtocol: saying which file was changed.
    """
    if _UNPUBLISHED is not None and protocol.built_in:
        raise UnpublishedProtocol(_UNPUBLISHED.field, _UNPUBLISHED.problem, path=_UNPUBLISHED.path)


_UNPUBLISHED = unpublished_error(KNOWN)
"""Why the library's own protocols cannot be trusted (its seed file edited in place), found
once when the library is imported; raised when a case opens or replays under one
(`refuse_unpublished`), so that the command line says it as it says any refusal, and importing
still works."""
