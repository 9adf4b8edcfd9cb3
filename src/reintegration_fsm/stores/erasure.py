"""Planning a redaction: the log columns it changes, the records it adds, the case row's new
summary; checked, before anything is written, to leave a case that still loads.

Both stores run the same plan inside their own transaction (see `redact` on each store).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import AlteredRow, FormInvalid, ProtocolError, UnknownProtocol
from reintegration_fsm.fields import folded_name, loosely_folded_name, plain_day
from reintegration_fsm.forms.letter import MONTHS
from reintegration_fsm.rules import same_name
from reintegration_fsm.stores import arguments, personal
from reintegration_fsm.stores.clocks import refuse_clock_behind
from reintegration_fsm.stores.digests import ACTOR_FIELDS, column_digest
from reintegration_fsm.stores.entries import transitions_from_rows
from reintegration_fsm.stores.failures import ALTERED
from reintegration_fsm.stores.redaction import RedactionNote, Removal, note_row, remove
from reintegration_fsm.stores.rows import Row, case_row
from reintegration_fsm.stores.stored import stored_data
from reintegration_fsm.vocabulary import (
    FAMILY_ROLES,
    ORGANISATION_OF_PARTY,
    PARTY_OF_ROLE,
    ROLE_WORDS,
    Actor,
    Party,
    Role,
)

Targets = Mapping[int | None, Sequence[str]]
"""Paths to remove, by the seq of the entry (None: every entry holding them)."""

FAMILY_PARTIES = frozenset(PARTY_OF_ROLE[role].value for role in FAMILY_ROLES)
"""The parties of a meeting's attendees who are the family (as stored)."""
CASE_COLUMNS = ("pupil_name", "pupil_name_folded", "state")
"""The case row's columns a redaction can change: the child's name, shown by `cases()`, and the
case's state (which may hold a removed value)."""


@attrs.frozen
class Plan:
    """What one redaction writes."""

    updates: list[Row]
    """For each entry it changes: `seq`, and its new `data`, `actor_id` and `actor_name`."""
    records: list[Row]
    """The `rfsm_redactions` rows it adds."""
    case_changes: Row
    """The case row's columns it changes."""
    notes: list[RedactionNote]


def check_request(reason: Any, by: Any, on: Any) -> None:
    """Refuse a redaction without a reason, an actor or a business date.

    Raises:
        FormInvalid: saying which.
    """
    problem = personal.fits(reason)
    if problem is not None:
        raise FormInvalid("redact", "reason", problem)
    if not isinstance(by, Actor):
        raise FormInvalid("redact", "by", f"must be an Actor, not {type(by).__name__}")
    if by.party not in _REDACTING:
        raise FormInvalid(
            "redact",
            "by",
            f"{ROLE_WORDS[by.role]} asks for a redaction, and staff of the case's AP "
            "setting, host school or local authority make it: give theirs, and the request "
            "as its reason",
        )
    arguments.business_day("redact", "on", on)  # a subclass of date is a date, as everywhere


_REDACTING = frozenset({Party.AP, Party.HOST, Party.LA})
"""The parties whose staff redact: those who hold the record, not the family it is about."""


_HOLDERS = {
    "ap_setting": "AP setting",
    "host_school": "host school",
    "local_authority": "local authority",
}
"""Each organisation that holds a case's record, as a sentence names it."""


def _acting_for(by: Actor, entries: Sequence[Mapping[str, Any]]) -> str | None:
    """Why `by` does not act for the organisation of its party in the case whose log is
    `entries` (its AP setting, host school or authority, which hold its record), or None."""
    field = ORGANISATION_OF_PARTY[by.party]
    named = [
        data[field]
        for entry in entries
        if entry["trigger_name"] in ("open", "identify_host")
        and isinstance(data := stored_data(entry), Mapping)
        and isinstance(data.get(field), str)
    ]
    if named and same_name(by.organisation, named[-1]):  # as R15 compares them
        return None
    holder = named[-1] if named else None
    return (
        f"{by.name} acts for {by.organisation!r}, not for the case's {_HOLDERS[field]}"
        + ("" if holder is None else f" {holder!r}")
        + ", which holds its record with the other parties"
    )


