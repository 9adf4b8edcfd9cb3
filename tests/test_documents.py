"""Printable forms: every seed form a case recorded, filled in, escaped, no placeholder left."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from jinja2 import StrictUndefined

import scenario
import stages
from reintegration_fsm import (
    WORCESTERSHIRE,
    Actor,
    Attendee,
    ChildViews,
    Party,
    PastoralSupportPlan,
    Pupil,
    ReferralRoute,
    Reintegration,
    Role,
    SchoolCalendar,
    UnsuccessfulOutcome,
    documents,
)
from reintegration_fsm.demo import CASES
from reintegration_fsm.documents import rendering
from reintegration_fsm.forms import long_date
from reintegration_fsm.forms.information import Measure, Professional
from reintegration_fsm.protocol.payloads import Referral

CALENDAR = SchoolCalendar.sample()
ON = dt.date(2026, 11, 28)
PLACEHOLDERS = ("{{", "}}", "{%", "%}", "(Name of", "(date", "(name of", "Undefined")


@pytest.fixture(scope="module")
def demo() -> dict[str, Reintegration]:
    """The four demo cases, by id."""
    return {case.case_id: case.run(case.case_id, CALENDAR) for case in CASES}


def titles(case: Reintegration) -> list[str]:
    return [document.title for document in documents.documents(case)]


def test_a_successful_case_has_every_form_it_recorded(demo: dict[str, Reintegration]) -> None:
    """Consent, information, views, initial meeting, timetable, reviews, the outcome form."""
    found = titles(demo["DEMO-0001"])
    assert found[:5] == [
        "Reintegration Consent Form",
        "Reintegration Information",
        "Views of the Child/Young Person and their family",
        "Reintegration Initial Meeting",
        "Reintegration Timetable",
    ]
    assert found.count("Reintegration Review Meeting") == 3
    assert found[-1] == "SUCCESSFUL Reintegration Outcome Form"


def test_an_ended_case_has_the_emergency_review_letter_and_outcome(
    demo: dict[str, Reintegration],
) -> None:
    """The emergency review, the failure letter and the unsuccessful outcome form."""
    found = titles(demo["DEMO-0002"])
    emergency = found.index("Reintegration Emergency Review Meeting")
    assert found[emergency + 1] == "Letter in the case of a failed Reintegration"
    assert found[-1] == "UNSUCCESSFUL Reintegration Outcome Form"


@pytest.mark.parametrize("case_id", ["DEMO-0001", "DEMO-0002", "DEMO-0003", "DEMO-0004"])
def test_no_placeholder_survives(demo: dict[str, Reintegration], case_id: str) -> None:
    """Neither the HTML nor the text keeps a template marker or a seed placeholder."""
    for rendered in (
        documents.render_html(demo[case_id], ON),
        documents.render_text(demo[case_id], ON),
    ):
        for placeholder in PLACEHOLDERS:
            assert placeholder not in rendered


def test_the_letter_is_the_cases_own(demo: dict[str, Reintegration]) -> None:
    """The letter in the documents is `case.letter()`, paragraph by paragraph."""
    case = demo["DEMO-0002"]
    text = documents.render_text(case, ON)
    html = documents.render_html(case, ON)
    for line in case.letter().splitlines():
        if line.strip():
            assert line.removeprefix("- ")[:60] in text.replace("\n", " ").replace("    ", " ")
    assert "Dear Bea Placeholder" in html
    assert "<li>Daily mentoring with a key worker</li>" in html


def test_a_reason_written_over_several_lines_stays_one_bullet(
    demo: dict[str, Reintegration],
) -> None:
    """A reason typed over lines (a blank one between) broke the letter's list: its later
    lines ended the list, which printed as a paragraph of "- " lines."""
    form = scenario.letter(
        reasons=("Three incidents:\nleft the site on Monday\n\n  a fight on Thursday  ", "Late"),
        support_provided=("Daily mentoring",),
    )
    text = form.render(demo["DEMO-0002"])
    assert "- Three incidents:\n  left the site on Monday\n  a fight on Thursday\n- Late\n" in text
    lists = [block.items for block in documents.letter_document(text).letter if block.items]
    assert lists == [
        ("Three incidents:\nleft the site on Monday\na fight on Thursday", "Late"),
        ("Daily mentoring",),
    ]
    one_line = documents.letter_document(scenario.letter().render(demo["DEMO-0002"]))
    assert [block.items for block in one_line.letter if block.items] == [
        ("Alex left the site without permission three times in one week.",),
        ("Daily mentoring with a key worker", "Adapted timetable"),
    ]


def test_the_timetable_is_laid_out_as_a_week(demo: dict[str, Reintegration]) -> None:
    """Ten sessions a week and the time in education."""
    html = documents.render_html(demo["DEMO-0001"], ON)
    assert html.count('<th scope="col">am</th>') == 5
    assert "9 of 10 sessions" in html
    assert "9 of 10 sessions" in documents.render_text(demo["DEMO-0001"], ON)


def test_the_deletion_note_names_the_2024_regulations(demo: dict[str, Reintegration]) -> None:
    """The unsuccessful outcome form cites regulation 9(1)(c) of the 2024 Regulations."""
    text = documents.render_text(demo["DEMO-0002"], ON)
    assert "regulation 9(1)(c)" in text
    assert "Regulations 2024" in text


def hostile_case() -> Reintegration:
    """A case whose typed-in text is hostile markup."""
    pupil = Pupil("<script>alert(1)</script>", scenario.PUPIL.date_of_birth, key_stage=3)
    case = Reintegration.open(
        "XSS-1",
        pupil,
        scenario.AP_SETTING,
        scenario.AUTHORITY,
        by=scenario.AP_HEAD,
        on=scenario.OPENED,
        calendar=CALENDAR,
    )
    case.record_consent(
        scenario.consent(
            child_name=pupil.name,
            parent_name="<img src=x onerror=alert(2)>",
            child_address='1 "Quoted" Road & <b>Sons</b>',
            preferred_schools=("<a href='javascript:alert(3)'>Elmstead</a>",),
        ),
        by=scenario.AP_HEAD,
        on=scenario.CONSENTED,
    )
    return case


def test_html_escapes_everything_a_user_typed() -> None:
    """A child's name of `<script>alert(1)</script>` prints as text, never as markup."""
    html = documents.render_html(hostile_case(), ON)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "<img" not in html
    assert "<a href" not in html
    assert "<b>Sons</b>" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert re.search(r"&#3[49];Quoted&#3[49];", html) or "&quot;Quoted&quot;" in html


