"""A verbatim copy of a whole store into another database, on the same engine or another.

`export` and `import` write each entry afresh (new salts, new hashes), so no checkpoint of the
source verifies on what they write, and redaction records cannot be carried; the engines' own
dump tools do not cross from one engine to another. `copy_store` copies every `rfsm_` table's
rows as stored (ids, seq, salts, digests, hashes, JSON texts, timestamps, redaction records,
the ledger, the open items), so that the copy verifies, and verifies against a checkpoint of
the source taken before it.

The source is read in one snapshot (SQLite: one read transaction; PostgreSQL and MariaDB:
REPEATABLE READ, as `verify()` reads), a table at a time in batches; the target's rows are
written in one transaction, under the log's triggers, which stay in place throughout:

- a redaction record's trigger counts it on its case row, which is written after the records
  (the count is copied as stored, never counted twice);
- an entry a redaction removed values from (and one of digest scheme 2) has a salt and no
  payload key, which the log's keyed guard refuses to insert (it takes it for the write of a
  version before revision 0011): such an entry is inserted with a placeholder key, then, named
  in `rfsm_redacting` as a redaction names its entries, its key is set to NULL, as the
  redaction left it, in the same transaction. No row leaves the transaction as anything but
  the source's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
from sqlalchemy import URL, Connection, Engine, bindparam, delete, func, insert, select, text
from sqlalchemy import inspect as inspect_database
from sqlalchemy.engine import make_url

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.errors import AlteredRow, StoreError
from reintegration_fsm.protocol.definition import Protocol
from reintegration_fsm.stores import arguments, engines, migrate, parallel, schema, sqlite
from reintegration_fsm.stores.checkpoints import Checkpoint, CheckpointRefused
from reintegration_fsm.stores.failures import UNREADABLE_ROW, converted
from reintegration_fsm.stores.model import Problem
from reintegration_fsm.stores.sql import SqlAlchemyStore
from reintegration_fsm.stores.sql_shared import set_up

BATCH = 2000
"""The rows read and written at a time: what the copy holds in memory."""

ORDER = (
    schema.protocols,
    schema.rechained,
    schema.weightings,
    schema.open_items,
    # Before the case rows: the records' trigger counts each on its case row, which is then not
    # there yet (the row comes with its count as stored).
    schema.redactions,
    schema.transitions,
    schema.cases,
    # Empty but inside a redaction's transaction; copied as it is (a row left there is a
    # problem `verify()` names, on the copy as on the source).
    schema.redacting,
)
"""Every table of the store, in the order the copy writes them."""

PLACEHOLDER_KEY = "00" * schema.KEY_BYTES
"""The payload key an entry without one is inserted with, and which is set back to NULL in the
same transaction (see the module's docstring)."""

COPYING = "copy the store"


class CopyRefused(StoreError):
    """`copy_store` will not copy: nothing was written. `reason` says why, as one of
    `TARGET_HOLDS_CASES`, `SOURCE_BEHIND`, `SAME_DATABASE`, `NO_SOURCE`, `TARGET_BEHIND`,
    `TARGET_IN_MEMORY`."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message, retryable=False)


TARGET_HOLDS_CASES = "target holds cases"
SOURCE_BEHIND = "source not at head"
SAME_DATABASE = "same database"
NO_SOURCE = "no store at the source"
TARGET_BEHIND = "target not at head"
TARGET_IN_MEMORY = "target in memory"


@attrs.frozen
class CopyReport:
    """What `copy_store` copied, and what checking the copy found."""

    cases: int
    entries: int
    """Log entries (`rfsm_transitions` rows)."""
    redactions: int
    """Redaction records."""
    checkpoint: Checkpoint
    """The source's checkpoint, taken before the copy read it."""
    problems: tuple[Problem, ...]
    """What `verify(checkpoint)` and `unguarded()` found on the copy: empty when it is sound
    and extends every case of `checkpoint`."""
    changed: tuple[str, ...] | None = ()
    """The cases the source, once the copy was checked, held otherwise than the copy: saved,
    redacted (an erasure, a retention run) or opened there after the copy read it, so that the
    copy holds them as they were, or not at all; by case id. Empty when nothing wrote to the
    source meanwhile (review XF, XF1). None when it is not known: the source (or the copy)
    could not be read again once the copy was checked (a lost connection, say), which leaves
    the copy and its check as they are (review RR, RR1)."""


def copy_store(
    source: str | URL | Engine,
    target: str | URL | Engine,
    *,
    calendar: SchoolCalendar | None = None,
    protocols: Sequence[Protocol] = (),
    batch: int = BATCH,
    checkpoint: Checkpoint | None = None,
    public_key: bytes | str | None = None,
    written: Callable[[int, int, int], object] | None = None,
    workers: int = 1,
) -> CopyReport:
    """Copy the whole store at `source` into `target`, row for row, and check the copy.

    `target` holding none of the store's tables gets the schema at the newest revision first,
    made by the shipped migrations (`upgrade`), which stays if the copy then fails. A SQLite
    file this makes is readable by its owner only. `calendar` and `protocols` are those the
    stores' histories replay with, as for `verify()`. `checkpoint` (one kept from before, as
    `verify --checkpoint` takes it) is checked against the copy too, with `public_key` its
    signature, as `checkpoint(extends=...)` checks it: the copy must extend it, as the source
    should. `written` is called with the cases, log entries and redaction records copied once
    they are committed, before the check (which takes as long as a `verify()` of the copy).
    `workers` > 1 checks the copy in that many processes, as `verify(workers=...)` does, when
    `target` is a URL (an `Engine` given is checked in this process).
    The report's `changed` names the cases the source holds otherwise than the copy once it is
    checked: written to meanwhile (a service left running), which the copy does not hold; None
    when the source could not be read again to tell.

    Raises:
        CopyRefused: `source` holds no store, or one at another revision than the newest (run
            `upgrade()` on it first: the copy never changes it); `target` holds a row of the
            store (a case, or any other) or is at another revision; or the two are one
            database; or `target` is the URL of an in-memory SQLite database, which the copy
            would open, fill and close, losing every row (give an `Engine` whose database the
            caller keeps open). Nothing is written.
        AlteredRow: a source row does not read as the store writes it (run `verify()` on it).
        FormInvalid: `checkpoint` is not a `Checkpoint`, or `public_key` is given without it or
            is no Ed25519 public key in PEM (`MalformedCheckpoint`), or `workers` is not a whole
            number from 1 to 32 (`parallel.MAX_WORKERS`). Nothing is written.
        StoreError: either database failed; nothing of the copy is left in `target` but its
            schema, when the copy made it.
    """
    arguments.extending(checkpoint, public_key)  # (a wrong one refused before any write)
    parallel.check_workers(workers, "copy")
    _refuse_missing_file(source)
    _refuse_lost_target(target)
    _refuse_same_file(source, target)
    made = _file_to_make(target)
    try:
        with _opened(source) as source_engine, _opened(target) as target_engine:
            checking = _Checking(calendar, protocols, checkpoint, public_key, workers, target)
            return _copy(source_engine, target_engine, batch, checking, written)
    except CopyRefused:
        # Opening a SQLite target makes its file (0600); refused, nothing is written, not
        # even an empty file (one named as the source's journal would lie beside it).
        _remove_if_empty(made)
        raise


@contextlib.contextmanager
def _opened(url_or_engine: str | URL | Engine) -> Iterator[Engine]:
    """The engine of `url_or_engine`, disposed at the end if it was made here (an `Engine`
    given is the caller's, left as it is)."""
    with converted("open the database"):
        engine, made = engines.open_engine(url_or_engine)
    try:
        yield engine
    finally:
        if made:
            engine.dispose()


def _refuse_missing_file(source: str | URL | Engine) -> None:
    """Refuse a SQLite source whose file is missing or empty, before opening it would make
    one, or write a new database's header and mode into the empty file: a copy never changes
    its source."""
    if isinstance(source, Engine):
        return
    found = sqlite.database_file(make_url(source))
    if found is not None and not os.path.exists(found):
        raise CopyRefused(NO_SOURCE, f"cannot copy the store: no file {found!r} to copy from")
    if found is not None and os.path.isfile(found) and os.path.getsize(found) == 0:
        raise CopyRefused(
            NO_SOURCE, f"cannot copy the store: the file {found!r} is empty, no store to copy"
        )


def _file_to_make(target: str | URL | Engine) -> str | None:
    """The SQLite file opening `target` would make, when missing; None otherwise."""
    if isinstance(target, Engine):
        return None
    found = sqlite.database_file(make_url(target))
    return None if found is None or os.path.exists(found) else found


def _remove_if_empty(made: str | None) -> None:
    """Remove the file `made` by a refused copy if nothing was written into it."""
    if made is not None and os.path.exists(made) and os.path.getsize(made) == 0:
        with contextlib.suppress(OSError):
            os.remove(made)


def _refuse_lost_target(target: str | URL | Engine) -> None:
    """Refuse an in-memory SQLite target given as a URL: the copy's own engine would hold its
    only connection, so the copy would end, sound, with every row gone."""
    if isinstance(target, Engine):
        return
    url = make_url(target)
    if url.get_backend_name() == "sqlite" and sqlite.in_memory(url):
        raise CopyRefused(
            TARGET_IN_MEMORY,
            "cannot copy the store: the target is a SQLite database in memory, which would end "
            "with the copy; name a file or a database server, or give an Engine kept open",
        )


@attrs.frozen
class _Checking:
    """How the copy is checked once written."""

    calendar: SchoolCalendar | None
    protocols: Sequence[Protocol]
    extends: Checkpoint | None
    """A checkpoint kept from before, which the copy must extend."""
    public_key: bytes | str | None
    workers: int
    target: str | URL | Engine
    """The target as given: a URL that `verify()`'s worker processes can open again."""

    def store(self, engine: Engine, authority: str | None = None) -> SqlAlchemyStore:
        """A store on the copy, scoped to `authority` when given."""
        return SqlAlchemyStore(
            engine, calendar=self.calendar, protocols=self.protocols, authority=authority
        )

    def problems(self, copy: SqlAlchemyStore, anchor: Checkpoint) -> list[Problem]:
        """What checking `copy` (a store on the target) finds: `verify(anchor)`, its guards,
        and the kept checkpoint."""
        if self.workers > 1 and not isinstance(self.target, Engine):
            # A store that opened the URL itself: only its workers may open it again.
            reopened = SqlAlchemyStore(
                self.target, calendar=self.calendar, protocols=self.protocols
            )
            with reopened:
                problems = reopened.verify(checkpoint=anchor, workers=self.workers)
        else:
            problems = copy.verify(checkpoint=anchor)
        problems += copy.unguarded()
        if self.extends is not None:
            # A checkpoint of one authority's cases (`--authority A checkpoint`) is checked
            # against those cases of the copy, as `--authority A verify --checkpoint` checks
            # it: the copy holds every authority's, which the unscoped store calls a
            # checkpoint of another scope.
            scoped = (
                copy
                if self.extends.authority is None
                else self.store(copy.engine, self.extends.authority)
            )
            try:
                scoped.checkpoint(extends=self.extends, public_key=self.public_key)
            except CheckpointRefused as refused:
                problems += refused.problems
        return problems


def _copy(
    source: Engine,
    target: Engine,
    batch: int,
    checking: _Checking,
    written: Callable[[int, int, int], object] | None,
) -> CopyReport:
    with converted(COPYING), source.connect() as conn:
        _refuse_source(conn)
        conn.rollback()
    # Before the copy's snapshot: what the copy holds extends it, whatever is saved meanwhile.
    origin = checking.store(source)
    anchor = origin.checkpoint()
    with converted(COPYING), _reading(source) as reader:
        _refuse_same(source, reader, target)
        _prepare_target(target)
        counts = _write(reader, target, batch)
    if written is not None:
        written(*counts)
    copy = checking.store(target)
    problems = checking.problems(copy, anchor)
    # A service left writing to the source meanwhile: what it wrote (an erasure, say) is not in
    # the copy, which verifies all the same; said, so that it is not lost unawares (XF1).
    changed: tuple[str, ...] | None
    try:
        changed = changed_since(origin.checkpoint(), copy.checkpoint())
    except StoreError:
        # The copy is written and checked: a source lost since makes the comparison unknown,
        # not the check's finding void (RR1).
        changed = None
    return CopyReport(*counts, checkpoint=anchor, problems=tuple(problems), changed=changed)


def changed_since(source: Checkpoint, copy: Checkpoint) -> tuple[str, ...]:
    """The cases of `source` that `copy` does not hold as they are (another version, last hash
    or redaction records), or not at all, by case id."""
    copied = {case.case_id: case for case in copy.cases}
    return tuple(case.case_id for case in source.cases if copied.get(case.case_id) != case)


@contextlib.contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection on `engine` reading one snapshot until the block ends, and never writing."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            set_up(conn, isolation_level="REPEATABLE READ", postgresql_readonly=True)
        elif engine.dialect.name != "sqlite":
            set_up(conn, isolation_level="REPEATABLE READ")
        with conn.begin():  # (SQLite: BEGIN; its first read holds the snapshot)
            yield conn


def _refuse_source(conn: Connection) -> None:
    """Refuse a source holding no store, or one at another revision than the newest."""
    present = set(inspect_database(conn).get_table_names())
    if schema.cases.name not in present:
        raise CopyRefused(NO_SOURCE, "cannot copy the store: the source holds no case store")
    current = migrate.stamped(conn)
    if migrate.CREATING in present or current != migrate.head():
        raise CopyRefused(
            SOURCE_BEHIND,
            f"cannot copy the store: the source's schema is at revision {current or 'unknown'}, "
            f"this library's at {migrate.head()}; run `reintegration-fsm db upgrade` "
            "(upgrade()) on the source first (the copy never changes it)",
        )


def _refuse_same(source: Engine, reader: Connection, target: Engine) -> None:
    """Refuse to copy a server's database into itself, however its URLs are spelt: the target
    is asked whether it sees a lock the source's connection holds (PostgreSQL's advisory locks
    are each database's own; MariaDB's named locks are the server's, so its database is
    compared too). SQLite's files are compared before either is opened (`_refuse_same_file`)."""
    kind = source.dialect.name
    if kind != target.dialect.name or kind == "sqlite":  # (files: before either was opened)
        return
    if kind == "postgresql":
        one = _same_postgresql(reader, target)
    else:
        one = _same_mariadb(reader, target)
    if one:
        raise CopyRefused(SAME_DATABASE, ONE_DATABASE)


ONE_DATABASE = (
    "cannot copy the store: the source and the target are one database (or the target is one "
    "of the source's journals, -wal, -shm or -journal)"
)


def _refuse_same_file(source: str | URL | Engine, target: str | URL | Engine) -> None:
    """Refuse, before either is opened, a SQLite target naming the source's file or one of its
    journals: opening it makes the file, among the source's own, and a refused copy's removal
    of the empty file it made could then take the `-wal` an open connection of the source's
    engine uses."""
    urls = [
        given.url if isinstance(given, Engine) else make_url(given) for given in (source, target)
    ]
    if _same_file(*urls):
        raise CopyRefused(SAME_DATABASE, ONE_DATABASE)


JOURNALS = ("-wal", "-shm", "-journal")
"""What SQLite keeps beside a database file while it is used, under its name."""


def _same_file(source: URL, target: URL) -> bool:
    """Whether the SQLite target names the source's file, or one of its journals: a copy
    written into the source's `-wal`, an empty file while nothing is saved, was reported sound
    and then removed with the journal as the source closed (and a write to the source
    meanwhile would have gone to a file the copy was overwriting). Two in-memory databases are
    two."""
    first, second = sqlite.database_file(source), sqlite.database_file(target)
    if first is None or second is None:
        return False
    named = os.path.realpath(second)
    for path in (first, *(first + journal for journal in JOURNALS)):
        if os.path.realpath(path) == named:
            return True
        if os.path.exists(path) and os.path.exists(second) and os.path.samefile(path, second):
            return True
    return False


def _same_postgresql(reader: Connection, target: Engine) -> bool:
    key = secrets.randbits(63)
    reader.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": key})
    with target.connect() as conn:
        free = conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key}).scalar()
        home = schema.home_of(conn)
        conn.rollback()
    return not free and home == schema.home_of(reader)


