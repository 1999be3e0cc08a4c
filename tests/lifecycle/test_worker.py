from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
from arq.connections import ArqRedis
from tortoise.exceptions import OperationalError

from app.config import Settings
from app.core.clock import utcnow
from app.models.customer import Customer
from app.models.customer import LifecycleStage as Stage
from app.models.customer import RfmSegment as Seg
from app.models.organization import Organization
from tests.lifecycle.fixtures import add_customer
from workers.lifecycle import (
    _transient,
    enqueue_segment_refresh,
    refresh_all_segments,
    refresh_segments,
)
from workers.settings import build_worker

SHORT_DELAY = dt.timedelta(milliseconds=200)


async def run_worker(settings: Settings, redis_url: str) -> int:
    worker = build_worker(settings, redis_url, manage_db=False, burst=True)
    try:
        completed: int = await worker.run_check()
    finally:
        await worker.close()
    return completed


async def organization_with_customers(name: str) -> Organization:
    # The job runs at the real time, so the orders are relative to it.
    now = utcnow()
    org = await Organization.create(name=name)
    await add_customer(org.id, 1, days_ago=400, totals=("10.00",), now=now)
    await add_customer(org.id, 2, days_ago=1, totals=("10.00", "90.00"), now=now)
    await add_customer(org.id, 3)
    return org


async def stages(org: Organization) -> list[tuple[Stage, Seg | None]]:
    rows = await Customer.filter(organization_id=org.id).order_by("id")
    return [(c.lifecycle_stage, c.rfm_segment) for c in rows]


# Two scored customers: the one from 400 days ago scores R1 F1 M1, the recent one R2 F2 M2.
REFRESHED = [(Stage.LOST, Seg.LOST), (Stage.ACTIVE, Seg.HIBERNATING), (Stage.MEMBER, None)]


class TestRefreshSegmentsJob:
    async def test_a_burst_of_requests_runs_once_through_a_real_worker(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        org = await organization_with_customers("Acme")

        assert await enqueue_segment_refresh(arq_redis, org.id, delay=SHORT_DELAY)
        assert not await enqueue_segment_refresh(arq_redis, org.id, delay=SHORT_DELAY)
        assert await run_worker(settings, redis_url) == 1

        assert await stages(org) == REFRESHED
        # No result is kept, so the next order can ask for the next refresh.
        assert await enqueue_segment_refresh(arq_redis, org.id, delay=None)
        assert await run_worker(settings, redis_url) == 1
        assert await stages(org) == REFRESHED

    async def test_nightly_job_refreshes_every_organization(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        first = await organization_with_customers("Acme")
        second = await organization_with_customers("Globex")
        ctx: dict[str, Any] = {"redis": arq_redis}

        assert await refresh_all_segments(ctx) == 2
        assert await run_worker(settings, redis_url) == 2

        assert await stages(first) == REFRESHED
        assert await stages(second) == REFRESHED

    async def test_unknown_or_malformed_organization_is_skipped(self) -> None:
        assert await refresh_segments({}, "not-an-id") is None
        assert await refresh_segments({}, "01900000-0000-7000-8000-000000000000") is None

    async def test_returns_the_counts(self) -> None:
        org = await organization_with_customers("Acme")
        assert await refresh_segments({}, str(org.id)) == {"changed": 2, "scored": 2}
        assert await refresh_segments({}, str(org.id)) == {"changed": 0, "scored": 2}


class TestTransientErrors:
    def test_deadlocks_and_busy_databases_are_retried_others_are_not(self) -> None:
        assert _transient(asyncpg.DeadlockDetectedError("deadlock detected"))
        assert _transient(asyncpg.SerializationError("could not serialize access"))
        assert _transient(OperationalError("database is locked"))
        assert not _transient(OperationalError('near "x": syntax error'))
