"""The outbox end to end: a row first, a real worker, real providers (the outbox provider and
the fake Twilio server), retries, carrier opt-outs, and never a second copy."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

import pytest
from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import MessagingSettings, Settings
from app.core.clock import advanced
from app.core.jobs import queue_bound
from app.core.transactions import atomic
from app.logs import quiet_statement_loggers
from app.messaging import repository
from app.messaging.outbox_provider import OutboxProvider
from app.messaging.provider import Sender
from app.messaging.providers import Providers, build_providers
from app.messaging.reconcile import WORKER_LOST, reconcile_outbox
from app.messaging.repository import NewMessage
from app.messaging.sender import SendOutcome, send_message
from app.messaging.service import enqueue_message, recent_messages
from app.messaging.twilio.client import TwilioConfig, TwilioProvider
from app.models.consent import ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import MessageChannel, MessagePurpose, MessageStatus, OutboxMessage
from app.models.privacy import BlockReason
from app.privacy.service import block_identifiers
from tests.burst_worker import run_worker
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.fake_twilio import OPTED_OUT_NUMBER
from tests.messaging.conftest import TwilioOutbox

SHOPPER = "+14155550132"
BODY = "Acme Rewards: Reply YES to confirm reward texts. Msg & data rates may apply."


def text(key: str = "k1", to: str = SHOPPER, customer: Customer | None = None) -> NewMessage:
    return NewMessage(
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.DOUBLE_OPT_IN,
        recipient=to,
        body=BODY,
        idempotency_key=key,
        customer_id=customer.id if customer is not None else None,
    )


async def stored(message: OutboxMessage) -> OutboxMessage:
    return await OutboxMessage.get(id=message.id)


async def enqueue(tenant: Tenant, arq_redis: ArqRedis, new: NewMessage) -> OutboxMessage:
    with queue_bound(arq_redis):
        return await enqueue_message(Principal.system(tenant.organization_id), new)


class TestEnqueue:
    async def test_the_same_key_gives_the_same_row_and_one_job(
        self, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        first = await enqueue(tenant, arq_redis, text())
        again = await enqueue(tenant, arq_redis, text())
        assert again.id == first.id
        assert await OutboxMessage.filter(organization_id=tenant.organization_id).count() == 1
        queued = [j for j in await arq_redis.queued_jobs() if j.function == "send_message"]
        # The job carries the id only: no number or body in Redis.
        assert [j.args for j in queued] == [(str(first.id),)]

    async def test_keys_are_per_organization(
        self, tenant: Tenant, other_tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        ours = await enqueue(tenant, arq_redis, text())
        theirs = await enqueue(other_tenant, arq_redis, text())
        assert ours.id != theirs.id
        listed = await recent_messages(Principal.system(tenant.organization_id))
        assert [m.id for m in listed] == [ours.id]

    async def test_a_rolled_back_transaction_leaves_no_row_and_no_job(
        self, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        async def failing_caller() -> None:
            async with atomic():
                await enqueue_message(Principal.system(tenant.organization_id), text())
                raise RuntimeError("the caller's work failed")

        with queue_bound(arq_redis), pytest.raises(RuntimeError):
            await failing_caller()
        assert await OutboxMessage.all().count() == 0
        assert not [j for j in await arq_redis.queued_jobs() if j.function == "send_message"]


class TestOutboxProvider:
    async def test_enqueued_then_sent_by_a_worker_and_delivered_at_once(
        self, tenant: Tenant, arq_redis: ArqRedis, settings: Settings, redis_url: str
    ) -> None:
        message = await enqueue(tenant, arq_redis, text())
        assert message.status is MessageStatus.QUEUED
        assert await run_worker(settings, redis_url) >= 1
        row = await stored(message)
        assert row.status is MessageStatus.DELIVERED
        assert row.provider == "outbox"
        assert row.provider_message_id
        assert row.attempts == 1
        # Development reads it from the table: the body stays.
        assert row.body == BODY


class TestTwilio:
    async def test_sent_then_delivered_by_the_status_callback(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        message = await outbox.enqueue(text())
        await outbox.run_worker()
        row = await stored(message)
        assert row.status is MessageStatus.SENT
        assert row.provider == "twilio"
        sent = fake_twilio.message(str(row.provider_message_id))
        assert (sent.to, sent.body) == (SHOPPER, BODY)
        assert sent.status_callback == "http://test/webhooks/sms/twilio/status"

    async def test_a_transient_error_is_retried_and_sends_once(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        fake_twilio.fail_next(503)
        fake_twilio.fail_next(429, code=20429)
        message = await outbox.enqueue(text())
        await outbox.run_worker()
        row = await stored(message)
        assert row.status is MessageStatus.SENT
        assert row.attempts == 3
        assert fake_twilio.requests == 3
        assert len(fake_twilio.messages) == 1

    async def test_transient_errors_end_failed_after_the_last_attempt(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        limited = outbox.settings.with_overrides(
            messaging=MessagingSettings(**{**outbox.settings.messaging.__dict__, "max_attempts": 2})
        )
        fake_twilio.fail_next(503, times=5)
        message = await outbox.enqueue(text())
        await outbox.run_worker(limited)
        row = await stored(message)
        assert (row.status, row.error_code, row.attempts) == (MessageStatus.FAILED, "HTTP_503", 2)
        assert fake_twilio.messages == []

    async def test_carrier_opt_out_fails_the_text_and_unsubscribes_the_customer(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox = twilio_outbox
        customer = await Customer.create(
            organization_id=outbox.tenant.organization_id,
            phone=OPTED_OUT_NUMBER,
            sms_state=SmsState.PENDING,
        )
        message = await outbox.enqueue(text(to=OPTED_OUT_NUMBER, customer=customer))
        await outbox.run_worker()
        row = await stored(message)
        assert (row.status, row.error_code) == (MessageStatus.FAILED, "21610")
        assert (await Customer.get(id=customer.id)).sms_state is SmsState.UNSUBSCRIBED
        evidence = await ConsentEvent.get(customer_id=customer.id)
        assert evidence.source is ConsentSource.CARRIER
        assert evidence.state == "UNSUBSCRIBED"
        assert evidence.message_id == f"outbox:{message.id}"
        assert evidence.text is not None
        assert "21610" in evidence.text

    async def test_an_unsubscribed_customer_is_never_texted(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        customer = await Customer.create(
            organization_id=outbox.tenant.organization_id,
            phone=SHOPPER,
            sms_state=SmsState.UNSUBSCRIBED,
        )
        message = await outbox.enqueue(text(customer=customer))
        await outbox.run_worker()
        row = await stored(message)
        assert (row.status, row.error_code) == (MessageStatus.FAILED, "RECIPIENT_UNSUBSCRIBED")
        assert fake_twilio.requests == 0

    async def test_a_timeout_may_have_sent_so_it_is_never_retried(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        fake_twilio.fail_next(503, delay=1.0)
        message = await outbox.enqueue(text())
        impatient = TwilioConfig(
            fake_twilio.account_sid, fake_twilio.auth_token, fake_twilio.base_url, 0.2
        )
        providers = Providers(
            sms=TwilioProvider(impatient),
            email=OutboxProvider(),
            sms_sender=Sender(from_number="+15005550006"),
            email_from="rewards@acme.example",
            status_callback=None,
            settings=outbox.settings.messaging,
        )
        try:
            assert await send_message(message.id, providers) is SendOutcome.FAILED
        finally:
            await providers.aclose()
        row = await stored(message)
        assert (row.status, row.error_code) == (MessageStatus.FAILED, "UNCONFIRMED:TIMEOUT")


class TestAtMostOnce:
    async def test_a_job_run_twice_or_concurrently_sends_once(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        message = await outbox.enqueue(text())
        providers = build_providers(outbox.settings.messaging)
        try:
            outcomes = await asyncio.gather(
                send_message(message.id, providers), send_message(message.id, providers)
            )
            again = await send_message(message.id, providers)
        finally:
            await providers.aclose()
        assert sorted(outcomes) == [SendOutcome.NOT_SENDABLE, SendOutcome.SENT]
        assert again is SendOutcome.NOT_SENDABLE
        assert fake_twilio.requests == 1

    async def test_a_worker_lost_mid_send_is_given_up_never_resent(
        self, twilio_outbox: TwilioOutbox
    ) -> None:
        outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
        message = await outbox.enqueue(text())
        # What a worker killed after the provider's answer leaves: the claim, nothing after.
        assert await repository.claim(message.id, message.created_at)
        counts = await reconcile_outbox(outbox.settings.messaging.sending_stale_seconds)
        assert counts.given_up == 0  # not stale yet: the worker may still be sending
        with advanced(dt.timedelta(hours=1)):
            counts = await reconcile_outbox(outbox.settings.messaging.sending_stale_seconds)
        assert counts.given_up == 1
        row = await stored(message)
        assert (row.status, row.error_code) == (MessageStatus.FAILED, WORKER_LOST)
        providers = build_providers(outbox.settings.messaging)
        try:
            assert await send_message(message.id, providers) is SendOutcome.NOT_SENDABLE
        finally:
            await providers.aclose()
        assert fake_twilio.requests == 0

    async def test_a_lost_job_is_asked_for_again_by_the_reconcile_loop(
        self, tenant: Tenant, arq_redis: ArqRedis, settings: Settings, redis_url: str
    ) -> None:
        # No queue bound: the job is lost, the row remains.
        message = await enqueue_message(Principal.system(tenant.organization_id), text())
        with queue_bound(arq_redis):
            assert (await reconcile_outbox(600)).requeued == 0  # too young to be lost
            with advanced(dt.timedelta(minutes=1)):
                assert (await reconcile_outbox(600)).requeued == 1
        await run_worker(settings, redis_url)
        assert (await stored(message)).status is MessageStatus.DELIVERED

    async def test_a_missing_message_is_reported_not_raised(self, settings: Settings) -> None:
        providers = build_providers(settings.messaging)
        assert await send_message(uuid.uuid4(), providers) is SendOutcome.MISSING


async def test_sending_never_logs_the_recipient_or_the_body(
    twilio_outbox: TwilioOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox, fake_twilio = twilio_outbox, twilio_outbox.fake
    caplog.set_level(logging.DEBUG)
    quiet_statement_loggers()  # as the service's logging does: SQL parameters are data
    fake_twilio.fail_next(503)
    await outbox.enqueue(text("a"))
    await outbox.enqueue(text("b", to=OPTED_OUT_NUMBER))
    await outbox.run_worker()
    assert "sms.send_failed" in caplog.text
    for secret in (SHOPPER, OPTED_OUT_NUMBER, BODY):
        assert secret not in caplog.text


async def test_an_erasure_redacts_a_persons_messages_and_only_theirs(
    tenant: Tenant, other_tenant: Tenant, arq_redis: ArqRedis
) -> None:
    customer = await Customer.create(organization_id=tenant.organization_id, phone=SHOPPER)
    by_customer = await enqueue(tenant, arq_redis, text("a", customer=customer))
    # A verification code goes to an identifier, with no customer on the row.
    by_recipient = await enqueue(tenant, arq_redis, text("b"))
    someone_else = await enqueue(tenant, arq_redis, text("c", to="+14155550199"))
    other_org = await enqueue(other_tenant, arq_redis, text("d"))

    redacted = await repository.redact(
        tenant.organization_id, customer_ids=[customer.id], recipients=[SHOPPER]
    )
    assert redacted == 2
    for message in (by_customer, by_recipient):
        row = await stored(message)
        assert (row.recipient, row.body, row.subject) == ("[erased]", "[erased]", None)
    assert (await stored(someone_else)).body == BODY
    assert (await stored(other_org)).recipient == SHOPPER


async def test_nothing_but_a_code_goes_to_a_blocked_identifier(
    tenant: Tenant, arq_redis: ArqRedis, settings: Settings
) -> None:
    await block_identifiers(owner_of(tenant), phones=[SHOPPER], reason=BlockReason.ERASED)
    providers = build_providers(settings.messaging)
    refused = await enqueue(tenant, arq_redis, text("blocked"))
    assert await send_message(refused.id, providers) is SendOutcome.FAILED
    assert ((await stored(refused)).status, (await stored(refused)).error_code) == (
        MessageStatus.FAILED,
        "RECIPIENT_BLOCKED",
    )
    # The code that lets its owner recover it on the privacy page still goes.
    code = NewMessage(
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.VERIFICATION_CODE,
        recipient=SHOPPER,
        body="Acme: your verification code is 123456.",
        idempotency_key="code",
    )
    sent = await enqueue(tenant, arq_redis, code)
    assert await send_message(sent.id, providers) is SendOutcome.DELIVERED
