from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from app.models.order import Order, OrderItem, OrderStatus

strawberry.enum(OrderStatus)


@strawberry.type(name="OrderItem")
class OrderItemType:
    sku: str
    category: str | None
    tags: list[str]
    quantity: int
    price: Decimal

    @classmethod
    def from_model(cls, i: OrderItem) -> OrderItemType:
        return cls(
            sku=i.sku,
            category=i.category,
            tags=list(i.tags or []),
            quantity=i.quantity,
            price=i.price,
        )


@strawberry.type(name="Order")
class OrderType:
    id: strawberry.ID
    customer_id: strawberry.ID | None
    store_id: strawberry.ID | None
    receipt_number: str
    total: Decimal
    placed_at: dt.datetime
    status: OrderStatus
    points_earned: int
    units: int | None = strawberry.field(
        description="Units bought, when the order carries a count (an import's quantity column)."
    )
    items: list[OrderItemType]

    @classmethod
    def from_model(cls, o: Order, items: list[OrderItem]) -> OrderType:
        return cls(
            id=strawberry.ID(str(o.id)),
            customer_id=strawberry.ID(str(o.customer_id)) if o.customer_id else None,
            store_id=strawberry.ID(str(o.store_id)) if o.store_id else None,
            receipt_number=o.receipt_number,
            total=o.total,
            placed_at=o.placed_at,
            status=o.status,
            points_earned=o.points_earned,
            units=o.units,
            items=[OrderItemType.from_model(i) for i in items],
        )
