"""The database `--db` names: its URL made from a path or a URL, its secrets remembered, and
the URL as a message may show it."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from reintegration_fsm.cli.errors import SECRETS, Failure
from reintegration_fsm.cli.misplaced import PASSWORD_OPTIONS, without_passwords

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

DEFAULT_DATABASE = "sqlite:///reintegration.sqlite"
DATABASE_ENV = "RFSM_DATABASE_URL"


@functools.cache
def _decodes_names() -> bool:
    """Whether this SQLAlchemy decodes `%XX` in a URL's database name (2.1 and later do)."""
    from sqlalchemy.engine import make_url

    return make_url("sqlite:///a%3Fb").database == "a?b"


def database_url(database: str) -> str:
    """A database URL from `--db`: URLs pass through, a bare path becomes the SQLite URL of
    that file as written.

    The URL's password is remembered, so that no message ever prints it.

    Raises:
        Failure: `database` is blank (`--db "$DB"` with DB unset, or RFSM_DATABASE_URL set
            but empty), which SQLAlchemy would read as a database in memory (exit 2).
    """
    if not database.strip():
        raise Failure(
            f"no database is named: --db (or {DATABASE_ENV}) is empty",
            (
                "Name the database: --db URL, or a SQLite file's path. Unset "
                f"{DATABASE_ENV} to use {DEFAULT_DATABASE.removeprefix('sqlite:///')} in "
                "the current folder.",
            ),
        )
    if "://" not in database and database.startswith("file:") and not os.path.exists(database):
        uri = "" if "uri=true" in database else ("&" if "?" in database else "?") + "uri=true"
        raise Failure(
            f"--db {database}: a SQLite URI, not a file's path",
            (f"Give it as a URL: sqlite:///{database}{uri}",),
        )
    import sqlalchemy
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if "://" not in database:
        # The path as written: a URL would read `cases?.sqlite` as `cases` with options, and
        # (from SQLAlchemy 2.1, which decodes a URL's database name) `LA%2Fdata.sqlite` as
        # `LA/data.sqlite`. Before 2.1 no URL names a file with a `?` in its name.
        if _decodes_names():
            return "sqlite:///" + database.replace("%", "%25").replace("?", "%3F")
        if "?" in database:
            raise Failure(
                f"--db {database}: this SQLAlchemy ({sqlalchemy.__version__}) cannot name a "
                "SQLite file with a ? in its name",
                ("Rename the file, or upgrade SQLAlchemy to 2.1 or later.",),
            )
        return f"sqlite:///{database}"
    try:
        url = make_url(database)
    except ArgumentError as error:
        raise Failure(f"--db: {error}") from None
    except ValueError:  # make_url reads the port with int()
        raise Failure("--db: the URL's port is not a number") from None
    holding = _holding_a_nul(url)
    if holding is not None:  # the part is named, never its text: it may be the password
        raise Failure(
            f"--db: the URL's {holding} holds a NUL character (%00), which no database server "
            "or file takes",
            ("Check the URL: `%00` stands for a NUL character wherever it is written.",),
        )
    SECRETS.add(database, shown_url(database))
    if url.password:
        SECRETS.add(f":{url.password}@", ":***@")
    for name, value in url.query.items():
        if name.lower() in PASSWORD_OPTIONS:  # a driver's message may quote the option
            for each in (value,) if isinstance(value, str) else value:
                SECRETS.add(f"{name}={each}", f"{name}=***")
    return database


def _holding_a_nul(url: URL) -> str | None:
    """The part of `url` naming a NUL character (`%00`), in words, or None. SQLAlchemy decodes
    the user name, the password and the options, and from 2.1 the database name; a part it
    leaves as written (the host; before 2.1 the database name) would reach the driver holding
    `%00`, no name any server or file has, so it is looked for there as written too."""
    options = [text for item in url.query.items() for text in _option_texts(item)]
    parts = [
        ("user name", url.username, False),
        ("password", url.password, False),
        ("host", url.host, True),
        ("database name", url.database, not _decodes_names()),
        *(("options", text, False) for text in options),
    ]
    return next(
        (
            part
            for part, text, as_written in parts
            if text is not None and ("\x00" in text or (as_written and "%00" in text))
        ),
        None,
    )


def _option_texts(item: tuple[str, str | tuple[str, ...]]) -> list[str]:
    """An option's name and its value or values."""
    name, value = item
    return [name, value] if isinstance(value, str) else [name, *value]


def shown_url(url: str) -> str:
    """A database URL safe to print (password hidden).

    A file name in bytes that are not UTF-8 reaches Python from the command line as lone
    surrogates, which SQLAlchemy cannot render: each is shown as U+FFFD instead.
    """
    from sqlalchemy.engine import make_url

    try:
        return without_passwords(make_url(url))
    except UnicodeEncodeError:
        readable = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in url)
        return without_passwords(make_url(readable))
