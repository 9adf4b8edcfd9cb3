"""Text made harmless: control characters shown as escapes, JSON a terminal can show.

Text from the database (names, reasons, ids) may hold anything a form accepted. On a terminal
an escape sequence can rewrite the screen or hide a line, so control characters are shown as
escapes (`\\x1b`) in text and written as `\\u` escapes in JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

# C0 controls but newline and tab, DEL, C1 controls (0x9b starts a sequence on some
# terminals), the bidirectional overrides and isolates (text that reads other than it is) and
# lone surrogates (which no file or terminal can encode).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_TEXT = re.compile(f"[{_UNSAFE}]")
_UNSAFE_LINE = re.compile(f"[{_UNSAFE}\n\t]")
_UNSAFE_JSON = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str, *, single_line: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`), safe on a terminal.

    Newlines and tabs are kept unless `single_line` (a table cell, a name inside a sentence).
    """
    return (_UNSAFE_LINE if single_line else _UNSAFE_TEXT).sub(_escape, text)


def echo_text(text: str, *, nl: bool = True) -> None:
    """Print text for people on stdout, control characters neutralised."""
    click.echo(neutralise(text), nl=nl)


def to_json(value: Any) -> str:
    """JSON for scripts: indented, keys in the order given, non-ASCII kept.

    Characters a terminal or an editor would act on (C1 controls, bidirectional overrides, lone
    surrogates) are written as `\\u` escapes: the same JSON value, harmless to look at.
    """
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def echo_json(value: Any) -> None:
    """Print a JSON document on stdout."""
    click.echo(to_json(value))
