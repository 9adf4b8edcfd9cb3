"""Apply the Alembic migrations shipped in `reintegration_fsm/stores/migrations`, and make a store
on a database holding none so that a making cut off part way is known.

MariaDB commits each CREATE at once: a store's making (`create_schema()`, or `upgrade()` from an
empty database) cut off part way left tables under no stamp, or no stamp of the newest revision,
which read as a store. So the making begins by committing the table `CREATING`, naming how it
makes the store, and drops it last, after the stamp: while it stands, `refuse_behind` refuses
the database, and `create_schema()` and `upgrade()` finish the making the same way it began.
A database that holds the library's tables but no stamp and no `CREATING` is not taken for a
cut-off making; without even a version table (lost in a copy, or made by a build from before
`create_schema()` stamped), `upgrade()` refuses it, changing nothing: which revision its tables
are at cannot be known. On SQLite and PostgreSQL a making is one transaction, so a cut-off
leaves nothing.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import re
import traceback
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import URL, Connection, Engine

from reintegration_fsm.errors import FormInvalid, StoreError
from reintegration_fsm.stores import engines, postgresql, schema, sqlite
from reintegration_fsm.stores.failures import UPGRADING, converted

if TYPE_CHECKING:
    # Alembic (with Mako and Pygments under it) is imported only where a database is migrated
    # or stamped: opening a store reads the shipped revisions from the migration files' text
    # (`_chain`) and the version table with plain SQL (`stamped`), so a command line that
    # opens one pays nothing for it.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

VERSION_TABLE = "rfsm_alembic_version"
"""Our own version table, so that the library's migrations never meet an application's."""

CREATING = "rfsm_creating"
"""The table that stands while a store is made on a database holding none of the library's
tables; its one row names how (`BY_SCHEMA` or `BY_MIGRATIONS`)."""
BY_SCHEMA = "create_schema"
"""A making by `create_schema()`: the newest tables at once, stamped last."""
BY_MIGRATIONS = "upgrade"
"""A making by `upgrade()`: every migration in turn, each stamped."""
HEADS = ("head", "heads")
"""The names of the newest revision, besides its own."""
CUT_OFF = "the store's making was cut off before it finished"
"""What the refusal of a store whose making was cut off says."""

LOCK_WAIT = 30 * 60
"""The seconds an upgrade on MariaDB (or MySQL) waits for another upgrade of the same database
to finish before it gives up; PostgreSQL's waits as long as the server lets a lock be waited
for, SQLite's as long as its busy timeout."""
_ADVISORY_KEY = int.from_bytes(
    hashlib.sha256(b"reintegration_fsm upgrade").digest()[:8], "big", signed=True
)
"""The PostgreSQL advisory lock an upgrade holds (advisory locks are each database's own)."""

_creating = sa.Table(CREATING, sa.MetaData(), sa.Column("made_by", sa.String(16), primary_key=True))
_version = sa.Table(
    VERSION_TABLE, sa.MetaData(), sa.Column("version_num", sa.String(32), nullable=False)
)
"""The version table as Alembic makes it (`stamped` reads it)."""


class NoGoingBack(StoreError):
    """`upgrade` was asked for a revision older than the database's: it never goes back.
    `current` is the database's revision, `revision` the one asked for."""

    def __init__(self, current: str, revision: str) -> None:
        self.current = current
        self.revision = revision
        super().__init__(
            f"cannot upgrade to revision {revision}: the database is at revision {current}, "
            "and upgrade never goes back (to go back, restore a backup taken before the "
            "upgrade)",
            retryable=False,
        )


