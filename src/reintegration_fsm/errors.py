"""The library's errors: one root, `ProtocolError`, and one class per way a request can fail."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reintegration_fsm.vocabulary import Actor, Stage


class ProtocolError(Exception):
    """Root of every error the library raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Made again from its message and its fields, not by its constructor (whose arguments
        # are not its message): it can be pickled to another process.
        return _rebuilt, (type(self), self.args, dict(self.__dict__))


def _rebuilt(kind: type[ProtocolError], args: tuple[Any, ...], fields: dict[str, Any]) -> Any:
    """An error `ProtocolError.__reduce__` took apart, as it was."""
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(fields)
    return error


def _in(seq: int | None) -> str:
    return "" if seq is None else f"transition {seq}: "


class IllegalTransition(ProtocolError):
    """The trigger is not available in the case's current stage, or, in a history being
    replayed, it records a move the trigger does not make from there (`why` says which).

    `seq` names the transition of a history being replayed, when that is where it was found.
    """

    def __init__(
        self, trigger: str, stage: Stage, *, seq: int | None = None, why: str | None = None
    ) -> None:
        self.trigger = trigger
        self.stage = stage
        self.seq = seq
        self.why = why
        said = why or f"{trigger!r} is not available in stage {stage.value!r}"
        super().__init__(f"{_in(seq)}{said}")


class NotPermitted(ProtocolError):
    """The actor's role or organisation may not fire the trigger (R15); `why` says so."""

    def __init__(
        self, trigger: str, actor: Actor | None, why: str, *, seq: int | None = None
    ) -> None:
        self.trigger = trigger
        self.actor = actor
        self.why = why
        self.seq = seq
        super().__init__(f"{_in(seq)}{trigger!r} not permitted: {why}")


class GuardFailed(ProtocolError):
    """One or more protocol rules are unmet; `reasons` lists every one.

    `rules` is as long as `reasons`: the rule each reason belongs to ("R2"), or None for one of
    no numbered rule (a discharge with no such obligation open), so that a program can tell the
    rules apart without reading the sentences (review UI, UI1).
    """

    def __init__(
        self,
        trigger: str,
        reasons: Iterable[str],
        *,
        seq: int | None = None,
        rules: Iterable[str | None] = (),
    ) -> None:
        self.trigger = trigger
        self.reasons: tuple[str, ...] = tuple(reasons)
        count = len(self.reasons)
        self.rules: tuple[str | None, ...] = (*rules, *(None,) * count)[:count]
        self.seq = seq
        super().__init__(f"{_in(seq)}{trigger!r} refused: " + " ".join(self.reasons))


class FormInvalid(ProtocolError, ValueError):
    """A form or value object was built with bad data; names every bad field and its problem.

    `problems` lists each `(field, problem)` found, in field order; `field` and `problem` are
    the first of them. `also` gives the problems after the first (`FormInvalid.of` builds one
    from a whole list).
    """

    def __init__(
        self, form: str, field: str, problem: str, *, also: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.form = form
        self.field = field
        self.problem = problem
        self.problems: tuple[tuple[str, str], ...] = ((field, problem), *also)
        super().__init__("; ".join(_at(form, name, what) for name, what in self.problems))

    @staticmethod
    def of(form: str, problems: Iterable[tuple[str, str]]) -> FormInvalid:
        """One error for every `(field, problem)` of `form`, in the order given (at least one)."""
        (field, problem), *rest = problems
        return FormInvalid(form, field, problem, also=rest)

    def within(self, form: str, field: str, prefix: str = "") -> FormInvalid:
        """This error as part of a larger whole (a form in a transition of a history): each
        problem kept, as `field` of `form`, reading "{prefix}{self.form}.{field}: {problem}"."""
        return FormInvalid.of(
            form, [(field, prefix + _at(self.form, name, what)) for name, what in self.problems]
        )


def _at(form: str, field: str, problem: str) -> str:
    """A problem where it is: "{form}.{field}: {problem}", or "{form}: {problem}" for the field
    "?", the whole value (JSON that is no object, say)."""
    return f"{form}: {problem}" if field == "?" else f"{form}.{field}: {problem}"


class ConcurrentUpdate(ProtocolError):
    """A store refused a save because another writer appended to the case first."""

    def __init__(self, case_id: str, expected: int, found: int | None) -> None:
        self.case_id = case_id
        self.expected = expected
        self.found = found
        super().__init__(
            f"case {case_id!r} changed since it was loaded: "
            f"expected version {expected}, found {found}"
        )


class CalendarError(ProtocolError):
    """The calendar cannot answer: a date outside its terms, bad term data, or no calendar."""

    def __init__(self, message: str, *, known: tuple[date, date] | None = None) -> None:
        self.known = known
        super().__init__(message)


class CalendarFileError(CalendarError):
    """A term-dates file (TOML or iCalendar) is malformed; `path` and `line` say where."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class StoreError(ProtocolError):
    """The database failed: unreachable, locked past the busy timeout, a connection lost mid-save.

    The driver's error is chained as `__cause__`; the message never carries SQL parameters (they
    hold children's personal data). `retryable` says whether the same call may simply be tried
    again (a lock or a lost connection) or needs a person (a missing table, a full disk).
    `case_id` names the case the store was writing when it failed, when it knows one (a save,
    an import batch of that one case); None otherwise.
    """

    def __init__(self, message: str, *, retryable: bool, case_id: str | None = None) -> None:
        self.retryable = retryable
        self.case_id = case_id
        super().__init__(message)


class AlteredRow(StoreError):
    """A row the store wrote does not read as the store writes it: it was changed behind the
    store, by SQL outside the library. Never retryable; `verify()` names the row, and it is
    restored from a backup. `case_id` names its case, when the store knows it."""

    def __init__(self, message: str, *, case_id: str | None = None) -> None:
        super().__init__(message, retryable=False, case_id=case_id)


class UnknownProtocol(ProtocolError):
    """A history or a case names a protocol `(id, version)` the caller did not give.

    `case_id` names the case where the caller was reading one of many (a retention run), else
    None.
    """

    def __init__(
        self,
        protocol_id: str,
        version: str,
        known: Iterable[tuple[str, str]] = (),
        *,
        case_id: str | None = None,
    ):
        self.protocol_id = protocol_id
        self.version = version
        self.known = tuple(known)
        self.case_id = case_id
        names = ", ".join(f"{i} {v}" for i, v in self.known) or "none"
        named = "the history names" if case_id is None else f"case {case_id!r} runs under"
        super().__init__(
            f"{named} protocol {protocol_id!r} version {version!r}, which was not given "
            f"(known: {names}); pass it in protocols= (Protocol.from_file of its file)"
        )

    def of_case(self, case_id: str) -> UnknownProtocol:
        """This error, naming the case `case_id` whose history named the protocol."""
        return UnknownProtocol(self.protocol_id, self.version, self.known, case_id=case_id)

    def naming(self, case_id: str) -> UnknownProtocol:
        """This error naming the case `case_id` (`of_case`), unless it names a case already: a
        store reading one case among many (a report's, a due list's) says which."""
        return self if self.case_id is not None else self.of_case(case_id)


ALIKE = (
    "differ only in letters' case: one name for two protocols, whose cases would read as run "
    "under either"
)
"""Why two protocols whose ids (or versions) differ only in letters' case open no new case
(review AP, AP3; review RX, RX1)."""
ALIKE_ADVICE = "keep one id and publish a revision as a new version of it"
"""What to do about two protocols named alike (`ALIKE`)."""


class ChangedProtocol(UnknownProtocol):
    """A history names an authority's protocol `(id, version)` whose rules, as given, are not
    the ones its case was opened under: the protocol was changed without a new version.

    `opening` is True when the case is new to a store whose earlier cases of its authority were
    opened under that `(id, version)` with other rules (the store's `rfsm_protocols`): saving
    it would split the authority's cases under one name between two sets of rules. `taken`
    (with `opening`) is True when another authority's cases in the store hold the name with
    other rules: in one store a protocol's id and version name one set of rules. `alike` (with
    `taken`) is the `(id, version)` the store keeps cases under, or was given, that the case's
    protocol's equals read aloud, in other letters' case: one name for two protocols (review
    RX, RX1)."""

    def __init__(
        self,
        protocol_id: str,
        version: str,
        *,
        case_id: str | None = None,
        opening: bool = False,
        taken: bool = False,
        alike: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(protocol_id, version, case_id=case_id)
        self.taken = taken or alike is not None
        self.opening = opening or self.taken
        self.alike = alike
        named = "the history was" if case_id is None else f"case {case_id!r} was"
        if alike is not None:
            message = (
                f"{named} opened under protocol {protocol_id!r} version {version!r}, and this "
                f"store keeps cases under, or was given, protocol {alike[0]!r} version "
                f"{alike[1]!r}: the two {ALIKE}; {ALIKE_ADVICE}"
            )
        elif taken:
            message = (
                f"{named} opened under protocol {protocol_id!r} version {version!r}, a name "
                "another authority's protocol with other rules already holds in this store (in "
                "one store a protocol's id and version name one set of rules): give the "
                "protocol file another id or version"
            )
        elif opening:
            message = (
                f"{named} opened under protocol {protocol_id!r} version {version!r} with other "
                "rules than its authority's earlier cases in the store under that name were "
                "(the protocol changed since without a new version): give the store the "
                "protocol as those cases were opened under it, and publish a change as a new "
                "version"
            )
        else:
            message = (
                f"{named} opened under protocol {protocol_id!r} version {version!r} as it then "
                "was, and the protocol given under that name sets other rules (changed since "
                "without a new version): give it as it was, and publish a change as a new "
                "version"
            )
        ProtocolError.__init__(self, message)

    def of_case(self, case_id: str) -> ChangedProtocol:
        """This error, naming the case `case_id` whose history named the protocol."""
        return ChangedProtocol(
            self.protocol_id,
            self.version,
            case_id=case_id,
            opening=self.opening,
            taken=self.taken,
            alike=self.alike,
        )


PROBLEMS_SHOWN = 100
"""The most problems of one protocol a message names (`ProtocolDefinitionError`, `protocol
check`), then how many more: no officer's draft has more than a few dozen, and a file of 90,000
unknown keys under 1 MiB printed 28 MB (review AP, AP5; review RX, RX4)."""


class ProtocolDefinitionError(ProtocolError, ValueError):
    """A `Protocol` that cannot be run; names every bad field (and the file and line, when read).

    `problems` lists each `(field, problem, line)` found, in field order (`line` None when not
    read from a file); `field`, `problem` and `line` are the first of them.
    """

    def __init__(
        self,
        field: str,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
        also: Iterable[tuple[str, str, int | None]] = (),
    ) -> None:
        self.field = field
        self.problem = problem
        self.path = path
        self.line = line
        self.problems: tuple[tuple[str, str, int | None], ...] = ((field, problem, line), *also)
        parts = []
        for number, (name, what, at) in enumerate(self.problems[:PROBLEMS_SHOWN]):
            where = "" if at is None else f"line {at}: "
            if number == 0 and path is not None:
                where = f"{path}, {where}" if at is not None else f"{path}: "
            parts.append(f"{where}{name}: {what}")
        if len(self.problems) > PROBLEMS_SHOWN:
            # A file of 80,000 unknown keys under 1 MiB made a message of 25 MB (review RX, RX4).
            parts.append(f"... and {len(self.problems) - PROBLEMS_SHOWN:,} more: fix these first")
        super().__init__("; ".join(parts))

    def located(self, path: str, lines: Mapping[str, int]) -> ProtocolDefinitionError:
        """This error as met reading the file `path`, each problem at its key's line."""
        (field, problem, _), *rest = self.problems
        return ProtocolDefinitionError(
            field,
            problem,
            path=path,
            line=lines.get(field),
            also=[(name, what, lines.get(name)) for name, what, _ in rest],
        )


class UnpublishedProtocol(ProtocolDefinitionError):
    """One of the library's own protocols sets other rules than it was published with (its
    seed file changed in place): no case may open or replay under it (review MA, MA2). Not a
    row's fault: a store reading a case under it passes it on, naming no case (review RG)."""


class CaseNotFound(ProtocolError, KeyError):
    """A store holds no such case, or may not show it to this authority."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(case_id)

    def __str__(self) -> str:
        return f"no case {quoted(self.case_id)}"


class GuessableRedaction(UserWarning):
    """A redaction removed values from log entries written before schema revision 0011 (digest
    scheme 2): each leaves a digest that whoever reads the database can test guesses against.
    The redaction is made; the warning says which entries (`.case_id`, `.seqs`)."""

    def __init__(self, case_id: str, seqs: Iterable[int]) -> None:
        self.case_id = case_id
        self.seqs = tuple(seqs)
        listed = ", ".join(str(seq) for seq in self.seqs)
        one = len(self.seqs) == 1
        which = f"transition {listed} was" if one else f"transitions {listed} were"
        super().__init__(
            f"case {case_id!r}: {which} written before schema revision 0011, so each value "
            f"removed from {'it' if one else 'them'} leaves a digest that whoever reads the "
            "database can test guesses against (a date of birth is found in under a second); "
            "keep the database and its backups under the access personal data needs "
            '(docs/evidence.md, "What a redaction leaves to guess")'
        )

    def __reduce__(self) -> tuple[type[GuessableRedaction], tuple[str, tuple[int, ...]]]:
        # Made again from its own arguments (not its message): pickled to another process.
        return type(self), (self.case_id, self.seqs)


def quoted(text: Any) -> str:
    """`text` quoted for a message (its repr); a text longer than any a store keeps (100
    characters: an id, a name) in part, with its length, `'xxx...'... (100,000 characters
    long)`: a screen of pasted text says nothing more."""
    if isinstance(text, str) and len(text) > 100:
        return f"{text[:40]!r}... ({len(text):,} characters long)"
    return repr(text)


def a_or_an(name: str) -> str:
    """`name` after its indefinite article: "a Party", "an ObligationKind"."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def describe(value: Any, *, most: int = 60, cut: str = "...") -> str:
    """A short, safe rendering of a bad value for an error message: its repr, cut to `most`
    characters (ending `cut`); a whole number of many digits by its first ones and how many
    it has (`100000000000… (5,001 digits)`), since Python writes out none over 4,300 digits
    (a `ValueError` raised while the message is built)."""
    if type(value) is int:
        text = whole_number(value)
    else:
        try:
            text = repr(value)
        except ValueError:  # a value holding such a whole number (an int subclass, a tuple)
            return f"{a_or_an(type(value).__name__)} holding a number too long to write out"
    return cut_short(text, most=most, cut=cut)


def cut_short(text: str, *, most: int, cut: str = "...") -> str:
    """`text`, or its first characters ending `cut` where it is over `most` characters long."""
    return text if len(text) <= most else text[: most - len(cut)] + cut


WHOLE_NUMBER_DIGITS = 24
"""The most digits of a whole number a message writes out: beyond, its first digits."""
_FIRST_DIGITS = 12
_WRITABLE_BITS = 2_000
"""Bits of a whole number Python writes out whatever its limit is set to (at least 640 digits,
2,126 bits; 4,300 digits unless a program sets it)."""
_COUNTED_DIGITS = 100_000
"""The most digits counted exactly (the count costs a division): a number this long already
says all a message needs."""


def whole_number(value: int) -> str:
    """`value` written out; past `WHOLE_NUMBER_DIGITS` digits, its first digits and how many it
    has (`-100000000000… (5,001 digits)`), without writing it out."""
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    bits = magnitude.bit_length()
    if bits <= _WRITABLE_BITS:
        text = str(magnitude)
        if len(text) <= WHOLE_NUMBER_DIGITS:
            return sign + text
        first, digits = text[:_FIRST_DIGITS], len(text)
    else:
        # At least this many digits, and at most one more (a number of `bits` bits is from
        # 2**(bits - 1) up to 2**bits).
        digits = int((bits - 1) * math.log10(2)) + 1
        if digits > _COUNTED_DIGITS:
            return f"a {'negative ' if sign else ''}whole number of over {_COUNTED_DIGITS:,} digits"
        if magnitude >= 10**digits:
            digits += 1
        first = str(magnitude // 10 ** (digits - _FIRST_DIGITS))
    return f"{sign}{first}… ({digits:,} digits)"
