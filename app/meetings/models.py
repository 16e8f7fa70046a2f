"""Meetings of a panel: the meeting with its invitees and their answers, polls for a time, personal calendar feeds."""

from __future__ import annotations

import enum
from datetime import datetime
from datetime import timedelta

from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import User
from app.database import UtcDateTime
from app.database import db
from app.database import utcnow
from app.panels.models import Panel

# A meeting lasts at most this long; longer is a mistake of the form (minutes taken for hours).
MAX_DURATION_MINUTES = 12 * 60
# "Join" shows this long before the start.
JOIN_OPENS_BEFORE = timedelta(minutes=15)


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Answer(enum.StrEnum):
    """An invitee's answer (iCalendar's PARTSTAT: NEEDS-ACTION, ACCEPTED, TENTATIVE, DECLINED)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


class Meeting(db.Model):  # type: ignore[name-defined,misc]
    """A video meeting of a panel's members; its reminders and minutes are the meeting process's tasks."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_panel_starts", "panel_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column()
    # The zone the scheduler entered the time in (the .ics names it; everyone else sees their own).
    time_zone: Mapped[str] = mapped_column(String(64))
    join_url: Mapped[str] = mapped_column(String(500), default="")
    # iCalendar: the UID never changes; SEQUENCE grows with every change sent to the invitees.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus), default=MeetingStatus.SCHEDULED)
    cancel_reason: Mapped[str] = mapped_column(String(40), default="")  # "" | "cancelled" | "panel_closed"
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="SET NULL"), index=True)
    # Who records the minutes: the lead unless the lead names a member.
    minutes_taker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    minutes_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    panel: Mapped[Panel] = relationship()
    scheduled_by: Mapped[User | None] = relationship(foreign_keys=[scheduled_by_id])
    minutes_taker: Mapped[User | None] = relationship(foreign_keys=[minutes_taker_id])
    minutes_by: Mapped[User | None] = relationship(foreign_keys=[minutes_by_id])
    invitees: Mapped[list[MeetingInvitee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingInvitee.id"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    def invitee(self, user_id: int) -> MeetingInvitee | None:
        return next((i for i in self.invitees if i.user_id == user_id), None)


class MeetingInvitee(db.Model):  # type: ignore[name-defined,misc]
    """One person invited to a meeting: their answer with an optional note, and whether they attended."""

    __tablename__ = "meeting_invitees"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answer: Mapped[Answer] = mapped_column(_enum(Answer), default=Answer.PENDING)
    note: Mapped[str] = mapped_column(String(500), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attended: Mapped[bool | None] = mapped_column()

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")
    user: Mapped[User] = relationship()


class PollStatus(enum.StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Vote(enum.StrEnum):
    YES = "yes"
    IF_NEED_BE = "if_need_be"
    NO = "no"


class MeetingPoll(db.Model):  # type: ignore[name-defined,misc]
    """The lead's proposal of several times for a meeting; members mark each, the lead picks one."""

    __tablename__ = "meeting_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column()
    time_zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[PollStatus] = mapped_column(_enum(PollStatus), default=PollStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))

    panel: Mapped[Panel] = relationship()
    created_by: Mapped[User | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    slots: Mapped[list[PollSlot]] = relationship(back_populates="poll", cascade="all, delete-orphan", order_by="PollSlot.starts_at")


class PollSlot(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "meeting_poll_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("meeting_polls.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())

    poll: Mapped[MeetingPoll] = relationship(back_populates="slots")
    votes: Mapped[list[PollVote]] = relationship(back_populates="slot", cascade="all, delete-orphan")


class PollVote(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "meeting_poll_votes"
    __table_args__ = (UniqueConstraint("slot_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meeting_poll_slots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    choice: Mapped[Vote] = mapped_column(_enum(Vote))

    slot: Mapped[PollSlot] = relationship(back_populates="votes")
    user: Mapped[User] = relationship()


class CalendarFeed(db.Model):  # type: ignore[name-defined,misc]
    """A person's calendar subscription: a secret address (only its hash is kept), revoked by making a new one."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Off: events are named "Consilium panel meeting" and the meeting's title; on: the panel's nickname too.
    show_nicknames: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
