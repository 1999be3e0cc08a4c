"""Seeding an organization: the rules the rest of the system relies on, checked in the database."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections

from app.auth.principal import Principal
from app.core.identifiers import name_key, normalize_email, normalize_phone
from app.lifecycle.rules import stage_for
from app.lifecycle.service import recompute_segments
from app.models.customer import Customer, CustomerStatus
from app.models.order import Order, OrderItem, OrderStatus
from app.models.organization import SignupForm, Store
from app.models.wallet import LedgerEntry, LedgerKind
from app.organizations.program import LoyaltyProgram
from app.seed import catalog
from app.seed.writer import SeedSummary, seed_organization
from app.wallets import service as wallets
from tests.conftest import Tenant
from tests.wallets.helpers import assert_wallet_consistent

TODAY = dt.datetime.now(dt.UTC).date()
ANCHOR = dt.datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=dt.UTC)


async def seed(
    org: uuid.UUID, customers: int = 200, seed_value: int = 4, **options: Any
) -> SeedSummary:
    options.setdefault("segments", False)
    return await seed_organization(
        org, customers, 5, seed_value, now=ANCHOR, progress=None, **options
    )


async def rows(query: str, org: uuid.UUID) -> list[dict[str, Any]]:
    """Run SQL with `$1` = the organization on either database."""
    conn = connections.get("default")
    result: list[dict[str, Any]]
    if conn.capabilities.dialect == "postgres":
        result = await conn.execute_query_dict(query, [org])
    else:
        result = await conn.execute_query_dict(query.replace("$1", "?1"), [str(org)])
    return result


async def scalar(query: str, org: uuid.UUID) -> int:
    result = await rows(query, org)
    return int(next(iter(result[0].values())))


async def check_consistency(org: uuid.UUID) -> None:
    """Every rule of the brief, by SQL aggregates where exact and in Python for decimals."""
    program = LoyaltyProgram()
    # Wallet columns are the ledger's sums.
    assert (
        await scalar(
            "SELECT count(*) FROM customer c WHERE c.organization_id = $1 AND c.points_balance"
            " <> (SELECT coalesce(sum(l.points), 0) FROM ledger_entry l"
            " WHERE l.customer_id = c.id)",
            org,
        )
        == 0
    )
    assert (
        await scalar(
            "SELECT count(*) FROM customer c WHERE c.organization_id = $1 AND c.points_balance"
            " <> (SELECT coalesce(sum(l.remaining), 0) FROM ledger_entry l"
            " WHERE l.customer_id = c.id)",
            org,
        )
        == 0
    )
    assert (
        await scalar(
            "SELECT count(*) FROM customer c WHERE c.organization_id = $1 AND c.lifetime_points"
            " <> (SELECT coalesce(sum(l.points), 0) FROM ledger_entry l"
            " WHERE l.customer_id = c.id AND l.kind = 'EARN')",
            org,
        )
        == 0
    )
    assert (
        await scalar(
            "SELECT count(*) FROM customer c WHERE c.organization_id = $1 AND c.order_count"
            " <> (SELECT count(*) FROM customer_order o WHERE o.customer_id = c.id)",
            org,
        )
        == 0
    )
    # Each completed order has exactly one EARN "order" entry with its points (every order
    # earns at the default rate).
    assert (
        await scalar(
            "SELECT count(*) FROM customer_order o WHERE o.organization_id = $1"
            " AND (o.status <> 'COMPLETED' OR o.points_earned <= 0)",
            org,
        )
        == 0
    )
    assert (
        await scalar(
            "SELECT count(*) FROM customer_order o WHERE o.organization_id = $1"
            " AND o.status = 'COMPLETED' AND (SELECT count(*) FROM ledger_entry l"
            " WHERE l.order_id = o.id AND l.kind = 'EARN' AND l.reason = 'order'"
            " AND l.points = o.points_earned) <> 1",
            org,
        )
        == 0
    )
    assert (
        await scalar(
            "SELECT count(*) FROM ledger_entry WHERE organization_id = $1 AND (balance_after < 0"
            " OR remaining < 0 OR (kind = 'EARN' AND (points <= 0 OR remaining > points))"
            " OR (kind IN ('REDEEM', 'EXPIRE') AND (points >= 0 OR remaining <> 0))"
            " OR actor_kind <> 'SYSTEM' OR idempotency_key IS NULL)",
            org,
        )
        == 0
    )
    # Referential integrity (PostgreSQL may have loaded the rows with triggers off).
    for query in (
        "SELECT count(*) FROM customer_order o WHERE o.organization_id = $1 AND NOT EXISTS"
        " (SELECT 1 FROM customer c WHERE c.id = o.customer_id AND c.organization_id = $1)",
        "SELECT count(*) FROM customer_order o WHERE o.organization_id = $1 AND NOT EXISTS"
        " (SELECT 1 FROM store s WHERE s.id = o.store_id AND s.organization_id = $1)",
        "SELECT count(*) FROM order_item i JOIN customer_order o ON o.id = i.order_id"
        " RIGHT JOIN customer_order x ON x.id = i.order_id WHERE x.organization_id = $1"
        " AND i.id IS NULL",
        "SELECT count(*) FROM ledger_entry l WHERE l.organization_id = $1 AND NOT EXISTS"
        " (SELECT 1 FROM customer c WHERE c.id = l.customer_id AND c.organization_id = $1)",
        "SELECT count(*) FROM ledger_entry l WHERE l.organization_id = $1"
        " AND l.order_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customer_order o"
        " WHERE o.id = l.order_id AND o.customer_id = l.customer_id)",
        "SELECT count(*) FROM customer c WHERE c.organization_id = $1"
        " AND c.referred_by_id IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM customer r WHERE r.id = c.referred_by_id AND r.organization_id = $1)",
        "SELECT count(*) FROM customer c WHERE c.organization_id = $1"
        " AND c.favorite_store_id IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM store s WHERE s.id = c.favorite_store_id AND s.organization_id = $1)",
        "SELECT count(*) FROM customer c WHERE c.organization_id = $1"
        " AND c.signup_form_id IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM signup_form f WHERE f.id = c.signup_form_id AND f.organization_id = $1)",
    ):
        assert await scalar(query, org) == 0, query
    # Each referred customer gave its referrer one referral bonus.
    referred = await scalar(
        "SELECT count(*) FROM customer WHERE organization_id = $1 AND referred_by_id IS NOT NULL",
        org,
    )
    bonuses = await scalar(
        "SELECT count(*) FROM customer c JOIN ledger_entry l ON l.customer_id = c.referred_by_id"
        " AND l.idempotency_key = 'referral:' || c.id AND l.kind = 'EARN'"
        " AND l.reason = 'referral bonus' AND l.points = 200 WHERE c.organization_id = $1",
        org,
    )
    assert referred > 0
    assert bonuses == referred

    # Decimals and timestamps, in Python.
    customers = {c.id: c for c in await Customer.filter(organization_id=org)}
    orders = await Order.filter(organization_id=org)
    items: dict[uuid.UUID, list[OrderItem]] = defaultdict(list)
    for item in await OrderItem.filter(order__organization_id=org):
        items[item.order_id].append(item)  # type: ignore[index]
    by_customer: dict[uuid.UUID, list[Order]] = defaultdict(list)
    for order in orders:
        assert order.status is OrderStatus.COMPLETED
        assert items[order.id], "every order has items"
        assert sum(i.price for i in items[order.id]) == order.total
        assert order.points_earned == program.points_for(order.total)
        assert order.placed_at.tzinfo is not None
        assert order.placed_at < ANCHOR
        by_customer[order.customer_id].append(order)  # type: ignore[index]
    for customer in customers.values():
        mine = by_customer[customer.id]
        assert customer.order_count == len(mine)
        assert Decimal(customer.total_spent) == sum((o.total for o in mine), Decimal(0))
        if mine:
            assert customer.first_order_at == min(o.placed_at for o in mine)
            assert customer.last_order_at == max(o.placed_at for o in mine)
            assert customer.first_order_at >= customer.created_at
        else:
            assert customer.first_order_at is None
            assert customer.last_order_at is None
        if customer.referred_by_id is not None:
            referrer = customers[customer.referred_by_id]  # type: ignore[index]
            assert referrer.created_at < customer.created_at

    entries: dict[uuid.UUID, list[LedgerEntry]] = defaultdict(list)
    for entry in await LedgerEntry.filter(organization_id=org).order_by("id"):
        entries[entry.customer_id].append(entry)  # type: ignore[index]
    order_by_id = {o.id: o for o in orders}
    for customer_id, history in entries.items():
        replay_fifo(history, order_by_id)
        assert customers[customer_id].points_balance == history[-1].balance_after


def replay_fifo(history: list[LedgerEntry], orders: dict[uuid.UUID, Order]) -> None:
    """Replay one customer's entries (in id order) with the rules of app.wallets.ledger: lots
    are spent oldest-expiring first, expired lots are closed by their EXPIRE entry, nothing
    is spent from an expired lot, and the stored `remaining` is what is left at the end."""
    left: dict[uuid.UUID, int] = {}
    lots: dict[uuid.UUID, LedgerEntry] = {}
    balance = 0
    previous: dt.datetime | None = None
    for entry in history:
        if previous is not None:
            assert entry.created_at >= previous, "ids follow creation order"
        previous = entry.created_at
        if entry.points > 0:
            assert entry.kind is LedgerKind.EARN
            if entry.reason == "order":
                order = orders[entry.order_id]  # type: ignore[index]
                assert entry.idempotency_key == f"order:{order.id}"
                assert entry.created_at == order.placed_at
                assert entry.points == order.points_earned
                assert entry.expires_at == order.placed_at + dt.timedelta(days=365)
            else:
                assert entry.reason == "referral bonus"
                assert entry.order_id is None
            left[entry.id] = entry.points
            lots[entry.id] = entry
        elif entry.kind is LedgerKind.EXPIRE:
            assert entry.idempotency_key is not None
            lot_id = uuid.UUID(entry.idempotency_key.removeprefix("expire:"))
            assert lots[lot_id].expires_at == entry.created_at
            assert left[lot_id] == -entry.points > 0
            left[lot_id] = 0
        else:
            assert entry.kind is LedgerKind.REDEEM
            assert entry.reason == "redeem"
            for lot_id, amount in left.items():
                expiry = lots[lot_id].expires_at
                assert amount == 0 or expiry is None or expiry > entry.created_at, (
                    "an expired lot was still open"
                )
            need = -entry.points
            for lot_id in sorted(left, key=lambda i: (lots[i].expires_at, i)):
                take = min(left[lot_id], need)
                left[lot_id] -= take
                need -= take
            assert need == 0, "a redemption spent more than the balance"
        balance += entry.points
        assert entry.balance_after == balance >= 0
    for lot_id, amount in left.items():
        assert lots[lot_id].remaining == amount
        expiry = lots[lot_id].expires_at
        if expiry is not None and expiry <= ANCHOR:
            assert amount == 0


class TestSeedOrganization:
    async def test_the_data_keeps_every_rule(self, tenant: Tenant) -> None:
        summary = await seed(tenant.organization_id)
        assert summary.customers == 200
        assert summary.orders > 800
        assert summary.items > summary.orders
        assert summary.referred_customers > 0
        assert await Customer.filter(organization_id=tenant.organization_id).count() == 200
        await check_consistency(tenant.organization_id)

    async def test_customers_look_real_and_carry_their_group(self, tenant: Tenant) -> None:
        await seed(tenant.organization_id)
        customers = await Customer.filter(organization_id=tenant.organization_id)
        groups: dict[str, int] = defaultdict(int)
        for c in customers:
            assert c.status is CustomerStatus.ACTIVE
            group = c.traits["seedGroup"]
            assert group in catalog.GROUP_NAMES
            groups[group] += 1
            assert c.first_name in catalog.FIRST_NAMES
            assert c.first_name_key == name_key(c.first_name)
            assert c.last_name_key == name_key(c.last_name)
            if c.birthday is not None:
                assert c.birthday_monthday == c.birthday.month * 100 + c.birthday.day
            else:
                assert c.birthday_monthday is None
            if c.email is not None:
                assert normalize_email(c.email) == c.email
            if c.phone is not None:
                assert normalize_phone(c.phone, "US") == c.phone
            assert c.external_reference
            if c.order_count:
                assert c.favorite_store_id is not None
        assert set(groups) == set(catalog.GROUP_NAMES)
        assert any(c.birthday is None for c in customers)
        assert any(c.city is None for c in customers)
        assert len({c.country for c in customers}) > 2

    async def test_stores_and_signup_forms_are_created_once(self, tenant: Tenant) -> None:
        await Store.create(organization_id=tenant.organization_id, code="MAIN", name="Main")
        await seed(tenant.organization_id, customers=20)
        assert await Store.filter(organization_id=tenant.organization_id).count() == 10
        await seed(tenant.organization_id, customers=20)
        assert await Store.filter(organization_id=tenant.organization_id).count() == 10
        forms = await SignupForm.filter(organization_id=tenant.organization_id).count()
        assert forms == len(catalog.SIGNUP_FORMS)
        main = await Store.get(organization_id=tenant.organization_id, code="MAIN")
        assert await Order.filter(store_id=main.id).exists()

    async def test_a_second_seeding_continues_after_the_first(self, tenant: Tenant) -> None:
        first = await seed(tenant.organization_id, customers=60)
        second = await seed(tenant.organization_id, customers=60)
        assert (first.start_index, second.start_index) == (0, 60)
        customers = await Customer.filter(organization_id=tenant.organization_id)
        emails = [c.email for c in customers if c.email]
        assert len(customers) == 120
        assert len(set(emails)) == len(emails)
        await check_consistency(tenant.organization_id)

    async def test_same_seed_same_data(self, tenant: Tenant, other_tenant: Tenant) -> None:
        await seed(tenant.organization_id, customers=80, seed_value=9)
        await seed(other_tenant.organization_id, customers=80, seed_value=9)

        async def content(org: uuid.UUID) -> list[tuple[Any, ...]]:
            people = await Customer.filter(organization_id=org).order_by("external_reference")
            out: list[tuple[Any, ...]] = []
            for c in people:
                orders = await Order.filter(customer_id=c.id).order_by("placed_at")
                entries = await LedgerEntry.filter(customer_id=c.id).order_by("id")
                out.append(
                    (
                        c.external_reference, c.email, c.phone, c.first_name, c.last_name,
                        c.birthday, c.city, c.postal_code, c.country, c.traits,
                        c.points_balance, c.lifetime_points, c.order_count,
                        Decimal(c.total_spent), c.last_order_at, c.created_at,
                        [(o.receipt_number, o.total, o.placed_at, o.points_earned) for o in orders],
                        [(e.kind, e.points, e.reason, e.remaining, e.created_at) for e in entries],
                    )
                )  # fmt: skip
            return out

        mine = await content(tenant.organization_id)
        assert mine == await content(other_tenant.organization_id)
        assert len(mine) == 80

    async def test_stages_agree_with_the_lifecycle_rules(self, tenant: Tenant) -> None:
        await seed(tenant.organization_id)
        program = LoyaltyProgram()
        customers = await Customer.filter(organization_id=tenant.organization_id)
        for c in customers:
            assert c.lifecycle_stage is stage_for(c.order_count, c.last_order_at, ANCHOR, program)
        assert len({c.lifecycle_stage for c in customers}) >= 3
        await recompute_segments(Principal.system(tenant.organization_id), now=ANCHOR)
        stages = {c.id: c.lifecycle_stage for c in customers}
        for c in await Customer.filter(organization_id=tenant.organization_id):
            assert c.lifecycle_stage is stages[c.id]
        scored = await Customer.filter(
            organization_id=tenant.organization_id, rfm_segment__isnull=False
        ).count()
        assert (
            scored
            == await Customer.filter(
                organization_id=tenant.organization_id, order_count__gt=0
            ).count()
        )

    async def test_the_wallet_service_works_on_seeded_wallets(self, tenant: Tenant) -> None:
        await seed(tenant.organization_id)
        principal = Principal.system(tenant.organization_id)
        holder = await Customer.filter(
            organization_id=tenant.organization_id, points_balance__gte=50
        ).first()
        assert holder is not None
        result = await wallets.redeem(principal, holder.id, 50, "test reward", "seed-test-1")
        assert result.wallet.balance == holder.points_balance - 50
        await assert_wallet_consistent(holder.id)
        # Everything due at the anchor was expired by the seeding itself.
        assert await wallets.expire_due_points(principal, now=ANCHOR) == 0
        found = await wallets.wallet_holder(principal, phone=holder.phone) if holder.phone else None
        assert found is None or found.id == holder.id

    async def test_segments_are_recomputed_by_default(self, tenant: Tenant) -> None:
        summary = await seed(tenant.organization_id, customers=50, segments=True)
        assert summary.segments_seconds is not None
        assert await Customer.filter(
            organization_id=tenant.organization_id, rfm_segment__isnull=False
        ).exists()

    async def test_no_orders(self, tenant: Tenant) -> None:
        summary = await seed_organization(
            tenant.organization_id, 30, 0, 1, now=ANCHOR, progress=None, segments=False
        )
        assert (summary.customers, summary.orders) == (30, 0)
        await check_consistency_without_orders(tenant.organization_id)


async def check_consistency_without_orders(org: uuid.UUID) -> None:
    customers = await Customer.filter(organization_id=org)
    assert all(c.order_count == 0 and c.last_order_at is None for c in customers)
    # Referral bonuses are the only entries.
    entries = await LedgerEntry.filter(organization_id=org)
    assert all(e.reason == "referral bonus" or e.kind is LedgerKind.EXPIRE for e in entries)


@pytest.mark.postgres_only
class TestPostgresPaths:
    async def test_worker_processes_and_several_connections(self, tenant: Tenant) -> None:
        summary = await seed(tenant.organization_id, customers=250, block_size=100, workers=1)
        assert summary.customers == 250
        assert not summary.foreign_key_checks
        await check_consistency(tenant.organization_id)

    async def test_with_foreign_key_checks(self, tenant: Tenant) -> None:
        summary = await seed(tenant.organization_id, customers=120, check_foreign_keys=True)
        assert summary.foreign_key_checks
        await check_consistency(tenant.organization_id)
