from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from arq.connections import ArqRedis
from arq.worker import Retry
from tortoise.exceptions import OperationalError

from app.config import Settings
from app.models.persona import PersonaSet, PersonaSetStatus
from app.personas import service
from app.personas.errors import PersonaSetFailure as Failure
from tests.conftest import make_tenant
from tests.personas.fixtures import run_worker, seeded_tenant, staff
from workers.personas import (
    _transient,
    enqueue_persona_regeneration,
    reconcile_personas,
    refresh_due_personas,
    regenerate_personas,
)


class TestRegenerateJob:
    async def test_a_real_worker_generates_the_set_once(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        tenant = await seeded_tenant(300)
        requested = await service.request_regeneration(staff(tenant))
        assert await enqueue_persona_regeneration(arq_redis, requested.id)
        assert not await enqueue_persona_regeneration(arq_redis, requested.id)
        assert await run_worker(settings, redis_url) == 1
        done = await PersonaSet.get(id=requested.id)
        assert done.status is PersonaSetStatus.READY
        assert done.is_current
        # At least once: a second run of the same job changes nothing.
        assert await regenerate_personas({}, str(requested.id)) == "READY"

    async def test_malformed_or_unknown_ids_are_skipped(self) -> None:
        assert await regenerate_personas({}, "not-an-id") is None
        assert await regenerate_personas({}, "01900000-0000-7000-8000-000000000000") is None

    async def test_an_unexpected_error_fails_the_set_cleanly(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        tenant = await seeded_tenant(100)
        requested = await service.request_regeneration(staff(tenant))

        async def broken(*args: Any, **kwargs: Any) -> None:
            raise ValueError("secret@example.com")

        monkeypatch.setattr(service, "_plan", broken)
        assert await regenerate_personas({}, str(requested.id)) == "FAILED"
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

        monkeypatch.setattr(service, "_plan", locked)
        with pytest.raises(Retry):
            await regenerate_personas({"job_try": 1}, str(requested.id))
        assert (await PersonaSet.get(id=requested.id)).status is PersonaSetStatus.RUNNING

    def test_transient_errors_are_told_apart(self) -> None:
        assert _transient(asyncpg.DeadlockDetectedError("deadlock detected"))
        assert _transient(OperationalError("database is locked"))
        assert not _transient(OperationalError('near "x": syntax error'))


class TestSchedule:
    async def test_the_refresh_regenerates_due_and_eligible_organizations_only(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        due = await seeded_tenant(300)
        await make_tenant("Not eligible")
        ctx: dict[str, Any] = {"redis": arq_redis}
        assert await refresh_due_personas(ctx) == 1
        assert await run_worker(settings, redis_url) == 1
        current = await service.current_set(due.organization_id)
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
        assert await reconcile_personas(ctx) == {"resumed": 1, "failed": 1}
        assert await run_worker(settings, redis_url) == 1
        assert (await PersonaSet.get(id=lost_set.id)).status is PersonaSetStatus.READY
        stuck_after = await PersonaSet.get(id=stuck_set.id)
        assert stuck_after.status is PersonaSetStatus.FAILED
        assert stuck_after.error_code == Failure.TIMED_OUT
