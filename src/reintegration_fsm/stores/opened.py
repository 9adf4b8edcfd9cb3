"""The protocols a store's cases were opened under: one set of rules for each authority's
protocol `(id, version)`.

An `open` under an authority's protocol records its rules' fingerprint. A store keeps, for each
local authority and protocol `(id, version)`, the fingerprint the authority's first case under
it recorded (`rfsm_protocols`, since schema revision 0015), and refuses a new case of that
authority recording other rules under that name. Without it, a
protocol file edited in place (without a new version) opened new cases under the edited rules
beside the cases opened under the old ones, and part of the caseload then failed to load
whichever file was registered.

In one store a protocol's `(id, version)` names one set of rules: a new case is refused too
under a name another authority's cases hold with other rules, telling of none of them. Two
authorities' files of one name and other rules could otherwise both open cases, and then no
command replaying every authority's cases could load them all under any registration.

The same file read by a library whose current edition of the rules is another gives another
fingerprint, and is the same protocol (`definition.in_some_edition`).

In one store a name read aloud names one protocol: a new case is refused under a name the store
keeps, or was given, in other letters' case (`exampleshire 2027.1` kept, `Exampleshire 2027.1`
new), whichever came first (review RX, RX1). Registering both files at once refuses the open
before (review AP, AP3); one registered on one run and the other on the next put cases under
both names into one store, which every report and letter names alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import ChangedProtocol
from reintegration_fsm.protocol.definition import FINGERPRINT, Protocol, in_some_edition, read_aloud

Key = tuple[str, str, str]
"""A local authority and a protocol's `(id, version)`."""
Name = tuple[str, str]
"""A protocol's `(id, version)`."""


@attrs.frozen
class Opened:
    """A protocol as an authority's first case in a store under its `(id, version)` recorded
    it."""

    authority: str
    protocol_id: str
    version: str
    fingerprint: str
    first_case_id: str

    @property
    def key(self) -> Key:
        """The authority and the protocol's `(id, version)`."""
        return (self.authority, self.protocol_id, self.version)

    @property
    def name(self) -> Name:
        """The protocol's `(id, version)`."""
        return (self.protocol_id, self.version)

    def row(self) -> dict[str, str]:
        """The `rfsm_protocols` row."""
        return attrs.asdict(self)


def opened_under(case: Reintegration) -> Opened | None:
    """The protocol `case` was opened under, as a store keeps it: None when its `open` records
    no fingerprint (the library's own protocols, and a history recorded before fingerprints
    were), which leaves nothing to compare."""
    protocol = case.protocol
    history = case.history
    if protocol.built_in or not history:
        return None
    named: Any = history[0].data.get("protocol")
    if not isinstance(named, Mapping) or not isinstance(named.get(FINGERPRINT), str):
        return None
    fingerprint = named[FINGERPRINT]
    return Opened(case.local_authority, protocol.id, protocol.version, fingerprint, case.case_id)


def named_alike(name: Name, names: Iterable[Name]) -> Name | None:
    """One of `names` that `name` equals read aloud and is not (`read_aloud`: in other
    letters' case), or None."""
    aloud = read_aloud(name)
    return next((other for other in names if other != name and read_aloud(other) == aloud), None)


def refuse_given_alike(new: Iterable[Reintegration], given: Iterable[Protocol]) -> None:
    """Refuse cases `new` to a store given protocols (`given`) of which two are named alike
    read aloud, under either: as registering both refuses an open (review AP, AP3).

    Raises:
        ChangedProtocol: (`alike`) a case of `new` was opened under one of them.
    """
    names = [protocol.key for protocol in given]
    for opened in map(opened_under, new):
        if opened is not None and (other := named_alike(opened.name, names)) is not None:
            raise ChangedProtocol(*opened.name, case_id=opened.first_case_id, alike=other)


def first_opened(new: Iterable[Reintegration], kept: Mapping[Key, Opened]) -> list[Opened]:
    """The protocols to keep for the cases `new` to a store that keeps `kept`: one for each
    authority and `(id, version)` it does not keep yet, from the first of `new` opened under it.

    Raises:
        ChangedProtocol: a case of `new` was opened under other rules than its authority's in
            the store (or an earlier case of `new`) under its protocol's `(id, version)`, or
            (`taken`) than another authority's there, or (`alike`) under a name the store (or
            an earlier case of `new`) keeps in other letters' case; `opening` is True.
    """
    known = dict(kept)
    named: dict[Name, list[Opened]] = {}
    for protocol in known.values():
        named.setdefault(protocol.name, []).append(protocol)
    added: list[Opened] = []
    for case in new:
        opened = opened_under(case)
        if opened is None:
            continue
        alike = named_alike(opened.name, named)
        if alike is not None:
            raise ChangedProtocol(*opened.name, case_id=case.case_id, alike=alike)
        first = known.get(opened.key)
        if first is not None and not in_some_edition(case.protocol, first.fingerprint):
            raise ChangedProtocol(
                opened.protocol_id, opened.version, case_id=case.case_id, opening=True
            )
        for other in named.get(opened.name, ()):
            if other.authority != opened.authority and not in_some_edition(
                case.protocol, other.fingerprint
            ):
                raise ChangedProtocol(
                    opened.protocol_id, opened.version, case_id=case.case_id, taken=True
                )
        if first is None:
            known[opened.key] = opened
            named.setdefault(opened.name, []).append(opened)
            added.append(opened)
    return added


def keys(new: Iterable[Reintegration]) -> set[Key]:
    """The authority and `(id, version)` of each protocol with a fingerprint that `new` cases
    were opened under."""
    return {opened.key for opened in map(opened_under, new) if opened is not None}


def kept_problem(case: Reintegration, kept: Mapping[Key, Opened]) -> str | None:
    """What `verify()` says of a stored `case` whose protocol the store keeps no rules, or
    other rules, for (`kept`: the store's `rfsm_protocols`); None when they agree, or when the
    case's `open` records no fingerprint."""
    opened = opened_under(case)
    if opened is None:
        return None
    named = f"protocol {opened.protocol_id} {opened.version}"
    first = kept.get(opened.key)
    if first is None:
        return (
            f"opened under {named}, whose rules the store does not keep for the case's "
            "authority (rfsm_protocols: a row removed behind the store)"
        )
    if not in_some_edition(case.protocol, first.fingerprint):
        return (
            f"opened under {named} with other rules than the store keeps for the case's "
            "authority under that name (rfsm_protocols: a file edited in place before schema "
            "revision 0015, or a row altered behind the store)"
        )
    return None
