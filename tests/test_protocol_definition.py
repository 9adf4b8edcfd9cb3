"""`Protocol` at its edges: every number at the smallest value it takes, every refusal naming its
field (and the file and line it came from), the registry, the evidence a child needs, and TOML
that round-trips whatever the text holds.

Complements tests/test_protocols.py; written to kill what mutation testing of
`protocol/definition.py` left alive (docs/testing.md, "Mutation testing").
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import given

import scenario as sc
from reintegration_fsm import (
    WORCESTERSHIRE,
    Evidence,
    FormInvalid,
    Party,
    Protocol,
    ProtocolDefinitionError,
    Reintegration,
    Role,
    Stage,
    Trigger,
    UnknownProtocol,
)
from reintegration_fsm.protocol import definition
from reintegration_fsm.protocol.definition import (
    KNOWN,
    WORCESTERSHIRE_1,
    WORCESTERSHIRE_2,
    find_protocol,
    protocol_registry,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

D = dt.date
HEADER = (
    'id = "testshire"\nversion = "1"\ntitle = "Testshire"\nsource = "invented"\n'
    "effective_from = 2025-09-01\n"
)
"""Five lines: a key on the next line is on line 6."""


def refused(**changes: Any) -> ProtocolDefinitionError:
    with pytest.raises(ProtocolDefinitionError) as caught:
        attrs.evolve(WORCESTERSHIRE, **changes)
    return caught.value


def refused_toml(text: str, where: str = "<protocol>") -> ProtocolDefinitionError:
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml(text, where)
    return caught.value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "must be TOML text, not NoneType"),
        (HEADER.encode(), "must be TOML text, not bytes"),  # a file read in binary
        (
            HEADER + "x = " + "[" * 5000 + "]" * 5000 + "\n",
            "not valid TOML: nested too deeply to read",
        ),
    ],
    ids=["none", "bytes", "deep"],
)
def test_toml_that_is_not_text_or_too_deep_is_refused_as_a_definition(
    text: object, problem: str
) -> None:
    """These raised a bare AttributeError, TypeError or RecursionError from tomllib; the
    refusal names the file it came from, with no line."""
    error = refused_toml(text, "shire.toml")  # type: ignore[arg-type]
    assert (error.field, error.problem, error.path, error.line) == (
        "(file)",
        problem,
        "shire.toml",
        None,
    )
    assert str(error) == f"shire.toml: (file): {problem}"


def test_toml_text_named_by_what_is_not_text_is_refused() -> None:
    with pytest.raises(FormInvalid, match=r"^from_toml\.where: must be text, not 5$"):
        Protocol.from_toml(HEADER, 5)  # type: ignore[arg-type]
    assert Protocol.from_toml(HEADER, "").id == "testshire"


def test_toml_text_is_named_protocol_in_errors_unless_told() -> None:
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml(HEADER + "colour = 1\n")
    assert (caught.value.path, caught.value.line) == ("<protocol>", 6)


# -- the numbers at their smallest -------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["place_offer_school_days", "joiners_return_days", "retention_years"]
)
def test_a_count_of_days_or_years_may_be_1_but_not_0_nor_a_bool_nor_text(field: str) -> None:
    assert getattr(attrs.evolve(WORCESTERSHIRE, **{field: 1}), field) == 1
    for bad, written in ((0, "0"), (True, "true"), ("20", '"20"'), (2.0, "2.0")):
        error = refused(**{field: bad})
        assert error.field == field
        assert error.problem == f"must be a whole number above 0, not {written}"


@pytest.mark.parametrize(
    "field", ["place_offer_school_days", "final_review_within_days", "joiners_return_days"]
)
def test_any_whole_count_of_days_above_0_loads_however_large(field: str) -> None:
    """Until 55622ed any positive count loaded, and a case ran whole under
    `final_review_within_days = 99999999` (R7 only compares days with it): refused since, past
    3660 and then past the days between any two dates, every case opened under such a file
    could no longer be loaded, finished, exported or erased (review f4). Every such count
    loads for its cases; no new case opens under one over ten years."""
    for large in (3661, 3_652_059, 99_999_999, 10**4300 - 1):
        protocol = attrs.evolve(WORCESTERSHIRE, id="exampleshire", version="y", **{field: large})
        assert getattr(protocol, field) == large
        assert not protocol.opens_cases
        assert [name for name, _ in protocol.opening_problems] == [field]
        assert Protocol.from_toml(protocol.to_toml()) == protocol
    # Longer than any file holds (which no reading of a file could give): nor could the
    # protocol be written out, nor its fingerprint taken.
    error = refused(**{field: 10**4300})
    assert (error.field, error.problem) == (
        field,
        "must be at most 4,300 digits long (no protocol file holds a longer number), not "
        "100000000000… (4,301 digits)",
    )
    for bad in (0, -1, 2.5):
        error = refused(**{field: bad})
        assert (error.field, error.problem) == (
            field,
            f"must be a whole number above 0, not {bad!r}",
        )


def test_a_count_of_days_past_any_date_loads_from_a_file_and_its_line_is_named() -> None:
    """`final_review_within_days = 99999999` (an author's "no limit") reads, and `protocol
    check`'s refusal to open a case under it names the field, its line, why and the bound."""
    text = HEADER + "final_review_within_days = 99999999\njoiners_return_days = 99999999999999\n"
    protocol = Protocol.from_toml(text, "shire.toml")
    assert protocol.final_review_within_days == 99_999_999
    error = definition.opening_refusal(protocol, text, "shire.toml")
    assert error is not None
    assert [(field, line) for field, _, line in error.problems] == [
        ("final_review_within_days", 6),
        ("joiners_return_days", 7),
    ]
    assert error.problems[0][1] == (
        "must be at most 3660 (ten years of days: a deadline further off runs past any school "
        "calendar), not 99999999"
    )


TEN_YEARS = (
    "must be at most 3660 (ten years of days: a deadline further off runs past any school calendar)"
)
OFFER_IN_LAW = (
    "must be at most 20: the School Admissions Code 2021 (Fair Access) requires an offer of a "
    "school place within 20 school days; a protocol may ask for it sooner, not later"
)


@pytest.mark.parametrize(
    ("field", "most", "bound"),
    [("place_offer_school_days", 20, OFFER_IN_LAW), ("final_review_within_days", 3660, TEN_YEARS)],
)
def test_no_new_case_opens_with_a_deadline_over_ten_years_an_earlier_version_took(
    field: str, most: int, bound: str
) -> None:
    """`final_review_within_days = 9999` (an author's "no limit") opened cases before the ten
    years' bound, and was then refused outright: the cases opened under it could not be read
    again (found by a review). It loads, and opens no new case; a place offer over ten years is
    past the law's 20 school days, and named so (AP4)."""
    assert attrs.evolve(WORCESTERSHIRE, id="exampleshire", version="y", **{field: most}).opens_cases
    for late, shown in (
        (most + 1, str(most + 1)),
        (3661, "3661"),
        (9999, "9999"),
        (99_999_999_999, "99999999999"),
        (10**4300 - 1, "999999999999… (4,300 digits)"),
    ):
        protocol = attrs.evolve(WORCESTERSHIRE, id="exampleshire", version="y", **{field: late})
        problem = f"{bound}, not {shown}"
        assert protocol.opening_problems == ((field, problem),)
        assert not_opened(protocol).problems == ((field, problem + OPENS_NO_CASE, None),)


@pytest.mark.parametrize(
    "changes",
    [
        {"joiners_return_days": 0},
        {"weighting_points": -1},
        {"retention_years": 0},
        {"retention_years": 10_000},
    ],
    ids=["joiners-0", "points-negative", "retention-0", "retention-10000"],
)
def test_a_refused_count_is_named_with_the_protocols_later_problems(
    changes: dict[str, int],
) -> None:
    error = refused(version="y", edition=99, **changes)
    assert [field for field, _, _ in error.problems] == [*changes, "edition"]


def not_opened(protocol: Protocol) -> ProtocolDefinitionError:
    """The refusal of a new case under `protocol`."""
    with pytest.raises(ProtocolDefinitionError) as refusal:
        Reintegration.open(
            "case-new",
            sc.PUPIL,
            sc.AP_SETTING,
            sc.AUTHORITY,
            by=sc.AP_HEAD,
            on=sc.OPENED,
            protocol=protocol,
        )
    return refusal.value


OPENS_NO_CASE = (
    "; a new case may not open under exampleshire y, whose cases opened before finish under "
    "it: open it under a new version"
)


def test_no_new_case_opens_under_a_retention_shorter_than_school_age() -> None:
    """Counted from the date of birth, `retention_years = 6` (the Regulations' six years for a
    register entry, read as years after the case) passed `protocol check`, and a retention run
    removed the child's name and date of birth from cases still in placement (found by a
    review). A protocol an earlier version took still loads, for the cases opened under it."""
    for short in (1, 6, 17):
        protocol = attrs.evolve(
            WORCESTERSHIRE, id="exampleshire", version="y", retention_years=short
        )
        problem = (
            "must be at least 18: it counts from the child's date of birth, and fewer years "
            "would remove the personal data of a child still of school age, whose case may be "
            f"running, not {short}"
        )
        assert protocol.opening_problems == (("retention_years", problem),)
        assert not protocol.opens_cases
        error = not_opened(protocol)
        assert (error.field, error.problem) == ("retention_years", problem + OPENS_NO_CASE)
    enough = attrs.evolve(WORCESTERSHIRE, id="exampleshire", version="y", retention_years=18)
    assert (enough.opening_problems, enough.opens_cases) == ((), True)


def test_no_new_case_opens_with_a_joiners_return_later_than_the_laws_fifth_day() -> None:
    """A protocol could put the statutory return ten years off, its obligation still citing
    the fifth day: `due()` showed it overdue only in 2036 (found by a review)."""
    for late in (6, 3660):
        protocol = attrs.evolve(
            WORCESTERSHIRE, id="exampleshire", version="y", joiners_return_days=late
        )
        problem = (
            "must be at most 5: the School Attendance (Pupil Registration) (England) "
            "Regulations 2024 (regulation 13(1)) make the new pupil return by the end of the "
            f"fifth day after the start; a protocol may ask for it sooner, not later, not {late}"
        )
        assert protocol.opening_problems == (("joiners_return_days", problem),)
        assert not_opened(protocol).problems == (
            ("joiners_return_days", problem + OPENS_NO_CASE, None),
        )
    assert attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="y", joiners_return_days=5
    ).opens_cases


def test_every_reason_no_new_case_opens_is_named_at_its_line() -> None:
    text = HEADER + "joiners_return_days = 6\nretention_years = 6\n"
    protocol = Protocol.from_toml(text, "shire.toml")
    error = definition.opening_refusal(protocol, text, "shire.toml")
    assert error is not None
    assert [(field, line) for field, _, line in error.problems] == [
        ("joiners_return_days", 6),
        ("retention_years", 7),
    ]
    assert error.path == "shire.toml"
    assert [(field, problem) for field, problem, _ in error.problems] == list(
        protocol.opening_problems
    )
    for unplaced in (
        definition.opening_refusal(protocol, text),
        definition.opening_refusal(protocol),
    ):
        assert unplaced is not None
        assert [line for _, _, line in unplaced.problems] == [None, None]
    assert definition.opening_refusal(WORCESTERSHIRE) is None


def test_no_new_case_opens_with_a_weighting_past_a_database_integer_an_earlier_version_took() -> (
    None
):
    """A weighting of 2**63 saved in memory, raised a bare OverflowError on SQLite and was
    refused as a bad value by PostgreSQL and MariaDB; refused outright since 55622ed, the
    cases opened under such a file could no longer be loaded (review f4). It loads, and opens
    no new case (a success under it is refused: test_rule_boundaries)."""
    most = 2**31 - 1
    assert attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="y", weighting_points=most
    ).opens_cases
    assert attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="y", weighting_points=0
    ).opens_cases
    for heavy, shown in (
        (2**31, "2147483648"),
        (10**22, "10000000000000000000000"),
        (10**4300 - 1, "999999999999… (4,300 digits)"),
    ):
        protocol = attrs.evolve(
            WORCESTERSHIRE, id="exampleshire", version="y", weighting_points=heavy
        )
        assert protocol.weighting_points == heavy
        problem = (
            "must be at most 2147483647 (what every store's INTEGER column holds: no store "
            f"could record the move's weighting), not {shown}"
        )
        assert protocol.opening_problems == (("weighting_points", problem),)
        assert not_opened(protocol).problems == (
            ("weighting_points", problem + OPENS_NO_CASE, None),
        )
    for bad, written in ((-1, "-1"), (True, "true"), (2.0, "2.0"), ("3", '"3"')):
        error = refused(weighting_points=bad)
        assert (error.field, error.problem) == (
            "weighting_points",
            f"must be a whole number, 0 or more, not {written}",
        )
    error = refused(weighting_points=10**4300)
    assert (error.field, error.problem) == (
        "weighting_points",
        "must be at most 4,300 digits long (no protocol file holds a longer number), not "
        "100000000000… (4,301 digits)",
    )


def test_every_opening_problem_of_the_counts_is_named_in_field_order() -> None:
    """Past every bound at once: each field named, in the order a file gives them."""
    protocol = attrs.evolve(
        WORCESTERSHIRE,
        id="exampleshire",
        version="y",
        place_offer_school_days=3661,
        final_review_within_days=3661,
        joiners_return_days=6,
        weighting_points=2**31,
        retention_years=17,
    )
    assert [field for field, _ in protocol.opening_problems] == [
        "place_offer_school_days",
        "final_review_within_days",
        "joiners_return_days",
        "weighting_points",
        "retention_years",
    ]


def test_D7_a_name_that_is_a_shipped_protocols_in_other_letters_case_is_an_opening_problem() -> (
    None
):
    """T3 refused a new case under `Worcestershire 3` in `Reintegration.open` alone, from a
    table of its own, so `protocol check` passed such a file (review D, D7). The look-alike
    name is one of `opening_problems`, whatever the rules (the seed's too), named for its id,
    and `open` refuses it so, once."""
    other_rules = attrs.evolve(WORCESTERSHIRE, place_offer_school_days=10)
    for shipped, protocol in [
        (WORCESTERSHIRE, attrs.evolve(other_rules, id="Worcestershire")),
        (WORCESTERSHIRE, attrs.evolve(WORCESTERSHIRE, id="WORCESTERSHIRE")),
        (WORCESTERSHIRE_1, attrs.evolve(WORCESTERSHIRE_1, id="Worcestershire", edition=3)),
    ]:
        problem = (
            f"{protocol.id} {protocol.version} differs from {shipped.id} {shipped.version}, a "
            "protocol the library ships, only in letters' case, and its cases would read as "
            "run under it; give yours an id of your own (as exampleshire)"
        )
        assert protocol.opening_problems == (("id", problem),)
        assert not protocol.opens_cases
        error = not_opened(protocol)
        assert (error.field, error.problem) == (
            "id",
            f"{problem}; a new case may not open under {protocol.id} {protocol.version}, whose "
            "cases opened before finish under it: open it under a copy with an id of your own",
        )
        assert len(error.problems) == 1
    several = attrs.evolve(other_rules, id="Worcestershire", joiners_return_days=6)
    assert [field for field, _ in several.opening_problems] == ["id", "joiners_return_days"]


def test_a_shipped_protocols_own_name_or_another_name_is_no_opening_problem() -> None:
    """Only a shipped name in other letters' case is a look-alike: the shipped protocols, and
    ids a letter apart from theirs, open cases as before; a version of the shipped id the
    library does not ship (`Worcestershire 3.1`) is the library's to publish (review AP,
    AP8)."""
    assert [p.opening_problems for p in KNOWN] == [(), (), ()]
    for name in [("Worcestershire-North", "3"), ("worcester", "3")]:
        protocol = attrs.evolve(WORCESTERSHIRE, id=name[0], version=name[1])
        assert (protocol.opening_problems, protocol.opens_cases) == ((), True)
    unshipped = attrs.evolve(WORCESTERSHIRE, id="Worcestershire", version="3.1")
    assert [field for field, _ in unshipped.opening_problems] == ["id"]


def test_the_final_review_limit_may_be_exactly_the_final_reviews_weeks() -> None:
    """Reviews at 1, 2 and 3 weeks fit a 21-day limit, not a 20-day one."""
    fits = attrs.evolve(WORCESTERSHIRE, review_weeks=(1, 2, 3), final_review_within_days=21)
    assert (fits.review_weeks, fits.final_review_within_days) == ((1, 2, 3), 21)
    error = refused(review_weeks=(1, 2, 3), final_review_within_days=20)
    assert error.field == "review_weeks"
    assert error.problem == (
        "the final review at 3 weeks (21 days) is past final_review_within_days (20)"
    )


@pytest.mark.parametrize(
    ("bad", "written"), [(True, "true"), (1.0, "1.0"), (2.0, "2.0"), (3.0, "3.0")]
)
def test_the_edition_is_1_2_or_3_not_a_bool_nor_a_float(bad: Any, written: str) -> None:
    """`edition=True` (equal to 1) built a protocol that wrote `edition = true`; `edition=2.0`
    built one whose `to_toml` raised a bare TypeError. Both were read from a file too."""
    error = refused(edition=bad)
    assert error.problems == (("edition", f"must be one of (1, 2, 3), not {written}", None),)
    error = refused_toml(HEADER + f"edition = {written}\n", "shire.toml")
    assert (error.field, error.line) == ("edition", 6)
    assert attrs.evolve(WORCESTERSHIRE, edition=1).edition == 1


def test_the_weighting_may_be_0_but_not_negative_nor_a_bool() -> None:
    assert attrs.evolve(WORCESTERSHIRE, weighting_points=0).weighting_points == 0
    for bad, written in ((-1, "-1"), (False, "false"), ("3", '"3"')):
        error = refused(weighting_points=bad)
        assert error.field == "weighting_points"
        assert error.problem == f"must be a whole number, 0 or more, not {written}"


@pytest.mark.parametrize(
    ("weeks", "problem"),
    [
        ((0, 1, 2), "must increase from above 0, not [0, 1, 2]"),
        ((1, 2, 2), "must increase from above 0, not [1, 2, 2]"),
        ((1, 1, 2), "must increase from above 0, not [1, 1, 2]"),
        ((1, 2, True), "must be three whole numbers"),
        ((1, 2, 3, 4), "must be three whole numbers"),
        (5, "must be three whole numbers"),
    ],
)
def test_review_weeks_are_three_increasing_whole_numbers(weeks: Any, problem: str) -> None:
    error = refused(review_weeks=weeks, final_review_within_days=60)
    assert error.field == "review_weeks"
    assert error.problem.startswith(problem)


def test_review_weeks_from_1_are_allowed_and_a_list_becomes_a_tuple() -> None:
    protocol = attrs.evolve(WORCESTERSHIRE, review_weeks=[1, 2, 3])
    assert protocol.review_weeks == (1, 2, 3)


# -- names, prose, parties, evidence -----------------------------------------------------------


def test_an_id_may_be_200_characters_and_not_201() -> None:
    assert attrs.evolve(WORCESTERSHIRE, id="x" * 200).id == "x" * 200
    error = refused(id="x" * 201)
    assert error.field == "id"
    assert error.problem == "is 201 characters long; at most 200 are kept"


def test_a_version_starting_with_a_space_is_refused() -> None:
    error = refused(version=" 2")
    assert (error.field, error.problem) == ("version", "must not start or end with a space")


def test_a_title_with_a_control_character_is_refused() -> None:
    error = refused(source="Worcestershire\x07")
    assert error.field == "source"
    assert error.problem == "holds a control character (U+0007 at position 14)"


@pytest.mark.parametrize(("field", "most"), [("title", 200), ("source", 1000)])
def test_a_title_or_source_longer_than_a_heading_or_paragraph_is_refused(
    field: str, most: int
) -> None:
    """Before, a protocol file could name itself in megabytes, which `protocol show`, every
    check and every report heading then printed whole."""
    assert getattr(attrs.evolve(WORCESTERSHIRE, **{field: "T" * most}), field) == "T" * most
    error = refused(**{field: "T" * (most + 1)})
    assert (error.field, error.problem) == (
        field,
        f"is {most + 1} characters long; at most {most} are kept",
    )


def test_a_long_title_in_a_file_is_refused_on_its_line() -> None:
    text = HEADER.replace('title = "Testshire"', f'title = "{"T" * 201}"')
    assert text != HEADER
    error = refused_toml(text, "shire.toml")
    assert (error.field, error.line) == ("title", 3)


def test_parties_and_evidence_may_be_given_by_their_values() -> None:
    protocol = attrs.evolve(
        WORCESTERSHIRE,
        review_parties=["ap", "host", Party.CHILD],
        required_evidence=("psp",),
        looked_after_evidence=[],
    )
    assert protocol.review_parties == frozenset({Party.AP, Party.HOST, Party.CHILD})
    assert protocol.required_evidence == frozenset({Evidence.PSP})
    assert protocol.looked_after_evidence == frozenset()


def test_a_set_of_parties_that_is_not_a_list_is_refused_naming_the_choices() -> None:
    error = refused(emergency_review_parties="ap")
    assert error.field == "emergency_review_parties"
    assert error.problem == (
        "must be a list of Party values (ap, host, parent, child, la, other), not the text "
        """"ap": write a list in square brackets, as ["ap"]"""
    )


def test_evidence_may_be_empty_but_the_parties_at_an_emergency_review_may_not() -> None:
    assert attrs.evolve(WORCESTERSHIRE, required_evidence=[]).required_evidence == frozenset()
    error = refused(emergency_review_parties=[])
    assert (error.field, error.problem) == ("emergency_review_parties", "must name at least one")


@pytest.mark.parametrize(
    ("looked_after", "key_stage", "extra"),
    [
        (False, 3, set()),
        (True, 3, {Evidence.PERSONAL_EDUCATION_PLAN}),
        (False, 4, {Evidence.KS4_OPTIONS}),
        (True, 4, {Evidence.PERSONAL_EDUCATION_PLAN, Evidence.KS4_OPTIONS}),
        (False, 5, set()),
    ],
)
def test_the_evidence_a_referral_needs_depends_on_the_child(
    looked_after: bool, key_stage: int, extra: set[Evidence]
) -> None:
    five = {
        Evidence.PSP,
        Evidence.BEHAVIOUR_LOG,
        Evidence.ATTENDANCE_RECORD,
        Evidence.EXCLUSION_DATA,
        Evidence.ASSESSMENT_DATA,
    }
    needed = WORCESTERSHIRE.evidence_for(looked_after=looked_after, key_stage=key_stage)
    assert set(needed) == five | extra
    assert list(needed) == [e for e in Evidence if e in needed]  # in the Evidence order


@pytest.mark.parametrize(
    ("looked_after", "key_stage", "field", "problem"),
    [
        (False, "4", "key_stage", "must be a key stage, a whole number from 0 to 5, not '4'"),
        (False, 4.0, "key_stage", "must be a key stage, a whole number from 0 to 5, not 4.0"),
        (False, True, "key_stage", "must be a key stage, a whole number from 0 to 5, not True"),
        (False, 6, "key_stage", "must be a key stage, a whole number from 0 to 5, not 6"),
        (False, -1, "key_stage", "must be a key stage, a whole number from 0 to 5, not -1"),
        ("no", 3, "looked_after", "must be True or False, not 'no'"),
        (0, 3, "looked_after", "must be True or False, not 0"),
        (None, 3, "looked_after", "must be True or False, not None"),
    ],
    ids=["text", "float", "bool", "six", "negative", "looked-after-text", "zero", "none"],
)
def test_the_evidence_for_what_is_no_child_is_refused_naming_the_argument(
    looked_after: Any, key_stage: Any, field: str, problem: str
) -> None:
    """A key stage read from a CSV as "4" silently left out the KS4 options, and
    `looked_after="no"` (truthy) silently asked for a Personal Education Plan (review P)."""
    with pytest.raises(FormInvalid) as caught:
        WORCESTERSHIRE.evidence_for(looked_after=looked_after, key_stage=key_stage)
    assert (caught.value.form, caught.value.field, caught.value.problem) == (
        "evidence_for",
        field,
        problem,
    )


@pytest.mark.parametrize("key_stage", [0, 5])
def test_the_evidence_for_the_first_and_last_key_stage_is_the_protocols_own(
    key_stage: int,
) -> None:
    needed = WORCESTERSHIRE.evidence_for(looked_after=False, key_stage=key_stage)
    assert set(needed) == WORCESTERSHIRE.required_evidence


# -- roles -------------------------------------------------------------------------------------


def test_roles_may_be_keyed_by_trigger() -> None:
    roles = {Trigger(name): roles for name, roles in WORCESTERSHIRE.roles.items()}
    roles[Trigger.WITHDRAW] = frozenset({Role.PARENT})
    protocol = attrs.evolve(WORCESTERSHIRE, roles=roles)
    assert protocol.roles_for("withdraw") == frozenset({Role.PARENT})
    assert list(protocol.roles) == sorted(t.value for t in Trigger)


def test_the_roles_for_an_unknown_trigger_are_refused_listing_the_triggers() -> None:
    """`roles_for("record_concent")` raised a bare KeyError (review P)."""
    with pytest.raises(FormInvalid) as caught:
        WORCESTERSHIRE.roles_for("record_concent")
    assert (caught.value.form, caught.value.field) == ("roles_for", "trigger")
    assert caught.value.problem.startswith("'record_concent' is not a Trigger (one of: open, ")
    assert all(trigger.value in caught.value.problem for trigger in Trigger)
    with pytest.raises(FormInvalid, match=r"^roles_for\.trigger: 3 is not a Trigger \(one of"):
        WORCESTERSHIRE.roles_for(3)  # type: ignore[arg-type]


def test_the_roles_for_a_trigger_are_given_by_its_name_or_its_member() -> None:
    assert WORCESTERSHIRE.roles_for("open") == frozenset({Role.AP_HEAD})
    assert WORCESTERSHIRE.roles_for(Trigger.OPEN) == frozenset({Role.AP_HEAD})


def test_a_protocol_pickles_to_an_equal_one_with_read_only_roles() -> None:
    """What `verify(workers=...)` sends its processes: the roles mapping is rebuilt."""
    roles = dict(WORCESTERSHIRE.roles) | {"withdraw": frozenset({Role.PARENT})}
    protocol = attrs.evolve(WORCESTERSHIRE, id="pickled", version="2", roles=roles)
    copied = pickle.loads(pickle.dumps(protocol))
    assert copied == protocol
    assert copied.roles_for("withdraw") == frozenset({Role.PARENT})
    with pytest.raises(TypeError):
        copied.roles["withdraw"] = frozenset()  # type: ignore[index]


def test_roles_that_are_not_a_mapping_are_refused() -> None:
    error = refused(roles=["ap_head"])
    assert (error.field, error.problem) == (
        "roles",
        "must map each trigger to the roles that fire it",
    )


def test_an_unknown_trigger_in_the_roles_is_refused_naming_it() -> None:
    error = refused(roles={**WORCESTERSHIRE.roles, "reopen": frozenset({Role.AP_HEAD})})
    assert error.field == "roles.reopen"
    assert error.problem.startswith("is not a trigger; did you mean open? The triggers are ")
    assert "record_consent" in error.problem


def test_roles_that_are_not_roles_are_refused_naming_the_trigger_and_the_choices() -> None:
    error = refused(roles={**WORCESTERSHIRE.roles, "withdraw": ["parent", "governor"]})
    assert error.field == "roles.withdraw"
    assert error.problem.startswith(
        "must be a list of roles (ap_head, ap_staff, host_head, host_staff, la_admissions, "
        "parent, child), not "
    )


def test_a_trigger_missing_from_the_roles_is_refused_naming_it() -> None:
    roles = dict(WORCESTERSHIRE.roles)
    del roles["note_at_panel"]
    error = refused(roles=roles)
    assert (error.field, error.problem) == (
        "roles.note_at_panel",
        "is missing: no role may fire it",
    )


# -- the registry -------------------------------------------------------------------------------


VARIANT = attrs.evolve(WORCESTERSHIRE, id="variant", version="1", weighting_points=1)


def test_the_registry_knows_the_built_in_protocols_and_the_ones_given() -> None:
    registry = protocol_registry([VARIANT, VARIANT, WORCESTERSHIRE])
    assert set(registry) == {
        ("worcestershire", "3"),
        ("worcestershire", "2"),
        ("worcestershire", "1"),
        ("variant", "1"),
    }
    assert registry[("variant", "1")] is VARIANT
    assert find_protocol(registry, "worcestershire", "1") is WORCESTERSHIRE_1
    assert find_protocol(registry, "worcestershire", "2") is WORCESTERSHIRE_2
    assert KNOWN == (WORCESTERSHIRE, WORCESTERSHIRE_2, WORCESTERSHIRE_1)


def test_the_rules_two_protocols_differ_in_are_named_in_field_order_names_aside() -> None:
    retitled = attrs.evolve(WORCESTERSHIRE, id="x", version="9", title="X", source="Y")
    assert definition.differing_rules(WORCESTERSHIRE, retitled) == ()
    changed = attrs.evolve(retitled, weighting_points=5, place_offer_school_days=10)
    assert definition.differing_rules(WORCESTERSHIRE, changed) == (
        "place_offer_school_days",
        "weighting_points",
    )


def test_an_unknown_protocol_names_the_known_ones() -> None:
    with pytest.raises(UnknownProtocol) as caught:
        find_protocol(protocol_registry([VARIANT]), "variant", "2")
    assert caught.value.known == (
        ("variant", "1"),
        ("worcestershire", "1"),
        ("worcestershire", "2"),
        ("worcestershire", "3"),
    )


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (["worcestershire"], "'worcestershire' is not a Protocol"),
        (
            [VARIANT, attrs.evolve(VARIANT, weighting_points=2)],
            "two different protocols are both variant 1",
        ),
        (
            [attrs.evolve(WORCESTERSHIRE, weighting_points=2)],
            "worcestershire 3 is a protocol the library ships; give yours an id of your own "
            "(as exampleshire)",
        ),
    ],
    ids=["not-a-protocol", "two-under-one-name", "a-built-in-name"],
)
def test_the_registry_refuses_what_it_cannot_tell_apart(given: list[Any], problem: str) -> None:
    with pytest.raises(ProtocolDefinitionError) as caught:
        protocol_registry(given)
    assert (caught.value.field, caught.value.problem) == ("protocols", problem)


# -- TOML --------------------------------------------------------------------------------------


def test_an_unknown_quoted_key_is_refused_with_its_line_and_file() -> None:
    error = refused_toml(HEADER + '"colour" = "blue"\n', "shire.toml")
    assert (error.field, error.problem, error.path, error.line) == (
        "colour",
        "is not a protocol field",
        "shire.toml",
        6,
    )


def test_an_unknown_table_is_refused_with_the_line_of_its_header() -> None:
    error = refused_toml(HEADER + "\n[extras]\nsnacks = 1\n")
    assert (error.field, error.path, error.line) == ("extras", "<protocol>", 7)


EXAMPLE_TEXT = (Path(__file__).parent.parent / "docs" / "examples" / "exampleshire.toml").read_text(
    encoding="utf-8"
)


def _line_of(text: str, start: str) -> int:
    return next(n for n, row in enumerate(text.split("\n"), start=1) if row.startswith(start))


@pytest.mark.parametrize(
    "header",
    [
        "[roles] # who may act",
        "[roles]\t# who may act",
        "[roles]# who may act",
        '["roles"]',
        "[ 'roles' ] # quoted, spaced and commented",
    ],
)
def test_a_bad_role_under_a_commented_or_quoted_roles_header_is_named_at_its_line(
    header: str,
) -> None:
    """A comment after `[roles]` (ordinary TOML) or a quoted header lost the line of every
    problem under it: "roles.hold_review: ..." with no line (review P, P3)."""
    text = EXAMPLE_TEXT.replace("[roles]", header).replace(
        'hold_review = ["ap_head", "host_head"]', 'hold_review = ["ap-head"]'
    )
    error = refused_toml(text, "exampleshire.toml")
    assert (error.field, error.line) == ("roles.hold_review", _line_of(text, "hold_review"))
    fixed = text.replace('hold_review = ["ap-head"]', 'hold_review = ["ap_head"]')
    assert Protocol.from_toml(fixed).roles_for("hold_review") == frozenset({Role.AP_HEAD})


def test_a_roles_array_of_tables_is_refused_at_its_line_as_not_a_table() -> None:
    text = EXAMPLE_TEXT.replace("[roles]", "[[roles]] # one of many")
    error = refused_toml(text, "exampleshire.toml")
    assert (error.field, error.line) == ("roles", _line_of(text, "[[roles]]"))
    assert error.problem == "must map each trigger to the roles that fire it"


def test_an_unknown_commented_table_is_refused_at_its_header_and_the_keys_after_at_theirs() -> None:
    text = HEADER + "[extras] # for later\nsnacks = 1\n['roles'] # ok\nopen = ['head']\n"
    error = refused_toml(text)
    assert [(field, line) for field, _, line in error.problems] == [
        ("extras", 6),
        ("roles.open", 9),
    ]


def test_a_line_of_a_multi_line_array_is_not_taken_for_a_table_header() -> None:
    """Inside an array written over lines, `["iep"]` is an item, not the header of a table
    `iep`: the keys after it keep their lines."""
    text = HEADER + 'required_evidence = [\n  "psp",\n  ["iep"] # nested\n]\n'
    text += "weighting_points = -2\n"
    error = refused_toml(text)
    assert [(field, line) for field, _, line in error.problems] == [
        ("required_evidence", 6),
        ("weighting_points", 10),
    ]


def test_a_bad_value_in_a_file_is_refused_with_its_line() -> None:
    error = refused_toml(HEADER + "weighting_points = -2\n", "shire.toml")
    assert (error.field, error.path, error.line) == ("weighting_points", "shire.toml", 6)
    assert error.problem == "must be a whole number, 0 or more, not -2"
    assert str(error) == (
        "shire.toml, line 6: weighting_points: must be a whole number, 0 or more, not -2"
    )


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"], ids=["ls", "ps", "nel"])
def test_a_unicode_line_separator_in_a_comment_does_not_shift_the_line(separator: str) -> None:
    """TOML counts lines by "\\n" alone, but the line finder split on every Unicode line
    break: a U+2028 pasted into a comment moved every later error one line down."""
    text = HEADER + f"# drafted from the{separator}panel's minutes\nweighting_points = -2\n"
    error = refused_toml(text, "shire.toml")
    assert (error.field, error.line) == ("weighting_points", 7)


@pytest.mark.parametrize(
    "described",
    [
        'title = "T"\nsource = """Changes:\nreview_weeks = moved\n[roles]\nwithdraw = 1"""\n',
        "title = 'T'\nsource = '''Changes:\nreview_weeks = moved\n[roles]\nwithdraw = 1'''\n",
        'title = "T"\nsource = """He said \\""" and\nreview_weeks = moved\n[roles]\n"""\n',
        "title = \"\"\"T\"\"\"\nsource = '''\nreview_weeks = moved\n[roles]\nwithdraw = 1'''\n",
        "title = 'T \"\"\" x' # and a ''' note\nsource = \"s \\\"\\\"\\\" '''\"\n",
    ],
    ids=["basic", "literal", "escaped-quotes", "one-line-then-literal", "quotes-not-opening"],
)
def test_keys_written_inside_a_multi_line_string_are_not_taken_for_keys(described: str) -> None:
    """The line finder read `review_weeks = ...` inside a multi-line `source` as the key, so
    problems were named at the string's lines and out of order, and a `[roles]` line there
    put the keys after it in that table; text in one-line strings and comments that looks
    like a multi-line string's quotes opens none."""
    text = (
        'id = "testshire"\nversion = "1"\n'
        + described
        + "effective_from = 2025-09-01\nplace_offer_school_days = 0\nreview_weeks = [3, 6, 6]\n"
    )
    offer = text.count("\n", 0, text.index("place_offer_school_days = 0")) + 1
    error = refused_toml(text, "shire.toml")
    assert [(field, line) for field, _, line in error.problems] == [
        ("place_offer_school_days", offer),
        ("review_weeks", offer + 1),
    ]


_STRING_TEXT = st.text(alphabet=["a", " ", '"', "'", "#", "=", "[", "]", "\\", "\n"], max_size=30)
"""Text a string in a protocol file may hold, with what the line finder must not take for
quotes, a comment, a key or a table."""


@st.composite
def _toml_values(draw: st.DrawFn) -> str:
    """A TOML value as a protocol file may write it: a number, or a one-line or multi-line,
    basic or literal string holding any of `_STRING_TEXT`."""
    kind = draw(st.sampled_from(["number", "basic", "literal", "basic-lines", "literal-lines"]))
    text = draw(_STRING_TEXT)
    if kind == "number":
        return str(draw(st.integers(0, 99)))
    if kind == "basic":
        return json.dumps(text.replace("\n", " "))  # JSON's escapes are TOML's
    if kind == "literal":
        return "'" + text.replace("\n", " ").replace("'", "") + "'"
    if kind == "basic-lines":
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return '"""' + escaped + draw(st.sampled_from(["", '\\"'])) + '"""'
    # At most two quotes of its own before the closing three (TOML's rule).
    held = text.replace("'''", "").rstrip("'")
    return "'''" + held + draw(st.sampled_from(["", "'", "''"])) + "'''"


@given(st.lists(_toml_values(), min_size=1, max_size=6), st.booleans())
def test_the_line_finder_puts_every_key_at_its_line_whatever_its_strings_hold(
    values: list[str], commented: bool
) -> None:
    """Generated files of keys whose values are strings of every kind, holding quotes,
    backslashes, `#`, `key = value` and `[table]` text, over lines or not."""
    lines, expected = [], {}
    for number, value in enumerate(values):
        key = f"keyX{number}"  # (an X no quote is: where a quote is looked for, it opens none)
        expected[key] = len("\n".join(lines).splitlines()) + 1 if lines else 1
        lines.append(f"{key} = {value}" + (' # """ a comment' if commented else ""))
    text = "\n".join(lines) + "\n"
    assert set(tomllib.loads(text)) == set(expected)  # what the file holds, read by TOML
    found = definition.key_lines(text)
    assert {key: found[key][0] for key in expected} == expected


def test_roles_that_are_not_names_are_refused_with_their_line() -> None:
    error = refused_toml(HEADER + "[roles]\nwithdraw = [1, 2]\n", "shire.toml")
    assert (error.field, error.problem, error.path, error.line) == (
        "roles.withdraw",
        "must be a list of role names",
        "shire.toml",
        7,
    )


@pytest.mark.parametrize(
    ("roles", "lines"),
    [
        ('[roles]\nopen = ["ap_hed"]\nrecord_consent = [1]\n', (7, 8)),
        ('roles.open = ["ap_hed"]\nroles.record_consent = [1]\n', (6, 7)),
        ('"roles" . open = ["ap_hed"]\n  roles . "record_consent" = [1]\n', (6, 7)),
        ('roles = { open = ["ap_hed"], record_consent = [1] }\n', (6, 6)),
        ('roles = { open = [\n  "ap_hed"], record_consent = [1] }\n', (6, 6)),
    ],
    ids=["table", "dotted", "quoted", "inline", "inline-over-lines"],
)
def test_roles_in_any_toml_layout_are_refused_at_their_lines_in_file_order(
    roles: str, lines: tuple[int, int]
) -> None:
    """Role lists written as dotted keys or in an inline table were refused with no line, the
    list of numbers (found first) before `open`: only a `[roles]` table was located."""
    error = refused_toml(HEADER + roles + "[extras]\n", "shire.toml")
    assert [(field, line) for field, _, line in error.problems] == [
        ("roles.open", lines[0]),
        ("roles.record_consent", lines[1]),
        ("extras", 6 + roles.count("\n")),
    ]
    assert "ap_hed" in error.problems[0][1]
    assert error.problems[1][1] == "must be a list of role names"


def test_every_triggers_bad_roles_in_a_file_are_named_each_at_its_line() -> None:
    """The roles' check stopped at the first trigger it refused: a second misspelt role, an
    unknown trigger and one left with no role each took another run of `protocol check`."""
    error = refused_toml(
        HEADER + '[roles]\nopen = ["ap_hed"]\nbrew_tea = ["ap_head"]\nwithdraw = []\n',
        "shire.toml",
    )
    assert [(field, line) for field, _, line in error.problems] == [
        ("roles.open", 7),
        ("roles.brew_tea", 8),
        ("roles.withdraw", 9),
    ]
    assert error.problems[1][1].startswith("is not a trigger")
    assert error.problems[2][1] == "no role may fire it"


def test_roles_in_a_file_override_only_the_triggers_named() -> None:
    protocol = Protocol.from_toml(HEADER + '[roles]\nwithdraw = ["parent"]\n')
    assert protocol.roles_for("withdraw") == frozenset({Role.PARENT})
    assert protocol.roles_for("open") == WORCESTERSHIRE.roles_for("open")


def test_text_that_is_not_toml_is_refused_with_its_line() -> None:
    error = refused_toml(HEADER + "[roles\n", "shire.toml")
    assert (error.field, error.path, error.line) == ("(file)", "shire.toml", 6)
    assert error.problem.startswith("not valid TOML: ")


def test_toml_broken_at_its_end_is_refused_without_a_line() -> None:
    error = refused_toml(HEADER + "review_weeks = [1, 2,", "shire.toml")
    assert (error.field, error.path, error.line) == ("(file)", "shire.toml", None)


def test_a_file_missing_a_name_is_refused_naming_the_first_missing_field() -> None:
    error = refused_toml(
        'id = "x"\nversion = "1"\ntitle = "X"\nsource = "invented"\n', "<protocol>"
    )
    assert (error.field, error.problem, error.path, error.line) == (
        "effective_from",
        "is missing",
        "<protocol>",
        None,
    )
    error = refused_toml('id = "x"\nversion = "1"\n', "shire.toml")
    assert (error.field, error.path) == ("title", "shire.toml")


def test_from_file_reads_utf_8_and_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shire.toml"
    path.write_text(
        HEADER.replace("Testshire", "Tŷ Newydd – Sir Benfro") + "weighting_points = 2\n",
        encoding="utf-8",
    )
    protocol = Protocol.from_file(path)
    assert (protocol.title, protocol.weighting_points) == ("Tŷ Newydd – Sir Benfro", 2)
    path.write_text(HEADER + "edition = 7\n", encoding="utf-8")
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_file(path)
    assert (caught.value.field, caught.value.path, caught.value.line) == ("edition", str(path), 6)


def test_a_protocol_with_quotes_backslashes_and_empty_sets_round_trips_through_toml() -> None:
    odd = attrs.evolve(
        WORCESTERSHIRE,
        id="odd",
        title='The "Odd" Protocol \\ revised',
        source="C:\\protocols\\odd.pdf",
        looked_after_evidence=frozenset(),
        key_stage_4_evidence=frozenset(),
        effective_from=D(2026, 1, 5),
    )
    text = odd.to_toml()
    assert 'title = "The \\"Odd\\" Protocol \\\\ revised"' in text.splitlines()
    assert "looked_after_evidence = []" in text.splitlines()
    assert "effective_from = 2026-01-05" in text.splitlines()
    assert "[roles]" in text.splitlines()
    assert text.endswith(
        'discharge = ["ap_head", "ap_staff", "host_head", "host_staff", "la_admissions"]\n'
    )
    assert Protocol.from_toml(text) == odd


def test_roles_that_are_not_a_table_in_a_file_are_refused_with_their_line() -> None:
    error = refused_toml(HEADER + 'roles = "everyone"\n', "shire.toml")
    assert (error.field, error.path, error.line) == ("roles", "shire.toml", 6)
    assert error.problem == "must map each trigger to the roles that fire it"


def test_a_set_of_roles_holding_something_else_is_refused() -> None:
    error = refused(roles={**WORCESTERSHIRE.roles, "withdraw": frozenset({"governor"})})
    assert error.field == "roles.withdraw"


# -- the seed's protocol is its TOML file, read whole ---------------------------------------------
# Read at import, so mutation testing reaches these helpers only when a test calls them.

SEED_FILE = Path(definition.__file__).with_name("worcestershire.toml")


def test_the_seeds_values_are_its_toml_file_read_whole() -> None:
    with SEED_FILE.open("rb") as handle:
        expected = tomllib.load(handle)
    assert definition.read_seed_file() == expected
    assert expected["place_offer_school_days"] == 20
    assert definition.seed_default("place_offer_school_days") == 20
    assert definition.seed_default("review_weeks") == [2, 4, 6]
    roles = definition.seed_default("roles")
    assert roles["withdraw"] == frozenset({Role.AP_HEAD, Role.PARENT})
    assert list(roles) == sorted(roles)


@pytest.mark.parametrize("needed", [True, False])
def test_a_set_of_values_must_be_a_frozenset_of_them_and_maybe_not_empty(needed: bool) -> None:
    check = definition.check_set_of(Party, needed=needed)
    field = attrs.fields(Protocol).review_parties
    check(None, field, frozenset({Party.AP}))
    for bad, stranger in (
        (["ap"], ""),
        (frozenset({"ap"}), ""),
        (frozenset({Party.AP, Evidence.PSP}), ', not "psp"'),
    ):
        with pytest.raises(ProtocolDefinitionError) as caught:
            check(None, field, bad)
        assert caught.value.field == "review_parties"
        assert caught.value.problem == (
            "must be a list of Party values (ap, host, parent, child, la, other)" + stranger
        )
    if needed:
        with pytest.raises(ProtocolDefinitionError) as caught:
            check(None, field, frozenset())
        assert (caught.value.field, caught.value.problem) == (
            "review_parties",
            "must name at least one",
        )
    else:
        check(None, field, frozenset())


@pytest.mark.parametrize(
    ("first", "problem"),
    [
        (
            "ap",
            "must be a list of Party values (ap, host, parent, child, la, other), not the text "
            """"ap": write a list in square brackets, as ["ap"]""",
        ),
        ([], "must name at least one"),
    ],
    ids=["not-a-list", "none"],
)
def test_a_set_of_values_refused_names_the_later_fields_problems_too(
    first: Any, problem: str
) -> None:
    """As in a `Protocol` (the class is made here, as `_set_of` runs when a class is made)."""
    check = definition.check_set_of(Party, needed=True)

    @attrs.frozen
    class Parties:
        first: Any = attrs.field(converter=definition.to_parties, validator=check)
        then: Any = attrs.field(converter=definition.to_parties, validator=check)

    with pytest.raises(ProtocolDefinitionError) as caught:
        Parties(first, [])
    assert caught.value.problems == (
        ("first", problem, None),
        ("then", "must name at least one", None),
    )


def test_an_unknown_key_is_located_whatever_its_letters() -> None:
    """A key is found on its line as written: quotes come off, its own letters stay."""
    error = refused_toml(HEADER + "XRAY = 1\n", "shire.toml")
    assert (error.field, error.line) == ("XRAY", 6)


# -- every problem at once ------------------------------------------------------------------------
SPOILED = {
    "id": ("", "must not be blank"),
    "title": ("  ", "must be non-empty text"),
    "effective_from": ("2025-09-01", "must be a date"),
    "place_offer_school_days": (0, "must be a whole number above 0"),
    "review_weeks": ((4, 2, 6), "must increase from above 0"),
    "joiners_return_days": (True, "must be a whole number above 0"),
    "weighting_points": (-3, "must be a whole number, 0 or more"),
    "review_parties": ([], "must name at least one"),
    "retention_years": (0, "must be a whole number above 0"),
    "edition": (99, "must be one of"),
}
"""A value each field refuses, and the start of what it says (fields in their order)."""
ORDER = [field.name for field in attrs.fields(Protocol)]


@given(st.sets(st.sampled_from(sorted(SPOILED)), min_size=1))
def test_a_protocol_with_several_bad_fields_names_every_one_in_field_order(
    spoiled: set[str],
) -> None:
    error = refused(**{name: SPOILED[name][0] for name in spoiled})
    expected = sorted(spoiled, key=ORDER.index)
    assert [field for field, _, _ in error.problems] == expected
    for (_, problem, line), name in zip(error.problems, expected, strict=True):
        assert problem.startswith(SPOILED[name][1]) or SPOILED[name][1] in problem, problem
        assert line is None
    assert (error.field, error.problem) == error.problems[0][:2]
    assert all(f"{field}: {problem}" in str(error) for field, problem, _ in error.problems)


def test_the_final_review_limit_is_checked_only_when_the_review_weeks_are_sound() -> None:
    both = refused(place_offer_school_days=0, review_weeks=(2, 4, 9))
    assert [(f, p) for f, p, _ in both.problems] == [
        ("place_offer_school_days", "must be a whole number above 0, not 0"),
        (
            "review_weeks",
            "the final review at 9 weeks (63 days) is past final_review_within_days (42)",
        ),
    ]
    unsound = refused(place_offer_school_days=0, review_weeks=(9, 4, 2))
    assert [f for f, _, _ in unsound.problems] == ["place_offer_school_days", "review_weeks"]
    assert "must increase" in unsound.problems[1][1]  # not also "past final_review_within_days"


def test_a_file_names_every_problem_in_its_order_each_with_its_line() -> None:
    error = refused_toml(
        HEADER
        + "review_weeks = [2, 4, 9]\n"  # line 6: past the final review limit
        + "bogus = 1\n"  # line 7
        + "place_offer_school_days = 0\n"  # line 8
        + '[roles]\nopen = [1]\nwithdraw = ["nobody"]\n',  # lines 9-11
        "shire.toml",
    )
    assert [(field, line) for field, _, line in error.problems] == [
        ("review_weeks", 6),
        ("bogus", 7),
        ("place_offer_school_days", 8),
        ("roles.open", 10),
        ("roles.withdraw", 11),
    ]
    assert (error.path, error.line) == ("shire.toml", 6)
    assert str(error).startswith("shire.toml, line 6: review_weeks: the final review at 9 weeks")
    assert "; line 7: bogus: is not a protocol field; line 8: place_offer_school_days:" in str(
        error
    )


def test_one_problem_reads_as_it_always_did() -> None:
    error = refused_toml(HEADER + "place_offer_school_days = 0\n", "shire.toml")
    assert error.problems == (
        ("place_offer_school_days", "must be a whole number above 0, not 0", 6),
    )
    assert str(error) == (
        "shire.toml, line 6: place_offer_school_days: must be a whole number above 0, not 0"
    )


# -- each refusal still names the problems after it ------------------------------------------------
# A validator that raised without its protocol named its own problem and nothing more.

ROLES = dict(WORCESTERSHIRE.roles)
TRIGGERS = ", ".join(sorted(trigger.value for trigger in Trigger))
EDITION_99 = ("edition", "must be one of (1, 2, 3), not 99")
"""The last field's problem: every other field's problem comes before it."""


@pytest.mark.parametrize(
    ("changes", "first"),
    [
        ({"id": ""}, ("id", "must not be blank")),
        ({"title": "  "}, ("title", 'must be non-empty text, not "  "')),
        (
            {"effective_from": "2025-09-01"},
            (
                "effective_from",
                'must be a date, not "2025-09-01": remove the quotes, as TOML dates are bare '
                "(2025-09-01)",
            ),
        ),
        (
            {"place_offer_school_days": 0},
            ("place_offer_school_days", "must be a whole number above 0, not 0"),
        ),
        (
            {"title": "Testshire\x07"},
            ("title", "holds a control character (U+0007 at position 9)"),
        ),
        (
            {"review_weeks": 5},
            (
                "review_weeks",
                "must be three whole numbers of weeks (two interim reviews and the final one), "
                "not 5",
            ),
        ),
        (
            {"review_weeks": (4, 2, 6)},
            ("review_weeks", "must increase from above 0, not [4, 2, 6]"),
        ),
        (
            {"final_review_within_days": 0},
            ("final_review_within_days", "must be a whole number above 0, not 0"),
        ),
        (
            {"weighting_points": -1},
            ("weighting_points", "must be a whole number, 0 or more, not -1"),
        ),
        (
            {"weighting_points": 1.5},
            ("weighting_points", "must be a whole number, 0 or more, not 1.5"),
        ),
        ({"roles": ["ap_head"]}, ("roles", "must map each trigger to the roles that fire it")),
        (
            {"roles": {**ROLES, "reopen": frozenset({Role.AP_HEAD})}},
            ("roles.reopen", f"is not a trigger; did you mean open? The triggers are {TRIGGERS}"),
        ),
        (
            {"roles": {**ROLES, "withdraw": ["governor"]}},
            (
                "roles.withdraw",
                "must be a list of roles (ap_head, ap_staff, host_head, host_staff, "
                'la_admissions, parent, child), not "governor"',
            ),
        ),
        ({"roles": {**ROLES, "withdraw": []}}, ("roles.withdraw", "no role may fire it")),
        (
            {"roles": {k: v for k, v in ROLES.items() if k != "note_at_panel"}},
            ("roles.note_at_panel", "is missing: no role may fire it"),
        ),
        (
            {"review_parties": "ap"},
            (
                "review_parties",
                "must be a list of Party values (ap, host, parent, child, la, other), not the "
                """text "ap": write a list in square brackets, as ["ap"]""",
            ),
        ),
        ({"emergency_review_parties": []}, ("emergency_review_parties", "must name at least one")),
    ],
    ids=[
        "label",
        "prose-blank",
        "day",
        "positive",
        "prose",
        "weeks-not-three",
        "weeks-not-increasing",
        "days-none",
        "points-negative",
        "points-not-whole",
        "roles-not-a-mapping",
        "roles-unknown-trigger",
        "roles-not-roles",
        "roles-empty",
        "roles-missing-trigger",
        "parties-not-a-list",
        "parties-none",
    ],
)
def test_each_kind_of_refusal_names_the_later_problems_too(
    changes: dict[str, Any], first: tuple[str, str]
) -> None:
    error = refused(**changes, edition=99)
    assert [(field, problem) for field, problem, _ in error.problems] == [first, EDITION_99]


def test_roles_keyed_by_trigger_are_named_by_the_triggers_name() -> None:
    """A refusal names `roles.withdraw`, however the caller keyed the mapping."""
    roles = {Trigger(name): roles for name, roles in ROLES.items()}
    roles[Trigger.WITHDRAW] = frozenset()
    error = refused(roles=roles)
    assert error.problems == (("roles.withdraw", "no role may fire it", None),)


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Notepad's "UTF-8 with BOM": the mark is not part of the first key."""
    path = tmp_path / "shire.toml"
    path.write_text(HEADER + "weighting_points = 2\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    protocol = Protocol.from_file(path)
    assert (protocol.id, protocol.weighting_points) == ("testshire", 2)


@pytest.mark.parametrize(
    "given",
    [None, 3, b"/tmp/shire.toml", "shire\x00.toml"],
    ids=["none", "int", "bytes", "nul"],
)
def test_from_file_refuses_what_is_not_a_path(given: object) -> None:
    """These raised a bare TypeError or ValueError from `open`, as the calendar's did."""
    with pytest.raises(FormInvalid, match=r"^from_file\.path: must be a path to a TOML protocol"):
        Protocol.from_file(given)  # type: ignore[arg-type]


def test_a_file_that_is_not_utf_8_names_its_line_and_byte(tmp_path: Path) -> None:
    """A protocol saved as Latin-1, as an old Windows editor would: this raised a bare
    UnicodeDecodeError."""
    path = tmp_path / "shire.toml"
    path.write_bytes((HEADER + 'title = "Ynys Môn"\n').encode("latin-1"))
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_file(path)
    offset = len(HEADER) + len('title = "Ynys M')
    assert (caught.value.field, caught.value.path, caught.value.line) == (
        definition.WHOLE_FILE,
        str(path),
        6,
    )
    assert caught.value.problem == (
        f"not UTF-8 text (byte 0xf4 at offset {offset} cannot be read); save the file as UTF-8"
    )


def test_a_file_larger_than_any_protocol_is_refused_unread(tmp_path: Path) -> None:
    """It was read whole into memory first, however large (a database named by mistake)."""
    path = tmp_path / "shire.sqlite"
    with path.open("wb") as handle:
        handle.truncate(definition.TEXT_MOST + 1)
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_file(path)
    assert (caught.value.field, caught.value.path, caught.value.line) == (
        definition.WHOLE_FILE,
        str(path),
        None,
    )
    assert caught.value.problem == (
        "larger than 1 MiB, which no protocol file is: is it the right file?"
    )


def test_a_protocol_file_of_the_most_bytes_is_read(tmp_path: Path) -> None:
    text = (
        WORCESTERSHIRE.to_toml()
        .replace("version = ", "version = ")
        .replace('version = "3"', 'version = "padded"')
    )
    padding = "# " + "x" * (definition.TEXT_MOST - len(text.encode()) - 3) + "\n"
    path = tmp_path / "padded.toml"
    path.write_text(text + padding, encoding="utf-8")
    assert path.stat().st_size == definition.TEXT_MOST
    assert Protocol.from_file(path).version == "padded"
    with pytest.raises(ProtocolDefinitionError, match="characters long, where no protocol") as big:
        Protocol.from_toml(text + padding + "#", "big.toml")
    assert (big.value.field, big.value.path) == (definition.WHOLE_FILE, "big.toml")


_HEAD = 'id = "x"\nversion = "1"\ntitle = "t"\nsource = "s"\neffective_from = 2025-09-01\n'


@pytest.mark.parametrize(
    "key",
    [
        "[{}]",  # a table header
        "{} = 1",  # a dotted key
        "y = {{ {} = 1 }}",  # a dotted key in an inline table
    ],
)
def test_a_key_of_more_parts_than_a_line_may_hold_is_refused_before_it_is_read(key: str) -> None:
    """tomllib takes the square of a key's parts: a 20,000-part key (40 KB) took 1.5 GB, and
    the key lines' guide took 2 GB more for the table header (found by a review)."""
    deep = key.format(".".join(["a"] * (definition.LINE_DOTS_MOST + 2)))
    with pytest.raises(ProtocolDefinitionError) as refused:
        Protocol.from_toml(_HEAD + deep + "\n")
    assert (refused.value.field, refused.value.path, refused.value.line) == (
        definition.WHOLE_FILE,
        "<protocol>",
        6,
    )
    assert f"more than {definition.LINE_DOTS_MOST} dots on one line" in refused.value.problem
    allowed = key.format(".".join(["a"] * (definition.LINE_DOTS_MOST + 1)))
    with pytest.raises(ProtocolDefinitionError, match="is not a protocol field"):
        Protocol.from_toml(_HEAD + allowed + "\n")  # read, and refused as any unknown key


def test_more_dots_than_a_protocol_holds_are_refused_before_they_are_read() -> None:
    """5,000 table headers of 100 parts each (1 MB) took tomllib 477 MB."""
    parts = ".".join(["b"] * definition.LINE_DOTS_MOST)
    count = definition.DOTS_MOST // definition.LINE_DOTS_MOST
    headers = "\n".join(f"[a{n}.{parts}]" for n in range(count))
    with pytest.raises(ProtocolDefinitionError, match="is not a protocol field"):
        Protocol.from_toml(_HEAD + headers + "\n")  # as many as may be: read
    with pytest.raises(ProtocolDefinitionError) as refused:
        Protocol.from_toml(_HEAD + headers + "\n[c.d]\n", "many.toml")
    assert (refused.value.field, refused.value.path) == (definition.WHOLE_FILE, "many.toml")
    assert f"more than {definition.DOTS_MOST:,} dots, which no protocol holds" in (
        refused.value.problem
    )


def test_a_number_too_long_to_read_is_a_protocol_definition_error() -> None:
    """tomllib's ValueError (Python's 4,300-digit limit) escaped: exit 70 on the command line."""
    with pytest.raises(ProtocolDefinitionError) as refused:
        Protocol.from_toml(_HEAD + "place_offer_school_days = " + "9" * 5000 + "\n", "n.toml")
    assert (refused.value.field, refused.value.path, refused.value.problem) == (
        definition.WHOLE_FILE,
        "n.toml",
        "a number too long to read (over 4,300 digits)",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("place_offer_school_days", 10**5000),
        ("weighting_points", 10**5000),
        ("edition", 10**5000),
        ("review_weeks", (2, 10**5000, 4)),  # not increasing: quoted, as a value
        ("retention_years", 10**5000),  # (which opened a case, and broke its fingerprint)
    ],
    ids=[
        "days",
        "points",
        "edition",
        "weeks",
        "years",
    ],  # pytest cannot write the numbers out either
)
def test_a_value_too_long_to_write_out_is_refused_as_any_other(field: str, value: Any) -> None:
    """Building the problem's text raised ValueError (`{value!r}` of a 5,000-digit number)."""
    with pytest.raises(ProtocolDefinitionError) as refused:
        attrs.evolve(WORCESTERSHIRE, version="long", **{field: value})
    assert refused.value.field == field
    shown = (  # a tuple holding one is named so; the number itself by its first digits
        "a tuple holding a number too long to write out"
        if field == "review_weeks"
        else "100000000000… (5,001 digits)"
    )
    assert refused.value.problem.endswith(f"not {shown}"), refused.value.problem


def test_a_problem_quotes_at_most_eighty_characters_of_a_value() -> None:
    with pytest.raises(ProtocolDefinitionError) as refused:
        attrs.evolve(WORCESTERSHIRE, version="long", edition="x" * 1000)
    quoted = refused.value.problem.removeprefix("must be one of (1, 2, 3), not ")
    assert quoted == '"' + "x" * 78 + "…"
    whole = "x" * 78  # as TOML writes it, quotes and all, 80 characters: quoted whole
    error = refused_edition(whole)
    assert error.problem == f'must be one of (1, 2, 3), not "{whole}"'


def refused_edition(value: object) -> ProtocolDefinitionError:
    with pytest.raises(ProtocolDefinitionError) as refused:
        attrs.evolve(WORCESTERSHIRE, version="long", edition=value)
    return refused.value


def test_a_missing_or_folder_path_is_still_the_systems_error(tmp_path: Path) -> None:
    """As documented: OSError for a file that cannot be read (the CLI names it, exit 2)."""
    with pytest.raises(FileNotFoundError):
        Protocol.from_file(tmp_path / "missing.toml")
    with pytest.raises(IsADirectoryError):
        Protocol.from_file(tmp_path)


def test_host_roles_alone_where_no_host_is_known_are_refused() -> None:
    """A host school's staff act for the host school R15 checks them against, which no case has
    before `identify_host`: a protocol giving consent to the host head alone passed `protocol
    check`, and every case under it stopped at PROPOSED (a hostile pass on the testing
    strategies found it)."""
    error = refused(roles={**ROLES, "record_consent": {Role.HOST_HEAD}, "open": {Role.HOST_STAFF}})
    assert [field for field, _, _ in error.problems] == ["roles.open", "roles.record_consent"]
    assert error.problems[1][1] == (
        "only a host school's roles may fire it, and no host school is known yet in the stages "
        "it is fired in (proposed): no one could fire it there"
    )
    assert "none: it opens the case" in error.problems[0][1]


def test_a_host_school_is_unknown_only_before_identify_host_can_have_named_one() -> None:
    from reintegration_fsm.protocol.steps import STEPS, hostless_stages

    assert hostless_stages() == {Stage.PROPOSED, Stage.CONSENTED, Stage.REFERRED}
    # Whatever order the steps are declared in (a stage reached through a later step counts).
    assert hostless_stages(tuple(reversed(STEPS))) == hostless_stages()


def test_no_new_case_opens_where_only_host_roles_may_fire_a_step_before_a_host() -> None:
    """Only the host head could withdraw: a case whose family never consented stayed at
    PROPOSED for good, open in every list, though withdraw is fired in later stages where a
    host is known (found by a review). Such a protocol still loads (an earlier version took
    it), and no new case opens under it."""
    protocol = attrs.evolve(
        WORCESTERSHIRE,
        id="exampleshire",
        version="y",
        roles={**ROLES, "withdraw": {Role.HOST_HEAD, Role.HOST_STAFF}},
    )
    problem = (
        "only a host school's roles may fire it, and no host school is known yet in the "
        "stages it is fired in (proposed, consented, referred): no one could fire it there"
    )
    assert protocol.opening_problems == (("roles.withdraw", problem),)
    assert not_opened(protocol).problems == (("roles.withdraw", problem + OPENS_NO_CASE, None),)


@pytest.mark.parametrize(
    "roles",
    [
        {"start_placement": {Role.HOST_HEAD}},  # a host is known wherever it is fired
        {"withdraw": {Role.HOST_HEAD, Role.LA_ADMISSIONS}},  # the authority can before a host
        {"record_consent": {Role.HOST_HEAD, Role.AP_HEAD}},  # the AP's head can
    ],
    ids=["start-placement", "withdraw-with-the-authority", "with-another-party"],
)
def test_host_roles_where_a_host_may_be_known_are_allowed(roles: dict[str, set[Role]]) -> None:
    protocol = attrs.evolve(WORCESTERSHIRE, id="hosts", roles={**ROLES, **roles})
    assert all(protocol.roles[trigger] == frozenset(given) for trigger, given in roles.items())
    assert protocol.opening_problems == ()


def test_host_roles_before_a_host_in_a_file_are_named_at_their_line() -> None:
    error = refused_toml(HEADER + '[roles]\nidentify_host = ["host_head"]\n', "shire.toml")
    assert error.problems == (
        (
            "roles.identify_host",
            "only a host school's roles may fire it, and no host school is known yet in the "
            "stages it is fired in (referred): no one could fire it there",
            7,
        ),
    )


def test_a_file_missing_fields_names_its_other_problems_too() -> None:
    """Unknown keys and role lists that are not names come first, in the file's order; the
    missing fields, which have no line, after them."""
    error = refused_toml('id = "x"\ncolour = 1\nversion = "1"\n[roles]\nopen = [1]\n', "shire.toml")
    assert error.problems == (
        ("colour", "is not a protocol field", 2),
        ("roles.open", "must be a list of role names", 5),
        ("title", "is missing", None),
        ("source", "is missing", None),
        ("effective_from", "is missing", None),
    )


@pytest.mark.parametrize(
    ("given", "kind"), [("worcestershire", "str"), (b"w", "bytes"), (5, "int"), (None, "NoneType")]
)
def test_the_registry_refuses_what_is_not_a_collection_of_protocols(given: Any, kind: str) -> None:
    """A string is iterable, but not a collection of protocols."""
    with pytest.raises(ProtocolDefinitionError) as caught:
        protocol_registry(given)
    assert caught.value.problems == (
        ("protocols", f"must be a collection of Protocols, not {kind}", None),
    )


def test_a_file_missing_fields_still_has_its_values_checked() -> None:
    error = refused_toml('id = "x"\nplace_offer_school_days = 0\n', "shire.toml")
    assert [(field, problem, line) for field, problem, line in error.problems] == [
        ("place_offer_school_days", "must be a whole number above 0, not 0", 2),
        ("version", "is missing", None),
        ("title", "is missing", None),
        ("source", "is missing", None),
        ("effective_from", "is missing", None),
    ]


@pytest.mark.parametrize(
    ("discharging", "unable"),
    [
        ({Role.PARENT}, ["ap", "host", "la"]),  # no obligation is a parent's
        ({Role.AP_HEAD}, ["host", "la"]),
        ({Role.HOST_STAFF, Role.LA_ADMISSIONS}, ["ap"]),
    ],
    ids=["parent", "ap-head", "no-ap"],
)
def test_no_new_case_opens_where_a_party_owing_obligations_may_not_discharge(
    discharging: set[Role], unable: list[str]
) -> None:
    """`discharge = ["parent"]` passed `protocol check`, and no obligation of any case could be
    closed, R17's consent to a deletion among them (found by a review). An earlier version took
    such a protocol: it loads, for the cases opened under it, and opens no new case (refusing
    it outright made them unreadable, found by another)."""
    protocol = attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="y", roles={**ROLES, "discharge": discharging}
    )
    assert protocol.roles["discharge"] == frozenset(discharging)
    assert not protocol.opens_cases
    problems = protocol.opening_problems
    assert [field for field, _ in problems] == ["roles.discharge"] * len(unable)
    assert [problem.split(" party")[0] for _, problem in problems] == [
        f"no role of the {party}" for party in unable
    ]
    assert "they could never be closed" in problems[0][1]
    assert not_opened(protocol).problems[0] == (
        "roles.discharge",
        problems[0][1] + OPENS_NO_CASE,
        None,
    )