def _refuse_clock_behind(
    now: dt.datetime, entry: Mapping[str, Any], notes: Sequence[Mapping[str, Any]]
) -> None:
    """Refuse a redaction record stamped `now` that `verify()` would report dated back: before
    the entry it redacts, or a record of it made before, by more than CLOCK_SLACK.

    Raises:
        StoreError: this machine's clock is behind (not retryable); nothing written.
    """
    seq = int(entry["seq"])
    then, follows = entry.get("recorded_at"), f"entry {seq}, which it redacts"
    for note in notes:
        stamp = note.get("redacted_at")
        if type(stamp) is dt.datetime and (type(then) is not dt.datetime or stamp > then):
            then, follows = stamp, f"redaction {note['number']} of entry {seq}"
    case_id = str(entry["case_id"])
    refuse_clock_behind(case_id, now, then, follows, f"redact case {case_id!r}")


def plan(
    entries: Sequence[Mapping[str, Any]],
    notes: Mapping[int, Sequence[Mapping[str, Any]]],
    targets: Targets,
    reason: str,
    *,
    by: Actor,
    on: dt.date,
    now: dt.datetime,
    authority: str,
    calendar: SchoolCalendar | None,
    protocols: Sequence[Any],
    every_case: bool = False,
) -> Plan:
    """The redaction of `targets` in a case whose log is `entries` (its redactions `notes`),
    by staff of a party to the case, or, for a retention run (`every_case`), of the store's.

    A person's name it removes takes every other copy of that name in the case with it
    (`_copies`), each recorded as a path named is, and listed in its note's `copies`.

    Raises:
        StoreError: this machine's clock reads before the entry it redacts, or a redaction
            record of it, by more than CLOCK_SLACK (not retryable).
        FormInvalid: a path names nothing, or no personal data; nothing is left to remove;
            `on` is before the day an entry it removes values from was recorded; or the
            redacted history would no longer load (a rule compares a removed value with one
            that is still there: remove both in one redaction); or `by` does not act for the
            case's AP setting, host school or authority; or the reason quotes a value it
            removes, or a name, date of birth or address of the child or the family the case
            holds (not a retention run's).
    """
    check_request(reason, by, on)
    if not every_case:  # before any path is looked at: no answer tells another what is there
        problem = _acting_for(by, entries)
        if problem is not None:
            raise FormInvalid("redact", "by", problem)
    on = plain_day(on)  # kept as a plain date, as every engine reads it
    by_seq = {int(entry["seq"]): entry for entry in entries}
    removals: dict[int, Removal] = {}
    for seq, patterns in targets.items():
        arguments.seq("redact", seq)
        if not patterns:
            continue
        if seq is None:
            if not every_case:  # (a retention run's paths need not name a value in every case)
                _refuse_unmatched(entries, patterns)
            for number, entry in by_seq.items():
                removal = remove(entry, patterns, strict=False)
                if removal.paths:
                    removals[number] = _merged(removals.get(number), removal)
            continue
        if seq not in by_seq:
            raise FormInvalid("redact", "seq", f"the case has no entry {seq}")
        entry = by_seq[seq]
        current = entry if seq not in removals else _applied(entry, removals[seq])
        removal = remove(current, patterns, strict=True)
        if removal.paths:
            removals[seq] = _merged(removals.get(seq), removal)
    if not removals:
        _refuse_unmatched(entries, targets.get(None, ()))
        raise FormInvalid(
            "redact", "paths", "nothing to remove: the values named are empty or removed already"
        )
    removed = _removed_values(by_seq, removals)
    copies = _copies(by_seq, removed)
    for seq, paths in copies.items():
        entry = by_seq[seq]
        current = entry if seq not in removals else _applied(entry, removals[seq])
        removals[seq] = _merged(removals.get(seq), remove(current, paths, strict=False))
    if not every_case:  # (a retention run's reason is the store's own fixed words)
        _refuse_quoting(reason, [*removed, *_copied(by_seq, copies), *_kept(by_seq)])
    # The clock first: a clock behind across midnight puts today before the day an entry was
    # recorded, and U2's refusal ("date it the day it is done") would blame the date typed.
    for seq in removals:
        _refuse_clock_behind(now, by_seq[seq], notes.get(seq, ()))
    _refuse_earlier(on, by_seq, removals)
    text = personal.note_text(on, reason)
    changed = [
        _applied(entry, removals[seq]) if seq in removals else dict(entry)
        for seq, entry in sorted(by_seq.items())
    ]
    for seq, removal in removals.items():
        for path in removal.paths:
            leaf = personal.declared(by_seq[seq]["trigger_name"], personal.concrete(path))
            if leaf is not None and not personal.accepts_placeholder(leaf, text):
                raise FormInvalid("redact", "paths", f"{path!r} cannot hold a placeholder")
    all_notes = {seq: list(rows) for seq, rows in notes.items()}
    records: list[Row] = []
    made: list[RedactionNote] = []
    for seq, removal in sorted(removals.items()):
        earlier = all_notes.setdefault(seq, [])
        note = RedactionNote(
            by_seq[seq]["case_id"],
            seq,
            len(earlier) + 1,
            removal.paths,
            reason,
            on,
            now,
            by,
            tuple(copies.get(seq, ())),
        )
        previous = str(earlier[-1]["hash"]) if earlier else str(by_seq[seq]["hash"])
        record = note_row(note, removal.data, previous)
        earlier.append(record)
        records.append(record)
        made.append(note)
    try:
        case = Reintegration.replay(transitions_from_rows(changed, all_notes), calendar, protocols)
    except UnknownProtocol:
        raise  # no rule refused: the store was not given the case's protocol (no value quoted)
    except ProtocolError as error:
        # Not the refusal's own words: they quote the values compared, which are being erased.
        raise FormInvalid(
            "redact",
            "paths",
            f"the redacted history would no longer load: {_refusing(error)} compares a "
            "removed value with one left in place; remove the values a rule compares in one "
            "redaction of every entry (seq=None, or `all` on the command line), e.g. the "
            "child's name and date of birth in the open record and on the consent form",
        ) from None
    summary = case_row(case, authority, "", [])
    return Plan(
        [{"seq": seq, **removal.columns} for seq, removal in sorted(removals.items())],
        records,
        {column: summary[column] for column in CASE_COLUMNS},
        made,
    )


