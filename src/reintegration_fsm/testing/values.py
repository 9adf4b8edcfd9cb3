"""Invented names and texts, actors, pupils and the other basic values the strategies build from.

Every name here is made up (small fixed lists of invented names, or random text). The helpers
not in `__all__` are shared by the other modules of `reintegration_fsm.testing` and are not part
of its public API.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from stdnum.gb import upn as upn_check

from reintegration_fsm.fields import prints_nothing
from reintegration_fsm.forms import Attendee, Pupil, ReintegrationTimetable
from reintegration_fsm.shown import NONCHARACTERS
from reintegration_fsm.testing.arguments import cached, checked, day, field, optional
from reintegration_fsm.vocabulary import FAMILY_ROLES, Actor, Party, Role, Session

__all__ = [
    "AP_SETTINGS",
    "AUTHORITIES",
    "EARLIEST",
    "FAMILY_NAMES",
    "FIRST_NAMES",
    "HOST_SCHOOLS",
    "LATEST",
    "actors",
    "attendees",
    "blank_names",
    "blank_texts",
    "pupils",
    "texts",
    "timetables",
]

# -- invented names -------------------------------------------------------------------------------
FIRST_NAMES = ("Alex", "Sam", "Robin", "Jesse", "Kit", "Rowan", "Ellis", "Noor", "Tamsin", "Idris")
FAMILY_NAMES = ("Example", "Sample", "Testwood", "Mockridge", "Fakeham", "Demoford", "Specimen")
AP_SETTINGS = ("Testwood Learning Centre", "Mockridge Pupil Referral Unit", "Sampleton AP Hub")
HOST_SCHOOLS = ("Fakeham Academy", "Demoford High School", "Specimen Park School")
AUTHORITIES = ("Example County Council", "Sample Borough Council")
_PHRASES = (
    "Settled and attending well.",
    "Bus pass on route 44; parent drives on Fridays.",
    "Attend every day and use the time-out card.",
    "Provide a key worker and a quiet space.",
    "Keep in touch weekly and attend reviews.",
    "Daily mentoring with a key worker",
    "Adapted timetable",
    "Left the site without permission three times in one week.",
    "Met with the family on Monday.\nAgreed:\t- a reduced timetable\n\t- weekly calls",
)

EARLIEST = dt.date(2025, 9, 1)
"""The first day of the shipped sample calendar; default lower bound of generated dates."""
LATEST = dt.date(2027, 7, 21)
"""The last day of the shipped sample calendar; default upper bound of generated dates."""
ONE_DAY = dt.timedelta(days=1)

AP_ROLES = (Role.AP_HEAD, Role.AP_STAFF)
"""The roles of the AP setting's people."""
HOST_ROLES = (Role.HOST_HEAD, Role.HOST_STAFF)
"""The roles of the host school's people."""


def days_between(low: dt.date, high: dt.date) -> st.SearchStrategy[dt.date]:
    """Dates from `low` to `high` (`low` alone when `high` is earlier)."""
    return st.dates(min_value=low, max_value=max(low, high))


def day_within(draw: st.DrawFn, low: dt.date, most: int) -> dt.date:
    """A date drawn from `low` to `most` days after it."""
    return low + draw(st.integers(0, most)) * ONE_DAY


def days_left(start: dt.date, most: int) -> int:
    """`most`, or the days there are after `start` where fewer: a protocol an earlier version
    took may count more days than any date is from `start` (`final_review_within_days =
    99999999` loads, for the cases opened under it)."""
    return min(most, dt.date.max.toordinal() - start.toordinal())


# -- text and names ------------------------------------------------------------------------------


@checked()
@cached
def texts() -> st.SearchStrategy[str]:
    """Non-blank text: a plain sentence or arbitrary printable Unicode, with tabs and line
    breaks as pasted paragraphs have (no other control character, no lone surrogates, no
    noncharacters: what every form's free text accepts), that prints something (not only
    characters nobody sees, which a rule reads as blank: `blank_texts`)."""
    return st.one_of(
        st.sampled_from(_PHRASES),
        st.text(
            st.characters(
                codec="utf-8",
                exclude_categories=("Cc", "Cs"),
                exclude_characters=NONCHARACTERS,
                include_characters="\t\n",
            ),
            min_size=1,
            max_size=40,
        ).filter(lambda text: not prints_nothing(text)),
    )


