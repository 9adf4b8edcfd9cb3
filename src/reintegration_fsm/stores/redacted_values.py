"""The values a redaction removes, as they were, and the other copies of a person's name it
takes with them, found as a subject access request finds a child's records."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.fields import loosely_folded_name
from reintegration_fsm.stores import personal
from reintegration_fsm.stores.digests import column_digest
from reintegration_fsm.stores.redaction import Removal
from reintegration_fsm.stores.stored import stored_data
from reintegration_fsm.vocabulary import FAMILY_ROLES, Party, Role


@attrs.frozen
class Removed:
    """A value a redaction removes (or, `kept`, one the case holds that its reason may not
    quote either): where, and whether it is a person's name."""

    seq: int
    path: str
    value: str
    name: bool
    kept: bool = False


def _value(entry: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a stored entry (`actor.name`: its actor's column)."""
    if path.startswith(f"{personal.ACTOR}."):
        return entry[f"actor_{path.split('.', 1)[1]}"]
    return personal.get(stored_data(entry), personal.concrete(path))


def removed_values(
    by_seq: Mapping[int, Mapping[str, Any]], removals: Mapping[int, Removal]
) -> list[Removed]:
    """Every value `removals` removes (all text as stored: a date of birth too), as it was."""
    found = []
    for seq, removal in sorted(removals.items()):
        entry = by_seq[seq]
        for path in removal.paths:
            value = _value(entry, path)
            if not isinstance(value, str):  # pragma: no cover - only text is removed
                continue
            if path.startswith(f"{personal.ACTOR}."):
                family = Role(entry["actor_role"]) in FAMILY_ROLES
                name = path == f"{personal.ACTOR}.name" and family
            else:
                leaf = personal.declared(entry["trigger_name"], personal.concrete(path))
                name = personal.person_name(leaf)
            found.append(Removed(seq, path, value, name))
    return found


def name_copies(
    by_seq: Mapping[int, Mapping[str, Any]], removed: Sequence[Removed]
) -> dict[int, list[str]]:
    """The paths of every other value of the case that is the same name as a person's name
    `removed` holds, as a subject access request reads it (`same_as_any`): personal text of
    any entry, and the names of the family's own actors. An erasure of the child's name is
    then complete: the meetings' attendees and the child's signed views name the child too,
    and an attendee typed "Aoife O'Brien" goes with the child's "Aoife O’Brien". With the
    child's own name (`_CHILD_NAMES`), every name in the child's place goes too, however it is
    typed (`_childs_place`: "Alex" signing the views of "Alex Example")."""
    names = [item.value for item in removed if item.name]
    if not names:
        return {}
    child = any(item.name and item.path in _CHILD_NAMES for item in removed)
    taken = {(item.seq, item.path) for item in removed}
    same = same_as_any(names)
    copies: dict[int, list[str]] = {}
    for seq, entry in sorted(by_seq.items()):
        data = stored_data(entry)
        candidates = [
            (personal.dotted(path), personal.get(data, path), child and _childs_place(data, path))
            for path in personal.personal_paths(entry["trigger_name"], data)
        ]
        actor_name = entry["actor_name"]
        role = Role(entry["actor_role"])
        if role in FAMILY_ROLES and column_digest(actor_name) is None:
            candidates.append((f"{personal.ACTOR}.name", actor_name, child and role is Role.CHILD))
        for path, value, childs in candidates:
            if (seq, path) in taken:
                continue
            if childs or same(value):
                copies.setdefault(seq, []).append(path)
    return copies


_CHILD_NAMES = frozenset({"pupil.name", "form.child_name"})
"""The fields that hold the child's own name: the `open` record's and the consent form's."""


def _childs_place(data: Any, path: personal.Path) -> bool:
    """The name at `path` is the child's by where it is, whatever is typed there ("Alex" for
    "Alex Example"): the child's signature of their views, a meeting's attendee of the child's
    party. The child's erasure removes it with the child's name (review SX, SX1)."""
    field = path[-1]
    if field == "signed_by":
        return len(path) >= 2 and path[-2] in ("views", "child_views")
    if field == "name" and len(path) >= 3 and path[-3] == "attendees":
        attendee = personal.get(data, path[:-1])
        return isinstance(attendee, Mapping) and attendee.get("party") == Party.CHILD.value
    return False


def copied_values(
    by_seq: Mapping[int, Mapping[str, Any]], copies: Mapping[int, Sequence[str]]
) -> list[Removed]:
    """The values `copies` names, as `removed_values` gives them."""
    return [
        Removed(seq, path, _value(by_seq[seq], path), True)
        for seq, paths in copies.items()
        for path in paths
    ]


def same_as_any(names: Collection[str]) -> Callable[[str], bool]:
    """Whether a value is the same person's name as one of `names`, as a subject access request
    finds a child's records (`fields.loosely_folded_name`: `rules.same_name`, and each
    apostrophe or dash as any other): what an erasure removes with the names it is asked to
    remove. Looser than `rules.same_name` so that no record subject access reads as the
    person's is left.

    A name that folds to nothing names nobody: it is the same name only as exactly the same
    text, as `rules.same_name` reads it. The names are folded once, and each value looked up:
    folding every name again for each value made an erasure of a long case's names quadratic
    (review QH, QH4)."""
    exact = frozenset(names)
    folded = frozenset(loosely_folded_name(name) for name in names)

    def same(value: str) -> bool:
        if value in exact:
            return True
        found = loosely_folded_name(value)
        return bool(found) and found in folded

    return same