def test_a_party_none_of_whose_roles_may_discharge_is_told_which_to_add() -> None:
    roles = {**ROLES, "discharge": {Role.AP_HEAD, Role.LA_ADMISSIONS}}
    assert attrs.evolve(
        WORCESTERSHIRE, id="exampleshire", version="y", roles=roles
    ).opening_problems == (
        (
            "roles.discharge",
            "no role of the host party may discharge, and it owes obligations, which no one "
            "else may discharge: they could never be closed (add host_head or host_staff)",
        ),
    )


def test_retention_years_run_to_the_last_year_a_date_has() -> None:
    assert (
        attrs.evolve(
            WORCESTERSHIRE, id="exampleshire", version="y", retention_years=9999
        ).retention_years
        == 9999
    )
    error = refused(version="y", retention_years=10_000)
    assert (error.field, error.problem) == (
        "retention_years",
        "must be at most 9999 (no date is further off), not 10000",
    )


def test_one_role_of_each_party_owing_obligations_may_discharge_them_all() -> None:
    roles = {Role.AP_STAFF, Role.HOST_HEAD, Role.LA_ADMISSIONS}
    protocol = attrs.evolve(WORCESTERSHIRE, id="few", roles={**ROLES, "discharge": roles})
    assert protocol.roles["discharge"] == frozenset(roles)