_PRINTING_NOTHING = (
    "\u200b",  # a zero-width space, as a paste from Word or an email brings
    "\ufeff",  # a byte order mark, at the start of a pasted file
    "\u00ad",  # a soft hyphen
    "\u2800",  # the blank Braille pattern
    "\u3164",  # the Hangul filler
    "\u200d",  # a zero-width joiner beside no letter it could join
    " \u200b ",
    "\u200b\u2800\ufeff",
)
"""Text that prints nothing and is not whitespace (`fields.prints_nothing`): a step taken now
reads it as not given, as it reads empty text (a history recorded when the rules took it as
given still replays)."""


@checked()
@cached
def blank_texts() -> st.SearchStrategy[str]:
    """Text a rule treats as missing: empty, whitespace only, or printing nothing at all (only
    characters nobody sees, such as a zero-width space, and blank ones such as the blank
    Braille pattern)."""
    return st.sampled_from(("", " ", "\t", "  \n ", "\u200b\n", *_PRINTING_NOTHING))


@checked()
@cached
def blank_names() -> st.SearchStrategy[str]:
    """A name a rule treats as missing: empty, spaces, or printing nothing at all (as
    `blank_texts`), on one line (as a name must be)."""
    return st.sampled_from(("", " ", "\t", "   ", *_PRINTING_NOTHING))


@functools.cache
def person_names() -> st.SearchStrategy[str]:
    """Invented full names: a first name and a family name."""
    return st.builds(
        lambda first, family: f"{first} {family}",
        st.sampled_from(FIRST_NAMES),
        st.sampled_from(FAMILY_NAMES),
    )


@functools.cache
def maybe_texts() -> st.SearchStrategy[str]:
    """`texts()`, or the empty text."""
    return st.just("") | texts()


@functools.cache
def maybe_person_names() -> st.SearchStrategy[str]:
    """`person_names()`, or the empty text."""
    return st.just("") | person_names()


@st.composite
def _upns(draw: st.DrawFn) -> str:
    # A UPN is a check letter, the issuing school's authority (3 digits) and establishment
    # (4 digits), the year issued and a serial number; a temporary one ends in a letter. The
    # form's check (python-stdnum) takes only an authority that exists; establishment numbers
    # start at 1000, so one of 0000, ending in a letter, is no real child's.
    local_authority = draw(st.sampled_from((201, 202, 330, 885, 936)))
    issued = draw(st.text("0123456789", min_size=4, max_size=4))
    last = draw(st.sampled_from("ABCDEFGHJKLMNPQRTUVWXYZ"))
    rest = f"{local_authority}{INVENTED_ESTABLISHMENT}{issued}{last}"
    return f"{upn_check.calc_check_digit(rest)}{rest}"


INVENTED_ESTABLISHMENT = "0000"
"""The establishment number of every UPN `pupils` draws: no school's (they start at 1000)."""
_AGES_IN_KEY_STAGE = {0: (4, 4), 1: (5, 6), 2: (7, 10), 3: (11, 13), 4: (14, 15), 5: (16, 17)}
"""The ages, on the 31 August before a school year starts, of the children in each key stage
that year: 0 Reception (the early years), 1 years 1-2, 2 years 3-6, 3 years 7-9, 4 years 10-11,
5 years 12-13 (sixth form)."""


def _school_year(on: dt.date) -> int:
    """The year the school year holding `on` started (on 1 September)."""
    return on.year if on.month >= 9 else on.year - 1


