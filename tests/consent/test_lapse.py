"""The 30-day lapse of unanswered double opt-in requests."""

from __future__ import annotations

import datetime as dt

from app.consent.lapse import lapse_pending
from app.core.clock import advanced
from app.messaging.providers import build_providers
from app.messaging.sender import SendOutcome, send_message
from app.models.consent import ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import MessagePurpose, MessageStatus, OutboxMessage
from tests.consent.conftest import SmsLoop, local_time


async def test_pending_older_than_30_days_lapses_without_a_text(sms_loop: SmsLoop) -> None:
    with local_time(12):
        stale = await sms_loop.opt_in()
        await sms_loop.run_worker()
    assert await lapse_pending() == 0
    with advanced(dt.timedelta(days=29)):
        assert await lapse_pending() == 0
    with advanced(dt.timedelta(days=31)):
        assert await lapse_pending() == 1
        assert await lapse_pending() == 0
    assert (await Customer.get(id=stale)).sms_state is SmsState.NOT_SUBSCRIBED
    evidence = await ConsentEvent.get(customer_id=stale, state="NOT_SUBSCRIBED")
    assert evidence.source is ConsentSource.LAPSE
    # Only the original confirmation request was ever queued.
    assert await OutboxMessage.filter(customer_id=stale).count() == 1


async def test_a_lapsed_request_waiting_for_quiet_hours_is_never_sent(sms_loop: SmsLoop) -> None:
    providers = build_providers(sms_loop.settings.messaging)
    try:
        with local_time(23):
            customer_id = await sms_loop.opt_in()
            [text] = await OutboxMessage.filter(purpose=MessagePurpose.DOUBLE_OPT_IN)
            assert text.status is MessageStatus.QUEUED
            await Customer.filter(id=customer_id).update(sms_state=SmsState.NOT_SUBSCRIBED)
            with advanced(dt.timedelta(hours=10)):
                assert await send_message(text.id, providers) is SendOutcome.FAILED
    finally:
        await providers.aclose()
    row = await OutboxMessage.get(id=text.id)
    assert (row.status, row.error_code) == (MessageStatus.FAILED, "NOT_PENDING")
