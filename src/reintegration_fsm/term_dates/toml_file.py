"""Reading TOML term-dates files (format in docs/calendar.md), whose errors name the line."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from importlib import resources
from typing import Any

from reintegration_fsm.errors import CalendarFileError
from reintegration_fsm.files import file_name, utf8_text
from reintegration_fsm.term_dates.terms import (
    Closure,
    Term,
    TermDates,
    as_date,
    check_terms,
    fail_calendar,
    is_icalendar,
    unreadable,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

_SAMPLE_DIR, _SAMPLE_FILE = "data", "sample_calendar.toml"
_TOP_KEYS = frozenset({"source", "retrieved", "term", "closure"})
_TERM_KEYS = frozenset({"name", "first_day", "last_day"})
_CLOSURE_KEYS = frozenset({"date", "reason"})


def read_toml_file(
    path: str | os.PathLike[str], unknown_years: Callable[[int, int], str | None] | None = None
) -> TermDates:
    """Read and check a TOML term-dates file (format in docs/calendar.md); `unknown_years` as
    for `check_terms`.

    Raises:
        CalendarFileError: the file is not UTF-8 text, not valid TOML (an iCalendar feed says
            so), or breaks a rule; names the line.
        FormInvalid: `path` is not a path.
        OSError: the file cannot be read.
    """
    where = file_name(path, "from_file", "path", "must be a path to a TOML term-dates file")
    text = utf8_text(where, unreadable(where))
    if is_icalendar(text):
        raise CalendarFileError(
            "an iCalendar feed, not a TOML term-dates file: write its term dates as TOML "
            "(docs/calendar.md), or read the feed in Python with SchoolCalendar.from_ics",
            path=where,
        )
    return read_toml(text, where, unknown_years)


def read_sample() -> TermDates:
    """The shipped SAMPLE term dates (2025/26 and 2026/27): typical dates, no authority's."""
    resource = resources.files("reintegration_fsm") / _SAMPLE_DIR / _SAMPLE_FILE
    return read_toml(resource.read_text(encoding="utf-8"), f"{_SAMPLE_DIR}/{_SAMPLE_FILE}")


def read_toml(
    text: str, where: str, unknown_years: Callable[[int, int], str | None] | None = None
) -> TermDates:
    """Parse and check TOML term dates; `where` names the file in errors; `unknown_years` as
    for `check_terms`.

    Raises:
        CalendarFileError: the text is not valid TOML or breaks a rule; names the line.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise CalendarFileError("not valid TOML: nested too deeply to read", path=where) from None
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+)", str(e))
        raise CalendarFileError(
            f"not valid TOML: {e}", path=where, line=int(found.group(1)) if found else None
        ) from e
    top, blocks = _toml_lines(text)
    for key in data:
        if key not in _TOP_KEYS:
            fail_calendar(
                f"unknown key {key!r} (expected one of: {', '.join(sorted(_TOP_KEYS))})",
                top.get(key) or _first_line(blocks.get(key)),
                where,
            )
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        fail_calendar(
            "'source' must say where the dates come from (a non-empty string)",
            top.get("source"),
            where,
        )
    retrieved = data.get("retrieved")
    if retrieved is not None:
        retrieved = as_date(retrieved, "'retrieved'", top.get("retrieved"), where)

    terms = [
        Term(
            as_date(entry["first_day"], "first_day", lines.get("first_day", line), where),
            as_date(entry["last_day"], "last_day", lines.get("last_day", line), where),
            str(entry.get("name", "")),
            line,
            lines.get("first_day", line),
            lines.get("last_day", line),
        )
        for entry, line, lines in _entries(data, "term", _TERM_KEYS, blocks, where)
    ]
    closures = [
        Closure(
            as_date(entry["date"], "a closure's date", lines.get("date", line), where),
            str(entry.get("reason", "")),
            lines.get("date", line),
        )
        for entry, line, lines in _entries(data, "closure", _CLOSURE_KEYS, blocks, where)
    ]
    check_terms(terms, closures, where, unknown_years)
    return TermDates(
        tuple((t.first, t.last) for t in terms),
        {c.day: c.reason for c in closures},
        source,
        retrieved,
    )


_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
_TABLE = re.compile(r"^\s*\[")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")

_Block = tuple[int, dict[str, int]]


def _toml_lines(text: str) -> tuple[dict[str, int], dict[str, list[_Block]]]:
    """Line numbers of top-level keys, and of each `[[name]]` entry's header and keys."""
    top: dict[str, int] = {}
    blocks: dict[str, list[_Block]] = {}
    current: dict[str, int] | None = top
    # Lines as TOML counts them, by "\n" alone: str.splitlines() also splits at U+2028, U+0085
    # and others, which TOML allows in comments and strings, and would put errors lines too low.
    for number, line in enumerate(text.split("\n"), start=1):
        header = _HEADER.match(line)
        if header:
            current = {}
            blocks.setdefault(header.group(1), []).append((number, current))
        elif _TABLE.match(line):
            current = None  # a plain [table]: its keys are not ours to locate
        elif current is not None:
            key = _KEY.match(line)
            if key:
                current.setdefault(key.group(1), number)
    return top, blocks


def _first_line(found: list[_Block] | None) -> int | None:
    """The header line of the first entry of an array of tables, if any."""
    return found[0][0] if found else None


def _entries(
    data: dict[str, Any],
    name: str,
    allowed: frozenset[str],
    blocks: dict[str, list[_Block]],
    where: str,
) -> list[tuple[dict[str, Any], int | None, dict[str, int]]]:
    """Each `[[name]]` entry with its header line and key lines, its keys checked."""
    raw = data.get(name, [])
    located = blocks.get(name, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        fail_calendar(f"{name!r} must be written as [[{name}]] tables", _first_line(located), where)
    # Inline arrays of tables have no headers to count: their lines stay unknown.
    exact = len(located) == len(raw)
    out: list[tuple[dict[str, Any], int | None, dict[str, int]]] = []
    for index, entry in enumerate(raw):
        line, lines = located[index] if exact else (None, {})
        unknown = sorted(set(entry) - allowed)
        if unknown:
            fail_calendar(
                f"[[{name}]] has unknown key {unknown[0]!r} (expected: "
                f"{', '.join(sorted(allowed))})",
                lines.get(unknown[0], line),
                where,
            )
        required = sorted(k for k in allowed if k not in ("name", "reason"))
        missing = [k for k in required if k not in entry]
        if missing:
            fail_calendar(f"[[{name}]] is missing {missing[0]!r}", line, where)
        for text_key in ("name", "reason"):
            if text_key in entry and not isinstance(entry[text_key], str):
                fail_calendar(
                    f"[[{name}]] {text_key} must be a string", lines.get(text_key, line), where
                )
        out.append((entry, line, lines))
    return out
