"""The lifecycle jobs: the debounced refresh through a real worker, and the nightly fan-out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from arq.connections import ArqRedis

from app.config import Settings
from app.core.clock import utcnow
from app.core.jobs import Job, queue_bound, send_now
from app.lifecycle.jobs import segment_refresh
from app.models.customer import Customer
from app.models.customer import LifecycleStage as Stage
from app.models.customer import RfmSegment as Seg
from app.models.organization import Organization
from tests.burst_worker import run_worker
from tests.lifecycle.fixtures import add_customer
from workers.lifecycle import refresh_all_segments, refresh_segments

SHORT_DELAY = dt.timedelta(milliseconds=200)


def refresh_soon(org: Organization) -> Job:
    """The orders' debounced refresh, with a delay short enough for a burst worker."""
    return dataclasses.replace(segment_refresh(org.id), defer_by=SHORT_DELAY)


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


# Two scored customers: the one from 400 days ago has nobody below it (R1 F1 M1), the recent
# one has half the base below it: 1 + 5 * 1 // 2 = 3 (R3 F3 M3).
REFRESHED = [(Stage.LOST, Seg.LOST), (Stage.ACTIVE, Seg.NEED_ATTENTION), (Stage.MEMBER, None)]


class TestRefreshSegmentsJob:
    async def test_a_burst_of_requests_runs_once_through_a_real_worker(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        org = await organization_with_customers("Acme")

        with queue_bound(arq_redis):
            assert await send_now(refresh_soon(org))
            assert not await send_now(refresh_soon(org))
        # The burst is one queued job (other jobs a worker may find are not this test's).
        ours = [j for j in await arq_redis.queued_jobs() if j.job_id == f"segments:{org.id}"]
        assert len(ours) == 1
        assert await run_worker(settings, redis_url) == 1
        assert not [j for j in await arq_redis.queued_jobs() if j.job_id == f"segments:{org.id}"]

        assert await stages(org) == REFRESHED
        # No result is kept, so the next order can ask for the next refresh.
        with queue_bound(arq_redis):
            assert await send_now(segment_refresh(org.id, debounce=False))
        assert await run_worker(settings, redis_url) == 1
        assert await stages(org) == REFRESHED

    async def test_nightly_job_refreshes_every_organization(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        first = await organization_with_customers("Acme")
        second = await organization_with_customers("Globex")
        ctx: dict[str, Any] = {"redis": arq_redis}

        # The worker binds its Redis at start-up; the cron runs under that binding.
        with queue_bound(arq_redis):
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