def test_every_obligation_a_case_opens_is_owed_by_a_party_that_may_discharge() -> None:
    """What the check above relies on: the steps open obligations for these parties alone, in a
    whole run made permanent and in one ended."""
    from reintegration_fsm.protocol.steps import OWING_PARTIES
    from stages import ending
    from store_contract import built

    owners = {
        Party(opened["owner"])
        for case in (built("whole", 11), ending())
        for transition in case.history
        for opened in transition.data.get("opened", ())
    }
    assert owners == set(OWING_PARTIES)


@pytest.mark.parametrize("key", [1, None, (1, 2)], ids=["int", "none", "tuple"])
def test_a_roles_key_that_is_not_text_is_named_as_no_trigger(key: Any) -> None:
    """Sorting the keys raised TypeError before the validator could name it (found by a
    review)."""
    error = refused(roles={key: [Role.AP_HEAD], **ROLES})
    assert error.field == f"roles.{key}"
    assert error.problem.startswith("is not a trigger; the triggers are ")


@pytest.mark.parametrize("field", ["id", "version"])
@pytest.mark.parametrize(
    "hidden",
    ["\u202e", "\u2066", "\u200b", "\ufeff", "\U000e0001", "\u200d", "\u200c"],
    ids=["rlo", "lri", "zwsp", "bom", "tag", "zwj-between-latin", "zwnj-between-latin"],
)
def test_a_protocol_name_holding_a_character_nobody_sees_is_refused(
    field: str, hidden: str
) -> None:
    """A direction control printed `protocol check`'s name reversed, and a zero-width space
    made a second name reading as the first (found by a review); a new case id refuses them."""
    error = refused(**{field: f"ex{hidden}ample"})
    assert error.field == field
    assert error.problem.startswith("holds an invisible character (U+")


