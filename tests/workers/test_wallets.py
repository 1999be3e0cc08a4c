"""The scheduled wallet jobs: expiring points and birthday rewards, in every organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.auth.principal import Principal
from app.core.clock import advanced, utcnow
from app.models.customer import Customer
from app.wallets import service as wallets
from app.wallets.program_admin import update_program
from tests.conftest import Tenant
from tests.wallets.helpers import assert_wallet_consistent, new_customer
from workers.wallets import birthday_rewards, expire_points

CTX: dict[str, Any] = {}


async def _earner(tenant: Tenant, email: str, points: int) -> Customer:
    principal = Principal.system(tenant.organization_id)
    await update_program(principal, {"points_expire_after_days": 20})
    customer = await new_customer(principal, email=email)
    await wallets.earn(principal, customer.id, points, "welcome", f"earn-{email}")
    return customer


async def test_points_expire_in_every_organization_once_due(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    first = await _earner(tenant, "a@example.com", 100)
    second = await _earner(other_tenant, "b@example.com", 50)

    assert await expire_points(CTX) == 0
    with advanced(dt.timedelta(days=21)):
        assert await expire_points(CTX) == 2
        assert await expire_points(CTX) == 0

    for customer in (first, second):
        assert (await assert_wallet_consistent(customer.id)).points_balance == 0


async def test_birthday_rewards_only_where_enabled_and_once(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    today = utcnow().date()
    # A leap year, so every day of the year (Feb 29 too) is a valid birthday.
    birthday = dt.date(1992, today.month, today.day)
    enabled = Principal.system(tenant.organization_id)
    await update_program(enabled, {"birthday_reward_enabled": True, "birthday_reward_points": 75})
    celebrated = await new_customer(enabled, email="bday@example.com", birthday=birthday)
    disabled = Principal.system(other_tenant.organization_id)
    ignored = await new_customer(disabled, email="bday@example.com", birthday=birthday)

    assert await birthday_rewards(CTX) == 1
    assert await birthday_rewards(CTX) == 0

    assert (await Customer.get(id=celebrated.id)).points_balance == 75
    assert (await Customer.get(id=ignored.id)).points_balance == 0
