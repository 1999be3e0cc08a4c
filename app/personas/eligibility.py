"""What an organization lacks to have personas: completed orders, the birthday reward, buyers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.organizations.program import LoyaltyProgram
from app.personas import repository
from app.personas.rules import PersonaRules


class Requirement(StrEnum):
    COMPLETED_ORDERS = "COMPLETED_ORDERS"
    BIRTHDAY_REWARD = "BIRTHDAY_REWARD"
    CUSTOMERS_WITH_ORDERS = "CUSTOMERS_WITH_ORDERS"


@dataclass(frozen=True)
class EligibilityReason:
    requirement: Requirement
    message: str
    required: int | None = None
    actual: int | None = None


@dataclass(frozen=True)
class Eligibility:
    reasons: tuple[EligibilityReason, ...]

    @property
    def eligible(self) -> bool:
        return not self.reasons


async def evaluate(
    organization_id: uuid.UUID, rules: PersonaRules, program: LoyaltyProgram
) -> Eligibility:
    """What the organization lacks. Counts stop at the threshold, so this stays cheap."""
    orders = await repository.completed_orders_up_to(organization_id, rules.min_completed_orders)
    buyers = await repository.buyers_up_to(organization_id, rules.min_customers)
    reasons: list[EligibilityReason] = []
    if orders < rules.min_completed_orders:
        reasons.append(
            EligibilityReason(
                Requirement.COMPLETED_ORDERS,
                f"At least {rules.min_completed_orders} completed orders are needed;"
                f" the organization has {orders}.",
                rules.min_completed_orders,
                orders,
            )
        )
    if rules.require_birthday_reward and not program.birthday_reward_enabled:
        reasons.append(
            EligibilityReason(
                Requirement.BIRTHDAY_REWARD,
                "The birthday reward must be enabled in the loyalty program.",
            )
        )
    if buyers < rules.min_customers:
        reasons.append(
            EligibilityReason(
                Requirement.CUSTOMERS_WITH_ORDERS,
                f"At least {rules.min_customers} customers with a completed order are needed"
                f" (personas are groups of {rules.min_persona_size} or more);"
                f" the organization has {buyers}.",
                rules.min_customers,
                buyers,
            )
        )
    return Eligibility(tuple(reasons))
