"""Fields the merge work adds to the Customer type: where it went, and its merge history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.merges.inputs import MergeSortInput
from app.graphql.merges.types import CustomerMergeType
from app.graphql.pagination import Connection, build_connection, sorted_request
from app.merges import service
from app.merges.sorting import CUSTOMER_MERGE_SORTS
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

    @strawberry.field(
        description="Merges this customer took part in, newest first unless `sortBy` says "
        "otherwise; first/after forward, last/before backward."
    )
    async def merges(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        sort_by: MergeSortInput | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerMergeType]:
        request = sorted_request(CUSTOMER_MERGE_SORTS, sort_by, first, after, last, before)
        page = await service.list_merges(info.context.principal, request, self.model.id)
        return build_connection(page, CustomerMergeType.from_model, request.sort.cursor_for)
