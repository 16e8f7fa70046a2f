"""Telling people: an in-app notification and an e-mail in the outbox, in the caller's transaction.

Texts never carry identifying patient data: panels are named by number and nickname only.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy import update

from app.accounts.models import User
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.i18n import language_of
from app.mail import services as mail
from app.notifications.models import Message
from app.notifications.models import Notification
from app.notifications.models import english
from app.notifications.models import shown
from app.notifications.models import stored
from app.notifications.models import writing_in

# What the mail to one person adds to the notification: more text (e.g. a time in their own zone) and an attachment.
# Called in the recipient's language (``writing_in``): it may use ``_()``.
MailDetails = Callable[[User], tuple[str, mail.Attachment | None]]


def notify(
    users: Iterable[User | None],
    message: str,
    link: str,
    /,
    *,
    subject: str | Message | None = None,
    details: MailDetails | None = None,
    **params: Any,
) -> None:
    """Each user (once, if active) is told ``message`` (an ``N_()`` msgid, its ``%(name)s`` values in ``params``: plain
    text, or ``Message`` to be translated too) in the app, shown in the language they read it in, and by e-mail in their
    own language (``language_of``) with the link, the ``subject`` (default: the message) and the ``details`` for them.
    Only flushes."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    kept = stored(params)
    text = english(message, params)
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, text=text[:300], message=message, params=kept, link=link))
        with writing_in(language_of(user)):
            told = shown(message, params)
            more, attachment = details(user) if details is not None else ("", None)
            paragraphs = [_("Dear %(name)s,", name=user.full_name), told, *([more] if more else []), f"{base}{link}"]
            if isinstance(subject, Message):
                title = shown(subject.message, subject.params)
            else:
                title = shown(subject) if subject else told
        mail.queue(user.email, title[:200], "\n\n".join(paragraphs) + "\n", attachment)
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
