"""Review AV: what a protocol file's author reads when a value is refused, and a list that
names one party twice.

An officer of an invented authority (Moorvale Council) writes its protocol in TOML. These tests
pin that a refusal quotes a value as the officer wrote it (`true`, `[3, 3, 8]`, `"text"`), not
as Python writes it (`True`, `(3, 3, 8)`, `'text'`), and that a list field naming an entry twice
is loaded, with a warning naming the line and the entry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result

from reintegration_fsm import WORCESTERSHIRE, FormInvalid, Protocol, ProtocolDefinitionError
from reintegration_fsm.cli import cli

MOORVALE = """\
# Moorvale Council (invented for review AV)
id = "moorvale"
version = "1"
title = "Moorvale Council Reintegration Protocol"
source = "Invented for review AV"
effective_from = 2025-09-01
"""
"""Six lines: a key on the next line is on line 7."""


def refused(text: str) -> ProtocolDefinitionError:
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.from_toml(text, "moorvale.toml")
    return caught.value


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# -- AV1: a refusal quotes a value as TOML writes it --------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        ("edition = true", "edition", "must be one of (1, 2, 3), not true"),
        ("review_weeks = [3, 3, 8]", "review_weeks", "must increase from above 0, not [3, 3, 8]"),
        (
            "place_offer_school_days = false",
            "place_offer_school_days",
            "must be a whole number above 0, not false",
        ),
        (
            "weighting_points = 2.5",
            "weighting_points",
            "must be a whole number, 0 or more, not 2.5",
        ),
        ("retention_years = inf", "retention_years", "must be a whole number above 0, not inf"),
        (
            'joiners_return_days = "5"',
            "joiners_return_days",
            'must be a whole number above 0, not "5"',
        ),
        (
            "review_weeks = { first = 2, final = 6 }",
            "review_weeks",
            "must be three whole numbers of weeks (two interim reviews and the final one), "
            "not { first = 2, final = 6 }",
        ),
    ],
    ids=["bool", "list", "false", "float", "inf", "text", "inline-table"],
)
def test_a_refused_value_is_quoted_as_the_file_wrote_it(
    line: str, field: str, problem: str
) -> None:
    error = refused(MOORVALE + line + "\n")
    assert (error.field, error.line, error.problem) == (field, 7, problem)


def test_a_date_and_time_where_a_date_is_wanted_is_quoted_in_toml() -> None:
    """`datetime.datetime(2025, 9, 1, 10, 0)` was what the officer read for their own line; it
    is quoted as written, and says what to write instead (AV4)."""
    text = MOORVALE.replace("effective_from = 2025-09-01", "effective_from = 2025-09-01T10:00:00")
    error = refused(text)
    assert (error.field, error.line) == ("effective_from", 6)
    assert error.problem == (
        "must be a date, not 2025-09-01T10:00:00: give the date alone (2025-09-01)"
    )
    error = refused(MOORVALE.replace('version = "1"', "version = 2025-09-01"))
    assert (error.field, error.problem) == ("version", "must be text, not 2025-09-01")


def test_an_item_and_text_are_quoted_in_double_quotes_and_what_prints_nothing_escaped() -> None:
    error = refused(MOORVALE + 'review_parties = ["ap", "parnet"]\n')
    assert error.problem.endswith(', not "parnet"'), error.problem
    error = refused(MOORVALE + 'review_parties = ["ap", "parent\\u00a0"]\n')
    assert ', not "parent\\u00A0": it holds' in error.problem, error.problem
    error = refused(MOORVALE.replace('title = "Moorvale', 'title = "   "\n# "Moorvale'))
    assert error.problem == 'must be non-empty text, not "   "'


def test_a_value_no_toml_holds_is_still_quoted_as_python_writes_it() -> None:
    """A protocol built in code may be given what no file can hold: it is still named."""
    with pytest.raises(ProtocolDefinitionError) as caught:
        attrs.evolve(WORCESTERSHIRE, edition=None)
    assert caught.value.problem == "must be one of (1, 2, 3), not None"


def test_an_argument_given_in_code_is_quoted_as_python_writes_it() -> None:
    """`evidence_for`'s arguments come from a caller's code, not a protocol file."""
    with pytest.raises(FormInvalid) as caught:
        WORCESTERSHIRE.evidence_for(looked_after="yes", key_stage=4)  # type: ignore[arg-type]
    assert caught.value.problem == "must be True or False, not 'yes'"


def test_to_toml_writes_what_prints_nothing_as_an_escape_that_reads_back() -> None:
    """`to_toml` and the refusals write a value one way; an escape reads back as the text."""
    protocol = attrs.evolve(
        WORCESTERSHIRE,
        id="moorvale",
        source='Quoted "so"\tand\\or\u00a0here',
        effective_from=dt.date(2025, 9, 1),
    )
    text = protocol.to_toml()
    assert 'source = "Quoted \\"so\\"\\tand\\\\or\\u00A0here"\n' in text
    assert Protocol.from_toml(text) == protocol


def test_check_prints_the_value_as_written(tmp_path: Path) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text(MOORVALE + "review_weeks = [3, 3, 8]\n", encoding="utf-8")
    result = invoke("protocol", "check", str(draft))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "error: protocol file "
        f"{draft}, line 7: review_weeks: must increase from above 0, not [3, 3, 8]"
    ), result.stderr


# -- AV2: an entry a list names twice loads, with a warning at its line -------------------------


def test_a_party_named_twice_loads_and_is_warned_of_at_its_line() -> None:
    text = MOORVALE + 'review_parties = ["ap", "ap", "host"]\n'
    assert Protocol.from_toml(text).review_parties == {"ap", "host"}
    assert Protocol.file_warnings(text) == (
        (
            "review_parties",
            'names "ap" twice, which counts as once: was another entry meant?',
            7,
        ),
    )


def test_a_list_naming_each_entry_once_has_no_warning() -> None:
    text = MOORVALE + 'review_parties = ["ap", "parent", "host"]\n[roles]\nwithdraw = ["ap_head"]\n'
    assert Protocol.file_warnings(text) == ()
    assert Protocol.file_warnings(WORCESTERSHIRE.to_toml()) == ()


def test_every_list_where_a_repeat_means_nothing_is_warned_of_in_the_files_order() -> None:
    """Evidence, roles in a table or an inline table, a list over several lines (at its key's
    line), and an entry given three times."""
    text = (
        MOORVALE
        + 'roles = { hold_review = ["ap_head", "ap_head"] }\n'
        + 'required_evidence = [\n  "psp",\n  "psp", "psp",\n]\n'
        + 'emergency_review_parties = ["la", "host", "ap", "la", "parent", "ap"]\n'
    )
    Protocol.from_toml(text)  # loads
    found = [
        (field, line, warning.split(",")[0])
        for field, warning, line in Protocol.file_warnings(text)
    ]
    assert found == [
        ("roles.hold_review", 7, 'names "ap_head" twice'),
        ("required_evidence", 8, 'names "psp" 3 times'),
        ("emergency_review_parties", 12, 'names "la" twice'),
        ("emergency_review_parties", 12, 'names "ap" twice'),
    ]


def test_review_weeks_repeated_are_refused_not_warned_of() -> None:
    """Weeks are a sequence, where a repeat means something: it is refused (AV1 quotes it)."""
    text = MOORVALE + "review_weeks = [3, 3, 8]\n"
    assert Protocol.file_warnings(text) == ()
    assert refused(text).field == "review_weeks"


def test_file_warnings_of_text_that_is_no_toml_is_a_protocol_definition_error() -> None:
    with pytest.raises(ProtocolDefinitionError) as caught:
        Protocol.file_warnings('review_parties = ["ap", "ap"')
    assert caught.value.field == "(file)"


def test_check_says_ok_and_warns_on_stderr_of_a_repeated_entry(tmp_path: Path) -> None:
    draft = tmp_path / "moorvale.toml"
    draft.write_text(MOORVALE + '[roles]\nwithdraw = ["ap_head", "parent", "ap_head"]\n', "utf-8")
    result = invoke("protocol", "check", str(draft))
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: moorvale 1 (Moorvale Council Reintegration Protocol)\n"
    assert result.stderr == (
        f'warning: protocol file {draft}, line 8: roles.withdraw: names "ap_head" twice, which '
        "counts as once: was another entry meant?\n"
    )


def test_check_of_a_file_without_a_repeat_prints_no_warning(tmp_path: Path) -> None:
    draft = tmp_path / "moorvale.toml"
    draft.write_text(MOORVALE + '[roles]\nwithdraw = ["ap_head", "parent"]\n', "utf-8")
    result = invoke("protocol", "check", str(draft))
    assert (result.exit_code, result.stderr) == (0, "")


def test_check_of_a_refused_file_gives_its_problems_and_no_warning(tmp_path: Path) -> None:
    draft = tmp_path / "moorvale.toml"
    draft.write_text(MOORVALE + 'review_parties = ["ap", "ap", "parnet"]\n', "utf-8")
    result = invoke("protocol", "check", str(draft))
    assert result.exit_code == 2
    assert "warning" not in result.stderr
    assert result.stderr.startswith(f"error: protocol file {draft}, line 7: review_parties:")


# -- AV4: a date written in quotes is told to lose them ------------------------------------------


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        (
            '"2025-09-01"',
            'must be a date, not "2025-09-01": remove the quotes, as TOML dates are bare '
            "(2025-09-01)",
        ),
        (
            '"1 September 2025"',
            'must be a date, not "1 September 2025": write the date bare, year-month-day, '
            "without quotes",
        ),
        ("2025", "must be a date, not 2025"),
    ],
    ids=["quoted-date", "quoted-words", "number"],
)
def test_a_date_written_in_quotes_is_told_what_to_write(written: str, problem: str) -> None:
    """`"2025-09-01"` quoted back read as the very date the officer meant to give."""
    error = refused(MOORVALE.replace("effective_from = 2025-09-01", f"effective_from = {written}"))
    assert (error.field, error.line, error.problem) == ("effective_from", 6, problem)


def test_a_bare_date_is_taken() -> None:
    assert Protocol.from_toml(MOORVALE).effective_from == dt.date(2025, 9, 1)
