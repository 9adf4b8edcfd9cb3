"""reintegration_fsm: a school reintegration protocol as an explicit, auditable state machine.

A child in Alternative Provision moves back to a mainstream host school through the local
authority's Fair Access panel; every step is a typed trigger on `Reintegration`, guarded by the
protocol's rules R1-R17 and recorded in a tamper-evident history.
"""

from typing import TYPE_CHECKING, Any

from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import (
    AlteredRow,
    CalendarError,
    CalendarFileError,
    CaseNotFound,
    ChangedProtocol,
    ConcurrentUpdate,
    FormInvalid,
    GuardFailed,
    GuessableRedaction,
    IllegalTransition,
    NotPermitted,
    ProtocolDefinitionError,
    ProtocolError,
    StoreError,
    UnknownProtocol,
)
from reintegration_fsm.forms import (
    Attendee,
    ChildViews,
    ConsentForm,
    FailureLetter,
    InitialMeeting,
    Measure,
    PastoralSupportPlan,
    Professional,
    Pupil,
    ReintegrationInformation,
    ReintegrationTimetable,
    ReviewMeeting,
    SuccessfulOutcome,
    UnsuccessfulOutcome,
)
from reintegration_fsm.protocol.definition import (
    WORCESTERSHIRE,
    WORCESTERSHIRE_1,
    WORCESTERSHIRE_2,
    Protocol,
)
from reintegration_fsm.records import Deadline, Departure, Obligation, Transition
from reintegration_fsm.version import __version__
from reintegration_fsm.vocabulary import (
    Actor,
    DeadlineKind,
    Evidence,
    ObligationKind,
    Party,
    Rating,
    ReferralRoute,
    ReviewDecision,
    ReviewKind,
    Role,
    Session,
    Stage,
    Trigger,
)

if TYPE_CHECKING:
    from reintegration_fsm.stores import (
        CaseSummary,
        Checkpoint,
        CheckpointRefused,
        DueItem,
        InMemoryStore,
        LedgerEntry,
        MalformedCheckpoint,
        RedactionNote,
        RetentionPolicy,
        SqlAlchemyStore,
    )


_STORES = frozenset(
    {
        "CaseSummary",
        "Checkpoint",
        "CheckpointRefused",
        "DueItem",
        "InMemoryStore",
        "LedgerEntry",
        "MalformedCheckpoint",
        "RedactionNote",
        "RetentionPolicy",
        "SqlAlchemyStore",
    }
)


def __getattr__(name: str) -> Any:
    # The stores are importable from here, but loaded (with SQLAlchemy) only when first asked for.
    if name in _STORES:
        from reintegration_fsm import stores

        return getattr(stores, name)
    raise AttributeError(f"module 'reintegration_fsm' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazy names too, so that help() and a REPL's completion show the stores.
    return sorted({*globals(), *_STORES})


__all__ = [
    "WORCESTERSHIRE",
    "WORCESTERSHIRE_1",
    "WORCESTERSHIRE_2",
    "Actor",
    "AlteredRow",
    "Attendee",
    "CalendarError",
    "CalendarFileError",
    "CaseNotFound",
    "CaseSummary",
    "ChangedProtocol",
    "Checkpoint",
    "CheckpointRefused",
    "ChildViews",
    "ConcurrentUpdate",
    "ConsentForm",
    "Deadline",
    "DeadlineKind",
    "Departure",
    "DueItem",
    "Evidence",
    "FailureLetter",
    "FormInvalid",
    "GuardFailed",
    "GuessableRedaction",
    "IllegalTransition",
    "InMemoryStore",
    "InitialMeeting",
    "LedgerEntry",
    "MalformedCheckpoint",
    "Measure",
    "NotPermitted",
    "Obligation",
    "ObligationKind",
    "Party",
    "PastoralSupportPlan",
    "Professional",
    "Protocol",
    "ProtocolDefinitionError",
    "ProtocolError",
    "Pupil",
    "Rating",
    "RedactionNote",
    "ReferralRoute",
    "Reintegration",
    "ReintegrationInformation",
    "ReintegrationTimetable",
    "RetentionPolicy",
    "ReviewDecision",
    "ReviewKind",
    "ReviewMeeting",
    "Role",
    "SchoolCalendar",
    "Session",
    "SqlAlchemyStore",
    "Stage",
    "StoreError",
    "SuccessfulOutcome",
    "Transition",
    "Trigger",
    "UnknownProtocol",
    "UnsuccessfulOutcome",
    "__version__",
]
