"""The code in the docs runs: every ```python block of every page in docs/, in order.

The blocks of one page share one namespace and run in a fresh temporary folder, so a page reads
as one program (the quickstart is a real program). The files of docs/examples/ are in that folder,
as a reader following the page would have saved them. A block written as an interactive session
(`>>>` prompts) runs as a doctest in that namespace, its printed output checked. A block opts
out only with `<!-- no-test -->` on the line right before its fence.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import attrs
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
NO_TEST = "<!-- no-test -->"
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
PYTHON = frozenset({"python", "py", "python3", "pycon"})


@attrs.frozen
class Block:
    """One fenced code block of a page."""

    page: str
    line: int
    language: str
    code: str
    opted_out: bool


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown page, with its language and opt-out marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        language = (match["info"].split() or [""])[0].strip("{}.").lower()
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index][indent:])
            index += 1
        previous = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        opted_out = previous == NO_TEST and lines[start - 1].strip() == NO_TEST
        found.append(Block(path.name, start + 1, language, "\n".join(body) + "\n", opted_out))
        index += 1
    return found


def pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def python_blocks(path: Path) -> list[Block]:
    return [b for b in blocks(path) if b.language in PYTHON]


def run_page(path: Path) -> int:
    """Run a page's python blocks in order in one namespace; return how many ran."""
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    ran = 0
    for block in python_blocks(path):
        if block.opted_out:
            continue
        where = f"{block.page}:{block.line}"
        if block.code.lstrip().startswith(">>>"):
            parser = doctest.DocTestParser()
            test = parser.get_doctest(block.code, namespace, where, str(path), block.line)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest copies the globals it is given
            result = runner.summarize(verbose=False)
            assert result.failed == 0, f"doctest in {where} failed (see the output above)"
        else:
            exec(compile(block.code, where, "exec"), namespace)
        ran += 1
    return ran


@pytest.mark.parametrize("path", pages(), ids=lambda p: p.name)
def test_the_pages_python_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block of the page runs, in order, in one namespace, in a temp folder."""
    monkeypatch.chdir(tmp_path)
    for example in (DOCS / "examples").glob("*"):
        (tmp_path / example.name).write_bytes(example.read_bytes())
    for name in ("RFSM_DATABASE_URL", "RFSM_AUTHORITY", "RFSM_CALENDAR"):
        monkeypatch.delenv(name, raising=False)
    run_page(path)


def test_no_block_is_skipped_silently() -> None:
    """Opt-outs are explicit and rare; the docs hold python to run."""
    every = [b for path in pages() for b in python_blocks(path)]
    assert every, "the docs hold no python blocks at all"
    opted_out = [b for b in every if b.opted_out]
    assert len(opted_out) <= max(2, len(every) // 10), [f"{b.page}:{b.line}" for b in opted_out]


def test_the_block_finder_sees_fences_and_markers(tmp_path: Path) -> None:
    """Fences of any length, indented or not, and the opt-out marker right before one."""
    page = tmp_path / "page.md"
    page.write_text(
        "Text\n\n```python\nx = 1\n```\n\n<!-- no-test -->\n```py\nraise SystemExit\n```\n"
        "\n````pycon\n>>> 1 + 1\n2\n````\n\n```toml\na = 1\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.language, b.opted_out) for b in found] == [
        ("python", False),
        ("py", True),
        ("pycon", False),
        ("toml", False),
    ]
    assert found[0].code == "x = 1\n"
