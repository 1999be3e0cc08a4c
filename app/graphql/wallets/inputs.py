from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from app.organizations.program import Tier


@strawberry.input
class TierInput:
    name: str
    min_lifetime_points: int


@strawberry.input
class LoyaltyProgramInput:
    points_per_currency_unit: Decimal | None = strawberry.UNSET
    point_value: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="What one point is worth in the organization's currency (default 0.01).",
    )
    points_expire_after_days: int | None = strawberry.UNSET
    tiers: list[TierInput] | None = strawberry.UNSET
    birthday_reward_enabled: bool | None = strawberry.UNSET
    birthday_reward_points: int | None = strawberry.UNSET
    referral_bonus_points: int | None = strawberry.UNSET
    referee_bonus_points: int | None = strawberry.UNSET
    at_risk_after_days: int | None = strawberry.UNSET
    lost_after_days: int | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in (
            "points_per_currency_unit",
            "point_value",
            "birthday_reward_enabled",
            "birthday_reward_points",
            "referral_bonus_points",
            "referee_bonus_points",
            "at_risk_after_days",
            "lost_after_days",
        ):
            value = getattr(self, name)
            if value is not strawberry.UNSET and value is not None:
                out[name] = value
        # null is meaningful here: points never expire.
        if self.points_expire_after_days is not strawberry.UNSET:
            out["points_expire_after_days"] = self.points_expire_after_days
        if self.tiers is not strawberry.UNSET and self.tiers is not None:
            out["tiers"] = [Tier(t.name, t.min_lifetime_points) for t in self.tiers]
        return out