@attrs.frozen
class _Removed:
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


def _removed_values(
    by_seq: Mapping[int, Mapping[str, Any]], removals: Mapping[int, Removal]
) -> list[_Removed]:
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
            found.append(_Removed(seq, path, value, name))
    return found


def _copies(
    by_seq: Mapping[int, Mapping[str, Any]], removed: Sequence[_Removed]
) -> dict[int, list[str]]:
    """The paths of every other value of the case that is the same name as a person's name
    `removed` holds, as a subject access request reads it (`_same_as_any`): personal text of
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
    same = _same_as_any(names)
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


def _copied(
    by_seq: Mapping[int, Mapping[str, Any]], copies: Mapping[int, Sequence[str]]
) -> list[_Removed]:
    """The values `copies` names, as `_removed_values` gives them."""
    return [
        _Removed(seq, path, _value(by_seq[seq], path), True)
        for seq, paths in copies.items()
        for path in paths
    ]


def _kept(by_seq: Mapping[int, Mapping[str, Any]]) -> list[_Removed]:
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
            found.append(_Removed(seq, dotted, value, name, kept=True))
        actor_name = entry["actor_name"]
        if (
            Role(entry["actor_role"]) in FAMILY_ROLES
            and column_digest(actor_name) is None
            and not _removed_elsewhere(actor_name)
        ):
            found.append(_Removed(seq, f"{personal.ACTOR}.name", actor_name, True, kept=True))
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


def _same_as_any(names: Collection[str]) -> Callable[[str], bool]:
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


def _name_words(text: str) -> list[str]:
    """The words of `text` folded as `_same_as_any` compares names: each run of letters,
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


