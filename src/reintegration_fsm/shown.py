"""Text shown to people, made harmless: control characters and bidirectional overrides shown
as escapes.

Text a form accepted (a name, a reason) may hold characters that act rather than show: on a
terminal an escape sequence can rewrite the screen, and in a page or a letter a right-to-left
override makes the text after it read backwards (a date of birth, a decision). Every page,
letter and terminal line the library writes passes through `neutralise`.
"""

from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls (0x9b starts a sequence on some
# terminals), the bidirectional overrides and isolates (text that reads other than it is) and
# lone surrogates (which no file or terminal can encode).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
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
