"""Review TP: the trigger's hot path reads its forms and protocol the fast way, and reads them
as before (issue #13)."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest

from reintegration_fsm import ChildViews, ReviewMeeting
from reintegration_fsm.protocol.definition import WORCESTERSHIRE, Protocol
from reintegration_fsm.slotted import cached_reads
from scenario import FIRST_REVIEW, review, views


@pytest.mark.parametrize("cls", [ReviewMeeting, ChildViews, Protocol])
def test_the_classes_read_on_every_trigger_have_no_getattr_hook(cls: type) -> None:
    """A class with a `__getattr__` has every attribute read the slow way (review TP, TP1)."""
    assert "__getattr__" not in vars(cls)
    assert not hasattr(cls, "__getattr__")


def test_a_cached_property_is_computed_once_and_kept() -> None:
    meeting = review(FIRST_REVIEW, child_views=views(FIRST_REVIEW))
    parties = meeting.parties
    assert meeting.parties is parties
    assert meeting.named_parties is meeting.named_parties
    assert meeting.named_parties == parties
    assert meeting.child_views is not None
    assert meeting.child_views.answered == meeting.child_views.answered >= 1
    assert WORCESTERSHIRE.opening_problems is WORCESTERSHIRE.opening_problems


def test_a_form_stays_frozen_and_copies_as_before() -> None:
    meeting = review(FIRST_REVIEW, child_views=views(FIRST_REVIEW))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        meeting.parties = frozenset()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="'ReviewMeeting' object has no attribute 'nope'"):
        meeting.nope  # type: ignore[attr-defined]  # noqa: B018
    for made in (pickle.loads(pickle.dumps(meeting)), copy.deepcopy(meeting)):
        assert made == meeting
        assert made.parties == meeting.parties
    assert attrs.evolve(meeting).named_parties == meeting.named_parties
    assert [field.name for field in attrs.fields(ReviewMeeting)][:2] == ["held_on", "kind"]


def test_a_class_with_its_own_getattr_is_left_as_it_is() -> None:
    @attrs.frozen
    class Own:
        x: int

        def __getattr__(self, name: str) -> str:
            return name

    assert cached_reads(Own) is Own
    assert Own(1).anything == "anything"
