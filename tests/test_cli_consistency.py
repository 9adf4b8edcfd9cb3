"""The CLI says what it does and does what it says: calendars from wherever they are given,
flags that conflict refused, JSON failures in JSON mode, help that matches the choices, one
problem per line, and a timeline scripts can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import scenario
from reintegration_fsm.cli import cli
from reintegration_fsm.serialisation import unstructure
from test_cli import AP, commands

SAMPLE_TWENTY = ["add-school-days", "2025-10-20", "20"]


def calendar_cli(*args: str, env: dict[str, str | None] | None = None) -> Result:
    environment: dict[str, str | None] = {"RFSM_CALENDAR": None}
    environment.update(env or {})
    return CliRunner().invoke(cli, list(args), env=environment)


@pytest.fixture
def short_terms(tmp_path: Path) -> str:
    """A term-dates file of one January term."""
    toml = tmp_path / "terms.toml"
    toml.write_text(
        'source = "Invented test terms"\n[[term]]\nfirst_day = 2026-01-05\nlast_day = 2026-01-30\n',
        encoding="utf-8",
    )
    return str(toml)


# -- 5. the calendar commands honour the group's calendar ----------------------------------------
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--calendar", "sample", "calendar", *SAMPLE_TWENTY], None),
        (["calendar", *SAMPLE_TWENTY], {"RFSM_CALENDAR": "sample"}),
        (["calendar", *SAMPLE_TWENTY, "--calendar", "sample"], None),
    ],
    ids=["group-option", "environment", "command-option"],
)
def test_add_school_days_reads_the_calendar_wherever_it_is_given(
    args: list[str], env: dict[str, str | None] | None
) -> None:
    """`--calendar` before the command, RFSM_CALENDAR, or the command's own `--calendar`."""
    result = calendar_cli(*args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2025-11-25"


def test_every_calendar_command_reads_the_groups_calendar() -> None:
    """`school-days-between` and `suggest-reviews` too."""
    between = calendar_cli(
        "--calendar", "sample", "calendar", "school-days-between", "2025-10-20", "2025-11-25"
    )
    assert between.exit_code == 0, between.output
    assert between.stdout.strip() == "20"
    reviews = calendar_cli(
        "calendar", "suggest-reviews", "2026-02-23", env={"RFSM_CALENDAR": "sample"}
    )
    assert reviews.exit_code == 0, reviews.output
    assert len(reviews.stdout.split()) == 3


def test_the_commands_own_calendar_takes_the_groups_place(short_terms: str) -> None:
    """A `--calendar` given to the command itself is the one used."""
    own = calendar_cli(
        "--calendar", short_terms, "calendar", *SAMPLE_TWENTY, "--calendar", "sample"
    )
    assert own.stdout.strip() == "2025-11-25"
    group = calendar_cli("--calendar", short_terms, "calendar", *SAMPLE_TWENTY)
    assert group.exit_code == 2  # October 2025 is outside the one January term
    assert "2025-10-20" in group.stderr


def test_no_calendar_at_all_says_where_to_give_one() -> None:
    """Neither option nor environment: exit 2 naming both ways."""
    result = calendar_cli("calendar", *SAMPLE_TWENTY)
    assert result.exit_code == 2
    assert "--calendar" in result.stderr
    assert "RFSM_CALENDAR" in result.stderr


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("-3", "Invalid value for 'N': must be 0 or more, not -3"),
        ("three", "Invalid value for 'N': must be a whole number"),
    ],
)
def test_a_count_of_school_days_that_is_not_one_says_what_n_must_be(
    count: str, message: str
) -> None:
    """`-3` is N, not an unknown option: the usage error explains N."""
    result = calendar_cli(
        "calendar", "add-school-days", "2026-03-02", count, "--calendar", "sample"
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert "No such option" not in result.stderr


# -- 6. conflicting flags ------------------------------------------------------------------------
def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", url, *args], env={"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    )


def test_render_refuses_html_and_text_together(demo_db: str) -> None:
    """`--html --text` is a usage error (exit 2), not the last flag silently winning."""
    for flags in (["--html", "--text"], ["--text", "--html"]):
        result = invoke(demo_db, "render", "DEMO-0001", *flags)
        assert result.exit_code == 2
        assert "--html and --text conflict" in result.stderr
        assert result.stdout == ""
    assert invoke(demo_db, "render", "DEMO-0001", "--html").stdout.startswith("<!DOCTYPE html>")
    assert "<" not in invoke(demo_db, "render", "DEMO-0001", "--text").stdout


