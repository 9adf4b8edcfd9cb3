"""Text shown to people, made harmless: control characters and bidirectional overrides shown
as escapes.

Text a form accepted (a name, a reason) may hold characters that act rather than show: on a
terminal an escape sequence can rewrite the screen, and in a page or a letter a right-to-left
override makes the text after it read backwards (a date of birth, a decision); a noncharacter
(U+FFFF) makes a workbook's XML unreadable. Every page, letter, workbook and terminal line the
library writes passes through `neutralise`.
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
NONCHARACTERS = "".join(
    chr(code)
    for code in (
        *range(0xFDD0, 0xFDF0),
        *(plane + last for plane in range(0, 0x110000, 0x10000) for last in (0xFFFE, 0xFFFF)),
    )
)
"""Unicode's 66 noncharacters, U+FDD0 to U+FDEF and the last two of every plane (U+FFFE,
U+FFFF, U+1FFFE...), each written out (a character class takes them as they are): kept for a
program's own use, never text to exchange. XML forbids U+FFFE and U+FFFF, so a workbook
holding one cannot be opened."""
NONCHARACTER = re.compile(f"[{NONCHARACTERS}]")
"""Any one of them."""

_UNSAFE = f"{CONTROLS}{DIRECTION_CONTROLS}{LONE_SURROGATES}{NONCHARACTERS}"
_UNSAFE_TEXT = re.compile(f"[{_UNSAFE}]")
_UNSAFE_LINE = re.compile(f"[{_UNSAFE}\n\t]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def neutralise(text: str, *, single_line: bool = False) -> str:
    """`text` with every control character and noncharacter shown as an escape (`\\x1b`,
    `\\u202e`, `\\uffff`).

    Newlines and tabs are kept unless `single_line` (a table cell, a name inside a sentence).
    """
    return (_UNSAFE_LINE if single_line else _UNSAFE_TEXT).sub(_escape, text)
