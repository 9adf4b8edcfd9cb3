"""Texts and names compared as they read: letters' case, Unicode forms and characters nobody sees
folded away, and what two texts that read alike differ in."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from reintegration_fsm.fields.characters import seen


def fold_case(value: str) -> str:
    """`value` as texts that differ only in letters' case compare alike: case folded, and the
    Turkish and Azerbaijani dotless ı and dotted İ as i (whose capitals, I and İ, are written
    for them; `str.casefold` keeps ı, and makes İ an i with a dot above). The CLI compares a
    new case id with those of stored cases so; names are compared by `folded_name`."""
    return value.casefold().replace("ı", "i").replace("i\u0307", "i")


def differing_only_in(one: str, other: str) -> str:
    """What two texts that read alike (`folded_text`) differ in, as a message says it: "letters'
    case", or how it was typed as well (an accent typed apart from its letter, a character
    nobody sees)."""
    if fold_case(one) == fold_case(other):
        return "letters' case"
    return "how it is typed (letters' case, an accent typed apart, a character nobody sees)"


def name_differing_only_in(one: str, other: str) -> str:
    """What two names that read alike (`folded_name`) differ in, as a message says it:
    "letters' case or spacing", or how they were typed as well. An accent typed apart from its
    letter prints as the accented letter: a message saying only case or spacing then names
    two names that look the same (review RG, RG4)."""
    if " ".join(fold_case(one).split()) == " ".join(fold_case(other).split()):
        return "letters' case or spacing"
    return (
        "how it is typed (letters' case, spacing, an accent typed apart from its letter, a "
        "character nobody sees)"
    )


def folded_text(value: str) -> str:
    """`value` as texts that read alike compare: without the characters nobody sees (`seen`:
    a zero-width space pasted from Word), in one Unicode form whichever it was written in (an
    accent typed apart from its letter, as macOS and some MIS exports write it, is the
    accented letter), and its letters' case folded (`fold_case`). What a search of the case
    list matches (`holds_folded`), and what the stores' search columns hold.

    Canonically equivalent texts (Unicode's NFC and NFD) compare alike; a compatibility
    character (a full-width letter) stays itself, as `unclear` refuses it in what is typed
    now, but for what case folding itself spells out (the ligature ﬁ folds to fi).
    """
    if value.isascii():  # no invisible character, one form only: most names
        return value.lower()
    decomposed = unicodedata.normalize("NFD", seen(value))
    return unicodedata.normalize("NFC", fold_case(decomposed))


def folded_name(value: str) -> str:
    """`value` as names of people and schools are compared (R2's child, R5's preferred
    schools, R15's organisations): its words whatever the spacing, folded as `folded_text`
    folds them. Two names with the same fold are the same name."""
    return " ".join(folded_text(value).split())


def folded_name_before_unicode(value: str) -> str:
    """`value` as names were compared before `folded_name` read Unicode forms and invisible
    characters: its words, case folded by `str.casefold` alone. Kept only so that histories
    recorded before the Unicode-aware fold still replay: a replay accepts what R2, R5 and R15
    recorded (`rules.same_name_as_read`) when this fold or today's gives it. No step taken now
    compares names so.

    It is stricter than every fold since (the Turkish ı and İ read as i by `fold_case`, then
    Unicode forms and invisible characters by `folded_name`), but for a zero-width joiner or
    non-joiner: `seen` keeps or drops one by its neighbours before letters' case is folded, so
    beside a character whose other case is another letter or is spelt with a combining mark
    (the Kelvin sign, the micro sign, U+01F0 whose capital is J and a caron) names this fold
    reads alike are two names to `folded_name`."""
    return " ".join(value.casefold().split())


_APOSTROPHES = "\u2019\u2018\u02bc\u2032\u0060\u00b4"
"""Characters written for an apostrophe (’ ‘ ʼ ′ ` ´): Word's and an MIS export's for '."""
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
"""Characters written for a hyphen (‐, the non-breaking ‑, ‒ – — −, small ﹣, full-width －)."""
_PUNCTUATION = str.maketrans(dict.fromkeys(_APOSTROPHES, "'") | dict.fromkeys(_HYPHENS, "-"))


def loosely_folded_name(value: str) -> str:
    """`value` as a subject access request compares a child's name: as `folded_name` folds it,
    and each apostrophe (’ ‘ ʼ ′ ` ´) as ' and each hyphen or dash (‐ ‑ ‒ – — − ﹣ －) as -, so
    that "O'Brien" typed finds "O’Brien" recorded from Word. Looser than the rules' comparison
    (`rules.same_name`), which the stored search columns share: only finding a child's records
    reads names so."""
    return folded_name(value).translate(_PUNCTUATION)


def spellings(names: Iterable[str]) -> dict[str, str]:
    """Each of `names` -> the first of `names` that is the same name (`folded_name`): the
    spelling a school named in several ways (in another letters' case or spacing, an accent
    typed apart from its letter) is shown by where its figures are totalled."""
    first: dict[str, str] = {}
    return {name: first.setdefault(folded_name(name), name) for name in names}


def holds_folded(value: str, text: str) -> bool:
    """`value` contains `text`, whatever their letters' case, Unicode form or invisible
    characters (`folded_text`): what a search of the case list matches."""
    return folded_text(text) in folded_text(value)


def searched_stretch(text: str) -> str:
    """The longest stretch of `text` folded by `folded_text`, without a space (empty when
    there is none): a text folded so holds it wherever `text` is found by `holds_folded`, so
    that a store can narrow a search by its folded columns and then compare each row found
    whole."""
    return max(folded_text(text).split() or [""], key=len)
