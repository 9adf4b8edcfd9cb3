"""JSON input: the limits and checks every JSON file the command line reads goes through (a
transition's data, a checkpoint, an import file: `read_json`, and `streamed` a part at a time).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

from reintegration_fsm import files
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.fields import encodes

BYTE_ORDER_MARK = "\ufeff"
"""What Windows editors (Notepad's "UTF-8 with BOM") put before UTF-8 text: not part of it."""

MAX_DEPTH = 64
"""The deepest nesting a JSON input may have: a case export is about ten levels deep."""
IMPORT_MOST = 2**36
"""The most bytes an import file may hold (some two million cases; it is read a case at a
time): an endless stream (`/dev/zero`, a producer that never ends) is refused, not read until
the disk holding its copy is full."""
INPUT_MOST = 64 * 2**20
"""The most bytes any other input file may hold (a transition's data, a checkpoint, a key)."""


def read_bounded(handle: BinaryIO, path: str, kind: str, most: int | None = None) -> bytes:
    """What `handle` holds, `most` bytes at most (default `INPUT_MOST`; `kind` names what it
    should be).

    Raises:
        Failure: it holds more (exit 2).
    """
    most = INPUT_MOST if most is None else most
    return files.bounded(handle, most, kind, lambda problem: Failure(f"{path} is {problem}"))


MAX_DIGITS = 30
"""The most digits a JSON integer may have: no count or date in a case needs more."""


class BadNumber(ValueError):
    """A number JSON input may not hold: an integer too long, `NaN` or `Infinity`."""


def integer(text: str) -> int:
    """A JSON integer's value (`json.loads`'s `parse_int`), at most `MAX_DIGITS` long."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise BadNumber(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def constant(name: str) -> Any:
    """Refuses `NaN`, `Infinity` and `-Infinity` (`json.loads`'s `parse_constant`)."""
    raise BadNumber(f"{name}, which is not JSON")


class _KeyTwice(dict[str, Any]):
    """An object of JSON input that gives a key twice (`twice`), whose last value `json.loads`
    would keep without a word: which one the sender meant is a guess."""

    twice: str


def pairs_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of JSON input, marked when it gives a key twice (`check_json` says where)."""
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _KeyTwice(found)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.twice = key
            break
        seen.add(key)
    return marked


def check_json(value: Any, path: str, depth: int = 1) -> str | None:
    """The first problem JSON input has that a form could not hold, walking it without recursion
    (`depth`: how deep `value` is in the input)."""
    stack: list[tuple[Any, str, int]] = [(value, path, depth)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep (at {where})"
        if isinstance(item, str) and not encodes(item):
            return f"a lone surrogate (an unpaired \\ud800-\\udfff escape) in the text at {where}"
        if isinstance(item, _KeyTwice):
            return (
                f"the key {item.twice!r} twice in one object (at {where}), and which value "
                "was meant would be a guess: give it once"
            )
        if isinstance(item, Mapping):
            for key, inner in item.items():
                if not encodes(key):
                    return f"a lone surrogate in a key at {where}"
                stack.append((inner, f"{where}.{key}", depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]", depth + 1) for i, inner in enumerate(item))
    return None


def read_json(path: str, kind: str = "data file", most: int | None = None) -> Any:
    """Parse a JSON file (`-` for stdin) of at most `most` bytes (default `INPUT_MOST`; `kind`
    names what it should be), failing with exit code 2 and the position of the error.

    Refused as bad input, before anything reads them: nesting deeper than `MAX_DEPTH`,
    integers longer than `MAX_DIGITS`, `NaN` and `Infinity`, lone surrogates, and a key given
    twice in one object.
    """
    try:
        if path == "-":  # UTF-8 as a file is, whatever the locale's (a Windows pipe's cp1252)
            if sys.stdin is None:  # started with stdin closed (`<&-`)
                raise Failure("- reads stdin, which is closed: pipe the JSON in, or name a file")
            text = read_bounded(sys.stdin.buffer, "stdin", kind, most).decode("utf-8")
        else:
            with files.opened(path) as handle:
                text = read_bounded(handle, path, kind, most).decode("utf-8")
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise Failure(f"{path} is not UTF-8 text: {error}") from None
    text = text.removeprefix(BYTE_ORDER_MARK)  # Notepad's "UTF-8 with BOM"
    try:
        value = json.loads(
            text, parse_int=integer, parse_constant=constant, object_pairs_hook=pairs_object
        )
    except json.JSONDecodeError as error:
        raise Failure(
            f"{path} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except BadNumber as error:
        raise Failure(f"{path} holds {error}") from None
    except RecursionError:
        raise Failure(f"{path} is nested more than {MAX_DEPTH} levels deep") from None
    problem = check_json(value, "$")
    if problem is not None:
        raise Failure(f"{path} holds {problem}")
    return value
