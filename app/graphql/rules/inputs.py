from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.core.unset import UNSET as SERVICE_UNSET
from app.graphql.customers.inputs import CustomerWhereInput
from app.models.earning_rule import EarningRuleKind
from app.rules.service import EarningRuleInput

_WINDOW = "Without an offset: wall-clock time in the organization's time zone."


@strawberry.input(description="An earning rule's settings. On update, omitted fields stay.")
class EarningRuleFieldsInput:
    name: str | None = strawberry.UNSET
    points: int | None = strawberry.field(
        default=strawberry.UNSET, description="The bonus (every kind but ORDER_MULTIPLIER)."
    )
    multiplier: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="ORDER_MULTIPLIER only: more than 1, at most 10 (2 = double points).",
    )
    conditions: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="ORDER_MULTIPLIER: categories, tags, storeIds, minTotal. FIRST_ORDER: "
        "minTotal. STREAK: orders, withinDays. MILESTONE: lifetimeOrders or lifetimeSpend. "
        "PROFILE_COMPLETED: requiredFields. REFERRAL: refereePoints.",
    )
    audience: CustomerWhereInput | None = strawberry.field(
        default=strawberry.UNSET, description="Who it applies to; null or omitted: everyone."
    )
    starts_at: dt.datetime | None = strawberry.field(default=strawberry.UNSET, description=_WINDOW)
    ends_at: dt.datetime | None = strawberry.field(
        default=strawberry.UNSET, description=_WINDOW + " Exclusive."
    )
    per_customer_limit: int | None = strawberry.field(
        default=strawberry.UNSET, description="At most this many awards to one customer."
    )
    points_budget: int | None = strawberry.field(
        default=strawberry.UNSET, description="At most this many points in all (net of refunds)."
    )
    priority: int | None = strawberry.field(
        default=strawberry.UNSET, description="Order among rules of one kind: lower first."
    )

    def to_service(self) -> EarningRuleInput:
        def v(value: Any) -> Any:
            return SERVICE_UNSET if value is strawberry.UNSET else value

        audience = self.audience
        return EarningRuleInput(
            # A non-null column: an explicit null means "leave it", like omitting it.
            name=SERVICE_UNSET if self.name in (strawberry.UNSET, None) else self.name,
            points=v(self.points),
            multiplier=v(self.multiplier),
            conditions=v(self.conditions),
            audience=(
                SERVICE_UNSET
                if audience is strawberry.UNSET
                else (audience.to_filter() if audience is not None else None)
            ),
            starts_at=v(self.starts_at),
            ends_at=v(self.ends_at),
            per_customer_limit=v(self.per_customer_limit),
            points_budget=v(self.points_budget),
            priority=SERVICE_UNSET if self.priority in (strawberry.UNSET, None) else self.priority,
        )


@strawberry.input
class EarningRuleCreateInput(EarningRuleFieldsInput):
    kind: EarningRuleKind
