"""An option of the command group given after the command: where it goes, and the line to run.

`--db`, `--authority`, `--calendar` and `--protocol` go before the command (`reintegration-fsm
--calendar sample timeline DEMO-0001`). Given after it, click says only "No such option", or
suggests one of the command's own ("Did you mean '--year'?"), which points the wrong way.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
import click

from reintegration_fsm.cli.text import neutralise

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

GIVEN = "reintegration_fsm.given"
"""The key of `Given` in the contexts' shared `meta`."""

_DATABASE = "--db"


@attrs.frozen
class Given:
    """The command line as the group read it: its options, then the command and what follows."""

    before: tuple[str, ...]
    command: tuple[str, ...]

    @classmethod
    def split(cls, args: Sequence[str], rest: Sequence[str]) -> Given:
        """The group's `args`, of which `rest` follows the command's name."""
        at = len(args) - len(rest) - 1
        return cls(tuple(args[:at]), tuple(args[at:]))


def misplaced(error: click.NoSuchOption, ctx: click.Context) -> click.UsageError | None:
    """The usage error for `error`, an unknown option of a command, when it is an option of the
    group (`ctx`, the group's context): where it goes, with the command line that puts it
    there; None for any other unknown option."""
    given = ctx.meta.get(GIVEN)
    option = next(
        (
            param
            for param in ctx.command.params
            if isinstance(param, click.Option) and error.option_name in param.opts
        ),
        None,
    )
    if not isinstance(given, Given) or option is None:
        return None
    name = error.option_name
    at = _where(given.command, name)
    if at is None:  # the parser met it where it does not read as typed: leave it to click
        return None
    taken, count = _taken(given.command, at, option)
    command = [*given.command[:at], *given.command[at + count :]]
    before = list(given.before)
    earlier = _given_in(before, name)
    twice = bool(earlier) and not option.multiple
    if twice:
        before = [token for i, token in enumerate(before) if i not in earlier]
    program = ctx.info_name or "reintegration-fsm"
    words = [
        *(shlex.quote(token) for token in [program, *_shown(before)]),
        *taken,
        *(shlex.quote(token) for token in command),
    ]
    line = neutralise(" ".join(words), single_line=True)
    if twice:
        message = (
            f"{name} is an option of {program} itself, given before the command too: give it "
            f"once, before the command: {line}"
        )
    else:
        message = f"{name} is an option of {program} itself: put it before the command: {line}"
    return click.UsageError(message, error.ctx)


def _where(tokens: Sequence[str], name: str) -> int | None:
    """Where option `name` is in `tokens` (the command and what follows), before any `--`."""
    for i, token in enumerate(tokens):
        if token == "--":
            return None
        if token == name or token.startswith(f"{name}="):
            return i
    return None


def _taken(tokens: Sequence[str], at: int, option: click.Option) -> tuple[list[str], int]:
    """The option at `at` as it is to be shown, quoted for the shell (itself and its value, or
    its metavar in place of a value not given: the line's last word, or followed by another
    option), and how many of `tokens` it was given as."""
    token = tokens[at]
    if option.is_flag or "=" in token:
        return [shlex.quote(word) for word in _shown([token])], 1
    if at + 1 < len(tokens) and not tokens[at + 1].startswith("--"):
        return [shlex.quote(word) for word in _shown(tokens[at : at + 2])], 2
    return [token, option.metavar or "VALUE"], 1


def _given_in(tokens: Sequence[str], name: str) -> set[int]:
    """The positions of option `name` and its value among the group's own options."""
    found: set[int] = set()
    for i, token in enumerate(tokens):
        if token == name:
            found |= {i, i + 1}
        elif token.startswith(f"{name}="):
            found.add(i)
    return found


def _shown(tokens: Sequence[str]) -> list[str]:
    """The group's options as printed: a database URL's password as `***`."""
    shown = list(tokens)
    for i, token in enumerate(shown):
        if token == _DATABASE and i + 1 < len(shown):
            shown[i + 1] = given_without_passwords(shown[i + 1])
        elif token.startswith(f"{_DATABASE}="):
            shown[i] = f"{_DATABASE}={given_without_passwords(token.partition('=')[2])}"
    return shown


def given_without_passwords(database: str) -> str:
    """`database`, a URL as given on the command line, with any password hidden, that before
    the `@` and every password option's (`?password=`); a path (no `://`) as written. (A URL
    already read is shown by `without_passwords`.)"""
    if "://" not in database:
        return database
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database)
    except (ArgumentError, ValueError, UnicodeEncodeError):
        return "URL"  # unreadable: whatever it holds is not printed
    if url.password is None and not any(name.lower() in PASSWORD_OPTIONS for name in url.query):
        return database
    return without_passwords(url)


def urls_hidden(text: str, given: Given | None) -> str:
    """`text` with each database URL of the command line `given` in it shown without its
    passwords: click's own usage errors quote an argument as given ("Got unexpected extra
    argument (URL)", "No such command 'URL'"), before any URL is read (review RQ, RQ4)."""
    if given is None:
        return text
    urls = set()
    for token in (*given.before, *given.command):
        value = token.partition("=")[2] if token.startswith("-") else token
        if "://" in value:
            urls.add(value)
    for url in sorted(urls, key=len, reverse=True):
        text = text.replace(url, given_without_passwords(url))
    return text


PASSWORD_OPTIONS = frozenset({"password", "passwd", "sslpassword"})
"""The URL options that carry a password: libpq (psycopg) and PyMySQL take `?password=` (and
`?passwd=`, `?sslpassword=`) as they take the password written before the `@`."""


def without_passwords(url: URL) -> str:
    """`url` as text, its password and the value of every password option shown as ***."""
    hidden = {name: "***" for name in url.query if name.lower() in PASSWORD_OPTIONS}
    if hidden:
        url = url.update_query_dict(hidden)
    shown = url.render_as_string(hide_password=True)
    return shown.replace("=%2A%2A%2A", "=***") if hidden else shown
