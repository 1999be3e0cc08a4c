"""Orders: recording a purchase earns points; a refund or void takes them back.

Idempotent by receipt number: recording the same receipt again returns the first order, and
the same receipt with a different customer or total is a conflict, never a second order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.pagination import Page, PageRequest
from app.customers import lookup
from app.lifecycle.rules import stage_for
from app.models.customer import Customer
from app.models.order import Order, OrderItem, OrderStatus
from app.models.organization import Store
from app.models.wallet import LedgerEntry, LedgerKind
from app.orders.errors import OrderErrorCode as Code
from app.wallets.ledger import Movement, lock_customer, post
from app.wallets.program import LoyaltyProgram, load_program
from app.wallets.service import WalletView

MAX_RECEIPT = 64
MAX_TOTAL = Decimal("9999999999.99")
MAX_ITEMS = 500
# Clocks of tills drift: a purchase a few minutes "in the future" is still accepted.
CLOCK_SKEW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class ItemInput:
    sku: str
    price: Decimal
    quantity: int = 1
    category: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OrderInput:
    customer_id: uuid.UUID
    receipt_number: str
    total: Decimal
    placed_at: dt.datetime
    store_id: uuid.UUID | None = None
    items: list[ItemInput] = field(default_factory=list)


@dataclass(frozen=True)
class OrderResult:
    order: Order
    wallet: WalletView | None
    points: int
    replayed: bool


def _validate(data: OrderInput, now: dt.datetime) -> tuple[str, Decimal, dt.datetime]:
    errors: list[FieldError] = []
    receipt = data.receipt_number.strip()
    if not receipt:
        errors.append(FieldError(Code.REQUIRED, "Receipt number is required.", "receiptNumber"))
    elif len(receipt) > MAX_RECEIPT:
        errors.append(FieldError(Code.INVALID, "Receipt number is too long.", "receiptNumber"))
    try:
        total = Decimal(data.total).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        total = Decimal(-1)
    if total < 0 or total > MAX_TOTAL:
        errors.append(FieldError(Code.INVALID_TOTAL, "Total must be 0 or more.", "total"))
    placed_at = data.placed_at if data.placed_at.tzinfo else data.placed_at.replace(tzinfo=dt.UTC)
    if placed_at > now + CLOCK_SKEW:
        errors.append(FieldError(Code.INVALID_DATE, "The order is in the future.", "placedAt"))
    if len(data.items) > MAX_ITEMS:
        errors.append(FieldError(Code.INVALID_ITEM, "Too many items.", "items"))
    for index, item in enumerate(data.items):
        if not item.sku.strip() or len(item.sku) > 64:
            errors.append(FieldError(Code.INVALID_ITEM, "Each item needs a SKU.", f"items.{index}"))
        if item.quantity < 1 or item.price < 0:
            errors.append(
                FieldError(Code.INVALID_ITEM, "Quantity must be 1+ and price 0+.", f"items.{index}")
            )
    if errors:
        raise ValidationFailed(errors)
    return receipt, total, placed_at


async def _existing(principal: Principal, receipt: str) -> Order | None:
    return await Order.get_or_none(
        organization_id=principal.organization_id, receipt_number=receipt
    )


async def _same_or_conflict(
    principal: Principal, order: Order, customer_id: uuid.UUID, total: Decimal
) -> OrderResult:
    if order.customer_id != customer_id or order.total != total:
        raise DomainError(
            Code.RECEIPT_CONFLICT,
            "This receipt number was recorded with another customer or total.",
            "receiptNumber",
        )
    return OrderResult(order, None, order.points_earned, replayed=True)


async def record_order(principal: Principal, data: OrderInput) -> OrderResult:
    principal.require(Operation.ORDER_WRITE)
    receipt, total, placed_at = _validate(data, utcnow())
    holder = await lookup.by_id(principal, data.customer_id)
    if holder is None:
        raise DomainError(Code.CUSTOMER_NOT_FOUND, "No such customer.", "customerId")
    existing = await _existing(principal, receipt)
    if existing is not None:
        return await _same_or_conflict(principal, existing, holder.id, total)
    if data.store_id is not None and not await Store.exists(
        id=data.store_id, organization_id=principal.organization_id
    ):
        raise DomainError(Code.STORE_NOT_FOUND, "No such store.", "storeId")
    program = await load_program(principal.organization_id)
    try:
        async with in_transaction() as conn:
            customer = await lock_customer(principal, holder.id, conn)
            if customer is None:
                raise DomainError(Code.CUSTOMER_NOT_FOUND, "No such customer.", "customerId")
            points = program.points_for(total) if customer.loyalty_enrolled else 0
            order = await Order.create(
                organization_id=principal.organization_id,
                customer_id=customer.id,
                store_id=data.store_id,
                receipt_number=receipt,
                total=total,
                placed_at=placed_at,
                points_earned=points,
                using_db=conn,
            )
            if data.items:
                await OrderItem.bulk_create(
                    [
                        OrderItem(
                            order_id=order.id,
                            sku=i.sku.strip(),
                            category=(i.category or "").strip() or None,
                            tags=[t.strip() for t in i.tags if t.strip()],
                            quantity=i.quantity,
                            price=i.price,
                        )
                        for i in data.items
                    ],
                    using_db=conn,
                )
            if points > 0:
                expires = (
                    placed_at + dt.timedelta(days=program.points_expire_after_days)
                    if program.points_expire_after_days
                    else None
                )
                await post(
                    principal,
                    customer,
                    Movement(
                        LedgerKind.EARN,
                        points,
                        "order",
                        f"order:{order.id}",
                        order_id=order.id,
                        expires_at=expires,
                    ),
                    conn,
                )
            await _add_to_stats(customer, total, placed_at, program, conn)
    except IntegrityError:
        # The same receipt was recorded concurrently; that one stands.
        existing = await _existing(principal, receipt)
        if existing is None:
            raise
        return await _same_or_conflict(principal, existing, holder.id, total)
    return OrderResult(order, WalletView.of(customer, program), points, replayed=False)


async def _add_to_stats(
    customer: Customer,
    total: Decimal,
    placed_at: dt.datetime,
    program: LoyaltyProgram,
    conn: BaseDBAsyncClient,
) -> None:
    customer.order_count += 1
    customer.total_spent = Decimal(customer.total_spent) + total
    if customer.first_order_at is None or placed_at < customer.first_order_at:
        customer.first_order_at = placed_at
    if customer.last_order_at is None or placed_at > customer.last_order_at:
        customer.last_order_at = placed_at
    await _save_stats(customer, program, conn)


async def _remove_from_stats(
    customer: Customer, order: Order, program: LoyaltyProgram, conn: BaseDBAsyncClient
) -> None:
    remaining = Order.filter(customer_id=customer.id, status=OrderStatus.COMPLETED).using_db(conn)
    bounds = await remaining.annotate(last=Max("placed_at")).values("last")
    first = await remaining.order_by("placed_at").first()
    customer.order_count = max(customer.order_count - 1, 0)
    customer.total_spent = max(Decimal(customer.total_spent) - order.total, Decimal(0))
    customer.last_order_at = bounds[0]["last"] if bounds else None
    customer.first_order_at = first.placed_at if first else None
    await _save_stats(customer, program, conn)


async def _save_stats(customer: Customer, program: LoyaltyProgram, conn: BaseDBAsyncClient) -> None:
    # The lifecycle stage follows the order statistics at once; RFM scores need the whole
    # organization and are recomputed by the worker (workers/lifecycle.py).
    customer.lifecycle_stage = stage_for(
        customer.order_count, customer.last_order_at, utcnow(), program
    )
    await (
        Customer.filter(id=customer.id)
        .using_db(conn)
        .update(
            order_count=customer.order_count,
            total_spent=customer.total_spent,
            first_order_at=customer.first_order_at,
            last_order_at=customer.last_order_at,
            lifecycle_stage=customer.lifecycle_stage,
        )
    )


async def reverse_order(
    principal: Principal, order_id: uuid.UUID, *, void: bool, reason: str
) -> OrderResult:
    """Refund or void a completed order and take back the points it earned.

    Points already spent are not clawed back below zero: the REFUND entry takes what the
    wallet holds, up to what the order earned.
    """
    principal.require(Operation.ORDER_WRITE)
    order = await Order.get_or_none(id=order_id, organization_id=principal.organization_id)
    if order is None:
        raise DomainError(Code.NOT_FOUND, "No such order.", "id")
    target = OrderStatus.VOIDED if void else OrderStatus.REFUNDED
    if order.status is target:
        return OrderResult(order, None, 0, replayed=True)
    if order.status is not OrderStatus.COMPLETED:
        raise DomainError(Code.NOT_COMPLETED, "Only a completed order can be reversed.", "id")
    text = " ".join(reason.split())[:200] or ("void" if void else "refund")
    program = await load_program(principal.organization_id)
    async with in_transaction() as conn:
        fresh = await Order.filter(id=order.id).select_for_update().using_db(conn).first()
        if fresh is None or fresh.status is not OrderStatus.COMPLETED:
            raise DomainError(Code.NOT_COMPLETED, "Only a completed order can be reversed.", "id")
        order = fresh
        order.status = target
        await order.save(update_fields=["status", "updated_at"], using_db=conn)
        customer = None
        taken = 0
        if order.customer_id is not None:
            customer = await lock_customer(principal, order.customer_id, conn)  # type: ignore[arg-type]
        if customer is not None:
            taken = min(order.points_earned, customer.points_balance)
            if taken > 0:
                lot = (
                    await LedgerEntry.filter(order_id=order.id, kind=LedgerKind.EARN)
                    .using_db(conn)
                    .first()
                )
                await post(
                    principal,
                    customer,
                    Movement(
                        LedgerKind.REFUND,
                        -taken,
                        f"order {target.value.lower()}: {text}",
                        f"reverse:{order.id}",
                        order_id=order.id,
                        prefer_lot_id=lot.id if lot else None,
                    ),
                    conn,
                )
            await _remove_from_stats(customer, order, program, conn)
    wallet = WalletView.of(customer, program) if customer is not None else None
    return OrderResult(order, wallet, -taken, replayed=False)


async def get_order(principal: Principal, order_id: uuid.UUID) -> Order | None:
    principal.require(Operation.CUSTOMER_READ)
    return await Order.get_or_none(id=order_id, organization_id=principal.organization_id)


async def list_orders(
    principal: Principal, customer_id: uuid.UUID, page: PageRequest
) -> Page[Order]:
    """A customer's orders, newest first."""
    principal.require(Operation.CUSTOMER_READ)
    query = Order.filter(organization_id=principal.organization_id, customer_id=customer_id)
    count = query.count
    if page.after is not None:
        query = query.filter(id__lt=page.after)
    rows = await query.order_by("-id").limit(page.first + 1).prefetch_related("items")
    return Page.from_overfetch(rows, page, count)
