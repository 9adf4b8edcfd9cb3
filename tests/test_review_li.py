"""Review LI: small items left open by earlier sessions.

The PostgreSQL and MariaDB cases run when RFSM_TEST_POSTGRES_URL and RFSM_TEST_MARIADB_URL are
set (skipped when unset).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reintegration_fsm.cli import cli
from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores import SqlAlchemyStore, copy_store, migrate, parallel, schema, upgrade
from store_contract import CALENDAR

invoke: Callable[..., Any] = CliRunner().invoke

HTML = ("--format", "html")

CAP = 32
"""`CAP`, as the docs give it."""


# RR5: an absurd count of processes is refused, by both commands and both library calls.


def test_the_cap_is_the_one_the_docs_give() -> None:
    """The docs and messages say 32."""
    assert getattr(parallel, "MAX_WORKERS", None) == CAP


@pytest.mark.parametrize("workers", [CAP + 1, 10_000])
def test_verify_refuses_more_workers_than_the_cap(demo_db: str, workers: int) -> None:
    """`verify(workers=10_000)` is the caller's slip, refused as `FormInvalid` naming the cap,
    rather than up to one process per batch of cases."""
    with SqlAlchemyStore(demo_db, calendar=CALENDAR) as store:
        with pytest.raises(FormInvalid, match=f"from 1 to {CAP}, not {workers}"):
            store.verify(workers=workers)
        assert store.verify(workers=CAP) == store.verify()


def test_copy_store_refuses_more_workers_than_the_cap(demo_db: str, tmp_path: Path) -> None:
    """`copy_store(workers=10_000)`: the copy's form error, before a target file is made."""
    made = tmp_path / "target.sqlite"
    with pytest.raises(FormInvalid, match=f"from 1 to {CAP}") as refused:
        copy_store(demo_db, f"sqlite:///{made}", workers=10_000)
    assert refused.value.form == "copy"
    assert not made.exists()


@pytest.mark.parametrize("command", [["verify"], ["db", "copy", "TARGET"]])
def test_the_commands_refuse_more_workers_than_the_cap(
    demo_db: str, tmp_path: Path, command: list[str]
) -> None:
    """`verify --workers 10000` and `db copy --workers 10000`: a usage error (exit 2) naming
    the range, no traceback, no target made."""
    made = tmp_path / "target.sqlite"
    words = [str(made) if word == "TARGET" else word for word in command]
    result = invoke(cli, ["--db", demo_db, *words, "--workers", "10000"])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output
    assert f"1<=x<={CAP}" in result.output
    assert "Traceback" not in result.output
    assert not made.exists()


# MU5's c59: a version table standing alone, stamped at the newest revision.


