"""Queueing mail inside a transaction, and sending the queue afterwards over SMTP: each mail retried with back-off,
and kept as undeliverable for an administrator after too many failures."""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit import services as audit
from app.audit.services import RequestInfo
from app.database import db
from app.database import transaction
from app.database import utcnow
from app.errors import NotAllowed
from app.errors import NotFound
from app.mail.models import OutgoingMail

log = logging.getLogger(__name__)
# How long a scheduler holds a mail it is sending: another one takes it only after this (the first one died).
CLAIM = timedelta(minutes=10)
# Refusals of one mail (its address, its content): the next mail may well go through.
_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class SmtpSettings:
    """The relay, and how the queue is sent through it (see MAIL_* in app/config.py)."""

    host: str
    port: int
    sender: str
    timeout: float = 10.0
    batch_seconds: float = 20.0  # a run takes no new mail after this many seconds
    retry_seconds: float = 60.0  # the first back-off; it doubles with each failure
    max_attempts: int = 8  # then the mail is undeliverable


@dataclass(frozen=True)
class Attachment:
    """A text file sent with a mail, e.g. a meeting's ``invite.ics`` of type ``text/calendar; method=REQUEST``."""

    name: str
    content_type: str
    content: str


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    subject: str
    body: str
    attachment: Attachment | None = None


def queue(recipient: str, subject: str, body: str, attachment: Attachment | None = None) -> None:
    """Add a mail to the outbox (flushes only: it leaves with the caller's commit, or not at all)."""
    row = OutgoingMail(recipient=recipient, subject=subject, body=body)
    if attachment is not None:
        row.attachment_name, row.attachment_type, row.attachment = attachment.name, attachment.content_type, attachment.content
    db.session.add(row)
    db.session.flush()


def send_pending_mail(settings: SmtpSettings, limit: int = 100, now: datetime | None = None) -> int:
    """Send the queued mail that is due, until ``settings.batch_seconds`` have passed. Returns how many were sent.

    Each mail is claimed in a short transaction of its own and sent outside any, so that a slow relay holds no lock
    that the timers or the pages wait for."""
    deadline = time.monotonic() + settings.batch_seconds
    sent = failed = given_up = 0
    for _number in range(limit):
        if time.monotonic() >= deadline:
            break
        claimed = _claim(now or utcnow())
        if claimed is None:
            break
        try:
            _send(settings, claimed)
        except _REFUSALS as error:
            given_up += _record_failure(settings, claimed.id, error, now or utcnow())
            failed += 1
            continue
        except (OSError, smtplib.SMTPException) as error:
            given_up += _record_failure(settings, claimed.id, error, now or utcnow())
            failed += 1
            break  # the relay is unreachable or failing: the other mail waits for the next run
        _record_sent(claimed.id, now or utcnow())
        sent += 1
    if sent or failed:
        log.info("mail batch: %d sent, %d failed (%d of them now undeliverable)", sent, failed, given_up)
    return sent


def _claim(now: datetime) -> _Claimed | None:
    # PostgreSQL: FOR UPDATE SKIP LOCKED, so two schedulers never take the same mail. SQLite ignores it, but a
    # service's transaction begins IMMEDIATE there, holding the database's write lock from the SELECT to the commit:
    # a second scheduler reads the queue only after the claim (the new next_attempt_at) is committed.
    with transaction():
        mail = db.session.scalar(
            select(OutgoingMail)
            .where(OutgoingMail.sent_at.is_(None), OutgoingMail.given_up_at.is_(None), OutgoingMail.next_attempt_at <= now)
            .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if mail is None:
            return None
        mail.attempts += 1
        mail.next_attempt_at = now + CLAIM
        attachment = Attachment(mail.attachment_name, mail.attachment_type, mail.attachment) if mail.attachment_name else None
        return _Claimed(mail.id, mail.recipient, mail.subject, mail.body, attachment)


def _record_sent(mail_id: int, now: datetime) -> None:
    with transaction():
        mail = db.session.get(OutgoingMail, mail_id)
        if mail is not None:
            mail.sent_at, mail.given_up_at = now, None


def _record_failure(settings: SmtpSettings, mail_id: int, error: Exception, now: datetime) -> int:
    """1 when the mail is now undeliverable. The log names the mail by id and the error by type: no addresses."""
    log.warning("mail %s not sent (%s)", mail_id, type(error).__name__)
    with transaction():
        mail = db.session.get(OutgoingMail, mail_id)
        if mail is None or mail.sent_at is not None:
            return 0
        mail.fail(f"{type(error).__name__}: {error}", now, max_attempts=settings.max_attempts, retry_seconds=settings.retry_seconds)
        return 1 if mail.given_up_at is not None else 0


def _send(settings: SmtpSettings, mail: _Claimed) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    if mail.attachment is not None:
        maintype, _slash, rest = mail.attachment.content_type.partition("/")
        subtype, *parameters = (part.strip() for part in rest.split(";"))
        params = dict(parameter.split("=", 1) for parameter in parameters if "=" in parameter)
        message.add_attachment(
            mail.attachment.content.encode(), maintype=maintype, subtype=subtype, filename=mail.attachment.name, params=params
        )
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.send_message(message)


def retry_mail(actor: User, mail_id: int, origin: RequestInfo) -> None:
    """Put an undeliverable mail back in the queue, to be sent on the next run with a fresh count of attempts."""
    with transaction():
        if not actor.is_admin:
            raise NotAllowed(_("Only administrators look after undeliverable mail."))
        mail = db.session.get(OutgoingMail, mail_id, with_for_update=True)
        if mail is None or mail.given_up_at is None:
            raise NotFound(_("No such undeliverable mail: it may have been sent meanwhile."))
        mail.retry(utcnow())
        audit.record(actor, "mail.retried", "outgoing_mail", mail.id, origin)