def test_text_keeps_what_the_user_typed_verbatim() -> None:
    """Plain text for email is not HTML: nothing is escaped there."""
    text = documents.render_text(hostile_case(), ON)
    assert "<script>alert(1)</script>" in text


def test_autoescaping_is_on_for_html_and_undefined_is_strict() -> None:
    """The environment escapes .html templates and refuses undefined names."""
    environment = rendering._environment()
    assert environment.undefined is StrictUndefined
    assert environment.autoescape("case.html") if callable(environment.autoescape) else False
    assert not environment.autoescape("case.txt")


def test_a_case_with_no_forms_yet_says_so() -> None:
    """A freshly opened case renders, saying nothing has been recorded."""
    case = Reintegration.open(
        "NEW-1",
        scenario.PUPIL,
        scenario.AP_SETTING,
        scenario.AUTHORITY,
        by=scenario.AP_HEAD,
        on=scenario.OPENED,
    )
    assert documents.documents(case) == []
    assert "No forms have been recorded" in documents.render_html(case, ON)
    assert "No forms have been recorded" in documents.render_text(case, ON)


@pytest.mark.parametrize("weeks", [(2, 4, 6), (3, 5, 8)])
def test_the_initial_meeting_form_names_the_protocols_review_weeks(
    weeks: tuple[int, int, int],
) -> None:
    """Exampleshire reviews at 3, 5 and 8 weeks: its form read "Final Review Date (6 weeks)"
    (found by a review)."""
    protocol = attrs.evolve(
        WORCESTERSHIRE,
        id=f"weeks-{'-'.join(map(str, weeks))}",
        version="1",
        title="A protocol reviewing at other weeks",
        review_weeks=weeks,
        final_review_within_days=7 * weeks[-1],
    )
    form = next(
        d for d in documents.documents(stages.planned(protocol)) if d.slug == "initial-meeting"
    )
    labels = [f.label for f in form.fields if "Review Date" in f.label]
    first, second, final = weeks
    assert labels == [
        f"First Interim Review Date ({first} weeks)",
        f"Second Interim Review Date ({second} weeks)",
        f"Final Review Date ({final} weeks)",
    ]


