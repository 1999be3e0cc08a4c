"""An import that asks for double opt-in texts IMMEDIATELY: one text per customer it put in
PENDING, sent by a real worker; NEVER sends nothing."""

from __future__ import annotations

from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.consent.double_opt_in import request_for_import
from app.core.jobs import queue_bound
from app.imports.options import SmsDoubleOptIn, SmsSchedule
from app.models.customer import Customer, SmsState
from app.models.imports import ImportJob
from app.models.message import MessagePurpose, MessageStatus, OutboxMessage
from tests.consent.conftest import SmsLoop, local_time
from tests.factories import owner_of
from tests.imports.helpers import csv_text, import_file

ROWS = (
    "Email,Phone,SMS opt-in",
    "new@example.com,(202) 555-0143,yes",
    "other@example.com,(202) 555-0144,yes",
    "quiet@example.com,(202) 555-0145,no",
)


async def run_import(sms_loop: SmsLoop, arq_redis: ArqRedis, send: SmsDoubleOptIn) -> None:
    owner: Principal = owner_of(sms_loop.tenant)
    with queue_bound(arq_redis):
        await import_file(
            owner,
            sms_loop.settings,
            csv_text(*ROWS),
            sms_double_opt_in=SmsSchedule(send),
        )


async def test_immediately_texts_each_pending_customer_once(
    sms_loop: SmsLoop, arq_redis: ArqRedis
) -> None:
    with local_time(12):
        await run_import(sms_loop, arq_redis, SmsDoubleOptIn.IMMEDIATELY)
        await sms_loop.run_worker()
        # A second run of the follow-up (a re-delivered job) asks for nothing new.
        job = await ImportJob.get(organization_id=sms_loop.tenant.organization_id)
        await request_for_import(Principal.system(sms_loop.tenant.organization_id), job.id)
    texts = await OutboxMessage.filter(purpose=MessagePurpose.DOUBLE_OPT_IN)
    assert sorted(t.recipient for t in texts) == ["+12025550143", "+12025550144"]
    assert {t.status for t in texts} == {MessageStatus.DELIVERED}
    pending = await Customer.filter(sms_state=SmsState.PENDING).count()
    assert pending == 2


async def test_never_sends_nothing(sms_loop: SmsLoop, arq_redis: ArqRedis) -> None:
    with local_time(12):
        await run_import(sms_loop, arq_redis, SmsDoubleOptIn.NEVER)
        await sms_loop.run_worker()
    assert await Customer.filter(sms_state=SmsState.PENDING).count() == 2
    assert await OutboxMessage.all().count() == 0
