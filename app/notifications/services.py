"""Telling people: an in-app notification and an e-mail in the outbox, in the caller's transaction.

Texts never carry identifying patient data: panels are named by number and nickname only.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import User
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.mail import services as mail
from app.notifications.models import Notification

# What the mail to one person adds to the notification: more text (e.g. a time in their own zone) and an attachment.
MailDetails = Callable[[User], tuple[str, mail.Attachment | None]]


def notify(users: Iterable[User | None], text: str, link: str, *, subject: str | None = None, details: MailDetails | None = None) -> None:
    """Each user (once, if active) gets ``text`` in the app and by e-mail with the link (and the ``details`` for them).
    Only flushes."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, text=text[:300], link=link))
        more, attachment = details(user) if details is not None else ("", None)
        paragraphs = [f"Dear {user.full_name},", text, *([more] if more else []), f"{base}{link}"]
        body = "\n\n".join(paragraphs) + "\n"
        mail.queue(user.email, subject or text[:200], body, attachment)
    db.session.flush()


def mark_read_about(user: User, link: str) -> None:
    """The user has seen what the notifications pointing to ``link`` are about (a panel they visit): they are read.
    Written only when one is unread: a page view commits nothing otherwise."""
    unread = (Notification.user_id == user.id, Notification.link == link, Notification.read_at.is_(None))
    if db.session.scalar(select(exists().where(*unread))):
        with transaction():
            db.session.execute(update(Notification).where(*unread).values(read_at=utcnow()))


def mark_all_read(user: User) -> None:
    """The user has seen their notifications."""
    with transaction():
        db.session.execute(
            update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow())
        )
