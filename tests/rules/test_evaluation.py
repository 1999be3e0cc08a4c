"""Each kind of earning rule awards what it says, once per event, with a ledger entry naming it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.customers.fields import CustomerInput
from app.customers.repository.search import CustomerFilter
from app.customers.service import update_customer
from app.models.customer import Customer
from app.models.earning_rule import EarningRule, EarningRuleAward
from app.models.earning_rule import EarningRuleKind as Kind
from app.models.wallet import LedgerKind
from app.orders.service import ItemInput
from app.organizations.service import create_store
from app.rules import service
from app.rules.daily import award_yearly
from app.wallets.program_admin import update_program
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.rules.helpers import active_rule, order, rule_entries
from tests.wallets.helpers import assert_wallet_consistent, new_customer


async def test_welcome_on_enrolment_once(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    rule = await active_rule(owner, Kind.WELCOME, points=100, name="Welcome aboard")
    enrolled = await new_customer(owner, email="a@example.com")
    outsider = await new_customer(owner, email="b@example.com", loyalty_enrolled=False)
    [entry] = await rule_entries(enrolled.id)
    assert (entry.kind, entry.points, entry.earning_rule_id) == (LedgerKind.EARN, 100, rule.id)
    assert entry.reason == "welcome: Welcome aboard"
    assert await rule_entries(outsider.id) == []
    # Enrolling later pays the welcome; further updates (a retried request) do not pay again.
    for _ in range(2):
        await update_customer(owner, outsider.id, CustomerInput(loyalty_enrolled=True))
    assert [e.points for e in await rule_entries(outsider.id)] == [100]
    await assert_wallet_consistent(outsider.id)
    stored = await EarningRule.get(id=rule.id)
    assert (stored.points_awarded, stored.awards_count) == (200, 2)


async def test_profile_completed_when_the_chosen_fields_are_filled(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(
        owner,
        Kind.PROFILE_COMPLETED,
        points=30,
        conditions={"requiredFields": ["firstName", "birthday"]},
    )
    customer = await new_customer(owner, email="p@example.com", first_name="Ada")
    assert await rule_entries(customer.id) == []
    await update_customer(owner, customer.id, CustomerInput(birthday=dt.date(1990, 5, 1)))
    await update_customer(owner, customer.id, CustomerInput(city="Paris"))
    assert [e.points for e in await rule_entries(customer.id)] == [30]
    done = await new_customer(
        owner, email="q@example.com", first_name="Bo", birthday=dt.date(1991, 1, 2)
    )
    assert [e.points for e in await rule_entries(done.id)] == [30]


async def test_first_order_once_even_after_a_refund(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.FIRST_ORDER, points=75, conditions={"minTotal": "10"})
    customer = await new_customer(owner, email="f@example.com")
    small = await new_customer(owner, email="s@example.com")
    first = await order(owner, customer.id, "F-1", "50.00")
    assert (first.points, first.bonus_points) == (50, 75)
    assert (await order(owner, customer.id, "F-2", "50.00")).bonus_points == 0
    assert (await order(owner, small.id, "S-1", "5.00")).bonus_points == 0
    assert (await order(owner, small.id, "S-2", "50.00")).bonus_points == 0  # not its first
    [entry] = await rule_entries(customer.id)
    assert entry.order_id == first.order.id


async def test_multiplier_by_category_store_and_minimum(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await update_program(owner, {"points_per_currency_unit": Decimal(1)})
    store = await create_store(owner, "Downtown", "DT", False)
    other = await create_store(owner, "Airport", "AP", False)
    await active_rule(
        owner,
        Kind.ORDER_MULTIPLIER,
        multiplier="3",
        conditions={"categories": ["shoes"], "tags": ["promo"], "storeIds": [str(store.id)]},
        name="Triple shoes",
    )
    await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="1.5", conditions={"minTotal": "80"})
    customer = await new_customer(owner, email="m@example.com")
    items = [
        ItemInput("SHOE", Decimal("30.00"), 2, category="shoes"),
        ItemInput("HAT", Decimal("15.00"), 1, category="hats", tags=["promo"]),
        ItemInput("SOCK", Decimal("25.00"), 1, category="socks"),
    ]
    here = await order(owner, customer.id, "M-1", "100.00", store_id=store.id, items=items)
    # Triple on shoes and promo items (75 -> +150), x1.5 on the whole 100 (+50).
    assert (here.points, here.bonus_points) == (100, 200)
    there = await order(owner, customer.id, "M-2", "60.00", store_id=other.id, items=items)
    assert there.bonus_points == 0  # another store, and under the minimum
    reasons = sorted(e.reason for e in await rule_entries(customer.id))
    assert reasons == ["order multiplier: Order_Multiplier", "order multiplier: Triple shoes"]
    await assert_wallet_consistent(customer.id)


async def test_streak_every_nth_order_within_the_days(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.STREAK, points=40, conditions={"orders": 3, "withinDays": 10})
    customer = await new_customer(owner, email="st@example.com")
    start = utcnow() - dt.timedelta(days=60)
    days = [0, 20, 22, 25, 26, 27, 28, 29, 30]
    bonuses = [
        (
            await order(
                owner, customer.id, f"ST-{d}", "10.00", placed_at=start + dt.timedelta(days=d)
            )
        ).bonus_points
        for d in days
    ]
    # Day 0 alone; 20, 22, 25 make three within 10 days; 26, 27, 28 the next three; then 29, 30.
    assert bonuses == [0, 0, 0, 40, 0, 0, 40, 0, 0]


async def test_milestones_of_orders_and_spend(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.MILESTONE, points=200, conditions={"lifetimeOrders": 2})
    await active_rule(owner, Kind.MILESTONE, points=500, conditions={"lifetimeSpend": "150"})
    customer = await new_customer(owner, email="ms@example.com")
    results = [await order(owner, customer.id, f"MS-{n}", "100.00") for n in range(3)]
    assert [r.bonus_points for r in results] == [0, 700, 0]


async def test_referral_rule_replaces_the_program_bonus(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await update_program(owner, {"referral_bonus_points": 999})
    referrer = await new_customer(owner, email="ref@example.com")
    before = await new_customer(owner, email="r1@example.com", referred_by_id=referrer.id)
    assert (await assert_wallet_consistent(referrer.id)).points_balance == 999
    rule = await active_rule(owner, Kind.REFERRAL, points=300, conditions={"refereePoints": 50})
    referee = await new_customer(owner, email="r2@example.com", referred_by_id=referrer.id)
    assert (await assert_wallet_consistent(referrer.id)).points_balance == 999 + 300
    [entry] = await rule_entries(referee.id)
    assert (entry.points, entry.earning_rule_id) == (50, rule.id)
    assert await rule_entries(before.id) == []


async def test_birthday_rules_replace_the_program_reward_and_anniversaries_pay(
    tenant: Tenant,
) -> None:
    system = Principal.system(tenant.organization_id)
    owner = owner_of(tenant)
    await update_program(owner, {"birthday_reward_enabled": True, "birthday_reward_points": 10})
    now = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
    customer = await new_customer(owner, email="bd@example.com", birthday=dt.date(1990, 6, 15))
    # Without a BIRTHDAY rule, the program's reward is the default birthday rule.
    assert await award_yearly(system, now) == 1
    rule = await active_rule(owner, Kind.BIRTHDAY, points=80)
    assert await award_yearly(system, now) == 1
    assert await award_yearly(system, now) == 0  # again the same day: nothing
    assert [e.points for e in await rule_entries(customer.id)] == [80]
    assert (await EarningRule.get(id=rule.id)).awards_count == 1
    await active_rule(owner, Kind.ANNIVERSARY, points=25)
    later = await new_customer(owner, email="an@example.com")
    await Customer.filter(id=customer.id).update(
        created_at=dt.datetime(2025, 6, 15, 9, tzinfo=dt.UTC)
    )
    await Customer.filter(id=later.id).update(created_at=dt.datetime(2025, 6, 16, 9, tzinfo=dt.UTC))
    assert await award_yearly(system, now) == 1
    assert [e.points for e in await rule_entries(customer.id)] == [80, 25]
    assert await rule_entries(later.id) == []


async def test_replayed_order_awards_once(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2")
    customer = await new_customer(owner, email="rp@example.com")
    first = await order(owner, customer.id, "RP-1", "40.00")
    again = await order(owner, customer.id, "RP-1", "40.00")
    assert (first.bonus_points, again.replayed) == (40, True)
    assert await EarningRuleAward.filter(customer_id=customer.id).count() == 1
    assert len(await rule_entries(customer.id)) == 1


async def test_paused_draft_and_expired_rules_award_nothing(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    paused = await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2")
    await service.pause_rule(owner, paused.id)
    await service.create_rule(
        owner, Kind.FIRST_ORDER, service.EarningRuleInput(name="Draft", points=10)
    )
    ended = await active_rule(owner, Kind.MILESTONE, points=5, conditions={"lifetimeOrders": 1})
    await service.update_rule(
        owner, ended.id, service.EarningRuleInput(ends_at=utcnow() - dt.timedelta(minutes=30))
    )
    customer = await new_customer(owner, email="px@example.com")
    assert (await order(owner, customer.id, "PX-1", "40.00")).bonus_points == 0
    refused = await _activation_error(owner, ended.id)
    assert refused == "EXPIRED"


async def _activation_error(owner: Principal, rule_id: object) -> str:
    from app.core.errors import DomainError

    await service.pause_rule(owner, rule_id)  # type: ignore[arg-type]
    try:
        await service.activate_rule(owner, rule_id)  # type: ignore[arg-type]
    except DomainError as exc:
        return str(exc.code)
    return ""


async def test_audience_limits_who_earns(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(
        owner,
        Kind.ORDER_MULTIPLIER,
        multiplier="2",
        audience=CustomerFilter(country="FR", email_opt_in=True),
    )
    inside = await new_customer(owner, email="in@example.com", country="FR", email_opt_in=True)
    outside = await new_customer(owner, email="out@example.com", country="DE", email_opt_in=True)
    assert (await order(owner, inside.id, "AU-1", "10.00")).bonus_points == 10
    assert (await order(owner, outside.id, "AU-2", "10.00")).bonus_points == 0
