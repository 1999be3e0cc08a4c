"""A small HTTP server that speaks Twilio's Messages API, for tests of SMS sending.

It answers `POST /2010-04-01/Accounts/{sid}/Messages.json` like Twilio does: basic auth with
the account sid and auth token, form-encoded parameters, a 201 with the message's `sid`, and
Twilio's JSON error answers (`code`, `message`, `more_info`, `status`). Like Twilio's test
credentials, some recipient numbers always fail:

- `INVALID_NUMBER` (+15005550001): 400, code 21211, the 'To' number is not valid;
- `OPTED_OUT_NUMBER` (+15005550004): 400, code 21610, the recipient has unsubscribed;
- `LANDLINE_NUMBER` (+15005550009): 400, code 21614, not a mobile number.

`fail_next()` scripts the next answers (429 with Retry-After, 500, 503) whatever the request.
`deliver()` and `send_inbound()` post signed forms to our webhooks as Twilio would; they sign
with their own HMAC code, not the application's, so a test that verifies them checks the
application against an independent implementation.

Usage: the `fake_twilio` fixture in tests/messaging/conftest.py, or `running_fake_twilio()`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.live_server import serve_in_thread

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token"
INVALID_NUMBER = "+15005550001"
OPTED_OUT_NUMBER = "+15005550004"
LANDLINE_NUMBER = "+15005550009"

_MAGIC = {
    INVALID_NUMBER: (21211, "The 'To' number is not a valid phone number."),
    OPTED_OUT_NUMBER: (21610, "Attempt to send to unsubscribed recipient"),
    LANDLINE_NUMBER: (21614, "'To' number is not a valid mobile number"),
}
MAX_BODY = 1600


@dataclass(frozen=True)
class FakeMessage:
    sid: str
    to: str
    body: str
    from_number: str | None
    messaging_service_id: str | None
    status_callback: str | None


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int
    # Twilio's JSON error with this code; without one, a plain-text body as a proxy in front
    # of the API would send.
    code: int | None = None
    retry_after: str | None = None
    # Seconds to wait before answering, to make the client time out.
    delay: float = 0.0


def twilio_signature(url: str, params: dict[str, str], auth_token: str) -> str:
    """Twilio's signature of a webhook, written here independently of app.messaging."""
    signed = url
    for name in sorted(params):
        signed += name + params[name]
    mac = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


@dataclass
class FakeTwilio:
    base_url: str = ""
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[FakeMessage] = field(default_factory=list)
    # Every request to the Messages resource, answered or refused.
    requests: int = 0
    # Seconds to wait after recording a message before answering: the window in which a
    # sender that dies has sent a text without learning so.
    answer_delay: float = 0.0
    _script: deque[ScriptedAnswer] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self._script.clear()
            self.requests = 0
            self.answer_delay = 0.0

    def fail_next(
        self,
        status: int,
        *,
        code: int | None = None,
        retry_after: str | None = None,
        delay: float = 0.0,
        times: int = 1,
    ) -> None:
        answer = ScriptedAnswer(status, code, retry_after, delay)
        with self._lock:
            self._script.extend(answer for _ in range(times))

    def message(self, sid: str) -> FakeMessage:
        return next(m for m in self.messages if m.sid == sid)

    async def deliver(
        self, sid: str, status: str = "delivered", error_code: str | None = None
    ) -> httpx.Response:
        """Post a delivery-status callback for a message to its StatusCallback URL."""
        message = self.message(sid)
        assert message.status_callback, "the message was sent without a status callback"
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to,
            "From": message.from_number or "+15005550006",
        }
        if error_code is not None:
            form["ErrorCode"] = error_code
        return await self.post_signed(message.status_callback, form)

    async def send_inbound(self, url: str, *, from_number: str, to: str, body: str) -> str:
        """Post an inbound text to a webhook as Twilio would; returns its message sid."""
        sid = "SM" + secrets.token_hex(16)
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "From": from_number,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        response = await self.post_signed(url, form)
        response.raise_for_status()
        return sid

    async def post_signed(self, url: str, form: dict[str, str]) -> httpx.Response:
        headers = {"X-Twilio-Signature": twilio_signature(url, form, self.auth_token)}
        async with httpx.AsyncClient() as client:
            return await client.post(url, data=form, headers=headers)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account}/Messages.json",
                    self._create_message,
                    methods=["POST"],
                )
            ]
        )

    def _error(self, status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status_code=status,
        )

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return hmac.compare_digest(request.headers.get("authorization", ""), f"Basic {expected}")

    async def _scripted(self, scripted: ScriptedAnswer) -> Response:
        if scripted.delay:
            await asyncio.sleep(scripted.delay)
        response: Response
        if scripted.code is None:
            response = PlainTextResponse("Service unavailable", status_code=scripted.status)
        else:
            response = self._error(scripted.status, scripted.code, "Scripted failure")
        if scripted.retry_after is not None:
            response.headers["Retry-After"] = scripted.retry_after
        return response

    async def _create_message(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return await self._scripted(scripted)
        if not self._authorized(request):
            return self._error(401, 20003, "Authenticate")
        if request.path_params["account"] != self.account_sid:
            return self._error(404, 20404, "The requested resource was not found")
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        to, body = form.get("To"), form.get("Body")
        from_number, service = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not from_number and not service:
            return self._error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return self._error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return self._error(400, 21617, "The concatenated message body exceeds 1600 characters.")
        if to in _MAGIC:
            code, message = _MAGIC[to]
            return self._error(400, code, message)
        message_record = FakeMessage(
            sid="SM" + secrets.token_hex(16),
            to=to,
            body=body,
            from_number=from_number,
            messaging_service_id=service,
            status_callback=form.get("StatusCallback"),
        )
        with self._lock:
            self.messages.append(message_record)
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        return JSONResponse(
            {
                "sid": message_record.sid,
                "account_sid": self.account_sid,
                "to": to,
                "from": from_number,
                "messaging_service_sid": service,
                "body": body,
                "status": "accepted" if service else "queued",
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
            },
            status_code=201,
        )


@contextmanager
def running_fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake
