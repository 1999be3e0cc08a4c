"""At most once with a real worker process: SIGKILL it after the provider took a text but
before the row says so, then let another worker and the reconcile loop at it: the text is
never sent a second time, and the row ends FAILED `UNCONFIRMED:WORKER_LOST`."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import time
import uuid
from collections import Counter

from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.consent.double_opt_in import request_confirmation
from app.core.clock import advanced
from app.core.jobs import queue_bound, send_now
from app.messaging import jobs
from app.messaging.providers import build_providers
from app.messaging.reconcile import WORKER_LOST, reconcile_outbox
from app.messaging.sender import SendOutcome, send_message
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import MessageStatus, OutboxMessage
from tests.fake_twilio import FakeTwilio
from tests.messaging.conftest import TwilioOutbox
from tests.messaging.test_outbox import text
from tests.messaging.worker_process import start_worker, stop_worker, worker_log


def twilio_env(fake: FakeTwilio) -> dict[str, str]:
    """A worker's settings for sending texts through the fake Twilio."""
    return {
        "LOYALTY_SMS_PROVIDER": "twilio",
        "LOYALTY_TWILIO_ACCOUNT_SID": fake.account_sid,
        "LOYALTY_TWILIO_AUTH_TOKEN": fake.auth_token,
        "LOYALTY_TWILIO_BASE_URL": fake.base_url,
        "LOYALTY_SMS_FROM": "+15005550006",
    }


async def test_sigkill_after_the_provider_took_the_text_never_sends_it_again(
    twilio_outbox: TwilioOutbox, arq_redis: ArqRedis
) -> None:
    outbox, fake = twilio_outbox, twilio_outbox.fake
    fake.answer_delay = 10.0
    message = await outbox.enqueue(text())

    first = start_worker(outbox.settings, outbox.redis_url, env=twilio_env(fake))
    try:
        deadline = time.monotonic() + 60
        while not fake.messages:
            assert time.monotonic() < deadline, "the worker never sent the text"
            assert first.poll() is None, worker_log(first)
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop_worker(first)
    fake.answer_delay = 0.0
    assert (await OutboxMessage.get(id=message.id)).status is MessageStatus.SENDING

    # The job run again while the row says SENDING (arq re-runs a dead worker's job once its
    # hold expires): nothing is sent.
    providers = build_providers(outbox.settings.messaging)
    try:
        assert await send_message(message.id, providers) is SendOutcome.NOT_SENDABLE
    finally:
        await providers.aclose()

    # The reconcile loop gives the row up and clears the dead worker's job from arq; a lost
    # job's resend, run by a new worker, sends nothing either.
    stale = outbox.settings.messaging.sending_stale_seconds
    with queue_bound(arq_redis), advanced(dt.timedelta(seconds=stale + 1)):
        assert (await reconcile_outbox(stale)).given_up == 1
        assert await send_now(jobs.send_message(message.id, occasion="reconcile"))
    second = start_worker(outbox.settings, outbox.redis_url, burst=True, env=twilio_env(fake))
    try:
        await asyncio.to_thread(second.wait, 120)
    finally:
        stop_worker(second)
    assert second.returncode == 0, worker_log(second)

    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.error_code, row.attempts) == (MessageStatus.FAILED, WORKER_LOST, 1)
    assert len(fake.messages) == 1
    assert fake.requests == 1


async def pending_customers(organization_id: uuid.UUID, count: int) -> list[Customer]:
    """Customers asked for texts (PENDING, with the request's evidence), in New York."""
    customers = []
    for n in range(count):
        customer = await Customer.create(
            organization_id=organization_id,
            phone=f"+1212555{n:04d}",
            sms_state=SmsState.PENDING,
        )
        await ConsentEvent.create(
            organization_id=organization_id,
            customer_id=customer.id,
            channel=ConsentChannel.SMS,
            state=SmsState.PENDING.value,
            source=ConsentSource.STAFF,
        )
        customers.append(customer)
    return customers


async def test_a_batch_of_opt_in_texts_survives_a_sigkill_mid_batch_without_a_second_copy(
    twilio_outbox: TwilioOutbox, arq_redis: ArqRedis
) -> None:
    outbox, fake = twilio_outbox, twilio_outbox.fake
    organization_id = outbox.tenant.organization_id
    # (The conftest's organization texts at any hour: quiet hours are not this test's point.)
    count = 16
    customers = await pending_customers(organization_id, count)
    principal = Principal.system(organization_id)
    with queue_bound(arq_redis):
        messages = [await request_confirmation(principal, c.id) for c in customers]
        ids = [m.id for m in messages if m is not None]
        assert len(ids) == count
        # Every text's job asked for a second time, under another job id.
        for message_id in ids:
            assert await send_now(jobs.send_message(message_id, occasion="again"))

    # The provider records each text and then takes its time answering: the worker is killed
    # with texts out but unanswered, and others not yet claimed.
    fake.answer_delay = 5.0
    first = start_worker(outbox.settings, outbox.redis_url, env=twilio_env(fake))
    try:
        deadline = time.monotonic() + 60
        while len(fake.messages) < 3:
            assert time.monotonic() < deadline, worker_log(first)
            assert first.poll() is None, worker_log(first)
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop_worker(first)
    fake.answer_delay = 0.0
    in_flight = await OutboxMessage.filter(id__in=ids, status=MessageStatus.SENDING).count()
    assert in_flight >= 3

    # The reconcile cron gives up what the dead worker had claimed (it may have gone out) and
    # clears its jobs, and asks again for every text still waiting (a job the dead worker had
    # taken but not started is held by arq for an hour); a new worker then sends those, and
    # every other run of a job finds nothing to send.
    stale = outbox.settings.messaging.sending_stale_seconds
    with queue_bound(arq_redis), advanced(dt.timedelta(seconds=stale + 1)):
        assert (await reconcile_outbox(stale)).given_up == in_flight
    second = start_worker(outbox.settings, outbox.redis_url, env=twilio_env(fake))
    try:
        deadline = time.monotonic() + 90
        waiting = (MessageStatus.QUEUED, MessageStatus.SENDING)
        while await OutboxMessage.filter(id__in=ids, status__in=waiting).exists():
            assert time.monotonic() < deadline, worker_log(second)
            assert second.poll() is None, worker_log(second)
            await asyncio.sleep(0.1)
        # Every row has ended, so no job left in arq can send: a claim needs a QUEUED row.
    finally:
        stop_worker(second)

    # The provider's own record: nobody got two texts, and every sent row is in it once.
    per_recipient = Counter(m.to for m in fake.messages)
    assert max(per_recipient.values()) == 1
    rows = await OutboxMessage.filter(id__in=ids)
    sent = {r.provider_message_id for r in rows if r.status is MessageStatus.SENT}
    assert sent <= {m.sid for m in fake.messages}
    outcomes = Counter(
        r.status.value if r.status is MessageStatus.SENT else f"{r.status.value}:{r.error_code}"
        for r in rows
    )
    assert outcomes == {"SENT": count - in_flight, f"FAILED:{WORKER_LOST}": in_flight}
    assert all(r.attempts == 1 for r in rows)
    assert len(fake.messages) <= count
