"""Review LW: the law and the seed, as a local authority's legal officer reads the printed texts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from reintegration_fsm import (
    WORCESTERSHIRE,
    ObligationKind,
    Reintegration,
    SchoolCalendar,
    documents,
)
from reintegration_fsm.demo import CASES
from stages import in_placement, opened

CALENDAR = SchoolCalendar.sample()
ON = dt.date(2026, 11, 28)
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def demo() -> dict[str, Reintegration]:
    """The four demo cases, by id."""
    return {case.case_id: case.run(case.case_id, CALENDAR) for case in CASES}


def note_of(case: Reintegration, slug: str) -> str:
    [document] = [d for d in documents.documents(case) if d.slug == slug]
    return document.note


def flat(text: str) -> str:
    """Text with its wrapped lines joined, as a reader reads it."""
    return " ".join(text.split())


def test_unsuccessful_form_says_the_deletion_needs_the_ap_setting_s_consent(
    demo: dict[str, Reintegration],
) -> None:
    """LW2: regulation 9(1)(c) deletes a dual-registered pupil's name only with the other
    school's consent (9(1)(c)(ii), R17); the printed form says so, and names the return."""
    note = note_of(demo["DEMO-0002"], "unsuccessful-outcome")
    assert "only once the Alternative Provision setting has consented" in note
    assert "regulation 9(1)(c)(ii)" in note
    assert "regulation 13(4)" in note
    text = flat(documents.render_text(demo["DEMO-0002"], ON))
    assert "has consented to the deletion (regulation 9(1)(c)(ii))" in text
    assert "regulation 9(1)(c)(ii)" in documents.render_html(demo["DEMO-0002"], ON)


def test_successful_form_says_the_leavers_form_is_the_deletion_return_after_consent(
    demo: dict[str, Reintegration],
) -> None:
    """LW2: the AP's Leavers Form is its deletion return (reg. 13(4)), and the AP deletes the
    name only once the host school has consented (reg. 9(1)(c)(ii))."""
    note = note_of(demo["DEMO-0001"], "successful-outcome")
    assert "deletion return of regulation 13(4)" in note
    assert "only once the host school has consented" in note
    assert "regulation 9(1)(c)(ii)" in note
    text = flat(documents.render_text(demo["DEMO-0001"], ON))
    assert "only once the host school has consented to the deletion" in text


def test_protocols_page_gives_worcestershire_s_current_version() -> None:
    """LW1: the table of protocol fields gives the id and version new cases are recorded under."""
    page = (DOCS / "protocols.md").read_text(encoding="utf-8")
    [row] = [line for line in page.splitlines() if line.startswith("| `id`, `version` |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == f"`{WORCESTERSHIRE.id}`, `{WORCESTERSHIRE.version}`"


def test_joiners_return_is_counted_in_calendar_days_and_the_docs_say_so(
    demo: dict[str, Reintegration],
) -> None:
    """LW4: regulation 13(1) gives the new pupil return "by the end of the fifth day after"
    entry: calendar days (DEMO-0001 starts on a Monday; the return is due that Saturday), and
    the obligations tables say calendar days, not school days."""
    case = demo["DEMO-0001"]
    [start] = [t for t in case.history if t.trigger == "start_placement"]
    [opened] = [
        o for o in start.data["opened"] if o["kind"] == ObligationKind.COMPLETE_JOINERS_FORM.value
    ]
    due = dt.date.fromisoformat(opened["due"])
    assert due == start.on + dt.timedelta(days=WORCESTERSHIRE.joiners_return_days)
    assert not CALENDAR.is_school_day(due)
    protocol_page = flat((DOCS / "protocol.md").read_text(encoding="utf-8"))
    assert re.search(
        r"`COMPLETE_JOINERS_FORM` \(host; due `joiners_return_days` calendar days, not school "
        r"days, after the start",
        protocol_page,
    )
    protocols_page = (DOCS / "protocols.md").read_text(encoding="utf-8")
    [row] = [
        line for line in protocols_page.splitlines() if line.startswith("| `joiners_return_days`")
    ]
    assert "calendar days, not school days" in row


def test_on_both_registers_holds_until_the_school_owing_the_deletion_has_made_it(
    demo: dict[str, Reintegration],
) -> None:
    """LW8: an ended placement leaves the pupil on both registers until the host deletes the
    name (with the AP's consent, R17); `dual_registered` follows the stage and is already false.
    """
    case = Reintegration.replay(demo["DEMO-0002"].history, CALENDAR)
    assert case.stage.value == "unsuccessful"
    assert not case.dual_registered
    assert case.on_both_registers
    ap_head, host_head = (
        next(t.actor for t in case.history if t.actor.role.value == role)
        for role in ("ap_head", "host_head")
    )
    on = case.last_on
    assert on is not None
    case.discharge(ObligationKind.CONSENT_TO_DELETION, by=ap_head, on=on)
    assert case.on_both_registers  # consent given, the name not yet deleted
    case.discharge(ObligationKind.DELETE_FROM_ROLL, by=host_head, on=on)
    assert not case.on_both_registers


def test_on_both_registers_follows_dual_registration_before_any_deletion_is_owed(
    demo: dict[str, Reintegration],
) -> None:
    """In a placement the pupil is on both registers; before it and after a completed move, on
    one."""
    assert in_placement().on_both_registers
    assert not opened().on_both_registers
    moved = demo["DEMO-0001"]
    assert moved.stage.value == "successful"
    assert not any(o.kind is ObligationKind.DELETE_FROM_ROLL for o in moved.obligations)
    assert not moved.on_both_registers
    assert not demo["DEMO-0003"].on_both_registers
