"""Review PK: the library as a vendor or an officer installs it, from a built wheel and sdist.

The build tests build the wheel and the sdist with hatchling (the project's build backend, in the
`test` extra) from a copy of the files git tracks, with stray files beside them of the kinds the
command line's own examples leave in a working copy: a case exported to JSON, a signing key, a
report. Run from a tree git does not track (an unpacked sdist), they are skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from reintegration_fsm.cli import cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "src/reintegration_fsm/"

STRAYS = (
    "case.json",  # `reintegration-fsm export DEMO-0001 > case.json` (docs/cli.md)
    "key.pem",  # `checkpoint --sign key.pem` (docs/cli.md)
    "report.xlsx",
    "tests/case.json",
    "docs/report.html",
    "src/reintegration_fsm/case.json",
    "src/reintegration_fsm/reports/report.xlsx",
    "src/reintegration_fsm/data/key.pem",
)
"""Files nobody tracks, as left in a working copy; none may be shipped."""


def _tracked() -> list[str]:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: which files are tracked is not known")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], set[str], set[str]]:
    """The tracked files, and the names in the wheel and in the sdist built from them with the
    strays beside them."""
    from hatchling.builders.sdist import SdistBuilder
    from hatchling.builders.wheel import WheelBuilder

    tracked = _tracked()
    tree = tmp_path_factory.mktemp("tree")
    for name in tracked:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tree / name)
    for name in STRAYS:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text('{"child": "Ada Nobody"}\n', "utf-8")
    out = tmp_path_factory.mktemp("dist")
    wheel = next(WheelBuilder(str(tree)).build(directory=str(out), versions=["standard"]))
    sdist = next(SdistBuilder(str(tree)).build(directory=str(out), versions=["standard"]))
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    with tarfile.open(sdist) as archive:
        in_sdist = {name.partition("/")[2] for name in archive.getnames()}
    return tracked, in_wheel, in_sdist


def test_the_wheel_ships_every_file_of_the_package_and_nothing_else(
    built: tuple[list[str], set[str], set[str]],
) -> None:
    """Templates, the seed protocol, the sample calendar, the migrations and py.typed are read at
    run time (importlib.resources): each tracked file of the package is in the wheel. Before,
    any file left in the package's folder that .gitignore does not name was shipped too."""
    tracked, in_wheel, _ = built
    package = {name.removeprefix("src/") for name in tracked if name.startswith(PACKAGE)}
    shipped = {name for name in in_wheel if ".dist-info/" not in name}
    assert package - shipped == set(), "tracked files of the package missing from the wheel"
    assert shipped - package == set(), "files shipped in the wheel that git does not track"
    for needed in (
        "reintegration_fsm/py.typed",
        "reintegration_fsm/data/sample_calendar.toml",
        "reintegration_fsm/protocol/worcestershire.toml",
        "reintegration_fsm/templates/shared/page.css",
        "reintegration_fsm/templates/case.html",
        "reintegration_fsm/cli/templates/subject_access.html",
        "reintegration_fsm/reports/templates/report.html",
        "reintegration_fsm/stores/migrations/env.py",
        "reintegration_fsm/stores/migrations/script.py.mako",
        "reintegration_fsm/stores/migrations/versions/0001_initial.py",
    ):
        assert needed in shipped


def test_the_sdist_ships_no_file_git_does_not_track(
    built: tuple[list[str], set[str], set[str]],
) -> None:
    """PK1: hatchling's sdist took every file .gitignore does not name, so a case exported in the
    working copy, a signing key or a report would have been published with a release."""
    tracked, _, in_sdist = built
    assert set(STRAYS) & in_sdist == set()
    assert in_sdist - set(tracked) <= {"PKG-INFO", ""}
    # What rebuilding and testing from the sdist needs.
    for name in tracked:
        if name.startswith((PACKAGE, "tests/", "docs/")) or name in ("pyproject.toml", "LICENSE"):
            assert name in in_sdist, name


def test_the_licence_text_travels_with_both(
    built: tuple[list[str], set[str], set[str]],
) -> None:
    """PK2: `license = "MIT"` was declared with no licence text in either artefact."""
    _, in_wheel, in_sdist = built
    assert "LICENSE" in in_sdist
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in in_wheel)


def test_the_holidays_floor_is_one_that_knows_its_years() -> None:
    """PK5: `holidays>=0.50` was allowed, but calendar.bank_holiday_years reads the
    `start_year` and `end_year` that holidays gained in 0.62: under 0.50 to 0.61 the demo, and
    every command counting school days, exited 70 ("unexpected AttributeError")."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    (floor,) = (
        re.fullmatch(r"holidays>=(\d+)\.(\d+)", spec)
        for spec in project["dependencies"]
        if spec.startswith("holidays")
    )
    assert floor is not None
    assert (int(floor[1]), int(floor[2])) >= (0, 62)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://u:s3cret@localhost/x", "--db: the database driver of 'mysql' is not installed"),
        ("oracle://u:s3cret@localhost/x", "--db: no database is named 'oracle'"),
    ],
    ids=["extra-not-installed", "dialect-without-driver"],
)
def test_db_upgrade_with_no_driver_installed_is_bad_input_as_every_command_says(
    url: str, said: str
) -> None:
    """PK3: `db upgrade` said "the database is unavailable ... Ask your database administrator"
    (exit 3, which a scheduler retries) for a pip extra not installed, where every other
    command exits 2 naming the extra."""
    result = CliRunner().invoke(cli, ["--db", url, "db", "upgrade"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert "unavailable" not in result.stderr
    assert "s3cret" not in result.output
