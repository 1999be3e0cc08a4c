"""Fields the wallet work adds to the Customer type: wallet, referrals, orders, activity."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.activity.service import ActivityRecord, customer_activity
from app.core.pagination import PageRequest
from app.graphql.audit.types import AuditEventType
from app.graphql.context import Info
from app.graphql.orders.inputs import OrderSortInput
from app.graphql.orders.types import OrderType
from app.graphql.pagination import Connection, build_connection, sorted_request
from app.graphql.wallets.types import LedgerEntryType, WalletType
from app.models.audit import AuditEvent
from app.models.customer import Customer
from app.models.order import Order
from app.orders import service as orders
from app.orders.sorting import ORDER_SORTS
from app.wallets import service as wallets

ActivityItem = Annotated[
    OrderType | LedgerEntryType | AuditEventType,
    strawberry.union("ActivityItem", description="An order, a points movement or an audit event."),
]


def _activity_node(row: ActivityRecord) -> OrderType | LedgerEntryType | AuditEventType:
    if isinstance(row, Order):
        return OrderType.from_model(row, [])
    if isinstance(row, AuditEvent):
        return AuditEventType.from_model(row)
    return LedgerEntryType.from_model(row)


@strawberry.type
class CustomerWalletFields:
    model: strawberry.Private[Customer]

    @strawberry.field
    async def wallet(self, info: Info) -> WalletType:
        return WalletType.of(await wallets.wallet_of(info.context.principal, self.model))

    @strawberry.field(description="How many customers this customer referred.")
    async def referral_count(self, info: Info) -> int:
        return await info.context.loaders.referral_counts.load(self.model.id)

    @strawberry.field(
        description="Orders, newest recorded first unless `sortBy` says otherwise; "
        "first/after forward, last/before backward."
    )
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        sort_by: OrderSortInput | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[OrderType]:
        request = sorted_request(ORDER_SORTS, sort_by, first, after, last, before)
        page = await orders.list_orders(info.context.principal, self.model.id, request)
        return build_connection(
            page, lambda o: OrderType.from_model(o, list(o.items)), request.sort.cursor_for
        )

    @strawberry.field(description="Orders, points movements and audit events, newest first.")
    async def activity(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ActivityItem]:
        page = await customer_activity(
            info.context.principal, self.model.id, PageRequest.of(first, after)
        )
        return build_connection(page, _activity_node)
