"""Reads of a user's notifications."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.notifications.models import Notification

_NOTIFICATIONS = Notification.__table__.c
# Built once: every page's layout shows this count, and building the statement costs more than running it.
_UNREAD = select(func.count()).where(_NOTIFICATIONS.user_id == bindparam("user_id", type_=Integer()), _NOTIFICATIONS.read_at.is_(None))


def unread_count(user: User) -> int:
    return int(db.session.scalar(_UNREAD, {"user_id": user.id}) or 0)


def recent_for(user: User, limit: int = 50) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at.desc(), Notification.id.desc())
    return list(db.session.scalars(query.limit(limit)))
