"""Twilio's delivery-status callbacks through the service's own webhook route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from arq.connections import ArqRedis

from app.config import Settings
from app.main import create_app
from app.messaging.repository import NewMessage
from app.models.consent import ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import MessageChannel, MessagePurpose, MessageStatus, OutboxMessage
from tests.fake_twilio import FakeTwilio, twilio_signature
from tests.messaging.conftest import TwilioOutbox

URL = "http://test/webhooks/sms/twilio/status"
SHOPPER = "+14155550132"


@pytest_asyncio.fixture
async def webhook(
    twilio_settings: Settings, arq_redis: ArqRedis
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(twilio_settings, manage_resources=False, redis=arq_redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def sent_text(outbox: TwilioOutbox, customer: Customer | None = None) -> OutboxMessage:
    new = NewMessage(
        channel=MessageChannel.SMS,
        purpose=MessagePurpose.CONFIRMATION,
        recipient=SHOPPER,
        body="Acme Rewards: you are in.",
        idempotency_key="confirm-1",
        customer_id=customer.id if customer else None,
    )
    message = await outbox.enqueue(new)
    await outbox.run_worker()
    row = await OutboxMessage.get(id=message.id)
    assert row.status is MessageStatus.SENT
    return row


async def post_status(
    client: httpx.AsyncClient,
    fake: FakeTwilio,
    sid: str,
    status: str,
    error_code: str | None = None,
    signature: str | None = None,
) -> httpx.Response:
    form = {"AccountSid": fake.account_sid, "MessageSid": sid, "MessageStatus": status}
    if error_code:
        form["ErrorCode"] = error_code
    signed = signature or twilio_signature(URL, form, fake.auth_token)
    return await client.post(URL, data=form, headers={"X-Twilio-Signature": signed})


async def test_delivered_then_a_late_sent_keeps_delivered(
    twilio_outbox: TwilioOutbox, webhook: httpx.AsyncClient
) -> None:
    fake_twilio = twilio_outbox.fake
    row = await sent_text(twilio_outbox)
    sid = str(row.provider_message_id)
    assert (await post_status(webhook, fake_twilio, sid, "delivered")).status_code == 204
    delivered = await OutboxMessage.get(id=row.id)
    assert delivered.status is MessageStatus.DELIVERED
    assert delivered.delivered_at is not None
    assert (await post_status(webhook, fake_twilio, sid, "sent")).status_code == 204
    assert (await OutboxMessage.get(id=row.id)).status is MessageStatus.DELIVERED


async def test_undelivered_with_21610_unsubscribes_the_customer(
    twilio_outbox: TwilioOutbox, webhook: httpx.AsyncClient
) -> None:
    fake_twilio = twilio_outbox.fake
    customer = await Customer.create(
        organization_id=twilio_outbox.tenant.organization_id,
        phone=SHOPPER,
        sms_state=SmsState.SUBSCRIBED,
    )
    row = await sent_text(twilio_outbox, customer)
    sid = str(row.provider_message_id)
    response = await post_status(webhook, fake_twilio, sid, "undelivered", "21610")
    assert response.status_code == 204
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.error_code) == (MessageStatus.UNDELIVERABLE, "21610")
    assert (await Customer.get(id=customer.id)).sms_state is SmsState.UNSUBSCRIBED
    evidence = await ConsentEvent.get(customer_id=customer.id)
    assert (evidence.source, evidence.message_id) == (ConsentSource.CARRIER, sid)


async def test_a_forged_callback_is_refused_and_changes_nothing(
    twilio_outbox: TwilioOutbox, webhook: httpx.AsyncClient
) -> None:
    fake_twilio = twilio_outbox.fake
    row = await sent_text(twilio_outbox)
    forged = twilio_signature(URL, {"MessageSid": "x"}, "not-the-token")
    sid = str(row.provider_message_id)
    response = await post_status(webhook, fake_twilio, sid, "delivered", signature=forged)
    assert response.status_code == 403
    assert (await OutboxMessage.get(id=row.id)).status is MessageStatus.SENT


async def test_a_malformed_or_unknown_callback(
    fake_twilio: FakeTwilio, webhook: httpx.AsyncClient
) -> None:
    response = await post_status(webhook, fake_twilio, "SM" + "0" * 32, "exploded")
    assert (response.status_code, response.text) == (400, "UNKNOWN_STATUS: MessageStatus")
    # A message that is not ours: accepted, nothing to change.
    response = await post_status(webhook, fake_twilio, "SM" + "0" * 32, "delivered")
    assert response.status_code == 204


async def test_the_route_is_absent_without_twilio(http: httpx.AsyncClient) -> None:
    response = await http.post(URL, data={"MessageSid": "SM1", "MessageStatus": "delivered"})
    assert response.status_code == 404