# -- 7. JSON mode fails in JSON ------------------------------------------------------------------
def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


@pytest.fixture
def opened(tmp_path: Path) -> str:
    """A database with case C-1 just opened."""
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    data = write(
        tmp_path / "open.json",
        {
            "pupil": unstructure(scenario.PUPIL),
            "ap_setting": scenario.AP_SETTING,
            "local_authority": scenario.AUTHORITY,
        },
    )
    result = invoke(url, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    assert result.exit_code == 0, result.output
    return url


def json_failure(result: Result, code: int) -> dict[str, Any]:
    """A failure in JSON mode: the exit code, one JSON object on stdout, nothing on stderr."""
    assert result.exit_code == code, result.output
    assert result.stderr == ""
    failure = json.loads(result.stdout)
    # `rules` beside `reasons` when the protocol's rules refused, one for each reason.
    assert set(failure) - {"rules"} == {"error", "reasons", "exit_code"}
    if "rules" in failure:
        assert len(failure["rules"]) == len(failure["reasons"])
    assert failure["exit_code"] == code
    assert isinstance(failure["reasons"], list)
    return dict(failure)


def test_a_refusal_in_json_mode_is_a_json_object_with_every_reason(
    opened: str, tmp_path: Path
) -> None:
    """Exit 1; `reasons` holds each unmet condition, as the text mode's lines do."""
    form = scenario.consent(agrees=False, consent_to_share=False, signed_on=None)
    data = write(tmp_path / "consent.json", {"form": unstructure(form)})
    args = ["apply", "C-1", "record_consent", "--data", data, *AP, "--on", "2026-01-14"]
    failure = json_failure(invoke(opened, *args, "--format", "json"), 1)
    assert failure["error"] == "record_consent refused by the protocol's rules"
    assert len(failure["reasons"]) == 3
    assert failure["rules"] == ["R2", "R2", "R2"]
    text = invoke(opened, *args)
    assert [f"  - {reason}" for reason in failure["reasons"]] == text.stderr.splitlines()[1:]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["C-1", "withdraw", "--data", "{missing}"], 2, "cannot read"),
        (["C-404", "withdraw"], 2, "bad data for withdraw"),
        (["C-1", "start_placement"], 1, "not available in stage 'proposed'"),
        (["C-1", "teleport"], 2, "unknown trigger 'teleport'"),
        (["C-1", "note_at_panel", "--role", "wizard"], 2, "'wizard' is not one of"),
    ],
    ids=["unreadable-file", "missing-argument", "wrong-stage", "unknown-trigger", "bad-role"],
)
def test_every_failure_of_apply_in_json_mode_is_json(
    opened: str, tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    """Bad files, bad data, wrong stages, even a bad option value: JSON, same exit codes."""
    args = [str(tmp_path / "nowhere.json") if a == "{missing}" else a for a in args]
    actor = AP if "--role" not in args else [a for a in AP if a != "ap_head" and a != "--role"]
    result = invoke(opened, "apply", *args, *actor, "--format", "json")
    failure = json_failure(result, code)
    assert words in failure["error"] + " ".join(failure["reasons"])


def test_json_failures_for_other_commands_too(demo_db: str) -> None:
    """An unknown case for `history`, `due` with a bad authority: JSON in JSON mode."""
    json_failure(invoke(demo_db, "history", "NOPE", "--format", "json"), 2)
    json_failure(invoke(demo_db, "timeline", "NOPE", "--format", "json"), 2)
    json_failure(
        invoke(demo_db, "--authority", "A", "due", "--authority", "B", "--format", "json"), 2
    )


# -- 8. help that matches the choices ------------------------------------------------------------
FORMAT_WORDS = ("table", "text", "json", "csv", "xlsx", "mermaid", "dot")


def format_options() -> list[tuple[str, click.Option]]:
    found = []
    for path in commands(cli):
        command: Any = cli
        for name in path:
            command = command.commands[name]
        for param in command.params:
            if isinstance(param, click.Option) and "--format" in param.opts:
                found.append((" ".join(path), param))
    return found


@pytest.mark.parametrize(("command", "option"), format_options(), ids=lambda x: str(x))
def test_every_format_help_names_exactly_its_choices(command: str, option: click.Option) -> None:
    """No "JSON / CSV" on a `[text|json]` option: each format named iff it can be chosen."""
    assert isinstance(option.type, click.Choice)
    choices = set(option.type.choices)
    assert option.help is not None
    words = option.help.lower()
    for word in FORMAT_WORDS:
        assert (word in words) == (word in choices), (command, word, option.help)


# -- 9. one problem per line ---------------------------------------------------------------------
def test_each_missing_or_wrong_field_is_its_own_line(opened: str, tmp_path: Path) -> None:
    """A consent form missing five fields and with one wrong type: six lines, one each."""
    form = unstructure(scenario.consent())
    for name in ("agrees", "consent_to_share", "signed_by", "signed_on", "understands_reasons"):
        del form[name]
    form["child_name"] = 3
    data = write(tmp_path / "consent.json", {"form": form})
    result = invoke(opened, "apply", "C-1", "record_consent", "--data", data, *AP)
    assert result.exit_code == 2
    reasons = result.stderr.splitlines()[1:]
    assert len(reasons) == 6, result.stderr
    for name in ("agrees", "consent_to_share", "signed_by", "signed_on", "understands_reasons"):
        (line,) = [r for r in reasons if f"ConsentForm.{name}:" in r]
        assert line.endswith("required field missing")
    (typed,) = [r for r in reasons if "ConsentForm.child_name:" in r]
    assert typed.endswith("must be text, not 3")


def test_each_problem_of_a_form_is_its_own_line_in_text_and_json(
    opened: str, tmp_path: Path
) -> None:
    """A consent form with a date of birth in the future, a yes/no answered "yes" and a
    signature of two lines: three lines at once, though cattrs refuses only one of them."""
    form = unstructure(scenario.consent())
    form.update(child_dob="2999-01-01", agrees="yes", signed_by="Dana\nExample")
    data = write(tmp_path / "consent.json", {"form": form})
    args = ["apply", "C-1", "record_consent", "--data", data, *AP, "--on", "2026-01-14"]
    failure = json_failure(invoke(opened, *args, "--format", "json"), 2)
    assert failure["reasons"] == [
        "'form': ConsentForm.child_dob: 2999-01-01 is in the future",
        "'form': ConsentForm.agrees: must be True or False, not 'yes'",
        "'form': ConsentForm.signed_by: must be on one line",
    ]
    text = invoke(opened, *args)
    assert [f"  - {reason}" for reason in failure["reasons"]] == text.stderr.splitlines()[1:]


def test_each_bad_argument_of_a_step_is_its_own_line(tmp_path: Path) -> None:
    """`open` with an AP setting of two lines and an authority holding a bell character."""
    data = write(
        tmp_path / "open.json",
        {
            "pupil": unstructure(scenario.PUPIL),
            "ap_setting": "Brookfield\nLearning Centre",
            "local_authority": "Example \x07County",
        },
    )
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    result = invoke(url, "apply", "C-1", "open", "--data", data, *AP, "--on", "2026-01-12")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: open: 2 problems",
        "  - open.ap_setting: must be on one line",
        "  - open.local_authority: holds a control character (U+0007 at position 8)",
    ]


