"""Order queries: receipts, items, the row lock of a reversal and a customer's order pages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max
from tortoise.queryset import QuerySet

from app.core.keyset import newest_first
from app.models.order import Order, OrderItem, OrderStatus


async def by_receipt(organization_id: uuid.UUID, receipt: str) -> Order | None:
    return await Order.get_or_none(organization_id=organization_id, receipt_number=receipt)


async def get(organization_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
    return await Order.get_or_none(id=order_id, organization_id=organization_id)


async def get_with_items(organization_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
    return (
        await Order.filter(id=order_id, organization_id=organization_id)
        .prefetch_related("items")
        .first()
    )


async def items_of(order_id: uuid.UUID) -> list[OrderItem]:
    return await OrderItem.filter(order_id=order_id).order_by("id")


async def create(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    store_id: uuid.UUID | None,
    receipt: str,
    total: Decimal,
    placed_at: dt.datetime,
    points_earned: int,
    conn: BaseDBAsyncClient,
) -> Order:
    return await Order.create(
        organization_id=organization_id,
        customer_id=customer_id,
        store_id=store_id,
        receipt_number=receipt,
        total=total,
        placed_at=placed_at,
        points_earned=points_earned,
        using_db=conn,
    )


async def add_items(items: Sequence[OrderItem], conn: BaseDBAsyncClient) -> None:
    await OrderItem.bulk_create(list(items), using_db=conn)


async def lock(order_id: uuid.UUID, conn: BaseDBAsyncClient) -> Order | None:
    return await Order.filter(id=order_id).select_for_update().using_db(conn).first()


async def set_status(order: Order, status: OrderStatus, conn: BaseDBAsyncClient) -> None:
    order.status = status
    await order.save(update_fields=["status", "updated_at"], using_db=conn)


async def completed_span(
    customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(first, last) purchase time of the customer's completed orders."""
    remaining = Order.filter(customer_id=customer_id, status=OrderStatus.COMPLETED).using_db(conn)
    bounds = await remaining.annotate(last=Max("placed_at")).values("last")
    first = await remaining.order_by("placed_at").first()
    return (first.placed_at if first else None), (bounds[0]["last"] if bounds else None)


async def newest_of_customer(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    limit: int,
    before: uuid.UUID | None,
) -> list[Order]:
    """A customer's orders, newest first (the activity feed's share)."""
    query = Order.filter(organization_id=organization_id, customer_id=customer_id)
    return await newest_first(query, limit, before)


def of_customer(organization_id: uuid.UUID, customer_id: uuid.UUID) -> QuerySet[Order]:
    """A customer's orders with their items fetched, for the service to page through."""
    return Order.filter(organization_id=organization_id, customer_id=customer_id).prefetch_related(
        "items"
    )


async def count_of_customer(organization_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    return await Order.filter(organization_id=organization_id, customer_id=customer_id).count()
