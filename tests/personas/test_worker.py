from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from arq.worker import Retry
from tortoise.exceptions import OperationalError

from app.auth.principal import Principal
from app.config import Settings
from app.core.jobs import queue_bound, send_now
from app.models.persona import PersonaSet, PersonaSetStatus
from app.personas import generation, jobs, service
from app.personas.errors import PersonaSetFailure as Failure
from tests.burst_worker import run_worker
from tests.conftest import make_tenant
from tests.personas.fixtures import seeded_tenant, staff
from workers.personas import reconcile_personas, refresh_due_personas, regenerate_personas


class TestRegenerateJob:
    async def test_a_real_worker_generates_the_set_once(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        tenant = await seeded_tenant(300)
        with queue_bound(arq_redis):
            # The request itself sends the run, once its transaction has committed.
            requested = await service.request_regeneration(staff(tenant))
            job = jobs.regenerate(tenant.organization_id, requested.id)
            assert await arq_redis.exists(job_key_prefix + job.job_id)
            assert not await send_now(job)
        assert await run_worker(settings, redis_url) == 1
        done = await PersonaSet.get(id=requested.id)
        assert done.status is PersonaSetStatus.READY
        assert done.is_current
        # At least once: a second run of the same job changes nothing.
        assert await regenerate_personas({}, *job.args) == "READY"

    async def test_a_refused_request_sends_no_run(self, arq_redis: ArqRedis) -> None:
        tenant = await seeded_tenant(100)
        with queue_bound(arq_redis):
            first = await service.request_regeneration(staff(tenant))
            await arq_redis.flushdb()
            with pytest.raises(Exception, match="already running"):
                await service.request_regeneration(staff(tenant), force=True)
        assert not await arq_redis.keys(job_key_prefix + "*")
        assert (await PersonaSet.get(id=first.id)).status is PersonaSetStatus.RUNNING

    async def test_malformed_or_unknown_ids_are_skipped(self) -> None:
        tenant = await make_tenant()
        org = str(tenant.organization_id)
        assert await regenerate_personas({}, org, "not-an-id") is None
        assert await regenerate_personas({}, "not-an-id", org) is None
        unknown = "01900000-0000-7000-8000-000000000000"
        assert await regenerate_personas({}, org, unknown) is None

    async def test_a_set_of_another_organization_is_left_alone(self) -> None:
        tenant = await seeded_tenant(100)
        other = await make_tenant("Globex")
        requested = await service.request_regeneration(staff(tenant))
        assert await regenerate_personas({}, str(other.organization_id), str(requested.id)) is None
        assert (await PersonaSet.get(id=requested.id)).status is PersonaSetStatus.RUNNING

    async def test_an_unexpected_error_fails_the_set_cleanly(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        tenant = await seeded_tenant(100)
        requested = await service.request_regeneration(staff(tenant))

        async def broken(*args: Any, **kwargs: Any) -> None:
            raise ValueError("secret@example.com")

        monkeypatch.setattr(generation, "_plan", broken)
        args = (str(tenant.organization_id), str(requested.id))
        assert await regenerate_personas({}, *args) == "FAILED"
        failed = await PersonaSet.get(id=requested.id)
        assert failed.status is PersonaSetStatus.FAILED
        assert failed.error_code == Failure.INTERNAL_ERROR
        assert "ValueError" in caplog.text
        assert "secret@example.com" not in caplog.text

    async def test_transient_database_errors_are_retried(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        tenant = await seeded_tenant(100)
        requested = await service.request_regeneration(staff(tenant))

        async def locked(*args: Any, **kwargs: Any) -> None:
            raise OperationalError("database is locked")

        monkeypatch.setattr(generation, "_plan", locked)
        with pytest.raises(Retry):
            await regenerate_personas(
                {"job_try": 1}, str(tenant.organization_id), str(requested.id)
            )
        assert (await PersonaSet.get(id=requested.id)).status is PersonaSetStatus.RUNNING


class TestSchedule:
    async def test_the_refresh_regenerates_due_and_eligible_organizations_only(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        due = await seeded_tenant(300)
        await make_tenant("Not eligible")
        ctx: dict[str, Any] = {"redis": arq_redis}
        with queue_bound(arq_redis):
            assert await refresh_due_personas(ctx) == 1
        assert await run_worker(settings, redis_url) == 1
        current = await service.current_set(Principal.system(due.organization_id))
        assert current is not None
        assert (current.details or {})["scheduled"] is True
        # Fresh personas are not due again.
        assert await refresh_due_personas(ctx) == 0
        # A month later they are.
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=30, minutes=1)
        await PersonaSet.filter(id=current.id).update(generated_at=old)
        assert await refresh_due_personas(ctx) == 1

    async def test_reconcile_resumes_lost_jobs_and_fails_stuck_sets(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        lost = await seeded_tenant(300)
        stuck = await seeded_tenant(100, name="Globex")
        # Requested, but the job never reached Redis.
        lost_set = await service.request_regeneration(staff(lost))
        stuck_set = await service.request_regeneration(staff(stuck))
        await PersonaSet.filter(id=stuck_set.id).update(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        )
        ctx: dict[str, Any] = {"redis": arq_redis}
        with queue_bound(arq_redis):
            assert await reconcile_personas(ctx) == {"resumed": 1, "failed": 1}
        assert await run_worker(settings, redis_url) == 1
        assert (await PersonaSet.get(id=lost_set.id)).status is PersonaSetStatus.READY
        stuck_after = await PersonaSet.get(id=stuck_set.id)
        assert stuck_after.status is PersonaSetStatus.FAILED
        assert stuck_after.error_code == Failure.TIMED_OUT
