"""Merges, unmerges and erasure treat campaign entries like any other ledger entry: points
move as lots (with the campaign still named), come back exactly, are erased, and a campaign
run again after any of it credits nobody twice."""

from __future__ import annotations

from app.auth.principal import Principal
from app.campaigns import service
from app.config import Settings
from app.customers.repository.search import CustomerFilter
from app.models.campaign import Campaign, CampaignStatus
from app.models.customer import Customer, CustomerStatus, LifecycleStage
from app.models.privacy_request import PrivacyRequestKind
from app.models.wallet import LedgerEntry, LedgerKind
from app.privacy_requests.service import Target, file_request, run_request
from tests.campaigns.helpers import campaign_entries, plant_customers, scheduled
from tests.conftest import GraphQLClient, Tenant
from tests.factories import owner_of
from tests.merges.helpers import UNMERGE, merged_ok
from tests.wallets.helpers import assert_wallet_consistent, ledger_sums


async def rerun(campaign: Campaign, system: Principal) -> None:
    await Campaign.filter(id=campaign.id).update(status=CampaignStatus.RUNNING, cursor=None)
    assert await service.run_campaign(system, campaign.id, batch_size=2) == "COMPLETED"


async def test_merge_unmerge_and_erasure_move_campaign_points_like_any_points(
    gql: GraphQLClient, tenant: Tenant, settings: Settings
) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    merged, survivor, erased = await plant_customers(
        tenant.organization_id, 3, lifecycle_stage=LifecycleStage.LOST
    )
    campaign = await scheduled(owner, points=100)
    assert await service.run_campaign(system, campaign.id, batch_size=2) == "COMPLETED"

    merge = await merged_ok(gql, tenant.token, str(survivor.id), [str(merged.id)])
    assert (await assert_wallet_consistent(survivor.id)).points_balance == 200
    assert (await assert_wallet_consistent(merged.id)).points_balance == 0
    # The merged customer's campaign entry is history now held by the survivor; its points
    # came over as a MERGE_IN lot that keeps the campaign's expiry.
    assert await campaign_entries(campaign.id) == {survivor.id: 2, erased.id: 1}
    moved_in = await LedgerEntry.get(customer_id=survivor.id, kind=LedgerKind.MERGE_IN)
    first_credit = await LedgerEntry.filter(campaign_id=campaign.id).first()
    assert first_credit is not None
    assert moved_in.expires_at == first_credit.expires_at

    # Run again: the merged customer is no audience any more, the others hold their key.
    await rerun(campaign, system)
    assert await campaign_entries(campaign.id) == {survivor.id: 2, erased.id: 1}

    undone = await gql.data(UNMERGE, {"id": merge["merge"]["id"]}, tenant.token)
    assert undone["customerUnmerge"]["errors"] == []
    assert (await assert_wallet_consistent(merged.id)).points_balance == 100
    assert (await assert_wallet_consistent(survivor.id)).points_balance == 100
    assert await campaign_entries(campaign.id) == {survivor.id: 1, merged.id: 1, erased.id: 1}
    await rerun(campaign, system)
    assert await LedgerEntry.filter(campaign_id=campaign.id).count() == 3

    request = await file_request(
        owner, settings, PrivacyRequestKind.ERASE, Target(customer_id=erased.id)
    )
    assert await run_request(system, settings, request.id) == "DONE"
    gone = await Customer.get(id=erased.id)
    # Erasure empties the wallet through the ledger (it also forgets lifetime points).
    assert (gone.status, gone.points_balance) == (CustomerStatus.ERASED, 0)
    assert (await ledger_sums(erased.id))[::2] == (0, 0)
    assert [e.points for e in await LedgerEntry.filter(customer_id=erased.id, kind="ERASE")] == [
        -100
    ]
    # The erased customer's campaign entry stays (accounting), still naming the campaign.
    assert await campaign_entries(campaign.id) == {survivor.id: 1, merged.id: 1, erased.id: 1}
    await rerun(campaign, system)
    assert (await Customer.get(id=erased.id)).points_balance == 0
    assert (await Campaign.get(id=campaign.id)).credited_count == 3


async def test_a_campaign_after_a_merge_credits_the_survivor_once(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    owner, system = owner_of(tenant), Principal.system(tenant.organization_id)
    merged, survivor = await plant_customers(
        tenant.organization_id, 2, lifecycle_stage=LifecycleStage.LOST
    )
    await merged_ok(gql, tenant.token, str(survivor.id), [str(merged.id)])
    # Everyone: the merge recomputed the survivor's stage.
    campaign = await scheduled(owner, CustomerFilter(), points=30)
    assert await service.run_campaign(system, campaign.id, batch_size=10) == "COMPLETED"
    assert await campaign_entries(campaign.id) == {survivor.id: 1}
    assert (await assert_wallet_consistent(survivor.id)).points_balance == 30
    assert (await Campaign.get(id=campaign.id)).audience_size == 1
