"""What a store refuses before it writes or asks its database: a scope or view of no authority,
text no stored id can be, a case under a protocol it was not given or of another authority, a
value its columns would refuse or cut."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import String, Table

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import (
    FormInvalid,
    NotPermitted,
    ProtocolDefinitionError,
    UnknownProtocol,
)
from reintegration_fsm.fields import ID_LENGTH, NAME_LENGTH, encodes, identifier
from reintegration_fsm.protocol.definition import (
    KNOWN,
    differing_rules,
    protocol_registry,
    under_earlier_edition,
)
from reintegration_fsm.stores.schema import cases, open_items, transitions, weightings


# -- who may write -------------------------------------------------------------------------------
def check_scope(authority: object) -> None:
    """Refuse to scope a store to what no case's authority can be (a blank name, one that starts
    or ends with a space, or holds a control character or a lone surrogate); None is every
    authority's.

    Raises:
        FormInvalid: saying why.
    """
    if authority is not None:
        problem = identifier(authority, "authority", NAME_LENGTH)
        if problem is not None:
            raise FormInvalid("store", "authority", problem)


def check_view(scope: str | None, authority: object) -> None:
    """Refuse to make a view (`for_authority`) of what is no authority: as `check_scope`, and
    None too (a view of every authority's cases, made from a scoped store, would see them);
    and, from a store scoped to `scope`, a view of any other authority (a scope only narrows:
    code handed a scoped store must not step out of it).

    Raises:
        FormInvalid: `authority` is no authority's name.
        NotPermitted: `scope` is set and `authority` is another one.
    """
    if authority is None:
        raise FormInvalid("store", "authority", "a view is of one authority's cases, not None")
    check_scope(authority)
    if scope is not None and authority != scope:
        raise NotPermitted(
            "for_authority",
            None,
            f"a store scoped to {scope!r} makes views of that authority's cases only",
        )


def could_be_stored(value: object, most: int = ID_LENGTH) -> bool:
    """False for text no stored case id or name can be (see `fields.identifier`): blank, with a
    space at either end, a control character or a lone surrogate, or too long. A database need
    never be asked for it, nor can its collation confuse it with a stored one (MariaDB ignores
    trailing spaces when it compares)."""
    return not isinstance(value, str) or identifier(value, "id", most) is None


def refuse_unknown_protocol(protocols: Sequence[Any], case: Reintegration) -> None:
    """Refuse to write a case run under a protocol the store was not given (besides the
    built-in ones): it could not load, list for retention or verify what it wrote.

    A protocol of the case's `(id, version)` setting the same rules (its fingerprint) is the
    case's, whatever its title and source say: correcting them changes no rule.

    Raises:
        UnknownProtocol: the store knows no protocol of the case's `(id, version)`.
        ProtocolDefinitionError: it knows one of that `(id, version)` setting other rules.
    """
    protocol = case.protocol
    if any(protocol is known for known in KNOWN) or any(protocol is p for p in protocols):
        return
    registry = protocol_registry(protocols)
    known = registry.get(protocol.key)
    if known is None:
        raise UnknownProtocol(protocol.id, protocol.version, sorted(registry), case_id=case.case_id)
    if known.fingerprint != protocol.fingerprint and not under_earlier_edition(known, protocol):
        named = f"{protocol.id} {protocol.version}"
        raise ProtocolDefinitionError(
            "protocols",
            f"case {case.case_id!r} runs under {named} with other rules than the store's "
            f"{named} (rules {protocol.fingerprint[:12]}, the store's "
            f"{known.fingerprint[:12]}): they differ in "
            f"{', '.join(differing_rules(protocol, known))}; give the store the protocol as the "
            "case was opened under it, and publish a change as a new version",
        )


def filed_under(case: Reintegration) -> str:
    """The local authority a store files `case` under: the one its history's `open` names.

    A store writes the history, so the history's authority is what a scope is checked against
    and what the case row records (R15); a case object claiming another (a relabelled copy
    of another authority's case) is refused by every store.

    Raises:
        NotPermitted: the case object claims another authority than its history names.
    """
    history = case.history
    named = history[0].data.get("local_authority") if history else None
    claimed = case.local_authority
    if isinstance(named, str) and named != claimed:
        raise NotPermitted(
            "save",
            None,
            f"case {case.case_id!r} claims {claimed!r}, but its history names {named!r}",
        )
    return claimed


def refuse_other_authority(scope: str | None, case_id: str, authority: str) -> None:
    """Refuse to write a case of `authority` in a store scoped to another one.

    The refusal names only the store's own authority: `authority` may be a stored row's, and
    a caller at one authority must not learn which other one holds an id (R15).

    Raises:
        NotPermitted: `scope` is set and `authority` is another one.
    """
    if scope is not None and authority != scope:
        raise NotPermitted(
            "save",
            None,
            f"case {case_id!r} is not a case of {scope!r}: a store scoped to an authority "
            "writes only its cases",
        )


# -- values that fit -----------------------------------------------------------------------------
def _limits(table: Table) -> tuple[tuple[str, int], ...]:
    return tuple(
        (column.name, column.type.length)
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    )


_LIMITS = {table.name: _limits(table) for table in (cases, transitions, open_items, weightings)}


_WHAT = {
    cases.name: "case",
    transitions.name: "Transition",
    open_items.name: "case",
    weightings.name: "case",
}


def check_fits(table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Refuse, before anything is written, a value the table's columns would refuse or cut.

    Every engine then behaves alike: SQLite would store an over-long value that PostgreSQL and
    MariaDB refuse, and no driver meets text it cannot encode. The message names the column,
    never the value (it may be a child's name).

    Raises:
        FormInvalid: a text value is too long, holds a NUL, or is not valid Unicode.
    """
    limits = _LIMITS[table.name]
    what = _WHAT[table.name]
    for row in rows:
        for name, length in limits:
            value = row.get(name)
            if type(value) is not str:
                continue
            problem = None
            if len(value) > length:
                problem = f"longer than {length} characters"
            elif "\x00" in value:
                problem = "holds a NUL character"
            elif not value.isascii() and not encodes(value):
                problem = "is not valid Unicode"
            if problem is not None:
                where = f" (seq {row['seq']})" if "seq" in row else ""
                raise FormInvalid(what, name, problem + where)
