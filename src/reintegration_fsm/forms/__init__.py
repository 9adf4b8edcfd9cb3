"""The seed protocol's forms as frozen attrs classes, one module per form.

Validators refuse only wrong types and impossible values (`FormInvalid`); empty, false or
out-of-order content builds, and the rule that needs it says what is missing.
"""

from reintegration_fsm.forms.consent import ConsentForm
from reintegration_fsm.forms.information import (
    Measure,
    PastoralSupportPlan,
    Professional,
    ReintegrationInformation,
)
from reintegration_fsm.forms.letter import REMOVED_DAY, FailureLetter, english_date, long_date
from reintegration_fsm.forms.meetings import Attendee, InitialMeeting, ReviewMeeting
from reintegration_fsm.forms.outcomes import SuccessfulOutcome, UnsuccessfulOutcome
from reintegration_fsm.forms.pupil import Pupil
from reintegration_fsm.forms.timetable import SESSION_NAMES, ReintegrationTimetable
from reintegration_fsm.forms.views import ChildViews

__all__ = [
    "REMOVED_DAY",
    "SESSION_NAMES",
    "Attendee",
    "ChildViews",
    "ConsentForm",
    "FailureLetter",
    "InitialMeeting",
    "Measure",
    "PastoralSupportPlan",
    "Professional",
    "Pupil",
    "ReintegrationInformation",
    "ReintegrationTimetable",
    "ReviewMeeting",
    "SuccessfulOutcome",
    "UnsuccessfulOutcome",
    "english_date",
    "long_date",
]
