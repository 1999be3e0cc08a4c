from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.models.earning_rule import EarningRule, EarningRuleKind, EarningRuleStatus

strawberry.enum(
    EarningRuleKind,
    description="What triggers the rule: enrolment (WELCOME), the first order, a completed "
    "profile, every order (ORDER_MULTIPLIER), a streak of orders, a milestone of lifetime orders "
    "or spend, the yearly enrolment anniversary or birthday, or referring a new customer.",
)
strawberry.enum(
    EarningRuleStatus,
    description="Only ACTIVE rules award. DRAFT: not yet switched on; PAUSED: switched off for "
    "now; ARCHIVED: retired for good (kept for the ledger entries that name it).",
)


@strawberry.type(description="The rule a ledger entry names: enough for a wallet's history.")
class EarningRuleSummary:
    id: strawberry.ID
    name: str
    kind: EarningRuleKind

    @classmethod
    def from_model(cls, r: EarningRule) -> EarningRuleSummary:
        return cls(id=strawberry.ID(str(r.id)), name=r.name, kind=r.kind)


@strawberry.type(name="EarningRule", description="Bonus points the program gives on an event.")
class EarningRuleType:
    id: strawberry.ID
    kind: EarningRuleKind
    name: str
    status: EarningRuleStatus
    points: int | None = strawberry.field(description="The bonus (all kinds but the multiplier).")
    multiplier: Decimal | None = strawberry.field(
        description="ORDER_MULTIPLIER: 2 doubles the base points of the matching amount."
    )
    conditions: JSON = strawberry.field(description="Kind-specific; see earningRuleCreate.")
    audience: JSON = strawberry.field(
        description="The customer-list filter (CustomerWhereInput's fields) it applies to; "
        "{} = every enrolled customer."
    )
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None = strawberry.field(description="Exclusive.")
    per_customer_limit: int | None
    points_budget: int | None
    points_awarded: int = strawberry.field(description="Net of refunds; counts against the budget.")
    awards_count: int
    priority: int
    created_by_id: strawberry.ID | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_model(cls, r: EarningRule) -> EarningRuleType:
        return cls(
            id=strawberry.ID(str(r.id)),
            kind=r.kind,
            name=r.name,
            status=r.status,
            points=r.points,
            multiplier=Decimal(r.multiplier) if r.multiplier is not None else None,
            conditions=cast(JSON, dict(r.conditions or {})),
            audience=cast(JSON, dict(r.audience or {})),
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            per_customer_limit=r.per_customer_limit,
            points_budget=r.points_budget,
            points_awarded=r.points_awarded,
            awards_count=r.awards_count,
            priority=r.priority,
            created_by_id=strawberry.ID(str(r.created_by_id)) if r.created_by_id else None,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
