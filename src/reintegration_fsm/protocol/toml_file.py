"""A protocol file's TOML, read strictly, and where each of its keys is: the line and column a
problem is reported at; and a value written as TOML writes it.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import sys
import unicodedata
from collections.abc import Mapping
from typing import Any

from reintegration_fsm.errors import ProtocolDefinitionError
from reintegration_fsm.files import utf8_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

WHOLE_FILE = "(file)"
"""The field a problem of a protocol file as a whole is named for (text that is not TOML)."""
_NAME = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_DOTTED = rf"{_NAME}(?:\s*\.\s*{_NAME})*"
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=\s*")
"""A key at the start of a line (`open`, `roles.open`, `"open"`), and where its value starts."""
_INLINE_KEY = re.compile(rf"[{{,]\s*({_DOTTED})\s*=")
"""A key inside an inline table on the line (`roles = {{ open = [...], ... }}`)."""
_TABLE = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
"""A table's header (`[roles]`, `["roles"] # who may act`, an array's `[[roles]]`), and its name."""
_PART = re.compile(_NAME)


def read_toml(text: str, where: str) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """The TOML's values, and where each key is, (line, column) (`roles.open` for a key of
    `[roles]`)."""
    if not isinstance(text, str):
        raise ProtocolDefinitionError(
            WHOLE_FILE, f"must be TOML text, not {type(text).__name__}", path=where
        )
    if len(text) > TEXT_MOST:
        raise ProtocolDefinitionError(
            WHOLE_FILE,
            f"{len(text):,} characters long, where no protocol is more than {TEXT_MOST:,}",
            path=where,
        )
    if text.count(".") > DOTS_MOST:
        raise ProtocolDefinitionError(
            WHOLE_FILE,
            f"more than {DOTS_MOST:,} dots, which no protocol holds (dotted keys of that many "
            "parts would take minutes and gigabytes to read)",
            path=where,
        )
    for number, line in enumerate(text.split("\n"), start=1):
        if line.count(".") > LINE_DOTS_MOST:
            raise ProtocolDefinitionError(
                WHOLE_FILE,
                f"more than {LINE_DOTS_MOST} dots on one line, which no protocol's line holds "
                "(a key of that many parts would take minutes to read)",
                path=where,
                line=number,
            )
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ProtocolDefinitionError(
            WHOLE_FILE, "not valid TOML: nested too deeply to read", path=where
        ) from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        where_line = int(found.group(1)) if found else None
        # A key given again ("Cannot overwrite a value"), or a table's header written again
        # ("Cannot declare ('roles',) twice": `[roles]` appended to a copy that has one).
        again = "Cannot overwrite a value" in str(error) or "Cannot declare" in str(error)
        twice = _given_twice(text, where_line) if again else None
        if twice is not None:
            key, first = twice
            advice = (
                f"write its keys under one [{key}] header"
                if "Cannot declare" in str(error)
                else "which was meant would be a guess; give it once"
            )
            raise ProtocolDefinitionError(
                key,
                f"is given twice (lines {first} and {where_line}): {advice}",
                path=where,
                line=where_line,
            ) from None
        raise ProtocolDefinitionError(
            WHOLE_FILE,
            f"not valid TOML: {error}{_pasted(text, str(error))}",
            path=where,
            line=where_line,
        ) from None
    except ValueError:  # Python's limit on a whole number's digits (4,300)
        raise ProtocolDefinitionError(
            WHOLE_FILE, f"a number too long to read (over {DIGITS_MOST:,} digits)", path=where
        ) from None
    return data, key_lines(text)


_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
"""Where `tomllib` says it stopped reading."""


def _pasted(text: str, error: str) -> str:
    """`; column N holds “ (U+201C, left double quotation mark): ...` where `tomllib` stopped at
    a character that is not ASCII, outside a string: one a word processor pasted (curly
    quotes, a non-breaking space, an en dash) or a letter of another alphabet in a bare key,
    which the officer reads as the right one; "" otherwise."""
    found = _AT.search(error)
    if found is None:
        return ""
    line, column = int(found.group(1)), int(found.group(2))
    lines = text.split("\n")
    if not 0 < line <= len(lines) or not 0 < column <= len(lines[line - 1]):
        return ""
    character = lines[line - 1][column - 1]
    if character.isascii():
        return ""
    name = unicodedata.name(character, "a character").lower()
    kind = unicodedata.category(character)
    if kind in ("Pi", "Pf") or character in "\u201a\u201e\u2032\u2033":
        advice = "write text between straight quotes, \" or '"
    elif kind == "Zs":
        advice = "type the space again as a plain one"
    elif kind == "Cf":
        advice = "delete it: it prints nothing"
    elif kind == "Pd" or character == "\u2212":
        advice = "write a date or a number with a plain hyphen, -"
    else:
        advice = "a key outside quotes is written in a-z, 0-9, _ and - alone: type it again"
    # A space or a character nobody sees is named by its code point alone.
    shown = "" if kind in ("Zs", "Cf") or not character.isprintable() else f"{character} "
    return f"; column {column} holds {shown}(U+{ord(character):04X}, {name}): {advice}"


TEXT_MOST = 2**20
"""The most a protocol's text may hold (bytes in a file, characters given as text): the seed's
is 3 KB."""
LINE_DOTS_MOST = 100
DOTS_MOST = 10_000
"""The most dots a line, and a whole protocol's text, may hold (the seed's holds 20). A key of n
dotted parts costs `tomllib` n² (one of 20,000 parts, 40 KB, took 1.5 GB), and 5,000 table
headers of 100 parts each (1 MB) took 477 MB."""


def _given_twice(text: str, line: int | None) -> tuple[str, int] | None:
    """The key (or the table header) written on `line` (where `tomllib` found a value or a
    table given again) and the line it was first given on, when it was given on an earlier
    one; else None."""
    if line is None:
        return None
    keys = [(name, at) for name, at, _ in _key_places(text) if at[0] == line]
    if len(keys) != 1:
        return None
    name, _ = keys[0]
    first = key_lines(text).get(name)
    return None if first is None or first[0] >= line else (name, first[0])


def key_lines(text: str) -> dict[str, tuple[int, int]]:
    """Where each key is, (line, column), by its dotted name (`roles.open`), in a table,
    written dotted or in an inline table; a guide for messages, not a TOML parser (`tomllib`
    read the file)."""
    lines: dict[str, tuple[int, int]] = {}
    for name, place, _ in _key_places(text):
        _place(lines, name, place)
    return lines


def _key_places(text: str) -> list[tuple[str, tuple[int, int], bool]]:
    """Each table header and key in `text`, in order: its dotted name, where it is (line,
    column), and whether it is a key (a header is not). A key of an inline table is at the
    column it starts on."""
    found: list[tuple[str, tuple[int, int], bool]] = []
    table = ""
    quotes: str | None = None
    depth = 0
    # By "\n" alone, as TOML counts lines: str.splitlines() also splits at U+2028, U+0085
    # and others, which TOML allows in comments and strings.
    for number, line in enumerate(text.split("\n"), start=1):
        inside = quotes is not None or depth > 0
        quotes, depth = _open_after(line, quotes, depth)
        # A multi-line string's text (`source`'s) or an array's written over lines, where no
        # key or table is (`["iep"]` there is an item).
        if inside:
            continue
        header = _TABLE.match(line)
        if header is not None:
            table = _dotted("", header.group(1))
            found.append((table, (number, 0), False))
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        name = _dotted(table, key.group(1))
        found.append((name, (number, key.start(1)), True))
        value = line[key.end() :]
        if value.startswith("{"):
            for inner in _INLINE_KEY.finditer(value):
                inner_name = _dotted(name, inner.group(1))
                found.append((inner_name, (number, key.end() + inner.start(1)), True))
    return found


def _open_after(line: str, quotes: str | None, depth: int) -> tuple[str | None, int]:
    """The quotes of a multi-line string (three `"` or three `'`) still open at the end of
    `line`, and how many arrays and inline tables are, given those open at its start (None,
    0: none is open)."""
    at = 0
    while at < len(line):
        if quotes is not None:
            at = _closed(line, at, quotes)
            if at < 0:
                return quotes, depth
            quotes = None
        elif line.startswith(('"""', "'''"), at):
            quotes, at = line[at : at + 3], at + 3
        elif line[at] == "#":
            break
        elif line[at] in "\"'":
            at = _closed(line, at + 1, line[at])
            if at < 0:
                break  # not TOML: tomllib said so
        else:
            depth += (line[at] in "[{") - (line[at] in "]}")
            at += 1
    return quotes, depth


