"""Delivery-status callbacks and inbound texts, posted by the fake Twilio to a real endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.messaging.provider import DeliveryReport, DeliveryState, Sender, SmsAccepted
from app.messaging.twilio.callbacks import (
    CallbackErrorCode,
    CallbackInvalid,
    InboundText,
    parse_inbound_text,
    parse_status_callback,
)
from app.messaging.twilio.client import TwilioProvider
from app.messaging.twilio.signature import SIGNATURE_HEADER, verify_signature
from tests.fake_twilio import AUTH_TOKEN, FakeTwilio
from tests.live_server import serve_in_thread

SHOPPER = "+14155550132"


@dataclass
class Receiver:
    """A minimal webhook endpoint: verify the signature, parse, record."""

    url: str = ""
    reports: list[DeliveryReport] = field(default_factory=list)
    inbound: list[InboundText] = field(default_factory=list)

    async def _signed_form(self, request: Request) -> dict[str, str] | None:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        signature = request.headers.get(SIGNATURE_HEADER)
        return form if verify_signature(str(request.url), form, signature, AUTH_TOKEN) else None

    async def status(self, request: Request) -> PlainTextResponse:
        if (form := await self._signed_form(request)) is None:
            return PlainTextResponse("", status_code=403)
        self.reports.append(parse_status_callback(form))
        return PlainTextResponse("")

    async def sms(self, request: Request) -> PlainTextResponse:
        if (form := await self._signed_form(request)) is None:
            return PlainTextResponse("", status_code=403)
        self.inbound.append(parse_inbound_text(form))
        return PlainTextResponse("")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    app = Starlette(
        routes=[
            Route("/webhooks/sms/twilio/status", found.status, methods=["POST"]),
            Route("/webhooks/sms/twilio", found.sms, methods=["POST"]),
        ]
    )
    with serve_in_thread(app) as base_url:
        found.url = base_url
        yield found


async def test_a_delivery_callback_reaches_the_webhook_signed_and_parsed(
    provider: TwilioProvider, fake_twilio: FakeTwilio, receiver: Receiver
) -> None:
    receiver.reports.clear()
    callback = f"{receiver.url}/webhooks/sms/twilio/status?org=acme"
    sent = await provider.send(
        to=SHOPPER, sender=Sender(from_number="+15005550006"), body="Hi", status_callback=callback
    )
    assert isinstance(sent, SmsAccepted)
    assert (await fake_twilio.deliver(sent.message_id, "sent")).status_code == 200
    answer = await fake_twilio.deliver(sent.message_id, "undelivered", error_code="21610")
    assert answer.status_code == 200
    assert receiver.reports == [
        DeliveryReport(sent.message_id, DeliveryState.SENT),
        DeliveryReport(sent.message_id, DeliveryState.FAILED, "21610", opted_out=True),
    ]


async def test_an_inbound_text_reaches_the_webhook(
    fake_twilio: FakeTwilio, receiver: Receiver
) -> None:
    receiver.inbound.clear()
    sid = await fake_twilio.send_inbound(
        f"{receiver.url}/webhooks/sms/twilio", from_number=SHOPPER, to="+15005550006", body="YES"
    )
    assert receiver.inbound == [InboundText(sid, SHOPPER, "+15005550006", "YES")]


async def test_a_forged_or_altered_request_is_refused(receiver: Receiver) -> None:
    receiver.inbound.clear()
    url = f"{receiver.url}/webhooks/sms/twilio"
    form = {"MessageSid": "SM1", "From": SHOPPER, "To": "+15005550006", "Body": "STOP"}
    fake = FakeTwilio(auth_token="someone-else's-token")
    assert (await fake.post_signed(url, form)).status_code == 403
    genuine = FakeTwilio()
    signed = await genuine.post_signed(url, form)
    assert signed.status_code == 200
    # The same signature on another body.
    signature = signed.request.headers[SIGNATURE_HEADER]
    async with httpx.AsyncClient() as client:
        altered = await client.post(
            url, data={**form, "Body": "YES"}, headers={SIGNATURE_HEADER: signature}
        )
        unsigned = await client.post(url, data=form)
    assert altered.status_code == 403
    assert unsigned.status_code == 403
    assert [text.body for text in receiver.inbound] == ["STOP"]


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("accepted", DeliveryState.QUEUED),
        ("queued", DeliveryState.QUEUED),
        ("sending", DeliveryState.QUEUED),
        ("sent", DeliveryState.SENT),
        ("delivered", DeliveryState.DELIVERED),
        ("read", DeliveryState.DELIVERED),
        ("undelivered", DeliveryState.FAILED),
        ("failed", DeliveryState.FAILED),
        ("canceled", DeliveryState.FAILED),
        ("Delivered", DeliveryState.DELIVERED),
    ],
)
def test_twilio_statuses_in_our_words(status: str, state: DeliveryState) -> None:
    report = parse_status_callback({"MessageSid": "SM1", "MessageStatus": status})
    assert report == DeliveryReport("SM1", state)


def test_old_style_callbacks_use_sms_sid_and_status() -> None:
    report = parse_status_callback({"SmsSid": "SM2", "SmsStatus": "failed", "ErrorCode": "30003"})
    assert report == DeliveryReport("SM2", DeliveryState.FAILED, "30003", opted_out=False)


@pytest.mark.parametrize(
    ("form", "code", "field_name"),
    [
        ({"MessageStatus": "sent"}, CallbackErrorCode.MISSING_FIELD, "MessageSid"),
        ({"MessageSid": "SM1"}, CallbackErrorCode.MISSING_FIELD, "MessageStatus"),
        (
            {"MessageSid": " ", "MessageStatus": "sent"},
            CallbackErrorCode.MISSING_FIELD,
            "MessageSid",
        ),
        (
            {"MessageSid": "SM1", "MessageStatus": "teleported"},
            CallbackErrorCode.UNKNOWN_STATUS,
            "MessageStatus",
        ),
    ],
)
def test_malformed_callbacks_are_typed_errors(
    form: dict[str, str], code: CallbackErrorCode, field_name: str
) -> None:
    with pytest.raises(CallbackInvalid) as caught:
        parse_status_callback(form)
    assert (caught.value.code, caught.value.field) == (code, field_name)


def test_an_inbound_text_without_a_sender_is_refused_without_echoing_the_body() -> None:
    with pytest.raises(CallbackInvalid) as caught:
        parse_inbound_text({"MessageSid": "SM1", "To": "+15005550006", "Body": "my secret"})
    assert caught.value.field == "From"
    assert "my secret" not in str(caught.value)


def test_an_inbound_text_may_have_an_empty_body() -> None:
    text = parse_inbound_text(
        {"MessageSid": "SM1", "From": SHOPPER, "To": "+1500", "NumMedia": "1"}
    )
    assert text.body == ""
