"""The organization's loyalty program: earning rule, expiry, tiers, bonuses, lifecycle thresholds.

Stored as JSON in `Organization.settings["program"]` and read through this typed view with
defaults; `app.organizations.profile.load_program` reads it through the organization cache.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from app.models.organization import Organization


@dataclass(frozen=True)
class Tier:
    name: str
    min_lifetime_points: int


DEFAULT_TIERS = (Tier("Member", 0), Tier("Silver", 1000), Tier("Gold", 5000))


@dataclass(frozen=True)
class LoyaltyProgram:
    # Points per whole currency unit of an order total, rounded down.
    points_per_currency_unit: Decimal = Decimal(1)
    # What one point is worth in the organization's currency when redeemed: the money value
    # of the points liability. A cent a point unless the program says otherwise.
    point_value: Decimal = Decimal("0.01")
    # Earned points expire this many days after they were earned; None = never.
    points_expire_after_days: int | None = 365
    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    birthday_reward_enabled: bool = False
    birthday_reward_points: int = 100
    referral_bonus_points: int = 200
    referee_bonus_points: int = 0
    at_risk_after_days: int = 180
    lost_after_days: int = 365
    extra: dict[str, Any] = field(default_factory=dict)

    def points_for(self, total: Decimal) -> int:
        if total <= 0:
            return 0
        return int((total * self.points_per_currency_unit).to_integral_value(ROUND_FLOOR))

    def tier_for(self, lifetime_points: int) -> tuple[Tier | None, Tier | None]:
        """(current tier, next tier) for a lifetime total."""
        ordered = sorted(self.tiers, key=lambda t: t.min_lifetime_points)
        current = None
        for tier in ordered:
            if lifetime_points >= tier.min_lifetime_points:
                current = tier
            else:
                return current, tier
        return current, None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["points_per_currency_unit"] = str(self.points_per_currency_unit)
        data["point_value"] = str(self.point_value)
        data["tiers"] = [asdict(t) for t in self.tiers]
        data.pop("extra")
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> LoyaltyProgram:
        if not raw:
            return cls()
        base = cls()
        tiers = raw.get("tiers")
        return cls(
            points_per_currency_unit=Decimal(
                str(raw.get("points_per_currency_unit", base.points_per_currency_unit))
            ),
            point_value=Decimal(str(raw.get("point_value", base.point_value))),
            points_expire_after_days=raw.get(
                "points_expire_after_days", base.points_expire_after_days
            ),
            tiers=(
                tuple(Tier(str(t["name"]), int(t["min_lifetime_points"])) for t in tiers)
                if isinstance(tiers, list)
                else base.tiers
            ),
            birthday_reward_enabled=bool(
                raw.get("birthday_reward_enabled", base.birthday_reward_enabled)
            ),
            birthday_reward_points=int(
                raw.get("birthday_reward_points", base.birthday_reward_points)
            ),
            referral_bonus_points=int(raw.get("referral_bonus_points", base.referral_bonus_points)),
            referee_bonus_points=int(raw.get("referee_bonus_points", base.referee_bonus_points)),
            at_risk_after_days=int(raw.get("at_risk_after_days", base.at_risk_after_days)),
            lost_after_days=int(raw.get("lost_after_days", base.lost_after_days)),
        )


def program_of(org: Organization) -> LoyaltyProgram:
    settings = org.settings or {}
    raw = settings.get("program")
    return LoyaltyProgram.from_json(raw if isinstance(raw, dict) else None)
