"""A real SMTP relay on loopback (aiosmtpd) that can be slow, hold a mail until released, or refuse some addresses."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from app.mail.services import SmtpSettings


class Relay:
    def __init__(self, *, delay: float, hold: threading.Event | None, refuse: str, fail_data: bool) -> None:
        self.delay, self.hold, self.refuse, self.fail_data = delay, hold, refuse, fail_data
        self.messages: list[tuple[list[str], str]] = []  # (recipients, subject) of each mail accepted
        self.attempts = 0  # mails offered (DATA or a refused recipient)
        self.receiving = threading.Event()  # set when the first mail's data arrives
        self.settings: SmtpSettings

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 - aiosmtpd's handler API
        if self.refuse and self.refuse in address:
            self.attempts += 1
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        self.attempts += 1
        self.receiving.set()
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, 60)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_data:
            return "554 5.6.0 Message refused"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, str(message["Subject"])))
        return "250 OK"


@contextmanager
def relay(*, delay: float = 0, hold: threading.Event | None = None, refuse: str = "", fail_data: bool = False) -> Iterator[Relay]:
    handler = Relay(delay=delay, hold=hold, refuse=refuse, fail_data=fail_data)
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.settings = SmtpSettings("127.0.0.1", port, "Consilium <no-reply@consilium.example>", timeout=30)
    try:
        yield handler
    finally:
        if hold is not None:
            hold.set()
        controller.stop()
