"""Files a caller names: the name as text, the UTF-8 text read from it (a calendar's term
dates, an authority's protocol), and the links on its way another user may have placed."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from reintegration_fsm.errors import FormInvalid

if sys.platform != "win32":
    import fcntl


BINARY = getattr(os, "O_BINARY", 0)
"""Windows' flag for an `os.open` in binary mode: without it the C library opens the file in
text mode, and every LF written is a CRLF (`tempfile.mkstemp` adds it so too); 0 elsewhere."""


def file_name(path: object, method: str, argument: str, expected: str) -> str:
    """The file name `path` gives (a str or an os.PathLike of one).

    Raises:
        FormInvalid: it is something else, or holds a NUL character (no file has one).
    """
    where = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(where, str):
        raise FormInvalid(method, argument, f"{expected}, not {type(path).__name__}")
    if "\x00" in where:
        raise FormInvalid(method, argument, f"{expected}: no file name holds a NUL character")
    return where


MOST_BYTES = 64 * 1024 * 1024
"""The most bytes a calendar or protocol file may hold: a school's whole iCalendar feed is a few
megabytes, and a file larger (a database, a disk image, /dev/zero named by mistake) is not read."""


def utf8_text(
    where: str,
    refused: Callable[[str, int | None], Exception],
    most: int = MOST_BYTES,
    kind: str = "calendar or protocol",
) -> str:
    """The text of the file `where`, UTF-8 with or without the byte-order mark Notepad writes.

    Raises:
        Exception: `refused(problem, line)`, for a file larger than `most` bytes (line None),
            which no `kind` file is, or bytes that are not UTF-8 (see `utf8_decoded`).
        OSError: the file cannot be read.
    """
    with opened(where) as handle:
        data = bounded(handle, most, f"{kind} file", lambda problem: refused(problem, None))
    return utf8_decoded(data, refused)


def opened(where: str) -> BinaryIO:
    """The file `where`, open to read its bytes. A named pipe (FIFO) that nothing writes to
    reads as empty, where opening it waited for a writer for ever; one a writer has open
    (`<(command)`) is read as it writes.

    Raises:
        OSError: the file cannot be opened, or is a folder.
    """
    if sys.platform == "win32":  # no named pipes in its file system to wait on
        return open(where, "rb")
    descriptor = os.open(where, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if stat.S_ISDIR(os.fstat(descriptor).st_mode):  # named, as open() names it
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), where)
        # Not waiting was for the open alone: a read waits for a writer that has the pipe open.
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return open(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def bounded(handle: BinaryIO, most: int, kind: str, refused: Callable[[str], Exception]) -> bytes:
    """What `handle` holds, `most` bytes at most: an endless stream (`/dev/zero`) is refused
    once that much is read.

    Raises:
        Exception: `refused(problem)`, when it holds more, which no `kind` does.
    """
    data = handle.read(most + 1)
    if len(data) > most:
        raise refused(f"larger than {size_text(most)}, which no {kind} is: is it the right file?")
    return data


def size_text(count: int) -> str:
    """A count of bytes as a limit is written: 1 GiB, 64 MiB, 1,000 bytes."""
    if count % 2**30 == 0:
        return f"{count // 2**30} GiB"
    if count % 2**20 == 0:
        return f"{count // 2**20} MiB"
    return f"{count:,} bytes"


def utf8_decoded(data: bytes, refused: Callable[[str, int | None], Exception]) -> str:
    """`data` as UTF-8 text, less a leading byte-order mark.

    Raises:
        Exception: `refused(problem, line)`, for bytes that are not UTF-8: the problem names the
            first such byte and its offset, the line is the one it is on.
    """
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        problem = (
            f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start} cannot be read); "
            "save the file as UTF-8"
        )
        raise refused(problem, data.count(b"\n", 0, e.start) + 1) from None


LINKS_FOLLOWED = 40
"""As many links as Linux follows in one name before it says ELOOP."""


class Followed(NamedTuple):
    """A path with the links on its way resolved (`followed`)."""

    path: str
    """Every link resolved, up to `link` when there is one; a part that is not there, and the
    rest after it, as given."""
    link: str | None = None
    """The first link on the way that is not `trusted`, not followed."""
    found: os.stat_result | None = None
    """That link's own status (its owner)."""


def followed(path: str) -> Followed:
    """`path` with every link on it resolved (as `os.path.realpath` resolves it), each link
    followed only when `trusted`: Linux's `fs.protected_symlinks` refuses another user's link
    only in a sticky shared folder, and never sees one a program resolves itself. Where the
    system has no owners of files (Windows), as `realpath` resolves it."""
    if not hasattr(os, "geteuid"):
        return Followed(os.path.realpath(path))
    # An absolute path needs no working folder: one removed since (a cron job's) is no matter.
    pending = (path if os.path.isabs(path) else os.path.join(os.getcwd(), path)).split("/")
    resolved, links = "/", 0
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            resolved = os.path.dirname(resolved)
            continue
        here = os.path.join(resolved, name)
        try:
            found = os.lstat(here)
        except OSError:  # not there (a new file), or not to be looked at: as given
            return Followed(os.path.join(here, *pending))
        if not stat.S_ISLNK(found.st_mode) or links == LINKS_FOLLOWED:
            resolved = here  # past LINKS_FOLLOWED links, opening it says ELOOP
            continue
        links += 1
        if not trusted(found, resolved):
            return Followed(os.path.join(here, *pending), here, found)
        target = os.readlink(here)
        resolved = "/" if target.startswith("/") else resolved
        pending = target.split("/") + pending
    return Followed(resolved)


def trusted(found: os.stat_result, folder: str) -> bool:
    """Whether a link or a file in `folder` belongs to one of its `trusted_owners`."""
    if not hasattr(os, "geteuid"):
        return True
    return found.st_uid in (os.geteuid(), 0) or found.st_uid in trusted_owners(folder)


def trusted_owners(folder: str) -> set[int]:
    """Who may own a link or a file in `folder` without having placed it there to mislead:
    this user, root, and the folder's owner, who could replace it anyway (when the folder can
    be looked at). Only where files have owners (`os.geteuid`)."""
    owners = {os.geteuid(), 0}
    with contextlib.suppress(OSError):  # a folder not to be looked at: its owner unknown
        owners.add(os.stat(folder).st_uid)
    return owners
