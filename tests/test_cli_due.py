"""The due list an officer works from: filters, stable columns, and spreadsheets Excel opens."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import xml.dom.minidom
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

import scenario
from reintegration_fsm.cli import cli, printing, views
from reintegration_fsm.cli.output import Sheet, render_workbook, render_xlsx
from reintegration_fsm.serialisation import unstructure
from test_cli import AP, run

ON = "2026-12-31"
COLUMNS = ("due", "status", "case_id", "item", "kind", "owner")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
NAME = "Siân Ó Briain"


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--db", url, *args], env={"RFSM_CALENDAR": None, "RFSM_AUTHORITY": None}
    )


def due(url: str, *args: str) -> list[dict[str, Any]]:
    """The due list as JSON, on `ON` unless `args` give `--on` (an option given twice with two
    values is refused)."""
    on = () if "--on" in args else ("--on", ON)
    result = invoke(url, "due", *on, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


# -- 12. filters ---------------------------------------------------------------------------------
@pytest.mark.parametrize("owner", ["ap", "host", "la"])
def test_owner_keeps_only_what_that_party_owes(demo_db: str, owner: str) -> None:
    """`--owner` lists the obligations that party owes, and nothing else."""
    everything = due(demo_db)
    mine = due(demo_db, "--owner", owner)
    assert mine
    assert all(item["owner"] == owner for item in mine)
    assert mine == [item for item in everything if item["owner"] == owner]


def test_an_unknown_owner_is_bad_usage(demo_db: str) -> None:
    """Only ap, host and la owe obligations."""
    result = invoke(demo_db, "due", "--owner", "parent")
    assert result.exit_code == 2
    assert "'ap', 'host', 'la'" in result.stderr


def test_case_keeps_one_case_or_several(demo_db: str) -> None:
    """`--case ID` (repeatable) keeps those cases' items, in the list's order."""
    everything = due(demo_db)
    one = due(demo_db, "--case", "DEMO-0002")
    assert one
    assert {item["case_id"] for item in one} == {"DEMO-0002"}
    two = due(demo_db, "--case", "DEMO-0002", "--case", "DEMO-0004")
    assert two == [i for i in everything if i["case_id"] in ("DEMO-0002", "DEMO-0004")]
    # A case the database does not hold is refused, as a school it has no case at is: a
    # mistyped id never reads as "nothing due".
    unknown = invoke(demo_db, "due", "--on", ON, "--case", "NO-SUCH-CASE", "--format", "json")
    assert unknown.exit_code == 2
    assert json.loads(unknown.stdout)["error"] == "no case 'NO-SUCH-CASE'"


def test_school_keeps_the_cases_with_that_ap_setting_or_host(demo_db: str) -> None:
    """`--school NAME` keeps the items of the cases at that school, AP setting or host, as
    `cases --school` lists them; with --as-of, the schools as they stood then."""
    everything = due(demo_db)
    host = due(demo_db, "--school", "Millbridge High School")
    assert {item["case_id"] for item in host} == {"DEMO-0002", "DEMO-0004"}
    assert host == [i for i in everything if i["case_id"] in ("DEMO-0002", "DEMO-0004")]
    assert due(demo_db, "--school", "Larkspur Learning Centre") == everything
    # On 20 April DEMO-0004's place offer was overdue, and its host not yet found (5 May).
    then = due(demo_db, "--as-of", "2026-04-20")
    assert ("DEMO-0004", "place_offer") in {(i["case_id"], i["kind"]) for i in then}
    at_host = due(demo_db, "--as-of", "2026-04-20", "--school", "Millbridge High School")
    assert at_host == [i for i in then if i["case_id"] == "DEMO-0002"]
    assert at_host != []
    assert due(demo_db, "--as-of", "2026-04-20", "--school", "Larkspur Learning Centre") == then


def test_a_school_with_no_cases_is_bad_input_naming_the_schools(demo_db: str) -> None:
    """A misspelt school must not look like an empty list."""
    result = invoke(demo_db, "due", "--school", "Millbridge High")
    assert result.exit_code == 2
    assert "no cases at school 'Millbridge High'" in result.stderr
    assert "'Millbridge High School'" in result.stderr
    assert result.stdout == ""


def test_a_school_typed_in_other_capitals_lists_its_cases(demo_db: str) -> None:
    """`due --school` reads a school's name as the rules do: in capitals, it is the same
    school, not "no cases at school"."""
    assert due(demo_db, "--school", "MILLBRIDGE HIGH SCHOOL") == due(
        demo_db, "--school", "Millbridge High School"
    )
    assert due(demo_db, "--school", "Millbridge High School")


def test_overdue_keeps_what_is_past_due_on_the_date(demo_db: str) -> None:
    """`--overdue`: only dated items whose date has passed on `--on`."""
    everything = due(demo_db)
    late = due(demo_db, "--overdue")
    assert late
    assert late == [i for i in everything if i["due"] is not None and i["due"] < ON]
    assert len(late) < len(everything)  # the undated obligations are not overdue
    assert due(demo_db, "--overdue", "--on", "2026-01-01") == []
    quiet = invoke(demo_db, "due", "--overdue", "--on", "2026-01-01")
    assert "nothing overdue by 2026-01-01" in quiet.stdout


def test_filters_combine(demo_db: str) -> None:
    """Owner, case and overdue together narrow to their intersection."""
    both = due(demo_db, "--owner", "host", "--case", "DEMO-0002", "--overdue")
    assert both
    assert all(
        (i["owner"], i["case_id"], i["status"]) == ("host", "DEMO-0002", "overdue") for i in both
    )


def test_the_columns_are_stable_and_documented(demo_db: str) -> None:
    """Every format has the same columns, in the order docs/cli.md lists them; the first six
    are those of the first release (new ones only ever follow them)."""
    assert views.DUE_COLUMNS[: len(COLUMNS)] == COLUMNS
    assert all(tuple(item) == views.DUE_COLUMNS for item in due(demo_db))
    csv_text = invoke(demo_db, "due", "--on", ON, "--format", "csv").stdout
    assert csv_text.lstrip("\ufeff").splitlines()[0] == ",".join(views.DUE_COLUMNS)
    table = invoke(demo_db, "due", "--on", ON).stdout
    assert table.split()[: len(views.DUE_COLUMNS)] == [c.upper() for c in views.DUE_COLUMNS]
    documented = re.search(r"Columns, in this order: (.+?)\.", DOCS.read_text(), re.S)
    assert documented is not None
    assert re.findall(r"`(\w+)`", documented.group(1)) == list(views.DUE_COLUMNS)


# -- 11. CSV that Excel opens --------------------------------------------------------------------
@pytest.fixture
def named_db(tmp_path: Path) -> str:
    """A case opened and acted on by people whose names are not ASCII."""
    url = f"sqlite:///{tmp_path / 'names.sqlite'}"
    data = tmp_path / "open.json"
    pupil = {**unstructure(scenario.PUPIL), "name": NAME}
    data.write_text(
        json.dumps(
            {"pupil": pupil, "ap_setting": scenario.AP_SETTING, "local_authority": "Cyngor Gwynedd"}
        ),
        encoding="utf-8",
    )
    actor = [a if a != "Morgan Reed" else "Ffion Ní Bhriain" for a in AP]
    result = invoke(url, "apply", "C-1", "open", "--data", str(data), *actor, "--on", "2026-01-12")
    assert result.exit_code == 0, result.output
    return url


def test_csv_starts_with_a_bom_and_keeps_names_intact(named_db: str, tmp_path: Path) -> None:
    """UTF-8 with a byte order mark, on stdout and in a file: Excel shows "Ffion Ní Bhriain"."""
    printed = invoke(named_db, "history", "C-1", "--format", "csv")
    assert printed.stdout_bytes.startswith(b"\xef\xbb\xbf")
    assert "Ffion Ní Bhriain".encode() in printed.stdout_bytes
    out = tmp_path / "history.csv"
    assert invoke(named_db, "history", "C-1", "--format", "csv", "-o", str(out)).exit_code == 0
    written = out.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    assert written.count(b"\xef\xbb\xbf") == 1
    assert "Ffion Ní Bhriain".encode() in written
    assert written.decode("utf-8-sig").splitlines()[0].startswith("seq,on,trigger")


def test_csv_through_a_real_pipe_is_the_same_bytes(named_db: str, tmp_path: Path) -> None:
    """What a shell redirect writes (`> file.csv`) carries the BOM and the accents too."""
    result = run("--db", named_db, "history", "C-1", "--format", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeffseq,")
    assert "Ffion Ní Bhriain" in result.stdout


# -- 11. xlsx ------------------------------------------------------------------------------------
def test_due_as_xlsx_has_typed_dates_a_bold_frozen_header(demo_db: str, tmp_path: Path) -> None:
    """Real date cells, a bold header row, panes frozen under it, the same rows as JSON."""
    out = tmp_path / "due.xlsx"
    result = invoke(demo_db, "due", "--on", ON, "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header == list(views.DUE_COLUMNS)
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2))
    expected = due(demo_db)
    assert len(rows) == len(expected)
    for row, item in zip(rows, expected, strict=True):
        cells = dict(zip(views.DUE_COLUMNS, row, strict=True))
        if item["due"] is None:
            assert cells["due"].value is None
        else:
            assert cells["due"].is_date
            assert isinstance(cells["due"].value, dt.datetime)
            assert cells["due"].value.date().isoformat() == item["due"]
        assert cells["case_id"].value == item["case_id"]
        assert cells["case_id"].data_type == "s"


def test_a_due_workbook_as_of_a_day_names_that_day(demo_db: str, tmp_path: Path) -> None:
    """`due --as-of 2026-03-01 --on 2026-03-31 --format xlsx` named its sheet "Due by
    2026-03-31" alone, never saying the rows are as things stood on 1 March (found by a
    review): its name holds both days, within Excel's 31 characters."""
    out = tmp_path / "due.xlsx"
    args = ("due", "--as-of", "2026-03-01", "--on", "2026-03-31", "--format", "xlsx")
    result = invoke(demo_db, *args, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["Due 2026-03-31 as of 2026-03-01"]
    now = tmp_path / "now.xlsx"
    assert invoke(demo_db, "due", "--on", ON, "--format", "xlsx", "-o", str(now)).exit_code == 0
    assert openpyxl.load_workbook(now).sheetnames == [f"Due by {ON}"]


def test_xlsx_text_is_never_a_formula() -> None:
    """A name starting `=` is a text cell in the workbook, not a formula."""
    data = render_xlsx([{"name": '=HYPERLINK("x")', "n": 3}], ["name", "n"], "t")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '=HYPERLINK("x")'
    assert sheet["B2"].value == 3


@pytest.mark.parametrize(
    ("character", "shown"),
    [
        ("\uffff", "\\uffff"),
        ("\ufffe", "\\ufffe"),
        ("\ufdd0", "\\ufdd0"),
        ("\U0010ffff", "\\U0010ffff"),
        ("\x00", "\\x00"),
        ("\udc80", "\\udc80"),
    ],
)
def test_xlsx_shows_a_character_xml_cannot_hold_as_an_escape(character: str, shown: str) -> None:
    """A school named with U+FFFF (accepted by the forms) made every workbook of the caseload
    unreadable, with exit 0: XML 1.0 forbids U+FFFE and U+FFFF."""
    data = render_workbook(
        [Sheet(f"Hollybrook{character}", [{"school": f"Hollybrook{character}"}], ["school"])]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.endswith((".xml", ".rels")):
                xml.dom.minidom.parseString(book.read(name))  # raises on a forbidden character
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["A2"].value == f"Hollybrook{shown}"
    assert sheet.title == f"Hollybrook{shown}".replace("\\", " ")  # Excel's names have none


def test_xlsx_is_refused_on_a_terminal(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook is bytes: without -o, and with stdout a terminal, exit 2 asking for -o."""
    monkeypatch.setattr(printing, "stdout_is_terminal", lambda: True)
    result = invoke(demo_db, "due", "--format", "xlsx")
    assert result.exit_code == 2
    assert "-o FILE" in result.stderr
    assert result.stdout == ""


def test_xlsx_may_go_down_a_pipe(demo_db: str) -> None:
    """Piped (`| ...` or `> file`), the workbook's bytes go to stdout."""
    result = invoke(demo_db, "due", "--on", ON, "--format", "xlsx")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"PK\x03\x04")  # a zip: an xlsx workbook


def test_xlsx_without_openpyxl_names_the_extra(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the `reports` extra, exit 2 saying how to install it."""
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    result = invoke(demo_db, "due", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2
    assert "reintegration-fsm[reports]" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_xlsx_sheet_names_are_cut_between_words_and_stay_unique() -> None:
    """Excel's 31 characters cut "Offers of a place within 20 school days" to "...within 20
    sch" (found by a review): a name is cut between words, and a second is numbered."""
    title = "Offers of a place within 20 school days"
    data = render_workbook(
        [Sheet(title, [], ["n"]), Sheet(title, [], ["n"]), Sheet("A" * 40, [], ["n"])]
    )
    names = openpyxl.load_workbook(io.BytesIO(data)).sheetnames
    assert all(len(name) <= 31 for name in names)
    first, second, long = names
    assert title.startswith(first + " ")
    assert first.split() == title.split()[: len(first.split())]
    assert second != first
    assert title.startswith(second.rsplit(" ", 1)[0] + " ")
    assert long == "A" * 31


def test_a_sheet_name_cut_between_words_leaves_no_stray_comma() -> None:
    """ "Departures from good practice, by rule" was cut to "Departures from good practice,"
    (found by a review): a cut name ends with a word, not with the punctuation after it."""
    data = render_workbook([Sheet("Departures from good practice, by rule", [], ["n"])])
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["Departures from good practice"]


def test_xlsx_dates_excel_cannot_hold_are_iso_text() -> None:
    """Excel's dates start in 1900 (and its 29 February 1900 never was): the year 1 was written
    as the serial -693593 and showed as ####. Such a date is its ISO text."""
    days = [dt.date(1, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2026, 2, 13)]
    data = render_xlsx([{"day": day} for day in days], ["day"], "t")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = [sheet.cell(row=row, column=1) for row in range(2, 6)]
    assert [(c.data_type, c.value) for c in cells[:2]] == [("s", "0001-01-01"), ("s", "1900-02-28")]
    assert all(c.is_date for c in cells[2:])
    assert [c.value.date() for c in cells[2:]] == days[2:]
