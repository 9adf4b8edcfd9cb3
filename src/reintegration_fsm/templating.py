"""The Jinja2 environment every page and letter the library renders is made in: HTML escaped,
a placeholder without a value an error (never left blank), the lines as the templates lay them
out. Every environment also finds what pages share, written once, under `shared/`: the rules
all pages share (`{% include "shared/page.css" %}` inside a page's `<style>`: the page stays
one file), and a form as every page showing forms shows it (`{% from "shared/form.html" import
form %}`, its rules `shared/form.css`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment


def environment(
    package: str, filters: Mapping[str, Callable[..., Any]] | None = None
) -> Environment:
    """An environment of the templates in `package`'s `templates` folder, and of the shared
    ones in this package's `templates/shared` under `shared/`, with `filters`.

    Jinja2 is imported here, when the first environment is made: a command line that renders
    nothing does not load it (it pays every import at each start)."""
    from jinja2 import (
        ChoiceLoader,
        Environment,
        PackageLoader,
        PrefixLoader,
        StrictUndefined,
        select_autoescape,
    )

    shared = PrefixLoader({"shared": PackageLoader("reintegration_fsm", "templates/shared")})
    made = Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates"), shared]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    made.filters.update(filters or {})
    return made
