from __future__ import annotations

import uuid
from typing import Any

from tortoise.functions import Sum

from app.auth.principal import Principal
from app.customers.fields import CustomerInput
from app.customers.service import create_customer
from app.models.customer import Customer
from app.models.wallet import LedgerEntry, LedgerKind


async def new_customer(principal: Principal, **fields: Any) -> Customer:
    return await create_customer(principal, CustomerInput(**fields))


async def ledger_sums(customer_id: uuid.UUID) -> tuple[int, int, int]:
    """(sum of points, sum of lifetime kinds, sum of unspent lots) from the ledger itself."""
    entries = await LedgerEntry.filter(customer_id=customer_id)
    total = sum(e.points for e in entries)
    lifetime = sum(e.points for e in entries if e.kind in (LedgerKind.EARN, LedgerKind.REFUND))
    lots = (
        await LedgerEntry.filter(customer_id=customer_id).annotate(s=Sum("remaining")).values("s")
    )
    return total, lifetime, int(lots[0]["s"] or 0)


async def assert_wallet_consistent(customer_id: uuid.UUID) -> Customer:
    customer = await Customer.get(id=customer_id)
    total, lifetime, lots = await ledger_sums(customer_id)
    assert customer.points_balance == total == lots
    assert customer.points_balance >= 0
    assert customer.lifetime_points == lifetime >= 0
    return customer
