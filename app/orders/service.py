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

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.jobs import request_job
from app.core.keyset import sorted_page
from app.core.pagination import Page
from app.core.sorting import SortedPageRequest
from app.core.transactions import atomic
from app.customers import repository as customers
from app.customers.repository import visibility
from app.lifecycle.jobs import segment_refresh
from app.lifecycle.rules import stage_for
from app.models.customer import Customer
from app.models.order import Order, OrderItem, OrderStatus
from app.models.wallet import LedgerKind
from app.orders import repository
from app.orders.errors import OrderErrorCode as Code
from app.organizations import repository as organizations
from app.organizations.profile import load_program
from app.organizations.program import LoyaltyProgram
from app.rules import triggers as rule_triggers
from app.rules.evaluation import OrderFacts, OrderLine
from app.wallets import repository as ledger_entries
from app.wallets.ledger import Movement, lock_customer, post
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
    items: list[OrderItem]
    wallet: WalletView | None
    points: int
    replayed: bool
    # What earning rules added to (or, on a refund, took back from) the base points.
    bonus_points: int = 0


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
    return await repository.by_receipt(principal.organization_id, receipt)


async def _same_or_conflict(
    principal: Principal, order: Order, customer_id: uuid.UUID, total: Decimal
) -> OrderResult:
    if order.customer_id != customer_id or order.total != total:
        raise DomainError(
            Code.RECEIPT_CONFLICT,
            "This receipt number was recorded with another customer or total.",
            "receiptNumber",
        )
    return OrderResult(
        order, await repository.items_of(order.id), None, order.points_earned, replayed=True
    )


