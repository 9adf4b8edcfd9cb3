"""A redaction's reason: refused when it quotes a value the redaction removes, or a name, date
of birth or address of the child or the family the case still holds (the reason is shown in
place of each value removed, and kept with its record)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.fields import folded_name, loosely_folded_name
from reintegration_fsm.forms.letter import MONTHS
from reintegration_fsm.stores import personal
from reintegration_fsm.stores.digests import column_digest
from reintegration_fsm.stores.redacted_values import Removed
from reintegration_fsm.stores.stored import stored_data
from reintegration_fsm.vocabulary import FAMILY_ROLES, PARTY_OF_ROLE, Role

FAMILY_PARTIES = frozenset(PARTY_OF_ROLE[role].value for role in FAMILY_ROLES)
"""The parties of a meeting's attendees who are the family (as stored)."""


def kept_values(by_seq: Mapping[int, Mapping[str, Any]]) -> list[Removed]:
    """Every name of the child or the family (`_family_name`), date of birth and address (a
    form's field marked `fields.ADDRESS`) the case still holds (in any entry's data, and the
    family's own names as actors), which a reason may not quote either: the reason is bound
    into the chain and shown in place of what it removes, so a later erasure of that value (or
    a retention run) could never take it from there (review D, D11: the addresses). An address
    is read only when it could locate a home (`_locates_a_home`).
    What a redaction left in another store's place (an import's placeholder text, `0001-01-01`)
    names nobody."""
    found = []
    for seq, entry in sorted(by_seq.items()):
        data = stored_data(entry)
        for path in personal.personal_paths(entry["trigger_name"], data):
            leaf = personal.declared(entry["trigger_name"], path)
            value = personal.get(data, path)
            dotted = personal.dotted(path)
            name = personal.person_name(leaf) and _family_name(data, path)
            address = personal.address(leaf) and _locates_a_home(value)
            read = name or _date_of_birth(dotted) or address
            if _removed_elsewhere(value) or not read:
                continue
            found.append(Removed(seq, dotted, value, name, kept=True))
        actor_name = entry["actor_name"]
        if (
            Role(entry["actor_role"]) in FAMILY_ROLES
            and column_digest(actor_name) is None
            and not _removed_elsewhere(actor_name)
        ):
            found.append(Removed(seq, f"{personal.ACTOR}.name", actor_name, True, kept=True))
    return found


_FAMILY_FIELDS = frozenset({"child_name", "parent_name", "second_parent_name", "signed_by"})
"""The name fields that only ever hold the child's or a parent's name (a consent form's signer
is a parent, the child's views are signed by the child)."""


def _family_name(data: Any, path: personal.Path) -> bool:
    """The name at `path` is the child's or the family's: the pupil's, one of `_FAMILY_FIELDS`,
    or a meeting attendee of the parent's or the child's party. A professional's or a staff
    member's name (`professionals.0.name`, `head_teacher`) is not: its words ("psychologist",
    "key worker") would refuse ordinary reasons, and staff stay named."""
    field = path[-1]
    if field in _FAMILY_FIELDS or path[-2:] == ("pupil", "name"):
        return True
    if field == "name" and len(path) >= 3 and path[-3] == "attendees":
        attendee = personal.get(data, path[:-1])
        return isinstance(attendee, Mapping) and attendee.get("party") in FAMILY_PARTIES
    return False


def _locates_a_home(address: str) -> bool:
    """`address`, held in a field marked `fields.ADDRESS`, could locate a home: it holds a
    digit (a house number, a postcode) or at least three words of two letters or more, folded
    as a reason is (`_name_words`; a Han character is a word of its own): "Rose Cottage,
    Little Exton". A review's change of address is most often answered "No", "None", "N/A",
    "No change" or "as above", which locate nobody; read as addresses, each refused every
    reason holding those words, "No longer needed" among them (review Y, Y2). An address
    without a number is still written with three words or more (a house, a lane, a village)."""
    if any(character.isdigit() for character in folded_name(address)):
        return True
    words = [
        word
        for word in _name_words(address)
        if sum(character.isalpha() for character in word) >= 2 or _ideograph(word)
    ]
    return len(words) >= 3


def _removed_elsewhere(value: str) -> bool:
    """`value` is what a redaction leaves in a value's place: a note's text, or the date
    `0001-01-01` (a history imported without its redaction records holds them as values)."""
    return personal.is_note_text(value) or value == personal.REDACTED_DATE.isoformat()


def _date_of_birth(path: str) -> bool:
    """`path` names a date of birth (`pupil.date_of_birth`, `form.child_dob`)."""
    return path.rsplit(".", 1)[-1] in personal.PERSONAL_DATES


