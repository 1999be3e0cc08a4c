"""An import that asks for double opt-in texts IMMEDIATELY: one text per customer it put in
PENDING, sent by a real worker; NEVER sends nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.consent import double_opt_in
from app.consent.double_opt_in import request_for_import
from app.core.jobs import queue_bound
from app.imports.options import SmsDoubleOptIn, SmsSchedule
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
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


async def test_pages_keep_the_rules_of_one_request(
    sms_loop: SmsLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set-based follow-up, one customer a page: the shopper's own STOP before the
    import's request still wins, each text is linked to the import and keyed by its request,
    and a second run adds nothing."""
    monkeypatch.setattr(double_opt_in, "_IMPORT_BATCH", 1)
    org_id = sms_loop.tenant.organization_id
    with local_time(12):
        # Run with no queue bound: the follow-up is called here, not by a worker.
        await import_file(
            owner_of(sms_loop.tenant),
            sms_loop.settings,
            csv_text(*ROWS),
            sms_double_opt_in=SmsSchedule(SmsDoubleOptIn.NEVER),
        )
        job = await ImportJob.get(organization_id=org_id)
        stopped = await Customer.get(phone="+12025550143")
        request = await ConsentEvent.get(customer_id=stopped.id, state=SmsState.PENDING.value)
        stop = await ConsentEvent.create(
            organization_id=org_id,
            customer_id=stopped.id,
            channel=ConsentChannel.SMS,
            state=SmsState.UNSUBSCRIBED.value,
            source=ConsentSource.SMS_REPLY,
            text="STOP",
        )
        earlier = request.created_at - dt.timedelta(minutes=1)
        await ConsentEvent.filter(id=stop.id).update(created_at=earlier)

        system = Principal.system(org_id)
        assert await request_for_import(system, job.id) == 1
        assert await request_for_import(system, job.id) == 1
    texts = await OutboxMessage.filter(purpose=MessagePurpose.DOUBLE_OPT_IN)
    assert [t.recipient for t in texts] == ["+12025550144"]
    texted = await Customer.get(phone="+12025550144")
    asked = await ConsentEvent.get(customer_id=texted.id, state=SmsState.PENDING.value)
    assert texts[0].import_job_id == job.id
    assert texts[0].idempotency_key == f"sms-opt-in:{texted.id}:{asked.id}"
    assert texts[0].status is MessageStatus.QUEUED
    assert texts[0].next_attempt_at is None