def test_each_problem_of_a_form_in_an_imported_history_is_its_own_line(
    demo_db: str, tmp_path: Path
) -> None:
    """A history whose consent form has two bad answers does not replay: a line for each."""
    exported = json.loads(invoke(demo_db, "export", "DEMO-0003").stdout)
    (consent,) = [t for t in exported["history"] if t["trigger"] == "record_consent"]
    consent["data"]["form"].update(agrees="yes", signed_by="Dana\nExample")
    data = write(tmp_path / "bad.json", exported)
    result = invoke(f"sqlite:///{tmp_path / 'new.sqlite'}", "import", data)
    assert result.exit_code == 2
    seq = consent["seq"]
    prefix = f"  - case DEMO-0003: the history does not replay: history.{seq}: record_consent:"
    assert result.stderr.splitlines()[1:] == [
        f"{prefix} ConsentForm.agrees: must be True or False, not 'yes'",
        f"{prefix} ConsentForm.signed_by: must be on one line",
    ]


# -- 10. the timeline as JSON --------------------------------------------------------------------
def test_timeline_as_json_tells_the_same_story(demo_db: str) -> None:
    """Each step's who, when and what; deadlines set and met; obligations opened; the rest."""
    timeline = json.loads(invoke(demo_db, "timeline", "DEMO-0004", "--format", "json").stdout)
    history = json.loads(invoke(demo_db, "history", "DEMO-0004", "--format", "json").stdout)
    assert timeline["case_id"] == "DEMO-0004"
    assert timeline["pupil"] == {"name": "Morgan Exemplar", "date_of_birth": "2012-11-30"}
    assert timeline["stage"] == "host_identified"
    assert [s["seq"] for s in timeline["steps"]] == [t["seq"] for t in history]
    assert [s["by"]["name"] for s in timeline["steps"]] == [t["actor"]["name"] for t in history]
    referral, offer = timeline["steps"][2], timeline["steps"][3]
    assert referral["deadlines_set"] == [{"kind": "place_offer", "due": "2026-04-13"}]
    (met,) = offer["deadlines_met"]
    assert met["status"] == "breached"
    assert met["late"] == {"days": 22, "unit": "days"}
    assert {o["kind"] for o in offer["obligations_opened"]} == {
        "share_information_with_host",
        "offer_visit",
    }
    assert offer["what"].startswith("identified the host school")
    assert [d["status"] for d in timeline["deadlines"]] == ["breached"]
    assert {o["kind"] for o in timeline["obligations_open"]} == {
        "share_information_with_host",
        "offer_visit",
    }