def _written_dates(value: str) -> list[str]:
    """A date of birth stored as `value` (ISO) as people write it, folded as a reason is
    (`folded_name`): 09/03/2012, 9/3/2012, 09-03-2012, 09.03.2012 (each with the year's last
    two digits too: 09/03/12), 9 March 2012, 9th March 2012, 9th of March 2012, 9 Mar 2012,
    9 Mar. 2012, 9 March, 2012, 09-Mar-2012 (each with the year's two digits too: 9 March 12),
    March 9, 2012 and as stored; September's short form also as "Sept" (review D, D3). Empty
    for text that is no ISO date."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return []
    d, m, y = day.day, day.month, day.year
    month = MONTHS[m - 1]  # English whatever the locale: the office writes it so
    shorts = (month[:3], *(("Sept",) if m == 9 else ()))
    names = (month, *shorts, *(f"{short}." for short in shorts if short != month))
    suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    years = (str(y), f"{y % 100:02}")  # 14/05/12: the short year an office most often writes
    numeric = [
        f"{a}{sep}{b}{sep}{year}"
        for a in (f"{d:02}", str(d))
        for b in (f"{m:02}", str(m))
        for sep in "/-."
        for year in years
    ]
    days = (f"{d:02}", str(d), f"{d}{suffix}")
    words = [
        written
        for a in days
        for b in names
        for year in years
        for written in (
            f"{a} {b} {year}",
            f"{a} {b}, {year}",
            f"{a} of {b} {year}",
            f"{a} of {b}, {year}",
            f"{a}-{b}-{year}",
        )
    ]
    words += [f"{b} {a}, {y}" for a in (str(d), f"{d}{suffix}") for b in names]
    words += [f"{b} {a} {y}" for a in (str(d), f"{d}{suffix}") for b in names]
    return [folded_name(text) for text in (value, *numeric, *words)]


def _name_words(text: str) -> list[str]:
    """The words of `text` folded as `same_as_any` compares names: each run of letters,
    digits and accents, apart at spaces, apostrophes, dashes and other punctuation
    ("Aoife O’Brien-Kay" holds aoife, o, brien and kay), and each Han character a word of its
    own (`_ideograph`: "王伟" holds 王 and 伟), as Chinese writes no space between words."""
    words: list[str] = []
    word: list[str] = []
    for character in loosely_folded_name(text) + " ":
        if _ideograph(character):
            words.extend(["".join(word), character] if word else [character])
            word = []
        elif character.isalnum() or unicodedata.category(character).startswith("M"):
            word.append(character)
        elif word:
            words.append("".join(word))
            word = []
    return words


def _ideograph(character: str) -> bool:
    """`character` is a Han character (a CJK ideograph, as Chinese, Japanese kanji and Korean
    hanja write it): a syllable that is a whole surname or given name on its own (王, 伟)."""
    return not character.isascii() and "IDEOGRAPH-" in unicodedata.name(character, "")


def _quotes_word(word: str, said_words: set[str]) -> bool:
    """`said_words` holds `word`, a word of a name of two letters or more or a Han character:
    a word of one letter ("O" of O’Brien, "J" of initials) names nobody on its own."""
    letters = sum(character.isalpha() for character in word)
    return (letters >= 2 or _ideograph(word)) and word in said_words


def _quotes_whole(value: str, said: str) -> bool:
    """`said` (folded as `value` is) holds `value` as whole words."""
    return bool(value) and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", said) is not None


def refuse_quoting(reason: str, removed: Sequence[Removed]) -> None:
    """Refuse a reason that quotes a value the redaction removes: the reason is shown in place
    of every value removed, in the case row's name and its search column, and would put the
    value back.

    A person's name is quoted whole, compared as names are (`fields.folded_name`) or as a
    subject access request reads them (`fields.loosely_folded_name`), as whole words; or by
    any of its words of two or more letters, or any Han character of it, that the reason holds
    as a word (`_name_words`: the surname alone, the first name, the name written with another
    apostrophe), so that the person is not found by a search for either; a short common word
    that is also part of a name ("Will") is refused too. A name whose words are all of one
    letter (initials, "J S") is refused whole only. Any other value is quoted whole, compared
    as names are, as whole words; a date of birth also as people write it (09/03/2012,
    9 March 2012: `_written_dates`). The names, dates of birth and addresses the case holds
    beyond what is removed (`kept`, `kept_values`) are refused alike (an address whole, as any other
    value, when it could locate a home: `_locates_a_home`): a later erasure could not remove
    them from the reason.

    Raises:
        FormInvalid: on `reason`, naming where the value quoted was (not the value).
    """
    said = folded_name(reason)
    loosely_said = loosely_folded_name(reason)
    said_words = set(_name_words(reason))
    for item in removed:
        whole = [folded_name(item.value)]
        if _date_of_birth(item.path):
            whole += _written_dates(item.value)
        if any(_quotes_whole(value, said) for value in whole) or (
            item.name and _quotes_whole(loosely_folded_name(item.value), loosely_said)
        ):
            what = "the name" if item.name else "the value"
        elif item.name and any(_quotes_word(word, said_words) for word in _name_words(item.value)):
            what = "a word of the name"
        else:
            continue
        if item.kept:
            raise FormInvalid(
                "redact",
                "reason",
                f"the reason quotes {what} the case holds at {item.path} of entry {item.seq}; "
                "a reason is kept with its record, so no later erasure of that value could "
                "remove it: describe the request without quoting whose it is (e.g. 'Erasure "
                "request')",
            )
        raise FormInvalid(
            "redact",
            "reason",
            f"the reason quotes {what} removed at {item.path} of entry {item.seq}, and is shown "
            "in place of every value removed: describe the request without quoting what it "
            "removes (e.g. 'Erasure request')",
        )