def test_a_removed_date_of_birth_shows_the_note_its_record_names_and_nothing_else_does() -> None:
    """The forms show a removed date of birth as the note the redaction records give for its
    entry and path; "(removed)" where none names it; a recorded date as it is, whatever the
    mapping says (the CLI once rewrote any text reading "(removed)", found by a review)."""
    removed_day = dt.date(1, 1, 1)
    note = "(redacted on 2026-11-05: Erasure request)"
    removed = {(2, "form.child_dob"): note}
    assert documents.shown_born(removed_day, 2, "form.child_dob", removed) == note
    assert documents.shown_born(removed_day, 3, "form.child_dob", removed) == "(removed)"
    assert documents.shown_born(removed_day, 2, "form.child_dob", None) == "(removed)"
    born = dt.date(2012, 5, 14)
    assert documents.shown_born(born, 2, "form.child_dob", removed) == "14 May 2012"


def test_only_a_date_of_birth_is_ever_shown_as_removed() -> None:
    """A consent form signed on 0001-01-01 (a slip of the year) and a plan starting then are
    printed as that date, not as "(removed)": no redaction removed them, and only a date of
    birth can be removed (review FM1)."""
    case = stages.opened()
    case.record_consent(
        scenario.consent(signed_on=dt.date(1, 1, 1)), by=scenario.AP_HEAD, on=scenario.CONSENTED
    )
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        scenario.information(),
        PastoralSupportPlan(start=dt.date(1, 1, 1)),
        by=scenario.AP_HEAD,
        on=scenario.REFERRED,
    )
    text = documents.render_text(case, ON)
    assert "(removed)" not in text
    assert "active from 1 January 0001" in text


def test_each_printed_form_has_its_own_id() -> None:
    """Views gathered on the day of the initial meeting and again before a review held the
    same day of another week share nothing: each form's section has an id of its own, so that
    a link to one finds it (review FM4)."""
    case = stages.in_placement()
    same_day = scenario.MEETING - dt.timedelta(days=3)
    case.hold_review(
        scenario.review(
            scenario.FIRST_REVIEW, child_views=ChildViews(same_day, aspirations="GCSEs.")
        ),
        by=scenario.HOST_HEAD,
        on=scenario.FIRST_REVIEW,
    )
    slugs = [document.slug for document in documents.documents(case)]
    assert len(slugs) == len(set(slugs)), slugs
    ids = re.findall(r'<section class="form" id="([^"]+)"', documents.render_html(case, ON))
    assert len(ids) == len(set(ids)), ids