def test_timeline_json_counts_lateness_in_school_days_with_a_calendar(demo_db: str) -> None:
    """With `--calendar`, lateness is in school days, as the text timeline says."""
    result = CliRunner().invoke(
        cli,
        ["--db", demo_db, "--calendar", "sample", "timeline", "DEMO-0004", "--format", "json"],
    )
    (deadline,) = json.loads(result.stdout)["deadlines"]
    assert deadline["late"] == {"days": 15, "unit": "school days"}
    text = CliRunner().invoke(
        cli, ["--db", demo_db, "--calendar", "sample", "timeline", "DEMO-0004"]
    )
    assert "15 school days late" in text.stdout


def test_timeline_json_of_an_ended_case(demo_db: str) -> None:
    """Deadlines an ended case no longer needs, discharges, and `--on` as the date judged."""
    timeline = json.loads(
        invoke(demo_db, "timeline", "DEMO-0002", "--on", "2026-06-01", "--format", "json").stdout
    )
    assert timeline["as_of"] == "2026-06-01"
    assert timeline["stage"] == "unsuccessful"
    assert "not_needed" in {d["status"] for d in timeline["deadlines"]}
    assert any(step["trigger"] == "call_emergency_review" for step in timeline["steps"])


# -- 13. the README's test section ---------------------------------------------------------------
README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_documents_the_test_databases() -> None:
    """Both variables, what they are, the local example URLs, and that unreachable fails."""
    text = README.read_text(encoding="utf-8")
    assert "pip install . && reintegration-fsm demo" in text
    assert "pip install -e '.[test]' && pytest" in text
    for variable, example in (
        ("RFSM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        ("RFSM_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
    ):
        (row,) = [line for line in text.splitlines() if line.startswith(f"| `{variable}`")]
        assert f"`{example}`" in row
        assert "SQLAlchemy URL" in row
    assert "unreachable, they **fail**" in text
    assert "skipped" in text


def test_a_step_refused_for_want_of_an_organisation_says_to_give_one(
    opened: str, tmp_path: Path
) -> None:
    """An officer who forgot --organisation is told to give it, not only who they act for."""
    data = write(tmp_path / "withdraw.json", {"reason": "The family is moving away."})
    actor = AP[: AP.index("--organisation")]
    result = invoke(opened, "apply", "C-1", "withdraw", "--data", data, *actor)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "  - Name who they act for: --organisation ORG."
    given = invoke(
        opened, "apply", "C-1", "withdraw", "--data", data, *actor, "--organisation", "Elsewhere"
    )
    assert given.exit_code == 1
    assert "--organisation ORG" not in given.stderr


def test_each_problem_of_an_imported_transition_is_its_own_line(
    demo_db: str, tmp_path: Path
) -> None:
    """An actor missing its name and with a made-up role: two lines, without cattrs' `@ path`."""
    exported = json.loads(invoke(demo_db, "export", "DEMO-0003").stdout)
    actor = exported["history"][2]["actor"]
    actor["role"] = "boss"
    del actor["name"]
    data = write(tmp_path / "bad.json", exported)
    result = invoke(f"sqlite:///{tmp_path / 'new.sqlite'}", "import", data)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == [
        "  - case DEMO-0003, transition 3: Transition.actor.name: required field missing",
        "  - case DEMO-0003, transition 3: Transition.actor.role: 'boss' is not a Role (one of: "
        "ap_head, ap_staff, host_head, host_staff, la_admissions, parent, child)",
    ]


# -- suggest-reviews proposes the weeks of the protocol a case runs under ------------------------
EXAMPLESHIRE = str(Path(__file__).resolve().parent.parent / "docs/examples/exampleshire.toml")


@pytest.mark.parametrize("under", ["exampleshire", "exampleshire@2027.1"])
def test_suggest_reviews_proposes_the_weeks_of_the_protocol_under_names(under: str) -> None:
    """With Exampleshire's protocol (review weeks 3, 5 and 8) registered, the command proposed
    the seed's 2, 4 and 6 weeks, saying nothing and taking no protocol (found by a review)."""
    result = calendar_cli(
        "--protocol", EXAMPLESHIRE, "--calendar", "sample",
        "calendar", "suggest-reviews", "2025-09-08", "--under", under,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["2025-09-29", "2025-10-13", "2025-10-24"]
    assert result.stderr == (
        "note: reviews at 3, 5 and 8 weeks, the review weeks of exampleshire@2027.1\n"
    )


def test_suggest_reviews_without_under_proposes_the_seeds_weeks_and_says_so() -> None:
    """The default is the protocol `apply ... open` opens a case under: the seed's."""
    result = calendar_cli(
        "--protocol", EXAMPLESHIRE, "--calendar", "sample",
        "calendar", "suggest-reviews", "2025-09-08",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["2025-09-22", "2025-10-06", "2025-10-20"]
    assert (
        result.stderr == "note: reviews at 2, 4 and 6 weeks, the review weeks of worcestershire@3\n"
    )


def test_suggest_reviews_reads_rfsm_under_where_no_under_is_given() -> None:
    """RFSM_UNDER, the deployment's protocol, is the default of --under here as for `apply
    ... open`: the weeks of the protocol its cases open under; a typed --under wins, and a bad
    value is refused (exit 2) naming the variable."""
    args = ["--protocol", EXAMPLESHIRE, "--calendar", "sample", "calendar", "suggest-reviews"]
    result = calendar_cli(*args, "2025-09-08", env={"RFSM_UNDER": "exampleshire"})
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["2025-09-29", "2025-10-13", "2025-10-24"]
    assert result.stderr == (
        "note: reviews at 3, 5 and 8 weeks, the review weeks of exampleshire@2027.1, named by "
        "RFSM_UNDER\n"
    )
    typed = calendar_cli(
        *args, "2025-09-08", "--under", "worcestershire@3", env={"RFSM_UNDER": "nowhere"}
    )
    assert typed.exit_code == 0, typed.output
    assert typed.stdout.split() == ["2025-09-22", "2025-10-06", "2025-10-20"]
    bad = calendar_cli(*args, "2025-09-08", env={"RFSM_UNDER": "nowhere"})
    assert bad.exit_code == 2, bad.output
    assert bad.stderr.startswith("error: RFSM_UNDER: no protocol 'nowhere' is known\n")
    assert "Traceback" not in bad.output


def test_suggest_reviews_under_an_unknown_protocol_is_refused_naming_the_known() -> None:
    unknown = calendar_cli(
        "--calendar", "sample", "calendar", "suggest-reviews", "2025-09-08", "--under", "nowhere"
    )
    assert unknown.exit_code == 2
    assert "no protocol 'nowhere' is known" in unknown.stderr
