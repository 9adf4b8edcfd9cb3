"""`Protocol`: what one authority's reintegration protocol sets, as versioned data.

Authorities publish their own reintegration and managed-move protocols and revise them; what
varies is bounded (deadlines, the review schedule, who attends, who may act, the evidence
required, the weighting), and a `Protocol` holds exactly that. The engine, the stages and the
triggers are the same for every protocol. `WORCESTERSHIRE` is the seed's protocol, read from
`worcestershire.toml` beside this module: the one place its numbers are written.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

import attrs

from reintegration_fsm import fields
from reintegration_fsm.errors import FormInvalid, ProtocolDefinitionError
from reintegration_fsm.files import file_name
from reintegration_fsm.forms.pupil import KEY_STAGES
from reintegration_fsm.protocol.field_checks import (
    COUNTS_MOST,
    FIELD_UNDER_ROLES,
    OPENING_CHECKS,
    RETENTION_TOO_SHORT,
    RETENTION_YEARS_LEAST,
    check_count,
    check_day,
    check_heading,
    check_increasing,
    check_label,
    check_not_negative,
    check_prose,
    check_roles,
    check_set_of,
    check_years,
    quoted,
    quoted_argument,
    to_evidence,
    to_parties,
    to_roles,
    to_weeks,
    unknown_hint,
)
from reintegration_fsm.protocol.fingerprints import fingerprint_of
from reintegration_fsm.protocol.toml_file import (
    LAST_PLACE,
    place_of,
    protocol_text,
    read_toml,
    toml_value,
)
from reintegration_fsm.slotted import cached_reads
from reintegration_fsm.validation import fail_definition, reads
from reintegration_fsm.vocabulary import Evidence, Party, Role, Trigger

EDITIONS = (1, 2, 3)
"""Editions of the library's rules a protocol may run under: 1, the rules of the first contract
(no departures, no R17); 2, the rules of revision 2; 3, revision 2 with meetings dated in order,
named attendees, dated letters and outcomes, and a review met on the day it was held
(`EDITION_3_ADDS`). Only the last opens new cases. Cases recorded before protocols were data run
under edition 1 for life."""


SEED_FILE = "worcestershire.toml"


def read_seed_file() -> dict[str, Any]:
    """The seed's protocol file's values, as its TOML gives them."""
    text = (resources.files("reintegration_fsm.protocol") / SEED_FILE).read_text("utf-8")
    data, _ = read_toml(text, SEED_FILE)
    return data


_SEED = read_seed_file()


def seed_default(name: str) -> Any:
    """The seed's value of the field `name`: the default of a field a protocol does not give."""
    value = _SEED[name]
    if name == "roles":
        return to_roles(value)
    return value