def test_what_a_form_recorded_is_printed() -> None:
    """The PSP's summary, the child's own agreement on the consent form and the local
    authority's signature at the initial meeting are recorded, and printed (review FM5)."""
    case = stages.opened()
    case.record_consent(
        scenario.consent(child_agrees=True), by=scenario.AP_HEAD, on=scenario.CONSENTED
    )
    case.refer_to_fair_access(
        ReferralRoute.PANEL,
        scenario.information(),
        PastoralSupportPlan(start=dt.date(2025, 11, 3), summary="Weekly mentor sessions."),
        by=scenario.AP_HEAD,
        on=scenario.REFERRED,
    )
    case.identify_host(
        scenario.HOST_SCHOOL, ReferralRoute.PANEL, by=scenario.ADMISSIONS, on=scenario.HOST_FOUND
    )
    everyone = frozenset({Party.PARENT, Party.CHILD, Party.AP, Party.HOST, Party.LA})
    case.hold_initial_meeting(
        scenario.initial_meeting(signatures=everyone),
        scenario.views(),
        by=scenario.AP_STAFF,
        on=scenario.MEETING,
    )
    made = {document.slug: document for document in documents.documents(case)}
    consent = {field.label: field.value for field in made["consent"].fields}
    assert consent["Does the child/young person agree to a reintegration?"] == "YES"
    information = {field.label: field.value for field in made["information"].fields}
    assert "Weekly mentor sessions." in str(information["Pastoral Support Plan"])
    meeting = {field.label: field.value for field in made["initial-meeting"].fields}
    assert "Local Authority: signed" in meeting["Attendees Signatures"]


# -- the failure letter, as sent ----------------------------------------------------------------
def test_the_letter_on_record_does_not_change_after_it_was_sent() -> None:
    """A letter naming no home head teacher names the AP head on record at the emergency review
    that ended the placement. A later step by another AP head (a new or acting head recording
    the unsuccessful outcome) rewrote the kept letter, in `case.letter()` and in the documents,
    to name that later head (found by a review)."""
    case = stages.ending(home_head_teacher="")
    sent = case.letter()
    assert sent is not None
    assert f"{scenario.AP_SETTING}, {scenario.AP_HEAD.name}, has been notified" in sent
    new_head = Actor("ap-head-2", "Morgan Newhead", Role.AP_HEAD, scenario.AP_SETTING)
    case.record_unsuccessful_outcome(
        attrs.evolve(scenario.RETURN, completed_by=new_head.name),
        by=new_head,
        on=dt.date(2026, 3, 16),
    )
    assert case.ap_head == new_head.name
    assert case.letter() == sent
    text = documents.render_text(case, ON).replace("\n", " ")
    assert "Morgan Newhead, has been notified" not in text
    assert f"{scenario.AP_HEAD.name}, has been notified" in " ".join(text.split())


def test_the_letter_names_the_ap_head_who_acted_before_the_ending() -> None:
    """The AP head on record is the latest to act as AP head up to the emergency review: one who
    acted during the placement, before the ending, is the one the letter names."""
    case = stages.in_placement()
    acting = Actor("ap-head-3", "Ash Acting", Role.AP_HEAD, scenario.AP_SETTING)
    case.hold_review(scenario.review(scenario.FIRST_REVIEW), by=acting, on=scenario.FIRST_REVIEW)
    case.call_emergency_review(
        "Left the site three times.", by=scenario.HOST_HEAD, on=stages.EMERGENCY_CALLED
    )
    case.hold_emergency_review(
        stages.emergency_meeting(),
        scenario.letter(home_head_teacher=""),
        by=scenario.HOST_HEAD,
        on=stages.EMERGENCY_HELD,
    )
    assert "Ash Acting, has been notified" in (case.letter() or "")


@pytest.mark.parametrize("nobody", ["\u200b", "\u2800", " \u2060\t"])
def test_a_home_head_or_second_parent_that_prints_nothing_is_not_given_to_the_letter(
    nobody: str,
) -> None:
    """R11: a letter whose home head teacher prints nothing (a pasted zero-width space) names
    the AP head on record, as one naming none does, and one whose second parent prints nothing
    is addressed to one parent: the letter greeted "Bea and <ZWSP>" ("yourselves") and sent its
    copy to an invisible head teacher (review S, S1)."""
    case = stages.ending(home_head_teacher="")
    letter = scenario.letter(home_head_teacher=nobody, second_parent_name=nobody)
    assert not letter.to_both_parents
    text = letter.render(case)
    assert nobody.strip() not in text
    assert f"{scenario.AP_SETTING}, {scenario.AP_HEAD.name}, has been notified" in text
    assert f"Copy sent to: {scenario.AP_HEAD.name}, Head Teacher of {scenario.AP_SETTING}" in text
    assert "yourselves" not in text
    assert text == scenario.letter(home_head_teacher="", second_parent_name="").render(case)


