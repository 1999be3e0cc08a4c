"""Walking the self-serve privacy page as a browser without JavaScript would: forms posted back
with their hidden CSRF value, the state cookie kept by the client, codes read from the outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from app.models.message import MessagePurpose, OutboxMessage

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_CODE = re.compile(r"\b(\d{6})\b")


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html
    return found.group(1)


async def latest_message(recipient: str, purpose: MessagePurpose) -> OutboxMessage | None:
    return (
        await OutboxMessage.filter(recipient=recipient, purpose=purpose)
        .order_by("-created_at")
        .first()
    )


async def code_sent_to(recipient: str) -> str:
    message = await latest_message(recipient, MessagePurpose.VERIFICATION_CODE)
    assert message is not None, f"no code was sent to {recipient}"
    found = _CODE.search(message.body)
    assert found, message.body
    return found.group(1)


@dataclass
class Visit:
    """One shopper's visit: the client keeps the cookie; `html` is the last page."""

    http: httpx.AsyncClient
    base: str
    html: str = ""
    status: int = 0

    async def open(self) -> Visit:
        response = await self.http.get(self.base)
        self.html, self.status = response.text, response.status_code
        return self

    async def post(self, step: str, **fields: str) -> Visit:
        response = await self.http.post(
            f"{self.base}/{step}",
            data={"csrf": csrf_of(self.html), **fields},
            follow_redirects=True,
        )
        self.html, self.status = response.text, response.status_code
        return self
