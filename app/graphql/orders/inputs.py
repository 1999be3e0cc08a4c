from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from app.core.ids import parse_id
from app.graphql.pagination import SortDirection
from app.orders.service import ItemInput, OrderInput
from app.orders.sorting import OrderSortField


@strawberry.input
class OrderItemInput:
    sku: str
    price: Decimal
    quantity: int = 1
    category: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class OrderRecordInput:
    customer_id: strawberry.ID
    receipt_number: str
    total: Decimal
    placed_at: dt.datetime
    store_id: strawberry.ID | None = None
    items: list[OrderItemInput] = strawberry.field(default_factory=list)

    def to_service(self) -> OrderInput:
        return OrderInput(
            customer_id=parse_id(self.customer_id, "customerId"),
            receipt_number=self.receipt_number,
            total=self.total,
            placed_at=self.placed_at,
            store_id=parse_id(self.store_id, "storeId") if self.store_id else None,
            items=[
                ItemInput(i.sku, i.price, i.quantity, i.category, list(i.tags)) for i in self.items
            ],
        )


strawberry.enum(OrderSortField)


@strawberry.input(description="The order of a customer's orders; ties are broken by id.")
class OrderSortInput:
    field: OrderSortField
    direction: SortDirection = SortDirection.ASC
