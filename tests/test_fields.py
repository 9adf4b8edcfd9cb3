"""The checks every path applies to text values (`reintegration_fsm.fields`)."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from reintegration_fsm.fields import (
    encodes,
    fold_case,
    folded_name,
    folded_text,
    holds_folded,
    identifier,
    invisible,
    loosely_folded_name,
    new_id_problem,
    noncharacter,
    prints_nothing,
    searched_stretch,
    seen,
    spellings,
    text_problem,
    unseen,
)

MOST = 8


def spelled_out(value: str, most: int) -> str | None:
    """`identifier`'s answer as its rules read, one after the other."""
    if not value.strip():
        return "must not be blank"
    if value != value.strip():
        return "must not start or end with a space"
    return text_problem(value, single_line=True, most=most)


@given(st.text(max_size=MOST + 2))
@example("")
@example(" ")
@example("a ")
@example(" a")
@example("a\u3000")
@example("\u3000a")
@example("a\tb")
@example("a\nb")
@example("a\x85")
@example("\ud800a")
@example("x" * MOST)
@example("x" * (MOST + 1))
@example(" " + "x" * MOST)
def test_an_identifier_is_checked_as_its_rules_spell_out(value: str) -> None:
    """The quick answer for printable ids is the answer the rules give, for any text."""
    assert identifier(value, "case_id", MOST) == spelled_out(value, MOST)


def test_an_identifier_that_is_not_text_is_refused() -> None:
    assert identifier(7, "case_id") == "must be text, not 7"


def test_noncharacter_finds_unicodes_66_noncharacters_and_nothing_else() -> None:
    """U+FDD0 to U+FDEF, and the last two code points of each of the 17 planes."""
    expected = [
        *range(0xFDD0, 0xFDF0),
        *(plane + last for plane in range(0, 0x110000, 0x10000) for last in (0xFFFE, 0xFFFF)),
    ]
    found = [code for code in range(0x110000) if noncharacter(f"a{chr(code)}") is not None]
    assert found == expected
    assert len(found) == 66
    assert noncharacter("Hollybrook\uffff") == (
        "holds a noncharacter (U+FFFF at position 10), which no workbook can hold"
    )


def test_text_problem_still_lets_a_noncharacter_through_for_histories_recorded_before() -> None:
    assert text_problem("Hollybrook\uffff", single_line=True) is None


_PASTED = st.text(
    st.sampled_from(
        ["a", "C", "-", "9", " ", "\u0628", "\u0647", "\u200c", "\u200d", "\u200b", "\ufeff"]
    ),
    max_size=8,
)
"""Text of Latin and Arabic letters with joiners and characters nobody sees among them."""


@given(_PASTED)
@example("C-9\u200d")
@example("\u0628\u200c\u0647")
@example("\u0628\u200c\u200c\u0647")
def test_seen_drops_what_unseen_finds_and_nothing_else(value: str) -> None:
    """An id pasted with a stray joiner reads as the id meant, and a joiner between two Arabic
    letters, which changes what a reader sees, stays."""
    kept = seen(value)
    assert unseen(kept) is None
    assert (kept == value) == (unseen(value) is None)
    assert kept.replace("\u200c", "").replace("\u200d", "") == "".join(
        character for character in value if character not in "\u200b\ufeff\u200c\u200d"
    )


def test_a_joiner_between_two_arabic_letters_is_seen() -> None:
    assert seen("\u0628\u200c\u0647") == "\u0628\u200c\u0647"
    assert seen("C\u200d-9\u200c") == "C-9"


DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
]
"""Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, 15.1) but the
surrogates: characters nothing is drawn for where a program does not know them."""


def test_invisible_finds_every_default_ignorable_character_but_the_joiners() -> None:
    """Variation selectors (an emoji's U+FE0F too), fillers, the Khmer inherent vowels, the
    Mongolian selectors and format characters, reserved code points kept for such: each after
    `DEMO-0004` read as DEMO-0004 and opened another case (found by a review). Not the joiners,
    which Persian and Indic writing needs (`stray_joiner`); and the interlinear annotation
    controls (U+FFF9 to U+FFFB), which show nothing either."""
    expected = [
        code
        for first, last in [*DEFAULT_IGNORABLE, (0xFFF9, 0xFFFB)]
        for code in range(first, last + 1)
        if code not in (0x200C, 0x200D)
    ]
    found = [code for code in range(0x110000) if invisible(f"a{chr(code)}") is not None]
    assert found == sorted(expected)
    assert invisible("DEMO-0004\ufe0f") == (
        "an invisible character (U+FE0F, variation selector-16)"
    )
    assert invisible("DEMO-0004\ufff0") == "an invisible character (U+FFF0, unassigned)"


