"""Every obligation a transition opens: its kind, its owner, its due date and its statutory basis,
on every path that opens one, under both editions of the rules.

The expected values are written here from PROTOCOL.md ("Obligations", R6, R12, R13, R17) and
the School Attendance (Pupil Registration) (England) Regulations 2024, never read from the
library's own constants: a due date or a basis the engine dropped or swapped fails here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest

from reintegration_fsm import (
    WORCESTERSHIRE,
    GuardFailed,
    ObligationKind,
    Party,
    Protocol,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    SuccessfulOutcome,
)
from reintegration_fsm.protocol.definition import WORCESTERSHIRE_1, WORCESTERSHIRE_2
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_STAFF,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_FOUND,
    HOST_HEAD,
    HOST_SCHOOL,
    HOST_STAFF,
    MEETING,
    PSP,
    REFERRED,
    RETURN,
    START,
    SUCCESS,
    D,
    information,
    initial_meeting,
    review,
    views,
)
from scenario import letter as failure_letter
from stages import (
    EMERGENCY_HELD,
    consented,
    emergency,
    emergency_meeting,
    ending,
    host_identified,
    in_placement,
    made_permanent,
    planned,
    referred,
)

K = ObligationKind
EDITIONS = pytest.mark.parametrize(
    "protocol", [WORCESTERSHIRE, WORCESTERSHIRE_2, WORCESTERSHIRE_1], ids=["ed3", "ed2", "ed1"]
)

# The statutory bases, as the 2024 Regulations number them (PROTOCOL.md, R17; docs/sources.md).
JOINERS_RETURN = "regulation 13(1)"
DELETION = "regulation 9(1)(c)"
DELETION_CONSENT = "regulation 9(1)(c)(ii)"
DELETION_RETURN = "regulation 13(4)"
REGULATIONS = "School Attendance (Pupil Registration) (England) Regulations 2024"

# The scenario's dates, read off the sample calendar and the scenario by hand.
START_DAY = D(2026, 2, 23)  # the agreed start, a Monday after the February half-term
JOINERS_DUE = D(2026, 2, 28)  # the fifth day after the name is entered on 23 February
LETTER_EFFECTIVE = D(2026, 3, 16)  # the failure letter's effective date in the scenario
PERMANENT_FROM = D(2026, 4, 13)  # a permanent admission agreed after the Easter holiday

Opened = tuple[ObligationKind, Party, "dt.date | None"]


def opened_by(case: Reintegration, fire: Callable[[Reintegration], object]) -> list[Opened]:
    """What the trigger opened, as (kind, owner, due), in the order opened; checks `opened_on`."""
    before = len(case.history)
    remaining = Counter(case.obligations)
    fire(case)
    (transition,) = case.history[before:]
    new = []
    for obligation in case.obligations:
        if remaining[obligation]:
            remaining[obligation] -= 1
        else:
            new.append(obligation)
    assert all(o.opened_on == transition.on for o in new)
    return [(o.kind, o.owner, o.due) for o in new]


def basis(case: Reintegration, kind: ObligationKind, owner: Party) -> str:
    (found,) = [o for o in case.obligations if o.kind is kind and o.owner is owner]
    return found.basis


def assert_basis(text: str, regulation: str) -> None:
    """The basis names the 2024 Regulations and exactly this regulation."""
    assert REGULATIONS in text, text
    assert regulation in text, text


# -- before the placement ----------------------------------------------------------------------


@EDITIONS
def test_a_virtual_referral_opens_an_undated_panel_note_for_the_local_authority(
    protocol: Protocol,
) -> None:
    case = consented(protocol)
    new = opened_by(
        case,
        lambda c: c.refer_to_fair_access(
            ReferralRoute.VIRTUAL, information(), PSP, by=AP_HEAD, on=REFERRED
        ),
    )
    assert new == [(K.NOTE_AT_PANEL, Party.LA, None)]
    assert basis(case, K.NOTE_AT_PANEL, Party.LA) == ""


@EDITIONS
def test_identifying_the_host_opens_two_undated_duties_for_the_ap(protocol: Protocol) -> None:
    case = referred(protocol)
    new = opened_by(
        case,
        lambda c: c.identify_host(HOST_SCHOOL, ReferralRoute.PANEL, by=ADMISSIONS, on=HOST_FOUND),
    )
    assert new == [
        (K.SHARE_INFORMATION_WITH_HOST, Party.AP, None),
        (K.OFFER_VISIT, Party.AP, None),
    ]
    assert basis(case, K.OFFER_VISIT, Party.AP) == ""


@EDITIONS
def test_the_initial_meeting_opens_undated_paperwork_for_the_ap(protocol: Protocol) -> None:
    case = host_identified(protocol)
    new = opened_by(
        case, lambda c: c.hold_initial_meeting(initial_meeting(), views(), by=AP_STAFF, on=MEETING)
    )
    assert new == [(K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP, None)]


@EDITIONS
def test_starting_opens_the_hosts_joiners_return_due_five_days_on(protocol: Protocol) -> None:
    case = planned(protocol)
    new = opened_by(case, lambda c: c.start_placement(by=HOST_STAFF, on=START_DAY))
    assert new == [
        (K.COMPLETE_JOINERS_FORM, Party.HOST, JOINERS_DUE),
        (K.MARK_DUAL_REGISTRATION, Party.AP, None),
    ]
    assert_basis(basis(case, K.COMPLETE_JOINERS_FORM, Party.HOST), JOINERS_RETURN)
    assert basis(case, K.MARK_DUAL_REGISTRATION, Party.AP) == ""


def test_a_late_start_moves_the_joiners_return_with_it() -> None:
    case = planned()
    later = START_DAY + dt.timedelta(days=2)
    new = opened_by(case, lambda c: c.start_placement(by=HOST_STAFF, on=later))
    assert new[0] == (K.COMPLETE_JOINERS_FORM, Party.HOST, D(2026, 3, 2))


# -- during the placement ----------------------------------------------------------------------


@EDITIONS
@pytest.mark.parametrize(
    "meeting",
    [
        review(FIRST_REVIEW),
        review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT),
        review(
            FINAL_REVIEW,
            ReviewKind.FINAL,
            decision=ReviewDecision.CONTINUE,
            next_meeting=D(2026, 4, 20),
        ),
    ],
    ids=["interim", "final-permanent", "final-continue"],
)
def test_every_review_opens_undated_paperwork_for_the_ap(
    protocol: Protocol, meeting: object
) -> None:
    case = in_placement(protocol)
    new = opened_by(case, lambda c: c.hold_review(meeting, by=HOST_HEAD, on=meeting.held_on))  # type: ignore[attr-defined]
    assert new == [(K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP, None)]


@EDITIONS
def test_an_emergency_review_that_continues_opens_only_paperwork(protocol: Protocol) -> None:
    case = emergency(protocol)
    meeting = emergency_meeting(
        decision=ReviewDecision.CONTINUE, additional_support="Daily key-worker check-in."
    )
    new = opened_by(
        case, lambda c: c.hold_emergency_review(meeting, by=HOST_HEAD, on=EMERGENCY_HELD)
    )
    assert new == [(K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP, None)]


# -- ending: the emergency review decides END (R11, R17) -----------------------------------------


def _end(case: Reintegration) -> None:
    case.hold_emergency_review(
        emergency_meeting(), failure_letter(), by=HOST_HEAD, on=EMERGENCY_HELD
    )


def test_ending_opens_the_closing_duties_dated_by_the_letter() -> None:
    """Revision 2: the host deletes and notifies the portal on the effective date, with the AP's
    consent to the deletion due the same day (R17)."""
    case = emergency()
    new = opened_by(case, _end)
    assert new == [
        (K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP, None),
        (K.SEND_FAILURE_LETTER, Party.HOST, None),
        (K.DELETE_FROM_ROLL, Party.HOST, LETTER_EFFECTIVE),
        (K.NOTIFY_PORTAL, Party.HOST, LETTER_EFFECTIVE),
        (K.ARRANGE_HOME_SCHOOL_MEETING, Party.AP, None),
        (K.CONSENT_TO_DELETION, Party.AP, LETTER_EFFECTIVE),
    ]


def test_ending_gives_each_dated_duty_its_regulation() -> None:
    case = ending()
    assert_basis(basis(case, K.DELETE_FROM_ROLL, Party.HOST), DELETION)
    assert DELETION_CONSENT not in basis(case, K.DELETE_FROM_ROLL, Party.HOST)
    assert_basis(basis(case, K.NOTIFY_PORTAL, Party.HOST), DELETION_RETURN)
    assert_basis(basis(case, K.CONSENT_TO_DELETION, Party.AP), DELETION_CONSENT)
    assert basis(case, K.SEND_FAILURE_LETTER, Party.HOST) == ""
    assert basis(case, K.ARRANGE_HOME_SCHOOL_MEETING, Party.AP) == ""


def test_a_later_effective_date_moves_every_dated_ending_duty() -> None:
    later = D(2026, 3, 20)
    case = ending(effective_date=later)
    due = {(o.kind, o.owner): o.due for o in case.obligations}
    assert due[(K.DELETE_FROM_ROLL, Party.HOST)] == later
    assert due[(K.NOTIFY_PORTAL, Party.HOST)] == later
    assert due[(K.CONSENT_TO_DELETION, Party.AP)] == later


def test_under_the_first_edition_ending_asks_no_consent_to_the_deletion() -> None:
    case = emergency(WORCESTERSHIRE_1)
    new = opened_by(case, _end)
    assert new == [
        (K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP, None),
        (K.SEND_FAILURE_LETTER, Party.HOST, None),
        (K.DELETE_FROM_ROLL, Party.HOST, LETTER_EFFECTIVE),
        (K.NOTIFY_PORTAL, Party.HOST, LETTER_EFFECTIVE),
        (K.ARRANGE_HOME_SCHOOL_MEETING, Party.AP, None),
    ]
    # With no consent owed, the host may delete at once.
    case.discharge(K.DELETE_FROM_ROLL, by=HOST_HEAD, on=EMERGENCY_HELD)


@EDITIONS
def test_the_unsuccessful_outcome_sends_the_paperwork_to_admissions_from_revision_2(
    protocol: Protocol,
) -> None:
    """R12 (revision 2): the outcome goes to admissions too; the first edition opened nothing."""
    case = ending(protocol)
    new = opened_by(
        case, lambda c: c.record_unsuccessful_outcome(RETURN, by=AP_STAFF, on=D(2026, 3, 17))
    )
    if protocol.edition >= 2:
        assert new == [(K.SEND_PAPERWORK_TO_ADMISSIONS, Party.AP, None)]
    else:
        assert new == []


# -- success (R13, R17) -----------------------------------------------------------------------


def _succeed(on: dt.date, form: SuccessfulOutcome = SUCCESS) -> Callable[[Reintegration], object]:
    return lambda c: c.record_successful_outcome(form, by=HOST_HEAD, on=on)


def test_success_dates_the_aps_deletion_and_the_hosts_consent_on_the_permanent_admission() -> None:
    case = made_permanent(permanent_from=PERMANENT_FROM)
    form = SuccessfulOutcome(date_on_roll=PERMANENT_FROM, joiner_form_completed=True)
    new = opened_by(case, _succeed(PERMANENT_FROM, form))
    assert new == [
        (K.COMPLETE_LEAVERS_FORM, Party.AP, PERMANENT_FROM),
        (K.TRANSFER_RECORDS, Party.AP, None),
        (K.DELETE_FROM_ROLL, Party.AP, PERMANENT_FROM),
        (K.CONSENT_TO_DELETION, Party.HOST, PERMANENT_FROM),
        (K.RETURN_OUTCOME_FORM, Party.HOST, None),
        (K.ADJUST_WEIGHTINGS, Party.LA, None),
        (K.REDESIGNATE_TRANSPORT, Party.LA, None),
    ]


def test_success_gives_each_dated_duty_its_regulation() -> None:
    case = made_permanent(permanent_from=PERMANENT_FROM)
    case.record_successful_outcome(
        SuccessfulOutcome(date_on_roll=PERMANENT_FROM, joiner_form_completed=True),
        by=HOST_HEAD,
        on=PERMANENT_FROM,
    )
    assert_basis(basis(case, K.COMPLETE_LEAVERS_FORM, Party.AP), DELETION_RETURN)
    assert_basis(basis(case, K.DELETE_FROM_ROLL, Party.AP), DELETION)
    assert DELETION_CONSENT not in basis(case, K.DELETE_FROM_ROLL, Party.AP)
    assert_basis(basis(case, K.CONSENT_TO_DELETION, Party.HOST), DELETION_CONSENT)
    for kind, owner in (
        (K.TRANSFER_RECORDS, Party.AP),
        (K.RETURN_OUTCOME_FORM, Party.HOST),
        (K.ADJUST_WEIGHTINGS, Party.LA),
        (K.REDESIGNATE_TRANSPORT, Party.LA),
    ):
        assert basis(case, kind, owner) == "", kind


def test_under_the_first_edition_success_opens_five_undated_duties() -> None:
    case = made_permanent(WORCESTERSHIRE_1)
    new = opened_by(case, _succeed(SUCCESS.date_on_roll))
    assert new == [
        (K.COMPLETE_LEAVERS_FORM, Party.AP, None),
        (K.TRANSFER_RECORDS, Party.AP, None),
        (K.RETURN_OUTCOME_FORM, Party.HOST, None),
        (K.ADJUST_WEIGHTINGS, Party.LA, None),
        (K.REDESIGNATE_TRANSPORT, Party.LA, None),
    ]
    # The first edition leaves the joiners return to be discharged on its own.
    assert [o.kind for o in case.obligations].count(K.COMPLETE_JOINERS_FORM) == 1


def test_success_closes_the_joiners_return_the_form_says_is_done() -> None:
    case = made_permanent()
    assert K.COMPLETE_JOINERS_FORM in {o.kind for o in case.obligations}
    transition = case.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=SUCCESS.date_on_roll)
    assert K.COMPLETE_JOINERS_FORM not in {o.kind for o in case.obligations}
    assert transition.data["closed"] == [{"kind": "complete_joiners_form", "owner": "host"}]


def test_success_after_the_joiners_return_was_discharged_closes_nothing() -> None:
    case = made_permanent()
    case.discharge(K.COMPLETE_JOINERS_FORM, by=HOST_STAFF, on=FINAL_REVIEW)
    transition = case.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=SUCCESS.date_on_roll)
    assert "closed" not in transition.data
    assert K.COMPLETE_JOINERS_FORM not in {o.kind for o in case.obligations}


# -- R17: deletion needs the other school's consent ---------------------------------------------


@pytest.mark.parametrize(
    ("reach", "deleter", "consenter"),
    [
        (lambda: ending(), HOST_HEAD, AP_HEAD),
        (
            lambda: _successful(),
            AP_HEAD,
            HOST_HEAD,
        ),
    ],
    ids=["ending", "success"],
)
def test_deletion_is_refused_until_the_other_school_consents_then_allowed(
    reach: Callable[[], Reintegration], deleter: object, consenter: object
) -> None:
    case = reach()
    on = case.last_on
    assert on is not None
    with pytest.raises(GuardFailed) as refused:
        case.discharge(K.DELETE_FROM_ROLL, by=deleter, on=on)  # type: ignore[arg-type]
    (reason,) = refused.value.reasons
    assert DELETION_CONSENT in reason
    case.discharge(K.CONSENT_TO_DELETION, by=consenter, on=on)  # type: ignore[arg-type]
    case.discharge(K.DELETE_FROM_ROLL, by=deleter, on=on)  # type: ignore[arg-type]
    assert K.DELETE_FROM_ROLL not in {o.kind for o in case.obligations}


def _successful() -> Reintegration:
    case = made_permanent()
    case.record_successful_outcome(SUCCESS, by=HOST_HEAD, on=SUCCESS.date_on_roll)
    return case


def test_an_open_consent_does_not_hold_up_other_discharges() -> None:
    """R17 guards the deletion only: the portal notice is discharged while consent is pending."""
    case = ending()
    case.discharge(K.NOTIFY_PORTAL, by=HOST_STAFF, on=EMERGENCY_HELD)
    assert K.CONSENT_TO_DELETION in {o.kind for o in case.obligations}


def test_the_refused_deletion_names_the_school_whose_consent_is_missing() -> None:
    with pytest.raises(GuardFailed) as refused:
        ending().discharge(K.DELETE_FROM_ROLL, by=HOST_HEAD, on=EMERGENCY_HELD)
    assert "the Alternative Provision setting has consented" in refused.value.reasons[0]
    with pytest.raises(GuardFailed) as refused:
        _successful().discharge(K.DELETE_FROM_ROLL, by=AP_HEAD, on=SUCCESS.date_on_roll)
    assert "the host school has consented" in refused.value.reasons[0]


# -- discharge --------------------------------------------------------------------------------


def test_a_discharge_closes_the_obligation_of_the_actors_own_party() -> None:
    """DELETE_FROM_ROLL can be owed by either school; the discharge records the owner that acted."""
    case = ending()
    case.discharge(K.CONSENT_TO_DELETION, by=AP_STAFF, on=EMERGENCY_HELD)
    transition = case.discharge(K.DELETE_FROM_ROLL, by=HOST_STAFF, on=EMERGENCY_HELD)
    assert transition.data["closed"] == [{"kind": "delete_from_roll", "owner": "host"}]
    assert transition.data["kind"] == "delete_from_roll"


def test_a_discharge_with_nothing_of_its_kind_open_is_refused_and_one_open_is_allowed() -> None:
    case = planned()
    with pytest.raises(GuardFailed) as refused:
        case.discharge(K.NOTIFY_PORTAL, by=HOST_STAFF, on=START)
    assert refused.value.reasons == ("No notify portal obligation is open.",)
    case.discharge(K.OFFER_VISIT, by=AP_STAFF, on=START)
    with pytest.raises(GuardFailed, match="No offer visit obligation is open"):
        case.discharge(K.OFFER_VISIT, by=AP_STAFF, on=START)
