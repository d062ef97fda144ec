"""The staff workplace for casework, one module per part: the case list and its workflow
(``cases``), triage on the complaint (``triage``, where the complaint admin is registered) and
the other records (``records``). Importing the package registers them all."""

from casework.admin import (
    conversation,  # noqa: F401 - registers the note and message buttons
    extensions,  # noqa: F401 - registers the extension requests
)
from casework.admin.cases import (
    CASE_ACTIONS,
    CaseAdmin,
    EscalationLevelFilter,
    MineFilter,
    OverdueFilter,
    UnsatisfiedFilter,
)
from casework.admin.records import (
    AccountabilityTalkAdmin,
    CaseEventAdmin,
    IdentityAccessRequestAdmin,
    RecommendationAdmin,
    ReferralAdmin,
    ReferralPeriodAdmin,
    UnannouncedVisitAdmin,
)
from casework.admin.triage import COMPLAINT_ACTIONS, TriageComplaintAdmin

__all__ = [
    "CASE_ACTIONS",
    "COMPLAINT_ACTIONS",
    "AccountabilityTalkAdmin",
    "CaseAdmin",
    "CaseEventAdmin",
    "EscalationLevelFilter",
    "IdentityAccessRequestAdmin",
    "MineFilter",
    "OverdueFilter",
    "RecommendationAdmin",
    "ReferralAdmin",
    "ReferralPeriodAdmin",
    "TriageComplaintAdmin",
    "UnannouncedVisitAdmin",
    "UnsatisfiedFilter",
]
