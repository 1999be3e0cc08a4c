from __future__ import annotations

import strawberry

from app.campaigns import service
from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.graphql.campaigns.types import CampaignPreviewType, CampaignType
from app.graphql.context import Info
from app.graphql.customers.inputs import CustomerWhereInput
from app.graphql.pagination import Connection, build_connection
from app.models.campaign import CampaignStatus


@strawberry.type
class CampaignQueries:
    @strawberry.field(description="One campaign, with its progress.")
    async def campaign(self, info: Info, id: strawberry.ID) -> CampaignType | None:
        campaign = await service.get_campaign(info.context.principal, parse_id(id))
        return CampaignType.from_model(campaign) if campaign else None

    @strawberry.field(description="Campaigns, newest first (of one status, when given).")
    async def campaigns(
        self,
        info: Info,
        status: CampaignStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CampaignType]:
        page = await service.list_campaigns(
            info.context.principal, PageRequest.of(first, after), status
        )
        return build_connection(page, CampaignType.from_model)

    @strawberry.field(
        description="What a campaign would credit if it ran now: customers, points and the "
        "liability it adds at the program's point value."
    )
    async def campaign_preview(
        self, info: Info, audience: CustomerWhereInput, points: int
    ) -> CampaignPreviewType:
        preview = await service.preview(info.context.principal, audience.to_filter(), points)
        return CampaignPreviewType.of(preview)
