"""Reads of a user's notifications."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.notifications.models import Notification


def unread_count(user: User) -> int:
    return int(
        db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    )


def recent_for(user: User, limit: int = 50) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at.desc(), Notification.id.desc())
    return list(db.session.scalars(query.limit(limit)))
