"""What a developer integrating the library for the first time reaches for, from the docs alone."""

from __future__ import annotations

import subprocess
import sys


def test_due_item_is_importable_from_the_top_level_as_case_summary_is() -> None:
    """docs/integrating.md and docs/stores.md name `DueItem` beside `CaseSummary`; an MIS typing
    its due-list handler imports both from `reintegration_fsm`, without loading SQLAlchemy early."""
    script = (
        "import sys, reintegration_fsm\n"
        "assert 'sqlalchemy' not in sys.modules\n"
        "from reintegration_fsm import CaseSummary, DueItem\n"
        "from reintegration_fsm.stores import DueItem as D\n"
        "assert DueItem is D\n"
        "assert 'DueItem' in reintegration_fsm.__all__\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
