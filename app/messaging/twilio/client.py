"""A Twilio-compatible SMS provider over httpx.

`POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`, form-encoded, HTTP basic
auth with the account sid and auth token; the answer is JSON with the message's `sid`. The base
URL is configurable so the same code talks to Twilio, to a compatible provider or to the test
server in tests/. One `httpx.AsyncClient` is kept per provider: its connection pool is what
makes a batch of texts cheap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import quote

import httpx

from app.messaging.provider import FailureCode, Sender, SendResult, SmsAccepted, SmsFailure
from app.messaging.twilio.errors import failure_from_answer

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str
    auth_token: str = field(repr=False)
    base_url: str = TWILIO_API
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not self.account_sid or not self.auth_token:
            raise ValueError("a Twilio account sid and auth token are required")

    @property
    def messages_url(self) -> str:
        account = quote(self.account_sid, safe="")
        return f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json"


class TwilioProvider:
    name = "twilio"

    def __init__(self, config: TwilioConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=config.timeout_seconds)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> TwilioProvider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _form(
        self, to: str, sender: Sender, body: str, status_callback: str | None
    ) -> dict[str, str]:
        form = {"To": to, "Body": body}
        if sender.messaging_service_id is not None:
            form["MessagingServiceSid"] = sender.messaging_service_id
        elif sender.from_number is not None:
            form["From"] = sender.from_number
        if status_callback:
            form["StatusCallback"] = status_callback
        return form

    async def send(
        self, *, to: str, sender: Sender, body: str, status_callback: str | None = None
    ) -> SendResult:
        try:
            response = await self._client.post(
                self.config.messages_url,
                data=self._form(to, sender, body, status_callback),
                auth=(self.config.account_sid, self.config.auth_token),
                headers={"accept": "application/json"},
                timeout=self.config.timeout_seconds,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the provider: a retry cannot send twice.
            return self._failed(SmsFailure(FailureCode.NETWORK, permanent=False), exc)
        except httpx.TimeoutException as exc:
            return self._failed(
                SmsFailure(FailureCode.TIMEOUT, permanent=False, maybe_sent=True), exc
            )
        except httpx.TransportError as exc:
            return self._failed(
                SmsFailure(FailureCode.NETWORK, permanent=False, maybe_sent=True), exc
            )
        return self._result(response)

    def _result(self, response: httpx.Response) -> SendResult:
        try:
            payload: object = response.json()
        except ValueError:
            payload = None
        if response.is_success:
            sid = payload.get("sid") if isinstance(payload, dict) else None
            if isinstance(sid, str) and sid:
                return SmsAccepted(sid)
            # Taken, by the status, but we cannot tell which message it became.
            failure = SmsFailure(FailureCode.BAD_RESPONSE, permanent=False, maybe_sent=True)
        else:
            failure = failure_from_answer(
                response.status_code, payload, response.headers.get("retry-after")
            )
        logger.warning(
            "sms.send_failed provider=%s http_status=%s code=%s permanent=%s",
            self.name,
            response.status_code,
            failure.code,
            failure.permanent,
        )
        return failure

    def _failed(self, failure: SmsFailure, exc: Exception) -> SmsFailure:
        # The exception's text can hold the URL and nothing personal, but its type is enough.
        logger.warning(
            "sms.send_failed provider=%s code=%s error=%s",
            self.name,
            failure.code,
            type(exc).__name__,
        )
        return failure
