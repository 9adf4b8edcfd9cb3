"""R1-R6: the case opened, consent, the referral, the host school's offer, the panel's note."""

from __future__ import annotations

import datetime as dt

from reintegration_fsm.forms import ConsentForm
from reintegration_fsm.protocol.payloads import HostOffer, OpenCase, Referral
from reintegration_fsm.rules.reading import (
    CaseState,
    blank_as_read,
    reads_today,
    revised,
    same_name_as_read,
)
from reintegration_fsm.vocabulary import Evidence, ObligationKind

EVIDENCE_WORDS = {
    Evidence.PSP: "a copy of the Pastoral Support Plan",
    Evidence.IEP: "a copy of the Individual Education Plan",
    Evidence.IHCP: "a copy of the Individual Healthcare Plan",
    Evidence.BEHAVIOUR_LOG: "the behaviour log",
    Evidence.BEHAVIOUR_ANALYSIS: "the behaviour analysis",
    Evidence.GRADUATED_RESPONSE: "the evaluation of the graduated response",
    Evidence.ATTENDANCE_RECORD: "the attendance record",
    Evidence.PERSONAL_EDUCATION_PLAN: "the Personal Education Plan",
    Evidence.EXCLUSION_DATA: "the exclusion data",
    Evidence.KS4_OPTIONS: "the Key Stage 4 record of options",
    Evidence.ASSESSMENT_DATA: "the most recent assessment and attainment data",
}


# R1 ----------------------------------------------------------------------------------------------
def pupil_is_eligible(case: CaseState, opening: OpenCase, on: dt.date) -> list[str]:
    """R1: the protocol is only for children not already on a mainstream roll."""
    pupil = opening.pupil
    if pupil.on_mainstream_roll:
        return [
            f"{pupil.name} is already on the roll of a mainstream school; this protocol is only "
            "for children who are not."
        ]
    return []


def protocol_in_effect(case: CaseState, opening: OpenCase, on: dt.date) -> list[str]:
    """A case opens under a protocol in effect on the day (no numbered rule: a protocol's own
    `effective_from`)."""
    protocol = case.protocol
    if on < protocol.effective_from:
        return [
            f"The protocol {protocol.id} version {protocol.version} takes effect on "
            f"{protocol.effective_from.isoformat()}, after {on.isoformat()}."
        ]
    return []


# R2 ----------------------------------------------------------------------------------------------
def consent_is_complete(case: CaseState, form: ConsentForm, on: dt.date) -> list[str]:
    """R2: written parental consent, for this child, complete, signed and dated."""
    reasons = []
    pupil = case.pupil
    if not same_name_as_read(case, form.child_name, pupil.name):
        reasons.append(f"The consent form is for {form.child_name!r}, not for {pupil.name!r}.")
    if form.child_dob != pupil.date_of_birth:
        reasons.append(
            f"The consent form gives the date of birth {form.child_dob.isoformat()}, not the "
            f"child's {pupil.date_of_birth.isoformat()}."
        )
    if not form.has_parental_responsibility:
        reasons.append("The parent/carer signing does not have parental responsibility.")
    if form.other_parent_has_responsibility and form.other_parent_agrees is not True:
        reasons.append(
            "Another parent has parental responsibility and has not agreed to the reintegration."
        )
    if not form.understands_reasons:
        reasons.append("The parent does not understand the reasons for the reintegration.")
    if not form.agrees:
        reasons.append("The parent does not agree to a reintegration.")
    if form.child_agrees is False and revised(case):
        reasons.append(
            'The child does not agree to a reintegration (Procedures: "If parents and the '
            'child/young person agree").'
        )
    if not form.consent_to_share:
        reasons.append("The parent has not consented to the child's information being shared.")
    if not any(not blank_as_read(case, school) for school in form.preferred_schools):
        reasons.append("The consent form names no school the family wish to be considered.")
    if blank_as_read(case, form.signed_by):
        reasons.append("The consent form is not signed.")
    if form.signed_on is None:
        reasons.append("The consent form is not dated.")
    elif form.signed_on > on:
        reasons.append(
            f"The consent form is dated {form.signed_on.isoformat()}, after {on.isoformat()}."
        )
    return reasons


def child_agreement_recorded(case: CaseState, form: ConsentForm, on: dt.date) -> list[str]:
    """R2, a departure: the child's own agreement is recorded."""
    if form.child_agrees is None:
        return ["The child's own agreement to the reintegration is not recorded."]
    return []


# R3, R4 ------------------------------------------------------------------------------------------
def psp_is_active(_: CaseState, referral: Referral, on: dt.date) -> list[str]:
    """R3: an active Pastoral Support Plan on the day of referral."""
    psp = referral.psp
    if psp.start > on:
        return [f"The Pastoral Support Plan only starts on {psp.start.isoformat()}."]
    if psp.end is not None and psp.end < on:
        return [f"The Pastoral Support Plan ended on {psp.end.isoformat()}."]
    return []


def information_is_gathered(case: CaseState, referral: Referral, on: dt.date) -> list[str]:
    """R4: the Reintegration Information form is complete, with the evidence it needs."""
    info = referral.information
    reasons = [
        f"The rating for {name} is missing."
        for name, rating in info.ratings.items()
        if rating is None
    ]
    if blank_as_read(case, info.reasons_for_success):
        reasons.append("The form does not say why a reintegration might be successful.")
    if blank_as_read(case, info.transport_plan):
        reasons.append("The form does not say how the child will get to the proposed school.")
    pupil = case.pupil
    needed = case.protocol.evidence_for(looked_after=pupil.looked_after, key_stage=pupil.key_stage)
    reasons.extend(
        f"The evidence does not include {EVIDENCE_WORDS[evidence]}."
        for evidence in needed
        if evidence not in info.evidence
    )
    return reasons


# R5 ----------------------------------------------------------------------------------------------
def host_is_named(case: CaseState, offer: HostOffer, on: dt.date) -> list[str]:
    """R5: a host school offer names a school other than the AP setting."""
    if blank_as_read(case, offer.host_school):
        return ["The host school is not named."]
    if same_name_as_read(case, offer.host_school, case.ap_setting):
        return [f"The host school cannot be {case.ap_setting}, the setting the child is leaving."]
    return []


def host_was_preferred(case: CaseState, offer: HostOffer, on: dt.date) -> list[str]:
    """R5, a departure: the host is one of the schools the family asked to be considered."""
    preferred = case.preferred_schools
    if any(same_name_as_read(case, offer.host_school, school) for school in preferred):
        return []
    # The schools named, not the form's blank entries; a history recorded before listed them
    # all, as the replay's second reading of its step still does (`reads_today`).
    named = [school for school in preferred if not blank_as_read(case, school)]
    listed = ", ".join(named if reads_today(case) else preferred) or "none"
    return [
        f"{offer.host_school.strip()} is not among the schools the family asked to be considered "
        f"({listed}); the law requires the parents' views to be considered (process step 1)."
    ]


# R6 ----------------------------------------------------------------------------------------------
def panel_note_is_open(case: CaseState, _: object, on: dt.date) -> list[str]:
    """R6: a virtual approach is waiting to be noted at the panel."""
    if any(o.kind is ObligationKind.NOTE_AT_PANEL for o in case.obligations):
        return []
    return ["No virtual approach is waiting to be noted at the Fair Access panel."]
