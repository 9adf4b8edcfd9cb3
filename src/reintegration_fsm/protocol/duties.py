"""The statutory bases of the obligations that carry a due date set by law.

Each basis names the regulation that sets the duty and its date; docs/sources.md quotes them.
"""

from __future__ import annotations

REGULATIONS = "School Attendance (Pupil Registration) (England) Regulations 2024"
ADMISSIONS_CODE = "School Admissions Code 2021"

PLACE_OFFER_SCHOOL_DAYS = 20
"""The most school days from the referral the law gives the place offer: the seed's "the law
requires an offer of a school place to be made within 20 school days", the Fair Access duty of
the `ADMISSIONS_CODE` (docs/sources.md, R5). A protocol may ask for it sooner, never later."""

JOINERS_BASIS = (
    f"{REGULATIONS}, regulation 13(1): a new pupil return to the local authority by the end of "
    "the fifth day after the pupil's name is entered in the admission register."
)
"""The host's joiners return (the seed's Joiners Form on the Children's Services Portal)."""
JOINERS_RETURN_DAYS = 5
"""The most days after the start the law gives the joiners return (`JOINERS_BASIS`): a
protocol may ask for it sooner, never later."""

DELETION_BASIS = (
    f"{REGULATIONS}, regulation 9(1)(c) (the seed cites the superseded 2006 Regulations, "
    "regulation 8(1)(c))."
)
"""Deleting a dual-registered pupil's name from one of its two schools' registers."""

DELETION_RETURN_BASIS = (
    f"{REGULATIONS}, regulation 13(4): a deletion return to the local authority when the pupil's "
    "name is deleted."
)
"""Telling the local authority of a deletion (the host's portal notice; the AP's Leavers Form)."""

CONSENT_TO_DELETION_BASIS = (
    f"{REGULATIONS}, regulation 9(1)(c)(ii): the name of a pupil registered at more than one "
    'school is deleted only when "the proprietor of each other school where the pupil is '
    'registered has consented to the deletion".'
)
"""R17: the other school's consent, without which the deletion may not happen."""

BASES = {
    "13(1)": JOINERS_BASIS,
    "9(1)(c)": DELETION_BASIS,
    "13(4)": DELETION_RETURN_BASIS,
    "9(1)(c)(ii)": CONSENT_TO_DELETION_BASIS,
}
"""Each basis by the regulation it cites: how a case's recorded state names it."""
