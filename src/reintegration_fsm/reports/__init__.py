"""Reports for a Fair Access panel and an inspection: figures from cases, and the formats that
show them (JSON, tables for CSV and xlsx, a printable HTML page with charts).

`figures` needs only the package's own dependencies; the HTML page draws its charts with
matplotlib, the optional `reports` extra (`pip install 'reintegration-fsm[reports]'`).
"""

from reintegration_fsm.reports.figures import figures
from reintegration_fsm.reports.model import Count, Figures, Offer, SchoolRow
from reintegration_fsm.reports.periods import Period, academic_year, current_academic_year

__all__ = [
    "Count",
    "Figures",
    "Offer",
    "Period",
    "SchoolRow",
    "academic_year",
    "current_academic_year",
    "figures",
]
