"""The SMTP email provider against a real SMTP server, and emails through the outbox."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import EmailProviderKind, MessagingSettings, Settings, SmtpSecurity
from app.core.jobs import queue_bound
from app.messaging.email import EmailProvider
from app.messaging.provider import FailureCode, SmsAccepted, SmsFailure
from app.messaging.repository import NewMessage
from app.messaging.service import enqueue_message
from app.messaging.smtp import SmtpConfig, SmtpProvider
from app.models.message import MessageChannel, MessagePurpose, MessageStatus, OutboxMessage
from tests.burst_worker import run_worker
from tests.conftest import Tenant
from tests.smtp_server import BUSY_MAILBOX, UNKNOWN_MAILBOX, SmtpRecorder, running_smtp_server

SHOPPER = "chloe.shopper@example.com"
SENDER = "rewards@acme.example"
BODY = "Your Acme verification code is 482913. It expires in 10 minutes."


@pytest.fixture(scope="module")
def smtp_server_module() -> Iterator[SmtpRecorder]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_server(smtp_server_module: SmtpRecorder) -> Iterator[SmtpRecorder]:
    smtp_server_module.reset()
    yield smtp_server_module
    smtp_server_module.reset()


@pytest.fixture
def provider(smtp_server: SmtpRecorder) -> SmtpProvider:
    return SmtpProvider(
        SmtpConfig(smtp_server.host, smtp_server.port, security="none", id_domain="acme.example")
    )


async def send(provider: SmtpProvider, to: str = SHOPPER) -> SmsAccepted | SmsFailure:
    return await provider.send(
        to=to, sender=SENDER, subject="Your code", body=BODY, message_id="0193-abc"
    )


def test_the_provider_meets_the_protocol(provider: SmtpProvider) -> None:
    implementation: EmailProvider = provider
    assert implementation.name == "smtp"


async def test_an_email_is_delivered_with_our_message_id(
    provider: SmtpProvider, smtp_server: SmtpRecorder
) -> None:
    result = await send(provider)
    assert result == SmsAccepted("<0193-abc@acme.example>")
    [received] = smtp_server.received
    assert (received.sender, received.recipients) == (SENDER, [SHOPPER])
    assert received.message["Message-ID"] == "<0193-abc@acme.example>"
    assert received.message["Subject"] == "Your code"
    assert BODY in received.message.get_payload()


async def test_an_unknown_mailbox_is_a_permanent_failure(provider: SmtpProvider) -> None:
    assert await send(provider, UNKNOWN_MAILBOX) == SmsFailure("SMTP_550", permanent=True)


async def test_a_busy_mailbox_is_retryable(provider: SmtpProvider) -> None:
    assert await send(provider, BUSY_MAILBOX) == SmsFailure("SMTP_451", permanent=False)


async def test_a_refused_message_is_permanent(
    provider: SmtpProvider, smtp_server: SmtpRecorder
) -> None:
    smtp_server.refuse_data_next()
    assert await send(provider) == SmsFailure("SMTP_554", permanent=True)
    assert smtp_server.received == []


async def test_no_server_is_retryable_and_sent_nothing() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = SmtpProvider(SmtpConfig("127.0.0.1", port, security="none", timeout_seconds=2))
    assert await send(provider) == SmsFailure(FailureCode.NETWORK, permanent=False)


async def test_failures_never_log_the_address_or_the_body(
    provider: SmtpProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await send(provider, UNKNOWN_MAILBOX)
    await send(provider, BUSY_MAILBOX)
    # The test server's own log ("mail.log") is not ours to judge.
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert "email.send_failed" in ours
    for secret in (UNKNOWN_MAILBOX, BUSY_MAILBOX, BODY):
        assert secret not in ours


async def test_an_email_goes_from_the_outbox_through_smtp_by_a_worker(
    tenant: Tenant,
    arq_redis: ArqRedis,
    settings: Settings,
    redis_url: str,
    smtp_server: SmtpRecorder,
) -> None:
    smtp_settings = settings.with_overrides(
        messaging=MessagingSettings(
            email_provider=EmailProviderKind.SMTP,
            smtp_host=smtp_server.host,
            smtp_port=smtp_server.port,
            smtp_security=SmtpSecurity.NONE,
            email_from=SENDER,
        )
    )
    new = NewMessage(
        channel=MessageChannel.EMAIL,
        purpose=MessagePurpose.VERIFICATION_CODE,
        recipient=SHOPPER,
        subject="Your code",
        body=BODY,
        idempotency_key="code-1",
    )
    with queue_bound(arq_redis):
        message = await enqueue_message(Principal.system(tenant.organization_id), new)
    await run_worker(smtp_settings, redis_url)
    row = await OutboxMessage.get(id=message.id)
    assert row.status is MessageStatus.SENT
    assert row.provider_message_id == f"<{message.id}@acme.example>"
    # A code that has left through a real provider is not kept in plaintext.
    assert "482913" not in row.body
    [received] = smtp_server.received
    assert BODY in received.message.get_payload()