def test_a_protocol_name_in_another_script_is_allowed() -> None:
    protocol = attrs.evolve(WORCESTERSHIRE, id="ynys-môn", version="2027·1")
    assert (protocol.id, protocol.version) == ("ynys-môn", "2027·1")
    # A joiner where a script written with them is joined: Devanagari's क्‍ष, Persian's می‌خواهم.
    joined = "\u0915\u094d\u200d\u0937-1", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    protocol = attrs.evolve(WORCESTERSHIRE, id=joined[0], version=joined[1])
    assert (protocol.id, protocol.version) == joined
    # One alphabet of the look-alike three, with digits and signs of any: not mixed.
    protocol = attrs.evolve(WORCESTERSHIRE, id="москва-2027", version="αβγ-1")
    assert (protocol.id, protocol.version) == ("москва-2027", "αβγ-1")


@pytest.mark.parametrize("field", ["id", "version"])
def test_a_protocol_name_mixing_latin_and_cyrillic_letters_is_refused(field: str) -> None:
    """`wоrcestershire` with a Cyrillic о reads as the library's own and is another name."""
    error = refused(**{field: "w\u043ercestershire"})
    assert error.field == field
    assert error.problem == (
        "mixes Latin and Cyrillic letters (\u043e, U+043E, is Cyrillic), which makes names that "
        "look alike and differ; type it again in one alphabet"
    )


