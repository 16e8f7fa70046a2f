"""Panels (virtual expert boards on one patient's case), their members and everything said in them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Column
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow
from app.notifications.models import shown as shown_message
from app.organisations.models import Centre
from app.organisations.models import Ern
from app.organisations.models import ThematicArea
from app.patients.models import Patient


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class Phase(enum.StrEnum):
    """Where a panel stands (SPEC §5); set by the panel process as it moves on."""

    CREATION = "creation"
    SELECTION = "selection"
    ASSESSMENT = "assessment"
    REVIEW = "review"
    SIGNED = "signed"
    CLOSED = "closed"


PHASE_LABELS = {
    Phase.CREATION: "Panel in creation",
    Phase.SELECTION: "Panel selection",
    Phase.ASSESSMENT: "Panel in progress",
    Phase.REVIEW: "Outcome in review",
    Phase.SIGNED: "Outcome signed off",
    Phase.CLOSED: "Closed",
}

# Phases in which members assess the case: contributions, comments and additional-data requests.
ASSESSING = frozenset({Phase.SELECTION, Phase.ASSESSMENT, Phase.REVIEW})


class ClosingReason(enum.StrEnum):
    ADVICE_GIVEN = "advice_given"
    INSUFFICIENT_DATA = "insufficient_data"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"
    OTHER = "other"


class Panel(db.Model):  # type: ignore[name-defined,misc]
    """A virtual advisory board on one patient's case, in one ERN and thematic area."""

    __tablename__ = "panels"
    __table_args__ = (
        Index("ix_panels_ern_phase", "ern_id", "archived", "phase"),
        Index("ix_panels_ern_updated", "ern_id", "archived", "updated_at"),
        Index("ix_panels_centre", "centre_id", "archived"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id"))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    thematic_area_id: Mapped[int] = mapped_column(ForeignKey("thematic_areas.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    phase: Mapped[Phase] = mapped_column(_enum(Phase), default=Phase.CREATION)
    nickname: Mapped[str] = mapped_column(String(100), default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    # The submitted consultation form (pseudonymised clinical content; never names or birth dates).
    consultation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consultation_submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closing_reason: Mapped[ClosingReason | None] = mapped_column(_enum(ClosingReason))
    closing_note: Mapped[str] = mapped_column(String(2000), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    archived: Mapped[bool] = mapped_column(default=False)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    previous_panel_id: Mapped[int | None] = mapped_column(ForeignKey("panels.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    # The ERN's version of the consultation form this panel uses (None: the base form in forms/).
    consultation_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"))

    patient: Mapped[Patient] = relationship()
    ern: Mapped[Ern] = relationship()
    centre: Mapped[Centre] = relationship()
    thematic_area: Mapped[ThematicArea] = relationship()
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    members: Mapped[list[PanelMember]] = relationship(back_populates="panel", order_by="PanelMember.id")
    previous_panel: Mapped[Panel | None] = relationship(remote_side=[id])

    @property
    def status_label(self) -> str:
        if self.archived:
            return "Archived"
        return PHASE_LABELS[self.phase]

    @property
    def title(self) -> str:
        return title_of(self.id, self.nickname)

    @property
    def closed(self) -> bool:
        return self.phase == Phase.CLOSED

    def accepted_members(self) -> list[PanelMember]:
        return [m for m in self.members if m.status == InvitationStatus.ACCEPTED]

    def take_consultation(self, answers: dict[str, Any], by: User, number: int) -> ConsultationVersion:
        """The consultation form's answers become the case description, as its version ``number`` (1: the first
        submission); nickname and urgency show in lists. The caller adds the version to the session."""
        stored = stored_answers(answers)
        self.consultation = stored
        self.nickname = str(answers["nickname"])
        self.urgent = answers.get("urgent") == "yes"
        version = ConsultationVersion(panel_id=self.id, number=number, answers=stored, submitted_by_id=by.id, submitted_at=utcnow())
        if self.consultation_submitted_at is None:
            self.consultation_submitted_at = version.submitted_at
        return version


class ConsultationVersion(db.Model):  # type: ignore[name-defined,misc]
    """One submission of a panel's consultation form: the first through its task, then each edit while the panel is
    open. The newest is the panel's case description (``Panel.consultation``); the others are its history."""

    __tablename__ = "consultation_versions"
    __table_args__ = (UniqueConstraint("panel_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    number: Mapped[int]
    # The answers as submitted (pseudonymised clinical content, as in Panel.consultation).
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    submitted_by: Mapped[User | None] = relationship()


class InvitationStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class PanelMember(db.Model):  # type: ignore[name-defined,misc]
    """An expert invited to a panel, and how they answered; the lead is a member too."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("panel_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[InvitationStatus] = mapped_column(_enum(InvitationStatus), default=InvitationStatus.INVITED)
    invited_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


class Contribution(db.Model):  # type: ignore[name-defined,misc]
    """A member's advice on the case, with the time it took."""

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    minutes_spent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    author: Mapped[User | None] = relationship()
    comments: Mapped[list[ContributionComment]] = relationship(order_by="ContributionComment.id")


class ContributionComment(db.Model):  # type: ignore[name-defined,misc]
    """A member's remark on one contribution (a question to its author, agreement, a correction)."""

    __tablename__ = "contribution_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    author: Mapped[User | None] = relationship()


class DataRequest(db.Model):  # type: ignore[name-defined,misc]
    """A member asks for more data on the case; the lead or the patient's centre provides it."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    provided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    provided_by: Mapped[User | None] = relationship(foreign_keys=[provided_by_id])


class Outcome(db.Model):  # type: ignore[name-defined,misc]
    """The panel's advice; immutable once signed off (corrections are addenda)."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), unique=True)
    case_question: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    diagnosis_codes: Mapped[str] = mapped_column(String(500), default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    drafted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    addenda: Mapped[list[OutcomeAddendum]] = relationship(order_by="OutcomeAddendum.id")


class OutcomeAddendum(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "outcome_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    author: Mapped[User | None] = relationship()


class FollowUp(db.Model):  # type: ignore[name-defined,misc]
    """The patient's centre's answer, months after the outcome was signed: was the advice followed, what happened.
    Or the end of the follow-up, with its reason (the patient died, was lost to follow-up)."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    months: Mapped[int] = mapped_column()  # after the sign-off: 3, 6, 12 by default
    # "fully" | "partly" | "not" | "" (ended before an answer)
    advice_followed: Mapped[str] = mapped_column(String(20), default="")
    why: Mapped[str] = mapped_column(Text, default="")
    current_status: Mapped[str] = mapped_column(Text, default="")
    # "confirmed" | "changed" | "unknown" | ""
    diagnosis: Mapped[str] = mapped_column(String(20), default="")
    diagnosis_codes: Mapped[str] = mapped_column(String(500), default="")
    # Why no further follow-up is needed ("died", "lost_to_follow_up", "other"); "" while it goes on.
    ended_reason: Mapped[str] = mapped_column(String(40), default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    answered_by: Mapped[User | None] = relationship()


class TimelineEntry(db.Model):  # type: ignore[name-defined,misc]
    """One line of a panel's timeline: a step, a comment, a document; newest first on the page."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_panel_at", "panel_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    # A line the app wrote: its English message (the catalogue's msgid) and the values it names, shown in the reader's
    # language (app.i18n.render); ``text`` then holds the English rendering (free text a person wrote stays in text).
    message: Mapped[str] = mapped_column(String(500), default="", server_default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor: Mapped[User | None] = relationship()

    @property
    def shown(self) -> str:
        """The line in the current (the reader's) language; free text as it was written."""
        return shown_message(self.message, self.params) if self.message else self.text


expert_group_members = Table(
    "expert_group_members",
    db.metadata,
    Column("group_id", ForeignKey("expert_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class ExpertGroup(db.Model):  # type: ignore[name-defined,misc]
    """A named, ERN-managed list of experts that a lead invites in one click."""

    __tablename__ = "expert_groups"
    __table_args__ = (UniqueConstraint("ern_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ern_id: Mapped[int] = mapped_column(ForeignKey("erns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    members: Mapped[list[User]] = relationship(secondary=expert_group_members, order_by="User.last_name")


def stored_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """A form's cleaned answers as JSON keeps them (dates as ISO text)."""
    return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in answers.items()}


def title_of(panel_id: int, nickname: str | None) -> str:
    """How a panel is named everywhere (#4748 judhv), for code that reads plain rows too."""
    return f"#{panel_id} {nickname or ''}".rstrip()
