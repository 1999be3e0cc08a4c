"""Shared GraphQL documents and builders of the earning-rule tests."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.unset import UNSET
from app.customers.repository.search import CustomerFilter
from app.models.earning_rule import EarningRule, EarningRuleKind
from app.models.wallet import LedgerEntry
from app.orders.service import ItemInput, OrderInput, OrderResult, record_order
from app.rules import service
from app.rules.service import EarningRuleInput

RULE_FIELDS = """
  id kind name status points multiplier conditions audience startsAt endsAt
  perCustomerLimit pointsBudget pointsAwarded awardsCount priority
"""
CREATE = (
    """
mutation($input: EarningRuleCreateInput!) {
  earningRuleCreate(input: $input) { earningRule {"""
    + RULE_FIELDS
    + """} errors { field code message } }
}"""
)


async def active_rule(
    principal: Principal,
    kind: EarningRuleKind,
    *,
    points: int | None = None,
    multiplier: str | None = None,
    conditions: dict[str, Any] | None = None,
    audience: CustomerFilter | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    per_customer_limit: int | None = None,
    points_budget: int | None = None,
    name: str = "",
) -> EarningRule:
    """A rule created and activated through the service, as staff would."""
    rule = await service.create_rule(
        principal,
        kind,
        EarningRuleInput(
            name=name or kind.value.title(),
            points=points if points is not None else (None if multiplier else 50),
            multiplier=Decimal(multiplier) if multiplier else UNSET,
            conditions=conditions or {},
            audience=audience,
            starts_at=starts_at,
            per_customer_limit=per_customer_limit,
            points_budget=points_budget,
        ),
    )
    rule = await service.activate_rule(principal, rule.id)
    if ends_at is not None:
        # Set after activation: a window that has already ended cannot be activated.
        rule = await service.update_rule(principal, rule.id, EarningRuleInput(ends_at=ends_at))
    return rule


async def order(
    principal: Principal,
    customer_id: uuid.UUID,
    receipt: str,
    total: str = "100.00",
    *,
    placed_at: dt.datetime | None = None,
    store_id: uuid.UUID | None = None,
    items: list[ItemInput] | None = None,
) -> OrderResult:
    return await record_order(
        principal,
        OrderInput(
            customer_id=customer_id,
            receipt_number=receipt,
            total=Decimal(total),
            placed_at=placed_at or utcnow() - dt.timedelta(minutes=5),
            store_id=store_id,
            items=items or [],
        ),
    )


async def rule_entries(customer_id: uuid.UUID) -> list[LedgerEntry]:
    """The customer's ledger entries an earning rule wrote, oldest first."""
    return (
        await LedgerEntry.filter(customer_id=customer_id, earning_rule_id__isnull=False)
        .order_by("created_at", "id")
        .all()
    )