@cached_reads
@attrs.frozen
class Protocol:
    """One authority's reintegration protocol, at one version: the numbers and parties it sets.

    Build one in code (`attrs.evolve(WORCESTERSHIRE, ...)`) or read one from TOML with
    `Protocol.from_file`; a field not given takes the seed's (Worcestershire's) value. A case
    runs under the protocol it was opened with for its whole life.

    Raises:
        ProtocolDefinitionError: a protocol that cannot be run; names the field.
    """

    id: str = attrs.field(validator=check_label)
    version: str = attrs.field(validator=check_label)
    title: str = attrs.field(validator=check_heading)
    source: str = attrs.field(validator=check_prose)
    effective_from: dt.date = attrs.field(validator=check_day)
    place_offer_school_days: int = attrs.field(
        default=seed_default("place_offer_school_days"), validator=check_count
    )
    """R5: school days from the referral to the place offer."""
    review_weeks: tuple[int, int, int] = attrs.field(
        default=tuple(seed_default("review_weeks")), converter=to_weeks, validator=check_increasing
    )
    """R7: weeks from the start to the first, second and final reviews, as proposed."""
    final_review_within_days: int = attrs.field(
        default=seed_default("final_review_within_days"), validator=check_count
    )
    """R7: the final review is at most this many days after the start."""
    joiners_return_days: int = attrs.field(
        default=seed_default("joiners_return_days"), validator=check_count
    )
    """Days from the start of the placement to the host's joiners return (a new case opens
    under at most the law's 5: `opening_problems`)."""
    weighting_points: int = attrs.field(
        default=seed_default("weighting_points"), validator=check_not_negative
    )
    """R13: points a permanent move adds to the host and takes from the AP setting."""
    roles: Mapping[str, frozenset[Role]] = attrs.field(
        default=seed_default("roles"), converter=to_roles, validator=check_roles, hash=False
    )
    """Who may fire each trigger, by trigger name."""
    review_parties: frozenset[Party] = attrs.field(
        default=seed_default("review_parties"),
        converter=to_parties,
        validator=check_set_of(Party, needed=True),
    )
    """R9: the parties every review must have among its attendees."""
    emergency_review_parties: frozenset[Party] = attrs.field(
        default=seed_default("emergency_review_parties"),
        converter=to_parties,
        validator=check_set_of(Party, needed=True),
    )
    """R10: the parties every emergency review must have among its attendees."""
    required_evidence: frozenset[Evidence] = attrs.field(
        default=seed_default("required_evidence"),
        converter=to_evidence,
        validator=check_set_of(Evidence, needed=False),
    )
    """R4: evidence every referral includes."""
    looked_after_evidence: frozenset[Evidence] = attrs.field(
        default=seed_default("looked_after_evidence"),
        converter=to_evidence,
        validator=check_set_of(Evidence, needed=False),
    )
    """R4: evidence a referral of a looked-after child also includes."""
    key_stage_4_evidence: frozenset[Evidence] = attrs.field(
        default=seed_default("key_stage_4_evidence"),
        converter=to_evidence,
        validator=check_set_of(Evidence, needed=False),
    )
    """R4: evidence a referral of a child in key stage 4 also includes."""
    retention_years: int = attrs.field(
        default=seed_default("retention_years"), validator=check_years
    )
    """Years after the pupil's date of birth that a case's personal data is kept (a new case
    opens under 18 or more: `opening_problems`)."""
    edition: int = attrs.field(default=seed_default("edition"))
    """The edition of the library's rules the protocol runs under (`EDITIONS`)."""

    @final_review_within_days.validator
    @reads("review_weeks")
    def _after_the_final_review(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        final_days = self.review_weeks[-1] * 7
        if final_days > value:
            raise fail_definition(
                self,
                attribute,
                f"the final review at {quoted(self.review_weeks[-1])} weeks ({quoted(final_days)} "
                f"days) is past final_review_within_days ({quoted(value)})",
                field="review_weeks",
            )

    @edition.validator
    def _known_edition(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        # True equals 1 and 2.0 equals 2: neither is an edition (a bool or a float is no
        # number of the library's rules, and `to_toml` cannot write the float back).
        if not isinstance(value, int) or isinstance(value, bool) or value not in EDITIONS:
            raise fail_definition(
                self, attribute, f"must be one of {EDITIONS}, not {quoted(value)}"
            )

    def __reduce__(self) -> tuple[Any, ...]:
        # Its roles are a read-only mapping, which does not pickle: rebuilt from a dict (so a
        # protocol reaches the processes of `verify(workers=...)`).
        fields = {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}
        return (_rebuilt, (type(self), fields | {"roles": dict(self.roles)}))

    @property
    def key(self) -> tuple[str, str]:
        """`(id, version)`: how a history names the protocol."""
        return (self.id, self.version)

    @property
    def opens_cases(self) -> bool:
        """Whether a new case may open under the protocol: it runs under the current edition
        of the rules (under an earlier one, the cases recorded so only finish), and has no
        `opening_problems`."""
        return self.edition == EDITIONS[-1] and not self.opening_problems

    @functools.cached_property
    def opening_problems(self) -> tuple[tuple[str, str], ...]:
        """What keeps a new case from opening under the protocol, each `(field, problem)`, in
        field order: bounds an earlier version of the library did not set. A protocol it took
        still loads, and the cases opened under it replay and finish under its rules. Among
        them a name that is a shipped protocol's in other letters' case (`Worcestershire 3`,
        whatever its rules), whose cases would read as run under the shipped one (review T,
        T3; review D, D7), and any version the library does not ship of a shipped id, in any
        letters' case (`worcestershire 4`), which the library's own next version would strand
        (review AP, AP8). Two registered protocols named alike are `opening_refusal`'s."""
        found = []
        alike = _shipped_alike(self)
        if alike is not None:
            found.append(
                (
                    "id" if self.id != alike.id else "version",
                    f"{self.id} {self.version} differs from {alike.id} {alike.version}, a "
                    "protocol the library ships, only in letters' case, and its cases would "
                    "read as run under it; give yours an id of your own (as exampleshire)",
                )
            )
        elif self.key not in _KNOWN_KEYS and key_read_aloud(self)[0] in _SHIPPED_IDS:
            # The library's next version of its own would strand the cases (review AP, AP8).
            found.append(
                (
                    "id",
                    f"{self.id} is the id of the protocol the library ships, whose versions are "
                    f"its own: a case opened under {self.id} {self.version} would read as run "
                    "under one of them, and stop replaying when the library ships a version "
                    "of that name; copy the file under your authority's own id (as "
                    "exampleshire) with a version of your own",
                )
            )
        if fields.prints_nothing(self.title):  # (blank, it was refused: "   " never loaded)
            held = fields.unseen(self.title) or fields.blank(self.title) or "spaces alone"
            found.append(
                (
                    "title",
                    f"must be non-empty text: it prints nothing, holding {held}; give the "
                    "protocol's name",
                )
            )
        found += [
            (name, f"must be at most {most}{why}, not {quoted(value)}")
            for name, most, why in COUNTS_MOST
            if (value := getattr(self, name)) > most
        ]
        if self.retention_years < RETENTION_YEARS_LEAST:
            found.append(("retention_years", f"{RETENTION_TOO_SHORT}, not {self.retention_years}"))
        found += [problem for check in OPENING_CHECKS for problem in check(self.roles)]
        return tuple(found)

    @property
    def built_in(self) -> bool:
        """Whether the protocol is named as one of the library's own (`KNOWN`), which a
        registry holds under no other: named without a fingerprint."""
        return self.key in _KNOWN_KEYS

    @functools.cached_property  # read on every load of a case under the protocol
    def fingerprint(self) -> str:
        """A digest of the rules the protocol sets (every field but its `id`, `version`,
        `title` and `source`): what a case opened under an authority's protocol records beside
        its name, so that a file changed under the same id and version is told apart."""
        return fingerprint_of(self)

    def roles_for(self, trigger: str) -> frozenset[Role]:
        """The roles that may fire `trigger` (a trigger's name, or a `Trigger`) under this
        protocol.

        Raises:
            FormInvalid: `trigger` is no trigger's name; lists the triggers.
        """
        if not isinstance(trigger, str) or trigger not in self.roles:
            raise FormInvalid("roles_for", "trigger", Trigger.refusal(trigger))
        return self.roles[trigger]

    def evidence_for(self, *, looked_after: bool, key_stage: int) -> tuple[Evidence, ...]:
        """R4: the evidence a referral of this child includes, in the `Evidence` order.

        Raises:
            FormInvalid: `looked_after` is not True or False, or `key_stage` is not a key
                stage (a whole number from 0 to 5, as a `Pupil`'s): text read from a file
                would otherwise ask for the wrong evidence without a word.
        """
        if not isinstance(looked_after, bool):
            raise FormInvalid(
                "evidence_for",
                "looked_after",
                f"must be True or False, not {quoted_argument(looked_after)}",
            )
        if (
            not isinstance(key_stage, int)
            or isinstance(key_stage, bool)
            or key_stage not in KEY_STAGES
        ):
            raise FormInvalid(
                "evidence_for",
                "key_stage",
                f"must be a key stage, a whole number from {KEY_STAGES[0]} to {KEY_STAGES[-1]}, "
                f"not {quoted_argument(key_stage)}",
            )
        needed = set(self.required_evidence)
        if looked_after:
            needed |= self.looked_after_evidence
        if key_stage == 4:
            needed |= self.key_stage_4_evidence
        return tuple(evidence for evidence in Evidence if evidence in needed)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Protocol:
        """Read a protocol from a TOML file whose keys are the field names.

        Raises:
            ProtocolDefinitionError: not UTF-8 text, not valid TOML, an unknown key, or a value
                the protocol cannot run with; names the field and the line.
            FormInvalid: `path` is not a path.
            OSError: the file cannot be read.
        """
        where = file_name(path, "from_file", "path", "must be a path to a TOML protocol file")
        return cls.from_toml(protocol_text(where), where)

    @classmethod
    def from_toml(cls, text: str, where: str = "<protocol>") -> Protocol:
        """Read a protocol from TOML text (as `from_file` does); `where` names it in errors.

        Raises:
            ProtocolDefinitionError: as `from_file`.
            FormInvalid: `where` is not text.
        """
        if not isinstance(where, str):
            raise FormInvalid("from_toml", "where", f"must be text, not {quoted_argument(where)}")
        data, places = read_toml(text, where)
        fields_in_order = [field.name for field in attrs.fields(cls)]
        known = set(fields_in_order)
        problems = [
            (key, f"is not a protocol field{unknown_hint(key, fields_in_order)}")
            for key in data
            if key not in known
        ]
        values = {key: value for key, value in data.items() if key in known}
        roles = data.get("roles")
        if isinstance(roles, dict):
            # A list of other things than names is reported here, and read as the seed's.
            named = {}
            for key, value in roles.items():
                if key in known:  # appended to a file that ends with its [roles] table
                    problems.append((f"roles.{key}", FIELD_UNDER_ROLES))
                elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
                    problems.append((f"roles.{key}", "must be a list of role names"))
                else:
                    named[key] = value
            values["roles"] = {**_SEED["roles"], **named}
        # A required field the file lacks is named, and the seed's value stands in for it, so
        # that the fields the file gives are checked too.
        for field in attrs.fields(cls):
            if field.default is attrs.NOTHING and field.name not in values:
                problems.append((field.name, "is missing"))
                values[field.name] = _SEED[field.name]
        try:
            protocol = cls(**values)
        except ProtocolDefinitionError as error:  # every field is given: no TypeError
            problems += [(field, problem) for field, problem, _ in error.problems]
        if not problems:
            return protocol
        # Every problem, in the file's order (a missing key, which has no line, last); a key
        # inside an inline table or a multi-line value at the line it starts on.
        at = {field: place for field, _ in problems if (place := place_of(places, field))}
        problems.sort(key=lambda found: at.get(found[0], LAST_PLACE))
        (field, problem), *rest = problems
        found = ProtocolDefinitionError(field, problem, also=[(f, p, None) for f, p in rest])
        raise found.located(where, {field: line for field, (line, _) in at.items()}) from None

    @classmethod
    def file_warnings(
        cls, text: str, where: str = "<protocol>"
    ) -> tuple[tuple[str, str, int | None], ...]:
        """What a protocol file's TOML `text` holds that is likely a slip but changes nothing,
        each `(field, warning, line)` in the file's order, as `ProtocolDefinitionError.problems`:
        an entry a list names twice where a repeat means nothing (`review_parties = ["ap",
        "ap", "host"]`, where `parent` was meant?), a list read as a set. Earlier versions took
        such files, and cases were recorded under them: `from_toml` still reads them, and
        `protocol check` prints these (review AV, AV2). `where` names the text in an error.

        Raises:
            ProtocolDefinitionError: `text` is no TOML (as `from_toml` says).
        """
        data, places = read_toml(text, where)
        lists = [
            (field.name, data.get(field.name))
            for field in attrs.fields(cls)
            if isinstance(getattr(WORCESTERSHIRE, field.name), frozenset)
        ]
        roles = data.get("roles")
        if isinstance(roles, dict):
            lists += [(f"roles.{trigger}", given) for trigger, given in roles.items()]
        found = []
        for field, given in lists:
            if not isinstance(given, list):
                continue
            place = (place_of(places, field) or (None,))[0]
            # Counted as written: `from_toml` refuses an item that is no name, or unhashable.
            counts = collections.Counter(item for item in given if isinstance(item, str))
            for item, count in counts.items():
                if count > 1:
                    times = "twice" if count == 2 else f"{count} times"
                    found.append(
                        (
                            field,
                            f"names {toml_value(item)} {times}, which counts as once: was another "
                            "entry meant?",
                            place,
                        )
                    )
        found.sort(key=lambda warning: warning[2] or LAST_PLACE[0])  # as `from_toml`'s problems
        return tuple(found)

    def to_toml(self) -> str:
        """The protocol as a TOML file `from_file` reads back."""

        lines = []
        for field in attrs.fields(type(self)):
            if field.name == "roles":
                continue
            lines.append(f"{field.name} = {toml_value(getattr(self, field.name))}")
        lines += ["", "[roles]"]
        for trigger in Trigger:
            lines.append(f"{trigger.value} = {toml_value(self.roles[trigger.value])}")
        return "\n".join(lines) + "\n"


WORCESTERSHIRE = Protocol(**_SEED)
"""The seed's protocol: the Reintegration Protocol for Worcestershire Schools, under edition 3 of
the rules. The default wherever no protocol is given."""

WORCESTERSHIRE_2 = attrs.evolve(WORCESTERSHIRE, version="2", edition=2)
"""The same protocol under edition 2 of the rules: the cases recorded under it replay and
finish under those rules; no new case opens under it."""

WORCESTERSHIRE_1 = attrs.evolve(
    WORCESTERSHIRE,
    version="1",
    effective_from=dt.date(2006, 9, 1),
    edition=1,
    roles={
        **WORCESTERSHIRE.roles,
        Trigger.CALL_EMERGENCY_REVIEW.value: frozenset({Role.HOST_HEAD}),
        Trigger.HOLD_EMERGENCY_REVIEW.value: frozenset({Role.HOST_HEAD}),
    },
)
"""The same protocol as the first contract read it (edition 1): the rules every case recorded
before protocols were data runs under for life."""


KNOWN: tuple[Protocol, ...] = (WORCESTERSHIRE, WORCESTERSHIRE_2, WORCESTERSHIRE_1)
"""The protocols every replay and store knows without being told."""
_KNOWN_KEYS = frozenset(protocol.key for protocol in KNOWN)


def read_aloud(key: tuple[str, str]) -> tuple[str, str]:
    """A protocol's `(id, version)` as an officer reads them, in no letters' case: two names
    equal so are one name to whoever reads a history, a report or a letter (a name in another
    alphabet drawn alike, or not composed, is refused by `id` and `version` themselves)."""
    return (key[0].casefold(), key[1].casefold())


def key_read_aloud(protocol: Protocol) -> tuple[str, str]:
    """`protocol`'s id and version as an officer reads them (`read_aloud`)."""
    return read_aloud(protocol.key)


_KNOWN_READ = {key_read_aloud(p): p for p in KNOWN}
"""The library's own protocols by their names as read aloud: `Worcestershire 3` is named as
the seed's protocol by any officer, in any history or report."""
_SHIPPED_IDS = frozenset(key_read_aloud(p)[0] for p in KNOWN)
"""The shipped protocols' ids as read aloud: the library's, for every version (review AP,
AP8)."""


def shipped_id(protocol: Protocol) -> bool:
    """Whether `protocol`'s id is the shipped protocols' as read aloud: every version of it is
    the library's (review AP, AP8), so a protocol so named is given an id of its own, never
    another version (review RX, RX3)."""
    return key_read_aloud(protocol)[0] in _SHIPPED_IDS


def _shipped_alike(protocol: Protocol) -> Protocol | None:
    """The shipped protocol (`KNOWN`) whose id and version `protocol`'s equal in other letters'
    case, not as written; None when there is none (its own name is a shipped one's, or no
    shipped one's at all)."""
    alike = _KNOWN_READ.get(key_read_aloud(protocol))
    return None if alike is None or alike.key == protocol.key else alike


def _rebuilt(kind: type[Protocol], fields: dict[str, Any]) -> Protocol:
    """A pickled protocol, made again (checked again)."""
    return kind(**fields)
