"""Customers with orders written directly, their statistics set to match the orders."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from app.lifecycle.rules import quintile
from app.models.customer import Customer, CustomerStatus
from app.models.order import Order

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def fixed_id(organization_id: uuid.UUID, number: int) -> uuid.UUID:
    """Ids that sort by `number` (ties in RFM are broken by id), distinct per organization."""
    return uuid.UUID(f"{number:08x}-{str(organization_id)[9:]}")


async def add_customer(
    organization_id: uuid.UUID,
    number: int,
    *,
    days_ago: float | None = None,
    totals: tuple[str, ...] = (),
    status: CustomerStatus = CustomerStatus.ACTIVE,
    now: dt.datetime = NOW,
) -> Customer:
    """A customer whose last order was `days_ago` days before `now`; one order per total,
    a day apart going back from the last one."""
    assert days_ago is not None or not totals
    placed = [now - dt.timedelta(days=(days_ago or 0) + i) for i in range(len(totals))]
    customer = await Customer.create(
        id=fixed_id(organization_id, number),
        organization_id=organization_id,
        status=status,
        first_name=f"C{number:02d}",
        order_count=len(totals),
        total_spent=sum((Decimal(t) for t in totals), Decimal(0)),
        first_order_at=min(placed) if placed else None,
        last_order_at=max(placed) if placed else None,
    )
    for i, (total, at) in enumerate(zip(totals, placed, strict=True)):
        await Order.create(
            organization_id=organization_id,
            customer=customer,
            receipt_number=f"R-{number:02d}-{i}",
            total=Decimal(total),
            placed_at=at,
        )
    return customer


async def reload(customer: Customer) -> Customer:
    return await Customer.get(id=customer.id)


def reference_score(value: Any, values: Sequence[Any]) -> int:
    """The RFM score by hand: how many of `values` lie strictly below `value`, as a quintile."""
    return quintile(sum(1 for v in values if v < value), len(values))
