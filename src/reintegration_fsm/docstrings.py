"""A function's docstring as its source holds it, also under `python -OO`.

`-OO` (or `PYTHONOPTIMIZE=2`, as some deployments run services) strips every docstring, and
the words the library takes from them with it: each command's `--help` and the report's
description of each rule's departures. Those words are read back from the source file, which
an installed package ships beside its compiled files.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any


def docstring(function: Callable[..., Any]) -> str:
    """`function`'s docstring, its indentation removed (`inspect.cleandoc`); under `-OO`, read
    from its source; "" when it has none, or its source cannot be read (none shipped)."""
    if function.__doc__ is not None:
        return inspect.cleandoc(function.__doc__)
    try:
        source = textwrap.dedent(inspect.getsource(function))
        defined = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return ""
    if not isinstance(defined, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return ""
    return ast.get_docstring(defined) or ""