WALES = "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
"""Wales's flag: a black flag, the tags naming the region, and the cancel tag."""


def test_a_flag_written_with_tag_characters_is_seen_and_allowed() -> None:
    """Tag characters are refused alone, not in a flag a file held before (found by a
    review)."""
    protocol = attrs.evolve(WORCESTERSHIRE, id=f"cymru{WALES}", version=f"2027{WALES}")
    assert protocol.id == f"cymru{WALES}"
    error = refused(id=f"cymru{WALES[:3]}")  # a flag cut short: its tags are stray
    assert error.problem.startswith("holds an invisible character (U+E0067")


def test_a_final_review_too_far_off_to_write_out_is_refused_as_any_other() -> None:
    error = refused(version="long", review_weeks=(2, 4, 10**5000))
    assert error.problem.startswith(
        "the final review at 100000000000… (5,001 digits) weeks (700000000000… (5,001 digits) "
        "days) is past final_review_within_days"
    )


def test_a_list_refused_for_one_item_names_the_item() -> None:
    """`review_parties = ["ap", "host", "parnet", "child"]` was refused with the choices alone,
    "parent" among them: the author, reading it, believed they had written it (found by a
    review). The item that is none of them is named; the list without it is taken."""
    text = HEADER + 'review_parties = ["ap", "host", "parnet", "child"]\n'
    text += 'required_evidence = ["psp", "ehcp"]\n'
    error = refused_toml(text, "shire.toml")
    assert error.problems == (
        (
            "review_parties",
            'must be a list of Party values (ap, host, parent, child, la, other), not "parnet"',
            6,
        ),
        (
            "required_evidence",
            "must be a list of Evidence values ("
            + ", ".join(evidence.value for evidence in Evidence)
            + '), not "ehcp"',
            7,
        ),
    )
    taken = Protocol.from_toml(HEADER + 'review_parties = ["ap", "host", "parent", "child"]\n')
    assert Party.PARENT in taken.review_parties