def config() -> Config:
    """An Alembic configuration pointing at the package's migrations."""
    from alembic.config import Config

    cfg = Config()
    location = resources.files("reintegration_fsm.stores") / "migrations"
    cfg.set_main_option("script_location", str(location))
    return cfg


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database at `url_or_engine` up to `revision` (default: the newest).

    Each migration runs in the one transaction (MariaDB commits DDL as it goes). A SQLite file
    this creates is readable by its owner only. On a database holding none of the library's
    tables, the making is marked (`CREATING`) until it is whole; a making cut off part way is
    finished the way it began.

    Raises:
        FormInvalid: `revision` is not text.
        NoGoingBack: `revision` is older than the database's (a `StoreError`).
        StoreError: no such revision (or one Alembic cannot read, such as `head+1`), a
            database a newer version stamped, the store's tables without their version table
            (`VERSION_TABLE`: nothing is changed), a revision
            other than the newest while a making cut off part way stands, a PostgreSQL
            database not in UTF8 holding no store yet (nothing is made), another upgrade of
            the database ran past `LOCK_WAIT` (MariaDB), or the database failed (`.retryable`
            says whether the same call may simply be tried again).
    """
    if not isinstance(revision, str):
        raise FormInvalid("upgrade", "revision", f"must be text, not {type(revision).__name__}")
    with converted(UPGRADING):
        engine, made = engines.open_engine(url_or_engine)
        try:
            newest = revision in (*HEADS, head())
            with one_upgrade_at_a_time(engine) as conn, conn.begin():
                _clear_bare_stamp(conn)
                with _making(conn, BY_MIGRATIONS, lay=newest) as cut:
                    if cut is not None and not newest:
                        raise StoreError(
                            f"cannot upgrade to revision {revision!r}: {CUT_OFF}; upgrade to the "
                            "newest revision (head) finishes it",
                            retryable=False,
                        )
                    if cut is None:
                        _refuse_unversioned(conn)
                    if cut == BY_SCHEMA:
                        _build(conn, finishing=True)
                    _migrate(conn, revision)
                    if newest:
                        restore_guards(conn)
        finally:
            if made:
                engine.dispose()


def _clear_bare_stamp(conn: Connection) -> None:
    """Drop a version table standing alone, stamped at a revision this library knows (or not
    at all), with none of the store's tables beside it (they were dropped, or the version table
    restored apart): the store is then made as on an empty database. A newer version's stamp
    is left for `_migrate` to refuse, and a making cut off part way to `_making`."""
    present = set(sa.inspect(conn).get_table_names())
    if VERSION_TABLE not in present or CREATING in present or present & schema.TABLE_NAMES:
        return
    current = stamped(conn)
    if current is None or _known(current):
        conn.execute(sa.schema.DropTable(sa.Table(VERSION_TABLE, sa.MetaData())))


def restore_guards(conn: Connection) -> None:
    """Make again the log's triggers a database at the newest revision lacks or has disabled
    (restored from a dump taken without them, or dropped behind the store), and on PostgreSQL
    their functions when they look for the store's tables in another schema (the store's
    renamed): `upgrade()` to head puts them back."""
    if not schema.missing_guards(conn) and not schema.mispinned_functions(conn):
        return
    # (PostgreSQL's CREATE OR REPLACE TRIGGER enables a disabled one, by name: an authority's
    # own triggers are left as they are.)
    for statement in schema.guard_statements(conn.dialect.name, schema.home_of(conn)):
        conn.exec_driver_sql(statement)


def _refuse_unversioned(conn: Connection) -> None:
    """Refuse to upgrade a database holding the library's tables but no version table (copied
    or restored without it): the migrations would take it for revision 1 and run over tables
    of any revision (on MariaDB, which commits each DDL statement, dropping the log's guards
    before one failed). An empty version table is left to them: it is what the first
    migration, cut off part way on MariaDB, leaves beside some of its tables.

    Raises:
        StoreError: the store's tables are there and `VERSION_TABLE` is not.
    """
    present = set(sa.inspect(conn).get_table_names())
    if VERSION_TABLE in present or not present & schema.TABLE_NAMES:
        return  # (stamped, or a new store, which the migrations make)
    raise StoreError(
        f"cannot upgrade the database: it holds the store's tables, but its version table "
        f"{VERSION_TABLE} is missing, so the schema revision they are at cannot be known; "
        f"nothing was changed. Restore {VERSION_TABLE} together with the other tables (from "
        "the backup or copy they came from), then upgrade again",
        retryable=False,
    )


@contextlib.contextmanager
def one_upgrade_at_a_time(engine: Engine) -> Iterator[Connection]:
    """A connection to upgrade the database on (or make its tables: `create_schema`), holding
    its upgrade lock while the block runs, so that an upgrade run at the same time (a service
    starting on several hosts) waits for this one, then finds the database at its revision,
    where it ran the same migrations and failed part way. PostgreSQL: the session's advisory
    lock; MariaDB: the named lock `GET_LOCK` takes; SQLite: the run's own BEGIN IMMEDIATE, which
    waits for any writer.

    Raises:
        StoreError: on MariaDB, another upgrade held the lock past `LOCK_WAIT` (retryable).
    """
    dialect = engine.dialect.name
    if dialect == "sqlite":
        with engine.connect() as conn:
            yield conn.execution_options(**{sqlite.WRITE: "IMMEDIATE"})
        return
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _ADVISORY_KEY})
        elif dialect in ("mysql", "mariadb"):
            taken = conn.execute(
                sa.text("SELECT GET_LOCK(:name, :wait)"),
                {"name": upgrade_lock_name(conn), "wait": LOCK_WAIT},
            ).scalar()
            if taken != 1:
                raise StoreError(
                    "cannot upgrade the database: another upgrade of it is running, and did not "
                    f"finish within {_waited(LOCK_WAIT)}; run it again once it has",
                    retryable=True,
                )
        conn.commit()  # the lock is the session's, kept through the migrations' commits
        try:
            yield conn
        finally:
            _release(conn, dialect)


def _waited(seconds: int) -> str:
    """A wait as a person says it: 30 minutes, 90 seconds."""
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def upgrade_lock_name(conn: Connection) -> str:
    """The name of MariaDB's lock on upgrading the database `conn` is on: one server's named
    locks are shared by all its databases, and a name holds 64 characters at most."""
    database = str(conn.execute(sa.text("SELECT DATABASE()")).scalar() or "")
    return f"rfsm_upgrade.{hashlib.sha256(database.encode()).hexdigest()[:40]}"


def _release(conn: Connection, dialect: str) -> None:
    """Release the upgrade lock `one_upgrade_at_a_time` took on `conn`; a connection that
    cannot is closed, which releases it."""
    try:
        if dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_KEY})
        elif dialect in ("mysql", "mariadb"):
            conn.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": upgrade_lock_name(conn)})
        conn.commit()
    except sa.exc.SQLAlchemyError:  # the run's own error, if any, is the one to report
        conn.invalidate()


def _migrate(conn: Connection, revision: str) -> None:
    """Run the migrations up to `revision` on `conn`."""
    from alembic import command
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    _refuse_going_back(conn, revision)
    cfg = config()
    cfg.attributes["connection"] = conn
    try:
        command.upgrade(cfg, revision)
    except AssertionError as error:
        if not _unread_by_alembic(error):
            raise
        raise StoreError(
            f"cannot upgrade to revision {revision!r}: Alembic cannot read it (a revision, head, "
            "or a step from one that exists, such as +1)",
            retryable=False,
        ) from error
    except (CommandError, RevisionError) as error:
        current = stamped(conn)
        if current is not None and not _known(current):
            raise _made_newer(UPGRADING, current) from error
        if revision.isalnum() and not _known(revision):  # not "+1", "0001:0003", "x@head"
            raise StoreError(
                f"cannot upgrade to revision {revision!r}: this library's revisions are "
                f"{_first()} to {head()}, and head (the newest)",
                retryable=False,
            ) from error
        raise StoreError(
            f"cannot upgrade to revision {revision!r}: {error}", retryable=False
        ) from error


_RELATIVE = re.compile(r"(\w+)([+-])(\d+)")
"""A revision given relative to another (`head-1`, `0010+1`)."""


def _refuse_going_back(conn: Connection, revision: str) -> None:
    """Refuse a `revision` older than the database's, however given (`0010`, `head-2`,
    `0009+1`, `base`): Alembic's upgrade to it does nothing."""
    asked = _resolved(revision)
    if asked is None:
        return  # (one Alembic cannot read, `_migrate` reports; `+1` counts from the database)
    current = stamped(conn)
    if current is None or not _known(current):
        return  # (no stamp, or one `_migrate` reports)
    order = revisions()
    if asked == "base" or order.index(asked) < order.index(current):
        raise NoGoingBack(current, asked)


