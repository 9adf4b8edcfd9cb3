"""attrs validators that raise `FormInvalid`, naming the form, the field and the problem.

Each raises `validation.fail(...)`, so that a value with several bad fields names them all.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeGuard

import attrs

from reintegration_fsm.errors import a_or_an, describe
from reintegration_fsm.shown import CONTROLS, DIRECTION_CONTROLS, LONE_SURROGATES, NONCHARACTER
from reintegration_fsm.validation import fail

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

ID_LENGTH = 100
"""The most characters a case id may have (every store's column holds this many)."""
NAME_LENGTH = 200
"""The most characters a name may have: a person, a school, an authority, an actor's id."""
INTEGER_MOST = 2_147_483_647
"""The most a whole number the library keeps may be: what every engine's INTEGER column holds."""
DAYS_IN_A_YEAR = 366
"""The days of a leap year: the most a count of one year's exclusions may be."""


_UNPRINTABLE = re.compile(f"[{CONTROLS}{LONE_SURROGATES}]")
"""Control characters but tab and newline, and lone surrogates (which no encoding can store)."""
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


ADDRESS: Mapping[str, bool] = types.MappingProxyType({"address": True})
"""The `metadata` of a form's field that holds an address (the child's, a parent's): a
redaction's reason may not quote one the case holds (`stores.erasure`). Read by `holds_address`."""


def holds_address(field: attrs.Attribute[Any] | None) -> bool:
    """`field` is marked as holding an address (`ADDRESS`)."""
    return field is not None and bool(field.metadata.get("address", False))


TOO_LONG = re.compile(r"is [0-9]+ characters long; at most [0-9]+ are kept")
"""What `text_problem` says of a value longer than its most (it quotes no part of the value)."""


def text_problem(value: str, *, single_line: bool = False, most: int | None = None) -> str | None:
    """Why `value` is not acceptable text, or None: the one check every path uses.

    Text may hold any printable character, tab and newline; a single-line value (a name, an id)
    no line break; and no value more than `most` characters.
    """
    found = _UNPRINTABLE.search(value)
    if found is not None:
        character = found.group()
        kind = "a lone surrogate" if "\ud800" <= character <= "\udfff" else "a control character"
        return f"holds {kind} ({character!r} at position {found.start()})"
    if single_line and _LINE_BREAKS.search(value) is not None:
        return "must be on one line"
    if most is not None and len(value) > most:
        return f"is {len(value)} characters long; at most {most} are kept"
    return None


def text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Free text: possibly empty (the rule that needs it reports emptiness), printable."""
    if not isinstance(value, str):
        raise fail(instance, attribute, f"must be text, not {describe(value)}")
    if not value.isprintable():  # fast path: most text is printable, and then needs no scan
        problem = text_problem(value)
        if problem is not None:
            raise fail(instance, attribute, problem)


def name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A name (a person, a school, an authority): one line of at most `NAME_LENGTH` characters,
    possibly empty (the rule that needs it reports emptiness)."""
    if not isinstance(value, str):
        raise fail(instance, attribute, f"must be text, not {describe(value)}")
    if len(value) > NAME_LENGTH or not value.isprintable():
        problem = text_problem(value, single_line=True, most=NAME_LENGTH)
        if problem is not None:
            raise fail(instance, attribute, problem)


def given_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A name that must be given: not blank."""
    name(instance, attribute, value)
    if not value.strip():
        raise fail(instance, attribute, "must not be blank")


def identifier(value: Any, what: str, most: int = ID_LENGTH) -> str | None:
    """Why `value` is not an acceptable id (a case id), or None."""
    if not isinstance(value, str):
        return f"must be text, not {describe(value)}"
    # Printable text holds no control character, lone surrogate or line break, and no space
    # but " ": most ids need neither the scans below nor a stripped copy.
    printable = 0 < len(value) <= most and value.isprintable()
    if printable and value[0] != " " and value[-1] != " ":
        return None
    if not value.strip():
        return "must not be blank"
    return end_space(value) or text_problem(value, single_line=True, most=most)


def end_space(value: str) -> str | None:
    """Why `value`, an id or a name given now, will not do: a space at either end (a slip of
    the paste, which would make it another id or school); or None."""
    return "must not start or end with a space" if value != value.strip() else None


_INVISIBLE = re.compile(
    "[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    f"\U000e0000-\U000e0fff{DIRECTION_CONTROLS}]"
)
"""Characters that change nothing a reader sees: Unicode's default-ignorable ones, which
nothing is drawn for where a program does not know them (the soft hyphen, the combining
grapheme joiner, the Hangul fillers, the Khmer inherent vowels, the Mongolian selectors and
vowel separator, the zero-width space, the word joiner and the invisible operators, the
variation selectors (an emoji's too: a red heart as phones send it is U+2764 U+FE0F), the
byte order mark, the shorthand and musical format controls, the tag characters, the direction
controls, and the code points reserved for more), and the interlinear annotation controls
(U+FFF9 to U+FFFB). Not the zero-width joiner and non-joiner (U+200C, U+200D), which Persian
and Indic scripts are written with, and which change how their text looks; nor the tags of a
flag (`_FLAG`)."""
_FLAG = "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"
"""A flag written with tag characters (England's, Scotland's, Wales's): a black flag, the tags
naming the region, and the cancel tag. Its tags are seen, as the flag."""
_UNSEEN = re.compile(f"({_FLAG})|{_INVISIBLE.pattern}")
"""A flag (kept) or a character nobody sees."""


def invisible(value: str) -> str | None:
    """The first character of `value` that nobody sees (`_INVISIBLE`, outside a flag), as text
    pasted from Word or an email carries, in words; or None."""
    if value.isascii():  # every character `_INVISIBLE` holds is beyond ASCII
        return None
    found = next((m for m in _UNSEEN.finditer(value) if m.group(1) is None), None)
    if found is None:
        return None
    return _invisible_character(found.group())


def _invisible_character(character: str) -> str:
    """A character nobody sees, in words: `an invisible character (U+200B, zero width space)`."""
    name = unicodedata.name(character, "unassigned").lower()  # U+FFF0, kept for future use
    return f"an invisible character (U+{ord(character):04X}, {name})"


_LOOK_ALIKE_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")
"""The alphabets whose letters stand in for each other's (a Cyrillic о for a Latin o, a Greek Α
for a Latin A): a letter's script is the first word of its Unicode name."""


_JOINERS = "\u200c\u200d"
"""The zero-width non-joiner and joiner, which `_INVISIBLE` leaves to the scripts written with
them (`stray_joiner`)."""


def _joins(character: str) -> bool:
    """Whether a joiner beside `character` can change what a reader sees: a letter or mark of a
    script other than the Latin, Greek and Cyrillic alphabets (Arabic, Devanagari...)."""
    return (
        not character.isascii()
        and unicodedata.category(character)[0] in "LM"
        and unicodedata.name(character, "").partition(" ")[0] not in _LOOK_ALIKE_SCRIPTS
    )


def stray_joiner(value: str) -> str | None:
    """The first zero-width joiner or non-joiner of `value` that nobody sees (at an end, or
    beside anything but a letter of a script written with joiners: `example\u200dshire`), in
    words as `invisible` gives them; or None."""
    if value.isprintable():  # neither joiner is printable
        return None
    for at, character in enumerate(value):
        if character in _JOINERS and not _joining(value, at):
            return _invisible_character(character)
    return None


def _joining(value: str, at: int) -> bool:
    """Whether the joiner at `at` in `value` joins two letters of a script written with joiners."""
    return 0 < at < len(value) - 1 and _joins(value[at - 1]) and _joins(value[at + 1])


def unseen(value: str) -> str | None:
    """The first character of new text `value` that nobody sees: one `invisible` finds, or a
    stray joiner (`stray_joiner`), in words; or None."""
    return invisible(value) or stray_joiner(value)


def mixed_scripts(value: str) -> str | None:
    """How `value` mixes letters of two of the Latin, Greek and Cyrillic alphabets, naming the
    first letter of the second one, in words; or None. Such an id can read as another."""
    if value.isascii():
        return None
    first: str | None = None
    for character in value:
        if not character.isalpha():
            continue
        script = unicodedata.name(character, "").partition(" ")[0]
        if script not in _LOOK_ALIKE_SCRIPTS:
            continue
        if first is None:
            first = script
        elif script != first:
            return (
                f"mixes {first.title()} and {script.title()} letters ({character}, "
                f"U+{ord(character):04X}, is {script.title()})"
            )
    return None


_LATIN_LOOK_ALIKES = frozenset(
    "АВЕЅІЈКМНОРСТХУаеіјорсхуѕԁԛԝһӏ"  # Cyrillic
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικνρυ"  # Greek
)
"""Cyrillic and Greek letters drawn as Latin ones are (А for A, о for o, Κ for K)."""


def reads_as_latin(value: str) -> str | None:
    """How `value`, whose every letter is a Cyrillic or Greek one drawn as a Latin letter is
    (`2026-А17` with a Cyrillic А), reads as another id written in Latin letters, naming the
    first; or None."""
    if value.isascii():
        return None
    letters = [character for character in value if character.isalpha()]
    if not letters or not all(character in _LATIN_LOOK_ALIKES for character in letters):
        return None
    first = letters[0]
    script = unicodedata.name(first, "").partition(" ")[0].title()
    return f"is written in {script} letters drawn as Latin ones ({first}, U+{ord(first):04X})"


def not_composed(value: str) -> str | None:
    """How `value` differs from its normal form (NFKC): a full-width or mathematical letter,
    the Kelvin sign, an accent typed apart from its letter; naming the first such character,
    in words; or None. Each reads as the plain character, and is another id."""
    if value.isascii():
        return None
    normal = unicodedata.normalize("NFKC", value)
    if normal == value:
        return None
    first = next((c for c in value if unicodedata.normalize("NFKC", c) != c), None)
    held = (
        "an accent typed apart from its letter"
        if first is None
        else f"{first} (U+{ord(first):04X}, {unicodedata.name(first, 'a character').lower()})"
    )
    return f"holds {held}, which reads as {normal} written plainly"


_STEERING = re.compile(f"[{DIRECTION_CONTROLS}]")


def direction_control(value: str) -> str | None:
    """The first bidirectional control of `value` (a right-to-left override or mark, an
    isolate), in words as `invisible` gives them; or None. Every page and letter shows one as
    an escape (`shown.neutralise`), so a name holding one prints as `Alex\\u202eelpmaxE`."""
    if value.isprintable():  # no direction control is printable
        return None
    found = _STEERING.search(value)
    return None if found is None else _invisible_character(found.group())


def unclear(value: str, it: str = "it") -> str | None:
    """Why `value`, a new id or name, would not read as what it is (a character nobody sees,
    letters of two look-alike alphabets or drawn as another's, a character that reads as a
    plainer one), and to type `it` again; or None."""
    hidden = unseen(value)
    if hidden is not None:
        return f"holds {hidden}; type {it} again"
    mixed = mixed_scripts(value) or reads_as_latin(value)
    if mixed is not None:
        return (
            f"{mixed}, which makes names that look alike and differ; type {it} again in one "
            "alphabet"
        )
    apart = not_composed(value)
    return None if apart is None else f"{apart}; type {it} again so"


def new_id_problem(value: Any) -> str | None:
    """Why `value` will not do as a new case's id, or None: what `identifier` refuses, a
    character that would make it read as another id (`unclear`), a blank one other than the
    space (`blank`), or a noncharacter. The one rule a new id is held to, by
    `Reintegration.open` and by whatever adds a case it did not open (the CLI's `import`); a
    history recorded before still replays."""
    problem = identifier(value, "case_id") or unclear(value, "the id")
    if problem is not None:
        return problem
    spaced = blank(value)
    if spaced is not None:
        return f"holds {spaced}; type the id again"
    return noncharacter(value)


def encodes(value: str) -> bool:
    """Whether `value` encodes as UTF-8: it holds no lone surrogate, which JSON's escapes can
    spell and no file or database can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def noncharacter(value: str) -> str | None:
    """Why `value`, new text, holds a Unicode noncharacter (U+FFFE, U+FFFF, U+FDD0...), which
    no workbook can hold, naming the first; or None.

    Not part of `text_problem`, which replay runs too: a history recorded before new text
    was refused them still loads.
    """
    if value.isprintable():  # no noncharacter is printable
        return None
    found = NONCHARACTER.search(value)
    if found is None:
        return None
    return (
        f"holds a noncharacter (U+{ord(found.group()):04X} at position {found.start()}), "
        "which no workbook can hold"
    )


def noncharacters(value: Any, field: str) -> list[tuple[str, str]]:
    """Each `(field, problem)` of the text in `value` (text, a form or value object, or a
    tuple, set or mapping of them) that holds a noncharacter; a form's fields are named
    `field.name`."""
    if isinstance(value, str):  # a `str` enum's value too, which never holds one
        problem = noncharacter(value)
        return [] if problem is None else [(field, problem)]
    if attrs.has(type(value)):
        return [
            found
            for attribute in attrs.fields(type(value))
            for found in noncharacters(getattr(value, attribute.name), f"{field}.{attribute.name}")
        ]
    if isinstance(value, Mapping):
        value = tuple(value.items())
    if isinstance(value, (tuple, list, frozenset, set)):
        return [found for item in value for found in noncharacters(item, field)]
    return []


_BLANKS = frozenset("\u2800")
"""Characters that print as nothing and are no space, beside those `invisible` finds: the blank
Braille pattern. A name holding one reads as the name without it."""


_PRINTS = re.compile(f"[^\\s{''.join(_BLANKS)}{_JOINERS}{_INVISIBLE.pattern[1:-1]}]")
"""A character that prints: none of a space, a blank character, a character nobody sees or a
joiner. (A joiner `seen` keeps joins two letters, which print; a flag's tags follow its black
flag, which prints.)"""


def prints_nothing(value: str) -> bool:
    """Whether `value` prints as nothing: it holds only spaces, blank characters (`blank`) and
    characters nobody sees (`seen`), as a name of a zero-width space or the blank Braille
    pattern does.

    Every rule needing text asks it of every text a step records (`rules.blank_as_read`): one
    search stopping at the first character that prints, where reading the text through
    `seen` first made `hold_review` a third slower (review S's follow-up, measured)."""
    return _PRINTS.search(value) is None


def blank(value: str) -> str | None:
    """The first blank character of `value` other than the space (a no-break, figure or
    ideographic space; a filler that prints as nothing), in words; or None. A name holding
    one reads as another."""
    if value.isprintable() and _BLANKS.isdisjoint(value):  # no other space is printable
        return None
    for character in value:
        if (character.isspace() and character != " ") or character in _BLANKS:
            name = unicodedata.name(character, "a blank character").lower()
            return f"a blank character other than the space (U+{ord(character):04X}, {name})"
    return None


def visible(value: str) -> str:
    """`value` without the characters `invisible` finds."""
    return _UNSEEN.sub(lambda found: found.group(1) or "", value)


def seen(value: str) -> str:
    """`value` without the characters `unseen` finds: those `invisible` finds and stray
    joiners."""
    value = visible(value)
    if value.isprintable():
        return value
    return "".join(
        character
        for at, character in enumerate(value)
        if character not in _JOINERS or _joining(value, at)
    )


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


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A string or None."""
    if value is not None:
        text(instance, attribute, value)


def flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A yes/no answer: exactly True or False."""
    if not isinstance(value, bool):
        raise fail(instance, attribute, f"must be True or False, not {describe(value)}")


def optional_flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """True, False or None (no answer)."""
    if value is not None:
        flag(instance, attribute, value)


def is_day(value: object) -> TypeGuard[dt.date]:
    """True for a calendar date, a subclass of `date` too; False for a datetime (the protocol
    counts days, and which day a datetime falls on depends on a time zone) or anything else."""
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def plain_day(value: dt.date) -> dt.date:
    """`value` as a plain `date`: a subclass's day, as JSON and every engine read it back."""
    return value if type(value) is dt.date else dt.date(value.year, value.month, value.day)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECONDS = r"(?::[0-9]{2}(?:\.[0-9]{6})?)?"
_ISO_TIME = re.compile(rf"[0-9]{{2}}:[0-9]{{2}}{_SECONDS}(?:[+-][0-9]{{2}}:[0-9]{{2}}{_SECONDS})?")


def iso_day(text: str) -> dt.date:
    """The day `text` writes as `2026-03-02`: the one form every supported Python reads alike
    (from 3.11 `date.fromisoformat` also takes `20260302` and `2026-W10-1`, which 3.10 refuses,
    so a store holding them would not load there).

    Raises:
        ValueError: any other text, or a day no calendar has.
    """
    if _ISO_DAY.fullmatch(text) is None:
        raise ValueError(f"{describe(text)} is not a date written like 2026-03-02")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:  # "day is out of range for month", naming no day
        raise ValueError(f"{describe(text)} is no such day: {error}") from None


def iso_time(text: str) -> dt.time:
    """The time `text` writes as `09:30` or as `time.isoformat()` does (`09:30:00`, with an
    offset `+01:00`), which every supported Python reads alike.

    Raises:
        ValueError: any other text (`0930`, `T09:30`, `09:30Z`), or no such time.
    """
    if _ISO_TIME.fullmatch(text) is None:
        raise ValueError(f"{describe(text)} is not a time written like 09:30")
    try:
        return dt.time.fromisoformat(text)
    except ValueError as error:  # "hour must be in 0..23", naming no time
        raise ValueError(f"{describe(text)} is no such time: {error}") from None


def as_day(value: dt.date) -> dt.date:
    """A form's converter: a subclass of `date` (a date library's own) as the plain date it
    holds, which the record, the case's state and every engine then read alike; any other value
    as given, for the validator to judge.

    Typed as the field is: mypy and pyright give a form's constructor the type of its
    converter's argument, and an `Any` there let a typed importer pass a text where a date is
    due (review TY, TY3). At run time it takes anything, as before.
    """
    if type(value) is not dt.date and is_day(value):
        return dt.date(value.year, value.month, value.day)
    return value


def as_optional_day(value: dt.date | None) -> dt.date | None:
    """`as_day` for a field that may be None."""
    return None if value is None else as_day(value)


def day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A calendar date (a datetime is refused: the protocol counts days)."""
    if not is_day(value):
        raise fail(instance, attribute, f"must be a date, not {describe(value)}")


def optional_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A date or None."""
    if value is not None:
        day(instance, attribute, value)


def past_day(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A date that is not in the future."""
    day(instance, attribute, value)
    if value > dt.date.today():
        raise fail(instance, attribute, f"{value.isoformat()} is in the future")


def member(enum_type: type[enum.Enum], *, optional: bool = False) -> Validator:
    """A member of `enum_type` (or None when `optional`)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, enum_type):
            raise fail(
                instance, attribute, f"must be {a_or_an(enum_type.__name__)}, not {describe(value)}"
            )

    return check


def count(most: int = INTEGER_MOST, what: str = "what every store's column holds") -> Validator:
    """A whole number from 0 to `most`, or None; `what` says why no more (a count no store
    can hold would let a trigger take a case that can then never be saved)."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(instance, attribute, f"must be a whole number, not {describe(value)}")
        if value < 0:
            raise fail(instance, attribute, f"must be 0 or more, not {describe(value)}")
        if value > most:
            raise fail(
                instance, attribute, f"must be at most {most:,} ({what}), not {describe(value)}"
            )

    return check


def percentage(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A whole-number percentage from 0 to 100, or None."""
    if value is not None:
        _PERCENT(instance, attribute, value)


def within(low: int, high: int) -> Validator:
    """A whole number from `low` to `high` inclusive."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(instance, attribute, f"must be a whole number, not {describe(value)}")
        if not low <= value <= high:
            raise fail(
                instance, attribute, f"must be between {low} and {high}, not {describe(value)}"
            )

    return check


_PERCENT = within(0, 100)


def each(item: Validator, container: type[Collection[Any]] = tuple) -> Validator:
    """A `container` (tuple or frozenset) whose every item passes `item`."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, container):
            raise fail(
                instance, attribute, f"must be {a_or_an(container.__name__)}, not {describe(value)}"
            )
        for element in value:
            item(instance, attribute, element)

    return check


def instance(kind: type[Any], *, optional: bool = False) -> Validator:
    """An instance of `kind` (or None when `optional`)."""

    def check(instance_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, kind):
            raise fail(
                instance_, attribute, f"must be {a_or_an(kind.__name__)}, not {describe(value)}"
            )

    return check


def to_tuple(value: Any) -> Any:
    """Accept a list where a tuple is meant; leave anything else for the validator.

    A field's converter is a typed one that calls it (`to_texts`, `forms.meetings._attendees`):
    a form's constructor takes the type of its converter's argument (review TY, TY3), and mypy
    reads no generic converter.
    """
    return tuple(value) if isinstance(value, list) else value


def to_texts(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """`to_tuple` for a field of texts or names."""
    converted: tuple[str, ...] = to_tuple(value)
    return converted


def to_frozenset(value: Any) -> Any:
    """Accept a set, list or tuple where a frozenset is meant; leave anything else (a list
    holding a list, which no set can hold) for the validator."""
    if isinstance(value, (set, list, tuple)):
        try:
            return frozenset(value)
        except TypeError:
            return value
    return value
