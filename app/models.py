"""Every model, imported once so the metadata (and Alembic) sees the whole schema."""

from app.accounts.models import AccountRequest
from app.accounts.models import Membership
from app.accounts.models import Passkey
from app.accounts.models import PasswordToken
from app.accounts.models import RecoveryCode
from app.accounts.models import UsedPasskeyChallenge
from app.accounts.models import User
from app.api.models import ApiToken
from app.audit.models import AuditEntry
from app.documents.models import Document
from app.ernsettings.models import ErnSettings
from app.expertise.models import ConsultationLanguage
from app.expertise.models import DeclaredExpertise
from app.expertise.models import HiddenLearnedCode
from app.formdesign.models import FormVersion
from app.interop.models import ImportedItem
from app.mail.models import OutgoingMail
from app.meetings.models import CalendarFeed
from app.meetings.models import Meeting
from app.meetings.models import MeetingInvitee
from app.meetings.models import MeetingPoll
from app.meetings.models import PollSlot
from app.meetings.models import PollVote
from app.notifications.models import Notification
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.panels.models import Contribution
from app.panels.models import DataRequest
from app.panels.models import ExpertGroup
from app.panels.models import FollowUp
from app.panels.models import Outcome
from app.panels.models import OutcomeAddendum
from app.panels.models import Panel
from app.panels.models import PanelMember
from app.panels.models import TimelineEntry
from app.patients.models import CpmsCounter
from app.patients.models import Patient
from app.tasks.models import OpenTask
from app.tasks.models import SlaRule
from app.tasks.models import TaskDraft
from app.tasks.models import TaskSubmission
from app.workflows.models import InstanceEvent
from app.workflows.models import ProcessDefinition
from app.workflows.models import ProcessInstance

__all__ = [
    "ApiToken",
    "ImportedItem",
    "AccountRequest",
    "CalendarFeed",
    "Meeting",
    "MeetingInvitee",
    "MeetingPoll",
    "PollSlot",
    "PollVote",
    "Contribution",
    "DataRequest",
    "Document",
    "ErnSettings",
    "FormVersion",
    "ExpertGroup",
    "FollowUp",
    "Notification",
    "Outcome",
    "OutcomeAddendum",
    "Panel",
    "PanelMember",
    "TaskDraft",
    "TimelineEntry",
    "Passkey",
    "PasswordToken",
    "AuditEntry",
    "Centre",
    "CpmsCounter",
    "Ern",
    "InstanceEvent",
    "Membership",
    "OpenTask",
    "SlaRule",
    "OutgoingMail",
    "Patient",
    "ProcessDefinition",
    "ProcessInstance",
    "RecoveryCode",
    "TaskSubmission",
    "ThematicArea",
    "UsedPasskeyChallenge",
    "User",
    "ConsultationLanguage",
    "DeclaredExpertise",
    "HiddenLearnedCode",
]
