from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.campaigns.roadmap_apply import Application
from app.campaigns.service import CampaignPreview
from app.graphql.rules.types import EarningRuleType
from app.models.campaign import Campaign, CampaignStatus

strawberry.enum(
    CampaignStatus,
    description="DRAFT: being written. SCHEDULED: runs at scheduledAt (still editable and "
    "cancellable). RUNNING: a worker credits it. COMPLETED, CANCELLED (before it ran), FAILED.",
)


@strawberry.type(description="The campaign a ledger entry came from.")
class CampaignSummary:
    id: strawberry.ID
    name: str

    @classmethod
    def from_model(cls, c: Campaign) -> CampaignSummary:
        return cls(id=strawberry.ID(str(c.id)), name=c.name)


@strawberry.type(
    name="Campaign",
    description="A one-off credit of `points` to every customer of an audience, once each.",
)
class CampaignType:
    id: strawberry.ID
    name: str
    audience: JSON = strawberry.field(
        description="The audience's conditions, as `CustomerWhereInput` names them."
    )
    points: int = strawberry.field(description="Points per customer.")
    reason: str
    status: CampaignStatus
    scheduled_at: dt.datetime | None
    audience_size: int | None = strawberry.field(
        description="Customers in the audience when the run started (null before)."
    )
    credited_count: int = strawberry.field(description="Customers credited so far.")
    points_credited: int
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    error_code: str | None = strawberry.field(description="Why it FAILED.")
    created_by_id: strawberry.ID | None
    roadmap_item_id: strawberry.ID | None = strawberry.field(
        description="The persona roadmap item it was applied from."
    )
    created_at: dt.datetime

    @strawberry.field(description="0 to 1: the share of the audience credited so far.")
    def progress(self) -> float:
        if self.status is CampaignStatus.COMPLETED:
            return 1.0
        if not self.audience_size:
            return 0.0
        return min(1.0, self.credited_count / self.audience_size)

    @classmethod
    def from_model(cls, c: Campaign) -> CampaignType:
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            audience=cast(JSON, dict(c.audience or {})),
            points=c.points,
            reason=c.reason,
            status=c.status,
            scheduled_at=c.scheduled_at,
            audience_size=c.audience_size,
            credited_count=c.credited_count,
            points_credited=c.points_credited,
            started_at=c.started_at,
            completed_at=c.completed_at,
            cancelled_at=c.cancelled_at,
            error_code=c.error_code,
            created_by_id=strawberry.ID(str(c.created_by_id)) if c.created_by_id else None,
            roadmap_item_id=strawberry.ID(str(c.source_roadmap_item_id))
            if c.source_roadmap_item_id
            else None,
            created_at=c.created_at,
        )


@strawberry.type(description="What a campaign would credit if it ran now.")
class CampaignPreviewType:
    customers: int = strawberry.field(description="Customers the audience selects now.")
    points: int = strawberry.field(description="customers × points per customer.")
    point_value: Decimal = strawberry.field(description="The program's value of one point.")
    added_liability: Decimal = strawberry.field(
        description="points × pointValue: how much the points liability grows."
    )

    @classmethod
    def of(cls, p: CampaignPreview) -> CampaignPreviewType:
        return cls(
            customers=p.customers,
            points=p.points,
            point_value=p.point_value,
            added_liability=p.added_liability,
        )


@strawberry.type(description="What a roadmap item was applied as: a campaign or an earning rule.")
class AppliedSetting:
    campaign: CampaignType | None = strawberry.field(
        default=None, description="The campaign it became (DRAFT until staff schedule it)."
    )
    earning_rule: EarningRuleType | None = strawberry.field(
        default=None, description="The earning rule it became (DRAFT until staff activate it)."
    )

    @classmethod
    def of(cls, application: Application) -> AppliedSetting:
        return cls(
            campaign=CampaignType.from_model(application.campaign)
            if application.campaign
            else None,
            earning_rule=EarningRuleType.from_model(application.rule) if application.rule else None,
        )
