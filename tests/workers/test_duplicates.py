"""The duplicate-suggestion jobs: a debounced refresh through a real worker, the nightly fan-out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from arq.connections import ArqRedis

from app.config import Settings
from app.core.jobs import Job, queue_bound, send_now
from app.merges.suggestion_jobs import duplicate_refresh
from app.models.organization import Organization
from tests.burst_worker import run_worker
from tests.merges.duplicate_fixtures import add_person, suggested_groups
from workers.duplicates import refresh_all_duplicate_suggestions, refresh_duplicate_suggestions

SHORT_DELAY = dt.timedelta(milliseconds=200)
BIRTHDAY = dt.date(1979, 11, 3)


def refresh_soon(org: uuid.UUID) -> Job:
    """The staff request's debounced refresh, with a delay short enough for a burst worker."""
    return dataclasses.replace(duplicate_refresh(org), defer_by=SHORT_DELAY)


async def organization_with_twins(name: str) -> tuple[uuid.UUID, frozenset[uuid.UUID]]:
    org = await Organization.create(name=name)
    org_id = uuid.UUID(str(org.id))
    one = await add_person(org_id, "Grace", "Hopper", birthday=BIRTHDAY)
    two = await add_person(org_id, "Grace", "Hoppper", birthday=BIRTHDAY)
    await add_person(org_id, "Alan", "Turing", birthday=dt.date(1954, 6, 7))
    return org_id, frozenset((one, two))


def ours(jobs: list[Any], org: uuid.UUID) -> list[Any]:
    return [j for j in jobs if j.job_id == f"duplicates:{org}"]


class TestRefreshDuplicateSuggestionsJob:
    async def test_a_burst_of_requests_runs_once_through_a_real_worker(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        org, twins = await organization_with_twins("Acme")
        with queue_bound(arq_redis):
            assert await send_now(refresh_soon(org))
            assert not await send_now(refresh_soon(org))
        assert len(ours(await arq_redis.queued_jobs(), org)) == 1
        assert await run_worker(settings, redis_url) >= 1
        assert not ours(await arq_redis.queued_jobs(), org)
        assert await suggested_groups(org) == {twins}

        # No result is kept, so the next request can ask for the next refresh.
        with queue_bound(arq_redis):
            assert await send_now(duplicate_refresh(org, debounce=None))
        assert await run_worker(settings, redis_url) >= 1
        assert await suggested_groups(org) == {twins}

    async def test_nightly_job_refreshes_every_organization(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        first, first_twins = await organization_with_twins("Acme")
        second, second_twins = await organization_with_twins("Globex")
        with queue_bound(arq_redis):
            assert await refresh_all_duplicate_suggestions({"redis": arq_redis}) == 2
        assert await run_worker(settings, redis_url) == 2
        assert await suggested_groups(first) == {first_twins}
        assert await suggested_groups(second) == {second_twins}

    async def test_unknown_or_malformed_organization_is_skipped(self) -> None:
        assert await refresh_duplicate_suggestions({}, "not-an-id") is None
        assert await refresh_duplicate_suggestions({}, str(uuid.uuid4())) is None

    async def test_returns_the_counts(self) -> None:
        org, _ = await organization_with_twins("Acme")
        counts = await refresh_duplicate_suggestions({}, str(org))
        assert counts == {"customers": 3, "compared_pairs": 1, "suggestions": 1, "placeholders": 0}
