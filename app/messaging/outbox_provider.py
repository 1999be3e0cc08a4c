"""The embedded default provider: nothing leaves the machine.

The message stays in the outbox table, where `loyalty messages outbox` (and the tests, and the
self-serve page's browser test) read it; the send job marks it DELIVERED at once. It speaks both
the SMS and the email interface.
"""

from __future__ import annotations

import secrets

from app.messaging.provider import Sender, SendResult, SmsAccepted

OUTBOX = "outbox"


class OutboxProvider:
    name = OUTBOX

    async def aclose(self) -> None:
        return None

    async def send(
        self,
        *,
        to: str,
        body: str,
        sender: Sender | str | None = None,
        status_callback: str | None = None,
        subject: str | None = None,
        message_id: str | None = None,
    ) -> SendResult:
        return SmsAccepted(f"outbox-{secrets.token_hex(12)}")
