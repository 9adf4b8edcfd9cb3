"""What another user may have planted where an output goes: a link, or a pipe of their own.

`-o latest.html`, a link, has the file it names replaced, and the command resolves the link
itself to do so; Linux's `fs.protected_symlinks`, which refuses to follow another user's link
in a shared folder such as /tmp, then never sees one. So the command applies that trust
itself, in every folder: it follows a link only when the user running it, root, or the owner of
the folder holding the link owns it (the folder's owner could replace the link anyway). A pipe
(FIFO) in the way is written as it is, so one another user owns would hand them every child's
name: it is refused on the same terms.
"""

from __future__ import annotations

import os
import stat

from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.text import neutralise

LINKS_FOLLOWED = 40
"""As many links as Linux follows in one name before it says ELOOP."""


def followed(path: str) -> str:
    """`path` with every link on it resolved (as `os.path.realpath` resolves it), each link
    followed only when `trusted` (where the system has no owners of files, Windows, as
    `realpath` resolves it). A part that is not there, and the rest after it, stays as given.

    Raises:
        Failure: a link on the way belongs to another user.
    """
    if not hasattr(os, "geteuid"):
        return os.path.realpath(path)
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
            return os.path.join(here, *pending)
        if not stat.S_ISLNK(found.st_mode) or links == LINKS_FOLLOWED:
            resolved = here  # past LINKS_FOLLOWED links, writing there says ELOOP
            continue
        links += 1
        refuse_planted(path, here, found, "a link")
        target = os.readlink(here)
        resolved = "/" if target.startswith("/") else resolved
        pending = target.split("/") + pending
    return resolved


def trusted(found: os.stat_result, folder: str) -> bool:
    """Whether a link or a pipe in `folder` belongs to this user, root or the folder's owner."""
    if not hasattr(os, "geteuid"):
        return True
    return found.st_uid in (os.geteuid(), 0) or found.st_uid == os.stat(folder).st_uid


def refuse_planted(path: str, here: str, found: os.stat_result, what: str) -> None:
    """Refuse `-o path` when `here` on its way (`what`: a link, a pipe) is another user's.

    Raises:
        Failure: it belongs to a user who is neither this one, root, nor its folder's owner.
    """
    if trusted(found, os.path.dirname(here)):
        return
    shown = neutralise(path, single_line=True)
    which = "it" if here == path else neutralise(here, single_line=True)
    raise Failure(
        f"-o {shown}: {which} is {what} of another user (uid {found.st_uid}), who could have "
        "placed it to have the output written where they chose; nothing was written",
        ("Name a file in a folder of your own, or remove it and run the command again.",),
    )