def _same_mariadb(reader: Connection, target: Engine) -> bool:
    name = f"rfsm_copy.{secrets.token_hex(16)}"
    reader.execute(text("SELECT GET_LOCK(:name, 0)"), {"name": name})
    try:
        holder = reader.execute(text("SELECT CONNECTION_ID(), DATABASE()")).one()
        with target.connect() as conn:
            seen = conn.execute(text("SELECT IS_USED_LOCK(:name), DATABASE()"), {"name": name})
            found = seen.one()
            conn.rollback()
    finally:
        reader.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})
    return bool(found[0] == holder[0] and found[1] == holder[1])


def _prepare_target(target: Engine) -> None:
    """Make the newest schema on a target holding none of the store's tables (but perhaps a
    version table, stamped by this library: `upgrade()` makes the store there); refuse one at
    another revision, or holding any row of the store."""
    with target.connect() as conn:
        present = set(inspect_database(conn).get_table_names())
        current = None if migrate.VERSION_TABLE not in present else migrate.stamped(conn)
        conn.rollback()
    bare = not present & {*schema.TABLE_NAMES, migrate.CREATING}
    if bare and (current is None or current in migrate.revisions()):
        migrate.upgrade(target)
        return
    with target.connect() as conn:
        if migrate.CREATING in present or current != migrate.head():
            raise CopyRefused(TARGET_BEHIND, _behind(current, migrate.CREATING in present))
        _refuse_rows(conn)
        conn.rollback()


