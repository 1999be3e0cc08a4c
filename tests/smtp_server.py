"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests of the email provider.

It keeps what it accepted and, like real servers, refuses some recipients by their local part:
`unknown@` with 550 (no such mailbox: permanent), `busy@` with 451 (try again later).
`refuse_data_next()` makes the next DATA command fail with 554.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

UNKNOWN_MAILBOX = "unknown@example.com"
BUSY_MAILBOX = "busy@example.com"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class SmtpRecorder:
    received: list[Received] = field(default_factory=list)
    refuse_data: int = 0
    host: str = "127.0.0.1"
    port: int = 0

    def reset(self) -> None:
        self.received.clear()
        self.refuse_data = 0

    def refuse_data_next(self) -> None:
        self.refuse_data += 1

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address == UNKNOWN_MAILBOX:
            return "550 5.1.1 No such user here"
        if address == BUSY_MAILBOX:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse_data:
            self.refuse_data -= 1
            return "554 5.6.0 Message refused"
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)
            )
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def running_smtp_server() -> Iterator[SmtpRecorder]:
    recorder = SmtpRecorder()
    recorder.port = _free_port()
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
