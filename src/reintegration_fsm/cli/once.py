"""Options that take one value, refused when given twice with two values.

Click keeps the last of an option given twice without a word (`apply ... --on 2026-01-14 ...
--on 2026-01-15`, a command line recalled from the shell's history and corrected by appending).
A step's date, actor or form cannot be changed once recorded, so which value was meant is not
guessed, as a JSON key given twice is not: every option of the command line is made by `option`
(or is a flag, a count or an option that may repeat), and one taking a single value refuses two
different ones (exit 2). The same value given twice is no ambiguity, and is accepted.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from reintegration_fsm.cli.misplaced import given_without_passwords
from reintegration_fsm.cli.text import neutralise

F = TypeVar("F", bound=Callable[..., Any])


class Once(click.Option):
    """An option of which the command line may give one value (once, or the same value again)."""

    def takes_one_value(self) -> bool:
        """Whether the option takes one value: not a flag, a count, nor one that may repeat."""
        return not (self.multiple or self.count or self.is_flag) and self.nargs == 1

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        """Collect every value given (click keeps the last), for `consume_value` to compare."""
        if not self.takes_one_value():
            super().add_to_parser(parser, ctx)
            return
        parser.add_option(obj=self, opts=self.opts, dest=self.name, action="append", nargs=1)

    def consume_value(self, ctx: click.Context, opts: Mapping[str, Any]) -> tuple[Any, Any]:
        """The one value given; refused when the command line gives two different ones.

        Raises:
            click.BadOptionUsage: two different values (exit 2).
        """
        value, source = super().consume_value(ctx, opts)
        if not self.takes_one_value() or source is not ParameterSource.COMMANDLINE:
            return value, source
        if not isinstance(value, list):  # pragma: no cover - the parser appends every value
            return value, source
        given = list(dict.fromkeys(value))
        if len(given) > 1 and not ctx.resilient_parsing:
            name = "/".join(self.opts)
            times = "twice" if len(value) == 2 else f"{len(value)} times"
            shown = [shlex.quote(given_without_passwords(str(each))) for each in given]
            values = ", ".join(shown[:-1]) + f" and {shown[-1]}"
            raise click.BadOptionUsage(
                self.opts[-1],
                neutralise(
                    f"{name} given {times}, {values}: which was meant would be a guess; "
                    "give it once",
                    single_line=True,
                ),
                ctx,
            )
        return value[-1], source


def option(*declarations: str, **attributes: Any) -> Callable[[F], F]:
    """`click.option`, making a `Once`: every option of the command line is made by it."""
    return click.option(*declarations, cls=Once, **attributes)