def _behind(current: str | None, cut_off: bool) -> str:
    """Why a target holding the store's tables at another revision is refused, and what to do:
    a making cut off part way (a copy stopped as it made them, say) or an older revision is
    finished by `db upgrade` on the target; a newer version's revision is that version's."""
    if cut_off or current is None or current in migrate.revisions():
        state = (
            "its making was cut off part way (a copy or a first use stopped as it made them)"
            if cut_off or current is None
            else f"they are at revision {current}, not {migrate.head()}"
        )
        return (
            f"cannot copy the store: the target holds the store's tables, but {state}; run "
            "`reintegration-fsm --db TARGET_URL db upgrade` (upgrade() on it) to finish them, "
            "then copy again"
        )
    return (
        f"cannot copy the store: the target holds the store's tables at revision {current}, "
        f"which this library (at {migrate.head()}) does not know: a newer version made them; "
        "copy with that version, or into a database holding none of them"
    )


def _refuse_rows(conn: Connection) -> None:
    """Refuse a target holding any row of the store: a copy never merges two stores."""
    held = [
        table.name
        for table in schema.TABLES
        if conn.execute(select(func.count()).select_from(table)).scalar()
    ]
    if held:
        cases = conn.execute(select(func.count()).select_from(schema.cases)).scalar() or 0
        raise CopyRefused(
            TARGET_HOLDS_CASES,
            f"cannot copy the store: the target already holds {cases} case(s) "
            f"(rows in {', '.join(held)}), and a copy never merges two stores; copy into an "
            "empty database; nothing was written",
        )


