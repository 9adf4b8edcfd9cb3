"""JSON input read a part at a time: an import file's cases one by one, never the whole file.

A `Reader` decodes the file's text as it is read, and hands out its top-level structure (an
array's items, an object's members) one value at a time, each checked as `read_json` checks a
whole file (`json_input.check_json`: depth, lone surrogates, a key given twice, long integers,
`NaN`). Its errors name the same line and column `json.loads` of the whole file would.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol

from reintegration_fsm import files
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.json_input import (
    BYTE_ORDER_MARK,
    MAX_DEPTH,
    BadNumber,
    check_json,
    constant,
    integer,
    pairs_object,
)
from reintegration_fsm.fields import encodes

CHUNK = 2**20
"""Bytes read at a time (more while one value is longer than what is held)."""
_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_PART = re.compile(r"[0-9.eE+-]*")
"""What may go on a number: one that a read cut after its point, exponent or sign (`1.`,
`1.5e`, `1e-`) decodes as the number before it (1, 1.5), followed by text the read goes on."""
_TRUNCATED_NEAR = 32
"""A decoding error this near the end of the text held may be a value cut by the read: the
text is read on and decoded again (an error further back is the file's)."""


class Readable(Protocol):
    """What a `Reader` reads: a file's bytes, a part at a time."""

    def read(self, size: int, /) -> bytes: ...


class Reader:
    """The JSON text of `handle` (named `path` in errors), at most `most` bytes.

    Raises (from its methods):
        Failure: the file is not UTF-8, not JSON, larger than `most`, or holds what
            `read_json` refuses (exit 2).
    """

    def __init__(self, handle: Readable, path: str, kind: str, most: int) -> None:
        self._handle = handle
        self._path = path
        self._kind = kind
        self._most = most
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder(
            parse_int=integer, parse_constant=constant, object_pairs_hook=pairs_object
        )
        self._text = ""
        self._at = 0
        self._ended = False
        self._started = False
        self._want = CHUNK
        self._read = 0
        self._lines = 0
        """Newlines in the text dropped before `_text`."""
        self._column = 0
        """Characters after the last newline dropped (the column `_text` starts at, less 1)."""
        self.digest = hashlib.sha256()
        """The SHA-256 of the bytes read so far: a second reading of the file, reaching the
        same value, has read the same bytes when its digest is the same."""

    # -- reading ----------------------------------------------------------------------------------
    def _more(self) -> bool:
        """Read on; False at the end of the file."""
        if self._ended:
            return False
        pending = len(self._decoder.getstate()[0])
        try:
            data = self._handle.read(self._want)
        except OSError as error:
            raise Failure(f"cannot read {self._path}: {error.strerror or error}") from None
        if len(data) + self._read > self._most:
            named = "stdin" if self._path == "-" else self._path
            raise Failure(
                f"{named} is larger than {files.size_text(self._most)}, which no "
                f"{self._kind} is: is it the right file?"
            )
        self.digest.update(data)
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            where = _shifted(error, self._read - pending)
            raise Failure(f"{self._path} is not UTF-8 text: {where}") from None
        self._read += len(data)
        if not data:
            self._ended = True
        if not self._started and (text or self._ended):
            self._started = True
            text = text.removeprefix(BYTE_ORDER_MARK)  # Notepad's "UTF-8 with BOM"
        self._drop()
        self._text += text
        return bool(data)

    def _drop(self) -> None:
        """Forget the text already decoded, counting its lines for the positions of errors."""
        done = self._text[: self._at]
        newlines = done.count("\n")
        if newlines:
            self._lines += newlines
            self._column = len(done) - done.rindex("\n") - 1
        else:
            self._column += len(done)
        self._text = self._text[self._at :]
        self._at = 0

    def _next(self) -> str:
        """The next character that is not white space (not taken), or "" at the end."""
        while True:
            found = _SPACE.match(self._text, self._at)
            self._at = found.end() if found is not None else self._at
            if self._at < len(self._text):
                return self._text[self._at]
            if not self._more():
                return ""

    def _take(self, expected: str, what: str) -> str:
        """The next character, one of `expected`; else the error `json.loads` gives there."""
        found = self._next()
        if not found or found not in expected:
            raise self._invalid(f"Expecting {what}", self._at)
        self._at += 1
        return found

    def _decoded(self, where: str, depth: int, *, checked: bool = True) -> Any:
        """The JSON value that starts here, checked (unless not `checked`: a key)."""
        self._next()
        refused = None  # what the last try found wrong with a number (which a read may cut)
        while True:
            try:
                value, end = self._json.raw_decode(self._text, self._at)
            except json.JSONDecodeError as error:
                if not self._ended and _cut(error, len(self._text)):
                    self._grow()
                    continue
                raise self._invalid(error.msg, error.pos) from None
            except BadNumber as error:
                if not self._ended and str(error) != refused:
                    refused = str(error)
                    self._grow()
                    continue
                raise Failure(f"{self._path} holds {error}") from None
            except RecursionError:
                raise Failure(f"{self._path} is nested more than {MAX_DEPTH} levels deep") from None
            if not self._ended and _number_cut(self._text, end):
                self._grow()
                continue
            self._want = CHUNK
            self._at = end
            problem = check_json(value, where, depth) if checked else None
            if problem is not None:
                raise Failure(f"{self._path} holds {problem}")
            return value

    def _grow(self) -> None:
        self._want = min(self._want * 2, 2**30)
        self._more()

    def _invalid(self, message: str, position: int) -> Failure:
        """The error `json.loads` of the whole file gives at `position` of the text held."""
        text = self._text
        line = self._lines + text.count("\n", 0, position) + 1
        newline = text.rfind("\n", 0, position)
        column = position - newline if newline >= 0 else self._column + position + 1
        return Failure(f"{self._path} is not valid JSON: {message} (line {line}, column {column})")

    # -- the structure --------------------------------------------------------------------------
    def opening(self) -> str:
        """The first character of the value that comes next: "[", "{", or another."""
        return self._next()

    def value(self, where: str, depth: int) -> Any:
        """The value that comes next, whole (`where`: its path, for a problem's message)."""
        return self._decoded(where, depth)

    def items(self, where: str, depth: int) -> Iterator[tuple[int, Any]]:
        """The items of the array that comes next, numbered from 0, each checked as a value at
        `where[n]`, one level deeper than the array's `depth`."""
        self._take("[", "value")
        if self._next() == "]":
            self._at += 1
            return
        number = 0
        while True:
            yield number, self._decoded(f"{where}[{number}]", depth + 1)
            number += 1
            if self._take(",]", "',' delimiter") == "]":
                return

    def members(self, where: str) -> Iterator[str]:
        """The keys of the object that comes next, each left for the caller to read its value
        (`value` or `items`) before asking for the next."""
        self._take("{", "value")
        if self._next() == "}":
            self._at += 1
            return
        seen: set[str] = set()
        while True:
            if self._next() != '"':
                raise self._invalid("Expecting property name enclosed in double quotes", self._at)
            key = self._decoded(where, 1, checked=False)
            if not encodes(key):
                raise Failure(f"{self._path} holds a lone surrogate in a key at {where}")
            if key in seen:
                raise Failure(
                    f"{self._path} holds the key {key!r} twice in one object (at {where}), and "
                    "which value was meant would be a guess: give it once"
                )
            seen.add(key)
            self._take(":", "':' delimiter")
            yield key
            if self._take(",}", "',' delimiter") == "}":
                return

    def end(self) -> None:
        """Refuse anything but white space after the value read."""
        if self._next():
            raise self._invalid("Extra data", self._at)


def _number_cut(text: str, end: int) -> bool:
    """Whether a value decoded up to `end` may be a number that goes on past the text held:
    the text ends there, or in what could go on a number (`1.5` of `1.5e`)."""
    found = _NUMBER_PART.match(text, end)
    return found is not None and found.end() == len(text)


def _cut(error: json.JSONDecodeError, held: int) -> bool:
    """Whether `error` may come of a value cut short by the end of the text held."""
    return error.msg.startswith("Unterminated string") or error.pos >= held - _TRUNCATED_NEAR


def _shifted(error: UnicodeDecodeError, offset: int) -> str:
    """`error`'s message with its positions in the file, not in the part read."""
    start, end = error.start + offset, error.end + offset
    if error.end - error.start == 1:
        return (
            f"'utf-8' codec can't decode byte 0x{error.object[error.start]:02x} in position "
            f"{start}: {error.reason}"
        )
    return f"'utf-8' codec can't decode bytes in position {start}-{end - 1}: {error.reason}"


class Input:
    """An input file that can be read more than once (`readable_twice`): a regular file, open
    once and read from its start each time; or a stream, kept in a copy as it is first read."""

    def __init__(
        self,
        name: str,
        handle: BinaryIO,
        copy: tuple[str, BinaryIO] | None = None,
        start: int = 0,
    ) -> None:
        self._name = name
        self._handle = handle
        self._copy = copy
        """The path of a stream's copy and the copy open to write, or None for a file."""
        self._start = start
        """Where a file's reading starts (stdin redirected from a file may be past its start)."""

    def first(self) -> contextlib.AbstractContextManager[Readable]:
        """The file to read a first time: a stream is kept in the copy as it is read."""
        if self._copy is None:
            return self._rewound()
        kept: Readable = _Kept(self._handle, self._copy[1], self._name)
        return contextlib.nullcontext(kept)

    def again(self) -> contextlib.AbstractContextManager[Readable]:
        """The file to read once more: the same open file from its start, not what its name
        may name by now (a pipe made there would wait for a writer for ever); or a stream's
        copy, once the first reading has read it."""
        if self._copy is None:
            return self._rewound()
        try:
            return open(self._copy[0], "rb")
        except OSError as error:
            raise Failure(f"cannot read {self._name}: {error.strerror or error}") from None

    def _rewound(self) -> contextlib.AbstractContextManager[Readable]:
        try:
            self._handle.seek(self._start)
        except OSError as error:
            raise Failure(f"cannot read {self._name}: {error.strerror or error}") from None
        return contextlib.nullcontext(self._handle)


class _Kept:
    """A stream read through, each part kept in a copy as it is read (written out at once, so
    that a full disk is found here, not when the copy is closed)."""

    def __init__(self, source: BinaryIO, copy: BinaryIO, name: str) -> None:
        self._source = source
        self._copy = copy
        self._name = name

    def read(self, size: int) -> bytes:
        data = self._source.read(size)
        try:
            self._copy.write(data)
            self._copy.flush()
        except OSError as error:
            raise Failure(
                f"cannot keep {self._name} to read it twice: {error.strerror or error}",
                ("It is kept in a temporary file in TMPDIR, which needs room for it.",),
            ) from None
        return data


@contextlib.contextmanager
def readable_twice(path: str) -> Iterator[Input]:
    """`path` to be read more than once: a regular file, opened once (a named pipe is not
    waited on, `files.opened`) and read again from its start, stdin (`-`) redirected from one
    too (`import - < all.json`, from where stdin stands); or a pipe (`cat all.json | import -`,
    `<(command)`) or a device, kept as its first reading reads it in a file only its owner can
    read, in a folder of theirs (0700) in `TMPDIR`, removed afterwards.

    Raises:
        Failure: stdin is closed, or the file cannot be opened.
    """
    if path == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise Failure("- reads stdin, which is closed: pipe the JSON in, or name a file")
        source: contextlib.AbstractContextManager[BinaryIO] = contextlib.nullcontext(
            sys.stdin.buffer
        )
        name = "stdin"
    else:
        try:
            source, name = files.opened(path), path
        except OSError as error:
            raise Failure(f"cannot read {path}: {error.strerror or error}") from None
    with source as handle:
        if path != "-" and _regular(handle, path):
            yield Input(name, handle)
            return
        if path == "-":
            start = _start_of_file(handle)
            if start is not None:
                yield Input(name, handle, start=start)
                return
        with tempfile.TemporaryDirectory(prefix="rfsm-import-") as folder:
            copy = os.path.join(folder, "input.json")
            # In binary mode on Windows: the second reading reads the bytes the first did.
            made = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | files.BINARY, 0o600)
            with open(made, "wb") as kept:
                try:
                    yield Input(name, handle, (copy, kept))
                finally:  # a part a full disk refused is said as it was read (`_Kept`), not here
                    with contextlib.suppress(OSError):
                        kept.close()


def _start_of_file(handle: BinaryIO) -> int | None:
    """Where stdin stands in the regular file it is redirected from, or None when it is not
    one (a pipe, a terminal, a device, or no file at all, as under a test's runner)."""
    try:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.tell()
    except (OSError, ValueError):
        return None


def _regular(handle: BinaryIO, path: str) -> bool:
    """Whether `handle`, open on `path`, is a regular file (which can be read again)."""
    try:
        return stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror or error}") from None


__all__ = ["CHUNK", "Input", "Readable", "Reader", "readable_twice"]
