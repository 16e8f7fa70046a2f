"""A real SMTP server on loopback (aiosmtpd) that collects what Consilium sends."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from app.mail.services import SmtpSettings
from app.mail.services import send_pending_mail


class Inbox:
    """``messages``: (recipients, the text of the mail); ``mails``: the whole messages, attachments included."""

    def __init__(self):
        self.messages = []
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message.get_body(("plain",)).get_content()))
        self.mails.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    with socket.socket() as probe:  # a free loopback port for this test's SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.settings = SmtpSettings("127.0.0.1", port, "Consilium <no-reply@consilium.example>")
    yield handler
    controller.stop()


def deliver(inbox):
    send_pending_mail(inbox.settings)
    return inbox.messages
