"""Per-organization persona rules: eligibility, anonymity and refresh, with their defaults.

Stored as JSON in `Organization.settings["personas"]` (absent keys take the defaults below), read
through this typed view the same way `LoyaltyProgram` is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models.organization import Organization

# The number of personas is chosen within this range (when the data allows it).
K_MIN = 3
K_MAX = 8


@dataclass(frozen=True)
class PersonaRules:
    # Eligibility: completed orders of live customers, and the birthday reward switched on.
    min_completed_orders: int = 30
    require_birthday_reward: bool = True
    # Anonymity: a persona smaller than this is folded into "Other" (never shown on its own).
    min_persona_size: int = 10
    # Regeneration on demand at most once per interval, unless an owner forces it; the
    # scheduled refresh regenerates each organization once per interval.
    refresh_interval_days: int = 30
    # Deterministic clustering: the same data and seed give the same personas.
    seed: int = 20_240_601

    @property
    def min_customers(self) -> int:
        """Customers with a completed order needed: enough for the smallest number of personas
        to each reach the minimum size."""
        return K_MIN * self.min_persona_size

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> PersonaRules:
        if not raw:
            return cls()
        base = cls()

        def number(key: str, default: int, low: int, high: int) -> int:
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int):
                return default
            return min(max(value, low), high)

        return cls(
            min_completed_orders=number(
                "min_completed_orders", base.min_completed_orders, 1, 10**9
            ),
            require_birthday_reward=bool(
                raw.get("require_birthday_reward", base.require_birthday_reward)
            ),
            min_persona_size=number("min_persona_size", base.min_persona_size, 2, 10**6),
            refresh_interval_days=number(
                "refresh_interval_days", base.refresh_interval_days, 1, 366
            ),
            seed=number("seed", base.seed, 0, 2**32 - 1),
        )


def rules_of(org: Organization) -> PersonaRules:
    settings = org.settings or {}
    raw = settings.get("personas")
    return PersonaRules.from_json(raw if isinstance(raw, dict) else None)