def _refuse_quoting(reason: str, removed: Sequence[_Removed]) -> None:
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
    beyond what is removed (`kept`, `_kept`) are refused alike (an address whole, as any other
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


def _refusing(error: ProtocolError) -> str:
    """The rule that refused a redacted history, as a redaction's refusal names it: its step
    and entry where the error holds them."""
    trigger = getattr(error, "trigger", None)
    seq = getattr(error, "seq", None)
    rule = "a rule" if trigger is None else f"the {trigger} step's rule"
    return rule if seq is None else f"{rule} at entry {seq}"


def _refuse_earlier(
    on: dt.date, by_seq: Mapping[int, Mapping[str, Any]], removals: Mapping[int, Removal]
) -> None:
    """Refuse a redaction dated before the day an entry whose values it removes was recorded
    (`_recorded_day`): a year typed wrong (1926, last year) would show a value removed before
    it was recorded.

    The entry's business date is not compared: R16 lets a step be dated up to a year ahead (a
    step recorded in advance, a case opened for next term), and its values can be removed
    from the day it was written, an erasure request not kept waiting for the date typed on the
    step (review U, U2).

    Raises:
        FormInvalid: naming the first such entry and the day it was recorded.
        AlteredRow: an entry's `recorded_at` holds no time (`_recorded_day`).
    """
    for seq in sorted(removals):
        day = _recorded_day(by_seq[seq])
        if on < day:
            raise FormInvalid(
                "redact",
                "on",
                f"{on.isoformat()} is before entry {seq} (recorded on {day.isoformat()}), whose "
                "values it removes; date it the day it is done",
            )


def _recorded_day(entry: Mapping[str, Any]) -> dt.date:
    """The day a log entry was recorded: its `recorded_at` (naive UTC, as the store stamps it)
    as a date in this machine's local time, as a redaction's "today" is read (its `on` may not
    lie after today).

    Raises:
        AlteredRow: it holds no time: the row was changed behind the store (SQLite keeps any
            text or number in a DATETIME column), which `verify` names.
    """
    stamp = entry["recorded_at"]
    if not isinstance(stamp, dt.datetime):
        raise AlteredRow(
            f"could not redact case {entry['case_id']!r}: {ALTERED}: entry {entry['seq']} is "
            f"recorded at {stamp!r}, which is no time; run verify",
            case_id=entry["case_id"],
        )
    try:
        return stamp.replace(tzinfo=dt.timezone.utc).astimezone().date()
    except (OverflowError, ValueError, OSError):  # at the calendar's ends: no local time
        return stamp.date()


def _refuse_unmatched(entries: Sequence[Mapping[str, Any]], patterns: Sequence[str]) -> None:
    """Refuse a path that names no value of any transition (a typo, most likely), or only
    values that are no personal data (as a path of one entry is refused).

    Raises:
        FormInvalid: naming each such path.
    """
    datas = [(entry["trigger_name"], stored_data(entry)) for entry in entries]
    wrong = []
    for text in patterns:
        pattern = personal.parse(text)
        if pattern[0] == personal.ACTOR:
            continue
        found = [
            (trigger, path, data)
            for trigger, data in datas
            for path in personal.expand(data, pattern)
        ]
        if not found:
            wrong.append(f"{text!r} names no value of any transition")
        elif not any(
            personal.personal(personal.declared(trigger, where))
            for trigger, path, data in found
            for where, _ in personal.leaves(personal.get(data, path), path)
        ):
            wrong.append(
                f"{text!r} holds no personal data a redaction may remove (the protocol's "
                "rules, statistics or ledger read it)"
            )
    if wrong:
        raise FormInvalid("redact", "paths", "; ".join(wrong))


def _applied(entry: Mapping[str, Any], removal: Removal) -> Row:
    return dict(entry) | removal.columns


def _merged(before: Removal | None, after: Removal) -> Removal:
    """Two removals from one entry, the second made on the first's result."""
    if before is None:
        return after
    paths = tuple(dict.fromkeys((*before.paths, *after.paths)))
    return attrs.evolve(after, paths=paths)


def retention_targets(entries: Sequence[Mapping[str, Any]]) -> dict[int | None, list[str]]:
    """Every personal value of a case still there: what a retention run removes.

    Names, dates of birth, addresses, free text about the child and the family, and the names
    of the family's own actors (a parent's, a child's); the staff who acted stay named, as do
    the schools, the stages, dates, deadlines, obligations and departures.
    """
    targets: dict[int | None, list[str]] = {}
    for entry in entries:
        data = stored_data(entry)
        found = [
            personal.dotted(path) for path in personal.personal_paths(entry["trigger_name"], data)
        ]
        if Role(entry["actor_role"]) in FAMILY_ROLES:
            found += [
                f"{personal.ACTOR}.{field}"
                for field in ACTOR_FIELDS
                if column_digest(entry[f"actor_{field}"]) is None
            ]
        if found:
            targets[int(entry["seq"])] = found
    return targets
