"""Review DR: the documentation written this session, read as an LA officer, an MIS developer
and an auditor would read it."""

from __future__ import annotations

import re
from pathlib import Path

from reintegration_fsm import demo
from reintegration_fsm.protocol.steps import described
from reintegration_fsm.stores import InMemoryStore

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _unreleased() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]


def _entries(section: str) -> list[str]:
    """The Unreleased section's entries under `### section`, one string each."""
    body = _unreleased().split(f"### {section}\n", 1)[1].split("\n### ", 1)[0]
    return [entry for entry in re.split(r"\n(?=- )", body) if entry.startswith("- ")]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_DR1_the_onboarding_entry_does_not_deny_what_the_page_shows() -> None:
    """The CHANGELOG said the onboarding page 'says plainly that no view yet tells a back-filled
    step from one recorded on the day'; OB1 added `entered_at` and the page shows it."""
    [entry] = [e for e in _entries("Documentation") if "(OB1-OB8)" in e]
    assert "no view yet tells" not in _flat(entry)
    assert "entered_at" in entry
    assert "entered_at" in (DOCS / "onboarding.md").read_text(encoding="utf-8")


def test_DR2_no_entry_describes_a_doc_error_never_released() -> None:
    """`on_both_registers` (LW8) came in this session: a Documentation entry saying
    docs/protocol.md 'told an MIS to keep registers by it' described a page no user read."""
    documentation = _flat("\n".join(_entries("Documentation")))
    assert "which told an MIS to keep registers by it" not in documentation
    [lw8] = [e for e in _entries("Added") if "(LW8)" in e]
    assert "edition 1" in _flat(lw8)


def test_DR3_DR4_breaking_changes_say_how_to_migrate() -> None:
    """Each change that can break a script or an integration says what to do: `history`'s
    new CSV column, the `Store` protocol's new methods, `-o` refusing another user's link, a
    store refusing another user's empty file, `weightings` on a shared database, a caller's
    engine hiding parameters, `InitialMeeting`'s field order."""
    entries = [_flat(e) for section in ("Security", "Changed", "Fixed") for e in _entries(section)]
    for marker in (
        "`history`'s table and CSV end with an `entered_at` column",
        "The `Store` protocol declares `entered` and `authorities`",
        "(DF1)",
        "(DF2)",
        "(MA1)",
        "(review LG, LG1)",
        "(CT1)",
    ):
        [entry] = [e for e in entries if marker in e]
        assert "**Migrate:**" in entry, marker


def test_DR5_the_audit_trail_words_are_quoted_as_described_gives_them() -> None:
    """integrating.md quoted `described` as "recorded consent", which it never gives, and
    warned only of typed text; the words name the child and the parents."""
    store = InMemoryStore()
    demo.run(store)
    consent = store.load("DEMO-0003").history[1]
    page = _flat((DOCS / "integrating.md").read_text(encoding="utf-8"))
    quoted = re.search(r'words a step as the timeline does \("(.+?)"\)', page)
    assert quoted is not None
    assert quoted.group(1) == described(consent)
    assert "name the child, the parents and the schools" in page


def test_DR6_user_pages_carry_no_review_ids_of_this_session() -> None:
    """An LA officer reading cli.md, protocol.md or protocols.md cannot use '(review MA, MA1)',
    and 'were one row' told of a behaviour no release had."""
    for name in ("cli.md", "protocol.md", "protocols.md", "onboarding.md", "integrating.md"):
        page = (DOCS / name).read_text(encoding="utf-8")
        assert not re.search(r"\(review (MA|RG|LG|DF|OB|UI|CT|LW), ", page), name
    assert "were one\nrow with both grids' points" not in (DOCS / "cli.md").read_text("utf-8")


def test_DR8_the_joiners_return_is_five_calendar_days_on_every_page() -> None:
    """LW4 made the protocol pages say calendar days; onboarding, integrating and sources
    still said five days after the start, which an officer reads as school days."""
    for name in ("onboarding.md", "integrating.md", "sources.md"):
        page = _flat((DOCS / name).read_text(encoding="utf-8"))
        for found in re.finditer(r"Joiners Form[^.|]*?(five|\(5\))[^.|]*?days", page):
            assert "calendar days" in found.group(0), (name, found.group(0))