def _resolved(revision: str) -> str | None:
    """`revision` as one of the shipped revisions, or `base`: read along them when given
    relative to one of them or to `head`; None for any other text."""
    order = revisions()
    if revision == "base":
        return revision
    if revision in ("head", "heads"):
        return order[-1]
    found = _RELATIVE.fullmatch(revision)
    if found is None:
        return revision if revision in order else None
    start, sign, steps = found.groups()
    start = order[-1] if start in ("head", "heads") else start
    if start not in order:
        return None
    at = order.index(start) + (int(steps) if sign == "+" else -int(steps))
    if at == -1:
        return "base"
    return order[at] if 0 <= at < len(order) else None


def _unread_by_alembic(error: AssertionError) -> bool:
    """Whether `error` is Alembic's revision map failing to read a revision it was given
    (`head+1`, an empty text), which it asserts rather than reports."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and Path(frames[-1].filename).match("alembic/script/revision.py")


def create_schema(conn: Connection) -> None:
    """Create the newest schema's missing tables, indexes and triggers, and stamp it; on a
    database holding none of the library's tables, under `CREATING`. A making cut off part
    way is finished the way it began (a migrations' by the migrations)."""
    with _making(conn, BY_SCHEMA) as cut:
        if cut == BY_MIGRATIONS:
            _migrate(conn, "head")
        else:
            # A database at another revision: this library's triggers would not fit its tables
            # (on PostgreSQL they would replace a newer version's own).
            _refuse_stamped_otherwise(conn, "create the schema")
            _build(conn, finishing=cut is not None)


@contextlib.contextmanager
def _making(conn: Connection, made_by: str, *, lay: bool = True) -> Iterator[str | None]:
    """Mark a making (`made_by`) on a database holding none of the library's tables, when
    `lay`, and give how a making cut off part way was making it (see `cut_off_making`); the
    block finishes the making, and the mark is dropped when it has, not when it raised.

    Raises:
        StoreError: a new store's PostgreSQL database is not in UTF8 (nothing is made).
    """
    cut = cut_off_making(conn)
    new = cut is None and _holds_none(conn)
    if new:
        postgresql.refuse_narrow_server(conn)
    laying = lay and new
    if laying:
        _lay(conn, made_by)
    yield cut
    if laying or cut is not None:
        conn.execute(sa.schema.DropTable(_creating))


def _build(conn: Connection, *, finishing: bool = False) -> None:
    """Create the newest schema's missing tables, indexes and triggers, and stamp it;
    `finishing` a making cut off part way, first drop the tables it left unstamped."""
    if finishing:
        _clear_unstamped(conn)
    schema.metadata.create_all(conn)
    # create_all indexes only the tables it makes: on MariaDB, which commits each CREATE at
    # once, a run cut off between a table and its indexes left them unmade.
    for table in schema.metadata.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    for statement in schema.guard_statements(conn.dialect.name, schema.home_of(conn)):
        conn.exec_driver_sql(statement)
    stamp_if_unversioned(conn)


def _clear_unstamped(conn: Connection) -> None:
    """Drop the tables a making cut off before its stamp left, to be made again as this
    version makes them: an earlier version's making leaves its own layout, which
    `create_all` would keep under this version's stamp. No store could use them while
    `CREATING` stood, so they hold nothing.

    Raises:
        StoreError: one of them holds rows (written past the store): nothing is dropped.
    """
    if stamped(conn) is not None:
        return  # stamped: the migrations take it from its revision
    present = set(sa.inspect(conn).get_table_names())
    left = [table for table in reversed(schema.metadata.sorted_tables) if table.name in present]
    for table in left:
        if conn.execute(sa.select(sa.func.count()).select_from(sa.table(table.name))).scalar():
            raise StoreError(
                f"cannot finish the store's making: {CUT_OFF}, and its table {table.name} holds "
                "rows written since, which the making will not drop; move them out and run it "
                "again",
                retryable=False,
            )
    for table in left:
        table.drop(conn)


def _holds_none(conn: Connection) -> bool:
    """Whether the database holds none of the library's tables (nor its version table)."""
    present = set(sa.inspect(conn).get_table_names())
    return not present & {*schema.TABLE_NAMES, VERSION_TABLE}


def _lay(conn: Connection, made_by: str) -> None:
    """Create `CREATING`, naming how the store is made: on MariaDB its CREATE commits at once,
    and the row with the next CREATE, before any of the store's tables is made."""
    conn.execute(sa.schema.CreateTable(_creating))
    conn.execute(sa.insert(_creating).values(made_by=made_by))


def cut_off_making(conn: Connection) -> str | None:
    """How the making of a store cut off part way was making it (`BY_SCHEMA`, `BY_MIGRATIONS`,
    or "" when cut off before it said, having made nothing else); None when no making was."""
    if not sa.inspect(conn).has_table(CREATING):
        return None
    return conn.execute(sa.select(_creating.c.made_by)).scalar() or ""


def refuse_cut_off(conn: Connection, refused: str) -> None:
    """Refuse a store whose making was cut off part way; `refused` begins the message
    ("cannot verify").

    Raises:
        StoreError: `CREATING` stands (not retryable: the making must be finished first).
    """
    if cut_off_making(conn) is not None:
        raise StoreError(
            f"{refused}: {CUT_OFF} (its first use was interrupted), so its tables are not all "
            "there; run create_schema() or upgrade() (reintegration-fsm db upgrade) to finish it",
            retryable=False,
        )


def stamp_if_unversioned(conn: Connection) -> None:
    """Record the newest revision on a database whose schema `create_schema()` just built.

    Without the stamp, a later `upgrade()` would try to create tables that already exist.
    """
    if stamped(conn) is None:  # the shipped migrations as read once, not read again each time
        from alembic.migration import MigrationContext

        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        context.stamp(_scripts(), "head")


@functools.cache
def _scripts() -> ScriptDirectory:
    """The shipped migrations (read once)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config())


_TEXT = r"""(?:"[^"\\\n]*"|'[^'\\\n]*')"""
_ASSIGNED = re.compile(
    rf"^(revision|down_revision)(?:\s*:[^=\n]*)?\s*=\s*"
    rf"({_TEXT}|None|\(\s*{_TEXT}(?:\s*,\s*{_TEXT})*\s*,?\s*\))\s*(?:#.*)?$",
    re.M,
)
"""A migration file's module-level assignment of its `revision` or `down_revision` (with or
without an annotation, and a comment after it), as Alembic's template writes it: the value a
quoted text, None, or a merge's tuple of texts. A docstring's line that starts with `revision
= ` in words (`revision = 0007 kept them`) is not one: `ast.literal_eval` failed on it, a
`SyntaxError` that stopped every store from opening (review RR, RR2)."""


def _damaged(problem: str) -> StoreError:
    """The refusal of shipped migrations that are not one chain, saying `problem`."""
    return StoreError(
        f"the installed database migrations are damaged: {problem}; reinstall reintegration_fsm",
        retryable=False,
    )


@functools.cache
def _chain() -> tuple[str, ...]:
    """The shipped revisions, oldest first, read from the migration files' text without
    running them (nor importing Alembic, which runs every one): each file's `revision` and
    `down_revision`, assigned at a line's start, followed from the one with none. The files
    Alembic reads are the ones read: every `*.py` in `migrations/versions` but `__init__.py`
    (from an installed wheel too). Read once.

    Raises:
        StoreError: a file without one literal `revision` and `down_revision`, or revisions
            that are not one chain (a branch, a merge, a gap, a cycle): an installation
            damaged or mixed with another version's files. A real check, not an `assert`,
            which `python -O` would skip, opening stores on a wrong chain (review ENV, ENV2).
    """
    versions = resources.files("reintegration_fsm.stores") / "migrations" / "versions"
    after: dict[str | None, str] = {}
    seen: set[str] = set()
    for entry in versions.iterdir():
        name = entry.name
        if not name.endswith(".py") or name.startswith(("__init__", ".#")):
            continue
        found: dict[str, object] = {}
        for key, value in _ASSIGNED.findall(entry.read_text(encoding="utf-8")):
            if key in found:
                raise _damaged(f"migration {name} assigns {key} twice")
            found[key] = ast.literal_eval(value)
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str):
            raise _damaged(f"migration {name}: no revision = '...' read")
        if "down_revision" not in found:
            raise _damaged(f"migration {name}: no down_revision = ... read")
        if not (down is None or isinstance(down, str)):
            raise _damaged(f"migration {name} merges revisions")
        if revision in seen:
            raise _damaged(f"revision {revision} is shipped twice")
        if down in after:
            raise _damaged(f"revisions {after[down]} and {revision} both follow {down}")
        seen.add(revision)
        after[down] = revision
    order: list[str] = []
    at = after.get(None)
    while at is not None:
        order.append(at)
        at = after.get(at)
    if not 0 < len(order) == len(seen):
        raise _damaged(f"the shipped revisions are not one chain: {after}")
    return tuple(order)


