"""Running a campaign (the job's service): each audience member credited once, with the
ledger's bookkeeping (balance_after, lots, expiry, cached balance and lifetime points), safe to
run again, and nothing at all once cancelled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.auth.principal import Principal
from app.campaigns import service
from app.campaigns.service import CampaignDraft
from app.core.clock import advanced, utcnow
from app.models.campaign import Campaign, CampaignStatus
from app.models.customer import Customer, CustomerStatus, LifecycleStage
from app.models.wallet import LedgerEntry, LedgerKind
from app.wallets.liability import points_liability
from app.wallets.service import earn
from tests.campaigns.helpers import (
    LAPSED,
    assert_credited_once,
    campaign_entries,
    plant_customers,
    scheduled,
)
from tests.conftest import Tenant
from tests.factories import owner_of


async def lapsed_and_others(tenant: Tenant) -> list[Customer]:
    org = tenant.organization_id
    lapsed = await plant_customers(org, 23, lifecycle_stage=LifecycleStage.LOST)
    await plant_customers(org, 5, lifecycle_stage=LifecycleStage.ACTIVE)
    # Neither merged, erased nor blocked customers are an audience, whatever their stage.
    await plant_customers(org, 2, lifecycle_stage=LifecycleStage.LOST, status=CustomerStatus.ERASED)
    await plant_customers(org, 2, lifecycle_stage=LifecycleStage.LOST, blocked=True)
    return lapsed


async def test_a_run_credits_each_member_once_with_the_ledger_bookkeeping(
    tenant: Tenant,
) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    lapsed = await lapsed_and_others(tenant)
    # Two members hold points already: their entries continue their balance.
    for customer in lapsed[:2]:
        await earn(owner, customer.id, 40, "earlier", f"earlier:{customer.id}")
    campaign = await scheduled(owner, points=100)

    assert await service.run_campaign(system, campaign.id, batch_size=7) == "COMPLETED"

    await assert_credited_once(campaign, lapsed)
    done = await Campaign.get(id=campaign.id)
    assert (done.status, done.audience_size, done.credited_count, done.points_credited) == (
        CampaignStatus.COMPLETED,
        23,
        23,
        2300,
    )
    assert done.attempts == 1
    assert done.completed_at is not None
    assert done.started_at is not None
    entries = await LedgerEntry.filter(campaign_id=campaign.id)
    assert {(e.kind, e.points, e.remaining, e.reason) for e in entries} == {
        (LedgerKind.EARN, 100, 100, "we miss you")
    }
    by_customer = {e.customer_id: e for e in entries}
    for customer in lapsed:
        entry = by_customer[customer.id]
        assert entry.idempotency_key == f"campaign:{campaign.id}:{customer.id}"
        assert entry.balance_after == (140 if customer in lapsed[:2] else 100)
        # The program's expiry (365 days by default), counted from the run's start.
        assert entry.expires_at == done.started_at + dt.timedelta(days=365)
        row = await Customer.get(id=customer.id)
        assert (row.points_balance, row.lifetime_points) == (
            entry.balance_after,
            entry.balance_after,
        )

    # Run again (arq runs a job at least once): nothing more.
    assert await service.run_campaign(system, campaign.id, batch_size=7) == "COMPLETED"
    assert sum((await campaign_entries(campaign.id)).values()) == 23


async def test_a_run_whose_progress_was_lost_credits_nobody_twice(tenant: Tenant) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    lapsed = await lapsed_and_others(tenant)
    campaign = await scheduled(owner)
    assert await service.run_campaign(system, campaign.id, batch_size=5) == "COMPLETED"
    # As if the worker died after crediting but before recording it anywhere: RUNNING, at
    # the start. The idempotency keys, not the cursor, keep credits single.
    await Campaign.filter(id=campaign.id).update(
        status=CampaignStatus.RUNNING, cursor=None, credited_count=10, points_credited=1000
    )
    assert await service.run_campaign(system, campaign.id, batch_size=5) == "COMPLETED"
    await assert_credited_once(campaign, lapsed)
    again = await Campaign.get(id=campaign.id)
    assert (again.credited_count, again.attempts) == (10, 2)


async def test_a_run_resumes_after_its_last_committed_batch(tenant: Tenant) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    lapsed = await lapsed_and_others(tenant)
    campaign = await scheduled(owner)
    # A first worker started it and committed nothing yet; members who joined since the
    # start (ids beyond `audience_until`) are not in it.
    assert await service.run_campaign(system, campaign.id, batch_size=1000) == "COMPLETED"
    late = await plant_customers(tenant.organization_id, 3, lifecycle_stage=LifecycleStage.LOST)
    await Campaign.filter(id=campaign.id).update(status=CampaignStatus.RUNNING)
    assert await service.run_campaign(system, campaign.id, batch_size=1000) == "COMPLETED"
    await assert_credited_once(campaign, lapsed)
    assert not set(await campaign_entries(campaign.id)) & {c.id for c in late}


async def test_cancelled_before_it_runs_it_credits_nothing(tenant: Tenant) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    await lapsed_and_others(tenant)
    campaign = await scheduled(owner)
    cancelled = await service.cancel_campaign(owner, campaign.id)
    assert cancelled.status is CampaignStatus.CANCELLED
    assert cancelled.cancelled_at is not None
    assert await service.run_campaign(system, campaign.id, batch_size=5) == "CANCELLED"
    assert await LedgerEntry.filter(campaign_id=campaign.id).count() == 0
    assert sum(c.points_balance for c in await Customer.all()) == 0


async def test_a_campaign_runs_only_once_due(tenant: Tenant) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    lapsed = await lapsed_and_others(tenant)
    later = utcnow() + dt.timedelta(hours=2)
    draft = CampaignDraft("Later", LAPSED, 10, "later", scheduled_at=later)
    campaign = await service.create_campaign(owner, draft)
    campaign = await service.schedule_campaign(owner, campaign.id)
    assert campaign.scheduled_at == later
    assert await service.run_campaign(system, campaign.id, batch_size=5) == "SCHEDULED"
    assert await LedgerEntry.filter(campaign_id=campaign.id).count() == 0
    with advanced(dt.timedelta(hours=2, seconds=1)):
        assert await service.run_campaign(system, campaign.id, batch_size=5) == "COMPLETED"
    await assert_credited_once(campaign, lapsed)


async def test_the_preview_is_what_running_adds_to_the_liability(tenant: Tenant) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    await lapsed_and_others(tenant)
    preview = await service.preview(owner, LAPSED, 125)
    assert (preview.customers, preview.points) == (23, 23 * 125)
    assert preview.added_liability == Decimal("28.75")  # 2875 points at 0.01
    before = await points_liability(owner)
    campaign = await scheduled(owner, points=125)
    await service.run_campaign(system, campaign.id, batch_size=4)
    after = await points_liability(owner)
    assert after.outstanding_points - before.outstanding_points == preview.points
    assert after.value - before.value == preview.added_liability
    expiring = {e.within_days: e.points for e in after.expiring}
    assert expiring[30] == 0  # a year away: nothing of it expires soon
