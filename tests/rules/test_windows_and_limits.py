"""Windows in the organization's time zone, per-customer limits and the total budget,
including concurrent orders racing for the last of a budget."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from app.models.earning_rule import EarningRule, EarningRuleAward
from app.models.earning_rule import EarningRuleKind as Kind
from app.models.organization import Organization
from app.organizations.profile import forget_profile
from app.rules import service
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.rules.helpers import active_rule, order
from tests.wallets.helpers import assert_wallet_consistent, new_customer

NEW_YORK = ZoneInfo("America/New_York")


async def test_window_is_read_in_the_organizations_zone_start_inclusive_end_exclusive(
    tenant: Tenant,
) -> None:
    await Organization.filter(id=tenant.organization_id).update(timezone="America/New_York")
    forget_profile(tenant.organization_id)
    owner = owner_of(tenant)
    # Midnight of Nov 20 and Nov 21 in New York, entered as wall-clock times (no offset).
    rule = await active_rule(
        owner,
        Kind.ORDER_MULTIPLIER,
        multiplier="2",
        starts_at=dt.datetime(2026, 11, 20, 0, 0),
        ends_at=dt.datetime(2026, 11, 21, 0, 0),
    )
    start = dt.datetime(2026, 11, 20, tzinfo=NEW_YORK).astimezone(dt.UTC)
    assert rule.starts_at == start == dt.datetime(2026, 11, 20, 5, tzinfo=dt.UTC)
    customer = await new_customer(owner, email="tz@example.com")
    second = dt.timedelta(seconds=1)
    placed = [
        start - second,
        start,
        start + dt.timedelta(days=1) - second,
        start + dt.timedelta(days=1),
    ]
    bonuses = [
        (await order(owner, customer.id, f"TZ-{n}", "10.00", placed_at=at)).bonus_points
        for n, at in enumerate(placed)
    ]
    assert bonuses == [0, 10, 10, 0]


async def test_per_customer_limit(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2", per_customer_limit=2)
    customer = await new_customer(owner, email="lim@example.com")
    other = await new_customer(owner, email="lim2@example.com")
    bonuses = [(await order(owner, customer.id, f"L-{n}", "10.00")).bonus_points for n in range(3)]
    assert bonuses == [10, 10, 0]
    assert (await order(owner, other.id, "L-x", "10.00")).bonus_points == 10


async def test_budget_is_never_overspent(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    rule = await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2", points_budget=250)
    customer = await new_customer(owner, email="bud@example.com")
    bonuses = [(await order(owner, customer.id, f"B-{n}", "100.00")).bonus_points for n in range(3)]
    # All or nothing: 100 + 100, then a third 100 would pass 250.
    assert bonuses == [100, 100, 0]
    assert (await order(owner, customer.id, "B-small", "50.00")).bonus_points == 50
    stored = await EarningRule.get(id=rule.id)
    assert (stored.points_awarded, stored.awards_count) == (250, 3)


async def test_concurrent_orders_share_the_budget_exactly(tenant: Tenant) -> None:
    """On PostgreSQL the orders run in parallel transactions; the conditional UPDATE of the
    rule's counter lets exactly as many through as the budget holds."""
    owner = owner_of(tenant)
    rule = await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2", points_budget=500)
    customers = [await new_customer(owner, email=f"c{n}@example.com") for n in range(10)]
    results = await asyncio.gather(
        *(order(owner, c.id, f"C-{n}", "100.00") for n, c in enumerate(customers))
    )
    assert sorted(r.bonus_points for r in results) == [0] * 5 + [100] * 5
    stored = await EarningRule.get(id=rule.id)
    assert (stored.points_awarded, stored.awards_count) == (500, 5)
    assert await EarningRuleAward.filter(rule_id=rule.id).count() == 5
    for c in customers:
        await assert_wallet_consistent(c.id)


async def test_concurrent_orders_of_one_customer_respect_its_limit(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2", per_customer_limit=1)
    customer = await new_customer(owner, email="one@example.com")
    results = await asyncio.gather(
        *(order(owner, customer.id, f"O-{n}", "10.00") for n in range(6))
    )
    assert sorted(r.bonus_points for r in results) == [0] * 5 + [10]
    await assert_wallet_consistent(customer.id)


async def test_editing_the_window_of_an_active_rule_applies_at_once(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    rule = await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2")
    customer = await new_customer(owner, email="ed@example.com")
    assert (await order(owner, customer.id, "E-1", "10.00")).bonus_points == 10
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    await service.update_rule(owner, rule.id, service.EarningRuleInput(starts_at=future))
    assert (await order(owner, customer.id, "E-2", "10.00")).bonus_points == 0
