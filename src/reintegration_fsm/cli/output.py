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
import io
import os
import stat
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.cli.errors import Failure
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
    漢字, most emoji), none for a combining mark, one for any other."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


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


def write_private(path: str, data: bytes) -> None:
    """Write `data` to `path`, readable and writable by its owner only (mode 0600).

    A regular file (or a new one) is replaced whole: `data` goes to a new 0600 file beside it,
    which then takes its name, so a write that fails part way (a full disk, a size limit)
    leaves the old file as it was and no half-written one. A link to one (`latest.html`) has
    the file it names replaced so, and stays a link. Anything else (a device, a pipe, a
    stream's name such as `/dev/stdout`, wherever it leads) is written in place, narrowed to
    0600 first.

    Raises:
        OSError: the file cannot be written.
    """
    try:
        found = os.stat(path)  # through any link: a pipe or a device is written in place
    except FileNotFoundError:
        found = None
    if (found is None or stat.S_ISREG(found.st_mode)) and not _a_stream(path):
        _replace(os.path.realpath(path) if os.path.islink(path) else path, data)
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        if hasattr(os, "fchmod"):
            # An existing file keeps its mode on open; another user's file stays as it is
            # (they can read it anyway).
            with contextlib.suppress(PermissionError):
                os.fchmod(descriptor, FILE_MODE)
        handle.write(data)


def _a_stream(path: str) -> bool:
    """Whether `path` is one of the system's names for a stream (`/dev/stdout`, `/dev/fd/1`,
    `/proc/self/fd/1`), written in place even where it leads to a file (`>> cron.log`)."""
    return os.path.abspath(path).startswith(("/dev/", "/proc/"))


def _replace(path: str, data: bytes) -> None:
    """Write `data` to a new owner-only file beside `path`, then rename it to `path`.

    Raises:
        PermissionError: no new file can be made in the folder (its `filename` the folder).
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, part = tempfile.mkstemp(dir=directory, prefix=".rfsm-", suffix=".part")
    except PermissionError as error:
        raise PermissionError(
            error.errno, "no new file can be made in its folder", directory
        ) from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