def test_a_flag_written_with_tags_is_seen() -> None:
    """England's flag is a black flag, tags naming the region, and a cancel tag: it is seen."""
    england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    assert invisible(f"C-9 {england}") is None
    assert invisible(f"C-9 \U000e0067{england}") is not None


def test_a_new_id_is_held_to_every_check_open_makes() -> None:
    """`Reintegration.open` and the CLI's `import` hold a new id to this one rule."""
    assert new_id_problem("C-9") is None
    assert new_id_problem("ÉCOLE-1") is None
    assert new_id_problem(" C-9") == "must not start or end with a space"
    assert new_id_problem("C-9\u200b") == (
        "holds an invisible character (U+200B, zero width space); type the id again"
    )
    assert new_id_problem("C-9\u2800") == (
        "holds a blank character other than the space (U+2800, braille pattern blank); type the "
        "id again"
    )
    assert new_id_problem("C-9\uffff") == (
        "holds a noncharacter (U+FFFF at position 3), which no workbook can hold"
    )
    assert (new_id_problem("2026-\u041017") or "").startswith("is written in Cyrillic letters")


def test_letters_case_is_folded_as_it_is_read_aloud() -> None:
    """KIZ is kız in capitals and DİLEK dilek: the Turkish ı and İ fold to i, as I and i do."""
    assert fold_case("DİLEK-1") == fold_case("dilek-1") == fold_case("DILEK-1") == "dilek-1"
    assert fold_case("KIZ-1") == fold_case("kız-1") == fold_case("Kiz-1") == "kiz-1"
    assert fold_case("STRASSE-1") == fold_case("straße-1")
    assert fold_case("ΟΔΟΣ-1") == fold_case("οδος-1")
    assert fold_case("kız-1") != fold_case("kaz-1")


def test_a_name_is_folded_whatever_its_unicode_form_and_invisible_characters() -> None:
    """An accent typed apart from its letter, a zero-width space, letters' case and runs of
    spaces leave a name the same name (review W, W1 and W2); a missing accent, a compatibility
    character or another letter does not."""
    assert folded_name("Zoe\u0308 Quill") == folded_name("ZOË  QUILL") == "zoë quill"
    assert folded_name("Ro\u200bwan \u2060Zed") == folded_name("rowan zed")
    assert folded_name("DİLEK Kaya") == folded_name("dilek kaya")  # fold_case's i too
    assert folded_name("\u01f0") == folded_name("J\u030c")  # folds to j and a caron, composed
    assert folded_name("Zoe Quill") != folded_name("Zoë Quill")
    assert folded_name("\uff3aoe") != folded_name("Zoe")  # another character (NFC, not NFKC)
    assert folded_text("Zoe\u0308  Quill") == "zoë  quill"  # a search keeps its spaces
    assert folded_text("Alex Example") == "alex example"


@given(st.text(max_size=20))
def test_a_folded_name_folds_to_itself(value: str) -> None:
    assert folded_name(folded_name(value)) == folded_name(value)
    assert holds_folded(value, value)


def test_a_name_is_loosely_folded_whatever_its_apostrophes_and_hyphens() -> None:
    """Subject access finds a child whatever apostrophe or hyphen the name is written with;
    the rules' comparison (and the search columns) keep them apart."""
    for mark in "\u2019\u2018\u02bc\u2032`\u00b4":
        assert loosely_folded_name(f"Aoife O{mark}BRIEN") == "aoife o'brien"
        assert folded_name(f"Aoife O{mark}Brien") != folded_name("Aoife O'Brien")
    for mark in "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d":
        assert loosely_folded_name(f"Ellis  Smith{mark}Jones") == "ellis smith-jones"
    assert loosely_folded_name("Zoe\u0308 Quill") == folded_name("Zoë Quill")
    assert loosely_folded_name("Aoife OBrien") != loosely_folded_name("Aoife O'Brien")
    assert loosely_folded_name("Smith Jones") != loosely_folded_name("Smith-Jones")