def revisions() -> list[str]:
    """The shipped revisions, oldest first."""
    return list(_chain())


def _first() -> str:
    """The oldest revision of the shipped migrations."""
    return _chain()[0]


def head() -> str:
    """The newest revision of the shipped migrations."""
    return _chain()[-1]


def refuse_behind(conn: Connection, action: str) -> None:
    """Refuse to `action` on a database whose schema an upgrade would still change: read with
    this library's layouts, its rows would all look altered.

    Raises:
        StoreError: the database is stamped with an older (or unknown) revision, or its
            making was cut off part way (`CREATING` stands).
    """
    refuse_cut_off(conn, f"cannot {action}")
    _refuse_stamped_otherwise(conn, action)


def _refuse_stamped_otherwise(conn: Connection, action: str) -> None:
    """Refuse to `action` on a database stamped with a revision other than the newest."""
    refused = refusal(stamped(conn), action)
    if refused is not None:
        raise refused


def refusal(
    current: str | None, action: str, *, only_reads: bool = False, case_id: str | None = None
) -> StoreError | None:
    """The refusal (not retryable) to `action` on a database stamped `current` (`stamped`):
    None at the newest revision, or with no stamp (no store yet); a newer version's revision,
    which this library does not know, is refused for every action; an older one for an
    action that writes, not for one that `only_reads` (its rows read with this library's
    layouts where those are unchanged).

    Args:
        case_id: the case the action writes, for the `StoreError`'s `case_id`.
    """
    if current is None or current == head():
        return None
    if not _known(current):
        return _made_newer(action, current, case_id)
    if only_reads:
        return None
    return StoreError(
        f"cannot {action}: the database's schema is at revision {current}, this library's "
        f"at {head()}; run upgrade() (reintegration-fsm db upgrade) first",
        retryable=False,
        case_id=case_id,
    )


