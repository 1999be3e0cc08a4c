"""The Twilio provider sends from the organization's own number or messaging service when its
SMS settings name one, else from LOYALTY_SMS_FROM (a real worker, the fake Twilio server)."""

from __future__ import annotations

from typing import Any

from app.models.message import MessageStatus, OutboxMessage
from app.models.organization import Organization
from tests.conftest import make_tenant
from tests.messaging.conftest import TwilioOutbox
from tests.messaging.test_outbox import text

SERVICE = "MG" + "0123456789abcdef" * 2


async def set_sms(organization_id: object, sms: dict[str, Any]) -> None:
    org = await Organization.get(id=organization_id)
    org.settings = {**(org.settings or {}), "sms": sms}
    await org.save(update_fields=["settings"])


async def test_each_organization_sends_from_its_own_sender(twilio_outbox: TwilioOutbox) -> None:
    outbox, fake = twilio_outbox, twilio_outbox.fake
    acme = outbox.tenant
    # The tenant names its number; a second names a messaging service; a third names none.
    await set_sms(outbox.tenant.organization_id, {"from_number": "+15005550010"})
    globex = await make_tenant("Globex")
    await set_sms(globex.organization_id, {"messaging_service_sid": SERVICE})
    initech = await make_tenant("Initech")

    await outbox.enqueue(text("acme"))
    for other in (globex, initech):
        outbox.tenant = other
        await outbox.enqueue(text("other"))
    assert await outbox.run_worker() == 3

    rows = await OutboxMessage.all()
    assert {r.status for r in rows} == {MessageStatus.SENT}
    by_sid = {m.sid: m for m in fake.messages}
    senders = {
        str(r.organization_id): (
            by_sid[str(r.provider_message_id)].from_number,
            by_sid[str(r.provider_message_id)].messaging_service_id,
        )
        for r in rows
    }
    assert senders == {
        str(acme.organization_id): ("+15005550010", None),
        str(globex.organization_id): (None, SERVICE),
        # The installation's LOYALTY_SMS_FROM (twilio_settings).
        str(initech.organization_id): ("+15005550006", None),
    }
