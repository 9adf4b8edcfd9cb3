"""Reading term dates: TOML term-dates files (errors name the line) and iCalendar feeds.

This package turns files into plain data (`TermDates`: terms, closures, source, retrieved) and
checks it; `reintegration_fsm.calendar` builds a `SchoolCalendar` from that data and does the
school-day arithmetic. It knows nothing of bank holidays and imports only the library's errors.

One module a job: `terms` (the term dates read, their limits and checks), `toml_file` (TOML
term-dates files), `ics` (iCalendar feeds), `event_days` (which days a feed's event covers) and
`summaries` (what an event's summary decides, a closure for part of a day among it).
"""

from __future__ import annotations

from reintegration_fsm.term_dates.ics import read_ics
from reintegration_fsm.term_dates.terms import (
    LONGEST_HOLIDAY_DAYS,
    LONGEST_OTHER_HOLIDAY_DAYS,
    Closure,
    Term,
    TermDates,
    as_date,
    check_terms,
)

# Importable from here as before, and as before not in __all__.
from reintegration_fsm.term_dates.terms import LONGEST_TERM_DAYS as LONGEST_TERM_DAYS
from reintegration_fsm.term_dates.toml_file import read_sample, read_toml, read_toml_file

__all__ = [
    "LONGEST_HOLIDAY_DAYS",
    "LONGEST_OTHER_HOLIDAY_DAYS",
    "Closure",
    "Term",
    "TermDates",
    "as_date",
    "check_terms",
    "read_ics",
    "read_sample",
    "read_toml",
    "read_toml_file",
]
