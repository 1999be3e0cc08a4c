from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import strawberry

from app.graphql.campaigns.types import CampaignSummary
from app.graphql.context import Info
from app.graphql.rules.types import EarningRuleSummary
from app.models.audit import ActorKind
from app.models.wallet import LedgerEntry, LedgerKind
from app.organizations.program import LoyaltyProgram, Tier
from app.wallets import service
from app.wallets.service import WalletView

strawberry.enum(LedgerKind)


@strawberry.type(name="Tier")
class TierType:
    name: str
    min_lifetime_points: int

    @classmethod
    def of(cls, tier: Tier | None) -> TierType | None:
        return cls(name=tier.name, min_lifetime_points=tier.min_lifetime_points) if tier else None


@strawberry.type(name="Wallet", description="A customer's points, derived from the ledger.")
class WalletType:
    customer_id: strawberry.ID
    balance: int
    lifetime_points: int = strawberry.field(description="Net points earned; tiers use it.")
    tier: TierType | None
    next_tier: TierType | None
    points_to_next_tier: int | None

    @strawberry.field(description='For display, e.g. "200 points from Silver".')
    def tier_progress(self) -> str | None:
        if self.next_tier is None or self.points_to_next_tier is None:
            return None
        return f"{self.points_to_next_tier} points from {self.next_tier.name}"

    @strawberry.field(description="Points that expire within `days` days (default 30).")
    async def points_expiring_soon(self, info: Info, days: int = service.EXPIRING_SOON_DAYS) -> int:
        return await service.points_expiring(
            info.context.principal, uuid.UUID(self.customer_id), max(0, min(days, 3650))
        )

    @classmethod
    def of(cls, view: WalletView) -> WalletType:
        return cls(
            customer_id=strawberry.ID(str(view.customer_id)),
            balance=view.balance,
            lifetime_points=view.lifetime_points,
            tier=TierType.of(view.tier),
            next_tier=TierType.of(view.next_tier),
            points_to_next_tier=view.points_to_next_tier,
        )


@strawberry.type(name="LedgerEntry", description="One append-only points movement.")
class LedgerEntryType:
    id: strawberry.ID
    kind: LedgerKind
    points: int
    balance_after: int
    reason: str
    actor_kind: ActorKind
    order_id: strawberry.ID | None
    expires_at: dt.datetime | None
    created_at: dt.datetime
    campaign_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(description="The campaign that credited these points.")
    async def campaign(self, info: Info) -> CampaignSummary | None:
        if self.campaign_id is None:
            return None
        found = await info.context.loaders.campaigns.load(self.campaign_id)
        return CampaignSummary.from_model(found) if found is not None else None

    earning_rule_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field(description="The earning rule that gave (or took back) these points.")
    async def earning_rule(self, info: Info) -> EarningRuleSummary | None:
        if self.earning_rule_id is None:
            return None
        rule = await info.context.loaders.earning_rules.load(self.earning_rule_id)
        return EarningRuleSummary.from_model(rule) if rule is not None else None

    @classmethod
    def from_model(cls, e: LedgerEntry) -> LedgerEntryType:
        return cls(
            id=strawberry.ID(str(e.id)),
            kind=e.kind,
            points=e.points,
            balance_after=e.balance_after,
            reason=e.reason,
            actor_kind=e.actor_kind,
            order_id=strawberry.ID(str(e.order_id)) if e.order_id else None,
            expires_at=e.expires_at,
            created_at=e.created_at,
            campaign_id=uuid.UUID(str(e.campaign_id)) if e.campaign_id else None,
            earning_rule_id=uuid.UUID(str(e.earning_rule_id)) if e.earning_rule_id else None,
        )


@strawberry.type(name="LoyaltyProgram")
class LoyaltyProgramType:
    points_per_currency_unit: Decimal
    point_value: Decimal = strawberry.field(
        description="What one point is worth in the organization's currency: the money value "
        "of the points liability."
    )
    points_expire_after_days: int | None
    tiers: list[TierType]
    birthday_reward_enabled: bool
    birthday_reward_points: int
    referral_bonus_points: int
    referee_bonus_points: int
    at_risk_after_days: int
    lost_after_days: int

    @classmethod
    def of(cls, p: LoyaltyProgram) -> LoyaltyProgramType:
        return cls(
            points_per_currency_unit=p.points_per_currency_unit,
            point_value=p.point_value,
            points_expire_after_days=p.points_expire_after_days,
            tiers=[
                TierType(name=t.name, min_lifetime_points=t.min_lifetime_points) for t in p.tiers
            ],
            birthday_reward_enabled=p.birthday_reward_enabled,
            birthday_reward_points=p.birthday_reward_points,
            referral_bonus_points=p.referral_bonus_points,
            referee_bonus_points=p.referee_bonus_points,
            at_risk_after_days=p.at_risk_after_days,
            lost_after_days=p.lost_after_days,
        )
