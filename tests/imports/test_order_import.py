"""Order imports: idempotent by receipt, points optional, wallet invariants kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.auth.principal import Principal
from app.config import Settings
from app.customers.fields import CustomerInput
from app.customers.service import create_customer
from app.models.customer import Customer, CustomerStatus
from app.models.imports import ImportKind, ImportRowError, ImportStatus
from app.models.order import Order, OrderItem
from app.models.organization import Store
from app.models.wallet import LedgerEntry, LedgerKind
from app.orders.service import OrderInput, record_order
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import counts, csv_text, import_file, row_errors
from tests.wallets.helpers import assert_wallet_consistent

HEADER = "Customer ID,Email,Order Number,Order Date,Total,Store,Category,Tags"
ORDERS = ImportKind.ORDERS


@pytest.fixture
def owner(tenant: Tenant) -> Principal:
    return owner_of(tenant)


async def two_customers(owner: Principal) -> tuple[Customer, Customer]:
    ann = await create_customer(owner, CustomerInput(external_reference="c-1"))
    bob = await create_customer(owner, CustomerInput(email="bob@example.com"))
    return ann, bob


FILE = csv_text(
    HEADER,
    "c-1,,R-1,2026-01-15 10:00,42.50,M1,shoes|socks,sale",
    ",BOB@example.com,R-2,2026-01-20,19.99,,,",
    "c-1,,R-3,01/25/2026,100,,,",
)


class TestOrders:
    async def test_orders_are_recorded_with_items_stats_and_no_points_by_default(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        store = await Store.create(organization_id=tenant.organization_id, name="M", code="M1")
        ann, bob = await two_customers(owner)
        job = await import_file(owner, settings, FILE, kind=ORDERS)
        assert (job.status, job.created_count) == (ImportStatus.SUCCEEDED, 3)
        first = await Order.get(organization_id=tenant.organization_id, receipt_number="R-1")
        assert (first.customer_id, first.store_id, first.total, first.points_earned) == (
            ann.id,
            store.id,
            Decimal("42.50"),
            0,
        )
        items = await OrderItem.filter(order_id=first.id).order_by("category")
        assert [(i.category, i.tags, i.price) for i in items] == [
            ("shoes", ["sale"], Decimal("21.25")),
            ("socks", ["sale"], Decimal("21.25")),
        ]
        fresh = await Customer.get(id=ann.id)
        assert (fresh.order_count, fresh.total_spent, fresh.points_balance) == (
            2,
            Decimal("142.50"),
            0,
        )
        assert fresh.first_order_at == dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
        assert fresh.last_order_at == dt.datetime(2026, 1, 25, tzinfo=dt.UTC)
        assert (await Customer.get(id=bob.id)).order_count == 1
        assert await LedgerEntry.filter(organization_id=tenant.organization_id).count() == 0

    async def test_idempotent_by_receipt(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await Store.create(organization_id=tenant.organization_id, name="M", code="M1")
        ann, _ = await two_customers(owner)
        await import_file(owner, settings, FILE, kind=ORDERS, award_points=True)
        again = await import_file(owner, settings, FILE, kind=ORDERS, award_points=True)
        assert counts(again) == {
            "total": 3,
            "processed": 3,
            "created": 0,
            "updated": 0,
            "unchanged": 3,
            "invalid": 0,
            "suppressed": 0,
        }
        assert await Order.filter(organization_id=tenant.organization_id).count() == 3
        wallet = await assert_wallet_consistent(ann.id)
        assert (wallet.points_balance, wallet.order_count) == (142, 2)

    async def test_a_known_receipt_with_another_total_is_a_conflict(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        ann, _ = await two_customers(owner)
        await record_order(
            owner,
            OrderInput(ann.id, "R-1", Decimal("10.00"), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        )
        file = csv_text(HEADER, "c-1,,R-1,2026-01-15,42.50,,,", "c-1,,R-1,2026-01-15,42.50,,,")
        job = await import_file(owner, settings, file, kind=ORDERS)
        # A rejected row claims nothing: the repeat is judged on its own, and conflicts too.
        assert await row_errors(job) == [
            (2, "Order Number", "RECEIPT_CONFLICT"),
            (3, "Order Number", "RECEIPT_CONFLICT"),
        ]

    async def test_points_follow_the_program_and_keep_the_wallet_consistent(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        ann, bob = await two_customers(owner)
        await Customer.filter(id=bob.id).update(loyalty_enrolled=False)
        rows = [f"c-1,,R-{i},2026-01-{1 + i % 28:02d},{10 + i}.75,,," for i in range(30)]
        rows.append(",bob@example.com,B-1,2026-01-02,50,,,")
        job = await import_file(
            owner, settings, csv_text(HEADER, *rows), kind=ORDERS, award_points=True, batch_size=10
        )
        assert job.created_count == 31
        wallet = await assert_wallet_consistent(ann.id)
        expected = sum(10 + i for i in range(30))
        assert (wallet.points_balance, wallet.lifetime_points) == (expected, expected)
        assert wallet.order_count == 30
        entries = await LedgerEntry.filter(customer_id=ann.id).order_by("id")
        assert {e.kind for e in entries} == {LedgerKind.EARN}
        assert [e.balance_after for e in entries][-1] == expected
        # Lots expire from the order date, as points earned at the till do.
        first_order = await Order.get(organization_id=tenant.organization_id, receipt_number="R-0")
        lot = await LedgerEntry.get(order_id=first_order.id)
        assert lot.expires_at == first_order.placed_at + dt.timedelta(days=365)
        not_enrolled = await assert_wallet_consistent(bob.id)
        assert (not_enrolled.points_balance, not_enrolled.order_count) == (0, 1)

    async def test_unknown_and_unavailable_customers(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        ann, _ = await two_customers(owner)
        await Customer.filter(id=ann.id).update(status=CustomerStatus.ERASED)
        file = csv_text(
            HEADER,
            "c-1,,R-1,2026-01-15,10,,,",
            "c-404,,R-2,2026-01-15,10,,,",
            ",nobody@example.com,R-3,2026-01-15,10,,,",
        )
        job = await import_file(owner, settings, file, kind=ORDERS)
        assert counts(job)["suppressed"] == 1
        assert await row_errors(job) == [
            (3, "Customer ID", "CUSTOMER_NOT_FOUND"),
            (4, "Email", "CUSTOMER_NOT_FOUND"),
        ]
        assert await Order.filter(organization_id=tenant.organization_id).count() == 0

    async def test_dry_run_writes_no_order(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await two_customers(owner)
        file = csv_text(HEADER, "c-1,,R-1,2026-01-15,10,,,", "c-1,,R-2,someday,10,,,")
        job = await import_file(owner, settings, file, kind=ORDERS, dry_run=True)
        assert (job.created_count, job.invalid_count) == (1, 1)
        assert await Order.filter(organization_id=tenant.organization_id).count() == 0

    async def test_an_order_file_without_receipts_cannot_start(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        job = await import_file(
            owner, settings, csv_text("Email,Total", "a@example.com,10"), kind=ORDERS
        )
        assert (job.status, job.error_code) == (ImportStatus.FAILED, "MISSING_COLUMN")


class TestUnits:
    async def test_a_quantity_column_without_item_columns_keeps_the_units_on_the_order(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await two_customers(owner)
        content = csv_text(
            "Customer ID,Order Number,Order Date,Total,Quantity",
            "c-1,U-1,2026-01-15,42.50,3",
            "c-1,U-2,2026-01-16,10.00,",
            "c-1,U-3,2026-01-17,10.00,2.5",
            "c-1,U-4,2026-01-18,10.00,-1",
        )
        job = await import_file(owner, settings, content, kind=ORDERS)
        assert (job.created_count, job.invalid_count) == (2, 2)
        orders = await Order.filter(organization_id=tenant.organization_id).order_by(
            "receipt_number"
        )
        assert [(o.receipt_number, o.units) for o in orders] == [("U-1", 3), ("U-2", None)]
        assert await OrderItem.filter(order__organization_id=tenant.organization_id).count() == 0
        errors = await row_errors(job)
        assert [(r, code) for r, _, code in errors] == [(4, "INVALID"), (5, "INVALID")]
        messages = await ImportRowError.filter(job_id=job.id).values_list("message", flat=True)
        assert all("2.5" not in m and "-1" not in m for m in messages)

    async def test_item_columns_create_items_carrying_the_units(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await two_customers(owner)
        content = csv_text(
            "Customer ID,Order Number,Order Date,Total,Qty,Category",
            "c-1,V-1,2026-01-15,30.00,3,socks",
            "c-1,V-2,2026-01-16,30.00,4,socks|shoes",
        )
        job = await import_file(owner, settings, content, kind=ORDERS)
        assert job.created_count == 2
        one = await Order.get(organization_id=tenant.organization_id, receipt_number="V-1")
        two = await Order.get(organization_id=tenant.organization_id, receipt_number="V-2")
        assert (one.units, two.units) == (3, 4)
        assert [i.quantity for i in await OrderItem.filter(order_id=one.id)] == [3]
        # Two lines split the total; the unit count stays on the order, not guessed per line.
        assert [i.quantity for i in await OrderItem.filter(order_id=two.id)] == [1, 1]
