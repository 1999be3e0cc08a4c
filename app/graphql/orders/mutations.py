from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import OrderError, order_errors
from app.graphql.orders.types import OrderType
from app.graphql.wallets.types import WalletType
from app.models.order import Order
from app.orders import service
from app.orders.service import ItemInput, OrderInput, OrderResult


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


@strawberry.type
class OrderPayload:
    order: OrderType | None
    wallet: WalletType | None
    points: int = strawberry.field(
        description="Points this call moved: earned (positive) or taken back (negative)."
    )
    replayed: bool = strawberry.field(
        description="True when this receipt was already recorded: nothing new was written."
    )
    errors: list[OrderError]


async def _payload(result: OrderResult) -> OrderPayload:
    order: Order = result.order
    items = await order.items.all()
    return OrderPayload(
        order=OrderType.from_model(order, list(items)),
        wallet=WalletType.of(result.wallet) if result.wallet else None,
        points=result.points,
        replayed=result.replayed,
        errors=[],
    )


def _failed(exc: DomainError) -> OrderPayload:
    return OrderPayload(order=None, wallet=None, points=0, replayed=False, errors=order_errors(exc))


async def _reverse(info: Info, order_id: strawberry.ID, reason: str, *, void: bool) -> OrderPayload:
    principal = info.context.principal
    try:
        result = await service.reverse_order(
            principal, parse_id(order_id), void=void, reason=reason
        )
    except DomainError as exc:
        return _failed(exc)
    await info.context.after_order(principal.organization_id)
    return await _payload(result)


@strawberry.type
class OrderMutations:
    @strawberry.mutation(description="Record a completed purchase; idempotent by receipt number.")
    async def order_record(self, info: Info, input: OrderRecordInput) -> OrderPayload:
        principal = info.context.principal
        try:
            result = await service.record_order(principal, input.to_service())
        except DomainError as exc:
            return _failed(exc)
        await info.context.after_order(principal.organization_id)
        return await _payload(result)

    @strawberry.mutation(description="Refund an order and take back the points it earned.")
    async def order_refund(self, info: Info, id: strawberry.ID, reason: str = "") -> OrderPayload:
        return await _reverse(info, id, reason, void=False)

    @strawberry.mutation(description="Void an order recorded by mistake; its points go back.")
    async def order_void(self, info: Info, id: strawberry.ID, reason: str = "") -> OrderPayload:
        return await _reverse(info, id, reason, void=True)
