"""Cases brought to each stage of the scenario in tests/scenario.py, under a chosen protocol.

The boundary and obligation tests share these; every date is a school day of the sample
calendar, and every form passes its rule unless a test changes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from reintegration_fsm import (
    WORCESTERSHIRE,
    Protocol,
    ReferralRoute,
    Reintegration,
    ReviewDecision,
    ReviewKind,
    SchoolCalendar,
)
from reintegration_fsm.serialisation import transition_from_json, transition_to_json
from scenario import (
    ADMISSIONS,
    AP_HEAD,
    AP_SETTING,
    AP_STAFF,
    AUTHORITY,
    CONSENTED,
    FINAL_REVIEW,
    FIRST_REVIEW,
    HOST_FOUND,
    HOST_HEAD,
    HOST_SCHOOL,
    MEETING,
    OPENED,
    PSP,
    PUPIL,
    REFERRED,
    SECOND_REVIEW,
    START,
    WITH_LA,
    D,
    consent,
    information,
    initial_meeting,
    letter,
    prepare,
    review,
    views,
)

CALENDAR = SchoolCalendar.sample()

EMERGENCY_CALLED = D(2026, 3, 9)
EMERGENCY_HELD = D(2026, 3, 12)
CONCERNS = "Left the site without permission three times in one week."


def opened(protocol: Protocol = WORCESTERSHIRE, **kwargs: Any) -> Reintegration:
    # A protocol no new case opens under (of an earlier edition, or past a bound an earlier
    # version of the library did not set) still runs the cases recorded under it.
    under = protocol if protocol.opens_cases else WORCESTERSHIRE
    case = Reintegration.open(
        "case-b",
        kwargs.get("pupil", PUPIL),
        AP_SETTING,
        AUTHORITY,
        CALENDAR,
        by=AP_HEAD,
        on=OPENED,
        protocol=under,
    )
    return case if under is protocol else recorded_under(case, protocol)


def recorded_under(case: Reintegration, protocol: Protocol) -> Reintegration:
    """`case` (just opened) as its opening reads back naming `protocol`: how a case of an
    earlier edition comes about, no case opening under one today."""
    (first,) = case.history
    written = transition_to_json(first)
    written["data"] = {
        **written["data"],
        "protocol": {"id": protocol.id, "version": protocol.version},
    }
    again = Reintegration.replay([transition_from_json(written)], CALENDAR, [protocol])
    assert again.protocol is protocol
    return again


def consented(protocol: Protocol = WORCESTERSHIRE, **kwargs: Any) -> Reintegration:
    case = opened(protocol, **kwargs)
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    return case


def referred(
    protocol: Protocol = WORCESTERSHIRE, route: ReferralRoute = ReferralRoute.PANEL
) -> Reintegration:
    case = consented(protocol)
    case.refer_to_fair_access(route, information(), PSP, by=AP_HEAD, on=REFERRED)
    return case


def host_identified(
    protocol: Protocol = WORCESTERSHIRE, route: ReferralRoute = ReferralRoute.PANEL
) -> Reintegration:
    case = referred(protocol, route)
    case.identify_host(HOST_SCHOOL, route, by=ADMISSIONS, on=HOST_FOUND)
    return case


def planned(protocol: Protocol = WORCESTERSHIRE) -> Reintegration:
    case = host_identified(protocol)
    case.hold_initial_meeting(initial_meeting(), views(), by=AP_STAFF, on=MEETING)
    return case


def in_placement(protocol: Protocol = WORCESTERSHIRE) -> Reintegration:
    case = prepare(planned(protocol))
    case.start_placement(by=HOST_HEAD, on=START)
    return case


def reviewed(protocol: Protocol = WORCESTERSHIRE) -> Reintegration:
    """In placement, with both interim reviews held on their agreed days."""
    case = in_placement(protocol)
    case.hold_review(review(FIRST_REVIEW), by=HOST_HEAD, on=FIRST_REVIEW)
    case.hold_review(review(SECOND_REVIEW), by=HOST_HEAD, on=SECOND_REVIEW)
    return case


def made_permanent(
    protocol: Protocol = WORCESTERSHIRE, permanent_from: dt.date | None = None
) -> Reintegration:
    """The final review, on its agreed day, decided a permanent move from `permanent_from`."""
    case = reviewed(protocol)
    meeting = review(FINAL_REVIEW, ReviewKind.FINAL, decision=ReviewDecision.MAKE_PERMANENT)
    if permanent_from is not None:
        meeting = review(
            FINAL_REVIEW,
            ReviewKind.FINAL,
            decision=ReviewDecision.MAKE_PERMANENT,
            permanent_from=permanent_from,
        )
    case.hold_review(meeting, by=HOST_HEAD, on=FINAL_REVIEW)
    return case


def emergency(protocol: Protocol = WORCESTERSHIRE) -> Reintegration:
    case = in_placement(protocol)
    case.call_emergency_review("Left the site three times.", by=HOST_HEAD, on=EMERGENCY_CALLED)
    return case


def emergency_meeting(held_on: dt.date = EMERGENCY_HELD, **changes: Any) -> Any:
    """An emergency review with every party, deciding END unless changed."""
    values: dict[str, Any] = dict(
        kind=ReviewKind.EMERGENCY, attendees=WITH_LA, concerns=CONCERNS, decision=ReviewDecision.END
    )
    values.update(changes)
    return review(held_on, **values)


def ending(protocol: Protocol = WORCESTERSHIRE, **letter_changes: Any) -> Reintegration:
    case = emergency(protocol)
    case.hold_emergency_review(
        emergency_meeting(), letter(**letter_changes), by=HOST_HEAD, on=EMERGENCY_HELD
    )
    return case