@given(st.text(max_size=20), st.text(max_size=20))
def test_names_the_same_to_the_rules_are_the_same_loosely(a: str, b: str) -> None:
    if folded_name(a) == folded_name(b):
        assert loosely_folded_name(a) == loosely_folded_name(b)


def test_a_search_narrows_by_a_stretch_the_folded_columns_hold() -> None:
    assert searched_stretch("Zoe\u0308 Quill") == "quill"
    assert searched_stretch("  Zoë  ") == "zoë"
    assert searched_stretch(" ") == ""
    assert searched_stretch("Ro\u200bwan Zed") == "rowan"
    assert holds_folded("Ro\u200bwan Zed", "ROWAN Z")
    assert not holds_folded("Rowan Zed", "Rowan  Zed")


def test_each_spelling_is_shown_as_the_first_of_its_name() -> None:
    names = ["Elmstead High School", "ELMSTEAD HIGH SCHOOL", "Oakhurst", "elmstead  high school"]
    assert spellings(names) == {
        "Elmstead High School": "Elmstead High School",
        "ELMSTEAD HIGH SCHOOL": "Elmstead High School",
        "Oakhurst": "Oakhurst",
        "elmstead  high school": "Elmstead High School",
    }
    assert spellings(reversed(names))["Elmstead High School"] == "elmstead  high school"


_QUIET = " \t\u00a0\u3000\u2800\u3164\u115f\uffa0\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e\ufe0f"
"""Characters that print nothing (spaces, blanks, characters nobody sees, joiners)."""
_LOUD = "a\u0628\u0915\u094d\u0301\u2764\U0001f3f4\U000e0067\U000e007f.\x01"
"""Characters that print, or print with a neighbour (letters, a virama, a combining accent, a
heart, a black flag and its tags), and a control character, which is no space."""


def _as_defined(value: str) -> bool:
    """`prints_nothing` as it is defined: every character `seen` leaves a space or a blank."""
    return all(character.isspace() or character == "\u2800" for character in seen(value))


@given(st.text(alphabet=st.sampled_from(_QUIET + _LOUD), max_size=12))
@example("")
@example("\u200d")
@example("\u0628\u200d\u0628")
@example("\U0001f3f4\U000e0067\U000e007f")
def test_prints_nothing_reads_text_as_it_is_defined(value: str) -> None:
    """One search for a character that prints (a third of `hold_review`'s time went to reading
    each recorded text through `seen` first) answers as the definition does."""
    assert prints_nothing(value) == _as_defined(value)


def test_prints_nothing_reads_every_character_as_it_is_defined() -> None:
    """Each code point alone (but the surrogates, which no str from UTF-8 holds)."""
    differ = [
        hex(point)
        for point in range(0x110000)
        if not 0xD800 <= point <= 0xDFFF and prints_nothing(chr(point)) != _as_defined(chr(point))
    ]
    assert differ == []
    assert prints_nothing(" \u200b\u2800\ufeff")
    assert not prints_nothing(" \u200bx")


def test_encodes_refuses_a_lone_surrogate_anywhere_and_allows_every_other_text() -> None:
    """The one check of text no file or database can hold, which the store's row checks, the
    checkpoint reader and the CLI's JSON reader share."""
    assert not encodes("\ud800")
    assert not encodes("Ada \udfff Invented")
    assert not encodes("\ud83d")  # the first half of a pair, alone
    assert encodes("")
    assert encodes("Zo\u00eb \U0001f600 \u0645\u062d\u0645\u062f")
    assert encodes("\ufffe")  # a noncharacter encodes; `noncharacter` refuses it apart


@given(st.text())
def test_encodes_allows_all_text_of_valid_code_points(value: str) -> None:
    """Hypothesis's text holds no surrogate, so all of it encodes."""
    assert encodes(value)


@given(st.text(), st.integers(0xD800, 0xDFFF), st.text())
def test_encodes_refuses_text_with_a_surrogate_between_any_text(
    before: str, surrogate: int, after: str
) -> None:
    assert not encodes(before + chr(surrogate) + after)
