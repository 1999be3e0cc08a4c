from __future__ import annotations

import datetime as dt

import strawberry

from app.campaigns.service import CampaignChanges, CampaignDraft
from app.core.unset import UNSET
from app.graphql.customers.inputs import CustomerWhereInput


@strawberry.input(
    description="A one-off credit of the same points to every customer of an audience."
)
class CampaignCreateInput:
    name: str
    audience: CustomerWhereInput = strawberry.field(
        description="Which customers: the same filter as the customers list (a persona, "
        "lifecycle stages, RFM segments, tiers, consent...). An empty filter is everyone."
    )
    points: int = strawberry.field(description="Points each customer receives, once.")
    reason: str = strawberry.field(description="Shown on each ledger entry of the campaign.")
    scheduled_at: dt.datetime | None = strawberry.field(
        default=None,
        description="When it runs once scheduled (`campaignSchedule`); null: at once.",
    )

    def to_draft(self) -> CampaignDraft:
        return CampaignDraft(
            name=self.name,
            audience=self.audience.to_filter(),
            points=self.points,
            reason=self.reason,
            scheduled_at=self.scheduled_at,
        )


@strawberry.input(description="Fields left out stay as they are; scheduledAt: null clears it.")
class CampaignUpdateInput:
    name: str | None = strawberry.UNSET
    audience: CustomerWhereInput | None = strawberry.UNSET
    points: int | None = strawberry.UNSET
    reason: str | None = strawberry.UNSET
    scheduled_at: dt.datetime | None = strawberry.UNSET

    def to_changes(self) -> CampaignChanges:
        def given(value: object) -> bool:
            return value is not strawberry.UNSET and value is not None

        return CampaignChanges(
            name=self.name if given(self.name) and self.name is not None else UNSET,
            audience=self.audience.to_filter()
            if given(self.audience) and self.audience is not None
            else UNSET,
            points=self.points if given(self.points) and self.points is not None else UNSET,
            reason=self.reason if given(self.reason) and self.reason is not None else UNSET,
            scheduled_at=UNSET if self.scheduled_at is strawberry.UNSET else self.scheduled_at,
        )
