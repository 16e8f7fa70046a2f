"""The outbox: mail is written in the transaction that causes it and sent after the commit."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import UtcDateTime
from app.database import db
from app.database import utcnow

MAX_RETRY_SECONDS = 24 * 3600  # the back-off doubles up to a day between attempts


class OutgoingMail(db.Model):  # type: ignore[name-defined,misc]
    """A mail to send: waiting (until ``next_attempt_at``), sent, or undeliverable (given up after too many failures)."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # One text attachment, if any (a meeting's .ics): its file name, MIME type with parameters, content.
    attachment_name: Mapped[str] = mapped_column(String(100), default="")
    attachment_type: Mapped[str] = mapped_column(String(100), default="")
    attachment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    # Not tried before this time: after a failure (back-off), or while a scheduler is sending it (its claim).
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    # Set when the mail failed too often: it waits for an administrator to try it again.
    given_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)

    def fail(self, error: str, now: datetime, *, max_attempts: int, retry_seconds: float) -> None:
        """Record a failed attempt: retry later, twice as late as the last time, or give up after ``max_attempts``."""
        self.last_error = error[:300]
        if self.attempts >= max_attempts:
            self.given_up_at = now
        else:
            self.next_attempt_at = now + timedelta(seconds=min(retry_seconds * 2 ** (self.attempts - 1), MAX_RETRY_SECONDS))

    def retry(self, now: datetime) -> None:
        """Back in the queue with a fresh count of attempts (an administrator asked)."""
        self.given_up_at, self.attempts, self.next_attempt_at = None, 0, now
