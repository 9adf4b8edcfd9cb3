"""Review RR3: a regression review of the day's merges (the modules split, the forms written
once, the protocol files' messages, `-OO`). What the merges' own tests would not notice."""

from __future__ import annotations

import importlib
import re
from importlib import resources

import pytest

STORES_NAMES = {
    "reintegration_fsm.stores.failures": [
        "ALTERED",
        "DAMAGED_ADVICE",
        "DRIVERS",
        "READ_ONLY_MEDIA",
        "REFUSED_URL_ADVICE",
        "UNREADABLE_ROW",
        "UPGRADING",
        "conflict",
        "converted",
        "damaged",
        "describe",
        "disk_full",
        "driver_error",
        "forget_row",
        "is_database_error",
        "missing_column",
        "missing_table",
        "on_sqlite",
        "permission_denied",
        "read_back",
        "read_only",
        "refused_options",
        "refused_url",
        "retryable",
        "scrub",
        "sqlite_cannot_open",
        "sqlite_io_error",
        "translated",
        "unique_violation",
        "unquoted",
    ],
    "reintegration_fsm.stores.erasure": [
        "CASE_COLUMNS",
        "FAMILY_PARTIES",
        "Plan",
        "Targets",
        "check_request",
        "plan",
        "retention_targets",
    ],
    "reintegration_fsm.stores.memory": ["InMemoryStore"],
}
"""Each public name the store modules split by review SPS defined before the split (bf9e348)."""


@pytest.mark.parametrize("module", sorted(STORES_NAMES))
def test_every_public_name_a_split_store_module_defined_is_still_there(module: str) -> None:
    """RR3: failures, erasure and memory still give each public name they defined, as SPD's
    test pins fields' and documents' (`from reintegration_fsm.stores.failures import scrub`)."""
    imported = importlib.import_module(module)
    assert [name for name in STORES_NAMES[module] if not hasattr(imported, name)] == []


def _label_width() -> str:
    css = (resources.files("reintegration_fsm") / "templates" / "shared" / "form.css").read_text(
        encoding="utf-8"
    )
    found = re.search(r"table\.fields th \{ width: (\d+%)", css)
    assert found is not None, css
    return found[1]


def test_the_forms_page_keeps_the_width_of_its_labels_column() -> None:
    """RR32: writing the form once (review FX) took the label column of the forms page
    (`render --html`) from 45% of the table to 40%, unmentioned; the forms page keeps its 45%
    and the subject access response, which FX made show forms as the forms page does, takes it."""
    assert _label_width() == "45%"