async def record_order(principal: Principal, data: OrderInput) -> OrderResult:
    principal.require(Operation.ORDER_WRITE)
    receipt, total, placed_at = _validate(data, utcnow())
    holder = await visibility.by_id(principal, data.customer_id)
    if holder is None:
        raise DomainError(Code.CUSTOMER_NOT_FOUND, "No such customer.", "customerId")
    existing = await _existing(principal, receipt)
    if existing is not None:
        return await _same_or_conflict(principal, existing, holder.id, total)
    if data.store_id is not None and not await organizations.store_exists(
        principal.organization_id, store_id=data.store_id
    ):
        raise DomainError(Code.STORE_NOT_FOUND, "No such store.", "storeId")
    program = await load_program(principal.organization_id)
    try:
        async with atomic() as conn:
            customer = await lock_customer(principal, holder.id, conn)
            if customer is None:
                raise DomainError(Code.CUSTOMER_NOT_FOUND, "No such customer.", "customerId")
            points = program.points_for(total) if customer.loyalty_enrolled else 0
            order = await repository.create(
                principal.organization_id,
                customer.id,
                data.store_id,
                receipt,
                total,
                placed_at,
                points,
                conn,
            )
            if data.items:
                await repository.add_items(
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
                    conn,
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
            facts = OrderFacts(
                order_id=order.id,
                total=total,
                store_id=data.store_id,
                lines=[
                    OrderLine(i.price * i.quantity, (i.category or "").strip() or None, i.tags)
                    for i in data.items
                ],
                orders_before=customer.order_count,
                spent_before=Decimal(customer.total_spent),
            )
            _count_order(customer, total, placed_at, program)
            bonus = await rule_triggers.on_order(
                principal, customer, facts, placed_at, program, conn
            )
            # The statistics and the wallet the rules credited, in one UPDATE of the row.
            await customers.save_order_stats(customer, conn, with_wallet=True)
            # RFM scores are relative to the whole organization: a debounced recompute.
            await request_job(segment_refresh(principal.organization_id))
    except IntegrityError:
        # The same receipt was recorded concurrently; that one stands.
        existing = await _existing(principal, receipt)
        if existing is None:
            raise
        return await _same_or_conflict(principal, existing, holder.id, total)
    return OrderResult(
        order,
        await repository.items_of(order.id),
        WalletView.of(customer, program),
        points,
        replayed=False,
        bonus_points=bonus.points,
    )


def _count_order(
    customer: Customer, total: Decimal, placed_at: dt.datetime, program: LoyaltyProgram
) -> None:
    """The order in the row's statistics and stage, in memory (the caller saves the row)."""
    customer.order_count += 1
    customer.total_spent = Decimal(customer.total_spent) + total
    if customer.first_order_at is None or placed_at < customer.first_order_at:
        customer.first_order_at = placed_at
    if customer.last_order_at is None or placed_at > customer.last_order_at:
        customer.last_order_at = placed_at
    _set_stage(customer, program)


async def _remove_from_stats(
    customer: Customer, order: Order, program: LoyaltyProgram, conn: BaseDBAsyncClient
) -> None:
    first, last = await repository.completed_span(customer.id, conn)
    customer.order_count = max(customer.order_count - 1, 0)
    customer.total_spent = max(Decimal(customer.total_spent) - order.total, Decimal(0))
    customer.last_order_at = last
    customer.first_order_at = first
    await _save_stats(customer, program, conn)


def _set_stage(customer: Customer, program: LoyaltyProgram) -> None:
    # The lifecycle stage follows the order statistics at once; RFM scores need the whole
    # organization and are recomputed by the refresh job the order asks for.
    customer.lifecycle_stage = stage_for(
        customer.order_count, customer.last_order_at, utcnow(), program
    )


async def _save_stats(customer: Customer, program: LoyaltyProgram, conn: BaseDBAsyncClient) -> None:
    _set_stage(customer, program)
    await customers.save_order_stats(customer, conn)


async def reverse_order(
    principal: Principal, order_id: uuid.UUID, *, void: bool, reason: str
) -> OrderResult:
    """Refund or void a completed order and take back the points it earned.

    Points already spent are not clawed back below zero: the REFUND entry takes what the
    wallet holds, up to what the order earned; then one REFUND per earning rule that paid
    for the order takes its bonus back the same way (app/rules/triggers.py).
    """
    principal.require(Operation.ORDER_WRITE)
    order = await repository.get(principal.organization_id, order_id)
    if order is None:
        raise DomainError(Code.NOT_FOUND, "No such order.", "id")
    target = OrderStatus.VOIDED if void else OrderStatus.REFUNDED
    if order.status is target:
        return OrderResult(order, await repository.items_of(order.id), None, 0, replayed=True)
    if order.status is not OrderStatus.COMPLETED:
        raise DomainError(Code.NOT_COMPLETED, "Only a completed order can be reversed.", "id")
    text = " ".join(reason.split())[:200] or ("void" if void else "refund")
    program = await load_program(principal.organization_id)
    async with atomic() as conn:
        fresh = await repository.lock(order.id, conn)
        if fresh is None or fresh.status is not OrderStatus.COMPLETED:
            raise DomainError(Code.NOT_COMPLETED, "Only a completed order can be reversed.", "id")
        order = fresh
        await repository.set_status(order, target, conn)
        customer = None
        taken = 0
        bonus_taken = 0
        if order.customer_id is not None:
            customer = await lock_customer(principal, order.customer_id, conn)  # type: ignore[arg-type]
        if customer is not None:
            taken = min(order.points_earned, customer.points_balance)
            if taken > 0:
                lot = await ledger_entries.earn_lot_of_order(order.id, conn)
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
            bonus_taken = await rule_triggers.reverse_order(principal, customer, order, text, conn)
            await _remove_from_stats(customer, order, program, conn)
        await request_job(segment_refresh(principal.organization_id))
    wallet = WalletView.of(customer, program) if customer is not None else None
    items = await repository.items_of(order.id)
    return OrderResult(order, items, wallet, -taken, replayed=False, bonus_points=-bonus_taken)


async def get_order(principal: Principal, order_id: uuid.UUID) -> Order | None:
    """The order with its items fetched (`order.items`)."""
    principal.require(Operation.CUSTOMER_READ)
    return await repository.get_with_items(principal.organization_id, order_id)


async def list_orders(
    principal: Principal, customer_id: uuid.UUID, page: SortedPageRequest
) -> Page[Order]:
    """A customer's orders with their items fetched, in the order of `page.sort` (newest
    first by default)."""
    principal.require(Operation.CUSTOMER_READ)
    return await sorted_page(repository.of_customer(principal.organization_id, customer_id), page)
