"""The group's settings every command is handed: the store it opens, the authority it is
scoped to, the calendar and protocols it reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs
import click

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.cli.calendars import load_calendar
from reintegration_fsm.cli.database_urls import database_url, shown_url
from reintegration_fsm.cli.errors import UNAVAILABLE, Failure
from reintegration_fsm.cli.protocol_files import ProtocolFile, registered
from reintegration_fsm.cli.scope import AUTHORITY_ENV
from reintegration_fsm.errors import StoreError
from reintegration_fsm.fields import folded_text, searched_stretch
from reintegration_fsm.protocol.definition import Protocol

if TYPE_CHECKING:
    import sqlalchemy

    from reintegration_fsm.stores import SqlAlchemyStore


@attrs.define
class Settings:
    """The group's options, handed to every command through click's context."""

    database: str
    authority: str | None
    calendar_name: str | None
    json_errors: bool = False
    """The command was asked for `--format json`: a failure is printed as JSON too."""
    protocol_files: tuple[str, ...] = ()
    """Authorities' protocol files registered with `--protocol` (or RFSM_PROTOCOLS)."""
    refused_scope: Failure | None = None
    """Why the group's `--authority` and RFSM_AUTHORITY name no one scope (`scope.group_scope`),
    raised before any store is opened."""
    _store: SqlAlchemyStore | None = None
    _made: tuple[str, ...] = ()
    """The SQLite files `store(create=True)` made for this command (`new_files`)."""
    _calendar: SchoolCalendar | None = None
    _protocols: tuple[tuple[Protocol, ProtocolFile], ...] | None = None

    def protocols(self) -> tuple[Protocol, ...]:
        """The registered protocols, read and checked once per command."""
        return tuple(protocol for protocol, _ in self._registered())

    def protocol_files_read(self) -> Mapping[tuple[str, str], ProtocolFile]:
        """The registered protocols' files by `(id, version)` (the first of a name given
        twice), as a refusal names them."""
        files: dict[tuple[str, str], ProtocolFile] = {}
        for protocol, file in self._registered():
            files.setdefault(protocol.key, file)
        return files

    def _registered(self) -> tuple[tuple[Protocol, ProtocolFile], ...]:
        if self._protocols is None:
            self._protocols = registered(self.protocol_files)
        return self._protocols

    @property
    def url(self) -> str:
        """The database URL (a bare path means a SQLite file)."""
        return database_url(self.database)

    def calendar(self) -> SchoolCalendar | None:
        """The calendar named by `--calendar`, if any (read once per command)."""
        if self.calendar_name is None:
            return None
        if self._calendar is None:
            self._calendar = load_calendar(self.calendar_name)
        return self._calendar

    def narrow_authority(self, authority: str | None) -> None:
        """Apply a command's own `--authority`: it may repeat the group's, never replace it.

        Raises:
            Failure: the group (or RFSM_AUTHORITY) already names another authority, or names
                no one scope (exit 2).
        """
        if self.refused_scope is not None:
            raise self.refused_scope
        if authority is None:
            return
        if self.authority is not None and authority != self.authority:
            raise Failure(
                f"--authority {authority!r} conflicts with the authority already set, "
                f"{self.authority!r} (by --authority before the command, or {AUTHORITY_ENV})",
                ("A command may only repeat the authority it runs under, never widen it.",),
            )
        if self._store is not None:  # pragma: no cover - commands narrow before they read
            raise RuntimeError("the authority must be set before the store is opened")
        self.authority = authority

    def store(self, *, create: bool = False) -> SqlAlchemyStore:
        """The store; with `create` (a command that adds cases), its schema is made first when
        the database has none.

        A store whose making was cut off part way (`migrate.CREATING` stands) is finished
        first by a command that creates, and refused by any other.

        Raises:
            Failure: without `create`, the database holds no store (exit 2): a mistyped path
                or another application's database is named, never made into an empty store;
                or the store's making was cut off part way (exit 3, naming `db upgrade`);
                or the group's `--authority` and RFSM_AUTHORITY name no one scope (exit 2).
        """
        if self.refused_scope is not None:
            raise self.refused_scope
        if self._store is None:
            # SQLAlchemy and the store are loaded by the commands that open one (review SU7).
            from sqlalchemy import inspect
            from sqlalchemy.exc import ArgumentError

            from reintegration_fsm.cli import new_files
            from reintegration_fsm.cli.sqlite_files import (
                EMPTY_FILE,
                empty_file,
                missing_file,
                refuse_unusable_file,
                wal_left_behind,
            )
            from reintegration_fsm.stores import SqlAlchemyStore, upgrade
            from reintegration_fsm.stores.migrate import CREATING

            calendar, protocols = self.calendar(), self.protocols()  # bad files first
            refuse_unusable_file(self.url)
            if not create and missing_file(self.url):
                raise self._no_store()
            if not create and empty_file(self.url):
                # Opened, it would be made a WAL file, which later commands would read as a
                # copy taken without its `-wal` (review KX, KX3).
                raise self._no_store(EMPTY_FILE)
            if create:
                self._made = new_files.to_be_made(self.url)
            # Read before opening it sets WAL mode; only a command that makes no store says it.
            left_behind = () if create else wal_left_behind(self.url)
            try:
                store = SqlAlchemyStore(
                    self.url, authority=self.authority, calendar=calendar, protocols=protocols
                )
            except StoreError as error:
                # No such dialect or driver, or its module is not installed: the store's message
                # says what to install and write.
                if isinstance(error.__cause__, ArgumentError | ImportError):
                    raise Failure(f"--db: {error}") from None
                raise  # failure_from: a URL of the wrong kind is bad input, else unavailable
            try:
                tables = inspect(store.engine)
                cut_off = tables.has_table(CREATING)  # the store's first use was interrupted
                if cut_off and not create:
                    raise self._cut_off()
                if cut_off or not tables.has_table("rfsm_cases"):
                    if not create:
                        raise self._no_store(*left_behind)
                    upgrade(store.engine)  # makes the store, or finishes its making
                else:  # a store made by an older release: its rows do not fit this one's
                    with store.engine.connect() as conn:
                        _refuse_behind(conn)
            except BaseException:
                store.engine.dispose()
                raise
            self._store = store
        return self._store

    def _no_store(self, *hints: str) -> Failure:
        return Failure(
            f"--db {shown_url(self.url)}: no case store there",
            (
                "Check the path or URL. A store is made by `db upgrade`, or by the first "
                "`apply ... open`, `import` or `demo` on a new database.",
                *hints,
            ),
        )

    def _cut_off(self) -> Failure:
        return Failure(
            f"--db {shown_url(self.url)}: the case store's making was cut off before it "
            "finished (its first use was interrupted), so its tables are not all there",
            (
                "Run `reintegration-fsm db upgrade` to finish making it (the first `apply ... "
                "open`, `import` or `demo` finishes it too).",
            ),
            UNAVAILABLE,
        )

    def case_meant(self, case_id: str) -> str | None:
        """The id of a case the store may show that differs from `case_id` only in letters'
        case or Unicode form (`demo-0001` for DEMO-0001, `kız-1` for KIZ-1, an accent typed
        apart from its letter: `fields.folded_text`), or None; None
        too when no store is open yet or the lookup fails (it only adds a hint to an error
        already on its way)."""
        if self._store is None or not isinstance(case_id, str):
            return None
        wanted = folded_text(case_id)
        try:
            found = self._store.cases(text=searched_by(case_id))
        except Exception:  # the error being reported is the one to show
            return None
        return next(
            (
                summary.case_id
                for summary in found
                if summary.case_id != case_id and folded_text(summary.case_id) == wanted
            ),
            None,
        )

    def discard_new_store(self) -> None:
        """After a failed command: remove the SQLite file it made, if it holds no case."""
        made, self._made = self._made, ()
        self.close()
        if made:  # else no store was made: the URL is not asked for (it may be the failure)
            from reintegration_fsm.cli import new_files

            new_files.discard(self.url, made)

    def close(self) -> None:
        """Release the database connections."""
        if self._store is not None:
            self._store.engine.dispose()
            self._store = None


