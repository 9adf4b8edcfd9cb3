"""The referral's forms: the Reintegration Consent Form, the Reintegration Information form and
the Views of the Child/Young Person.

`born`, where a builder takes it, is the child's date of birth as the form shows it
(`pupil_born`, `shown_born`); by default as a letter writes the date recorded."""

from __future__ import annotations

from reintegration_fsm.case import Reintegration
from reintegration_fsm.documents.layout import Document, Field
from reintegration_fsm.documents.values import (
    EVIDENCE_NAMES,
    NOT_RECORDED,
    shown_date,
    shown_list,
    shown_name_and_dob,
    shown_rating,
    shown_text,
    shown_yes_no,
)
from reintegration_fsm.fields import prints_nothing
from reintegration_fsm.forms import (
    ChildViews,
    ConsentForm,
    english_date,
    long_date,
)
from reintegration_fsm.protocol.payloads import Referral


def consent_form(case: Reintegration, form: ConsentForm, *, born: str | None = None) -> Document:
    """The Reintegration Consent Form (`born`: the child's date of birth as shown, by default
    as a letter writes `form.child_dob`)."""
    other = form.other_parent_has_responsibility
    return Document(
        "consent",
        "Reintegration Consent Form",
        "Consent to be gained from parent by current setting prior to approaching another "
        "school for consideration of a reintegration",
        (
            Field(
                "Child/YP's Name and DOB",
                f"{form.child_name}, born {born or long_date(form.child_dob)}",
            ),
            Field("Alternative Provision Setting", shown_text(form.ap_setting, case.ap_setting)),
            Field("Address", shown_text(form.child_address)),
            Field("Parent/Carer Address if different", shown_text(form.parent_address)),
            Field("Parent/Carer Name", shown_text(form.parent_name)),
            Field("Relationship to child/yp", shown_text(form.relationship)),
            Field(
                "Does the above Parent/Carer have parental responsibility?",
                shown_yes_no(form.has_parental_responsibility),
            ),
            Field(
                "Is there another parent with parental responsibility for a child?",
                shown_yes_no(other),
            ),
            Field(
                "Has agreement over the reintegration been reached?",
                shown_yes_no(form.other_parent_agrees) if other else "not applicable",
            ),
            Field(
                "Does the parent understand the reasons for the reintegration?",
                shown_yes_no(form.understands_reasons),
            ),
            Field("Does the parent agree to a reintegration?", shown_yes_no(form.agrees)),
            # Not on the seed's form, which asks it in its procedures ("If parents and the
            # child/young person agree"): R2 reads it, so the form printed shows it.
            Field(
                "Does the child/young person agree to a reintegration?",
                shown_yes_no(form.child_agrees),
            ),
            Field(
                "Which school does the parent & young person wish to be considered for a "
                "reintegration?",
                shown_list(form.preferred_schools),
            ),
            Field(
                "I agree for the current setting to approach another school to discuss a "
                "reintegration for the above child/yp and understand the reasons for this. "
                "I consent to my child's information being shared.",
                shown_yes_no(form.consent_to_share),
            ),
            Field("Name", shown_text(form.signed_by)),
            Field("Signed", shown_text(form.signed_by)),
            Field("Date", shown_date(form.signed_on)),
        ),
    )


