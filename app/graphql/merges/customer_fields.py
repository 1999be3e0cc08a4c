"""Fields the merge work adds to the Customer type: where it went, and its merge history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.core.pagination import PageRequest
from app.graphql.context import Info
from app.graphql.merges.types import CustomerMergeType
from app.graphql.pagination import Connection, build_connection
from app.merges import service
from app.models.customer import Customer

if TYPE_CHECKING:
    from app.graphql.customers.types import CustomerType

CustomerRef = Annotated["CustomerType", strawberry.lazy("app.graphql.customers.types")]


@strawberry.type
class CustomerMergeFields:
    model: strawberry.Private[Customer]

    @strawberry.field(description="For a merged customer, its current survivor (chains collapse).")
    async def merged_into(self, info: Info) -> CustomerRef | None:
        from app.graphql.customers.types import CustomerType

        found = await service.merged_into(info.context.principal, self.model)
        return CustomerType.from_model(found) if found else None

    @strawberry.field(description="Merges this customer took part in, newest first.")
    async def merges(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerMergeType]:
        page = await service.list_merges(
            info.context.principal, PageRequest.of(first, after), self.model.id
        )
        return build_connection(page, CustomerMergeType.from_model)