def _write(reader: Connection, target: Engine, batch: int) -> tuple[int, int, int]:
    """Copy every table's rows from `reader`'s snapshot in one transaction on `target`: how
    many cases, log entries and redaction records."""
    counted: dict[str, int] = {}
    options = {sqlite.WRITE: "IMMEDIATE"} if target.dialect.name == "sqlite" else {}
    with target.connect() as conn:
        conn = conn.execution_options(**options)
        with conn.begin():
            _refuse_rows(conn)  # (again, in the transaction: a writer may have come meanwhile)
            for table in ORDER:
                counted[table.name] = 0
                for rows in _batches(reader, table, batch):
                    counted[table.name] += len(rows)
                    write_rows(conn, table, rows)
    return (
        counted[schema.cases.name],
        counted[schema.transitions.name],
        counted[schema.redactions.name],
    )


def _batches(reader: Connection, table: Any, batch: int) -> Iterator[list[dict[str, Any]]]:
    """The rows of `table`, in its primary key's order, `batch` at a time (one streamed query:
    MariaDB's connection runs nothing else until it ends, which the copy leaves it to)."""
    keys = list(table.primary_key.columns)
    result = reader.execution_options(yield_per=batch).execute(select(table).order_by(*keys))
    names = list(result.keys())
    with converted(COPYING):
        while True:
            try:
                part = result.fetchmany(batch)
            except UNREADABLE_ROW as error:
                raise AlteredRow(
                    f"cannot copy the store: a row of the source's {table.name} does not read "
                    "as the store writes it; run verify on the source"
                ) from error
            if not part:
                return
            yield [dict(zip(names, row, strict=True)) for row in part]


