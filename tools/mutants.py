"""List mutmut's mutants of the protocol's modules, classify each, and score a run.

Run from the project root after `mutmut run` (see docs/testing.md, "Mutation testing"):

    python tools/mutants.py            # the score per file, wording mutants apart
    python tools/mutants.py --list     # also every mutant not killed, with its class

A mutant is *wording* when it changes nothing but the text of a sentence a person reads: its
function's syntax tree equals the original's once string constants are blanked, and every string
it changed is prose: the literal text of an f-string, a string holding a space, or one of the
separators `PROSE` lists for the function that joins a sentence with it. A string that is data
(a dictionary key, even inside an f-string's braces; a field name in an error's facts; the
separator `same_name` compares with; TOML syntax; a file encoding; a regular expression) is
never wording. Everything else counts towards the score.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections import Counter
from pathlib import Path

FILES = (
    "src/reintegration_fsm/stores/hashing.py",
    "src/reintegration_fsm/stores/digests.py",
    "src/reintegration_fsm/stores/payload_checks.py",
    "src/reintegration_fsm/stores/case_checks.py",
    "src/reintegration_fsm/calendar.py",
    "src/reintegration_fsm/rules/reading.py",
    "src/reintegration_fsm/rules/dates.py",
    "src/reintegration_fsm/rules/referral.py",
    "src/reintegration_fsm/rules/placement.py",
    "src/reintegration_fsm/rules/reviews.py",
    "src/reintegration_fsm/rules/outcomes.py",
    "src/reintegration_fsm/protocol/steps.py",
    "src/reintegration_fsm/protocol/toml_file.py",
    "src/reintegration_fsm/protocol/field_checks.py",
    "src/reintegration_fsm/protocol/protocols.py",
    "src/reintegration_fsm/protocol/fingerprints.py",
    "src/reintegration_fsm/protocol/registry.py",
)
EXIT = {1: "killed", 0: "survived", 33: "no tests", 34: "skipped", 36: "killed", -24: "killed"}
"""mutmut's exit codes; a mutant that made the tests time out (36, or -24 when the CPU limit
killed them) was detected, and counts as killed."""
PROSE = {
    ("host_was_preferred", ", "),
    ("host_was_preferred", "none"),
    ("review_practice", "_"),
    ("review_practice", " "),
    ("obligation_is_open", "_"),
    ("obligation_is_open", " "),
    ("review_dates_problems", ""),
    ("_review_wording", "_"),
    ("_review_wording", " "),
    ("_review_wording", ""),
    ("check_steps", ", "),
    ("_check_roles", ", "),
    ("_set_of", ", "),
    ("host_roles_before_a_host", ", "),
}
"""(function, string): separators that only join or punctuate a sentence."""
DATA = {("_read_toml", "line (\\d+)")}
"""(function, string): strings with a space that are not prose (a regular expression)."""
MUTANT = re.compile(r"^(?P<function>.+)__mutmut_(?P<n>\d+|orig)$")


def _strings(node: ast.AST) -> list[tuple[str, bool]]:
    """Every string constant under `node`, in order, and whether it is an f-string's own text."""
    found: list[tuple[str, bool]] = []

    def visit(item: ast.AST, literal: bool) -> None:
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            found.append((item.value, literal))
        for child in ast.iter_child_nodes(item):
            visit(child, isinstance(item, ast.JoinedStr))

    visit(node, False)
    return found


def _blanked(node: ast.AST) -> str:
    tree = ast.parse(ast.unparse(node))
    for item in ast.walk(tree):
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            item.value = ""
        if isinstance(item, ast.FunctionDef):
            item.name = ""
    return ast.dump(tree)


def _is_prose(function: str, text: str, literal: bool) -> bool:
    if (function, text) in DATA:
        return False
    return literal or (function, text) in PROSE or " " in text.strip()


def classify(path: Path) -> dict[str, str]:
    """Each mutant's name (as mutmut names it) -> "wording" or "behaviour"."""
    tree = ast.parse(path.read_text("utf-8"))
    module = ".".join(path.with_suffix("").parts[2:])  # mutants/src/<module path>
    functions: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and MUTANT.match(node.name):
            functions[node.name] = node
    found = {}
    for name, node in functions.items():
        match = MUTANT.match(name)
        assert match is not None
        if match["n"] == "orig":
            continue
        original = functions[f"{match['function']}__mutmut_orig"]
        kind = "behaviour"
        if _blanked(node) == _blanked(original):
            before, after = _strings(original), _strings(node)
            changed = [b for b, a in zip(before, after, strict=True) if b[0] != a[0]]
            short = match["function"].split("ǁ")[-1].removeprefix("x_")
            if changed and all(_is_prose(short, text, literal) for text, literal in changed):
                kind = "wording"
        found[f"{module}.{name}"] = kind
    return found


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / max(whole, 1):.1f}%)"


def main() -> int:
    listing = "--list" in sys.argv
    total: Counter[str] = Counter()
    for source in FILES:
        mutated = Path("mutants") / source
        if not Path(f"{mutated}.meta").exists():  # a run narrowed to fewer files
            continue
        meta = json.loads(Path(f"{mutated}.meta").read_text("utf-8"))
        kinds = classify(mutated)
        results = {
            name: "not run" if code is None else EXIT.get(code, f"exit {code}")
            for name, code in meta["exit_code_by_key"].items()
        }
        counts: Counter[tuple[str, str]] = Counter((kinds[k], r) for k, r in results.items())
        behaviour = {r: n for (kind, r), n in counts.items() if kind == "behaviour"}
        wording = {r: n for (kind, r), n in counts.items() if kind == "wording"}
        killed, whole = behaviour.get("killed", 0), sum(behaviour.values())
        print(f"{source}: killed {_percent(killed, whole)} {behaviour}")
        print(f"    wording, not scored: {sum(wording.values())} {wording}")
        total.update(
            killed=killed,
            behaviour=whole,
            wording=sum(wording.values()),
            wording_killed=wording.get("killed", 0),
        )
        if listing:
            for name, result in sorted(results.items()):
                if result != "killed":
                    print(f"    {kinds[name]:9} {result:9} {name}")
    print(f"all files: killed {_percent(total['killed'], total['behaviour'])}")
    print(f"    wording, not scored: {total['wording']} ({total['wording_killed']} killed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
