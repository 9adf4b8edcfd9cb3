"""The outcome's forms: the SUCCESSFUL and UNSUCCESSFUL Reintegration Outcome Forms with the
seed's notes, and the letter in the case of a failed reintegration.

`born`, where a builder takes it, is the child's date of birth as the form shows it
(`pupil_born`, `shown_born`); by default as a letter writes the date recorded."""

from __future__ import annotations

from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents.layout import Document, Field, LetterBlock
from reintegration_fsm.documents.values import (
    shown_date,
    shown_name_and_dob,
    shown_text,
    shown_yes_no,
)
from reintegration_fsm.forms import (
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)

DELETION_NOTE = (
    "The host school must notify the local authority through the Children's Services Portal "
    "that the pupil has been deleted from its roll under regulation 9(1)(c) of the School "
    "Attendance (Pupil Registration) (England) Regulations 2024 (which replaced regulation "
    "8(1)(c) of the 2006 Regulations the protocol cites). The name may be deleted only once the "
    "Alternative Provision setting has consented to the deletion (regulation 9(1)(c)(ii)); the "
    "notice is the deletion return of regulation 13(4)."
)
"""The UNSUCCESSFUL form's note: the seed's, citing the 2024 Regulations, with the consent
without which the deletion is unlawful (R17)."""
LEAVERS_NOTE = (
    "The Alternative Provision setting must notify the local authority by completing a Leavers "
    "Form on the Children's Services Portal: the deletion return of regulation 13(4) of the "
    "School Attendance (Pupil Registration) (England) Regulations 2024. The name may be deleted "
    "from its roll under regulation 9(1)(c) only once the host school has consented to the "
    "deletion (regulation 9(1)(c)(ii))."
)
"""The SUCCESSFUL form's note: the seed's, with the regulations behind it (R17)."""


def successful_form(
    case: Reintegration, form: SuccessfulOutcome, *, born: str | None = None
) -> Document:
    """The SUCCESSFUL Reintegration Outcome Form (host school)."""
    return Document(
        "successful-outcome",
        "SUCCESSFUL Reintegration Outcome Form",
        "To be completed by Host School",
        (
            Field("Child/YP's Name & DOB", shown_name_and_dob(case.pupil, born)),
            Field("Address", shown_text(form.address, case.pupil.address)),
            Field("Alternative Provision Setting", case.ap_setting),
            Field("Host School", shown_text(case.host_school or "")),
            Field("Parent/Carer", shown_text(form.parent_name)),
            Field("Date child/yp placed on roll", shown_date(form.date_on_roll)),
            Field(
                "Joiner Form completed on Children's Services Portal",
                shown_yes_no(form.joiner_form_completed),
            ),
        ),
        LEAVERS_NOTE,
    )


def unsuccessful_form(
    case: Reintegration, form: UnsuccessfulOutcome, *, born: str | None = None
) -> Document:
    """The UNSUCCESSFUL Reintegration Outcome Form (home school: the AP setting)."""
    return Document(
        "unsuccessful-outcome",
        "UNSUCCESSFUL Reintegration Outcome Form",
        "To be completed by Home School",
        (
            Field("Child/YP's Name & DOB", shown_name_and_dob(case.pupil, born)),
            Field("Address", shown_text(form.address, case.pupil.address)),
            Field("Alternative Provision Setting", case.ap_setting),
            Field("Host School", shown_text(case.host_school or "")),
            Field("Parent/Carer", shown_text(form.parent_name)),
            Field(
                "Reasons for failure if different to those included in Review form",
                shown_text(form.reasons_for_failure, otherwise="as in the review form"),
            ),
            Field(
                "What provision has home school put in place for the child/yp to return?",
                shown_text(form.provision_for_return),
            ),
            Field("Date of Return to Alternative Provision Setting", shown_date(form.return_date)),
            Field("Name of Person Completing this form", shown_text(form.completed_by)),
        ),
        DELETION_NOTE,
    )


def letter_document(text: str) -> Document:
    """The failure letter, split into paragraphs and bulleted lists."""
    blocks: list[LetterBlock] = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines = paragraph.split("\n")
        if lines[0].startswith("- ") and all(line.startswith(("- ", "  ")) for line in lines):
            items: list[str] = []
            for line in lines:  # an item's later lines are indented under it
                if line.startswith("- "):
                    items.append(line[2:])
                else:
                    items[-1] += "\n" + line[2:]
            blocks.append(LetterBlock(items=tuple(items)))
        else:
            blocks.append(LetterBlock(text="\n".join(lines)))
    return Document(
        "failure-letter", "Letter in the case of a failed Reintegration", letter=tuple(blocks)
    )