UPGRADE_ADVICE = (
    "Stop every older version of reintegration-fsm that uses this database, then run "
    "`reintegration-fsm db upgrade` once; every command works again after it."
)
"""What an officer is told when the library was upgraded and the database not yet."""


def _refuse_behind(conn: sqlalchemy.Connection) -> None:
    """Refuse a store an upgrade would still change (`refuse_behind`): one at an older
    revision, which `db upgrade` mends (said so, not "ask your database administrator"), or a
    newer version's, which this one cannot use.

    Raises:
        Failure: the database is at an older revision (exit 3).
        StoreError: it is at a newer version's.
    """
    from reintegration_fsm.stores.migrate import refusal, refuse_behind, stamped

    try:
        refuse_behind(conn, "use the database")
    except StoreError as error:
        if refusal(stamped(conn), "use the database", only_reads=True) is not None:
            raise  # a newer version's: its own message says to use that version
        raise Failure(
            f"the database is unavailable: {error}", (UPGRADE_ADVICE,), UNAVAILABLE
        ) from None


def searched_by(text: str) -> str | None:
    """The text to search the case list by (`store.cases(text=...)`) for every id or name that
    reads as `text`, whatever its letters' case and spaces: its longest stretch without a space
    or an i (`fields.searched_stretch`), or None for every case. Each found is then compared
    whole."""
    return searched_stretch(text) or None


def settings(ctx: click.Context) -> Settings:
    """The group's settings from a command's context."""
    found = ctx.find_object(Settings)
    if found is None:  # pragma: no cover - every command runs under the group
        raise click.UsageError("no settings: run commands through `reintegration-fsm`")
    return found
