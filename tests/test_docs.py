"""The docs stay true: generated blocks match the table they are generated from."""

from __future__ import annotations

from pathlib import Path

from reintegration_fsm.protocol import diagrams

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_protocol_diagram_in_the_docs_is_current() -> None:
    """docs/protocol.md holds the Mermaid diagram generated from the declared steps, verbatim."""
    assert "```mermaid\n" + diagrams.mermaid() + "```" in (DOCS / "protocol.md").read_text()


def test_the_transition_table_in_the_docs_is_current() -> None:
    """docs/protocol.md holds the Markdown transition table generated from the steps, verbatim."""
    assert diagrams.markdown() in (DOCS / "protocol.md").read_text()
