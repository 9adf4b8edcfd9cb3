"""Characters a reader does not see as what they are: those nobody sees, stray joiners, letters
of look-alike alphabets, characters that read as plainer ones, direction controls and blank
characters; and text without the ones nobody sees."""

from __future__ import annotations

import re
import unicodedata

from reintegration_fsm.shown import DIRECTION_CONTROLS

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