def _bare_stamp(url: str, revision: str | None = None) -> None:
    """Make the store at `url`, then drop its tables, leaving the version table stamped at the
    newest revision (or at `revision`)."""
    upgrade(url)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        schema.metadata.drop_all(conn)
        if revision is not None:
            conn.execute(
                sa.text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = :r"), {"r": revision}
            )
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert present & schema.TABLE_NAMES == set()
    assert migrate.VERSION_TABLE in present


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mariadb"])
def test_upgrade_makes_the_store_beside_a_bare_stamp(
    database: Callable[[str, str], str], kind: str
) -> None:
    """`db upgrade` on a database holding only a version table stamped at the newest revision
    makes the store, which then takes cases and verifies sound, rather than failing on the
    first missing table and pointing at itself."""
    url = database(kind, "bare")
    _bare_stamp(url)
    result = invoke(cli, ["--db", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert invoke(cli, ["--db", url, "demo"]).exit_code == 0
    checked = invoke(cli, ["--db", url, "verify"])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mariadb"])
def test_a_copy_into_a_bare_stamp_is_made(
    database: Callable[[str, str], str], demo_db: str, kind: str
) -> None:
    """`db copy` into a target holding only a version table stamped at the newest revision
    makes the store there and copies, rather than exit 3 on a missing table."""
    target = database(kind, "target")
    _bare_stamp(target)
    result = invoke(cli, ["--db", demo_db, "db", "copy", target])
    assert result.exit_code == 0, result.output
    assert "copied 4 cases" in result.output


def test_a_bare_stamp_of_a_newer_version_is_still_refused(tmp_path: Path, demo_db: str) -> None:
    """A version table alone, stamped by a newer version: neither the upgrade nor the copy
    drops it, and each says a newer version made it."""
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    _bare_stamp(url, "9999")
    upgraded = invoke(cli, ["--db", url, "db", "upgrade"])
    assert upgraded.exit_code != 0
    assert "newer version" in upgraded.output
    copied = invoke(cli, ["--db", demo_db, "db", "copy", url])
    assert copied.exit_code == 3, copied.output
    assert "newer version" in copied.output
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert migrate.stamped(conn) == "9999"
    engine.dispose()


# AC5-AC9: the report's charts and the subject access response, read and printed.


@pytest.fixture(scope="module")
def report_html() -> str:
    """The report of the demo's cases and an invented caseload."""
    pytest.importorskip("matplotlib", reason="the HTML report needs the `reports` extra")
    import datetime as dt

    import caseload
    from reintegration_fsm import InMemoryStore
    from reintegration_fsm.demo import run as run_demo
    from reintegration_fsm.reports import academic_year, figures
    from reintegration_fsm.reports.html import render_html

    cases = [result.case for result in run_demo(InMemoryStore())] + caseload.build()
    found = figures(cases, academic_year("2025/26"), on=dt.date(2026, 7, 1))
    return render_html(found, made_on=dt.date(2026, 7, 2))


def _charts(page: str) -> list[tuple[str, str, str]]:
    """Each chart's figure tag, its SVG and its caption."""
    return re.findall(
        r"(<figure[^>]*>)\s*(<svg.*?</svg>)\s*<figcaption>(.*?)</figcaption>", page, flags=re.S
    )


def test_every_bar_is_outlined_in_ink(report_html: str) -> None:
    """AC5: orange and grey bars are below 3:1 against white; each bar of every chart has a
    dark outline, which is."""
    fills = 0
    for _, svg, _ in _charts(report_html):
        for style in re.findall(r'<path [^>]*style="(fill: #(?:e69f00|999999)[^"]*)"', svg):
            fills += 1
            assert "stroke: #222222" in style, style
    assert fills >= 3


def test_a_charts_description_is_read_once(report_html: str) -> None:
    """AC9: the description is the caption's alone: the image is named by a short title, and
    the figure by its heading (named by its caption, it would read the caption twice)."""
    found = _charts(report_html)
    assert len(found) == 8
    for figure, svg, caption in found:
        described = html.unescape(caption)
        assert described not in html.unescape(svg)
        assert "aria-label=" not in svg.split(">", 1)[0]
        key = re.search(r'aria-labelledby="([^"]+)-title"', svg)
        assert key is not None
        assert f'<title id="{key[1]}-title">Chart: ' in svg
        assert f'aria-labelledby="{key[1]}-heading"' in figure
        assert html.unescape(report_html).count(described) == 1


def test_chart_labels_stay_readable_at_320_pixels(report_html: str, tmp_path: Path) -> None:
    """AC6: at 320 CSS pixels each chart keeps a width at which its 8-point labels stay
    readable, scrolling inside its figure, which the keyboard reaches, and the page itself
    does not scroll sideways."""
    import test_report_browser as browser

    harness = """<script>
      document.documentElement.setAttribute("data-measured", JSON.stringify({
        charts: [...document.querySelectorAll("figure svg")].map(
          (svg) => svg.getBoundingClientRect().width),
        page: document.documentElement.scrollWidth,
        window: document.documentElement.clientWidth}));
    </script>"""
    page = tmp_path / "report.html"
    page.write_text(report_html.replace("</body>", harness + "</body>"), encoding="utf-8")
    result = browser.browse(page, "--dump-dom", "--window-size=320,900", profile=tmp_path / "p")
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'data-measured="([^"]*)"', result.stdout)
    assert found is not None, result.stderr[-2000:]
    value = json.loads(html.unescape(found[1]))
    assert len(value["charts"]) == 8
    assert all(width >= 540 for width in value["charts"]), value
    # (headless chromium lays a page out at 500 pixels at least, whatever --window-size says)
    assert value["window"] < 540, value
    assert value["page"] <= value["window"], value
    assert all('tabindex="0"' in figure for figure, _, _ in _charts(report_html))


def test_each_subject_access_response_has_its_own_title(demo_db: str) -> None:
    """AC7: the page title says whose records (invented names), for a case id and a child."""
    by_case = invoke(cli, ["--db", demo_db, "export", "DEMO-0002", "--format", "html"])
    assert by_case.exit_code == 0, by_case.output
    title = re.search(r"<title>(.*?)</title>", by_case.output)
    assert title is not None
    assert title[1] == (
        "Subject access response: case DEMO-0002, Quinn Placeholder: reintegration records"
    )
    born = re.search(r'Date of birth</th><td><span class="date">([\d-]+)</span>', by_case.output)
    assert born is not None
    by_pupil = invoke(
        cli,
        ["--db", demo_db, "export", "--pupil", "Quinn Placeholder", "--dob", born[1], *HTML],
    )
    assert by_pupil.exit_code == 0, by_pupil.output
    assert (
        f"<title>Subject access response: Quinn Placeholder, born {born[1]}: reintegration "
        "records</title>"
    ) in by_pupil.output


def test_the_responses_dates_do_not_break_at_the_hyphen(demo_db: str) -> None:
    """AC8: every day in the deadlines' and obligations' tables, and the date of birth, is
    kept on one line (`span.date`, `white-space: nowrap`), on A4 as on a phone."""
    result = invoke(cli, ["--db", demo_db, "export", "DEMO-0002", "--format", "html"])
    assert result.exit_code == 0, result.output
    page = result.output
    assert "span.date { white-space: nowrap; }" in page.replace("td.day, td.seq, ", "")
    cells = re.findall(r"<td>([^<]*?\d{4}-\d{2}-\d{2}[^<]*?)</td>", page)
    assert cells == []
    assert page.count('<td><span class="date">') >= 4


# XF's unsure point: `export --pupil` on a store shared by two authorities.


def test_a_response_across_two_authorities_says_so(tmp_path: Path) -> None:
    """`export --pupil` without `--authority` finds the child's cases of both authorities: the
    response holds them all, as documented, and stderr says it does and how to answer for one
    authority; with `--authority`, only that authority's cases and no warning."""
    import scenario as sc
    from test_review_xf import OTHER, _files, _filled, _protocols

    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    protocols = _protocols(tmp_path)
    _filled(url, protocols)
    asked = ["export", "--pupil", sc.PUPIL.name, "--dob", sc.PUPIL.date_of_birth.isoformat()]
    runner = CliRunner()
    both = runner.invoke(cli, ["--db", url, *_files(protocols, tmp_path), *asked])
    assert both.exit_code == 0, both.output
    assert {case["case_id"] for case in json.loads(both.stdout)["cases"]} == {"X-1", "X-2", "X-3"}
    assert "warning: the cases found are of 2 authorities" in both.stderr
    assert OTHER in both.stderr
    assert "--authority NAME" in both.stderr
    one = runner.invoke(
        cli, ["--db", url, "--authority", OTHER, *_files(protocols, tmp_path), *asked]
    )
    assert one.exit_code == 0, one.output
    assert {case["case_id"] for case in json.loads(one.stdout)["cases"]} == {"X-1", "X-2"}
    assert "warning" not in one.stderr
