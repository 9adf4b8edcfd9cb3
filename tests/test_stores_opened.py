"""The protocols a store's cases were opened under (`stores.opened`): one set of rules for each
protocol `(id, version)`, kept from its first case."""

from __future__ import annotations

import attrs
import pytest

from reintegration_fsm import WORCESTERSHIRE, ChangedProtocol
from reintegration_fsm.stores.opened import Opened, first_opened, opened_under
from stages import recorded_under
from store_contract import AUTHORITY, OTHER_AUTHORITY, opened

OWN = attrs.evolve(WORCESTERSHIRE, id="otherborough", version="3")
EDITED = attrs.evolve(OWN, weighting_points=7)


def test_the_first_case_under_each_protocol_is_kept_and_a_later_one_under_other_rules_refused() -> (
    None
):
    first, same, other = (
        opened("case-01", protocol=OWN),
        opened("case-02", protocol=OWN),
        opened("case-03", protocol=EDITED),
    )
    published = opened("case-04", protocol=attrs.evolve(EDITED, version="4"))

    kept = first_opened([first, same, published], {})

    assert kept == [
        Opened(AUTHORITY, "otherborough", "3", OWN.fingerprint, "case-01"),
        Opened(
            AUTHORITY, "otherborough", "4", attrs.evolve(EDITED, version="4").fingerprint, "case-04"
        ),
    ]
    with pytest.raises(ChangedProtocol) as refused:
        first_opened([first, same, other], {})
    assert (refused.value.case_id, refused.value.opening) == ("case-03", True)
    with pytest.raises(ChangedProtocol):
        first_opened([other], {kept[0].key: kept[0]})
    assert first_opened([same], {kept[0].key: kept[0]}) == []


def test_a_case_recording_no_fingerprint_leaves_nothing_to_keep() -> None:
    """The library's own protocols are named without one, as is a history recorded before
    fingerprints were: there is nothing to compare, and nothing is kept."""
    built_in = opened("case-01")
    unfingerprinted = recorded_under(opened("case-02", protocol=OWN), OWN)

    assert opened_under(built_in) is None
    assert opened_under(unfingerprinted) is None
    assert first_opened([built_in, unfingerprinted], {}) == []
    assert opened_under(opened("case-03", protocol=OWN)) == Opened(
        AUTHORITY, "otherborough", "3", OWN.fingerprint, "case-03"
    )


def test_each_authority_keeps_its_own_rules_under_a_protocols_name() -> None:
    """One authority's first case decides nothing for another's own row (review S, S1), and
    under the same rules each keeps its own."""
    ours = opened("case-01", protocol=OWN)
    theirs = opened("case-02", OTHER_AUTHORITY, protocol=OWN)

    kept = first_opened([ours, theirs], {})

    assert [protocol.key for protocol in kept] == [
        (AUTHORITY, "otherborough", "3"),
        (OTHER_AUTHORITY, "otherborough", "3"),
    ]
    assert first_opened(
        [opened("case-03", OTHER_AUTHORITY, protocol=OWN)], {kept[0].key: kept[0]}
    ) == [Opened(OTHER_AUTHORITY, "otherborough", "3", OWN.fingerprint, "case-03")]


def test_a_name_another_authority_holds_with_other_rules_is_refused() -> None:
    """In one store a protocol's id and version name one set of rules (review T, T2): a case
    of another authority under the name with other rules is refused, in one batch too."""
    ours = opened("case-01", protocol=OWN)
    theirs = opened("case-02", OTHER_AUTHORITY, protocol=EDITED)
    [kept] = first_opened([ours], {})

    for new, known in (([theirs], {kept.key: kept}), ([ours, theirs], {})):
        with pytest.raises(ChangedProtocol) as refused:
            first_opened(new, known)
        assert (refused.value.case_id, refused.value.opening, refused.value.taken) == (
            "case-02",
            True,
            True,
        )
