"""A meeting's invitation leaves as a mail with its .ics attached, through a real SMTP server on loopback: a calendar
client finds a text/calendar part of method REQUEST that parses back to the meeting."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from icalendar import Calendar

from app.database import transaction
from app.mail.services import Attachment
from app.mail.services import SmtpSettings
from app.mail.services import queue
from app.mail.services import send_pending_mail
from app.meetings.calendar import INVITATION_FILE
from app.meetings.calendar import content_type
from app.meetings.calendar import invitation
from tests.app.meetings.test_calendar import make_meeting


class Mailbox:
    """Keeps every message whole (tests/smtp.py's inbox keeps only a single-part body)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.settings: SmtpSettings

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@contextmanager
def mailbox() -> Iterator[Mailbox]:
    handler = Mailbox()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.settings = SmtpSettings("127.0.0.1", port, "Consilium <no-reply@consilium.example>", timeout=30)
    try:
        yield handler
    finally:
        controller.stop()


def test_an_invitation_arrives_as_a_calendar_request_attached_to_the_mail(database):
    meeting = make_meeting(title="Révision du cas — deuxième avis")
    ics = invitation(meeting, "REQUEST", page_url="https://consilium.example/meetings/42")
    with transaction():
        queue(
            "expert@hospital.example",
            "Invitation: panel meeting",
            "You are invited.",
            Attachment(INVITATION_FILE, content_type("REQUEST"), ics),
        )
    with mailbox() as received:
        assert send_pending_mail(received.settings) == 1
    [message] = received.messages
    assert message["To"] == "expert@hospital.example" and message["Subject"] == "Invitation: panel meeting"
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST" and part.get_content_charset() == "utf-8"
    assert part.get_filename() == "invite.ics"
    assert message.get_body(("plain",)).get_content().strip() == "You are invited."
    calendar = Calendar.from_ical(part.get_payload(decode=True).decode("utf-8"))
    [event] = calendar.events
    assert str(calendar["METHOD"]) == "REQUEST" and str(event["UID"]) == meeting.uid and event["SEQUENCE"] == meeting.sequence
    assert str(event["SUMMARY"]) == "Panel meeting: Révision du cas — deuxième avis"
    assert event.start == meeting.starts_at
