"""What a store remembers of the case objects it loaded or saved (`holding.Seen`), and the
numbers its open-items rows go by."""

from __future__ import annotations

import gc

from reintegration_fsm.stores.holding import Held, Seen
from reintegration_fsm.stores.model import DEADLINE, OBLIGATION
from reintegration_fsm.stores.rows import item_group
from reintegration_fsm.vocabulary import DeadlineKind, ObligationKind, Party


class Case:
    """Any object taking weak references, as a case does."""


def test_a_case_is_remembered_by_identity_and_forgotten_when_collected() -> None:
    seen = Seen()
    first, twin = Case(), Case()
    seen.put(first, Held(3, "a" * 64, "Example County Council"))
    assert seen.get(first) == Held(3, "a" * 64, "Example County Council")
    assert seen.get(twin) is None  # another object, however alike
    seen.put(first, Held(4, "b" * 64, "Example County Council"))
    assert seen.get(first) == Held(4, "b" * 64, "Example County Council")
    del first
    gc.collect()
    assert seen._entries == {}


def test_a_replaced_entry_is_not_forgotten_by_its_old_reference() -> None:
    """The reference an entry replaced dies later: forgetting it must not drop the new one."""
    seen = Seen()
    case = Case()
    seen.put(case, Held(1, "a" * 64, "X"))
    old = seen._entries[id(case)]
    seen.put(case, Held(2, "b" * 64, "X"))
    seen._forget(old)  # as the old reference's callback would
    assert seen.get(case) == Held(2, "b" * 64, "X")


def test_an_object_without_weak_references_is_not_remembered() -> None:
    seen = Seen()
    seen.put(7, Held(1, "a" * 64, "X"))
    assert seen.get(7) is None


def test_every_kind_of_open_item_is_numbered_in_a_group_of_its_own() -> None:
    """`item_no` = group x ITEM_STRIDE + place: two kinds (or owners) sharing a group would
    number two different items alike, and a save by difference would lose one of them."""
    deadlines = [item_group(DEADLINE, kind.value, None) for kind in DeadlineKind]
    obligations = [
        item_group(OBLIGATION, kind.value, owner.value)
        for kind in ObligationKind
        for owner in Party
    ]
    groups = deadlines + obligations
    assert len(set(groups)) == len(groups)
    assert max(deadlines) < min(obligations)  # a case's deadlines list before its obligations
