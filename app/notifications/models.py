"""In-app notifications: one row per person told that something waits on them or happened."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from flask import g
from flask import has_request_context
from flask_babel import force_locale
from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import UtcDateTime
from app.database import db
from app.database import utcnow
from app.i18n import render


class Notification(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    # As for timeline lines: the message (msgid) and its values, shown in the reader's language; ``text`` is English.
    message: Mapped[str] = mapped_column(String(500), default="", server_default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def shown(self) -> str:
        """The notification in the current (the reader's) language."""
        return shown(self.message, self.params) if self.message else self.text


# Messages the app stores (timeline lines, notifications) to show later in the reader's language ------------------
#
# A message is an English msgid marked with ``N_`` (``%(name)s`` placeholders) and its values. A value is plain text
# (a name, a number, a nickname: never translated) or, written as ``Message(...)``, a message of its own shown in the
# reader's language too (a task's BPMN name, the event a "Panel #12 (nick): ..." notification is about). Stored as
# JSON, such a value is ``{"message": ..., "params": ...}``. (Base layer, beside the table that stores them: the
# models of the timeline and the account mails use them too.)


@dataclass(frozen=True)
class Message:
    """A value that is itself a message: shown in the reader's language (its own values plain text or messages)."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


def stored(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The values as JSON keeps them (``None`` when there are none)."""
    if not params:
        return None
    return {name: _stored_value(value) for name, value in params.items()}


def _stored_value(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.message, "params": stored(value.params)}
    if isinstance(value, list | tuple):  # several values, shown joined with commas
        return {"items": [_stored_value(item) for item in value]}
    if isinstance(value, str | int | float) or value is None:
        return value
    return str(value)


def shown(message: str, params: Mapping[str, Any] | None = None) -> str:
    """The message in the current language (the reader's, or the recipient's under ``writing_in``)."""
    return render(message, {name: _value(value, shown) for name, value in params.items()} if params else None)


def english(message: str, params: Mapping[str, Any] | None = None) -> str:
    """The message in English (the msgid itself), as the ``text`` columns keep it."""
    if not params:
        return message
    return message % {name: _value(value, english) for name, value in params.items()}


def _value(value: Any, write: Callable[[str, Mapping[str, Any] | None], str]) -> Any:
    """A value as ``write`` (shown or english) puts a message: a message (kept or stored) written, several joined."""
    if isinstance(value, list | tuple):
        return ", ".join(str(_value(item, write)) for item in value)
    if isinstance(value, dict) and "items" in value:
        return ", ".join(str(_value(item, write)) for item in value["items"])
    if isinstance(value, Message):
        return write(value.message, value.params)
    if isinstance(value, dict) and "message" in value:
        return write(str(value["message"]), value.get("params"))
    return value


@contextmanager
def writing_in(language: str) -> Iterator[None]:
    """Compose in ``language`` (a mail to one recipient): Flask-Babel's ``force_locale``, and app.i18n's per-request
    caches of the catalogue and month names set aside meanwhile, since they hold the reader's language."""
    with force_locale(language):
        if not has_request_context():
            yield
            return
        kept = {name: g.pop(name) for name in ("_translations", "_display_context") if name in g}
        try:
            yield
        finally:
            for name in ("_translations", "_display_context"):
                g.pop(name, None)
            for name, value in kept.items():
                setattr(g, name, value)
