"""LIF's models, one module per aggregate."""

from .action_plan import Action, ActionPlan, Evidence, ProgressUpdate
from .agency import Agency
from .attachment import Attachment
from .audit import Audit, Participant, Recommendation
from .audit_work import (
    AuditCase,
    AuditResponse,
    AuditTool,
    Question,
    RecommendationLink,
    SampleDraw,
    Section11Outcome,
    ToolAssignment,
)
from .base import Content, WorkflowEntry
from .install import InstallSetting
from .learning import Activity, Finding
from .meeting import AgendaItem, Meeting
from .notification import Notification
from .pdc_review import PDCReview, Verdict
from .records import AppendOnlyError, AuditEvent, Version
from .referral import InformationRequest, Notice, Person, Referral
from .review import Review
from .saved_search import SavedSearch
from .throttle import LoginThrottle
from .user import ApiToken, PasswordReset, User

CONTENT_TYPES = {
    cls.type_key: cls
    for cls in (Review, Audit, ActionPlan, Action, PDCReview, Referral, InformationRequest, Meeting)
}

__all__ = [
    "CONTENT_TYPES",
    "Action",
    "ActionPlan",
    "Activity",
    "Agency",
    "AgendaItem",
    "ApiToken",
    "AppendOnlyError",
    "Attachment",
    "Audit",
    "AuditCase",
    "AuditEvent",
    "AuditResponse",
    "AuditTool",
    "Content",
    "InstallSetting",
    "Evidence",
    "Finding",
    "InformationRequest",
    "LoginThrottle",
    "Meeting",
    "Notice",
    "Notification",
    "PDCReview",
    "PasswordReset",
    "Participant",
    "Person",
    "ProgressUpdate",
    "Question",
    "Recommendation",
    "RecommendationLink",
    "Referral",
    "Review",
    "SavedSearch",
    "SampleDraw",
    "Section11Outcome",
    "ToolAssignment",
    "User",
    "Verdict",
    "Version",
    "WorkflowEntry",
]
