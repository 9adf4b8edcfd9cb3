"""`python -m reintegration_fsm`, and the `reintegration-fsm` command."""

from __future__ import annotations

import sys

ABORTED = 1
"""The exit status of a command Ctrl-C stopped (click's, once the command line runs)."""


def main() -> None:
    """Run the command line. Ctrl-C while it loads ends it as Ctrl-C later does: "Aborted!" and
    exit 1, not a traceback of the modules being imported."""
    try:
        from reintegration_fsm.cli import main as command_line
    except KeyboardInterrupt:
        print("Aborted!", file=sys.stderr)
        raise SystemExit(ABORTED) from None
    command_line()


if __name__ == "__main__":
    main()