def _made_newer(action: str, current: str, case_id: str | None = None) -> StoreError:
    """The refusal to `action` on a database a newer version stamped `current`."""
    return StoreError(
        f"cannot {action}: the database's schema is at revision {current}, which this "
        f"library (at {head()}) does not know: a newer version made it; use that version "
        "(upgrade the library here to it)",
        retryable=False,
        case_id=case_id,
    )


def stamped(conn: Connection) -> str | None:
    """The revision the database is stamped with (None: no stamp).

    Raises:
        StoreError: its version table holds more than one revision (a newer version's
            branched migrations, or an alteration).
    """
    # As Alembic's `MigrationContext.get_current_heads()` reads it (the table found on the
    # connection's default schema, PostgreSQL's search_path), without importing Alembic. The
    # table is looked for first, not its SELECT's failure caught: on PostgreSQL a failed
    # statement aborts the transaction the caller may be in.
    heads: tuple[str, ...] = ()
    if sa.inspect(conn).has_table(VERSION_TABLE):
        heads = tuple(conn.execute(sa.select(_version.c.version_num)).scalars())
    if len(heads) > 1:
        why = (
            "a newer version made it; use that version"
            if not all(_known(revision) for revision in heads)
            else "it was altered; leave in it the one revision its schema is at"
        )
        raise StoreError(
            f"cannot read the database's schema revision: its version table {VERSION_TABLE} "
            f"holds {len(heads)} ({', '.join(sorted(heads))}): {why}",
            retryable=False,
        )
    if heads and not _REVISION_ID.fullmatch(heads[0]):
        raise StoreError(
            f"cannot read the database's schema revision: its version table {VERSION_TABLE} "
            f"holds {heads[0]!r}, which names no revision: it was altered; restore it together "
            "with the other tables, from the backup or copy they came from",
            retryable=False,
        )
    return heads[0] if heads else None


_REVISION_ID = re.compile(r"(?!(?:head|heads|base)$)[0-9A-Za-z_]{1,32}")
"""A revision's id as Alembic stamps one (ours are 0001 to head; a newer version's alike), not a
symbol Alembic reads (`head`, `base`) nor text with a space or a sign in it."""


def _known(revision: str) -> bool:
    """Whether `revision` is one of the shipped migrations, named in full: not a symbol or a
    prefix Alembic would read as one (`head`, `0014@head`, `001`), which a stamp never is."""
    return revision in _chain()