def _closed(line: str, at: int, quotes: str) -> int:
    """Where on `line`, from `at`, the string that `quotes` opened has closed (-1: it goes on
    past the line); in a basic string (`"`), a quote after a backslash closes none."""
    while at < len(line):
        if quotes[0] == '"' and line[at] == "\\":
            at += 2
        elif line.startswith(quotes, at):
            at += len(quotes)
            # A multi-line string may end in one or two quotes of its own (`'''it's''''`).
            while len(quotes) == 3 and line.startswith(quotes[0], at):
                at += 1
            return at
        else:
            at += 1
    return -1


def _place(lines: dict[str, tuple[int, int]], name: str, place: tuple[int, int]) -> None:
    """Where `name` is, and each table it is in, unless found before (`[extra.sub]` and
    `role.open = ...` are where the unknown `extra` and `role` are first written)."""
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        lines.setdefault(".".join(parts[:end]), place)


def _dotted(table: str, key: str) -> str:
    parts = [part.strip("\"'") for part in _PART.findall(key)]
    return ".".join([table, *parts] if table else parts)


LAST_PLACE = (sys.maxsize, 0)
"""Where a problem with no key in the file (a missing field) sorts: after every other."""


def place_of(places: Mapping[str, tuple[int, int]], field: str) -> tuple[int, int] | None:
    """Where `field` is; else the line of the nearest key it is part of (`roles` for
    `roles.open`), after the keys found on that line."""
    if field in places:
        return places[field]
    while field := field.rpartition(".")[0]:
        if field in places:
            return places[field][0], sys.maxsize
    return None


