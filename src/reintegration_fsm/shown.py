"""Text shown to people, made harmless: control characters and bidirectional overrides shown
as escapes.

Text a form accepted (a name, a reason) may hold characters that act rather than show: on a
terminal an escape sequence can rewrite the screen, and in a page or a letter a right-to-left
override makes the text after it read backwards (a date of birth, a decision). Every page,
letter and terminal line the library writes passes through `neutralise`.
"""

from __future__ import annotations

import re

CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
"""C0 controls but tab and newline, DEL, and C1 controls (0x9b starts a sequence on some
terminals), as a regular expression's character ranges."""
DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The bidirectional marks, embeddings, overrides and isolates, as a regular expression's
character ranges: text holding one reads other than it is."""
LONE_SURROGATES = "\ud800-\udfff"
"""Lone surrogates, as character ranges: no file or terminal can encode one."""

_UNSAFE = f"{CONTROLS}{DIRECTION_CONTROLS}{LONE_SURROGATES}"
_UNSAFE_TEXT = re.compile(f"[{_UNSAFE}]")
_UNSAFE_LINE = re.compile(f"[{_UNSAFE}\n\t]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str, *, single_line: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`, `\\u202e`).

    Newlines and tabs are kept unless `single_line` (a table cell, a name inside a sentence).
    """
    return (_UNSAFE_LINE if single_line else _UNSAFE_TEXT).sub(_escape, text)
