"""Keeping a row's values out of an error: a driver's error scrubbed of its SQL parameters and
quoted values, described by its class and code alone, and a decoding error's text forgotten
(they hold children's names, dates of birth and addresses)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.exc import DBAPIError, StatementError

from reintegration_fsm.stores.driver_errors import codes_of, package_of

_QUOTED_VALUE = re.compile(r"((?:entry|value:?) )'(?:[^'\\]|\\.)*'")


def unquoted(error: BaseException) -> str:
    """What a decoding error says without the row it read: a JSON error's class, message and
    position; another's class alone (its message may quote the value: `int()`'s, a date's)."""
    if isinstance(error, json.JSONDecodeError):
        return f"JSONDecodeError: {error.msg} at line {error.lineno}, column {error.colno}"
    return type(error).__name__


def forget_row(error: BaseException) -> None:
    """Drop the text a decoding error read, from it and from each error it chains: an
    `AlteredRow` chains it, and a logged traceback (`logging.exception`, an error tracker)
    prints or sends each error of a chain, with the child's personal data the row holds (a
    JSON error keeps the whole row as `doc`; `int()` or a date's quotes the value). A JSON
    error keeps its message and position, a recursion error its message; another is left its
    class alone (review LF, LF3)."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, json.JSONDecodeError):
            found.doc = ""
        elif isinstance(found, UnicodeDecodeError):
            found.object = b""
        elif isinstance(found, UnicodeError):
            found.args = ()
            if isinstance(found, UnicodeEncodeError | UnicodeTranslateError):
                found.object = ""
        elif not isinstance(found, RecursionError):
            found.args = ()
        found = found.__cause__ or found.__context__


def describe(driver: BaseException) -> str:
    """The error's class and code, never its text (which may quote a row's values); and the
    constraint a refused row broke, by the name the schema gives it, where the database says
    (review LG, LG5: "CheckViolation, SQLSTATE 23514" alone did not say which)."""
    sqlstate, number, sqlite_code = codes_of(driver)
    name = f"{type(driver).__module__}.{type(driver).__name__}"
    broken = _broken_constraint(driver)
    if sqlstate is not None:
        return f"{name}, SQLSTATE {sqlstate}{broken}"
    if number is not None:
        return f"{name}, error {number}{broken}"
    if sqlite_code is not None:
        return f"{name}, {getattr(driver, 'sqlite_errorname', sqlite_code)}"
    if "database is locked" in str(driver):
        return f"{name}, database is locked"
    return name


_MYSQL_CONSTRAINT = re.compile(
    r"^CONSTRAINT `([^`]{1,64})` failed for `[^`]{1,64}`\.`([^`]{1,64})`$"
)
"""MariaDB's ER_CONSTRAINT_FAILED (4025): the CHECK constraint and its table, no value."""


def _broken_constraint(driver: BaseException) -> str:
    """What names the constraint that refused a row (`, constraint "c" of table "t"`), from
    PostgreSQL's report or MariaDB's CHECK refusal, else nothing: schema names, never a row's
    values."""
    diag = getattr(driver, "diag", None) if package_of(driver) == "psycopg" else None
    constraint = getattr(diag, "constraint_name", None)
    table = getattr(diag, "table_name", None)
    args = driver.args
    if codes_of(driver)[1] == 4025 and len(args) == 2 and isinstance(args[1], str):
        found = _MYSQL_CONSTRAINT.match(args[1])
        if found is not None:
            constraint, table = found.groups()
    if not isinstance(constraint, str) or not constraint.isprintable():
        return ""
    if isinstance(table, str) and table.isprintable():
        return f', constraint "{constraint}" of table "{table}"'
    return f', constraint "{constraint}"'


def scrub(error: BaseException) -> None:
    """Remove SQL parameters and quoted row values from `error` and the errors it chains."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StatementError):
            current.hide_parameters = True
            # Hidden from its message only: the attribute, and a pickled copy (a worker
            # process's, a job queue's), kept them (review LG, LG2).
            current.params = None
            orig = current.orig
            if orig is not None:
                _scrub_driver(orig)
                if isinstance(current, DBAPIError):
                    current.args = (f"({type(orig).__module__}.{type(orig).__name__}) {orig}",)
        else:
            _scrub_driver(current)
        current = current.__cause__ or current.__context__


def _scrub_driver(driver: BaseException) -> None:
    # psycopg: the DETAIL of a constraint violation quotes the failing row ("Failing row
    # contains (...)"); keep the primary message only.
    diag = getattr(driver, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if isinstance(primary, str) and primary:
        driver.args = (primary,)
        _scrub_diagnostics(driver)
        return
    # MariaDB/MySQL: "Duplicate entry '...'", "Incorrect string value: '...'".
    args = driver.args
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        driver.args = (args[0], _QUOTED_VALUE.sub(r"\1'...'", args[1]))


_NAMING_FIELDS = (
    "SEVERITY",
    "SEVERITY_NONLOCALIZED",
    "SQLSTATE",
    "MESSAGE_PRIMARY",
    "SCHEMA_NAME",
    "TABLE_NAME",
    "COLUMN_NAME",
    "DATATYPE_NAME",
    "CONSTRAINT_NAME",
    "SOURCE_FILE",
    "SOURCE_LINE",
    "SOURCE_FUNCTION",
)
"""The fields of a PostgreSQL error report that name what failed, never a row's values: its
DETAIL ("Failing row contains (...)", "Key (case_id)=(...)"), HINT, CONTEXT and internal
query are left out."""


def _scrub_diagnostics(driver: BaseException) -> None:
    """Keep of a psycopg error's report (`diag`, and what a pickled copy carries) only the
    fields that name what failed: its DETAIL stayed there, quoting the refused row, after its
    message was scrubbed (review LG, LG3)."""
    if package_of(driver) != "psycopg" or not hasattr(driver, "_info"):
        return
    from psycopg.pq import DiagnosticField

    diag: Any = getattr(driver, "diag", None)
    report: dict[Any, bytes] = {}
    for name in _NAMING_FIELDS:
        value = getattr(diag, name.lower(), None)
        if isinstance(value, str):
            report[DiagnosticField[name]] = value.encode("utf-8")
    reported: Any = driver  # psycopg's own attributes, which `diag` and pickling read
    reported._info = report
    reported._encoding = "utf-8"
