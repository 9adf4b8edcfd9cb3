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

from reintegration_fsm import files
from reintegration_fsm.cli.errors import Failure
from reintegration_fsm.cli.text import neutralise


def followed(path: str) -> str:
    """`path` with every link on it resolved, each link followed only when `trusted`
    (`files.followed`). A part that is not there, and the rest after it, stays as given.

    Raises:
        Failure: a link on the way belongs to another user.
    """
    found = files.followed(path)
    if found.link is not None and found.found is not None:
        refuse_planted(path, found.link, found.found, "a link")
    return found.path


def refuse_planted(path: str, here: str, found: os.stat_result, what: str) -> None:
    """Refuse `-o path` when `here` on its way (`what`: a link, a pipe) is another user's.

    Raises:
        Failure: it belongs to a user who is neither this one, root, nor its folder's owner.
    """
    if files.trusted(found, os.path.dirname(here)):
        return
    shown = neutralise(path, single_line=True)
    which = "it" if here == path else neutralise(here, single_line=True)
    raise Failure(
        f"-o {shown}: {which} is {what} of another user (uid {found.st_uid}), who could have "
        "placed it to have the output written where they chose; nothing was written",
        ("Name a file in a folder of your own, or remove it and run the command again.",),
    )