@pytest.mark.parametrize("nobody", ["\u200b", "\u2800", " \u2060\t"])
def test_a_form_shows_text_that_prints_nothing_as_not_recorded(nobody: str) -> None:
    """A recorded answer that prints nothing (a pasted zero-width space) is shown as no answer,
    as the rules read it, not as an invisible one: a review's address change as "unchanged",
    its outcome left out of the decision, an ending's reasons as "as in the review form", its
    address as the pupil's (none here), an attendee so named not listed."""
    case = stages.in_placement()
    meeting = scenario.review(
        stages.FIRST_REVIEW,
        address_change=nobody,
        outcome=nobody,
        attendees=(*scenario.review(stages.FIRST_REVIEW).attendees, Attendee(nobody, Party.HOST)),
    )
    shown = {field.label: field.value for field in documents.review_form(case, meeting).fields}
    assert shown["Address (if this has changed since previous meeting)"] == "unchanged"
    assert all(nobody.strip() not in str(value) for value in shown.values())
    outcome = UnsuccessfulOutcome(
        provision_for_return=nobody,
        return_date=stages.FIRST_REVIEW,
        completed_by="Robin Ashdown",
        reasons_for_failure=nobody,
        address=nobody,
    )
    ending = {f.label: f.value for f in documents.unsuccessful_form(case, outcome).fields}
    assert ending["Reasons for failure if different to those included in Review form"] == (
        "as in the review form"
    )
    assert case.pupil.address == ""
    assert ending["Address"] == documents.NOT_RECORDED
    assert ending["What provision has home school put in place for the child/yp to return?"] == (
        documents.NOT_RECORDED
    )


def test_the_letter_is_dated_the_day_the_emergency_review_was_held() -> None:
    """R11: the letter is dated the day of the emergency review unless it gives `written_on`. A
    review held on 12 March and recorded on the 13th gave a letter dated the 13th saying "I have
    today made the decision" (found by a review)."""
    case = stages.emergency()
    recorded = stages.EMERGENCY_HELD + dt.timedelta(days=1)
    case.hold_emergency_review(
        stages.emergency_meeting(held_on=stages.EMERGENCY_HELD),
        scenario.letter(),
        by=scenario.HOST_HEAD,
        on=recorded,
    )
    assert case.ended_on == recorded
    assert (case.letter() or "").startswith("12 March 2026\n")
    written = scenario.letter(written_on=recorded)
    assert written.render(case).startswith("13 March 2026\n")


# -- the review form -----------------------------------------------------------------------------
def test_the_final_review_form_shows_the_agreed_date_of_permanent_admission(
    demo: dict[str, Reintegration],
) -> None:
    """A FINAL review deciding MAKE_PERMANENT records `permanent_from`, the agreed date of
    permanent admission (seed step 8), on which R13 and the AP's DELETE_FROM_ROLL depend; no
    printed form showed it (found by a review). A review deciding anything else has no such
    line."""
    case = demo["DEMO-0001"]
    assert case.permanent_from is not None
    forms = documents.documents(case)
    (final,) = [d for d in forms if d.slug.endswith("-final")]
    shown = {f.label: f.value for f in final.fields}
    assert shown["Date of permanent admission"] == long_date(case.permanent_from)
    assert long_date(case.permanent_from) in documents.render_text(case, ON)
    for interim in (d for d in forms if d.slug.endswith("-interim")):
        assert "Date of permanent admission" not in {f.label for f in interim.fields}


