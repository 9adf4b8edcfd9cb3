"""What the CLI prints and writes: tables, JSON, CSV and xlsx, and files only their owner reads.

In a spreadsheet a cell starting with `=` is a formula, so CSV cells that a spreadsheet would
read as one start with `'` (OWASP's advice), and xlsx text cells are always text, any character
XML forbids shown as an escape. Files holding case data are created readable by their owner
only.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import io
import itertools
import os
import re
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm import files
from reintegration_fsm.cli.errors import SAVED, ClosedOutput, Failure
from reintegration_fsm.cli.planted import followed, refuse_planted
from reintegration_fsm.cli.text import neutralise

Cell = str | int | float | dt.date | None
"""One value of a row: dates stay dates until a format decides how to show them."""

BOM = "\ufeff"
"""Starts every CSV, so that Excel reads it as UTF-8 ("Siân Ó Briain", not "SiÃ¢n")."""

FILE_MODE = 0o600
"""Files the CLI writes hold children's personal data: readable by their owner only."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these is a formula (or may become one) in a spreadsheet."""


def text_cell(value: Cell) -> str:
    """A cell as text: nothing for None, ISO for dates."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def render_table(rows: Sequence[Mapping[str, Cell]], columns: Sequence[str]) -> str:
    """Rows as an aligned plain-text table with a header line."""
    cells = [
        [neutralise(text_cell(row.get(column)), single_line=True) for column in columns]
        for row in rows
    ]
    widths = [
        max([len(column), *(shown_width(line[i]) for line in cells)])
        for i, column in enumerate(columns)
    ]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(_padded(c, w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    return "\n".join(lines)


def shown_width(text: str) -> int:
    """The columns `text` takes on a terminal: two for a wide or full-width character (ＤＯＣＳ,
    漢字, most emoji), none for a combining or nonspacing mark (the vowel sign in "सुनील",
    whatever its combining class) or a format character (the zero-width non-joiner a Persian
    name keeps, a zero-width space pasted from Word) but the soft hyphen, which terminals
    draw, one for any other."""
    return sum(_column_width(c) for c in text)


def _column_width(character: str) -> int:
    category = unicodedata.category(character)
    if unicodedata.combining(character) or category in ("Mn", "Me"):
        return 0  # a nonspacing mark of class 0 too: a Devanagari vowel sign, U+FE0F
    if category == "Cf" and character != "\u00ad":
        return 0
    return 2 if unicodedata.east_asian_width(character) in "WF" else 1


def _padded(text: str, width: int) -> str:
    return text + " " * (width - shown_width(text))


def spreadsheet_cell(value: Cell) -> str:
    """A cell for CSV: control characters neutralised, a would-be formula prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + neutralise(value)
    return neutralise(text_cell(value))


def render_csv(rows: Sequence[Mapping[str, Cell]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header line, starting with a UTF-8 byte order mark for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_cell(row.get(column)) for column in columns])
    return BOM + buffer.getvalue().rstrip("\n")


def render_xlsx(rows: Sequence[Mapping[str, Cell]], columns: Sequence[str], title: str) -> bytes:
    """Rows as an Excel workbook: a bold, frozen header row, dates as real date cells.

    Needs openpyxl (the `reports` extra). Text cells are always text, never formulas.
    """
    return render_workbook([Sheet(title, rows, columns)])


@attrs.frozen
class Sheet:
    """One sheet of a workbook: its name, its rows and its columns (the header row)."""

    title: str
    rows: Sequence[Mapping[str, Cell]]
    columns: Sequence[str]


def render_workbook(sheets: Sequence[Sheet]) -> bytes:
    """Sheets as one Excel workbook, each with a bold, frozen header row and a filter, dates as
    real date cells (ISO text before 1 March 1900, where Excel's dates begin) and text always
    text, never a formula, with every character XML 1.0 forbids (a control character, a lone
    surrogate, U+FFFE, U+FFFF) shown as an escape.

    Needs openpyxl (the `reports` extra).
    """
    try:
        from openpyxl import Workbook
    except ImportError:
        raise Failure(
            "--format xlsx needs openpyxl: pip install 'reintegration-fsm[reports]'"
        ) from None
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook always has one sheet
    book.remove(first)
    taken: set[str] = set()
    for sheet in sheets:
        _fill(book.create_sheet(_sheet_name(sheet.title, taken)), sheet.rows, sheet.columns)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_NOT_IN_SHEET_NAMES = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
SHEET_NAME_LENGTH = 31
"""The most characters Excel allows in a sheet's name."""
FIRST_EXCEL_DATE = dt.date(1900, 3, 1)
"""Excel's 1900 date system counts a 29 February 1900 that never was: an earlier date, and any
before 1900, is no date it can show."""