DIGITS_MOST = 4300
"""The most digits of a whole number a protocol file can hold: Python reads and writes out none
longer (`tomllib` refuses the file), so no fingerprint or TOML could be made of it."""


_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(text: str) -> str:
    """`text` as a TOML basic string: in double quotes, a character that prints nothing (a
    control, a non-breaking space, a direction mark) by its escape, which reads back as it."""
    written = []
    for character in text:
        if character in _ESCAPES:
            written.append(_ESCAPES[character])
        elif character.isprintable():
            written.append(character)
        else:
            code = ord(character)
            written.append(f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
    return '"' + "".join(written) + '"'


def toml_value(value: Any) -> str:
    """`value` as a TOML file writes it: `true`, `[3, 5, 8]`, `2025-09-01`, `"text"`, an
    inline table `{ first = 2 }`; a set of one enumeration's members as the list of their
    values, in the enumeration's order. What `Protocol.to_toml` writes, and how a problem of a
    protocol file quotes a value, as its author wrote it (review AV, AV1).

    Raises:
        TypeError: TOML writes no such value (None, an object, a set of anything else).
        ValueError: a whole number too long for Python to write out.
    """
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return _toml_string(value.value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (dt.date, dt.time)):  # a datetime too: `2025-09-01T10:00:00`
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, (set, frozenset)):
        kinds = {type(item) for item in value}
        if len(kinds) > 1 or not all(issubclass(kind, enum.Enum) for kind in kinds):
            raise TypeError(value)  # no order to write it in
        return toml_value([item for kind in kinds for item in kind if item in value])
    if isinstance(value, Mapping):
        pairs = [f"{_toml_key(key)} = {toml_value(item)}" for key, item in value.items()]
        return "{ " + ", ".join(pairs) + " }" if pairs else "{}"
    raise TypeError(value)


def _toml_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(key)
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def protocol_text(where: str) -> str:
    """The text of the protocol file `where`, read as `Protocol.from_file` reads it.

    Raises:
        ProtocolDefinitionError: not UTF-8 text, or longer than any protocol's.
        OSError: the file cannot be read.
    """
    return utf8_text(
        where,
        lambda problem, line: ProtocolDefinitionError(WHOLE_FILE, problem, path=where, line=line),
        most=TEXT_MOST,
        kind="protocol",
    )


def located_in(error: ProtocolDefinitionError, text: str, where: str) -> ProtocolDefinitionError:
    """`error` as met reading the protocol file `where`, whose text is `text`: each problem at
    its key's line, where the file has the key."""
    places = key_lines(text)
    at = {name: place[0] for name, _, _ in error.problems if (place := place_of(places, name))}
    return error.located(where, at)