# -- line breaks in the printed HTML ---------------------------------------------------------------
def test_html_keeps_the_line_breaks_of_an_address_and_of_free_text() -> None:
    """A multi-line address ("1 Example Row / Exton / EX1 1AA") or an answer written over
    several lines ran together on one line in the printed HTML (a table cell collapses
    newlines), though the text kept them (found by a review). The cells keep them
    (`white-space: pre-line`; tests/test_subject_access_browser.py measures the lines)."""
    case = Reintegration.open(
        "LINES-1",
        scenario.PUPIL,
        scenario.AP_SETTING,
        scenario.AUTHORITY,
        by=scenario.AP_HEAD,
        on=scenario.OPENED,
        calendar=CALENDAR,
    )
    form = scenario.consent(child_address="1 Example Row\nExton\nEX1 1AA")
    case.record_consent(form, by=scenario.AP_HEAD, on=scenario.CONSENTED)
    html = documents.render_html(case, ON)
    assert "<td>1 Example Row\nExton\nEX1 1AA</td>" in html
    assert re.search(r"table\.fields td \{[^}]*white-space: pre-line;", html)
    assert "1 Example Row\n  Exton\n  EX1 1AA" in documents.render_text(case, ON)


# -- dates in English, whatever the locale -------------------------------------------------------
IN_GERMAN = """
import datetime as dt, json, locale
locale.setlocale(locale.LC_ALL, "de_DE.UTF-8")
from reintegration_fsm import SchoolCalendar, documents
from reintegration_fsm.demo import CASES
from reintegration_fsm.forms import long_date
from reintegration_fsm.reports import academic_year
case = next(c for c in CASES if c.case_id == "DEMO-0002").run("DEMO-0002", SchoolCalendar.sample())
print(json.dumps({
    "month": dt.date(2026, 3, 3).strftime("%B"),
    "long_date": long_date(dt.date(2026, 3, 3)),
    "period": academic_year("2025/26").label,
    "letter": case.letter().splitlines()[0],
    "forms": documents.render_text(case, dt.date(2026, 5, 1)),
}))
"""


def test_dates_are_english_whatever_the_process_locale(tmp_path: Path) -> None:
    """strftime's `%B` follows the process's LC_TIME: an application that calls
    `locale.setlocale(LC_ALL, "")` on a server set to German printed "3 März 2026" in an English
    letter, its forms and a report's period (found by a review). They use a fixed English table."""
    if shutil.which("localedef") is None:
        pytest.skip("no localedef to build a German locale with")
    built = subprocess.run(
        ["localedef", "-i", "de_DE", "-f", "UTF-8", str(tmp_path / "de_DE.UTF-8")],
        capture_output=True,
        text=True,
    )
    assert (tmp_path / "de_DE.UTF-8").exists(), built.stderr
    env = {**os.environ, "LOCPATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", IN_GERMAN], capture_output=True, text=True, env=env, check=True
    )
    found = json.loads(out.stdout)
    assert found["month"] == "März"  # the locale took: strftime writes German
    assert found["long_date"] == "3 March 2026"
    assert found["period"] == "2025/26 (1 September 2025 to 31 August 2026)"
    assert found["letter"] == "4 March 2026"
    for german in ("Januar", "Februar", "März", "Mai", "Juni", "Juli", "Oktober", "Dezember"):
        assert not re.search(rf"\b{german}\b", found["forms"]), german
    assert "7 January 2026" in found["forms"]


def test_long_date_names_every_month_in_english() -> None:
    months = [long_date(dt.date(2026, month, 1)).split()[1] for month in range(1, 13)]
    assert months == [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]  # fmt: skip
    assert long_date(dt.date(999, 12, 31)) == "31 December 0999"
    assert long_date(dt.date.min) == "(removed)"


# -- the text for email --------------------------------------------------------------------------
LINK = "https://capublic.worcestershire.gov.uk/InYearAdmissions/Homepage.aspx?school=hollybrook-academy"


