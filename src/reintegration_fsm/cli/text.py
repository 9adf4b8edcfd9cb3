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

from reintegration_fsm.shown import DIRECTION_CONTROLS, LONE_SURROGATES, neutralise

__all__ = ["echo_json", "echo_text", "neutralise", "to_json"]

_UNSAFE_JSON = re.compile(f"[\x7f-\x9f\u2028\u2029{DIRECTION_CONTROLS}{LONE_SURROGATES}]")


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