def test_a_list_that_is_no_list_or_holds_no_text_is_named_as_given() -> None:
    """What is not a list at all is quoted whole (there is no one item to name), and an item
    that is not text is named as it is (mutmut found these messages unpinned)."""
    choices = "(ap, host, parent, child, la, other)"
    assert refused(review_parties="ap").problem == (
        f'must be a list of Party values {choices}, not the text "ap": write a list in square '
        'brackets, as ["ap"]'
    )
    assert refused(review_parties=["ap", 5]).problem == (
        f"must be a list of Party values {choices}, not 5"
    )
    roles = refused(roles={**ROLES, "hold_review": "ap_head"})
    assert roles.problem.endswith(
        """), not the text "ap_head": write a list in square brackets, as ["ap_head"]"""
    ), roles.problem


@pytest.mark.parametrize(
    ("item", "why"),
    [
        (
            "p\u0430rent",
            '"p\u0430rent": it mixes Latin and Cyrillic letters (\u0430, U+0430, is Cyrillic)',
        ),
        ("parent\u200b", '"parent\\u200B": it holds an invisible character (U+200B, zero width'),
    ],
    ids=["cyrillic-a", "zero-width-space"],
)
def test_a_look_alike_item_is_named_by_its_code_point(item: str, why: str) -> None:
    """A party or role pasted from a document with a Cyrillic а, or a zero-width space, was
    quoted as it looks, exactly as the value listed beside it (found by a review): it is named
    by its code point, as an id holding one is."""
    parties = refused(review_parties=["ap", item])
    assert parties.problem.startswith(
        "must be a list of Party values (ap, host, parent, child, la, other), not " + why
    ), parties.problem
    roles = refused(roles={**ROLES, "hold_review": [item.replace("parent", "ap_head")]})
    assert roles.field == "roles.hold_review"
    assert "not " + why.replace("parent", "ap_head") in roles.problem, roles.problem