def test_the_email_text_does_not_break_a_link_or_a_hyphenated_word_in_two() -> None:
    """`render --text` wrapped every value with Jinja's `wordwrap`, which cuts a word longer
    than the line and splits at hyphens: a link the family must follow (the seed's portal
    address with a query) came out as `.../Homep` + newline + `age.aspx?...`, and
    "Marlowe-Penn" as "Marlowe-" + newline + "Penn" (found by a review). A long word now runs
    past the line whole; other text still wraps at 70 columns."""
    case = Reintegration.open(
        "WRAP-1",
        scenario.PUPIL,
        scenario.AP_SETTING,
        scenario.AUTHORITY,
        by=scenario.AP_HEAD,
        on=scenario.OPENED,
        calendar=CALENDAR,
    )
    hyphenated = "word " * 12 + "Marlowe-Penn will ring"  # "Marlowe-" would end at column 70
    form = scenario.consent(child_address=f"Details: {LINK}", parent_address=hyphenated)
    case.record_consent(form, by=scenario.AP_HEAD, on=scenario.CONSENTED)
    text = documents.render_text(case, ON)
    assert f"  Details:\n  {LINK}\n" in text
    assert "Marlowe-Penn" in text
    assert "  " + "word " * 11 + "word\n  Marlowe-Penn will ring\n" in text


@pytest.mark.parametrize("case_id", ["DEMO-0001", "DEMO-0002", "DEMO-0003", "DEMO-0004"])
def test_the_email_texts_heading_and_footer_wrap_at_72_columns(
    demo: dict[str, Reintegration], case_id: str
) -> None:
    """`render --text` wrapped its fields at 72 columns but not its heading ("Case DEMO-0001;
    Larkspur Learning Centre to ...; stage: successful", 110 columns) or its "Rendered on"
    footer (88; found by a review): no line of words runs past 72 but the timetable's rows."""
    text = documents.render_text(demo[case_id], ON)
    long = [
        line
        for line in text.splitlines()
        if len(line) > 72 and " " in line.strip() and "|" not in line  # the timetable's rows
    ]
    assert long == []
    heading = " ".join(text.split("\n\n", 1)[0].splitlines())
    assert heading.startswith(f"REINTEGRATION FORMS: {demo[case_id].pupil.name} Case {case_id};")
    assert "from the case's recorded history by reintegration-fsm" in " ".join(text.splitlines())


def test_a_consent_form_printed_with_text_that_prints_nothing_says_not_recorded() -> None:
    """M4/S1 made the rules and the failure letter read text that prints nothing as not given;
    the printed forms (`documents`) still read it with str.strip: a consent form whose parent
    address was a pasted zero-width space, or its relationship the blank Braille pattern,
    printed an empty box where a blank one prints "not recorded" (review F, F5)."""
    case = stages.in_placement()
    form = scenario.consent(parent_address="\u200b", relationship="\u2800")
    shown = {field.label: field.value for field in documents.consent_form(case, form).fields}
    assert shown["Parent/Carer Address if different"] == documents.NOT_RECORDED
    assert shown["Relationship to child/yp"] == documents.NOT_RECORDED


@pytest.mark.parametrize("nobody", ["\u200b", "\u2800", " \u2060 "])
def test_D6_the_information_form_shows_no_invisible_involvement_or_level_of_success(
    nobody: str,
) -> None:
    """F5's fix reads text that prints nothing as not recorded in every box of the printed
    forms, but the information form joins a professional's involvement and a measure's level
    of success with `if text` (truthy): a pasted zero-width space is printed as
    "Dr Ada Invented: " and an invisible answer after the colon (review D, D6). The part
    that prints nothing is left out, as a blank one is."""
    case = stages.in_placement()
    info = scenario.information(
        professionals=(Professional("Dr Ada Invented", nobody),),
        measures_taken=(Measure("Mentoring", nobody),),
    )
    referral = Referral(ReferralRoute.PANEL, info, scenario.PSP)
    shown = {f.label: f.value for f in documents.information_form(case, referral).fields}
    professionals = (
        "Names of other relevant professionals involved, and current level of involvement"
    )
    assert shown[professionals] == ("Dr Ada Invented",)
    measures = "Measures already taken by the Alternative Provision setting, and level of success"
    assert shown[measures] == ("Mentoring",)
