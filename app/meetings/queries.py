"""What the meeting pages, the panel's Meetings tab, the dashboard and the calendar feed show. Read-only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import security
from app.accounts.models import User
from app.database import db
from app.meetings.models import JOIN_OPENS_BEFORE
from app.meetings.models import Answer
from app.meetings.models import CalendarFeed
from app.meetings.models import Meeting
from app.meetings.models import MeetingInvitee
from app.meetings.models import MeetingStatus
from app.panels.models import Panel
from app.tasks.models import OpenTask

UPCOMING_DAYS = 14
FEED_PAST_DAYS = 90


@dataclass(frozen=True)
class PanelMeetings:
    upcoming: list[Meeting]
    past: list[Meeting]


def of_panel(panel_id: int, now: datetime) -> PanelMeetings:
    """The panel's meetings: those to come (soonest first) and those over or cancelled (latest first)."""
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.panel_id == panel_id)
        .options(selectinload(Meeting.invitees).selectinload(MeetingInvitee.user))
        .order_by(Meeting.starts_at)
    ).all()
    upcoming = [m for m in meetings if not m.cancelled and m.ends_at > now]
    past = [m for m in reversed(meetings) if m.cancelled or m.ends_at <= now]
    return PanelMeetings(upcoming, past)


def next_of_panel(panel_id: int, now: datetime) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.panel_id == panel_id, Meeting.status == MeetingStatus.SCHEDULED, Meeting.starts_at > now - timedelta(hours=12))
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def _mine(user: User, now: datetime) -> list[tuple[Meeting, MeetingInvitee]]:
    rows = db.session.execute(
        select(Meeting, MeetingInvitee)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .join(Panel, Panel.id == Meeting.panel_id)
        .where(MeetingInvitee.user_id == user.id, Meeting.status == MeetingStatus.SCHEDULED, Panel.closed_at.is_(None))
        .where(Meeting.starts_at > now - timedelta(hours=12), Meeting.starts_at <= now + timedelta(days=UPCOMING_DAYS))
        .order_by(Meeting.starts_at)
    ).all()
    return [(meeting, invitee) for meeting, invitee in rows if meeting.ends_at > now]


def upcoming_for(user: User, now: datetime) -> list[tuple[Meeting, MeetingInvitee]]:
    """The user's meetings of the next 14 days (and one going on), unless they declined."""
    return [(m, i) for m, i in _mine(user, now) if i.answer != Answer.DECLINED]


def invites_for(user: User, now: datetime) -> list[Meeting]:
    """Meetings to come that wait for the user's answer."""
    rows = db.session.scalars(
        select(Meeting)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .join(Panel, Panel.id == Meeting.panel_id)
        .where(
            MeetingInvitee.user_id == user.id,
            MeetingInvitee.answer == Answer.PENDING,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > now,
            Panel.closed_at.is_(None),
        )
        .order_by(Meeting.starts_at)
    ).all()
    return list(rows)


def visible(user: User, meeting_id: int) -> Meeting | None:
    meeting = db.session.get(Meeting, meeting_id)
    return meeting if meeting is not None and security.can_see_meeting(user, meeting) else None


def may_join(meeting: Meeting, now: datetime) -> bool:
    """ "Join" shows from 15 minutes before the start to the end."""
    return bool(meeting.join_url) and not meeting.cancelled and meeting.starts_at - JOIN_OPENS_BEFORE <= now < meeting.ends_at


def minutes_task_for(user: User, meeting: Meeting) -> str | None:
    """The open "Record the minutes" task of the meeting, if it waits on the user."""
    if meeting.instance_id is None:
        return None
    task = db.session.scalar(select(OpenTask).where(OpenTask.instance_id == meeting.instance_id, OpenTask.form_key == "meeting_minutes"))
    return task.engine_task_id if task is not None and security.can_complete(user, task) else None


def feed_owner(token: str) -> CalendarFeed | None:
    """The feed a secret address names (only the token's hash is stored); None for an unknown or revoked one."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token)))
    return feed if feed is not None and db.session.get(User, feed.user_id).is_active else None


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_meetings(user: User, now: datetime) -> list[Meeting]:
    """The user's meetings from 90 days back on, cancelled ones included (so that calendars remove them)."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
            .where(MeetingInvitee.user_id == user.id, Meeting.starts_at >= now - timedelta(days=FEED_PAST_DAYS))
            .order_by(Meeting.starts_at)
        )
    )
