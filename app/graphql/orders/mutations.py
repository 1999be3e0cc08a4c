from __future__ import annotations

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import OrderError
from app.graphql.orders.inputs import OrderRecordInput
from app.graphql.orders.types import OrderType
from app.graphql.payloads import Payload
from app.graphql.wallets.types import WalletType
from app.orders import service
from app.orders.service import OrderResult


@strawberry.type
class OrderPayload(Payload):
    order: OrderType | None = None
    wallet: WalletType | None = None
    points: int = strawberry.field(
        default=0,
        description="Base points this call moved: earned (positive) or taken back (negative).",
    )
    bonus_points: int = strawberry.field(
        default=0,
        description="What earning rules added for this order (or, on a refund, took back); "
        "each rule's ledger entry names it.",
    )
    replayed: bool = strawberry.field(
        default=False,
        description="True when this receipt was already recorded: nothing new was written.",
    )
    errors: list[OrderError] = strawberry.field(default_factory=list)


def _payload(result: OrderResult) -> OrderPayload:
    return OrderPayload(
        order=OrderType.from_model(result.order, result.items),
        wallet=WalletType.of(result.wallet) if result.wallet else None,
        points=result.points,
        bonus_points=result.bonus_points,
        replayed=result.replayed,
    )


async def _reverse(info: Info, order_id: strawberry.ID, reason: str, *, void: bool) -> OrderPayload:
    try:
        result = await service.reverse_order(
            info.context.principal, parse_id(order_id), void=void, reason=reason
        )
    except DomainError as exc:
        return OrderPayload.failed(exc)
    return _payload(result)


@strawberry.type
class OrderMutations:
    @strawberry.mutation(description="Record a completed purchase; idempotent by receipt number.")
    async def order_record(self, info: Info, input: OrderRecordInput) -> OrderPayload:
        try:
            result = await service.record_order(info.context.principal, input.to_service())
        except DomainError as exc:
            return OrderPayload.failed(exc)
        return _payload(result)

    @strawberry.mutation(description="Refund an order and take back the points it earned.")
    async def order_refund(self, info: Info, id: strawberry.ID, reason: str = "") -> OrderPayload:
        return await _reverse(info, id, reason, void=False)

    @strawberry.mutation(description="Void an order recorded by mistake; its points go back.")
    async def order_void(self, info: Info, id: strawberry.ID, reason: str = "") -> OrderPayload:
        return await _reverse(info, id, reason, void=True)
