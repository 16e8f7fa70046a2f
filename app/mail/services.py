"""Queueing mail inside a transaction, and sending the queue afterwards over SMTP."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select

from app.database import db
from app.database import transaction
from app.database import utcnow
from app.mail.models import OutgoingMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    timeout: float = 10.0


def queue(recipient: str, subject: str, body: str) -> None:
    """Add a mail to the outbox (flushes only: it leaves with the caller's commit, or not at all)."""
    db.session.add(OutgoingMail(recipient=recipient, subject=subject, body=body))
    db.session.flush()


def send_pending_mail(settings: SmtpSettings, limit: int = 100) -> int:
    """Send queued mail; each message in its own transaction. Returns how many were sent."""
    sent = 0
    for _ in range(limit):
        with transaction():
            mail = db.session.scalar(
                select(OutgoingMail)
                .where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
                .order_by(OutgoingMail.attempts, OutgoingMail.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if mail is None:
                break
            mail.attempts += 1
            try:
                _send(settings, mail)
            except (OSError, smtplib.SMTPException) as error:
                mail.last_error = f"{type(error).__name__}: {error}"[:300]
                log.warning("mail %s not sent: %s", mail.id, mail.last_error)
                break  # the server is unreachable or refusing: try again on the next tick
            mail.sent_at = utcnow()
            sent += 1
    return sent


def _send(settings: SmtpSettings, mail: OutgoingMail) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.send_message(message)
