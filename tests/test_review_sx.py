"""Review SX: personal data across its life in the stores (subject access, retention, erasure),
on SQLite, PostgreSQL and MariaDB (its finding left for a decision is in the closing note)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import attrs
from click.testing import CliRunner

import scenario as sc
import stages
from reintegration_fsm import Attendee, Party, Pupil, Reintegration
from reintegration_fsm.cli import cli
from reintegration_fsm.stores import SqlAlchemyStore
from reintegration_fsm.stores.personal import is_note_text

DOCS = Path(__file__).resolve().parent.parent / "docs"
ERASURE = ["pupil.name", "pupil.date_of_birth", "form.child_name", "form.child_dob"]


def _child_named_by_first_name() -> Reintegration:
    """A case in placement whose child signed their views, and attended a review, as "Alex"
    (the pupil is "Alex Example"): how a child signs, and how minutes list them."""
    case = stages.host_identified()
    case.hold_initial_meeting(
        sc.initial_meeting(),
        attrs.evolve(sc.views(), signed_by="Alex"),
        by=sc.AP_STAFF,
        on=sc.MEETING,
    )
    sc.prepare(case)
    case.start_placement(by=sc.HOST_HEAD, on=sc.START)
    attendees = (*sc.EVERYONE[:3], Attendee("Alex", Party.CHILD))
    views = attrs.evolve(sc.views(sc.FIRST_REVIEW), signed_by="Alex E.")
    meeting = sc.review(sc.FIRST_REVIEW, attendees=attendees, child_views=views)
    case.hold_review(meeting, by=sc.HOST_HEAD, on=sc.FIRST_REVIEW)
    return case


def _value(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[int(part)] if part.isdigit() else data[part]
    return data


def test_SX1_erasing_the_childs_name_removes_it_where_the_child_signed_or_attended(
    database_url: str,
) -> None:
    """SX1: the child's name is erased (pupil.name and the consent form's, every entry), as
    docs/cli.md gives it, which "removes the child's name from every place the case stores it
    as a name (... the meetings' attendees, the signed views ...)". A child who signed their
    views "Alex", and is listed at a review as "Alex" of the child's party, kept both."""
    with SqlAlchemyStore(database_url, calendar=stages.CALENDAR) as store:
        case = _child_named_by_first_name()
        store.save(case)
        store.redact(
            case.case_id, None, ERASURE, "Erasure request", by=sc.ADMISSIONS, on=dt.date.today()
        )
        history = store.history(case.case_id)
        meeting = next(t for t in history if t.trigger == "hold_initial_meeting")
        review = next(t for t in history if t.trigger == "hold_review")
        attendees = _value(review.data, "meeting.attendees")
        (child,) = [a for a in attendees if a["party"] == Party.CHILD.value]
        left = {
            "views.signed_by": _value(meeting.data, "views.signed_by"),
            "meeting.attendees (the child's party)": child["name"],
            "meeting.child_views.signed_by": _value(review.data, "meeting.child_views.signed_by"),
        }
        assert {where: value for where, value in left.items() if not is_note_text(value)} == {}
        assert store.verify() == []


def _two_children(url: str) -> None:
    """Two children of one name and date of birth (common names, one county), told apart by
    their UPNs and addresses."""
    with SqlAlchemyStore(url, calendar=stages.CALENDAR) as store:
        _open_two(store)


def _open_two(store: SqlAlchemyStore) -> None:
    store.create_schema()
    held = (
        ("case-1", "B801200005001", "1 Example Row, Exton"),
        ("case-2", "Q801200005002", "9 Other Lane, Wyton"),
    )
    for case_id, upn, address in held:
        pupil = Pupil("Alex Example", dt.date(2012, 5, 14), key_stage=3, upn=upn, address=address)
        store.save(
            Reintegration.open(
                case_id,
                pupil,
                sc.AP_SETTING,
                sc.AUTHORITY,
                stages.CALENDAR,
                by=sc.AP_HEAD,
                on=sc.OPENED,
            )
        )


def test_SX2_a_response_by_name_and_birth_date_never_holds_another_childs_cases(
    tmp_path: Path,
) -> None:
    """SX2: `export --pupil NAME --dob DATE` put the cases of two children who share a name and
    a date of birth, whose UPNs differ, in one response: each child's request would disclose
    the other's whole record, address included. Such a request is refused, saying why."""
    url = f"sqlite:///{tmp_path / 'two.sqlite'}"
    _two_children(url)
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            url,
            "--calendar",
            "sample",
            "export",
            "--pupil",
            "Alex Example",
            "--dob",
            "2012-05-14",
        ],
    )
    assert result.exit_code == 2, result.output
    assert "9 Other Lane" not in result.output
    assert "case-1" in result.output
    assert "case-2" in result.output
    assert "UPN" in result.output
    assert "B801200005001" not in result.output  # the refusal quotes no child's data


def test_SX3_the_docs_say_to_check_a_response_for_other_peoples_data_before_sending_it() -> None:
    """SX3: docs/evidence.md calls `export` "a complete subject access response" and says
    nothing of the other people in it (a parent's address when the child, or the other parent,
    asks; another child named in free text), which the law has the authority consider before
    disclosing it."""
    text = (DOCS / "evidence.md").read_text(encoding="utf-8")
    section = text.split("## Subject access", 1)[1].split("\n## ", 1)[0]
    check = re.search(r"[^.]*third[- ]part[^.]*\.", section)
    assert check is not None, "no word of third parties in the subject access section"
    assert "before" in check.group(0)
