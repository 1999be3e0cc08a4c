"""An import's double opt-in texts AT a time (the minute cron, run by a real burst worker),
and `importSmsScheduleUpdate`: staff change the choice until the texts have gone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from app.auth.principal import Principal
from app.consent.double_opt_in import request_for_import
from app.core.clock import advanced
from app.core.jobs import queue_bound
from app.imports.lease import claim, release
from app.imports.options import SmsDoubleOptIn, SmsSchedule
from app.imports.repository import jobs as jobs_repository
from app.imports.runner import run_import
from app.imports.sms_schedule import send_due_import_texts
from app.models.customer import Customer, SmsState
from app.models.imports import ImportJob, ImportKind
from app.models.message import MessagePurpose, MessageStatus, OutboxMessage
from app.models.staff import Role
from tests.conftest import make_tenant
from tests.consent.conftest import NEW_YORK, SmsLoop, local_time
from tests.factories import add_staff, owner_of
from tests.imports.helpers import csv_text, import_file, start

ROWS = (
    "Email,Phone,SMS opt-in",
    "new@example.com,(202) 555-0143,yes",
    "other@example.com,(202) 555-0144,yes",
    "quiet@example.com,(202) 555-0145,no",
)
TEXTED = ["+12025550143", "+12025550144"]

UPDATE = """
mutation($id: ID!, $schedule: SmsDoubleOptInInput!) {
  importSmsScheduleUpdate(importJobId: $id, schedule: $schedule) {
    importJob { id smsDoubleOptIn { send at startedAt } smsTexts { queued sent failed } }
    errors { field code message }
  }
}"""
READ = """
query($id: ID!) {
  importJob(id: $id) { smsDoubleOptIn { send at startedAt } smsTexts { queued sent failed } }
}"""


async def customers_import(sms_loop: SmsLoop, schedule: SmsSchedule, **kwargs: Any) -> ImportJob:
    # Run here, with no queue bound: nothing the import asks for reaches the worker.
    return await import_file(
        owner_of(sms_loop.tenant),
        sms_loop.settings,
        csv_text(*ROWS),
        sms_double_opt_in=schedule,
        **kwargs,
    )


async def texts() -> list[OutboxMessage]:
    return await OutboxMessage.filter(purpose=MessagePurpose.DOUBLE_OPT_IN).order_by("recipient")


async def update(
    sms_loop: SmsLoop, job_id: object, send: str, at: dt.datetime | None = None, token: str = ""
) -> dict[str, Any]:
    schedule = {"send": send, "at": at.isoformat() if at else None}
    data = await sms_loop.gql.data(
        UPDATE, {"id": str(job_id), "schedule": schedule}, token or sms_loop.tenant.token
    )
    payload: dict[str, Any] = data["importSmsScheduleUpdate"]
    return payload


async def run_cron(sms_loop: SmsLoop, arq_redis: ArqRedis) -> int:
    """The minute cron's function, asked for as a job and run by a real burst worker (which
    also runs the jobs it asks for: the import's texts, then each text's send)."""
    await arq_redis.enqueue_job("send_scheduled_import_texts")
    return await sms_loop.run_worker()


class TestAt:
    async def test_texts_go_when_the_time_comes_and_only_once(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12) as noon:
            job = await customers_import(
                sms_loop, SmsSchedule(SmsDoubleOptIn.AT, noon + dt.timedelta(hours=2))
            )
            # The import has completed: nothing is sent before the time, even by the cron.
            assert await sms_loop.run_worker() == 0
            assert await run_cron(sms_loop, arq_redis) == 1
            assert await texts() == []
            read = await sms_loop.gql.data(READ, {"id": str(job.id)}, sms_loop.tenant.token)
            assert read["importJob"]["smsDoubleOptIn"]["startedAt"] is None
            assert read["importJob"]["smsTexts"] == {"queued": 0, "sent": 0, "failed": 0}
            with advanced(dt.timedelta(hours=2, minutes=1)):
                # The cron, its send_import_opt_ins job, and one send per text.
                assert await run_cron(sms_loop, arq_redis) == 1 + 1 + 2
                sent = await texts()
                assert [t.recipient for t in sent] == TEXTED
                assert {t.status for t in sent} == {MessageStatus.DELIVERED}
                assert {t.import_job_id for t in sent} == {job.id}
                # A second cron (or two at once) asks for nothing more.
                assert await run_cron(sms_loop, arq_redis) == 1
                assert await send_due_import_texts() == 0
                assert len(await texts()) == 2
                read = await sms_loop.gql.data(READ, {"id": str(job.id)}, sms_loop.tenant.token)
        started = read["importJob"]["smsDoubleOptIn"]["startedAt"]
        assert started is not None
        assert read["importJob"]["smsTexts"] == {"queued": 0, "sent": 2, "failed": 0}
        assert (await ImportJob.get(id=job.id)).sms_started_at is not None

    async def test_quiet_hours_still_hold_each_text(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(21) as nine_pm:
            at = nine_pm + dt.timedelta(hours=1)
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.AT, at))
            with advanced(dt.timedelta(hours=1, minutes=1)):
                with queue_bound(arq_redis):
                    assert await send_due_import_texts() == 1
                # The import's texts job is queued under the import's own id...
                queued = Job(f"import-opt-ins:{job.id}", arq_redis)
                assert await queued.status() is JobStatus.queued
                # ... and what it does: 22:01 in Washington, so the texts wait for 08:00.
                system = Principal.system(sms_loop.tenant.organization_id)
                assert await request_for_import(system, job.id) == 2
                held = await texts()
                read = await sms_loop.gql.data(READ, {"id": str(job.id)}, sms_loop.tenant.token)
        assert [t.status for t in held] == [MessageStatus.QUEUED] * 2
        for text in held:
            assert text.next_attempt_at is not None
            opening = text.next_attempt_at.astimezone(NEW_YORK)
            assert (opening.hour, opening.minute) == (8, 0)
            assert opening.date() == (at + dt.timedelta(days=1)).astimezone(NEW_YORK).date()
        assert read["importJob"]["smsTexts"] == {"queued": 2, "sent": 0, "failed": 0}

    async def test_a_lost_texts_job_is_asked_for_again_by_the_next_cron(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12) as noon:
            job = await customers_import(
                sms_loop, SmsSchedule(SmsDoubleOptIn.AT, noon + dt.timedelta(minutes=5))
            )
            with advanced(dt.timedelta(minutes=6)):
                # Fired with no Redis bound: recorded as started, its job never enqueued.
                assert await send_due_import_texts() == 1
                assert (await ImportJob.get(id=job.id)).sms_started_at is not None
                assert await sms_loop.run_worker() == 0
                # The next minute's cron asks for it again: the texts go, once.
                assert await run_cron(sms_loop, arq_redis) == 1 + 1 + 2
                assert await run_cron(sms_loop, arq_redis) == 1
        assert [t.recipient for t in await texts()] == TEXTED

    async def test_an_at_passing_while_the_import_runs_fires_once_it_completes(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        owner = owner_of(sms_loop.tenant)
        with local_time(12) as noon:
            at = noon + dt.timedelta(minutes=5)
            with queue_bound(arq_redis):
                await start(
                    owner,
                    sms_loop.settings,
                    csv_text(*ROWS),
                    sms_double_opt_in=SmsSchedule(SmsDoubleOptIn.AT, at),
                )
            with advanced(dt.timedelta(minutes=10)):
                # Due, but the import has not run: the cron leaves it for later.
                assert await send_due_import_texts() == 0
                # The worker runs the import (queued at its start), then the cron fires.
                assert await sms_loop.run_worker() == 1
                assert await run_cron(sms_loop, arq_redis) == 1 + 1 + 2
        assert [t.recipient for t in await texts()] == TEXTED


class TestScheduleUpdate:
    async def test_never_cancels_a_pending_at(self, sms_loop: SmsLoop, arq_redis: ArqRedis) -> None:
        with local_time(12) as noon:
            at = noon + dt.timedelta(hours=1)
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.AT, at))
            payload = await update(sms_loop, job.id, "NEVER")
            assert payload["errors"] == []
            assert payload["importJob"]["smsDoubleOptIn"] == {
                "send": "NEVER",
                "at": None,
                "startedAt": None,
            }
            with advanced(dt.timedelta(hours=2)):
                assert await run_cron(sms_loop, arq_redis) == 1
        assert await texts() == []
        assert await Customer.filter(sms_state=SmsState.PENDING).count() == 2

    async def test_at_can_be_moved_and_then_fires_at_the_new_time(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12) as noon:
            job = await customers_import(
                sms_loop, SmsSchedule(SmsDoubleOptIn.AT, noon + dt.timedelta(hours=1))
            )
            later = noon + dt.timedelta(hours=3)
            payload = await update(sms_loop, job.id, "AT", later)
            assert payload["errors"] == []
            assert payload["importJob"]["smsDoubleOptIn"]["send"] == "AT"
            assert dt.datetime.fromisoformat(payload["importJob"]["smsDoubleOptIn"]["at"]) == later
            with advanced(dt.timedelta(hours=2)):
                assert await run_cron(sms_loop, arq_redis) == 1
                assert await texts() == []
            with advanced(dt.timedelta(hours=3, minutes=1)):
                assert await run_cron(sms_loop, arq_redis) == 4
        assert len(await texts()) == 2

    async def test_a_change_while_the_import_runs_is_kept_by_the_run(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        owner = owner_of(sms_loop.tenant)
        with local_time(12) as noon:
            queued = await start(
                owner,
                sms_loop.settings,
                csv_text(*ROWS),
                sms_double_opt_in=SmsSchedule(SmsDoubleOptIn.NEVER),
            )
            # A run has read the job; staff change the schedule before it stores its state.
            running = await claim(queued.id, stale_seconds=60)
            assert running is not None
            at = noon + dt.timedelta(hours=1)
            assert (await update(sms_loop, queued.id, "AT", at))["errors"] == []
            state = {**running.options["state"], "note": "the run's own"}
            saved = await jobs_repository.save_state(queued.id, running.attempts, state)
            assert saved is not None
            assert saved["sms_double_opt_in"]["send"] == "AT"
            assert saved["state"] == state
            # The run goes on (given back and run by a worker) and the texts go at the time.
            await release(queued.id, running.attempts)
            with queue_bound(arq_redis):
                await run_import(queued.id, sms_loop.settings)
            with advanced(dt.timedelta(hours=1, minutes=1)):
                assert await run_cron(sms_loop, arq_redis) == 4
        assert [t.recipient for t in await texts()] == TEXTED

    async def test_immediately_on_a_completed_import_sends_now_then_no_more_changes(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12):
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.NEVER))
            assert await sms_loop.run_worker() == 0
            payload = await update(sms_loop, job.id, "IMMEDIATELY")
            assert payload["errors"] == []
            assert payload["importJob"]["smsDoubleOptIn"]["startedAt"] is not None
            # Asked for, not yet sent: the worker has not run.
            assert payload["importJob"]["smsTexts"] == {"queued": 0, "sent": 0, "failed": 0}
            assert await sms_loop.run_worker() == 1 + 2
            read = await sms_loop.gql.data(READ, {"id": str(job.id)}, sms_loop.tenant.token)
            assert read["importJob"]["smsTexts"] == {"queued": 0, "sent": 2, "failed": 0}
            for send in ("NEVER", "IMMEDIATELY"):
                refused = await update(sms_loop, job.id, send)
                assert refused["importJob"] is None
                assert [e["code"] for e in refused["errors"]] == ["SMS_ALREADY_SENT"]
        assert [t.recipient for t in await texts()] == TEXTED

    async def test_an_immediately_import_cannot_be_changed_once_completed(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12):
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.IMMEDIATELY))
            refused = await update(sms_loop, job.id, "NEVER")
        assert [e["code"] for e in refused["errors"]] == ["SMS_ALREADY_SENT"]
        assert (await ImportJob.get(id=job.id)).sms_started_at is not None

    async def test_refusals_are_typed(self, sms_loop: SmsLoop, arq_redis: ArqRedis) -> None:
        owner = owner_of(sms_loop.tenant)
        with local_time(12) as noon:
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.NEVER))
            dry = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.NEVER), dry_run=True)
            orders = await start(
                owner,
                sms_loop.settings,
                csv_text("Email,Receipt,Date,Total", "a@example.com,R1,2026-01-02,10.00"),
                kind=ImportKind.ORDERS,
            )
            cases = [
                (job.id, "AT", noon - dt.timedelta(minutes=1), "SMS_TIME_PASSED", "schedule.at"),
                (job.id, "AT", None, "INVALID_OPTION", "schedule.at"),
                (job.id, "NEVER", noon + dt.timedelta(hours=1), "INVALID_OPTION", "schedule.at"),
                (job.id, "AT", noon + dt.timedelta(days=400), "INVALID_OPTION", "schedule.at"),
                (dry.id, "IMMEDIATELY", None, "DRY_RUN", "importJobId"),
                (orders.id, "IMMEDIATELY", None, "NOT_A_CUSTOMERS_IMPORT", "importJobId"),
                (
                    "00000000-0000-4000-8000-000000000000",
                    "IMMEDIATELY",
                    None,
                    "NOT_FOUND",
                    "importJobId",
                ),
            ]
            for job_id, send, at, code, field in cases:
                payload = await update(sms_loop, job_id, send, at)
                assert payload["importJob"] is None
                assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
        assert await texts() == []

    async def test_permissions_are_those_of_imports(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12) as noon:
            # Signed in at the test's time: their sessions last an hour.
            cashier = await add_staff(sms_loop.tenant, Role.STAFF)
            marketing = await add_staff(sms_loop.tenant, Role.MARKETING)
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.NEVER))
            variables = {
                "id": str(job.id),
                "schedule": {"send": "AT", "at": (noon + dt.timedelta(hours=1)).isoformat()},
            }
            codes = await sms_loop.gql.error_codes(UPDATE, variables, cashier.token)
            assert codes == ["FORBIDDEN"]
            allowed = await update(
                sms_loop, job.id, "AT", noon + dt.timedelta(hours=1), marketing.token
            )
        assert allowed["errors"] == []
        assert (await ImportJob.get(id=job.id)).sms_send_at is not None

    async def test_another_organization_sees_no_such_import(
        self, sms_loop: SmsLoop, arq_redis: ArqRedis
    ) -> None:
        with local_time(12):
            other = await make_tenant("Globex")
            job = await customers_import(sms_loop, SmsSchedule(SmsDoubleOptIn.NEVER))
            payload = await update(sms_loop, job.id, "IMMEDIATELY", token=other.token)
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
        assert (await ImportJob.get(id=job.id)).sms_started_at is None
