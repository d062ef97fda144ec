"""The appraisal app's models, one module per instrument: campaigns.py (民主评议: campaigns,
questions, invitations, answers) and openness.py (政务公开 checks: campaigns, checklist, findings).
Each module's models are imported here by name so Django finds them."""

from appraisal.models.campaigns import Answer, AnswerItem, Campaign, Invitation, Question
from appraisal.models.openness import (
    ChecklistItem,
    Criterion,
    DemonstrationSite,
    FindingEvidence,
    OpennessCampaign,
    OpennessFinding,
)

__all__ = [
    "Answer",
    "AnswerItem",
    "Campaign",
    "ChecklistItem",
    "Criterion",
    "DemonstrationSite",
    "FindingEvidence",
    "Invitation",
    "OpennessCampaign",
    "OpennessFinding",
    "Question",
]