def write_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table` as they are, under the log's triggers (see the module's
    docstring for the entries without a payload key); on PostgreSQL by COPY (psycopg 3)."""
    keyless = []
    if table is schema.transitions:
        keyless = [
            {"b_case_id": row["case_id"], "b_seq": row["seq"]}
            for row in rows
            if row["payload_salt"] is not None and row["payload_key"] is None
        ]
        if keyless:
            rows = [
                row | {"payload_key": PLACEHOLDER_KEY}
                if row["payload_salt"] is not None and row["payload_key"] is None
                else row
                for row in rows
            ]
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_in(conn, table, rows)
    else:
        conn.execute(insert(table), rows)
    if not keyless:
        return
    redacting = schema.redacting
    conn.execute(
        insert(redacting).values(case_id=bindparam("b_case_id"), seq=bindparam("b_seq")), keyless
    )
    log = schema.transitions.c
    conn.execute(
        schema.transitions.update()
        .where(log.case_id == bindparam("b_case_id"), log.seq == bindparam("b_seq"))
        .values(payload_key=None),
        keyless,
    )
    conn.execute(delete(redacting))


def _copy_in(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table` by one PostgreSQL COPY, each value as the table's column type
    binds it (the log's digests as bytes). COPY runs outside SQLAlchemy's error wrapping: the
    copy converts the driver's errors itself (`failures.converted`)."""
    names = [column.name for column in table.columns]
    binds = [column.type.bind_processor(conn.dialect) for column in table.columns]
    driver: Any = conn.connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    value if bind is None else bind(value)
                    for bind, value in zip(binds, (row[name] for name in names), strict=True)
                ]
            )


__all__ = ["CopyRefused", "CopyReport", "copy_store"]