def information_form(
    case: Reintegration, referral: Referral, *, born: str | None = None
) -> Document:
    """The Reintegration Information form, with the PSP and route of the referral.

    The consent date, the proposed school and the looked-after status come from the case.
    """
    info, psp, route = referral.information, referral.psp, referral.route.value
    pupil = case.pupil
    proposed = case.host_school or ", ".join(case.preferred_schools)
    psp_text = f"active from {english_date(psp.start)}" + (
        f" to {english_date(psp.end)}" if psp.end is not None else ""
    )
    if not prints_nothing(psp.summary):
        psp_text += f"\n{psp.summary.strip()}"
    attendance = NOT_RECORDED if info.attendance_percent is None else f"{info.attendance_percent}%"
    exclusions = (
        NOT_RECORDED if info.exclusions_this_year is None else str(info.exclusions_this_year)
    )
    return Document(
        "information",
        "Reintegration Information",
        "Information to be completed by Alternative Provision setting and parent prior "
        "Reintegration Initial Meeting.",
        (
            Field("Child/YP's Name and DOB", shown_name_and_dob(pupil, born)),
            Field("Alternative Provision Setting", case.ap_setting),
            Field("Date Parental Consent Gained", shown_date(case.consent_signed_on)),
            Field("Proposed School", shown_text(proposed)),
            Field("Attainment", shown_rating(info.attainment)),
            Field("Effort", shown_rating(info.effort)),
            Field("Attitude to staff", shown_rating(info.attitude_to_staff)),
            Field("Attitude to Peers", shown_rating(info.attitude_to_peers)),
            Field("Homework", shown_rating(info.homework)),
            Field(
                "Reasons for reintegration – why might a reintegration to this school be "
                "successful?",
                shown_text(info.reasons_for_success),
            ),
            Field("SEND Level/Category", shown_text(info.send_level, pupil.send_level)),
            Field("LAC status", "Looked after" if pupil.looked_after else "Not looked after"),
            Field("Ethnicity", shown_text(info.ethnicity, pupil.ethnicity)),
            Field("Attendance", attendance),
            Field("Exclusions (current academic year)", exclusions),
            Field(
                "Names of other relevant professionals involved, and current level of involvement",
                shown_list(
                    [
                        p.name if prints_nothing(p.involvement) else f"{p.name}: {p.involvement}"
                        for p in info.professionals
                    ]
                ),
            ),
            Field(
                "Measures already taken by the Alternative Provision setting, and level of success",
                shown_list(
                    [
                        m.measure
                        if prints_nothing(m.level_of_success)
                        else f"{m.measure}: {m.level_of_success}"
                        for m in info.measures_taken
                    ]
                ),
            ),
            Field(
                "(Key Stage 4) Subjects taken for GCSE and exam board",
                shown_text(info.gcse_subjects),
            ),
            Field(
                "Alternative curriculum arrangements currently in place",
                shown_text(info.alternative_curriculum),
            ),
            Field(
                "How will the child/yp get to the proposed school?", shown_text(info.transport_plan)
            ),
            Field(
                "Has the parent/carer been involved in making transport arrangements for the "
                "reintegration?",
                shown_yes_no(info.parent_involved_in_transport),
            ),
            Field(
                "Evidence of previous interventions included",
                shown_list(sorted(EVIDENCE_NAMES[e] for e in info.evidence)),
            ),
            Field("Pastoral Support Plan", psp_text),
            Field("Route to the Fair Access panel", route),
        ),
    )


def views_form(
    case: Reintegration, views: ChildViews, occasion: str, *, born: str | None = None
) -> Document:
    """Views of the Child/Young Person and their family."""
    return Document(
        f"views-{views.gathered_on.isoformat()}",
        "Views of the Child/Young Person and their family",
        occasion,
        (
            Field("Name and DOB", shown_name_and_dob(case.pupil, born)),
            Field("Date", shown_date(views.gathered_on)),
            Field(
                "Background information you wish to share with your potential new school",
                shown_text(views.background),
            ),
            Field("The things I am good at or interest me most are", shown_text(views.good_at)),
            Field(
                "The things I find challenging and what support I think I need with those "
                "challenges",
                shown_text(views.challenges_and_support),
            ),
            Field(
                "I think this new school could support me by",
                shown_text(views.new_school_could_support_by),
            ),
            Field("Aspirations, what I hope to achieve", shown_text(views.aspirations)),
            Field("Signature/Name of Child", shown_text(views.signed_by)),
        ),
    )
