"""The Twilio provider against a real HTTP server that speaks Twilio's Messages API."""

from __future__ import annotations

import logging
import socket

import pytest

from app.messaging.provider import (
    FailureCode,
    Sender,
    SmsAccepted,
    SmsFailure,
    SmsProvider,
)
from app.messaging.twilio.client import TwilioConfig, TwilioProvider
from tests.fake_twilio import (
    INVALID_NUMBER,
    LANDLINE_NUMBER,
    OPTED_OUT_NUMBER,
    FakeTwilio,
)

SHOPPER = "+14155550132"
FROM = Sender(from_number="+15005550006")
BODY = "Acme Rewards: Reply YES to confirm you want reward updates."


def test_the_provider_meets_the_protocol(provider: TwilioProvider) -> None:
    implementation: SmsProvider = provider
    assert implementation.name == "twilio"


async def test_a_text_is_accepted_with_the_provider_message_id(
    provider: TwilioProvider, fake_twilio: FakeTwilio
) -> None:
    result = await provider.send(
        to=SHOPPER, sender=FROM, body=BODY, status_callback="https://hooks.example.com/status"
    )
    assert isinstance(result, SmsAccepted)
    assert result.message_id.startswith("SM")
    sent = fake_twilio.message(result.message_id)
    assert (sent.to, sent.body, sent.from_number) == (SHOPPER, BODY, "+15005550006")
    assert sent.messaging_service_id is None
    assert sent.status_callback == "https://hooks.example.com/status"


async def test_a_messaging_service_sends_without_a_from_number(
    provider: TwilioProvider, fake_twilio: FakeTwilio
) -> None:
    service = Sender(messaging_service_id="MG" + "a" * 32)
    result = await provider.send(to=SHOPPER, sender=service, body=BODY)
    assert isinstance(result, SmsAccepted)
    sent = fake_twilio.message(result.message_id)
    assert sent.from_number is None
    assert sent.messaging_service_id == "MG" + "a" * 32
    assert sent.status_callback is None


def test_a_sender_is_a_number_or_a_service_not_both() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Sender()
    with pytest.raises(ValueError, match="exactly one"):
        Sender(from_number="+15005550006", messaging_service_id="MG1")


async def test_an_opted_out_recipient_is_a_permanent_failure_flagged_opted_out(
    provider: TwilioProvider,
) -> None:
    result = await provider.send(to=OPTED_OUT_NUMBER, sender=FROM, body=BODY)
    assert result == SmsFailure(code="21610", permanent=True, opted_out=True)


@pytest.mark.parametrize(
    ("number", "code"), [(INVALID_NUMBER, "21211"), (LANDLINE_NUMBER, "21614")]
)
async def test_an_unreachable_number_is_a_permanent_failure(
    provider: TwilioProvider, number: str, code: str
) -> None:
    result = await provider.send(to=number, sender=FROM, body=BODY)
    assert result == SmsFailure(code=code, permanent=True)


async def test_a_body_over_twilio_limit_is_refused_permanently(provider: TwilioProvider) -> None:
    result = await provider.send(to=SHOPPER, sender=FROM, body="x" * 1601)
    assert result == SmsFailure(code="21617", permanent=True)


async def test_wrong_credentials_are_a_permanent_failure(fake_twilio: FakeTwilio) -> None:
    config = TwilioConfig(fake_twilio.account_sid, "not-the-token", fake_twilio.base_url)
    async with TwilioProvider(config) as provider:
        result = await provider.send(to=SHOPPER, sender=FROM, body=BODY)
    assert result == SmsFailure(code="20003", permanent=True)
    assert fake_twilio.messages == []


async def test_throttling_is_retryable_and_keeps_retry_after(
    provider: TwilioProvider, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(429, code=20429, retry_after="7")
    result = await provider.send(to=SHOPPER, sender=FROM, body=BODY)
    assert result == SmsFailure(code="20429", permanent=False, retry_after=7.0)
    # The next attempt goes through: the failure was the provider's state, not the request's.
    assert isinstance(await provider.send(to=SHOPPER, sender=FROM, body=BODY), SmsAccepted)
    assert len(fake_twilio.messages) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(
    provider: TwilioProvider, fake_twilio: FakeTwilio, status: int
) -> None:
    fake_twilio.fail_next(status)
    result = await provider.send(to=SHOPPER, sender=FROM, body=BODY)
    assert result == SmsFailure(code=f"HTTP_{status}", permanent=False)
    assert fake_twilio.messages == []


async def test_a_json_server_error_keeps_twilio_code(
    provider: TwilioProvider, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail_next(503, code=20503, retry_after="not-a-number")
    result = await provider.send(to=SHOPPER, sender=FROM, body=BODY)
    assert result == SmsFailure(code="20503", permanent=False, retry_after=None)


async def test_a_timeout_is_retryable_but_may_have_sent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(503, delay=2.0)
    config = TwilioConfig(
        fake_twilio.account_sid, fake_twilio.auth_token, fake_twilio.base_url, timeout_seconds=0.2
    )
    async with TwilioProvider(config) as provider:
        result = await provider.send(to=SHOPPER, sender=FROM, body=BODY)
    assert result == SmsFailure(code=FailureCode.TIMEOUT, permanent=False, maybe_sent=True)


async def test_a_refused_connection_is_retryable_and_sent_nothing() -> None:
    # A port that was free a moment ago and that nobody listens on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = TwilioConfig("AC1", "token", f"http://127.0.0.1:{port}")
    async with TwilioProvider(config) as provider:
        result = await provider.send(to=SHOPPER, sender=FROM, body=BODY)
    assert result == SmsFailure(code=FailureCode.NETWORK, permanent=False, maybe_sent=False)


async def test_failures_never_log_the_number_or_the_body(
    provider: TwilioProvider, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    results = [
        await provider.send(to=INVALID_NUMBER, sender=FROM, body=BODY),
        await provider.send(to=OPTED_OUT_NUMBER, sender=FROM, body=BODY),
    ]
    fake_twilio.fail_next(429, code=20429)
    results.append(await provider.send(to=SHOPPER, sender=FROM, body=BODY))
    assert all(isinstance(r, SmsFailure) for r in results)
    assert "sms.send_failed" in caplog.text
    for secret in (INVALID_NUMBER, OPTED_OUT_NUMBER, SHOPPER, BODY, fake_twilio.auth_token):
        assert secret not in caplog.text
        assert all(secret not in repr(r) for r in results)


def test_the_config_hides_the_token_and_builds_the_messages_url() -> None:
    config = TwilioConfig("AC123", "s3cr3t-token", "https://api.example.com/")
    assert "s3cr3t-token" not in repr(config)
    assert config.messages_url == "https://api.example.com/2010-04-01/Accounts/AC123/Messages.json"
    with pytest.raises(ValueError, match="required"):
        TwilioConfig("AC123", "")
