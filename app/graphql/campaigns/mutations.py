from __future__ import annotations

import strawberry

from app.campaigns import roadmap_apply, service
from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.campaigns.inputs import CampaignCreateInput, CampaignUpdateInput
from app.graphql.campaigns.types import AppliedSetting, CampaignType
from app.graphql.context import Info
from app.graphql.errors import CampaignError
from app.graphql.payloads import Payload
from app.graphql.personas.types import RoadmapItemType


@strawberry.type
class CampaignPayload(Payload):
    campaign: CampaignType | None = None
    errors: list[CampaignError] = strawberry.field(default_factory=list)


@strawberry.type
class RoadmapItemApplyPayload(Payload):
    roadmap_item: RoadmapItemType | None = None
    applied: AppliedSetting | None = strawberry.field(
        default=None,
        description="The DRAFT campaign or earning rule the item became (the same one when the "
        "item had been applied before).",
    )
    errors: list[CampaignError] = strawberry.field(default_factory=list)


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(description="A DRAFT campaign; `campaignSchedule` makes it run.")
    async def campaign_create(self, info: Info, input: CampaignCreateInput) -> CampaignPayload:
        try:
            campaign = await service.create_campaign(info.context.principal, input.to_draft())
        except DomainError as exc:
            return CampaignPayload.failed(exc)
        return CampaignPayload(campaign=CampaignType.from_model(campaign))

    @strawberry.mutation(description="Edit a DRAFT or SCHEDULED campaign.")
    async def campaign_update(
        self, info: Info, id: strawberry.ID, input: CampaignUpdateInput
    ) -> CampaignPayload:
        try:
            campaign = await service.update_campaign(
                info.context.principal, parse_id(id), input.to_changes()
            )
        except DomainError as exc:
            return CampaignPayload.failed(exc)
        return CampaignPayload(campaign=CampaignType.from_model(campaign))

    @strawberry.mutation(
        description="DRAFT → SCHEDULED: a worker credits the audience at `scheduledAt` (or at "
        "once without one)."
    )
    async def campaign_schedule(self, info: Info, id: strawberry.ID) -> CampaignPayload:
        try:
            campaign = await service.schedule_campaign(info.context.principal, parse_id(id))
        except DomainError as exc:
            return CampaignPayload.failed(exc)
        return CampaignPayload(campaign=CampaignType.from_model(campaign))

    @strawberry.mutation(description="Cancel a DRAFT or SCHEDULED campaign: it credits nothing.")
    async def campaign_cancel(self, info: Info, id: strawberry.ID) -> CampaignPayload:
        try:
            campaign = await service.cancel_campaign(info.context.principal, parse_id(id))
        except DomainError as exc:
            return CampaignPayload.failed(exc)
        return CampaignPayload(campaign=CampaignType.from_model(campaign))

    @strawberry.mutation(
        description="Turn a persona roadmap item whose suggestion is a campaign or an earning "
        "rule (`applicable`) into a DRAFT of it for that persona, pre-filled from the suggested "
        "setting. Applying twice returns the same one."
    )
    async def roadmap_item_apply(self, info: Info, id: strawberry.ID) -> RoadmapItemApplyPayload:
        try:
            applied = await roadmap_apply.apply_roadmap_item(info.context.principal, parse_id(id))
        except DomainError as exc:
            return RoadmapItemApplyPayload.failed(exc)
        return RoadmapItemApplyPayload(
            roadmap_item=RoadmapItemType.from_model(applied.item),
            applied=AppliedSetting.of(applied.application),
        )
