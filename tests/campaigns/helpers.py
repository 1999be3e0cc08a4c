"""Shared steps of the campaign tests: audiences of real customer rows, and the ledger checks
a campaign must leave true."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from app.auth.principal import Principal
from app.campaigns import service
from app.campaigns.service import CampaignDraft
from app.core.ids import new_id
from app.customers.repository.search import CustomerFilter
from app.models.campaign import Campaign
from app.models.customer import Customer, LifecycleStage
from app.models.wallet import LedgerEntry
from tests.wallets.helpers import assert_wallet_consistent


async def plant_customers(organization_id: uuid.UUID, count: int, **fields: Any) -> list[Customer]:
    """`count` customer rows (in bulk: an audience of thousands must not take minutes)."""
    rows = [
        Customer(id=new_id(), organization_id=organization_id, first_name=f"C{n}", **fields)
        for n in range(count)
    ]
    await Customer.bulk_create(rows, batch_size=1000)
    return rows


LAPSED = CustomerFilter(lifecycle_stages=[LifecycleStage.LOST])


async def scheduled(
    principal: Principal, where: CustomerFilter = LAPSED, points: int = 100, name: str = "Lapsed"
) -> Campaign:
    draft = CampaignDraft(name=name, audience=where, points=points, reason="we miss you")
    campaign = await service.create_campaign(principal, draft)
    return await service.schedule_campaign(principal, campaign.id)


async def campaign_entries(campaign_id: uuid.UUID) -> Counter[uuid.UUID]:
    """How many entries of the campaign each customer holds."""
    rows = await LedgerEntry.filter(campaign_id=campaign_id).values_list("customer_id", flat=True)
    return Counter(uuid.UUID(str(r)) for r in rows)


async def assert_credited_once(campaign: Campaign, audience: list[Customer]) -> None:
    """Every audience member holds exactly one entry of the campaign, nobody else holds one,
    and every wallet still equals its ledger."""
    held = await campaign_entries(campaign.id)
    assert set(held) == {c.id for c in audience}
    assert set(held.values()) == {1}
    for customer in audience:
        await assert_wallet_consistent(customer.id)