def _cut(name: str, length: int) -> str:
    """`name` in at most `length` characters, cut between words where it has to be cut (and
    before the punctuation that ended the last word kept: "practice," is "practice")."""
    if len(name) <= length:
        return name
    kept = name[: length + 1].rsplit(" ", 1)[0].rstrip(" ,;:.–—-")
    return kept if kept and len(kept) <= length else name[:length]


def _sheet_name(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters (cut between words), none of
    []:*?/\\ nor any XML forbids (shown as escapes, their backslash a space), not used twice."""
    shown = neutralise(title, single_line=True).translate(_NOT_IN_SHEET_NAMES)
    name = " ".join(shown.split()) or "Sheet"
    candidate, number = _cut(name, SHEET_NAME_LENGTH), 2
    while candidate.lower() in taken:
        suffix = f" {number}"
        candidate, number = _cut(name, SHEET_NAME_LENGTH - len(suffix)) + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def _fill(sheet: Any, rows: Sequence[Mapping[str, Cell]], columns: Sequence[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append([neutralise(column, single_line=True) for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(column) for column in columns]
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns):
            value = row.get(column)
            cell = sheet.cell(row=number, column=index + 1)
            if isinstance(value, dt.date) and value.toordinal() < FIRST_EXCEL_DATE.toordinal():
                cell.value = value.isoformat()
                cell.data_type = "s"
                widths[index] = max(widths[index], 10)
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
                widths[index] = max(widths[index], 10)
            elif isinstance(value, str):
                cell.value = neutralise(value)
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
                widths[index] = max(widths[index], min(len(value), 60))
            else:
                cell.value = value
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions


def write_private(path: str, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (bytes, or an iterable of its parts) to `path`, readable and writable by
    its owner only (mode 0600).

    A regular file (or a new one) is replaced whole: `data` goes to a new 0600 file beside it,
    which then takes its name, so a write that fails part way (a full disk, a size limit, a
    part that cannot be made) leaves the old file as it was and no half-written one. A link to
    one (`latest.html`) has the file it names replaced so, and stays a link, unless a link on
    the way, or a pipe it names, is another user's (`planted`: refused). A name of one of
    the command's own streams (`/dev/stdout`, `/dev/fd/3`, a link to one) is written down that
    stream, as the shell opened it (`>> cron.log` appends), and only if it was open when the
    command started (`note_streams`). Anything else (a device, a pipe) is written as it is, its
    mode left alone: it belongs to the system (`/dev/null`).

    Given its parts, `data` is written as they are made, never held whole: into the new file
    beside a regular one; for a stream or anything else, gathered first (`gathered`), so that
    nothing reaches it unless every part was made. The first part is made before `path` is
    looked at, so that a command whose parts read the database has it open by then, and a name
    of its file is refused (below) whatever else the command read before.

    Raises:
        OSError: the file cannot be written.
        Failure: `path` names a descriptor that was not open when the command started, or
            passes through another user's link, or names another user's pipe.
    """
    parts: Iterable[bytes] = (data,) if isinstance(data, bytes) else _started(data)
    descriptor = stream_descriptor(path)
    if descriptor is not None:
        refuse_unopened(path, descriptor)
        with gathered(parts) as blocks:
            sys.stdout.flush()  # what the command printed before comes first
            with os.fdopen(os.dup(descriptor), "wb") as handle:
                for block in blocks:
                    handle.write(block)
        return
    target = followed(path)  # every link on it resolved, none another user's
    try:
        found = os.stat(target)
    except FileNotFoundError:
        found = None
    if found is not None and _identity(found) in _opened_since_start():
        raise Failure(
            f"-o {neutralise(path, single_line=True)} names a file the command itself has "
            "open (the database, one of its journals, or a connection to it): writing there "
            "would replace the cases it holds; name another file"
        )
    if found is None or stat.S_ISREG(found.st_mode):
        _replace(target, parts)
        return
    if stat.S_ISFIFO(found.st_mode):
        refuse_planted(path, target, found, "a pipe")
    with gathered(parts) as blocks, _opened_as_found(target, found) as handle:
        for block in blocks:
            handle.write(block)


_NOT_A_LINK = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | files.BINARY

_TERMINAL_PROBE = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
"""Opens a character device to ask whether it is a terminal, without making it the process's
controlling terminal or waiting for it; Windows has neither flag (nor a need of them), and its
`NUL` and `CON` are character devices too (review WN, WN1)."""


@contextlib.contextmanager
def _opened_as_found(target: str, found: os.stat_result) -> Iterator[io.BufferedWriter]:
    """`target` (no link: `followed`) opened to be written, if it is still the file `found`
    says: a pipe or a device swapped for another file (or a link) since is refused.

    Raises:
        Failure: it is another file now.
    """
    descriptor = os.open(target, _NOT_A_LINK)
    if _identity(os.fstat(descriptor)) != _identity(found):
        os.close(descriptor)
        raise Failure(
            f"-o {neutralise(target, single_line=True)} was replaced by another file while "
            "the output was made; nothing was written"
        )
    with os.fdopen(descriptor, "wb") as handle:
        yield handle


def _started(parts: Iterable[bytes]) -> tuple[bytes, ...] | Iterator[bytes]:
    """`parts` with its first part made already (none at all: an empty tuple)."""
    given = iter(parts)
    first = next(given, None)
    return () if first is None else itertools.chain((first,), given)


GATHERED_IN_MEMORY = 4 * 2**20
"""The most bytes of an output made part by part that `gathered` holds in memory: the rest
goes to an anonymous temporary file."""
BLOCK = 2**20
"""The bytes `gathered` gives back at a time."""


@contextlib.contextmanager
def gathered(parts: Iterable[bytes]) -> Iterator[Iterable[bytes]]:
    """Every part of `parts` made, before any is given back: for an output that must get
    nothing unless the whole can be made (stdout, where a failure part way prints the error
    alone, a device, a pipe). A tuple or a list is made already; any other iterable is read
    into a temporary file (`tempfile.SpooledTemporaryFile`: in memory up to
    `GATHERED_IN_MEMORY`, then a file of its owner's only, in TMPDIR, that has no name and is
    gone when closed or when the process ends), given back in blocks of `BLOCK` bytes."""
    if isinstance(parts, (tuple, list)):
        yield parts
        return
    with tempfile.SpooledTemporaryFile(max_size=GATHERED_IN_MEMORY) as spool:
        for part in parts:
            try:
                spool.write(part)
            except OSError as error:  # TMPDIR full, or missing: not the output's own disk
                raise Failure(
                    f"cannot keep the output in TMPDIR to write it whole: "
                    f"{error.strerror or error}",
                    (
                        "It is kept in a temporary file in TMPDIR until all of it is made, "
                        "which needs room for it: free space there, or set TMPDIR to a folder "
                        "with room (review NS, NS3).",
                        SAVED,
                    ),
                ) from None
        spool.seek(0)
        yield iter(lambda: spool.read(BLOCK), b"")


def names_a_terminal(path: str) -> bool:
    """Whether `path` names a terminal: one of the command's streams that is one
    (`/dev/stdout` on a terminal), or a terminal's device (`/dev/tty`).

    Raises:
        Failure: `path` names a descriptor that was not open when the command started.
    """
    descriptor = stream_descriptor(path)
    if descriptor is not None:
        refuse_unopened(path, descriptor)
        return os.isatty(descriptor)
    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        opened = os.open(path, _TERMINAL_PROBE)
    except OSError:
        return False
    try:
        return os.isatty(opened)
    finally:
        os.close(opened)


_STREAM = re.compile(r"/dev/std(?:in|out|err)|/dev/fd/(\d+)|/proc/(self|thread-self|\d+)/fd/(\d+)")
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def stream_descriptor(path: str) -> int | None:
    """The descriptor of this process that `path` names (`/dev/stdout`, `/dev/fd/3`,
    `/proc/self/fd/1`, or a link to one of them), or None."""
    where = os.path.abspath(path)
    for _ in range(40):  # as many links as the system follows
        found = _STREAM.fullmatch(where)
        if found is not None:
            fd, process, proc_fd = found.groups()
            if process is not None and process.isdigit() and int(process) != os.getpid():
                return None  # another process's descriptor: a file like any other
            return _STANDARD[where] if where in _STANDARD else int(fd or proc_fd)
        if not os.path.islink(where):
            return None
        where = os.path.abspath(os.path.join(os.path.dirname(where), os.readlink(where)))
    return None


_STARTED_WITH: dict[int, tuple[int, int]] = {}
"""The descriptors open when the command started (`note_streams`), each with the device and
inode of the file it had open then; a standard stream it was started without is in
`_CLOSED`, not here."""
_CLOSED: set[int] = set()
"""The standard streams the command was started without (`>&-`), given the null device."""


def note_streams() -> Callable[[], None]:
    """Before the command opens anything: note the descriptors open now, the only ones a
    stream name given to `-o` may name, and give the null device any standard stream the
    command was started without (`>&-`, `2>&-`), so that no database file or connection takes
    its number for a later write to it to land in.

    Where the process has no standard output at all (`sys.stdout` is None: started with
    `>&-`), what the command prints is refused (exit 2) rather than lost without a word
    (`ClosedOutput`); a stream the caller gave (click's test runner) is kept. Returns what
    puts `sys.stdout` back when the command ends, for a process that runs on (an MIS calling
    the CLI in-process).
    """
    _STARTED_WITH.clear()
    _CLOSED.clear()
    for descriptor in _open_descriptors():
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            _STARTED_WITH[descriptor] = _identity(os.fstat(descriptor))
    for descriptor in (0, 1, 2):
        if descriptor not in _STARTED_WITH:
            _CLOSED.add(descriptor)
            null = os.open(os.devnull, os.O_RDWR)
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
    given = sys.stdout
    if given is None:
        sys.stdout = ClosedOutput()

    def restore() -> None:
        if isinstance(sys.stdout, ClosedOutput):
            sys.stdout = given

    return restore


def _identity(found: os.stat_result) -> tuple[int, int]:
    """A file's device and inode: what two names of one file share."""
    return found.st_dev, found.st_ino


def _opened_since_start() -> set[tuple[int, int]]:
    """The files this process holds open that it did not when the command started (the
    database, its journals, a connection's socket): no name of one, however spelt
    (`/proc/self/task/N/fd/3`, a link to `/proc/self`), may be written over."""
    found = set()
    for descriptor in _open_descriptors():
        if descriptor in _CLOSED:  # given the null device, which is anyone's to write to
            continue
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            now = _identity(os.fstat(descriptor))
            if _STARTED_WITH.get(descriptor) != now:
                found.add(now)
    return found


def _open_descriptors() -> list[int]:
    """This process's open descriptors (from /proc/self/fd, or /dev/fd on macOS and the BSDs);
    the standard three only where neither can be listed."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return [int(name) for name in os.listdir(folder) if name.isdigit()]
    return [descriptor for descriptor in (0, 1, 2) if _is_open(descriptor)]


def _is_open(descriptor: int) -> bool:
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


def refuse_unopened(path: str, descriptor: int) -> None:
    """Refuse `-o` naming descriptor `descriptor` unless it is the stream the command was
    started with: by then that number may be the case database itself (`-o /dev/fd/3`), or a
    connection to its server (`-o /dev/stderr` after `2>&-`).

    Raises:
        Failure: the descriptor was not open when the command started, or is another file now.
    """
    started = _STARTED_WITH.get(descriptor)  # a number past any is no key: refused
    try:
        now = os.fstat(descriptor) if started is not None else None
    except OSError:
        now = None
    if now is not None and _identity(now) == started:
        return
    shown = neutralise(path, single_line=True)
    if descriptor in _STANDARD.values():
        stream = ("standard input", "standard output", "standard error")[descriptor]
        raise Failure(
            f"-o {shown}: {stream} was closed when the command started",
            ("Give -o a file, or run the command with its output open (no `>&-`).",),
        )
    raise Failure(
        f"-o {shown}: descriptor {descriptor} was not open when the command started",
        ("Give -o a file, or open the descriptor in the shell (`3> FILE` opens descriptor 3).",),
    )


class FolderError(OSError):
    """No new file can be made in the folder an output goes to (`filename`: that folder)."""


def _replace(path: str, parts: Iterable[bytes]) -> None:
    """Write `parts`, as each is made, to a new owner-only file beside `path`, then rename it
    to `path`: removed instead if a part fails to be made or written. The new file is synced
    to disk before the rename, and the folder after it (`_sync_folder`), so that a power cut
    just after the command ends finds the new file under the name, not the old one.

    Raises:
        FolderError: no new file can be made in the folder, or there is none.
        OSError: the file cannot be written, or the disk fails to sync it or its folder.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, part = tempfile.mkstemp(dir=directory, prefix=".rfsm-", suffix=".part")
    except PermissionError as error:
        raise FolderError(
            error.errno, "no new file can be made in its folder", directory
        ) from error
    except FileNotFoundError as error:
        raise FolderError(error.errno, "there is no folder", directory) from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in parts:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    _sync_folder(directory)


_CANNOT_SYNC_FOLDERS = frozenset(
    getattr(errno, name) for name in ("EINVAL", "ENOTSUP", "EOPNOTSUPP") if hasattr(errno, name)
)
"""What a file system that cannot sync a folder says to `fsync` on one (EINVAL on Linux)."""


def _sync_folder(directory: str) -> None:
    """Sync `directory`'s entries to disk, so that a rename in it outlasts a power cut. Skipped
    where that cannot be done: on Windows (no folder can be opened so), in a folder this user
    may write but not read, or on a file system that cannot sync a folder.

    Raises:
        OSError: the disk fails to sync it (an I/O error).
    """
    if sys.platform == "win32":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in _CANNOT_SYNC_FOLDERS:
            raise
    finally:
        os.close(descriptor)
