"""The interface every email provider implements.

An email provider answers with the same values as an SMS provider (`app.messaging.provider`):
`SmsAccepted` with the provider's id for the message, or `SmsFailure` as data. `message_id` is
ours (the outbox row's id): providers that can, use it so a duplicate can be recognized
downstream (SMTP: the `Message-ID` header).
"""

from __future__ import annotations

from typing import Protocol

from app.messaging.provider import SendResult


class EmailProvider(Protocol):
    name: str

    async def send(
        self, *, to: str, sender: str, subject: str, body: str, message_id: str
    ) -> SendResult:
        """Hand one email to the provider; never raises for a refusal or a network failure."""
        ...

    async def aclose(self) -> None: ...