def _born(key_stage: int, on: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last dates of birth of a child in `key_stage` in the school year holding
    `on`."""
    youngest, oldest = _AGES_IN_KEY_STAGE[key_stage]
    year = _school_year(on)
    return dt.date(year - oldest - 1, 9, 1), dt.date(year - youngest, 8, 31)


# -- values --------------------------------------------------------------------------------------
@checked(
    key_stage=optional(field(Pupil, "key_stage")),
    looked_after=optional(field(Pupil, "looked_after")),
    on=optional(day),
)
@st.composite
def pupils(
    draw: st.DrawFn,
    key_stage: int | None = None,
    looked_after: bool | None = None,
    on: dt.date | None = None,
) -> Pupil:
    """A pupil eligible for the protocol (R1: not on a mainstream roll), maybe with an invented
    UPN (a temporary one, of establishment 0000, which no school has).

    The key stage (`key_stage`, any when None) is the child's by their date of birth in the
    school year holding `on` (from 1 September; `EARLIEST`'s, 2025/26, when None), or in
    today's when a child of that key stage that year may not be born yet (a year some years
    ahead). A child starts Reception (key stage 0) in the school year after their fourth
    birthday's 31 August. `looked_after` says whether the child is looked after (drawn when
    None).
    """
    stage = draw(st.integers(0, 5)) if key_stage is None else key_stage
    year_of = EARLIEST if on is None else on
    if _born(stage, year_of)[1] >= dt.date.today():
        year_of = dt.date.today()
    return Pupil(
        name=draw(person_names()),
        date_of_birth=draw(days_between(*_born(stage, year_of))),
        key_stage=stage,
        looked_after=draw(st.booleans()) if looked_after is None else looked_after,
        upn=draw(st.none() | _upns()),
        address=draw(maybe_texts()),
    )


def _family_acts_alone(given: Mapping[str, Any]) -> tuple[str, str] | None:
    """A parent or the child given an organisation, which R15 refuses them."""
    if given["role"] in FAMILY_ROLES and not prints_nothing(given["organisation"] or ""):
        return (
            "organisation",
            f"a {given['role'].value} acts for themselves and gives no organisation (R15)",
        )
    return None


@checked(
    _family_acts_alone,
    role=optional(field(Actor, "role")),
    organisation=optional(field(Actor, "organisation")),
)
@functools.lru_cache(maxsize=256)
def actors(role: Role | None = None, organisation: str | None = None) -> st.SearchStrategy[Actor]:
    """An actor of `role` (any role when None) acting for `organisation`.

    Without `organisation`, AP, host and LA actors act for one of the invented `AP_SETTINGS`,
    `HOST_SCHOOLS` or `AUTHORITIES`. Parents and children act for themselves: they never have
    an organisation (R15 refuses a step by one who gives one), and a `role` of theirs given an
    `organisation` is refused (`InvalidArgument`); given one that prints nothing (none, to
    R15), they act for it as given. With `role` None, a parent or child drawn is given no
    other.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Actor:
        chosen = draw(st.sampled_from(tuple(Role))) if role is None else role
        if organisation is not None and (
            chosen not in FAMILY_ROLES or prints_nothing(organisation)
        ):
            where = organisation  # the family's only when it prints nothing (checked above)
        elif chosen in FAMILY_ROLES:
            where = ""
        elif chosen in AP_ROLES:
            where = draw(st.sampled_from(AP_SETTINGS))
        elif chosen in HOST_ROLES:
            where = draw(st.sampled_from(HOST_SCHOOLS))
        elif chosen is Role.LA_ADMISSIONS:
            where = draw(st.sampled_from(AUTHORITIES))
        else:
            where = ""
        number = draw(st.integers(1, 999))
        return Actor(f"{chosen.value}-{number}", draw(person_names()), chosen, where)

    return build()


@checked(party=optional(field(Attendee, "party")))
@cached
def attendees(party: Party | None = None) -> st.SearchStrategy[Attendee]:
    """Someone at a meeting, for `party` (any party when None)."""
    return st.builds(
        Attendee, person_names(), st.sampled_from(tuple(Party)) if party is None else st.just(party)
    )


@checked()
@st.composite
def timetables(draw: st.DrawFn) -> ReintegrationTimetable:
    """A week of the Reintegration Timetable, beginning on a Monday."""
    day = draw(days_between(EARLIEST, LATEST))
    sessions = st.sampled_from(tuple(Session))
    return ReintegrationTimetable(
        day - day.weekday() * ONE_DAY, *(draw(sessions) for _ in range(10))
    )
