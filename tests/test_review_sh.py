"""Review SH: the CSS rules every rendered page shares (the forms, the subject access response,
the report) are written once, in templates/shared/page.css, and each page still carries them
inside its one file."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli

SHARED = resources.files("reintegration_fsm") / "templates" / "shared" / "page.css"
TEMPLATES = {
    name: resources.files(package) / "templates" / file
    for name, package, file in (
        ("forms", "reintegration_fsm", "case.html"),
        ("subject access", "reintegration_fsm.cli", "subject_access.html"),
        ("report", "reintegration_fsm.reports", "report.html"),
    )
}
ENV: dict[str, str | None] = {"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}


def declarations(css: str) -> set[tuple[str, str]]:
    """Each (selector, `property: value`) the CSS declares, comments and Jinja tags aside."""
    css = re.sub(r"/\*.*?\*/|\{%.*?%\}|\{#.*?#\}", "", css, flags=re.DOTALL)
    found = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for selector in selectors.split(","):
            for declaration in body.split(";"):
                if declaration.strip():
                    name, _, value = declaration.partition(":")
                    found.add((" ".join(selector.split()), f"{name.strip()}: {value.strip()}"))
    return found


def test_no_page_template_writes_a_shared_rule_again() -> None:
    """A rule of shared/page.css written in a page too would be a second copy to keep in step
    (before, `.scroll`, `.visually-hidden`, the print breaks and the table base were in all
    three)."""
    shared = declarations(SHARED.read_text(encoding="utf-8"))
    assert ("th", "text-align: left") in shared
    for name, template in TEMPLATES.items():
        text = template.read_text(encoding="utf-8")
        assert text.count('{% include "shared/page.css" %}') == 1, name
        assert declarations(text) & shared == set(), name


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sh') / 'cases.sqlite'}"
    made = CliRunner().invoke(cli, ["--db", url, "demo"], env=ENV)
    assert made.exit_code == 0, made.output
    return url


@pytest.mark.parametrize(
    "args",
    [
        ("render", "DEMO-0001", "--html"),
        ("export", "DEMO-0001", "--format", "html"),
        ("report", "--year", "2025/26"),
    ],
    ids=["render", "export", "report"],
)
def test_each_page_carries_the_shared_rules_in_its_one_style_element(
    store: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    """The page emailed stays one file: the shared rules are inside its <style>, once, and
    nothing is linked."""
    if args[0] == "report":
        pytest.importorskip("matplotlib", reason="the HTML report needs the `reports` extra")
    out = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["--db", store, *args, "-o", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.DOTALL)
    assert len(styles) == 1
    assert styles[0].count(SHARED.read_text(encoding="utf-8")) == 1
    assert "<link" not in page
    assert "{%" not in page