def test_an_unknown_key_or_trigger_with_a_character_nobody_sees_names_it() -> None:
    """`"weighting_points\u200b" = 1` was refused as not a protocol field, the key printed as
    it looks: `weighting_points` to every reader (found by a review)."""
    error = refused_toml(
        HEADER + '"weighting_points\u200b" = 1\n[roles]\n"withdr\u0430w" = ["ap_head"]\n'
    )
    (key, key_problem, _), (trigger, trigger_problem, _) = error.problems
    assert key == "weighting_points\u200b"
    assert key_problem == (
        "is not a protocol field: it holds an invisible character (U+200B, zero width space); "
        "type it again"
    )
    assert trigger == "roles.withdr\u0430w"
    assert trigger_problem.startswith(
        "is not a trigger: it mixes Latin and Cyrillic letters (\u0430, U+0430, is Cyrillic)"
    )
    assert "; the triggers are " in trigger_problem
    plain = refused_toml(HEADER + "colour = 1\n")
    assert plain.problems == (("colour", "is not a protocol field", 6),)


@pytest.mark.parametrize(
    ("title", "held"),
    [
        ("\u200b", "an invisible character (U+200B, zero width space)"),
        ("\ufeff", "an invisible character (U+FEFF, zero width no-break space)"),
        ("\u200b \u2800", "an invisible character (U+200B, zero width space)"),
        ("\u2800", "a blank character other than the space (U+2800, braille pattern blank)"),
    ],
    ids=["zero-width-space", "byte-order-mark", "with-a-space-and-a-blank", "braille-blank"],
)
def test_no_new_case_opens_under_a_title_that_prints_nothing(title: str, held: str) -> None:
    """`title = "\\u200b"` (a zero-width space, as pasted from a web page) passed `protocol
    check` as `ok: exampleshire 2027.1 ()`, where `title = "   "` is refused (found by a
    review). An earlier version took it: it loads, for the cases opened under it, and opens no
    new case, naming the title and what it holds at its line."""
    text = HEADER.replace('title = "Testshire"', f'title = "{title}"')
    protocol = Protocol.from_toml(text, "shire.toml")
    problem = f"must be non-empty text: it prints nothing, holding {held}; give the protocol's name"
    assert protocol.opening_problems == (("title", problem),)
    error = definition.opening_refusal(protocol, text, "shire.toml")
    assert error is not None
    assert error.problems == (("title", problem, 3),)
    assert attrs.evolve(protocol, title="Testshire \u200b").opens_cases
    assert refused(title="   ").problem == 'must be non-empty text, not "   "'
