from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.orders.types import OrderType
from app.orders import service


@strawberry.type
class OrderQueries:
    @strawberry.field
    async def order(self, info: Info, id: strawberry.ID) -> OrderType | None:
        order = await service.get_order(info.context.principal, parse_id(id))
        if order is None:
            return None
        return OrderType.from_model(order, list(order.items))
