"""The campaign jobs: a run whose job was lost is asked for again by the sweep; a malformed or
failing job ends the campaign FAILED without crediting twice."""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis

from app.config import Settings
from app.core.jobs import queue_bound
from app.models.campaign import Campaign, CampaignStatus
from app.models.customer import LifecycleStage
from tests.burst_worker import run_worker
from tests.campaigns.helpers import assert_credited_once, plant_customers, scheduled
from tests.conftest import Tenant
from tests.factories import owner_of
from workers.campaigns import run_campaign, sweep_campaigns


async def test_a_lost_job_is_asked_again_by_the_sweep(
    settings: Settings, redis_url: str, arq_redis: ArqRedis, tenant: Tenant, other_tenant: Tenant
) -> None:
    lapsed = await plant_customers(tenant.organization_id, 4, lifecycle_stage=LifecycleStage.LOST)
    await plant_customers(other_tenant.organization_id, 2, lifecycle_stage=LifecycleStage.LOST)
    # Scheduled with no queue bound: the job never reached Redis.
    campaign = await scheduled(owner_of(tenant))
    other = await scheduled(owner_of(other_tenant))
    assert await run_worker(settings, redis_url) == 0
    with queue_bound(arq_redis):
        assert await sweep_campaigns({}) == 2
        # Asked twice for the same moment: still one job each.
        assert await sweep_campaigns({}) == 0
    assert await run_worker(settings, redis_url) == 2
    assert (await Campaign.get(id=campaign.id)).status is CampaignStatus.COMPLETED
    assert (await Campaign.get(id=other.id)).status is CampaignStatus.COMPLETED
    await assert_credited_once(campaign, lapsed)
    with queue_bound(arq_redis):
        assert await sweep_campaigns({}) == 0


async def test_a_job_with_a_broken_audience_fails_the_campaign(
    settings: Settings, tenant: Tenant
) -> None:
    await plant_customers(tenant.organization_id, 2, lifecycle_stage=LifecycleStage.LOST)
    campaign = await scheduled(owner_of(tenant))
    await Campaign.filter(id=campaign.id).update(audience={"noSuchCondition": True})
    ctx: dict[str, Any] = {"settings": settings, "job_try": 1}
    org = str(tenant.organization_id)
    assert await run_campaign(ctx, org, str(campaign.id)) == "FAILED"
    failed = await Campaign.get(id=campaign.id)
    assert (failed.status, failed.error_code, failed.credited_count) == (
        CampaignStatus.FAILED,
        "INVALID_AUDIENCE",
        0,
    )
    assert await run_campaign(ctx, org, "not-an-id") is None
    assert await run_campaign(ctx, org, str(campaign.id)) == "FAILED"
