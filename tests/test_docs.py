"""The docs stay true: generated blocks match what they are generated from.

Run `python tests/test_docs.py` to rewrite the generated blocks after changing the steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from reintegration_fsm.protocol import diagrams

DOCS = Path(__file__).resolve().parent.parent / "docs"

GENERATED: dict[str, Callable[[], str]] = {
    "diagram (reintegration_fsm.protocol.diagrams.mermaid)": lambda: (
        "```mermaid\n" + diagrams.mermaid() + "```\n"
    ),
    "table (reintegration_fsm.protocol.diagrams.markdown)": diagrams.markdown,
}
"""Each generated block of docs/protocol.md, by the name its marker gives."""

_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>.+?) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S
)


def regenerate(text: str) -> str:
    """`text` with every generated block written afresh."""
    return _BLOCK.sub(lambda m: m.group(1) + GENERATED[m.group("name")]() + m.group(4), text)


def test_every_generated_block_of_the_protocol_page_is_current() -> None:
    """docs/protocol.md holds the Mermaid diagram and the transition table as generated."""
    text = (DOCS / "protocol.md").read_text()
    names = {m.group("name") for m in _BLOCK.finditer(text)}
    assert names == set(GENERATED)
    assert regenerate(text) == text


def test_a_stale_block_is_noticed() -> None:
    text = (DOCS / "protocol.md").read_text()
    stale = text.replace("| `withdraw` |", "| `withdraw_case` |")
    assert stale != text
    assert regenerate(stale) == text


if __name__ == "__main__":
    page = DOCS / "protocol.md"
    page.write_text(regenerate(page.read_text()))


def test_the_example_protocol_on_the_page_is_the_file() -> None:
    """docs/protocols.md shows docs/examples/exampleshire.toml whole, as it is."""
    page = (DOCS / "protocols.md").read_text()
    shown = page.split("```toml\n", 1)[1].split("```", 1)[0]
    assert shown == (DOCS / "examples" / "exampleshire.toml").read_text()
