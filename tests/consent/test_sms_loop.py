"""The SMS double opt-in loop end to end: GraphQL opt-in, a real burst worker sending through
the outbox provider, and shoppers' replies through the signed inbound webhook."""

from __future__ import annotations

import datetime as dt
import logging
import time

import httpx
import pytest
from arq.connections import ArqRedis
from arq.constants import default_queue_name

from app.core.clock import advanced
from app.messaging.providers import build_providers
from app.messaging.sender import SendOutcome, send_message
from app.models.consent import ConsentEvent, ConsentSource
from app.models.customer import Customer, SmsState
from app.models.message import InboundMessage, MessagePurpose, MessageStatus, OutboxMessage
from app.models.organization import Organization
from tests.conftest import Tenant
from tests.consent.conftest import (
    AUTH_TOKEN,
    INBOUND_URL,
    NEW_YORK,
    OUR_NUMBER,
    SHOPPER,
    SmsLoop,
    local_time,
)
from tests.fake_twilio import twilio_signature


async def outbound(purpose: MessagePurpose) -> list[OutboxMessage]:
    return await OutboxMessage.filter(purpose=purpose).order_by("created_at")


async def sms_state(customer_id: str) -> SmsState:
    return (await Customer.get(id=customer_id)).sms_state


async def test_opt_in_text_yes_subscribes_with_evidence(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        assert await sms_loop.run_worker() == 1
    [text] = await outbound(MessagePurpose.DOUBLE_OPT_IN)
    assert text.status is MessageStatus.DELIVERED
    assert text.recipient == SHOPPER
    assert "Reply YES to confirm" in text.body
    assert "Msg & data rates may apply." in text.body
    assert "STOP" in text.body
    assert "HELP" in text.body

    response = await sms_loop.reply(" yes! ", "SM" + "1" * 32)
    assert response.status_code == 200
    assert "<Response>" in response.text
    assert await sms_state(customer_id) is SmsState.SUBSCRIBED
    evidence = await ConsentEvent.filter(customer_id=customer_id, state="SUBSCRIBED").get()
    assert evidence.source is ConsentSource.SMS_REPLY
    assert evidence.text is not None
    assert text.body in evidence.text
    assert "yes!" in evidence.text
    assert evidence.message_id == f"{'SM' + '1' * 32} re {text.provider_message_id}"
    inbound = await InboundMessage.get()
    assert (inbound.intent, inbound.body, inbound.sender, str(inbound.customer_id)) == (
        "CONFIRM",
        " yes! ",
        SHOPPER,
        customer_id,
    )


async def test_saving_the_customer_again_sends_no_second_text(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        await sms_loop.gql.data(
            """mutation($id: ID!) { customerUpdate(id: $id, input: {smsOptIn: true, firstName: "A"})
                 { errors { code } } }""",
            {"id": customer_id},
            sms_loop.tenant.token,
        )
        await sms_loop.run_worker()
    assert len(await outbound(MessagePurpose.DOUBLE_OPT_IN)) == 1


async def test_stop_twice_unsubscribes_and_confirms_once(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        await sms_loop.run_worker()
        assert (await sms_loop.reply("STOP", "SM" + "2" * 32)).status_code == 200
        assert await sms_state(customer_id) is SmsState.UNSUBSCRIBED
        assert (await sms_loop.reply("stop.", "SM" + "3" * 32)).status_code == 200
        await sms_loop.run_worker()
    [confirmation] = await outbound(MessagePurpose.STOP_CONFIRMATION)
    assert confirmation.status is MessageStatus.DELIVERED
    assert "unsubscribed" in confirmation.body
    assert await InboundMessage.all().count() == 2
    # Only the shopper's own START brings them back.
    assert (await sms_loop.reply("START", "SM" + "4" * 32)).status_code == 200
    assert await sms_state(customer_id) is SmsState.SUBSCRIBED


async def test_help_answers_with_the_help_text(sms_loop: SmsLoop) -> None:
    with local_time(12):
        await sms_loop.opt_in()
        assert (await sms_loop.reply("help", "SM" + "5" * 32)).status_code == 200
        await sms_loop.run_worker()
    [answer] = await outbound(MessagePurpose.HELP)
    assert answer.status is MessageStatus.DELIVERED
    assert "Support:" in answer.body
    assert "Reply STOP to cancel." in answer.body


async def test_other_text_is_stored_and_changes_nothing(
    sms_loop: SmsLoop, caplog: pytest.LogCaptureFixture
) -> None:
    # The app's own loggers at every level (the SQL statement loggers are silenced outside
    # development by app.logs).
    caplog.set_level(logging.DEBUG, logger="app")
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        secret = "my card number is 4111 please stop texting so often"
        assert (await sms_loop.reply(secret, "SM" + "6" * 32)).status_code == 200
    assert await sms_state(customer_id) is SmsState.PENDING
    assert (await InboundMessage.get()).body == secret
    assert any(r.name == "app.consent" for r in caplog.records)
    assert not [r for r in caplog.records if r.name.startswith("app") and "4111" in r.getMessage()]


async def test_bad_signature_is_403_and_changes_nothing(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
    response = await sms_loop.reply("YES", "SM" + "7" * 32, signature="bm90IGl0")
    assert response.status_code == 403
    assert await sms_state(customer_id) is SmsState.PENDING
    assert await InboundMessage.all().count() == 0


async def test_replayed_message_sid_changes_nothing(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        await sms_loop.run_worker()
        sid = "SM" + "8" * 32
        assert (await sms_loop.reply("STOP", sid)).status_code == 200
        # The shopper resubscribes; a replay of the old STOP must not undo it.
        assert (await sms_loop.reply("START", "SM" + "9" * 32)).status_code == 200
        assert (await sms_loop.reply("STOP", sid)).status_code == 200
        await sms_loop.run_worker()
    assert await sms_state(customer_id) is SmsState.SUBSCRIBED
    assert len(await outbound(MessagePurpose.STOP_CONFIRMATION)) == 1
    assert await InboundMessage.all().count() == 2


async def test_a_text_from_an_unknown_number_changes_nobody(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
    response = await sms_loop.reply("YES", "SM" + "a" * 32, sender="+12025550199")
    assert response.status_code == 200
    assert await sms_state(customer_id) is SmsState.PENDING
    inbound = await InboundMessage.get()
    assert inbound.customer_id is None


async def test_opt_in_at_night_waits_for_the_recipients_morning(
    sms_loop: SmsLoop, arq_redis: ArqRedis
) -> None:
    providers = build_providers(sms_loop.settings.messaging)
    try:
        with local_time(23) as late:
            await sms_loop.opt_in()
            [text] = await outbound(MessagePurpose.DOUBLE_OPT_IN)
            assert text.status is MessageStatus.QUEUED
            assert text.next_attempt_at is not None
            opening = text.next_attempt_at.astimezone(NEW_YORK)
            assert (opening.hour, opening.minute) == (8, 0)
            assert opening - late == dt.timedelta(hours=9)
            # Its job is deferred to the opening, not run at once.
            score = await arq_redis.zscore(default_queue_name, f"message:{text.id}")
            assert score is not None
            # arq schedules on the real clock: nine hours from now, as the app's clock says.
            assert abs(score / 1000 - (time.time() + 9 * 3600)) < 60
            # Early, the claim refuses it; at the opening it goes.
            with advanced(dt.timedelta(hours=8, minutes=59)):
                assert await send_message(text.id, providers) is SendOutcome.NOT_SENDABLE
            with advanced(dt.timedelta(hours=9)):
                assert await send_message(text.id, providers) is SendOutcome.DELIVERED
    finally:
        await providers.aclose()


async def test_staff_cannot_re_ask_a_shopper_who_sent_stop(sms_loop: SmsLoop) -> None:
    with local_time(12):
        customer_id = await sms_loop.opt_in()
        await sms_loop.run_worker()
        await sms_loop.reply("STOP", "SM" + "b" * 32)
        data = await sms_loop.gql.data(
            """mutation($id: ID!) { customerUpdate(id: $id, input: {smsOptIn: true})
                 { customer { consent { smsState } } errors { code } } }""",
            {"id": customer_id},
            sms_loop.tenant.token,
        )
        assert data["customerUpdate"]["errors"] == []
        await sms_loop.run_worker()
    assert len(await outbound(MessagePurpose.DOUBLE_OPT_IN)) == 1


async def test_replies_reach_only_the_organization_that_owns_the_number(
    sms_loop: SmsLoop, other_tenant: Tenant
) -> None:
    other_number = "+15005550007"
    other = await Organization.get(id=other_tenant.organization_id)
    other.settings = {**other.settings, "sms": {"from_number": other_number}}
    await other.save()
    ours = await Organization.get(id=sms_loop.tenant.organization_id)
    ours.settings = {**ours.settings, "sms": {"from_number": OUR_NUMBER}}
    await ours.save()
    with local_time(12):
        customer_id = await sms_loop.opt_in()
    theirs = await Customer.create(
        organization_id=other_tenant.organization_id,
        phone=SHOPPER,
        sms_state=SmsState.SUBSCRIBED,
    )
    assert (await sms_loop.reply("STOP", "SM" + "c" * 32)).status_code == 200
    assert await sms_state(customer_id) is SmsState.UNSUBSCRIBED
    assert (await Customer.get(id=theirs.id)).sms_state is SmsState.SUBSCRIBED


async def test_a_form_without_the_sender_is_a_400(sms_loop: SmsLoop) -> None:
    form = {"MessageSid": "SM" + "d" * 32, "To": OUR_NUMBER, "Body": "YES"}
    signature = twilio_signature(INBOUND_URL, form, AUTH_TOKEN)
    response = await sms_loop.http.post(
        INBOUND_URL, data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 400
    assert response.text == "MISSING_FIELD: From"


async def test_no_auth_token_means_no_webhook(http: httpx.AsyncClient) -> None:
    response = await http.post(INBOUND_URL, data={"Body": "STOP"})
    assert response.status_code == 404
