"""A person's calendar feed: a secret address their calendar application subscribes to, made anew to revoke the old."""

from __future__ import annotations

import secrets

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.meetings.models import CalendarFeed
from app.meetings.queries import token_hash


def new_address(actor: User, show_nicknames: bool, origin: RequestInfo) -> str:
    """A new secret token (shown once; only its hash is kept); the earlier address stops working."""
    token = secrets.token_urlsafe(32)
    with transaction():
        feed = db.session.get(CalendarFeed, actor.id)
        if feed is None:
            feed = CalendarFeed(user_id=actor.id)
            db.session.add(feed)
        feed.token_hash, feed.show_nicknames, feed.created_at = token_hash(token), show_nicknames, utcnow()
        audit.record(actor, "calendar_feed.created", "user", actor.id, origin, nicknames=show_nicknames)
    return token


def revoke(actor: User, origin: RequestInfo) -> None:
    with transaction():
        feed = db.session.get(CalendarFeed, actor.id)
        if feed is not None:
            db.session.delete(feed)
            audit.record(actor, "calendar_feed.revoked", "user", actor.id, origin)
